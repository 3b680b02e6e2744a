import { describe, expect, it } from 'vitest';
import { FakeClock } from '../util/index.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, RateLimitingQueue, WorkQueue, defaultControllerRateLimiter, runQueueWorkers } from './workqueue.js';

describe('WorkQueue', () => {
  it('collapses repeated adds and keeps FIFO order', () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(q.tryGet()).toBe('a');
    expect(q.tryGet()).toBe('b');
    expect(q.tryGet()).toBeUndefined();
  });
  it('never hands a key to two workers; dirty-while-processing is requeued on done', () => {
    const q = new WorkQueue();
    q.add('a');
    expect(q.tryGet()).toBe('a');
    q.add('a');
    expect(q.len()).toBe(0);
    expect(q.tryGet()).toBeUndefined();
    q.done('a');
    expect(q.len()).toBe(1);
    expect(q.tryGet()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });
  it('get() waits for an add; shutDown releases waiters and ignores adds', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
    const w = q.get();
    q.shutDown();
    expect(await w).toBeUndefined();
    q.add('y');
    expect(q.len()).toBe(0);
  });
});

describe('rate limiting', () => {
  it('per-item exponential 5 ms doubling to 1000 s, forget resets', () => {
    const l = new ItemExponentialFailureRateLimiter();
    expect([l.when('a'), l.when('a'), l.when('a'), l.when('b')]).toEqual([5, 10, 20, 5]);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
    expect(l.numRequeues('a')).toBe(44);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });
  it('bucket: burst free, then 1/qps apart; refills with time', () => {
    const c = new FakeClock();
    const b = new BucketRateLimiter(10, 100, c);
    for (let i = 0; i < 100; i++) expect(b.when('k')).toBe(0);
    expect(b.when('k')).toBe(100);
    expect(b.when('k')).toBe(200);
    c.advance(10_000);
    expect(b.when('k')).toBe(0);
  });
  it('default controller limiter is the max of both', () => {
    const l = defaultControllerRateLimiter(new FakeClock());
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
  });
  it('addAfter fires on the clock, keeps the earliest time; addRateLimited backs off; forget clears', () => {
    const c = new FakeClock();
    const q = new RateLimitingQueue<string>(c);
    q.addAfter('a', 1000);
    q.addAfter('a', 500);
    q.addAfter('a', 2000);
    expect(q.waitingKeys()).toEqual([{ key: 'a', at: c.now() + 500 }]);
    c.advance(499);
    expect(q.len()).toBe(0);
    c.advance(1);
    expect(q.tryGet()).toBe('a');
    q.done('a');
    q.addRateLimited('b');
    q.addRateLimited('b');
    expect(q.numRequeues('b')).toBe(2);
    c.advance(5);
    expect(q.tryGet()).toBe('b');
    q.forget('b');
    expect(q.numRequeues('b')).toBe(0);
  });
});

describe('runQueueWorkers', () => {
  const cache = (synced: boolean) => ({ waitForSync: () => (synced ? Promise.resolve() : new Promise<void>(() => {})), hasSynced: () => synced });

  it('syncs nothing when stopped before the caches synced', async () => {
    const queue = new RateLimitingQueue<string>(new FakeClock());
    queue.add('a');
    const ac = new AbortController();
    const seen: string[] = [];
    const run = runQueueWorkers({ queue, caches: [cache(false)], signal: ac.signal, workers: 1, sync: async (k) => void seen.push(k), onError: () => {} });
    ac.abort();
    await run;
    expect(seen).toEqual([]);
    expect(queue.shuttingDown()).toBe(true);
  });

  it('syncs keys, retries a failed one rate-limited, and forgets its back-off once it succeeds', async () => {
    const clock = new FakeClock();
    const queue = new RateLimitingQueue<string>(clock);
    const ac = new AbortController();
    const seen: string[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const run = runQueueWorkers({
      queue,
      caches: [cache(true)],
      signal: ac.signal,
      workers: 2,
      sync: async (k) => {
        seen.push(k);
        if (k === 'bad' && fail) {
          fail = false;
          throw new Error('boom');
        }
      },
      onError: (e) => errors.push(e),
    });
    queue.add('ok');
    queue.add('bad');
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toHaveLength(1);
    expect(queue.numRequeues('bad')).toBe(1);
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['ok', 'bad', 'bad']);
    expect(queue.numRequeues('bad')).toBe(0);
    ac.abort();
    await run;
  });
});
