// `everynode up --nodes 2` as a subprocess (the built binary): a DaemonSet becomes one real
// daemon process per local node, its log is reachable through the API (and kubectl when on
// PATH), a killed daemon is restarted and counted, and deleting the DaemonSet leaves no process.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, daemonSetsResource, podsResource, type RestClient } from '../../src/client/index.js';
import { credentialsFromKubeconfig, registerServer, testFetch } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const execFileP = promisify(execFile);
const cleanup = new Cleanup();
const mark = `everynode-e2e-up-${randomBytes(4).toString('hex')}`;
let up: SpawnedProcess;
let url = '';
let kubeconfig = '';
let dataDir = '';
let client: RestClient;

const kubectlPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((p) => existsSync(p));

/** Live (non-zombie) processes whose command line contains the marker. */
function daemonPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(mark)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') out.push(Number(name));
    } catch {
      // raced with exit
    }
  }
  return out;
}

async function daemonPods(): Promise<Pod[]> {
  return (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=hello' })).items;
}

function ready(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  dataDir = makeTempDir(cleanup, 'up');
  // Last resort for daemons of a failed run (the up process stops them itself on SIGTERM).
  cleanup.defer(() => {
    for (const pid of daemonPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 'daemon processes');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '2']);
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  url = m[1]!;
  kubeconfig = m[2]!;
  registerServer(url, credentialsFromKubeconfig(kubeconfig));
  client = clientFromKubeconfig(kubeconfig).client;
  await waitFor(() => /node node-2: InternalIP 127\.0\.1\.2/.test(up.output()), { message: 'both local nodes started' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('everynode up', () => {
  it('runs a DaemonSet as one real process per node, with logs, restarts, and clean deletion', async () => {
    await client.create(daemonSetsResource, 'default', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'hello', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'hello' } },
        template: {
          metadata: { labels: { app: 'hello' } },
          spec: {
            terminationGracePeriodSeconds: 3,
            containers: [
              {
                name: 'hello',
                image: 'sh',
                command: ['sh', '-c', `echo hello-$NODE; sleep 1000 # ${mark}`],
                env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              },
            ],
          },
        },
      },
    });

    const pods = await waitFor(async () => {
      const ps = await daemonPods();
      return ps.length === 2 && ps.every(ready) ? ps : undefined;
    }, { timeoutMs: 30_000, message: 'two daemon pods Running and Ready' });
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['node-1', 'node-2']);
    expect(pods.map((p) => p.status?.hostIP).sort()).toEqual(['127.0.1.1', '127.0.1.2']);
    await waitFor(() => daemonPids().length === 2, { message: 'two daemon processes' });

    const onNode1 = pods.find((p) => p.spec.nodeName === 'node-1')!;
    const log = await testFetch(`${url}/api/v1/namespaces/default/pods/${onNode1.metadata.name}/log`);
    expect(log.status).toBe(200);
    expect(await log.text()).toBe('hello-node-1\n');
    if (kubectlPath) {
      const cacheDir = makeTempDir(cleanup, 'kubectl-cache');
      const { stdout } = await execFileP(kubectlPath, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, 'logs', onNode1.metadata.name!]);
      expect(stdout).toBe('hello-node-1\n');
    } else {
      console.warn('kubectl not on PATH: the kubectl logs check is skipped');
    }

    // A killed daemon is restarted in place and counted.
    const pid = Number(onNode1.status!.containerStatuses![0]!.containerID!.replace('process://', ''));
    process.kill(pid, 'SIGKILL');
    const restarted = await waitFor(async () => {
      const p = (await daemonPods()).find((x) => x.metadata.uid === onNode1.metadata.uid);
      return p && ready(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    }, { timeoutMs: 30_000, message: 'the killed daemon restarted' });
    expect(restarted.status!.containerStatuses![0]!.lastState?.terminated).toMatchObject({ exitCode: 137 });
    await waitFor(() => daemonPids().length === 2, { message: 'two daemon processes again' });

    await client.delete(daemonSetsResource, 'default', 'hello');
    await waitFor(async () => (await daemonPods()).length === 0, { timeoutMs: 30_000, message: 'daemon pods deleted' });
    await waitFor(() => daemonPids().length === 0, { timeoutMs: 30_000, message: 'no daemon process left' });
  }, 120_000);
});
