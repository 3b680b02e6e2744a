import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import { validateCRD, validateCRDUpdate } from './crd.js';
import { maxSchemaDepth } from './custom-resource.js';
import { validationFor } from './index.js';

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

  it('refuses defaults their own schema refuses, or would prune (upstream ValidateDefaults)', () => {
    const p = `${at}.properties[spec].properties`;
    expect(errorsOf(spec({ e: { type: 'string', enum: ['a', 'b'], default: 'c' }, m: { type: 'integer', maximum: 3, default: 10 }, o: { type: 'object', properties: { q: { type: 'string' } }, default: { q: 'x', zz: 2 } }, l: { type: 'array', items: { type: 'string', maxLength: 2 }, default: ['abc'] }, ok: { type: 'object', properties: { q: { type: 'string', default: 'd' } }, default: {} } }))).toEqual([
      `${p}[e].default: Unsupported value: "c": supported values: "a", "b"`,
      `${p}[m].default: Invalid value: 10: in body should be less than or equal to 3`,
      `${p}[o].default: Invalid value: {"q":"x","zz":2}: must not have unknown fields`,
      `${p}[l].default[0]: Too long: may not be more than 2 bytes`,
    ]);
    // A CRD stored with such a default (by an older build) can still be updated and deleted.
    const stored = crd(spec({ e: { type: 'string', enum: ['a'], default: 'c' } }));
    expect(validateCRDUpdate(structuredClone(stored), stored).map(fieldErrorString)).toEqual([]);
  });

  it('refuses what would leave custom resources uncheckable: the root, types, items, $ref', () => {
    expect(errorsOf({ type: 'string' })).toEqual([`${at}.type: Invalid value: "string": must be object at the root`]);
    // As upstream: the structural schema's error, then the OpenAPI validation's.
    expect(errorsOf({ type: 'bogus' })).toEqual([
      `${at}.type: Invalid value: "bogus": must be object at the root`,
      `${at}.type: Unsupported value: "bogus": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
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

/** A schema `levels` objects deep (`.properties[a]` each), ending in `leaf`. */
function nested(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let s = leaf;
  for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
  return s;
}
const pathDown = (levels: number): string => `${at}${'.properties[a]'.repeat(levels)}`;

describe('CRD schema depth', () => {
  it('validates a schema to its leaves, however deep within the limit', () => {
    expect(errorsOf(nested(70, { type: 'bogus' }))).toEqual([
      `${pathDown(70)}.type: Unsupported value: "bogus": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
    expect(errorsOf(nested(70, { type: 'string', pattern: '((' })))
      .toEqual([`${pathDown(70)}.pattern: Invalid value: "((": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): \`((\``]);
    expect(errorsOf(nested(maxSchemaDepth, { type: 'string' }))).toEqual([]);
  });

  it(`refuses a schema nested deeper than ${maxSchemaDepth} levels, where it goes too deep`, () => {
    const tooDeep = `Forbidden: must not be nested more than ${maxSchemaDepth} levels deep`;
    expect(errorsOf(nested(maxSchemaDepth + 1, { type: 'bogus' }))).toEqual([`${pathDown(maxSchemaDepth + 1)}: ${tooDeep}`]);
    expect(errorsOf(nested(400, { type: 'string' }))).toEqual([`${pathDown(maxSchemaDepth + 1)}: ${tooDeep}`]);
    // items, additionalProperties and allOf nest too.
    let items: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < maxSchemaDepth + 5; i++) items = { type: 'array', items };
    expect(errorsOf({ type: 'object', properties: { l: items } })).toEqual([`${at}.properties[l]${'.items'.repeat(maxSchemaDepth)}: ${tooDeep}`]);
    let all: Record<string, unknown> = { minLength: 1 };
    for (let i = 0; i < maxSchemaDepth; i++) all = { allOf: [all] };
    expect(errorsOf({ type: 'object', properties: { l: { type: 'string', ...all } } })).toEqual([`${at}.properties[l]${'.allOf[0]'.repeat(maxSchemaDepth)}: ${tooDeep}`]);
  });

  it('has room for real CRDs: the limit is far above the deepest schema of the shared real-world manifests', () => {
    expect(maxSchemaDepth).toBeGreaterThanOrEqual(8 * 11); // calico's deepest is 11 levels
  });
});

describe('CRD names', () => {
  const withNames = (names: Record<string, unknown>): string[] => {
    const c = crd({ type: 'object' }) as { spec: Record<string, unknown> };
    c.spec.names = names;
    return validateCRD(c).map(fieldErrorString);
  };

  it('refuses a kind that is its own listKind, in upstream\'s words', () => {
    expect(withNames({ plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'Widget' })).toEqual(['spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same']);
  });

  it('checks kind and listKind as DNS-1035 labels once lowercased, the others as they are', () => {
    expect(withNames({ plural: 'widgets', singular: 'widget', kind: 'Widget-Kind', listKind: 'WidgetKindList', shortNames: ['wd'], categories: ['all'] })).toEqual([]);
    const label = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    expect(withNames({ plural: 'widgets', singular: 'Widget', kind: '1Widget', listKind: 'Widget_List', shortNames: ['w.d'], categories: ['All'] })).toEqual([
      `spec.names.singular: Invalid value: "Widget": ${label}`,
      `spec.names.kind: Invalid value: "1Widget": may have mixed case, but should otherwise match: ${label}`,
      `spec.names.listKind: Invalid value: "Widget_List": may have mixed case, but should otherwise match: ${label}`,
      `spec.names.shortNames[0]: Invalid value: "w.d": ${label}`,
      `spec.names.categories[0]: Invalid value: "All": ${label}`,
    ]);
  });

  it('requires every name the spec needs', () => {
    expect(withNames({ plural: 'widgets' })).toEqual(['spec.names.singular: Required value', 'spec.names.kind: Required value', 'spec.names.listKind: Required value']);
  });
});

describe('CRD x-kubernetes-embedded-resource and x-kubernetes-int-or-string', () => {
  it('takes an embedded resource only as an object with properties or preserving unknown fields, as upstream', () => {
    expect(errorsOf(spec({ t: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } }, u: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } }))).toEqual([]);
    expect(errorsOf(spec({ s: { type: 'string', 'x-kubernetes-embedded-resource': true }, n: { 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true }, l: { type: 'array', items: { type: 'integer', 'x-kubernetes-embedded-resource': true } } }))).toEqual([
      `${at}.properties[spec].properties[l].items.properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
      `${at}.properties[spec].properties[l].items.type: Invalid value: "integer": must be object if x-kubernetes-embedded-resource is true`,
      `${at}.properties[spec].properties[n].type: Required value: must be object if x-kubernetes-embedded-resource is true`,
      `${at}.properties[spec].properties[s].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
      `${at}.properties[spec].properties[s].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
    ]);
    expect(errorsOf(spec({ m: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true, additionalProperties: { type: 'string' } } }))).toEqual([
      `${at}.properties[spec].properties[m].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`,
    ]);
  });

  it('refuses int-or-string with the other extensions, preserve-unknown-fields false, additionalProperties at the root or beside properties', () => {
    expect(errorsOf(spec({ p: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true }, q: { type: 'object', 'x-kubernetes-int-or-string': true, 'x-kubernetes-embedded-resource': true, properties: { a: { type: 'string' } } }, f: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } }))).toEqual([
      `${at}.properties[spec].properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
      `${at}.properties[spec].properties[q].x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
      `${at}.properties[spec].properties[f].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    ]);
    expect(errorsOf({ type: 'object', additionalProperties: { type: 'string' } })).toEqual([`${at}.additionalProperties: Forbidden: must not be used at the root`]);
    expect(errorsOf(spec({ o: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, t: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true } }))).toEqual([
      `${at}.properties[spec].properties[o].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
  });

  it('requires a type on array items, and none on value validations (allOf, anyOf, oneOf, not)', () => {
    expect(errorsOf(spec({ l: { type: 'array', items: {} }, v: { type: 'string', anyOf: [{ pattern: '^a' }, { properties: { x: { minLength: 1 } } }] } }))).toEqual([
      `${at}.properties[spec].properties[l].items.type: Required value: must not be empty for specified array items`,
    ]);
    expect(errorsOf({ properties: {} })).toEqual([`${at}.type: Required value: must not be empty at the root`]);
  });

  it('forbids in value validations what types, describes or shapes a value; an int-or-string\'s anyOf of integer and string is the exception', () => {
    expect(errorsOf(spec({ v: { type: 'string', anyOf: [{ type: 'string', description: 'd', nullable: true }], not: { 'x-kubernetes-preserve-unknown-fields': true, default: 1 } } }))).toEqual([
      `${at}.properties[spec].properties[v].anyOf[0].description: Forbidden: must be empty to be structural`,
      `${at}.properties[spec].properties[v].anyOf[0].nullable: Forbidden: must be false to be structural`,
      `${at}.properties[spec].properties[v].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${at}.properties[spec].properties[v].not.default: Forbidden: must be undefined to be structural`,
      `${at}.properties[spec].properties[v].not.x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural`,
    ]);
    const intOrString = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    expect(errorsOf(spec({ port: intOrString, port2: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }] } }))).toEqual([]);
    // The pattern is exempt whatever else the schema says; the rest of the first allOf is not.
    expect(errorsOf(spec({ free: { 'x-kubernetes-preserve-unknown-fields': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } }))).toEqual([]);
    expect(errorsOf(spec({ p: { 'x-kubernetes-int-or-string': true, allOf: [{ description: 'd', anyOf: [{ type: 'integer' }, { type: 'string' }] }] } }))).toEqual([
      `${at}.properties[spec].properties[p].allOf[0].description: Forbidden: must be empty to be structural`,
    ]);
  });

  it('forbids keywords custom resources are not checked with, and lets the root say of metadata only name and generateName', () => {
    expect(errorsOf(spec({ l: { type: 'array', items: { type: 'string' }, uniqueItems: true }, m: { type: 'object', patternProperties: { '^a': { type: 'string' } }, id: 'x' } }))).toEqual([
      `${at}.properties[spec].properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
      `${at}.properties[spec].properties[m].id: Forbidden: id is not supported`,
      `${at}.properties[spec].properties[m].patternProperties: Forbidden: patternProperties is not supported`,
    ]);
    const root = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties: props, ...extra });
    expect(errorsOf(root({ metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } }))).toEqual([]);
    expect(errorsOf(root({ metadata: { type: 'object', properties: { labels: { type: 'object' } } }, kind: { type: 'integer' }, apiVersion: { type: 'boolean' } }))).toEqual([
      `${at}.properties[apiVersion].type: Invalid value: "boolean": must be string`,
      `${at}.properties[kind].type: Invalid value: "integer": must be string`,
      `${at}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ]);
    expect(errorsOf(root({ metadata: { type: 'string' } }))).toEqual([`${at}.properties[metadata].type: Invalid value: "string": must be object`]);
    expect(errorsOf(root({}, { allOf: [{ properties: { metadata: {} } }] }))).toEqual([`${at}.allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`]);
  });
});

describe('CRD x-kubernetes-list-type, x-kubernetes-list-map-keys and x-kubernetes-map-type', () => {
  const ports = (extra: Record<string, unknown>, items: Record<string, unknown> = { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, name: { type: 'string' } } }) => spec({ ports: { type: 'array', items, ...extra } });
  const p = `${at}.properties[spec].properties[ports]`;

  it('takes map lists keyed by required or defaulted scalar properties, atomic sets, and map types on objects', () => {
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'] }))).toEqual([]);
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'name'] }, { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, name: { type: 'string', default: 'x' } } }))).toEqual([]);
    expect(errorsOf(spec({ s: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, a: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'string' } }, m: { type: 'object', 'x-kubernetes-map-type': 'atomic' } }))).toEqual([]);
  });

  it('refuses a map list without keys, with keys that are not required scalar item properties, or with items that are not objects', () => {
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'map' }))).toEqual([`${p}.x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`]);
    expect(errorsOf(ports({ 'x-kubernetes-list-map-keys': ['port'] }))).toEqual([`${p}.x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`]);
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'set', 'x-kubernetes-list-map-keys': ['port'] }, { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { port: { type: 'integer' } } }))).toEqual([
      `${p}.x-kubernetes-list-type: Invalid value: "set": must be map if x-kubernetes-list-map-keys is non-empty`,
    ]);
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'nope', 'port', 'name', 'obj'] }, { type: 'object', required: ['port', 'obj'], properties: { port: { type: 'integer' }, name: { type: 'string' }, obj: { type: 'object', nullable: true } } }))).toEqual([
      `${p}.x-kubernetes-list-map-keys: Invalid value: ["port","nope","port","name","obj"]: entries must all be names of item properties`,
      `${p}.x-kubernetes-list-map-keys: Invalid value: ["port","nope","port","name","obj"]: must not contain duplicate entries`,
      `${p}.items.properties[obj].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
      `${p}.items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
      `${p}.items.properties[obj].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable`,
    ]);
    expect(errorsOf(ports({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'] }, { type: 'string', nullable: true }))).toEqual([
      `${p}.items.type: Invalid value: "string": must be object if parent array's x-kubernetes-list-type is map`,
      `${p}.items.nullable: Forbidden: cannot be nullable when x-kubernetes-list-type is map`,
    ]);
  });

  it('refuses list types off arrays, map types off objects, unknown values, and sets of non-atomic items', () => {
    expect(errorsOf(spec({ a: { type: 'string', 'x-kubernetes-list-type': 'set' }, b: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' }, c: { type: 'array', items: { type: 'string' }, 'x-kubernetes-map-type': 'granular' }, d: { type: 'object', 'x-kubernetes-map-type': 'loose' } }))).toEqual([
      `${at}.properties[spec].properties[a].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
      `${at}.properties[spec].properties[b].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
      `${at}.properties[spec].properties[c].type: Invalid value: "array": must be object if x-kubernetes-map-type is specified`,
      `${at}.properties[spec].properties[d].x-kubernetes-map-type: Unsupported value: "loose": supported values: "atomic", "granular"`,
    ]);
    expect(errorsOf(spec({ s: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', properties: { a: { type: 'string' } } } }, t: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } }))).toEqual([
      `${at}.properties[spec].properties[s].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set`,
      `${at}.properties[spec].properties[t].items.x-kubernetes-list-type: Invalid value: "set": must be atomic as item of a list with x-kubernetes-list-type=set`,
    ]);
  });
});

describe('CRD additionalPrinterColumns', () => {
  const withColumns = (columns: unknown[]): string[] => {
    const c = crd({ type: 'object' }) as { spec: { versions: Record<string, unknown>[] } };
    c.spec.versions[0]!.additionalPrinterColumns = columns;
    return validateCRD(c).map(fieldErrorString);
  };
  const col = 'spec.versions[0].additionalPrinterColumns';

  it('takes the types and formats of table cells and JSONPath templates from the root', () => {
    expect(withColumns([{ name: 'A', type: 'integer', format: 'int32', jsonPath: '.spec.a' }, { name: 'B', type: 'date', jsonPath: '.metadata.creationTimestamp' }, { name: 'C', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' }])).toEqual([]);
  });

  it('refuses, in upstream\'s words (and field path), other types and formats, and paths not from the root', () => {
    expect(withColumns([{ name: 'A', type: 'object', jsonPath: '.spec' }, { name: '', type: 'string', format: 'uuid', jsonPath: 'spec.a' }, { type: '', jsonPath: '' }])).toEqual([
      `${col}[0].type: Invalid value: "object": must be one of boolean,date,integer,number,string`,
      `${col}[1].name: Required value`,
      `${col}[1].format: Invalid value: "uuid": must be one of byte,date,date-time,double,float,int32,int64,password`,
      `${col}[1].JSONPath: Invalid value: "spec.a": must be a simple json path starting with .`,
      `${col}[2].name: Required value`,
      `${col}[2].type: Required value: must be one of boolean,date,integer,number,string`,
      `${col}[2].JSONPath: Required value`,
    ]);
  });
});

describe('CRD updates', () => {
  it('are not held to what the stored CRD already broke (stored by an older build), but to anything new', () => {
    const old = crd(spec({ l: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { k: { type: 'string' } } } } })) as { metadata: Record<string, unknown>; spec: { names: Record<string, unknown> } };
    old.spec.names.listKind = 'Widget';
    old.metadata.resourceVersion = '1';
    expect(validateCRD(old).length).toBeGreaterThan(0);
    const next = structuredClone(old);
    next.metadata.finalizers = [];
    expect(validateCRDUpdate(next, old)).toEqual([]);
    const worse = structuredClone(next) as typeof next & { spec: { versions: { additionalPrinterColumns?: unknown[] }[] } };
    worse.spec.versions[0]!.additionalPrinterColumns = [{ name: 'A', type: 'object', jsonPath: '.spec' }];
    expect(validateCRDUpdate(worse, old).map(fieldErrorString)).toEqual([`spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "object": must be one of boolean,date,integer,number,string`]);
  });
});

describe('CRD defaults', () => {
  it('a conversion webhook service gets port 443 when it names none (SetDefaults_ServiceReference)', () => {
    const withWebhook = (service: Record<string, unknown>) => {
      const o = crd({ type: 'object' }) as any;
      o.spec.conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { service } } };
      validationFor('apiextensions.k8s.io/CustomResourceDefinition').applyDefaults(o);
      return o.spec.conversion.webhook.clientConfig.service;
    };
    expect(withWebhook({ name: 'conv', namespace: 'x', path: '/convert' })).toEqual({ name: 'conv', namespace: 'x', path: '/convert', port: 443 });
    expect(withWebhook({ name: 'conv', namespace: 'x', port: 8443 }).port).toBe(8443);
  });
});
