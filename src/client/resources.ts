// Resource descriptors: how a client names a kind on the wire. Kinds are data (CRDs will add
// more at run time), so nothing here is a closed list; the constants are the kinds everynode's
// own controllers use.

import type { KubeObject } from '../api/types.js';

export interface ResourceDescriptor {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. `daemonsets`. */
  plural: string;
  namespaced: boolean;
  kind: string;
}

export function apiVersionOf(r: ResourceDescriptor): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `pods` or `daemonsets.apps`: the informer-sharing key and the form used in messages. */
export function resourceKey(r: ResourceDescriptor): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

export const podsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
export const nodesResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
export const namespacesResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace' };
export const configMapsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'configmaps', namespaced: true, kind: 'ConfigMap' };
export const secretsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };
export const serviceAccountsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount' };
export const eventsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'events', namespaced: true, kind: 'Event' };
export const clusterRolesResource: ResourceDescriptor = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false, kind: 'ClusterRole' };
export const daemonSetsResource: ResourceDescriptor = { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true, kind: 'DaemonSet' };
/** Stored and served, not run (the disruption controller reads their scale; the garbage collector their ownerReferences). */
export const deploymentsResource: ResourceDescriptor = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, kind: 'Deployment' };
export const replicaSetsResource: ResourceDescriptor = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, kind: 'ReplicaSet' };
export const replicationControllersResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' };
export const controllerRevisionsResource: ResourceDescriptor = {
  group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true, kind: 'ControllerRevision',
};
export const runtimeClassesResource: ResourceDescriptor = { group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses', namespaced: false, kind: 'RuntimeClass' };
export const leasesResource: ResourceDescriptor = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, kind: 'Lease' };
export const podDisruptionBudgetsResource: ResourceDescriptor = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true, kind: 'PodDisruptionBudget' };
export const limitRangesResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'limitranges', namespaced: true, kind: 'LimitRange' };
export const csiNodesResource: ResourceDescriptor = { group: 'storage.k8s.io', version: 'v1', plural: 'csinodes', namespaced: false, kind: 'CSINode' };
export const resourceQuotasResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true, kind: 'ResourceQuota' };
export const servicesResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };
export const endpointsResource: ResourceDescriptor = { group: '', version: 'v1', plural: 'endpoints', namespaced: true, kind: 'Endpoints' };
export const endpointSlicesResource: ResourceDescriptor = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };

/** The CustomResourceDefinitions (the kinds they declare are served beside the built-in ones). */
export const customResourceDefinitionsResource: ResourceDescriptor = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' };

/**
 * The resource of the custom resources a CRD declares (its storage version: every version
 * names the same objects), or undefined for a CRD without usable names.
 */
export function customResourceOf(crd: KubeObject): ResourceDescriptor | undefined {
  const spec = (crd as { spec?: { group?: unknown; scope?: unknown; names?: { plural?: unknown; kind?: unknown }; versions?: Array<{ name?: unknown; served?: unknown; storage?: unknown }> } }).spec;
  const versions = Array.isArray(spec?.versions) ? spec.versions : [];
  const version = (versions.find((v) => v?.storage === true && v.served === true) ?? versions.find((v) => v?.served === true))?.name;
  const { group } = spec ?? {};
  const plural = spec?.names?.plural;
  const kind = spec?.names?.kind;
  if (typeof group !== 'string' || typeof plural !== 'string' || typeof kind !== 'string' || typeof version !== 'string' || !group || !plural || !kind) return undefined;
  return { group, version, plural, kind, namespaced: spec?.scope !== 'Cluster' };
}
