// Structural schema defaults (custom resources): the values of absent properties, filled in at
// every level, a filled-in default being defaulted in turn, as upstream's defaulting does.

import type { SchemaNode } from './types.js';

/** Fills the defaults of `v`'s absent properties at every level of `n`; true when it changed `v`. */
export function fillDefaults(n: SchemaNode, v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  let changed = false;
  if (n.kind === 'array' && Array.isArray(v)) {
    for (const item of v) changed = fillDefaults(n.items, item) || changed;
  } else if (n.kind === 'map' && !Array.isArray(v)) {
    for (const item of Object.values(v)) changed = fillDefaults(n.values, item) || changed;
  } else if (n.kind === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const [k, item] of Object.entries(o)) {
      const prop = Object.prototype.hasOwnProperty.call(n.properties, k) ? n.properties[k] : undefined;
      if (prop) changed = fillDefaults(prop, item) || changed;
    }
    for (const [k, d] of Object.entries(n.defaults ?? {})) {
      if (k in o) continue;
      o[k] = structuredClone(d);
      // The default is defaulted in turn.
      const prop = n.properties[k];
      if (prop) fillDefaults(prop, o[k]);
      changed = true;
    }
  }
  return changed;
}
