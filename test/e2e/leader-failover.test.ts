// Leader failover in the middle of a rolling update, with real processes: one etcd, two
// `everynode server --store etcd://...` processes (controllers and leader election on, default
// 15 s lease). Six Nodes are written through the API and a fake kubelet in this process marks
// daemon pods Ready and finishes graceful deletions, talking to both servers through a
// FailoverTransport (the leader first, so it must fail over). A DaemonSet (maxUnavailable 1) is
// created through server 1 and rolled out; its image is changed; while the rollout is under way
// the process holding the kube-system/everynode-controller-manager Lease is SIGKILLed.
//
// Shown: the other server's controller manager takes the Lease within 20 s, the rollout completes
// (updatedNumberScheduled == numberAvailable == desired), and in the recorded watch history
// (pods and DaemonSets, recorded through the standby so the recording survives the kill):
// never two pod objects of the DaemonSet on one node at once (maxSurge 0: a new pod only after
// the old pod object is gone), and nothing acknowledged lost: the history replays to exactly
// the final state, every Node and the DaemonSet's new template are there.
//
// Uses the built dist/ (npm test builds first). Without the `etcd` binary the file is skipped
// with a message naming the `etcd-server` package.

import { afterAll, describe, expect, it } from 'vitest';
import type { DaemonSet, KubeObject, Lease, Node, Pod } from '../../src/api/types.js';
import {
  FailoverTransport,
  HttpTransport,
  Informer,
  RestClient,
  daemonSetsResource,
  isConflict,
  isNotFound,
  leasesResource,
  loadKubeconfig,
  nodesResource,
  podsResource,
  type ResolvedKubeconfig,
} from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { etcdAvailable, etcdSkipReason } from '../helpers/etcd.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { freshEtcdStoreUrl, sharedTestEtcd } from '../helpers/server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { EventLog, hashLabel, isReady, makeDaemonSet, makeNode, ns, ownerName, replayPods, type RecordedEvent } from '../integration/daemonset-harness.js';

const haveEtcd = etcdAvailable();
const nodeNames = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
const dsName = 'fleet';
const leaseNs = 'kube-system';
const leaseName = 'everynode-controller-manager';

if (!haveEtcd) {
  describe('leader failover during a rolling update', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}

/**
 * A fake kubelet that converges level-triggered: on every pod event and on a periodic resync it
 * reports bound pods Running/Ready (unless `hold` says to wait) and finishes graceful deletions
 * (DELETE gracePeriodSeconds 0, UID precondition). A write lost to a dying server is simply done
 * again on the next resync. It also keeps its nodes healthy for the node lifecycle controller
 * (Ready condition once, Lease in kube-node-lease renewed every 2 s), so no not-ready taint
 * ever blocks daemon pods, however slow the machine.
 */
class ResyncingKubelet {
  hold: (p: Pod) => boolean = () => false;
  readonly writeErrors: unknown[] = [];
  private readonly inFlight = new Set<string>();
  private readonly informer: Informer<Pod>;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RestClient,
    private readonly nodes: string[],
  ) {
    this.informer = new Informer<Pod>(client, podsResource, { namespace: ns, backoffInitialMs: 200, backoffMaxMs: 1000 });
    this.informer.addEventHandler({ add: (p) => this.consider(p), update: (_a, b) => this.consider(b) });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
    this.timer = setInterval(() => this.resync(), 500);
  }

  /** Posts Ready for every node, then renews their Leases every 2 s. */
  async startHeartbeats(): Promise<void> {
    const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const n of this.nodes) {
      const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now(), lastTransitionTime: now() };
      await this.client.patch(nodesResource, '', n, 'strategic', { status: { conditions: [ready] } }, { subresource: 'status' });
    }
    const renew = (n: string): void => {
      const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: n, namespace: 'kube-node-lease' }, spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime } };
      this.client
        .patch(leasesResource, 'kube-node-lease', n, 'merge', { spec: { renewTime } })
        .catch((e: unknown) => (isNotFound(e) ? this.client.create(leasesResource, 'kube-node-lease', lease as KubeObject) : Promise.reject(e)))
        .catch((e: unknown) => this.writeErrors.push(e));
    };
    for (const n of this.nodes) renew(n);
    this.heartbeat = setInterval(() => this.nodes.forEach(renew), 2000);
  }

  resync(): void {
    for (const p of this.informer.lister.list()) this.consider(p);
  }

  private consider(p: Pod): void {
    const uid = p.metadata.uid ?? '';
    const name = p.metadata.name ?? '';
    const track = (key: string, w: Promise<unknown>, ignore: (e: unknown) => boolean): void => {
      this.inFlight.add(key);
      w.catch((e: unknown) => {
        if (!ignore(e)) this.writeErrors.push(e);
      }).finally(() => this.inFlight.delete(key));
    };
    if (!p.spec.nodeName) return;
    if (p.metadata.deletionTimestamp) {
      if (this.inFlight.has(`delete/${uid}`)) return;
      track(`delete/${uid}`, this.client.delete(podsResource, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } }), (e) => isNotFound(e) || isConflict(e));
      return;
    }
    if (isReady(p) || this.hold(p) || this.inFlight.has(uid)) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
    const status = { phase: 'Running', startTime: now, conditions: [cond('Initialized'), cond('ContainersReady'), cond('Ready')] };
    track(uid, this.client.patch(podsResource, ns, name, 'merge', { status }, { subresource: 'status' }), isNotFound);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.informer.stop();
  }
}

function failoverClient(cleanup: Cleanup, cfg: ResolvedKubeconfig, servers: string[]): RestClient {
  const t = new FailoverTransport({ ...cfg, servers, requestTimeoutMs: 10_000 });
  cleanup.defer(async () => t.destroy(), 'failover transport');
  return new RestClient(t.request);
}

function templateImage(spec: { containers?: Array<{ image?: string }> } | undefined): string | undefined {
  return spec?.containers?.[0]?.image;
}

describe.skipIf(!haveEtcd)('leader failover during a rolling update', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('the standby takes the Lease, finishes the rollout, and no node ever holds two daemon pods', async () => {
    // Leadership is mapped to a process by its `<identity> became leader` log line (info level).
    process.env['EVERYNODE_LOG_LEVEL'] = 'info';
    await sharedTestEtcd(cleanup);
    const storeUrl = await freshEtcdStoreUrl(cleanup);
    // The servers share one store, and one data dir (CA, serving certificate, tokens) as the
    // servers of one cluster do; started one after the other so the second reuses what the
    // first created.
    const dataDir = makeTempDir(cleanup, 'leader-failover');
    const procs: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) procs.push(await startServerProcess(cleanup, { dataDir, extraArgs: ['--store', storeUrl], timeoutMs: 30_000 }));
    const [p1, p2] = [procs[0]!, procs[1]!];
    // Server 1's kubeconfig is the credential source for both.
    const cfg = loadKubeconfig(p1.kubeconfigPath);
    const direct1 = new HttpTransport({ ...cfg, server: p1.url });
    cleanup.defer(async () => direct1.destroy(), 'server 1 transport');
    const server1 = new RestClient(direct1.request);
    const anyServer = failoverClient(cleanup, cfg, [p1.url, p2.url]);

    const readLease = async (): Promise<string> => {
      try {
        return (await anyServer.get<Lease>(leasesResource, leaseNs, leaseName)).spec?.holderIdentity ?? '';
      } catch (e) {
        if (isNotFound(e)) return '';
        throw e;
      }
    };
    /** The server process whose controller manager logged that `identity` became leader. */
    const processOf = (identity: string): ServerProcess | undefined => procs.find((p) => p.output().includes(`${identity} became leader`));
    const firstHolder = await waitFor(async () => (await readLease()) || undefined, { timeoutMs: 30_000, intervalMs: 200, message: 'a controller manager to take the Lease' });
    const firstLeader = await waitFor(() => processOf(firstHolder), { message: `the process of leader ${firstHolder}` });
    const firstStandby = firstLeader === p1 ? p2 : p1;

    // The recording goes through the standby first, the kubelet through the leader first.
    const recorder = failoverClient(cleanup, cfg, [firstStandby.url, firstLeader.url]);
    const log = new EventLog(recorder);
    cleanup.defer(() => log.stop(), 'event log');
    await log.watch(podsResource);
    await log.watch(daemonSetsResource);
    const kubelet = new ResyncingKubelet(failoverClient(cleanup, cfg, [firstLeader.url, firstStandby.url]), nodeNames);
    cleanup.defer(() => kubelet.stop(), 'fake kubelet');
    await kubelet.start();

    for (const n of nodeNames) await anyServer.create(nodesResource, '', makeNode(n));
    await kubelet.startHeartbeats();
    const created = await server1.create<DaemonSet>(
      daemonSetsResource,
      ns,
      makeDaemonSet(dsName, { image: 'fleet:1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } }),
    );
    const desired = nodeNames.length;
    const rolledOutTo = (image: string) => async (): Promise<DaemonSet | undefined> => {
      const ds = await anyServer.get<DaemonSet>(daemonSetsResource, ns, dsName);
      const s = ds.status;
      const done =
        !!s &&
        (s.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0) &&
        templateImage(ds.spec.template.spec) === image &&
        s.desiredNumberScheduled === desired &&
        s.updatedNumberScheduled === desired &&
        s.numberAvailable === desired &&
        s.numberReady === desired &&
        (s.numberUnavailable ?? 0) === 0;
      return done ? ds : undefined;
    };
    await waitFor(rolledOutTo('fleet:1'), { timeoutMs: 30_000, intervalMs: 200, message: 'the first rollout of fleet:1 on 6 nodes' });

    // New-image pods beyond the second stay un-Ready until released: the rollout is then
    // certainly under way (some, not all, pods updated) when the leader is killed.
    let holding = true;
    const isNew = (p: Pod) => templateImage(p.spec) === 'fleet:2';
    const readyNewPods = (): number =>
      log
        .of<Pod>('pods')
        .filter((e) => e.type !== 'DELETED' && isNew(e.obj) && isReady(e.obj))
        .map((e) => e.obj.metadata.uid)
        .filter((u, i, a) => a.indexOf(u) === i).length;
    kubelet.hold = (p) => holding && isNew(p) && readyNewPods() >= 2;
    const updateStart = log.events.length;
    await anyServer.patch(daemonSetsResource, ns, dsName, 'strategic', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'fleet:2' }] } } } });
    await waitFor(
      async () => {
        const pods = (await recorder.list<Pod>(podsResource, { namespace: ns })).items.filter((p) => ownerName(p) === dsName);
        const newPods = pods.filter(isNew);
        return newPods.filter(isReady).length >= 2 && newPods.some((p) => p.spec.nodeName && !isReady(p)) && pods.some((p) => !isNew(p));
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the rollout to be under way: 2 new pods Ready, a third held, old pods left' },
    );

    // Kill whoever holds the Lease now, while the kubelet lets the held pod become Ready.
    const holder = await readLease();
    const leader = processOf(holder);
    expect(leader, `no process logged that ${holder} became leader`).toBeDefined();
    const standby = leader === p1 ? p2 : p1;
    holding = false;
    kubelet.resync();
    leader!.signalGroup('SIGKILL');
    const exit = await leader!.exited;
    expect(exit.signal).toBe('SIGKILL');

    // The other server's controller manager takes over within 20 s.
    const newHolder = await waitFor(async () => {
      const h = await readLease();
      return h !== '' && h !== holder ? h : undefined;
    }, { timeoutMs: 20_000, intervalMs: 250, message: `the Lease to move away from ${holder} (killed)` });
    expect(processOf(newHolder)).toBe(standby);

    const final = await waitFor(rolledOutTo('fleet:2'), { timeoutMs: 40_000, intervalMs: 200, message: 'the rollout of fleet:2 to complete under the new leader' });
    expect(final.metadata.uid).toBe(created.metadata.uid);

    // The recording (through the standby) has caught up with the final state.
    const finalPods = (await recorder.list<Pod>(podsResource, { namespace: ns })).items.filter((p) => ownerName(p) === dsName);
    const finalRv = new Map(finalPods.map((p) => [p.metadata.uid ?? '', p.metadata.resourceVersion]));
    let replayed = new Map<string, Pod>();
    const caughtUp = (): boolean => {
      replayed = new Map();
      replayPods(
        log.of<Pod>('pods').filter((e) => ownerName(e.obj) === dsName),
        (live) => (replayed = live),
      );
      return replayed.size === finalRv.size && [...finalRv].every(([uid, rv]) => replayed.get(uid)?.metadata.resourceVersion === rv);
    };
    await waitFor(caughtUp, { message: 'the recorded pod history to replay to the final pod list' });

    // One Ready pod of the new template per node.
    expect(finalPods.map((p) => p.spec.nodeName).sort()).toEqual(nodeNames);
    expect(finalPods.every((p) => isNew(p) && isReady(p) && !p.metadata.deletionTimestamp)).toBe(true);
    expect(new Set(finalPods.map((p) => p.metadata.labels?.[hashLabel])).size).toBe(1);

    // Never two pod objects of the DaemonSet on one node at once (terminating ones included).
    const podEvents = log.of<Pod>('pods').filter((e) => ownerName(e.obj) === dsName);
    replayPods(podEvents, (live, e) => {
      const perNode = new Map<string, number>();
      for (const p of live.values()) {
        const n = p.spec.nodeName ?? '';
        perNode.set(n, (perNode.get(n) ?? 0) + 1);
        if (n && perNode.get(n)! > 1) throw new Error(`node ${n} held two daemon pods at recorded event ${e.seq} (${e.type} ${e.obj.metadata.name})`);
      }
    });
    // The kill happened mid-rollout: pods of both templates were replaced after the update.
    const sinceUpdate = podEvents.filter((e) => e.seq > (log.events[updateStart - 1]?.seq ?? 0));
    expect(sinceUpdate.filter((e) => e.type === 'DELETED' && !isNew(e.obj)).length).toBe(desired);
    expect(sinceUpdate.filter((e) => e.type === 'ADDED' && isNew(e.obj)).length).toBe(desired);
    // Every pod ever recorded is either live at the end or was recorded as deleted.
    const added = new Set(podEvents.filter((e) => e.type === 'ADDED').map((e) => e.obj.metadata.uid));
    const deleted = new Set(podEvents.filter((e) => e.type === 'DELETED').map((e) => e.obj.metadata.uid));
    for (const uid of added) expect(finalRv.has(uid ?? '') !== deleted.has(uid)).toBe(true);

    // The DaemonSet was never deleted, its history ends at the final object, and every Node is there.
    const dsEvents = (): Array<RecordedEvent<DaemonSet>> => log.of<DaemonSet>('daemonsets');
    await waitFor(() => dsEvents().at(-1)?.obj.metadata.resourceVersion === final.metadata.resourceVersion, {
      message: 'the recorded DaemonSet history to reach the final status',
    });
    expect(dsEvents().filter((e) => e.type === 'DELETED')).toEqual([]);
    const gens = dsEvents().map((e) => e.obj.metadata.generation ?? 0);
    expect(gens).toEqual([...gens].sort((a, b) => a - b));
    const nodes = await anyServer.list<Node>(nodesResource);
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(nodeNames);
    expect(nodes.items.flatMap((n) => n.spec?.taints ?? [])).toEqual([]);
    // Writes the kubelet lost to the dying server were redone on a resync; none was refused.
    expect(kubelet.writeErrors.filter((e) => !(e instanceof Error && /ECONNRESET|socket hang up|ECONNREFUSED|aborted|timed out/.test(e.message)))).toEqual([]);
   }, 120_000);
});
