// The wire shape of discovery.k8s.io/v1 EndpointSlice as the endpointslice controllers read and
// write it (every other field round-trips through KubeObject's index signature).

import type { KubeObject, ObjectReference } from '../../api/types.js';
import type { Protocol } from '../endpoints/types.js';

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export interface EndpointConditions {
  /** Unset: unknown, which consumers read as ready. */
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: Array<{ name: string }> };
  deprecatedTopology?: Record<string, string>;
}

export interface EndpointSlicePort {
  /** Defaulted to "" by the API server. */
  name?: string;
  /** Defaulted to TCP by the API server. */
  protocol?: Protocol;
  /** Unset: every port. */
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: AddressType | string;
  endpoints?: Endpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}
