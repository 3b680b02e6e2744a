// Rows of discovery.k8s.io/v1 EndpointSlice, with upstream's columns and formatting.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn } from './columns.js';

/** At most three items, joined by ",", then " + N more..."; `<unset>` for none (upstream listWithMoreString). */
function listWithMore(items: readonly string[], max = 3): string {
  if (items.length === 0) return '<unset>';
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

/** Each port's number, else its name, else `*` (a port that stands for every port). */
export function formatDiscoveryPorts(ports: unknown): string {
  return listWithMore(
    list(ports).map((x) => {
      const p = rec(x);
      if (typeof p['port'] === 'number') return String(p['port']);
      if (typeof p['name'] === 'string') return p['name'];
      return '*';
    }),
  );
}

/** Every address of every endpoint, in order. */
export function formatDiscoveryEndpoints(endpoints: unknown): string {
  return listWithMore(list(endpoints).flatMap((e) => list(rec(e)['addresses']).map((a) => str(a))));
}

/** Name, AddressType, Ports, Endpoints, Age. */
export const endpointSlicePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('AddressType', 'string', 'Type of the addresses of the slice: IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 'Ports the endpoints of the slice expose.'),
    col('Endpoints', 'string', 'Addresses of the endpoints of the slice.'),
    ageColumn(),
  ],
  cells: (s: Obj, { now }) => [
    str(rec(s['metadata'])['name']),
    str(s['addressType']),
    formatDiscoveryPorts(s['ports']),
    formatDiscoveryEndpoints(s['endpoints']),
    translateTimestampSince(rec(s['metadata'])['creationTimestamp'], now),
  ],
};
