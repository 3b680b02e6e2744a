// EndpointSliceController.sync and the mirroring controller's sync against preloaded (frozen)
// caches and a fake client, in the shape of upstream's endpointslice reconciler tests; and the
// pure planning's packing (planSlices).

import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/types.js';
import { SharedInformerFactory, endpointSlicesResource, endpointsResource, nodesResource, podsResource, servicesResource } from '../../client/index.js';
import { FakeApiClient, FakeRecorder } from '../../client/testing/index.js';
import type { Endpoints, Service } from '../endpoints/types.js';
import { EndpointSliceController } from './controller.js';
import { EndpointSliceMirroringController } from './mirroring.js';
import type { EndpointSlice } from './types.js';

const ns = 'other';

function testPod(id: number, o: { ready?: boolean; terminating?: boolean; labels?: Record<string, string>; hostname?: string } = {}): Pod {
  const ip = `10.1.0.${id}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name: `pod${id}`, uid: `uid-${id}`, resourceVersion: '1', labels: o.labels ?? { foo: 'bar' }, ...(o.terminating ? { deletionTimestamp: '2024-01-01T00:05:00Z' } : {}) },
    spec: { nodeName: 'node-1', ...(o.hostname ? { hostname: o.hostname, subdomain: 'foo' } : {}), containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 + (id % 2), protocol: 'TCP' }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:01:00Z' }], podIP: ip, podIPs: [{ ip }] },
  };
}

function service(spec: Service['spec'], meta: Partial<Service['metadata']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name: 'foo', uid: 'svc-uid', creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '1', ...meta },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ipFamilies: ['IPv4'], ...spec },
  };
}

const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } } as Node;

function setup(max?: number) {
  const client = new FakeApiClient();
  const informers = new SharedInformerFactory(client, { freezeObjects: true });
  const recorder = new FakeRecorder();
  const controller = new EndpointSliceController({ client, informers, recorder, ...(max !== undefined ? { maxEndpointsPerSlice: max } : {}) });
  const caches = {
    services: informers.forResource<Service>(servicesResource),
    pods: informers.forResource<Pod>(podsResource),
    nodes: informers.forResource<Node>(nodesResource),
    slices: informers.forResource<EndpointSlice>(endpointSlicesResource),
    endpoints: informers.forResource<Endpoints>(endpointsResource),
  };
  caches.nodes.indexer.add(node);
  /** Copies the fake server's slices into the cache (the informer catching up). */
  const catchUp = async () => {
    for (const s of caches.slices.indexer.list()) caches.slices.indexer.delete(s);
    for (const s of (await client.list<EndpointSlice>(endpointSlicesResource, { namespace: ns })).items) caches.slices.indexer.add(s);
  };
  const writes = () => client.actions.filter((a) => a.verb !== 'list' && a.verb !== 'watch' && a.verb !== 'get');
  return { client, informers, recorder, controller, caches, catchUp, writes };
}

const http = { ports: [{ name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 'http' }] };

describe('EndpointSliceController.sync', () => {
  it('creates a slice with labels, owner, ports and endpoints computed as upstream (conditions, zone, hostname)', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] }, { labels: { app: 'web' } }));
    t.caches.pods.indexer.add(testPod(2));
    t.caches.pods.indexer.add(testPod(4, { ready: false }));
    t.caches.pods.indexer.add(testPod(6, { terminating: true, hostname: 'h6' }));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes().map((w) => w.verb)).toEqual(['create']);
    const s = t.writes()[0]!.object as EndpointSlice;
    expect(s.metadata).toMatchObject({
      generateName: 'foo-',
      labels: { app: 'web', 'kubernetes.io/service-name': 'foo', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'foo', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }],
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' },
    });
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const ref = (id: number) => ({ kind: 'Pod', namespace: ns, name: `pod${id}`, uid: `uid-${id}` });
    expect(s.endpoints).toEqual([
      { addresses: ['10.1.0.2'], conditions: { ready: true, serving: true, terminating: false }, targetRef: ref(2), nodeName: 'node-1', zone: 'zone-a' },
      { addresses: ['10.1.0.4'], conditions: { ready: false, serving: false, terminating: false }, targetRef: ref(4), nodeName: 'node-1', zone: 'zone-a' },
      { addresses: ['10.1.0.6'], conditions: { ready: false, serving: true, terminating: true }, targetRef: ref(6), nodeName: 'node-1', zone: 'zone-a', hostname: 'h6' },
    ]);
  });

  it('publishNotReadyAddresses makes every endpoint ready; a headless Service gets the headless label', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, clusterIP: 'None', publishNotReadyAddresses: true, ...http }));
    t.caches.pods.indexer.add(testPod(1, { ready: false }));
    await t.controller.sync(`${ns}/foo`);
    const s = t.writes()[0]!.object as EndpointSlice;
    expect(s.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(s.endpoints?.[0]?.conditions).toEqual({ ready: true, serving: false, terminating: false });
  });

  it('pods resolving a named port differently go to different slices; a Service without pods keeps one placeholder', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...http }));
    t.caches.pods.indexer.add(testPod(1));
    t.caches.pods.indexer.add(testPod(2));
    await t.controller.sync(`${ns}/foo`);
    const created = t.writes().map((w) => w.object as EndpointSlice);
    expect(created.map((s) => s.ports?.[0]?.port).sort()).toEqual([8080, 8081]);
    await t.catchUp();
    // Nothing changed: no write.
    t.client.actions.length = 0;
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toEqual([]);
    // Every pod gone: one slice becomes the placeholder (an update, not a delete and a create), the other goes.
    for (const p of t.caches.pods.indexer.list()) t.caches.pods.indexer.delete(p);
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes().map((w) => w.verb).sort()).toEqual(['delete', 'update']);
    const placeholder = t.writes().find((w) => w.verb === 'update')!.object as EndpointSlice;
    expect(placeholder.endpoints).toEqual([]);
    expect(placeholder.ports).toEqual([]);
    await t.catchUp();
    t.client.actions.length = 0;
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toEqual([]);
  });

  it('fills slices up to maxEndpointsPerSlice, and refuses to act on a cache that misses its own writes', async () => {
    const t = setup(2);
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] }));
    for (const id of [1, 2, 3, 4, 5]) t.caches.pods.indexer.add(testPod(id));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes().map((w) => (w.object as EndpointSlice).endpoints?.length)).toEqual([2, 2, 1]);
    // The cache has not seen the creates yet: the next sync fails rather than create again.
    await expect(t.controller.sync(`${ns}/foo`)).rejects.toThrow(/out of date/);
    await t.catchUp();
    t.client.actions.length = 0;
    // A sixth pod goes into the slice that has room.
    t.caches.pods.indexer.add(testPod(6));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes().map((w) => w.verb)).toEqual(['update']);
    expect((t.writes()[0]!.object as EndpointSlice).endpoints).toHaveLength(2);
  });

  it('does nothing for ExternalName Services and Services without a selector', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ type: 'ExternalName' }));
    await t.controller.sync(`${ns}/foo`);
    t.caches.services.indexer.add(service({ ...http }, { name: 'bar' }));
    await t.controller.sync(`${ns}/bar`);
    expect(t.writes()).toEqual([]);
  });
});

describe('EndpointSliceMirroringController.sync', () => {
  it('mirrors the Endpoints of a Service without a selector, and deletes the slices once the Service has one', async () => {
    const t = setup();
    const mirroring = new EndpointSliceMirroringController({ client: t.client, informers: t.informers, recorder: t.recorder });
    t.caches.services.indexer.add(service({ ports: [{ port: 5432 }] }));
    t.caches.endpoints.indexer.add({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: ns, name: 'foo', uid: 'ep-uid', labels: { a: 'b' }, annotations: { note: 'x', 'endpoints.kubernetes.io/last-change-trigger-time': 't' } },
      subsets: [{ addresses: [{ ip: '10.9.0.1', hostname: 'db-0' }], notReadyAddresses: [{ ip: 'fd00::2' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    } as Endpoints);
    await mirroring.sync(`${ns}/foo`);
    const created = t.writes().map((w) => w.object as EndpointSlice);
    expect(created.map((s) => s.addressType)).toEqual(['IPv4', 'IPv6']);
    expect(created[0]!.metadata).toMatchObject({
      generateName: 'foo-',
      labels: { a: 'b', 'kubernetes.io/service-name': 'foo', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: 'foo', uid: 'ep-uid', controller: true }],
    });
    expect(created[0]!.endpoints).toEqual([{ addresses: ['10.9.0.1'], conditions: { ready: true }, hostname: 'db-0' }]);
    expect(created[1]!.endpoints).toEqual([{ addresses: ['fd00::2'], conditions: { ready: false } }]);
    expect(created[0]!.ports).toEqual([{ name: '', port: 5432, protocol: 'TCP' }]);
    await t.catchUp();
    t.client.actions.length = 0;
    await mirroring.sync(`${ns}/foo`);
    expect(t.writes()).toEqual([]);
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' } }));
    await mirroring.sync(`${ns}/foo`);
    expect(t.writes().map((w) => w.verb)).toEqual(['delete', 'delete']);
  });
});
