// Typed client errors. Every non-2xx answer becomes an ApiError (src/api/errors.ts) carrying
// the metav1.Status code and reason, so client and server share one error vocabulary.

import { ApiError, type StatusReason } from '../api/errors.js';
import type { Status } from '../api/types.js';
import { readAll, type TransportResponse } from './transport.js';

export { ApiError };

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function reasonOf(e: unknown): StatusReason | undefined {
  return isApiError(e) ? e.reason : undefined;
}

export const isNotFound = (e: unknown): boolean => isApiError(e) && (e.reason === 'NotFound' || (e.code === 404 && !e.reason));
export const isAlreadyExists = (e: unknown): boolean => isApiError(e) && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean => isApiError(e) && e.reason === 'Conflict';
export const isInvalid = (e: unknown): boolean => isApiError(e) && e.reason === 'Invalid';
/** 410: a watch or list below the compaction point (`Expired` or `Gone`). Informers relist. */
export const isResourceExpired = (e: unknown): boolean => isApiError(e) && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');

/** True when the Status carries a cause with this reason (e.g. `NamespaceTerminating`). */
export function hasStatusCause(e: unknown, cause: string): boolean {
  return isApiError(e) && (e.details?.causes ?? []).some((c) => c.reason === cause);
}

const knownReasons = new Set<string>([
  'BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'AlreadyExists', 'Conflict', 'Gone', 'Expired', 'Invalid',
  'MethodNotAllowed', 'NotAcceptable', 'RequestEntityTooLarge', 'UnsupportedMediaType', 'TooManyRequests', 'Timeout',
  'ServerTimeout', 'ServiceUnavailable', 'InternalError',
]);

function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 406: return 'NotAcceptable';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'InternalError';
  }
}

/** Builds the typed error for an HTTP answer; `body` is the parsed Status when the server sent one. */
export function errorFromStatus(httpCode: number, body: unknown): ApiError {
  const s = body as Partial<Status> | undefined;
  if (s && typeof s === 'object' && s.kind === 'Status') {
    const code = typeof s.code === 'number' && s.code > 0 ? s.code : httpCode;
    const reason = s.reason && knownReasons.has(s.reason) ? (s.reason as StatusReason) : reasonForCode(code);
    return new ApiError(code, reason, s.message ?? `the server responded with HTTP ${code}`, s.details);
  }
  const text = typeof body === 'string' && body ? body : `the server responded with HTTP ${httpCode}`;
  return new ApiError(httpCode, reasonForCode(httpCode), text);
}

/** Reads a failed response's body (a Status as JSON, else plain text) into the typed error. */
export async function errorFromResponse(res: TransportResponse): Promise<ApiError> {
  const text = await readAll(res.body);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text is the message
  }
  return errorFromStatus(res.statusCode, parsed);
}
