// Per-test temporary directories under the OS temp dir, removed by the owning Cleanup.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';

/** Creates `$TMPDIR/everynode-<prefix>-XXXXXX`; the directory is removed recursively on cleanup. */
export function makeTempDir(cleanup: Cleanup, prefix = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `everynode-${prefix}-`));
  cleanup.defer(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  return dir;
}
