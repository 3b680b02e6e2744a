import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../interface.js';
import { openStore } from '../factory.js';
import { MemoryStore } from '../memory/index.js';
import { startCompactor } from '../compactor.js';
import { errorCode, record, runStoreConformance, waitFor } from '../testing/conformance.js';
import { SqliteStore } from './index.js';

let dir: string | undefined;
const dbFile = (): string => {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'everynode-sqlite-'));
  return path.join(dir, 'state.db');
};
const removeDir = async (): Promise<void> => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
};

runStoreConformance('sqlite', {
  open: async () => SqliteStore.open(dbFile()),
  reopen: async () => SqliteStore.open(dbFile()),
  cleanup: removeDir,
});

runStoreConformance('sqlite (walSync event-loop)', {
  open: async () => SqliteStore.open(dbFile(), { walSync: 'event-loop' }),
  reopen: async () => SqliteStore.open(dbFile(), { walSync: 'event-loop' }),
  cleanup: removeDir,
});

describe('SqliteStore walSync background', () => {
  afterEach(removeDir);

  it('answers a read issued while a commit waits for its fsync only after that write is acknowledged', async () => {
    const store = await SqliteStore.open(dbFile());
    try {
      expect(store.walSync).toBe('background');
      const order: string[] = [];
      // Two writes: a batch of one is fsynced on the event loop (backgroundSyncMinBatch).
      const created = Promise.all([store.create('/vis/a', 'v1'), store.create('/vis/b', 'v2')]).then(([, rev]) => {
        order.push('create acknowledged');
        return rev;
      });
      // The flush (a setImmediate queued by create) has committed; its fsync completes in a later phase.
      await new Promise((r) => setImmediate(r));
      const read = store.get('/vis/a').then((kv) => {
        order.push('get answered');
        return kv;
      });
      const listed = store.list('/vis/').then((l) => {
        order.push('list answered');
        return l;
      });
      const [rev, kv, l] = await Promise.all([created, read, listed]);
      expect(order[0]).toBe('create acknowledged');
      expect(kv?.modRevision).toBe(rev - 1);
      expect(l.revision).toBe(rev);
      expect(l.items.map((i) => i.modRevision)).toEqual([rev - 1, rev]);
      expect(store.stats().maxBatch).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('every walSync setting keeps the group commit and its answers', async () => {
    for (const [i, o] of [{ walSync: 'event-loop' }, { backgroundSyncMinBatch: 1 }, { backgroundSyncMinBatch: 1000 }].entries()) {
      const store = await SqliteStore.open(path.join(path.dirname(dbFile()), `mode-${i}.db`), o as object);
      try {
        const revs = await Promise.all(Array.from({ length: 20 }, (_, j) => store.create(`/m/${j}`, String(j))));
        expect(new Set(revs).size).toBe(20);
        expect(await store.count('/m/')).toBe(20);
        expect(store.stats().commits).toBeLessThan(20);
      } finally {
        await store.close();
      }
    }
  });

  it('close() commits the writes accepted before it, with a batch in flight', async () => {
    const file = dbFile();
    const store = await SqliteStore.open(file);
    const writes = Array.from({ length: 50 }, (_, i) => store.create(`/close/${i}`, String(i)));
    await new Promise((r) => setImmediate(r));
    const more = Array.from({ length: 50 }, (_, i) => store.create(`/close/x${i}`, String(i)));
    await store.close();
    const revs = await Promise.all([...writes, ...more]);
    expect(new Set(revs).size).toBe(100);
    const reopened = await SqliteStore.open(file);
    try {
      expect(await reopened.count('/close/')).toBe(100);
      expect(await reopened.currentRevision()).toBe(Math.max(...revs));
    } finally {
      await reopened.close();
    }
  });
});

describe('SqliteStore specifics', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = await SqliteStore.open(dbFile());
  });
  afterEach(async () => {
    await store.close();
    await removeDir();
  });

  it('commits concurrent writes in one transaction, checking each precondition on its own', async () => {
    const base = await store.create('/g/existing', 'e1');
    const before = store.stats();
    const results = await Promise.allSettled([
      store.create('/g/a', 'a'),
      store.create('/g/existing', 'dup'), // AlreadyExists
      store.update('/g/existing', 'e2', base), // wins
      store.update('/g/existing', 'e3', base), // Conflict: sees the update before it in the batch
      store.delete('/g/missing'), // NotFound
      store.create('/g/b', 'b'),
      store.delete('/g/a'), // sees the create earlier in the same batch
    ]);
    const after = store.stats();
    expect(after.commits - before.commits).toBe(1);
    expect(after.writes - before.writes).toBe(7);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as StorageError).code));
    expect(codes).toEqual(['ok', 'AlreadyExists', 'ok', 'Conflict', 'NotFound', 'ok', 'ok']);
    const revs = results.flatMap((r) =>
      r.status === 'fulfilled' ? [typeof r.value === 'number' ? r.value : r.value.revision] : [],
    );
    expect(revs).toEqual([base + 1, base + 2, base + 3, base + 4]);
    expect((await store.get('/g/existing'))!.value).toBe('e2');
    expect(await store.get('/g/a')).toBeUndefined();
    expect(await store.currentRevision()).toBe(base + 4);
  });

  it('many concurrent writers share few commits', async () => {
    const before = store.stats();
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`/many/${i}`, String(i))));
    const after = store.stats();
    expect(after.writes - before.writes).toBe(200);
    expect(after.commits - before.commits).toBeLessThan(10);
    expect(await store.count('/many/')).toBe(200);
  });

  it('a second opener of the same file is refused with Unavailable while the first is open', async () => {
    await store.create('/x', '1');
    let err: unknown;
    try {
      (await SqliteStore.open(dbFile(), { busyTimeoutMs: 50 })).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('Unavailable');
    expect((await store.get('/x'))!.value).toBe('1');
  });

  it('watch catch-up across many history chunks is gap-free while writes continue', async () => {
    const total = 2600;
    for (let i = 0; i < total; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => store.create(`/h/${String(i + j).padStart(5, '0')}`, 'v')));
    }
    const rec = record(store, '/h/', 0);
    const extra = Promise.all(Array.from({ length: 300 }, (_, j) => store.create(`/h/x${j}`, 'v')));
    await extra;
    await waitFor(() => rec.events.length >= total + 300, 'all events');
    rec.stop();
    expect(rec.errors).toEqual([]);
    expect(rec.events.map((e) => e.revision)).toEqual(Array.from({ length: total + 300 }, (_, i) => i + 1));
  });

  it('compaction physically removes superseded rows and tombstones', async () => {
    const r = await store.create('/k/a', '1');
    const r2 = await store.update('/k/a', '2', r);
    await store.create('/k/b', '1');
    await store.delete('/k/b');
    await store.update('/k/a', '3', r2);
    await store.compact(await store.currentRevision());
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(dbFile(), { readonly: true });
    const rows = db.prepare('SELECT name, value FROM kv ORDER BY id').all();
    db.close();
    expect(rows).toEqual([{ name: '/k/a', value: '3' }]);
    store = await SqliteStore.open(dbFile());
    expect(await store.currentRevision()).toBe(5);
    expect(await store.create('/k/c', 'c')).toBe(6);
  });

  it('never reuses a revision after compaction removed the newest row (a tombstone)', async () => {
    await store.create('/t/a', '1');
    const del = (await store.delete('/t/a')).revision;
    await store.compact(del);
    await store.close();
    store = await SqliteStore.open(dbFile());
    expect(await store.currentRevision()).toBe(del);
    expect(await store.list('')).toEqual({ items: [], revision: del, more: false });
    expect(await store.create('/t/a', '2')).toBe(del + 1);
  });

  it('startCompactor keeps the configured history', async () => {
    for (let i = 0; i < 30; i++) await store.create(`/cmp/${i}`, 'v');
    const compactor = startCompactor(store, { intervalMs: 60_000, retainRevisions: 10 });
    expect(await compactor.runOnce()).toBe(20);
    expect(await store.compactedRevision()).toBe(20);
    expect(await compactor.runOnce()).toBe(20);
    await compactor.stop();
    expect(await errorCode(store.list('/cmp/', { revision: 19 }))).toBe('Compacted');
    expect((await store.list('/cmp/', { revision: 20 })).items).toHaveLength(20);
  });

  it('startCompactor compacts on its timer', async () => {
    for (let i = 0; i < 12; i++) await store.create(`/t/${i}`, 'v');
    const seen: number[] = [];
    const compactor = startCompactor(store, { intervalMs: 10, retainRevisions: 2, onCompacted: (r) => seen.push(r) });
    await waitFor(() => seen.length > 0, 'a timed compaction');
    await compactor.stop();
    expect(seen[0]).toBe(10);
  });
});

describe('openStore', () => {
  afterEach(removeDir);

  it('opens sqlite by URL and by bare path, memory by URL; rejects unknown schemes', async () => {
    const file = dbFile();
    const a = await openStore(`sqlite://${file}`);
    expect(a).toBeInstanceOf(SqliteStore);
    await a.create('/k', 'v');
    await a.close();
    const b = await openStore(file);
    expect(b).toBeInstanceOf(SqliteStore);
    expect((await b.get('/k'))!.value).toBe('v');
    await b.close();
    const nested = path.join(path.dirname(file), 'sub dir', 'state.db');
    const c = await openStore(`sqlite://${encodeURI(nested)}`);
    await c.close();
    expect(fs.existsSync(nested)).toBe(true);
    const m = await openStore('memory://');
    expect(m).toBeInstanceOf(MemoryStore);
    await m.close();
    await expect(openStore('bogus://x')).rejects.toBeInstanceOf(StorageError);
    await expect(openStore('sqlite://remote-host/x.db')).rejects.toBeInstanceOf(StorageError);
  });
});
