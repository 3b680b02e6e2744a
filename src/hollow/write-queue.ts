// WriteQueue: API writes with bounded concurrency, coalesced per key.
//
// Contract:
// - At most `concurrency` tasks run at once; the rest wait in FIFO order of first enqueue.
//   Queues given one SharedSlots share its `total` instead: each is always sure of its own
//   `concurrency` and borrows what the others leave unused (see SharedSlots).
// - `enqueue(key, task)` while a task for `key` is still WAITING replaces it (only the latest
//   desired write for an object is sent: a pod that became Ready before its Pending write left
//   the queue gets one write, not two). A task for a key that is RUNNING is queued behind it, so
//   writes for one key never run concurrently and land in enqueue order.
// - A task's rejection goes to `onError` and never stops the queue (retries are the caller's).
// - `idle()` resolves when nothing is waiting or running; `stop()` drops the waiting tasks.

export type WriteTask = () => Promise<void>;

/**
 * Slots shared by several WriteQueues (the write loops of one process): at most `total` of
 * their tasks run at once. Each queue is always sure of its own `concurrency` of them (its
 * share): a queue running fewer than its share may take any free slot, and a queue at or above
 * its share (borrowing) only a slot the others' unused shares do not need. So a busy loop borrows
 * what the others leave unused (a fan-out's pod status writes while few renewals are due), and
 * a loop whose writes hang (a server too busy to answer renewals) never holds more than
 * `total` minus the others' shares: the other loops' writes start at once, as with separate
 * limits. A slot that frees goes first to a queue below its share with work waiting, then to the
 * others in turn. Contract: the shares of the queues joined add up to at most `total`.
 */
export class SharedSlots {
  private readonly queues: WriteQueue[] = [];
  private active = 0;
  /** Where the next dispatch starts looking (turns between queues). */
  private turn = 0;

  constructor(readonly total: number) {
    if (!(total >= 1)) throw new Error(`total must be >= 1, got ${total}`);
  }

  /** @internal Called by the WriteQueue constructor. */
  join(q: WriteQueue): void {
    const shares = this.queues.reduce((n, x) => n + x.share, q.share);
    if (shares > this.total) throw new Error(`the queues' shares (${shares}) exceed the shared total (${this.total})`);
    this.queues.push(q);
  }

  /** @internal Takes a slot for `q` if it may have one now (see the class comment). */
  take(q: WriteQueue): boolean {
    if (!this.mayTake(q)) return false;
    this.active++;
    return true;
  }

  private mayTake(q: WriteQueue): boolean {
    const free = this.total - this.active;
    if (free <= 0) return false;
    if (q.runningCount < q.share) return true;
    let othersUnused = 0;
    for (const o of this.queues) if (o !== q) othersUnused += Math.max(0, o.share - o.runningCount);
    return free - 1 >= othersUnused;
  }

  /** @internal Gives a slot back and hands free slots to the queues that wait (see the class comment). */
  release(): void {
    this.active--;
    for (;;) {
      const q = this.pick(true) ?? this.pick(false);
      if (!q) return;
      this.active++;
      q.startNext();
    }
  }

  private pick(belowShare: boolean): WriteQueue | undefined {
    const n = this.queues.length;
    for (let i = 0; i < n; i++) {
      const q = this.queues[(this.turn + i) % n]!;
      if (q.hasWaiting() && (!belowShare || q.runningCount < q.share) && this.mayTake(q)) {
        this.turn = (this.turn + i + 1) % n;
        return q;
      }
    }
    return undefined;
  }
}

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
    private readonly slots?: SharedSlots,
  ) {
    if (!(concurrency >= 1)) throw new Error(`concurrency must be >= 1, got ${concurrency}`);
    slots?.join(this);
  }

  /** @internal For SharedSlots. */
  hasWaiting(): boolean {
    return this.waiting.size > 0;
  }

  /** @internal For SharedSlots: the slots this queue is always sure of (its own concurrency). */
  get share(): number {
    return this.concurrency;
  }

  /** @internal For SharedSlots: tasks running now. */
  get runningCount(): number {
    return this.active;
  }

  /**
   * Runs the oldest waiting task. Callers hold its slot (this queue's limit, or one SharedSlots
   * took for it) and have checked that a task waits.
   */
  startNext(): void {
    const [key, task] = this.waiting.entries().next().value as [string, WriteTask];
    this.waiting.delete(key);
    this.run(key, task);
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
    if (this.slots) {
      while (this.waiting.size > 0 && this.slots.take(this)) this.startNext();
      return;
    }
    while (this.active < this.concurrency && this.waiting.size > 0) this.startNext();
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
      if (this.slots) this.slots.release();
      else this.pump();
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
