// Small constructors for SchemaNodes, so the per-group definition files read like the upstream
// type definitions: one line per field with its JSON type, patch metadata and our description.
// Invariant: every object type that upstream names is a named definition (reached through `ref`),
// so error messages (Go struct names) and OpenAPI `$ref`s can be derived from the name.

import type { SchemaNode } from './types.js';

export type Props = Record<string, SchemaNode>;
export type Definitions = Record<string, SchemaNode>;

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const CORE = 'io.k8s.api.core.v1.';
export const APPS = 'io.k8s.api.apps.v1.';
export const RBAC = 'io.k8s.api.rbac.v1.';
export const COORDINATION = 'io.k8s.api.coordination.v1.';
export const EVENTS = 'io.k8s.api.events.v1.';
export const DISCOVERY = 'io.k8s.api.discovery.v1.';
export const SCHEDULING = 'io.k8s.api.scheduling.v1.';
export const POLICY = 'io.k8s.api.policy.v1.';
export const STORAGE = 'io.k8s.api.storage.v1.';
export const NETWORKING = 'io.k8s.api.networking.v1.';
export const NODE = 'io.k8s.api.node.v1.';
export const ADMISSION = 'io.k8s.api.admissionregistration.v1.';
export const APIEXTENSIONS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';
export const AUTHORIZATION = 'io.k8s.api.authorization.v1.';
export const AUTHENTICATION = 'io.k8s.api.authentication.v1.';
export const METRICS = 'io.k8s.metrics.pkg.apis.metrics.v1beta1.';
export const AUTOSCALING = 'io.k8s.api.autoscaling.v1.';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

function withDesc<T extends SchemaNode>(n: T, description: string | undefined): T {
  if (description !== undefined) n.description = description;
  return n;
}

export const str = (description?: string): SchemaNode => withDesc({ kind: 'scalar', type: 'string' }, description);
export const int32 = (description?: string): SchemaNode =>
  withDesc({ kind: 'scalar', type: 'integer', format: 'int32' }, description);
export const int64 = (description?: string): SchemaNode =>
  withDesc({ kind: 'scalar', type: 'integer', format: 'int64' }, description);
export const bool = (description?: string): SchemaNode => withDesc({ kind: 'scalar', type: 'boolean' }, description);
/** []byte in Go: a base64 string on the wire. */
export const bytes = (description?: string): SchemaNode =>
  withDesc({ kind: 'scalar', type: 'string', format: 'byte' }, description);
export const quantity = (description?: string): SchemaNode => withDesc({ kind: 'quantity' }, description);
export const intOrString = (description?: string): SchemaNode => withDesc({ kind: 'int-or-string' }, description);
export const any = (description?: string): SchemaNode => withDesc({ kind: 'any' }, description);

export const ref = (name: string, description?: string): SchemaNode => withDesc({ kind: 'ref', ref: name }, description);
/** A struct-valued field's strategic merge patch strategy (types.ts); only references carry one. */
export const withPatchStrategy = (node: SchemaNode, patchStrategy: 'replace' | 'retainKeys'): SchemaNode => (node.kind === 'ref' ? { ...node, patchStrategy } : node);
export const time = (description?: string): SchemaNode => ref(META + 'Time', description);
export const microTime = (description?: string): SchemaNode => ref(META + 'MicroTime', description);
export const labelSelector = (description?: string): SchemaNode => ref(META + 'LabelSelector', description);
export const objectMeta = (description = 'Standard object metadata: name, namespace, labels, annotations and server-set fields.'): SchemaNode =>
  ref(META + 'ObjectMeta', description);
export const listMeta = (description = 'Standard list metadata: resourceVersion and continue token of the list.'): SchemaNode =>
  ref(META + 'ListMeta', description);

export const map = (values: SchemaNode, description?: string, mapType?: 'atomic'): SchemaNode => {
  const n: SchemaNode = withDesc({ kind: 'map', values }, description);
  if (mapType && n.kind === 'map') n.mapType = mapType;
  return n;
};
export const strMap = (description?: string, mapType?: 'atomic'): SchemaNode => map(str(), description, mapType);
/** core/v1 ResourceList: resource name -> Quantity. */
export const resourceList = (description?: string): SchemaNode => map(quantity(), description);

export interface ListOptions {
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  patchMergeKey?: string;
  patchStrategy?: 'merge' | 'replace' | 'merge,retainKeys';
}

export const list = (items: SchemaNode, description?: string, opts: ListOptions = { listType: 'atomic' }): SchemaNode => {
  const n: SchemaNode = withDesc({ kind: 'array', items }, description);
  if (n.kind !== 'array') return n;
  if (opts.patchMergeKey !== undefined) n.patchMergeKey = opts.patchMergeKey;
  if (opts.patchStrategy !== undefined) n.patchStrategy = opts.patchStrategy;
  if (opts.listType !== undefined) n.listType = opts.listType;
  if (opts.listMapKeys !== undefined) n.listMapKeys = opts.listMapKeys;
  return n;
};
/** An atomic list of strings. */
export const strList = (description?: string): SchemaNode => list(str(), description);
/** A list that strategic merge patch merges element-wise by `key` (listType=map keyed by `mapKeys`). */
export const keyedList = (
  items: SchemaNode,
  key: string,
  description?: string,
  opts: { mapKeys?: string[]; strategy?: 'merge' | 'merge,retainKeys'; listType?: 'map' | 'atomic' } = {},
): SchemaNode =>
  list(items, description, {
    patchMergeKey: key,
    patchStrategy: opts.strategy ?? 'merge',
    listType: opts.listType ?? 'map',
    ...((opts.listType ?? 'map') === 'map' ? { listMapKeys: opts.mapKeys ?? [key] } : {}),
  });
/** A list of unique scalars (listType=set). */
export const setList = (items: SchemaNode, description?: string, patchStrategy?: 'merge'): SchemaNode =>
  list(items, description, { listType: 'set', ...(patchStrategy ? { patchStrategy } : {}) });
/** A list map keyed by `keys` that strategic merge patch replaces whole (no patch merge key). */
export const mapList = (items: SchemaNode, keys: string[], description?: string): SchemaNode =>
  list(items, description, { listType: 'map', listMapKeys: keys });

export const obj = (description: string, properties: Props, required?: string[]): SchemaNode => {
  const n: SchemaNode = { kind: 'object', properties, description };
  if (required && required.length > 0 && n.kind === 'object') n.required = required;
  return n;
};

/** apiVersion and kind, the TypeMeta every top-level object carries. */
export const typeMeta = (): Props => ({
  apiVersion: str('Versioned schema of this representation, e.g. "v1" or "apps/v1". Servers convert recognized schemas to the latest internal value.'),
  kind: str('Kind of REST resource this object represents, in CamelCase, e.g. "DaemonSet". Servers infer it from the endpoint that received the request.'),
});

/**
 * One condition of an object's status: type and status (both required), any `extra` time
 * fields (lastUpdateTime, lastHeartbeatTime), lastTransitionTime, reason and message.
 */
export const condition = (of: string, extra: Props = {}, typeDescription = 'Condition type.'): SchemaNode =>
  obj(`One condition of ${of}.`, {
    type: str(typeDescription),
    status: str('True, False or Unknown.'),
    ...extra,
    lastTransitionTime: time('Last time the status changed.'),
    reason: str('CamelCase reason of the last transition.'),
    message: str('Human-readable details.'),
  }, ['type', 'status']);

/** The list kind for an item definition, e.g. DaemonSetList for io.k8s.api.apps.v1.DaemonSet. */
export const listOf = (itemDef: string, plural: string): SchemaNode =>
  obj(`A list of ${plural}.`, {
    ...typeMeta(),
    metadata: listMeta(),
    items: list(ref(itemDef), `The ${plural} in this list.`, {}),
  }, ['items']);

/**
 * `<prefix>WebhookClientConfig` and `<prefix>ServiceReference`: how to reach a webhook. The
 * admissionregistration and apiextensions groups each name their own copy of these types.
 */
export const webhookClientDefinitions = (prefix: string): Definitions => ({
  [prefix + 'WebhookClientConfig']: obj('How to reach a webhook: a URL or a Service.', {
    url: str('https URL of the webhook.'),
    service: ref(prefix + 'ServiceReference', 'The Service in front of the webhook.'),
    caBundle: bytes('PEM CA bundle to verify the webhook\'s certificate.'),
  }),
  [prefix + 'ServiceReference']: obj('A Service and path.', {
    namespace: str('Namespace of the Service.'),
    name: str('Name of the Service.'),
    path: str('URL path of requests.'),
    port: int32('Port of the Service. Default 443.'),
  }, ['namespace', 'name']),
});
