// The pure part of the endpointslice controllers: the endpoints a Service's slices list, and
// the creates, updates and deletes that turn a Service's current slices into the desired ones
// (upstream k8s.io/endpointslice reconciler.go and utils.go, Kubernetes 1.32). No I/O, no
// clock; inputs (cache objects) are never modified; planned slices share nothing mutable with
// them.
//
// Layout of the desired state: endpoints are grouped by address type and by their set of ports
// (pods resolving a named targetPort differently land in different slices); each group fills
// slices of at most `maxEndpointsPerSlice` endpoints. Planning keeps churn low as upstream's:
// an existing slice keeps the endpoints it has that are still desired (replaced in place when
// they changed), is deleted once it has none, and new endpoints go first into slices being
// updated anyway (fullest first), then into the unchanged slice they fit best, then into new
// slices; a create and a delete of the same address type become one update of the slice that
// would have been deleted.

import type { Node, Pod } from '../../api/types.js';
import { nameIsDNSSubdomain } from '../../api/validation/names.js';
import { isPodReady } from '../daemonset/index.js';
import { HEADLESS_SERVICE_LABEL, findPort, isHeadless, shouldSetHostname } from '../endpoints/index.js';
import type { Service } from '../endpoints/types.js';
import type { AddressType, Endpoint, EndpointSlice, EndpointSlicePort } from './types.js';

/** The label naming the Service a slice belongs to. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** The label naming the controller that manages a slice. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** managed-by value of the slices of Services with a selector. */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** managed-by value of the slices mirrored from the Endpoints of Services without a selector. */
export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** The zone label of a Node, copied to its endpoints' `zone`. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

const isIPv6 = (ip: string): boolean => ip.includes(':');

/**
 * upstream getAddressTypesForService: the Service's ipFamilies; without them, its cluster IP's
 * family; a headless Service with neither gets both IPv4 and IPv6 slices.
 */
export function addressTypesForService(svc: Service): AddressType[] {
  const spec = svc.spec ?? {};
  const fromFamilies = (spec.ipFamilies ?? []).map((f): AddressType => (f === 'IPv6' ? 'IPv6' : 'IPv4'));
  if (fromFamilies.length > 0) return [...new Set(fromFamilies)];
  if (spec.clusterIP && spec.clusterIP !== 'None') return [isIPv6(spec.clusterIP) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/**
 * upstream getEndpointPorts: one port per Service port the pod resolves (a named targetPort
 * through its container ports; a port it lacks is left out), name and protocol always set. A
 * headless Service without ports has none.
 */
export function endpointPortsFor(svc: Service, pod: Pod): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointSlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** The pod's IPs of `addressType` (status.podIPs, or status.podIP when podIPs is empty). */
function podAddresses(pod: Pod, addressType: AddressType): string[] {
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  return ips.filter((ip) => (addressType === 'IPv6' ? isIPv6(ip) : !isIPv6(ip)));
}

/**
 * upstream podToEndpoint: serving is the pod's readiness, terminating whether it is being
 * deleted, ready is serving and not terminating (always true with publishNotReadyAddresses);
 * targetRef the pod; nodeName, the node's zone, and the hostname when the pod names this Service
 * as its subdomain.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname as string;
  return ep;
}

const reservedLabels = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, HEADLESS_SERVICE_LABEL]);

/**
 * upstream setEndpointSliceLabels: the Service's labels (reserved keys aside), the headless label
 * for a Service without a cluster IP, service-name and managed-by. `changed` compares the
 * non-reserved labels only (a headless label to add or drop alone is no change, as upstream).
 */
export function sliceLabels(current: Readonly<Record<string, string>> | undefined, svc: Service, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const have = Object.entries(current ?? {}).filter(([k]) => !reservedLabels.has(k));
  const want = Object.entries(svc.metadata.labels ?? {}).filter(([k]) => !reservedLabels.has(k));
  const wantMap = new Map(want);
  const changed = have.length !== want.length || have.some(([k, v]) => wantMap.get(k) !== v);
  const labels: Record<string, string> = Object.fromEntries(want);
  if (isHeadless(svc)) labels[HEADLESS_SERVICE_LABEL] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name ?? '';
  labels[LABEL_MANAGED_BY] = controllerName;
  return { labels, changed };
}

/** upstream getEndpointSlicePrefix: `<name>-`, or the bare name when that is too long. */
export function sliceNamePrefix(name: string): string {
  const prefix = `${name}-`;
  return nameIsDNSSubdomain(prefix, true).length === 0 ? prefix : name;
}

/** upstream ownedBy: an ownerReference to the object (`v1` `kind`, same uid). */
export function ownedBy(slice: EndpointSlice, owner: { kind: string; uid: string | undefined }): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.kind === owner.kind && r.apiVersion === 'v1' && r.uid === owner.uid);
}

const normPort = (p: EndpointSlicePort): string => JSON.stringify([p.name ?? '', p.protocol ?? 'TCP', p.port ?? null, p.appProtocol ?? null]);

/** A key equal for equal port sets, whatever their order (upstream NewPortMapKey). */
export function portMapKey(ports: readonly EndpointSlicePort[] | null | undefined): string {
  return JSON.stringify((ports ?? []).map(normPort).sort());
}

/** Endpoints are the same endpoint when their addresses, hostname and target are (upstream hashEndpoint). */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/**
 * upstream EndpointsEqualBeyondHash: conditions, nodeName, zone, hints and target (uid included,
 * resourceVersion aside). (Upstream compares nodeName and zone of one side with itself, so
 * changes of those alone go unwritten; here they are compared.)
 */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  if (ca.ready !== cb.ready || ca.serving !== cb.serving || ca.terminating !== cb.terminating) return false;
  if (a.nodeName !== b.nodeName || a.zone !== b.zone) return false;
  if (JSON.stringify(a.hints ?? null) !== JSON.stringify(b.hints ?? null)) return false;
  const ra = a.targetRef;
  const rb = b.targetRef;
  if (!ra !== !rb) return false;
  if (ra && rb && (ra.kind !== rb.kind || ra.namespace !== rb.namespace || ra.name !== rb.name || ra.uid !== rb.uid || ra.apiVersion !== rb.apiVersion || ra.fieldPath !== rb.fieldPath)) return false;
  return true;
}

/** Endpoints of one address type and one port set. */
export interface DesiredGroup {
  addressType: AddressType;
  ports: EndpointSlicePort[];
  endpoints: Endpoint[];
}

/** What a reconcile writes. Slices to create have no name (generateName) unless they replace one. */
export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export interface PlanOptions {
  /** The address types this owner's slices may have; slices of any other type are deleted. */
  addressTypes: readonly AddressType[];
  /** The owner the slices must reference (ownedBy); slices without that reference are deleted. */
  owner: { kind: string; uid: string | undefined };
  maxEndpointsPerSlice: number;
  /** A new, empty slice (no name) of these ports and address type. */
  newSlice(ports: EndpointSlicePort[], addressType: AddressType): EndpointSlice;
  /** The labels (and annotations) an existing slice should carry, and whether they differ from its own. */
  metaFor(slice: EndpointSlice): { labels: Record<string, string>; annotations?: Record<string, string> | undefined; changed: boolean };
  /**
   * Keep one placeholder slice (no endpoints, no ports) per address type when nothing else would
   * exist (the endpointslice controller's; the mirroring controller writes none).
   */
  placeholder: boolean;
}

/** `desired` endpoints, by group, against the owner's `existing` slices (none being deleted). */
export function planSlices(desired: readonly DesiredGroup[], existing: readonly EndpointSlice[], o: PlanOptions): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byType = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!o.addressTypes.includes(s.addressType as AddressType)) {
      plan.delete.push(s);
      continue;
    }
    let l = byType.get(s.addressType);
    if (!l) byType.set(s.addressType, (l = []));
    l.push(s);
  }
  for (const addressType of o.addressTypes) {
    const groups = desired.filter((g) => g.addressType === addressType);
    const p = planByAddressType(groups, byType.get(addressType) ?? [], addressType, o);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  return finalize(plan, o.owner);
}

function planByAddressType(groups: readonly DesiredGroup[], existing: readonly EndpointSlice[], addressType: AddressType, o: PlanOptions): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, o.owner)) {
      plan.delete.push(s);
      continue;
    }
    const k = portMapKey(s.ports);
    let l = byPorts.get(k);
    if (!l) byPorts.set(k, (l = []));
    l.push(s);
  }
  const desiredKeys = new Set<string>();
  for (const g of groups) {
    const k = portMapKey(g.ports);
    desiredKeys.add(k);
    const p = planByPortMapping(g, byPorts.get(k) ?? [], o);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  for (const [k, slices] of byPorts) if (!desiredKeys.has(k)) plan.delete.push(...slices);

  if (o.placeholder && existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = o.newSlice([], addressType);
    const only = plan.delete.length === 1 ? plan.delete[0] : undefined;
    if (only && isPlaceholderOf(only, placeholder)) plan.delete = [];
    else plan.create.push(placeholder);
  }
  return plan;
}

/** upstream placeholderSliceCompare: same namespace, labels, address type, and no endpoints or ports. */
function isPlaceholderOf(s: EndpointSlice, placeholder: EndpointSlice): boolean {
  const la = s.metadata.labels ?? {};
  const lb = placeholder.metadata.labels ?? {};
  return (
    (s.metadata.namespace ?? '') === (placeholder.metadata.namespace ?? '') &&
    Object.keys(la).length === Object.keys(lb).length &&
    Object.entries(la).every(([k, v]) => lb[k] === v) &&
    s.addressType === placeholder.addressType &&
    (s.endpoints ?? []).length === 0 &&
    (s.ports ?? []).length === 0
  );
}

function cloneSlice(s: EndpointSlice): EndpointSlice {
  return structuredClone(s) as EndpointSlice;
}

/** upstream reconcileByPortMapping, for one port set of one address type. */
function planByPortMapping(group: DesiredGroup, existing: readonly EndpointSlice[], o: PlanOptions): SlicePlan {
  const max = o.maxEndpointsPerSlice;
  /** Desired endpoints not yet placed, by key. */
  const remaining = new Map<string, Endpoint>();
  for (const ep of group.endpoints) remaining.set(endpointKey(ep), ep);
  const toUpdate: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  const toDelete: EndpointSlice[] = [];

  // 1. Existing slices keep the endpoints still desired (in their desired form).
  for (const s of existing) {
    const current = s.endpoints ?? [];
    const kept: Endpoint[] = [];
    let changedEndpoint = false;
    for (const ep of current) {
      const k = endpointKey(ep);
      const want = remaining.get(k);
      if (!want) continue;
      kept.push(structuredClone(want));
      if (!endpointsEqualBeyondKey(want, ep)) changedEndpoint = true;
      remaining.delete(k);
    }
    const meta = o.metaFor(s);
    if (changedEndpoint || kept.length !== current.length) {
      if (kept.length === 0) {
        toDelete.push(s);
      } else {
        const next = cloneSlice(s);
        next.endpoints = kept;
        next.metadata.labels = meta.labels;
        if (meta.annotations !== undefined) next.metadata.annotations = meta.annotations;
        toUpdate.push(next);
      }
    } else if (meta.changed) {
      const next = cloneSlice(s);
      next.metadata.labels = meta.labels;
      if (meta.annotations !== undefined) next.metadata.annotations = meta.annotations;
      toUpdate.push(next);
    } else {
      unchanged.push(s);
    }
  }

  // New endpoints in a stable order (upstream takes them from a set in no particular order).
  const queue = [...remaining.values()].sort((a, b) => {
    const ka = endpointKey(a);
    const kb = endpointKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

  // 2. Fill the slices being updated anyway, fullest first.
  if (queue.length > 0 && toUpdate.length > 0) {
    const order = [...toUpdate].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of order) {
      const eps = s.endpoints ?? (s.endpoints = []);
      while (queue.length > 0 && eps.length < max) eps.push(structuredClone(queue.shift()!));
    }
  }

  // 3. What is left: into the unchanged slice it fits best, else into new slices.
  const create: EndpointSlice[] = [];
  while (queue.length > 0) {
    let target: EndpointSlice | undefined;
    if (queue.length < max && unchanged.length > 0) {
      const best = sliceToFill(unchanged, queue.length, max);
      if (best) {
        unchanged.splice(unchanged.indexOf(best), 1);
        target = cloneSlice(best);
        toUpdate.push(target);
      }
    }
    if (!target) {
      target = o.newSlice(group.ports.map((p) => ({ ...p })), group.addressType);
      create.push(target);
    }
    const eps = target.endpoints ?? (target.endpoints = []);
    while (queue.length > 0 && eps.length < max) eps.push(structuredClone(queue.shift()!));
  }
  return { create, update: toUpdate, delete: toDelete };
}

/** upstream getSliceToFill: the slice left closest to full by `n` more endpoints, if any fits them. */
function sliceToFill(slices: readonly EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let closest: EndpointSlice | undefined;
  let closestDiff = max;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints?.length ?? 0));
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = s;
      if (diff === 0) break;
    }
  }
  return closest;
}

/**
 * upstream finalize's first step: a slice to create and a slice to delete (owned, same address
 * type) become an update of the latter with the former's content, so consumers never see the
 * endpoints vanish in between. The replaced slice's resourceVersion goes with it (a
 * compare-and-swap where upstream updates unconditionally).
 */
function finalize(plan: SlicePlan, owner: PlanOptions['owner']): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const del: EndpointSlice[] = [];
  for (const d of plan.delete) {
    const c = create[create.length - 1];
    if (c && c.addressType === d.addressType && ownedBy(d, owner)) {
      create.pop();
      c.metadata.name = d.metadata.name ?? '';
      if (d.metadata.resourceVersion !== undefined) c.metadata.resourceVersion = d.metadata.resourceVersion;
      update.push(c);
    } else {
      del.push(d);
    }
  }
  return { create, update, delete: del };
}
