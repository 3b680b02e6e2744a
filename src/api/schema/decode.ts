// Schema decoding of request bodies: what the API server's JSON decoding into Go structs does.
//
// Contract (mirrors k8s.io/apimachinery's JSON serializer on top of sigs.k8s.io/json):
// - A JSON type that does not fit the field's Go type is an error naming the innermost struct
//   and the dotted JSON field path from the root (no array indices, no map keys), e.g.
//   `json: cannot unmarshal bool into Go struct field ObjectMeta.spec.template.metadata.labels of type string`.
//   The first such error in document order wins; decoding is not partial.
// - Quantity, IntOrString, Time and MicroTime have their own unmarshalers upstream; their errors
//   are reproduced as those unmarshalers word them.
// - Unknown fields are dropped from the result. Their paths (with [i] indices) are reported as
//   warnings (Warn), as one strict decoding error (Strict), or ignored (Ignore).
// - JSON null means "absent": null fields are dropped; null elements of lists and maps become
//   the element type's zero value, as Go leaves them.
// - Values under 'any' nodes (RawExtension, FieldsV1) are kept as given; one that upstream
//   decodes into a Go type (decodeAs: a CRD's openAPIV3Schema) has that type's type errors.
// - Integers must be safe JavaScript integers (|n| <= 2^53-1): an int64 beyond that could not be
//   kept exactly, so it is refused as one beyond int64 is, rather than silently rounded.
// - What JSON.parse loses is recovered from the request's text when the caller has it
//   (scanJsonText, jsonTextDetails): duplicate fields (strict decoding errors upstream) and
//   number literals an integer field refuses although they parse to an integer (`1.0`, `1e-400`,
//   `9007199254740993`: Go's strconv.ParseInt takes only integer syntax in range), reported
//   with the literal as written (checkNumberLiterals).

import { ApiError } from '../errors.js';
import { inexactIntegerMessage, isInexactInt64, writesBackExactly } from '../../util/numbers.js';
import { formatQuantity, parseQuantity } from '../validation/quantity.js';
import type { GroupVersionKind, SchemaNode } from './types.js';
import { fillDefaults } from './defaults.js';
import { jsonSchemaPropsDecodeError } from './json-schema-props.js';
import { definitionOfKind, getDefinition } from './registry.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

interface Ctx {
  unknown: string[];
  /** Composite values known to be decoded already (see decodeWithSchema); returned as is. */
  trusted: ReadonlySet<object> | undefined;
  /** Leave a custom resource schema's defaults out (an apply configuration: defaults are nobody's fields). */
  noDefaults?: boolean;
}

/** An error raised while decoding; rendered into the upstream sentence by decodeWithSchema. */
export class DecodeError extends Error {}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number'
}

/** Go's UnmarshalTypeError.Value: "number 1.5" for numbers that do not fit an integer type. */
function valueDesc(v: unknown, withNumber: boolean): string {
  const k = jsonKind(v);
  if (k === 'number' && withNumber) return `number ${String(v)}`;
  return k;
}

/** Last segment of a definition name: the Go struct name. */
function shortName(def: string): string {
  const i = def.lastIndexOf('.');
  return i < 0 ? def : def.slice(i + 1);
}

/** The Go type of a node as reflect would print it (named types approximated by package v1). */
export function goTypeName(node: SchemaNode): string {
  switch (node.kind) {
    case 'ref': {
      const target = getDefinition(node.ref);
      const name = shortName(node.ref);
      if (node.ref.startsWith('io.k8s.apimachinery.pkg.api.resource.')) return `resource.${name}`;
      if (node.ref.startsWith('io.k8s.apimachinery.pkg.util.intstr.')) return `intstr.${name}`;
      if (node.ref.startsWith('io.k8s.apimachinery.pkg.runtime.')) return `runtime.${name}`;
      if (target && target.kind === 'scalar' && !node.ref.startsWith('io.k8s.apimachinery.pkg.apis.meta.')) return goTypeName(target);
      return `v1.${name}`;
    }
    case 'scalar':
      if (node.type === 'string') return node.format === 'byte' ? '[]uint8' : 'string';
      if (node.type === 'boolean') return 'bool';
      if (node.type === 'number') return 'float64';
      return node.format === 'int32' ? 'int32' : 'int64';
    case 'int-or-string':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'any':
      return 'interface {}';
    case 'object':
      return 'map[string]interface {}';
    case 'map':
      return `map[string]${goTypeName(node.values)}`;
    case 'array':
      return `[]${goTypeName(node.items)}`;
  }
}

// ---- custom unmarshalers

const QUANTITY_FORMAT = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIXES = new Set(['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);

/** resource.ParseQuantity's acceptance and error wording. */
const QUANTITY_FORMAT_ERROR = 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'';

export function checkQuantity(s: string): string | undefined {
  const m = QUANTITY_FORMAT.exec(s);
  if (!m) return QUANTITY_FORMAT_ERROR;
  const num = m[1] ?? '';
  const suffix = m[2] ?? '';
  // Upstream's scanner reads digits, one '.', digits; anything else ends in a format error.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(num)) return QUANTITY_FORMAT_ERROR;
  if (!QUANTITY_SUFFIXES.has(suffix) && !/^[eE][-+]?\d+$/.test(suffix)) return 'unable to parse quantity\'s suffix';
  return undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A metav1.Time (`micro` false) or MicroTime as upstream stores and answers it: parsed from
 * RFC 3339 (any offset, any fraction), written back in UTC with whole seconds (Time) or exactly
 * six fractional digits (MicroTime), truncated, as Go's MarshalJSON writes them. So a client's
 * `toISOString()` milliseconds come back as upstream answers them, and a MicroTime never
 * reaches storage in a form Go clients cannot parse. Returns `{ error }` for what upstream's
 * decoder refuses.
 */
export function canonicalTime(s: string, micro: boolean): { value: string } | { error: string } {
  const memo = micro ? microTimes : times;
  let t = memo.get(s);
  if (t === undefined) {
    t = Object.freeze(parseTime(s, micro));
    // Bounded: emptied when full (times repeat within a burst of writes, not across hours).
    if (memo.size >= TIME_MEMO_MAX) memo.clear();
    memo.set(s, t);
  }
  return t;
}

/**
 * The answers of canonicalTime for the times seen last, per precision: an object's times
 * (creation, conditions, container starts) are decoded again on each of its writes, and the
 * objects written together share their times, so most calls are repeats. The answer is a pure
 * function of the text; the cached objects are frozen.
 */
const times = new Map<string, Readonly<{ value: string } | { error: string }>>();
const microTimes = new Map<string, Readonly<{ value: string } | { error: string }>>();
const TIME_MEMO_MAX = 4096;

function parseTime(s: string, micro: boolean): { value: string } | { error: string } {
  const m = RFC3339.exec(s);
  const layout = micro ? '2006-01-02T15:04:05.000000Z07:00' : '2006-01-02T15:04:05Z07:00';
  if (!m) return { error: `parsing time ${JSON.stringify(s)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(s)} as "2006"` };
  const [year, month, day, hour, min, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return { error: `parsing time ${JSON.stringify(s)}: month out of range` };
  if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) return { error: `parsing time ${JSON.stringify(s)}: day out of range` };
  const fraction = m[7] ?? '';
  const zone = m[8]!;
  // Already canonical (every time the cluster's own parts write): as it is.
  if ((zone === 'Z' || zone === 'z') && (micro ? fraction.length === 7 : fraction === '')) return { value: zone === 'Z' ? s : `${s.slice(0, -1)}Z` };
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  if (zone !== 'Z' && zone !== 'z') {
    const offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    d.setTime(d.getTime() - offsetMin * 60_000);
  }
  const base = d.toISOString().slice(0, 19);
  if (!micro) return { value: `${base}Z` };
  return { value: `${base}.${fraction.slice(1, 7).padEnd(6, '0')}Z` };
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

/** encoding/base64.StdEncoding acceptance (newlines ignored), with its error wording. */
function checkBase64(s: string): string | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  const body = clean.replace(/=+$/, '');
  const pad = clean.length - body.length;
  for (let i = 0; i < body.length; i++) {
    if (!BASE64.test(body[i]!)) return `illegal base64 data at input byte ${i}`;
  }
  if (clean.length % 4 !== 0 || pad > 2 || (pad > 0 && body.length % 4 === 1)) {
    return `illegal base64 data at input byte ${Math.max(0, body.length - (body.length % 4))}`;
  }
  return undefined;
}

// ---- the walk

/**
 * Where a value sits, as a chain of parent links: built per composite value during the walk and
 * turned into paths only when an error or an unknown field needs one (a decode allocates no
 * path strings or arrays for the fields it accepts).
 */
interface Where {
  /** Innermost Go struct name containing the current field ('' at the root value). */
  readonly struct: string;
  readonly parent: Where | undefined;
  /** A JSON field name (`field`), or an array index / map key (shown as `[seg]`). */
  readonly seg: string;
  readonly field: boolean;
}

/** JSON field names from the root (Go's error path: no indices, no map keys). */
function fieldsOf(at: Where): string[] {
  const out: string[] = [];
  for (let w: Where | undefined = at; w?.parent; w = w.parent) if (w.field) out.push(w.seg);
  return out.reverse();
}

/** Path with indices and map keys, for unknown-field messages (`spec.containers[0].foo`). */
function pathOf(at: Where): string {
  if (!at.parent) return '';
  const up = pathOf(at.parent);
  if (!at.field) return `${up}[${at.seg}]`;
  return up ? `${up}.${at.seg}` : at.seg;
}

function typeError(v: unknown, node: SchemaNode, at: Where, withNumber = false): DecodeError {
  const goType = goTypeName(node);
  const fields = fieldsOf(at);
  if (fields.length === 0) return new DecodeError(`json: cannot unmarshal ${valueDesc(v, withNumber)} into Go value of type ${goType}`);
  return new DecodeError(
    `json: cannot unmarshal ${valueDesc(v, withNumber)} into Go struct field ${at.struct}.${fields.join('.')} of type ${goType}`,
  );
}

function zeroValue(node: SchemaNode): unknown {
  const n = resolve(node);
  switch (n.kind) {
    case 'scalar':
      return n.type === 'string' ? '' : n.type === 'boolean' ? false : 0;
    case 'object':
      return {};
    case 'int-or-string':
      return 0;
    case 'quantity':
      return '0';
    default:
      return null;
  }
}

function resolve(node: SchemaNode): SchemaNode {
  let n = node;
  for (let i = 0; n.kind === 'ref' && i < 32; i++) {
    const target = getDefinition(n.ref);
    if (!target) throw new Error(`schema: unknown definition ${n.ref}`);
    n = target;
  }
  return n;
}

/**
 * A scalar field whose value already has its type: decodeValue would return it as it is. Tested
 * before the walk descends, so the plain strings, numbers and booleans that make up most of an
 * object cost no `Where` and no call (decodeValue's scalar case, without its errors).
 */
function fitsScalar(node: SchemaNode, v: unknown): boolean {
  if (node.kind !== 'scalar') return false;
  switch (node.type) {
    case 'string':
      return typeof v === 'string' && node.format !== 'byte';
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return typeof v === 'number' && integerFits(node.format, v);
  }
  return false;
}

/**
 * An integer field's value: an integer within int32 for an int32 field; for any other, one
 * within int64 that JSON.stringify writes back as itself (util/numbers.ts: all up to 2^53, few
 * beyond).
 */
function integerFits(format: string | undefined, v: number): boolean {
  if (format === 'int32') return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
  return writesBackExactly(v) && v >= -(2 ** 63) && v < 2 ** 63;
}

function decodeValue(node: SchemaNode, v: unknown, at: Where, ctx: Ctx): unknown {
  let structName = at.struct;
  let n = node;
  if (n.kind === 'ref') {
    const name = n.ref;
    n = resolve(n);
    if (n.kind === 'object') structName = shortName(name);
    if (name.endsWith('meta.v1.Time') || name.endsWith('meta.v1.MicroTime')) {
      if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${valueDesc(v, false)} into Go value of type string`);
      const t = canonicalTime(v, name.endsWith('MicroTime'));
      if ('error' in t) throw new DecodeError(t.error);
      return t.value;
    }
  }
  switch (n.kind) {
    case 'ref':
      throw new Error('unreachable: unresolved ref');
    case 'any':
      if (n.decodeAs === 'JSONSchemaProps') {
        const error = jsonSchemaPropsDecodeError(v, at.struct, fieldsOf(at));
        if (error !== undefined) throw new DecodeError(error);
      }
      return v;
    case 'scalar':
      switch (n.type) {
        case 'string':
          if (typeof v !== 'string') throw typeError(v, node, at);
          if (n.format === 'byte') {
            const err = checkBase64(v);
            if (err) throw new DecodeError(err);
          }
          return v;
        case 'boolean':
          if (typeof v !== 'boolean') throw typeError(v, node, at);
          return v;
        case 'number':
          if (typeof v !== 'number') throw typeError(v, node, at);
          return v;
        case 'integer': {
          if (typeof v !== 'number') throw typeError(v, node, at);
          const fits = integerFits(n.format, v);
          // Within int64 (upstream takes it), but not a number this server writes back as itself.
          if (!fits && n.format !== 'int32' && Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) throw new DecodeError(inexactIntegerMessage(BigInt(v).toString(), pathOf(at)));
          if (!fits) throw typeError(v, node, at, true);
          return v;
        }
      }
      break;
    case 'int-or-string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) return v;
      throw new DecodeError(`json: cannot unmarshal ${valueDesc(v, true)} into Go value of type int32`);
    case 'quantity': {
      // Upstream parses the raw JSON text of non-strings, and a Quantity is stored and served in
      // its canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`), so an equivalent rewrite of a
      // manifest changes nothing (no new template hash, no rollout).
      const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
      const err = checkQuantity(text.trim());
      if (err) throw new DecodeError(err);
      const q = parseQuantity(text.trim());
      return q ? formatQuantity(q) : text.trim();
    }
    case 'map': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      const out: Record<string, unknown> = {};
      const src = v as Record<string, unknown>;
      // Keys, not entries: no [key, value] pair allocated per field of every decoded object.
      for (const k of Object.keys(src)) {
        const item = src[k];
        if (item === null) out[k] = n.values.nullable ? null : zeroValue(n.values);
        else if (fitsScalar(n.values, item)) out[k] = item;
        else out[k] = decodeValue(n.values, item, { struct: structName, parent: at, seg: k, field: false }, ctx);
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item === null) out[i] = n.items.nullable ? null : zeroValue(n.items);
        else if (fitsScalar(n.items, item)) out[i] = item;
        else out[i] = decodeValue(n.items, item, { struct: structName, parent: at, seg: String(i), field: false }, ctx);
      }
      return out;
    }
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      const out: Record<string, unknown> = {};
      const src = v as Record<string, unknown>;
      for (const k of Object.keys(src)) {
        const item = src[k];
        const prop = Object.prototype.hasOwnProperty.call(n.properties, k) ? n.properties[k] : undefined;
        if (!prop) {
          // A custom resource's x-kubernetes-preserve-unknown-fields keeps the field as sent.
          if (n.preserveUnknown) out[k] = item;
          else ctx.unknown.push(pathOf({ struct: structName, parent: at, seg: k, field: true }));
          continue;
        }
        if (item === null) {
          // A custom resource's nullable field keeps its null (prunenulls drops the others').
          if (prop.nullable) out[k] = null;
          continue;
        }
        out[k] = fitsScalar(prop, item) ? item : decodeValue(prop, item, { struct: structName, parent: at, seg: k, field: true }, ctx);
      }
      // A default is defaulted in turn (an object default gets its properties' defaults), as
      // upstream's single defaulting pass does before the object is stored.
      if (n.defaults && !ctx.noDefaults) {
        for (const [k, d] of Object.entries(n.defaults)) {
          if (k in out) continue;
          out[k] = structuredClone(d);
          const prop = n.properties[k];
          if (prop) fillDefaults(prop, out[k]);
        }
      }
      return out;
    }
  }
  throw new Error('unreachable');
}

/**
 * Decodes `body` against `root` (an object schema). Throws DecodeError for type errors; returns
 * the pruned value and the unknown field paths in document order.
 *
 * `trusted`: composite values inside `body` that are the output of an earlier decode against
 * the same schema (subtrees of a stored object that a patch left alone). They are returned as
 * is, uncopied, so the result shares them with `body`.
 *
 * `noDefaults`: a custom resource schema's defaults are not filled in (an apply configuration,
 * whose fields are its manager's: a default is nobody's).
 */
export function decodeWithSchema(
  root: SchemaNode,
  rootName: string,
  body: unknown,
  trusted?: ReadonlySet<object>,
  noDefaults = false,
): { value: Record<string, unknown>; unknown: string[] } {
  const ctx: Ctx = { unknown: [], trusted, noDefaults };
  const at: Where = { struct: shortName(rootName), parent: undefined, seg: '', field: false };
  const n = resolve(root);
  if (n.kind !== 'object') throw new Error(`schema: root of ${rootName} is not an object`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DecodeError(`json: cannot unmarshal ${valueDesc(body, false)} into Go value of type v1.${shortName(rootName)}`);
  }
  // apiVersion and kind are the serializer's business (GVK detection), not the schema's.
  const src = body as Record<string, unknown>;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) if (k !== 'apiVersion' && k !== 'kind') rest[k] = v;
  const decoded = decodeValue(root, rest, at, ctx) as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  if ('apiVersion' in src && src.apiVersion !== null) value.apiVersion = src.apiVersion;
  if ('kind' in src && src.kind !== null) value.kind = src.kind;
  Object.assign(value, decoded);
  return { value, unknown: ctx.unknown };
}

/** Upstream's wrapper sentence: `DaemonSet in version "v1" cannot be handled as a DaemonSet: <detail>`. */
export function cannotHandle(gvk: GroupVersionKind, detail: string): ApiError {
  return new ApiError(400, 'BadRequest', `${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${detail}`);
}

export function strictError(gvk: GroupVersionKind, unknown: string[]): ApiError {
  return cannotHandle(gvk, strictDecodingMessage(unknown.map((p) => `unknown field ${JSON.stringify(p)}`)));
}

/** runtime.StrictDecodingError's text: `strict decoding error: <error>, <error>`, each `unknown field "<path>"` or `duplicate field "<path>"`. */
export function strictDecodingMessage(errors: readonly string[]): string {
  return `strict decoding error: ${errors.join(', ')}`;
}

// ---- what JSON.parse does not tell

/** A number literal of a JSON text, where it is (object keys and array indices from the root) and as written. */
export interface NumberLiteral {
  path: (string | number)[];
  text: string;
}

/** What one fast pass over a JSON text finds (see scanJsonText). */
export interface JsonTextFacts {
  /** The deepest nesting of arrays and objects (`{}` is 1). */
  depth: number;
  /** Object members in the text, duplicates included (JSON.parse keeps the last of each). */
  members: number;
  /** Some number literal has a fraction or an exponent, or 16 or more digits: it may not be what JSON.parse made of it. */
  inexactNumbers: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index of the quote closing the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return text.length;
    let k = j - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((j - k) % 2 === 1) return j; // an even number of backslashes before it
  }
}

/** The end of the number literal starting at `i`, and whether it is inexact (see JsonTextFacts). */
function numberEnd(text: string, i: number): { end: number; inexact: boolean } {
  let j = i;
  let digits = 0;
  let inexact = false;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e || c === 0x65 || c === 0x45) inexact = true; // . e E
    else if (c !== 0x2d && c !== 0x2b) break; // - +
  }
  return { end: j, inexact: inexact || digits >= 16 };
}

/**
 * One pass over a JSON text that JSON.parse has accepted: its nesting depth, its object members
 * and whether it has number literals worth a closer look. No allocation per token: strings
 * are skipped with indexOf. Meant for every request body; the closer look (jsonTextDetails)
 * only when this finds a reason.
 */
export function scanJsonText(text: string): JsonTextFacts {
  let depth = 0;
  let max = 0;
  let members = 0;
  let inexactNumbers = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth; // { [
    } else if (c === 0x7d || c === 0x5d) depth--; // } ]
    else if (c === 0x3a) members++; // ':' only ever follows a member name
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const num = numberEnd(text, i);
      if (num.inexact) inexactNumbers = true;
      i = num.end - 1;
    }
  }
  return { depth: max, members, inexactNumbers };
}

/** The number of object members of a decoded JSON value (iterative). */
export function countMembers(v: unknown): number {
  let count = 0;
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (typeof cur !== 'object' || cur === null) continue;
    if (Array.isArray(cur)) {
      for (const x of cur) if (typeof x === 'object' && x !== null) stack.push(x);
      continue;
    }
    for (const k in cur) {
      count++;
      const x = (cur as Record<string, unknown>)[k];
      if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
  return count;
}

/** At most this many duplicate fields are reported (upstream keeps at most 100 strict errors). */
const MAX_DUPLICATES = 100;

interface Frame {
  /** Member names seen (objects); undefined for arrays. */
  readonly names: Set<string> | undefined;
  /** The current member name (objects) or element index (arrays). */
  at: string | number;
  /** Objects: the next string is a member name. */
  expectName: boolean;
}

/** Upstream's strict error path: member names joined by '.', indices as `[i]`. */
function strictPath(frames: readonly Frame[], upTo: number, last: string): string {
  let out = '';
  for (let f = 0; f < upTo; f++) {
    const at = frames[f]!.at;
    if (typeof at === 'number') out += `[${at}]`;
    else out += out === '' ? at : `.${at}`;
  }
  return out === '' ? last : `${out}.${last}`;
}

/** What jsonTextDetails finds; offsets are positions in the text (document order). */
export interface JsonTextDetails {
  /** Duplicate member paths, each once, in document order. */
  duplicates: string[];
  /** Where each of `duplicates` repeats (its second occurrence), parallel to it. */
  duplicateAt: number[];
  /** Where each member path first occurs, for ordering unknown fields among the duplicates. */
  memberAt: Map<string, number>;
  literals: NumberLiteral[];
}

/**
 * The closer look at a JSON text that JSON.parse has accepted (iterative; the text must be
 * nested no deeper than the caller allows): the paths of duplicate member names in upstream's
 * strict-decoding form (`metadata.name`, `spec.containers[0].name`, `[0].path`), each once,
 * in document order, and the number literals that JSON.parse may have changed (fraction,
 * exponent, or not a safe integer) with their paths; and where each member path first occurs.
 *
 * Unlike upstream, duplicates are reported everywhere, also under fields the schema does not
 * know or keeps raw (RawExtension): there a second value of a name is as lost as anywhere.
 */

export function jsonTextDetails(text: string): JsonTextDetails {
  const duplicates: string[] = [];
  const duplicateAt: number[] = [];
  const memberAt = new Map<string, number>();
  const seen = new Set<string>();
  const literals: NumberLiteral[] = [];
  const frames: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const top = frames[frames.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.names && top.expectName) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.names.has(name)) {
          const path = strictPath(frames, frames.length - 1, name);
          if (!seen.has(path) && duplicates.length < MAX_DUPLICATES) {
            seen.add(path);
            duplicates.push(path);
            duplicateAt.push(i);
          }
        } else {
          top.names.add(name);
          const path = strictPath(frames, frames.length - 1, name);
          if (!memberAt.has(path)) memberAt.set(path, i);
        }
        top.at = name;
        top.expectName = false;
      }
      i = end;
    } else if (c === 0x7b) frames.push({ names: new Set(), at: '', expectName: true });
    else if (c === 0x5b) frames.push({ names: undefined, at: 0, expectName: false });
    else if (c === 0x7d || c === 0x5d) frames.pop();
    else if (c === 0x2c) {
      // ','
      if (top?.names) top.expectName = true;
      else if (top) top.at = (top.at as number) + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const num = numberEnd(text, i);
      if (num.inexact) {
        const literal = text.slice(i, num.end);
        if (/[.eE]/.test(literal) || !Number.isSafeInteger(Number(literal))) literals.push({ path: frames.map((f) => f.at), text: literal });
      }
      i = num.end - 1;
    }
  }
  return { duplicates, duplicateAt, memberAt, literals };
}

/**
 * The decode error for the first of `literals` (in document order) that cannot be kept as
 * written, or none:
 * - where the kind's schema wants an integer (or an IntOrString), upstream's: Go parses integer
 *   fields with strconv.ParseInt, which refuses a fraction or an exponent (`1.0`, `1e-400`) and
 *   numbers beyond int64 (`json: cannot unmarshal number 1e-400 into Go struct field
 *   ControllerRevision.revision of type int64`, wrapped as every decode error);
 * - an integer within int64 that a JavaScript number does not hold exactly (beyond 2^53, such
 *   as 9007199254740993), in an integer field or where any value is kept (a RawExtension, a
 *   custom resource's preserved fields): upstream keeps it exactly; this server would store
 *   another number, so it refuses it rather than lose it (util/numbers.ts). In an int32 field
 *   it is upstream's error, as any number beyond int32.
 * Fractions and exponents where any value is kept, float fields and unknown (pruned) fields are
 * fine: upstream reads those as float64 too. So is a whole one (`3.0`, `1e0`) in an integer or
 * int-or-string field of a custom resource (`unstructured`), which upstream decodes without Go
 * types.
 */
export function checkNumberLiterals(gvk: GroupVersionKind, literals: readonly NumberLiteral[], unstructured = false): void {
  if (literals.length === 0) return;
  const name = definitionOfKind(gvk);
  const root = name === undefined ? undefined : getDefinition(name);
  if (name === undefined || root === undefined) return; // the decoder reports a kind without a schema
  for (const lit of literals) {
    const err = numberLiteralError(root, name, lit, unstructured);
    if (err) throw cannotHandle(gvk, err);
  }
}

/** How a number literal reads: an integer within int64 held exactly, one held inexactly, or neither (a fraction, an exponent, beyond int64). */
function integerLiteralKind(text: string): 'exact' | 'inexact' | 'other' {
  if (/[.eE]/.test(text)) return 'other';
  const big = BigInt(text);
  if (isInexactInt64(big)) return 'inexact';
  return big >= -(2n ** 63n) && big < 2n ** 63n ? 'exact' : 'other';
}

/** A literal's path as the decoder's messages write one (`spec.items[0].id`). */
function literalPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function numberLiteralError(root: SchemaNode, rootName: string, lit: NumberLiteral, unstructured: boolean): string | undefined {
  const kind = integerLiteralKind(lit.text);
  const lost = (): string | undefined => (kind === 'inexact' ? inexactIntegerMessage(lit.text, literalPath(lit.path)) : undefined);
  let node = root;
  let at: Where = { struct: shortName(rootName), parent: undefined, seg: '', field: false };
  for (const seg of lit.path) {
    let structName = at.struct;
    let n = node;
    if (n.kind === 'ref') {
      const ref = n.ref;
      n = resolve(n);
      if (n.kind === 'object') structName = shortName(ref);
    }
    switch (n.kind) {
      case 'object': {
        if (typeof seg !== 'string' || !Object.prototype.hasOwnProperty.call(n.properties, seg)) return n.preserveUnknown ? lost() : undefined; // unknown: kept as sent, or pruned
        node = n.properties[seg]!;
        at = { struct: structName, parent: at, seg, field: true };
        break;
      }
      case 'map':
        node = n.values;
        at = { struct: structName, parent: at, seg: String(seg), field: false };
        break;
      case 'array':
        node = n.items;
        at = { struct: structName, parent: at, seg: String(seg), field: false };
        break;
      case 'any':
        return lost(); // kept as sent
      default:
        return undefined; // a scalar here is the decoder's type error
    }
  }
  const target = resolve(node);
  if (target.kind === 'any') return lost();
  if (target.kind === 'scalar' && target.type === 'integer') {
    if (kind === 'exact') return undefined; // written back as itself: the decoder checks its range
    // A custom resource is decoded unstructured: `3.0` or `1e0` is a float64 that its schema's
    // integer type takes when it is whole (kube-openapi's isFloatInt), written back as `3`.
    if (unstructured && kind === 'other' && Number.isSafeInteger(Number(lit.text))) return undefined;
    if (kind === 'inexact' && target.format !== 'int32') return lost();
    const fields = fieldsOf(at);
    if (fields.length === 0) return `json: cannot unmarshal number ${lit.text} into Go value of type ${goTypeName(node)}`;
    return `json: cannot unmarshal number ${lit.text} into Go struct field ${at.struct}.${fields.join('.')} of type ${goTypeName(node)}`;
  }
  if (target.kind === 'int-or-string') {
    if (unstructured && kind === 'other' && Number.isSafeInteger(Number(lit.text))) return undefined; // a whole float64, as above
    return kind === 'other' || kind === 'inexact' ? `json: cannot unmarshal number ${lit.text} into Go value of type int32` : undefined;
  }
  return undefined;
}
