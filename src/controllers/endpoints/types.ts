// The wire shapes of v1 Service and Endpoints as the endpoints controller reads and writes them
// (the fields it uses; every other field round-trips through `[key: string]: unknown`).

import type { IntOrString, KubeObject, ObjectReference } from '../../api/types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  name?: string;
  /** Defaulted to TCP by the API server. */
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  /** A number, or the name of a container port; defaulted to `port` by the API server. */
  targetPort?: IntOrString;
  nodePort?: number;
  [key: string]: unknown;
}

export interface ServiceSpec {
  /** Unset (or null): the Service's Endpoints are managed by someone else. `{}` selects every pod of the namespace. */
  selector?: Record<string, string> | null;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  ipFamilies?: Array<'IPv4' | 'IPv6'>;
  publishNotReadyAddresses?: boolean;
  [key: string]: unknown;
}

export interface Service extends KubeObject {
  spec?: ServiceSpec;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}
