// The one Store conformance suite: every backend runs it (memory, sqlite, etcd).
// Each test gets a fresh store from `factory.open()` and calls `factory.cleanup()` afterwards.
// `reopen()` (optional) opens the same backing data again; the suite closes the previous store
// first. Tests that need it are skipped for backends without persistence.
//
// A store may share its revision log with other stores (etcd: one revision counter and one
// compaction point for the whole cluster, stores told apart by a key prefix). So the suite
// never assumes a fresh store starts at revision 0 or was never compacted: "all history" means
// "from the revision read before the test's first write" (`base`), and revisions are compared,
// not counted.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  StorageError,
  guaranteedUpdate,
  type KeyValue,
  type Store,
  type StorageErrorCode,
  type WatchEvent,
} from '../interface.js';

export interface StoreFactory {
  open(): Promise<Store>;
  reopen?(): Promise<Store>;
  cleanup(): Promise<void>;
}

/** Awaits `p` and returns the StorageError code it rejected with (fails if it resolved). */
export async function errorCode(p: Promise<unknown>): Promise<StorageErrorCode> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return (err as StorageError).code;
  }
  throw new Error('expected the operation to fail');
}

/** Polls `cond` until true or the (generous) deadline passes. Never used to assert speed. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface WatchRecorder {
  events: WatchEvent[];
  errors: StorageError[];
  stop(): void;
}

export function record(store: Store, prefix: string, fromRevision: number): WatchRecorder {
  const rec: WatchRecorder = { events: [], errors: [], stop: () => undefined };
  const w = store.watch(prefix, fromRevision, {
    onEvents: (evs) => rec.events.push(...evs),
    onError: (err) => rec.errors.push(err),
  });
  rec.stop = () => w.stop();
  return rec;
}

/** Asserts revisions strictly increase (ordered, no duplicates). */
function expectOrdered(events: WatchEvent[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.revision).toBeGreaterThan(events[i - 1]!.revision);
}

const json = (o: unknown): string => JSON.stringify(o);

export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await factory.cleanup();
    });

    it('create, get and AlreadyExists; revisions strictly increase from > 0', async () => {
      const start = await store.currentRevision();
      expect(start).toBeGreaterThanOrEqual(0);
      expect(await store.get('/a/x')).toBeUndefined();
      const r1 = await store.create('/a/x', json({ v: 1 }));
      expect(r1).toBeGreaterThan(0);
      expect(r1).toBeGreaterThan(start);
      const r2 = await store.create('/a/y', json({ v: 2 }));
      expect(r2).toBeGreaterThan(r1);
      expect(await store.get('/a/x')).toEqual({ key: '/a/x', value: json({ v: 1 }), createRevision: r1, modRevision: r1 });
      expect(await errorCode(store.create('/a/x', 'other'))).toBe('AlreadyExists');
      expect((await store.get('/a/x'))!.value).toBe(json({ v: 1 }));
      expect(await store.currentRevision()).toBe(r2);
    });

    it('update is compare-and-swap: NotFound, Conflict (with current state) changes nothing', async () => {
      expect(await errorCode(store.update('/a/missing', 'v', 1))).toBe('NotFound');
      const r1 = await store.create('/a/x', 'v1');
      const r2 = await store.update('/a/x', 'v2', r1);
      expect(r2).toBeGreaterThan(r1);
      expect(await store.get('/a/x')).toEqual({ key: '/a/x', value: 'v2', createRevision: r1, modRevision: r2 });
      const before = await store.currentRevision();
      let conflict: StorageError | undefined;
      try {
        await store.update('/a/x', 'stale', r1);
      } catch (err) {
        conflict = err as StorageError;
      }
      expect(conflict?.code).toBe('Conflict');
      expect(conflict?.current).toEqual({ key: '/a/x', value: 'v2', createRevision: r1, modRevision: r2 });
      expect((await store.get('/a/x'))!.value).toBe('v2');
      expect(await store.currentRevision()).toBe(before);
    });

    it('concurrent updaters with the same expected revision: exactly one wins', async () => {
      const r0 = await store.create('/a/counter', 'start');
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) => store.update('/a/counter', `writer-${i}`, r0)),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, rev: r.value }] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as StorageError).code).toBe('Conflict');
      }
      expect(await store.get('/a/counter')).toEqual({
        key: '/a/counter',
        value: `writer-${won[0]!.i}`,
        createRevision: r0,
        modRevision: won[0]!.rev,
      });
    });

    it('delete with and without precondition; re-create gets a new createRevision', async () => {
      expect(await errorCode(store.delete('/a/missing'))).toBe('NotFound');
      const r1 = await store.create('/a/x', 'v1');
      const r2 = await store.create('/a/y', 'y1');
      expect(await errorCode(store.delete('/a/x', r1 + 100))).toBe('Conflict');
      expect((await store.get('/a/x'))!.value).toBe('v1');
      const d1 = await store.delete('/a/x', r1);
      expect(d1.revision).toBeGreaterThan(r2);
      expect(d1.prev).toEqual({ key: '/a/x', value: 'v1', createRevision: r1, modRevision: r1 });
      expect(await store.get('/a/x')).toBeUndefined();
      expect(await errorCode(store.delete('/a/x'))).toBe('NotFound');
      const d2 = await store.delete('/a/y');
      expect(d2.prev.value).toBe('y1');
      expect(d2.revision).toBeGreaterThan(d1.revision);
      const r3 = await store.create('/a/x', 'v2');
      expect(r3).toBeGreaterThan(d2.revision);
      expect(await store.get('/a/x')).toEqual({ key: '/a/x', value: 'v2', createRevision: r3, modRevision: r3 });
      expect(await store.currentRevision()).toBe(r3);
    });

    it('publishedRevision, when the store tells it: a watcher has every event up to it by the time a write is answered', async () => {
      const rec = record(store, '/p/', await store.currentRevision());
      for (let i = 0; i < 20; i++) {
        const writes = await Promise.all([store.create(`/p/a${i}`, 'v'), store.create(`/p/b${i}`, 'v')]);
        const published = store.publishedRevision?.();
        if (published === undefined) {
          // Not offered (etcd): nothing more to check; the watcher still gets the events.
          rec.stop();
          return;
        }
        // Both writes were answered: their events were published in that turn, to this watcher.
        expect(published).toBeGreaterThanOrEqual(Math.max(...writes));
        expect(rec.events.at(-1)?.revision).toBe(published);
      }
      rec.stop();
    });

    it('list by prefix: ascending byte order, prefix boundaries, count', async () => {
      const keys = ['/a/b', '/a/a', '/ab/x', '/a', '/a/c/d', '/b/a', '/a/\u00e9', '/a/Z', '/a0'];
      for (const k of keys) await store.create(k, `v:${k}`);
      const rev = await store.currentRevision();
      const res = await store.list('/a/');
      expect(res.revision).toBe(rev);
      expect(res.more).toBe(false);
      expect(res.items.map((i) => i.key)).toEqual(['/a/Z', '/a/a', '/a/b', '/a/c/d', '/a/\u00e9']);
      expect(res.items[0]).toEqual({ key: '/a/Z', value: 'v:/a/Z', createRevision: expect.any(Number), modRevision: expect.any(Number) });
      expect((await store.list('/ab/')).items.map((i) => i.key)).toEqual(['/ab/x']);
      expect((await store.list('/nothing/')).items).toEqual([]);
      expect((await store.list('')).items.map((i) => i.key)).toEqual(
        ['/a', '/a/Z', '/a/a', '/a/b', '/a/c/d', '/a/\u00e9', '/a0', '/ab/x', '/b/a'],
      );
      expect(await store.count('/a/')).toBe(5);
      expect(await store.count('/ab/')).toBe(1);
      expect(await store.count('')).toBe(keys.length);
      await store.delete('/a/b');
      expect(await store.count('/a/')).toBe(4);
      expect((await store.list('/a/')).items.map((i) => i.key)).not.toContain('/a/b');
    });

    it('paging at a fixed revision stays a consistent snapshot while writes continue', async () => {
      for (let i = 0; i < 25; i++) await store.create(`/p/k${String(i).padStart(2, '0')}`, `v${i}`);
      await store.create('/q/outside', 'x');
      const snapshot = (await store.list('/p/')).items;
      expect(snapshot).toHaveLength(25);

      const first = await store.list('/p/', { limit: 10 });
      expect(first.items.map((i) => i.key)).toEqual(snapshot.slice(0, 10).map((i) => i.key));
      expect(first.more).toBe(true);
      expect(first.remaining).toBe(15);

      // Writes between pages: a key before, inside and after the cursor; an update; a delete.
      const writes = Promise.all([
        store.create('/p/k00a', 'new'),
        store.create('/p/k15a', 'new'),
        store.create('/p/zz', 'new'),
        store.update('/p/k12', 'changed', snapshot[12]!.modRevision),
        store.delete('/p/k20'),
      ]);
      const second = await store.list('/p/', { revision: first.revision, limit: 10, startAfter: first.items[9]!.key });
      await writes;
      const third = await store.list('/p/', { revision: first.revision, limit: 10, startAfter: second.items[9]!.key });
      expect(second.revision).toBe(first.revision);
      expect(second.more).toBe(true);
      expect(second.remaining).toBe(5);
      expect(third.more).toBe(false);
      expect([...first.items, ...second.items, ...third.items]).toEqual(snapshot);

      const now = await store.list('/p/');
      expect(now.revision).toBeGreaterThan(first.revision);
      expect(now.items).toHaveLength(27);
      expect(now.items.find((i) => i.key === '/p/k12')!.value).toBe('changed');
      // A startAfter before the prefix starts at the prefix.
      expect((await store.list('/p/', { startAfter: '/a', limit: 1 })).items[0]!.key).toBe('/p/k00');
      // Paging the current state with remaining counts.
      const pageA = await store.list('/p/', { limit: 20 });
      expect(pageA.remaining).toBe(7);
      const pageB = await store.list('/p/', { revision: pageA.revision, limit: 20, startAfter: pageA.items[19]!.key });
      expect(pageB.items).toHaveLength(7);
      expect(pageB.more).toBe(false);
    });

    it('keysOnly lists the same keys and revisions with empty values, at the current state, a past revision and by pages', async () => {
      const r1 = await store.create('/ko/a', 'a1');
      await store.create('/ko/b', 'b1');
      await store.create('/ko/c', 'c1');
      const past = await store.currentRevision();
      await store.update('/ko/a', 'a2', r1);
      await store.delete('/ko/c');
      const strip = (items: KeyValue[]) => items.map((kv) => ({ ...kv, value: '' }));
      for (const opts of [{}, { revision: past }, { limit: 1 }, { revision: past, limit: 2, startAfter: '/ko/a' }]) {
        const full = await store.list('/ko/', opts);
        const keys = await store.list('/ko/', { ...opts, keysOnly: true });
        expect(keys.items, JSON.stringify(opts)).toEqual(strip(full.items));
        expect([keys.revision, keys.more, keys.remaining], JSON.stringify(opts)).toEqual([full.revision, full.more, full.remaining]);
      }
      expect((await store.list('/ko/', { keysOnly: true })).items.map((kv) => kv.key)).toEqual(['/ko/a', '/ko/b']);
    });

    it('list at an older revision returns that state; future revisions are refused', async () => {
      const ra = await store.create('/o/a', 'a1');
      await store.create('/o/b', 'b1');
      const rev1 = await store.currentRevision();
      const ra2 = await store.update('/o/a', 'a2', ra);
      const rDel = (await store.delete('/o/b')).revision;
      await store.create('/o/c', 'c1');
      await store.create('/o/b', 'b2');
      await store.create('/o/e', 'e1');
      const afterDelete = await store.list('/o/', { revision: rDel });
      expect(afterDelete.items.map((i) => [i.key, i.value, i.modRevision])).toEqual([['/o/a', 'a2', ra2]]);
      expect(afterDelete.more).toBe(false);
      const pagedAfterDelete = await store.list('/o/', { revision: rDel + 1, limit: 1 });
      expect(pagedAfterDelete.items.map((i) => i.key)).toEqual(['/o/a']);
      expect(pagedAfterDelete.remaining).toBe(1);
      const old = await store.list('/o/', { revision: rev1 });
      expect(old.revision).toBe(rev1);
      expect(old.items.map((i) => [i.key, i.value, i.modRevision])).toEqual([
        ['/o/a', 'a1', ra],
        ['/o/b', 'b1', rev1],
      ]);
      const paged = await store.list('/o/', { revision: rev1, limit: 1 });
      expect(paged.items.map((i) => i.key)).toEqual(['/o/a']);
      expect(paged.more).toBe(true);
      expect(paged.remaining).toBe(1);
      const rest = await store.list('/o/', { revision: rev1, limit: 1, startAfter: '/o/a' });
      expect(rest.items.map((i) => i.value)).toEqual(['b1']);
      expect(rest.more).toBe(false);
      expect((await store.list('/o/', { revision: ra })).items.map((i) => i.key)).toEqual(['/o/a']);
      const cur = await store.currentRevision();
      expect(await errorCode(store.list('/o/', { revision: cur + 1 }))).toBe('FutureRevision');
      expect((await store.list('/o/')).items.map((i) => i.value)).toEqual(['a2', 'b2', 'c1', 'e1']);
    });

    it('watch from before the first write replays all history, then delivers live events: ordered, gap-free, no duplicates', async () => {
      const base = await store.currentRevision();
      const written: Array<{ rev: number; key: string }> = [];
      const rA = await store.create('/w/a', 'a1');
      written.push({ rev: rA, key: '/w/a' });
      written.push({ rev: await store.update('/w/a', 'a2', rA), key: '/w/a' });
      await store.create('/x/other', 'x');
      const rec = record(store, '/w/', base);
      // Concurrent writers while the watch catches up and goes live.
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 15; i++) {
            const key = `/w/k${w}-${i}`;
            const rev = await store.create(key, `v${i}`);
            written.push({ rev, key });
            if (i % 5 === 4) {
              written.push({ rev: (await store.delete(key)).revision, key });
            }
            await store.create(`/x/k${w}-${i}`, 'noise');
          }
        }),
      );
      // A last write after all others: once it arrives, everything before it has been delivered.
      written.push({ rev: await store.create('/w/~sentinel', 'end'), key: '/w/~sentinel' });
      written.sort((a, b) => a.rev - b.rev);
      await waitFor(() => rec.events.some((e) => e.key === '/w/~sentinel'), 'the sentinel event');
      rec.stop();
      expect(rec.errors).toEqual([]);
      expectOrdered(rec.events);
      expect(rec.events.map((e) => [e.revision, e.key])).toEqual(written.map((w) => [w.rev, w.key]));
      const [e1, e2] = rec.events;
      expect(e1).toEqual({ type: 'put', key: '/w/a', value: 'a1', revision: rA, createRevision: rA });
      expect(e2).toMatchObject({ type: 'put', key: '/w/a', value: 'a2', prevValue: 'a1', createRevision: rA });
      const del = rec.events.find((e) => e.type === 'delete')!;
      expect(del.prevValue).toBe('v4');
      expect(del.value).toBeUndefined();
      const created = rec.events.find((e) => e.key === del.key && e.type === 'put')!;
      expect(del.createRevision).toBe(created.revision);
    });

    it('watch from a past revision and from the current revision', async () => {
      const r1 = await store.create('/w/a', 'a1');
      const r2 = await store.update('/w/a', 'a2', r1);
      const r3 = await store.create('/w/b', 'b1');
      const fromPast = record(store, '/w/', r1);
      const fromNow = record(store, '/w/', r3);
      const r4 = (await store.delete('/w/a', r2)).revision;
      await waitFor(() => fromPast.events.length >= 3 && fromNow.events.length >= 1, 'events');
      expect(fromPast.events.map((e) => e.revision)).toEqual([r2, r3, r4]);
      expect(fromNow.events).toEqual([{ type: 'delete', key: '/w/a', prevValue: 'a2', revision: r4, createRevision: r1 }]);
      fromPast.stop();
      fromNow.stop();
      expect([...fromPast.errors, ...fromNow.errors]).toEqual([]);
    });

    it('watch of a prefix excludes sibling prefixes (/a/ vs /ab/)', async () => {
      const base = await store.currentRevision();
      const rec = record(store, '/a/', base);
      const other = record(store, '/ab/', base);
      await store.create('/ab/x', '1');
      const r = await store.create('/a/x', '2');
      await store.create('/a', '3');
      await store.create('/abc', '4');
      const last = await store.create('/a/y', '5');
      await store.create('/ab/~sentinel', '6');
      await waitFor(() => rec.events.some((e) => e.key === '/a/y') && other.events.some((e) => e.key === '/ab/~sentinel'), 'events');
      expect(rec.events.map((e) => [e.key, e.revision])).toEqual([
        ['/a/x', r],
        ['/a/y', last],
      ]);
      expect(other.events.map((e) => e.key)).toEqual(['/ab/x', '/ab/~sentinel']);
      rec.stop();
      other.stop();
    });

    it('stop() ends delivery, also before the first event', async () => {
      const base = await store.currentRevision();
      const stoppedEarly = record(store, '', base);
      stoppedEarly.stop();
      const rec = record(store, '/s/', base);
      await store.create('/s/1', '1');
      await waitFor(() => rec.events.length === 1, 'first event');
      rec.stop();
      rec.stop(); // idempotent
      await store.create('/s/2', '2');
      await store.create('/s/3', '3');
      const probe = record(store, '/s/', base);
      await waitFor(() => probe.events.length === 3, 'probe sees the writes');
      probe.stop();
      expect(rec.events).toHaveLength(1);
      expect(stoppedEarly.events).toEqual([]);
      expect(stoppedEarly.errors).toEqual([]);
    });

    it('compaction: Compacted below the point for watch and list, latest values kept', async () => {
      const c0 = await store.compactedRevision();
      const ra = await store.create('/c/a', 'a1');
      expect(c0).toBeLessThan(ra);
      const ra2 = await store.update('/c/a', 'a2', ra);
      const rb = await store.create('/c/b', 'b1');
      await store.delete('/c/b', rb);
      const rc = await store.create('/c/c', 'c1');
      const rd = await store.create('/c/d', 'd1');
      const ra3 = await store.update('/c/a', 'a3', ra2);
      expect(await errorCode(store.compact(ra3 + 1))).toBe('FutureRevision');
      expect(await store.compactedRevision()).toBe(c0);

      const point = await store.compact(rd);
      expect(point).toBe(rd);
      expect(await store.compactedRevision()).toBe(rd);
      expect(await store.compact(rc)).toBe(rd); // never moves back

      expect(await errorCode(store.list('/c/', { revision: rc }))).toBe('Compacted');
      const atPoint = await store.list('/c/', { revision: rd });
      expect(atPoint.items.map((i) => [i.key, i.value])).toEqual([
        ['/c/a', 'a2'],
        ['/c/c', 'c1'],
        ['/c/d', 'd1'],
      ]);
      expect((await store.list('/c/')).items.map((i) => [i.key, i.value, i.createRevision])).toEqual([
        ['/c/a', 'a3', ra],
        ['/c/c', 'c1', rc],
        ['/c/d', 'd1', rd],
      ]);
      expect(await store.get('/c/c')).toEqual({ key: '/c/c', value: 'c1', createRevision: rc, modRevision: rc });

      const below = record(store, '/c/', rc);
      const zero = record(store, '', 0);
      const atCompacted = record(store, '/c/', rd);
      await waitFor(() => below.errors.length === 1 && zero.errors.length === 1 && atCompacted.events.length === 1, 'watch outcomes');
      expect(below.errors[0]!.code).toBe('Compacted');
      expect(zero.errors[0]!.code).toBe('Compacted');
      expect(below.events).toEqual([]);
      expect(atCompacted.events).toEqual([
        { type: 'put', key: '/c/a', value: 'a3', prevValue: 'a2', revision: ra3, createRevision: ra },
      ]);
      const rNew = await store.update('/c/c', 'c2', rc);
      await waitFor(() => atCompacted.events.length === 2, 'live event after compaction');
      expect(atCompacted.events[1]!.revision).toBe(rNew);
      atCompacted.stop();

      // Deleted keys stay deleted; writes after compaction continue the revision sequence.
      expect(await store.get('/c/b')).toBeUndefined();
      expect(await store.create('/c/b', 'b2')).toBeGreaterThan(rNew);
      expect(await store.compact(await store.currentRevision())).toBe(await store.currentRevision());
      expect((await store.list('/c/')).items.map((i) => i.value)).toEqual(['a3', 'b2', 'c2', 'd1']);
    });

    it('guaranteedUpdate retries on conflict until every concurrent update lands', async () => {
      await store.create('/g/counter', json({ n: 0 }));
      await Promise.all(
        Array.from({ length: 16 }, () =>
          guaranteedUpdate(store, '/g/counter', (cur) => json({ n: (JSON.parse(cur.value) as { n: number }).n + 1 }), 64),
        ),
      );
      expect(JSON.parse((await store.get('/g/counter'))!.value)).toEqual({ n: 16 });
      const same = await guaranteedUpdate(store, '/g/counter', () => undefined);
      expect(same.value).toBe(json({ n: 16 }));
      await expect(guaranteedUpdate(store, '/g/missing', (c) => c.value)).rejects.toMatchObject({ code: 'NotFound' });
      const boom = new Error('abort');
      await expect(guaranteedUpdate(store, '/g/counter', () => { throw boom; })).rejects.toBe(boom);
    });

    it('close: later calls fail with Unavailable and watches end with Unavailable', async () => {
      const base = await store.currentRevision();
      await store.create('/z/a', '1');
      const rec = record(store, '/z/', base);
      await waitFor(() => rec.events.length === 1, 'event');
      await store.close();
      expect(rec.errors.map((e) => e.code)).toEqual(['Unavailable']);
      expect(await errorCode(store.get('/z/a'))).toBe('Unavailable');
      expect(await errorCode(store.create('/z/b', '2'))).toBe('Unavailable');
    });

    it.skipIf(!factory.reopen)('persists state, revision, history and compaction point across reopen', async () => {
      const ra = await store.create('/r/a', 'a1');
      const ra2 = await store.update('/r/a', 'a2', ra);
      const rb = await store.create('/r/b', 'b1');
      const rbDel = (await store.delete('/r/b')).revision;
      const rc = await store.create('/r/c', 'c1');
      await store.compact(ra2);
      // Writes issued right before close must be committed by close. (`last` is read before the
      // write is issued: a backend may commit it before a later read returns.)
      const last = await store.currentRevision();
      const pending = store.create('/r/d', 'd1');
      await store.close();
      const rd = await pending;
      expect(rd).toBeGreaterThan(last);

      store = await factory.reopen!();
      expect(await store.currentRevision()).toBe(rd);
      expect(await store.compactedRevision()).toBe(ra2);
      const expected: KeyValue[] = [
        { key: '/r/a', value: 'a2', createRevision: ra, modRevision: ra2 },
        { key: '/r/c', value: 'c1', createRevision: rc, modRevision: rc },
        { key: '/r/d', value: 'd1', createRevision: rd, modRevision: rd },
      ];
      expect((await store.list('/r/')).items).toEqual(expected);
      expect(await store.get('/r/a')).toEqual(expected[0]);
      expect((await store.list('/r/', { revision: rb })).items.map((i) => i.key)).toEqual(['/r/a', '/r/b']);
      const rec = record(store, '/r/', ra2);
      await waitFor(() => rec.events.length === 4, 'history after reopen');
      expect(rec.events.map((e) => [e.type, e.revision])).toEqual([
        ['put', rb],
        ['delete', rbDel],
        ['put', rc],
        ['put', rd],
      ]);
      expect(await errorCode(store.list('/r/', { revision: ra }))).toBe('Compacted');
      const re = await store.create('/r/e', 'e1');
      expect(re).toBeGreaterThan(rd);
      await waitFor(() => rec.events.length === 5, 'live event after reopen');
      rec.stop();
    });
  });
}
