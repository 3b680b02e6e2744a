// `everynode label|annotate TYPE NAME key=value key-` (or TYPE/NAME), or every object of TYPE
// in the namespace (--all) or matching -l SELECTOR: a JSON merge patch of metadata.labels /
// metadata.annotations per object. An existing key with a different value needs --overwrite
// (checked client-side, like kubectl); with several objects a refused one is reported and the
// others go on (exit code 1 at the end).

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { CliError } from '../context.js';
import { type CliContext, objectRef } from './common.js';

export interface KeyChanges {
  set: Record<string, string>;
  remove: string[];
}

function parseChanges(rest: string[], what: 'label' | 'annotation'): KeyChanges {
  if (rest.length === 0) throw new CliError(`at least one ${what} update is required`);
  const changes: KeyChanges = { set: {}, remove: [] };
  for (const a of rest) {
    if (a.endsWith('-') && !a.includes('=')) changes.remove.push(a.slice(0, -1));
    else {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new CliError(`invalid ${what} spec: ${a}, expected key=value or key-`);
      changes.set[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return changes;
}

/** Splits `TYPE k=v k-` (with --all or -l) into the type and the changes; names are refused. */
export function parseBulkKeyChanges(args: string[], what: 'label' | 'annotation'): { type: string; changes: KeyChanges } {
  const [type, ...rest] = args;
  if (!type || type.includes('/') || type.includes('=')) throw new CliError(`with --all or --selector, give the resource type only (e.g. "ds"), then the ${what} updates`);
  const names = rest.filter((a) => !a.includes('=') && !a.endsWith('-'));
  if (names.length > 0) throw new CliError(`resource names (${names.join(', ')}) cannot be combined with --all or --selector`);
  return { type, changes: parseChanges(rest, what) };
}

/** Splits `TYPE NAME k=v k-` / `TYPE/NAME k=v` into the target and the changes. */
export function parseKeyChanges(args: string[], what: 'label' | 'annotation'): { type: string; name: string; changes: KeyChanges } {
  let type: string;
  let name: string;
  let rest: string[];
  const first = args[0] ?? '';
  if (first.includes('/')) {
    type = first.slice(0, first.indexOf('/'));
    name = first.slice(first.indexOf('/') + 1);
    rest = args.slice(1);
  } else {
    if (args.length < 2) throw new CliError(`one or more resources must be specified as <resource> <name> or <resource>/<name>`);
    type = first;
    name = args[1]!;
    rest = args.slice(2);
  }
  if (!type || !name) throw new CliError(`one or more resources must be specified as <resource> <name> or <resource>/<name>`);
  return { type, name, changes: parseChanges(rest, what) };
}

function register(program: Command, ctx: CliContext, verb: 'label' | 'annotate'): void {
  const field = verb === 'label' ? 'labels' : 'annotations';
  const what = verb === 'label' ? 'label' : 'annotation';
  const past = verb === 'label' ? 'labeled' : 'annotated';
  program
    .command(verb)
    .description(`Add, update or remove ${field} of a resource (key=value to set, key- to remove)`)
    .argument('<args...>', `TYPE NAME key=value... | TYPE/NAME key=value... | TYPE key=value... with --all or -l (key- removes)`)
    .option('--overwrite', `allow replacing existing ${field}`)
    .option('--all', `every object of TYPE in the namespace`)
    .option('-l, --selector <selector>', `the objects of TYPE matching this label selector`)
    .action(async (args: string[], opts: { overwrite?: boolean; all?: boolean; selector?: string }, cmd: Command) => {
      if (opts.all && opts.selector) throw new CliError('cannot set --all and --selector at the same time');
      const bulk = opts.all === true || opts.selector !== undefined;
      const { type, name, changes } = bulk ? { ...parseBulkKeyChanges(args, what), name: undefined } : parseKeyChanges(args, what);
      const conn = ctx.conn(cmd);
      const r = await ctx.discovery(cmd).resolve(type);
      const ns = r.namespaced ? conn.namespace : '';
      const one = async (cur: KubeObject): Promise<void> => {
        const objName = cur.metadata.name ?? '';
        const existing = ((cur.metadata as Record<string, unknown>)[field] as Record<string, string> | undefined) ?? {};
        const patch: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(changes.set)) {
          if (k in existing && existing[k] !== v && !opts.overwrite) throw new CliError(`'${k}' already has a value (${existing[k]!}), and --overwrite is false`);
          if (existing[k] !== v) patch[k] = v;
        }
        for (const k of changes.remove) if (k in existing) patch[k] = null;
        if (Object.keys(patch).length === 0) {
          ctx.out(`${objectRef(r, objName)} not ${past}\n`);
          return;
        }
        await conn.client.patch(r, ns, objName, 'merge', { metadata: { [field]: patch } }, { fieldManager: `everynode-${verb}` });
        ctx.out(`${objectRef(r, objName)} ${past}\n`);
      };
      if (name !== undefined) return one(await conn.client.get(r, ns, name));
      const list = await conn.client.list(r, { ...(ns ? { namespace: ns } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}) });
      if (list.items.length === 0) ctx.err(r.namespaced ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
      for (const o of list.items) {
        try {
          await one(o);
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
