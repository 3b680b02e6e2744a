import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import { customResourceTypeErrors, maxSchemaDepth, ratchetErrors, validateCustomResourceValue } from './custom-resource.js';

const schema = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        count: { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 3 },
        mode: { type: 'string', enum: ['a', 'b'] },
        tags: { type: 'array', maxItems: 2, uniqueItems: true, items: { type: 'string', minLength: 1 } },
        labels: { type: 'object', maxProperties: 1, additionalProperties: { type: 'string', maxLength: 3 } },
      },
    },
  },
};

describe('custom resource values against their openAPIV3Schema', () => {
  it('passes a valid object and ignores the root metadata', () => {
    expect(validateCustomResourceValue({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'Not Checked Here' }, spec: { name: 'ab', count: 3, mode: 'a', tags: ['t'], labels: { k: 'v' } } }, schema)).toEqual([]);
  });

  it('reports every violated constraint with its path, as upstream words them', () => {
    const errs = validateCustomResourceValue({ spec: { name: 'ABCDEF', count: 0, mode: 'c', tags: ['x', 'x', ''], labels: { a: 'long', b: 'v' } } }, schema).map(fieldErrorString);
    expect(errs).toEqual([
      'spec.name: Too long: may not be more than 5 bytes',
      "spec.name: Invalid value: \"ABCDEF\": spec.name in body should match '^[a-z]+$'",
      'spec.count: Invalid value: 0: spec.count in body should be greater than 0',
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
      'spec.tags: Too many: 3: must have at most 2 items',
      "spec.tags: Invalid value: [\"x\",\"x\",\"\"]: spec.tags in body shouldn't contain duplicates",
      'spec.tags[2]: Invalid value: "": spec.tags[2] in body should be at least 1 chars long',
      'spec.labels: Invalid value: 2: spec.labels in body should have at most 1 properties',
      'spec.labels.a: Too long: may not be more than 3 bytes',
    ]);
    expect(validateCustomResourceValue({ spec: {} }, schema).map(fieldErrorString)).toEqual(['spec.name: Required value']);
    expect(validateCustomResourceValue({}, schema).map(fieldErrorString)).toEqual(['spec: Required value']);
  });
});

describe('custom resource types against their openAPIV3Schema', () => {
  it('reports each wrong type with its path and does not look inside it', () => {
    const s = { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' }, f: { type: 'number' }, port: { 'x-kubernetes-int-or-string': true }, list: { type: 'array', items: { type: 'string' } } } } } };
    expect(customResourceTypeErrors({ metadata: 5, spec: { n: 1, f: 2, port: 'http', list: ['a'] } }, s)).toEqual([]);
    expect(customResourceTypeErrors({ spec: { n: 1.5, f: 'x', port: true, list: ['a', 3] } }, s).map(fieldErrorString)).toEqual([
      'spec.n: Invalid value: "number": spec.n in body must be of type integer: "number"',
      'spec.f: Invalid value: "string": spec.f in body must be of type number: "string"',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      'spec.list[1]: Invalid value: "integer": spec.list[1] in body must be of type string: "integer"',
    ]);
    expect(customResourceTypeErrors({ spec: 'x' }, s).map(fieldErrorString)).toEqual(['spec: Invalid value: "string": spec in body must be of type object: "string"']);
  });

  it('reports the required properties missing beside the type errors, and nothing when no type is wrong', () => {
    const pool = { type: 'object', properties: { spec: { type: 'object', required: ['addresses'], properties: { addresses: { type: 'array', items: { type: 'string' } }, autoAssign: { type: 'boolean' } } } } };
    expect(customResourceTypeErrors({ spec: { autoAssign: 'yes' } }, pool).map(fieldErrorString)).toEqual([
      'spec.addresses: Required value',
      'spec.autoAssign: Invalid value: "string": spec.autoAssign in body must be of type boolean: "string"',
    ]);
    // Alone, a missing property is the full validation's to report.
    expect(customResourceTypeErrors({ spec: { autoAssign: true } }, pool)).toEqual([]);
    expect(validateCustomResourceValue({ spec: { autoAssign: true } }, pool).map(fieldErrorString)).toEqual(['spec.addresses: Required value']);
  });
});

describe('custom resource patterns', () => {
  it('are matched as RE2, in linear time: a pattern with nested quantifiers cannot stall the server', () => {
    const redos = { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } } } };
    const started = Date.now();
    const errs = validateCustomResourceValue({ spec: { a: `${'a'.repeat(200_000)}!` } }, redos).map(fieldErrorString);
    // A backtracking engine takes seconds at 28 characters and ages at 200,000.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec\.a: Invalid value: "a+!": spec\.a in body should match '\^\(a\+\)\+\$'$/);
    expect(validateCustomResourceValue({ spec: { a: 'aaaa' } }, redos)).toEqual([]);
  });
});

describe('custom resources as deep as their schema', () => {
  /** A schema `levels` objects deep (`.properties.a` each), ending in `leaf`; and a value to match. */
  const nested = (levels: number, leaf: Record<string, unknown>): Record<string, unknown> => {
    let s = leaf;
    for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
    return s;
  };
  const value = (levels: number, leaf: unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < levels; i++) v = { a: v };
    return v;
  };
  const pathDown = (levels: number): string => Array.from({ length: levels }, () => 'a').join('.');

  it('checks values and types to the schema\'s deepest level', () => {
    const s = nested(100, { type: 'string', minLength: 3 });
    expect(validateCustomResourceValue(value(100, 'xy'), s).map(fieldErrorString)).toEqual([
      `${pathDown(100)}: Invalid value: "xy": ${pathDown(100)} in body should be at least 3 chars long`,
    ]);
    expect(customResourceTypeErrors(value(100, 5), s).map(fieldErrorString)).toEqual([
      `${pathDown(100)}: Invalid value: "integer": ${pathDown(100)} in body must be of type string: "integer"`,
    ]);
    expect(validateCustomResourceValue(value(100, 'xyz'), s)).toEqual([]);
  });

  it('takes values nested deeper than the schema below x-kubernetes-preserve-unknown-fields', () => {
    const s = nested(3, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(validateCustomResourceValue(value(500, 'x'), s)).toEqual([]);
    expect(customResourceTypeErrors(value(500, 'x'), s)).toEqual([]);
  });

  it(`refuses a value where its schema (stored before CRDs were held to ${maxSchemaDepth} levels) is deeper than that`, () => {
    const s = nested(maxSchemaDepth + 10, { type: 'string', minLength: 3 });
    expect(validateCustomResourceValue(value(maxSchemaDepth + 10, 'xy'), s).map(fieldErrorString)).toEqual([
      `${pathDown(maxSchemaDepth + 1)}: Forbidden: its schema is nested more than ${maxSchemaDepth} levels deep and cannot be validated`,
    ]);
  });
});

describe('formats, junctions, list types, embedded resources and the name', () => {
  const s = {
    type: 'object',
    properties: {
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } },
      spec: {
        type: 'object',
        properties: {
          t: { type: 'string', format: 'date-time' },
          d: { type: 'string', format: 'date' },
          e: { type: 'string', format: 'email' },
          u: { type: 'string', format: 'uuid' },
          ip: { type: 'string', format: 'ipv4' },
          b: { type: 'string', format: 'byte' },
          n: { type: 'integer', format: 'int32' },
          one: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
          any: { type: 'string', anyOf: [{ minLength: 5 }, { pattern: '^x' }] },
          nt: { type: 'string', not: { enum: ['bad'] } },
          st: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          mp: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key'], items: { type: 'object', properties: { key: { type: 'string' } } } },
          emb: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  };
  const good = {
    metadata: { name: 'short' },
    spec: { t: '2026-12-05T09:10:00Z', d: '2024-02-29', e: 'a@example.com', u: '123e4567-e89b-12d3-a456-426614174000', ip: '10.0.0.1', b: 'aGk=', n: 2 ** 40, one: { a: 'x' }, any: 'xy', nt: 'ok', st: ['a', 'b'], mp: [{ key: 'a' }, { key: 'b' }], emb: { apiVersion: 'v1', kind: 'Pod' } },
  };

  it('passes valid values; an int32 format is not checked (upstream strips formats it does not support)', () => {
    expect(validateCustomResourceValue(good, s).map(fieldErrorString)).toEqual([]);
  });

  it('reports what upstream reports, each at its path', () => {
    const bad = {
      metadata: { name: 'toolongname' },
      spec: { t: 'yesterday', d: '2023-02-29', e: 'not-an-email', u: 'nope', ip: '999.1.1.1', b: '!!!', one: { a: 'x', b: 'y' }, any: 'abc', nt: 'bad', st: ['a', 'a'], mp: [{ key: 'a' }, { key: 'a' }], emb: { metadata: {} } },
    };
    expect(validateCustomResourceValue(bad, s).map(fieldErrorString)).toEqual([
      'metadata.name: Too long: may not be more than 5 bytes',
      'spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"',
      'spec.d: Invalid value: "2023-02-29": spec.d in body must be of type date: "2023-02-29"',
      'spec.e: Invalid value: "not-an-email": spec.e in body must be of type email: "not-an-email"',
      'spec.u: Invalid value: "nope": spec.u in body must be of type uuid: "nope"',
      'spec.ip: Invalid value: "999.1.1.1": spec.ip in body must be of type ipv4: "999.1.1.1"',
      'spec.b: Invalid value: "!!!": spec.b in body must be of type byte: "!!!"',
      'spec.one: Invalid value: "": "spec.one" must validate one and only one schema (oneOf). Found 2 valid alternatives',
      'spec.any: Invalid value: "": "spec.any" must validate at least one schema (anyOf)',
      'spec.any: Invalid value: "abc": spec.any in body should be at least 5 chars long',
      'spec.nt: Invalid value: "": "spec.nt" must not validate the schema (not)',
      'spec.st[1]: Duplicate value: "a"',
      'spec.mp[1]: Duplicate value: map[string]interface {}{"key":"a"}',
      'spec.emb.apiVersion: Required value: must not be empty',
      'spec.emb.kind: Required value: must not be empty',
    ]);
  });
});

describe('ratcheting', () => {
  const s = { type: 'object', properties: { spec: { type: 'object', required: ['need'], properties: { n: { type: 'integer', maximum: 2 }, m: { type: 'integer', maximum: 2 }, need: { type: 'string' }, st: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } } } };
  const errsOf = (o: unknown, old: unknown) => ratchetErrors(validateCustomResourceValue(o, s), o, old).map(fieldErrorString);
  const stored = { spec: { n: 5, st: ['a', 'a'] }, metadata: { finalizers: ['x'] } };

  it('keeps an update that leaves the values a tightened schema refuses as they were', () => {
    expect(validateCustomResourceValue(stored, s).length).toBe(3);
    expect(errsOf({ ...stored, metadata: {} }, stored)).toEqual([]);
  });

  it('holds what the update changes or adds to the rules', () => {
    expect(errsOf({ spec: { n: 6, m: 3, st: ['a', 'a'] } }, stored)).toEqual([
      'spec.need: Required value',
      'spec.n: Invalid value: 6: spec.n in body should be less than or equal to 2',
      'spec.m: Invalid value: 3: spec.m in body should be less than or equal to 2',
    ]);
    expect(errsOf({ spec: { n: 5, st: ['a', 'a', 'b'] } }, stored)).toEqual(['spec.need: Required value', 'spec.st[1]: Duplicate value: "a"']);
  });
});
