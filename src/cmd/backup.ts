// `everynode backup` and `everynode restore`: a server's data dir, copied while it runs, and
// brought back after a loss.
//
//   everynode backup OUT_DIR [--data-dir DIR]
//       OUT_DIR/state.db: a consistent copy of the store. From the running server
//       (GET /everynode/backup with DIR/kubeconfig.yaml), or, when no server answers, from
//       DIR/state.db directly (the file lock proves no server has it open). Then the data dir's
//       own files beside it: the CA and certificates (tls/), the admin kubeconfig, the join
//       tokens, the revocations and the key Secrets are encrypted with.
//   everynode restore BACKUP_DIR [--data-dir DIR] [--bump-revision N]
//       makes DIR a data dir restored from BACKUP_DIR, for a server that is not running: the
//       store with its revision raised by N (default 1,000,000,000) and everything below
//       compacted, so clients that saw revisions after the backup relist instead of trusting
//       stale state (etcd's `snapshot restore --bump-revision --mark-compacted`); the files
//       copied back. A state.db already in DIR is kept beside it as state.db.before-restore-<time>.
//
// Contract: run on the server machine as the server's user (the data dir holds the CA key).
// OUT_DIR must be new or empty; nothing is left half-written under a final name (each file is
// written beside its name, fsynced and renamed). A store on etcd is backed up with etcd's own
// tools; the command says so.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKUP_PATH, BACKUP_REVISION_HEADER } from '../apiserver/index.js';
import { clientFromKubeconfig } from '../client/index.js';
import { readAll } from '../client/transport.js';
import { restoreSqliteBackup, SqliteStore, StorageError, DEFAULT_RESTORE_BUMP } from '../storage/index.js';
import { serverDataDir } from './token.js';

export const backupUsage = `  backup OUT_DIR      copy a server's data dir, the store consistently, while the server runs
           --data-dir DIR       the server's data directory (default ./.everynode)
  restore BACKUP_DIR  make a data dir from a backup, for a server that is not running
           --data-dir DIR       the data directory to restore (default ./.everynode)
           --bump-revision N    raise the store's revision by N (default ${DEFAULT_RESTORE_BUMP}) so
                                clients relist; more than the writes made after the backup
`;

/** The data dir's files a server cannot do without (besides the store), relative to it. */
const DATA_DIR_FILES = ['kubeconfig.yaml', 'tokens.json', 'revoked-certs.json', 'secrets-encryption.key', 'tls'];

export async function runBackup(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string', default: './.everynode' } },
    allowPositionals: true,
    strict: true,
  });
  const [out, ...extra] = positionals;
  if (out === undefined || extra.length > 0) throw new Error('backup: want exactly one output directory (everynode backup OUT_DIR)');
  const { dataDir } = serverDataDir(values['data-dir']);
  const outDir = path.resolve(out);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) throw new Error(`backup: ${outDir} is not empty`);
  const existed = fs.existsSync(outDir);
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const target = path.join(outDir, 'state.db');
  let stored: Awaited<ReturnType<typeof backupStore>>;
  try {
    stored = await backupStore(dataDir, target);
  } catch (err) {
    // Nothing was backed up (a store on etcd, a server that cannot answer): leave no empty directory behind.
    if (!existed) fs.rmSync(outDir, { recursive: true, force: true });
    throw err;
  }
  const { revision, bytes, from } = stored;
  const copied = copyDataDirFiles(dataDir, outDir);
  process.stdout.write(`backed up revision ${revision} (${(bytes / 1048576).toFixed(1)} MiB, ${from}) and ${copied.join(', ')} to ${outDir}\n`);
}

/** The store into `target`: from the running server, else from the file when no server holds it. */
async function backupStore(dataDir: string, target: string): Promise<{ revision: number; bytes: number; from: string }> {
  const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
  try {
    return { ...(await downloadBackup(kubeconfig, target)), from: 'from the running server' };
  } catch (err) {
    if (!isRefused(err)) throw err;
  }
  const file = path.join(dataDir, 'state.db');
  if (!fs.existsSync(file)) throw new Error(`backup: the server of ${kubeconfig} does not answer and ${file} does not exist`);
  let store: SqliteStore;
  try {
    store = new SqliteStore(file, { busyTimeoutMs: 0 });
  } catch (err) {
    if (err instanceof StorageError && err.code === 'Unavailable') throw new Error(`backup: the server does not answer but holds ${file}; try again when it is up or stopped`);
    throw err;
  }
  try {
    return { ...(await store.backup(target)), from: 'from the stopped server\'s file' };
  } finally {
    await store.close();
  }
}

async function downloadBackup(kubeconfig: string, target: string): Promise<{ revision: number; bytes: number }> {
  const { transport } = clientFromKubeconfig(kubeconfig);
  const res = await transport.request({ method: 'GET', path: BACKUP_PATH, headers: { Accept: 'application/vnd.sqlite3, application/json' } });
  if (res.statusCode !== 200) {
    const text = await readAll(res.body);
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status: the text as it came
    }
    throw new Error(`backup: the server answered ${res.statusCode}: ${message}`);
  }
  const revision = Number(res.headers[BACKUP_REVISION_HEADER]);
  const tmp = `${target}.partial`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of res.body) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? chunk : Buffer.from(JSON.stringify(chunk));
      fs.writeSync(fd, b);
      bytes += b.length;
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  const expected = Number(res.headers['content-length']);
  if (Number.isFinite(expected) && expected !== bytes) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`backup: the server's answer ended after ${bytes} of ${expected} bytes`);
  }
  fs.renameSync(tmp, target);
  return { revision, bytes };
}

function isRefused(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/** Copies the data dir's files (DATA_DIR_FILES that exist) into `to`, each complete or not at all. */
function copyDataDirFiles(from: string, to: string): string[] {
  const copied: string[] = [];
  for (const name of DATA_DIR_FILES) {
    const src = path.join(from, name);
    if (!fs.existsSync(src)) continue;
    copyTree(src, path.join(to, name));
    copied.push(fs.statSync(src).isDirectory() ? `${name}/` : name);
  }
  syncDir(to);
  return copied;
}

function copyTree(src: string, dst: string): void {
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    fs.mkdirSync(dst, { recursive: true, mode: st.mode & 0o777 });
    for (const e of fs.readdirSync(src)) copyTree(path.join(src, e), path.join(dst, e));
    syncDir(dst);
    return;
  }
  const tmp = `${dst}.partial`;
  fs.copyFileSync(src, tmp);
  fs.chmodSync(tmp, st.mode & 0o777);
  const fd = fs.openSync(tmp, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, dst);
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory
  } finally {
    fs.closeSync(fd);
  }
}

export async function runRestore(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string', default: './.everynode' }, 'bump-revision': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [from, ...extra] = positionals;
  if (from === undefined || extra.length > 0) throw new Error('restore: want exactly one backup directory (everynode restore BACKUP_DIR)');
  const backupDir = path.resolve(from);
  const backupDb = path.join(backupDir, 'state.db');
  if (!fs.existsSync(backupDb)) throw new Error(`restore: ${backupDb} does not exist (make a backup with \`everynode backup ${from}\`)`);
  let bumpRevision: number | undefined;
  if (values['bump-revision'] !== undefined) {
    bumpRevision = Number(values['bump-revision']);
    if (!/^\d+$/.test(values['bump-revision']) || !Number.isSafeInteger(bumpRevision) || bumpRevision < 1) {
      throw new Error(`restore: --bump-revision must be a positive integer, not ${JSON.stringify(values['bump-revision'])}`);
    }
  }
  const dataDir = path.resolve(values['data-dir']);
  if (dataDir === backupDir) throw new Error('restore: the backup and the data dir are the same directory');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const live = path.join(dataDir, 'state.db');
  let keptAs: string | undefined;
  if (fs.existsSync(live)) {
    // Opening it proves no server holds it (the store's exclusive lock); close() checkpoints
    // its WAL into it. A file that does not open (the damage a restore is for) is moved aside
    // with its WAL as it is.
    try {
      await new SqliteStore(live, { busyTimeoutMs: 0 }).close();
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Unavailable') throw new Error(`restore: a server is using ${live}; stop it first`);
    }
    keptAs = `${live}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(live, keptAs);
    if (fs.existsSync(`${live}-wal`)) fs.renameSync(`${live}-wal`, `${keptAs}-wal`);
    fs.rmSync(`${live}-shm`, { force: true });
  }
  const r = await restoreSqliteBackup(backupDb, live, bumpRevision === undefined ? {} : { bumpRevision });
  const copied = copyDataDirFiles(backupDir, dataDir);
  process.stdout.write(
    `restored ${r.keys} objects at revision ${r.backupRevision} into ${dataDir} (now revision ${r.revision}; clients relist)` +
      `${copied.length > 0 ? `, with ${copied.join(', ')}` : ''}` +
      `${keptAs ? `; the previous store is kept as ${path.basename(keptAs)}` : ''}\n`,
  );
}
