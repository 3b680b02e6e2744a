// The node agent records the kubelet's Events, through the real API server (temp SQLite, HTTPS)
// with its node identity (system:node:<name>), so the Node authorizer and NodeRestriction
// decide its event writes: a crash-looping container's Pulled/Created/Started/BackOff, a failing
// readiness probe's Unhealthy, Killing at deletion, the Node's Starting/condition events and
// NodeNotSchedulable/NodeSchedulable at cordon/uncordon, found the way kubectl finds them (a
// field selector on involvedObject) and, where kubectl is on PATH, in `kubectl describe`.
// Also: containers get the pod's name as HOSTNAME (an explicit env entry wins), and the pod
// reports PodReadyToStartContainers, and ConfigMap/Secret values (envFrom, keyRefs) read with the
// node identity.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../src/agent/index.js';
import type { Event, Node, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, configMapsResource, eventsResource, secretsResource, isNotFound, nodesResource, podsResource, RestClient } from '../../src/client/index.js';
import { runCli } from '../../src/cli/index.js';
import { memoryIO } from '../../src/cli/testing/memory-io.js';
import { testFetch } from '../helpers/auth.js';
import { startTestAgent } from '../helpers/agent.js';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const run = randomBytes(4).toString('hex');
const nodeName = `events-it-${run}`;
const marker = `everynode-it-events-${run}`;
let ts: TestServer;
let client: RestClient;
let agent: RunningAgent;
/** The agent's own client: its node identity. */
let agentClient: RestClient;
let kubectlTarget: { kubeconfig: string; cacheDir: string };

function pod(name: string, containers: Pod['spec']['containers']): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 2, containers } };
}

/** The events of one object, as kubectl describe lists them (a field selector on involvedObject). */
async function eventsOf(kind: string, name: string, namespace: string): Promise<Event[]> {
  const list = await client.list<Event>(eventsResource, { namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
  return list.items;
}

function byReason(events: Event[], reason: string): Event | undefined {
  return events.find((e) => e.reason === reason);
}

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  client = clientFromKubeconfig(ts.server.kubeconfigPath).client;
  kubectlTarget = { kubeconfig: ts.server.kubeconfigPath, cacheDir: join(ts.dataDir, 'kube-cache') };
  const started = await startTestAgent(cleanup, ts.server, nodeName, {
    marker,
    dataDirName: 'agent-events',
    capacity: { cpu: '2', memory: '4Gi' },
    leaseRenewIntervalMs: 300,
    nodeStatusUpdateFrequencyMs: 300,
    podStatusResyncMs: 1_000,
  });
  agent = started.agent;
  agentClient = started.client;
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('agent events', () => {
  it('the Node gets Starting and its condition events at registration', async () => {
    const events = await waitFor(
      async () => {
        const evs = await eventsOf('Node', nodeName, 'default');
        return ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady'].every((r) => byReason(evs, r)) ? evs : undefined;
      },
      { message: 'node events' },
    );
    expect(byReason(events, 'Starting')).toMatchObject({
      type: 'Normal',
      message: 'Starting kubelet.',
      involvedObject: { kind: 'Node', name: nodeName, uid: nodeName },
      source: { component: 'kubelet', host: nodeName },
    });
    expect(byReason(events, 'NodeReady')!.message).toBe(`Node ${nodeName} status is now: NodeReady`);
    expect(byReason(events, 'NodeHasSufficientPID')!.message).toBe(`Node ${nodeName} status is now: NodeHasSufficientPID`);
  });

  it('cordon and uncordon are seen by the agent as NodeNotSchedulable and NodeSchedulable', async () => {
    await client.patch<Node>(nodesResource, '', nodeName, 'merge', { spec: { unschedulable: true } });
    await waitFor(async () => byReason(await eventsOf('Node', nodeName, 'default'), 'NodeNotSchedulable'), { message: 'NodeNotSchedulable' });
    await client.patch<Node>(nodesResource, '', nodeName, 'merge', { spec: { unschedulable: null } });
    const ev = await waitFor(async () => byReason(await eventsOf('Node', nodeName, 'default'), 'NodeSchedulable'), { message: 'NodeSchedulable' });
    expect(ev.message).toBe(`Node ${nodeName} status is now: NodeSchedulable`);
  });

  it('a crash-looping container: Pulled, Created, Started (counted), then BackOff, on its pod with the container fieldPath', async () => {
    const created = await client.create<Pod>(podsResource, 'default', pod('crasher', [{ name: 'crash', image: 'busybox:1.36', command: ['sh', '-c', `echo crashing; exit 3 # ${marker}`] }]));
    const events = await waitFor(
      async () => {
        const evs = await eventsOf('Pod', 'crasher', 'default');
        const started = byReason(evs, 'Started');
        return started && (started.count ?? 0) >= 2 && byReason(evs, 'BackOff') ? evs : undefined;
      },
      { timeoutMs: 30_000, message: 'crash loop events' },
    );
    const common = {
      type: 'Normal',
      involvedObject: { kind: 'Pod', apiVersion: 'v1', name: 'crasher', namespace: 'default', uid: created.metadata.uid, fieldPath: 'spec.containers{crash}' },
      source: { component: 'kubelet', host: nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: nodeName,
    };
    expect(byReason(events, 'Pulled')).toMatchObject({ ...common, message: 'Container image "busybox:1.36" already present on machine' });
    expect(byReason(events, 'Created')).toMatchObject({ ...common, message: 'Created container: crash' });
    expect(byReason(events, 'Started')).toMatchObject({ ...common, message: 'Started container crash' });
    // One Event per distinct occurrence: the restart raised the first one's count.
    expect(events.filter((e) => e.reason === 'Started')).toHaveLength(1);
    expect(byReason(events, 'BackOff')).toMatchObject({
      ...common,
      type: 'Warning',
      message: `Back-off restarting failed container crash in pod crasher_default(${created.metadata.uid})`,
    });
    const started = byReason(events, 'Started')!;
    expect(Date.parse(started.lastTimestamp!)).toBeGreaterThanOrEqual(Date.parse(started.firstTimestamp!));

    if (!kubectlAvailable()) return;
    const d = await runKubectl(kubectlTarget, ['describe', 'pod', 'crasher']);
    expect(d.code, d.stderr).toBe(0);
    const section = d.stdout.slice(d.stdout.indexOf('Events:'));
    expect(section).toMatch(/Warning\s+BackOff\s+.*kubelet\s+.*Back-off restarting failed container crash in pod crasher_default/);
    expect(section).toMatch(/Normal\s+Started\s+.*\(x\d+ over .*\)\s+kubelet\s+.*Started container crash/);
  });

  it('a failing readiness probe: Unhealthy; deletion: Killing', async () => {
    await client.create<Pod>(podsResource, 'default', pod('unready', [
      {
        name: 'main',
        image: 'sh',
        command: ['sh', '-c', `sleep 1000 # ${marker}`],
        readinessProbe: { exec: { command: ['sh', '-c', 'echo not ready; exit 1'] }, periodSeconds: 1 },
      },
    ]));
    const unhealthy = await waitFor(async () => byReason(await eventsOf('Pod', 'unready', 'default'), 'Unhealthy'), { timeoutMs: 30_000, message: 'Unhealthy' });
    expect(unhealthy).toMatchObject({ type: 'Warning', involvedObject: { fieldPath: 'spec.containers{main}' } });
    expect(unhealthy.message).toMatch(/^Readiness probe failed: not ready/);

    await client.delete(podsResource, 'default', 'unready');
    const killing = await waitFor(async () => byReason(await eventsOf('Pod', 'unready', 'default'), 'Killing'), { timeoutMs: 30_000, message: 'Killing' });
    expect(killing).toMatchObject({ type: 'Normal', message: 'Stopping container main', involvedObject: { fieldPath: 'spec.containers{main}' } });
  });

  it('HOSTNAME is the pod name unless the container sets it; PodReadyToStartContainers is True', async () => {
    await client.create<Pod>(podsResource, 'default', pod('named-host', [
      { name: 'plain', image: 'sh', command: ['sh', '-c', `echo "host=$HOSTNAME"; sleep 1000 # ${marker}`] },
      { name: 'explicit', image: 'sh', command: ['sh', '-c', `echo "host=$HOSTNAME"; sleep 1000 # ${marker}`], env: [{ name: 'HOSTNAME', value: 'mine' }] },
    ]));
    const log = async (container: string) => {
      const r = await testFetch(`${ts.server.url}/api/v1/namespaces/default/pods/named-host/log?container=${container}`);
      return r.status === 200 ? await r.text() : undefined;
    };
    expect(await waitFor(async () => (await log('plain'))?.includes('host=') && (await log('plain')), { message: 'plain log' })).toBe('host=named-host\n');
    expect(await waitFor(async () => (await log('explicit'))?.includes('host=') && (await log('explicit')), { message: 'explicit log' })).toBe('host=mine\n');
    const p = await client.get<Pod>(podsResource, 'default', 'named-host');
    expect(p.status!.conditions!.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(p.status!.conditions![0]).toMatchObject({ type: 'PodReadyToStartContainers', status: 'True' });
  });

  it('containers get ConfigMap and Secret values (envFrom with every key, keyRefs), read with the node identity; a missing ConfigMap holds the container until it exists', async () => {
    const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });
    await client.create(configMapsResource, 'default', cm('env-cfg', { GREETING: 'hello there', LEVEL: '3', '9lives': 'passed' }));
    await client.create(secretsResource, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'env-sec', namespace: 'default' }, data: { token: Buffer.from('s3cr3t').toString('base64') } });
    const script = `echo "g=$GREETING l=$LEVEL p=$P_LEVEL t=$TOKEN o=\${OPT-unset} late=\${LATE-unset} n=$(tr '\\0' '\\n' < /proc/$$/environ | grep -c '^9lives=passed$')"; sleep 1000 # ${marker}`;
    await client.create<Pod>(podsResource, 'default', pod('env-sources', [
      {
        name: 'main',
        image: 'sh',
        command: ['sh', '-c', script],
        envFrom: [{ configMapRef: { name: 'env-cfg' } }, { prefix: 'P_', configMapRef: { name: 'env-cfg' } }],
        env: [
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'env-sec', key: 'token' } } },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'no-such-cfg', key: 'x', optional: true } } },
        ],
      },
      { name: 'waits', image: 'sh', command: ['sh', '-c', script], env: [{ name: 'LATE', valueFrom: { configMapKeyRef: { name: 'env-late', key: 'v' } } }] },
    ]));
    const log = async (container: string) => {
      const r = await testFetch(`${ts.server.url}/api/v1/namespaces/default/pods/env-sources/log?container=${container}`);
      return r.status === 200 ? await r.text() : undefined;
    };
    expect(await waitFor(async () => (await log('main'))?.includes('g=') && (await log('main')), { message: 'main log' })).toBe('g=hello there l=3 p=3 t=s3cr3t o=unset late=unset n=1\n');
    const waiting = await waitFor(async () => {
      const p = await client.get<Pod>(podsResource, 'default', 'env-sources');
      return p.status?.containerStatuses?.find((c) => c.name === 'waits' && c.state?.waiting?.reason === 'CreateContainerConfigError');
    }, { message: 'waits held in CreateContainerConfigError' });
    expect(waiting.state!.waiting!.message).toBe('configmap "env-late" not found');
    const events = await eventsOf('Pod', 'env-sources', 'default');
    // A key that is no C identifier is passed as it is (the 1.32 kubelet), with no event.
    expect(byReason(events, 'InvalidEnvironmentVariableNames')).toBeUndefined();
    // Created later: the container starts at a later sync pass.
    await client.create(configMapsResource, 'default', cm('env-late', { v: 'now' }));
    expect(await waitFor(async () => (await log('waits'))?.includes('late=') && (await log('waits')), { timeoutMs: 30_000, message: 'waits log' })).toContain('late=now');
  }, 45_000);

  it.skipIf(!kubectlAvailable())('kubectl describe node shows the kubelet events', async () => {
    const d = await runKubectl(kubectlTarget, ['describe', 'node', nodeName]);
    expect(d.code, d.stderr).toBe(0);
    const section = d.stdout.slice(d.stdout.indexOf('Events:'));
    expect(section).toMatch(/Normal\s+Starting\s+.*kubelet\s+Starting kubelet\./);
    expect(section).toMatch(new RegExp(`Normal\\s+NodeReady\\s+.*kubelet\\s+Node ${nodeName} status is now: NodeReady`));
    // everynode describe node prints what kubectl 1.32 prints (its lease, conditions, capacity,
    // the pods' requests against allocatable, the totals), ages and lease times aside.
    const io = memoryIO({ KUBECONFIG: ts.server.kubeconfigPath });
    expect(await runCli(['describe', 'node', nodeName], io)).toBe(0);
    const again = await runKubectl(kubectlTarget, ['describe', 'node', nodeName]);
    const normalize = (text: string) => text.replace(/RenewTime:.*\n/, 'RenewTime: X\n').replace(/\b\d+(s|m\d*s?|h\d*m?)\b/g, 'AGE').replace(/ +/g, ' ');
    expect(normalize(io.out())).toBe(normalize(again.stdout));
    expect(io.out()).toMatch(/\nCapacity:\n {2}cpu: +\d+\n/);
    expect(io.out()).toMatch(/\nAllocated resources:\n {2}\(Total limits may be over 100 percent, i\.e\., overcommitted\.\)\n/);
  });

  it('a node identity may create and patch events, as upstream allows (the counts above are its patches)', async () => {
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${nodeName}.direct`, namespace: 'default' },
      involvedObject: { kind: 'Node', name: nodeName, uid: nodeName },
      reason: 'Probe',
      message: 'written by the node identity',
      source: { component: 'kubelet', host: nodeName },
      count: 1,
      type: 'Normal',
    };
    await agentClient.create<Event>(eventsResource, 'default', ev);
    const patched = await agentClient.patch<Event>(eventsResource, 'default', `${nodeName}.direct`, 'strategic', { count: 2 });
    expect(patched.count).toBe(2);
    await client.delete(podsResource, 'default', 'crasher').catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  });
});
