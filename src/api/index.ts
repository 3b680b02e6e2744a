// Public API of the `api` part: object types, typed errors and the kind registry.
// The sub-parts (schema, validation, patch, selectors) each have their own index.ts.
export * from './types.js';
export * from './errors.js';
export * from './kinds.js';
export * from './taints.js';
export * from './node-affinity.js';
export * from './pod-qos.js';
export * from './pod-containers.js';
export * from './watch-objects.js';
export * from './disruption.js';
export * from './intstr.js';
export * from './storage-class.js';
