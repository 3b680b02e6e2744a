// The resources the garbage collector watches, as data. Kinds are data (CRDs add more at run
// time), so the collector takes its list from the caller; the default is every built-in kind
// everynode serves whose objects can carry ownerReferences or be owners. Events are left out
// on purpose (upstream's GC does not track them either: too many, never owners).

import { type ResourceDescriptor, apiVersionOf } from '../../client/index.js';
import { builtinKinds, type KubeObject } from '../../api/index.js';

const core = (plural: string, kind: string, namespaced = true): ResourceDescriptor => ({ group: '', version: 'v1', plural, namespaced, kind });
const rbac = (plural: string, kind: string, namespaced: boolean): ResourceDescriptor => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  namespaced,
  kind,
});

export const serviceAccountsResource = core('serviceaccounts', 'ServiceAccount');
export const rolesResource = rbac('roles', 'Role', true);
export const roleBindingsResource = rbac('rolebindings', 'RoleBinding', true);
export const clusterRoleBindingsResource = rbac('clusterrolebindings', 'ClusterRoleBinding', false);
const other = (group: string, plural: string, kind: string, namespaced: boolean): ResourceDescriptor => ({ group, version: 'v1', plural, namespaced, kind });
export const podDisruptionBudgetsResource = other('policy', 'poddisruptionbudgets', 'PodDisruptionBudget', true);
export const csiDriversResource = other('storage.k8s.io', 'csidrivers', 'CSIDriver', false);
export const validatingWebhookConfigurationsResource = other('admissionregistration.k8s.io', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false);
export const mutatingWebhookConfigurationsResource = other('admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false);
// Monitored for their own ownerReferences, and to monitor the custom resources each declares.
export { customResourceDefinitionsResource, customResourceOf } from '../../client/index.js';

/**
 * Default monitored set: every built-in kind whose objects can be listed, watched and deleted
 * (so each can be an owner and a dependent, Namespaces and PriorityClasses among them), as
 * upstream's collector monitors every deletable resource. Events are left out (see the file
 * comment), and a kind served again as another version (events.k8s.io) is its stored kind.
 * Nodes are in it because mirror pods are owned by their Node. With CustomResourceDefinitions
 * in it, the collector also monitors the custom resources of every CRD it sees
 * (GarbageCollector.monitorCustomResources).
 */
export const defaultGarbageCollectorResources: readonly ResourceDescriptor[] = builtinKinds()
  .filter((k) => !k.view && k.kind !== 'Event' && (['list', 'watch', 'delete'] as const).every((v) => k.verbs.includes(v)))
  .map((k) => ({ group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced, kind: k.kind }));

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

  /** Adds a resource (a custom resource kind that appeared); the first of a group/kind stays. */
  add(r: ResourceDescriptor): void {
    const k = `${r.group}/${r.kind}`;
    if (!this.byGroupKind.has(k)) this.byGroupKind.set(k, r);
  }

  resolve(apiVersion: string, kind: string): ResourceDescriptor | undefined {
    return this.byGroupKind.get(`${groupOfApiVersion(apiVersion)}/${kind}`);
  }
}

export { apiVersionOf };
