// The pieces of the client part the CLI uses, from their own modules rather than through
// client/index.ts. That index also loads the controller machinery (informers, work queues,
// expectations, event recorder, pod control) and the in-process and failover transports (the
// first loads the API part): about 30 modules and 150 KB no verb needs, which every client verb
// would load at start-up (see run.ts). The CLI's modules import the client part through this one.

export type { ListOptions } from '../client/api-client.js';
export {
  type ResourceDescriptor,
  apiVersionOf,
  configMapsResource,
  controllerRevisionsResource,
  daemonSetsResource,
  endpointSlicesResource,
  eventsResource,
  leasesResource,
  limitRangesResource,
  resourceQuotasResource,
  namespacesResource,
  nodesResource,
  podsResource,
  secretsResource,
  serviceAccountsResource,
  servicesResource,
} from '../client/resources.js';
export { ApiError, errorFromResponse, hasStatusCause, isNotFound, isResourceExpired } from '../client/errors.js';
export { readAll, type TransportRequest, type TransportResponse } from '../client/transport.js';
export { HttpTransport } from '../client/http-transport.js';
export { loadKubeconfig, type ResolvedKubeconfig } from '../client/kubeconfig.js';
export { RestClient, resourcePath } from '../client/rest-client.js';
export { WatchDecoder } from '../client/watch-decoder.js';
export { getControllerOf } from '../client/cache.js';
