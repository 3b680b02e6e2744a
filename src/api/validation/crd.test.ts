import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import { validateCRD } from './crd.js';

function crd(openAPIV3Schema: unknown): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.ex.com' },
    spec: {
      group: 'ex.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema } }],
      conversion: { strategy: 'None' },
    },
  };
}
const at = 'spec.versions[0].schema.openAPIV3Schema';
const errorsOf = (schema: unknown): string[] => validateCRD(crd(schema)).map(fieldErrorString);
const spec = (props: Record<string, unknown>) => ({ type: 'object', properties: { spec: { type: 'object', properties: props } } });

describe('CRD openAPIV3Schema', () => {
  it('accepts a structural schema with RE2 patterns, int-or-string and preserved fields', () => {
    expect(errorsOf(spec({ name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }, port: { 'x-kubernetes-int-or-string': true }, raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, list: { type: 'array', items: { type: 'string' } } }))).toEqual([]);
  });

  it('refuses patterns that are not RE2, as upstream (Go regexp) does', () => {
    expect(errorsOf(spec({ a: { type: 'string', pattern: '((' } }))).toEqual([
      `${at}.properties[spec].properties[a].pattern: Invalid value: "((": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): \`((\``,
    ]);
    expect(errorsOf(spec({ a: { type: 'string', pattern: '(a)\\1' } }))[0]).toMatch(/pattern: Invalid value: "\(a\)\\\\1": must be a valid regular expression, but isn't: error parsing regexp: invalid escape sequence/);
  });

  it('refuses defaults of another type than their field (a custom resource would get them unchecked)', () => {
    expect(errorsOf(spec({ n: { type: 'integer', default: 'abc' }, f: { type: 'number', default: 2 }, i: { type: 'integer', default: 3 }, l: { type: 'array', items: { type: 'string' }, default: {} } }))).toEqual([
      `${at}.properties[spec].properties[n].default: Invalid value: "string": must be of type integer: "string"`,
      `${at}.properties[spec].properties[l].default: Invalid value: "object": must be of type array: "object"`,
    ]);
  });

  it('refuses what would leave custom resources uncheckable: the root, types, items, $ref', () => {
    expect(errorsOf({ type: 'string' })).toEqual([`${at}.type: Invalid value: "string": must be object at the root`]);
    expect(errorsOf({ type: 'bogus' })).toEqual([`${at}.type: Unsupported value: "bogus": supported values: "array", "boolean", "integer", "number", "object", "string"`]);
    expect(errorsOf(spec({ a: {}, b: { type: 'array' }, c: { type: 'string', $ref: '#/x' } }))).toEqual([
      `${at}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields`,
      `${at}.properties[spec].properties[b].items: Required value: must be specified`,
      `${at}.properties[spec].properties[c].$ref: Forbidden: $ref is not supported`,
    ]);
  });
});

describe('CRD selectableFields', () => {
  const schema = {
    type: 'object',
    properties: {
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: {
        type: 'object',
        properties: {
          color: { type: 'string', enum: ['red', 'blue'] },
          size: { type: 'integer' },
          on: { type: 'boolean' },
          ratio: { type: 'number' },
          tags: { type: 'array', items: { type: 'string' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          nested: { type: 'object', properties: { deep: { type: 'string', format: 'date-time' } } },
        },
      },
    },
  };
  const errorsWith = (fields: unknown[]): string[] => {
    const c = crd(schema) as { spec: { versions: Record<string, unknown>[] } };
    c.spec.versions[0]!.selectableFields = fields;
    return validateCRD(c).map(fieldErrorString);
  };
  const sf = 'spec.versions[0].selectableFields';

  it('takes string (enum and format too), integer and boolean fields, map keys, as upstream', () => {
    expect(errorsWith([{ jsonPath: '.spec.color' }, { jsonPath: '.spec.size' }, { jsonPath: '.spec.on' }, { jsonPath: '.spec.nested.deep' }, { jsonPath: '.spec.labels.team' }])).toEqual([]);
  });

  it('refuses, in upstream\'s words: an empty path, an invalid one, array notation, metadata, other types, duplicates, more than 8', () => {
    expect(errorsWith([{ jsonPath: '' }, { jsonPath: 'spec.color' }, { jsonPath: '.spec.missing' }, { jsonPath: ".spec.labels['x']" }, { jsonPath: '.metadata.name' }, { jsonPath: '.spec.ratio' }, { jsonPath: '.spec.tags' }, { jsonPath: '.spec' }, { jsonPath: '.spec.color' }, { jsonPath: '.spec.color' }])).toEqual([
      `${sf}[0].jsonPath: Required value`,
      `${sf}[1].jsonPath: Invalid value: "spec.color": is an invalid path: expected [ or . but got: spec`,
      `${sf}[2].jsonPath: Invalid value: ".spec.missing": is an invalid path: does not refer to a valid field`,
      `${sf}[3].jsonPath: Invalid value: ".spec.labels['x']": is an invalid path: array notation is not allowed`,
      `${sf}[4].jsonPath: Invalid value: ".metadata.name": must not point to fields in metadata`,
      `${sf}[5].jsonPath: Invalid value: ".spec.ratio": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.`,
      `${sf}[6].jsonPath: Invalid value: ".spec.tags": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.`,
      `${sf}[7].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.`,
      `${sf}[9].jsonPath: Duplicate value: ".spec.color"`,
    ]);
    const nine = Array.from({ length: 9 }, (_, i) => ({ jsonPath: `.spec.labels.k${i}` }));
    expect(errorsWith(nine)).toEqual([`${sf}: Too many: 9: must have at most 8 items`]);
  });
});
