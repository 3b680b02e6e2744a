// PodDisruptionBudget rules shared by the eviction API (apiserver) and the disruption
// controller (controllers), restated from upstream's policy helpers. Pure logic, no I/O.
//
// Contract:
// - A budget covers the pods of its namespace its selector matches; an empty selector covers
//   every pod there, an absent or invalid one none (policy/v1).
// - The DisruptionAllowed condition says whether status.disruptionsAllowed is above 0:
//   True/SufficientPods, else False/InsufficientPods; SyncFailed is the controller's fail-safe.
//   Its lastTransitionTime changes only when its status does.

import { labelSelectorAsSelector } from './selectors/index.js';
import type { MetaCondition, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus } from './types.js';

export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';
export const SUFFICIENT_PODS_REASON = 'SufficientPods';
export const INSUFFICIENT_PODS_REASON = 'InsufficientPods';
export const SYNC_FAILED_REASON = 'SyncFailed';

/** Whether `pdb` covers `pod` (same namespace, selector matches its labels). */
export function budgetCoversPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if ((pdb.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  try {
    return labelSelectorAsSelector(pdb.spec?.selector).matches(pod.metadata.labels ?? {});
  } catch {
    return false; // an invalid selector matches nothing
  }
}

/** Ready condition True: upstream's measure of a healthy pod for budgets. */
export function podIsReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Sets `c` in `conditions` (by type), as apimachinery's SetStatusCondition: a new condition or a
 * status change takes `now` as lastTransitionTime; otherwise the old time stays.
 */
export function setMetaCondition(conditions: MetaCondition[], c: Omit<MetaCondition, 'lastTransitionTime'> & { lastTransitionTime?: string }, now: string): MetaCondition[] {
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const next: MetaCondition = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : (c.lastTransitionTime ?? now) };
  return i >= 0 ? conditions.map((x, j) => (j === i ? next : x)) : [...conditions, next];
}

/** The DisruptionAllowed condition for `status` as it stands (upstream UpdateDisruptionAllowedCondition). */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: string): PodDisruptionBudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  const conditions = setMetaCondition(
    status.conditions ?? [],
    {
      type: DISRUPTION_ALLOWED_CONDITION,
      status: allowed ? 'True' : 'False',
      reason: allowed ? SUFFICIENT_PODS_REASON : INSUFFICIENT_PODS_REASON,
      message: '',
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    },
    now,
  );
  return { ...status, conditions };
}

/** Whether the DisruptionAllowed condition agrees with the status and the generation was observed. */
export function disruptionConditionUpToDate(pdb: PodDisruptionBudget): boolean {
  const s = pdb.status;
  const c = s?.conditions?.find((x) => x.type === DISRUPTION_ALLOWED_CONDITION);
  if (!s || !c || s.observedGeneration !== pdb.metadata.generation) return false;
  return s.disruptionsAllowed > 0 ? c.status === 'True' && c.reason === SUFFICIENT_PODS_REASON : c.status === 'False' && c.reason === INSUFFICIENT_PODS_REASON;
}
