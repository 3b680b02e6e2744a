// `everynode label|annotate TYPE NAME key=value key-` (or TYPE/NAME): a JSON merge patch of
// metadata.labels / metadata.annotations. An existing key with a different value needs
// --overwrite (checked client-side, like kubectl).

import type { Command } from 'commander';
import { CliError } from '../context.js';
import { type CliContext, objectRef } from './common.js';

export interface KeyChanges {
  set: Record<string, string>;
  remove: string[];
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
  return { type, name, changes };
}

function register(program: Command, ctx: CliContext, verb: 'label' | 'annotate'): void {
  const field = verb === 'label' ? 'labels' : 'annotations';
  const what = verb === 'label' ? 'label' : 'annotation';
  program
    .command(verb)
    .description(`Add, update or remove ${field} of a resource (key=value to set, key- to remove)`)
    .argument('<args...>', `TYPE NAME key=value... | TYPE/NAME key=value... (key- removes)`)
    .option('--overwrite', `allow replacing existing ${field}`)
    .action(async (args: string[], opts: { overwrite?: boolean }, cmd: Command) => {
      const { type, name, changes } = parseKeyChanges(args, what);
      const conn = ctx.conn(cmd);
      const r = await ctx.discovery(cmd).resolve(type);
      const ns = r.namespaced ? conn.namespace : '';
      const cur = await conn.client.get(r, ns, name);
      const existing = (cur.metadata as Record<string, unknown>)[field] as Record<string, string> | undefined ?? {};
      const patch: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(changes.set)) {
        if (k in existing && existing[k] !== v && !opts.overwrite) throw new CliError(`'${k}' already has a value (${existing[k]!}), and --overwrite is false`);
        if (existing[k] !== v) patch[k] = v;
      }
      for (const k of changes.remove) if (k in existing) patch[k] = null;
      const past = verb === 'label' ? 'labeled' : 'annotated';
      if (Object.keys(patch).length === 0) {
        ctx.out(`${objectRef(r, name)} not ${past}\n`);
        return;
      }
      await conn.client.patch(r, ns, name, 'merge', { metadata: { [field]: patch } }, { fieldManager: `everynode-${verb}` });
      ctx.out(`${objectRef(r, name)} ${past}\n`);
    });
}

export function registerLabel(program: Command, ctx: CliContext): void {
  register(program, ctx, 'label');
  register(program, ctx, 'annotate');
}
