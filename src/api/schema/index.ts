// Public API of the schema system: one SchemaNode description per kind drives body decoding
// (type check + pruning), strategic-merge-patch metadata and the OpenAPI v3 documents.

import type { KubeObject } from '../types.js';
import type { GroupVersionKind, SchemaNode } from './types.js';
import { fillDefaults } from './defaults.js';
import { DecodeError, cannotHandle, decodeWithSchema, strictError, type FieldValidation } from './decode.js';
import { definitionOfKind, getDefinition } from './registry.js';
import { definitionName } from './openapi.js';

export type { GroupVersionKind, SchemaNode, ScalarType } from './types.js';
export type { FieldValidation } from './decode.js';
export { buildOpenAPIV3, definitionName, type OpenAPIResource } from './openapi.js';
export { registerDefinitions, registerKind, getDefinition, kindsOfDefinition } from './registry.js';
export { registerCustomResourceSchema, schemaFromOpenAPI, unregisterCustomResourceSchema } from './custom-resource.js';
export type { Definitions } from './dsl.js';

/** Root object schema of a kind (resolved, kind 'object'), or undefined when not served. */
export function schemaFor(gvk: GroupVersionKind): SchemaNode | undefined {
  const name = definitionOfKind(gvk);
  if (name === undefined) return undefined;
  const node = getDefinition(name);
  return node === undefined ? undefined : resolveSchema(node);
}

/**
 * Fills in, in place, the schema defaults `obj` lacks (every level, through arrays and maps; not
 * through references such as metadata), as upstream defaults a custom resource read from
 * storage with its CRD's current schema. Returns whether anything was added.
 */
export function fillSchemaDefaults(gvk: GroupVersionKind, obj: unknown): boolean {
  const root = schemaFor(gvk);
  return root === undefined ? false : fillDefaults(root, obj);
}

/** Follows 'ref' nodes to the named definition. Throws for a dangling reference (a bug). */
export function resolveSchema(node: SchemaNode): SchemaNode {
  let n = node;
  for (let i = 0; n.kind === 'ref'; i++) {
    if (i > 32) throw new Error(`schema: reference cycle at ${n.ref}`);
    const target = getDefinition(n.ref);
    if (target === undefined) throw new Error(`schema: unknown definition ${n.ref}`);
    n = target;
  }
  return n;
}

/**
 * Type-checks `body` (already JSON.parse'd) against the kind's schema. Returns a new object with
 * unknown fields pruned and, in Warn mode, one `unknown field "<path>"` warning per unknown field.
 * Throws ApiError 400 BadRequest for wrong JSON types (upstream wording, naming the field path),
 * and in Strict mode for unknown fields. JSON null means absent. apiVersion/kind are not checked.
 * Throws a plain Error for a kind without a schema (a wiring bug, not a client error).
 * `trusted`: already-decoded subtrees of `body`, kept as they are (see decodeWithSchema).
 */
export function decodeObject(
  gvk: GroupVersionKind,
  body: unknown,
  fieldValidation: FieldValidation,
  trusted?: ReadonlySet<object>,
  /** Leave a custom resource schema's defaults out (see decodeWithSchema). */
  noDefaults = false,
): { object: KubeObject; warnings: string[] } {
  const name = definitionOfKind(gvk);
  const root = name === undefined ? undefined : getDefinition(name);
  if (name === undefined || root === undefined) throw new Error(`schema: no schema for ${definitionName(gvk)}`);
  let result: { value: Record<string, unknown>; unknown: string[] };
  try {
    result = decodeWithSchema(root, name, body, trusted, noDefaults);
  } catch (e) {
    if (e instanceof DecodeError) throw cannotHandle(gvk, e.message);
    throw e;
  }
  if (fieldValidation === 'Strict' && result.unknown.length > 0) throw strictError(gvk, result.unknown);
  const warnings = fieldValidation === 'Warn' ? result.unknown.map((p) => `unknown field ${JSON.stringify(p)}`) : [];
  const object = result.value as KubeObject;
  const rootNode = resolveSchema(root);
  if (object.metadata === undefined && rootNode.kind === 'object' && rootNode.properties.metadata) object.metadata = {};
  return { object, warnings };
}
