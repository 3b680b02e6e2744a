// Strategic merge patch (application/strategic-merge-patch+json), server side, following
// apimachinery's pkg/util/strategicpatch (StrategicMergeMapPatch with MergeParallelList and
// IgnoreUnmatchedNulls) and its error wording.
//
// Per-field list semantics come from the kind's SchemaNode tree: an array with
// patchStrategy 'merge' (or 'merge,retainKeys') merges, by patchMergeKey for lists of
// objects and as a set for lists of scalars; every other list is atomic (replaced whole).
// Unknown schema: maps merge, lists are atomic.
//
// Directives: `$patch: replace|delete` in maps and list elements, `$setElementOrder/<list>`,
// `$retainKeys`, `$deleteFromPrimitiveList/<list>`, and JSON null (delete the field).
// Deliberate deviations from upstream, each toward accepting what a client meant:
//  - `$patch: merge` (a map or a list element) means the default merge; upstream rejects it.
//  - Directive keys and nulls never reach the result: values taken whole from the patch
//    (new fields, new list elements, atomic lists) are stripped of them, as a typed decode would.
//    A new field whose value says `$patch: replace` is kept (upstream drops it).
//  - `"<list>": null` next to `$setElementOrder/<list>` deletes the list (upstream errors).
//  - Errors upstream turns into 500 are 400 BadRequest here.
//
// Invariant: inputs are never mutated; the algorithm runs on private deep copies.

import { ApiError, badRequest } from '../errors.js';
import type { SchemaNode } from '../schema/types.js';
import { deepClone, deepEqual, goFormat, goTypeName, hasOwn, isObject, jsonType, type JsonObject, type JsonType } from './json-value.js';

const DIRECTIVE_MARKER = '$patch';
const DELETE_DIRECTIVE = 'delete';
const REPLACE_DIRECTIVE = 'replace';
const MERGE_DIRECTIVE = 'merge';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

const ERR_BAD_JSON_DOC = 'invalid JSON document';
const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';
const ERR_BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';

function invalid422(message: string): ApiError {
  return new ApiError(422, 'Invalid', message, {});
}

function errNoMergeKey(m: JsonObject, key: string): ApiError {
  return badRequest(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
}

function errBadArgType(expectedGoType: string, actual: unknown): ApiError {
  return badRequest(`expected a ${expectedGoType}, but received a ${goTypeName(actual)}`);
}

function errBadPatchType(t: unknown, m: JsonObject): ApiError {
  return badRequest(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);
}

// ---------------------------------------------------------------------------------------------
// Schema lookups.

type Resolve = (n: SchemaNode) => SchemaNode;

interface SliceMeta {
  items: SchemaNode | undefined;
  /** '' (atomic), 'merge' or 'replace'. */
  strategy: string;
  mergeKey: string;
  name: string;
}

class Schema {
  constructor(
    readonly node: SchemaNode | undefined,
    private readonly resolve: Resolve,
  ) {}

  private static deref(node: SchemaNode | undefined, resolve: Resolve): SchemaNode | undefined {
    let n = node;
    for (let i = 0; n !== undefined && n.kind === 'ref'; i++) {
      if (i > 64) return undefined; // a reference cycle: behave as unknown schema
      n = resolve(n);
    }
    return n;
  }

  static of(node: SchemaNode | undefined, resolve: Resolve): Schema {
    return new Schema(Schema.deref(node, resolve), resolve);
  }

  private field(key: string): SchemaNode | undefined {
    const n = this.node;
    if (n === undefined) return undefined;
    if (n.kind === 'object') return hasOwn(n.properties, key) ? Schema.deref(n.properties[key], this.resolve) : undefined;
    if (n.kind === 'map') return Schema.deref(n.values, this.resolve);
    return undefined;
  }

  /** The patch strategy of a struct-valued field ('replace', 'retainKeys' or ''), from its reference. */
  structStrategy(key: string): string {
    const n = this.node;
    const raw = n?.kind === 'object' && hasOwn(n.properties, key) ? n.properties[key] : undefined;
    return raw?.kind === 'ref' ? (raw.patchStrategy ?? '') : '';
  }

  /** Schema of a map/struct-valued field. */
  forStruct(key: string): Schema {
    return new Schema(this.field(key), this.resolve);
  }

  /** Patch metadata of a list-valued field. */
  forSlice(key: string): SliceMeta {
    const n = this.field(key);
    if (n === undefined || n.kind !== 'array') return { items: undefined, strategy: '', mergeKey: '', name: key };
    const strategies = (n.patchStrategy ?? '').split(',').filter((s) => s !== '' && s !== 'retainKeys');
    return {
      items: Schema.deref(n.items, this.resolve),
      strategy: strategies[0] ?? '',
      mergeKey: n.patchMergeKey ?? '',
      name: key,
    };
  }

  itemsSchema(meta: SliceMeta): Schema {
    return new Schema(meta.items, this.resolve);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers over decoded JSON.

function isDirectiveKey(k: string): boolean {
  return (
    k === DIRECTIVE_MARKER ||
    k === RETAIN_KEYS_DIRECTIVE ||
    k.startsWith(`${SET_ELEMENT_ORDER_PREFIX}/`) ||
    k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/`)
  );
}

/**
 * A value taken whole from the patch, cleaned as a typed decode would see it: null members of
 * maps and directive keys are dropped (upstream's discardNullValuesFromPatch/removeDirectives).
 * A map carrying `$patch` is dropped when it is a list element or says `delete`; as a map
 * value, `replace`/`merge` keep the map without the marker. undefined: do not keep the value.
 */
function sanitize(v: unknown, inList = false): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const s = sanitize(x, true);
      if (s !== undefined) out.push(s);
    }
    return out;
  }
  if (isObject(v)) {
    if (hasOwn(v, DIRECTIVE_MARKER)) {
      const d = v[DIRECTIVE_MARKER];
      if (d === DELETE_DIRECTIVE || (inList && d !== MERGE_DIRECTIVE)) return undefined;
    }
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === null || x === undefined || isDirectiveKey(k)) continue;
      const s = sanitize(x);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return v;
}

function setOrDelete(m: JsonObject, k: string, v: unknown): void {
  if (v === undefined) delete m[k];
  else m[k] = v;
}

/** Element kind of the lists; throws on mixed kinds or lists of lists. undefined if empty. */
function sliceElementType(...lists: unknown[][]): JsonType | undefined {
  let prev: JsonType | undefined;
  for (const l of lists) {
    for (const v of l) {
      const t = jsonType(v);
      if (prev === undefined) {
        if (t === 'array') throw invalid422(ERR_NO_LIST_OF_LISTS);
        prev = t;
      } else if (prev !== t) {
        throw badRequest(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  return prev;
}

function mergeKeyOf(v: unknown, mergeKey: string): unknown {
  return isObject(v) ? v[mergeKey] : undefined;
}

/** Position of `val` in `l` (by merge key for maps, by value otherwise), or -1. */
function indexIn(l: unknown[], val: unknown, mergeKey: string, kind: JsonType): number {
  if (kind === 'object') {
    const key = mergeKeyOf(val, mergeKey);
    for (let i = 0; i < l.length; i++) if (mergeKeyOf(l[i], mergeKey) === key) return i;
    return -1;
  }
  return l.indexOf(val);
}

function findByKey(l: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < l.length; i++) {
    const v = l[i];
    if (!isObject(v)) throw badRequest(`value for key ${i} is not a map`);
    if (hasOwn(v, mergeKey) && v[mergeKey] === value) return i;
  }
  return -1;
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const l of lists) {
    for (const v of l) {
      if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
      if (!hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    }
  }
}

/** Stable sort of `toSort` by position in `order`; `$patch: delete` items go last. */
function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: JsonType): unknown[] {
  let items = toSort;
  let toDelete: unknown[] = [];
  if (kind === 'object') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    items = [];
    for (const v of toSort) {
      if ((v as JsonObject)[DIRECTIVE_MARKER] === DELETE_DIRECTIVE) toDelete.push(v);
      else items.push(v);
    }
  } else {
    toDelete = [];
  }
  const keyed = items.map((v, i) => {
    const at = indexIn(order, v, mergeKey, kind);
    return { v, at: at < 0 ? Number.POSITIVE_INFINITY : at, i };
  });
  keyed.sort((a, b) => (a.at === b.at ? a.i - b.i : a.at < b.at ? -1 : 1));
  return [...keyed.map((k) => k.v), ...toDelete];
}

/**
 * Interleaves server-only items (`left`, in server order) into the patch items (`right`, in
 * patch order): a server-only item goes first while it precedes the next patch item in the
 * live order; patch items unknown to the server go before remaining server-only items.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: JsonType): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: JsonType,
): unknown[] {
  const p = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** Splits `list` into items present in `by` and the rest (server-only). */
function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  if (mergeKey === '') {
    const set = new Set(by);
    for (const v of list) (set.has(v) ? inPatch : serverOnly).push(v);
    return [inPatch, serverOnly];
  }
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
    if (!hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function extractKey(s: string, prefix: string, err: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) throw badRequest(err);
  return s.slice(slash + 1);
}

// ---------------------------------------------------------------------------------------------
// The merge.

function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema): JsonObject {
  if (hasOwn(patch, DIRECTIVE_MARKER)) {
    const directive = patch[DIRECTIVE_MARKER];
    if (directive === REPLACE_DIRECTIVE) {
      delete patch[DIRECTIVE_MARKER];
      return sanitize(patch) as JsonObject;
    }
    if (directive === DELETE_DIRECTIVE) return {};
    if (directive !== MERGE_DIRECTIVE) throw errBadPatchType(directive, patch);
    delete patch[DIRECTIVE_MARKER];
  }

  applyRetainKeysDirective(original, patch);
  mergePatchIntoOriginal(original, patch, schema);

  // Regular keys first, then deletion lists, so a deletion wins over an addition.
  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
  ];
  for (const rawKey of ordered) {
    const patchV = patch[rawKey];
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX, ERR_BAD_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === undefined) continue;
    if (patchV === null) {
      delete original[k];
      continue;
    }
    if (!hasOwn(original, k) || jsonType(original[k]) !== jsonType(patchV)) {
      // Absent, or a different JSON type: take the patch value (a deletion list does nothing).
      if (!isDeleteList) setOrDelete(original, k, sanitize(patchV));
      continue;
    }
    const origV = original[k];
    if (isObject(origV)) {
      // A struct whose strategy is 'replace' takes the patch's value whole, as upstream.
      original[k] = schema.structStrategy(k) === REPLACE_DIRECTIVE ? (sanitize(patchV) as JsonObject) : mergeMap(origV, patchV as JsonObject, schema.forStruct(k));
    } else if (Array.isArray(origV)) {
      original[k] = mergeSliceHandler(origV, patchV as unknown[], schema, schema.forSlice(k), isDeleteList);
    } else {
      original[k] = patchV;
    }
  }
  return original;
}

function mergeSliceHandler(original: unknown[], patch: unknown[], parent: Schema, meta: SliceMeta, isDeleteList: boolean): unknown[] {
  if (meta.strategy === MERGE_DIRECTIVE || isDeleteList) return mergeSlice(original, patch, parent, meta, isDeleteList);
  return sanitize(patch) as unknown[];
}

function mergeSlice(original: unknown[], patch: unknown[], parent: Schema, meta: SliceMeta, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType(original, patch)!;
  const mergeKey = meta.mergeKey;

  if (kind !== 'object') {
    if (isDeleteList) {
      const del = new Set(patch);
      return original.filter((v) => !del.has(v));
    }
    const merged = [...new Set([...original, ...patch])];
    const [patchItems, serverOnly] = partition(merged, patch, '');
    return normalizeElementOrder(patchItems, serverOnly, patch, original, '', kind);
  }

  if (mergeKey === '') throw badRequest(`cannot merge lists without merge key for ${meta.name}`);
  const [base, patchItemsIn] = mergeSliceWithSpecialElements(original, patch, mergeKey);
  const merged = mergeSliceWithoutSpecialElements(base.slice(), patchItemsIn, mergeKey, parent.itemsSchema(meta));
  const [patchItems, serverOnly] = partition(merged, patchItemsIn, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patchItemsIn, base, mergeKey, kind);
}

/** Applies `$patch` elements; returns the new base list and the patch without them. */
function mergeSliceWithSpecialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let base = original;
  let replace = false;
  for (const v of patch) {
    const m = v as JsonObject;
    if (!hasOwn(m, DIRECTIVE_MARKER)) {
      plain.push(m);
      continue;
    }
    const directive = m[DIRECTIVE_MARKER];
    if (directive === DELETE_DIRECTIVE) {
      if (!hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      const value = m[mergeKey];
      base = base.filter((e, i) => {
        if (!isObject(e)) throw badRequest(`value for key ${i} is not a map`);
        return !(hasOwn(e, mergeKey) && e[mergeKey] === value);
      });
    } else if (directive === REPLACE_DIRECTIVE) {
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      const rest = { ...m };
      delete rest[DIRECTIVE_MARKER];
      if (hasOwn(rest, mergeKey)) plain.push(rest);
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  if (replace) return [plain.map((x) => sanitize(x, true)).filter((x) => x !== undefined), []];
  return [base, plain];
}

function mergeSliceWithoutSpecialElements(original: unknown[], patch: unknown[], mergeKey: string, items: Schema): unknown[] {
  for (const v of patch) {
    const m = v as JsonObject;
    if (!hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const at = findByKey(original, mergeKey, m[mergeKey]);
    if (at >= 0) original[at] = mergeMap(original[at] as JsonObject, m, items);
    else {
      const s = sanitize(m);
      if (s !== undefined) original.push(s);
    }
  }
  return original;
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const list = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(list)) throw badRequest(ERR_BAD_RETAIN_KEYS);
  const retain = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!retain.has(k)) throw badRequest(ERR_BAD_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!retain.has(k)) delete original[k];
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return deepEqual(left, right);
  if (!isObject(left)) throw errBadArgType('map[string]interface {}', left);
  if (!isObject(right)) throw errBadArgType('map[string]interface {}', right);
  if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** The patch list's items (deletions aside) must appear in the `$setElementOrder` list, in order. */
function validatePatchWithSetOrderList(patchList: unknown[], setOrder: unknown[], mergeKey: string): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey !== '') {
    nonDelete = [];
    for (const v of patchList) {
      if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
      if (v[DIRECTIVE_MARKER] !== DELETE_DIRECTIVE) nonDelete.push(v);
    }
  }
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrder.length) {
    const item = nonDelete[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE_MARKER)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrder[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrder.length) {
    throw badRequest(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFormat(setOrder)}\n`);
  }
}

/**
 * Processes `$setElementOrder/<list>` together with `<list>`: merges the list, then orders it
 * ($setElementOrder > patch order > live order). Handled keys are removed from `patch`.
 */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, schema: Schema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setOrder)) throw errBadArgType('[]interface {}', setOrder);
    const listKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX, ERR_BAD_SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, listKey) && original[listKey] !== undefined;
    const foundPatch = hasOwn(patch, listKey) && patch[listKey] !== undefined;
    if (foundPatch && patch[listKey] === null) continue; // the main loop deletes the list
    const originalList = foundOriginal ? original[listKey] : [];
    const patchList = foundPatch ? patch[listKey] : [];
    if (!Array.isArray(originalList)) throw errBadArgType('[]interface {}', originalList);
    if (!Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);
    const meta = schema.forSlice(listKey);
    validatePatchWithSetOrderList(patchList, setOrder, meta.mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = sanitize(patchList) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, schema, meta, false);
    else continue;
    delete patch[listKey];

    const kind = sliceElementType(originalList, patchList);
    if (kind === undefined || merged.length === 0) {
      original[listKey] = merged;
      continue;
    }
    const byKey = kind === 'object' ? meta.mergeKey : '';
    if (kind === 'object' && byKey === '') {
      original[listKey] = merged; // an atomic list of maps: nothing to order by
      continue;
    }
    const [patchItems, serverOnly] = partition(merged, setOrder, byKey);
    original[listKey] = normalizeElementOrder(patchItems, serverOnly, setOrder, originalList, byKey, kind);
  }
}

/**
 * Applies a strategic merge patch to `target` using the kind's schema (`ref` nodes resolved
 * through `resolve`). The patch must be a JSON object (else 400 `invalid JSON document`).
 * Never mutates its inputs. Throws ApiError 400 (malformed directives, missing merge keys,
 * mixed list element types) or 422 (lists of lists).
 */
export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
  schema: SchemaNode | undefined,
  resolve: (n: SchemaNode) => SchemaNode,
): unknown {
  if (!isObject(patch)) throw badRequest(ERR_BAD_JSON_DOC);
  const original = isObject(target) ? deepClone(target) : {};
  return mergeMap(original, deepClone(patch), Schema.of(schema, resolve));
}
