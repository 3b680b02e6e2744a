// Upstream Kubernetes' network and ServiceAccount conformance scenarios that concern only the API
// (no traffic), re-stated for everynode and run against one real API server (in process, SQLite)
// with its controller manager (endpoints, endpointslice and mirroring controllers, garbage
// collector), driven through @kubernetes/client-node:
// - EndpointSlices (test/e2e/network/endpointslice.go): the `kubernetes` Service's Endpoints and
//   EndpointSlice, Endpoints and slices of a Service with a selector created and deleted with it,
//   slices for pods matching Services (numbered and named target ports, no match, recreated
//   after deletion), and the EndpointSlice API verbs with discovery;
// - EndpointSlice mirroring (endpointslicemirroring.go): a user's Endpoints mirrored through
//   create, update and delete;
// - Services (service.go): listing across namespaces, the Endpoints lifecycle, the status
//   lifecycle, deleting a collection, the secure master service, endpoints on one port with two
//   protocols, the Endpoints and slices of the basic and multiport scenarios (pods added and
//   deleted; their traffic checks are not re-stated), and type changes between ExternalName, ClusterIP and NodePort (API fields only).
// Not re-stated: whatever needs traffic through cluster IPs or node ports, kube-proxy, DNS from
// pods or container images (session affinity, reachability after type changes, multiport
// serving); ServiceAccount lifecycle, update and kube-root-ca.crt are in api-upstream-e2e.test.ts.
// Pods here are never run: the test writes their status (IPs, readiness) as a kubelet would.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/logger.js';
import { apiClients, apiFailure, Cleanup, namespaceFactory, openWireWatch, startTestServer, waitFor, type ApiClients, type TestServer, type WireWatch, type WireWatchEvent } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let c: ApiClients;
let discovery: k8s.DiscoveryV1Api;

beforeAll(async () => {
  ts = await startTestServer(cleanup, {
    logger: silentLogger,
    controllers: { leaderElection: false, daemonSet: false, nodeLifecycle: false, disruption: false },
  });
  c = apiClients(ts.server.kubeconfigPath);
  discovery = c.kc.makeApiClient(k8s.DiscoveryV1Api);
  await c.core.createNode({ body: { metadata: { name: 'net-node-1' } } });
});
afterAll(() => cleanup.run());

/** A fresh namespace per scenario, as upstream's framework gives each test its own. */
const newNamespace = namespaceFactory(() => c.core);

const wait = <T>(probe: () => Promise<T | undefined | false>, message: string): Promise<T> => waitFor(probe, { timeoutMs: 15_000, message });

async function watchUntil(w: WireWatch, pred: (evs: WireWatchEvent[]) => boolean, what: string): Promise<WireWatchEvent[]> {
  return waitFor(() => (pred(w.events) ? w.events : false), { timeoutMs: 10_000, message: `${what}; got ${JSON.stringify(w.events.map((e) => e.type))}` });
}

const slicesOf = async (ns: string, svc: string): Promise<k8s.V1EndpointSlice[]> =>
  (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` })).items;

const endpointsOf = (ns: string, name: string): Promise<k8s.V1Endpoints | undefined> => c.core.readNamespacedEndpoints({ namespace: ns, name }).catch(() => undefined);

/** A pod bound to the test node, given `ip` and Running/Ready status as its kubelet would report. */
async function runningPod(ns: string, name: string, labels: Record<string, string>, ip: string, ports: k8s.V1ContainerPort[]): Promise<k8s.V1Pod> {
  await c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels }, spec: { nodeName: 'net-node-1', containers: [{ name: 'container1', image: 'example', ports }] } } });
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return c.core.patchNamespacedPodStatus(
    {
      namespace: ns,
      name,
      body: {
        status: {
          phase: 'Running',
          hostIP: '10.40.0.1',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          ],
        },
      },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

/** Every address (ready or not) of the Endpoints, sorted. */
const endpointIPs = (ep: k8s.V1Endpoints | undefined): string[] => (ep?.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])].map((a) => a.ip)).sort();
const sliceIPs = (slices: k8s.V1EndpointSlice[]): string[] => slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses)).sort();

describe('EndpointSlices (network/endpointslice.go)', () => {
  it('has Endpoints and EndpointSlices pointing to the API server, the slice named kubernetes and the Endpoints not mirrored', async () => {
    const svc = await wait(() => c.core.readNamespacedService({ namespace: 'default', name: 'kubernetes' }).catch(() => undefined), 'the kubernetes Service');
    expect(svc.spec?.ports?.[0]?.port).toBe(443);
    const ep = await wait(async () => ((await endpointsOf('default', 'kubernetes'))?.subsets?.length ?? 0) > 0 && endpointsOf('default', 'kubernetes'), 'the kubernetes Endpoints');
    // As upstream's API server keeps them: the Endpoints say not to mirror them, and the server
    // itself writes one EndpointSlice named after the Service.
    expect(ep?.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe('true');
    const slices = await wait(async () => {
      const s = await slicesOf('default', 'kubernetes');
      return s.length > 0 && sliceIPs(s).length > 0 && s;
    }, 'the kubernetes EndpointSlice');
    expect(slices.map((s) => s.metadata?.name)).toEqual(['kubernetes']);
    expect(sliceIPs(slices)).toEqual(endpointIPs(ep));
    const epPorts = (ep?.subsets ?? []).flatMap((s) => (s.ports ?? []).map((p) => p.port));
    expect(slices.flatMap((s) => (s.ports ?? []).map((p) => p.port))).toEqual(epPorts);
    expect(slices[0]!.endpoints.every((e) => e.conditions?.ready === true)).toBe(true);
    // Not also mirrored by the mirroring controller: no slice but the server's.
    const all = (await discovery.listNamespacedEndpointSlice({ namespace: 'default' })).items;
    expect(all.filter((s) => s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslicemirroring-controller.k8s.io' && s.metadata.labels['kubernetes.io/service-name'] === 'kubernetes')).toEqual([]);
  });

  it('creates and deletes Endpoints and an empty EndpointSlice for a Service whose selector matches nothing', async () => {
    const ns = await newNamespace('es-empty');
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'example-empty-selector' }, spec: { selector: { 'does-not-match-anything': 'endpoints-and-endpoint-slices-should-still-be-created' }, ports: [{ name: 'example', port: 80, protocol: 'TCP' }] } } });
    await wait(() => endpointsOf(ns, 'example-empty-selector'), 'the Endpoints');
    const slices = await wait(async () => {
      const s = await slicesOf(ns, 'example-empty-selector');
      return s.length > 0 && s;
    }, 'an EndpointSlice');
    expect(slices[0]!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(slices[0]!.endpoints ?? []).toEqual([]);
    await c.core.deleteNamespacedService({ namespace: ns, name: 'example-empty-selector' });
    await wait(async () => (await endpointsOf(ns, 'example-empty-selector')) === undefined, 'the Endpoints deleted with the Service');
    await wait(async () => (await slicesOf(ns, 'example-empty-selector')).length === 0, 'the slices deleted with the Service');
  });

  it('creates Endpoints and EndpointSlices for pods matching Services: numbered and named target ports, no match, slices recreated after deletion', async () => {
    const ns = await newNamespace('es-pods');
    const pod1 = await runningPod(ns, 'pod1', { pod1: 'on', shared12: 'on' }, '10.40.1.1', [{ name: 'example-name', containerPort: 3000 }]);
    const pod2 = await runningPod(ns, 'pod2', { pod2: 'on', shared12: 'on' }, '10.40.1.2', [
      { name: 'example-name', containerPort: 3001 },
      { name: 'other-port', containerPort: 3002 },
    ]);
    const svc = (name: string, selector: Record<string, string>, port: k8s.V1ServicePort) =>
      c.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { selector, publishNotReadyAddresses: true, ports: [port] } } });
    await svc('example-int-port', { pod1: 'on' }, { name: 'example', port: 80, targetPort: 3000 as unknown as k8s.IntOrString, protocol: 'TCP' });
    await svc('example-named-port', { shared12: 'on' }, { name: 'http', port: 80, targetPort: 'example-name', protocol: 'TCP' });
    await svc('example-no-match', { pod3: 'on' }, { name: 'example-no-match', port: 80, targetPort: 8080 as unknown as k8s.IntOrString, protocol: 'TCP' });
    const podsByIP = new Map([pod1, pod2].map((p) => [p.status?.podIP ?? '', p]));

    /** Waits for Endpoints with `subsets` subsets and slices (at least `minSlices`) holding `pods`, then checks both as upstream does. */
    const expectEndpointsAndSlices = async (name: string, pods: k8s.V1Pod[], subsets: number, minSlices: number, namedPort: boolean): Promise<void> => {
      const want = pods.map((p) => p.status?.podIP ?? '').sort();
      const slices = await wait(async () => {
        const s = await slicesOf(ns, name);
        return s.length >= minSlices && sliceIPs(s).length >= want.length && s;
      }, `slices of ${name}`);
      const ep = await wait(async () => {
        const e = await endpointsOf(ns, name);
        return (e?.subsets ?? []).length === subsets && endpointIPs(e).length === want.length && e;
      }, `Endpoints of ${name}`);
      const svcPort = (await c.core.readNamespacedService({ namespace: ns, name })).spec!.ports![0]!;
      const portFor = (ip: string): number => {
        if (!namedPort) return Number(svcPort.targetPort);
        const container = podsByIP.get(ip)!.spec!.containers[0]!;
        return container.ports!.find((p) => p.name === svcPort.targetPort)!.containerPort;
      };
      const checkRef = (ip: string, ref: k8s.V1ObjectReference | undefined): void => {
        const pod = podsByIP.get(ip);
        expect(pod, `a pod with IP ${ip}`).toBeDefined();
        expect(ref).toMatchObject({ kind: 'Pod', namespace: ns, name: pod!.metadata!.name, uid: pod!.metadata!.uid });
      };
      expect(endpointIPs(ep)).toEqual(want);
      for (const subset of ep.subsets ?? []) {
        expect(subset.ports).toHaveLength(1);
        for (const a of [...(subset.addresses ?? []), ...(subset.notReadyAddresses ?? [])]) {
          checkRef(a.ip, a.targetRef);
          expect(subset.ports![0]).toMatchObject({ name: svcPort.name, protocol: 'TCP', port: portFor(a.ip) });
        }
      }
      if (pods.length === 0) expect(slices).toHaveLength(1);
      expect([...new Set(sliceIPs(slices))]).toEqual(want);
      for (const s of slices) {
        expect(s.ports ?? []).toHaveLength(pods.length === 0 ? 0 : 1);
        for (const e of s.endpoints ?? []) {
          checkRef(e.addresses[0]!, e.targetRef);
          expect(s.ports![0]).toMatchObject({ name: svcPort.name, protocol: 'TCP', port: portFor(e.addresses[0]!) });
        }
      }
    };

    await expectEndpointsAndSlices('example-int-port', [pod1], 1, 1, false);
    await expectEndpointsAndSlices('example-named-port', [pod1, pod2], 2, 2, true);
    await expectEndpointsAndSlices('example-no-match', [], 0, 1, false);
    const before = (await slicesOf(ns, 'example-named-port')).map((s) => s.metadata?.uid);
    for (const s of await slicesOf(ns, 'example-named-port')) await discovery.deleteNamespacedEndpointSlice({ namespace: ns, name: s.metadata!.name! });
    await wait(async () => {
      const s = await slicesOf(ns, 'example-named-port');
      return s.length >= 2 && s.every((x) => !before.includes(x.metadata?.uid)) && s;
    }, 'the slices recreated');
    await expectEndpointsAndSlices('example-named-port', [pod1, pod2], 2, 2, true);
  });

  it('supports the EndpointSlice API operations: discovery, create, get, list, watch, patch, update, delete, deletecollection', async () => {
    const ns = await newNamespace('es-api');
    const label = `special-label=${ns}`;
    const groups = await c.kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === 'discovery.k8s.io')?.versions.map((v) => v.version)).toContain('v1');
    const group = await c.kc.makeApiClient(k8s.DiscoveryApi).getAPIGroup();
    expect(group.versions.map((v) => v.version)).toContain('v1');
    const resources = await discovery.getAPIResources();
    expect(resources.resources.map((r) => r.name)).toContain('endpointslices');

    const template: k8s.V1EndpointSlice = {
      metadata: { generateName: 'e2e-example-ing', labels: { 'special-label': ns } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['1.2.3.4', '5.6.7.8'] }, { addresses: ['2.2.3.4', '6.6.7.8'] }],
    };
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: template });
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: template });
    const created = await discovery.createNamespacedEndpointSlice({ namespace: ns, body: template });
    const name = created.metadata!.name!;
    expect(name.startsWith('e2e-example-ing')).toBe(true);
    expect((await discovery.readNamespacedEndpointSlice({ namespace: ns, name })).metadata?.uid).toBe(created.metadata?.uid);
    const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: label });
    expect(list.items).toHaveLength(3);
    expect((await discovery.listEndpointSliceForAllNamespaces({ labelSelector: label })).items).toHaveLength(3);
    const rv = list.metadata!.resourceVersion!;
    const w = await openWireWatch(cleanup, ts.server.url, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?watch=true&resourceVersion=${rv}&labelSelector=${encodeURIComponent(label)}`);
    const wAll = await openWireWatch(cleanup, ts.server.url, `/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${rv}&labelSelector=${encodeURIComponent(label)}`);
    expect(wAll.status).toBe(200);

    const patched = await discovery.patchNamespacedEndpointSlice({ namespace: ns, name, body: { metadata: { annotations: { patched: 'true' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(patched.metadata?.annotations?.['patched']).toBe('true');
    const toUpdate = await discovery.readNamespacedEndpointSlice({ namespace: ns, name });
    toUpdate.metadata!.annotations = { ...toUpdate.metadata!.annotations, updated: 'true' };
    const updated = await discovery.replaceNamespacedEndpointSlice({ namespace: ns, name, body: toUpdate });
    expect(updated.metadata?.annotations?.['updated']).toBe('true');
    const evs = await watchUntil(w, (e) => e.some((x) => (x.object.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.['updated'] === 'true'), 'MODIFIED events with both annotations');
    expect(evs.every((e) => e.type === 'MODIFIED')).toBe(true);
    await watchUntil(wAll, (e) => e.filter((x) => x.type === 'MODIFIED').length >= 2, 'the cluster-wide watch seeing both changes');

    await discovery.deleteNamespacedEndpointSlice({ namespace: ns, name });
    expect((await apiFailure(discovery.readNamespacedEndpointSlice({ namespace: ns, name }))).code).toBe(404);
    const after = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: label });
    expect(after.items.map((s) => s.metadata?.name)).not.toContain(name);
    expect(after.items).toHaveLength(2);
    await discovery.deleteCollectionNamespacedEndpointSlice({ namespace: ns, labelSelector: label });
    expect((await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: label })).items).toHaveLength(0);
  });
});

describe('EndpointSlice strategy', () => {
  it('drops deprecatedTopology written through discovery.k8s.io/v1, as upstream does', async () => {
    const ns = await newNamespace('es-topology');
    const endpoints = [{ addresses: ['10.0.0.1'], nodeName: 'net-node-1', deprecatedTopology: { 'kubernetes.io/hostname': 'net-node-1' } }];
    const created = await discovery.createNamespacedEndpointSlice({ namespace: ns, body: { metadata: { name: 'topology' }, addressType: 'IPv4', endpoints } });
    expect(created.endpoints).toEqual([{ addresses: ['10.0.0.1'], nodeName: 'net-node-1' }]);
    created.endpoints = endpoints;
    const updated = await discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: 'topology', body: created });
    expect(updated.endpoints).toEqual([{ addresses: ['10.0.0.1'], nodeName: 'net-node-1' }]);
  });
});

describe('EndpointSlice mirroring (network/endpointslicemirroring.go)', () => {
  it('mirrors a custom Endpoints resource through create, update and delete', async () => {
    const ns = await newNamespace('es-mirror');
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'example-custom-endpoints' }, spec: { ports: [{ name: 'example', port: 80, protocol: 'TCP' }] } } });
    const body: k8s.V1Endpoints = { metadata: { name: 'example-custom-endpoints' }, subsets: [{ ports: [{ port: 80 }], addresses: [{ ip: '10.1.2.3' }] }] };
    await c.core.createNamespacedEndpoints({ namespace: ns, body });
    const mirrored = (ip: string) =>
      wait(async () => {
        const s = await slicesOf(ns, 'example-custom-endpoints');
        return s.length === 1 && s[0]!.ports?.length === 1 && s[0]!.ports[0]!.port === 80 && s[0]!.endpoints.length === 1 && s[0]!.endpoints[0]!.addresses.join() === ip && s;
      }, `one mirrored slice with ${ip}:80`);
    const first = await mirrored('10.1.2.3');
    expect(first[0]!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslicemirroring-controller.k8s.io');
    const current = await c.core.readNamespacedEndpoints({ namespace: ns, name: 'example-custom-endpoints' });
    current.subsets![0]!.addresses = [{ ip: '10.2.3.4' }];
    await c.core.replaceNamespacedEndpoints({ namespace: ns, name: 'example-custom-endpoints', body: current });
    await mirrored('10.2.3.4');
    await c.core.deleteNamespacedEndpoints({ namespace: ns, name: 'example-custom-endpoints' });
    await wait(async () => (await slicesOf(ns, 'example-custom-endpoints')).length === 0, 'the mirrored slices deleted');
  });
});

describe('Services (network/service.go, API only)', () => {
  it('provides the secure master service: default/kubernetes on port 443', async () => {
    const svc = await c.core.readNamespacedService({ namespace: 'default', name: 'kubernetes' });
    expect(svc.spec?.type).toBe('ClusterIP');
    expect(svc.spec?.ports?.map((p) => [p.name, p.port, p.protocol])).toEqual([['https', 443, 'TCP']]);
  });

  it('finds a service from listing all namespaces', async () => {
    const ns = await newNamespace('svc-find');
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'test-service' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } } });
    const all = await c.core.listServiceForAllNamespaces();
    expect(all.items.some((s) => s.metadata?.namespace === ns && s.metadata.name === 'test-service')).toBe(true);
  });

  it('runs an Endpoints object through its lifecycle: create, watch, list by label, update, patch, delete the collection', async () => {
    const ns = await newNamespace('ep-lifecycle');
    const w = await openWireWatch(cleanup, ts.server.url, `/api/v1/namespaces/${ns}/endpoints?watch=true&labelSelector=test-endpoint-static%3Dtrue`);
    await c.core.createNamespacedEndpoints({
      namespace: ns,
      body: { metadata: { name: 'testservice', labels: { 'test-endpoint-static': 'true' } }, subsets: [{ addresses: [{ ip: '10.0.0.24' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] },
    });
    await watchUntil(w, (e) => e.some((x) => x.type === 'ADDED'), 'ADDED');
    const listed = await c.core.listEndpointsForAllNamespaces({ labelSelector: 'test-endpoint-static=true' });
    expect(listed.items.filter((e) => e.metadata?.namespace === ns).map((e) => e.metadata?.name)).toEqual(['testservice']);
    const ep = await c.core.readNamespacedEndpoints({ namespace: ns, name: 'testservice' });
    ep.metadata!.labels = { ...ep.metadata!.labels, 'test-service': 'updated' };
    await c.core.replaceNamespacedEndpoints({ namespace: ns, name: 'testservice', body: ep });
    await watchUntil(w, (e) => e.some((x) => x.type === 'MODIFIED' && (x.object.metadata as { labels?: Record<string, string> }).labels?.['test-service'] === 'updated'), 'MODIFIED (updated)');
    await c.core.patchNamespacedEndpoints(
      { namespace: ns, name: 'testservice', body: { metadata: { labels: { 'test-service': 'patched' } }, subsets: [{ addresses: [{ ip: '10.0.0.25' }], ports: [{ name: 'http-test', port: 8080, protocol: 'TCP' }] }] } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await watchUntil(w, (e) => e.some((x) => x.type === 'MODIFIED' && (x.object.metadata as { labels?: Record<string, string> }).labels?.['test-service'] === 'patched'), 'MODIFIED (patched)');
    const got = await c.core.readNamespacedEndpoints({ namespace: ns, name: 'testservice' });
    expect(got.metadata?.labels?.['test-service']).toBe('patched');
    expect(got.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual(['10.0.0.25']);
    expect(got.subsets?.[0]?.ports?.map((p) => [p.name, p.port])).toEqual([['http-test', 8080]]);
    await c.core.deleteCollectionNamespacedEndpoints({ namespace: ns, labelSelector: 'test-endpoint-static=true' });
    await watchUntil(w, (e) => e.some((x) => x.type === 'DELETED'), 'DELETED');
    expect((await c.core.listNamespacedEndpoints({ namespace: ns, labelSelector: 'test-endpoint-static=true' })).items).toEqual([]);
  });

  it('completes a service status lifecycle: patch and update /status, patch the Service, delete it, all watched', async () => {
    const ns = await newNamespace('svc-status');
    const w = await openWireWatch(cleanup, ts.server.url, `/api/v1/namespaces/${ns}/services?watch=true&labelSelector=test-service-static%3Dtrue`);
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'test-service', labels: { 'test-service-static': 'true' } }, spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 80 as unknown as k8s.IntOrString, protocol: 'TCP' }] } } }); // LoadBalancer, as upstream's scenario since 1.29 (ingress status is refused on other types)
    const listed = await c.core.listServiceForAllNamespaces({ labelSelector: 'test-service-static=true' });
    expect(listed.items.filter((s) => s.metadata?.namespace === ns)).toHaveLength(1);
    const status = await c.core.patchNamespacedServiceStatus(
      { namespace: ns, name: 'test-service', body: { metadata: { annotations: { patchedstatus: 'true' } }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(status.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['203.0.113.1']);
    expect(status.metadata?.annotations?.['patchedstatus']).toBe('true');
    const read = await c.core.readNamespacedServiceStatus({ namespace: ns, name: 'test-service' });
    expect(read.status?.loadBalancer?.ingress?.[0]?.ip).toBe('203.0.113.1');
    read.status!.conditions = [{ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from the test', lastTransitionTime: new Date(Math.floor(Date.now() / 1000) * 1000) }];
    const updated = await c.core.replaceNamespacedServiceStatus({ namespace: ns, name: 'test-service', body: read });
    expect(updated.status?.conditions?.map((x) => [x.type, x.status, x.reason])).toEqual([['StatusUpdate', 'True', 'E2E']]);
    const patched = await c.core.patchNamespacedService(
      { namespace: ns, name: 'test-service', body: { metadata: { labels: { 'test-service': 'patched' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels?.['test-service']).toBe('patched');
    // A write to the Service leaves its status alone.
    expect(patched.status?.conditions?.[0]?.type).toBe('StatusUpdate');
    await c.core.deleteNamespacedService({ namespace: ns, name: 'test-service' });
    const evs = await watchUntil(w, (e) => e.some((x) => x.type === 'DELETED'), 'DELETED');
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    const lb = (e: WireWatchEvent) => (e.object as { status?: { loadBalancer?: { ingress?: Array<{ ip: string }> } } }).status?.loadBalancer?.ingress?.[0]?.ip;
    expect(lb(evs[1]!)).toBe('203.0.113.1');
  });

  it('deletes a collection of services by label', async () => {
    const ns = await newNamespace('svc-collection');
    for (const name of ['e2e-svc-a', 'e2e-svc-b', 'e2e-svc-c']) {
      await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name, labels: { 'e2e-test-service': 'delete' } }, spec: { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } } });
    }
    expect((await c.core.listNamespacedService({ namespace: ns, labelSelector: 'e2e-test-service=delete' })).items).toHaveLength(3);
    await c.core.deleteCollectionNamespacedService({ namespace: ns, labelSelector: 'e2e-test-service=delete' });
    expect((await c.core.listNamespacedService({ namespace: ns, labelSelector: 'e2e-test-service=delete' })).items).toHaveLength(0);
  });

  it('serves endpoints on the same port with different protocols', async () => {
    const ns = await newNamespace('svc-protocols');
    await c.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'multiprotocol-test' },
        spec: { selector: { app: 'multiprotocol-test' }, ports: [{ name: 'udp-port', port: 80, protocol: 'UDP', targetPort: 80 as unknown as k8s.IntOrString }, { name: 'tcp-port', port: 80, protocol: 'TCP', targetPort: 80 as unknown as k8s.IntOrString }] },
      },
    });
    await runningPod(ns, 'multiprotocol-pod', { app: 'multiprotocol-test' }, '10.40.2.1', [
      { name: 'udp-port', containerPort: 80, protocol: 'UDP' },
      { name: 'tcp-port', containerPort: 80, protocol: 'TCP' },
    ]);
    const ep = await wait(async () => {
      const e = await endpointsOf(ns, 'multiprotocol-test');
      return (e?.subsets?.[0]?.addresses?.length ?? 0) > 0 && e;
    }, 'the Endpoints with the pod');
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.ports!.map((p) => `${p.name}/${p.port}/${p.protocol}`).sort()).toEqual(['tcp-port/80/TCP', 'udp-port/80/UDP']);
    const slices = await wait(async () => {
      const s = await slicesOf(ns, 'multiprotocol-test');
      return sliceIPs(s).length > 0 && s;
    }, 'a slice with the pod');
    expect(slices.flatMap((s) => (s.ports ?? []).map((p) => `${p.name}/${p.port}/${p.protocol}`)).sort()).toEqual(['tcp-port/80/TCP', 'udp-port/80/UDP']);
  });

  /** Waits until the Service's Endpoints and slices both hold exactly `want` (`ip:port` per address and port), ready. */
  const expectServing = async (ns: string, svc: string, want: string[], what: string): Promise<void> => {
    const sorted = [...want].sort();
    await wait(async () => {
      const e = await endpointsOf(ns, svc);
      const got = (e?.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`))).sort();
      return (e?.subsets ?? []).every((s) => (s.notReadyAddresses ?? []).length === 0) && JSON.stringify(got) === JSON.stringify(sorted);
    }, `Endpoints of ${svc}: ${what}`);
    await wait(async () => {
      const slices = await slicesOf(ns, svc);
      const got = slices.flatMap((s) => (s.endpoints ?? []).filter((x) => x.conditions?.ready === true).flatMap((x) => (s.ports ?? []).map((p) => `${x.addresses[0]}:${p.port}`))).sort();
      return JSON.stringify(got) === JSON.stringify(sorted);
    }, `EndpointSlices of ${svc}: ${what}`);
  };
  const deletePod = (ns: string, name: string) => c.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });

  it('serves a basic endpoint from pods: Endpoints and slices follow pods created and deleted (no traffic)', async () => {
    const ns = await newNamespace('svc-basic');
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'endpoint-test2' }, spec: { selector: { 'name-of-selector': 'endpoint-test2' }, ports: [{ port: 80, targetPort: 80 as unknown as k8s.IntOrString }] } } });
    await expectServing(ns, 'endpoint-test2', [], 'none');
    await runningPod(ns, 'pod1', { 'name-of-selector': 'endpoint-test2' }, '10.40.3.1', [{ containerPort: 80 }]);
    await expectServing(ns, 'endpoint-test2', ['10.40.3.1:80'], 'pod1');
    await runningPod(ns, 'pod2', { 'name-of-selector': 'endpoint-test2' }, '10.40.3.2', [{ containerPort: 80 }]);
    await expectServing(ns, 'endpoint-test2', ['10.40.3.1:80', '10.40.3.2:80'], 'pod1 and pod2');
    await deletePod(ns, 'pod1');
    await expectServing(ns, 'endpoint-test2', ['10.40.3.2:80'], 'pod2');
    await deletePod(ns, 'pod2');
    await expectServing(ns, 'endpoint-test2', [], 'none again');
  });

  it('serves multiport endpoints from pods: each Service port resolved to its target per pod (no traffic)', async () => {
    const ns = await newNamespace('svc-multiport');
    await c.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'multi-endpoint-test' },
        spec: {
          selector: { app: 'multi' },
          ports: [
            { name: 'portname1', port: 80, targetPort: 'svc1' },
            { name: 'portname2', port: 81, targetPort: 'svc2' },
          ],
        },
      },
    });
    await runningPod(ns, 'pod1', { app: 'multi' }, '10.40.4.1', [{ name: 'svc1', containerPort: 100 }]);
    await expectServing(ns, 'multi-endpoint-test', ['10.40.4.1:100'], 'pod1 on its svc1 port');
    await runningPod(ns, 'pod2', { app: 'multi' }, '10.40.4.2', [{ name: 'svc2', containerPort: 101 }]);
    await expectServing(ns, 'multi-endpoint-test', ['10.40.4.1:100', '10.40.4.2:101'], 'pod1 on svc1, pod2 on svc2');
    await deletePod(ns, 'pod1');
    await expectServing(ns, 'multi-endpoint-test', ['10.40.4.2:101'], 'pod2');
    await deletePod(ns, 'pod2');
    await expectServing(ns, 'multi-endpoint-test', [], 'none');
  });

  it('changes the type between ExternalName, ClusterIP and NodePort with the API fields following', async () => {
    const ns = await newNamespace('svc-types');
    const port = { name: 'http', port: 80, protocol: 'TCP', targetPort: 80 as unknown as k8s.IntOrString };
    const create = (name: string, spec: k8s.V1ServiceSpec) => c.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec } });
    const replaceSpec = async (name: string, change: (s: k8s.V1ServiceSpec) => void) => {
      const svc = await c.core.readNamespacedService({ namespace: ns, name });
      change(svc.spec!);
      return c.core.replaceNamespacedService({ namespace: ns, name, body: svc });
    };
    // ExternalName -> ClusterIP: a cluster IP is allocated.
    const ext = await create('externalname-service', { type: 'ExternalName', externalName: 'foo.example.com' });
    expect(ext.spec?.clusterIP ?? '').toBe('');
    const toClusterIP = await replaceSpec('externalname-service', (s) => {
      s.type = 'ClusterIP';
      delete s.externalName;
      s.ports = [port];
      s.selector = { app: 'x' };
    });
    expect(toClusterIP.spec?.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    // ExternalName -> NodePort: a cluster IP and a node port.
    await create('externalname-to-nodeport', { type: 'ExternalName', externalName: 'foo.example.com' });
    const toNodePort = await replaceSpec('externalname-to-nodeport', (s) => {
      s.type = 'NodePort';
      delete s.externalName;
      s.ports = [port];
    });
    expect(toNodePort.spec?.clusterIP).toBeTruthy();
    expect(toNodePort.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    // ClusterIP -> ExternalName with the read object's cluster IP left in place: the server
    // drops what the new type has no use for (upstream's dropTypeDependentFields).
    await create('clusterip-service', { type: 'ClusterIP', ports: [port] });
    const toExternal = await replaceSpec('clusterip-service', (s) => {
      s.type = 'ExternalName';
      s.externalName = 'foo.example.com';
    });
    expect(toExternal.spec?.type).toBe('ExternalName');
    expect(toExternal.spec?.clusterIP ?? '').toBe('');
    expect(toExternal.spec?.clusterIPs ?? []).toEqual([]);
    // NodePort -> ExternalName: the cluster IP and node ports go, here with the client clearing
    // the cluster IP and leaving the node port.
    await create('nodeport-service', { type: 'NodePort', ports: [port] });
    const npToExternal = await replaceSpec('nodeport-service', (s) => {
      s.type = 'ExternalName';
      s.externalName = 'foo.example.com';
      s.clusterIP = '';
      delete s.clusterIPs;
    });
    expect(npToExternal.spec?.clusterIP ?? '').toBe('');
    expect(npToExternal.spec?.ports?.[0]?.nodePort).toBeUndefined();
  });
});
