import { describe, expect, it } from 'vitest';
import { newKindRegistry } from '../api/kinds.js';
import type { Store } from '../storage/index.js';
import { RbacCache } from './security.js';

/** A store whose list answers the role `name` of the moment, or waits while `stalled`. */
function fakeStore(): { store: Store; name: string; stalled: boolean; fail: boolean; release(): void } {
  const waiting: (() => void)[] = [];
  const s = {
    name: 'v1',
    stalled: false,
    fail: false,
    release: () => waiting.splice(0).forEach((w) => w()),
    store: {
      list: async (prefix: string) => {
        if (s.stalled) await new Promise<void>((r) => waiting.push(r));
        if (s.fail) throw new Error('store unavailable');
        const items = prefix.includes('clusterroles') ? [{ key: `${prefix}${s.name}`, value: JSON.stringify({ metadata: { name: s.name } }), modRevision: 1 }] : [];
        return { items, revision: 1 };
      },
    } as unknown as Store,
  };
  return s;
}

describe('RbacCache', () => {
  it('answers from the last snapshot when a reload stalls past its bound or fails, and takes the reload when it lands', async () => {
    const f = fakeStore();
    const cache = new RbacCache(f.store, newKindRegistry(), 50);
    expect(await cache.getClusterRole('v1')).toBeDefined();

    // An RBAC write: the next read has the new state (the reload is quick).
    f.name = 'v2';
    cache.invalidate();
    expect(await cache.getClusterRole('v2')).toBeDefined();

    // A stalled store: reads are answered from the last snapshot after the bound, not held.
    f.stalled = true;
    f.name = 'v3';
    cache.invalidate();
    const t0 = Date.now();
    expect(await cache.getClusterRole('v2')).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(1000);
    // The reload lands: its state is taken.
    f.stalled = false;
    f.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(await cache.getClusterRole('v3')).toBeDefined();

    // A failing store: the last snapshot too.
    f.fail = true;
    cache.invalidate();
    expect(await cache.getClusterRole('v3')).toBeDefined();
  });

  it('with nothing loaded yet, a read waits for the first load (and its failure is the read\'s)', async () => {
    const f = fakeStore();
    f.fail = true;
    const cache = new RbacCache(f.store, newKindRegistry(), 50);
    await expect(cache.getClusterRole('v1')).rejects.toThrow('store unavailable');
  });
});
