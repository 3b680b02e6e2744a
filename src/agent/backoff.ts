// Per-key exponential backoff with client-go flowcontrol.Backoff semantics, as the kubelet
// uses it for CrashLoopBackOff (key = pod UID + container name).
//
// Contract:
// - `next(key, now)` records a restart: the first call (or the first after the entry expired)
//   sets the delay to `initialMs`; later calls double it, capped at `maxMs`.
// - An entry expires when it was not updated for `2 * maxMs` (10 min with the kubelet's 5 min
//   cap): a container that ran that long without crashing starts again from `initialMs`.
// - `isInBackOffSince(key, eventTime, now)`: true while `now - eventTime < delay` for a live
//   entry. The kubelet passes the container's last finish time as `eventTime`.

export const crashLoopInitialMs = 10_000;
export const crashLoopMaxMs = 300_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs: number = crashLoopInitialMs,
    readonly maxMs: number = crashLoopMaxMs,
  ) {}

  private expired(entry: Entry, now: number): boolean {
    return now - entry.lastUpdate > 2 * this.maxMs;
  }

  next(key: string, now: number): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, now)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: now });
      return this.initialMs;
    }
    entry.delayMs = Math.min(entry.delayMs * 2, this.maxMs);
    entry.lastUpdate = now;
    return entry.delayMs;
  }

  /** Current delay of a live entry, 0 when none. */
  get(key: string, now: number): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, now)) return 0;
    return entry.delayMs;
  }

  isInBackOffSince(key: string, eventTime: number, now: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, now)) return false;
    return now - eventTime < entry.delayMs;
  }

  /** Milliseconds until `isInBackOffSince` turns false; 0 when not in backoff. */
  remaining(key: string, eventTime: number, now: number): number {
    if (!this.isInBackOffSince(key, eventTime, now)) return 0;
    const entry = this.entries.get(key);
    return entry ? eventTime + entry.delayMs - now : 0;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose key starts with `prefix` (all containers of a removed pod). */
  resetPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
