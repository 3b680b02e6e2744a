// The containers of a pod, every kind of them.
//
// Contract: `podContainerNames` lists init, regular and ephemeral containers' names in that
// order (upstream's VisitContainers with every feature on), the set a container name in a log,
// exec or attach request must belong to.

import type { PodSpec } from './types.js';

export function podContainerNames(pod: { spec?: Partial<PodSpec> }): string[] {
  const spec = pod.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
}
