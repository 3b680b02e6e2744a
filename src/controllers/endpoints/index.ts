// Public API of the endpoints part: the Endpoints of every Service with a selector (upstream's
// endpoint controller), and the pure subset computation it rests on.
export { EndpointsController, type EndpointsControllerOptions, endpointControllerName, MAX_RETRIES } from './controller.js';
export {
  HEADLESS_SERVICE_LABEL,
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  LEADER_ELECTION_ANNOTATION,
  MAX_CAPACITY,
  OVER_CAPACITY_ANNOTATION,
  TRUNCATED,
  computeSubsets,
  findPort,
  isHeadless,
  sameStringMap,
  selectorMatches,
  shouldSetHostname,
  podToEndpointAddress,
  repackSubsets,
  shouldPodBeInEndpoints,
  truncateSubsets,
} from './subsets.js';
export { queueServiceAndPodEvents, ServiceSelectorIndex } from './service-index.js';
export { TriggerTimeTracker, formatRFC3339Nano } from './trigger-time.js';
export type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Service, ServicePort, ServiceSpec } from './types.js';
