// The RBAC objects the server creates at first start (upstream's "bootstrap policy").
//
// Contract: `bootstrapRbacObjects()` returns fresh objects each call, with apiVersion/kind
// set, the label `kubernetes.io/bootstrapping: rbac-defaults` and the annotation
// `rbac.authorization.kubernetes.io/autoupdate: "true"`. The server creates each one that
// does not exist yet (AlreadyExists is fine) and never overwrites an existing one, so an
// operator's edits survive restarts (so a cluster made before a change of these rules keeps its
// roles, as upstream's reconciliation never removes permissions). `admin`, `edit` and `view`
// aggregate as upstream's (an `aggregationRule` selecting `aggregate-to-admin`, `-edit` and
// `-view`), and carry their full rules from the start too, so they are whole before the
// aggregation controller first runs (and on a server without controllers).
//
// The rule sets are written for what everynode serves (core, apps, coordination, events,
// rbac, certificates) plus the common groups real manifests name, so manifests written for Kubernetes
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

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: 'admin' | 'edit' | 'view'): ClusterRole {
  const m = meta(name);
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { ...m, labels: { ...m.labels, ...labels } },
    ...(aggregateFrom ? { aggregationRule: aggregationRuleOf(aggregateFrom) } : {}),
    rules,
  };
}

const AGGREGATE_TO = (role: 'admin' | 'edit' | 'view') => ({ [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' });

/** The aggregationRule of upstream's `admin`, `edit` or `view`: the ClusterRoles labelled aggregate-to-<role>. */
export function aggregationRuleOf(role: 'admin' | 'edit' | 'view'): { clusterRoleSelectors: { matchLabels: Record<string, string> }[] } {
  return { clusterRoleSelectors: [{ matchLabels: AGGREGATE_TO(role) }] };
}

/** The bootstrap ClusterRoles that aggregate (their names are their aggregationRule's role). */
export const AGGREGATED_BOOTSTRAP_ROLES = ['admin', 'edit', 'view'] as const;

function clusterRoleBinding(name: string, role: string, groups: string[]): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name: g })),
  };
}

// The rules of upstream's system:aggregate-to-view / -edit / -admin roles, which view, edit and
// admin aggregate (view into edit, edit into admin). Since 1.22 (CVE-2021-25740) neither edit
// nor admin may write Endpoints or EndpointSlices: a namespace editor could otherwise point a
// Service at any address, including ones outside the namespace.

/** Read-only access to most namespaced objects; not Secrets, not RBAC, not Leases. */
function viewRules(): PolicyRule[] {
  return [
    rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
    rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], READ),
    rule([''], ['namespaces'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
    rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
    rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
    rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
    rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
    // What metrics-server's aggregated metrics reader adds to view (kubectl top); also the
    // system:aggregated-metrics-reader role's, which view aggregates.
    rule(['metrics.k8s.io'], ['pods', 'nodes'], READ),
  ];
}

/** view + writes to workloads, config and Secrets, exec/attach/port-forward/proxy, impersonating service accounts; no RBAC, no Endpoints writes. */
function editRules(): PolicyRule[] {
  return [
    rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
    rule([''], ['serviceaccounts'], ['impersonate']),
    rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
    rule([''], ['pods/eviction'], ['create']),
    rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
    rule([''], ['serviceaccounts/token'], ['create']),
    rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['batch'], ['cronjobs', 'jobs'], WRITE),
    rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
    rule(['coordination.k8s.io'], ['leases'], READ_WRITE),
    ...viewRules(),
  ];
}

/** The rules admin adds to edit: managing access inside a namespace and local access reviews. */
function adminOnlyRules(): PolicyRule[] {
  return [rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']), rule([RBAC_GROUP], ['rolebindings', 'roles'], READ_WRITE)];
}

/** edit + managing access inside a namespace (Roles, RoleBindings) and access reviews. */
function adminRules(): PolicyRule[] {
  return [...adminOnlyRules(), ...editRules()];
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
    rule(['node.k8s.io'], ['runtimeclasses'], READ),
    rule(['storage.k8s.io'], ['csidrivers'], READ),
    rule(['storage.k8s.io'], ['csinodes'], ['get', 'create', 'update', 'patch', 'delete']),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    // Its client and serving certificates' rotation (upstream's NodeRules).
    rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['create', 'get', 'list', 'watch']),
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
    // admin, edit and view aggregate (and hold their rules from the start, see above); the
    // system:aggregate-to-* roles and the labels are upstream's.
    clusterRole('admin', adminRules(), {}, 'admin'),
    clusterRole('edit', editRules(), AGGREGATE_TO('admin'), 'edit'),
    clusterRole('view', viewRules(), AGGREGATE_TO('edit'), 'view'),
    // What metrics-server's install adds to view, edit and admin (kubectl top); everynode serves
    // metrics.k8s.io itself.
    clusterRole('system:aggregated-metrics-reader', [rule(['metrics.k8s.io'], ['pods', 'nodes'], READ)], { ...AGGREGATE_TO('view'), ...AGGREGATE_TO('edit'), ...AGGREGATE_TO('admin') }),
    clusterRole('system:aggregate-to-admin', adminOnlyRules(), AGGREGATE_TO('admin')),
    clusterRole('system:aggregate-to-edit', editRules().slice(0, editRules().length - viewRules().length), AGGREGATE_TO('edit')),
    clusterRole('system:aggregate-to-view', viewRules().filter((r) => !r.apiGroups?.includes('metrics.k8s.io')), AGGREGATE_TO('view')),
    clusterRole('system:node', nodeRules()),
    clusterRole('system:node-problem-detector', nodeProblemDetectorRules()),
    // Full use of the agents' API through nodes/proxy (upstream's role for the kubelet API;
    // not bound, as upstream: bind it to whoever may read any node's pods, metrics and logs).
    clusterRole('system:kubelet-api-admin', [
      rule([''], ['nodes'], READ),
      rule([''], ['nodes'], ['proxy']),
      rule([''], ['nodes/proxy', 'nodes/metrics', 'nodes/spec', 'nodes/stats', 'nodes/log'], ['*']),
    ]),
    clusterRole('system:persistent-volume-provisioner', persistentVolumeProvisionerRules()),
    // CertificateSigningRequests (upstream's bootstrap roles; none is bound by default): requesting
    // a node client certificate at bootstrap, the approval markers of node client requests, and
    // approving requests of each kubernetes.io signer (`approve` on the `signers` resource, see
    // apiserver/certificates-admission.ts).
    clusterRole('system:node-bootstrapper', [rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['create', 'get', 'list', 'watch'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'], ['create'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'], ['create'])]),
    clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/legacy-unknown'])]),
    clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kubelet-serving'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
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
