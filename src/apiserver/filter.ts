// Object filters shared by LIST and WATCH: label selector, field selector and the exact name
// of single-object requests. Parsing errors are 400 (from the selectors module).

import { badRequest } from '../api/errors.js';
import { groupKindOf, type KindDef } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import {
  convertFieldSelector,
  fieldSelectorFromRequirements,
  parseFieldSelector,
  parseLabelSelector,
  selectableFields,
  type FieldRequirement,
  type FieldSelector,
  type Selector,
} from '../api/selectors/index.js';

/** What a filter looks at in an object: its name, namespace, labels and (when asked for) selectable fields. */
export interface Selection {
  name: string;
  namespace: string;
  labels: Record<string, string> | undefined;
  /** selectableFields of the object; absent when the filter that made it had no field terms. */
  fields?: Record<string, string>;
}

/** The Selection of `obj` for kind `k` (`withFields`: its selectable fields too). */
export function selectionOf(k: KindDef, obj: KubeObject, withFields: boolean): Selection {
  const m = obj.metadata;
  const sel: Selection = { name: m.name ?? '', namespace: m.namespace ?? '', labels: m.labels };
  if (withFields) sel.fields = selectableFields(groupKindOf(k), obj, k.selectableFields);
  return sel;
}

export interface ObjectFilter {
  /** Only objects with exactly this name (from `metadata.name=` or an item path). */
  name?: string;
  /** Only objects in this namespace (from `metadata.namespace=`); path namespaces are key prefixes. */
  namespace?: string;
  label?: Selector;
  field?: FieldSelector;
  /** True when matching needs the object (label/field selectors beyond name/namespace). */
  needsObject: boolean;
  /** True when matching needs the object's selectable fields (field terms beyond name/namespace). */
  needsFields: boolean;
  matches(obj: KubeObject): boolean;
  /** As matches, on what selectionOf took from the object (with fields when needsFields). */
  matchesSelection(sel: Selection): boolean;
}

/** Builds a filter; returns undefined when nothing is filtered. */
export function buildFilter(k: KindDef, labelSelector: string, fieldSelector: string, name?: string): ObjectFilter | undefined {
  const gk = groupKindOf(k);
  const label = labelSelector.trim() === '' ? undefined : parseLabelSelector(labelSelector);
  const custom = k.selectableFields;
  let field = fieldSelector.trim() === '' ? undefined : convertFieldSelector(gk, parseFieldSelector(fieldSelector), custom);
  // A watch of one name (an item path) takes a field selector only when it names that same
  // object (upstream's ListResource: RequiresExactMatch("metadata.name")).
  if (name !== undefined && field && field.requirements.find((r) => r.op === '=' && r.field === 'metadata.name')?.value !== name) {
    throw badRequest("fieldSelector metadata.name doesn't match requested name");
  }
  let exactName = name;
  let exactNamespace: string | undefined;
  // metadata.name=x / metadata.namespace=x are served by key lookups; other terms need the object.
  if (field) {
    const rest: FieldRequirement[] = [];
    for (const r of field.requirements) {
      if (r.op === '=' && r.field === 'metadata.name') {
        if (exactName === undefined) exactName = r.value;
        else if (exactName !== r.value) exactName = '\u0000'; // contradictory: matches nothing
      } else if (r.op === '=' && r.field === 'metadata.namespace' && exactNamespace === undefined) {
        exactNamespace = r.value;
      } else {
        rest.push(r);
      }
    }
    // The exact terms are checked by `matches` directly; only the rest needs selectable fields.
    field = rest.length === 0 ? undefined : rest.length === field.requirements.length ? field : fieldSelectorFromRequirements(rest);
  }
  if (!label && !field && exactName === undefined && exactNamespace === undefined) return undefined;
  const labelSel = label && !label.isEmpty() ? label : undefined;
  const fieldSel = field;
  const f: ObjectFilter = {
    needsObject: labelSel !== undefined || fieldSel !== undefined,
    needsFields: fieldSel !== undefined,
    matches(obj: KubeObject): boolean {
      const m = obj.metadata;
      if (exactName !== undefined && m.name !== exactName) return false;
      if (exactNamespace !== undefined && (m.namespace ?? '') !== exactNamespace) return false;
      if (labelSel && !labelSel.matches(m.labels)) return false;
      if (fieldSel && !fieldSel.matches(selectableFields(gk, obj, custom))) return false;
      return true;
    },
    matchesSelection(sel: Selection): boolean {
      if (exactName !== undefined && sel.name !== exactName) return false;
      if (exactNamespace !== undefined && sel.namespace !== exactNamespace) return false;
      if (labelSel && !labelSel.matches(sel.labels)) return false;
      if (fieldSel && !fieldSel.matches(sel.fields ?? {})) return false;
      return true;
    },
  };
  if (exactName !== undefined) f.name = exactName;
  if (exactNamespace !== undefined) f.namespace = exactNamespace;
  if (labelSel) f.label = labelSel;
  if (fieldSel) f.field = fieldSel;
  return f;
}
