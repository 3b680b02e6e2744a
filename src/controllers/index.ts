// Controllers served by everynode. Each lives in its own folder with one public index.ts.
export * from './daemonset/index.js';
