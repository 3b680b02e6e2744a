import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FailoverTransport, ServerFailedError, isConnectionError, isNotSentError, parseServerList } from './failover-transport.js';
import { readAll } from './transport.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

const toClose: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

async function serve(handler: Handler): Promise<TestServer> {
  const hits: string[] = [];
  const srv = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((r) => {
      srv.close(() => r());
      srv.closeAllConnections();
    }));
  toClose.push(close);
  return { url, hits, close };
}

/** A URL on which nothing listens (a server that was closed). */
async function refusedUrl(): Promise<string> {
  const s = await serve(() => undefined);
  await s.close();
  return s.url;
}

const ok = (name: string): Handler => (req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ from: name, body }));
  });
};

function transport(servers: string[], extra: { requestTimeoutMs?: number } = {}): { t: FailoverTransport; failovers: string[]; failedAt: number[] } {
  const failovers: string[] = [];
  const failedAt: number[] = [];
  const t = new FailoverTransport({
    servers,
    ...extra,
    onFailover: (from, to) => {
      failovers.push(`${from} -> ${to}`);
      failedAt.push(Date.now());
    },
  });
  toClose.push(async () => t.destroy());
  return { t, failovers, failedAt };
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A server that streams a watch (one event, then nothing: the stream stays open) and answers
 * other requests, until `hang()`: from then on it answers nothing new, like a stopped process.
 * `watchesClosed` counts watch connections closed (seen from the server side).
 */
async function watchServer(name: string): Promise<TestServer & { hang(): void; watchesClosed: () => number }> {
  let hung = false;
  let closed = 0;
  const s = await serve((req, res) => {
    if (hung) return;
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { from: name } })}\n`);
      res.on('close', () => closed++);
      return;
    }
    ok(name)(req, res);
  });
  return { ...s, hang: () => (hung = true), watchesClosed: () => closed };
}

async function get(t: FailoverTransport, path = '/api/v1/pods'): Promise<{ status: number; from?: string }> {
  const r = await t.request({ method: 'GET', path, headers: {} });
  const text = await readAll(r.body);
  return { status: r.statusCode, ...(r.statusCode < 300 ? { from: (JSON.parse(text) as { from: string }).from } : {}) };
}

describe('FailoverTransport', () => {
  it('sticks to the first server while it answers, and moves on for good when it goes away', async () => {
    const a = await serve(ok('a'));
    const b = await serve(ok('b'));
    const { t, failovers } = transport([a.url, b.url]);
    expect(await get(t)).toEqual({ status: 200, from: 'a' });
    expect(await get(t)).toEqual({ status: 200, from: 'a' });
    expect(b.hits).toEqual([]);
    await a.close();
    expect(await get(t)).toEqual({ status: 200, from: 'b' });
    expect(t.currentServer).toBe(b.url);
    expect(failovers).toEqual([`${a.url} -> ${b.url}`]);
    expect(await get(t)).toEqual({ status: 200, from: 'b' });
    expect(failovers).toHaveLength(1);
  });

  it('retries a write whose connection was refused on the next server', async () => {
    const dead = await refusedUrl();
    const b = await serve(ok('b'));
    const { t } = transport([dead, b.url]);
    const r = await t.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', headers: {}, body: '{"x":1}' });
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(await readAll(r.body))).toEqual({ from: 'b', body: '{"x":1}' });
  });

  it('does not resend a write whose connection broke after sending; the next request goes elsewhere', async () => {
    const a = await serve((req) => req.socket.destroy());
    const b = await serve(ok('b'));
    const { t } = transport([a.url, b.url]);
    const err = await t.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', headers: {}, body: '{}' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConnectionError(err)).toBe(true);
    expect(isNotSentError(err)).toBe(false);
    expect(a.hits).toHaveLength(1);
    expect(b.hits).toEqual([]);
    expect(t.currentServer).toBe(b.url);
    const again = await t.request({ method: 'PUT', path: '/api/v1/namespaces/default/pods/p', headers: {}, body: '{}' });
    expect(again.statusCode).toBe(200);
  });

  it('retries a GET whose connection broke, even mid-body', async () => {
    const reset = await serve((req) => req.socket.destroy());
    const midBody = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"items":[');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const c = await serve(ok('c'));
    const { t, failovers } = transport([reset.url, midBody.url, c.url]);
    expect(await get(t)).toEqual({ status: 200, from: 'c' });
    expect(reset.hits).toHaveLength(1);
    expect(midBody.hits).toHaveLength(1);
    expect(failovers).toHaveLength(2);
  });

  it('treats 503 as a failure: a GET is retried elsewhere, a write gets the 503 and the next request moves on', async () => {
    const unavailable = await serve((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' }));
    });
    const b = await serve(ok('b'));
    const { t } = transport([unavailable.url, b.url]);
    expect(await get(t)).toEqual({ status: 200, from: 'b' });

    const { t: t2 } = transport([unavailable.url, b.url]);
    const w = await t2.request({ method: 'DELETE', path: '/api/v1/namespaces/default/pods/p', headers: {} });
    expect(w.statusCode).toBe(503);
    expect(JSON.parse(await readAll(w.body))).toMatchObject({ reason: 'ServiceUnavailable' });
    expect(b.hits).toHaveLength(1);
    expect(t2.currentServer).toBe(b.url);
  });

  it('answers the last 503 or throws the last connection error when every server failed', async () => {
    const unavailable = await serve((_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
    const dead = await refusedUrl();
    const { t } = transport([dead, unavailable.url]);
    expect(await get(t)).toEqual({ status: 503 });
    const { t: t2 } = transport([dead, await refusedUrl()]);
    const err = await get(t2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isNotSentError(err)).toBe(true);
  });

  it('abandons a server that does not answer within the request timeout', async () => {
    const hang = await serve(() => undefined);
    const b = await serve(ok('b'));
    const { t } = transport([hang.url, b.url], { requestTimeoutMs: 200 });
    expect(await get(t)).toEqual({ status: 200, from: 'b' });
    expect(hang.hits).toHaveLength(1);
  });

  it('hands a watch over as it streams and marks its server failed when the stream breaks', async () => {
    const a = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const b = await serve(ok('b'));
    const { t } = transport([a.url, b.url]);
    const r = await t.request({ method: 'GET', path: '/api/v1/pods?watch=true&resourceVersion=5', headers: {} });
    expect(r.statusCode).toBe(200);
    const chunks: string[] = [];
    const err = await (async () => {
      for await (const c of r.body) chunks.push(c.toString());
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(chunks.join('')).toContain('ADDED');
    expect(isConnectionError(err)).toBe(true);
    expect(t.currentServer).toBe(b.url);
  });

  it('ends the watches and requests still open on a server as soon as a request marks it failed', async () => {
    const a = await watchServer('a');
    const b = await watchServer('b');
    const { t, failovers, failedAt } = transport([a.url, b.url], { requestTimeoutMs: 1000 });
    const watchPath = '/api/v1/pods?watch=true&resourceVersion=5';
    const w = await t.request({ method: 'GET', path: watchPath, headers: {} });
    const it = w.body[Symbol.asyncIterator]();
    expect(String((await it.next()).value)).toContain('"from":"a"');

    a.hang();
    // The watch on a now gets nothing (no RST either): only the transport can end it.
    const watchEnd = it.next().then(
      (n) => ({ at: Date.now(), err: undefined as unknown, done: n.done }),
      (e: unknown) => ({ at: Date.now(), err: e, done: true }),
    );
    const first = get(t); // times out on a after 1000 ms, then is retried on b
    await new Promise((r) => setTimeout(r, 500));
    const secondStart = Date.now();
    const second = get(t); // would time out at +1000 ms on its own; is ended when `first` marks a failed
    expect(await first).toEqual({ status: 200, from: 'b' });
    expect(await second).toEqual({ status: 200, from: 'b' });
    expect(Date.now() - secondStart).toBeLessThan(900);
    expect(a.hits.filter((h) => !h.includes('watch'))).toHaveLength(2);
    expect(failovers).toEqual([`${a.url} -> ${b.url}`]);

    const end = await watchEnd;
    expect(end.err).toBeInstanceOf(ServerFailedError);
    expect(isConnectionError(end.err)).toBe(true);
    expect(isNotSentError(end.err)).toBe(false);
    expect(end.at - failedAt[0]!).toBeLessThan(500);
    // ... and its connection is gone, as the server sees it.
    await waitUntil(() => a.watchesClosed() === 1, 2000, 'the watch connection to a to close');

    // Watching again goes to b; the ended stream did not move the transport on again.
    const w2 = await t.request({ method: 'GET', path: watchPath, headers: {} });
    const it2 = w2.body[Symbol.asyncIterator]();
    expect(String((await it2.next()).value)).toContain('"from":"b"');
    await it2.return?.();
    expect(t.currentServer).toBe(b.url);
    expect(failovers).toHaveLength(1);
  });

  it('ends a watch on a server whose other watch broke, and a write in flight there goes to its caller', async () => {
    let writeRes: http.ServerResponse | undefined;
    const a = await serve((req, res) => {
      if (req.url?.includes('watch=true') && req.url.includes('break')) {
        res.writeHead(200);
        res.write('{"type":"ADDED","object":{}}\n');
        setTimeout(() => res.socket?.destroy(), 100);
        return;
      }
      if (req.url?.includes('watch=true')) {
        res.writeHead(200);
        res.write('{"type":"ADDED","object":{}}\n');
        return;
      }
      if (req.method === 'POST') {
        writeRes = res; // headers sent, body never finished
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.write('{"kind":');
      }
    });
    const b = await serve(ok('b'));
    const { t } = transport([a.url, b.url]);
    const keep = await t.request({ method: 'GET', path: '/api/v1/pods?watch=true', headers: {} });
    const post = await t.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', headers: {}, body: '{}' });
    expect(post.statusCode).toBe(201);
    const broken = await t.request({ method: 'GET', path: '/api/v1/pods?watch=true&break=1', headers: {} });
    const settle = (body: AsyncIterable<unknown>): Promise<unknown> =>
      readAll(body as AsyncIterable<Uint8Array>).then(
        () => 'ended',
        (e: unknown) => e,
      );
    const [k, p, br] = await Promise.race([
      Promise.all([settle(keep.body), settle(post.body), settle(broken.body)]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the streams on a were not ended')), 3000)),
    ]);
    expect(isConnectionError(br)).toBe(true);
    expect(br).not.toBeInstanceOf(ServerFailedError);
    expect(k).toBeInstanceOf(ServerFailedError);
    expect(p).toBeInstanceOf(ServerFailedError);
    expect(writeRes).toBeDefined();
    expect(t.currentServer).toBe(b.url);
    expect(b.hits).toEqual([]);
  });

  it('with a single server, a failure ends nothing else', async () => {
    let n = 0;
    const a = await serve((req, res) => {
      if (req.url?.includes('watch=true')) {
        res.writeHead(200);
        res.write('{"type":"ADDED","object":{}}\n');
        return;
      }
      if (n++ === 0) return; // the first plain request hangs
      ok('a')(req, res);
    });
    const { t } = transport([a.url], { requestTimeoutMs: 200 });
    const stopWatch = new AbortController();
    const w = await t.request({ method: 'GET', path: '/api/v1/pods?watch=true', headers: {}, signal: stopWatch.signal });
    const it = w.body[Symbol.asyncIterator]();
    await it.next();
    let watchSettled = false;
    void it.next().then(
      () => (watchSettled = true),
      () => (watchSettled = true),
    );
    await expect(get(t)).rejects.toThrow(/timed out/);
    expect(await get(t)).toEqual({ status: 200, from: 'a' });
    await new Promise((r) => setTimeout(r, 100));
    expect(watchSettled).toBe(false);
    stopWatch.abort();
    await waitUntil(() => watchSettled, 2000, 'the stopped watch to end');
  });

  it("does not fail over when the caller aborts", async () => {
    const hang = await serve(() => undefined);
    const b = await serve(ok('b'));
    const { t } = transport([hang.url, b.url]);
    const ac = new AbortController();
    const p = t.request({ method: 'GET', path: '/api/v1/pods', headers: {}, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow();
    expect(b.hits).toEqual([]);
    expect(t.currentServer).toBe(hang.url);
  });

  it('parses a --server list', () => {
    expect(parseServerList(' https://a:6443, https://b:6443,,')).toEqual(['https://a:6443', 'https://b:6443']);
    expect(() => new FailoverTransport({ servers: [] })).toThrow(/no servers/);
  });
});
