// Private files of the security parts: atomic writes with an enforced mode, private dirs.
// No X.509 dependency, so light processes (the agent) can use it.

import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';

/** Writes atomically with the given mode (the mode is enforced even if the file existed). */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Creates `dir` (and parents) and forces mode 0700 on it. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
