// The hollow process's default write concurrency against the API server's limits (unit layer).
// A hollow process is one client playing thousands of kubelets; its writes in flight must fit
// the server's default mutating in-flight limit, or a process whose credentials the limit
// counts (any user outside system:masters) would be answered 429 at its own defaults.

import { describe, expect, it } from 'vitest';
import { defaultInflightLimits } from '../apiserver/inflight.js';
import { defaultLoopConcurrency, hollowMaxSockets } from './hollow-nodes.js';

describe('hollow write-loop defaults', () => {
  it('keep the three loops within the default mutating in-flight limit', () => {
    expect(defaultLoopConcurrency).toBeGreaterThanOrEqual(1);
    expect(3 * defaultLoopConcurrency).toBeLessThanOrEqual(defaultInflightLimits.mutating);
  });

  it('give an HTTP/1.1 pool a socket for every write in flight, and spares for watches', () => {
    for (const c of [1, 2, 32, defaultLoopConcurrency]) expect(hollowMaxSockets(c)).toBeGreaterThan(3 * c);
  });
});
