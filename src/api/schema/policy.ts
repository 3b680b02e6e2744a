// policy/v1 PodDisruptionBudget (its status is the disruption controller's; the eviction API enforces it).

import {
  META, POLICY,
  int32, int64, intOrString, keyedList, labelSelector, listOf, map, obj, objectMeta, ref, str, time, typeMeta, withPatchStrategy,
  type Definitions,
} from './dsl.js';

export const policyDefinitions: Definitions = {
  [POLICY + 'PodDisruptionBudget']: obj('The least availability a set of pods keeps through voluntary disruptions.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(POLICY + 'PodDisruptionBudgetSpec', 'Desired budget.'),
    status: ref(POLICY + 'PodDisruptionBudgetStatus', 'Most recently observed status. Read-only.'),
  }),
  [POLICY + 'PodDisruptionBudgetList']: listOf(POLICY + 'PodDisruptionBudget', 'pod disruption budgets'),
  [POLICY + 'PodDisruptionBudgetSpec']: obj('A disruption budget: minAvailable or maxUnavailable, not both.', {
    minAvailable: intOrString('Pods that must stay available after an eviction: a number or a percentage.'),
    maxUnavailable: intOrString('Pods that may be unavailable after an eviction: a number or a percentage.'),
    selector: withPatchStrategy(labelSelector('The pods the budget covers; an empty selector covers every pod of the namespace.'), 'replace'),
    unhealthyPodEvictionPolicy: str('When unhealthy pods may be evicted: IfHealthyBudget or AlwaysAllow.'),
  }),
  [POLICY + 'PodDisruptionBudgetStatus']: obj('Observed state of a disruption budget.', {
    observedGeneration: int64('Most recent generation observed.'),
    disruptedPods: map(time(), 'Pods evicted but not yet seen deleted, with the eviction time.'),
    disruptionsAllowed: int32('Disruptions allowed now.'),
    currentHealthy: int32('Healthy pods now.'),
    desiredHealthy: int32('Least number of healthy pods wanted.'),
    expectedPods: int32('Pods the budget counts.'),
    conditions: keyedList(ref(META + 'Condition'), 'type', 'Conditions of the budget.'),
  }, ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']),
};
