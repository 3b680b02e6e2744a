import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { Authorizer } from './authorizer.js';
import { bootstrapRbacObjects } from './bootstrap-policy.js';
import { fieldSelectorName, requestAttributes } from './attributes.js';
import { forbiddenError, RbacAuthorizer, requestVerb, serviceAccountGroups, staticRbacSource, type AuthorizationAttributes, type PolicyRule } from './rbac.js';

const G = 'rbac.authorization.k8s.io';
const role = (ns: string, name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: `${G}/v1`, kind: 'Role', metadata: { namespace: ns, name }, rules });
const clusterRole = (name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name }, rules });
const rb = (ns: string, name: string, roleKind: string, roleName: string, subjects: object[]): KubeObject => ({
  apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { namespace: ns, name }, roleRef: { apiGroup: G, kind: roleKind, name: roleName }, subjects,
});
const crb = (name: string, roleName: string, subjects: object[]): KubeObject => ({
  apiVersion: `${G}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: roleName }, subjects,
});
const user = (name: string) => ({ kind: 'User', apiGroup: G, name });
const group = (name: string) => ({ kind: 'Group', apiGroup: G, name });

const objects: KubeObject[] = [
  ...bootstrapRbacObjects(),
  role('team-a', 'pod-reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]),
  rb('team-a', 'alice-reads-pods', 'Role', 'pod-reader', [user('alice')]),
  rb('team-a', 'bob-edit', 'ClusterRole', 'edit', [user('bob')]),
  crb('viewers', 'view', [group('viewers')]),
  role('team-a', 'named', [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['agent'], verbs: ['update', 'patch'] }]),
  rb('team-a', 'carol-named', 'Role', 'named', [user('carol')]),
  clusterRole('status-everything', [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] }]),
  crb('dave-status', 'status-everything', [user('dave')]),
  clusterRole('metrics', [{ nonResourceURLs: ['/metrics', '/logs/*'], verbs: ['get'] }]),
  crb('erin-metrics', 'metrics', [user('erin')]),
  // A RoleBinding to a ClusterRole with nonResourceURLs grants no path access.
  rb('team-a', 'frank-metrics', 'ClusterRole', 'metrics', [user('frank')]),
  rb('team-a', 'sa-reads', 'Role', 'pod-reader', [{ kind: 'ServiceAccount', name: 'builder' }]),
  rb('team-a', 'all-sa-in-b', 'Role', 'pod-reader', [group('system:serviceaccounts:team-b')]),
  clusterRole('ds-sub', [{ apiGroups: ['apps'], resources: ['daemonsets/status'], verbs: ['get'] }]),
  crb('gina-ds-sub', 'ds-sub', [user('gina')]),
  rb('team-a', 'dangling', 'Role', 'does-not-exist', [user('harry')]),
  crb('ivy-kubelet-api', 'system:kubelet-api-admin', [user('ivy')]),
];

function attrs(user: string, groups: string[], verb: string, resource: string, o: Partial<AuthorizationAttributes> = {}): AuthorizationAttributes {
  return { user, groups: [...groups, 'system:authenticated'], verb, isResourceRequest: true, apiGroup: '', resource, subresource: '', namespace: '', name: '', path: '', ...o };
}
const path = (user: string, verb: string, p: string): AuthorizationAttributes => ({ ...attrs(user, [], verb, ''), isResourceRequest: false, path: p });

const rbac = new RbacAuthorizer(staticRbacSource(objects));

describe('RbacAuthorizer', () => {
  const cases: [string, AuthorizationAttributes, boolean][] = [
    ['Role grants in its namespace', attrs('alice', [], 'list', 'pods', { namespace: 'team-a' }), true],
    ['Role grants nothing in another namespace', attrs('alice', [], 'list', 'pods', { namespace: 'team-b' }), false],
    ['Role grants nothing cluster-wide', attrs('alice', [], 'list', 'pods'), false],
    ['Role verb not granted', attrs('alice', [], 'delete', 'pods', { namespace: 'team-a', name: 'p' }), false],
    ['Role subresource not granted by plain resource', attrs('alice', [], 'get', 'pods', { namespace: 'team-a', name: 'p', subresource: 'log' }), false],
    ['Role other user', attrs('mallory', [], 'list', 'pods', { namespace: 'team-a' }), false],
    ['RoleBinding to ClusterRole edit: write in ns', attrs('bob', [], 'create', 'daemonsets', { apiGroup: 'apps', namespace: 'team-a' }), true],
    ['RoleBinding to ClusterRole edit: not in other ns', attrs('bob', [], 'create', 'daemonsets', { apiGroup: 'apps', namespace: 'team-b' }), false],
    ['edit cannot write roles', attrs('bob', [], 'create', 'roles', { apiGroup: G, namespace: 'team-a' }), false],
    ['view via group: read anywhere', attrs('victor', ['viewers'], 'get', 'daemonsets', { apiGroup: 'apps', namespace: 'x', name: 'd' }), true],
    ['view cannot write', attrs('victor', ['viewers'], 'update', 'daemonsets', { apiGroup: 'apps', namespace: 'x', name: 'd' }), false],
    // nodes/proxy is in no aggregated role (as upstream); system:kubelet-api-admin grants it all.
    ['view grants no nodes/proxy', attrs('victor', ['viewers'], 'get', 'nodes', { name: 'n1', subresource: 'proxy' }), false],
    ['edit grants no nodes/proxy', attrs('bob', [], 'get', 'nodes', { name: 'n1', subresource: 'proxy' }), false],
    ['system:kubelet-api-admin: get nodes/proxy', attrs('ivy', [], 'get', 'nodes', { name: 'n1', subresource: 'proxy' }), true],
    ['system:kubelet-api-admin: create nodes/proxy', attrs('ivy', [], 'create', 'nodes', { name: 'https:n1:10250', subresource: 'proxy' }), true],
    ['system:kubelet-api-admin: nodes read only', attrs('ivy', [], 'delete', 'nodes', { name: 'n1' }), false],
    ['view cannot read secrets', attrs('victor', ['viewers'], 'get', 'secrets', { namespace: 'x', name: 's' }), false],
    ['view wrong api group', attrs('victor', ['viewers'], 'get', 'daemonsets', { apiGroup: 'example.com', namespace: 'x', name: 'd' }), false],
    ['view reads the legacy extensions group, as upstream', attrs('victor', ['viewers'], 'get', 'daemonsets', { apiGroup: 'extensions', namespace: 'x', name: 'd' }), true],
    ['view cannot read leases (edit can)', attrs('victor', ['viewers'], 'get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'x', name: 'l' }), false],
    ['edit cannot write Endpoints (CVE-2021-25740)', attrs('bob', [], 'create', 'endpoints', { namespace: 'team-a' }), false],
    ['edit cannot write EndpointSlices (CVE-2021-25740)', attrs('bob', [], 'update', 'endpointslices', { apiGroup: 'discovery.k8s.io', namespace: 'team-a', name: 'e' }), false],
    ['edit reads Endpoints', attrs('bob', [], 'list', 'endpoints', { namespace: 'team-a' }), true],
    ['edit may exec (get and create pods/exec)', attrs('bob', [], 'get', 'pods', { namespace: 'team-a', name: 'p', subresource: 'exec' }), true],
    ['edit may impersonate service accounts of its namespace', attrs('bob', [], 'impersonate', 'serviceaccounts', { namespace: 'team-a', name: 'sa' }), true],
    ['edit reads and writes leases', attrs('bob', [], 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'team-a', name: 'l' }), true],
    ['resourceNames match', attrs('carol', [], 'patch', 'daemonsets', { apiGroup: 'apps', namespace: 'team-a', name: 'agent' }), true],
    ['resourceNames mismatch', attrs('carol', [], 'patch', 'daemonsets', { apiGroup: 'apps', namespace: 'team-a', name: 'other' }), false],
    ['resourceNames do not grant nameless (list/create)', attrs('carol', [], 'update', 'daemonsets', { apiGroup: 'apps', namespace: 'team-a' }), false],
    ['*/status matches any status', attrs('dave', [], 'update', 'nodes', { subresource: 'status', name: 'n' }), true],
    ['*/status does not match the resource', attrs('dave', [], 'update', 'nodes', { name: 'n' }), false],
    ['*/status does not match another subresource', attrs('dave', [], 'update', 'pods', { subresource: 'eviction', namespace: 'a', name: 'p' }), false],
    ['res/sub exact', attrs('gina', [], 'get', 'daemonsets', { apiGroup: 'apps', subresource: 'status', namespace: 'n', name: 'd' }), true],
    ['res/sub does not grant the resource', attrs('gina', [], 'get', 'daemonsets', { apiGroup: 'apps', namespace: 'n', name: 'd' }), false],
    ['nonResourceURL exact', path('erin', 'get', '/metrics'), true],
    ['nonResourceURL prefix*', path('erin', 'get', '/logs/kube.log'), true],
    ['nonResourceURL prefix* covers the bare prefix with slash', path('erin', 'get', '/logs/'), true],
    ['nonResourceURL wrong verb', path('erin', 'post', '/metrics'), false],
    ['nonResourceURL not listed', path('erin', 'get', '/debug'), false],
    ['nonResourceURL via RoleBinding grants nothing', path('frank', 'get', '/metrics'), false],
    ['discovery for any authenticated user', path('nobody', 'get', '/apis/apps/v1'), true],
    ['version for any authenticated user', path('nobody', 'get', '/version'), true],
    ['cluster-admin via system:masters binding', attrs('root', ['system:masters'], 'delete', 'nodes', { name: 'n' }), true],
    ['ServiceAccount subject, namespace defaulted from binding', attrs('system:serviceaccount:team-a:builder', serviceAccountGroups('system:serviceaccount:team-a:builder'), 'get', 'pods', { namespace: 'team-a', name: 'p' }), true],
    ['ServiceAccount of another namespace', attrs('system:serviceaccount:team-c:builder', [], 'get', 'pods', { namespace: 'team-a', name: 'p' }), false],
    ['group system:serviceaccounts:<ns>', attrs('system:serviceaccount:team-b:x', serviceAccountGroups('system:serviceaccount:team-b:x'), 'get', 'pods', { namespace: 'team-a', name: 'p' }), true],
    ['a User subject does not match a service account name', attrs('builder', [], 'get', 'pods', { namespace: 'team-a', name: 'p' }), false],
    ['binding to a missing Role grants nothing', attrs('harry', [], 'get', 'pods', { namespace: 'team-a', name: 'p' }), false],
  ];
  it.each(cases)('%s', async (_name, a, want) => {
    expect((await rbac.authorize(a)).allowed).toBe(want);
  });

  it('wildcards: verbs, apiGroups, resources', async () => {
    const r = new RbacAuthorizer(staticRbacSource([
      clusterRole('wild', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      crb('w', 'wild', [user('w')]),
      clusterRole('core-any', [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }]),
      crb('c', 'core-any', [user('c')]),
    ]));
    expect((await r.authorize(attrs('w', [], 'escalate', 'clusterroles', { apiGroup: G, name: 'x' }))).allowed).toBe(true);
    expect((await r.authorize(attrs('w', [], 'get', 'pods', { subresource: 'log', namespace: 'a', name: 'p' }))).allowed).toBe(true);
    expect((await r.authorize(path('w', 'get', '/metrics'))).allowed).toBe(false); // resources rule, no URLs
    expect((await r.authorize(attrs('c', [], 'get', 'nodes', { name: 'n' }))).allowed).toBe(true);
    expect((await r.authorize(attrs('c', [], 'get', 'daemonsets', { apiGroup: 'apps', namespace: 'a', name: 'd' }))).allowed).toBe(false);
  });
});

describe('forbiddenError', () => {
  it('uses upstream wording, namespaced / cluster / path variants', () => {
    const e1 = forbiddenError(attrs('bob', [], 'list', 'pods', { namespace: 'default' }));
    expect(e1.code).toBe(403);
    expect(e1.reason).toBe('Forbidden');
    expect(e1.message).toBe('pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"');
    expect(e1.toStatus().details).toEqual({ kind: 'pods' }); // no name: upstream's omitempty

    const e2 = forbiddenError(attrs('bob', [], 'update', 'daemonsets', { apiGroup: 'apps', namespace: 'ns1', name: 'agent' }));
    expect(e2.message).toBe('daemonsets.apps "agent" is forbidden: User "bob" cannot update resource "daemonsets" in API group "apps" in the namespace "ns1"');
    expect(e2.toStatus().details).toEqual({ name: 'agent', group: 'apps', kind: 'daemonsets' });

    const e3 = forbiddenError(attrs('bob', [], 'patch', 'nodes', { subresource: 'status', name: 'n1' }));
    expect(e3.message).toBe('nodes "n1" is forbidden: User "bob" cannot patch resource "nodes/status" in API group "" at the cluster scope');

    const e4 = forbiddenError(path('bob', 'get', '/metrics'));
    expect(e4.message).toBe('forbidden: User "bob" cannot get path "/metrics"');

    const e5 = forbiddenError(attrs('system:node:a', ['system:nodes'], 'get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'default', name: 'a' }), 'can only access leases in the "kube-node-lease" system namespace');
    expect(e5.message).toBe('leases.coordination.k8s.io "a" is forbidden: User "system:node:a" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "default": can only access leases in the "kube-node-lease" system namespace');
  });

  it('requestVerb maps methods as upstream', () => {
    expect(requestVerb('GET', { isResourceRequest: true, name: 'x' })).toBe('get');
    expect(requestVerb('GET', { isResourceRequest: true })).toBe('list');
    expect(requestVerb('GET', { isResourceRequest: true, watch: true })).toBe('watch');
    expect(requestVerb('POST', { isResourceRequest: true })).toBe('create');
    expect(requestVerb('PUT', { isResourceRequest: true, name: 'x' })).toBe('update');
    expect(requestVerb('PATCH', { isResourceRequest: true, name: 'x' })).toBe('patch');
    expect(requestVerb('DELETE', { isResourceRequest: true, name: 'x' })).toBe('delete');
    expect(requestVerb('DELETE', { isResourceRequest: true })).toBe('deletecollection');
    expect(requestVerb('POST', { isResourceRequest: false })).toBe('post');
    expect(requestVerb('HEAD', { isResourceRequest: false })).toBe('get');
  });
});

describe('bootstrap objects and the chain', () => {
  it('contains the built-in roles and the system:masters binding', () => {
    const objs = bootstrapRbacObjects();
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:node', 'system:node-problem-detector', 'system:persistent-volume-provisioner', 'system:kubelet-api-admin']) {
      expect(names).toContain(`ClusterRole/${n}`);
    }
    const masters = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'cluster-admin')!;
    expect(masters).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] });
    for (const o of objs) expect(o.apiVersion).toBe(`${G}/v1`);
    // Fresh copies: mutating one result does not leak into the next.
    objs[0]!.metadata.name = 'changed';
    expect(bootstrapRbacObjects()[0]!.metadata.name).toBe('cluster-admin');
  });

  it('system:masters is allowed even with no RBAC objects at all', async () => {
    const chain = new Authorizer({ rbac: staticRbacSource([]) });
    expect((await chain.authorize(attrs('root', ['system:masters'], 'delete', 'nodes', { name: 'n' }))).allowed).toBe(true);
    expect((await chain.authorize(attrs('bob', [], 'get', 'nodes', { name: 'n' }))).allowed).toBe(false);
  });

  it('admin can manage Roles in a namespace it is bound in', async () => {
    const chain = new Authorizer({ rbac: staticRbacSource([...bootstrapRbacObjects(), rb('ns1', 'ann-admin', 'ClusterRole', 'admin', [user('ann')])]) });
    expect((await chain.authorize(attrs('ann', [], 'create', 'rolebindings', { apiGroup: G, namespace: 'ns1' }))).allowed).toBe(true);
    expect((await chain.authorize(attrs('ann', [], 'create', 'rolebindings', { apiGroup: G, namespace: 'ns2' }))).allowed).toBe(false);
    expect((await chain.authorize(attrs('ann', [], 'create', 'clusterroles', { apiGroup: G }))).allowed).toBe(false);
  });
});

describe('requestAttributes: a list or watch of one name', () => {
  const u = { user: 'erin', groups: ['system:authenticated'] };
  const route = { group: '', version: 'v1', plural: 'secrets', namespace: 'ns' };

  it('is authorized for the name its field selector pins, as upstream RequestInfo does', () => {
    expect(requestAttributes(u, 'GET', '/api/v1/namespaces/ns/secrets', route, false, 'metadata.name=s1')).toMatchObject({ verb: 'list', name: 's1' });
    expect(requestAttributes(u, 'GET', '/api/v1/namespaces/ns/secrets', route, true, 'metadata.name==s1,type=Opaque')).toMatchObject({ verb: 'watch', name: 's1' });
  });

  it('keeps no name for other selectors, a negation, two names, or a name that is no path segment; never renames a get', () => {
    for (const fs of [undefined, '', 'metadata.name!=s1', 'metadata.namespace=ns', 'metadata.name=a,metadata.name=b', 'metadata.name=..', 'metadata.name=a/b', 'not a selector===']) {
      expect(requestAttributes(u, 'GET', '/api/v1/namespaces/ns/secrets', route, false, fs).name, String(fs)).toBe('');
    }
    expect(fieldSelectorName('metadata.name=x')).toBe('x');
    expect(requestAttributes(u, 'GET', '/api/v1/namespaces/ns/secrets/s2', { ...route, name: 's2' }, false, 'metadata.name=s1')).toMatchObject({ verb: 'get', name: 's2' });
  });
});

describe('the bootstrap roles', () => {
  it("carry upstream's aggregation labels, and the system:aggregate-to-* roles hold what each adds", () => {
    const byName = new Map(bootstrapRbacObjects().filter((o) => o.kind === 'ClusterRole').map((o) => [o.metadata.name, o as unknown as { metadata: { labels: Record<string, string> }; rules: Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }> }]));
    expect(byName.get('view')!.metadata.labels['rbac.authorization.k8s.io/aggregate-to-edit']).toBe('true');
    expect(byName.get('edit')!.metadata.labels['rbac.authorization.k8s.io/aggregate-to-admin']).toBe('true');
    for (const r of ['admin', 'edit', 'view']) expect(byName.has(`system:aggregate-to-${r}`), r).toBe(true);
    // Nothing in the edit family writes Endpoints or EndpointSlices.
    for (const name of ['admin', 'edit', 'system:aggregate-to-edit']) {
      const writes = byName.get(name)!.rules.filter((r) => r.verbs.includes('create') && (r.resources ?? []).some((x) => x === 'endpoints' || x === 'endpointslices'));
      expect(writes, name).toEqual([]);
    }
  });
});
