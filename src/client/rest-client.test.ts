import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { isAlreadyExists, isNotFound, isResourceExpired } from './errors.js';
import { HttpTransport } from './http-transport.js';
import { loadKubeconfig } from './kubeconfig.js';
import { daemonSetsResource, podsResource } from './resources.js';
import { RestClient } from './rest-client.js';

// A canned HTTP peer for the transport and decoder: it checks what the client sends and
// answers fixed bodies. It is not a model of the apiserver.
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function serve(handler: http.RequestListener): Promise<{ url: string; seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> }> {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

function client(url: string, token?: string): RestClient {
  const t = new HttpTransport({ server: url, token });
  cleanups.push(() => t.destroy());
  return new RestClient(t.request);
}

describe('RestClient over HttpTransport', () => {
  it('builds paths, sends JSON and bearer token, maps Status errors to typed errors', async () => {
    const { url, seen } = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/apis/apps/v1/namespaces/ns1/daemonsets/missing') {
        res.statusCode = 404;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', message: 'daemonsets.apps "missing" not found', code: 404 }));
        return;
      }
      if (req.method === 'POST') {
        res.statusCode = 409;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'AlreadyExists', message: 'pods "p" already exists', code: 409 }));
        return;
      }
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }));
    });
    const c = client(url, 'tok');
    await expect(c.get(daemonSetsResource, 'ns1', 'missing')).rejects.toSatisfy(isNotFound);
    const pod: Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
    await expect(c.create(podsResource, 'ns1', pod)).rejects.toSatisfy(isAlreadyExists);
    const l = await c.list(podsResource, { namespace: 'ns1', labelSelector: 'app in (x,y)' });
    expect(l.metadata.resourceVersion).toBe('7');
    expect(seen[1]!.body).toBe(JSON.stringify({ ...pod, apiVersion: 'v1', kind: 'Pod' }));
    expect(seen[1]!.headers['content-type']).toBe('application/json');
    expect(seen[2]!.url).toBe('/api/v1/namespaces/ns1/pods?labelSelector=app%20in%20(x%2Cy)');
    expect(seen.every((s) => s.headers['authorization'] === 'Bearer tok')).toBe(true);
    expect(seen[2]!.headers['connection']).toBe('keep-alive');
  });

  it('sends a request again when the server asks (429 or 5xx with Retry-After), up to maxRetries; not without the header', async () => {
    const status = (code: number, reason: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message: reason, code });
    let busy = 2;
    const { url, seen } = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.startsWith('/api/v1/namespaces/ns1/pods/busy') && busy-- > 0) {
        res.writeHead(busy === 1 ? 429 : 504, { 'Retry-After': '0' });
        res.end(status(busy === 1 ? 429 : 504, busy === 1 ? 'TooManyRequests' : 'Timeout'));
        return;
      }
      if (req.url?.startsWith('/api/v1/namespaces/ns1/pods/forever')) {
        res.writeHead(429, { 'Retry-After': '0' });
        res.end(status(429, 'TooManyRequests'));
        return;
      }
      if (req.url?.startsWith('/api/v1/namespaces/ns1/pods/budget')) {
        // A 429 without Retry-After (an eviction a disruption budget refuses) is the caller's.
        res.writeHead(429);
        res.end(status(429, 'TooManyRequests'));
        return;
      }
      res.end(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'busy' }, spec: { containers: [] } }));
    });
    const c = client(url);
    expect((await c.get<Pod>(podsResource, 'ns1', 'busy')).metadata.name).toBe('busy');
    expect(seen.filter((x) => x.url.endsWith('/busy'))).toHaveLength(3);
    await expect(c.get(podsResource, 'ns1', 'budget')).rejects.toMatchObject({ code: 429 });
    expect(seen.filter((x) => x.url.endsWith('/budget'))).toHaveLength(1);
    const t = new HttpTransport({ server: url });
    cleanups.push(() => t.destroy());
    await expect(new RestClient(t.request, { maxRetries: 2 }).get(podsResource, 'ns1', 'forever')).rejects.toMatchObject({ code: 429 });
    expect(seen.filter((x) => x.url.endsWith('/forever'))).toHaveLength(3);
  });

  it('refuses a request about one object with an empty name before sending it (the path would name the collection)', async () => {
    const { url, seen } = await serve((_req, res) => res.end('{}'));
    const c = client(url);
    const empty = { metadata: { name: '' } } as Pod;
    for (const call of [() => c.get(podsResource, 'default', ''), () => c.delete(podsResource, 'default', ''), () => c.patch(podsResource, 'default', '', 'merge', {}), () => c.update(podsResource, 'default', empty), () => c.updateStatus(podsResource, 'default', empty)]) {
      await expect(call()).rejects.toThrow('resource name may not be empty');
    }
    expect(seen).toEqual([]);
  });

  it('patch sends the content type of its patch type', async () => {
    const { url, seen } = await serve((_req, res) => res.end('{"metadata":{"name":"p"}}'));
    await client(url).patch(podsResource, 'default', 'p', 'strategic', { metadata: { labels: { a: 'b' } } });
    expect(seen[0]!.method).toBe('PATCH');
    expect(seen[0]!.headers['content-type']).toBe('application/strategic-merge-patch+json');
  });

  it('patch with discardAnswer resolves with nothing on success and still rejects with the Status of a failure', async () => {
    const { url, seen } = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.includes('/missing/')) {
        res.statusCode = 404;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', message: 'pods "missing" not found', code: 404 }));
        return;
      }
      res.end('{"metadata":{"name":"p"},"status":{"phase":"Running"}}');
    });
    const c = client(url);
    await expect(c.patch(podsResource, 'default', 'p', 'merge', { status: { phase: 'Running' } }, { subresource: 'status', discardAnswer: true })).resolves.toBeUndefined();
    expect(seen[0]!.url).toBe('/api/v1/namespaces/default/pods/p/status');
    expect(JSON.parse(seen[0]!.body)).toEqual({ status: { phase: 'Running' } });
    await expect(c.patch(podsResource, 'default', 'missing', 'merge', {}, { subresource: 'status', discardAnswer: true })).rejects.toSatisfy(isNotFound);
    // Without the option the answer is decoded as before.
    await expect(c.patch<Pod>(podsResource, 'default', 'p', 'merge', {}, { subresource: 'status' })).resolves.toEqual({ metadata: { name: 'p' }, status: { phase: 'Running' } });
  });

  it('watch streams events split across chunks and ends when the server closes', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = '{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"3"}}}\n';
      res.write(text.slice(0, 10));
      setTimeout(() => {
        res.write(text.slice(10, 90));
        setTimeout(() => res.end(text.slice(90)), 5);
      }, 5);
    });
    const evs: string[] = [];
    const w = await client(url).watch(podsResource, { resourceVersion: '1', allowWatchBookmarks: true, timeoutSeconds: 30 }, (e) => evs.push(`${e.type}:${e.object.metadata.resourceVersion}`));
    await w.done;
    expect(evs).toEqual(['ADDED:2', 'BOOKMARK:3']);
    expect(seen[0]!.url).toBe('/api/v1/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=30');
  });

  it('watch refused with 410 rejects with an expired error', async () => {
    const { url } = await serve((_req, res) => {
      res.statusCode = 410;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', message: 'too old resource version: 1 (5)', code: 410 }));
    });
    await expect(client(url).watch(podsResource, { resourceVersion: '1' }, () => {})).rejects.toSatisfy(isResourceExpired);
  });

  it('stop() after the server ended the watch (an informer stopping on a 410 ERROR event) harms nothing: the kept-alive socket serves the next request', async () => {
    // Before: the abort destroyed the socket already back in the keep-alive pool with an
    // AbortError nobody listened to, and the process died (every agent, after a server restart).
    let n = 0;
    const { url } = await serve((_req, res) => {
      n++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}\n');
    });
    const c = client(url);
    const errors: unknown[] = [];
    const onUncaught = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onUncaught);
    cleanups.push(() => void process.off('uncaughtException', onUncaught));
    for (let i = 0; i < 10; i++) {
      let handle: Awaited<ReturnType<RestClient['watch']>> | undefined;
      let stopRequested = false;
      handle = await c.watch(podsResource, { resourceVersion: '1' }, (e) => {
        if (e.type !== 'ERROR') return;
        if (handle) handle.stop();
        else stopRequested = true;
      });
      await new Promise((r) => setTimeout(r, 5));
      if (stopRequested) handle.stop();
      await handle.done;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
    expect(n).toBe(10);
  });

  it('stop() ends a watch the server keeps open', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
    });
    const evs: string[] = [];
    const w = await client(url).watch(podsResource, {}, (e) => evs.push(e.type));
    while (evs.length === 0) await new Promise((r) => setTimeout(r, 2));
    w.stop();
    await w.done;
    expect(evs).toEqual(['ADDED']);
  });

  it('ends a watch with an error at a line that is no watch event (the caller re-watches from the last good revision)', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n{"type":"MODIF\n{"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"3"}}}\n');
    });
    const seen: string[] = [];
    const w = await client(url).watch(podsResource, {}, (e) => seen.push(e.type));
    await expect(w.done).rejects.toThrow(/malformed watch event/);
    expect(seen).not.toContain('DELETED');
  });

  it('ends a bookmark watch that stays silent past watchIdleTimeoutMs (a dead connection), not one without bookmarks', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"5"}}}\n');
    });
    const t = new HttpTransport({ server: url });
    cleanups.push(() => t.destroy());
    const c = new RestClient(t.request, { watchIdleTimeoutMs: 300 });
    const t0 = Date.now();
    const w = await c.watch(podsResource, { allowWatchBookmarks: true }, () => undefined);
    await w.done; // resolves: the caller watches again
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const quiet = await c.watch(podsResource, {}, () => undefined);
    let ended = false;
    void quiet.done.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 700));
    expect(ended).toBe(false);
    quiet.stop();
    await quiet.done;
  });
});

describe('loadKubeconfig', () => {
  it('resolves the current context, inline data, token files and relative paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'everynode-kubeconfig-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'ca.pem'), 'CA-PEM');
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: b',
        'clusters:',
        '- name: c1',
        '  cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.pem}',
        'users:',
        '- name: u1',
        `  user: {tokenFile: token, client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}`,
        'contexts:',
        '- name: a',
        '  context: {cluster: c1, user: u1}',
        '- name: b',
        '  context: {cluster: c1, user: u1, namespace: kube-system}',
      ].join('\n'),
    );
    const k = loadKubeconfig(path);
    expect(k.server).toBe('https://127.0.0.1:6443');
    expect(k.namespace).toBe('kube-system');
    expect(k.token).toBe('secret-token');
    expect(k.ca?.toString()).toBe('CA-PEM');
    expect(k.cert?.toString()).toBe('CERT');
    expect(k.key?.toString()).toBe('KEY');
    expect(loadKubeconfig(path, 'a').namespace).toBe('default');
    expect(() => loadKubeconfig(path, 'nope')).toThrow(/context "nope" not found/);
  });
});
