// Decoded JSON as Go's encoding/json writes it: what kubectl prints and what the upstream server
// stores where a byte-exact text is observable (kubectl's last-applied-configuration annotation).

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's HTML-safe escaping of JSON text: `<`, `>`, `&`, U+2028 and U+2029 as \u escapes. */
export const goEscape = (s: string): string => s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** A copy of a decoded JSON value with every object's keys sorted (Go's map order). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isMap(v)) {
    const out: JsonMap = {};
    // defineProperty: a `__proto__` key stays a key.
    for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: sortKeys(v[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Go's json.Marshal of decoded JSON: compact, keys sorted, `<`, `>`, `&` escaped. */
export function goJson(v: unknown): string {
  return goEscape(JSON.stringify(sortKeys(v)));
}
