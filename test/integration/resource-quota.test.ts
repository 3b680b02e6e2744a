// v1 ResourceQuota against a real server with its controllers, through client-node: the
// controller's status (hard, used with zeros), upstream's validation, the quota admission on
// creates (refusals in upstream's words, reaching a limit exactly, dry runs and failed writes not
// charged, concurrent creates never past the limit), scopes, service node ports on update,
// object counts, usage given back on deletes and terminal pods, and a DaemonSet held to a pods
// quota: FailedCreate until the quota is raised.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonSetsResource } from '../../src/client/index.js';
import { apiClients, apiFailure, Cleanup, namespaceFactory, waitFor, type ApiClients } from '../helpers/index.js';
import { createNodes, makeDaemonSet, startCluster, type Cluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
let api: ApiClients;
let newNamespace: (prefix: string) => Promise<string>;

beforeAll(async () => {
  c = await startCluster(cleanup);
  api = apiClients(c.server.kubeconfigPath);
  newNamespace = namespaceFactory(() => api.core);
});
afterAll(() => cleanup.run());

function pod(name: string, resources?: k8s.V1ResourceRequirements, extra: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod {
  return { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], ...extra } };
}

/** Creates a quota and waits for the controller to fill its status (until then it counts nothing). */
async function quota(ns: string, name: string, spec: k8s.V1ResourceQuotaSpec): Promise<k8s.V1ResourceQuota> {
  await api.core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name }, spec } });
  return usedOf(ns, name, (q) => Object.keys(q.status?.used ?? {}).length === Object.keys(spec.hard ?? {}).length);
}

/** The quota once `ok` holds for it. */
function usedOf(ns: string, name: string, ok: (q: k8s.V1ResourceQuota) => boolean): Promise<k8s.V1ResourceQuota> {
  return waitFor(
    async () => {
      const q = await api.core.readNamespacedResourceQuota({ namespace: ns, name });
      return ok(q) ? q : undefined;
    },
    { message: `quota ${ns}/${name}` },
  );
}

describe('ResourceQuota', () => {
  it('is validated as upstream does; its status is the controller\'s: hard copied, used computed with zeros', async () => {
    const ns = await newNamespace('rq-status');
    const bad = await apiFailure(
      api.core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'bad' }, spec: { hard: { pods: '1.5', storage: '1', cpu: '-1' }, scopes: ['BestEffort', 'NotBestEffort'] } } }),
    );
    expect([bad.code, bad.status?.reason]).toEqual([422, 'Invalid']);
    expect(bad.status?.message).toBe(
      'ResourceQuota "bad" is invalid: [spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0, spec.hard[pods]: Invalid value: "1500m": must be an integer, ' +
        'spec.hard[storage]: Invalid value: storage: must be a standard resource for quota, spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: unsupported scope applied to resource, ' +
        'spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: conflicting scopes]',
    );
    const selector = await apiFailure(
      api.core.createNamespacedResourceQuota({
        namespace: ns,
        body: { metadata: { name: 'sel' }, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In' }] } } },
      }),
    );
    expect(selector.status?.message).toBe("ResourceQuota \"sel\" is invalid: spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector");

    // A status sent with a create is not kept: the controller writes it.
    await api.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
    await api.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'q' }, spec: { hard: { pods: '4', 'requests.memory': '1Gi', configmaps: '5', 'count/secrets': '3' } }, status: { hard: { pods: '99' }, used: { pods: '7' } } },
    });
    const q = await usedOf(ns, 'q', (x) => x.status?.used !== undefined);
    expect(q.status).toEqual({
      hard: { configmaps: '5', 'count/secrets': '3', pods: '4', 'requests.memory': '1Gi' },
      // The namespace's kube-root-ca.crt and the map made above.
      used: { configmaps: '2', 'count/secrets': '0', pods: '0', 'requests.memory': '0' },
    });
    // Scopes cannot change; the limits can, and the status follows them.
    const immutable = await apiFailure(api.core.patchNamespacedResourceQuota({ namespace: ns, name: 'q', body: { spec: { scopes: ['NotTerminating'] } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
    // (A scope applies to pods, cpu and memory only: configmaps is refused under one too.)
    expect(immutable.status?.message).toBe(
      'ResourceQuota "q" is invalid: [spec.scopes: Invalid value: ["NotTerminating"]: unsupported scope applied to resource, spec.scopes: Invalid value: ["NotTerminating"]: field is immutable]',
    );
    await api.core.patchNamespacedResourceQuota({ namespace: ns, name: 'q', body: { spec: { hard: { pods: '6', 'requests.memory': null } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const raised = await usedOf(ns, 'q', (x) => x.status?.hard?.['pods'] === '6');
    expect(raised.status?.used).toEqual({ configmaps: '2', 'count/secrets': '0', pods: '0' });
  });

  it('refuses pods past the quota in upstream\'s words, allows reaching it exactly, and charges nothing for dry runs, refusals or failed writes', async () => {
    const ns = await newNamespace('rq-pods');
    await quota(ns, 'compute', { hard: { pods: '3', 'requests.cpu': '1', 'limits.memory': '1Gi' } });
    const res = (cpu: string, memory = '256Mi'): k8s.V1ResourceRequirements => ({ requests: { cpu }, limits: { memory } });

    const missing = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('bare') }));
    expect([missing.code, missing.status?.reason]).toEqual([403, 'Forbidden']);
    expect(missing.status?.message).toBe('pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');

    await api.core.createNamespacedPod({ namespace: ns, body: pod('a', res('600m')) });
    // A server dry run is checked but not charged.
    await api.core.createNamespacedPod({ namespace: ns, body: pod('dry', res('400m')), dryRun: 'All' });
    const over = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('b', res('500m')) }));
    expect(over.status?.message).toBe('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    // Exactly the limit is allowed.
    await api.core.createNamespacedPod({ namespace: ns, body: pod('b', res('400m')) });
    // A create that loses to an existing name is not charged either.
    const dup = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('b', res('0', '1Mi')) }));
    expect(dup.code).toBe(409);
    const q = await api.core.readNamespacedResourceQuota({ namespace: ns, name: 'compute' });
    expect(q.status?.used).toEqual({ 'limits.memory': '512Mi', pods: '2', 'requests.cpu': '1' });
    const generated = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: { metadata: { generateName: 'ds-' }, spec: pod('', res('100m')).spec! } }));
    expect(generated.status?.message).toMatch(/^pods "ds-[a-z0-9]{5}" is forbidden: exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=1, limited: requests.cpu=1$/);

    // Deleting a pod gives its usage back (the controller recomputes on the delete).
    await api.core.deleteNamespacedPod({ namespace: ns, name: 'a', gracePeriodSeconds: 0 });
    await usedOf(ns, 'compute', (x) => x.status?.used?.['requests.cpu'] === '400m');
    // A pod that has finished counts no more.
    await api.core.replaceNamespacedPodStatus({ namespace: ns, name: 'b', body: { ...(await api.core.readNamespacedPod({ namespace: ns, name: 'b' })), status: { phase: 'Succeeded' } } });
    const done = await usedOf(ns, 'compute', (x) => x.status?.used?.['pods'] === '0');
    expect(done.status?.used).toEqual({ 'limits.memory': '0', pods: '0', 'requests.cpu': '0' });
  });

  it('lets concurrent creates in only up to the limit', async () => {
    const ns = await newNamespace('rq-race');
    await quota(ns, 'pods', { hard: { pods: '10' } });
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => api.core.createNamespacedPod({ namespace: ns, body: pod(`p${i}`) })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect((await api.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(10);
    expect((await api.core.readNamespacedResourceQuota({ namespace: ns, name: 'pods' })).status?.used).toEqual({ pods: '10' });
  });

  it('counts only the pods its scopes match', async () => {
    const ns = await newNamespace('rq-scopes');
    await quota(ns, 'best-effort', { hard: { pods: '1' }, scopes: ['BestEffort'] });
    await quota(ns, 'critical', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical'] }] } });
    await api.core.createNamespacedPod({ namespace: ns, body: pod('be-1') });
    const be = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('be-2') }));
    expect(be.status?.message).toBe('pods "be-2" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1');
    // Not best effort, no class: neither quota counts it.
    await api.core.createNamespacedPod({ namespace: ns, body: pod('burstable', { requests: { cpu: '10m' } }) });
    await api.core.createNamespacedPod({ namespace: ns, body: pod('crit-1', { requests: { cpu: '10m' } }, { priorityClassName: 'system-node-critical' }) });
    const crit = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('crit-2', { requests: { cpu: '10m' } }, { priorityClassName: 'system-node-critical' }) }));
    expect(crit.status?.message).toBe('pods "crit-2" is forbidden: exceeded quota: critical, requested: pods=1, used: pods=1, limited: pods=1');
    expect((await api.core.readNamespacedResourceQuota({ namespace: ns, name: 'best-effort' })).status?.used).toEqual({ pods: '1' });
  });

  it('counts services and their node ports, also when an update turns a service into a NodePort one', async () => {
    const ns = await newNamespace('rq-services');
    await quota(ns, 'svc', { hard: { services: '3', 'services.nodeports': '1' } });
    const svc = (name: string, type: string): k8s.V1Service => ({ metadata: { name }, spec: { type, ports: [{ port: 80 }], selector: { app: name } } });
    await api.core.createNamespacedService({ namespace: ns, body: svc('np', 'NodePort') });
    await api.core.createNamespacedService({ namespace: ns, body: svc('plain', 'ClusterIP') });
    const update = await apiFailure(api.core.patchNamespacedService({ namespace: ns, name: 'plain', body: { spec: { type: 'NodePort' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
    expect(update.status?.message).toBe('services "plain" is forbidden: exceeded quota: svc, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1');
    expect((await api.core.readNamespacedService({ namespace: ns, name: 'plain' })).spec?.type).toBe('ClusterIP');
    // Once the NodePort service is gone (its type changed back), the update goes through.
    await api.core.patchNamespacedService({ namespace: ns, name: 'np', body: { spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: null }] } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await usedOf(ns, 'svc', (x) => x.status?.used?.['services.nodeports'] === '0');
    await api.core.patchNamespacedService({ namespace: ns, name: 'plain', body: { spec: { type: 'NodePort' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect((await api.core.readNamespacedResourceQuota({ namespace: ns, name: 'svc' })).status?.used).toEqual({ services: '2', 'services.nodeports': '1' });
  });

  it('counts objects of any kind by count/<resource>.<group>, given back when they are deleted', async () => {
    const ns = await newNamespace('rq-counts');
    await quota(ns, 'objects', { hard: { 'count/daemonsets.apps': '1', secrets: '1' } });
    const ds = makeDaemonSet('one');
    ds.metadata.namespace = ns;
    await c.client.create(daemonSetsResource, ns, ds);
    const two = await apiFailure(api.apps.createNamespacedDaemonSet({ namespace: ns, body: { ...makeDaemonSet('two'), metadata: { name: 'two' } } as k8s.V1DaemonSet }));
    expect(two.status?.message).toBe('daemonsets.apps "two" is forbidden: exceeded quota: objects, requested: count/daemonsets.apps=1, used: count/daemonsets.apps=1, limited: count/daemonsets.apps=1');
    await api.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's1' } } });
    const s2 = await apiFailure(api.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's2' } } }));
    expect(s2.status?.message).toBe('secrets "s2" is forbidden: exceeded quota: objects, requested: secrets=1, used: secrets=1, limited: secrets=1');
    await api.apps.deleteNamespacedDaemonSet({ namespace: ns, name: 'one' });
    await usedOf(ns, 'objects', (x) => x.status?.used?.['count/daemonsets.apps'] === '0');
    await api.apps.createNamespacedDaemonSet({ namespace: ns, body: { ...makeDaemonSet('two'), metadata: { name: 'two' } } as k8s.V1DaemonSet });
  });

  it('holds a DaemonSet to a pods quota: as many daemons as fit, FailedCreate and the status for the rest, all once the quota is raised', async () => {
    const ns = await newNamespace('rq-daemons');
    const nodes = Array.from({ length: 12 }, (_, i) => `rq-node-${String(i).padStart(2, '0')}`);
    await createNodes(c, nodes);
    await quota(ns, 'pods', { hard: { pods: '5' } });
    const ds = makeDaemonSet('agent');
    ds.metadata.namespace = ns;
    await c.client.create(daemonSetsResource, ns, ds);
    const event = await waitFor(async () => (await api.core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === 'FailedCreate'), { message: 'a FailedCreate event' });
    expect([event.type, event.involvedObject.kind, event.involvedObject.name]).toEqual(['Warning', 'DaemonSet', 'agent']);
    expect(event.message).toMatch(/^Error creating: pods "agent-[a-z0-9]{5}" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=5, limited: pods=5$/);
    // Upstream's quota-limited launch: the pods that fit, and a status that says the rest are missing.
    const status = await waitFor(async () => {
      const st = (await api.apps.readNamespacedDaemonSet({ namespace: ns, name: 'agent' })).status;
      return st?.desiredNumberScheduled === 12 && st.currentNumberScheduled === 5 ? st : undefined;
    }, { message: 'the DaemonSet status' });
    expect(status.updatedNumberScheduled).toBe(5);
    expect((await api.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(5);
    await api.core.patchNamespacedResourceQuota({ namespace: ns, name: 'pods', body: { spec: { hard: { pods: '12' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const pods = await waitFor(async () => {
      const items = (await api.core.listNamespacedPod({ namespace: ns })).items;
      return items.length === 12 ? items : undefined;
    }, { message: 'a daemon pod on every node' });
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(nodes);
    expect((await api.core.readNamespacedResourceQuota({ namespace: ns, name: 'pods' })).status?.used).toEqual({ pods: '12' });
  });
});
