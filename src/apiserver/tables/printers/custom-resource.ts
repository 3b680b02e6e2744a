// Rows of custom resources: Name and the CRD's additionalPrinterColumns, or Name and Age when it
// declares none (upstream's columns for custom resources). A column shows the first value its
// JSONPath reaches (util/jsonpath.ts, kubectl's too: fields, indexes, wildcards, filters such as
// `.status.conditions[?(@.type=="Ready")].status`), or null when it reaches none, as upstream's
// table convertor. Dates print as ages, like upstream.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn } from './columns.js';
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

function cell(v: unknown, c: PrinterColumn, now: Date): unknown {
  if (v === undefined || v === null) return null;
  if (c.type === 'date') return translateTimestampSince(v, now);
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

export function customResourcePrinter(columns: PrinterColumn[]): TablePrinter {
  if (columns.length === 0) {
    return {
      columns: [nameColumn(), ageColumn()],
      cells: (o: Obj, { now }) => {
        const meta = rec(o['metadata']);
        return [str(meta['name']), translateTimestampSince(meta['creationTimestamp'], now)];
      },
    };
  }
  return {
    columns: [nameColumn(), ...columns.map((c) => col(c.name, c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
    cells: (o: Obj, { now }) => [str(rec(o['metadata'])['name']), ...columns.map((c) => cell(jsonPathValues(o, c.jsonPath)[0], c, now))],
  };
}
