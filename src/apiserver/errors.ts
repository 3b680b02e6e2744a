// The ONE error edge: every failure becomes an ApiError here, and only here. Handlers throw
// ApiError (from src/api/errors.ts) or let StorageError propagate; the HTTP layer calls
// `toHttpError` and writes `err.toStatus()` with `err.code`.
//
// Contract: StorageError codes map to upstream's answers (NotFound 404, AlreadyExists 409,
// Conflict 409, Compacted 410 Expired, FutureRevision 504 Timeout as upstream's "Too large
// resource version", Unavailable 503). `ref` and `name`, when given, let storage errors carry
// the resource name in upstream wording. Anything unexpected is a bug: 500, logged once.

import {
  ApiError,
  alreadyExists,
  conflict,
  expired,
  internalError,
  notFound,
  serviceUnavailable,
  tooLarge,
  tooLargeResourceVersion,
  type ResourceRef,
} from '../api/errors.js';
import { StorageError } from '../storage/interface.js';
import type { Logger } from '../util/logger.js';

export interface ErrorContext {
  ref?: ResourceRef;
  name?: string;
  logger?: Logger;
}

export function toHttpError(err: unknown, ctx: ErrorContext = {}): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageError) {
    const { ref, name } = ctx;
    switch (err.code) {
      case 'NotFound':
        return ref && name !== undefined ? notFound(ref, name) : new ApiError(404, 'NotFound', err.message);
      case 'AlreadyExists':
        return ref && name !== undefined ? alreadyExists(ref, name) : new ApiError(409, 'AlreadyExists', err.message);
      case 'Conflict':
        return ref && name !== undefined ? conflict(ref, name) : new ApiError(409, 'Conflict', err.message);
      case 'Compacted':
        return expired(err.message.startsWith('too old') ? err.message : `too old resource version: ${err.message}`);
      case 'FutureRevision': {
        const m = /revision (\d+) is a future revision \(current (\d+)\)/.exec(err.message);
        if (m) return tooLargeResourceVersion(Number(m[1]), Number(m[2]));
        return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${err.message}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      case 'Unavailable':
        return serviceUnavailable(`storage unavailable: ${err.message}`);
      case 'TooLarge':
        return tooLarge(`Request entity too large: the store refused the object as too large (etcd accepts requests up to its --max-request-bytes, 1.5 MiB by default): ${err.message}`);
      case 'Internal':
        ctx.logger?.error('storage internal error', err);
        return internalError(err.message);
    }
  }
  if (err instanceof SyntaxError) {
    // JSON.parse of a request body that escaped the body decoder: still the client's input.
    return new ApiError(400, 'BadRequest', err.message);
  }
  ctx.logger?.error('unexpected error (bug)', err);
  return internalError(err instanceof Error ? err.message : String(err));
}
