// RFC 6902 JSON patch as the Kubernetes API server applies it (gopkg.in/evanphx/json-patch.v4),
// with its error wording. Upstream quirks kept on purpose because clients meet them on real
// clusters: `replace` of a missing object member adds it, `test` of a missing member against
// null succeeds, and negative array indices count from the end.
//
// Errors: a body that is not an array of operation objects -> 400 BadRequest; more than 10000
// operations -> 413; an operation that does not apply -> 422 Invalid (the message says why).

import { ApiError, badRequest, tooLarge } from '../errors.js';
import { deepClone, deepEqual, goTypeName, hasOwn, isObject, type JsonObject } from './json-value.js';

/** Upstream's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

class OpError extends Error {}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** Go's strconv.Atoi, returning the error text on failure. */
function atoi(s: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

function decodeKey(k: string): string {
  return k.replace(/~1/g, '/').replace(/~0/g, '~');
}

type Container = JsonObject | unknown[];

/** The value of `key` in `c`; undefined when an object lacks it; throws (text) on a bad index. */
function get(c: Container, key: string): unknown {
  if (!Array.isArray(c)) return hasOwn(c, key) ? c[key] : undefined;
  let idx = atoi(key);
  if (typeof idx === 'string') throw new OpError(idx);
  if (idx < 0) {
    if (idx < -c.length) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    idx += c.length;
  }
  if (idx >= c.length) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return c[idx];
}

/** Sets an existing array index or any object member (replace). */
function set(c: Container, key: string, val: unknown): void {
  if (!Array.isArray(c)) {
    c[key] = val;
    return;
  }
  let idx = atoi(key);
  if (typeof idx === 'string') throw new OpError(idx);
  if (idx < 0) {
    if (idx < -c.length) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    idx += c.length;
  }
  c[idx] = val;
}

function add(c: Container, key: string, val: unknown): void {
  if (!Array.isArray(c)) {
    c[key] = val;
    return;
  }
  if (key === '-') {
    c.push(val);
    return;
  }
  const parsed = atoi(key);
  if (typeof parsed === 'string') throw new OpError(`value was not a proper array index: '${key}': ${parsed}`);
  let idx = parsed;
  const size = c.length + 1;
  if (idx >= size) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  if (idx < 0) {
    if (idx < -size) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    idx += size;
  }
  c.splice(idx, 0, val);
}

function remove(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!hasOwn(c, key)) throw new OpError(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete c[key];
    return;
  }
  let idx = atoi(key);
  if (typeof idx === 'string') throw new OpError(idx);
  if (idx >= c.length) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  if (idx < 0) {
    if (idx < -c.length) throw new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
    idx += c.length;
  }
  c.splice(idx, 1);
}

/** The container holding the last token of `path`, and that token; undefined if absent. */
function findObject(doc: Container, path: string): [Container, string] | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: unknown = doc;
  for (let i = 1; i < split.length - 1; i++) {
    let next: unknown;
    try {
      next = get(cur as Container, decodeKey(split[i]!));
    } catch {
      return undefined;
    }
    if (next === null || typeof next !== 'object') return undefined;
    cur = next;
  }
  return [cur as Container, decodeKey(split[split.length - 1]!)];
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function applyOperation(root: { doc: Container }, op: JsonObject): void {
  const kind = typeof op['op'] === 'string' ? op['op'] : 'unknown';
  const path = typeof op['path'] === 'string' ? op['path'] : undefined;
  const from = typeof op['from'] === 'string' ? op['from'] : undefined;
  const value = hasOwn(op, 'value') ? op['value'] : null;
  const missingPath = `operation missing path field: ${MISSING}`;
  const missingFrom = `operation, missing from field: ${MISSING}`;

  switch (kind) {
    case 'add': {
      if (path === undefined) throw new OpError(`add operation failed to decode path: ${MISSING}`);
      const found = findObject(root.doc, path);
      if (!found) throw new OpError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        add(found[0], found[1], deepClone(value));
      } catch (e) {
        throw new OpError(`error in add for path: '${path}': ${errText(e)}`);
      }
      return;
    }
    case 'remove': {
      if (path === undefined) throw new OpError(`remove operation failed to decode path: ${MISSING}`);
      const found = findObject(root.doc, path);
      if (!found) throw new OpError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        remove(found[0], found[1]);
      } catch (e) {
        throw new OpError(`error in remove for path: '${path}': ${errText(e)}`);
      }
      return;
    }
    case 'replace': {
      if (path === undefined) throw new OpError(`replace operation failed to decode path: ${missingPath}`);
      if (path === '') {
        if (value === null || typeof value !== 'object') throw new OpError('replace operation value must be object or array');
        root.doc = deepClone(value) as Container;
        return;
      }
      const found = findObject(root.doc, path);
      if (!found) throw new OpError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      try {
        get(found[0], found[1]);
      } catch {
        throw new OpError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
      }
      set(found[0], found[1], deepClone(value));
      return;
    }
    case 'move': {
      if (from === undefined) throw new OpError(`move operation failed to decode from: ${missingFrom}`);
      const src = findObject(root.doc, from);
      if (!src) throw new OpError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(src[0], src[1]);
        remove(src[0], src[1]);
      } catch (e) {
        throw new OpError(`error in move for path: '${src[1]}': ${errText(e)}`);
      }
      if (path === undefined) throw new OpError(`move operation failed to decode path: ${missingPath}`);
      const dst = findObject(root.doc, path);
      if (!dst) throw new OpError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      try {
        add(dst[0], dst[1], val);
      } catch (e) {
        throw new OpError(`error in move for path: '${path}': ${errText(e)}`);
      }
      return;
    }
    case 'test': {
      if (path === undefined) throw new OpError(`test operation failed to decode path: ${missingPath}`);
      if (path === '') {
        if (deepEqual(root.doc, value)) return;
        throw new OpError(`testing value ${path} failed: test failed`);
      }
      const found = findObject(root.doc, path);
      if (!found) throw new OpError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(found[0], found[1]);
      } catch (e) {
        throw new OpError(`error in test for path: '${path}': ${errText(e)}`);
      }
      if (val === undefined ? value === null : deepEqual(val, value)) return;
      throw new OpError(`testing value ${path} failed: test failed`);
    }
    case 'copy': {
      if (from === undefined) throw new OpError(`copy operation failed to decode from: ${missingFrom}`);
      const src = findObject(root.doc, from);
      if (!src) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(src[0], src[1]);
      } catch (e) {
        throw new OpError(`error in copy for from: '${from}': ${errText(e)}`);
      }
      if (val === undefined) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      if (path === undefined) throw new OpError(`copy operation failed to decode path: ${MISSING}`);
      const dst = findObject(root.doc, path);
      if (!dst) throw new OpError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      try {
        add(dst[0], dst[1], deepClone(val));
      } catch (e) {
        throw new OpError(`error while adding value during copy: ${errText(e)}`);
      }
      return;
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

function goUnmarshalKind(v: unknown): string {
  const t = goTypeName(v);
  if (t === 'float64') return 'number';
  if (t === 'map[string]interface {}') return 'object';
  if (t === '[]interface {}') return 'array';
  return t;
}

/**
 * Applies an RFC 6902 patch (a decoded JSON array of operations) to a JSON document.
 * Never mutates its inputs. Throws ApiError (400 non-array body, 413 too many operations,
 * 422 an operation that does not apply).
 */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw badRequest(
      patch === null || patch === undefined
        ? 'json patch body must be a JSON array of operations'
        : `json: cannot unmarshal ${goUnmarshalKind(patch)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of patch) {
    if (!isObject(op)) throw badRequest(`json: cannot unmarshal ${goUnmarshalKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (patch.length > MAX_OPERATIONS) {
    throw tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`);
  }
  const root = { doc: (target !== null && typeof target === 'object' ? deepClone(target) : {}) as Container };
  for (const op of patch as JsonObject[]) {
    try {
      applyOperation(root, op);
    } catch (e) {
      if (e instanceof OpError) throw new ApiError(422, 'Invalid', e.message, {});
      throw e;
    }
  }
  return root.doc;
}
