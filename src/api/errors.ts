// Typed API errors. Every failure a client can see is an ApiError; the apiserver turns it
// into a metav1.Status and an HTTP code in exactly one place (apiserver's error edge).
//
// Contract: `reason` is one of upstream's StatusReason strings and `code` the HTTP status
// upstream uses with it. Constructors below produce upstream's exact message wording, which
// kubectl prints verbatim.

import type { Status, StatusCause, StatusDetails } from './types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServerTimeout'
  | 'ServiceUnavailable'
  | 'InternalError';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** The Status's ListMeta (only `continue`: a fresh token on an expired continue). */
    readonly listMeta?: { continue?: string },
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * Warnings found before the request failed (unknown fields with fieldValidation=Warn...): its
   * Status answer carries them as Warning headers, as upstream writes each warning to the
   * response when it is found.
   */
  warnings?: string[];

  /** Annotations for the refused request's audit event (PodSecurity's enforce-policy, ...). */
  auditAnnotations?: Record<string, string>;

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMeta ? { ...this.listMeta } : {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** Identifies a resource in messages: `daemonsets.apps` or plain `pods` for the core group. */
export interface ResourceRef {
  group: string; // '' for core
  resource: string; // plural, e.g. 'daemonsets'
  kind: string; // e.g. 'DaemonSet'
}

export function qualifiedResource(r: ResourceRef): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function qualifiedKind(r: ResourceRef): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

/** Status details as upstream's: an empty name is left out (omitempty), as for a list or a create. */
function groupDetails(r: ResourceRef, name: string, kind: string): StatusDetails {
  const d = (name ? { name, kind } : { kind }) as StatusDetails;
  if (r.group) d.group = r.group;
  return d;
}

export function notFound(r: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${name}" not found`, groupDetails(r, name, r.resource));
}

export function alreadyExists(r: ResourceRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, groupDetails(r, name, r.resource));
}

export function conflict(r: ResourceRef, name: string, detail = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${detail}`, groupDetails(r, name, r.resource));
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/**
 * 504 Timeout for a resourceVersion the store has not reached (upstream's
 * NewTooLargeResourceVersionError): clients retry after `retryAfterSeconds`.
 */
export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Gone', message);
}

export function tooLarge(message = 'the request entity is too large'): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', message);
}

/**
 * A PATCH of a content type that is no patch: upstream's words, listing the patch types the
 * resource takes in its order (custom resources have no strategic merge patch).
 */
/** `err`, carrying `warnings` when it is an ApiError that carries none yet (see ApiError.warnings). */
export function withWarnings(err: unknown, warnings: readonly string[]): unknown {
  if (err instanceof ApiError && err.warnings === undefined && warnings.length > 0) err.warnings = [...warnings];
  return err;
}

export function unsupportedPatchType(custom = false): ApiError {
  const types = ['application/json-patch+json', 'application/merge-patch+json', ...(custom ? [] : ['application/strategic-merge-patch+json']), 'application/apply-patch+yaml'];
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${types.join(', ')}`);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

export function unauthorized(message = 'Unauthorized'): ApiError {
  return new ApiError(401, 'Unauthorized', message);
}

export function forbidden(message: string, r?: ResourceRef, name = ''): ApiError {
  return new ApiError(403, 'Forbidden', message, r ? groupDetails(r, name, r.resource) : {});
}

// ---------------------------------------------------------------------------------------------
// Field errors (validation). Rendered as upstream's field.ErrorList.

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  field: string; // e.g. 'spec.template.spec.containers[0].name'
  badValue?: unknown;
  detail?: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
};

/**
 * A bad value shown the way Go's fmt prints it where that is not its JSON: a metav1.Time is a
 * Stringer (`2020-01-01 00:00:00 +0000 UTC`, goTimeText), so upstream's field errors print it
 * unquoted.
 */
export class GoShown {
  constructor(readonly text: string) {}
}

/** An RFC 3339 time as Go's time.Time String prints it in UTC: `2020-01-01 00:00:00.5 +0000 UTC`. */
export function goTimeText(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(rfc3339);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) return JSON.stringify(rfc3339);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '.' ? '' : fraction} +0000 UTC`;
}

/**
 * Renders a bad value as apimachinery's field errors do since Kubernetes 1.34: strings quoted,
 * numbers and booleans as they are, anything else as JSON (`Invalid value: {"app":"b"}`).
 * Servers before 1.34 printed composites with Go's %#v (`map[string]string{"app":"b"}`,
 * `intstr.IntOrString{Type:0, IntVal:1, StrVal:""}`); everynode keeps the newer, readable form
 * on purpose, for every kubectl version.
 */
export function renderValue(v: unknown): string {
  if (v instanceof GoShown) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** `spec.x: Invalid value: "y": detail` — the message of one cause. */
export function fieldErrorBody(e: FieldError): string {
  const t = typeText[e.type];
  switch (e.type) {
    case 'FieldValueTooMany':
      // upstream's field.TooMany shows the actual count when it is known
      if (e.badValue !== undefined) return `${t}: ${renderValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
      return e.detail ? `${t}: ${e.detail}` : t;
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
      return e.detail ? `${t}: ${e.detail}` : t;
    case 'FieldValueNotSupported':
    case 'FieldValueInvalid':
    case 'FieldValueTypeInvalid':
    case 'FieldValueDuplicate':
    case 'FieldValueNotFound':
      return `${t}: ${renderValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
  }
}

export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** 422 Invalid: `DaemonSet.apps "x" is invalid: [a: ..., b: ...]` with one cause per error. */
export function invalid(r: ResourceRef, name: string, errs: FieldError[]): ApiError {
  // The message names each error once (upstream's ErrorList.ToAggregate); the causes keep all.
  const parts = [...new Set(errs.map(fieldErrorString))];
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  const details = (name ? { name, kind: r.kind, causes } : { kind: r.kind, causes }) as StatusDetails;
  if (r.group) details.group = r.group;
  return new ApiError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${summary}`, details);
}

/**
 * 422 Invalid for a patch whose result does not decode (an unknown or repeated field under
 * fieldValidation=Strict, a value of the wrong type), as upstream's patch handler words it:
 * `NewInvalid(GroupKind{}, "", [field.Invalid("patch", shown, detail)])`, whose message starts
 * with a space (an empty kind, then `""`). `shown` is the patched object's JSON for a JSON or
 * merge patch, the patch as Go prints a map (`goPrintValue`) for a strategic merge patch.
 * kubectl edit takes an Invalid answer back into the editor.
 */
export function patchInvalid(shown: string, detail: string): ApiError {
  const e = fe.invalid('patch', shown, detail);
  return new ApiError(422, 'Invalid', ` "" is invalid: ${fieldErrorString(e)}`, { causes: [{ reason: e.type, message: fieldErrorBody(e), field: e.field }] });
}

/** A decoded JSON value as Go's fmt prints it with %+v: `map[a:1 b:[x y]]`, keys sorted, null as `<nil>`. */
export function goPrintValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goPrintValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrintValue(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

// Helpers for validators.
export const fe = {
  required: (field: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field, ...(detail ? { detail } : {}) }),
  invalid: (field: string, badValue: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, ...(detail ? { detail } : {}) }),
  notSupported: (field: string, badValue: unknown, supported: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue }),
  typeInvalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail }),
  tooLong: (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `may not be more than ${max} bytes` }),
  /** field.TooMany: a list of `actual` items where at most `max` are allowed. */
  tooMany: (field: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, badValue: actual, detail: `must have at most ${max} items` }),
  notFound: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueNotFound', field, badValue }),
};
