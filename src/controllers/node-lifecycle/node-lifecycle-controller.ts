// NodeLifecycleController: node health, condition taints and (through TaintEvictionController)
// taint-based eviction, modelled on upstream's pkg/controller/nodelifecycle.
//
// Health (monitorNodeHealth, every monitorPeriodMs): a node's probe time moves to "now" when
// its Ready condition's lastHeartbeatTime changes or its Lease in `kube-node-lease` shows a
// later renewTime. A node silent for longer than the grace period (startup grace period when
// it never posted Ready) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to
// Unknown (`NodeStatusUnknown` / "Kubelet stopped posting node status."; missing ones are
// added as `NodeStatusNeverUpdated`), written with updateStatus.
//
// Taints:
// - NoSchedule (on every node add/update, not rate-limited): Ready=False → not-ready,
//   Ready=Unknown → unreachable, pressure conditions → their taints, spec.unschedulable →
//   unschedulable; controller-managed NoSchedule taints no longer implied are removed.
// - NoExecute (rate-limited per zone): Ready=False → not-ready, Unknown → unreachable, swapped
//   at once if the other one is present, removed when Ready=True. New NoExecute taints go
//   through a token bucket per zone: evictionLimiterQPS normally, secondaryEvictionLimiterQPS
//   (or 0 in small zones) when a zone is partially disrupted, and a full stop (taints removed)
//   when every node of every zone is not ready, as upstream's master-disruption mode.
// Events: RegisteredNode when a pass first sees a node, RemovingNode when it is gone (by name,
// as upstream's knownNodeSet; a controller that starts, or takes over as leader, registers every
// node again), NodeNotReady when Ready leaves True.
// All taints the controller adds carry timeAdded. Writes are PUTs of the latest node with its
// resourceVersion, retried on conflict from a fresh GET.
//
// Everynode addition (restoreReadyOnLeaseRenewal, default on): when this controller marked a
// node Unknown and the node's Lease is renewed afterwards, Ready is restored to the status it
// had before (the agent re-posts its full status on its next report, as a kubelet would).

import type { Lease, Node, NodeCondition, Pod, Taint } from '../../api/types.js';
import { errorMessage, rfc3339 } from '../../util/index.js';
import {
  ApiEventRecorder,
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  RateLimitingQueue,
  SharedInformerFactory,
  type TimerHandle,
  indexPodByNodeName,
  isConflict,
  isNotFound,
  isTombstone,
  leasesResource,
  nodesResource,
  podNodeNameIndex,
  podsResource,
  realClock,
} from '../../client/index.js';
import { RateLimitedTimedQueue, TokenBucket } from './rate-limited-queue.js';
import { TaintEvictionController } from './taint-eviction.js';
import {
  desiredNoScheduleTaints,
  getNodeCondition,
  notReadyNoExecute,
  taintExists,
  taintMatches,
  taintSetDiff,
  unreachableNoExecute,
} from './taints.js';

export const nodeLeaseNamespace = 'kube-node-lease';
export const nodeLifecycleComponent = 'node-controller';
/** How often monitorNodeHealth runs unless told otherwise (upstream's --node-monitor-period: 5 s). */
export const defaultNodeMonitorPeriodMs = 5_000;

export const reasonNodeStatusUnknown = 'NodeStatusUnknown';
export const reasonNodeStatusNeverUpdated = 'NodeStatusNeverUpdated';
export const messageNodeStatusUnknown = 'Kubelet stopped posting node status.';
export const messageNodeStatusNeverUpdated = 'Kubelet never posted node status.';
export const reasonNodeLeaseRenewed = 'NodeLeaseRenewed';
export const labelExcludeDisruption = 'node.kubernetes.io/exclude-disruption';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export interface NodeLifecycleControllerOptions {
  client: ApiClient;
  /** Share informers with other controllers; by default the controller makes (and owns) its own. */
  informers?: SharedInformerFactory;
  clock?: Clock;
  /** Node events (NodeNotReady). */
  recorder?: EventRecorder;
  /** Pod eviction events (TaintManagerEviction). */
  evictionRecorder?: EventRecorder;
  /** nodeMonitorGracePeriod (default 50 s). */
  gracePeriodMs?: number;
  /** nodeStartupGracePeriod for nodes that never posted Ready (default 60 s). */
  startupGracePeriodMs?: number;
  /** nodeMonitorPeriod (default 5 s). */
  monitorPeriodMs?: number;
  /** How often the NoExecute tainting queues are tried (upstream nodeEvictionPeriod: 100 ms). */
  taintingPeriodMs?: number;
  /** Nodes tainted NoExecute per second per healthy zone (default 0.1). */
  evictionLimiterQPS?: number;
  /** Rate in a partially disrupted large zone (default 0.01). */
  secondaryEvictionLimiterQPS?: number;
  /** Zones up to this size stop tainting when partially disrupted (default 50). */
  largeClusterThreshold?: number;
  /** Fraction of not-ready nodes (with more than 2 of them) that makes a zone partially disrupted (default 0.55). */
  unhealthyZoneThreshold?: number;
  /** Run the taint eviction controller (default true). */
  taintEviction?: boolean;
  restoreReadyOnLeaseRenewal?: boolean;
  onError?: (err: unknown) => void;
}

interface NodeHealth {
  /** The Ready condition last seen on the node (undefined: the node had none). */
  savedReady: NodeCondition | undefined;
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  leaseRenewTime: number | undefined;
  /** Status Ready had when this controller marked it Unknown, and when. */
  beforeUnknown?: { status: NodeCondition['status']; at: number };
}

const nodeConditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const statusUpdateRetries = 5;
/** Labels whose deprecated twin (second) the controller keeps equal to them (upstream's labelReconcileInfo). */
const reconciledLabels: [string, string][] = [
  ['kubernetes.io/os', 'beta.kubernetes.io/os'],
  ['kubernetes.io/arch', 'beta.kubernetes.io/arch'],
];

const swapTaintRetries = 5;

function conditionEqual(a: NodeCondition | undefined, b: NodeCondition | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Upstream's zone key: region and zone labels (empty for nodes without them). As upstream, the
 * deprecated beta label wins when a node has both (the kubelet writes both, with one value; a
 * node labelled by hand may differ), and a label present with an empty value is that value.
 */
export function zoneKeyOf(node: Node): string {
  const l = node.metadata.labels ?? {};
  const region = l['failure-domain.beta.kubernetes.io/region'] ?? l['topology.kubernetes.io/region'] ?? '';
  const zone = l['failure-domain.beta.kubernetes.io/zone'] ?? l['topology.kubernetes.io/zone'] ?? '';
  return region || zone ? `${region}:\u0000:${zone}` : '';
}

export class NodeLifecycleController {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly informers: SharedInformerFactory;
  readonly nodeInformer: Informer<Node>;
  readonly leaseInformer: Informer<Lease>;
  readonly taintEviction: TaintEvictionController | undefined;
  readonly recorder: EventRecorder;
  /** Node names whose NoSchedule taints need a look. */
  readonly noScheduleQueue: RateLimitingQueue<string>;
  readonly gracePeriodMs: number;
  readonly startupGracePeriodMs: number;
  readonly monitorPeriodMs: number;
  readonly taintingPeriodMs: number;
  private readonly evictionQPS: number;
  private readonly secondaryEvictionQPS: number;
  private readonly largeClusterThreshold: number;
  private readonly unhealthyZoneThreshold: number;
  private readonly restoreReady: boolean;
  private readonly ownsFactory: boolean;
  private readonly onError: (err: unknown) => void;
  private readonly nodeHealth = new Map<string, NodeHealth>();
  /**
   * Upstream's knownNodeSet: the nodes this controller has seen, by name, with the UID it first
   * saw. A name's arrival is a RegisteredNode event, its going a RemovingNode event (so every
   * node gets one when a controller starts, or takes over as leader, as upstream's do).
   */
  private readonly knownNodes = new Map<string, string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly zoneNoExecuteTainter = new Map<string, RateLimitedTimedQueue>();
  private readonly timers = new Set<TimerHandle>();
  /** Passes in progress (run() waits for them when it stops: no write after the term ends). */
  private readonly passes = new Set<Promise<void>>();
  /** Nodes whose pods could not all be marked not Ready: tried again on the next pass. */
  private readonly nodesToRetry = new Set<string>();
  readonly podInformer: Informer<Pod>;
  private stopped = false;

  constructor(o: NodeLifecycleControllerOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.onError = o.onError ?? (() => {});
    this.gracePeriodMs = o.gracePeriodMs ?? 50_000;
    this.startupGracePeriodMs = o.startupGracePeriodMs ?? 60_000;
    this.monitorPeriodMs = o.monitorPeriodMs ?? defaultNodeMonitorPeriodMs;
    this.taintingPeriodMs = o.taintingPeriodMs ?? 100;
    this.evictionQPS = o.evictionLimiterQPS ?? 0.1;
    this.secondaryEvictionQPS = o.secondaryEvictionLimiterQPS ?? 0.01;
    this.largeClusterThreshold = o.largeClusterThreshold ?? 50;
    this.unhealthyZoneThreshold = o.unhealthyZoneThreshold ?? 0.55;
    this.restoreReady = o.restoreReadyOnLeaseRenewal ?? true;
    this.ownsFactory = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client, { clock: this.clock, onError: this.onError });
    this.recorder =
      o.recorder ?? new ApiEventRecorder(o.client, { component: nodeLifecycleComponent, clock: this.clock, defaultKind: { kind: 'Node', apiVersion: 'v1' }, onError: this.onError });
    this.noScheduleQueue = new RateLimitingQueue<string>(this.clock);
    this.nodeInformer = this.informers.forResource<Node>(nodesResource);
    this.leaseInformer = this.informers.forResource<Lease>(leasesResource);
    this.nodeInformer.addEventHandler({
      add: (n) => this.noScheduleQueue.add(n.metadata.name ?? ''),
      update: (_a, b) => this.noScheduleQueue.add(b.metadata.name ?? ''),
      delete: (n) => {
        const node = isTombstone(n) ? n.obj : n;
        const name = node.metadata.name ?? '';
        this.nodeHealth.delete(name);
        this.nodesToRetry.delete(name);
        for (const q of this.zoneNoExecuteTainter.values()) q.remove(name);
      },
    });
    this.taintEviction =
      o.taintEviction === false
        ? undefined
        : new TaintEvictionController({ client: o.client, informers: this.informers, clock: this.clock, recorder: o.evictionRecorder, onError: this.onError });
    // Pods by node: marked not Ready when their node stops reporting (and used by taint eviction).
    this.podInformer = this.informers.forResource<Pod>(podsResource);
    if (!this.podInformer.indexer.hasIndex(podNodeNameIndex)) this.podInformer.addIndexers({ [podNodeNameIndex]: indexPodByNodeName });
  }

  // -------------------------------------------------------------------------------------------
  // Running

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (this.ownsFactory) this.informers.start();
    else for (const r of [nodesResource, leasesResource, podsResource]) this.informers.forResource(r).start();
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all([this.nodeInformer.waitForSync(), this.leaseInformer.waitForSync(), this.podInformer.waitForSync()]), stop]);
    const tasks: Array<Promise<void>> = [];
    if (!signal.aborted) {
      if (this.taintEviction) tasks.push(this.taintEviction.run(signal));
      tasks.push(this.noScheduleWorker());
      this.every(this.monitorPeriodMs, () => this.monitorNodeHealth());
      this.every(this.taintingPeriodMs, () => this.doNoExecuteTaintingPass());
    }
    await stop;
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.noScheduleQueue.shutDown({ drain: false });
    await Promise.all([...tasks, ...this.passes]);
    if (this.ownsFactory) await this.informers.shutdown();
  }

  /** Runs `fn` now and then `periodMs` after each run finishes (runs never overlap). */
  private every(periodMs: number, fn: () => Promise<void>): void {
    const loop = (): void => {
      if (this.stopped) return;
      const pass = fn()
        .catch((e: unknown) => this.onError(e))
        .finally(() => {
          this.passes.delete(pass);
          if (this.stopped) return;
          const h = this.clock.setTimeout(() => {
            this.timers.delete(h);
            loop();
          }, periodMs);
          this.timers.add(h);
        });
      this.passes.add(pass);
    };
    loop();
  }

  private async noScheduleWorker(): Promise<void> {
    for (;;) {
      const name = await this.noScheduleQueue.get();
      if (name === undefined) return;
      try {
        await this.doNoScheduleTaintingPass(name);
        await this.reconcileNodeLabels(name);
        this.noScheduleQueue.forget(name);
      } catch (e) {
        this.onError(new Error(`node lifecycle: NoSchedule taints of ${name}: ${errorMessage(e)}`));
        this.noScheduleQueue.addRateLimited(name);
      } finally {
        this.noScheduleQueue.done(name);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Health

  zoneState(zone = ''): ZoneState | undefined {
    return this.zoneStates.get(zone);
  }

  /** Node names waiting in a NoExecute tainting queue. */
  pendingTainting(): string[] {
    return [...this.zoneNoExecuteTainter.values()].flatMap((q) => q.values());
  }

  private ensureZone(zone: string): RateLimitedTimedQueue {
    let q = this.zoneNoExecuteTainter.get(zone);
    if (!q) {
      q = new RateLimitedTimedQueue(new TokenBucket(this.evictionQPS, 1, this.clock), this.clock);
      this.zoneNoExecuteTainter.set(zone, q);
      this.zoneStates.set(zone, 'Initial');
    }
    return q;
  }

  /** Upstream's RecordNodeEvent: a Normal event about the node, by name and UID. */
  private nodeEvent(name: string, uid: string, reason: string, event: string): void {
    const ref: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name, ...(uid ? { uid } : {}) } };
    this.recorder.event(ref, 'Normal', reason, `Node ${name} event: ${event}`);
  }

  /** One pass over every node: update health, queue NoExecute taints, then adjust zone rates. */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodeInformer.lister.list();
    const names = new Set(nodes.map((n) => n.metadata.name ?? ''));
    for (const n of nodes) {
      const name = n.metadata.name ?? '';
      if (this.knownNodes.has(name)) continue;
      this.knownNodes.set(name, n.metadata.uid ?? '');
      this.nodeEvent(name, n.metadata.uid ?? '', 'RegisteredNode', `Registered Node ${name} in Controller`);
    }
    for (const [name, uid] of [...this.knownNodes]) {
      if (names.has(name)) continue;
      this.knownNodes.delete(name);
      this.nodeEvent(name, uid, 'RemovingNode', `Removing Node ${name} from Controller`);
    }
    for (const name of [...this.nodeHealth.keys()]) {
      if (!names.has(name)) {
        this.nodeHealth.delete(name);
        for (const q of this.zoneNoExecuteTainter.values()) q.remove(name);
      }
    }
    const zoneToConditions = new Map<string, Array<NodeCondition | undefined>>();
    for (const cached of nodes) {
      if (this.stopped) return; // the term ended: stop writing mid-pass
      const name = cached.metadata.name ?? '';
      let node: Node | undefined = cached;
      let result: { observed: NodeCondition; current: NodeCondition | undefined } | undefined;
      for (let attempt = 1; attempt <= statusUpdateRetries && node; attempt++) {
        try {
          result = await this.tryUpdateNodeHealth(node);
          break;
        } catch (e) {
          if (!isConflict(e)) this.onError(new Error(`node lifecycle: updating health of ${name}: ${errorMessage(e)}`));
          try {
            node = await this.client.get<Node>(nodesResource, '', name);
          } catch (ge) {
            if (!isNotFound(ge)) this.onError(ge);
            node = undefined;
          }
        }
      }
      if (!node || !result) continue;
      const zone = zoneKeyOf(node);
      this.ensureZone(zone);
      // Present at all (any value, even empty) excludes the node from its zone's health, as upstream.
      if (!Object.prototype.hasOwnProperty.call(node.metadata.labels ?? {}, labelExcludeDisruption)) {
        let list = zoneToConditions.get(zone);
        if (!list) zoneToConditions.set(zone, (list = []));
        list.push(result.current);
      }
      if (result.current) {
        // NoExecute taints follow the condition as this pass found it, not the one it just wrote
        // (upstream's observedReadyCondition): a node goes into its zone's tainting queue one
        // pass after it is marked Unknown, once handleDisruption has seen it. Judged on the
        // written condition, a node that was the last of its zone to go silent was queued and
        // could be tainted by the tainting timer during this pass's writes, before the pass
        // found the zone fully disrupted and stopped tainting; nothing then lifted that taint.
        // The one write judged as written is Ready restored by a renewed lease: the node is
        // alive, so it is not queued on its old Unknown.
        const judged = result.current.status === 'True' ? result.current : result.observed;
        try {
          await this.processTaintBaseEviction(node, judged);
        } catch (e) {
          this.onError(new Error(`node lifecycle: NoExecute taints of ${name}: ${errorMessage(e)}`));
        }
        const becameNotReady = result.current.status !== 'True' && result.observed.status === 'True';
        if (becameNotReady) this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        if (becameNotReady || (this.nodesToRetry.has(name) && result.observed.status !== 'True')) {
          if (await this.markPodsNotReady(name)) this.nodesToRetry.delete(name);
          else this.nodesToRetry.add(name);
          continue;
        }
      }
      this.nodesToRetry.delete(name);
    }
    await this.handleDisruption(zoneToConditions, nodes);
  }

  /**
   * Upstream's MarkPodsNotReady: the Ready condition of every pod on a node that stopped
   * reporting becomes False (its agent cannot say otherwise), so DaemonSet counts, endpoints and
   * rollout budgets stop treating its daemons as healthy. The agent writes the truth again when
   * the node is back. Answers whether every pod was written.
   */
  private async markPodsNotReady(nodeName: string): Promise<boolean> {
    let ok = true;
    for (const cached of this.podInformer.indexer.byIndex(podNodeNameIndex, nodeName)) {
      const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || cached.spec.nodeName !== nodeName) continue;
      const conditions = (cached.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: rfc3339(this.clock.now()) } : c));
      try {
        await this.client.updateStatus<Pod>(podsResource, cached.metadata.namespace ?? '', { ...cached, status: { ...cached.status, conditions } });
        this.recorder.event(cached, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (isNotFound(e)) continue;
        ok = false;
        this.onError(new Error(`node lifecycle: marking pod ${cached.metadata.namespace ?? ''}/${cached.metadata.name ?? ''} not Ready: ${errorMessage(e)}`));
      }
    }
    return ok;
  }

  private async tryUpdateNodeHealth(node: Node): Promise<{ observed: NodeCondition; current: NodeCondition | undefined }> {
    const name = node.metadata.name ?? '';
    const now = this.clock.now();
    const created = node.metadata.creationTimestamp ? Date.parse(node.metadata.creationTimestamp) : now;
    let health = this.nodeHealth.get(name);
    let current = getNodeCondition(node, 'Ready');
    let observed: NodeCondition;
    let grace: number;
    if (!current) {
      // Never posted Ready: judge it from its creation time with the startup grace period.
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp ?? undefined, lastTransitionTime: node.metadata.creationTimestamp ?? undefined };
      grace = this.startupGracePeriodMs;
      if (health) health.savedReady = undefined;
      else health = { savedReady: undefined, probeTimestamp: created, readyTransitionTimestamp: created, leaseRenewTime: undefined };
    } else {
      observed = { ...current };
      grace = this.gracePeriodMs;
    }
    const saved = health?.savedReady;
    if (!health) {
      health = { savedReady: current, probeTimestamp: now, readyTransitionTimestamp: now, leaseRenewTime: undefined };
    } else if (!saved && current) {
      health = { ...health, savedReady: current, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (saved && current && saved.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transition = saved.lastTransitionTime !== current.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { ...health, savedReady: current, probeTimestamp: now, readyTransitionTimestamp: transition, beforeUnknown: undefined };
    }
    let leaseRenewed = false;
    const lease = this.leaseInformer.lister.namespace(nodeLeaseNamespace).get(name);
    const renew = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : NaN;
    if (!Number.isNaN(renew) && (health.leaseRenewTime === undefined || health.leaseRenewTime < renew)) {
      health.leaseRenewTime = renew;
      health.probeTimestamp = now;
      leaseRenewed = true;
    }
    this.nodeHealth.set(name, health);

    if (now > health.probeTimestamp + grace) {
      const updated = structuredClone(node);
      updated.status ??= {};
      const conditions = (updated.status.conditions ??= []);
      for (const type of nodeConditionTypes) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({
            type,
            status: 'Unknown',
            reason: reasonNodeStatusNeverUpdated,
            message: messageNodeStatusNeverUpdated,
            ...(node.metadata.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
            lastTransitionTime: rfc3339(now),
          });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = reasonNodeStatusUnknown;
          c.message = messageNodeStatusUnknown;
          c.lastTransitionTime = rfc3339(now);
        }
      }
      const newReady = conditions.find((x) => x.type === 'Ready');
      if (!conditionEqual(newReady, observed)) {
        await this.client.updateStatus(nodesResource, '', updated);
        this.nodeHealth.set(name, {
          ...health,
          savedReady: newReady,
          readyTransitionTimestamp: now,
          beforeUnknown: current && current.status !== 'Unknown' ? { status: current.status, at: now } : health.beforeUnknown,
        });
        return { observed, current: newReady };
      }
    } else if (
      this.restoreReady &&
      leaseRenewed &&
      current?.status === 'Unknown' &&
      current.reason === reasonNodeStatusUnknown &&
      health.beforeUnknown &&
      renew > health.beforeUnknown.at
    ) {
      // The node is alive again (its lease moved after we marked it Unknown): restore Ready.
      const updated = structuredClone(node);
      const c = updated.status?.conditions?.find((x) => x.type === 'Ready');
      if (c) {
        c.status = health.beforeUnknown.status;
        c.reason = reasonNodeLeaseRenewed;
        c.message = 'Node lease renewed after the node stopped posting status.';
        c.lastTransitionTime = rfc3339(now);
        await this.client.updateStatus(nodesResource, '', updated);
        this.nodeHealth.set(name, { ...health, savedReady: c, readyTransitionTimestamp: now, beforeUnknown: undefined });
        return { observed, current: c };
      }
    }
    return { observed, current };
  }

  // -------------------------------------------------------------------------------------------
  // NoExecute taints

  private async processTaintBaseEviction(node: Node, ready: NodeCondition): Promise<void> {
    const name = node.metadata.name ?? '';
    const taints = node.spec?.taints;
    switch (ready.status) {
      case 'False':
        if (taintExists(taints, unreachableNoExecute)) await this.swapNodeControllerTaint(name, [notReadyNoExecute], [unreachableNoExecute]);
        else if (!taintExists(taints, notReadyNoExecute)) this.ensureZone(zoneKeyOf(node)).add(name, node.metadata.uid ?? '');
        break;
      case 'Unknown':
        if (taintExists(taints, notReadyNoExecute)) await this.swapNodeControllerTaint(name, [unreachableNoExecute], [notReadyNoExecute]);
        else if (!taintExists(taints, unreachableNoExecute)) this.ensureZone(zoneKeyOf(node)).add(name, node.metadata.uid ?? '');
        break;
      case 'True':
        await this.markNodeAsReachable(node);
        break;
    }
  }

  private async markNodeAsReachable(node: Node): Promise<void> {
    const name = node.metadata.name ?? '';
    for (const q of this.zoneNoExecuteTainter.values()) q.remove(name);
    const taints = node.spec?.taints;
    if (taintExists(taints, notReadyNoExecute) || taintExists(taints, unreachableNoExecute)) {
      await this.swapNodeControllerTaint(name, [], [notReadyNoExecute, unreachableNoExecute]);
    }
  }

  /** Tries the per-zone tainting queues; each node tainted costs one token of its zone's bucket. */
  async doNoExecuteTaintingPass(): Promise<void> {
    for (const q of this.zoneNoExecuteTainter.values()) {
      await q.try(async (name) => {
        const node = this.nodeInformer.lister.get(name);
        if (!node) return true;
        const ready = getNodeCondition(node, 'Ready');
        if (!ready) return false;
        if (ready.status === 'False') return this.swapNodeControllerTaint(name, [notReadyNoExecute], [unreachableNoExecute]);
        if (ready.status === 'Unknown') return this.swapNodeControllerTaint(name, [unreachableNoExecute], [notReadyNoExecute]);
        return true; // ready again meanwhile
      });
    }
  }

  private computeZoneState(conditions: Array<NodeCondition | undefined>): ZoneState {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return 'FullDisruption';
    if (notReady > 2 && notReady / (notReady + ready) >= this.unhealthyZoneThreshold) return 'PartialDisruption';
    return 'Normal';
  }

  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState): void {
    const q = this.ensureZone(zone);
    if (state === 'PartialDisruption') q.swapLimiter(zoneSize > this.largeClusterThreshold ? this.secondaryEvictionQPS : 0);
    else q.swapLimiter(this.evictionQPS);
  }

  private async handleDisruption(zoneToConditions: Map<string, Array<NodeCondition | undefined>>, nodes: Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = zoneToConditions.size > 0;
    for (const [zone, conds] of zoneToConditions) {
      const s = this.computeZoneState(conds);
      newStates.set(zone, s);
      if (s !== 'FullDisruption') allAreFullyDisrupted = false;
      if (!this.zoneStates.has(zone)) this.ensureZone(zone);
    }
    let allWasFullyDisrupted = true;
    for (const [zone, s] of [...this.zoneStates]) {
      if (!zoneToConditions.has(zone)) {
        // No node of the zone counts (all gone, or all excluded from disruption): forget its
        // state, but keep its tainting queue, whose nodes must still be tainted (upstream).
        this.zoneStates.delete(zone);
        continue;
      }
      if (s !== 'FullDisruption') allWasFullyDisrupted = false;
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      // Every node is down: more likely the control plane's view than the nodes. Stop evicting.
      for (const n of nodes) {
        try {
          await this.markNodeAsReachable(n);
        } catch (e) {
          this.onError(e);
        }
      }
      for (const [zone, q] of this.zoneNoExecuteTainter) {
        q.swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted && this.zoneStates.size > 0) {
      // Leaving full disruption: give every node a fresh grace period before judging it.
      const now = this.clock.now();
      for (const h of this.nodeHealth.values()) {
        h.probeTimestamp = now;
        h.readyTransitionTimestamp = now;
      }
      for (const zone of [...this.zoneStates.keys()]) {
        const s = newStates.get(zone) ?? 'Normal';
        this.setLimiterInZone(zone, zoneToConditions.get(zone)?.length ?? 0, s);
        this.zoneStates.set(zone, s);
      }
      return;
    }
    for (const [zone, s] of newStates) {
      if (this.zoneStates.get(zone) !== s) {
        this.setLimiterInZone(zone, zoneToConditions.get(zone)?.length ?? 0, s);
        this.zoneStates.set(zone, s);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // NoSchedule taints

  async doNoScheduleTaintingPass(nodeName: string): Promise<void> {
    const node = this.nodeInformer.lister.get(nodeName);
    if (!node) return;
    const { desired, current } = desiredNoScheduleTaints(node);
    const toAdd = taintSetDiff(desired, current);
    const toDel = taintSetDiff(current, desired);
    if (toAdd.length === 0 && toDel.length === 0) return;
    if (!(await this.swapNodeControllerTaint(nodeName, toAdd, toDel))) throw new Error(`failed to swap taints of node ${nodeName}`);
  }

  /**
   * As upstream's reconcileNodeLabels (with the NoSchedule pass of each node update): the
   * deprecated `beta.kubernetes.io/os` and `/arch` labels follow `kubernetes.io/os` and `/arch`,
   * set when missing and corrected when they differ, for manifests that still select on them.
   */
  async reconcileNodeLabels(nodeName: string): Promise<void> {
    const labels = this.nodeInformer.lister.get(nodeName)?.metadata.labels;
    if (!labels) return;
    const update: Record<string, string> = {};
    for (const [primary, secondary] of reconciledLabels) {
      const value = labels[primary];
      if (value !== undefined && labels[secondary] !== value) update[secondary] = value;
    }
    if (Object.keys(update).length === 0) return;
    try {
      await this.client.patch(nodesResource, '', nodeName, 'merge', { metadata: { labels: update } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * Adds `add` (timeAdded = now; an existing taint with the same key, effect and value is kept
   * as is) and removes taints matching `remove` by key and effect. First from the cache, then
   * from fresh GETs after conflicts. Answers false when it gave up.
   */
  async swapNodeControllerTaint(nodeName: string, add: Taint[], remove: Taint[]): Promise<boolean> {
    for (let attempt = 1; attempt <= swapTaintRetries; attempt++) {
      let node: Node | undefined;
      if (attempt === 1) node = this.nodeInformer.lister.get(nodeName);
      if (!node) {
        try {
          node = await this.client.get<Node>(nodesResource, '', nodeName);
        } catch (e) {
          if (isNotFound(e)) return true;
          throw e;
        }
      }
      const before = node.spec?.taints ?? [];
      let taints = before.filter((t) => !remove.some((r) => taintMatches(t, r)));
      const nowTs = rfc3339(this.clock.now());
      for (const a of add) {
        const i = taints.findIndex((t) => taintMatches(t, a));
        if (i >= 0 && (taints[i]!.value ?? '') === (a.value ?? '')) continue;
        const t: Taint = { ...a, timeAdded: nowTs };
        if (i >= 0) taints = taints.map((x, j) => (j === i ? t : x));
        else taints = [...taints, t];
      }
      if (JSON.stringify(taints) === JSON.stringify(before)) return true;
      const updated = structuredClone(node);
      updated.spec ??= {};
      if (taints.length > 0) updated.spec.taints = taints;
      else delete updated.spec.taints;
      try {
        await this.client.update(nodesResource, '', updated);
        return true;
      } catch (e) {
        if (isNotFound(e)) return true;
        if (!isConflict(e)) throw e;
      }
    }
    return false;
  }
}
