import { describe, expect, it } from 'vitest';
import { breakdownRule, ruleCovers, uncoveredRules } from './escalation.js';

describe('RBAC coverage (upstream validation.Covers)', () => {
  it('breaks a rule into one atom per verb, group, resource and name', () => {
    expect(breakdownRule({ apiGroups: ['', 'apps'], resources: ['pods'], resourceNames: ['a', 'b'], verbs: ['get'] })).toHaveLength(4);
    expect(breakdownRule({ nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get', 'post'] })).toHaveLength(4);
  });

  it('an owner covers with the same value or *, */sub for subresources, any name without resourceNames, URL prefixes', () => {
    const atom = { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] };
    expect(ruleCovers({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, atom)).toBe(true);
    expect(ruleCovers({ apiGroups: ['*'], resources: ['*/log'], verbs: ['*'] }, atom)).toBe(true);
    expect(ruleCovers({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, atom)).toBe(false);
    expect(ruleCovers({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }, { apiGroups: [''], resources: ['secrets'], resourceNames: ['s'], verbs: ['get'] })).toBe(true);
    expect(ruleCovers({ apiGroups: [''], resources: ['secrets'], resourceNames: ['s'], verbs: ['get'] }, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] })).toBe(false);
    expect(ruleCovers({ nonResourceURLs: ['/apis/*'], verbs: ['get'] }, { nonResourceURLs: ['/apis/apps'], verbs: ['get'] })).toBe(true);
    // A wildcard asked for needs a wildcard held.
    expect(ruleCovers({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['pods'], verbs: ['*'] })).toBe(false);
  });

  it('lists what is not covered', () => {
    const owner = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }];
    expect(uncoveredRules(owner, [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'] }])).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    expect(uncoveredRules(owner, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }])).toEqual([]);
  });
});
