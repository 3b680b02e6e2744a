// EndpointsController.sync against preloaded (frozen) caches and a fake client, in the shape of
// upstream's endpoints_controller_test.go; then the event handlers' routing and the start-up
// sweep with informers running over the fake client.

import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { SharedInformerFactory, endpointsResource, podsResource, servicesResource, namespaceTerminatingCause } from '../../client/index.js';
import { FakeApiClient, FakeRecorder } from '../../client/testing/index.js';
import { EndpointsController } from './controller.js';
import { HEADLESS_SERVICE_LABEL, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, LEADER_ELECTION_ANNOTATION, OVER_CAPACITY_ANNOTATION } from './subsets.js';
import type { Endpoints, Service } from './types.js';

const ns = 'other';

function testPod(id: number, o: { ready?: boolean; labels?: Record<string, string>; namespace?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: o.namespace ?? ns, name: `pod${id}`, uid: `uid-${id}`, resourceVersion: '1', labels: o.labels ?? { foo: 'bar' } },
    spec: { nodeName: `node-${id}`, containers: [{ name: 'c', ports: [{ name: 'port0', containerPort: 8080, protocol: 'TCP' }] }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:01:00Z' }],
      podIP: `10.1.${Math.floor(id / 250)}.${(id % 250) + 1}`,
      podIPs: [{ ip: `10.1.${Math.floor(id / 250)}.${(id % 250) + 1}` }],
    },
  };
}

function service(spec: Service['spec'], meta: Partial<Service['metadata']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name: 'foo', uid: 'svc-uid', creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '1', ...meta },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ...spec },
  };
}

const port80 = { ports: [{ port: 80, protocol: 'TCP' as const, targetPort: 8080 }] };

function setup() {
  const client = new FakeApiClient();
  const informers = new SharedInformerFactory(client, { freezeObjects: true });
  const recorder = new FakeRecorder();
  const controller = new EndpointsController({ client, informers, recorder });
  const caches = {
    services: informers.forResource<Service>(servicesResource),
    pods: informers.forResource<Pod>(podsResource),
    endpoints: informers.forResource<Endpoints>(endpointsResource),
  };
  /** Puts an Endpoints in the fake server and the cache (as the informer would have seen it). */
  const seedEndpoints = (ep: Endpoints): Endpoints => {
    const stored = client.seed(endpointsResource, ep);
    caches.endpoints.indexer.add(stored);
    return stored;
  };
  const writes = () => client.actions.filter((a) => a.verb !== 'list' && a.verb !== 'watch' && a.verb !== 'get');
  return { client, informers, recorder, controller, caches, seedEndpoints, writes };
}

const existing = (subsets: Endpoints['subsets'], meta: Partial<Endpoints['metadata']> = {}): Endpoints => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { namespace: ns, name: 'foo', ...meta },
  subsets,
});

describe('EndpointsController.sync', () => {
  it('creates the Endpoints of a new Service, with its labels and the trigger time (TestSyncEndpointsNewNoSubsets)', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }, { labels: { app: 'web' } }));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toHaveLength(1);
    const [w] = t.writes();
    expect(w?.verb).toBe('create');
    expect(w?.object).toEqual({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: ns, name: 'foo', labels: { app: 'web' }, annotations: { [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: '2024-01-01T00:00:00Z' } },
      // No `subsets` field, as upstream's encoding (omitempty) writes it.
    });
  });

  it('leaves alone Endpoints that already say it, with nil or empty subsets (TestSyncEndpointsExistingNilSubsets / EmptySubsets)', async () => {
    for (const subsets of [undefined, []]) {
      const t = setup();
      t.seedEndpoints(existing(subsets));
      t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
      await t.controller.sync(`${ns}/foo`);
      expect(t.writes()).toEqual([]);
    }
  });

  it('keeps the Endpoints of a Service without a selector untouched (TestSyncEndpointsItemsPreserveNoSelector)', async () => {
    const t = setup();
    t.seedEndpoints(existing([{ addresses: [{ ip: '6.7.8.9' }], ports: [{ port: 1000 }] }]));
    t.caches.services.indexer.add(service({ ...port80 }));
    t.caches.pods.indexer.add(testPod(0));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toEqual([]);
  });

  it('gives an ExternalName Service nothing', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ type: 'ExternalName', externalName: 'example.com', selector: { foo: 'bar' } }));
    t.caches.pods.indexer.add(testPod(0));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toEqual([]);
  });

  it('deletes the Endpoints of a Service that is gone (TestSyncEndpointsServiceNotFound); none there is fine', async () => {
    const t = setup();
    t.seedEndpoints(existing([]));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes().map((a) => `${a.verb} ${a.resource} ${a.namespace}/${a.name}`)).toEqual([`delete endpoints ${ns}/foo`]);
    await t.controller.sync(`${ns}/foo`);
  });

  it('updates stale Endpoints to the selected pods, the resolved port and the headless label (TestSyncEndpointsProtocolTCP)', async () => {
    const t = setup();
    t.seedEndpoints(existing([{ addresses: [{ ip: '6.7.8.9' }], ports: [{ port: 1000, protocol: 'TCP' }] }], { labels: { stale: 'x' }, annotations: { keep: 'me' } }));
    t.caches.services.indexer.add(service({ selector: {}, clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 'port0' }] }));
    t.caches.pods.indexer.add(testPod(0));
    t.caches.pods.indexer.add(testPod(1, { ready: false }));
    await t.controller.sync(`${ns}/foo`);
    const [w] = t.writes();
    expect(w?.verb).toBe('update');
    const ep = w?.object as Endpoints;
    expect(ep.metadata.labels).toEqual({ [HEADLESS_SERVICE_LABEL]: '' });
    expect(ep.metadata.annotations).toEqual({ keep: 'me', [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: '2024-01-01T00:00:00Z' });
    expect(ep.metadata.resourceVersion).toBeDefined();
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '10.1.0.1', nodeName: 'node-0', targetRef: { kind: 'Pod', namespace: ns, name: 'pod0', uid: 'uid-0' } }],
        notReadyAddresses: [{ ip: '10.1.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: ns, name: 'pod1', uid: 'uid-1' } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('writes when only labels changed, with the headless label by the cluster IP', async () => {
    const t = setup();
    t.seedEndpoints(existing([], { labels: { [HEADLESS_SERVICE_LABEL]: '' } }));
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }, { labels: { tier: 'a' } }));
    await t.controller.sync(`${ns}/foo`);
    expect((t.writes()[0]?.object as Endpoints).metadata.labels).toEqual({ tier: 'a' });

    const u = setup();
    u.seedEndpoints(existing([], { labels: { tier: 'a' } }));
    u.caches.services.indexer.add(service({ selector: { foo: 'bar' }, clusterIP: 'None', ...port80 }, { labels: { tier: 'b' } }));
    await u.controller.sync(`${ns}/foo`);
    expect((u.writes()[0]?.object as Endpoints).metadata.labels).toEqual({ tier: 'b', [HEADLESS_SERVICE_LABEL]: '' });
  });

  it('the headless label alone is no reason to write (TestSyncEndpointsHeadlessServiceLabel)', async () => {
    for (const [labels, clusterIP] of [[{ [HEADLESS_SERVICE_LABEL]: '' }, '10.96.0.1'], [undefined, 'None']] as const) {
      const t = setup();
      t.seedEndpoints(existing([], labels ? { labels } : {}));
      t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, clusterIP, ...port80 }));
      await t.controller.sync(`${ns}/foo`);
      expect(t.writes()).toEqual([]);
    }
  });

  it('after an update, refuses to act on the replaced version still in the cache (stale informer)', async () => {
    const t = setup();
    const old = t.seedEndpoints(existing([]));
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    t.caches.pods.indexer.add(testPod(0));
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toHaveLength(1);
    await expect(t.controller.sync(`${ns}/foo`)).rejects.toThrow(/out of date/);
    expect(t.writes()).toHaveLength(1);
    // the informer catches up: the written version is current and nothing is left to do
    t.caches.endpoints.indexer.add(t.client.objectsOf<Endpoints>(endpointsResource)[0]!);
    expect(t.caches.endpoints.indexer.getByKey(`${ns}/foo`)?.metadata.resourceVersion).not.toBe(old.metadata.resourceVersion);
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toHaveLength(1);
  });

  it('cuts more than 1000 addresses, annotates the cut, and then has nothing to write (TestSyncServiceOverCapacity)', async () => {
    const t = setup();
    t.seedEndpoints(existing([]));
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    for (let i = 0; i < 1003; i++) t.caches.pods.indexer.add(testPod(i, { ready: i < 998 }));
    await t.controller.sync(`${ns}/foo`);
    const ep = t.writes()[0]?.object as Endpoints;
    expect(ep.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBe('truncated');
    expect(ep.subsets?.[0]?.addresses).toHaveLength(998);
    expect(ep.subsets?.[0]?.notReadyAddresses).toHaveLength(2);
    t.caches.endpoints.indexer.add(t.client.objectsOf<Endpoints>(endpointsResource)[0]!);
    await t.controller.sync(`${ns}/foo`);
    expect(t.writes()).toHaveLength(1);
    // back under capacity: the annotation goes
    for (let i = 990; i < 1003; i++) t.caches.pods.indexer.deleteByKey(`${ns}/pod${i}`);
    await t.controller.sync(`${ns}/foo`);
    const after = t.writes()[1]?.object as Endpoints;
    expect(after.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBeUndefined();
    expect(after.subsets?.[0]?.addresses).toHaveLength(990);
  });

  it('a failed write records FailedToUpdateEndpoint / FailedToCreateEndpoint and is retried; conflicts record nothing', async () => {
    const t = setup();
    t.seedEndpoints(existing([]));
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    t.caches.pods.indexer.add(testPod(0));
    t.client.prependReactor((a) => {
      if (a.verb === 'update') throw new ApiError(500, 'InternalError', 'boom');
    });
    await expect(t.controller.sync(`${ns}/foo`)).rejects.toThrow('boom');
    expect(t.recorder.events).toEqual([`Warning FailedToUpdateEndpoint Failed to update endpoint ${ns}/foo: boom`]);

    const u = setup();
    u.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    u.client.prependReactor((a) => {
      if (a.verb === 'create') throw new ApiError(422, 'Invalid', 'Endpoints "foo" is invalid');
    });
    await expect(u.controller.sync(`${ns}/foo`)).rejects.toThrow('invalid');
    expect(u.recorder.events).toEqual([`Warning FailedToCreateEndpoint Failed to create endpoint for service ${ns}/foo: Endpoints "foo" is invalid`]);

    const v = setup();
    v.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    v.client.seed(endpointsResource, existing([])); // on the server, not yet in the cache
    await expect(v.controller.sync(`${ns}/foo`)).rejects.toThrow(/already exists/);
    expect(v.recorder.events).toEqual([]);
  });

  it('drops a create refused because the namespace is terminating', async () => {
    const t = setup();
    t.caches.services.indexer.add(service({ selector: { foo: 'bar' }, ...port80 }));
    t.client.prependReactor((a) => {
      if (a.verb === 'create') throw new ApiError(403, 'Forbidden', 'namespace other is being terminated', { causes: [{ reason: namespaceTerminatingCause, message: 'x', field: 'metadata.namespace' }] });
    });
    await t.controller.sync(`${ns}/foo`);
    expect(t.recorder.events).toEqual([]);
  });
});

describe('EndpointsController event routing', () => {
  /** Informers running over the fake client, no workers: the test reads what the handlers queue. */
  async function watching() {
    const t = setup();
    t.informers.start();
    await t.informers.waitForCacheSync();
    const queued = async (): Promise<string[]> => {
      await new Promise((r) => setTimeout(r, 10));
      const keys: string[] = [];
      for (let k = t.controller.queue.tryGet(); k !== undefined; k = t.controller.queue.tryGet()) {
        keys.push(k);
        t.controller.queue.done(k);
      }
      return keys.sort();
    };
    return { ...t, queued, stop: () => t.informers.shutdown() };
  }

  it('a pod change queues only the Services whose selector matches it, and only for changes that matter', async () => {
    const t = await watching();
    try {
      await t.client.create(servicesResource, ns, service({ selector: { foo: 'bar' } }, { name: 'a' }));
      await t.client.create(servicesResource, ns, service({ selector: { app: 'x' } }, { name: 'b' }));
      await t.client.create(servicesResource, ns, service({ selector: {} }, { name: 'all' }));
      await t.client.create(servicesResource, ns, service({}, { name: 'manual' }));
      expect(await t.queued()).toEqual([`${ns}/a`, `${ns}/all`, `${ns}/b`, `${ns}/manual`]);

      const pod = await t.client.create(podsResource, ns, testPod(0));
      expect(await t.queued()).toEqual([`${ns}/a`, `${ns}/all`]);
      // a pod of another namespace, where no Service selects: nothing
      await t.client.create(podsResource, 'elsewhere', testPod(1, { namespace: 'elsewhere' }));
      expect(await t.queued()).toEqual([]);
      // an annotation: nothing its Endpoints show
      const annotated = await t.client.update(podsResource, ns, { ...pod, metadata: { ...pod.metadata, annotations: { x: 'y' } } });
      expect(await t.queued()).toEqual([]);
      // readiness: every Service it is in
      const notReady = await t.client.updateStatus(podsResource, ns, { ...annotated, status: { ...annotated.status, conditions: [{ type: 'Ready', status: 'False' }] } });
      expect(await t.queued()).toEqual([`${ns}/a`, `${ns}/all`]);
      // labels only: the Services it left and joined
      const relabelled = await t.client.update(podsResource, ns, { ...notReady, metadata: { ...notReady.metadata, labels: { app: 'x' } } });
      expect(await t.queued()).toEqual([`${ns}/a`, `${ns}/b`]);
      await t.client.delete(podsResource, ns, relabelled.metadata.name ?? '');
      expect(await t.queued()).toEqual([`${ns}/all`, `${ns}/b`]);

      // a Service losing its selector stops being matched
      const a = t.client.objectsOf<Service>(servicesResource).find((x) => x.metadata.name === 'a')!;
      await t.client.update(servicesResource, ns, { ...a, spec: { ...a.spec, selector: null } });
      expect(await t.queued()).toEqual([`${ns}/a`]);
      await t.client.create(podsResource, ns, testPod(2));
      expect(await t.queued()).toEqual([`${ns}/all`]);

      // a deleted Endpoints queues its Service
      await t.client.create(endpointsResource, ns, existing([], { name: 'all' }));
      expect(await t.queued()).toEqual([]);
      await t.client.delete(endpointsResource, ns, 'all');
      expect(await t.queued()).toEqual([`${ns}/all`]);
    } finally {
      await t.stop();
    }
  });

  it('at start, deletes Endpoints whose Service is gone, but not leader-election records (checkLeftoverEndpoints)', async () => {
    const t = setup();
    t.client.seed(endpointsResource, existing([], { name: 'orphan' }));
    t.client.seed(endpointsResource, existing([], { name: 'lock', annotations: { [LEADER_ELECTION_ANNOTATION]: '{}' } }));
    t.client.seed(servicesResource, service({}, { name: 'manual' }));
    t.client.seed(endpointsResource, existing([{ addresses: [{ ip: '10.9.9.9' }] }], { name: 'manual' }));
    const abort = new AbortController();
    t.informers.start();
    const run = t.controller.run(abort.signal, 1);
    try {
      for (let i = 0; i < 100 && t.client.objectsOf(endpointsResource).length > 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(t.client.objectsOf(endpointsResource).map((e) => e.metadata.name).sort()).toEqual(['lock', 'manual']);
    } finally {
      abort.abort();
      await run;
      await t.informers.shutdown();
    }
  });
});
