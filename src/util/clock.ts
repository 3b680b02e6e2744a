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

/** The longest delay one Node.js timer takes (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
    // Node's timers take at most MAX_TIMER_MS (a longer delay fires after 1 ms): a longer one
    // (a pod's grace period of 9e12 s) is waited for in steps; Infinity never fires.
    const arm = (left: number): void => {
      const t = setTimeout(
        () => {
          if (left > MAX_TIMER_MS) return arm(left - MAX_TIMER_MS);
          this.timers.delete(id);
          fn();
        },
        Math.min(Math.max(0, left), MAX_TIMER_MS),
      );
      t.unref();
      this.timers.set(id, t);
    };
    arm(ms);
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

/** The first and last instants RFC 3339 can write (years 0000 to 9999), in ms since the epoch. */
const RFC3339_MIN_MS = Date.parse('0000-01-01T00:00:00.000Z');
const RFC3339_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `ms` within the years RFC 3339 (and Go's metav1.Time) can write: a deadline computed from a
 * client's number (now + a grace period of 9e12 s) is capped at the end of year 9999 rather
 * than made an invalid date. NaN is a caller's bug and stays an error.
 */
function clampRfc3339(ms: number): Date {
  if (Number.isNaN(ms)) throw new RangeError('Invalid time value: NaN');
  return new Date(Math.min(Math.max(ms, RFC3339_MIN_MS), RFC3339_MAX_MS));
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time: 2026-11-30T01:20:26Z. Capped to years 0000-9999. */
export function rfc3339(ms: number): string {
  // The last second written, and its text: the writes of one second (managed fields' times,
  // conditions) all ask for it.
  const second = Math.floor(ms / 1000);
  if (second === lastSecond) return lastSecondText;
  const text = clampRfc3339(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  lastSecond = second;
  lastSecondText = text;
  return text;
}
let lastSecond = Number.NaN;
let lastSecondText = '';

/** RFC 3339 with microsecond precision, as Kubernetes writes metav1.MicroTime: 2026-11-30T01:20:26.123000Z. Capped to years 0000-9999. */
export function rfc3339Micro(ms: number): string {
  return clampRfc3339(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
