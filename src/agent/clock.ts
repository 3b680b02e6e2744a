// Injectable time for the agent. Every delay in the agent (backoff, probe periods, grace
// periods of the pod worker) goes through an AgentClock so tests advance time instead of sleeping.
//
// Contract: `now()` is milliseconds since the Unix epoch; `setTimeout` runs `fn` once, no earlier
// than `ms` from now; `clearTimeout` on a fired or cleared handle is a no-op. The shape is the
// same as the client library's Clock, so one clock object can drive both.

export interface AgentTimer {
  readonly id: number;
}

export interface AgentClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): AgentTimer;
  clearTimeout(handle: AgentTimer): void;
}

/** Wall-clock time on Node.js timers; timers are unref'd so they never keep the process alive. */
export class RealAgentClock implements AgentClock {
  private next = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): AgentTimer {
    const id = this.next++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: AgentTimer): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }
}

export const realAgentClock: AgentClock = new RealAgentClock();

/**
 * A clock that moves only when told to. `advance` fires due timers synchronously in deadline
 * order (ties in scheduling order) with `now()` equal to each timer's deadline while it runs;
 * timers scheduled by a firing timer are honoured within the same advance.
 */
export class ManualClock implements AgentClock {
  private t: number;
  private next = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number = Date.UTC(2024, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): AgentTimer {
    const id = this.next++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: AgentTimer): void {
    this.timers.delete(handle.id);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let dueId = -1;
      let due: { at: number; fn: () => void } | undefined;
      for (const [id, tm] of this.timers) {
        if (tm.at > end) continue;
        if (!due || tm.at < due.at || (tm.at === due.at && id < dueId)) {
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

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
