// GarbageCollector: cascading deletion over ownerReferences, talking only through the API
// (modelled on upstream's pkg/controller/garbagecollector).
//
// Shape: informers over a data-driven list of resources feed the DependencyGraph (graph.ts);
// the graph enqueues UIDs into two rate-limited work queues:
// - attemptToDelete: decide the fate of one object from a *live* GET of it and of each of its
//   owners (the informer caches may lag; every verdict is verified against the API first):
//   * all owners dangling (404 or UID changed) → delete it (propagation from its own
//     finalizers, Background by default);
//   * some owners solid → strip only the dangling / foreground-waiting references (patch);
//   * owners waiting for dependents (foreground) and none solid → delete it (Foreground if it
//     has dependents of its own, so the foreground cascade reaches them first);
//   * an owner being deleted in foreground → once no dependent with blockOwnerDeletion remains
//     in the graph, remove its `foregroundDeletion` finalizer (the server then deletes it);
//   * a virtual owner (referenced, never observed) → GET it; gone → virtual delete event.
// - attemptToOrphan: strip the owner's reference from every dependent, then remove the
//   owner's `orphan` finalizer.
// Invariants: deletes carry `preconditions.uid`, so an object recreated under the same name is
// never deleted by mistake; every step is idempotent and re-derivable from the API, so a
// failed step is simply retried with backoff.

import type { DeleteOptions, DeletionPropagation, KubeObject } from '../../api/types.js';
import {
  ApiEventRecorder,
  type ApiClient,
  type EventRecorder,
  type Clock,
  type DeletedFinalStateUnknown,
  type Informer,
  RateLimitingQueue,
  type ResourceDescriptor,
  SharedInformerFactory,
  type TimerHandle,
  apiVersionOf,
  isConflict,
  isNotFound,
  isTombstone,
  realClock,
  resourceKey,
} from '../../client/index.js';
import {
  DependencyGraph,
  type GraphEventType,
  type GraphNode,
  type ObjectIdentity,
  finalizerDeleteDependents,
  finalizerOrphanDependents,
  hasFinalizer,
  identityString,
} from './graph.js';
import { PodGarbageCollector, type PodGarbageCollectorOptions } from './pod-gc.js';
import { ResourceResolver, customResourceDefinitionsResource, customResourceOf, defaultGarbageCollectorResources } from './resources.js';
import { errorMessage } from '../../util/index.js';

/** How long after a CRD event its custom resources' monitor starts listing. */
const CUSTOM_RESOURCE_START_DELAY_MS = 500;

export interface GarbageCollectorOptions {
  client: ApiClient;
  /** Monitored resources (default: defaultGarbageCollectorResources). */
  resources?: readonly ResourceDescriptor[];
  /**
   * Extra resources that may appear as owners but are not monitored (used only to GET an
   * owner). Owners of a kind found in neither list are treated as present: never acted on.
   */
  ownerResources?: readonly ResourceDescriptor[];
  clock?: Clock;
  /** Share informers with other controllers; by default the collector makes (and owns) its own. */
  informers?: SharedInformerFactory;
  attemptToDeleteWorkers?: number;
  attemptToOrphanWorkers?: number;
  /** Pod GC (pods bound to missing nodes); `false` disables it. Needs pods and nodes monitored. */
  podGC?: false | Omit<PodGarbageCollectorOptions, 'client' | 'informers' | 'clock'>;
  /** Longest wait for the first list of every monitored resource before starting anyway (default 30 s). */
  syncTimeoutMs?: number;
  /** Where the collector's events go (default: Events written through `client`, as garbage-collector-controller). */
  recorder?: EventRecorder;
  onError?: (err: unknown) => void;
}

type Outcome = 'forget' | 'requeue';

/** Returned by attemptToDeleteItem when a virtual delete event was issued instead of acting. */
const enqueuedVirtualDelete: Outcome = 'forget';

const maxConflictRetries = 5;

export class GarbageCollector {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly graph: DependencyGraph;
  readonly attemptToDelete: RateLimitingQueue<string>;
  readonly attemptToOrphan: RateLimitingQueue<string>;
  readonly informers: SharedInformerFactory;
  readonly podGC: PodGarbageCollector | undefined;
  private readonly ownsFactory: boolean;
  private readonly monitors: Array<Informer<KubeObject>> = [];
  private readonly resolver: ResourceResolver;
  private readonly onError: (err: unknown) => void;
  private readonly deleteWorkers: number;
  private readonly orphanWorkers: number;
  private synced = false;
  private running = false;
  /** `group/plural` of every monitored resource. */
  private readonly monitored = new Set<string>();
  private readonly syncTimeoutMs: number;
  private readonly recorder: EventRecorder;
  /** The recorder made here (not given): stopped with the collector. */
  private readonly ownRecorder: ApiEventRecorder | undefined;

  constructor(o: GarbageCollectorOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.onError = o.onError ?? (() => {});
    const resources = o.resources ?? defaultGarbageCollectorResources;
    this.resolver = new ResourceResolver([...resources, ...(o.ownerResources ?? [])]);
    this.ownsFactory = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client, { clock: this.clock, onError: this.onError });
    this.attemptToDelete = new RateLimitingQueue<string>(this.clock);
    this.attemptToOrphan = new RateLimitingQueue<string>(this.clock);
    this.deleteWorkers = o.attemptToDeleteWorkers ?? 5;
    this.orphanWorkers = o.attemptToOrphanWorkers ?? 2;
    this.syncTimeoutMs = o.syncTimeoutMs ?? 30_000;
    this.ownRecorder = o.recorder ? undefined : new ApiEventRecorder(o.client, { component: 'garbage-collector-controller', clock: this.clock, onError: this.onError });
    this.recorder = o.recorder ?? this.ownRecorder!;
    this.graph = new DependencyGraph(
      {
        attemptToDelete: (uid) => this.attemptToDelete.add(uid),
        attemptToOrphan: (uid) => this.attemptToOrphan.add(uid),
        invalidOwnerNamespace: (dependent, ref) => {
          const owner = identityString({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: dependent.namespace, name: ref.name, uid: ref.uid });
          const obj: KubeObject = { apiVersion: dependent.apiVersion, kind: dependent.kind, metadata: { name: dependent.name, uid: dependent.uid, ...(dependent.namespace ? { namespace: dependent.namespace } : {}) } };
          this.recorder.event(obj, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef ${owner} does not exist in namespace ${JSON.stringify(dependent.namespace)}`);
        },
      },
      (apiVersion, kind) => this.resolver.resolve(apiVersion, kind)?.namespaced,
    );
    for (const r of resources) this.monitor(r);
    // Custom resources come and go with their CRDs: each CRD seen adds its kind's monitor.
    if (resources.some((r) => r.group === customResourceDefinitionsResource.group && r.plural === customResourceDefinitionsResource.plural)) {
      const crds = this.informers.forResource<KubeObject>(customResourceDefinitionsResource);
      /** The CRD as the cache has it now, unless it is gone or being deleted. */
      const live = (name: string): KubeObject | undefined => {
        const crd = crds.indexer.getByKey(name);
        return crd && !crd.metadata.deletionTimestamp ? crd : undefined;
      };
      const add = (crd: KubeObject): void => {
        if (crd.metadata.deletionTimestamp || !customResourceOf(crd)) return;
        const name = crd.metadata.name ?? '';
        // A CRD's kind is served a moment after the CRD event arrives (the API server registers
        // it from the same watch): a monitor listing at once would only meet a 404 and its
        // warning. When the moment has passed, the CRD must still be there.
        const start = (): void => {
          const now = live(name);
          const r = now && customResourceOf(now);
          if (r) this.monitor(r);
        };
        if (this.running) this.clock.setTimeout(() => this.running && start(), CUSTOM_RESOURCE_START_DELAY_MS);
        else start();
      };
      const remove = (crd: KubeObject): void => {
        const r = customResourceOf(crd);
        if (r) void this.unmonitor(r);
      };
      crds.addEventHandler({ add: (crd) => add(crd), update: (_old, crd) => add(crd), delete: (crd) => remove(isTombstone(crd) ? crd.obj : crd) });
    }
    const monitorsPodsAndNodes = resources.some((r) => r.group === '' && r.plural === 'pods') && resources.some((r) => r.group === '' && r.plural === 'nodes');
    this.podGC =
      o.podGC === false || !monitorsPodsAndNodes
        ? undefined
        : new PodGarbageCollector({ ...(o.podGC ?? {}), client: o.client, informers: this.informers, clock: this.clock, onError: o.podGC?.onError ?? this.onError });
  }

  /**
   * Monitors one resource (once per group/plural): its objects feed the dependency graph. A
   * monitor added while the collector runs starts at once; it joins the graph as it lists.
   */
  private monitor(r: ResourceDescriptor): void {
    const key = `${r.group}/${r.plural}`;
    if (this.monitored.has(key)) return;
    this.monitored.add(key);
    this.resolver.add(r);
    const inf = this.informers.forResource<KubeObject>(r);
    this.monitors.push(inf);
    const observe = (type: GraphEventType, obj: KubeObject | DeletedFinalStateUnknown<KubeObject>, old?: KubeObject): void => {
      const o2 = isTombstone(obj) ? obj.obj : obj;
      this.graph.observe(type, o2, this.identityOf(r, o2), old);
    };
    inf.addEventHandler({
      add: (obj) => observe('add', obj),
      update: (old, cur) => observe('update', cur, old),
      delete: (obj) => observe('delete', obj),
    });
    if (this.running) inf.start();
  }

  /** Stops monitoring a resource that is no longer served (its CRD went). */
  private async unmonitor(r: ResourceDescriptor): Promise<void> {
    const key = `${r.group}/${r.plural}`;
    if (!this.monitored.delete(key)) return;
    const i = this.monitors.findIndex((m) => m.resource.group === r.group && m.resource.plural === r.plural);
    const [inf] = i >= 0 ? this.monitors.splice(i, 1) : [];
    if (inf) await this.informers.remove(inf.resource);
  }

  private identityOf(r: ResourceDescriptor, obj: KubeObject): ObjectIdentity {
    return {
      apiVersion: apiVersionOf(r),
      kind: r.kind,
      namespace: r.namespaced ? (obj.metadata.namespace ?? '') : '',
      name: obj.metadata.name ?? '',
      uid: obj.metadata.uid ?? '',
    };
  }

  /** True once every monitored informer has listed. */
  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Starts the informers (idempotent for shared ones), waits for their first list, then runs
   * the workers until `signal` aborts. Resolves after the workers have stopped.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.running = true;
    if (this.ownsFactory) this.informers.start();
    else for (const m of this.monitors) m.start();
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    // Like upstream, a resource that never lists (not served, forbidden) does not hold the
    // collector back forever: after syncTimeoutMs it starts with the caches it has. Acting
    // early is safe because every verdict is verified with live GETs.
    let syncTimer: TimerHandle | undefined;
    const timedOut = new Promise<void>((resolve) => (syncTimer = this.clock.setTimeout(resolve, this.syncTimeoutMs)));
    await Promise.race([Promise.all(this.monitors.map((m) => m.waitForSync())), stop, timedOut]);
    if (syncTimer) this.clock.clearTimeout(syncTimer);
    if (signal.aborted) return this.shutDown();
    const unsynced = this.monitors.filter((m) => !m.hasSynced()).map((m) => resourceKey(m.resource));
    if (unsynced.length) this.onError(new Error(`garbage collector: starting without synced caches for ${unsynced.join(', ')}`));
    this.synced = true;
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.deleteWorkers; i++) workers.push(this.worker(this.attemptToDelete, (uid) => this.attemptToDeleteWorker(uid)));
    for (let i = 0; i < this.orphanWorkers; i++) workers.push(this.worker(this.attemptToOrphan, (uid) => this.attemptToOrphanWorker(uid)));
    const podGC = this.podGC?.run(signal);
    await stop;
    await this.shutDown();
    await Promise.all([...workers, podGC]);
  }

  private async shutDown(): Promise<void> {
    this.running = false;
    this.ownRecorder?.stop();
    this.attemptToDelete.shutDown({ drain: false });
    this.attemptToOrphan.shutDown({ drain: false });
    if (this.ownsFactory) await this.informers.shutdown();
  }

  private async worker(q: RateLimitingQueue<string>, fn: (uid: string) => Promise<Outcome>): Promise<void> {
    for (;;) {
      const uid = await q.get();
      if (uid === undefined) return;
      try {
        const outcome = await fn(uid);
        if (outcome === 'forget') q.forget(uid);
        else q.addRateLimited(uid);
      } catch (e) {
        this.onError(new Error(`garbage collector: ${uid}: ${errorMessage(e)}`));
        q.addRateLimited(uid);
      } finally {
        q.done(uid);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // attemptToDelete

  async attemptToDeleteWorker(uid: string): Promise<Outcome> {
    const n = this.graph.node(uid);
    // Removed from the graph meanwhile (observed deletion or virtual delete): nothing to do.
    if (!n) return 'forget';
    const outcome = await this.attemptToDeleteItem(n);
    // A virtual node that exists in the API but has not reached the informer yet: look again later.
    if (outcome === 'forget' && !n.observed && this.graph.node(uid) === n) return 'requeue';
    return outcome;
  }

  private resourceOf(identity: ObjectIdentity): ResourceDescriptor | undefined {
    return this.resolver.resolve(identity.apiVersion, identity.kind);
  }

  private async getObject(identity: ObjectIdentity): Promise<KubeObject | undefined> {
    const r = this.resourceOf(identity);
    if (!r) throw new Error(`unable to resolve ${identity.apiVersion}/${identity.kind}`);
    try {
      return await this.client.get(r, r.namespaced ? identity.namespace : '', identity.name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async attemptToDeleteItem(item: GraphNode): Promise<Outcome> {
    // "Being deleted" is a one-way trip: wait for the final deletion, then its dependents are processed.
    if (item.beingDeleted && !item.deletingDependents) return 'forget';
    const r = this.resourceOf(item.identity);
    if (!r) {
      // A kind we cannot address (not served / not configured): never act on it.
      if (!item.observed) item.observed = true;
      return 'forget';
    }
    const latest = await this.getObject(item.identity);
    if (!latest || latest.metadata.uid !== item.identity.uid) {
      this.graph.virtualDelete(item.identity);
      return enqueuedVirtualDelete;
    }
    if (!item.observed) return 'forget'; // exists; the worker requeues until the informer catches up
    if (item.deletingDependents) return this.processDeletingDependentsItem(item);

    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return 'forget';
    const classified = await this.classifyReferences(latest, r);
    // A cluster-scoped object naming a namespaced owner is left alone for good, as upstream
    // (its namespacedOwnerOfClusterScopedObject error): retrying cannot resolve it, and deleting
    // would take, say, a chart's ClusterRole with its namespaced "owner".
    if (classified === 'invalid') return 'forget';
    const { solid, dangling, waiting } = classified;

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return 'forget';
      // Some owners are alive: only drop the references to the gone / foreground-deleting ones.
      const uids = [...dangling, ...waiting];
      await this.patchOwnerReferences(r, latest, uids.map((u) => ({ $patch: 'delete', uid: u })));
      return 'forget';
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      // Possible cycle (a dependent of ours is itself deleting dependents): unblock our
      // references first so neither side waits on the other forever.
      for (const d of item.dependents) {
        if (d.deletingDependents) {
          const unblock = refs.filter((ref) => waiting.includes(ref.uid) && ref.blockOwnerDeletion === true).map((ref) => ({ ...ref, blockOwnerDeletion: false }));
          if (unblock.length) await this.patchOwnerReferences(r, latest, unblock);
          break;
        }
      }
      return this.deleteObject(r, latest, 'Foreground');
    }
    const policy: DeletionPropagation = hasFinalizer(latest, finalizerOrphanDependents)
      ? 'Orphan'
      : hasFinalizer(latest, finalizerDeleteDependents)
        ? 'Foreground'
        : 'Background';
    return this.deleteObject(r, latest, policy);
  }

  /**
   * Splits the object's owner references: solid (owner exists, not deleting in foreground),
   * dangling (owner gone or replaced under the same name) and waiting (owner exists with
   * deletionTimestamp and the `foregroundDeletion` finalizer); 'invalid' when a cluster-scoped
   * object names a namespaced owner.
   */
  private async classifyReferences(obj: KubeObject, r: ResourceDescriptor): Promise<{ solid: string[]; dangling: string[]; waiting: string[] } | 'invalid'> {
    const solid: string[] = [];
    const dangling: string[] = [];
    const waiting: string[] = [];
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const or = this.resolver.resolve(ref.apiVersion, ref.kind);
      // A cluster-scoped object cannot be owned by a namespaced one: the reference can never resolve.
      if (or?.namespaced && !r.namespaced) return 'invalid';
      // Known absent: as a cluster-scoped owner, or as a namespaced one in this object's namespace.
      const coordinates = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid };
      const ns = obj.metadata.namespace ?? '';
      if (this.graph.absentOwnerCache.has({ ...coordinates, namespace: '' }) || (ns !== '' && this.graph.absentOwnerCache.has({ ...coordinates, namespace: ns }))) {
        dangling.push(ref.uid);
        continue;
      }
      if (!or) {
        solid.push(ref.uid); // cannot verify: assume present
        continue;
      }
      let owner: KubeObject | undefined;
      try {
        owner = await this.client.get(or, or.namespaced ? (obj.metadata.namespace ?? '') : '', ref.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (!owner || owner.metadata.uid !== ref.uid) {
        this.graph.absentOwnerCache.add({ ...coordinates, namespace: or.namespaced ? ns : '' });
        dangling.push(ref.uid);
      } else if (owner.metadata.deletionTimestamp && hasFinalizer(owner, finalizerDeleteDependents)) {
        waiting.push(ref.uid);
      } else {
        solid.push(ref.uid);
      }
    }
    return { solid, dangling, waiting };
  }

  private async processDeletingDependentsItem(item: GraphNode): Promise<Outcome> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      await this.removeFinalizer(item, finalizerDeleteDependents);
      return 'forget';
    }
    for (const d of blocking) if (!d.deletingDependents) this.attemptToDelete.add(d.identity.uid);
    return 'forget';
  }

  private async deleteObject(r: ResourceDescriptor, obj: KubeObject, policy: DeletionPropagation): Promise<Outcome> {
    const opts: DeleteOptions = { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } };
    try {
      await this.client.delete(r, r.namespaced ? (obj.metadata.namespace ?? '') : '', obj.metadata.name ?? '', opts);
    } catch (e) {
      if (isNotFound(e)) return 'forget';
      // UID precondition failed: the object was replaced; the next attempt sees the new UID.
      if (isConflict(e)) return 'requeue';
      throw e;
    }
    return 'forget';
  }

  /** Strategic-merge patch of ownerReferences (merge key uid), with the object's UID as precondition. */
  private async patchOwnerReferences(r: ResourceDescriptor, obj: KubeObject, refs: unknown[]): Promise<void> {
    const patch = { metadata: { uid: obj.metadata.uid, ownerReferences: refs } };
    try {
      await this.client.patch(r, r.namespaced ? (obj.metadata.namespace ?? '') : '', obj.metadata.name ?? '', 'strategic', patch);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /** Removes `finalizer` from the live owner (merge patch with resourceVersion precondition, retried on conflict). */
  private async removeFinalizer(owner: GraphNode, finalizer: string): Promise<void> {
    const r = this.resourceOf(owner.identity);
    if (!r) return;
    for (let attempt = 1; ; attempt++) {
      const cur = await this.getObject(owner.identity);
      if (!cur || cur.metadata.uid !== owner.identity.uid) return;
      const finalizers = cur.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const patch = { metadata: { resourceVersion: cur.metadata.resourceVersion, finalizers: finalizers.filter((f) => f !== finalizer) } };
      try {
        await this.client.patch(r, r.namespaced ? owner.identity.namespace : '', owner.identity.name, 'merge', patch);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e) && attempt < maxConflictRetries) continue;
        throw new Error(`cannot remove finalizer ${finalizer} from ${identityString(owner.identity)}: ${errorMessage(e)}`);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // attemptToOrphan

  async attemptToOrphanWorker(uid: string): Promise<Outcome> {
    const owner = this.graph.node(uid);
    if (!owner) return 'forget';
    const errors: string[] = [];
    for (const d of [...owner.dependents]) {
      const r = this.resourceOf(d.identity);
      if (!r) continue;
      const patch = { metadata: { uid: d.identity.uid, ownerReferences: [{ $patch: 'delete', uid }] } };
      try {
        await this.client.patch(r, r.namespaced ? d.identity.namespace : '', d.identity.name, 'strategic', patch);
      } catch (e) {
        // Gone, or replaced under the same name (UID precondition): nothing to orphan.
        if (isNotFound(e) || isConflict(e)) continue;
        errors.push(`${identityString(d.identity)}: ${errorMessage(e)}`);
      }
    }
    if (errors.length) throw new Error(`orphaning dependents of ${identityString(owner.identity)}: ${errors.join('; ')}`);
    await this.removeFinalizer(owner, finalizerOrphanDependents);
    return 'forget';
  }
}
