// Helpers shared by the verbs: the per-run context, TYPE/NAME argument parsing, the target of
// a manifest, selectors, durations and ages. Every verb loads this module: it imports no verb.

import { type Command, Option } from 'commander';
import { ApiError } from '../../api/errors.js';
import type { KubeObject, LabelSelector } from '../../api/types.js';
import { Connection, CliError, formatError, resolveKubeconfigPath, UnreachableError, UntrustedServerError, type ConnectionOverrides, type GlobalOptions } from '../context.js';
import { Discovery, kindPrefix, type ResourceInfo } from '../discovery.js';
import { parseRequestTimeout } from '../durations.js';
import type { CliIO } from '../io.js';
import type { Manifest } from '../manifests.js';
import { goQuote } from '../../util/index.js';
import { namespacesResource, type ResourceDescriptor } from '../client.js';
import { unreadable } from '../../util/errors.js';

/** One CLI run: lazily connects, so offline verbs (completion, kubeconfig) need no server. */
export class CliContext {
  private connection?: Connection;
  private disco?: Discovery;
  /** Set by a verb that failed partially (it printed the errors itself). */
  exitCode = 0;
  /** The warnings printed so far (kubectl's warning writer prints each text once per command). */
  private readonly warned = new Set<string>();
  /** --warnings-as-errors: see finish(). */
  private warningsAsErrors = false;

  constructor(readonly io: CliIO) {}

  /**
   * A warning for the user, as kubectl's warning printer writes it: `Warning: <text>` on stderr,
   * once per distinct text, `Warning:` in bold yellow when stderr is a terminal that allows colour.
   */
  warn(text: string): void {
    if (this.warned.has(text)) return;
    this.warned.add(text);
    const stderrTTY = (this.io.stderr as { isTTY?: boolean }).isTTY === true;
    const colour = stderrTTY && this.io.env['TERM'] !== 'dumb' && this.io.env['NO_COLOR'] === undefined;
    this.err(colour ? `\u001b[33;1mWarning:\u001b[0m ${text}\n` : `Warning: ${text}\n`);
  }

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  conn(cmd: Command): Connection {
    if (!this.connection) {
      const g = this.globals(cmd);
      // kubectl's loader stats an explicit --kubeconfig and fails with Go's wording.
      const why = g.kubeconfig ? unreadable(g.kubeconfig) : undefined;
      if (why === 'missing') throw new CliError(`stat ${g.kubeconfig}: no such file or directory`);
      if (why !== undefined) throw new CliError(why);
      const timeoutMs = parseRequestTimeout(g.requestTimeout ?? '0');
      if (timeoutMs === undefined) throw new CliError('invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)');
      const level = g.v === undefined ? 0 : Number(g.v);
      if (!Number.isInteger(level) || level < 0) throw new CliError(`invalid argument "${g.v ?? ''}" for "-v, --v" flag: a log level is a whole number (6 and up print each request)`);
      this.warningsAsErrors = g.warningsAsErrors === true;
      const exchange = level >= 6 ? (line: string) => this.err(`${line}\n`) : undefined;
      this.connection = new Connection(resolveKubeconfigPath(g, this.io.env), g.context, g.namespace, (text) => this.warn(text), timeoutMs, connectionOverrides(g), exchange);
    }
    return this.connection;
  }

  discovery(cmd: Command): Discovery {
    this.disco ??= new Discovery(this.conn(cmd));
    return this.disco;
  }

  out(s: string): void {
    this.io.stdout.write(s);
  }

  err(s: string): void {
    this.io.stderr.write(s);
  }

  /**
   * Reports the failure of one item of a multi-item verb and carries on (exit code 1 at the
   * end); an unreachable server ends the whole run instead, so it is said only once.
   */
  report(e: unknown, suffix = ''): void {
    if (e instanceof UnreachableError || e instanceof UntrustedServerError) throw e;
    // A 422 as kubectl's CheckErr prints it: the causes, one per line (the message's context
    // — `error when creating "f.yaml": ` — is not part of it, as in kubectl).
    const text = e instanceof ApiError && e.reason === 'Invalid' ? invalidText(e) : formatError(e);
    this.err(text + suffix + '\n');
    this.exitCode = 1;
  }

  /**
   * The run's exit code once its verb returned: with --warnings-as-errors, a run that printed
   * server warnings fails, as kubectl ends it (`error: 2 warnings received`).
   */
  finish(): number {
    if (this.warningsAsErrors && this.warned.size > 0 && this.exitCode === 0) {
      this.err(`error: ${this.warned.size} warning${this.warned.size === 1 ? '' : 's'} received\n`);
      return 1;
    }
    return this.exitCode;
  }

  close(): void {
    this.connection?.close();
  }
}

/** The connection flags of a run's global options (see ConnectionOverrides). */
export function connectionOverrides(g: GlobalOptions): ConnectionOverrides {
  const o: ConnectionOverrides = {};
  for (const k of ['server', 'cluster', 'user', 'token', 'certificateAuthority', 'clientCertificate', 'clientKey', 'as', 'asUid'] as const) {
    const v = g[k];
    if (v) o[k] = v;
  }
  if (g.insecureSkipTlsVerify) o.insecureSkipTlsVerify = true;
  if (g.asGroup?.length) o.asGroup = g.asGroup;
  return o;
}

/** The field manager apply and create -f write as, unless --field-manager names another. */
export const manifestFieldManager = 'everynode';

/** kubectl's refusal of a -f object whose namespace is not the one -n (or the context) names. */
export function namespaceMismatch(objNs: string, flagNs: string): CliError {
  return new CliError(`the namespace from the provided object ${goQuote(objNs)} does not match the namespace ${goQuote(flagNs)}. You must pass '--namespace=${objNs}' to perform this operation.`);
}

/**
 * The resource, namespace and name a manifest's object addresses (apply, create, delete, get
 * and describe -f, replace): its kind through discovery; a namespaced object's namespace is
 * its own, else -n's, else the context's, and an object's namespace other than -n's is kubectl's error.
 */
export async function target(ctx: CliContext, cmd: Command, m: Manifest): Promise<{ r: ResourceInfo; ns: string; name: string }> {
  const r = await resourceOfManifest(ctx, cmd, m);
  const conn = ctx.conn(cmd);
  const flagNs = ctx.globals(cmd).namespace;
  const objNs = m.object.metadata.namespace;
  if (r.namespaced && flagNs && objNs && flagNs !== objNs) {
    throw namespaceMismatch(objNs, flagNs);
  }
  const ns = r.namespaced ? objNs ?? conn.namespace : '';
  return { r, ns, name: m.object.metadata.name ?? '' };
}

/**
 * The resource a file's object is served as; a kind the server does not serve is kubectl's
 * mapping error, naming the object and its file.
 */
export async function resourceOfManifest(ctx: CliContext, cmd: Command, m: Manifest): Promise<ResourceInfo> {
  try {
    return await ctx.discovery(cmd).byKind(m.object.apiVersion ?? '', m.object.kind ?? '');
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    throw new MappingNotFoundError(
      `resource mapping not found for name: ${goQuote(m.object.metadata.name ?? '')} namespace: ${goQuote(m.object.metadata.namespace ?? '')} from ${goQuote(m.source)}: no matches for kind ${goQuote(m.object.kind ?? '')} in version ${goQuote(m.object.apiVersion ?? '')}\nensure CRDs are installed first`,
    );
  }
}

/** A file's object of a kind the server does not serve (verbs acting on files go on with the others). */
export class MappingNotFoundError extends CliError {}

/**
 * The error kubectl's resource builder gives for an object it could not read (cli-runtime's
 * Info.Get): a NotFound in a namespace other than `default` whose namespace turns out not to
 * exist either becomes the namespace's NotFound, so a mistyped -n is named as such. Any other
 * error, or a failure to read the namespace other than NotFound, leaves `e` as it is.
 */
export async function explainNotFound(conn: Connection, ns: string, e: unknown): Promise<unknown> {
  if (!(e instanceof ApiError) || e.code !== 404 || ns === '' || ns === 'default') return e;
  try {
    await conn.client.get(namespacesResource, '', ns);
  } catch (nsErr) {
    if (nsErr instanceof ApiError && nsErr.code === 404) return nsErr;
  }
  return e;
}

/** One object by name (`ns` ignored for a cluster-scoped resource), read as kubectl's builder reads it: a failure explained by explainNotFound. */
export async function getLatest<T extends KubeObject = KubeObject>(conn: Connection, r: ResourceDescriptor, ns: string, name: string): Promise<T> {
  const where = r.namespaced ? ns : '';
  try {
    return await conn.client.get<T>(r, where, name);
  } catch (e) {
    throw await explainNotFound(conn, where, e);
  }
}

export interface Target {
  type: string;
  names: string[];
}

/**
 * kubectl's argument forms: `TYPE [NAME...]`, `TYPE1,TYPE2`, or `TYPE/NAME [TYPE/NAME...]`
 * (the forms cannot be mixed).
 */
export function parseTargets(args: string[]): Target[] {
  if (args.length === 0) return [];
  if (args[0]!.includes('/')) {
    const out: Target[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) throw new CliError('arguments in resource/name form must have a single resource and name');
      const type = a.slice(0, slash);
      const name = a.slice(slash + 1);
      // Argument order, as kubectl's builder visits them: a name joins the previous one's
      // target only when it is of the same type (`cm/a sa/b cm/c` is three).
      const t = out[out.length - 1];
      if (t && t.type === type) t.names.push(name);
      else out.push({ type, names: [name] });
    }
    return out;
  }
  const [types, ...names] = args;
  // `delete cm ''` must not reach the collection: an empty name is refused, as client-go refuses it.
  if (names.some((n) => n === '')) throw new CliError('resource name may not be empty');
  if (names.some((n) => n.includes('/'))) {
    throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'everynode get resource/<resource_name>' instead of 'everynode get resource resource/<resource_name>')`);
  }
  return types!.split(',').filter((t) => t !== '').map((type) => ({ type, names: [...names] }));
}

/** Exactly one `TYPE NAME` or `TYPE/NAME` (rollout, logs of a controller, taint). */
export function parseSingleTarget(args: string[], defaultType?: string): { type: string; name: string } {
  if (args.length === 1 && args[0]!.includes('/')) {
    const [type, name] = [args[0]!.slice(0, args[0]!.indexOf('/')), args[0]!.slice(args[0]!.indexOf('/') + 1)];
    if (type && name) return { type, name };
  }
  if (args.length === 2 && !args[1]!.includes('/')) return { type: args[0]!, name: args[1]! };
  if (args.length === 1 && defaultType) return { type: defaultType, name: args[0]! };
  throw new CliError(`expected one resource as TYPE/NAME or TYPE NAME, got ${JSON.stringify(args.join(' '))}`);
}

/** `daemonset.apps/x`. */
export function objectRef(r: ResourceInfo, name: string): string {
  return `${kindPrefix(r)}/${name}`;
}

/** LabelSelector -> the query string form (`a=b,c in (d,e),!f`). */
export function selectorString(s: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(s?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of s?.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

/** `30s`, `2m`, `1h30m`, `500ms`, or a bare number of seconds; 0 means no limit. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(t)) !== null) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    consumed = re.lastIndex;
  }
  if (consumed !== t.length || t === '') throw new CliError(`invalid duration ${JSON.stringify(s)}: use e.g. 30s, 5m, 1h`);
  return total;
}

/** The controller ownerReference UID, if any. */
export function controllerUid(o: KubeObject): string | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid;
}

/**
 * One failure of a multi-object run: a message as kubectl's fmt.Errorf builds it (printed with
 * `error: ` when it is the only one), or an exception (printed as formatError renders it).
 */
export type Failure = string | Error;

/**
 * Prints the failures of a multi-object run at its end as kubectl's CheckErr prints an
 * aggregate (ContinueOnError): one as `error: <message>`, several one per line without the
 * prefix (kubectl's own messages keep theirs); the exit code is then 1. An unreachable server
 * is thrown instead (said once, by runCli).
 */
export function reportFailures(ctx: CliContext, failures: Failure[]): void {
  if (failures.length === 0) return;
  for (const f of failures) if (f instanceof UnreachableError || f instanceof UntrustedServerError) throw f;
  ctx.exitCode = 1;
  if (failures.length === 1) {
    const f = failures[0]!;
    let text = typeof f === 'string' ? f : formatError(f);
    if (!text.startsWith('error: ') && !text.startsWith('Error from server')) text = `error: ${text}`;
    ctx.err(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  for (const f of failures) {
    const text = typeof f === 'string' ? f : f instanceof ApiError ? formatError(f) : f.message;
    ctx.err(`${text}\n`);
  }
}

/** Collects repeated option values (`-f a -f b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The fields of one CSV record as Go's encoding/csv reads it (pflag's StringSlice flags):
 * comma-separated, a field that starts with `"` is quoted (`""` is a quote in it), spaces
 * kept; an empty value has no fields. Throws Go's parse error for a malformed record.
 */
export function csvFields(value: string): string[] {
  if (value === '') return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        // Go's columns: past the end for a quote never closed, the closing quote's for text after it.
        if (i >= value.length) throw new Error(`parse error on line 1, column ${value.length + 1}: extraneous or missing " in quoted-field`);
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += value[i++];
      }
      if (i < value.length && value[i] !== ',') throw new Error(`parse error on line 1, column ${i}: extraneous or missing " in quoted-field`);
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      const quote = field.indexOf('"');
      if (quote >= 0) throw new Error(`parse error on line 1, column ${i + quote + 1}: bare " in non-quoted-field`);
      i += field.length;
    }
    out.push(field);
    if (i >= value.length) return out;
    i++; // the comma
  }
}

/**
 * The parser of a repeatable list flag (pflag's StringSlice, as kubectl's -f/--filename): each
 * value is split as CSV (`-f a.yaml,b.yaml`) and added to the earlier ones.
 */
export function listFlag(flag: string, command: string): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    try {
      return [...(previous ?? []), ...csvFields(value)];
    } catch (e) {
      throw new CliError(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flag)} flag: ${(e as Error).message}\nSee 'everynode ${command} --help' for usage.`);
    }
  };
}

/** kubectl's --dry-run strategies. */
export type DryRun = 'none' | 'client' | 'server';

/** The value a bare `--dry-run` stands for (pflag's NoOptDefVal; normalizeArgs writes it out). */
export const dryRunBare = 'unchanged';

/**
 * kubectl's --dry-run flag: `--dry-run=client|server|none` (a bare `--dry-run` is `client`, and
 * never takes the next argument as its value, as with pflag).
 */
export function dryRunOption(): Option {
  return new Option('--dry-run [strategy]', 'Must be "none", "server", or "client". If client strategy, only print the object that would be sent, without sending it. If server strategy, submit server-side request without persisting the resource.').preset(dryRunBare);
}

/** cmdutil.GetDryRunStrategy: the strategy of a --dry-run value (undefined: not given). */
export function dryRunStrategy(value: string | undefined): DryRun {
  if (value === undefined) return 'none';
  const bool = goParseBool(value);
  if (bool !== undefined) return bool ? 'client' : 'none';
  if (value === dryRunBare || value === 'client') return 'client';
  if (value === 'server') return 'server';
  if (value === 'none') return 'none';
  throw new CliError(`Invalid dry-run value (${value}). Must be "none", "server", or "client".`);
}

/** What kubectl's printers append to an operation (`deleted (dry run)`). */
export function dryRunSuffix(d: DryRun): string {
  return d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '';
}

/** Go's strconv.ParseBool. */
export function goParseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * Go's strconv.ParseInt(s, 0, 64): an optional sign, then decimal, 0x/0o/0b or a leading-0 octal
 * number (underscores between digits allowed with a prefix). Throws the strconv error text.
 */
export function goParseInt(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9]*)$/.exec(s);
  const syntax = `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`;
  if (!m) throw new Error(syntax);
  let digits = m[2]!;
  if (digits.includes('_') && (!/^0[xXoObB]?/.test(digits) || /__|_$|^0[xXoObB]?_?$/.test(digits))) throw new Error(syntax);
  digits = digits.replace(/_/g, '');
  const big = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const value = m[1] === '-' ? -big : big;
  if (value > 9223372036854775807n || value < -9223372036854775808n) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(value);
}

/**
 * The parser of an integer flag (pflag's Int/Int64Var): a value Go cannot read fails the
 * command with kubectl's two lines (`invalid argument "abc" for "--revision" flag: ...` and
 * `See 'everynode <command> --help' for usage.`).
 */
export function intFlag(flag: string, command: string): (value: string) => number {
  return (value) => {
    try {
      return goParseInt(value);
    } catch (e) {
      throw new CliError(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flag)} flag: ${(e as Error).message}\nSee 'everynode ${command} --help' for usage.`);
    }
  };
}

/** kubectl's MultilineError of a 422's causes (duplicates dropped). */
export function invalidText(e: ApiError): string {
  const d = e.details;
  if (!d) return `The request is invalid${e.message ? `: ${e.message}` : ''}`;
  const named = Boolean(d.kind) || Boolean(d.name);
  let s = named ? `The ${d.kind ?? ''} ${goQuote(d.name ?? '')} is invalid` : 'The request is invalid';
  const seen = new Set<string>();
  const causes: string[] = [];
  for (const c of d.causes ?? []) {
    const text = `${c.field ?? ''}: ${c.message ?? ''}`;
    if (!seen.has(text)) causes.push(text);
    seen.add(text);
  }
  if (causes.length === 0) {
    if (!named && e.message) s += `: ${e.message}`;
    return s;
  }
  if (causes.length === 1) return `${s}: ${causes[0]!}`;
  return `${s}: \n${causes.map((c) => `* ${c}`).join('\n')}`;
}

const envNameMessage = `a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`;

/**
 * apimachinery's IsEnvVarName as kubectl's `set env` and `create configmap|secret --from-env-file`
 * check it: the problems of a variable name (none: valid). Stricter than the API server's own
 * check (api/validation isEnvVarName), as kubectl is.
 */
export function envNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) errs.push(envNameMessage);
  if (name === '.') errs.push(`must not be '.'`);
  else if (name === '..') errs.push(`must not be '..'`);
  else if (name.startsWith('..')) errs.push(`must not start with '..'`);
  return errs;
}
