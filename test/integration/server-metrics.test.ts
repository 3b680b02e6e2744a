// The API server's /metrics (Prometheus text format) over HTTPS: request counters and
// latencies labelled as upstream's kube-apiserver labels them, open watches as long-running
// requests, the store's commits; readable by the admin and the system:monitoring group only.
// What the store holds (objects per resource, its size on disk) and what its upkeep did
// (compactions, expired events), from a server that compacts and expires events quickly.
import { describe, expect, it } from 'vitest';
import { Cleanup, createUserToken, http2Request, httpRequest, openHttp2Session, openWireWatch, startTestServer, useTestServer } from '../helpers/index.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup, { store: 'sqlite' });

/** The value of the sample `name{labels}` whose labels include every pair of `want`; undefined when none. */
function sample(text: string, name: string, want: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts requests by verb, resource, scope and code, times them, and shows open watches', async () => {
    const url = server.url;
    const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
    expect((await httpRequest(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: cm('m1') })).status).toBe(201);
    expect((await httpRequest(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: cm('m1') })).status).toBe(409);
    expect((await httpRequest(`${url}/api/v1/namespaces/default/configmaps/m1`)).status).toBe(200);
    expect((await httpRequest(`${url}/api/v1/configmaps`)).status).toBe(200);
    expect((await httpRequest(`${url}/api/v1/namespaces/default/configmaps/m1`, { method: 'PATCH', body: JSON.stringify({ data: { k: 'w' } }), contentType: 'application/merge-patch+json' })).status).toBe(200);
    expect((await httpRequest(`${url}/api/v1/nowhere/x`)).status).toBe(404);
    const watch = await openWireWatch(cleanup, url, '/api/v1/namespaces/default/configmaps?watch=true');

    const text = (await waitFor(async () => {
      const r = await httpRequest(`${url}/metrics`);
      return r.status === 200 && /verb="WATCH"/.test(r.text) ? r : undefined;
    }, { message: 'an open watch in /metrics' })).text;
    const base = { group: '', version: 'v1', resource: 'configmaps', subresource: '', component: 'apiserver' };
    expect(sample(text, 'apiserver_request_total', { ...base, verb: 'POST', scope: 'namespace', code: '201' })).toBe(1);
    expect(sample(text, 'apiserver_request_total', { ...base, verb: 'POST', scope: 'namespace', code: '409' })).toBe(1);
    expect(sample(text, 'apiserver_request_total', { ...base, verb: 'GET', scope: 'resource', code: '200' })).toBe(1);
    expect(sample(text, 'apiserver_request_total', { ...base, verb: 'LIST', scope: 'cluster', code: '200' })).toBe(1);
    expect(sample(text, 'apiserver_request_total', { ...base, verb: 'PATCH', scope: 'resource', code: '200' })).toBe(1);
    // A path that names no served resource is counted without resource labels.
    expect(sample(text, 'apiserver_request_total', { verb: 'GET', resource: '', group: '', code: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'apiserver_longrunning_requests', { ...base, verb: 'WATCH', scope: 'namespace' })).toBe(1);
    // The histogram: cumulative buckets ending in +Inf = count, and a sum.
    const posts = { ...base, verb: 'POST', scope: 'namespace' };
    expect(sample(text, 'apiserver_request_duration_seconds_count', posts)).toBe(2);
    expect(sample(text, 'apiserver_request_duration_seconds_bucket', { ...posts, le: '+Inf' })).toBe(2);
    expect(sample(text, 'apiserver_request_duration_seconds_bucket', { ...posts, le: '60' })).toBe(2);
    expect(sample(text, 'apiserver_request_duration_seconds_sum', posts)).toBeGreaterThan(0);
    expect(sample(text, 'everynode_store_writes_total', {})).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_resident_memory_bytes', {})).toBeGreaterThan(10 * 2 ** 20);
    // Every line is a comment or a sample.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \S+ .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+)$/);

    watch.stop();
    await waitFor(async () => sample((await httpRequest(`${url}/metrics`)).text, 'apiserver_longrunning_requests', { ...base, verb: 'WATCH' }) === 0, {
      message: 'the closed watch leaves the long-running gauge',
    });
  });

  it('keeps its series bounded: paths naming no real subresource are counted without it', async () => {
    const url = server.url;
    for (const junk of ['aaa', 'bbb', 'ccc']) await httpRequest(`${url}/api/v1/namespaces/default/configmaps/m1/${junk}`);
    const text = (await httpRequest(`${url}/metrics`)).text;
    expect(text).not.toMatch(/subresource="(aaa|bbb|ccc)"/);
    expect(sample(text, 'apiserver_request_total', { resource: 'configmaps', verb: 'GET', subresource: '', code: '404' })).toBeGreaterThanOrEqual(3);

    // Made-up methods (HTTP/2 carries any; HTTP/1.1's parser refuses them), even from a client
    // refused at the door, are one `other` verb.
    const h2 = openHttp2Session(server.ts, cleanup);
    const codes = new Set<number>();
    for (const method of ['M1', 'M2', 'FROB']) codes.add((await http2Request(h2, 'not-a-token', method, '/api/v1/pods')).status);
    expect([...codes]).toEqual([401]);
    const after = (await httpRequest(`${url}/metrics`)).text;
    expect(after).not.toMatch(/verb="(M1|M2|FROB)"/);
    // Which build answers: everynode's version and the Kubernetes API version it serves.
    expect(after).toMatch(/^everynode_build_info\{version="v\d+\.\d+\.\d+[^"]*",kubernetes_version="v1\.32\.\d+"\} 1$/m);
    expect(sample(after, 'apiserver_request_total', { resource: 'pods', verb: 'other', code: '401' })).toBeGreaterThanOrEqual(3);
  });

  it('a watch asked with an empty ?watch= is served, authorized and counted as a watch', async () => {
    const url = server.url;
    const { TokenStore } = await import('../../src/auth/index.js');
    const lister = new TokenStore(server.ts.dataDir).create({ user: 'lister', groups: [], kind: 'user' }).token;
    const admin = (path: string, body: unknown) => httpRequest(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { metadata: { name: 'list-only' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['configmaps'] }] })).status).toBe(201);
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { metadata: { name: 'lister' }, subjects: [{ kind: 'User', name: 'lister' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-only' } })).status).toBe(201);
    expect((await httpRequest(`${url}/api/v1/namespaces/default/configmaps`, { token: lister })).status).toBe(200);
    const watch = await httpRequest(`${url}/api/v1/namespaces/default/configmaps?watch=`, { token: lister });
    expect(watch.status).toBe(403);
    expect(watch.text).toContain('cannot watch resource');
  });

  it('is for the admin and the system:monitoring group only', async () => {
    const url = server.url;
    const viewer = createUserToken(server.ts.dataDir, 'vic', ['viewers']);
    const denied = await httpRequest(`${url}/metrics`, { token: viewer });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('User \\"vic\\" cannot get path \\"/metrics\\"');
    expect((await httpRequest(`${url}/metrics`, { anonymous: true })).status).toBe(401);
    const prometheus = createUserToken(server.ts.dataDir, 'prometheus', ['system:monitoring']);
    const ok = await httpRequest(`${url}/metrics`, { token: prometheus });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('GET /metrics: the store', () => {
  it('counts stored objects per resource as upstream names them, and gives the SQLite files\' size', async () => {
    const url = server.url;
    const ns = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'storage-metrics' } });
    expect((await httpRequest(`${url}/api/v1/namespaces`, { method: 'POST', body: ns })).status).toBe(201);
    for (const name of ['a', 'b', 'c']) {
      const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
      expect((await httpRequest(`${url}/api/v1/namespaces/storage-metrics/configmaps`, { method: 'POST', body: cm })).status).toBe(201);
    }
    await server.ts.server.countStoredObjectsNow();
    const text = (await httpRequest(`${url}/metrics`)).text;
    const listed = (JSON.parse((await httpRequest(`${url}/api/v1/configmaps`)).text) as { items: unknown[] }).items.length;
    expect(listed).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'apiserver_storage_objects', { resource: 'configmaps' })).toBe(listed);
    expect(sample(text, 'apiserver_storage_objects', { resource: 'namespaces' })).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'apiserver_storage_objects', { resource: 'daemonsets.apps' })).toBe(0);
    expect(sample(text, 'apiserver_storage_objects', { resource: 'clusterroles.rbac.authorization.k8s.io' })).toBeGreaterThan(10);
    expect(sample(text, 'apiserver_storage_size_bytes', { storage_cluster_id: 'sqlite' })).toBeGreaterThan(4096);
    expect(sample(text, 'everynode_store_compactions_total', {})).toBe(0);
  });

  it('counts compactions and expired events of a server that runs them', async () => {
    const c = new Cleanup();
    try {
      const ts = await startTestServer(c, { store: 'sqlite', compaction: { intervalMs: 50, retainRevisions: 1 }, eventTtl: { ttlMs: 1, intervalMs: 50 } });
      const url = ts.server.url;
      const ev = JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Test', message: 'm', type: 'Normal' });
      expect((await httpRequest(`${url}/api/v1/namespaces/default/events`, { method: 'POST', body: ev })).status).toBe(201);
      const text = await waitFor(async () => {
        const t = (await httpRequest(`${url}/metrics`)).text;
        return (sample(t, 'everynode_events_expired_total', {}) ?? 0) >= 1 && (sample(t, 'everynode_store_compactions_total', {}) ?? 0) >= 1 ? t : undefined;
      }, { timeoutMs: 10_000, message: 'a compaction and the expired event in /metrics' });
      expect(sample(text, 'everynode_store_compacted_revision', {})).toBeGreaterThan(0);
      expect((await httpRequest(`${url}/api/v1/namespaces/default/events/e1`)).status).toBe(404);
    } finally {
      await c.run();
    }
  }, 30_000);
});
