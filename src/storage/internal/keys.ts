// Key ordering and prefix ranges shared by the backends.
//
// Keys are compared in UTF-8 byte order (what etcd and SQLite's BINARY collation use), which is
// code-point order. JavaScript's `<` compares UTF-16 code units, which differs only when a
// surrogate pair (code points >= U+10000) meets a BMP character in U+E000..U+FFFF.

/** Negative, zero or positive as `a` sorts before, equal to, or after `b` in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800..0xDFFF) encodes a code point above every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `prefix`, or undefined when
 * no such bound exists (empty prefix: the range is unbounded). Keys k with
 * `prefix <= k < prefixEnd(prefix)` are exactly the keys starting with `prefix`.
 */
export function prefixEnd(prefix: string): string | undefined {
  // Walks back over the code points of the prefix (a lone surrogate counts as one), without
  // spreading them into a call: a prefix may be as long as a request line (1 MiB).
  let end = prefix.length;
  while (end > 0) {
    let start = end - 1;
    const unit = prefix.charCodeAt(start);
    if (unit >= 0xdc00 && unit <= 0xdfff && start > 0) {
      const high = prefix.charCodeAt(start - 1);
      if (high >= 0xd800 && high <= 0xdbff) start--;
    }
    const last = prefix.codePointAt(start)!;
    if (last < 0x10ffff) {
      // Skip the surrogate range: those are not code points of their own.
      return prefix.slice(0, start) + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
    }
    end = start;
  }
  return undefined;
}

/** Index of the first element of the sorted `keys` that is >= `key` (or > `key` when `strict`). */
export function lowerBound(keys: readonly string[], key: string, strict = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid]!, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
