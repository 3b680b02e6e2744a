// Public API of `util`: logger, clock and error messages.
export * from './logger.js';
export * from './clock.js';
export * from './errors.js';
export * from './heap.js';
export * from './periodic.js';
