// Shared plumbing of the DaemonSet / GC / leader integration suites: a real API server in
// process (temp SQLite dir, 127.0.0.1:0) running the controller manager, an HTTP client for the
// test's own writes (as kubectl or an agent would make them), a history of every watch event of
// pods (and DaemonSets) in arrival order, and a fake kubelet that reports pods Running/Ready
// through /status as they are bound to nodes.

import type { DaemonSet, KubeObject, Node, Pod, Taint, Toleration } from '../../src/api/types.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/apiserver/index.js';
import {
  loadKubeconfig,
  HttpTransport,
  Informer,
  RestClient,
  daemonSetsResource,
  endpointsResource,
  isConflict,
  isNotFound,
  nodesResource,
  podsResource,
  type ResourceDescriptor,
} from '../../src/client/index.js';
import type { ControllersOptions } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/util/logger.js';
import { type Cleanup, makeTempDir } from '../helpers/index.js';

export const ns = 'default';
export const hashLabel = 'controller-revision-hash';

export interface Cluster {
  server: RunningServer;
  /** Over HTTP, like kubectl. */
  client: RestClient;
  dataDir: string;
}

/** Short timings so node removal and leader changes happen within a test's patience. */
export const fastControllers: ControllersOptions = {
  leaderElection: false,
  garbageCollector: { podGC: { quarantineMs: 500, gcCheckPeriodMs: 500 } },
  nodeLifecycle: { gracePeriodMs: 60_000 },
};

export async function startCluster(cleanup: Cleanup, controllers: ControllersOptions | false = fastControllers, dataDir?: string, serverOptions: Partial<ServerOptions> = {}): Promise<Cluster> {
  const dir = dataDir ?? makeTempDir(cleanup, 'ds-int');
  const server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', compaction: false, logger: silentLogger, controllers, ...serverOptions });
  cleanup.defer(() => server.close(), `apiserver ${server.url}`);
  const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath) });
  cleanup.defer(() => transport.destroy(), 'http transport');
  return { server, client: new RestClient(transport.request), dataDir: dir };
}

/**
 * Nodes `names` on cluster `c` with a HostNetworkKubelet reporting their pods (stopped by
 * `cleanup`): the setup of the suites whose daemons are reached at their node's address.
 */
export async function startHostNetworkNodes(c: Cluster, cleanup: Cleanup, names: string[], nodeIP: (node: string) => string): Promise<HostNetworkKubelet> {
  await createNodes(c, names);
  const kubelet = new HostNetworkKubelet(c.client, nodeIP);
  await kubelet.start();
  cleanup.defer(() => kubelet.stop(), 'fake kubelet');
  return kubelet;
}

/** The Endpoints `name` of the test namespace, or undefined when there is none. */
export function getEndpoints<T extends KubeObject>(c: Cluster, name: string): Promise<T | undefined> {
  return c.client.get<T>(endpointsResource, ns, name).then(
    (e) => e,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );
}

export function makeNode(name: string, labels: Record<string, string> = {}, taints?: Taint[]): Node {
  const n: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: {} };
  if (taints) n.spec = { taints };
  return n;
}

export async function createNodes(c: Cluster, names: string[], labels: Record<string, string> = {}): Promise<void> {
  await Promise.all(names.map((n) => c.client.create(nodesResource, '', makeNode(n, labels))));
}

export interface DsSpecOptions {
  image?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  strategy?: DaemonSet['spec']['updateStrategy'];
  minReadySeconds?: number;
  app?: string;
}

export function makeDaemonSet(name: string, o: DsSpecOptions = {}): DaemonSet {
  const app = o.app ?? name;
  const ds: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [{ name: 'agent', image: o.image ?? 'busybox:1', command: ['sleep', '3600'] }],
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.tolerations ? { tolerations: o.tolerations } : {}),
        },
      },
      ...(o.strategy ? { updateStrategy: o.strategy } : {}),
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
    },
  } as DaemonSet;
  return ds;
}

export function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The pod without the fields adoption/orphaning and bookkeeping may change: what must stay equal when a DaemonSet is deleted with orphan propagation and then adopted again. */
export function comparablePod(p: Pod): unknown {
  const c = structuredClone(p);
  delete c.metadata.ownerReferences;
  delete c.metadata.resourceVersion;
  delete c.metadata.managedFields;
  return c;
}

export function ownerName(o: KubeObject): string | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller)?.name;
}

export interface RecordedEvent<T extends KubeObject = KubeObject> {
  seq: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  obj: T;
}

/**
 * Every watch event of the given resources in one global order (informer semantics: a list,
 * then watch; one JS thread delivers events, so `seq` orders events across resources as this
 * client received them).
 */
export class EventLog {
  readonly events: RecordedEvent[] = [];
  private readonly informers: Informer[] = [];
  private seq = 0;

  constructor(private readonly client: RestClient) {}

  async watch(resource: ResourceDescriptor, onEvent?: (e: RecordedEvent) => void): Promise<Informer> {
    const inf = new Informer<KubeObject>(this.client, resource, { namespace: resource.namespaced ? ns : undefined });
    const rec = (type: RecordedEvent['type'], obj: KubeObject): void => {
      const e: RecordedEvent = { seq: ++this.seq, type, resource: resource.plural, obj };
      this.events.push(e);
      onEvent?.(e);
    };
    inf.addEventHandler({
      add: (o) => rec('ADDED', o),
      update: (_a, b) => rec('MODIFIED', b),
      delete: (o) => rec('DELETED', 'obj' in o && 'key' in o ? (o as { obj: KubeObject }).obj : (o as KubeObject)),
    });
    inf.start();
    await inf.waitForSync();
    this.informers.push(inf);
    return inf;
  }

  of<T extends KubeObject>(resource: string): Array<RecordedEvent<T>> {
    return this.events.filter((e) => e.resource === resource) as Array<RecordedEvent<T>>;
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

/**
 * Replays pod events: calls `check(state)` after every event with the live pods (by UID) as
 * they were at that moment.
 */
export function replayPods(events: Array<RecordedEvent<Pod>>, check: (live: Map<string, Pod>, e: RecordedEvent<Pod>) => void): void {
  const live = new Map<string, Pod>();
  for (const e of events) {
    const uid = e.obj.metadata.uid ?? '';
    if (e.type === 'DELETED') live.delete(uid);
    else live.set(uid, e.obj);
    check(live, e);
  }
}

/**
 * A fake agent's pod watch: `consider` sees every pod of `namespace` (default `ns`; undefined:
 * every namespace) as it is added or updated.
 */
abstract class PodWatchingKubelet {
  protected informer: Informer<Pod> | undefined;
  constructor(
    protected readonly client: RestClient,
    private readonly namespace: string | undefined = ns,
  ) {}

  async start(): Promise<void> {
    const inf = new Informer<Pod>(this.client, podsResource, { namespace: this.namespace });
    inf.addEventHandler({ add: (p) => this.consider(p), update: (_a, b) => this.consider(b) });
    inf.start();
    await inf.waitForSync();
    this.informer = inf;
  }

  protected abstract consider(p: Pod): void;

  async stop(): Promise<void> {
    await this.informer?.stop();
  }
}

/**
 * A fake kubelet: reports every bound pod Running and Ready (merge patch of /status), unless
 * `hold(pod)` says to keep it pending, and finishes graceful deletions at once (DELETE with
 * gracePeriodSeconds 0), as a node agent does after stopping the containers. `release()`
 * re-evaluates held pods.
 */
export class FakeKubelet extends PodWatchingKubelet {
  hold: (pod: Pod) => boolean = () => false;
  private readonly inFlight = new Set<string>();
  private errors: unknown[] = [];

  /** Marks held pods that are no longer held. */
  release(): void {
    for (const p of this.informer?.lister.list() ?? []) this.consider(p);
  }

  failures(): unknown[] {
    return this.errors;
  }

  protected consider(p: Pod): void {
    const uid = p.metadata.uid ?? '';
    if (p.metadata.deletionTimestamp && p.spec.nodeName) {
      const key = `delete/${uid}`;
      if (this.inFlight.has(key)) return;
      this.inFlight.add(key);
      this.client
        .delete(podsResource, p.metadata.namespace ?? ns, p.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } })
        .catch((e: unknown) => {
          if (!isNotFound(e) && !isConflict(e)) this.errors.push(e);
        })
        .finally(() => this.inFlight.delete(key));
      return;
    }
    if (!p.spec.nodeName || isReady(p) || this.hold(p)) return;
    if (this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = {
      phase: 'Running',
      startTime: now,
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
    };
    this.client
      .patch(podsResource, p.metadata.namespace ?? ns, p.metadata.name ?? '', 'merge', { status }, { subresource: 'status' })
      .catch((e: unknown) => {
        if (!isNotFound(e)) this.errors.push(e);
      })
      .finally(() => this.inFlight.delete(uid));
  }
}

/**
 * PATCH retried on 409 Conflict, as kubectl does. (The server should retry a PATCH without a
 * resourceVersion itself; until it does, concurrent writers can see a conflict.)
 */
/**
 * Starts an EventLog watching `resources` (pods by default) and then a FakeKubelet on `c`, so the
 * log sees every write the kubelet makes; both are stopped by `cleanup`.
 */
export async function startEventLogAndKubelet(
  cleanup: Cleanup,
  c: Cluster,
  resources: ResourceDescriptor[] = [podsResource],
): Promise<{ log: EventLog; kubelet: FakeKubelet }> {
  const log = new EventLog(c.client);
  for (const r of resources) await log.watch(r);
  cleanup.defer(() => log.stop());
  const kubelet = new FakeKubelet(c.client);
  await kubelet.start();
  cleanup.defer(() => kubelet.stop());
  return { log, kubelet };
}

export async function patchRetrying<T extends KubeObject>(c: Cluster, r: ResourceDescriptor, namespace: string, name: string, patch: unknown, type: 'strategic' | 'merge' = 'strategic'): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await c.client.patch<T>(r, namespace, name, type, patch);
    } catch (e) {
      if (!isConflict(e) || i >= 10) throw e;
    }
  }
}

export async function getDs(c: Cluster, name: string): Promise<DaemonSet> {
  return c.client.get<DaemonSet>(daemonSetsResource, ns, name);
}

export async function listPods(c: Cluster, app: string): Promise<Pod[]> {
  return (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: `app=${app}` })).items;
}

/** Live pods of `app` (no deletionTimestamp) by node name; undefined when a node holds several. */
export function byNode(pods: Pod[]): Map<string, Pod[]> {
  const m = new Map<string, Pod[]>();
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    const n = p.spec.nodeName ?? '';
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
}

/**
 * True when the DS status reports a finished rollout for the current generation
 * (what `kubectl rollout status` waits for), with `nodes` desired pods.
 */
export function rolledOut(ds: DaemonSet, nodes: number): boolean {
  const s = ds.status;
  return (
    !!s &&
    (s.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0) &&
    s.desiredNumberScheduled === nodes &&
    s.currentNumberScheduled === nodes &&
    (s.updatedNumberScheduled ?? 0) === nodes &&
    (s.numberAvailable ?? 0) === nodes &&
    s.numberReady === nodes &&
    (s.numberUnavailable ?? 0) === 0 &&
    s.numberMisscheduled === 0
  );
}

/**
 * A fake agent: reports each bound pod Running and Ready once, with hostIP = podIP = its node's
 * address (host networking, as src/agent's pod worker writes it), and finishes graceful
 * deletions at once. Later status changes are the test's.
 */
export class HostNetworkKubelet extends PodWatchingKubelet {
  private readonly reported = new Set<string>();
  readonly errors: unknown[] = [];
  constructor(
    client: RestClient,
    /** A node's InternalIP, reported as hostIP and podIP of its pods. */
    private readonly nodeIP: (node: string) => string,
  ) {
    super(client);
  }

  protected consider(p: Pod): void {
    const uid = p.metadata.uid ?? '';
    const node = p.spec.nodeName;
    if (!node) return;
    if (p.metadata.deletionTimestamp) {
      if (this.reported.has(`delete/${uid}`)) return;
      this.reported.add(`delete/${uid}`);
      this.client.delete(podsResource, ns, p.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } }).catch((e: unknown) => {
        if (!isNotFound(e)) this.errors.push(e);
      });
      return;
    }
    if (this.reported.has(uid)) return;
    this.reported.add(uid);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ip = this.nodeIP(node);
    const status = {
      phase: 'Running',
      startTime: now,
      hostIP: ip,
      hostIPs: [{ ip }],
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
    };
    this.client.patch(podsResource, ns, p.metadata.name ?? '', 'merge', { status }, { subresource: 'status' }).catch((e: unknown) => {
      if (!isNotFound(e)) this.errors.push(e);
    });
  }
}
