// discovery.k8s.io/v1 EndpointSlices against a real server (SQLite store, the in-process
// controller manager): a Service selecting a DaemonSet's pods gets slices matching its Endpoints,
// which follow readiness and pod deletion and go with the Service (garbage collector); a
// Service without a selector gets its user's Endpoints mirrored; validation answers 422 with
// upstream's field paths; @kubernetes/client-node's DiscoveryV1Api lists and watches them; the
// real kubectl (1.32 and 1.33) describes the Service with its endpoints and prints upstream's
// columns.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { daemonSetsResource, endpointSlicesResource, endpointsResource, isNotFound, podsResource, servicesResource } from '../../src/client/index.js';
import type { Endpoints, Service } from '../../src/controllers/endpoints/index.js';
import type { EndpointSlice } from '../../src/controllers/endpointslice/index.js';
import { Cleanup, kubeConfigFromFile, kubectlAvailable, makeTempDir, runKubectl, versionedKubectl, waitFor } from '../helpers/index.js';
import { getEndpoints as getEndpointsOf, makeDaemonSet, ns, startCluster, startHostNetworkNodes, type Cluster, type HostNetworkKubelet } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
const nodes = ['es-node-1', 'es-node-2', 'es-node-3'];
const nodeIP = (node: string) => `10.30.0.${nodes.indexOf(node) + 1}`;
let kubelet: HostNetworkKubelet;

beforeAll(async () => {
  c = await startCluster(cleanup);
  kubelet = await startHostNetworkNodes(c, cleanup, nodes, nodeIP);
});
afterAll(() => cleanup.run());

const slicesOf = async (svc: string): Promise<EndpointSlice[]> =>
  (await c.client.list<EndpointSlice>(endpointSlicesResource, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` })).items;

const getEndpoints = (name: string) => getEndpointsOf<Endpoints>(c, name);

const web = (): DaemonSet => {
  const ds = makeDaemonSet('web');
  ds.spec.template.spec.hostNetwork = true;
  ds.spec.template.spec.containers[0]!.ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  return ds;
};

/** Ready addresses of the Endpoints' first subset, sorted. */
const readyEndpointIPs = (ep: Endpoints | undefined): string[] => (ep?.subsets?.[0]?.addresses ?? []).map((a) => a.ip).sort();
/** Addresses of the slices' endpoints whose condition `ready` is true, sorted. */
const readySliceIPs = (slices: EndpointSlice[]): string[] =>
  slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses)).sort();

describe('EndpointSlices', () => {
  let svcUid = '';

  it('a Service over a DaemonSet gets one slice matching its Endpoints: labels, owner, ports, endpoints', async () => {
    await c.client.create(daemonSetsResource, ns, web());
    const svc = await c.client.create<Service>(servicesResource, ns, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns, labels: { team: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    svcUid = svc.metadata.uid ?? '';
    const ep = await waitFor(async () => {
      const e = await getEndpoints('web');
      return readyEndpointIPs(e).length === 3 ? e : undefined;
    }, { message: 'Endpoints with the three daemons' });
    const slices = await waitFor(async () => {
      const s = await slicesOf('web');
      return readySliceIPs(s).length === 3 ? s : undefined;
    }, { message: 'a slice with the three daemons' });
    expect(slices).toHaveLength(1);
    const slice = slices[0]!;
    expect(readySliceIPs(slices)).toEqual(readyEndpointIPs(ep));
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.generateName).toBe('web-');
    expect(slice.metadata.labels).toEqual({ team: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svcUid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.metadata.generation).toBeGreaterThanOrEqual(1);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const pods = (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=web' })).items;
    for (const e of slice.endpoints ?? []) {
      const pod = pods.find((p) => p.metadata.uid === e.targetRef?.uid)!;
      expect(e).toEqual({
        addresses: [nodeIP(pod.spec.nodeName ?? '')],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: pod.spec.nodeName,
        targetRef: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid },
      });
    }
  });

  it('a daemon that turns not Ready is ready=false, serving=false in the slice, and back', async () => {
    const pod = (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=web', fieldSelector: 'spec.nodeName=es-node-2' })).items[0]!;
    const setReady = (status: 'True' | 'False') =>
      c.client.patch(podsResource, ns, pod.metadata.name ?? '', 'strategic', { status: { conditions: [{ type: 'Ready', status, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } }, { subresource: 'status' });
    await setReady('False');
    const slices = await waitFor(async () => {
      const s = await slicesOf('web');
      return readySliceIPs(s).length === 2 ? s : undefined;
    }, { message: 'the daemon of es-node-2 not ready in the slice' });
    const ep = slices.flatMap((s) => s.endpoints ?? []).find((e) => e.nodeName === 'es-node-2');
    expect(ep?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(readySliceIPs(slices)).toEqual(readyEndpointIPs(await waitFor(async () => {
      const e = await getEndpoints('web');
      return readyEndpointIPs(e).length === 2 ? e : undefined;
    })));
    await setReady('True');
    await waitFor(async () => readySliceIPs(await slicesOf('web')).length === 3, { message: 'every daemon ready again' });
  });

  it('DiscoveryV1Api lists and watches the slices; a deleted pod leaves them', async () => {
    const kc = kubeConfigFromFile(c.server.kubeconfigPath);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web' });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.addressType).toBe('IPv4');
    expect(list.items[0]!.endpoints).toHaveLength(3);
    const seen: Array<{ type: string; obj: k8s.V1EndpointSlice }> = [];
    const req = await new k8s.Watch(kc).watch(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'kubernetes.io/service-name=web' },
      (type, obj: k8s.V1EndpointSlice) => seen.push({ type, obj }),
      () => undefined,
    );
    try {
      const pod = (await c.client.list<Pod>(podsResource, { namespace: ns, labelSelector: 'app=web', fieldSelector: 'spec.nodeName=es-node-3' })).items[0]!;
      // The DaemonSet is told to leave es-node-3 first, so no replacement comes back.
      await c.client.patch(daemonSetsResource, ns, 'web', 'strategic', { spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': 'es-node-1' } } } } });
      await c.client.delete(podsResource, ns, pod.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      await waitFor(() => seen.some((s) => s.type === 'MODIFIED' && !(s.obj.endpoints ?? []).some((e) => e.targetRef?.uid === pod.metadata.uid)), {
        message: 'a MODIFIED slice without the deleted pod',
      });
      expect(seen[0]!.obj.apiVersion).toBe('discovery.k8s.io/v1');
    } finally {
      req.abort();
    }
    // The DaemonSet keeps es-node-1 only: the slice ends with that daemon alone.
    const slices = await waitFor(async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0]!.endpoints?.length === 1 ? s : undefined;
    }, { message: 'one endpoint left' });
    expect(slices[0]!.endpoints![0]!.nodeName).toBe('es-node-1');
  });

  it('kubectl 1.32 and 1.33 describe the Service with its endpoints; kubectl get endpointslices prints upstream columns', async () => {
    if (!kubectlAvailable()) return;
    const cacheDir = makeTempDir(cleanup, 'kubectl-cache');
    for (const minor of [32, 33]) {
      const binary = versionedKubectl(minor);
      if (!binary) continue;
      const run = await runKubectl({ kubeconfig: c.server.kubeconfigPath, cacheDir }, ['describe', 'service', 'web', '-n', ns], { binary });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Endpoints:\s+10\.30\.0\.1:8080$/m);
    }
    const run = await runKubectl({ kubeconfig: c.server.kubeconfigPath, cacheDir }, ['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=web']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
    expect(run.stdout).toMatch(/^web-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.30\.0\.1\s+\d+s$/m);
  });

  it('refuses invalid slices with 422 and upstream field paths', async () => {
    const kc = kubeConfigFromFile(c.server.kubeconfigPath);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const err = await discovery
      .createNamespacedEndpointSlice({
        namespace: ns,
        body: {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'bad' },
          addressType: 'IPv4',
          endpoints: [{ addresses: [] }, { addresses: ['2001:db8::1'] }],
          ports: [{ name: 'Bad_Name', protocol: 'ICMP', port: 80 }],
        },
      })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    const e = err as k8s.ApiException<unknown>;
    expect(e.code).toBe(422);
    const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { details: { causes: Array<{ field: string; reason: string }> } };
    expect(status.details.causes.map((x) => `${x.reason} ${x.field}`)).toEqual([
      'FieldValueRequired endpoints[0].addresses',
      'FieldValueInvalid endpoints[1].addresses[0]',
      'FieldValueInvalid ports[0].name',
      'FieldValueNotSupported ports[0].protocol',
    ]);
    const created = await discovery.createNamespacedEndpointSlice({ namespace: ns, body: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'fine' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.2.3'] }] } });
    expect(created.metadata?.generation).toBe(1);
    const imm = await discovery.patchNamespacedEndpointSlice({ namespace: ns, name: 'fine', body: { addressType: 'IPv6' } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).then(() => undefined, (x: unknown) => x as k8s.ApiException<unknown>);
    expect(imm?.code).toBe(422);
    expect(String(imm?.body)).toContain('addressType: Invalid value: \\"IPv6\\": field is immutable');
  });

  it('a Service without a selector gets its Endpoints mirrored', async () => {
    await c.client.create<Service>(servicesResource, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: ns }, spec: { ports: [{ name: 'db', port: 5432 }] } });
    await c.client.create<Endpoints>(endpointsResource, ns, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual', namespace: ns, labels: { mine: 'yes' } },
      subsets: [{ addresses: [{ ip: '10.99.0.1' }], notReadyAddresses: [{ ip: '10.99.0.2' }], ports: [{ name: 'db', port: 5432 }] }],
    });
    const slices = await waitFor(async () => {
      const s = await slicesOf('manual');
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s : undefined;
    }, { message: 'a mirrored slice' });
    const slice = slices[0]!;
    expect(slice.metadata.labels).toEqual({ mine: 'yes', 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({ apiVersion: 'v1', kind: 'Endpoints', name: 'manual', controller: true });
    expect(slice.ports).toEqual([{ name: 'db', port: 5432, protocol: 'TCP' }]);
    expect(slice.endpoints).toEqual([
      { addresses: ['10.99.0.1'], conditions: { ready: true } },
      { addresses: ['10.99.0.2'], conditions: { ready: false } },
    ]);
  });

  it('deleting the Service deletes its slices (garbage collector)', async () => {
    await c.client.delete(servicesResource, ns, 'web');
    await waitFor(async () => (await slicesOf('web')).length === 0, { message: 'the slices of web gone' });
  });
});
