// JSON numbers as everynode holds them: JavaScript numbers (64-bit floats), written back by
// JSON.stringify in their shortest form. Every integer up to 2^53 survives that; beyond, most do
// not: 9007199254740993 becomes 9007199254740992, and even 2^60, which a float holds exactly, is
// written 1152921504606847000. Upstream keeps every int64 exactly, so an integer within int64
// that would not come back as itself is refused where it is read (the API server's JSON and YAML
// decoding, the CLI's manifests), never stored as another number.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True when `n` is within int64 and would not be written back as itself (see above). */
export function isInexactInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX && BigInt(String(Number(n))) !== n;
}

/** True when the integer number `v` is written back by JSON.stringify as the integer it is. */
export function writesBackExactly(v: number): boolean {
  return Number.isSafeInteger(v) || (Number.isInteger(v) && Math.abs(v) < 2 ** 64 && BigInt(String(v)) === BigInt(v));
}

/** The refusal of such an integer (as written), at `path` when known (`spec.items[0].id`). */
export function inexactIntegerMessage(text: string, path = ''): string {
  return `the integer ${text}${path ? ` at ${path}` : ''} cannot be stored exactly: everynode holds JSON numbers as 64-bit floats (integers up to 2^53 exactly)`;
}
