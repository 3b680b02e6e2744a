// groupKind -> printer. Keys are `<group>/<Kind>` with an empty group for core (`/Pod`).
// Kinds without an entry (Role, ClusterRole, future custom resources) use defaultPrinter,
// upstream's default table convertor: Name and Created At.

import type { TablePrinter } from '../types.js';
import { formatRFC3339 } from '../duration.js';
import { rec, str, type Obj } from '../format.js';
import { col, nameColumn } from './columns.js';
import { podPrinter } from './pod.js';
import { nodePrinter } from './node.js';
import { eventPrinter } from './event.js';
import { eventFromV1 } from '../../../api/events-v1.js';
import type { KubeObject } from '../../../api/types.js';
import { controllerRevisionPrinter, daemonSetPrinter } from './apps.js';
import {
  configMapPrinter,
  endpointsPrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core.js';
import {
  clusterRoleBindingPrinter,
  leasePrinter,
  priorityClassPrinter,
  roleBindingPrinter,
} from './cluster.js';
import { endpointSlicePrinter } from './discovery.js';
import { certificateSigningRequestPrinter } from './certificates.js';
import { csiDriverPrinter, csiNodePrinter, deploymentPrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter, podDisruptionBudgetPrinter, replicaSetPrinter, replicationControllerPrinter, resourceQuotaPrinter, runtimeClassPrinter, storageClassPrinter, webhookConfigurationPrinter } from './stored-kinds.js';

/** Name, Created At (type `date`, RFC 3339 UTC). */
export const defaultPrinter: TablePrinter = {
  columns: [nameColumn(), col('Created At', 'date', 'The time the object was created (metadata.creationTimestamp).')],
  cells: (o: Obj) => {
    const meta = rec(o['metadata']);
    return [str(meta['name']), formatRFC3339(meta['creationTimestamp'])];
  },
};

const printers = new Map<string, TablePrinter>([
  ['/Pod', podPrinter],
  ['/Node', nodePrinter],
  ['/Event', eventPrinter],
  // The same Events through events.k8s.io/v1: core's columns, from the core form.
  ['events.k8s.io/Event', { ...eventPrinter, cells: (o, ctx) => eventPrinter.cells(eventFromV1(o as KubeObject) as unknown as Obj, ctx) }],
  ['/Namespace', namespacePrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['scheduling.k8s.io/PriorityClass', priorityClassPrinter],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['/ReplicationController', replicationControllerPrinter],
  ['/ResourceQuota', resourceQuotaPrinter],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['storage.k8s.io/CSIDriver', csiDriverPrinter],
  ['storage.k8s.io/CSINode', csiNodePrinter],
  ['storage.k8s.io/StorageClass', storageClassPrinter],
  ['networking.k8s.io/NetworkPolicy', networkPolicyPrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['networking.k8s.io/IngressClass', ingressClassPrinter],
  ['node.k8s.io/RuntimeClass', runtimeClassPrinter],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', webhookConfigurationPrinter],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', webhookConfigurationPrinter],
  ['certificates.k8s.io/CertificateSigningRequest', certificateSigningRequestPrinter],
]);

/** Normalizes `Pod`, `/Pod`, `core/Pod` and `v1/Pod`-free spellings to the registry key. */
export function groupKindKey(groupKind: string): string {
  const slash = groupKind.lastIndexOf('/');
  if (slash < 0) return `/${groupKind}`;
  const group = groupKind.slice(0, slash);
  return `${group === 'core' ? '' : group}/${groupKind.slice(slash + 1)}`;
}

/** Custom resource kinds (`group/Kind`) and their printers, replaced when their CRD changes. */
const customPrinters = new Map<string, TablePrinter>();

/** Sets (or with undefined, removes) the printer of a custom resource kind; built-ins stay. */
export function setCustomResourcePrinter(groupKind: string, printer: TablePrinter | undefined): void {
  if (printer) customPrinters.set(groupKindKey(groupKind), printer);
  else customPrinters.delete(groupKindKey(groupKind));
}

/** The built-in printer of a kind, or defaultPrinter. */
export function printerFor(groupKind: string): TablePrinter {
  const key = groupKindKey(groupKind);
  return printers.get(key) ?? customPrinters.get(key) ?? defaultPrinter;
}
