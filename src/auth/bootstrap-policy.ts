// The RBAC objects the server creates at first start (upstream's "bootstrap policy").
//
// Contract: `bootstrapRbacObjects()` returns fresh objects each call, with apiVersion/kind
// set, the label `kubernetes.io/bootstrapping: rbac-defaults` and the annotation
// `rbac.authorization.kubernetes.io/autoupdate: "true"`. The server creates each one that
// does not exist yet (AlreadyExists is fine) and never overwrites an existing one, so an
// operator's edits survive restarts. `admin`, `edit` and `view` carry their full rules
// directly (upstream aggregates them; aggregation is not evaluated here).
//
// The rule sets are written for what everynode serves (core, apps, coordination, events,
// rbac) plus the common groups real manifests name, so manifests written for Kubernetes
// keep their meaning.

import type { KubeObject } from '../api/types.js';
import { RBAC_GROUP, type ClusterRole, type ClusterRoleBinding, type PolicyRule } from './rbac.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});
const urls = (nonResourceURLs: string[], verbs: string[]): PolicyRule => ({ nonResourceURLs, verbs });

function meta(name: string) {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[]): ClusterRole {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: meta(name), rules };
}

function clusterRoleBinding(name: string, role: string, groups: string[]): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name: g })),
  };
}

// Namespaced workload and config resources, by group, that the view/edit/admin roles cover.
const coreReadable = ['pods', 'pods/log', 'pods/status', 'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'replicationcontrollers', 'replicationcontrollers/scale', 'replicationcontrollers/status', 'services', 'services/status', 'serviceaccounts', 'events', 'limitranges', 'resourcequotas', 'resourcequotas/status', 'namespaces', 'namespaces/status', 'bindings'];
const appsResources = ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'controllerrevisions'];
const batchResources = ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status'];

/** Read-only access to most namespaced objects; not Secrets, not RBAC. */
function viewRules(): PolicyRule[] {
  return [
    rule([''], coreReadable, READ),
    rule(['apps'], appsResources, READ),
    rule(['batch'], batchResources, READ),
    rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
    rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['events.k8s.io'], ['events'], READ),
    rule(['coordination.k8s.io'], ['leases'], READ),
    // What metrics-server's aggregated metrics reader adds to view (kubectl top).
    rule(['metrics.k8s.io'], ['pods', 'nodes'], ['get', 'list', 'watch']),
  ];
}

/** view + writes to workloads, config and Secrets; no RBAC, no quotas, no namespaces. */
function editRules(): PolicyRule[] {
  return [
    ...viewRules(),
    rule([''], ['secrets'], READ_WRITE),
    rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'pods/eviction', 'configmaps', 'endpoints', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'services', 'services/proxy', 'serviceaccounts', 'events'], WRITE),
    rule([''], ['serviceaccounts/token'], ['create']),
    rule(['apps'], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale', 'controllerrevisions'], WRITE),
    rule(['batch'], ['jobs', 'cronjobs'], WRITE),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
    rule(['discovery.k8s.io'], ['endpointslices'], WRITE),
    rule(['events.k8s.io'], ['events'], WRITE),
    rule(['coordination.k8s.io'], ['leases'], WRITE),
  ];
}

/** edit + managing access inside a namespace (Roles, RoleBindings) and access reviews. */
function adminRules(): PolicyRule[] {
  return [
    ...editRules(),
    rule([RBAC_GROUP], ['roles', 'rolebindings'], READ_WRITE),
    rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
  ];
}

/**
 * What a node's agent needs; the Node authorizer (node.ts) grants exactly these to
 * `system:node:<n>` and NodeRestriction narrows writes to the node's own objects. The role
 * is not bound by default (as upstream): binding it to a user grants these rules unnarrowed.
 */
export function nodeRules(): PolicyRule[] {
  return [
    rule([''], ['nodes'], ['get', 'list', 'watch', 'create', 'update', 'patch']),
    rule([''], ['nodes/status'], ['update', 'patch']),
    rule([''], ['pods'], ['get', 'list', 'watch', 'create', 'delete']),
    rule([''], ['pods/status'], ['update', 'patch']),
    rule([''], ['pods/eviction'], ['create']),
    rule([''], ['events'], ['create', 'update', 'patch']),
    rule(['events.k8s.io'], ['events'], ['create', 'update', 'patch']),
    rule([''], ['services', 'endpoints'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    // Leases and the Secrets/ConfigMaps of its pods are authorized per object by node.ts.
  ];
}

/** Reading nodes and writing events: what a node-problem-detector daemon does. */
function nodeProblemDetectorRules(): PolicyRule[] {
  return [
    rule([''], ['nodes'], ['get']),
    rule([''], ['nodes/status'], ['patch']),
    rule([''], ['events'], ['create', 'patch', 'update']),
    rule(['events.k8s.io'], ['events'], ['create', 'patch', 'update']),
  ];
}

/** Managing PersistentVolumes for claims: what an external volume provisioner does. */
function persistentVolumeProvisionerRules(): PolicyRule[] {
  return [
    rule([''], ['persistentvolumes'], ['get', 'list', 'watch', 'create', 'delete']),
    rule([''], ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update']),
    rule(['storage.k8s.io'], ['storageclasses'], READ),
    rule([''], ['events'], ['create', 'list', 'watch', 'patch', 'update']),
  ];
}

/** Every bootstrap ClusterRole and ClusterRoleBinding (fresh copies). */
export function bootstrapRbacObjects(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('admin', adminRules()),
    clusterRole('edit', editRules()),
    clusterRole('view', viewRules()),
    clusterRole('system:node', nodeRules()),
    clusterRole('system:node-problem-detector', nodeProblemDetectorRules()),
    clusterRole('system:persistent-volume-provisioner', persistentVolumeProvisionerRules()),
    // Discovery and public info for every authenticated client (kubectl needs these).
    clusterRole('system:discovery', [urls(['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*', '/version', '/version/', '/openapi', '/openapi/*'], ['get'])]),
    clusterRole('system:basic-user', [rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']), rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create'])]),
    // Delegated authentication and authorization (kube-rbac-proxy, metrics-server, webhooks).
    clusterRole('system:auth-delegator', [rule(['authentication.k8s.io'], ['tokenreviews'], ['create']), rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create'])]),
    clusterRole('system:public-info-viewer', [urls(['/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*', '/version', '/version/'], ['get'])]),
    // Scraping the server's /metrics (Prometheus): bind a user or service account to group system:monitoring.
    clusterRole('system:monitoring', [urls(['/metrics', '/metrics/slis', '/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*'], ['get'])]),
    // OIDC issuer discovery (the token signing key) for every service account, as upstream.
    clusterRole('system:service-account-issuer-discovery', [urls(['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'], ['get'])]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', ['system:masters']),
    clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
    clusterRoleBinding('system:basic-user', 'system:basic-user', ['system:authenticated']),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
    clusterRoleBinding('system:monitoring', 'system:monitoring', ['system:monitoring']),
    clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', ['system:serviceaccounts']),
  ];
}
