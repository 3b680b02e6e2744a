// `everynode token rotate-admin` under a running `everynode up`: the parts of `up` that act
// with the admin kubeconfig (the dashboard and the hollow nodes) pick up the rewritten file on
// their next 401 instead of answering 401 to everything (dashboard) or going NotReady
// without a word (hollow nodes).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../../src/api/types.js';
import { clientFromKubeconfig, leasesResource } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, repoRoot, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const execFileP = promisify(execFile);
const cleanup = new Cleanup();
let up: SpawnedProcess;
let dataDir = '';
let kubeconfig = '';
let dashboardUrl = '';

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  dataDir = makeTempDir(cleanup, 'up-rotation');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '0', '--hollow-nodes', '2', '--dashboard', '127.0.0.1:0'], { cwd: repoRoot });
  kubeconfig = (await waitFor(() => /\(kubeconfig: ([^)]+)\)/.exec(up.output())?.[1], { timeoutMs: 30_000, message: `up listening; output:\n${up.output()}` }));
  dashboardUrl = await waitFor(() => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(up.output())?.[1], { timeoutMs: 30_000, message: `the dashboard line; output:\n${up.output()}` });
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

describe('token rotate-admin under everynode up', () => {
  it('the dashboard and the hollow nodes go on with the new admin token', async () => {
    const login = await fetch(dashboardUrl, { redirect: 'manual' });
    expect(login.status).toBe(200);
    const headers = { 'x-everynode-dashboard-token': new URL(dashboardUrl).searchParams.get('token')! };
    const nodes = () => fetch(new URL('/api/v1/nodes', dashboardUrl), { headers });
    expect((await nodes()).status).toBe(200);

    const rotatedAt = Date.now();
    await execFileP(process.execPath, [everynodeBin, 'token', 'rotate-admin', '--data-dir', dataDir]);
    // Before: 401 to everything until `up` restarted.
    const after = await nodes();
    expect(after.status, await after.clone().text()).toBe(200);
    expect(up.output()).toContain('switched to the new credentials');

    // The hollow nodes renew their Leases (every 10 s) with the new token too.
    const client = clientFromKubeconfig(kubeconfig).client;
    await waitFor(
      async () => {
        const lease = await client.get<Lease>(leasesResource, 'kube-node-lease', 'hollow-node-0');
        return Date.parse(lease.spec?.renewTime ?? '') > rotatedAt + 500;
      },
      { timeoutMs: 25_000, intervalMs: 500, message: `a Lease renewal of hollow-node-0 after the rotation; output:\n${up.output()}` },
    );

    up.signalGroup('SIGINT');
    expect((await up.exited).code).toBe(0);
  }, 60_000);

  it('up started again on the same data dir keeps the dashboard address printed before', async () => {
    const again = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '0', '--dashboard', '127.0.0.1:0'], { cwd: repoRoot });
    const url = await waitFor(() => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(again.output())?.[1], { timeoutMs: 30_000, message: `the dashboard line; output:\n${again.output()}` });
    expect(new URL(url).searchParams.get('token')).toBe(new URL(dashboardUrl).searchParams.get('token'));
    const login = await fetch(url, { redirect: 'manual' });
    expect(login.status).toBe(200);
    expect((await fetch(new URL('/api/v1/nodes', url), { headers: { 'x-everynode-dashboard-token': new URL(url).searchParams.get('token')! } })).status).toBe(200);
    again.signalGroup('SIGINT');
    expect((await again.exited).code).toBe(0);
  }, 60_000);
});
