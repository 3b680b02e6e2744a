// Per-key exponential backoff (upstream client-go flowcontrol.Backoff), used for the failed
// daemon pod backoff: initial 1 s, doubling, capped at 15 min; an entry untouched for more
// than 2×max starts over; gc() drops such entries.

import type { Clock } from '../../client/index.js';

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly clock: Clock,
    private readonly initialMs = 1000,
    private readonly maxMs = 15 * 60 * 1000,
  ) {}

  private expired(now: number, e: Entry): boolean {
    return now - e.lastUpdate > this.maxMs * 2;
  }

  /** Current delay for `id` (0 when unknown). */
  get(id: string): number {
    return this.entries.get(id)?.backoffMs ?? 0;
  }

  /** Moves `id` one step: first time (or after expiry) the initial delay, then doubling up to max. */
  next(id: string, now: number): void {
    const e = this.entries.get(id);
    if (!e || this.expired(now, e)) {
      this.entries.set(id, { backoffMs: this.initialMs, lastUpdate: now });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = now;
  }

  /** True while less than the current delay has passed since the last `next(id)`. */
  isInBackOffSinceUpdate(id: string, now: number): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(now, e)) return false;
    return now - e.lastUpdate < e.backoffMs;
  }

  reset(id: string): void {
    this.entries.delete(id);
  }

  gc(): void {
    const now = this.clock.now();
    for (const [id, e] of this.entries) if (this.expired(now, e)) this.entries.delete(id);
  }

  size(): number {
    return this.entries.size;
  }
}
