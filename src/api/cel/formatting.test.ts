import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import { celSchemaErrors, celValueErrors } from './index.js';
import { compileError, evalError, value } from './testing.js';

const sci = (mantissa: string, exp: string): string => `${mantissa}\u202f×\u202f10${exp}`;

describe('string.format literal calls are checked at compile time (cel-go stringFormatValidator)', () => {
  it('reports an argument of the wrong type for its clause at the argument', () => {
    expect(compileError("'%d'.format(['a'])")).toBe("ERROR: <input>:1:14: error during formatting: decimal clause can only be used on integers, was given string\n | '%d'.format(['a'])\n | .............^");
    expect(compileError("'%f'.format([true])")).toContain('ERROR: <input>:1:14: error during formatting: fixed-point clause can only be used on doubles, was given bool');
    expect(compileError("'%x'.format([[1]])")).toContain('ERROR: <input>:1:14: error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given list');
    expect(compileError("'%b'.format([1.5])")).toContain('only integers and bools can be formatted as binary, was given double');
    expect(compileError("'%o'.format([duration('1s')])")).toContain('octal clause can only be used on integers, was given google.protobuf.Duration');
    // %s looks into list and map literals and names the bad member.
    expect(compileError("'%s'.format([[1, optional.of(1)]])")).toContain('ERROR: <input>:1:29: error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given optional_type');
  });

  it('reports too many and too few arguments, bad precisions and unknown clauses at the call', () => {
    expect(compileError("'%s'.format(['a', 'b'])")).toBe("ERROR: <input>:1:12: too many arguments supplied to string.format (expected 1, got 2)\n | '%s'.format(['a', 'b'])\n | ...........^");
    expect(compileError("'%s %s'.format(['a'])")).toBe("ERROR: <input>:1:15: index 1 out of range\n | '%s %s'.format(['a'])\n | ..............^");
    expect(compileError("'%.f'.format([1.0])")).toContain('ERROR: <input>:1:13: could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax');
    expect(compileError("'%.99999999999999999999f'.format([1.0])")).toContain('strconv.Atoi: parsing "99999999999999999999": value out of range');
    expect(compileError("'%.3'.format([1.0])")).toContain('could not parse formatting clause: error while parsing precision: could not find end of precision specifier');
    expect(compileError("'%q'.format([1])")).toBe(`ERROR: <input>:1:12: could not parse formatting clause: unrecognized formatting clause "q"\n | '%q'.format([1])\n | ...........^`);
    // The clause is one byte of the UTF-8 string, read as a rune.
    expect(compileError("'%é'.format([1])")).toContain('unrecognized formatting clause "Ã"');
    expect(compileError("'%'.format([])")).toContain('ERROR: <input>:1:11: unexpected end of string');
  });

  it('still lets format arguments mix types, and leaves dyn arguments and other calls to run time', () => {
    expect(value("'%s %d %.1f %e'.format(['a', 1, 2.0, 'NaN'])")).toBe('a 1 2.0    NaN');
    expect(value("'%d%%'.format([5])")).toBe('5%');
    expect(evalError("'%d'.format([dyn(1.5)]) == ''")).toBe('error during formatting: decimal clause can only be used on integers, was given double');
    expect(evalError("'%b'.format([dyn('a')]) == ''")).toBe('error during formatting: only integers and bools can be formatted as binary, was given string');
    expect(evalError("('%' + '.f').format([1.0]) == ''")).toBe('could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax');
    expect(evalError("'%s %s'.format(dyn(['a'])) == ''")).toBe('index 1 out of range');
    expect(evalError("'%e'.format(['x']) == ''")).toBe('error during formatting: scientific clause can only be used on doubles, was given string');
  });

  it('fails the CRD rule with compilation failed', () => {
    const base = 'spec.versions[0].schema.openAPIV3Schema';
    const s = { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: "self.n > 0", messageExpression: "'%d of %d'.format([self.n])" }, { rule: "'%s'.format([self.n, 2]) != ''" }] } } };
    expect(celSchemaErrors(s, base).map(fieldErrorString)).toEqual([
      `${base}.properties[spec].x-kubernetes-validations[0].messageExpression: Invalid value: {"rule":"self.n > 0","messageExpression":"'%d of %d'.format([self.n])"}: messageExpression compilation failed: ERROR: <input>:1:18: index 1 out of range\n | '%d of %d'.format([self.n])\n | .................^`,
      `${base}.properties[spec].x-kubernetes-validations[1].rule: Invalid value: {"rule":"'%s'.format([self.n, 2]) != ''"}: compilation failed: ERROR: <input>:1:12: too many arguments supplied to string.format (expected 1, got 2)\n | '%s'.format([self.n, 2]) != ''\n | ...........^`,
    ]);
  });
});

describe('string.format numbers as cel-go v0.22 with the en_US printer', () => {
  it('uses the %e precision as a width', () => {
    expect(value("'%.2e'.format([1234.5])")).toBe(sci('1.234500', '⁰³'));
    expect(value("'%e'.format([1234.5])")).toBe(sci('1.234500', '⁰³'));
    expect(value("'%.20e'.format([1234.5])")).toBe(`     ${sci('1.234500', '⁰³')}`);
    expect(value("'%e'.format([double('NaN')])")).toBe('   NaN');
    expect(value("'%.0e'.format([double('NaN')])")).toBe('NaN');
    expect(value("'%e'.format([-1.0e-300])")).toBe(sci('-1.000000', '⁻³⁰⁰'));
    expect(value("'%e'.format([0.0])")).toBe(sci('0.000000', '⁰⁰'));
    // Exact ties round to even as strconv does.
    expect(value("'%e'.format([1234562.5])")).toBe(sci('1.234562', '⁰⁶'));
  });

  it('formats any %f precision exactly, never as a cost error', () => {
    expect(value("'%.101f'.format([1.0])")).toBe(`1.${'0'.repeat(101)}`);
    expect(value("'%.255f'.format([0.1])")).toBe(`0.1000000000000000055511151231257827021181583404541015625${'0'.repeat(200)}`);
    // Past 255 the printer's minimum fraction digits wrap (uint8) and trailing zeros go.
    expect(value("'%.256f'.format([1.0])")).toBe('1');
    expect(value("'%.300f'.format([0.1])")).toBe('0.1000000000000000055511151231257827021181583404541015625');
    expect(value("'%.1000000f'.format([1.5])")).toBe(`1.5${'0'.repeat(63)}`);
    expect(value("'%.99999999f'.format([1.5])")).toBe('%!(NOVERB)');
    expect(value("'%.2f'.format([1e21])")).toBe('1,000,000,000,000,000,000,000.00');
    expect(value("'%.0f'.format([2.5]) + ' ' + '%.1f'.format([0.25]) + ' ' + '%.3f'.format([-0.0001])")).toBe('2 0.2 -0.000');
  });

  it('prints list members and map entries as CEL literals', () => {
    expect(value("'%s'.format([[1e21, -0.0, 2.5]])")).toBe('[1000000000000000000000.000000, -0.000000, 2.500000]');
    expect(value("'%s'.format([{'b': 1, 'a': 2}])")).toBe('{"a":2, "b":1}');
  });
});

describe('format: duration values (kube-openapi strfmt.ParseDuration)', () => {
  const schema = { type: 'object', properties: { d: { type: 'string', format: 'duration' } } };
  const dur = (d: string): unknown => value('string(self.d)', { schema, self: { d } });

  it('sums the parts with known units and skips the others', () => {
    expect(dur('1 month 2 days')).toBe('172800s');
    expect(dur('2 weeks 3 fortnights')).toBe('1209600s');
    expect(dur('3minutes 1 hour 5 µs')).toBe('3780.000005s');
    expect(dur(' 1d ')).toBe('86400s');
    expect(dur('1h30m')).toBe('5400s');
    expect(evalError('string(self.d) == ""', { schema, self: { d: '1 month' } })).toBe('Invalid duration 1 month: unable to parse 1 month as duration');
    expect(evalError('string(self.d) == ""', { schema, self: { d: 'x1d' } })).toBe('Invalid duration x1d: unable to parse x1d as duration');
  });

  it('computes in int64 as Go does: counts past int64 fail, products and sums wrap', () => {
    expect(dur('110000 days')).toBe('-8942744073.709551616s');
    expect(dur('10000000h')).toBe('-893488147.419103232s');
    expect(evalError('string(self.d) == ""', { schema, self: { d: '99999999999999999999 days' } })).toBe('Invalid duration 99999999999999999999 days: strconv.Atoi: parsing "99999999999999999999": value out of range');
  });

  it('feeds validation rules', () => {
    const s = { type: 'object', properties: { spec: { type: 'object', properties: { d: { type: 'string', format: 'duration' } }, 'x-kubernetes-validations': [{ rule: "self.d == duration('48h')" }] } } };
    expect(celValueErrors({ spec: { d: '1 month 2 days' } }, undefined, s)).toEqual([]);
  });
});
