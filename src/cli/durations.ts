// Durations and ages as kubectl reads and prints them.

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

/** apimachinery's duration.HumanDuration of the time since `ts` (`<unknown>` when unset, `<invalid>` in the future). */
export function humanSince(ts: string | null | undefined, now = Date.now()): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

/** apimachinery's duration.HumanDuration (`45s`, `5m3s`, `7h`, `3d`, `2y30d`); `<invalid>` below -1 s. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}
