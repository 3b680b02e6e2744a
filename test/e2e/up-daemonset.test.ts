// `everynode up --nodes 3` as a subprocess (the built binary) running the sample daemon of
// examples/node-reporter: one real process per local node, Running and 1/1 Ready on distinct
// nodes in `kubectl get pods -o wide`, each answering on its node's 127.0.1.x:hostPort; a killed
// daemon is restarted and RESTARTS counts it; a headless Service over them lists one address per
// daemon in its Endpoints, and a NodePort Service reaches them through any node's address; `kubectl logs` shows its output; a static pod file
// becomes a mirror pod; deleting the DaemonSet leaves no process; Ctrl-C (SIGINT) stops every
// daemon gracefully (each logs its SIGTERM) and `up` exits 0.
//
// kubectl is used where it is on PATH; otherwise the everynode CLI prints the same tables.
import { readPodKubeconfigJs } from '../helpers/pod-scripts.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { DaemonSet, KubeObject, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, podsResource, type RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { versionedKubectl } from '../helpers/kubectl.js';
import { containerPid, everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const execFileP = promisify(execFile);
const cleanup = new Cleanup();
const mark = `everynode-e2e-up-${randomBytes(4).toString('hex')}`;
const dsMark = `${mark}-ds`;
const staticMark = `${mark}-static`;
const nodes = ['node-1', 'node-2', 'node-3'];
let up: SpawnedProcess;
let kubeconfig = '';
let dataDir = '';
let cacheDir = '';
let client: RestClient;

const haveChromium = chromiumAvailable('the dashboard log-follow check');
const kubectlPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
/** A kubectl 1.29 (SPDY streams) where the machine keeps versioned binaries beside the dispatcher. */
const kubectl129 = versionedKubectl(29);

/** kubectl (where on PATH) or the everynode CLI, against the cluster's kubeconfig. */
async function kube(...args: string[]): Promise<string> {
  const { stdout } = kubectlPath
    ? await execFileP(kubectlPath, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args])
    : await execFileP(process.execPath, [everynodeBin, ...args, '--kubeconfig', kubeconfig]);
  return stdout;
}

/** CPU cores from a Quantity (`123456n`, `250m`, `1`). */
function parseCpu(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return Number(m[1]) / ({ n: 1e9, u: 1e6, m: 1e3 }[m[2] as 'n' | 'u' | 'm'] ?? 1);
}

/** Rows of a printed table as column → cell, cut at the header's column starts. */
function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((c, i) => (row[c.name] = line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()));
    return row;
  });
}

/** A port free on every local node address (127.0.1.1..3). */
async function freePortOnNodes(): Promise<number> {
  const tryBind = (host: string, port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, host, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryBind('127.0.1.1', 0);
    if (port === undefined) continue;
    if ((await tryBind('127.0.1.2', port)) && (await tryBind('127.0.1.3', port))) return port;
  }
  throw new Error('no port free on 127.0.1.1-3');
}

/** The sample DaemonSet from examples/, on `port`, tagged with `tag` in its command line. */
function sampleDaemonSet(port: number, tag: string): DaemonSet {
  const ds = parseYaml(readFileSync(join(repoRoot, 'examples/node-reporter/daemonset.yaml'), 'utf8')) as DaemonSet;
  const c = ds.spec.template.spec.containers[0]!;
  c.command = [...(c.command ?? []), `--tag=${tag}`];
  c.env = (c.env ?? []).map((e) => (e.name === 'PORT' ? { name: 'PORT', value: String(port) } : e.name === 'REPORT_INTERVAL_SECONDS' ? { ...e, value: '1' } : e));
  c.ports = [{ name: 'http', containerPort: port, hostPort: port }];
  ds.spec.template.spec.terminationGracePeriodSeconds = 5;
  return ds;
}

async function daemonPods(): Promise<Pod[]> {
  return (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=node-reporter' })).items;
}

function ready(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function applyDaemonSet(ds: DaemonSet): Promise<void> {
  const file = join(makeTempDir(cleanup, 'manifest'), 'ds.json');
  writeFileSync(file, JSON.stringify(ds));
  await kube('apply', '-f', file);
}

async function allReady(): Promise<Pod[]> {
  return waitFor(async () => {
    const ps = await daemonPods();
    return ps.length === 3 && ps.every(ready) && !ps.some((p) => p.metadata.deletionTimestamp) ? ps : undefined;
  }, { timeoutMs: 40_000, message: 'three node-reporter pods Running and Ready' });
}

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  dataDir = makeTempDir(cleanup, 'up');
  cacheDir = makeTempDir(cleanup, 'kubectl-cache');
  // Last resort for daemons of a failed run (`up` stops them itself on SIGINT/SIGTERM).
  cleanup.defer(() => {
    killPidsWith(mark);
  }, 'daemon processes');
  // From the repository root: the sample's command is a path relative to it.
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '3'], { cwd: repoRoot });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  kubeconfig = m[2]!;
  client = clientFromKubeconfig(kubeconfig).client;
  await waitFor(() => /node node-3: InternalIP 127\.0\.1\.3/.test(up.output()), { message: 'three local nodes started' });
  if (!kubectlPath) console.warn('kubectl not on PATH: the everynode CLI stands in for it');
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('everynode up --nodes 3 with the sample daemon', () => {
  let port = 0;

  it('runs one Ready daemon per node, each answering on its node address at the same hostPort', async () => {
    port = await freePortOnNodes();
    await applyDaemonSet(sampleDaemonSet(port, dsMark));
    const pods = await allReady();
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(nodes);
    await waitFor(() => pidsWith(dsMark).length === 3, { message: 'three daemon processes' });

    const rows = parseTable(await kube('get', 'pods', '-o', 'wide', '-l', 'app=node-reporter'));
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ READY: '1/1', STATUS: 'Running' });
      expect(r.RESTARTS).toBe('0');
      expect(r.IP).toBe(`127.0.1.${r.NODE!.replace('node-', '')}`);
    }
    expect(rows.map((r) => r.NODE).sort()).toEqual(nodes);

    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`http://127.0.1.${i}:${port}/`);
      expect(await res.text()).toBe(`node-${i}\n`);
    }
  }, 60_000);

  it('a headless Service with the DaemonSet\'s selector lists one address per daemon (its node\'s), with the named port', async () => {
    const file = join(makeTempDir(cleanup, 'svc'), 'svc.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reporters', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'node-reporter' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }));
    await kube('apply', '-f', file);
    type Endpoints = KubeObject & { subsets?: { addresses?: { ip: string; nodeName?: string; targetRef?: { name: string } }[]; ports?: { name?: string; port: number }[] }[] };
    const ep = await waitFor(async () => {
      const e = (await client.get<Endpoints>({ group: '', version: 'v1', plural: 'endpoints', namespaced: true, kind: 'Endpoints' }, 'default', 'reporters').catch(() => undefined)) as Endpoints | undefined;
      return e?.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
    }, { message: 'Endpoints of the headless Service with three addresses' });
    const addresses = ep.subsets![0]!.addresses!;
    expect(addresses.map((a) => [a.ip, a.nodeName]).sort()).toEqual(nodes.map((n) => [`127.0.1.${n.replace('node-', '')}`, n]));
    expect(ep.subsets![0]!.ports).toEqual([{ name: 'http', port, protocol: 'TCP' }]);
    expect(ep.metadata.labels).toMatchObject({ 'service.kubernetes.io/headless': '' });
    // Through them, a client reaches every daemon.
    for (const a of addresses) expect(await (await fetch(`http://${a.ip}:${port}/`)).text()).toBe(`${a.nodeName}\n`);
    // And through the cluster DNS `up` serves: the Service's name gives one address per daemon,
    // its SRV records the daemons' port, and each target name the daemon's address.
    const dnsAddress = /cluster DNS: (127\.0\.0\.1:\d+) \(zone cluster\.local\)/.exec(up.output())?.[1];
    expect(dnsAddress, up.output()).toBeDefined();
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([dnsAddress!]);
    expect((await resolver.resolve4('reporters.default.svc.cluster.local')).sort()).toEqual(addresses.map((a) => a.ip).sort());
    const srv = await resolver.resolveSrv('_http._tcp.reporters.default.svc.cluster.local');
    expect(srv).toHaveLength(3);
    for (const r of srv) {
      const [ip] = await resolver.resolve4(r.name);
      expect(await (await fetch(`http://${ip!}:${r.port}/`)).text()).toBe(`${addresses.find((a) => a.ip === ip)!.nodeName}\n`);
    }
    await kube('delete', 'service', 'reporters');
  }, 40_000);

  it('a NodePort Service reaches the daemons through any node\'s address; with externalTrafficPolicy Local, that node\'s own', async () => {
    const file = join(makeTempDir(cleanup, 'svc'), 'np.json');
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reporters-np', namespace: 'default' }, spec: { type: 'NodePort', selector: { app: 'node-reporter' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
    writeFileSync(file, JSON.stringify(svc));
    await kube('apply', '-f', file);
    const created = await client.get<KubeObject & { spec: { ports: { nodePort: number }[] } }>({ group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' }, 'default', 'reporters-np');
    const nodePort = created.spec.ports[0]!.nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    /** One GET on a fresh connection (no keep-alive: each connection picks an endpoint). */
    const once = (host: string) =>
      new Promise<string>((resolve, reject) => {
        httpGet({ host, port: nodePort, path: '/', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body.trim()));
        }).on('error', reject);
      });
    const answers = await waitFor(async () => {
      const got: string[] = [];
      for (let i = 0; i < 24; i++) got.push(await once('127.0.1.1').catch(() => 'refused'));
      return new Set(got).size >= 2 && got.every((a) => nodes.includes(a)) ? got : undefined;
    }, { timeoutMs: 20_000, message: 'answers from several daemons through node-1\'s node port' });
    expect(new Set(answers).size).toBeGreaterThanOrEqual(2);
    await kube('patch', 'service', 'reporters-np', '--type', 'merge', '-p', JSON.stringify({ spec: { externalTrafficPolicy: 'Local' } }));
    await waitFor(async () => {
      const got = await Promise.all(Array.from({ length: 8 }, () => once('127.0.1.2').catch(() => 'refused')));
      return got.every((a) => a === 'node-2') ? got : undefined;
    }, { timeoutMs: 20_000, message: 'only node-2\'s daemon through node-2\'s node port' });
    await kube('delete', 'service', 'reporters-np');
    await waitFor(async () => (await once('127.0.1.1').then(() => false, () => true)) || undefined, { message: 'the node port closed with its Service' });
  }, 60_000);

  it('shows the daemon output through kubectl logs', async () => {
    const pod = (await daemonPods()).find((p) => p.spec.nodeName === 'node-2')!;
    const logs = await waitFor(async () => {
      const text = await kube('logs', pod.metadata.name!);
      return /report node=node-2 /.test(text) ? text : undefined;
    }, { timeoutMs: 20_000, message: 'a report line in kubectl logs' });
    expect(logs.split('\n')[0]).toBe(`node-reporter on node-2 listening on http://127.0.1.2:${port}`);
    const tail = await kube('logs', pod.metadata.name!, '--tail', '1', '--timestamps');
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT\S+Z report node=node-2 .*\n$/);
  }, 40_000);

  it('shows what each daemon and node uses through the metrics API (kubectl top)', async () => {
    const podMetrics = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', namespaced: true, kind: 'PodMetrics' };
    type PodMetrics = KubeObject & { window: string; containers: { name: string; usage: { cpu: string; memory: string } }[] };
    const usageOf = async (name: string) => (await client.list<PodMetrics>(podMetrics, { namespace: 'default' })).items.find((m) => m.metadata.name === name);
    // A busy process on node-1 beside the idle daemons: its CPU shows as a rate over the sample window.
    const busyMark = `${mark}-busy`;
    await client.create(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy', labels: { app: 'busy' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'spin', image: 'sh', command: ['sh', '-c', `while :; do :; done # ${busyMark}`] }] },
    } as Pod);
    try {
      const busy = await waitFor(async () => {
        const m = await usageOf('busy');
        const cpu = m ? parseCpu(m.containers[0]!.usage.cpu) : 0;
        return cpu >= 0.3 ? m : undefined;
      }, { timeoutMs: 30_000, message: 'the busy pod using at least 300m CPU in the metrics API' });
      expect(busy.containers.map((c) => c.name)).toEqual(['spin']);
      expect(busy.window).toMatch(/^\d+(\.\d+)?s$/);
      // Times as metrics-server writes them (metav1.Time: whole seconds).
      expect([(busy as unknown as { timestamp: string }).timestamp, busy.metadata.creationTimestamp]).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)]);
      // A list narrowed by name (what a role limited to that name may ask) holds only that pod.
      const one = await client.list<PodMetrics>(podMetrics, { namespace: 'default', fieldSelector: 'metadata.name=busy' });
      expect(one.items.map((m) => m.metadata.name)).toEqual(['busy']);
      for (const p of await daemonPods()) {
        const m = await waitFor(() => usageOf(p.metadata.name!), { timeoutMs: 20_000, message: `metrics of ${p.metadata.name}` });
        const mem = /^(\d+)Ki$/.exec(m.containers[0]!.usage.memory);
        expect(Number(mem?.[1])).toBeGreaterThan(1000); // a Node.js daemon: tens of MiB
        expect(parseCpu(m.containers[0]!.usage.cpu)).toBeLessThan(0.3);
      }
      // The everynode CLI prints the same table as kubectl.
      const cli = async (...args: string[]) => (await execFileP(process.execPath, [everynodeBin, ...args, '--kubeconfig', kubeconfig])).stdout;
      const cliPods = parseTable(await cli('top', 'pods', '-l', 'app=busy'));
      expect(cliPods.map((r) => r.NAME)).toEqual(['busy']);
      expect(Number(/^(\d+)m$/.exec(cliPods[0]!['CPU(cores)']!)?.[1])).toBeGreaterThanOrEqual(100);
      expect(cliPods[0]!['MEMORY(bytes)']).toMatch(/^\d+Mi$/);
      // --sum: kubectl's rule under the usage columns, then the totals of every daemon's usage.
      const summed = (await cli('top', 'pods', '-A', '--sum')).split('\n').filter((l) => l !== '');
      expect(summed.at(-2)).toMatch(/^ +________ +________$/);
      const [cpuSum, memSum] = summed.at(-1)!.trim().split(/ +/);
      expect(Number(/^(\d+)m$/.exec(cpuSum!)?.[1])).toBeGreaterThanOrEqual(100);
      expect(memSum).toMatch(/^\d+Mi$/);
      expect(summed.at(-1)!.indexOf(cpuSum!)).toBe(summed[0]!.indexOf('CPU(cores)'));
      const cliNodes = parseTable(await cli('top', 'nodes'));
      expect(cliNodes.map((r) => r.NAME).sort()).toEqual(nodes);
      for (const r of cliNodes) expect(r['CPU(%)']).toMatch(/^\d+%$/);
      if (kubectlPath) {
        const pods = parseTable(await kube('top', 'pods', '-l', 'app=busy'));
        expect(pods).toHaveLength(1);
        expect(Number(/^(\d+)m$/.exec(pods[0]!['CPU(cores)']!)?.[1])).toBeGreaterThanOrEqual(100);
        const nodeRows = parseTable(await kube('top', 'nodes'));
        expect(nodeRows.map((r) => r.NAME).sort()).toEqual(nodes);
        for (const r of nodeRows) expect(r['MEMORY(bytes)']).toMatch(/^\d+Mi$/);
      }
    } finally {
      await client.delete(podsResource, 'default', 'busy', { gracePeriodSeconds: 0 });
      killPidsWith(busyMark);
    }
  }, 60_000);

  it.skipIf(!kubectlPath)('kubectl exec runs a command beside a daemon: its output, its exit code, its stdin (needs kubectl on PATH)', async () => {
    const pod = (await daemonPods()).find((p) => p.spec.nodeName === 'node-3')!;
    const name = pod.metadata.name!;
    const base = [kubectlPath!, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir];
    // In the container's environment: the daemon's env (NODE_NAME from the downward API) and working directory.
    const env = await execFileP(base[0]!, [...base.slice(1), 'exec', name, '--', 'sh', '-c', 'echo "$NODE_NAME"; pwd']);
    expect(env.stdout).toBe(`node-3\n${repoRoot}\n`);
    const failed = await execFileP(base[0]!, [...base.slice(1), 'exec', name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).toBe(3);
    expect(failed?.stdout).toBe('out\n');
    expect(failed?.stderr).toContain('err\n');
    expect(failed?.stderr).toContain('command terminated with exit code 3');
    const child = execFile(base[0]!, [...base.slice(1), 'exec', '-i', name, '--', 'sh', '-c', 'tr a-z A-Z; echo done']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin!.end('hello from stdin\n');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect([code, out]).toEqual([0, 'HELLO FROM STDIN\ndone\n']);
    // kubectl before 1.30 speaks SPDY (one stream per channel): the same answers.
    if (kubectl129) {
      const old = [kubectl129, ...base.slice(1)];
      const spdyFailed = await execFileP(old[0]!, [...old.slice(1), 'exec', name, '--', 'sh', '-c', 'echo "$NODE_NAME"; echo err >&2; exit 4']).then(
        () => undefined,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect([spdyFailed?.code, spdyFailed?.stdout]).toEqual([4, 'node-3\n']);
      expect(spdyFailed?.stderr).toContain('err\n');
      const spdyChild = execFile(old[0]!, [...old.slice(1), 'exec', '-i', name, '--', 'sh', '-c', 'wc -c; echo done']);
      let spdyOut = '';
      spdyChild.stdout!.on('data', (d: Buffer) => (spdyOut += d.toString()));
      spdyChild.stdin!.end(Buffer.alloc(1_000_000, 'x'));
      const spdyCode = await new Promise<number | null>((r) => spdyChild.on('close', r));
      expect([spdyCode, spdyOut.replace(/ +/g, '')]).toEqual([0, '1000000\ndone\n']);
    } else console.warn('the SPDY exec check is skipped: no kubectl.1.29 beside kubectl');
    const wrong = await execFileP(base[0]!, [...base.slice(1), 'exec', name, '-c', 'nope', '--', 'true']).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(wrong?.stderr).toContain(`container nope is not valid for pod ${name}`);
  }, 40_000);

  it.skipIf(!kubectlPath)('kubectl port-forward reaches a daemon\'s port, over WebSocket and over SPDY, bytes intact both ways (needs kubectl on PATH)', async () => {
    const pod = (await daemonPods()).find((p) => p.spec.nodeName === 'node-2')!;
    const name = pod.metadata.name!;
    const base = ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir];
    // A second listener in the pod's network (the process runtime's pods share their node's): an echo server.
    const echo = createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((ok) => echo.listen(0, '127.0.1.2', ok));
    cleanup.defer(() => new Promise<void>((ok) => echo.close(() => ok())), 'echo server');
    const echoPort = (echo.address() as { port: number }).port;

    /** Runs kubectl port-forward until `use` is done; `use` gets the local port of each remote port. */
    const forwarding = async (env: Record<string, string>, remotePorts: number[], use: (local: number[]) => Promise<void>): Promise<string> => {
      const child = execFile(kubectlPath!, [...base, 'port-forward', '--address', '127.0.0.1', name, ...remotePorts.map((p) => `0:${p}`)], { env: { ...process.env, ...env } });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', r));
      try {
        const local = await waitFor(() => {
          const ports = remotePorts.map((p) => new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${p}\\b`).exec(out)?.[1]);
          return ports.every(Boolean) ? ports.map(Number) : undefined;
        }, { timeoutMs: 15_000, message: `kubectl port-forward ready; output:\n${out}` });
        await use(local);
      } finally {
        child.kill('SIGINT');
        await exited;
      }
      return out;
    };
    const roundTrip = (port: number, data: Buffer): Promise<Buffer> =>
      new Promise((ok, fail) => {
        const chunks: Buffer[] = [];
        let n = 0;
        const s = connect(port, '127.0.0.1', () => s.end(data));
        s.on('data', (c: Buffer) => {
          chunks.push(c);
          n += c.length;
        });
        s.on('error', fail);
        s.on('close', () => ok(Buffer.concat(chunks, n)));
      });
    const payload = randomBytes(3 * 1024 * 1024);

    for (const env of [{}, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }] as Record<string, string>[]) {
      const out = await forwarding(env, [port, echoPort], async ([daemon, echoLocal]) => {
        // The daemon answers with its node's name, on every connection.
        for (let i = 0; i < 2; i++) expect(await (await fetch(`http://127.0.0.1:${daemon}/`)).text()).toBe('node-2\n');
        // Megabytes through and back, in order, the half close passed on.
        const back = await roundTrip(echoLocal!, payload);
        expect(back.length).toBe(payload.length);
        expect(back.equals(payload)).toBe(true);
      });
      expect(out).not.toMatch(/error/i);
    }

    // Nothing listening: the agent's reason reaches kubectl, which ends the session as it does upstream.
    const free = await freePortOnNodes();
    const failed = execFile(kubectlPath!, [...base, 'port-forward', '--address', '127.0.0.1', name, `0:${free}`]);
    let out = '';
    failed.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    failed.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((r) => failed.on('close', r));
    const local = await waitFor(() => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], { timeoutMs: 15_000, message: `kubectl port-forward ready; output:\n${out}` });
    await roundTrip(Number(local), Buffer.from('hello')).catch(() => undefined);
    expect(await code).toBe(1);
    expect(out).toContain(`error forwarding port ${free} to pod default/${name}: failed to connect to port ${free}`);
    expect(out).toContain('ECONNREFUSED');

    // The create of pods/portforward: reading a pod does not allow forwarding its ports.
    await kube('create', 'role', 'pf-pod-reader', '--verb=get', '--resource=pods');
    await kube('create', 'rolebinding', 'pf-pod-readers', '--role=pf-pod-reader', '--user=pf-user');
    const refused = await execFileP(kubectlPath!, [...base, 'port-forward', '--as=pf-user', name, `0:${port}`]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.stderr).toContain('User "pf-user" cannot create resource "pods/portforward" in API group "" in the namespace "default"');
  }, 90_000);

  it('gives a pod its service account: a token in $KUBECONFIG that acts under the account\'s RBAC', async () => {
    const admin = (path: string, body: unknown) => client.create({ group: path.startsWith('rbac') ? 'rbac.authorization.k8s.io' : '', version: 'v1', plural: path.replace(/^rbac\//, ''), namespaced: true, kind: 'X' }, 'default', body as never);
    await admin('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prober' } });
    await admin('rbac/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'prober-view' },
      subjects: [{ kind: 'ServiceAccount', name: 'prober', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    });
    // What a daemon does with the file its KUBECONFIG names: read the token and CA, call the API.
    const script = [
      readPodKubeconfigJs,
      "const call=(method,path)=>new Promise(r=>{const q=https.request({host:process.env.KUBERNETES_SERVICE_HOST,port:process.env.KUBERNETES_SERVICE_PORT,path,method,ca,headers:{authorization:'Bearer '+token}},res=>{res.resume();res.on('end',()=>r(res.statusCode))});q.on('error',e=>r(e.message));q.end();});",
      "(async()=>{console.log('list '+await call('GET','/api/v1/namespaces/default/pods'));console.log('delete '+await call('DELETE','/api/v1/namespaces/default/pods/sa-probe'));})();",
    ].join('');
    await client.create(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sa-probe' },
      spec: { nodeName: 'node-2', serviceAccountName: 'prober', restartPolicy: 'Never', containers: [{ name: 'probe', image: 'node', command: ['node', '-e', script] }] },
    } as Pod);
    const logs = await waitFor(async () => {
      const text = await kube('logs', 'sa-probe').catch(() => '');
      return /delete \d+/.test(text) ? text : undefined;
    }, { timeoutMs: 30_000, message: 'the probe pod to report its calls' });
    expect(logs).toBe('list 200\ndelete 403\n');
    await client.delete(podsResource, 'default', 'sa-probe', { gracePeriodSeconds: 0 });
  }, 45_000);

  it('serves the web dashboard it printed: the page, and the API with the daemon logs through it', async () => {
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(up.output())?.[1];
    expect(url, up.output()).toBeDefined();
    expect((await fetch(new URL('/api/v1/namespaces', url))).status).toBe(401);
    // The printed URL serves the page; the page sends its token with every request.
    const login = await fetch(url!, { redirect: 'manual' });
    expect(login.status).toBe(200);
    const headers = { 'x-everynode-dashboard-token': new URL(url!).searchParams.get('token')! };
    const page = await fetch(new URL('/', url), { headers });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>everynode dashboard</title>');
    const list = (await (await fetch(new URL('/api/v1/namespaces/default/pods?labelSelector=app%3Dnode-reporter', url), { headers })).json()) as { items: Pod[] };
    expect(list.items.map((p) => p.spec.nodeName).sort()).toEqual(nodes);
    const pod = list.items.find((p) => p.spec.nodeName === 'node-1')!;
    const log = await (await fetch(new URL(`/api/v1/namespaces/default/pods/${pod.metadata.name}/log?tailLines=5`, url), { headers })).text();
    expect(log).toMatch(/report node=node-1 /);
  }, 30_000);

  it.skipIf(!haveChromium)('shows a daemon\'s log in the dashboard and follows it as it grows (Chromium)', async () => {
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(up.output())![1]!;
    const browser = await launchChromium(cleanup);
    const page = await browser.newPage();
    await page.goto(`${url}&refresh=500`);
    await page.locator('[data-testid="ds-row"][data-name="default/node-reporter"]').click();
    const pod = (await daemonPods()).find((p) => p.spec.nodeName === 'node-1')!;
    await page.locator(`[data-testid="pod-row"][data-name="default/${pod.metadata.name}"] [data-testid="pod-logs-button"]`).click();
    const view = page.locator('[data-testid="log-view"]');
    const reports = async (): Promise<number> => ((await view.textContent()) ?? '').split('\n').filter((l) => /^report node=node-1 /.test(l)).length;
    await expect.poll(reports, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = await reports();
    // The daemon reports every few seconds; with "follow" on the view grows by itself.
    expect(await page.locator('[data-testid="log-follow"]').isChecked()).toBe(true);
    await expect.poll(reports, { timeout: 20_000 }).toBeGreaterThan(first);
    await browser.close();
  }, 60_000);

  it('restarts a killed daemon and counts it in RESTARTS', async () => {
    const pod = (await daemonPods()).find((p) => p.spec.nodeName === 'node-1')!;
    const pid = containerPid(pod.status!.containerStatuses![0]!.containerID);
    expect(pidsWith(dsMark)).toContain(pid);
    process.kill(pid, 'SIGKILL');
    const restarted = await waitFor(async () => {
      const p = (await daemonPods()).find((x) => x.metadata.uid === pod.metadata.uid);
      return p && ready(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    }, { timeoutMs: 30_000, message: 'the killed daemon restarted and Ready' });
    expect(restarted.status!.containerStatuses![0]!.lastState?.terminated).toMatchObject({ exitCode: 137 });
    const row = parseTable(await kube('get', 'pod', pod.metadata.name!, '-o', 'wide'))[0]!;
    expect(row).toMatchObject({ READY: '1/1', STATUS: 'Running', NODE: 'node-1' });
    expect(row.RESTARTS).toMatch(/^1 \(.+ ago\)$/);
    await waitFor(() => pidsWith(dsMark).length === 3 && !pidsWith(dsMark).includes(pid), { message: 'three daemon processes again' });
    expect(await (await fetch(`http://127.0.1.1:${port}/`)).text()).toBe('node-1\n');
    // --previous reads the killed container's log.
    expect(await kube('logs', pod.metadata.name!, '--previous')).toContain('node-reporter on node-1 listening');
  }, 60_000);

  it('runs a static pod file dropped into the node directory and shows its mirror pod', async () => {
    const staticPort = await freePortOnNodes();
    const manifest = parseYaml(readFileSync(join(repoRoot, 'examples/node-reporter/static-pod.yaml'), 'utf8')) as Pod;
    const c = manifest.spec.containers[0]!;
    c.command = [...(c.command ?? []), `--tag=${staticMark}`];
    c.env = (c.env ?? []).map((e) => (e.name === 'PORT' ? { name: 'PORT', value: String(staticPort) } : e));
    c.ports = [{ name: 'http', containerPort: staticPort, hostPort: staticPort }];
    manifest.spec.terminationGracePeriodSeconds = 5;
    writeFileSync(join(dataDir, 'nodes', 'node-1', 'static-pods', 'reporter.yaml'), JSON.stringify(manifest));
    const mirror = await waitFor(async () => {
      try {
        const p = await client.get<Pod>(podsResource, 'default', 'node-reporter-static-node-1');
        return p.status?.phase === 'Running' ? p : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, message: 'the mirror pod of the static pod, Running' });
    expect(mirror.metadata.annotations?.['kubernetes.io/config.mirror']).toBeTruthy();
    expect(mirror.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'node-1' });
    expect(pidsWith(staticMark)).toHaveLength(1);
    // No readiness probe: Running comes before the daemon listens.
    const answer = await waitFor(() => fetch(`http://127.0.1.1:${staticPort}/`).then((r) => r.text(), () => undefined), { message: 'the static daemon answering' });
    expect(answer).toBe('node-1\n');
    const row = parseTable(await kube('get', 'pod', 'node-reporter-static-node-1', '-o', 'wide'))[0]!;
    expect(row).toMatchObject({ STATUS: 'Running', NODE: 'node-1' });
    // A static pod is reached by its mirror's name for exec as for logs (the kubelet holds static pods by name).
    expect(await kube('exec', 'node-reporter-static-node-1', '--', 'sh', '-c', 'echo "in $NODE_NAME"')).toBe('in node-1\n');
  }, 60_000);

  it('a deleted mirror pod comes back, and the delete (which waits) returns', async () => {
    for (let round = 0; round < 3; round++) {
      const before = await client.get<Pod>(podsResource, 'default', 'node-reporter-static-node-1');
      // kubectl's delete waits for the name to be gone; the mirror's successor must not come so
      // soon that the wait takes it for the pod it deleted.
      const started = Date.now();
      await kube('delete', 'pod', 'node-reporter-static-node-1', '--timeout=20s');
      expect(Date.now() - started).toBeLessThan(15_000);
      const again = await waitFor(async () => {
        try {
          const p = await client.get<Pod>(podsResource, 'default', 'node-reporter-static-node-1');
          return p.metadata.uid !== before.metadata.uid ? p : undefined;
        } catch {
          return undefined;
        }
      }, { timeoutMs: 15_000, message: 'the mirror pod made again' });
      expect(again.metadata.annotations?.['kubernetes.io/config.mirror']).toBe(before.metadata.annotations?.['kubernetes.io/config.mirror']);
    }
    // The static pod itself ran on throughout.
    expect(pidsWith(staticMark)).toHaveLength(1);
  }, 90_000);

  it('deleting the DaemonSet leaves no daemon process behind', async () => {
    await kube('delete', 'daemonset', 'node-reporter');
    await waitFor(async () => (await daemonPods()).length === 0, { timeoutMs: 30_000, message: 'daemon pods deleted' });
    await waitFor(() => pidsWith(dsMark).length === 0, { timeoutMs: 30_000, message: 'no daemon process left' });
    // The static pod is not the DaemonSet's: it keeps running.
    expect(pidsWith(staticMark)).toHaveLength(1);
  }, 60_000);

  it('Ctrl-C stops every daemon gracefully and exits 0', async () => {
    await applyDaemonSet(sampleDaemonSet(port, dsMark));
    const pods = await allReady();
    await waitFor(() => pidsWith(mark).length === 4, { message: 'three daemons and the static pod running' });
    // Ctrl-C in a terminal signals the foreground process group: `up` (daemons lead their own).
    up.signalGroup('SIGINT');
    const exit = await up.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(pidsWith(mark)).toEqual([]);
    // Each daemon got SIGTERM (not SIGKILL): its last log line says so.
    const podDirs = nodes.flatMap((n) => readdirSync(join(dataDir, 'nodes', n, 'pods')).map((d) => join(dataDir, 'nodes', n, 'pods', d)));
    for (const p of pods) {
      const dir = podDirs.find((d) => d.endsWith(`_${p.metadata.uid}`));
      expect(dir, `log directory of ${p.metadata.name}`).toBeDefined();
      expect(readFileSync(join(dir!, 'reporter', '0.log'), 'utf8')).toContain('SIGTERM received, closing the listener');
    }
    const staticDir = podDirs.find((d) => d.includes('_node-reporter-static-node-1_'));
    expect(staticDir).toBeDefined();
    expect(readFileSync(join(staticDir!, 'reporter', '0.log'), 'utf8')).toContain('SIGTERM received, closing the listener');
  }, 60_000);
});
