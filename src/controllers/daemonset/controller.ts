// DaemonSetsController (upstream pkg/controller/daemon, restated; see
// docs kube-semantics.md §4–§10 and everynode decisions 1, 3, 5).
//
// Shape: informer event handlers only enqueue `namespace/name` keys of the DaemonSets an event
// can affect; workers call `syncDaemonSet(key)`, which re-reads everything from the caches,
// converges, and throws to be retried with rate limiting. The caches are read-only.
//
// Invariants kept by a sync pass:
// - expectations are recorded before any pod create/delete; while they are unsatisfied the
//   pass only recomputes status (never observedGeneration) and writes nothing else;
// - at most `burstReplicas` creates and deletes per pass; creates go in slow-start batches;
// - a DaemonSet with a deletionTimestamp or an empty selector is never acted upon (no status);
// - status is written only when it changed, and never touches conditions;
// - all time comes from the injected Clock; all pod side effects go through PodControl.

import { deepEqual } from '../../api/patch/index.js';
import type { ControllerRevision, DaemonSet, DaemonSetStatus, KubeObject, Node, Pod, PodTemplateSpec } from '../../api/types.js';
import { labelSelectorAsSelector, type Selector } from '../../api/selectors/index.js';
import {
  type ApiClient,
  ApiEventRecorder,
  type Clock,
  ControllerExpectations,
  ControllerRefManager,
  type DeletedFinalStateUnknown,
  type EventRecorder,
  type IndexFunc,
  type Informer,
  type Lister,
  type PodControl,
  RateLimitingQueue,
  RealPodControl,
  type SharedInformerFactory,
  type TimerHandle,
  controllerRevisionsResource,
  controllerUIDIndex,
  daemonSetsResource,
  getControllerOf,
  indexByControllerUID,
  hasStatusCause,
  isAlreadyExists,
  isNotFound,
  isTombstone,
  metaNamespaceKey,
  namespaceTerminatingCause,
  newControllerRef,
  nodesResource,
  podsResource,
  realClock,
  splitMetaNamespaceKey,
} from '../../client/index.js';
import { Backoff } from './backoff.js';
import { computeHash, controllerRevisionName, matchRevision, maxRevision, revisionData, revisionDataJSON, revisionPayload } from './history.js';
import { DaemonSetNodeSlots, type NodeSlot, type PodFacts, factsAvailable, factsTerminal, factsUpdated } from './node-slots.js';
import { addOrUpdateDaemonPodTolerations, getTargetNodeName, nodeShouldRunDaemonPod, replaceDaemonSetPodNodeNameNodeAffinity } from './placement.js';
import {
  allowsSurge,
  comparePodsByCreationTimestampAndPhase,
  controllerRevisionHashLabel,
  getTemplateGeneration,
  isPodAvailable,
  msUntilAvailable,
  isPodReady,
  isPodTerminal,
  isRollingUpdate,
  podTemplateGenerationLabel,
  surgeCount,
  unavailableCount,
} from './util.js';
import { errorMessage } from '../../util/index.js';

export const burstReplicas = 250;
export const slowStartInitialBatchSize = 1;
export const statusUpdateRetries = 1;
export const backoffGCIntervalMs = 60_000;
/** A DaemonSet's node slots are dropped after this long without a pass (checked with the backoff GC). */
export const idleSlotsMs = 60_000;
/**
 * Pacing of steady passes (see `processKey`): a pass that found expectations satisfied and
 * wrote no pod delays the next pass of its DaemonSet by `steadyPassPaceFactor` times its own
 * duration, at most `maxSteadyPassPaceMs`.
 */
export const steadyPassPaceFactor = 5;
export const maxSteadyPassPaceMs = 200;
export const controllerComponent = 'daemonset-controller';
/** Pod index: namespace of every pod without a controller reference (adoption candidates). */
export const orphanPodsIndex = 'orphan-namespace';

const indexOrphanPodByNamespace: IndexFunc<Pod> = (p) => (getControllerOf(p) ? [] : [p.metadata.namespace ?? '']);

export const reasons = {
  selectingAll: 'SelectingAll',
  failedDaemonPod: 'FailedDaemonPod',
  succeededDaemonPod: 'SucceededDaemonPod',
} as const;

const dsKind = { group: 'apps', version: 'v1', kind: 'DaemonSet' };

export interface DaemonSetsControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  podControl?: PodControl;
  recorder?: EventRecorder;
  queue?: RateLimitingQueue<string>;
  failedPodsBackoff?: Backoff;
  burstReplicas?: number;
  onError?: (err: unknown) => void;
}

function keyOf(ds: DaemonSet): string {
  return metaNamespaceKey(ds);
}

interface FoundUpdated {
  newPod: PodFacts | undefined;
  oldPod: PodFacts | undefined;
}

/**
 * Upstream findUpdatedPodsOnNode: the one updated and the one old live pod of a node, into
 * `out`; false when a node holds more than one of either (then `out` is unspecified).
 */
function findUpdatedPods(pods: readonly PodFacts[], count: number, hash: string, generation: string | undefined, out: FoundUpdated): boolean {
  out.newPod = undefined;
  out.oldPod = undefined;
  for (let i = 0; i < count; i++) {
    const pod = pods[i]!;
    if (pod.deleting) continue;
    if (factsUpdated(pod, hash, generation)) {
      if (out.newPod) return false;
      out.newPod = pod;
    } else {
      if (out.oldPod) return false;
      out.oldPod = pod;
    }
  }
  return true;
}

/** The pod comparePodsByCreationTimestampAndPhase orders first. */
function oldestFacts(facts: readonly PodFacts[]): PodFacts {
  let best = facts[0]!;
  for (let i = 1; i < facts.length; i++) if (comparePodsByCreationTimestampAndPhase(facts[i]!.pod, best.pod) < 0) best = facts[i]!;
  return best;
}

export class DaemonSetsController {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly queue: RateLimitingQueue<string>;
  readonly expectations: ControllerExpectations;
  readonly failedPodsBackoff: Backoff;
  readonly recorder: EventRecorder;
  podControl: PodControl;
  readonly dsInformer: Informer<DaemonSet>;
  readonly podInformer: Informer<Pod>;
  readonly nodeInformer: Informer<Node>;
  readonly historyInformer: Informer<ControllerRevision>;
  readonly dsLister: Lister<DaemonSet>;
  readonly podLister: Lister<Pod>;
  readonly nodeLister: Lister<Node>;
  readonly historyLister: Lister<ControllerRevision>;
  private readonly burst: number;
  private readonly onError: (err: unknown) => void;
  private gcTimer: TimerHandle | undefined;
  /** Set by shutDown(): nothing more is taken from the queue or written. */
  private stopped = false;
  private markStopped!: () => void;
  private readonly stoppedSignal = new Promise<void>((resolve) => (this.markStopped = resolve));
  private workers: Promise<void>[] = [];
  /** Pod writes (create/delete/patch) issued so far; a change invalidates `passView`. */
  private podWrites = 0;
  /** Per key: the clock time before which its next pass waits (steady-pass pacing). */
  private readonly pacedUntil = new Map<string, number>();
  /**
   * The claimed node→pods map of the running sync pass, reused by the later phases of the
   * same pass (manage, rolling update, status) while the pass has written no pod. Sound
   * because, without a write, a pass only awaits already-settled promises: no informer event
   * can be delivered between its phases, so the cache they would re-read is unchanged.
   */
  private passView: { ds: DaemonSet; nodes: readonly Node[]; writes: number; slots: DaemonSetNodeSlots } | undefined;
  /**
   * Per-DaemonSet node slots by DS key, kept across passes (dropped when the DS goes, and when
   * it has not synced for `idleSlotsMs`: the slots hold the pod and node lists of their last
   * pass, whose objects would otherwise stay in memory, stale or deleted, while the DS is idle).
   */
  private readonly slotsByKey = new Map<string, { slots: DaemonSetNodeSlots; usedAt: number }>();
  /** Memos keyed by immutable cached objects (the informer cache contract). */
  private readonly selectors = new WeakMap<object, Selector>();
  /**
   * Selectors by their JSON, so each new version of a DS object (every status write decodes a
   * fresh `spec.selector`) gets the Selector instance the previous one had: the node slots'
   * per-pod match results are keyed by that instance and stay valid. Cleared when large.
   */
  private readonly selectorsByJSON = new Map<string, Selector>();
  private readonly payloads = new WeakMap<DaemonSet, string>();
  private readonly revisionJSON = new WeakMap<ControllerRevision, string>();

  constructor(o: DaemonSetsControllerOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.queue = o.queue ?? new RateLimitingQueue<string>(this.clock);
    this.expectations = new ControllerExpectations(this.clock);
    this.failedPodsBackoff = o.failedPodsBackoff ?? new Backoff(this.clock);
    this.recorder = o.recorder ?? new ApiEventRecorder(o.client, { component: controllerComponent, clock: this.clock, defaultKind: { kind: 'DaemonSet', apiVersion: 'apps/v1' } });
    this.podControl = o.podControl ?? new RealPodControl(o.client, this.recorder);
    this.burst = o.burstReplicas ?? burstReplicas;
    this.onError = o.onError ?? (() => {});
    this.dsInformer = o.informers.forResource<DaemonSet>(daemonSetsResource);
    this.podInformer = o.informers.forResource<Pod>(podsResource);
    this.nodeInformer = o.informers.forResource<Node>(nodesResource);
    this.historyInformer = o.informers.forResource<ControllerRevision>(controllerRevisionsResource);
    this.dsLister = this.dsInformer.lister;
    this.podLister = this.podInformer.lister;
    this.nodeLister = this.nodeInformer.lister;
    this.historyLister = this.historyInformer.lister;
    // Claiming looks only at pods this DS controls (by controller UID) and at orphans of its
    // namespace, instead of every pod of the namespace.
    if (!this.podInformer.indexer.hasIndex(controllerUIDIndex)) this.podInformer.addIndexers({ [controllerUIDIndex]: indexByControllerUID as IndexFunc<Pod> });
    if (!this.podInformer.indexer.hasIndex(orphanPodsIndex)) this.podInformer.addIndexers({ [orphanPodsIndex]: indexOrphanPodByNamespace });

    this.dsInformer.addEventHandler({
      add: (ds) => this.addDaemonset(ds),
      update: (a, b) => this.updateDaemonset(a, b),
      delete: (ds) => this.deleteDaemonset(ds),
    });
    this.podInformer.addEventHandler({
      add: (p) => this.addPod(p),
      update: (a, b) => this.updatePod(a, b),
      delete: (p) => this.deletePod(p),
    });
    this.nodeInformer.addEventHandler({
      add: (n) => this.addNode(n),
      update: (a, b) => this.updateNode(a, b),
    });
    this.historyInformer.addEventHandler({
      add: (h) => this.addHistory(h),
      update: (a, b) => this.updateHistory(a, b),
      delete: (h) => this.deleteHistory(h),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Running

  /**
   * Waits for the caches, then runs `workers` workers until `shutDown()`. Resolves soon after
   * shutDown(): no key is taken after it, a pass in progress stops before its next batch of
   * writes, and a run whose caches had not synced starts no worker at all (a term of
   * leadership that ends must stop writing, whatever state it is in).
   */
  async run(workers = 2): Promise<void> {
    const informers = [this.dsInformer, this.podInformer, this.nodeInformer, this.historyInformer];
    await Promise.race([Promise.all(informers.map((i) => i.waitForSync())), this.stoppedSignal]);
    if (this.stopped || !informers.every((i) => i.hasSynced())) return;
    const gc = (): void => {
      this.failedPodsBackoff.gc();
      this.dropIdleSlots();
      this.gcTimer = this.clock.setTimeout(gc, backoffGCIntervalMs);
    };
    this.gcTimer = this.clock.setTimeout(gc, backoffGCIntervalMs);
    for (let i = 0; i < workers; i++) this.workers.push(this.worker());
    await Promise.all(this.workers);
  }

  /** Drops the node slots of DaemonSets idle for `idleSlotsMs` (rebuilt by their next pass). */
  private dropIdleSlots(): void {
    const now = this.clock.now();
    for (const [key, until] of this.pacedUntil) if (until <= now) this.pacedUntil.delete(key);
    for (const [key, e] of this.slotsByKey) {
      if (now - e.usedAt < idleSlotsMs) continue;
      this.slotsByKey.delete(key);
      if (this.passView?.slots === e.slots) this.passView = undefined;
    }
  }

  shutDown(): void {
    this.stopped = true;
    this.markStopped();
    if (this.gcTimer) this.clock.clearTimeout(this.gcTimer);
    this.queue.shutDown({ drain: false });
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.stopped) {
        this.queue.done(key);
        return;
      }
      await this.processKey(key);
    }
  }

  /**
   * Syncs one key with the queue's retry semantics (forget on success, rate-limited re-add on
   * error).
   *
   * Steady passes are paced. A pass costs O(nodes), and once a DaemonSet's pods exist every
   * status change of one of them (thousands per second while a large fleet's pods become
   * Ready) would start another full pass and status write. So a pass that began with its
   * expectations satisfied and wrote no pod makes the next pass of that key wait for
   * `steadyPassPaceFactor` times its duration (at most `maxSteadyPassPaceMs`): the events of
   * that interval are folded into one pass. Steady passes of up to 40 ms then take at most a
   * sixth of the controller's time per DaemonSet (longer ones wait the 200 ms cap), and a
   * status lags the pods by at most one pace (200 ms; ~1 ms for a DaemonSet of a few nodes). A pass that writes pods, or
   * waits on expectations, is never paced: creates and deletes, and the pass that continues
   * them, go at full speed. Level-triggered as before: a paced key is re-added for the end of
   * its pace, never dropped.
   */
  async processKey(key: string): Promise<void> {
    const wait = (this.pacedUntil.get(key) ?? 0) - this.clock.now();
    if (wait > 0) {
      this.queue.done(key);
      this.queue.addAfter(key, wait);
      return;
    }
    this.pacedUntil.delete(key);
    const started = this.clock.now();
    const writes = this.podWrites;
    const steady = this.expectations.satisfiedExpectations(key);
    try {
      await this.syncDaemonSet(key);
      this.queue.forget(key);
      if (steady && this.podWrites === writes && this.expectations.satisfiedExpectations(key)) {
        const now = this.clock.now();
        const pace = Math.min(maxSteadyPassPaceMs, steadyPassPaceFactor * (now - started));
        if (pace > 0) this.pacedUntil.set(key, now + pace);
      }
    } catch (e) {
      this.onError(new Error(`error syncing DaemonSet ${key}, requeuing: ${errorMessage(e)}`));
      this.queue.addRateLimited(key);
    } finally {
      this.queue.done(key);
    }
  }

  enqueue(ds: DaemonSet): void {
    this.queue.add(keyOf(ds));
  }

  enqueueAfter(ds: DaemonSet, ms: number): void {
    this.queue.addAfter(keyOf(ds), ms);
  }

  // -------------------------------------------------------------------------------------------
  // Event handlers (§4.1): enqueue only the affected DaemonSets.

  private addDaemonset(ds: DaemonSet): void {
    this.enqueue(ds);
  }

  private updateDaemonset(old: DaemonSet, cur: DaemonSet): void {
    if (old.metadata.uid !== cur.metadata.uid) this.deleteDaemonset({ key: keyOf(old), obj: old, tombstone: true });
    this.enqueue(cur);
  }

  private deleteDaemonset(o: DaemonSet | DeletedFinalStateUnknown<DaemonSet>): void {
    const ds = isTombstone(o) ? o.obj : o;
    const key = keyOf(ds);
    this.expectations.deleteExpectations(key);
    this.slotsByKey.delete(key);
    this.queue.add(key);
  }

  /** The live DS a controller ref points at (same kind, name and UID), from the cache. */
  resolveControllerRef(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): DaemonSet | undefined {
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.dsLister.namespace(namespace).get(ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets in the pod's namespace whose non-empty selector matches the pod labels. */
  getDaemonSetsForObject(obj: KubeObject): DaemonSet[] {
    const labels = obj.metadata.labels ?? {};
    const out: DaemonSet[] = [];
    for (const ds of this.dsLister.namespace(obj.metadata.namespace ?? '').list()) {
      let sel: Selector;
      try {
        sel = labelSelectorAsSelector(ds.spec.selector);
      } catch {
        continue;
      }
      if (sel.isEmpty() || !sel.matches(labels)) continue;
      out.push(ds);
    }
    return out;
  }

  private addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const ds = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.enqueue(ds);
      return;
    }
    for (const ds of this.getDaemonSetsForObject(pod)) this.enqueue(ds);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (cur.metadata.resourceVersion === old.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp) {
      this.deletePod(cur);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = !deepEqual(curRef ?? null, oldRef ?? null);
    if (refChanged && oldRef) {
      const ds = this.resolveControllerRef(old.metadata.namespace ?? '', oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(cur.metadata.namespace ?? '', curRef);
      if (!ds) return;
      this.enqueue(ds);
      const minReady = ds.spec.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.enqueueAfter(ds, minReady * 1000 + 1000);
      return;
    }
    const dss = this.getDaemonSetsForObject(cur);
    if (dss.length === 0) return;
    const labelsChanged = !deepEqual(cur.metadata.labels ?? {}, old.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const ds of dss) this.enqueue(ds);
  }

  private deletePod(o: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = isTombstone(o) ? o.obj : o;
    const ref = getControllerOf(pod);
    if (!ref) return;
    const ds = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds));
    this.enqueue(ds);
  }

  private addNode(node: Node): void {
    for (const ds of this.dsLister.list()) {
      if (nodeShouldRunDaemonPod(node, ds).shouldRun) this.enqueue(ds);
    }
  }

  /** Node updates matter only when labels or taints changed (§4.1). */
  static shouldIgnoreNodeUpdate(old: Node, cur: Node): boolean {
    return (
      deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {}) &&
      deepEqual(old.spec?.taints ?? [], cur.spec?.taints ?? [])
    );
  }

  private updateNode(old: Node, cur: Node): void {
    if (DaemonSetsController.shouldIgnoreNodeUpdate(old, cur)) return;
    for (const ds of this.dsLister.list()) {
      const a = nodeShouldRunDaemonPod(old, ds);
      const b = nodeShouldRunDaemonPod(cur, ds);
      if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) this.enqueue(ds);
    }
  }

  private addHistory(h: ControllerRevision): void {
    if (h.metadata.deletionTimestamp) {
      this.deleteHistory(h);
      return;
    }
    const ref = getControllerOf(h);
    if (ref) return;
    for (const ds of this.getDaemonSetsForObject(h)) this.enqueue(ds);
  }

  private updateHistory(old: ControllerRevision, cur: ControllerRevision): void {
    if (cur.metadata.resourceVersion === old.metadata.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = !deepEqual(curRef ?? null, oldRef ?? null);
    if (refChanged && oldRef) {
      const ds = this.resolveControllerRef(old.metadata.namespace ?? '', oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(cur.metadata.namespace ?? '', curRef);
      if (ds) this.enqueue(ds);
      return;
    }
    const labelsChanged = !deepEqual(cur.metadata.labels ?? {}, old.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const ds of this.getDaemonSetsForObject(cur)) this.enqueue(ds);
  }

  private deleteHistory(o: ControllerRevision | DeletedFinalStateUnknown<ControllerRevision>): void {
    const h = isTombstone(o) ? o.obj : o;
    const ref = getControllerOf(h);
    if (!ref) return;
    const ds = this.resolveControllerRef(h.metadata.namespace ?? '', ref);
    if (ds) this.enqueue(ds);
  }

  // -------------------------------------------------------------------------------------------
  // Claiming

  private canAdoptFn(ds: DaemonSet): () => Promise<void> {
    return async () => {
      const fresh = await this.client.get<DaemonSet>(daemonSetsResource, ds.metadata.namespace ?? '', ds.metadata.name ?? '');
      if (fresh.metadata.uid !== ds.metadata.uid) {
        throw new Error(`original DaemonSet ${ds.metadata.namespace}/${ds.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${ds.metadata.uid}`);
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(`${ds.metadata.namespace}/${ds.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    };
  }

  /** The DS selector, memoised per (immutable) selector object; throws when invalid. */
  selectorOf(ds: DaemonSet): Selector {
    const src = ds.spec.selector;
    if (!src || typeof src !== 'object') return labelSelectorAsSelector(src);
    let sel = this.selectors.get(src);
    if (!sel) {
      const json = JSON.stringify(src);
      sel = this.selectorsByJSON.get(json);
      if (!sel) {
        sel = labelSelectorAsSelector(src);
        if (this.selectorsByJSON.size >= 1024) this.selectorsByJSON.clear();
        this.selectorsByJSON.set(json, sel);
      }
      this.selectors.set(src, sel);
    }
    return sel;
  }

  /**
   * Pods this DS controls after adoption/release (§11.1). Only pods whose controller ref
   * carries this DS's UID and the orphans of its namespace can change hands, so only those are
   * looked at (through the pod indexes); matching controlled pods are claimed without the
   * ref manager, which handles the rest (release of non-matching, adoption of matching orphans).
   */
  async getDaemonPods(ds: DaemonSet): Promise<Pod[]> {
    const selector = this.selectorOf(ds);
    const ns = ds.metadata.namespace ?? '';
    const uid = ds.metadata.uid;
    const indexer = this.podInformer.indexer;
    const claimed: Pod[] = [];
    const contested: Pod[] = [];
    if (uid) {
      for (const pod of indexer.byIndex(controllerUIDIndex, uid)) {
        if ((pod.metadata.namespace ?? '') !== ns) continue;
        if (selector.matches(pod.metadata.labels ?? {})) claimed.push(pod);
        else contested.push(pod);
      }
    }
    if (!ds.metadata.deletionTimestamp) {
      for (const pod of indexer.byIndex(orphanPodsIndex, ns)) {
        if (!pod.metadata.deletionTimestamp && selector.matches(pod.metadata.labels ?? {})) contested.push(pod);
      }
    }
    if (contested.length === 0) return claimed;
    for (const p of await this.claimContested(ds, selector, contested)) claimed.push(p);
    return claimed;
  }

  /** The ref manager's claim over pods whose ownership may change (writes adoption/release patches). */
  private claimContested(ds: DaemonSet, selector: Selector, contested: Pod[]): Promise<Pod[]> {
    const cm = new ControllerRefManager({
      controller: ds,
      controllerResource: dsKind,
      selector,
      canAdopt: this.canAdoptFn(ds),
      adopt: (p, patch) => {
        this.podWrites++;
        return this.podControl.patchPod(p.metadata.namespace ?? '', p.metadata.name ?? '', patch);
      },
      release: (p, patch) => {
        this.podWrites++;
        return this.podControl.patchPod(p.metadata.namespace ?? '', p.metadata.name ?? '', patch);
      },
    });
    return cm.claim(contested);
  }

  /**
   * Claimed pods grouped by target node (§6.1). Terminal pods with a deletionTimestamp are
   * left out unless `includeDeletedTerminal` (history cleanup). A fresh map on every call;
   * the sync pass itself uses the reusable node slots (`passSlots`).
   */
  async getNodesToDaemonPods(ds: DaemonSet, includeDeletedTerminal: boolean): Promise<Map<string, Pod[]>> {
    const pods = await this.getDaemonPods(ds);
    const m = new Map<string, Pod[]>();
    for (const pod of pods) {
      if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata.deletionTimestamp) continue;
      const node = getTargetNodeName(pod);
      if (node === undefined) continue;
      let l = m.get(node);
      if (!l) m.set(node, (l = []));
      l.push(pod);
    }
    return m;
  }

  /**
   * The node slots of `ds` for this pass: every node's placement verdict and claimed pods.
   * Reused by the later phases of the same pass (manage, rolling update, status) while the
   * pass has written no pod. Sound because, without a write, a pass only awaits
   * already-settled promises: no informer event can be delivered between its phases, so the
   * caches they would re-read are unchanged.
   */
  private async passSlots(ds: DaemonSet, nodes: readonly Node[]): Promise<DaemonSetNodeSlots> {
    const memo = this.passView;
    if (memo && memo.ds === ds && memo.nodes === nodes && memo.writes === this.podWrites) return memo.slots;
    const writes = this.podWrites;
    const key = keyOf(ds);
    const entry = this.slotsByKey.get(key);
    let slots = entry?.slots;
    if (!slots || slots.uid !== (ds.metadata.uid ?? '')) {
      slots = new DaemonSetNodeSlots(ds.metadata.uid ?? '', ds.metadata.namespace ?? '');
      this.slotsByKey.set(key, { slots, usedAt: this.clock.now() });
    } else entry!.usedAt = this.clock.now();
    const selector = this.selectorOf(ds);
    // The whole pod list is a sequential copy; the slots compare it with the previous pass by
    // position, so unchanged pods cost a pointer comparison (see node-slots.ts).
    const contested = slots.collect(ds, selector, this.podInformer.indexer.list());
    if (contested.length > 0) slots.addClaimed(await this.claimContested(ds, selector, contested));
    slots.placeNodes(ds, nodes);
    this.passView = writes === this.podWrites ? { ds, nodes, writes, slots } : undefined;
    return slots;
  }

  // -------------------------------------------------------------------------------------------
  // The sync pass (§4.3)

  async syncDaemonSet(key: string): Promise<void> {
    this.passView = undefined;
    try {
      await this.syncDaemonSetPass(key);
    } finally {
      this.passView = undefined;
    }
  }

  private async syncDaemonSetPass(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const ds = this.dsLister.namespace(namespace).get(name);
    if (!ds) {
      this.expectations.deleteExpectations(key);
      this.slotsByKey.delete(key);
      return;
    }
    const nodes = this.nodeLister.list();
    const selector = this.selectorOf(ds);
    if (selector.isEmpty()) {
      this.recorder.event(ds, 'Warning', reasons.selectingAll, 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (ds.metadata.deletionTimestamp) return;

    const { cur, old } = await this.constructHistory(ds);
    const hash = cur.metadata.labels?.[controllerRevisionHashLabel] ?? '';

    if (!this.expectations.satisfiedExpectations(key)) {
      // Look again when they expire: the events they wait for may never come (informers have
      // no periodic resync to do it).
      const wait = this.expectations.expiresInMs(key);
      if (wait !== undefined) this.queue.addAfter(key, wait + 1);
      await this.updateDaemonSetStatus(ds, nodes, hash, false);
      return;
    }

    let err: unknown;
    try {
      await this.updateDaemonSet(ds, nodes, hash, key, old);
    } catch (e) {
      err = e;
    }
    let statusErr: unknown;
    try {
      await this.updateDaemonSetStatus(ds, nodes, hash, true);
    } catch (e) {
      statusErr = e;
    }
    if (err !== undefined) {
      if (statusErr !== undefined) this.onError(statusErr);
      throw err;
    }
    if (statusErr !== undefined) throw statusErr;
  }

  private async updateDaemonSet(ds: DaemonSet, nodes: Node[], hash: string, key: string, old: ControllerRevision[]): Promise<void> {
    await this.manage(ds, nodes, hash);
    if (this.expectations.satisfiedExpectations(key) && isRollingUpdate(ds)) {
      await this.rollingUpdate(ds, nodes, hash);
    }
    try {
      await this.cleanupHistory(ds, old);
    } catch (e) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${errorMessage(e)}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // manage (§6)

  private failedPodsBackoffKey(ds: DaemonSet, nodeName: string): string {
    return `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
  }

  /** §6.3: what to do on one node. */
  podsShouldBeOnNode(node: Node, nodeToDaemonPods: Map<string, Pod[]>, ds: DaemonSet, hash: string): { nodesNeedingDaemonPods: string[]; podsToDelete: string[] } {
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const needing: string[] = [];
    const toDelete: string[] = [];
    this.podsShouldBeOnNodeInto(node.metadata.name ?? '', shouldRun, shouldContinueRunning, nodeToDaemonPods.get(node.metadata.name ?? '') ?? [], ds, hash, allowsSurge(ds), needing, toDelete);
    return { nodesNeedingDaemonPods: needing, podsToDelete: toDelete };
  }

  /** §6.3 for one node given its placement verdict and daemon pods; appends to `needing` and `toDelete`. */
  private podsShouldBeOnNodeInto(
    nodeName: string,
    shouldRun: boolean,
    shouldContinueRunning: boolean,
    daemonPods: readonly Pod[],
    ds: DaemonSet,
    hash: string,
    surge: boolean,
    needing: string[],
    toDelete: string[],
  ): void {
    const exists = daemonPods.length > 0;
    if (shouldRun && !exists) {
      needing.push(nodeName);
    } else if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of daemonPods) {
        if (pod.metadata.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === 'Failed') {
          const bk = this.failedPodsBackoffKey(ds, nodeName);
          const now = this.clock.now();
          if (this.failedPodsBackoff.isInBackOffSinceUpdate(bk, now)) {
            this.enqueueAfter(ds, this.failedPodsBackoff.get(bk));
            continue;
          }
          this.failedPodsBackoff.next(bk, now);
          this.recorder.event(ds, 'Warning', reasons.failedDaemonPod, `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`);
          toDelete.push(pod.metadata.name ?? '');
        } else if (phase === 'Succeeded') {
          this.recorder.event(ds, 'Normal', reasons.succeededDaemonPod, `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to delete it`);
          toDelete.push(pod.metadata.name ?? '');
        } else {
          running.push(pod);
        }
      }
      if (!surge) {
        if (running.length > 1) {
          running.sort(comparePodsByCreationTimestampAndPhase);
          for (const p of running.slice(1)) toDelete.push(p.metadata.name ?? '');
        }
      } else if (running.length === 0) {
        if (shouldRun) needing.push(nodeName);
      } else if (running.length > 1) {
        running.sort(comparePodsByCreationTimestampAndPhase);
        let oldestNew: Pod | undefined;
        let oldestOld: Pod | undefined;
        for (const pod of running) {
          if (pod.metadata.labels?.[controllerRevisionHashLabel] === hash) {
            if (!oldestNew) {
              oldestNew = pod;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          toDelete.push(pod.metadata.name ?? '');
        }
        if (oldestNew && oldestOld) {
          const minReady = ds.spec.minReadySeconds ?? 0;
          const now = this.clock.now();
          if (!isPodReady(oldestOld)) toDelete.push(oldestOld.metadata.name ?? '');
          else if (isPodAvailable(oldestNew, minReady, now)) toDelete.push(oldestOld.metadata.name ?? '');
          else {
            // The new pod is Ready but not yet available: look again when it will be. The
            // wake-up its Ready event asked for is not enough: the queue keeps one wake-up per
            // key, the earliest, so a sooner one (a status requeue) can replace it, run before
            // the pod is available, and leave the old pod for ever (nothing else changes).
            const wait = msUntilAvailable(oldestNew, minReady, now);
            if (wait !== undefined) this.enqueueAfter(ds, wait);
          }
        }
      }
    } else if (!shouldContinueRunning && exists) {
      for (const pod of daemonPods) if (!pod.metadata.deletionTimestamp) toDelete.push(pod.metadata.name ?? '');
    }
  }

  private async manage(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    let view: DaemonSetNodeSlots;
    try {
      view = await this.passSlots(ds, nodes);
    } catch (e) {
      throw new Error(`couldn't get node to daemon pod mapping for daemon set "${ds.metadata.name}": ${errorMessage(e)}`);
    }
    const needing: string[] = [];
    const toDelete: string[] = [];
    const surge = allowsSurge(ds);
    const slots = view.nodeSlots;
    for (let i = 0; i < view.nodeCount; i++) {
      const s = slots[i]!;
      if (s.shouldRun && view.countOf(s) === 1) {
        // The steady state: one live, non-terminal pod where one should run needs nothing.
        const f = s.facts[0]!;
        if (!f.deleting && !factsTerminal(f)) continue;
      }
      this.podsShouldBeOnNodeInto(s.name, s.shouldRun, s.shouldContinueRunning, view.podsOf(s), ds, hash, surge, needing, toDelete);
    }
    // §6.4: unscheduled pods pinned to nodes that no longer exist.
    for (const s of view.strays) {
      for (const p of view.podsOf(s)) if (!p.spec.nodeName) toDelete.push(p.metadata.name ?? '');
    }
    await this.syncNodes(ds, toDelete, needing, hash);
  }

  /** The template daemon pods are created from (§7), before per-node pinning. */
  createPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
    const t = structuredClone(ds.spec.template);
    t.spec.tolerations = addOrUpdateDaemonPodTolerations(t.spec);
    const labels: Record<string, string> = { ...(t.metadata?.labels ?? {}) };
    const gen = getTemplateGeneration(ds);
    if (gen !== undefined) labels[podTemplateGenerationLabel] = String(gen);
    if (hash) labels[controllerRevisionHashLabel] = hash;
    t.metadata = { ...(t.metadata ?? {}), labels };
    return t;
  }

  /** §6.6: expectations, slow-start creates, concurrent deletes; aggregated errors thrown. */
  async syncNodes(ds: DaemonSet, podsToDelete: string[], nodesNeedingDaemonPods: string[], hash: string): Promise<void> {
    const key = keyOf(ds);
    const createDiff = Math.min(nodesNeedingDaemonPods.length, this.burst);
    const deleteDiff = Math.min(podsToDelete.length, this.burst);
    this.expectations.setExpectations(key, createDiff, deleteDiff);
    if (createDiff + deleteDiff === 0) return;
    this.podWrites++;
    const errors: unknown[] = [];
    const template = this.createPodTemplate(ds, hash);
    const ref = newControllerRef(ds, dsKind);
    const ns = ds.metadata.namespace ?? '';

    let batchSize = Math.min(createDiff, slowStartInitialBatchSize);
    for (let pos = 0; createDiff > pos; ) {
      if (this.stopped) return; // the term ended: no more writes (expectations die with it)
      const before = errors.length;
      const batch: Promise<void>[] = [];
      for (let i = pos; i < pos + batchSize; i++) {
        const nodeName = nodesNeedingDaemonPods[i]!;
        // Shares everything but the node-specific fields with `template`; neither is mutated
        // (createPods copies what it keeps).
        const podTemplate: PodTemplateSpec = {
          ...template,
          // Decision 1: no scheduler, so the controller binds the pod itself.
          spec: { ...template.spec, affinity: replaceDaemonSetPodNodeNameNodeAffinity(template.spec.affinity, nodeName), nodeName },
        };
        batch.push(
          this.podControl.createPods(ns, podTemplate, ds, ref).catch((e: unknown) => {
            if (hasStatusCause(e, namespaceTerminatingCause)) return;
            this.expectations.creationObserved(key);
            errors.push(e);
          }),
        );
      }
      await Promise.all(batch);
      const skipped = createDiff - (batchSize + pos);
      if (errors.length > before && skipped > 0) {
        this.expectations.lowerExpectations(key, skipped, 0);
        break;
      }
      pos += batchSize;
      batchSize = Math.min(2 * batchSize, createDiff - pos);
    }

    await Promise.all(
      podsToDelete.slice(0, deleteDiff).map((name) =>
        this.podControl.deletePod(ns, name, ds).catch((e: unknown) => {
          this.expectations.deletionObserved(key);
          if (!isNotFound(e)) errors.push(e);
        }),
      ),
    );
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, errors.map(errorMessage).join('; '));
  }

  // -------------------------------------------------------------------------------------------
  // Rolling update (§10)

  private async rollingUpdate(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    const view = await this.passSlots(ds, nodes);
    const slots = view.nodeSlots;
    let desired = 0;
    for (let i = 0; i < view.nodeCount; i++) if (slots[i]!.shouldRun) desired++;
    let maxUnavailable = unavailableCount(ds, desired);
    const maxSurge = surgeCount(ds, desired);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const now = this.clock.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const tg = getTemplateGeneration(ds);
    const generation = tg === undefined ? undefined : String(tg);
    const found: FoundUpdated = { newPod: undefined, oldPod: undefined };

    // Visits every node that should run a pod or holds pods, then the pods' vanished nodes
    // (upstream: every entry of the node→pods map after adding empty entries for desired nodes).
    const visit = (fn: (nodeName: string, ok: boolean, slot: NodeSlot | undefined) => void): void => {
      for (let i = 0; i < view.nodeCount; i++) {
        const s = slots[i]!;
        const n = view.countOf(s);
        if (s.shouldRun || n > 0) fn(s.name, findUpdatedPods(s.facts, n, hash, generation, found), s);
      }
      for (const s of view.strays) fn(s.name, findUpdatedPods(s.facts, view.countOf(s), hash, generation, found), undefined);
    };

    if (maxSurge === 0) {
      let numUnavailable = 0;
      const allowedReplacement: string[] = [];
      const candidates: string[] = [];
      visit((_nodeName, ok) => {
        if (!ok) {
          numUnavailable++;
          return;
        }
        const { newPod, oldPod } = found;
        if ((!oldPod && !newPod) || (oldPod && newPod)) {
          numUnavailable++;
        } else if (newPod) {
          if (!factsAvailable(newPod, minReady, now)) numUnavailable++;
        } else if (oldPod) {
          if (!factsAvailable(oldPod, minReady, now)) {
            allowedReplacement.push(oldPod.name);
            numUnavailable++;
          } else if (numUnavailable < maxUnavailable) {
            candidates.push(oldPod.name);
          }
        }
      });
      const remaining = Math.max(0, Math.min(maxUnavailable - numUnavailable, candidates.length));
      await this.syncNodes(ds, [...allowedReplacement, ...candidates.slice(0, remaining)], [], hash);
      return;
    }

    let numSurge = 0;
    let numAvailable = 0;
    const allowedNewNodes: string[] = [];
    const candidateNewNodes: string[] = [];
    const oldPodsToDelete: string[] = [];
    const shouldNotRunPodsToDelete: string[] = [];
    visit((nodeName, ok, slot) => {
      if (!ok) {
        numSurge++;
        return;
      }
      const { newPod, oldPod } = found;
      if (oldPod) {
        if (factsAvailable(oldPod, minReady, now)) numAvailable++;
      } else if (newPod) {
        if (factsAvailable(newPod, minReady, now)) numAvailable++;
      }
      if (!oldPod) return;
      if (!newPod) {
        let shouldRun: boolean;
        if (slot) {
          shouldRun = slot.shouldRun;
        } else {
          const node = this.nodeLister.get(nodeName);
          if (!node) throw new Error(`couldn't get node for nodeName "${nodeName}": nodes "${nodeName}" not found`);
          shouldRun = nodeShouldRunDaemonPod(node, ds).shouldRun;
        }
        if (!factsAvailable(oldPod, minReady, now)) {
          if (!shouldRun) oldPodsToDelete.push(oldPod.name);
          else allowedNewNodes.push(nodeName);
        } else {
          if (!shouldRun) {
            shouldNotRunPodsToDelete.push(oldPod.name);
            return;
          }
          if (numSurge >= maxSurge) return;
          candidateNewNodes.push(nodeName);
        }
        return;
      }
      if (!factsAvailable(newPod, minReady, now)) {
        numSurge++;
        return;
      }
      oldPodsToDelete.push(oldPod.name);
    });
    const deletable = Math.min(numAvailable - desired, shouldNotRunPodsToDelete.length);
    if (deletable > 0) oldPodsToDelete.push(...shouldNotRunPodsToDelete.slice(0, deletable));
    const remainingSurge = Math.max(0, Math.min(maxSurge - numSurge, candidateNewNodes.length));
    await this.syncNodes(ds, oldPodsToDelete, [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)], hash);
  }

  // -------------------------------------------------------------------------------------------
  // History (§9)

  /** Owned revisions after adoption/release (§9.3 step 1). */
  async controlledHistories(ds: DaemonSet): Promise<ControllerRevision[]> {
    const selector = this.selectorOf(ds);
    const histories = this.historyLister.namespace(ds.metadata.namespace ?? '').list();
    const ns = ds.metadata.namespace ?? '';
    const cm = new ControllerRefManager({
      controller: ds,
      controllerResource: dsKind,
      selector,
      canAdopt: this.canAdoptFn(ds),
      adopt: async (h, patch) => {
        await this.client.patch(controllerRevisionsResource, ns, h.metadata.name ?? '', 'strategic', patch);
      },
      release: async (h, patch) => {
        await this.client.patch(controllerRevisionsResource, ns, h.metadata.name ?? '', 'strategic', patch);
      },
    });
    return cm.claim(histories);
  }

  /** `revisionPayload(ds)`, memoised per cached DaemonSet object. */
  private revisionPayloadOf(ds: DaemonSet): string {
    let p = this.payloads.get(ds);
    if (p === undefined) this.payloads.set(ds, (p = revisionPayload(ds)));
    return p;
  }

  /** `revisionDataJSON(rev)`, memoised per revision object. */
  private revisionDataJSONOf(rev: ControllerRevision): string {
    let j = this.revisionJSON.get(rev);
    if (j === undefined) this.revisionJSON.set(rev, (j = revisionDataJSON(rev)));
    return j;
  }

  async constructHistory(ds: DaemonSet): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
    const ns = ds.metadata.namespace ?? '';
    const histories = await this.controlledHistories(ds);
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    const payload = this.revisionPayloadOf(ds);
    for (let h of histories) {
      if (h.metadata.labels?.[controllerRevisionHashLabel] === undefined) {
        const toUpdate = structuredClone(h) as ControllerRevision;
        toUpdate.metadata.labels = { ...(toUpdate.metadata.labels ?? {}), [controllerRevisionHashLabel]: toUpdate.metadata.name ?? '' };
        h = await this.client.update<ControllerRevision>(controllerRevisionsResource, ns, toUpdate);
      }
      if (this.revisionDataJSONOf(h) === payload) current.push(h);
      else old.push(h);
    }
    const nextRevision = maxRevision(old) + 1;
    let cur: ControllerRevision;
    if (current.length === 0) {
      cur = await this.snapshot(ds, nextRevision);
    } else {
      cur = await this.dedupCurHistories(ds, current);
      if (cur.revision < nextRevision) {
        const toUpdate = structuredClone(cur) as ControllerRevision;
        toUpdate.revision = nextRevision;
        cur = await this.client.update<ControllerRevision>(controllerRevisionsResource, ns, toUpdate);
      }
    }
    return { cur, old };
  }

  private async dedupCurHistories(ds: DaemonSet, curHistories: ControllerRevision[]): Promise<ControllerRevision> {
    if (curHistories.length === 1) return curHistories[0]!;
    let keep = curHistories[0]!;
    let max = 0;
    for (const c of curHistories) {
      if (c.revision >= max) {
        keep = c;
        max = c.revision;
      }
    }
    const keepHash = keep.metadata.labels?.[controllerRevisionHashLabel] ?? '';
    for (const c of curHistories) {
      if (c.metadata.name === keep.metadata.name) continue;
      const pods = await this.getDaemonPods(ds);
      for (const pod of pods) {
        if (pod.metadata.labels?.[controllerRevisionHashLabel] !== keepHash) {
          this.podWrites++;
          await this.podControl.patchPod(pod.metadata.namespace ?? '', pod.metadata.name ?? '', { metadata: { labels: { [controllerRevisionHashLabel]: keepHash } } });
        }
      }
      await this.client.delete(controllerRevisionsResource, ds.metadata.namespace ?? '', c.metadata.name ?? '');
    }
    return keep;
  }

  /** §9.4: create the revision for the current template; on a genuine name collision bump collisionCount and fail. */
  private async snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const ns = ds.metadata.namespace ?? '';
    const collisionCount = ds.status?.collisionCount;
    const hash = computeHash(ds.spec.template, collisionCount);
    const name = controllerRevisionName(ds.metadata.name ?? '', hash);
    const history: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: { ...(ds.spec.template.metadata?.labels ?? {}), [controllerRevisionHashLabel]: hash },
        ownerReferences: [newControllerRef(ds, dsKind)],
      },
      data: revisionData(ds),
      revision,
    };
    if (ds.metadata.annotations) history.metadata.annotations = { ...ds.metadata.annotations };
    try {
      return await this.client.create<ControllerRevision>(controllerRevisionsResource, ns, history);
    } catch (outer) {
      if (!isAlreadyExists(outer)) throw outer;
      const existing = await this.client.get<ControllerRevision>(controllerRevisionsResource, ns, name);
      if (matchRevision(ds, existing)) return existing;
      const currDS = await this.client.get<DaemonSet>(daemonSetsResource, ns, ds.metadata.name ?? '');
      const liveCount = currDS.status?.collisionCount;
      if (liveCount !== collisionCount) {
        throw new Error(`found a stale collision count (${collisionCount ?? 'nil'}, expected ${liveCount ?? 'nil'}) of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`);
      }
      const status: DaemonSetStatus = currDS.status ?? { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      currDS.status = { ...status, collisionCount: (liveCount ?? 0) + 1 };
      await this.client.updateStatus<DaemonSet>(daemonSetsResource, ns, currDS);
      throw outer;
    }
  }

  /** §9.5: delete the oldest unused revisions beyond revisionHistoryLimit. */
  private async cleanupHistory(ds: DaemonSet, old: ControllerRevision[]): Promise<void> {
    const limit = ds.spec.revisionHistoryLimit ?? 10;
    let toKill = old.length - limit;
    if (toKill <= 0) return;
    const nodeToDaemonPods = await this.getNodesToDaemonPods(ds, true);
    const live = new Set<string>();
    for (const pods of nodeToDaemonPods.values()) {
      for (const p of pods) {
        const h = p.metadata.labels?.[controllerRevisionHashLabel];
        if (h) live.add(h);
      }
    }
    const sorted = [...old].sort((a, b) => a.revision - b.revision);
    for (const h of sorted) {
      if (toKill <= 0) break;
      if (live.has(h.metadata.labels?.[controllerRevisionHashLabel] ?? '')) continue;
      await this.client.delete(controllerRevisionsResource, ds.metadata.namespace ?? '', h.metadata.name ?? '');
      toKill--;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Status (§8)

  async updateDaemonSetStatus(ds: DaemonSet, nodes: Node[], hash: string, updateObservedGen: boolean): Promise<void> {
    let view: DaemonSetNodeSlots;
    try {
      view = await this.passSlots(ds, nodes);
    } catch (e) {
      throw new Error(`couldn't get node to daemon pod mapping for daemon set "${ds.metadata.name}": ${errorMessage(e)}`);
    }
    const now = this.clock.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const tg = getTemplateGeneration(ds);
    const generationStr = tg === undefined ? undefined : String(tg);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    const slots = view.nodeSlots;
    for (let i = 0; i < view.nodeCount; i++) {
      const s = slots[i]!;
      const n = view.countOf(s);
      const scheduled = n > 0;
      if (s.shouldRun) {
        desired++;
        if (!scheduled) continue;
        current++;
        const pod = n === 1 ? s.facts[0]! : oldestFacts(view.factsOf(s));
        if (pod.ready) {
          ready++;
          if (factsAvailable(pod, minReady, now)) available++;
        }
        if (factsUpdated(pod, hash, generationStr)) updated++;
      } else if (scheduled) {
        misscheduled++;
      }
    }
    await this.storeDaemonSetStatus(ds, { desired, current, misscheduled, ready, updated, available, unavailable: desired - available }, updateObservedGen);
    if (minReady > 0 && ready !== available) this.enqueueAfter(ds, minReady * 1000);
  }

  private async storeDaemonSetStatus(
    ds: DaemonSet,
    c: { desired: number; current: number; misscheduled: number; ready: number; updated: number; available: number; unavailable: number },
    updateObservedGen: boolean,
  ): Promise<void> {
    const s = ds.status;
    const generation = ds.metadata.generation ?? 0;
    if (
      s &&
      s.desiredNumberScheduled === c.desired &&
      s.currentNumberScheduled === c.current &&
      s.numberMisscheduled === c.misscheduled &&
      s.numberReady === c.ready &&
      (s.updatedNumberScheduled ?? 0) === c.updated &&
      (s.numberAvailable ?? 0) === c.available &&
      (s.numberUnavailable ?? 0) === c.unavailable &&
      (s.observedGeneration ?? 0) >= generation
    ) {
      return;
    }
    const ns = ds.metadata.namespace ?? '';
    let toUpdate = structuredClone(ds) as DaemonSet;
    let updateErr: unknown;
    for (let i = 0; ; i++) {
      const st: DaemonSetStatus = { ...(toUpdate.status ?? { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }) };
      if (updateObservedGen) st.observedGeneration = generation;
      st.desiredNumberScheduled = c.desired;
      st.currentNumberScheduled = c.current;
      st.numberMisscheduled = c.misscheduled;
      st.numberReady = c.ready;
      // apps/v1 leaves these three out when zero (omitempty), as upstream's status shows them.
      const omitZero = (k: 'updatedNumberScheduled' | 'numberAvailable' | 'numberUnavailable', v: number): void => {
        if (v === 0) delete st[k];
        else st[k] = v;
      };
      omitZero('updatedNumberScheduled', c.updated);
      omitZero('numberAvailable', c.available);
      omitZero('numberUnavailable', c.unavailable);
      toUpdate.status = st;
      try {
        await this.client.updateStatus<DaemonSet>(daemonSetsResource, ns, toUpdate);
        return;
      } catch (e) {
        updateErr = e;
      }
      if (i >= statusUpdateRetries) break;
      toUpdate = await this.client.get<DaemonSet>(daemonSetsResource, ns, ds.metadata.name ?? '');
    }
    throw updateErr;
  }
}
