// `everynode hollow-nodes`: hollow nodes in their own process.
//
//   everynode hollow-nodes [--server URL] [--kubeconfig FILE] --count N [--name-prefix P]
//     [--first-index I] [--ready-delay-ms MS] [--failure-rate F] [--lease-duration-seconds S]
//     [--concurrency C] [--labels k=v,k=v] [--stats-interval-ms MS]
//
// Output contract (stdout, one JSON object per line, for scripts and bench/scale.ts):
//   {"event":"ready","nodes":N,"ms":T,"rssBytes":R}   once every node is registered
//   {"event":"stats",...HollowNodesStats,"rssBytes":R} every --stats-interval-ms (0: never)
// Runs until SIGTERM/SIGINT, then stops (Nodes stay registered) and exits 0.

import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { parseArgs } from 'node:util';
import { applyServerHeapPolicy } from '../util/heap.js';
import { KubeconfigTransport, RestClient } from '../client/index.js';
import { createLogger, type Logger } from '../util/logger.js';
import { defaultLoopConcurrency, hollowMaxSockets, startHollowNodes } from './hollow-nodes.js';

export const hollowNodesUsage = `  hollow-nodes  simulate many nodes in this process (registration, leases, pod lifecycle)
           --kubeconfig FILE         the cluster and credentials (default: $KUBECONFIG, else
                                     ./.everynode/kubeconfig.yaml)
           --server URL              the API server's address instead of the kubeconfig's (the
                                     credentials and CA still come from the kubeconfig)
           --count N                 nodes to register (required)
           --name-prefix P           node names are P<index> (default hollow-node-)
           --first-index I           first index (default 0)
           --ready-delay-ms MS       pod Pending -> Running+Ready delay (default 100)
           --failure-rate F          share of pods whose container fails, 0..1 (default 0)
           --lease-duration-seconds S  (default 40; renewed every S/4)
           --concurrency C           the write loops (Nodes, Leases, pods) share 3 x C API
                                     writes in flight, each sure of C/2 (default 64)
           --labels k=v,k=v          extra node labels
           --stats-interval-ms MS    print a stats line every MS (default 0: never)
           For thousands of nodes, start it with NODE_OPTIONS=--max-semi-space-size=32
           (a larger young generation): less CPU for ~6 MB more per 1,000 nodes.
`;

/**
 * Node flags for a hollow process simulating thousands of nodes (the scale benchmark starts
 * it with them). Its work is short-lived garbage (each request's and watch event's objects):
 * a young generation of 2 x 32 MB instead of V8's 2 x 16 MB collects it half as often. In a
 * 5,000-node fan-out the process used 2.26-2.34 s of CPU instead of 2.64-3.10 s in three of
 * four interleaved pairs (the fourth ran in a slow minute), for 33 instead of 27 MB per 1,000
 * nodes (docs/performance.md, session 25). V8 reads the flag only at start (set later, it
 * changed nothing), so it is a flag of the process, not something the command sets itself.
 */
export const hollowNodeFlags: readonly string[] = ['--max-semi-space-size=32'];

/** A number flag at least `min` (default 0) and at most `max`, checked before anything is registered. */
function num(v: string | undefined, name: string, dflt: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  const min = range.min ?? 0;
  const what = range.max !== undefined ? `a number in ${min}..${range.max}` : range.integer ? `an integer of at least ${min}` : min === 0 ? 'a non-negative number' : `a number of at least ${min}`;
  if (v.trim() === '' || !Number.isFinite(n) || n < min || (range.max !== undefined && n > range.max) || (range.integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: want ${what}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`--labels: want k=v, got ${JSON.stringify(part)}`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** The client commands' default kubeconfig: the first existing file of $KUBECONFIG, else ./.everynode/kubeconfig.yaml; undefined when none exists. */
function defaultKubeconfig(): string | undefined {
  const candidates = [...(process.env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== ''), './.everynode/kubeconfig.yaml'];
  return candidates.find((p) => existsSync(p));
}

export async function runHollowNodesCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      kubeconfig: { type: 'string' },
      count: { type: 'string' },
      'name-prefix': { type: 'string' },
      'first-index': { type: 'string' },
      'ready-delay-ms': { type: 'string' },
      'failure-rate': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      labels: { type: 'string' },
      'stats-interval-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode hollow-nodes [options]\n${hollowNodesUsage}`);
    return;
  }
  // A long-running simulation whose memory per 1,000 nodes is a measured figure: the same
  // heap policy as the server (src/util/heap.ts).
  applyServerHeapPolicy();
  if (values.count === undefined) throw new Error('hollow-nodes: --count is required');
  // As the client commands: without --kubeconfig, $KUBECONFIG, else ./.everynode/kubeconfig.yaml.
  // The server speaks HTTPS only and only to callers with credentials, so the credentials and
  // CA always come from a kubeconfig; --server replaces only its address.
  const kubeconfig = values.kubeconfig ?? defaultKubeconfig();
  if (!kubeconfig) {
    throw new Error(
      `hollow-nodes: no kubeconfig for the cluster's credentials (no --kubeconfig, no $KUBECONFIG and no ./.everynode/kubeconfig.yaml)${values.server ? '; --server sets only the address' : ''}`,
    );
  }
  const count = num(values.count, 'count', 0);
  const concurrency = Math.max(1, num(values.concurrency, 'concurrency', defaultLoopConcurrency));
  // The kubeconfig's credentials are followed: a rewritten file (rotated token) is picked up
  // on the next 401 instead of every node going NotReady.
  const transport = new KubeconfigTransport(kubeconfig, {
    userAgent: 'everynode-hollow-nodes',
    maxSockets: hollowMaxSockets(concurrency),
    ...(values.server ? { server: values.server } : {}),
    logger: createLogger({ name: 'hollow-nodes' }),
  });
  const client = new RestClient(transport.request);
  let errors = 0;
  const started = Date.now();
  const hollow = await startHollowNodes({
    client,
    count,
    namePrefix: values['name-prefix'] ?? 'hollow-node-',
    firstIndex: num(values['first-index'], 'first-index', 0),
    readyDelayMs: num(values['ready-delay-ms'], 'ready-delay-ms', 100),
    failureRate: num(values['failure-rate'], 'failure-rate', 0, { max: 1 }),
    // A Lease shorter than 1 s is refused by the API after the Nodes were registered: checked here first.
    leaseDurationSeconds: num(values['lease-duration-seconds'], 'lease-duration-seconds', 40, { min: 1, integer: true }),
    concurrency,
    labels: parseLabels(values.labels),
    onError: (e) => {
      // Routine under load (conflicts, retried writes); the count is in the stats line.
      if (++errors <= 5) process.stderr.write(`hollow-nodes: ${e instanceof Error ? e.message : String(e)}\n`);
    },
  });
  const line = (o: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify({ ...o, rssBytes: process.memoryUsage().rss })}\n`);
  };
  // The signals are handled before `ready` is announced: a stop asked for right after it is a clean one.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // The nodes' timers do not hold the process (they are unref'd), and while the server is away
  // (a restart) no socket does either: this holds it until a signal, as a kubelet outlives its
  // API server.
  const alive = setInterval(() => undefined, 1 << 30);
  line({ event: 'ready', nodes: hollow.nodeNames().length, ms: Date.now() - started });
  const every = num(values['stats-interval-ms'], 'stats-interval-ms', 0);
  const statsTimer = every > 0 ? setInterval(() => line({ event: 'stats', ...hollow.stats() }), every) : undefined;
  await stopped;
  clearInterval(alive);
  if (statsTimer) clearInterval(statsTimer);
  await hollow.stop();
  transport.destroy();
}

/**
 * Hollow nodes inside `everynode up` (alongside the real local nodes): a client of its own
 * over HTTP to the server's kubeconfig, `count` nodes named hollow-node-<i>. The kubeconfig is
 * followed (KubeconfigTransport: `token rotate-admin` rewrites it), and a 401 is logged with
 * `logger`. `stop()` stops them (the Nodes stay registered).
 */
export async function startHollowNodesForUp(kubeconfigPath: string, count: number, opts: { readyDelayMs?: number; logger?: Logger } = {}): Promise<{ stop(): Promise<void> }> {
  const transport = new KubeconfigTransport(kubeconfigPath, { userAgent: 'everynode-hollow-nodes', maxSockets: hollowMaxSockets(defaultLoopConcurrency), ...(opts.logger ? { logger: opts.logger } : {}) });
  let hollow;
  try {
    hollow = await startHollowNodes({ client: new RestClient(transport.request), count, ...(opts.readyDelayMs !== undefined ? { readyDelayMs: opts.readyDelayMs } : {}) });
  } catch (e) {
    transport.destroy();
    throw e;
  }
  return {
    stop: async () => {
      await hollow.stop();
      transport.destroy();
    },
  };
}
