// The DaemonSet controller inside the real API server (in-process transport), driven through
// HTTP the way kubectl and node agents drive it: one pod per eligible node as nodes join,
// leave, change labels and taints; status and events converge.
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonSet, Event, Node, Pod } from '../../src/api/types.js';
import { daemonSetsResource, eventsResource, nodesResource } from '../../src/client/index.js';
import { Cleanup, waitFor } from '../helpers/index.js';
import {
  type Cluster,
  EventLog,
  byNode,
  createNodes,
  getDs,
  listPods,
  makeDaemonSet,
  makeNode,
  ns,
  ownerName,
  patchRetrying,
  replayPods,
  rolledOut,
  startCluster,
  startEventLogAndKubelet,
} from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function podsPerNode(c: Cluster, app: string): Promise<Map<string, Pod[]>> {
  return byNode(await listPods(c, app));
}

/** Waits until `app` has exactly one live pod on each of `nodes` and none elsewhere. */
async function waitForPlacement(c: Cluster, app: string, nodes: string[]): Promise<Map<string, Pod[]>> {
  const want = [...nodes].sort().join(',');
  return waitFor(
    async () => {
      const m = await podsPerNode(c, app);
      const got = [...m.keys()].sort().join(',');
      const single = [...m.values()].every((l) => l.length === 1);
      return got === want && single ? m : false;
    },
    { message: `${app} pods on exactly [${want}]` },
  );
}

/** No node ever held two live pods of `app` (no surge configured in these tests). */
function assertNoDuplicates(log: EventLog, app: string): void {
  replayPods(log.of<Pod>('pods'), (live, e) => {
    const seen = new Map<string, string>();
    for (const p of live.values()) {
      if (p.metadata.labels?.app !== app || p.metadata.deletionTimestamp || !p.spec.nodeName) continue;
      const prev = seen.get(p.spec.nodeName);
      if (prev) throw new Error(`node ${p.spec.nodeName} held ${prev} and ${p.metadata.name} at event ${e.seq}`);
      seen.set(p.spec.nodeName, p.metadata.name ?? '');
    }
  });
}

describe('DaemonSet placement against the real API server', () => {
  it('runs one pod per node; a joining node gets one; a deleted node loses its pod; status and events converge', async () => {
    const c = await startCluster(cleanup);
    const { log, kubelet } = await startEventLogAndKubelet(cleanup, c);

    await createNodes(c, ['n1', 'n2', 'n3']);
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('agent'));
    const first = await waitForPlacement(c, 'agent', ['n1', 'n2', 'n3']);

    // Every pod is a daemon pod as upstream makes them.
    const ds = await getDs(c, 'agent');
    for (const [node, [pod]] of first) {
      expect(pod!.metadata.generateName).toBe('agent-');
      expect(pod!.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(pod!.metadata.labels?.['controller-revision-hash']).toMatch(/^[a-z0-9]+$/);
      expect(pod!.metadata.labels?.['pod-template-generation']).toBe('1');
      expect(pod!.spec.nodeName).toBe(node);
      const terms = pod!.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      expect(terms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }]);
      expect(pod!.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toContain('node.kubernetes.io/unreachable:NoExecute');
    }

    // Status converges, observedGeneration included.
    await waitFor(async () => rolledOut(await getDs(c, 'agent'), 3), { message: 'status of 3 ready pods' });

    // A node joins.
    await c.client.create(nodesResource, '', makeNode('n4'));
    const withN4 = await waitForPlacement(c, 'agent', ['n1', 'n2', 'n3', 'n4']);
    // Pods on the other nodes were left alone.
    for (const n of ['n1', 'n2', 'n3']) expect(withN4.get(n)![0]!.metadata.uid).toBe(first.get(n)![0]!.metadata.uid);

    // A node is deleted: the pod GC removes its pod.
    await c.client.delete(nodesResource, '', 'n2');
    await waitForPlacement(c, 'agent', ['n1', 'n3', 'n4']);
    await waitFor(async () => rolledOut(await getDs(c, 'agent'), 3), { message: 'status back to 3 desired' });

    // Events: one SuccessfulCreate per pod, as upstream words it.
    const events = (await c.client.list<Event>(eventsResource, { namespace: ns })).items.filter((e) => e.involvedObject.name === 'agent');
    const creates = events.filter((e) => e.reason === 'SuccessfulCreate');
    expect(creates.length).toBe(4);
    expect(creates[0]!.message).toMatch(/^Created pod: agent-[a-z0-9]{5}$/);
    expect(creates[0]!.involvedObject).toMatchObject({ kind: 'DaemonSet', apiVersion: 'apps/v1', name: 'agent', uid: ds.metadata.uid });
    // The component only, as upstream's controllers record: no host, no reporting instance.
    expect(creates[0]!.source).toEqual({ component: 'daemonset-controller' });
    expect(creates[0]!.reportingComponent).toBe('daemonset-controller');
    expect(creates[0]!.reportingInstance ?? '').toBe('');

    assertNoDuplicates(log, 'agent');
    expect(kubelet.failures()).toEqual([]);
  });

  it('follows node labels (nodeSelector) and taints (tolerations); misscheduled pods are removed', async () => {
    const c = await startCluster(cleanup);
    const { log } = await startEventLogAndKubelet(cleanup, c);

    await createNodes(c, ['a1', 'a2'], { role: 'edge' });
    await createNodes(c, ['b1']);
    await c.client.create(nodesResource, '', makeNode('t1', { role: 'edge' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('edge', { nodeSelector: { role: 'edge' } }));
    await c.client.create(
      daemonSetsResource,
      ns,
      makeDaemonSet('gpu', { nodeSelector: { role: 'edge' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
    );
    await waitForPlacement(c, 'edge', ['a1', 'a2']);
    await waitForPlacement(c, 'gpu', ['a1', 'a2', 't1']);

    // Relabel: b1 joins the selector, a2 leaves it.
    await patchRetrying(c, nodesResource, '', 'b1', { metadata: { labels: { role: 'edge' } } }, 'merge');
    await patchRetrying(c, nodesResource, '', 'a2', { metadata: { labels: { role: null } } }, 'merge');
    await waitForPlacement(c, 'edge', ['a1', 'b1']);
    await waitForPlacement(c, 'gpu', ['a1', 'b1', 't1']);
    await waitFor(async () => {
      const s = (await getDs(c, 'edge')).status;
      return s?.desiredNumberScheduled === 2 && s.numberMisscheduled === 0 && s.currentNumberScheduled === 2;
    });

    // A NoExecute taint the DS does not tolerate evicts nothing by itself, but the DS controller
    // stops wanting the pod there (shouldContinueRunning false) and deletes it.
    await patchRetrying(c, nodesResource, '', 'a1', { spec: { taints: [{ key: 'maintenance', value: 'now', effect: 'NoExecute' }] } }, 'merge');
    await waitForPlacement(c, 'edge', ['b1']);
    // Removing the taint brings it back.
    await patchRetrying(c, nodesResource, '', 'a1', { spec: { taints: null } }, 'merge');
    await waitForPlacement(c, 'edge', ['a1', 'b1']);

    // A NoSchedule taint keeps running pods (shouldContinueRunning) but blocks new ones.
    const before = await podsPerNode(c, 'edge');
    await patchRetrying(c, nodesResource, '', 'b1', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }, 'merge');
    await c.client.create(nodesResource, '', makeNode('c1', { role: 'edge' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
    await waitFor(async () => (await getDs(c, 'edge')).status?.desiredNumberScheduled === 1, { message: 'edge desired=1 with b1 tainted NoSchedule' });
    const after = await podsPerNode(c, 'edge');
    expect(after.get('b1')?.[0]?.metadata.uid).toBe(before.get('b1')?.[0]?.metadata.uid);
    expect(after.has('c1')).toBe(false);
    expect((await getDs(c, 'edge')).status?.numberMisscheduled).toBe(1);

    // SuccessfulDelete events were recorded for the removed pods.
    const events = (await c.client.list<Event>(eventsResource, { namespace: ns })).items;
    expect(events.some((e) => e.involvedObject.name === 'edge' && e.reason === 'SuccessfulDelete' && /^Deleted pod: edge-/.test(e.message ?? ''))).toBe(true);

    for (const app of ['edge', 'gpu']) assertNoDuplicates(log, app);
    for (const p of await listPods(c, 'edge')) expect(ownerName(p)).toBe('edge');
  });

  it('a DaemonSet whose nodes are all gone converges to zero', async () => {
    const c = await startCluster(cleanup);
    await createNodes(c, ['z1', 'z2']);
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('zero'));
    await waitForPlacement(c, 'zero', ['z1', 'z2']);
    for (const n of ['z1', 'z2']) await c.client.delete(nodesResource, '', n);
    await waitFor(async () => (await listPods(c, 'zero')).length === 0, { message: 'no pods left' });
    await waitFor(async () => {
      const s = (await getDs(c, 'zero')).status;
      return s?.desiredNumberScheduled === 0 && s.currentNumberScheduled === 0;
    });
    const nodes = (await c.client.list<Node>(nodesResource)).items;
    expect(nodes).toEqual([]);
    const ds = await c.client.get<DaemonSet>(daemonSetsResource, ns, 'zero');
    expect(ds.status?.observedGeneration).toBe(1);
  });
});
