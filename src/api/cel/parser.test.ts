import { describe, expect, it } from 'vitest';
import { parse } from './parser.js';
import { compileError, value } from './testing.js';

const exprStart = `{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`;

describe('CEL parsing: operators and precedence', () => {
  it.each([
    ['1 + 2 * 3', 7n],
    ['(1 + 2) * 3', 9n],
    ['2 - 3 - 4', -5n],
    ['100 / 10 / 5', 2n],
    ['7 % 4 * 2', 6n],
    ['-7 / 2', -3n],
    ['- -1', 1n],
    ['-(1 + 1)', -2n],
    ['true || false && false', true],
    ['!true || true', true],
    ['!!false', false],
    ['1 < 2 == true', true],
    ['1 + 1 == 2 && 3 > 2', true],
    ['false ? 1 : true ? 2 : 3', 2n],
    ['true ? 1 : 2 + 3', 1n],
    ['2 in [1, 2] == true', true],
    ['[1, 2, 3][1 + 1]', 3n],
    ["{'a': {'b': 5}}.a.b", 5n],
    ["{'a': [{'c': 'y'}, {'c': 'x'}]}['a'][1].c", 'x'],
    ["[dyn(1), dyn('a')][1]", 'a'],
  ])('%s', (expr, want) => {
    expect(value(expr)).toEqual(want);
  });

  it('balances chains of && and || as cel-go does, without changing their meaning', () => {
    const p = parse('a || b || c || d');
    expect(p.issues.hasErrors).toBe(false);
    // The root is the middle operator: (a || b) || (c || d).
    expect(p.expr.kind === 'call' && p.expr.args.every((a) => a.kind === 'call' && a.fn === '_||_')).toBe(true);
    expect(value('false || false || false || true')).toBe(true);
    expect(value('true && true && true && false')).toBe(false);
  });

  it('reads comments and line breaks as whitespace', () => {
    expect(value('1 + // one more\n 2')).toBe(3n);
  });
});

describe('CEL parsing: literals', () => {
  it.each([
    ['0x1F', 31n],
    ['-0x10', -16n],
    ['1u', '1u'],
    ['0x1Fu', '31u'],
    ['18446744073709551615u', '18446744073709551615u'],
    ['-9223372036854775808', -9223372036854775808n],
    ['1.5e2', 150],
    ['.5', 0.5],
    ['1e-3', 0.001],
    ['007', 7n],
    ["'it\\'s'", "it's"],
    ['"tab\\there"', 'tab\there'],
    ["'\\x41\\101\\u00e9\\U0001F600'", 'AAé😀'],
    ["r'\\n'", '\\n'],
    ["'''two\nlines'''", 'two\nlines'],
    ['"""say "hi" """', 'say "hi" '],
    ["b'abc'.size()", 3n],
    ["b'\\xff'.size()", 1n],
    ["b'é'.size()", 2n],
    ['null', null],
    ['true', true],
  ])('%s', (expr, want) => {
    expect(value(expr)).toEqual(want);
  });

  it('refuses literals out of range as cel-go does', () => {
    expect(compileError('9223372036854775808')).toBe('ERROR: <input>:1:1: invalid int literal\n | 9223372036854775808\n | ^');
    expect(compileError('18446744073709551616u')).toContain('invalid uint literal');
    expect(compileError('1e999')).toContain('invalid double literal');
  });

  it('refuses bad escapes', () => {
    expect(compileError("'\\q'")).toContain("Syntax error: token recognition error at: ''\\q'");
    expect(compileError("b'\\u00e9'")).toContain('unable to unescape string');
  });
});

describe('CEL parsing: syntax errors as cel-go words them', () => {
  it('reports a missing operand with the expected tokens', () => {
    expect(compileError('self.a ==')).toBe(`ERROR: <input>:1:10: Syntax error: mismatched input '<EOF>' expecting ${exprStart}\n | self.a ==\n | .........^`);
  });

  it('reports stray input after the expression', () => {
    expect(compileError('1 + 2)')).toBe("ERROR: <input>:1:6: Syntax error: extraneous input ')' expecting <EOF>\n | 1 + 2)\n | .....^");
    expect(compileError('1 + 2 3 4')).toContain("Syntax error: mismatched input '3' expecting <EOF>");
  });

  it('reports characters that are no token, and what follows', () => {
    expect(compileError('a | b')).toBe(
      ["ERROR: <input>:1:3: Syntax error: token recognition error at: '| '", ' | a | b', ' | ..^', "ERROR: <input>:1:5: Syntax error: extraneous input 'b' expecting <EOF>", ' | a | b', ' | ....^'].join('\n'),
    );
    expect(compileError('1 + $')).toContain("ERROR: <input>:1:5: Syntax error: token recognition error at: '$'");
  });

  it('reports a closer missing at the end', () => {
    expect(compileError('(1 + 2')).toBe("ERROR: <input>:1:7: Syntax error: missing ')' at '<EOF>'\n | (1 + 2\n | ......^");
    expect(compileError('[1, 2')).toContain("Syntax error: missing ']' at '<EOF>'");
    expect(compileError('f(1 2)')).toContain("Syntax error: extraneous input '2' expecting ')'");
  });

  it('wants an identifier after a dot', () => {
    expect(compileError('self.true == 1')).toBe("ERROR: <input>:1:6: Syntax error: mismatched input 'true' expecting IDENTIFIER\n | self.true == 1\n | .....^");
  });

  it('reports the line and column of multi-line expressions', () => {
    expect(compileError('1 + 2\n3 +')).toBe("ERROR: <input>:2:1: Syntax error: mismatched input '3' expecting <EOF>\n | 3 +\n | ^");
  });

  it('marks wide characters in the caret line', () => {
    expect(compileError("'😀' + 1")).toBe("ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(string, int)'\n | '😀' + 1\n | .\uff0e..^");
  });

  it('refuses reserved identifiers as names', () => {
    expect(compileError('[1].map(var, var)')).toContain('reserved identifier: var');
    expect(compileError('namespace == 1')).toContain('ERROR: <input>:1:1: reserved identifier: namespace');
  });

  it('refuses bad macro arguments', () => {
    expect(compileError('has(self)')).toBe('ERROR: <input>:1:5: invalid argument to has() macro\n | has(self)\n | ....^');
    expect(compileError('[1].all(1, true)')).toContain('ERROR: <input>:1:9: argument must be a simple name');
    expect(compileError('[1].map(1, 2)')).toContain('argument is not an identifier');
  });

  it('limits the size and the nesting of expressions', () => {
    expect(compileError('1 + '.repeat(30_000) + '1')).toBe('ERROR: <input>:-1:0: expression code point size exceeds limit: size: 120001, limit 100000');
    expect(compileError('('.repeat(300) + '1' + ')'.repeat(300))).toBe('ERROR: <input>:-1:0: max recursion depth exceeded');
    expect(value('('.repeat(100) + '1' + ')'.repeat(100))).toBe(1n);
    // Chains of the same operator nest as deep as their length.
    expect(compileError(Array(300).fill('1').join(' + '))).toBe('ERROR: <input>:-1:0: max recursion depth exceeded');
    expect(value(Array(200).fill('1').join(' + '))).toBe(200n);
    // && and || chains are balanced trees: long ones are fine.
    expect(value(Array(2000).fill('true').join(' && '))).toBe(true);
  });
});
