// YAML as sigs.k8s.io/yaml (go-yaml v2) reads and writes it. The expected texts of writeYaml
// are kubectl 1.32's `get -o yaml` output for the same objects (kubectl's own JSON -> YAML).
import { describe, expect, it } from 'vitest';
import { readYaml, readYamlDocuments, resolvePlainScalar, sortYamlKeys, writeYaml } from './yaml.js';

const read = (value: string): unknown => (readYaml(`v: ${value}\n`) as { v: unknown }).v;

describe('readYaml: scalars resolved as go-yaml v2 (YAML 1.1) resolves them', () => {
  it('reads octal without 0o (0644 is 420, 0400 is 256), hex, binary, 0o, _ separators and signs', () => {
    expect(read('0644')).toBe(420);
    expect(read('0400')).toBe(256);
    expect(read('0755')).toBe(493);
    expect(read('-0644')).toBe(-420);
    expect(read('+0644')).toBe(420);
    expect(read('0')).toBe(0);
    expect(read('00')).toBe(0);
    expect(read('0o17')).toBe(15);
    expect(read('0O17')).toBe(15);
    expect(read('0x1F')).toBe(31);
    expect(read('0X1f')).toBe(31);
    expect(read('-0x10')).toBe(-16);
    expect(read('0b101')).toBe(5);
    expect(read('0B11')).toBe(3);
    expect(read('1_000')).toBe(1000);
    expect(read('0x_1F')).toBe(31);
    expect(read('+12')).toBe(12);
    expect(read('-0')).toBe(0);
    expect(Object.is(read('-0'), -0)).toBe(false);
  });

  it('reads 08 and 09 (not octal) as floats, as go-yaml falls back to ParseFloat', () => {
    expect(read('08')).toBe(8);
    expect(read('0999')).toBe(999);
    expect(read('0644.5')).toBe(644.5);
  });

  it('reads floats in go-yaml spellings; numbers beyond float64 stay strings', () => {
    expect(read('1.5')).toBe(1.5);
    expect(read('1e3')).toBe(1000);
    expect(read('1E+2')).toBe(100);
    expect(read('.5')).toBe(0.5);
    expect(read('-.5')).toBe(-0.5);
    expect(read('+.5')).toBe(0.5);
    expect(read('1.')).toBe(1);
    expect(read('1_000.5')).toBe(1000.5);
    expect(read('.1_0')).toBe(0.1);
    expect(read('1e400')).toBe('1e400');
    expect(read('._5')).toBe('._5');
    expect(read('0x10000000000000000')).toBe('0x10000000000000000');
    expect(read('99999999999999999999')).toBe(1e20);
    expect(read('18446744073709551615')).toBe(18446744073709551615);
    expect(read('1.2.3')).toBe('1.2.3');
    expect(read('0x')).toBe('0x');
    expect(read('1e')).toBe('1e');
  });

  it('reads YAML 1.1 booleans in every spelling go-yaml v2 knows', () => {
    for (const t of ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']) expect(read(t), t).toBe(true);
    for (const f of ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']) expect(read(f), f).toBe(false);
    for (const s of ['yEs', 'oN', 'tRUE', 'nope', 'enabled']) expect(read(s), s).toBe(s);
  });

  it('reads null as ~, null, Null, NULL and nothing', () => {
    for (const n of ['~', 'null', 'Null', 'NULL', '']) expect(read(n), n).toBeNull();
    expect(read('nULL')).toBe('nULL');
  });

  it('keeps timestamps and sexagesimal numbers as strings, as sigs.k8s.io/yaml does', () => {
    expect(read('2024-01-01T00:00:00Z')).toBe('2024-01-01T00:00:00Z');
    expect(read('2024-01-01')).toBe('2024-01-01');
    expect(read('2001-12-14 21:59:43.10')).toBe('2001-12-14 21:59:43.10');
    expect(read('12:30')).toBe('12:30');
    expect(read('190:20:30')).toBe('190:20:30');
  });

  it('keeps quoted and block scalars as strings; honours !!str, !!int, !!float, !!binary', () => {
    expect(read('"0644"')).toBe('0644');
    expect(read("'yes'")).toBe('yes');
    expect(readYaml('v: |\n  0644\n')).toEqual({ v: '0644\n' });
    expect(read('!!str 0644')).toBe('0644');
    expect(read('!!str yes')).toBe('yes');
    expect(read('!!int "0644"')).toBe(420);
    expect(read('!!float 1')).toBe(1);
    expect(read('!!binary aGVsbG8=')).toBe('hello');
    expect(read('!local-tag on')).toBe('on');
    expect(read('"on"')).toBe('on');
  });

  it('refuses an integer within int64 that a JavaScript number would change, with the position; floats and exact ones are read', () => {
    expect(() => readYaml('a:\n  id: 9007199254740993\n')).toThrow(/^the integer 9007199254740993 cannot be stored exactly: everynode holds JSON numbers as 64-bit floats \(integers up to 2\^53 exactly\) at line 2, column 7/);
    expect(() => readYaml('a: 0x7fffffffffffffff')).toThrow(/^the integer 9223372036854775807 cannot be stored exactly/);
    expect(() => readYaml('{"a": [1, -1234567890123456789]}')).toThrow(/^the integer -1234567890123456789 cannot/);
    expect(() => readYaml('a: 1152921504606846976')).toThrow(/^the integer 1152921504606846976 cannot/); // 2^60: written back 1152921504606847000
    expect(read('9007199254740992')).toBe(2 ** 53);
    expect(read('!!float 9007199254740993')).toBe(2 ** 53);
    expect(read('9007199254740993.0')).toBe(2 ** 53);
  });

  it('refuses what JSON cannot carry (.inf, .nan) and bad base64, with the position', () => {
    expect(() => readYaml('a: .inf')).toThrow(/^json: unsupported value: \+Inf at line 1, column 4/);
    expect(() => readYaml('a: -.Inf')).toThrow(/^json: unsupported value: -Inf/);
    expect(() => readYaml('a: .NaN')).toThrow(/^json: unsupported value: NaN/);
    expect(() => readYaml('a: !!binary x')).toThrow(/^!!binary value contains invalid base64 data/);
    expect(read('".inf"')).toBe('.inf');
  });

  it('makes map keys strings as sigs.k8s.io/yaml does', () => {
    expect(readYaml('1: a\nyes: b\n0644: c\n1.5: d\nn: e\n')).toEqual({ 1: 'a', true: 'b', 420: 'c', '1.5': 'd', false: 'e' });
  });

  it('merges << keys', () => {
    expect(readYaml('base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n')).toEqual({ base: { p: 1, q: 2 }, m: { p: 1, q: 3 } });
  });

  it('reads a pod manifest as kube-apiserver does', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p, annotations: {created: 2024-01-01T00:00:00Z, flag: "yes"}}',
      'spec:',
      '  containers: [{name: c, image: x, tty: yes, stdin: on}]',
      '  volumes:',
      '  - name: cfg',
      '    configMap: {name: cfg, defaultMode: 0644, items: [{key: k, path: k, mode: 0400}]}',
      '',
    ].join('\n');
    expect(readYaml(text)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { created: '2024-01-01T00:00:00Z', flag: 'yes' } },
      spec: {
        containers: [{ name: 'c', image: 'x', tty: true, stdin: true }],
        volumes: [{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 420, items: [{ key: 'k', path: 'k', mode: 256 }] } }],
      },
    });
  });

  it('reads JSON as JSON', () => {
    const o = { a: '0644', b: 420, c: 'yes', d: [true, null, 1.5, -2e-7], e: { '0644': 'x' } };
    expect(readYaml(JSON.stringify(o))).toEqual(o);
    expect(readYaml(JSON.stringify(o, null, 2))).toEqual(o);
  });
});

describe('readYaml: malformed input and limits as before', () => {
  it('keeps the yaml library messages and positions', () => {
    expect(() => readYaml('a: [1')).toThrow(/^Flow sequence in block collection must be sufficiently indented and end with a \] at line 1, column 6/);
    expect(() => readYaml('a: b: c')).toThrow(/^Nested mappings are not allowed in compact mappings at line 1, column 4/);
    expect(() => readYaml('a: 1\n---\nb: 2\n')).toThrow(/^Source contains multiple documents/);
  });

  it('refuses duplicate keys, also those equal as YAML 1.1 values (yes and true)', () => {
    expect(() => readYaml('a: 1\na: 2\n')).toThrow(/^Map keys must be unique at line 2, column 1/);
    expect(() => readYaml('yes: 1\ntrue: 2\n')).toThrow(/^Map keys must be unique/);
    expect(readYaml('<<: {a: 1}\n<<: {b: 2}\n')).toEqual({ a: 1, b: 2 });
  });

  it('stops alias expansion bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(() => readYaml(lines.join('\n'))).toThrow(/Excessive alias count/);
  });

  it('reads an empty text as null', () => {
    expect(readYaml('')).toBeNull();
    expect(readYaml('# only a comment\n')).toBeNull();
  });
});

describe('readYamlDocuments', () => {
  it('gives every document with its errors; toJS() is its value', () => {
    const docs = readYamlDocuments('a: 0644\n---\nb: on\n---\n');
    expect(docs.map((d) => d.errors.length)).toEqual([0, 0, 0]);
    expect(docs.map((d) => d.toJS())).toEqual([{ a: 420 }, { b: true }, null]);
    const bad = readYamlDocuments('a: 1\n---\na: [\n');
    expect(bad[0]!.errors).toEqual([]);
    expect(bad[1]!.errors[0]!.message).toMatch(/at line 4, column 1/);
  });
});

describe('resolvePlainScalar', () => {
  it('tells timestamps (quoted on output) from strings', () => {
    for (const t of ['2024-01-01', '2024-1-2', '2024-01-01T00:00:00Z', '2024-01-01t10:00:00.5+02:00', '2024-1-2 3:04:05', '2024-02-29', '2000-02-29', '0000-02-29']) {
      expect(resolvePlainScalar(t).tag, t).toBe('timestamp');
    }
    for (const s of ['2024-13-01', '2023-02-29', '2024-01-01T00:00:00', '2024-01-01T25:00:00Z', '20240-01-01', '2024-01-01 10:00:00Z', '2024/01/01', '1900-02-29', '2024-04-31']) {
      expect(resolvePlainScalar(s).tag, s).toBe('str');
    }
  });
});

describe('writeYaml: sigs.k8s.io/yaml.Marshal output', () => {
  it('quotes strings go-yaml v2 would read as another type, as kubectl prints them', () => {
    const data = {
      flag: 'yes', sw: 'on', off: 'off', no: 'no', y: 'y', n: 'n', t: 'true', nul: 'null', tilde: '~', num: '123', oct: '0644',
      hex: '0x1F', flt: '1.5', exp: '1e3', ts: '2024-01-01T00:00:00Z', date: '2024-01-01', ts2: '2024-1-2 3:04:05', ts3: '2024-13-01',
      sexa: '12:30', empty: '', inf: '.inf', under: '1_000', plus: '+1', dot: '.5', bin: '0b101', ooct: '0o17', big: '99999999999999999999',
      neg0: '-0', z: '0', plain: 'hello world', qm2: '?x', q: "it's", dq: 'say "hi"', comma: 'a,b',
    };
    expect(writeYaml({ data })).toBe(`data:
  big: "99999999999999999999"
  bin: "0b101"
  comma: a,b
  date: "2024-01-01"
  dot: ".5"
  dq: say "hi"
  empty: ""
  exp: "1e3"
  flag: "yes"
  flt: "1.5"
  hex: "0x1F"
  inf: ".inf"
  "n": "n"
  neg0: "-0"
  "no": "no"
  nul: "null"
  num: "123"
  oct: "0644"
  "off": "off"
  ooct: "0o17"
  plain: hello world
  plus: "+1"
  q: it's
  qm2: ?x
  sexa: "12:30"
  sw: "on"
  t: "true"
  tilde: "~"
  ts: "2024-01-01T00:00:00Z"
  ts2: "2024-1-2 3:04:05"
  ts3: 2024-13-01
  under: "1_000"
  "y": "y"
  z: "0"
`);
  });

  it('single-quotes what cannot be plain, double-quotes what cannot be single-quoted, escapes as go-yaml', () => {
    const data = {
      amp: '&a', at: '@x', brk: '[x]', bt: '`x', colon: 'a: b', dash: '- x', dashes: '---x', dots: '...', excl: '!x', hash: 'a #b',
      lead: ' lead', pct: '%x', qm: '? x', star: '*', trail: 'trail ', cr: 'a\rb', ctl: 'a\u0001b', tab: 'a\tb', emoji: 'x😀', uni: 'héllo',
      bom: '\ufeffab', mlsp: 'a \nb',
    };
    expect(writeYaml({ data })).toBe(`data:
  amp: '&a'
  at: '@x'
  bom: "\\uFEFF\\x61\\x62"
  brk: '[x]'
  bt: '\`x'
  colon: 'a: b'
  cr: "a\\rb"
  ctl: "a\\x01b"
  dash: '- x'
  dashes: '---x'
  dots: '...'
  emoji: "x\\U0001F600"
  excl: '!x'
  hash: 'a #b'
  lead: ' lead'
  mlsp: "a \\nb"
  pct: '%x'
  qm: '? x'
  star: '*'
  tab: "a\\tb"
  trail: 'trail '
  uni: héllo
`);
  });

  it('leaves plain what go-yaml v2 leaves plain (URLs, images, paths), quotes edge numbers', () => {
    const data = {
      'a/b': 'x=y', c: 'a:', d: 'busybox:1.36', e: 'http://x:80/p?q=1', f: 'a:b', g: '1-2-3', h: '1e5e5', i: '-1', j: '-x', k: 'x;y$(z)<a>^~',
      l: '0.5', m: '5.', n2: '+.inf', o: '.nan', p: '1:2', q: 'a~', r: '/abs/path', s: '1.2.3.4', t: '9223372036854775808', u: '0b102',
      v: '-0b11', w: '0o8', x: '1__0', yy: 'y:',
    };
    expect(writeYaml(data)).toBe(`a/b: x=y
c: 'a:'
d: busybox:1.36
e: http://x:80/p?q=1
f: a:b
g: 1-2-3
h: 1e5e5
i: "-1"
j: -x
k: x;y$(z)<a>^~
l: "0.5"
m: "5."
n2: "+.inf"
o: ".nan"
p: "1:2"
q: a~
r: /abs/path
s: 1.2.3.4
t: "9223372036854775808"
u: 0b102
v: "-0b11"
w: 0o8
x: "1__0"
yy: 'y:'
`);
  });

  it('writes multi-line strings as literal blocks with chomping and indentation hints', () => {
    expect(writeYaml({ ml: 'line1\nline2\n', ml2: 'line1\nline2', ml3: 'line1\n\n', nl: '\n lead' })).toBe(`ml: |
  line1
  line2
ml2: |-
  line1
  line2
ml3: |+
  line1

nl: |2-

   lead
`);
  });

  it('folds long lines at 80 columns as go-yaml v2 does', () => {
    const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';
    expect(writeYaml({ metadata: { annotations: { long: lorem, longq: `yes: ${lorem}`, longdq: lorem.replace(' sed', '\tsed') } } })).toBe(`metadata:
  annotations:
    long: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
      tempor incididunt ut labore et dolore magna aliqua.
    longdq: "Lorem ipsum dolor sit amet, consectetur adipiscing elit,\\tsed do eiusmod
      tempor incididunt ut labore et dolore magna aliqua."
    longq: 'yes: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
      tempor incididunt ut labore et dolore magna aliqua.'
`);
  });

  it('lays out lists at their key column, empty collections in flow style, nulls, numbers and booleans', () => {
    const spec = {
      f1: 0.5, f2: 1234567.5, f3: 0.00001, f4: 1e21, f5: 1.0, f6: -2.5e-7, f7: 123456.5, i: 420, neg: -3,
      nested: [[1, 2], [{ a: 1 }], [], {}],
      list: [{ x: 'yes' }, null, true, '', []],
      k: { '10': 1, '9': 2, a: 3, B: 4, ' sp': 5, ['long-key-' + 'a'.repeat(130)]: 6, 'multi\nline': 7 },
    };
    expect(writeYaml({ spec })).toBe(`spec:
  f1: 0.5
  f2: 1.2345675e+06
  f3: 1e-05
  f4: 1e+21
  f5: 1
  f6: -2.5e-07
  f7: 123456.5
  i: 420
  k:
    ' sp': 5
    "9": 2
    "10": 1
    B: 4
    a: 3
    ? long-key-${'a'.repeat(130)}
    : 6
    ? |-
      multi
      line
    : 7
  list:
  - x: "yes"
  - null
  - true
  - ""
  - []
  neg: -3
  nested:
  - - 1
    - 2
  - - a: 1
  - []
  - {}
`);
  });

  it('writes a kubectl List as kubectl does', () => {
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', creationTimestamp: '2024-05-01T10:00:00Z' }, data: { k: 'v' } }] };
    expect(writeYaml(list)).toBe(`apiVersion: v1
items:
- apiVersion: v1
  data:
    k: v
  kind: ConfigMap
  metadata:
    creationTimestamp: "2024-05-01T10:00:00Z"
    name: a
kind: List
metadata:
  resourceVersion: ""
`);
  });

  it('sorts keys as go-yaml: non-letters first, digit runs as numbers (orders checked with kubectl)', () => {
    expect(sortYamlKeys(['b.1', 'a10', 'A', 'b-1', '0', 'a9', 'a01', 'a1', '_x', 'é'])).toEqual(['_x', '0', 'A', 'a1', 'a01', 'a9', 'a10', 'b-1', 'b.1', 'é']);
    expect(sortYamlKeys(['x1', 'x00', 'x0', '.a', '-z', 'A', '0'])).toEqual(['-z', '.a', '0', 'A', 'x0', 'x00', 'x1']);
  });

  it('leaves out what JSON leaves out, and uses toJSON', () => {
    expect(writeYaml({ a: undefined, b: () => 1, c: [undefined], d: new Date(Date.UTC(2024, 0, 1)) })).toBe('c:\n- null\nd: "2024-01-01T00:00:00.000Z"\n');
    expect(writeYaml({})).toBe('{}\n');
    expect(writeYaml([])).toBe('[]\n');
    expect(writeYaml('yes')).toBe('"yes"\n');
  });

  it('round-trips through readYaml', () => {
    const o = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'x', creationTimestamp: '2024-01-01T00:00:00Z', labels: { on: 'off', '0644': '0644' } },
      data: {
        flag: 'yes', sw: 'on', mode: '0644', hex: '0x1F', ts: '2024-01-01', y: 'y', nul: 'null', tilde: '~', empty: '', star: '*', colon: 'a: b',
        ml: 'a\nb\n', mlsp: 'a \nb', tab: 'a\tb', lead: '  x', emoji: 'x😀', bom: '\ufeffab', long: 'word '.repeat(40).trim(), q: 'it\'s "q"',
        weird: '\u0085\u2028\u00a0', sexa: '12:30', inf: '.inf', dots: '...', dash: '- a', hash: 'a #b', cr: 'a\r\nb',
      },
      spec: { n: 420, f: 0.25, b: false, z: null, list: [[], {}, [1, 'yes'], { a: ['on'] }] },
    };
    expect(readYaml(writeYaml(o))).toEqual(o);
  });
});
