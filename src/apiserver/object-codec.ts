// How objects are stored and served.
//
// Invariants:
// - Stored values are JSON with `apiVersion`, `kind`, `metadata` as the first three keys and
//   WITHOUT metadata.resourceVersion: the resourceVersion is the store's modRevision, set on
//   read. This lets reads splice the resourceVersion into the stored string without parsing
//   (a LIST of 10,000 pods never parses them unless a selector or Table needs it).
// - Because JSON.stringify escapes every `"` inside strings, the first occurrence of the raw
//   text `"metadata":{` in a stored value is the top-level metadata key (apiVersion and kind
//   precede it and are strings).

import type { KindDef } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import { StorageError } from '../storage/interface.js';
import { fillSchemaDefaults } from '../api/schema/index.js';

const META = '"metadata":{';

/**
 * Serializes an object for the store (key order and resourceVersion per the invariants).
 * Like Go's encoding/json, `<`, `>`, `&`, U+2028 and U+2029 are written as \uXXXX escapes:
 * kubectl compares bytes it encodes itself with bytes it reads (`rollout undo` reports
 * "skipped rollback" only when a ControllerRevision's data matches byte for byte), and stored
 * values are served verbatim. The characters only occur inside JSON strings, so a plain
 * replacement is exact.
 */
export function encodeForStore(obj: KubeObject): string {
  return goJsonEscape(JSON.stringify(storedObject(obj)));
}

/**
 * `obj` in the stored form's key order, without metadata.resourceVersion: what
 * `JSON.parse(encodeForStore(obj))` gives when `obj` is plain JSON data (no undefined values,
 * no shared subtrees written to later). Its top level and metadata are new objects; everything
 * below them is `obj`'s own.
 */
export function storedObject(obj: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata;
  return { apiVersion, kind, metadata: meta, ...rest } as KubeObject;
}

const goEscaped = /[<>&\u2028\u2029]/g;

/**
 * Escapes JSON text the way Go's encoding/json does (HTML-safe). Text with nothing to escape
 * (nearly every object) is returned as it is: `replace` would copy it even with no match. The
 * check is five `indexOf` scans, ~15x faster than one test of the character class on a 3 KB
 * object (a two-byte character is not even looked for in a one-byte string).
 */
export function goJsonEscape(json: string): string {
  if (json.indexOf('<') < 0 && json.indexOf('>') < 0 && json.indexOf('&') < 0 && json.indexOf('\u2028') < 0 && json.indexOf('\u2029') < 0) return json;
  return json.replace(goEscaped, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A stored value parsed. A value that is not a JSON object was not written by everynode (another
 * tool wrote it into etcd): Internal, a 500 as upstream's "unable to decode" of stored data, never
 * the 400 a client's bad input gets. `rv`, when known, names it in the message.
 */
export function parseStored(stored: string, rv?: number): KubeObject {
  const at = rv !== undefined ? ` at revision ${rv}` : '';
  let obj: unknown;
  try {
    obj = JSON.parse(stored);
  } catch (err) {
    throw new StorageError('Internal', `a stored object${at} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new StorageError('Internal', `a stored object${at} is not a JSON object`);
  return obj as KubeObject;
}

/** The stored JSON with metadata.resourceVersion = rv spliced in. */
export function withResourceVersion(stored: string, rv: number): string {
  const i = stored.indexOf(META);
  if (i < 0) {
    // Not written by encodeForStore (e.g. an empty object): fall back to a parse.
    const obj = parseStored(stored, rv);
    obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rv) };
    return JSON.stringify(obj);
  }
  const at = i + META.length;
  const sep = stored.charCodeAt(at) === 125 /* } */ ? '' : ',';
  return `${stored.slice(0, at)}"resourceVersion":"${rv}"${sep}${stored.slice(at)}`;
}

/** Parses a stored value and sets metadata.resourceVersion. */
export function decodeStored(stored: string, rv: number): KubeObject {
  const obj = parseStored(stored, rv);
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  obj.metadata.resourceVersion = String(rv);
  return obj;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    na++;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (bo[k] !== undefined) nb++;
  return na === nb;
}

/**
 * An object's JSON as the requested version serves it: a custom resource's CRD versions convert
 * with strategy None, so only the top-level apiVersion changes, and the version's schema
 * defaults fill in what the stored object lacks (defaulting from storage, as upstream); a view (KindView) converts the
 * stored form field by field. Other kinds, and Status answers, are returned as they are.
 */
export function asServedVersion(k: Pick<KindDef, 'custom' | 'group' | 'version' | 'kind' | 'view'>, json: string): string {
  if (k.view) {
    const obj = JSON.parse(json) as KubeObject;
    if (obj.kind === 'Status') return json;
    const served = k.view.fromStored(obj);
    return served === obj ? json : goJsonEscape(JSON.stringify(served));
  }
  if (!k.custom) return json;
  const gv = `${k.group}/${k.version}`;
  const obj = JSON.parse(json) as { apiVersion?: unknown; kind?: unknown };
  if (obj.kind === 'Status') return json;
  const defaulted = fillSchemaDefaults({ group: k.group, version: k.version, kind: k.kind }, obj);
  if (obj.apiVersion === gv && !defaulted) return json;
  return JSON.stringify({ ...obj, apiVersion: gv });
}

/** An object as metadata-only clients ask for it (`Accept: ...;as=PartialObjectMetadata`). */
export function partialObjectMetadata(obj: KubeObject, apiVersion: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata } as KubeObject;
}
