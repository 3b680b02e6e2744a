// API server benchmark: the real server in-process on 127.0.0.1, driven over HTTP/1.1
// keep-alive by N concurrent clients, on one of two stores:
// - sqlite: SqliteStore in a temp dir (durable commits); raw baseline `benchStore`;
// - etcd: EtcdStore on a given etcd endpoint under a fresh key prefix (etcd acknowledges after
//   its WAL fsync); raw baseline `benchEtcdStore` on the same etcd.
// `formatApiBenchSideBySide` prints the results of both next to each other.
//
// Figures (each printed beside the raw store write rate measured in the same run, so a noisy
// machine shows up in both columns):
// - pod creates/s and latency at each client concurrency (default 1, 16, 64);
// - LIST of `listSize` pods in one namespace: ms until the whole body arrived, median of runs;
// - watch delivery lag: time from a create's acknowledgement (response fully read) to the
//   ADDED event for it arriving on an open watch; events that arrive before the ack count as 0.
//
// Client and server share one event loop (that is what "in-process" means here), so client
// overhead is included in every figure; the client side is kept to bare node:https, trusting the
// server's CA and sending the admin token of its kubeconfig (TLS and authentication are measured too).

import https from 'node:https';
import { credentialsFromKubeconfig } from '../test/helpers/auth.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer, type RunningServer } from '../src/apiserver/index.js';
import { etcdAvailable, etcdSkipReason, startEtcd } from '../test/helpers/etcd.js';
import { benchEtcdStore, benchStore, type StoreBenchRow } from './storage.js';

/** Which store backs the benchmarked server. */
export type ApiBenchStore = { kind: 'sqlite' } | { kind: 'etcd'; /** `host:port[,host:port...]` */ endpoint: string };

export interface ApiBenchOptions {
  /** Client concurrency levels for creates (default [1, 16, 64]). */
  concurrency?: number[];
  /** Pod creates per concurrency level (default 5000; the 1-client level does a third). */
  creates?: number;
  /** Writes per level for the raw store baseline (default: same as creates). */
  storeWrites?: number;
  /** Pods in the LIST benchmark (default 10000). */
  listSize?: number;
  /** Timed LIST runs (default 7, after one warm-up). */
  listRuns?: number;
  /** Creates observed through the watch, per writer concurrency (default 2000). */
  watchWrites?: number;
  /** Writer concurrency levels for the watch-lag figure (default [1, 16]). */
  watchConcurrency?: number[];
  /** Default sqlite. */
  store?: ApiBenchStore;
  log?: (line: string) => void;
}

export interface RateRow {
  concurrency: number;
  ops: number;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
}

export interface CreateRow extends RateRow {
  store?: { opsPerSec: number; p50ms: number; p99ms: number };
}

export interface ListResult {
  /** Raw store list of the same number of keys (benchStore), same run. */
  store?: { name: string; p50ms: number };
  items: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  bytes: number;
}

export interface WatchLagRow {
  concurrency: number;
  events: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /** Events that arrived before their write's acknowledgement. */
  beforeAck: number;
  /** For context: time from sending the create to the event arriving. */
  fromSendP50ms: number;
  fromSendP99ms: number;
}

export interface ApiBenchResult {
  /** The backend the server ran on. */
  store: ApiBenchStore['kind'];
  /** The raw store baseline's own rows (benchStore or benchEtcdStore), same run. */
  storeRows: StoreBenchRow[];
  creates: CreateRow[];
  list: ListResult;
  watchLag: WatchLagRow[];
  targets: { createsPerSecAt64: number; list10kMs: number; watchLagP99Ms: number };
}

export const targets = { createsPerSecAt64: 3000, list10kMs: 150, watchLagP99Ms: 50 };

// ---------------------------------------------------------------------------------------------
// Minimal keep-alive HTTP client (one agent per simulated client).

interface Answer {
  status: number;
  body: string;
}

/** The server's CA and admin token, set once the server started. */
const cred = { ca: '', token: '' };

function newAgent(o: https.AgentOptions = {}): https.Agent {
  return new https.Agent({ ...o, ca: cred.ca });
}

function authHeaders(h: Record<string, string | number>): Record<string, string | number> {
  return { ...h, authorization: `Bearer ${cred.token}` };
}

function request(agent: https.Agent, base: URL, method: string, p: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path: p,
        headers: authHeaders(body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function podBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', 'pod-template-generation': '1' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'agent', image: 'busybox:1.36', command: ['sleep', '3600'], env: [{ name: 'MODE', value: 'bench' }] }] },
  });
}

/**
 * Creates `total` pods named `<prefix>-<i>` in `ns` from `concurrency` clients. `onAck` gets the
 * performance.now() times when each create was sent and when its answer had been read.
 */
async function createPods(
  base: URL,
  ns: string,
  prefix: string,
  total: number,
  concurrency: number,
  onAck?: (name: string, tSent: number, tAcked: number) => void,
): Promise<RateRow> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const agent = newAgent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = next++; i < total; i = next++) {
          const name = `${prefix}-${i}`;
          const t0 = performance.now();
          const a = await request(agent, base, 'POST', `/api/v1/namespaces/${ns}/pods`, podBody(name));
          const t1 = performance.now();
          if (a.status !== 201) throw new Error(`create ${name}: HTTP ${a.status} ${a.body.slice(0, 200)}`);
          latencies.push(t1 - t0);
          onAck?.(name, t0, t1);
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { concurrency, ops: total, opsPerSec: round(total / (elapsed / 1000), 0), p50ms: round(percentile(latencies, 0.5)), p99ms: round(percentile(latencies, 0.99)) };
}

async function createNamespace(base: URL, name: string): Promise<void> {
  const agent = newAgent();
  const a = await request(agent, base, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  agent.destroy();
  if (a.status !== 201) throw new Error(`create namespace ${name}: HTTP ${a.status} ${a.body.slice(0, 200)}`);
}

async function benchList(base: URL, ns: string, runs: number): Promise<ListResult> {
  const agent = newAgent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let bytes = 0;
  let items = 0;
  try {
    for (let r = 0; r <= runs; r++) {
      const t0 = performance.now();
      const a = await request(agent, base, 'GET', `/api/v1/namespaces/${ns}/pods`);
      const dt = performance.now() - t0;
      if (a.status !== 200) throw new Error(`list: HTTP ${a.status} ${a.body.slice(0, 200)}`);
      if (r === 0) {
        bytes = Buffer.byteLength(a.body);
        items = (JSON.parse(a.body) as { items: unknown[] }).items.length;
        continue; // warm-up
      }
      times.push(dt);
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return { items, runs, medianMs: round(percentile(times, 0.5), 1), minMs: round(times[0] ?? NaN, 1), maxMs: round(times[times.length - 1] ?? NaN, 1), bytes };
}

async function benchWatchLag(base: URL, ns: string, writes: number, concurrency: number): Promise<WatchLagRow> {
  const agent = newAgent();
  const list = await request(agent, base, 'GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
  const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const arrived = new Map<string, number>();
  let buf = '';
  let allArrived: () => void = () => undefined;
  const done = new Promise<void>((r) => (allArrived = r));
  const prefix = `lag-c${concurrency}`;
  const watchReq = https.get(
    { agent, host: base.hostname, port: base.port, path: `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${rv}`, headers: authHeaders({ accept: 'application/json' }) },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
          const name = ev.object.metadata?.name ?? '';
          if (ev.type === 'ADDED' && name.startsWith(prefix) && !arrived.has(name)) {
            arrived.set(name, now);
            if (arrived.size === writes) allArrived();
          }
        }
      });
    },
  );
  watchReq.on('error', () => undefined);
  const acked = new Map<string, [number, number]>();
  await createPods(base, ns, prefix, writes, concurrency, (name, tSent, tAcked) => acked.set(name, [tSent, tAcked]));
  const timeout = new Promise<void>((r) => setTimeout(r, 30_000).unref());
  await Promise.race([done, timeout]);
  watchReq.destroy();
  agent.destroy();
  const lags: number[] = [];
  const fromSend: number[] = [];
  let beforeAck = 0;
  for (const [name, [tSent, tAck]] of acked) {
    const tEv = arrived.get(name);
    if (tEv === undefined) continue;
    if (tEv < tAck) beforeAck++;
    lags.push(Math.max(0, tEv - tAck));
    fromSend.push(tEv - tSent);
  }
  if (lags.length < writes) throw new Error(`watch delivered ${lags.length} of ${writes} events within 30 s`);
  lags.sort((a, b) => a - b);
  fromSend.sort((a, b) => a - b);
  return {
    concurrency,
    events: lags.length,
    p50ms: round(percentile(lags, 0.5)),
    p99ms: round(percentile(lags, 0.99)),
    maxMs: round(lags[lags.length - 1] ?? NaN),
    beforeAck,
    fromSendP50ms: round(percentile(fromSend, 0.5)),
    fromSendP99ms: round(percentile(fromSend, 0.99)),
  };
}

// ---------------------------------------------------------------------------------------------

export async function benchApi(opts: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const levels = opts.concurrency ?? [1, 16, 64];
  const creates = opts.creates ?? 5000;
  const perLevel = (c: number) => (c === 1 ? Math.ceil(creates / 3) : creates);
  const listSize = opts.listSize ?? 10_000;
  const store = opts.store ?? { kind: 'sqlite' };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-api-'));
  let server: RunningServer | undefined;
  try {
    // Baseline: the raw store's write rate at the same concurrency, same run, same backend.
    const storeWrites = opts.storeWrites ?? creates;
    let storeRows: StoreBenchRow[];
    let storeUrl: string | undefined;
    if (store.kind === 'etcd') {
      log(`raw etcd store baseline (benchEtcdStore on ${store.endpoint}) at concurrency ${levels.join(', ')} ...`);
      storeRows = await benchEtcdStore({ endpoint: store.endpoint, concurrency: levels, writes: storeWrites, listKeys: listSize });
      storeUrl = `etcd://${store.endpoint}?prefix=/bench-api-${Math.random().toString(36).slice(2, 10)}`;
    } else {
      log(`raw store baseline (benchStore) at concurrency ${levels.join(', ')} ...`);
      storeRows = await benchStore({ dir: path.join(tmp, 'store'), concurrency: levels, writes: storeWrites, listKeys: listSize });
    }
    const storeCreate = (c: number) => storeRows.find((r) => r.name.includes('create') && r.concurrency === c);
    const storeList = storeRows.find((r) => r.name.includes('list'));

    server = await startServer({ dataDir: path.join(tmp, 'server'), listen: '127.0.0.1:0', compaction: false, ...(storeUrl ? { storeUrl } : {}) });
    const base = new URL(server.url);
    const c = credentialsFromKubeconfig(server.kubeconfigPath);
    cred.ca = c.caPem;
    cred.token = c.token;
    log(`server ${server.url} (data dir ${path.join(tmp, 'server')}, store ${storeUrl ?? 'sqlite in the data dir'})`);
    for (const ns of ['bench-create', 'bench-list', 'bench-watch']) await createNamespace(base, ns);

    const createRows: CreateRow[] = [];
    for (const c of levels) {
      log(`pod creates at ${c} client(s) ...`);
      const row: CreateRow = await createPods(base, 'bench-create', `create-c${c}`, perLevel(c), c);
      const s = storeCreate(c);
      if (s) row.store = { opsPerSec: round(s.opsPerSec, 0), p50ms: round(s.p50ms), p99ms: round(s.p99ms) };
      createRows.push(row);
    }

    log(`filling ${listSize} pods for LIST ...`);
    await createPods(base, 'bench-list', 'list', listSize, 64);
    log('LIST ...');
    const list = await benchList(base, 'bench-list', opts.listRuns ?? 7);
    if (storeList) list.store = { name: storeList.name, p50ms: round(storeList.p50ms, 1) };

    const watchLag: WatchLagRow[] = [];
    for (const c of opts.watchConcurrency ?? [1, 16]) {
      log(`watch lag with ${c} writer(s) ...`);
      watchLag.push(await benchWatchLag(base, 'bench-watch', opts.watchWrites ?? 2000, c));
    }
    return { store: store.kind, storeRows, creates: createRows, list, watchLag, targets };
  } finally {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ApiBenchOnStoresResult {
  results: ApiBenchResult[];
  /** Backends asked for but not run, with why (e.g. no etcd binary). */
  skipped: { store: ApiBenchStore['kind']; reason: string }[];
}

/**
 * Runs benchApi once per backend in `stores` (default sqlite then etcd), one after the other.
 * For etcd, a single-member etcd is started for the run (test/helpers startEtcd: free loopback
 * ports, data dir under the OS temp dir, i.e. the same disk as the SQLite run) and stopped after,
 * unless `etcdEndpoint` names one to use; without the binary the etcd run is skipped and reported.
 */
export async function benchApiOnStores(
  opts: Omit<ApiBenchOptions, 'store'> & { stores?: ApiBenchStore['kind'][]; etcdEndpoint?: string } = {},
): Promise<ApiBenchOnStoresResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const out: ApiBenchOnStoresResult = { results: [], skipped: [] };
  for (const kind of opts.stores ?? ['sqlite', 'etcd']) {
    if (kind === 'sqlite') {
      log('== API on SQLite ==');
      out.results.push(await benchApi({ ...opts, store: { kind: 'sqlite' } }));
      continue;
    }
    if (opts.etcdEndpoint) {
      log(`== API on etcd (${opts.etcdEndpoint}) ==`);
      out.results.push(await benchApi({ ...opts, store: { kind: 'etcd', endpoint: opts.etcdEndpoint } }));
      continue;
    }
    if (!etcdAvailable()) {
      out.skipped.push({ store: 'etcd', reason: etcdSkipReason });
      continue;
    }
    const etcd = await startEtcd();
    try {
      log(`== API on etcd (started for this run on ${etcd.endpoint}, data dir ${etcd.dataDir}) ==`);
      out.results.push(await benchApi({ ...opts, store: { kind: 'etcd', endpoint: etcd.endpoint } }));
    } finally {
      await etcd.stop();
    }
  }
  return out;
}

/** Renders the result as three plain-text tables. */
export function formatApiBench(r: ApiBenchResult): string {
  const lines: string[] = [];
  const [backend, baseline] = r.store === 'etcd' ? ['etcd', 'benchEtcdStore'] : ['SQLite', 'benchStore'];
  lines.push(`Pod creates over HTTP (in-process server, ${backend}, durable) beside raw store writes (${baseline}), same run`);
  lines.push(
    table(
      ['clients', 'creates', 'API ops/s', 'API p50 ms', 'API p99 ms', 'store ops/s', 'store p50 ms', 'store p99 ms', 'API/store', 'target'],
      r.creates.map((c) => [
        String(c.concurrency),
        String(c.ops),
        String(c.opsPerSec),
        c.p50ms.toFixed(2),
        c.p99ms.toFixed(2),
        c.store ? String(c.store.opsPerSec) : '-',
        c.store ? c.store.p50ms.toFixed(2) : '-',
        c.store ? c.store.p99ms.toFixed(2) : '-',
        c.store ? `${Math.round((100 * c.opsPerSec) / c.store.opsPerSec)}%` : '-',
        c.concurrency === 64 ? `>= ${r.targets.createsPerSecAt64}/s ${c.opsPerSec >= r.targets.createsPerSecAt64 ? 'met' : 'MISSED'}` : '',
      ]),
    ),
  );
  lines.push('');
  lines.push(`LIST of all pods in one namespace (full JSON body received; ${backend})`);
  const l = r.list;
  lines.push(
    table(
      ['pods', 'runs', 'median ms', 'min ms', 'max ms', 'MiB', 'store list p50 ms', 'target'],
      [
        [
          String(l.items),
          String(l.runs),
          l.medianMs.toFixed(1),
          l.minMs.toFixed(1),
          l.maxMs.toFixed(1),
          (l.bytes / 1048576).toFixed(1),
          l.store ? l.store.p50ms.toFixed(1) : '-',
          `<= ${r.targets.list10kMs} ms ${l.medianMs <= r.targets.list10kMs ? 'met' : 'MISSED'}`,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(`Watch delivery lag (create acknowledged -> ADDED event read from an open watch; ${backend})`);
  lines.push(
    table(
      ['writers', 'events', 'p50 ms', 'p99 ms', 'max ms', 'before ack', 'send->event p50', 'send->event p99', 'target'],
      r.watchLag.map((w) => [
        String(w.concurrency),
        String(w.events),
        w.p50ms.toFixed(2),
        w.p99ms.toFixed(2),
        w.maxMs.toFixed(2),
        String(w.beforeAck),
        w.fromSendP50ms.toFixed(2),
        w.fromSendP99ms.toFixed(2),
        `p99 <= ${r.targets.watchLagP99Ms} ms ${w.p99ms <= r.targets.watchLagP99Ms ? 'met' : 'MISSED'}`,
      ]),
    ),
  );
  return lines.join('\n');
}

/**
 * One table with a column per backend (the results of benchApi on each store, same machine,
 * consecutive runs): API and raw-store creates/s per concurrency, LIST, watch lag.
 */
export function formatApiBenchSideBySide(results: ApiBenchResult[]): string {
  const rows: string[][] = [];
  const levels = [...new Set(results.flatMap((r) => r.creates.map((c) => c.concurrency)))].sort((a, b) => a - b);
  const cell = (r: ApiBenchResult, f: (r: ApiBenchResult) => string | undefined) => f(r) ?? '-';
  for (const c of levels) {
    rows.push([`API creates/s, ${c} client(s)`, ...results.map((r) => cell(r, (x) => x.creates.find((y) => y.concurrency === c)?.opsPerSec.toString()))]);
    rows.push([`  API p99 ms, ${c} client(s)`, ...results.map((r) => cell(r, (x) => x.creates.find((y) => y.concurrency === c)?.p99ms.toFixed(2)))]);
    rows.push([`  raw store writes/s, ${c}`, ...results.map((r) => cell(r, (x) => x.creates.find((y) => y.concurrency === c)?.store?.opsPerSec.toString()))]);
  }
  rows.push([`LIST ${results[0]?.list.items ?? ''} pods, median ms`, ...results.map((r) => r.list.medianMs.toFixed(1))]);
  rows.push(['  raw store list, p50 ms', ...results.map((r) => cell(r, (x) => x.list.store?.p50ms.toFixed(1)))]);
  const writers = [...new Set(results.flatMap((r) => r.watchLag.map((w) => w.concurrency)))].sort((a, b) => a - b);
  for (const w of writers) {
    rows.push([`watch lag p50/p99 ms, ${w} writer(s)`, ...results.map((r) => cell(r, (x) => {
      const row = x.watchLag.find((y) => y.concurrency === w);
      return row && `${row.p50ms.toFixed(2)} / ${row.p99ms.toFixed(2)}`;
    }))]);
    rows.push([`  send->event p50/p99 ms, ${w}`, ...results.map((r) => cell(r, (x) => {
      const row = x.watchLag.find((y) => y.concurrency === w);
      return row && `${row.fromSendP50ms.toFixed(2)} / ${row.fromSendP99ms.toFixed(2)}`;
    }))]);
  }
  return ['API benchmark side by side (same machine, consecutive runs)', table(['figure', ...results.map((r) => r.store)], rows)].join('\n');
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
