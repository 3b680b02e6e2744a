// Accept-header negotiation for server-side printing, and the includeObject query value.
//
// Model (upstream content negotiation, reduced to what we serve): the Accept clauses are
// ranked by q (descending; q=0 excluded), then by specificity, keeping header order among
// equals. The first clause we can serve decides. We serve JSON only, so a clause is servable
// when its media type is application/json, application/* or */*. A servable clause with
// `as=Table` or `as=PartialObjectMetadata[List]` is servable only with g=meta.k8s.io and
// v=v1|v1beta1; other transforms and versions are skipped so a later clause can win.
// Protobuf and YAML clauses are skipped: kubectl always offers application/json after them.

import { badRequest } from '../../api/errors.js';
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

function servesJson(c: Clause): boolean {
  return (c.type === '*' && c.subtype === '*') || (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*'));
}

/** A Table or PartialObjectMetadata[List] clause this server answers (g=meta.k8s.io, v=v1|v1beta1). */
function knownTransform(c: Clause, as: string): boolean {
  const v = c.params.get('v');
  return (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && c.params.get('g') === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1');
}

/** The media types an object answer can be asked for in, as upstream lists them in a 406. */
export const acceptedMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/**
 * The media type of an object answer (upstream's NegotiateOutputMediaType, reduced to what we
 * write): the first ranked clause that is JSON (`application/json`, `application/*`, `*\/*`)
 * or YAML (`application/yaml`) decides; a protobuf clause is answered with JSON, which every
 * client that offers protobuf also decodes (client-go picks its decoder by the answer's
 * Content-Type). No header: JSON. Undefined when no clause is any of these: a 406.
 */
export function negotiateMediaType(accept: string | undefined): 'json' | 'yaml' | undefined {
  // Every request of a resource path asks this; most clients send plain JSON: no parse for them.
  if (accept === undefined || accept === 'application/json' || accept === '*/*' || accept.trim() === '') return 'json';
  for (const c of parseAccept(accept)) {
    // A transform this server does not make (another `as`, group or version) is skipped, as
    // upstream skips a clause it cannot serve.
    const as = c.params.get('as');
    if (as !== undefined && as !== '' && !knownTransform(c, as)) continue;
    if (servesJson(c)) return 'json';
    if (c.type !== 'application') continue;
    if (c.subtype === 'yaml') return 'yaml';
    if (c.subtype === 'vnd.kubernetes.protobuf') return 'json';
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
 * returns a list (`list`) or one object or watch events: plain JSON, `as=Table`, or
 * `as=PartialObjectMetadata` (items, watches) / `as=PartialObjectMetadataList` (lists), with
 * g=meta.k8s.io and v=v1|v1beta1; other clauses are skipped. No header, or nothing servable:
 * plain JSON.
 */
export function negotiateRendering(accept: string | undefined, list: boolean): Rendering {
  if (accept === undefined || accept.trim() === '') return { as: 'object' };
  for (const c of parseAccept(accept)) {
    if (!servesJson(c)) continue;
    const as = c.params.get('as');
    if (as === undefined || as === '') return { as: 'object' };
    const partial = list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata';
    if (as !== 'Table' && as !== partial) continue;
    if (c.params.get('g') !== 'meta.k8s.io') continue;
    const v = c.params.get('v');
    if (v !== 'v1' && v !== 'v1beta1') continue;
    return { as, apiVersion: `meta.k8s.io/${v}` };
  }
  return { as: 'object' };
}

/**
 * Parses the `includeObject` query parameter (TableOptions). Absent or empty means Metadata.
 * Throws a 400 ApiError with upstream's wording for any other value.
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === undefined || value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(value)}`);
}
