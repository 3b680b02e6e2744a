// string.format, as cel-go v0.22's ext/formatting.go with the en_US locale (golang.org/x/text's
// message printer): the run-time formatter, and the compile-time check of literal calls
// (stringFormatValidator) that ext.Strings installs from version 1 on.

import type { Expr } from './ast.js';
import type { CheckedExpr } from './checker.js';
import { CelError, type CelIssues } from './errors.js';
import { valueToString } from './stdlib.js';
import { T, typeValueName, type CelType } from './types.js';
import { DurationVal, durationString, goFormatDouble, ListVal, MapVal, timestampString, TimestampVal, typeNameOf, TypeVal, UintVal, type Value } from './values.js';

/** A failed format string: the message cel-go gives, and the argument expression it is about (compile time). */
class FormatFailure extends Error {
  constructor(
    message: string,
    readonly exprId?: number,
  ) {
    super(message);
  }
}

type Verb = 's' | 'd' | 'f' | 'e' | 'b' | 'x' | 'X' | 'o';

/** What a walk over a format string does with its clauses (cel-go's formatStringInterpolator and formatListArgs). */
interface Interpolator {
  /** Fetches argument `index` (may fail: `index N out of range`). */
  arg(index: number): Value | undefined;
  size: number;
  /** The clause's text for `arg`; throws FormatFailure with the bare clause error. */
  clause(verb: Verb, precision: bigint | undefined, arg: Value | undefined): string;
}

const int64Max = 9223372036854775807n;

/** Go's strconv.Atoi of a run of ASCII digits (64-bit int). */
function atoi(digits: string): bigint {
  if (digits === '') throw new FormatFailure('strconv.Atoi: parsing "": invalid syntax');
  const v = BigInt(digits);
  if (v > int64Max) throw new FormatFailure(`strconv.Atoi: parsing ${JSON.stringify(digits)}: value out of range`);
  return v;
}

/** A verb character as cel-go reads it: one byte of the UTF-8 string, taken as a rune. */
function verbAt(s: string, i: number): string {
  const cp = s.codePointAt(i)!;
  if (cp < 0x80) return String.fromCodePoint(cp);
  return String.fromCharCode(Buffer.from(String.fromCodePoint(cp), 'utf8')[0]!);
}

/** cel-go's parseFormatString: literal text copied, `%%` an escape, each clause formatted by `it`. */
function parseFormatString(format: string, it: Interpolator): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    if (format[i] !== '%') {
      const next = format.indexOf('%', i);
      const end = next < 0 ? format.length : next;
      out += format.slice(i, end);
      i = end;
      continue;
    }
    if (i + 1 < format.length && format[i + 1] === '%') {
      out += '%';
      i += 2;
      continue;
    }
    const arg = it.arg(argIndex);
    if (i + 1 >= format.length) throw new FormatFailure('unexpected end of string');
    if (argIndex >= it.size) throw new FormatFailure(`index ${argIndex} out of range`);
    // parseAndFormatClause / parseFormattingClause / parsePrecision
    let j = i + 1;
    let precision: bigint | undefined;
    if (format[j] === '.') {
      j++;
      let digits = '';
      for (;;) {
        if (j >= format.length) throw new FormatFailure('could not parse formatting clause: error while parsing precision: could not find end of precision specifier');
        const c = format[j]!;
        if (c < '0' || c > '9') break;
        digits += c;
        j++;
      }
      try {
        precision = atoi(digits);
      } catch (err) {
        throw new FormatFailure(`could not parse formatting clause: error while parsing precision: error while converting precision to integer: ${(err as Error).message}`);
      }
    }
    const verb = verbAt(format, j);
    if (!'sdfebxXo'.includes(verb)) throw new FormatFailure(`could not parse formatting clause: unrecognized formatting clause ${JSON.stringify(verb)}`);
    try {
      out += it.clause(verb as Verb, precision, arg);
    } catch (err) {
      if (err instanceof FormatFailure) throw new FormatFailure(`error during formatting: ${err.message}`, err.exprId);
      if (err instanceof CelError) throw new FormatFailure(`error during formatting: ${err.message}`);
      throw err;
    }
    argIndex++;
    i = j + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Clause errors (cel-go's *FormatError helpers).

const clauseErrors: Record<Verb, string> = {
  s: 'string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps',
  d: 'decimal clause can only be used on integers',
  f: 'fixed-point clause can only be used on doubles',
  e: 'scientific clause can only be used on doubles',
  b: 'only integers and bools can be formatted as binary',
  x: 'only integers, byte buffers, and strings can be formatted as hex',
  X: 'only integers, byte buffers, and strings can be formatted as hex',
  o: 'octal clause can only be used on integers',
};

const clauseError = (verb: Verb, typeName: string, exprId?: number): FormatFailure => new FormatFailure(`${clauseErrors[verb]}, was given ${typeName}`, exprId);

// ---------------------------------------------------------------------------------------------
// Run time.

function formatString(v: Value): string {
  if (v instanceof ListVal) return `[${v.toArray().map(formatMember).join(', ')}]`;
  if (v instanceof MapVal) {
    const pairs = v.keys().map((k) => [formatMapKey(k), formatMember(v.find(k)!)] as const);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `{${pairs.map(([k, x]) => `${k}:${x}`).join(', ')}}`;
  }
  if (v === null) return 'null';
  if (v instanceof TypeVal) return v.name;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v instanceof UintVal || v instanceof Uint8Array || v instanceof TimestampVal || v instanceof DurationVal) return valueToString(v);
  throw clauseError('s', typeNameOf(v));
}

function formatMapKey(k: Value): string {
  if (typeof k === 'string') return JSON.stringify(k);
  if (typeof k === 'boolean' || typeof k === 'bigint' || k instanceof UintVal) return valueToString(k);
  throw new CelError(`no formatting function for map key of type ${typeNameOf(k)}`);
}

/** A list member or map value, as a CEL literal (cel-go's clauseForType and quoteForCEL). */
function formatMember(v: Value): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `b${JSON.stringify(Buffer.from(v).toString('latin1'))}`;
  if (typeof v === 'number') return Number.isFinite(v) ? fixedDigits(v, 6) : JSON.stringify(goFormatDouble(v).replace('+Inf', 'Infinity').replace('-Inf', '-Infinity'));
  if (v instanceof TimestampVal) return `timestamp(${JSON.stringify(timestampString(v))})`;
  if (v instanceof DurationVal) return `duration(${JSON.stringify(durationString(v))})`;
  if (v instanceof TypeVal) return `type(${v.name})`;
  return formatString(v);
}

/** The exact value of a finite, non-negative double: n / 10^scale. */
function exactDecimal(abs: number): { n: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { n: mantissa << BigInt(exp2), scale: 0 };
  return { n: mantissa * 5n ** BigInt(-exp2), scale: -exp2 };
}

/** n / 10^drop, rounded half to even (as strconv rounds exact decimal values). */
function divRoundHalfEven(n: bigint, drop: number): bigint {
  if (drop <= 0) return n * 10n ** BigInt(-drop);
  const d = 10n ** BigInt(drop);
  const q = n / d;
  const twice = (n % d) * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** x as Go's fmt prints it with `%.<frac>f`: correctly rounded, no grouping. */
function fixedDigits(x: number, frac: number): string {
  const { n, scale } = exactDecimal(Math.abs(x));
  // Digits past the exact expansion are zeros: compute at most `scale` of them.
  const p = Math.min(frac, scale);
  const s = divRoundHalfEven(n, scale - p).toString().padStart(p + 1, '0');
  const intPart = s.slice(0, s.length - p);
  const fracPart = s.slice(s.length - p).padEnd(frac, '0');
  return `${x < 0 || Object.is(x, -0) ? '-' : ''}${intPart}${frac > 0 ? `.${fracPart}` : ''}`;
}

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The largest width or precision golang.org/x/text's format parser takes: past it the clause has
 * no verb and prints `%!(NOVERB)`.
 */
const maxFmtNumber = 10000009n;
const noVerb = '%!(NOVERB)';

/**
 * %f: cel-go prints `%.<p>f` with the en_US printer, which keeps at most int16(p) fraction
 * digits (none past the shortest representation when that is negative) and at least uint8(p).
 */
function formatFixed(d: number, precision: bigint): string {
  if (precision > maxFmtNumber) return noVerb;
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? '∞' : '-∞';
  const p = Number(precision);
  const maxFrac = ((p & 0xffff) ^ 0x8000) - 0x8000;
  const minFrac = p & 0xff;
  let intPart: string;
  let fracPart: string;
  const abs = Math.abs(d);
  if (maxFrac >= 0) {
    const { n, scale } = exactDecimal(abs);
    const q = Math.min(maxFrac, scale);
    const s = divRoundHalfEven(n, scale - q).toString().padStart(q + 1, '0');
    intPart = s.slice(0, s.length - q);
    fracPart = s.slice(s.length - q);
  } else {
    const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(abs.toExponential())!;
    const digits = m[1]! + (m[2] ?? '');
    const e = Number(m[3]);
    if (e >= 0) {
      intPart = digits.slice(0, e + 1).padEnd(e + 1, '0');
      fracPart = digits.slice(e + 1);
    } else {
      intPart = '0';
      fracPart = '0'.repeat(-e - 1) + digits;
    }
  }
  fracPart = fracPart.replace(/0+$/, '');
  if (fracPart.length < minFrac) fracPart = fracPart.padEnd(minFrac, '0');
  intPart = intPart.replace(/^0+(?=\d)/, '');
  return `${d < 0 ? '-' : ''}${groupThousands(intPart)}${fracPart !== '' ? `.${fracPart}` : ''}`;
}

const superscript = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/**
 * %e: cel-go v0.22 prints `%<p>e` (the precision is a width, 6 by default): six fraction digits
 * as `1.234500 × 10⁰³`, padded with spaces in front to p characters (p mod 2^16; `%0e` has none).
 */
function formatScientific(d: number, precision: bigint | undefined): string {
  const width = precision ?? 6n;
  if (width > maxFmtNumber) return noVerb;
  let body: string;
  if (Number.isNaN(d)) body = 'NaN';
  else if (!Number.isFinite(d)) body = d > 0 ? '∞' : '-∞';
  else {
    const { n, scale } = exactDecimal(Math.abs(d));
    let mant = 0n;
    let exp10 = 0;
    if (n !== 0n) {
      const len = n.toString().length;
      exp10 = len - scale - 1;
      mant = divRoundHalfEven(n, len - 7);
      if (mant === 10_000_000n) {
        mant = 1_000_000n;
        exp10++;
      }
    }
    const m = mant === 0n ? '0000000' : mant.toString();
    const digits = String(Math.abs(exp10)).padStart(2, '0').replace(/\d/g, (c) => superscript[Number(c)]!);
    body = `${d < 0 ? '-' : ''}${m[0]}.${m.slice(1)}\u202f×\u202f10${exp10 < 0 ? '⁻' : ''}${digits}`;
  }
  const pad = Number(width & 0xffffn) - Array.from(body).length;
  return pad > 0 ? ' '.repeat(pad) + body : body;
}

/** A double for %f and %e: doubles, and the strings NaN, Infinity and -Infinity. */
function floatArg(v: Value, verb: Verb): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  throw clauseError(verb, typeNameOf(v));
}

function formatIntBase(v: Value, verb: 'b' | 'x' | 'X' | 'o'): string {
  const base = verb === 'b' ? 2 : verb === 'o' ? 8 : 16;
  const upper = (s: string): string => (verb === 'X' ? s.toUpperCase() : s);
  if (typeof v === 'bigint') return (v < 0n ? '-' : '') + upper((v < 0n ? -v : v).toString(base));
  if (v instanceof UintVal) return upper(v.v.toString(base));
  if (verb === 'b' && typeof v === 'boolean') return v ? '1' : '0';
  if ((verb === 'x' || verb === 'X') && (typeof v === 'string' || v instanceof Uint8Array)) return upper(Buffer.from(typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('hex'));
  throw clauseError(verb, typeNameOf(v));
}

function formatClause(verb: Verb, precision: bigint | undefined, arg: Value): string {
  switch (verb) {
    case 's':
      return formatString(arg);
    case 'd':
      if (typeof arg !== 'bigint' && !(arg instanceof UintVal)) throw clauseError('d', typeNameOf(arg));
      return valueToString(arg);
    case 'f':
      return formatFixed(floatArg(arg, 'f'), precision ?? 6n);
    case 'e':
      return formatScientific(floatArg(arg, 'e'), precision);
    default:
      return formatIntBase(arg, verb);
  }
}

/** `format.format(args)` at run time; errors are cel-go's. */
export function stringFormat(format: string, args: ListVal): string {
  try {
    return parseFormatString(format, {
      size: args.size,
      arg(index) {
        if (index >= args.size) throw new FormatFailure(`index ${index} out of range`);
        return args.at(index);
      },
      clause: (verb, precision, arg) => formatClause(verb, precision, arg!),
    });
  } catch (err) {
    if (err instanceof FormatFailure) throw new CelError(err.message);
    // Nothing here should exhaust memory or the stack; should it still, the rule fails with an
    // error of its own rather than one taken for the cost limit.
    if (err instanceof RangeError) throw new CelError(`error during formatting: ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Compile time (cel-go's stringFormatValidator and stringFormatChecker).

type Kind = 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'duration' | 'timestamp' | 'list' | 'map' | 'type' | 'other';

const validKinds: Record<Verb, readonly Kind[]> = {
  s: ['list', 'map', 'int', 'uint', 'double', 'bool', 'string', 'timestamp', 'bytes', 'duration', 'type', 'null'],
  d: ['int', 'uint'],
  f: ['double', 'string'],
  e: ['double', 'string'],
  b: ['int', 'uint', 'bool'],
  x: ['int', 'uint', 'string', 'bytes'],
  X: ['int', 'uint', 'string', 'bytes'],
  o: ['int', 'uint'],
};

function kindOf(t: CelType): Kind {
  switch (t.k) {
    case 'int':
    case 'uint':
    case 'double':
    case 'bool':
    case 'string':
    case 'bytes':
    case 'null':
    case 'duration':
    case 'timestamp':
    case 'list':
    case 'map':
    case 'type':
      return t.k;
    default:
      return 'other';
  }
}

/** cel-go's Type.TypeName(). */
function typeName(t: CelType): string {
  switch (t.k) {
    case 'error':
      return '*error*';
    case 'any':
      return 'google.protobuf.Any';
    case 'param':
      return t.name;
    default:
      return typeValueName(t);
  }
}

/**
 * Reports the errors cel-go's stringFormatValidator finds in `'<literal>'.format([<list literal>])`
 * calls: bad clauses, arguments of the wrong type for their clause, too few or too many arguments.
 */
export function validateFormatCalls(checked: CheckedExpr, issues: CelIssues, visit: (e: Expr, f: (e: Expr) => void) => void): void {
  const typeOf = (e: Expr): CelType => checked.types.get(e.id) ?? T.dyn;
  const verifyOneOf = (e: Expr, kinds: readonly Kind[]): boolean => {
    const t = typeOf(e);
    return t.k === 'dyn' || kinds.includes(kindOf(t));
  };
  /** %s: the argument, and the members of list and map literals, recursively; the bad one. */
  const verifyString = (e: Expr): Expr | undefined => {
    if (!verifyOneOf(e, validKinds.s)) return e;
    if (e.kind === 'list') {
      for (const el of e.elems) {
        const bad = verifyString(el);
        if (bad) return bad;
      }
    } else if (e.kind === 'map') {
      for (const en of e.entries) {
        const bad = verifyString(en.key) ?? verifyString(en.value);
        if (bad) return bad;
      }
    }
    return undefined;
  };
  const nodes = new Map<number, Expr>();
  visit(checked.expr, (e) => nodes.set(e.id, e));
  for (const e of nodes.values()) {
    if (e.kind !== 'call' || e.fn !== 'format' || !e.target || e.args.length !== 1) continue;
    const overloads = checked.calls.get(e.id)?.overloads ?? [];
    if (overloads.length > 0 && !overloads.some((o) => o.id === 'string_format')) continue;
    const target = e.target;
    const list = e.args[0]!;
    if (target.kind !== 'lit' || target.value.t !== 'string' || list.kind !== 'list') continue;
    const elems = list.elems;
    let requested = 0;
    let current = 0;
    try {
      parseFormatString(target.value.v, {
        size: elems.length,
        arg(index) {
          requested++;
          current = index;
          return undefined;
        },
        clause(verb) {
          const a = elems[current]!;
          if (verb === 's') {
            const bad = verifyString(a);
            if (bad) throw clauseError('s', typeName(typeOf(bad)), bad.id);
          } else if (!verifyOneOf(a, validKinds[verb])) {
            throw clauseError(verb, typeName(typeOf(a)), a.id);
          }
          return '';
        },
      });
    } catch (err) {
      if (!(err instanceof FormatFailure)) throw err;
      issues.report(err.exprId !== undefined ? (nodes.get(err.exprId)?.pos ?? e.pos) : e.pos, err.message);
      continue;
    }
    if (elems.length > requested) issues.report(e.pos, `too many arguments supplied to string.format (expected ${requested}, got ${elems.length})`);
  }
}
