// The `default/kubernetes` Service and its Endpoints: the API servers, as upstream's bootstrap
// controller and its lease endpoint reconciler keep them, so `kubectl get svc` in a fresh
// cluster shows them, the cluster DNS answers `kubernetes.default.svc`, and clients that look
// up the API servers through the Endpoints find every live one.
//
// Contract:
// - Every `intervalMs` (default 10 s; first at start) each server renews its lease, the store
//   key `/everynode/apiserver-leases/<address>:<port>` holding the time of the renewal, and
//   deletes leases not renewed for 3 intervals (a stopped or dead server). stop() deletes this
//   server's lease.
// - Then it makes sure the Service exists: ClusterIP, the first address of the service range
//   (10.96.0.1) when free, else any; port 443 named `https` to this server's port; labels
//   component=apiserver, provider=kubernetes. An existing Service is left as it is (upstream
//   rewrites only a Service whose ports differ; clusters keep what operators changed).
// - And that the Endpoints list exactly the addresses of the live leases (one subset per port,
//   addresses sorted), labelled `endpointslice.kubernetes.io/skip-mirror: "true"` as upstream's
//   EndpointsAdapter labels them, written only when different. No other controller touches
//   them: the Service has no selector, and the label keeps the EndpointSliceMirroring
//   controller from mirroring them.
// - And that the EndpointSlice `default/kubernetes` (upstream's name: the Service's, no
//   generated suffix) holds the first subset of those Endpoints, as upstream's EndpointsAdapter
//   writes it: label `kubernetes.io/service-name: kubernetes` only, address type IPv6 when every
//   address is IPv6 else IPv4, the subset's ports, one ready endpoint per address; written only
//   when its endpoints, ports or labels differ, deleted and recreated when the address type
//   changes (it is immutable), deleted when no server is live. Servers on different ports give
//   several subsets; like upstream, only the first is in the slice.
// - Writes go through the API (the in-process transport, validation and allocation as for any
//   client); conflicts and errors are logged at most once a minute and retried next interval.

import type { KubeObject } from '../api/types.js';
import { endpointSlicesResource, endpointsResource, isAlreadyExists, isConflict, isNotFound, servicesResource, type ApiClient } from '../client/index.js';
import { StorageError, type Store } from '../storage/index.js';
import type { Logger } from '../util/logger.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const LEASE_PREFIX = '/everynode/apiserver-leases/';
const labels = { component: 'apiserver', provider: 'kubernetes' };
/** Upstream's label telling the EndpointSliceMirroring controller to leave an Endpoints alone. */
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type Subset = { addresses: Array<{ ip: string }>; ports: Array<{ name: string; port: number; protocol: string }> };
type Endpoints = KubeObject & { subsets?: Subset[] };
type EndpointSlice = KubeObject & {
  addressType: string;
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> | null;
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null;
};

/** The `default/kubernetes` EndpointSlice for the first subset, as upstream's EndpointsAdapter builds it. */
export function kubernetesEndpointSlice(subset: Subset): EndpointSlice {
  const ips = subset.addresses.map((a) => a.ip);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE } },
    addressType: ips.length > 0 && ips.every((ip) => ip.includes(':')) ? 'IPv6' : 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: subset.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
  };
}

/**
 * Whether another API server shares the store: a lease other than `self` (`<address>:<port>`, or
 * undefined before this server knows its address) renewed within the last 40 s.
 */
export async function otherServersLive(store: Store, self: string | undefined, now = Date.now()): Promise<boolean> {
  const { items } = await store.list(LEASE_PREFIX);
  return items.some((kv) => {
    if (self !== undefined && kv.key === LEASE_PREFIX + self) return false;
    try {
      const t = (JSON.parse(kv.value) as { renewTime?: unknown }).renewTime;
      return typeof t === 'number' && now - t <= 40_000;
    } catch {
      return false;
    }
  });
}

export interface KubernetesServiceOptions {
  store: Store;
  client: ApiClient;
  /** The address clients reach this server at (an IP), and its port. */
  address: string;
  port: number;
  logger: Logger;
  intervalMs?: number;
  /** The first address of the service range (default 10.96.0.1). */
  clusterIP?: string;
  now?: () => number;
}

export interface KubernetesServiceReconciler {
  /** One pass now (tests). */
  reconcileNow(): Promise<void>;
  stop(): Promise<void>;
}

export function startKubernetesService(o: KubernetesServiceOptions): KubernetesServiceReconciler {
  const intervalMs = o.intervalMs ?? 10_000;
  const now = o.now ?? Date.now;
  const myKey = `${LEASE_PREFIX}${o.address}:${o.port}`;
  let lastComplaint = -Infinity;
  let running: Promise<void> | undefined;
  let stopped = false;

  const renewLease = async (): Promise<Array<{ ip: string; port: number }>> => {
    const body = JSON.stringify({ address: o.address, port: o.port, renewTime: now() });
    const mine = await o.store.get(myKey);
    try {
      if (mine) await o.store.update(myKey, body, mine.modRevision);
      else await o.store.create(myKey, body);
    } catch (err) {
      if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'AlreadyExists' || err.code === 'NotFound'))) throw err;
    }
    const live: Array<{ ip: string; port: number }> = [];
    for (const kv of (await o.store.list(LEASE_PREFIX)).items) {
      let lease: { address?: unknown; port?: unknown; renewTime?: unknown };
      try {
        lease = JSON.parse(kv.value) as typeof lease;
      } catch {
        lease = {};
      }
      const fresh = typeof lease.renewTime === 'number' && now() - lease.renewTime <= 3 * intervalMs;
      if (kv.key !== myKey && !fresh) {
        await o.store.delete(kv.key, kv.modRevision).catch(() => undefined);
        continue;
      }
      if (typeof lease.address === 'string' && typeof lease.port === 'number') live.push({ ip: lease.address, port: lease.port });
    }
    return live;
  };

  const ensureService = async (): Promise<void> => {
    try {
      await o.client.get(servicesResource, 'default', KUBERNETES_SERVICE);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const service = (clusterIP?: string): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels },
        spec: { type: 'ClusterIP', sessionAffinity: 'None', ...(clusterIP ? { clusterIP } : {}), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }] },
      }) as unknown as KubeObject;
    try {
      await o.client.create(servicesResource, 'default', service(o.clusterIP ?? '10.96.0.1'));
    } catch (err) {
      if (isAlreadyExists(err)) return;
      // The first address is taken (a Service made before this reconciler existed): any other.
      await o.client.create(servicesResource, 'default', service()).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
  };

  /** Returns the subsets the Endpoints should hold (written or already there). */
  const ensureEndpoints = async (live: Array<{ ip: string; port: number }>): Promise<Subset[]> => {
    const byPort = new Map<number, string[]>();
    for (const l of live) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l.ip]);
    const subsets: Subset[] = [...byPort.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([port, ips]) => ({ addresses: [...new Set(ips)].sort().map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }));
    let current: Endpoints | undefined;
    try {
      current = await o.client.get<Endpoints>(endpointsResource, 'default', KUBERNETES_SERVICE);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const want = subsets.length > 0 ? { subsets } : {};
    const epLabels = { ...labels, [SKIP_MIRROR_LABEL]: 'true' };
    if (current && JSON.stringify(current.subsets ?? []) === JSON.stringify(subsets) && current.metadata.labels?.[SKIP_MIRROR_LABEL] === 'true') return subsets;
    const next = { apiVersion: 'v1', kind: 'Endpoints', metadata: current ? { ...current.metadata, labels: { ...(current.metadata.labels ?? {}), ...epLabels } } : { name: KUBERNETES_SERVICE, namespace: 'default', labels: epLabels }, ...want } as Endpoints;
    try {
      if (current) await o.client.update(endpointsResource, 'default', next);
      else await o.client.create(endpointsResource, 'default', next);
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err))) throw err;
    }
    return subsets;
  };

  const ensureEndpointSlice = async (first: Subset | undefined): Promise<void> => {
    let current: EndpointSlice | undefined;
    try {
      current = await o.client.get<EndpointSlice>(endpointSlicesResource, 'default', KUBERNETES_SERVICE);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!first) {
      if (current) await o.client.delete(endpointSlicesResource, 'default', KUBERNETES_SERVICE).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      return;
    }
    const want = kubernetesEndpointSlice(first);
    try {
      if (!current) {
        await o.client.create(endpointSlicesResource, 'default', want);
        return;
      }
      if (current.addressType !== want.addressType) {
        // addressType is immutable: replace the slice.
        await o.client.delete(endpointSlicesResource, 'default', KUBERNETES_SERVICE, { preconditions: { uid: current.metadata.uid ?? '' } });
        await o.client.create(endpointSlicesResource, 'default', want);
        return;
      }
      const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
      const sameLabels = JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(want.metadata.labels);
      if (sameLabels && same(current.endpoints, want.endpoints) && same(current.ports, want.ports)) return;
      await o.client.update(endpointSlicesResource, 'default', { ...current, metadata: { ...current.metadata, labels: want.metadata.labels }, endpoints: want.endpoints, ports: want.ports });
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err) || isNotFound(err))) throw err;
    }
  };

  const reconcile = (): Promise<void> => {
    running ??= (async () => {
      try {
        const live = await renewLease();
        if (stopped) return;
        await ensureService();
        const subsets = await ensureEndpoints(live);
        await ensureEndpointSlice(subsets[0]);
      } catch (err) {
        if (!stopped && now() - lastComplaint > 60_000) {
          lastComplaint = now();
          o.logger.warn('keeping the default/kubernetes Service and Endpoints failed (retried)', err);
        }
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void reconcile(), intervalMs);
  timer.unref();
  void reconcile();
  return {
    reconcileNow: reconcile,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      // This server leaves the Endpoints at the next pass of another server.
      const mine = await o.store.get(myKey).catch(() => undefined);
      if (mine) await o.store.delete(myKey, mine.modRevision).catch(() => undefined);
    },
  };
}
