// Hollow nodes (the kubemark/kwok idea): one process plays many nodes against the API.
//
// What each hollow node does, through the API only (like a real agent, with no processes):
// - registers its Node (labels, capacity/allocatable, addresses, nodeInfo, Ready=True);
// - creates and renews its Lease `kube-node-lease/<node>` every leaseDuration/4 (the kubelet's
//   schedule), the first renewals spread uniformly over one interval so N nodes make a steady
//   N/interval writes per second instead of bursts;
// - re-posts its Ready condition every `nodeStatusReportSeconds` (kubelet's report frequency);
// - plays the pod lifecycle for pods bound to it (`spec.nodeName`): the pod stays Pending (as
//   created) for `readyDelayMs` after the node first sees it, then becomes Running with every
//   container running and Ready (a container without readiness probe is ready once running,
//   so Running and Ready are one status write). `reportPending` adds the kubelet's first write
//   (Pending, containers waiting in ContainerCreating). With probability `failureRate` the
//   container "crashes" instead: CrashLoopBackOff and not Ready (restartPolicy Always or
//   OnFailure), or phase Failed (Never). Status goes through `pods/<name>/status`.
// - a pod with a deletionTimestamp is finished with a DELETE (grace 0, UID precondition), as
//   the kubelet does once its containers stopped.
//
// Scale design (5,000 nodes in one process):
// - ONE pod informer (one LIST + one WATCH) for all hollow nodes, not one watch per node; pods
//   of other nodes are ignored by a map lookup;
// - ONE timer wheel (one native timer) for every lease renewal, status report and pod
//   transition;
// - every write goes through a WriteQueue: bounded concurrency, coalesced per object, failed
//   writes retried with capped backoff on the wheel. There is one queue per kubelet loop —
//   Node registration and status, Lease renewal, pod status and deletion — because a kubelet's
//   loops are independent: its pod status writes never wait behind other nodes' lease renewals
//   (one FIFO for everything made a pod's Ready write wait for a backlog of thousands of
//   renewals under load). The three queues share 3 x `concurrency` writes in flight (default
//   3 x 64 = 192, SharedSlots): each is always sure of half its `concurrency` (32) and borrows
//   what the others leave unused, so a fan-out's pod status writes run up to 128 at once while
//   few renewals are due, instead of 64, and renewals that hang still leave every other loop
//   its 32;
// - per node state is a few fields (no objects cached per node).
//
// Invariants: a pod is tracked by UID from its first sighting on one of our nodes until its
// DELETED event; a tracked pod is never re-admitted (our own status writes come back as watch
// updates and are ignored), but a running one whose Ready condition alone another writer set
// False (the node lifecycle controller) gets its status written again. Pods found already Running and Ready when the informer starts
// (e.g. the hollow process restarted) are adopted as they are, with no write.

import type { Lease, Node, NodeCondition, Pod, PodCondition, PodStatus, ContainerStatus } from '../api/types.js';
import { rfc3339, rfc3339Micro } from '../util/index.js';
import {
  type ApiClient,
  type Clock,
  Informer,
  isAlreadyExists,
  isConflict,
  isNotFound,
  leasesResource,
  indexPodByNodeName,
  metaNamespaceKey,
  nodesResource,
  podNodeNameIndex,
  podsResource,
  realClock,
} from '../client/index.js';
import { TimerWheel, type WheelTimer } from './timer-wheel.js';
import { SharedSlots, WriteQueue } from './write-queue.js';

export const hollowNodeLabel = 'node.everynode.io/hollow';

/**
 * The labels the kubelet sets on its Node itself (initialNode), GA and deprecated beta OS/arch
 * alike, and restores on re-registration (updateDefaultLabels).
 */
const kubeletDefaultLabelKeys = ['kubernetes.io/hostname', 'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch'] as const;
export const nodeLeaseNamespace = 'kube-node-lease';

export interface HollowNodesOptions {
  client: ApiClient;
  /** Nodes to register at start (more with `addNodes`). */
  count: number;
  /** Node names are `<namePrefix><index>`; default `hollow-node-`. */
  namePrefix?: string;
  /** Index of the first node (default 0). */
  firstIndex?: number;
  /** Extra labels on every Node (beside hostname, os/arch (GA and beta) and `node.everynode.io/hollow=true`). */
  labels?: Record<string, string>;
  /** Time from first seeing a pod to reporting it Running and Ready (default 100 ms). */
  readyDelayMs?: number;
  /** Share of pods whose container fails instead of becoming ready, 0..1 (default 0). */
  failureRate?: number;
  /** Lease duration (default 40 s, the kubelet's); renewed every quarter of it. */
  leaseDurationSeconds?: number;
  /** How often the Ready condition is re-posted (default 300 s, kubelet's nodeStatusReportFrequency). */
  nodeStatusReportSeconds?: number;
  /** Also write the initial Pending status (ContainerCreating) before Running (default false). */
  reportPending?: boolean;
  /**
   * Default 64 (defaultLoopConcurrency): the three write loops (Nodes, Leases, pods) share 3 x
   * this many API writes in flight, each always sure of half of this (see the scale design above).
   */
  concurrency?: number;
  /** Node capacity (default cpu 4, memory 16Gi, pods 110, ephemeral-storage 100Gi). */
  capacity?: Record<string, string>;
  clock?: Clock;
  /** Random source in [0, 1) (failure draws, lease spreading); default Math.random. */
  random?: () => number;
  onError?: (err: unknown) => void;
}

export interface HollowNodesStats {
  nodes: number;
  /** Pods tracked (bound to one of our nodes, not yet deleted). */
  pods: number;
  podsRunning: number;
  podsFailed: number;
  writes: { nodes: number; leases: number; nodeStatus: number; podStatus: number; podDeletes: number };
  errors: number;
  /** Writes waiting or in flight. */
  queued: number;
}

export interface HollowNodes {
  /** Names of every registered hollow node, in registration order. */
  nodeNames(): string[];
  /** Registers `count` more nodes (continuing the index); resolves with their names once created. */
  addNodes(count: number): Promise<string[]>;
  /** Stops (false) or resumes (true) renewing one node's Lease and status: a node that went silent. */
  setHeartbeat(nodeName: string, alive: boolean): void;
  stats(): HollowNodesStats;
  /** Resolves when no write is waiting or in flight. */
  idle(): Promise<void>;
  /** Stops every timer, write and the watch; the Nodes stay registered (like a stopped agent). */
  stop(): Promise<void>;
}

interface NodeState {
  name: string;
  index: number;
  uid: string;
  leaseRV: string | undefined;
  alive: boolean;
  leaseTimer: WheelTimer | undefined;
  statusTimer: WheelTimer | undefined;
  podSeq: number;
  /** When its Lease was last written (0: never): a renewal long after it means the process stalled. */
  renewedAt: number;
  /** Since when its conditions read as they do (their lastTransitionTime): its registration, or its heartbeat's return. */
  conditionsSince: number;
}

interface PodState {
  key: string;
  node: NodeState;
  timer: WheelTimer | undefined;
  state: 'admitted' | 'running' | 'failed' | 'deleting';
  /**
   * Running, and a version of the pod without Ready False has been seen since: a Ready False
   * seen after that is another writer's (not an older write of ours still coming back).
   */
  confirmed?: boolean;
}

/**
 * Default HollowNodesOptions.concurrency: the write loops share 3 x 64 writes in flight.
 *
 * Contract: the three loops together (3 x 64 = 192) stay within the API server's default limit
 * on mutating requests in flight (200), so a hollow process whose credentials that limit counts
 * is not answered 429. Why this many: a write loop holds its next writes until a response comes
 * back, so with 32 per loop (separate limits) the API server waited for the hollow process
 * 22-28% of the time while 5,000 pods became Ready; with 64, 11-14% (96: 9-10%). The rollouts at
 * 5,000 nodes took 12.5-16.3 s instead of 19.2-22.4 s in back-to-back pairs (docs/performance.md,
 * session 20). Sharing the 192 (session 22), a rollout's pod writes run up to 128 at once.
 */
export const defaultLoopConcurrency = 64;

/** Sockets for a hollow process's HTTP/1.1 pool: one share per write loop, and its watches. */
export function hollowMaxSockets(concurrency: number): number {
  return 3 * concurrency + 8;
}

const retryBaseMs = 200;
const retryMaxMs = 5_000;

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function hostIPOf(index: number): string {
  return `10.${64 + ((index >> 16) & 63)}.${(index >> 8) & 255}.${index & 255}`;
}

function podCIDROf(index: number): { base: string; cidr: string } {
  const base = `10.${128 + ((index >> 8) & 127)}.${index & 255}`;
  return { base, cidr: `${base}.0/24` };
}

/** Running (or crashed) status for a pod, every container started at `now`. */
export function hollowPodStatus(pod: Pod, node: { hostIP: string; podIP: string }, nowMs: number, outcome: 'pending' | 'running' | 'failed'): PodStatus {
  const now = rfc3339(nowMs);
  const restartPolicy = pod.spec.restartPolicy ?? 'Always';
  const containerID = (name: string): string => `hollow://${pod.metadata.uid ?? ''}/${name}`;
  // Init containers completed once the pod runs, except sidecars (restartPolicy Always), which
  // keep running beside the containers, started and ready, as a kubelet reports them, until
  // the pod is over (Failed: a kubelet stops them too).
  const podOver = outcome === 'failed' && restartPolicy === 'Never';
  const init: ContainerStatus[] = (pod.spec.initContainers ?? []).map((c) => {
    const sidecar = (c as { restartPolicy?: string }).restartPolicy === 'Always' && outcome !== 'pending' && !podOver;
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: outcome !== 'pending',
      restartCount: 0,
      started: sidecar,
      state: outcome === 'pending' ? { waiting: { reason: 'PodInitializing' } } : sidecar ? { running: { startedAt: now } } : { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: containerID(c.name) } },
      lastState: {},
      ...(outcome === 'pending' ? {} : { containerID: containerID(c.name) }),
    };
  });
  const containers: ContainerStatus[] = pod.spec.containers.map((c) => {
    const base = { name: c.name, image: c.image ?? '', imageID: outcome === 'pending' ? '' : `hollow://${c.image ?? ''}`, restartCount: 0 };
    if (outcome === 'pending') return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
    if (outcome === 'failed') {
      const terminated = { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now, containerID: containerID(c.name) };
      if (restartPolicy === 'Never') return { ...base, containerID: containerID(c.name), ready: false, started: false, state: { terminated }, lastState: {} };
      return {
        ...base,
        restartCount: 1,
        containerID: containerID(c.name),
        ready: false,
        started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${c.name} pod=${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})` } },
        lastState: { terminated },
      };
    }
    return { ...base, containerID: containerID(c.name), ready: true, started: true, state: { running: { startedAt: now } }, lastState: {} };
  });
  const phase = outcome === 'pending' ? 'Pending' : outcome === 'failed' && restartPolicy === 'Never' ? 'Failed' : 'Running';
  const allReady = containers.every((c) => c.ready);
  const cond = (type: string, ok: boolean, reason?: string): PodCondition => {
    const c: PodCondition = { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now };
    if (!ok && reason) c.reason = reason;
    return c;
  };
  const status: PodStatus = {
    phase,
    conditions: [
      cond('Initialized', outcome !== 'pending' || init.length === 0, 'ContainersNotInitialized'),
      cond('Ready', allReady, phase === 'Failed' ? 'PodFailed' : 'ContainersNotReady'),
      cond('ContainersReady', allReady, phase === 'Failed' ? 'PodFailed' : 'ContainersNotReady'),
      cond('PodScheduled', true),
    ],
    hostIP: node.hostIP,
    hostIPs: [{ ip: node.hostIP }],
    startTime: pod.status?.startTime ?? now,
    containerStatuses: containers,
    // No qosClass: the API server set it at create and keeps it (a status without one is backfilled).
  };
  if (init.length) status.initContainerStatuses = init;
  if (outcome !== 'pending') {
    status.podIP = node.podIP;
    status.podIPs = [{ ip: node.podIP }];
  }
  return status;
}

/**
 * What the hollow process keeps of a pod (the informer's transform): the fields its lifecycle
 * and status writes read (hollowPodStatus, alreadyRunning, syncPod, podAddress) and nothing else. 5,000
 * whole pods held in the cache made a quarter of the process's busy time garbage collection.
 */
export function hollowPodView(pod: Pod): Pod {
  const m = pod.metadata;
  const meta: Pod['metadata'] = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.deletionTimestamp) meta.deletionTimestamp = m.deletionTimestamp;
  if (m.finalizers?.length) meta.finalizers = m.finalizers;
  const names = (cs: Array<{ name: string; image?: string }>) => cs.map((c) => ({ name: c.name, image: c.image }));
  const spec: Pod['spec'] = { containers: names(pod.spec?.containers ?? []) };
  if (pod.spec?.nodeName) spec.nodeName = pod.spec.nodeName;
  if (pod.spec?.restartPolicy) spec.restartPolicy = pod.spec.restartPolicy;
  if (pod.spec?.hostNetwork) spec.hostNetwork = true;
  // Init containers keep their restartPolicy: a sidecar's (Always) keeps running (hollowPodStatus).
  if (pod.spec?.initContainers?.length) {
    spec.initContainers = pod.spec.initContainers.map((c) => {
      const policy = (c as { restartPolicy?: string }).restartPolicy;
      return { name: c.name, image: c.image, ...(policy ? { restartPolicy: policy } : {}) };
    });
  }
  const out: Pod = { metadata: meta, spec };
  const st = pod.status;
  if (st) {
    const status: PodStatus = {};
    if (st.phase) status.phase = st.phase;
    if (st.startTime) status.startTime = st.startTime;
    // Its address, which a rewrite keeps (podAddress).
    if (st.podIP) status.podIP = st.podIP;
    if (st.containerStatuses) status.containerStatuses = st.containerStatuses.map((c) => ({ name: c.name, ready: c.ready, restartCount: c.restartCount, image: c.image, imageID: c.imageID, ...(c.state?.running ? { state: { running: c.state.running } } : {}) }));
    // Only a Ready of False is kept (syncPod writes such a running pod's status again).
    if (st.conditions?.some((c) => c.type === 'Ready' && c.status === 'False')) status.conditions = [{ type: 'Ready', status: 'False' }];
    out.status = status;
  }
  return out;
}

/** True when `pod` already shows every container running and ready (adopted without a write). */
function alreadyRunning(pod: Pod): boolean {
  const s = pod.status;
  if (s?.phase !== 'Running') return false;
  const cs = s.containerStatuses ?? [];
  return pod.spec.containers.every((c) => cs.some((x) => x.name === c.name && x.ready && x.state?.running));
}

class HollowNodeSet implements HollowNodes {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly prefix: string;
  private readonly readyDelayMs: number;
  private readonly failureRate: number;
  private readonly leaseDurationSeconds: number;
  private readonly renewIntervalMs: number;
  private readonly statusReportMs: number;
  private readonly reportPending: boolean;
  private readonly labels: Record<string, string>;
  private readonly capacity: Record<string, string>;
  private readonly wheel: TimerWheel;
  /** One write queue per kubelet loop (see the scale design above). */
  private readonly queues: { nodes: WriteQueue; leases: WriteQueue; pods: WriteQueue };
  private readonly nodes = new Map<string, NodeState>();
  private readonly order: string[] = [];
  private readonly pods = new Map<string, PodState>();
  private nextIndex: number;
  private stopped = false;
  private readonly informer: Informer<Pod>;
  private readonly counters = { nodes: 0, leases: 0, nodeStatus: 0, podStatus: 0, podDeletes: 0, errors: 0 };
  private running = 0;
  private failed = 0;

  constructor(o: HollowNodesOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.onError = o.onError ?? (() => {});
    this.prefix = o.namePrefix ?? 'hollow-node-';
    this.nextIndex = o.firstIndex ?? 0;
    this.readyDelayMs = o.readyDelayMs ?? 100;
    this.failureRate = o.failureRate ?? 0;
    this.leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
    this.renewIntervalMs = Math.max(1, Math.floor((this.leaseDurationSeconds * 1000) / 4));
    this.statusReportMs = (o.nodeStatusReportSeconds ?? 300) * 1000;
    this.reportPending = o.reportPending ?? false;
    this.labels = o.labels ?? {};
    this.capacity = o.capacity ?? { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    this.wheel = new TimerWheel(this.clock, 10, (e) => this.fail(e));
    // 3 x concurrency writes in flight, each loop sure of half its own (see the scale design).
    const concurrency = o.concurrency ?? defaultLoopConcurrency;
    const slots = new SharedSlots(3 * concurrency);
    const share = Math.max(1, Math.floor(concurrency / 2));
    const queue = (): WriteQueue => new WriteQueue(share, (key, e) => this.fail(new Error(`${key}: ${errMsg(e)}`)), slots);
    this.queues = { nodes: queue(), leases: queue(), pods: queue() };
    this.informer = new Informer<Pod>(this.client, podsResource, {
      clock: this.clock,
      onError: (e) => this.fail(e),
      indexers: { [podNodeNameIndex]: indexPodByNodeName as (p: Pod) => string[] },
      transform: hollowPodView,
    });
    this.informer.addEventHandler({
      add: (p) => this.syncPod(p),
      update: (_old, p) => this.syncPod(p),
      delete: (p) => this.forgetPod((p as { tombstone?: true; obj?: Pod }).tombstone ? (p as { obj: Pod }).obj : (p as Pod)),
    });
  }

  private fail(e: unknown): void {
    if (this.stopped) return;
    this.counters.errors++;
    this.onError(e);
  }

  async start(count: number): Promise<void> {
    await this.addNodes(count);
    this.informer.start();
    await this.informer.waitForSync();
  }

  nodeNames(): string[] {
    return [...this.order];
  }

  stats(): HollowNodesStats {
    const { errors, ...writes } = this.counters;
    return { nodes: this.nodes.size, pods: this.pods.size, podsRunning: this.running, podsFailed: this.failed, writes, errors, queued: this.allQueues().reduce((n, q) => n + q.pending, 0) };
  }

  private allQueues(): WriteQueue[] {
    return [this.queues.nodes, this.queues.leases, this.queues.pods];
  }

  async idle(): Promise<void> {
    // A write in one queue can enqueue into another (a registration syncs the node's pods):
    // idle only when every queue is idle at once.
    while (this.allQueues().some((q) => q.pending > 0)) await Promise.all(this.allQueues().map((q) => q.idle()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wheel.stop();
    for (const q of this.allQueues()) q.stop();
    // Let the writes in flight finish (bounded), so stopping never cuts a request mid-way.
    await Promise.race([Promise.all(this.allQueues().map((q) => q.idle())), new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    await this.informer.stop();
  }

  setHeartbeat(nodeName: string, alive: boolean): void {
    const n = this.nodes.get(nodeName);
    if (!n || n.alive === alive) return;
    n.alive = alive;
    if (!alive) {
      this.wheel.cancel(n.leaseTimer);
      this.wheel.cancel(n.statusTimer);
      n.leaseTimer = n.statusTimer = undefined;
    } else {
      // Back from a silence the node lifecycle controller may have marked Unknown: Ready again from now.
      n.conditionsSince = this.clock.now();
      this.renewLease(n);
      this.reportNodeStatus(n);
    }
  }

  // -----------------------------------------------------------------------------------------
  // Nodes and leases

  async addNodes(count: number): Promise<string[]> {
    const names: string[] = [];
    const done: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const index = this.nextIndex++;
      const name = `${this.prefix}${index}`;
      names.push(name);
      done.push(
        new Promise<void>((resolve, reject) => {
          this.queues.nodes.enqueue(`node:${name}`, () => this.register(name, index).then(resolve, (e: unknown) => {
            reject(e instanceof Error ? e : new Error(String(e)));
          }));
        }),
      );
    }
    await Promise.all(done);
    return names;
  }

  /** The conditions a heartbeat reports: the heartbeat time now, the transition time when they began to hold (as the kubelet keeps it while a status does not change). */
  private nodeConditions(nowMs: number, sinceMs: number): NodeCondition[] {
    const now = rfc3339(nowMs);
    const since = rfc3339(sinceMs);
    const c = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: since,
    });
    return [
      c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status (hollow node)'),
    ];
  }

  private nodeObject(name: string, index: number): Node {
    const { cidr } = podCIDROf(index);
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
          [hollowNodeLabel]: 'true',
          ...this.labels,
        },
      },
      spec: { podCIDR: cidr, podCIDRs: [cidr] },
      status: {
        capacity: { ...this.capacity },
        allocatable: { ...this.capacity },
        conditions: this.nodeConditions(this.clock.now(), this.clock.now()),
        addresses: [
          { type: 'InternalIP', address: hostIPOf(index) },
          { type: 'Hostname', address: name },
        ],
        nodeInfo: {
          machineID: `hollow-${index}`,
          systemUUID: `hollow-${index}`,
          bootID: `hollow-${index}`,
          kernelVersion: 'hollow',
          osImage: 'everynode hollow node',
          containerRuntimeVersion: 'hollow://0.1.0',
          kubeletVersion: 'v1.32.0', // as real agents report (the API server's gitVersion)
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
  }

  private async register(name: string, index: number): Promise<void> {
    let node: Node;
    const initial = this.nodeObject(name, index);
    /** An existing Node whose conditions are not what this node reports (e.g. Unknown after an outage). */
    let stale = false;
    try {
      node = await this.client.create<Node>(nodesResource, '', initial);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node = await this.client.get<Node>(nodesResource, '', name);
      const reported = new Map(this.nodeConditions(this.clock.now(), this.clock.now()).map((c) => [c.type, c.status]));
      stale = (node.status?.conditions ?? []).some((c) => reported.has(c.type) && reported.get(c.type) !== c.status) || (node.status?.conditions ?? []).length === 0;
      // As the kubelet's updateDefaultLabels: the default labels of the node it would create
      // (configured labels included) replace differing ones; other labels are kept.
      const want: Record<string, string> = {};
      for (const key of kubeletDefaultLabelKeys) {
        const v = initial.metadata.labels?.[key];
        if (v !== undefined && node.metadata.labels?.[key] !== v) want[key] = v;
      }
      if (Object.keys(want).length > 0) node = await this.client.patch<Node>(nodesResource, '', name, 'merge', { metadata: { labels: want } });
    }
    this.counters.nodes++;
    const st: NodeState = { name, index, uid: node.metadata.uid ?? '', leaseRV: undefined, alive: true, leaseTimer: undefined, statusTimer: undefined, podSeq: 0, renewedAt: 0, conditionsSince: this.clock.now() };
    this.nodes.set(name, st);
    this.order.push(name);
    // Pods bound before this node was known here (a watch event can overtake the create's answer).
    for (const p of this.informer.indexer.byIndex(podNodeNameIndex, name)) this.syncPod(p);
    // The first lease now (the node is healthy from the start), later renewals spread over one interval.
    await this.writeLease(st);
    this.scheduleLease(st, this.renewIntervalMs * this.random());
    // As a kubelet that starts: a Node left with other conditions (Unknown, from the node
    // lifecycle controller, while this process was down) gets its status at once (within a
    // second, spread); others on the usual schedule, spread over the second half of one.
    this.scheduleStatus(st, stale ? 1_000 * this.random() : this.statusReportMs * (0.5 + this.random() / 2));
  }

  private scheduleLease(n: NodeState, delayMs: number): void {
    if (this.stopped || !n.alive) return;
    this.wheel.cancel(n.leaseTimer);
    n.leaseTimer = this.wheel.schedule(() => this.renewLease(n), delayMs);
  }

  private scheduleStatus(n: NodeState, delayMs: number): void {
    if (this.stopped || !n.alive) return;
    this.wheel.cancel(n.statusTimer);
    n.statusTimer = this.wheel.schedule(() => this.reportNodeStatus(n), delayMs);
  }

  private renewLease(n: NodeState): void {
    if (this.stopped || !n.alive) return;
    this.queues.leases.enqueue(`lease:${n.name}`, async () => {
      try {
        // A renewal two intervals late: the process stalled (stopped, starved), and the node
        // lifecycle controller may have marked the node's conditions Unknown meanwhile. As a
        // kubelet that finds its status changed, report it again at once.
        const stalled = n.renewedAt > 0 && this.clock.now() - n.renewedAt > 2 * this.renewIntervalMs;
        await this.writeLease(n);
        if (stalled) {
          n.conditionsSince = this.clock.now();
          this.reportNodeStatus(n);
        }
        this.scheduleLease(n, this.renewIntervalMs);
      } catch (e) {
        // The kubelet retries a failed renewal quickly (200 ms doubling to 7 s); so do we, capped.
        this.scheduleLease(n, Math.min(this.renewIntervalMs, 1_000));
        throw e;
      }
    });
  }

  private leaseObject(n: NodeState): Lease {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: n.name,
        namespace: nodeLeaseNamespace,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: n.uid }],
      },
      spec: { holderIdentity: n.name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime: rfc3339Micro(this.clock.now()) },
    };
    if (n.leaseRV) lease.metadata.resourceVersion = n.leaseRV;
    return lease;
  }

  /** Creates or renews `n`'s Lease; on Conflict/AlreadyExists/NotFound re-reads once and retries. */
  private async writeLease(n: NodeState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const l = n.leaseRV
          ? await this.client.update<Lease>(leasesResource, nodeLeaseNamespace, this.leaseObject(n))
          : await this.client.create<Lease>(leasesResource, nodeLeaseNamespace, this.leaseObject(n));
        n.leaseRV = l.metadata.resourceVersion;
        n.renewedAt = this.clock.now();
        this.counters.leases++;
        return;
      } catch (e) {
        if (attempt > 0 || !(isConflict(e) || isAlreadyExists(e) || isNotFound(e))) throw e;
        try {
          const cur = await this.client.get<Lease>(leasesResource, nodeLeaseNamespace, n.name);
          n.leaseRV = cur.metadata.resourceVersion;
        } catch (g) {
          if (!isNotFound(g)) throw g;
          n.leaseRV = undefined;
        }
      }
    }
  }

  private reportNodeStatus(n: NodeState): void {
    if (this.stopped || !n.alive) return;
    this.queues.nodes.enqueue(`nodestatus:${n.name}`, async () => {
      try {
        await this.client.patch(nodesResource, '', n.name, 'strategic', { status: { conditions: this.nodeConditions(this.clock.now(), n.conditionsSince) } }, { subresource: 'status', discardAnswer: true });
        this.counters.nodeStatus++;
        this.scheduleStatus(n, this.statusReportMs);
      } catch (e) {
        this.scheduleStatus(n, Math.min(this.statusReportMs, 10_000));
        throw e;
      }
    });
  }

  // -----------------------------------------------------------------------------------------
  // Pods

  private syncPod(pod: Pod): void {
    if (this.stopped) return;
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!node) return;
    const uid = pod.metadata.uid ?? metaNamespaceKey(pod);
    let st = this.pods.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (st?.state === 'deleting') return;
      if (!st) {
        st = { key: metaNamespaceKey(pod), node, timer: undefined, state: 'deleting' };
        this.pods.set(uid, st);
      } else this.setState(st, 'deleting');
      this.wheel.cancel(st.timer);
      this.finishDeletion(pod);
      return;
    }
    if (st) {
      // As the kubelet's status manager: a running pod whose Ready condition alone another writer
      // set False (the node lifecycle controller, while this node was unreachable: its
      // containers still say ready) gets its status again. A status someone wrote in the
      // kubelet's place (containers not ready: a test playing a crash loop) is left alone.
      if (st.state !== 'running') return;
      const notReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') === true;
      if (!notReady) st.confirmed = true;
      else if (st.confirmed && alreadyRunning(pod)) {
        st.confirmed = false;
        this.writePodStatus(uid, st, 'running', 0);
      }
      return;
    }
    st = { key: metaNamespaceKey(pod), node, timer: undefined, state: 'admitted' };
    this.pods.set(uid, st);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.setState(st, 'failed');
      return;
    }
    if (alreadyRunning(pod)) {
      this.setState(st, 'running');
      st.confirmed = true;
      // Found running with its Ready condition alone set False (marked while this process was
      // down and its node unreachable): its status is written again, as a restarted kubelet's.
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False')) {
        st.confirmed = false;
        this.writePodStatus(uid, st, 'running', 0);
      }
      return;
    }
    if (this.reportPending) this.writePodStatus(uid, st, 'pending', 0);
    const s = st;
    s.timer = this.wheel.schedule(() => {
      s.timer = undefined;
      if (this.pods.get(uid) !== s || s.state !== 'admitted') return;
      const outcome = this.failureRate > 0 && this.random() < this.failureRate ? 'failed' : 'running';
      this.setState(s, outcome);
      this.writePodStatus(uid, s, outcome, 0);
    }, this.readyDelayMs);
  }

  private setState(st: PodState, next: PodState['state']): void {
    if (st.state === next) return;
    if (st.state === 'running') this.running--;
    if (st.state === 'failed') this.failed--;
    st.state = next;
    if (next === 'running') this.running++;
    if (next === 'failed') this.failed++;
  }

  private forgetPod(pod: Pod): void {
    const uid = pod.metadata.uid ?? metaNamespaceKey(pod);
    const st = this.pods.get(uid);
    if (!st) return;
    this.wheel.cancel(st.timer);
    this.setState(st, 'deleting');
    this.pods.delete(uid);
  }

  private writePodStatus(uid: string, st: PodState, outcome: 'pending' | 'running' | 'failed', attempt: number): void {
    this.queues.pods.enqueue(`pod:${uid}`, async () => {
      if (this.pods.get(uid) !== st || st.state === 'deleting') return;
      const pod = this.informer.indexer.getByKey(st.key);
      if (!pod || pod.metadata.uid !== uid) return;
      const n = st.node;
      // A host-network pod has its node's address, as on a real node; others keep the address
      // they were given (a sandbox keeps its IP for the pod's life), or get one no pod of the
      // node has.
      const podIP = pod.spec?.hostNetwork ? hostIPOf(n.index) : this.podAddress(n, pod);
      const status = hollowPodStatus(pod, { hostIP: hostIPOf(n.index), podIP }, this.clock.now(), outcome);
      try {
        await this.client.patch(podsResource, pod.metadata.namespace ?? '', pod.metadata.name ?? '', 'merge', { status }, { subresource: 'status', discardAnswer: true });
        this.counters.podStatus++;
      } catch (e) {
        if (isNotFound(e)) return;
        if (this.pods.get(uid) === st && !this.stopped) {
          const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** attempt);
          st.timer = this.wheel.schedule(() => {
            st.timer = undefined;
            this.writePodStatus(uid, st, outcome, attempt + 1);
          }, delay);
        }
        throw e;
      }
    });
  }

  /** The pod's address in its node's pod CIDR: the one it has, else the next one free on the node. */
  private podAddress(n: NodeState, pod: Pod): string {
    const base = podCIDROf(n.index).base;
    const kept = pod.status?.podIP;
    if (kept && kept.startsWith(`${base}.`)) return kept;
    const used = new Set<string>();
    for (const p of this.informer.indexer.byIndex(podNodeNameIndex, n.name)) if (p.status?.podIP && !p.spec?.hostNetwork) used.add(p.status.podIP);
    let ip = '';
    for (let tries = 0; tries < 253; tries++) {
      ip = `${base}.${(n.podSeq++ % 253) + 2}`;
      if (!used.has(ip)) break;
    }
    return ip;
  }

  private finishDeletion(pod: Pod): void {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid;
    // As the kubelet once its containers are stopped: a delete with grace 0 whatever finalizers
    // the pod still has; the API server removes it when the last one goes.
    this.queues.pods.enqueue(`pod:${uid ?? name}`, async () => {
      try {
        await this.client.delete(podsResource, ns, name, { gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) });
        this.counters.podDeletes++;
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) return;
        throw e;
      }
    });
  }
}

/**
 * Starts `count` hollow nodes: resolves once every Node and its first Lease exist and the
 * shared pod informer has synced. Registration failures reject (after stopping what started).
 */
export async function startHollowNodes(o: HollowNodesOptions): Promise<HollowNodes> {
  const set = new HollowNodeSet(o);
  try {
    await set.start(o.count);
  } catch (e) {
    await set.stop();
    throw e;
  }
  return set;
}
