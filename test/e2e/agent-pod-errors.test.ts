// `everynode up --nodes 1` as a subprocess (the built binary): pods the agent cannot run are
// reported as the kubelet reports them.
// - A DaemonSet whose container has only flag args (written for an image's entrypoint; the
//   process runtime has no images) keeps ONE pod on the node, under the same name and UID: the
//   pod stays Pending with the container waiting in CreateContainerError (the runtime's message),
//   its creation is tried again after the back-off (10 s) with a Warning Failed event each time
//   (counted), and the DaemonSet controller, which replaces only Failed pods, leaves it alone.
//   Every watch event of the DaemonSet's pods is recorded and the property checked over the
//   whole history, not at a few sampled moments.
// - A pod rejected at admission because another pod holds its host port is Failed
//   (HostPortConflict, "Pod was rejected: ...") with a Warning event of that reason on it, from
//   the kubelet of its node.
// Where kubectl 1.32 (else any kubectl) is on PATH, `kubectl get pods` shows STATUS
// CreateContainerError and `kubectl describe pod` lists the events.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonSet, Event, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, daemonSetsResource, eventsResource, isNotFound, podsResource, type RestClient, type WatchEvent } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { everynodeBin, killPidsWith, pidsWith, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-poderr-${randomBytes(4).toString('hex')}`;
let up: SpawnedProcess;
let client: RestClient;
let kubectlTarget: { kubeconfig: string; cacheDir: string };
const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);

async function kubectl(...args: string[]): Promise<string> {
  const r = await runKubectl(kubectlTarget, args, { binary: kubectlBinary });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The events of one pod, as kubectl describe finds them (a field selector on involvedObject). */
async function podEvents(name: string): Promise<Event[]> {
  return (await client.list<Event>(eventsResource, { namespace: 'default', fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` })).items;
}

async function deleteAndWaitGone(resource: typeof podsResource, name: string): Promise<void> {
  await client.delete(resource, 'default', name).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  await waitFor(() => client.get(resource, 'default', name).then(() => false, (err: unknown) => isNotFound(err)), { timeoutMs: 30_000, message: `${name} deleted` });
}

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  const dataDir = makeTempDir(cleanup, 'up-pod-errors');
  cleanup.defer(() => killPidsWith(mark), 'daemon processes');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1', '--dashboard', 'off', '--cluster-dns', 'off']);
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  client = clientFromKubeconfig(m[2]!).client;
  kubectlTarget = { kubeconfig: m[2]!, cacheDir: makeTempDir(cleanup, 'kubectl-cache') };
  await waitFor(() => /node node-1: InternalIP 127\.0\.1\.1/.test(up.output()), { message: 'the local node started' });
  if (!kubectlBinary) console.warn('kubectl not on PATH: the kubectl checks of this file are skipped');
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('the agent and pods it cannot run', () => {
  it('a DaemonSet container with only flag args: one Pending pod that keeps its name, waiting in CreateContainerError, retried with Warning Failed events', async () => {
    // Every pod event of the DaemonSet from before its creation on.
    const history: WatchEvent<Pod>[] = [];
    const watch = await client.watch<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=noentry' }, (ev) => history.push(ev));
    cleanup.defer(() => watch.stop(), 'pod watch');
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'noentry', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'noentry' } },
        template: {
          metadata: { labels: { app: 'noentry' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'exporter', image: 'quay.io/prometheus/node-exporter:v1.8.2', args: ['--web.listen-address=127.0.0.1:18199', `--collector.textfile.directory=/nonexistent/${mark}`] }],
          },
        },
      },
    };
    await client.create<DaemonSet>(daemonSetsResource, 'default', ds);

    const first = await waitFor(
      async () => {
        const pods = (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=noentry' })).items;
        return pods.length === 1 && pods[0]!.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerError' ? pods[0] : undefined;
      },
      { timeoutMs: 30_000, message: 'the daemon pod waiting in CreateContainerError' },
    );
    const name = first.metadata.name!;
    // The creation is tried again after the 10 s back-off: the Warning Failed event counts it.
    const failed = await waitFor(
      async () => {
        const ev = (await podEvents(name)).find((e) => e.type === 'Warning' && e.reason === 'Failed');
        return ev && (ev.count ?? 1) >= 2 ? ev : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 250, message: `a second Warning Failed event of pod ${name}` },
    );
    expect(failed.message).toMatch(/^Error: container "exporter" has no command: its args \("--web\.listen-address=127\.0\.0\.1:18199" \.\.\.\) are flags for the entrypoint of image "quay\.io\/prometheus\/node-exporter:v1\.8\.2".*; set "command"$/);
    expect(failed.source).toEqual({ component: 'kubelet', host: 'node-1' });
    expect(failed.involvedObject).toMatchObject({ kind: 'Pod', name, uid: first.metadata.uid, fieldPath: 'spec.containers{exporter}' });

    const pods = (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=noentry' })).items;
    expect(pods.map((p) => p.metadata.uid)).toEqual([first.metadata.uid]);
    const pod = pods[0]!;
    expect(pod.metadata.deletionTimestamp).toBeUndefined();
    expect(pod.status!.phase).toBe('Pending');
    expect(pod.status!.reason).toBeUndefined();
    const waiting = pod.status!.containerStatuses![0]!.state!.waiting!;
    expect(waiting.reason).toBe('CreateContainerError');
    expect(`Error: ${waiting.message ?? ''}`).toBe(failed.message);
    // Over the whole history: one pod, never Failed, never deleted.
    const seen = history.filter((e) => e.type !== 'BOOKMARK' && e.type !== 'ERROR').map((e) => e.object as Pod);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((p) => p.metadata.uid))).toEqual(new Set([first.metadata.uid]));
    expect(history.filter((e) => e.type === 'DELETED')).toEqual([]);
    expect(seen.filter((p) => p.status?.phase === 'Failed' || p.metadata.deletionTimestamp)).toEqual([]);
    const status = (await client.get<DaemonSet>(daemonSetsResource, 'default', 'noentry')).status;
    expect(status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 0 });
    expect(pidsWith(mark)).toEqual([]);

    if (kubectlBinary) {
      const table = await kubectl('get', 'pods', '-l', 'app=noentry');
      expect(table).toMatch(new RegExp(`^${name}\\s+0/1\\s+CreateContainerError\\s+0\\s`, 'm'));
      const described = await kubectl('describe', 'pod', name);
      expect(described).toMatch(/^Status:\s+Pending$/m);
      expect(described).toMatch(/State:\s+Waiting\n\s+Reason:\s+CreateContainerError/);
      expect(described).toMatch(/Warning\s+Failed\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Error: container "exporter" has no command/);
    }

    await deleteAndWaitGone(daemonSetsResource, 'noentry');
    await waitFor(async () => (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=noentry' })).items.length === 0, { timeoutMs: 30_000, message: 'the daemon pod gone' });
  }, 120_000);

  it('a pod rejected for a host port in use is Failed with a Warning HostPortConflict event from the kubelet', async () => {
    const withPort = (name: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'node-1',
        terminationGracePeriodSeconds: 1,
        // The port is only admission's business: nothing listens on it.
        containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${mark}-${name}`], ports: [{ containerPort: 18150, hostPort: 18150 }] }],
      },
    });
    cleanup.defer(async () => {
      for (const n of ['port-a', 'port-b']) await client.delete(podsResource, 'default', n).catch(() => undefined);
    }, 'host port pods');
    await client.create<Pod>(podsResource, 'default', withPort('port-a'));
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'port-a')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'port-a Running' });
    const created = await client.create<Pod>(podsResource, 'default', withPort('port-b'));
    const rejected = await waitFor(
      async () => {
        const p = await client.get<Pod>(podsResource, 'default', 'port-b');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 30_000, message: 'port-b rejected' },
    );
    const detail = "node(s) didn't have free ports for the requested pod ports: TCP port 18150 is already used by pod default/port-a";
    expect(rejected.status).toMatchObject({ phase: 'Failed', reason: 'HostPortConflict', message: `Pod was rejected: ${detail}` });
    // Upstream's rejectPod: the event's message is the status's without "Pod was rejected: ".
    const ev = await waitFor(async () => (await podEvents('port-b')).find((e) => e.reason === 'HostPortConflict'), { timeoutMs: 15_000, message: 'the HostPortConflict event of port-b' });
    expect(ev).toMatchObject({ type: 'Warning', message: detail, source: { component: 'kubelet', host: 'node-1' }, count: 1 });
    expect(ev.involvedObject).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'port-b', uid: created.metadata.uid });
    expect(ev.involvedObject.fieldPath).toBeUndefined();
    expect(pidsWith(`${mark}-port-b`)).toEqual([]);

    if (kubectlBinary) {
      const described = await kubectl('describe', 'pod', 'port-b');
      expect(described).toMatch(/^Status:\s+Failed$/m);
      expect(described).toMatch(/^Reason:\s+HostPortConflict$/m);
      expect(described).toContain(`Warning  HostPortConflict`);
      expect(described).toMatch(/Warning\s+HostPortConflict\s+\S+\s+kubelet\s+node\(s\) didn't have free ports for the requested pod ports: TCP port 18150 is already used by pod default\/port-a/);
    }

    for (const n of ['port-a', 'port-b']) await deleteAndWaitGone(podsResource, n);
    expect(pidsWith(`${mark}-port-a`)).toEqual([]);
  }, 90_000);
});
