// OpenAPI v3 documents per group/version, built from the schema registry (kube-api.md §3.3).
//
// Contract: kubectl (1.29+) finds the PATCH operation whose object-valued
// x-kubernetes-group-version-kind names the kind, and looks for `fieldValidation` in that
// operation's own `parameters`; component schemas carry array-valued GVK extensions, `$ref`s are
// wrapped in allOf (as upstream does), maps use additionalProperties. Output is deterministic
// for the same input (keys sorted), so a content hash of it is stable.

import type { GroupVersionKind, SchemaNode } from './types.js';
import { getDefinition, kindsOfDefinition, definitionOfKind } from './registry.js';
import { INT_OR_STRING, META, QUANTITY } from './dsl.js';

export interface OpenAPIResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  subresources: string[];
  verbs: string[];
  /**
   * Streaming subresources and the kind of their options (`{ subresource: 'proxy', optionsKind:
   * 'NodeProxyOptions' }`). The proxies are documented as upstream's connect operations; the
   * other streaming subresources (exec, attach, portforward) are not in the documents.
   */
  connect?: { subresource: string; optionsKind: string }[];
  /**
   * A custom resource: as upstream documents CRDs, no strategic merge patch (the server
   * refuses it with 415: kubectl 1.29+ read this to pick the patch type) and no protobuf.
   */
  custom?: boolean;
}

type Json = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';
const refTo = (name: string): Json => ({ $ref: REF_PREFIX + name });

/** Converts one node; records every definition it references in `used`. */
function toOpenAPI(node: SchemaNode, used: Set<string>): Json {
  const withDesc = (o: Json): Json => (node.description !== undefined ? { ...o, description: node.description } : o);
  switch (node.kind) {
    case 'ref': {
      used.add(node.ref);
      const o: Json = { allOf: [refTo(node.ref)] };
      if (node.description !== undefined) o.description = node.description;
      if (node.patchStrategy !== undefined) o['x-kubernetes-patch-strategy'] = node.patchStrategy;
      return o;
    }
    case 'scalar': {
      const o: Json = { type: node.type };
      const format = node.format ?? node.schemaFormat;
      if (format !== undefined) o.format = format;
      if (node.enum !== undefined) o.enum = [...node.enum];
      return withDesc(o);
    }
    case 'int-or-string':
      used.add(INT_OR_STRING);
      return withDesc({ allOf: [refTo(INT_OR_STRING)] });
    case 'quantity':
      used.add(QUANTITY);
      return withDesc({ allOf: [refTo(QUANTITY)] });
    case 'any':
      return withDesc({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    case 'map': {
      const o: Json = { type: 'object', additionalProperties: toOpenAPI(node.values, used) };
      if (node.mapType !== undefined) o['x-kubernetes-map-type'] = node.mapType;
      return withDesc(o);
    }
    case 'array': {
      const o: Json = { type: 'array', items: toOpenAPI(node.items, used) };
      if (node.listType !== undefined) o['x-kubernetes-list-type'] = node.listType;
      if (node.listMapKeys !== undefined) o['x-kubernetes-list-map-keys'] = [...node.listMapKeys];
      if (node.patchMergeKey !== undefined) o['x-kubernetes-patch-merge-key'] = node.patchMergeKey;
      if (node.patchStrategy !== undefined) o['x-kubernetes-patch-strategy'] = node.patchStrategy;
      return withDesc(o);
    }
    case 'object': {
      const properties: Json = {};
      for (const [k, v] of Object.entries(node.properties)) properties[k] = toOpenAPI(v, used);
      const o: Json = { type: 'object', properties };
      if (node.required !== undefined && node.required.length > 0) o.required = [...node.required];
      if (node.structType !== undefined) o['x-kubernetes-map-type'] = node.structType;
      if (node.preserveUnknown) o['x-kubernetes-preserve-unknown-fields'] = true;
      return withDesc(o);
    }
  }
}

/** The schema of one named definition, with the special scalar types shaped like upstream's. */
function definitionSchema(name: string, node: SchemaNode, used: Set<string>): Json {
  let schema: Json;
  // As upstream's v3 documents: no `type` but a `oneOf` of the two JSON forms, so kubectl
  // explain names the field by its definition (<IntOrString>, <Quantity>); the v2 document
  // makes them strings (openapi-v2.ts).
  if (node.kind === 'int-or-string') {
    schema = { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
    if (node.description !== undefined) schema.description = node.description;
  } else if (node.kind === 'quantity') {
    schema = { oneOf: [{ type: 'string' }, { type: 'number' }] };
    if (node.description !== undefined) schema.description = node.description;
  } else if (node.kind === 'any') {
    schema = { type: 'object' };
    if (node.description !== undefined) schema.description = node.description;
  } else {
    schema = toOpenAPI(node, used);
  }
  const kinds = kindsOfDefinition(name);
  if (kinds.length > 0) {
    schema['x-kubernetes-group-version-kind'] = [...kinds]
      .sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`))
      .map((k) => ({ group: k.group, kind: k.kind, version: k.version }));
  }
  return schema;
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const k of Object.keys(v as Json).sort()) out[k] = sortKeysDeep((v as Json)[k]);
    return out;
  }
  return v;
}

const q = (name: string, description: string): Json => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const P = {
  pretty: q('pretty', 'If "true", the output is pretty printed.'),
  dryRun: q('dryRun', 'When present, the request is validated and defaulted but not persisted. The only valid value is "All".'),
  fieldManager: q('fieldManager', 'Name of the actor making the change, recorded in managedFields. Required for apply patches.'),
  fieldValidation: q('fieldValidation', 'How unknown or duplicate fields in the body are handled: Ignore (drop them), Warn (drop them and send a warning header) or Strict (fail the request).'),
  force: { name: 'force', in: 'query', description: 'Force an apply request through field conflicts with other managers. Only for apply patches.', schema: { type: 'boolean', uniqueItems: true } },
  name: (kind: string): Json => ({ name: 'name', in: 'path', required: true, description: `name of the ${kind}`, schema: { type: 'string', uniqueItems: true } }),
  namespace: { name: 'namespace', in: 'path', required: true, description: 'object name and auth scope, such as for teams and projects', schema: { type: 'string', uniqueItems: true } },
  list: [
    q('labelSelector', 'Restricts the list to objects whose labels match this selector.'),
    q('fieldSelector', 'Restricts the list to objects whose fields match this selector.'),
    q('resourceVersion', 'Which version of the data the list or watch starts from.'),
    q('resourceVersionMatch', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
    { name: 'limit', in: 'query', description: 'Maximum number of items to return; continue with the returned token.', schema: { type: 'integer', uniqueItems: true } },
    q('continue', 'Token from a previous chunked list to fetch the next chunk.'),
    { name: 'timeoutSeconds', in: 'query', description: 'Timeout of a list or watch call.', schema: { type: 'integer', uniqueItems: true } },
    { name: 'watch', in: 'query', description: 'Stream add, update and delete notifications instead of returning a list.', schema: { type: 'boolean', uniqueItems: true } },
    { name: 'allowWatchBookmarks', in: 'query', description: 'Ask for BOOKMARK events in a watch.', schema: { type: 'boolean', uniqueItems: true } },
    { name: 'sendInitialEvents', in: 'query', description: 'Start a watch with synthetic events for the current state.', schema: { type: 'boolean', uniqueItems: true } },
  ] as Json[],
  delete: [
    { name: 'gracePeriodSeconds', in: 'query', description: 'Seconds before the object is deleted; 0 means at once.', schema: { type: 'integer', uniqueItems: true } },
    { name: 'orphanDependents', in: 'query', description: 'Deprecated; use propagationPolicy.', schema: { type: 'boolean', uniqueItems: true } },
    q('propagationPolicy', 'Garbage collection of dependents: Orphan, Background or Foreground.'),
  ] as Json[],
};

/** The methods a proxy subresource takes (upstream's proxy connecters). */
const PROXY_METHODS = ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'];

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const content = (schema: Json, types = JSON_TYPES): Json => Object.fromEntries(types.map((t) => [t, { schema }]));
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const CUSTOM_TYPES = JSON_TYPES.filter((t) => !t.includes('protobuf'));
const CUSTOM_PATCH_TYPES = PATCH_TYPES.filter((t) => !t.includes('strategic'));

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** upstream's operation id stem: 'AppsV1', 'CoreV1', 'RbacAuthorizationV1', 'CoordinationV1'. */
function gvStem(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return g.split(/[.-]/).map(capitalize).join('') + capitalize(version);
}

/** Definition name of a kind: the registered one, else upstream's naming convention. */
export function definitionName(gvk: GroupVersionKind): string {
  const registered = definitionOfKind(gvk);
  if (registered !== undefined) return registered;
  if (gvk.group === '') return `io.k8s.api.core.${gvk.version}.${gvk.kind}`;
  if (gvk.group.endsWith('.k8s.io') || !gvk.group.includes('.')) {
    return `io.k8s.api.${gvk.group.split('.')[0]}.${gvk.version}.${gvk.kind}`;
  }
  return `${gvk.group.split('.').reverse().join('.')}.${gvk.version}.${gvk.kind}`;
}

/** One OpenAPI v3 document for `groupVersion` ('v1' for core, else 'group/version'). */
export function buildOpenAPIV3(groupVersion: string, resources: OpenAPIResource[]): object {
  const slash = groupVersion.indexOf('/');
  const group = slash < 0 ? '' : groupVersion.slice(0, slash);
  const version = slash < 0 ? groupVersion : groupVersion.slice(slash + 1);
  const root = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const tag = group === '' ? `core_${version}` : `${group.replace(/\.k8s\.io$/, '').replace(/\./g, '_')}_${version}`;
  const stem = gvStem(group, version);
  const used = new Set<string>([META + 'Status', META + 'DeleteOptions', META + 'Patch']);
  const paths: Json = {};

  const sorted = [...resources].sort((a, b) => a.plural.localeCompare(b.plural));
  for (const res of sorted) {
    const gvk = { group: res.group, version: res.version, kind: res.kind };
    const kindDef = definitionName(gvk);
    const listDef = definitionName({ ...gvk, kind: res.kind + 'List' });
    used.add(kindDef);
    if (getDefinition(listDef)) used.add(listDef);
    const verbs = new Set(res.verbs);
    const ext = { group: res.group, version: res.version, kind: res.kind };
    const ns = res.namespaced ? 'Namespaced' : '';
    const base = res.namespaced ? `${root}/namespaces/{namespace}/${res.plural}` : `${root}/${res.plural}`;
    const scopeParams: Json[] = res.namespaced ? [P.namespace] : [];
    const objSchema = refTo(kindDef);
    const ok = (schema: Json, code = '200', description = 'OK'): Json => ({ [code]: { description, content: content(schema, res.custom ? CUSTOM_TYPES : JSON_TYPES) } });
    const unauthorized = { '401': { description: 'Unauthorized' } };
    const op = (action: string, verbId: string, description: string, extra: Json): Json => ({
      tags: [tag],
      description,
      operationId: `${verbId}${stem}${ns}${res.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': { ...ext },
      ...extra,
    });
    const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
    const writeBody = { content: content(objSchema, ['*/*']), required: true };
    const patchOp = (what: string, verbId: string): Json =>
      op('patch', verbId, `partially update ${what}`, {
        parameters: [...writeParams, P.force],
        requestBody: { content: Object.fromEntries((res.custom ? CUSTOM_PATCH_TYPES : PATCH_TYPES).map((t) => [t, { schema: refTo(META + 'Patch') }])), required: true },
        responses: { ...ok(objSchema), ...ok(objSchema, '201', 'Created'), ...unauthorized },
      });
    const putOp = (what: string, verbId: string): Json =>
      op('put', verbId, `replace ${what}`, {
        parameters: writeParams,
        requestBody: writeBody,
        responses: { ...ok(objSchema), ...ok(objSchema, '201', 'Created'), ...unauthorized },
      });

    // Collection.
    const collection: Json = { parameters: [...scopeParams, P.pretty] };
    if (verbs.has('list')) {
      collection.get = op('list', 'list', `list or watch objects of kind ${res.kind}`, {
        parameters: P.list,
        responses: { ...ok(refTo(listDef)), ...unauthorized },
      });
    }
    if (verbs.has('create')) {
      collection.post = op('post', 'create', `create a ${res.kind}`, {
        parameters: writeParams,
        requestBody: writeBody,
        responses: { ...ok(objSchema), ...ok(objSchema, '201', 'Created'), ...ok(objSchema, '202', 'Accepted'), ...unauthorized },
      });
    }
    if (verbs.has('deletecollection')) {
      collection.delete = op('deletecollection', 'deleteCollection', `delete collection of ${res.kind}`, {
        parameters: [...P.delete, P.dryRun, ...P.list],
        requestBody: { content: content(refTo(META + 'DeleteOptions'), ['*/*']) },
        responses: { ...ok(refTo(META + 'Status')), ...unauthorized },
      });
    }
    if (Object.keys(collection).length > 1) paths[base] = collection;

    // Item.
    const item: Json = { parameters: [P.name(res.kind), ...scopeParams, P.pretty] };
    if (verbs.has('get')) item.get = op('get', 'read', `read the specified ${res.kind}`, { responses: { ...ok(objSchema), ...unauthorized } });
    if (verbs.has('update')) item.put = putOp(`the specified ${res.kind}`, 'replace');
    if (verbs.has('patch')) item.patch = patchOp(`the specified ${res.kind}`, 'patch');
    if (verbs.has('delete')) {
      item.delete = op('delete', 'delete', `delete a ${res.kind}`, {
        parameters: [P.dryRun, ...P.delete],
        requestBody: { content: content(refTo(META + 'DeleteOptions'), ['*/*']) },
        responses: { ...ok(refTo(META + 'Status')), ...ok(refTo(META + 'Status'), '202', 'Accepted'), ...unauthorized },
      });
    }
    if (Object.keys(item).length > 1) paths[`${base}/{name}`] = item;

    // Subresources.
    for (const sub of [...res.subresources].sort()) {
      const subPath: Json = { parameters: [P.name(res.kind), ...scopeParams, P.pretty] };
      const Sub = capitalize(sub);
      if (sub === 'status' || sub === 'scale' || sub === 'ephemeralcontainers') {
        subPath.get = op('get', 'read', `read ${sub} of the specified ${res.kind}`, { responses: { ...ok(objSchema), ...unauthorized } });
        subPath.put = putOp(`${sub} of the specified ${res.kind}`, `replace`);
        subPath.patch = patchOp(`${sub} of the specified ${res.kind}`, `patch`);
        for (const m of ['get', 'put', 'patch']) {
          const o = subPath[m] as Json;
          o.operationId = `${String(o.operationId).replace(new RegExp(`${res.kind}$`), '')}${res.kind}${Sub}`;
        }
      } else if (sub === 'log') {
        subPath.get = { ...op('get', 'read', `read log of the specified ${res.kind}`, {
          responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } }, ...unauthorized },
        }), operationId: `read${stem}${ns}${res.kind}Log` };
      } else {
        subPath.post = { ...op('post', 'create', `create ${sub} of a ${res.kind}`, {
          parameters: writeParams,
          requestBody: { content: { '*/*': { schema: { type: 'object' } } }, required: true },
          responses: { '200': { description: 'OK' }, '201': { description: 'Created' }, ...unauthorized },
        }), operationId: `create${stem}${ns}${res.kind}${Sub}` };
        delete (subPath.post as Json)['x-kubernetes-group-version-kind'];
      }
      paths[`${base}/{name}/${sub}`] = subPath;
    }

    // The proxy subresource: upstream's connect operations, every method a proxy takes, on
    // `<item>/proxy` and `<item>/proxy/{path}`, answering whatever the target answers.
    for (const c of res.connect ?? []) {
      if (c.subresource !== 'proxy') continue;
      const connectOp = (method: string, withPath: boolean): Json => ({
        tags: [tag],
        description: `connect ${method.toUpperCase()} requests to proxy of ${res.kind}`,
        operationId: `connect${stem}${capitalize(method)}${ns}${res.kind}Proxy${withPath ? 'WithPath' : ''}`,
        'x-kubernetes-action': 'connect',
        'x-kubernetes-group-version-kind': { group: res.group, version: res.version, kind: c.optionsKind },
        responses: { '200': { description: 'OK', content: { '*/*': { schema: { type: 'string' } } } }, ...unauthorized },
      });
      const pathQuery = q('path', `The path of the request sent on to the ${res.kind.toLowerCase()} (without one: its root).`);
      const pathParam: Json = { name: 'path', in: 'path', required: true, description: 'the path of the request sent on', schema: { type: 'string', uniqueItems: true } };
      for (const withPath of [false, true]) {
        const item: Json = { parameters: [P.name(c.optionsKind), ...scopeParams, ...(withPath ? [pathParam] : []), pathQuery] };
        for (const m of PROXY_METHODS) item[m] = connectOp(m, withPath);
        paths[`${base}/{name}/proxy${withPath ? '/{path}' : ''}`] = item;
      }
    }

    // All-namespaces list of namespaced resources.
    if (res.namespaced && verbs.has('list')) {
      paths[`${root}/${res.plural}`] = {
        parameters: [P.pretty],
        get: op('list', 'list', `list or watch objects of kind ${res.kind}`, {
          parameters: P.list,
          responses: { ...ok(refTo(listDef)), ...unauthorized },
        }),
      };
      (paths[`${root}/${res.plural}`] as { get: Json }).get.operationId = `list${stem}${res.kind}ForAllNamespaces`;
    }
  }

  // Close over referenced definitions.
  const schemas: Json = {};
  const queue = [...used];
  const done = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (done.has(name)) continue;
    done.add(name);
    const node = getDefinition(name);
    if (!node) continue;
    const found = new Set<string>();
    schemas[name] = definitionSchema(name, node, found);
    for (const f of found) if (!done.has(f)) queue.push(f);
  }

  return sortKeysDeep({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas },
  }) as object;
}
