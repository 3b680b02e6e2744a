// The cluster DNS server: the cluster zone (zone.ts) over UDP and TCP on one address, fed by
// Service and EndpointSlice informers, with every other name forwarded to the host's resolvers (the
// default Corefile's `forward . /etc/resolv.conf`).
//
// Contracts:
// - Listens on UDP and TCP at the same host and port; `start` resolves once both are bound and
//   rejects (closing what it opened) when either cannot be.
// - Until both caches have synced, names of the zone are answered SERVFAIL (a client retries),
//   never NXDOMAIN from an empty cache.
// - UDP answers fit 512 bytes, or the EDNS(0) size the client offered (at most 4096); larger
//   ones are cut with TC set, and the client asks again over TCP (answers up to 64 KiB). TCP
//   connections may carry several queries; one idle for 10 s, sending a malformed frame, or
//   leaving more than 1 MiB of answers unread is closed; at most 256 are served at once.
// - Malformed queries get FORMERR, other opcodes NOTIMP, classes other than IN and ANY REFUSED;
//   a message that is a response, or too short to have an id, gets nothing.
// - Forwarding: the query's bytes go to each upstream in turn (UDP for UDP clients, TCP for TCP
//   clients), 2 s each; the first answer is passed back as is; none: SERVFAIL. At most 256
//   forwards are in flight; more are answered SERVFAIL at once. No upstream: REFUSED.
// - A Service's endpoints are read from its EndpointSlices (label kubernetes.io/service-name, the
//   controller's, the mirrored ones of a selectorless Service's Endpoints, and any written by
//   hand, as CoreDNS reads them): an endpoint is ready unless its `ready` condition is false;
//   FQDN slices hold no addresses and are skipped.
// - Reads the caches only; writes nothing to the API.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, connect, isIPv6, type Server, type Socket } from 'node:net';
import type { Endpoints, EndpointSubset, Service } from '../controllers/endpoints/index.js';
import type { EndpointSlice } from '../controllers/endpointslice/index.js';
import type { KubeObject } from '../api/types.js';
import { endpointSlicesResource, Informer, namespacesResource, servicesResource, type ApiClient } from '../client/index.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/index.js';
import { encodeQuery, encodeResponse, parseAnswerRecords, parseQuery, QueryParseError, Rcode, RRClass, RRType, TCP_MAX_SIZE, UDP_DEFAULT_SIZE, UDP_MAX_SIZE, type ParsedQuery, type Response } from './message.js';
import { ClusterZone, ipKey, type ZoneSource } from './zone.js';

/** A response waiting for the upstreams' records of a CNAME's target (respond, finishChase). */
export interface Chase {
  chase: { name: string; type: number };
  response: Response;
  maxSize: number;
}

export interface ClusterDnsOptions {
  client: ApiClient;
  /** Host and port to listen on (port 0: a free port, the same for UDP and TCP). */
  host: string;
  port: number;
  /** The cluster domain (default cluster.local). */
  domain?: string;
  /** Resolvers for other names as host[:port] (default: the nameservers of /etc/resolv.conf). */
  upstreams?: string[];
  logger: Logger;
}

const FORWARD_TIMEOUT_MS = 2_000;
const MAX_FORWARDS = 256;
const TCP_IDLE_MS = 10_000;
/** TCP connections served at once; more are closed at once. */
const MAX_TCP_CONNECTIONS = 256;
/** Answers a TCP client may leave unread before it is cut off. */
const MAX_TCP_UNREAD_BYTES = 1 << 20;

/** The `nameserver` lines of a resolv.conf, as host:port. */
export function resolvConfNameservers(path = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(isIPv6(m[1]!) ? `[${m[1]}]:53` : `${m[1]}:53`);
  }
  return out;
}

function splitHostPort(hp: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hp) ?? /^([^:]+)(?::(\d+))?$/.exec(hp);
  if (!m) return { host: hp, port: 53 };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
}

const serviceNameLabel = 'kubernetes.io/service-name';
const byServiceIndex = 'service';

/**
 * A Service's EndpointSlices read as one Endpoints (named as the Service): one subset per slice
 * of IP addresses, holding its ready endpoints (ready unset counts as ready) and its ports.
 */
export function endpointsOfSlices(namespace: string, name: string, slices: readonly EndpointSlice[]): Endpoints | undefined {
  if (slices.length === 0) return undefined;
  const subsets: EndpointSubset[] = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const addresses: NonNullable<EndpointSubset['addresses']> = [];
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const ip of e.addresses ?? []) addresses.push({ ip, ...(e.hostname ? { hostname: e.hostname } : {}) });
    }
    const ports = (slice.ports ?? []).filter((p) => typeof p.port === 'number').map((p) => ({ port: p.port!, ...(p.name ? { name: p.name } : {}), protocol: p.protocol ?? 'TCP' }));
    subsets.push({ addresses, ports });
  }
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace, name }, subsets };
}

/** The Services and EndpointSlices caches as the zone reads them, with an address index rebuilt lazily after changes. */
class InformerSource implements ZoneSource {
  private changedAt = Math.floor(Date.now() / 1000);
  private dirty = true;
  private readonly ipIndex = new Map<string, { services: Service[]; endpoints: Endpoints[] }>();
  private readonly namespaces = new Set<string>();
  /** Each Service's slices as one Endpoints, built on first read after a change. */
  private readonly endpointsCache = new Map<string, Endpoints | undefined>();

  constructor(
    private readonly services: Informer<Service>,
    private readonly slices: Informer<EndpointSlice>,
    private readonly namespacesInformer: Informer<KubeObject>,
  ) {
    slices.addIndexers({ [byServiceIndex]: (e) => {
      const svc = e.metadata.labels?.[serviceNameLabel];
      return svc ? [`${e.metadata.namespace ?? ''}/${svc}`] : [];
    } });
    const changed = { add: () => this.touch(), update: () => this.touch(), delete: () => this.touch() };
    services.addEventHandler(changed);
    slices.addEventHandler(changed);
  }

  private touch(): void {
    this.dirty = true;
    this.endpointsCache.clear();
    this.changedAt = Math.floor(Date.now() / 1000);
  }

  private rebuild(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.ipIndex.clear();
    this.namespaces.clear();
    const entry = (ip: string) => {
      const k = ipKey(ip);
      let e = this.ipIndex.get(k);
      if (!e) this.ipIndex.set(k, (e = { services: [], endpoints: [] }));
      return e;
    };
    for (const svc of this.services.indexer.list()) {
      this.namespaces.add(svc.metadata.namespace ?? '');
      const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
      for (const ip of new Set(ips)) if (ip && ip !== 'None') entry(ip).services.push(svc);
    }
    const keys = new Set<string>();
    for (const slice of this.slices.indexer.list()) {
      const svc = slice.metadata.labels?.[serviceNameLabel];
      if (svc) keys.add(`${slice.metadata.namespace ?? ''}/${svc}`);
    }
    for (const key of keys) {
      const [namespace, name] = key.split('/') as [string, string];
      const ep = this.endpoints(namespace, name);
      const ips = new Set<string>();
      for (const s of ep?.subsets ?? []) for (const a of s.addresses ?? []) ips.add(ipKey(a.ip));
      for (const ip of ips) entry(ip).endpoints.push(ep!);
    }
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.indexer.getByKey(`${namespace}/${name}`);
  }

  endpoints(namespace: string, name: string): Endpoints | undefined {
    const key = `${namespace}/${name}`;
    if (this.endpointsCache.has(key)) return this.endpointsCache.get(key);
    const ep = endpointsOfSlices(namespace, name, this.slices.indexer.byIndex(byServiceIndex, key));
    this.endpointsCache.set(key, ep);
    return ep;
  }

  hasServices(namespace: string): boolean {
    this.rebuild();
    return this.namespaces.has(namespace);
  }

  namespaceExists(namespace: string): boolean {
    return this.namespacesInformer.indexer.getByKey(namespace) !== undefined;
  }

  byIP(ip: string): { services: Service[]; endpoints: Endpoints[] } {
    this.rebuild();
    return this.ipIndex.get(ip) ?? { services: [], endpoints: [] };
  }

  serial(): number {
    return this.changedAt;
  }
}

export class ClusterDns {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly namespaces: Informer<KubeObject>;
  readonly zone: ClusterZone;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly upstreams: { host: string; port: number }[];
  private forwards = 0;
  private synced = false;
  private stopped = false;
  private boundPort = 0;

  constructor(private readonly o: ClusterDnsOptions) {
    const onError = (what: string) => (err: unknown) => o.logger.debug(`${what} watch`, errorMessage(err));
    this.services = new Informer<Service>(o.client, servicesResource, { onError: onError('service') });
    this.slices = new Informer<EndpointSlice>(o.client, endpointSlicesResource, { onError: onError('endpointslice') });
    this.namespaces = new Informer<KubeObject>(o.client, namespacesResource, { onError: onError('namespace') });
    this.zone = new ClusterZone(new InformerSource(this.services, this.slices, this.namespaces), { ...(o.domain ? { domain: o.domain } : {}) });
    this.upstreams = (o.upstreams ?? resolvConfNameservers()).map(splitHostPort);
  }

  /** The bound address as host:port (IPv6 in brackets). */
  get address(): string {
    return isIPv6(this.o.host) ? `[${this.o.host}]:${this.boundPort}` : `${this.o.host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    this.services.start();
    this.slices.start();
    this.namespaces.start();
    void Promise.all([this.services.waitForSync(), this.slices.waitForSync(), this.namespaces.waitForSync()]).then(() => {
      this.synced = true;
    });
    try {
      await this.listen();
    } catch (err) {
      await this.stop();
      throw err;
    }
    // A forwarder that is this server would loop.
    const self = this.upstreams.findIndex((u) => u.port === this.boundPort && (u.host === this.o.host || (this.o.host === '0.0.0.0' && u.host.startsWith('127.'))));
    if (self >= 0) this.upstreams.splice(self, 1);
  }

  private async listen(): Promise<void> {
    // With port 0 the UDP port is free but the same TCP port may not be: a few tries.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4' });
      this.udp = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.o.port, this.o.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', (err) => this.o.logger.debug('dns udp', errorMessage(err)));
      udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
      this.boundPort = udp.address().port;
      const tcp = createServer((s) => this.onTcp(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(this.boundPort, this.o.host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        this.udp = undefined;
        if (this.o.port === 0 && attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
      this.tcp = tcp;
      tcp.on('error', (err) => this.o.logger.debug('dns tcp', errorMessage(err)));
      return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.services.stop(), this.slices.stop(), this.namespaces.stop()]);
    for (const s of this.sockets) s.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (tcp?.listening) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  /**
   * The answer to one query message: bytes to send back, 'forward' (pass the query to the
   * upstreams), or undefined (send nothing).
   */
  respond(msg: Buffer, maxSize: (q: ParsedQuery | undefined) => number): Buffer | 'forward' | Chase | undefined {
    const q = parseQuery(msg);
    if (q === undefined) return undefined;
    if (q instanceof QueryParseError) {
      if (q.id === undefined) return undefined;
      return encodeResponse({ id: q.id, opcode: q.opcode, rcode: q.rcode, aa: false, rd: false, cd: false, answers: [], authority: [], additional: [] }, UDP_DEFAULT_SIZE);
    }
    const base: Response = {
      id: q.id,
      opcode: 0,
      rcode: Rcode.NOERROR,
      aa: false,
      rd: q.rd,
      cd: q.cd,
      question: q.question,
      answers: [],
      authority: [],
      additional: [],
      ...(q.edns ? { edns: { udpSize: UDP_MAX_SIZE } } : {}),
    };
    if (q.question.class !== RRClass.IN && q.question.class !== RRClass.ANY) return encodeResponse({ ...base, rcode: Rcode.REFUSED }, maxSize(q));
    const a = this.zone.answer(q.question);
    if (a === 'forward') return 'forward';
    if (!this.synced) return encodeResponse({ ...base, rcode: Rcode.SERVFAIL }, maxSize(q));
    const response: Response = { ...base, rcode: a.rcode, aa: a.authoritative, answers: a.answers, authority: a.authority, additional: a.additional };
    // An ExternalName's CNAME to a name outside the zone: its addresses are asked upstream and
    // added, as CoreDNS does (stub resolvers do not follow a bare CNAME themselves).
    const last = a.answers[a.answers.length - 1];
    const type = q.question.type;
    if (last?.type === RRType.CNAME && (type === RRType.A || type === RRType.AAAA) && !this.zone.holds(last.data) && this.upstreams.length > 0) {
      return { chase: { name: last.data, type }, response, maxSize: maxSize(q) };
    }
    return encodeResponse(response, maxSize(q));
  }

  /** A chased response: the upstreams' A/AAAA (and CNAME) records of the target added; the CNAME alone when they do not answer. */
  private async finishChase(c: Chase, via: 'udp' | 'tcp'): Promise<Buffer> {
    const question = encodeQuery(Math.floor(Math.random() * 0x10000), c.chase.name, c.chase.type, { udpSize: UDP_MAX_SIZE });
    const answer = await this.forward(question, via);
    const records = answer ? parseAnswerRecords(answer) : undefined;
    return encodeResponse({ ...c.response, answers: [...c.response.answers, ...(records ?? [])] }, c.maxSize);
  }

  /** SERVFAIL / REFUSED for a query that could not be forwarded. */
  private failure(msg: Buffer, rcode: number): Buffer | undefined {
    const q = parseQuery(msg);
    if (!q || q instanceof QueryParseError) return undefined;
    return encodeResponse({ id: q.id, opcode: 0, rcode, aa: false, rd: q.rd, cd: q.cd, question: q.question, answers: [], authority: [], additional: [] }, UDP_DEFAULT_SIZE);
  }

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopped) return;
    const send = (b: Buffer | undefined) => {
      if (b && this.udp) this.udp.send(b, rinfo.port, rinfo.address);
    };
    const out = this.respond(msg, (q) => (q?.edns ? Math.min(q.edns.udpSize, UDP_MAX_SIZE) : UDP_DEFAULT_SIZE));
    if (out === 'forward') void this.forward(msg, 'udp').then(send);
    else if (out !== undefined && !Buffer.isBuffer(out)) void this.finishChase(out, 'udp').then(send);
    else send(out);
  }

  private onTcp(socket: Socket): void {
    if (this.stopped || this.sockets.size >= MAX_TCP_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    // Queries on one connection are answered in order.
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (len < 12) {
          socket.destroy();
          return;
        }
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        chain = chain.then(async () => {
          const out = this.respond(msg, () => TCP_MAX_SIZE);
          const answer = out === 'forward' ? await this.forward(msg, 'tcp') : out !== undefined && !Buffer.isBuffer(out) ? await this.finishChase(out, 'tcp') : out;
          if (!answer || socket.destroyed) return;
          if (socket.writableLength > MAX_TCP_UNREAD_BYTES) {
            socket.destroy();
            return;
          }
          const frame = Buffer.alloc(2);
          frame.writeUInt16BE(answer.length);
          socket.write(Buffer.concat([frame, answer]));
        });
      }
    });
  }

  /** Passes a query to the upstreams in turn (see the file's contract). */
  private async forward(msg: Buffer, via: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (this.upstreams.length === 0) return this.failure(msg, Rcode.REFUSED);
    if (this.forwards >= MAX_FORWARDS) return this.failure(msg, Rcode.SERVFAIL);
    this.forwards++;
    try {
      for (const u of this.upstreams) {
        const answer = await (via === 'udp' ? forwardUdp(msg, u) : forwardTcp(msg, u)).catch(() => undefined);
        if (answer) return answer;
      }
      return this.failure(msg, Rcode.SERVFAIL);
    } finally {
      this.forwards--;
    }
  }
}

function forwardUdp(msg: Buffer, u: { host: string; port: number }): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: isIPv6(u.host) ? 'udp6' : 'udp4' });
    const id = msg.readUInt16BE(0);
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      try {
        s.close();
      } catch {
        /* closed already */
      }
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    s.on('error', () => done(undefined));
    s.on('message', (b) => {
      if (b.length >= 12 && b.readUInt16BE(0) === id) done(b);
    });
    s.send(msg, u.port, u.host, (err) => {
      if (err) done(undefined);
    });
  });
}

function forwardTcp(msg: Buffer, u: { host: string; port: number }): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: u.host, port: u.port });
    let got: Buffer = Buffer.alloc(0);
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    s.on('error', () => done(undefined));
    s.on('connect', () => {
      const frame = Buffer.alloc(2);
      frame.writeUInt16BE(msg.length);
      s.write(Buffer.concat([frame, msg]));
    });
    s.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0)));
    });
    s.on('close', () => done(undefined));
  });
}
