// Custom resource data (JSON) as CEL values, by its schema (apiserver's UnstructuredToVal):
// converted lazily as expressions reach into it. Objects with properties hide null fields and
// answer escaped names; x-kubernetes-list-type map and set lists compare regardless of order;
// strings of format byte, duration, date and date-time are bytes, durations and timestamps;
// int-or-string is an int or a string; numbers of a `number` schema are doubles.

import { CelError } from './errors.js';
import { additionalProperties, escapeName, isEmbeddedResource, isIntOrString, isNullable, items, listMapKeys, listType, preservesUnknownFields, properties, schemaFormat, schemaType, unescapeName, withTypeAndObjectMeta, type Schema } from './schema.js';
import { celEquals, DurationVal, jsonDeepEqual, ListVal, MapVal, parseGoDuration, parseRfc3339, UnknownVal, type Value } from './values.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a JSON number decodes as an int64 (Kubernetes' decoder makes other numbers float64).
 * JSON.parse has already rounded integers near 2^63 to 2^63, which stands for int64's maximum.
 */
const isInt64 = (n: number): boolean => Number.isInteger(n) && n >= -9223372036854775808 && n <= 9223372036854775808;

const toInt64 = (n: number): bigint => (n >= 9223372036854775808 ? 9223372036854775807n : BigInt(n));

/** Go's %T of a JSON value as Kubernetes' decoder holds it. */
function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return isInt64(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObj(v)) return 'map[string]interface {}';
  return '<nil>';
}

/** The CEL value of `raw` under schema `s`; throws the conversion error upstream would give for it. */
export function toCel(raw: unknown, s: Schema): Value {
  if (raw === null || raw === undefined) {
    if (isNullable(s)) return null;
    throw new CelError('invalid data, got null for schema with nullable=false');
  }
  if (isIntOrString(s)) {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' && isInt64(raw)) return toInt64(raw);
    throw new CelError('invalid data, expected XIntOrString value to be either a string or integer');
  }
  switch (schemaType(s)) {
    case 'object':
      if (!isObj(raw)) throw new CelError('invalid data, expected a map for the provided schema with type=object');
      return new SchemaMap(raw, s);
    case 'array': {
      if (!Array.isArray(raw)) throw new CelError('invalid data, expected an array for the provided schema with type=array');
      const it = items(s);
      if (!it) throw new CelError('invalid array type, expected Items with a non-empty Schema');
      const lt = listType(s);
      if (lt !== undefined && lt !== 'map' && lt !== 'set' && lt !== 'atomic') throw new CelError(`invalid x-kubernetes-list-type, expected 'map', 'set' or 'atomic' but got ${lt}`);
      return new SchemaList(raw, it, lt === 'map' || lt === 'set' ? lt : 'atomic', lt === 'map' ? listMapKeys(s).map((k) => escapeName(k) ?? k) : []);
    }
    case 'string': {
      if (typeof raw !== 'string') throw new CelError(`invalid data, expected string, got ${goTypeName(raw)}`);
      switch (schemaFormat(s)) {
        case 'duration': {
          const d = parseStrfmtDuration(raw);
          if (typeof d === 'string') throw new CelError(`Invalid duration ${raw}: ${d}`);
          return d;
        }
        case 'date': {
          const t = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? parseRfc3339(`${raw}T00:00:00Z`) : undefined;
          if (!t) throw new CelError(`Invalid date formatted string ${raw}: parsing time ${JSON.stringify(raw)} as "2006-01-02": cannot parse ${JSON.stringify(raw)} as "2006"`);
          return t;
        }
        case 'date-time': {
          const t = parseRfc3339(raw, true);
          if (!t) throw new CelError(`Invalid date-time formatted string ${raw}: parsing time ${JSON.stringify(raw)}: cannot parse`);
          return t;
        }
        case 'byte': {
          if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(raw)) throw new CelError(`Invalid byte formatted string ${raw}: illegal base64 data`);
          return new Uint8Array(Buffer.from(raw, 'base64'));
        }
      }
      return raw;
    }
    case 'number':
      if (typeof raw !== 'number') throw new CelError(`invalid data, expected float, got ${goTypeName(raw)}`);
      return raw;
    case 'integer':
      if (typeof raw !== 'number' || !isInt64(raw)) throw new CelError(`invalid data, expected int, got ${goTypeName(raw)}`);
      return toInt64(raw);
    case 'boolean':
      if (typeof raw !== 'boolean') throw new CelError(`invalid data, expected bool, got ${goTypeName(raw)}`);
      return raw;
  }
  if (preservesUnknownFields(s)) return new UnknownVal(raw);
  throw new CelError(`invalid type, expected object, array, number, integer, boolean or string, or no type with x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is true, got ${schemaType(s)}`);
}

// kube-openapi strfmt's duration.go. Go's regexp \s is [\t\n\f\r ] and \d is ASCII.
const durationValidator = /^[\t\n\f\r ]*(?:[0-9]+[\t\n\f\r ]*[A-Za-zµ]+[\t\n\f\r ]*)+$/;
const durationMatcher = /([0-9]+)[\t\n\f\r ]*([A-Za-zµ]+)/g;
const timeUnits: ReadonlyArray<readonly [readonly string[], bigint]> = [
  [['ns', 'nano'], 1n],
  [['us', 'µs', 'micro'], 1_000n],
  [['ms', 'milli'], 1_000_000n],
  [['s', 'sec'], 1_000_000_000n],
  [['m', 'min'], 60_000_000_000n],
  [['h', 'hr', 'hour'], 3_600_000_000_000n],
  [['d', 'day'], 86_400_000_000_000n],
  [['w', 'wk', 'week'], 604_800_000_000_000n],
];

/**
 * strfmt's ParseDuration, which custom resource fields of format duration go through: a Go
 * duration, else `<number><unit>` parts (`1 month 2 days`): the parts with a known unit (one of
 * the table's names, or a word starting with a group's long name: `days`, `minutes`) are summed,
 * the others skipped; at least one must be known. The arithmetic is Go's int64 arithmetic: a
 * count beyond int64 fails as strconv.Atoi does, and products and sums past the int64 range
 * wrap around (`110000 days` is a negative duration), exactly as the apiserver computes them.
 * Returns the duration, or the error text upstream gives.
 */
export function parseStrfmtDuration(s: string): DurationVal | string {
  const go = parseGoDuration(s);
  if (go) return go;
  const unable = `unable to parse ${s} as duration`;
  if (!durationValidator.test(s)) return unable;
  let total = 0n;
  let ok = false;
  for (const m of s.matchAll(durationMatcher)) {
    const factor = BigInt(m[1]!);
    if (factor > 9223372036854775807n) return `strconv.Atoi: parsing ${JSON.stringify(m[1])}: value out of range`;
    const unit = m[2]!.toLowerCase();
    for (const [variants, multiplier] of timeUnits) {
      const last = variants.length - 1;
      for (const [i, variant] of variants.entries()) {
        if ((i === last && unit.startsWith(variant)) || variant === unit) {
          ok = true;
          total = BigInt.asIntN(64, total + BigInt.asIntN(64, factor * multiplier));
        }
      }
    }
  }
  return ok ? new DurationVal(total) : unable;
}

/** An array of a custom resource. */
export class SchemaList extends ListVal {
  private readonly cache: Value[] = [];
  constructor(
    readonly raw: readonly unknown[],
    private readonly itemSchema: Schema,
    override readonly listType: 'atomic' | 'set' | 'map',
    override readonly mapKeys: readonly string[],
  ) {
    super();
  }
  get size(): number {
    return this.raw.length;
  }
  at(i: number): Value {
    let v = this.cache[i];
    if (v === undefined) {
      v = toCel(this.raw[i], this.itemSchema);
      this.cache[i] = v;
    }
    return v;
  }
  outOfRange(i: bigint): CelError {
    return new CelError(`index out of bounds: ${i}`);
  }
}

/**
 * An object of a custom resource: with properties (an object: names are escaped, null fields
 * are absent), with additionalProperties (a map), or with neither (no field visible).
 */
export class SchemaMap extends MapVal {
  override readonly isObject: boolean;
  private readonly props: Record<string, Schema> | undefined;
  private readonly additional: Schema | undefined;
  private readonly cache = new Map<string, Value>();

  constructor(
    readonly raw: Record<string, unknown>,
    schema: Schema,
  ) {
    super();
    const s = isEmbeddedResource(schema) ? withTypeAndObjectMeta(schema) : schema;
    this.props = isEmbeddedResource(schema) || properties(s) ? (properties(s) ?? {}) : undefined;
    this.additional = this.props ? undefined : additionalProperties(s);
    this.isObject = this.props !== undefined;
  }

  private propSchema(key: string): Schema | undefined {
    if (this.props) return Object.prototype.hasOwnProperty.call(this.props, key) ? this.props[key] : undefined;
    return this.additional;
  }

  get size(): number {
    return Object.keys(this.raw).length;
  }

  find(key: Value): Value | undefined {
    if (typeof key !== 'string') throw new CelError('no such overload');
    let k: string | undefined = key;
    if (this.isObject) {
      k = unescapeName(key);
      if (k === undefined) return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(this.raw, k)) return undefined;
    const v = this.raw[k];
    if (this.isObject && (v === null || v === undefined)) return undefined;
    const ps = this.propSchema(k);
    if (!ps) return undefined;
    let out = this.cache.get(k);
    if (out === undefined) {
      out = toCel(v, ps);
      this.cache.set(k, out);
    }
    return out;
  }

  keys(): Value[] {
    const out: Value[] = [];
    for (const k of Object.keys(this.raw)) {
      if (!this.propSchema(k)) continue;
      out.push(this.isObject ? (escapeName(k) ?? k) : k);
    }
    return out;
  }

  /** Upstream's unstructuredMap.Equal: fields by schema, unknown fields by their JSON. */
  override customEquals(other: MapVal): boolean | undefined {
    for (const [key, value] of Object.entries(this.raw)) {
      const ps = this.propSchema(key);
      if (ps) {
        const ov = other.find(key);
        if (ov === undefined) return false;
        const mine = toCel(value, ps);
        if (!celEquals(mine, ov)) return false;
      } else {
        if (!(other instanceof SchemaMap)) throw new CelError('no such overload');
        if (Object.prototype.hasOwnProperty.call(other.raw, key) && !jsonDeepEqual(value, other.raw[key])) return false;
      }
    }
    return true;
  }
}

