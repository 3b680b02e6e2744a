// EtcdStore against a real etcd started by this file (one etcd for the file, a fresh key prefix
// per store). Skipped, with a message naming the Debian package, where `etcd` is missing.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcd, type EtcdProcess } from '../../../test/helpers/etcd.js';
import { openStore } from '../factory.js';
import { StorageError } from '../interface.js';
import { errorCode, record, runStoreConformance, waitFor } from '../testing/conformance.js';
import { EtcdStore, hostPolicy } from './index.js';

let etcd: EtcdProcess | undefined;
const endpoint = (): string => {
  if (!etcd) throw new Error('etcd is not running');
  return etcd.endpoint;
};
const freshPrefix = (): string => `/test-${randomBytes(6).toString('hex')}`;

describe.skipIf(!etcdAvailable())('EtcdStore (real etcd)', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    const dataDir = etcd?.dataDir;
    await etcd?.stop();
    etcd = undefined;
    if (dataDir) expect(fs.existsSync(dataDir)).toBe(false);
  });

  let prefix = '';
  runStoreConformance('etcd', {
    open: async () => {
      prefix = freshPrefix();
      return EtcdStore.open({ endpoints: [endpoint()], prefix });
    },
    // A new client on the same prefix: etcd is the persistence.
    reopen: async () => EtcdStore.open({ endpoints: [endpoint()], prefix }),
    cleanup: async () => undefined,
  });

  describe('EtcdStore specifics', () => {
    it('parses etcd:// URLs and opens through openStore', async () => {
      expect(EtcdStore.parseUrl('etcd://127.0.0.1:2379,127.0.0.1:2380?prefix=/test-abc')).toEqual({
        endpoints: ['127.0.0.1:2379', '127.0.0.1:2380'],
        prefix: '/test-abc',
      });
      expect(EtcdStore.parseUrl('etcd://etcd-0.local:2379/everynode')).toEqual({ endpoints: ['etcd-0.local:2379'], prefix: '/everynode' });
      expect(() => EtcdStore.parseUrl('etcd://')).toThrow(StorageError);
      expect(() => EtcdStore.parseUrl('etcd://host-without-port')).toThrow(StorageError);

      const p = freshPrefix();
      const a = await openStore(`etcd://${endpoint()}?prefix=${p}`);
      expect(a).toBeInstanceOf(EtcdStore);
      const r = await a.create('/k', 'v');
      await a.close();
      const b = await openStore(`etcd://${endpoint()},${endpoint()}?prefix=${p}`);
      expect(await b.get('/k')).toEqual({ key: '/k', value: 'v', createRevision: r, modRevision: r });
      await b.close();
    });

    it('an etcd that does not answer is Unavailable', async () => {
      // Port 1 on loopback: nothing listens there.
      const opened = EtcdStore.open({ endpoints: ['127.0.0.1:1'], requestTimeoutMs: 5000 });
      const err = await opened.then(() => undefined, (e: unknown) => e);
      expect(await errorCode(Promise.reject(err))).toBe('Unavailable');
      // The message ends with the cause, not gRPC's empty "Resolution note:".
      expect((err as Error).message).toMatch(/^etcd 127\.0\.0\.1:1: .*last error: connect ECONNREFUSED 127\.0\.0\.1:1\.?$/);
    });

    it('stores with different prefixes share the revision counter but not keys or events', async () => {
      const a = await EtcdStore.open({ endpoints: [endpoint()], prefix: freshPrefix() });
      const b = await EtcdStore.open({ endpoints: [endpoint()], prefix: freshPrefix() });
      try {
        const base = await b.currentRevision();
        const recB = record(b, '', base);
        const ra = await a.create('/x', 'from-a');
        expect(await b.currentRevision()).toBeGreaterThanOrEqual(ra);
        expect(await b.get('/x')).toBeUndefined();
        expect((await b.list('')).items).toEqual([]);
        expect(await b.count('')).toBe(0);
        const rb = await b.create('/x', 'from-b');
        expect(rb).toBeGreaterThan(ra);
        await waitFor(() => recB.events.length >= 1, 'b sees its own write');
        recB.stop();
        expect(recB.events.map((e) => [e.key, e.value, e.revision])).toEqual([['/x', 'from-b', rb]]);
        expect((await a.get('/x'))!.value).toBe('from-a');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('reads a compaction made elsewhere (another client) from etcd', async () => {
      const a = await EtcdStore.open({ endpoints: [endpoint()], prefix: freshPrefix() });
      const b = await EtcdStore.open({ endpoints: [endpoint()], prefix: freshPrefix() });
      try {
        for (let i = 0; i < 20; i++) await a.create(`/k${i}`, 'v');
        const target = (await a.currentRevision()) - 5;
        expect(await a.compact(target)).toBe(target);
        // b never compacted: it finds the point by asking etcd.
        expect(await b.compactedRevision()).toBe(target);
        expect(await errorCode(b.list('', { revision: target - 1 }))).toBe('Compacted');
        expect(await b.compact(target - 3)).toBe(target); // never moves back
        const w = record(b, '', target - 1);
        await waitFor(() => w.errors.length === 1, 'Compacted watch');
        expect(w.errors[0]!.code).toBe('Compacted');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('lists more than the 4 MiB gRPC message limit, paging internally; a watch replays it', async () => {
      const p = freshPrefix();
      const store = await EtcdStore.open({ endpoints: [endpoint()], prefix: p });
      const raw = new Etcd3({ hosts: endpoint() });
      try {
        const base = await store.currentRevision();
        const n = 3000;
        const value = (i: number): string => `${String(i).padStart(6, '0')}:${'x'.repeat(2048)}`;
        for (let i = 0; i < n; i += 250) {
          await Promise.all(Array.from({ length: 250 }, (_, j) => store.create(`/big/${String(i + j).padStart(6, '0')}`, value(i + j))));
        }
        // The limit is real: one range of the whole prefix is refused by the client.
        await expect(raw.getAll().prefix(`${p}/big/`).strings()).rejects.toThrow(/RESOURCE_EXHAUSTED|larger than max/i);

        const before = store.stats();
        const all = await store.list('/big/');
        const after = store.stats();
        // Paged internally: several ranges, none near the 4 MiB limit.
        expect(after.rangeRequests - before.rangeRequests).toBeGreaterThanOrEqual(6);
        expect(after.largestRangeBytes).toBeLessThan(2 << 20);
        expect(all.items).toHaveLength(n);
        expect(all.more).toBe(false);
        all.items.forEach((kv, i) => {
          expect(kv.key).toBe(`/big/${String(i).padStart(6, '0')}`);
          expect(kv.value).toBe(value(i));
        });

        const first = await store.list('/big/', { limit: 2500 });
        expect(first.items).toHaveLength(2500);
        expect(first.more).toBe(true);
        expect(first.remaining).toBe(500);
        await store.update('/big/002600', 'changed', all.items[2600]!.modRevision);
        const rest = await store.list('/big/', { revision: first.revision, startAfter: first.items[2499]!.key });
        expect(rest.items).toHaveLength(500);
        expect(rest.items[100]!.value).toBe(value(2600)); // the snapshot, not the update
        expect(await store.count('/big/')).toBe(n);

        const rec = record(store, '/big/', base);
        await waitFor(() => rec.events.length >= n + 1, 'history replay of every write');
        rec.stop();
        expect(rec.errors).toEqual([]);
        const byRevision = [...all.items].sort((x, y) => x.modRevision - y.modRevision);
        expect(rec.events.map((e) => [e.key, e.revision])).toEqual([
          ...byRevision.map((i) => [i.key, i.modRevision]),
          ['/big/002600', expect.any(Number)],
        ]);
        expect(rec.events[n]!.revision).toBeGreaterThan(rec.events[n - 1]!.revision);
      } finally {
        raw.close();
        await store.close();
      }
    });

    // Last in the file: it restarts the shared etcd.
    it('a watch resumes across an etcd restart without gaps; one that cannot reconnect ends Unavailable', async () => {
      const p = freshPrefix();
      const store = await EtcdStore.open({ endpoints: [endpoint()], prefix: p, requestTimeoutMs: 3000, watchRetryMs: 60_000 });
      const impatient = await EtcdStore.open({ endpoints: [endpoint()], prefix: p, requestTimeoutMs: 3000, watchRetryMs: 200 });
      try {
        const base = await store.currentRevision();
        const resumed = record(store, '/w/', base);
        const gaveUp = record(impatient, '/w/', base);
        const revs: number[] = [];
        for (let i = 0; i < 5; i++) revs.push(await store.create(`/w/before-${i}`, 'v'));
        await waitFor(() => resumed.events.length === 5 && gaveUp.events.length === 5, 'events before the restart');

        await etcd!.restart({
          whileDown: async () => {
            expect(await errorCode(store.get('/w/before-0'))).toBe('Unavailable');
            expect(await errorCode(store.create('/w/while-down', 'v'))).toBe('Unavailable');
            await waitFor(() => gaveUp.errors.length === 1, 'the impatient watch to give up');
          },
        });
        expect(gaveUp.errors[0]!.code).toBe('Unavailable');
        expect(gaveUp.errors[0]!.message).toMatch(/could not resume from revision/);

        // Writes succeed again once the client reconnects (its circuit breaker may hold a few seconds).
        for (let i = 0; i < 5; i++) {
          const key = `/w/after-${i}`;
          let r: number | undefined;
          for (const deadline = Date.now() + 30_000; r === undefined && Date.now() < deadline; ) {
            try {
              r = await store.create(key, 'v');
            } catch (err) {
              if (!(err instanceof StorageError) || err.code !== 'Unavailable') throw err;
              await new Promise((res) => setTimeout(res, 100));
            }
          }
          expect(r).toBeDefined();
          revs.push(r!);
        }
        await waitFor(() => resumed.events.length >= 10, 'events after the restart', 30_000);
        resumed.stop();
        expect(resumed.errors).toEqual([]);
        expect(resumed.events.map((e) => e.revision)).toEqual(revs);
        expect(gaveUp.events).toHaveLength(5);
      } finally {
        await store.close();
        await impatient.close();
      }
    });
  });
});

describe('etcd client fault handling', () => {
  it('one endpoint gets no circuit breaker (nothing to steer to; it held every call for 5 s after three errors); several get one that retries after 1 s', async () => {
    const [lib, c] = await Promise.all([import('etcd3'), import('cockatiel')]);
    expect(hostPolicy(1, lib.isRecoverableError, c)()).toBe(c.noop);
    const breaker = hostPolicy(3, lib.isRecoverableError, c)();
    expect(breaker).toBeInstanceOf(c.CircuitBreakerPolicy);
    // Three recoverable errors open it; a second later it lets a call through again.
    const unavailable = Object.assign(new lib.GRPCUnavailableError('down'), {});
    for (let i = 0; i < 3; i++) await expect(breaker.execute(() => Promise.reject(unavailable))).rejects.toBe(unavailable);
    await expect(breaker.execute(() => Promise.resolve(1))).rejects.toBeInstanceOf(c.BrokenCircuitError);
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(breaker.execute(() => Promise.resolve(2))).resolves.toBe(2);
  });
});
