// `everynode delete`: by TYPE NAME..., TYPE/NAME..., -f FILE, or TYPE -l SELECTOR / --all.
// --cascade picks the propagationPolicy (background, the default; foreground; orphan).
// With --wait (default) it returns once each object is gone (uid changed or 404), bounded by
// --timeout (0 = no bound). An object of -f that cannot be deleted is reported as kubectl does:
// `Error from server (NotFound): error when deleting "<file>": ...`.

import type { Command } from 'commander';
import type { DeletionPropagation, KubeObject, Status } from '../../api/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNotFound } from '../../client/index.js';
import { CliError, withContext } from '../context.js';
import { kindPrefix, qualifiedPlural, type ResourceInfo } from '../discovery.js';
import { readManifests } from '../manifests.js';
import { type CliContext, collect, parseDuration, parseTargets } from './common.js';

interface DeleteOpts {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  all?: boolean;
  cascade: string;
  wait: boolean;
  timeout: string;
  ignoreNotFound?: boolean;
}

function propagation(c: string): DeletionPropagation {
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
    .option('-f, --filename <path>', 'delete the objects in a file, directory or stdin (repeatable)', collect)
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('-l, --selector <selector>', 'delete all objects of TYPE matching the label selector')
    .option('--all', 'delete all objects of TYPE in the namespace')
    .option('--cascade <policy>', 'background|foreground|orphan', 'background')
    .option('--wait', 'wait until the objects are gone (default)', true)
    .option('--no-wait', 'return right after the delete requests')
    .option('--timeout <duration>', 'give up waiting after this long (0 = no limit)', '0')
    .option('--ignore-not-found', 'treat "not found" as success')
    .action(async (args: string[], opts: DeleteOpts, cmd: Command) => {
      const policy = propagation(opts.cascade);
      const timeoutMs = parseDuration(opts.timeout);
      const conn = ctx.conn(cmd);
      const disco = ctx.discovery(cmd);
      // `source`: the file an object came from (-f), for kubectl's `error when deleting "<file>": `.
      const work: { r: ResourceInfo; ns: string; name: string; source?: string }[] = [];
      if (opts.filename?.length) {
        if (args.length) throw new CliError('cannot pass resource names together with -f');
        for (const m of await readManifests(opts.filename, ctx.io, { recursive: opts.recursive === true })) {
          const r = await disco.byKind(m.object.apiVersion ?? '', m.object.kind ?? '');
          work.push({ r, ns: r.namespaced ? m.object.metadata.namespace ?? conn.namespace : '', name: m.object.metadata.name ?? '', source: m.source });
        }
      } else {
        const targets = parseTargets(args);
        if (targets.length === 0) throw new CliError('you must specify the type of resource to delete, or -f FILE');
        for (const t of targets) {
          const r = await disco.resolve(t.type);
          const ns = r.namespaced ? conn.namespace : '';
          if (t.names.length > 0) {
            if (opts.selector || opts.all) throw new CliError('names cannot be combined with --selector or --all');
            for (const name of t.names) work.push({ r, ns, name });
          } else {
            if (!opts.selector && !opts.all) throw new CliError(`resource(s) were provided, but no name was specified: pass NAME, -l SELECTOR or --all`);
            const list = await conn.client.list(r, opts.selector ? { namespace: ns, labelSelector: opts.selector } : { namespace: ns });
            for (const o of list.items) work.push({ r, ns, name: o.metadata.name ?? '' });
            if (list.items.length === 0) ctx.err(r.namespaced ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
          }
        }
      }
      const pending: { r: ResourceInfo; ns: string; name: string; uid: string | undefined }[] = [];
      for (const w of work) {
        try {
          const res = await conn.client.delete(w.r, w.ns, w.name, { propagationPolicy: policy });
          ctx.out(`${kindPrefix(w.r)} "${w.name}" deleted\n`);
          // The deleted object, or (for most kinds, deleted at once) a Status whose details name it.
          const uid = res.kind === 'Status' ? (res as Status).details?.uid : (res as KubeObject).metadata?.uid;
          pending.push({ ...w, uid });
        } catch (e) {
          if (opts.ignoreNotFound && isNotFound(e)) continue;
          ctx.report(w.source === undefined ? e : withContext(e, `error when deleting "${w.source}": `));
        }
      }
      if (!opts.wait) return;
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
