// Ctrl-C as soon as `everynode up` says it is listening, while its nodes are still starting: the
// command must stop cleanly (exit 0, its agents stopped with their daemons), not die of the
// signal with half-started parts left behind. So must `everynode server` right after its line.
// A second Ctrl-C while `up` waits for its daemons' grace periods kills them and exits 1.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode } from '../helpers/process.js';
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

  it('a second Ctrl-C during the stop kills the daemons that ignore SIGTERM and exits 1', async () => {
    const mark = `everynode-e2e-force-${randomBytes(4).toString('hex')}`;
    cleanup.defer(() => killPidsWith(mark));
    const dataDir = makeTempDir(cleanup, 'up-force');
    // A static pod that ignores SIGTERM with a minute's grace: the first Ctrl-C waits for it.
    const staticDir = join(dataDir, 'nodes', 'node-1', 'static-pods');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(join(staticDir, 'stubborn.json'), JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stubborn' },
      spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'c', image: 'sh', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done', mark] }] },
    }));
    const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1', '--dashboard', 'off', '--cluster-dns', 'off'], { cwd: repoRoot });
    await waitFor(() => pidsWith(mark).length > 0, { timeoutMs: 30_000, message: `the static pod running; output:\n${up.output()}` });
    up.signalGroup('SIGINT');
    await waitFor(() => /SIGINT received/.test(up.output()), { timeoutMs: 10_000, message: `the first stop; output:\n${up.output()}` });
    // Repeats within 2 s count as the same press; this one is a second.
    await new Promise((r) => setTimeout(r, 2_200));
    expect(pidsWith(mark), 'the daemon waits out its grace period').not.toEqual([]);
    up.signalGroup('SIGINT');
    expect(await up.exited, up.output()).toEqual({ code: 1, signal: null });
    expect(up.output()).toContain('SIGINT again, killing the daemons (SIGKILL) and exiting without finishing the stop');
    await waitFor(() => pidsWith(mark).length === 0, { timeoutMs: 5_000, message: `the daemon killed: ${pidsWith(mark).join(', ')}` });
  }, 60_000);

  it('everynode server exits 0', async () => {
    const server = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'server-stop'), '--listen', '127.0.0.1:0'], { cwd: repoRoot });
    await waitFor(() => /everynode server listening on/.test(server.output()), { timeoutMs: 30_000, intervalMs: 2, message: `server listening; output:\n${server.output()}` });
    server.signalGroup('SIGTERM');
    expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('a closed terminal (SIGHUP) stops up as Ctrl-C does: its daemons stopped, exit 0', async () => {
    const dir = makeTempDir(cleanup, 'up-hup');
    const mark = `up-hup-${randomBytes(4).toString('hex')}`;
    const staticDir = join(dir, 'nodes', 'node-1', 'static-pods');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(join(staticDir, 'daemon.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: hup\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: c\n    image: sh\n    command: [sh, -c, "sleep 600 # ${mark}"]\n`);
    cleanup.defer(() => killPidsWith(mark), 'hup daemon');
    const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--nodes', '1', '--dashboard', 'off', '--cluster-dns', 'off'], { cwd: repoRoot });
    await waitFor(() => pidsWith(mark).length > 0, { timeoutMs: 30_000, message: `the static daemon running; output:\n${up.output()}` });
    up.signalGroup('SIGHUP');
    expect(await up.exited, up.output()).toEqual({ code: 0, signal: null });
    expect(up.output()).toContain('SIGHUP received');
    expect(pidsWith(mark)).toEqual([]);
  }, 60_000);
});
