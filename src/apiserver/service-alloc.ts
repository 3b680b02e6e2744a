// Service IP and node port allocation (upstream pkg/registry/core/service/storage/alloc.go with
// its bitmap allocators, single-stack IPv4).
//
// Contract:
// - Creates: a Service that needs a cluster IP (every type but ExternalName; not headless) gets
//   one from the service CIDR (default 10.96.0.0/12) when `spec.clusterIP` is empty, picked at
//   random from the range's upper band first (the lower band is kept for addresses clients ask
//   for, as upstream does); an address asked for must be in the range (not its network or
//   broadcast address) and free. `spec.clusterIPs` mirrors it. NodePort services, and
//   LoadBalancer services with allocateLoadBalancerNodePorts, get a node port (30000-32767) for
//   every port without one (ports of the same number share one); node ports asked for (any
//   LoadBalancer's too) must be in range and free; a LoadBalancer with externalTrafficPolicy
//   Local gets a healthCheckNodePort. The cluster is single-stack IPv4: RequireDualStack,
//   IPv6 families and a second cluster IP are refused. Errors are upstream's 422s (`failed to allocate IP ...`, `provided
//   port is already allocated`, ...).
// - Updates: values the client left out are first taken from the stored object (upstream's
//   patchAllocatedValues: `kubectl replace` of a manifest without them keeps them); then new
//   needs are allocated as on create (a type change to NodePort allocates node ports). Values
//   the new type no longer uses are released by not being stored any more.
// - What is in use is read from the stored Services at each allocation (no separate bitmap to
//   keep consistent); allocations within one server are serialized, so two creates never get
//   the same address. Servers sharing an etcd could race; the random pick makes a collision
//   unlikely, and it is not detected.
// - Dry runs allocate without reserving (the answer shows what would be given).

import { fe, invalid, type FieldError } from '../api/errors.js';
import type { KindDef } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import type { Store } from '../storage/interface.js';
import { keyPrefix } from './registry.js';

type Obj = Record<string, unknown>;

export interface ServiceAllocatorOptions {
  store: Store;
  services: KindDef;
  /** IPv4 CIDR of cluster IPs; default 10.96.0.0/12 (kubeadm's). */
  serviceCIDR?: string;
  /** Node port range, inclusive; default 30000-32767. */
  nodePortRange?: [number, number];
  random?: () => number;
}

interface Cidr {
  text: string;
  base: number;
  size: number;
}

function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split('/');
  const base = parseIPv4(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`invalid service CIDR ${JSON.stringify(text)} (want IPv4, /8 to /30)`);
  const size = 2 ** (32 - prefix);
  return { text, base: base - (base % size), size };
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function needsClusterIP(spec: Obj): boolean {
  return spec.type !== 'ExternalName' && str(spec.clusterIP) !== 'None' && str(arr(spec.clusterIPs)[0]) !== 'None';
}
function needsNodePort(spec: Obj): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}
function needsHealthCheckNodePort(spec: Obj): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/**
 * Upstream's patchAllocatedValues: an update that leaves out a cluster IP, node port or health
 * check port the stored object has keeps it (node ports matched by port name, unless the new
 * object uses that port number elsewhere). Call before validation.
 */
export function patchAllocatedValues(svc: KubeObject, old: KubeObject): void {
  const spec = obj(svc.spec);
  const oldSpec = obj(old.spec);
  if (!spec || !oldSpec) return;
  if (oldSpec.type !== 'ExternalName' && spec.type !== 'ExternalName') {
    if (!str(spec.clusterIP) && str(oldSpec.clusterIP)) spec.clusterIP = oldSpec.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(oldSpec.clusterIPs).length > 0) spec.clusterIPs = [...arr(oldSpec.clusterIPs)];
  }
  if (needsNodePort(oldSpec) && needsNodePort(spec)) {
    const ports = (s: Obj) => arr(s.ports).map(obj).filter((p): p is Obj => p !== undefined);
    const inNew = new Set(ports(spec).map((p) => num(p.nodePort)).filter((n) => n !== 0));
    const byName = new Map(ports(oldSpec).map((p) => [str(p.name), num(p.nodePort)]));
    for (const p of ports(spec)) {
      if (num(p.nodePort) !== 0) continue;
      const was = byName.get(str(p.name)) ?? 0;
      if (was !== 0 && !inNew.has(was)) {
        p.nodePort = was;
        inNew.add(was);
      }
    }
  }
  if (needsHealthCheckNodePort(oldSpec) && needsHealthCheckNodePort(spec) && num(spec.healthCheckNodePort) === 0 && num(oldSpec.healthCheckNodePort) !== 0) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

export class ServiceAllocator {
  private readonly cidr: Cidr;
  private readonly ports: [number, number];
  private readonly random: () => number;
  /** Serializes allocate-and-store, so concurrent creates see each other's picks. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ServiceAllocatorOptions) {
    this.cidr = parseCidr(o.serviceCIDR ?? '10.96.0.0/12');
    this.ports = o.nodePortRange ?? [30000, 32767];
    this.random = o.random ?? Math.random;
  }

  /**
   * Runs `write` (which stores `svc`) after filling in what `svc` needs, one allocation at a
   * time. `old`: the stored object on updates. Throws the 422 to answer when something asked
   * for cannot be given.
   */
  async allocate<T>(svc: KubeObject, old: KubeObject | undefined, write: () => Promise<T>): Promise<T> {
    const spec = obj(svc.spec);
    if (!spec) return write();
    if (spec.type === 'ExternalName') return write();
    const run = this.tail.then(async () => {
      await this.fill(svc, spec, old);
      return write();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async fill(svc: KubeObject, spec: Obj, old: KubeObject | undefined): Promise<void> {
    const oldSpec = obj(old?.spec) ?? {};
    const used = await this.inUse(svc);
    const errs: FieldError[] = [];
    // A single-stack IPv4 cluster (upstream's initIPFamilyFields). Headless services without a
    // selector are its exception: they allocate nothing and take whatever endpoints their user
    // writes, so any families (both by default: the Service defaults).
    const headlessSelectorless = (spec.clusterIP === 'None' || arr(spec.clusterIPs)[0] === 'None') && Object.keys(obj(spec.selector) ?? {}).length === 0;
    if (!headlessSelectorless) {
      if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(fe.invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
      arr(spec.ipFamilies).forEach((family, i) => {
        if (family !== 'IPv4') errs.push(fe.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster'));
      });
    }
    if (arr(spec.clusterIPs).length > 1) errs.push(fe.invalid('spec.clusterIPs', arr(spec.clusterIPs), 'this cluster is not configured for dual-stack services'));
    if (needsClusterIP(spec)) {
      const asked = str(spec.clusterIP) || str(arr(spec.clusterIPs)[0]);
      const kept = asked !== '' && asked === str(oldSpec.clusterIP);
      if (asked === '') {
        const ip = this.pickIP(used.ips);
        if (ip === undefined) errs.push(fe.invalid('spec.clusterIPs', arr(spec.clusterIPs), 'failed to allocate IP: range is full'));
        else {
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
        }
      } else if (!kept) {
        const why = this.checkIP(asked, used.ips);
        if (why) errs.push(fe.invalid('spec.clusterIPs', arr(spec.clusterIPs).length > 0 ? arr(spec.clusterIPs) : [asked], `failed to allocate IP ${asked}: ${why}`));
        else if (arr(spec.clusterIPs).length === 0) spec.clusterIPs = [asked];
      }
    }
    // Node ports: every explicit one is checked (LoadBalancers without node port allocation
    // too: "respect specific requests") and counts as taken before any is picked, so a pick
    // never lands on one this Service keeps; ports of the same number share one node port
    // (a TCP and a UDP port 53, say), as upstream's initNodePorts does.
    const oldNodePorts = new Set(arr(oldSpec.ports).map((p) => num(obj(p)?.nodePort)).filter((n) => n !== 0));
    const ports = arr(spec.ports).map(obj);
    const checkNodePorts = needsNodePort(spec) || spec.type === 'LoadBalancer';
    const byPortNumber = new Map<number, number>();
    const own = new Map<number, number>();
    if (checkNodePorts) {
      ports.forEach((port, i) => {
        const asked = num(port?.nodePort);
        if (!port || asked === 0) return;
        const number = num(port.port);
        const sharedWith = own.get(asked);
        if (sharedWith !== undefined) {
          if (sharedWith !== number) errs.push(fe.invalid(`spec.ports[${i}].nodePort`, asked, 'provided port is already allocated'));
          return;
        }
        if (!oldNodePorts.has(asked)) {
          const why = this.checkPort(asked, used.ports);
          if (why) errs.push(fe.invalid(`spec.ports[${i}].nodePort`, asked, why));
        }
        own.set(asked, number);
        byPortNumber.set(number, asked);
        used.ports.add(asked);
      });
    }
    if (needsNodePort(spec)) {
      ports.forEach((port, i) => {
        if (!port || num(port.nodePort) !== 0) return;
        const number = num(port.port);
        const shared = byPortNumber.get(number);
        if (shared !== undefined) {
          port.nodePort = shared;
          return;
        }
        const n = this.pickPort(used.ports);
        if (n === undefined) errs.push(fe.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full'));
        else {
          port.nodePort = n;
          used.ports.add(n);
          byPortNumber.set(number, n);
        }
      });
    }
    if (needsHealthCheckNodePort(spec)) {
      const asked = num(spec.healthCheckNodePort);
      if (asked === 0) {
        const n = this.pickPort(used.ports);
        if (n === undefined) errs.push(fe.invalid('spec.healthCheckNodePort', 0, 'range is full'));
        else spec.healthCheckNodePort = n;
      } else if (asked !== num(oldSpec.healthCheckNodePort) || own.has(asked)) {
        const why = own.has(asked) ? 'provided port is already allocated' : this.checkPort(asked, used.ports);
        if (why) errs.push(fe.invalid('spec.healthCheckNodePort', asked, why));
      }
    }
    if (errs.length > 0) throw invalid({ group: '', resource: 'services', kind: 'Service' }, svc.metadata.name ?? '', errs);
  }

  /** Cluster IPs and node ports of every stored Service but `svc` itself. */
  private async inUse(svc: KubeObject): Promise<{ ips: Set<number>; ports: Set<number> }> {
    const ips = new Set<number>();
    const ports = new Set<number>();
    const self = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
    const list = await this.o.store.list(keyPrefix(this.o.services));
    for (const kv of list.items) {
      let other: KubeObject;
      try {
        other = JSON.parse(kv.value) as KubeObject;
      } catch {
        continue;
      }
      if (`${other.metadata.namespace ?? ''}/${other.metadata.name ?? ''}` === self) continue;
      const spec = obj(other.spec) ?? {};
      for (const ip of [str(spec.clusterIP), ...arr(spec.clusterIPs).map(str)]) {
        const n = parseIPv4(ip);
        if (n !== undefined) ips.add(n);
      }
      for (const p of arr(spec.ports)) {
        const n = num(obj(p)?.nodePort);
        if (n !== 0) ports.add(n);
      }
      const hc = num(spec.healthCheckNodePort);
      if (hc !== 0) ports.add(hc);
    }
    return { ips, ports };
  }

  private checkIP(ip: string, used: Set<number>): string | undefined {
    const n = parseIPv4(ip);
    const { base, size, text } = this.cidr;
    if (n === undefined || n <= base || n >= base + size - 1) return `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${text}`;
    if (used.has(n)) return 'provided IP is already allocated';
    return undefined;
  }

  /** A free address, from the upper band first (offset min(max(16, size/16), 256)), as upstream. */
  private pickIP(used: Set<number>): string | undefined {
    const { base, size } = this.cidr;
    const first = 1;
    const last = size - 2;
    const offset = Math.min(Math.max(16, Math.floor(size / 16)), 256);
    const bands: [number, number][] = offset < last ? [[offset, last], [first, offset - 1]] : [[first, last]];
    for (const [lo, hi] of bands) {
      const n = pickFree(lo, hi, (i) => used.has(base + i), this.random);
      if (n !== undefined) return formatIPv4(base + n);
    }
    return undefined;
  }

  private checkPort(port: number, used: Set<number>): string | undefined {
    const [lo, hi] = this.ports;
    if (port < lo || port > hi) return `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`;
    if (used.has(port)) return 'provided port is already allocated';
    return undefined;
  }

  private pickPort(used: Set<number>): number | undefined {
    const [lo, hi] = this.ports;
    return pickFree(lo, hi, (n) => used.has(n), this.random);
  }
}

/** A random free value of [lo, hi]: a random start, then the next free one (wrapping). */
function pickFree(lo: number, hi: number, taken: (n: number) => boolean, random: () => number): number | undefined {
  const count = hi - lo + 1;
  if (count <= 0) return undefined;
  const start = Math.floor(random() * count);
  for (let i = 0; i < count; i++) {
    const n = lo + ((start + i) % count);
    if (!taken(n)) return n;
  }
  return undefined;
}
