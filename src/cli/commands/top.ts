// `top node` and `top pod`: what each node and daemon uses, from the metrics API
// (metrics.k8s.io, served by the API server from the agents), printed as kubectl prints it:
// CPU in millicores, memory in Mi, node percentages of allocatable. No metrics: "metrics not
// available yet" (exit 1), except `top pod` where no pod exists at all, which says "No
// resources found" on stderr and exits 0, as kubectl does.

import type { Command } from 'commander';
import type { KubeObject, Node } from '../../api/types.js';
import { parseQuantity, type Quantity } from '../../api/validation/quantity.js';
import { nodesResource, podsResource } from '../../client/index.js';
import { CliError } from '../context.js';
import { formatRows } from '../printers.js';
import type { CliContext } from './common.js';

type Usage = { cpu: string; memory: string };
type NodeMetrics = KubeObject & { usage: Usage };
type PodMetrics = KubeObject & { containers: { name: string; usage: Usage }[] };

const nodeMetrics = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes', namespaced: false, kind: 'NodeMetrics' };
const podMetrics = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', namespaced: true, kind: 'PodMetrics' };

/** A quantity as a number (cores or bytes); 0 when unreadable. */
function amount(q: Quantity | undefined): number {
  return q ? Number(q.mantissa) * 10 ** q.exp10 : 0;
}

const cores = (s: string | number | undefined) => amount(parseQuantity(s ?? '0'));
const milli = (c: number) => `${Math.round(c * 1000)}m`;
const mebi = (b: number) => `${Math.round(b / 2 ** 20)}Mi`;

export function registerTop(program: Command, ctx: CliContext): void {
  const top = program.command('top').description('Show CPU and memory of nodes or pods (the metrics API)');
  top
    .command('node')
    .alias('nodes')
    .alias('no')
    .description('CPU and memory of nodes')
    .argument('[name]', 'one node')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (name: string | undefined, opts: { selector?: string }, cmd: Command) => {
      const conn = ctx.conn(cmd);
      const metrics = name ? [await conn.client.get<NodeMetrics>(nodeMetrics, '', name)] : (await conn.client.list<NodeMetrics>(nodeMetrics, { ...(opts.selector ? { labelSelector: opts.selector } : {}) })).items;
      if (metrics.length === 0) throw new CliError('metrics not available yet');
      const nodes = new Map((await conn.client.list<Node>(nodesResource, {})).items.map((n) => [n.metadata.name ?? '', n]));
      const rows = [['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']];
      for (const m of metrics.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
        const alloc = nodes.get(m.metadata.name ?? '')?.status?.allocatable ?? {};
        const cpu = cores(m.usage.cpu);
        const mem = cores(m.usage.memory);
        const pct = (used: number, total: number) => (total > 0 ? `${Math.round((used / total) * 100)}%` : '<unknown>');
        rows.push([m.metadata.name ?? '', milli(cpu), pct(cpu, cores(alloc.cpu)), mebi(mem), pct(mem, cores(alloc.memory))]);
      }
      ctx.out(formatRows(rows));
    });
  top
    .command('pod')
    .alias('pods')
    .alias('po')
    .description('CPU and memory of pods')
    .argument('[name]', 'one pod')
    .option('-A, --all-namespaces', 'across all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .option('--containers', 'one line per container')
    .action(async (name: string | undefined, opts: { allNamespaces?: boolean; selector?: string; containers?: boolean }, cmd: Command) => {
      const conn = ctx.conn(cmd);
      const all = opts.allNamespaces === true;
      const metrics = name
        ? [await conn.client.get<PodMetrics>(podMetrics, conn.namespace, name)]
        : (await conn.client.list<PodMetrics>(podMetrics, { ...(all ? {} : { namespace: conn.namespace }), ...(opts.selector ? { labelSelector: opts.selector } : {}) })).items;
      if (metrics.length === 0) {
        // kubectl: pods without metrics yet are an error; no pods at all is a message (exit 0).
        const pods = await conn.client.list(podsResource, { ...(all ? {} : { namespace: conn.namespace }), ...(opts.selector ? { labelSelector: opts.selector } : {}), limit: 1 });
        if (pods.items.length > 0) throw new CliError('metrics not available yet');
        ctx.err(all ? 'No resources found\n' : `No resources found in ${conn.namespace} namespace.\n`);
        return;
      }
      const head = opts.containers ? ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'] : ['NAME', 'CPU(cores)', 'MEMORY(bytes)'];
      const rows = [all ? ['NAMESPACE', ...head] : head];
      for (const m of metrics.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))) {
        const ns = all ? [m.metadata.namespace ?? ''] : [];
        if (opts.containers) {
          for (const c of m.containers) rows.push([...ns, m.metadata.name ?? '', c.name, milli(cores(c.usage.cpu)), mebi(cores(c.usage.memory))]);
        } else {
          const cpu = m.containers.reduce((s, c) => s + cores(c.usage.cpu), 0);
          const mem = m.containers.reduce((s, c) => s + cores(c.usage.memory), 0);
          rows.push([...ns, m.metadata.name ?? '', milli(cpu), mebi(mem)]);
        }
      }
      ctx.out(formatRows(rows));
    });
}
