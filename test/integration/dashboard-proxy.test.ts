// The dashboard server against a real API server over HTTPS with the admin kubeconfig: the
// page, forwarded reads, streamed watches, and the guards (loopback Host only, writes need
// the dashboard header, no preflights, loopback listen address only, 502 when the API is gone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { HttpTransport, loadKubeconfig } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { everynodeBin, runCommand, spawnNode } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let server: RunningServer;
let dashboard: RunningDashboard;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request to the dashboard, signed in (the page's token header) unless `auth` says otherwise. */
function call(method: string, path: string, opts: { headers?: Record<string, string>; body?: string; base?: string; auth?: Record<string, string> | null } = {}): Promise<Answer> {
  const base = new URL(opts.base ?? dashboard.baseUrl);
  // The request-target goes out as written (a URL object would resolve `.` and `..` first).
  const target = /^https?:/.test(path) ? new URL(path).pathname + new URL(path).search : path;
  const auth = opts.auth === undefined ? dashboard.headers : opts.auth;
  return new Promise((resolve, reject) => {
    const headers = { ...(opts.body ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...(auth ?? {}), ...(opts.headers ?? {}) };
    const req = httpRequest({ host: base.hostname, port: base.port, path: target, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  const dir = makeTempDir(cleanup, 'everynode-dashboard-proxy-');
  server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', controllers: false });
  cleanup.defer(() => server.close());
  const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
  cleanup.defer(() => transport.destroy());
  dashboard = await startDashboard({ transport: transport.request, listen: '127.0.0.1:0' });
  cleanup.defer(() => dashboard.close());
});

afterAll(() => cleanup.run());

describe('dashboard server', () => {
  it('signs a browser in with the printed URL and refuses everyone else, reads included', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const token = new URL(dashboard.url).searchParams.get('token')!;
    expect(dashboard.headers).toEqual({ 'x-everynode-dashboard-token': token });
    // The printed URL serves the page (which keeps the token in localStorage); no cookie is set:
    // a browser would send it to every other port of the host.
    const login = await call('GET', `/${new URL(dashboard.url).search}&refresh=0`, { auth: null });
    expect(login.status).toBe(200);
    expect(login.headers['set-cookie']).toBeUndefined();
    expect(login.headers['referrer-policy']).toBe('no-referrer');
    expect(login.text).toContain("localStorage.setItem(TOKEN_KEY, given)");
    // The page itself is code without data, served to anyone; everything else needs the token.
    const anonymousPage = await call('GET', '/', { auth: null });
    expect(anonymousPage.status).toBe(200);
    expect(anonymousPage.text).not.toContain(token);
    const wrong = await call('GET', '/?token=wrong', { auth: null });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That sign-in token is not valid');
    // Readable on a phone: the page says its language and takes the device's width.
    expect(wrong.text).toContain('<html lang="en">');
    expect(wrong.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    const anonymousApi = await call('GET', '/api/v1/namespaces', { auth: null });
    expect(anonymousApi.status).toBe(401);
    expect(anonymousApi.headers['x-everynode-dashboard-session']).toBe('invalid');
    expect(JSON.parse(anonymousApi.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    expect((await call('GET', '/api/v1/namespaces', { auth: { 'x-everynode-dashboard-token': `${token}x` } })).status).toBe(401);
    // A cookie holding the token (what a browser would have sent to another port) opens nothing.
    expect((await call('GET', '/api/v1/namespaces', { auth: { cookie: `everynode-dashboard-${new URL(dashboard.url).port}=${token}` } })).status).toBe(401);
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('serves the self-contained page with a strict content security policy', async () => {
    const r = await call('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(r.headers['content-security-policy'])).toContain("connect-src 'self'");
    // Only the page's own script may run (its hash), never another inline script.
    expect(String(r.headers['content-security-policy'])).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(r.text).toContain('<title>everynode dashboard</title>');
    // Nothing loaded from elsewhere.
    expect(r.text).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']https?:/i);
  });

  it('forwards API reads with the cluster credentials, and streams watches', async () => {
    const ns = await call('GET', '/api/v1/namespaces');
    expect(ns.status).toBe(200);
    expect(JSON.parse(ns.text).items.map((n: { metadata: { name: string } }) => n.metadata.name)).toContain('default');
    expect(JSON.parse((await call('GET', '/version')).text).gitVersion).toMatch(/^v1\.32\./);
    const missing = await call('GET', '/api/v1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ kind: 'Status', reason: 'NotFound' });

    // A watch through the dashboard: the event arrives while the stream stays open.
    const seen: string[] = [];
    const url = new URL('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=20', dashboard.baseUrl);
    const watch = httpRequest(url, { headers: dashboard.headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => seen.push(c));
    });
    watch.end();
    cleanup.defer(() => {
      watch.destroy();
    });
    await new Promise((r) => setTimeout(r, 200));
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', {
      headers: { 'content-type': 'application/json', 'x-everynode-dashboard': '1' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'through-dashboard' }, data: { a: '1' } }),
    });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (!seen.join('').includes('through-dashboard') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen.join('')).toContain('"type":"ADDED"');
    watch.destroy();
  });

  it('answers a watch at once, before its first event', async () => {
    const list = JSON.parse((await call('GET', '/api/v1/namespaces/default/configmaps')).text) as { metadata: { resourceVersion: string } };
    const url = new URL(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=20`, dashboard.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const watch = httpRequest(url, { headers: dashboard.headers }, (res) => {
        resolve(res.statusCode ?? 0);
        watch.destroy();
      });
      watch.on('error', reject);
      watch.end();
      setTimeout(() => {
        watch.destroy();
        reject(new Error('no answer within 3 s to a watch without events'));
      }, 3_000).unref();
    });
    expect(status).toBe(200);
  });

  it('keeps answering reads while many tabs hold watches open (more than its request connections)', async () => {
    // Twelve tabs of four watches: 48 upstream watches, beyond the 32 connections requests share.
    const paths = ['/api/v1/nodes', '/apis/apps/v1/daemonsets', '/api/v1/pods', '/api/v1/events'].map((p) => `path=${encodeURIComponent(`${p}?watch=1&timeoutSeconds=30`)}`).join('&');
    const open: Array<ReturnType<typeof httpRequest>> = [];
    try {
      await Promise.all(
        Array.from({ length: 12 }, () =>
          new Promise<void>((resolve, reject) => {
            const req = httpRequest(new URL(`/dashboard/watch?${paths}`, dashboard.baseUrl), { headers: dashboard.headers }, (res) => {
              expect(res.statusCode).toBe(200);
              resolve();
            });
            open.push(req);
            req.on('error', reject);
            req.end();
          }),
        ),
      );
      const started = Date.now();
      const answers = await Promise.all([1, 2, 3].map(() => call('GET', '/api/v1/namespaces')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const r of open) r.destroy();
    }
  });

  it('multiplexes watches for the page: tagged events, a 410 relayed, and the answer ends with the first watch', async () => {
    const list = JSON.parse((await call('GET', '/api/v1/namespaces/default/configmaps')).text) as { metadata: { resourceVersion: string } };
    const rv = list.metadata.resourceVersion;
    const q = (paths: string[]) => '/dashboard/watch?' + paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
    const lines: string[] = [];
    let ended = false;
    const url = new URL(q([`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=3`, `/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${rv}&timeoutSeconds=20`]), dashboard.baseUrl);
    const watch = httpRequest(url, { headers: dashboard.headers }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        lines.push(...parts);
      });
      res.on('end', () => (ended = true));
    });
    watch.end();
    cleanup.defer(() => {
      watch.destroy();
    });
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', {
      headers: { 'content-type': 'application/json', 'x-everynode-dashboard': '1' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'multiplexed' }, data: { a: '1' } }),
    });
    expect(created.status).toBe(201);
    await waitFor(() => lines.some((l) => l.includes('"multiplexed"')), { timeoutMs: 5_000 });
    const first = JSON.parse(lines.find((l) => l.includes('"multiplexed"'))!) as { watch: number; event: { type: string; object: { metadata: { name: string } } } };
    expect(first).toMatchObject({ watch: 0, event: { type: 'ADDED', object: { metadata: { name: 'multiplexed' } } } });
    // The configmaps watch times out after 3 s: the whole answer ends (the secrets watch too).
    await waitFor(() => ended, { timeoutMs: 10_000 });

    // A resourceVersion this store never had: the API server's 410 comes through as an ERROR event.
    const expired = await call('GET', q(['/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=999999999', `/api/v1/nodes?watch=true&resourceVersion=${rv}`]));
    expect(expired.status).toBe(200);
    const msgs = expired.text.trim().split('\n').map((l) => JSON.parse(l) as { watch: number; event?: { type: string; object: { code?: number } } });
    expect(msgs).toEqual([expect.objectContaining({ watch: 0, event: expect.objectContaining({ type: 'ERROR', object: expect.objectContaining({ code: 410, reason: 'Expired' }) }) })]);

    // Only watches of forwardable API paths, signed in, with GET.
    expect((await call('GET', q(['/api/v1/namespaces']))).status).toBe(400);
    expect((await call('GET', q(['/api/v1/namespaces/default/pods/x/exec?watch=1']))).status).toBe(400);
    expect((await call('GET', q(['/version?watch=1']))).status).toBe(400);
    expect((await call('GET', '/dashboard/watch')).status).toBe(400);
    expect((await call('GET', q(['/api/v1/nodes?watch=1']), { auth: null })).status).toBe(401);
    expect((await call('POST', q(['/api/v1/nodes?watch=1']), { headers: { 'x-everynode-dashboard': '1' } })).status).toBe(405);
  });

  it('refuses writes without the dashboard header, preflights, foreign Host names and unknown paths', async () => {
    const body = JSON.stringify({ data: { a: '2' } });
    const plain = await call('PATCH', '/api/v1/namespaces/default/configmaps/through-dashboard', { headers: { 'content-type': 'application/merge-patch+json' }, body });
    expect(plain.status).toBe(403);
    expect(JSON.parse(plain.text).message).toContain('X-Everynode-Dashboard: 1');
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/through-dashboard');
    expect(del.status).toBe(403);
    // Nothing changed.
    expect(JSON.parse((await call('GET', '/api/v1/namespaces/default/configmaps/through-dashboard')).text).data).toEqual({ a: '1' });

    const ok = await call('PATCH', '/api/v1/namespaces/default/configmaps/through-dashboard', {
      headers: { 'content-type': 'application/merge-patch+json', 'x-everynode-dashboard': '1' },
      body,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).data).toEqual({ a: '2' });

    expect((await call('OPTIONS', '/api/v1/namespaces')).status).toBe(405);
    const rebinding = await call('GET', '/api/v1/namespaces', { headers: { host: `evil.example:${new URL(dashboard.url).port}` } });
    expect(rebinding.status).toBe(403);
    expect((await call('GET', '/api/v1/namespaces', { headers: { host: `localhost:${new URL(dashboard.url).port}` } })).status).toBe(200);
    expect((await call('GET', '/etc/passwd')).status).toBe(404);
    expect((await call('GET', '/apis-something')).status).toBe(404);
    // Paths a front proxy might collapse, and answers that come from pods and nodes.
    for (const p of ['/api/../x', '/api/v1/%2e%2e/x', '/api//v1/namespaces', '/api/v1/namespaces/default/pods/x/proxy', '/api/v1/nodes/n/proxy/metrics', '/api/..%5cx', '/api/v1/./nodes', '/api/v1/namespaces/default/pods/x/%70roxy/', '/api/v1/namespaces/default/pods/x/%65xec', '/api/v1/namespaces/%E0%A4%A/pods']) {
      const r = await call('GET', p);
      expect(r.status, p).toBe(404);
    }
    // Forwarded answers are sandboxed: nothing they contain runs as this origin.
    expect(String((await call('GET', '/api/v1/namespaces')).headers['content-security-policy'])).toContain('sandbox');
    // An oversized body is a 413 Status, not a reset connection.
    const big = await call('POST', '/api/v1/namespaces/default/configmaps', {
      headers: { 'content-type': 'application/json', 'x-everynode-dashboard': '1' },
      body: JSON.stringify({ data: { x: 'y'.repeat(3.5 * 1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ reason: 'RequestEntityTooLarge' });
  });

  it('listens on loopback only, takes a free port when asked and the port is taken, and answers 502 when the API is gone', async () => {
    const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
    cleanup.defer(() => transport.destroy());
    await expect(startDashboard({ transport: transport.request, listen: '0.0.0.0:0' })).rejects.toThrow(/loopback/);
    const taken = new URL(dashboard.url).port;
    await expect(startDashboard({ transport: transport.request, listen: `127.0.0.1:${taken}` })).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringMatching(new RegExp(`^dashboard: cannot listen on 127\\.0\\.0\\.1:${taken}: listen EADDRINUSE`)) });
    const other = await startDashboard({ transport: transport.request, listen: `127.0.0.1:${taken}`, fallbackToFreePort: true });
    cleanup.defer(() => other.close());
    expect(new URL(other.url).port).not.toBe(taken);
    // Each dashboard has its own login: one's token does not open the other.
    expect((await call('GET', '/api/v1/namespaces', { base: other.baseUrl })).status).toBe(401);
    // A kept token is replaced when the usual port is taken (whatever holds it could read the
    // kept token from a browser opening the old address).
    const kept = 'k'.repeat(43);
    const moved = await startDashboard({ transport: transport.request, listen: `127.0.0.1:${taken}`, fallbackToFreePort: true, token: kept, tokenOnFallback: () => 'n'.repeat(43) });
    cleanup.defer(() => moved.close());
    expect(new URL(moved.url).searchParams.get('token')).toBe('n'.repeat(43));
    expect((await call('GET', '/api/v1/namespaces', { base: moved.baseUrl, auth: { 'x-everynode-dashboard-token': kept } })).status).toBe(401);
    expect((await call('GET', '/api/v1/namespaces', { base: moved.baseUrl, auth: moved.headers })).status).toBe(200);
    const free = await startDashboard({ transport: transport.request, listen: '127.0.0.1:0', fallbackToFreePort: true, token: kept, tokenOnFallback: () => 'n'.repeat(43) });
    cleanup.defer(() => free.close());
    expect(new URL(free.url).searchParams.get('token')).toBe(kept); // its own port: the kept token

    // An API server address where nothing listens.
    const hole = createServer();
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const port = (hole.address() as AddressInfo).port;
    await new Promise((r) => hole.close(r));
    const dead = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath), server: `https://127.0.0.1:${port}` });
    cleanup.defer(() => dead.destroy());
    const orphan = await startDashboard({ transport: dead.request, listen: '127.0.0.1:0' });
    cleanup.defer(() => orphan.close());
    const r = await call('GET', '/api/v1/nodes', { base: orphan.baseUrl, auth: orphan.headers });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text)).toMatchObject({ kind: 'Status', code: 502, message: expect.stringContaining('cannot reach the API server') });
  });
});

describe('everynode dashboard', () => {
  it('serves the cluster of a kubeconfig until SIGTERM, and says so when there is no kubeconfig', async () => {
    const p = spawnNode(cleanup, [everynodeBin, 'dashboard', '--kubeconfig', server.kubeconfigPath, '--listen', '127.0.0.1:0']);
    const url = await waitFor(() => /everynode dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+) /.exec(p.output())?.[1], { timeoutMs: 20_000, message: `dashboard started; output:\n${p.output()}` });
    const login = await call('GET', url, { base: url, auth: null });
    expect(login.status).toBe(200);
    const auth = { 'x-everynode-dashboard-token': new URL(url).searchParams.get('token')! };
    expect((await call('GET', '/version', { base: url, auth: null })).status).toBe(401);
    const v = await call('GET', '/version', { base: url, auth });
    expect(v.status).toBe(200);
    expect(JSON.parse(v.text).gitVersion).toMatch(/^v1\.32\./);
    p.signalGroup('SIGTERM');
    expect((await p.exited).code).toBe(0);

    const missing = await runCommand(process.execPath, [everynodeBin, 'dashboard', '--kubeconfig', '/nonexistent/kubeconfig.yaml'], { timeoutMs: 20_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no kubeconfig at /nonexistent/kubeconfig.yaml');
  });
});

