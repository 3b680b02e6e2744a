// Public API of `util`: logger and clock.
export * from './logger.js';
export * from './clock.js';
