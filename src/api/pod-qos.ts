// A pod's quality-of-service class, as upstream's GetPodQOS computes it: the API server writes
// it into a new pod's status, the agent reports it, `describe` shows it.
//
// Contract: only cpu and memory count, and only quantities above zero. Requests and limits are
// summed over the regular and the init containers. No such request or limit anywhere:
// BestEffort. Every container limits both cpu and memory, and the summed requests equal the
// summed limits resource by resource, with as many resources requested as limited (defaulting
// has copied each limit into a missing request by then): Guaranteed. Anything else: Burstable.

import type { PodSpec } from './types.js';
import { addQuantity, compareQuantity, parseQuantity, type Quantity } from './validation/quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const computeResources = ['cpu', 'memory'] as const;

function add(sums: Map<string, Quantity>, name: string, q: Quantity): void {
  sums.set(name, addQuantity(sums.get(name), q));
}

export function podQOSClass(spec: PodSpec): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  // Callable before validation (the API server's create): anything not a list or an object counts as none.
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const map = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const resources = map(map(c).resources);
    const req = map(resources.requests);
    const lim = map(resources.limits);
    let limited = 0;
    for (const r of computeResources) {
      const rq = parseQuantity(req[r]);
      if (rq && rq.mantissa > 0n) add(requests, r, rq);
      const lq = parseQuantity(lim[r]);
      if (lq && lq.mantissa > 0n) {
        add(limits, r, lq);
        limited++;
      }
    }
    if (limited < computeResources.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantity(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
