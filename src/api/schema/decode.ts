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
// - Values under 'any' nodes (RawExtension, FieldsV1) are kept as given.

import { ApiError } from '../errors.js';
import type { GroupVersionKind, SchemaNode } from './types.js';
import { getDefinition } from './registry.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

interface Ctx {
  unknown: string[];
  /** Composite values known to be decoded already (see decodeWithSchema); returned as is. */
  trusted: ReadonlySet<object> | undefined;
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

function checkTime(s: string, micro: boolean): string | undefined {
  const m = RFC3339.exec(s);
  const layout = micro ? '2006-01-02T15:04:05.000000Z07:00' : '2006-01-02T15:04:05Z07:00';
  if (!m) return `parsing time ${JSON.stringify(s)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(s)} as "2006"`;
  const [month, day, hour, min, sec] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12) return `parsing time ${JSON.stringify(s)}: month out of range`;
  if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) return `parsing time ${JSON.stringify(s)}: day out of range`;
  return undefined;
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

function decodeValue(node: SchemaNode, v: unknown, at: Where, ctx: Ctx): unknown {
  let structName = at.struct;
  let n = node;
  if (n.kind === 'ref') {
    const name = n.ref;
    n = resolve(n);
    if (n.kind === 'object') structName = shortName(name);
    if (name.endsWith('meta.v1.Time') || name.endsWith('meta.v1.MicroTime')) {
      if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${valueDesc(v, false)} into Go value of type string`);
      const err = checkTime(v, name.endsWith('MicroTime'));
      if (err) throw new DecodeError(err);
      return v;
    }
  }
  switch (n.kind) {
    case 'ref':
      throw new Error('unreachable: unresolved ref');
    case 'any':
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
          const fits = Number.isInteger(v) && (n.format !== 'int32' || (v >= INT32_MIN && v <= INT32_MAX));
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
      // Upstream parses the raw JSON text of non-strings; numbers keep their text.
      const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
      const err = checkQuantity(text.trim());
      if (err) throw new DecodeError(err);
      return typeof v === 'string' ? v : text.trim();
    }
    case 'map': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const inner: Where = { struct: structName, parent: at, seg: k, field: false };
        out[k] = item === null ? zeroValue(n.values) : decodeValue(n.values, item, inner, ctx);
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      return v.map((item, i) => {
        const inner: Where = { struct: structName, parent: at, seg: String(i), field: false };
        return item === null ? zeroValue(n.items) : decodeValue(n.items, item, inner, ctx);
      });
    }
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, node, at);
      if (ctx.trusted?.has(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const prop = Object.prototype.hasOwnProperty.call(n.properties, k) ? n.properties[k] : undefined;
        if (!prop) {
          // A custom resource's x-kubernetes-preserve-unknown-fields keeps the field as sent.
          if (n.preserveUnknown) out[k] = item;
          else ctx.unknown.push(pathOf({ struct: structName, parent: at, seg: k, field: true }));
          continue;
        }
        if (item === null) continue;
        out[k] = decodeValue(prop, item, { struct: structName, parent: at, seg: k, field: true }, ctx);
      }
      if (n.defaults) for (const [k, d] of Object.entries(n.defaults)) if (!(k in out)) out[k] = structuredClone(d);
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
 */
export function decodeWithSchema(
  root: SchemaNode,
  rootName: string,
  body: unknown,
  trusted?: ReadonlySet<object>,
): { value: Record<string, unknown>; unknown: string[] } {
  const ctx: Ctx = { unknown: [], trusted };
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
  return cannotHandle(gvk, `strict decoding error: ${unknown.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`);
}
