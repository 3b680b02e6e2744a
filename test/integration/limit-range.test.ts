// v1 LimitRange and the LimitRanger admission against a real server, through client-node:
// defaults set on pod creates (and the annotation that says so), creates refused by a
// Container or Pod bound with upstream's words, a range seen by the very next create, and a
// DaemonSet whose template a range refuses: FailedCreate events until the template fits.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/types.js';
import { daemonSetsResource } from '../../src/client/index.js';
import { apiClients, apiFailure, Cleanup, waitFor, type ApiClients } from '../helpers/index.js';
import { createNodes, makeDaemonSet, startCluster, type Cluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
let api: ApiClients;

beforeAll(async () => {
  c = await startCluster(cleanup);
  api = apiClients(c.server.kubeconfigPath);
});
afterAll(() => cleanup.run());

async function namespace(name: string): Promise<string> {
  await api.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function pod(name: string, containers: k8s.V1Container[], initContainers?: k8s.V1Container[]): k8s.V1Pod {
  return { metadata: { name }, spec: { containers, ...(initContainers ? { initContainers } : {}) } };
}

const limits: k8s.V1LimitRange = {
  metadata: { name: 'limits' },
  spec: {
    limits: [
      { type: 'Container', max: { cpu: '1', memory: '1Gi' }, min: { cpu: '50m' }, _default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '10' } },
      { type: 'Pod', max: { memory: '1536Mi' } },
    ],
  },
};

describe('LimitRanger admission', () => {
  it('fills in the defaults a container leaves out and says so; refuses what a Container or Pod bound forbids', async () => {
    const ns = await namespace('lr-bounds');
    const lr = await api.core.createNamespacedLimitRange({ namespace: ns, body: limits });
    // Upstream's defaults: the default request falls back to the default limit.
    expect(lr.spec?.limits[0]?.defaultRequest).toEqual({ cpu: '100m', memory: '256Mi' });
    expect((await api.core.listNamespacedLimitRange({ namespace: ns })).items.map((x) => x.metadata?.name)).toEqual(['limits']);

    const plain = await api.core.createNamespacedPod({ namespace: ns, body: pod('plain', [{ name: 'c', image: 'busybox' }], [{ name: 'init', image: 'busybox', resources: { limits: { memory: '128Mi' } } }]) });
    expect(plain.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    // The init container keeps its own memory limit; its memory request follows that limit (the pod's defaulting).
    expect(plain.spec?.initContainers?.[0]?.resources?.limits).toEqual({ cpu: '500m', memory: '128Mi' });
    expect(plain.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c; cpu request for init container init; cpu limit for init container init',
    );
    // A container that sets everything is left alone, and the pod is not annotated.
    const full = await api.core.createNamespacedPod({ namespace: ns, body: pod('full', [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m', memory: '64Mi' } } }]) });
    expect(full.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m', memory: '64Mi' } });
    expect(full.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBeUndefined();

    const big = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('big', [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' }, limits: { cpu: '2' } } }]) }));
    expect([big.code, big.status?.reason]).toEqual([403, 'Forbidden']);
    expect(big.status?.message).toBe(
      'pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 10, but provided ratio is 20.000000]',
    );
    const small = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('small', [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m' } } }]) }));
    // Its limit comes from the default (500m): 50 times the request.
    expect(small.status?.message).toBe(
      'pods "small" is forbidden: [minimum cpu usage per Container is 50m, but request is 10m, cpu max limit to request ratio per Container is 10, but provided ratio is 50.000000]',
    );
    // Each container fits; together they pass the Pod bound.
    const pair = [1, 2].map((i) => ({ name: `c${i}`, image: 'busybox', resources: { limits: { memory: '1Gi' } } }));
    const wide = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('wide', pair) }));
    expect(wide.status?.message).toBe('pods "wide" is forbidden: maximum memory usage per Pod is 1536Mi, but limit is 2Gi');
    // A DaemonSet's pods are named by generateName; validating admission runs once the name is
    // generated, so the message names the pod as upstream's does.
    const generated = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: { metadata: { generateName: 'ds-' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '3' } } }] } } }));
    expect(generated.status?.message).toMatch(/^pods "ds-[a-z0-9]{5}" is forbidden: maximum cpu usage per Container is 1, but limit is 3$/);
    // Refused creates leave nothing behind.
    expect((await api.core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata?.name).sort()).toEqual(['full', 'plain']);
  });

  it('a range applies from the very next create, and stops applying once deleted; updates are left alone', async () => {
    for (const name of ['lr-fresh-1', 'lr-fresh-2', 'lr-fresh-3']) {
      const ns = await namespace(name);
      await api.core.createNamespacedLimitRange({ namespace: ns, body: limits });
      const p = await api.core.createNamespacedPod({ namespace: ns, body: pod('first', [{ name: 'c', image: 'busybox' }]) });
      expect(p.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '500m', memory: '256Mi' });
      // A label change (a pod update) is not checked against the range.
      const labelled = await api.core.patchNamespacedPod({ namespace: ns, name: 'first', body: { metadata: { labels: { seen: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      expect(labelled.metadata?.labels).toEqual({ seen: 'yes' });
      await api.core.deleteNamespacedLimitRange({ namespace: ns, name: 'limits' });
      const after = await api.core.createNamespacedPod({ namespace: ns, body: pod('after', [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '8' } } }]) });
      expect(after.spec?.containers[0]?.resources).toEqual({ limits: { cpu: '8' }, requests: { cpu: '8' } });
      expect(after.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBeUndefined();
    }
  });

  it('a DaemonSet whose template the range refuses records FailedCreate with the reason, and runs once its template fits', async () => {
    const ns = await namespace('lr-daemons');
    await createNodes(c, ['lr-node-1']);
    await api.core.createNamespacedLimitRange({ namespace: ns, body: { metadata: { name: 'small' }, spec: { limits: [{ type: 'Container', max: { cpu: '200m' } }] } } });
    const ds = makeDaemonSet('greedy');
    ds.metadata.namespace = ns;
    ds.spec.template.spec.containers[0]!.resources = { limits: { cpu: '1' } };
    await c.client.create(daemonSetsResource, ns, ds);
    const event = await waitFor(async () => (await api.core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === 'FailedCreate'), { message: 'a FailedCreate event' });
    expect([event.type, event.involvedObject.kind, event.involvedObject.name]).toEqual(['Warning', 'DaemonSet', 'greedy']);
    expect(event.message).toMatch(/^Error creating: pods "greedy-[a-z0-9]{5}" is forbidden: maximum cpu usage per Container is 200m, but limit is 1$/);
    expect((await api.core.listNamespacedPod({ namespace: ns })).items).toEqual([]);
    // A template within the range: the daemon runs, its request defaulted from the max.
    await api.apps.patchNamespacedDaemonSet(
      { namespace: ns, name: 'greedy', body: { spec: { template: { spec: { containers: [{ name: 'agent', resources: { limits: { cpu: '150m' } } }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const daemon = await waitFor(async () => (await api.core.listNamespacedPod({ namespace: ns })).items[0], { message: 'the daemon pod' });
    expect(daemon.spec?.nodeName).toBe('lr-node-1');
    expect(daemon.spec?.containers[0]?.resources).toEqual({ limits: { cpu: '150m' }, requests: { cpu: '150m' } });
    expect((daemon as Pod).metadata.annotations?.['kubernetes.io/limit-ranger']).toBeUndefined();
  });
});
