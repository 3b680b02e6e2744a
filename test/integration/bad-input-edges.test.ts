// Bad input at the edges of the request path, against the real server (SQLite, HTTPS, HTTP/1.1
// and HTTP/2): each case a fuzz campaign found answered with a 5xx, a hang or an object nobody
// can address. Each now gets a clear answer and loses nothing.

import type { ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, Cleanup, http2Request, openHttp2Session, readWebSocket, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer(cleanup);
});
afterAll(() => cleanup.run());
const call: ReturnType<typeof apiCaller> = (...args) => apiCaller(() => ts.server.url)(...args);

const h2 = (): ClientHttp2Session => openHttp2Session(ts, cleanup);
const h2Send = (s: ClientHttp2Session, method: string, path: string, body?: string) => http2Request(s, ts.adminToken, method, path, body !== undefined ? { body } : {});

/** Writes `raw` on a TLS connection to the server and resolves with everything read until it closes (or `timeoutMs`). */
function rawExchange(raw: string, timeoutMs: number): Promise<{ text: string; ms: number }> {
  const url = new URL(ts.server.url);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: url.hostname, port: Number(url.port), ca: ts.caPem, ALPNProtocols: ['http/1.1'] }, () => sock.write(raw));
    let text = '';
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('data', (c: Buffer) => (text += c.toString()));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - t0 });
    });
    sock.on('error', reject);
  });
}

describe('bad input at the edges', () => {
  it('a warning quoting a field name outside Latin-1 is sent escaped: the write answers 201 once, over HTTP/1.1 and HTTP/2 (it was a 500 or a reset stream after the commit)', async () => {
    const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' }, 'Āé😀': 1 });
    const r1 = await call('POST', '/api/v1/namespaces/default/configmaps', cm('warn-h1'));
    expect(r1.status, r1.text).toBe(201);
    expect(r1.headers.get('warning')).toBe('299 - "unknown field \\"\\u0100\\u00e9\\ud83d\\ude00\\""');
    const s = h2();
    const r2 = await h2Send(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('warn-h2'));
    expect(r2.status, r2.text).toBe(201);
    expect(r2.headers['warning']).toBe('299 - "unknown field \\"\\u0100\\u00e9\\ud83d\\ude00\\""');
    // The session lives on, and each object was written once.
    expect((await h2Send(s, 'GET', '/api/v1/namespaces/default/configmaps/warn-h2')).status).toBe(200);
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm('warn-h1'))).status).toBe(409);
  });

  it('a namespace path of 300,000 characters lists nothing (it overflowed the stack: 500)', async () => {
    const ns = 'a'.repeat(300_000);
    const r = await call('GET', `/api/v1/namespaces/${ns}/configmaps`);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.body.items).toEqual([]);
    const bySelector = await call('GET', `/api/v1/configmaps?fieldSelector=metadata.namespace%3D${ns}`);
    expect(bySelector.status, bySelector.text.slice(0, 300)).toBe(200);
  });

  it('a malformed chunk is answered with a 400 at once (it held the request for 60 s, then 504)', async () => {
    const url = new URL(ts.server.url);
    const { text, ms } = await rawExchange(
      `POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${ts.adminToken}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
      20_000,
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('the request body could not be parsed as HTTP');
    expect(ms).toBeLessThan(10_000);
  });

  it('a name with a lone surrogate escape is read as Go reads it (U+FFFD), so the object can be addressed and is not created twice', async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sur\\ud800","labels":{"k\\udbff":"v\\udc00"}}}';
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', body);
    // U+FFFD is not a valid name character: refused, where before it was stored under an
    // unaddressable name.
    expect(created.status, created.text).toBe(422);
    expect(created.body.message).toContain('metadata.name: Invalid value: "sur\ufffd"');
    // A value (not a name) is kept with the replacement character.
    const ok = await call('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sur-ok"},"data":{"k":"v\\ud800"}}');
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.data).toEqual({ k: 'v\ufffd' });
    // RBAC names need only be path segments: the name stored is the one a path can name.
    const role = (name: string) => `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"${name}"},"rules":[]}`;
    const cr = await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', role('sur\\ud800'));
    expect(cr.status, cr.text).toBe(201);
    expect(cr.body.metadata.name).toBe('sur\ufffd');
    expect((await call('GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent('sur\ufffd')}`)).status).toBe(200);
    expect((await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', role('sur\\udbff'))).status).toBe(409);
    expect((await call('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent('sur\ufffd')}`)).status).toBe(200);
  });

  it('a binding or a local access review naming another namespace in its body is a 400', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).status).toBe(201);
    const bind = await call('POST', '/api/v1/namespaces/default/pods/unbound/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'unbound', namespace: 'other' }, target: { kind: 'Node', name: 'n1' } });
    expect(bind.status, bind.text).toBe(400);
    expect(bind.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    expect((await call('GET', '/api/v1/namespaces/default/pods/unbound')).body.spec.nodeName).toBeUndefined();
    const lsar = await call('POST', '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      metadata: { namespace: 'other' },
      spec: { user: 'u', resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    expect(lsar.status, lsar.text).toBe(400);
    expect(lsar.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    // A subresource has no /watch/ path.
    expect((await call('GET', '/api/v1/watch/namespaces/default/pods/unbound/log')).status).toBe(404);
    expect((await call('GET', '/api/v1/watch/namespaces/default/pods/unbound/status')).status).toBe(404);
  });

  it('a watch upgrade with a WebSocket version this server does not speak is a 400 (it was upgraded and streamed)', async () => {
    const r = await readWebSocket(ts.server.kubeconfigPath, '/api/v1/namespaces/default/configmaps?watch=true', [], 10_000, { headers: { 'sec-websocket-version': '99' } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code: 400, message: 'a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version 13' });
  });
});
