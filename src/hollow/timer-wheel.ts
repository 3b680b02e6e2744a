// TimerWheel: many logical timers on ONE underlying clock timer.
//
// Contract:
// - `schedule(fn, delayMs)` runs `fn` once, no earlier than `delayMs` from `clock.now()` and at
//   most one tick (`tickMs`) later than that; timers due in the same tick run together, in
//   scheduling order. `cancel(handle)` before it runs prevents the call; after, it is a no-op.
// - At most one clock timer is pending at any time (armed for the earliest non-empty slot), so
//   thousands of hollow nodes' lease renewals and pod transitions cost one native timer.
// - A callback that throws does not stop the others; the error goes to `onError`.
// - `stop()` drops every pending timer; later `schedule` calls are ignored.

import type { Clock, TimerHandle } from '../client/index.js';

export interface WheelTimer {
  cancelled: boolean;
}

interface Entry {
  fn: () => void;
  timer: WheelTimer;
}

export class TimerWheel {
  private readonly slots = new Map<number, Entry[]>();
  /** Min-heap of slot numbers present in `slots`. */
  private readonly heap: number[] = [];
  private armed: { slot: number; handle: TimerHandle } | undefined;
  private stopped = false;
  private pendingCount = 0;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs = 10,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Number of timers scheduled and not yet run (cancelled ones included until their slot fires). */
  get size(): number {
    return this.pendingCount;
  }

  schedule(fn: () => void, delayMs: number): WheelTimer {
    const timer: WheelTimer = { cancelled: false };
    if (this.stopped) {
      timer.cancelled = true;
      return timer;
    }
    const slot = Math.ceil((this.clock.now() + Math.max(0, delayMs)) / this.tickMs);
    let entries = this.slots.get(slot);
    if (!entries) {
      entries = [];
      this.slots.set(slot, entries);
      this.heapPush(slot);
    }
    entries.push({ fn, timer });
    this.pendingCount++;
    this.arm();
    return timer;
  }

  cancel(timer: WheelTimer | undefined): void {
    if (timer) timer.cancelled = true;
  }

  stop(): void {
    this.stopped = true;
    if (this.armed) this.clock.clearTimeout(this.armed.handle);
    this.armed = undefined;
    this.slots.clear();
    this.heap.length = 0;
    this.pendingCount = 0;
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return;
    if (this.armed && this.armed.slot <= first) return;
    if (this.armed) this.clock.clearTimeout(this.armed.handle);
    const delay = Math.max(0, first * this.tickMs - this.clock.now());
    this.armed = { slot: first, handle: this.clock.setTimeout(() => this.fire(), delay) };
  }

  private fire(): void {
    this.armed = undefined;
    if (this.stopped) return;
    const nowSlot = Math.floor(this.clock.now() / this.tickMs);
    for (;;) {
      const slot = this.heap[0];
      if (slot === undefined || slot > nowSlot) break;
      this.heapPop();
      const entries = this.slots.get(slot) ?? [];
      this.slots.delete(slot);
      this.pendingCount -= entries.length;
      for (const e of entries) {
        if (e.timer.cancelled || this.stopped) continue;
        e.timer.cancelled = true;
        try {
          e.fn();
        } catch (err) {
          this.onError(err);
        }
      }
    }
    this.arm();
  }

  private heapPush(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= v) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = v;
  }

  private heapPop(): number | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
