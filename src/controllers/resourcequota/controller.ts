// ResourceQuotaController: every ResourceQuota's status says what it enforces (status.hard, a
// copy of spec.hard) and what the objects of its namespace use of it (status.used), as
// upstream's resource quota controller keeps it. The API server's quota admission charges
// creates to status.used as they happen (apiserver/resource-quota.ts); this controller computes
// the whole usage again, which gives a new quota its first status and gives back what deleted
// objects used.
//
// Contract: level-triggered on `namespace/name` keys of quotas.
// - A quota is synced when it is added, when its spec.hard changes (status-only writes, such as
//   admission's charges, are not a reason), every `resyncPeriodMs` (default 5 min, upstream's
//   --resource-quota-sync-period), and when usage goes down in its namespace: a pod or service is
//   deleted, a pod stops counting (Succeeded or Failed), a service changes between ClusterIP,
//   NodePort and LoadBalancer, or an object it counts (`count/...`, configmaps, secrets...) is
//   deleted. A CustomResourceDefinition that appears syncs every quota (a `count/` of its kind
//   becomes computable).
// - sync: status.hard = spec.hard; status.used = for each resource of spec.hard that an
//   evaluator computes (api/quota.ts), the sum over the namespace's objects in the informer
//   caches that the quota's scopes match (0 when none); other resources keep what status.used
//   had, and resources no longer in spec.hard are dropped. Written only when it differs, as an
//   update of /status carrying the resourceVersion read (a conflict retries from a fresh cache).
// - A sync that fills status.hard with resources it lacked (a new quota, a new limit) is
//   followed by one more `settleMs` later: until the first, admission did not charge those
//   resources, and objects created just before may not have reached the caches yet.
// - Objects of a counted resource whose cache has not synced within `cacheWaitMs` keep their
//   old usage, and the quota is retried with back-off.

import { builtinKinds, type KubeObject, type Pod } from '../../api/index.js';
import {
  addLists,
  countedResources,
  listsEqual,
  maskList,
  podCountsForQuota,
  quotaEvaluatorFor,
  resourceList,
  resourceListJson,
  type GroupResource,
  type QuotaEvaluator,
  type ResourceList,
  type ResourceQuota,
} from '../../api/quota.js';
import {
  type ApiClient,
  type Clock,
  type DeletedFinalStateUnknown,
  type Informer,
  type ResourceDescriptor,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  isTombstone,
  podsResource,
  servicesResource,
  resourceQuotasResource,
  customResourceDefinitionsResource,
  customResourceOf,
  realClock,
} from '../../client/index.js';

export interface ResourceQuotaControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  onError?: (err: unknown) => void;
  /** Every quota is computed again this often (default 5 min). */
  resyncPeriodMs?: number;
  /** How long a sync waits for the cache of a counted resource (default 2 s). */
  cacheWaitMs?: number;
  /** When a quota's status.hard is (re)filled, it is computed once more this much later (default 1 s). */
  settleMs?: number;
}

type Service = KubeObject & { spec?: { type?: string } };

const zero = { mantissa: 0n, exp10: 0, format: 'DecimalSI' as const };

/** The kind of a service as quota sees it: NodePort, LoadBalancer or anything else. */
function quotaServiceType(s: Service): string {
  const t = s.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer' ? t : '';
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export class ResourceQuotaController {
  private readonly client: ApiClient;
  private readonly informers: SharedInformerFactory;
  private readonly clock: Clock;
  private readonly onError: (err: unknown) => void;
  private readonly resyncPeriodMs: number;
  private readonly cacheWaitMs: number;
  private readonly settleMs: number;
  private readonly quotas: Informer<ResourceQuota>;
  private readonly pods: Informer<Pod>;
  private readonly services: Informer<Service>;
  private readonly crds: Informer<KubeObject>;
  /** Informers of counted resources, by `resource.group`, each with a delete handler added once. */
  private readonly counted = new Map<string, Informer<KubeObject>>();
  readonly queue: RateLimitingQueue<string>;

  constructor(o: ResourceQuotaControllerOptions) {
    this.client = o.client;
    this.informers = o.informers;
    this.clock = o.clock ?? realClock;
    this.onError = o.onError ?? (() => {});
    this.resyncPeriodMs = o.resyncPeriodMs ?? 5 * 60_000;
    this.cacheWaitMs = o.cacheWaitMs ?? 2_000;
    this.settleMs = o.settleMs ?? 1_000;
    this.queue = new RateLimitingQueue<string>(this.clock);
    this.quotas = o.informers.forResource<ResourceQuota>(resourceQuotasResource);
    this.pods = o.informers.forResource<Pod>(podsResource);
    this.services = o.informers.forResource<Service>(servicesResource);
    this.crds = o.informers.forResource<KubeObject>(customResourceDefinitionsResource);
    this.quotas.addEventHandler({
      add: (q) => this.queue.add(keyOf(q)),
      update: (old, q) => {
        const hard = resourceList(q.spec?.hard);
        if (!listsEqual(resourceList(old.spec?.hard), hard) || !listsEqual(resourceList(q.status?.hard), hard)) this.queue.add(keyOf(q));
      },
    });
    const deleted = (gr: GroupResource) => (obj: KubeObject | DeletedFinalStateUnknown<KubeObject>) => this.replenish(gr, isTombstone(obj) ? obj.obj : obj);
    this.pods.addEventHandler({
      update: (old, pod) => {
        const now = this.clock.now();
        if (podCountsForQuota(old, now) && !podCountsForQuota(pod, now)) this.replenish({ group: '', resource: 'pods' }, pod);
      },
      delete: deleted({ group: '', resource: 'pods' }),
    });
    this.services.addEventHandler({
      update: (old, s) => {
        if (quotaServiceType(old) !== quotaServiceType(s)) this.replenish({ group: '', resource: 'services' }, s);
      },
      delete: deleted({ group: '', resource: 'services' }),
    });
    this.crds.addEventHandler({
      add: () => this.enqueueAll(),
      update: (old, crd) => {
        if (!customResourceOf(old) && customResourceOf(crd)) this.enqueueAll();
      },
    });
  }

  /** Runs `workers` workers, and the periodic full resync, until `signal` aborts. */
  run(signal: AbortSignal, workers = 2): Promise<void> {
    const timer = setInterval(() => this.enqueueAll(), this.resyncPeriodMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    return runQueueWorkers({ queue: this.queue, caches: [this.quotas, this.pods, this.services, this.crds], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  private enqueueAll(): void {
    for (const q of this.quotas.lister.list()) this.queue.add(keyOf(q));
  }

  /** Queues the quotas of `obj`'s namespace that count `gr` (usage went down there). */
  private replenish(gr: GroupResource, obj: KubeObject): void {
    const e = quotaEvaluatorFor(gr);
    for (const q of this.quotas.lister.namespace(obj.metadata.namespace ?? '').list()) {
      if (e.matchingResources(Object.keys(q.status?.hard ?? {})).length > 0) this.queue.add(keyOf(q));
    }
  }

  /** The resource a `count/` name counts, when this server serves it (built in, or a CRD's). */
  private descriptorOf(gr: GroupResource): ResourceDescriptor | undefined {
    const k = builtinKinds().find((x) => !x.view && x.namespaced && x.group === gr.group && x.plural === gr.resource);
    if (k) return { group: k.group, version: k.version, plural: k.plural, namespaced: true, kind: k.kind };
    for (const crd of this.crds.lister.list()) {
      const r = customResourceOf(crd);
      if (r && r.namespaced && r.group === gr.group && r.plural === gr.resource) return r;
    }
    return undefined;
  }

  /** The informer of a counted resource, made (with its delete handler) on first use. */
  private countedInformer(gr: GroupResource, r: ResourceDescriptor): Informer<KubeObject> {
    const id = `${gr.resource}.${gr.group}`;
    let inf = this.counted.get(id);
    if (!inf) {
      inf = this.informers.forResource<KubeObject>(r);
      inf.addEventHandler({ delete: (obj) => this.replenish(gr, isTombstone(obj) ? obj.obj : obj) });
      this.counted.set(id, inf);
    }
    return inf;
  }

  private async synced(inf: Informer<KubeObject>): Promise<boolean> {
    if (inf.hasSynced()) return true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inf.waitForSync(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.cacheWaitMs)))]);
    clearTimeout(timer);
    return inf.hasSynced();
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const q = this.quotas.lister.namespace(namespace).get(key.slice(slash + 1));
    if (!q) return;
    const hard = resourceList(q.spec?.hard);
    const names = [...hard.keys()];
    const now = this.clock.now();
    /** The usage of `objs` for the resources of `names` that `e` computes (zeros included). */
    const usage = (e: QuotaEvaluator, objs: KubeObject[]): ResourceList => {
      const tracked = e.matchingResources(names);
      let sum: ResourceList = new Map(tracked.map((n) => [n, zero]));
      if (tracked.length === 0) return sum;
      for (const o of objs) if (e.matchesScopes(q, o)) sum = addLists(sum, maskList(e.usage(o, now), tracked));
      return sum;
    };
    const computed: ResourceList[] = [
      usage(quotaEvaluatorFor({ group: '', resource: 'pods' }), this.pods.lister.namespace(namespace).list()),
      usage(quotaEvaluatorFor({ group: '', resource: 'services' }), this.services.lister.namespace(namespace).list()),
    ];
    let incomplete = false;
    for (const gr of countedResources(names)) {
      if (!gr.group && gr.resource === 'events') continue;
      const r = this.descriptorOf(gr);
      if (!r) continue;
      const inf = this.countedInformer(gr, r);
      if (!(await this.synced(inf))) {
        incomplete = true;
        continue;
      }
      computed.push(usage(quotaEvaluatorFor(gr), inf.lister.namespace(namespace).list()));
    }
    const used = new Map(resourceList(q.status?.used));
    for (const c of computed) for (const [k, v] of c) used.set(k, v);
    const status = { hard: resourceListJson(hard), used: resourceListJson(maskList(used, names)) };
    const same = listsEqual(resourceList(q.status?.hard), hard) && listsEqual(resourceList(q.status?.used), maskList(used, names)) && q.status?.hard !== undefined && q.status?.used !== undefined;
    if (!same) await this.client.updateStatus(resourceQuotasResource, namespace, { ...q, status } as ResourceQuota);
    // Until now admission did not charge the resources just put in status.hard: objects created
    // meanwhile may still be on their way to the caches. One more pass counts them.
    if (!listsEqual(resourceList(q.status?.hard), hard)) this.queue.addAfter(key, this.settleMs);
    if (incomplete) throw new Error(`resource quota ${key}: the cache of a counted resource has not synced; its usage is kept until it has`);
  }
}
