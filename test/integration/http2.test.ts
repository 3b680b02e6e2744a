// The API server over HTTP/2 (what kubectl and client-go speak to it): ALPN, requests and
// watches as streams of one connection, refusals that end a stream and not the connection,
// impersonation headers repeated, and the connection limits of an HTTP/2 connection. The real
// server over TLS, a node:http2 client.

import { constants, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, createUserToken, http2Request, openHttp2Session, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
const headersTimeoutMs = 800;
const http2IdleTimeoutMs = 2_500;

beforeAll(async () => {
  ts = await startTestServer(cleanup, { connectionLimits: { headersTimeoutMs, http2IdleTimeoutMs } });
});
afterAll(() => cleanup.run());

const session = (): ClientHttp2Session => openHttp2Session(ts, cleanup);

/** One request on `s` (the admin's token unless `o.token`). */
const send = (s: ClientHttp2Session, method: string, path: string, o: { body?: string; headers?: Record<string, string | string[]>; token?: string } = {}) =>
  http2Request(s, o.token ?? ts.adminToken, method, path, o);

describe('HTTP/2', () => {
  it('is offered in the TLS handshake beside http/1.1', async () => {
    const url = new URL(ts.server.url);
    for (const [offer, picked] of [
      [['h2', 'http/1.1'], 'h2'],
      [['http/1.1'], 'http/1.1'],
    ] as const) {
      const sock = tlsConnect({ host: url.hostname, port: Number(url.port), ca: ts.caPem, ALPNProtocols: [...offer] });
      await new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', resolve);
        sock.once('error', reject);
      });
      expect(sock.alpnProtocol).toBe(picked);
      sock.destroy();
    }
  });

  it('serves requests and a watch as streams of one connection; a refused request ends its stream only', async () => {
    const s = session();
    const events: string[] = [];
    const watch = s.request({ ':method': 'GET', ':path': '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=30', authorization: `Bearer ${ts.adminToken}` });
    const watchStatus = new Promise<number>((resolve) => watch.on('response', (h) => resolve(Number(h[':status']))));
    watch.on('data', (c: Buffer) => events.push(...c.toString().split('\n').filter((l) => l !== '')));
    expect(await watchStatus).toBe(200);

    const created = await send(s, 'POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'h2' }, data: { a: '1' } }) });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.text).metadata.name).toBe('h2');
    // Refusals: a malformed body, a body over the 3 MiB limit, an unknown token.
    const bad = await send(s, 'POST', '/api/v1/namespaces/default/configmaps', { body: '{"metadata":' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const huge = await send(s, 'POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(4 * 1024 * 1024) } }) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.text)).toMatchObject({ kind: 'Status', code: 413 });
    expect((await send(s, 'GET', '/api/v1/namespaces', { token: 'nope' })).status).toBe(401);
    // The connection still serves: the watch saw the create, and a patch after the refusals.
    const patched = await send(s, 'PATCH', '/api/v1/namespaces/default/configmaps/h2', { body: JSON.stringify({ data: { a: '2' } }), headers: { 'content-type': 'application/merge-patch+json' } });
    expect(patched.status).toBe(200);
    await expect.poll(() => events.map((l) => JSON.parse(l) as { type: string; object: { data: { a: string } } }).map((e) => `${e.type} ${e.object.data.a}`), { timeout: 5_000 }).toEqual(['ADDED 1', 'MODIFIED 2']);
    expect(s.destroyed).toBe(false);
    watch.close(constants.NGHTTP2_CANCEL);
  });

  it('reads a repeated impersonation header as several values, as over HTTP/1.1, and carries the extras', async () => {
    const s = session();
    const r = await send(s, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      headers: { 'impersonate-user': 'alice', 'impersonate-group': ['team-a', 'team-b'], 'impersonate-extra-scopes': ['view', 'edit'], 'impersonate-extra-example.org%2Freason': 'audit' },
    });
    expect(r.status).toBe(201);
    // The extras are carried, keyed as upstream decodes the header names.
    expect(JSON.parse(r.text).status.userInfo).toMatchObject({
      username: 'alice',
      groups: expect.arrayContaining(['team-a', 'team-b', 'system:authenticated']),
      extra: { scopes: ['view', 'edit'], 'example.org/reason': ['audit'] },
    });
  });

  it('keeps a connection that made a request past the first-request limit, and answers :authority for Host', async () => {
    const s = session();
    expect((await send(s, 'GET', '/version')).status).toBe(200);
    await new Promise((r) => setTimeout(r, headersTimeoutMs + 500));
    expect(s.destroyed || s.closed).toBe(false);
    const oidc = await send(s, 'GET', '/.well-known/openid-configuration');
    expect(oidc.status).toBe(200);
    expect(JSON.parse(oidc.text).jwks_uri).toBe(`https://${new URL(ts.server.url).host}/openid/v1/jwks`);
  });

  it('closes a connection with no stream open for the idle timeout (GOAWAY), never one with a watch open', async () => {
    const closed = (s: ClientHttp2Session): Promise<number> => {
      const t0 = Date.now();
      return new Promise((resolve) => s.once('close', () => resolve(Date.now() - t0)));
    };
    // Idle after one request: closed by the server, gracefully.
    const idle = session();
    let goaway = false;
    idle.on('goaway', () => (goaway = true));
    expect((await send(idle, 'GET', '/version')).status).toBe(200);
    const idleClosed = closed(idle);
    // Busy with a quiet watch: kept past the idle timeout, then closed once the watch ends.
    const busy = session();
    const watch = busy.request({ ':method': 'GET', ':path': '/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=60', authorization: `Bearer ${ts.adminToken}` });
    watch.on('data', () => undefined);
    await new Promise<void>((resolve) => watch.once('response', () => resolve()));
    const busyClosed = closed(busy);
    expect(await idleClosed).toBeLessThan(http2IdleTimeoutMs + 2_000);
    expect(goaway).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000)); // the busy connection is past its idle time too
    expect(busy.closed || busy.destroyed).toBe(false);
    watch.close();
    const after = await busyClosed;
    expect(after).toBeGreaterThan(http2IdleTimeoutMs);
  });

  it('a user token works over HTTP/2 as over HTTP/1.1 (authorization applies)', async () => {
    const token = createUserToken(ts.dataDir, 'bob');
    const s = session();
    const r = await send(s, 'GET', '/api/v1/namespaces/default/secrets', { token });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text)).toMatchObject({ reason: 'Forbidden' });
  });
});
