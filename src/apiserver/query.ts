// Query parameter parsing for REST verbs. Queries are decoded with URLSearchParams, so `+`
// is a space (Go clients encode spaces that way). Invalid values are 400 BadRequest.

import { badRequest, invalid, ApiError, type FieldError } from '../api/errors.js';
import type { DeleteOptions, DeletionPropagation } from '../api/types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ListQuery {
  labelSelector: string;
  fieldSelector: string;
  /** 0: no limit. */
  limit: number;
  continueToken: string;
  /** undefined when absent. */
  resourceVersion: string | undefined;
  resourceVersionMatch: 'Exact' | 'NotOlderThan' | undefined;
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  /** 0: none. */
  timeoutSeconds: number;
  includeObject: IncludeObject;
}

export interface WriteQuery {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  force: boolean;
}

/**
 * Whether `?watch` asks for a watch, as parseListQuery reads it (`true`, `1` or empty). The
 * request's authorization and metrics use this too, so a request served as a watch is
 * authorized as one.
 */
export function watchRequested(q: URLSearchParams): boolean {
  const v = q.get('watch');
  return v === 'true' || v === '1' || v === '';
}

function bool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
}

function nonNegativeInt(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === '') return 0;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  const n = Number(v);
  if (n < 0) return 0; // upstream treats negative limits as "no limit"
  return n;
}

/** ListOptions' own ResourceRef, for `ListOptions.meta.k8s.io "" is invalid: ...`. */
const LIST_OPTIONS = { group: 'meta.k8s.io', resource: 'listoptions', kind: 'ListOptions' };

/**
 * Upstream's ValidateListOptions (lists) and validateWatchOptions (watches, with the WatchList
 * feature on): the combinations of resourceVersion, resourceVersionMatch, continue and
 * sendInitialEvents a request may use. All violations are reported together, as 422 Invalid.
 */
function validateListOptions(o: { watch: boolean; rv: string; rvm: string; cont: string; sendInitialEvents: boolean | undefined }): FieldError[] {
  const errs: FieldError[] = [];
  const forbid = (field: string, detail: string): void => void errs.push({ type: 'FieldValueForbidden', field, detail });
  if (o.watch) {
    if (o.sendInitialEvents !== undefined && o.rvm !== 'NotOlderThan') forbid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (o.rvm !== '') {
      if (o.sendInitialEvents === undefined) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (o.rvm !== 'NotOlderThan') errs.push({ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', badValue: o.rvm, detail: 'supported values: "NotOlderThan"' });
      if (o.cont !== '') forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
    return errs;
  }
  if (o.rvm !== '') {
    if (o.rv === '') forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (o.cont !== '') forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    if (o.rvm !== 'Exact' && o.rvm !== 'NotOlderThan') errs.push({ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', badValue: o.rvm, detail: 'supported values: "Exact", "NotOlderThan", ""' });
    if (o.rvm === 'Exact' && o.rv === '0') forbid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  if (o.sendInitialEvents !== undefined) forbid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  return errs;
}

export function parseListQuery(q: URLSearchParams): ListQuery {
  const rvm = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? undefined;
  if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) {
    throw badRequest(`invalid resource version "${rv}"`); // upstream: Invalid value in ListOptions; close enough
  }
  const watch = bool(q, 'watch') ?? false;
  const sendInitialEvents = bool(q, 'sendInitialEvents');
  const continueToken = q.get('continue') ?? '';
  const errs = validateListOptions({ watch, rv: rv ?? '', rvm, cont: continueToken, sendInitialEvents });
  if (errs.length > 0) throw invalid(LIST_OPTIONS, '', errs);
  // Upstream's storage refuses a list that continues at another revision (resourceVersion "0" is "any").
  if (!watch && continueToken !== '' && rv !== undefined && rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  const inc = q.get('includeObject') ?? 'Metadata';
  if (inc !== 'None' && inc !== 'Metadata' && inc !== 'Object') throw badRequest(`invalid includeObject: ${JSON.stringify(inc)}`);
  return {
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    limit: nonNegativeInt(q, 'limit'),
    continueToken,
    resourceVersion: rv === '' ? undefined : rv,
    resourceVersionMatch: rvm === '' ? undefined : (rvm as 'Exact' | 'NotOlderThan'),
    watch,
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks') ?? false,
    sendInitialEvents,
    timeoutSeconds: nonNegativeInt(q, 'timeoutSeconds'),
    includeObject: inc,
  };
}

function parseDryRun(values: unknown[]): boolean {
  let dry = false;
  for (const v of values) {
    if (v === 'All') dry = true;
    else throw new ApiError(422, 'Invalid', `dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return dry;
}

/** Options of POST/PUT/PATCH. fieldValidation defaults to Warn, as upstream since 1.27. */
export function parseWriteQuery(q: URLSearchParams): WriteQuery {
  const fv = q.get('fieldValidation') || 'Warn';
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  return {
    dryRun: parseDryRun(q.getAll('dryRun')),
    fieldManager: q.get('fieldManager') ?? '',
    fieldValidation: fv,
    force: bool(q, 'force') ?? false,
  };
}

export interface ParsedDeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: DeletionPropagation;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/**
 * DeleteOptions from the body (kubectl; no kind/apiVersion required) merged over the query
 * (client-node). `orphanDependents` (legacy) maps to Orphan/Background.
 */
export function parseDeleteOptions(q: URLSearchParams, body: unknown): ParsedDeleteOptions {
  const opts: DeleteOptions = {};
  const gp = q.get('gracePeriodSeconds');
  if (gp !== null && gp !== '') {
    if (!/^-?\d+$/.test(gp)) throw badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(gp)}`);
    opts.gracePeriodSeconds = Number(gp);
  }
  const pp = q.get('propagationPolicy');
  if (pp) opts.propagationPolicy = pp as DeletionPropagation;
  const od = bool(q, 'orphanDependents');
  if (od !== undefined) opts.orphanDependents = od;
  let dryRunValues: unknown[] = q.getAll('dryRun');
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('DeleteOptions body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (b.kind !== undefined && b.kind !== 'DeleteOptions') throw badRequest(`unexpected kind ${JSON.stringify(b.kind)} in DeleteOptions`);
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
      if (typeof b.gracePeriodSeconds !== 'number' || !Number.isInteger(b.gracePeriodSeconds)) throw badRequest('DeleteOptions.gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.propagationPolicy !== undefined && b.propagationPolicy !== null) {
      if (typeof b.propagationPolicy !== 'string') throw badRequest('DeleteOptions.propagationPolicy must be a string');
      opts.propagationPolicy = b.propagationPolicy as DeletionPropagation;
    }
    if (b.orphanDependents !== undefined && b.orphanDependents !== null) {
      if (typeof b.orphanDependents !== 'boolean') throw badRequest('DeleteOptions.orphanDependents must be a boolean');
      opts.orphanDependents = b.orphanDependents;
    }
    if (b.dryRun !== undefined && b.dryRun !== null) {
      if (!Array.isArray(b.dryRun)) throw badRequest('DeleteOptions.dryRun must be a list of strings');
      dryRunValues = [...dryRunValues, ...b.dryRun];
    }
    if (b.preconditions !== undefined && b.preconditions !== null) {
      const p = b.preconditions as Record<string, unknown>;
      if (typeof p !== 'object' || Array.isArray(p)) throw badRequest('DeleteOptions.preconditions must be an object');
      opts.preconditions = {};
      if (typeof p.uid === 'string') opts.preconditions.uid = p.uid;
      if (typeof p.resourceVersion === 'string') opts.preconditions.resourceVersion = p.resourceVersion;
    }
  }
  if (opts.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (opts.orphanDependents !== undefined && opts.propagationPolicy !== undefined) {
    throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "${opts.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set`);
  }
  const out: ParsedDeleteOptions = { dryRun: parseDryRun(dryRunValues) };
  if (opts.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.orphanDependents !== undefined) out.propagationPolicy = opts.orphanDependents ? 'Orphan' : 'Background';
  if (opts.propagationPolicy !== undefined) out.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) out.preconditions = opts.preconditions;
  return out;
}
