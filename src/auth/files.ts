// Private files of the security parts: atomic writes with an enforced mode, private dirs.
// No X.509 dependency, so light processes (the agent) can use it.

import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

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

/** Creates `dir` (and parents) and forces mode 0700 on it. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
