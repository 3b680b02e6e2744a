// Public API of `util`: logger, clock, error messages, query booleans, `__proto__` as a plain key, YAML as Kubernetes reads and writes it, its JSONPath, Go's %q and Go's JSON encoding.
export * from './logger.js';
export * from './json-syntax.js';
export * from './numbers.js';
export * from './clock.js';
export * from './errors.js';
export * from './go-quote.js';
export * from './go-json.js';
export * from './go-duration.js';
export * from './heap.js';
export * from './periodic.js';
export * from './proto-key.js';
export * from './query.js';
export * from './yaml.js';
export { evaluatePath, jsonPathValues, JsonPathError, parsePath, type Step as JsonPathStep } from './jsonpath.js';
export { everynodeVersion } from './version.js';
