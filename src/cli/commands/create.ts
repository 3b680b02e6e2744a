// `everynode create namespace|configmap|secret generic|tls|docker-registry|serviceaccount|quota NAME`: kubectl's object
// generators, with its flags, messages and output; and `everynode create -f` (its contract is
// apply's, see apply.ts).
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
//   --append-hash (configmap, every secret type) names the object `NAME-<hash of its content>`
//   as kubectl's util/hash does (withAppendedHash).
// - --dry-run=client prints without a request; =server asks with dryRun=All. -o prints the
//   object (the server's answer, or the built one on a client dry run). --field-manager
//   (kubectl's default: kubectl-create).
// - A refusal from the server is printed with kubectl's prefix for the kind: none for a
//   Namespace (the usual `Error from server (...)`), `failed to create configmap: `, `failed to
//   create secret ` (sic, no colon), `failed to create serviceaccount: `, `failed to create quota: `.

import type { Command } from 'commander';
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { isConfigMapKey } from '../../api/validation/names.js';
import { configMapsResource, namespacesResource, resourceQuotasResource, secretsResource, serviceAccountsResource, type ResourceDescriptor } from '../client.js';
import { formatQuantity, parseQuantity, quantityParseError, quantityRegexpText } from '../../api/validation/quantity.js';
import { CliError, withContext } from '../context.js';
import { kindPrefix, type ResourceInfo } from '../discovery.js';
import { readVerbManifests } from '../manifests.js';
import { listFlag, type CliContext, collect, type DryRun, dryRunOption, dryRunStrategy, dryRunSuffix, envNameErrors, manifestFieldManager, objectRef, target } from './common.js';
import { goJsonIndentTyped, objectOutputHelp, objectPrinter, outputPrinter } from './output.js';
import { omitManagedFields } from '../printers.js';
import { goEscape } from '../../util/index.js';

interface GeneratorOptions {
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  fieldManager: string;
}

/** The generators' own flags (each generator takes some of them). */
interface GeneratorFlags {
  appendHash?: boolean;
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
  type?: string;
  cert?: string;
  key?: string;
  dockerServer?: string;
  dockerUsername?: string;
  dockerPassword?: string;
  dockerEmail?: string;
  hard?: string;
  scopes?: string;
}

interface DataOptions extends GeneratorOptions, GeneratorFlags {}

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

/** The PEM blocks of a text, as Go's pem.Decode finds them in turn: their types and DER bytes. */
function pemBlocks(text: string): { type: string; der: Buffer }[] {
  const out: { type: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!.split(/\r?\n/).filter((l) => !l.includes(':'));
    out.push({ type: m[1]!, der: Buffer.from(body.join(''), 'base64') });
  }
  return out;
}

/**
 * kubectl's `create secret tls`: both files read, the pair checked as Go's tls.X509KeyPair
 * checks it (a CERTIFICATE block, a private key block, the key matching the first certificate),
 * with its error texts; data `tls.crt` and `tls.key` as the files are, type kubernetes.io/tls.
 */
function tlsSecretOf(name: string, namespace: string | undefined, o: DataOptions): KubeObject {
  if (!o.cert || !o.key) throw new CliError('key and cert must be specified');
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new CliError(`Cannot read file ${path}, open ${path}: ${fsReason(e)}`);
    }
  };
  const cert = read(o.cert);
  const key = read(o.key);
  const certBlocks = pemBlocks(cert.toString('latin1'));
  if (certBlocks.length === 0) throw new CliError('tls: failed to find any PEM data in certificate input');
  const first = certBlocks.find((b) => b.type === 'CERTIFICATE');
  if (!first) throw new CliError(`tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [${certBlocks.map((b) => b.type).join(' ')}]`);
  const keyBlocks = pemBlocks(key.toString('latin1'));
  if (keyBlocks.length === 0) throw new CliError('tls: failed to find any PEM data in key input');
  const keyBlock = keyBlocks.find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (!keyBlock) throw new CliError(`tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [${keyBlocks.map((b) => b.type).join(' ')}]`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(first.der);
  } catch {
    throw new CliError('x509: malformed certificate');
  }
  let privateKey: KeyObject;
  try {
    const der = keyBlock.der;
    privateKey = keyBlock.type === 'RSA PRIVATE KEY' ? createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }) : keyBlock.type === 'EC PRIVATE KEY' ? createPrivateKey({ key: der, format: 'der', type: 'sec1' }) : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw new CliError('tls: failed to parse private key');
  }
  if (!x509.checkPrivateKey(privateKey)) throw new CliError('tls: private key does not match public key');
  return generated('Secret', name, namespace, { data: { 'tls.crt': cert.toString('base64'), 'tls.key': key.toString('base64') }, type: 'kubernetes.io/tls' });
}

/**
 * kubectl's `create secret docker-registry`: with --from-file, the files (a source without a
 * key name goes under `.dockerconfigjson`); else a `.dockerconfigjson` made of the registry,
 * user, password, email (when given) and their `auth` (base64 of user:password), written as
 * Go's json.Marshal writes it. Type kubernetes.io/dockerconfigjson.
 */
function dockerRegistrySecretOf(name: string, namespace: string | undefined, o: DataOptions): KubeObject {
  const server = o.dockerServer ?? 'https://index.docker.io/v1/';
  const files = o.fromFile ?? [];
  if (files.length === 0 && (!o.dockerUsername || !o.dockerPassword || !server)) {
    throw new CliError('either --from-file or the combination of --docker-username, --docker-password and --docker-server is required');
  }
  const data: Record<string, string> = {};
  if (files.length > 0) {
    for (const { key, data: bytes } of fileEntries(files.map((f) => (f.includes('=') ? f : `.dockerconfigjson=${f}`)))) {
      const errs = isConfigMapKey(key);
      if (errs.length > 0) throw new CliError(`${JSON.stringify(key)} is not valid key name for a Secret ${errs.join(';')}`);
      if (key in data) throw new CliError(`cannot add key ${key}, another key by that name already exists`);
      data[key] = bytes.toString('base64');
    }
  } else {
    const entry = { username: o.dockerUsername, password: o.dockerPassword, ...(o.dockerEmail ? { email: o.dockerEmail } : {}), auth: Buffer.from(`${o.dockerUsername}:${o.dockerPassword}`).toString('base64') };
    data['.dockerconfigjson'] = Buffer.from(goEscape(JSON.stringify({ auths: { [server]: entry } }))).toString('base64');
  }
  return generated('Secret', name, namespace, { data, type: 'kubernetes.io/dockerconfigjson' });
}

const metadataOrder = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];
const bodyOrder: Record<string, string[]> = {
  Namespace: ['spec', 'status'],
  ConfigMap: ['immutable', 'data', 'binaryData'],
  Secret: ['immutable', 'data', 'stringData', 'type'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  ResourceQuota: ['spec', 'status'],
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
interface CreateGeneratorOptions extends GeneratorFlags {
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  fieldManager?: string;
}

/** The generators' flags, added to `create` (which also has --dry-run, -o and --field-manager). */
function addGeneratorOptions(create: Command): Command {
  return create
    .option('--from-literal <key=value>', 'configmap, secret generic: a key and its value (repeatable)', collect)
    .option('--from-file <[key=]path>', "configmap, secret generic: a file's contents under its name (or key); a directory: each of its regular files (repeatable)", collect)
    .option('--from-env-file <path>', 'configmap, secret generic: the KEY=VALUE lines of a file (repeatable; not with --from-file or --from-literal)', collect)
    .option('--type <type>', 'secret generic: the type of the secret (default: Opaque, set by the server)')
    .option('--cert <path>', 'secret tls: the PEM certificate (chain) file')
    .option('--key <path>', 'secret tls: the PEM private key file of the certificate')
    .option('--docker-server <server>', 'secret docker-registry: the registry (default https://index.docker.io/v1/)')
    .option('--docker-username <name>', 'secret docker-registry: the user name')
    .option('--docker-password <password>', 'secret docker-registry: the password')
    .option('--docker-email <email>', 'secret docker-registry: the email (optional)')
    .option('--hard <resource=quantity,...>', 'quota: the limits, a comma-separated list of resource=quantity pairs')
    .option('--scopes <Scope,...>', 'quota: the scopes every object counted must match, comma-separated')
    .option('--append-hash', 'configmap, secret: append a hash of the content to the name (a new name for new content)');
}

/**
 * kubectl's --append-hash (its util/hash): the name gets `-` and the first 10 hex digits of the
 * SHA-256 of the object's Go JSON (sorted keys, `<>&` escaped) of kind, name and data (and a
 * Secret's type, a ConfigMap's binaryData when it has some), with 0 1 3 a e read as g h k m t
 * (no vowels, no digits easily confused).
 */
function withAppendedHash(o: KubeObject): KubeObject {
  const x = o as KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string>; type?: string; immutable?: boolean };
  const name = o.metadata.name ?? '';
  const hashed: Record<string, unknown> =
    o.kind === 'Secret'
      ? { data: sortedMap(x.data ?? {}), kind: 'Secret', name, type: x.type ?? '' }
      : { ...(x.binaryData && Object.keys(x.binaryData).length > 0 ? { binaryData: sortedMap(x.binaryData) } : {}), data: sortedMap(x.data ?? {}), kind: 'ConfigMap', name };
  if (x.immutable !== undefined) hashed.immutable = x.immutable;
  const json = goEscape(JSON.stringify(sortedMap(hashed)));
  const hex = createHash('sha256').update(json).digest('hex').slice(0, 10);
  const suffix = hex.replace(/[013ae]/g, (c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c]!);
  return { ...o, metadata: { ...o.metadata, name: `${name}-${suffix}` } };
}

/**
 * kubectl's create quota: spec.hard from `--hard=cpu=1,pods=2` (each piece exactly one `=`, the
 * quantity in its canonical form, a name given twice: the last), spec.scopes from
 * `--scopes=A,B` (none empty; the server checks the names).
 */
function quotaOf(name: string, namespace: string | undefined, o: DataOptions): KubeObject {
  let hard: Record<string, string> | undefined;
  if (o.hard) {
    const entries = new Map<string, string>();
    for (const piece of o.hard.split(',')) {
      const parts = piece.split('=');
      if (parts.length !== 2) throw new CliError(`Invalid argument syntax ${piece}, expected <resource>=<value>`);
      const q = parseQuantity(parts[1]);
      if (!q || !new RegExp(quantityRegexpText).test(parts[1]!)) throw new CliError(quantityParseError);
      entries.set(parts[0]!, formatQuantity(q));
    }
    hard = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  let scopes: string[] | undefined;
  if (o.scopes) {
    scopes = o.scopes.split(',');
    if (scopes.some((x) => x === '')) throw new CliError('invalid resource quota scope ""');
  }
  return generated('ResourceQuota', name, namespace, { spec: { ...(hard ? { hard } : {}), ...(scopes ? { scopes } : {}) }, status: {} });
}

const generatorHelp =
  '\nGenerators (kubectl create TYPE NAME):\n' +
  '  everynode create namespace|ns NAME\n' +
  '  everynode create configmap|cm NAME [--from-file=[key=]path] [--from-literal=key=value] [--from-env-file=path]\n' +
  '  everynode create secret generic NAME [--type=TYPE] [--from-file=[key=]path] [--from-literal=key=value] [--from-env-file=path]\n' +
  '  everynode create secret tls NAME --cert=path --key=path\n' +
  '  everynode create secret docker-registry NAME --docker-username=user --docker-password=password [--docker-server=server] [--docker-email=email] | --from-file=[key=]path\n' +
  '  everynode create serviceaccount|sa NAME\n' +
  '  everynode create quota|resourcequota NAME [--hard=key1=value1,key2=value2] [--scopes=Scope1,Scope2]\n' +
  "The keys of a configmap or secret come from --from-file, then --from-literal, then --from-env-file; a key given twice is an error.\n" +
  'They write as field manager kubectl-create unless --field-manager names another.\n';

/** Each generator flag (its option key) and its name, for refusing it where it does not belong. */
const generatorFlags = {
  fromLiteral: '--from-literal',
  fromFile: '--from-file',
  fromEnvFile: '--from-env-file',
  type: '--type',
  cert: '--cert',
  key: '--key',
  dockerServer: '--docker-server',
  dockerUsername: '--docker-username',
  dockerPassword: '--docker-password',
  dockerEmail: '--docker-email',
  hard: '--hard',
  scopes: '--scopes',
  appendHash: '--append-hash',
} as const;

const generatorTypes = ['namespace', 'ns', 'configmap', 'cm', 'secret', 'serviceaccount', 'sa', 'quota', 'resourcequota'];

/** Whether `create`'s arguments name a generator (else they are an error, as kubectl's unknown command). */
function isGenerator(args: string[]): boolean {
  return args.length > 0 && generatorTypes.includes(args[0]!);
}

/** Runs `create TYPE NAME` (isGenerator(args)); flags another generator's are refused as kubectl's unknown flags. */
async function runGenerator(ctx: CliContext, cmd: Command, args: string[], opts: CreateGeneratorOptions): Promise<void> {
  const [type, ...rest] = args;
  const o: DataOptions = { ...opts, fieldManager: opts.fieldManager ?? defaultFieldManager };
  const hashed = (obj: KubeObject): KubeObject => (o.appendHash ? withAppendedHash(obj) : obj);
  /** Refuses the generator flags other than `own`, as kubectl's unknown flags. */
  const only = (own: (keyof typeof generatorFlags)[], what = type): void => {
    for (const [f, flag] of Object.entries(generatorFlags)) {
      if (opts[f as keyof typeof generatorFlags] !== undefined && !own.includes(f as keyof typeof generatorFlags)) throw new CliError(`unknown flag: ${flag} (not a flag of create ${what})`);
    }
  };
  switch (type) {
    case 'namespace':
    case 'ns': {
      only([]);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, namespacesResource, () => generated('Namespace', name, undefined, { spec: {}, status: {} }), undefined);
    }
    case 'configmap':
    case 'cm': {
      only(['fromLiteral', 'fromFile', 'fromEnvFile', 'appendHash']);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, configMapsResource, (ns) => hashed(configMapOf(name, ns, o)), 'failed to create configmap: ');
    }
    case 'secret': {
      const [secretType, ...names] = rest;
      if (secretType === 'generic') {
        only(['fromLiteral', 'fromFile', 'fromEnvFile', 'type', 'appendHash'], 'secret generic');
        const name = oneName(names);
        return createGenerated(ctx, cmd, o, secretsResource, (ns) => hashed(secretOf(name, ns, o)), 'failed to create secret ');
      }
      if (secretType === 'tls') {
        only(['cert', 'key', 'appendHash'], 'secret tls');
        const name = oneName(names);
        return createGenerated(ctx, cmd, o, secretsResource, (ns) => hashed(tlsSecretOf(name, ns, o)), 'failed to create secret ');
      }
      if (secretType === 'docker-registry') {
        only(['fromFile', 'dockerServer', 'dockerUsername', 'dockerPassword', 'dockerEmail', 'appendHash'], 'secret docker-registry');
        const name = oneName(names);
        return createGenerated(ctx, cmd, o, secretsResource, (ns) => hashed(dockerRegistrySecretOf(name, ns, o)), 'failed to create secret ');
      }
      throw new CliError(secretType === undefined ? 'create secret needs a type: generic, tls or docker-registry' : `unknown secret type ${JSON.stringify(secretType)}: generic, tls or docker-registry`);
    }
    case 'quota':
    case 'resourcequota': {
      only(['hard', 'scopes']);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, resourceQuotasResource, (ns) => quotaOf(name, ns, o), 'failed to create quota: ');
    }
    default: {
      only([]);
      const name = oneName(rest);
      return createGenerated(ctx, cmd, o, serviceAccountsResource, (ns) => generated('ServiceAccount', name, ns), 'failed to create serviceaccount: ');
    }
  }
}

/** The options of `create -f` (the generators' are CreateGeneratorOptions). */
interface CreateFileOptions {
  filename?: string[];
  /** -R: directories with their sub-directories. */
  recursive?: boolean;
  dryRun?: string;
  output?: string;
  showManagedFields?: boolean;
  /** Absent unless given: -f writes as manifestFieldManager, the generators as kubectl-create. */
  fieldManager?: string;
}

export function registerCreate(program: Command, ctx: CliContext): void {
  const create = program
    .command('create')
    .argument('[type-and-name...]', 'namespace|configmap|secret generic|tls|docker-registry|serviceaccount|quota NAME (instead of -f)')
    .description('Create resources from files, a directory, or stdin (-f -), or a namespace, configmap, secret, serviceaccount or quota by name; existing objects are an error')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', listFlag('-f, --filename', 'create'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .addOption(dryRunOption())
    .option('-o, --output <format>', objectOutputHelp)
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .option('--field-manager <name>', 'the name of the manager of the fields set (default: everynode with -f, kubectl-create for the generators)')
    .addHelpText('after', generatorHelp)
    // Flags of kubectl's other generators (`create deployment x --image=...`) must not hide the
    // pointer to kubectl behind "unknown option": they come here among the arguments.
    .allowUnknownOption()
    .action(async (rawArgs: string[], opts: CreateFileOptions & CreateGeneratorOptions, cmd: Command) => {
      const args = rawArgs.filter((a) => !a.startsWith('-'));
      const unknownFlag = rawArgs.find((a) => a.startsWith('-'));
      // An unknown flag of a known generator (or of `create -f`) is an error; another generator's type is named below.
      if (unknownFlag !== undefined && (args.length === 0 || isGenerator(args))) throw new CliError(`unknown option '${unknownFlag}'`);
      if (args.length > 0 && (opts.filename ?? []).length === 0) {
        if (!isGenerator(args)) throw new CliError(`unknown type to create: ${JSON.stringify(args[0])} (namespace, configmap, secret generic|tls|docker-registry, serviceaccount or quota; other objects: create -f)`);
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
      if ((opts.filename ?? []).length === 0) throw new CliError('must specify -f (a file, a directory or - for stdin), or what to create: namespace, configmap, secret generic|tls|docker-registry, serviceaccount or quota');
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
          const created = await conn.client.create(r, ns, m.object, { fieldManager: opts.fieldManager ?? manifestFieldManager, dryRun: dry, fieldValidation: 'Strict' });
          done(r, created, `${objectRef(r, created.metadata.name ?? '')} created${dryRunSuffix(dryRun)}\n`);
        } catch (e) {
          ctx.report(withContext(e, `error when creating "${m.source}": `));
        }
      }
      for (const e of unreadable) ctx.report(e);
    });
  addGeneratorOptions(create);
}
