// Schemas of custom resources, made from their CustomResourceDefinition's openAPIV3Schema, so
// custom resources are type-checked, pruned and patched like built-in kinds.
//
// Contract:
// - Objects become object nodes (unknown fields pruned, or refused with fieldValidation=Strict,
//   as upstream prunes structural schemas; an object without `properties` keeps nothing);
//   `additionalProperties` makes a map; `x-kubernetes-preserve-unknown-fields: true` on an object with `properties`
//   keeps fields it does not declare and types (and defaults) those it declares; on anything
//   else, like a schema without a type, it keeps whatever is sent.
// - `x-kubernetes-embedded-resource: true` is an object with apiVersion, kind and the standard
//   ObjectMeta, whatever its schema says about them, as upstream coerces an embedded object's
//   metadata through metav1.ObjectMeta: unknown metadata fields are pruned, or refused with
//   fieldValidation=Strict (`unknown field "spec.template.metadata.x"`). Its other declared
//   properties are typed; fields it does not declare are kept with
//   x-kubernetes-preserve-unknown-fields (or when it declares no properties), else pruned. Arrays keep their x-kubernetes-list-type
//   and map keys; `x-kubernetes-int-or-string` is an int-or-string. A property's `default` is
//   filled in when its object is sent without it (on every write, and on every read through
//   fillSchemaDefaults, as upstream defaults what it reads from storage); a filled-in default
//   gets its own properties' defaults. `nullable: true` keeps a JSON null sent for the field
//   (any other null means absent). A `format` is kept for OpenAPI and validation, never read
//   by decoding (a custom resource's values stay as sent).
// - The root always has apiVersion, kind and the standard ObjectMeta, whatever the schema says
//   about them.
// - Registering a kind again replaces its definitions (a CRD update).

import { maxSchemaDepth } from '../validation/custom-resource.js';
import { META, listOf, typeMeta } from './dsl.js';
import { definitionName } from './openapi.js';
import { registerDefinitions, registerKind, unregisterDefinitions } from './registry.js';
import type { GroupVersionKind, SchemaNode } from './types.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The SchemaNode of one JSON schema (openAPIV3Schema of a CRD version). `depth` is the schema's
 * level (the root's is 0); a CRD nests at most maxSchemaDepth levels (validation/crd.ts), and
 * below that a schema stored before the limit was enforced is free-form here (its values are
 * refused by validateCustomResourceValue).
 */
export function schemaFromOpenAPI(s: unknown, depth = 0): SchemaNode {
  if (!isObj(s) || depth > maxSchemaDepth) return { kind: 'any' };
  const description = typeof s.description === 'string' ? s.description : undefined;
  const nullable = s.nullable === true;
  const withDesc = (n: SchemaNode): SchemaNode => (description !== undefined || nullable ? { ...n, ...(description !== undefined ? { description } : {}), ...(nullable ? { nullable: true as const } : {}) } : n);
  if (s['x-kubernetes-int-or-string'] === true) return withDesc({ kind: 'int-or-string' });
  if (s['x-kubernetes-embedded-resource'] === true) return withDesc(embeddedResource(s, depth));
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    // An object that keeps unknown fields still types (and defaults) the ones it declares, as
    // upstream's structural schema does; without declared properties it is free-form.
    if (s.type !== 'object' || !isObj(s.properties) || isObj(s.additionalProperties)) return withDesc({ kind: 'any' });
    const { 'x-kubernetes-preserve-unknown-fields': _kept, ...declared } = s;
    const node = schemaFromOpenAPI(declared, depth);
    return node.kind === 'object' ? { ...node, preserveUnknown: true } : node;
  }
  switch (s.type) {
    case 'object': {
      if (isObj(s.additionalProperties)) {
        const node: SchemaNode = { kind: 'map', values: schemaFromOpenAPI(s.additionalProperties, depth + 1) };
        if (s['x-kubernetes-map-type'] === 'atomic') node.mapType = 'atomic';
        return withDesc(node);
      }
      // An object that declares no properties (and is not a map) has none, as upstream's
      // structural pruning reads it: whatever is sent in it is pruned (refused with Strict).
      // `additionalProperties: true` alone is free-form.
      if (!isObj(s.properties)) return withDesc(s.additionalProperties === true ? { kind: 'any' } : { kind: 'object', properties: {} });
      const properties: Record<string, SchemaNode> = {};
      const defaults: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties)) {
        properties[k] = schemaFromOpenAPI(v, depth + 1);
        if (isObj(v) && v.default !== undefined && v.default !== null) defaults[k] = v.default;
      }
      const node: SchemaNode = { kind: 'object', properties };
      if (Object.keys(defaults).length > 0) node.defaults = defaults;
      if (Array.isArray(s.required)) node.required = s.required.filter((r): r is string => typeof r === 'string');
      if (s['x-kubernetes-map-type'] === 'atomic') node.structType = 'atomic';
      return withDesc(node);
    }
    case 'array': {
      const node: SchemaNode = { kind: 'array', items: schemaFromOpenAPI(s.items, depth + 1) };
      const listType = s['x-kubernetes-list-type'];
      node.listType = listType === 'set' || listType === 'map' ? listType : 'atomic';
      if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) node.listMapKeys = s['x-kubernetes-list-map-keys'].filter((k): k is string => typeof k === 'string');
      return withDesc(node);
    }
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean': {
      const node: SchemaNode = { kind: 'scalar', type: s.type };
      if (typeof s.format === 'string' && s.format !== '') node.schemaFormat = s.format;
      if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((e): e is string => typeof e === 'string')) node.enum = [...s.enum];
      return withDesc(node);
    }
    default:
      return withDesc({ kind: 'any' });
  }
}

/** The node of an `x-kubernetes-embedded-resource` schema at level `depth` (see the contract above). */
function embeddedResource(s: Json, depth: number): SchemaNode {
  // The same schema level: its properties are one level down, as any object's.
  const declared = isObj(s.properties) ? schemaFromOpenAPI({ type: 'object', properties: s.properties, required: s.required }, depth) : undefined;
  const node: SchemaNode = {
    kind: 'object',
    properties: { ...(declared?.kind === 'object' ? declared.properties : {}), ...typeMeta(), metadata: { kind: 'ref', ref: META + 'ObjectMeta', description: 'Standard object metadata.' } },
  };
  if (declared?.kind === 'object') {
    if (declared.defaults) node.defaults = declared.defaults;
    const required = (declared.required ?? []).filter((r) => r !== 'metadata');
    if (required.length > 0) node.required = required;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true || declared === undefined) node.preserveUnknown = true;
  return node;
}

/**
 * Registers the schema of a custom resource kind and its list kind (definition names as
 * upstream's: `com.example.v1.Widget`), and DeleteOptions for its group/version.
 */
export function registerCustomResourceSchema(gvk: GroupVersionKind, listKind: string, openAPIV3Schema: unknown): void {
  const name = definitionName(gvk);
  const root = schemaFromOpenAPI(openAPIV3Schema);
  const schema = isObj(openAPIV3Schema) ? openAPIV3Schema : {};
  const declared = isObj(schema.properties) ? (schemaFromOpenAPI({ type: 'object', properties: schema.properties }) as { properties: Record<string, SchemaNode> }).properties : {};
  const node: SchemaNode = {
    kind: 'object',
    properties: { ...(root.kind === 'object' ? root.properties : declared), ...typeMeta(), metadata: { kind: 'ref', ref: META + 'ObjectMeta', description: 'Standard object metadata.' } },
    description: root.description ?? `A ${gvk.kind}.`,
  };
  // A root that keeps unknown fields (free-form, or an object with properties marked
  // x-kubernetes-preserve-unknown-fields) keeps every top-level field it does not declare.
  if (root.kind !== 'object' || root.preserveUnknown) node.preserveUnknown = true;
  // Defaults of top-level properties are filled in as those of nested objects are.
  if (root.kind === 'object' && root.defaults) node.defaults = root.defaults;
  if (root.kind === 'object' && root.required) {
    const required = root.required.filter((r) => r !== 'metadata' && r !== 'apiVersion' && r !== 'kind');
    if (required.length > 0) node.required = required;
  }
  const listName = definitionName({ ...gvk, kind: listKind });
  registerDefinitions({ [name]: node, [listName]: listOf(name, `${gvk.kind} objects`) });
  registerKind(gvk, name);
  registerKind({ ...gvk, kind: listKind }, listName);
  registerKind({ group: gvk.group, version: gvk.version, kind: 'DeleteOptions' }, META + 'DeleteOptions');
}

/** Removes what registerCustomResourceSchema registered for a kind (its CRD version went). */
export function unregisterCustomResourceSchema(gvk: GroupVersionKind, listKind: string): void {
  const listGvk = { ...gvk, kind: listKind };
  unregisterDefinitions([definitionName(gvk), definitionName(listGvk)], [gvk, listGvk]);
}
