// WriteQueue: API writes with bounded concurrency, coalesced per key.
//
// Contract:
// - At most `concurrency` tasks run at once; the rest wait in FIFO order of first enqueue.
// - `enqueue(key, task)` while a task for `key` is still WAITING replaces it (only the latest
//   desired write for an object is sent: a pod that became Ready before its Pending write left
//   the queue gets one write, not two). A task for a key that is RUNNING is queued behind it, so
//   writes for one key never run concurrently and land in enqueue order.
// - A task's rejection goes to `onError` and never stops the queue (retries are the caller's).
// - `idle()` resolves when nothing is waiting or running; `stop()` drops the waiting tasks.

export type WriteTask = () => Promise<void>;

export class WriteQueue {
  private readonly waiting = new Map<string, WriteTask>();
  private readonly running = new Set<string>();
  /** Keys whose task arrived while one for the same key was running. */
  private readonly deferred = new Map<string, WriteTask>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {
    if (!(concurrency >= 1)) throw new Error(`concurrency must be >= 1, got ${concurrency}`);
  }

  get pending(): number {
    return this.waiting.size + this.deferred.size + this.active;
  }

  enqueue(key: string, task: WriteTask): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.deferred.set(key, task);
      return;
    }
    if (this.waiting.has(key)) {
      // Keep the FIFO position, replace the work.
      this.waiting.set(key, task);
      return;
    }
    this.waiting.set(key, task);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    this.deferred.clear();
    this.maybeIdle();
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.size > 0) {
      const next = this.waiting.entries().next();
      if (next.done) break;
      const [key, task] = next.value;
      this.waiting.delete(key);
      this.run(key, task);
    }
  }

  private run(key: string, task: WriteTask): void {
    this.active++;
    this.running.add(key);
    let p: Promise<void>;
    try {
      p = task();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err: unknown) => this.onError(key, err)).finally(() => {
      this.active--;
      this.running.delete(key);
      const d = this.deferred.get(key);
      if (d && !this.stopped) {
        this.deferred.delete(key);
        this.waiting.set(key, d);
      }
      this.pump();
      this.maybeIdle();
    });
  }

  private maybeIdle(): void {
    if (this.active > 0 || this.waiting.size > 0 || this.deferred.size > 0) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
