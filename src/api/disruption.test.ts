import { describe, expect, it } from 'vitest';
import { budgetCoversPod, disruptionConditionUpToDate, setMetaCondition, withDisruptionAllowedCondition } from './disruption.js';
import type { LabelSelector, Pod, PodDisruptionBudget } from './types.js';

const pod = (labels: Record<string, string>, namespace = 'a'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, labels }, spec: { containers: [] } }) as Pod;
const pdb = (selector: LabelSelector | undefined, namespace = 'a'): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'b', namespace, generation: 2 },
  spec: { minAvailable: 1, ...(selector !== undefined ? { selector } : {}) },
});

describe('budgetCoversPod', () => {
  it('matches by selector within the namespace; empty selects all, absent or invalid none', () => {
    expect(budgetCoversPod(pdb({ matchLabels: { app: 'x' } }), pod({ app: 'x' }))).toBe(true);
    expect(budgetCoversPod(pdb({ matchLabels: { app: 'x' } }), pod({ app: 'y' }))).toBe(false);
    expect(budgetCoversPod(pdb({ matchLabels: { app: 'x' } }, 'b'), pod({ app: 'x' }))).toBe(false);
    expect(budgetCoversPod(pdb({}), pod({}))).toBe(true);
    expect(budgetCoversPod(pdb(undefined), pod({ app: 'x' }))).toBe(false);
    expect(budgetCoversPod(pdb({ matchExpressions: [{ key: 'app', operator: 'Bogus' as 'In', values: [] }] }), pod({ app: 'x' }))).toBe(false);
  });
});

describe('DisruptionAllowed condition', () => {
  it('keeps lastTransitionTime while the status holds and moves it when the status flips', () => {
    const t1 = '2026-01-01T00:00:00Z';
    const t2 = '2026-01-02T00:00:00Z';
    const s1 = withDisruptionAllowedCondition({ disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 2 }, t1);
    expect(s1.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 2, lastTransitionTime: t1 }]);
    expect(withDisruptionAllowedCondition({ ...s1, currentHealthy: 3 }, t2).conditions?.[0]?.lastTransitionTime).toBe(t1);
    const s2 = withDisruptionAllowedCondition({ ...s1, disruptionsAllowed: 0 }, t2);
    expect(s2.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InsufficientPods', lastTransitionTime: t2 });
    expect(setMetaCondition(s2.conditions ?? [], { type: 'Other', status: 'True', reason: 'R', message: 'm' }, t1)).toHaveLength(2);
  });

  it('is up to date only for the observed generation and a matching reason', () => {
    const b = pdb({});
    b.status = withDisruptionAllowedCondition({ disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 2 }, '2026-01-01T00:00:00Z');
    expect(disruptionConditionUpToDate(b)).toBe(true);
    expect(disruptionConditionUpToDate({ ...b, status: { ...b.status, disruptionsAllowed: 0 } })).toBe(false);
    expect(disruptionConditionUpToDate({ ...b, metadata: { ...b.metadata, generation: 3 } })).toBe(false);
  });
});
