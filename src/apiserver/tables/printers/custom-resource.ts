// Rows of custom resources: Name and the CRD's additionalPrinterColumns, or Name and Age when it
// declares none (upstream's columns for custom resources). Column values come from simple JSONPath expressions
// (`.spec.size`, `.status.items[0].name`, `.metadata.labels.app`); filter expressions and
// wildcards are not evaluated (the cell is empty). Dates print as ages, like upstream.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import { rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn } from './columns.js';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The value at a simple JSONPath, or undefined (including for unsupported expressions). */
export function simpleJsonPath(obj: unknown, path: string): unknown {
  const p = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '');
  if (p === '' || /[?*@]/.test(p)) return undefined;
  let cur: unknown = obj;
  for (const m of p.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    else cur = (cur as Record<string, unknown>)[m[1] ?? m[3] ?? ''];
  }
  return cur;
}

function cell(v: unknown, c: PrinterColumn, now: Date): unknown {
  if (v === undefined || v === null) return c.type === 'integer' || c.type === 'number' ? null : '<none>';
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
    cells: (o: Obj, { now }) => [str(rec(o['metadata'])['name']), ...columns.map((c) => cell(simpleJsonPath(o, c.jsonPath), c, now))],
  };
}
