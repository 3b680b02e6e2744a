import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../apiserver/index.js';
import { RestClient, daemonSetsResource, endpointsResource, eventsResource, inProcessTransport, nodesResource, podsResource, servicesResource } from '../client/index.js';
import { FakeApiClient } from '../client/testing/index.js';
import { createLogger } from '../util/logger.js';
import { Cleanup } from '../../test/helpers/cleanup.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { burstReplicas } from './daemonset/index.js';
import { ControllerManager, inProcessBurstReplicas } from './manager.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function server(controllers: Parameters<typeof startServer>[0]['controllers']) {
  const s = await startServer({
    dataDir: makeTempDir(cleanup, 'manager'),
    listen: '127.0.0.1:0',
    logger: createLogger({ name: 'apiserver', level: 'error' }),
    controllers,
  });
  cleanup.defer(() => s.close(), 'server');
  return s;
}

describe('DaemonSet burstReplicas', () => {
  it('the controller manager inside the API server defaults to inProcessBurstReplicas', async () => {
    const s = await server({ leaderElection: false });
    expect(inProcessBurstReplicas).toBeGreaterThan(burstReplicas);
    expect(s.controllerManager?.running()?.daemonSetBurstReplicas).toBe(inProcessBurstReplicas);
  });

  it('takes an explicit burstReplicas from startServer({controllers})', async () => {
    const s = await server({ leaderElection: false, daemonSet: { workers: 1, burstReplicas: 7 } });
    expect(s.controllerManager?.running()?.daemonSetBurstReplicas).toBe(7);
  });

  it("a controller manager of its own (remote API server) keeps upstream's 250", async () => {
    const s = await server(false);
    const cm = new ControllerManager({
      client: new RestClient(inProcessTransport(s.handler, { userAgent: 'manager-test' })),
      leaderElection: false,
      garbageCollector: false,
      nodeLifecycle: false,
      logger: createLogger({ name: 'controller-manager', level: 'error' }),
    });
    cm.start();
    cleanup.defer(() => cm.stop(), 'controller manager');
    expect(cm.running()?.daemonSetBurstReplicas).toBe(burstReplicas);
    expect(burstReplicas).toBe(250);
  });
});

async function waitForPods(client: FakeApiClient, n: number): Promise<void> {
  for (let i = 0; i < 200 && client.objectsOf(podsResource).length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('a term of leadership that ends stops writing', () => {
  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  const daemonSet = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  });
  const quiet = createLogger({ name: 'controller-manager', level: 'error' });

  it('no pod is created after stop() resolves, even with creates in flight and many DaemonSets queued', async () => {
    const client = new FakeApiClient();
    for (let i = 0; i < 3; i++) await client.create(nodesResource, '', node(`n${i}`));
    for (let i = 0; i < 20; i++) await client.create(daemonSetsResource, 'default', daemonSet(`d${i}`));
    let stopped = false;
    let afterStop = 0;
    client.prependReactor(async (a) => {
      if (a.verb !== 'create' || a.resource !== 'pods') return;
      await new Promise((r) => setTimeout(r, 50));
      if (stopped) afterStop++;
    });
    const cm = new ControllerManager({ client, leaderElection: false, garbageCollector: false, nodeLifecycle: false, serviceAccounts: false, logger: quiet });
    cm.start();
    await new Promise((r) => setTimeout(r, 150));
    await cm.stop();
    stopped = true;
    await new Promise((r) => setTimeout(r, 300));
    expect(afterStop).toBe(0);
    expect(client.objectsOf(podsResource).length).toBeLessThan(60); // it did stop early
  });

  it.each([false, true])('the events recorded in the term are written before stop() resolves (a server closing its store next refuses none; leader election %s: the fence lets a term wind down)', async (leaderElection) => {
    const client = new FakeApiClient();
    // Enough nodes that their RegisteredNode events are still queued when stop() begins.
    for (let i = 0; i < 30; i++) await client.create(nodesResource, '', node(`n${i}`));
    for (let i = 0; i < 2; i++) await client.create(daemonSetsResource, 'default', daemonSet(`d${i}`));
    let stopped = false;
    let writesAfterStop = 0;
    client.prependReactor(async (a) => {
      if (a.resource !== 'events' || (a.verb !== 'create' && a.verb !== 'patch')) return;
      if (stopped) writesAfterStop++;
      await new Promise((r) => setTimeout(r, 20));
    });
    // The node lifecycle controller's own recorders included (its RegisteredNode events).
    const cm = new ControllerManager({ client, leaderElection, garbageCollector: false, serviceAccounts: false, logger: quiet });
    cm.start();
    await waitForPods(client, 15);
    for (let i = 0; i < 200 && !client.objectsOf(eventsResource).some((e) => (e as { reason?: string }).reason === 'RegisteredNode'); i++) await new Promise((r) => setTimeout(r, 10));
    await cm.stop();
    stopped = true;
    const written = client.objectsOf(eventsResource).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(written).toBeGreaterThan(0);
    expect(writesAfterStop).toBe(0);
    // Every node's RegisteredNode event made it (none refused while the term wound down).
    expect(client.objectsOf(eventsResource).filter((e) => (e as { reason?: string }).reason === 'RegisteredNode')).toHaveLength(30);
  });

  it('a term that ends before the pod cache synced creates nothing', async () => {
    const client = new FakeApiClient();
    for (let i = 0; i < 3; i++) await client.create(nodesResource, '', node(`n${i}`));
    await client.create(daemonSetsResource, 'default', daemonSet('d'));
    client.prependReactor((a) => (a.verb === 'list' && a.resource === 'pods' ? new Promise<void>(() => undefined) : undefined));
    const setup = client.actions.length;
    const cm = new ControllerManager({ client, leaderElection: false, garbageCollector: false, nodeLifecycle: false, serviceAccounts: false, logger: quiet });
    cm.start();
    await new Promise((r) => setTimeout(r, 200));
    await cm.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(client.objectsOf(podsResource)).toEqual([]);
    expect(client.actions.slice(setup).filter((a) => a.verb === 'create' && a.resource !== 'events')).toEqual([]);
  });
});

describe('the endpoints controller', () => {
  const quiet = createLogger({ name: 'controller-manager', level: 'error' });
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };

  it('runs by default, keeping the Endpoints of a Service with a selector', async () => {
    const client = new FakeApiClient();
    await client.create(servicesResource, 'default', service);
    const cm = new ControllerManager({ client, leaderElection: false, garbageCollector: false, nodeLifecycle: false, logger: quiet });
    cm.start();
    cleanup.defer(() => cm.stop(), 'controller manager');
    expect(cm.running()?.endpoints).toBeDefined();
    for (let i = 0; i < 100 && client.objectsOf(endpointsResource).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(client.objectsOf(endpointsResource).map((e) => e.metadata.name)).toEqual(['web']);
  });

  it('endpoints: false turns it off', async () => {
    const client = new FakeApiClient();
    await client.create(servicesResource, 'default', service);
    const cm = new ControllerManager({ client, leaderElection: false, garbageCollector: false, nodeLifecycle: false, endpoints: false, logger: quiet });
    cm.start();
    cleanup.defer(() => cm.stop(), 'controller manager');
    expect(cm.running()?.endpoints).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(client.objectsOf(endpointsResource)).toEqual([]);
  });
});
