// Run-time values of CEL expressions and the semantics of equality and ordering (cel-go's
// common/types): int is a bigint kept in int64 range, uint a UintVal, double a number, string a
// JS string (sizes and indices in code points), bytes a Uint8Array, null null, bool boolean.
// Lists and maps are classes so values converted from a custom resource (unstructured.ts) can
// be lazy and keep Kubernetes' semantics (map lists compare without order, objects hide null
// fields).

import { CelError, noSuchOverload } from './errors.js';

export const int64Min = -(2n ** 63n);
export const int64Max = 2n ** 63n - 1n;
export const uint64Max = 2n ** 64n - 1n;

export class UintVal {
  constructor(readonly v: bigint) {}
}

/** A duration in nanoseconds (Go's time.Duration: int64 range). */
export class DurationVal {
  constructor(readonly ns: bigint) {}
}

/**
 * A point in time: nanoseconds since the Unix epoch, and the UTC offset (seconds east) it was
 * written with, which Go keeps in the time's location and prints back (string(timestamp)).
 */
export class TimestampVal {
  constructor(
    readonly ns: bigint,
    readonly offset = 0,
  ) {}
}

/** A type as a value (`type(x)`, `int`): compared by name. */
export class TypeVal {
  constructor(readonly name: string) {}
}

export class OptionalVal {
  static readonly none = new OptionalVal(undefined);
  constructor(readonly value: Value | undefined) {}
  get hasValue(): boolean {
    return this.value !== undefined;
  }
}

/** A value of a Kubernetes library type (Quantity, URL, IP, CIDR, Format): see library.ts. */
export abstract class OpaqueVal {
  abstract readonly typeName: string;
  abstract equals(other: OpaqueVal): boolean;
}

/** Data under x-kubernetes-preserve-unknown-fields with no schema type: only compared. */
export class UnknownVal {
  constructor(readonly raw: unknown) {}
}

export abstract class ListVal {
  abstract readonly size: number;
  /** The element at `i` (0 <= i < size); throws when the element cannot be converted. */
  abstract at(i: number): Value;
  /** Kubernetes list type of a list from a custom resource; literal lists are atomic. */
  readonly listType: 'atomic' | 'set' | 'map' = 'atomic';
  /** Escaped key property names of a map list. */
  readonly mapKeys: readonly string[] = [];
  /** Error text for an index out of range (cel-go's list and Kubernetes' unstructured list differ). */
  abstract outOfRange(i: bigint): CelError;
  *[Symbol.iterator](): IterableIterator<Value> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }
  toArray(): Value[] {
    return [...this];
  }
}

export class ArrayList extends ListVal {
  constructor(readonly elems: readonly Value[]) {
    super();
  }
  get size(): number {
    return this.elems.length;
  }
  at(i: number): Value {
    return this.elems[i]!;
  }
  outOfRange(i: bigint): CelError {
    return new CelError(`index '${i}' out of range in list size '${this.elems.length}'`);
  }
}

/** A list with Kubernetes list semantics kept (the result of `+` on a set or map list). */
export class TypedList extends ArrayList {
  constructor(
    elems: readonly Value[],
    override readonly listType: 'atomic' | 'set' | 'map',
    override readonly mapKeys: readonly string[],
  ) {
    super(elems);
  }
  override outOfRange(i: bigint): CelError {
    return new CelError(`index out of bounds: ${i}`);
  }
}

export abstract class MapVal {
  abstract readonly size: number;
  /** The value under `key`, or undefined when absent; throws for a key of a type the map cannot hold. */
  abstract find(key: Value): Value | undefined;
  /** The keys a comprehension iterates. */
  abstract keys(): Value[];
  /** Whether this is an object of a schema with properties (fields), not a map. */
  readonly isObject: boolean = false;
  /** Equality of its own kind when it has one (objects of custom resources), else undefined. */
  customEquals(_other: MapVal): boolean | undefined {
    return undefined;
  }
}

/** The canonical form of a map key: ints, uints and integral doubles of equal value are one key. */
export function mapKey(k: Value): string {
  if (typeof k === 'string') return `s:${k}`;
  if (typeof k === 'boolean') return `b:${k}`;
  if (typeof k === 'bigint') return `n:${k}`;
  if (k instanceof UintVal) return `n:${k.v}`;
  if (typeof k === 'number') return Number.isInteger(k) && Math.abs(k) < 2 ** 64 ? `n:${BigInt(k)}` : `d:${k}`;
  throw noSuchOverload();
}

export class LiteralMap extends MapVal {
  private readonly entries = new Map<string, [Value, Value]>();
  constructor(entries: Iterable<[Value, Value]> = []) {
    super();
    for (const [k, v] of entries) this.entries.set(mapKey(k), [k, v]);
  }
  /** Adds an entry; false when the key is there already. */
  add(k: Value, v: Value): boolean {
    const c = mapKey(k);
    if (this.entries.has(c)) return false;
    this.entries.set(c, [k, v]);
    return true;
  }
  get size(): number {
    return this.entries.size;
  }
  find(key: Value): Value | undefined {
    if (typeof key === 'number' && !Number.isInteger(key)) return undefined;
    if (key === null || typeof key === 'object') {
      if (!(key instanceof UintVal)) throw noSuchOverload();
    }
    return this.entries.get(mapKey(key))?.[1];
  }
  keys(): Value[] {
    return [...this.entries.values()].map(([k]) => k);
  }
}

/** An accumulator holding an error (comprehensions keep going after an element's error). */
export class ErrorVal {
  constructor(readonly error: CelError) {}
}

export type Value =
  | bigint
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | UintVal
  | DurationVal
  | TimestampVal
  | TypeVal
  | OptionalVal
  | OpaqueVal
  | UnknownVal
  | ListVal
  | MapVal
  | ErrorVal;

// ---------------------------------------------------------------------------------------------
// Types of values.

export function typeNameOf(v: Value): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'null_type';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof UintVal) return 'uint';
  if (v instanceof DurationVal) return 'google.protobuf.Duration';
  if (v instanceof TimestampVal) return 'google.protobuf.Timestamp';
  if (v instanceof TypeVal) return 'type';
  if (v instanceof OptionalVal) return 'optional_type';
  if (v instanceof ListVal) return 'list';
  if (v instanceof MapVal) return 'map';
  if (v instanceof OpaqueVal) return v.typeName;
  if (v instanceof UnknownVal) return 'unknown';
  return 'error';
}

// ---------------------------------------------------------------------------------------------
// Equality (cel-go's heterogeneous equality) and ordering.

function numeric(v: Value): bigint | number | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (v instanceof UintVal) return v.v;
  return undefined;
}

/** Compares two numbers of any of int, uint, double; NaN compares as undefined. */
function compareNumeric(a: bigint | number, b: bigint | number): number | undefined {
  if (typeof a === 'number' && Number.isNaN(a)) return undefined;
  if (typeof b === 'number' && Number.isNaN(b)) return undefined;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  // Mixed: compare exactly (a double beyond int64 range is beyond every integer).
  const [x, y, flip] = typeof a === 'number' ? [a, b as bigint, 1] : [b as number, a, -1];
  if (!Number.isFinite(x)) return (x > 0 ? 1 : -1) * flip;
  const t = Math.trunc(x);
  const bt = BigInt(t);
  let c: number;
  if (bt < y) c = -1;
  else if (bt > y) c = 1;
  else c = x > t ? 1 : x < t ? -1 : 0;
  return c * flip;
}

const bytesCompare = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
};

/** Strings compare as Go compares them: by UTF-8 bytes, i.e. by code points. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** -1, 0 or 1 as `a` orders before, with or after `b`; throws `no such overload` for values with no order between them. */
export function celCompare(a: Value, b: Value): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    const c = compareNumeric(na, nb);
    if (c === undefined) throw new CelError('NaN values cannot be ordered');
    return c;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesCompare(a, b);
  if (a instanceof DurationVal && b instanceof DurationVal) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  if (a instanceof TimestampVal && b instanceof TimestampVal) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  throw noSuchOverload();
}

/** CEL equality; throws when comparing needs an element that cannot be converted. */
export function celEquals(a: Value, b: Value): boolean {
  if (a instanceof ErrorVal) throw a.error;
  if (b instanceof ErrorVal) throw b.error;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    return compareNumeric(na, nb) === 0;
  }
  if (a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesCompare(a, b) === 0;
  if (a instanceof DurationVal) return b instanceof DurationVal && a.ns === b.ns;
  if (a instanceof TimestampVal) return b instanceof TimestampVal && a.ns === b.ns;
  if (a instanceof TypeVal) return b instanceof TypeVal && a.name === b.name;
  if (a instanceof OptionalVal) {
    if (!(b instanceof OptionalVal)) return false;
    if (a.value === undefined || b.value === undefined) return a.value === b.value;
    return celEquals(a.value, b.value);
  }
  if (a instanceof OpaqueVal) return b instanceof OpaqueVal && a.typeName === b.typeName && a.equals(b);
  if (a instanceof UnknownVal) return jsonDeepEqual(a.raw, b instanceof UnknownVal ? b.raw : undefined);
  if (a instanceof ListVal) return b instanceof ListVal && listEquals(a, b);
  if (a instanceof MapVal) return b instanceof MapVal && mapEquals(a, b);
  return false;
}

function listEquals(a: ListVal, b: ListVal): boolean {
  if (a.size !== b.size) return false;
  if (a.listType === 'set') {
    // Order does not matter in a set list.
    const mine = a.toArray();
    for (const x of b) if (!mine.some((m) => celEquals(m, x))) return false;
    return true;
  }
  if (a.listType === 'map' && a.mapKeys.length > 0) {
    // Items are matched by their keys, in any order.
    const mine = a.toArray();
    for (const x of b) {
      const k = listMapKeyOf(x, a.mapKeys);
      const match = mine.find((m) => listMapKeyOf(m, a.mapKeys) === k);
      if (match === undefined || !celEquals(match, x)) return false;
    }
    return true;
  }
  for (let i = 0; i < a.size; i++) if (!celEquals(a.at(i), b.at(i))) return false;
  return true;
}

/** The identity of a map-list item: its key properties' values. */
export function listMapKeyOf(item: Value, keys: readonly string[]): string {
  if (!(item instanceof MapVal)) return `#${String(item)}`;
  return keys
    .map((k) => {
      const v = item.find(k);
      return v === undefined ? 'undefined' : debugKey(v);
    })
    .join('\u0000');
}

function debugKey(v: Value): string {
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') return `d${v}`;
  if (typeof v === 'string') return `s${v}`;
  return `o${String(v)}`;
}

function mapEquals(a: MapVal, b: MapVal): boolean {
  if (a.size !== b.size) return false;
  const own = a.customEquals(b);
  if (own !== undefined) return own;
  for (const k of a.keys()) {
    const av = a.find(k);
    const bv = b.find(k);
    if (av === undefined) continue;
    if (bv === undefined || !celEquals(av, bv)) return false;
  }
  return true;
}

/** Structural equality of JSON values (Go's equality.Semantic.DeepEqual on unstructured data). */
export function jsonDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonDeepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonDeepEqual(ao[k], bo[k]));
}

// ---------------------------------------------------------------------------------------------
// Printing as Go does.

/** Go's strconv.FormatFloat(f, 'g', -1, 64), fmt's %v and %g of a float64: shortest digits, exponent form below 1e-4 and from 1e6. */
export function goFormatDouble(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const exp = f.toExponential(); // shortest digits: d.ddde±x
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp)!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const e = Number(m[4]);
  if (e < -4 || e >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${es}`;
  }
  if (e >= digits.length - 1) return sign + digits + '0'.repeat(e - digits.length + 1);
  if (e >= 0) return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
}

/** A duration as CEL's string(duration): seconds with the shortest fraction, then `s`. */
export function durationString(d: DurationVal): string {
  const neg = d.ns < 0n;
  const abs = neg ? -d.ns : d.ns;
  const sec = abs / 1_000_000_000n;
  const frac = abs % 1_000_000_000n;
  let s = sec.toString();
  if (frac !== 0n) s += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}s`;
}

const pad = (n: number | bigint, w: number): string => String(n).padStart(w, '0');

/** Civil date and time of nanoseconds since the epoch shifted by `offset` seconds. */
export function civil(ns: bigint, offset: number): { year: number; month: number; day: number; hour: number; minute: number; second: number; nanos: number; weekday: number; yearDay: number } {
  const shifted = ns + BigInt(offset) * 1_000_000_000n;
  let secs = shifted / 1_000_000_000n;
  let nanos = shifted % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    secs -= 1n;
  }
  const days = Number(secs >= 0n ? secs / 86400n : (secs - 86399n) / 86400n);
  const rem = Number(secs - BigInt(days) * 86400n);
  // Civil from days (Howard Hinnant's algorithm).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const weekday = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
  const yearDay = cum[month - 1]! + day - 1 + (leap && month > 2 ? 1 : 0);
  return { year, month, day, hour: Math.floor(rem / 3600), minute: Math.floor((rem % 3600) / 60), second: rem % 60, nanos: Number(nanos), weekday, yearDay };
}

/** Days since the epoch of a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** A timestamp as Go's time.Format(time.RFC3339Nano) prints it, in the offset it carries. */
export function timestampString(t: TimestampVal): string {
  const c = civil(t.ns, t.offset);
  let s = `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}`;
  if (c.nanos !== 0) s += '.' + pad(c.nanos, 9).replace(/0+$/, '');
  if (t.offset === 0) return s + 'Z';
  const o = Math.abs(t.offset);
  return `${s}${t.offset < 0 ? '-' : '+'}${pad(Math.floor(o / 3600), 2)}:${pad(Math.floor((o % 3600) / 60), 2)}`;
}

/** Seconds since the epoch of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: CEL's timestamp range. */
export const minUnixSeconds = -62135596800n;
export const maxUnixSeconds = 253402300799n;

export function checkTimestampRange(ns: bigint): void {
  const sec = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  if (sec < minUnixSeconds || sec > maxUnixSeconds) throw new CelError('timestamp overflow');
}

/**
 * Parses an RFC 3339 time as CEL's timestamp(string) does (Go's time.Parse(time.RFC3339)),
 * or leniently as strfmt.ParseDateTime reads custom resource date-time fields; undefined when
 * it does not parse.
 */
export function parseRfc3339(s: string, lenient = false): TimestampVal | undefined {
  const re = lenient
    ? /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/
    : /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
  const m = re.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  if (d > dim) return undefined;
  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const frac = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + se) - BigInt(offset);
  return new TimestampVal(secs * 1_000_000_000n + frac, offset);
}

const durationUnits: Record<string, bigint> = { ns: 1n, us: 1000n, µs: 1000n, μs: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's time.ParseDuration; undefined when it does not parse or overflows. */
export function parseGoDuration(s: string): DurationVal | undefined {
  let rest = s;
  let neg = false;
  if (rest[0] === '-' || rest[0] === '+') {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return new DurationVal(0n);
  if (rest === '') return undefined;
  // Exact arithmetic in units of 1e-9 ns (fractions up to 9 digits below a nanosecond are dropped as Go does).
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const unit = durationUnits[m[3]!]!;
    const whole = BigInt(m[1] || '0');
    let v = whole * unit;
    if (m[2]) {
      const fracDigits = m[2];
      const scale = 10n ** BigInt(fracDigits.length);
      v += (BigInt(fracDigits) * unit) / scale;
    }
    total += v;
    if (total > 2n ** 63n) return undefined;
    rest = rest.slice(m[0].length);
  }
  if (neg) total = -total;
  if (total > int64Max || total < int64Min) return undefined;
  return new DurationVal(total);
}

/** A value as Go's %v prints a CEL value in error messages (`no such key: %v`). */
export function goValueText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFormatDouble(v);
  if (v instanceof UintVal) return String(v.v);
  if (v === null) return 'null';
  if (v instanceof DurationVal) return durationString(v);
  if (v instanceof TimestampVal) return timestampString(v);
  if (v instanceof TypeVal) return v.name;
  return String(v);
}
