// `everynode logs POD | TYPE/NAME`: container logs through `pods/<name>/log`.
// For a controller (ds/NAME, or anything with spec.selector) every matching pod's containers
// are streamed concurrently, each line prefixed `[NODE pod/NAME/CONTAINER]`; a failing pod is
// reported on stderr and the others continue (exit code 1 at the end).

import type { Command } from 'commander';
import type { KubeObject, LabelSelector, Pod } from '../../api/types.js';
import { podsResource, resourcePath } from '../../client/index.js';
import { CliError, formatError } from '../context.js';
import { type CliContext, selectorString } from './common.js';

interface LogsOpts {
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  container?: string;
  timestamps?: boolean;
  allContainers?: boolean;
  prefix?: boolean;
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

function logQuery(container: string, o: LogsOpts): string {
  const p: string[] = [`container=${encodeURIComponent(container)}`];
  if (o.follow) p.push('follow=true');
  if (o.previous) p.push('previous=true');
  if (o.timestamps) p.push('timestamps=true');
  if (o.tail !== undefined && o.tail !== '-1') {
    if (!/^\d+$/.test(o.tail)) throw new CliError(`invalid --tail value ${JSON.stringify(o.tail)}: a number of lines`);
    p.push(`tailLines=${o.tail}`);
  }
  return '?' + p.join('&');
}

function defaultContainer(pod: Pod, ctx: CliContext): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  const chosen = annotated && names.includes(annotated) ? annotated : names[0];
  if (!chosen) throw new CliError(`pod ${pod.metadata.name ?? ''} has no containers`);
  if (names.length > 1 && !annotated) ctx.err(`Defaulted container "${chosen}" out of: ${names.join(', ')}\n`);
  return chosen;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Print container logs of a pod, or of every pod of a DaemonSet (ds/NAME)')
    .argument('<target>', 'POD, pod/POD or TYPE/NAME (e.g. ds/agent)')
    .option('-f, --follow', 'stream new lines as they are written')
    .option('-p, --previous', 'logs of the previous (terminated) container instance')
    .option('--tail <lines>', 'only the last N lines (-1: all)')
    .option('-c, --container <name>', 'container name (default: the only / annotated default / first)')
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .option('--all-containers', 'all containers of the pod(s)')
    .option('--prefix', 'prefix each line with its source, also for a single pod')
    .action(async (targetArg: string, opts: LogsOpts, cmd: Command) => {
      const conn = ctx.conn(cmd);
      const ns = conn.namespace;
      let pods: Pod[];
      let many = false;
      const slash = targetArg.indexOf('/');
      const type = slash > 0 ? targetArg.slice(0, slash) : 'pod';
      const name = slash > 0 ? targetArg.slice(slash + 1) : targetArg;
      const r = await ctx.discovery(cmd).resolve(type);
      if (r.group === '' && r.kind === 'Pod') {
        pods = [await conn.client.get<Pod>(podsResource, ns, name)];
      } else {
        const owner = await conn.client.get<KubeObject & { spec?: { selector?: LabelSelector } }>(r, r.namespaced ? ns : '', name);
        const sel = selectorString(owner.spec?.selector);
        if (!sel) throw new CliError(`cannot get logs of ${type}/${name}: it has no spec.selector`);
        pods = (await conn.client.list<Pod>(podsResource, { namespace: ns, labelSelector: sel })).items;
        if (pods.length === 0) throw new CliError(`no pods found for ${type}/${name} (selector ${sel})`);
        many = true;
      }
      const streams: { pod: Pod; container: string }[] = [];
      for (const pod of pods) {
        const names = (pod.spec?.containers ?? []).map((c) => c.name);
        if (opts.container) {
          if (!names.includes(opts.container) && !many) throw new CliError(`container ${opts.container} is not valid for pod ${pod.metadata.name ?? ''}`);
          if (names.includes(opts.container)) streams.push({ pod, container: opts.container });
        } else if (opts.allContainers || (many && names.length > 1)) for (const c of names) streams.push({ pod, container: c });
        else streams.push({ pod, container: defaultContainer(pod, ctx) });
      }
      const prefixed = many || opts.prefix === true || streams.length > 1;
      const results = await Promise.all(
        streams.map(async ({ pod, container }) => {
          const podName = pod.metadata.name ?? '';
          const node = pod.spec?.nodeName ?? '<unscheduled>';
          const out = prefixed ? new LinePrefixer(many ? `[${node} pod/${podName}/${container}] ` : `[pod/${podName}/${container}] `, (s) => ctx.out(s)) : undefined;
          try {
            const res = await conn.stream({ path: resourcePath(podsResource, ns, podName, 'log') + logQuery(container, opts), accept: '*/*' });
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
            ctx.err(`${formatError(e)} [${node} pod/${podName}/${container}]\n`);
            return false;
          }
        }),
      );
      if (results.some((ok) => !ok)) ctx.exitCode = 1;
    });
}
