// Work queue with client-go semantics.
//
// Invariants:
// - a key is handed to at most one worker at a time (processing set);
// - adding a key that is already waiting is a no-op (dirty set): repeated adds collapse;
// - a key added while it is being processed is re-queued when `done(key)` is called;
// - after `shutDown()` adds are ignored, waiting `get()`s resolve with `undefined` once the
//   queue drains; `shutDown({ drain: false })` drops what is waiting instead, so workers stop
//   after the key they hold (a controller whose term of leadership ended must stop writing).
// Time (addAfter, rate limiting) goes through an injectable Clock.

import { type Clock, type TimerHandle, realClock } from '../util/index.js';

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private waiters: Array<(k: K | undefined) => void> = [];
  private shutting = false;

  add(key: K): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: K): void {
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      w(key);
      return;
    }
    this.queue.push(key);
  }

  len(): number {
    return this.queue.length;
  }

  /** Next key, or undefined once shut down and drained. The caller must call `done(key)`. */
  get(): Promise<K | undefined> {
    const k = this.tryGet();
    if (k !== undefined) return Promise.resolve(k);
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Non-blocking get: the next key or undefined when none is waiting. */
  tryGet(): K | undefined {
    if (this.queue.length === 0) return undefined;
    const k = this.queue.shift() as K;
    this.dirty.delete(k);
    this.processing.add(k);
    return k;
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      if (!this.shutting) {
        this.dirty.add(key);
        this.push(key);
      }
    }
  }

  isProcessing(key: K): boolean {
    return this.processing.has(key);
  }

  shutDown(o: { drain?: boolean } = {}): void {
    this.shutting = true;
    if (o.drain === false) {
      this.queue.length = 0;
      this.dirty.clear();
    }
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(undefined);
  }

  shuttingDown(): boolean {
    return this.shutting;
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limiters

export interface RateLimiter<K = string> {
  /** Delay in ms before `key` may be retried; records a failure. */
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/** base·2^failures, capped at max (client-go: 5 ms → 1000 s). */
export class ItemExponentialFailureRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const d = this.baseMs * 2 ** n;
    return !Number.isFinite(d) || d > this.maxMs ? this.maxMs : d;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/** Overall token bucket (client-go default: 10 qps, burst 100); tokens are reserved, so delays queue up. */
export class BucketRateLimiter<K = string> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    let m = 0;
    for (const l of this.limiters) m = Math.max(m, l.when(key));
    return m;
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    let m = 0;
    for (const l of this.limiters) m = Math.max(m, l.numRequeues(key));
    return m;
  }
}

/** client-go's DefaultControllerRateLimiter: max(per-item 5 ms…1000 s, bucket 10 qps / 100 burst). */
export function defaultControllerRateLimiter<K = string>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1_000_000), new BucketRateLimiter<K>(10, 100, clock));
}

/**
 * Delaying + rate-limiting queue. A key waiting for `addAfter` is held once, at its earliest
 * ready time.
 */
export class RateLimitingQueue<K = string> extends WorkQueue<K> {
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();

  constructor(
    private readonly clock: Clock = realClock,
    private readonly rateLimiter: RateLimiter<K> = defaultControllerRateLimiter<K>(clock),
  ) {
    super();
  }

  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown()) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const w = this.waiting.get(key);
    if (w) {
      if (w.at <= at) return;
      this.clock.clearTimeout(w.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { at, timer });
  }

  addRateLimited(key: K): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys waiting on a delay, with their ready times (for tests and debugging). */
  waitingKeys(): Array<{ key: K; at: number }> {
    return [...this.waiting].map(([key, w]) => ({ key, at: w.at }));
  }

  override shutDown(o: { drain?: boolean } = {}): void {
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    super.shutDown(o);
  }
}

/** What runQueueWorkers waits on before the first sync: an informer's cache. */
export interface SyncedCache {
  waitForSync(): Promise<void>;
  hasSynced(): boolean;
}

/**
 * The standard controller loop over `queue`: once every cache in `caches` has synced (nothing
 * runs on partial caches; stopped before that, nothing runs at all), `workers` workers take
 * keys and `sync` them until `signal` aborts. A sync that throws is reported to `onError` and
 * the key is retried rate-limited; one that succeeds forgets the key's back-off. Resolves once
 * the queue is shut down and every worker has finished its current key.
 */
export async function runQueueWorkers<K>(o: {
  queue: RateLimitingQueue<K>;
  caches: SyncedCache[];
  signal: AbortSignal;
  workers: number;
  sync: (key: K) => Promise<void>;
  onError: (err: unknown) => void;
}): Promise<void> {
  const { queue, caches, signal } = o;
  if (signal.aborted) return;
  const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.race([Promise.all(caches.map((c) => c.waitForSync())), stop]);
  if (signal.aborted || !caches.every((c) => c.hasSynced())) {
    queue.shutDown({ drain: false });
    return;
  }
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await o.sync(key);
        queue.forget(key);
      } catch (err) {
        o.onError(err);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  const all = Promise.all(Array.from({ length: o.workers }, worker));
  await stop;
  queue.shutDown({ drain: false });
  await all;
}
