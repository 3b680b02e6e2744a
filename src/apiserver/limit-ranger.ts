// Upstream's LimitRanger admission plugin, for pod creates (pod updates cannot change
// resources, and upstream skips them too).
//
// Contract:
// - Mutation (before the pod is validated): every container and init container gets, for each
//   resource it does not set, the default limit and default request of each LimitRange of its
//   namespace that has a Container item. A pod something was set on is annotated
//   `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu, memory request for container c;
//   cpu limit for init container i` (the last range that set anything names what it set).
// - Validation (after the pod's own validation): per Container item, each container's and init
//   container's request is at least `min` and its limit at most `max` (a bounded resource must
//   then be requested, or limited), and limit/request at most `maxLimitRequestRatio`; per Pod
//   item the same of the pod's requests and limits (containers summed, sidecars included, init
//   containers' peak). The first range refused answers 403 with all its reasons, in upstream's
//   words: `pods "x" is forbidden: [maximum cpu usage per Container is 500m, but limit is 1, ...]`.
//   Resources are checked in name order (upstream walks Go maps, in no fixed order).
// - The ranges are read from the store once and kept until a LimitRange changes (the watch
//   cache's change feed calls `invalidate`), as upstream reads an informer's cache.

import type { KindDef } from '../api/kinds.js';
import type { Container, KubeObject, Pod } from '../api/types.js';
import { addQuantity, compareQuantity, formatQuantity, milliValue, parseQuantity, scaledValue, type Quantity } from '../api/validation/quantity.js';
import type { Store } from '../storage/interface.js';
import { podResourceTotals, quantitiesOf, type Quantities } from '../api/pod-resources.js';
import { refusal } from './pod-admission.js';
import { keyPrefix } from './registry.js';

const ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceMap = Record<string, string | number>;

interface LimitRangeItem {
  type?: string;
  max?: ResourceMap;
  min?: ResourceMap;
  default?: ResourceMap;
  defaultRequest?: ResourceMap;
  maxLimitRequestRatio?: ResourceMap;
}

interface LimitRange extends KubeObject {
  spec?: { limits?: LimitRangeItem[] };
}

export class LimitRanger {
  private byNamespace: Map<string, LimitRange[]> | undefined;
  private loading: Promise<Map<string, LimitRange[]>> | undefined;
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly limitRanges: KindDef,
  ) {}

  /** Forgets the ranges read; the next pod reads them again. */
  invalidate(): void {
    this.generation++;
    this.byNamespace = undefined;
    this.loading = undefined;
  }

  /**
   * The ranges of `namespace`. A failed read is not kept (the next pod reads again) and refuses
   * this pod with upstream's 403 for a range that cannot be enforced.
   */
  private async ranges(pod: Pod): Promise<LimitRange[]> {
    const namespace = pod.metadata.namespace ?? '';
    if (this.byNamespace) return this.byNamespace.get(namespace) ?? [];
    const gen = this.generation;
    const loading = (this.loading ??= this.load());
    try {
      const byNs = await loading;
      // Kept only when no range changed while it was read.
      if (gen === this.generation) this.byNamespace = byNs;
      return byNs.get(namespace) ?? [];
    } catch {
      if (this.loading === loading) this.loading = undefined;
      throw refusal(pod, 'unable to CREATE /v1, Resource=pods at this time because there was an error enforcing limit ranges');
    } finally {
      if (this.loading === loading && gen !== this.generation) this.loading = undefined;
    }
  }

  private async load(): Promise<Map<string, LimitRange[]>> {
    const byNs = new Map<string, LimitRange[]>();
    for (const kv of (await this.store.list(keyPrefix(this.limitRanges))).items) {
      const lr = JSON.parse(kv.value) as LimitRange;
      const ns = lr.metadata.namespace ?? '';
      byNs.set(ns, [...(byNs.get(ns) ?? []), lr]);
    }
    return byNs;
  }

  /** The defaults of the pod's namespace's ranges, set on its containers; never refuses. */
  async mutate(pod: Pod): Promise<void> {
    for (const lr of await this.ranges(pod)) {
      const limits: ResourceMap = {};
      const requests: ResourceMap = {};
      for (const item of lr.spec?.limits ?? []) {
        if (item.type !== 'Container') continue;
        Object.assign(requests, item.defaultRequest ?? {});
        Object.assign(limits, item.default ?? {});
      }
      const set: string[] = [];
      for (const c of pod.spec?.containers ?? []) set.push(...setDefaults(c, 'container', limits, requests));
      for (const c of pod.spec?.initContainers ?? []) set.push(...setDefaults(c, 'init container', limits, requests));
      if (set.length > 0) pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION]: `LimitRanger plugin set: ${set.join('; ')}` };
    }
  }

  /** Throws the 403 of the first range the pod breaks. */
  async validate(pod: Pod): Promise<void> {
    for (const lr of await this.ranges(pod)) {
      const reasons: string[] = [];
      for (const item of lr.spec?.limits ?? []) {
        if (item.type === 'Container') {
          for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
            reasons.push(...check(item, 'Container', quantitiesOf(c.resources?.requests as ResourceMap), quantitiesOf(c.resources?.limits as ResourceMap)));
          }
        } else if (item.type === 'Pod') {
          reasons.push(...check(item, 'Pod', podResourceTotals(pod, 'requests'), podResourceTotals(pod, 'limits')));
        }
      }
      const distinct = [...new Set(reasons)];
      if (distinct.length > 0) throw refusal(pod, distinct.length === 1 ? distinct[0]! : `[${distinct.join(', ')}]`);
    }
  }
}

/**
 * Sets the `limits` and `requests` a container leaves out; answers the annotation's phrases for
 * it. The maps come out sorted by name, as Go encodes maps.
 */
function setDefaults(c: Container, what: string, limits: ResourceMap, requests: ResourceMap): string[] {
  const phrases: string[] = [];
  const resources = (c.resources ??= {}) as { limits?: ResourceMap; requests?: ResourceMap };
  const fill = (field: 'limits' | 'requests', defaults: ResourceMap, word: string): void => {
    const current = resources[field] ?? {};
    const added = Object.keys(defaults).filter((k) => !(k in current));
    if (added.length === 0) return;
    const merged: ResourceMap = { ...current };
    for (const k of added) merged[k] = defaults[k]!;
    resources[field] = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : 1)));
    phrases.push(`${added.sort().join(', ')} ${word} for ${what} ${c.name}`);
  };
  fill('requests', requests, 'request');
  fill('limits', limits, 'limit');
  return phrases;
}

const MAX_MILLI_VALUE = 9223372036854775n; // math.MaxInt64 / 1000, apimachinery's MaxMilliValue

/**
 * Compares `a` with `enforced` as upstream's requestLimitEnforcedValues does: in thousandths
 * rounded up (so 500u counts as 1m), or in whole units when a value is too large for that.
 */
function compareEnforced(a: Quantity, enforced: Quantity): number {
  const fits = [a, enforced].every((q) => scaledValue(q, 0) <= MAX_MILLI_VALUE);
  const x = scaledValue(a, fits ? 3 : 0);
  const y = scaledValue(enforced, fits ? 3 : 0);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The reasons one item refuses these requests and limits, in upstream's words. */
function check(item: LimitRangeItem, type: string, requests: Quantities, limits: Quantities): string[] {
  const reasons: string[] = [];
  const s = formatQuantity;
  const sorted = (m: ResourceMap | undefined): Array<[string, Quantity]> =>
    [...quantitiesOf(m)].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, min] of sorted(item.min)) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req) reasons.push(`minimum ${name} usage per ${type} is ${s(min)}.  No request is specified`);
    else if (compareEnforced(req, min) < 0) reasons.push(`minimum ${name} usage per ${type} is ${s(min)}, but request is ${s(req)}`);
    else if (lim && compareEnforced(lim, min) < 0) reasons.push(`minimum ${name} usage per ${type} is ${s(min)}, but limit is ${s(lim)}`);
  }
  for (const [name, max] of sorted(item.max)) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!lim) reasons.push(`maximum ${name} usage per ${type} is ${s(max)}.  No limit is specified`);
    else if (compareEnforced(lim, max) > 0) reasons.push(`maximum ${name} usage per ${type} is ${s(max)}, but limit is ${s(lim)}`);
    else if (req && compareEnforced(req, max) > 0) reasons.push(`maximum ${name} usage per ${type} is ${s(max)}, but request is ${s(req)}`);
  }
  for (const [name, ratio] of sorted(item.maxLimitRequestRatio)) {
    const req = milliValue(requests.get(name));
    const lim = milliValue(limits.get(name));
    if (req === 0) reasons.push(`${name} max limit to request ratio per ${type} is ${s(ratio)}, but no request is specified or request is 0`);
    else if (lim === 0) reasons.push(`${name} max limit to request ratio per ${type} is ${s(ratio)}, but no limit is specified or limit is 0`);
    else if ((lim / req) * 1000 > milliValue(ratio)) reasons.push(`${name} max limit to request ratio per ${type} is ${s(ratio)}, but provided ratio is ${(lim / req).toFixed(6)}`);
  }
  return reasons;
}
