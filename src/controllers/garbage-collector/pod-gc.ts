// PodGarbageCollector: force-deletes pods no node agent will ever finish, and caps the pods that
// have (upstream's podgc). Each pass, in upstream's order:
// - gcTerminated: beyond `terminatedPodThreshold` finished pods (phase neither Pending, Running
//   nor Unknown), the excess goes: evicted pods first, then the oldest, names breaking ties;
// - gcTerminating: pods being deleted on a node that is not Ready and carries the
//   `node.kubernetes.io/out-of-service` taint (an operator's word that the machine is gone);
// - gcOrphaned: pods bound (spec.nodeName) to a Node that no longer exists;
// - gcUnscheduledTerminating: pods being deleted that were never bound to a node (no agent
//   will confirm their deletion).
//
// Contract: a node name missing from the node cache is quarantined first; only after
// `quarantineMs` and a live GET answering NotFound are its pods deleted. The quarantine covers
// informer lag and a node re-registering. A pass runs every `gcCheckPeriodMs`, and a Node
// deletion event schedules a check at the end of its quarantine, so a deleted node's pods go
// after about `quarantineMs`. As upstream, a pod not yet in a terminal phase is first marked
// Failed (an orphan also gets the DisruptionTarget condition, reason DeletionByPodGC), so
// watchers see why it ended; then it is deleted with grace period 0 and a UID precondition.

import type { Node, Pod } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type Informer,
  type SharedInformerFactory,
  type TimerHandle,
  indexPodByNodeName,
  isConflict,
  isNotFound,
  isTombstone,
  nodesResource,
  podNodeNameIndex,
  podsResource,
  realClock,
} from '../../client/index.js';
import { nodeIsReady, taintNodeOutOfService } from '../../api/taints.js';
import { errorMessage, rfc3339 } from '../../util/index.js';

/** Phases of a pod that has not finished; any other phase (an empty one too) counts as finished, as upstream. */
const unfinishedPhases = new Set(['Pending', 'Running', 'Unknown']);

/** Deletes gcTerminated has in flight at once. */
const deleteConcurrency = 32;

/** upstream's byEvictionAndCreationTimestamp: evicted first, then the oldest, then by name. */
function byEvictionAndCreation(a: Pod, b: Pod): number {
  const ea = isEvicted(a);
  if (ea !== isEvicted(b)) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** upstream's eviction.PodIsEvicted: failed with reason Evicted (a node agent's eviction). */
function isEvicted(p: Pod): boolean {
  return p.status?.phase === 'Failed' && p.status.reason === 'Evicted';
}

export interface PodGarbageCollectorOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  /** Period of the orphaned-pod pass (upstream gcCheckPeriod: 20 s). */
  gcCheckPeriodMs?: number;
  /** Time a missing node stays quarantined before its pods go (upstream: 40 s). */
  quarantineMs?: number;
  /**
   * Finished pods kept before the oldest are deleted (upstream's --terminated-pod-gc-threshold:
   * 12,500); 0 or less: no limit.
   */
  terminatedPodThreshold?: number;
  onError?: (err: unknown) => void;
}

export class PodGarbageCollector {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  readonly gcCheckPeriodMs: number;
  readonly quarantineMs: number;
  readonly terminatedPodThreshold: number;
  private readonly onError: (err: unknown) => void;
  /** Node name → time it was first seen missing. */
  private readonly quarantine = new Map<string, number>();
  private readonly timers = new Set<TimerHandle>();
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: PodGarbageCollectorOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.gcCheckPeriodMs = o.gcCheckPeriodMs ?? 20_000;
    this.quarantineMs = o.quarantineMs ?? 40_000;
    this.terminatedPodThreshold = o.terminatedPodThreshold ?? 12_500;
    this.onError = o.onError ?? (() => {});
    this.podInformer = o.informers.forResource<Pod>(podsResource);
    this.nodeInformer = o.informers.forResource<Node>(nodesResource);
    if (!this.podInformer.indexer.hasIndex(podNodeNameIndex)) this.podInformer.addIndexers({ [podNodeNameIndex]: indexPodByNodeName });
    this.nodeInformer.addEventHandler({
      delete: (obj) => {
        const node = isTombstone(obj) ? obj.obj : obj;
        const name = node.metadata.name ?? '';
        if (this.stopped || !name || this.quarantine.has(name)) return;
        if (this.podInformer.indexer.byIndex(podNodeNameIndex, name).length === 0) return;
        this.quarantine.set(name, this.clock.now());
        this.schedule(this.quarantineMs);
      },
    });
  }

  private schedule(ms: number): void {
    const h = this.clock.setTimeout(() => {
      this.timers.delete(h);
      if (!this.stopped) this.enqueuePass();
    }, ms);
    this.timers.add(h);
  }

  /** Runs passes one at a time (a pass never overlaps the previous one). */
  private enqueuePass(): Promise<void> {
    this.running = this.running
      .then(async () => {
        if (this.terminatedPodThreshold > 0) await this.gcTerminated();
        await this.gcTerminating();
        await this.gcOrphaned();
        await this.gcUnscheduledTerminating();
      })
      .catch((e: unknown) => this.onError(e));
    return this.running;
  }

  /**
   * Force-deletes pods being deleted on a node that is not Ready and has the out-of-service
   * taint (upstream's gcTerminating): the operator says the machine will not come back, so its
   * agent will never confirm the deletion (a DaemonSet rollout would wait for it forever).
   */
  async gcTerminating(): Promise<void> {
    for (const p of this.podInformer.lister.list()) {
      const nodeName = p.spec?.nodeName;
      if (!p.metadata.deletionTimestamp || !nodeName) continue;
      const node = this.nodeInformer.lister.get(nodeName);
      if (!node || nodeIsReady(node) || !(node.spec?.taints ?? []).some((t) => t.key === taintNodeOutOfService)) continue;
      await this.markFailedAndDelete(p, nodeName, undefined);
    }
  }

  /**
   * Deletes the finished pods beyond `terminatedPodThreshold` (upstream's gcTerminated): evicted
   * pods first (so the finished pods of controllers, whose outcome someone may still read, go
   * last), then by creation time, oldest first, names breaking ties. Deletes run
   * `deleteConcurrency` at a time.
   */
  async gcTerminated(): Promise<void> {
    const finished = this.podInformer.lister.list().filter((p) => !unfinishedPhases.has(p.status?.phase ?? ''));
    const excess = finished.length - this.terminatedPodThreshold;
    if (excess <= 0) return;
    finished.sort(byEvictionAndCreation);
    const doomed = finished.slice(0, excess);
    for (let i = 0; i < doomed.length; i += deleteConcurrency) {
      await Promise.all(doomed.slice(i, i + deleteConcurrency).map((p) => this.markFailedAndDelete(p, p.spec?.nodeName ?? '', undefined)));
    }
  }

  /**
   * Force-deletes pods being deleted that no node was ever assigned (upstream's
   * gcUnscheduledTerminating): no agent will confirm their deletion.
   */
  async gcUnscheduledTerminating(): Promise<void> {
    for (const p of this.podInformer.lister.list()) {
      if (!p.metadata.deletionTimestamp || p.spec?.nodeName) continue;
      await this.markFailedAndDelete(p, '', undefined);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all([this.podInformer.waitForSync(), this.nodeInformer.waitForSync()]), stop]);
    const tick = (): void => {
      if (this.stopped) return;
      void this.enqueuePass();
      const h = this.clock.setTimeout(() => {
        this.timers.delete(h);
        tick();
      }, this.gcCheckPeriodMs);
      this.timers.add(h);
    };
    if (!signal.aborted) tick();
    await stop;
    this.stopped = true;
    for (const h of this.timers) this.clock.clearTimeout(h);
    this.timers.clear();
    await this.running;
  }

  /**
   * One pass: quarantine node names that pods are bound to but the cache lacks; for names whose
   * quarantine is over, confirm with a live GET and delete their pods.
   */
  async gcOrphaned(): Promise<void> {
    const now = this.clock.now();
    const pods = this.podInformer.lister.list();
    for (const p of pods) {
      const nodeName = p.spec?.nodeName;
      if (!nodeName || this.quarantine.has(nodeName)) continue;
      if (!this.nodeInformer.lister.get(nodeName)) this.quarantine.set(nodeName, now);
    }
    for (const [nodeName, since] of [...this.quarantine]) {
      if (this.nodeInformer.lister.get(nodeName)) {
        this.quarantine.delete(nodeName);
        continue;
      }
      if (now - since < this.quarantineMs) continue;
      let exists = true;
      try {
        await this.client.get(nodesResource, '', nodeName);
      } catch (e) {
        if (!isNotFound(e)) {
          this.onError(new Error(`pod GC: checking node ${nodeName}: ${errorMessage(e)}`));
          continue;
        }
        exists = false;
      }
      this.quarantine.delete(nodeName);
      if (exists) continue;
      for (const p of this.podInformer.indexer.byIndex(podNodeNameIndex, nodeName)) {
        await this.markFailedAndDelete(p, nodeName, { reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
      }
    }
  }

  /**
   * Upstream's markFailedAndDeletePodWithCondition: a pod not yet Succeeded or Failed gets phase
   * Failed (and the DisruptionTarget condition when `disruption` is given) through its status,
   * as field manager PodGC; then it is deleted with grace period 0 and a UID precondition.
   */
  private async markFailedAndDelete(p: Pod, nodeName: string, disruption: { reason: string; message: string } | undefined): Promise<void> {
    const ns = p.metadata.namespace ?? '';
    const name = p.metadata.name ?? '';
    try {
      const phase = p.status?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') {
        const conditions = disruption ? [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: rfc3339(this.clock.now()), ...disruption }] : undefined;
        await this.client.patch(podsResource, ns, name, 'strategic', { status: { phase: 'Failed', ...(conditions ? { conditions } : {}) } }, { subresource: 'status', fieldManager: 'PodGC' });
      }
      await this.client.delete(podsResource, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      this.onError(new Error(`pod GC: deleting pod ${ns}/${name} (${nodeName ? `node ${nodeName}` : 'no node'}): ${errorMessage(e)}`));
    }
  }

  /** Node names currently quarantined (tests, debugging). */
  quarantined(): string[] {
    return [...this.quarantine.keys()];
  }
}
