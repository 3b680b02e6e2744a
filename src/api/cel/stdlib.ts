// CEL's standard library as cel-go v0.22 declares it (common/stdlib/standard.go) with
// Kubernetes' options: cross-type numeric comparisons, optional types, UTC as the default time
// zone. Arithmetic is checked the way cel-go checks it (`integer overflow`, `division by
// zero`, ...); conversions fail with cel-go's `type conversion error from 'x' to 'y'`.

import { RE2JS } from 're2js';
import { CelError, noSuchOverload } from './errors.js';
import { fn, member, type FunctionRegistry, type Overload } from './functions.js';
import { T, type CelType } from './types.js';
import {
  ArrayList,
  celCompare,
  celEquals,
  checkTimestampRange,
  civil,
  DurationVal,
  durationString,
  goFormatDouble,
  int64Max,
  int64Min,
  ListVal,
  listMapKeyOf,
  MapVal,
  OptionalVal,
  parseGoDuration,
  parseRfc3339,
  TimestampVal,
  timestampString,
  TypedList,
  TypeVal,
  typeNameOf,
  uint64Max,
  UintVal,
  type Value,
} from './values.js';

const A = T.param('A');
const B = T.param('B');
const listA = T.list(A);
const mapAB = T.map(A, B);

export const stringTraversalCostFactor = 0.1;
export const regexStringLengthCostFactor = 0.25;

export function checkedInt(v: bigint): bigint {
  if (v > int64Max || v < int64Min) throw new CelError('integer overflow');
  return v;
}

function checkedUint(v: bigint): UintVal {
  if (v < 0n || v > uint64Max) throw new CelError('unsigned integer overflow');
  return new UintVal(v);
}

/** Number of code points of a string (CEL string sizes and indices count code points). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The size cel-go's cost tracker sees for a value (strings, bytes, lists, maps), 1 otherwise. */
export function actualSize(v: Value): number {
  if (typeof v === 'string') return codePointLength(v);
  if (v instanceof Uint8Array) return v.length;
  if (v instanceof ListVal || v instanceof MapVal) return v.size;
  return 1;
}

const traversal = (n: number, factor = stringTraversalCostFactor): number => Math.ceil(n * factor);

const conversionError = (from: string, to: string): CelError => new CelError(`type conversion error from '${from}' to '${to}'`);

// ---------------------------------------------------------------------------------------------
// Regular expressions (RE2 semantics, as Go's regexp): compiled patterns are cached.

const regexCache = new Map<string, RE2JS>();

/** Compiles an RE2 pattern; throws CelError with Go's message when it is not one. */
export function compileRegex(pattern: string): RE2JS {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      throw new CelError(err instanceof Error ? err.message : String(err));
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

// ---------------------------------------------------------------------------------------------
// Lists with Kubernetes' list types: `+` merges map lists by key and unions set lists.

export function addLists(a: ListVal, b: ListVal): ListVal {
  if (a.listType === 'map' && a.mapKeys.length > 0) {
    const out = a.toArray();
    const index = new Map<string, number>();
    out.forEach((e, i) => index.set(listMapKeyOf(e, a.mapKeys), i));
    for (const e of b) {
      const k = listMapKeyOf(e, a.mapKeys);
      const at = index.get(k);
      if (at === undefined) {
        index.set(k, out.length);
        out.push(e);
      } else {
        out[at] = e;
      }
    }
    return new TypedList(out, 'map', a.mapKeys);
  }
  if (a.listType === 'set') {
    const out = a.toArray();
    for (const e of b) if (!out.some((x) => celEquals(x, e))) out.push(e);
    return new TypedList(out, 'set', []);
  }
  const out = [...a, ...b];
  return a instanceof ArrayList && !(a instanceof TypedList) ? new ArrayList(out) : new TypedList(out, 'atomic', []);
}

// ---------------------------------------------------------------------------------------------
// Time.

const nsPerSecond = 1_000_000_000n;

export function addTimestamp(t: TimestampVal, d: DurationVal): TimestampVal {
  const ns = t.ns + d.ns;
  checkTimestampRange(ns);
  return new TimestampVal(ns, t.offset);
}

/** Seconds east of UTC of time zone `tz` at instant `ns` (a name, or `+hh:mm`). */
function zoneOffset(tz: string, ns: bigint): number {
  const colon = tz.indexOf(':');
  if (colon >= 0) {
    const hr = goAtoi(tz.slice(0, colon));
    const min = goAtoi(tz.slice(colon + 1));
    const offset = tz[0] === '-' ? hr * 60 - min : hr * 60 + min;
    return offset * 60;
  }
  if (tz === '' || tz === 'UTC') return 0;
  let dtf: Intl.DateTimeFormat;
  try {
    dtf = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new CelError(`unknown time zone ${tz}`);
  }
  const ms = Number(ns / 1_000_000n);
  const whole = Math.floor(ms / 1000) * 1000;
  const parts = Object.fromEntries(dtf.formatToParts(new Date(whole)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - whole) / 1000);
}

/** Go's strconv.Atoi, failing with its message. */
function goAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CelError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

type Civil = ReturnType<typeof civil>;

function timeGetter(name: string, get: (c: Civil) => number): Overload[] {
  const base = name.replace(/^get/, '').toLowerCase();
  return [
    member(`timestamp_to_${base}`, [T.timestamp], T.int, ([t]) => BigInt(get(civil((t as TimestampVal).ns, 0)))),
    member(`timestamp_to_${base}_with_tz`, [T.timestamp, T.string], T.int, ([t, tz]) => {
      const ts = t as TimestampVal;
      return BigInt(get(civil(ts.ns, zoneOffset(tz as string, ts.ns))));
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Parsing as Go's strconv does.

function parseGoInt(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > int64Max || v < int64Min ? undefined : v;
}

function parseGoUint(s: string): bigint | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > uint64Max ? undefined : v;
}

function parseGoFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export function doubleToInt(d: number): bigint {
  if (!Number.isFinite(d) || d <= -9223372036854775808 || d >= 9223372036854775807) throw new CelError('integer overflow');
  return BigInt(Math.trunc(d));
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function valueToString(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof UintVal) return v.v.toString();
  if (typeof v === 'number') return goFormatDouble(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) {
    try {
      return utf8Decoder.decode(v);
    } catch {
      throw new CelError('invalid UTF-8 in bytes, cannot convert to string');
    }
  }
  if (v instanceof TimestampVal) return timestampString(v);
  if (v instanceof DurationVal) return durationString(v);
  throw noSuchOverload();
}

/** Whether a value is its type's zero value (optional.ofNonZeroValue). */
function isZeroValue(v: Value): boolean {
  if (typeof v === 'bigint') return v === 0n;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'string') return v === '';
  if (typeof v === 'boolean') return !v;
  if (v === null) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (v instanceof UintVal) return v.v === 0n;
  if (v instanceof DurationVal) return v.ns === 0n;
  if (v instanceof TimestampVal) return v.ns === -62135596800n * nsPerSecond;
  if (v instanceof ListVal || v instanceof MapVal) return v.size === 0;
  return false;
}

// ---------------------------------------------------------------------------------------------

const cmpOverloads = (name: string, test: (c: number) => boolean): Overload[] => {
  const pairs: Array<[string, CelType, CelType]> = [
    ['bool', T.bool, T.bool],
    ['int64', T.int, T.int],
    ['int64_double', T.int, T.double],
    ['int64_uint64', T.int, T.uint],
    ['uint64', T.uint, T.uint],
    ['uint64_double', T.uint, T.double],
    ['uint64_int64', T.uint, T.int],
    ['double', T.double, T.double],
    ['double_int64', T.double, T.int],
    ['double_uint64', T.double, T.uint],
    ['string', T.string, T.string],
    ['bytes', T.bytes, T.bytes],
    ['timestamp', T.timestamp, T.timestamp],
    ['duration', T.duration, T.duration],
  ];
  return pairs.map(([suffix, a, b]) =>
    fn(`${name}_${suffix}`, [a, b], T.bool, ([x, y]) => test(celCompare(x!, y!)), suffix === 'string' || suffix === 'bytes' ? ([x, y]) => traversal(Math.min(actualSize(x!), actualSize(y!))) : undefined),
  );
};

export function registerStandard(r: FunctionRegistry): void {
  // Logic and the conditional: the interpreter evaluates them lazily.
  r.add('_?_:_', fn('conditional', [T.bool, A, A], A));
  r.add('_&&_', fn('logical_and', [T.bool, T.bool], T.bool));
  r.add('_||_', fn('logical_or', [T.bool, T.bool], T.bool));
  r.add('!_', fn('logical_not', [T.bool], T.bool, ([b]) => !(b as boolean)));
  r.add('@not_strictly_false', fn('not_strictly_false', [T.bool], T.bool));

  const eqCost: Overload['cost'] = ([x, y]) => traversal(Math.min(actualSize(x!), actualSize(y!)));
  r.add('_==_', fn('equals', [A, A], T.bool, ([x, y]) => celEquals(x!, y!), eqCost));
  r.add('_!=_', fn('not_equals', [A, A], T.bool, ([x, y]) => !celEquals(x!, y!), eqCost));

  r.add(
    '_+_',
    fn('add_bytes', [T.bytes, T.bytes], T.bytes, ([a, b]) => Buffer.concat([a as Uint8Array, b as Uint8Array]), ([a, b]) => traversal(actualSize(a!) + actualSize(b!))),
    fn('add_double', [T.double, T.double], T.double, ([a, b]) => (a as number) + (b as number)),
    fn('add_duration_duration', [T.duration, T.duration], T.duration, ([a, b]) => new DurationVal(checkedInt((a as DurationVal).ns + (b as DurationVal).ns))),
    fn('add_duration_timestamp', [T.duration, T.timestamp], T.timestamp, ([a, b]) => addTimestamp(b as TimestampVal, a as DurationVal)),
    fn('add_timestamp_duration', [T.timestamp, T.duration], T.timestamp, ([a, b]) => addTimestamp(a as TimestampVal, b as DurationVal)),
    fn('add_int64', [T.int, T.int], T.int, ([a, b]) => checkedInt((a as bigint) + (b as bigint))),
    fn('add_list', [listA, listA], listA, ([a, b]) => addLists(a as ListVal, b as ListVal)),
    fn('add_string', [T.string, T.string], T.string, ([a, b]) => (a as string) + (b as string), ([a, b]) => traversal(actualSize(a!) + actualSize(b!))),
    fn('add_uint64', [T.uint, T.uint], T.uint, ([a, b]) => checkedUint((a as UintVal).v + (b as UintVal).v)),
  );
  r.add(
    '_-_',
    fn('subtract_double', [T.double, T.double], T.double, ([a, b]) => (a as number) - (b as number)),
    fn('subtract_duration_duration', [T.duration, T.duration], T.duration, ([a, b]) => new DurationVal(checkedInt((a as DurationVal).ns - (b as DurationVal).ns))),
    fn('subtract_int64', [T.int, T.int], T.int, ([a, b]) => checkedInt((a as bigint) - (b as bigint))),
    fn('subtract_timestamp_duration', [T.timestamp, T.duration], T.timestamp, ([a, b]) => addTimestamp(a as TimestampVal, new DurationVal(-(b as DurationVal).ns))),
    fn('subtract_timestamp_timestamp', [T.timestamp, T.timestamp], T.duration, ([a, b]) => new DurationVal(checkedInt((a as TimestampVal).ns - (b as TimestampVal).ns))),
    fn('subtract_uint64', [T.uint, T.uint], T.uint, ([a, b]) => checkedUint((a as UintVal).v - (b as UintVal).v)),
  );
  r.add(
    '_*_',
    fn('multiply_double', [T.double, T.double], T.double, ([a, b]) => (a as number) * (b as number)),
    fn('multiply_int64', [T.int, T.int], T.int, ([a, b]) => checkedInt((a as bigint) * (b as bigint))),
    fn('multiply_uint64', [T.uint, T.uint], T.uint, ([a, b]) => checkedUint((a as UintVal).v * (b as UintVal).v)),
  );
  r.add(
    '_/_',
    fn('divide_double', [T.double, T.double], T.double, ([a, b]) => (a as number) / (b as number)),
    fn('divide_int64', [T.int, T.int], T.int, ([a, b]) => {
      if (b === 0n) throw new CelError('division by zero');
      return checkedInt((a as bigint) / (b as bigint));
    }),
    fn('divide_uint64', [T.uint, T.uint], T.uint, ([a, b]) => {
      if ((b as UintVal).v === 0n) throw new CelError('division by zero');
      return new UintVal((a as UintVal).v / (b as UintVal).v);
    }),
  );
  r.add(
    '_%_',
    fn('modulo_int64', [T.int, T.int], T.int, ([a, b]) => {
      if (b === 0n) throw new CelError('modulus by zero');
      if (a === int64Min && b === -1n) throw new CelError('integer overflow');
      return (a as bigint) % (b as bigint);
    }),
    fn('modulo_uint64', [T.uint, T.uint], T.uint, ([a, b]) => {
      if ((b as UintVal).v === 0n) throw new CelError('modulus by zero');
      return new UintVal((a as UintVal).v % (b as UintVal).v);
    }),
  );
  r.add('-_', fn('negate_double', [T.double], T.double, ([a]) => -(a as number)), fn('negate_int64', [T.int], T.int, ([a]) => checkedInt(-(a as bigint))));

  r.add('_<_', ...cmpOverloads('less', (c) => c < 0));
  r.add('_<=_', ...cmpOverloads('less_equals', (c) => c <= 0));
  r.add('_>_', ...cmpOverloads('greater', (c) => c > 0));
  r.add('_>=_', ...cmpOverloads('greater_equals', (c) => c >= 0));

  // Indexing and membership: the interpreter handles them (errors, optionals, objects).
  r.add('_[_]', fn('index_list', [listA, T.int], A), fn('index_map', [mapAB, A], B), fn('optional_list_index_int', [T.optional(listA), T.int], T.optional(A)), fn('optional_map_index_value', [T.optional(mapAB), A], T.optional(B)));
  r.add('@in', fn('in_list', [A, listA], T.bool), fn('in_map', [A, mapAB], T.bool));

  const sizeOf = ([v]: Value[]): Value => {
    if (typeof v === 'string') return BigInt(codePointLength(v));
    if (v instanceof Uint8Array) return BigInt(v.length);
    if (v instanceof ListVal || v instanceof MapVal) return BigInt(v.size);
    throw noSuchOverload();
  };
  r.add(
    'size',
    fn('size_bytes', [T.bytes], T.int, sizeOf),
    member('bytes_size', [T.bytes], T.int, sizeOf),
    fn('size_list', [listA], T.int, sizeOf),
    member('list_size', [listA], T.int, sizeOf),
    fn('size_map', [mapAB], T.int, sizeOf),
    member('map_size', [mapAB], T.int, sizeOf),
    fn('size_string', [T.string], T.int, sizeOf),
    member('string_size', [T.string], T.int, sizeOf),
  );

  // Type conversions.
  r.add('type', fn('type', [A], T.type(A), ([v]) => new TypeVal(typeNameOf(v!))));
  r.add('dyn', fn('to_dyn', [A], T.dyn, ([v]) => v!));
  r.add(
    'bool',
    fn('bool_to_bool', [T.bool], T.bool, ([v]) => v!),
    fn('string_to_bool', [T.string], T.bool, ([v]) => {
      const b = parseGoBool(v as string);
      if (b === undefined) throw conversionError('string', 'bool');
      return b;
    }),
  );
  r.add(
    'bytes',
    fn('bytes_to_bytes', [T.bytes], T.bytes, ([v]) => v!),
    fn('string_to_bytes', [T.string], T.bytes, ([v]) => new Uint8Array(Buffer.from(v as string, 'utf8')), ([v]) => traversal(actualSize(v!))),
  );
  r.add(
    'double',
    fn('double_to_double', [T.double], T.double, ([v]) => v!),
    fn('int64_to_double', [T.int], T.double, ([v]) => Number(v as bigint)),
    fn('string_to_double', [T.string], T.double, ([v]) => {
      const d = parseGoFloat(v as string);
      if (d === undefined) throw conversionError('string', 'double');
      return d;
    }),
    fn('uint64_to_double', [T.uint], T.double, ([v]) => Number((v as UintVal).v)),
  );
  r.add(
    'duration',
    fn('duration_to_duration', [T.duration], T.duration, ([v]) => v!),
    fn('int64_to_duration', [T.int], T.duration, () => {
      throw conversionError('int', 'google.protobuf.Duration');
    }),
    fn('string_to_duration', [T.string], T.duration, ([v]) => {
      const d = parseGoDuration(v as string);
      if (!d) throw conversionError('string', 'google.protobuf.Duration');
      return d;
    }),
  );
  r.add(
    'int',
    fn('int64_to_int64', [T.int], T.int, ([v]) => v!),
    fn('double_to_int64', [T.double], T.int, ([v]) => doubleToInt(v as number)),
    fn('duration_to_int64', [T.duration], T.int, ([v]) => (v as DurationVal).ns),
    fn('string_to_int64', [T.string], T.int, ([v]) => {
      const i = parseGoInt(v as string);
      if (i === undefined) throw conversionError('string', 'int');
      return i;
    }),
    fn('timestamp_to_int64', [T.timestamp], T.int, ([v]) => {
      const ns = (v as TimestampVal).ns;
      return ns >= 0n ? ns / nsPerSecond : (ns - (nsPerSecond - 1n)) / nsPerSecond;
    }),
    fn('uint64_to_int64', [T.uint], T.int, ([v]) => checkedInt((v as UintVal).v)),
  );
  r.add(
    'string',
    fn('string_to_string', [T.string], T.string, ([v]) => v!),
    fn('bool_to_string', [T.bool], T.string, ([v]) => valueToString(v!)),
    fn('bytes_to_string', [T.bytes], T.string, ([v]) => valueToString(v!), ([v]) => traversal(actualSize(v!))),
    fn('double_to_string', [T.double], T.string, ([v]) => valueToString(v!)),
    fn('duration_to_string', [T.duration], T.string, ([v]) => valueToString(v!)),
    fn('int64_to_string', [T.int], T.string, ([v]) => valueToString(v!)),
    fn('timestamp_to_string', [T.timestamp], T.string, ([v]) => valueToString(v!)),
    fn('uint64_to_string', [T.uint], T.string, ([v]) => valueToString(v!)),
  );
  r.add(
    'timestamp',
    fn('timestamp_to_timestamp', [T.timestamp], T.timestamp, ([v]) => v!),
    fn('int64_to_timestamp', [T.int], T.timestamp, ([v]) => {
      const ns = (v as bigint) * nsPerSecond;
      checkTimestampRange(ns);
      return new TimestampVal(ns);
    }),
    fn('string_to_timestamp', [T.string], T.timestamp, ([v]) => {
      const t = parseRfc3339(v as string);
      if (!t) throw conversionError('string', 'google.protobuf.Timestamp');
      checkTimestampRange(t.ns);
      return t;
    }),
  );
  r.add(
    'uint',
    fn('uint64_to_uint64', [T.uint], T.uint, ([v]) => v!),
    fn('double_to_uint64', [T.double], T.uint, ([v]) => {
      const d = v as number;
      if (!Number.isFinite(d) || d < 0 || d >= 18446744073709551616) throw new CelError('unsigned integer overflow');
      return new UintVal(BigInt(Math.trunc(d)));
    }),
    fn('int64_to_uint64', [T.int], T.uint, ([v]) => checkedUint(v as bigint)),
    fn('string_to_uint64', [T.string], T.uint, ([v]) => {
      const u = parseGoUint(v as string);
      if (u === undefined) throw conversionError('string', 'uint');
      return new UintVal(u);
    }),
  );

  // Strings.
  const strCost2 = ([a, b]: Value[]): number => traversal(actualSize(a!)) * traversal(actualSize(b!));
  r.add('contains', member('contains_string', [T.string, T.string], T.bool, ([a, b]) => (a as string).includes(b as string), strCost2));
  r.add('endsWith', member('ends_with_string', [T.string, T.string], T.bool, ([a, b]) => (a as string).endsWith(b as string), ([a]) => traversal(actualSize(a!))));
  r.add('startsWith', member('starts_with_string', [T.string, T.string], T.bool, ([a, b]) => (a as string).startsWith(b as string), ([a]) => traversal(actualSize(a!))));
  const matches = ([s, p]: Value[]): Value => compileRegex(p as string).matcher(s as string).find();
  const matchesCost = ([s, p]: Value[]): number => traversal(1 + actualSize(s!)) * traversal(actualSize(p!), regexStringLengthCostFactor);
  r.add('matches', fn('matches', [T.string, T.string], T.bool, matches, matchesCost), member('matches_string', [T.string, T.string], T.bool, matches, matchesCost));

  // Time.
  r.add('getFullYear', ...timeGetter('getFullYear', (c) => c.year));
  r.add('getMonth', ...timeGetter('getMonth', (c) => c.month - 1));
  r.add('getDayOfYear', ...timeGetter('getDayOfYear', (c) => c.yearDay));
  r.add('getDayOfMonth', ...timeGetter('getDayOfMonth', (c) => c.day - 1));
  r.add('getDate', ...timeGetter('getDate', (c) => c.day));
  r.add('getDayOfWeek', ...timeGetter('getDayOfWeek', (c) => c.weekday));
  const dur = (div: bigint) => ([d]: Value[]): Value => (d as DurationVal).ns / div;
  r.add('getHours', ...timeGetter('getHours', (c) => c.hour), member('duration_to_hours', [T.duration], T.int, dur(3_600_000_000_000n)));
  r.add('getMinutes', ...timeGetter('getMinutes', (c) => c.minute), member('duration_to_minutes', [T.duration], T.int, dur(60_000_000_000n)));
  r.add('getSeconds', ...timeGetter('getSeconds', (c) => c.second), member('duration_to_seconds', [T.duration], T.int, dur(nsPerSecond)));
  r.add('getMilliseconds', ...timeGetter('getMilliseconds', (c) => Math.floor(c.nanos / 1_000_000)), member('duration_to_milliseconds', [T.duration], T.int, dur(1_000_000n)));

  // Optional values (cel.OptionalTypes).
  const V = T.param('V');
  const K = T.param('K');
  const optV = T.optional(V);
  r.add('optional.of', fn('optional_of', [V], optV, ([v]) => new OptionalVal(v!)));
  r.add('optional.ofNonZeroValue', fn('optional_ofNonZeroValue', [V], optV, ([v]) => (isZeroValue(v!) ? OptionalVal.none : new OptionalVal(v!))));
  r.add('optional.none', fn('optional_none', [], optV, () => OptionalVal.none));
  r.add(
    'value',
    member('optional_value', [optV], V, ([o]) => {
      const v = (o as OptionalVal).value;
      if (v === undefined) throw new CelError('optional.none() dereference');
      return v;
    }),
  );
  r.add('hasValue', member('optional_hasValue', [optV], T.bool, ([o]) => (o as OptionalVal).hasValue));
  r.add('or', member('optional_or_optional', [optV, optV], optV));
  r.add('orValue', member('optional_orValue_value', [optV, V], V));
  r.add('_?._', fn('select_optional_field', [T.dyn, T.string], optV));
  r.add(
    '_[?_]',
    fn('list_optindex_optional_int', [T.list(V), T.int], optV),
    fn('optional_list_optindex_optional_int', [T.optional(T.list(V)), T.int], optV),
    fn('map_optindex_optional_value', [T.map(K, V), K], optV),
    fn('optional_map_optindex_optional_value', [T.optional(T.map(K, V)), K], optV),
  );
}
