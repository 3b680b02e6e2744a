// `everynode patch (TYPE NAME... | TYPE/NAME... | -f FILE...) (-p PATCH | --patch-file FILE)
// [--type strategic|merge|json] [--subresource NAME] [--local] [--dry-run=client|server] [-o FORMAT]`:
// kubectl 1.32's `patch`.
//
// The patch text is read as kubectl reads it (apimachinery's yaml.ToJSON): a text that starts
// with `{` (after white space) is sent as it is, anything else is read as YAML (the first
// document; go-yaml v2's scalars, duplicate keys allowed, the last one wins) and sent as JSON;
// YAML that does not parse is `error: unable to parse "<patch>": yaml: ...` (the wording of the
// common go-yaml errors is approximated, see yamlToJson). --type is case-insensitive; the
// default is strategic.
//
// Objects: each named object is read (GET, of the subresource with --subresource) and then
// patched (PATCH with the patch type's content type, fieldManager=everynode-patch or
// --field-manager, dryRun=All with --dry-run=server); a `-f` object is taken from its file
// (namespace: the file's, else the context's; a file namespace other than an explicit -n is an
// error) and not read. The word printed is `patched`, or `patched (no change)` when the answer
// equals what was read (so `-f` objects almost always say `patched`, as kubectl). kubectl's
// patch never appends a dry-run marker. --dry-run=client and --local (with -f only, no
// server) apply the patch here: JSON patch and merge patch as the server does, strategic merge
// patch with the kind's built-in schema (a kind kubectl's scheme lacks, e.g. a custom
// resource, is `strategic merge patch is not supported for <group>/<version>, Kind=<kind>
// locally, try --type merge`), with kubectl's local error wording.
//
// Output: `<kind>.<group>/<name> patched`, or per object -o name|yaml|json|jsonpath=T|
// jsonpath-file=F|go-template=T|go-template-file=F|template=T|templatefile=F (yaml and json
// without managedFields unless --show-managed-fields, keys sorted as kubectl prints an
// unstructured object, several objects one after another with no separator). As kubectl, the
// -o value is checked when an object is printed, after its PATCH was sent.
//
// Errors: the checks kubectl makes before any request (both or neither of -p/--patch-file,
// --local with names or with --dry-run=server, an unknown --type, names with -f, no resource),
// each `error: <text>`, exit 1. Per object failures (GET, PATCH, local patch, printer) do not
// stop the others and are printed at the end as kubectl's CheckErr prints them (reportErrors):
// one as `Error from server (Reason): ...` or `error: ...`, a 422 as `The <Kind> "<name>" is
// invalid: <causes>`, several one per line. A strategic merge patch the server refuses with
// 415 (custom resources) is `error: application/strategic-merge-patch+json is not supported by
// <group>/<version>, Kind=<kind>: <message>`.
//
// Not supported: -k/--kustomize, --record, --allow-missing-template-keys, -o jsonpath-as-json,
// the go-template failure's debugging block (the error line only).

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { ApiError } from '../../api/errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../api/patch/index.js';
import { deepEqual } from '../../api/patch/json-value.js';
import type { SchemaNode } from '../../api/schema/index.js';
import { apiSchema } from '../schema.js';
import type { KubeObject } from '../../api/types.js';
import { resourcePath } from '../client.js';
import { k8sYamlOptions } from '../../util/index.js';
import { CliError, formatError, UnreachableError } from '../context.js';
import type { ResourceInfo } from '../discovery.js';
import { readManifests } from '../manifests.js';
import { objectPrinter, type ObjectPrinter } from './output.js';
import { listFlag, type CliContext, invalidText, resourceOfManifest, dryRunOption, dryRunStrategy, explainNotFound, namespaceMismatch, parseTargets } from './common.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Go renderings shared with edit.ts.

/** Go's strconv.Quote (what `%q` prints): printable characters as they are, others escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** `apps/v1, Kind=DaemonSet` (schema.GroupVersionKind's String()). */
export function gvkString(apiVersion: string, kind: string): string {
  return `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`;
}

/** `daemonset.apps` from an object's own apiVersion and kind (no discovery). */
export function prefixOfObject(o: KubeObject): string {
  const apiVersion = o.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${(o.kind ?? '').toLowerCase()}${group ? `.${group}` : ''}`;
}

/** Groups everynode has built-in schemas for but kubectl's own scheme does not register. */
const notInKubectlScheme = new Set(['apiextensions.k8s.io', 'apiregistration.k8s.io', 'metrics.k8s.io']);

/**
 * The schema of a kind kubectl knows as a Go type (its scheme.Scheme), which is what makes it
 * compute and apply strategic merge patches client-side; undefined for any other kind.
 */
export function kubectlSchema(apiVersion: string, kind: string): SchemaNode | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (notInKubectlScheme.has(group)) return undefined;
  return apiSchema().schemaFor({ group, version, kind });
}

// ---------------------------------------------------------------------------------------------
// YAML as apimachinery's yaml.ToJSON reads it.

/** The go-yaml v2 wording of a `yaml` library parse error (the usual cases; others keep ours). */
/**
 * The innermost flow collection (`[` or `{`) still open at `end` of `text`, with its line
 * (go-yaml reports an unterminated one where it starts). Quoted scalars and comments are
 * skipped roughly (enough for error messages).
 */
function openFlow(text: string, end: number): { bracket: string; line: number } | undefined {
  const stack: { bracket: string; line: number }[] = [];
  let line = 1;
  let quote = '';
  for (let i = 0; i < Math.min(end, text.length); i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '"' || (c === "'" && stack.length > 0)) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    else if (c === '[' || c === '{') stack.push({ bracket: c, line });
    else if (c === ']' || c === '}') stack.pop();
  }
  return stack.at(-1);
}

function goYamlMessage(text: string, e: { code: string; message: string; pos?: [number, number]; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const line = e.linePos?.[0].line ?? 1;
  const m = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (/^Flow (sequence|map) /.test(m)) {
    // A flow collection opened at the very end: go-yaml misses its first node.
    if (/[[{]\s*$/.test(text)) return `line ${line}: did not find expected node content`;
    const open = openFlow(text, e.pos?.[0] ?? text.length);
    const closer = (open?.bracket ?? (/^Flow map/.test(m) ? '{' : '[')) === '{' ? '}' : ']';
    return `line ${open?.line ?? line}: did not find expected ',' or '${closer}'`;
  }
  if (e.code === 'TAB_AS_INDENT') return `line ${line}: found character that cannot start any token`;
  if (/^Missing closing .?quote/.test(m)) return 'found unexpected end of stream';
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') return 'mapping values are not allowed in this context';
  if (/^All mapping items must start at the same column/.test(m)) return `line ${Math.max(1, line - 1)}: did not find expected key`;
  if (/^All sequence items must start at the same column/.test(m)) return `line ${Math.max(1, line - 1)}: did not find expected '-' indicator`;
  return `line ${line}: ${m}`;
}

/**
 * The first YAML document of `text` as JSON is decoded (go-yaml v2 scalars, duplicate keys
 * allowed); an empty text is null. Throws Error(`yaml: ...`) with go-yaml's wording where
 * known.
 */
export function readYamlValue(text: string): unknown {
  const docs = parseAllDocuments(text, { ...k8sYamlOptions, uniqueKeys: false });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return null;
  const first = doc.errors[0];
  if (first) throw new Error(`yaml: ${goYamlMessage(text, first as unknown as Parameters<typeof goYamlMessage>[1])}`);
  try {
    return doc.toJS() as unknown;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const alias = /Aliased anchor not found: (\S+)/.exec(msg);
    throw new Error(alias ? `yaml: unknown anchor '${alias[1]!}' referenced` : `yaml: ${msg}`);
  }
}

/**
 * apimachinery's yaml.ToJSON: a text that starts with `{` is already JSON and stays as it is
 * (even when it is not valid JSON: the server or the local patch reports that); any other is
 * read as YAML and encoded as JSON.
 */
export function patchBody(text: string): string {
  if (/^\s*\{/.test(text)) return text;
  const v = readYamlValue(text);
  return JSON.stringify(v === undefined ? null : v);
}

// ---------------------------------------------------------------------------------------------
// Go's encoding/json syntax errors (the JSON patch decoder of a local patch).

function goQuoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = goQuote(c);
  return `'${q.slice(1, -1)}'`;
}

/** The message Go's json.Unmarshal gives for malformed JSON, or undefined when `s` is valid. */
export function goJsonSyntaxError(s: string): string | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && ' \t\r\n'.includes(s[i]!)) i++;
  };
  class Bad extends Error {}
  const fail = (context: string): never => {
    throw new Bad(i >= s.length ? 'unexpected end of JSON input' : `invalid character ${goQuoteChar(s[i]!)} ${context}`);
  };
  const digits = (context: string): void => {
    if (i >= s.length || !/[0-9]/.test(s[i]!)) fail(context);
    while (i < s.length && /[0-9]/.test(s[i]!)) i++;
  };
  const value = (): void => {
    ws();
    if (i >= s.length) fail('');
    const c = s[i]!;
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') return void i++;
      for (;;) {
        ws();
        if (s[i] !== '"') fail('looking for beginning of object key string');
        string();
        ws();
        if (s[i] !== ':') fail('after object key');
        i++;
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') return void i++;
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') return void i++;
        fail('after array element');
      }
    }
    if (c === '"') return string();
    if (c === '-' || /[0-9]/.test(c)) {
      if (c === '-') {
        i++;
        if (i >= s.length || !/[0-9]/.test(s[i]!)) fail('in numeric literal');
      }
      if (s[i] === '0') i++;
      else digits('in numeric literal');
      if (s[i] === '.') {
        i++;
        digits('after decimal point in numeric literal');
      }
      if (s[i] === 'e' || s[i] === 'E') {
        i++;
        if (s[i] === '+' || s[i] === '-') i++;
        digits('in exponent of numeric literal');
      }
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (c !== word[0]) continue;
      i++;
      for (let k = 1; k < word.length; k++, i++) if (s[i] !== word[k]) fail(`in literal ${word} (expecting ${goQuoteChar(word[k]!)})`);
      return;
    }
    fail('looking for beginning of value');
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= s.length) fail('');
      const c = s[i]!;
      if (c === '"') return void i++;
      if (c === '\\') {
        i++;
        if (i >= s.length) fail('');
        if (s[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (i >= s.length || !/[0-9a-fA-F]/.test(s[i]!)) fail('in \\u hexadecimal character escape');
          continue;
        }
        if (!'"\\/bfnrt'.includes(s[i]!)) fail('in string escape code');
        i++;
        continue;
      }
      if (c < ' ') fail('in string literal');
      i++;
    }
  };
  try {
    value();
    ws();
    if (i < s.length) fail('after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof Bad) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors as kubectl's CheckErr prints them.

/** kubectl's text of the one error of a run (cmdutil.CheckErr), without the final newline. */
export function kubectlErrorText(e: unknown): string {
  if (e instanceof ApiError && e.reason === 'Invalid') return invalidText(e);
  if (e instanceof ApiError || e instanceof UnreachableError) return formatError(e);
  const msg = e instanceof Error ? e.message : String(e);
  return msg.startsWith('error: ') ? msg : `error: ${msg}`;
}

/**
 * Prints a run's failures as kubectl prints an aggregate: one as kubectlErrorText, several
 * one per line (API errors as `Error from server (Reason): ...`, others as their bare
 * message); sets exit code 1. An unreachable server is thrown instead (runCli says it once).
 */
export function reportErrors(ctx: CliContext, errors: unknown[]): void {
  if (errors.length === 0) return;
  for (const e of errors) if (e instanceof UnreachableError) throw e;
  ctx.exitCode = 1;
  const lines = errors.length === 1 ? [kubectlErrorText(errors[0])] : errors.map((e) => (e instanceof ApiError ? formatError(e) : e instanceof Error ? e.message : String(e)));
  for (const l of lines) ctx.err(l.endsWith('\n') ? l : `${l}\n`);
}

/** kubectl's message when no resource is given at all. */
export const noResourcesMessage = `You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

// ---------------------------------------------------------------------------------------------
// Local patches (--dry-run=client, --local), with kubectl's local error wording.

export type PatchType = 'strategic' | 'merge' | 'json';

export const patchContentTypes: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

function parsedOrUndefined(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

/** kubectl's getPatchedJSON: `obj` patched here as the server would; throws CliError. */
export function patchLocally(obj: KubeObject, type: PatchType, body: string): KubeObject {
  const parsed = parsedOrUndefined(body);
  const local = (f: () => unknown): KubeObject => {
    try {
      return f() as KubeObject;
    } catch (e) {
      if (e instanceof ApiError) throw new CliError(e.message);
      throw e;
    }
  };
  switch (type) {
    case 'json': {
      if (!parsed.ok) throw new CliError(goJsonSyntaxError(body) ?? 'invalid JSON patch');
      if (parsed.value === null) return obj;
      return local(() => applyJsonPatch(obj, parsed.value));
    }
    case 'merge': {
      if (!parsed.ok || !isMap(parsed.value)) {
        if (parsed.ok && Array.isArray(parsed.value)) throw new CliError('json: cannot unmarshal array into Go value of type unstructured.detector');
        throw new CliError('Invalid JSON Patch');
      }
      const patch = parsed.value;
      return local(() => applyMergePatch(obj, patch));
    }
    case 'strategic': {
      const schema = kubectlSchema(obj.apiVersion ?? '', obj.kind ?? '');
      if (!schema) throw new CliError(`strategic merge patch is not supported for ${gvkString(obj.apiVersion ?? '', obj.kind ?? '')} locally, try --type merge`);
      if (!parsed.ok || !isMap(parsed.value)) throw new CliError('invalid JSON document');
      const patch = parsed.value;
      return local(() => applyStrategicMergePatch(obj, patch, schema, apiSchema().resolveSchema));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The verb.

interface PatchOpts {
  patch?: string;
  patchFile?: string;
  type: string;
  filename?: string[];
  recursive?: boolean;
  local?: boolean;
  subresource?: string;
  output?: string;
  template?: string;
  showManagedFields?: boolean;
  fieldManager: string;
  dryRun?: string;
}

/** One object to patch: read from the server (`read`) or taken from a file (`object`). */
interface Item {
  r?: ResourceInfo;
  ns: string;
  name: string;
  read?: () => Promise<KubeObject>;
  object?: KubeObject;
  /** An error found while naming the object (printed among the others, in order). */
  error?: unknown;
}

const defaultFieldManager = 'everynode-patch';

async function runPatch(ctx: CliContext, cmd: Command, args: string[], opts: PatchOpts): Promise<void> {
  const dryRun = dryRunStrategy(opts.dryRun);
  const local = opts.local === true;
  const files = opts.filename ?? [];
  // kubectl's Validate, in its order.
  if ((opts.patch ?? '') !== '' && (opts.patchFile ?? '') !== '') throw new CliError('cannot specify --patch and --patch-file together');
  if ((opts.patch ?? '') === '' && (opts.patchFile ?? '') === '') throw new CliError('must specify --patch or --patch-file containing the contents of the patch');
  if (local && args.length > 0) throw new CliError('cannot specify --local and server resources');
  if (local && dryRun === 'server') throw new CliError('cannot specify --local and --dry-run=server - did you mean --dry-run=client?');
  const type = opts.type.toLowerCase();
  if (type !== 'strategic' && type !== 'merge' && type !== 'json') throw new CliError(`--type must be one of [json merge strategic], not ${goQuote(opts.type)}`);

  let text = opts.patch ?? '';
  if ((opts.patchFile ?? '') !== '') {
    try {
      text = readFileSync(opts.patchFile!, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(`unable to read patch file: open ${opts.patchFile!}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
    }
  }
  let body: string;
  try {
    body = patchBody(text);
  } catch (e) {
    // kubectl quotes -p (empty when the patch came from a file).
    throw new CliError(`unable to parse ${goQuote(opts.patch ?? '')}: ${(e as Error).message}`);
  }

  // kubectl's resource builder.
  if (files.length > 0 && args.length > 0) throw new CliError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
  if (files.length === 0 && args.length === 0) throw new CliError(noResourcesMessage);
  const items: Item[] = [];
  if (files.length > 0) {
    const manifests = await readManifests(files, ctx.io, { recursive: opts.recursive === true });
    const flagNs = ctx.globals(cmd).namespace;
    for (const m of manifests) {
      const name = m.object.metadata.name ?? '';
      if (local) {
        items.push({ ns: m.object.metadata.namespace ?? '', name, object: m.object });
        continue;
      }
      const conn = ctx.conn(cmd);
      const r = await resourceOfManifest(ctx, cmd, m);
      const objNs = m.object.metadata.namespace;
      const ns = r.namespaced ? objNs ?? conn.namespace : '';
      const item: Item = { r, ns, name, object: r.namespaced ? { ...m.object, metadata: { ...m.object.metadata, namespace: ns } } : m.object };
      if (r.namespaced && flagNs && objNs && flagNs !== objNs) {
        item.error = namespaceMismatch(objNs, flagNs);
      }
      items.push(item);
    }
  } else {
    const conn = ctx.conn(cmd);
    const targets = parseTargets(args);
    const resolved: { r: ResourceInfo; names: string[] }[] = [];
    for (const t of targets) resolved.push({ r: await ctx.discovery(cmd).resolve(t.type), names: t.names });
    if (resolved.some((x) => x.names.length === 0)) throw new CliError('resource(s) were provided, but no name was specified');
    for (const { r, names } of resolved) {
      const ns = r.namespaced ? conn.namespace : '';
      for (const name of names) {
        const path = resourcePath(r, ns, name, opts.subresource);
        items.push({ r, ns, name, read: () => conn.rawJson<KubeObject>({ path }).catch(async (e: unknown) => Promise.reject(await explainNotFound(conn, ns, e))) });
      }
    }
  }

  let printer: ObjectPrinter | undefined;
  let printerError: unknown;
  const print = (o: KubeObject, prefix: string, operation: string): void => {
    if (!printer && printerError === undefined) {
      try {
        printer = objectPrinter(opts.output, opts.template, opts.showManagedFields === true);
      } catch (e) {
        printerError = e;
      }
    }
    if (!printer) throw printerError;
    ctx.out(printer(o, prefix, operation));
  };

  const errors: unknown[] = [];
  let count = 0;
  for (const item of items) {
    try {
      if (item.error !== undefined) throw item.error;
      const before = item.object ?? (await item.read!());
      count++;
      const prefix = item.r ? `${item.r.kind.toLowerCase()}${item.r.group ? `.${item.r.group}` : ''}` : prefixOfObject(before);
      if (!local && dryRun !== 'client') {
        const r = item.r!;
        const q = `?fieldManager=${encodeURIComponent(opts.fieldManager)}${dryRun === 'server' ? '&dryRun=All' : ''}`;
        let after: KubeObject;
        try {
          const res = await ctx.conn(cmd).raw({ method: 'PATCH', path: resourcePath(r, item.ns, item.name, opts.subresource) + q, body, contentType: patchContentTypes[type] });
          after = JSON.parse(res.text) as KubeObject;
        } catch (e) {
          if (e instanceof ApiError && e.code === 415) {
            throw new CliError(`${patchContentTypes[type]} is not supported by ${gvkString(before.apiVersion ?? (r.group ? `${r.group}/${r.version}` : r.version), before.kind ?? r.kind)}: ${e.message}`);
          }
          throw e;
        }
        print(after, prefix, deepEqual(before, after) ? 'patched (no change)' : 'patched');
        continue;
      }
      const after = patchLocally(before, type, body);
      print(after, prefix, deepEqual(before, after) ? 'patched (no change)' : 'patched');
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      errors.push(e);
    }
  }
  if (errors.length > 0) return reportErrors(ctx, errors);
  if (count === 0) throw new CliError('no objects passed to patch');
}

export function registerPatch(program: Command, ctx: CliContext): void {
  program
    .command('patch')
    .description('Update fields of a resource with a strategic merge patch, a JSON merge patch or a JSON patch')
    .argument('[args...]', 'TYPE NAME... | TYPE/NAME... (or -f FILE)')
    .option('-p, --patch <patch>', 'the patch (JSON, or YAML) to apply to the object')
    .option('--patch-file <file>', 'a file holding the patch')
    .option('--type <type>', 'the type of patch: json, merge or strategic', 'strategic')
    .option('-f, --filename <path>', 'file, directory or - for stdin naming the objects to patch (repeatable)', listFlag('-f, --filename', 'patch'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('--local', 'patch the -f objects here and print them; nothing is sent')
    .option('--subresource <name>', 'patch this subresource of the object (e.g. status)')
    .option('-o, --output <format>', 'yaml|json|name|jsonpath=TEMPLATE|jsonpath-file=FILE|go-template=TEMPLATE|go-template-file=FILE')
    .option('--template <template>', 'the Go template (or its file) of -o go-template / go-template-file')
    .option('--show-managed-fields', 'keep metadata.managedFields in yaml and json output')
    .option('--field-manager <name>', 'the name of the manager of the fields set', defaultFieldManager)
    .addOption(dryRunOption())
    .addHelpText(
      'after',
      `
Examples:
  everynode patch ds web -p '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"busybox:2"}]}}}}'
  everynode patch ds/web --type merge -p '{"metadata":{"labels":{"tier":"edge"}}}'
  everynode patch ds/web --type json -p '[{"op":"replace","path":"/spec/minReadySeconds","value":5}]'
  everynode patch pod/web-x --subresource status --type merge -p '{"status":{"conditions":[{"type":"Custom","status":"True"}]}}'
  everynode patch -f ds.yaml --local -p '{"metadata":{"labels":{"a":"b"}}}' -o yaml
`,
    )
    .action(async (args: string[], opts: PatchOpts, cmd: Command) => {
      await runPatch(ctx, cmd, args, opts);
    });
}
