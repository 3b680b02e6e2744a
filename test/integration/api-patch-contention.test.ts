// Writes without a resourceVersion to one object under contention, against the real API server
// (startServer, SQLite, HTTPS with the admin credentials): upstream's GuaranteedUpdate retries
// such a write until it lands, so kubectl label/annotate/patch and controllers never see 409
// for them. Same-key writes through one server take turns (the registry's per-key queue), so no
// writer loses the SQLite group-commit race over and over until its retry bound runs out.
//
// Each writer is a client of its own with one kept-alive connection, as kubectl and client-go
// are: a TLS handshake per request (the helpers' testFetch) spaces requests out so much that
// they seldom meet in the store at all. Without the turns, 16 writers x 150 patches took ~15
// compare-and-swap attempts per patch (73 s, past the 60 s test timeout, instead of ~7 s); 60
// patches each keep the 16-way contention at a fraction of the run time (every patch rewrites
// the whole, growing ConfigMap). The 409 after maxCasAttempts lost rounds is forced
// deterministically in src/apiserver/registry.test.ts.
import { Agent, request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { useTestServer } from '../helpers/server.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup, { store: 'sqlite' });
const agents: Agent[] = [];
afterAll(() => agents.forEach((a) => a.destroy()));

const writers = 16;
const patchesPerWriter = 60;

/** A client with one kept-alive connection to the server. */
function client(): (method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; text: string }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: server.ts.caPem });
  agents.push(agent);
  return (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${server.ts.adminToken}` };
      if (payload) Object.assign(headers, { 'content-type': contentType, 'content-length': String(payload.length) });
      const req = request(new URL(path, server.url), { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
}

describe('merge patches without a resourceVersion to one ConfigMap', () => {
  it(`${writers} concurrent writers x ${patchesPerWriter}: every patch answers 200 and lands`, async () => {
    const path = '/api/v1/namespaces/default/configmaps/hot';
    const admin = client();
    const c = await admin('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hot' }, data: {} });
    expect(c.status, c.text).toBe(201);
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const call = client();
        for (let i = 0; i < patchesPerWriter; i++) {
          const r = await call('PATCH', path, { data: { [`w${w}-${i}`]: String(i) } }, 'application/merge-patch+json');
          if (r.status !== 200) failures.push(`w${w}-${i}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    const got = await admin('GET', path);
    expect(got.status, got.text).toBe(200);
    const data = (JSON.parse(got.text) as { data?: Record<string, string> }).data ?? {};
    const missing: string[] = [];
    for (let w = 0; w < writers; w++) for (let i = 0; i < patchesPerWriter; i++) if (data[`w${w}-${i}`] !== String(i)) missing.push(`w${w}-${i}`);
    expect(missing).toEqual([]);
    expect(Object.keys(data)).toHaveLength(writers * patchesPerWriter);
  });
});
