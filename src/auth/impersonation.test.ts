import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { errorOf } from '../api/testing/index.js';
import { Authorizer } from './authorizer.js';
import { bootstrapRbacObjects } from './bootstrap-policy.js';
import { impersonate, impersonationOf } from './impersonation.js';
import { staticRbacSource, type AuthorizationAttributes } from './rbac.js';

// Carol may impersonate user "bob", the group "readers" and the service accounts of ns "ops".
const objects: KubeObject[] = [
  ...bootstrapRbacObjects(),
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'impersonator' },
    rules: [
      { verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['bob'] },
      { verbs: ['impersonate'], apiGroups: [''], resources: ['groups'], resourceNames: ['readers'] },
    ],
  } as KubeObject,
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'sa-impersonator', namespace: 'ops' }, rules: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }] } as KubeObject,
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'carol' }, subjects: [{ kind: 'User', name: 'carol' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonator' } } as KubeObject,
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'carol', namespace: 'ops' }, subjects: [{ kind: 'User', name: 'carol' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sa-impersonator' } } as KubeObject,
];
const authorizer = new Authorizer({ rbac: staticRbacSource(objects) });
const authorize = (a: AuthorizationAttributes) => authorizer.authorize(a);
const carol = { user: 'carol', groups: ['system:authenticated'] };
const admin = { user: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

describe('impersonation headers', () => {
  it('reads user, groups, uid and extras; none is no impersonation', () => {
    expect(impersonationOf({ accept: ['*/*'] })).toBeUndefined();
    expect(impersonationOf({ 'impersonate-user': ['bob'], 'impersonate-group': ['a', 'b'], 'impersonate-uid': ['u1'], 'impersonate-extra-scopes': ['x', 'y'], 'impersonate-extra-a%2Fb': ['z'] })).toEqual({
      user: 'bob',
      groups: ['a', 'b'],
      uid: 'u1',
      extra: { scopes: ['x', 'y'], 'a/b': ['z'] },
    });
  });

  it('groups, uid or extras without a user are a 400', () => {
    for (const h of [{ 'impersonate-group': ['a'] }, { 'impersonate-uid': ['u'] }, { 'impersonate-extra-k': ['v'] }]) {
      const err = errorOf(() => impersonationOf(h));
      expect([err.code, err.message]).toEqual([400, 'requested impersonation of groups, uid or extras without impersonating a user']);
    }
    // An empty user is no impersonation; an extra key that does not decode is kept as written.
    expect(impersonationOf({ 'impersonate-user': [''] })).toBeUndefined();
    expect(impersonationOf({ 'impersonate-user': ['bob'], 'impersonate-extra-%zz': ['v'] })?.extra).toEqual({ '%zz': ['v'] });
  });
});

describe('impersonate', () => {
  it('runs as exactly the requested user and groups, plus system:authenticated', async () => {
    expect(await impersonate(carol, { user: 'bob', groups: [], extra: {} }, authorize)).toEqual({ user: 'bob', groups: ['system:authenticated'] });
    expect(await impersonate(carol, { user: 'bob', groups: ['readers'], extra: {} }, authorize)).toEqual({ user: 'bob', groups: ['readers', 'system:authenticated'] });
    // A service account gets its implicit groups unless groups are requested.
    expect(await impersonate(carol, { user: 'system:serviceaccount:ops:agent', groups: [], extra: {} }, authorize)).toEqual({
      user: 'system:serviceaccount:ops:agent',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ops', 'system:authenticated'],
    });
    expect(await impersonate(admin, { user: 'system:anonymous', groups: [], extra: {} }, authorize)).toEqual({ user: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect((await impersonate(admin, { user: 'system:anonymous', groups: ['foo'], extra: {} }, authorize)).groups).toEqual(['foo', 'system:unauthenticated']);
    expect((await impersonate(admin, { user: 'x', groups: ['system:unauthenticated'], extra: {} }, authorize)).groups).toEqual(['system:unauthenticated']);
    // Not of the form system:serviceaccount:<ns>:<name>: a user, impersonated as one.
    await expect(impersonate(carol, { user: 'system:serviceaccount:ops:a:b', groups: [], extra: {} }, authorize)).rejects.toMatchObject({ message: /cannot impersonate resource "users"/ });
    expect(await impersonate(admin, { user: 'x', groups: [], uid: 'u-1', extra: { k: ['v'] } }, authorize)).toEqual({ user: 'x', groups: ['system:authenticated'], uid: 'u-1', extra: { k: ['v'] } });
  });

  it('refuses, as upstream words it, whatever the caller may not impersonate', async () => {
    await expect(impersonate(carol, { user: 'dave', groups: [], extra: {} }, authorize)).rejects.toMatchObject({
      code: 403,
      message: 'users "dave" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope',
    });
    await expect(impersonate(carol, { user: 'bob', groups: ['system:masters'], extra: {} }, authorize)).rejects.toMatchObject({
      message: 'groups "system:masters" is forbidden: User "carol" cannot impersonate resource "groups" in API group "" at the cluster scope',
    });
    await expect(impersonate(carol, { user: 'system:serviceaccount:kube-system:agent', groups: [], extra: {} }, authorize)).rejects.toMatchObject({
      message: 'serviceaccounts "agent" is forbidden: User "carol" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"',
    });
    await expect(impersonate(carol, { user: 'bob', groups: [], uid: 'u', extra: {} }, authorize)).rejects.toMatchObject({ code: 403, message: /cannot impersonate resource "uids" in API group "authentication.k8s.io"/ });
    await expect(impersonate(carol, { user: 'bob', groups: [], extra: { scopes: ['x'] } }, authorize)).rejects.toMatchObject({ code: 403, message: /cannot impersonate resource "userextras\/scopes"/ });
  });
});
