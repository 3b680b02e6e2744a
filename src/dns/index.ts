// Public API of the dns part: the cluster DNS (the Kubernetes DNS schema over the API's
// Services and EndpointSlices, other names forwarded), served by every API server that is given an
// address for it.
export { ClusterDns, type ClusterDnsOptions, resolvConfNameservers } from './server.js';
export { ClusterZone, DEFAULT_CLUSTER_DOMAIN, DNS_SCHEMA_VERSION, endpointLabel, type ZoneSource } from './zone.js';
export { encodeQuery, encodeResponse, parseQuery, QueryParseError, Rcode, RRType } from './message.js';
