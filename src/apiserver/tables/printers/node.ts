// Node rows: Name, Status, Roles, Age, Version; wide: Internal-IP, External-IP, OS-Image,
// Kernel-Version, Container-Runtime.
//
// Status is `Ready` / `NotReady` from the Ready condition (any status but True is NotReady),
// `Unknown` without one, plus `,SchedulingDisabled` when spec.unschedulable (cordoned).
// Roles: api/node-roles.ts; `<none>` when there are none.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn, wide } from './columns.js';
import { nodeRoles as rolesOf } from '../../../api/node-roles.js';


export function nodeStatus(node: Obj): string {
  const spec = rec(node['spec']);
  const conditions = list(rec(node['status'])['conditions']).map(rec);
  const parts: string[] = [];
  // Later duplicates win, as with upstream's condition map.
  let ready: Obj | undefined;
  for (const c of conditions) if (c['type'] === 'Ready') ready = c;
  if (ready) parts.push(ready['status'] === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (spec['unschedulable'] === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRoles(node: Obj): string[] {
  return rolesOf(rec(rec(node['metadata'])['labels']));
}

function address(node: Obj, type: string): string {
  for (const a of list(rec(node['status'])['addresses']).map(rec)) {
    if (a['type'] === type) return str(a['address']);
  }
  return '<none>';
}

export const nodePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    col('Version', 'string', 'Kubelet (agent) version reported by the node.'),
    col('Internal-IP', 'string', 'First InternalIP address of the node.', wide),
    col('External-IP', 'string', 'First ExternalIP address of the node.', wide),
    col('OS-Image', 'string', 'OS image reported by the node.', wide),
    col('Kernel-Version', 'string', 'Kernel version reported by the node.', wide),
    col('Container-Runtime', 'string', 'Container runtime and version reported by the node.', wide),
  ],
  cells(node: Obj, { now }) {
    const meta = rec(node['metadata']);
    const info = rec(rec(node['status'])['nodeInfo']);
    const roles = nodeRoles(node).join(',');
    return [
      str(meta['name']),
      nodeStatus(node),
      roles === '' ? '<none>' : roles,
      translateTimestampSince(meta['creationTimestamp'], now),
      str(info['kubeletVersion']),
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      str(info['osImage']) || '<unknown>',
      str(info['kernelVersion']) || '<unknown>',
      str(info['containerRuntimeVersion']) || '<unknown>',
    ];
  },
};
