// The cluster zone: which records a name of the Kubernetes DNS schema (version 1.1.0,
// kubernetes/dns docs/specification.md, as CoreDNS's kubernetes plugin answers it) has, read
// from the Services the API holds and their endpoints (EndpointSlices read as one Endpoints per
// Service, ready addresses only: server.ts).
//
// Contract (zone "cluster.local" by default; every name compared case-insensitively; TTL 5 s):
// - `<svc>.<ns>.svc.<zone>`:
//   - a Service with a cluster IP: A / AAAA for its cluster IPs of that family;
//   - a headless Service: one A / AAAA per ready address of its Endpoints (no duplicates);
//     NXDOMAIN when it has no ready address at all (the spec, amended to match kube-dns and
//     CoreDNS);
//   - an ExternalName Service: a CNAME to its external name (followed inside the zone; outside
//     it the server asks the upstreams and adds their answer, as CoreDNS does: server.ts);
//   - SRV: one record per port, the target being the Service's name (cluster IP) or each
//     ready address's name (headless), with the targets' addresses as additional records.
// - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV: the same for the named port of that
//   protocol; NXDOMAIN when the Service has no such port.
// - `<host>.<svc>.<ns>.svc.<zone>` (any Service but ExternalName, as CoreDNS answers endpoint
//   names, so a PTR's name resolves forward): A / AAAA of the ready address whose `hostname`
//   is `host`, or which has no hostname and whose IP written with dashes (`127-0-1-1`; `:` as
//   `-` for IPv6) is `host`, as CoreDNS names endpoints.
// - `<a-b-c-d>.<ns>.pod.<zone>`: A of that address, unchecked but for the namespace, which
//   must exist (CoreDNS's `pods insecure`).
// - `dns-version.<zone>` TXT "1.1.0"; the zone apex has an SOA and an NS record.
// - ANY is answered as CoreDNS answers a type it does not serve: NODATA for a name that exists
//   (NXDOMAIN, or forwarded, as an A query for it would be).
// - A name that exists with no record of the asked type: NOERROR with no answer (NODATA); a
//   name that does not exist: NXDOMAIN. Both carry the zone's SOA as authority. The names
//   between the apex and the records (`svc.<zone>`, `<ns>.svc.<zone>` for a namespace that has
//   Services, `pod.<zone>`, `<ns>.pod.<zone>` for a namespace that exists) exist.
// - PTR `<reversed ip>.in-addr.arpa` / `.ip6.arpa`: the names of the Services with that cluster
//   IP and of the ready endpoint addresses with that IP; an address the cluster does not know is
//   not this zone's (forwarded, as CoreDNS falls through).
// - Any other name is not this zone's: `answer` returns 'forward'.
// `answer` reads the source only; it never writes.

import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoints, Service } from '../controllers/endpoints/index.js';
import { type Question, type ResourceRecord, Rcode, RRType, ipv6Bytes } from './message.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** The schema version answered at `dns-version.<zone>`. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS's kubernetes plugin default. */
export const DEFAULT_TTL = 5;

/** What the zone reads: read-only views of the Services and Endpoints caches. */
export interface ZoneSource {
  service(namespace: string, name: string): Service | undefined;
  endpoints(namespace: string, name: string): Endpoints | undefined;
  /** Whether the namespace has a Service (so `<ns>.svc.<zone>` exists). */
  hasServices(namespace: string): boolean;
  /**
   * Whether the namespace exists (pod records are only answered in namespaces that do, as
   * CoreDNS's `pods insecure`); absent: every namespace is taken to exist.
   */
  namespaceExists?(namespace: string): boolean;
  /** The Services and Endpoints whose cluster IPs or ready addresses hold `ip` (normalised by `ipKey`). */
  byIP(ip: string): { services: Service[]; endpoints: Endpoints[] };
  /** Unix seconds of the last change (the SOA serial). */
  serial(): number;
}

export interface ZoneAnswer {
  rcode: number;
  authoritative: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** One form per address whatever its spelling (IPv6 as 32 hex digits). */
export function ipKey(ip: string): string {
  return isIPv6(ip) ? ipv6Bytes(ip).toString('hex') : ip;
}

/** An endpoint address's label in the zone: its hostname, or its IP with dashes. */
export function endpointLabel(a: { ip: string; hostname?: string }): string {
  if (a.hostname) return a.hostname.toLowerCase();
  if (isIPv4(a.ip)) return a.ip.replace(/\./g, '-');
  let s = a.ip.toLowerCase().replace(/:/g, '-');
  if (s.startsWith('-')) s = `0${s}`;
  if (s.endsWith('-')) s = `${s}0`;
  return s;
}

/** The address a pod label (`10-0-0-1`, or IPv6 with dashes) stands for, if it is one. */
function podLabelAddress(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4)) return v4;
  const v6 = label.replace(/-/g, ':');
  return isIPv6(v6) ? v6 : undefined;
}

/** The IP a reverse name stands for, if it is a whole one. */
function reverseAddress(name: string): string | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (v4) {
    const ip = `${v4[4]}.${v4[3]}.${v4[2]}.${v4[1]}`;
    return isIPv4(ip) ? ip : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (!v6) return undefined;
  const nibbles = v6[1]!.split('.').filter((n) => n !== '').reverse().join('');
  return nibbles.match(/.{4}/g)!.join(':');
}

interface ReadyAddress {
  ip: string;
  hostname?: string;
}

function readyAddresses(ep: Endpoints | undefined): ReadyAddress[] {
  const out: ReadyAddress[] = [];
  const seen = new Set<string>();
  for (const s of ep?.subsets ?? []) {
    for (const a of s.addresses ?? []) {
      const key = `${endpointLabel(a)}/${ipKey(a.ip)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ip: a.ip, ...(a.hostname ? { hostname: a.hostname } : {}) });
    }
  }
  return out;
}

function isHeadlessService(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function clusterIPs(svc: Service): string[] {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip !== 'None' && ip !== '');
}

export class ClusterZone {
  readonly domain: string;
  private readonly ttl: number;

  constructor(
    private readonly source: ZoneSource,
    o: { domain?: string; ttl?: number } = {},
  ) {
    this.domain = (o.domain ?? DEFAULT_CLUSTER_DOMAIN).toLowerCase().replace(/\.$/, '');
    this.ttl = o.ttl ?? DEFAULT_TTL;
  }

  /** Whether `name` is in the cluster zone (the zone's own answers hold every record of it). */
  holds(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  /** The records of `q`, or 'forward' when the name is not this zone's (see the file's contract). */
  answer(q: Question): ZoneAnswer | 'forward' {
    if (q.type === RRType.ANY) {
      // As CoreDNS's kubernetes plugin: a type it does not serve is looked up as A only to tell
      // NODATA from NXDOMAIN (RFC 8482 lets a server decline ANY).
      const probe = this.answer({ ...q, type: RRType.A });
      return probe === 'forward' || probe.rcode !== Rcode.NOERROR ? probe : this.noData();
    }
    const name = q.name.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) return this.reverse(q, name);
    if (name !== this.domain && !name.endsWith(`.${this.domain}`)) return 'forward';
    const rel = name === this.domain ? [] : name.slice(0, -this.domain.length - 1).split('.');
    return this.inZone(q, rel);
  }

  private soa(): ResourceRecord {
    return {
      name: this.domain,
      type: RRType.SOA,
      ttl: this.ttl,
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.source.serial(), refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }

  private noData(): ZoneAnswer {
    return { rcode: Rcode.NOERROR, authoritative: true, answers: [], authority: [this.soa()], additional: [] };
  }

  private nxDomain(): ZoneAnswer {
    return { rcode: Rcode.NXDOMAIN, authoritative: true, answers: [], authority: [this.soa()], additional: [] };
  }

  /** Answers (or NODATA when there are none). */
  private records(answers: ResourceRecord[], additional: ResourceRecord[] = []): ZoneAnswer {
    if (answers.length === 0) return this.noData();
    return { rcode: Rcode.NOERROR, authoritative: true, answers, authority: [], additional };
  }

  private addressRecords(owner: string, ips: string[], qtype: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    const wantA = qtype === RRType.A || qtype === RRType.ANY;
    const wantAAAA = qtype === RRType.AAAA || qtype === RRType.ANY;
    for (const ip of ips) {
      if (wantA && isIPv4(ip)) out.push({ name: owner, type: RRType.A, ttl: this.ttl, data: ip });
      else if (wantAAAA && isIPv6(ip)) out.push({ name: owner, type: RRType.AAAA, ttl: this.ttl, data: ip });
    }
    return out;
  }

  private inZone(q: Question, rel: string[]): ZoneAnswer {
    const owner = q.name.replace(/\.$/, '');
    const t = q.type;
    if (rel.length === 0) {
      if (t === RRType.SOA) return this.records([this.soa()]);
      if (t === RRType.NS) return this.records([{ name: owner, type: RRType.NS, ttl: this.ttl, data: `ns.dns.${this.domain}` }]);
      return this.noData();
    }
    if (rel.length === 1) {
      if (rel[0] === 'dns-version') return t === RRType.TXT ? this.records([{ name: owner, type: RRType.TXT, ttl: this.ttl, data: [DNS_SCHEMA_VERSION] }]) : this.noData();
      if (rel[0] === 'svc' || rel[0] === 'pod') return this.noData();
      return this.nxDomain();
    }
    const kind = rel[rel.length - 1];
    if (kind === 'pod') {
      const ns = rel[rel.length - 2]!;
      if (this.source.namespaceExists && !this.source.namespaceExists(ns)) return this.nxDomain();
      if (rel.length === 2) return this.noData();
      if (rel.length !== 3) return this.nxDomain();
      const ip = podLabelAddress(rel[0]!);
      if (!ip) return this.nxDomain();
      return this.records(this.addressRecords(owner, [ip], t));
    }
    if (kind !== 'svc') return this.nxDomain();
    if (rel.length === 2) return this.source.hasServices(rel[0]!) ? this.noData() : this.nxDomain();
    const ns = rel[rel.length - 2]!;
    const svcName = rel[rel.length - 3]!;
    const svc = this.source.service(ns, svcName);
    if (!svc) return this.nxDomain();
    const svcFqdn = `${svcName}.${ns}.svc.${this.domain}`;
    if (rel.length === 3) return this.serviceRecords(q, owner, svc, svcFqdn);
    if (rel.length === 5 && rel[0]!.startsWith('_') && rel[1]!.startsWith('_')) return this.portRecords(q, owner, svc, svcFqdn, rel[0]!.slice(1), rel[1]!.slice(1));
    if (rel.length === 4 && svc.spec?.type !== 'ExternalName') {
      const ips = readyAddresses(this.source.endpoints(ns, svcName))
        .filter((a) => endpointLabel(a) === rel[0])
        .map((a) => a.ip);
      if (ips.length === 0) return this.nxDomain();
      return this.records(this.addressRecords(owner, ips, t));
    }
    return this.nxDomain();
  }

  private serviceRecords(q: Question, owner: string, svc: Service, svcFqdn: string): ZoneAnswer {
    const spec = svc.spec ?? {};
    const t = q.type;
    if (spec.type === 'ExternalName') {
      const target = String(spec.externalName ?? '').toLowerCase().replace(/\.$/, '');
      if (!target) return this.nxDomain();
      const cname: ResourceRecord = { name: owner, type: RRType.CNAME, ttl: this.ttl, data: target };
      if (t === RRType.CNAME) return this.records([cname]);
      // Followed inside the zone; outside it the client's resolver asks for the target.
      const inner = target === this.domain || target.endsWith(`.${this.domain}`) ? this.answer({ name: target, type: t, class: q.class }) : undefined;
      const more = inner && inner !== 'forward' ? inner.answers : [];
      return { rcode: Rcode.NOERROR, authoritative: true, answers: [cname, ...more], authority: [], additional: [] };
    }
    if (t === RRType.SRV) return this.srvRecords(owner, svc, svcFqdn, spec.ports ?? []);
    if (!isHeadlessService(svc)) return this.records(this.addressRecords(owner, clusterIPs(svc), t));
    const ready = readyAddresses(this.source.endpoints(svc.metadata.namespace ?? '', svc.metadata.name ?? ''));
    if (ready.length === 0) return this.nxDomain();
    const ips = [...new Set(ready.map((a) => a.ip))];
    return this.records(this.addressRecords(owner, ips, t));
  }

  private portRecords(q: Question, owner: string, svc: Service, svcFqdn: string, portName: string, proto: string): ZoneAnswer {
    const ports = (svc.spec?.ports ?? []).filter((p) => (p.name ?? '').toLowerCase() === portName && (p.protocol ?? 'TCP').toLowerCase() === proto);
    if (ports.length === 0 || svc.spec?.type === 'ExternalName') return this.nxDomain();
    if (q.type !== RRType.SRV) return this.noData();
    const answer = this.srvRecords(owner, svc, svcFqdn, ports);
    return answer.answers.length === 0 ? this.nxDomain() : answer;
  }

  /** SRV records of `ports`: the Service itself (cluster IP) or each ready address (headless). */
  private srvRecords(owner: string, svc: Service, svcFqdn: string, ports: { name?: string; port: number; protocol?: string }[]): ZoneAnswer {
    const answers: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    if (!isHeadlessService(svc)) {
      const weight = Math.floor(100 / Math.max(1, ports.length));
      for (const p of ports) answers.push({ name: owner, type: RRType.SRV, ttl: this.ttl, data: { priority: 0, weight, port: p.port, target: svcFqdn } });
      if (answers.length > 0) additional.push(...this.addressRecords(svcFqdn, clusterIPs(svc), RRType.ANY));
      return this.records(answers, additional);
    }
    const ep = this.source.endpoints(svc.metadata.namespace ?? '', svc.metadata.name ?? '');
    const wanted = new Set(ports.map((p) => `${p.name ?? ''}/${p.protocol ?? 'TCP'}`));
    const found: { port: number; target: string; ip: string }[] = [];
    const seen = new Set<string>();
    for (const s of ep?.subsets ?? []) {
      for (const p of s.ports ?? []) {
        if (!wanted.has(`${p.name ?? ''}/${p.protocol ?? 'TCP'}`)) continue;
        for (const a of s.addresses ?? []) {
          const target = `${endpointLabel(a)}.${svcFqdn}`;
          const key = `${target}:${p.port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push({ port: p.port, target, ip: a.ip });
        }
      }
    }
    if (found.length === 0) return this.nxDomain();
    const weight = Math.floor(100 / found.length);
    const added = new Set<string>();
    for (const f of found) {
      answers.push({ name: owner, type: RRType.SRV, ttl: this.ttl, data: { priority: 0, weight, port: f.port, target: f.target } });
      const key = `${f.target}/${f.ip}`;
      if (added.has(key)) continue;
      added.add(key);
      additional.push(...this.addressRecords(f.target, [f.ip], RRType.ANY));
    }
    return this.records(answers, additional);
  }

  private reverse(q: Question, name: string): ZoneAnswer | 'forward' {
    const ip = reverseAddress(name);
    if (!ip) return 'forward';
    const { services, endpoints } = this.source.byIP(ipKey(ip));
    const owner = q.name.replace(/\.$/, '');
    const targets = new Set<string>();
    for (const svc of services) targets.add(`${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`);
    const key = ipKey(ip);
    for (const ep of endpoints) {
      for (const a of readyAddresses(ep)) {
        if (ipKey(a.ip) === key) targets.add(`${endpointLabel(a)}.${ep.metadata.name}.${ep.metadata.namespace}.svc.${this.domain}`);
      }
    }
    if (targets.size === 0) return 'forward';
    if (q.type !== RRType.PTR) return this.noData();
    return this.records([...targets].map((data) => ({ name: owner, type: RRType.PTR, ttl: this.ttl, data })));
  }
}
