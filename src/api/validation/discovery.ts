// discovery.k8s.io/v1 EndpointSlice: defaults (pkg/apis/discovery/v1/defaults.go) and validation
// (pkg/apis/discovery/validation), restated with upstream's field paths and messages.
//
// Limits as upstream's: 1000 endpoints, 1–100 addresses per endpoint, 20,000 ports (raised from
// 100 in Kubernetes 1.21, the figure the API reference still prints), 8 zone hints, 16
// deprecated topology labels.
//
// One everynode decision, shared with Endpoints (core.ts validateNonSpecialIP): IPv4 and IPv6
// addresses may be loopback addresses, which are the pod IPs of daemons on `everynode up`.

import { fe, type FieldError } from '../errors.js';
import { validateNonSpecialIP } from './core.js';
import { isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { arr, child, deepEqual, index, invalidEach, isObj, obj, str, validateImmutableField, type Obj } from './util.js';

export const supportedAddressTypes = ['FQDN', 'IPv4', 'IPv6'] as const;
const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];
export const maxEndpoints = 1000;
export const maxAddresses = 100;
export const maxPorts = 20000;
const maxZoneHints = 8;
const maxTopologyLabels = 16;

/**
 * Ports get name "" and protocol TCP when unset (null counts as unset). An absent or null
 * `endpoints` becomes `[]` (upstream stores a nil list and prints `null`; clients read both as
 * no endpoints, and a list is what typed clients expect of this required field).
 */
export function setEndpointSliceDefaults(slice: Obj): void {
  if (!Array.isArray(slice.endpoints)) slice.endpoints = [];
  for (const p of arr(slice.ports)) {
    const port = obj(p);
    if (!port) continue;
    if (port.name === undefined || port.name === null) port.name = '';
    if (port.protocol === undefined || port.protocol === null) port.protocol = 'TCP';
  }
}

/** upstream IsFullyQualifiedDomainName: a DNS subdomain of at least two labels (a trailing dot allowed). */
function validateFQDN(value: string, path: string): FieldError[] {
  if (value.length === 0) return [fe.required(path)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const subdomainErrs = isDNS1123Subdomain(name);
  if (subdomainErrs.length > 0) return [fe.invalid(path, name, subdomainErrs.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) return [fe.invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length > 0) return [fe.invalid(path, label, errs.join(','))];
  }
  return [];
}

function validateAddress(address: string, addressType: string, path: string): FieldError[] {
  switch (addressType) {
    case 'IPv4':
    case 'IPv6': {
      const errs: FieldError[] = [];
      const v4 = isIPv4(address);
      const v6 = !v4 && isIPv6(address);
      if (addressType === 'IPv4' ? !v4 : !v6) errs.push(fe.invalid(path, address, `must be a valid ${addressType} address`));
      if (!v4 && !v6) errs.push(fe.invalid(path, address, 'must be a valid IP address'));
      else errs.push(...validateNonSpecialIP(address, path));
      return errs;
    }
    case 'FQDN':
      return validateFQDN(address, path);
    default:
      // An unknown address type is reported once, at addressType; its addresses are not checked.
      return [];
  }
}

function validateHints(hints: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const zonesPath = child(path, 'forZones');
  const zones = arr(hints.forZones);
  if (zones.length > maxZoneHints) return [fe.tooMany(zonesPath, zones.length, maxZoneHints)];
  const seen = new Set<string>();
  zones.forEach((z, i) => {
    const namePath = child(index(zonesPath, i), 'name');
    const name = str(obj(z)?.name) ?? '';
    if (seen.has(name)) errs.push(fe.duplicate(namePath, name));
    else seen.add(name);
    errs.push(...invalidEach(namePath, name, isValidLabelValue(name)));
  });
  return errs;
}

function validateEndpoints(endpoints: unknown[], addressType: string): FieldError[] {
  if (endpoints.length > maxEndpoints) return [fe.tooMany('endpoints', endpoints.length, maxEndpoints)];
  const errs: FieldError[] = [];
  endpoints.forEach((e, i) => {
    const ep = obj(e) ?? {};
    const p = index('endpoints', i);
    const addressesPath = child(p, 'addresses');
    const addresses = arr(ep.addresses);
    if (addresses.length === 0) errs.push(fe.required(addressesPath, 'must contain at least 1 address'));
    else if (addresses.length > maxAddresses) errs.push(fe.tooMany(addressesPath, addresses.length, maxAddresses));
    addresses.forEach((a, j) => errs.push(...validateAddress(typeof a === 'string' ? a : '', addressType, index(addressesPath, j))));
    const nodeName = str(ep.nodeName);
    if (nodeName !== undefined) errs.push(...invalidEach(child(p, 'nodeName'), nodeName, nameIsDNSSubdomain(nodeName, false)));
    const topology = ep.deprecatedTopology;
    if (isObj(topology)) {
      const topologyPath = child(p, 'deprecatedTopology');
      const n = Object.keys(topology).length;
      if (n > maxTopologyLabels) errs.push(fe.tooMany(topologyPath, n, maxTopologyLabels));
      errs.push(...validateLabels(topology, topologyPath));
    }
    const hostname = str(ep.hostname);
    if (hostname !== undefined) errs.push(...invalidEach(child(p, 'hostname'), hostname, isDNS1123Label(hostname)));
    const hints = obj(ep.hints);
    if (hints) errs.push(...validateHints(hints, child(p, 'hints')));
  });
  return errs;
}

function validatePorts(ports: unknown[]): FieldError[] {
  if (ports.length > maxPorts) return [fe.tooMany('ports', ports.length, maxPorts)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((x, i) => {
    const port = obj(x) ?? {};
    const p = index('ports', i);
    const name = str(port.name) ?? '';
    if (name.length > 0) errs.push(...invalidEach(child(p, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(fe.duplicate(child(p, 'name'), name));
    else names.add(name);
    const protocol = port.protocol;
    if (protocol === undefined || protocol === null) errs.push(fe.required(child(p, 'protocol')));
    else if (typeof protocol !== 'string' || !supportedPortProtocols.includes(protocol)) errs.push(fe.notSupported(child(p, 'protocol'), protocol, supportedPortProtocols));
    const appProtocol = str(port.appProtocol);
    if (appProtocol !== undefined) errs.push(...invalidEach(child(p, 'appProtocol'), appProtocol, isQualifiedName(appProtocol)));
  });
  return errs;
}

const LABEL_HOSTNAME = 'kubernetes.io/hostname';

/**
 * upstream's dropTopologyOnV1 (EndpointSlice strategy, every write through discovery.k8s.io/v1,
 * the only version served): each endpoint's `deprecatedTopology` is dropped, as the v1 API
 * documents it ("this field is deprecated and will be removed in future api versions"), unless
 * an update leaves the endpoints as they were. An endpoint of an update without `nodeName`
 * whose dropped `kubernetes.io/hostname` topology label names a node the stored slice's
 * topology named gets that node as `nodeName`, so partial updates keep the node.
 */
export function dropEndpointSliceTopology(slice: Obj, old?: Obj): void {
  if (old && deepEqual(arr(old.endpoints), arr(slice.endpoints))) return;
  const previousNodeNames = new Set<string>();
  for (const e of arr(old?.endpoints)) {
    const name = str(obj(obj(e)?.deprecatedTopology)?.[LABEL_HOSTNAME]);
    if (name !== undefined) previousNodeNames.add(name);
  }
  for (const e of arr(slice.endpoints)) {
    const ep = obj(e);
    if (!ep || ep.deprecatedTopology === undefined) continue;
    const name = str(obj(ep.deprecatedTopology)?.[LABEL_HOSTNAME]);
    if (ep.nodeName === undefined && name !== undefined && previousNodeNames.has(name) && nameIsDNSSubdomain(name, false).length === 0) ep.nodeName = name;
    delete ep.deprecatedTopology;
  }
}

export function validateEndpointSlice(slice: Obj): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, true, nameIsDNSSubdomain);
  const addressType = str(slice.addressType) ?? '';
  if (addressType === '') errs.push(fe.required('addressType'));
  else if (!(supportedAddressTypes as readonly string[]).includes(addressType)) errs.push(fe.notSupported('addressType', addressType, [...supportedAddressTypes]));
  errs.push(...validateEndpoints(arr(slice.endpoints), addressType));
  errs.push(...validatePorts(arr(slice.ports)));
  return errs;
}

export function validateEndpointSliceUpdate(slice: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(slice.metadata, old.metadata),
    ...validateEndpointSlice(slice),
    ...validateImmutableField(slice.addressType ?? '', old.addressType ?? '', 'addressType'),
  ];
}
