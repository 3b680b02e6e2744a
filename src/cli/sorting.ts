// `get --sort-by=<jsonpath>` as kubectl sorts: by the first value the (relaxed) JSONPath finds
// in each object; objects without one first; numbers by value; strings that both parse as
// quantities (`100m`, `2Gi`) by quantity, other strings by their characters (`node-10` before
// `node-2`, as kubectl 1.32 sorts the unstructured objects it reads); booleans false first; anything else by its JSON text. The sort is stable.
// When no object has the field at all the answer is kubectl's error (a typo'd path).

import { compareQuantity, parseQuantity } from '../api/validation/quantity.js';
import { CliError } from './context.js';
import { findValues, JsonPathError, relaxedJsonPath } from './jsonpath.js';

function rank(v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3;
}

/** kubectl's order of two found values (negative: a first). */
export function compareSortValues(a: unknown, b: unknown): number {
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    const qa = parseQuantity(a);
    const qb = qa ? parseQuantity(b) : undefined;
    if (qa && qb) return compareQuantity(qa, qb);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const ja = JSON.stringify(a) ?? '';
  const jb = JSON.stringify(b) ?? '';
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** The template of a --sort-by value; a bad one is kubectl's error. */
export function sortTemplate(field: string): string {
  try {
    const t = relaxedJsonPath(field);
    findValues(t, {});
    return t;
  } catch (e) {
    if (e instanceof JsonPathError) throw new CliError(`error parsing --sort-by ${JSON.stringify(field)}: ${e.message}`);
    throw e;
  }
}

/** `items` sorted by the value `template` finds in `objectOf(item)` (see the file comment). */
export function sortByField<T>(items: T[], template: string, objectOf: (item: T) => unknown): T[] {
  const keyed = items.map((item) => ({ item, values: findValues(template, objectOf(item)) }));
  if (keyed.length > 0 && keyed.every((k) => k.values.length === 0)) {
    throw new CliError(`couldn't find any field with path ${JSON.stringify(template)} in the list of objects`);
  }
  return keyed
    .sort((x, y) => {
      if (x.values.length === 0 || y.values.length === 0) return (x.values.length === 0 ? 0 : 1) - (y.values.length === 0 ? 0 : 1);
      return compareSortValues(x.values[0], y.values[0]);
    })
    .map((k) => k.item);
}
