// `everynode logs POD [CONTAINER] | TYPE/NAME | -l SELECTOR`: container logs through
// `pods/<name>/log` (--since, --since-time, --tail, --limit-bytes, --timestamps, -p as kubectl).
// With -l, as kubectl: the matching pods in list order, --tail=10 unless given, a prefix only
// with --prefix, at most --max-log-requests streams with -f. For a controller (ds/NAME, or
// anything with spec.selector) every matching pod's containers are printed, each line prefixed
// `[NODE pod/NAME/CONTAINER]`. A failing pod of several is reported on stderr and the others
// continue (exit code 1 at the end); a -c container that one of the pods lacks is an error
// before anything is printed (kubectl's `container X is not valid for pod P`).

import type { Command } from 'commander';
import type { KubeObject, LabelSelector, Pod } from '../../api/types.js';
import { isNotFound, podsResource, resourcePath } from '../client.js';
import { CliError, formatError } from '../context.js';
import { type CliContext, getLatest, parseDuration, selectorString } from './common.js';
import { goQuote } from '../../util/index.js';

interface LogsOpts {
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  container?: string;
  timestamps?: boolean;
  allContainers?: boolean;
  prefix?: boolean;
  selector?: string;
  since?: string;
  sinceTime?: string;
  limitBytes?: string;
  maxLogRequests: string;
}

/** Splits a byte stream into lines and prefixes each; the last partial line is flushed at end. */
export class LinePrefixer {
  private buf = '';
  constructor(private readonly prefix: string, private readonly write: (s: string) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      this.write(`${this.prefix}${this.buf.slice(0, nl + 1)}`);
      this.buf = this.buf.slice(nl + 1);
    }
  }

  end(): void {
    if (this.buf) this.write(`${this.prefix}${this.buf}\n`);
    this.buf = '';
  }
}

const usageError = `'logs (POD | TYPE/NAME) [CONTAINER_NAME]'.\nPOD or TYPE/NAME is a required argument for the logs command`;
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The query of `pods/<name>/log` for the options (validated as kubectl does); `defaultTail` is
 * kubectl's 10 lines for a selector when --tail was not given.
 */
export function logQuery(container: string, o: LogsOpts, defaultTail?: number): string {
  const p: string[] = [`container=${encodeURIComponent(container)}`];
  if (o.follow) p.push('follow=true');
  if (o.previous) p.push('previous=true');
  if (o.timestamps) p.push('timestamps=true');
  if (o.tail !== undefined && o.tail !== '-1') {
    if (!/^\d+$/.test(o.tail)) throw new CliError(`invalid --tail value ${JSON.stringify(o.tail)}: a number of lines`);
    p.push(`tailLines=${o.tail}`);
  } else if (o.tail === undefined && defaultTail !== undefined) p.push(`tailLines=${defaultTail}`);
  if (o.since !== undefined && o.sinceTime !== undefined) throw new CliError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (o.since !== undefined) {
    const ms = parseDuration(o.since);
    if (ms <= 0) throw new CliError('--since must be greater than 0');
    p.push(`sinceSeconds=${Math.ceil(ms / 1000)}`);
  }
  if (o.sinceTime !== undefined) {
    if (!rfc3339.test(o.sinceTime) || Number.isNaN(Date.parse(o.sinceTime))) throw new CliError(`invalid --since-time ${JSON.stringify(o.sinceTime)}: an RFC3339 time, e.g. 2006-01-02T15:04:05Z`);
    p.push(`sinceTime=${encodeURIComponent(o.sinceTime)}`);
  }
  if (o.limitBytes !== undefined) {
    if (!/^\d+$/.test(o.limitBytes) || Number(o.limitBytes) <= 0) throw new CliError('--limit-bytes must be greater than 0');
    p.push(`limitBytes=${o.limitBytes}`);
  }
  return '?' + p.join('&');
}

/**
 * A pod's containers in kubectl's order (init, regular, ephemeral: `all`, what --all-containers
 * prints), and the ones that run for the pod's life (`daemons`: sidecars, i.e. init containers
 * with restartPolicy Always, then the regular ones), which `logs ds/NAME` prints.
 */
function containersOf(pod: Pod): { all: string[]; daemons: string[] } {
  const init = pod.spec?.initContainers ?? [];
  const regular = (pod.spec?.containers ?? []).map((c) => c.name);
  const ephemeral = ((pod.spec?.['ephemeralContainers'] as { name: string }[] | undefined) ?? []).map((c) => c.name);
  const sidecars = init.filter((c) => c.restartPolicy === 'Always').map((c) => c.name);
  return { all: [...init.map((c) => c.name), ...regular, ...ephemeral], daemons: [...sidecars, ...regular] };
}

/**
 * kubectl's FindOrDefaultContainerByName: the annotated default container when the pod has it,
 * else the first, with a note naming every container (then ephemeral `(ephem)` and init
 * `(init)` ones) when there was a choice.
 */
function defaultContainer(pod: Pod, ctx: CliContext): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  const chosen = names[0];
  if (!chosen) throw new CliError(`pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} does not have any containers`);
  const ephemeral = ((pod.spec?.['ephemeralContainers'] as { name: string }[] | undefined) ?? []).map((c) => `${c.name} (ephem)`);
  const init = (pod.spec?.initContainers ?? []).map((c) => `${c.name} (init)`);
  if (names.length > 1 || ephemeral.length > 0 || init.length > 0) ctx.err(`Defaulted container "${chosen}" out of: ${[...names, ...ephemeral, ...init].join(', ')}\n`);
  return chosen;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Print the logs of a pod, of the pods -l selects, or of every pod of a DaemonSet')
    .argument('[target]', 'POD, pod/POD or TYPE/NAME (e.g. ds/agent); omitted with -l')
    .argument('[container]', 'container name (as -c)')
    .option('-f, --follow', 'stream new lines as they are written')
    .option('-p, --previous', 'logs of the previous (terminated) container instance')
    .option('--tail <lines>', 'only the last N lines (-1: all; default: all, 10 with -l)')
    .option('-c, --container <name>', 'container name (default: the only / annotated default / first)')
    .option('-l, --selector <selector>', 'logs of every pod matching this label selector')
    .option('--since <duration>', 'only lines newer than this, e.g. 10s, 5m, 1h')
    .option('--since-time <time>', 'only lines after this RFC3339 time')
    .option('--limit-bytes <n>', 'at most this many bytes of each log')
    .option('--max-log-requests <n>', 'with -f and -l: at most this many concurrent streams', '5')
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .option('--all-containers', 'all containers of the pod(s)')
    .option('--prefix', 'prefix each line with its source ([pod/NAME/CONTAINER])')
    .addHelpText('after', '\nExamples:\n  everynode logs web-abcde\n  everynode logs web-abcde sidecar --since=10m\n  everynode logs -l app=web --prefix\n  everynode logs -f ds/web\n')
    .action(async (targetArg: string | undefined, containerArg: string | undefined, opts: LogsOpts, cmd: Command) => {
      await runLogs(ctx, cmd, targetArg, containerArg, opts);
    });
}

/**
 * Which pods: one pod; a selector's pods (kubectl's -l: in list order, each pod's default
 * container, --tail=10 unless set, prefixes only with --prefix); or a controller's pods
 * (everynode: all of them, each line prefixed `[NODE pod/NAME/CONTAINER]`). Without -f the
 * streams are printed one after the other; with -f they run together.
 */
async function runLogs(ctx: CliContext, cmd: Command, targetArg: string | undefined, containerArg: string | undefined, opts: LogsOpts): Promise<void> {
  if (targetArg === undefined && !opts.selector) throw new CliError(usageError);
  if (targetArg !== undefined && opts.selector) throw new CliError('only a selector (-l) or a POD name is allowed');
  if (containerArg !== undefined && opts.container !== undefined) throw new CliError('only one of -c or an inline [CONTAINER] arg is allowed');
  const container = containerArg ?? opts.container;
  const maxRequests = Number(opts.maxLogRequests);
  if (!Number.isInteger(maxRequests) || maxRequests <= 0) throw new CliError('--max-log-requests must be greater than 0');
  const bySelector = opts.selector !== undefined;
  const defaultTail = bySelector ? 10 : undefined;
  logQuery('', opts, defaultTail); // validates the options before any request
  const conn = ctx.conn(cmd);
  const ns = conn.namespace;
  let pods: Pod[];
  let controller = false;
  if (targetArg === undefined) {
    pods = (await conn.client.list<Pod>(podsResource, { namespace: ns, labelSelector: opts.selector! })).items;
    if (pods.length === 0) {
      ctx.err(`No resources found in ${ns} namespace.\n`);
      return;
    }
  } else {
    const slash = targetArg.indexOf('/');
    const type = slash > 0 ? targetArg.slice(0, slash) : 'pod';
    const name = slash > 0 ? targetArg.slice(slash + 1) : targetArg;
    const r = await ctx.discovery(cmd).resolve(type);
    // kubectl's words for an object (or its namespace) not found, after the builder's check.
    const read = <T extends KubeObject>(): Promise<T> =>
      getLatest<T>(conn, r, ns, name).catch((e: unknown) => {
        throw isNotFound(e) ? new CliError(`error from server (NotFound): ${(e as Error).message} in namespace ${goQuote(ns)}`) : e;
      });
    if (r.group === '' && r.kind === 'Pod') {
      pods = [await read<Pod>()];
    } else {
      const owner = await read<KubeObject & { spec?: { selector?: LabelSelector } }>();
      const sel = selectorString(owner.spec?.selector);
      if (!sel) throw new CliError(`cannot get logs of ${type}/${name}: it has no spec.selector`);
      pods = (await conn.client.list<Pod>(podsResource, { namespace: ns, labelSelector: sel })).items;
      if (pods.length === 0) throw new CliError(`no pods found for ${type}/${name} (selector ${sel})`);
      controller = true;
    }
  }
  const many = controller || bySelector;
  const streams: { pod: Pod; container: string }[] = [];
  for (const pod of pods) {
    const { all, daemons } = containersOf(pod);
    if (container) {
      // As kubectl, for one pod or many: a pod without that container fails the whole command
      // before any log is printed. Init (sidecars too) and ephemeral containers have logs too.
      if (!all.includes(container)) throw new CliError(`container ${container} is not valid for pod ${pod.metadata.name ?? ''}`);
      streams.push({ pod, container });
    } else if (opts.allContainers) for (const c of all) streams.push({ pod, container: c });
    else if (controller && daemons.length > 1) for (const c of daemons) streams.push({ pod, container: c });
    else streams.push({ pod, container: defaultContainer(pod, ctx) });
  }
  if (bySelector && opts.follow && streams.length > maxRequests) {
    throw new CliError(`you are attempting to follow ${streams.length} log streams, but maximum allowed concurrency is ${maxRequests}, use --max-log-requests to increase the limit`);
  }
  const prefixed = controller || opts.prefix === true || (!bySelector && streams.length > 1);
  const one = async ({ pod, container: c }: { pod: Pod; container: string }): Promise<boolean> => {
    const podName = pod.metadata.name ?? '';
    const node = pod.spec?.nodeName ?? '<unscheduled>';
    const source = controller ? `${node} pod/${podName}/${c}` : `pod/${podName}/${c}`;
    const out = prefixed ? new LinePrefixer(`[${source}] `, (s) => ctx.out(s)) : undefined;
    try {
      const res = await conn.stream({ path: resourcePath(podsResource, ns, podName, 'log') + logQuery(c, opts, defaultTail), accept: '*/*' });
      for await (const chunk of res.body) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (out) out.push(text);
        else ctx.out(text);
      }
      out?.end();
      return true;
    } catch (e) {
      out?.end();
      if (!many) throw e;
      ctx.err(`${formatError(e)} [${source}]\n`);
      return false;
    }
  };
  let ok = true;
  if (opts.follow) ok = (await Promise.all(streams.map(one))).every((x) => x);
  else for (const s of streams) ok = (await one(s)) && ok;
  if (!ok) ctx.exitCode = 1;
}
