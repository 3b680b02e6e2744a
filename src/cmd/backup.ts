// `everynode backup` and `everynode restore`: a server's data dir, copied while it runs, and
// brought back after a loss.
//
//   everynode backup OUT_DIR [--data-dir DIR]
//       OUT_DIR/state.db: a consistent copy of DIR's store, never another's. From DIR/state.db
//       itself when its lock is free (no server has it open); else from the server named by
//       DIR/kubeconfig.yaml (GET /everynode/backup), which must prove it is the server using
//       DIR (its instance id is DIR/server-instance; see src/apiserver/backup.ts), or nothing
//       is copied. Then the data dir's own files beside it: the CA and certificates (tls/), the
//       admin kubeconfig, the join tokens, the revocations, the key Secrets are encrypted with,
//       up's dashboard sign-in token and its local nodes' static pod manifests
//       (nodes/<node>/static-pods/).
//   everynode restore BACKUP_DIR [--data-dir DIR] [--bump-revision N]
//       makes DIR a data dir restored from BACKUP_DIR, for a server that is not running: the
//       store with its revision raised by N (default 1,000,000,000) and everything below
//       compacted, so clients that saw revisions after the backup relist instead of trusting
//       stale state (etcd's `snapshot restore --bump-revision --mark-compacted`); the files
//       copied back. What the backup replaces in DIR (the store, and the keys, CA and tokens that
//       go with it) is kept beside it as <name>.before-restore-<time>. The backup's store is made
//       beside the live one before anything is replaced, and signals wait for the swap: DIR is
//       never left without a store, nor with one store and another cluster's keys.
//
// Contract: run on the server machine as the server's user (the data dir holds the CA key).
// OUT_DIR must be new or empty; nothing is left half-written under a final name (each file is
// written beside its name, fsynced and renamed). A store on etcd is backed up with etcd's own
// tools; the command says so.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKUP_PATH, BACKUP_REVISION_HEADER, SERVER_INSTANCE_FILE, SERVER_INSTANCE_HEADER } from '../apiserver/index.js';
import { clientFromKubeconfig } from '../client/index.js';
import { readAll } from '../client/transport.js';
import { restoreSqliteBackup, SqliteStore, StorageError, DEFAULT_RESTORE_BUMP } from '../storage/index.js';
import { serverDataDir } from './token.js';

export const backupUsage = `  backup OUT_DIR      copy a server's data dir, the store consistently, while the server runs
                      (or not): DIR's state.db itself when no server holds it, else from the
                      server using DIR (checked; another server is refused)
           --data-dir DIR       the server's data directory (default ./.everynode)
  restore BACKUP_DIR  make a data dir from a backup, for a server that is not running
           --data-dir DIR       the data directory to restore (default ./.everynode)
           --bump-revision N    raise the store's revision by N (default ${DEFAULT_RESTORE_BUMP}) so
                                clients relist; more than the writes made after the backup
`;

/**
 * The data dir's files a backup carries besides the store, relative to it: those a server
 * cannot do without, and up's dashboard sign-in token (the printed address stays valid). Up's
 * local nodes' static pod manifests (nodes/<node>/static-pods/) are added by dataDirEntries;
 * the rest of nodes/ (node identities, issued again from the CA when missing; container logs),
 * audit/ and server-instance are not copied.
 */
const DATA_DIR_FILES = ['kubeconfig.yaml', 'tokens.json', 'revoked-certs.json', 'secrets-encryption.key', 'dashboard-token', 'tls'];

/** DATA_DIR_FILES and every nodes/<node>/static-pods directory that exist in `dir`. */
function dataDirEntries(dir: string): string[] {
  const out = DATA_DIR_FILES.filter((name) => fs.existsSync(path.join(dir, name)));
  let nodes: fs.Dirent[] = [];
  try {
    nodes = fs.readdirSync(path.join(dir, 'nodes'), { withFileTypes: true });
  } catch {
    // no local nodes
  }
  for (const n of nodes.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.join('nodes', n.name, 'static-pods');
    if (fs.statSync(path.join(dir, rel), { throwIfNoEntry: false })?.isDirectory()) out.push(rel);
  }
  return out;
}

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
    throw withBackupPath(err, outDir);
  }
  const { revision, bytes, from } = stored;
  let copied: string[];
  try {
    copied = copyDataDirFiles(dataDir, outDir);
  } catch (err) {
    throw withBackupPath(err, outDir);
  }
  process.stdout.write(`backed up revision ${revision} (${(bytes / 1048576).toFixed(1)} MiB, ${from}) and ${copied.join(', ')} to ${outDir}\n`);
}

/** A file system error of writing a backup (ENOSPC, EACCES, ...) said with the backup's directory. */
function withBackupPath(err: unknown, outDir: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  // SQLite's own words for a full target ("database or disk is full") name the source file.
  const full = code === 'ENOSPC' || /disk is full|no space left on device/i.test(message);
  // A file system's error names a path; a connection's (the server's side of a backup) does not.
  const onFile = typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof (err as NodeJS.ErrnoException).path === 'string';
  if (!full && !onFile) return err;
  return new Error(`backup: cannot write the backup to ${outDir}: ${full ? 'no space left on its disk (free space there, or back up to another disk)' : message}`);
}

/**
 * The store of `dataDir` into `target`, never another cluster's:
 * - DIR/state.db whose lock is free (no server uses it): read from the file itself.
 * - DIR/state.db locked: from the server named by DIR/kubeconfig.yaml, only if that server
 *   proves it is the one using DIR (its instance id equals DIR/server-instance; it refuses the
 *   request otherwise). A copied or restored data dir's kubeconfig names the original server,
 *   whose store is not DIR's.
 * - no DIR/state.db (a store elsewhere, e.g. etcd): from DIR's server, checked the same way.
 */
async function backupStore(dataDir: string, target: string): Promise<{ revision: number; bytes: number; from: string }> {
  const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
  const file = path.join(dataDir, 'state.db');
  if (fs.existsSync(file)) {
    let store: SqliteStore | undefined;
    try {
      store = new SqliteStore(file, { busyTimeoutMs: 0 });
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'Unavailable')) throw err;
    }
    if (store) {
      try {
        return { ...(await store.backup(target)), from: "from the stopped server's file" };
      } finally {
        await store.close();
      }
    }
  }
  const instanceFile = path.join(dataDir, SERVER_INSTANCE_FILE);
  let instance: string;
  try {
    instance = fs.readFileSync(instanceFile, 'utf8').trim();
  } catch {
    throw new Error(
      fs.existsSync(file)
        ? `backup: a process holds ${file}, but ${instanceFile} does not exist to tell which server it is (a server of an older build?); stop the server and run backup again, which then reads the file`
        : `backup: ${dataDir} holds no store (${file}) and no server has started on it`,
    );
  }
  const s = serverOf(kubeconfig);
  try {
    return { ...(await downloadBackup(kubeconfig, target, instance)), from: 'from the running server' };
  } catch (err) {
    if (isRefused(err)) {
      throw new Error(
        fs.existsSync(file)
          ? `backup: a server holds ${file}, but the server named by ${kubeconfig} (${s}) does not answer; try again when it is up, or stopped`
          : `backup: ${dataDir} holds no store file (a server whose store is etcd keeps it there: back it up with etcdctl snapshot save), and the server named by ${kubeconfig} (${s}) does not answer`,
      );
    }
    throw err;
  }
}

/** The server URL of a kubeconfig, for messages. */
function serverOf(kubeconfig: string): string {
  try {
    return /^\s*server:\s*(\S+)/m.exec(fs.readFileSync(kubeconfig, 'utf8'))?.[1] ?? kubeconfig;
  } catch {
    return kubeconfig;
  }
}

async function downloadBackup(kubeconfig: string, target: string, instance: string): Promise<{ revision: number; bytes: number }> {
  const { transport } = clientFromKubeconfig(kubeconfig);
  const res = await transport.request({ method: 'GET', path: BACKUP_PATH, headers: { Accept: 'application/vnd.sqlite3, application/json', [SERVER_INSTANCE_HEADER]: instance } });
  if (res.statusCode === 409) {
    await readAll(res.body).catch(() => '');
    throw new Error(
      `backup: the server named by ${kubeconfig} (${serverOf(kubeconfig)}) is not the one using ${path.dirname(kubeconfig)}: its instance id differs from ${SERVER_INSTANCE_FILE} there ` +
        `(a copied or restored data dir whose kubeconfig names the original server?). Nothing was copied. Stop the server using this data dir and run backup again (it then reads the store file), or point its kubeconfig.yaml at that server`,
    );
  }
  if (res.statusCode === 200 && res.headers[SERVER_INSTANCE_HEADER] !== instance) {
    // A server that ignores the check (an older build): its copy may be another data dir's.
    await res.body[Symbol.asyncIterator]().return?.();
    throw new Error(`backup: the server named by ${kubeconfig} (${serverOf(kubeconfig)}) cannot prove it uses ${path.dirname(kubeconfig)} (a server of an older build?); nothing was copied. Stop it and run backup again, which then reads the store file`);
  }
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

/** Copies the data dir's files (dataDirEntries) into `to`, each complete or not at all. */
function copyDataDirFiles(from: string, to: string): string[] {
  const copied: string[] = [];
  for (const name of dataDirEntries(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const parent = path.dirname(dst);
    if (parent !== to) {
      fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
    }
    copyTree(src, dst);
    if (parent !== to) syncDir(parent);
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
  // Files made here are the owner's alone from their first byte (the store and the copies hold
  // the cluster's state and keys).
  process.umask(0o077);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const live = path.join(dataDir, 'state.db');
  // A signal (Ctrl-C, a closed terminal) is held until the swap is done or undone: the data
  // dir never stays without its store, nor with a store but the other cluster's keys.
  let signalled: NodeJS.Signals | undefined;
  const hold = (sig: NodeJS.Signals): void => {
    signalled ??= sig;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, hold);
  const staged = `${live}.restored-${process.pid}`;
  try {
    if (fs.existsSync(live)) {
      // Opening it proves no server holds it (the store's exclusive lock); close() checkpoints
      // its WAL into it. A file that does not open (the damage a restore is for) is kept as it is.
      try {
        await new SqliteStore(live, { busyTimeoutMs: 0 }).close();
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Unavailable') throw new Error(`restore: a server is using ${live}; stop it first`);
      }
    }
    // The backup's store is made beside the live one first; the live one stays until the swap.
    fs.rmSync(staged, { force: true });
    const r = await restoreSqliteBackup(backupDb, staged, bumpRevision === undefined ? {} : { bumpRevision });
    if (signalled) {
      fs.rmSync(staged, { force: true });
      throw new Error(`restore: stopped by ${signalled} before anything in ${dataDir} was changed`);
    }
    // The swap, synchronous: every file the backup replaces is kept beside it under the same
    // suffix (the store, and the keys, CA and tokens that can read it), then the backup's take
    // their names.
    const suffix = `.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const kept: string[] = [];
    const keep = (rel: string): void => {
      const at = path.join(dataDir, rel);
      if (!fs.existsSync(at)) return;
      fs.renameSync(at, `${at}${suffix}`);
      kept.push(rel);
    };
    keep('state.db');
    if (fs.existsSync(`${live}-wal`)) fs.renameSync(`${live}-wal`, `${live}${suffix}-wal`);
    fs.rmSync(`${live}-shm`, { force: true });
    for (const rel of dataDirEntries(backupDir)) keep(rel);
    fs.renameSync(staged, live);
    syncDir(dataDir);
    const copied = copyDataDirFiles(backupDir, dataDir);
    process.stdout.write(
      `restored ${r.keys} objects at revision ${r.backupRevision} into ${dataDir} (now revision ${r.revision}; clients relist)` +
        `${copied.length > 0 ? `, with ${copied.join(', ')}` : ''}` +
        `${kept.length > 0 ? `; what they replace is kept beside them, with the suffix ${suffix}: ${kept.join(', ')}` : ''}\n`,
    );
  } finally {
    fs.rmSync(staged, { force: true });
    for (const sig of signals) process.off(sig, hold);
  }
  if (signalled) {
    process.stderr.write(`everynode: restore: ${signalled} received; it was held until the restore was complete\n`);
    process.exitCode = 130;
  }
}
