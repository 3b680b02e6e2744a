// `top node` and `top pod`: what each node and daemon uses, from the metrics API
// (metrics.k8s.io, served by the API server from the agents), printed as kubectl prints it:
// CPU in millicores rounded up, memory in Mi truncated, node percentages of allocatable
// truncated; nodes without metrics yet as a row of <unknown> after the others; sorted by name,
// or with --sort-by cpu|memory the largest first. No metrics at all: "metrics not available
// yet" (exit 1); `top pod` says "No resources found" on stderr (exit 0) where no pod exists
// and across all namespaces, and names a pod older than two minutes that has none, as kubectl.

import type { Command } from 'commander';
import type { KubeObject, Node } from '../../api/types.js';
import { addQuantity, parseQuantity, scaledValue, type Quantity } from '../../api/validation/quantity.js';
import { nodesResource, podsResource } from '../client.js';
import { CliError } from '../context.js';
import { formatRows } from '../printers.js';
import type { CliContext } from './common.js';
import { goDuration } from '../durations.js';

/** How long kubectl expects a pod's first metrics to take (its metricsCreationDelay). */
const metricsCreationDelayMs = 2 * 60_000;

type Usage = { cpu: string; memory: string };
type NodeMetrics = KubeObject & { usage: Usage };
type PodMetrics = KubeObject & { containers: { name: string; usage: Usage }[] };

const nodeMetrics = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes', namespaced: false, kind: 'NodeMetrics' };
const podMetrics = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', namespaced: true, kind: 'PodMetrics' };

const quantity = (s: string | number | undefined): Quantity | undefined => parseQuantity(s ?? '0');
/** Quantity.MilliValue(): millicores (or milli-bytes), rounded up. */
const milliValue = (s: string | number | undefined): bigint => scaledValue(quantity(s), 3);
/** Quantity.Value(): bytes, rounded up. */
const value = (s: string | number | undefined): bigint => scaledValue(quantity(s), 0);

// As kubectl's top printer: CPU `<MilliValue>m`, memory `<Value / 2^20>Mi` (truncated), and a
// node's percentage the truncated MilliValue ratio to its allocatable.
const milli = (m: bigint): string => `${m}m`;
const mebi = (bytes: bigint): string => `${bytes / 2n ** 20n}Mi`;
const percent = (used: bigint, total: bigint): string => (total > 0n ? `${Math.trunc((Number(used) / Number(total)) * 100)}%` : '<unknown>');

/** `top --sort-by`: cpu or memory, the largest first (kubectl's order); undefined: by name. */
function sortField(v: string | undefined): 'cpu' | 'memory' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'cpu' || v === 'memory') return v;
  throw new CliError('--sort-by accepts only cpu or memory');
}

export function registerTop(program: Command, ctx: CliContext): void {
  const top = program.command('top').description('Show CPU and memory of nodes or pods (the metrics API)');
  top
    .command('node')
    .alias('nodes')
    .alias('no')
    .description('CPU and memory of nodes (a node without metrics yet shows <unknown>)')
    .argument('[name]', 'one node')
    .option('-l, --selector <selector>', 'label selector')
    .option('--sort-by <field>', 'cpu or memory: the largest first (default: by name)')
    .option('--no-headers', 'print the table without its header line')
    .action(async (name: string | undefined, opts: { selector?: string; sortBy?: string; headers?: boolean }, cmd: Command) => {
      const by = sortField(opts.sortBy);
      const conn = ctx.conn(cmd);
      const selector = opts.selector ? { labelSelector: opts.selector } : {};
      const metrics = name ? [await conn.client.get<NodeMetrics>(nodeMetrics, '', name)] : (await conn.client.list<NodeMetrics>(nodeMetrics, selector)).items;
      if (metrics.length === 0) throw new CliError('metrics not available yet');
      const nodes = name ? [await conn.client.get<Node>(nodesResource, '', name)] : (await conn.client.list<Node>(nodesResource, selector)).items;
      const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
      const usage = (m: NodeMetrics) => ({ cpu: milliValue(m.usage.cpu), memory: value(m.usage.memory) });
      const sorted = metrics
        .map((m) => ({ m, u: usage(m) }))
        .sort((a, b) => (by ? Number(b.u[by] - a.u[by]) || 0 : (a.m.metadata.name ?? '') < (b.m.metadata.name ?? '') ? -1 : 1));
      const rows = opts.headers === false ? [] : [['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']];
      for (const { m, u } of sorted) {
        const alloc = byName.get(m.metadata.name ?? '')?.status?.allocatable ?? {};
        rows.push([m.metadata.name ?? '', milli(u.cpu), percent(u.cpu, milliValue(alloc.cpu)), mebi(u.memory), percent(milliValue(m.usage.memory), milliValue(alloc.memory))]);
      }
      // As kubectl: the nodes the metrics API has nothing for yet, after the others.
      const measured = new Set(metrics.map((m) => m.metadata.name ?? ''));
      for (const n of nodes) if (!measured.has(n.metadata.name ?? '')) rows.push([n.metadata.name ?? '', '<unknown>', '<unknown>', '<unknown>', '<unknown>']);
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
    .option('--sort-by <field>', 'cpu or memory: the largest first (default: by namespace and name)')
    .option('--sum', 'print the sum of the CPU and memory under the table')
    .option('--no-headers', 'print the table without its header line')
    .action(async (name: string | undefined, opts: { allNamespaces?: boolean; selector?: string; containers?: boolean; sortBy?: string; sum?: boolean; headers?: boolean }, cmd: Command) => {
      const by = sortField(opts.sortBy);
      const conn = ctx.conn(cmd);
      const all = opts.allNamespaces === true;
      const metrics = name
        ? [await conn.client.get<PodMetrics>(podMetrics, conn.namespace, name)]
        : (await conn.client.list<PodMetrics>(podMetrics, { ...(all ? {} : { namespace: conn.namespace }), ...(opts.selector ? { labelSelector: opts.selector } : {}) })).items;
      if (metrics.length === 0) {
        // kubectl (verifyEmptyMetrics): across all namespaces, "No resources found"; in one, no
        // pods is that message too (exit 0), a pod older than two minutes is named as the one
        // whose metrics are missing, and younger pods are "not available yet".
        if (!all) {
          const pods = await conn.client.list(podsResource, { namespace: conn.namespace, ...(opts.selector ? { labelSelector: opts.selector } : {}) });
          const now = Date.now();
          for (const p of pods.items) {
            const age = now - Date.parse(p.metadata.creationTimestamp ?? '');
            if (age > metricsCreationDelayMs) throw new CliError(`Metrics not available for pod ${p.metadata.namespace ?? conn.namespace}/${p.metadata.name ?? ''}, age: ${goDuration(age)}`);
          }
          if (pods.items.length > 0) throw new CliError('metrics not available yet');
        }
        ctx.err(all ? 'No resources found\n' : `No resources found in ${conn.namespace} namespace.\n`);
        return;
      }
      const head = opts.containers ? ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'] : ['NAME', 'CPU(cores)', 'MEMORY(bytes)'];
      const rows = opts.headers === false ? [] : [all ? ['NAMESPACE', ...head] : head];
      const total = (m: PodMetrics) => ({
        cpu: m.containers.reduce((s, c) => s + milliValue(c.usage.cpu), 0n),
        memory: m.containers.reduce((s, c) => s + value(c.usage.memory), 0n),
      });
      const key = (m: PodMetrics) => `${m.metadata.namespace ?? ''}/${m.metadata.name ?? ''}`;
      const sorted = metrics.map((m) => ({ m, u: total(m) })).sort((a, b) => (by ? Number(b.u[by] - a.u[by]) || 0 : key(a.m) < key(b.m) ? -1 : 1));
      for (const { m, u } of sorted) {
        const ns = all ? [m.metadata.namespace ?? ''] : [];
        if (opts.containers) {
          for (const c of m.containers) rows.push([...ns, m.metadata.name ?? '', c.name, milli(milliValue(c.usage.cpu)), mebi(value(c.usage.memory))]);
        } else {
          rows.push([...ns, m.metadata.name ?? '', milli(u.cpu), mebi(u.memory)]);
        }
      }
      if (opts.sum) {
        // kubectl's printPodResourcesSum: a rule under the two usage columns, then the totals (of
        // the usages summed first, then rounded). It counts the columns only with the header on.
        let width = 3;
        if (opts.headers !== false) width += (all ? 1 : 0) + (opts.containers ? 1 : 0);
        const sum = (res: 'cpu' | 'memory'): Quantity | undefined =>
          metrics.flatMap((m) => m.containers.map((c) => quantity(c.usage[res]))).reduce<Quantity | undefined>((a, q) => (q ? addQuantity(a, q) : a), undefined);
        rows.push([...Array<string>(Math.max(0, width - 2)).fill(''), '________', '________']);
        rows.push([...Array<string>(Math.max(0, width - 3)).fill(''), '', milli(scaledValue(sum('cpu'), 3)), mebi(scaledValue(sum('memory'), 0))]);
      }
      ctx.out(formatRows(rows));
    });
}
