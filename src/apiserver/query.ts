// Query parameter parsing for REST verbs. Queries are decoded with URLSearchParams, so `+`
// is a space (Go clients encode spaces that way). Undecodable values are 400 BadRequest; values
// upstream's options validation refuses are 422 Invalid on the options kind (ListOptions,
// CreateOptions, UpdateOptions, PatchOptions, DeleteOptions), with details.

import { badRequest, fe, invalid, type FieldError } from '../api/errors.js';
import type { DeleteOptions, DeletionPropagation } from '../api/types.js';
import { queryBool } from '../util/index.js';

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
  /** As given ('' when absent): read only for a Table answer (parseIncludeObject), as upstream's TableOptions. */
  includeObject: string;
}

export interface WriteQuery {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  force: boolean;
}

/**
 * Whether `?watch` asks for a watch, as parseListQuery reads it (see `bool`). The
 * request's authorization and metrics use this too, so a request served as a watch is
 * authorized as one.
 */
export function watchRequested(q: URLSearchParams): boolean {
  return bool(q, 'watch') ?? false;
}

/**
 * Whether a request to a resource path is served as a watch: the `/watch/` path form, or
 * `?watch` on a collection (a named path's `?watch` is an ordinary get, as upstream routes
 * it). A proxy's query is its target's, so its `watch` asks nothing.
 */
export function isWatchRequest(route: { watchPath?: boolean; name?: string; subresource?: string }, q: URLSearchParams, method = 'GET'): boolean {
  // Only a GET (or HEAD) can be a watch: a write with `?watch` is a write, counted as one.
  if (method !== 'GET' && method !== 'HEAD') return false;
  return route.watchPath === true || (!route.name && route.subresource !== 'proxy' && watchRequested(q));
}

/** A boolean query parameter (queryBool: only "0" and "false", any case, are false). */
function bool(q: URLSearchParams, name: string): boolean | undefined {
  return queryBool(q.get(name));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether a string of decimal digits (with an optional sign) is an int64, as Go's strconv.ParseInt(v, 10, 64) takes it. */
function isInt64(v: string): boolean {
  const n = BigInt(v);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * An int64 query parameter (limit, timeoutSeconds) as a number of at most `max`: 0 when absent
 * or negative (upstream treats a negative limit as "no limit"), 400 when not an int64 (upstream's
 * parameter decoding). Larger values are clamped to `max`, which is far beyond any real use.
 */
function nonNegativeInt(q: URLSearchParams, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = q.get(name);
  if (v === null || v === '') return 0;
  if (!/^[-+]?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  if (!isInt64(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  const n = Number(v);
  if (n <= 0) return 0; // also turns "-0" into 0
  return Math.min(n, max);
}

/**
 * `timeoutSeconds`: 0 when absent, -1 when negative (upstream's watch timer then fires at once:
 * the watch ends with no event), else as nonNegativeInt.
 */
function timeoutParam(q: URLSearchParams): number {
  const n = nonNegativeInt(q, 'timeoutSeconds', MAX_TIMEOUT_SECONDS);
  return n === 0 && Number(q.get('timeoutSeconds')) < 0 ? -1 : n;
}

/**
 * The longest watch timeout honoured, in seconds: timers take at most 2^31-1 ms (a longer one
 * fires at once), about 24.8 days; upstream serves any int64, which is the same in practice.
 */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

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
  // A resourceVersion is a uint64 (upstream's ParseUint): digits only, at most 2^64-1.
  if (rv !== undefined && rv !== '' && (!/^\d+$/.test(rv) || BigInt(rv) > 0xffffffffffffffffn)) {
    throw badRequest(`invalid resource version "${rv}"`); // upstream: Invalid value in ListOptions; close enough
  }
  const watch = bool(q, 'watch') ?? false;
  const sendInitialEvents = bool(q, 'sendInitialEvents');
  const continueToken = q.get('continue') ?? '';
  const errs = validateListOptions({ watch, rv: rv ?? '', rvm, cont: continueToken, sendInitialEvents });
  if (errs.length > 0) throw invalid(LIST_OPTIONS, '', errs);
  // Upstream's storage refuses a list that continues at another revision (resourceVersion "0" is "any").
  if (!watch && continueToken !== '' && rv !== undefined && rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
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
    timeoutSeconds: timeoutParam(q),
    includeObject: q.get('includeObject') ?? '',
  };
}

/**
 * Upstream's ValidateDryRun: every value must be "All". One error for the whole list, whose bad
 * value is the list itself (`dryRun: Unsupported value: ["Foo"]: supported values: "All"`).
 */
function dryRunErrors(values: unknown[]): FieldError[] {
  return values.every((v) => v === 'All') ? [] : [fe.notSupported('dryRun', values, ['All'])];
}

/** The options kind of a write: POST, PUT, PATCH. */
export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/** The options kinds' own ResourceRef, for `<Kind>.meta.k8s.io "" is invalid: ...` (upstream's errors.NewInvalid on the options' GroupKind). */
function optionsRef(kind: WriteOptionsKind | 'DeleteOptions'): { group: string; resource: string; kind: string } {
  return { group: 'meta.k8s.io', resource: kind.toLowerCase(), kind };
}

/**
 * Options of POST/PUT/PATCH. fieldValidation defaults to Warn, as upstream since 1.27. As
 * upstream's ValidateCreateOptions/ValidateUpdateOptions/ValidatePatchOptions: `force` (present
 * at all, even false) on a patch other than apply, a dryRun value other than "All" and an
 * unknown fieldValidation are 422 Invalid on the options kind
 * (`PatchOptions.meta.k8s.io "" is invalid: ...`, details group meta.k8s.io, kind the options
 * kind, one cause per violation), all violations together in upstream's order. `apply`: the
 * patch is a server-side apply. The fieldManager checks are validateFieldManager's.
 */
export function parseWriteQuery(q: URLSearchParams, kind: WriteOptionsKind, apply = false): WriteQuery {
  const errs: FieldError[] = [];
  if (kind === 'PatchOptions' && !apply && q.get('force') !== null) errs.push(fe.forbidden('force', 'may not be specified for non-apply patch'));
  const dryRun = q.getAll('dryRun');
  errs.push(...dryRunErrors(dryRun));
  const fv = q.get('fieldValidation') ?? '';
  if (fv !== '' && fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') errs.push(fe.notSupported('fieldValidation', fv, ['', 'Ignore', 'Strict', 'Warn']));
  if (errs.length > 0) throw invalid(optionsRef(kind), '', errs);
  return {
    dryRun: dryRun.length > 0,
    fieldManager: q.get('fieldManager') ?? '',
    fieldValidation: fv === '' ? 'Warn' : (fv as FieldValidation),
    force: bool(q, 'force') ?? false,
  };
}

export interface ParsedDeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: DeletionPropagation;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** The legacy `orphanDependents: false` was given: a DELETE that leaves the object answers 202. */
  legacyCascade?: true;
}

/** A string field of DeleteOptions.preconditions (null: absent); 400 in Go's wording for another JSON type. */
function preconditionField(p: Record<string, unknown>, name: string, goType: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
  throw badRequest(`json: cannot unmarshal ${kind} into Go struct field Preconditions.preconditions.${name} of type ${goType}`);
}

/**
 * DeleteOptions from the body (kubectl; no kind/apiVersion required) merged over the query
 * (client-node). `orphanDependents` (legacy) maps to Orphan/Background.
 */
export function parseDeleteOptions(q: URLSearchParams, body: unknown): ParsedDeleteOptions {
  const opts: DeleteOptions = {};
  const gp = q.get('gracePeriodSeconds');
  if (gp !== null && gp !== '') {
    if (!/^[-+]?\d+$/.test(gp)) throw badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(gp)}`);
    if (!isInt64(gp)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(gp)}: value out of range`);
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
      const g = b.gracePeriodSeconds;
      if (typeof g !== 'number' || !Number.isInteger(g)) throw badRequest('DeleteOptions.gracePeriodSeconds must be an integer');
      // Beyond int64 (what Go's decoder refuses; 2^63 itself is the first double past it).
      if (g >= 2 ** 63 || g < -(2 ** 63)) throw badRequest(`json: cannot unmarshal number ${BigInt(g)} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`);
      opts.gracePeriodSeconds = g;
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
      // A precondition of another type is refused as Go's decoder does: dropping it would
      // delete unconditionally what the client meant to delete only as it last saw it.
      opts.preconditions = {};
      const uid = preconditionField(p, 'uid', 'types.UID');
      if (uid !== undefined) opts.preconditions.uid = uid;
      const rv = preconditionField(p, 'resourceVersion', 'string');
      if (rv !== undefined) opts.preconditions.resourceVersion = rv;
    }
  }
  // Upstream's ValidateDeleteOptions: all violations together, as 422 Invalid on DeleteOptions.
  const errs: FieldError[] = [];
  if (opts.orphanDependents !== undefined && opts.propagationPolicy !== undefined) {
    errs.push(fe.invalid('propagationPolicy', opts.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (opts.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    errs.push(fe.notSupported('propagationPolicy', opts.propagationPolicy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  errs.push(...dryRunErrors(dryRunValues));
  if (errs.length > 0) throw invalid(optionsRef('DeleteOptions'), '', errs);
  const out: ParsedDeleteOptions = { dryRun: dryRunValues.length > 0 };
  if (opts.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.orphanDependents !== undefined) out.propagationPolicy = opts.orphanDependents ? 'Orphan' : 'Background';
  if (opts.orphanDependents === false) out.legacyCascade = true;
  if (opts.propagationPolicy !== undefined) out.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) out.preconditions = opts.preconditions;
  return out;
}

/** Upstream's default --min-request-timeout, seconds. */
const minRequestTimeoutSeconds = 1800;

/**
 * How long a watch runs, seconds: its `timeoutSeconds`, or, as upstream, a random 30-60 min
 * (`random` in [0, 1)) when it names none, so long-lived watches spread over servers and load
 * balancers; never past the caller's credential (`credentialExpiresAt`, ms), at least 1 s then.
 * A negative `timeoutSeconds` (-1 from parseListQuery) stays -1: the watch ends at once.
 */
export function watchTimeoutSeconds(requested: number, credentialExpiresAt: number | undefined, nowMs: number, random: number): number {
  if (requested < 0) return -1;
  const timeout = requested > 0 ? requested : Math.floor(minRequestTimeoutSeconds * (1 + random));
  if (credentialExpiresAt === undefined) return timeout;
  return Math.min(timeout, Math.max(1, Math.ceil((credentialExpiresAt - nowMs) / 1000)));
}
