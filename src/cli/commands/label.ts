// `everynode label|annotate TYPE NAME... key=value key-` (or TYPE/NAME...), or every object of
// TYPE in the namespace (--all) or matching -l SELECTOR: a JSON merge patch of metadata.labels /
// metadata.annotations per object. An existing key with a different value needs --overwrite
// (checked client-side, like kubectl); with several objects a refused one is reported and the
// others go on (exit code 1 at the end).
//
// As kubectl: the resources come first, then the changes (cmdutil.GetResourcesAndPairs);
// --list prints the labels (annotations) an object has, after the changes given with it, which
// are then not sent (one object: `key=value` lines; several: `Listing labels for
// Kind.group/name:` and ` key=value` lines); --dry-run=client prints `... labeled (dry run)`
// without sending; --dry-run=server sends the patch with dryRun=All (`(server dry run)`);
// `label` says `label "k" not found.` for a key to remove that the object does not have.
//
// Objects may also come from -f files (-R), read again from the server (-l then filters what
// the server has), or with --local taken from the files and printed changed, without a server
// (file-targets.ts); -A lists in every namespace, --field-selector filters on the server.
// --resource-version (one object only) is sent in every patch as a precondition; with
// --dry-run=client or --local the printed object carries it.
//
// The word printed after each object is kubectl 1.32's: `annotate` always says `annotated`
// (even when nothing changes); `label` says `not labeled` when the labels stay as they are,
// else `labeled`, or `unlabeled` when, without --overwrite, the object's JSON got shorter
// (labelChangeMessage). annotate's refusals have their own wording (an existing key with
// another value, a key both set and removed; kubernetes.io/change-cause needs no --overwrite).

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { CliError } from '../context.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import { listFlag, type CliContext, dryRunOption, type Failure, reportFailures, dryRunStrategy, dryRunSuffix, getLatest, parseTargets } from './common.js';
import { type ObjectTarget, readFileTargets } from './file-targets.js';
import { isValidLabelValue } from '../../api/validation/names.js';
import { objectPrinter } from './output.js';

/** kubectl's annotate lets this annotation be replaced without --overwrite. */
const changeCause = 'kubernetes.io/change-cause';

export interface KeyChanges {
  set: Record<string, string>;
  remove: string[];
}

function parseChanges(rest: string[], what: 'label' | 'annotation'): KeyChanges {
  const changes: KeyChanges = { set: {}, remove: [] };
  for (const a of rest) {
    if (a.endsWith('-') && !a.includes('=')) changes.remove.push(a.slice(0, -1));
    else {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new CliError(`invalid ${what} spec: ${a}, expected key=value or key-`);
      const value = a.slice(eq + 1);
      if (what === 'label') {
        // kubectl checks a label's value itself; one '=' only (an annotation's value may hold more).
        if (value.includes('=')) throw new CliError(`invalid label spec: ${a}`);
        const bad = isValidLabelValue(value);
        if (bad.length > 0) throw new CliError(`invalid label value: ${JSON.stringify(a)}: ${bad.join(';')}`);
      }
      changes.set[a.slice(0, eq)] = value;
    }
  }
  const both = changes.remove.filter((k) => k in changes.set);
  if (both.length > 0) {
    throw new CliError(what === 'label' ? 'can not both modify and remove a label in the same command' : `can not both modify and remove the following annotation(s) in the same command: ${both.join(', ')}`);
  }
  return changes;
}

/** The length of Go's json.Marshal of `v` (UTF-8 bytes; `<`, `>`, `&`, U+2028/9 escaped). */
function goJsonLength(v: unknown): number {
  const json = JSON.stringify(v);
  return Buffer.byteLength(json) + 5 * (json.match(/[<>&]/g)?.length ?? 0) + 3 * (json.match(/[\u2028\u2029]/g)?.length ?? 0);
}

/**
 * kubectl 1.32's word for a label change of one object, from its labels before (undefined: the
 * object had no `labels` field) and after (always a map, as kubectl sets one): `not labeled`
 * when the object's JSON is unchanged, else `labeled`, but `unlabeled` when, without
 * --overwrite, the JSON got shorter (only the labels differ, so their encodings are compared).
 */
export function labelChangeMessage(before: Record<string, string> | undefined, after: Record<string, string>, overwrite: boolean): string {
  const sorted = (m: Record<string, string>) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  // No field before: kubectl adds one (`labels: {}` at least), which is a change that lengthens.
  if (before === undefined) return 'labeled';
  if (JSON.stringify(sorted(before)) === JSON.stringify(sorted(after))) return 'not labeled';
  return !overwrite && goJsonLength(sorted(after)) < goJsonLength(sorted(before)) ? 'unlabeled' : 'labeled';
}

/**
 * cmdutil.GetResourcesAndPairs: the arguments up to the first `key=value` / `key-` name the
 * resources, the rest are the changes (a resource after a change is an error).
 */
export function splitResourcesAndPairs(args: string[], what: 'label' | 'annotation'): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const s of args) {
    const pair = (s.includes('=') && s[0] !== '=') || (s.endsWith('-') && s !== '-');
    if (pair) pairs.push(s);
    else if (pairs.length > 0) throw new CliError(`all resources must be specified before ${what} changes: ${s}`);
    else resources.push(s);
  }
  return { resources, pairs };
}

interface LabelOpts {
  overwrite?: boolean;
  all?: boolean;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  filename?: string[];
  recursive?: boolean;
  local?: boolean;
  resourceVersion?: string;
  fieldManager?: string;
  list?: boolean;
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
}

function register(program: Command, ctx: CliContext, verb: 'label' | 'annotate'): void {
  const field = verb === 'label' ? 'labels' : 'annotations';
  const what = verb === 'label' ? 'label' : 'annotation';
  const past = verb === 'label' ? 'labeled' : 'annotated';
  // kubectl's example files in its --local messages differ per verb.
  const example = verb === 'label' ? '-f pod.yaml or --filename=pod.json' : '-f rsrc.yaml or --filename=rsrc.json';
  program
    .command(verb)
    .description(`Add, update or remove ${field} of a resource (key=value to set, key- to remove)`)
    .argument('[args...]', `TYPE NAME... key=value... | TYPE/NAME... key=value... | TYPE key=value... with --all or -l | key=value... with -f (key- removes)`)
    .option('--overwrite', `allow replacing existing ${field}`)
    .option('--all', `every object of TYPE in the namespace`)
    .option('-A, --all-namespaces', 'with --all, -l or --field-selector: in every namespace')
    .option('-l, --selector <selector>', `the objects of TYPE matching this label selector`)
    .option('--field-selector <selector>', 'the objects of TYPE matching this field selector, e.g. spec.nodeName=node-1')
    .option('-f, --filename <path>', 'the objects of a file, directory or stdin (repeatable)', listFlag('-f, --filename', verb))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('--local', `change the objects of -f here and print them; the server is not asked`)
    .option('--resource-version <rv>', 'only change the object if this is its current resourceVersion (one object only)')
    .option('--field-manager <name>', 'the manager recorded for the changed fields', `everynode-${verb}`)
    .option('--list', `print the ${field} of the objects (after the changes given, which are not sent)`)
    .addOption(dryRunOption())
    .option('-o, --output <format>', 'print the resulting objects: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE')
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .action(async (args: string[], opts: LabelOpts, cmd: Command) => {
      const dryRun = dryRunStrategy(opts.dryRun);
      // Without -o: `<kind>/<name> labeled`; with it, the object as the change left it.
      const print = objectPrinter(opts.output, undefined, opts.showManagedFields === true);
      let printed = 0;
      const show = (r: ResourceInfo, o: KubeObject, op: string): void => {
        ctx.out(`${opts.output === 'yaml' && printed++ > 0 ? '---\n' : ''}${print(o, kindPrefix(r), op)}`);
      };
      const { resources, pairs } = splitResourcesAndPairs(args, what);
      const changes = parseChanges(pairs, what);
      // kubectl's Complete, then Validate, in its order.
      if (verb === 'label' && opts.list && opts.output) throw new CliError('--list and --output may not be specified together');
      if (opts.all && opts.selector) throw new CliError('cannot set --all and --selector at the same time');
      if (opts.all && opts.fieldSelector) throw new CliError('cannot set --all and --field-selector at the same time');
      const files = opts.filename ?? [];
      const local = opts.local === true;
      if (local) {
        if (dryRun === 'server') throw new CliError('cannot specify --local and --dry-run=server - did you mean --dry-run=client?');
        if (resources.length > 0) throw new CliError(`can only use local files by ${example} when --local=true is set`);
        if (files.length === 0) throw new CliError(`one or more files must be specified as ${example}`);
      } else if (resources.length === 0 && files.length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
      if (Object.keys(changes.set).length === 0 && changes.remove.length === 0 && !opts.list) throw new CliError(`at least one ${what} update is required`);
      if (files.length > 0 && resources.length > 0) {
        throw new CliError(resources[0]!.includes('/') ? 'resource/name arguments cannot be provided when a path is specified' : 'when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
      }
      // The objects: the files' (read again from the server unless --local), or the arguments'.
      const work: (() => Promise<ObjectTarget>)[] = [];
      let single: boolean;
      if (files.length > 0) {
        const read = await readFileTargets(ctx, cmd, { filename: files, recursive: opts.recursive, local, selector: opts.selector });
        single = read.singleItemImplied;
        for (const t of read.targets) work.push(async () => t);
        for (const e of read.failures) work.push(async () => { throw e; });
      } else {
        const targets = parseTargets(resources);
        const named = targets.some((x) => x.names.length > 0);
        // As kubectl's builder: names win over --all; names and a selector together are an error.
        if (named && (opts.selector !== undefined || opts.fieldSelector !== undefined)) throw new CliError('name cannot be provided when a selector is specified');
        const bulk = !named && (opts.all === true || opts.selector !== undefined || opts.fieldSelector !== undefined);
        if (!named && !bulk) throw new CliError('resource(s) were provided, but no name was specified');
        const conn = ctx.conn(cmd);
        const resolved: { r: ResourceInfo; names: string[] }[] = [];
        for (const t of targets) resolved.push({ r: await ctx.discovery(cmd).resolve(t.type), names: t.names });
        const allNs = opts.allNamespaces === true;
        if (named && allNs && resolved.some((x) => x.r.namespaced && x.names.length > 0)) throw new CliError('a resource cannot be retrieved by name across all namespaces');
        const nsOf = (r: ResourceInfo): string => (r.namespaced ? conn.namespace : '');
        // kubectl's IntoSingleItemImplied: exactly one object named.
        single = named && resolved.reduce((n, x) => n + x.names.length, 0) === 1;
        for (const { r, names } of resolved) {
          if (named) {
            for (const n of names) work.push(async () => ({ r, obj: await getLatest(conn, r, nsOf(r), n) }));
            continue;
          }
          // Nothing matched: nothing to say, as kubectl (no "No resources found", that is get's).
          const objects = (await conn.client.list(r, {
            ...(r.namespaced && !allNs ? { namespace: nsOf(r) } : {}),
            ...(opts.selector ? { labelSelector: opts.selector } : {}),
            ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
          })).items;
          for (const obj of objects) work.push(async () => ({ r, obj }));
        }
      }
      if (!single && opts.resourceVersion) throw new CliError('--resource-version may only be used with a single resource');
      const one = async (r: ResourceInfo, cur: KubeObject): Promise<void> => {
        const objName = cur.metadata.name ?? '';
        // A null map (`labels:` with nothing under it in a file) is no map, as Go reads it.
        const present = ((cur.metadata as Record<string, unknown>)[field] ?? undefined) as Record<string, string> | undefined;
        const existing = present ?? {};
        const patch: Record<string, string | null> = {};
        const conflicts = Object.entries(changes.set).filter(([k, v]) => k in existing && existing[k] !== v && !opts.overwrite && !(verb === 'annotate' && k === changeCause));
        if (conflicts.length > 0) {
          if (verb === 'label') throw new CliError(`'${conflicts[0]![0]}' already has a value (${existing[conflicts[0]![0]]!}), and --overwrite is false`);
          throw new CliError(`--overwrite is false but found the following declared annotation(s): ${conflicts.map(([k]) => `'${k}' already has a value (${existing[k]!})`).join('; ')}`);
        }
        for (const [k, v] of Object.entries(changes.set)) if (existing[k] !== v) patch[k] = v;
        for (const k of changes.remove) if (k in existing) patch[k] = null;
        const after: Record<string, string> = { ...existing };
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) delete after[k];
          else after[k] = v;
        }
        const message = verb === 'annotate' ? past : labelChangeMessage(present, after, opts.overwrite === true);
        if (opts.list) {
          const indent = single ? '' : ' ';
          if (!single) ctx.out(`Listing ${field} for ${r.kind}.${r.group}/${objName}:\n`);
          for (const k of Object.keys(after).sort()) ctx.out(`${indent}${k}=${after[k]!}\n`);
          return;
        }
        // --resource-version: the object carries it, and the patch always does (a precondition
        // the server checks even when no key changes), as kubectl's.
        const rv = opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {};
        if (dryRun === 'client' || local) {
          show(r, { ...cur, metadata: { ...cur.metadata, [field]: after, ...rv } }, `${message}${dryRunSuffix(dryRun)}`);
          return;
        }
        if (verb === 'label') for (const k of changes.remove) if (!(k in existing)) ctx.out(`label ${JSON.stringify(k)} not found.\n`);
        let result = cur;
        if (Object.keys(patch).length > 0 || opts.resourceVersion) {
          const ns = r.namespaced ? cur.metadata.namespace ?? '' : '';
          const body = { metadata: { ...(Object.keys(patch).length > 0 ? { [field]: patch } : {}), ...rv } };
          result = await ctx.conn(cmd).client.patch(r, ns, objName, 'merge', body, { fieldManager: opts.fieldManager ?? `everynode-${verb}`, dryRun: dryRun === 'server' });
        }
        show(r, result, `${message}${dryRunSuffix(dryRun)}`);
      };
      if (single && work.length === 1) {
        const t = await work[0]!();
        return one(t.r, t.obj);
      }
      // As kubectl's ContinueOnError: each object's failure is said after the others are done.
      const failures: Failure[] = [];
      for (const get of work) {
        try {
          const t = await get();
          await one(t.r, t.obj);
        } catch (e) {
          failures.push(e as Error);
        }
      }
      reportFailures(ctx, failures);
    });
}

export function registerLabel(program: Command, ctx: CliContext): void {
  register(program, ctx, 'label');
  register(program, ctx, 'annotate');
}
