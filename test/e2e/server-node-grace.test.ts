// `everynode server --node-monitor-grace-period 15s` (the built binary): a node that stops
// renewing its Lease is marked Ready=Unknown and tainted unreachable after that grace, not the
// default 50 s; a node that keeps renewing stays Ready. A grace under 15 s is refused at start.
// The test plays the nodes over HTTP (a Ready=True status and a Lease), as no agent runs.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lease, Node } from '../../src/api/types.js';
import { HttpTransport, leasesResource, loadKubeconfig, nodesResource, RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, runCommand, startServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run(), 60_000);

const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

describe('server --node-monitor-grace-period', () => {
  it('marks a silent node Unknown after the grace given, and keeps a renewing one Ready', async () => {
    const dir = makeTempDir(cleanup, 'node-grace');
    const server = await startServerProcess(cleanup, { dataDir: join(dir, 'data'), extraArgs: ['--node-monitor-grace-period', '15s'] });
    const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath) });
    cleanup.defer(() => transport.destroy(), 'transport');
    const client = new RestClient(transport.request);
    const names = ['silent', 'alive'];
    const start = Date.now();
    for (const name of names) {
      await client.create<Node>(nodesResource, '', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await client.patch<Node>(nodesResource, '', name, 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test', lastHeartbeatTime: t, lastTransitionTime: t }] } }, { subresource: 'status' });
      await client.create<Lease>(leasesResource, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(Date.now()) } });
    }
    const renew = setInterval(() => void client.patch(leasesResource, 'kube-node-lease', 'alive', 'merge', { spec: { renewTime: microTime(Date.now()) } }).catch(() => undefined), 2_000);
    cleanup.defer(() => clearInterval(renew), 'renewals');
    const ready = async (name: string) => (await client.get<Node>(nodesResource, '', name)).status?.conditions?.find((c) => c.type === 'Ready');
    const unknownAt = await waitFor(async () => ((await ready('silent'))?.status === 'Unknown' ? Date.now() : false), { timeoutMs: 45_000, intervalMs: 250, message: 'silent node Unknown' });
    // 15 s of grace, checked every 5 s; the default (50 s) would be far later.
    expect(unknownAt - start).toBeGreaterThanOrEqual(14_000);
    expect(unknownAt - start).toBeLessThan(35_000);
    expect((await client.get<Node>(nodesResource, '', 'silent')).spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toContain('node.kubernetes.io/unreachable:NoSchedule');
    expect((await ready('alive'))?.status).toBe('True');
  });

  it('refuses a grace period under 15s before starting', async () => {
    const dir = makeTempDir(cleanup, 'node-grace-bad');
    const r = await runCommand(process.execPath, [everynodeBin, 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--node-monitor-grace-period', '5s'], { timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--node-monitor-grace-period 5s: must be at least 15s');
  });
});
