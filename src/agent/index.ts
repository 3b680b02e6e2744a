// Public API of the node agent's pod execution core: runtimes, the pod workers above them,
// and the pieces they are made of (env expansion, probes, status, backoff).
export * from './runtime/index.js';
export { DataDirInUseError, lockDataDir, dataDirLockFile, type DataDirLock } from './data-dir-lock.js';
export { startApiForwarder, type ApiForwarder } from './api-forwarder.js';
export { PodWorker, PodWorkers, containerHash, formatDuration, defaultTerminationGracePeriodSeconds } from './pod-worker.js';
export type { PodWorkerEvent, PodWorkerOptions, PodLogOptions } from './pod-worker.js';
export { lifecycleUserAgent, postStartHandler, preStopHandler, runPostStartHook, runPreStopHook } from './lifecycle.js';
export type { HookTarget, HTTPGetAction, Lifecycle, LifecycleHandler, PreStopResult } from './lifecycle.js';
export { labelPodUID, labelPodName, labelPodNamespace, labelContainerName, labelContainerHash } from './pod-worker.js';
export { Backoff, crashLoopInitialMs, crashLoopMaxMs } from './backoff.js';
export {
  ContainerConfigError,
  containerResourceValue,
  expandCommandAndArgs,
  expandVars,
  makeEnvironment,
  podFieldValue,
  podHostname,
  type PodEnvContext,
} from './container-env.js';
export {
  KubeletEventRecorder,
  containerReference,
  kubeletComponent,
  nodeConditionEventReasons,
  nodeReference,
  nodeStatusEventMessage,
  podReference,
  type KubeletEventRecorderOptions,
} from './events.js';
export { ProbeWorker, probeDefaults, probeUserAgent, runProbe } from './probes.js';
export type { ProbeOutcome, ProbeResult, ProbeTarget, ProbeType, ProbeWorkerOptions } from './probes.js';
export { generatePodConditions, getPodPhase, isSidecar, podQOSClass, podStatusEqual } from './status.js';
export { startAgent, nodeLeaseNamespace, defaultAgentPort, type AgentOptions, type RunningAgent } from './agent.js';
export { admitPod, podRequest, podHostPorts, quantityValue, type AdmissionResult } from './admission.js';
export { LOG_READER_GROUP, LogRequestError, parseLogQuery, startAgentHttpServer, type AgentHttpServer, type AgentMetricsEndpoint, type AgentTlsOptions, type ContainerLogSource } from './log-server.js';
export {
  agentKubeletVersion,
  defaultNodeName,
  desiredNodeStatus,
  initialNode,
  machineInfo,
  managedLabels,
  nodeStatusEqualIgnoringHeartbeat,
  parseLabels,
  parseTaints,
  type MachineInfo,
  type NodeConfig,
} from './node-status.js';
export {
  annotationConfigHash,
  annotationConfigMirror,
  annotationConfigSeen,
  annotationConfigSource,
  isMirrorPod,
  mirrorPodFor,
  staticPodFromManifest,
  StaticPodSource,
  type StaticPod,
  type StaticPodSourceOptions,
} from './static-pods.js';
export { startIdentityRotation, type IdentityRotation, type IdentityRotationOptions } from './identity-rotation.js';
