// Controllers served by everynode. Each lives in its own folder with one public index.ts.
export * from './daemonset/index.js';
export * from './garbage-collector/index.js';
export * from './node-lifecycle/index.js';
export * from './serviceaccounts/index.js';
export * from './root-ca-publisher/index.js';
export * from './endpoints/index.js';
export * from './endpointslice/index.js';
export * from './certificates/index.js';
export * from './manager.js';
export * from './leader-election.js';
