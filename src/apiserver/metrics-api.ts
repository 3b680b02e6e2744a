// The resource metrics API (`kubectl top node|pod`): metrics.k8s.io/v1beta1 NodeMetrics and
// PodMetrics, read from the agents as metrics-server reads kubelets.
//
//   GET /apis/metrics.k8s.io/v1beta1/nodes[/NAME]
//   GET /apis/metrics.k8s.io/v1beta1/pods                       (all namespaces)
//   GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods[/NAME]
//
// Contract:
// - Answers are built per request from each agent's `GET /stats/summary` (agent stats.ts),
//   reached as pod logs are (pod-log.ts: node InternalIP + agent port, the kubelet-client
//   certificate). Only the agents that matter are asked: a pod query asks the nodes of the
//   selected pods, a node query the selected nodes; at most `concurrency` at a time, each
//   within `timeoutMs`, none started after `totalTimeoutMs`, and only Ready nodes; an answer
//   counts only for the node it names and the pods bound to that node (a node cannot speak for
//   another's pods). An agent that does not answer is left out, as are pods and nodes it
//   has no usage window for yet (metrics-server's behaviour): a list is then shorter and a
//   GET of one is a 404 `podmetrics.metrics.k8s.io "x" not found`.
// - `labelSelector` and `fieldSelector` select nodes/pods as they select the objects
//   themselves (a list narrowed to one name is authorized for that name, so it must return only
//   that one); other list parameters are ignored. Read-only: any other verb is 405.
// - Usage is written as upstream writes Quantities: CPU from nanocores (`12345n`), memory from
//   KiB (`1234Ki`), each in its canonical form (`1m`, `1Mi`); `window` is a duration string
//   (`5s`). Asked for a Table (`as=Table`), the answer is metrics-server's (renderMetrics).

import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest, methodNotAllowed } from '../api/errors.js';
import { nodeIsReady } from '../api/taints.js';
import type { KindDef, KindRegistry } from '../api/kinds.js';
import type { KubeObject, Node, Pod } from '../api/types.js';
import type { AgentStats } from '../api/agent-api.js';
import { agentEndpoint, agentGet } from './pod-log.js';
import { parseListQuery } from './query.js';
import type { RestRegistry } from './registry.js';
import { rfc3339 } from '../util/index.js';
import { addQuantity, formatQuantity, parseQuantity, type Quantity } from '../api/validation/quantity.js';
import { buildTable, negotiateRendering, parseIncludeObject } from './tables/index.js';
import { col } from './tables/printers/columns.js';
import type { TablePrinter } from './tables/types.js';

const GROUP = 'metrics.k8s.io';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const GV = `${GROUP}/v1beta1`;

/** Discovery entries of metrics.k8s.io/v1beta1. */
export const metricsDiscovery = {
  group: GROUP,
  version: 'v1beta1',
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

export interface MetricsRoute {
  resource: 'nodes' | 'pods';
  namespace?: string;
  name?: string;
}

/** The metrics request a path names, or undefined. */
export function metricsRouteOf(path: string): MetricsRoute | undefined {
  const m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(nodes|pods)(?:\/([^/]+))?\/?$/.exec(path);
  if (!m) return undefined;
  const resource = m[2] as 'nodes' | 'pods';
  // Nodes are cluster-scoped; a pod is named only inside its namespace.
  if (resource === 'nodes' && m[1] !== undefined) return undefined;
  if (resource === 'pods' && m[3] !== undefined && m[1] === undefined) return undefined;
  return { resource, ...(m[1] !== undefined ? { namespace: decodeSegment(m[1]) } : {}), ...(m[3] !== undefined ? { name: decodeSegment(m[3]) } : {}) };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`malformed path segment ${JSON.stringify(s)}`);
  }
}

export interface MetricsDeps {
  registry: RestRegistry;
  kinds: KindRegistry;
  kubeletClient?: { certPem: string; keyPem: string; caPem: string };
  /** Per-agent answer deadline (default 5 s). */
  timeoutMs?: number;
  /** Agents asked at once (default 32). */
  concurrency?: number;
  /** Deadline of the whole request: agents not asked by then are left out (default 10 s). */
  totalTimeoutMs?: number;
}

/** An agent's answer larger than this is refused (a node cannot make the server buffer without end). */
const maxStatsBytes = 8 * 1024 * 1024;

function kindOf(kinds: KindRegistry, plural: 'nodes' | 'pods'): KindDef {
  const k = kinds.byResource('', 'v1', plural);
  if (!k) throw new Error(`metrics API: core ${plural} are not served`);
  return k;
}

/** A Quantity in its canonical form, as upstream's JSON writes one (`1000000n` is `1m`). */
function canonical(text: string): string {
  const q = parseQuantity(text);
  return q ? formatQuantity(q) : text;
}

function cpuQuantity(nanoCores: number): string {
  return canonical(`${Math.max(0, Math.round(nanoCores))}n`);
}

function memoryQuantity(bytes: number): string {
  return canonical(`${Math.max(0, Math.round(bytes / 1024))}Ki`);
}

interface Usage {
  cpu: string;
  memory: string;
}

/**
 * metrics-server's Table of NodeMetrics or PodMetrics (what `kubectl get nodes.metrics.k8s.io`
 * prints): Name, then each usage resource in name order (cpu, memory), then Window; a pod's
 * usage is the sum of its containers'. No columns when there are no items, as upstream.
 */
const metricsPrinter: TablePrinter<{ metadata: { name?: string }; window: string; usage?: Usage; containers?: { usage: Usage }[] }> = {
  columns: [col('Name', 'string', 'Name of the resource', 0, 'name'), col('cpu', 'string', '', 0, 'quantity'), col('memory', 'string', '', 0, 'quantity'), col('Window', 'string', '', 0, 'duration')],
  cells: (m) => {
    const usage = m.usage ?? sumUsage((m.containers ?? []).map((c) => c.usage));
    return [m.metadata.name ?? '', usage.cpu, usage.memory, m.window];
  },
};

function sumUsage(usages: Usage[]): Usage {
  const sum = (key: keyof Usage): string => {
    let total: Quantity | undefined;
    for (const u of usages) {
      const q = parseQuantity(u[key]);
      if (q) total = addQuantity(total, q);
    }
    return total ? formatQuantity(total) : '0';
  };
  return { cpu: sum('cpu'), memory: sum('memory') };
}

/**
 * The answer of serveMetrics as the Accept header asks for it: the object or list as it is, or
 * its Table (as=Table, with includeObject).
 */
export function renderMetrics(json: string, accept: string | undefined, includeObject: string | null): string {
  const obj = JSON.parse(json) as { kind: string; items?: KubeObject[] };
  const list = obj.items !== undefined;
  const r = negotiateRendering(accept, list);
  if (r.as !== 'Table') return json;
  const items = list ? obj.items! : [obj as unknown as KubeObject];
  const table = buildTable('', items, { printer: metricsPrinter, includeObject: parseIncludeObject(includeObject), apiVersion: r.apiVersion });
  if (items.length === 0) table.columnDefinitions = [];
  return JSON.stringify(table);
}

function windowOf(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** One agent's stats, or undefined when it has no endpoint, fails, or is too slow. */
function fetchStats(node: Node, deps: MetricsDeps): Promise<AgentStats | undefined> {
  const name = node.metadata.name ?? '';
  const ep = agentEndpoint(node);
  if (!ep) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: AgentStats | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxStatsBytes) {
          res.destroy();
          finish(undefined);
        } else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return finish(undefined);
        try {
          finish(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AgentStats);
        } catch {
          finish(undefined);
        }
      });
      res.on('error', () => finish(undefined));
    };
    let r: ReturnType<typeof agentGet> | undefined;
    const timer = setTimeout(() => {
      r?.destroy();
      finish(undefined);
    }, deps.timeoutMs ?? 5_000);
    try {
      r = agentGet(name, ep, '/stats/summary', deps.kubeletClient, onResponse);
      r.on('error', () => finish(undefined));
    } catch {
      // An address the HTTP client refuses outright (the node reports it): no answer.
      finish(undefined);
    }
  });
}

/**
 * Stats of the Ready nodes of `nodes` by node name, at most `concurrency` requests at a time,
 * none started after the total deadline. Only an answer naming the node asked is kept.
 */
async function statsOf(nodes: Node[], deps: MetricsDeps): Promise<Map<string, AgentStats>> {
  const out = new Map<string, AgentStats>();
  const ready = nodes.filter(nodeIsReady);
  const deadline = Date.now() + (deps.totalTimeoutMs ?? 10_000);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ready.length && Date.now() < deadline) {
      const node = ready[next++]!;
      const name = node.metadata.name ?? '';
      const s = await fetchStats(node, deps);
      if (s && s.nodeName === name && Array.isArray(s.pods)) out.set(name, s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 32, ready.length) }, worker));
  return out;
}

async function listObjects<T>(deps: MetricsDeps, plural: 'nodes' | 'pods', namespace: string | undefined, labelSelector: string, fieldSelector = ''): Promise<T[]> {
  const page = await deps.registry.list(kindOf(deps.kinds, plural), namespace, parseListQuery(new URLSearchParams({ labelSelector, fieldSelector })));
  return page.items.map((j) => JSON.parse(j) as T);
}

/** Serves one metrics request; returns the JSON answer. */
export async function serveMetrics(route: MetricsRoute, method: string, query: URLSearchParams, deps: MetricsDeps): Promise<string> {
  if (method !== 'GET') throw methodNotAllowed();
  const labelSelector = query.get('labelSelector') ?? '';
  const fieldSelector = query.get('fieldSelector') ?? '';
  // metav1.Time: whole seconds, as metrics-server answers.
  const now = rfc3339(Date.now());
  if (route.resource === 'nodes') {
    const nodes = await listObjects<Node>(deps, 'nodes', undefined, route.name ? '' : labelSelector, route.name ? `metadata.name=${route.name}` : fieldSelector);
    const stats = await statsOf(nodes, deps);
    const items = nodes.flatMap((n) => {
      const s = stats.get(n.metadata.name ?? '');
      if (!s?.node) return [];
      return [
        {
          metadata: { name: n.metadata.name, creationTimestamp: now, ...(n.metadata.labels ? { labels: n.metadata.labels } : {}) },
          timestamp: rfc3339(s.timestamp),
          window: windowOf(s.windowMs),
          usage: { cpu: cpuQuantity(s.node.cpuNanoCores), memory: memoryQuantity(s.node.memoryBytes) },
        },
      ];
    });
    if (route.name) {
      if (items.length === 0) throw new ApiError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${route.name}" not found`, { name: route.name, group: GROUP, kind: 'nodemetrics' });
      return JSON.stringify({ kind: 'NodeMetrics', apiVersion: GV, ...items[0] });
    }
    return JSON.stringify({ kind: 'NodeMetricsList', apiVersion: GV, metadata: {}, items });
  }

  const pods = await listObjects<Pod>(deps, 'pods', route.namespace, route.name ? '' : labelSelector, route.name ? `metadata.name=${route.name}` : fieldSelector);
  const nodeNames = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n));
  const nodes = nodeNames.size === 0 ? [] : (await listObjects<Node>(deps, 'nodes', undefined, '')).filter((n) => nodeNames.has(n.metadata.name ?? ''));
  const stats = await statsOf(nodes, deps);
  const items = pods.flatMap((pod) => {
    // Only the agent of the pod's own node speaks for it. A mirror pod's containers carry the
    // static pod's UID, which the mirror keeps in its config.mirror annotation.
    const s = stats.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata.annotations?.[MIRROR_ANNOTATION] ?? pod.metadata.uid ?? '';
    const p = s?.pods.find((x) => x.uid === uid);
    const hit = s && p ? { s, p } : undefined;
    if (!hit) return [];
    return [
      {
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: now, ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}) },
        timestamp: rfc3339(hit.s.timestamp),
        window: windowOf(hit.s.windowMs),
        containers: hit.p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })),
      },
    ];
  });
  if (route.name) {
    if (items.length === 0) throw new ApiError(404, 'NotFound', `podmetrics.metrics.k8s.io "${route.name}" not found`, { name: route.name, group: GROUP, kind: 'podmetrics' });
    return JSON.stringify({ kind: 'PodMetrics', apiVersion: GV, ...items[0] });
  }
  return JSON.stringify({ kind: 'PodMetricsList', apiVersion: GV, metadata: {}, items });
}
