// Public API of the node agent's pod execution core: runtimes, the pod workers above them,
// and the pieces they are made of (env expansion, probes, status, backoff, clock).
export * from './runtime/index.js';
export { PodWorker, PodWorkers, containerHash, formatDuration, defaultTerminationGracePeriodSeconds } from './pod-worker.js';
export type { PodWorkerOptions, PodLogOptions } from './pod-worker.js';
export { labelPodUID, labelPodName, labelPodNamespace, labelContainerName, labelContainerHash } from './pod-worker.js';
export { Backoff, crashLoopInitialMs, crashLoopMaxMs } from './backoff.js';
export { ManualClock, RealAgentClock, realAgentClock, rfc3339, type AgentClock, type AgentTimer } from './clock.js';
export {
  ContainerConfigError,
  containerResourceValue,
  expandCommandAndArgs,
  expandVars,
  makeEnvironment,
  podFieldValue,
  type PodEnvContext,
} from './container-env.js';
export { ProbeWorker, probeDefaults, probeUserAgent, runProbe } from './probes.js';
export type { ProbeOutcome, ProbeResult, ProbeTarget, ProbeType, ProbeWorkerOptions } from './probes.js';
export { generatePodConditions, getPodPhase, podQOSClass, podStatusEqual } from './status.js';
