// Public API of the endpointslice part: the discovery.k8s.io/v1 EndpointSlices of every Service
// with a selector (upstream's EndpointSlice controller), the slices mirrored from the Endpoints of
// Services without one (upstream's EndpointSliceMirroring controller), and the pure planning
// both rest on.
export {
  EndpointSliceController,
  type EndpointSliceControllerOptions,
  endpointSliceControllerName,
} from './controller.js';
export {
  EndpointSliceMirroringController,
  type EndpointSliceMirroringControllerOptions,
  SKIP_MIRROR_LABEL,
  endpointSliceMirroringControllerName,
} from './mirroring.js';
export {
  CONTROLLER_NAME as ENDPOINTSLICE_CONTROLLER_NAME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  MAX_ENDPOINTS_PER_SLICE,
  MIRRORING_CONTROLLER_NAME,
  addressTypesForService,
  endpointPortsFor,
  planSlices,
  podToEndpoint,
} from './reconciler.js';
export type { AddressType, Endpoint, EndpointConditions, EndpointSlice, EndpointSlicePort } from './types.js';
