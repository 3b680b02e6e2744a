// `everynode server` and a separate `everynode agent` as subprocesses: the agent is stopped with
// SIGTERM and started again on the same data dir; the sample daemon it runs keeps its PID (the
// same process, by /proc start time), its pod stays Running and Ready with no restart, and its
// output keeps reaching `kubectl logs` through the new agent. A pod deleted while the agent was
// down is stopped when it returns. A pod that ran to completion keeps its log across the
// restart until it is deleted.
import { createJoinToken, TokenStore } from '../../src/auth/index.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, daemonSetsResource, podsResource, type RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { containerPid, everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode, startServerProcess, type ServerProcess, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-agent-${randomBytes(4).toString('hex')}`;
const nodeIP = '127.0.1.9';
let server: ServerProcess;
let client: RestClient;
let agentDir = '';
let cacheDir = '';
const execFileP = promisify(execFile);

/** Field 22 of /proc/<pid>/stat: the start time, which tells a reused PID apart. */
function procStartTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

let joinToken = '';

function startAgentProcess(): SpawnedProcess {
  return spawnNode(
    cleanup,
    // Joins with the token on the first start; later starts reuse the identity in the data dir.
    [everynodeBin, 'agent', '--server', server.url, '--token', joinToken, '--name', 'node-a', '--node-ip', nodeIP, '--port', '0', '--data-dir', agentDir],
    { cwd: repoRoot },
  );
}

function ready(p: Pod | undefined): boolean {
  return p?.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function reporterPod(): Promise<Pod | undefined> {
  return (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=node-reporter' })).items[0];
}

const kubectlPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((p) => existsSync(p));

/** `logs` through kubectl (where on PATH) or the everynode CLI; undefined while it fails. */
async function podLog(name: string, ...flags: string[]): Promise<string | undefined> {
  try {
    const { stdout } = kubectlPath
      ? await execFileP(kubectlPath, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', cacheDir, 'logs', name, ...flags])
      : await execFileP(process.execPath, [everynodeBin, 'logs', name, ...flags, '--kubeconfig', server.kubeconfigPath]);
    return stdout;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  cleanup.defer(() => {
    killPidsWith(mark);
  }, 'daemon processes');
  const serverDir = makeTempDir(cleanup, 'server');
  server = await startServerProcess(cleanup, { dataDir: serverDir });
  joinToken = createJoinToken(new TokenStore(serverDir), { caCertPem: server.caPem });
  client = clientFromKubeconfig(server.kubeconfigPath).client;
  agentDir = makeTempDir(cleanup, 'agent');
  cacheDir = makeTempDir(cleanup, 'kubectl-cache');
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('everynode agent restart', () => {
  it('adopts its running daemon: same PID, pod Running and Ready, logs continue', async () => {
    if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
    const first = startAgentProcess();
    await waitFor(() => /serving logs on/.test(first.output()), { timeoutMs: 30_000, message: `the agent started; output:\n${first.output()}` });

    const port = await freePort(nodeIP);
    const ds = parseYaml(readFileSync(join(repoRoot, 'examples/node-reporter/daemonset.yaml'), 'utf8')) as DaemonSet;
    const c = ds.spec.template.spec.containers[0]!;
    c.command = [...(c.command ?? []), `--tag=${mark}-ds`];
    c.env = (c.env ?? []).map((e) => (e.name === 'PORT' ? { name: 'PORT', value: String(port) } : e.name === 'REPORT_INTERVAL_SECONDS' ? { ...e, value: '1' } : e));
    c.ports = [{ name: 'http', containerPort: port, hostPort: port }];
    await client.create(daemonSetsResource, 'default', ds);
    // A plain pod on the node, deleted while the agent is down.
    await client.create<Pod>(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: 'default' },
      spec: { nodeName: 'node-a', terminationGracePeriodSeconds: 2, containers: [{ name: 'sleep', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${mark}-sleeper`] }] },
    });

    // A pod that ran to completion: its log outlives the agent's restart, as a kubelet's does.
    await client.create<Pod>(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'finished', namespace: 'default' },
      spec: { nodeName: 'node-a', restartPolicy: 'Never', containers: [{ name: 'once', image: 'sh', command: ['sh', '-c', 'echo finished-output'] }] },
    });
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'finished')).status?.phase === 'Succeeded', { timeoutMs: 30_000, message: 'the finished pod Succeeded' });
    expect(await podLog('finished')).toBe('finished-output\n');

    const before = await waitFor(async () => {
      const p = await reporterPod();
      return ready(p) ? p : undefined;
    }, { timeoutMs: 30_000, message: 'the node-reporter pod Ready' });
    await waitFor(() => pidsWith(`${mark}-sleeper`).length === 1, { message: 'the sleeper running' });
    const pid = containerPid(before.status!.containerStatuses![0]!.containerID);
    expect(pidsWith(`${mark}-ds`)).toEqual([pid]);
    const startTime = procStartTime(pid);

    // kill -TERM the agent: it exits 0 and leaves its daemons running.
    process.kill(first.pid, 'SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(pidsWith(`${mark}-ds`)).toEqual([pid]);
    await client.delete(podsResource, 'default', 'sleeper');

    const second = startAgentProcess();
    await waitFor(() => /serving logs on/.test(second.output()), { timeoutMs: 30_000, message: `the agent restarted; output:\n${second.output()}` });
    // The new agent serves the pod's log (its own new log port, via the API server), and the
    // adopted daemon's output written after the restart is in it.
    const restartedAt = Date.now();
    await waitFor(async () => {
      const log = await podLog(before.metadata.name!);
      return log !== undefined && /^report node=node-a /m.test(log) ? log : undefined;
    }, { timeoutMs: 30_000, message: 'the pod log served by the new agent' });
    const stamped = await waitFor(async () => {
      const lines = ((await podLog(before.metadata.name!, '--timestamps', '--tail', '1')) ?? '').trim();
      return lines && Date.parse(lines.split(' ')[0]!) > restartedAt ? lines : undefined;
    }, { timeoutMs: 30_000, message: 'a log line written after the agent restart' });
    expect(stamped).toMatch(/ report node=node-a /);

    // The finished pod's log is still served; deleting the pod removes it from the node.
    expect(await waitFor(() => podLog('finished'), { timeoutMs: 15_000, message: 'the finished pod\'s log after the restart' })).toBe('finished-output\n');
    const logDirs = () => readdirSync(join(agentDir, 'pods')).filter((d) => d.startsWith('default_finished_'));
    expect(logDirs()).toHaveLength(1);
    await client.delete(podsResource, 'default', 'finished');
    await waitFor(() => logDirs().length === 0, { timeoutMs: 15_000, message: 'the finished pod\'s logs removed with it' });

    // The deleted pod's process is stopped and the pod removed by the returning agent.
    await waitFor(() => pidsWith(`${mark}-sleeper`).length === 0, { timeoutMs: 30_000, message: 'the sleeper stopped' });
    await waitFor(async () => !(await client.list<Pod>(podsResource, { namespace: 'default' })).items.some((p) => p.metadata.name === 'sleeper'), {
      timeoutMs: 30_000,
      message: 'the sleeper pod removed',
    });

    const after = (await reporterPod())!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(ready(after)).toBe(true);
    expect(after.status!.containerStatuses![0]).toMatchObject({ containerID: before.status!.containerStatuses![0]!.containerID, restartCount: 0, ready: true });
    expect(pidsWith(`${mark}-ds`)).toEqual([pid]);
    expect(procStartTime(pid)).toBe(startTime);
    expect(await (await fetch(`http://${nodeIP}:${port}/`)).text()).toBe('node-a\n');

    await client.delete(daemonSetsResource, 'default', 'node-reporter');
    await waitFor(() => pidsWith(mark).length === 0, { timeoutMs: 30_000, message: 'no daemon process left' });
  }, 85_000);
});
