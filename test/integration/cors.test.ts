// Cross-origin requests against a real server (HTTPS, RBAC): with an allowed-origin pattern, a
// preflight from a matching origin is answered 204 with the CORS headers before any credential,
// and the real request gets them beside its answer; another origin, or a server without
// patterns, gets none; a bad pattern fails the start.

import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/apiserver/index.js';
import { readdirSync } from 'node:fs';
import { apiCaller, Cleanup, httpRequest, makeTempDir, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());
let withCors: TestServer;
let without: TestServer;

const CONSOLE = 'https://console.example.com';

describe('CORS', () => {
  it('answers a preflight from an allowed origin without credentials, and adds the headers to its requests', async () => {
    withCors = await startTestServer(cleanup, { corsAllowedOrigins: ['^https://console\\.example\\.com$', '^http://127\\.0\\.0\\.1(:\\d+)?$'] });
    const call = apiCaller(() => withCors.server.url);
    const pre = await anonymous(withCors, 'OPTIONS', '/api/v1/namespaces/default/configmaps', { origin: CONSOLE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS, PUT, DELETE, PATCH');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    const list = await call('GET', '/api/v1/namespaces/default/configmaps', undefined, 'application/json', { origin: CONSOLE });
    expect(list.status).toBe(200);
    expect(list.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(list.headers.get('access-control-expose-headers')).toBe('Date');
    // Credentials are still required for the request itself.
    const refused = await anonymous(withCors, 'GET', '/api/v1/namespaces/default/configmaps', { origin: CONSOLE });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });

  it('adds nothing for another origin, and a server without patterns adds nothing at all', async () => {
    const call = apiCaller(() => withCors.server.url);
    const other = await call('GET', '/api/v1/namespaces/default/configmaps', undefined, 'application/json', { origin: 'https://evil.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // Unanchored patterns would have let this one through.
    const lookalike = await call('GET', '/version', undefined, 'application/json', { origin: 'https://console.example.com.evil.example' });
    expect(lookalike.headers.get('access-control-allow-origin')).toBeNull();
    without = await startTestServer(cleanup);
    const plain = apiCaller(() => without.server.url);
    const pre = await plain('OPTIONS', '/api/v1/namespaces/default/configmaps', undefined, 'application/json', { origin: CONSOLE, 'access-control-request-method': 'GET' });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).not.toBe(204);
  });

  it('refuses to start with a pattern that is not a regular expression, before touching its data dir', async () => {
    const dir = makeTempDir(cleanup, 'cors-bad');
    await expect(startServer({ dataDir: dir, listen: '127.0.0.1:0', corsAllowedOrigins: ['^https://(console'] })).rejects.toThrow(/invalid CORS allowed origin "\^https:\/\/\(console"/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** A request with no credential (a preflight's situation, and a page without a token). */
function anonymous(ts: TestServer, method: string, path: string, headers: Record<string, string>) {
  return httpRequest(ts.server.url + path, { method, headers, anonymous: true });
}
