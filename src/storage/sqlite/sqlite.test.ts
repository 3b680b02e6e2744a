import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../interface.js';
import { openStore } from '../factory.js';
import { MemoryStore } from '../memory/index.js';
import { startCompactor } from '../compactor.js';
import { errorCode, record, runStoreConformance, waitFor } from '../testing/conformance.js';
import { SqliteStore, restoreSqliteBackup } from './index.js';

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

  it('lists with a limit beyond the safe integers (or fractional) as SQLite can bind it', async () => {
    await store.create('/l/a', 'a');
    await store.create('/l/b', 'b');
    const rev = await store.currentRevision();
    for (const limit of [2 ** 63, Number.MAX_SAFE_INTEGER, 1.5]) {
      for (const opts of [{ limit }, { limit, revision: rev - 1 }]) {
        const page = await store.list('/l/', opts);
        expect(page.items.length).toBe(limit === 1.5 ? 1 : opts.revision ? 1 : 2);
      }
    }
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

  it('no row keeps a copy of the value it replaced; history above the compaction point still has prevValue, read from the replaced row', async () => {
    const ra = await store.create('/o/a', 'a1');
    const ra2 = await store.update('/o/a', 'a2', ra);
    const rb = await store.create('/o/b', 'b1');
    const rb2 = await store.update('/o/b', 'b2', rb);
    const ra3 = await store.update('/o/a', 'a3', ra2);
    const rbDel = (await store.delete('/o/b', rb2)).revision;
    await store.compact(rb2);
    const oldValues = async (): Promise<unknown[]> => {
      await store.close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(dbFile(), { readonly: true });
      const rows = db.prepare('SELECT id, old_value FROM kv ORDER BY id').all();
      db.close();
      store = await SqliteStore.open(dbFile());
      return rows;
    };
    // ra2 (a's newest row at the point) and rb2 (b's) stay: the rows a watch from the point
    // replays replaced them. Updates and tombstones store no old value of their own.
    expect(await oldValues()).toEqual([
      { id: ra2, old_value: null },
      { id: rb2, old_value: null },
      { id: ra3, old_value: null },
      { id: rbDel, old_value: null },
    ]);
    const rec = record(store, '/o/', rb2);
    await waitFor(() => rec.events.length === 2, 'history above the compaction point');
    rec.stop();
    expect(rec.events).toEqual([
      { type: 'put', key: '/o/a', value: 'a3', prevValue: 'a2', revision: ra3, createRevision: ra },
      { type: 'delete', key: '/o/b', prevValue: 'b2', revision: rbDel, createRevision: rb },
    ]);
    await store.compact(rbDel);
    expect(await oldValues()).toEqual([{ id: ra3, old_value: null }]);
  });

  it('a key deleted after one compaction stays deleted in lists at older revisions after the next; superseded rows do not pile up', async () => {
    const rb = await store.create('/z/b', 'b1');
    const rx = await store.create('/z/x', 'x1');
    await store.compact(rx);
    const rx2 = await store.update('/z/x', 'x2', rx);
    const del = (await store.delete('/z/b', rb)).revision;
    const ry = await store.create('/z/y', 'y1');
    await store.compact(ry);
    const rw = await store.create('/z/w', 'w1');
    expect((await store.list('/z/', { revision: ry })).items.map((i) => [i.key, i.value])).toEqual([
      ['/z/x', 'x2'],
      ['/z/y', 'y1'],
    ]);
    expect((await store.list('/z/', { revision: rw })).items.map((i) => i.key)).toEqual(['/z/w', '/z/x', '/z/y']);
    expect(del).toBeLessThan(ry);
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(dbFile(), { readonly: true });
    const ids = db.prepare('SELECT id FROM kv ORDER BY id').all();
    db.close();
    expect(ids).toEqual([{ id: rx2 }, { id: ry }, { id: rw }]);
    store = await SqliteStore.open(dbFile());
  });

  it('a file compacted by a version that kept superseded rows and old values is repaired at open, once', async () => {
    const rb = await store.create('/m/b', 'b1');
    const r = await store.create('/m/a', 'before');
    const r2 = await store.update('/m/a', 'after', r);
    const rc = await store.create('/m/c', 'c1');
    const rc2 = await store.update('/m/c', 'c2', rc);
    const del = (await store.delete('/m/b', rb)).revision;
    const rd = await store.create('/m/d', 'd1');
    const rd2 = await store.update('/m/d', 'd2', rd);
    await store.compact(rd);
    await store.close();
    // Recreate what that version left: b's row kept while its tombstone went, c's superseded
    // row, the replaced values of kept rows, and no compact_clean mark.
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(dbFile());
    const ins = raw.prepare('INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, 0, ?, ?, ?, ?)');
    ins.run(rb, '/m/b', 1, rb, 0, 'b1', null);
    ins.run(rc, '/m/c', 1, rc, 0, 'c1', null);
    raw.prepare("UPDATE kv SET old_value = 'before' WHERE id = ?").run(r2);
    // That version also kept the replaced value in every update row, above the point too.
    raw.prepare("UPDATE kv SET old_value = 'd1' WHERE id = ?").run(rd2);
    raw.prepare("DELETE FROM meta WHERE key = 'compact_clean'").run();
    raw.close();

    store = await SqliteStore.open(dbFile());
    await store.close();
    const check = new Database(dbFile(), { readonly: true });
    const rows = check.prepare('SELECT id, old_value FROM kv ORDER BY id').all();
    const mark = check.prepare("SELECT value FROM meta WHERE key = 'compact_clean'").get();
    check.close();
    // d's row at the point stays (the row after it replaced it); d2 keeps its previous value.
    expect(rows).toEqual([
      { id: r2, old_value: null },
      { id: rc2, old_value: null },
      { id: rd, old_value: null },
      { id: rd2, old_value: 'd1' },
    ]);
    expect(mark).toEqual({ value: rd });
    expect(del).toBeLessThan(rd);

    store = await SqliteStore.open(dbFile());
    expect((await store.list('/m/', { revision: rd })).items.map((i) => [i.key, i.value])).toEqual([
      ['/m/a', 'after'],
      ['/m/c', 'c2'],
      ['/m/d', 'd1'],
    ]);
    const rec = record(store, '/m/', rd);
    await waitFor(() => rec.events.length === 1, 'history above the point');
    rec.stop();
    expect(rec.events).toEqual([{ type: 'put', key: '/m/d', value: 'd2', prevValue: 'd1', revision: rd2, createRevision: rd }]);
  });

  it('a replaced value is gone from the file once compaction passes the write that replaced it', async () => {
    const dropped = `dropped-${Math.random().toString(36).slice(2)}`;
    for (let i = 0; i < 20; i++) await store.create(`/f/pad${i}`, 'p'.repeat(200));
    const r = await store.create('/f/s', dropped);
    await store.update('/f/s', 'kept', r);
    for (let i = 0; i < 20; i++) await store.create(`/f/more${i}`, 'q'.repeat(200));
    await store.compact(await store.currentRevision());
    await store.close();
    const d = path.dirname(dbFile());
    const bytes = Buffer.concat(fs.readdirSync(d).filter((f) => f.startsWith('state.db')).map((f) => fs.readFileSync(path.join(d, f))));
    expect(bytes.includes('kept')).toBe(true);
    expect(bytes.includes(dropped)).toBe(false);
    store = await SqliteStore.open(dbFile());
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

  it('startCompactor leaves the ticks to whoever is active (one of the servers sharing a store)', async () => {
    for (let i = 0; i < 12; i++) await store.create(`/a/${i}`, 'v');
    let active = false;
    const seen: number[] = [];
    const compactor = startCompactor(store, { intervalMs: 10, retainRevisions: 2, active: () => active, onCompacted: (r) => seen.push(r) });
    await new Promise((r) => setTimeout(r, 80));
    expect(seen).toEqual([]);
    expect(await store.compactedRevision()).toBe(0);
    active = true;
    await waitFor(() => seen.length > 0, 'a timed compaction once active');
    await compactor.stop();
    expect(seen[0]).toBe(10);
  });
});

describe('SqliteStore file modes', () => {
  afterEach(removeDir);

  it('keeps the store, its WAL and its backups readable by the owner only, whatever the umask; an existing 0644 file is narrowed', async () => {
    const mode = (f: string) => fs.statSync(f).mode & 0o777;
    const oldUmask = process.umask(0o022);
    try {
      const file = dbFile();
      const store = await SqliteStore.open(file);
      try {
        await store.create('/m/a', 'v');
        expect(mode(file)).toBe(0o600);
        expect(mode(`${file}-wal`)).toBe(0o600);
        const copy = path.join(path.dirname(file), 'copy.db');
        await store.backup(copy);
        expect(mode(copy)).toBe(0o600);
      } finally {
        await store.close();
      }
      // A file an older build left 0644 (with a WAL beside it) is made 0600 when opened.
      fs.chmodSync(file, 0o644);
      fs.writeFileSync(`${file}-wal`, '', { mode: 0o644 });
      fs.chmodSync(`${file}-wal`, 0o644);
      const again = await SqliteStore.open(file);
      try {
        expect(mode(file)).toBe(0o600);
        expect(mode(`${file}-wal`)).toBe(0o600);
        expect(await again.count('')).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      process.umask(oldUmask);
    }
  });
});

describe('SqliteStore backup and restoreSqliteBackup', () => {
  afterEach(removeDir);

  it('backs up while writes continue; the copy holds exactly a prefix of the log', async () => {
    const store = await SqliteStore.open(dbFile());
    try {
      for (let i = 0; i < 300; i++) await store.create(`/b/k${i}`, 'x'.repeat(2000) + i);
      // Writers keep going during the backup (carried into the copy up to its last step).
      let stop = false;
      let n = 0;
      const writers = (async () => {
        while (!stop) {
          const key = `/b/k${n % 300}`;
          await store.update(key, `v${n++}`, (await store.get(key))!.modRevision);
        }
      })();
      const out = path.join(path.dirname(dbFile()), 'copy.db');
      const { revision, bytes } = await store.backup(out);
      stop = true;
      await writers;
      expect(bytes).toBeGreaterThan(300 * 2000);
      expect(revision).toBeGreaterThanOrEqual(300);
      await expect(store.backup(out)).rejects.toMatchObject({ code: 'AlreadyExists' });
      // The copy opens as a store at its revision, and agrees with the live store's history there.
      const copy = new SqliteStore(out);
      try {
        expect(await copy.currentRevision()).toBe(revision);
        const atCopy = await copy.list('/b/');
        const live = await store.list('/b/', { revision });
        expect(atCopy.items).toEqual(live.items);
      } finally {
        await copy.close();
      }
    } finally {
      await store.close();
    }
  });

  it('restores with the revision bumped and everything below it compacted', async () => {
    const store = await SqliteStore.open(dbFile());
    const out = path.join(path.dirname(dbFile()), 'copy.db');
    let created: number;
    try {
      created = await store.create('/r/a', 'a1');
      const upd = await store.update('/r/a', 'a2', created);
      await store.create('/r/b', 'b1');
      await store.delete('/r/b');
      await store.create('/r/c', 'c1');
      expect(upd).toBeGreaterThan(created);
      await store.backup(out);
    } finally {
      await store.close();
    }
    const target = path.join(path.dirname(dbFile()), 'restored', 'state.db');
    fs.mkdirSync(path.dirname(target));
    const r = await restoreSqliteBackup(out, target, { bumpRevision: 1000 });
    expect(r).toEqual({ backupRevision: 5, revision: 1005, keys: 2 });
    await expect(restoreSqliteBackup(out, target)).rejects.toMatchObject({ code: 'AlreadyExists' });
    const restored = new SqliteStore(target);
    try {
      expect(await restored.compactedRevision()).toBe(1005);
      const a = await restored.get('/r/a');
      expect(a).toMatchObject({ value: 'a2', createRevision: created });
      expect((await restored.list('/r/')).items.map((kv) => kv.key)).toEqual(['/r/a', '/r/c']);
      // A client holding a revision from before the loss must relist.
      expect(await errorCode(restored.list('/r/', { revision: 4 }))).toBe('Compacted');
      const events: unknown[] = [];
      const errors: unknown[] = [];
      const w = restored.watch('/r/', 3, { onEvents: (evs) => events.push(...evs), onError: (e) => errors.push(e) });
      await waitFor(() => errors.length > 0, 'the watch from before the restore to fail');
      w.stop();
      expect(events).toEqual([]);
      expect(await errorCode(Promise.reject(errors[0]))).toBe('Compacted');
      // New writes continue above the bump; the compacted log keeps one row per live key.
      expect(await restored.update('/r/a', 'a3', a!.modRevision)).toBe(1006);
    } finally {
      await restored.close();
    }
  });

  it('refuses a damaged or foreign file and leaves no target behind', async () => {
    const d = path.dirname(dbFile());
    const junk = path.join(d, 'junk.db');
    fs.writeFileSync(junk, 'not a database at all'.repeat(100));
    const target = path.join(d, 'out.db');
    await expect(restoreSqliteBackup(junk, target)).rejects.toThrow(/restore from/);
    const Database = (await import('better-sqlite3')).default;
    const other = path.join(d, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await expect(restoreSqliteBackup(other, target)).rejects.toThrow(/not an everynode store backup/);
    expect(fs.readdirSync(d).filter((f) => f.startsWith('out.db'))).toEqual([]);
    await expect(restoreSqliteBackup(junk, target, { bumpRevision: 0 })).rejects.toThrow(/positive integer/);
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
