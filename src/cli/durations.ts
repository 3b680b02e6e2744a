// Durations as kubectl reads and prints them.

/** A duration as Go prints it (time.Duration.String): 3s, 1m0s, 1h30m0s, 1.5s, 250ms. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  const secText = `${Number.isInteger(sec) ? sec : Number(sec.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${secText}`;
  if (m > 0) return `${m}m${secText}`;
  return secText;
}

/**
 * `--request-timeout` as client-go's ParseTimeout reads it, in ms: a non-negative integer is
 * seconds, else a Go duration with its units (`500ms`, `5s`, `1m30s`); 0 is no limit. Undefined:
 * not a valid value.
 */
export function parseRequestTimeout(text: string): number | undefined {
  if (/^\+?\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const body = text.startsWith('+') ? text.slice(1) : text;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while (at < body.length && (re.lastIndex = at, (m = re.exec(body)) !== null)) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  return body === '' || at !== body.length ? undefined : total;
}
