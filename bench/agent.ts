// Node agent benchmark (issue 6).
//
// 1. Pod startup latency: an in-process API server with its controllers and three in-process
//    agents on local nodes (127.0.1.1-3) running real processes. Each rollout creates a
//    DaemonSet of `sleep` and times until all three pods are Ready as a pod informer sees them
//    (DaemonSet created → controller creates pods → agents start processes → status Ready);
//    the DaemonSet is then deleted and every process waited for before the next rollout.
//    Target: p99 ≤ 1 s (upstream's pod startup SLO is 5 s). Baseline in the same run: the
//    round trip of creating and deleting one ConfigMap-sized object (a Pod with no node).
// 2. Agent memory: the agent as a child process with 10 `sleep` pods bound to it; its resident
//    set (VmRSS from /proc) idle with no pods (baseline) and idle with the 10 pods running, once
//    as `everynode agent` (the binary, which loads every command's code) and once from an entry
//    that loads only src/cmd/agent.js. Target: ≤ 60 MB with 10 pods.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { DaemonSet, Pod } from '../src/api/types.js';
import { startAgent, type RunningAgent } from '../src/agent/index.js';
import { startServer } from '../src/apiserver/index.js';
import { Informer, clientFromKubeconfig, daemonSetsResource, nodesResource, podsResource, type RestClient } from '../src/client/index.js';
import { createLogger } from '../src/util/logger.js';

export interface AgentBenchOptions {
  /** DaemonSet rollouts timed (default 20). */
  rollouts?: number;
  /** Pods on the agent whose memory is measured (default 10). */
  idlePods?: number;
  /** Idle time before the RSS is sampled (default 5000 ms). */
  idleMs?: number;
}

export interface AgentBenchResult {
  nodes: number;
  rollouts: number;
  startup: { p50ms: number; p99ms: number; maxMs: number; meanMs: number };
  baseline: { what: string; p50ms: number; p99ms: number };
  rss: RssRow[];
}

export interface RssRow {
  /** How the agent was started. */
  variant: string;
  pods: number;
  /** VmRSS: resident memory, the node binary's shared file pages included. */
  idleNoPodsMB: number;
  idleWithPodsMB: number;
  /** RssAnon with the pods: the process's own (anonymous) resident memory. */
  anonWithPodsMB: number;
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(20);
  }
}

/** Live processes started with `TAG=<tag>` in their environment (the benchmark's pods). */
function pidsWith(tag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`TAG=${tag}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') out.push(Number(name));
    } catch {
      // raced with exit
    }
  }
  return out;
}

function rssMB(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function isReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function sleepDaemonSet(name: string, tag: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { bench: name } },
      template: {
        metadata: { labels: { bench: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'sleep', image: 'sh', command: ['sleep', '1000'], args: [], env: [{ name: 'TAG', value: tag }], workingDir: '/' }] },
      },
    },
  };
}

async function benchStartup(dir: string, rollouts: number, tag: string): Promise<Pick<AgentBenchResult, 'startup' | 'baseline' | 'nodes'>> {
  const logger = createLogger({ level: 'error', name: 'bench' });
  const server = await startServer({ dataDir: path.join(dir, 'server'), listen: '127.0.0.1:0', logger, controllers: true });
  const agents: RunningAgent[] = [];
  const { client } = clientFromKubeconfig(server.kubeconfigPath);
  const informer = new Informer<Pod>(client, podsResource, { namespace: 'default' });
  try {
    for (let i = 1; i <= 3; i++) {
      const agent = await startAgent({
        client: clientFromKubeconfig(server.kubeconfigPath).client,
        nodeName: `node-${i}`,
        nodeIP: `127.0.1.${i}`,
        dataDir: path.join(dir, 'nodes', `node-${i}`),
        port: 0,
        logger,
      });
      agents.push(agent);
      await agent.ready();
    }
    let waiter: { name: string; resolve: () => void } | undefined;
    const check = (): void => {
      if (!waiter) return;
      const w = waiter;
      const pods = informer.lister.list().filter((p) => p.metadata.labels?.bench === w.name && !p.metadata.deletionTimestamp);
      if (pods.length === 3 && pods.every(isReady)) {
        waiter = undefined;
        w.resolve();
      }
    };
    informer.addEventHandler({ add: check, update: check, delete: check });
    informer.start();
    await informer.waitForSync();

    // Baseline: create + delete of one unscheduled Pod through the same API.
    const base: number[] = [];
    for (let i = 0; i < rollouts; i++) {
      const t0 = performance.now();
      await client.create<Pod>(podsResource, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `base-${i}` }, spec: { containers: [{ name: 'c', image: 'x', command: ['true'] }] } });
      await client.delete(podsResource, 'default', `base-${i}`, { gracePeriodSeconds: 0 });
      base.push(performance.now() - t0);
    }

    const times: number[] = [];
    for (let i = 0; i < rollouts; i++) {
      const name = `startup-${i}`;
      const allReady = new Promise<void>((resolve) => (waiter = { name, resolve }));
      const t0 = performance.now();
      await client.create(daemonSetsResource, 'default', sleepDaemonSet(name, tag));
      check();
      await Promise.race([allReady, sleepMs(60_000).then(() => Promise.reject(new Error(`rollout ${name}: pods not Ready within 60 s`)))]);
      times.push(performance.now() - t0);
      await client.delete(daemonSetsResource, 'default', name);
      await waitUntil(`pods of ${name} gone`, () => !informer.lister.list().some((p) => p.metadata.labels?.bench === name));
      await waitUntil(`processes of ${name} gone`, () => pidsWith(tag).length === 0);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const sb = [...base].sort((a, b) => a - b);
    return {
      nodes: 3,
      startup: { p50ms: quantile(sorted, 0.5), p99ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? NaN, meanMs: times.reduce((a, b) => a + b, 0) / times.length },
      baseline: { what: 'create+delete of one Pod', p50ms: quantile(sb, 0.5), p99ms: quantile(sb, 0.99) },
    };
  } finally {
    await informer.stop();
    await Promise.all(agents.map((a) => a.stop({ stopPods: true, gracePeriodSeconds: 0 })));
    await server.close();
  }
}

/**
 * The agent's memory as a child process. `entry` is the script run by node with the agent's
 * arguments: the `everynode` binary (`agent` prepended), or a one-line script that imports only
 * `src/cmd/agent.js` (what a dedicated agent binary would load).
 */
async function benchRss(dir: string, pods: number, idleMs: number, tag: string, variant: 'everynode agent' | 'agent entry only'): Promise<RssRow> {
  const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const bin = path.join(distRoot, 'src', 'cmd', 'everynode.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\``);
  let argv0: string[];
  if (variant === 'everynode agent') argv0 = [bin, 'agent'];
  else {
    const script = path.join(dir, 'agent-entry.mjs');
    writeFileSync(script, `import { runAgent } from ${JSON.stringify(pathToFileURL(path.join(distRoot, 'src', 'cmd', 'agent.js')).href)};\nawait runAgent(process.argv.slice(2));\n`);
    argv0 = [script];
  }
  const logger = createLogger({ level: 'error', name: 'bench' });
  const node = variant === 'everynode agent' ? 'rss-node' : 'rss-node-entry';
  const server = await startServer({ dataDir: path.join(dir, `server-${node}`), listen: '127.0.0.1:0', logger, controllers: true });
  const client: RestClient = clientFromKubeconfig(server.kubeconfigPath).client;
  const agent = spawn(process.execPath, [...argv0, '--server', server.url, '--kubeconfig', server.kubeconfigPath, '--name', node, '--node-ip', '127.0.1.1', '--port', '0', '--data-dir', path.join(dir, `agent-${node}`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EVERYNODE_LOG_LEVEL: 'error' },
  });
  let out = '';
  agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  agent.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitUntil('the agent serving', () => out.includes('serving logs on'), 30_000);
    await waitUntil('the node registered', async () => {
      try {
        await client.get(nodesResource, '', node);
        return true;
      } catch {
        return false;
      }
    });
    await sleepMs(idleMs);
    const idleNoPodsMB = rssMB(agent.pid!);
    for (let i = 0; i < pods; i++) {
      await client.create<Pod>(podsResource, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `idle-${i}` },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'sleep', image: 'sh', command: ['sleep', '1000'], env: [{ name: 'TAG', value: tag }], workingDir: '/' }] },
      });
    }
    await waitUntil(`${pods} pods Running`, async () => {
      const list = await client.list<Pod>(podsResource, { namespace: 'default' });
      return list.items.filter((p) => p.metadata.name?.startsWith('idle-') && p.status?.phase === 'Running').length === pods;
    });
    await sleepMs(idleMs);
    // The resident set after a quiet period: sampled a few times, the largest reported.
    let idleWithPodsMB = 0;
    let anonWithPodsMB = 0;
    for (let i = 0; i < 5; i++) {
      idleWithPodsMB = Math.max(idleWithPodsMB, rssMB(agent.pid!));
      anonWithPodsMB = Math.max(anonWithPodsMB, rssMB(agent.pid!, 'RssAnon'));
      await sleepMs(200);
    }
    for (let i = 0; i < pods; i++) await client.delete(podsResource, 'default', `idle-${i}`);
    await waitUntil('the idle pods stopped', () => pidsWith(tag).length === 0, 30_000);
    return { variant, pods, idleNoPodsMB, idleWithPodsMB, anonWithPodsMB };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await server.close();
  }
}

export async function benchAgent(o: AgentBenchOptions = {}): Promise<AgentBenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-agent-'));
  const tag = `everynode-bench-${randomBytes(4).toString('hex')}`;
  try {
    const startup = await benchStartup(dir, o.rollouts ?? 20, tag);
    const rss = [
      await benchRss(dir, o.idlePods ?? 10, o.idleMs ?? 5000, tag, 'everynode agent'),
      await benchRss(dir, o.idlePods ?? 10, o.idleMs ?? 5000, tag, 'agent entry only'),
    ];
    return { ...startup, rollouts: o.rollouts ?? 20, rss };
  } finally {
    for (const pid of pidsWith(tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatAgentBench(r: AgentBenchResult, table: (head: string[], rows: string[][]) => string): string {
  return [
    `Pod startup latency: DaemonSet created -> all ${r.nodes} pods Ready (in-process server + ${r.nodes} agents, real processes), ${r.rollouts} rollouts`,
    table(
      ['measure', 'p50 ms', 'p99 ms', 'max ms', 'target'],
      [
        ['DaemonSet -> all pods Ready', r.startup.p50ms.toFixed(0), r.startup.p99ms.toFixed(0), r.startup.maxMs.toFixed(0), 'p99 <= 1000'],
        [`baseline: ${r.baseline.what}`, r.baseline.p50ms.toFixed(1), r.baseline.p99ms.toFixed(1), '', ''],
      ],
    ),
    '',
    'Agent memory: the agent as a child process, idle; VmRSS (and RssAnon, its private part) from /proc/<pid>/status',
    table(
      ['agent started as', 'RSS MB, no pods', `RSS MB, ${r.rss[0]?.pods ?? 0} pods`, `RssAnon MB, ${r.rss[0]?.pods ?? 0} pods`, 'target'],
      r.rss.map((x) => [x.variant, x.idleNoPodsMB.toFixed(1), x.idleWithPodsMB.toFixed(1), x.anonWithPodsMB.toFixed(1), 'RSS <= 60']),
    ),
  ].join('\n');
}
