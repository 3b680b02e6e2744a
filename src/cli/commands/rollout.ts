// `everynode rollout status|history|undo|restart ds/NAME` (kube-semantics §12, kube-api §3.7).
//
// status: re-evaluates kubectl's DaemonSet rule on the object and on every watch event:
//   strategy must be RollingUpdate; generation > observedGeneration -> waiting for the spec;
//   updated < desired -> "U out of D new pods have been updated"; available < desired ->
//   "A of D updated pods are available"; else done. On a TTY it draws a live progress bar
//   (cli-progress; updated/available/desired, plus one line per node with --nodes; lines sized
//   by their visible length to the terminal width); otherwise it prints each new status line
//   once. --timeout bounds the wait (exit 1 on expiry). SIGINT/SIGTERM (CliIO.onInterrupt)
//   stop the bar first, which shows the cursor and turns line wrapping back on, then the
//   command ends with exit code 130/143.
// history: ControllerRevisions selected by the DS selector and controlled by its UID (--revision
//   N: `<ref> with revision #N`, then that revision's pod template in describe style, as kubectl:
//   the revision's `data` applied to the live DaemonSet as a strategic merge patch).
// undo: PATCHes the target revision's `data` as a strategic merge patch (skipped when the
//   current template already matches it). --dry-run=client prints `will roll back to <pod
//   template> (dry run)` (the same printer and the same applied template as history --revision)
//   and sends nothing; --dry-run=server sends the patch with dryRun=All.
//   restart: sets the template annotation kubectl.kubernetes.io/restartedAt (whole seconds: a
//   second restart within the same second is refused, as kubectl), which makes a new revision
//   and a normal rollout; -o prints the DaemonSet the server answered. --revision /
//   --to-revision read integers as pflag does.
// pause / resume: kubectl gets each object, then refuses it (only Deployments can be paused):
//   `error: daemonsets.apps "NAME" pausing is not supported` (resuming), exit code 1.

import type cliProgress from 'cli-progress';
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import type { ControllerRevision, DaemonSet, Pod } from '../../api/types.js';
import { applyStrategicMergePatch } from '../../api/patch/index.js';
import { apiSchema } from '../schema.js';
import { apiVersionOf, controllerRevisionsResource, isResourceExpired, podsResource, resourcePath, WatchDecoder } from '../client.js';
import { rfc3339 } from '../../util/index.js';
import { CliError, UnreachableError } from '../context.js';
import { ApiError } from '../../api/errors.js';
import { kindPrefix, qualifiedPlural, type ResourceInfo } from '../discovery.js';
import { type CliIO, paint } from '../io.js';
import { type CliContext, controllerUid, type Failure, reportFailures, dryRunOption, dryRunStrategy, dryRunSuffix, getLatest, intFlag, objectRef, parseDuration, parseSingleTarget, parseTargets, selectorString } from './common.js';
import { podTemplateText } from './describe.js';
import { objectPrinter } from './output.js';
import { columnWidths, parseOutputFormat, printObjects, type ObjectFormat } from '../printers.js';
import type { KubeObject, PodTemplateSpec } from '../../api/types.js';

export interface RolloutState {
  done: boolean;
  message: string;
  updated: number;
  available: number;
  desired: number;
}

/** kubectl's DaemonSet rollout-status rule (throws for non-RollingUpdate strategies). */
export function daemonSetRolloutStatus(ds: DaemonSet): RolloutState {
  const name = ds.metadata.name ?? '';
  const type = ds.spec.updateStrategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') throw new CliError('rollout status is only available for RollingUpdate strategy type');
  const st = ds.status;
  const desired = st?.desiredNumberScheduled ?? 0;
  const updated = st?.updatedNumberScheduled ?? 0;
  const available = st?.numberAvailable ?? 0;
  const base = { updated, available, desired };
  if ((ds.metadata.generation ?? 0) > (st?.observedGeneration ?? 0)) return { ...base, done: false, message: 'Waiting for daemon set spec update to be observed...' };
  if (updated < desired) return { ...base, done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  if (available < desired) return { ...base, done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...` };
  return { ...base, done: true, message: `daemon set "${name}" successfully rolled out` };
}

export interface NodeState {
  node: string;
  pod: string;
  state: string;
}

/** How a rollout is shown: a live bar on a terminal, plain lines elsewhere. */
interface RolloutRenderer {
  update(s: RolloutState, nodes: NodeState[] | undefined): void;
  stop(): void;
}

class PlainRenderer implements RolloutRenderer {
  private last = '';
  private lastNodes = new Map<string, string>();
  constructor(private readonly io: CliIO) {}

  update(s: RolloutState, nodes: NodeState[] | undefined): void {
    if (s.message !== this.last && !s.done) this.io.stdout.write(s.message + '\n');
    this.last = s.message;
    for (const n of nodes ?? []) {
      const line = `  node ${n.node}: pod ${n.pod} ${n.state}`;
      if (this.lastNodes.get(n.node) !== line) this.io.stdout.write(line + '\n');
      this.lastNodes.set(n.node, line);
    }
  }

  stop(): void {}
}

const ansi = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** The length of `s` on a terminal (ANSI escape sequences take no room). */
export function visibleLength(s: string): number {
  return s.replace(ansi, '').length;
}

/**
 * `s` cut to at most `max` visible characters; escape sequences are kept, and a cut line that
 * had any ends with a reset, so no colour leaks into the next line.
 */
export function fitVisible(s: string, max: number): string {
  if (visibleLength(s) <= max) return s;
  let out = '';
  let used = 0;
  let styled = false;
  for (let i = 0; i < s.length && used < max; ) {
    ansi.lastIndex = i;
    const m = s[i] === '\u001b' ? ansi.exec(s) : null;
    if (m && m.index === i) {
      out += m[0];
      styled = true;
      i += m[0].length;
      continue;
    }
    out += s[i];
    used++;
    i++;
  }
  return styled ? `${out}\u001b[0m` : out;
}

const barFull = 30;
const barMin = 10;

/**
 * The main bar line for a terminal `width` columns wide: the bar gets what the text leaves (up
 * to 30 cells, sized on the visible length, colour codes excluded) and the line never reaches
 * the last column; when even a 10-cell bar does not fit, the line is cut (fitVisible).
 */
export function barLine(name: string, progress: number, p: { value: number; total: number; available: number; phase: string }, width: number): string {
  const line = (size: number): string => {
    const done = Math.max(0, Math.min(size, Math.round(progress * size)));
    return `${name} [${'\u2588'.repeat(done)}${'\u2591'.repeat(size - done)}] ${p.value}/${p.total} updated | ${p.available} available | ${p.phase}`;
  };
  const room = width - 1;
  const size = Math.max(barMin, Math.min(barFull, room - visibleLength(line(0))));
  return fitVisible(line(size), room);
}

class BarRenderer implements RolloutRenderer {
  private readonly multi: cliProgress.MultiBar;
  private readonly main: cliProgress.SingleBar;
  private readonly nodeBars = new Map<string, cliProgress.SingleBar>();
  private stopped = false;

  constructor(io: CliIO, name: string) {
    // Loaded here, by the one renderer that draws bars: every other verb starts without it.
    const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
    this.multi = new bars.MultiBar(
      {
        stream: io.stdout as NodeJS.WritableStream,
        // cli-progress measures lines with their colour codes; the formatters fit them by what shows.
        format: (_o, params, payload: { available: number; phase: string }) =>
          barLine(name, params.progress, { value: params.value, total: params.total, available: payload.available, phase: payload.phase }, params.maxWidth),
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
      },
      bars.Presets.shades_classic,
    );
    this.main = this.multi.create(1, 0, { available: 0, phase: 'starting' });
  }

  update(s: RolloutState, nodes: NodeState[] | undefined): void {
    // Plain text: cli-progress cuts its last frame by a width that counts colour codes, which
    // lost the end of a coloured phase and its reset (the green summary line follows anyway).
    const phase = s.done ? 'rolled out' : s.message.startsWith('Waiting for daemon set spec') ? 'waiting for the controller' : 'rolling out';
    this.main.setTotal(Math.max(s.desired, 1));
    this.main.update(s.updated, { available: s.available, phase });
    for (const n of nodes ?? []) {
      let bar = this.nodeBars.get(n.node);
      if (!bar) {
        bar = this.multi.create(1, 0, { node: n.node, pod: n.pod, state: n.state }, {
          format: (_o, params, payload: { node: string; pod: string; state: string }) => fitVisible(`  ${payload.node}  ${payload.pod}  ${payload.state}`, params.maxWidth - 1),
        });
        this.nodeBars.set(n.node, bar);
      }
      bar.update(0, { node: n.node, pod: n.pod, state: n.state });
    }
  }

  /** Draws the last state and gives the terminal back its cursor and line wrapping (once). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi.stop();
  }
}

async function ownedRevisions(ctx: CliContext, cmd: Command, ds: DaemonSet): Promise<ControllerRevision[]> {
  const list = await ctx.conn(cmd).client.list<ControllerRevision>(controllerRevisionsResource, {
    namespace: ds.metadata.namespace ?? '',
    labelSelector: selectorString(ds.spec.selector),
  });
  const byRevision = new Map<number, ControllerRevision>();
  for (const cr of list.items) if (controllerUid(cr) === ds.metadata.uid) byRevision.set(cr.revision, cr);
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}

/** Per-node view of the DS's pods: updated (current revision hash) and ready. */
async function nodeStates(ctx: CliContext, cmd: Command, ds: DaemonSet): Promise<NodeState[]> {
  const revs = await ownedRevisions(ctx, cmd, ds);
  const currentHash = revs[revs.length - 1]?.metadata.labels?.['controller-revision-hash'];
  const pods = await ctx.conn(cmd).client.list<Pod>(podsResource, { namespace: ds.metadata.namespace ?? '', labelSelector: selectorString(ds.spec.selector) });
  const out: NodeState[] = [];
  for (const p of pods.items) {
    if (controllerUid(p) !== ds.metadata.uid) continue;
    const hash = p.metadata.labels?.['controller-revision-hash'];
    const ready = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const updated = currentHash !== undefined && hash === currentHash;
    out.push({ node: p.spec?.nodeName ?? '<unscheduled>', pod: p.metadata.name ?? '', state: `${updated ? 'updated' : 'old revision'}, ${ready ? 'ready' : notReadyWord(p)}` });
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}

/**
 * Why a pod is not ready, in the words of `get pods`' STATUS: terminating, the first init
 * container's waiting reason (`Init:CrashLoopBackOff`), a container's waiting or terminated
 * reason (CrashLoopBackOff, CreateContainerError, Error), else its phase.
 */
function notReadyWord(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'terminating';
  for (const c of p.status?.initContainerStatuses ?? []) {
    const why = c.state?.waiting?.reason ?? (c.state?.terminated && c.state.terminated.exitCode !== 0 ? c.state.terminated.reason : undefined);
    if (why && why !== 'PodInitializing') return `Init:${why}`;
  }
  for (const c of p.status?.containerStatuses ?? []) {
    const why = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (why && why !== 'ContainerCreating') return why;
  }
  return (p.status?.phase ?? 'Pending').toLowerCase();
}

/** `rollout history` of one DaemonSet (`args`: its TYPE/NAME). */
async function rolloutHistory(ctx: CliContext, cmd: Command, args: string[], opts: { revision: number; output?: string }): Promise<void> {
  const format = opts.output === undefined ? undefined : historyFormat(opts.output);
  const { r, ds, name } = await getDaemonSet(ctx, cmd, args);
  const revs = await ownedRevisions(ctx, cmd, ds);
  // kubectl looks for history before it looks for the revision asked for.
  if (revs.length === 0 && opts.revision > 0) {
    ctx.out(`${objectRef(r, name)} with revision #${opts.revision}\nNo rollout history found.\n`);
    return;
  }
  if (format) {
    // As kubectl: the live DaemonSet with each revision's template, one document per revision.
    const picked = opts.revision > 0 ? revs.filter((x) => x.revision === opts.revision) : revs;
    if (picked.length === 0) throw new CliError('unable to find the specified revision');
    const docs = picked.map((cr) => {
      const asOf = { ...ds, spec: { ...ds.spec, template: revisionTemplate(ds, cr) } } as unknown as KubeObject;
      return printObjects([asOf], format, false, () => objectRef(r, name).split('/')[0]!);
    });
    ctx.out(docs.join(format.kind === 'yaml' ? '---\n' : ''));
    return;
  }
  if (opts.revision > 0) {
    const cr = revs.find((x) => x.revision === opts.revision);
    if (!cr) throw new CliError('unable to find the specified revision');
    // kubectl's name printer: `<ref> with revision #N\n<template>` and a newline of its own.
    ctx.out(`${objectRef(r, name)} with revision #${opts.revision}\n${podTemplateText(revisionTemplate(ds, cr))}\n`);
    return;
  }
  if (revs.length === 0) {
    ctx.out('No rollout history found.\n');
    return;
  }
  const rows = [['REVISION', 'CHANGE-CAUSE'], ...revs.map((cr) => [String(cr.revision), cr.metadata.annotations?.['kubernetes.io/change-cause'] ?? '<none>'])];
  // kubectl's layout: its name printer's line (with the space of an empty operation), a
  // tabwriter table with a padding of two, and a blank line.
  const widths = columnWidths(rows);
  const table = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2))).join('')).join('\n');
  ctx.out(`${objectRef(r, name)} \n${table}\n\n`);
}

/**
 * The targets of a rollout verb, one `[TYPE/NAME]` each: the names given (`ds/a ds/b`, `ds a b`),
 * or for a bare TYPE (or with -l) every DaemonSet of the namespace it selects, in name order, as
 * kubectl visits them. None selected: none, with kubectl's `No resources found in NS namespace.`
 * unless `sayNone` is false (history and undo say nothing).
 */
async function rolloutTargets(ctx: CliContext, cmd: Command, args: string[], selector: string | undefined, sayNone = true): Promise<string[][]> {
  if (selector !== undefined && args.some((a) => a.includes('/'))) throw new CliError('selectors and the all flag cannot be used when passing resource/name arguments');
  const targets = parseTargets(args);
  const bare = targets.length === 1 && targets[0]!.names.length === 0;
  if (!bare && selector === undefined) {
    const each = targets.flatMap((t) => t.names.map((n) => [`${t.type}/${n}`]));
    return each.length > 1 ? each : [args];
  }
  if (!bare) throw new CliError('name cannot be provided when a selector is specified');
  const r = await ctx.discovery(cmd).resolve(targets[0]!.type);
  if (r.kind !== 'DaemonSet') throw new CliError(`rollout is supported for daemonsets only, not ${r.plural}`);
  const conn = ctx.conn(cmd);
  const list = await conn.client.list(r, { namespace: conn.namespace, ...(selector ? { labelSelector: selector } : {}) });
  if (list.items.length === 0 && sayNone) ctx.err(`No resources found in ${conn.namespace} namespace.\n`);
  return list.items.map((o) => [`${targets[0]!.type}/${o.metadata.name ?? ''}`]);
}

async function getDaemonSet(ctx: CliContext, cmd: Command, args: string[]): Promise<{ r: ResourceInfo; ds: DaemonSet; ns: string; name: string }> {
  const { type, name } = parseSingleTarget(args);
  const r = await ctx.discovery(cmd).resolve(type);
  if (r.kind !== 'DaemonSet') throw new CliError(`rollout is supported for daemonsets only, not ${r.plural}`);
  const ns = ctx.conn(cmd).namespace;
  const ds = await getLatest<DaemonSet>(ctx.conn(cmd), r, ns, name);
  return { r, ds, ns, name };
}

async function rolloutStatus(ctx: CliContext, cmd: Command, args: string[], opts: { timeout: string; watch: boolean; nodes?: boolean }): Promise<void> {
  const timeoutMs = parseDuration(opts.timeout);
  const { r, ds: first, ns, name } = await getDaemonSet(ctx, cmd, args);
  let state = daemonSetRolloutStatus(first);
  if (!opts.watch || state.done) {
    ctx.out((state.done ? paint(ctx.io, 'green', state.message) : state.message) + '\n');
    // --nodes: where each daemon is, at this moment.
    if (opts.nodes) new PlainRenderer(ctx.io).update({ ...state, done: true }, await nodeStates(ctx, cmd, first));
    return;
  }
  const conn = ctx.conn(cmd);
  // The bar needs a terminal that moves the cursor: not a pipe, not TERM=dumb.
  const renderer: RolloutRenderer = ctx.io.isTTY && ctx.io.env['TERM'] !== 'dumb' ? new BarRenderer(ctx.io, `daemonset/${name}`) : new PlainRenderer(ctx.io);
  const abort = new AbortController();
  let timedOut = false;
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  const unsubscribe = ctx.io.onInterrupt?.((signal) => {
    interrupted ??= signal;
    abort.abort();
  });
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), abort.abort()), timeoutMs) : undefined;
  let current = first;
  let nodes: NodeState[] | undefined;
  const refreshNodes = async () => {
    if (opts.nodes) nodes = await nodeStates(ctx, cmd, current).catch(() => nodes);
  };
  let nodePoll: NodeJS.Timeout | undefined;
  try {
    await refreshNodes();
    renderer.update(state, nodes);
    if (opts.nodes) {
      nodePoll = setInterval(() => void refreshNodes().then(() => renderer.update(state, nodes)), 1000);
    }
    let rv = first.metadata.resourceVersion ?? '';
    // A server gone for a while (restarted, upgraded, failing over) is waited for until the
    // timeout, as kubectl's retrying watch does: 1 s between tries, then 2, up to 5.
    let retryMs = 0;
    const waitForServer = async (e: unknown): Promise<void> => {
      if (!serverAway(e)) throw e;
      retryMs = Math.min(Math.max(retryMs * 2, 1000), 5000);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    };
    while (!state.done) {
      const path = resourcePath(r, ns) + `?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}&resourceVersion=${encodeURIComponent(rv)}&allowWatchBookmarks=true`;
      let res;
      try {
        res = await conn.stream({ path, signal: abort.signal });
      } catch (e) {
        if (timedOut || interrupted) break;
        try {
          if (isResourceExpired(e)) {
            current = await conn.client.get<DaemonSet>(r, ns, name);
            rv = current.metadata.resourceVersion ?? '';
            state = daemonSetRolloutStatus(current);
            renderer.update(state, nodes);
            continue;
          }
          await waitForServer(e);
        } catch (again) {
          if (timedOut || interrupted) break;
          await waitForServer(again);
        }
        continue;
      }
      retryMs = 0;
      const decoder = new WatchDecoder();
      let relist = false;
      try {
        for await (const chunk of res.body) {
          for (const ev of decoder.push(chunk)) {
            const obj = ev.object as DaemonSet;
            if (ev.type === 'ERROR') {
              relist = true;
              break;
            }
            if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (ev.type === 'BOOKMARK') continue;
            if (ev.type === 'DELETED') throw new CliError(`daemon set "${name}" was deleted during the rollout`);
            current = obj;
            state = daemonSetRolloutStatus(current);
            await refreshNodes();
            renderer.update(state, nodes);
            if (state.done) break;
          }
          if (state.done || relist) break;
        }
      } catch (e) {
        if (timedOut || abort.signal.aborted) break;
        if (e instanceof CliError) throw e;
        // A dropped stream is re-watched from the last resourceVersion.
      }
      if (timedOut || interrupted) break;
      if (relist) {
        try {
          current = await conn.client.get<DaemonSet>(r, ns, name);
        } catch (e) {
          if (timedOut || interrupted) break;
          await waitForServer(e);
          continue; // the watch from rv answers 410 again, and the list is tried again
        }
        rv = current.metadata.resourceVersion ?? '';
        state = daemonSetRolloutStatus(current);
        renderer.update(state, nodes);
      }
    }
  } catch (e) {
    if (!timedOut && !interrupted) {
      renderer.stop();
      throw e;
    }
  } finally {
    if (timer) clearTimeout(timer);
    if (nodePoll) clearInterval(nodePoll);
    abort.abort();
    renderer.stop();
    unsubscribe?.();
  }
  if (interrupted) {
    ctx.exitCode = interrupted === 'SIGINT' ? 130 : 143;
    return;
  }
  if (timedOut && !state.done) throw new CliError(`timed out waiting for the condition (${state.message})`);
  ctx.out(paint(ctx.io, 'green', state.message) + '\n');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Canonical form of a revision payload for comparison (sorted keys, null creationTimestamp
 * dropped, and so is an empty `resources: {}` of a container, which revisions carry and the
 * DaemonSet as served may leave out: Go's JSON always writes it).
 */
export function canonicalPayload(data: unknown): string {
  const copy = JSON.parse(JSON.stringify(data ?? null)) as { spec?: { template?: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } } };
  const meta = copy?.spec?.template?.metadata;
  if (meta && meta['creationTimestamp'] === null) delete meta['creationTimestamp'];
  const spec = copy?.spec?.template?.spec;
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of (spec?.[list] as Record<string, unknown>[] | undefined) ?? []) {
      const res = c['resources'];
      if (res && typeof res === 'object' && Object.keys(res).length === 0) delete c['resources'];
    }
  }
  return JSON.stringify(sortKeys(copy));
}

export function currentPayload(ds: DaemonSet): unknown {
  return { spec: { template: { ...(ds.spec.template as unknown as Record<string, unknown>), $patch: 'replace' } } };
}

/**
 * The pod template the DaemonSet has at revision `cr`, as kubectl's applyDaemonSetHistory: the
 * revision's `data` applied to the live DaemonSet as a strategic merge patch (a revision written
 * by the controller replaces the whole template; older or hand-made data merges into it).
 */
export function revisionTemplate(ds: DaemonSet, cr: ControllerRevision): PodTemplateSpec {
  let applied: DaemonSet;
  try {
    applied = applyStrategicMergePatch(ds, cr.data ?? {}, apiSchema().schemaFor({ group: 'apps', version: 'v1', kind: 'DaemonSet' }), apiSchema().resolveSchema) as DaemonSet;
  } catch {
    throw new CliError(`unable to parse history ${cr.metadata.name ?? ''}`);
  }
  return applied.spec?.template ?? ({} as PodTemplateSpec);
}

/** The -o formats of `rollout history` (kubectl's: the object printers, no tables). */
function historyFormat(o: string): ObjectFormat {
  const f = parseOutputFormat(o);
  if (f.kind === 'table' || f.kind === 'custom-columns') {
    throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,jsonpath-as-json,name,yaml`);
  }
  return f;
}

export function registerRollout(program: Command, ctx: CliContext): void {
  const rollout = program.command('rollout').description('Manage the rollout of a DaemonSet: status, history, undo, restart');

  rollout
    .command('status')
    .description('Watch a DaemonSet rollout until it completes (a progress bar on a terminal)')
    .argument('<target...>', 'ds/NAME or ds NAME')
    .option('--timeout <duration>', 'give up after this long and exit 1 (0 = wait forever)', '0')
    .option('-w, --watch', 'watch until done', true)
    .option('--no-watch', 'print the current status once and exit')
    .option('--nodes', 'show the state of every node (pod, revision, readiness)')
    .option('-l, --selector <selector>', 'every DaemonSet matching this label selector')
    .action(async (args: string[], opts: { timeout: string; watch: boolean; nodes?: boolean; selector?: string }, cmd: Command) => {
      // Several targets (`ds/a ds/b`, `ds a b`, `ds`, `ds -l ...`): each in turn, as kubectl
      // visits them, each with its own --timeout. One that cannot be watched (OnDelete, not
      // found) is said after the others, which go on (kubectl's visitor continues on error);
      // one that times out ends the command.
      const failed: unknown[] = [];
      for (const target of await rolloutTargets(ctx, cmd, args, opts.selector)) {
        try {
          await rolloutStatus(ctx, cmd, target, opts);
        } catch (e) {
          if (!(e instanceof CliError || e instanceof ApiError)) throw e;
          failed.push(e);
          continue;
        }
        if (ctx.exitCode !== undefined && ctx.exitCode !== 0) break;
      }
      for (const e of failed) ctx.report(e);
    });

  rollout
    .command('history')
    .description('List the revisions of a DaemonSet (or show one with --revision)')
    .argument('<target...>', 'ds/NAME or ds NAME')
    .option('--revision <n>', 'show the pod template of this revision', intFlag('--revision', 'rollout history'), 0)
    .option('-o, --output <format>', 'print the DaemonSet as of each revision (or --revision): json|yaml|name|jsonpath=TEMPLATE')
    .option('-l, --selector <selector>', 'every DaemonSet matching this label selector')
    .action(async (args: string[], opts: { revision: number; output?: string; selector?: string }, cmd: Command) => {
      if (opts.revision < 0) throw new CliError(`revision must be a positive integer: ${opts.revision}`);
      for (const target of await rolloutTargets(ctx, cmd, args, opts.selector, false)) await rolloutHistory(ctx, cmd, target, opts);
    });

  rollout
    .command('undo')
    .description('Roll a DaemonSet back to the previous (or a given) revision')
    .argument('<target...>', 'ds/NAME or ds NAME (or ds: every DaemonSet of the namespace, or those -l selects)')
    .option('--to-revision <n>', 'the revision to roll back to (0 = the previous one)', intFlag('--to-revision', 'rollout undo'), 0)
    .option('-l, --selector <selector>', 'every DaemonSet matching this label selector')
    .addOption(dryRunOption())
    .action(async (args: string[], opts: { toRevision: number; dryRun?: string; selector?: string }, cmd: Command) => {
      const dryRun = dryRunStrategy(opts.dryRun);
      const n = opts.toRevision;
      // Each DaemonSet in turn, as kubectl visits them; the first failure ends the run. None
      // selected: nothing said, as kubectl's undo.
      for (const one of await rolloutTargets(ctx, cmd, args, opts.selector, false)) {
        const { r, ds, ns, name } = await getDaemonSet(ctx, cmd, one);
        if (n < 0) throw new CliError(`unable to find specified revision ${n} in history`);
        const revs = await ownedRevisions(ctx, cmd, ds);
        let target: ControllerRevision | undefined;
        if (n === 0) {
          if (revs.length <= 1) throw new CliError('no last revision to roll back to');
          target = revs[revs.length - 2];
        } else target = revs.find((x) => x.revision === n);
        if (!target) throw new CliError(`unable to find specified revision ${n} in history`);
        if (dryRun === 'client') {
          // kubectl: the template the DaemonSet would get, before the "already matches" check.
          ctx.out(`${objectRef(r, name)} will roll back to ${podTemplateText(revisionTemplate(ds, target))}${dryRunSuffix(dryRun)}\n`);
          continue;
        }
        if (canonicalPayload(currentPayload(ds)) === canonicalPayload(target.data)) {
          // As kubectl, the revision asked for (0 for "the previous one").
          ctx.out(`${objectRef(r, name)} skipped rollback (current template already matches revision ${n})${dryRunSuffix(dryRun)}\n`);
          continue;
        }
        await ctx.conn(cmd).client.patch(r, ns, name, 'strategic', target.data, { dryRun: dryRun === 'server' });
        ctx.out(`${objectRef(r, name)} rolled back${dryRunSuffix(dryRun)}\n`);
      }
    });

  rollout
    .command('restart')
    .description('Restart every pod of a DaemonSet through a normal rolling update')
    .argument('<target...>', 'ds/NAME or ds NAME')
    .option('-l, --selector <selector>', 'every DaemonSet matching this label selector')
    .option('-o, --output <format>', 'print the restarted DaemonSets: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE')
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .option('--field-manager <name>', 'the manager recorded for the changed fields', 'everynode-rollout')
    .action(async (args: string[], opts: { selector?: string; output?: string; showManagedFields?: boolean; fieldManager: string }, cmd: Command) => {
      // Without -o: `daemonset.apps/NAME restarted`; with it, the DaemonSet the server answered.
      const print = objectPrinter(opts.output, undefined, opts.showManagedFields === true);
      let printed = 0;
      // As kubectl's RunRestart: one refused restart does not stop the others; all are said at the end.
      const failures: Failure[] = [];
      for (const target of await rolloutTargets(ctx, cmd, args, opts.selector)) {
        const { r, ds: current, ns, name } = await getDaemonSet(ctx, cmd, target);
        const now = rfc3339(Date.now());
        // The annotation has whole seconds: a second restart within one would change nothing.
        if (current.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] === now) {
          failures.push(`failed to create patch for ${name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`);
          continue;
        }
        const ds = await ctx.conn(cmd).client.patch(r, ns, name, 'strategic', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now } } } } }, { fieldManager: opts.fieldManager });
        ctx.out(`${opts.output === 'yaml' && printed++ > 0 ? '---\n' : ''}${print({ ...ds, apiVersion: apiVersionOf(r), kind: r.kind }, kindPrefix(r), 'restarted')}`);
      }
      reportFailures(ctx, failures);
    });

  for (const [verb, doing] of [
    ['pause', 'pausing'],
    ['resume', 'resuming'],
  ] as const) {
    rollout
      .command(verb)
      .description(`not supported for DaemonSets (kubectl refuses it too: only Deployments can be ${verb}d)`)
      .argument('[target...]', 'ds/NAME or ds NAME...')
      .option('-l, --selector <selector>', 'the objects of TYPE matching this label selector')
      .action(async (args: string[], opts: { selector?: string }, cmd: Command) => {
        await refuseRollout(ctx, cmd, args, opts.selector, doing);
      });
  }
}

/**
 * `rollout pause|resume`: as kubectl, every object named (or, for a bare TYPE, every object of
 * the type in the namespace, or those matching -l) is read first, a failed read reported as it
 * happens; then each object found is refused (`<resource>.<group> "NAME" pausing is not
 * supported`), exit code 1.
 */
async function refuseRollout(ctx: CliContext, cmd: Command, args: string[], selector: string | undefined, doing: 'pausing' | 'resuming'): Promise<void> {
  if (args.length === 0) throw new CliError('required resource not specified');
  const targets = parseTargets(args);
  if (selector !== undefined && targets.some((t) => t.names.length > 0)) throw new CliError('name cannot be provided when a selector is specified');
  const conn = ctx.conn(cmd);
  const found: { r: ResourceInfo; name: string }[] = [];
  for (const t of targets) {
    const r = await ctx.discovery(cmd).resolve(t.type);
    const ns = r.namespaced ? conn.namespace : '';
    if (t.names.length === 0) {
      const list = await conn.client.list<KubeObject>(r, { ...(ns ? { namespace: ns } : {}), ...(selector ? { labelSelector: selector } : {}) });
      for (const o of list.items) found.push({ r, name: o.metadata.name ?? '' });
      continue;
    }
    for (const name of t.names) {
      try {
        await getLatest(conn, r, ns, name);
        found.push({ r, name });
      } catch (e) {
        ctx.report(e);
      }
    }
  }
  for (const { r, name } of found) ctx.report(new CliError(`${qualifiedPlural(r)} ${JSON.stringify(name)} ${doing} is not supported`));
}

/** The server is away for now (not reachable, restarting, overloaded), not refusing the request. */
function serverAway(e: unknown): boolean {
  if (e instanceof UnreachableError) return true;
  return e instanceof ApiError && (e.code === 429 || e.code === 503 || e.code === 502 || e.code === 504);
}
