// `kubectl exec -it` on a real terminal, driven without kubectl: a small WebSocket client speaking
// the remote command protocol (v5.channel.k8s.io) to `everynode up --nodes 1` (the built binary),
// whose agent runs the command under util-linux script(1) on a pseudo-terminal. The client sends
// the terminal size on the resize channel right after connecting, as kubectl does, and types
// bytes on stdin as a raw-mode terminal would.
//
// Shows: the shell's prompt; `stty size` reporting the size from the first resize message and
// then from a later one; Ctrl-C (0x03) interrupting `sleep 30` within a second without ending
// the shell; `exit 3` reaching the client as exit code 3; argv passed through quoting intact
// (-t without -i); a client that goes away taking the command's whole session with it
// (background jobs in their own process groups, one ignoring SIGHUP). Where kubectl is on PATH,
// `kubectl exec -it` itself (given a terminal by script) over WebSocket, and kubectl 1.29 over
// SPDY. A second `up` whose PATH has no `script` shows the fallback: the API server's line
// discipline (echo, CR LF, Ctrl-C → 130).
//
// Containers whose spec sets `tty` (kubectl run -it, kubectl debug -it) run on a pseudo-terminal
// too, and `kubectl attach -it` reaches it: the prompt (after Enter: an attach shows output from
// its start on), sizes from the resize channel, Ctrl-C interrupting `sleep` in the shell, the
// terminal's output (CR LF) in `kubectl logs`, and stdinOnce (kubectl run -it) ending the shell
// when the attach's input ends. Without `script` such an attach goes through the line
// discipline.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, isNotFound, podsResource, type RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { credentialsFromKubeconfig, type ServerCredentials } from '../helpers/auth.js';
import { STDIN, openRemoteCommand, type ExecClient } from '../helpers/exec-client.js';
import { everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode } from '../helpers/process.js';
import { versionedKubectl } from '../helpers/kubectl.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-tty-${randomBytes(4).toString('hex')}`;
const kubectlPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
const hasScript = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'script')));
if (!hasScript) console.warn('the pseudo-terminal checks are skipped: no util-linux `script` on PATH (Debian package bsdutils)');

/** Arguments of the `sleep`s the session test starts (unique to this run: pidsWith finds them). */
const sleepTags = [1, 2, 3].map((i) => `${900_000 + i}.${parseInt(randomBytes(3).toString('hex'), 16)}`);

interface Cluster {
  url: URL;
  kubeconfig: string;
  creds: ServerCredentials;
  client: RestClient;
}

/** `everynode up --nodes 1` with `env`, and a pod on node-1 that just sleeps. */
async function startCluster(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Cluster> {
  const dataDir = makeTempDir(cleanup, name);
  const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1'], { cwd: repoRoot, env });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  const client = clientFromKubeconfig(m[2]!).client;
  await client.create(podsResource, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'shell' },
    spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 100000 # ${mark}-${name}`] }] },
  } as Pod);
  await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'shell')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'the shell pod Running' });
  return { url: new URL(m[1]!), kubeconfig: m[2]!, creds: credentialsFromKubeconfig(m[2]!), client };
}

/**
 * Opens `pods/shell/exec` with `command`, tty and (by default) stdin; `flags` instead sets the
 * stream and tty parameters exactly as given (other clients' spellings).
 */
function openExec(c: Cluster, command: string[], o: { stdin?: boolean; flags?: Record<string, string>; pod?: string; subresource?: 'exec' | 'attach' } = {}): Promise<ExecClient> {
  const q = new URLSearchParams();
  for (const a of command) q.append('command', a);
  if (o.flags) for (const [k, v] of Object.entries(o.flags)) q.set(k, v);
  else {
    q.set('stdout', 'true');
    q.set('tty', 'true');
    if (o.stdin !== false) q.set('stdin', 'true');
  }
  return openRemoteCommand(c, 'default', o.pod ?? 'shell', o.subresource ?? 'exec', q);
}

/**
 * Creates pod `name` on node-1 with one container `main` (the spec's rest in `container`) and
 * waits until it runs. A pod of that name left by an earlier attempt of the test (a retry) is
 * removed first.
 */
async function runPod(c: Cluster, name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<void> {
  try {
    await c.client.delete(podsResource, 'default', name, { gracePeriodSeconds: 0 });
    await waitFor(async () => !(await c.client.get(podsResource, 'default', name).then(() => true, (e: unknown) => !isNotFound(e))), { timeoutMs: 30_000, message: `the earlier ${name} pod gone` });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await c.client.create(podsResource, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 1, ...spec, containers: [{ name: 'main', image: 'sh', ...container }] },
  } as Pod);
  await waitFor(async () => (await c.client.get<Pod>(podsResource, 'default', name)).status?.phase === 'Running', { timeoutMs: 30_000, message: `the ${name} pod Running` });
}

/** `GET pods/NAME/log`, as text. */
function podLog(c: Cluster, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(new URL(`/api/v1/namespaces/default/pods/${name}/log`, c.url), { ca: c.creds.caPem, headers: { authorization: `Bearer ${c.creds.token}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
  });
}

/** A shell that prompts `ready> ` on the container's terminal; `tag` goes into its command line. */
const promptingShell = (tag: string): Record<string, unknown> => ({ command: ['sh', '-is', tag], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true, tty: true });

afterAll(async () => {
  await cleanup.run();
  killPidsWith(mark);
  for (const tag of sleepTags) killPidsWith(tag);
}, 60_000);

describe.skipIf(!hasScript)('kubectl exec -it on a pseudo-terminal (util-linux script on the node)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
    cluster = await startCluster('pty');
  }, 60_000);

  it('a shell shows its prompt, sees the size, is interrupted by Ctrl-C, follows a resize, and exits with its code', async () => {
    const t = await openExec(cluster, ['env', 'PS1=ready> ', 'sh', '-i']);
    t.resize(97, 31); // kubectl's first message on a terminal
    let at = (await t.expectOutput(/ready> $/, 0)).end;
    t.type('stty size\r');
    at = (await t.expectOutput(/stty size\r\n31 97\r\nready> $/, at)).end; // echoed by the pty, CR LF by its ONLCR

    t.type('sleep 30\r');
    at = (await t.expectOutput(/sleep 30\r\n$/, at)).end;
    await new Promise((r) => setTimeout(r, 300)); // sleep is running in the foreground
    t.type('\x03');
    // Well before the sleep would end by itself: the prompt is back because Ctrl-C interrupted it.
    at = (await t.expectOutput(/\^C\r\n(?:ready> )$/, at, 5_000)).end;
    t.type('echo "alive $((6 * 7))"\r');
    at = (await t.expectOutput(/\r\nalive 42\r\nready> $/, at)).end;

    // A later size is applied from outside the terminal (stty -F), beside the typed input: wait for it there.
    t.resize(120, 40);
    t.type('until [ "$(stty size)" = "40 120" ]; do sleep 0.05; done; stty size; echo "TERM=$TERM"\r');
    at = (await t.expectOutput(/\r\n40 120\r\nTERM=xterm\r\nready> $/, at)).end;

    t.type('exit 3\r');
    await t.closed;
    expect(t.exitCode).toBe(3);
    expect(t.stderr).toBe(''); // a terminal has one output stream
  }, 30_000);

  it('passes argv through intact without stdin (-t without -i) and exits 0', async () => {
    const args = ["it's", 'a  b', '$HOME', '`id`', '"q"', 'back\\slash', '*'];
    const t = await openExec(cluster, ['sh', '-c', 'printf "<%s>" "$@"; echo; tty >/dev/null && echo on-a-tty', 'sh', ...args], { stdin: false });
    t.resize(80, 24);
    await t.closed;
    expect(t.stdout).toBe(`${args.map((a) => `<${a}>`).join('')}\r\non-a-tty\r\n`);
    expect(t.exitCode).toBe(0);
  }, 20_000);

  it('takes the size the JavaScript client sends (lower-case keys) from @kubernetes/client-node\'s Exec', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    // A stdout with columns and rows is a terminal to the client: it sends {"width","height"}.
    const out = Object.assign(new PassThrough(), { columns: 123, rows: 45 });
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec('default', 'shell', 'main', ['sh', '-c', 'sleep 0.5; stty size'], out, null, null, true, resolve).catch(reject);
    });
    expect(status.status).toBe('Success');
    expect(text).toBe('45 123\r\n');
  }, 20_000);

  it('starts without a size when the client sends none (after a bounded wait)', async () => {
    const t = await openExec(cluster, ['stty', 'size'], { stdin: false });
    await t.closed;
    expect(t.stdout).toBe('0 0\r\n');
    expect(t.exitCode).toBe(0);
  }, 20_000);

  it.skipIf(!kubectlPath)('kubectl exec -it itself, over WebSocket and (kubectl 1.29) over SPDY: prompt, window size, exit code (needs kubectl on PATH)', async () => {
    const cacheDir = makeTempDir(cleanup, 'kubectl-cache');
    const old = versionedKubectl(29);
    if (!old) console.warn('the SPDY tty check is skipped: no kubectl.1.29 beside kubectl');
    for (const bin of [kubectlPath!, ...(old ? [old] : [])]) {
      // kubectl wants a terminal of its own: script gives it one, sized 91x33 before it starts.
      const line = `stty cols 91 rows 33; exec '${bin}' --kubeconfig '${cluster.kubeconfig}' --cache-dir '${cacheDir}' exec -it shell -- env 'PS1=ready> ' sh -i`;
      const k = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      k.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = new Promise<number | null>((r) => k.on('close', r));
      await waitFor(() => out.endsWith('ready> '), { message: `the prompt through ${bin}; output: ${JSON.stringify(out)}` });
      k.stdin.write('stty size\r');
      await waitFor(() => out.includes('\r\n33 91\r\nready> '), { message: `the size through ${bin}; output: ${JSON.stringify(out)}` });
      k.stdin.write('exit 4\r');
      expect(await code).toBe(4);
      expect(out).toContain('command terminated with exit code 4');
    }
  }, 40_000);

  it('a client that goes away takes the command\'s whole session with it', async () => {
    const t = await openExec(cluster, ['sh', '-i']);
    t.resize(80, 24);
    // Job control puts each job in a process group of its own; one of them ignores SIGHUP.
    t.type(`sleep ${sleepTags[0]} & (trap "" HUP; exec sleep ${sleepTags[1]}) & sleep ${sleepTags[2]}\r`);
    await waitFor(() => sleepTags.every((tag) => pidsWith(tag).length === 1), { message: 'three sleeps in the exec session' });
    t.destroy();
    await waitFor(() => sleepTags.every((tag) => pidsWith(tag).length === 0), { timeoutMs: 10_000, message: 'no sleep of the exec session left' });
  }, 30_000);

  it('attach -it to a container with tty: the prompt, sizes, Ctrl-C interrupting sleep in the shell; the log is the terminal\'s; detaching leaves it running', async () => {
    await runPod(cluster, 'tty-shell', promptingShell(`${mark}-tty-shell`));
    const t = await openExec(cluster, [], { pod: 'tty-shell', subresource: 'attach', flags: { stdin: 'true', stdout: 'true', tty: 'true' } });
    t.resize(97, 31);
    // The prompt was written before the attach (kubectl says: press Enter): a new one.
    t.type('\r');
    let at = (await t.expectOutput(/ready> $/, 0)).end;
    // Applied from outside (stty -F), beside the typed input: waited for there.
    t.type('until [ "$(stty size)" = "31 97" ]; do sleep 0.05; done; stty size\r');
    at = (await t.expectOutput(/\r\n31 97\r\nready> $/, at)).end;
    t.type('sleep 30\r');
    at = (await t.expectOutput(/sleep 30\r\n$/, at)).end;
    await new Promise((r) => setTimeout(r, 300)); // sleep is running in the foreground
    t.type('\x03');
    // Well before the sleep would end by itself, and the shell is still there.
    at = (await t.expectOutput(/\^C\r\nready> $/, at, 5_000)).end;
    t.type('echo "alive $((6 * 7))"\r');
    at = (await t.expectOutput(/\r\nalive 42\r\nready> $/, at)).end;
    t.resize(120, 40);
    t.type('until [ "$(stty size)" = "40 120" ]; do sleep 0.05; done; echo "size $(stty size) TERM=$TERM"\r');
    await t.expectOutput(/\r\nsize 40 120 TERM=xterm\r\nready> $/, at);
    expect(t.stderr).toBe('');
    // Detaching (the client goes away) leaves the shell running; its log is what the terminal showed.
    t.destroy();
    await t.closed;
    const log = await podLog(cluster, 'tty-shell');
    expect(log).toContain('echo "alive $((6 * 7))"\r\nalive 42\r\nready> ');
    const again = await openExec(cluster, [], { pod: 'tty-shell', subresource: 'attach', flags: { stdin: 'true', stdout: 'true', tty: 'true' } });
    again.type('exit 3\r');
    await again.closed; // the container exited: the attach ends
    expect(again.exitCode).toBe(0);
    await waitFor(async () => (await cluster.client.get<Pod>(podsResource, 'default', 'tty-shell')).status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode === 3, { message: 'the shell\'s exit code 3 in the status' });
    await cluster.client.delete(podsResource, 'default', 'tty-shell');
  }, 60_000);

  it('stdinOnce with tty (kubectl run -i -t --restart=Never): the end of the attach\'s input is the end of input on the terminal, and the shell exits', async () => {
    await runPod(cluster, 'run-once', { ...promptingShell(`${mark}-run-once`), stdinOnce: true }, { restartPolicy: 'Never' });
    const t = await openExec(cluster, [], { pod: 'run-once', subresource: 'attach', flags: { stdin: 'true', stdout: 'true', tty: 'true' } });
    t.resize(80, 24);
    t.type('echo "once $((6 * 7))"\r');
    await t.expectOutput(/once 42\r\nready> $/, 0);
    t.send(255, Buffer.from([STDIN])); // the client closes stdin (v5)
    await t.closed;
    expect(t.exitCode).toBe(0);
    await waitFor(async () => (await cluster.client.get<Pod>(podsResource, 'default', 'run-once')).status?.phase === 'Succeeded', { message: 'the run-once pod Succeeded' });
    await cluster.client.delete(podsResource, 'default', 'run-once');
  }, 60_000);

  it.skipIf(!kubectlPath)('kubectl attach -it and kubectl run -it --rm to containers with tty: prompt, window size, exit (needs kubectl on PATH)', async () => {
    const cacheDir = makeTempDir(cleanup, 'kubectl-cache-run');
    const kubectl = (args: string, bin = kubectlPath!): { out: () => string; input: (s: string) => void; code: Promise<number | null> } => {
      const line = `stty cols 91 rows 33; exec '${bin}' --kubeconfig '${cluster.kubeconfig}' --cache-dir '${cacheDir}' ${args}`;
      const k = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      k.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { out: () => out, input: (s) => k.stdin.write(s), code: new Promise((r) => k.on('close', r)) };
    };
    // kubectl attach -it to a running container with tty, over WebSocket and (kubectl 1.29) over SPDY.
    const old = versionedKubectl(29);
    if (!old) console.warn('the SPDY attach check is skipped: no kubectl.1.29 beside kubectl');
    for (const [i, bin] of [kubectlPath!, ...(old ? [old] : [])].entries()) {
      await runPod(cluster, `katt-${i}`, promptingShell(`${mark}-katt`), { restartPolicy: 'Never' });
      const att = kubectl(`attach -it katt-${i}`, bin);
      await waitFor(() => att.out().includes("If you don't see a command prompt, try pressing enter."), { timeoutMs: 30_000, message: `${bin} attach attached; output: ${JSON.stringify(att.out())}` });
      att.input('\r');
      await waitFor(() => att.out().endsWith('ready> '), { message: `the prompt through ${bin} attach; output: ${JSON.stringify(att.out())}` });
      att.input('stty size\r');
      await waitFor(() => att.out().includes('\r\n33 91\r\nready> '), { message: `the size through ${bin} attach; output: ${JSON.stringify(att.out())}` });
      att.input('exit\r'); // the container exits: so does the attach
      expect(await att.code).toBe(0);
    }

    // kubectl run -it --rm: a pod with stdin, stdinOnce and tty, attached to, deleted at the end
    // (bound to the node by hand: everynode has no scheduler).
    const run = kubectl(`run -i -t --rm --restart=Never --image=busybox --overrides='{"spec":{"nodeName":"node-1"}}' --env=PS1=krun- krun -- sh -is ${mark}-krun`);
    await waitFor(() => run.out().includes("If you don't see a command prompt, try pressing enter."), { timeoutMs: 30_000, message: `kubectl run attached; output: ${JSON.stringify(run.out())}` });
    run.input('\r');
    await waitFor(() => run.out().endsWith('krun-'), { message: `the prompt through kubectl run; output: ${JSON.stringify(run.out())}` });
    run.input('stty size; echo "run $((6 * 7))"\r');
    await waitFor(() => run.out().includes('\r\n33 91\r\nrun 42\r\nkrun-'), { message: `the size through kubectl run; output: ${JSON.stringify(run.out())}` });
    run.input('exit\r');
    expect(await run.code).toBe(0);
    await waitFor(async () => !(await cluster.client.list<Pod>(podsResource, { namespace: 'default' })).items.some((p) => p.metadata.name === 'krun'), { message: 'kubectl run --rm deleted its pod' });
  }, 90_000);
});

describe('kubectl exec -it on a node without `script`: the line discipline fallback', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
    // A PATH with every program of ours but `script`.
    const bin = join(makeTempDir(cleanup, 'path-without-script'), 'bin');
    mkdirSync(bin);
    for (const dir of (process.env.PATH ?? '').split(':')) {
      if (!dir || !existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (name === 'script' || existsSync(join(bin, name))) continue;
        symlinkSync(join(dir, name), join(bin, name));
      }
    }
    cluster = await startCluster('fallback', { ...process.env, PATH: bin });
  }, 60_000);

  it('echoes and edits typed lines, sends output with CR LF, and Ctrl-C ends the command with 130', async () => {
    const t = await openExec(cluster, ['sh']);
    t.resize(80, 24);
    t.type('echo hellx\x7fo\r');
    const at = (await t.expectOutput(/^echo hellx\x08 \x08o\r\nhello\r\n$/, 0)).end;
    t.type('sleep 30\r');
    await t.expectOutput(/sleep 30\r\n$/, at);
    t.type('\x03');
    await t.closed;
    expect(t.exitCode).toBe(130);
  }, 30_000);

  it('reads the stream flags as upstream does (the Python client sends True/False), drops a stream not asked for, and refuses an exec with none', async () => {
    // stdin=True attaches input; the command ends when it is closed (v5: channel 255).
    const t = await openExec(cluster, ['sh', '-c', 'tr a-z A-Z; echo oops >&2'], { flags: { stdin: 'True', stdout: 'True', stderr: 'False', tty: 'False' } });
    t.type('from python\n');
    t.send(255, Buffer.from([STDIN]));
    await t.closed;
    expect([t.exitCode, t.stdout, t.stderr]).toEqual([0, 'FROM PYTHON\n', '']);
    const e = await openExec(cluster, ['sh', '-c', 'echo out; echo err >&2'], { flags: { stdout: '0', stderr: 'TRUE' } });
    await e.closed;
    expect([e.exitCode, e.stdout, e.stderr]).toEqual([0, '', 'err\n']);
    await expect(openExec(cluster, ['true'], { flags: { stdout: 'false' } })).rejects.toThrow(/no upgrade: 400 .*you must specify at least 1 of stdin, stdout, stderr/);
  }, 30_000);

  it('attach shows a running container\'s output from now on, and ends with Success when the container stops; input to a container without stdin is refused', async () => {
    await cluster.client.create(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ticker' },
      spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done # ${mark}-ticker`] }] },
    } as Pod);
    await waitFor(async () => (await cluster.client.get<Pod>(podsResource, 'default', 'ticker')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'the ticker pod Running' });
    const a = await openExec(cluster, [], { pod: 'ticker', subresource: 'attach', flags: { stdout: 'true', stderr: 'true' } });
    await a.expectOutput(/tick-\d+\n[\s\S]*tick-\d+\n/, 0);
    // From now on: not the log from the start.
    expect(a.stdout).not.toMatch(/^tick-1\n/);
    if (kubectlPath) {
      // kubectl attach itself (no -i), stopped after a while as a user's Ctrl-C would.
      const k = spawn(kubectlPath, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(cluster.kubeconfig, '..', 'kubectl-cache'), 'attach', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      k.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => /tick-\d+\n[\s\S]*tick-\d+\n/.test(out), { timeoutMs: 15_000, message: 'kubectl attach printing the ticks' });
      k.kill('SIGINT');
    }
    await cluster.client.delete(podsResource, 'default', 'ticker');
    await a.closed;
    expect(a.exitCode).toBe(0);
    await expect(openExec(cluster, [], { pod: 'shell', subresource: 'attach', flags: { stdin: 'true', stdout: 'true' } })).rejects.toThrow(/no upgrade: 400 .*container main in pod shell does not take input: its spec does not set stdin/);
  }, 40_000);

  it('attach -it to a container with tty runs through the line discipline: typed lines echoed and run, CR LF, Ctrl-D ends the attach and leaves it running', async () => {
    await runPod(cluster, 'tty-fallback', { command: ['sh', '-s', `${mark}-tty-fallback`], stdin: true, tty: true });
    const t = await openExec(cluster, [], { pod: 'tty-fallback', subresource: 'attach', flags: { stdin: 'true', stdout: 'true', tty: 'true' } });
    t.resize(80, 24);
    t.type('echo "sum $((6 * 7))"\r');
    await t.expectOutput(/^echo "sum \$\(\(6 \* 7\)\)"\r\nsum 42\r\n$/, 0);
    t.type('\x04');
    await t.closed;
    expect(t.exitCode).toBe(0);
    // The shell lives on and its input stays open: a second attach types into it.
    const again = await openExec(cluster, [], { pod: 'tty-fallback', subresource: 'attach', flags: { stdin: 'true', stdout: 'true', tty: 'true' } });
    again.type('tty >/dev/null || echo "no tty $((40 + 2))"\r');
    await again.expectOutput(/\r\nno tty 42\r\n$/, 0);
    again.destroy();
  }, 40_000);
});
