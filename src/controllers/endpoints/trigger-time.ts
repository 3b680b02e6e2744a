// TriggerTimeTracker: the value of an Endpoints' `endpoints.kubernetes.io/last-change-trigger-time`
// annotation (upstream k8s.io/endpointslice/util TriggerTimeTracker).
//
// Contract: compute() is called once per sync of a Service, with the pods its selector matches
// (before any filtering), and remembers what it saw. It returns, in ms since the epoch:
// - on the first sync of a Service this tracker sees: the Service's creationTimestamp;
// - afterwards: the earliest trigger time that moved since the previous sync, where a pod's
//   trigger time is its Ready condition's lastTransitionTime and the Service's is its
//   creationTimestamp; undefined when none moved (the annotation is then removed on the next
//   write).
// As upstream, a pod or Service changing twice between two syncs counts once (an approximation).
// Syncs of one key never run concurrently (the work queue's guarantee), so no locking.

import type { Pod } from '../../api/types.js';
import type { Service } from './types.js';

interface ServiceState {
  serviceTime: number | undefined;
  podTimes: Map<string, number>;
}

function parseTime(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

function podTriggerTime(pod: Pod): number | undefined {
  return parseTime(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  compute(key: string, svc: Service, pods: readonly Pod[]): number | undefined {
    const prev = this.states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      const name = pod.metadata.name ?? '';
      podTimes.set(name, t);
      const before = prev?.podTimes.get(name);
      if (before === undefined || t > before) min = min === undefined ? t : Math.min(min, t);
    }
    const serviceTime = parseTime(svc.metadata.creationTimestamp);
    if (serviceTime !== undefined && (prev?.serviceTime === undefined || serviceTime > prev.serviceTime)) {
      min = min === undefined ? serviceTime : Math.min(min, serviceTime);
    }
    this.states.set(key, { serviceTime, podTimes });
    if (!prev) return serviceTime;
    return min;
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}

/** `ms` as Go's time.RFC3339Nano in UTC: fractional seconds only when non-zero, trailing zeros cut. */
export function formatRFC3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
