// Go's time.ParseDuration, for the values upstream reads with it (the `timeout` query
// parameter): the duration in nanoseconds, or Go's error text.

const unitNanos: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n,
  '\u03bcs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a Go duration (`300ms`, `-1.5h`, `2h45m`). Errors read as Go's: `time: invalid duration
 * "x"`, `time: missing unit in duration "5"`, `time: unknown unit "d" in duration "5d"`.
 */
export function parseGoDurationNanos(s: string): { nanos: bigint } | { error: string } {
  const quoted = JSON.stringify(s);
  const invalid = { error: `time: invalid duration ${quoted}` };
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return { nanos: 0n };
  if (rest === '') return invalid;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const whole = m[1] ?? '';
    const fraction = m[2];
    if (whole === '' && (fraction === undefined || fraction === '')) return invalid;
    rest = rest.slice(m[0].length);
    const unitMatch = /^[^\d.]*/.exec(rest)!;
    const unit = unitMatch[0];
    if (unit === '') return { error: `time: missing unit in duration ${quoted}` };
    const scale = unitNanos[unit];
    if (scale === undefined) return { error: `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}` };
    rest = rest.slice(unit.length);
    let v = BigInt(whole || '0') * scale;
    if (fraction) v += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += v;
    if (total > INT64_MAX + (negative ? 1n : 0n)) return invalid;
  }
  return { nanos: negative ? -total : total };
}
