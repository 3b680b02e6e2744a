// The deprecated beta OS/arch node labels (beta.kubernetes.io/os, beta.kubernetes.io/arch),
// which the kubelet still sets beside kubernetes.io/os and kubernetes.io/arch: hollow nodes and
// the node agent register with them and restore them on re-registration (the kubelet's
// updateDefaultLabels), and a DaemonSet of an older manifest selecting on them runs on every
// node. Real API server and controllers (integration layer).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../src/agent/index.js';
import { goArch } from '../../src/agent/node-status.js';
import type { DaemonSet, Node } from '../../src/api/types.js';
import { HttpTransport, loadKubeconfig, RestClient, daemonSetsResource, nodesResource } from '../../src/client/index.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { hollowNodeLabel, startHollowNodes } from '../../src/hollow/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { Cleanup, makeTempDir, startTestServer, waitFor } from '../helpers/index.js';

const cleanup = new Cleanup();
let client: RestClient;
let agent: RunningAgent;
const count = 3;
const prefix = 'beta-lbl-';
const agentNode = 'beta-lbl-agent';

beforeAll(async () => {
  const ts = await startTestServer(cleanup);
  const server = ts.server;
  const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
  cleanup.defer(() => transport.destroy(), 'transport');
  client = new RestClient(transport.request);
  // The agent's Node as an earlier agent registered it: no beta labels; tainted so that the
  // DaemonSet below (whose image runs nothing) stays off it.
  await client.create<Node>(nodesResource, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: agentNode, labels: { 'kubernetes.io/hostname': agentNode, 'kubernetes.io/os': process.platform, 'kubernetes.io/arch': goArch(), mine: 'kept' } },
    spec: { taints: [{ key: 'example.com/no-daemons', effect: 'NoSchedule' }] },
  });
  const id = await server.issueNodeIdentity(agentNode, ['127.0.0.1']);
  const agentClient = new RestClient(new HttpTransport({ server: server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem }).request);
  agent = await startAgent({
    client: agentClient,
    tls: { certPem: id.servingCertPem, keyPem: id.servingKeyPem, caPem: id.caPem },
    nodeName: agentNode,
    nodeIP: '127.0.0.1',
    port: 0,
    dataDir: makeTempDir(cleanup, 'agent'),
    labels: {},
    taints: [],
    logger: silentLogger,
  });
  cleanup.defer(() => agent.stop({ stopPods: true, gracePeriodSeconds: 0 }), 'agent');
  await agent.ready();
  // A node registered earlier, without the beta labels and with a stale GA os label, and a label of a user.
  await client.create<Node>(nodesResource, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `${prefix}0`, labels: { 'kubernetes.io/hostname': `${prefix}0`, 'kubernetes.io/os': 'plan9', [hollowNodeLabel]: 'true', mine: 'kept' } },
    spec: {},
  });
  const cm = new ControllerManager({ client, leaderElection: false, garbageCollector: false, nodeLifecycle: false });
  cm.start();
  cleanup.defer(() => cm.stop(), 'controller manager');
  const hollow = await startHollowNodes({ client, count, namePrefix: prefix, readyDelayMs: 20 });
  cleanup.defer(() => hollow.stop(), 'hollow nodes');
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

describe('beta OS/arch node labels', () => {
  it('the agent merges them into its existing Node on registration, keeping other labels', async () => {
    const n = await client.get<Node>(nodesResource, '', agentNode);
    expect(n.metadata.labels).toEqual({
      'kubernetes.io/hostname': agentNode,
      'kubernetes.io/os': process.platform,
      'kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': process.platform,
      'beta.kubernetes.io/arch': goArch(),
      mine: 'kept',
    });
  });

  it('hollow nodes carry them; re-registration restores the default labels and keeps the others', async () => {
    const nodes = (await client.list<Node>(nodesResource, { labelSelector: `${hollowNodeLabel}=true` })).items;
    expect(nodes).toHaveLength(count);
    for (const n of nodes) {
      expect(n.metadata.labels, n.metadata.name).toMatchObject({
        'kubernetes.io/hostname': n.metadata.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
      });
    }
    expect(nodes.find((n) => n.metadata.name === `${prefix}0`)?.metadata.labels?.['mine']).toBe('kept');
  });

  it('a DaemonSet selecting beta.kubernetes.io/os=linux runs on every node', async () => {
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'legacy-selector', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'legacy-selector' } },
        template: {
          metadata: { labels: { app: 'legacy-selector' } },
          spec: { nodeSelector: { 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64' }, containers: [{ name: 'c', image: 'example.com/c:1' }] },
        },
      },
    };
    await client.create(daemonSetsResource, 'default', ds);
    const status = await waitFor(
      async () => {
        const cur = await client.get<DaemonSet>(daemonSetsResource, 'default', 'legacy-selector');
        return cur.status?.numberAvailable === count ? cur.status : false;
      },
      { timeoutMs: 30_000, message: `DaemonSet numberAvailable == ${count}` },
    );
    expect(status.desiredNumberScheduled).toBe(count);
  }, 60_000);
});
