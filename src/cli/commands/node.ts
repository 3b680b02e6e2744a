// Node verbs: `taint`, `cordon`, `uncordon` (and the node selection `drain` shares). Taints follow kubectl's syntax:
//   key=value:Effect  key:Effect (add)   key:Effect-  key-  (remove)
// The whole taint list is written with a JSON merge patch (lists are replaced). taint -o prints
// the node as the change left it (the server's answer, or the changed node with --dry-run=client).

import type { Command } from 'commander';
import type { Node, Taint, TaintEffect } from '../../api/types.js';
import { nodesResource } from '../client.js';
import { rfc3339 } from '../../util/index.js';
import { CliError } from '../context.js';
import { type CliContext, type DryRun, dryRunOption, dryRunStrategy, dryRunSuffix } from './common.js';
import { objectPrinter } from './output.js';

const effects: TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export interface TaintChanges {
  add: Taint[];
  remove: { key: string; effect?: TaintEffect }[];
}

export function parseTaints(specs: string[]): TaintChanges {
  const out: TaintChanges = { add: [], remove: [] };
  for (const s of specs) {
    const removing = s.endsWith('-');
    const body = removing ? s.slice(0, -1) : s;
    const colon = body.lastIndexOf(':');
    const kv = colon >= 0 ? body.slice(0, colon) : body;
    const effect = colon >= 0 ? body.slice(colon + 1) : undefined;
    if (effect !== undefined && !effects.includes(effect as TaintEffect)) {
      throw new CliError(`invalid taint effect: ${effect}, unsupported taint effect`);
    }
    const eq = kv.indexOf('=');
    const key = eq >= 0 ? kv.slice(0, eq) : kv;
    if (!key) throw new CliError(`invalid taint spec: ${s}`);
    if (removing) {
      const r: { key: string; effect?: TaintEffect } = { key };
      if (effect) r.effect = effect as TaintEffect;
      out.remove.push(r);
    } else {
      if (!effect) throw new CliError(`invalid taint spec: ${s}, expected key=value:Effect, key:Effect or key-`);
      const t: Taint = { key, effect: effect as TaintEffect };
      if (eq >= 0) t.value = kv.slice(eq + 1);
      out.add.push(t);
    }
  }
  // As kubectl: a key both set and removed in one command is refused.
  const both = out.remove.filter((rm) => out.add.some((a) => a.key === rm.key && (!rm.effect || a.effect === rm.effect)));
  if (both.length > 0) throw new CliError(`can not both modify and remove the following taint(s) in the same command: ${both.map((rm) => `${rm.key}=${rm.effect ?? ''}`).join(',')}`);
  return out;
}

function nodeName(args: string[], verb: string): { name: string; rest: string[] } {
  const [first, ...rest] = args;
  if (!first) throw new CliError(`${verb} needs a node: everynode ${verb} node NAME ...`);
  if (first.includes('/')) {
    const type = first.slice(0, first.indexOf('/'));
    if (!['node', 'nodes', 'no'].includes(type)) throw new CliError(`${verb} only applies to nodes, got ${type}`);
    return { name: first.slice(first.indexOf('/') + 1), rest };
  }
  if (['node', 'nodes', 'no'].includes(first)) {
    const [name, ...more] = rest;
    if (!name) throw new CliError(`${verb} needs a node name`);
    return { name, rest: more };
  }
  return { name: first, rest };
}

/**
 * The node's taints after `changes` (kubectl's errors: a taint to remove that is not there, one
 * to add that is, without --overwrite), and whether an added one replaced one there (kubectl
 * then says "modified").
 */
function taintsAfter(node: Node, changes: TaintChanges, overwrite: boolean): { taints: Taint[]; replaced: boolean } {
  let replaced = false;
  let taints = [...(node.spec?.taints ?? [])];
  for (const rm of changes.remove) {
    const before = taints.length;
    taints = taints.filter((t) => !(t.key === rm.key && (!rm.effect || t.effect === rm.effect)));
    if (taints.length === before) throw new CliError(`taint "${rm.key}${rm.effect ? `:${rm.effect}` : ''}" not found`);
  }
  for (const add of changes.add) {
    const i = taints.findIndex((t) => t.key === add.key && t.effect === add.effect);
    if (i >= 0) {
      if (!overwrite) throw new CliError(`node ${node.metadata.name ?? ''} already has ${add.key} taint(s) with same effect(s) and --overwrite is false`);
      taints[i] = add;
      replaced = true;
    } else taints.push(add.effect === 'NoExecute' ? { ...add, timeAdded: rfc3339(Date.now()) } : add);
  }
  return { taints, replaced };
}

export function registerNode(program: Command, ctx: CliContext): void {
  program
    .command('taint')
    .description('Add or remove node taints (key=value:Effect, key:Effect-, key-)')
    .argument('<args...>', 'node NAME TAINT... (or node/NAME TAINT...; with --all or -l: nodes TAINT...)')
    .option('--overwrite', 'replace an existing taint with the same key and effect')
    .option('--all', 'every node of the cluster')
    .option('-l, --selector <selector>', 'the nodes this label selector matches')
    .addOption(dryRunOption())
    .option('-o, --output <format>', 'print the changed nodes: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE')
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .action(async (args: string[], opts: { overwrite?: boolean; all?: boolean; selector?: string; dryRun?: string; output?: string; showManagedFields?: boolean }, cmd: Command) => {
      const dryRun = dryRunStrategy(opts.dryRun);
      // Without -o: `node/<name> tainted`; with it, the node as the change left it (the
      // server's answer, or the changed node with --dry-run=client).
      const print = objectPrinter(opts.output, undefined, opts.showManagedFields === true);
      let printed = 0;
      const many = opts.all === true || opts.selector !== undefined;
      if (opts.all && opts.selector !== undefined) throw new CliError('setting \'all\' parameter with a selector is not allowed');
      let name: string | undefined;
      let rest: string[];
      if (many) {
        // `taint nodes --all TAINT...`: the first word names the kind only.
        const [kind, ...taints] = args;
        if (!['node', 'nodes', 'no'].includes(kind ?? '')) throw new CliError(`taint only applies to nodes, got ${kind ?? 'nothing'}`);
        rest = taints;
      } else ({ name, rest } = nodeName(args, 'taint'));
      if (rest.length === 0) throw new CliError('at least one taint update is required');
      const changes = parseTaints(rest);
      const conn = ctx.conn(cmd);
      const nodes = many
        ? (await conn.client.list<Node>(nodesResource, opts.selector !== undefined ? { labelSelector: opts.selector } : {})).items
        : [await conn.client.get<Node>(nodesResource, '', name!)];
      for (const node of nodes) {
        const target = node.metadata.name ?? '';
        const { taints, replaced } = taintsAfter(node, changes, opts.overwrite === true);
        const { taints: _old, ...untainted } = node.spec ?? {};
        let result: Node = { ...node, spec: taints.length ? { ...untainted, taints } : untainted };
        if (dryRun !== 'client') {
          result = await conn.client.patch<Node>(nodesResource, '', target, 'merge', { spec: { taints: taints.length ? taints : null } }, { fieldManager: 'everynode-taint', dryRun: dryRun === 'server' });
        }
        const verb = replaced || (changes.add.length && changes.remove.length) ? 'modified' : changes.add.length ? 'tainted' : 'untainted';
        // kubectl's taint says nothing of a dry run in this line (its printer is not told).
        ctx.out(`${opts.output === 'yaml' && printed++ > 0 ? '---\n' : ''}${print({ apiVersion: 'v1', kind: 'Node', ...result }, 'node', verb)}`);
      }
    });

  for (const [verb, value] of [['cordon', true], ['uncordon', false]] as const) {
    program
      .command(verb)
      .description(value ? 'Mark nodes unschedulable' : 'Mark nodes schedulable again')
      .argument('[nodes...]', 'NAME... or node/NAME... (or -l)')
      .option('-l, --selector <selector>', 'the nodes this label selector matches')
      .addOption(dryRunOption())
      .action(async (names: string[], opts: { selector?: string; dryRun?: string }, cmd: Command) => {
        const dryRun = dryRunStrategy(opts.dryRun);
        const conn = ctx.conn(cmd);
        for (const node of await selectNodes(conn, names, opts.selector, verb)) await setUnschedulable(ctx, conn, node, value, dryRun);
      });
  }
}

type Conn = ReturnType<CliContext['conn']>;

/**
 * The nodes a node verb (cordon, uncordon, drain) acts on: those named (NAME or node/NAME, in
 * order, each read), or those `selector` matches; kubectl's usage errors for neither or both.
 */
export async function selectNodes(conn: Conn, names: string[], selector: string | undefined, verb: string): Promise<Node[]> {
  if (names.length > 0 && selector !== undefined) throw new CliError('cannot specify both a node name and a --selector option');
  if (names.length === 0 && selector === undefined) throw new CliError(`USAGE: ${verb} NODE [flags]\nSee 'everynode ${verb} -h' for help and examples`);
  if (selector !== undefined) return (await conn.client.list<Node>(nodesResource, { labelSelector: selector })).items;
  return Promise.all(names.map((raw) => conn.client.get<Node>(nodesResource, '', raw.includes('/') ? nodeName([raw], verb).name : raw)));
}

/** Cordons (value true) or uncordons one node, printing kubectl's line (`node/N cordoned`, `already cordoned`). */
export async function setUnschedulable(ctx: CliContext, conn: Conn, node: Node, value: boolean, dryRun: DryRun): Promise<void> {
  const verb = value ? 'cordon' : 'uncordon';
  const name = node.metadata.name ?? '';
  if ((node.spec?.unschedulable === true) === value) {
    ctx.out(`node/${name} already ${verb}ed${dryRunSuffix(dryRun)}\n`);
    return;
  }
  if (dryRun !== 'client') {
    await conn.client.patch(nodesResource, '', name, 'merge', { spec: { unschedulable: value ? true : null } }, { fieldManager: 'everynode-cordon', dryRun: dryRun === 'server' });
  }
  ctx.out(`node/${name} ${verb}ed${dryRunSuffix(dryRun)}\n`);
}
