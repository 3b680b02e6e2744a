// Public API of `util`: logger, clock, error messages, query booleans and YAML as Kubernetes reads and writes it.
export * from './logger.js';
export * from './clock.js';
export * from './errors.js';
export * from './heap.js';
export * from './periodic.js';
export * from './query.js';
export * from './yaml.js';
