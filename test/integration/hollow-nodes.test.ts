// Hollow nodes against the real API server and the real controllers (integration layer): 50
// hollow nodes register, a DaemonSet reaches numberAvailable 50 through the DaemonSet
// controller and the hollow pod lifecycle, the pods carry a kubelet-shaped status, and a node
// whose Lease stops being renewed is marked by the node lifecycle controller. No timing
// assertions: speed is bench/scale.ts's business.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonSet, Lease, Node, Pod } from '../../src/api/types.js';
import { HttpTransport, loadKubeconfig, RestClient, daemonSetsResource, isNotFound, leasesResource, nodesResource, podsResource } from '../../src/client/index.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { hollowNodeLabel, startHollowNodes, type HollowNodes } from '../../src/hollow/index.js';
import { Cleanup, startTestServer, waitFor } from '../helpers/index.js';

const cleanup = new Cleanup();
let client: RestClient;
let hollow: HollowNodes;
const count = 50;

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath), maxSockets: 64 });
  cleanup.defer(() => transport.destroy(), 'transport');
  client = new RestClient(transport.request);
  const cm = new ControllerManager({
    client,
    leaderElection: false,
    garbageCollector: false,
    nodeLifecycle: { gracePeriodMs: 3_000, startupGracePeriodMs: 3_000, monitorPeriodMs: 250, taintEviction: false },
  });
  cm.start();
  cleanup.defer(() => cm.stop(), 'controller manager');
  hollow = await startHollowNodes({ client, count, namePrefix: 'hollow-it-', readyDelayMs: 50, leaseDurationSeconds: 4, labels: { pool: 'hollow' } });
  cleanup.defer(() => hollow.stop(), 'hollow nodes');
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

/** Resolves once the node shows Ready True and no pressure (its agent reported its status). */
async function reportsConditionsAgain(name: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const n = await client.get<Node>(nodesResource, '', name);
      const st = Object.fromEntries((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
      return st['Ready'] === 'True' && st['MemoryPressure'] === 'False' && st['DiskPressure'] === 'False' && st['PIDPressure'] === 'False';
    },
    { timeoutMs, message: `${name} reports its conditions again` },
  );
}

describe('hollow nodes', () => {
  it('registers every node with labels, capacity, addresses and Ready, and a Lease', async () => {
    const nodes = await client.list<Node>(nodesResource, { labelSelector: `${hollowNodeLabel}=true` });
    expect(nodes.items).toHaveLength(count);
    const n = nodes.items.find((x) => x.metadata.name === 'hollow-it-7');
    expect(n?.metadata.labels).toMatchObject({ pool: 'hollow', 'kubernetes.io/hostname': 'hollow-it-7', 'kubernetes.io/os': 'linux' });
    expect(n?.status?.capacity?.['pods']).toBe('110');
    expect(n?.status?.addresses?.some((a) => a.type === 'InternalIP')).toBe(true);
    expect(n?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const lease = await client.get<Lease>(leasesResource, 'kube-node-lease', 'hollow-it-7');
    expect(lease.spec?.holderIdentity).toBe('hollow-it-7');
    expect(lease.spec?.leaseDurationSeconds).toBe(4);
    expect(hollow.nodeNames()).toHaveLength(count);
  });

  it('plays the pod lifecycle: a DaemonSet reaches numberAvailable on every hollow node', async () => {
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        // Requests, as the scale bench's daemon has: the pods are Burstable, which the API server
        // records at create and the hollow status writes must keep.
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'example.com/agent:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
      },
    };
    await client.create(daemonSetsResource, 'default', ds);
    const status = await waitFor(
      async () => {
        const cur = await client.get<DaemonSet>(daemonSetsResource, 'default', 'agent');
        return cur.status?.numberAvailable === count ? cur.status : false;
      },
      { timeoutMs: 60_000, message: `DaemonSet numberAvailable == ${count}` },
    );
    expect(status.desiredNumberScheduled).toBe(count);
    const pods = await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=agent' });
    expect(pods.items).toHaveLength(count);
    const nodesWithPods = new Set(pods.items.map((p) => p.spec.nodeName));
    expect(nodesWithPods.size).toBe(count);
    const p = pods.items[0]!;
    expect(p.status?.phase).toBe('Running');
    expect(p.status?.qosClass).toBe('Burstable');
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ name: 'agent', image: 'example.com/agent:1', ready: true });
    expect(p.status?.podIP).toMatch(/^10\./);
    expect(p.status?.podIP).not.toBe(p.status?.hostIP);
    expect(hollow.stats().podsRunning).toBe(count);
  }, 90_000);

  it('finishes deleting a pod held by a finalizer once the finalizer goes, as the kubelet does', async () => {
    await client.create(podsResource, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'held', finalizers: ['example.com/hold'] },
      spec: { nodeName: 'hollow-it-2', containers: [{ name: 'c', image: 'example.com/c:1' }] },
    } as Pod);
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'held')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'held Running' });
    await client.delete(podsResource, 'default', 'held');
    // The node stops it and deletes it with grace 0; the finalizer keeps the object.
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'held')).metadata.deletionGracePeriodSeconds === 0, { timeoutMs: 30_000, message: 'held deleted by its node (grace 0)' });
    await client.patch(podsResource, 'default', 'held', 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
    await waitFor(async () => {
      try {
        await client.get<Pod>(podsResource, 'default', 'held');
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    }, { timeoutMs: 10_000, message: 'held gone once its finalizer was removed' });
  }, 60_000);

  it('keeps its conditions\' lastTransitionTime across heartbeats (only the heartbeat time moves)', async () => {
    const fast = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-ltt-', readyDelayMs: 50, nodeStatusReportSeconds: 1 });
    try {
      const first = (await client.get<Node>(nodesResource, '', 'hollow-ltt-0')).status?.conditions?.find((c) => c.type === 'Ready');
      const later = await waitFor(async () => {
        const c = (await client.get<Node>(nodesResource, '', 'hollow-ltt-0')).status?.conditions?.find((x) => x.type === 'Ready');
        return c && c.lastHeartbeatTime !== first?.lastHeartbeatTime ? c : false;
      }, { timeoutMs: 10_000, message: 'a second heartbeat of hollow-ltt-0' });
      expect(later.status).toBe('True');
      expect(later.lastTransitionTime).toBe(first?.lastTransitionTime);
    } finally {
      await fast.stop();
    }
  }, 30_000);

  it('writes a running pod\'s status again when another writer sets its Ready False (as the node lifecycle controller does to an unreachable node\'s pods)', async () => {
    await client.create(podsResource, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'marked' }, spec: { nodeName: 'hollow-it-2', containers: [{ name: 'c', image: 'example.com/c:1' }] } } as Pod);
    const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    await waitFor(async () => ready(await client.get<Pod>(podsResource, 'default', 'marked')) === 'True', { timeoutMs: 30_000, message: 'marked Ready' });
    const cur = await client.get<Pod>(podsResource, 'default', 'marked');
    expect(cur.status?.podIP).toMatch(/^10\.128\./);
    const conditions = (cur.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady' } : c));
    await client.patch(podsResource, 'default', 'marked', 'merge', { status: { conditions } }, { subresource: 'status' });
    await waitFor(async () => ready(await client.get<Pod>(podsResource, 'default', 'marked')) === 'True', { timeoutMs: 30_000, message: 'Ready again' });
    // The rewrite keeps the pod's address (a sandbox keeps its IP for the pod's life).
    expect((await client.get<Pod>(podsResource, 'default', 'marked')).status?.podIP).toBe(cur.status?.podIP);
    await client.delete(podsResource, 'default', 'marked', { gracePeriodSeconds: 0 });
  }, 60_000);

  it('a restarted hollow process writes the status again of a running pod whose Ready was set False while it was down', async () => {
    const first = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-rs-', readyDelayMs: 50 });
    let second: HollowNodes | undefined;
    try {
      await client.create(podsResource, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'restarted' }, spec: { nodeName: 'hollow-rs-0', containers: [{ name: 'c', image: 'example.com/c:1' }] } } as Pod);
      const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      await waitFor(async () => ready(await client.get<Pod>(podsResource, 'default', 'restarted')) === 'True', { timeoutMs: 30_000, message: 'restarted Ready' });
      await first.stop();
      const cur = await client.get<Pod>(podsResource, 'default', 'restarted');
      const conditions = (cur.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady' } : c));
      await client.patch(podsResource, 'default', 'restarted', 'merge', { status: { conditions } }, { subresource: 'status' });
      second = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-rs-', readyDelayMs: 50 });
      await waitFor(async () => ready(await client.get<Pod>(podsResource, 'default', 'restarted')) === 'True', { timeoutMs: 30_000, message: 'Ready again after the restart' });
    } finally {
      await client.delete(podsResource, 'default', 'restarted', { gracePeriodSeconds: 0 }).catch(() => undefined);
      await first.stop();
      await second?.stop();
    }
  }, 60_000);

  it('a restarted hollow process posts its node\'s status at once when the Node has other conditions (Unknown after an outage), not minutes later', async () => {
    const first = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-st-', readyDelayMs: 50 });
    let second: HollowNodes | undefined;
    try {
      await first.stop();
      // As the node lifecycle controller leaves a node that stopped renewing: every condition Unknown.
      const cur = await client.get<Node>(nodesResource, '', 'hollow-st-0');
      const conditions = (cur.status?.conditions ?? []).map((c) => ({ ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown' }));
      await client.patch(nodesResource, '', 'hollow-st-0', 'merge', { status: { conditions } }, { subresource: 'status' });
      second = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-st-', readyDelayMs: 50 });
      // The usual report comes 150-300 s after the start; this one within seconds.
      await reportsConditionsAgain('hollow-st-0', 15_000);
    } finally {
      await first.stop();
      await second?.stop();
    }
  }, 60_000);

  it('a hollow process that stalled past its renewals posts its node\'s status again at once, as a kubelet that finds it changed', async () => {
    const stalling = await startHollowNodes({ client, count: 1, namePrefix: 'hollow-stall-', readyDelayMs: 50, leaseDurationSeconds: 4 });
    try {
      await waitFor(async () => (await client.get<Lease>(leasesResource, 'kube-node-lease', 'hollow-stall-0')).spec?.renewTime !== undefined, { message: 'first lease' });
      // As the node lifecycle controller leaves a node that stopped renewing: every condition Unknown.
      const cur = await client.get<Node>(nodesResource, '', 'hollow-stall-0');
      const conditions = (cur.status?.conditions ?? []).map((c) => ({ ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown' }));
      await client.patch(nodesResource, '', 'hollow-stall-0', 'merge', { status: { conditions } }, { subresource: 'status' });
      // The process stalls (a stopped or starved event loop) for more than two renewal intervals.
      const until = Date.now() + 2_600;
      while (Date.now() < until) {
        /* busy */
      }
      // Its usual report is minutes away; the renewal after the stall brings it within seconds.
      await reportsConditionsAgain('hollow-stall-0', 10_000);
    } finally {
      await stalling.stop();
    }
  }, 60_000);

  it('gives a host-network pod its node\'s address', async () => {
    await client.create(podsResource, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'host-net' },
      spec: { nodeName: 'hollow-it-1', hostNetwork: true, containers: [{ name: 'c', image: 'example.com/c:1' }] },
    } as Pod);
    const pod = await waitFor(async () => {
      const cur = await client.get<Pod>(podsResource, 'default', 'host-net');
      return cur.status?.phase === 'Running' ? cur : false;
    }, { timeoutMs: 30_000, message: 'host-net Running' });
    expect(pod.status?.hostIP).toMatch(/^10\./);
    expect(pod.status?.podIP).toBe(pod.status?.hostIP);
    expect(pod.status?.podIPs).toEqual([{ ip: pod.status?.hostIP }]);
    await client.delete(podsResource, 'default', 'host-net', { gracePeriodSeconds: 0 });
  }, 60_000);

  it('a node whose Lease stops being renewed is marked Unknown by the node lifecycle controller', async () => {
    hollow.setHeartbeat('hollow-it-3', false);
    const ready = await waitFor(
      async () => {
        const n = await client.get<Node>(nodesResource, '', 'hollow-it-3');
        const c = n.status?.conditions?.find((x) => x.type === 'Ready');
        return c?.status === 'Unknown' ? c : false;
      },
      { timeoutMs: 60_000, message: 'hollow-it-3 Ready=Unknown' },
    );
    expect(ready.reason).toBe('NodeStatusUnknown');
    // A node that keeps renewing stays Ready.
    const other = await client.get<Node>(nodesResource, '', 'hollow-it-4');
    expect(other.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    // Renewing again brings it back.
    hollow.setHeartbeat('hollow-it-3', true);
    await waitFor(
      async () => {
        const n = await client.get<Node>(nodesResource, '', 'hollow-it-3');
        return n.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
      },
      { timeoutMs: 60_000, message: 'hollow-it-3 Ready=True again' },
    );
  }, 90_000);
});
