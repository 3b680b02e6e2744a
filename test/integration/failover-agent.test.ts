// `everynode agent --server URL1,URL2` (the built dist/, as npm test builds it) against two real
// API servers on one etcd prefix: the agent registers through server 1; when server 1 stops, it
// keeps working through server 2: its node Lease is renewed, a pod bound to it afterwards is
// run (a real process) and reported Running, and a graceful delete of that pod is finished.
// The kubeconfig (server 1's file) stays the credential source; --server only lists where to go.
// A second agent reaches server 1 through a proxy that hangs (a stopped server, no connection
// error): its Lease is renewed through server 2 within its request timeout plus one interval.
//
// Without the `etcd` binary the file is skipped with a message naming the `etcd-server` package.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease, Node, Pod } from '../../src/api/types.js';
import { HttpTransport, RestClient, isNotFound, leasesResource, loadKubeconfig, nodesResource, podsResource } from '../../src/client/index.js';
import {
  Cleanup,
  etcdAvailable,
  etcdSkipReason,
  everynodeBin,
  freshEtcdStoreUrl,
  killPidsWith,
  makeTempDir,
  pidsWith,
  sharedTestEtcd,
  spawnNode,
  startHangingProxy,
  startTestServer,
  waitFor,
  type SpawnedProcess,
  type TestServer,
} from '../helpers/index.js';

const haveEtcd = etcdAvailable();
const run = randomBytes(4).toString('hex');
const nodeName = `failover-${run}`;
const marker = `everynode-failover-${run}`;

if (!haveEtcd) {
  describe('everynode agent --server with two API servers', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}

describe.skipIf(!haveEtcd)('everynode agent --server with two API servers', () => {
  const cleanup = new Cleanup();
  let servers: TestServer[] = [];
  let agent: SpawnedProcess;
  let viaServer2: RestClient;

  beforeAll(async () => {
    expect(existsSync(everynodeBin), `${everynodeBin}: run npm run build`).toBe(true);
    await sharedTestEtcd(cleanup);
    const storeUrl = await freshEtcdStoreUrl(cleanup);
    // One data dir for both (CA, serving certificate, tokens), as the servers of one cluster share.
    const shared = makeTempDir(cleanup, 'failover-agent-servers');
    servers = [await startTestServer(cleanup, { storeUrl, dataDir: shared }), await startTestServer(cleanup, { storeUrl, dataDir: shared })];
    const t2 = new HttpTransport(loadKubeconfig(servers[1]!.server.kubeconfigPath));
    cleanup.defer(async () => t2.destroy(), 'server 2 transport');
    viaServer2 = new RestClient(t2.request);
    // Last resort: no pod process of this file outlives it.
    cleanup.defer(async () => {
      killPidsWith(marker);
    }, 'pod processes');
    const dataDir = makeTempDir(cleanup, 'failover-agent');
    agent = spawnNode(cleanup, [
      everynodeBin,
      'agent',
      '--kubeconfig',
      servers[0]!.server.kubeconfigPath,
      '--server',
      `${servers[0]!.server.url},${servers[1]!.server.url}`,
      '--name',
      nodeName,
      '--data-dir',
      dataDir,
      '--node-ip',
      '127.0.0.1',
      '--port',
      '0',
    ]);
    // A --kubeconfig agent has no node identity: it says so when it has started.
    await waitFor(() => agent.output().includes(`everynode agent ${nodeName} running without a node identity`), { timeoutMs: 30_000, message: `the agent to start; output: ${agent.output()}` });
  });
  afterAll(() => cleanup.run());

  let hungAttempts = 0;
  it('fails over from a hung server (no connection error) before its Lease expires', async () => {
    // A second agent whose first server is behind a proxy that hangs: the server is stopped, not
    // dead, so only the agent's request timeout tells (10 s, below the Lease renewal interval).
    const proxy = await startHangingProxy(cleanup, servers[0]!.server.url);
    // A node of its own on each attempt: a retry (CI) must not find the first attempt's Lease
    // and agent, or it starts from their state instead of a fresh registration through the proxy.
    const name = `${nodeName}-hung-${++hungAttempts}`;
    const hungAgent = spawnNode(cleanup, [
      everynodeBin,
      'agent',
      '--kubeconfig',
      servers[0]!.server.kubeconfigPath,
      '--server',
      `${proxy.url},${servers[1]!.server.url}`,
      '--name',
      name,
      '--data-dir',
      makeTempDir(cleanup, 'failover-agent-hung'),
      '--node-ip',
      '127.0.0.1',
      '--port',
      '0',
    ]);
    const renewTime = async (): Promise<string | undefined> => {
      try {
        return (await viaServer2.get<Lease>(leasesResource, 'kube-node-lease', name)).spec?.renewTime;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    try {
      const before = await waitFor(renewTime, { timeoutMs: 30_000, message: () => `the hung agent's Lease; output:\n${hungAgent.output()}` });
      expect(proxy.accepted).toBeGreaterThan(0);
      proxy.hang();
      const hungAt = Date.now();
      // The next renewal (due within 10 s) waits at most 10 s on the hung server (the heartbeat's
      // timeout), then goes to server 2. With the 30 s timeout of other requests it would come
      // 30-40 s after the hang, as the 40 s Lease of the last renewal runs out.
      await waitFor(async () => {
        const t = await renewTime();
        return t !== undefined && t !== before;
      }, { timeoutMs: 29_500, intervalMs: 250, message: () => `a Lease renewal through server 2 within 29.5 s of the hang; output:\n${hungAgent.output()}` });
      // At most 10 s to the next renewal, 10 s of timeout, then the next server: ~23 s on an idle
      // machine, and under 30 s, the earliest a 30 s timeout could fail over.
      expect(Date.now() - hungAt).toBeLessThan(29_500);
      expect(hungAgent.output()).toContain(`API server ${proxy.url} failed (request to ${proxy.url} timed out after 10000 ms); using ${servers[1]!.server.url}`);
    } finally {
      await hungAgent.stop();
    }
  }, 60_000);

  it('keeps renewing its Lease and running its pods through server 2 when server 1 stops', async () => {
    await waitFor(async () => (await viaServer2.get<Node>(nodesResource, '', nodeName)).metadata.name === nodeName, { message: 'the Node registered' });
    const before = await waitFor(async () => (await viaServer2.get<Lease>(leasesResource, 'kube-node-lease', nodeName)).spec?.renewTime, { message: 'the node Lease' });

    await servers[0]!.close();

    // The Lease is renewed after the stop (every 10 s by default), through server 2.
    await waitFor(
      async () => {
        const renew = (await viaServer2.get<Lease>(leasesResource, 'kube-node-lease', nodeName)).spec?.renewTime;
        return renew !== undefined && renew !== before;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'a Lease renewal after server 1 stopped' },
    );

    // A pod bound after the stop reaches the agent (its watch moved to server 2) and runs.
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'after-failover', namespace: 'default' },
      spec: { nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${marker}`] }] },
    } as Pod;
    await viaServer2.create(podsResource, 'default', pod);
    await waitFor(async () => (await viaServer2.get<Pod>(podsResource, 'default', 'after-failover')).status?.phase === 'Running', {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: 'the pod Running, reported through server 2',
    });
    expect(pidsWith(marker).length).toBeGreaterThan(0);

    // A graceful delete is finished by the agent (it stops the process, then removes the object).
    await viaServer2.delete(podsResource, 'default', 'after-failover');
    await waitFor(
      async () => {
        try {
          await viaServer2.get<Pod>(podsResource, 'default', 'after-failover');
          return false;
        } catch (e) {
          return isNotFound(e);
        }
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'the agent to finish the graceful delete' },
    );
    await waitFor(() => pidsWith(marker).length === 0, { message: 'the pod process to be stopped' });
    // It was server 1 that the agent used until it stopped, and then server 2.
    expect(agent.output()).toContain(`API server ${servers[0]!.server.url} failed`);
    expect(agent.output()).toContain(`using ${servers[1]!.server.url}`);
    expect(agent.output()).not.toMatch(/unhandled|TypeError/i);
  }, 90_000);
});
