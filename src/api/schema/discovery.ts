// discovery.k8s.io/v1 EndpointSlice: a Service's network endpoints, in slices of at most 100
// (the endpointslice controller's) or 1000 (validation's limit) endpoints each.

import {
  CORE,
  DISCOVERY,
  bool, int32, list, listOf, obj, objectMeta, ref, setList, str, strMap, typeMeta,
  type Definitions,
} from './dsl.js';

export const discoveryDefinitions: Definitions = {
  [DISCOVERY + 'EndpointSlice']: obj('A subset of the endpoints that implement a service; a service may have several slices, found by their kubernetes.io/service-name label.', {
    ...typeMeta(),
    metadata: objectMeta(),
    addressType: str('Type of the addresses of this slice: IPv4, IPv6 or FQDN. Immutable.'),
    endpoints: list(ref(DISCOVERY + 'Endpoint'), 'The endpoints of this slice (at most 1000).'),
    ports: list(ref(DISCOVERY + 'EndpointPort'), 'The network ports each endpoint of this slice exposes; empty: no port is relevant, absent: ports are unknown.'),
  }, ['addressType', 'endpoints']),
  [DISCOVERY + 'EndpointSliceList']: listOf(DISCOVERY + 'EndpointSlice', 'endpoint slices'),
  [DISCOVERY + 'Endpoint']: obj('One logical backend of a service.', {
    addresses: setList(str(), 'Addresses of the endpoint (1 to 100), of the slice\'s addressType; consumers use the first.'),
    conditions: ref(DISCOVERY + 'EndpointConditions', 'What is known about the endpoint\'s state.'),
    hostname: str('Hostname of the endpoint (a DNS label).'),
    targetRef: ref(CORE + 'ObjectReference', 'The object behind the endpoint, usually a pod.'),
    deprecatedTopology: strMap('Topology labels; deprecated in favour of nodeName and zone, never written by the controllers.'),
    nodeName: str('Node hosting the endpoint.'),
    zone: str('Zone of the endpoint.'),
    hints: ref(DISCOVERY + 'EndpointHints', 'Hints for how the endpoint should be consumed.'),
  }, ['addresses']),
  [DISCOVERY + 'EndpointConditions']: obj('The state of an endpoint.', {
    ready: bool('The endpoint is ready to receive traffic; false for a terminating pod unless the service publishes not-ready addresses. Unset: unknown, read as ready.'),
    serving: bool('The endpoint is ready, whether or not it is terminating.'),
    terminating: bool('The endpoint is terminating (its pod is being deleted).'),
  }),
  [DISCOVERY + 'EndpointHints']: obj('Hints for consuming an endpoint.', {
    forZones: list(ref(DISCOVERY + 'ForZone'), 'Zones whose clients should use this endpoint (at most 8).'),
  }),
  [DISCOVERY + 'ForZone']: obj('A zone an endpoint should serve.', {
    name: str('Name of the zone.'),
  }, ['name']),
  [DISCOVERY + 'EndpointPort']: obj('A port endpoints of a slice expose.', {
    name: str('Name of the port, as in the service (a DNS label, unique in the slice; empty for an unnamed port).'),
    protocol: str('TCP (default), UDP or SCTP.'),
    port: int32('Port number; unset: every port.'),
    appProtocol: str('Application protocol of the port (an IANA service name or a prefixed name).'),
  }),
};
