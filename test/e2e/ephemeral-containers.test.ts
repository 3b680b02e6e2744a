// Ephemeral containers end to end on `everynode up --nodes 1` (the built binary): a debugger
// added to a running pod through pods/NAME/ephemeralcontainers is started by the node agent,
// reported in status.ephemeralContainerStatuses, read with logs and exec like any container,
// attached to with input (-i, and -t: on a pseudo-terminal where the node has util-linux script,
// else through the API server's line discipline; test/e2e/exec-tty.test.ts has both in detail),
// never restarted, and stopped with its pod. Where kubectl is on PATH, `kubectl debug` itself,
// without and (given a terminal by script) with -it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, podsResource, type RestClient } from '../../src/client/index.js';
import { credentialsFromKubeconfig, type ServerCredentials } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { openRemoteCommand } from '../helpers/exec-client.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-ephemeral-${randomBytes(4).toString('hex')}`;
const hasScript = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'script')));

let url: URL;
let kubeconfig: string;
let creds: ServerCredentials;
let client: RestClient;
let cacheDir: string;

/** The status of ephemeral container `name` of pod `pod`, once `pred` holds for it. */
async function ephemeralStatus(pod: string, name: string, pred: (s: ContainerStatus) => boolean, what: string): Promise<ContainerStatus> {
  return waitFor(
    async () => {
      const p = await client.get<Pod>(podsResource, 'default', pod);
      const s = p.status?.ephemeralContainerStatuses?.find((c) => c.name === name);
      return s && pred(s) ? s : undefined;
    },
    { timeoutMs: 30_000, message: `ephemeral container ${name} of ${pod}: ${what}` },
  );
}

/** GET pods/POD/log?container=C, as text. */
function podLog(pod: string, container: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(new URL(`/api/v1/namespaces/default/pods/${pod}/log?container=${container}`, url), { ca: creds.caPem, headers: { authorization: `Bearer ${creds.token}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
  });
}

async function addDebugger(pod: string, container: Record<string, unknown>): Promise<void> {
  await client.patch(podsResource, 'default', pod, 'strategic', { spec: { ephemeralContainers: [{ image: 'busybox', ...container }] } }, { subresource: 'ephemeralcontainers' });
}

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  const dataDir = makeTempDir(cleanup, 'ephemeral');
  cacheDir = join(dataDir, 'kubectl-cache');
  const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1', '--dashboard', 'off', '--cluster-dns', 'off'], { cwd: repoRoot });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  url = new URL(m[1]!);
  kubeconfig = m[2]!;
  creds = credentialsFromKubeconfig(kubeconfig);
  client = clientFromKubeconfig(kubeconfig).client;
  await client.create(podsResource, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app' },
    spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 100000 # ${mark}-main`] }] },
  } as Pod);
  await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'app')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'the app pod Running' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
  killPidsWith(mark);
}, 60_000);

describe('ephemeral containers on a node agent', () => {
  it('a debugger added to a running pod starts once, reports apart, serves logs and exec, and is not restarted when it exits', async () => {
    await addDebugger('app', { name: 'dbg', command: ['sh', '-c', `echo debug-ready; read x; echo bye; exit 3 # ${mark}-dbg`], stdin: true });
    const running = await ephemeralStatus('app', 'dbg', (s) => s.state?.running !== undefined, 'running');
    expect(running).toMatchObject({ name: 'dbg', ready: false, restartCount: 0, image: 'busybox' });
    expect(running.started).toBeUndefined();
    const pod = await client.get<Pod>(podsResource, 'default', 'app');
    // The pod itself is as it was: Ready, its own containers' statuses only.
    expect(pod.status?.containerStatuses?.map((c) => c.name)).toEqual(['main']);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    await waitFor(async () => (await podLog('app', 'dbg')) === 'debug-ready\n', { message: 'the debugger\'s log' });
    const ex = await openRemoteCommand({ url, creds }, 'default', 'app', 'exec', new URLSearchParams([['container', 'dbg'], ['command', 'echo'], ['command', 'in-dbg'], ['stdout', 'true']]));
    await ex.closed;
    expect([ex.exitCode, ex.stdout]).toEqual([0, 'in-dbg\n']);

    // Input through an attach (-i, no terminal): the read returns, the debugger exits 3.
    const at = await openRemoteCommand({ url, creds }, 'default', 'app', 'attach', new URLSearchParams([['container', 'dbg'], ['stdin', 'true'], ['stdout', 'true']]));
    at.type('go\n');
    await at.closed;
    expect(at.exitCode).toBe(0);
    const exited = await ephemeralStatus('app', 'dbg', (s) => s.state?.terminated !== undefined, 'terminated');
    expect(exited.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    // Never restarted, whatever the pod's restartPolicy (Always).
    await new Promise((r) => setTimeout(r, 2_000));
    const later = await ephemeralStatus('app', 'dbg', () => true, 'still there');
    expect([later.restartCount, later.state?.terminated?.exitCode, later.state?.waiting]).toEqual([0, 3, undefined]);
    expect(await podLog('app', 'dbg')).toBe('debug-ready\nbye\n');
  }, 60_000);

  it('attach -it to a debugger that asks for a terminal: typed lines are echoed and run, output comes with CR LF, detaching leaves it running', async () => {
    await addDebugger('app', { name: 'shell', command: ['sh'], stdin: true, tty: true });
    await ephemeralStatus('app', 'shell', (s) => s.state?.running !== undefined, 'running');
    const t = await openRemoteCommand({ url, creds }, 'default', 'app', 'attach', new URLSearchParams([['container', 'shell'], ['stdin', 'true'], ['stdout', 'true'], ['tty', 'true']]));
    t.resize(80, 24);
    t.type(`echo "sum $((6 * 7))" # ${mark}-shell\r`);
    // Echoed (by the terminal, or the API server's line discipline) and run.
    await t.expectOutput(/sum \$\(\(6 \* 7\)\)" # \S+\r\nsum 42\r\n/, 0);
    t.destroy();
    await t.closed;
    // The shell lives on and its input stays open: a second attach types into it.
    const again = await openRemoteCommand({ url, creds }, 'default', 'app', 'attach', new URLSearchParams([['container', 'shell'], ['stdin', 'true'], ['stdout', 'true'], ['tty', 'true']]));
    again.type('echo "still $((40 + 2))"\r');
    await again.expectOutput(/\r\nstill 42\r\n/, 0);
    again.destroy();
    await ephemeralStatus('app', 'shell', (s) => s.state?.running !== undefined, 'still running');
  }, 60_000);

  it.skipIf(!kubectlAvailable())('kubectl debug adds a debugger and kubectl logs reads it; with -it (a terminal from script) it attaches (needs kubectl on PATH)', async () => {
    const r = await runKubectl({ kubeconfig, cacheDir }, ['debug', 'app', '--image=busybox', '-c', 'kdbg', '--', 'sh', '-c', `echo from-kubectl; sleep 100000 # ${mark}-kdbg`]);
    expect(r.code, r.stderr).toBe(0);
    await ephemeralStatus('app', 'kdbg', (s) => s.state?.running !== undefined, 'running');
    await waitFor(async () => (await runKubectl({ kubeconfig, cacheDir }, ['logs', 'app', '-c', 'kdbg'])).stdout === 'from-kubectl\n', { message: 'kubectl logs of the debugger' });
    const described = await runKubectl({ kubeconfig, cacheDir }, ['describe', 'pod', 'app']);
    const section = described.stdout.slice(described.stdout.indexOf('Ephemeral Containers:'), described.stdout.indexOf('\nConditions:'));
    expect([...section.matchAll(/^ {2}(\S+):$/gm)].map((x) => x[1]).sort()).toEqual(['dbg', 'kdbg', 'shell']);
    expect(section).toMatch(/kdbg:[\s\S]*State: +Running[\s\S]*Ready: +False/);
    if (!hasScript) {
      console.warn('kubectl debug -it is skipped: no util-linux `script` on PATH to give kubectl a terminal');
      return;
    }
    const line = `stty cols 90 rows 30; exec kubectl --kubeconfig '${kubeconfig}' --cache-dir '${cacheDir}' debug -it app --image=busybox -c kit -- sh`;
    const k = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
    let out = '';
    k.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((resolve) => k.on('close', resolve));
    await waitFor(() => out.includes("If you don't see a command prompt, try pressing enter."), { timeoutMs: 30_000, message: `kubectl debug -it attached; output: ${JSON.stringify(out)}` });
    k.stdin.write(`echo "kubectl $((6 * 7))" # ${mark}-kit\r`);
    await waitFor(() => out.includes('\r\nkubectl 42\r\n'), { message: `the command's output through kubectl; output: ${JSON.stringify(out)}` });
    k.stdin.write('\x04');
    expect(await code).toBe(0);
  }, 90_000);

  it.skipIf(!kubectlAvailable() || !hasScript)('kubectl debug node/NODE -it runs a shell on the node and attaches to it (needs kubectl and script on PATH)', async () => {
    const line = `stty cols 90 rows 30; exec kubectl --kubeconfig '${kubeconfig}' --cache-dir '${cacheDir}' debug node/node-1 -it --image=busybox -- sh`;
    const k = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
    let out = '';
    k.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((resolve) => k.on('close', resolve));
    await waitFor(() => out.includes("If you don't see a command prompt, try pressing enter."), { timeoutMs: 30_000, message: `kubectl debug node attached; output: ${JSON.stringify(out)}` });
    k.stdin.write(`echo "on $(hostname) $((6 * 7))" # ${mark}-node\r`);
    await waitFor(() => /\r\non \S+ 42\r\n/.test(out), { message: `the command's output through kubectl; output: ${JSON.stringify(out)}` });
    // `exit` ends the shell, so the debugging pod completes and kubectl returns.
    k.stdin.write('exit\r');
    expect(await code).toBe(0);
    const pods = await client.list<Pod>(podsResource, { namespace: 'default' });
    const debugPod = pods.items.find((p) => p.metadata.name?.startsWith('node-debugger-node-1-'));
    expect(debugPod?.spec.hostNetwork).toBe(true);
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', debugPod!.metadata.name!)).status?.phase === 'Succeeded', { message: 'the node debugging pod Succeeded' });
  }, 90_000);

  it('deleting the pod stops its ephemeral containers with it', async () => {
    await client.delete(podsResource, 'default', 'app');
    await waitFor(() => pidsWith(mark).length === 0, { timeoutMs: 30_000, message: 'no process of the pod or its debuggers left' });
  }, 60_000);
});
