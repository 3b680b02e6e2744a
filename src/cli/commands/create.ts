// `everynode create namespace|configmap|secret generic|serviceaccount NAME`: kubectl's object
// generators, with its flags, messages and output.
//
// Contracts (each checked against kubectl 1.32):
// - Exactly one NAME: `exactly one NAME is required, got N`.
// - The object is built as kubectl builds it: Go's field order (so -o json prints as kubectl),
//   `metadata.creationTimestamp: null`, a Namespace's empty `spec` and `status`; the namespace
//   is set only when -n/--namespace was given (else the context's namespace is written to).
// - configmap and secret: `--from-literal=key=value`, `--from-file=[key=]path` (a directory:
//   each regular file, named by its file name), `--from-env-file` (kubectl's env file rules:
//   leading blanks trimmed, `#` comments, a name alone takes its value from this environment).
//   Keys are checked as kubectl checks them and a repeated key is an error, nothing is sent. A
//   ConfigMap keeps a file that is not UTF-8 in `binaryData`; a Secret's data is base64.
// - --dry-run=client prints without a request; =server asks with dryRun=All. -o prints the
//   object (the server's answer, or the built one on a client dry run). --field-manager
//   (kubectl's default: kubectl-create).
// - A refusal from the server is printed with kubectl's prefix for the kind: none for a
//   Namespace (the usual `Error from server (...)`), `failed to create configmap: `, `failed to
//   create secret ` (sic, no colon), `failed to create serviceaccount: `.

import type { Command } from 'commander';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { isConfigMapKey } from '../../api/validation/names.js';
import { configMapsResource, namespacesResource, secretsResource, serviceAccountsResource, type ResourceDescriptor } from '../../client/index.js';
import { CliError } from '../context.js';
import { kindPrefix } from '../discovery.js';
import { type CliContext, collect, type DryRun, dryRunStrategy, dryRunSuffix } from './common.js';
import { goJsonIndentTyped, objectPrinter } from './patch.js';
import { omitManagedFields } from '../printers.js';
import { envNameErrors } from './set.js';

interface GeneratorOptions {
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  fieldManager: string;
}

interface DataOptions extends GeneratorOptions {
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
  type?: string;
}

const defaultFieldManager = 'kubectl-create';

function oneName(names: string[]): string {
  if (names.length !== 1) throw new CliError(`exactly one NAME is required, got ${names.length}`);
  return names[0]!;
}

/** Go's error text of a failed stat or read, as kubectl prints it (`no such file or directory`). */
function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (e as Error).message;
}

/** kubectl's ParseLiteralSource: `key=value` with a non-empty key. */
function parseLiteral(source: string): [string, string] {
  const i = source.indexOf('=');
  if (i <= 0) throw new CliError(`invalid literal source ${source}, expected key=value`);
  return [source.slice(0, i), source.slice(i + 1)];
}

/** kubectl's ParseFileSource: `path` (key: its base name) or `key=path`. */
function parseFileSource(source: string): { key: string; path: string; named: boolean } {
  const i = source.indexOf('=');
  if (i < 0) return { key: basename(source), path: source, named: false };
  const key = source.slice(0, i);
  const path = source.slice(i + 1);
  if (key === '') throw new CliError(`key name for file path ${path} missing`);
  if (path === '') throw new CliError(`file path for key name ${key} missing`);
  return { key, path, named: true };
}

/** Each (key, contents) of --from-file sources, in kubectl's order. */
function fileEntries(sources: string[]): { key: string; data: Buffer }[] {
  const out: { key: string; data: Buffer }[] = [];
  for (const source of sources) {
    const { key, path, named } = parseFileSource(source);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      throw new CliError(`error reading ${path}: ${fsReason(e)}`);
    }
    if (!isDir) {
      out.push({ key, data: readFileOrFail(path) });
      continue;
    }
    if (named) throw new CliError('cannot give a key name for a directory path');
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch (e) {
      throw new CliError(`error listing files in ${path}: ${fsReason(e)}`);
    }
    for (const name of names) {
      const item = join(path, name);
      // Go's ReadDir describes entries as lstat does: a symlink is not a regular file.
      if (lstatSync(item, { throwIfNoEntry: false })?.isFile()) out.push({ key: name, data: readFileOrFail(item) });
    }
  }
  return out;
}

function readFileOrFail(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`open ${path}: ${fsReason(e)}`);
  }
}

/** kubectl's AddFromEnvFile: the (key, value) pairs of an env file, in order. */
function envFileEntries(path: string, env: NodeJS.ProcessEnv): [string, string][] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new CliError(`error reading ${path}: ${fsReason(e)}`);
  }
  if (isDir) throw new CliError('env config file cannot be a directory');
  const bytes = readFileOrFail(path);
  const out: [string, string][] = [];
  // bufio.ScanLines: lines end at \n, a \r before it is dropped, a last line without \n counts.
  const raw = bytes.toString('latin1').split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  raw.forEach((latin, n) => {
    let lineBytes = Buffer.from(latin.endsWith('\r') ? latin.slice(0, -1) : latin, 'latin1');
    const line0 = lineBytes.toString('utf8');
    if (!Buffer.from(line0, 'utf8').equals(lineBytes)) {
      throw new CliError(`env file ${path} contains invalid utf8 bytes at line ${n + 1}: [${[...lineBytes].join(' ')}]`);
    }
    if (n === 0 && lineBytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) lineBytes = lineBytes.subarray(3);
    const line = lineBytes.toString('utf8').replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const errs = envNameErrors(key);
    if (errs.length > 0) throw new CliError(`${JSON.stringify(key)} is not a valid key name: ${errs.join(';')}`);
    out.push([key, eq < 0 ? env[key] ?? '' : line.slice(eq + 1)]);
  });
  return out;
}

function checkSourceMix(o: DataOptions): void {
  if ((o.fromEnvFile?.length ?? 0) > 0 && ((o.fromFile?.length ?? 0) > 0 || (o.fromLiteral?.length ?? 0) > 0)) {
    throw new CliError('from-env-file cannot be combined with from-file or from-literal');
  }
}

/** The object kubectl's generator builds: TypeMeta, then ObjectMeta with a null creationTimestamp. */
function generated(kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}): KubeObject {
  return {
    kind,
    apiVersion: 'v1',
    metadata: { name, ...(namespace ? { namespace } : {}), creationTimestamp: null },
    ...rest,
  } as unknown as KubeObject;
}

function configMapOf(name: string, namespace: string | undefined, o: DataOptions): KubeObject {
  checkSourceMix(o);
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  const add = (key: string, value: Buffer | string): void => {
    const errs = isConfigMapKey(key);
    if (errs.length > 0) throw new CliError(`${JSON.stringify(key)} is not a valid key name for a ConfigMap: ${errs.join(',')}`);
    if (key in data) throw new CliError(`cannot add key ${JSON.stringify(key)}, another key by that name already exists in Data for ConfigMap ${JSON.stringify(name)}`);
    if (key in binaryData) throw new CliError(`cannot add key ${JSON.stringify(key)}, another key by that name already exists in BinaryData for ConfigMap ${JSON.stringify(name)}`);
    if (typeof value === 'string') data[key] = value;
    else if (Buffer.from(value.toString('utf8'), 'utf8').equals(value)) data[key] = value.toString('utf8');
    else binaryData[key] = value.toString('base64');
  };
  for (const { key, data: bytes } of fileEntries(o.fromFile ?? [])) add(key, bytes);
  for (const s of o.fromLiteral ?? []) add(...parseLiteral(s));
  for (const f of o.fromEnvFile ?? []) for (const [k, v] of envFileEntries(f, process.env)) add(k, v);
  return generated('ConfigMap', name, namespace, {
    ...(Object.keys(data).length > 0 ? { data } : {}),
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  });
}

function secretOf(name: string, namespace: string | undefined, o: DataOptions): KubeObject {
  checkSourceMix(o);
  const data: Record<string, string> = {};
  const add = (key: string, value: Buffer | string): void => {
    const errs = isConfigMapKey(key);
    if (errs.length > 0) throw new CliError(`${JSON.stringify(key)} is not valid key name for a Secret ${errs.join(';')}`);
    if (key in data) throw new CliError(`cannot add key ${key}, another key by that name already exists`);
    data[key] = Buffer.from(value).toString('base64');
  };
  for (const { key, data: bytes } of fileEntries(o.fromFile ?? [])) add(key, bytes);
  for (const s of o.fromLiteral ?? []) add(...parseLiteral(s));
  for (const f of o.fromEnvFile ?? []) for (const [k, v] of envFileEntries(f, process.env)) add(k, v);
  return generated('Secret', name, namespace, { ...(Object.keys(data).length > 0 ? { data } : {}), ...(o.type ? { type: o.type } : {}) });
}

const metadataOrder = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];
const bodyOrder: Record<string, string[]> = {
  Namespace: ['spec', 'status'],
  ConfigMap: ['immutable', 'data', 'binaryData'],
  Secret: ['immutable', 'data', 'stringData', 'type'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
};

/** `keys` first in that order, then the rest as they come. */
function ordered(v: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in v) out[k] = v[k];
  for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = x;
  return out;
}

/** Go marshals a map with its keys sorted. */
function sortedMap(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The object's top level and metadata in the order of the Go types kubectl decodes into; its maps sorted. */
function inGoOrder(o: KubeObject): KubeObject {
  const meta = ordered(o.metadata as Record<string, unknown>, metadataOrder);
  for (const k of ['labels', 'annotations']) if (k in meta) meta[k] = sortedMap(meta[k]);
  const top = ordered({ ...o, metadata: meta }, ['kind', 'apiVersion', 'metadata', ...(bodyOrder[o.kind ?? ''] ?? [])]);
  for (const k of ['data', 'binaryData', 'stringData']) if (k in top) top[k] = sortedMap(top[k]);
  return top as unknown as KubeObject;
}

/** Sends (or, on a client dry run, only prints) a generated object, as kubectl's create generators. */
async function createGenerated(ctx: CliContext, cmd: Command, o: GeneratorOptions, r: ResourceDescriptor, build: (namespace: string | undefined) => KubeObject, failPrefix: string | undefined): Promise<void> {
  const dryRun: DryRun = dryRunStrategy(o.dryRun);
  // kubectl's generators print typed objects: -o json in Go's field order.
  const print = o.output === 'json' ? (x: KubeObject) => goJsonIndentTyped(inGoOrder(o.showManagedFields ? x : omitManagedFields(x))) : o.output ? objectPrinter(o.output, undefined, o.showManagedFields === true) : undefined;
  const flagNs = r.namespaced ? ctx.globals(cmd).namespace || undefined : undefined;
  const obj = build(flagNs);
  let out = obj;
  if (dryRun !== 'client') {
    const conn = ctx.conn(cmd);
    try {
      out = await conn.client.create(r, r.namespaced ? flagNs ?? conn.namespace : '', obj, { fieldManager: o.fieldManager, dryRun: dryRun === 'server' });
    } catch (e) {
      if (failPrefix !== undefined && e instanceof ApiError) throw new CliError(`${failPrefix}${e.message}`);
      // As kubectl's CheckErr (a 422 as its causes, the rest as `Error from server (...)`).
      ctx.report(e);
      return;
    }
  }
  ctx.out(print ? print(out, kindPrefix(r), '') : `${kindPrefix(r)}/${out.metadata.name ?? ''} created${dryRunSuffix(dryRun)}\n`);
}

/** What `create` takes besides -f: the generators' flags (kubectl's, per generator). */
export interface CreateGeneratorOptions {
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  fieldManager?: string;
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
  type?: string;
}

/** The generators' flags, added to `create` (which also has --dry-run, -o and --field-manager). */
export function addGeneratorOptions(create: Command): Command {
  return create
    .option('--from-literal <key=value>', 'configmap, secret generic: a key and its value (repeatable)', collect)
    .option('--from-file <[key=]path>', "configmap, secret generic: a file's contents under its name (or key); a directory: each of its regular files (repeatable)", collect)
    .option('--from-env-file <path>', 'configmap, secret generic: the KEY=VALUE lines of a file (repeatable; not with --from-file or --from-literal)', collect)
    .option('--type <type>', 'secret generic: the type of the secret (default: Opaque, set by the server)');
}

export const generatorHelp =
  '\nGenerators (kubectl create TYPE NAME):\n' +
  '  everynode create namespace|ns NAME\n' +
  '  everynode create configmap|cm NAME [--from-file=[key=]path] [--from-literal=key=value] [--from-env-file=path]\n' +
  '  everynode create secret generic NAME [--type=TYPE] [--from-file=[key=]path] [--from-literal=key=value] [--from-env-file=path]\n' +
  '  everynode create serviceaccount|sa NAME\n' +
  "The keys of a configmap or secret come from --from-file, then --from-literal, then --from-env-file; a key given twice is an error.\n" +
  'They write as field manager kubectl-create unless --field-manager names another.\n';

const generatorTypes = ['namespace', 'ns', 'configmap', 'cm', 'secret', 'serviceaccount', 'sa'];

/** Whether `create`'s arguments name a generator (else they are an error, as kubectl's unknown command). */
export function isGenerator(args: string[]): boolean {
  return args.length > 0 && generatorTypes.includes(args[0]!);
}

/** Runs `create TYPE NAME` (isGenerator(args)); flags another generator's are refused as kubectl's unknown flags. */
export async function runGenerator(ctx: CliContext, cmd: Command, args: string[], opts: CreateGeneratorOptions): Promise<void> {
  const [type, ...rest] = args;
  const o: DataOptions = { ...opts, fieldManager: opts.fieldManager ?? defaultFieldManager };
  const refuse = (flags: (keyof CreateGeneratorOptions)[]): void => {
    const flagName: Record<string, string> = { fromLiteral: '--from-literal', fromFile: '--from-file', fromEnvFile: '--from-env-file', type: '--type' };
    for (const f of flags) if (opts[f] !== undefined) throw new CliError(`unknown flag: ${flagName[f]} (not a flag of create ${type})`);
  };
  switch (type) {
    case 'namespace':
    case 'ns': {
      refuse(['fromLiteral', 'fromFile', 'fromEnvFile', 'type']);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, namespacesResource, () => generated('Namespace', name, undefined, { spec: {}, status: {} }), undefined);
    }
    case 'configmap':
    case 'cm': {
      refuse(['type']);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, configMapsResource, (ns) => configMapOf(name, ns, o), 'failed to create configmap: ');
    }
    case 'secret': {
      if (rest[0] !== 'generic') throw new CliError(rest.length === 0 ? 'create secret needs a type: generic (tls and docker-registry: use kubectl)' : `unknown secret type ${JSON.stringify(rest[0])}: everynode creates generic secrets (tls and docker-registry: use kubectl)`);
      const name = oneName(rest.slice(1));
      return createGenerated(ctx, cmd, o, secretsResource, (ns) => secretOf(name, ns, o), 'failed to create secret ');
    }
    default: {
      refuse(['fromLiteral', 'fromFile', 'fromEnvFile', 'type']);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, serviceAccountsResource, (ns) => generated('ServiceAccount', name, ns), 'failed to create serviceaccount: ');
    }
  }
}
