// Core (v1) group rows other than Pod, Node and Event.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { countKeys, formatLabels, int, joinHostPort, list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn, wide } from './columns.js';

const age = (o: Obj, now: Date): string => translateTimestampSince(rec(o['metadata'])['creationTimestamp'], now);
const nameOf = (o: Obj): string => str(rec(o['metadata'])['name']);

/** Name, Status (status.phase), Age. */
export const namespacePrinter: TablePrinter = {
  columns: [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells: (ns: Obj, { now }) => [nameOf(ns), str(rec(ns['status'])['phase']), age(ns, now)],
};

/** Name, Data (number of data + binaryData keys), Age. */
export const configMapPrinter: TablePrinter = {
  columns: [nameColumn(), col('Data', 'string', 'Number of keys in data and binaryData.'), ageColumn()],
  cells: (cm: Obj, { now }) => [nameOf(cm), countKeys(cm['data']) + countKeys(cm['binaryData']), age(cm, now)],
};

/** Name, Type, Data (number of data keys), Age. */
export const secretPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Number of keys in data.'),
    ageColumn(),
  ],
  cells: (s: Obj, { now }) => [nameOf(s), str(s['type']), countKeys(s['data']), age(s, now)],
};

/** Name, Secrets (count of .secrets), Age. */
export const serviceAccountPrinter: TablePrinter = {
  columns: [nameColumn(), col('Secrets', 'string', 'Number of secrets listed in .secrets.'), ageColumn()],
  cells: (sa: Obj, { now }) => [nameOf(sa), list(sa['secrets']).length, age(sa, now)],
};

// ---------------------------------------------------------------------------------------------
// Service

/** The sorted, distinct ingress points of a load balancer status (a Service's or an Ingress's): each one's IP, else its hostname. */
export function loadBalancerIPs(status: Obj): string[] {
  const out = new Set<string>();
  for (const ing of list(rec(rec(status['loadBalancer']))['ingress']).map(rec)) {
    const ip = str(ing['ip']);
    const host = str(ing['hostname']);
    if (ip !== '') out.add(ip);
    else if (host !== '') out.add(host);
  }
  return [...out].sort();
}

/** External-IP cell per service type; the server prints the wide (untruncated) form. */
function serviceExternalIP(svc: Obj): string {
  const spec = rec(svc['spec']);
  const externalIPs = list(spec['externalIPs']).map(str);
  switch (spec['type']) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIPs(rec(svc['status']));
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

function servicePorts(spec: Obj): string {
  const pieces = list(spec['ports']).map((p) => {
    const port = rec(p);
    const protocol = str(port['protocol']) || 'TCP'; // defaulted to TCP on write upstream
    const nodePort = int(port['nodePort']);
    return nodePort > 0 ? `${int(port['port'])}:${nodePort}/${protocol}` : `${int(port['port'])}/${protocol}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

/** Name, Type, Cluster-IP, External-IP, Port(s), Age; wide: Selector. */
export const servicePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Type', 'string', 'How the service is exposed.'),
    col('Cluster-IP', 'string', 'The IP address of the service inside the cluster.'),
    col('External-IP', 'string', 'External addresses of the service.'),
    col('Port(s)', 'string', 'The ports the service exposes.'),
    ageColumn(),
    col('Selector', 'string', 'Labels of the pods that back the service.', wide),
  ],
  cells(svc: Obj, { now }) {
    const spec = rec(svc['spec']);
    const clusterIPs = list(spec['clusterIPs']).map(str);
    const clusterIP = clusterIPs[0] || str(spec['clusterIP']) || '<none>';
    return [
      nameOf(svc),
      str(spec['type']),
      clusterIP,
      serviceExternalIP(svc),
      servicePorts(spec),
      age(svc, now),
      formatLabels(spec['selector']),
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Endpoints

/** Up to three `ip:port` (or bare ip for port-less subsets) then " + N more...". */
export function formatEndpoints(ep: Obj): string {
  const subsets = list(ep['subsets']).map(rec);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = list(ss['addresses']).map(rec);
    const ports = list(ss['ports']).map(rec);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(str(a['ip']));
      }
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(joinHostPort(str(a['ip']), int(p['port'])));
      }
    }
  }
  const joined = shown.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

/** Name, Endpoints, Age. */
export const endpointsPrinter: TablePrinter = {
  columns: [nameColumn(), col('Endpoints', 'string', 'Addresses and ports of the endpoints.'), ageColumn()],
  cells: (ep: Obj, { now }) => [nameOf(ep), formatEndpoints(ep), age(ep, now)],
};
