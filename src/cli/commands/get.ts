// `everynode get`: Tables from the server for human output, full objects for yaml/json/name/
// jsonpath, optional watch (-w) that prints one row per event.
//
// As kubectl: TYPE may be a discovery category (`all`); with more than one resource type the
// names carry their kind (`daemonset.apps/x`) and the tables are separated by a blank line;
// "No resources found" (stderr, exit 0) only when nothing at all was listed; -w prints the
// header with the first row; --no-headers drops header lines.

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, resourcePath, WatchDecoder } from '../../client/index.js';
import { CliError, tableAccept } from '../context.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import { alignLine, columnWidths, parseOutputFormat, printObjects, tableCells, type OutputFormat, type Table, type TableOptions } from '../printers.js';
import { type CliContext, parseTargets } from './common.js';

interface GetOptions {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  showLabels?: boolean;
  /** False with --no-headers. */
  headers?: boolean;
  showKind?: boolean;
  showManagedFields?: boolean;
}

function query(params: Record<string, string | undefined>): string {
  const p = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return p.length ? '?' + p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`).join('&') : '';
}

export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command('get')
    .description('Display one or many resources (TYPE [NAME...], TYPE1,TYPE2, TYPE/NAME..., or all)')
    .argument('[resources...]', 'TYPE [NAME...] or TYPE/NAME ...')
    .option('-o, --output <format>', 'output format: wide|yaml|json|name|jsonpath=TEMPLATE')
    .option('-l, --selector <selector>', 'label selector, e.g. app=x,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=n1')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--show-labels', 'add a LABELS column')
    .option('--no-headers', 'print tables without their header line')
    .option('--show-kind', 'prefix names with their kind even for one resource type')
    .option('--show-managed-fields', 'keep metadata.managedFields in yaml and json output')
    .addHelpText('after', '\nExamples:\n  everynode get ds\n  everynode get all -A\n  everynode get pods -o wide -l app=x\n  everynode get ds/x -o jsonpath={.status.numberReady}\n  everynode get nodes -w\n')
    .action(async (resources: string[], opts: GetOptions, cmd: Command) => {
      await runGet(ctx, cmd, resources, opts);
    });
}

function noResources(ctx: CliContext, r: ResourceInfo, allNs: boolean, namespace: string): void {
  ctx.err(r.namespaced && !allNs ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
}

async function runGet(ctx: CliContext, cmd: Command, args: string[], opts: GetOptions): Promise<void> {
  const format = parseOutputFormat(opts.output);
  const targets = parseTargets(args);
  if (targets.length === 0) throw new CliError('you must specify the type of resource to get, e.g. "everynode get ds"');
  const conn = ctx.conn(cmd);
  const disco = ctx.discovery(cmd);
  // Categories (`all`) expand to their member resources, in discovery order.
  const resolved: { r: ResourceInfo; names: string[] }[] = [];
  for (const t of targets) for (const r of await disco.expand(t.type)) resolved.push({ r, names: t.names });
  if (opts.watch && resolved.length > 1) throw new CliError('you may only specify a single resource type with --watch');
  const allNs = opts.allNamespaces === true;
  if (resolved.some((t) => t.names.length > 0) && allNs) {
    // kubectl allows it for cluster-scoped kinds; namespaced names need a namespace.
    if (resolved.some((t) => t.names.length > 0 && t.r.namespaced)) throw new CliError('a resource cannot be retrieved by name across all namespaces');
  }
  // kubectl prefixes names with `kind.group/` as soon as more than one resource type is requested.
  const withKind = opts.showKind === true || new Set(resolved.map((t) => t.r)).size > 1;
  const headers = opts.headers !== false;

  if (format.kind === 'table') {
    let written = false;
    let watchFrom: { r: ResourceInfo; rv: string; names: string[]; widths: number[]; topts: TableOptions; headerShown: boolean } | undefined;
    for (const { r, names } of resolved) {
      const ns = allNs ? undefined : conn.namespace;
      const topts: TableOptions = { wide: format.wide, withNamespace: allNs && r.namespaced, showLabels: opts.showLabels === true, ...(withKind ? { kindPrefix: kindPrefix(r) } : {}) };
      const tables: Table[] = [];
      let rv = '';
      if (names.length > 0) {
        for (const name of names) {
          try {
            const t = await conn.rawJson<Table>({ path: resourcePath(r, ns, name), accept: tableAccept });
            tables.push(t);
            rv = t.rows?.[0]?.object?.metadata?.resourceVersion ?? rv;
          } catch (e) {
            ctx.report(e);
          }
        }
      } else {
        let cont: string | undefined;
        do {
          const t = await conn.rawJson<Table>({
            path: resourcePath(r, ns) + query({ labelSelector: opts.selector, fieldSelector: opts.fieldSelector, limit: '500', continue: cont }),
            accept: tableAccept,
          });
          tables.push(t);
          rv ||= t.metadata?.resourceVersion ?? '';
          cont = t.metadata?.continue || undefined;
        } while (cont);
      }
      const columns = tables.find((t) => t.columnDefinitions && t.columnDefinitions.length > 0)?.columnDefinitions ?? [];
      const rows = tables.flatMap((t) => t.rows ?? []);
      const cells = tableCells(columns, rows, topts);
      // Widths count the header even while it is not printed yet (-w on an empty list).
      const widths = columnWidths([cells.header, ...cells.rows]);
      if (rows.length > 0) {
        // Tables of successive kinds are separated by a blank line (not without headers).
        if (written && headers) ctx.out('\n');
        if (headers) ctx.out(alignLine(cells.header, widths) + '\n');
        for (const l of cells.rows) ctx.out(alignLine(l, widths) + '\n');
        written = true;
      }
      watchFrom = { r, rv, names, widths, topts, headerShown: rows.length > 0 || !headers };
    }
    if (!written && !opts.watch && resolved.every((t) => t.names.length === 0)) noResources(ctx, resolved[0]!.r, allNs, conn.namespace);
    if (opts.watch && watchFrom) {
      const { r, rv, names, topts } = watchFrom;
      let { widths, headerShown } = watchFrom;
      const columnsSeen: { defs: Table['columnDefinitions'] } = { defs: null };
      await watchTable(ctx, cmd, r, allNs ? undefined : conn.namespace, rv, names, opts, (t) => {
        if (t.columnDefinitions && t.columnDefinitions.length > 0) columnsSeen.defs = t.columnDefinitions;
        const cells = tableCells(columnsSeen.defs ?? [], t.rows ?? [], topts);
        if (cells.rows.length === 0) return;
        widths = columnWidths([widths.map((w) => ' '.repeat(w)), ...(headerShown ? [] : [cells.header]), ...cells.rows]);
        // As kubectl: the header comes with the first row, also when the list was empty.
        if (!headerShown) ctx.out(alignLine(cells.header, widths) + '\n');
        headerShown = true;
        for (const row of cells.rows) ctx.out(alignLine(row, widths) + '\n');
      });
    }
    return;
  }

  // Full objects. Like kubectl, one named object is printed alone (and nothing at all when it is
  // missing: the error says it); anything else becomes a List.
  const objects: KubeObject[] = [];
  const single = resolved.length === 1 && resolved[0]!.names.length === 1;
  for (const { r, names } of resolved) {
    const ns = allNs ? undefined : conn.namespace;
    const typed = (o: KubeObject): KubeObject => ({ ...o, apiVersion: o.apiVersion ?? apiVersionOf(r), kind: o.kind ?? r.kind });
    if (names.length > 0) {
      for (const name of names) {
        try {
          objects.push(typed(await conn.client.get(r, ns ?? '', name)));
        } catch (e) {
          ctx.report(e);
        }
      }
    } else {
      const opt: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {};
      if (ns !== undefined) opt.namespace = ns;
      if (opts.selector) opt.labelSelector = opts.selector;
      if (opts.fieldSelector) opt.fieldSelector = opts.fieldSelector;
      const list = await conn.client.list(r, opt);
      objects.push(...list.items.map(typed));
    }
  }
  const showManaged = opts.showManagedFields === true;
  if (objects.length === 0 && resolved.every((t) => t.names.length === 0)) {
    noResources(ctx, resolved[0]!.r, allNs, conn.namespace);
    if (format.kind === 'name') return;
  }
  if (objects.length > 0 || (format.kind !== 'name' && !single)) {
    ctx.out(printObjects(objects, format as Exclude<OutputFormat, { kind: 'table' }>, !single, (o) => kindPrefixOf(resolved, o), showManaged));
  }
  if (opts.watch && resolved[0]) {
    const { r, names } = resolved[0];
    await watchObjects(ctx, cmd, r, allNs ? undefined : conn.namespace, names, opts, format as Exclude<OutputFormat, { kind: 'table' }>);
  }
}

function kindPrefixOf(resolved: { r: ResourceInfo }[], o: KubeObject): string {
  const r = resolved.find((x) => x.r.kind === o.kind && apiVersionOf(x.r) === o.apiVersion)?.r ?? resolved[0]!.r;
  return kindPrefix(r);
}

async function streamEvents(
  ctx: CliContext,
  cmd: Command,
  path: string,
  accept: string,
  onEvent: (type: string, object: unknown) => void,
): Promise<void> {
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

/** Watches with the Table Accept; ends silently when the server closes the stream (as kubectl does). */
async function watchTable(ctx: CliContext, cmd: Command, r: ResourceInfo, ns: string | undefined, rv: string, names: string[], opts: GetOptions, onTable: (t: Table) => void): Promise<void> {
  await streamEvents(ctx, cmd, watchPath(r, ns, rv, names, opts), tableAccept, (_type, obj) => onTable(obj as Table));
}

async function watchObjects(ctx: CliContext, cmd: Command, r: ResourceInfo, ns: string | undefined, names: string[], opts: GetOptions, format: Exclude<OutputFormat, { kind: 'table' }>): Promise<void> {
  const list = await ctx.conn(cmd).client.list(r, ns !== undefined ? { namespace: ns, limit: 1 } : { limit: 1 });
  const rv = list.metadata?.resourceVersion ?? '';
  await streamEvents(ctx, cmd, watchPath(r, ns, rv, names, opts), 'application/json', (_type, obj) => {
    const o = obj as KubeObject;
    const text = printObjects([{ ...o, apiVersion: o.apiVersion ?? apiVersionOf(r), kind: o.kind ?? r.kind }], format, false, () => kindPrefix(r), opts.showManagedFields === true);
    ctx.out(format.kind === 'yaml' ? `---\n${text}` : text);
  });
}

