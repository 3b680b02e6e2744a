// `everynode get`: Tables from the server for human output, full objects for custom-columns,
// yaml/json/name/jsonpath, optional watch (-w, --watch-only).
//
// As kubectl: TYPE may be a discovery category (`all`); with more than one resource type the
// names carry their kind (`daemonset.apps/x`) and the tables are separated by a blank line;
// "No resources found" (stderr, exit 0) only when nothing at all was listed; --no-headers drops
// header lines; --sort-by sorts what was listed (sorting.ts; Tables are then asked with the
// whole object in each row).
//
// Watch (-w): one resource type; the first list (or get) is printed, then a watch from THAT
// list's resourceVersion prints every change, so nothing between the two is missed. Columns
// print one row per event, the header with the first row (also when the list was empty).
// Objects print one by one, also those of the first list (never a List): yaml documents
// separated by `---` (before every document but the first), json objects one after the other,
// jsonpath once per object. --watch-only lists only for the resourceVersion and prints the
// changes alone. --output-watch-events prints each change as its event: tables get an EVENT
// column (ADDED for the first list), objects are wrapped in {type, object} (json compact, one
// event a line, as kubectl's printer writes a metav1.WatchEvent).
//
// Go templates as kubectl: `-o go-template=T`, `-o template=T`, `-o go-template-file=F`,
// `-o templatefile=F`, or --template T (with or without -o go-template): the template runs on
// the object (one named object) or on a List of them; a failure prints kubectl's debugging
// block on stdout and the error (jsonpath.ts has the template engine).

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, isNotFound, type ListOptions, resourcePath, WatchDecoder } from '../client.js';
import { CliError, tableAccept, UnreachableError, UntrustedServerError } from '../context.js';
import { TabWriter } from '../tabwriter.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import {
  customColumnCells,
  parseOutputFormat,
  omitManagedFields,
  printObjects,
  tableCells,
  type CustomColumn,
  type Table,
  type TableColumn,
  type TableOptions,
} from '../printers.js';
import { GoTemplateError, goPrint } from '../jsonpath.js';
import { sortByField, sortTemplate } from '../sorting.js';
import { listFlag, type CliContext, explainNotFound, goParseInt, parseTargets, target } from './common.js';
import { goJson, type GoTemplate, goTemplateOf, sortKeys } from './output.js';
import { readManifests } from '../manifests.js';

interface GetOptions {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  watchOnly?: boolean;
  outputWatchEvents?: boolean;
  raw?: string;
  showLabels?: boolean;
  labelColumns?: string[];
  sortBy?: string;
  /** False with --no-headers. */
  headers?: boolean;
  showKind?: boolean;
  showManagedFields?: boolean;
  template?: string;
  chunkSize?: string;
  /** --ignore-not-found: a named object that does not exist is no error. */
  ignoreNotFound?: boolean;
  /** -f: the objects these manifests name (kind, namespace, name), instead of TYPE [NAME...]. */
  filename?: string[];
  recursive?: boolean;
}

/** --chunk-size as kubectl reads it (an int64; 0 or less: one request for the whole list). */
function chunkSize(text: string | undefined): number {
  if (text === undefined) return 500;
  try {
    return Math.max(0, goParseInt(text));
  } catch (e) {
    throw new CliError(`invalid argument ${JSON.stringify(text)} for "--chunk-size" flag: ${(e as Error).message}`);
  }
}

/** parseOutputFormat, with the Go template formats (handled here) among the allowed ones. */
function outputFormat(o: string | undefined): ReturnType<typeof parseOutputFormat> {
  try {
    return parseOutputFormat(o);
  } catch (e) {
    if (e instanceof CliError && e.message.startsWith('unable to match a printer')) {
      throw new CliError(e.message.replace(/allowed formats are: .*$/s, 'allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml'));
    }
    throw e;
  }
}

/** Runs a Go template on `data`; a failure writes kubectl's debugging block to stdout first. */
function runGoTemplate(ctx: CliContext, t: GoTemplate, data: unknown): string {
  try {
    return t.execute(data);
  } catch (e) {
    if (!(e instanceof GoTemplateError)) throw e;
    ctx.out(
      `${e.partial}Error executing template: ${e.message}. Printing more information for debugging the template:\n` +
        `\ttemplate was:\n\t\t${t.raw}\n\traw data was:\n\t\t${goJson(data)}\n\tobject given to template engine was:\n\t\t${goPrint(data)}\n\n`,
    );
    throw new CliError(`error executing template ${JSON.stringify(t.raw)}: ${e.message}`);
  }
}

function query(params: Record<string, string | undefined>): string {
  const p = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return p.length ? '?' + p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`).join('&') : '';
}

/** `-L a,b -L c` -> [a, b, c]. */
function collectKeys(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((k) => k.trim()).filter((k) => k !== '')];
}

export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command('get')
    .description('Display one or many resources (TYPE [NAME...], TYPE1,TYPE2, TYPE/NAME..., or all)')
    .argument('[resources...]', 'TYPE [NAME...] or TYPE/NAME ...')
    .option('-o, --output <format>', 'output format: wide|yaml|json|name|jsonpath=TEMPLATE|go-template=TEMPLATE|go-template-file=FILE|custom-columns=HEADER:PATH,...|custom-columns-file=FILE')
    .option('--template <template>', 'the Go template (or its file) of -o go-template / go-template-file')
    .option('-l, --selector <selector>', 'label selector, e.g. app=x,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=n1')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--watch-only', 'watch for changes without printing the current state first')
    .option('--output-watch-events', 'with -w or --watch-only: print each change as its watch event (an EVENT column, or {type, object}); the first list as ADDED events')
    .option('--show-labels', 'add a LABELS column')
    .option('-L, --label-columns <keys>', 'a column for each of these label keys (comma-separated, repeatable)', collectKeys)
    .option('--sort-by <jsonpath>', 'sort the list by this field, e.g. .metadata.name or {.status.numberReady}')
    .option('--no-headers', 'print tables without their header line')
    .option('--show-kind', 'prefix names with their kind even for one resource type')
    .option('--ignore-not-found', 'a named object that does not exist is no error (nothing printed for it)')
    .option('--show-managed-fields', 'keep metadata.managedFields in yaml and json output')
    .option('--chunk-size <n>', 'list in pages of this many objects (0: all at once)', '500')
    .option('--raw <path>', 'GET this API path and print the answer as it comes, e.g. /healthz, /metrics, /apis')
    .option('-f, --filename <path>', 'get the objects this file, directory or - (stdin) describes (repeatable)', listFlag('-f, --filename', 'get'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .addHelpText(
      'after',
      '\nExamples:\n  everynode get ds\n  everynode get all -A\n  everynode get pods -o wide -l app=x -L tier\n  everynode get ds/x -o jsonpath={.status.numberReady}\n  everynode get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName --sort-by=.spec.nodeName\n  everynode get nodes -w\n',
    )
    .action(async (resources: string[], opts: GetOptions, cmd: Command) => {
      if (opts.raw !== undefined) return getRaw(ctx, cmd, resources, opts.raw);
      // Objects that cannot be got (missing, or -f's in another namespace than -n's): said after
      // the output, as kubectl's aggregate of the builder's errors.
      const deferred: unknown[] = [];
      try {
        await runGet(ctx, cmd, resources, opts, deferred);
      } finally {
        for (const e of deferred) ctx.report(e);
      }
    });
}

/** `get --raw PATH`, as kubectl: the body of a GET of PATH as it comes; a failure is the server's error. */
async function getRaw(ctx: CliContext, cmd: Command, args: string[], path: string): Promise<void> {
  if (args.length > 0) throw new CliError('arguments may not be passed when --raw is specified');
  if (!path.startsWith('/')) throw new CliError(`--raw must be a valid URL path: parse ${JSON.stringify(path)}: invalid URI for request`);
  const res = await ctx.conn(cmd).raw({ path, accept: 'application/json, */*' });
  ctx.out(res.text);
}

function noResources(ctx: CliContext, r: ResourceInfo, allNs: boolean, namespace: string): void {
  ctx.err(r.namespaced && !allNs ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
}

interface Resolved {
  r: ResourceInfo;
  names: string[];
  /** -f: the namespace of each name (each object's own, else the run's), in the order of `names`. */
  namespaces?: string[];
}

/**
 * The (namespace, names) requests of one Resolved: each name in its own namespace for -f,
 * else all of them in the run's namespace `ns`.
 */
function requests({ names, namespaces }: Resolved, ns: string | undefined): { ns: string | undefined; names: string[] }[] {
  return namespaces ? names.map((name, i) => ({ ns: namespaces[i], names: [name] })) : [{ ns, names }];
}

/**
 * `get -f`: the objects the manifests name, as kubectl's resource builder reads them (each in
 * its own namespace, else the run's; -n contradicting one is an error), consecutive objects of
 * one kind in one group, whatever their namespaces, so they print as one table. An object the
 * run cannot get (its namespace is not -n's) goes to `failed`, and the others are got.
 */
async function resolveFiles(ctx: CliContext, cmd: Command, files: string[], recursive: boolean, failed: unknown[]): Promise<Resolved[]> {
  const out: Resolved[] = [];
  const manifests = await readManifests(files, ctx.io, { recursive });
  for (const m of manifests) {
    if (!m.object.metadata.name) throw new CliError(`resource name may not be empty (an object of ${m.source} has no metadata.name)`);
    let got;
    try {
      got = await target(ctx, cmd, m);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      failed.push(e);
      continue;
    }
    const { r, ns, name } = got;
    const last = out[out.length - 1];
    if (last?.namespaces && kindPrefix(last.r) === kindPrefix(r)) {
      last.names.push(name);
      last.namespaces.push(ns);
    } else out.push({ r, names: [name], namespaces: [ns] });
  }
  if (manifests.length === 0) throw new CliError('no objects passed to get');
  return out;
}

/**
 * Lines of aligned columns printed so far, through kubectl's tabwriter (cells padded to the
 * widest plus 3, at least 6; a line's last cell is not padded): later rows (watch events) keep
 * and widen the widths.
 */
class ColumnPrinter {
  private tw = new TabWriter();
  private headerShown: boolean;

  constructor(private readonly ctx: CliContext, private readonly headers: boolean) {
    this.headerShown = !headers;
  }

  private write(lines: string[][]): void {
    this.ctx.out(this.tw.flush(lines.map((l) => l.join('\t')).join('\n')) + '\n');
  }

  /** Prints a block (a list): its header (when wanted) and rows, aligned together. */
  block(header: string[], rows: string[][], separated: boolean): void {
    // Each list stands alone; its header counts even while it is not printed yet (-w on an
    // empty list), not with --no-headers.
    this.tw = new TabWriter();
    if (rows.length === 0) {
      if (this.headers) this.tw.flush(header.join('\t'));
      return;
    }
    if (separated && this.headers) this.ctx.out('\n');
    this.write([...(this.headers ? [header] : []), ...rows]);
    this.headerShown = true;
  }

  /** Rows of a watch event; as kubectl, the header comes with the first row ever printed. */
  rows(header: string[], rows: string[][]): void {
    if (rows.length === 0) return;
    this.write([...(this.headerShown ? [] : [header]), ...rows]);
    this.headerShown = true;
  }
}

async function runGet(ctx: CliContext, cmd: Command, args: string[], opts: GetOptions, deferred: unknown[]): Promise<void> {
  const goTemplate = goTemplateOf(opts.output, opts.template);
  // A Go template prints full objects as jsonpath does (managed fields kept, a List for several).
  const format = goTemplate ? ({ kind: 'jsonpath', template: '' } as const) : outputFormat(opts.output);
  // --output-watch-events: kubectl's EVENT column (the type padded to 8, as its table printer
  // pads it), or each object wrapped in its watch event {type, object}.
  const events = opts.outputWatchEvents === true && (opts.watch === true || opts.watchOnly === true);
  const withEvents = (cells: { header: string[]; rows: string[][] }, type: string): { header: string[]; rows: string[][] } =>
    events ? { header: ['EVENT', ...cells.header], rows: cells.rows.map((row) => [type.padEnd(8), ...row]) } : cells;
  const sortBy = opts.sortBy !== undefined && opts.sortBy !== '' ? sortTemplate(opts.sortBy) : undefined;
  const watch = opts.watch === true || opts.watchOnly === true;
  if (watch && sortBy) ctx.err('warning: --watch requested, --sort-by will be ignored for watch events received\n');
  const fromFiles = (opts.filename ?? []).length > 0;
  if (fromFiles && args.length > 0) throw new CliError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
  const targets = parseTargets(args);
  if (targets.length === 0 && !fromFiles) throw new CliError('you must specify the type of resource to get, e.g. "everynode get ds"');
  const conn = ctx.conn(cmd);
  const disco = ctx.discovery(cmd);
  // Categories (`all`) expand to their member resources, in discovery order.
  const resolved: Resolved[] = fromFiles ? await resolveFiles(ctx, cmd, opts.filename!, opts.recursive === true, deferred) : [];
  for (const t of targets) {
    for (const r of await disco.expand(t.type)) {
      // A type named twice (`ds,ds`, `all,ds`) is listed once, as kubectl's builder does.
      if (t.names.length === 0 && resolved.some((x) => x.r === r && x.names.length === 0 && !x.namespaces)) continue;
      resolved.push({ r, names: t.names });
    }
  }
  if (watch && resolved.length > 1) throw new CliError('you may only specify a single resource type with --watch');
  const allNs = opts.allNamespaces === true;
  if (resolved.some((t) => t.names.length > 0) && allNs && !fromFiles) {
    // kubectl allows it for cluster-scoped kinds; namespaced names need a namespace.
    if (resolved.some((t) => t.names.length > 0 && t.r.namespaced)) throw new CliError('a resource cannot be retrieved by name across all namespaces');
  }
  const ns = allNs ? undefined : conn.namespace;
  const headers = opts.headers !== false;
  const printer = new ColumnPrinter(ctx, headers);
  const nothingNamed = resolved.every((t) => t.names.length === 0);

  if (format.kind === 'table') {
    // As kubectl: everything is read first (failures said after the output), then printed;
    // names get their `kind.group/` prefix when what was read holds more than one resource type.
    const fetched: { t: Resolved; tables: Table[]; rv: string }[] = [];
    for (const t of resolved) {
      const tables: Table[] = [];
      let rv = '';
      for (const q of requests(t, ns)) {
        const got = await listTables(ctx, cmd, t.r, q.ns, q.names, opts, sortBy !== undefined, deferred);
        tables.push(...got.tables);
        rv = got.rv;
      }
      fetched.push({ t, tables, rv });
    }
    const withKind = opts.showKind === true || new Set(fetched.filter((f) => f.tables.length > 0).map((f) => f.t.r)).size > 1;
    let written = false;
    let last: { r: ResourceInfo; rv: string; names: string[]; topts: TableOptions; ns: string | undefined } | undefined;
    /** As kubectl with -A: after a namespaced kind (rows or none), the cluster-scoped kinds keep a NAMESPACE column, empty. */
    let namespaceColumn = false;
    for (const { t, tables, rv } of fetched) {
      const { r, names } = t;
      namespaceColumn ||= allNs && r.namespaced;
      const topts: TableOptions = {
        wide: format.wide,
        withNamespace: namespaceColumn,
        showLabels: opts.showLabels === true,
        labelColumns: opts.labelColumns ?? [],
        ...(withKind ? { kindPrefix: kindPrefix(r) } : {}),
      };
      const columns = tables.find((t) => t.columnDefinitions && t.columnDefinitions.length > 0)?.columnDefinitions ?? [];
      let rows = tables.flatMap((t) => t.rows ?? []);
      if (sortBy) rows = sortByField(rows, sortBy, (row) => row.object);
      const cells = withEvents(tableCells(columns, rows, topts), 'ADDED');
      printer.block(cells.header, opts.watchOnly ? [] : cells.rows, written);
      if (cells.rows.length > 0 && !opts.watchOnly) written = true;
      last = { r, rv, names, topts, ns: t.namespaces?.[0] ?? ns };
    }
    if (!written && !watch && nothingNamed && !opts.ignoreNotFound) noResources(ctx, resolved[0]!.r, allNs, conn.namespace);
    if (watch && last) {
      const { r, rv, names, topts } = last;
      if (!watchable(names, written || opts.watchOnly === true, opts)) return;
      let defs: TableColumn[] | null = null;
      await streamEvents(ctx, cmd, watchPath(r, last.ns, rv, names, opts), tableAccept, (type, obj) => {
        const t = obj as Table;
        if (t.columnDefinitions && t.columnDefinitions.length > 0) defs = t.columnDefinitions;
        const cells = withEvents(tableCells(defs ?? [], t.rows ?? [], topts), type);
        printer.rows(cells.header, cells.rows);
      });
    }
    return;
  }

  // Full objects. Without watch, like kubectl: one named object is printed alone (and nothing
  // at all when it is missing: the error says it); anything else becomes a List.
  let objects: KubeObject[] = [];
  let rv = '';
  for (const t of resolved) {
    for (const q of requests(t, ns)) {
      const got = await listObjects(ctx, cmd, t.r, q.ns, q.names, opts, deferred);
      objects.push(...got.objects);
      rv = got.rv;
    }
  }
  if (sortBy) objects = sortByField(objects, sortBy, (o) => o);
  const showManaged = opts.showManagedFields === true;

  if (format.kind === 'custom-columns') {
    const header = format.columns.map((c) => c.header);
    const rows = objects.map((o) => customColumnCells(format.columns, events ? watchEvent('ADDED', o, showManaged) : o));
    printer.block(header, opts.watchOnly ? [] : rows, false);
    // As kubectl's custom-columns printer (not a human-readable table): an empty list is its
    // header alone, and no "No resources found".
    if (objects.length === 0 && !watch && headers) ctx.out(new TabWriter().flush(header.join('\t')) + '\n');
    if (watch && watchable(resolved[0]!.names, objects.length > 0, opts)) await watchCustomColumns(ctx, cmd, resolved[0]!, resolved[0]!.namespaces?.[0] ?? ns, rv, opts, format.columns, printer, events);
    return;
  }

  const single = resolved.length === 1 && resolved[0]!.names.length === 1;
  const prefixOf = (o: KubeObject): string => kindPrefixOf(resolved, o);
  const render = (objs: KubeObject[], asList: boolean): string =>
    goTemplate
      ? runGoTemplate(ctx, goTemplate, asList ? { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objs } : objs[0])
      : printObjects(objs, format, asList, prefixOf, showManaged, true);
  if (watch) {
    // One object at a time, the first list's included (see the file comment).
    let printed = 0;
    const print = (o: KubeObject, type: string): void => {
      let text: string;
      if (!events || format.kind === 'name') text = render([o], false);
      // kubectl's JSON printer writes a watch event compact, on one line, as its Go struct orders it.
      else if (format.kind === 'json') text = `{"type":${JSON.stringify(type)},"object":${goJson(showManaged ? o : omitManagedFields(o))}}\n`;
      else text = goTemplate ? runGoTemplate(ctx, goTemplate, watchEvent(type, o, showManaged)) : printObjects([watchEvent(type, o, showManaged)], format, false, prefixOf, true, true);
      ctx.out(format.kind === 'yaml' && printed > 0 ? `---\n${text}` : text);
      printed++;
    };
    if (!opts.watchOnly) for (const o of objects) print(o, 'ADDED');
    const { r, names } = resolved[0]!;
    if (!watchable(names, objects.length > 0, opts)) return;
    await streamEvents(ctx, cmd, watchPath(r, resolved[0]!.namespaces?.[0] ?? ns, rv, names, opts), 'application/json', (type, obj) => print(typed(r, obj as KubeObject), type));
    return;
  }
  // json, yaml, name, jsonpath, templates: kubectl prints what the format makes of the empty
  // list (`-o name`: nothing) and says nothing on stderr; "No resources found" is for tables.
  if (objects.length === 0 && nothingNamed && format.kind === 'name') return;
  if (objects.length > 0 || (format.kind !== 'name' && !single)) {
    ctx.out(render(objects, !single));
  }
}

const typed = (r: ResourceInfo, o: KubeObject): KubeObject => ({ ...o, apiVersion: o.apiVersion ?? apiVersionOf(r), kind: o.kind ?? r.kind });

/**
 * The Tables of one resource (all pages, or one per name; a name that cannot be read goes to
 * `failures`, said after the output, and the others go on) and the resourceVersion to watch from. `withObjects` asks for whole objects in
 * the rows (--sort-by).
 */
async function listTables(ctx: CliContext, cmd: Command, r: ResourceInfo, ns: string | undefined, names: string[], opts: GetOptions, withObjects: boolean, failures: unknown[]): Promise<{ tables: Table[]; rv: string }> {
  const conn = ctx.conn(cmd);
  const includeObject = withObjects ? 'Object' : undefined;
  const tables: Table[] = [];
  let rv = '';
  if (names.length > 0) {
    for (const name of names) {
      try {
        const t = await conn.rawJson<Table>({ path: resourcePath(r, ns, name) + query({ includeObject }), accept: tableAccept });
        tables.push(t);
        rv = t.rows?.[0]?.object?.metadata?.resourceVersion ?? rv;
      } catch (err) {
        const e = await explainNotFound(conn, r.namespaced ? ns ?? '' : '', err);
        if (e instanceof UnreachableError || e instanceof UntrustedServerError) throw e;
        if (!(opts.ignoreNotFound && isNotFound(e))) failures.push(e);
      }
    }
    return { tables, rv };
  }
  const chunk = chunkSize(opts.chunkSize);
  const limit = chunk > 0 ? String(chunk) : undefined;
  let cont: string | undefined;
  do {
    const t = await conn.rawJson<Table>({
      path: resourcePath(r, ns) + query({ labelSelector: opts.selector, fieldSelector: opts.fieldSelector, limit, continue: cont, includeObject }),
      accept: tableAccept,
    });
    tables.push(t);
    rv ||= t.metadata?.resourceVersion ?? '';
    cont = (limit && t.metadata?.continue) || undefined;
  } while (cont);
  return { tables, rv };
}

/** Full objects of one resource (a name that cannot be read goes to `failures`, the others go on) and the resourceVersion to watch from. */
async function listObjects(ctx: CliContext, cmd: Command, r: ResourceInfo, ns: string | undefined, names: string[], opts: GetOptions, failures: unknown[]): Promise<{ objects: KubeObject[]; rv: string }> {
  const conn = ctx.conn(cmd);
  const objects: KubeObject[] = [];
  let rv = '';
  if (names.length > 0) {
    for (const name of names) {
      try {
        const o = typed(r, await conn.client.get(r, ns ?? '', name));
        objects.push(o);
        rv = o.metadata.resourceVersion ?? rv;
      } catch (err) {
        const e = await explainNotFound(conn, r.namespaced ? ns ?? '' : '', err);
        if (e instanceof UnreachableError || e instanceof UntrustedServerError) throw e;
        if (!(opts.ignoreNotFound && isNotFound(e))) failures.push(e);
      }
    }
    return { objects, rv };
  }
  const opt: ListOptions = {};
  if (ns !== undefined) opt.namespace = ns;
  if (opts.selector) opt.labelSelector = opts.selector;
  if (opts.fieldSelector) opt.fieldSelector = opts.fieldSelector;
  // --chunk-size: pages of that many (one consistent snapshot, the pages joined), as kubectl asks.
  const chunk = chunkSize(opts.chunkSize);
  if (chunk > 0) opt.limit = chunk;
  for (;;) {
    const list = await conn.client.list(r, opt);
    for (const o of list.items) objects.push(typed(r, o));
    rv = list.metadata?.resourceVersion ?? rv;
    const next = list.metadata?.continue;
    if (chunk === 0 || !next) return { objects, rv };
    opt.continue = next;
  }
}

async function watchCustomColumns(ctx: CliContext, cmd: Command, { r, names }: Resolved, ns: string | undefined, rv: string, opts: GetOptions, columns: CustomColumn[], printer: ColumnPrinter, events: boolean): Promise<void> {
  const header = columns.map((c) => c.header);
  await streamEvents(ctx, cmd, watchPath(r, ns, rv, names, opts), 'application/json', (type, obj) => {
    const o = typed(r, obj as KubeObject);
    printer.rows(header, [customColumnCells(columns, events ? watchEvent(type, o, opts.showManagedFields === true) : o)]);
  });
}

/**
 * kubectl's metav1.WatchEvent of an object for --output-watch-events, as the printers read it
 * (an unstructured map: keys sorted; managedFields dropped unless kept).
 */
function watchEvent(type: string, o: KubeObject, showManagedFields: boolean): KubeObject {
  return sortKeys({ type, object: showManagedFields ? o : omitManagedFields(o) }) as unknown as KubeObject;
}

function kindPrefixOf(resolved: { r: ResourceInfo }[], o: KubeObject): string {
  const r = resolved.find((x) => x.r.kind === o.kind && apiVersionOf(x.r) === o.apiVersion)?.r ?? resolved[0]!.r;
  return kindPrefix(r);
}

/**
 * Whether the watch after a first listing of `names` goes on, as kubectl's: several names are an
 * error (one watch cannot follow them), and a single name not found (already reported, the
 * exit code set) ends the command, unless --ignore-not-found.
 */
function watchable(names: string[], found: boolean, opts: GetOptions): boolean {
  if (names.length > 1) throw new CliError('you may only watch a single resource or type of resource at a time');
  return names.length === 0 || found || opts.ignoreNotFound === true;
}

/** Streams a watch; ends silently when the server closes the stream (as kubectl does). */
async function streamEvents(ctx: CliContext, cmd: Command, path: string, accept: string, onEvent: (type: string, object: unknown) => void): Promise<void> {
  const res = await ctx.conn(cmd).stream({ path, accept });
  const decoder = new WatchDecoder();
  const handle = (evs: { type: string; object: unknown }[]) => {
    for (const ev of evs) {
      if (ev.type === 'ERROR') {
        const s = ev.object as { message?: string; reason?: string };
        throw new CliError(`watch error from server (${s.reason ?? 'Unknown'}): ${s.message ?? ''}`);
      }
      if (ev.type === 'BOOKMARK') continue;
      onEvent(ev.type, ev.object);
    }
  };
  for await (const chunk of res.body) handle(decoder.push(chunk));
  handle(decoder.end());
}

function watchPath(r: ResourceInfo, ns: string | undefined, rv: string, names: string[], opts: GetOptions): string {
  const fieldSelector = names.length === 1 ? [`metadata.name=${names[0]}`, opts.fieldSelector].filter(Boolean).join(',') : opts.fieldSelector;
  return resourcePath(r, ns) + query({ watch: 'true', resourceVersion: rv || undefined, labelSelector: opts.selector, fieldSelector });
}
