// RFC 7386 JSON merge patch (application/merge-patch+json): null deletes, objects merge,
// everything else (arrays included) replaces. Nulls inside newly added objects are dropped.

import { badRequest } from '../errors.js';
import { deepClone, isObject, type JsonObject } from './json-value.js';

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) delete out[k];
    else if (pv !== undefined) out[k] = merge(out[k], pv);
  }
  return out;
}

/**
 * Applies a merge patch. The patch body must be a JSON object (as upstream requires for API
 * objects; anything else is 400 `Invalid JSON Patch`). Never mutates its inputs; the result
 * shares no objects with them.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  return deepClone(merge(target, patch));
}
