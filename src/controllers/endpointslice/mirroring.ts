// EndpointSliceMirroringController: mirrors the Endpoints a user writes for a Service without a
// selector into EndpointSlices (upstream pkg/controller/endpointslicemirroring, Kubernetes
// 1.32), so that slice consumers see those Services too.
//
// Contract: level-triggered on `ns/name` keys, a Service's and its Endpoints' (one name).
// Queued when a Service or an Endpoints is added, updated or deleted, and when a slice labelled
// managed-by this controller is changed by someone else. sync(key) reads only the caches and:
// - mirrors when the Service exists without a selector and its Endpoints exist, carry no
//   leader-election annotation and no `endpointslice.kubernetes.io/skip-mirror: "true"` label;
// - otherwise deletes the slices it mirrored for that name.
// Mirrored slices: one endpoint per address of each subset (`ready` true for `addresses`,
// false for `notReadyAddresses`; hostname, nodeName and targetRef copied), grouped by address
// type (of each IP; addresses that are not IPs are skipped) and by the subset's ports, at most
// 1000 endpoints per slice and 1000 per Endpoints (the rest are not mirrored); labels: the
// Endpoints' plus service-name and managed-by; annotations: the Endpoints' but the trigger-time
// and last-applied ones; a controller ownerReference to the Endpoints (so the garbage collector
// deletes them with it). The same planning as the endpointslice controller (reconciler.ts),
// without placeholder slices; the same stale-cache guard (SliceWriteTracker).

import {
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  endpointSlicesResource,
  endpointsResource,
  isTombstone,
  newControllerRef,
  realClock,
  servicesResource,
  splitMetaNamespaceKey,
} from '../../client/index.js';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, LEADER_ELECTION_ANNOTATION, sameStringMap } from '../endpoints/index.js';
import type { EndpointAddress, Endpoints, Service } from '../endpoints/types.js';
import { StaleCacheError, ensureSliceServiceIndex, isRoutineSliceError, sliceServiceIndex, writeSlicePlan } from './controller.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MIRRORING_CONTROLLER_NAME, type DesiredGroup, planSlices, portMapKey, sliceNamePrefix } from './reconciler.js';
import { SliceWriteTracker } from './slice-tracker.js';
import type { AddressType, Endpoint, EndpointSlice, EndpointSlicePort } from './types.js';
import { isIPv4, isIPv6 } from '../../api/validation/names.js';

/** Upstream's controller name (events' source component, logs). */
export const endpointSliceMirroringControllerName = 'endpointslice-mirroring-controller';
/** An Endpoints with this label set to "true" is not mirrored. */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** Upstream's default --mirroring-max-endpoints-per-subset. */
export const MIRRORING_MAX_ENDPOINTS = 1000;
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_RETRIES = 15;

export interface EndpointSliceMirroringControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The labels and annotations of a slice mirrored from `ep`. */
function mirroredMeta(ep: Endpoints): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = { ...(ep.metadata.labels ?? {}), [LABEL_SERVICE_NAME]: ep.metadata.name ?? '', [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.metadata.annotations ?? {})) {
    if (k !== LAST_CHANGE_TRIGGER_TIME_ANNOTATION && k !== LAST_APPLIED_ANNOTATION) annotations[k] = v;
  }
  return { labels, annotations };
}

function addressTypeOf(ip: string): AddressType | undefined {
  if (isIPv4(ip)) return 'IPv4';
  if (isIPv6(ip)) return 'IPv6';
  return undefined;
}

function mirroredEndpoint(a: EndpointAddress, ready: boolean): Endpoint {
  const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) ep.hostname = a.hostname;
  if (a.nodeName) ep.nodeName = a.nodeName;
  if (a.targetRef) ep.targetRef = { ...a.targetRef };
  return ep;
}

/** The desired groups of a mirrored Endpoints, at most MIRRORING_MAX_ENDPOINTS endpoints in all. */
export function mirroredGroups(ep: Endpoints): DesiredGroup[] {
  const groups = new Map<string, DesiredGroup>();
  let total = 0;
  for (const subset of ep.subsets ?? []) {
    const ports: EndpointSlicePort[] = (subset.ports ?? []).map((p) => {
      const out: EndpointSlicePort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    });
    const pk = portMapKey(ports);
    const add = (a: EndpointAddress, ready: boolean): void => {
      const addressType = addressTypeOf(a.ip);
      if (!addressType || total >= MIRRORING_MAX_ENDPOINTS) return;
      const gk = `${addressType}\u0000${pk}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { addressType, ports, endpoints: [] }));
      g.endpoints.push(mirroredEndpoint(a, ready));
      total++;
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }
  return [...groups.values()];
}

export class EndpointSliceMirroringController {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly onError: (err: unknown) => void;
  private readonly services: Informer<Service>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly slices: Informer<EndpointSlice>;
  readonly queue: RateLimitingQueue<string>;
  private readonly tracker = new SliceWriteTracker();

  constructor(o: EndpointSliceMirroringControllerOptions) {
    this.client = o.client;
    this.recorder = o.recorder;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(o.clock ?? realClock);
    this.services = o.informers.forResource<Service>(servicesResource);
    this.endpoints = o.informers.forResource<Endpoints>(endpointsResource);
    this.slices = o.informers.forResource<EndpointSlice>(endpointSlicesResource);
    ensureSliceServiceIndex(this.slices);
    this.services.addEventHandler({ add: (x) => this.queue.add(keyOf(x)), update: (_o, x) => this.queue.add(keyOf(x)), delete: (x) => this.queue.add(keyOf(isTombstone(x) ? x.obj : x)) });
    this.endpoints.addEventHandler({ add: (x) => this.queue.add(keyOf(x)), update: (_o, x) => this.queue.add(keyOf(x)), delete: (x) => this.queue.add(keyOf(isTombstone(x) ? x.obj : x)) });
    const sliceKey = (s: EndpointSlice): string => `${s.metadata.namespace ?? ''}/${s.metadata.labels?.[LABEL_SERVICE_NAME] ?? ''}`;
    const managed = (s: EndpointSlice): boolean => s.metadata.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME && s.metadata.labels[LABEL_SERVICE_NAME] !== undefined;
    this.slices.addEventHandler({
      add: (s) => {
        if (managed(s) && !this.tracker.isOwnWrite(s)) this.queue.add(sliceKey(s));
      },
      update: (old, s) => {
        if (managed(old) && sliceKey(old) !== sliceKey(s)) this.queue.add(sliceKey(old));
        if (managed(s) && !this.tracker.isOwnWrite(s)) this.queue.add(sliceKey(s));
      },
      delete: (x) => {
        const s = isTombstone(x) ? x.obj : x;
        if (!managed(s)) return;
        this.tracker.observedDeletion(sliceKey(s), s);
        this.queue.add(sliceKey(s));
      },
    });
  }

  /** Runs `workers` workers (upstream's default --mirroring-concurrent-service-endpoint-syncs: 5) until `signal` aborts. */
  async run(signal: AbortSignal, workers = 5): Promise<void> {
    const caches = [this.services, this.endpoints, this.slices];
    await runQueueWorkers({
      queue: this.queue,
      caches,
      signal,
      workers,
      sync: async (key) => {
        try {
          await this.sync(key);
        } catch (err) {
          if (this.queue.numRequeues(key) < MAX_RETRIES) throw err;
          this.onError(new Error(`dropping ${key} out of the endpointslice mirroring queue: ${errMsg(err)}`));
        }
      },
      onError: (err) => (isRoutineSliceError(err) ? undefined : this.onError(err)),
    });
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.slices.lister.byIndex(sliceServiceIndex, key).filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME);
    if (this.tracker.isStale(key, cached)) throw new StaleCacheError(`EndpointSlice informer cache is out of date for endpoints ${key}`);
    const existing = cached.filter((s) => !s.metadata.deletionTimestamp);
    const svc = this.services.lister.namespace(namespace).get(name);
    const ep = this.endpoints.lister.namespace(namespace).get(name);
    const mirror =
      svc !== undefined &&
      !svc.spec?.selector &&
      ep !== undefined &&
      ep.metadata.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined &&
      ep.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    let plan;
    if (!mirror) {
      if (existing.length === 0) return;
      plan = { create: [], update: [], delete: existing };
    } else {
      const meta = mirroredMeta(ep);
      const ownerRef = newControllerRef(ep, endpointsResource);
      plan = planSlices(mirroredGroups(ep), existing, {
        addressTypes: ['IPv4', 'IPv6'],
        owner: { kind: 'Endpoints', uid: ep.metadata.uid },
        maxEndpointsPerSlice: MIRRORING_MAX_ENDPOINTS,
        placeholder: false,
        metaFor: (s) => ({ ...meta, changed: !sameStringMap(s.metadata.labels, meta.labels) || !sameStringMap(s.metadata.annotations, meta.annotations) }),
        newSlice: (ports, addressType) => ({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: sliceNamePrefix(name), namespace, labels: { ...meta.labels }, annotations: { ...meta.annotations }, ownerReferences: [{ ...ownerRef }] },
          addressType,
          endpoints: [],
          ports,
        }),
      });
      for (const s of [...plan.create, ...plan.update]) if (Object.keys(s.metadata.annotations ?? {}).length === 0) delete s.metadata.annotations;
    }
    try {
      await writeSlicePlan(this.client, this.tracker, key, namespace, plan, false);
    } catch (err) {
      if (!isRoutineSliceError(err) && ep) this.recorder.event(ep, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating EndpointSlices for Endpoints ${key}: ${errMsg(err)}`);
      throw err;
    }
  }
}
