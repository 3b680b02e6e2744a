// Private files of the security parts: atomic writes with an enforced mode, private dirs, lock
// files shared by processes on one data dir.
// No X.509 dependency, so light processes (the agent) can use it.

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/**
 * Writes atomically with the given mode (the mode is enforced even if the file existed). A
 * file that already holds `data` is not written again (a server restarting on a full disk
 * still starts); a failed write leaves no temporary file and names the path in its error.
 */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  try {
    if (readFileSync(path, 'utf8') === data) {
      chmodSync(path, mode);
      return;
    }
  } catch {
    // Missing or unreadable: written below.
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof Error && !err.message.includes(path)) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/**
 * Creates `dir` (and parents) with mode 0700. A dir that exists already keeps its mode (and
 * owner): the operator made it so (a mount point may not even be ours to chmod), and what we
 * write in it is 0600 anyway.
 */
export function ensurePrivateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
}

/**
 * One attempt at an exclusive lock file (created with O_EXCL); true when it was taken, and the
 * caller removes it to release. A lock whose mtime is more than `staleMs` old was left by a
 * holder that crashed and is broken (breakStaleLock), then taken.
 */
export function tryLockFile(lock: string, staleMs: number): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = statSync(lock, { throwIfNoEntry: false });
    if (st && (Date.now() - st.mtimeMs <= staleMs || !breakStaleLock(lock, st, staleMs))) return false;
  }
  return false;
}

/**
 * Removes `path` if it is still the file `seen` was read from: it is moved aside first (one
 * rename wins), and a file that turns out to be another (taken since) is put back unless its
 * place was taken again meanwhile.
 */
function removeIfSame(path: string, seen: { ino: number; mtimeMs: number }): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already, or moved by another process
  }
  const moved = statSync(aside, { throwIfNoEntry: false });
  if (moved && (moved.ino !== seen.ino || moved.mtimeMs !== seen.mtimeMs)) {
    try {
      linkSync(aside, path);
    } catch {
      // Its place was taken again: nothing to put back.
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Removes the stale lock file `seen` was read from, if `lock` is still that file (same inode
 * and mtime), under `<lock>.takeover` (O_EXCL): of two processes that judged the same lock
 * stale, the second finds the first's new lock in its place and leaves it (removing it would
 * let both hold the lock). Returns whether it removed the lock. A takeover file older than
 * `staleMs` (its process crashed within the takeover) is removed the same careful way, and this
 * attempt gives up.
 */
export function breakStaleLock(lock: string, seen: { ino: number; mtimeMs: number }, staleMs: number): boolean {
  const guard = `${lock}.takeover`;
  try {
    closeSync(openSync(guard, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const g = statSync(guard, { throwIfNoEntry: false });
    if (g && Date.now() - g.mtimeMs > staleMs) removeIfSame(guard, g);
    return false;
  }
  try {
    const now = statSync(lock, { throwIfNoEntry: false });
    if (!now || now.ino !== seen.ino || now.mtimeMs !== seen.mtimeMs) return false;
    rmSync(lock, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}
