// JSON value helpers shared by the three patch flavours. Values are plain JSON as produced by
// JSON.parse: null, boolean, number, string, arrays and plain objects (no undefined inside).

export type JsonObject = Record<string, unknown>;

const hasOwnProp = Object.prototype.hasOwnProperty;

export function hasOwn(o: object, k: string): boolean {
  return hasOwnProp.call(o, k);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep copy of a JSON value; `undefined` members are dropped as JSON would. Walks keys with
 * for-in (plain JSON objects have no inherited enumerable keys): no key array per object, on
 * a path every update takes.
 */
export function deepClone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i] as unknown);
    return out as T;
  }
  const src = v as JsonObject;
  const out: JsonObject = {};
  for (const k in src) {
    const x = src[k];
    if (x !== undefined) out[k] = deepClone(x);
  }
  return out as T;
}

/** Structural JSON equality (object key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    let na = 0;
    for (const k in a) {
      const x = a[k];
      if (x === undefined) continue;
      na++;
      if (!hasOwn(b, k) || !deepEqual(x, b[k])) return false;
    }
    let nb = 0;
    for (const k in b) if (b[k] !== undefined) nb++;
    return na === nb;
  }
  return false;
}

/** JSON type as Go's reflect would distinguish decoded JSON values. */
export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonType(v: unknown): JsonType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

/** Go type name of a decoded JSON value, for upstream-worded error messages. */
export function goTypeName(v: unknown): string {
  switch (jsonType(v)) {
    case 'null':
      return '<nil>';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
    case 'string':
      return 'string';
    case 'array':
      return '[]interface {}';
    case 'object':
      return 'map[string]interface {}';
  }
}

function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // Shortest round-trip digits, then Go's %g choice between %e and %f (precision 6 rule).
  const [mant, expStr] = n.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const digits = mant.replace('-', '').replace('.', '');
  let eprec = 6;
  if (eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  if (exp < -4 || exp >= eprec) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return String(n);
}

/** Go's %v rendering of a decoded JSON value (maps print with sorted keys). */
export function goFormat(v: unknown): string {
  switch (jsonType(v)) {
    case 'null':
      return '<nil>';
    case 'boolean':
    case 'string':
      return String(v);
    case 'number':
      return goFloat(v as number);
    case 'array':
      return `[${(v as unknown[]).map(goFormat).join(' ')}]`;
    case 'object': {
      const o = v as JsonObject;
      const keys = Object.keys(o).sort();
      return `map[${keys.map((k) => `${k}:${goFormat(o[k])}`).join(' ')}]`;
    }
  }
}

/**
 * The deepest nesting of arrays and objects any request body, patch or patched object may
 * have. Go's encoding/json stops at 10000; the JSON walks of this code base (schema decoding,
 * the three patch flavours, deepClone/deepEqual, managed fields) recurse once per level, and a
 * stack overflow must never be what stops them: it would be a 500, and V8 may even abort the
 * process when the overflow hits a regular expression compilation. Measured on a cold server
 * (before the JIT shrinks frames), a PUT of an object nested 1000 levels needs about 540 KiB of
 * node's 984 KiB stack, the most of all write paths; 512 levels keep a margin of more than
 * three, and are far beyond any real object. Depth counts containers: `{}` and `[]` are 1,
 * `{"a":[]}` is 2, a scalar is 0.
 */
export const MAX_NESTING_DEPTH = 512;

/**
 * The nesting depth of a decoded JSON (or YAML) value, measured iteratively (it must not recurse
 * itself). Stops as soon as the depth exceeds `limit` and then returns `limit + 1`, so a cyclic
 * value (YAML aliases) or an enormous one costs no more than `limit` levels of it.
 */
export function nestingDepth(v: unknown, limit = MAX_NESTING_DEPTH): number {
  if (typeof v !== 'object' || v === null) return 0;
  const values: unknown[] = [v];
  const depths: number[] = [1];
  let max = 0;
  while (values.length > 0) {
    const cur = values.pop() as object;
    const d = depths.pop()!;
    if (d > max) {
      max = d;
      if (max > limit) return limit + 1;
    }
    if (Array.isArray(cur)) {
      for (const x of cur) {
        if (typeof x === 'object' && x !== null) {
          values.push(x);
          depths.push(d + 1);
        }
      }
    } else {
      for (const k in cur) {
        const x = (cur as JsonObject)[k];
        if (typeof x === 'object' && x !== null) {
          values.push(x);
          depths.push(d + 1);
        }
      }
    }
  }
  return max;
}
