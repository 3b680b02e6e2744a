// The API server's /metrics (Prometheus text format) over HTTPS: request counters and
// latencies labelled as upstream's kube-apiserver labels them, open watches as long-running
// requests, the store's commits; readable by the admin and the system:monitoring group only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, createUserToken, httpRequest, openWireWatch, startTestServer, type TestServer } from '../helpers/index.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer(cleanup, { store: 'sqlite' });
});
afterAll(() => cleanup.run());

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
    const url = ts.server.url;
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

  it('is for the admin and the system:monitoring group only', async () => {
    const url = ts.server.url;
    const viewer = createUserToken(ts.dataDir, 'vic', ['viewers']);
    const denied = await httpRequest(`${url}/metrics`, { token: viewer });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('User \\"vic\\" cannot get path \\"/metrics\\"');
    expect((await httpRequest(`${url}/metrics`, { anonymous: true })).status).toBe(401);
    const prometheus = createUserToken(ts.dataDir, 'prometheus', ['system:monitoring']);
    const ok = await httpRequest(`${url}/metrics`, { token: prometheus });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
