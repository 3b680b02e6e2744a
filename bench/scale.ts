// Fleet-scale benchmark (issue 9): hollow nodes against a fresh in-process server with the
// default SQLite store (durable group commit), or etcd, and the controller manager running
// in-process.
//
// Per fleet size N:
// - setup: N hollow nodes register (a child process `everynode hollow-nodes`, or in this
//   process when dist/ has no binary or `hollow: 'in-process'`). The child runs at a lower CPU
//   priority (nice 10, EVERYNODE_BENCH_HOLLOW_NICE=0 for equal): the fleet it simulates would
//   run on machines of its own, so where the two compete for this machine's cores, the system
//   under test goes first. Its CPU still counts in the fan-out budget below. Then the cluster
//   settles (see settle: a node monitor period, then a second with no more writes than the
//   Lease renewals), so the fan-out does not start on the tail of the registration;
// - fan-out: create one DaemonSet -> until status.numberAvailable == N;
// - rollout (maxUnavailable 10%): change the image -> until every pod runs the new image and is
//   Ready, N pods in all, and the status says updated == available == N;
// - rollout (maxSurge 10%, maxUnavailable 0): the same;
// - churn: N/10 more hollow nodes (a second process) -> per node, time from its Node ADDED
//   event to its first daemon pod's ADDED event (p50/max), and until numberAvailable == 1.1 N;
// - server process RSS and CPU seconds at the end (the benchmark's own observers, one pod,
//   node and DaemonSet watch over the in-process transport, run in the same process and count),
//   after a full GC with --expose-gc, and the peak RSS before that GC; the process applies the
//   server heap policy `everynode server` applies (applyServerHeapPolicy, 1.6x the live heap);
// - API writes per phase = store revision delta (lease renewals, events and status writes
//   included, as they are real work);
// - the floor: the bare store of the same backend in the same run (a SqliteStore in a new file,
//   or an EtcdStore on the same etcd under a fresh prefix) makes the same number of durable
//   creates (1.3 KB pod-like values, 64 concurrent writers); each time is also printed as a ratio to it;
// - the replay floor: the same kind of bare store makes the phase's OWN writes, read back from
//   the server store's history (same keys and values, creates, updates with preconditions,
//   deletes; 64 writers, each key's writes in order on one writer), and the ratio to that;
// - the fan-out budget: what a fan-out at 3x its replay floor would leave the API server once
//   the parts no API server can skip are paid, each measured in the same run: the hollow
//   process's own CPU, one bare HTTP/2 exchange per node request (bench/https.ts, h2 row:
//   Node.js's TLS and HTTP/2 with no API work), and the bare store's CPU for the phase's own
//   writes (the replay). Printed beside what the server spends per write beyond those floors.
// On etcd (`store: 'etcd'`) the server runs with `etcd://ENDPOINT?prefix=/bench-scale-<random>`
// against an etcd started for the run (test/helpers startEtcd) unless `etcdEndpoint` names one.
// Never asserts: targets are printed beside the figures.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { startServer, type RunningServer } from '../src/apiserver/index.js';
import type { DaemonSet, KubeObject, Node, Pod } from '../src/api/types.js';
import {
  loadKubeconfig,
  HttpTransport,
  RestClient,
  type WatchEvent,
  type WatchHandle,
  daemonSetsResource,
  inProcessTransport,
  nodesResource,
  podsResource,
} from '../src/client/index.js';
import { defaultLoopConcurrency, hollowMaxSockets, hollowNodeFlags, startHollowNodes, type HollowNodes } from '../src/hollow/index.js';
import { EncryptingStore, EtcdStore, SqliteStore, type Store } from '../src/storage/index.js';
import { etcdAvailable, etcdSkipReason, startEtcd } from '../test/helpers/etcd.js';
import { createLogger } from '../src/util/logger.js';
import { applyServerHeapPolicy } from '../src/util/heap.js';
import { defaultNodeMonitorPeriodMs } from '../src/controllers/node-lifecycle/index.js';
import { benchHttpsFloor } from './https.js';
import { sampleValue } from './storage.js';

export interface ScaleBenchOptions {
  /** Fleet sizes (default [1000, 5000]). */
  nodes?: number[];
  /** Hollow pods become Ready this long after their node sees them (default 100 ms). */
  readyDelayMs?: number;
  /** Where hollow nodes run (default 'process' when dist/src/cmd/everynode.js exists). */
  hollow?: 'process' | 'in-process';
  /** Backend (default 'sqlite': SQLite in the temp data dir). */
  store?: ScaleStoreKind;
  /** etcd client endpoint(s) `host:port[,...]` for `store: 'etcd'` (default: an etcd started for the run). */
  etcdEndpoint?: string;
  /** DaemonSet controller's creates/deletes per sync pass (default: the in-process manager's). */
  burstReplicas?: number;
  /** Per-phase deadline (default 10 min). */
  phaseTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface PhaseResult {
  ms: number;
  writes: number;
  floorMs: number;
  /** ms / floorMs. */
  ratio: number;
  /** CPU (user+system) of the benchmark process (server, controllers, observers) over the phase. */
  serverCpuMs: number;
  /** CPU of the hollow-node child processes over the phase (0 when in-process). */
  hollowCpuMs: number;
  /** CPU of this process while the floor ran (for etcd: the client side only, not etcd's). */
  floorCpuMs: number;
  /** The replay floor: the phase's own writes (same keys, values, creates/updates/deletes) replayed on a bare store. */
  replayFloorMs: number;
  /** ms / replayFloorMs. */
  replayRatio: number;
  /** CPU of this process while the replay ran (for etcd: the client side only, not etcd's). */
  replayCpuMs: number;
  /** The phase's writes by resource and operation (`pods create`, `leases update`, ...), from the store's history. */
  writesByResource: Record<string, number>;
}

/**
 * When the fan-out passed its milestones, ms after the DaemonSet create as the observer saw
 * them: where the phase's time goes (creating pods, pods turning Ready, the status catching up).
 */
export interface FanOutMilestones {
  firstPodMs: number;
  halfPodsMs: number;
  allPodsMs: number;
  firstReadyMs: number;
  halfReadyMs: number;
  allReadyMs: number;
  /** Times of the 0th, 10th, …, 100th percentile pod ADDED and first Ready (ms after t0). */
  addedDeciles: number[];
  readyDeciles: number[];
}

export type ScaleStoreKind = 'sqlite' | 'etcd';

export interface ScaleResult {
  store: ScaleStoreKind;
  nodes: number;
  hollow: 'process' | 'in-process';
  /** The hollow child's nice value (process only). */
  hollowNice?: number;
  registerMs: number;
  /** Time from the last registration to the fan-out's start (settle). */
  settleMs: number;
  fanOut: PhaseResult & { milestones: FanOutMilestones };
  rolloutMaxUnavailable: PhaseResult;
  rolloutMaxSurge: PhaseResult;
  churn: PhaseResult & { newNodes: number; podP50Ms: number; podMaxMs: number; availableMs: number };
  totalWrites: number;
  serverRssMB: number;
  serverHeapMB: number;
  /** process.memoryUsage() at the end, MB (rss, heapTotal, heapUsed, external, arrayBuffers). */
  serverMemoryMB: Record<string, number>;
  /** Peak resident size of the benchmark process over the whole size (VmHWM), MB. */
  serverPeakRssMB: number;
  /** The server heap policy in force (applyServerHeapPolicy), or null when off. */
  heapGrowthPercent: number | null;
  /** V8 heap spaces at the end, MB: [committed, used]. */
  serverHeapSpacesMB: Record<string, [number, number]>;
  serverCpuSeconds: number;
  /** RSS of the hollow process per 1,000 simulated nodes (null when in-process). */
  hollowRssMBPer1000: number | null;
  /** Durable creates/s of the bare store (same backend) in this run (64 writers). */
  floorWritesPerSec: number;
  /** The server store's group commits over the whole run (SQLite only): commits and writes per commit. */
  storeCommits: { commits: number; writesPerCommit: number; maxBatch: number } | null;
  /** What a fan-out at scaleTargets.fanOutRatio x its replay floor leaves the API server (see fanOutBudget). */
  fanOutBudget: FanOutBudget;
}

/**
 * The fan-out at `ratio` x its replay floor, as CPU: the wall time that allows, on every core of
 * the machine, less the parts of the same run's work that no API server can skip. The
 * remainder, per write, is what the server's own work (decoding, defaulting, validation,
 * patches, admission, authorization, audit, the watch cache, informers, the controllers, GC)
 * may cost; `serverUsPerWrite` is what it costs now. The bound is generous to the server: it
 * assumes the work spreads perfectly over every core, while the server's request path runs on
 * one thread.
 */
export interface FanOutBudget {
  ratio: number;
  cores: number;
  /** ratio x the replay floor, ms of wall time. */
  allowedMs: number;
  /** allowedMs x cores. */
  allowedCpuMs: number;
  /** The hollow process's CPU over the fan-out: the nodes' own side of their requests and watches. */
  hollowCpuMs: number;
  /** The fan-out's node requests: pod status writes and Lease renewals. */
  nodeRequests: number;
  /** A bare Node.js HTTP/2 server's CPU per request in this run (benchHttpsFloor, h2 row), µs. */
  h2FloorUsPerRequest: number;
  /** nodeRequests x h2FloorUsPerRequest. */
  transportCpuMs: number;
  /** The bare store's CPU making the fan-out's own writes (the replay; etcd: client side only). */
  storeCpuMs: number;
  /** (allowedCpuMs - hollow - transport - store) / writes, µs; negative when nothing is left. */
  leftUsPerWrite: number;
  /** (the server's CPU over the fan-out - transport - store) / writes, µs. */
  serverUsPerWrite: number;
}

/** See FanOutBudget. `fanOut` is the phase's result, `h2Us` the bare HTTP/2 request's CPU. */
export function fanOutBudget(fanOut: PhaseResult, h2Us: number, cores: number, ratio: number = scaleTargets.fanOutRatio): FanOutBudget {
  const w = fanOut.writesByResource;
  const nodeRequests = (w['core/pods update'] ?? 0) + (w['coordination.k8s.io/leases update'] ?? 0);
  const allowedMs = ratio * fanOut.replayFloorMs;
  const allowedCpuMs = allowedMs * cores;
  const transportCpuMs = (nodeRequests * h2Us) / 1000;
  const storeCpuMs = fanOut.replayCpuMs;
  const perWrite = (ms: number): number => Math.round((ms * 1000) / Math.max(1, fanOut.writes));
  return {
    ratio,
    cores,
    allowedMs: r1(allowedMs),
    allowedCpuMs: Math.round(allowedCpuMs),
    hollowCpuMs: fanOut.hollowCpuMs,
    nodeRequests,
    h2FloorUsPerRequest: h2Us,
    transportCpuMs: Math.round(transportCpuMs),
    storeCpuMs,
    leftUsPerWrite: perWrite(allowedCpuMs - fanOut.hollowCpuMs - transportCpuMs - storeCpuMs),
    serverUsPerWrite: perWrite(fanOut.serverCpuMs - transportCpuMs - storeCpuMs),
  };
}

export const scaleTargets = { fanOut5kMs: 5_000, fanOutRatio: 3, rollout5kMs: 15_000, churnPodMaxMs: 2_000, serverRssMB: 400, hollowMBPer1000: 50 };

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built CLI next to the built benchmark (dist/bench -> dist/src/cmd). */
const everynodeBin = path.resolve(here, '../src/cmd/everynode.js');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/** user+system CPU ms of a process from /proc (clock ticks of 10 ms, Linux's USER_HZ). */
function cpuMsOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

const cpuMsOfSelf = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function rssOfPid(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Peak resident size of this process (VmHWM), kB; 0 where /proc is missing. */
function readPeakRssKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Hollow nodes: a child process or in-process

interface HollowHandle {
  pid: number | undefined;
  rssBytes(): number;
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Waits for the cluster to settle after the nodes registered, so the fan-out starts on a fleet
 * the controllers have taken in, not on the tail of its registration (the node lifecycle
 * controller meets new nodes in its next monitor pass, up to 5 s later, and records a
 * RegisteredNode event for each): one monitor period, then until a whole second passes in which
 * the store took no more writes than the nodes' Lease renewals (N per 10 s) and a margin, at most
 * `maxMs` in all. Returns the time waited, and whether the quiet second came.
 */
async function settle(rev: () => Promise<number>, n: number, maxMs = 30_000): Promise<{ ms: number; quiet: boolean }> {
  const t0 = performance.now();
  await sleep(defaultNodeMonitorPeriodMs);
  const quietPerSecond = Math.ceil((n / 10) * 1.3) + 20;
  const samples: { at: number; rev: number }[] = [{ at: performance.now(), rev: await rev() }];
  while (performance.now() - t0 < maxMs) {
    await sleep(250);
    const now = { at: performance.now(), rev: await rev() };
    samples.push(now);
    while (samples.length > 1 && now.at - samples[0]!.at > 1_000) {
      const first = samples[0]!;
      if (now.rev - first.rev <= quietPerSecond * ((now.at - first.at) / 1_000)) return { ms: performance.now() - t0, quiet: true };
      samples.shift();
    }
  }
  return { ms: performance.now() - t0, quiet: false };
}

/** The hollow child's nice value (see the file comment): EVERYNODE_BENCH_HOLLOW_NICE, 10 unless set. */
function hollowNice(): number {
  const raw = process.env.EVERYNODE_BENCH_HOLLOW_NICE?.trim();
  const n = raw ? Number(raw) : 10;
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`EVERYNODE_BENCH_HOLLOW_NICE must be an integer from 0 to 19, got ${JSON.stringify(raw)}`);
  return n;
}

async function spawnHollow(kubeconfig: string, count: number, prefix: string, readyDelayMs: number, log: (l: string) => void): Promise<HollowHandle> {
  // The flags the hollow part recommends for thousands of nodes, then
  // EVERYNODE_BENCH_HOLLOW_NODE_ARGS: extra node flags for the child (e.g. "--cpu-prof --cpu-prof-dir=DIR");
  // EVERYNODE_BENCH_HOLLOW_ARGS: extra flags of `everynode hollow-nodes` (e.g. "--concurrency 128").
  const nodeArgs = (process.env.EVERYNODE_BENCH_HOLLOW_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  // Started through nice(1): every thread of the child (V8's, libuv's) at that priority from the
  // start (setpriority on a running process reaches only its main thread on Linux).
  const argv = [...hollowNodeFlags, ...nodeArgs, everynodeBin, 'hollow-nodes', '--kubeconfig', kubeconfig, '--count', String(count), '--name-prefix', prefix, '--ready-delay-ms', String(readyDelayMs), ...(process.env.EVERYNODE_BENCH_HOLLOW_ARGS ?? '').split(/\s+/).filter(Boolean)];
  const nice = hollowNice();
  const child: ChildProcess =
    nice === 0 ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('nice', ['-n', String(nice), process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderrLines = 0;
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    for (const l of d.split('\n')) if (l && stderrLines++ < 10) log(`[hollow ${prefix}] ${l}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const onData = (d: string): void => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const o = JSON.parse(line) as { event?: string };
          if (o.event === 'ready') {
            child.stdout?.off('data', onData);
            child.stdout?.resume();
            resolve();
            return;
          }
        } catch {
          /* not a JSON line */
        }
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`hollow-nodes ${prefix} exited with ${code} before it was ready`)));
  });
  return {
    pid: child.pid,
    rssBytes: () => (child.pid ? rssOfPid(child.pid) : 0),
    cpuMs: () => (child.pid ? cpuMsOfPid(child.pid) : 0),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function inProcessHollow(server: RunningServer, count: number, prefix: string, readyDelayMs: number): Promise<HollowHandle> {
  const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath), maxSockets: hollowMaxSockets(defaultLoopConcurrency), userAgent: 'everynode-hollow-nodes' });
  const hollow: HollowNodes = await startHollowNodes({ client: new RestClient(transport.request), count, namePrefix: prefix, readyDelayMs });
  return {
    pid: undefined,
    rssBytes: () => 0,
    cpuMs: () => 0,
    stop: async () => {
      await hollow.stop();
      transport.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Observation: one watch per resource, incremental tallies, waiters re-checked on every event.

class Observer {
  readonly pods = new Map<string, { node: string; image: string; ready: boolean }>();
  readonly readyByImage = new Map<string, number>();
  ds: DaemonSet | undefined;
  readonly nodeAddedAt = new Map<string, number>();
  readonly firstPodAt = new Map<string, number>();
  /** Times (performance.now()) of every pod ADDED and every pod's first Ready, in order. */
  readonly addedAt: number[] = [];
  readonly readyAt: number[] = [];
  private readonly waiters = new Set<() => void>();
  private handles: WatchHandle[] = [];

  constructor(private readonly client: RestClient) {}

  async start(): Promise<void> {
    const rv = async (r: typeof podsResource): Promise<string> => (await this.client.list(r, { limit: 1 })).metadata.resourceVersion ?? '';
    for (const r of [podsResource, nodesResource, daemonSetsResource]) {
      const from = await rv(r);
      this.handles.push(await this.client.watch<KubeObject>(r, { resourceVersion: from, timeoutSeconds: 3600 }, (ev) => this.onEvent(r.plural, ev)));
    }
  }

  stop(): void {
    for (const h of this.handles) h.stop();
  }

  private onEvent(plural: string, ev: WatchEvent<KubeObject>): void {
    if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
    const now = performance.now();
    const o = ev.object as KubeObject;
    if (plural === 'pods') {
      const pod = o as Pod;
      const uid = pod.metadata.uid ?? '';
      const prev = this.pods.get(uid);
      if (prev?.ready) this.readyByImage.set(prev.image, (this.readyByImage.get(prev.image) ?? 1) - 1);
      if (ev.type === 'DELETED' || pod.metadata.deletionTimestamp) this.pods.delete(uid);
      else {
        const cur = {
          node: pod.spec.nodeName ?? '',
          image: pod.spec.containers[0]?.image ?? '',
          ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        };
        this.pods.set(uid, cur);
        if (ev.type === 'ADDED') this.addedAt.push(now);
        if (cur.ready && !prev?.ready) this.readyAt.push(now);
        if (cur.ready) this.readyByImage.set(cur.image, (this.readyByImage.get(cur.image) ?? 0) + 1);
        if (ev.type === 'ADDED' && cur.node && !this.firstPodAt.has(cur.node)) this.firstPodAt.set(cur.node, now);
      }
    } else if (plural === 'nodes') {
      if (ev.type === 'ADDED') this.nodeAddedAt.set((o as Node).metadata.name ?? '', now);
    } else if (plural === 'daemonsets') {
      if (ev.type !== 'DELETED') this.ds = o as DaemonSet;
    }
    for (const w of this.waiters) w();
  }

  /** Resolves when `pred` holds (checked on every event and every 100 ms). */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        cleanup();
        resolve();
      };
      const tick = setInterval(check, 100);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearInterval(tick);
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The fan-out's milestones for n pods, relative to t0. */
  milestones(t0: number, n: number): FanOutMilestones {
    const at = (xs: number[], i: number): number => r1((xs[Math.min(i, xs.length - 1)] ?? t0) - t0);
    return {
      firstPodMs: at(this.addedAt, 0),
      halfPodsMs: at(this.addedAt, Math.floor(n / 2)),
      allPodsMs: at(this.addedAt, n - 1),
      firstReadyMs: at(this.readyAt, 0),
      halfReadyMs: at(this.readyAt, Math.floor(n / 2)),
      allReadyMs: at(this.readyAt, n - 1),
      addedDeciles: Array.from({ length: 11 }, (_, d) => at(this.addedAt, Math.floor((d * (n - 1)) / 10))),
      readyDeciles: Array.from({ length: 11 }, (_, d) => at(this.readyAt, Math.floor((d * (n - 1)) / 10))),
    };
  }

  rolledOut(image: string, n: number): boolean {
    const s = this.ds?.status;
    const gen = this.ds?.metadata.generation ?? 0;
    return (
      this.pods.size === n &&
      (this.readyByImage.get(image) ?? 0) === n &&
      (s?.observedGeneration ?? 0) >= gen &&
      s?.updatedNumberScheduled === n &&
      s?.numberAvailable === n
    );
  }
}

/**
 * With EVERYNODE_BENCH_CPU_PROFILE=DIR, a CPU profile of this process (server, controllers,
 * observers) over one phase, written to DIR/<phase>.cpuprofile (open it in Chrome DevTools).
 * With EVERYNODE_BENCH_ALLOC_PROFILE=DIR, a sampling allocation profile over the phase instead,
 * every allocation counted whether or not it was collected by the phase's end (what garbage
 * collection has to clear), written to DIR/<phase>.heapprofile (DevTools' Memory panel).
 */
async function startPhaseProfile(): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const cpuDir = process.env.EVERYNODE_BENCH_CPU_PROFILE || undefined;
  const allocDir = process.env.EVERYNODE_BENCH_ALLOC_PROFILE || undefined;
  if (cpuDir && allocDir) throw new Error('EVERYNODE_BENCH_CPU_PROFILE and EVERYNODE_BENCH_ALLOC_PROFILE: one at a time');
  const dir = cpuDir ?? allocDir;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  if (cpuDir) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  } else {
    await session.post('HeapProfiler.enable');
    // Node 20's inspector types lack the two include flags V8 accepts.
    await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as { samplingInterval: number });
  }
  return {
    async stop(name: string) {
      const profile = cpuDir ? (await session.post('Profiler.stop')).profile : (await session.post('HeapProfiler.stopSampling')).profile;
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${name}.${cpuDir ? 'cpuprofile' : 'heapprofile'}`), JSON.stringify(profile));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The floor

/** Where the floor's bare store lives: a directory for SQLite files, or an etcd endpoint. */
type FloorTarget = { kind: 'sqlite'; dir: string } | { kind: 'etcd'; endpoint: string };

/** One write of a phase as the store recorded it. */
interface RecordedWrite {
  key: string;
  op: 'create' | 'update' | 'delete';
  value: string | undefined;
  /** The value before the write (updates, deletes); seeds the floor store for keys older than the phase. */
  prevValue: string | undefined;
}

/**
 * The writes with revision in (from, to], read back from the store's history. Only a key's
 * first write keeps its prevValue (the seed). Ends at revision `to`, or after 2 s without
 * events (on a shared etcd the last revisions of the window may belong to another prefix).
 */
function recordWrites(store: Store, from: number, to: number): Promise<RecordedWrite[]> {
  return new Promise((resolve, reject) => {
    const out: RecordedWrite[] = [];
    if (to <= from) {
      resolve(out);
      return;
    }
    const seen = new Set<string>();
    let idle: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(idle);
      w.stop();
      resolve(out);
    };
    const w = store.watch('', from, {
      onEvents: (events) => {
        for (const ev of events) {
          if (ev.revision > to) break;
          const op = ev.type === 'delete' ? 'delete' : ev.createRevision === ev.revision ? 'create' : 'update';
          const first = !seen.has(ev.key);
          seen.add(ev.key);
          out.push({ key: ev.key, op, value: ev.value, prevValue: first ? ev.prevValue : undefined });
        }
        if ((events[events.length - 1]?.revision ?? 0) >= to) return finish();
        clearTimeout(idle);
        idle = setTimeout(finish, 2000);
      },
      onError: (err) => {
        clearTimeout(idle);
        reject(err);
      },
    });
    idle = setTimeout(finish, 2000);
  });
}

/**
 * The replay floor: a fresh bare store of the same backend makes exactly the phase's writes
 * (same keys and values, creates, updates with their preconditions, deletes) as durable
 * writes, 64 writers, each key's writes in their original order on one writer. Keys that
 * existed before the phase are created first, untimed, with their value before the phase.
 */
async function replayFloor(target: FloorTarget, writes: RecordedWrite[], concurrency = 64): Promise<{ ms: number; cpuMs: number }> {
  const file = target.kind === 'sqlite' ? path.join(target.dir, `replay-${writes.length}-${Date.now()}.db`) : '';
  const store: Store =
    target.kind === 'sqlite'
      ? await SqliteStore.open(file)
      : await EtcdStore.open({ endpoints: target.endpoint.split(','), prefix: `/bench-scale-replay-${Math.random().toString(36).slice(2, 10)}` });
  try {
    const modRev = new Map<string, number>();
    const seen = new Set<string>();
    const seed: Array<[string, string]> = [];
    for (const wr of writes) {
      if (seen.has(wr.key)) continue;
      seen.add(wr.key);
      if (wr.op !== 'create' && wr.prevValue !== undefined) seed.push([wr.key, wr.prevValue]);
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < seed.length; i = next++) modRev.set(seed[i]![0], await store.create(seed[i]![0], seed[i]![1]));
      }),
    );
    const lanes: RecordedWrite[][] = Array.from({ length: concurrency }, () => []);
    for (const wr of writes) lanes[laneOf(wr.key, concurrency)]!.push(wr);
    const t0 = performance.now();
    const c0 = cpuMsOfSelf();
    await Promise.all(
      lanes.map(async (lane) => {
        for (const wr of lane) {
          if (wr.op === 'create') modRev.set(wr.key, await store.create(wr.key, wr.value ?? ''));
          else if (wr.op === 'update') modRev.set(wr.key, await store.update(wr.key, wr.value ?? '', modRev.get(wr.key) ?? 0));
          else {
            await store.delete(wr.key, modRev.get(wr.key));
            modRev.delete(wr.key);
          }
        }
      }),
    );
    return { ms: performance.now() - t0, cpuMs: cpuMsOfSelf() - c0 };
  } finally {
    if (target.kind === 'etcd') await deleteAll(store).catch(() => undefined);
    await store.close();
    if (file) for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
}

/** Counts writes by the resource segment of their key (`/registry/<group>/<resource>/...`) and operation. */
function writesByResource(writes: RecordedWrite[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const wr of writes) {
    const k = `${wr.key.split('/').slice(2, 4).join('/')} ${wr.op}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}

/** Time for a fresh bare store of the same backend to make `writes` durable creates with `concurrency` writers. */
async function storeFloor(target: FloorTarget, writes: number, concurrency = 64): Promise<{ ms: number; cpuMs: number }> {
  const file = target.kind === 'sqlite' ? path.join(target.dir, `floor-${writes}-${Date.now()}.db`) : '';
  const store: Store =
    target.kind === 'sqlite'
      ? await SqliteStore.open(file)
      : await EtcdStore.open({ endpoints: target.endpoint.split(','), prefix: `/bench-scale-floor-${Math.random().toString(36).slice(2, 10)}` });
  try {
    let next = 0;
    const t0 = performance.now();
    const c0 = cpuMsOfSelf();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < writes; i = next++) {
          const name = `pod-${i}`;
          await store.create(`/registry/pods/bench/${name}`, sampleValue(name));
        }
      }),
    );
    return { ms: performance.now() - t0, cpuMs: cpuMsOfSelf() - c0 };
  } finally {
    if (target.kind === 'etcd') await deleteAll(store).catch(() => undefined);
    await store.close();
    if (file) for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
}

/** Deletes every key of `store` (all of its prefix), page by page. */
async function deleteAll(store: Store): Promise<void> {
  for (;;) {
    const page = await store.list('', { limit: 1000 });
    await Promise.all(page.items.map((kv) => store.delete(kv.key).catch(() => undefined)));
    if (!page.more) return;
  }
}

// ---------------------------------------------------------------------------------------------

function daemonSet(image: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fleet-agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'fleet-agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
      template: {
        metadata: { labels: { app: 'fleet-agent' } },
        spec: { containers: [{ name: 'agent', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

interface RunOptions {
  readyDelayMs: number;
  hollow: 'process' | 'in-process';
  phaseTimeoutMs: number;
  log: (line: string) => void;
  /** undefined: SQLite in the run's data dir. */
  etcdEndpoint?: string;
  burstReplicas?: number;
  heapGrowthPercent: number | undefined;
}

async function runOne(n: number, o: RunOptions): Promise<ScaleResult> {
  const log = o.log;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-scale-'));
  const storeKind: ScaleStoreKind = o.etcdEndpoint ? 'etcd' : 'sqlite';
  const floorTarget: FloorTarget = o.etcdEndpoint ? { kind: 'etcd', endpoint: o.etcdEndpoint } : { kind: 'sqlite', dir };
  const cpu0 = process.cpuUsage();
  const server = await startServer({
    dataDir: dir,
    listen: '127.0.0.1:0',
    ...(o.etcdEndpoint ? { storeUrl: `etcd://${o.etcdEndpoint}?prefix=/bench-scale-${n}-${Math.random().toString(36).slice(2, 10)}` } : {}),
    logger: createLogger({ name: 'apiserver', level: 'warn' }),
    // No periodic compaction: the replay floor reads every phase's writes back from history
    // (the default compactor runs every 60 s; the SQLite runs end before it would fire).
    compaction: false,
    controllers: { leaderElection: false, ...(o.burstReplicas ? { daemonSet: { burstReplicas: o.burstReplicas } } : {}) },
  });
  const hollows: HollowHandle[] = [];
  const observer = new Observer(new RestClient(inProcessTransport(server.handler, { userAgent: 'bench-scale' })));
  const client = new RestClient(inProcessTransport(server.handler, { userAgent: 'bench-scale' }));
  const rev = (): Promise<number> => server.store.currentRevision();
  const kubeconfig = server.kubeconfigPath;
  const hollowCpu = (): number => hollows.reduce((a, h) => a + h.cpuMs(), 0);
  /** CPU marks at a phase's start; `cpuSince` gives the phase's server and hollow CPU ms. */
  const cpuMark = (): { self: number; hollow: number } => ({ self: cpuMsOfSelf(), hollow: hollowCpu() });
  const cpuSince = (m: { self: number; hollow: number }): { serverCpuMs: number; hollowCpuMs: number } => ({
    serverCpuMs: Math.round(cpuMsOfSelf() - m.self),
    hollowCpuMs: Math.round(hollowCpu() - m.hollow),
  });
  const start = (count: number, prefix: string): Promise<HollowHandle> =>
    o.hollow === 'process' ? spawnHollow(kubeconfig, count, prefix, o.readyDelayMs, log) : inProcessHollow(server, count, prefix, o.readyDelayMs);
  try {
    await observer.start();
    const rev0 = await rev();

    // Setup: N hollow nodes.
    let t = performance.now();
    hollows.push(await start(n, 'hollow-node-'));
    const registerMs = performance.now() - t;
    log(`  ${storeKind} N=${n}: ${n} hollow nodes registered in ${r1(registerMs)} ms (${o.hollow === 'process' ? `process, nice ${hollowNice()}` : o.hollow})`);
    const settled = await settle(rev, n);
    const settledMs = settled.ms;
    log(`  ${storeKind} N=${n}: ${settled.quiet ? 'settled' : 'not settled (gave up waiting)'} ${r1(settledMs)} ms after the last registration`);

    // Fan-out.
    let w = await rev();
    t = performance.now();
    let c = cpuMark();
    observer.addedAt.length = 0;
    observer.readyAt.length = 0;
    const profiler = await startPhaseProfile();
    await client.create(daemonSetsResource, 'default', daemonSet('registry.example/agent:1'));
    await observer.until(() => observer.ds?.status?.numberAvailable === n, o.phaseTimeoutMs, `numberAvailable == ${n}`);
    await profiler?.stop(`fan-out-${storeKind}-${n}`);
    const fanOutMs = performance.now() - t;
    const milestones = observer.milestones(t, n);
    const fanOutWrites = (await rev()) - w;
    const fanOutWindow: [number, number] = [w, w + fanOutWrites];
    const fanOutCpu = cpuSince(c);
    log(`  ${storeKind} N=${n}: fan-out ${r1(fanOutMs)} ms, ${fanOutWrites} writes`);

    // Rollout, maxUnavailable 10%.
    w = await rev();
    t = performance.now();
    c = cpuMark();
    await client.patch(daemonSetsResource, 'default', 'fleet-agent', 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'agent', image: 'registry.example/agent:2' }] } } },
    });
    await observer.until(() => observer.rolledOut('registry.example/agent:2', n), o.phaseTimeoutMs, 'rollout to agent:2');
    const rolloutUMs = performance.now() - t;
    const rolloutUWrites = (await rev()) - w;
    const rolloutUWindow: [number, number] = [w, w + rolloutUWrites];
    const rolloutUCpu = cpuSince(c);
    log(`  ${storeKind} N=${n}: rollout maxUnavailable=10% ${r1(rolloutUMs)} ms, ${rolloutUWrites} writes`);

    // Rollout, maxSurge 10%, maxUnavailable 0.
    w = await rev();
    t = performance.now();
    c = cpuMark();
    await client.patch(daemonSetsResource, 'default', 'fleet-agent', 'strategic', {
      spec: {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } },
        template: { spec: { containers: [{ name: 'agent', image: 'registry.example/agent:3' }] } },
      },
    });
    await observer.until(() => observer.rolledOut('registry.example/agent:3', n), o.phaseTimeoutMs, 'rollout to agent:3');
    const rolloutSMs = performance.now() - t;
    const rolloutSWrites = (await rev()) - w;
    const rolloutSWindow: [number, number] = [w, w + rolloutSWrites];
    const rolloutSCpu = cpuSince(c);
    log(`  ${storeKind} N=${n}: rollout maxSurge=10% ${r1(rolloutSMs)} ms, ${rolloutSWrites} writes`);

    // Churn: N/10 new nodes.
    const m = Math.max(1, Math.round(n / 10));
    w = await rev();
    t = performance.now();
    c = cpuMark();
    const churnPrefix = 'hollow-churn-';
    const churnNames = Array.from({ length: m }, (_, i) => `${churnPrefix}${i}`);
    const churnStarted = start(m, churnPrefix);
    await observer.until(() => churnNames.every((x) => observer.firstPodAt.has(x)), o.phaseTimeoutMs, `daemon pods on ${m} new nodes`);
    const churnMs = performance.now() - t;
    hollows.push(await churnStarted);
    // The churn process's CPU counts whole (it started in this phase); the first one's from the mark.
    const churnCpu = cpuSince(c);
    await observer.until(() => observer.ds?.status?.numberAvailable === n + m, o.phaseTimeoutMs, `numberAvailable == ${n + m}`);
    const availableMs = performance.now() - t;
    const churnWrites = (await rev()) - w;
    const churnWindow: [number, number] = [w, w + churnWrites];
    const lat = churnNames.map((x) => (observer.firstPodAt.get(x) ?? 0) - (observer.nodeAddedAt.get(x) ?? 0)).sort((a, b) => a - b);
    log(`  ${storeKind} N=${n}: churn +${m} nodes: all have pods ${r1(churnMs)} ms (per node p50 ${r1(percentile(lat, 50))} max ${r1(lat[lat.length - 1] ?? 0)}), available ${r1(availableMs)} ms`);

    const totalWrites = (await rev()) - rev0;
    // The peak is read before the forced collection below, so it is the server's own: that
    // collection is the benchmark's (a compacting one copies live objects to fresh pages before
    // it frees the old ones), and the server never forces one.
    const peakRssMB = r1(readPeakRssKb() / 1024);
    // With `node --expose-gc` the other figures are taken after a full collection (live memory).
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    const heapSpaces: Record<string, [number, number]> = Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .filter((x) => x.space_size > 0)
        .map((x) => [x.space_name, [r1(x.space_size / 2 ** 20), r1(x.space_used_size / 2 ** 20)]]),
    );
    // A heap snapshot for memory work (after the figures: writing it costs memory itself).
    if (process.env.EVERYNODE_BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(process.env.EVERYNODE_BENCH_HEAP_SNAPSHOT);
    const cpu = process.cpuUsage(cpu0);
    const hollowRss = hollows[0]?.rssBytes() ?? 0;
    const rawStore = server.store instanceof EncryptingStore ? server.store.raw : server.store;
    const st = rawStore instanceof SqliteStore ? rawStore.stats() : undefined;
    const storeCommits = st ? { commits: st.commits, writesPerCommit: r1(st.writes / Math.max(1, st.commits)), maxBatch: st.maxBatch } : null;

    // Stop the load, read each phase's writes back, then the floors in the same run.
    observer.stop();
    for (const h of hollows.splice(0)) await h.stop();
    const recorded = {
      fanOut: await recordWrites(server.store, ...fanOutWindow),
      rolloutU: await recordWrites(server.store, ...rolloutUWindow),
      rolloutS: await recordWrites(server.store, ...rolloutSWindow),
      churn: await recordWrites(server.store, ...churnWindow),
    };
    await server.close();
    const floorRateWrites = 20_000;
    const floorRateMs = (await storeFloor(floorTarget, floorRateWrites)).ms;
    const floorWritesPerSec = (floorRateWrites / floorRateMs) * 1000;
    const phase = async (ms: number, writes: number, cpu: { serverCpuMs: number; hollowCpuMs: number }, own: RecordedWrite[]): Promise<PhaseResult> => {
      const floor = await storeFloor(floorTarget, writes);
      const replay = await replayFloor(floorTarget, own);
      return {
        ms: r1(ms),
        writes,
        floorMs: r1(floor.ms),
        ratio: Math.round((ms / floor.ms) * 100) / 100,
        ...cpu,
        floorCpuMs: Math.round(floor.cpuMs),
        replayFloorMs: r1(replay.ms),
        replayRatio: Math.round((ms / replay.ms) * 100) / 100,
        replayCpuMs: Math.round(replay.cpuMs),
        writesByResource: writesByResource(own),
      };
    };
    const fanOut = await phase(fanOutMs, fanOutWrites, fanOutCpu, recorded.fanOut);
    const rolloutMaxUnavailable = await phase(rolloutUMs, rolloutUWrites, rolloutUCpu, recorded.rolloutU);
    const rolloutMaxSurge = await phase(rolloutSMs, rolloutSWrites, rolloutSCpu, recorded.rolloutS);
    const churnPhase = await phase(churnMs, churnWrites, churnCpu, recorded.churn);
    // The transport's share of a node request, measured now, on the machine as it is in this run.
    const h2Us = (await benchHttpsFloor({ requests: 10_000, protocols: ['h2'] }))[0]!.serverCpuUsPerRequest;
    return {
      store: storeKind,
      nodes: n,
      hollow: o.hollow,
      ...(o.hollow === 'process' ? { hollowNice: hollowNice() } : {}),
      registerMs: r1(registerMs),
      settleMs: r1(settledMs),
      fanOut: { ...fanOut, milestones },
      rolloutMaxUnavailable,
      rolloutMaxSurge,
      churn: { ...churnPhase, newNodes: m, podP50Ms: r1(percentile(lat, 50)), podMaxMs: r1(lat[lat.length - 1] ?? 0), availableMs: r1(availableMs) },
      totalWrites,
      serverRssMB: r1(mem.rss / 2 ** 20),
      serverHeapMB: r1(mem.heapUsed / 2 ** 20),
      serverPeakRssMB: peakRssMB,
      heapGrowthPercent: o.heapGrowthPercent ?? null,
      serverMemoryMB: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, r1(v / 2 ** 20)])),
      serverHeapSpacesMB: heapSpaces,
      serverCpuSeconds: r1((cpu.user + cpu.system) / 1e6),
      hollowRssMBPer1000: o.hollow === 'process' ? r1(hollowRss / 2 ** 20 / (n / 1000)) : null,
      floorWritesPerSec: Math.round(floorWritesPerSec),
      storeCommits,
      fanOutBudget: fanOutBudget(fanOut, h2Us, os.availableParallelism()),
    };
  } finally {
    observer.stop();
    for (const h of hollows) await h.stop().catch(() => {});
    await server.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScaleBenchRun {
  results: ScaleResult[];
  /** Backends asked for but not run, with why (e.g. no etcd binary). */
  skipped: Array<{ store: ScaleStoreKind; reason: string }>;
}

/**
 * Runs every fleet size on each backend of `stores` (default ['sqlite']), one after the other.
 * For etcd without `etcdEndpoint`, one single-member etcd is started for all its sizes (each
 * size under its own key prefix) and stopped afterwards; without the binary etcd is skipped.
 */
export async function benchScaleOnStores(opts: Omit<ScaleBenchOptions, 'store'> & { stores?: ScaleStoreKind[] } = {}): Promise<ScaleBenchRun> {
  const out: ScaleBenchRun = { results: [], skipped: [] };
  const log = opts.log ?? ((l: string) => console.error(l));
  for (const kind of opts.stores ?? ['sqlite']) {
    if (kind === 'sqlite' || opts.etcdEndpoint) {
      out.results.push(...(await benchScale({ ...opts, store: kind })));
      continue;
    }
    if (!etcdAvailable()) {
      out.skipped.push({ store: 'etcd', reason: etcdSkipReason });
      continue;
    }
    const etcd = await startEtcd();
    try {
      log(`scale on etcd (started for this run on ${etcd.endpoint}, data dir ${etcd.dataDir})`);
      out.results.push(...(await benchScale({ ...opts, store: 'etcd', etcdEndpoint: etcd.endpoint })));
    } finally {
      await etcd.stop();
    }
  }
  return out;
}

/** One backend, every fleet size. `store: 'etcd'` needs `etcdEndpoint` (see benchScaleOnStores). */
export async function benchScale(opts: ScaleBenchOptions = {}): Promise<ScaleResult[]> {
  const hollow = opts.hollow ?? (existsSync(everynodeBin) ? 'process' : 'in-process');
  if (opts.store === 'etcd' && !opts.etcdEndpoint) throw new Error('benchScale on etcd needs etcdEndpoint (or use benchScaleOnStores)');
  // The server runs in this process: give it the heap policy `everynode server` applies.
  const heapGrowthPercent = applyServerHeapPolicy();
  const o: RunOptions = {
    heapGrowthPercent,
    readyDelayMs: opts.readyDelayMs ?? 100,
    hollow,
    phaseTimeoutMs: opts.phaseTimeoutMs ?? 600_000,
    log: opts.log ?? ((l: string) => console.error(l)),
    ...(opts.store === 'etcd' && opts.etcdEndpoint ? { etcdEndpoint: opts.etcdEndpoint } : {}),
    ...(opts.burstReplicas ? { burstReplicas: opts.burstReplicas } : {}),
  };
  const out: ScaleResult[] = [];
  for (const n of opts.nodes ?? [1000, 5000]) out.push(await runOne(n, o));
  return out;
}

function fmtPhase(p: PhaseResult): string[] {
  return [
    p.ms.toFixed(0),
    String(p.writes),
    p.floorMs.toFixed(0),
    `${p.ratio.toFixed(2)}x`,
    p.replayFloorMs.toFixed(0),
    `${p.replayRatio.toFixed(2)}x`,
    String(p.serverCpuMs),
    String(p.hollowCpuMs),
    String(p.floorCpuMs),
  ];
}

/**
 * The phase's Lease renewals and DaemonSet status writes: the background load a phase carries
 * beside its own pod writes (a fleet renews N/10 Leases a second), so runs can be compared.
 */
function loadNote(p: PhaseResult): string {
  const leases = p.writesByResource['coordination.k8s.io/leases update'] ?? 0;
  const dsStatus = p.writesByResource['apps/daemonsets update'] ?? 0;
  return `${leases} Lease renewals (${p.ms > 0 ? Math.round((leases * 1000) / p.ms) : 0}/s), ${dsStatus} DaemonSet updates`;
}

export function formatScaleBench(results: ScaleResult[], table: (head: string[], rows: string[][]) => string): string {
  const lines: string[] = [];
  lines.push(
    'Phases (ms; writes = store revisions; floor = bare store of the same backend making as many durable creates, 64 writers; ' +
      'replay = the same bare store making the phase\'s own writes, 64 writers)',
  );
  const rows: string[][] = [];
  for (const r of results) {
    const k = [r.store, String(r.nodes)];
    const m = r.fanOut.milestones;
    rows.push([...k, 'fan-out', ...fmtPhase(r.fanOut), `pods created by ${m.allPodsMs} ms (half ${m.halfPodsMs}), Ready by ${m.allReadyMs} ms (half ${m.halfReadyMs}); ${loadNote(r.fanOut)}`]);
    rows.push([...k, 'rollout maxUnavailable 10%', ...fmtPhase(r.rolloutMaxUnavailable), loadNote(r.rolloutMaxUnavailable)]);
    rows.push([...k, 'rollout maxSurge 10%', ...fmtPhase(r.rolloutMaxSurge), loadNote(r.rolloutMaxSurge)]);
    rows.push([...k, `churn +${r.churn.newNodes} nodes`, ...fmtPhase(r.churn), `per node p50 ${r.churn.podP50Ms} ms, max ${r.churn.podMaxMs} ms; available after ${r.churn.availableMs} ms`]);
  }
  lines.push(table(['store', 'nodes', 'phase', 'ms', 'writes', 'floor ms', 'ratio', 'replay ms', 'replay ratio', 'server CPU ms', 'hollow CPU ms', 'floor CPU ms', 'note'], rows));
  lines.push('');
  lines.push('Resources');
  lines.push(
    table(
      ['store', 'nodes', 'hollow', 'register ms', 'total writes', 'writes/commit', 'server RSS MB', 'peak RSS MB', 'server heap MB', 'server CPU s', 'hollow MB/1000 nodes', 'store floor writes/s'],
      results.map((r) => [
        r.store,
        String(r.nodes),
        r.hollowNice ? `${r.hollow} (nice ${r.hollowNice})` : r.hollow,
        r.registerMs.toFixed(0),
        String(r.totalWrites),
        r.storeCommits ? String(r.storeCommits.writesPerCommit) : '-',
        r.serverRssMB.toFixed(0),
        r.serverPeakRssMB.toFixed(0),
        r.serverHeapMB.toFixed(0),
        r.serverCpuSeconds.toFixed(1),
        r.hollowRssMBPer1000 === null ? '-' : r.hollowRssMBPer1000.toFixed(1),
        String(r.floorWritesPerSec),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    `Fan-out budget at ${scaleTargets.fanOutRatio}x the replay floor (CPU ms over every core; floors measured in this run: the hollow process, ` +
      'a bare Node.js HTTP/2 exchange per node request, the bare store making the fan-out\'s writes; etcd: its own CPU not counted)',
  );
  lines.push(
    table(
      ['store', 'nodes', 'allowed ms', 'cores', 'CPU ms allowed', 'hollow CPU ms', 'node requests', 'h2 us/request', 'transport CPU ms', 'store CPU ms', 'left us/write', 'server now us/write'],
      results.map((r) => {
        const b = r.fanOutBudget;
        return [r.store, String(r.nodes), b.allowedMs.toFixed(0), String(b.cores), String(b.allowedCpuMs), String(b.hollowCpuMs), String(b.nodeRequests), b.h2FloorUsPerRequest.toFixed(1), String(b.transportCpuMs), String(b.storeCpuMs), String(b.leftUsPerWrite), String(b.serverUsPerWrite)];
      }),
    ),
  );
  const t = scaleTargets;
  lines.push('');
  lines.push(
    `targets (5,000 nodes): fan-out <= ${t.fanOut5kMs} ms and <= ${t.fanOutRatio}x floor; rollout maxUnavailable 10% <= ${t.rollout5kMs} ms; ` +
      `new node's daemon pod <= ${t.churnPodMaxMs} ms; server RSS <= ${t.serverRssMB} MB; hollow <= ${t.hollowMBPer1000} MB per 1,000 nodes`,
  );
  return lines.join('\n');
}
