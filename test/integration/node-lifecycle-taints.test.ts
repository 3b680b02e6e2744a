// Node lifecycle against the real API server with the controller manager in process: node
// health from Leases in `kube-node-lease` that this test writes (and stops writing), condition
// taints, taint-based eviction honouring tolerationSeconds, cordon, and pods of deleted nodes.
//
// Timings: grace period 3 s, monitor period 500 ms, default eviction rate (0.1 node/s per zone,
// burst 1: the first node of a zone is tainted at once). Every cluster has three nodes so one
// failing node leaves its zone "Normal" (a zone whose nodes are all not ready stops evictions).
// An "evicted" pod is one the controller DELETEd: bound pods are deleted gracefully, so it
// carries a deletionTimestamp (no kubelet runs here to finish the deletion) or is gone.
import { afterEach, describe, expect, it } from 'vitest';
import type { Event, Lease, Node, Pod, Taint, Toleration } from '../../src/api/types.js';
import { daemonSetsResource, eventsResource, isNotFound, leasesResource, nodesResource, podsResource } from '../../src/client/index.js';
import type { ControllersOptions } from '../../src/controllers/manager.js';
import { Cleanup, sleep, waitFor } from '../helpers/index.js';
import { type Cluster, makeDaemonSet, makeNode, ns, startCluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const gracePeriodMs = 3_000;
const controllers: ControllersOptions = {
  leaderElection: false,
  garbageCollector: { podGC: { quarantineMs: 500, gcCheckPeriodMs: 500 } },
  nodeLifecycle: { gracePeriodMs, monitorPeriodMs: 500 },
};
const nodeNames = ['n1', 'n2', 'n3'];
const unreachable = 'node.kubernetes.io/unreachable';
const notReady = 'node.kubernetes.io/not-ready';
const unschedulable = 'node.kubernetes.io/unschedulable';

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * What a node agent does for node health: posts Ready=True once and renews its Lease every
 * 300 ms while the node is `alive`. `lastRenewal(name)` is the renewTime last written.
 */
class Heartbeats {
  private readonly alive = new Set<string>();
  private readonly renewed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  readonly errors: unknown[] = [];

  constructor(private readonly c: Cluster) {}

  async register(name: string): Promise<void> {
    await this.c.client.create(nodesResource, '', makeNode(name));
    await this.postReady(name, 'True');
    const now = Date.now();
    await this.c.client.create<Lease>(leasesResource, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) },
    });
    this.renewed.set(name, now);
    this.alive.add(name);
  }

  /** Writes the node's Ready condition (with a fresh heartbeat) through /status. */
  async postReady(name: string, status: 'True' | 'False'): Promise<void> {
    const now = seconds(Date.now());
    const reason = status === 'True' ? 'KubeletReady' : 'KubeletNotReady';
    const node = await this.c.client.get<Node>(nodesResource, '', name);
    const others = (node.status?.conditions ?? []).filter((x) => x.type !== 'Ready');
    const prev = node.status?.conditions?.find((x) => x.type === 'Ready');
    const ready = { type: 'Ready', status, reason, message: `test kubelet: ${status}`, lastHeartbeatTime: now, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now };
    await this.c.client.patch(nodesResource, '', name, 'merge', { status: { conditions: [...others, ready] } }, { subresource: 'status' });
  }

  start(): void {
    const tick = (): void => {
      this.running = this.renewAll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, 300);
      });
    };
    this.timer = setTimeout(tick, 300);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Stops renewing `name`'s lease; resolves after any renewal in flight finished. */
  async silence(name: string): Promise<void> {
    this.alive.delete(name);
    await this.running;
  }

  resume(name: string): void {
    this.alive.add(name);
  }

  lastRenewal(name: string): number {
    return this.renewed.get(name) ?? 0;
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.alive].map(async (name) => {
        const now = Date.now();
        try {
          await this.c.client.patch(leasesResource, 'kube-node-lease', name, 'merge', { spec: { renewTime: microTime(now) } });
          this.renewed.set(name, now);
        } catch (e) {
          if (!isNotFound(e)) this.errors.push(e);
        }
      }),
    );
  }
}

async function setup(): Promise<{ c: Cluster; hb: Heartbeats }> {
  const c = await startCluster(cleanup, controllers);
  const hb = new Heartbeats(c);
  for (const n of nodeNames) await hb.register(n);
  hb.start();
  cleanup.defer(() => hb.stop(), 'heartbeats');
  return { c, hb };
}

async function getNode(c: Cluster, name: string): Promise<Node> {
  return c.client.get<Node>(nodesResource, '', name);
}

function readyStatus(n: Node): string | undefined {
  return n.status?.conditions?.find((x) => x.type === 'Ready')?.status;
}

function taint(n: Node, key: string, effect: Taint['effect']): Taint | undefined {
  return n.spec?.taints?.find((t) => t.key === key && t.effect === effect);
}

function controllerTaints(n: Node): string[] {
  return (n.spec?.taints ?? [])
    .filter((t) => t.key.startsWith('node.kubernetes.io/'))
    .map((t) => `${t.key}:${t.effect}`)
    .sort();
}

function makePod(name: string, nodeName: string, tolerations?: Toleration[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { role: 'plain' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'app', image: 'busybox:1', command: ['sleep', '3600'] }],
      ...(tolerations ? { tolerations } : {}),
    },
  } as Pod;
}

/** The pod as it is now: undefined when gone. */
async function podNow(c: Cluster, name: string): Promise<Pod | undefined> {
  try {
    return await c.client.get<Pod>(podsResource, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function evicted(p: Pod | undefined): boolean {
  return p === undefined || !!p.metadata.deletionTimestamp;
}

async function daemonPods(c: Cluster, app: string): Promise<Map<string, Pod>> {
  const pods = (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: `app=${app}` })).items;
  return new Map(pods.map((p) => [p.spec.nodeName ?? '', p]));
}

async function rollOutDaemon(c: Cluster, app: string): Promise<Map<string, Pod>> {
  await c.client.create(daemonSetsResource, ns, makeDaemonSet(app));
  return waitFor(
    async () => {
      const m = await daemonPods(c, app);
      return nodeNames.every((n) => m.has(n)) ? m : false;
    },
    { message: `a ${app} pod on every node` },
  );
}

async function evictionEvents(c: Cluster, pod: string): Promise<Event[]> {
  const events = (await c.client.list<Event>(eventsResource, { namespace: ns })).items;
  return events.filter((e) => e.involvedObject.name === pod && e.reason === 'TaintManagerEviction' && (e.message ?? '').startsWith('Marking for deletion'));
}

describe('node lifecycle with leases written by the test', () => {
  it('a silent node becomes unreachable; pods are evicted per their tolerations; a renewed lease recovers it', async () => {
    const { c, hb } = await setup();
    const daemons = await rollOutDaemon(c, 'daemon');
    const tol5: Toleration = { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
    await c.client.create(podsResource, ns, makePod('tolerates-5s', 'n1', [tol5]));
    // tolerationSeconds 0: evicted at once.
    await c.client.create(podsResource, ns, makePod('tolerates-0s', 'n1', [{ ...tol5, tolerationSeconds: 0 }]));
    // No toleration of its own: admission gives it five minutes (DefaultTolerationSeconds).
    const defaulted = await c.client.create<Pod>(podsResource, ns, makePod('tolerates-nothing', 'n1'));
    expect(defaulted.spec.tolerations).toEqual([
      { key: notReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    await c.client.create(podsResource, ns, makePod('healthy-neighbour', 'n2'));
    // Healthy nodes carry no controller taints.
    for (const n of nodeNames) expect(controllerTaints(await getNode(c, n))).toEqual([]);

    await hb.silence('n1');
    const silentSince = hb.lastRenewal('n1');
    const tainted = await waitFor(
      async () => {
        const n = await getNode(c, 'n1');
        return readyStatus(n) === 'Unknown' && taint(n, unreachable, 'NoSchedule') && taint(n, unreachable, 'NoExecute') ? n : false;
      },
      // The bound: tainted within the grace period + 10 s of the last renewal.
      { timeoutMs: Math.max(1_000, silentSince + gracePeriodMs + 10_000 - Date.now()), message: 'n1 Ready=Unknown with both unreachable taints' },
    );
    expect(tainted.status?.conditions?.find((x) => x.type === 'Ready')?.reason).toBe('NodeStatusUnknown');
    expect(controllerTaints(tainted)).toEqual([`${unreachable}:NoExecute`, `${unreachable}:NoSchedule`]);
    const noExecute = taint(tainted, unreachable, 'NoExecute')!;
    expect(noExecute.timeAdded).toBeTruthy();
    // timeAdded has whole seconds, so it is at or before the moment the taint was added.
    const taintedAt = Date.parse(noExecute.timeAdded!);

    // tolerationSeconds 0: evicted as soon as the taint is seen.
    await waitFor(async () => evicted(await podNow(c, 'tolerates-0s')), { message: 'tolerates-0s evicted' });

    // tolerationSeconds 5: still there (not being deleted) through timeAdded + 3 s ...
    const checkUntil = taintedAt + 3_000;
    let checks = 0;
    for (;;) {
      const now = Date.now();
      const p = await podNow(c, 'tolerates-5s');
      if (!p || p.metadata.deletionTimestamp) {
        throw new Error(`tolerates-5s was evicted ${now - taintedAt} ms after the taint's timeAdded, before its 5 s toleration ran out`);
      }
      checks++;
      if (now >= checkUntil) break;
      await sleep(Math.min(200, checkUntil - now));
    }
    expect(checks).toBeGreaterThan(0);
    // ... and evicted afterwards, by a DELETE sent no earlier than timeAdded + 5 s.
    const gone5 = await waitFor(async () => {
      const p = await podNow(c, 'tolerates-5s');
      return evicted(p) ? { p } : false;
    }, { message: 'tolerates-5s evicted after its toleration ran out' });
    if (gone5.p) {
      // deletionTimestamp = time of the DELETE (whole seconds, rounded down) + the 30 s grace period.
      const deleteSentAt = Date.parse(gone5.p.metadata.deletionTimestamp!) - 30_000;
      expect(deleteSentAt).toBeGreaterThanOrEqual(taintedAt + 5_000);
    }
    // The defaulted pod has minutes left.
    expect((await podNow(c, 'tolerates-nothing'))?.metadata.deletionTimestamp).toBeUndefined();
    for (const pod of ['tolerates-5s', 'tolerates-0s']) {
      await waitFor(async () => (await evictionEvents(c, pod)).length === 1, { message: `one TaintManagerEviction event for ${pod}` });
    }

    // The daemon pod (tolerating unreachable:NoExecute without a limit) stays, unmarked, and
    // pods on healthy nodes are untouched.
    const after = await daemonPods(c, 'daemon');
    for (const n of nodeNames) {
      const p = after.get(n);
      expect(p?.metadata.uid).toBe(daemons.get(n)?.metadata.uid);
      expect(p?.metadata.deletionTimestamp).toBeUndefined();
    }
    expect(after.get('n1')?.spec.tolerations).toContainEqual({ key: unreachable, operator: 'Exists', effect: 'NoExecute' });
    expect((await podNow(c, 'healthy-neighbour'))?.metadata.deletionTimestamp).toBeUndefined();
    expect(await evictionEvents(c, after.get('n1')!.metadata.name!)).toEqual([]);
    for (const n of ['n2', 'n3']) {
      const node = await getNode(c, n);
      expect(readyStatus(node)).toBe('True');
      expect(controllerTaints(node)).toEqual([]);
    }

    // The lease moves again: Ready returns and both unreachable taints go.
    hb.resume('n1');
    const recovered = await waitFor(
      async () => {
        const n = await getNode(c, 'n1');
        return readyStatus(n) === 'True' && controllerTaints(n).length === 0 ? n : false;
      },
      { message: 'n1 Ready=True without unreachable taints after its lease is renewed' },
    );
    expect(recovered.spec?.taints ?? []).toEqual([]);
    expect((await daemonPods(c, 'daemon')).get('n1')?.metadata.uid).toBe(daemons.get('n1')?.metadata.uid);
    expect(hb.errors).toEqual([]);
  });

  it('a node reporting Ready=False gets the not-ready taints, removed when it reports Ready=True', async () => {
    const { c, hb } = await setup();
    await rollOutDaemon(c, 'daemon');
    await c.client.create(podsResource, ns, makePod('plain', 'n2', [{ key: notReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }]));
    // The agent keeps renewing its lease but reports the node not ready.
    await hb.postReady('n2', 'False');
    const n2 = await waitFor(
      async () => {
        const n = await getNode(c, 'n2');
        return taint(n, notReady, 'NoSchedule') && taint(n, notReady, 'NoExecute') ? n : false;
      },
      { message: 'n2 with both not-ready taints' },
    );
    expect(readyStatus(n2)).toBe('False');
    expect(controllerTaints(n2)).toEqual([`${notReady}:NoExecute`, `${notReady}:NoSchedule`]);
    await waitFor(async () => evicted(await podNow(c, 'plain')), { message: 'plain pod on the not-ready node evicted' });
    const daemonOnN2 = (await daemonPods(c, 'daemon')).get('n2');
    expect(daemonOnN2?.metadata.deletionTimestamp).toBeUndefined();

    await hb.postReady('n2', 'True');
    await waitFor(async () => controllerTaints(await getNode(c, 'n2')).length === 0, { message: 'not-ready taints removed from n2' });
    expect((await daemonPods(c, 'daemon')).get('n2')?.metadata.uid).toBe(daemonOnN2?.metadata.uid);
    expect(hb.errors).toEqual([]);
  });

  it('cordon adds the unschedulable NoSchedule taint and uncordon removes it', async () => {
    const { c } = await setup();
    // What `kubectl cordon n3` sends.
    await c.client.patch(nodesResource, '', 'n3', 'strategic', { spec: { unschedulable: true } });
    const cordoned = await waitFor(async () => {
      const n = await getNode(c, 'n3');
      return taint(n, unschedulable, 'NoSchedule') ? n : false;
    }, { message: 'n3 tainted unschedulable:NoSchedule' });
    expect(controllerTaints(cordoned)).toEqual([`${unschedulable}:NoSchedule`]);
    expect(taint(cordoned, unschedulable, 'NoSchedule')?.timeAdded).toBeTruthy();
    // `kubectl uncordon n3`.
    await c.client.patch(nodesResource, '', 'n3', 'strategic', { spec: { unschedulable: null } });
    await waitFor(async () => controllerTaints(await getNode(c, 'n3')).length === 0, { message: 'unschedulable taint removed from n3' });
    for (const n of nodeNames) expect((await getNode(c, n)).spec?.taints ?? []).toEqual([]);
  });

  it('deleting a node removes its pods, daemon and plain, and leaves the other nodes alone', async () => {
    const { c, hb } = await setup();
    const daemons = await rollOutDaemon(c, 'daemon');
    await c.client.create(podsResource, ns, makePod('on-n3', 'n3'));
    await c.client.create(podsResource, ns, makePod('on-n1', 'n1'));
    await hb.silence('n3');
    await c.client.delete(nodesResource, '', 'n3');
    await waitFor(async () => (await podNow(c, 'on-n3')) === undefined, { message: 'pod on-n3 removed' });
    await waitFor(async () => !(await daemonPods(c, 'daemon')).has('n3'), { message: 'daemon pod of n3 removed' });
    const left = await daemonPods(c, 'daemon');
    expect([...left.keys()].sort()).toEqual(['n1', 'n2']);
    for (const [n, p] of left) {
      expect(p.metadata.uid).toBe(daemons.get(n)?.metadata.uid);
      expect(p.metadata.deletionTimestamp).toBeUndefined();
    }
    expect((await podNow(c, 'on-n1'))?.metadata.deletionTimestamp).toBeUndefined();
    expect(hb.errors).toEqual([]);
  });
});
