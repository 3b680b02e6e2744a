import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import { validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './resource-quota.js';

const rq = (spec: Record<string, unknown>, status?: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'n', resourceVersion: '1' }, spec, ...(status ? { status } : {}) });
const errors = (errs: ReturnType<typeof validateResourceQuota>) => errs.map(fieldErrorString);

describe('ResourceQuota validation', () => {
  it('accepts standard, prefixed and qualified names; refuses the rest in upstream\'s words', () => {
    expect(errors(validateResourceQuota(rq({ hard: { 'count/deployments.apps': '2', 'requests.nvidia.com/gpu': '1', 'hugepages-2Mi': '1Gi', 'requests.storage': '1Ti', services: '0' } })))).toEqual([]);
    expect(errors(validateResourceQuota(rq({ hard: { 'nvidia.com/gpu': '0.5', 'limits.pods': '1' } })))).toEqual([
      'spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource type or fully qualified',
      'spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource for quota',
      'spec.hard[nvidia.com/gpu]: Invalid value: "500m": must be an integer',
    ]);
  });

  it('checks scope selectors: Exists-only scopes, values per operator, unknown scopes and operators', () => {
    const sel = (...matchExpressions: unknown[]) => rq({ hard: { pods: '1' }, scopeSelector: { matchExpressions } });
    expect(errors(validateResourceQuota(sel({ scopeName: 'BestEffort', operator: 'In', values: ['x'] })))).toEqual([
      "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
    ]);
    expect(errors(validateResourceQuota(sel({ scopeName: 'PriorityClass', operator: 'Exists', values: ['x'] })))).toEqual([
      "spec.scopeSelector.matchExpressions.values: Invalid value: [\"x\"]: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
    ]);
    expect(errors(validateResourceQuota(sel({ scopeName: 'Galaxy', operator: 'Near' })))).toEqual([
      'spec.scopeSelector.matchExpressions.scopeName: Invalid value: "Galaxy": unsupported scope',
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "Near": not a valid selector operator',
    ]);
    expect(errors(validateResourceQuota(rq({ hard: { configmaps: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'Terminating', operator: 'Exists' }] } })))).toEqual([
      'spec.scopeSelector.matchExpressions: Invalid value: {"matchExpressions":[{"scopeName":"Terminating","operator":"Exists"}]}: unsupported scope applied to resource',
    ]);
  });

  it('keeps the set of scopes on update (order aside), and checks status names and values', () => {
    const old = rq({ hard: { pods: '1' }, scopes: ['BestEffort', 'Terminating'] });
    expect(errors(validateResourceQuotaUpdate(rq({ hard: { pods: '2' }, scopes: ['Terminating', 'BestEffort'] }), old))).toEqual([]);
    expect(errors(validateResourceQuotaUpdate(rq({ hard: { pods: '2' }, scopes: ['Terminating'] }), old))).toEqual(['spec.scopes: Invalid value: ["Terminating"]: field is immutable']);
    expect(errors(validateResourceQuotaStatusUpdate(rq({ hard: { pods: '1' } }, { hard: { pods: '1' }, used: { pods: '-1', bogus: '1' } }), old))).toEqual([
      'status.used[bogus]: Invalid value: bogus: must be a standard resource type or fully qualified',
      'status.used[bogus]: Invalid value: bogus: must be a standard resource for quota',
      'status.used[pods]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });
});
