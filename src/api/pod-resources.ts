// A pod's requests and limits as one sum per resource, as upstream's resource helpers
// (PodRequests, PodLimits) add them for quota, the LimitRanger and `describe`.
//
// Contract:
// - Regular containers are summed. A restartable init container (a sidecar: restartPolicy
//   Always) is added to that sum and keeps running, so every init container after it runs beside
//   the sidecars before it. The pod's value per resource is the larger of the running sum and
//   the peak any init container reaches (its own value plus the sidecars started before it).
// - With `overhead`, spec.overhead is added: to every request, and only to the limits the pod
//   already sets (a pod without a cpu limit has no cpu limit with its overhead either).
// - Callable before validation: values that are not quantities count as absent.

import type { Pod } from './types.js';
import { addQuantity, compareQuantity, parseQuantity, type Quantity } from './validation/quantity.js';

export type Quantities = Map<string, Quantity>;

/** The quantities of a resource map (`{ cpu: '100m' }`); entries that do not parse are left out. */
export function quantitiesOf(m: unknown): Quantities {
  const out: Quantities = new Map();
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return out;
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    const q = parseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

function addAll(into: Quantities, from: Quantities): void {
  for (const [k, q] of from) into.set(k, addQuantity(into.get(k), q));
}

function maxAll(into: Quantities, from: Quantities): void {
  for (const [k, q] of from) {
    const cur = into.get(k);
    if (!cur || compareQuantity(q, cur) > 0) into.set(k, q);
  }
}

/** The pod's total `requests` or `limits` per resource (see the file's contract). */
export function podResourceTotals(pod: Pod, field: 'requests' | 'limits', o: { overhead?: boolean } = {}): Quantities {
  const spec = pod.spec as (Pod['spec'] & { overhead?: unknown }) | undefined;
  const list = (v: unknown): Array<{ resources?: Record<string, unknown>; restartPolicy?: unknown }> => (Array.isArray(v) ? v : []);
  const total: Quantities = new Map();
  for (const c of list(spec?.containers)) addAll(total, quantitiesOf(c?.resources?.[field]));
  const sidecars: Quantities = new Map();
  const initPeak: Quantities = new Map();
  for (const c of list(spec?.initContainers)) {
    const own = quantitiesOf(c?.resources?.[field]);
    if (c?.restartPolicy === 'Always') {
      addAll(total, own);
      addAll(sidecars, own);
      maxAll(initPeak, sidecars);
    } else {
      const effective = new Map(own);
      addAll(effective, sidecars);
      maxAll(initPeak, effective);
    }
  }
  maxAll(total, initPeak);
  if (o.overhead) {
    for (const [k, q] of quantitiesOf(spec?.overhead)) {
      if (field === 'requests' || total.has(k)) total.set(k, addQuantity(total.get(k), q));
    }
  }
  return total;
}
