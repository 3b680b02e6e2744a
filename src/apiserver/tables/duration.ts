// AGE formatting, matching apimachinery's duration.HumanDuration and the printers'
// translateTimestampSince. Durations are in milliseconds; Go truncates toward zero at every
// unit, and so do we.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Human approximation of a duration: "5s", "3m20s", "15m", "5h30m", "2d3h", "400d", "3y20d".
 * A skew of up to 2s into the future reads as "0s"; beyond that "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;

  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;

  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** Parses an RFC 3339 timestamp (metav1.Time or MicroTime); undefined when absent or unparsable (a "zero" time). */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** Elapsed time since `ts`, or "<unknown>" for a zero/absent timestamp (upstream translateTimestampSince). */
export function translateTimestampSince(ts: unknown, now: Date): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Go's time.RFC3339 rendering of a UTC instant: whole seconds, `Z` suffix. Zero time for absent input. */
export function formatRFC3339(ts: unknown): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  const iso = new Date(Math.floor(t / 1000) * 1000).toISOString(); // 2026-11-30T01:10:00.000Z
  return iso.slice(0, 19) + 'Z';
}
