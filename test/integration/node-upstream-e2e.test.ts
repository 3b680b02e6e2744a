// The scenarios of upstream Kubernetes' node and pod conformance e2e tests ([Conformance] and
// [NodeConformance] in test/e2e/common/node/: container_probe.go, init_container.go,
// lifecycle_hook.go, runtime.go, expansion.go, downwardapi.go, pods.go, configmap.go and
// secrets.go (their env-var parts), kubelet.go, containers.go), re-stated for everynode: the real
// API server in process and a real node agent running each container as a host process, driven
// through the real @kubernetes/client-node as upstream drives a cluster through client-go.
//
// What upstream runs in images runs here as host commands: `sh` scripts, and small `node` scripts
// (an HTTP server whose /healthz fails after a while, a gRPC health server) written to a temp dir.
// Files a container writes (upstream's /tmp/health, a counting emptyDir) live in a per-scenario
// temp dir, since containers share the host's filesystem. Probes and hooks reach the node's
// address (127.0.0.1), where host-network containers listen.
//
// Timings are shortened: periodSeconds 1 and initial delays of a few seconds instead of 15, and
// the agent's CrashLoopBackOff starts at 1 s (an agent option; the defaults are the kubelet's),
// so "restarted N times" takes seconds. To stay within about a minute and a half, the scenarios
// start together when the cluster is up, 24 at a time (`scenario` below), and each `it` awaits
// its own outcome.
//
// Not re-stated, because they cannot apply to containers that are host processes (README):
// volume and subPath scenarios (expansion.go's subpath tests, configmap/secret volumes),
// termination messages read from the file at terminationMessagePath (the path is the host's),
// image defaults (containers.go "should use the image defaults": there is no image; a container
// without command runs its args, one without either waits in CreateContainerError), /etc/hosts
// and hostAliases (kubelet.go), read-only root filesystems, security contexts, privileged mode,
// image pulls (runtime.go "when running a container with a new image").

import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../src/agent/index.js';
import { ensurePki } from '../../src/auth/pki.js';
import { HttpTransport, RestClient } from '../../src/client/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { apiClients, Cleanup, killPidsWith, makeTempDir, readWebSocket, sleep, waitFor, type ApiClients } from '../helpers/index.js';
import { type Cluster, startCluster } from './daemonset-harness.js';

const NS = 'node-e2e';
const run = randomBytes(4).toString('hex');
/** In every container's command line, so the cleanup finds what the scenarios left running. */
const marker = `everynode-node-e2e-${run}`;
const nodeName = `node-e2e-${run}`;
const image = 'everynode.test/busybox:1.36';

const cleanup = new Cleanup();
let cluster: Cluster;
let api: ApiClients;
let agent: RunningAgent;
let work: string;
let history: PodHistory;

// ---------------------------------------------------------------------------------------------
// Scenarios: registered at collection, all started once the cluster is up.

const scenarios: { name: string; fn: () => Promise<void> }[] = [];
/** Scenarios running at once (see beforeAll). */
const scenarioConcurrency = 24;
const outcomes = new Map<string, Promise<void>>();

/** An `it` whose body is started in beforeAll (with the others, `scenarioConcurrency` at a time) and awaited here. */
function scenario(name: string, fn: () => Promise<void>): void {
  scenarios.push({ name, fn });
  it(name, async () => {
    const p = outcomes.get(name);
    if (!p) throw new Error('scenario was not started (cluster setup failed)');
    await p;
  }, 150_000);
}

// ---------------------------------------------------------------------------------------------
// Watch history: every version of every pod of the namespace, in arrival order.

class PodHistory {
  private readonly versions = new Map<string, k8s.V1Pod[]>();
  private readonly deleted = new Set<string>();
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(private readonly kc: k8s.KubeConfig) {}

  async start(): Promise<void> {
    const list = await api.core.listNamespacedPod({ namespace: NS });
    for (const p of list.items) this.add('ADDED', p);
    this.watchFrom(list.metadata?.resourceVersion ?? '0');
  }

  private watchFrom(rv: string): void {
    if (this.stopped) return;
    let last = rv;
    const w = new k8s.Watch(this.kc);
    void w
      .watch(
        `/api/v1/namespaces/${NS}/pods`,
        { resourceVersion: rv, allowWatchBookmarks: false },
        (type: string, obj: k8s.V1Pod) => {
          if (obj?.metadata?.resourceVersion) last = obj.metadata.resourceVersion;
          this.add(type, obj);
        },
        () => setTimeout(() => this.watchFrom(last), 100),
      )
      .then((c) => (this.abort = c));
  }

  private add(type: string, p: k8s.V1Pod): void {
    const name = p.metadata?.name;
    if (!name) return;
    const list = this.versions.get(name) ?? [];
    list.push(p);
    this.versions.set(name, list);
    if (type === 'DELETED') this.deleted.add(name);
  }

  all(name: string): k8s.V1Pod[] {
    return this.versions.get(name) ?? [];
  }

  latest(name: string): k8s.V1Pod | undefined {
    return this.versions.get(name)?.at(-1);
  }

  isDeleted(name: string): boolean {
    return this.deleted.has(name);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

/**
 * Waits until some version of pod `name`, in arrival order, satisfies `pred`; returns the first
 * that does. For a state that lasts only until the next write (a version the poll of `waitPod`
 * could miss when two arrive between polls).
 */
async function waitPodVersion(name: string, what: string, pred: (p: k8s.V1Pod) => boolean, timeoutMs = 45_000): Promise<k8s.V1Pod> {
  return waitFor(() => history.all(name).find(pred) ?? false, { timeoutMs, intervalMs: 50, message: () => `pod ${name}: ${what} (versions: ${versionTrail(name)})` });
}

/** Every version of pod `name` in one line: resourceVersion, deleting, Ready, each container's state. */
function versionTrail(name: string): string {
  return history
    .all(name)
    .map((p) => `${p.metadata?.resourceVersion}${p.metadata?.deletionTimestamp ? ' deleting' : ''} ready=${isReady(p)} ${(p.status?.containerStatuses ?? []).map((c) => `${c.name}:${Object.keys(c.state ?? {}).join('') || '-'}`).join(',')}`)
    .join(' | ');
}

/** Waits until the latest version of pod `name` satisfies `pred`; returns that version. */
async function waitPod(name: string, what: string, pred: (p: k8s.V1Pod) => boolean, timeoutMs = 45_000): Promise<k8s.V1Pod> {
  return waitFor(
    () => {
      const p = history.latest(name);
      return p && pred(p) ? p : false;
    },
    { timeoutMs, intervalMs: 50, message: () => `pod ${name}: ${what} (last status: ${JSON.stringify(history.latest(name)?.status ?? null)})` },
  );
}

// ---------------------------------------------------------------------------------------------
// Pods and their containers

interface PodOptions {
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  initContainers?: k8s.V1Container[];
  terminationGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  finalizers?: string[];
  activeDeadlineSeconds?: number;
  securityContext?: k8s.V1PodSecurityContext;
}

/** A pod bound to the test node (no scheduler runs); its containers carry the run's marker. */
function newPod(name: string, containers: k8s.V1Container[], o: PodOptions = {}): k8s.V1Pod {
  const withMarker = (c: k8s.V1Container): k8s.V1Container => ({ image, ...c, env: [{ name: 'E2E_MARKER', value: marker }, ...(c.env ?? [])] });
  return {
    metadata: { name, labels: { test: 'node-e2e', ...(o.labels ?? {}) }, ...(o.finalizers ? { finalizers: o.finalizers } : {}) },
    spec: {
      nodeName,
      restartPolicy: o.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 2,
      containers: containers.map(withMarker),
      ...(o.initContainers ? { initContainers: o.initContainers.map(withMarker) } : {}),
      ...(o.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
      ...(o.securityContext ? { securityContext: o.securityContext } : {}),
    },
  };
}

/** `sh -c SCRIPT` with the run's marker as $0, so the process can be found by its command line. */
function sh(script: string): string[] {
  return ['sh', '-c', script, marker];
}

async function createPod(pod: k8s.V1Pod): Promise<k8s.V1Pod> {
  return api.core.createNamespacedPod({ namespace: NS, body: pod });
}

function status(p: k8s.V1Pod, container: string): k8s.V1ContainerStatus | undefined {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === container);
}

function restarts(p: k8s.V1Pod, container: string): number {
  return status(p, container)?.restartCount ?? 0;
}

function condition(p: k8s.V1Pod, type: string): k8s.V1PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

function isReady(p: k8s.V1Pod): boolean {
  return condition(p, 'Ready')?.status === 'True';
}

function running(p: k8s.V1Pod, container: string): boolean {
  return status(p, container)?.state?.running !== undefined;
}

/** The time `t` (a Date from client-node, or an RFC 3339 string) in ms. */
function ms(t: Date | string | undefined): number {
  if (t === undefined) throw new Error('no time');
  return new Date(t).getTime();
}

/** A pod's log (of `container`), through the API server and the agent's log endpoint. */
async function logsOf(name: string, container: string): Promise<string> {
  return api.core.readNamespacedPodLog({ name, namespace: NS, container });
}

async function eventsOf(name: string): Promise<k8s.CoreV1Event[]> {
  return (await api.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` })).items;
}

/**
 * Waits for an event of pod `name` that `match`es. Events are written after what they report,
 * behind the node's other event writes, so the wait is long (60 s: with every scenario of this
 * file running at once on a loaded machine, 20 s was not always enough); a timeout lists the
 * events that did come.
 */
async function waitForEvent(name: string, what: string, match: (e: k8s.CoreV1Event) => boolean): Promise<k8s.CoreV1Event> {
  let seen: k8s.CoreV1Event[] = [];
  try {
    return await waitFor(
      async () => {
        seen = await eventsOf(name);
        return seen.find(match);
      },
      { timeoutMs: 60_000, message: what },
    );
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; events of ${name}: ${seen.map((ev) => `${ev.reason}: ${ev.message}`).join(' | ') || 'none'}`);
  }
}

/** Watches the pod for `forMs` and fails as soon as `bad` holds for a version of it. */
async function never(name: string, forMs: number, what: string, bad: (p: k8s.V1Pod) => boolean): Promise<void> {
  const end = Date.now() + forMs;
  let seen = 0;
  while (Date.now() < end) {
    const all = history.all(name);
    for (; seen < all.length; seen++) {
      if (bad(all[seen]!)) throw new Error(`pod ${name}: ${what}: ${JSON.stringify(all[seen]!.status)}`);
    }
    await sleep(100);
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before use). */
async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A scenario's own directory (upstream's container filesystem paths live here). */
function dirFor(name: string): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  return d;
}

// The test web server (upstream's agnhost `liveness`/`test-webserver`): `node web.cjs PORT
// FAIL_AFTER_MS`: `/healthz` answers 200 until FAIL_AFTER_MS after start (never fails when
// negative), then 500; `/redirect?loc=L` answers 302 to L with Go's http.Redirect body; other
// paths answer 200.
const webServerJs = `
const http = require('http');
const port = Number(process.argv[2]);
const failAfter = Number(process.argv[3]);
const started = Date.now();
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/healthz') {
    const ok = failAfter < 0 || Date.now() - started < failAfter;
    res.writeHead(ok ? 200 : 500);
    res.end(ok ? 'ok' : 'error: ' + (Date.now() - started));
  } else if (u.pathname === '/redirect') {
    const loc = u.searchParams.get('loc') || '/';
    res.writeHead(302, { Location: loc, 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<a href="' + loc + '">Found</a>.\\n\\n');
  } else {
    res.writeHead(200);
    res.end('hello');
  }
}).listen(port, '127.0.0.1');
`;

// A gRPC server with the standard health service (upstream's agnhost grpc-health-checking):
// every Check answers SERVING.
function grpcServerJs(grpcModule: string): string {
  return `
const grpc = require(${JSON.stringify(grpcModule)});
const server = new grpc.Server();
server.register('/grpc.health.v1.Health/Check', (call, cb) => cb(null, Buffer.from([0x08, 0x01])), (b) => b, (b) => b, 'unary');
server.bindAsync('127.0.0.1:' + process.argv[2], grpc.ServerCredentials.createInsecure(), (err) => { if (err) { console.error(err); process.exit(1); } });
`;
}

function webServer(port: number, failAfterMs: number): string[] {
  return ['node', join(work, 'web.cjs'), String(port), String(failAfterMs), marker];
}

/**
 * Upstream's RunLivenessTest: waits until the container ran (running or terminated), then
 * watches its restart count for `observeMs`: it must never decrease; with `expect` 0 it must stay
 * 0, else reach `expect` (the wait ends there).
 */
async function livenessTest(name: string, container: string, expectRestarts: number, observeMs: number): Promise<k8s.V1Pod> {
  const started = await waitPod(name, 'container not waiting', (p) => {
    const s = status(p, container)?.state;
    return s?.running !== undefined || s?.terminated !== undefined;
  });
  const initial = restarts(started, container);
  const end = Date.now() + observeMs;
  let last = initial;
  let seen = 0;
  for (;;) {
    const all = history.all(name);
    for (; seen < all.length; seen++) {
      const c = restarts(all[seen]!, container);
      if (c < last) throw new Error(`pod ${name}: restart count went from ${last} down to ${c}`);
      last = c;
    }
    const observed = last - initial;
    if (expectRestarts > 0 && observed >= expectRestarts) return history.latest(name)!;
    if (expectRestarts === 0 && observed > 0) throw new Error(`pod ${name}: expected no restart, saw ${observed}: ${JSON.stringify(history.latest(name)?.status)}`);
    if (Date.now() >= end) break;
    await sleep(100);
  }
  if (expectRestarts > 0) throw new Error(`pod ${name}: expected ${expectRestarts} restarts, saw ${last - initial}: ${JSON.stringify(history.latest(name)?.status)}`);
  return history.latest(name)!;
}

/** A sidecar (restartable init container) beside a main container that just runs. */
function withSidecar(name: string, sidecar: k8s.V1Container): k8s.V1Pod {
  return newPod(name, [{ name: 'main', command: sh('sleep 600') }], { initContainers: [{ ...sidecar, restartPolicy: 'Always' }] });
}

// ---------------------------------------------------------------------------------------------
// Cluster

beforeAll(async () => {
  cluster = await startCluster(cleanup);
  api = apiClients(cluster.server.kubeconfigPath);
  work = makeTempDir(cleanup, 'node-e2e');
  writeFileSync(join(work, 'web.cjs'), webServerJs);
  writeFileSync(join(work, 'grpc.cjs'), grpcServerJs(createRequire(import.meta.url).resolve('@grpc/grpc-js')));
  await api.core.createNamespace({ body: { metadata: { name: NS } } });
  // Pods get the namespace's default service account at admission: wait until it exists.
  await waitFor(() => api.core.readNamespacedServiceAccount({ name: 'default', namespace: NS }).then(() => true), { message: 'default service account' });

  const id = await cluster.server.issueNodeIdentity(nodeName, ['127.0.0.1']);
  const transport = new HttpTransport({ server: cluster.server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem });
  cleanup.defer(() => transport.destroy(), 'agent transport');
  agent = await startAgent({
    client: new RestClient(transport.request),
    tls: { certPem: id.servingCertPem, keyPem: id.servingKeyPem, caPem: id.caPem },
    nodeName,
    nodeIP: '127.0.0.1',
    port: 0,
    dataDir: makeTempDir(cleanup, 'node-e2e-agent'),
    leaseRenewIntervalMs: 300,
    nodeStatusUpdateFrequencyMs: 300,
    podStatusResyncMs: 1_000,
    crashLoopBackOff: { initialMs: 1_000, maxMs: 4_000 },
    logger: silentLogger,
  });
  cleanup.defer(async () => {
    await agent.stop({ stopPods: true, gracePeriodSeconds: 0 });
    killPidsWith(marker);
  }, 'agent and containers');
  await agent.ready();
  await waitFor(async () => (await api.core.readNode({ name: nodeName })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), {
    message: 'node Ready',
  });

  history = new PodHistory(api.kc);
  await history.start();
  cleanup.defer(() => history.stop(), 'pod watch');

  // At most `scenarioConcurrency` at once, each starting as another ends: all 72 at once put
  // every container start, probe and event of the file on the agent in the same seconds, and on
  // a machine busy with another test file the scenarios' own 30-60 s waits ran out.
  let slots = scenarioConcurrency;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (slots > 0) slots--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  for (const s of scenarios) {
    const p = slot().then(async () => {
      try {
        await s.fn();
      } finally {
        release();
      }
    });
    p.catch(() => undefined);
    outcomes.set(s.name, p);
  }
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

// =============================================================================================
// container_probe.go: Probing container

describe('Probing container (container_probe.go)', () => {
  scenario('with readiness probe should not be ready before initial delay and never restart', async () => {
    const port = await freePort();
    const name = 'probe-readiness-initial-delay';
    await createPod(
      newPod(name, [
        {
          name: 'test-webserver',
          command: webServer(port, -1),
          ports: [{ containerPort: port }],
          readinessProbe: { httpGet: { path: '/', port }, initialDelaySeconds: 3, periodSeconds: 1 },
        },
      ]),
    );
    const p = await waitPod(name, 'Ready', isReady);
    expect(p.status?.phase).toBe('Running');
    const readyAt = ms(condition(p, 'Ready')?.lastTransitionTime);
    const startedAt = ms(status(p, 'test-webserver')?.state?.running?.startedAt);
    // Status times have whole seconds: allow the rounding of each.
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(3_000 - 1_000);
    expect(history.all(name).some((v) => isReady(v) && ms(condition(v, 'Ready')?.lastTransitionTime) - startedAt < 2_000)).toBe(false);
    expect(restarts(p, 'test-webserver')).toBe(0);
  });

  scenario('with readiness probe that fails should never be ready and never restart', async () => {
    // A port held by a server that answers 500: a port merely free could be taken (and answered)
    // by another test's server meanwhile.
    const failing = createHttpServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    cleanup.defer(() => new Promise<void>((resolve) => failing.close(() => resolve())), 'failing readiness endpoint');
    const port = (failing.address() as { port: number }).port;
    const name = 'probe-readiness-fails';
    await createPod(
      newPod(name, [{ name: 'test-webserver', command: sh('sleep 600'), readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 } }]),
    );
    await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
    await never(name, 6_000, 'became Ready with a failing readiness probe', isReady);
    const p = history.latest(name)!;
    expect(isReady(p)).toBe(false);
    expect(status(p, 'test-webserver')?.ready).toBe(false);
    expect(restarts(p, 'test-webserver')).toBe(0);
  });

  scenario('should be restarted with a exec "cat /tmp/health" liveness probe', async () => {
    const d = dirFor('exec-liveness-restart');
    const name = 'probe-exec-liveness-restart';
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh(`echo ok >${d}/health; sleep 2; rm -f ${d}/health; sleep 600`),
          livenessProbe: { exec: { command: ['cat', `${d}/health`] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
    // The kubelet's events name the liveness probe, as upstream's.
    await waitForEvent(name, 'Unhealthy event', (e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message ?? ''));
    await waitForEvent(name, 'Killing event', (e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message ?? ''));
  });

  scenario('should *not* be restarted with a exec "cat /tmp/health" liveness probe', async () => {
    const d = dirFor('exec-liveness-no-restart');
    const name = 'probe-exec-liveness-ok';
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh(`echo ok >${d}/health; sleep 600`),
          livenessProbe: { exec: { command: ['cat', `${d}/health`] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'busybox', 0, 6_000);
  });

  scenario('should be restarted with a /healthz http liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-http-liveness-restart';
    await createPod(
      newPod(name, [{ name: 'agnhost-container', command: webServer(port, 2_000), livenessProbe: { httpGet: { path: '/healthz', port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 } }]),
    );
    await livenessTest(name, 'agnhost-container', 1, 30_000);
  });

  scenario('should *not* be restarted with a tcp:8080 liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-tcp-liveness-ok';
    // The server's /healthz fails after 1 s, but its socket stays open: a TCP probe passes.
    await createPod(
      newPod(name, [{ name: 'agnhost-container', command: webServer(port, 1_000), livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 } }]),
    );
    await livenessTest(name, 'agnhost-container', 0, 6_000);
  });

  scenario('should have monotonically increasing restart count', async () => {
    const port = await freePort();
    const name = 'probe-http-liveness-monotonic';
    await createPod(
      newPod(name, [{ name: 'agnhost-container', command: webServer(port, 1_000), livenessProbe: { httpGet: { path: '/healthz', port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 } }]),
    );
    await livenessTest(name, 'agnhost-container', 4, 60_000);
  });

  scenario('should *not* be restarted with a /healthz http liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-http-liveness-ok';
    await createPod(
      newPod(name, [
        {
          name: 'test-webserver',
          command: webServer(port, -1),
          ports: [{ containerPort: port }],
          livenessProbe: { httpGet: { path: '/', port }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 5 },
        },
      ]),
    );
    await livenessTest(name, 'test-webserver', 0, 6_000);
  });

  scenario('should be restarted with an exec liveness probe with timeout', async () => {
    const name = 'probe-exec-liveness-timeout';
    await createPod(
      newPod(name, [
        { name: 'busybox', command: sh('sleep 600'), livenessProbe: { exec: { command: ['sh', '-c', 'sleep 10'] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 } },
      ]),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
  });

  scenario('should not be ready with an exec readiness probe timeout', async () => {
    const name = 'probe-exec-readiness-timeout';
    await createPod(
      newPod(name, [
        { name: 'busybox', command: sh('sleep 600'), readinessProbe: { exec: { command: ['sh', '-c', 'sleep 10'] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 } },
      ]),
    );
    await waitPod(name, 'not Pending', (p) => p.status?.phase !== 'Pending');
    await never(name, 5_000, 'became Ready though its readiness probe times out', isReady);
  });

  scenario('should be restarted with a failing exec liveness probe that took longer than the timeout', async () => {
    const name = 'probe-exec-liveness-slow-failure';
    await createPod(
      newPod(name, [
        { name: 'busybox', command: sh('sleep 600'), livenessProbe: { exec: { command: ['sh', '-c', 'sleep 10 & exit 1'] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 } },
      ]),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
  });

  scenario('should be restarted with a local redirect http liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-http-liveness-local-redirect';
    // The redirect goes to /healthz on the same host, which fails after 2 s: the probe follows it.
    await createPod(
      newPod(name, [
        {
          name: 'agnhost-container',
          command: webServer(port, 2_000),
          livenessProbe: { httpGet: { path: `/redirect?loc=${encodeURIComponent('/healthz')}`, port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'agnhost-container', 1, 30_000);
  });

  scenario('should *not* be restarted with a non-local redirect http liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-http-liveness-nonlocal-redirect';
    // A redirect to another host is not followed: the probe passes with a ProbeWarning event.
    await createPod(
      newPod(name, [
        {
          name: 'agnhost-container',
          command: webServer(port, 0),
          livenessProbe: { httpGet: { path: `/redirect?loc=${encodeURIComponent('http://0.0.0.0/')}`, port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'agnhost-container', 0, 6_000);
    const warning = await waitForEvent(name, 'a ProbeWarning event', (e) => e.reason === 'ProbeWarning');
    expect(warning.type).toBe('Warning');
    expect(warning.message).toContain('Probe terminated redirects, Response body: <a href="http://0.0.0.0/">Found</a>.');
  });

  scenario('should be restarted startup probe fails', async () => {
    const name = 'probe-startup-fails';
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh('sleep 600'),
          livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          startupProbe: { exec: { command: ['false'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 3 },
        },
      ]),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
    await waitForEvent(name, 'Killing event', (e) => e.reason === 'Killing' && /failed startup probe, will be restarted/.test(e.message ?? ''));
  });

  scenario('should *not* be restarted by liveness probe because startup probe delays it', async () => {
    const name = 'probe-startup-delays-liveness';
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh('sleep 600'),
          livenessProbe: { exec: { command: ['false'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          startupProbe: { exec: { command: ['false'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 60 },
        },
      ]),
    );
    await livenessTest(name, 'busybox', 0, 6_000);
    const p = history.latest(name)!;
    expect(status(p, 'busybox')?.started).toBe(false);
  });

  scenario('should be restarted by liveness probe after startup probe enables it', async () => {
    const d = dirFor('startup-enables-liveness');
    const name = 'probe-startup-enables-liveness';
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh(`sleep 2; echo ok >${d}/startup; sleep 600`),
          livenessProbe: { exec: { command: ['false'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          startupProbe: { exec: { command: ['cat', `${d}/startup`] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 60 },
        },
      ]),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
  });

  scenario('should be ready immediately after startupProbe succeeds', async () => {
    const d = dirFor('ready-after-startup');
    const name = 'probe-ready-after-startup';
    // The readiness probe's period (20 s) is far longer than the wait for the startup file: the
    // container must become Ready right after its startup probe passes, not a period later.
    await createPod(
      newPod(name, [
        {
          name: 'busybox',
          command: sh(`echo ok >${d}/health; sleep 4; echo ok >${d}/startup; sleep 600`),
          readinessProbe: { exec: { command: ['cat', `${d}/health`] }, initialDelaySeconds: 0, periodSeconds: 20 },
          startupProbe: { exec: { command: ['cat', `${d}/startup`] }, initialDelaySeconds: 0, periodSeconds: 1, failureThreshold: 120 },
        },
      ]),
    );
    await waitPod(name, 'container started', (p) => status(p, 'busybox')?.started === true, 30_000);
    const startedAt = Date.now();
    await waitPod(name, 'Ready', isReady, 30_000);
    const readyIn = Date.now() - startedAt;
    expect(readyIn).toBeLessThan(8_000);
    // Never Ready before the startup probe passed.
    expect(history.all(name).some((v) => isReady(v) && status(v, 'busybox')?.started !== true)).toBe(false);
  });

  scenario('should override timeoutGracePeriodSeconds when LivenessProbe field is set', async () => {
    const port = await freePort();
    const name = 'probe-liveness-grace-override';
    // The container ignores SIGTERM; the pod's grace period is 60 s, the probe's 2 s: the restart
    // comes after the probe's.
    await createPod(
      newPod(
        name,
        [
          {
            name: 'busybox',
            command: sh("trap '' TERM; sleep 1000"),
            livenessProbe: { httpGet: { path: '/healthz', port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 2 },
          },
        ],
        { terminationGracePeriodSeconds: 60 },
      ),
    );
    const t0 = Date.now();
    const p = await livenessTest(name, 'busybox', 1, 30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(status(p, 'busybox')?.lastState?.terminated?.exitCode).toBe(137);
  });

  scenario('should override timeoutGracePeriodSeconds when StartupProbe field is set', async () => {
    const name = 'probe-startup-grace-override';
    await createPod(
      newPod(
        name,
        [
          {
            name: 'busybox',
            command: sh("trap '' TERM; sleep 1000"),
            livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
            startupProbe: { exec: { command: ['cat', '/nonexistent/startup'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 2 },
          },
        ],
        { terminationGracePeriodSeconds: 60 },
      ),
    );
    const t0 = Date.now();
    const p = await livenessTest(name, 'busybox', 1, 30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(status(p, 'busybox')?.lastState?.terminated?.exitCode).toBe(137);
  });

  scenario('should *not* be restarted with a GRPC liveness probe', async () => {
    const port = await freePort();
    const name = 'probe-grpc-liveness-ok';
    await createPod(
      newPod(name, [
        {
          name: 'agnhost',
          command: ['node', join(work, 'grpc.cjs'), String(port), marker],
          ports: [{ containerPort: port }],
          livenessProbe: { grpc: { port }, initialDelaySeconds: 2, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'agnhost', 0, 7_000);
  });

  scenario('should be restarted with a GRPC liveness probe', async () => {
    const port = await freePort();
    const wrong = await freePort();
    const name = 'probe-grpc-liveness-wrong-port';
    await createPod(
      newPod(name, [
        {
          name: 'agnhost',
          command: ['node', join(work, 'grpc.cjs'), String(port), marker],
          livenessProbe: { grpc: { port: wrong }, initialDelaySeconds: 2, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
        },
      ]),
    );
    await livenessTest(name, 'agnhost', 1, 30_000);
  });

  scenario('should mark readiness on pods to false while pod is in progress of terminating when a pod has a readiness probe', async () => {
    const d = dirFor('ready-false-terminating');
    const name = 'probe-ready-false-terminating';
    await createPod(
      newPod(
        name,
        [
          {
            name: 'busybox',
            command: sh(`trap 'rm -f ${d}/ready; sleep 10; exit 0' TERM; touch ${d}/ready; while true; do sleep 1; done`),
            readinessProbe: { exec: { command: ['cat', `${d}/ready`] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
        { terminationGracePeriodSeconds: 20 },
      ),
    );
    await waitPod(name, 'Running and Ready', (p) => p.status?.phase === 'Running' && isReady(p));
    await api.core.deleteNamespacedPod({ name, namespace: NS });
    // The readiness probe keeps running while the container stops (its TERM trap removes the file
    // and takes 10 s): Ready turns False while the container still runs.
    const p = await waitPodVersion(name, 'not Ready while terminating', (v) => v.metadata?.deletionTimestamp !== undefined && !isReady(v), 15_000);
    expect(running(p, 'busybox'), versionTrail(name)).toBe(true);
    expect(history.isDeleted(name)).toBe(false);
  });

  scenario('should mark readiness on pods to false and disable liveness probes while pod is in progress of terminating', async () => {
    const d = dirFor('liveness-off-terminating');
    const name = 'probe-liveness-off-terminating';
    await createPod(
      newPod(
        name,
        [
          {
            name: 'busybox',
            // 10 s between the TERM and the exit (upstream's test: 5 s): the not-Ready status must be
            // seen while the container still runs, on a loaded machine too.
            command: sh(`trap 'rm -f ${d}/ready ${d}/liveness; sleep 10; exit 0' TERM; touch ${d}/ready ${d}/liveness; while true; do sleep 1; done`),
            readinessProbe: { exec: { command: ['cat', `${d}/ready`] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
            livenessProbe: { exec: { command: ['cat', `${d}/liveness`] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
        { terminationGracePeriodSeconds: 20 },
      ),
    );
    await waitPod(name, 'Running and Ready', (p) => p.status?.phase === 'Running' && isReady(p));
    await api.core.deleteNamespacedPod({ name, namespace: NS });
    const p = await waitPodVersion(name, 'not Ready while terminating', (v) => v.metadata?.deletionTimestamp !== undefined && !isReady(v), 15_000);
    expect(running(p, 'busybox'), versionTrail(name)).toBe(true);
    await waitFor(() => history.isDeleted(name), { timeoutMs: 60_000, message: `pod ${name} gone` }); // 10 s of trap; generous for a loaded machine
    expect((await eventsOf(name)).filter((e) => /failed liveness probe/.test(e.message ?? '') || /^Liveness probe failed/.test(e.message ?? ''))).toEqual([]);
  });

  // The restartable init container (sidecar) variants run the same probes on a sidecar.
  scenario('restartable init container: should be restarted with a exec "cat /tmp/health" liveness probe', async () => {
    const d = dirFor('sidecar-exec-liveness');
    const name = 'probe-sidecar-exec-liveness';
    await createPod(
      withSidecar(name, {
        name: 'busybox',
        command: sh(`echo ok >${d}/health; sleep 2; rm -f ${d}/health; sleep 600`),
        livenessProbe: { exec: { command: ['cat', `${d}/health`] }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 1 },
      }),
    );
    await livenessTest(name, 'busybox', 1, 30_000);
    expect(restarts(history.latest(name)!, 'main')).toBe(0);
  });

  scenario('restartable init container: with readiness probe that fails should never be ready and never restart', async () => {
    const port = await freePort();
    const name = 'probe-sidecar-readiness-fails';
    await createPod(withSidecar(name, { name: 'test-webserver', command: sh('sleep 600'), readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 } }));
    await waitPod(name, 'main container running', (p) => running(p, 'main'));
    await never(name, 5_000, 'became Ready with a failing sidecar readiness probe', isReady);
    expect(restarts(history.latest(name)!, 'test-webserver')).toBe(0);
  });
});

// =============================================================================================
// init_container.go: InitContainer

/** Upstream's initContainersInvariants, over every version the watch delivered. */
function checkInitInvariants(name: string): void {
  for (const p of history.all(name)) {
    if (!p.status?.phase || !p.status.conditions?.length) continue;
    const inits = p.status.initContainerStatuses ?? [];
    const allInit = inits.length > 0 && inits.every((s) => s.state?.terminated?.exitCode === 0);
    const initFailed = inits.some((s) => s.state?.terminated !== undefined && s.state.terminated.exitCode !== 0);
    if (!allInit) {
      for (const s of p.status.containerStatuses ?? []) {
        expect(s.state?.waiting?.reason, `container ${s.name} before initialization: ${JSON.stringify(s)}`).toBe('PodInitializing');
        expect(s.restartCount).toBe(0);
      }
    }
    const c = condition(p, 'Initialized');
    expect(c, 'Initialized condition').toBeDefined();
    expect(c!.lastTransitionTime).toBeDefined();
    expect(c!.status).not.toBe('Unknown');
    if (c!.status === 'True') expect(allInit && !initFailed).toBe(true);
  }
}

describe('InitContainer (init_container.go)', () => {
  scenario('should invoke init containers on a RestartNever pod', async () => {
    const name = 'pod-init-restart-never';
    await createPod(
      newPod(name, [{ name: 'run1', command: sh('true') }], {
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init1', command: sh('true') },
          { name: 'init2', command: sh('true') },
        ],
      }),
    );
    const p = await waitPod(name, 'Succeeded', (v) => v.status?.phase === 'Succeeded' || v.status?.phase === 'Failed');
    expect(p.status?.phase).toBe('Succeeded');
    checkInitInvariants(name);
    expect(condition(p, 'Initialized')?.status).toBe('True');
    expect(p.status?.initContainerStatuses).toHaveLength(2);
    for (const s of p.status?.initContainerStatuses ?? []) {
      expect(s.ready).toBe(true);
      expect(s.state?.terminated?.exitCode).toBe(0);
    }
  });

  scenario('should invoke init containers on a RestartAlways pod', async () => {
    const name = 'pod-init-restart-always';
    await createPod(
      newPod(name, [{ name: 'run1', command: sh('sleep 600'), resources: { limits: { cpu: '100m' } } }], {
        initContainers: [
          { name: 'init1', command: sh('true') },
          { name: 'init2', command: sh('true') },
        ],
      }),
    );
    const p = await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    checkInitInvariants(name);
    expect(condition(p, 'Initialized')?.status).toBe('True');
    expect(p.status?.initContainerStatuses).toHaveLength(2);
    for (const s of p.status?.initContainerStatuses ?? []) {
      expect(s.ready).toBe(true);
      expect(s.state?.terminated?.exitCode).toBe(0);
    }
  });

  scenario('should not start app containers if init containers fail on a RestartAlways pod', async () => {
    const name = 'pod-init-fails-restart-always';
    await createPod(
      newPod(name, [{ name: 'run1', command: sh('sleep 600'), resources: { limits: { cpu: '100m' } } }], {
        initContainers: [
          { name: 'init1', command: sh('false') },
          { name: 'init2', command: sh('true') },
        ],
      }),
    );
    const p = await waitPod(name, 'init1 restarted 3 times', (v) => restarts(v, 'init1') >= 3, 45_000);
    for (const v of history.all(name)) {
      for (const s of v.status?.containerStatuses ?? []) expect(s.state?.waiting?.reason, `run1: ${JSON.stringify(s)}`).toBe('PodInitializing');
      const init2 = v.status?.initContainerStatuses?.[1];
      if (init2) expect(init2.state?.waiting?.reason, `init2: ${JSON.stringify(init2)}`).toBe('PodInitializing');
      const init1 = v.status?.initContainerStatuses?.[0];
      if (init1?.state?.terminated) expect(init1.state.terminated.exitCode).not.toBe(0);
    }
    checkInitInvariants(name);
    expect(p.status?.phase).toBe('Pending');
    const init = condition(p, 'Initialized');
    expect(init?.status).toBe('False');
    expect(init?.reason).toBe('ContainersNotInitialized');
    expect(init?.message).toBe('containers with incomplete status: [init1 init2]');
    expect(p.status?.initContainerStatuses).toHaveLength(2);
  });

  scenario('should not start app containers and fail the pod if init containers fail on a RestartNever pod', async () => {
    const name = 'pod-init-fails-restart-never';
    await createPod(
      newPod(name, [{ name: 'run1', command: sh('true'), resources: { limits: { cpu: '100m' } } }], {
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init1', command: sh('true') },
          { name: 'init2', command: sh('false') },
        ],
      }),
    );
    const p = await waitPod(name, 'Failed', (v) => v.status?.phase === 'Failed' || v.status?.phase === 'Succeeded');
    for (const v of history.all(name)) {
      for (const s of v.status?.containerStatuses ?? []) expect(s.state?.waiting?.reason, `run1: ${JSON.stringify(s)}`).toBe('PodInitializing');
    }
    checkInitInvariants(name);
    expect(p.status?.phase).toBe('Failed');
    const init = condition(p, 'Initialized');
    expect(init?.status).toBe('False');
    expect(init?.reason).toBe('ContainersNotInitialized');
    expect(init?.message).toBe('containers with incomplete status: [init2]');
    expect(p.status?.initContainerStatuses).toHaveLength(2);
    expect(p.status?.initContainerStatuses?.[1]?.state?.terminated?.exitCode).not.toBe(0);
    expect(p.status?.containerStatuses?.[0]?.state?.waiting).toBeDefined();
  });
});

// =============================================================================================
// lifecycle_hook.go: Container Lifecycle Hook

/** Upstream's pod-handle-http-request: records the paths of the requests it receives. */
interface HookHandler {
  port: number;
  paths: string[];
}

async function startHookHandler(tls?: { key: string; cert: string }): Promise<HookHandler> {
  const h: HookHandler = { port: 0, paths: [] };
  const onRequest = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    h.paths.push(req.url ?? '');
    res.end('ok');
  };
  const server: Server = tls ? createHttpsServer(tls, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.port = (server.address() as { port: number }).port;
  cleanup.defer(() => new Promise<void>((resolve) => server.close(() => resolve())), 'hook handler');
  return h;
}

/** An exec hook command that GETs `url` (node's http client; no curl needed). */
function getCommand(url: string): string[] {
  return ['node', '-e', `require('http').get(${JSON.stringify(url)}, (r) => { r.resume(); r.on('end', () => process.exit(0)); }).on('error', () => process.exit(1))`];
}

/**
 * Upstream's testPodWithHook: the pod runs; a postStart hook has reached the handler; the pod is
 * deleted (grace 15) and goes; a preStop hook has reached the handler.
 */
async function testPodWithHook(name: string, container: k8s.V1Container, h: HookHandler, sidecar = false): Promise<void> {
  const pod = sidecar ? withSidecar(name, container) : newPod(name, [container]);
  await createPod(pod);
  await waitPod(name, 'Running and Ready', (p) => p.status?.phase === 'Running' && isReady(p));
  if (container.lifecycle?.postStart) await waitFor(() => h.paths.some((p) => /\/echo\?msg=poststart/.test(p)), { message: `${name}: poststart hook request` });
  expect(h.paths.some((p) => /msg=prestop/.test(p))).toBe(false);
  await api.core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 15 });
  await waitFor(() => history.isDeleted(name), { timeoutMs: 30_000, message: `pod ${name} deleted` });
  if (container.lifecycle?.preStop) expect(h.paths.some((p) => /\/echo\?msg=prestop/.test(p))).toBe(true);
}

describe('Container Lifecycle Hook (lifecycle_hook.go)', () => {
  scenario('should execute poststart exec hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('pod-with-poststart-exec-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { postStart: { exec: { command: getCommand(`http://127.0.0.1:${h.port}/echo?msg=poststart`) } } } }, h);
  });

  scenario('should execute prestop exec hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('pod-with-prestop-exec-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { exec: { command: getCommand(`http://127.0.0.1:${h.port}/echo?msg=prestop`) } } } }, h);
  });

  scenario('should execute poststart http hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('pod-with-poststart-http-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { postStart: { httpGet: { path: '/echo?msg=poststart', port: h.port } } } }, h);
  });

  scenario('should execute prestop http hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('pod-with-prestop-http-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { httpGet: { path: '/echo?msg=prestop', port: h.port } } } }, h);
  });

  scenario('should execute poststart https hook properly', async () => {
    const pki = await ensurePki(dirFor('pki-poststart'));
    const h = await startHookHandler({ key: pki.servingKeyPem, cert: pki.servingCertPem });
    await testPodWithHook('pod-with-poststart-https-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { postStart: { httpGet: { scheme: 'HTTPS', path: '/echo?msg=poststart', port: h.port } } } }, h);
  });

  scenario('should execute prestop https hook properly', async () => {
    const pki = await ensurePki(dirFor('pki-prestop'));
    const h = await startHookHandler({ key: pki.servingKeyPem, cert: pki.servingCertPem });
    await testPodWithHook('pod-with-prestop-https-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { httpGet: { scheme: 'HTTPS', path: '/echo?msg=prestop', port: h.port } } } }, h);
  });

  scenario('restartable init container: should execute poststart exec hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('sidecar-with-poststart-exec-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { postStart: { exec: { command: getCommand(`http://127.0.0.1:${h.port}/echo?msg=poststart`) } } } }, h, true);
  });

  scenario('restartable init container: should execute prestop http hook properly', async () => {
    const h = await startHookHandler();
    await testPodWithHook('sidecar-with-prestop-http-hook', { name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { httpGet: { path: '/echo?msg=prestop', port: h.port } } } }, h, true);
  });
});

describe('Lifecycle Sleep Hook (lifecycle_hook.go)', () => {
  const finalizer = 'everynode.test/finalizer';
  /** Deletes the pod (with `grace` when given) and returns when its container was seen terminated, with the deletion's time and the container's finish. */
  async function deleteAndTime(name: string, grace?: number): Promise<{ deletedAt: number; finishedAt: number }> {
    const p = await waitPod(name, 'Running', (v) => running(v, 'hook'));
    expect(p.status?.phase).toBe('Running');
    await api.core.deleteNamespacedPod({ name, namespace: NS, ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) });
    const gone = await waitPod(name, 'container terminated', (v) => status(v, 'hook')?.state?.terminated !== undefined, 30_000);
    // The first deletionTimestamp is the deletion's time + its grace period (whole seconds); the
    // kubelet's final delete (grace 0) moves it to that moment on a pod held by a finalizer.
    const first = history.all(name).find((v) => v.metadata?.deletionTimestamp !== undefined)!;
    const deletedAt = ms(first.metadata?.deletionTimestamp) - (first.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
    await api.core.patchNamespacedPod({ name, namespace: NS, body: [{ op: 'remove', path: '/metadata/finalizers' }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
    return { deletedAt, finishedAt: ms(status(gone, 'hook')?.state?.terminated?.finishedAt) };
  }

  scenario('valid prestop hook using sleep action', async () => {
    const name = 'pod-with-prestop-sleep-hook';
    await createPod(
      newPod(name, [{ name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { sleep: { seconds: 3 } } } }], { terminationGracePeriodSeconds: 8, finalizers: [finalizer] }),
    );
    const { deletedAt, finishedAt } = await deleteAndTime(name);
    // Status times have whole seconds: allow one for the rounding of each.
    expect(finishedAt - deletedAt).toBeGreaterThanOrEqual(3_000 - 1_000);
    expect(finishedAt - deletedAt).toBeLessThanOrEqual(8_000);
  });

  scenario('reduce GracePeriodSeconds during runtime', async () => {
    const name = 'pod-with-prestop-sleep-hook-short-grace';
    await createPod(
      newPod(name, [{ name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { sleep: { seconds: 20 } } } }], { terminationGracePeriodSeconds: 60, finalizers: [finalizer] }),
    );
    const { deletedAt, finishedAt } = await deleteAndTime(name, 3);
    expect(finishedAt - deletedAt).toBeGreaterThanOrEqual(3_000 - 1_000);
    expect(finishedAt - deletedAt).toBeLessThan(20_000);
  });

  scenario('ignore terminated container', async () => {
    const name = 'pod-with-prestop-sleep-hook-exited';
    await createPod(
      newPod(name, [{ name: 'hook', command: sh('sleep 2'), lifecycle: { preStop: { sleep: { seconds: 10 } } } }], { restartPolicy: 'Never', terminationGracePeriodSeconds: 30 }),
    );
    const p = await waitPod(name, 'container terminated', (v) => status(v, 'hook')?.state?.terminated !== undefined, 30_000);
    const t = status(p, 'hook')!.state!.terminated!;
    expect(ms(t.finishedAt) - ms(t.startedAt)).toBeLessThan(10_000);
    expect(p.status?.phase).toBe('Succeeded');
  });

  scenario('prestop hook using sleep action with zero duration', async () => {
    const name = 'pod-with-prestop-sleep-hook-zero';
    await createPod(newPod(name, [{ name: 'hook', command: sh('sleep 600'), lifecycle: { preStop: { sleep: { seconds: 0 } } } }], { terminationGracePeriodSeconds: 30 }));
    await waitPod(name, 'Running', (v) => running(v, 'hook'));
    const start = Date.now();
    await api.core.deleteNamespacedPod({ name, namespace: NS });
    await waitFor(() => history.isDeleted(name), { timeoutMs: 30_000, message: `pod ${name} deleted` });
    expect(Date.now() - start).toBeLessThan(30_000);
  });
});

// =============================================================================================
// runtime.go: Container Runtime blackbox test

describe('Container Runtime (runtime.go)', () => {
  // Fails on its first run, succeeds on its second, then runs for ever (upstream counts runs in
  // an emptyDir; here in a file of the scenario's directory).
  const countingScript = (file: string): string[] =>
    sh(`f=${file}; echo hello >>$f; count=$(wc -l <$f); if [ $count -eq 1 ]; then exit 1; fi; if [ $count -eq 2 ]; then exit 0; fi; while true; do sleep 1; done`);

  const cases = [
    { name: 'terminate-cmd-rpa', restartPolicy: 'Always', phase: 'Running', state: 'running', restartCount: 2, ready: true },
    { name: 'terminate-cmd-rpof', restartPolicy: 'OnFailure', phase: 'Succeeded', state: 'terminated', restartCount: 1, ready: false },
    { name: 'terminate-cmd-rpn', restartPolicy: 'Never', phase: 'Failed', state: 'terminated', restartCount: 0, ready: false },
  ] as const;
  for (const tc of cases) {
    scenario(`should run with the expected status (restartPolicy ${tc.restartPolicy})`, async () => {
      const d = dirFor(tc.name);
      await createPod(newPod(tc.name, [{ name: tc.name, command: countingScript(join(d, 'restartCount')) }], { restartPolicy: tc.restartPolicy }));
      await waitPod(tc.name, `restartCount ${tc.restartCount}`, (p) => restarts(p, tc.name) === tc.restartCount, 30_000);
      const p = await waitPod(tc.name, `phase ${tc.phase}`, (v) => v.status?.phase === tc.phase && (tc.state !== 'running' || running(v, tc.name)), 30_000);
      expect(restarts(p, tc.name)).toBe(tc.restartCount);
      expect(isReady(p)).toBe(tc.ready);
      expect(Object.keys(status(p, tc.name)?.state ?? {}).filter((k) => (status(p, tc.name)?.state as Record<string, unknown>)[k] !== undefined)).toEqual([tc.state]);
      // ... and should be possible to delete.
      await api.core.deleteNamespacedPod({ name: tc.name, namespace: NS });
      await waitFor(() => history.isDeleted(tc.name), { timeoutMs: 30_000, message: `pod ${tc.name} deleted` });
    });
  }

  async function matchTerminationMessage(name: string, container: k8s.V1Container, phase: string, message: string): Promise<void> {
    await createPod(newPod(name, [{ ...container, name: 'termination-message-container' }], { restartPolicy: 'Never' }));
    const p = await waitPod(name, `phase ${phase}`, (v) => v.status?.phase === 'Succeeded' || v.status?.phase === 'Failed');
    expect(p.status?.phase).toBe(phase);
    const t = status(p, 'termination-message-container')?.state?.terminated;
    expect(t).toBeDefined();
    expect(t?.message ?? '').toBe(message);
    await api.core.deleteNamespacedPod({ name, namespace: NS });
  }

  scenario('should report termination message from log output if TerminationMessagePolicy FallbackToLogsOnError is set', async () => {
    await matchTerminationMessage('termination-message-from-log', { name: 'x', command: ['sh', '-c'], args: ['printf DONE; false', marker], terminationMessagePolicy: 'FallbackToLogsOnError' }, 'Failed', 'DONE');
  });

  scenario('should report termination message as empty when pod succeeds and TerminationMessagePolicy FallbackToLogsOnError is set', async () => {
    await matchTerminationMessage('termination-message-empty', { name: 'x', command: ['sh', '-c'], args: ['printf DONE; true', marker], terminationMessagePolicy: 'FallbackToLogsOnError' }, 'Succeeded', '');
  });
});

// =============================================================================================
// expansion.go: Variable Expansion

/** Upstream's TestContainerOutput: the pod (restartPolicy Never) succeeds and its log holds every expected line. */
async function containerOutput(name: string, container: k8s.V1Container, expected: string[], extra: PodOptions = {}): Promise<string> {
  await createPod(newPod(name, [container], { restartPolicy: 'Never', ...extra }));
  const p = await waitPod(name, 'Succeeded', (v) => v.status?.phase === 'Succeeded' || v.status?.phase === 'Failed');
  const log = await logsOf(name, container.name);
  expect(p.status?.phase, `log: ${log}`).toBe('Succeeded');
  for (const line of expected) expect(log.split('\n'), `log of ${name}`).toContain(line);
  return log;
}

describe('Variable Expansion (expansion.go)', () => {
  scenario('should allow composing env vars into new env vars', async () => {
    await containerOutput(
      'var-expansion-env',
      {
        name: 'dapi-container',
        command: sh('env'),
        env: [
          { name: 'FOO', value: 'foo-value' },
          { name: 'BAR', value: 'bar-value' },
          { name: 'FOOBAR', value: '$(FOO);;$(BAR)' },
          { name: 'ESCAPED', value: '$$(FOO) $(UNDEFINED)' },
        ],
      },
      ['FOO=foo-value', 'BAR=bar-value', 'FOOBAR=foo-value;;bar-value', 'ESCAPED=$(FOO) $(UNDEFINED)'],
    );
  });

  scenario("should allow substituting values in a container's command", async () => {
    await containerOutput('var-expansion-command', { name: 'dapi-container', command: sh('TEST_VAR=wrong echo "$(TEST_VAR)"'), env: [{ name: 'TEST_VAR', value: 'test-value' }] }, ['test-value']);
  });

  scenario("should allow substituting values in a container's args", async () => {
    await containerOutput(
      'var-expansion-args',
      { name: 'dapi-container', command: ['sh', '-c'], args: [`TEST_VAR=wrong echo "$(TEST_VAR)" '$$(TEST_VAR)'`, marker], env: [{ name: 'TEST_VAR', value: 'test-value' }] },
      ['test-value $(TEST_VAR)'],
    );
  });
});

// =============================================================================================
// downwardapi.go: Downward API (environment variables)

describe('Downward API (downwardapi.go)', () => {
  const field = (name: string, fieldPath: string): k8s.V1EnvVar => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
  const resource = (name: string, res: string, divisor?: string): k8s.V1EnvVar => ({ name, valueFrom: { resourceFieldRef: { resource: res, ...(divisor ? { divisor } : {}) } } });

  scenario('should provide pod name, namespace and IP address as env vars', async () => {
    const log = await containerOutput('downward-api-pod-fields', { name: 'dapi-container', command: sh('env'), env: [field('POD_NAME', 'metadata.name'), field('POD_NAMESPACE', 'metadata.namespace'), field('POD_IP', 'status.podIP')] }, [
      'POD_NAME=downward-api-pod-fields',
      `POD_NAMESPACE=${NS}`,
    ]);
    expect(log).toMatch(/^POD_IP=(?:\d+\.\d+\.\d+\.\d+|[a-f\d:]+)$/m);
  });

  scenario('should provide host IP as an env var', async () => {
    const log = await containerOutput('downward-api-host-ip', { name: 'dapi-container', command: sh('env'), env: [field('HOST_IP', 'status.hostIP')] }, ['HOST_IP=127.0.0.1']);
    expect(log).toMatch(/^HOST_IP=\S+$/m);
  });

  scenario('should provide hostIPs and podIPs as env vars', async () => {
    await containerOutput('downward-api-host-ips', { name: 'dapi-container', command: sh('env'), env: [field('HOST_IPS', 'status.hostIPs'), field('POD_IPS', 'status.podIPs')] }, ['HOST_IPS=127.0.0.1', 'POD_IPS=127.0.0.1']);
  });

  scenario('should provide container\'s limits.cpu/memory and requests.cpu/memory as env vars', async () => {
    await containerOutput(
      'downward-api-resources',
      {
        name: 'dapi-container',
        command: sh('env'),
        resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '1250m', memory: '64Mi' } },
        env: [resource('CPU_LIMIT', 'limits.cpu'), resource('MEMORY_LIMIT', 'limits.memory'), resource('CPU_REQUEST', 'requests.cpu'), resource('MEMORY_REQUEST', 'requests.memory'), resource('CPU_REQUEST_MILLI', 'requests.cpu', '1m')],
      },
      ['CPU_LIMIT=2', `MEMORY_LIMIT=${64 * 1024 * 1024}`, 'CPU_REQUEST=1', `MEMORY_REQUEST=${32 * 1024 * 1024}`, 'CPU_REQUEST_MILLI=250'],
    );
  });

  scenario('should provide default limits.cpu/memory from node allocatable', async () => {
    const log = await containerOutput('downward-api-default-limits', { name: 'dapi-container', command: sh('env'), env: [resource('CPU_LIMIT', 'limits.cpu'), resource('MEMORY_LIMIT', 'limits.memory'), resource('EPHEMERAL_LIMIT', 'limits.ephemeral-storage')] }, []);
    const node = await api.core.readNode({ name: nodeName });
    const cpu = String(node.status?.allocatable?.['cpu']);
    expect(log).toMatch(/^CPU_LIMIT=[1-9]\d*$/m);
    expect(log).toMatch(/^MEMORY_LIMIT=[1-9]\d*$/m);
    // ephemeral-storage too, as the kubelet's MergeContainerResourceLimits fills it in.
    expect(log).toMatch(/^EPHEMERAL_LIMIT=[1-9]\d*$/m);
    expect(log.split('\n')).toContain(`CPU_LIMIT=${Math.ceil(Number(cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : cpu))}`);
  });

  scenario('should provide pod UID, node name and service account name as env vars', async () => {
    const name = 'downward-api-uid';
    const log = await containerOutput(name, { name: 'dapi-container', command: sh('env'), env: [field('POD_UID', 'metadata.uid'), field('NODE_NAME', 'spec.nodeName'), field('SA_NAME', 'spec.serviceAccountName')] }, [
      `NODE_NAME=${nodeName}`,
      'SA_NAME=default',
    ]);
    const uid = history.latest(name)?.metadata?.uid;
    expect(uid).toBeTruthy();
    expect(log.split('\n')).toContain(`POD_UID=${uid}`);
  });
});

// =============================================================================================
// configmap.go, secrets.go: ConfigMaps and Secrets as environment variables

describe('ConfigMap and Secret env vars (configmap.go, secrets.go)', () => {
  scenario('should be consumable via environment variable (configMapKeyRef, secretKeyRef)', async () => {
    const cm = 'configmap-test-env';
    const secret = 'secret-test-env';
    await api.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: cm }, data: { 'data-1': 'value-1' } } });
    await api.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: secret }, data: { 'data-1': Buffer.from('value-1').toString('base64') } } });
    await containerOutput(
      'pod-configmaps-secret-env',
      {
        name: 'env-test',
        command: sh('env'),
        env: [
          { name: 'CONFIG_DATA_1', valueFrom: { configMapKeyRef: { name: cm, key: 'data-1' } } },
          { name: 'SECRET_DATA', valueFrom: { secretKeyRef: { name: secret, key: 'data-1' } } },
        ],
      },
      ['CONFIG_DATA_1=value-1', 'SECRET_DATA=value-1'],
    );
  });

  scenario('should be consumable via the environment (envFrom with prefix)', async () => {
    const cm = 'configmap-test-envfrom';
    const secret = 'secret-test-envfrom';
    await api.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: cm }, data: { 'data-1': 'value-1', 'data-2': 'value-2', 'data-3': 'value-3' } } });
    await api.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: secret }, data: { 'data-1': Buffer.from('value-1').toString('base64') } } });
    await containerOutput(
      'pod-envfrom',
      // `env` itself: a shell drops variables whose names have a '-' from its children's environment.
      { name: 'env-test', command: ['env'], envFrom: [{ configMapRef: { name: cm } }, { prefix: 'p-', configMapRef: { name: cm } }, { prefix: 'p-', secretRef: { name: secret } }] },
      ['data-1=value-1', 'data-2=value-2', 'data-3=value-3', 'p-data-1=value-1', 'p-data-2=value-2', 'p-data-3=value-3'],
    );
  });

  scenario('should run with an optional missing key and wait on a required one (CreateContainerConfigError)', async () => {
    const cm = 'configmap-test-optional';
    await api.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: cm }, data: { present: 'yes' } } });
    const log = await containerOutput(
      'pod-configmap-optional-key',
      {
        name: 'env-test',
        command: sh('env'),
        env: [
          { name: 'PRESENT', valueFrom: { configMapKeyRef: { name: cm, key: 'present' } } },
          { name: 'ABSENT', valueFrom: { configMapKeyRef: { name: cm, key: 'absent', optional: true } } },
          { name: 'NO_SECRET', valueFrom: { secretKeyRef: { name: 'no-such-secret', key: 'k', optional: true } } },
        ],
      },
      ['PRESENT=yes'],
    );
    expect(log).not.toMatch(/^(ABSENT|NO_SECRET)=/m);
    const name = 'pod-configmap-required-key';
    await createPod(newPod(name, [{ name: 'env-test', command: sh('env'), env: [{ name: 'ABSENT', valueFrom: { configMapKeyRef: { name: cm, key: 'absent' } } }] }], { restartPolicy: 'Never' }));
    const p = await waitPod(name, 'CreateContainerConfigError', (v) => status(v, 'env-test')?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(p.status?.phase).toBe('Pending');
    // Once the key exists, the container runs.
    await api.core.patchNamespacedConfigMap({ name: cm, namespace: NS, body: { data: { absent: 'now-present' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitPod(name, 'Succeeded once the key exists', (v) => v.status?.phase === 'Succeeded', 30_000);
    expect((await logsOf(name, 'env-test')).split('\n')).toContain('ABSENT=now-present');
  });
});

// =============================================================================================
// pods.go: Pods

describe('Pods (pods.go)', () => {
  scenario('should get a host IP', async () => {
    const name = 'pod-hostip';
    await createPod(newPod(name, [{ name: 'test', command: sh('sleep 600') }]));
    const p = await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    expect(p.status?.hostIP).toBe('127.0.0.1');
    expect(p.status?.hostIPs?.map((h) => h.ip)).toEqual(['127.0.0.1']);
  });

  scenario('should be submitted and removed', async () => {
    const name = 'pod-submit-remove';
    await createPod(newPod(name, [{ name: 'nginx', command: sh('sleep 600') }], { terminationGracePeriodSeconds: 30 }));
    const listed = await api.core.listNamespacedPod({ namespace: NS, labelSelector: 'test=node-e2e', fieldSelector: `metadata.name=${name}` });
    expect(listed.items).toHaveLength(1);
    const p = await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    const pid = Number(/^process:\/\/(\d+)-/.exec(status(p, 'nginx')?.containerID ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    await api.core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 30 });
    // The kubelet observes the graceful deletion, stops the container and removes the pod.
    await waitFor(() => history.isDeleted(name), { timeoutMs: 30_000, message: `pod ${name} deleted` });
    const versions = history.all(name);
    const terminating = versions.find((v) => v.metadata?.deletionTimestamp);
    expect(terminating?.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))).toBe(false);
  });

  scenario('should be updated', async () => {
    const name = 'pod-update';
    await createPod(newPod(name, [{ name: 'nginx', command: sh('sleep 600') }], { labels: { time: 'before' } }));
    const before = await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    const current = await api.core.readNamespacedPod({ name, namespace: NS });
    current.metadata!.labels = { ...current.metadata!.labels, time: 'after' };
    await api.core.replaceNamespacedPod({ name, namespace: NS, body: current });
    const listed = await api.core.listNamespacedPod({ namespace: NS, labelSelector: 'time=after' });
    expect(listed.items.map((i) => i.metadata?.name)).toEqual([name]);
    // A label change does not restart the container.
    await sleep(1_500);
    const after = history.latest(name)!;
    expect(status(after, 'nginx')?.containerID).toBe(status(before, 'nginx')?.containerID);
    expect(restarts(after, 'nginx')).toBe(0);
  });

  scenario('should allow activeDeadlineSeconds to be updated', async () => {
    const name = 'pod-active-deadline';
    await createPod(newPod(name, [{ name: 'nginx', command: sh('sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    await api.core.patchNamespacedPod({ name, namespace: NS, body: { spec: { activeDeadlineSeconds: 2 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    const p = await waitPod(name, 'Failed with reason DeadlineExceeded', (v) => v.status?.phase === 'Failed', 30_000);
    expect(p.status?.reason).toBe('DeadlineExceeded');
    expect(p.status?.message).toBe('Pod was active on the node longer than the specified deadline');
    // The kubelet stops the containers of the pod it failed.
    await waitPod(name, 'container stopped', (v) => status(v, 'nginx')?.state?.terminated !== undefined);
    expect(history.latest(name)?.status?.reason).toBe('DeadlineExceeded');
    await waitForEvent(name, 'DeadlineExceeded event', (e) => e.reason === 'DeadlineExceeded');
  });

  scenario('should contain environment variables for services', async () => {
    // A Service (here in a namespace of its own, since its variables reach every pod of its
    // namespace) exposing 8765, then a client pod that prints its environment.
    const ns = 'node-e2e-services';
    await api.core.createNamespace({ body: { metadata: { name: ns } } });
    await waitFor(() => api.core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(() => true), { message: 'default service account' });
    const svc = await api.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'fooservice', labels: { name: 'fooservice' } }, spec: { ports: [{ port: 8765, targetPort: 8080 }], selector: { name: 'server-envvars' } } },
    });
    const ip = svc.spec?.clusterIP ?? '';
    expect(ip).not.toBe('');
    const name = 'client-envvars';
    const expected = [
      `FOOSERVICE_SERVICE_HOST=${ip}`,
      'FOOSERVICE_SERVICE_PORT=8765',
      `FOOSERVICE_PORT=tcp://${ip}:8765`,
      'FOOSERVICE_PORT_8765_TCP_PORT=8765',
      'FOOSERVICE_PORT_8765_TCP_PROTO=tcp',
      `FOOSERVICE_PORT_8765_TCP=tcp://${ip}:8765`,
      `FOOSERVICE_PORT_8765_TCP_ADDR=${ip}`,
    ];
    // As upstream: the agent may not have seen the Service yet; try again with a new pod.
    let log = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const pod = newPod(`${name}-${attempt}`, [{ name: 'env3cont', command: sh('env') }], { restartPolicy: 'Never' });
      await api.core.createNamespacedPod({ namespace: ns, body: pod });
      await waitFor(async () => ['Succeeded', 'Failed'].includes((await api.core.readNamespacedPod({ name: `${name}-${attempt}`, namespace: ns })).status?.phase ?? ''), { message: 'client pod done' });
      log = await api.core.readNamespacedPodLog({ name: `${name}-${attempt}`, namespace: ns, container: 'env3cont' });
      if (expected.every((l) => log.split('\n').includes(l))) break;
    }
    for (const l of expected) expect(log.split('\n')).toContain(l);
    // A pod with enableServiceLinks false gets only the master service's variables.
    const off = newPod(`${name}-nolinks`, [{ name: 'env3cont', command: sh('env') }], { restartPolicy: 'Never' });
    off.spec!.enableServiceLinks = false;
    await api.core.createNamespacedPod({ namespace: ns, body: off });
    await waitFor(async () => (await api.core.readNamespacedPod({ name: `${name}-nolinks`, namespace: ns })).status?.phase === 'Succeeded', { message: 'pod without links done' });
    expect(await api.core.readNamespacedPodLog({ name: `${name}-nolinks`, namespace: ns, container: 'env3cont' })).not.toContain('FOOSERVICE_');
  });

  scenario('should support retrieving logs from the container', async () => {
    const name = 'pod-logs';
    await createPod(newPod(name, [{ name: 'main', command: sh('echo container is alive; sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    await waitFor(async () => (await logsOf(name, 'main')).includes('container is alive\n'), { message: 'the log line' });
  });

  scenario('should support remote command execution over websockets', async () => {
    const name = 'pod-exec-websocket';
    await createPod(newPod(name, [{ name: 'main', command: sh('sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const done = new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(api.kc).exec(NS, name, 'main', ['sh', '-c', 'echo remote execution test'], out, null, null, false, (s) => resolve(s)).catch(reject);
    });
    const s = await done;
    expect(s.status).toBe('Success');
    await waitFor(() => text.includes('remote execution test'), { message: 'exec output' });
  });

  scenario('should support remote command execution over websockets (subprotocol channel.k8s.io, and the base64 and v4 forms)', async () => {
    const name = 'pod-exec-websocket-raw';
    await createPod(newPod(name, [{ name: 'main', command: sh('sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    const path = (cmd: string) => `/api/v1/namespaces/${NS}/pods/${name}/exec?container=main&stdout=1&stderr=1&command=sh&command=-c&command=${encodeURIComponent(cmd)}`;
    // The 80 scenarios run at once: on a loaded 2-core machine one exec took more than 20 s.
    const execWsTimeoutMs = 60_000;
    // The oldest protocol: every message on stdout (channel 1); nothing on the error channel on success.
    const v1 = await readWebSocket(cluster.server.kubeconfigPath, path('echo remote execution test'), ['channel.k8s.io'], execWsTimeoutMs);
    expect(v1.status).toBe(101);
    expect(v1.protocol).toBe('channel.k8s.io');
    const data = v1.messages.filter((m) => m.data.length > 1);
    expect(data.every((m) => m.opcode === 2 && m.data[0] === 1)).toBe(true);
    expect(Buffer.concat(data.map((m) => m.data.subarray(1))).toString()).toContain('remote execution test');
    // A failure's message alone on channel 3.
    const failed = await readWebSocket(cluster.server.kubeconfigPath, path('exit 3'), ['channel.k8s.io'], execWsTimeoutMs);
    const err = failed.messages.find((m) => m.data[0] === 3);
    expect(err?.data.subarray(1).toString()).toMatch(/exit code 3/);
    // base64: text messages, the channel as an ASCII digit.
    const b64 = await readWebSocket(cluster.server.kubeconfigPath, path('echo in base64'), ['base64.channel.k8s.io'], execWsTimeoutMs);
    expect(b64.protocol).toBe('base64.channel.k8s.io');
    const out = b64.messages.filter((m) => m.opcode === 1 && m.data[0] === 0x31);
    expect(Buffer.concat(out.map((m) => Buffer.from(m.data.subarray(1).toString(), 'base64'))).toString()).toBe('in base64\n');
    // v4 base64: the result as a Status on channel 3, in base64 too.
    const v4 = await readWebSocket(cluster.server.kubeconfigPath, path('true'), ['v4.base64.channel.k8s.io'], execWsTimeoutMs);
    const status = v4.messages.find((m) => m.data[0] === 0x33);
    expect(JSON.parse(Buffer.from(status!.data.subarray(1).toString(), 'base64').toString())).toMatchObject({ status: 'Success' });
  });

  scenario('should support retrieving logs from the container over websockets', async () => {
    const name = 'pod-logs-websocket';
    await createPod(newPod(name, [{ name: 'main', command: sh('echo container is alive; sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    await waitFor(async () => (await logsOf(name, 'main')).includes('container is alive'), { message: 'the log line' });
    const path = `/api/v1/namespaces/${NS}/pods/${name}/log?container=main`;
    const bin = await readWebSocket(cluster.server.kubeconfigPath, path, ['binary.k8s.io']);
    expect(bin.status).toBe(101);
    expect(bin.protocol).toBe('binary.k8s.io');
    expect(bin.closed).toBe(true);
    expect(bin.messages.every((m) => m.opcode === 2)).toBe(true);
    expect(Buffer.concat(bin.messages.map((m) => m.data)).toString()).toBe('container is alive\n');
    const b64 = await readWebSocket(cluster.server.kubeconfigPath, path, ['base64.binary.k8s.io']);
    expect(b64.messages.every((m) => m.opcode === 1)).toBe(true);
    expect(Buffer.concat(b64.messages.map((m) => Buffer.from(m.data.toString(), 'base64'))).toString()).toBe('container is alive\n');
    // Refusals come as plain HTTP before any upgrade: an unknown container, an unknown protocol.
    const bad = await readWebSocket(cluster.server.kubeconfigPath, `/api/v1/namespaces/${NS}/pods/${name}/log?container=nope`, ['binary.k8s.io']);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'container nope is not valid for pod pod-logs-websocket' });
    expect((await readWebSocket(cluster.server.kubeconfigPath, path, ['v9.unknown'])).status).toBe(400);
  });

  scenario('should delete a collection of pods', async () => {
    const names = ['pod-collection-1', 'pod-collection-2', 'pod-collection-3'];
    await Promise.all(names.map((n) => createPod(newPod(n, [{ name: 'main', command: sh('sleep 600') }], { labels: { type: 'Testing' } }))));
    await Promise.all(names.map((n) => waitPod(n, 'Running', (v) => v.status?.phase === 'Running')));
    await api.core.deleteCollectionNamespacedPod({ namespace: NS, labelSelector: 'type=Testing', gracePeriodSeconds: 1 });
    await waitFor(() => names.every((n) => history.isDeleted(n)), { timeoutMs: 30_000, message: 'every pod of the collection deleted' });
    expect((await api.core.listNamespacedPod({ namespace: NS, labelSelector: 'type=Testing' })).items).toEqual([]);
  });

  scenario('should patch a pod status', async () => {
    const name = 'pod-status-patch';
    await createPod(newPod(name, [{ name: 'main', command: sh('sleep 600') }]));
    await waitPod(name, 'Running', (v) => v.status?.phase === 'Running');
    const patched = await api.core.patchNamespacedPodStatus(
      { name, namespace: NS, body: { status: { conditions: [{ type: 'StatusPatched', status: 'True' }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(condition(patched, 'StatusPatched')?.status).toBe('True');
    // The agent keeps conditions it does not own.
    await sleep(1_500);
    const p = await api.core.readNamespacedPod({ name, namespace: NS });
    expect(condition(p, 'StatusPatched')?.status).toBe('True');
    expect(p.status?.phase).toBe('Running');
  });
});

// =============================================================================================
// kubelet.go and containers.go

describe('Kubelet and Containers (kubelet.go, containers.go)', () => {
  scenario('when scheduling a busybox command in a pod: should print the output to logs', async () => {
    const name = 'busybox-scheduling';
    await createPod(newPod(name, [{ name: name, command: sh("echo 'Hello World'; sleep 600") }]));
    await waitFor(async () => (await logsOf(name, name)) === 'Hello World\n', { message: 'the log of the busybox command' });
  });

  scenario('when scheduling a busybox command that always fails in a pod: should have an terminated reason', async () => {
    const name = 'bin-false';
    await createPod(newPod(name, [{ name, command: sh('exit 1') }]));
    const p = await waitPod(name, 'terminated (now or before)', (v) => {
      const s = status(v, name);
      return (s?.state?.terminated ?? s?.lastState?.terminated) !== undefined;
    });
    const s = status(p, name)!;
    const t = s.state?.terminated ?? s.lastState?.terminated;
    expect(t?.reason).toBe('Error');
    expect(t?.exitCode).toBe(1);
    // ... and should be possible to delete.
    await api.core.deleteNamespacedPod({ name, namespace: NS });
    await waitFor(() => history.isDeleted(name), { timeoutMs: 30_000, message: `pod ${name} deleted` });
  });

  scenario('should be able to override the image\'s default command and arguments', async () => {
    // command only, command with args, and args only (everynode: args run as the command line).
    await Promise.all([
      containerOutput('override-command', { name: 'c', command: ['sh', '-c', 'echo override command', marker] }, ['override command']),
      containerOutput('override-all', { name: 'c', command: ['sh', '-c'], args: ['echo override all "$1"', marker, 'arg'] }, ['override all arg']),
      containerOutput('override-args', { name: 'c', args: ['sh', '-c', 'echo override arguments', marker] }, ['override arguments']),
    ]);
  });
});

// =============================================================================================
// security_context.go: the user and groups a container runs as. The process runtime's "image
// user" is the agent's: root here, so these need an agent running as root.

describe.skipIf(process.getuid?.() !== 0)('Security Context (security_context.go; needs the tests to run as root)', () => {
  const ids = sh('echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"');

  scenario('When creating a container with runAsUser: should run the container with uid 65534', async () => {
    const log = await containerOutput('busybox-user-65534', { name: 'c', command: ids, securityContext: { runAsUser: 65534 } }, []);
    expect(log).toMatch(/^uid=65534 /m);
  });

  scenario('should run the container with the pod-level runAsUser and runAsGroup, the container-level one winning, and exec and probes as that user', async () => {
    const name = 'security-context-ids';
    await createPod(
      newPod(
        name,
        [
          {
            name: 'c',
            command: sh('echo "uid=$(id -u) gid=$(id -g)"; sleep 600'),
            securityContext: { runAsGroup: 2345 },
            readinessProbe: { exec: { command: ['sh', '-c', `test "$(id -u)" = 1234`] }, periodSeconds: 1 },
          },
        ],
        { securityContext: { runAsUser: 1234, runAsGroup: 1111 } },
      ),
    );
    await waitPod(name, 'Ready (its probe ran as uid 1234)', isReady);
    expect((await logsOf(name, 'c')).split('\n')).toContain('uid=1234 gid=2345');
  });

  scenario('should add the pod\'s fsGroup and supplementalGroups as supplementary groups', async () => {
    const log = await containerOutput('security-context-groups', { name: 'c', command: ids }, [], { securityContext: { runAsUser: 1234, runAsGroup: 4321, fsGroup: 5555, supplementalGroups: [6666, 7777] } });
    const line = log.split('\n').find((l) => l.startsWith('uid='));
    expect(line).toMatch(/^uid=1234 gid=4321 groups=/);
    const groups = line!.replace(/^.*groups=/, '').split(' ').map(Number).sort((a, b) => a - b);
    expect(groups).toEqual([4321, 5555, 6666, 7777]);
  });

  scenario('When creating a container with runAsNonRoot: should run with an explicit non-root user ID', async () => {
    const log = await containerOutput('explicit-nonroot-uid', { name: 'c', command: ids, securityContext: { runAsNonRoot: true, runAsUser: 1234 } }, []);
    expect(log).toMatch(/^uid=1234 gid=0 /m);
  });

  scenario('When creating a pod with allowPrivilegeEscalation false: should not allow privilege escalation (no_new_privs)', async () => {
    const log = await containerOutput('alloweps-false', { name: 'c', command: sh("grep '^NoNewPrivs' /proc/self/status"), securityContext: { runAsUser: 1000, allowPrivilegeEscalation: false } }, []);
    expect(log).toMatch(/^NoNewPrivs:\s+1$/m);
    const allowed = await containerOutput('alloweps-true', { name: 'c', command: sh("grep '^NoNewPrivs' /proc/self/status"), securityContext: { runAsUser: 1000, allowPrivilegeEscalation: true } }, []);
    expect(allowed).toMatch(/^NoNewPrivs:\s+0$/m);
  });

  scenario('runs a root container with its capabilities dropped to what it adds back, and a privileged one with all', async () => {
    const log = await containerOutput('caps-drop-all', { name: 'c', command: sh("grep '^CapEff' /proc/self/status"), securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }, []);
    expect(log).toMatch(/^CapEff:\s+0000000000000400$/m);
    const privileged = await containerOutput('caps-privileged', { name: 'c', command: sh("grep '^CapEff' /proc/self/status"), securityContext: { privileged: true } }, []);
    expect(privileged).not.toMatch(/^CapEff:\s+0000000000000400$/m);
  });

  scenario('When creating a container with runAsNonRoot: should not run with an explicit root user ID', async () => {
    const name = 'explicit-root-uid';
    await createPod(newPod(name, [{ name: 'c', command: ids, securityContext: { runAsNonRoot: true, runAsUser: 0 } }], { restartPolicy: 'Never' }));
    const p = await waitPod(name, 'CreateContainerConfigError', (v) => status(v, 'c')?.state?.waiting?.reason === 'CreateContainerConfigError');
    const uid = p.metadata?.uid ?? '';
    expect(status(p, 'c')?.state?.waiting?.message).toBe(`container's runAsUser breaks non-root policy (pod: "${name}_${NS}(${uid})", container: c)`);
    await waitForEvent(name, 'Failed event', (e) => e.reason === 'Failed' && (e.message ?? '').includes("runAsUser breaks non-root policy"));
  });

  scenario('When creating a container with runAsNonRoot: should not run without a specified user ID (the image user, the agent\'s, is root)', async () => {
    const name = 'implicit-root-uid';
    await createPod(newPod(name, [{ name: 'c', command: ids }], { restartPolicy: 'Never', securityContext: { runAsNonRoot: true } }));
    const p = await waitPod(name, 'CreateContainerConfigError', (v) => status(v, 'c')?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(status(p, 'c')?.state?.waiting?.message).toBe(`container has runAsNonRoot and image will run as root (pod: "${name}_${NS}(${p.metadata?.uid ?? ''})", container: c)`);
    await never(name, 1_500, 'started', (v) => status(v, 'c')?.state?.running !== undefined || status(v, 'c')?.state?.terminated !== undefined);
  });
});
