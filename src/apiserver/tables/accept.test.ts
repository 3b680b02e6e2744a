import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import { negotiateMediaType, negotiateRendering, parseIncludeObject } from './accept.js';

const render = (accept: string | undefined, list = true) => negotiateRendering(accept, list);

// Headers as kubectl / client-node send them (kube-api.md §2).
const KUBECTL_GET =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('negotiateRendering', () => {
  it('accepts the exact header kubectl get sends, preferring v1', () => {
    expect(render(KUBECTL_GET)).toEqual({ as: 'Table', apiVersion: 'meta.k8s.io/v1' });
  });

  it('answers v1beta1 when only v1beta1 is offered (older clients)', () => {
    expect(render('application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toEqual({
      as: 'Table',
      apiVersion: 'meta.k8s.io/v1beta1',
    });
  });

  it('tolerates spaces, reordered and quoted parameters', () => {
    expect(render('application/json; g=meta.k8s.io; as=Table; v="v1" , application/json').as).toBe('Table');
  });

  it.each([
    [undefined],
    [''],
    ['application/json'],
    ['*/*'],
    ['application/json, */*'],
    ['application/json, */*;q=0.8'], // client-node
    ['application/vnd.kubernetes.protobuf,application/json'], // typed clientset 1.32
    ['application/vnd.kubernetes.protobuf'],
    ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf'],
  ])('plain JSON for %s', (accept) => {
    expect(render(accept)).toEqual({ as: 'object' });
  });

  it('skips Table offers it cannot produce and falls through to the next clause', () => {
    expect(render('application/json;as=Table;v=v2;g=meta.k8s.io,application/json')).toEqual({ as: 'object' });
    expect(render('application/json;as=Table;v=v1;g=other.io,application/json')).toEqual({ as: 'object' });
    expect(render('application/json;as=Table;v=v1')).toEqual({ as: 'object' });
    expect(
      render('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io'),
    ).toEqual({ as: 'Table', apiVersion: 'meta.k8s.io/v1' });
  });

  it('honours q-values', () => {
    expect(render('application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io').as).toBe('Table');
    expect(render('application/json;as=Table;v=v1;g=meta.k8s.io;q=0.1,application/json').as).toBe('object');
    expect(render('application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json').as).toBe('object');
    expect(render('*/*;q=0.9,application/json;as=Table;v=v1beta1;g=meta.k8s.io;q=0.95')).toEqual({ as: 'Table', apiVersion: 'meta.k8s.io/v1beta1' });
  });
});

describe('parseIncludeObject', () => {
  it('defaults to Metadata and accepts the three values', () => {
    expect(parseIncludeObject(undefined)).toBe('Metadata');
    expect(parseIncludeObject(null)).toBe('Metadata');
    expect(parseIncludeObject('')).toBe('Metadata');
    expect(parseIncludeObject('None')).toBe('None');
    expect(parseIncludeObject('Object')).toBe('Object');
  });
  it('rejects other values with a 400 in upstream wording', () => {
    let err: unknown;
    try {
      parseIncludeObject('object');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    expect((err as ApiError).message).toBe('Unable to convert to Table as requested: includeObject: Invalid value: "object": must be \'Metadata\', \'Object\', \'None\', or empty');
  });
});

describe('negotiateRendering for metadata-only clients', () => {
  const meta = (as: string) => `application/vnd.kubernetes.protobuf;as=${as};g=meta.k8s.io;v=v1,application/json;as=${as};g=meta.k8s.io;v=v1,application/json`;
  it('gives PartialObjectMetadataList to lists and PartialObjectMetadata to items and watches, in the offered version', () => {
    expect(negotiateRendering(meta('PartialObjectMetadataList'), true)).toEqual({ as: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    expect(negotiateRendering(meta('PartialObjectMetadata'), false)).toEqual({ as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
    expect(negotiateRendering('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1', false)).toEqual({ as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1' });
  });
  it('skips the form that does not fit the request, and unknown groups or versions, for the next clause', () => {
    expect(negotiateRendering(meta('PartialObjectMetadataList'), false)).toEqual({ as: 'object' });
    expect(negotiateRendering(meta('PartialObjectMetadata'), true)).toEqual({ as: 'object' });
    expect(negotiateRendering('application/json;as=PartialObjectMetadata;g=other.io;v=v1,application/json', false)).toEqual({ as: 'object' });
  });
});

describe('negotiateRendering in YAML and protobuf clauses', () => {
  it('renders what a YAML or protobuf clause asks for, the format being negotiateMediaType\'s', () => {
    const yamlTable = 'application/yaml;as=Table;v=v1;g=meta.k8s.io';
    expect(render(yamlTable)).toEqual({ as: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(negotiateMediaType(yamlTable)).toBe('yaml');
    // No Table in protobuf upstream: the clause is skipped (a protobuf-only Table request is a 406).
    expect(render('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io')).toEqual({ as: 'object' });
    expect(negotiateMediaType('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io')).toBeUndefined();
    expect(render('application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', false)).toEqual({ as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
    expect(render('application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io')).toEqual({ as: 'object' });
  });
});

describe('negotiateMediaType', () => {
  it.each([
    ['application/yaml', 'yaml'],
    ['application/yaml;q=0.9, text/html;q=0.1', 'yaml'],
    ['application/vnd.kubernetes.protobuf', 'json'],
    ['application/json;stream=watch', 'json'],
    // YAML has no stream form and `stream` knows only `watch`: both clauses are skipped.
    ['application/yaml;stream=watch, application/json', 'json'],
    ['application/json;stream=other, application/yaml', 'yaml'],
    ['application/yaml;stream=watch', undefined],
    ['text/html', undefined],
  ])('%s -> %s', (accept, media) => {
    expect(negotiateMediaType(accept)).toBe(media);
  });
});

describe('negotiateMediaType for kinds without a table', () => {
  it('skips Table clauses: Table only is a 406, a later clause decides', () => {
    const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    expect(negotiateMediaType(table, false)).toBeUndefined();
    expect(negotiateMediaType(`${table}, application/yaml`, false)).toBe('yaml');
    expect(negotiateMediaType(table, true)).toBe('json');
  });
});
