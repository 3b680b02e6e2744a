// The agent's node-port proxy against a real server: it follows a Service's EndpointSlices,
// those written by hand included (a Service without a selector), and while a Service's only
// endpoints terminate but still serve (a daemon draining in a rollout), connections keep going
// to them, as kube-proxy's; once none serves, a connection is refused.
import { once } from 'node:events';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProxy } from '../../src/agent/service-proxy.js';
import type { KubeObject } from '../../src/api/types.js';
import { endpointSlicesResource, HttpTransport, loadKubeconfig, RestClient, servicesResource } from '../../src/client/index.js';
import { createLogger } from '../../src/util/logger.js';
import { Cleanup, startTestServer, type TestServer } from '../helpers/index.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let ts: TestServer;
let client: RestClient;
let proxy: ServiceProxy;
let backend: Server;
let backendPort = 0;
// An address of this test's own (nothing else binds it), so the node port is free.
const nodeAddress = `127.0.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
const nodePort = 30000 + Math.floor(Math.random() * 2700);

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  client = new RestClient(new HttpTransport(loadKubeconfig(ts.server.kubeconfigPath)).request);
  backend = createServer((s) => s.end('hello from the daemon\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as { port: number }).port;
  cleanup.defer(() => new Promise<void>((r) => backend.close(() => r())));
  proxy = new ServiceProxy({ client, nodeName: 'sp-node', address: nodeAddress, logger: createLogger({ name: 'test', write: () => undefined }) });
  proxy.start();
  cleanup.defer(() => proxy.stop());
  await proxy.ready();
}, 60_000);

afterAll(() => cleanup.run());

/** What a connection to the node port reads: the daemon's line, or '' when it is closed at once. */
async function fetchNodePort(): Promise<string> {
  const s = connect({ host: nodeAddress, port: nodePort });
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  s.on('error', () => undefined);
  await once(s, 'close');
  return text;
}

function slice(conditions: Record<string, boolean>): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'manual-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'manual' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], nodeName: 'sp-node', conditions }],
    ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
  } as unknown as KubeObject;
}

describe('node-port proxy', () => {
  it('serves a Service from a hand-written EndpointSlice, keeps serving a terminating but serving endpoint, and refuses once none serves', async () => {
    await client.create(servicesResource, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort }] } } as KubeObject);
    await client.create(endpointSlicesResource, 'default', slice({ ready: true }));
    await waitFor(async () => ((await fetchNodePort()) === 'hello from the daemon\n' ? true : undefined), { timeoutMs: 15_000, message: 'the node port serving the slice' });

    const drain = async (conditions: Record<string, boolean>): Promise<void> => {
      const cur = await client.get<KubeObject & { endpoints: unknown[] }>(endpointSlicesResource, 'default', 'manual-1');
      await client.update(endpointSlicesResource, 'default', { ...cur, endpoints: (slice(conditions) as unknown as { endpoints: unknown[] }).endpoints } as KubeObject);
    };
    await drain({ ready: false, serving: true, terminating: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(await fetchNodePort()).toBe('hello from the daemon\n');

    await drain({ ready: false, serving: false, terminating: true });
    await waitFor(async () => ((await fetchNodePort()) === '' ? true : undefined), { timeoutMs: 15_000, message: 'connections refused once nothing serves' });
  });
});
