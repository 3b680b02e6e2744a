import { describe, expect, it } from 'vitest';
import { fieldErrorString, invalid } from '../errors.js';
import { celBlockedError, celDefaultErrors, celSchemaErrors, celValidate, celValueErrors } from './index.js';
import { rootValidator } from './validator.js';

const errs = (obj: unknown, old: unknown, schema: unknown): string[] => celValueErrors(obj, old, schema).map(fieldErrorString);

const rule = (r: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ rule: r, ...extra });

function crd(spec: Record<string, unknown>, rootRules: unknown[] = []): Record<string, unknown> {
  return { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec }, ...(rootRules.length ? { 'x-kubernetes-validations': rootRules } : {}) };
}

describe('custom resource values against x-kubernetes-validations', () => {
  const schema = crd(
    {
      type: 'object',
      'x-kubernetes-validations': [rule('self.replicas <= self.maxReplicas', { message: 'replicas must not exceed maxReplicas' })],
      properties: { replicas: { type: 'integer' }, maxReplicas: { type: 'integer' } },
    },
    [rule("self.metadata.name.startsWith('my-')")],
  );

  it('passes a value every rule holds for', () => {
    expect(errs({ metadata: { name: 'my-x' }, spec: { replicas: 1, maxReplicas: 2 } }, undefined, schema)).toEqual([]);
  });

  it('reports a failed rule with its message at the node, as the API server shows it', () => {
    const e = celValueErrors({ metadata: { name: 'my-x' }, spec: { replicas: 3, maxReplicas: 2 } }, undefined, schema);
    expect(e).toEqual([{ type: 'FieldValueInvalid', field: 'spec', badValue: 'object', detail: 'replicas must not exceed maxReplicas' }]);
    expect(invalid({ group: 'example.com', resource: 'foos', kind: 'Foo' }, 'x', e).message).toBe('Foo.example.com "x" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas');
  });

  it('reports a root rule at <nil> and a rule without message as failed rule', () => {
    expect(errs({ metadata: { name: 'x' }, spec: {} }, undefined, schema)).toEqual([
      '<nil>: Invalid value: "object": failed rule: self.metadata.name.startsWith(\'my-\')',
      'spec: Invalid value: "object": no such key: replicas evaluating rule: replicas must not exceed maxReplicas',
    ]);
  });

  it('reports a rule that does not compile on every value, as a stored CRD could hold one', () => {
    const s = crd({ type: 'object', 'x-kubernetes-validations': [rule('self.nope == 1')] });
    expect(errs({ spec: {} }, undefined, s)[0]).toMatch(/^spec: Invalid value: "object": rule compile error: compilation failed: ERROR: <input>:1:5: undefined field 'nope'/);
  });

  it('skips null values and absent fields', () => {
    const s = crd({ type: 'object', nullable: true, 'x-kubernetes-validations': [rule('false')] });
    expect(errs({ spec: null }, undefined, s)).toEqual([]);
    expect(errs({}, undefined, s)).toEqual([]);
  });

  it('reports at list items, map values and through fieldPath, with the rule reason', () => {
    const s = crd({
      type: 'object',
      properties: {
        items: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [rule('self.size() < 3')] } },
        labels: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [rule("self != 'bad'", { reason: 'FieldValueForbidden', message: 'not bad' })] } },
        config: {
          type: 'object',
          properties: { a: { type: 'integer' }, 'key.with.dots': { type: 'string' }, m: { type: 'object', additionalProperties: { type: 'string' } } },
          'x-kubernetes-validations': [
            rule('self.a > 0', { fieldPath: '.a', reason: 'FieldValueRequired', message: 'a must be positive' }),
            rule("self.key__dot__with__dot__dots != ''", { fieldPath: "['key.with.dots']" }),
            rule("!('x' in self.m)", { fieldPath: '.m.x', reason: 'FieldValueDuplicate' }),
          ],
        },
      },
    });
    expect(errs({ spec: { items: ['ok', 'long'], labels: { a: 'bad' }, config: { a: 0, 'key.with.dots': '', m: { x: '1' } } } }, undefined, s)).toEqual([
      'spec.items[1]: Invalid value: "string": failed rule: self.size() < 3',
      'spec.labels[a]: Forbidden: not bad',
      'spec.config.a: Required value: a must be positive',
      "spec.config.key.with.dots: Invalid value: \"object\": failed rule: self.key__dot__with__dot__dots != ''",
      'spec.config.m[x]: Duplicate value: "object"',
    ]);
  });

  it('reports run-time errors as upstream does', () => {
    const s = crd({
      type: 'object',
      properties: { n: { type: 'integer' }, d: { type: 'integer' }, port: { 'x-kubernetes-int-or-string': true } },
      'x-kubernetes-validations': [rule('self.n / self.d > 0'), rule('self.n * 4611686018427387904 > 0'), rule('self.missing.size() > 0', { message: 'needs missing' }), rule('self.port > 0')],
    });
    (s.properties as Record<string, Record<string, unknown>>).spec!.properties = {
      ...((s.properties as Record<string, Record<string, unknown>>).spec!.properties as object),
      missing: { type: 'string' },
    };
    expect(errs({ spec: { n: 4, d: 0, port: 'http' } }, undefined, s)).toEqual([
      'spec: Invalid value: "object": division by zero evaluating rule: self.n / self.d > 0',
      'spec: Invalid value: "object": integer overflow evaluating rule: self.n * 4611686018427387904 > 0',
      'spec: Invalid value: "object": no such key: missing evaluating rule: needs missing',
      "spec: Invalid value: \"object\": 'no such overload': call arguments did not match a supported operator, function or macro signature for rule: self.port > 0",
    ]);
  });

  it('maps schema types to CEL types: int vs double, durations, timestamps, bytes, int-or-string', () => {
    const s = crd({
      type: 'object',
      properties: {
        i: { type: 'integer' },
        n: { type: 'number' },
        d: { type: 'string', format: 'duration' },
        t: { type: 'string', format: 'date-time' },
        day: { type: 'string', format: 'date' },
        b: { type: 'string', format: 'byte' },
        ios: { 'x-kubernetes-int-or-string': true },
        cpu: { 'x-kubernetes-int-or-string': true },
      },
      'x-kubernetes-validations': [
        rule('type(self.i) == int && type(self.n) == double && self.n == 2.0'),
        rule("self.d == duration('90s') && self.t > timestamp('2020-01-01T00:00:00Z') && self.day.getDayOfWeek() == 1"),
        rule("string(self.b) == 'hello'"),
        rule("type(self.ios) == string ? self.ios.endsWith('%') : self.ios > 0"),
        rule("quantity(string(self.cpu)).isLessThan(quantity('2'))"),
      ],
    });
    expect(errs({ spec: { i: 1, n: 2, d: '1m30s', t: '2024-05-01T10:00:00+02:00', day: '2024-04-29', b: 'aGVsbG8=', ios: '50%', cpu: '500m' } }, undefined, s)).toEqual([]);
    expect(errs({ spec: { i: 1, n: 2, d: '1m30s', t: '2024-05-01T10:00:00Z', day: '2024-04-29', b: 'aGVsbG8=', ios: 5, cpu: '3' } }, undefined, s)).toEqual([
      'spec: Invalid value: "object": failed rule: quantity(string(self.cpu)).isLessThan(quantity(\'2\'))',
    ]);
  });

  it('evaluates messageExpression, and falls back to message when it fails', () => {
    const s = crd({
      type: 'object',
      properties: { n: { type: 'integer' } },
      'x-kubernetes-validations': [
        rule('self.n < 10', { messageExpression: "'n is ' + string(self.n) + ', over 10'" }),
        rule('self.n < 5', { message: 'static', messageExpression: "'x' + ['a'][3]" }),
        rule('self.n < 2', { messageExpression: "'   '" }),
      ],
    });
    expect(errs({ spec: { n: 12 } }, undefined, s)).toEqual(['spec: Invalid value: "object": n is 12, over 10', 'spec: Invalid value: "object": static', 'spec: Invalid value: "object": failed rule: self.n < 2']);
  });

  it('ignores rules that exist only in allOf, as upstream does, and runs them beside others', () => {
    const onlyAllOf = crd({ type: 'object', properties: { a: { type: 'string' } }, allOf: [{ 'x-kubernetes-validations': [rule("self.a == 'x'")] }] });
    expect(errs({ spec: { a: 'y' } }, undefined, onlyAllOf)).toEqual([]);
    const both = crd({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [rule('true')], allOf: [{ 'x-kubernetes-validations': [rule("self.a == 'x'", { message: 'a must be x' })] }] });
    expect(errs({ spec: { a: 'y' } }, undefined, both)).toEqual(['spec: Invalid value: "object": a must be x']);
  });

  it('compiles a schema once and caches it by schema object', () => {
    const s = crd({ type: 'object', 'x-kubernetes-validations': [rule('true')] });
    expect(rootValidator(s)).toBe(rootValidator(s));
    expect(rootValidator(crd({ type: 'object' }))).toBeUndefined();
  });
});

describe('transition rules', () => {
  const schema = crd({
    type: 'object',
    properties: {
      mode: { type: 'string', 'x-kubernetes-validations': [rule('self == oldSelf', { message: 'Value is immutable' })] },
      count: { type: 'integer', 'x-kubernetes-validations': [rule('self >= oldSelf', { message: 'count may not decrease' })] },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [rule('self.port == oldSelf.port', { message: 'port is immutable' })] },
      },
      min: { type: 'integer', 'x-kubernetes-validations': [rule('self >= 10 || (oldSelf.hasValue() && oldSelf.value() <= self)', { optionalOldSelf: true, message: 'at least 10, or no lower than before' })] },
    },
  });

  it('are not evaluated on create (no old value)', () => {
    expect(errs({ spec: { mode: 'a', count: 1, ports: [{ name: 'http', port: 80 }] } }, undefined, schema)).toEqual([]);
  });

  it('compare with the old value on update', () => {
    const old = { spec: { mode: 'a', count: 5, ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } };
    expect(errs({ spec: { mode: 'b', count: 4, ports: [{ name: 'https', port: 8443 }, { name: 'http', port: 80 }, { name: 'new', port: 1 }] } }, old, schema)).toEqual([
      'spec.mode: Invalid value: "string": Value is immutable',
      'spec.count: Invalid value: "integer": count may not decrease',
      'spec.ports[0]: Invalid value: "object": port is immutable',
    ]);
  });

  it('are skipped where the old object lacks the field', () => {
    expect(errs({ spec: { mode: 'b' } }, { spec: {} }, schema)).toEqual([]);
  });

  it('with optionalOldSelf, run on create with oldSelf none', () => {
    expect(errs({ spec: { min: 9 } }, undefined, schema)).toEqual(['spec.min: Invalid value: "integer": at least 10, or no lower than before']);
    expect(errs({ spec: { min: 12 } }, undefined, schema)).toEqual([]);
    expect(errs({ spec: { min: 6 } }, { spec: { min: 5 } }, schema)).toEqual([]);
    expect(errs({ spec: { min: 4 } }, { spec: { min: 5 } }, schema)).toEqual(['spec.min: Invalid value: "integer": at least 10, or no lower than before']);
  });
});

describe('list types in rules', () => {
  const schema = crd({
    type: 'object',
    properties: {
      ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } }, 'x-kubernetes-validations': [rule('self == oldSelf', { message: 'ports are immutable' })] },
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' }, 'x-kubernetes-validations': [rule("self == ['a', 'b']", { message: 'tags must be a and b' })] },
      merged: {
        type: 'object',
        properties: { l: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' }, v: { type: 'integer' } } } } },
        'x-kubernetes-validations': [rule("(oldSelf.l + self.l).map(e, e.k + string(e.v)).join(',') == 'a1,c3,b2'", { message: 'merged by key' })],
      },
    },
  });

  it('compare map and set lists without regard to order, and merge map lists by key', () => {
    const obj = { spec: { ports: [{ name: 'b', port: 2 }, { name: 'a', port: 1 }], tags: ['b', 'a'], merged: { l: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }] } } };
    const old = { spec: { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }], merged: { l: [{ k: 'a', v: 9 }, { k: 'c', v: 3 }] } } };
    expect(errs(obj, old, schema)).toEqual([]);
    expect(errs({ spec: { tags: ['a', 'c'] } }, undefined, schema)).toEqual(['spec.tags: Invalid value: "array": tags must be a and b']);
    expect(errs({ spec: { ports: [{ name: 'a', port: 3 }] } }, { spec: { ports: [{ name: 'a', port: 1 }] } }, schema)).toEqual(['spec.ports: Invalid value: "array": ports are immutable']);
  });
});

describe('ratcheting (CRDValidationRatcheting)', () => {
  const schema = crd({
    type: 'object',
    properties: {
      a: { type: 'string', 'x-kubernetes-validations': [rule("self == 'good'", { message: 'a must be good' })] },
      b: { type: 'string', 'x-kubernetes-validations': [rule("self == 'good'", { message: 'b must be good' }), rule('self == oldSelf', { message: 'b is immutable' })] },
    },
  });

  it('turns errors of unchanged values into warnings on update', () => {
    const old = { spec: { a: 'bad', b: 'bad' } };
    const r = celValidate({ spec: { a: 'bad', b: 'worse' } }, old, schema);
    expect(r.errors.map(fieldErrorString)).toEqual(['spec.b: Invalid value: "string": b must be good', 'spec.b: Invalid value: "string": b is immutable']);
    expect(r.warnings.map(fieldErrorString)).toEqual(['spec.a: Invalid value: "string": a must be good']);
    expect(celValidate({ spec: { a: 'bad', b: 'worse' } }, old, schema, { ratcheting: false }).errors).toHaveLength(3);
  });
});

describe('cost limits', () => {
  it('stop all rules when the budget for the object runs out', () => {
    const s = crd({ type: 'object', properties: { l: { type: 'array', items: { type: 'string' } } }, 'x-kubernetes-validations': [rule("self.l.all(x, x != '')"), rule('self.l.size() > 0')] });
    const r = celValidate({ spec: { l: ['a', 'b', 'c'] } }, undefined, s, { costBudget: 10 });
    expect(r.errors.map(fieldErrorString)).toEqual(['spec: Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run']);
  });

  it('stop a rule past the per-call limit, and the rules after it', () => {
    const s = crd({ type: 'object', properties: { l: { type: 'array', items: { type: 'integer' } } }, 'x-kubernetes-validations': [rule('self.l.all(a, self.l.all(b, a + b >= 0))'), rule('false')] });
    const r = celValidate({ spec: { l: Array.from({ length: 40 }, (_, i) => i) } }, undefined, s, { perCallLimit: 1000 });
    expect(r.errors.map(fieldErrorString)).toEqual([
      "spec: Invalid value: \"object\": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: self.l.all(a, self.l.all(b, a + b >= 0))",
    ]);
  });
});

describe('real-world rules (Gateway API style)', () => {
  const backendRefs = { type: 'array', maxItems: 16, items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [rule('!has(self.port) || self.port > 0', { message: 'port must be positive' })] } };
  const schema = crd({
    type: 'object',
    properties: {
      backendRefs: { ...backendRefs, 'x-kubernetes-validations': [rule("self.all(r, r.kind == 'Service')", { message: 'only Services' }), rule('self.size() <= 16')] },
      listeners: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, hostname: { type: 'string' } } },
        'x-kubernetes-validations': [rule('self.all(l1, self.exists_one(l2, l1.name == l2.name))', { message: 'Listener name must be unique within the Gateway' })],
      },
      path: {
        type: 'object',
        properties: { type: { type: 'string' }, value: { type: 'string' } },
        'x-kubernetes-validations': [
          rule("(self.type in ['Exact', 'PathPrefix']) ? self.value.startsWith('/') : true", { message: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']" }),
          rule("(self.type in ['Exact', 'PathPrefix']) ? !self.value.contains('//') : true", { message: "must not contain '//' when type one of ['Exact', 'PathPrefix']" }),
        ],
      },
      gatewayClassName: { type: 'string', 'x-kubernetes-validations': [rule('self == oldSelf', { message: 'Value is immutable' })] },
    },
  });

  it('passes a valid object', () => {
    const obj = { spec: { backendRefs: [{ kind: 'Service', name: 'a', port: 80 }], listeners: [{ name: 'http' }, { name: 'https' }], path: { type: 'PathPrefix', value: '/api' }, gatewayClassName: 'x' } };
    expect(errs(obj, undefined, schema)).toEqual([]);
    expect(errs(obj, obj, schema)).toEqual([]);
  });

  it('reports each broken rule', () => {
    const old = { spec: { gatewayClassName: 'x' } };
    const obj = { spec: { backendRefs: [{ kind: 'Pod', name: 'a', port: 0 }], listeners: [{ name: 'http' }, { name: 'http' }], path: { type: 'Exact', value: 'api//v1' }, gatewayClassName: 'y' } };
    expect(errs(obj, old, schema)).toEqual([
      'spec.backendRefs: Invalid value: "array": only Services',
      'spec.backendRefs[0]: Invalid value: "object": port must be positive',
      'spec.listeners: Invalid value: "array": Listener name must be unique within the Gateway',
      "spec.path: Invalid value: \"object\": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
      "spec.path: Invalid value: \"object\": must not contain '//' when type one of ['Exact', 'PathPrefix']",
      'spec.gatewayClassName: Invalid value: "string": Value is immutable',
    ]);
  });
});

describe('CRD schema errors of x-kubernetes-validations', () => {
  const base = 'spec.versions[0].schema.openAPIV3Schema';
  const schemaErrs = (s: unknown): string[] => celSchemaErrors(s, base).map(fieldErrorString);

  it('accepts good rules', () => {
    expect(schemaErrs(crd({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [rule("self.a == 'x'", { messageExpression: "'a is ' + self.a", fieldPath: '.a', reason: 'FieldValueForbidden' })] }))).toEqual([]);
  });

  it('reports compile errors with the rule as the bad value', () => {
    const s = crd({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [rule('self.b == 1'), rule('self.a + 1 == 2'), rule('self.a'), rule('self.a ==')] });
    expect(schemaErrs(s)).toEqual([
      `${base}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {"rule":"self.b == 1"}: compilation failed: ERROR: <input>:1:5: undefined field 'b'\n | self.b == 1\n | ....^`,
      `${base}.properties[spec].x-kubernetes-validations[1].rule: Invalid value: {"rule":"self.a + 1 == 2"}: compilation failed: ERROR: <input>:1:8: found no matching overload for '_+_' applied to '(string, int)'\n | self.a + 1 == 2\n | .......^`,
      `${base}.properties[spec].x-kubernetes-validations[2].rule: Invalid value: {"rule":"self.a"}: cel expression must evaluate to a bool`,
      `${base}.properties[spec].x-kubernetes-validations[3].rule: Invalid value: {"rule":"self.a =="}: compilation failed: ERROR: <input>:1:10: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | self.a ==\n | .........^`,
    ]);
  });

  it('reports bad message, messageExpression, reason and fieldPath, and then compiles nothing there', () => {
    const s = crd({
      type: 'object',
      properties: { a: { type: 'string' } },
      'x-kubernetes-validations': [rule(''), rule('true', { message: '  ' }), rule('true', { message: 'two\nlines' }), rule('true &&\ntrue'), rule('true', { messageExpression: ' ' }), rule('true', { reason: 'FieldValueBogus' }), rule('true', { fieldPath: '.b' }), rule('self.nope')],
    });
    expect(schemaErrs(s)).toEqual([
      `${base}.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified`,
      `${base}.properties[spec].x-kubernetes-validations[1].message: Invalid value: "  ": message must be non-empty if specified`,
      `${base}.properties[spec].x-kubernetes-validations[2].message: Invalid value: "two\\nlines": message must not contain line breaks`,
      `${base}.properties[spec].x-kubernetes-validations[3].message: Required value: message must be specified if rule contains line breaks`,
      `${base}.properties[spec].x-kubernetes-validations[4].messageExpression: Required value: messageExpression must be non-empty if specified`,
      `${base}.properties[spec].x-kubernetes-validations[5].reason: Unsupported value: "FieldValueBogus": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
      `${base}.properties[spec].x-kubernetes-validations[6].fieldPath: Invalid value: ".b": fieldPath must be a valid path`,
    ]);
  });

  it('reports messageExpressions that do not compile or are no strings', () => {
    const s = crd({ type: 'object', 'x-kubernetes-validations': [rule('true', { messageExpression: '1' }), rule('true', { messageExpression: 'self.x' })] });
    expect(schemaErrs(s)).toEqual([
      `${base}.properties[spec].x-kubernetes-validations[0].messageExpression: Invalid value: {"rule":"true","messageExpression":"1"}: messageExpression must evaluate to a string`,
      `${base}.properties[spec].x-kubernetes-validations[1].messageExpression: Invalid value: {"rule":"true","messageExpression":"self.x"}: messageExpression compilation failed: ERROR: <input>:1:5: undefined field 'x'\n | self.x\n | ....^`,
    ]);
  });

  it('refuses oldSelf where old values do not correlate, and optionalOldSelf without oldSelf', () => {
    const s = crd({
      type: 'object',
      properties: {
        list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-validations': [rule('self == oldSelf')] } } } },
        set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string', 'x-kubernetes-validations': [rule('self == oldSelf')] } },
        mapList: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } }, 'x-kubernetes-validations': [rule('self == oldSelf')] } },
        b: { type: 'string', 'x-kubernetes-validations': [rule("self != ''", { optionalOldSelf: false })] },
      },
    });
    expect(schemaErrs(s)).toEqual([
      `${base}.properties[spec].properties[list].items.properties[a].x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ${base}.properties[spec].properties[list]`,
      `${base}.properties[spec].properties[set].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ${base}.properties[spec].properties[set]`,
      `${base}.properties[spec].properties[b].x-kubernetes-validations[0].optionalOldSelf: Invalid value: false: may not be set if oldSelf is not used in rule`,
    ]);
  });

  it('sees only name and generateName of metadata at the root', () => {
    expect(schemaErrs(crd({ type: 'object' }, [rule("self.metadata.name.startsWith('a') && self.kind == 'Foo'")]))).toEqual([]);
    expect(schemaErrs(crd({ type: 'object' }, [rule("self.metadata.labels['a'] == 'b'")]))[0]).toContain("undefined field 'labels'");
  });

  it('refuses rules on nodes CEL cannot type', () => {
    const s = crd({ type: 'object', properties: { raw: { 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-validations': [rule('true')] } } });
    expect(schemaErrs(s)).toEqual([
      `${base}.properties[spec].properties[raw].x-kubernetes-validations: Forbidden: Internal error: internal error: failed to construct type information for x-kubernetes-validations rules: unable to convert structural schema to CEL declarations`,
    ]);
    // A stored CRD with such a rule: upstream's validator leaves fields CEL cannot type out.
    expect(errs({ spec: { raw: { a: 1 } } }, undefined, s)).toEqual([]);
  });

  it('does not compile rules under allOf, anyOf, oneOf or not', () => {
    expect(schemaErrs(crd({ type: 'object', allOf: [{ 'x-kubernetes-validations': [rule('self.nope')] }] }))).toEqual([]);
    expect(schemaErrs(crd({ type: 'object', anyOf: [{ 'x-kubernetes-validations': [rule('')] }] }))).toEqual([`${base}.properties[spec].anyOf[0].x-kubernetes-validations[0].rule: Required value: rule is not specified`]);
  });
});

describe('CRD default values against x-kubernetes-validations', () => {
  it('validates each default against the rules at and below its node', () => {
    const s = crd({
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 0, 'x-kubernetes-validations': [rule('self > 0', { message: 'must be positive' })] },
        mode: { type: 'string', default: 'a', 'x-kubernetes-validations': [rule('self == oldSelf')] },
        tier: { type: 'string', default: 'x', 'x-kubernetes-validations': [rule("oldSelf.hasValue() || self == 'gold'", { optionalOldSelf: true })] },
        config: { type: 'object', default: { n: 5 }, properties: { n: { type: 'integer', 'x-kubernetes-validations': [rule('self < 3')] } } },
      },
    });
    expect(celDefaultErrors(s, 'spec.versions[0].schema.openAPIV3Schema').map(fieldErrorString)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "integer": must be positive',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tier].default: Invalid value: "string": failed rule: oldSelf.hasValue() || self == \'gold\'',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[config].default.n: Invalid value: "integer": failed rule: self < 3',
    ]);
  });
});

describe('custom resource data that does not fit its schema', () => {
  it('fails the rules that read it, as upstream converts it', () => {
    const s = crd({ type: 'object', properties: { n: { type: 'integer' }, t: { type: 'string', format: 'date-time' } }, 'x-kubernetes-validations': [rule('self.n > 0'), rule("self.t > timestamp('2000-01-01T00:00:00Z')")] });
    expect(errs({ spec: { n: 1e20, t: 'not a time' } }, undefined, s)).toEqual([
      'spec: Invalid value: "object": invalid data, expected int, got float64 evaluating rule: self.n > 0',
      'spec: Invalid value: "object": Invalid date-time formatted string not a time: parsing time "not a time": cannot parse evaluating rule: self.t > timestamp(\'2000-01-01T00:00:00Z\')',
    ]);
  });
});

describe('rules blocked by other validation errors', () => {
  it('are replaced by upstream\'s error when the object has blocking errors', () => {
    expect(celBlockedError([{ type: 'FieldValueInvalid', field: 'spec.a', badValue: 1, detail: 'x' }])).toBeUndefined();
    const e = celBlockedError([{ type: 'FieldValueRequired', field: 'spec.a' }]);
    expect(e && fieldErrorString(e)).toBe('<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation');
  });
});
