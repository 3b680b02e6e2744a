import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lease, Node, NodeCondition, Pod, Taint, Toleration } from '../../api/types.js';
import { leasesResource, nodesResource, podsResource } from '../../client/index.js';
import { FakeApiClient, FakeClock, FakeRecorder } from '../../client/testing/index.js';
import { NodeLifecycleController, zoneKeyOf, type NodeLifecycleControllerOptions } from './node-lifecycle-controller.js';

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const isoMicro = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

interface Env {
  client: FakeApiClient;
  clock: FakeClock;
  ctrl: NodeLifecycleController;
  nodeEvents: FakeRecorder;
  podEvents: FakeRecorder;
}

const stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
});

async function env(opts: Partial<NodeLifecycleControllerOptions> = {}, nodeNames: string[] = ['n1']): Promise<Env> {
  const clock = new FakeClock();
  const client = new FakeApiClient(clock);
  for (const n of nodeNames) await addNode(client, clock, n);
  const nodeEvents = new FakeRecorder();
  const podEvents = new FakeRecorder();
  const ctrl = new NodeLifecycleController({ client, clock, recorder: nodeEvents, evictionRecorder: podEvents, ...opts });
  ctrl.informers.start();
  await ctrl.informers.waitForCacheSync();
  return { client, clock, ctrl, nodeEvents, podEvents };
}

async function addNode(client: FakeApiClient, clock: FakeClock, name: string): Promise<void> {
  const now = iso(clock.now());
  await client.create<Node>(nodesResource, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
  await client.create<Lease>(leasesResource, 'kube-node-lease', {
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: isoMicro(clock.now()) },
  });
}

async function renewLease(e: Env, name: string): Promise<void> {
  const l = await e.client.get<Lease>(leasesResource, 'kube-node-lease', name);
  l.spec = { ...l.spec, renewTime: isoMicro(e.clock.now()) };
  await e.client.update(leasesResource, 'kube-node-lease', l);
}

/** The agent posts Ready=status with a fresh heartbeat. */
async function postReady(e: Env, name: string, status: NodeCondition['status']): Promise<void> {
  const n = await e.client.get<Node>(nodesResource, '', name);
  const now = iso(e.clock.now());
  const prev = n.status?.conditions?.find((c) => c.type === 'Ready');
  const transition = prev?.status === status ? prev.lastTransitionTime : now;
  n.status = { ...n.status, conditions: [{ type: 'Ready', status, lastHeartbeatTime: now, lastTransitionTime: transition }] };
  await e.client.updateStatus(nodesResource, '', n);
}

async function node(e: Env, name: string): Promise<Node> {
  return e.client.get<Node>(nodesResource, '', name);
}

const taintStrings = (n: Node): string[] => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

async function addPod(e: Env, name: string, nodeName: string, tolerations?: Toleration[]): Promise<Pod> {
  return e.client.create<Pod>(podsResource, 'default', {
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'i' }], ...(tolerations ? { tolerations } : {}) },
  });
}

const podNames = (e: Env): string[] => e.client.objectsOf<Pod>(podsResource).map((p) => p.metadata.name!).sort();

/** A running pod's Ready conditions, as its agent writes them. */
const readyConds = (t: number) => [
  { type: 'Ready' as const, status: 'True' as const, lastTransitionTime: iso(t) },
  { type: 'ContainersReady' as const, status: 'True' as const, lastTransitionTime: iso(t) },
];

/** Monitor pass, then the NoExecute tainting pass, then the NoSchedule pass for every node. */
async function pass(e: Env): Promise<void> {
  await e.ctrl.monitorNodeHealth();
  await e.ctrl.doNoExecuteTaintingPass();
  for (const n of e.client.objectsOf<Node>(nodesResource)) await e.ctrl.doNoScheduleTaintingPass(n.metadata.name!);
}

function runEviction(e: Env): void {
  const stop = new AbortController();
  stops.push(stop);
  void e.ctrl.taintEviction!.run(stop.signal);
}

describe('node health', () => {
  it('a silent node becomes Unknown after the grace period and gets the unreachable taints', async () => {
    const e = await env({}, ['n1', 'n2']);
    await pass(e);
    e.clock.advance(30_000);
    await renewLease(e, 'n2'); // n2 stays alive through its lease only
    await pass(e);
    e.clock.advance(20_000); // exactly the grace period since n1's last sign of life
    await pass(e);
    expect((await node(e, 'n1')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    e.clock.advance(1_000);
    await pass(e);

    const n1 = await node(e, 'n1');
    const ready = n1.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(ready?.lastHeartbeatTime).toBe(iso(Date.UTC(2024, 0, 1)));
    expect(n1.status?.conditions?.find((c) => c.type === 'MemoryPressure')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    expect(n1.status?.conditions?.map((c) => c.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    // The NoSchedule taint follows the condition at once; the NoExecute one comes a monitor
    // pass later, from the Unknown that pass finds (as upstream).
    expect(taintStrings(n1)).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    e.clock.advance(5_000);
    await pass(e);
    const tainted = await node(e, 'n1');
    expect(taintStrings(tainted)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const noExec = tainted.spec?.taints?.find((t) => t.effect === 'NoExecute');
    expect(noExec?.timeAdded).toBe(iso(e.clock.now()));
    expect(e.nodeEvents.events).toContain('Normal NodeNotReady Node n1 status is now: NodeNotReady');

    const n2 = await node(e, 'n2');
    expect(n2.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n2.spec?.taints ?? []).toEqual([]);
  });

  it('marks the pods of a node that stopped reporting not Ready (once, with an event), and only there', async () => {
    const e = await env({}, ['n1', 'n2']);
    for (const [name, nodeName] of [['d1', 'n1'], ['d2', 'n2'], ['pending', 'n1']] as const) {
      const p = await addPod(e, name, nodeName, [{ operator: 'Exists' }]);
      if (name !== 'pending') await e.client.updateStatus(podsResource, 'default', { ...p, status: { phase: 'Running', conditions: readyConds(e.clock.now()) } });
    }
    await pass(e);
    e.clock.advance(30_000);
    await renewLease(e, 'n2');
    await pass(e);
    e.clock.advance(21_000);
    await pass(e);
    const cond = async (name: string) => (await e.client.get<Pod>(podsResource, 'default', name)).status?.conditions;
    expect((await cond('d1'))?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: iso(e.clock.now()) });
    // Only Ready flips, as upstream; the other conditions stay as the agent wrote them.
    expect((await cond('d1'))?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    expect((await cond('d2'))?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await cond('pending')).toBeUndefined();
    expect(e.nodeEvents.events.filter((ev) => ev === 'Warning NodeNotReady Node is not ready')).toHaveLength(1);
    const rv = (await e.client.get<Pod>(podsResource, 'default', 'd1')).metadata.resourceVersion;
    e.clock.advance(5_000);
    await pass(e);
    expect((await e.client.get<Pod>(podsResource, 'default', 'd1')).metadata.resourceVersion).toBe(rv); // acted on once
  });

  it('a node that never posted Ready is judged with the startup grace period', async () => {
    const e = await env({ startupGracePeriodMs: 60_000 }, []);
    await e.client.create<Node>(nodesResource, '', { metadata: { name: 'fresh' }, spec: {} });
    await pass(e);
    e.clock.advance(55_000);
    await pass(e);
    expect((await node(e, 'fresh')).status?.conditions ?? []).toEqual([]);
    e.clock.advance(6_000);
    await pass(e);
    expect((await node(e, 'fresh')).status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated' });
  });

  it('Ready=False gives the not-ready taints; reporting Ready=True removes them', async () => {
    const e = await env({}, ['n1', 'n2', 'n3']);
    await pass(e);
    e.clock.advance(5_000);
    await postReady(e, 'n1', 'False');
    await pass(e);
    expect(taintStrings(await node(e, 'n1'))).toEqual(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    e.clock.advance(5_000);
    await postReady(e, 'n1', 'True');
    await pass(e);
    expect((await node(e, 'n1')).spec?.taints ?? []).toEqual([]);
  });

  it('an unreachable node that comes back with Ready=False has its NoExecute taint swapped at once', async () => {
    const e = await env({}, ['n1', 'n2', 'n3']);
    await pass(e);
    e.clock.advance(51_000);
    for (const n of ['n2', 'n3']) await renewLease(e, n);
    await pass(e);
    e.clock.advance(5_000);
    await pass(e); // the NoExecute taint: a pass after the Unknown
    expect(taintStrings(await node(e, 'n1'))).toContain('node.kubernetes.io/unreachable:NoExecute');
    await postReady(e, 'n1', 'False');
    await e.ctrl.monitorNodeHealth();
    expect(taintStrings(await node(e, 'n1'))).toContain('node.kubernetes.io/not-ready:NoExecute');
    expect(taintStrings(await node(e, 'n1'))).not.toContain('node.kubernetes.io/unreachable:NoExecute');
  });

  it('renewing the lease of a node marked Unknown restores Ready and removes the taints', async () => {
    const e = await env({}, ['n1', 'n2', 'n3']);
    await pass(e);
    e.clock.advance(51_000);
    for (const n of ['n2', 'n3']) await renewLease(e, n);
    await pass(e);
    e.clock.advance(5_000);
    await pass(e); // the NoExecute taint: a pass after the Unknown
    expect(taintStrings(await node(e, 'n1'))).toHaveLength(2);
    e.clock.advance(5_000);
    await renewLease(e, 'n1');
    await pass(e);
    const n1 = await node(e, 'n1');
    expect(n1.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'NodeLeaseRenewed' });
    expect(n1.spec?.taints ?? []).toEqual([]);
  });

  it('cordon adds node.kubernetes.io/unschedulable:NoSchedule and uncordon removes it, leaving other taints alone', async () => {
    const e = await env();
    const n = await node(e, 'n1');
    n.spec = { unschedulable: true, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] };
    await e.client.update(nodesResource, '', n);
    await e.ctrl.doNoScheduleTaintingPass('n1');
    const cordoned = await node(e, 'n1');
    expect(taintStrings(cordoned)).toEqual(['dedicated:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']);
    const n2 = structuredClone(cordoned);
    delete n2.spec!.unschedulable;
    await e.client.update(nodesResource, '', n2);
    await e.ctrl.doNoScheduleTaintingPass('n1');
    expect(taintStrings(await node(e, 'n1'))).toEqual(['dedicated:NoSchedule']);
  });

  it('keeps the deprecated beta.kubernetes.io/os and /arch labels equal to kubernetes.io/os and /arch, as upstream', async () => {
    const e = await env({}, ['n1', 'n2', 'n3']);
    const label = async (name: string, labels: Record<string, string>): Promise<void> => {
      const n = await node(e, name);
      await e.client.update(nodesResource, '', { ...n, metadata: { ...n.metadata, labels } });
    };
    await label('n1', { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/arch': 'amd64', other: 'x' });
    await label('n2', { 'beta.kubernetes.io/os': 'windows' });
    await label('n3', { 'kubernetes.io/os': 'linux', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/arch': 'amd64' });
    const rv3 = (await node(e, 'n3')).metadata.resourceVersion;
    // (Once the controller's cache has the new labels.)
    await vi.waitFor(async () => {
      await e.ctrl.reconcileNodeLabels('n1');
      expect((await node(e, 'n1')).metadata.labels).toEqual({ 'kubernetes.io/os': 'linux', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/arch': 'arm64', other: 'x' });
    });
    for (const n of ['n2', 'n3']) await e.ctrl.reconcileNodeLabels(n);
    // Without the stable label nothing is touched; already equal, nothing is written.
    expect((await node(e, 'n2')).metadata.labels).toEqual({ 'beta.kubernetes.io/os': 'windows' });
    expect((await node(e, 'n3')).metadata.resourceVersion).toBe(rv3);
  });
});

const daemonTolerations: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
];

async function taintNode(e: Env, name: string, taints: Taint[]): Promise<void> {
  const n = await node(e, name);
  n.spec = { ...n.spec, taints };
  await e.client.update(nodesResource, '', n);
}

describe('taint-based eviction', () => {
  it('evicts intolerant pods at once, tolerating ones after tolerationSeconds, and keeps daemon pods', async () => {
    const e = await env({}, ['n1', 'n2']);
    await addPod(e, 'plain', 'n1');
    await addPod(e, 'five-seconds', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]);
    await addPod(e, 'daemon', 'n1', daemonTolerations);
    await addPod(e, 'elsewhere', 'n2');
    runEviction(e);
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(e.clock.now()) }]);
    await vi.waitFor(() => expect(podNames(e)).toEqual(['daemon', 'elsewhere', 'five-seconds']));
    expect(e.ctrl.taintEviction!.scheduledEvictions()).toEqual([{ pod: 'default/five-seconds', at: e.clock.now() + 5_000 }]);
    e.clock.advance(4_999);
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['daemon', 'elsewhere', 'five-seconds']);
    e.clock.advance(1);
    await vi.waitFor(() => expect(podNames(e)).toEqual(['daemon', 'elsewhere']));
    e.clock.advance(3_600_000);
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['daemon', 'elsewhere']);
    expect(e.podEvents.events).toEqual([
      'Normal TaintManagerEviction Marking for deletion Pod default/plain',
      'Normal TaintManagerEviction Marking for deletion Pod default/five-seconds',
    ]);
    // As upstream: each pod was marked DisruptionTarget (DeletionByTaintManager) before its delete.
    for (const name of ['plain', 'five-seconds']) {
      const calls = e.client.actions.filter((c) => c.name === name && (c.verb === 'patch' || c.verb === 'delete'));
      expect(calls.map((c) => c.verb)).toEqual(['patch', 'delete']);
      expect(calls[0]!.patch).toEqual({ status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: expect.any(String) }] } });
    }
  });

  it('removing the taint before tolerationSeconds cancels the eviction', async () => {
    const e = await env();
    await addPod(e, 'patient', 'n1', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    runEviction(e);
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(1));
    e.clock.advance(100_000);
    await taintNode(e, 'n1', []);
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(0));
    e.clock.advance(300_000);
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['patient']);
    expect(e.podEvents.events).toEqual(['Normal TaintManagerEviction Cancelling deletion of Pod default/patient']);
  });

  it('deleting the node leaves its pods\' scheduled deletions as they are, with no event, as upstream (the pod GC removes the pods)', async () => {
    const e = await env({}, ['n1', 'n2']);
    await addPod(e, 'stranded', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }]);
    runEviction(e);
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(1));
    await e.client.delete(nodesResource, '', 'n1');
    e.clock.advance(1_000);
    await e.ctrl.taintEviction!.idle();
    expect(e.ctrl.taintEviction!.scheduledEvictions()).toEqual([{ pod: 'default/stranded', at: expect.any(Number) }]);
    expect(e.podEvents.events).toEqual([]);
  });

  it("a scheduled deletion stands when the pod's tolerationSeconds change afterwards, as upstream", async () => {
    const e = await env();
    await addPod(e, 'shortened', 'n1', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    await addPod(e, 'lengthened', 'n1', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    runEviction(e);
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(2));
    e.clock.advance(20_000);
    const tolerate = (seconds: number) => ({ spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds }] } });
    await e.client.patch(podsResource, 'default', 'shortened', 'merge', tolerate(10));
    await e.client.patch(podsResource, 'default', 'lengthened', 'merge', tolerate(3600));
    await e.ctrl.taintEviction!.idle();
    e.clock.advance(200_000);
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['lengthened', 'shortened']);
    expect(e.podEvents.events).toEqual([]);
    e.clock.advance(80_000);
    await vi.waitFor(() => expect(podNames(e)).toEqual([]));
  });

  it('a scheduled deletion given up (the pod deleted, or a taint it does not tolerate) is reported as cancelled, as upstream', async () => {
    const e = await env();
    const wait = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] as Toleration[];
    await addPod(e, 'deleted', 'n1', wait);
    await addPod(e, 'intolerant', 'n1', wait);
    runEviction(e);
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(2));
    await e.client.delete(podsResource, 'default', 'deleted');
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(1));
    await taintNode(e, 'n1', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }, { key: 'maintenance', effect: 'NoExecute' }]);
    await vi.waitFor(() => expect(podNames(e)).toEqual([]));
    expect(e.ctrl.taintEviction!.scheduledEvictions()).toEqual([]);
    expect(e.podEvents.events).toEqual([
      'Normal TaintManagerEviction Cancelling deletion of Pod default/deleted',
      'Normal TaintManagerEviction Cancelling deletion of Pod default/intolerant',
      'Normal TaintManagerEviction Marking for deletion Pod default/intolerant',
    ]);
  });

  it('NoExecute tainting is rate-limited per zone (0.1 nodes/s): pods on the second silent node go 10 s later', async () => {
    const e = await env({}, ['a', 'b', 'c', 'd', 'e']);
    await addPod(e, 'on-a', 'a');
    await addPod(e, 'on-b', 'b');
    runEviction(e);
    await pass(e);
    e.clock.advance(51_000);
    for (const n of ['c', 'd', 'e']) await renewLease(e, n);
    await pass(e);
    e.clock.advance(5_000);
    await pass(e); // the NoExecute taint: a pass after the Unknown
    const tainted = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const n of ['a', 'b']) if (taintStrings(await node(e, n)).includes('node.kubernetes.io/unreachable:NoExecute')) out.push(n);
      return out;
    };
    expect(await tainted()).toHaveLength(1);
    expect(e.ctrl.pendingTainting()).toHaveLength(1);
    await vi.waitFor(() => expect(podNames(e)).toHaveLength(1));
    e.clock.advance(5_000);
    await e.ctrl.doNoExecuteTaintingPass();
    expect(await tainted()).toHaveLength(1);
    e.clock.advance(5_000);
    await e.ctrl.doNoExecuteTaintingPass();
    expect(await tainted()).toEqual(['a', 'b']);
    await vi.waitFor(() => expect(podNames(e)).toEqual([]));
  });

  it('a node excluded from disruption (the label present, even empty) in a zone of its own is still tainted when it goes silent', async () => {
    const e = await env({}, ['x', 'w', 'y']);
    const labelled = [
      ['x', { 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/exclude-disruption': 'true' }],
      ['w', { 'topology.kubernetes.io/zone': 'z3', 'node.kubernetes.io/exclude-disruption': '' }],
      ['y', { 'topology.kubernetes.io/zone': 'z2' }],
    ] as const;
    for (const [n, labels] of labelled) {
      const cur = await node(e, n);
      await e.client.update(nodesResource, '', { ...cur, metadata: { ...cur.metadata, labels } });
    }
    await pass(e);
    // Zones of excluded nodes only have no health state, whatever the label's value.
    expect([e.ctrl.zoneState(':\u0000:z1'), e.ctrl.zoneState(':\u0000:z3'), e.ctrl.zoneState(':\u0000:z2')]).toEqual([undefined, undefined, 'Normal']);
    await renewLease(e, 'w');
    e.clock.advance(51_000);
    await renewLease(e, 'y');
    await renewLease(e, 'w');
    await pass(e);
    e.clock.advance(1_000);
    await pass(e);
    expect(taintStrings(await node(e, 'x'))).toContain('node.kubernetes.io/unreachable:NoExecute');
    expect(taintStrings(await node(e, 'y'))).toEqual([]);
  });

  it('a partially disrupted small zone stops NoExecute tainting', async () => {
    const e = await env({}, ['a', 'b', 'c', 'd']);
    await addPod(e, 'on-a', 'a');
    runEviction(e);
    await pass(e);
    e.clock.advance(51_000);
    await renewLease(e, 'd');
    await pass(e);
    expect(e.ctrl.zoneState()).toBe('PartialDisruption');
    for (let i = 0; i < 10; i++) {
      e.clock.advance(10_000);
      await renewLease(e, 'd');
      await pass(e);
    }
    for (const n of ['a', 'b', 'c']) {
      expect(taintStrings(await node(e, n))).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    }
    expect(podNames(e)).toEqual(['on-a']);
  });

  it('the last node of a zone to go silent is not tainted NoExecute, even when the tainting timer fires during the pass that marks it Unknown', async () => {
    const e = await env({}, ['a', 'b']);
    const onB = await addPod(e, 'on-b', 'b', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]);
    await e.client.updateStatus(podsResource, 'default', { ...onB, status: { phase: 'Running', conditions: readyConds(e.clock.now()) } });
    runEviction(e);
    await pass(e);
    e.clock.advance(25_000);
    await renewLease(e, 'b');
    e.clock.advance(26_000); // a silent for 51 s: Unknown, then tainted a pass later
    await pass(e);
    e.clock.advance(5_000);
    await pass(e);
    expect(taintStrings(await node(e, 'a'))).toContain('node.kubernetes.io/unreachable:NoExecute');
    // The tainting loop runs on its own timer (every 100 ms); here it fires while the pass that
    // marks b Unknown writes b's pod not Ready, before the pass looks at the zone as a whole.
    const update = e.client.updateStatus.bind(e.client);
    e.client.updateStatus = (async (r: Parameters<typeof update>[0], ns: string, obj: Pod) => {
      const out = await update(r, ns, obj);
      if (obj.metadata.name === 'on-b') await e.ctrl.doNoExecuteTaintingPass();
      return out;
    }) as typeof e.client.updateStatus;
    e.clock.advance(51_000); // b silent past its grace period: full disruption
    await pass(e);
    expect(e.ctrl.zoneState()).toBe('FullDisruption');
    for (let i = 0; i < 4; i++) {
      for (const n of ['a', 'b']) expect(taintStrings(await node(e, n))).not.toContain('node.kubernetes.io/unreachable:NoExecute');
      e.clock.advance(5_000);
      await pass(e);
    }
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['on-b']);
  });

  it('when every node is down nothing is evicted and NoExecute taints are lifted', async () => {
    const e = await env({}, ['a', 'b']);
    await addPod(e, 'on-a', 'a', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 }]);
    runEviction(e);
    await pass(e);
    e.clock.advance(51_000);
    await renewLease(e, 'b');
    await pass(e);
    e.clock.advance(5_000);
    await pass(e); // the NoExecute taint: a pass after the Unknown
    expect(taintStrings(await node(e, 'a'))).toContain('node.kubernetes.io/unreachable:NoExecute');
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(1));
    e.clock.advance(51_000); // b goes silent too: full disruption
    await pass(e);
    expect(e.ctrl.zoneState()).toBe('FullDisruption');
    for (const n of ['a', 'b']) expect(taintStrings(await node(e, n))).not.toContain('node.kubernetes.io/unreachable:NoExecute');
    await vi.waitFor(() => expect(e.ctrl.taintEviction!.scheduledEvictions()).toHaveLength(0));
    for (let i = 0; i < 5; i++) {
      e.clock.advance(60_000);
      await pass(e);
      for (const n of ['a', 'b']) expect(taintStrings(await node(e, n))).not.toContain('node.kubernetes.io/unreachable:NoExecute');
    }
    await e.ctrl.taintEviction!.idle();
    expect(podNames(e)).toEqual(['on-a']);
  });
});

describe('run', () => {
  it('runs the loops on the injected clock: a silent node is tainted and its plain pod evicted', async () => {
    const e = await env({ gracePeriodMs: 20_000, monitorPeriodMs: 5_000 }, ['n1', 'n2']);
    await addPod(e, 'plain', 'n1');
    const stop = new AbortController();
    stops.push(stop);
    const done = e.ctrl.run(stop.signal);
    for (let t = 0; t < 6; t++) {
      await new Promise((r) => setTimeout(r, 5));
      e.clock.advance(5_000);
      await renewLease(e, 'n2');
    }
    await vi.waitFor(async () => {
      e.clock.advance(100);
      expect(taintStrings(await node(e, 'n1'))).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
      expect(podNames(e)).toEqual([]);
    });
    stop.abort();
    await done;
  });
});

describe('node events', () => {
  it('records RegisteredNode once per node seen and RemovingNode when it is gone, about the node by name and UID', async () => {
    const seen: { kind?: string; apiVersion?: string; name?: string; uid?: string; namespace?: string; line: string }[] = [];
    const recorder = {
      event(obj: { apiVersion?: string; kind?: string; metadata: { name?: string; uid?: string; namespace?: string } }, type: string, reason: string, message: string) {
        seen.push({ kind: obj.kind, apiVersion: obj.apiVersion, name: obj.metadata.name, uid: obj.metadata.uid, namespace: obj.metadata.namespace, line: `${type} ${reason} ${message}` });
      },
    };
    const e = await env({ recorder }, ['n1', 'n2']);
    const uid = async (name: string): Promise<string> => (await node(e, name)).metadata.uid!;
    const [u1, u2] = [await uid('n1'), await uid('n2')];
    await pass(e);
    await pass(e);
    expect(seen).toEqual([
      { kind: 'Node', apiVersion: 'v1', name: 'n1', uid: u1, namespace: undefined, line: 'Normal RegisteredNode Node n1 event: Registered Node n1 in Controller' },
      { kind: 'Node', apiVersion: 'v1', name: 'n2', uid: u2, namespace: undefined, line: 'Normal RegisteredNode Node n2 event: Registered Node n2 in Controller' },
    ]);
    seen.length = 0;
    await e.client.delete(nodesResource, '', 'n2');
    await vi.waitFor(() => expect(e.ctrl.nodeInformer.lister.get('n2')).toBeUndefined());
    await addNode(e.client, e.clock, 'n3');
    await vi.waitFor(() => expect(e.ctrl.nodeInformer.lister.get('n3')).toBeDefined());
    await pass(e);
    await pass(e);
    expect(seen.map((x) => `${x.name} ${x.uid === u2 ? 'old-uid' : 'uid'} ${x.line}`)).toEqual([
      'n3 uid Normal RegisteredNode Node n3 event: Registered Node n3 in Controller',
      'n2 old-uid Normal RemovingNode Node n2 event: Removing Node n2 from Controller',
    ]);
  });
});

describe('zoneKeyOf', () => {
  const node = (labels?: Record<string, string>): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', ...(labels ? { labels } : {}) } });
  const beta = 'failure-domain.beta.kubernetes.io/';
  const ga = 'topology.kubernetes.io/';

  it('takes the beta label before the GA one, as upstream, and a present empty value as it is', () => {
    expect(zoneKeyOf(node({ [`${ga}region`]: 'r', [`${ga}zone`]: 'z' }))).toBe('r:\u0000:z');
    expect(zoneKeyOf(node({ [`${beta}region`]: 'old', [`${ga}region`]: 'new', [`${beta}zone`]: 'zb', [`${ga}zone`]: 'zg' }))).toBe('old:\u0000:zb');
    expect(zoneKeyOf(node({ [`${beta}zone`]: '', [`${ga}zone`]: 'zg' }))).toBe('');
    expect(zoneKeyOf(node({ [`${ga}zone`]: 'z' }))).toBe(':\u0000:z');
    expect(zoneKeyOf(node())).toBe('');
  });
});
