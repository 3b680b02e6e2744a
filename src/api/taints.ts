// Well-known node taints and the toleration rule, shared by every part that places or evicts
// pods (the DaemonSet controller, the node lifecycle controller, the node agent).

import type { Node, Taint, Toleration } from './types.js';

export const taintNodeNotReady = 'node.kubernetes.io/not-ready';
export const taintNodeUnreachable = 'node.kubernetes.io/unreachable';
export const taintNodeUnschedulable = 'node.kubernetes.io/unschedulable';
export const taintNodeMemoryPressure = 'node.kubernetes.io/memory-pressure';
export const taintNodeDiskPressure = 'node.kubernetes.io/disk-pressure';
export const taintNodePIDPressure = 'node.kubernetes.io/pid-pressure';
export const taintNodeNetworkUnavailable = 'node.kubernetes.io/network-unavailable';
/** Set by an operator on a node that is shut down for good: its terminating pods are force-deleted (pod GC). */
export const taintNodeOutOfService = 'node.kubernetes.io/out-of-service';

/**
 * Upstream's Toleration.ToleratesTaint: effect empty or equal; key empty (only meaningful with
 * Exists) or equal; Exists ignores the value, Equal (the default) needs equal values.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || 'Equal') { // an empty operator is Equal, as upstream
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** Whether the node's Ready condition is True (upstream's nodeutil.IsNodeReady). */
export function nodeIsReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
