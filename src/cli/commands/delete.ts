// `everynode delete`: by TYPE NAME..., TYPE/NAME..., -f FILE, or TYPE -l SELECTOR /
// --field-selector SELECTOR / --all, in the namespace or, with -A, in every namespace (each
// object deleted in its own).
// --cascade picks the propagationPolicy (background, the default; foreground; orphan).
// With --wait (default) it returns once each object is gone (uid changed or 404), bounded by
// --timeout (0 = no bound). An object of -f that cannot be deleted is reported as kubectl does:
// `Error from server (NotFound): error when deleting "<file>": ...`.
//
// Grace and dry runs as kubectl: --grace-period N (-1, the default: the object's own) is sent as
// gracePeriodSeconds; --now is --grace-period=1; 0 without --force becomes 1; --force alone is
// 0, which prints kubectl's "Immediate deletion" warning first and `force deleted` per object
// (--force with a period above 0 is an error). --dry-run=client prints `... deleted (dry run)`
// and sends nothing; --dry-run=server sends the deletes with dryRun [All] (`(server dry run)`);
// neither waits. With --all or -l, objects already gone are not errors (--ignore-not-found
// unless given), and nothing to delete prints kubectl's `No resources found` on stdout.

import type { Command } from 'commander';
import type { DeletionPropagation, KubeObject, Status } from '../../api/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNotFound } from '../client.js';
import { CliError, withContext } from '../context.js';
import { kindPrefix, qualifiedPlural, type ResourceInfo } from '../discovery.js';
import { readVerbManifests } from '../manifests.js';
import { listFlag, type CliContext, dryRunOption, MappingNotFoundError, dryRunStrategy, dryRunSuffix, intFlag, parseDuration, parseTargets, target } from './common.js';

interface DeleteOpts {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  all?: boolean;
  cascade: string;
  wait: boolean;
  timeout: string;
  ignoreNotFound?: boolean;
  gracePeriod: number;
  force?: boolean;
  now?: boolean;
  dryRun?: string;
  output?: string;
}

/** kubectl's DeleteOptions.Complete/Validate for the grace period: the period to send (-1: none). */
export function effectiveGracePeriod(o: { gracePeriod: number; force?: boolean; now?: boolean }): number {
  let gp = o.gracePeriod;
  if (o.now) {
    if (gp !== -1) throw new CliError('--now and --grace-period cannot be specified together');
    gp = 1;
  }
  // kubectl: --grace-period=0 without --force is turned into 1, to prevent accidental data loss.
  if (gp === 0 && !o.force) gp = 1;
  if (o.force && gp < 0) gp = 0;
  if (o.force && gp > 0) throw new CliError('--force and --grace-period greater than 0 cannot be specified together');
  return gp;
}

export function propagation(c: string): DeletionPropagation {
  switch (c) {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw new CliError(`invalid cascade value (${c}). Must be "background", "foreground", or "orphan"`);
  }
}

export function registerDelete(program: Command, ctx: CliContext): void {
  program
    .command('delete')
    .description('Delete resources by name, by file, or by label selector')
    .argument('[resources...]', 'TYPE NAME..., TYPE/NAME..., or TYPE with -l/--all')
    .option('-f, --filename <path>', 'delete the objects in a file, directory or stdin (repeatable)', listFlag('-f, --filename', 'delete'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('-l, --selector <selector>', 'delete all objects of TYPE matching the label selector')
    .option('--field-selector <selector>', 'delete all objects of TYPE matching the field selector, e.g. spec.nodeName=node-1')
    .option('--all', 'delete all objects of TYPE in the namespace')
    .option('-A, --all-namespaces', 'with -l, --field-selector or --all: in every namespace')
    .option('--cascade <policy>', 'background|foreground|orphan', 'background')
    .option('--grace-period <seconds>', 'seconds the objects get to terminate gracefully; ignored if negative; 1 for immediate shutdown; 0 only with --force', intFlag('--grace-period', 'delete'), -1)
    .option('--now', 'signal the objects for immediate shutdown (same as --grace-period=1)')
    .option('--force', 'remove the objects from the API at once, bypassing graceful deletion (with --grace-period=0, the default with --force)')
    .addOption(dryRunOption())
    .option('-o, --output <mode>', 'name: print resource/name only')
    .option('--wait', 'wait until the objects are gone', true)
    .option('--no-wait', 'return right after the delete requests')
    .option('--timeout <duration>', 'give up waiting after this long (0 = no limit)', '0')
    .option('--ignore-not-found', 'treat "not found" as success (the default with --all or -l)')
    .action(async (args: string[], opts: DeleteOpts, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== '' && opts.output !== 'name') throw new CliError(`unexpected -o output mode: ${opts.output}. We only support '-o name'`);
      if (opts.all && opts.selector) throw new CliError('cannot set --all and --selector at the same time');
      if (opts.all && opts.fieldSelector) throw new CliError('cannot set --all and --field-selector at the same time');
      const policy = propagation(opts.cascade);
      const gracePeriod = effectiveGracePeriod(opts);
      const dryRun = dryRunStrategy(opts.dryRun);
      if (gracePeriod === 0 && opts.force) {
        ctx.warn('Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.');
      }
      const selecting = opts.all === true || opts.selector !== undefined || opts.fieldSelector !== undefined;
      const ignoreNotFound = opts.ignoreNotFound ?? selecting;
      const timeoutMs = parseDuration(opts.timeout);
      const conn = ctx.conn(cmd);
      const disco = ctx.discovery(cmd);
      // `source`: the file an object came from (-f), for kubectl's `error when deleting "<file>": `.
      const work: { r: ResourceInfo; ns: string; name: string; source?: string }[] = [];
      /** -f sources that could not be parsed: reported after the deletions of the others, as kubectl. */
      let unreadable: CliError[] = [];
      if (opts.filename?.length) {
        if (args.length) throw new CliError('cannot pass resource names together with -f');
        const read = await readVerbManifests('delete', opts.filename, ctx.io, opts.recursive === true);
        unreadable = read.unreadable;
        for (const m of read.manifests) {
          // As apply and create (and kubectl): an object's namespace that -n contradicts is an
          // error, before any deletion. A kind the server does not serve is said after the
          // others are deleted, as kubectl's builder reports it.
          try {
            const { r, ns, name } = await target(ctx, cmd, m);
            work.push({ r, ns, name, source: m.source });
          } catch (e) {
            if (!(e instanceof MappingNotFoundError)) throw e;
            unreadable.push(e);
          }
        }
      } else {
        const targets = parseTargets(args);
        if (targets.length === 0) throw new CliError('you must specify the type of resource to delete, or -f FILE');
        const allNs = opts.allNamespaces === true;
        // Categories (`delete all --all`) expand to their member resources, as for get.
        for (const t of targets) for (const r of await disco.expand(t.type)) {
          const ns = r.namespaced ? conn.namespace : '';
          if (t.names.length > 0) {
            if (selecting) throw new CliError('names cannot be combined with --selector, --field-selector or --all');
            if (allNs && r.namespaced) throw new CliError('a resource cannot be retrieved by name across all namespaces');
            for (const name of t.names) work.push({ r, ns, name });
          } else {
            if (!selecting) throw new CliError(`resource(s) were provided, but no name was specified: pass NAME, -l SELECTOR, --field-selector SELECTOR or --all`);
            const list = await conn.client.list(r, {
              ...(allNs && r.namespaced ? {} : { namespace: ns }),
              ...(opts.selector ? { labelSelector: opts.selector } : {}),
              ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
            });
            for (const o of list.items) work.push({ r, ns: r.namespaced ? o.metadata.namespace ?? ns : '', name: o.metadata.name ?? '' });
          }
        }
      }
      // kubectl warns once when -n was given and a cluster-scoped object is deleted.
      let warnClusterScope = ctx.globals(cmd).namespace !== undefined;
      const operation = (gracePeriod === 0 ? 'force deleted' : 'deleted') + dryRunSuffix(dryRun);
      const printed = (w: { r: ResourceInfo; name: string }): void =>
        ctx.out(opts.output === 'name' ? `${kindPrefix(w.r)}/${w.name}\n` : `${kindPrefix(w.r)} "${w.name}" ${operation}\n`);
      const pending: { r: ResourceInfo; ns: string; name: string; uid: string | undefined }[] = [];
      if (work.length === 0 && unreadable.length === 0) {
        ctx.out('No resources found\n');
        return;
      }
      for (const w of work) {
        if (warnClusterScope && !w.r.namespaced) {
          ctx.warn('deleting cluster-scoped resources, not scoped to the provided namespace');
          warnClusterScope = false;
        }
        if (dryRun === 'client') {
          printed(w);
          continue;
        }
        try {
          const res = await conn.client.delete(w.r, w.ns, w.name, {
            propagationPolicy: policy,
            ...(gracePeriod >= 0 ? { gracePeriodSeconds: gracePeriod } : {}),
            ...(dryRun === 'server' ? { dryRun: ['All'] } : {}),
          });
          printed(w);
          // The deleted object, or (for most kinds, deleted at once) a Status whose details name it.
          const uid = res.kind === 'Status' ? (res as Status).details?.uid : (res as KubeObject).metadata?.uid;
          pending.push({ ...w, uid });
        } catch (e) {
          if (ignoreNotFound && isNotFound(e)) continue;
          ctx.report(w.source === undefined ? e : withContext(e, `error when deleting "${w.source}": `));
        }
      }
      for (const e of unreadable) ctx.report(e);
      if (!opts.wait || dryRun !== 'none') return;
      const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
      for (const p of pending) {
        for (;;) {
          try {
            const cur = await conn.client.get(p.r, p.ns, p.name);
            if (p.uid && cur.metadata.uid !== p.uid) break;
          } catch (e) {
            if (isNotFound(e)) break;
            throw e;
          }
          if (Date.now() >= deadline) {
            throw new CliError(`timed out waiting for the deletion of ${qualifiedPlural(p.r)}/${p.name}`);
          }
          await sleep(200);
        }
      }
    });
}
