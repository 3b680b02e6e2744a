// The four PATCH flavours minus server-side apply: JSON patch (RFC 6902), merge patch
// (RFC 7386) and strategic merge patch (schema driven). Pure functions over decoded JSON;
// none mutates its inputs; failures are ApiErrors with upstream's codes and wording.
export { applyJsonPatch, JSON_PATCH_MAX_COPY_BYTES } from './json-patch.js';
export { applyMergePatch, applyMergePatchShared } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { deepClone, deepEqual, MAX_NESTING_DEPTH, nestingDepth } from './json-value.js';
