// Public API of the DaemonSet controller.
export {
  DaemonSetsController,
  type DaemonSetsControllerOptions,
  burstReplicas,
  slowStartInitialBatchSize,
  statusUpdateRetries,
  controllerComponent,
  reasons,
} from './controller.js';
export {
  nodeShouldRunDaemonPod,
  type NodeShouldRun,
  addOrUpdateDaemonPodTolerations,
  replaceDaemonSetPodNodeNameNodeAffinity,
  getTargetNodeName,
  toleratesTaint,
  nodeSelectorTermMatches,
  podMatchesNodeSelectorAndAffinityTerms,
} from './placement.js';
export { canonicalJSON, computeHash, revisionPayload, revisionData, matchRevision, safeEncodeString } from './history.js';
export {
  controllerRevisionHashLabel,
  podTemplateGenerationLabel,
  templateGenerationAnnotation,
  isPodReady,
  isPodAvailable,
  isPodUpdated,
  surgeCount,
  unavailableCount,
  allowsSurge,
} from './util.js';
export { Backoff } from './backoff.js';
