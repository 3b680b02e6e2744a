import { describe, expect, it } from 'vitest';
import { compileExpression } from './compile.js';
import { schemaCelType } from './schema.js';
import { formatType, T } from './types.js';
import { compileError, value } from './testing.js';

const spec = {
  type: 'object',
  properties: {
    replicas: { type: 'integer' },
    ratio: { type: 'number' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    namespace: { type: 'string' },
    'app.kubernetes.io/name': { type: 'string' },
    'x-y': { type: 'string' },
    'a__b': { type: 'string' },
    '1st': { type: 'string' },
    'with space': { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    ports: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer' } } } },
    timeout: { type: 'string', format: 'duration' },
    at: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    blob: { type: 'string', format: 'byte' },
    port: { 'x-kubernetes-int-or-string': true },
    anything: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    untyped: { 'x-kubernetes-preserve-unknown-fields': true },
  },
};

function typeOf(expr: string): string {
  const self = schemaCelType(spec, false, 'selfType0')!;
  const c = compileExpression(expr, new Map([['self', self]]));
  if (!('checked' in c)) throw new Error(JSON.stringify(c));
  return formatType(c.checked.type);
}

describe('CEL types of schema nodes', () => {
  it.each([
    ['self.replicas', 'int'],
    ['self.ratio', 'double'],
    ['self.name', 'string'],
    ['self.enabled', 'bool'],
    ['self.labels', 'map(string, string)'],
    ['self.ports', 'list(selfType0.ports.@idx)'],
    ['self.ports[0].port', 'int'],
    ['self.timeout', 'duration'],
    ['self.at', 'timestamp'],
    ['self.day', 'timestamp'],
    ['self.blob', 'bytes'],
    ['self.port', 'dyn'],
    ['self.anything', 'selfType0.anything'],
    ['self', 'selfType0'],
  ])('%s is %s', (expr, want) => {
    expect(typeOf(expr)).toBe(want);
  });

  it('escapes property names that are no CEL identifiers, and keeps keywords usable', () => {
    expect(typeOf('self.__namespace__')).toBe('string');
    expect(typeOf('self.namespace')).toBe('string');
    expect(typeOf('self.app__dot__kubernetes__dot__io__slash__name')).toBe('string');
    expect(typeOf('self.x__dash__y')).toBe('string');
    expect(typeOf('self.a__underscores__b')).toBe('string');
    // Names that cannot be escaped are not visible; neither are fields without a type.
    expect(() => typeOf('self.untyped')).toThrow("undefined field 'untyped'");
  });

  it("shows only name and generateName of a resource root's metadata", () => {
    const root = schemaCelType({ type: 'object', properties: { metadata: { type: 'object' }, spec: { type: 'object' } } }, true, 'r')!;
    const ok = compileExpression('self.metadata.name + self.metadata.generateName + self.kind + self.apiVersion != ""', new Map([['self', root]]));
    expect('checked' in ok).toBe(true);
    const bad = compileExpression('self.metadata.namespace == ""', new Map([['self', root]]));
    expect(bad).toEqual({ issues: "ERROR: <input>:1:14: undefined field 'namespace'\n | self.metadata.namespace == \"\"\n | .............^" });
  });

  it('declares nothing for an object that preserves unknown fields', () => {
    expect(() => typeOf('self.anything.foo == 1')).toThrow("undefined field 'foo'");
  });
});

describe('CEL type checking errors', () => {
  it.each([
    ['foo == 1', "ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^"],
    ['1 + "a"', "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, string)'\n | 1 + \"a\"\n | ..^"],
    ['1 == 1.0', "found no matching overload for '_==_' applied to '(int, double)'"],
    ['"a".startsWith(1)', "found no matching overload for 'startsWith' applied to 'string.(int)'"],
    ['size(1)', "found no matching overload for 'size' applied to '(int)'"],
    ['1.foo', "type 'int' does not support field selection"],
    ['[1].all(x, x)', "expected type 'bool' but found 'int'"],
    ['1 && true', "ERROR: <input>:1:1: expected type 'bool' but found 'int'"],
    ['(1).all(x, true)', "expression of type 'int' cannot be range of a comprehension (must be list, map, or dynamic)"],
    ['noSuchFunction(1)', "undeclared reference to 'noSuchFunction' (in container '')"],
    ['"a".noSuchMethod()', "undeclared reference to 'noSuchMethod' (in container '')"],
    ['Foo{a: 1}', "undeclared reference to 'Foo' (in container '')"],
    ['true ? 1 : "a"', "found no matching overload for '_?_:_' applied to '(bool, int, string)'"],
    ['optional.of(1) + 1', "found no matching overload for '_+_' applied to '(optional_type(int), int)'"],
  ])('%s', (expr, want) => {
    expect(compileError(expr)).toContain(want);
  });

  it('reports undefined fields of objects at the selection', () => {
    expect(compileError('self.replicaz > 1', { schema: spec })).toBe("ERROR: <input>:1:5: undefined field 'replicaz'\n | self.replicaz > 1\n | ....^");
    expect(compileError('has(self.replicaz)', { schema: spec })).toContain("ERROR: <input>:1:4: undefined field 'replicaz'");
  });

  it('refuses lists and maps of mixed types (homogeneous aggregate literals)', () => {
    expect(compileError("[1, 'a']")).toBe("ERROR: <input>:1:5: expected type 'int' but found 'string'\n | [1, 'a']\n | ....^");
    expect(compileError("{'a': 1, 'b': true}")).toContain("expected type 'int' but found 'bool'");
    expect(value("[dyn(1), dyn('a')].size()")).toBe(2n);
    // string.format takes mixed lists.
    expect(value("'%s %d'.format(['a', 1])")).toBe('a 1');
  });

  it('checks literal arguments of duration(), timestamp() and matches()', () => {
    expect(compileError("duration('1x') > duration('1s')")).toBe("ERROR: <input>:1:10: invalid duration argument\n | duration('1x') > duration('1s')\n | .........^");
    expect(compileError("timestamp('yesterday') > timestamp(0)")).toContain('invalid timestamp argument');
    expect(compileError("duration(1) > duration('1s')")).toContain('ERROR: <input>:1:10: invalid duration argument');
    expect(compileError("'a'.matches('(')")).toContain('invalid matches argument');
    expect(compileError("'a'.find('(') == ''")).toBe('program instantiation failed: error parsing regexp: missing closing ): `(`');
  });

  it('types type identifiers and conversions', () => {
    expect(value('type(1) == int && type(1u) == uint && type(1.0) == double && type("") == string && type(true) == bool')).toBe(true);
    expect(value("type(b'') == bytes && type(null) == null_type && type([]) == list && type({}) == map && type(int) == type")).toBe(true);
    expect(value("type(duration('1s')) == google.protobuf.Duration && type(timestamp(0)) == google.protobuf.Timestamp")).toBe(true);
  });

  it('resolves overloads by argument types and results in the most specific type', () => {
    const dynSelf = compileExpression('self + 1 == 2', new Map([['self', T.dyn]]));
    expect('checked' in dynSelf).toBe(true);
    expect(typeOf('self.ports.map(p, p.port)')).toBe('list(int)');
    expect(typeOf("self.labels.filter(k, k.startsWith('a'))")).toBe('list(string)');
    expect(typeOf('[]')).toBe('list(dyn)');
    expect(typeOf('self.?name')).toBe('optional_type(string)');
    expect(typeOf("self.labels[?'a'].orValue('')")).toBe('string');
  });
});
