// A SQLite store file this user may not write (made by root, 0444): the server started as
// another user refuses to start with a hint at the permission, not a bare "disk I/O error" that
// reads as failing hardware. Needs root (to make the file and run the server as `nobody`) and
// runuser; skipped, saying so, without them.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, runCommand, spawnNode } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const runuser = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => existsSync(p));
/** Why the test cannot run here, if it cannot: it runs the built binary as `nobody`. */
function skipReason(): string | undefined {
  if (process.getuid?.() !== 0 || runuser === undefined) return 'needs root and runuser to run the server as another user';
  // A checkout under a private directory (a CI clone in a 0700 temp dir) is not readable by nobody.
  if (spawnSync(runuser, ['-u', 'nobody', '--', 'test', '-r', everynodeBin]).status !== 0) return `user nobody cannot read ${everynodeBin}`;
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`server-readonly-store: skipped: ${skip}`);
const canRun = skip === undefined;

describe.skipIf(!canRun)('a store file the server user may not write', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('is refused with a hint at the permission', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ro-store-'));
    cleanup.defer(() => rmSync(root, { recursive: true, force: true }));
    chmodSync(root, 0o755);
    const dataDir = join(root, 'data');
    // A first start (as root) makes the store; then it is made read-only for everyone.
    const first = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    await waitFor(() => /everynode server listening on/.test(first.output()), { timeoutMs: 30_000, message: `first start; output:\n${first.output()}` });
    first.signalGroup('SIGTERM');
    await first.exited;
    for (const d of [dataDir, join(dataDir, 'tls'), join(dataDir, 'audit')]) chmodSync(d, 0o755);
    await runCommand('chmod', ['-R', 'a+r', dataDir], { timeoutMs: 10_000 });
    chmodSync(join(dataDir, 'state.db'), 0o444);
    const run = await runCommand(runuser!, ['-u', 'nobody', '--', process.execPath, everynodeBin, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { cwd: root, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`sqlite ${join(dataDir, 'state.db')}: `);
    expect(run.stderr).toMatch(/\(can this user, uid \d+, write to \S+state\.db\?\)/);
  }, 60_000);
});
