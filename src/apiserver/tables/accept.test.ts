import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import { parseIncludeObject, wantsTable } from './accept.js';

// Headers as kubectl / client-node send them (kube-api.md §2).
const KUBECTL_GET =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('wantsTable', () => {
  it('accepts the exact header kubectl get sends, preferring v1', () => {
    expect(wantsTable(KUBECTL_GET)).toEqual({ table: true, apiVersion: 'meta.k8s.io/v1' });
  });

  it('answers v1beta1 when only v1beta1 is offered (older clients)', () => {
    expect(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toEqual({
      table: true,
      apiVersion: 'meta.k8s.io/v1beta1',
    });
  });

  it('tolerates spaces, reordered and quoted parameters', () => {
    expect(wantsTable('application/json; g=meta.k8s.io; as=Table; v="v1" , application/json').table).toBe(true);
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
    expect(wantsTable(accept)).toEqual({ table: false });
  });

  it('skips Table offers it cannot produce and falls through to the next clause', () => {
    expect(wantsTable('application/json;as=Table;v=v2;g=meta.k8s.io,application/json')).toEqual({ table: false });
    expect(wantsTable('application/json;as=Table;v=v1;g=other.io,application/json')).toEqual({ table: false });
    expect(wantsTable('application/json;as=Table;v=v1')).toEqual({ table: false });
    expect(
      wantsTable('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io'),
    ).toEqual({ table: true, apiVersion: 'meta.k8s.io/v1' });
  });

  it('honours q-values', () => {
    expect(wantsTable('application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io').table).toBe(true);
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0.1,application/json').table).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json').table).toBe(false);
    expect(wantsTable('*/*;q=0.9,application/json;as=Table;v=v1beta1;g=meta.k8s.io;q=0.95').apiVersion).toBe(
      'meta.k8s.io/v1beta1',
    );
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
    expect((err as ApiError).message).toBe('unrecognized includeObject value: "object"');
  });
});
