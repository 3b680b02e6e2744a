// nodes/proxy through the real API server (temp SQLite, HTTPS, RBAC) to a real agent (its node
// identity's HTTPS endpoint, pods as real `sh -c` processes): what monitoring tools and people
// read through it (healthz, stats/summary, pods, the Prometheus endpoints), who may, and the
// refusals (unknown node, other ports, a node without an endpoint, an agent that is not there
// or not the node's).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../src/agent/index.js';
import type { Node, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, nodesResource, podsResource, RestClient } from '../../src/client/index.js';
import { createUserToken, testFetch } from '../helpers/auth.js';
import { startTestAgent } from '../helpers/agent.js';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const run = randomBytes(4).toString('hex');
const nodeName = `proxy-it-${run}`;
const marker = `everynode-it-${run}`;
let ts: TestServer;
let client: RestClient;
let agentIdentity: { certPem: string; keyPem: string; caPem: string };
let agent: RunningAgent;

const proxyUrl = (id: string, path = ''): string => `${ts.server.url}/api/v1/nodes/${id}/proxy${path}`;

async function statusOf(r: Response): Promise<{ code: number; reason: string; message: string }> {
  const body = (await r.json()) as { kind: string; code: number; reason: string; message: string };
  expect(body.kind).toBe('Status');
  return { code: body.code, reason: body.reason, message: body.message };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  client = clientFromKubeconfig(ts.server.kubeconfigPath).client;
  const staticDir = makeTempDir(cleanup, 'static-pods');
  writeFileSync(
    join(staticDir, 'probe.yaml'),
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: probe\n    image: sh\n    command: [sh, -c, "sleep 1000 # ${marker}-static"]\n`,
  );
  const started = await startTestAgent(cleanup, ts.server, nodeName, { marker, staticPodDir: staticDir, staticPodPollMs: 200, podStatusResyncMs: 1_000 });
  agent = started.agent;
  agentIdentity = started.identity;
  await client.create(podsResource, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'busy', namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${marker}-busy`] }] },
  } as Pod);
  await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'busy')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'pod busy Running' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('nodes/proxy to the node\'s agent', () => {
  it('is in discovery as upstream lists it', async () => {
    const core = (await (await testFetch(`${ts.server.url}/api/v1`)).json()) as { resources: { name: string }[] };
    expect(core.resources.find((r) => r.name === 'nodes/proxy')).toEqual({ name: 'nodes/proxy', singularName: '', namespaced: false, kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  });

  it('answers /healthz, with or without the agent\'s own port and a scheme, for GET and HEAD', async () => {
    for (const id of [nodeName, `${nodeName}:${agent.port}`, `https:${nodeName}:${agent.port}`]) {
      const r = await testFetch(proxyUrl(id, '/healthz'));
      expect([id, r.status, await r.text()]).toEqual([id, 200, 'ok']);
    }
    const head = await testFetch(proxyUrl(nodeName, '/healthz'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves /stats/summary as JSON', async () => {
    const r = await testFetch(proxyUrl(nodeName, '/stats/summary'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.json()).toMatchObject({ nodeName, pods: expect.any(Array) });
  });

  it('lists the node\'s pods at /pods as a v1 PodList, the static pod with its status', async () => {
    const list = await waitFor(
      async () => {
        const r = await testFetch(proxyUrl(nodeName, '/pods'));
        const body = (await r.json()) as { kind: string; apiVersion: string; metadata: object; items: Pod[] };
        const probe = body.items.find((p) => p.metadata.name === `probe-${nodeName}`);
        return probe?.status?.phase === 'Running' ? body : undefined;
      },
      { timeoutMs: 30_000, message: 'the static pod Running in /pods' },
    );
    expect(list).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: {} });
    const busy = list.items.find((p) => p.metadata.name === 'busy');
    expect(busy?.spec.nodeName).toBe(nodeName);
    const probe = list.items.find((p) => p.metadata.name === `probe-${nodeName}`)!;
    expect(probe.metadata.annotations?.['kubernetes.io/config.source']).toBe('file');
    // Its mirror in the API is not listed again.
    expect(list.items.filter((p) => p.metadata.name === `probe-${nodeName}`)).toHaveLength(1);
  });

  it('serves /metrics/resource in the Prometheus text format, with a running container\'s usage', async () => {
    const r = await testFetch(proxyUrl(nodeName, '/metrics/resource'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    await r.text();
    // A scrape reads a sample at most a second old (taken again when a container started since).
    const text = await waitFor(
      async () => {
        const t = await (await testFetch(proxyUrl(nodeName, '/metrics/resource'))).text();
        return t.includes('container_cpu_usage_seconds_total{container="main",namespace="default",pod="busy"}') ? t : undefined;
      },
      { timeoutMs: 10_000, message: 'the usage of pod busy in /metrics/resource' },
    );
    expect(text).toContain('# TYPE node_cpu_usage_seconds_total counter\n');
    expect(text).toMatch(/^node_cpu_usage_seconds_total [\d.e+]+ \d{13}$/m);
    expect(text).toMatch(/^container_cpu_usage_seconds_total\{container="main",namespace="default",pod="busy"\} [\d.e+-]+ \d{13}$/m);
    expect(text).toMatch(/^container_memory_working_set_bytes\{container="main",namespace="default",pod="busy"\} [\d.e+]+ \d{13}$/m);
    expect(text).toMatch(/^container_start_time_seconds\{container="main",namespace="default",pod="busy"\} [\d.e+]+$/m);
    expect(text).toMatch(/^pod_cpu_usage_seconds_total\{namespace="default",pod="busy"\} /m);
    expect(text).toContain('\nresource_scrape_error 0\n');
  });

  it('serves /metrics and /metrics/cadvisor, the Prometheus kubelet scrape paths', async () => {
    const own = await (await testFetch(proxyUrl(nodeName, '/metrics'))).text();
    expect(Number(/^kubelet_running_pods (\d+)$/m.exec(own)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^kubelet_running_containers\{container_state="running"\} (\d+)$/m.exec(own)?.[1])).toBeGreaterThanOrEqual(2);
    expect(own).toMatch(/^process_resident_memory_bytes [\d.e+]+$/m);
    // The subpath as client libraries send it (encodeURIComponent: `/` as %2F) reaches the same path, as upstream.
    const cadvisor = await (await testFetch(proxyUrl(nodeName, '/metrics%2Fcadvisor'))).text();
    expect(cadvisor).toMatch(/^container_cpu_usage_seconds_total\{container="main",cpu="total",id="process:\/\/[^"]+",image="sh",name="[^"]*",namespace="default",pod="busy"\} [\d.e+-]+ \d{13}$/m);
    expect(cadvisor).toMatch(/^container_memory_rss\{container="main",id="process:\/\/[^"]+",image="sh",name="[^"]*",namespace="default",pod="busy"\} /m);
  });

  it('passes the method, the query and the agent\'s own answers through (405, 404)', async () => {
    const post = await testFetch(proxyUrl(nodeName, '/pods?x=1'), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect([post.status, await post.text()]).toEqual([405, 'method not allowed']);
    const unknown = await testFetch(proxyUrl(nodeName, '/no/such/path'));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('404 page not found');
  });

  it('refuses a port other than the agent\'s with a 400 saying why', async () => {
    for (const id of [`${nodeName}:9100`, `http:${nodeName}:22`]) {
      const s = await statusOf(await testFetch(proxyUrl(id, '/metrics')));
      expect(s.code).toBe(400);
      expect(s.message).toContain(`of node ${nodeName} cannot be proxied: nodes/proxy reaches only the node's agent (port ${agent.port}, or no port)`);
    }
    expect(await statusOf(await testFetch(proxyUrl(`ftp:${nodeName}:1`, '/')))).toMatchObject({ code: 400, message: `invalid node request "ftp:${nodeName}:1"` });
  });

  it('is 404 for an unknown node, 503 for a node without an endpoint or an agent that cannot be reached or is not the node\'s', async () => {
    expect(await statusOf(await testFetch(proxyUrl('no-such-node', '/healthz')))).toMatchObject({ code: 404, reason: 'NotFound', message: 'nodes "no-such-node" not found' });

    const bare: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: `bare-${run}` }, spec: {} };
    await client.create(nodesResource, '', bare);
    expect(await statusOf(await testFetch(proxyUrl(`bare-${run}`, '/healthz')))).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: `node bare-${run} reports no InternalIP address in its status` });

    const port = await closedPort();
    await client.create(nodesResource, '', { ...bare, metadata: { name: `gone-${run}` }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } } as Node);
    const gone = await statusOf(await testFetch(proxyUrl(`gone-${run}`, '/healthz')));
    expect(gone).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(gone.message).toMatch(/^error trying to reach service: .*ECONNREFUSED/);

    // A Node whose status points at another node's agent: that agent's certificate is not its own.
    await client.create(nodesResource, '', { ...bare, metadata: { name: `imposter-${run}` }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agent.port } } } } as Node);
    const imposter = await statusOf(await testFetch(proxyUrl(`imposter-${run}`, '/healthz')));
    expect(imposter.code).toBe(503);
    expect(imposter.message).toContain(`error trying to reach service: agent certificate is for "system:node:${nodeName}", not "system:node:imposter-${run}"`);
  });

  it('is authorized as nodes/proxy: 403 without it, for nodes too; system:kubelet-api-admin grants it', async () => {
    const token = createUserToken(ts.dataDir, `metrics-reader-${run}`);
    const denied = await statusOf(await testFetch(proxyUrl(nodeName, '/metrics/resource'), { headers: { authorization: `Bearer ${token}` } }));
    expect(denied).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(denied.message).toBe(`nodes "${nodeName}" is forbidden: User "metrics-reader-${run}" cannot get resource "nodes/proxy" in API group "" at the cluster scope`);
    const post = await statusOf(await testFetch(proxyUrl(nodeName, '/pods'), { method: 'POST', body: '', headers: { authorization: `Bearer ${token}` } }));
    expect(post.message).toContain('cannot create resource "nodes/proxy"');

    // The node itself: no nodes/proxy, to its own agent or another's (as upstream's Node authorizer).
    const asNode = await statusOf(await testFetch(proxyUrl(nodeName, '/pods'), { cert: agentIdentity.certPem, key: agentIdentity.keyPem }));
    expect(asNode).toMatchObject({ code: 403 });

    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `metrics-reader-${run}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `metrics-reader-${run}` }],
    };
    const created = await testFetch(`${ts.server.url}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, { method: 'POST', body: JSON.stringify(binding), headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    const allowed = await waitFor(
      async () => {
        const r = await testFetch(proxyUrl(nodeName, '/metrics/resource'), { headers: { authorization: `Bearer ${token}` } });
        return r.status === 200 ? r.text() : undefined;
      },
      { timeoutMs: 10_000, message: 'nodes/proxy allowed once bound' },
    );
    expect(allowed).toContain('node_cpu_usage_seconds_total');
  });

  it.skipIf(!kubectlAvailable())('kubectl get --raw reads stats/summary and metrics/resource through it', async () => {
    const target = { kubeconfig: ts.server.kubeconfigPath, cacheDir: makeTempDir(cleanup, 'kubectl-cache') };
    const summary = await runKubectl(target, ['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/stats/summary`]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(JSON.parse(summary.stdout)).toMatchObject({ nodeName });
    const resource = await runKubectl(target, ['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/metrics/resource`]);
    expect(resource.code, resource.stderr).toBe(0);
    expect(resource.stdout).toContain('container_cpu_usage_seconds_total{container="main",namespace="default",pod="busy"}');
  });
});

if (!kubectlAvailable()) console.warn('[skip] kubectl get --raw through nodes/proxy: no `kubectl` on PATH');
