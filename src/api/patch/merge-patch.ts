// RFC 7386 JSON merge patch (application/merge-patch+json): null deletes, objects merge,
// everything else (arrays included) replaces. Nulls inside newly added objects are dropped.

import { badRequest } from '../errors.js';
import { deepClone, isObject, type JsonObject } from './json-value.js';

/**
 * The merge itself. The result shares subtrees with `target` and `patch`; with `untouched`,
 * every composite value of an object `target` that the patch leaves alone is recorded there.
 */
function merge(target: unknown, patch: unknown, untouched?: Set<object>): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  if (untouched && isObject(target)) {
    for (const k of Object.keys(target)) {
      const tv = target[k];
      if (typeof tv === 'object' && tv !== null && !Object.prototype.hasOwnProperty.call(patch, k)) untouched.add(tv);
    }
  }
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) delete out[k];
    else if (pv !== undefined) out[k] = merge(out[k], pv, untouched);
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

/**
 * The merge patch for a caller that decodes the result against the schema anyway (which copies
 * what it decodes): the result shares subtrees with `target` and `patch` instead of cloning
 * them. Every composite value of `target` that the patch leaves untouched is added to
 * `untouched`, so the decoder can take it as is. `target` and `patch` must be owned by the
 * caller and never used again except through the result.
 */
export function applyMergePatchShared(target: unknown, patch: unknown, untouched: Set<object>): unknown {
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  return merge(target, patch, untouched);
}
