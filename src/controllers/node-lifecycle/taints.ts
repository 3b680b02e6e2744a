// Well-known node taints and the toleration rules the node lifecycle and taint eviction
// controllers apply (upstream's pkg/apis/core/v1/helper and pkg/util/taints).

import type { Node, NodeCondition, Taint, TaintEffect, Toleration } from '../../api/types.js';

import { taintNodeNotReady, taintNodeUnreachable, taintNodeDiskPressure, taintNodeMemoryPressure, taintNodePIDPressure, taintNodeUnschedulable, taintNodeNetworkUnavailable, toleratesTaint } from '../../api/taints.js';

export { taintNodeNotReady, taintNodeUnreachable, taintNodeDiskPressure, taintNodeMemoryPressure, taintNodePIDPressure, taintNodeUnschedulable, taintNodeNetworkUnavailable, toleratesTaint };

export const notReadyNoExecute: Taint = { key: taintNodeNotReady, effect: 'NoExecute' };
export const unreachableNoExecute: Taint = { key: taintNodeUnreachable, effect: 'NoExecute' };

/** Node condition (type, status) → the NoSchedule taint it implies (TaintNodesByCondition). */
const conditionToTaintKey: Record<string, Partial<Record<NodeCondition['status'], string>>> = {
  Ready: { False: taintNodeNotReady, Unknown: taintNodeUnreachable },
  MemoryPressure: { True: taintNodeMemoryPressure },
  DiskPressure: { True: taintNodeDiskPressure },
  NetworkUnavailable: { True: taintNodeNetworkUnavailable },
  PIDPressure: { True: taintNodePIDPressure },
};

const conditionTaintKeys = new Set(Object.values(conditionToTaintKey).flatMap((m) => Object.values(m)));

export function getNodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** Same key and effect (the identity of a taint on a node). */
export function taintMatches(a: Taint, b: { key: string; effect: TaintEffect }): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: readonly Taint[] | undefined, t: { key: string; effect: TaintEffect }): boolean {
  return (taints ?? []).some((x) => taintMatches(x, t));
}

/**
 * The NoSchedule taints a node should carry from its conditions and `spec.unschedulable`, and
 * the controller-managed NoSchedule taints it currently carries.
 */
export function desiredNoScheduleTaints(node: Node): { desired: Taint[]; current: Taint[] } {
  const desired: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = conditionToTaintKey[c.type]?.[c.status];
    if (key) desired.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) desired.push({ key: taintNodeUnschedulable, effect: 'NoSchedule' });
  const current = (node.spec?.taints ?? []).filter(
    (t) => t.effect === 'NoSchedule' && (t.key === taintNodeUnschedulable || conditionTaintKeys.has(t.key)),
  );
  return { desired, current };
}

/** Taints in `a` with no key+effect match in `b`. */
export function taintSetDiff(a: readonly Taint[], b: readonly Taint[]): Taint[] {
  return a.filter((t) => !taintExists(b, t));
}

/**
 * Whether every taint is tolerated, and the tolerations used: for each taint, the FIRST
 * toleration that tolerates it (upstream's GetMatchingTolerations), so an unbounded `Exists`
 * listed before a toleration with tolerationSeconds keeps the pod forever.
 */
export function getMatchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const first = tolerations.find((t) => toleratesTaint(t, taint));
    if (first === undefined) return { allTolerated: false, used: [] };
    used.push(first);
  }
  return { allTolerated: true, used };
}

/**
 * Shortest tolerationSeconds among the used tolerations, in ms; -1 when every one tolerates
 * forever (no tolerationSeconds); 0 for a non-positive value.
 */
export function minTolerationTimeMs(used: readonly Toleration[]): number {
  let min = -1;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const ms = t.tolerationSeconds <= 0 ? 0 : t.tolerationSeconds * 1000;
    if (min < 0 || ms < min) min = ms;
  }
  return min;
}

export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}
