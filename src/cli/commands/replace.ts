// `everynode replace -f`: replace whole objects (PUT), as kubectl replace.
//
// Contracts (each checked against kubectl 1.32):
// - An object of -f without a resourceVersion replaces what is there: the live object's
//   resourceVersion is read first and sent (kubectl's Replace with overwrite). One that carries
//   a resourceVersion is sent as it is, so a stale one is the server's 409 Conflict. A missing
//   object is the server's NotFound (a kind the server creates on update, such as a Lease, is
//   created). Each object prints `<kind>/<name> replaced`; a refusal is printed with
//   `error when replacing "<file>": ` and the run goes on (exit code 1).
// - --force deletes the objects first (`<kind> "<name>" deleted`, a missing one is no error;
//   --cascade and --grace-period are sent as delete options), waits until each is gone (polled
//   every second, for --timeout, 5 minutes when 0), then creates them from the file with no
//   resourceVersion. --grace-period needs --force; --dry-run cannot be used with --force.
// - --dry-run=client prints `replaced (dry run)` and sends nothing; =server sends the PUTs
//   with dryRun=All (`(server dry run)`).
// - -o prints each result (json|yaml|name|jsonpath|go-template); yaml documents are separated
//   by `---`. The field manager is kubectl's, kubectl-replace, unless --field-manager.

import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../api/types.js';
import { isNotFound } from '../client.js';
import { CliError, withContext } from '../context.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import { readVerbManifests } from '../manifests.js';
import { outputPrinter } from './output.js';
import { listFlag, type CliContext, dryRunOption, dryRunStrategy, dryRunSuffix, intFlag, objectRef, parseDuration, target } from './common.js';
import { propagation } from './delete.js';

interface ReplaceOptions {
  filename?: string[];
  recursive?: boolean;
  force?: boolean;
  cascade: string;
  gracePeriod: number;
  timeout: string;
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  fieldManager: string;
}

/** kubectl's wait for a --force replace's deletions when --timeout is 0. */
const defaultForceTimeoutMs = 5 * 60_000;

export function registerReplace(program: Command, ctx: CliContext): void {
  program
    .command('replace')
    .description('Replace resources by the objects in files, a directory, or stdin (-f -): a whole-object update (with --force: delete, then create)')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', listFlag('-f, --filename', 'replace'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('--force', 'delete the objects, wait until they are gone, then create them again')
    .option('--cascade <policy>', 'with --force: background|foreground|orphan', 'background')
    .option('--grace-period <seconds>', 'with --force: seconds the objects get to terminate gracefully (-1: their own)', intFlag('--grace-period', 'replace'), -1)
    .option('--timeout <duration>', 'with --force: how long to wait for the deletions (0: 5 minutes)', '0s')
    .addOption(dryRunOption())
    .option('-o, --output <format>', 'print the resulting objects: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE')
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .option('--field-manager <name>', 'the name of the manager of the fields set', 'kubectl-replace')
    .addHelpText('after', '\nExamples:\n  everynode replace -f ds.yaml\n  everynode get cm app -o yaml | sed s/old/new/ | everynode replace -f -\n  everynode replace --force -f ds.yaml\n')
    .action(async (opts: ReplaceOptions, cmd: Command) => {
      if ((opts.filename ?? []).length === 0) throw new CliError('must specify -f (a file, a directory or - for stdin)');
      const dryRun = dryRunStrategy(opts.dryRun);
      if (opts.force && dryRun !== 'none') throw new CliError('--dry-run can not be used when --force is set');
      if (!opts.force && opts.gracePeriod >= 0) throw new CliError('--grace-period must have --force specified');
      const policy = propagation(opts.cascade);
      const timeoutMs = parseDuration(opts.timeout) || defaultForceTimeoutMs;
      const output = outputPrinter(opts);
      const { manifests, unreadable } = await readVerbManifests('replace', opts.filename ?? [], ctx.io, opts.recursive === true);
      const conn = ctx.conn(cmd);
      let printed = 0;
      const done = (r: ResourceInfo, o: KubeObject, line: string): void => {
        if (!output) return ctx.out(line);
        ctx.out(`${output.full && opts.output === 'yaml' && printed++ > 0 ? '---\n' : ''}${output.print(o, kindPrefix(r), '')}`);
      };
      const targets: { r: ResourceInfo; ns: string; name: string; object: KubeObject; source: string }[] = [];
      for (const m of manifests) {
        try {
          const { r, ns, name } = await target(ctx, cmd, m);
          if (!name) throw new CliError('metadata.name is required');
          const object = { ...m.object, metadata: { ...m.object.metadata, ...(r.namespaced ? { namespace: ns } : {}) } };
          targets.push({ r, ns, name, object, source: m.source });
        } catch (e) {
          ctx.report(withContext(e, `error when replacing "${m.source}": `));
        }
      }
      const write = { fieldManager: opts.fieldManager, fieldValidation: 'Strict' as const, dryRun: dryRun === 'server' };
      if (!opts.force) {
        for (const t of targets) {
          try {
            if (dryRun === 'client') {
              done(t.r, t.object, `${objectRef(t.r, t.name)} replaced (dry run)\n`);
              continue;
            }
            let object = t.object;
            if (!object.metadata.resourceVersion) {
              try {
                const live = await conn.client.get(t.r, t.ns, t.name);
                object = { ...object, metadata: { ...object.metadata, resourceVersion: live.metadata.resourceVersion } };
              } catch (e) {
                if (!isNotFound(e)) throw e;
              }
            }
            const replaced = await conn.client.update(t.r, t.ns, object, write);
            done(t.r, replaced, `${objectRef(t.r, t.name)} replaced${dryRunSuffix(dryRun)}\n`);
          } catch (e) {
            ctx.report(withContext(e, `error when replacing "${t.source}": `));
          }
        }
        for (const e of unreadable) ctx.report(e);
        return;
      }
      const deleted: typeof targets = [];
      for (const t of targets) {
        try {
          await conn.client.delete(t.r, t.ns, t.name, { propagationPolicy: policy, ...(opts.gracePeriod >= 0 ? { gracePeriodSeconds: opts.gracePeriod } : {}) });
          ctx.out(opts.output === 'name' ? `${objectRef(t.r, t.name)}\n` : `${kindPrefix(t.r)} "${t.name}" deleted\n`);
        } catch (e) {
          if (!isNotFound(e)) {
            ctx.report(withContext(e, `error when replacing "${t.source}": `));
            continue;
          }
        }
        deleted.push(t);
      }
      const deadline = Date.now() + timeoutMs;
      for (const t of deleted) {
        for (;;) {
          try {
            await conn.client.get(t.r, t.ns, t.name);
          } catch (e) {
            if (isNotFound(e)) break;
            throw e;
          }
          if (Date.now() >= deadline) throw new CliError(`timed out waiting for the condition on ${objectRef(t.r, t.name)}: it is still being deleted`);
          await sleep(1000);
        }
      }
      for (const t of deleted) {
        try {
          const { resourceVersion: _rv, ...metadata } = t.object.metadata;
          const created = await conn.client.create(t.r, t.ns, { ...t.object, metadata }, write);
          done(t.r, created, `${objectRef(t.r, t.name)} replaced\n`);
        } catch (e) {
          ctx.report(withContext(e, `error when replacing "${t.source}": `));
        }
      }
      for (const e of unreadable) ctx.report(e);
    });
}
