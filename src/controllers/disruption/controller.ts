// DisruptionController: keeps every PodDisruptionBudget's status current (upstream's
// disruption controller), which the eviction API (apiserver/eviction.ts) reads to decide
// whether a pod may go.
//
// Contract: level-triggered on PDB keys ("ns/name"). A budget is queued when it changes, when a
// pod it covers is added, changed or deleted, when a DaemonSet in its namespace changes its
// desiredNumberScheduled or a Deployment, ReplicaSet or ReplicationController appears, changes
// its spec.replicas or goes, and again when an entry of its status.disruptedPods expires. sync(key)
// reads only the caches and writes status only when it differs:
// - pods: the pods of the namespace its selector matches (empty selector: all of them);
// - expectedPods / desiredHealthy: with an integer minAvailable, the number of pods and
//   minAvailable; with a percentage minAvailable or any maxUnavailable, the sum of the scale of
//   the pods' controllers, as upstream's finders: a ReplicationController's spec.replicas; a
//   ReplicaSet's, or its Deployment's when a Deployment controls it; a Deployment's. (everynode
//   stores these kinds but does not run them: their pods are ones a user made.) everynode
//   decision: a DaemonSet's scale is its status.desiredNumberScheduled (upstream finds no scale
//   for DaemonSets and fails the sync). A pod with no controller is left out of the sum (Warning
//   UnmanagedPods); a controller that is missing (uid included) or of another kind fails the sync;
// - disruptedPods: entries for pods still present and not deleting, younger than 2 minutes;
// - currentHealthy: pods Ready, not deleting and not in disruptedPods;
// - disruptionsAllowed: currentHealthy - desiredHealthy, at least 0, and 0 while no pod is
//   expected; observedGeneration: the budget's generation; the DisruptionAllowed condition.
// A pod left with DisruptionTarget=True (an eviction that did not delete it), not deleting and
// not finished, gets the condition reset to False after 2 minutes.
// A sync whose inputs are wrong (bad selector, a controller it cannot scale) sets
// disruptionsAllowed 0 with DisruptionAllowed=False/SyncFailed (and a Warning event) and waits
// for the next change, as upstream; API errors (write conflicts) are retried with back-off.

import {
  type DaemonSet,
  type IntOrString,
  type KubeObject,
  type OwnerReference,
  type Pod,
  type PodDisruptionBudget,
  type PodDisruptionBudgetStatus,
  budgetCoversPod,
  disruptionConditionUpToDate,
  DISRUPTION_ALLOWED_CONDITION,
  podIsReady,
  scaledValueFromIntOrPercent,
  setMetaCondition,
  SYNC_FAILED_REASON,
  withDisruptionAllowedCondition,
} from '../../api/index.js';
import { labelSelectorAsSelector } from '../../api/selectors/index.js';
import {
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  daemonSetsResource,
  deploymentsResource,
  getControllerOf,
  isConflict,
  isTombstone,
  podDisruptionBudgetsResource,
  podsResource,
  realClock,
  replicaSetsResource,
  replicationControllersResource,
} from '../../client/index.js';
import { rfc3339 } from '../../util/index.js';

/** How long an eviction's entry in disruptedPods counts the pod as going (upstream DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface DisruptionControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  onError?: (err: unknown) => void;
  /** How long a DisruptionTarget condition may stay True on a pod not being deleted (default 2 min). */
  stalePodDisruptionTimeoutMs?: number;
}

/** Upstream's stalePodDisruptionTimeout. */
const STALE_POD_DISRUPTION_MS = 2 * 60 * 1000;

const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** A Deployment, ReplicaSet or ReplicationController: what the disruption controller reads of it. */
type Replicated = KubeObject & { spec?: { replicas?: number } };

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** A failure of the budget's inputs (not of the API): recorded in its status by the fail-safe. */
class SyncError extends Error {}

export class DisruptionController {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly onError: (err: unknown) => void;
  private readonly budgets: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<Pod>;
  private readonly daemonSets: Informer<DaemonSet>;
  private readonly deployments: Informer<Replicated>;
  private readonly replicaSets: Informer<Replicated>;
  private readonly replicationControllers: Informer<Replicated>;
  readonly queue: RateLimitingQueue<string>;
  /** Pods ("ns/name") whose DisruptionTarget condition may have gone stale. */
  readonly staleQueue: RateLimitingQueue<string>;
  private readonly staleTimeoutMs: number;

  constructor(o: DisruptionControllerOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.recorder = o.recorder;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(this.clock);
    this.staleQueue = new RateLimitingQueue<string>(this.clock);
    this.staleTimeoutMs = o.stalePodDisruptionTimeoutMs ?? STALE_POD_DISRUPTION_MS;
    this.budgets = o.informers.forResource<PodDisruptionBudget>(podDisruptionBudgetsResource);
    this.pods = o.informers.forResource<Pod>(podsResource);
    this.daemonSets = o.informers.forResource<DaemonSet>(daemonSetsResource);
    this.deployments = o.informers.forResource<Replicated>(deploymentsResource);
    this.replicaSets = o.informers.forResource<Replicated>(replicaSetsResource);
    this.replicationControllers = o.informers.forResource<Replicated>(replicationControllersResource);
    this.budgets.addEventHandler({
      add: (b) => this.queue.add(keyOf(b)),
      update: (_old, b) => this.queue.add(keyOf(b)),
      delete: (b) => this.queue.add(keyOf(isTombstone(b) ? b.obj : b)),
    });
    const podChanged = (pod: Pod): void => {
      for (const b of this.budgets.lister.namespace(pod.metadata.namespace ?? '').list()) if (budgetCoversPod(b, pod)) this.queue.add(keyOf(b));
    };
    this.pods.addEventHandler({
      add: (pod) => {
        podChanged(pod);
        this.watchDisruptionTarget(pod);
      },
      update: (old, pod) => {
        // A relabelled pod leaves the budgets of its old labels.
        if (!sameMap(old.metadata.labels, pod.metadata.labels)) podChanged(old);
        podChanged(pod);
        this.watchDisruptionTarget(pod);
      },
      delete: (p) => podChanged(isTombstone(p) ? p.obj : p),
    });
    const scaleChanged = (o: KubeObject): void => {
      for (const b of this.budgets.lister.namespace(o.metadata.namespace ?? '').list()) this.queue.add(keyOf(b));
    };
    this.daemonSets.addEventHandler({
      update: (old, ds) => {
        if (old.status?.desiredNumberScheduled !== ds.status?.desiredNumberScheduled) scaleChanged(ds);
      },
      delete: (ds) => scaleChanged(isTombstone(ds) ? ds.obj : ds),
    });
    for (const informer of [this.deployments, this.replicaSets, this.replicationControllers]) {
      informer.addEventHandler({
        add: scaleChanged,
        update: (old, o) => {
          if (old.spec?.replicas !== o.spec?.replicas) scaleChanged(o);
        },
        delete: (o) => scaleChanged(isTombstone(o) ? o.obj : o),
      });
    }
  }

  /** Runs `workers` workers (and one for stale pod conditions) until `signal` aborts. */
  async run(signal: AbortSignal, workers = 1): Promise<void> {
    const caches = [this.budgets, this.pods, this.daemonSets, this.deployments, this.replicaSets, this.replicationControllers];
    await Promise.all([
      runQueueWorkers({ queue: this.queue, caches, signal, workers, sync: (key) => this.sync(key), onError: this.onError }),
      runQueueWorkers({ queue: this.staleQueue, caches, signal, workers: 1, sync: (key) => this.syncStalePodDisruption(key), onError: this.onError }),
    ]);
  }

  /**
   * How long until `pod`'s DisruptionTarget condition is stale (0: now), or undefined when it
   * has none that can go stale: only a True one set by someone other than the kubelet, on a pod
   * neither being deleted nor finished (upstream nonTerminatingPodHasStaleDisruptionCondition).
   */
  private staleIn(pod: Pod): number | undefined {
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
    const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    if (!c || c.status !== 'True' || c.reason === 'TerminationByKubelet') return undefined;
    const since = Date.parse(c.lastTransitionTime ?? '');
    return Math.max(0, (Number.isFinite(since) ? since : 0) + this.staleTimeoutMs - this.clock.now());
  }

  private watchDisruptionTarget(pod: Pod): void {
    const wait = this.staleIn(pod);
    if (wait !== undefined) this.staleQueue.addAfter(keyOf(pod), wait);
  }

  /**
   * An eviction marks its pod DisruptionTarget just before deleting it; if the pod is still
   * there, not deleting, after the timeout, the deletion did not happen and the condition is
   * reset to False (upstream syncStalePodDisruption).
   */
  async syncStalePodDisruption(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const pod = this.pods.lister.namespace(key.slice(0, slash)).get(key.slice(slash + 1));
    if (!pod) return;
    const wait = this.staleIn(pod);
    if (wait === undefined) return;
    if (wait > 0) {
      this.staleQueue.addAfter(key, wait);
      return;
    }
    const patch = { status: { conditions: [{ type: 'DisruptionTarget', status: 'False', lastTransitionTime: rfc3339(this.clock.now()), reason: null, message: null }] } };
    await this.client.patch(podsResource, pod.metadata.namespace ?? '', pod.metadata.name ?? '', 'strategic', patch, { subresource: 'status' });
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const pdb = this.budgets.lister.namespace(key.slice(0, slash)).get(key.slice(slash + 1));
    if (!pdb) return;
    try {
      await this.trySync(pdb);
    } catch (err) {
      if (isConflict(err)) throw err; // the cache is behind: retried, without the fail-safe
      // As upstream: whatever else failed, at least no disruption is allowed, and the status
      // says why; a budget whose inputs are wrong then waits for a change, an API error (the
      // fail-safe's own write failing too) is retried.
      this.onError(err);
      await this.failSafe(pdb, err instanceof Error ? err.message : String(err));
    }
  }

  private async trySync(pdb: PodDisruptionBudget): Promise<void> {
    let pods: Pod[];
    try {
      const selector = labelSelectorAsSelector(pdb.spec?.selector);
      pods = this.pods.lister.namespace(pdb.metadata.namespace ?? '').list(selector);
    } catch (err) {
      this.recorder.event(pdb, 'Warning', 'NoPods', `Failed to get pods: ${err instanceof Error ? err.message : String(err)}`);
      throw new SyncError(err instanceof Error ? err.message : String(err));
    }
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');

    let counts: { expected: number; desired: number; unmanaged: string[] };
    try {
      counts = this.expectedCounts(pdb, pods);
    } catch (err) {
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    const { expected, desired, unmanaged } = counts;
    if (unmanaged.length > 0) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? null)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }

    const nowMs = this.clock.now();
    const disrupted: Record<string, string> = {};
    let recheckMs: number | undefined;
    const old = pdb.status?.disruptedPods ?? {};
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = old[pod.metadata.name ?? ''];
      if (at === undefined) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!(expires > nowMs)) {
        this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace ?? ''}/${pdb.metadata.name ?? ''} to be deleted but it wasn't`);
        continue;
      }
      disrupted[pod.metadata.name ?? ''] = at;
      recheckMs = recheckMs === undefined ? expires - nowMs : Math.min(recheckMs, expires - nowMs);
    }
    let healthy = 0;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp || disrupted[pod.metadata.name ?? ''] !== undefined) continue;
      if (podIsReady(pod)) healthy++;
    }
    const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
    await this.writeStatus(pdb, { currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected, disruptionsAllowed: allowed, disruptedPods: disrupted });
    if (recheckMs !== undefined) this.queue.addAfter(keyOf(pdb), recheckMs);
  }

  /** expectedPods, desiredHealthy and the pods with no controller (upstream getExpectedPodCount). */
  private expectedCounts(pdb: PodDisruptionBudget, pods: Pod[]): { expected: number; desired: number; unmanaged: string[] } {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const { scale, unmanaged } = this.expectedScale(pods);
      const maxUnavailable = scaledOrFail(spec.maxUnavailable, scale);
      return { expected: scale, desired: Math.max(0, scale - maxUnavailable), unmanaged };
    }
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number') return { expected: pods.length, desired: spec.minAvailable, unmanaged: [] };
      const { scale, unmanaged } = this.expectedScale(pods);
      return { expected: scale, desired: scaledOrFail(spec.minAvailable, scale), unmanaged };
    }
    return { expected: 0, desired: 0, unmanaged: [] };
  }

  /**
   * The summed scale of the pods' controllers, each counted once (a Deployment once for all its
   * ReplicaSets); pods without a controller are listed apart.
   */
  private expectedScale(pods: Pod[]): { scale: number; unmanaged: string[] } {
    const scales = new Map<string, number>();
    const looked = new Set<string>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = getControllerOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name ?? '');
        continue;
      }
      if (looked.has(ref.uid)) continue;
      looked.add(ref.uid);
      const found = this.controllerScale(pod.metadata.namespace ?? '', ref);
      if (!found) throw new SyncError(`found no controllers for pod ${JSON.stringify(pod.metadata.name ?? '')}`);
      scales.set(found.uid, found.scale);
    }
    let scale = 0;
    for (const n of scales.values()) scale += n;
    return { scale, unmanaged };
  }

  /**
   * The controller `ref` names, found in the caches with its uid, and its scale; undefined when
   * it is missing or of a kind with no scale here.
   */
  private controllerScale(ns: string, ref: OwnerReference): { uid: string; scale: number } | undefined {
    const group = groupOf(ref.apiVersion);
    const get = <T extends KubeObject>(informer: Informer<T>, r: OwnerReference): T | undefined => {
      const o = informer.lister.namespace(ns).get(r.name);
      return o && o.metadata.uid === r.uid ? o : undefined;
    };
    const replicas = (o: Replicated): { uid: string; scale: number } => ({ uid: o.metadata.uid ?? '', scale: o.spec?.replicas ?? 0 });
    if (group === 'apps' && ref.kind === 'DaemonSet') {
      const ds = get(this.daemonSets, ref);
      return ds && { uid: ref.uid, scale: ds.status?.desiredNumberScheduled ?? 0 };
    }
    if (group === '' && ref.kind === 'ReplicationController') {
      const rc = get(this.replicationControllers, ref);
      return rc && replicas(rc);
    }
    if (group === 'apps' && ref.kind === 'Deployment') {
      const d = get(this.deployments, ref);
      return d && replicas(d);
    }
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = get(this.replicaSets, ref);
      if (!rs) return undefined;
      // A ReplicaSet of a Deployment scales with it (a missing Deployment: the ReplicaSet's own).
      const owner = getControllerOf(rs);
      const d = owner && groupOf(owner.apiVersion) === 'apps' && owner.kind === 'Deployment' ? get(this.deployments, owner) : undefined;
      return replicas(d ?? rs);
    }
    return undefined;
  }

  private async writeStatus(pdb: PodDisruptionBudget, next: Omit<PodDisruptionBudgetStatus, 'observedGeneration' | 'conditions'>): Promise<void> {
    const s = pdb.status;
    const generation = pdb.metadata.generation ?? 0;
    if (
      s &&
      s.currentHealthy === next.currentHealthy &&
      s.desiredHealthy === next.desiredHealthy &&
      s.expectedPods === next.expectedPods &&
      s.disruptionsAllowed === next.disruptionsAllowed &&
      sameMap(s.disruptedPods, next.disruptedPods) &&
      s.observedGeneration === generation &&
      disruptionConditionUpToDate(pdb)
    ) {
      return;
    }
    const status = withDisruptionAllowedCondition({ ...next, observedGeneration: generation, conditions: s?.conditions ?? [] }, rfc3339(this.clock.now()));
    if (Object.keys(status.disruptedPods ?? {}).length === 0) delete status.disruptedPods;
    await this.client.updateStatus(podDisruptionBudgetsResource, pdb.metadata.namespace ?? '', { ...pdb, status });
  }

  /**
   * At least disruptionsAllowed 0, with why, when the budget could not be computed (upstream
   * failSafe); a failed write of it is retried with back-off (it throws).
   */
  private async failSafe(pdb: PodDisruptionBudget, message: string): Promise<void> {
    const s = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    const conditions = setMetaCondition(
      s.conditions ?? [],
      { type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: SYNC_FAILED_REASON, message, ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}) },
      rfc3339(this.clock.now()),
    );
    await this.client.updateStatus(podDisruptionBudgetsResource, pdb.metadata.namespace ?? '', { ...pdb, status: { ...s, disruptionsAllowed: 0, conditions } });
  }
}

function scaledOrFail(v: IntOrString, total: number): number {
  try {
    return scaledValueFromIntOrPercent(v, total, true);
  } catch (err) {
    throw new SyncError(err instanceof Error ? err.message : String(err));
  }
}

/** Equal string maps (disruptedPods, labels); absent equals empty. */
function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => b?.[k] === a?.[k]);
}
