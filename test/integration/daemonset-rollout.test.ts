// Rollouts of the DaemonSet controller against the real API server: the maxUnavailable bound
// checked over every recorded pod event, surge keeping old pods until the new one is available,
// OnDelete, and rollback through a ControllerRevision's data (as `kubectl rollout undo`).
import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet, Pod } from '../../src/api/types.js';
import { controllerRevisionsResource, daemonSetsResource, podsResource } from '../../src/client/index.js';
import { Cleanup, sleep, waitFor } from '../helpers/index.js';
import {
  type Cluster,
  EventLog,
  FakeKubelet,
  byNode,
  createNodes,
  getDs,
  hashLabel,
  isReady,
  listPods,
  makeDaemonSet,
  ns,
  patchRetrying,
  replayPods,
  rolledOut,
  startCluster,
  startEventLogAndKubelet,
} from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];

async function setup(): Promise<{ c: Cluster; log: EventLog; kubelet: FakeKubelet }> {
  const c = await startCluster(cleanup);
  const { log, kubelet } = await startEventLogAndKubelet(cleanup, c);
  await createNodes(c, nodes);
  return { c, log, kubelet };
}

async function waitRolledOut(c: Cluster, name: string, n = nodes.length): Promise<DaemonSet> {
  return waitFor(
    async () => {
      const ds = await getDs(c, name);
      return rolledOut(ds, n) ? ds : false;
    },
    { message: `rollout of ${name} to finish` },
  );
}

async function setImage(c: Cluster, name: string, image: string): Promise<DaemonSet> {
  return patchRetrying<DaemonSet>(c, daemonSetsResource, ns, name, { spec: { template: { spec: { containers: [{ name: 'agent', image }] } } } });
}

function imageOf(p: Pod): string | undefined {
  return p.spec.containers[0]?.image;
}

/** Per node: the pods that are live (no deletionTimestamp) at one moment. */
function liveByNode(live: Map<string, Pod>, app: string): Map<string, Pod[]> {
  const m = new Map<string, Pod[]>();
  for (const p of live.values()) {
    if (p.metadata.labels?.app !== app || p.metadata.deletionTimestamp || !p.spec.nodeName) continue;
    m.set(p.spec.nodeName, [...(m.get(p.spec.nodeName) ?? []), p]);
  }
  return m;
}

describe('DaemonSet rolling updates against the real API server', () => {
  it('never has more than maxUnavailable nodes without an available pod, at any observed moment', async () => {
    const { c, log, kubelet } = await setup();
    const ds = makeDaemonSet('roll', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    await c.client.create(daemonSetsResource, ns, ds);
    await waitRolledOut(c, 'roll');
    const start = log.events.length;

    await setImage(c, 'roll', 'busybox:2');
    await waitRolledOut(c, 'roll');
    await setImage(c, 'roll', 'busybox:3');
    const done = await waitRolledOut(c, 'roll');
    expect(done.status?.updatedNumberScheduled).toBe(nodes.length);

    const pods = await listPods(c, 'roll');
    expect(pods.map(imageOf).every((i) => i === 'busybox:3')).toBe(true);
    expect(byNode(pods).size).toBe(nodes.length);

    // The property, over the whole history from the all-ready state on.
    let worst = 0;
    let sawUnavailable = false;
    replayPods(log.of<Pod>('pods'), (live, e) => {
      if (e.seq <= log.events[start - 1]!.seq) return;
      const m = liveByNode(live, 'roll');
      let unavailable = 0;
      for (const n of nodes) {
        const ps = m.get(n) ?? [];
        if (!ps.some(isReady)) unavailable++;
        if (ps.length > 1) throw new Error(`node ${n} held ${ps.length} pods at event ${e.seq} without surge`);
      }
      worst = Math.max(worst, unavailable);
      if (unavailable > 0) sawUnavailable = true;
    });
    expect(sawUnavailable).toBe(true);
    expect(worst).toBeLessThanOrEqual(2);
    expect(kubelet.failures()).toEqual([]);
  });

  it('maxSurge keeps the old pod until the new pod on that node is available', async () => {
    const { c, log, kubelet } = await setup();
    await c.client.create(
      daemonSetsResource,
      ns,
      makeDaemonSet('surge', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } } }),
    );
    const before = await waitRolledOut(c, 'surge');
    const startSeq = log.events.length;
    const oldHash = (await listPods(c, 'surge'))[0]!.metadata.labels?.[hashLabel];

    // New pods stay unready until released: the controller must surge and wait.
    kubelet.hold = (p) => imageOf(p) === 'busybox:2';
    await setImage(c, 'surge', 'busybox:2');
    await waitFor(async () => (await listPods(c, 'surge')).filter((p) => imageOf(p) === 'busybox:2').length === 2, {
      message: '2 surge pods',
    });
    // Give the controller every chance to (wrongly) delete an old pod or surge further.
    await sleep(1000);
    const mid = await listPods(c, 'surge');
    expect(mid.filter((p) => imageOf(p) === 'busybox:2').length).toBe(2);
    expect(mid.filter((p) => p.metadata.labels?.[hashLabel] === oldHash && !p.metadata.deletionTimestamp).length).toBe(nodes.length);

    kubelet.hold = () => false;
    kubelet.release();
    await waitRolledOut(c, 'surge');
    const after = await listPods(c, 'surge');
    expect(after.every((p) => imageOf(p) === 'busybox:2')).toBe(true);
    expect(after.length).toBe(nodes.length);
    expect(before.status?.numberAvailable).toBe(nodes.length);

    // Over the whole history: every node always had a ready pod; at most maxSurge nodes held an
    // extra pod that was not yet available (upstream counts surge as unavailable new pods).
    replayPods(log.of<Pod>('pods'), (live, e) => {
      if (e.seq <= startSeq) return; // initial rollout
      const m = liveByNode(live, 'surge');
      let doubled = 0;
      for (const n of nodes) {
        const ps = m.get(n) ?? [];
        if (!ps.some(isReady)) throw new Error(`node ${n} had no ready pod at event ${e.seq}`);
        if (ps.length > 2) throw new Error(`node ${n} held ${ps.length} pods at event ${e.seq}`);
        if (ps.length === 2 && !ps.every(isReady)) doubled++;
      }
      if (doubled > 2) throw new Error(`${doubled} nodes surged with an unavailable pod at event ${e.seq} (maxSurge 2)`);
    });
  });

  it('OnDelete replaces nothing until a pod is deleted, then only that pod', async () => {
    const { c } = await setup();
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('ondel', { strategy: { type: 'OnDelete' } }));
    await waitRolledOut(c, 'ondel');
    const original = byNode(await listPods(c, 'ondel'));

    const updated = await setImage(c, 'ondel', 'busybox:2');
    await waitFor(async () => {
      const s = (await getDs(c, 'ondel')).status;
      return (s?.observedGeneration ?? 0) >= (updated.metadata.generation ?? 0) && (s?.updatedNumberScheduled ?? 0) === 0;
    });
    await sleep(500);
    const unchanged = byNode(await listPods(c, 'ondel'));
    for (const n of nodes) expect(unchanged.get(n)?.[0]?.metadata.uid).toBe(original.get(n)?.[0]?.metadata.uid);

    await c.client.delete(podsResource, ns, original.get('n3')![0]!.metadata.name ?? '');
    const replaced = await waitFor(async () => {
      const m = byNode(await listPods(c, 'ondel'));
      const p = m.get('n3')?.[0];
      return p && p.metadata.uid !== original.get('n3')![0]!.metadata.uid ? m : false;
    });
    expect(imageOf(replaced.get('n3')![0]!)).toBe('busybox:2');
    for (const n of nodes.filter((x) => x !== 'n3')) {
      expect(replaced.get(n)?.[0]?.metadata.uid).toBe(original.get(n)?.[0]?.metadata.uid);
      expect(imageOf(replaced.get(n)![0]!)).toBe('busybox:1');
    }
    await waitFor(async () => (await getDs(c, 'ondel')).status?.updatedNumberScheduled === 1);
  });

  it('a template that only gains or loses empty lists (tolerations: [], env: []) or zero-valued value fields (hostNetwork: false, hostPort: 0, value: "") is the same template: no new generation, revision or pod', async () => {
    const { c } = await setup();
    // As a chart renders it: every empty list and default value written out.
    const withEmpties = (): DaemonSet => {
      const d = makeDaemonSet('empties', { tolerations: [] });
      const spec = d.spec.template.spec;
      spec.nodeSelector = {};
      spec.hostNetwork = false;
      spec.containers[0]!.env = [{ name: 'MODE', value: '' }];
      spec.containers[0]!.ports = [{ containerPort: 8080, hostPort: 0, name: '' }];
      spec.containers[0]!.securityContext = { capabilities: { drop: [] } };
      return d;
    };
    await c.client.create(daemonSetsResource, ns, withEmpties());
    const first = await waitRolledOut(c, 'empties');
    const before = byNode(await listPods(c, 'empties'));
    const revs = async () => (await c.client.list<ControllerRevision>(controllerRevisionsResource, { namespace: ns, labelSelector: 'app=empties' })).items.map((r) => `${r.metadata.name}@${r.revision}`);
    const revsBefore = await revs();
    expect(revsBefore).toHaveLength(1);

    // As a manifest that stopped rendering its empty lists, re-applied (a full update).
    const current = await getDs(c, 'empties');
    const stripped = structuredClone(current);
    const spec = stripped.spec.template.spec;
    delete spec.tolerations;
    delete spec.nodeSelector;
    delete spec.hostNetwork;
    spec.containers[0]!.env = [{ name: 'MODE' }];
    spec.containers[0]!.ports = [{ containerPort: 8080 }];
    spec.containers[0]!.securityContext = { capabilities: {} };
    spec.containers[0]!.resources = {};
    const updated = await c.client.update<DaemonSet>(daemonSetsResource, ns, stripped);
    expect(updated.metadata.generation).toBe(first.metadata.generation);
    expect(updated.metadata.annotations?.['deprecated.daemonset.template.generation']).toBe(first.metadata.annotations?.['deprecated.daemonset.template.generation']);
    // And back again.
    const again = await c.client.update<DaemonSet>(daemonSetsResource, ns, { ...structuredClone(updated), spec: { ...updated.spec, template: withEmpties().spec.template } });
    expect(again.metadata.generation).toBe(first.metadata.generation);

    await sleep(1_000);
    expect(await revs()).toEqual(revsBefore);
    const after = byNode(await listPods(c, 'empties'));
    for (const n of nodes) expect(after.get(n)?.[0]?.metadata.uid).toBe(before.get(n)?.[0]?.metadata.uid);
    expect((await getDs(c, 'empties')).status?.updatedNumberScheduled).toBe(nodes.length);
  });

  it('rollback with a ControllerRevision restores the old template without restarting pods that already run it', async () => {
    const { c, kubelet } = await setup();
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('undo', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    await waitRolledOut(c, 'undo');
    const v1 = byNode(await listPods(c, 'undo'));
    const v1Hash = v1.get('n1')![0]!.metadata.labels?.[hashLabel];

    // A bad update: its pods never become ready, so the rollout stalls after one node.
    kubelet.hold = (p) => imageOf(p) === 'busybox:bad';
    await setImage(c, 'undo', 'busybox:bad');
    await waitFor(async () => (await listPods(c, 'undo')).some((p) => imageOf(p) === 'busybox:bad'), { message: 'a pod of the bad revision' });
    await sleep(500);
    const stalled = await listPods(c, 'undo');
    expect(stalled.filter((p) => imageOf(p) === 'busybox:bad').length).toBe(1);

    // kubectl rollout undo: PATCH the DS with the previous revision's data.
    const revs = (await c.client.list<ControllerRevision>(controllerRevisionsResource, { namespace: ns, labelSelector: 'app=undo' })).items;
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2]);
    const rev1 = revs.find((r) => r.revision === 1)!;
    expect(rev1.metadata.name).toBe(`undo-${v1Hash}`);
    await patchRetrying(c, daemonSetsResource, ns, 'undo', rev1.data);

    const done = await waitRolledOut(c, 'undo');
    expect(done.spec.template.spec.containers[0]?.image).toBe('busybox:1');
    const after = byNode(await listPods(c, 'undo'));
    let kept = 0;
    for (const n of nodes) {
      const p = after.get(n)![0]!;
      expect(imageOf(p)).toBe('busybox:1');
      expect(p.metadata.labels?.[hashLabel]).toBe(v1Hash);
      if (p.metadata.uid === v1.get(n)?.[0]?.metadata.uid) kept++;
    }
    // Only the node that had moved to the bad revision got a new pod.
    expect(kept).toBe(nodes.length - 1);
    // The reused revision moved to the top of the history.
    const revsAfter = (await c.client.list<ControllerRevision>(controllerRevisionsResource, { namespace: ns, labelSelector: 'app=undo' })).items;
    expect(revsAfter.find((r) => r.metadata.name === rev1.metadata.name)?.revision).toBe(3);
  });
});
