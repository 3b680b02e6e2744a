// Injectable time. Every delay in client/, controllers/, agent/ and hollow/ and every timestamp
// the apiserver writes goes through a Clock, so tests advance time instead of sleeping.
//
// Contract: `now()` is milliseconds since the Unix epoch; `setTimeout` schedules `fn` to run
// once, no earlier than `ms` from now; `clearTimeout` on a fired or cleared handle is a no-op.

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  /**
   * Milliseconds on a clock that never jumps (for measuring durations, e.g. lease expiry);
   * absent: measure with now(). Only differences between two readings mean anything.
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock time backed by the Node.js timers. Timers are unref'd: they never keep the process alive. */
export class RealClock implements Clock {
  private next = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }
}

export const realClock: Clock = new RealClock();

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * A clock that only moves when told to. `advance`/`setTime` fire due timers synchronously in
 * deadline order (ties in scheduling order), with `now()` equal to each timer's deadline while
 * it runs. Timers scheduled by a firing timer are honoured within the same advance.
 */
export class FakeClock implements Clock {
  private t: number;
  private next = 1;
  private readonly timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  constructor(start: number | Date = Date.UTC(2024, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.setTime(this.t + ms);
  }

  setTime(target: number | Date): void {
    const end = typeof target === 'number' ? target : target.getTime();
    for (;;) {
      let dueId = -1;
      let due: { at: number; seq: number; fn: () => void } | undefined;
      for (const [id, tm] of this.timers) {
        if (tm.at > end) continue;
        if (!due || tm.at < due.at || (tm.at === due.at && tm.seq < due.seq)) {
          due = tm;
          dueId = id;
        }
      }
      if (!due) break;
      this.timers.delete(dueId);
      if (due.at > this.t) this.t = due.at;
      due.fn();
    }
    if (end > this.t) this.t = end;
  }
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time: 2026-11-30T01:20:26Z. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microsecond precision, as Kubernetes writes metav1.MicroTime: 2026-11-30T01:20:26.123000Z. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
