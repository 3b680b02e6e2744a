// A periodic background task (compaction, event expiry): one run at a time, ticks skipped while
// one runs or while the task is not `active`, failures reported and retried on the next tick.

export interface PeriodicOptions {
  intervalMs: number;
  /** Whether this process runs the task now (default: always); runOnce() runs regardless. */
  active?: () => boolean;
  /** Called with each failed tick (default: ignored). */
  onError?: (err: unknown) => void;
}

export interface PeriodicTask<T> {
  /** Runs the task now, or joins the run in progress. */
  runOnce(): Promise<T>;
  /** Stops the timer; resolves when a run in progress has finished. Idempotent. */
  stop(): Promise<void>;
  /** True once stop() was called (a long run may check it to end early). */
  readonly stopped: boolean;
}

export function startPeriodic<T>(run: () => Promise<T>, opts: PeriodicOptions): PeriodicTask<T> {
  let running: Promise<T> | undefined;
  let stopped = false;
  const runOnce = (): Promise<T> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (stopped || running || (opts.active && !opts.active())) return;
    runOnce().catch((err: unknown) => opts.onError?.(err));
  }, Math.max(1, opts.intervalMs));
  timer.unref();
  return {
    runOnce,
    get stopped() {
      return stopped;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
