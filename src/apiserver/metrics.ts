// The API server's own metrics, `GET /metrics` in the Prometheus text format (0.0.4), under the
// names upstream's kube-apiserver uses where one exists, so its dashboards and alerts apply.
//
//   apiserver_request_total{verb,group,version,resource,subresource,scope,component,code}
//   apiserver_request_duration_seconds{verb,group,version,resource,subresource,scope,component}
//       (histogram; requests that stream — watches, followed logs — are not in it)
//   apiserver_longrunning_requests{verb,group,version,resource,subresource,scope,component}
//   apiserver_current_inflight_requests{request_kind} (inflight.ts; requests in flight now)
//   everynode_store_commits_total, everynode_store_writes_total (SQLite group commits)
//   apiserver_storage_objects, apiserver_storage_size_bytes, everynode_store_compactions_total,
//   everynode_store_compacted_revision, everynode_events_expired_total (storage-metrics.ts)
//   process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds,
//   nodejs_heap_size_used_bytes, nodejs_heap_size_total_bytes
//
// Contract:
// - Every request the handler serves counts, the in-process controllers' included, once, when
//   its response ends or its connection closes.
// - verb is upstream's: GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION
//   (the HTTP method for non-resource paths); scope is cluster, namespace or resource.
// - Labels name only served resources: a path outside them is counted with empty
//   group/version/resource (cardinality stays bounded whatever clients send).
// - Recording costs a path parse and a map lookup; nothing here allocates per request beyond
//   the label key.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KindRegistry } from '../api/kinds.js';
import { isWatchRequest } from './query.js';
import { parsePath } from './request-info.js';
import { everynodeVersion, queryBool } from '../util/index.js';
import { versionInfo } from './handler.js';
import type { StorageStats } from './storage-metrics.js';

/** The HTTP methods that are verb labels as they are; the rest count as `other`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT']);

/** Upstream's request-duration buckets (seconds). */
const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** Subresources served outside the kinds' own list. */
const STREAM_SUBRESOURCES = new Set(['exec', 'proxy']);

const LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;

interface Histogram {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{a="x",b="y"}` for the label values in LABELS order (plus `extra`). */
function labelText(values: readonly string[], extra = ''): string {
  const parts = LABELS.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return `{${parts.join(',')}}`;
}

/** A followed log (`follow` true as the agent reads it: queryBool) streams. */
function followRequested(url: string): boolean {
  const qi = url.indexOf('?');
  return qi >= 0 && queryBool(new URLSearchParams(url.slice(qi + 1)).get('follow')) === true;
}

export interface StoreCounters {
  commits: number;
  writes: number;
}

export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly longRunning = new Map<string, number>();

  constructor(
    private readonly kinds: KindRegistry,
    private readonly storeCounters: () => StoreCounters | undefined = () => undefined,
    /** Requests in flight by kind (inflight.ts), for apiserver_current_inflight_requests. */
    private readonly inflight: () => Readonly<Record<'readOnly' | 'mutating', number>> | undefined = () => undefined,
    /** What the store holds and what its upkeep did (storage-metrics.ts). */
    private readonly storage?: StorageStats,
  ) {}

  /** Counts one request: call when it arrives; the figures are taken when it ends. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    const labels = this.labelsOf(req);
    const key = labels.join('\u0000');
    // Long-running as upstream counts them: watches, followed logs, and proxied requests.
    const streaming = labels[0] === 'WATCH' || labels[4] === 'proxy' || (labels[4] === 'log' && followRequested(req.url ?? ''));
    if (streaming) this.longRunning.set(key, (this.longRunning.get(key) ?? 0) + 1);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (streaming) this.longRunning.set(key, (this.longRunning.get(key) ?? 1) - 1);
      const code = res.statusCode || 0;
      const rkey = `${key}\u0000${code}`;
      this.requests.set(rkey, (this.requests.get(rkey) ?? 0) + 1);
      if (streaming) return;
      const seconds = (performance.now() - t0) / 1000;
      let h = this.durations.get(key);
      if (!h) this.durations.set(key, (h = { labels: key, counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 }));
      for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
      h.sum += seconds;
      h.count++;
    };
    res.once('finish', finish);
    res.once('close', finish);
  }

  /** verb, group, version, resource, subresource, scope, component. */
  private labelsOf(req: IncomingMessage): string[] {
    // Any other method is `other`, as upstream's cleanVerb: a client (even one refused) must not
    // be able to add series without bound.
    const asked = (req.method ?? 'GET').toUpperCase();
    const method = KNOWN_METHODS.has(asked) ? asked : 'other';
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    let route;
    try {
      route = parsePath(path);
    } catch {
      route = undefined;
    }
    const kind = route?.type === 'resource' ? this.kinds.byResource(route.group, route.version, route.plural) : undefined;
    if (route?.type !== 'resource' || !kind) return [method, '', '', '', '', '', 'apiserver'];
    // Only subresources that exist are labels (a path can name anything).
    const sub = route.subresource ?? '';
    const subresource = sub === '' || (kind.subresources as readonly string[]).includes(sub) || STREAM_SUBRESOURCES.has(sub) ? sub : '';
    let verb: string;
    switch (method) {
      case 'GET':
      case 'HEAD': {
        const watch = isWatchRequest(route, new URLSearchParams(qi >= 0 ? url.slice(qi + 1) : ''), method);
        verb = watch ? 'WATCH' : route.name ? 'GET' : 'LIST';
        break;
      }
      case 'PATCH':
        verb = (req.headers['content-type'] ?? '').startsWith('application/apply-patch') ? 'APPLY' : 'PATCH';
        break;
      case 'DELETE':
        verb = route.name ? 'DELETE' : 'DELETECOLLECTION';
        break;
      default:
        verb = method;
    }
    const scope = route.name ? 'resource' : route.namespace !== undefined ? 'namespace' : 'cluster';
    return [verb, route.group, route.version, route.plural, subresource, scope, 'apiserver'];
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, group, version, resource, scope, component, and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const [k, n] of [...this.requests].sort(([a], [b]) => a.localeCompare(b))) {
      const parts = k.split('\u0000');
      const code = parts.pop()!;
      out.push(`apiserver_request_total${labelText(parts, `code="${code}"`)} ${n}`);
    }
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const h of [...this.durations.values()].sort((a, b) => a.labels.localeCompare(b.labels))) {
      const parts = h.labels.split('\u0000');
      BUCKETS.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket${labelText(parts, `le="${b}"`)} ${h.counts[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket${labelText(parts, 'le="+Inf"')} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum${labelText(parts)} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count${labelText(parts)} ${h.count}`);
    }
    out.push('# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.');
    out.push('# TYPE apiserver_longrunning_requests gauge');
    for (const [k, n] of [...this.longRunning].sort(([a], [b]) => a.localeCompare(b))) out.push(`apiserver_longrunning_requests${labelText(k.split('\u0000'))} ${n}`);
    const inflight = this.inflight();
    if (inflight) {
      out.push('# HELP apiserver_current_inflight_requests Requests in flight now on the network listener, read-only and mutating apart (watches and other long-running requests are not counted).', '# TYPE apiserver_current_inflight_requests gauge');
      out.push(`apiserver_current_inflight_requests{request_kind="mutating"} ${inflight.mutating}`, `apiserver_current_inflight_requests{request_kind="readOnly"} ${inflight.readOnly}`);
    }
    const st = this.storeCounters();
    if (st) {
      out.push('# HELP everynode_store_commits_total Durable commits of the SQLite store (one per group of writes).', '# TYPE everynode_store_commits_total counter', `everynode_store_commits_total ${st.commits}`);
      out.push('# HELP everynode_store_writes_total Writes committed by the SQLite store.', '# TYPE everynode_store_writes_total counter', `everynode_store_writes_total ${st.writes}`);
    }
    if (this.storage) {
      const sg = this.storage;
      out.push('# HELP apiserver_storage_objects Number of stored objects at the time of last check split by kind.', '# TYPE apiserver_storage_objects gauge');
      for (const [resource, n] of [...sg.objects].sort(([a], [b]) => a.localeCompare(b))) out.push(`apiserver_storage_objects{resource="${resource}"} ${n}`);
      const size = sg.sizeBytes();
      if (size !== undefined) out.push('# HELP apiserver_storage_size_bytes Size of the storage database file physically allocated in bytes.', '# TYPE apiserver_storage_size_bytes gauge', `apiserver_storage_size_bytes{storage_cluster_id="sqlite"} ${size}`);
      out.push('# HELP everynode_store_compactions_total Compactions of the store history made by this server.', '# TYPE everynode_store_compactions_total counter', `everynode_store_compactions_total ${sg.compactions}`);
      out.push('# HELP everynode_store_compacted_revision The revision this server last compacted the store history to (0: none yet).', '# TYPE everynode_store_compacted_revision gauge', `everynode_store_compacted_revision ${sg.compactedRevision}`);
      out.push('# HELP everynode_events_expired_total Events deleted by this server once older than the event TTL.', '# TYPE everynode_events_expired_total counter', `everynode_events_expired_total ${sg.eventsExpired}`);
    }
    out.push('# HELP everynode_build_info The everynode version of this server, and the Kubernetes API version it serves.', '# TYPE everynode_build_info gauge', `everynode_build_info{version="${everynodeVersion()}",kubernetes_version="${versionInfo.gitVersion}"} 1`);
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    out.push('# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.', '# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    out.push('# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.', '# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${Math.floor(Date.now() / 1000 - process.uptime())}`);
    out.push('# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.', '# TYPE nodejs_heap_size_used_bytes gauge', `nodejs_heap_size_used_bytes ${mem.heapUsed}`);
    out.push('# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.', '# TYPE nodejs_heap_size_total_bytes gauge', `nodejs_heap_size_total_bytes ${mem.heapTotal}`);
    return out.join('\n') + '\n';
  }
}
