// ResourceQuota accounting: what an object of each resource uses, which quotas it counts
// against, and the arithmetic on resource lists, shared by the API server's quota admission
// (apiserver/resource-quota.ts) and the resource quota controller (controllers/resourcequota/).
//
// Contract (upstream's quota evaluators):
// - Pods: `pods` (only while the pod is not terminal: not Succeeded or Failed, and not past its
//   deletion time plus grace), `count/pods` (always), and from the pod's totals (pod-resources.ts,
//   overhead included) `cpu`/`requests.cpu`, `limits.cpu`, the same for memory and
//   ephemeral-storage, `hugepages-*`/`requests.hugepages-*`, and `requests.<extended>`. Charged
//   on create. A quota limiting cpu or memory (requests or limits) requires each container and
//   init container to state that resource (the "must specify" refusal). Scopes: Terminating
//   (activeDeadlineSeconds >= 0), NotTerminating, BestEffort (QoS), NotBestEffort, PriorityClass
//   (a selector over the pod's priorityClassName) and CrossNamespacePodAffinity.
// - Services: `services`, `count/services`, `services.loadbalancers` (type LoadBalancer) and
//   `services.nodeports` (the ports of a NodePort or LoadBalancer service; with
//   allocateLoadBalancerNodePorts false only ports that have a node port). Charged on create and
//   update (the growth only).
// - Every other resource: `count/<resource>[.<group>]`, and for configmaps, secrets,
//   replicationcontrollers and resourcequotas also their bare names. Charged on create.
// - Only pods can match a quota with scopes; a quota counts an object when its status.hard names
//   one of the object's resources and every scope matches it.

import type { KubeObject, Pod } from './types.js';
import { podQOSClass } from './pod-qos.js';
import { podResourceTotals, quantitiesOf, type Quantities } from './pod-resources.js';
import { isExtendedResourceName } from './validation/pod-spec.js';
import { addQuantity, compareQuantity, formatQuantity, subtractQuantity, type Quantity } from './validation/quantity.js';

export type ResourceList = Quantities;

export interface ScopedResourceSelectorRequirement {
  scopeName?: string;
  operator?: string;
  values?: string[];
}

export interface ResourceQuota extends KubeObject {
  spec?: {
    hard?: Record<string, string | number>;
    scopes?: string[];
    scopeSelector?: { matchExpressions?: ScopedResourceSelectorRequirement[] };
  };
  status?: {
    hard?: Record<string, string | number>;
    used?: Record<string, string | number>;
  };
}

export interface GroupResource {
  group: string;
  /** The plural resource name (`pods`, `daemonsets`). */
  resource: string;
}

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function objectCountName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/** The resource a `count/...` name counts (the group is everything after the first dot). */
export function parseObjectCountName(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  const gr = dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
  return gr.resource ? gr : undefined;
}

/** Core resources also counted under their bare names, as before `count/` existed. */
const legacyCountNames = new Set(['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas']);

// ---- resource lists

export function resourceList(m: unknown): ResourceList {
  return quantitiesOf(m);
}

/** The list as JSON quantities, in name order. */
export function resourceListJson(l: ResourceList): Record<string, string> {
  return Object.fromEntries([...l.keys()].sort().map((k) => [k, formatQuantity(l.get(k)!)]));
}

const zero: Quantity = { mantissa: 0n, exp10: 0, format: 'DecimalSI' };

/** `a + b` per resource (quota.Add: keys of either). */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [k, q] of b) out.set(k, addQuantity(out.get(k), q));
  return out;
}

/** `a - b` per resource of `a`, never below zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of a) {
    const other = b.get(k);
    const d = other ? subtractQuantity(q, other) : q;
    out.set(k, d.mantissa < 0n ? { ...zero, format: d.format } : d);
  }
  return out;
}

/** The entries of `l` whose names are in `names` (quota.Mask). */
export function maskList(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const q = l.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

export function removeZeros(l: ResourceList): ResourceList {
  return new Map([...l].filter(([, q]) => q.mantissa !== 0n));
}

export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, q] of a) {
    const o = b.get(k);
    if (!o || compareQuantity(q, o) !== 0) return false;
  }
  return true;
}

/** The names whose value in `a` is above the one in `limit` (absent in `limit`: not limited). */
export function exceeding(a: ResourceList, limit: ResourceList): string[] {
  return [...a].filter(([k, q]) => {
    const l = limit.get(k);
    return l !== undefined && compareQuantity(q, l) > 0;
  }).map(([k]) => k).sort();
}

/** `a=1,b=2Gi` in name order, as upstream's prettyPrint. */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()].sort().map((k) => `${k}=${formatQuantity(l.get(k)!)}`).join(',');
}

// ---- scopes

/** The quota's scopes as selector requirements (a bare scope is `Exists`), then its scopeSelector. */
export function scopeSelectorsOf(q: ResourceQuota): ScopedResourceSelectorRequirement[] {
  const out: ScopedResourceSelectorRequirement[] = (q.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' }));
  for (const r of q.spec?.scopeSelector?.matchExpressions ?? []) out.push(r);
  return out;
}

function isTerminating(pod: Pod): boolean {
  const d = (pod.spec as { activeDeadlineSeconds?: unknown } | undefined)?.activeDeadlineSeconds;
  return typeof d === 'number' && d >= 0;
}

function usesCrossNamespacePodAffinity(pod: Pod): boolean {
  const affinity = (pod.spec as { affinity?: Record<string, { requiredDuringSchedulingIgnoredDuringExecution?: unknown[]; preferredDuringSchedulingIgnoredDuringExecution?: Array<{ podAffinityTerm?: unknown }> } | undefined> } | undefined)?.affinity;
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = affinity?.[kind];
    const terms = [...(a?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p?.podAffinityTerm)];
    for (const t of terms as Array<{ namespaces?: unknown[]; namespaceSelector?: unknown } | undefined>) {
      if (t && ((t.namespaces?.length ?? 0) > 0 || (t.namespaceSelector !== undefined && t.namespaceSelector !== null))) return true;
    }
  }
  return false;
}

/**
 * Whether one scope selector matches a pod. PriorityClass is a selector over the one label
 * `PriorityClass=<priorityClassName>`, which a pod without a class does not have.
 */
function podMatchesScope(s: ScopedResourceSelectorRequirement, pod: Pod): boolean {
  switch (s.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return pod.spec ? podQOSClass(pod.spec) === 'BestEffort' : true;
    case 'NotBestEffort':
      return pod.spec ? podQOSClass(pod.spec) !== 'BestEffort' : false;
    case 'PriorityClass': {
      const pc = pod.spec?.priorityClassName ?? '';
      const values = s.values ?? [];
      switch (s.operator) {
        case 'Exists':
          return pc !== '';
        case 'In':
          return pc !== '' && values.includes(pc);
        case 'NotIn':
          return pc === '' || !values.includes(pc);
        case 'DoesNotExist':
          return pc === '';
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(pod);
    default:
      return false;
  }
}

// ---- evaluators

export type QuotaOperation = 'create' | 'update';

/** What one resource's objects use, and how quotas apply to them (upstream's Evaluator). */
export interface QuotaEvaluator {
  readonly groupResource: GroupResource;
  /** The names among `names` this evaluator computes. */
  matchingResources(names: Iterable<string>): string[];
  /** Whether admission charges the operation. */
  handles(op: QuotaOperation): boolean;
  /** What `obj` uses; `now` (ms) decides whether a pod past its deletion grace still counts. */
  usage(obj: KubeObject, now: number): ResourceList;
  /** Whether every scope of the quota matches `obj` (no scopes: true). */
  matchesScopes(q: ResourceQuota, obj: KubeObject): boolean;
  /** Why `obj` cannot be counted against `required` resources (`must specify ...`), or undefined. */
  constraints(required: string[], obj: KubeObject): string | undefined;
}

/** Whether a quota counts `obj`: its status.hard names one of the evaluator's resources, and every scope matches. */
export function quotaMatches(e: QuotaEvaluator, q: ResourceQuota, obj: KubeObject): boolean {
  return e.matchingResources(Object.keys(q.status?.hard ?? {})).length > 0 && e.matchesScopes(q, obj);
}

const noScopes = (q: ResourceQuota): boolean => scopeSelectorsOf(q).length === 0;
const one = (): Quantity => ({ mantissa: 1n, exp10: 0, format: 'DecimalSI' });
const count = (n: number): Quantity => ({ mantissa: BigInt(n), exp10: 0, format: 'DecimalSI' });

const podResourceNames = new Set([
  'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
]);
/** Resources every container must state once a quota limits them. */
const podConstrained = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Whether a pod still counts: not terminal, and not past its deletion time plus grace. */
export function podCountsForQuota(pod: Pod, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod.metadata;
  if (m.deletionTimestamp && typeof m.deletionGracePeriodSeconds === 'number') {
    const at = Date.parse(m.deletionTimestamp);
    if (Number.isFinite(at) && now > at + m.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

/** upstream's podComputeUsageHelper: the quota names a set of requests and limits stand for. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', one()]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, q);
      out.set(`requests.${r}`, q);
    }
    if (isExtendedResourceName(r)) out.set(`requests.${r}`, q);
  }
  return out;
}

const podEvaluator: QuotaEvaluator = {
  groupResource: { group: '', resource: 'pods' },
  matchingResources(names) {
    return [...names].filter(
      (n) =>
        podResourceNames.has(n) ||
        n.startsWith('hugepages-') ||
        n.startsWith('requests.hugepages-') ||
        (n.startsWith('requests.') && isExtendedResourceName(n.slice('requests.'.length))),
    );
  },
  handles: (op) => op === 'create',
  usage(obj, now) {
    const pod = obj as Pod;
    const out: ResourceList = new Map([['count/pods', one()]]);
    if (!podCountsForQuota(pod, now)) return out;
    return addLists(out, computeUsage(podResourceTotals(pod, 'requests', { overhead: true }), podResourceTotals(pod, 'limits', { overhead: true })));
  },
  matchesScopes: (q, obj) => scopeSelectorsOf(q).every((s) => podMatchesScope(s, obj as Pod)),
  constraints(required, obj) {
    const wanted = required.filter((r) => podConstrained.has(r));
    if (wanted.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    const spec = (obj as Pod).spec;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      const has = computeUsage(quantitiesOf(c.resources?.requests), quantitiesOf(c.resources?.limits));
      for (const r of wanted) {
        if (!has.has(r)) missing.set(r, (missing.get(r) ?? new Set()).add(c.name));
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

const serviceResourceNames = new Set(['count/services', 'services', 'services.loadbalancers', 'services.nodeports']);

const serviceEvaluator: QuotaEvaluator = {
  groupResource: { group: '', resource: 'services' },
  matchingResources: (names) => [...names].filter((n) => serviceResourceNames.has(n)),
  handles: () => true,
  usage(obj) {
    const spec = (obj as KubeObject & { spec?: { type?: string; ports?: Array<{ nodePort?: number }>; allocateLoadBalancerNodePorts?: boolean } }).spec;
    const ports = spec?.ports ?? [];
    const out: ResourceList = new Map([
      ['count/services', one()],
      ['services', one()],
      ['services.loadbalancers', zero],
      ['services.nodeports', zero],
    ]);
    if (spec?.type === 'NodePort') out.set('services.nodeports', count(ports.length));
    if (spec?.type === 'LoadBalancer') {
      const withNodePorts = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => (p.nodePort ?? 0) > 0).length : ports.length;
      out.set('services.nodeports', count(withNodePorts));
      out.set('services.loadbalancers', one());
    }
    return out;
  },
  matchesScopes: noScopes,
  constraints: () => undefined,
};

function objectCountEvaluator(gr: GroupResource): QuotaEvaluator {
  const names = [objectCountName(gr)];
  if (!gr.group && legacyCountNames.has(gr.resource)) names.push(gr.resource);
  return {
    groupResource: gr,
    matchingResources: (input) => [...input].filter((n) => names.includes(n)),
    handles: (op) => op === 'create',
    usage: () => new Map(names.map((n) => [n, one()])),
    matchesScopes: noScopes,
    constraints: () => undefined,
  };
}

const countEvaluators = new Map<string, QuotaEvaluator>();

/** The evaluator of a resource's objects (one per resource, made on first use). */
export function quotaEvaluatorFor(gr: GroupResource): QuotaEvaluator {
  if (!gr.group && gr.resource === 'pods') return podEvaluator;
  if (!gr.group && gr.resource === 'services') return serviceEvaluator;
  const id = `${gr.resource}.${gr.group}`;
  let e = countEvaluators.get(id);
  if (!e) countEvaluators.set(id, (e = objectCountEvaluator(gr)));
  return e;
}

/**
 * The resources named in `names` that are object counts of some resource other than pods and
 * services (whose evaluators know their own): `count/x.y` and the legacy bare names.
 */
export function countedResources(names: Iterable<string>): GroupResource[] {
  const out = new Map<string, GroupResource>();
  for (const n of names) {
    const gr = legacyCountNames.has(n) ? { group: '', resource: n } : parseObjectCountName(n);
    if (!gr || (!gr.group && (gr.resource === 'pods' || gr.resource === 'services'))) continue;
    out.set(`${gr.resource}.${gr.group}`, gr);
  }
  return [...out.values()];
}
