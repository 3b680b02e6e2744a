// Accept-header negotiation for server-side printing, and the includeObject query value.
//
// Model (upstream content negotiation, reduced to what we serve): the Accept clauses are
// ranked by q (descending; q=0 excluded), then by specificity, keeping header order among
// equals. The first clause we can serve decides. A clause is servable when its media type is
// JSON (application/json, application/*, *\/*), YAML (application/yaml) or protobuf
// (application/vnd.kubernetes.protobuf, answered in JSON, see negotiateMediaType), and its
// parameters ask for nothing we cannot make: `as=Table` or `as=PartialObjectMetadata[List]`
// only with g=meta.k8s.io and v=v1|v1beta1, `stream` only as `stream=watch` on a type that
// streams (not YAML). Other clauses are skipped so a later clause can win.

import { ApiError, badRequest } from '../../api/errors.js';
import type { IncludeObject, TableApiVersion } from './types.js';

interface Clause {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
  index: number;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  splitOutsideQuotes(header, ',').forEach((raw, index) => {
    const [range, ...paramParts] = splitOutsideQuotes(raw, ';').map((p) => p.trim());
    if (!range) return;
    const slash = range.indexOf('/');
    const type = (slash < 0 ? range : range.slice(0, slash)).toLowerCase();
    const subtype = (slash < 0 ? '*' : range.slice(slash + 1)).toLowerCase();
    const params = new Map<string, string>();
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      let value = p.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (key === 'q') {
        const n = Number(value);
        q = Number.isFinite(n) ? n : 0;
      } else {
        params.set(key, value);
      }
    }
    if (q > 0) clauses.push({ type, subtype, params, q, index });
  });
  const specificity = (c: Clause): number => (c.type === '*' ? 0 : c.subtype === '*' ? 1 : 2);
  return clauses.sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.index - b.index);
}

/**
 * The format a clause's media type is answered in, whatever its `as`: JSON for JSON and
 * protobuf (every client that offers protobuf also decodes JSON; client-go picks its decoder by
 * the answer's Content-Type), YAML for YAML. Undefined for any other type, and for a `stream`
 * parameter other than `watch` or on YAML, which has no stream form (upstream skips both).
 */
function servableMedia(c: Clause): 'json' | 'yaml' | undefined {
  const media =
    (c.type === '*' && c.subtype === '*') || (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*' || c.subtype === 'vnd.kubernetes.protobuf'))
      ? 'json'
      : c.type === 'application' && c.subtype === 'yaml'
        ? 'yaml'
        : undefined;
  const stream = c.params.get('stream');
  if (stream !== undefined && stream !== '' && (stream !== 'watch' || media === 'yaml')) return undefined;
  return media;
}

/**
 * A Table or PartialObjectMetadata[List] clause this server answers (g=meta.k8s.io,
 * v=v1|v1beta1). A Table only in JSON or YAML, and only where the kind has a table (`tables`;
 * not the reviews and TokenRequest), as upstream's RequestScope allows the transform.
 */
function knownTransform(c: Clause, as: string, tables = true): boolean {
  const v = c.params.get('v');
  if (c.params.get('g') !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) return false;
  if (as === 'Table') return tables && (c.type !== 'application' || c.subtype !== 'vnd.kubernetes.protobuf');
  return as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList';
}

/** The media types an object answer can be asked for in, as upstream lists them in a 406. */
export const acceptedMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** The media types a watch can be asked for in (YAML has no stream form), as upstream lists them in a 406. */
export const acceptedStreamMediaTypes = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

/**
 * The format of an answer (upstream's NegotiateOutputMediaType, reduced to what we write): the
 * first servable clause (see the model above) decides; `tables` false (a kind without a table)
 * skips Table clauses. No header: JSON. Undefined when no
 * clause is servable: a 406. A watch whose deciding clause is YAML is a 406 too (the caller's
 * check: upstream picks the clause first, then finds YAML has no stream serializer).
 */
export function negotiateMediaType(accept: string | undefined, tables = true): 'json' | 'yaml' | undefined {
  // Every request of a resource path asks this; most clients send plain JSON: no parse for them.
  if (accept === undefined || accept === 'application/json' || accept === '*/*' || accept.trim() === '') return 'json';
  for (const c of parseAccept(accept)) {
    // A transform this server does not make (another `as`, group or version) is skipped, as
    // upstream skips a clause it cannot serve.
    const as = c.params.get('as');
    if (as !== undefined && as !== '' && !knownTransform(c, as, tables)) continue;
    const media = servableMedia(c);
    if (media !== undefined) return media;
  }
  return undefined;
}

/** What the answer should be, from the Accept header: the object(s), a Table, or their metadata only. */
export type Rendering =
  | { as: 'object' }
  | { as: 'Table'; apiVersion: TableApiVersion }
  /** PartialObjectMetadata (an item, a watch) or PartialObjectMetadataList (a list): metadata-only clients. */
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; apiVersion: TableApiVersion };

/**
 * The first Accept clause (see the model above) this server can answer for a request that
 * returns a list (`list`) or one object or watch events, in whichever format the clause asks
 * (negotiateMediaType decides that from the same ranking): the object, `as=Table`, or
 * `as=PartialObjectMetadata` (items, watches) / `as=PartialObjectMetadataList` (lists), with
 * g=meta.k8s.io and v=v1|v1beta1; other clauses are skipped. The other metadata form (a
 * PartialObjectMetadata of a list, a PartialObjectMetadataList of an object or a watch) is a 406
 * naming `typeName` when it is given (reads); without it (the answer of a write already made)
 * that clause is skipped. No header, or nothing servable: plain JSON.
 */
export function negotiateRendering(accept: string | undefined, list: boolean, typeName?: string): Rendering {
  if (accept === undefined || accept.trim() === '') return { as: 'object' };
  for (const c of parseAccept(accept)) {
    if (servableMedia(c) === undefined) continue;
    const as = c.params.get('as');
    if (as === undefined || as === '') return { as: 'object' };
    if (!knownTransform(c, as)) continue;
    const partial = list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata';
    // The other metadata form is chosen as upstream chooses it, and then cannot be made (its
    // asPartialObjectMetadata/asPartialObjectMetadataList): a 406.
    if (typeName !== undefined && as === 'PartialObjectMetadata' && list) throw new ApiError(406, 'NotAcceptable', `you requested PartialObjectMetadata, but the requested object is a list (${typeName})`);
    if (typeName !== undefined && as === 'PartialObjectMetadataList' && !list) throw new ApiError(406, 'NotAcceptable', `you requested PartialObjectMetadataList, but the requested object is not a list (${typeName})`);
    if (as !== 'Table' && as !== partial) continue;
    return { as, apiVersion: `meta.k8s.io/${c.params.get('v') as 'v1' | 'v1beta1'}` };
  }
  return { as: 'object' };
}

/**
 * Parses the `includeObject` query parameter (TableOptions), read only when a Table is answered
 * (other answers ignore it, as upstream). Absent or empty means Metadata. Throws a 400 ApiError
 * with upstream's wording (ValidateTableOptions) for any other value.
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === undefined || value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`Unable to convert to Table as requested: includeObject: Invalid value: ${JSON.stringify(value)}: must be 'Metadata', 'Object', 'None', or empty`);
}
