// The definition registry: named SchemaNodes (OpenAPI definition names) and the kinds that map
// onto them. Built-in definitions are loaded once; later registrations (e.g. custom resources)
// add to the same maps, so nothing downstream assumes a fixed list of kinds.

import type { GroupVersionKind, SchemaNode } from './types.js';
import { ADMISSION, APIEXTENSIONS, APPS, AUTHENTICATION, AUTOSCALING, AUTHORIZATION, COORDINATION, CORE, DISCOVERY, EVENTS, META, METRICS, NETWORKING, NODE, POLICY, RBAC, SCHEDULING, STORAGE, type Definitions } from './dsl.js';
import { metaDefinitions } from './meta.js';
import { podDefinitions } from './core-pod.js';
import { volumeDefinitions } from './core-volumes.js';
import { coreOtherDefinitions } from './core-other.js';
import { appsDefinitions } from './apps.js';
import { rbacDefinitions } from './rbac.js';
import { coordinationDefinitions } from './coordination.js';
import { eventsDefinitions } from './events.js';
import { discoveryDefinitions } from './discovery.js';
import { schedulingDefinitions } from './scheduling.js';
import { policyDefinitions } from './policy.js';
import { storageDefinitions } from './storage.js';
import { networkingDefinitions } from './networking.js';
import { nodeDefinitions } from './node.js';
import { admissionDefinitions } from './admissionregistration.js';
import { apiextensionsDefinitions } from './apiextensions.js';
import { authorizationDefinitions } from './authorization.js';
import { authenticationDefinitions } from './authentication.js';
import { metricsDefinitions } from './metrics.js';
import { autoscalingDefinitions } from './autoscaling.js';
import { CERTIFICATES, certificatesDefinitions } from './certificates.js';

const definitions = new Map<string, SchemaNode>();
/** gvkKey -> definition name. */
const kindToDefinition = new Map<string, string>();
/** definition name -> kinds it serves (usually one). */
const definitionToKinds = new Map<string, GroupVersionKind[]>();

export const gvkKey = (g: GroupVersionKind): string => `${g.group}/${g.version}/${g.kind}`;

/** Adds (or replaces) named definitions. */
export function registerDefinitions(defs: Definitions): void {
  for (const [name, node] of Object.entries(defs)) definitions.set(name, node);
}

/** Declares that `gvk` is represented by the named definition. */
export function registerKind(gvk: GroupVersionKind, definition: string): void {
  const key = gvkKey(gvk);
  const previous = kindToDefinition.get(key);
  if (previous !== undefined) {
    const list = definitionToKinds.get(previous)?.filter((k) => gvkKey(k) !== key) ?? [];
    definitionToKinds.set(previous, list);
  }
  kindToDefinition.set(key, definition);
  const kinds = definitionToKinds.get(definition) ?? [];
  kinds.push({ group: gvk.group, version: gvk.version, kind: gvk.kind });
  definitionToKinds.set(definition, kinds);
}

/** Removes named definitions and what maps kinds onto them (a custom resource kind that went). */
export function unregisterDefinitions(names: readonly string[], gvks: readonly GroupVersionKind[]): void {
  for (const g of gvks) {
    const key = gvkKey(g);
    const def = kindToDefinition.get(key);
    if (def === undefined) continue;
    kindToDefinition.delete(key);
    const list = definitionToKinds.get(def)?.filter((k) => gvkKey(k) !== key) ?? [];
    if (list.length > 0) definitionToKinds.set(def, list);
    else definitionToKinds.delete(def);
  }
  for (const n of names) definitions.delete(n);
}

export function getDefinition(name: string): SchemaNode | undefined {
  return definitions.get(name);
}

export function definitionOfKind(gvk: GroupVersionKind): string | undefined {
  return kindToDefinition.get(gvkKey(gvk));
}

/** Kinds whose root schema is this definition (for x-kubernetes-group-version-kind). */
export function kindsOfDefinition(name: string): GroupVersionKind[] {
  return definitionToKinds.get(name) ?? [];
}

// ---- built-ins

registerDefinitions(metaDefinitions);
registerDefinitions(podDefinitions);
registerDefinitions(volumeDefinitions);
registerDefinitions(coreOtherDefinitions);
registerDefinitions(eventsDefinitions);
registerDefinitions(appsDefinitions);
registerDefinitions(rbacDefinitions);
registerDefinitions(coordinationDefinitions);
registerDefinitions(discoveryDefinitions);
registerDefinitions(schedulingDefinitions);
registerDefinitions(policyDefinitions);
registerDefinitions(storageDefinitions);
registerDefinitions(networkingDefinitions);
registerDefinitions(nodeDefinitions);
registerDefinitions(admissionDefinitions);
registerDefinitions(apiextensionsDefinitions);
registerDefinitions(authorizationDefinitions);
registerDefinitions(authenticationDefinitions);
registerDefinitions(metricsDefinitions);
registerDefinitions(autoscalingDefinitions);
registerDefinitions(certificatesDefinitions);

// Structs upstream marks `+structType=atomic`: server-side apply owns and replaces them whole
// (a selector is one value, not a bag of fields).
const atomicStructs = [
  META + 'LabelSelector',
  CORE + 'NodeSelector',
  CORE + 'NodeSelectorTerm',
  CORE + 'LocalObjectReference',
  CORE + 'ObjectReference',
  CORE + 'TypedLocalObjectReference',
  CORE + 'ConfigMapKeySelector',
  CORE + 'SecretKeySelector',
  CORE + 'FileKeySelector',
  CORE + 'ObjectFieldSelector',
  CORE + 'ResourceFieldSelector',
  CORE + 'ScopeSelector',
  DISCOVERY + 'EndpointPort',
];
for (const name of atomicStructs) {
  const node = definitions.get(name);
  if (node?.kind === 'object') node.structType = 'atomic';
}

const builtinKinds: Array<[group: string, prefix: string, kinds: string[]]> = [
  ['', CORE, ['Namespace', 'Node', 'Pod', 'Event', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'ReplicationController', 'LimitRange', 'ResourceQuota']],
  ['apps', APPS, ['DaemonSet', 'ControllerRevision', 'Deployment', 'ReplicaSet']],
  ['coordination.k8s.io', COORDINATION, ['Lease']],
  ['discovery.k8s.io', DISCOVERY, ['EndpointSlice']],
  ['rbac.authorization.k8s.io', RBAC, ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']],
  ['scheduling.k8s.io', SCHEDULING, ['PriorityClass']],
  ['policy', POLICY, ['PodDisruptionBudget']],
  ['storage.k8s.io', STORAGE, ['CSIDriver', 'CSINode', 'StorageClass']],
  ['networking.k8s.io', NETWORKING, ['NetworkPolicy', 'Ingress', 'IngressClass']],
  ['node.k8s.io', NODE, ['RuntimeClass']],
  ['admissionregistration.k8s.io', ADMISSION, ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']],
  ['apiextensions.k8s.io', APIEXTENSIONS, ['CustomResourceDefinition']],
  ['events.k8s.io', EVENTS, ['Event']],
  ['certificates.k8s.io', CERTIFICATES, ['CertificateSigningRequest']],
];
for (const [group, prefix, kinds] of builtinKinds) {
  for (const kind of kinds) {
    registerKind({ group, version: 'v1', kind }, prefix + kind);
    registerKind({ group, version: 'v1', kind: kind + 'List' }, prefix + kind + 'List');
  }
}
registerKind({ group: '', version: 'v1', kind: 'Status' }, META + 'Status');
registerKind({ group: '', version: 'v1', kind: 'DeleteOptions' }, META + 'DeleteOptions');
for (const group of ['apps', 'events.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'rbac.authorization.k8s.io', 'scheduling.k8s.io', 'policy', 'storage.k8s.io', 'networking.k8s.io', 'node.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'certificates.k8s.io', 'meta.k8s.io']) {
  registerKind({ group, version: 'v1', kind: 'DeleteOptions' }, META + 'DeleteOptions');
}

// Kinds served by their own handlers, not through the KindRegistry (apiserver/reviews.ts,
// metrics-api.ts): described for the OpenAPI documents only. The reviews have no list kinds.
for (const kind of ['SubjectAccessReview', 'SelfSubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview']) {
  registerKind({ group: 'authorization.k8s.io', version: 'v1', kind }, AUTHORIZATION + kind);
}
// The body of every /scale subresource (apiserver/scale.ts).
registerKind({ group: 'autoscaling', version: 'v1', kind: 'Scale' }, AUTOSCALING + 'Scale');
for (const kind of ['TokenReview', 'SelfSubjectReview', 'TokenRequest']) registerKind({ group: 'authentication.k8s.io', version: 'v1', kind }, AUTHENTICATION + kind);
for (const version of ['v1beta1', 'v1alpha1']) {
  registerKind({ group: 'authentication.k8s.io', version, kind: 'SelfSubjectReview' }, `io.k8s.api.authentication.${version}.SelfSubjectReview`);
}
for (const kind of ['NodeMetrics', 'NodeMetricsList', 'PodMetrics', 'PodMetricsList']) registerKind({ group: 'metrics.k8s.io', version: 'v1beta1', kind }, METRICS + kind);
