// The node agent in-process against the real API server (temp SQLite, real HTTP), running pods
// as real `sh -c` processes through the ProcessRuntime. Every daemon carries a unique marker in
// its command line so the test can find exactly its own processes under /proc.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { existsSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, startAgent, type RunningAgent } from '../../src/agent/index.js';
import type { Event, KubeObject, Lease, Node, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, csiNodesResource, eventsResource, HttpTransport, isNotFound, leasesResource, nodesResource, podsResource, RestClient, runtimeClassesResource } from '../../src/client/index.js';
import type { AgentTlsOptions } from '../../src/agent/index.js';
import { quantityValue } from '../../src/agent/admission.js';
import { silentLogger } from '../../src/util/logger.js';
import { credentialsFromKubeconfig, testFetch } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { containerPid, killPidsWith, pidsWith } from '../helpers/process.js';
import { restartTestServer, startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { sleep, waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const run = randomBytes(4).toString('hex');
const nodeName = `agent-it-${run}`;
let ts: TestServer;
let client: RestClient;
/** The agent's own client: its node identity (system:node:<name>), so NodeRestriction applies. */
let agentClient: RestClient;
/** The agent's PUTs of pods/status, by pod name. */
const statusWrites = new Map<string, number>();
let agentTls: AgentTlsOptions;
let agent: RunningAgent;
let agentDir = '';
let staticDir = '';

function marker(tag: string): string {
  return `everynode-it-${run}-${tag}`;
}

/** Live processes of process group `pgid`. */
function groupPids(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(name));
    } catch {
      // raced with exit
    }
  }
  return out;
}

function podBody(name: string, script: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', script] }], ...extra },
  };
}

async function getPod(name: string): Promise<Pod> {
  return client.get<Pod>(podsResource, 'default', name);
}

async function waitPod(name: string, ok: (p: Pod) => boolean, message: string, timeoutMs = 30_000): Promise<Pod> {
  let last: Pod | undefined;
  return waitFor(
    async () => {
      last = await getPod(name);
      return ok(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 100, message: `${message} (pod ${name}); last status ${JSON.stringify(last?.status)}` },
  );
}

function isReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function podLog(name: string, query = ''): Promise<{ status: number; text: string }> {
  const r = await testFetch(`${ts.server.url}/api/v1/namespaces/default/pods/${name}/log${query}`);
  return { status: r.status, text: await r.text() };
}

async function deleteAndWaitGone(name: string): Promise<void> {
  await client.delete(podsResource, 'default', name).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  await waitFor(
    async () => {
      try {
        await getPod(name);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    },
    { timeoutMs: 30_000, message: `pod ${name} deleted` },
  );
}

function startTestAgent(): Promise<RunningAgent> {
  return startAgent({
    client: agentClient,
    tls: agentTls,
    nodeName,
    nodeIP: '127.0.0.1',
    port: 0,
    dataDir: agentDir,
    staticPodDir: staticDir,
    staticPodPollMs: 200,
    labels: { 'example.com/role': 'it' },
    taints: [{ key: 'example.com/dedicated', value: 'it', effect: 'PreferNoSchedule' }],
    capacity: { cpu: '2', memory: '4Gi' },
    leaseRenewIntervalMs: 300,
    nodeStatusUpdateFrequencyMs: 300,
    podStatusResyncMs: 1_000,
    logger: silentLogger,
  });
}

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  client = clientFromKubeconfig(ts.server.kubeconfigPath).client;
  const id = await ts.server.issueNodeIdentity(nodeName, ['127.0.0.1']);
  const agentTransport = new HttpTransport({ server: ts.server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem });
  // Counts the agent's pod status writes, by pod.
  agentClient = new RestClient((req) => {
    const pod = req.method === 'PUT' ? /\/pods\/([^/?]+)\/status(?:\?|$)/.exec(req.path)?.[1] : undefined;
    if (pod !== undefined) statusWrites.set(pod, (statusWrites.get(pod) ?? 0) + 1);
    return agentTransport.request(req);
  });
  agentTls = { certPem: id.servingCertPem, keyPem: id.servingKeyPem, caPem: id.caPem };
  agentDir = makeTempDir(cleanup, 'agent');
  staticDir = makeTempDir(cleanup, 'static-pods');
  // Stop every daemon left by a failing test (registered before any assertion).
  cleanup.defer(async () => {
    await agent?.stop({ stopPods: true, gracePeriodSeconds: 0 });
    killPidsWith(`everynode-it-${run}`);
  }, 'agent and daemons');
  agent = await startTestAgent();
  await agent.ready();
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('node agent against the real API server', () => {
  it('registers its Node with labels, taints, addresses, capacity, nodeInfo, endpoint and conditions', async () => {
    const node = await client.get<Node>(nodesResource, '', nodeName);
    expect(node.metadata.labels).toMatchObject({
      'example.com/role': 'it',
      'kubernetes.io/hostname': nodeName,
      'kubernetes.io/os': 'linux',
    });
    expect(node.metadata.labels?.['kubernetes.io/arch']).toBeTruthy();
    expect(node.spec?.taints).toEqual([{ key: 'example.com/dedicated', value: 'it', effect: 'PreferNoSchedule' }]);
    const st = node.status!;
    expect(st.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: nodeName },
    ]);
    expect(st.capacity).toMatchObject({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(st.allocatable).toMatchObject({ cpu: '2', memory: '3996Mi', pods: '110' });
    // ephemeral-storage: the size of the data dir's filesystem; allocatable less the kubelet's 10% eviction threshold.
    const fs = statfsSync(agentDir);
    expect(quantityValue(st.capacity?.['ephemeral-storage'])).toBe(fs.blocks * fs.bsize);
    expect(quantityValue(st.allocatable?.['ephemeral-storage'])).toBe(fs.blocks * fs.bsize - Math.floor(fs.blocks * fs.bsize * Math.fround(0.1)));
    expect(st.nodeInfo).toMatchObject({ operatingSystem: 'linux', kubeletVersion: 'v1.32.0' });
    expect((st.daemonEndpoints as any).kubeletEndpoint.Port).toBe(agent.port);
    const cond = Object.fromEntries((st.conditions ?? []).map((c) => [c.type, c]));
    expect(cond.Ready).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(cond.MemoryPressure).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientMemory' });
    expect(cond.DiskPressure).toMatchObject({ status: 'False', reason: 'KubeletHasNoDiskPressure' });
    expect(cond.PIDPressure).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientPID' });
  });

  it('a second agent on the same data dir does not start (it would supervise the same containers); the first goes on', async () => {
    const err = await startTestAgent().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toContain(`data dir ${agentDir} is in use by another agent`);
    const before = (await client.get<Lease>(leasesResource, 'kube-node-lease', nodeName)).spec?.renewTime;
    await waitFor(async () => (await client.get<Lease>(leasesResource, 'kube-node-lease', nodeName)).spec?.renewTime !== before, { timeoutMs: 10_000, message: 'the first agent renews its Lease' });
  });

  it('renews its Lease in kube-node-lease, owned by the Node', async () => {
    const node = await client.get<Node>(nodesResource, '', nodeName);
    const first = await waitFor(() => client.get<Lease>(leasesResource, 'kube-node-lease', nodeName), { message: 'lease created' });
    expect(first.spec).toMatchObject({ holderIdentity: nodeName, leaseDurationSeconds: 40 });
    expect(first.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await waitFor(
      async () => {
        const l = await client.get<Lease>(leasesResource, 'kube-node-lease', nodeName);
        return l.spec?.renewTime !== first.spec?.renewTime && (l.metadata.ownerReferences ?? []).some((r) => r.kind === 'Node' && r.uid === node.metadata.uid);
      },
      { message: 'lease renewed with an ownerReference to the node' },
    );
  });

  it('creates its CSINode as a kubelet does (no drivers, the migrated plugins, owned by the Node); with its credentials it reaches no other node\'s', async () => {
    const node = await client.get<Node>(nodesResource, '', nodeName);
    const csi = await waitFor(() => client.get<KubeObject & { spec?: { drivers?: unknown } }>(csiNodesResource, '', nodeName), { message: 'the CSINode' });
    expect(csi.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid }]);
    expect(csi.metadata.annotations?.['storage.alpha.kubernetes.io/migrated-plugins']).toBe(
      'kubernetes.io/aws-ebs,kubernetes.io/azure-disk,kubernetes.io/azure-file,kubernetes.io/cinder,kubernetes.io/gce-pd,kubernetes.io/portworx-volume,kubernetes.io/vsphere-volume',
    );
    expect(csi.spec).toEqual({ drivers: [] });
    // Its own CSINode it may change; another node's it may neither create, read nor list.
    await agentClient.update(csiNodesResource, '', { ...csi, metadata: { ...csi.metadata, labels: { seen: 'yes' } } });
    const other = { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: `${nodeName}-other` }, spec: { drivers: [] } };
    await expect(agentClient.create(csiNodesResource, '', other)).rejects.toThrow(
      `csinodes.storage.k8s.io "${nodeName}-other" is forbidden: can only access CSINode with the same name as the requesting node`,
    );
    await client.create(csiNodesResource, '', other);
    await expect(agentClient.get(csiNodesResource, '', `${nodeName}-other`)).rejects.toThrow(/can only access CSINode with the same name as the requesting node/);
    await expect(agentClient.list(csiNodesResource)).rejects.toThrow(/can only get, create, update, patch, or delete a CSINode/);
    await client.delete(csiNodesResource, '', `${nodeName}-other`);
  });

  it('runs a bare pod as a real process: Running and Ready with hostIP/podIP, logs through the API', async () => {
    const m = marker('bare');
    await client.create(podsResource, 'default', podBody('bare', `echo one; echo two; echo three; sleep 1000 # ${m}`));
    const p = await waitPod('bare', isReady, 'Running and Ready');
    expect(p.status).toMatchObject({ hostIP: '127.0.0.1', podIP: '127.0.0.1' });
    const cs = p.status!.containerStatuses![0]!;
    expect(cs).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0 });
    expect(cs.state?.running?.startedAt).toBeTruthy();
    const pid = containerPid(cs.containerID);
    expect(pidsWith(m)).toContain(pid);

    const all = await waitFor(async () => {
      const r = await podLog('bare');
      return r.status === 200 && r.text === 'one\ntwo\nthree\n' ? r : undefined;
    }, { message: 'the full log' });
    expect(all.text).toBe('one\ntwo\nthree\n');
    expect(await podLog('bare', '?tailLines=1')).toEqual({ status: 200, text: 'three\n' });
    const ts1 = await podLog('bare', '?timestamps=true&tailLines=1');
    expect(ts1.text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);
    // Booleans as upstream reads them (the Python client sends False/True): a log not followed
    // ends while the container runs, without timestamps, and previous=False is the current one.
    expect(await podLog('bare', '?follow=False&previous=False&timestamps=False&tailLines=1')).toEqual({ status: 200, text: 'three\n' });
    expect((await podLog('bare', '?timestamps=True&tailLines=1')).text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);
    const bad = await podLog('bare', '?container=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toBe('container nope is not valid for pod bare');
    // Bad options: upstream's ValidatePodLogOptions, all at once, naming the pod (LogREST).
    const opts = await podLog('bare', '?tailLines=-1&limitBytes=0&sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z');
    expect(opts.status).toBe(422);
    expect(JSON.parse(opts.text)).toMatchObject({
      reason: 'Invalid',
      message: 'PodLogOptions "bare" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0, : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified]',
      details: { name: 'bare', kind: 'PodLogOptions', causes: [{ field: 'tailLines' }, { field: 'limitBytes' }, { reason: 'FieldValueForbidden', field: '' }] },
    });
    // Checked before the pod is read, as upstream: a bad option to a pod that does not exist is a 422, not a 404.
    const missing = await podLog('no-such-pod', '?tailLines=-1');
    expect(missing.status).toBe(422);
    expect(JSON.parse(missing.text).message).toBe('PodLogOptions "no-such-pod" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    expect((await podLog('no-such-pod', '?tailLines=1')).status).toBe(404);
    // A number beyond int64 does not convert: a 400, as any malformed number.
    const huge = await podLog('bare', '?tailLines=99999999999999999999');
    expect([huge.status, JSON.parse(huge.text).message]).toEqual([400, 'invalid tailLines: "99999999999999999999"']);
    // Nor does a sinceTime that is no time: a 400 before the pod or its containers are looked at.
    const garbage = await podLog('no-such-pod', '?sinceTime=garbage');
    expect([garbage.status, JSON.parse(garbage.text).message]).toEqual([400, 'invalid sinceTime: "garbage"']);
  });

  it('does not write a status again that the API object already has (a resync every second writes nothing)', async () => {
    const m = marker('steady');
    await client.create(podsResource, 'default', podBody('steady', `sleep 1000 # ${m}`));
    await waitPod('steady', isReady, 'Running and Ready');
    // Its last status write is in; then three resyncs (podStatusResyncMs 1 s) compare the
    // computed status with the API object's and find nothing to write (a condition's
    // lastProbeTime: null, which the server keeps as absent, once made every resync write).
    await sleep(1_500);
    const before = statusWrites.get('steady') ?? 0;
    expect(before).toBeGreaterThan(0);
    await sleep(3_500);
    expect(statusWrites.get('steady') ?? 0).toBe(before);
    await deleteAndWaitGone('steady');
  });

  it('streams a followed log as the container writes it', async () => {
    const m = marker('ticker');
    await client.create(podsResource, 'default', podBody('ticker', `i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done # ${m}`));
    await waitPod('ticker', isReady, 'Running');
    const ac = new AbortController();
    const r = await testFetch(`${ts.server.url}/api/v1/namespaces/default/pods/ticker/log?follow=true&tailLines=1`, { signal: ac.signal });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const reader = r.body!.getReader();
    let text = '';
    try {
      await waitFor(async () => {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString('utf8');
        return (text.match(/tick-\d+\n/g) ?? []).length >= 3;
      }, { message: 'three tick lines through the followed log' });
    } finally {
      ac.abort();
    }
    const nums = (text.match(/tick-(\d+)/g) ?? []).map((s) => Number(s.slice(5)));
    for (let i = 1; i < nums.length; i++) expect(nums[i]).toBe(nums[i - 1]! + 1);
    await deleteAndWaitGone('ticker');
  });

  it('asks for a container name when a pod has several', async () => {
    await client.create(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two-containers' },
      spec: { nodeName: 'no-such-node', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] },
    } as Pod);
    const r = await podLog('two-containers');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ reason: 'BadRequest', message: 'a container name must be specified for pod two-containers, choose one of: [a b]' });
  });

  it('restarts a crashing container and counts it', async () => {
    const m = marker('crash');
    await client.create(podsResource, 'default', podBody('crash', `echo crashing; exit 3 # ${m}`));
    const p = await waitPod('crash', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && x.status?.containerStatuses?.[0]?.lastState?.terminated !== undefined, 'a restart');
    expect(p.status!.containerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    const prev = await podLog('crash', '?previous=true');
    expect(prev).toEqual({ status: 200, text: 'crashing\n' });
    await deleteAndWaitGone('crash');
  });

  it('deletes gracefully: deletionTimestamp first, then the agent stops the process tree and removes the pod', async () => {
    const m = marker('tree');
    await client.create(podsResource, 'default', podBody('tree', `sleep 1000 & sleep 1000 & wait # ${m}`));
    const p = await waitPod('tree', isReady, 'Running');
    const pid = containerPid(p.status!.containerStatuses![0]!.containerID);
    await waitFor(() => groupPids(pid).length >= 3, { message: 'sh and its two sleeps in one process group' });
    const del = (await client.delete(podsResource, 'default', 'tree')) as Pod;
    expect(del.metadata.deletionTimestamp).toBeTruthy();
    expect(del.metadata.deletionGracePeriodSeconds).toBe(5);
    await deleteAndWaitGone('tree');
    await waitFor(() => groupPids(pid).length === 0 && pidsWith(m).length === 0, { message: 'every process of the pod gone' });
  });

  it('a second delete with a shorter grace period stops the pod sooner, though its first termination is under way', async () => {
    const m = marker('shorter');
    await client.create(podsResource, 'default', podBody('shorter', `trap '' TERM; while true; do sleep 0.2; done # ${m}`, { terminationGracePeriodSeconds: 30 }));
    await waitPod('shorter', isReady, 'Running');
    await client.delete(podsResource, 'default', 'shorter');
    await sleep(1000);
    expect(pidsWith(m).length).toBeGreaterThan(0); // SIGTERM ignored: running out its 30 s
    const started = Date.now();
    await client.delete(podsResource, 'default', 'shorter', { gracePeriodSeconds: 2 });
    await waitFor(
      async () => {
        try {
          await getPod('shorter');
          return false;
        } catch (err) {
          return isNotFound(err);
        }
      },
      { timeoutMs: 15_000, message: 'the pod gone after its shorter grace period' },
    );
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(pidsWith(m)).toEqual([]);
  });

  it('deletes a pod bound to no node at once', async () => {
    await client.create(podsResource, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'x' }] } } as Pod);
    await client.delete(podsResource, 'default', 'unbound');
    await expect(getPod('unbound')).rejects.toSatisfy(isNotFound);
  });

  it('rejects pods that do not fit: OutOfcpu, OutOfmemory, HostPortConflict', async () => {
    const withResources = (name: string, requests: Record<string, string>): Pod => {
      const b = podBody(name, `sleep 1000 # ${marker(name)}`);
      b.spec.containers[0]!.resources = { requests };
      return b;
    };
    await client.create(podsResource, 'default', withResources('big-cpu', { cpu: '3' }));
    await client.create(podsResource, 'default', withResources('big-mem', { memory: '5Gi' }));
    const cpu = await waitPod('big-cpu', (x) => x.status?.phase === 'Failed', 'rejected');
    // The QoS class the API server wrote at create stays; the rejection gives a start time, as the kubelet's status manager.
    expect(cpu.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', qosClass: 'Burstable', startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(cpu.status!.message).toContain("Node didn't have enough resource: cpu, requested: 3000");
    const mem = await waitPod('big-mem', (x) => x.status?.phase === 'Failed', 'rejected');
    expect(mem.status).toMatchObject({ phase: 'Failed', reason: 'OutOfmemory' });

    const withPort = (name: string): Pod => {
      const b = podBody(name, `sleep 1000 # ${marker(name)}`);
      b.spec.containers[0]!.ports = [{ containerPort: 31999, hostPort: 31999 }];
      return b;
    };
    await client.create(podsResource, 'default', withPort('port-a'));
    await waitPod('port-a', isReady, 'Running');
    await client.create(podsResource, 'default', withPort('port-b'));
    const b = await waitPod('port-b', (x) => x.status?.phase === 'Failed', 'rejected');
    expect(b.status).toMatchObject({ phase: 'Failed', reason: 'HostPortConflict' });
    expect(pidsWith(marker('port-b'))).toEqual([]);
    expect(pidsWith(marker('big-cpu'))).toEqual([]);
    for (const n of ['big-cpu', 'big-mem', 'port-a', 'port-b']) await deleteAndWaitGone(n);
  });

  it('rejects a pod that does not match the node (NodeAffinity) and admits one right after a label makes it match', async () => {
    const selecting = (name: string, nodeSelector: Record<string, string>): Pod => ({ ...podBody(name, `sleep 1000 # ${marker(name)}`), spec: { ...podBody(name, `sleep 1000 # ${marker(name)}`).spec, nodeSelector } }) as Pod;
    await client.create(podsResource, 'default', selecting('wrong-zone', { zone: 'nowhere' }));
    const wrong = await waitPod('wrong-zone', (x) => x.status?.phase === 'Failed', 'rejected');
    expect(wrong.status).toMatchObject({ phase: 'Failed', reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    expect(pidsWith(marker('wrong-zone'))).toEqual([]);

    // The label is set an instant before the pod arrives: the agent's copy of its Node is older
    // than that, and it reads the Node again before refusing.
    await client.patch(nodesResource, '', nodeName, 'merge', { metadata: { labels: { 'admission-test': 'yes' } } });
    await client.create(podsResource, 'default', selecting('labelled', { 'admission-test': 'yes' }));
    await waitPod('labelled', isReady, 'Running');

    // (The NoExecute taint check is shown in src/agent/admission.test.ts: here the taint
    // eviction controller deletes such a pod before the agent sees it, as upstream's does.)
    await client.patch(nodesResource, '', nodeName, 'merge', { metadata: { labels: { 'admission-test': null } } });
    for (const n of ['wrong-zone', 'labelled']) await deleteAndWaitGone(n);
  });

  it('gives a pod of a RuntimeClass whose handler it does not run no sandbox: FailedCreatePodSandBox, ContainerCreating, no process', async () => {
    // The agent reads the class with its own node credentials (upstream's node rules allow it).
    await client.create(runtimeClassesResource, '', { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'it-kata' }, handler: 'kata' } as KubeObject);
    const body = podBody('sandboxed', `sleep 1000 # ${marker('sandboxed')}`, { runtimeClassName: 'it-kata' } as Partial<Pod['spec']>);
    await client.create(podsResource, 'default', body);
    const p = await waitPod('sandboxed', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', 'ContainerCreating');
    expect(p.status?.phase).toBe('Pending');
    const event = await waitFor(
      async () => (await client.list<Event>(eventsResource, { namespace: 'default', fieldSelector: 'involvedObject.name=sandboxed,reason=FailedCreatePodSandBox' })).items[0],
      { timeoutMs: 15_000, message: 'FailedCreatePodSandBox event' },
    );
    expect(event.message).toBe('Failed to create pod sandbox: no runtime for "kata" is configured (RuntimeClass "it-kata")');
    expect(event.source?.component).toBe('kubelet');
    expect(pidsWith(marker('sandboxed'))).toEqual([]);
    await deleteAndWaitGone('sandboxed');
    await client.delete(runtimeClassesResource, '', 'it-kata');
  });

  it('adopts its daemons across an agent restart (same PID) and stops pods deleted while it was down', async () => {
    const keep = marker('keep');
    const gone = marker('gone');
    await client.create(podsResource, 'default', podBody('keep', `i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.05; done # ${keep}`));
    await client.create(podsResource, 'default', podBody('gone', `sleep 1000 # ${gone}`));
    const p = await waitPod('keep', isReady, 'Running');
    await waitPod('gone', isReady, 'Running');
    const pid = containerPid(p.status!.containerStatuses![0]!.containerID);

    const ticks = (text: string): number[] => (text.match(/tick-(\d+)/g) ?? []).map((x) => Number(x.slice(5)));
    const seenBefore = await waitFor(async () => {
      const t = ticks((await podLog('keep')).text);
      return t.length >= 3 ? t : undefined;
    }, { message: 'ticks logged before the restart' });
    await agent.stop();
    expect(pidsWith(keep)).toContain(pid);
    await client.delete(podsResource, 'default', 'gone', { gracePeriodSeconds: 0 });
    agent = await startTestAgent();
    await agent.ready();

    await waitFor(() => pidsWith(gone).length === 0, { message: 'the pod deleted while the agent was down is stopped' });
    expect(pidsWith(keep)).toContain(pid);
    const after = await waitPod('keep', isReady, 'still Running');
    expect(after.status!.containerStatuses![0]).toMatchObject({ containerID: p.status!.containerStatuses![0]!.containerID, restartCount: 0 });
    // The daemon kept writing while no agent ran (no SIGPIPE: its log is a FIFO it holds open),
    // and the new agent logs on from where the old one stopped, without a gap.
    const after2 = await waitFor(async () => {
      const t = ticks((await podLog('keep')).text);
      return t.length > seenBefore.length + 20 ? t : undefined;
    }, { message: 'the log growing after the restart' });
    after2.forEach((n, i) => expect(n).toBe(i + 1));
    expect(pidsWith(keep)).toContain(pid);
    await deleteAndWaitGone('keep');
    await waitFor(() => pidsWith(keep).length === 0, { message: 'the adopted daemon stopped on deletion' });
  });

  it('a pod whose graceful deletion began while the agent was down gets its grace period before it leaves the API', async () => {
    const m = marker('graceful-restart');
    const out = join(agentDir, `graceful-${run}.txt`);
    // On SIGTERM the daemon takes 3 s to finish (more than the 2 s minimum, less than its 8 s grace).
    await client.create(podsResource, 'default', podBody('graceful', `trap 'echo term >> ${out}; sleep 3; echo done >> ${out}; exit 0' TERM; while true; do sleep 0.1; done # ${m}`, { terminationGracePeriodSeconds: 8 }));
    await waitPod('graceful', isReady, 'Running');
    await agent.stop();
    await client.delete(podsResource, 'default', 'graceful');
    expect((await getPod('graceful')).metadata.deletionTimestamp).toBeTruthy();
    agent = await startTestAgent();
    await agent.ready();
    let aliveWhenGone: number[] | undefined;
    await waitFor(async () => {
      const gone = await getPod('graceful').then(() => false, (err: unknown) => isNotFound(err));
      if (gone) aliveWhenGone = pidsWith(m);
      return gone;
    }, { timeoutMs: 20_000, message: 'the pod removed from the API' });
    // The process had finished its shutdown before the pod left the API.
    expect(aliveWhenGone).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('term\ndone\n');
  }, 40_000);

  it('runs a static pod and mirrors it read-only in the API; a deleted mirror comes back; removing the file stops it', async () => {
    const m = marker('static');
    const file = join(staticDir, 'web.yaml');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: web\n    image: sh\n    command: [sh, -c, "echo static-hello; sleep 1000 # ${m}"]\n`,
    );
    const mirrorName = `web-${nodeName}`;
    await waitFor(() => pidsWith(m).length === 1, { message: 'the static pod process' });
    const node = await client.get<Node>(nodesResource, '', nodeName);
    const mirror = await waitPod(mirrorName, isReady, 'mirror Running');
    expect(mirror.metadata.annotations?.['kubernetes.io/config.mirror']).toBeTruthy();
    expect(mirror.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: nodeName, uid: node.metadata.uid })]);
    expect(mirror.metadata.labels).toEqual({ app: 'web' });
    expect((await podLog(mirrorName)).text).toBe('static-hello\n');

    const pid = pidsWith(m)[0]!;
    await client.delete(podsResource, 'default', mirrorName);
    await waitFor(async () => {
      const again = await getPod(mirrorName).catch(() => undefined);
      return again !== undefined && again.metadata.uid !== mirror.metadata.uid && !again.metadata.deletionTimestamp;
    }, { message: 'the mirror pod recreated' });
    expect(pidsWith(m)).toEqual([pid]);

    rmSync(file);
    await waitFor(() => pidsWith(m).length === 0, { message: 'the static pod stopped' });
    await waitFor(async () => (await getPod(mirrorName).then(() => false, (err: unknown) => isNotFound(err))), { message: 'the mirror pod deleted' });
  });

  it('mirrors each static pod on its own: one whose mirror the API refuses holds back no other', async () => {
    const m = marker('static-pair');
    // Sorted first, and refused as a mirror (a node may not create pods that reference ConfigMaps).
    const bad = join(staticDir, 'aa-refused.yaml');
    writeFileSync(
      bad,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: refused\nspec:\n  containers:\n  - name: main\n    image: sh\n    command: [sh, -c, "sleep 1000 # ${m}-bad"]\n    env:\n    - name: X\n      valueFrom:\n        configMapKeyRef: {name: some-config, key: x, optional: true}\n`,
    );
    const good = join(staticDir, 'zz-mirrored.yaml');
    writeFileSync(good, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: mirrored\nspec:\n  containers:\n  - name: main\n    image: sh\n    command: [sh, -c, "sleep 1000 # ${m}-good"]\n`);
    await waitPod(`mirrored-${nodeName}`, isReady, 'the second static pod mirrored');
    expect(await getPod(`refused-${nodeName}`).then(() => 'exists', (err: unknown) => (isNotFound(err) ? 'absent' : String(err)))).toBe('absent');
    rmSync(bad);
    rmSync(good);
    await waitFor(() => pidsWith(m).length === 0, { timeoutMs: 20_000, message: 'the static pods stopped' });
  }, 40_000);

  it('starts a changed static pod only after the old one has stopped (they never run together)', async () => {
    const m = marker('static-swap');
    const file = join(staticDir, 'swap.yaml');
    const out = join(agentDir, `swap-${run}.txt`);
    const manifest = (version: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: swap\nspec:\n  terminationGracePeriodSeconds: 5\n  containers:\n  - name: main\n    image: sh\n    command: [sh, -c, "echo start-${version} >> ${out}; trap 'sleep 1; echo end-${version} >> ${out}; exit 0' TERM; while true; do sleep 0.1; done # ${m}"]\n`;
    writeFileSync(file, manifest('v1'));
    await waitFor(() => pidsWith(m).length === 1, { message: 'v1 running' });
    writeFileSync(file, manifest('v2'));
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('start-v2'), { timeoutMs: 20_000, message: 'v2 started' });
    expect(readFileSync(out, 'utf8')).toBe('start-v1\nend-v1\nstart-v2\n');
    rmSync(file);
    await waitFor(() => pidsWith(m).length === 0, { timeoutMs: 20_000, message: 'the static pod stopped' });
  }, 40_000);

  // Last: it restarts the API server.
  it('pods/proxy and services/proxy reach a daemon\'s HTTP port through its agent: method, path, query and body pass, the caller\'s credentials do not', async () => {
    const m = marker('web');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    // A daemon echoing what it got: method, url, the headers it saw, the body.
    const server = `require('http').createServer((q, s) => { if (q.url === '/odd-status') { s.writeHead(600); s.end('odd'); return; } let b = ''; q.on('data', (c) => (b += c)); q.on('end', () => { s.setHeader('x-daemon', 'yes'); s.end(JSON.stringify({ method: q.method, url: q.url, auth: q.headers.authorization ?? null, host: q.headers.host, hidden: [q.headers.cookie, q.headers['x-secret'], q.headers['impersonate-user']].filter(Boolean), body: b })); }); }).listen(${port}, '127.0.0.1'); // ${m}`;
    // A second declared port nothing listens on; port + 2, undeclared, is a service of the node.
    await client.create(podsResource, 'default', podBody('web', '', { containers: [{ name: 'main', image: 'node', command: [process.execPath, '-e', server], ports: [{ name: 'http', containerPort: port }, { name: 'idle', containerPort: port + 1 }] }] }));
    const nodeService = createServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret'));
    await new Promise<void>((r) => nodeService.listen(port + 2, '127.0.0.1', r));
    cleanup.defer(() => new Promise<void>((r) => nodeService.close(() => r())), 'node service');
    await waitPod('web', isReady, 'Running and Ready');
    const proxy = `${ts.server.url}/api/v1/namespaces/default/pods`;
    const got = await waitFor(async () => {
      const r = await testFetch(`${proxy}/web:${port}/proxy/some/path?x=1&y=two`);
      return r.status === 200 ? r : undefined;
    }, { message: 'the daemon answering through the proxy' });
    expect(got.headers.get('x-daemon')).toBe('yes');
    expect(await got.json()).toEqual({ method: 'GET', url: '/some/path?x=1&y=two', auth: null, host: `web:${port}`, hidden: [], body: '' });
    // The port by name, and by default (the first declared one); POST with a body.
    const posted = await testFetch(`${proxy}/web:http/proxy/`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(await posted.json()).toMatchObject({ method: 'POST', url: '/', body: 'hello' });
    expect(((await (await testFetch(`${proxy}/web/proxy`)).json()) as { url: string }).url).toBe('/');
    // A port name the pod does not have, or a port it does not declare (here a service of the
    // node itself): 400; a declared port nothing listens on: 503 with the reason.
    // A status no HTTP version past 1.1 can carry (a target may send any three digits) is the
    // target's failure: a 503 saying so (it used to be passed on, and over HTTP/2 it threw).
    const odd = await testFetch(`${proxy}/web:${port}/proxy/odd-status`);
    expect([odd.status, ((await odd.json()) as { message: string }).message]).toEqual([503, 'error trying to reach service: the target answered with status 600']);
    const unknown = await testFetch(`${proxy}/web:nope/proxy/`);
    expect(unknown.status).toBe(400);
    const undeclared = await testFetch(`${proxy}/web:${port + 2}/proxy/`);
    expect(undeclared.status).toBe(400);
    expect(await undeclared.text()).toContain(`port ${port + 2} is not a container port of pod web`);
    const closed = await testFetch(`${proxy}/web:idle/proxy/`);
    expect(closed.status).toBe(503);
    expect(((await closed.json()) as { message: string }).message).toMatch(/^error trying to reach service: /);
    expect((await testFetch(`${proxy}/missing:${port}/proxy/`)).status).toBe(404);
    // A GET whose body comes chunked reaches the daemon as one request with that body, never as
    // a second request made of it; the caller's Connection-named and credential headers stay.
    const creds = credentialsFromKubeconfig(ts.server.kubeconfigPath);
    const smuggled = 'POST /admin HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n';
    const raw = await new Promise<string>((resolve, reject) => {
      const r = httpsRequest(`${proxy}/web:${port}/proxy/first`, { method: 'GET', ca: creds.caPem, headers: { authorization: `Bearer ${creds.token}`, 'transfer-encoding': 'chunked', connection: 'x-secret', 'x-secret': 'no', cookie: 'session=1' } }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      });
      r.on('error', reject);
      r.end(smuggled);
    });
    expect(JSON.parse(raw)).toMatchObject({ method: 'GET', url: '/first', auth: null, hidden: [], body: smuggled });

    // services/proxy: to a ready endpoint, the service port by name or by number. (This server
    // runs no endpoints controller: the Endpoints are written here, as for a selector-less Service.)
    const services = `${ts.server.url}/api/v1/namespaces/default/services`;
    const post = (path: string, body: unknown) => testFetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect((await post(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'websvc' }, spec: { ports: [{ name: 'web', port: 80, targetPort: port }] } })).status).toBe(201);
    const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'websvc' }, subsets: [{ addresses: [{ ip: '127.0.0.1', nodeName, targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }], ports: [{ name: 'web', port }] }] };
    expect((await post(`${ts.server.url}/api/v1/namespaces/default/endpoints`, endpoints)).status).toBe(201);
    const viaService = await testFetch(`${services}/websvc:web/proxy/through/service?q=1`);
    expect(viaService.status).toBe(200);
    expect(await viaService.json()).toMatchObject({ method: 'GET', url: '/through/service?q=1', auth: null, host: `websvc.default.svc:${port}` });
    expect((await testFetch(`${services}/websvc:80/proxy/`)).status).toBe(200);
    const noPort = await testFetch(`${services}/websvc:81/proxy/`);
    expect([noPort.status, ((await noPort.json()) as { message: string }).message]).toEqual([503, 'no service port 81 found for service "websvc"']);
    expect((await post(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lonely' }, spec: { ports: [{ port: 80 }] } })).status).toBe(201);
    expect((await testFetch(`${services}/lonely/proxy/`)).status).toBe(503);
    for (const n of ['websvc', 'lonely']) await testFetch(`${services}/${n}`, { method: 'DELETE' });
    await testFetch(`${ts.server.url}/api/v1/namespaces/default/endpoints/websvc`, { method: 'DELETE' });
    await deleteAndWaitGone('web');
  });

  it('runs a preStop exec hook on deletion before the process gets SIGTERM', async () => {
    const m = marker('prestop');
    const out = join(agentDir, `prestop-${run}.txt`);
    const body = podBody('prestop', `trap 'echo main-term >> "$OUT"; exit 0' TERM; echo main-started >> "$OUT"; while :; do sleep 0.05; done # ${m}`);
    const c = body.spec.containers[0]!;
    c.env = [{ name: 'OUT', value: out }];
    c.lifecycle = { preStop: { exec: { command: ['sh', '-c', `echo hook-start >> "$OUT"; sleep 1; echo hook-end >> "$OUT" # ${m}-hook`] } } };
    await client.create(podsResource, 'default', body);
    await waitPod('prestop', isReady, 'Running');
    await waitFor(() => readFileSync(out, 'utf8').includes('main-started'), { message: 'the daemon started' });
    await deleteAndWaitGone('prestop');
    expect(readFileSync(out, 'utf8')).toBe('main-started\nhook-start\nhook-end\nmain-term\n');
    await waitFor(() => pidsWith(m).length === 0, { message: 'every process of the pod gone' });
    rmSync(out, { force: true });
  });

  it('runs a sidecar init container (restartPolicy Always) beside the main container: the pod is Initialized and Ready with both running', async () => {
    const m = marker('sidecar');
    const body = podBody('sidecar', `sleep 1000 # ${m}-main`);
    body.spec.initContainers = [{ name: 'side', image: 'sh', restartPolicy: 'Always', command: ['sh', '-c', `sleep 1000 # ${m}-side`] }];
    await client.create(podsResource, 'default', body);
    const p = await waitPod('sidecar', isReady, 'Running and Ready');
    expect(p.status!.conditions!.find((c) => c.type === 'Initialized')!.status).toBe('True');
    expect(p.status!.initContainerStatuses![0]).toMatchObject({ name: 'side', ready: true, started: true });
    expect(p.status!.initContainerStatuses![0]!.state!.running).toBeDefined();
    expect(p.status!.containerStatuses![0]).toMatchObject({ name: 'main', ready: true, started: true });
    await deleteAndWaitGone('sidecar');
    await waitFor(() => pidsWith(m).length === 0, { message: 'every process of the pod gone' });
  });

  it('a container that failed with FallbackToLogsOnError shows the end of its log as its termination message', async () => {
    const body = podBody('termmsg', 'echo line1; echo fatal: config missing >&2; exit 4', { restartPolicy: 'Never' });
    body.spec.containers[0]!.terminationMessagePolicy = 'FallbackToLogsOnError';
    await client.create(podsResource, 'default', body);
    const p = await waitPod('termmsg', (x) => x.status?.phase === 'Failed', 'Failed');
    expect(p.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 4, reason: 'Error', message: 'line1\nfatal: config missing\n' });
    expect(p.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    await deleteAndWaitGone('termmsg');
  });

  it('writes a status again that could not be written while the API server was down (the pod turns Ready, the server comes back)', async () => {
    const m = marker('ready-later');
    const flag = join(agentDir, `ready-${run}`);
    await client.create(
      podsResource,
      'default',
      podBody('ready-later', `sleep 1000 # ${m}`, {
        containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${m}`], readinessProbe: { exec: { command: ['test', '-e', flag] }, periodSeconds: 1 } }],
      }),
    );
    await waitPod('ready-later', (p) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'False'), 'Running, not Ready');
    const port = ts.server.port;
    await ts.close();
    // The probe passes while nobody can take the status: the write fails and is logged.
    writeFileSync(flag, '');
    await new Promise((r) => setTimeout(r, 2_500));
    ts = await restartTestServer(cleanup, ts);
    expect(ts.server.port).toBe(port);
    client = clientFromKubeconfig(ts.server.kubeconfigPath).client;
    // Nothing else changes in the pod: only the periodic repair can bring the API up to date.
    await waitPod('ready-later', isReady, 'Ready after the server came back', 20_000);
    await deleteAndWaitGone('ready-later');
  }, 60_000);
});

describe('an agent whose API server cannot be reached', () => {
  it('still runs its static pods (their service link variables do not wait for a first list of Services)', async () => {
    // A port nothing listens on: every request of the agent fails at once.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const dir = makeTempDir(cleanup, 'agent-offline');
    const staticPods = makeTempDir(cleanup, 'static-offline');
    const m = marker('static-offline');
    writeFileSync(join(staticPods, 'offline.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: offline\nspec:\n  containers:\n  - name: main\n    image: sh\n    command: [sh, -c, "echo \\"host=$KUBERNETES_SERVICE_HOST\\"; sleep 1000 # ${m}"]\n`);
    const transport = new HttpTransport({ server: `https://127.0.0.1:${closed}` });
    cleanup.defer(() => transport.destroy(), 'offline transport');
    const offline = await startAgent({ client: new RestClient(transport.request), nodeName: `${nodeName}-offline`, nodeIP: '127.0.0.1', port: 0, dataDir: dir, staticPodDir: staticPods, staticPodPollMs: 200, logger: silentLogger });
    cleanup.defer(() => offline.stop({ stopPods: true, gracePeriodSeconds: 0 }), 'offline agent');
    await waitFor(() => pidsWith(m).length === 1, { timeoutMs: 15_000, message: 'the static pod process, with the API server unreachable' });
  }, 30_000);
});
