// Rows of the kinds everynode stores but does not run (Deployment, ReplicaSet,
// ReplicationController, PodDisruptionBudget, CSIDriver, CSINode, StorageClass, NetworkPolicy, Ingress,
// IngressClass, RuntimeClass, ResourceQuota, webhook configurations), with upstream's columns.

import { isDefaultStorageClass } from '../../../api/storage-class.js';
import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { formatLabelSelector, formatLabels, int, layoutContainerCells, list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn, templateColumns } from './columns.js';
import { loadBalancerIPs } from './core.js';
import { formatQuantity, parseQuantity } from '../../../api/validation/quantity.js';

const age = (o: Obj, now: Date): string => translateTimestampSince(rec(o['metadata'])['creationTimestamp'], now);
const nameOf = (o: Obj): string => str(rec(o['metadata'])['name']);

/** Name, Ready (`ready/desired`), Up-to-date, Available, Age; wide: Containers, Images, Selector. */
export const deploymentPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    ...templateColumns(),
  ],
  cells(d: Obj, { now }) {
    const spec = rec(d['spec']);
    const status = rec(d['status']);
    const [names, images] = layoutContainerCells(rec(rec(spec['template'])['spec'])['containers']);
    return [
      nameOf(d),
      `${int(status['readyReplicas'])}/${int(spec['replicas'])}`,
      int(status['updatedReplicas']),
      int(status['availableReplicas']),
      age(d, now),
      names,
      images,
      formatLabelSelector(spec['selector']),
    ];
  },
};

/**
 * Name, Desired, Current, Ready, Age; wide: Containers, Images, Selector. A ReplicaSet's selector
 * is a label selector, a ReplicationController's a plain label map (`selector` formats either).
 */
function replicatedSetPrinter(kind: string, selector: (s: unknown) => string): TablePrinter {
  return {
    columns: [
      nameColumn(),
      col('Desired', 'integer', `Number of desired pods of the ${kind}.`),
      col('Current', 'integer', 'Number of pods observed.'),
      col('Ready', 'integer', `Number of pods of the ${kind} that are ready.`),
      ageColumn(),
      ...templateColumns(),
    ],
    cells(o: Obj, { now }) {
      const spec = rec(o['spec']);
      const status = rec(o['status']);
      const [names, images] = layoutContainerCells(rec(rec(spec['template'])['spec'])['containers']);
      return [nameOf(o), int(spec['replicas']), int(status['replicas']), int(status['readyReplicas']), age(o, now), names, images, selector(spec['selector'])];
    },
  };
}

export const replicaSetPrinter = replicatedSetPrinter('replica set', formatLabelSelector);
export const replicationControllerPrinter = replicatedSetPrinter('replication controller', formatLabels);

/** An int-or-string budget field as upstream prints it: the value, or N/A when unset. */
const budget = (v: unknown): string => (typeof v === 'number' || typeof v === 'string' ? String(v) : 'N/A');

/** Name, Min Available, Max Unavailable, Allowed Disruptions, Age. */
export const podDisruptionBudgetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  cells(pdb: Obj, { now }) {
    const spec = rec(pdb['spec']);
    return [nameOf(pdb), budget(spec['minAvailable']), budget(spec['maxUnavailable']), int(rec(pdb['status'])['disruptionsAllowed']), age(pdb, now)];
  },
};

/** Name, AttachRequired, PodInfoOnMount, StorageCapacity, TokenRequests, RequiresRepublish, Modes, Age. */
export const csiDriverPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('AttachRequired', 'boolean', 'Indicates this CSI volume driver requires an attach operation.'),
    col('PodInfoOnMount', 'boolean', 'Indicates this CSI volume driver requires additional pod information during mount operations.'),
    col('StorageCapacity', 'boolean', 'Indicates this CSI volume driver reports storage capacity.'),
    col('TokenRequests', 'string', 'Indicates the audiences of the service account tokens the driver gets.'),
    col('RequiresRepublish', 'boolean', 'Indicates this CSI volume driver requires repeated NodePublishVolume calls.'),
    col('Modes', 'string', 'Volume lifecycle modes supported by the driver.'),
    ageColumn(),
  ],
  cells(d: Obj, { now }) {
    const spec = rec(d['spec']);
    const audiences = list(spec['tokenRequests']).map((t) => str(rec(t)['audience']));
    const modes = list(spec['volumeLifecycleModes']).map(str);
    return [
      nameOf(d),
      spec['attachRequired'] === true,
      spec['podInfoOnMount'] === true,
      spec['storageCapacity'] === true,
      audiences.length > 0 ? audiences.join(',') : '<unset>',
      spec['requiresRepublish'] === true,
      modes.length > 0 ? modes.join(',') : '<none>',
      age(d, now),
    ];
  },
};

/** Name (` (default)` after the default class's), Provisioner, ReclaimPolicy, VolumeBindingMode, AllowVolumeExpansion, Age. */
export const storageClassPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells(sc: Obj, { now }) {
    return [
      isDefaultStorageClass(rec(rec(sc['metadata'])['annotations'])) ? `${nameOf(sc)} (default)` : nameOf(sc),
      str(sc['provisioner']),
      str(sc['reclaimPolicy']) || 'Delete',
      str(sc['volumeBindingMode']) || 'Immediate',
      sc['allowVolumeExpansion'] === true,
      age(sc, now),
    ];
  },
};

/** Name, Pod-Selector, Age. */
export const networkPolicyPrinter: TablePrinter = {
  columns: [nameColumn(), col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), ageColumn()],
  cells: (np: Obj, { now }) => [nameOf(np), formatLabelSelector(rec(np['spec'])['podSelector'] ?? {}), age(np, now)],
};

/**
 * An ingress's first three hosts (`*` when no rule names one), and how many rules are left
 * past the first three when there are more, as upstream's formatHosts counts them.
 */
function ingressHosts(rules: unknown[]): string {
  const hosts: string[] = [];
  let more = false;
  for (const r of rules) {
    if (hosts.length === 3) more = true;
    const host = str(rec(r)['host']);
    if (!more && host !== '') hosts.push(host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

/** Name, Class, Hosts, Address (the server's wide form: never shortened), Ports, Age. */
export const ingressPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells(ing: Obj, { now }) {
    const spec = rec(ing['spec']);
    const className = spec['ingressClassName'];
    return [
      nameOf(ing),
      typeof className === 'string' ? className : '<none>',
      ingressHosts(list(spec['rules'])),
      loadBalancerIPs(rec(ing['status'])).join(','),
      list(spec['tls']).length > 0 ? '80, 443' : '80',
      age(ing, now),
    ];
  },
};

/** Name, Controller, Parameters (`Kind[.apiGroup]/name`), Age. */
export const ingressClassPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(ic: Obj, { now }) {
    const spec = rec(ic['spec']);
    const params = spec['parameters'];
    let parameters = '<none>';
    if (params && typeof params === 'object') {
      const p = rec(params);
      const group = p['apiGroup'];
      parameters = `${str(p['kind'])}${typeof group === 'string' ? `.${group}` : ''}/${str(p['name'])}`;
    }
    return [nameOf(ic), str(spec['controller']), parameters, age(ic, now)];
  },
};

/** Name, Handler, Age. */
export const runtimeClassPrinter: TablePrinter = {
  columns: [nameColumn(), col('Handler', 'string', 'Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class. The possible values are specific to the node & CRI configuration.  It is assumed that all handlers are available on every node, and handlers of the same name are equivalent on every node. For example, a handler called "runc" might specify that the runc OCI runtime (using native Linux containers) will be used to run the containers in a pod. The Handler must be lowercase, conform to the DNS Label (RFC 1123) requirements, and is immutable.'), ageColumn()],
  cells: (rc: Obj, { now }) => [nameOf(rc), str(rc['handler']), age(rc, now)],
};

/** Name, Webhooks (count), Age. */
export const webhookConfigurationPrinter: TablePrinter = {
  columns: [nameColumn(), col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks in this configuration.'), ageColumn()],
  cells: (c: Obj, { now }) => [nameOf(c), list(c['webhooks']).length, age(c, now)],
};

/**
 * Name, Age, Request, Limit (kubectl 1.32's order; later releases put Age last). From
 * status.hard in name order, `<resource>: <used>/<hard>` joined by `, `: `limits.*` in Limit,
 * everything else in Request (empty before the status is filled).
 */
export const resourceQuotaPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    ageColumn(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(o: Obj, { now }) {
    const status = rec(o['status']);
    const hard = rec(status['hard']);
    const used = rec(status['used']);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const cell = `${name}: ${canonicalQuantity(used[name])}/${canonicalQuantity(hard[name])}`;
      const pieces = name.split('.');
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(cell);
    }
    return [nameOf(o), age(o, now), requests.join(', '), limits.join(', ')];
  },
};

/** A quantity as apimachinery prints it; an absent one is zero. */
function canonicalQuantity(v: unknown): string {
  const q = parseQuantity(v);
  return q ? formatQuantity(q) : '0';
}

/** Name, Drivers (how many), Age. */
export const csiNodePrinter: TablePrinter = {
  columns: [nameColumn(), col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn()],
  cells: (o: Obj, { now }) => [nameOf(o), list(rec(o['spec'])['drivers']).length, age(o, now)],
};
