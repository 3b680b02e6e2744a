// The pure part of the endpoints controller: which pods a Service's Endpoints list, as which
// addresses and ports, in which canonical layout (upstream pkg/controller/endpoint,
// pkg/api/v1/endpoints RepackSubsets, k8s.io/endpointslice/util, Kubernetes 1.32). No I/O, no
// clock; inputs are read-only (cache objects) and never modified; results share nothing
// mutable with them.

import type { Pod } from '../../api/types.js';
import type { EndpointAddress, EndpointPort, EndpointSubset, Service, ServicePort } from './types.js';

/** Most addresses (ready + not ready) one Endpoints object holds (upstream maxCapacity). */
export const MAX_CAPACITY = 1000;
/** Set to `truncated` on an Endpoints whose addresses were cut to MAX_CAPACITY. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const TRUNCATED = 'truncated';
/** When the change (a pod's readiness, the Service's creation) that this Endpoints version reflects happened. */
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Label on the Endpoints of a headless Service (v1.IsHeadlessService). */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';
/** Endpoints carrying this annotation are leader-election records, never Service endpoints. */
export const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Succeeded or Failed: its containers are stopped for good. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * upstream ShouldPodBeInEndpoints: not terminal, has an IP, and (unless `includeTerminating`,
 * the Service's publishNotReadyAddresses) not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs?.length ?? 0)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** upstream ShouldSetHostname: the pod names a hostname and this Service as its subdomain. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  const hostname = pod.spec.hostname;
  return typeof hostname === 'string' && hostname.length > 0 && pod.spec.subdomain === svc.metadata.name && (svc.metadata.namespace ?? '') === (pod.metadata.namespace ?? '');
}

/**
 * upstream !helper.IsServiceIPSet: a Service without a cluster IP (clusterIP `None`, or none at
 * all, as Services stored before cluster IPs were allocated). Its Endpoints carry the
 * `service.kubernetes.io/headless` label.
 */
export function isHeadless(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip === 'None' || ip === '';
}

/** A Service's map selector against a label set: every pair present (`{}` matches everything). */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const k in selector) {
    if (labels?.[k] !== selector[k]) return false;
  }
  return true;
}

const isIPv6 = (ip: string): boolean => ip.includes(':');

/**
 * The address of `pod` for `svc` (upstream podToEndpointAddressForService), or undefined when
 * the pod has no IP of the Service's family. The family is the Service's first ipFamily; for a
 * Service without ipFamilies, its clusterIP's, or for a headless one, the pod IP's. The pod's
 * IPs are status.podIPs (status.podIP when podIPs is empty: everynode reads both, upstream only
 * podIPs, which every kubelet fills).
 */
export function podToEndpointAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const spec = svc.spec ?? {};
  const podIP = pod.status?.podIP ?? '';
  let v6: boolean;
  if (spec.ipFamilies && spec.ipFamilies.length > 0) v6 = spec.ipFamilies[0] === 'IPv6';
  else if (spec.clusterIP && spec.clusterIP !== 'None') v6 = isIPv6(spec.clusterIP);
  else v6 = isIPv6(podIP);
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : podIP ? [podIP] : [];
  const ip = ips.find((x) => isIPv6(x) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  return addr;
}

/**
 * upstream podutil.FindPort: the pod port a Service port targets. A numeric targetPort is used
 * as is; a named one is the containerPort of that name *and* the Service port's protocol, in
 * the containers, then in the sidecar (restartPolicy Always) init containers. Undefined: no
 * such port (the pod is left out of this port's subset).
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => c['restartPolicy'] === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** upstream endpointPortFromServicePort. */
export function endpointPortFromServicePort(sp: ServicePort, port: number): EndpointPort {
  const ep: EndpointPort = { port };
  if (sp.name) ep.name = sp.name;
  if (sp.protocol) ep.protocol = sp.protocol;
  if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
  return ep;
}

/** The subsets, before repacking, and how many ready / not-ready (address, port) pairs went in. */
export interface ComputedSubsets {
  subsets: EndpointSubset[];
  ready: number;
  notReady: number;
}

/**
 * The Endpoints subsets of `svc` over `pods` (the pods its selector matches), repacked
 * (upstream syncService's loop + RepackSubsets). A pod goes in when shouldPodBeInEndpoints and
 * it has an IP of the Service's family; ready pods (or all, with publishNotReadyAddresses) in
 * `addresses`, the others in `notReadyAddresses`. Each Service port resolves its target port
 * per pod; a pod without it is left out of that port only. A headless Service without ports
 * lists the addresses with no ports; any other Service without ports lists nothing.
 */
export function computeSubsets(svc: Service, pods: readonly Pod[]): ComputedSubsets {
  const spec = svc.spec ?? {};
  const tolerateUnready = spec.publishNotReadyAddresses === true;
  const ports = spec.ports ?? [];
  const raw: EndpointSubset[] = [];
  let ready = 0;
  let notReady = 0;
  const add = (pod: Pod, addr: EndpointAddress, port: EndpointPort | undefined): void => {
    const ports = port ? [port] : [];
    if (tolerateUnready || isPodReady(pod)) {
      raw.push({ addresses: [addr], ports });
      ready++;
    } else {
      raw.push({ notReadyAddresses: [addr], ports });
      notReady++;
    }
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podToEndpointAddress(svc, pod);
    if (!addr) continue;
    if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname as string;
    if (ports.length === 0) {
      if (spec.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of ports) {
      const num = findPort(pod, sp);
      if (num === undefined) continue;
      add(pod, addr, endpointPortFromServicePort(sp, num));
    }
  }
  return { subsets: repackSubsets(raw), ready, notReady };
}

// ---- RepackSubsets

/** Addresses are one when their IP and target uid are (upstream addressKey). */
const addressKey = (a: EndpointAddress): string => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;

const portKey = (p: EndpointPort): string => JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? null]);

/** upstream LessEndpointAddress: by IP (bytewise), then no targetRef first, then target uid. */
export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  if (!b.targetRef) return a.targetRef ? 1 : 0;
  if (!a.targetRef) return -1;
  const ua = a.targetRef.uid ?? '';
  const ub = b.targetRef.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const na = a.name ?? '';
  const nb = b.name ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  if (a.port !== b.port) return a.port - b.port;
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * upstream RepackSubsets: expands subsets to (address, port, ready) triples and packs them
 * again into the canonical layout: one subset per distinct set of (address, ready) pairs, with
 * every port that set offers. Addresses are deduplicated by IP + target uid (the first one seen
 * is kept whole); an address that is not ready for a port in any input subset is not ready for
 * it (not-ready trumps ready). Subsets without ports keep their addresses with no ports
 * (upstream's sentinel); subsets without addresses vanish.
 *
 * Order: addresses by IP then target uid (as upstream); ports by name, then number, then
 * protocol; subsets by their first port. everynode decision: upstream orders ports and
 * subsets by an md5 of Go's debug dump (deterministic but arbitrary); this order is
 * deterministic too, and nothing may rely on either.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  /** Per port (undefined key '': no ports), the ready state of each address key. */
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const mapAddress = (addr: EndpointAddress, pk: string, port: EndpointPort | undefined, ready: boolean): void => {
    const key = addressKey(addr);
    if (!allAddrs.has(key)) allAddrs.set(key, cloneAddress(addr));
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port, addrs: new Map() }));
    const was = entry.addrs.get(key);
    if (was === undefined || was) entry.addrs.set(key, ready);
  };
  for (const s of subsets) {
    const ports: Array<EndpointPort | undefined> = s.ports && s.ports.length > 0 ? s.ports : [undefined];
    for (const port of ports) {
      const pk = port ? portKey(port) : '';
      for (const a of s.addresses ?? []) mapAddress(a, pk, port, true);
      for (const a of s.notReadyAddresses ?? []) mapAddress(a, pk, port, false);
    }
  }

  // Group the ports by the exact set of (address, ready) pairs they are offered on.
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const setKey = [...addrs].map(([k, r]) => `${k}\u0001${r ? 1 : 0}`).sort().join('\u0002');
    let g = groups.get(setKey);
    if (!g) groups.set(setKey, (g = { addrs, ports: [] }));
    if (port) g.ports.push({ ...port });
  }

  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(allAddrs.get(k)!);
    const s: EndpointSubset = {};
    if (ready.length > 0) s.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) s.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length > 0) s.ports = g.ports.sort(comparePorts);
    out.push(s);
  }
  return out.sort(compareSubsets);
}

function compareSubsets(a: EndpointSubset, b: EndpointSubset): number {
  const pa = a.ports?.[0];
  const pb = b.ports?.[0];
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  return comparePorts(pa, pb);
}

function cloneAddress(a: EndpointAddress): EndpointAddress {
  const c: EndpointAddress = { ...a };
  if (a.targetRef) c.targetRef = { ...a.targetRef };
  return c;
}

// ---- Capacity

/** How many addresses (ready + not ready) `subsets` hold. */
export function countAddresses(subsets: readonly EndpointSubset[]): number {
  let n = 0;
  for (const s of subsets) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  return n;
}

/**
 * upstream truncateEndpoints: at most `max` addresses, spread over the subsets in proportion to
 * their sizes (rounded up, the last subsets getting what is left), ready addresses first: when
 * the ready ones alone exceed `max`, every not-ready address goes and the ready ones are cut;
 * otherwise only the not-ready ones are cut. A subset left with no address is dropped
 * (everynode decision: upstream would write it, and validation refuses an Endpoints subset
 * without addresses). Returns new subsets (the input is not modified) and whether anything was
 * cut.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = MAX_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return { subsets: [...subsets], truncated: false };
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = budget;
  const out = subsets.map((s) => {
    const inSubset = (truncateReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const toBeAdded = Math.min(Math.ceil((inSubset / total) * budget), canBeAdded);
    const next: EndpointSubset = { ...s };
    if (truncateReady) {
      const ready = (s.addresses ?? []).slice(0, toBeAdded);
      if (ready.length > 0) next.addresses = ready;
      else delete next.addresses;
      delete next.notReadyAddresses;
      canBeAdded -= ready.length;
    } else {
      const notReady = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      if (notReady.length > 0) next.notReadyAddresses = notReady;
      else delete next.notReadyAddresses;
      canBeAdded -= notReady.length;
    }
    return next;
  });
  return { subsets: out.filter((s) => (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0) > 0), truncated: true };
}

// ---- Equality

function sameAddresses(a: readonly EndpointAddress[] | undefined, b: readonly EndpointAddress[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.ip !== q.ip || (p.hostname ?? '') !== (q.hostname ?? '') || (p.nodeName ?? '') !== (q.nodeName ?? '')) return false;
    const r = p.targetRef;
    const s = q.targetRef;
    if (!r !== !s) return false;
    if (r && s) {
      // resourceVersion aside (upstream semanticIgnoreResourceVersion)
      if (r.kind !== s.kind || r.namespace !== s.namespace || r.name !== s.name || r.uid !== s.uid || r.apiVersion !== s.apiVersion || r.fieldPath !== s.fieldPath) return false;
    }
  }
  return true;
}

function samePorts(a: readonly EndpointPort[] | undefined, b: readonly EndpointPort[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if ((p.name ?? '') !== (q.name ?? '') || p.port !== q.port || (p.protocol ?? '') !== (q.protocol ?? '') || p.appProtocol !== q.appProtocol) return false;
  }
  return true;
}

/**
 * upstream endpointSubsetsEqualIgnoreResourceVersion: equal field by field, in order, with an
 * absent list equal to an empty one and target references compared without resourceVersion.
 */
export function subsetsEqual(a: readonly EndpointSubset[] | undefined, b: readonly EndpointSubset[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (!sameAddresses(p.addresses, q.addresses) || !sameAddresses(p.notReadyAddresses, q.notReadyAddresses) || !samePorts(p.ports, q.ports)) return false;
  }
  return true;
}

/** Equal string maps, an absent map equal to an empty one. */
export function sameStringMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  for (const k of kx) if (!Object.hasOwn(y, k) || x[k] !== y[k]) return false;
  return true;
}

// ---- Which pod changes matter

/**
 * upstream podEndpointsChanged: `podChanged` when the pod changed in a way that may change its
 * address in the Endpoints it is in (deletionTimestamp, readiness, IPs; everynode also counts a
 * move to a terminal phase, which upstream leaves to the Ready condition that comes with it),
 * `labelsChanged` when it may change which Services select it (labels, and hostname/subdomain).
 */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged =
    !sameStringMap(oldPod.metadata.labels, newPod.metadata.labels) || oldPod.spec.hostname !== newPod.spec.hostname || oldPod.spec.subdomain !== newPod.spec.subdomain;
  const podChanged =
    oldPod.metadata.deletionTimestamp !== newPod.metadata.deletionTimestamp ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    isPodTerminal(oldPod) !== isPodTerminal(newPod) ||
    (oldPod.status?.podIP ?? '') !== (newPod.status?.podIP ?? '') ||
    !samePodIPs(oldPod, newPod);
  return { podChanged, labelsChanged };
}

function samePodIPs(a: Pod, b: Pod): boolean {
  const x = a.status?.podIPs ?? [];
  const y = b.status?.podIPs ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.ip !== y[i]!.ip) return false;
  return true;
}

/**
 * upstream determineNeededServiceUpdates, for a pod whose labels changed: with the pod itself
 * changed too, every Service of either label set; otherwise only the Services it joined or
 * left (the symmetric difference).
 */
export function servicesToUpdate(oldServices: ReadonlySet<string>, newServices: ReadonlySet<string>, podChanged: boolean): Set<string> {
  const out = new Set<string>();
  for (const s of newServices) if (podChanged || !oldServices.has(s)) out.add(s);
  for (const s of oldServices) if (podChanged || !newServices.has(s)) out.add(s);
  return out;
}
