// EndpointsController: keeps the Endpoints object of every Service that has a selector equal to
// the pods that selector matches (upstream pkg/controller/endpoint, Kubernetes 1.32). With
// pods on host networking, a headless Service selecting a DaemonSet's pods lists one address
// per daemon: its node's address, its node name and the pod.
//
// Contract: level-triggered on Service keys ("ns/name"). Queued when:
// - a Service is added, updated or deleted;
// - a pod is added or deleted: the Services of its namespace whose selector matches it; a pod
//   updated: only when something its Endpoints entries show changed (deletionTimestamp,
//   readiness, IPs, terminal phase) or its labels/hostname did, then the Services of the new
//   labels, plus those of the old ones (all of them when the pod also changed, else only those
//   it joined or left);
// - an Endpoints object is deleted (it comes back while its Service has a selector);
// - at start, every Endpoints not a leader-election record (one left by a Service deleted
//   while no controller ran is deleted).
// sync(key) reads only the caches (pods through the namespace index) and:
// - Service gone: deletes the Endpoints of that name (NotFound is done);
// - Service of type ExternalName, or without a selector (its Endpoints are the user's): nothing;
// - else computes the subsets (subsets.ts computeSubsets), cuts them to 1000 addresses (with
//   the over-capacity annotation), and writes only when the subsets, the labels (the
//   Service's; the `service.kubernetes.io/headless: ""` label, added for a Service without a
//   cluster IP and removed otherwise, is left out of the comparison, as upstream) or the
//   over-capacity annotation differ from the cached object: create when there is none,
//   else update with its resourceVersion (a conflict or AlreadyExists is retried with
//   back-off). Annotations other than the controller's two are kept.
// After an update the replaced resourceVersion is remembered: a sync that still finds it in the
// cache fails and is retried, rather than deciding on an Endpoints it knows is stale.
// A failed write records a Warning FailedToCreateEndpoint / FailedToUpdateEndpoint event
// (conflicts and AlreadyExists, routine cache lag, record none); a create refused because the
// namespace is terminating is dropped. A key failing 15 times in a row is dropped until its
// next change (upstream maxRetries).
//
// Cost: a pod event in a namespace without Services that have a selector costs one Map lookup
// (the controller keeps its own namespace -> selectors index from Service events); with such
// Services, one selector match per Service of the pod's namespace.

import type { Pod } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  endpointsResource,
  hasStatusCause,
  isAlreadyExists,
  isConflict,
  isNotFound,
  isTombstone,
  namespaceTerminatingCause,
  podsResource,
  realClock,
  servicesResource,
  splitMetaNamespaceKey,
} from '../../client/index.js';
import {
  HEADLESS_SERVICE_LABEL,
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  LEADER_ELECTION_ANNOTATION,
  OVER_CAPACITY_ANNOTATION,
  TRUNCATED,
  computeSubsets,
  isHeadless,
  sameStringMap,
  selectorMatches,
  subsetsEqual,
  truncateSubsets,
} from './subsets.js';
import { queueServiceAndPodEvents, ServiceSelectorIndex } from './service-index.js';
import { TriggerTimeTracker, formatRFC3339Nano } from './trigger-time.js';
import type { Endpoints, Service } from './types.js';

/** Upstream's controller name (events' source component, logs). */
export const endpointControllerName = 'endpoint-controller';

/** Syncs of one Service that may fail in a row before it is dropped until its next change. */
export const MAX_RETRIES = 15;

export interface EndpointsControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  onError?: (err: unknown) => void;
  /**
   * Delay before a pod change is synced, so changes close together make one write (upstream
   * --endpoint-updates-batch-period; default 0, as upstream).
   */
  batchPeriodMs?: number;
}

const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** A sync that decided not to act on a cache it knows to be behind: retried, not worth a log line. */
class StaleCacheError extends Error {}

const isRoutine = (err: unknown): boolean => err instanceof StaleCacheError || isConflict(err) || isAlreadyExists(err);

const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function withoutHeadlessLabel(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels || !Object.hasOwn(labels, HEADLESS_SERVICE_LABEL)) return labels;
  const { [HEADLESS_SERVICE_LABEL]: _headless, ...rest } = labels;
  return rest;
}

export class EndpointsController {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly onError: (err: unknown) => void;
  private readonly batchPeriodMs: number;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints>;
  readonly queue: RateLimitingQueue<string>;
  /** The Services that have a selector, by namespace (kept by Service events). */
  private readonly serviceIndex = new ServiceSelectorIndex();
  private readonly triggerTimes = new TriggerTimeTracker();
  /** Endpoints key -> a resourceVersion this controller has already replaced. */
  private readonly staleVersions = new Map<string, string>();

  constructor(o: EndpointsControllerOptions) {
    const clock = o.clock ?? realClock;
    this.client = o.client;
    this.recorder = o.recorder;
    this.onError = o.onError ?? (() => {});
    this.batchPeriodMs = o.batchPeriodMs ?? 0;
    this.queue = new RateLimitingQueue<string>(clock);
    this.services = o.informers.forResource<Service>(servicesResource);
    this.pods = o.informers.forResource<Pod>(podsResource);
    this.endpoints = o.informers.forResource<Endpoints>(endpointsResource);

    queueServiceAndPodEvents(this.serviceIndex, this.services, this.pods, (k) => this.queue.add(k), (keys) => this.enqueue(keys));
    this.endpoints.addEventHandler({
      delete: (obj) => this.queue.add(keyOf(isTombstone(obj) ? obj.obj : obj)),
    });
  }

  /** Runs `workers` workers (upstream's default: 5) until `signal` aborts. */
  async run(signal: AbortSignal, workers = 5): Promise<void> {
    const caches = [this.services, this.pods, this.endpoints];
    await Promise.all([
      runQueueWorkers({ queue: this.queue, caches, signal, workers, sync: (key) => this.syncWithRetries(key), onError: (err) => (isRoutine(err) ? undefined : this.onError(err)) }),
      this.checkLeftoverEndpoints(signal),
    ]);
  }

  /** Queues every Endpoints once the caches are filled (upstream checkLeftoverEndpoints). */
  private async checkLeftoverEndpoints(signal: AbortSignal): Promise<void> {
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all([this.services.waitForSync(), this.pods.waitForSync(), this.endpoints.waitForSync()]), stop]);
    if (signal.aborted || !this.endpoints.hasSynced()) return;
    for (const ep of this.endpoints.lister.list()) {
      if (ep.metadata.annotations?.[LEADER_ELECTION_ANNOTATION] !== undefined) continue;
      this.queue.add(keyOf(ep));
    }
  }

  private enqueue(keys: Iterable<string>): void {
    for (const k of keys) this.queue.addAfter(k, this.batchPeriodMs);
  }

  private async syncWithRetries(key: string): Promise<void> {
    try {
      await this.sync(key);
    } catch (err) {
      if (this.queue.numRequeues(key) < MAX_RETRIES) throw err;
      // Dropped until its next change (the worker forgets its back-off when sync returns).
      this.onError(new Error(`dropping service ${key} out of the endpoints queue: ${errMsg(err)}`));
    }
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.lister.namespace(namespace).get(name);
    if (!svc) {
      // The Service is gone: so are its Endpoints. (One deleted while no controller ran is found
      // by checkLeftoverEndpoints at the next start.)
      try {
        await this.client.delete(endpointsResource, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.triggerTimes.delete(key);
      this.staleVersions.delete(key);
      return;
    }
    const spec = svc.spec ?? {};
    // ExternalName Services get no endpoints (kubernetes#105986); Services without a selector
    // get theirs from their user.
    if (spec.type === 'ExternalName' || !spec.selector) return;

    const pods = this.pods.lister.namespace(namespace).list({ matches: (labels) => selectorMatches(spec.selector ?? {}, labels) });
    // Computed on every sync, writes or not, so the tracker's state follows every change.
    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const computed = computeSubsets(svc, pods);
    const { subsets: desiredSubsets, truncated } = truncateSubsets(computed.subsets);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (isHeadless(svc)) labels[HEADLESS_SERVICE_LABEL] = '';

    const current = this.endpoints.lister.namespace(namespace).get(name);
    if (current && this.staleVersions.get(key) === current.metadata.resourceVersion) {
      throw new StaleCacheError(`endpoints informer cache is out of date, resource version ${current.metadata.resourceVersion ?? ''} already processed for endpoints ${key}`);
    }
    // As upstream, the labels compare without the headless label (the Service does not carry it).
    if (
      current &&
      subsetsEqual(current.subsets, desiredSubsets) &&
      sameStringMap(withoutHeadlessLabel(current.metadata.labels), svc.metadata.labels) &&
      current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === (truncated ? TRUNCATED : undefined)
    ) {
      return;
    }

    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatRFC3339Nano(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = TRUNCATED;
    else delete annotations[OVER_CAPACITY_ANNOTATION];

    const next: Endpoints = current
      ? { ...current, apiVersion: 'v1', kind: 'Endpoints', metadata: { ...current.metadata, labels, annotations }, subsets: desiredSubsets }
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels, annotations }, subsets: desiredSubsets };
    if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
    // As upstream's (omitempty): an Endpoints with no subsets has no `subsets` field.
    if (desiredSubsets.length === 0) delete next.subsets;

    try {
      if (!current) {
        await this.client.create(endpointsResource, namespace, next);
      } else {
        const updated = await this.client.update(endpointsResource, namespace, next);
        if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) this.staleVersions.set(key, current.metadata.resourceVersion ?? '');
      }
    } catch (err) {
      // The namespace is going away: creates keep failing; drop the key.
      if (!current && hasStatusCause(err, namespaceTerminatingCause)) return;
      if (!isRoutine(err)) {
        if (!current) this.recorder.event(next, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${errMsg(err)}`);
        else this.recorder.event(next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${errMsg(err)}`);
      }
      throw err;
    }
  }
}
