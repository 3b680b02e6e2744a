// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding.

import {
  RBAC,
  labelSelector, list, listOf, obj, objectMeta, ref, str, strList, typeMeta,
  type Definitions,
} from './dsl.js';

const r = (name: string, description?: string) => ref(RBAC + name, description);

export const rbacDefinitions: Definitions = {
  [RBAC + 'Role']: obj('A namespaced set of permissions (policy rules), granted through RoleBindings.', {
    ...typeMeta(),
    metadata: objectMeta(),
    rules: list(r('PolicyRule'), 'The permissions of the role.'),
  }),
  [RBAC + 'RoleList']: listOf(RBAC + 'Role', 'roles'),
  [RBAC + 'ClusterRole']: obj('A cluster-wide set of permissions, granted through RoleBindings or ClusterRoleBindings.', {
    ...typeMeta(),
    metadata: objectMeta(),
    rules: list(r('PolicyRule'), 'The permissions of the role.'),
    aggregationRule: r('AggregationRule', 'When set, rules are computed by the controller from the selected ClusterRoles, and writes to rules are overwritten.'),
  }),
  [RBAC + 'ClusterRoleList']: listOf(RBAC + 'ClusterRole', 'cluster roles'),
  [RBAC + 'PolicyRule']: obj('Actions allowed on resources or non-resource URLs.', {
    verbs: strList('Verbs allowed, e.g. get, list, watch, create; "*" allows all.'),
    apiGroups: strList('API groups of the resources; "" is the core group, "*" all groups.'),
    resources: strList('Resources the rule applies to, e.g. pods or pods/log; "*" all.'),
    resourceNames: strList('Optional allow-list of object names.'),
    nonResourceURLs: strList('URL paths (e.g. /healthz, with a trailing * as prefix match); only in ClusterRoles bound cluster-wide.'),
  }, ['verbs']),
  [RBAC + 'AggregationRule']: obj('Selects ClusterRoles whose rules are combined.', {
    clusterRoleSelectors: list(labelSelector(), 'Selectors of the ClusterRoles to combine; ORed.'),
  }),
  [RBAC + 'RoleBinding']: obj('Grants the permissions of a Role or ClusterRole to subjects within one namespace.', {
    ...typeMeta(),
    metadata: objectMeta(),
    subjects: list(r('Subject'), 'Users, groups and service accounts receiving the permissions.'),
    roleRef: r('RoleRef', 'The Role (in this namespace) or ClusterRole granted. Cannot be changed.'),
  }, ['roleRef']),
  [RBAC + 'RoleBindingList']: listOf(RBAC + 'RoleBinding', 'role bindings'),
  [RBAC + 'ClusterRoleBinding']: obj('Grants the permissions of a ClusterRole to subjects cluster-wide.', {
    ...typeMeta(),
    metadata: objectMeta(),
    subjects: list(r('Subject'), 'Users, groups and service accounts receiving the permissions.'),
    roleRef: r('RoleRef', 'The ClusterRole granted. Cannot be changed.'),
  }, ['roleRef']),
  [RBAC + 'ClusterRoleBindingList']: listOf(RBAC + 'ClusterRoleBinding', 'cluster role bindings'),
  [RBAC + 'Subject']: obj('A user, group or service account.', {
    kind: str('User, Group or ServiceAccount.'),
    apiGroup: str('"" for ServiceAccount, "rbac.authorization.k8s.io" for User and Group.'),
    name: str('Name of the subject.'),
    namespace: str('Namespace of a ServiceAccount subject.'),
  }, ['kind', 'name']),
  [RBAC + 'RoleRef']: obj('The role a binding grants.', {
    apiGroup: str('API group of the role: rbac.authorization.k8s.io.'),
    kind: str('Role or ClusterRole.'),
    name: str('Name of the role.'),
  }, ['kind', 'name']),
};
