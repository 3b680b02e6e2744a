// Ctrl-C as soon as `everynode up` says it is listening, while its nodes are still starting: the
// command must stop cleanly (exit 0, its agents stopped with their daemons), not die of the
// signal with half-started parts left behind. So must `everynode server` right after its line.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, repoRoot, spawnNode } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();

beforeAll(() => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
});
afterAll(() => cleanup.run(), 60_000);

describe('a stop asked for right after the listening line', () => {
  it('everynode up, with its nodes still starting, exits 0 after stopping them', async () => {
    const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', makeTempDir(cleanup, 'up-stop'), '--listen', '127.0.0.1:0', '--nodes', '3', '--dashboard', 'off', '--cluster-dns', 'off'], { cwd: repoRoot });
    await waitFor(() => /everynode server listening on/.test(up.output()), { timeoutMs: 30_000, intervalMs: 2, message: `up listening; output:\n${up.output()}` });
    up.signalGroup('SIGINT');
    const exit = await up.exited;
    expect(exit, up.output()).toEqual({ code: 0, signal: null });
    expect(up.output()).toContain('SIGINT received, stopping the controllers, the daemons and the server');
  }, 60_000);

  it('everynode server exits 0', async () => {
    const server = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'server-stop'), '--listen', '127.0.0.1:0'], { cwd: repoRoot });
    await waitFor(() => /everynode server listening on/.test(server.output()), { timeoutMs: 30_000, intervalMs: 2, message: `server listening; output:\n${server.output()}` });
    server.signalGroup('SIGTERM');
    expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
