// EndpointSliceController: keeps the discovery.k8s.io/v1 EndpointSlices of every Service that
// has a selector equal to the pods that selector matches (upstream pkg/controller/endpointslice
// and k8s.io/endpointslice, Kubernetes 1.32), beside the core/v1 Endpoints the endpoints
// controller keeps for the same Services.
//
// Contract: level-triggered on Service keys ("ns/name"). Queued when:
// - a Service is added, updated or deleted;
// - a pod is added or deleted, or updated in a way its endpoints show (the Services whose
//   selector matches it, through the shared ServiceSelectorIndex, as the endpoints controller);
// - a slice labelled managed-by this controller is added, updated or deleted by someone else
//   (its `kubernetes.io/service-name` Service; both Services when that label changed); the
//   controller's own writes coming back through the informer queue nothing.
// sync(key) reads only the caches and:
// - Service gone: nothing (its slices carry a controller ownerReference to it; the garbage
//   collector deletes them);
// - Service of type ExternalName, or without a selector: nothing (the mirroring controller
//   mirrors the user's Endpoints of a Service without a selector);
// - else plans (reconciler.ts planSlices) the slices of each of the Service's address types from
//   its pods (running or terminating, with an IP; `ready`, `serving` and `terminating` as
//   upstream), over its slices in the cache labelled with its name and managed-by this
//   controller and not being deleted, and writes the plan: creates (none while the Service is
//   being deleted), then updates (with the resourceVersion read), then deletes. Written slices
//   carry the `endpoints.kubernetes.io/last-change-trigger-time` annotation when a change
//   triggered them.
// Before planning, a cache that does not show this controller's earlier writes of the Service's
// slices (SliceWriteTracker) fails the sync, which is retried with back-off, rather than
// deciding on slices it knows are stale. A pod on a Node missing from the cache is left out
// (unless the Service publishes not-ready addresses) and the sync is retried after writing.
// A failed write records a Warning FailedToUpdateEndpointSlices event on the Service (conflicts,
// AlreadyExists and stale caches, routine, record none); creates refused because the namespace
// is terminating end the sync. A key failing 15 times in a row is dropped until its next change.

import type { Node, Pod } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  endpointSlicesResource,
  hasStatusCause,
  isAlreadyExists,
  isConflict,
  isNotFound,
  isTombstone,
  namespaceTerminatingCause,
  newControllerRef,
  nodesResource,
  podsResource,
  realClock,
  servicesResource,
  splitMetaNamespaceKey,
} from '../../client/index.js';
import {
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  queueServiceAndPodEvents,
  ServiceSelectorIndex,
  TriggerTimeTracker,
  formatRFC3339Nano,
  selectorMatches,
  shouldPodBeInEndpoints,
} from '../endpoints/index.js';
import type { Service } from '../endpoints/types.js';
import {
  CONTROLLER_NAME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  MAX_ENDPOINTS_PER_SLICE,
  type DesiredGroup,
  type SlicePlan,
  addressTypesForService,
  endpointPortsFor,
  podToEndpoint,
  portMapKey,
  planSlices,
  sliceLabels,
  sliceNamePrefix,
} from './reconciler.js';
import { SliceWriteTracker } from './slice-tracker.js';
import type { EndpointSlice } from './types.js';

/** Upstream's controller name (events' source component, logs). */
export const endpointSliceControllerName = 'endpointslice-controller';

/** Syncs of one Service that may fail in a row before it is dropped until its next change. */
export const MAX_RETRIES = 15;

/** Index of the informer's slices by `namespace/<kubernetes.io/service-name>`, for any manager. */
export const sliceServiceIndex = 'endpointslice-service';

export interface EndpointSliceControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  onError?: (err: unknown) => void;
  /** Most endpoints per slice (upstream --max-endpoints-per-slice, default 100, at most 1000). */
  maxEndpointsPerSlice?: number;
  /** Delay before a pod change is synced (upstream --endpointslice-updates-batch-period; default 0). */
  batchPeriodMs?: number;
}


/** A sync that decided not to act on a cache it knows to be behind: retried, not worth a log line. */
export class StaleCacheError extends Error {}

const isRoutine = (err: unknown): boolean => err instanceof StaleCacheError || isConflict(err) || isAlreadyExists(err);

const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Adds a slices informer's service index once (shared by the endpointslice controllers). */
export function ensureSliceServiceIndex(slices: Informer<EndpointSlice>): void {
  if (slices.indexer.hasIndex(sliceServiceIndex)) return;
  slices.addIndexers({
    [sliceServiceIndex]: (s) => {
      const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
      return svc === undefined ? [] : [`${s.metadata.namespace ?? ''}/${svc}`];
    },
  });
}

/**
 * Writes a plan: creates (unless `noCreates`), updates, deletes, in that order, recording each
 * in `tracker` under `key`. Returns false when a create was refused because the namespace is
 * terminating (the caller stops); throws the first other error.
 */
export async function writeSlicePlan(client: ApiClient, tracker: SliceWriteTracker, key: string, namespace: string, plan: SlicePlan, noCreates: boolean): Promise<boolean> {
  if (!noCreates) {
    for (const s of plan.create) {
      try {
        tracker.created(key, await client.create(endpointSlicesResource, namespace, s));
      } catch (err) {
        if (hasStatusCause(err, namespaceTerminatingCause)) return false;
        throw new Error(`failed to create EndpointSlice for ${key}: ${errMsg(err)}`, { cause: err });
      }
    }
  }
  for (const s of plan.update) {
    try {
      tracker.updated(key, s.metadata.resourceVersion, await client.update(endpointSlicesResource, namespace, s));
    } catch (err) {
      throw new Error(`failed to update ${s.metadata.name ?? ''} EndpointSlice for ${key}: ${errMsg(err)}`, { cause: err });
    }
  }
  for (const s of plan.delete) {
    try {
      await client.delete(endpointSlicesResource, namespace, s.metadata.name ?? '');
      tracker.deleted(key, s);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw new Error(`failed to delete ${s.metadata.name ?? ''} EndpointSlice for ${key}: ${errMsg(err)}`, { cause: err });
    }
  }
  return true;
}

/** Whether an error, or the error it wraps, is routine (conflict, AlreadyExists, stale cache). */
export function isRoutineSliceError(err: unknown): boolean {
  return isRoutine(err) || (err instanceof Error && err.cause !== undefined && isRoutine(err.cause));
}

export class EndpointSliceController {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly onError: (err: unknown) => void;
  private readonly batchPeriodMs: number;
  private readonly maxEndpointsPerSlice: number;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly slices: Informer<EndpointSlice>;
  readonly queue: RateLimitingQueue<string>;
  private readonly serviceIndex = new ServiceSelectorIndex();
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly tracker = new SliceWriteTracker();

  constructor(o: EndpointSliceControllerOptions) {
    const clock = o.clock ?? realClock;
    this.client = o.client;
    this.recorder = o.recorder;
    this.onError = o.onError ?? (() => {});
    this.batchPeriodMs = o.batchPeriodMs ?? 0;
    this.maxEndpointsPerSlice = Math.min(Math.max(1, o.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE), 1000);
    this.queue = new RateLimitingQueue<string>(clock);
    this.services = o.informers.forResource<Service>(servicesResource);
    this.pods = o.informers.forResource<Pod>(podsResource);
    this.nodes = o.informers.forResource<Node>(nodesResource);
    this.slices = o.informers.forResource<EndpointSlice>(endpointSlicesResource);
    ensureSliceServiceIndex(this.slices);

    queueServiceAndPodEvents(this.serviceIndex, this.services, this.pods, (k) => this.queue.add(k), (keys) => this.enqueue(keys));
    this.slices.addEventHandler({
      add: (s) => {
        if (this.managed(s) && !this.tracker.isOwnWrite(s)) this.queue.add(serviceKeyOf(s));
      },
      update: (old, s) => {
        if (old.metadata.labels?.[LABEL_SERVICE_NAME] !== s.metadata.labels?.[LABEL_SERVICE_NAME] || old.metadata.labels?.[LABEL_MANAGED_BY] !== s.metadata.labels?.[LABEL_MANAGED_BY]) {
          if (this.managed(old)) this.queue.add(serviceKeyOf(old));
          if (this.managed(s)) this.queue.add(serviceKeyOf(s));
          return;
        }
        if (this.managed(s) && !this.tracker.isOwnWrite(s)) this.queue.add(serviceKeyOf(s));
      },
      delete: (obj) => {
        const s = isTombstone(obj) ? obj.obj : obj;
        if (!this.managed(s)) return;
        this.tracker.observedDeletion(serviceKeyOf(s), s);
        this.queue.add(serviceKeyOf(s));
      },
    });
  }

  private managed(s: EndpointSlice): boolean {
    return s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME && s.metadata.labels[LABEL_SERVICE_NAME] !== undefined;
  }

  private enqueue(keys: Iterable<string>): void {
    for (const k of keys) this.queue.addAfter(k, this.batchPeriodMs);
  }

  /** Runs `workers` workers (upstream's default --concurrent-service-endpoint-syncs: 5) until `signal` aborts. */
  async run(signal: AbortSignal, workers = 5): Promise<void> {
    const caches = [this.services, this.pods, this.nodes, this.slices];
    await runQueueWorkers({ queue: this.queue, caches, signal, workers, sync: (key) => this.syncWithRetries(key), onError: (err) => (isRoutineSliceError(err) ? undefined : this.onError(err)) });
  }

  private async syncWithRetries(key: string): Promise<void> {
    try {
      await this.sync(key);
    } catch (err) {
      if (this.queue.numRequeues(key) < MAX_RETRIES) throw err;
      this.onError(new Error(`dropping service ${key} out of the endpointslice queue: ${errMsg(err)}`));
    }
  }

  /** The cached slices of a Service managed by this controller (being deleted or not). */
  private slicesOf(key: string): EndpointSlice[] {
    return this.slices.lister.byIndex(sliceServiceIndex, key).filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.lister.namespace(namespace).get(name);
    if (!svc) {
      // Its slices go with it (garbage collector, through their ownerReference).
      this.triggerTimes.delete(key);
      this.tracker.forget(key, namespace, this.slicesOf(key).map((s) => s.metadata.name ?? ''));
      return;
    }
    const spec = svc.spec ?? {};
    // ExternalName Services get no endpoints (kubernetes#105986); those without a selector get
    // theirs from their user's Endpoints, mirrored by the mirroring controller.
    if (spec.type === 'ExternalName' || !spec.selector) return;

    const cached = this.slicesOf(key);
    if (this.tracker.isStale(key, cached)) {
      throw new StaleCacheError(`EndpointSlice informer cache is out of date for service ${key}`);
    }
    const existing = cached.filter((s) => !s.metadata.deletionTimestamp);
    const selector = spec.selector;
    const pods = this.pods.lister.namespace(namespace).list({ matches: (labels) => selectorMatches(selector, labels) });
    const triggerTime = this.triggerTimes.compute(key, svc, pods);

    const addressTypes = addressTypesForService(svc);
    const groups = new Map<string, DesiredGroup>();
    const missingNodes: string[] = [];
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const nodeName = pod.spec.nodeName;
      const node = nodeName ? this.nodes.lister.get(nodeName) : undefined;
      if (nodeName && !node && spec.publishNotReadyAddresses !== true) {
        // Upstream: left out, and the Service retried, so a pod bound to a Node that is gone
        // cannot hold the slices back for good.
        missingNodes.push(`skipping Pod ${pod.metadata.name ?? ''} for Service ${key}: Node ${nodeName} Not Found`);
        continue;
      }
      const ports = endpointPortsFor(svc, pod);
      for (const addressType of addressTypes) {
        const ep = podToEndpoint(pod, node, svc, addressType);
        if (ep.addresses.length === 0) continue;
        const gk = `${addressType}\u0000${portMapKey(ports)}`;
        let g = groups.get(gk);
        if (!g) groups.set(gk, (g = { addressType, ports, endpoints: [] }));
        g.endpoints.push(ep);
      }
    }

    const ownerRef = newControllerRef(svc, servicesResource);
    const plan = planSlices([...groups.values()], existing, {
      addressTypes,
      owner: { kind: 'Service', uid: svc.metadata.uid },
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
      placeholder: true,
      metaFor: (s) => sliceLabels(s.metadata.labels, svc, CONTROLLER_NAME),
      newSlice: (ports, addressType) => ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: sliceNamePrefix(name), namespace, labels: sliceLabels(undefined, svc, CONTROLLER_NAME).labels, ownerReferences: [{ ...ownerRef }] },
        addressType,
        endpoints: [],
        ports,
      }),
    });
    for (const s of [...plan.create, ...plan.update]) {
      const annotations = { ...(s.metadata.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatRFC3339Nano(triggerTime);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
      if (Object.keys(annotations).length > 0) s.metadata.annotations = annotations;
      else delete s.metadata.annotations;
    }

    try {
      // Creates would race the garbage collector deleting the slices of a Service being deleted.
      if (!(await writeSlicePlan(this.client, this.tracker, key, namespace, plan, !!svc.metadata.deletionTimestamp))) return;
    } catch (err) {
      if (!isRoutineSliceError(err)) this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${errMsg(err)}`);
      throw err;
    }
    if (missingNodes.length > 0) throw new Error(missingNodes.join('; '));
  }
}

/** `namespace/<service-name label>` of a slice. */
function serviceKeyOf(s: EndpointSlice): string {
  return `${s.metadata.namespace ?? ''}/${s.metadata.labels?.[LABEL_SERVICE_NAME] ?? ''}`;
}
