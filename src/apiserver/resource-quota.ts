// Upstream's ResourceQuota admission plugin: a namespaced create (and a Service update) that
// would take a namespace past one of its quotas is refused, and one that is let in is charged to
// the quotas' status.used before it is written.
//
// Contract:
// - Which objects count, what they use and which quotas they count against is api/quota.ts. A
//   quota counts nothing until its status.hard names the resource (the resource quota
//   controller fills it); a tracked resource without a status.used entry refuses the object
//   (`status unknown for quota: q, resources: a,b`).
// - Refusals are 403s in upstream's words: `pods "x" is forbidden: exceeded quota: q, requested:
//   pods=1, used: pods=2, limited: pods=2`, or `failed quota: q: must specify limits.cpu for: c`.
//   Reaching a limit exactly is allowed. The first quota (by name) that refuses answers.
// - Requests of one namespace are decided in batches, one at a time: each sees the charges of
//   those before it, and a batch writes each quota it changed once (compare-and-swap on the
//   stored quota). A quota whose write met a newer version is read again and the batch's
//   requests decided again against it, at most 3 times; then they fail with the quota's 409
//   Conflict.
//   A request refused once stays refused.
// - A dry run is checked, never charged. A charge whose object then fails to be written is
//   refunded (`QuotaCharge.refund`), so a create that loses to AlreadyExists costs nothing; so
//   is a charge written to one quota of a request that another quota then refused on a retry.
//   Anything else the controller's recalculation corrects.
// - Subresources, cluster-scoped kinds and events are not checked. Namespaces without a quota
//   cost one cached lookup; the cache is dropped whenever a ResourceQuota changes.

import type { KindDef } from '../api/kinds.js';
import {
  addLists,
  exceeding,
  maskList,
  prettyPrint,
  quotaEvaluatorFor,
  quotaMatches,
  removeZeros,
  resourceList,
  resourceListJson,
  subtractNonNegative,
  type GroupResource,
  type ResourceList,
  type ResourceQuota,
} from '../api/quota.js';
import type { KubeObject } from '../api/types.js';
import { ApiError, conflict, forbidden, qualifiedResource, type ResourceRef } from '../api/errors.js';
import { StorageError, type Store } from '../storage/interface.js';
import { goJsonEscape } from './object-codec.js';
import { keyPrefix } from './registry.js';

/** One write to check: a create, or an update with the stored object. */
export interface QuotaRequest {
  k: KindDef;
  namespace: string;
  object: KubeObject;
  old?: KubeObject;
  dryRun: boolean;
}

/** What a request was charged; refund() takes it back (the object was not written after all). */
export interface QuotaCharge {
  refund(): Promise<void>;
}

/** Resources quota never counts (upstream's ignored set, of those this server serves). */
const ignored = new Set(['/events', 'events.k8s.io/events', '/bindings']);

/** How many times a batch is decided again after a quota's write met a newer version. */
const RETRIES = 3;

interface Loaded {
  name: string;
  key: string;
  quota: ResourceQuota;
  /** The stored text (metadata without resourceVersion) and its revision. */
  stored: Record<string, unknown>;
  modRevision: number;
}

interface Waiter {
  /** A charge to decide; absent for a refund. */
  req?: QuotaRequest;
  /** For a refund: what to take back, per quota. */
  refund?: Map<string, ResourceList>;
  /** Per quota: what this batch is about to write for the waiter. */
  pending: Map<string, ResourceList>;
  /** Per quota: what is written (the charge to refund later). */
  committed: Map<string, ResourceList>;
  error?: ApiError;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class QuotaAdmission {
  /** Namespaces with at least one quota; undefined until read (and after any quota change). */
  private namespaces: Set<string> | undefined;
  private loading: Promise<Set<string>> | undefined;
  private generation = 0;
  private readonly queues = new Map<string, Waiter[]>();

  constructor(
    private readonly store: Store,
    private readonly quotas: KindDef,
    private readonly now: () => number,
  ) {}

  /** Forgets which namespaces have quotas; the next request reads them again. */
  invalidate(): void {
    this.generation++;
    this.namespaces = undefined;
    this.loading = undefined;
  }

  private async namespacesWithQuotas(): Promise<Set<string>> {
    if (this.namespaces) return this.namespaces;
    const gen = this.generation;
    const loading = (this.loading ??= (async () => {
      const set = new Set<string>();
      for (const kv of (await this.store.list(keyPrefix(this.quotas))).items) {
        const ns = (JSON.parse(kv.value) as Partial<KubeObject>).metadata?.namespace;
        if (ns) set.add(ns);
      }
      return set;
    })());
    try {
      const set = await loading;
      if (gen === this.generation) this.namespaces = set;
      return set;
    } catch (err) {
      // A failed read is not kept: the next request reads again.
      if (this.loading === loading) this.loading = undefined;
      throw err;
    } finally {
      if (this.loading === loading && gen !== this.generation) this.loading = undefined;
    }
  }

  /**
   * Checks and charges one write; throws the 403 (or 409) to answer. Resolves to the charge
   * made, or undefined when nothing was charged.
   */
  async admit(req: QuotaRequest): Promise<QuotaCharge | undefined> {
    const gr = groupResourceOf(req.k);
    if (!req.k.namespaced || !req.namespace || ignored.has(`${gr.group}/${gr.resource}`)) return undefined;
    if (!quotaEvaluatorFor(gr).handles(req.old ? 'update' : 'create')) return undefined;
    if (!(await this.namespacesWithQuotas()).has(req.namespace)) return undefined;
    const w = await this.enqueue(req.namespace, { req, pending: new Map(), committed: new Map() });
    if (w.committed.size === 0) return undefined;
    const charged = w.committed;
    return { refund: () => this.enqueue(req.namespace, { refund: charged, pending: new Map(), committed: new Map() }).then(() => undefined) };
  }

  private enqueue(namespace: string, w: Omit<Waiter, 'resolve' | 'reject'>): Promise<Waiter> {
    return new Promise<Waiter>((resolve, reject) => {
      const waiter: Waiter = { ...w, resolve: () => resolve(waiter), reject };
      const queue = this.queues.get(namespace);
      if (queue) {
        queue.push(waiter);
        return;
      }
      this.queues.set(namespace, [waiter]);
      void this.drain(namespace);
    });
  }

  /** Decides the namespace's queued requests, a batch at a time, until none is left. */
  private async drain(namespace: string): Promise<void> {
    for (;;) {
      const batch = this.queues.get(namespace) ?? [];
      if (batch.length === 0) {
        this.queues.delete(namespace);
        return;
      }
      this.queues.set(namespace, []);
      let failure: unknown;
      try {
        await this.decide(await this.load(namespace), batch, RETRIES);
      } catch (err) {
        failure = err;
      }
      for (const w of batch) {
        const error = w.error ?? failure;
        if (error === undefined) {
          w.resolve();
          continue;
        }
        // Refused after a charge was written to some quota (another refused it on a retry, or
        // a write failed): that charge is given back, as if the create had failed.
        if (w.req && w.committed.size > 0) this.enqueue(namespace, { refund: new Map(w.committed), pending: new Map(), committed: new Map() }).catch(() => undefined);
        w.reject(error);
      }
    }
  }

  private async load(namespace: string, names?: Set<string>): Promise<Loaded[]> {
    const out: Loaded[] = [];
    for (const kv of (await this.store.list(keyPrefix(this.quotas, namespace))).items) {
      const stored = JSON.parse(kv.value) as Record<string, unknown>;
      const quota = stored as unknown as ResourceQuota;
      const name = quota.metadata?.name ?? '';
      if (names && !names.has(name)) continue;
      out.push({ name, key: kv.key, quota, stored, modRevision: kv.modRevision });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Decides every waiter against `quotas`, writes the quotas that changed, and on a write that
   * met a newer version decides again against that quota's fresh state.
   */
  private async decide(quotas: Loaded[], batch: Waiter[], retries: number): Promise<void> {
    const used = new Map(quotas.map((q) => [q.name, resourceList(q.quota.status?.used)]));
    const changed = new Set<string>();
    for (const w of batch) {
      w.pending.clear();
      if (w.error) continue;
      if (w.refund) {
        for (const q of quotas) {
          const back = w.refund.get(q.name);
          if (!back || w.committed.has(q.name)) continue;
          used.set(q.name, subtractKeeping(used.get(q.name)!, back));
          w.pending.set(q.name, back);
          changed.add(q.name);
        }
        continue;
      }
      try {
        const charges = this.check(quotas.filter((q) => !w.committed.has(q.name)), used, w.req!);
        if (w.req!.dryRun) continue;
        for (const [name, requested] of charges) {
          used.set(name, addLists(used.get(name)!, requested));
          w.pending.set(name, requested);
          changed.add(name);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        w.error = err;
      }
    }
    const failed = new Set<string>();
    for (const q of quotas) {
      if (!changed.has(q.name)) continue;
      const status = { ...((q.stored.status as Record<string, unknown> | undefined) ?? {}), used: resourceListJson(used.get(q.name)!) };
      try {
        await this.store.update(q.key, goJsonEscape(JSON.stringify({ ...q.stored, status })), q.modRevision);
      } catch (err) {
        if (!(err instanceof StorageError) || (err.code !== 'Conflict' && err.code !== 'NotFound')) throw err;
        failed.add(q.name);
        continue;
      }
      for (const w of batch) {
        const p = w.pending.get(q.name);
        if (p) w.committed.set(q.name, p);
      }
    }
    if (failed.size === 0) return;
    if (retries <= 0) {
      for (const w of batch) {
        const lost = [...w.pending.keys()].find((n) => failed.has(n));
        // The quota's own conflict, as upstream answers with its failed status update.
        if (!w.error && lost !== undefined && w.req) w.error = conflict(refOf(this.quotas), lost);
      }
      return;
    }
    await this.decide(await this.load(quotas[0]!.quota.metadata.namespace ?? '', failed), batch, retries - 1);
  }

  /** The charges of one request per quota name (only non-zero ones), or throws its refusal. */
  private check(quotas: Loaded[], usedBy: Map<string, ResourceList>, req: QuotaRequest): Map<string, ResourceList> {
    const e = quotaEvaluatorFor(groupResourceOf(req.k));
    const obj = req.object;
    const interesting: Loaded[] = [];
    for (const q of quotas) {
      if (!quotaMatches(e, q.quota, obj)) continue;
      const restricted = e.matchingResources(Object.keys(q.quota.status?.hard ?? {}));
      const why = e.constraints(restricted, obj);
      if (why) throw refusal(req, `failed quota: ${q.name}: ${why}`);
      const used = usedBy.get(q.name)!;
      if (restricted.some((r) => !used.has(r))) throw refusal(req, `status unknown for quota: ${q.name}, resources: ${[...restricted].sort().join(',')}`);
      interesting.push(q);
    }
    const charges = new Map<string, ResourceList>();
    if (interesting.length === 0) return charges;
    const now = this.now();
    const usage = e.usage(obj, now);
    const negative = [...usage].filter(([, q]) => q.mantissa < 0n).map(([k]) => k);
    if (negative.length > 0) throw refusal(req, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);
    for (const q of interesting) {
      const old = req.old && quotaMatches(e, q.quota, req.old) ? e.usage(req.old, now) : undefined;
      const hard = resourceList(q.quota.status?.hard);
      const requested = maskList(removeZeros(old ? subtractNonNegative(usage, old) : usage), hard.keys());
      if (requested.size === 0) continue;
      const used = usedBy.get(q.name)!;
      const over = exceeding(maskList(addLists(used, requested), requested.keys()), hard);
      if (over.length > 0) {
        throw refusal(
          req,
          `exceeded quota: ${q.name}, requested: ${prettyPrint(maskList(requested, over))}, used: ${prettyPrint(maskList(used, over))}, limited: ${prettyPrint(maskList(hard, over))}`,
        );
      }
      charges.set(q.name, requested);
    }
    return charges;
  }
}

/** `used - back` for the resources of `back`, never below zero; the other entries kept. */
function subtractKeeping(used: ResourceList, back: ResourceList): ResourceList {
  return new Map([...used, ...subtractNonNegative(maskList(used, back.keys()), back)]);
}

function groupResourceOf(k: KindDef): GroupResource {
  const s = k.view?.stored ?? k;
  return { group: s.group, resource: s.plural };
}

function refOf(k: KindDef): ResourceRef {
  return { group: k.group, resource: k.plural, kind: k.kind };
}

/** Admission's 403: `<resource> "<name>" is forbidden: <why>` (the generated name once there is one). */
function refusal(req: QuotaRequest, why: string): ApiError {
  const ref = refOf(req.k);
  const name = req.object.metadata.name || req.object.metadata.generateName || 'Unknown';
  return forbidden(`${qualifiedResource(ref)} "${name}" is forbidden: ${why}`, ref, name);
}

