// Per-key exponential backoff with client-go flowcontrol.Backoff semantics, as the kubelet
// uses it for CrashLoopBackOff (key = pod UID + container name).
//
// Contract:
// - `next(key, eventTime, now)` records a restart at `now`: the first call (or the first after
//   the entry expired) sets the delay to `initialMs`; later calls double it, capped at `maxMs`.
// - Expiry is judged at an event's time: an entry has expired for an event more than
//   `2 * maxMs` (10 min with the kubelet's 5 min cap) after its last update. The kubelet's
//   event is the container's finish, so a container that *ran* 10 minutes since its last
//   restart starts again from `initialMs`; the back-off wait itself does not count.
// - `isInBackOffSince(key, eventTime, now)`: true while `now - eventTime < delay` for an entry
//   not expired at `eventTime`. The kubelet passes the container's last finish time.

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

  private expired(entry: Entry, eventTime: number): boolean {
    return eventTime - entry.lastUpdate > 2 * this.maxMs;
  }

  /** Records a restart at `now` for an event at `eventTime` (default: now); returns the delay. */
  next(key: string, eventTime: number, now: number = eventTime): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: now });
      return this.initialMs;
    }
    entry.delayMs = Math.min(entry.delayMs * 2, this.maxMs);
    entry.lastUpdate = now;
    return entry.delayMs;
  }

  /** Current delay of an entry not expired at `eventTime`, 0 when none. */
  get(key: string, eventTime: number): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) return 0;
    return entry.delayMs;
  }

  isInBackOffSince(key: string, eventTime: number, now: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) return false;
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
