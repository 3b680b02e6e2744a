// The agent's node-port proxy: kube-proxy's userspace mode, reduced to node ports, so that "a
// Service with the DaemonSet's selector reaches the daemon on some node" works without iptables.
//
// Contract:
// - For every Service of type NodePort, or LoadBalancer with node ports, the agent listens on
//   its node's address at each TCP port's `nodePort` and passes every connection to one of the
//   Service's endpoints for that port, picked at random, or by client address with
//   `sessionAffinity: ClientIP` (the same endpoint while it stays usable). Bytes flow both ways
//   with backpressure; either side closing or failing ends both.
// - Endpoints come from the Service's EndpointSlices (label kubernetes.io/service-name: the
//   controller's and any written by hand, as kube-proxy reads them), the port matched by name:
//   the ready ones; when none is ready, those still serving while they terminate (a daemon
//   draining during a rollout or a deletion keeps its connections coming, as kube-proxy's
//   CategorizeEndpoints). An endpoint in several slices counts once.
// - `externalTrafficPolicy: Local` services take only endpoints on this node (a node without
//   one refuses the connection, as kube-proxy drops it).
// - A connection with no usable endpoint is closed at once.
// - Level-triggered: Services and EndpointSlices come from informers; any change schedules one
//   reconcile (listeners opened and closed to match the wanted set); endpoints are read per
//   connection, so a new connection always sees the current ones. A port that cannot be bound
//   (in use) is tried again at every reconcile and every 10 s, logged once.
// - Not served: UDP and SCTP ports, cluster IPs (nothing routes them), external IPs.

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { KubeObject } from '../api/types.js';
import { endpointSlicesResource, Informer, servicesResource, type ApiClient } from '../client/index.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/index.js';


interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  nodePort?: number;
}

interface Service extends KubeObject {
  spec?: {
    type?: string;
    ports?: ServicePort[];
    sessionAffinity?: string;
    externalTrafficPolicy?: string;
    allocateLoadBalancerNodePorts?: boolean;
  };
}

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: { addresses?: string[]; nodeName?: string; conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } }[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

const serviceNameLabel = 'kubernetes.io/service-name';
const byServiceIndex = 'service';

/** One listener: a node port of one Service port. */
interface Listener {
  key: string;
  server: Server;
  /** Set once listening; false while a bind failed (retried). */
  bound: boolean;
}

export interface ServiceProxyOptions {
  client: ApiClient;
  nodeName: string;
  /** The address node ports are served on (the node's InternalIP). */
  address: string;
  logger: Logger;
  random?: () => number;
}

/** What the proxy serves at one node port. */
interface Target {
  namespace: string;
  name: string;
  portName: string;
  clientAffinity: boolean;
  localOnly: boolean;
}

export class ServiceProxy {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly listeners = new Map<number, Listener>();
  /** What each node port serves now (read per connection). */
  private readonly targets = new Map<number, Target>();
  private readonly affinity = new Map<string, string>();
  private readonly warned = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private scheduled: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly random: () => number;

  constructor(private readonly o: ServiceProxyOptions) {
    this.random = o.random ?? Math.random;
    this.services = new Informer<Service>(o.client, servicesResource, { onError: (err) => o.logger.debug('service watch', errorMessage(err)) });
    this.slices = new Informer<EndpointSlice>(o.client, endpointSlicesResource, { onError: (err) => o.logger.debug('endpointslice watch', errorMessage(err)) });
    this.slices.addIndexers({ [byServiceIndex]: (e) => {
      const svc = e.metadata.labels?.[serviceNameLabel];
      return svc ? [`${e.metadata.namespace ?? ''}/${svc}`] : [];
    } });
    const changed = { add: () => this.schedule(), update: () => this.schedule(), delete: () => this.schedule() };
    this.services.addEventHandler(changed);
  }

  start(): void {
    this.services.start();
    this.slices.start();
    this.retry = setInterval(() => this.schedule(), 10_000);
    this.retry.unref();
  }

  /** Resolves once both caches have synced and the first reconcile ran. */
  async ready(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.slices.waitForSync()]);
    await this.reconcile();
  }

  /** The node ports served now (bound listeners). */
  boundPorts(): number[] {
    return [...this.listeners.values()].filter((l) => l.bound).map((l) => Number(l.key.split(':')[1]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    if (this.retry) clearInterval(this.retry);
    await Promise.all([this.services.stop(), this.slices.stop()]);
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.listeners.keys()].map((port) => this.close(port)));
  }

  private schedule(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      void this.reconcile().catch((err: unknown) => this.o.logger.warn('node port proxy', errorMessage(err)));
    }, 50);
  }

  /** Opens and closes listeners to match the Services' node ports. */
  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<number, Target>();
    for (const svc of this.services.indexer.list()) {
      const spec = svc.spec ?? {};
      const nodePorts = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
      if (!nodePorts) continue;
      for (const p of spec.ports ?? []) {
        if (!p.nodePort || (p.protocol ?? 'TCP') !== 'TCP') continue;
        wanted.set(p.nodePort, {
          namespace: svc.metadata.namespace ?? '',
          name: svc.metadata.name ?? '',
          portName: p.name ?? '',
          clientAffinity: spec.sessionAffinity === 'ClientIP',
          localOnly: spec.externalTrafficPolicy === 'Local',
        });
      }
    }
    this.targets.clear();
    for (const [port, t] of wanted) this.targets.set(port, t);
    for (const port of [...this.listeners.keys()]) if (!wanted.has(port)) await this.close(port);
    for (const port of wanted.keys()) {
      const l = this.listeners.get(port);
      if (!l || !l.bound) await this.open(port);
    }
  }

  private async open(port: number): Promise<void> {
    const key = `${this.o.address}:${port}`;
    const previous = this.listeners.get(port);
    if (previous) previous.server.close();
    const server = createServer((socket) => this.accept(port, socket));
    // Errors after listening (none expected) must not end the agent.
    server.on('error', (err) => this.o.logger.debug(`node port ${key}`, errorMessage(err)));
    const l: Listener = { key, server, bound: false };
    this.listeners.set(port, l);
    await new Promise<void>((resolve) => {
      server.once('error', (err) => {
        if (!this.warned.has(key)) {
          this.warned.add(key);
          this.o.logger.warn(`node port ${key} not served (tried again every 10 s)`, errorMessage(err));
        }
        resolve();
      });
      server.listen(port, this.o.address, () => {
        l.bound = true;
        this.warned.delete(key);
        resolve();
      });
    });
    if (this.stopped || this.listeners.get(port) !== l) server.close();
  }

  private async close(port: number): Promise<void> {
    const l = this.listeners.get(port);
    if (!l) return;
    this.listeners.delete(port);
    if (!l.bound) return;
    await new Promise<void>((resolve) => l.server.close(() => resolve()));
  }

  /**
   * The endpoints a target's connections go to, as ip:port (this node's only with `localOnly`):
   * the ready ones, else the serving terminating ones (see the file comment).
   */
  endpointsOf(t: Target): { ip: string; port: number }[] {
    const ready = new Map<string, { ip: string; port: number }>();
    const draining = new Map<string, { ip: string; port: number }>();
    for (const slice of this.slices.indexer.byIndex(byServiceIndex, `${t.namespace}/${t.name}`)) {
      if (slice.addressType === 'FQDN') continue;
      const port = (slice.ports ?? []).find((p) => (p.name ?? '') === t.portName && (p.protocol ?? 'TCP') === 'TCP');
      if (port?.port === undefined || port.port === null) continue;
      for (const e of slice.endpoints ?? []) {
        const ip = e.addresses?.[0];
        if (!ip || (t.localOnly && e.nodeName !== this.o.nodeName)) continue;
        const c = e.conditions ?? {};
        // Unset conditions: ready, and serving as ready says (discovery/v1's defaults).
        const isReady = c.ready !== false;
        const serving = c.serving ?? isReady;
        const at = { ip, port: port.port };
        if (isReady && c.terminating !== true) ready.set(`${ip}:${port.port}`, at);
        else if (serving && c.terminating === true) draining.set(`${ip}:${port.port}`, at);
      }
    }
    return [...(ready.size > 0 ? ready : draining).values()];
  }

  private accept(nodePort: number, socket: Socket): void {
    const t = this.targets.get(nodePort);
    const candidates = t ? this.endpointsOf(t) : [];
    if (!t || candidates.length === 0) {
      socket.destroy();
      return;
    }
    let pick = candidates[Math.floor(this.random() * candidates.length)]!;
    if (t.clientAffinity) {
      const key = `${t.namespace}/${t.name}:${t.portName}/${socket.remoteAddress ?? ''}`;
      const kept = this.affinity.get(key);
      const still = kept !== undefined ? candidates.find((c) => `${c.ip}:${c.port}` === kept) : undefined;
      if (still) pick = still;
      else {
        if (this.affinity.size >= 10_000) this.affinity.clear();
        this.affinity.set(key, `${pick.ip}:${pick.port}`);
      }
    }
    const upstream = connect({ host: pick.ip, port: pick.port });
    this.sockets.add(socket);
    this.sockets.add(upstream);
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
      this.sockets.delete(socket);
      this.sockets.delete(upstream);
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    socket.pipe(upstream);
    upstream.pipe(socket);
  }
}
