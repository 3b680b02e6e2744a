// Public API of the agent's runtimes: the ContainerRuntime seam, its implementations and the
// CRI log file format they share.
export * from './interface.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
export { FakeRuntime, type FakeBehavior, type FakeBehaviorFn, type FakeExecFn } from './fake-runtime.js';
export {
  ContainerLogWriter,
  defaultLogRotation,
  removeLogFiles,
  rotatedLogFiles,
  followLogFile,
  formatLogEntry,
  formatRFC3339Nano,
  parseLogEntry,
  parseLogText,
  readLogFile,
  renderLogEntries,
  type LogEntry,
  type LogRotation,
  type LogStream,
} from './container-log.js';
