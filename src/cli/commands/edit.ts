// `everynode edit (TYPE [NAME...] | TYPE/NAME... | -f FILE...) [-o yaml|json] [--output-patch]
// [--save-config] [--subresource NAME]`: kubectl 1.32's `edit`.
//
// The objects are read (GET, or a list of TYPE in the namespace when no name is given; any
// failure is printed as kubectl prints an aggregate and nothing is edited; none at all is
// `error: edit cancelled, no objects found`). One object is edited as itself, several as a
// `kind: List`. The editor is $KUBE_EDITOR, else $EDITOR, else `vi`: a value with spaces is
// split at them, one that also has quotes or a backslash runs as `$SHELL -c '<value> "<file>"'`
// (SHELL default /bin/bash); it gets the terminal (in-process runs: no stdin, its output to the
// run's streams). The file is `<tmpdir>/everynode-edit-<random>.yaml` (`.json` with -o json),
// mode 0600: for YAML kubectl's header comment (the reasons of the last failure under it),
// then the object without metadata.managedFields (kept with --show-managed-fields); for JSON
// the object only (4-space indent, keys sorted).
//
// After the editor exits (a failure to start it is `error: unable to launch the editor "X"`,
// a non-zero exit `error: there was a problem with the editor "X"`; the file stays):
//  - a text that does not parse, is no object, or lacks apiVersion/kind fails kubectl's
//    client-side validation: `error: <plural.group> "<name>" is invalid` on stderr and the
//    editor reopens with `# * <nil>: Invalid value: "The edited file failed validation": ...`;
//  - the same text as before without comments: `Edit cancelled, no changes made.` (exit 0,
//    file removed);
//  - a kind the server does not serve reopens the editor with `# The edited file had a syntax
//    error: resource mapping not found ...`;
//  - a namespace other than the command's, or a changed apiVersion, kind or name: `A copy of
//    your changes has been stored to "<file>"` and the error (exit 1);
//  - else each object that changed is sent as kubectl sends it: a strategic merge patch
//    computed as apimachinery's CreateTwoWayMergePatch of the object read and the object saved
//    (kinds of kubectl's scheme; `$setElementOrder/<list>`, `$patch: delete`,
//    `$deleteFromPrimitiveList/<list>`, `$retainKeys`, see twoWayMergePatch), a JSON merge
//    patch for the others (custom resources), PATCH with fieldManager=everynode-edit (or
//    --field-manager) and fieldValidation=Strict (--validate); --output-patch prints
//    `Patch: <json>` first. Prints `<kind>.<group>/<name> edited` (`skipped` for an object
//    left as it was; with -o yaml|json the object instead).
// A 422 from the server prints `error: <plural.group> "<name>" is invalid` and reopens the
// editor with the causes in the header; saving the same text again ends with `A copy of your
// changes has been stored to "<file>"` and `error: Edit cancelled, no valid changes were
// saved.` (exit 1; the files of both passes stay, as kubectl leaves them). A NotFound prints
// `error: ... could not be found on the server` and `The edits you made on deleted resources
// have been saved to "<file>"`; any other refusal `error: ... could not be patched: <message>`
// and `You can run \`kubectl replace -f <file>\` to try this update again.` (everynode has no
// replace verb: the real kubectl does it against this server); both exit 1. On success the
// file is removed.
// --save-config sets kubectl.kubernetes.io/last-applied-configuration to the saved object
// (kubectl's encoding: JSON with sorted keys and a newline, that annotation left out).
//
// --windows-line-endings writes the file with CRLF line endings (every pass).
//
// Not supported: -k/--kustomize, --template, --allow-missing-template-keys, --record,
// edit-last-applied and the edit-before-create modes;
// an object saved without its uid is `no original object found for <kind>/<name>` (kubectl
// prints its Go value); go-yaml's syntax error texts are approximated (patch.ts
// readYamlValue); duplicate keys are read as go-yaml v2 reads them (the last one wins).

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { ApiError } from '../../api/errors.js';
import { deepEqual, goFormat } from '../../api/patch/json-value.js';
import type { SchemaNode } from '../../api/schema/index.js';
import { apiSchema } from '../schema.js';
import type { KubeObject } from '../../api/types.js';
import { resourcePath } from '../client.js';
import { writeYaml } from '../../util/index.js';
import { CliError, UnreachableError } from '../context.js';
import { kindPrefix, qualifiedPlural, type ResourceInfo } from '../discovery.js';
import { readManifests } from '../manifests.js';
import { omitManagedFields } from '../printers.js';
import { listFlag, type CliContext, explainNotFound, namespaceMismatch, parseTargets } from './common.js';
import { goQuote, kubectlSchema, noResourcesMessage, readYamlValue, reportErrors } from './patch.js';
import { goJson, goJsonIndent } from './output.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

// ---------------------------------------------------------------------------------------------
// apimachinery's strategicpatch.CreateTwoWayMergePatch (SetElementOrder on, nothing ignored).

/** Go's reflect type of a decoded JSON value (numbers are all float64). */
function goKind(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  return typeof v === 'object' ? 'map' : typeof v;
}

/** Go's fmt `%v` of a scalar (how merge keys and primitive list items are compared). */
function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return goFormat(v);
  return String(v);
}

/** What the schema says about one field: its node (references resolved) and patch strategy. */
interface FieldMeta {
  node?: SchemaNode;
  strategy?: string;
  mergeKey?: string;
}

function fieldMeta(parent: SchemaNode | undefined, key: string): FieldMeta {
  let p: SchemaNode | undefined;
  if (parent?.kind === 'object') p = parent.properties[key];
  else if (parent?.kind === 'map') p = parent.values;
  if (!p) return {};
  const strategy = p.kind === 'ref' || p.kind === 'array' ? p.patchStrategy : undefined;
  const node = apiSchema().resolveSchema(p);
  const meta: FieldMeta = { node };
  if (strategy !== undefined) meta.strategy = strategy;
  if (node.kind === 'array' && node.patchMergeKey !== undefined) meta.mergeKey = node.patchMergeKey;
  return meta;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Stable sort of `items` by the position of each one's key in `order` (normalizeSliceOrder). */
function inOrderOf(items: unknown[], order: unknown[], key: (v: unknown) => string): unknown[] {
  const keys = order.map(key);
  return items
    .map((v, i) => ({ v, i, at: keys.indexOf(key(v)) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.v);
}

function diffMaps(original: JsonMap, modified: JsonMap, schema: SchemaNode | undefined, retainKeys: boolean): JsonMap {
  const patch: JsonMap = {};
  const retained: string[] = [];
  for (const [key, mv] of Object.entries(modified)) {
    if (retainKeys && mv !== null) retained.push(key);
    if (!Object.prototype.hasOwnProperty.call(original, key)) {
      patch[key] = mv;
      continue;
    }
    const ov = original[key];
    if (goKind(ov) !== goKind(mv)) {
      patch[key] = mv;
      continue;
    }
    if (isMap(ov) && isMap(mv)) {
      const meta = fieldMeta(schema, key);
      if (meta.strategy === 'replace') patch[key] = mv;
      else {
        const sub = diffMaps(ov, mv, meta.node, meta.strategy === 'retainKeys');
        if (Object.keys(sub).length > 0) patch[key] = sub;
      }
    } else if (Array.isArray(ov) && Array.isArray(mv)) {
      diffSlice(key, ov, mv, patch, schema);
    } else if (!deepEqual(ov, mv)) {
      patch[key] = mv;
    }
  }
  for (const key of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(modified, key)) patch[key] = null;
  const additional = Object.entries(original).some(([k, v]) => v !== null && !Object.prototype.hasOwnProperty.call(modified, k));
  if (retained.length > 0 && (Object.keys(patch).length > 0 || additional)) patch['$retainKeys'] = [...retained].sort(byText);
  return patch;
}

function diffSlice(key: string, original: unknown[], modified: unknown[], patch: JsonMap, schema: SchemaNode | undefined): void {
  const meta = fieldMeta(schema, key);
  if (meta.node?.kind !== 'array' || !meta.strategy?.startsWith('merge')) {
    if (!deepEqual(original, modified)) patch[key] = modified;
    return;
  }
  const items = apiSchema().resolveSchema(meta.node.items);
  const { add, remove, order } = diffLists(original, modified, items, meta.mergeKey ?? '', meta.strategy === 'merge,retainKeys');
  if (add.length > 0) patch[key] = add;
  if (remove.length > 0) patch[`$deleteFromPrimitiveList/${key}`] = remove;
  if (order.length > 0) patch[`$setElementOrder/${key}`] = order;
}

function diffLists(original: unknown[], modified: unknown[], items: SchemaNode, mergeKey: string, retainKeys: boolean): { add: unknown[]; remove: unknown[]; order: unknown[] } {
  if (original.length === 0) return { add: modified, remove: [], order: [] };
  const kinds = new Set([...original, ...modified].map(goKind));
  if (kinds.size > 1) throw new CliError(`list element types are not identical: ${goFormat([original, modified])}`);
  const kind = [...kinds][0];
  if (kind === 'slice') throw new CliError('lists of lists are not supported');
  if (kind === 'map') {
    const keyOf = (v: unknown): string => {
      if (!isMap(v) || !Object.prototype.hasOwnProperty.call(v, mergeKey)) throw new CliError(`map: ${goFormat(v)} does not contain declared merge key: ${mergeKey}`);
      return scalarText(v[mergeKey]);
    };
    const sorted = (l: unknown[]) => l.map((v, i) => ({ v: v as JsonMap, k: keyOf(v), i })).sort((a, b) => byText(a.k, b.k) || a.i - b.i);
    const os = sorted(original);
    const ms = sorted(modified);
    const changed: unknown[] = [];
    const deletions: unknown[] = [];
    let i = 0;
    let j = 0;
    while (i < os.length || j < ms.length) {
      const o = os[i];
      const m = ms[j];
      if (o && m && o.k === m.k) {
        const sub = diffMaps(o.v, m.v, items, retainKeys);
        if (Object.keys(sub).length > 0) changed.push({ ...sub, [mergeKey]: m.v[mergeKey] });
        i++;
        j++;
      } else if (m && (!o || o.k > m.k)) {
        changed.push(m.v);
        j++;
      } else if (o) {
        deletions.push({ $patch: 'delete', [mergeKey]: o.v[mergeKey] });
        i++;
      }
    }
    const add = [...inOrderOf(changed, modified, keyOf), ...deletions];
    const sameOrder = original.length === modified.length && original.every((v, k) => deepEqual((v as JsonMap)[mergeKey], (modified[k] as JsonMap)[mergeKey]));
    const order = add.length > 0 || !sameOrder ? modified.map((v) => ({ [mergeKey]: (v as JsonMap)[mergeKey] })) : [];
    return { add, remove: [], order };
  }
  const os = [...original].sort((a, b) => byText(scalarText(a), scalarText(b)));
  const ms = [...modified].sort((a, b) => byText(scalarText(a), scalarText(b)));
  const add: unknown[] = [];
  const remove: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < os.length || j < ms.length) {
    const o = i < os.length ? scalarText(os[i]) : undefined;
    const m = j < ms.length ? scalarText(ms[j]) : undefined;
    if (o !== undefined && m !== undefined && o === m) {
      i++;
      j++;
    } else if (m !== undefined && (o === undefined || o > m)) {
      add.push(ms[j]);
      j++;
    } else {
      if (!remove.some((x) => scalarText(x) === o)) remove.push(os[i]);
      i++;
    }
  }
  const order = remove.length > 0 || !deepEqual(original, modified) ? modified : [];
  return { add: inOrderOf(add, modified, scalarText), remove, order };
}

/**
 * The strategic merge patch that turns `original` into `modified` for the kind of `schema`
 * (apimachinery's CreateTwoWayMergePatch): changed and new fields, `null` for removed ones,
 * merging lists by their patch merge key (changed elements in their new order, then
 * `{"$patch":"delete"}` elements, and `$setElementOrder/<list>` whenever the list changed),
 * primitive merging lists with `$deleteFromPrimitiveList/<list>`, `$retainKeys` for fields with
 * that strategy. Throws CliError for lists it cannot diff (mixed element types, missing merge
 * keys).
 */
export function twoWayMergePatch(original: JsonMap, modified: JsonMap, schema: SchemaNode | undefined): JsonMap {
  return diffMaps(original, modified, schema, false);
}

/** The RFC 7386 merge patch from `original` to `modified` (evanphx/json-patch CreateMergePatch). */
export function createMergePatch(original: JsonMap, modified: JsonMap): JsonMap {
  const patch: JsonMap = {};
  for (const [key, mv] of Object.entries(modified)) {
    if (!Object.prototype.hasOwnProperty.call(original, key)) {
      patch[key] = mv;
      continue;
    }
    const ov = original[key];
    if (isMap(ov) && isMap(mv)) {
      const sub = createMergePatch(ov, mv);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!deepEqual(ov, mv)) patch[key] = mv;
  }
  for (const key of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(modified, key)) patch[key] = null;
  return patch;
}

/** kubectl's preconditions of an edit patch: apiVersion, kind, metadata.name, managedFields unchanged. */
function preconditionsHold(patch: JsonMap): boolean {
  if ('apiVersion' in patch || 'kind' in patch || 'managedFields' in patch) return false;
  const meta = patch['metadata'];
  return !(isMap(meta) && 'name' in meta);
}

// ---------------------------------------------------------------------------------------------
// The edit file.

const headerText = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

interface EditReason {
  head: string;
  other: string[];
}

/** A reason's text in the header: every line break continues the comment. */
function hashOnLineBreak(s: string): string {
  return s.replace(/\n(?!#)/g, '\n# ');
}

function header(reasons: EditReason[]): string {
  let out = headerText;
  for (const r of reasons) {
    out += `# ${hashOnLineBreak(r.head)}${r.other.length > 0 ? ':' : ''}\n`;
    for (const o of r.other) out += `# * ${hashOnLineBreak(o)}\n`;
    out += '#\n';
  }
  return out;
}

/** kubectl's ManualStrip: the text without its comment lines (`#!` lines stay). */
export function manualStrip(text: string): string {
  const lines = text.split('\n');
  let out = '';
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t.startsWith('#') && !t.startsWith('#!')) return;
    out += line;
    if (i < lines.length - 1) out += '\n';
  });
  return out;
}

/**
 * kubectl's StripComments: the text as JSON (so comments and layout do not count), a text
 * that already starts with `{` as it is, a text that does not parse without its comment lines.
 */
export function stripComments(text: string): string {
  if (/^\s*\{/.test(text)) return text;
  try {
    return goJson(readYamlValue(text) ?? null);
  } catch {
    return manualStrip(text);
  }
}

/**
 * kubectl's client-side check of a saved file (the schema validator's parse and kind lookup):
 * the problem, or undefined. Syntax errors are counted on the text without comments.
 */
export function validationProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = readYamlValue(text);
  } catch {
    try {
      value = readYamlValue(manualStrip(text));
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!isMap(value)) return 'invalid object to validate';
  const problems: string[] = [];
  const apiVersion = value['apiVersion'];
  if (apiVersion === null || apiVersion === undefined) problems.push('apiVersion not set');
  else if (typeof apiVersion !== 'string') problems.push("apiVersion isn't string type");
  else if (apiVersion.split('/').length > 2) problems.push(`unexpected GroupVersion string: ${apiVersion}`);
  const kind = value['kind'];
  if (kind === null || kind === undefined) problems.push('kind not set');
  else if (typeof kind !== 'string') problems.push("kind isn't string type");
  if (problems.length === 0) return undefined;
  return problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`;
}

function hasLines(text: string): boolean {
  return text.split('\n').some((l) => {
    const t = l.trim();
    return t.length > 0 && !t.startsWith('#');
  });
}

// ---------------------------------------------------------------------------------------------
// The editor.

/**
 * kubectl's editor command line: $KUBE_EDITOR, else $EDITOR, else `vi`; split at spaces, or
 * run by the shell when it also holds quotes or a backslash (`shell` true).
 */
export function editorCommand(env: Record<string, string | undefined>): { args: string[]; shell: boolean } {
  const editor = ['KUBE_EDITOR', 'EDITOR'].map((k) => env[k] ?? '').find((v) => v !== '') ?? 'vi';
  if (!editor.includes(' ')) return { args: [editor], shell: false };
  if (!/["'\\]/.test(editor)) return { args: editor.split(' '), shell: false };
  return { args: [env['SHELL'] || '/bin/bash', '-c', editor], shell: true };
}

/** Runs the editor on `path` until it exits; throws kubectl's CliError when it fails. */
async function launchEditor(ctx: CliContext, editor: { args: string[]; shell: boolean }, path: string): Promise<void> {
  const args = editor.shell ? [...editor.args.slice(0, -1), `${editor.args.at(-1)!} ${goQuote(path)}`] : [...editor.args, path];
  const named = goQuote(editor.args.join(' '));
  const real = ctx.io.stdout === process.stdout;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), {
      stdio: real ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...ctx.io.env },
    });
    child.stdout?.on('data', (c: Buffer) => ctx.out(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => ctx.err(c.toString('utf8')));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // exec.ErrNotFound (a bare name not on PATH) has its own words; other failures the generic ones.
      reject(new CliError(e.code === 'ENOENT' && !args[0]!.includes('/') ? `unable to launch the editor ${named}` : `there was a problem with the editor ${named}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0 && signal === null) resolve();
      else reject(new CliError(`there was a problem with the editor ${named}`));
    });
  });
}

/** os.CreateTemp(\"\", prefix+\"*\"+ext) with `content`: the path (mode 0600, a random decimal). */
function createTempFile(prefix: string, ext: string, content: string): string {
  for (;;) {
    const path = join(tmpdir(), `${prefix}${randomInt(0, 2 ** 32)}${ext}`);
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The verb.

interface EditOpts {
  filename?: string[];
  recursive?: boolean;
  output?: string;
  outputPatch?: boolean;
  saveConfig?: boolean;
  showManagedFields?: boolean;
  windowsLineEndings?: boolean;
  subresource?: string;
  fieldManager: string;
  validate: string;
}

interface Edited {
  r: ResourceInfo;
  ns: string;
  obj: KubeObject;
}

interface Results {
  file: string;
  reasons: EditReason[];
  invalid: number;
  notfound: number;
  retryable: number;
}

const defaultFieldManager = 'everynode-edit';

/** kubectl's --validate values -> the fieldValidation query parameter. */
function fieldValidation(v: string): string {
  switch (v.toLowerCase()) {
    case 'strict':
    case 'true':
      return 'Strict';
    case 'warn':
      return 'Warn';
    case 'ignore':
    case 'false':
      return 'Ignore';
    default:
      throw new CliError(`invalid - validate option ${goQuote(v)}; must be one of: strict (or true), warn, ignore (or false)`);
  }
}

const uidOf = (o: KubeObject): string => o.metadata?.uid ?? '';

/** The objects to edit, read from the server (kubectl's builder with Latest()). */
async function readObjects(ctx: CliContext, cmd: Command, args: string[], opts: EditOpts): Promise<{ items: Edited[]; errors: unknown[] }> {
  const files = opts.filename ?? [];
  if (files.length > 0 && args.length > 0) throw new CliError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
  if (files.length === 0 && args.length === 0) throw new CliError(noResourcesMessage);
  const conn = ctx.conn(cmd);
  const reads: { r: ResourceInfo; ns: string; name: string }[] = [];
  const items: Edited[] = [];
  const errors: unknown[] = [];
  if (files.length > 0) {
    for (const m of await readManifests(files, ctx.io, { recursive: opts.recursive === true })) {
      const r = await ctx.discovery(cmd).byKind(m.object.apiVersion ?? '', m.object.kind ?? '');
      reads.push({ r, ns: r.namespaced ? m.object.metadata.namespace ?? conn.namespace : '', name: m.object.metadata.name ?? '' });
    }
  } else {
    for (const t of parseTargets(args)) {
      for (const r of await ctx.discovery(cmd).expand(t.type)) {
        const ns = r.namespaced ? conn.namespace : '';
        if (t.names.length > 0) {
          for (const name of t.names) reads.push({ r, ns, name });
          continue;
        }
        try {
          const list = await conn.client.list(r, ns ? { namespace: ns } : {});
          const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
          for (const o of list.items) items.push({ r, ns: o.metadata.namespace ?? ns, obj: { ...o, apiVersion, kind: r.kind } });
        } catch (e) {
          if (e instanceof UnreachableError) throw e;
          errors.push(e);
        }
      }
    }
  }
  for (const x of reads) {
    try {
      items.push({ r: x.r, ns: x.ns, obj: await conn.rawJson<KubeObject>({ path: resourcePath(x.r, x.ns, x.name, opts.subresource) }) });
    } catch (err) {
      const e = await explainNotFound(conn, x.ns, err);
      if (e instanceof UnreachableError) throw e;
      errors.push(e);
    }
  }
  return { items, errors };
}

/** The objects of a saved file, mapped to their resources (kubectl's builder on the file). */
async function parseEdited(ctx: CliContext, cmd: Command, text: string): Promise<Edited[]> {
  const value = readYamlValue(text);
  const list = isMap(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items']) ? value['items'] : [value];
  const out: Edited[] = [];
  for (const item of list) {
    if (!isMap(item) || typeof item['kind'] !== 'string' || item['kind'] === '') throw new Error(`Object 'Kind' is missing in '${goJson(item)}'`);
    if (typeof item['apiVersion'] !== 'string' || item['apiVersion'] === '') throw new Error(`Object 'apiVersion' is missing in '${goJson(item)}'`);
    const obj = item as unknown as KubeObject;
    if (!isMap(obj.metadata)) obj.metadata = {};
    let r: ResourceInfo;
    try {
      r = await ctx.discovery(cmd).byKind(obj.apiVersion!, obj.kind!);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      throw new Error(`resource mapping not found for name: ${goQuote(obj.metadata.name ?? '')} namespace: ${goQuote(obj.metadata.namespace ?? '')} from "edited-file": no matches for kind ${goQuote(obj.kind!)} in version ${goQuote(obj.apiVersion!)}\nensure CRDs are installed first`);
    }
    out.push({ r, ns: r.namespaced ? obj.metadata.namespace ?? '' : '', obj });
  }
  return out;
}

async function runEdit(ctx: CliContext, cmd: Command, args: string[], opts: EditOpts): Promise<void> {
  const format = opts.output ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new CliError(`unable to match a printer suitable for the output format ${goQuote(format)}, allowed formats are: json,yaml`);
  const validation = fieldValidation(opts.validate);
  const ext = format === 'json' ? '.json' : '.yaml';
  const { items, errors } = await readObjects(ctx, cmd, args, opts);
  if (errors.length > 0) return reportErrors(ctx, errors);
  if (items.length === 0) throw new CliError('edit cancelled, no objects found');
  const conn = ctx.conn(cmd);
  const editor = editorCommand(ctx.io.env);
  const showManaged = opts.showManagedFields === true;
  const render = (o: unknown): string => (format === 'json' ? goJsonIndent(o) : writeYaml(o));
  const print = (o: KubeObject, r: ResourceInfo, operation: string): void => {
    if (opts.output === undefined) ctx.out(`${kindPrefix(r)}/${o.metadata.name ?? ''} ${operation}\n`);
    else ctx.out(render(showManaged ? o : omitManagedFields(o)));
  };
  const preserved = (path: string): void => {
    if (path !== '' && existsSync(path)) ctx.err(`A copy of your changes has been stored to ${goQuote(path)}\n`);
  };

  let results: Results = { file: '', reasons: [], invalid: 0, notfound: 0, retryable: 0 };
  const fresh = (file: string): Results => ({ file, reasons: [], invalid: 0, notfound: 0, retryable: 0 });
  /** kubectl's editResults.addError: the line to print; counts the failure and records its reason. */
  const addError = (e: unknown, r: ResourceInfo, name: string): string => {
    const what = `${qualifiedPlural(r)} ${goQuote(name)}`;
    if (e instanceof ApiError && e.reason === 'Invalid') {
      results.invalid++;
      results.reasons.push({ head: `${what} was not valid`, other: (e.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`) });
      return `error: ${what} is invalid`;
    }
    if (e instanceof ApiError && (e.reason === 'NotFound' || e.code === 404)) {
      results.notfound++;
      return `error: ${what} could not be found on the server`;
    }
    results.retryable++;
    return `error: ${what} could not be patched: ${e instanceof Error ? e.message : String(e)}`;
  };

  let original = '';
  let edited = '';
  let containsError = false;
  for (;;) {
    const shown = items.map((i) => (showManaged ? i.obj : omitManagedFields(i.obj)));
    const data = shown.length === 1 ? shown[0] : { apiVersion: 'v1', items: shown, kind: 'List', metadata: {} };
    let buf = format === 'yaml' ? header(results.reasons) : '';
    if (!containsError) {
      buf += render(data);
      original = buf;
    } else {
      buf += manualStrip(edited);
    }
    if (opts.windowsLineEndings) buf = buf.replace(/\r?\n/g, '\r\n');
    const editedDiff = edited;
    const file = createTempFile('everynode-edit-', ext, buf);
    try {
      await launchEditor(ctx, editor, file);
    } catch (e) {
      preserved(results.file);
      throw e;
    }
    edited = readFileSync(file, 'utf8');
    if (containsError && stripComments(editedDiff) === stripComments(edited)) {
      preserved(file);
      throw new CliError('Edit cancelled, no valid changes were saved.');
    }
    if (results.file !== '') rmSync(results.file, { force: true });

    const problem = validationProblem(edited);
    if (problem !== undefined) {
      results = fresh(file);
      containsError = true;
      const invalid = new ApiError(422, 'Invalid', '', { causes: [{ reason: 'FieldValueInvalid', field: '<nil>', message: `Invalid value: "The edited file failed validation": ${problem}` }] });
      ctx.err(`${addError(invalid, items[0]!.r, items[0]!.obj.metadata.name ?? '')}\n`);
      continue;
    }
    if (stripComments(original) === stripComments(edited)) {
      rmSync(file, { force: true });
      ctx.err('Edit cancelled, no changes made.\n');
      return;
    }
    if (!hasLines(edited)) {
      rmSync(file, { force: true });
      ctx.err('Edit cancelled, saved file was empty.\n');
      return;
    }
    results = fresh(file);
    let updated: Edited[];
    try {
      updated = await parseEdited(ctx, cmd, edited);
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      containsError = true;
      results.reasons.push({ head: `The edited file had a syntax error: ${e instanceof Error ? e.message : String(e)}`, other: [] });
      continue;
    }
    containsError = false;

    try {
      for (const u of updated) {
        // The managed fields left out of the file come back (kubectl's restoreManagedFields).
        const from = items.find((i) => uidOf(i.obj) === uidOf(u.obj));
        if (!showManaged && from?.obj.metadata.managedFields !== undefined) u.obj.metadata = { ...u.obj.metadata, managedFields: from.obj.metadata.managedFields };
        // resource.RequireNamespace of the command's namespace.
        if (u.r.namespaced) {
          if (u.ns === '') {
            u.ns = conn.namespace;
            u.obj.metadata = { ...u.obj.metadata, namespace: conn.namespace };
          } else if (u.ns !== conn.namespace) {
            throw namespaceMismatch(u.ns, conn.namespace);
          }
        }
        if (opts.saveConfig) {
          const annotations = { ...(u.obj.metadata.annotations ?? {}) };
          delete annotations[lastApplied];
          const encoded = goJson({ ...u.obj, metadata: { ...u.obj.metadata, annotations } }) + '\n';
          u.obj.metadata = { ...u.obj.metadata, annotations: { ...annotations, [lastApplied]: encoded } };
        }
      }
      // kubectl's visitToPatch.
      for (const u of updated) {
        const from = items.find((i) => uidOf(i.obj) === uidOf(u.obj));
        if (!from) throw new CliError(`no original object found for ${kindPrefix(u.r)}/${u.obj.metadata.name ?? ''}`);
        const before = from.obj as unknown as JsonMap;
        const after = u.obj as unknown as JsonMap;
        if (deepEqual(before, after)) {
          print(u.obj, u.r, 'skipped');
          continue;
        }
        const schema = kubectlSchema(u.obj.apiVersion ?? '', u.obj.kind ?? '');
        const strategic = schema !== undefined;
        const patch = strategic ? twoWayMergePatch(before, after, schema) : createMergePatch(before, after);
        if (!preconditionsHold(patch)) throw new CliError('At least one of apiVersion, kind and name was changed');
        const body = goJson(patch);
        if (opts.outputPatch) ctx.out(`Patch: ${body}\n`);
        const name = u.obj.metadata.name ?? '';
        const q = `?fieldManager=${encodeURIComponent(opts.fieldManager)}&fieldValidation=${validation}`;
        try {
          const res = await conn.raw({ method: 'PATCH', path: resourcePath(u.r, u.ns, name, opts.subresource) + q, body, contentType: strategic ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json' });
          print(JSON.parse(res.text) as KubeObject, u.r, 'edited');
        } catch (e) {
          if (e instanceof UnreachableError) throw e;
          ctx.err(`${addError(e, u.r, name)}\n`);
        }
      }
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      preserved(results.file);
      throw e;
    }

    if (results.retryable > 0) {
      ctx.err(`You can run \`kubectl replace -f ${file}\` to try this update again.\n`);
      ctx.exitCode = 1;
      return;
    }
    if (results.notfound > 0) {
      ctx.err(`The edits you made on deleted resources have been saved to ${goQuote(file)}\n`);
      ctx.exitCode = 1;
      return;
    }
    if (results.invalid === 0) {
      rmSync(file, { force: true });
      return;
    }
    if (results.reasons.length > 0) containsError = true;
  }
}

export function registerEdit(program: Command, ctx: CliContext): void {
  program
    .command('edit')
    .description('Edit resources in $KUBE_EDITOR (else $EDITOR, else vi) and send the changes as a patch')
    .argument('[args...]', 'TYPE [NAME...] | TYPE/NAME... (or -f FILE)')
    .option('-f, --filename <path>', 'file, directory or - for stdin naming the objects to edit (repeatable)', listFlag('-f, --filename', 'edit'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('-o, --output <format>', 'the format to edit in and to print the result in: yaml or json')
    .option('--output-patch', 'print the patch sent for each edited object')
    .option('--save-config', 'record the saved object in its kubectl.kubernetes.io/last-applied-configuration annotation')
    .option('--show-managed-fields', 'keep metadata.managedFields in the file')
    .option('--windows-line-endings', 'write the file with CRLF line endings')
    .option('--subresource <name>', 'edit this subresource of the object (e.g. status)')
    .option('--field-manager <name>', 'the name of the manager of the fields set', defaultFieldManager)
    .addOption(new Option('--validate [mode]', 'server-side field validation: strict (or true), warn, ignore (or false)').preset('strict').default('strict'))
    .addHelpText(
      'after',
      `
Examples:
  everynode edit ds/web
  KUBE_EDITOR="nano" everynode edit ds web
  everynode edit ds web -o json --output-patch
`,
    )
    .action(async (args: string[], opts: EditOpts, cmd: Command) => {
      await runEdit(ctx, cmd, args, opts);
    });
}
