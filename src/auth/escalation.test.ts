import { describe, expect, it } from 'vitest';
import { breakdownRule, compactRules, ruleCovers, uncoveredRules } from './escalation.js';

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

  it('compacts the atoms of one group, resource and name into one rule with their verbs (upstream CompactRules)', () => {
    const atoms = breakdownRule({ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list'] });
    expect(compactRules(atoms)).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
    ]);
    // Named atoms stay apart from unnamed ones; URL rules and rules of several resources are kept as they are.
    const named = { apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['get'] };
    const urls = { nonResourceURLs: ['/metrics'], verbs: ['get'] };
    const wide = { apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get'] };
    expect(compactRules([named, urls, wide, { ...named, verbs: ['delete'] }])).toEqual([urls, wide, { ...named, verbs: ['get', 'delete'] }]);
    // Overlapping rules give each verb once.
    expect(compactRules([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }])).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
  });
});
