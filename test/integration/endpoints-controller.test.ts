// The endpoints controller against a real server (SQLite store, the in-process controller
// manager): a headless Service selecting a DaemonSet's pods resolves, through its Endpoints, to
// one address per daemon (the node's address: daemons run on host networking, as the agent
// reports them), and follows readiness, relabelling and deletion; a Service without a selector
// keeps the Endpoints its user wrote. The real kubectl reads them when it is on PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonSet, KubeObject, Pod } from '../../src/api/types.js';
import { daemonSetsResource, endpointsResource, eventsResource, podsResource, servicesResource } from '../../src/client/index.js';
import type { Endpoints, Service } from '../../src/controllers/endpoints/index.js';
import { Cleanup, kubectlAvailable, makeTempDir, runKubectl, sleep, waitFor } from '../helpers/index.js';
import { getEndpoints as getEndpointsOf, makeDaemonSet, ns, startCluster, startHostNetworkNodes, type Cluster, type HostNetworkKubelet } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
const nodes = ['ep-node-1', 'ep-node-2', 'ep-node-3'];
/** Each node's InternalIP, which the agent reports as hostIP and podIP of its pods. */
const nodeIP = (node: string) => `10.20.0.${nodes.indexOf(node) + 1}`;

let kubelet: HostNetworkKubelet;

beforeAll(async () => {
  c = await startCluster(cleanup);
  kubelet = await startHostNetworkNodes(c, cleanup, nodes, nodeIP);
});
afterAll(() => cleanup.run());

const getEndpoints = (name: string) => getEndpointsOf<Endpoints>(c, name);

const reporter = (): DaemonSet => {
  const ds = makeDaemonSet('reporter');
  ds.spec.template.spec.hostNetwork = true;
  ds.spec.template.spec.containers[0]!.ports = [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }];
  return ds;
};

const headless: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'reporter', namespace: ns, labels: { team: 'obs' } },
  spec: { clusterIP: 'None', selector: { app: 'reporter' }, ports: [{ name: 'metrics', port: 9100, targetPort: 'metrics' }] },
};

const readyPods = async (): Promise<Pod[]> =>
  (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=reporter' })).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
  );

describe('endpoints controller', () => {
  let manualVersion = '';

  it('keeps the Endpoints a user wrote for a Service without a selector', async () => {
    await c.client.create<Service>(servicesResource, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: ns }, spec: { ports: [{ port: 80 }] } });
    const ep = await c.client.create<Endpoints>(endpointsResource, ns, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual', namespace: ns, labels: { mine: 'yes' } },
      subsets: [{ addresses: [{ ip: '10.99.0.1' }], ports: [{ port: 80 }] }],
    });
    manualVersion = ep.metadata.resourceVersion ?? '';
    expect(manualVersion).not.toBe('');
  });

  it('resolves a headless Service over a DaemonSet to one address per daemon: node address, node name, pod, resolved port', async () => {
    await c.client.create(daemonSetsResource, ns, reporter());
    await c.client.create(servicesResource, ns, headless);
    const pods = await waitFor(async () => {
      const p = await readyPods();
      return p.length === nodes.length ? p : undefined;
    }, { message: 'a Ready daemon on every node' });
    const ep = await waitFor(async () => {
      const e = await getEndpoints('reporter');
      return e?.subsets?.[0]?.addresses?.length === nodes.length ? e : undefined;
    }, { message: 'Endpoints with one address per node' });

    expect(ep.metadata.labels).toEqual({ team: 'obs', 'service.kubernetes.io/headless': '' });
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ep.subsets).toHaveLength(1);
    const subset = ep.subsets![0]!;
    expect(subset.ports).toEqual([{ name: 'metrics', port: 9100, protocol: 'TCP' }]);
    expect(subset.notReadyAddresses).toBeUndefined();
    const expected = pods
      .map((p) => ({ ip: nodeIP(p.spec.nodeName ?? ''), nodeName: p.spec.nodeName, targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid } }))
      .sort((a, b) => (a.ip < b.ip ? -1 : 1));
    expect(subset.addresses).toEqual(expected);
    expect(new Set(subset.addresses!.map((a) => a.nodeName))).toEqual(new Set(nodes));
  });

  it('kubectl get endpoints lists the daemons', async () => {
    if (!kubectlAvailable()) return;
    const run = await runKubectl({ kubeconfig: c.server.kubeconfigPath, cacheDir: makeTempDir(cleanup, 'kubectl-cache') }, ['get', 'endpoints', 'reporter', '-n', ns]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+ENDPOINTS\s+AGE/m);
    expect(run.stdout).toMatch(/reporter\s+10\.20\.0\.1:9100,10\.20\.0\.2:9100,10\.20\.0\.3:9100\s/);
  });

  it('a daemon that turns not Ready moves to notReadyAddresses, and back', async () => {
    const pod = (await readyPods()).find((p) => p.spec.nodeName === 'ep-node-2')!;
    const setReady = (status: 'True' | 'False') =>
      c.client.patch(podsResource, ns, pod.metadata.name ?? '', 'strategic', { status: { conditions: [{ type: 'Ready', status, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } }, { subresource: 'status' });
    await setReady('False');
    const ep = await waitFor(async () => {
      const e = await getEndpoints('reporter');
      return e?.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : undefined;
    }, { message: 'the daemon of ep-node-2 in notReadyAddresses' });
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.notReadyAddresses).toEqual([{ ip: '10.20.0.2', nodeName: 'ep-node-2', targetRef: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid } }]);
    expect(ep.subsets![0]!.addresses?.map((a) => a.nodeName)).toEqual(['ep-node-1', 'ep-node-3']);
    await setReady('True');
    await waitFor(async () => {
      const e = await getEndpoints('reporter');
      return e?.subsets?.[0]?.addresses?.length === 3 && !e.subsets[0].notReadyAddresses ? e : undefined;
    }, { message: 'every daemon ready again' });
  });

  it('a pod relabelled out of the selector leaves the Endpoints (and its replacement joins)', async () => {
    const pod = (await readyPods()).find((p) => p.spec.nodeName === 'ep-node-3')!;
    await c.client.patch(podsResource, ns, pod.metadata.name ?? '', 'strategic', { metadata: { labels: { app: 'debugging' } } });
    const ep = await waitFor(async () => {
      const e = await getEndpoints('reporter');
      const addrs = [...(e?.subsets?.[0]?.addresses ?? []), ...(e?.subsets?.[0]?.notReadyAddresses ?? [])];
      // The DaemonSet releases the pod and creates another for ep-node-3, which the fake agent makes Ready.
      return addrs.length === 3 && !addrs.some((a) => a.targetRef?.uid === pod.metadata.uid) ? e : undefined;
    }, { message: 'the relabelled pod gone, its replacement listed' });
    const onNode3 = ep.subsets![0]!.addresses!.find((a) => a.nodeName === 'ep-node-3');
    expect(onNode3?.targetRef?.uid).not.toBe(pod.metadata.uid);
    expect(onNode3?.ip).toBe('10.20.0.3');
    await c.client.delete(podsResource, ns, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
  });

  it('deleting the Service deletes its Endpoints', async () => {
    await c.client.delete(servicesResource, ns, 'reporter');
    await waitFor(async () => (await getEndpoints('reporter')) === undefined, { message: 'the Endpoints gone' });
  });

  it('a deleted Endpoints of a Service with a selector comes back; the user-written ones were never touched', async () => {
    // A Service with a cluster IP this time: its Endpoints are not labelled headless.
    const svc = await c.client.create<Service>(servicesResource, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reporter-2', namespace: ns }, spec: { selector: { app: 'reporter' }, ports: [{ port: 9100 }] } });
    expect(svc.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await waitFor(async () => (await getEndpoints('reporter-2'))?.subsets?.[0]?.addresses?.length === 3, { message: 'Endpoints of reporter-2' });
    const first = (await getEndpoints('reporter-2'))!;
    expect(first.metadata.labels ?? {}).toEqual({});
    expect(first.subsets![0]!.ports).toEqual([{ port: 9100, protocol: 'TCP' }]);
    await c.client.delete(endpointsResource, ns, 'reporter-2');
    await waitFor(async () => {
      const e = await getEndpoints('reporter-2');
      return e && e.metadata.uid !== first.metadata.uid && e.subsets?.[0]?.addresses?.length === 3;
    }, { message: 'the Endpoints of reporter-2 recreated' });

    // Many pod and Service events went by: the selector-less Service's Endpoints are as written.
    await sleep(200);
    const manual = (await getEndpoints('manual'))!;
    expect(manual.metadata.resourceVersion).toBe(manualVersion);
    expect(manual.metadata.labels).toEqual({ mine: 'yes' });
    expect(manual.subsets).toEqual([{ addresses: [{ ip: '10.99.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    // ... and no write of the controller failed.
    const events = await c.client.list<KubeObject & { reason?: string; source?: { component?: string } }>(eventsResource, { namespace: ns });
    expect(events.items.filter((e) => e.source?.component === 'endpoint-controller')).toEqual([]);
    expect(kubelet.errors).toEqual([]);
  });
});
