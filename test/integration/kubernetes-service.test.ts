// The default/kubernetes Service and Endpoints against a real server: the Service gets the
// first address of the service range and port 443 to the server's port; the Endpoints list
// every live API server (lease keys in the store), drop a stopped one at once and a dead one
// after three renewal intervals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { startKubernetesService } from '../../src/apiserver/kubernetes-service.js';
import { endpointSlicesResource, endpointsResource, inProcessTransport, isNotFound, RestClient, servicesResource } from '../../src/client/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { Cleanup } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/wait.js';
import { startCluster, type Cluster } from './daemonset-harness.js';

type Endpoints = KubeObject & { subsets?: Array<{ addresses: Array<{ ip: string }>; ports: Array<{ name: string; port: number; protocol: string }> }> };
type Service = KubeObject & { spec: { clusterIP: string; ports: Array<{ name: string; port: number; targetPort: number }> } };

const cleanup = new Cleanup();
let c: Cluster;

beforeAll(async () => {
  c = await startCluster(cleanup, false);
});
afterAll(() => cleanup.run());

const get = <T extends KubeObject>(r: typeof servicesResource) =>
  c.client.get<T>(r, 'default', 'kubernetes').then(
    (o) => o,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );
const addresses = async () => ((await get<Endpoints>(endpointsResource))?.subsets ?? []).map((s) => `${s.addresses.map((a) => a.ip).join(',')}:${s.ports.map((p) => `${p.name}/${p.port}`).join(',')}`);

describe('the default/kubernetes Service', () => {
  it('exists with the first service address, port 443 to the server, and the server in its Endpoints', async () => {
    const svc = await waitFor(() => get<Service>(servicesResource), { message: 'the kubernetes Service' });
    expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(svc.spec.clusterIP).toBe('10.96.0.1');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'https', port: 443, targetPort: c.server.port, protocol: 'TCP' })]);
    await waitFor(async () => ((await addresses()).length > 0 ? true : undefined), { message: 'the kubernetes Endpoints' });
    expect(await addresses()).toEqual([`127.0.0.1:https/${c.server.port}`]);
  });

  it('lists every live server, and drops one that stops or stops renewing', async () => {
    const client = new RestClient(inProcessTransport(c.server.handler));
    const other = startKubernetesService({ store: c.server.store, client, address: '127.0.0.9', port: c.server.port, logger: silentLogger, intervalMs: 200 });
    cleanup.defer(() => other.stop(), 'second reconciler');
    await waitFor(async () => ((await addresses()).join() === `127.0.0.1,127.0.0.9:https/${c.server.port}` ? true : undefined), { message: 'both servers in the Endpoints' });
    // The EndpointSlice named kubernetes follows, as upstream's API server keeps it.
    type Slice = KubeObject & { addressType: string; endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>; ports?: Array<{ name: string; port: number }> };
    const slice = await waitFor(
      async () => {
        const s = (await get<Slice>(endpointSlicesResource)) as Slice | undefined;
        return s?.endpoints?.map((e) => e.addresses[0]).join() === '127.0.0.1,127.0.0.9' ? s : undefined;
      },
      { message: 'both servers in the kubernetes EndpointSlice' },
    );
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'https', port: c.server.port, protocol: 'TCP' }]);
    expect(slice.endpoints?.every((e) => e.conditions?.ready === true)).toBe(true);
    expect((await get<Endpoints>(endpointsResource))?.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe('true');

    // A server that died without a word: its lease ages out after three intervals.
    await c.server.store.create('/everynode/apiserver-leases/127.0.0.7:7443', JSON.stringify({ address: '127.0.0.7', port: 7443, renewTime: Date.now() }));
    await waitFor(async () => ((await addresses()).includes('127.0.0.7:https/7443') ? true : undefined), { message: 'the silent server listed' });
    await waitFor(async () => ((await addresses()).some((a) => a.includes('127.0.0.7')) ? undefined : true), { timeoutMs: 5_000, message: 'the silent server dropped' });

    await other.stop();
    const third = startKubernetesService({ store: c.server.store, client, address: '127.0.0.8', port: c.server.port, logger: silentLogger, intervalMs: 200 });
    cleanup.defer(() => third.stop(), 'third reconciler');
    await waitFor(async () => ((await addresses()).join() === `127.0.0.1,127.0.0.8:https/${c.server.port}` ? true : undefined), { message: 'the stopped server gone, the new one in' });
  });
});
