// RFC 6902 JSON patch as the Kubernetes API server applies it (gopkg.in/evanphx/json-patch.v4),
// with its error wording. Upstream quirks kept on purpose because clients meet them on real
// clusters: `replace` of a missing object member adds it, `test` of a missing member against
// null succeeds, and negative array indices count from the end.
//
// Errors: a body that is not an array of operation objects -> 400 BadRequest; more than 10000
// operations -> 413; an operation that does not apply -> 422 Invalid (the message says why),
// as do copies of more than 3 MiB in total and a document nested deeper than
// MAX_NESTING_DEPTH (a patch may build one: every copy can double the nesting).

import { ApiError, badRequest, tooLarge } from '../errors.js';
import { MAX_NESTING_DEPTH, deepClone, deepEqual, goTypeName, hasOwn, isObject, nestingDepth, type JsonObject } from './json-value.js';

/** Upstream's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

/**
 * Upstream's JSONPatchMaxCopyBytes (json-patch's AccumulatedCopySizeLimit as the API server
 * sets it): the JSON bytes all `copy` operations of one patch may add together. Without it 26
 * copies doubling a member build gigabytes.
 */
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

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

/**
 * The document being patched, with what the limits need. `depth` is an upper bound of the
 * document's nesting depth, kept without walking it: a value put at a path of n segments
 * nests at most n + its own depth, and a value read at a path of n segments has at most
 * `depth - n` levels. `copied`: the JSON bytes copies have added so far.
 */
interface PatchState {
  doc: Container;
  depth: number;
  copied: number;
}

/** The number of reference tokens of a JSON pointer ('' is the document itself: 0). */
function segments(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) n++;
  return n;
}

/** Records that a value of depth `valueDepth` was put at `path`; throws past the limit. */
function putAt(st: PatchState, path: string, valueDepth: number): void {
  st.depth = Math.max(st.depth, segments(path) + valueDepth);
  if (st.depth > MAX_NESTING_DEPTH) throw new OpError(`the patched document's nesting depth exceeds the limit of ${MAX_NESTING_DEPTH}`);
}

/** Depth bound of the value found at `path` (see PatchState). */
function depthAt(st: PatchState, path: string): number {
  return Math.max(0, st.depth - segments(path));
}

function applyOperation(root: PatchState, op: JsonObject): void {
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
      putAt(root, path, nestingDepth(value));
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
        root.depth = 0;
        putAt(root, path, nestingDepth(value));
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
      putAt(root, path, nestingDepth(value));
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
      putAt(root, path, depthAt(root, from));
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
      // The copy is made through its JSON text, whose size is what the limit counts (as
      // upstream, which copies by marshalling). Nesting is checked first: the text of a value
      // nested too deep is not made at all.
      putAt(root, path, depthAt(root, from));
      const text = JSON.stringify(val);
      root.copied += Buffer.byteLength(text);
      if (root.copied > JSON_PATCH_MAX_COPY_BYTES) {
        throw new OpError(`Unable to complete the copy, the accumulated size increase of copy is ${root.copied}, exceeding the limit ${JSON_PATCH_MAX_COPY_BYTES}`);
      }
      try {
        add(dst[0], dst[1], JSON.parse(text));
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
 * 422 an operation that does not apply, copies beyond JSON_PATCH_MAX_COPY_BYTES, a result
 * nested deeper than MAX_NESTING_DEPTH).
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
  const doc = (target !== null && typeof target === 'object' ? deepClone(target) : {}) as Container;
  const root: PatchState = { doc, depth: nestingDepth(doc, Infinity), copied: 0 };
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
