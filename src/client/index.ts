// Public API of the client part: the ApiClient seam, its REST implementation over a
// transport, informers/listers, and the controller machinery (work queue, expectations,
// controller-ref manager, event recorder, pod control). Test fakes live in ./testing.

export type {
  ApiClient,
  ListOptions,
  PatchType,
  WatchEvent,
  WatchEventType,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './api-client.js';
export { patchContentType } from './api-client.js';
export {
  type ResourceDescriptor,
  apiVersionOf,
  resourceKey,
  podsResource,
  nodesResource,
  namespacesResource,
  serviceAccountsResource,
  configMapsResource,
  secretsResource,
  eventsResource,
  clusterRolesResource,
  daemonSetsResource,
  controllerRevisionsResource,
  deploymentsResource,
  replicaSetsResource,
  replicationControllersResource,
  leasesResource,
  runtimeClassesResource,
  podDisruptionBudgetsResource,
  servicesResource,
  endpointsResource,
  endpointSlicesResource,
  limitRangesResource,
  resourceQuotasResource,
  csiNodesResource,
  customResourceDefinitionsResource,
  customResourceOf,
} from './resources.js';
export {
  ApiError,
  errorFromResponse,
  errorFromStatus,
  hasStatusCause,
  isAlreadyExists,
  isApiError,
  isConflict,
  isInvalid,
  isNotFound,
  isResourceExpired,
  reasonOf,
} from './errors.js';
export { type Clock, type TimerHandle, FakeClock, RealClock, realClock, sleep } from '../util/index.js';
export type { BodyChunk, Transport, TransportRequest, TransportResponse, WatchObjectChunk } from './transport.js';
export { chunkBytes, isWatchObjectChunk, readAll } from './transport.js';
export { HttpTransport, type HttpTransportOptions } from './http-transport.js';
export {
  FailoverTransport,
  type FailoverTransportOptions,
  RequestTimeoutError,
  isConnectionError,
  isNotSentError,
  parseServerList,
} from './failover-transport.js';
export { inProcessTransport, type InProcessTransportOptions, type RequestListener } from './in-process-transport.js';
export { RestClient, resourcePath } from './rest-client.js';
export { WatchDecoder } from './watch-decoder.js';
export { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
export { KubeconfigTransport, type KubeconfigTransportOptions } from './kubeconfig-transport.js';
export {
  Indexer,
  type IndexFunc,
  type DeletedFinalStateUnknown,
  isTombstone,
  deepFreeze,
  getControllerOf,
  metaNamespaceKey,
  splitMetaNamespaceKey,
  namespaceIndex,
  podNodeNameIndex,
  controllerUIDIndex,
  indexByNamespace,
  indexPodByNodeName,
  indexByControllerUID,
} from './cache.js';
export { Lister, NamespaceLister, type LabelMatcher } from './lister.js';
export {
  Informer,
  type InformerOptions,
  type ResourceEventHandler,
  SharedInformerFactory,
  type SharedInformerFactoryOptions,
} from './informer.js';
export {
  WorkQueue,
  RateLimitingQueue,
  type RateLimiter,
  ItemExponentialFailureRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  runQueueWorkers,
  type SyncedCache,
} from './workqueue.js';
export {
  ControllerExpectations,
  UIDTrackingControllerExpectations,
  type ControlleeExpectations,
  expectationsTimeoutMs,
} from './expectations.js';
export {
  ControllerRefManager,
  type ControllerRefManagerOptions,
  ClaimError,
  newControllerRef,
  newClientControllerRefManager,
  adoptPatch,
  releasePatch,
} from './controller-ref-manager.js';
export { type EventRecorder, type EventType, ApiEventRecorder, type ApiEventRecorderOptions, FakeRecorder, objectReference } from './event-recorder.js';
export { type PodControl, RealPodControl, getPodFromTemplate, podsPrefix, namespaceTerminatingCause } from './pod-control.js';

/** A RestClient over HTTP(S) configured from a kubeconfig file. */
import { HttpTransport as _HttpTransport } from './http-transport.js';
import { loadKubeconfig as _loadKubeconfig } from './kubeconfig.js';
import { RestClient as _RestClient } from './rest-client.js';
export function clientFromKubeconfig(path: string, context?: string): { client: _RestClient; transport: _HttpTransport; namespace: string } {
  const cfg = _loadKubeconfig(path, context);
  const transport = new _HttpTransport(cfg);
  return { client: new _RestClient(transport.request), transport, namespace: cfg.namespace };
}
