// Output formats of `get`: server-side Tables printed like kubectl (upper-case headers, 3-space
// gutters, priority>0 columns only with -o wide, NAMESPACE from row object metadata with -A,
// LABELS with --show-labels, sorted by key; names prefixed `kind.group/` when several kinds are
// printed), and yaml/json/name/jsonpath renderings of objects (yaml and json without
// metadata.managedFields unless asked, as kubectl's --show-managed-fields).

import { stringify } from 'yaml';
import type { KubeObject } from '../api/types.js';
import { kindPrefix } from './discovery.js';
import { CliError } from './context.js';
import { executeTemplate, JsonPathError } from './jsonpath.js';

export interface TableColumn {
  name: string;
  type?: string;
  /** `name` marks the column that holds the object name (kubectl prefixes it with the kind). */
  format?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string } };
}

export interface Table {
  kind: 'Table';
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumn[] | null;
  rows: TableRow[] | null;
}

export interface TableOptions {
  wide: boolean;
  withNamespace: boolean;
  showLabels: boolean;
  /** `daemonset.apps`: prefix the name column with `<kindPrefix>/` (several kinds printed). */
  kindPrefix?: string;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Label or annotation entries sorted by key (kubectl's order everywhere it prints them). */
export function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function labelsText(labels: Record<string, string> | undefined): string {
  const e = sortedEntries(labels);
  return e.length === 0 ? '<none>' : e.map(([k, v]) => `${k}=${v}`).join(',');
}

/** The header and the text cells of every row, columns already filtered. */
export function tableCells(columns: TableColumn[], rows: TableRow[], o: TableOptions): { header: string[]; rows: string[][] } {
  const keep = columns.map((c, i) => ({ c, i })).filter(({ c }) => o.wide || (c.priority ?? 0) === 0);
  const header = keep.map(({ c }) => c.name.toUpperCase());
  if (o.withNamespace) header.unshift('NAMESPACE');
  if (o.showLabels) header.push('LABELS');
  const nameColumn = o.kindPrefix === undefined ? -1 : columns.findIndex((c) => c.format === 'name' && (c.type ?? 'string') === 'string');
  const out = rows.map((r) => {
    const cells = keep.map(({ i }) => (i === nameColumn ? `${o.kindPrefix!}/${cellText(r.cells[i])}` : cellText(r.cells[i])));
    if (o.withNamespace) cells.unshift(r.object?.metadata?.namespace ?? '');
    if (o.showLabels) cells.push(labelsText(r.object?.metadata?.labels));
    return cells;
  });
  return { header, rows: out };
}

/** Column widths for aligned output (the last column is never padded). */
export function columnWidths(lines: string[][]): number[] {
  const w: number[] = [];
  for (const l of lines) l.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, c.length)));
  return w;
}

export function alignLine(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? c.length)))
    .join('   ')
    .trimEnd();
}

/** kubectl's aligned table text (header first), with a trailing newline. */
export function formatRows(lines: string[][]): string {
  const widths = columnWidths(lines);
  return lines.map((l) => alignLine(l, widths) + '\n').join('');
}

export function printTable(t: Table, o: TableOptions): string {
  const { header, rows } = tableCells(t.columnDefinitions ?? [], t.rows ?? [], o);
  return formatRows([header, ...rows]);
}

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'yaml' } | { kind: 'json' } | { kind: 'name' } | { kind: 'jsonpath'; template: string };

export function parseOutputFormat(o: string | undefined): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'yaml' || o === 'json' || o === 'name') return { kind: o };
  const m = /^jsonpath(?:-as-json)?=(.*)$/s.exec(o);
  if (m) {
    const template = m[1] ?? '';
    try {
      executeTemplate(template, {}); // syntax check before any request
    } catch (e) {
      if (e instanceof JsonPathError) throw new CliError(`error parsing jsonpath ${template}: ${e.message}`);
      throw e;
    }
    return { kind: 'jsonpath', template };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,name,wide,yaml`);
}

/** A copy of `o` without metadata.managedFields (the object itself when it has none). */
export function omitManagedFields(o: KubeObject): KubeObject {
  if (o.metadata?.managedFields === undefined) return o;
  const { managedFields: _omit, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/**
 * Renders full objects (a single object, or a kubectl `List` when `asList`). yaml and json
 * leave out metadata.managedFields unless `showManagedFields`.
 */
export function printObjects(
  objects: KubeObject[],
  format: Exclude<OutputFormat, { kind: 'table' }>,
  asList: boolean,
  prefixOf: (o: KubeObject) => string,
  showManagedFields = false,
): string {
  const shown = (format.kind === 'yaml' || format.kind === 'json') && !showManagedFields ? objects.map(omitManagedFields) : objects;
  const data: unknown = asList ? { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: shown } : shown[0];
  switch (format.kind) {
    case 'json':
      return JSON.stringify(data, null, 4) + '\n';
    case 'yaml':
      return stringify(data, { lineWidth: 0 });
    case 'name':
      return objects.map((o) => `${prefixOf(o)}/${o.metadata.name ?? ''}\n`).join('');
    case 'jsonpath':
      try {
        return executeTemplate(format.template, data);
      } catch (e) {
        throw new CliError(`error executing jsonpath ${JSON.stringify(format.template)}: ${e instanceof Error ? e.message : String(e)}`);
      }
  }
}

export { kindPrefix };
