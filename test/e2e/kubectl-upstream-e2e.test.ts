// Upstream Kubernetes' kubectl e2e scenarios (test/e2e/kubectl: kubectl.go's "Kubectl client"
// tests, logs.go, portforward.go, exec.go), re-stated for what everynode serves and run with the
// real kubectl against `everynode up --nodes 2` (API server, controllers and two node agents that
// run pod containers as host processes).
//
// Adaptations, each as Kubernetes would behave in the same situation:
// - ReplicationControllers are stored and served but not run (no pods): the "rc" scenarios use a
//   DaemonSet (one pod per node) or its pods; `kubectl expose` refuses DaemonSets client-side, so
//   a daemon pod is exposed.
// - No scheduler runs: bare pods (`kubectl run`, manifests) are given `spec.nodeName`, with
//   `--overrides` for `kubectl run`. Such pods bypass scheduling upstream too, so there is no
//   `Scheduled` event: the events scenario looks for the kubelet's `Started` instead.
// - Containers are host processes: "images" are recorded only, commands are sh or node scripts,
//   a file copied from a pod is a host path, and a pod's port is a port of its node's addresses
//   (a server on localhost is reached through 127.0.0.1, as README explains).
// - ResourceQuotas are not served: the quota scenarios are skipped, saying so.
//
// The protocol-sensitive scenarios (apply, server-side apply, diff, logs -f, exec, port-forward,
// proxy, get -w, explain and schema validation) run with kubectl 1.27, 1.30 and 1.33 as well as
// the `kubectl` on PATH (a dispatcher that runs the server's minor, 1.32), where the machine has
// those binaries beside it. Runs where `kubectl` is on PATH; skipped with a message otherwise.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl, versionedKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { everynodeBin, killPidsWith, repoRoot, spawnNode, stopProcessGroup, trackProcessGroup, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('kubectl upstream e2e scenarios skipped: no `kubectl` on PATH');

const cleanup = new Cleanup();
const mark = `everynode-e2e-kubectl-upstream-${randomBytes(4).toString('hex')}`;
let up: SpawnedProcess;
let kubeconfig = '';
let dir = '';

/** A kubectl to run: the dispatcher on PATH, or one minor version's binary. */
interface Kubectl {
  name: string;
  bin: string;
}
const dispatcher: Kubectl = { name: 'kubectl (dispatcher, 1.32)', bin: 'kubectl' };
const versioned: Kubectl[] = [27, 30, 33].flatMap((m) => {
  const bin = versionedKubectl(m);
  return bin ? [{ name: `kubectl 1.${m}`, bin }] : [];
});
if (hasKubectl && versioned.length < 3) console.warn(`kubectl upstream e2e: only ${versioned.map((v) => v.name).join(', ') || 'the dispatcher'} found beside kubectl; the other versions are not run`);
/** Every kubectl the protocol-sensitive scenarios run with. */
const allKubectls = [dispatcher, ...versioned];
const short = (k: Kubectl): string => (k === dispatcher ? 'd' : k.name.replace(/\D/g, ''));

function cacheDirOf(k: Kubectl): string {
  return join(dir, `cache-${short(k)}`);
}

function kubectl(args: string[], opts: { input?: string; k?: Kubectl; timeoutMs?: number } = {}): Promise<KubectlRun> {
  const k = opts.k ?? dispatcher;
  return runKubectl({ kubeconfig, cacheDir: cacheDirOf(k) }, args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000, binary: k.bin });
}

async function ok(args: string[], opts: { input?: string; k?: Kubectl } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`${(opts.k ?? dispatcher).name} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A long-running kubectl (port-forward, proxy, get -w) in its own process group, stopped on cleanup. */
interface Background {
  output(): string;
  stop(): Promise<void>;
}
function startKubectl(args: string[], k: Kubectl = dispatcher): Background {
  const child = spawn(k.bin, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDirOf(k), ...args], {
    env: { ...process.env, KUBECONFIG: '', NO_COLOR: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${k.bin}`);
  trackProcessGroup(pid);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stop = cleanup.defer(() => stopProcessGroup(pid, 3_000), `${k.name} ${args[0] ?? ''}`);
  return { output: () => out, stop };
}

/** Upstream's output check: each requirement's first item is found on a line at or after the previous one's, and that line holds the rest. */
function expectLines(output: string, required: string[][]): void {
  const lines = output.split('\n');
  let at = 0;
  for (const [first, ...rest] of required) {
    while (at < lines.length && !lines[at]!.includes(first!)) at++;
    expect(at < lines.length, `"${first}" after line ${at} in:\n${output}`).toBe(true);
    for (const item of rest) expect(lines[at], `"${item}" beside "${first}"`).toContain(item);
  }
}

const linesOf = (out: string): string[] => out.replace(/\n+$/, '').split('\n');

/** A free TCP port on every local address (pods' servers bind localhost or 0.0.0.0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface ContainerSpec {
  name: string;
  command: string[];
  env?: Record<string, string>;
  image?: string;
  ports?: number[];
}

/** A bare pod bound to `node` (no scheduler runs), as JSON for `kubectl create -f -`. */
function podManifest(ns: string, name: string, containers: ContainerSpec[], opts: { node?: string; restartPolicy?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: opts.labels ?? { name }, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      nodeName: opts.node ?? 'node-1',
      restartPolicy: opts.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 1,
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image ?? 'registry.k8s.io/e2e-test-images/agnhost:2.53',
        command: c.command,
        ...(c.env ? { env: Object.entries(c.env).map(([n, value]) => ({ name: n, value })) } : {}),
        ...(c.ports ? { ports: c.ports.map((containerPort) => ({ containerPort })) } : {}),
      })),
    },
  });
}

/** A shell container command tagged with this run's marker (as $0), so cleanup can find it. */
const sh = (script: string, tag: string): string[] => ['sh', '-c', script, `${mark}-${tag}`];

/** A DaemonSet of `sleep` daemons (agnhost-like image, a declared port). */
function daemonSet(ns: string, name: string, image: string, labels: Record<string, string>): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns, labels: { ...labels } },
    spec: {
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name, image, command: sh('echo Paused; exec sleep 3600', name), ports: [{ containerPort: 6379 }] }],
        },
      },
    },
  };
}

async function podPhase(ns: string, name: string): Promise<string> {
  return (await kubectl(['get', 'pod', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])).stdout;
}

async function waitRunning(ns: string, name: string, alsoDone = false): Promise<void> {
  await waitFor(async () => {
    const phase = await podPhase(ns, name);
    return phase === 'Running' || (alsoDone && (phase === 'Succeeded' || phase === 'Failed'));
  }, { timeoutMs: 30_000, intervalMs: 100, message: `pod ${ns}/${name} running` });
}

async function waitDaemonPods(ns: string, selector: string, count: number): Promise<string[]> {
  return waitFor(async () => {
    const out = await ok(['get', 'pods', '-n', ns, '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\\n"}{end}']);
    const running = out.split('\n').map((l) => l.trim().split(' ')).filter((f) => f[1] === 'Running' && f.length === 2).map((f) => f[0]!);
    return running.length === count ? running : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, message: `${count} running pods with ${selector}` });
}

beforeAll(async () => {
  if (!hasKubectl) return;
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  dir = makeTempDir(cleanup, 'kubectl-upstream');
  const dataDir = makeTempDir(cleanup, 'up');
  cleanup.defer(() => killPidsWith(mark), 'daemon processes');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '2', '--dashboard', 'off', '--cluster-dns', 'off'], { cwd: repoRoot });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  kubeconfig = m[2]!;
  await waitFor(() => /node node-2: InternalIP/.test(up.output()), { timeoutMs: 30_000, message: 'two local nodes started' });
  await waitFor(async () => (await ok(['get', 'nodes', '-o', 'name'])).split('\n').filter(Boolean).length === 2, { message: 'two Nodes' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe.skipIf(!hasKubectl)('upstream kubectl scenarios against everynode up --nodes 2', () => {
  it('api-versions lists v1 (and apps/v1)', async () => {
    const out = await ok(['api-versions']);
    expect(out.split('\n')).toContain('v1');
    expect(out.split('\n')).toContain('apps/v1');
  });

  it('cluster-info says the Kubernetes control plane is running at the server\'s address', async () => {
    const out = await ok(['cluster-info']);
    const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
    expect(out).toContain('Kubernetes control plane');
    expect(out).toContain(`is running at ${server}`);
  });

  it('cluster-info dump writes every workload kind of a namespace, ReplicaSets and ReplicationControllers (stored, not run) included', async () => {
    const ns = 'dump-e2e';
    await ok(['create', 'namespace', ns]);
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
    const manifests = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: ns }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } },
      { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'old', namespace: ns }, spec: { replicas: 1, template } },
    ];
    await ok(['apply', '-f', '-'], { input: manifests.map((m) => JSON.stringify(m)).join('\n') });
    // kubectl scale goes through the /scale subresource.
    expect(await ok(['scale', '-n', ns, 'rs/web', '--replicas=3'])).toBe('replicaset.apps/web scaled\n');
    const out = join(dir, 'dump');
    await ok(['cluster-info', 'dump', '--namespaces', ns, '--output-directory', out]);
    const read = (f: string): { kind: string; items: Array<{ metadata: { name: string }; spec?: { selector?: unknown; replicas?: number } }> } => JSON.parse(readFileSync(join(out, ns, f), 'utf8'));
    expect(read('replicasets.json')).toMatchObject({ kind: 'ReplicaSetList', items: [{ metadata: { name: 'web' }, spec: { replicas: 3 } }] });
    // The selector defaulted from the template, as upstream defaults a v1 ReplicationController's.
    expect(read('replication-controllers.json')).toMatchObject({ kind: 'ReplicationControllerList', items: [{ metadata: { name: 'old' }, spec: { selector: { app: 'web' } } }] });
    for (const f of ['services.json', 'daemonsets.json', 'deployments.json', 'pods.json', 'events.json']) expect(read(f).items).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, 'nodes.json'), 'utf8')).items).toHaveLength(2);
    expect(await ok(['get', 'rs,rc', '-n', ns, '-o', 'name'])).toBe('replicaset.apps/web\nreplicationcontroller/old\n');
  });

  it('deleting a ReplicationController orphans its dependents by default, a ReplicaSet deletes them (upstream\'s defaults)', async () => {
    const ns = 'dump-e2e';
    const uid = async (kind: string, name: string): Promise<string> => (await ok(['get', kind, name, '-n', ns, '-o', 'jsonpath={.metadata.uid}'])).trim();
    const owned = (name: string, apiVersion: string, kind: string, owner: string, ownerUid: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ownerReferences: [{ apiVersion, kind, name: owner, uid: ownerUid }] } });
    await ok(['create', '-f', '-'], { input: owned('of-rc', 'v1', 'ReplicationController', 'old', await uid('rc', 'old')) });
    await ok(['create', '-f', '-'], { input: owned('of-rs', 'apps/v1', 'ReplicaSet', 'web', await uid('rs', 'web')) });
    // A DELETE without options takes the kind's default propagation (kubectl delete sends its own).
    await ok(['delete', '--raw', `/api/v1/namespaces/${ns}/replicationcontrollers/old`]);
    await ok(['delete', '--raw', `/apis/apps/v1/namespaces/${ns}/replicasets/web`]);
    await waitFor(async () => (await kubectl(['get', 'configmap', 'of-rs', '-n', ns])).code !== 0, { message: 'the ReplicaSet\'s dependent collected' });
    await waitFor(async () => (await ok(['get', 'configmap', 'of-rc', '-n', ns, '-o', 'jsonpath={.metadata.ownerReferences}'])).trim() === '', { message: 'the ReplicationController\'s dependent orphaned' });
    expect(await ok(['get', 'rs,rc', '-n', ns, '-o', 'name'])).toBe('');
  });

  it('version prints the client and the server version, in the short form (1.28+) and the long one (1.27)', async () => {
    const out = await ok(['version']);
    expect(out).toMatch(/Client Version: v\d\.\d+\.[\w.+-]+/);
    expect(out).toMatch(/Server Version: v1\.32\.\d+/);
    const old = versioned.find((k) => k.name === 'kubectl 1.27');
    if (old) {
      const long = await ok(['version'], { k: old });
      expect(long).toMatch(/Server Version: version\.Info\{Major:"1", Minor:"32", GitVersion:"v1\.32\.\d+", GitCommit:"[0-9a-f]+"/);
    }
  });

  it('get --raw returns the server\'s documents as they are', async () => {
    const v1 = JSON.parse(await ok(['get', '--raw', '/api/v1']));
    expect(v1).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect(v1.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/exec', 'pods/portforward', 'nodes']));
    const nodes = JSON.parse(await ok(['get', '--raw', '/api/v1/nodes?limit=1']));
    expect(nodes.kind).toBe('NodeList');
    expect(nodes.items).toHaveLength(1);
    expect(nodes.metadata.continue).toBeTruthy();
  });

  describe('Kubectl run pod, replace and server-side dry-run (a bare pod needs spec.nodeName here)', () => {
    const ns = 'kubectl-run';
    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
    });

    it('run --restart=Never creates a pod of one container with the image and restart policy asked for', async () => {
      await ok(['run', 'e2e-test-httpd-pod', '-n', ns, '--restart=Never', '--image=registry.k8s.io/e2e-test-images/httpd:2.4.38-4', '--overrides={"spec":{"nodeName":"node-1"}}', '--command', '--', ...sh('sleep 3600', 'run-never')]);
      const pod = JSON.parse(await ok(['get', 'pod', 'e2e-test-httpd-pod', '-n', ns, '-o', 'json']));
      expect(pod.spec.containers).toHaveLength(1);
      expect(pod.spec.containers[0].image).toBe('registry.k8s.io/e2e-test-images/httpd:2.4.38-4');
      expect(pod.spec.restartPolicy).toBe('Never');
      await ok(['delete', 'pod', 'e2e-test-httpd-pod', '-n', ns, '--wait=false']);
    });

    it('patch --dry-run=server and replace --dry-run=server leave the pod\'s image; replace changes it', async () => {
      const httpd = 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4';
      const busybox = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
      await ok(['run', 'dry', '-n', ns, `--image=${httpd}`, '--labels=run=dry', '--overrides={"spec":{"nodeName":"node-2"}}', '--command', '--', ...sh('sleep 3600', 'dry')]);
      await waitRunning(ns, 'dry');
      const image = async (): Promise<string> => ok(['get', 'pod', 'dry', '-n', ns, '-o', 'jsonpath={.spec.containers[0].image}']);
      expect(await ok(['patch', 'pod', 'dry', '-n', ns, '-p', JSON.stringify({ spec: { containers: [{ name: 'dry', image: busybox }] } }), '--dry-run=server'])).toContain('pod/dry patched');
      expect(await image()).toBe(httpd);
      const live = await ok(['get', 'pod', 'dry', '-n', ns, '-o', 'json']);
      expect(await ok(['replace', '-f', '-', '--dry-run=server'], { input: live.replace(httpd, busybox) })).toContain('pod/dry replaced (server dry run)');
      expect(await image()).toBe(httpd);
      expect(await ok(['replace', '-f', '-'], { input: live.replace(httpd, busybox) })).toContain('pod/dry replaced');
      expect(await image()).toBe(busybox);
    });

    it('label adds a label that get -L shows, and label KEY- removes it', async () => {
      await ok(['label', 'pods', 'dry', '-n', ns, 'testing-label=testing-label-value']);
      expect(await ok(['get', 'pod', 'dry', '-n', ns, '-L', 'testing-label'])).toMatch(/^dry\s.*testing-label-value$/m);
      await ok(['label', 'pods', 'dry', '-n', ns, 'testing-label-']);
      const out = await ok(['get', 'pod', 'dry', '-n', ns, '-L', 'testing-label']);
      expect(out).toMatch(/TESTING-LABEL/);
      expect(out).not.toContain('testing-label-value');
    });

    it('events --for=pod/NAME lists the kubelet\'s Normal events of the pod, and no Warning', async () => {
      const events = await waitFor(async () => {
        const out = (await ok(['events', '-n', ns, '--for=pod/dry'])).trim().split(/\s+/).join(' ');
        return out.includes('Normal Started Pod/dry') ? out : undefined;
      }, { message: 'a Started event of pod/dry' });
      expect(events).toContain('Normal Pulled Pod/dry');
      const warnings = await kubectl(['events', '-n', ns, '--types=Warning', '--for=pod/dry']);
      expect(warnings.code).toBe(0);
      expect(warnings.stdout).toBe('');
    });

    let attachAttempt = 0;
    it('run --attach returns the container\'s exit code, run -i too, and run -i types into the container, whose input closes after (stdinOnce)', async () => {
      const nodeName = '--overrides={"spec":{"nodeName":"node-1"}}';
      // Names of their own per attempt (a retried test must not meet its first attempt's pods).
      const n = ++attachAttempt;
      const success = await kubectl(['run', `success-${n}`, '-n', ns, '--attach', '--restart=Never', '--image=busybox', nodeName, '--command', '--', ...sh('exit 0', `success-${n}`)]);
      expect(success.code, success.stderr).toBe(0);
      // Attach shows the output written from the moment it attached (as a container runtime's
      // attach does): the container waits a moment before it writes, or a fast one could print
      // before kubectl attached.
      const failure = await kubectl(['run', `failure-1-${n}`, '-n', ns, '--attach', '--restart=Never', '--image=busybox', nodeName, '--command', '--', ...sh('sleep 1; echo bye; exit 42', `failure-1-${n}`)]);
      expect(failure.code, failure.stderr).toBe(42);
      expect(failure.stdout).toContain('bye');
      const withStdin = await kubectl(['run', `failure-2-${n}`, '-n', ns, '-i', '--restart=Never', '--image=busybox', nodeName, '--command', '--', ...sh('exit 42', `failure-2-${n}`)], { input: 'abcd1234' });
      expect(withStdin.code, withStdin.stderr).toBe(42);
      // Upstream's "should support inline execution and attach": what kubectl reads goes to the
      // container, whose input then ends (kubectl run -i sets stdinOnce), so cat returns.
      const inline = await kubectl(['run', `run-test-${n}`, '-n', ns, '--restart=Never', '--attach=true', '--stdin', '--image=busybox', nodeName, '--command', '--', ...sh("echo -n read: && cat && echo 'stdin closed'", `run-test-${n}`)], { input: 'abcd1234' });
      expect(inline.code, inline.stderr).toBe(0);
      expect(inline.stdout).toContain('abcd1234');
      expect(inline.stdout).toContain('stdin closed');
    });
  });

  describe('Kubectl logs', () => {
    const ns = 'kubectl-logs';
    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
    });

    it('--tail=1, --limit-bytes=1, --tail=1 --timestamps (RFC 3339) and --since=1s against --since=24h', async () => {
      // As agnhost's logs-generator: 100 lines naming API paths, over 10 s.
      const script = 'i=0; while [ $i -lt 100 ]; do echo "$i GET /api/v1/namespaces/kube-system/pods/p$i 200"; i=$((i+1)); sleep 0.1; done';
      await ok(['create', '-f', '-'], { input: podManifest(ns, 'logs-generator', [{ name: 'logs-generator', command: sh(script, 'logs-generator') }], { restartPolicy: 'Never' }) });
      await waitRunning(ns, 'logs-generator', true);
      const logs = (...flags: string[]): Promise<string> => ok(['logs', '-n', ns, 'logs-generator', 'logs-generator', ...flags]);
      // Upstream waits 2.5 s so that the first lines are older than 1 s; here: until 30 lines (3 s) are there.
      await waitFor(async () => linesOf(await logs()).length >= 30 && (await logs()).includes('/api/v1/namespaces/kube-system'), { message: '30 log lines' });
      const tail = await logs('--tail=1');
      expect(tail).not.toBe('');
      expect(linesOf(tail)).toHaveLength(1);
      const oneByte = await logs('--limit-bytes=1');
      expect(oneByte).toHaveLength(1);
      expect(linesOf(oneByte)).toHaveLength(1);
      const stamped = linesOf(await logs('--tail=1', '--timestamps'));
      expect(stamped).toHaveLength(1);
      const words = stamped[0]!.split(' ');
      expect(words.length).toBeGreaterThan(1);
      expect(words[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      const recent = (await logs('--since=1s')).split('\n').length;
      const older = (await logs('--since=24h')).split('\n').length;
      expect(recent).toBeLessThan(older);
      await ok(['delete', 'pod', 'logs-generator', '-n', ns, '--wait=false']);
    });

    it('logs without -c shows the container named by kubectl.kubernetes.io/default-container; -c one container; --all-containers all', async () => {
      const lines = (n: number, tag: string): string[] => sh(`seq ${n} | sed 's/^/line /'`, tag);
      await ok(['create', '-f', '-'], {
        input: podManifest(ns, 'two-containers', [{ name: 'container-1', command: lines(10, 'c1') }, { name: 'container-2', command: lines(20, 'c2') }], {
          restartPolicy: 'Never',
          annotations: { 'kubectl.kubernetes.io/default-container': 'container-2' },
        }),
      });
      await waitFor(async () => (await podPhase(ns, 'two-containers')) === 'Succeeded', { message: 'two-containers Succeeded' });
      expect(linesOf(await ok(['logs', '-n', ns, 'two-containers', '-c', 'container-1']))).toHaveLength(10);
      expect(linesOf(await ok(['logs', '-n', ns, 'two-containers', '--all-containers']))).toHaveLength(30);
      expect(linesOf(await ok(['logs', '-n', ns, 'two-containers']))).toHaveLength(20);
    });

    it('logs -f of a running container ends with its last line once it exits (every kubectl)', async () => {
      await ok(['create', '-f', '-'], {
        input: podManifest(ns, 'run-log-test', [{ name: 'run-log-test', command: sh('sleep 2; seq 100 | while read i; do echo $i; sleep 0.01; done; echo EOF', 'run-log-test') }], { restartPolicy: 'OnFailure', node: 'node-2' }),
      });
      await waitRunning(ns, 'run-log-test', true);
      const runs = await Promise.all(allKubectls.map((k) => kubectl(['logs', '-f', '-n', ns, 'run-log-test'], { k, timeoutMs: 30_000 })));
      for (const [i, r] of runs.entries()) {
        expect([allKubectls[i]!.name, r.code]).toEqual([allKubectls[i]!.name, 0]);
        expect(linesOf(r.stdout).at(-1), allKubectls[i]!.name).toBe('EOF');
        expect(linesOf(r.stdout), allKubectls[i]!.name).toHaveLength(101);
      }
    });
  });

  describe('Kubectl exec (Simple pod)', () => {
    const ns = 'kubectl-exec';
    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
      await ok(['create', '-f', '-'], { input: podManifest(ns, 'httpd', [{ name: 'httpd', command: sh('exec sleep 3600', 'httpd') }], { labels: { name: 'httpd' } }) });
      await waitRunning(ns, 'httpd');
    });

    it.each(allKubectls.map((k) => [k.name, k] as const))('exec with %s: output, pod/NAME, exit codes, a 20,000-character argument, stdin and a pseudo-interactive shell', async (_n, k) => {
      const run = (args: string[], input?: string): Promise<KubectlRun> => kubectl(['exec', '-n', ns, ...args], { k, input });
      expect((await run(['httpd', '--', 'echo', 'running', 'in', 'container'])).stdout.trim()).toBe('running in container');
      expect((await run(['pod/httpd', '--', 'echo', 'running', 'in', 'container'])).stdout.trim()).toBe('running in container');
      expect((await run(['httpd', '--', '/bin/sh', '-c', 'exit 0'])).code).toBe(0);
      const failing = await run(['httpd', '--', '/bin/sh', '-c', 'exit 42']);
      expect(failing.code).toBe(42);
      expect(failing.stderr).toContain('command terminated with exit code 42');
      const long = 'a'.repeat(20_000);
      const echoed = await run(['httpd', '--', 'echo', long]);
      expect(echoed.stderr).toBe('');
      expect(echoed.stdout.trim()).toBe(long);
      expect((await run(['-i', 'httpd', '--', 'cat'], 'abcd1234')).stdout).toBe('abcd1234');
      expect((await run(['-i', 'httpd', '--', 'sh'], 'echo hi\nexit\n')).stdout.trim()).toBe('hi');
    });

    it("exec reaches a running init container; exec and attach to a container that is not running fail before the upgrade, in the kubelet's words", async () => {
      const base = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns }, spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 1 } };
      const initPod = { ...base, metadata: { ...base.metadata, name: 'init-stuck' }, spec: { ...base.spec, initContainers: [{ name: 'wait', image: 'busybox', command: sh('exec sleep 3600', 'init-stuck') }], containers: [{ name: 'main', image: 'busybox', command: sh('exec sleep 3600', 'init-main') }] } };
      const crashPod = { ...base, metadata: { ...base.metadata, name: 'crash' }, spec: { ...base.spec, containers: [{ name: 'c', image: 'busybox', command: sh('exit 3', 'crash') }] } };
      await ok(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [initPod, crashPod] }) });
      const state = (name: string, path: string) => kubectl(['get', 'pod', name, '-n', ns, '-o', `jsonpath=${path}`]).then((r) => r.stdout);
      await waitFor(async () => (await state('init-stuck', '{.status.initContainerStatuses[0].state.running}')) !== '', { timeoutMs: 30_000, message: 'init container running' });
      const inInit = await kubectl(['exec', '-n', ns, 'init-stuck', '-c', 'wait', '--', 'echo', 'in init']);
      expect([inInit.code, inInit.stdout.trim()], inInit.stderr).toEqual([0, 'in init']);

      await waitFor(async () => /waiting|terminated/.test(await state('crash', '{.status.containerStatuses[0].state}')), { timeoutMs: 30_000, message: 'crashed container not running' });
      const exec = await kubectl(['exec', '-n', ns, 'crash', '--', 'true']);
      expect(exec.code).toBe(1);
      expect(exec.stderr).toContain('container not found ("c")');
      const attach = await kubectl(['attach', '-n', ns, 'crash']);
      expect(attach.code).toBe(1);
      expect(attach.stderr).toContain(`container c not found in pod crash_${ns}`);
      await ok(['delete', 'pod', 'init-stuck', 'crash', '-n', ns, '--grace-period=0', '--force']);
    });

    it('exec through kubectl proxy --disable-filter (every kubectl as the client)', async () => {
      const proxy = startKubectl(['proxy', '-p', '0', '--disable-filter']);
      const port = await waitFor(() => /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(proxy.output())?.[1], { message: 'kubectl proxy port' });
      for (const k of allKubectls) {
        const r = await kubectl([`--server=http://127.0.0.1:${port}`, 'exec', '-n', ns, 'httpd', '--', 'echo', 'running', 'in', 'container'], { k });
        expect([k.name, r.code, r.stdout]).toEqual([k.name, 0, 'running in container\n']);
      }
      await proxy.stop();
    });

    it('many execs at once all succeed (exec.go runs 1,000 through 10 workers; here 40)', async () => {
      let next = 0;
      const failures: string[] = [];
      const worker = async (): Promise<void> => {
        while (next < 40) {
          next++;
          const r = await kubectl(['exec', '-n', ns, 'httpd', '--', 'date', '+%s']);
          if (r.code !== 0 || !/^\d+$/.test(r.stdout.trim())) failures.push(`${r.code}: ${r.stderr}${r.stdout}`);
        }
      };
      await Promise.all(Array.from({ length: 10 }, worker));
      expect(failures).toEqual([]);
    });

    it('cp copies a file from the pod (a host path: containers are host processes)', async () => {
      const src = join(dir, 'foo.bar');
      writeFileSync(src, 'foobar\n');
      const dst = join(dir, 'copied');
      await ok(['cp', '-n', ns, `httpd:${src}`, dst]);
      expect(readFileSync(dst, 'utf8')).toBe('foobar\n');
    });
  });

  describe('Kubectl port forwarding (the pod\'s port is a port of its node)', () => {
    const ns = 'kubectl-pf';
    let tester = '';
    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
      // portforwardtester's behaviour: accept one connection; read EXPECTED_CLIENT_DATA if set
      // (its absence at the client's end is reported), then send CHUNKS chunks of CHUNK_SIZE 'x'
      // every CHUNK_INTERVAL ms, close and exit. Half-open like a Go server: a client's FIN
      // still lets the answer flow.
      tester = join(dir, 'portforwardtester.mjs');
      writeFileSync(tester, `import net from 'node:net';
const e = process.env;
const expected = e.EXPECTED_CLIENT_DATA ?? '';
const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  console.log('Accepted client connection');
  server.close();
  const send = () => {
    let i = 0;
    const tick = () => {
      if (i++ >= Number(e.CHUNKS)) { sock.end(); console.log('Done'); return; }
      sock.write('x'.repeat(Number(e.CHUNK_SIZE)));
      setTimeout(tick, Number(e.CHUNK_INTERVAL));
    };
    tick();
  };
  if (!expected) return send();
  let got = '';
  let received = false;
  sock.on('data', (d) => {
    got += d;
    if (!received && got.length >= expected.length) {
      received = true;
      if (got === expected) { console.log('Received expected client data'); send(); } else { console.log('Expected ' + JSON.stringify(expected) + ' from client, got ' + JSON.stringify(got)); sock.end(); }
    }
  });
  sock.on('end', () => {
    if (!received) { console.log('Expected to read ' + expected.length + ' bytes from client, but got ' + got.length + ' instead'); sock.end(); }
  });
  sock.on('error', (err) => console.log('connection error: ' + err.message));
});
server.listen(Number(e.BIND_PORT), e.BIND_ADDRESS === 'localhost' ? '127.0.0.1' : e.BIND_ADDRESS, () => console.log('listening on ' + e.BIND_ADDRESS + ':' + e.BIND_PORT));
`);
    });

    type Scenario = 'sends NO DATA' | 'sends DATA' | 'expects NO request';
    /** One tester pod, one `kubectl port-forward` to it, one client connection; returns what the client read and the pod's log. */
    async function forward(bind: string, scenario: Scenario, k: Kubectl, name: string): Promise<{ read: string; log: string }> {
      const port = await freePort();
      const env = scenario === 'sends NO DATA' ? { EXPECTED_CLIENT_DATA: 'abc', CHUNKS: '1', CHUNK_SIZE: '1', CHUNK_INTERVAL: '1' } : { EXPECTED_CLIENT_DATA: scenario === 'sends DATA' ? 'abc' : '', CHUNKS: '10', CHUNK_SIZE: '10', CHUNK_INTERVAL: '100' };
      await ok(['create', '-f', '-'], {
        input: podManifest(ns, name, [{ name: 'portforwardtester', command: [process.execPath, tester, `${mark}-${name}`], env: { BIND_ADDRESS: bind, BIND_PORT: String(port), ...env }, ports: [port] }], { restartPolicy: 'Never' }),
      });
      await waitFor(async () => (await kubectl(['logs', '-n', ns, name])).stdout.includes('listening on'), { timeoutMs: 30_000, intervalMs: 100, message: `${name} listening` });
      const pf = startKubectl(['port-forward', '-n', ns, name, `:${port}`], k);
      const local = Number(await waitFor(() => new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${port}`).exec(pf.output())?.[1], { message: `${k.name} port-forward to ${name}` }));
      const read = await new Promise<string>((resolve, reject) => {
        let got = '';
        const c = connect({ host: '127.0.0.1', port: local, allowHalfOpen: true }, () => {
          if (scenario === 'sends NO DATA') c.end();
          else if (scenario === 'sends DATA') c.end('abc');
        });
        c.setEncoding('utf8').on('data', (d: string) => (got += d));
        c.on('end', () => {
          c.end();
          resolve(got);
        });
        c.on('error', reject);
        c.setTimeout(20_000, () => reject(new Error(`${name}: no end from the forwarded connection`)));
      });
      await waitFor(async () => ['Succeeded', 'Failed'].includes(await podPhase(ns, name)), { timeoutMs: 20_000, message: `${name} terminated` });
      const log = (await kubectl(['logs', '-n', ns, name])).stdout;
      await pf.stop();
      return { read, log };
    }

    for (const bind of ['localhost', '0.0.0.0']) {
      it(`with a server listening on ${bind}: a client that connects, sends NO DATA, and disconnects; one that sends DATA (every kubectl); and one to a server that expects NO request`, async () => {
        const tag = bind === 'localhost' ? 'lo' : 'any';
        const runs: Promise<void>[] = [
          forward(bind, 'sends NO DATA', dispatcher, `pf-${tag}-nodata`).then(({ read, log }) => {
            expect(read).toBe('');
            expect(log).toContain('Accepted client connection');
            expect(log).toContain('Expected to read 3 bytes from client, but got 0 instead');
          }),
          forward(bind, 'expects NO request', dispatcher, `pf-${tag}-norequest`).then(({ read, log }) => {
            expect(read).toBe('x'.repeat(100));
            expect(log).toContain('Accepted client connection');
            expect(log).toContain('Done');
          }),
          ...allKubectls.map((k) =>
            forward(bind, 'sends DATA', k, `pf-${tag}-data-${short(k)}`).then(({ read, log }) => {
              expect(read, k.name).toBe('x'.repeat(100));
              expect(log, k.name).toContain('Accepted client connection');
              expect(log, k.name).toContain('Received expected client data');
              expect(log, k.name).toContain('Done');
            }),
          ),
        ];
        await Promise.all(runs);
      });
    }
  });

  describe('Proxy server', () => {
    it.each(allKubectls.map((k) => [k.name, k] as const))('proxy --port 0 with %s serves /api/ with at least one version', async (_n, k) => {
      const proxy = startKubectl(['proxy', '-p', '0', '--disable-filter'], k);
      const port = await waitFor(() => /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(proxy.output())?.[1], { message: `${k.name} proxy port` });
      const api = (await (await fetch(`http://localhost:${port}/api/`)).json()) as { kind: string; versions: string[] };
      expect(api.kind).toBe('APIVersions');
      expect(api.versions.length).toBeGreaterThanOrEqual(1);
      await proxy.stop();
    });

    it('proxy --unix-socket=PATH serves /api on the socket', async () => {
      const socketPath = join(dir, 'proxy.sock');
      const proxy = startKubectl(['proxy', `--unix-socket=${socketPath}`]);
      await waitFor(() => proxy.output().includes('Starting to serve on') && existsSync(socketPath), { message: 'kubectl proxy on a unix socket' });
      const body = await new Promise<string>((resolve, reject) => {
        // kubectl proxy's filter accepts the Host names localhost, 127.0.0.1 and ::1 only.
        const req = httpRequest({ socketPath, path: '/api', headers: { host: 'localhost' } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body).versions).toContain('v1');
      await proxy.stop();
    });
  });

  describe('DaemonSets where upstream uses ReplicationControllers: apply, diff, patch, expose, describe', () => {
    const ns = 'kubectl-ds';
    const agnhost = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
    const busybox = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
    });

    it.each(allKubectls.map((k) => [k.name, k] as const))('apply of a changed configuration to a DaemonSet made by create, with %s: last-applied annotation and the new label; diff shows both images', async (_n, k) => {
      const name = `agnhost-apply-${short(k)}`;
      const ds = daemonSet(ns, name, agnhost, { app: name });
      expect(await ok(['create', '-f', '-'], { k, input: JSON.stringify(ds) })).toContain(`daemonset.apps/${name} created`);
      // spec.selector is immutable for DaemonSets (an RC's may change): the label goes on the object and its template.
      const changed = structuredClone(ds);
      changed.metadata.labels['kubectl.kubernetes.io/apply-test'] = 'ADDED';
      changed.spec.template.metadata.labels['kubectl.kubernetes.io/apply-test'] = 'ADDED';
      expect(await ok(['apply', '-f', '-'], { k, input: JSON.stringify(changed) })).toContain(`daemonset.apps/${name} configured`);
      const live = JSON.parse(await ok(['get', 'ds', name, '-n', ns, '-o', 'json'], { k }));
      expect(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeTruthy();
      expect(live.metadata.labels['kubectl.kubernetes.io/apply-test']).toBe('ADDED');
      const declared = JSON.stringify(changed).replace(agnhost, busybox);
      const diff = await kubectl(['diff', '-f', '-'], { k, input: declared });
      expect(diff.code, diff.stderr).toBe(1);
      expect(diff.stdout).toContain(`-        image: ${agnhost}`);
      expect(diff.stdout).toContain(`+        image: ${busybox}`);
      expect(await ok(['get', 'ds', name, '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], { k })).toBe(agnhost);
      await ok(['delete', '-f', '-'], { k, input: declared });
    });

    it.each(allKubectls.map((k) => [k.name, k] as const))('server-side apply with %s: applied, re-applied with a change, and diff --server-side shows the next one', async (_n, k) => {
      const name = `agnhost-ssa-${short(k)}`;
      const ds = daemonSet(ns, name, agnhost, { app: name });
      expect(await ok(['apply', '--server-side', '-f', '-'], { k, input: JSON.stringify(ds) })).toContain(`daemonset.apps/${name} serverside-applied`);
      const next = JSON.stringify(ds).replace(agnhost, busybox);
      expect(await ok(['apply', '--server-side', '-f', '-'], { k, input: next })).toContain(`daemonset.apps/${name} serverside-applied`);
      const live = JSON.parse(await ok(['get', 'ds', name, '-n', ns, '-o', 'json', '--show-managed-fields'], { k }));
      expect(live.spec.template.spec.containers[0].image).toBe(busybox);
      expect(live.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toContain('kubectl/Apply');
      const diff = await kubectl(['diff', '--server-side', '-f', '-'], { k, input: next.replace(busybox, agnhost) });
      expect(diff.code, diff.stderr).toBe(1);
      expect(diff.stdout).toContain(`+        image: ${agnhost}`);
      await ok(['delete', 'ds', name, '-n', ns, '--wait=false'], { k });
    });

    it.each(allKubectls.map((k) => [k.name, k] as const))('get -w with %s prints the DaemonSet, then a row for its change', async (_n, k) => {
      const name = `agnhost-watch-${short(k)}`;
      await ok(['create', '-f', '-'], { input: JSON.stringify(daemonSet(ns, name, agnhost, { app: name })) });
      const w = startKubectl(['get', 'ds', name, '-n', ns, '-w', '--output-watch-events'], k);
      await waitFor(() => new RegExp(`^ADDED\\s+${name}\\s`, 'm').test(w.output()), { message: `${k.name} ADDED row; output: ${w.output()}` });
      await ok(['label', 'ds', name, '-n', ns, 'watched=yes']);
      await waitFor(() => new RegExp(`^MODIFIED\\s+${name}\\s`, 'm').test(w.output()), { message: `${k.name} MODIFIED row` });
      expect(w.output()).toMatch(/^EVENT\s+NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
      await w.stop();
      await ok(['delete', 'ds', name, '-n', ns, '--wait=false']);
    });

    it('patch adds an annotation to every pod of a DaemonSet', async () => {
      await ok(['create', '-f', '-'], { input: JSON.stringify(daemonSet(ns, 'agnhost-patch', agnhost, { app: 'agnhost-patch' })) });
      const pods = await waitDaemonPods(ns, 'app=agnhost-patch', 2);
      for (const p of pods) await ok(['patch', 'pod', p, '-n', ns, '-p', '{"metadata":{"annotations":{"x":"y"}}}']);
      for (const p of pods) expect(await ok(['get', 'pod', p, '-n', ns, '-o', 'jsonpath={.metadata.annotations.x}'])).toBe('y');
    });

    it('expose of a daemon pod and of that service: ports and target ports as asked, Endpoints with the pods\' port', async () => {
      await ok(['create', '-f', '-'], { input: JSON.stringify(daemonSet(ns, 'agnhost-primary', agnhost, { app: 'agnhost', role: 'primary' })) });
      const pods = await waitDaemonPods(ns, 'app=agnhost,role=primary', 2);
      // `kubectl expose ds` is refused by kubectl itself, as upstream.
      const refused = await kubectl(['expose', 'ds', 'agnhost-primary', '-n', ns, '--port=1234']);
      expect(refused.stderr).toContain('cannot expose a DaemonSet');
      await ok(['expose', 'pod', pods[0]!, '-n', ns, '--name=rm2', '--port=1234', '--target-port=6379']);
      await ok(['expose', 'service', 'rm2', '-n', ns, '--name=rm3', '--port=2345', '--target-port=6379']);
      const podIPs = (await ok(['get', 'pods', '-n', ns, '-l', 'app=agnhost,role=primary', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').sort();
      for (const [svc, port] of [['rm2', 1234], ['rm3', 2345]] as const) {
        const s = JSON.parse(await ok(['get', 'service', svc, '-n', ns, '-o', 'json']));
        expect(s.spec.ports).toHaveLength(1);
        expect(s.spec.ports[0]).toMatchObject({ port, targetPort: 6379 });
        // Upstream's RC has one replica, so one endpoint; a DaemonSet's pods on two nodes give two.
        const ep = await waitFor(async () => {
          const e = JSON.parse(await ok(['get', 'endpoints', svc, '-n', ns, '-o', 'json']));
          return (e.subsets?.[0]?.addresses?.length ?? 0) === podIPs.length ? e : undefined;
        }, { message: `endpoints of ${svc}` });
        expect(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort()).toEqual(podIPs);
        expect(ep.subsets[0].ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
      }
    });

    it('describe prints the relevant information of a daemon pod, its DaemonSet, a service, a node and the namespace', async () => {
      const pods = await waitDaemonPods(ns, 'app=agnhost,role=primary', 2);
      await ok(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'agnhost-primary', namespace: ns, labels: { app: 'agnhost', role: 'primary' } }, spec: { selector: { app: 'agnhost', role: 'primary' }, ports: [{ port: 6379, targetPort: 'redis-server' }] } }) });
      expectLines(await ok(['describe', 'pod', pods[0]!, '-n', ns]), [
        ['Name:', 'agnhost-primary-'],
        ['Namespace:', ns],
        ['Node:'],
        ['Labels:', 'app=agnhost'],
        ['role=primary'],
        ['Annotations:'],
        ['Status:', 'Running'],
        ['IP:'],
        ['Controlled By:', 'DaemonSet/agnhost-primary'],
        ['Image:', agnhost],
        ['State:', 'Running'],
        ['QoS Class:', 'BestEffort'],
      ]);
      await waitFor(async () => {
        const out = await ok(['describe', 'ds', 'agnhost-primary', '-n', ns]);
        expectLines(out, [
          ['Name:', 'agnhost-primary'],
          ['Selector:', 'app=agnhost,role=primary'],
          ['Labels:', 'app=agnhost'],
          ['role=primary'],
          ['Annotations:'],
          ['Desired Number of Nodes Scheduled:', '2'],
          ['Current Number of Nodes Scheduled:', '2'],
          ['Pods Status:', '2 Running', '0 Waiting', '0 Succeeded', '0 Failed'],
          ['Pod Template:'],
          ['Image:', agnhost],
          ['Events:'],
          ['SuccessfulCreate'],
        ]);
        return true;
      }, { message: 'describe ds with the DaemonSet\'s status and events' });
      expectLines(await ok(['describe', 'service', 'agnhost-primary', '-n', ns]), [
        ['Name:', 'agnhost-primary'],
        ['Namespace:', ns],
        ['Labels:', 'app=agnhost'],
        ['role=primary'],
        ['Annotations:'],
        ['Selector:', 'app=agnhost', 'role=primary'],
        ['Type:', 'ClusterIP'],
        ['IP:'],
        ['Port:', '<unset>', '6379/TCP'],
        ['Endpoints:'],
        ['Session Affinity:', 'None'],
      ]);
      expectLines(await ok(['describe', 'node', 'node-1']), [
        ['Name:', 'node-1'],
        ['Labels:'],
        ['Annotations:'],
        ['CreationTimestamp:'],
        ['Conditions:'],
        ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
        ['Addresses:'],
        ['Capacity:'],
        ['Version:'],
        ['Kernel Version:'],
        ['OS Image:'],
        ['Container Runtime Version:'],
        ['Kubelet Version:'],
        ['Kube-Proxy Version:'],
        ['Pods:'],
      ]);
      expectLines(await ok(['describe', 'namespace', ns]), [['Name:', ns], ['Labels:'], ['Annotations:'], ['Status:', 'Active']]);
    });

    it('apply of the same Service configuration keeps its port (and its cluster IP)', async () => {
      const svc = JSON.stringify({ kind: 'Service', apiVersion: 'v1', metadata: { name: 'agnhost-reuse', namespace: ns, labels: { app: 'agnhost', role: 'primary' } }, spec: { ports: [{ port: 6379, targetPort: 'agnhost-server' }], selector: { app: 'agnhost', role: 'primary' } } });
      await ok(['create', '-f', '-'], { input: svc });
      const before = await ok(['get', 'service', 'agnhost-reuse', '-n', ns, '-o', 'jsonpath={.spec.ports[0].port} {.spec.clusterIP}']);
      await ok(['apply', '-f', '-'], { input: svc });
      expect(await ok(['get', 'service', 'agnhost-reuse', '-n', ns, '-o', 'jsonpath={.spec.ports[0].port} {.spec.clusterIP}'])).toBe(before);
      expect(before).toMatch(/^6379 10\./);
    });

    it('apply view-last-applied and set-last-applied read and write the annotation apply keeps', async () => {
      const ds = daemonSet(ns, 'last-applied', agnhost, { app: 'last-applied' });
      ds.metadata.labels.tier = 'one';
      await ok(['apply', '-f', '-'], { input: JSON.stringify(ds) });
      expect(await ok(['apply', 'view-last-applied', '-f', '-', '-o', 'json'], { input: JSON.stringify(ds) })).toContain('"tier": "one"');
      const without = structuredClone(ds);
      delete without.metadata.labels.tier;
      await ok(['apply', 'set-last-applied', '-f', '-'], { input: JSON.stringify(without) });
      expect(await ok(['apply', 'view-last-applied', '-f', '-', '-o', 'json'], { input: JSON.stringify(ds) })).not.toContain('"tier"');
      // The live label stays: set-last-applied changes the annotation only.
      expect(await ok(['get', 'ds', 'last-applied', '-n', ns, '-o', 'jsonpath={.metadata.labels.tier}'])).toBe('one');
      await ok(['delete', 'ds', 'last-applied', '-n', ns, '--wait=false']);
    });
  });

  describe('Kubectl validation and explain of custom resources', () => {
    const ns = 'kubectl-crd';
    const crd = (plural: string, kind: string, schema: Record<string, unknown>): string =>
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.kubectl.example.com` },
        spec: { group: 'kubectl.example.com', scope: 'Namespaced', names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
      });
    const fooSpec = {
      type: 'object',
      description: 'Specification of Foo',
      properties: { bars: { description: 'List of Bars and their specs.', type: 'array', items: { type: 'object', required: ['name'], properties: { name: { description: 'Name of Bar.', type: 'string' }, age: { description: 'Age of Bar.', type: 'string' } } } } },
    };
    const meta = (kind: string, name: string): Record<string, unknown> => ({ kind, apiVersion: 'kubectl.example.com/v1', metadata: { name } });

    beforeAll(async () => {
      await ok(['create', 'namespace', ns]);
      await ok(['create', '-f', '-'], { input: crd('noschemas', 'NoSchema', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) });
      await ok(['create', '-f', '-'], { input: crd('foos', 'Foo', { description: 'Foo CRD for Testing', type: 'object', properties: { spec: fooSpec } }) });
      await ok(['create', '-f', '-'], { input: crd('partials', 'Partial', { description: 'Foo CRD for Testing', type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: fooSpec } }) });
      const named = { type: 'object', properties: { name: { type: 'string' } } };
      await ok(['create', '-f', '-'], {
        input: crd('embeddeds', 'Embedded', { type: 'object', properties: { spec: { type: 'object', properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { metadata: named, spec: { type: 'object' } } } } }, metadata: named } }),
      });
      await waitFor(async () => (await kubectl(['get', 'embeddeds,foos,partials,noschemas', '-n', ns])).code === 0, { message: 'the test kinds served' });
    });

    /** upstream's createApplyCustomResource: create --validate=true, delete, apply --validate=true, delete. */
    async function createApply(k: Kubectl, plural: string, cr: Record<string, unknown>): Promise<string | undefined> {
      const name = (cr.metadata as { name: string }).name;
      for (const verb of ['create', 'apply']) {
        const r = await kubectl([verb, '--validate=true', '-n', ns, '-f', '-'], { k, input: JSON.stringify(cr) });
        if (r.code !== 0) return r.stderr;
        await ok(['delete', plural, name, '-n', ns], { k });
      }
      return undefined;
    }

    it.each(allKubectls.map((k) => [k.name, k] as const))('with %s: a CR with unknown fields for a CRD without schema, a valid CR, unknown fields under and beside a partial schema, unknown metadata at the root and in an embedded object, and of a typed object', async (_n, k) => {
      const s = short(k);
      expect(await createApply(k, 'noschemas', { ...meta('NoSchema', `test-cr-${s}`), a: { b: [{ c: 'd' }] } })).toBeUndefined();
      expect(await createApply(k, 'foos', { ...meta('Foo', `test-cr-${s}`), spec: { bars: [{ name: 'test-bar' }] } })).toBeUndefined();
      const under = await createApply(k, 'partials', { ...meta('Partial', `test-cr-${s}`), spec: { bars: [{ name: 'test-bar' }], extraProperty: 'arbitrary-value' } });
      expect(under).toContain('unknown field "spec.extraProperty"');
      expect(await createApply(k, 'partials', { ...meta('Partial', `test-cr-${s}`), spec: { bars: [{ name: 'test-bar' }] }, extraProperty: 'arbitrary-value' })).toBeUndefined();

      const embedded = (name: string, rootMeta: Record<string, unknown>, subMeta: Record<string, unknown>): string =>
        JSON.stringify({ ...meta('Embedded', name), metadata: { name, ...rootMeta }, spec: { template: { apiVersion: 'foo/v1', kind: 'Sub', metadata: { name: 'subobject', namespace: ns, ...subMeta } } } });
      const root = await kubectl(['create', '--validate=true', '-n', ns, '-f', '-'], { k, input: embedded(`test-cr-${s}`, { unknownMeta: 'foo' }, {}) });
      expect(root.code).toBe(1);
      expect(root.stderr).toMatch(/unknown field "(metadata\.)?unknownMeta"/);
      expect(root.stderr).not.toMatch(/unknown field "(metadata\.)?namespace"/);
      const sub = await kubectl(['create', '--validate=true', '-n', ns, '-f', '-'], { k, input: embedded(`test-cr-embedded-${s}`, {}, { unknownMetaEmbedded: 'bar' }) });
      expect(sub.code, sub.stdout).toBe(1);
      expect(sub.stderr).toMatch(/unknown field "(spec\.template\.metadata\.)?unknownMetaEmbedded"/);
      expect(sub.stderr).not.toMatch(/unknown field "(spec\.template\.metadata\.)?namespace"/);

      const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `my-dep-${s}`, unknownMeta: 'foo', labels: { app: 'nginx' } }, spec: { selector: { matchLabels: { app: 'nginx' } }, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } } } };
      const typed = await kubectl(['create', '-n', ns, '-f', '-'], { k, input: JSON.stringify(deployment) });
      expect(typed.code).toBe(1);
      expect(typed.stderr).toMatch(/unknown field "(metadata\.)?unknownMeta"/);
      expect(typed.stderr).not.toMatch(/unknown field "(metadata\.)?namespace"/);
    });

    it.each(allKubectls.map((k) => [k.name, k] as const))('explain with %s shows a CRD\'s kind, its fields and a nested field\'s description', async (_n, k) => {
      const kind = await ok(['explain', 'foos'], { k });
      expect(kind).toMatch(/KIND:\s+Foo/);
      expect(kind).toMatch(/VERSION:\s+v1/);
      expect(kind).toContain('Foo CRD for Testing');
      expect(kind).toMatch(/^\s+spec\s+<Object>$/m);
      const bars = await ok(['explain', 'foos.spec.bars'], { k });
      expect(bars).toContain('List of Bars and their specs.');
      expect(bars).toMatch(/^\s+name\s+<string> -required-$/m);
      expect(bars).toMatch(/^\s+age\s+<string>$/m);
    });
  });

  it('create quota: skipped, ResourceQuotas are not served', async (ctx) => {
    const resources = await ok(['api-resources', '--api-group=', '-o', 'name']);
    if (!resources.split('\n').includes('resourcequotas')) {
      console.warn('kubectl create quota scenarios skipped: everynode does not serve resourcequotas');
      const r = await kubectl(['create', 'quota', 'million', '--hard=pods=1000000,services=1000000']);
      expect(r.code).toBe(1);
      ctx.skip();
    }
    await ok(['create', 'quota', 'million', '--hard=pods=1000000,services=1000000']);
  });

  it('wait --for=delete of a pod that does not exist, by name or selector, succeeds at once', async () => {
    await ok(['wait', '--for=delete', 'pod/doesnotexist', '--timeout=10s']);
    await ok(['wait', '--for=delete', 'pod', '--selector=app.kubernetes.io/name=noexist', '--timeout=10s']);
  });

  it('--subresource is refused for a bulk get, and a node\'s status subresource reads as the node does', async () => {
    const bulk = await kubectl(['get', 'nodes', '--subresource=status']);
    expect(bulk.code).toBe(1);
    expect(bulk.stderr).toContain('subresource cannot be used when bulk resources are specified');
    const jp = '--output=jsonpath={.metadata.name}{.status.nodeInfo.kubeletVersion}';
    const plain = await ok(['get', 'nodes', 'node-1', jp]);
    expect(plain).toMatch(/^node-1v1\.\d+\.\d+$/);
    expect(await ok(['get', 'nodes', 'node-1', jp, '--subresource=status'])).toBe(plain);
  });

  it('taint adds taints that describe node shows, removes one by key and effect, and all of a key at once', async () => {
    const key = `kubernetes.io/e2e-taint-key-${randomBytes(3).toString('hex')}`;
    await ok(['taint', 'nodes', 'node-2', `${key}=testing-taint-value:NoSchedule`]);
    expectLines(await ok(['describe', 'node', 'node-2']), [['Name:', 'node-2'], ['Taints:'], [`${key}=testing-taint-value:NoSchedule`]]);
    await ok(['taint', 'nodes', 'node-2', `${key}:NoSchedule-`]);
    expect(await ok(['describe', 'node', 'node-2'])).not.toContain(key);
    await ok(['taint', 'nodes', 'node-2', `${key}=testing-taint-value:NoSchedule`]);
    await ok(['taint', 'nodes', 'node-2', `${key}=another-testing-taint-value:PreferNoSchedule`]);
    await ok(['taint', 'nodes', 'node-2', `${key}=testing-taint-value-no-execute:NoExecute`]);
    const described = await ok(['describe', 'node', 'node-2']);
    for (const t of [`${key}=testing-taint-value:NoSchedule`, `${key}=another-testing-taint-value:PreferNoSchedule`, `${key}=testing-taint-value-no-execute:NoExecute`]) expect(described).toContain(t);
    await ok(['taint', 'nodes', 'node-2', `${key}-`]);
    expect(await ok(['describe', 'node', 'node-2'])).not.toContain(key);
  });
});
