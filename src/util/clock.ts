// Injectable time. Production code takes a Clock so tests can control time.
export interface Clock {
  now(): Date;
}

export const realClock: Clock = { now: () => new Date() };

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time: 2026-11-30T01:20:26Z. */
export function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
