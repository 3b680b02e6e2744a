// Public API of the garbage collector: cascading deletion over ownerReferences (Background,
// Foreground, Orphan, dangling references) and the pod GC for pods bound to missing nodes.
export { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector.js';
export { PodGarbageCollector, type PodGarbageCollectorOptions } from './pod-gc.js';
export {
  DependencyGraph,
  GraphNode,
  type ObjectIdentity,
  finalizerOrphanDependents,
  finalizerDeleteDependents,
  referencesDiffs,
} from './graph.js';
export {
  defaultGarbageCollectorResources,
  ResourceResolver,
  serviceAccountsResource,
  rolesResource,
  roleBindingsResource,
  clusterRoleBindingsResource,
} from './resources.js';
export { clusterRolesResource, configMapsResource, secretsResource, servicesResource, endpointsResource } from '../../client/index.js';
