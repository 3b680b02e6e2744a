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
// The word printed after each object is kubectl 1.32's: `annotate` always says `annotated`
// (even when nothing changes); `label` says `not labeled` when the labels stay as they are,
// else `labeled`, or `unlabeled` when, without --overwrite, the object's JSON got shorter
// (labelChangeMessage). annotate's refusals have their own wording (an existing key with
// another value, a key both set and removed; kubernetes.io/change-cause needs no --overwrite).

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { CliError } from '../context.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import { type CliContext, dryRunOption, dryRunStrategy, dryRunSuffix, getLatest, parseTargets } from './common.js';
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
  selector?: string;
  list?: boolean;
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
}

function register(program: Command, ctx: CliContext, verb: 'label' | 'annotate'): void {
  const field = verb === 'label' ? 'labels' : 'annotations';
  const what = verb === 'label' ? 'label' : 'annotation';
  const past = verb === 'label' ? 'labeled' : 'annotated';
  program
    .command(verb)
    .description(`Add, update or remove ${field} of a resource (key=value to set, key- to remove)`)
    .argument('<args...>', `TYPE NAME... key=value... | TYPE/NAME... key=value... | TYPE key=value... with --all or -l (key- removes)`)
    .option('--overwrite', `allow replacing existing ${field}`)
    .option('--all', `every object of TYPE in the namespace`)
    .option('-l, --selector <selector>', `the objects of TYPE matching this label selector`)
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
      if (opts.all && opts.selector) throw new CliError('cannot set --all and --selector at the same time');
      if (resources.length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
      if (Object.keys(changes.set).length === 0 && changes.remove.length === 0 && !opts.list) throw new CliError(`at least one ${what} update is required`);
      const targets = parseTargets(resources);
      const named = targets.some((x) => x.names.length > 0);
      // As kubectl's builder: names win over --all; names and a selector together are an error.
      if (named && opts.selector !== undefined) throw new CliError('name cannot be provided when a selector is specified');
      const bulk = !named && (opts.all === true || opts.selector !== undefined);
      if (!named && !bulk) throw new CliError('resource(s) were provided, but no name was specified');
      const conn = ctx.conn(cmd);
      const resolved: { r: ResourceInfo; names: string[] }[] = [];
      for (const t of targets) resolved.push({ r: await ctx.discovery(cmd).resolve(t.type), names: t.names });
      const nsOf = (r: ResourceInfo): string => (r.namespaced ? conn.namespace : '');
      // kubectl's IntoSingleItemImplied: exactly one object named.
      const single = named && resolved.reduce((n, x) => n + x.names.length, 0) === 1;
      const one = async (r: ResourceInfo, cur: KubeObject): Promise<void> => {
        const ns = nsOf(r);
        const objName = cur.metadata.name ?? '';
        const present = (cur.metadata as Record<string, unknown>)[field] as Record<string, string> | undefined;
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
        if (dryRun === 'client') {
          show(r, { ...cur, metadata: { ...cur.metadata, [field]: after } }, `${message}${dryRunSuffix(dryRun)}`);
          return;
        }
        if (verb === 'label') for (const k of changes.remove) if (!(k in existing)) ctx.out(`label ${JSON.stringify(k)} not found.\n`);
        let result = cur;
        if (Object.keys(patch).length > 0) {
          result = await conn.client.patch(r, ns, objName, 'merge', { metadata: { [field]: patch } }, { fieldManager: `everynode-${verb}`, dryRun: dryRun === 'server' });
        }
        show(r, result, `${message}${dryRunSuffix(dryRun)}`);
      };
      if (single) {
        const { r, names } = resolved.find((x) => x.names.length > 0)!;
        return one(r, await getLatest(conn, r, nsOf(r), names[0]!));
      }
      const work: (() => Promise<{ r: ResourceInfo; o: KubeObject }>)[] = [];
      for (const { r, names } of resolved) {
        if (named) {
          for (const n of names) work.push(async () => ({ r, o: await getLatest(conn, r, nsOf(r), n) }));
          continue;
        }
        const ns = nsOf(r);
        // Nothing matched: nothing to say, as kubectl (no "No resources found", that is get's).
        const objects = (await conn.client.list(r, { ...(ns ? { namespace: ns } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}) })).items;
        for (const o of objects) work.push(async () => ({ r, o }));
      }
      for (const get of work) {
        try {
          const { r, o } = await get();
          await one(r, o);
        } catch (e) {
          ctx.report(e);
        }
      }
    });
}

export function registerLabel(program: Command, ctx: CliContext): void {
  register(program, ctx, 'label');
  register(program, ctx, 'annotate');
}
