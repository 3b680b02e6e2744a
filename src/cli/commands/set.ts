// `everynode set image|env|resources`: change the containers of objects that have a pod spec
// (Pods, DaemonSets, Deployments, ReplicaSets, StatefulSets, ReplicationControllers, Jobs,
// CronJobs), as kubectl 1.32's `set image`, `set env` and `set resources` do.
//
// Objects: `TYPE NAME...`, `TYPE/NAME...`, or every object of TYPE in the namespace (--all) or
// matching -l SELECTOR (names win over --all; names with -l are an error, worded as kubectl's
// builder words it), or those of -f files (below). Every object is read first; if any read fails, only the failures are
// printed (exit code 1) and nothing is changed.
//
// The change is sent as kubectl sends it: a strategic merge patch of the pod spec computed as
// apimachinery's two-way diff of the object before and after (`$setElementOrder/<list>` for
// each merging list that changed, the changed elements in their new order, then
// `{"$patch":"delete"}` elements sorted by key; a list that became empty is `null`), with
// fieldManager=everynode-set. An object the change leaves as it is gets no request and no
// output line. A DaemonSet's template change makes the server bump its generation and the
// controller roll it out (a new ControllerRevision).
//
// Output, as kubectl prints it: `<kind>.<group>/<name> image updated` (`env updated`,
// `resource requirements updated`), with
// ` (dry run)` (--dry-run=client: nothing sent, the changed object printed) or
// ` (server dry run)`; -o name prints `<kind>.<group>/<name>`; -o json|yaml print each object
// (the server's answer, or the changed object with --dry-run=client) as kubectl's typed objects
// encode: `kind` before `apiVersion`, struct fields in Go order, map keys sorted, the fields Go
// always writes (`creationTimestamp: null` of a template, `resources: {}` of a container),
// without managedFields unless --show-managed-fields; YAML documents are separated by `---`.
// -o jsonpath=|jsonpath-file=|jsonpath-as-json= and go-template=|go-template-file=|template=|
// templatefile= run on that object read as a map (every key sorted), once per object. An
// unknown -o, a template that does not parse or cannot be read fail before any request.
//
// Failures of single objects (no pod spec, a container name not found, --overwrite=false, a
// refused patch) do not stop the others; they are printed at the end as kubectl prints an
// aggregate: one failure as `error: <message>`, several as one message per line without the
// prefix (kubectl's own messages keep their `error: ` and a message ending in a newline keeps
// it). The exit code is then 1.
//
// set image: `CONTAINER=IMAGE` pairs (`*=IMAGE`: every container), init containers included;
// a name no container (nor init container) has is `error: unable to find container named "c"`.
//
// set env: `KEY=VALUE` sets, `KEY-` removes, `-` reads `KEY=VALUE` lines from stdin (names not
// checked there, as kubectl; other lines ignored), -e/--env adds pairs before the arguments
// (the first setting of a key wins); -c selects containers by name with `*` wildcards
// (default: all; init containers come after the others); a selection that matches nothing is
// a warning. --overwrite=false refuses to change an existing value.
// --from=configmap/NAME|secret/NAME adds a reference per key (--keys to choose, --prefix),
// named as kubectl names it (upper case, `_` for other characters, with a warning; the keys in
// sorted order, one of the orders kubectl's map iteration gives). --list prints, per
// container, `# <Kind> <name>, container <c>` then `KEY=VALUE` lines and `# KEY from <source>`
// for references (--resolve: their values, read as kubectl reads them: ConfigMap and Secret
// keys, metadata field paths of the object, container resources), after the changes given,
// which are then not sent.
//
// set resources: --limits and --requests as `NAME=QUANTITY,...` (quantities in their canonical
// form, as kubectl's typed encoding writes them), merged into the requirements of the
// containers -c selects (`*` wildcards; default all, init containers included); a selection
// that matches nothing is `error: unable to find container named <c>`.
//
// -f/--filename (-R): the objects a file, directory or stdin names, read again from the server
// in their namespace (their own, else the run's; a contradicting -n is refused after the read,
// and -l keeps the objects whose labels on the server match). --local: the file's objects are changed
// here and printed (`... image updated`, or -o), nothing is sent and no server is needed; TYPE
// NAME arguments are refused with it (ignored by `set env`), as is --dry-run=server.
//
// Not supported: --record, --allow-missing-template-keys=false, `set selector|serviceaccount|subject`.

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import type { SchemaNode } from '../../api/schema/index.js';
import { apiSchema } from '../schema.js';
import { formatQuantity, parseQuantity, quantityParseError, quantityRegexpText, scaledValue, type Quantity } from '../../api/validation/quantity.js';
import { CliError, UnreachableError } from '../context.js';
import type { ResourceInfo } from '../discovery.js';
import { readStream } from '../io.js';
import { type ObjectTarget, readFileTargets } from './file-targets.js';
import { executeTemplate, findValues, GoTemplateError, JsonPathError } from '../jsonpath.js';
import { printObjects, type ObjectFormat, readTemplateFile, sortedKeys } from '../printers.js';
import { goTemplateOf } from './output.js';
import { listFlag, type CliContext, collect, type Failure, reportFailures, dryRunOption, dryRunStrategy, dryRunSuffix, type DryRun, envNameErrors, getLatest, objectRef, parseTargets } from './common.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The field manager of the patches (kubectl's is `kubectl-set`). */
const defaultFieldManager = 'everynode-set';

/** The text of an error wrapped in one of kubectl's messages (client-go's Error() of a Status is its message). */
function errorText(e: unknown): string {
  if (e instanceof UnreachableError) throw e;
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Objects: kubectl's resource builder (ResourceTypeOrNameArgs + LabelSelectorParam, Latest).

export type SetTarget = ObjectTarget;

interface Selection {
  all?: boolean;
  selector?: string;
  /** -f: the objects come from these files (directories, `-`), read again from the server unless `local`. */
  filename?: string[];
  recursive?: boolean;
  /** --local: the objects of the files are changed here and printed; the server is not asked. */
  local?: boolean;
  /** With --local, TYPE/NAME arguments are refused (set image, set resources) or ignored (set env). */
  localArgs?: 'refused' | 'ignored';
}

/** kubectl's refusal of --local with --dry-run=server. */
const localServerDryRun = 'cannot specify --local and --dry-run=server - did you mean --dry-run=client?';

/** cli-runtime's LocalResourceError: objects named by argument with --local. */
const localResourceError = `you must specify resources by --filename when --local is set.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'`;

/**
 * The objects of -f (see file-targets.ts). As readTargets, failures are printed together and
 * nothing is changed (undefined).
 */
async function readSetFileTargets(ctx: CliContext, cmd: Command, sel: Selection): Promise<SetTarget[] | undefined> {
  const { targets, failures } = await readFileTargets(ctx, cmd, { ...sel, filename: sel.filename ?? [] });
  if (failures.length > 0) {
    reportFailures(ctx, failures);
    return undefined;
  }
  return targets;
}

/** kubectl's message when no resource is given at all. */
const missingResources = `You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

/**
 * Reads the objects named by `resources` (or selected by --all / -l), in argument order. Usage
 * errors throw; failed reads are printed together (reportFailures) and yield undefined.
 */
async function readTargets(ctx: CliContext, cmd: Command, resources: string[], sel: Selection): Promise<SetTarget[] | undefined> {
  const fromFiles = (sel.filename ?? []).length > 0;
  // `set env` builds its local objects from the files alone (its arguments are not looked at);
  // `set image` and `set resources` refuse arguments with --local.
  if (sel.local && sel.localArgs === 'ignored') resources = [];
  if (sel.local && resources.length > 0) throw new CliError(localResourceError);
  if (fromFiles && resources.length > 0) {
    throw new CliError(resources[0]!.includes('/') ? 'resource/name arguments cannot be provided when a path is specified' : 'when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
  }
  if (sel.local && !fromFiles) throw new CliError(missingResources);
  if (fromFiles) return readSetFileTargets(ctx, cmd, sel);
  if (resources.length === 0) {
    if (sel.selector !== undefined) throw new CliError('at least one resource must be specified to use a selector');
    throw new CliError(missingResources);
  }
  const slashForm = resources[0]!.includes('/');
  const targets = parseTargets(resources);
  const named = targets.some((t) => t.names.length > 0);
  // As the builder: --all selects everything only for a bare TYPE; -l is refused with names.
  const selector = sel.selector ?? (sel.all && !named ? '' : undefined);
  if (selector !== undefined && named) {
    throw new CliError(slashForm ? 'selectors and the all flag cannot be used when passing resource/name arguments' : 'name cannot be provided when a selector is specified');
  }
  const conn = ctx.conn(cmd);
  const resolved: { r: ResourceInfo; names: string[] }[] = [];
  for (const t of targets) resolved.push({ r: await ctx.discovery(cmd).resolve(t.type), names: t.names });
  if (selector === undefined && !named) throw new CliError('resource(s) were provided, but no name was specified');
  const nsOf = (r: ResourceInfo): string => (r.namespaced ? conn.namespace : '');
  const withType = (r: ResourceInfo, o: KubeObject): KubeObject => ({ ...o, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind });
  const out: SetTarget[] = [];
  const failures: Failure[] = [];
  for (const { r, names } of resolved) {
    if (selector !== undefined) {
      try {
        const list = await conn.client.list<KubeObject>(r, { ...(nsOf(r) ? { namespace: nsOf(r) } : {}), ...(selector ? { labelSelector: selector } : {}) });
        for (const o of list.items) out.push({ r, obj: withType(r, o) });
      } catch (e) {
        failures.push(e as Error);
      }
      continue;
    }
    for (const name of names) {
      try {
        out.push({ r, obj: withType(r, await getLatest(conn, r, nsOf(r), name)) });
      } catch (e) {
        failures.push(e as Error);
      }
    }
  }
  if (failures.length > 0) {
    reportFailures(ctx, failures);
    return undefined;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pod specs.

/** Where the pod spec is, per kind (kubectl's polymorphichelpers.updatePodSpecForObject). */
function podSpecPath(r: ResourceInfo): string[] | undefined {
  const templated = ['spec', 'template', 'spec'];
  if (r.group === '' && r.kind === 'Pod') return ['spec'];
  if (r.group === '' && r.kind === 'ReplicationController') return templated;
  if ((r.group === 'apps' || r.group === 'extensions') && ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'].includes(r.kind)) return templated;
  if (r.group === 'batch' && r.kind === 'Job') return templated;
  if (r.group === 'batch' && r.kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return undefined;
}

/** The API groups of kubectl's scheme: their kinds decode to typed objects (`*v1.ConfigMap`), others stay unstructured. */
const typedGroups = new Set(['', 'apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'coordination.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'certificates.k8s.io', 'networking.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'node.k8s.io', 'flowcontrol.apiserver.k8s.io', 'resource.k8s.io', 'storagemigration.k8s.io', 'apiserverinternal.k8s.io']);

/** kubectl's refusal of a kind without a pod spec, naming the Go type it decoded the object to. */
function noPodSpec(r: ResourceInfo): string {
  const goType = typedGroups.has(r.group) ? `*${r.version}.${r.kind}` : '*unstructured.Unstructured';
  return `the object is not a pod or does not have a pod template: ${goType}`;
}

/** The pod spec of `obj` (a deep copy's, created empty along the path as Go's zero values would be). */
function podSpecOf(obj: JsonMap, path: string[]): JsonMap {
  let at = obj;
  for (const seg of path) {
    const next = at[seg];
    if (!isMap(next)) at[seg] = {};
    at = at[seg] as JsonMap;
  }
  return at;
}

function containersOf(spec: JsonMap, field: 'containers' | 'initContainers'): JsonMap[] {
  const list = spec[field];
  return Array.isArray(list) ? list.filter(isMap) : [];
}

// ---------------------------------------------------------------------------------------------
// The patch: apimachinery's two-way strategic merge diff, for the pod spec.

const CORE = 'io.k8s.api.core.v1.';

/** Follows references; the name of the last definition is kept (for alwaysWritten). */
function deref(node: SchemaNode | undefined): { node: SchemaNode | undefined; def?: string } {
  let n = node;
  let def: string | undefined;
  for (let i = 0; n !== undefined && n.kind === 'ref' && i < 32; i++) {
    def = n.ref;
    n = apiSchema().getDefinition(n.ref);
  }
  return def === undefined ? { node: n } : { node: n, def };
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The strategic merge patch that turns `original` into `modified` (maps, per `node`'s schema):
 * new and changed fields, `null` for removed ones; a merging list of objects (patchStrategy
 * merge with a merge key) as `$setElementOrder/<list>` (the keys in their new order) and the
 * changed or new elements in their new order, then `$patch: delete` elements sorted by key;
 * every other list whole.
 */
export function diffMaps(original: JsonMap, modified: JsonMap, node: SchemaNode | undefined): JsonMap {
  const schema = deref(node).node;
  const props = schema?.kind === 'object' ? schema.properties : undefined;
  const patch: JsonMap = {};
  for (const [k, after] of Object.entries(modified)) {
    const prop = props?.[k] ?? (schema?.kind === 'map' ? schema.values : undefined);
    if (!Object.prototype.hasOwnProperty.call(original, k)) {
      patch[k] = after;
      continue;
    }
    const before = original[k];
    if (deepEqual(before, after)) continue;
    if (isMap(before) && isMap(after)) {
      const sub = diffMaps(before, after, prop);
      if (Object.keys(sub).length > 0) patch[k] = sub;
      continue;
    }
    const list = deref(prop).node;
    if (Array.isArray(before) && Array.isArray(after) && list?.kind === 'array' && list.patchStrategy?.startsWith('merge') && list.patchMergeKey && deref(list.items).node?.kind === 'object') {
      const key = list.patchMergeKey;
      const keyOf = (e: unknown): string => (isMap(e) ? String(e[key]) : '');
      const changed: unknown[] = [];
      for (const e of after) {
        const was = before.find((x) => keyOf(x) === keyOf(e));
        if (was === undefined || !isMap(was) || !isMap(e)) changed.push(e);
        else {
          const sub = diffMaps(was, e, list.items);
          if (Object.keys(sub).length > 0) changed.push({ ...sub, [key]: e[key] });
        }
      }
      const gone = before.filter((x) => !after.some((e) => keyOf(e) === keyOf(x))).sort((a, b) => byteOrder(keyOf(a), keyOf(b)));
      const deletions = gone.map((x) => ({ $patch: 'delete', [key]: isMap(x) ? x[key] : x }));
      if (changed.length + deletions.length > 0) {
        patch[`$setElementOrder/${k}`] = after.map((e) => ({ [key]: isMap(e) ? e[key] : e }));
        patch[k] = [...changed, ...deletions];
      }
      continue;
    }
    patch[k] = after;
  }
  for (const k of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(modified, k)) patch[k] = null;
  return patch;
}


/** The patch of a whole object from the diff of its pod spec at `path`, keys sorted (Go's encoding). */
function objectPatch(path: string[], specPatch: JsonMap): JsonMap {
  let out: JsonMap = specPatch;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]!]: out };
  return sortedKeys(out) as JsonMap;
}

// ---------------------------------------------------------------------------------------------
// Printing: kubectl's printers over typed objects.

/** Fields Go always writes for a struct (non-pointer structs, non-omitempty fields), when absent. */
const alwaysWritten: Record<string, JsonMap> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { creationTimestamp: null },
  [`${CORE}PodTemplateSpec`]: { metadata: {}, spec: {} },
  [`${CORE}Container`]: { resources: {} },
  [`${CORE}EphemeralContainer`]: { resources: {} },
  [`${CORE}Pod`]: { spec: {}, status: {} },
  'io.k8s.api.apps.v1.DaemonSet': { spec: {}, status: {} },
  'io.k8s.api.apps.v1.DaemonSetSpec': { template: {}, updateStrategy: {} },
  'io.k8s.api.apps.v1.DaemonSetStatus': { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  'io.k8s.api.apps.v1.Deployment': { spec: {}, status: {} },
  'io.k8s.api.apps.v1.DeploymentSpec': { template: {}, strategy: {} },
};

/**
 * `v` as kubectl's JSON encoding of the typed object writes it: the fields of a struct in the
 * schema's (Go's) order, with the fields Go always writes added; map keys sorted; what the
 * schema does not know kept after the known fields.
 */
function typedValue(node: SchemaNode | undefined, v: unknown): unknown {
  const { node: n, def } = deref(node);
  if (Array.isArray(v)) return v.map((x) => typedValue(n?.kind === 'array' ? n.items : undefined, x));
  if (!isMap(v)) return v;
  if (n?.kind === 'map') {
    const out: JsonMap = {};
    for (const k of Object.keys(v).sort(byteOrder)) out[k] = typedValue(n.values, v[k]);
    return out;
  }
  if (n?.kind !== 'object') return v;
  const src: JsonMap = { ...(def !== undefined ? structuredClone(alwaysWritten[def] ?? {}) : {}), ...v };
  const out: JsonMap = {};
  for (const [k, prop] of Object.entries(n.properties)) if (Object.prototype.hasOwnProperty.call(src, k)) out[k] = typedValue(prop, src[k]);
  for (const k of Object.keys(src)) if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = src[k];
  return out;
}

/** The object as kubectl prints a typed object (see typedValue; `kind` and `apiVersion` first). */
export function typedObject(r: ResourceInfo, obj: KubeObject): KubeObject {
  const def = apiSchema().definitionName({ group: r.group, version: r.version, kind: r.kind });
  const { apiVersion, kind, ...rest } = obj;
  const body = apiSchema().getDefinition(def) === undefined ? rest : (typedValue({ kind: 'ref', ref: def }, rest) as JsonMap);
  return { kind, apiVersion, ...body } as KubeObject;
}

/** The printers of `set -o` (kubectl's object printers; undefined: the name printer with the operation). */
export type SetFormat =
  | ObjectFormat
  | { kind: 'jsonpath-as-json'; template: string }
  | { kind: 'go-template'; raw: string; execute(data: unknown): string };

const allowedFormats = 'go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml';

/** A JSONPath template checked before any request, as kubectl parses it. */
function checkedJsonPath(template: string): string {
  try {
    executeTemplate(template, {});
  } catch (e) {
    // kubectl's parser names the problem without quoting the template again.
    if (e instanceof JsonPathError) throw new CliError(`error parsing jsonpath ${template}, ${e.message.replace(/ in "(?:[^"\\]|\\.)*"$/, '')}`);
    throw e;
  }
  return template;
}

/** Parses -o as kubectl's PrintFlags for `set` do (before any request). */
export function setOutputFormat(o: string | undefined): SetFormat | undefined {
  if (o === undefined || o === '') return undefined;
  if (o === 'json' || o === 'yaml' || o === 'name') return { kind: o };
  const template = goTemplateOf(o, undefined);
  if (template) return { kind: 'go-template', raw: template.raw, execute: (data) => template.execute(data) };
  const m = /^(jsonpath|jsonpath-as-json|jsonpath-file)(?:=([\s\S]*))?$/.exec(o);
  if (m) {
    const value = m[2] ?? '';
    if (value === '') throw new CliError('template format specified but no template given');
    if (m[1] === 'jsonpath-as-json') return { kind: 'jsonpath-as-json', template: checkedJsonPath(value) };
    return { kind: 'jsonpath', template: checkedJsonPath(m[1] === 'jsonpath-file' ? readTemplateFile(value) : value) };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${allowedFormats}`);
}

/** Go's encoding/json escapes these even inside strings (HTML-safe output). */
function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** kubectl's printer of one run: the name printer with an operation, or an object printer. */
class SetPrinter {
  private printed = 0;

  constructor(
    private readonly ctx: CliContext,
    private readonly format: SetFormat | undefined,
    private readonly operation: string,
    private readonly dryRun: DryRun,
    private readonly showManagedFields: boolean,
  ) {}

  /** Prints one object; a template that fails on it throws the message kubectl reports. */
  print(r: ResourceInfo, obj: KubeObject): void {
    const name = obj.metadata.name ?? '';
    const f = this.format;
    if (f === undefined) {
      this.ctx.out(`${objectRef(r, name)} ${this.operation}${dryRunSuffix(this.dryRun)}\n`);
      return;
    }
    if (f.kind === 'name') {
      this.ctx.out(`${objectRef(r, name)}\n`);
      return;
    }
    const typed = typedObject(r, obj);
    if (f.kind === 'json' || f.kind === 'yaml') {
      const text = printObjects([typed], f, false, () => objectRef(r, name).split('/')[0]!, this.showManagedFields);
      if (f.kind === 'yaml' && this.printed > 0) this.ctx.out('---\n');
      this.printed++;
      this.ctx.out(f.kind === 'json' ? goEscape(text) : text);
      return;
    }
    // The template printers read the object as a map: every object's keys sorted.
    const data = sortedKeys(typed);
    if (f.kind === 'jsonpath') {
      this.ctx.out(printObjects([data as KubeObject], f, false, () => ''));
      return;
    }
    if (f.kind === 'jsonpath-as-json') {
      this.ctx.out(`${goEscape(JSON.stringify(findValues(f.template, data), null, 4))}\n`);
      return;
    }
    try {
      this.ctx.out(f.execute(data));
    } catch (e) {
      if (!(e instanceof GoTemplateError)) throw e;
      this.ctx.out(e.partial);
      throw new CliError(`error executing template ${JSON.stringify(f.raw)}: ${e.message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The shared run: change each object, then send (or print) each change.

interface RunOptions {
  verb: 'image' | 'env' | 'resources';
  dryRun: DryRun;
  /** --local: each changed object is printed, nothing is sent. */
  local: boolean;
  printer: SetPrinter;
  fieldManager: string;
}

interface Computed {
  target: SetTarget;
  /** The changed copy of the object, and its patch (undefined: nothing changed). */
  changed?: KubeObject;
  patch?: JsonMap;
  /** Why the object could not be changed (kubectl's message, sent to the aggregate). */
  failure?: string;
}

/** A failure of one object while its change is computed (kubectl's patch.Err). */
class SetFailure extends Error {}

/**
 * kubectl's CalculatePatches: `mutate` changes the pod spec of a copy of each object (or throws
 * a SetFailure for that object); the patch is the diff of the pod spec.
 */
function computeChanges(targets: SetTarget[], mutate: (t: SetTarget, spec: JsonMap) => void): Computed[] {
  const specSchema: SchemaNode = { kind: 'ref', ref: `${CORE}PodSpec` };
  return targets.map((target) => {
    const { r, obj } = target;
    const objectName = `${r.plural}/${obj.metadata.name ?? ''}`;
    const path = podSpecPath(r);
    if (!path) return { target, failure: `error: ${objectName} ${noPodSpec(r)}\n` };
    const copy = structuredClone(obj);
    const before = structuredClone(podSpecOf(copy, path));
    const spec = podSpecOf(copy, path);
    try {
      mutate(target, spec);
    } catch (e) {
      if (e instanceof SetFailure) return { target, failure: `error: ${objectName} ${e.message}\n` };
      throw e;
    }
    const diff = diffMaps(typedValue(specSchema, before) as JsonMap, typedValue(specSchema, spec) as JsonMap, specSchema);
    return Object.keys(diff).length === 0 ? { target, changed: copy } : { target, changed: copy, patch: objectPatch(path, diff) };
  });
}

async function sendChanges(ctx: CliContext, cmd: Command, computed: Computed[], o: RunOptions, failures: Failure[]): Promise<void> {
  for (const c of computed) {
    const { r, obj } = c.target;
    if (c.failure !== undefined) {
      failures.push(c.failure);
      continue;
    }
    if (c.patch === undefined) continue; // no change: kubectl sends and prints nothing
    if (o.local || o.dryRun === 'client') {
      try {
        o.printer.print(r, c.changed!);
      } catch (e) {
        failures.push(e as Error);
      }
      continue;
    }
    const conn = ctx.conn(cmd);
    let actual: KubeObject;
    try {
      const ns = r.namespaced ? (obj.metadata.namespace ?? conn.namespace) : '';
      actual = await conn.client.patch<KubeObject>(r, ns, obj.metadata.name ?? '', 'strategic', c.patch, { fieldManager: o.fieldManager, dryRun: o.dryRun === 'server' });
    } catch (e) {
      // kubectl's words: `set resources` has no colon after "template".
      failures.push(`failed to patch ${o.verb} update to pod template${o.verb === 'resources' ? '' : ':'} ${errorText(e)}`);
      continue;
    }
    try {
      o.printer.print(r, { ...actual, apiVersion: actual.apiVersion ?? obj.apiVersion, kind: actual.kind ?? obj.kind });
    } catch (e) {
      failures.push(e as Error);
    }
  }
}

/** kubectl's cmdutil.GetResourcesAndPairs for `set image`. */
function splitImageArgs(args: string[]): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const s of args) {
    const pair = (s.includes('=') && s[0] !== '=') || s.endsWith('-');
    if (pair) pairs.push(s);
    else if (pairs.length > 0) throw new CliError(`all resources must be specified before image changes: ${s}`);
    else resources.push(s);
  }
  return { resources, pairs };
}

/** kubectl's cmdutil.ParsePairs for images (no removal): the last image given for a name wins. */
export function parseImagePairs(pairs: string[]): Map<string, string> {
  const images = new Map<string, string>();
  const invalid: string[] = [];
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq > 0) images.set(p.slice(0, eq), p.slice(eq + 1));
    else invalid.push(p);
  }
  if (invalid.length > 0) throw new CliError(`invalid image format: ${invalid.join(', ')}`);
  return images;
}

// ---------------------------------------------------------------------------------------------
// set env: parsing, selection and the env list change.

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: JsonMap;
}

function checkEnvName(name: string): void {
  const errs = envNameErrors(name);
  if (errs.length > 0) throw new CliError(`${JSON.stringify(name)} is not a valid key name: ${errs.join(';')}`);
}

/** A variable as Go encodes it (an empty value is left out). */
function envVar(name: string, value: string): EnvVar {
  return value === '' ? { name } : { name, value };
}

/**
 * kubectl's SplitEnvironmentFromResources: the resources, then the changes (`KEY=VALUE`, with
 * at least one character before `=`, or anything ending in `-`); a resource after a change is
 * an error naming the whole command line.
 */
export function splitEnvArgs(args: string[]): { resources: string[]; envArgs: string[] } {
  const resources: string[] = [];
  const envArgs: string[] = [];
  for (const s of args) {
    const isEnv = /^[\s\S]+=[\s\S]*$/.test(s) || s.endsWith('-');
    if (isEnv) envArgs.push(s);
    else if (envArgs.length > 0) throw new CliError(`all resources must be specified before environment changes: ${args.join(' ')}`);
    else resources.push(s);
  }
  return { resources, envArgs };
}

/** kubectl's ParseEnv: the variables to set (in order) and the names to remove. */
export async function parseEnv(specs: string[], readStdin: () => Promise<string>): Promise<{ env: EnvVar[]; remove: string[] }> {
  const env: EnvVar[] = [];
  const remove: string[] = [];
  const set = new Set<string>();
  for (const spec of specs) {
    if (spec === '-') {
      for (const line of (await readStdin()).split(/\r?\n/)) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        env.push(envVar(line.slice(0, eq), line.slice(eq + 1)));
      }
    } else if (spec.includes('=')) {
      const eq = spec.indexOf('=');
      const name = spec.slice(0, eq);
      checkEnvName(name);
      set.add(name);
      env.push(envVar(name, spec.slice(eq + 1)));
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      throw new CliError(`unknown environment variable: ${spec}`);
    }
  }
  if (remove.some((n) => set.has(n))) throw new CliError('can not both modify and remove the same environment variable in the same command');
  return { env, remove };
}

/**
 * kubectl's selectString: does container name `s` match `spec` (`*` alone: everything; no `*`:
 * equality; else the parts between `*`s found in order, the last one ending the name). Kept
 * as kubectl computes it: each part is searched after the previous match's start, and an
 * offset within the rest of the name is compared with the position reached.
 */
export function selectString(s: string, spec: string): boolean {
  if (spec === '*') return true;
  if (!spec.includes('*')) return s === spec;
  const parts = spec.split('*');
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const next = s.slice(pos).indexOf(part);
    if (next < pos) return false;
    if (i === parts.length - 1 && s.length !== part.length + next) return false;
    pos = next;
  }
  return true;
}

/**
 * kubectl's updateEnv: the existing variables with the removed ones left out and the set ones
 * replaced in place (a name set twice: the first setting), then the new ones in order.
 */
export function updateEnv(existing: EnvVar[], env: EnvVar[], remove: string[]): EnvVar[] {
  const out: EnvVar[] = [];
  const covered = new Set(remove);
  for (const e of existing) {
    if (covered.has(e.name)) continue;
    const newer = env.find((x) => x.name === e.name);
    if (newer) {
      covered.add(e.name);
      out.push(newer);
      continue;
    }
    out.push(e);
  }
  for (const e of env) {
    if (covered.has(e.name)) continue;
    covered.add(e.name);
    out.push(e);
  }
  return out;
}

/** kubectl's description of a reference in --list (`configmap c, key k`, `field path p`, ...). */
export function envRefString(from: JsonMap): string {
  const cm = from['configMapKeyRef'];
  if (isMap(cm)) return `configmap ${String(cm['name'] ?? '')}, key ${String(cm['key'] ?? '')}`;
  const secret = from['secretKeyRef'];
  if (isMap(secret)) return `secret ${String(secret['name'] ?? '')}, key ${String(secret['key'] ?? '')}`;
  const field = from['fieldRef'];
  if (isMap(field)) return `field path ${String(field['fieldPath'] ?? '')}`;
  const res = from['resourceFieldRef'];
  if (isMap(res)) {
    const container = typeof res['containerName'] === 'string' && res['containerName'] !== '' ? `${res['containerName']}/` : '';
    return `resource field ${container}${String(res['resource'] ?? '')}`;
  }
  return 'invalid valueFrom';
}

/** kubectl's name of the variable for a ConfigMap or Secret key (upper case, `_` for other characters). */
export function keyToEnvName(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}

/** Go's %q of a string (for the printable ASCII of labels and annotations, JSON's quoting). */
const goQuote = (s: string): string => JSON.stringify(s);

/** kubectl's ExtractFieldPathAsString: the metadata field paths it can read from the object. */
export function fieldPathValue(obj: KubeObject, fieldPath: string): string {
  const meta = obj.metadata;
  const formatMap = (m: Record<string, string> | undefined): string =>
    Object.keys(m ?? {})
      .sort(byteOrder)
      .map((k) => `${k}=${goQuote(m![k]!)}`)
      .join('\n');
  const sub = /^(.+?)\['(.*)'\]$/s.exec(fieldPath);
  if (sub) {
    const [, path, key] = sub as unknown as [string, string, string];
    if (path === 'metadata.annotations') return meta.annotations?.[key] ?? '';
    if (path === 'metadata.labels') return meta.labels?.[key] ?? '';
    throw new Error(`fieldPath ${JSON.stringify(fieldPath)} does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

const ceilDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a > 0n === b > 0n ? q + 1n : q;
};

/** kubectl's ExtractContainerResourceValue: a container resource divided by the divisor, rounded up. */
export function resourceFieldValue(ref: JsonMap, container: JsonMap): string {
  const resource = String(ref['resource'] ?? '');
  const divisor = parseQuantity(ref['divisor'] ?? '1') ?? parseQuantity('1')!;
  const zeroDivisor = divisor.mantissa === 0n;
  const d = zeroDivisor ? parseQuantity('1')! : divisor;
  const resources = isMap(container['resources']) ? container['resources'] : {};
  const m = /^(limits|requests)\.(.+)$/.exec(resource);
  const name = m?.[2] ?? '';
  const known = ['cpu', 'memory', 'ephemeral-storage'].includes(name) || name.startsWith('hugepages-');
  if (!m || !known) throw new Error(`unsupported container resource : ${resource}`);
  const list = resources[m[1]!];
  const raw = isMap(list) ? list[name] : undefined;
  const q = parseQuantity(raw ?? '0') ?? parseQuantity('0')!;
  const value = name === 'cpu' ? ceilDiv(scaledValue(q, 3), scaledValue(d, 3)) : ceilDiv(scaledValue(q, 0), scaledValue(d, 0));
  return value.toString();
}

interface EnvOpts extends Selection {
  env?: string[];
  containers: string;
  list?: boolean;
  resolve?: boolean;
  from?: string;
  prefix?: string;
  keys?: string[];
  overwrite?: boolean;
  output?: string;
  dryRun?: string;
  fieldManager: string;
  showManagedFields?: boolean;
}

interface ImageOpts extends Selection {
  output?: string;
  dryRun?: string;
  fieldManager: string;
  showManagedFields?: boolean;
}

/** The variables of --from=configmap/NAME|secret/NAME: one reference per key (sorted), with --keys and --prefix. */
async function envFromSource(ctx: CliContext, cmd: Command, from: string, keys: string[], prefix: string): Promise<EnvVar[]> {
  const slash = from.indexOf('/');
  if (slash <= 0 || slash === from.length - 1) {
    await ctx.discovery(cmd).resolve(slash < 0 ? from : from.slice(0, slash));
    throw new CliError('resource(s) were provided, but no name was specified');
  }
  const r = await ctx.discovery(cmd).resolve(from.slice(0, slash));
  const conn = ctx.conn(cmd);
  const obj = await conn.client.get<KubeObject>(r, r.namespaced ? conn.namespace : '', from.slice(slash + 1));
  if (r.group !== '' || (r.kind !== 'ConfigMap' && r.kind !== 'Secret')) throw new CliError('unsupported resource specified in --from');
  const data = isMap(obj['data']) ? obj['data'] : {};
  const refKind = r.kind === 'ConfigMap' ? 'configMapKeyRef' : 'secretKeyRef';
  const out: EnvVar[] = [];
  for (const key of Object.keys(data).sort(byteOrder)) {
    if (keys.length > 0 && !keys.includes(key)) continue;
    const envName = keyToEnvName(key);
    if (envName !== key) ctx.warn(`key ${key} transferred to ${envName}`);
    out.push({ name: `${prefix}${envName}`, valueFrom: { [refKind]: { key, name: obj.metadata.name ?? '' } } });
  }
  return out;
}

/** Reads referenced ConfigMaps and Secrets once per run (kubectl's ResourceStore). */
class RefStore {
  private readonly cache = new Map<string, Promise<KubeObject>>();

  constructor(
    private readonly ctx: CliContext,
    private readonly cmd: Command,
    private readonly namespace: string,
  ) {}

  private async read(kind: 'configmaps' | 'secrets', name: string): Promise<KubeObject> {
    const key = `${kind}/${name}`;
    let p = this.cache.get(key);
    if (!p) {
      const r = (await this.ctx.discovery(this.cmd).resources()).find((x) => x.group === '' && x.plural === kind);
      if (!r) throw new Error(`the server doesn't have a resource type "${kind}"`);
      p = this.ctx.conn(this.cmd).client.get<KubeObject>(r, this.namespace, name);
      this.cache.set(key, p);
    }
    return p;
  }

  /** kubectl's GetEnvVarRefValue for `from` of container `c` of `obj`; throws the message kubectl reports. */
  async value(from: JsonMap, obj: KubeObject, c: JsonMap): Promise<string> {
    const secret = from['secretKeyRef'];
    if (isMap(secret)) {
      const s = await this.read('secrets', String(secret['name'] ?? ''));
      const data = isMap(s['data']) ? s['data'] : {};
      const v = data[String(secret['key'] ?? '')];
      if (typeof v !== 'string') throw new Error(`key ${String(secret['key'] ?? '')} not found in secret ${String(secret['name'] ?? '')}`);
      return Buffer.from(v, 'base64').toString('utf8');
    }
    const cm = from['configMapKeyRef'];
    if (isMap(cm)) {
      const m = await this.read('configmaps', String(cm['name'] ?? ''));
      const data = isMap(m['data']) ? m['data'] : {};
      const v = data[String(cm['key'] ?? '')];
      if (typeof v !== 'string') throw new Error(`key ${String(cm['key'] ?? '')} not found in config map ${String(cm['name'] ?? '')}`);
      return v;
    }
    const field = from['fieldRef'];
    if (isMap(field)) return fieldPathValue(obj, String(field['fieldPath'] ?? ''));
    const res = from['resourceFieldRef'];
    if (isMap(res)) return resourceFieldValue(res, c);
    throw new Error('invalid valueFrom');
  }
}

async function runEnv(ctx: CliContext, cmd: Command, args: string[], opts: EnvOpts): Promise<void> {
  if (opts.all && opts.selector !== undefined) throw new CliError('cannot set --all and --selector at the same time');
  const { resources, envArgs } = splitEnvArgs(args);
  const format = setOutputFormat(opts.output);
  const dryRun = dryRunStrategy(opts.dryRun);
  if (opts.local && dryRun === 'server') throw new CliError(localServerDryRun);
  if (resources.length === 0 && (opts.filename ?? []).length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  if (opts.list && opts.output !== undefined && opts.output !== '') throw new CliError('--list and --output may not be specified together');
  const keys = (opts.keys ?? []).flatMap((k) => k.split(',')).filter((k) => k !== '');
  if (keys.length > 0 && !opts.from) throw new CliError('when specifying --keys, a configmap or secret must be provided with --from');
  const { env, remove } = await parseEnv([...(opts.env ?? []), ...envArgs], () => readStream(ctx.io.stdin));
  if (opts.from) env.push(...(await envFromSource(ctx, cmd, opts.from, keys, opts.prefix ?? '')));
  const targets = await readTargets(ctx, cmd, resources, { ...opts, localArgs: 'ignored' });
  if (!targets) return;
  const overwrite = opts.overwrite !== false;
  const store = opts.resolve ? new RefStore(ctx, cmd, ctx.conn(cmd).namespace) : undefined;
  // --list prints while the changes are computed (kubectl does it inside CalculatePatches), so
  // the lines of each container are gathered first and written in order.
  const listings: { obj: KubeObject; containers: JsonMap[] }[] = [];
  const computed = computeChanges(targets, ({ r, obj }, spec) => {
    const selected = [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].filter((c) => selectString(String(c['name'] ?? ''), opts.containers));
    if (selected.length === 0) {
      ctx.warn(`${r.kind}/${obj.metadata.name ?? ''} does not have any containers matching ${JSON.stringify(opts.containers)}`);
      return;
    }
    const listed: JsonMap[] = [];
    listings.push({ obj, containers: listed });
    for (const c of selected) {
      const existing = (Array.isArray(c['env']) ? c['env'] : []) as EnvVar[];
      if (!overwrite) {
        for (const e of env) {
          const current = existing.find((x) => x.name === e.name);
          if (current && (current.value ?? '') !== (e.value ?? '')) throw new SetFailure(`'${current.name}' already has a value (${current.value ?? ''}), and --overwrite is false`);
        }
      }
      const updated = updateEnv(existing, env, remove);
      if (updated.length > 0) c['env'] = updated;
      else delete c['env'];
      listed.push(c);
    }
  });
  if (opts.list) {
    for (const { obj, containers } of listings) {
      for (const c of containers) {
        ctx.out(`# ${obj.kind ?? ''} ${obj.metadata.name ?? ''}, container ${String(c['name'] ?? '')}\n`);
        const problems = new Map<string, string[]>();
        for (const e of (Array.isArray(c['env']) ? c['env'] : []) as EnvVar[]) {
          if (!isMap(e.valueFrom)) {
            ctx.out(`${e.name}=${e.value ?? ''}\n`);
            continue;
          }
          if (store) {
            try {
              ctx.out(`${e.name}=${await store.value(e.valueFrom, obj, c)}\n`);
              continue;
            } catch (err) {
              const text = errorText(err);
              problems.set(text, [...(problems.get(text) ?? []), e.name]);
            }
          }
          ctx.out(`# ${e.name} from ${envRefString(e.valueFrom)}\n`);
        }
        const lines = [...problems].map(([text, names]) => `error retrieving reference for ${names.sort(byteOrder).join(', ')}: ${text}`).sort(byteOrder);
        for (const l of lines) ctx.err(`${l}\n`);
      }
    }
    return;
  }
  const failures: Failure[] = [];
  await sendChanges(ctx, cmd, computed, { verb: 'env', dryRun, local: opts.local === true, printer: new SetPrinter(ctx, format, 'env updated', dryRun, opts.showManagedFields === true), fieldManager: opts.fieldManager }, failures);
  reportFailures(ctx, failures);
}

async function runImage(ctx: CliContext, cmd: Command, args: string[], opts: ImageOpts): Promise<void> {
  const format = setOutputFormat(opts.output);
  const dryRun = dryRunStrategy(opts.dryRun);
  const { resources, pairs } = splitImageArgs(args);
  const images = parseImagePairs(pairs);
  const targets = await readTargets(ctx, cmd, resources, opts);
  if (!targets) return;
  // kubectl validates after reading the objects; its problems are printed together.
  const invalid: string[] = [];
  if (opts.all && opts.selector !== undefined) invalid.push('cannot set --all and --selector at the same time');
  if (images.size === 0) invalid.push('at least one image update is required');
  else if (images.size > 1 && images.has('*')) invalid.push('all containers are already specified by *, but saw more than one container_name=container_image pairs');
  if (opts.local && dryRun === 'server') invalid.push(localServerDryRun);
  if (invalid.length > 0) {
    reportFailures(ctx, invalid);
    return;
  }
  const failures: Failure[] = [];
  const computed = computeChanges(targets, (_t, spec) => {
    for (const [name, image] of images) {
      let found = false;
      for (const field of ['initContainers', 'containers'] as const) {
        for (const c of containersOf(spec, field)) {
          if (c['name'] === name || name === '*') {
            found = true;
            if (image === '') delete c['image'];
            else c['image'] = image;
          }
        }
      }
      if (!found) failures.push(`error: unable to find container named ${JSON.stringify(name)}`);
    }
  });
  await sendChanges(ctx, cmd, computed, { verb: 'image', dryRun, local: opts.local === true, printer: new SetPrinter(ctx, format, 'image updated', dryRun, opts.showManagedFields === true), fieldManager: opts.fieldManager }, failures);
  reportFailures(ctx, failures);
}

/**
 * kubectl's populateResourceListV1: `cpu=100m,memory=256Mi` → the quantities in canonical form
 * (kubectl sends its typed Quantity's encoding). Empty: undefined. Throws kubectl's messages.
 */
export function parseResourceList(spec: string | undefined): Record<string, string> | undefined {
  if (spec === undefined || spec === '') return undefined;
  const out: Record<string, string> = {};
  for (const statement of spec.split(',')) {
    const parts = statement.split('=');
    if (parts.length !== 2) throw new CliError(`Invalid argument syntax ${statement}, expected <resource>=<value>`);
    const [name, value] = parts as [string, string];
    if (!new RegExp(quantityRegexpText).test(value)) throw new CliError(quantityParseError);
    const q = parseQuantity(value);
    if (!q) throw new CliError("unable to parse quantity's suffix");
    out[name] = formatQuantity(q);
  }
  return out;
}

interface ResourcesOpts extends Selection {
  containers: string;
  limits?: string;
  requests?: string;
  output?: string;
  dryRun?: string;
  fieldManager: string;
  showManagedFields?: boolean;
}

async function runResources(ctx: CliContext, cmd: Command, resources: string[], opts: ResourcesOpts): Promise<void> {
  const format = setOutputFormat(opts.output);
  const dryRun = dryRunStrategy(opts.dryRun);
  const targets = await readTargets(ctx, cmd, resources, opts);
  if (!targets) return;
  // kubectl's Validate, after the objects are read.
  if (opts.local && dryRun === 'server') throw new CliError(localServerDryRun);
  if (opts.all && opts.selector !== undefined) throw new CliError('cannot set --all and --selector at the same time');
  const limitsText = opts.limits ?? '';
  const requestsText = opts.requests ?? '';
  if (limitsText === '' && requestsText === '') throw new CliError('you must specify an update to requests or limits (in the form of --requests/--limits)');
  const limits = parseResourceList(limitsText);
  const requests = parseResourceList(requestsText);
  const failures: Failure[] = [];
  const computed = computeChanges(targets, (_t, spec) => {
    const selected = [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].filter((c) => selectString(String(c['name'] ?? ''), opts.containers));
    if (selected.length === 0) {
      failures.push(`error: unable to find container named ${opts.containers}`);
      return;
    }
    for (const c of selected) {
      const req = isMap(c['resources']) ? c['resources'] : {};
      for (const [field, list] of [['limits', limits], ['requests', requests]] as const) {
        if (!list) continue;
        req[field] = { ...(isMap(req[field]) ? req[field] : {}), ...list };
      }
      c['resources'] = req;
    }
  });
  await sendChanges(ctx, cmd, computed, { verb: 'resources', dryRun, local: opts.local === true, printer: new SetPrinter(ctx, format, 'resource requirements updated', dryRun, opts.showManagedFields === true), fieldManager: opts.fieldManager }, failures);
  reportFailures(ctx, failures);
}

/** The options every set verb takes: which objects (--all, -l), -o, and how the change is sent. */
function withTargetOptions(c: Command): Command {
  return c
    .option('--all', 'every object of TYPE in the namespace')
    .option('-l, --selector <selector>', 'the objects of TYPE matching this label selector')
    .option('-o, --output <format>', 'print the changed objects: json|yaml|name|jsonpath=TEMPLATE')
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .option('--field-manager <name>', 'the name of the manager of the fields set', defaultFieldManager)
    .option('-f, --filename <path>', 'change the objects this file, directory or - (stdin) names (repeatable); read from the server unless --local', listFlag('-f, --filename', 'set'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .option('--local', 'change the -f objects here and print them; the server is not contacted')
    .addOption(dryRunOption());
}

export function registerSet(program: Command, ctx: CliContext): void {
  const set = program.command('set').description('Set specific features on objects: the images, environment or resources of their containers');

  const image = set
    .command('image')
    .description('Update the image of containers of objects with a pod template (DaemonSets, Pods, ...)')
    .argument('[args...]', 'TYPE NAME... CONTAINER=IMAGE... | TYPE/NAME... CONTAINER=IMAGE... | TYPE CONTAINER=IMAGE... with --all or -l | CONTAINER=IMAGE... with -f (*=IMAGE: every container)');
  withTargetOptions(image).action(async (args: string[], opts: ImageOpts, cmd: Command) => {
    await runImage(ctx, cmd, args, opts);
  });

  const env = set
    .command('env')
    .description('Update (or --list) the environment variables of containers of objects with a pod template')
    .argument('[args...]', 'TYPE NAME... KEY=VALUE... KEY-... | TYPE/NAME... ... | TYPE ... with --all or -l | KEY=VALUE... with -f (- reads KEY=VALUE lines from stdin)')
    .option('-e, --env <KEY=VALUE>', 'a variable to set (repeatable; before the arguments)', collect)
    .option('-c, --containers <name>', 'the containers to change, by name with * wildcards', '*')
    .option('--list', 'print the variables of each container (after the changes given, which are not sent)')
    .option('--resolve', 'with --list: print the values of ConfigMap, Secret, field and resource references')
    .option('--from <resource>', 'add a reference to every key of this configmap/NAME or secret/NAME')
    .option('--prefix <prefix>', 'with --from: prepend this to the variable names')
    .option('--keys <keys>', 'with --from: only these keys (comma-separated, repeatable)', collect)
    .option('--overwrite', 'replace existing values (default)')
    .option('--no-overwrite', 'refuse to change a variable that has another value (--overwrite=false)');
  withTargetOptions(env).action(async (args: string[], opts: EnvOpts, cmd: Command) => {
    await runEnv(ctx, cmd, args, opts);
  });

  const res = set
    .command('resources')
    .description('Update the resource requests and limits of containers of objects with a pod template')
    .argument('[resources...]', 'TYPE NAME... | TYPE/NAME... | TYPE with --all or -l')
    .option('--limits <list>', 'the limits to set, e.g. cpu=200m,memory=512Mi')
    .option('--requests <list>', 'the requests to set, e.g. cpu=100m,memory=256Mi')
    .option('-c, --containers <name>', 'the containers to change, by name with * wildcards (init containers included)', '*');
  withTargetOptions(res).action(async (args: string[], opts: ResourcesOpts, cmd: Command) => {
    await runResources(ctx, cmd, args, opts);
  });
}
