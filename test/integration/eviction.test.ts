// The eviction API and PodDisruptionBudgets against a real server, with @kubernetes/client-node
// as the client (createNamespacedPodEviction, what drain tools call):
// - "eviction API": the disruption controller is off and the test writes each budget's status
//   itself, so every rule of the eviction handler is shown on a known status;
// - "disruption controller": the real controller keeps budgets current for bare pods and for a
//   DaemonSet's pods (with a fake kubelet making pods Ready), and for pods a user made for a
//   ReplicaSet, a Deployment or a ReplicationController (stored, not run), and evictions use it.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus } from '../../src/api/types.js';
import { configMapsResource, daemonSetsResource, deploymentsResource, eventsResource, isNotFound, namespacesResource, podDisruptionBudgetsResource, podsResource, replicaSetsResource, replicationControllersResource } from '../../src/client/index.js';
import { apiClients, apiFailure, Cleanup, credentialsFromKubeconfig, registerServer, waitFor, type ApiClients } from '../helpers/index.js';
import { apiCaller } from '../helpers/http.js';
import { createNodes, fastControllers, FakeKubelet, makeDaemonSet, ns, startCluster, type Cluster } from './daemonset-harness.js';

const readyConditions = (now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')) => [
  { type: 'Ready', status: 'True', lastTransitionTime: now },
  { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
];

async function createPod(c: Cluster, name: string, labels: Record<string, string>, o: { node?: string; phase?: 'Running' | 'Pending' | 'Succeeded'; ready?: boolean } = {}): Promise<Pod> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
  } as Pod;
  await c.client.create(podsResource, ns, pod);
  if ((o.phase ?? 'Running') === 'Pending') return c.client.get<Pod>(podsResource, ns, name);
  const status = { phase: o.phase ?? 'Running', conditions: o.ready === false ? [{ type: 'Ready', status: 'False', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] : readyConditions() };
  return c.client.patch<Pod>(podsResource, ns, name, 'merge', { status }, { subresource: 'status' });
}

async function createBudget(c: Cluster, name: string, spec: PodDisruptionBudget['spec'], status?: Partial<PodDisruptionBudgetStatus>): Promise<PodDisruptionBudget> {
  const pdb = await c.client.create<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec });
  if (!status) return pdb;
  const full: PodDisruptionBudgetStatus = { observedGeneration: pdb.metadata.generation ?? 1, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...status };
  return c.client.updateStatus<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, { ...pdb, status: full });
}

const getPod = (c: Cluster, name: string) =>
  c.client.get<Pod>(podsResource, ns, name).then(
    (p) => p,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );

const evict = (api: ApiClients, name: string, deleteOptions?: k8s.V1DeleteOptions, dryRun?: string) =>
  api.core.createNamespacedPodEviction({ name, namespace: ns, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, ...(deleteOptions ? { deleteOptions } : {}) }, ...(dryRun ? { dryRun } : {}) });

describe('eviction API', () => {
  const cleanup = new Cleanup();
  let c: Cluster;
  let api: ApiClients;
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    c = await startCluster(cleanup, { ...fastControllers, disruption: false, daemonSet: false });
    api = apiClients(c.server.kubeconfigPath);
    registerServer(c.server.url, credentialsFromKubeconfig(c.server.kubeconfigPath));
    call = apiCaller(() => c.server.url);
    // The node of the pod bound below: on a node that does not exist, the pod GC (a 500 ms
    // quarantine here) would delete the pod before the test reads it.
    await createNodes(c, ['n-free']);
  });
  afterAll(() => cleanup.run());

  it('is discovered as pods/eviction of kind policy/v1 Eviction, create only', async () => {
    const list = await api.core.getAPIResources();
    const r = list.resources.find((x) => x.name === 'pods/eviction');
    expect(r).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  });

  it('deletes a pod no budget covers, marking it DisruptionTarget first; answers 201 Success', async () => {
    await createPod(c, 'free', { app: 'free' }, { node: 'n-free' });
    const a = await call('POST', `/api/v1/namespaces/${ns}/pods/free/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'free' } });
    expect(a.status).toBe(201);
    expect(a.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    // Bound to a node: deleted gracefully, so it is still there to read.
    const pod = await getPod(c, 'free');
    expect(pod?.metadata.deletionTimestamp).toBeTruthy();
    expect(pod?.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
  });

  it('refuses while the budget allows no disruption: 429 naming what the budget needs, and the pod stays as it was', async () => {
    const before = await createPod(c, 'guarded', { app: 'guarded' });
    await createBudget(c, 'guarded', { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } }, { currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0 });
    const f = await apiFailure(evict(api, 'guarded'));
    expect(f.code).toBe(429);
    expect(f.status).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget guarded needs 1 healthy pods and has 1 currently' }] },
    });
    expect(await getPod(c, 'guarded')).toEqual(before);
  });

  it('refuses with Retry-After while the budget status has not seen its spec', async () => {
    await createPod(c, 'unseen', { app: 'unseen' });
    const pdb = await createBudget(c, 'unseen', { minAvailable: 0, selector: { matchLabels: { app: 'unseen' } } }, { disruptionsAllowed: 5, currentHealthy: 1, expectedPods: 1 });
    await c.client.patch(podDisruptionBudgetsResource, ns, 'unseen', 'merge', { spec: { minAvailable: 1 } });
    expect((await c.client.get<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, 'unseen')).metadata.generation).toBe((pdb.metadata.generation ?? 0) + 1);
    const a = await call('POST', `/api/v1/namespaces/${ns}/pods/unseen/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'unseen' } });
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('10');
    expect(a.body).toMatchObject({ details: { retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget unseen is still being processed by the server.' }] } });
    expect((await getPod(c, 'unseen'))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('uses one allowed disruption: the budget counts it down and records the pod in disruptedPods', async () => {
    await createPod(c, 'spare-1', { app: 'spare' });
    await createPod(c, 'spare-2', { app: 'spare' });
    await createBudget(c, 'spare', { maxUnavailable: 1, selector: { matchLabels: { app: 'spare' } } }, { currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1 });
    await evict(api, 'spare-1');
    expect(await getPod(c, 'spare-1')).toBeUndefined(); // not bound: deleted at once
    const pdb = await c.client.get<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, 'spare');
    expect(pdb.status?.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status?.disruptedPods ?? {})).toEqual(['spare-1']);
    expect(pdb.status?.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
    // The second pod now meets a spent budget.
    expect((await apiFailure(evict(api, 'spare-2'))).code).toBe(429);
  });

  it('server dry runs (query or deleteOptions) change neither the pod nor the budget', async () => {
    const pod = await createPod(c, 'dry', { app: 'dry' });
    const pdb = await createBudget(c, 'dry', { maxUnavailable: 1, selector: { matchLabels: { app: 'dry' } } }, { currentHealthy: 1, expectedPods: 1, disruptionsAllowed: 1 });
    await evict(api, 'dry', undefined, 'All');
    await evict(api, 'dry', { dryRun: ['All'] });
    expect(await getPod(c, 'dry')).toEqual(pod);
    expect(await c.client.get(podDisruptionBudgetsResource, ns, 'dry')).toEqual(pdb);
  });

  it('deletes Pending and finished pods without asking their budget', async () => {
    await createPod(c, 'early', { app: 'blocked' }, { phase: 'Pending' });
    await createPod(c, 'done', { app: 'blocked' }, { phase: 'Succeeded' });
    await createBudget(c, 'blocked', { minAvailable: 5, selector: { matchLabels: { app: 'blocked' } } }, { desiredHealthy: 5 });
    await evict(api, 'early');
    await evict(api, 'done');
    expect(await getPod(c, 'early')).toBeUndefined();
    expect(await getPod(c, 'done')).toBeUndefined();
  });

  it('a not-Ready pod goes when the budget is met (IfHealthyBudget) or always (AlwaysAllow), without using a disruption', async () => {
    await createPod(c, 'sick-1', { app: 'sick' }, { ready: false });
    await createPod(c, 'well-1', { app: 'sick' });
    await createBudget(c, 'sick', { minAvailable: 1, selector: { matchLabels: { app: 'sick' } } }, { currentHealthy: 1, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 0 });
    await evict(api, 'sick-1');
    expect(await getPod(c, 'sick-1')).toBeUndefined();
    expect((await c.client.get<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, 'sick')).status?.disruptedPods).toBeUndefined();

    // Budget not met: IfHealthyBudget keeps the unhealthy pod, AlwaysAllow lets it go.
    await createPod(c, 'sick-2', { app: 'sick2' }, { ready: false });
    await createBudget(c, 'sick2', { minAvailable: 1, selector: { matchLabels: { app: 'sick2' } } }, { currentHealthy: 0, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0 });
    expect((await apiFailure(evict(api, 'sick-2'))).code).toBe(429);
    await c.client.patch(podDisruptionBudgetsResource, ns, 'sick2', 'merge', { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
    await evict(api, 'sick-2');
    expect(await getPod(c, 'sick-2')).toBeUndefined();
  });

  it('a pod two budgets cover cannot be evicted (upstream answers 500 with why)', async () => {
    const pod = await createPod(c, 'twice', { app: 'twice', tier: 'x' });
    await createBudget(c, 'twice-a', { maxUnavailable: 1, selector: { matchLabels: { app: 'twice' } } }, { disruptionsAllowed: 1, currentHealthy: 1, expectedPods: 1 });
    await createBudget(c, 'twice-b', { maxUnavailable: 1, selector: { matchLabels: { tier: 'x' } } }, { disruptionsAllowed: 1, currentHealthy: 1, expectedPods: 1 });
    const f = await apiFailure(evict(api, 'twice'));
    expect(f.code).toBe(500);
    expect(f.status).toMatchObject({ status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' });
    expect(await getPod(c, 'twice')).toEqual(pod);
  });

  it('bad requests are refused with a Status and change nothing', async () => {
    const pod = await createPod(c, 'target', { app: 'target' });
    const path = `/api/v1/namespaces/${ns}/pods/target/eviction`;
    const mismatch = await call('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    expect([mismatch.status, mismatch.body]).toMatchObject([400, { reason: 'BadRequest', message: 'name in URL does not match name in Eviction object' }]);
    const otherNs = await call('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'target', namespace: 'kube-system' } });
    expect(otherNs.status).toBe(400);
    const wrongKind = await call('POST', path, { apiVersion: 'policy/v1', kind: 'Pod', metadata: { name: 'target' } });
    expect(wrongKind.status).toBe(400);
    const badGrace = await call('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'target' }, deleteOptions: { gracePeriodSeconds: 'soon' } });
    expect(badGrace.status).toBe(400);
    expect((await call('PUT', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'target' } })).status).toBe(405);
    expect((await call('GET', path)).status).toBe(405);
    const missing = await call('POST', `/api/v1/namespaces/${ns}/pods/nobody/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'nobody' } });
    expect([missing.status, missing.body]).toMatchObject([404, { reason: 'NotFound', details: { name: 'nobody', kind: 'pods' } }]);
    expect(await getPod(c, 'target')).toEqual(pod);
  });

  it('is refused in a terminating namespace, with the NamespaceTerminating cause kubectl drain looks for', async () => {
    await c.client.create(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ending' } });
    await c.client.create(podsResource, 'ending', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kept', namespace: 'ending', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as Pod);
    await c.client.delete(namespacesResource, '', 'ending');
    const f = await apiFailure(api.core.createNamespacedPodEviction({ name: 'kept', namespace: 'ending', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'kept', namespace: 'ending' } } }));
    expect(f.code).toBe(403);
    expect(f.status?.message).toBe('pods "kept" is forbidden: unable to create new content in namespace ending because it is being terminated');
    expect(f.status?.details?.causes).toEqual([{ reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' }]);
    await c.client.patch(podsResource, 'ending', 'kept', 'merge', { metadata: { finalizers: null } });
  });

  it('honours a resourceVersion precondition: a stale one is 409 and the pod stays', async () => {
    const pod = await createPod(c, 'versioned', { app: 'versioned' });
    await c.client.patch(podsResource, ns, 'versioned', 'merge', { metadata: { labels: { touched: 'yes' } } });
    const f = await apiFailure(evict(api, 'versioned', { preconditions: { resourceVersion: pod.metadata.resourceVersion } }));
    expect(f.code).toBe(409);
    expect((await getPod(c, 'versioned'))?.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('disruption controller', () => {
  const cleanup = new Cleanup();
  let c: Cluster;
  let api: ApiClients;

  beforeAll(async () => {
    c = await startCluster(cleanup);
    api = apiClients(c.server.kubeconfigPath);
    const kubelet = new FakeKubelet(c.client);
    await kubelet.start();
    cleanup.defer(() => kubelet.stop());
  });
  afterAll(() => cleanup.run());

  const status = async (name: string) => (await c.client.get<PodDisruptionBudget>(podDisruptionBudgetsResource, ns, name)).status;

  it('counts bare pods for an integer minAvailable and follows spec changes (observedGeneration)', async () => {
    await createPod(c, 'bare-1', { app: 'bare' });
    await createPod(c, 'bare-2', { app: 'bare' });
    await createPod(c, 'bare-3', { app: 'bare' }, { ready: false });
    await createBudget(c, 'bare', { minAvailable: 1, selector: { matchLabels: { app: 'bare' } } });
    const s = await waitFor(async () => ((await status('bare'))?.observedGeneration === 1 ? status('bare') : undefined), { message: 'the budget status' });
    expect(s).toMatchObject({ expectedPods: 3, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 });
    expect(s?.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'True', reason: 'SufficientPods', observedGeneration: 1 });
    await c.client.patch(podDisruptionBudgetsResource, ns, 'bare', 'merge', { spec: { minAvailable: 2 } });
    const s2 = await waitFor(async () => ((await status('bare'))?.observedGeneration === 2 ? status('bare') : undefined), { message: 'generation 2 observed' });
    expect(s2).toMatchObject({ desiredHealthy: 2, disruptionsAllowed: 0 });
    expect(s2?.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
  });

  it("budgets a DaemonSet's pods by its desiredNumberScheduled; an eviction spends the budget until the replacement is Ready", async () => {
    await createNodes(c, ['pd-1', 'pd-2', 'pd-3', 'pd-4'], { pool: 'pdb' });
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('guarded-ds', { nodeSelector: { pool: 'pdb' } }));
    await createBudget(c, 'guarded-ds', { maxUnavailable: '25%', selector: { matchLabels: { app: 'guarded-ds' } } });
    await waitFor(async () => {
      const s = await status('guarded-ds');
      return s?.expectedPods === 4 && s.currentHealthy === 4 ? s : undefined;
    }, { message: 'four healthy daemon pods counted', timeoutMs: 20_000 });
    expect(await status('guarded-ds')).toMatchObject({ expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 1 });

    const pods = (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=guarded-ds' })).items;
    await evict(api, pods[0]!.metadata.name ?? '');
    const f = await apiFailure(evict(api, pods[1]!.metadata.name ?? ''));
    expect(f.code).toBe(429);
    expect(f.status?.details?.causes?.[0]?.message).toMatch(/^The disruption budget guarded-ds needs 3 healthy pods and has [34] currently$/);
    // The DaemonSet puts a new pod on the node; once it is Ready the budget allows one again.
    const again = await waitFor(async () => {
      const s = await status('guarded-ds');
      return s?.disruptionsAllowed === 1 && s.currentHealthy === 4 && !s.disruptedPods ? s : undefined;
    }, { message: 'the budget restored', timeoutMs: 20_000 });
    expect(again.expectedPods).toBe(4);
    await evict(api, pods[1]!.metadata.name ?? '');
  });

  it("resets a DisruptionTarget condition left True on a pod that was not deleted (after 2 minutes), as upstream's controller", async () => {
    await createPod(c, 'spared', { app: 'spared' });
    const old = new Date(Date.now() - 3 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await c.client.patch(podsResource, ns, 'spared', 'strategic', { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: old }] } }, { subresource: 'status' });
    const cond = await waitFor(async () => {
      const p = await getPod(c, 'spared');
      const d = p?.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
      return d?.status === 'False' ? d : undefined;
    }, { message: 'the stale condition reset' });
    expect(cond.reason).toBeUndefined();
    expect(Date.parse(cond.lastTransitionTime ?? '')).toBeGreaterThan(Date.parse(old));
    // The pod's other conditions are untouched.
    expect((await getPod(c, 'spared'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  });

  /** A Ready pod whose controller is `owner` (an object of the given apiVersion and kind). */
  const ownedPod = async (name: string, app: string, owner: KubeObject): Promise<void> => {
    const ownerReferences = [{ apiVersion: owner.apiVersion ?? '', kind: owner.kind ?? '', name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true }];
    await c.client.create(podsResource, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app }, ownerReferences }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as Pod);
    await c.client.patch(podsResource, ns, name, 'merge', { status: { phase: 'Running', conditions: readyConditions() } }, { subresource: 'status' });
  };

  it("budgets the pods of ReplicaSets, Deployments and ReplicationControllers by spec.replicas, a Deployment's ReplicaSet by the Deployment's, as upstream's finders", async () => {
    const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const create = (r: typeof deploymentsResource, body: Record<string, unknown>) => c.client.create<KubeObject>(r, ns, body as KubeObject);
    const dep = await create(deploymentsResource, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dep' }, spec: { replicas: 4, selector: { matchLabels: { app: 'dep' } }, template: template('dep') } });
    const depRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'dep', uid: dep.metadata.uid, controller: true };
    const depRs = await create(replicaSetsResource, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'dep-1', ownerReferences: [depRef] }, spec: { replicas: 2, selector: { matchLabels: { app: 'dep' } }, template: template('dep') } });
    const solo = await create(replicaSetsResource, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo' }, spec: { replicas: 3, selector: { matchLabels: { app: 'solo' } }, template: template('solo') } });
    const rc = await create(replicationControllersResource, { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { replicas: 2, template: template('rcapp') } });
    await ownedPod('dep-1-a', 'dep', depRs);
    await ownedPod('dep-1-b', 'dep', depRs);
    await ownedPod('solo-a', 'solo', solo);
    await ownedPod('rc-a', 'rcapp', rc);
    await createBudget(c, 'mixed', { maxUnavailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['dep', 'solo', 'rcapp'] }] } });
    // 4 (the Deployment, not its ReplicaSet's 2) + 3 + 2 expected, 4 healthy.
    const s = await waitFor(async () => ((await status('mixed'))?.expectedPods === 9 ? status('mixed') : undefined), { message: 'the budget counting every controller' });
    expect(s).toMatchObject({ expectedPods: 9, desiredHealthy: 8, currentHealthy: 4, disruptionsAllowed: 0 });
    // Scaling a controller (its /scale, as kubectl scale) re-counts the budget.
    await c.client.patch(deploymentsResource, ns, 'dep', 'merge', { spec: { replicas: 1 } }, { subresource: 'scale' });
    const s2 = await waitFor(async () => ((await status('mixed'))?.expectedPods === 6 ? status('mixed') : undefined), { message: 'the budget after the Deployment scaled down' });
    expect(s2).toMatchObject({ desiredHealthy: 5, currentHealthy: 4, disruptionsAllowed: 0 });
  });

  it('fails safe on a controller it cannot scale: disruptionsAllowed 0 with SyncFailed', async () => {
    // A controller of a kind with no scale (a ConfigMap that exists, so the garbage collector
    // keeps its pod).
    const owner = await c.client.create<KubeObject>(configMapsResource, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rs', namespace: ns } } as KubeObject);
    await ownedPod('orphan-rs', 'rs', owner);
    await createBudget(c, 'rs', { maxUnavailable: 1, selector: { matchLabels: { app: 'rs' } } });
    const s = await waitFor(async () => {
      const x = await status('rs');
      return x?.conditions?.some((k) => k.reason === 'SyncFailed') ? x : undefined;
    }, { message: 'the fail-safe condition' });
    expect(s.disruptionsAllowed).toBe(0);
    expect(s.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "orphan-rs"' });
    const events = await waitFor(async () => {
      const list = (await c.client.list<KubeObject & { reason?: string; message?: string }>(eventsResource, { namespace: ns, fieldSelector: 'involvedObject.name=rs' })).items;
      return list.some((e) => e.reason === 'CalculateExpectedPodCountFailed') ? list : undefined;
    }, { message: 'the Warning event' });
    expect(events.find((e) => e.reason === 'CalculateExpectedPodCountFailed')?.message).toBe('Failed to calculate the number of expected pods: found no controllers for pod "orphan-rs"');
  });
});
