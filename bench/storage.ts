// Raw store baseline: durable creates/s on SqliteStore at several concurrency levels (values
// ~1.5 KB JSON, every create committed with fsync, concurrent writers sharing group commits),
// then the time to list 10,000 keys under a prefix. The API benchmark prints these beside its
// own figures, so machine noise shows in both.
//
// Rows, in this order: one 'sqlite create (durable)' per concurrency level, then
// 'sqlite list 10k keys' (concurrency 1; opsPerSec = lists/s) and 'sqlite get' (random keys).
// benchEtcdStore measures the same on an EtcdStore ('etcd create (durable)', 'etcd list 10k
// keys', 'etcd get'), with the same row shape, so the two can be printed side by side.

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EtcdStore, SqliteStore, type Store } from '../src/storage/index.js';

export interface StoreBenchRow {
  name: string;
  concurrency: number;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  /** Extra observations (e.g. writes per commit), for printing. */
  note?: string;
}

export interface StoreBenchOptions {
  /** Scratch directory (created when missing); the caller removes it. */
  dir: string;
  concurrency: number[];
  /** Creates per concurrency level. */
  writes: number;
  /** Keys for the list measurement (default 10,000). */
  listKeys?: number;
  /** Timed list runs (default 9). */
  listRuns?: number;
}

/** A pod-shaped JSON value of about 1.5 KB. */
export function sampleValue(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
      labels: { app: 'bench', 'controller-revision-hash': '5d9f8c7b6d', 'pod-template-generation': '1' },
      annotations: { note: 'x'.repeat(700) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'bench', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', image: 'registry.example/bench:1.0', command: ['/bin/sleep', 'infinity'], resources: {} }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    },
    status: { phase: 'Pending' },
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

type Measured = Pick<StoreBenchRow, 'concurrency' | 'opsPerSec' | 'p50ms' | 'p99ms'>;

/** `writes` creates of `keyOf(pod-<i>)` shared by `concurrency` concurrent writers. */
async function measureCreates(store: Store, keyOf: (name: string) => string, writes: number, concurrency: number): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < writes; i = next++) {
        const name = `pod-${i}`;
        const t0 = performance.now();
        await store.create(keyOf(name), sampleValue(name));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    opsPerSec: Math.round((writes / elapsed) * 1000),
    p50ms: round2(percentile(latencies, 50)),
    p99ms: round2(percentile(latencies, 99)),
  };
}

/** Creates `listKeys` keys under `${base}/registry/pods/bench/`, interleaved with as many under a sibling prefix. */
async function fillListKeys(store: Store, base: string, listKeys: number): Promise<void> {
  for (let i = 0; i < listKeys; i += 500) {
    const n = Math.min(500, listKeys - i);
    await Promise.all(
      Array.from({ length: n }, async (_, j) => {
        const name = `pod-${String(i + j).padStart(6, '0')}`;
        await store.create(`${base}/registry/pods/bench/${name}`, sampleValue(name));
        await store.create(`${base}/registry/pods/other/${name}`, sampleValue(name));
      }),
    );
  }
}

/** `runs` timed lists of the prefix fillListKeys filled, each checked to hold `listKeys` keys; opsPerSec = lists/s, p99 = the slowest. */
async function measureLists(store: Store, base: string, listKeys: number, runs: number): Promise<Measured> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const res = await store.list(`${base}/registry/pods/bench/`);
    times.push(performance.now() - t0);
    if (res.items.length !== listKeys) throw new Error(`listed ${res.items.length} keys, expected ${listKeys}`);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { concurrency: 1, opsPerSec: round2(1000 / mean), p50ms: round2(percentile(times, 50)), p99ms: round2(times[times.length - 1]!) };
}

/** `count` sequential gets of keys fillListKeys created, in a scattered order. */
async function measureGets(store: Store, base: string, listKeys: number, count: number): Promise<Measured> {
  const gets: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const name = `pod-${String((i * 7919) % listKeys).padStart(6, '0')}`;
    const t0 = performance.now();
    await store.get(`${base}/registry/pods/bench/${name}`);
    gets.push(performance.now() - t0);
  }
  const elapsed = performance.now() - started;
  gets.sort((a, b) => a - b);
  return { concurrency: 1, opsPerSec: Math.round((count / elapsed) * 1000), p50ms: round2(percentile(gets, 50)), p99ms: round2(percentile(gets, 99)) };
}

const keysLabel = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));

export async function benchStore(opts: StoreBenchOptions): Promise<StoreBenchRow[]> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const rows: StoreBenchRow[] = [];

  for (const concurrency of opts.concurrency) {
    const file = path.join(opts.dir, `create-c${concurrency}.db`);
    const store = await SqliteStore.open(file);
    try {
      const m = await measureCreates(store, (name) => `/registry/pods/bench/${name}`, opts.writes, concurrency);
      const stats = store.stats();
      rows.push({
        name: 'sqlite create (durable)',
        ...m,
        note: `${stats.commits} commits (fsyncs), ${round2(stats.writes / Math.max(1, stats.commits))} writes/commit, max ${stats.maxBatch}`,
      });
    } finally {
      await store.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    }
  }

  const listKeys = opts.listKeys ?? 10_000;
  const file = path.join(opts.dir, 'list.db');
  const store = await SqliteStore.open(file);
  try {
    await fillListKeys(store, '', listKeys);
    const runs = Math.max(1, opts.listRuns ?? 9);
    await store.list('/registry/pods/bench/'); // warm the page cache
    const lists = await measureLists(store, '', listKeys, runs);
    rows.push({ name: `sqlite list ${keysLabel(listKeys)} keys`, ...lists, note: `${runs} runs; prefix holds ${listKeys} of ${2 * listKeys} keys` });
    rows.push({ name: 'sqlite get', ...(await measureGets(store, '', listKeys, 20_000)) });
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
  return rows;
}

export interface EtcdStoreBenchOptions {
  /** etcd client endpoint(s), `host:port[,host:port...]`. */
  endpoint: string;
  concurrency: number[];
  /** Creates per concurrency level. */
  writes: number;
  /** Keys for the list measurement (default 10,000). */
  listKeys?: number;
  /** Timed list runs (default 9). */
  listRuns?: number;
  /** Key prefix on the wire (default: a fresh `/bench-<random>`); its keys are deleted afterwards. */
  prefix?: string;
}

/**
 * benchStore's measurements on an EtcdStore: durable creates (etcd acknowledges after its WAL
 * fsync) per concurrency level, a list of `listKeys` keys, and gets. Everything runs under a
 * fresh key prefix that is deleted at the end (the etcd keeps the history until compacted).
 */
export async function benchEtcdStore(opts: EtcdStoreBenchOptions): Promise<StoreBenchRow[]> {
  const prefix = opts.prefix ?? `/bench-${Math.random().toString(36).slice(2, 10)}`;
  const store = await EtcdStore.open({ endpoints: opts.endpoint.split(','), prefix });
  const rows: StoreBenchRow[] = [];
  try {
    for (const concurrency of opts.concurrency) {
      const m = await measureCreates(store, (name) => `/create-c${concurrency}/registry/pods/bench/${name}`, opts.writes, concurrency);
      rows.push({ name: 'etcd create (durable)', ...m, note: 'one txn per create (create_revision == 0)' });
    }

    const listKeys = opts.listKeys ?? 10_000;
    await fillListKeys(store, '/list', listKeys);
    const runs = Math.max(1, opts.listRuns ?? 9);
    await store.list('/list/registry/pods/bench/');
    const before = store.stats();
    const lists = await measureLists(store, '/list', listKeys, runs);
    const ranges = (store.stats().rangeRequests - before.rangeRequests) / runs;
    rows.push({
      name: `etcd list ${keysLabel(listKeys)} keys`,
      ...lists,
      note: `${runs} runs; prefix holds ${listKeys} of ${2 * listKeys} keys; ${round2(ranges)} range requests per list`,
    });
    rows.push({ name: 'etcd get', ...(await measureGets(store, '/list', listKeys, 5_000)), note: 'linearizable range' });
  } finally {
    await deletePrefix(store).catch(() => undefined);
    await store.close();
  }
  return rows;
}

/** Deletes every key of the store (all of its prefix), page by page. */
async function deletePrefix(store: EtcdStore): Promise<void> {
  for (;;) {
    const page = await store.list('', { limit: 1000 });
    await Promise.all(page.items.map((kv) => store.delete(kv.key).catch(() => undefined)));
    if (!page.more) return;
  }
}
