// Benchmark entry point: `npm run bench [-- <name>...] [--json FILE] [--quick] [--store sqlite|etcd]...`
// (runs `node dist/bench/run.js`). With no name every benchmark runs. Each prints its tables
// and the machine it ran on; `--json FILE` writes all results as one JSON document.
// Benchmarks never assert; speed targets are compared in the printed tables.

import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchApiOnStores, formatApiBench, formatApiBenchSideBySide, table } from './api.js';
import { benchStore } from './storage.js';
import { benchScaleOnStores, formatScaleBench } from './scale.js';
import { benchController, formatControllerBench } from './controller.js';
import { benchAgent, formatAgentBench } from './agent.js';
import { benchHttpsFloor } from './https.js';

interface Args {
  names: string[];
  json?: string;
  quick: boolean;
  /** Fleet sizes for the scale benchmark (`--nodes 1000,5000`). */
  nodes?: number[];
  /** Backends for the api benchmark (`--store`, repeatable; default sqlite and etcd). */
  stores: ('sqlite' | 'etcd')[];
}

type Runner = (args: Args) => Promise<unknown>;

const benchmarks: Record<string, Runner> = {
  async agent(args) {
    const r = await benchAgent(args.quick ? { rollouts: 5, idleMs: 2000 } : {});
    console.log(formatAgentBench(r, table));
    return r;
  },
  async controller(args) {
    const rows = await benchController({ nodes: args.nodes ?? (args.quick ? [1000] : [1000, 10000]) });
    console.log(formatControllerBench(rows, table));
    return rows;
  },
  async storage(args) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-store-'));
    try {
      const rows = await benchStore({ dir, concurrency: [1, 16, 64], writes: args.quick ? 300 : 5000 });
      console.log('Raw store writes (benchStore)');
      console.log(
        table(
          ['name', 'concurrency', 'ops/s', 'p50 ms', 'p99 ms'],
          rows.map((r) => [r.name, String(r.concurrency), r.opsPerSec.toFixed(0), r.p50ms.toFixed(2), r.p99ms.toFixed(2)]),
        ),
      );
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  async api(args) {
    const sizes = args.quick ? { creates: 300, listSize: 1000, listRuns: 3, watchWrites: 200 } : {};
    const out = await benchApiOnStores({ ...sizes, ...(args.stores.length > 0 ? { stores: args.stores } : {}), log: (l) => console.error(l) });
    for (const r of out.results) {
      console.log(`\n-- ${r.store} --`);
      console.log(formatApiBench(r));
      console.log(`\nRaw store rows (${r.store === 'etcd' ? 'benchEtcdStore' : 'benchStore'}, same run)`);
      console.log(table(['name', 'concurrency', 'ops/s', 'p50 ms', 'p99 ms'], r.storeRows.map((x) => [x.name, String(x.concurrency), x.opsPerSec.toFixed(0), x.p50ms.toFixed(2), x.p99ms.toFixed(2)])));
    }
    for (const s of out.skipped) console.log(`\n-- ${s.store}: skipped (${s.reason}) --`);
    if (out.results.length > 1) console.log(`\n${formatApiBenchSideBySide(out.results)}`);
    return out;
  },
  async https(args) {
    const rows = await benchHttpsFloor(args.quick ? { requests: 5000 } : {});
    console.log('Request floor of one Node.js server thread (PATCH ~1.2 KB JSON in, ~2.5 KB JSON out, 64 keep-alive connections or, h2, 64 streams of one connection; client in another process)');
    console.log(
      table(
        ['protocol', 'requests', 'requests/s', 'server CPU us/request'],
        rows.map((r) => [r.protocol, String(r.requests), String(r.requestsPerSec), r.serverCpuUsPerRequest.toFixed(1)]),
      ),
    );
    return rows;
  },
  async scale(args) {
    const out = await benchScaleOnStores({ nodes: args.nodes ?? (args.quick ? [300] : [1000, 5000]), ...(args.stores.length > 0 ? { stores: args.stores } : {}) });
    console.log(formatScaleBench(out.results, table));
    for (const s of out.skipped) console.log(`\n-- ${s.store}: skipped (${s.reason}) --`);
    return out;
  },
};

function parseArgs(argv: string[]): Args {
  const args: Args = { names: [], quick: false, stores: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') {
      const file = argv[++i];
      if (!file) throw new Error('--json needs a file name');
      args.json = file;
    } else if (a.startsWith('--json=')) args.json = a.slice('--json='.length);
    else if (a === '--quick') args.quick = true;
    else if (a === '--nodes' || a.startsWith('--nodes=')) {
      const v = a === '--nodes' ? argv[++i] : a.slice('--nodes='.length);
      args.nodes = (v ?? '').split(',').map(Number);
      if (args.nodes.length === 0 || args.nodes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--nodes wants positive integers, e.g. 1000,5000');
    }
    else if (a === '--store' || a.startsWith('--store=')) {
      const v = a === '--store' ? argv[++i] : a.slice('--store='.length);
      if (v !== 'sqlite' && v !== 'etcd') throw new Error('--store wants sqlite or etcd');
      args.stores.push(v);
    }
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench [-- <name>...] [--json FILE] [--quick] [--store sqlite|etcd]... [--nodes N[,N...]]\nbenchmarks: ${Object.keys(benchmarks).join(', ')} (all when none is named; --nodes: the scale benchmark's fleet sizes)`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.names.push(a);
  }
  return args;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = args.names.length > 0 ? args.names : Object.keys(benchmarks);
  for (const n of names) if (!benchmarks[n]) throw new Error(`unknown benchmark ${n}; known: ${Object.keys(benchmarks).join(', ')}`);
  const m = machine();
  console.log(`machine: ${m.cpu} x${m.cores}, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}, load ${(m.loadavg as number[]).join(' ')}`);
  console.log(`command: node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trimEnd());
  const results: Record<string, unknown> = {};
  for (const n of names) {
    console.log(`\n== ${n} ==`);
    results[n] = await benchmarks[n]!(args);
  }
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), machine: m, argv: process.argv.slice(2), results }, null, 2)}\n`);
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
