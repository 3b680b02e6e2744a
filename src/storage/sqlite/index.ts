// SqliteStore: the Store contract on one SQLite file (better-sqlite3), kine-style.
//
// Schema (see SCHEMA): `kv` is the append-only log; its INTEGER PRIMARY KEY is the revision.
// Every write appends one row: a create (created=1), an update, or a tombstone (deleted=1,
// value NULL); `prev_revision` names the row it replaced (0 for a create), and a watch replaying
// history takes each event's prevValue from that row's `value` (one lookup by rowid in the same
// query). `old_value` is a copy of the replaced value that earlier versions stored in every
// update and tombstone row; rows written now leave it NULL (half the bytes per update, in the
// table and in the WAL), and history replay prefers it where an old row still has it.
// `current` maps each live key to the row of its latest write (the index that makes
// get/list/count at the current revision fast); `meta` holds the compaction point and the
// progress of its row work. Lists at older revisions read the log via kv(name, id) and `value`.
//
// Invariants:
// - `current` equals the replay of `kv`: for each key whose newest row is not a tombstone,
//   current(name) = (that row's id, its create_revision); both change in the same transaction.
// - Compaction to R keeps, per key, its newest row with id <= R unless it is a tombstone, and
//   every row with id > R; it advances meta.compact_revision *before* deleting rows, so a
//   reader that sees a missing row also sees the compaction point that explains it.
// - The compacted part of the log, rows with id <= meta.compact_done (the point up to which
//   compaction's row work is finished; < compact_revision only while it runs or after a
//   crash, and then resumed), holds for each key alive at compact_done exactly one row, its
//   newest, with `old_value` NULL; nothing else (no superseded row, no tombstone). Superseded
//   rows go even when the row superseding them lies in a later compaction's range, so a key
//   deleted after one compaction does not come back in lists at older revisions after the
//   next one, and superseded rows do not pile up.
// - History replay (readHistory) reads only rows with id > compact_revision (a watch from below
//   the point fails with Compacted before reading), and the row each of them replaced is always
//   there: it is either above the point too, or its key's newest row at or below it, which
//   compaction keeps (never a tombstone: a tombstone is replaced only by a create, which has
//   no prevValue). So prevValue survives every compaction a watch can replay across.
// - The store keeps no value the contract has given up: a value replaced at revision W (e.g. a
//   Secret stored before encryption at rest, or with a key since retired) lives only in the
//   row that W replaced, and in the old_value of W's row when an earlier version wrote it;
//   compaction reaching W removes the former (superseded) and clears the latter, not only once
//   the key is written again.
// - meta.compact_clean is the compact_done at which the compacted part was last known to hold
//   the invariant above. Compaction advances both together; a file whose compact_clean is
//   missing or behind (compacted by a version that kept superseded rows and old values) is
//   repaired at open, before anything reads it.
// - sqlite_sequence keeps the highest revision ever used, so revisions are never reused even
//   when compaction removes the newest tombstone.
//
// Concurrency and durability:
// - One process owns the file (locking_mode=EXCLUSIVE: a second opener fails with
//   Unavailable). All access happens on the owning thread, so every read is a consistent
//   snapshot without an explicit read transaction.
// - journal_mode=WAL. A write's promise resolves only after its transaction committed and the
//   WAL was fsynced (fdatasync). Two ways, same guarantee (`walSync` option):
//   - 'event-loop': synchronous=FULL, SQLite fsyncs the WAL inside the commit, on this thread;
//   - 'background' (default): synchronous=NORMAL, the commit only writes the WAL frames, and
//     the store then fdatasyncs the WAL file on the libuv thread pool; the batch's writers are
//     answered and its events published when that fsync completes. SQLite still syncs
//     itself around checkpoints (NORMAL), so the main file is durable before the WAL is reused.
//     A batch smaller than `backgroundSyncMinBatch` (default: a lone write) is fdatasynced on
//     the event loop right after its commit when no larger batch was committed in the last
//     LONE_WRITER_QUIET_MS: a lone writer has nothing else waiting, and the thread-pool round
//     trip would only add latency. Under concurrent load (a larger batch recently) a small
//     batch goes to the thread pool too: the event loop has other requests to serve meanwhile.
// - Durable-only visibility ('background'): while a committed batch waits for its fsync, no
//   other batch commits and reads (get/list/count) wait for the fsync, so nothing reads a
//   write that has not been acknowledged; `revision` and the watch hub advance only after
//   the fsync. A failed fsync fails the batch and closes the store (its outcome on disk is
//   unknown: retrying the fsync cannot tell, see PostgreSQL's "fsyncgate").
// - Group commit: writes are queued and committed by one transaction per event-loop turn
//   (setImmediate; with 'background' also the writes queued during the previous fsync), up to
//   `maxBatch` writes per transaction. Each write's precondition is checked on its own inside
//   that transaction (seeing the writes before it in the batch); a failing precondition fails
//   only that write. An unexpected SQLite error rolls back the whole batch and fails all its
//   writes.
// - The SQL work of a commit runs on the event-loop thread (~0.1 ms per 16 writes on the
//   development VM); the fsync (~0.2 ms there, several ms on slower disks) is what
//   'background' takes off the event loop. Measured in docs/performance.md (Fleet scale).

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandlers,
  type Watcher,
} from '../interface.js';
import { compareKeys, prefixEnd } from '../internal/keys.js';
import { WatchHub, compactedError } from '../internal/watch-hub.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT,
  old_value TEXT
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS current (
  name TEXT PRIMARY KEY,
  id INTEGER NOT NULL,
  create_revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Where the WAL fsync of a group commit runs (see the header). */
export type SqliteWalSync = 'event-loop' | 'background';

export interface SqliteStoreOptions {
  /** Most writes committed in one transaction (default 1000). */
  maxBatch?: number;
  /** Default 'background'. */
  walSync?: SqliteWalSync;
  /**
   * 'background' only: a batch with fewer writes is fsynced on the event loop instead (default
   * 2: a lone write). A lone writer gains nothing from freeing the event loop and pays the
   * thread-pool round trip (measured: ~25% fewer creates/s at 1 client).
   */
  backgroundSyncMinBatch?: number;
  /** How long to wait for a lock held by another connection, ms (default 5000). */
  busyTimeoutMs?: number;
}

export interface SqliteStoreStats {
  /** Write transactions committed by the group-commit path (each is one fsync of the WAL). */
  commits: number;
  /** Writes (successful or failed preconditions) processed by those transactions. */
  writes: number;
  /** Largest number of writes in one transaction. */
  maxBatch: number;
}

type WriteOp =
  | { kind: 'create'; key: string; value: string }
  | { kind: 'update'; key: string; value: string; expected: number }
  | { kind: 'delete'; key: string; expected: number | undefined };

interface PendingWrite {
  op: WriteOp;
  resolve(result: { revision: number; prev?: KeyValue }): void;
  reject(err: unknown): void;
}

interface CurrentRow {
  id: number;
  cr: number;
  value: string;
}

interface KvRow {
  name: string;
  id: number;
  cr: number;
  value: string;
}

interface LogRow {
  id: number;
  name: string;
  deleted: number;
  cr: number;
  value: string | null;
  old_value: string | null;
}

/**
 * How long after a commit of several writes a lone write's fsync still goes to the thread pool
 * (see the header): longer than any gap between the batches of a loaded server, far shorter
 * than a human between two kubectl commands.
 */
const LONE_WRITER_QUIET_MS = 100;

/**
 * Revisions per compaction transaction. Each one runs on the event loop; with ~2 KB values a
 * chunk of 2000 takes ~15 ms on the development VM (deleting superseded rows, clearing the
 * kept rows' old values), so compaction never holds requests up for long.
 */
const COMPACT_CHUNK = 2000;

export class SqliteStore implements Store {
  /** Opens (creating when missing) the store at `file`. */
  static async open(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    return new SqliteStore(file, opts);
  }

  readonly file: string;
  private readonly db: Database.Database;
  private readonly maxBatch: number;
  private readonly hub: WatchHub;
  private revision: number;
  private compacted: number;
  private compactDone: number;
  private closed = false;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private compaction: Promise<unknown> = Promise.resolve();
  readonly walSync: SqliteWalSync;
  private readonly backgroundSyncMinBatch: number;
  /** 'background': the WAL file, fdatasynced after each commit. */
  private walFd: number | undefined;
  /** 'background': a committed batch waits for its fsync; resolved (and cleared) when it is durable. */
  private syncing: { done: Promise<void>; resolve(): void } | undefined;
  /** performance.now() of the last commit of at least backgroundSyncMinBatch writes (see the header). */
  private lastSharedCommitAt = Number.NEGATIVE_INFINITY;
  /** Set when a background fsync failed: every later call fails with it. */
  private failed: StorageError | undefined;
  private readonly counters: SqliteStoreStats = { commits: 0, writes: 0, maxBatch: 0 };
  private readonly stmtCache = new Map<string, Database.Statement>();
  /** Runs its argument inside a transaction (commit on return, rollback on throw). */
  private readonly batchTx: Database.Transaction<(body: () => void) => void>;

  private readonly sel: {
    current: Database.Statement<[string], CurrentRow>;
    insertKv: Database.Statement<[number, string, number, number, number, number, string | null, string | null]>;
    insertCurrent: Database.Statement<[string, number, number]>;
    updateCurrent: Database.Statement<[number, string]>;
    deleteCurrent: Database.Statement<[string]>;
    setMeta: Database.Statement<[string, number]>;
    getMeta: Database.Statement<[string], { value: number }>;
    sequence: Database.Statement<[], { seq: number }>;
  };

  /** Prefer `SqliteStore.open`. Opens synchronously; throws StorageError('Unavailable') when locked. */
  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.file = path.resolve(file);
    this.maxBatch = Math.max(1, opts.maxBatch ?? 1000);
    this.backgroundSyncMinBatch = Math.max(1, opts.backgroundSyncMinBatch ?? 2);
    this.walSync = opts.walSync ?? 'background';
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // The store holds every object (Secrets encrypted, the rest in clear): readable by its
    // owner only, whatever the umask or the data dir's mode. A new file is created 0600 before
    // SQLite opens it (SQLite gives the WAL the main file's mode); an existing one is narrowed.
    makePrivate(this.file, true);
    let db: Database.Database;
    try {
      db = new Database(this.file, { timeout: opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw sqliteError(err, this.file);
    }
    this.db = db;
    try {
      // EXCLUSIVE before WAL: no shared-memory index, and the file lock is held until close.
      db.pragma('locking_mode = EXCLUSIVE');
      // 16 KiB pages for a new file (an existing file keeps its own): a pod row with its old
      // value (~5 KB) fits one page instead of spilling into overflow pages; measured ~25%
      // less CPU per create and ~30% per update than 4 KiB (docs/performance.md).
      db.pragma('page_size = 16384');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot enable WAL (journal_mode=${String(mode)})`);
      db.pragma(this.walSync === 'background' ? 'synchronous = NORMAL' : 'synchronous = FULL');
      // Space freed inside a page (a deleted row, an old_value cleared by compaction) is
      // zeroed when the page is written anyway, so a value the store dropped — e.g. a Secret
      // stored before encryption at rest — does not linger in the file's free space. FAST adds
      // no I/O; whole pages put on the freelist (overflow pages of values larger than a page)
      // are not zeroed, and the WAL keeps earlier page images until it is checkpointed and
      // reused (SQLite checkpoints and removes it at close).
      db.pragma('secure_delete = FAST');
      // 8 MiB of page cache: reads are served from the API server's watch cache, and a write
      // touches kv's right edge, its name index and the key's current row; 32 MiB cost ~23 MB
      // more RSS at 5,000 nodes for no measurable CPU per write (docs/performance.md, session 23).
      db.pragma('cache_size = -8192');
      db.pragma('journal_size_limit = 67108864');
      db.exec(SCHEMA);
      this.sel = {
        current: db.prepare(
          'SELECT c.id AS id, c.create_revision AS cr, k.value AS value FROM current c JOIN kv k ON k.id = c.id WHERE c.name = ?',
        ),
        insertKv: db.prepare(
          'INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ),
        insertCurrent: db.prepare('INSERT INTO current (name, id, create_revision) VALUES (?, ?, ?)'),
        updateCurrent: db.prepare('UPDATE current SET id = ? WHERE name = ?'),
        deleteCurrent: db.prepare('DELETE FROM current WHERE name = ?'),
        setMeta: db.prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        ),
        getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
        sequence: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'"),
      };
      this.batchTx = db.transaction((body: () => void) => body());
      const version = this.sel.getMeta.get('schema_version')?.value;
      if (version === undefined) this.sel.setMeta.run('schema_version', SCHEMA_VERSION);
      else if (version !== SCHEMA_VERSION) throw new Error(`unsupported schema version ${version} in ${this.file}`);
      this.revision = this.sel.sequence.get()?.seq ?? 0;
      this.compacted = this.sel.getMeta.get('compact_revision')?.value ?? 0;
      this.compactDone = this.sel.getMeta.get('compact_done')?.value ?? 0;
      this.repairCompacted();
      if (this.walSync === 'background') {
        // SQLite keeps this WAL file (same inode) until close: EXCLUSIVE locking, never deleted
        // or renamed while open, only truncated after a checkpoint. Its creation and the
        // schema's writes are made durable here, before any write is acknowledged.
        this.walFd = fs.openSync(`${this.file}-wal`, 'a');
        fs.fdatasyncSync(this.walFd);
        syncDir(path.dirname(this.file));
      }
      makePrivate(this.file, false);
    } catch (err) {
      if (this.walFd !== undefined) fs.closeSync(this.walFd);
      db.close();
      throw sqliteError(err, this.file);
    }
    this.hub = new WatchHub(
      {
        readHistory: (prefix, after, upTo, limit) => ({
          events: this.readHistory(prefix, after, upTo, limit),
          compactedRevision: this.compacted,
        }),
        compactedRevision: () => this.compacted,
      },
      this.revision,
    );
    // Finish a compaction interrupted by a crash (its point is already recorded).
    if (this.compactDone < this.compacted) this.compaction = this.deleteCompacted(this.compacted).catch(() => undefined);
  }

  // ---- writes -------------------------------------------------------------------------------

  async create(key: string, value: string): Promise<number> {
    return (await this.enqueue({ kind: 'create', key, value })).revision;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    return (await this.enqueue({ kind: 'update', key, value, expected: expectedModRevision })).revision;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const r = await this.enqueue({ kind: 'delete', key, expected: expectedModRevision });
    return { revision: r.revision, prev: r.prev! };
  }

  private enqueue(op: WriteOp): Promise<{ revision: number; prev?: KeyValue }> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Commits up to maxBatch pending writes in one transaction, then (after its fsync) settles
   * them and publishes events. With 'background' it does nothing while a batch is syncing; the
   * end of that fsync schedules the next flush. `syncNow` fsyncs on this thread (close()).
   */
  private flush(syncNow = false): void {
    if (this.pending.length === 0 || this.syncing || this.failed) return;
    const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
    this.pending = this.pending.length <= this.maxBatch ? [] : this.pending.slice(this.maxBatch);

    const outcomes: Array<{ revision: number; prev?: KeyValue } | StorageError> = [];
    const events: WatchEvent[] = [];
    let revision = this.revision;
    try {
      this.batchTx.immediate(() => {
        for (const { op } of batch) {
          const result = this.apply(op, revision + 1, events);
          if (!(result instanceof StorageError)) revision = result.revision;
          outcomes.push(result);
        }
      });
    } catch (err) {
      const e = sqliteError(err, this.file);
      for (const w of batch) w.reject(e);
      if (this.pending.length > 0) this.scheduleFlush();
      return;
    }
    const settle = (): void => {
      this.revision = revision;
      this.counters.commits++;
      this.counters.writes += batch.length;
      this.counters.maxBatch = Math.max(this.counters.maxBatch, batch.length);
      if (events.length > 0) this.hub.publish(events, revision);
      batch.forEach((w, i) => {
        const o = outcomes[i]!;
        if (o instanceof StorageError) w.reject(o);
        else w.resolve(o);
      });
      if (this.pending.length > 0) this.scheduleFlush();
    };
    const fd = this.walFd;
    // Nothing written (every precondition failed), or SQLite synced inside the commit.
    if (fd === undefined || revision === this.revision) return settle();
    const now = performance.now();
    const lone = batch.length < this.backgroundSyncMinBatch;
    if (!lone) this.lastSharedCommitAt = now;
    if (syncNow || (lone && now - this.lastSharedCommitAt > LONE_WRITER_QUIET_MS)) {
      try {
        fs.fdatasyncSync(fd);
      } catch (err) {
        return this.fail(err, batch);
      }
      return settle();
    }
    let resolveSynced!: () => void;
    const done = new Promise<void>((r) => (resolveSynced = r));
    this.syncing = { done, resolve: resolveSynced };
    fs.fdatasync(fd, (err) => {
      const syncing = this.syncing;
      this.syncing = undefined;
      if (err) this.fail(err, batch);
      else settle();
      // Gated reads continue in microtasks, before any later flush (a setImmediate) commits.
      syncing?.resolve();
    });
  }

  /** A WAL fsync failed: the batch's writes and every later call fail; the store is closed for writes. */
  private fail(err: unknown, batch: PendingWrite[]): void {
    const e = new StorageError('Unavailable', `sqlite ${this.file}: fsync of the WAL failed: ${err instanceof Error ? err.message : String(err)}`);
    this.failed = e;
    for (const w of batch) w.reject(e);
    for (const w of this.pending.splice(0)) w.reject(e);
    this.hub.closeAll(e);
  }

  /**
   * The revision of the newest batch settled: its events published in the same turn as its
   * writers were answered (Store.publishedRevision). A committed batch still waiting for its
   * fsync is not included.
   */
  publishedRevision(): number {
    return this.revision;
  }

  /** Resolves when no committed write is waiting for its fsync (reads see only durable writes). */
  private async durable(): Promise<void> {
    while (this.syncing) await this.syncing.done;
    if (this.failed) throw this.failed;
  }

  /**
   * Applies one write inside the batch transaction at revision `rev`, or returns the
   * precondition error without touching the database.
   */
  private apply(op: WriteOp, rev: number, events: WatchEvent[]): { revision: number; prev?: KeyValue } | StorageError {
    const { key } = op;
    const cur = this.sel.current.get(key);
    const curKv = cur && { key, value: cur.value, createRevision: cur.cr, modRevision: cur.id };
    switch (op.kind) {
      case 'create': {
        if (curKv) return new StorageError('AlreadyExists', `key already exists: ${key}`, key, curKv);
        this.sel.insertKv.run(rev, key, 1, 0, rev, 0, op.value, null);
        this.sel.insertCurrent.run(key, rev, rev);
        events.push({ type: 'put', key, value: op.value, revision: rev, createRevision: rev });
        return { revision: rev };
      }
      case 'update': {
        if (!curKv) return new StorageError('NotFound', `key not found: ${key}`, key);
        if (curKv.modRevision !== op.expected) return conflict(key, op.expected, curKv);
        // No old_value: history replay reads the replaced value from row curKv.modRevision (header).
        this.sel.insertKv.run(rev, key, 0, 0, curKv.createRevision, curKv.modRevision, op.value, null);
        this.sel.updateCurrent.run(rev, key);
        events.push({ type: 'put', key, value: op.value, prevValue: curKv.value, revision: rev, createRevision: curKv.createRevision });
        return { revision: rev };
      }
      case 'delete': {
        if (!curKv) return new StorageError('NotFound', `key not found: ${key}`, key);
        if (op.expected !== undefined && curKv.modRevision !== op.expected) return conflict(key, op.expected, curKv);
        this.sel.insertKv.run(rev, key, 0, 1, curKv.createRevision, curKv.modRevision, null, null);
        this.sel.deleteCurrent.run(key);
        events.push({ type: 'delete', key, prevValue: curKv.value, revision: rev, createRevision: curKv.createRevision });
        return { revision: rev, prev: curKv };
      }
    }
  }

  // ---- reads --------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    if (this.syncing) await this.durable();
    const row = this.run(() => this.sel.current.get(key));
    return row && { key, value: row.value, createRevision: row.cr, modRevision: row.id };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    if (this.syncing) await this.durable();
    const revision = opts.revision || this.revision;
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `required revision ${revision} is a future revision (current ${this.revision})`);
    }
    if (revision < this.compacted) throw compactedError(revision, this.compacted);
    const atCurrent = revision === this.revision;
    const end = prefixEnd(prefix);
    const after = opts.startAfter !== undefined && compareKeys(opts.startAfter, prefix) >= 0 ? opts.startAfter : undefined;
    const lower = after ?? prefix;
    const lowerOp = after !== undefined ? '>' : '>=';
    // SQLite's LIMIT takes an integer: a limit beyond the safe integers (bound as a float) is
    // "datatype mismatch". No store holds that many keys, so such a limit is no limit.
    const limit = opts.limit && opts.limit > 0 && opts.limit < Number.MAX_SAFE_INTEGER ? Math.floor(opts.limit) : -1;
    return this.run(() => {
      const params: Array<string | number> = end === undefined ? [lower] : [lower, end];
      let rows: KvRow[];
      const keysOnly = opts.keysOnly === true;
      if (atCurrent && keysOnly) {
        rows = this.stmt(
          `curkeys:${lowerOp}:${end !== undefined}`,
          `SELECT c.name AS name, c.id AS id, c.create_revision AS cr, '' AS value
             FROM current c
            WHERE c.name ${lowerOp} ?${end !== undefined ? ' AND c.name < ?' : ''}
            ORDER BY c.name LIMIT ?`,
        ).all(...params, limit < 0 ? -1 : limit + 1) as KvRow[];
      } else if (atCurrent) {
        rows = this.stmt(
          `cur:${lowerOp}:${end !== undefined}`,
          `SELECT c.name AS name, c.id AS id, c.create_revision AS cr, k.value AS value
             FROM current c JOIN kv k ON k.id = c.id
            WHERE c.name ${lowerOp} ?${end !== undefined ? ' AND c.name < ?' : ''}
            ORDER BY c.name LIMIT ?`,
        ).all(...params, limit < 0 ? -1 : limit + 1) as KvRow[];
      } else {
        rows = this.stmt(
          `rev:${lowerOp}:${end !== undefined}:${keysOnly}`,
          `SELECT k.name AS name, k.id AS id, k.create_revision AS cr, ${keysOnly ? "''" : 'k.value'} AS value
             FROM (SELECT MAX(id) AS mid FROM kv
                    WHERE name ${lowerOp} ?${end !== undefined ? ' AND name < ?' : ''} AND id <= ?
                    GROUP BY name) m
             JOIN kv k ON k.id = m.mid
            WHERE k.deleted = 0
            ORDER BY k.name LIMIT ?`,
        ).all(...params, revision, limit < 0 ? -1 : limit + 1) as KvRow[];
      }
      const more = limit > 0 && rows.length > limit;
      if (more) rows.length = limit;
      const items = rows.map((r) => ({ key: r.name, value: r.value, createRevision: r.cr, modRevision: r.id }));
      if (!more) return { items, revision, more: false };
      const last = rows[rows.length - 1]!.name;
      const rest: Array<string | number> = end === undefined ? [last] : [last, end];
      const remaining = atCurrent
        ? (this.stmt(
            `curcount:${end !== undefined}`,
            `SELECT count(*) AS n FROM current WHERE name > ?${end !== undefined ? ' AND name < ?' : ''}`,
          ).get(...rest) as { n: number }).n
        : (this.stmt(
            `revcount:${end !== undefined}`,
            `SELECT count(*) AS n
               FROM (SELECT MAX(id) AS mid FROM kv
                      WHERE name > ?${end !== undefined ? ' AND name < ?' : ''} AND id <= ?
                      GROUP BY name) m
               JOIN kv k ON k.id = m.mid
              WHERE k.deleted = 0`,
          ).get(...rest, revision) as { n: number }).n;
      return { items, revision, more: true, remaining };
    });
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    if (this.syncing) await this.durable();
    const end = prefixEnd(prefix);
    return this.run(
      () =>
        (this.stmt(
          `count:${end !== undefined}`,
          `SELECT count(*) AS n FROM current WHERE name >= ?${end !== undefined ? ' AND name < ?' : ''}`,
        ).get(...(end === undefined ? [prefix] : [prefix, end])) as { n: number }).n,
    );
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    return this.hub.watch(prefix, fromRevision, handlers);
  }

  private readHistory(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    const end = prefixEnd(prefix);
    // `+name` keeps the planner on the rowid range: history reads walk revisions in order. The
    // replaced value: the row's own old_value (written by earlier versions), else the value of
    // the row it replaced, found by rowid (see the header for why that row is still there).
    const rows = this.stmt(
      `hist:${end !== undefined}`,
      `SELECT k.id AS id, k.name AS name, k.deleted AS deleted, k.create_revision AS cr, k.value AS value,
              COALESCE(k.old_value, p.value) AS old_value
         FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision AND k.prev_revision > 0
        WHERE k.id > ? AND k.id <= ? AND +k.name >= ?${end !== undefined ? ' AND +k.name < ?' : ''}
        ORDER BY k.id LIMIT ?`,
    ).all(...(end === undefined ? [after, upTo, prefix, limit] : [after, upTo, prefix, end, limit])) as LogRow[];
    return rows.map((r) => {
      const ev: WatchEvent =
        r.deleted === 1
          ? { type: 'delete', key: r.name, revision: r.id, createRevision: r.cr }
          : { type: 'put', key: r.name, value: r.value ?? '', revision: r.id, createRevision: r.cr };
      if (r.old_value !== null) ev.prevValue = r.old_value;
      return ev;
    });
  }

  // ---- compaction ---------------------------------------------------------------------------

  async compact(revision: number): Promise<number> {
    this.checkOpen();
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `cannot compact to future revision ${revision} (current ${this.revision})`);
    }
    if (revision <= this.compacted) return this.compacted;
    // Record the point first (durably), so readers fail with Compacted before rows disappear.
    this.run(() => this.sel.setMeta.run('compact_revision', revision));
    this.compacted = revision;
    const walFd = this.walFd;
    const done = this.compaction.then(async () => {
      if (walFd !== undefined) await fdatasync(walFd);
      await this.deleteCompacted(revision);
    });
    this.compaction = done.catch(() => undefined);
    await done;
    return this.compacted;
  }

  /**
   * Restores the compacted-part invariant (see the header) when meta.compact_clean is behind
   * compact_done: an earlier version compacted this file keeping superseded rows (whose
   * tombstone it may have removed since) and old values. Runs once, at open, in one
   * transaction; its cost is one pass over the rows at or below compact_done.
   *
   * A row K <= compact_done stays only if it is no tombstone, no row of its key in
   * (K, compact_done] supersedes it, and its key still had it as state afterwards: it is the
   * key's current row, or a later row replaced it (prev_revision = K). A row whose tombstone
   * was compacted away satisfies neither: nothing references it (a re-create has
   * prev_revision 0).
   */
  private repairCompacted(): void {
    const clean = this.sel.getMeta.get('compact_clean')?.value;
    if (clean !== undefined && clean >= this.compactDone) return;
    const done = this.compactDone;
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `DELETE FROM kv WHERE id <= @done AND (
               deleted = 1
               OR EXISTS (SELECT 1 FROM kv k2 WHERE k2.name = kv.name AND k2.id > kv.id AND k2.id <= @done)
               OR (NOT EXISTS (SELECT 1 FROM current c WHERE c.name = kv.name AND c.id = kv.id)
                   AND NOT EXISTS (SELECT 1 FROM kv k3 WHERE k3.name = kv.name AND k3.id > kv.id AND k3.prev_revision = kv.id)))`,
          )
          .run({ done });
        this.db.prepare('UPDATE kv SET old_value = NULL WHERE id <= ? AND old_value IS NOT NULL').run(done);
        this.sel.setMeta.run('compact_clean', done);
      })
      .immediate();
  }

  /**
   * Does the row work of compaction to `revision` in chunks of revisions (from, to], each one
   * transaction that also advances compact_done and compact_clean, so a crash resumes at the
   * first unfinished chunk. Per chunk: every row older than its key's newest row in the chunk
   * goes, wherever it lies (also at or below `from`), then the chunk's tombstones, then the
   * old values of the rows left in the chunk. Each step keeps the compacted-part invariant
   * with compact_done = to (see the header), and at every commit the newest row <= revision of
   * each key is either present or a tombstone removed together with all older rows of its
   * key, so lists at revisions >= revision read the same state throughout.
   */
  private async deleteCompacted(revision: number): Promise<void> {
    // `+name`: group the chunk's rows (a rowid range), never walk the whole name index.
    const superseded = this.db.prepare(
      `DELETE FROM kv WHERE id IN (
         SELECT k.id FROM (SELECT name, MAX(id) AS mid FROM kv WHERE id > @from AND id <= @to GROUP BY +name) m
           JOIN kv k ON k.name = m.name AND k.id < m.mid)`,
    );
    const tombstones = this.db.prepare('DELETE FROM kv WHERE id > @from AND id <= @to AND deleted = 1');
    const oldValues = this.db.prepare('UPDATE kv SET old_value = NULL WHERE id > @from AND id <= @to AND old_value IS NOT NULL');
    while (this.compactDone < revision && !this.closed) {
      const from = this.compactDone;
      const to = Math.min(revision, from + COMPACT_CHUNK);
      this.run(() =>
        this.db
          .transaction(() => {
            superseded.run({ from, to });
            tombstones.run({ from, to });
            // Safe: every row left in (from, to] is at or below the compaction point.
            oldValues.run({ from, to });
            this.sel.setMeta.run('compact_done', to);
            this.sel.setMeta.run('compact_clean', to);
          })
          .immediate(),
      );
      this.compactDone = to;
      if (this.compactDone < revision) await new Promise((r) => setImmediate(r));
    }
  }

  // ---- backup -------------------------------------------------------------------------------

  /**
   * Writes a consistent copy of the store to `file` (which must not exist) while the store
   * keeps serving: SQLite's online backup, a few hundred pages per event-loop turn; writes
   * made meanwhile through this connection are carried into the copy. Resolves with the
   * copy's revision once every write it holds is durable here (a copy never holds a write
   * this store failed to make durable: a failed fsync fails the backup). The copy keeps the
   * log and the compaction point; restore it with `restoreSqliteBackup`, not by copying it
   * over a data dir (revisions clients have seen must not be reused).
   */
  async backup(file: string): Promise<{ revision: number; bytes: number }> {
    this.checkOpen();
    const target = path.resolve(file);
    if (fs.existsSync(target)) throw new StorageError('AlreadyExists', `backup target ${target} already exists`);
    try {
      // A copy of the store is as private as the store (an empty file is a new database to SQLite).
      fs.closeSync(fs.openSync(target, 'wx', 0o600));
      await this.db.backup(target, { progress: () => 256 });
      await this.durable();
      const revision = settleCopy(target);
      fsyncFile(target);
      syncDir(path.dirname(target));
      return { revision, bytes: fs.statSync(target).size };
    } catch (err) {
      fs.rmSync(target, { force: true });
      throw err instanceof StorageError ? err : sqliteError(err, this.file);
    }
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Group-commit counters (for tests and benchmarks). */
  stats(): SqliteStoreStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Commit what was already accepted (after the batch in flight is durable), then refuse new work.
    while (this.syncing) await this.syncing.done;
    while (this.pending.length > 0 && !this.failed) this.flush(true);
    this.closed = true;
    this.hub.closeAll(closedError());
    await this.compaction;
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    this.db.close();
  }

  private checkOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw closedError();
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }

  private stmt(id: string, sql: string): Database.Statement {
    let s = this.stmtCache.get(id);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmtCache.set(id, s);
    }
    return s;
  }
}

/** The highest revision a store file has used (its kv sequence). */
/**
 * Makes a fresh copy one self-contained file (rollback journal: the copy keeps the store's WAL
 * mode otherwise, and opening it would leave -wal and -shm files beside it) and returns its
 * last revision.
 */
function settleCopy(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    return (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").get() as { seq: number } | undefined)?.seq ?? 0;
  } finally {
    db.close();
  }
}

/** fsyncs a file's data (best effort on filesystems that refuse it). */
function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Default `bumpRevision` of a restore: more writes than any cluster makes between a backup and its loss. */
export const DEFAULT_RESTORE_BUMP = 1_000_000_000;

export interface RestoreResult {
  /** The backup's own revision. */
  backupRevision: number;
  /** The restored store's revision (backupRevision + bump); everything at or below it is compacted. */
  revision: number;
  /** Live keys in the restored store. */
  keys: number;
}

/**
 * Makes `target` (which must not exist) a store restored from `backup` (a file written by
 * SqliteStore.backup), as etcd's `snapshot restore --bump-revision --mark-compacted` does:
 * - the latest value of every key is kept, with its create and mod revisions;
 * - the revision jumps by `bumpRevision` (default DEFAULT_RESTORE_BUMP), so no revision a
 *   client saw before the loss is used again for another state;
 * - everything up to the new revision is compacted, so a client holding an older revision is
 *   answered 410 Gone on its next watch or list at that revision and relists.
 * The backup is checked first (SQLite's quick_check and the store's schema); `backup` is not
 * modified. The target appears only complete (written beside it, fsynced, renamed).
 */
export async function restoreSqliteBackup(backup: string, target: string, opts: { bumpRevision?: number } = {}): Promise<RestoreResult> {
  const bump = opts.bumpRevision ?? DEFAULT_RESTORE_BUMP;
  if (!Number.isSafeInteger(bump) || bump < 1) throw new StorageError('Internal', `bumpRevision must be a positive integer, not ${bump}`);
  const dest = path.resolve(target);
  if (fs.existsSync(dest)) throw new StorageError('AlreadyExists', `restore target ${dest} already exists`);
  const tmp = `${dest}.restoring-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  let backupRevision = 0;
  try {
    const src = new Database(path.resolve(backup), { readonly: true, fileMustExist: true });
    try {
      const check = src.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the backup is damaged (quick_check: ${String(check)})`);
      const hasMeta = src.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      const version = hasMeta ? (src.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: number } | undefined)?.value : undefined;
      if (version !== SCHEMA_VERSION) throw new Error(`not an everynode store backup (schema version ${String(version)})`);
      await src.backup(tmp);
    } finally {
      src.close();
    }
    const db = new Database(tmp);
    try {
      backupRevision = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").get() as { seq: number } | undefined)?.seq ?? 0;
      const revision = backupRevision + bump;
      // Revisions are JavaScript numbers: past 2^53 - 1 they are no longer exact (and SQLite would store a REAL).
      if (!Number.isSafeInteger(revision)) {
        throw new Error(`a bump of ${bump} takes the backup's revision ${backupRevision} past ${Number.MAX_SAFE_INTEGER}, the largest revision a store keeps exact; use a smaller --bump-revision`);
      }
      db.transaction(() => {
        db.prepare("INSERT INTO sqlite_sequence (name, seq) SELECT 'kv', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'kv')").run();
        db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'kv'").run(revision);
        // The compaction point first, as compact() does; the store finishes the row work at open.
        db.prepare("INSERT INTO meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(revision);
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    fsyncFile(tmp);
    fs.renameSync(tmp, dest);
    syncDir(path.dirname(dest));
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}-wal`, { force: true });
    fs.rmSync(`${tmp}-shm`, { force: true });
    throw err instanceof StorageError ? err : new StorageError('Internal', `restore from ${backup}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Opening runs the compaction to the new point (the path a crash mid-compaction takes);
  // close() waits for it.
  const store = new SqliteStore(dest);
  try {
    return { backupRevision, revision: await store.currentRevision(), keys: await store.count('') };
  } finally {
    await store.close();
  }
}

/**
 * Mode 0600 for a store file and its `-wal` and `-shm` files that exist (`create`: the main
 * file is created empty with that mode when missing). Best effort: a file that cannot be made
 * or changed (another owner, a filesystem without modes) is left to SQLite as before.
 */
function makePrivate(file: string, create: boolean): void {
  if (create) {
    try {
      fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
    } catch {
      // There already, or not creatable here: SQLite opens it or says why not.
    }
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // Missing (no WAL yet), or not ours to change.
    }
  }
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** fsyncs a directory so a file created in it survives a power loss (best effort where unsupported). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; SQLite treats that the same way.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function conflict(key: string, expected: number, cur: KeyValue): StorageError {
  return new StorageError('Conflict', `modRevision of ${key} is ${cur.modRevision}, expected ${expected}`, key, cur);
}

function closedError(): StorageError {
  return new StorageError('Unavailable', 'store is closed');
}

/** Maps a better-sqlite3 error to the contract's codes: lock/IO/disk trouble is Unavailable. */
/** Whether this process may write `p` (a file that does not exist counts as writable: its directory decides). */
function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function sqliteError(err: unknown, file: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/.test(code)) {
    // SQLite says "disk I/O error" when it may not write its journal or file (a read-only file or
    // directory): the permission hint then, not a hint of failing hardware.
    const unwritable = code.startsWith('SQLITE_IOERR') && [file, path.dirname(file)].some((p) => !writable(p));
    const hint = code.startsWith('SQLITE_BUSY')
      ? ' (is another process using this store?)'
      : code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || unwritable
        ? ` (can this user, uid ${process.getuid?.() ?? '?'}, write to ${unwritable && !writable(file) ? file : path.dirname(file)}?)`
        : '';
    return new StorageError('Unavailable', `sqlite ${file}: ${message}${hint}`);
  }
  return new StorageError('Internal', `sqlite ${file}: ${message}`);
}
