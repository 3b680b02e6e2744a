import { describe, expect, it } from 'vitest';
import type { Toleration } from '../../api/types.js';
import { FakeClock } from '../../util/clock.js';
import { RateLimitedTimedQueue, TokenBucket } from './rate-limited-queue.js';
import { getMatchingTolerations, minTolerationTimeMs, unreachableNoExecute } from './taints.js';

describe('getMatchingTolerations', () => {
  it('takes the first toleration of each taint, as upstream: an unbounded Exists listed first keeps the pod forever', () => {
    const bounded: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 };
    const first = getMatchingTolerations([unreachableNoExecute], [{ operator: 'Exists' }, bounded]);
    expect(first).toEqual({ allTolerated: true, used: [{ operator: 'Exists' }] });
    expect(minTolerationTimeMs(first.used)).toBe(-1);
    // The other order: the bounded one decides.
    const second = getMatchingTolerations([unreachableNoExecute], [bounded, { operator: 'Exists' }]);
    expect(minTolerationTimeMs(second.used)).toBe(60_000);
    expect(getMatchingTolerations([unreachableNoExecute], [{ key: 'other', operator: 'Exists' }])).toEqual({ allTolerated: false, used: [] });
  });
});

describe('RateLimitedTimedQueue.swapLimiter', () => {
  const drain = async (q: RateLimitedTimedQueue): Promise<string[]> => {
    const done: string[] = [];
    await q.try(async (v) => {
      done.push(v);
      return true;
    });
    return done;
  };

  it('starts the new limiter drained when the old one has no token left (a flapping zone gets no free token)', async () => {
    const clock = new FakeClock(Date.parse('2026-12-02T00:00:00Z'));
    const q = new RateLimitedTimedQueue(new TokenBucket(0.1, 1, clock), clock);
    for (const n of ['a', 'b', 'c']) q.add(n, n);
    expect(await drain(q)).toEqual(['a']);
    // Flapping: 0 (PartialDisruption), then back to 0.1, with no time passing.
    q.swapLimiter(0);
    expect(await drain(q)).toEqual([]);
    q.swapLimiter(0.1);
    expect(await drain(q)).toEqual([]);
    clock.advance(10_000);
    expect(await drain(q)).toEqual(['b']);
  });

  it('a limiter that still has its token hands a full one over', async () => {
    const clock = new FakeClock(Date.parse('2026-12-02T00:00:00Z'));
    const q = new RateLimitedTimedQueue(new TokenBucket(0.1, 1, clock), clock);
    q.swapLimiter(0.01);
    q.add('a', 'a');
    expect(await drain(q)).toEqual(['a']);
  });
});
