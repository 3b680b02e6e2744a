// `everynode apply -f` (create or update) and `everynode create -f` (registered in create.ts
// with the generators; what the two share is said here).
//
// apply sends each object as a server-side apply PATCH (application/apply-patch+yaml,
// fieldManager=everynode or --field-manager, fieldValidation=Strict): the server creates it (201) or merges it
// into the live object (200). A preceding GET tells `configured` from `unchanged` (same
// resourceVersion after the PATCH). The server tracks field ownership: fields dropped from a
// manifest are removed from the live object, and a field another manager changed since is a
// conflict unless --force-conflicts. Errors are printed per object and the run continues; the
// exit code is then 1.
//
// --dry-run as kubectl: `server` sends the requests with dryRun=All (`... (server dry run)`);
// `client` sends nothing that writes and prints what would happen (`... created (dry run)`,
// for apply `configured (dry run)` when the object exists, as kubectl's client-side apply); a
// bare --dry-run is `client`.
//
// -o as kubectl's apply and create: without it one `<kind>/<name> <operation>` line per object;
// `name` prints `<kind>/<name>` per object; json, yaml, jsonpath and go-template print the
// resulting objects (the server's answers; with --dry-run=client the objects as read). apply
// prints them once all are applied, a `v1 List` when there are several (kubectl's apply);
// create prints each as it is created (yaml documents separated by `---`). An object that
// failed is reported and not printed. apply is always server-side here; `--server-side` changes
// only the word printed: kubectl apply --server-side's `serverside-applied`.

import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
// json-value directly, not the patch part's index: apply needs no patch algorithm, and loading
// them is start-up time of every `apply` (see run.ts).
import { deepEqual } from '../../api/patch/json-value.js';
import { isNotFound, resourcePath } from '../client.js';
import { CliError, withContext } from '../context.js';
import { readVerbManifests } from '../manifests.js';
import { listFlag, type CliContext, type DryRun, MappingNotFoundError, dryRunOption, dryRunStrategy, dryRunSuffix, manifestFieldManager, objectRef, target } from './common.js';
import type { ResourceInfo } from '../discovery.js';
import { kindPrefix, omitManagedFields } from '../printers.js';
import { objectOutputHelp, outputPrinter } from './output.js';

interface FileOptions {
  filename?: string[];
  /** -R: directories with their sub-directories. */
  recursive?: boolean;
  dryRun?: string;
  forceConflicts?: boolean;
  output?: string;
  showManagedFields?: boolean;
  serverSide?: boolean;
  /** Always set (its option's default). */
  fieldManager?: string;
}

/** A field-ownership conflict gets the way out appended to its one line. */
function withConflictHint(e: unknown): unknown {
  if (e instanceof ApiError && e.code === 409 && e.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
    return new ApiError(e.code, e.reason, `${e.message} (other managers changed these fields; apply again with --force-conflicts to take them over)`, e.details);
  }
  return e;
}

export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('Create or update resources from files, a directory, or stdin (-f -) by server-side apply, as kubectl apply --server-side')
    .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', listFlag('-f, --filename', 'apply'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .addOption(dryRunOption())
    .option('--force-conflicts', 'take over fields that other managers changed since the last apply')
    .option('--server-side', 'as kubectl apply --server-side: apply is always server-side; this prints "serverside-applied" as kubectl does')
    .option('--field-manager <name>', 'the name of the manager of the fields applied (kubectl apply --server-side: "kubectl")', manifestFieldManager)
    .option('-o, --output <format>', objectOutputHelp)
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .addHelpText('after', '\nThe field manager is "everynode" unless --field-manager names another: a field another manager\n(kubectl, a controller) set differently is a conflict until --force-conflicts takes it over;\n--field-manager kubectl shares the fields of kubectl apply --server-side.\n\nExamples:\n  everynode apply -f ds.yaml\n  everynode apply -f manifests/\n  everynode apply -R -f manifests/\n  cat ds.yaml | everynode apply -f -\n')
    .action(async (opts: FileOptions, cmd: Command) => {
      const dryRun: DryRun = dryRunStrategy(opts.dryRun);
      const dry = dryRun === 'server';
      const output = outputPrinter(opts);
      const { manifests, unreadable } = await readVerbManifests('apply', opts.filename ?? [], ctx.io, opts.recursive === true);
      const conn = ctx.conn(cmd);
      /** The objects -o json/yaml/... prints once all are applied. */
      const results: KubeObject[] = [];
      const done = (r: ResourceInfo, o: KubeObject, line: string): void => {
        if (!output) ctx.out(line);
        else if (output.full) results.push(o);
        else ctx.out(output.print(o, kindPrefix(r), ''));
      };
      for (const m of manifests) {
        try {
          const { r, ns, name } = await target(ctx, cmd, m);
          if (!name) throw new CliError(`error when applying "${m.source}": metadata.name is required for apply`);
          let before: KubeObject | undefined;
          try {
            before = await conn.client.get(r, ns, name);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
          const body = { ...m.object, metadata: { ...m.object.metadata, ...(r.namespaced ? { namespace: ns } : {}) } };
          if (dryRun === 'client') {
            done(r, body, `${objectRef(r, name)} ${before ? 'configured' : 'created'} (dry run)\n`);
            continue;
          }
          const q = `?fieldManager=${encodeURIComponent(opts.fieldManager ?? manifestFieldManager)}&fieldValidation=Strict${opts.forceConflicts ? '&force=true' : ''}${dry ? '&dryRun=All' : ''}`;
          const res = await conn.raw({ method: 'PATCH', path: resourcePath(r, ns, name) + q, body: JSON.stringify(body), contentType: 'application/apply-patch+yaml' });
          const after = JSON.parse(res.text) as KubeObject;
          // A write that changes nothing keeps the resourceVersion; a dry run keeps it always, so
          // there the answer is compared with the object as it was.
          const unchanged = dry ? sameApart(before, after) : after.metadata.resourceVersion === before?.metadata.resourceVersion;
          // With --server-side, kubectl's word for every object; else client-side apply's words.
          const verb = opts.serverSide ? 'serverside-applied' : res.statusCode === 201 || !before ? 'created' : unchanged ? 'unchanged' : 'configured';
          done(r, after, `${objectRef(r, name)} ${verb}${dryRunSuffix(dryRun)}\n`);
        } catch (e) {
          // A kind the server does not serve is said after the others are applied (kubectl's builder).
          if (e instanceof MappingNotFoundError) unreadable.push(e);
          else ctx.report(withContext(withConflictHint(e), `error when applying "${m.source}": `));
        }
      }
      if (output && results.length === 1) ctx.out(output.print(results[0]!, '', ''));
      if (output && results.length > 1) {
        // kubectl's apply prints several objects as one List (its items without managedFields unless asked).
        const items = opts.showManagedFields ? results : results.map(omitManagedFields);
        ctx.out(output.print({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items } as unknown as KubeObject, '', ''));
      }
      for (const e of unreadable) ctx.report(e);
    });
}

/** `a` and `b` are the same object but for what any write (a dry run too) may restamp: managedFields. */
function sameApart(a: KubeObject | undefined, b: KubeObject): boolean {
  if (!a) return false;
  const bare = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  return deepEqual(bare(a), bare(b));
}
