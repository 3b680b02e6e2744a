// Rows of custom resources: Name and the CRD's additionalPrinterColumns, or Name and Age when it
// declares none (upstream's columns for custom resources). A column shows the first value its
// JSONPath reaches (util/jsonpath.ts, kubectl's too: fields, indexes, wildcards, filters such as
// `.status.conditions[?(@.type=="Ready")].status`), or null when it reaches none, as upstream's
// table convertor. Dates print as ages, like upstream; a value of another JSON type than its
// column's is a null cell (see cell).

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { rec, str, type Obj } from '../format.js';
import { col, nameColumn } from './columns.js';
import { jsonPathValues } from '../../../util/index.js';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The first value a JSONPath reaches (util/jsonpath.ts), or undefined. */
export function simpleJsonPath(obj: unknown, path: string): unknown {
  return jsonPathValues(obj, path)[0];
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A cell as upstream's convertor makes it from the value found: a string column holds any
 * value as text; the other types take only a value of their JSON type (an integer column truncates a
 * float, as Go's int64 conversion), else the cell is null; a date that is no RFC 3339 time is
 * `<invalid>`, a valid one an age.
 */
function cell(v: unknown, c: PrinterColumn, now: Date): unknown {
  if (v === undefined || v === null) return null;
  switch (c.type) {
    case 'integer':
      return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      if (typeof v !== 'string') return null;
      // '' and 'null' are the zero time to upstream's parser: an age of <unknown>.
      if (v === '' || v === 'null') return translateTimestampSince(undefined, now);
      return rfc3339.test(v) && !Number.isNaN(Date.parse(v)) ? translateTimestampSince(v, now) : '<invalid>';
    default:
      // A string column holds the text the JSONPath printer writes.
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** The column a CRD version that declares none gets (upstream's serveDefaultColumnsIfEmpty). */
const defaultColumns: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];

/**
 * A column's description: its own, else upstream's `Custom resource definition column (in
 * JSONPath format): <path>` (which clients read to tell what a column shows).
 */
function descriptionOf(c: PrinterColumn): string {
  return c.description ? c.description : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`;
}

export function customResourcePrinter(declared: PrinterColumn[]): TablePrinter {
  const columns = declared.length > 0 ? declared : defaultColumns;
  return {
    columns: [nameColumn(), ...columns.map((c) => col(c.name, c.type, descriptionOf(c), c.priority ?? 0, c.format ?? ''))],
    cells: (o: Obj, { now }) => [str(rec(o['metadata'])['name']), ...columns.map((c) => cell(jsonPathValues(o, c.jsonPath)[0], c, now))],
  };
}
