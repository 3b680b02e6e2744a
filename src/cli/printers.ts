// Output formats of `get`: server-side Tables printed like kubectl (upper-case headers, 3-space
// gutters, priority>0 columns only with -o wide, NAMESPACE from row object metadata with -A,
// one column per -L label key (headed by the key's last path segment, upper-cased; empty when
// the object lacks the label), LABELS with --show-labels, sorted by key; names prefixed
// `kind.group/` when several kinds are printed), custom columns of full objects
// (`-o custom-columns=HEADER:JSONPATH,...`: headers as given, the values a path finds joined
// by `,`, `<none>` when it finds none), and yaml/json/name/jsonpath renderings of objects (yaml
// and json without metadata.managedFields unless asked, as kubectl's --show-managed-fields; yaml
// byte for byte as kubectl prints it: keys sorted, YAML 1.1 look-alike strings quoted, see
// util/yaml.ts).

import type { KubeObject } from '../api/types.js';
import { goEscape, writeYaml } from '../util/index.js';
import { kindPrefix } from './discovery.js';
import { CliError } from './context.js';
import { readFileSync } from 'node:fs';
import { evaluatePath, executeTemplate, findValues, goNumber, goPrint, goSyntax, JsonPathError, JsonPathExecError, parseTemplate, relaxedJsonPath } from './jsonpath.js';

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
  /** -L: label keys shown as columns, after the table's columns. */
  labelColumns?: string[];
  /** `daemonset.apps`: prefix the name column with `<kindPrefix>/` (several kinds printed). */
  kindPrefix?: string;
}

/**
 * A Table cell as kubectl's table printer writes it: nothing for a null cell (a custom
 * resource's column that finds no value), a string up to its first line break (`\n`, `\r` or
 * `\f`) and then `...`, anything else as Go's %v prints it (`1e+20`).
 */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') {
    const cut = v.search(/[\f\n\r]/);
    return cut < 0 ? v : `${v.slice(0, cut)}...`;
  }
  return goPrint(v);
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
  const labelColumns = o.labelColumns ?? [];
  const header = keep.map(({ c }) => c.name.toUpperCase());
  if (o.withNamespace) header.unshift('NAMESPACE');
  for (const key of labelColumns) header.push((key.split('/').at(-1) ?? key).toUpperCase());
  if (o.showLabels) header.push('LABELS');
  const nameColumn = o.kindPrefix === undefined ? -1 : columns.findIndex((c) => c.format === 'name' && (c.type ?? 'string') === 'string');
  const out = rows.map((r) => {
    const cells = keep.map(({ i }) => (i === nameColumn ? `${o.kindPrefix!}/${cellText(r.cells[i])}` : cellText(r.cells[i])));
    if (o.withNamespace) cells.unshift(r.object?.metadata?.namespace ?? '');
    for (const key of labelColumns) cells.push(r.object?.metadata?.labels?.[key] ?? '');
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

export interface CustomColumn {
  header: string;
  /** The relaxed JSONPath as a template (`{.metadata.name}`). */
  template: string;
}

export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'custom-columns'; columns: CustomColumn[] }
  | { kind: 'yaml' }
  | { kind: 'json' }
  | { kind: 'name' }
  /** asJson: -o jsonpath-as-json (renderJsonPathAsJson). */
  | { kind: 'jsonpath'; template: string; asJson?: boolean };

/** The formats printed from full objects one by one (not columns). */
export type ObjectFormat = Exclude<OutputFormat, { kind: 'table' } | { kind: 'custom-columns' }>;

function customColumn(header: string, path: string): CustomColumn {
  try {
    const template = relaxedJsonPath(path);
    findValues(template, {}); // syntax check before any request
    return { header, template };
  } catch (e) {
    if (e instanceof JsonPathError) throw new CliError(`error parsing custom-columns path ${JSON.stringify(path)}: ${e.message}`);
    throw e;
  }
}

/** `-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName` (kubectl splits at every comma). */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === '') throw new CliError('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon < 0) throw new CliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return customColumn(part.slice(0, colon), part.slice(colon + 1));
  });
}

/** `-o custom-columns-file=FILE`: headers on the first line, paths on the second, split at whitespace. */
function customColumnsFile(path: string): CustomColumn[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`error reading custom-columns file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headers = (lines[0] ?? '').trim().split(/\s+/).filter((x) => x !== '');
  const paths = (lines[1] ?? '').trim().split(/\s+/).filter((x) => x !== '');
  if (headers.length === 0 || headers.length !== paths.length) throw new CliError(`custom-columns file ${path}: expected a line of headers and a line with as many paths, got ${headers.length} and ${paths.length}`);
  return headers.map((h, i) => customColumn(h, paths[i]!));
}

/** The cells of one object under custom columns. */
export function customColumnCells(columns: CustomColumn[], o: KubeObject): string[] {
  return columns.map((c) => {
    const values = findValues(c.template, o);
    return values.length === 0 ? '<none>' : values.map((v) => (v === null || v === undefined ? '<none>' : goValueText(v))).join(',');
  });
}

/** A value as Go's %v prints it (what kubectl's custom columns show): `[a b]`, `map[k:v]` with sorted keys. */
export function goValueText(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[${v.map(goValueText).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as Record<string, unknown>).sort();
    return `map[${keys.map((k) => `${k}:${goValueText((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

export function parseOutputFormat(o: string | undefined): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'yaml' || o === 'json' || o === 'name') return { kind: o };
  if (o.startsWith('custom-columns=')) return { kind: 'custom-columns', columns: parseCustomColumns(o.slice('custom-columns='.length)) };
  if (o.startsWith('custom-columns-file=')) return { kind: 'custom-columns', columns: customColumnsFile(o.slice('custom-columns-file='.length)) };
  const m = /^jsonpath(-as-json|-file)?=(.*)$/s.exec(o);
  if (m) {
    const template = m[1] === '-file' ? readTemplateFile(m[2] ?? '') : (m[2] ?? '');
    try {
      executeTemplate(template, {}); // syntax check before any request
    } catch (e) {
      if (e instanceof JsonPathError) throw new CliError(`error parsing jsonpath ${template}: ${e.message}`);
      throw e;
    }
    return { kind: 'jsonpath', template, ...(m[1] === '-as-json' ? { asJson: true } : {}) };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,name,wide,yaml`);
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
  format: ObjectFormat,
  asList: boolean,
  prefixOf: (o: KubeObject) => string,
  showManagedFields = false,
  /** JSON (and the maps jsonpath prints) with every map's keys sorted, as kubectl writes the unstructured objects of `get`. */
  sortJsonKeys = false,
): string {
  const shown = (format.kind === 'yaml' || format.kind === 'json') && !showManagedFields ? objects.map(omitManagedFields) : objects;
  const data: unknown = asList ? { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: shown } : shown[0];
  switch (format.kind) {
    case 'json':
      return JSON.stringify(sortJsonKeys ? sortedKeys(data) : data, null, 4) + '\n';
    case 'yaml':
      return writeYaml(data);
    case 'name':
      return objects.map((o) => `${prefixOf(o)}/${o.metadata.name ?? ''}\n`).join('');
    case 'jsonpath': {
      // Maps print with their keys sorted too (`{.spec.updateStrategy}`), as Go's encoding of them.
      const read = sortJsonKeys ? sortedKeys(data) : data;
      try {
        return format.asJson ? renderJsonPathAsJson(format.template, read) : executeTemplate(format.template, read);
      } catch (e) {
        // As kubectl: a template that cannot run on this data says so with the data it was given.
        if (e instanceof JsonPathExecError) {
          throw new CliError(
            `error executing jsonpath ${JSON.stringify(format.template)}: Error executing template: ${e.message}. Printing more information for debugging the template:\n` +
              `\ttemplate was:\n\t\t${format.template}\n\tobject given to jsonpath engine was:\n\t\t${goSyntax(data)}\n\n`,
          );
        }
        throw new CliError(`error executing jsonpath ${JSON.stringify(format.template)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

export { kindPrefix };

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `v` with the keys of every map sorted, as Go's encoding/json writes a map. */
export function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort(byteOrder)) out[k] = sortedKeys(o[k]);
  return out;
}

/** A --template / -o *-file template read as kubectl reads it, its failure worded as kubectl's. */
export function readTemplateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`error reading --template ${path}, open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/** Go's encoding/json escapes of HTML characters and line separators, which kubectl's JSON output carries. */

/**
 * kubectl's -o jsonpath-as-json: each part of the template prints, as an indented JSON array,
 * what it finds (a range part: its text). Throws JsonPathError for a template that does not parse.
 */
export function renderJsonPathAsJson(template: string, obj: unknown): string {
  return parseTemplate(template)
    .map((n) => {
      const values = n.t === 'expr' ? evaluatePath(n.steps, obj) : n.t === 'range' ? [executeTemplate(template, obj)] : [n.text];
      return goEscape(JSON.stringify(values, null, 4)) + '\n';
    })
    .join('');
}
