// `everynode apply -f` (create or update) and `everynode create -f`.
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
// failed is reported and not printed. `--server-side` is accepted on apply and changes nothing:
// apply is always server-side here.

import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { deepEqual } from '../../api/patch/index.js';
import { isNotFound, resourcePath } from '../../client/index.js';
import { CliError, withContext } from '../context.js';
import { readVerbManifests, type Manifest } from '../manifests.js';
import { type CliContext, collect, type DryRun, dryRunOption, dryRunStrategy, dryRunSuffix, objectRef } from './common.js';
import type { ResourceInfo } from '../discovery.js';
import { kindPrefix, omitManagedFields } from '../printers.js';
import { objectPrinter, type ObjectPrinter } from './patch.js';
import { addGeneratorOptions, generatorHelp, isGenerator, runGenerator, type CreateGeneratorOptions } from './create.js';

interface FileOptions {
  filename?: string[];
  /** -R: directories with their sub-directories. */
  recursive?: boolean;
  dryRun?: string;
  forceConflicts?: boolean;
  output?: string;
  showManagedFields?: boolean;
  serverSide?: boolean;
  /** Always set for apply (its option's default); for create, absent unless given. */
  fieldManager?: string;
}

/** The field manager apply and create write as, unless --field-manager names another. */
const defaultFieldManager = 'everynode';

const outputHelp = 'print the resulting objects: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE';

/**
 * What -o asks for: undefined without it (the operation lines), else the printer (checked
 * before any request, with kubectl's wording for a format it lacks) and whether it prints the
 * whole object (json, yaml, templates) rather than its name.
 */
export function outputPrinter(opts: { output?: string; showManagedFields?: boolean }): { print: ObjectPrinter; full: boolean } | undefined {
  if (opts.output === undefined || opts.output === '') return undefined;
  return { print: objectPrinter(opts.output, undefined, opts.showManagedFields === true), full: opts.output !== 'name' };
}

/** A field-ownership conflict gets the way out appended to its one line. */
function withConflictHint(e: unknown): unknown {
  if (e instanceof ApiError && e.code === 409 && e.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
    return new ApiError(e.code, e.reason, `${e.message} (other managers changed these fields; apply again with --force-conflicts to take them over)`, e.details);
  }
  return e;
}

export async function target(ctx: CliContext, cmd: Command, m: Manifest): Promise<{ r: ResourceInfo; ns: string; name: string }> {
  const r = await ctx.discovery(cmd).byKind(m.object.apiVersion ?? '', m.object.kind ?? '');
  const conn = ctx.conn(cmd);
  const flagNs = ctx.globals(cmd).namespace;
  const objNs = m.object.metadata.namespace;
  if (r.namespaced && flagNs && objNs && flagNs !== objNs) {
    throw new CliError(`the namespace from the provided object "${objNs}" does not match the namespace "${flagNs}". You must pass '--namespace=${objNs}' to perform this operation.`);
  }
  const ns = r.namespaced ? objNs ?? conn.namespace : '';
  return { r, ns, name: m.object.metadata.name ?? '' };
}

export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('Create or update resources from files, a directory, or stdin (-f -) by server-side apply, as kubectl apply --server-side')
    .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .addOption(dryRunOption())
    .option('--force-conflicts', 'take over fields that other managers changed since the last apply')
    .option('--server-side', 'accepted for kubectl compatibility: apply is always server-side')
    .option('--field-manager <name>', 'the name of the manager of the fields applied (kubectl apply --server-side: "kubectl")', defaultFieldManager)
    .option('-o, --output <format>', outputHelp)
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
          const q = `?fieldManager=${encodeURIComponent(opts.fieldManager ?? defaultFieldManager)}&fieldValidation=Strict${opts.forceConflicts ? '&force=true' : ''}${dry ? '&dryRun=All' : ''}`;
          const res = await conn.raw({ method: 'PATCH', path: resourcePath(r, ns, name) + q, body: JSON.stringify(body), contentType: 'application/apply-patch+yaml' });
          const after = JSON.parse(res.text) as KubeObject;
          // A write that changes nothing keeps the resourceVersion; a dry run keeps it always, so
          // there the answer is compared with the object as it was.
          const unchanged = dry ? sameApart(before, after) : after.metadata.resourceVersion === before?.metadata.resourceVersion;
          const verb = res.statusCode === 201 || !before ? 'created' : unchanged ? 'unchanged' : 'configured';
          done(r, after, `${objectRef(r, name)} ${verb}${dryRunSuffix(dryRun)}\n`);
        } catch (e) {
          ctx.report(withContext(withConflictHint(e), `error when applying "${m.source}": `));
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

  const create = program
    .command('create')
    .argument('[type-and-name...]', 'namespace|configmap|secret generic|tls|docker-registry|serviceaccount NAME (instead of -f)')
    .description('Create resources from files, a directory, or stdin (-f -), or a namespace, configmap, secret or serviceaccount by name; existing objects are an error')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .addOption(dryRunOption())
    .option('-o, --output <format>', outputHelp)
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .option('--field-manager <name>', 'the name of the manager of the fields set (default: everynode with -f, kubectl-create for the generators)')
    .addHelpText('after', generatorHelp)
    // Flags of kubectl's other generators (`create deployment x --image=...`) must not hide the
    // pointer to kubectl behind "unknown option": they come here among the arguments.
    .allowUnknownOption()
    .action(async (rawArgs: string[], opts: FileOptions & CreateGeneratorOptions, cmd: Command) => {
      const args = rawArgs.filter((a) => !a.startsWith('-'));
      const unknownFlag = rawArgs.find((a) => a.startsWith('-'));
      // An unknown flag of a known generator (or of `create -f`) is an error; another generator's type is named below.
      if (unknownFlag !== undefined && (args.length === 0 || isGenerator(args))) throw new CliError(`unknown option '${unknownFlag}'`);
      if (args.length > 0 && (opts.filename ?? []).length === 0) {
        if (!isGenerator(args)) throw new CliError(`unknown type to create: ${JSON.stringify(args[0])} (namespace, configmap, secret generic|tls|docker-registry or serviceaccount; other objects: create -f)`);
        return runGenerator(ctx, cmd, args, opts);
      }
      if (args.length > 0) throw new CliError(`unexpected arguments with -f: ${args.join(' ')}`);
      const dryRun: DryRun = dryRunStrategy(opts.dryRun);
      const dry = dryRun === 'server';
      const output = outputPrinter(opts);
      let printed = 0;
      const done = (r: ResourceInfo, o: KubeObject, line: string): void => {
        if (!output) return ctx.out(line);
        // kubectl's YAML printer separates the documents it prints.
        ctx.out(`${output.full && opts.output === 'yaml' && printed++ > 0 ? '---\n' : ''}${output.print(o, kindPrefix(r), '')}`);
      };
      if ((opts.filename ?? []).length === 0) throw new CliError('must specify -f (a file, a directory or - for stdin), or what to create: namespace, configmap, secret generic|tls|docker-registry or serviceaccount');
      const { manifests, unreadable } = await readVerbManifests('create', opts.filename ?? [], ctx.io, opts.recursive === true);
      const conn = ctx.conn(cmd);
      for (const m of manifests) {
        try {
          const { r, ns } = await target(ctx, cmd, m);
          if (dryRun === 'client') {
            done(r, { ...m.object, metadata: { ...m.object.metadata, ...(r.namespaced ? { namespace: ns } : {}) } }, `${objectRef(r, m.object.metadata.name ?? '')} created (dry run)\n`);
            continue;
          }
          // Unknown fields refused, as kubectl's default --validate=strict asks.
          const created = await conn.client.create(r, ns, m.object, { fieldManager: opts.fieldManager ?? defaultFieldManager, dryRun: dry, fieldValidation: 'Strict' });
          done(r, created, `${objectRef(r, created.metadata.name ?? '')} created${dryRunSuffix(dryRun)}\n`);
        } catch (e) {
          ctx.report(withContext(e, `error when creating "${m.source}": `));
        }
      }
      for (const e of unreadable) ctx.report(e);
    });
  addGeneratorOptions(create);
}

/** `a` and `b` are the same object but for what any write (a dry run too) may restamp: managedFields. */
function sameApart(a: KubeObject | undefined, b: KubeObject): boolean {
  if (!a) return false;
  const bare = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  return deepEqual(bare(a), bare(b));
}
