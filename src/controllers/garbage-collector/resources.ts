// The resources the garbage collector watches, as data. Kinds are data (CRDs add more at run
// time), so the collector takes its list from the caller; this is the default set of kinds
// everynode serves whose objects can carry ownerReferences or be owners. Events are left out
// on purpose (upstream's GC does not track them either: too many, never owners).

import {
  type ResourceDescriptor,
  apiVersionOf,
  controllerRevisionsResource,
  daemonSetsResource,
  leasesResource,
  nodesResource,
  podsResource,
} from '../../client/index.js';

const core = (plural: string, kind: string, namespaced = true): ResourceDescriptor => ({ group: '', version: 'v1', plural, namespaced, kind });
const rbac = (plural: string, kind: string, namespaced: boolean): ResourceDescriptor => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  namespaced,
  kind,
});

export const configMapsResource = core('configmaps', 'ConfigMap');
export const secretsResource = core('secrets', 'Secret');
export const servicesResource = core('services', 'Service');
export const endpointsResource = core('endpoints', 'Endpoints');
export const serviceAccountsResource = core('serviceaccounts', 'ServiceAccount');
export const rolesResource = rbac('roles', 'Role', true);
export const roleBindingsResource = rbac('rolebindings', 'RoleBinding', true);
export const clusterRolesResource = rbac('clusterroles', 'ClusterRole', false);
export const clusterRoleBindingsResource = rbac('clusterrolebindings', 'ClusterRoleBinding', false);

/** Default monitored set. Nodes are included because mirror pods are owned by their Node. */
export const defaultGarbageCollectorResources: readonly ResourceDescriptor[] = [
  podsResource,
  nodesResource,
  daemonSetsResource,
  controllerRevisionsResource,
  configMapsResource,
  secretsResource,
  servicesResource,
  endpointsResource,
  serviceAccountsResource,
  leasesResource,
  rolesResource,
  roleBindingsResource,
  clusterRolesResource,
  clusterRoleBindingsResource,
];

/** `apps/v1` → `apps`, `v1` → ''. */
export function groupOfApiVersion(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/**
 * Resolves an ownerReference's (apiVersion, kind) to a descriptor. Matching is by group and
 * kind (any version of a group/kind names the same objects), the way a REST mapper would.
 */
export class ResourceResolver {
  private readonly byGroupKind = new Map<string, ResourceDescriptor>();

  constructor(resources: Iterable<ResourceDescriptor>) {
    for (const r of resources) {
      const k = `${r.group}/${r.kind}`;
      if (!this.byGroupKind.has(k)) this.byGroupKind.set(k, r);
    }
  }

  resolve(apiVersion: string, kind: string): ResourceDescriptor | undefined {
    return this.byGroupKind.get(`${groupOfApiVersion(apiVersion)}/${kind}`);
  }
}

export { apiVersionOf };
