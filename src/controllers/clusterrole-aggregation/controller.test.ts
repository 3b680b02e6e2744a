import { describe, expect, it } from 'vitest';
import type { ClusterRole } from '../../auth/index.js';
import { aggregatedRules, sameRule } from './controller.js';

const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules']): ClusterRole => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules }) as ClusterRole;

describe('aggregatedRules', () => {
  it('takes selectors in order, selected roles by name (not itself), each rule once', () => {
    const selectors: { matchLabels: Record<string, string> }[] = [{ matchLabels: { a: '1' } }, { matchLabels: { b: '1' } }];
    const agg = { ...role('agg', { x: 'y' }, []), aggregationRule: { clusterRoleSelectors: selectors } };
    const all = [
      role('zz', { a: '1' }, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
      role('aa', { a: '1' }, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]),
      role('bb', { b: '1' }, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { nonResourceURLs: ['/x'], verbs: ['get'] }]),
      role('other', { c: '1' }, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      { ...agg, metadata: { ...agg.metadata, labels: { a: '1' } }, rules: [{ apiGroups: ['self'], resources: ['r'], verbs: ['get'] }] },
    ];
    expect(aggregatedRules(agg, all).map((r) => (r.resources ?? r.nonResourceURLs)![0])).toEqual(['nodes', 'pods', '/x']);
  });

  it('sees a missing list and an empty one as the same rule, and order within a list as a difference', () => {
    expect(sameRule({ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: [] }, { apiGroups: [''], resources: ['pods'], verbs: ['get'] })).toBe(true);
    expect(sameRule({ verbs: ['get', 'list'] }, { verbs: ['list', 'get'] })).toBe(false);
  });
});
