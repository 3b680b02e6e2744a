// HttpTransport's two pools: open watches and followed logs never use up the connections that
// requests need (they did: 32 dashboard watches left every request waiting for good).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { constants as h2constants, createSecureServer, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import 'reflect-metadata';
import { ensurePki, type Pki } from '../auth/pki.js';
import { isConnectionError } from './failover-transport.js';
import { HttpTransport, isStream } from './http-transport.js';
import { readAll } from './transport.js';

const cleanups: Array<() => Promise<void> | void> = [];
const within = <T>(ms: number, p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(what)), ms))]);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('HttpTransport', () => {
  it('tells streams (watch, follow) from requests', () => {
    expect(isStream('/api/v1/pods?watch=1')).toBe(true);
    expect(isStream('/api/v1/pods?labelSelector=a&watch=true')).toBe(true);
    expect(isStream('/api/v1/namespaces/d/pods/p/log?follow=true&container=c')).toBe(true);
    expect(isStream('/api/v1/pods?watch=')).toBe(true);
    expect(isStream('/api/v1/watch/namespaces/d/pods')).toBe(true);
    expect(isStream('/apis/apps/v1/watch/daemonsets')).toBe(true);
    expect(isStream('/api/v1/namespaces/watch/pods')).toBe(false);
    expect(isStream('/api/v1/pods?watch=false')).toBe(false);
    expect(isStream('/api/v1/pods')).toBe(false);
    expect(isStream('/api/v1/namespaces/d/pods/p/log?follow=false')).toBe(false);
  });

  it('answers requests while more streams are open than it has request connections', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (isStream(req.url ?? '')) {
        // A watch without events: headers, then nothing until the test ends.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        held.push(res);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"kind":"PodList","items":[]}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }));
    const t = new HttpTransport({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxSockets: 2 });
    cleanups.push(() => t.destroy());

    const streams = await within(
      5_000,
      Promise.all(
        ['/api/v1/pods?watch=1', '/api/v1/nodes?watch=true', '/apis/apps/v1/daemonsets?watch=1', '/api/v1/namespaces/d/pods/p/log?follow=true'].map((path) =>
          t.request({ method: 'GET', path, headers: {} }),
        ),
      ),
      'streams waited for a connection',
    );
    expect(streams.map((s) => s.statusCode)).toEqual([200, 200, 200, 200]);
    expect(held).toHaveLength(4);
    // Four streams open, two request connections: requests still go through, several at once.
    const answers = await within(
      5_000,
      Promise.all([1, 2, 3].map(async () => readAll((await t.request({ method: 'GET', path: '/api/v1/pods?limit=1', headers: {} })).body))),
      'requests waited behind the open streams',
    );
    expect(answers).toEqual(Array(3).fill('{"kind":"PodList","items":[]}'));
    for (const r of held) r.end();
  });

  it('sends a safe request once more when its reused keep-alive connection is reset before any answer; not a POST', async () => {
    // The server resets the connection of every second request that arrives on a reused
    // connection, as a server closing an idle keep-alive connection does when a request meets it.
    let seen = 0;
    const resetOn = new Set<number>();
    const server = createServer((req, res) => {
      const n = ++seen;
      if (resetOn.has(n)) {
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`{"n":${n}}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }));
    const t = new HttpTransport({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxSockets: 1 });
    cleanups.push(() => t.destroy());
    const get = async (method: 'GET' | 'POST') => readAll((await t.request({ method, path: '/api/v1/pods', headers: {}, ...(method === 'POST' ? { body: '{}' } : {}) })).body);

    expect(await get('GET')).toBe('{"n":1}');
    resetOn.add(2);
    // Request 2 goes out on the kept-alive connection and is reset; 3 is its repetition.
    expect(await get('GET')).toBe('{"n":3}');
    resetOn.add(5);
    expect(await get('POST')).toBe('{"n":4}');
    // A POST may have been acted on: its reset is the caller's to handle.
    await expect(get('POST')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen).toBe(5);
  });
});

describe('HttpTransport over HTTP/2', () => {
  let pki: Pki;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h2-transport-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    pki = await ensurePki(dir);
  });

  /** An HTTPS server offering h2 (and HTTP/1.1 unless `h1Only`); counts its connections by protocol. */
  async function serve(handler: (path: string, res: Http2ServerResponse | ServerResponse, h2: boolean) => void, h1Only = false) {
    const seen = { h2Sessions: [] as ServerHttp2Session[], h1Requests: 0 };
    const tls = { key: pki.servingKeyPem, cert: pki.servingCertPem };
    const server = h1Only
      ? createHttpsServer(tls, (req, res) => {
          seen.h1Requests++;
          handler(req.url ?? '/', res, false);
        })
      : createSecureServer({ ...tls, allowHTTP1: true }, (req, res) => {
          if (req.httpVersionMajor < 2) seen.h1Requests++;
          handler(req.url ?? '/', res as Http2ServerResponse, req.httpVersionMajor >= 2);
        });
    if (!h1Only) (server as ReturnType<typeof createSecureServer>).on('session', (sess) => seen.h2Sessions.push(sess));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((ok) => {
      for (const sess of seen.h2Sessions) sess.destroy();
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => ok());
    }));
    const port = (server.address() as AddressInfo).port;
    const t = new HttpTransport({ server: `https://127.0.0.1:${port}`, ca: pki.caCertPem });
    cleanups.push(() => t.destroy());
    return { t, seen, port };
  }

  it('sends requests as streams of one connection and watches on another; the answers and the stream as over HTTP/1.1', async () => {
    let watch: Http2ServerResponse | ServerResponse | undefined;
    const { t, seen } = await serve((path, res) => {
      if (isStream(path)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        (res as ServerResponse).write('{"type":"ADDED"}\n');
        watch = res;
        return;
      }
      res.writeHead(path === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'x-path': path });
      res.end(`{"path":${JSON.stringify(path)}}`);
    });
    const w = await t.request({ method: 'GET', path: '/api/v1/pods?watch=1', headers: {} });
    expect(w.statusCode).toBe(200);
    const answers = await Promise.all(['/a', '/b', '/missing'].map((path) => t.request({ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: '{}' })));
    expect(answers.map((r) => [r.statusCode, r.headers['x-path']])).toEqual([[200, '/a'], [200, '/b'], [404, '/missing']]);
    expect(await readAll(answers[0]!.body)).toBe('{"path":"/a"}');
    watch!.end('{"type":"DELETED"}\n');
    expect(await readAll(w.body)).toBe('{"type":"ADDED"}\n{"type":"DELETED"}\n');
    // Two connections: the three requests shared one, the watch had the other to itself.
    expect(seen.h2Sessions).toHaveLength(2);
    expect(seen.h1Requests).toBe(0);
  });

  it('a stream the server refused unprocessed (REFUSED_STREAM, as a closing connection does) is sent once more, a POST too', async () => {
    const tries = new Map<string, number>();
    const { t } = await serve((path, res) => {
      const n = (tries.get(path) ?? 0) + 1;
      tries.set(path, n);
      if (path === '/always' || n === 1) {
        (res as Http2ServerResponse).stream.close(h2constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      res.writeHead(201);
      res.end('made');
    });
    const r = await t.request({ method: 'POST', path: '/once', headers: {}, body: '{}' });
    expect([r.statusCode, await readAll(r.body)]).toEqual([201, 'made']);
    expect(tries.get('/once')).toBe(2);
    // Refused again: one retry only, then a connection error for the caller.
    await expect(t.request({ method: 'POST', path: '/always', headers: {}, body: '{}' })).rejects.toMatchObject({ code: 'ECONNRESET', name: 'Http2RefusedStream' });
    expect(tries.get('/always')).toBe(2);
  });

  it('a server that picks http/1.1 in the handshake gets HTTP/1.1', async () => {
    const { t, seen } = await serve((_path, res) => res.end('ok'), true);
    for (let i = 0; i < 2; i++) expect(await readAll((await t.request({ method: 'GET', path: '/x', headers: {} })).body)).toBe('ok');
    expect(seen.h1Requests).toBe(2);
  });

  it('an abort before the answer rejects; during it, the body ends cut; a connection lost under a request is a connection error', async () => {
    const held: (Http2ServerResponse | ServerResponse)[] = [];
    const { t, seen } = await serve((path, res) => {
      if (path === '/half') {
        res.writeHead(200);
        (res as ServerResponse).write('partial');
      }
      held.push(res);
    });
    const early = new AbortController();
    const pending = t.request({ method: 'GET', path: '/never', headers: {}, signal: early.signal });
    await expect.poll(() => held.length).toBe(1);
    early.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    const late = new AbortController();
    const half = await t.request({ method: 'GET', path: '/half', headers: {}, signal: late.signal });
    const iter = half.body[Symbol.asyncIterator]();
    expect(String((await iter.next()).value)).toBe('partial');
    late.abort();
    const end = await within(5_000, (async () => {
      try {
        for (;;) if ((await iter.next()).done) return 'ended';
      } catch {
        return 'cut';
      }
    })(), 'the cut body did not end');
    expect(['ended', 'cut']).toContain(end);

    const lost = t.request({ method: 'GET', path: '/lost', headers: {} });
    await expect.poll(() => held.length).toBe(3);
    for (const sess of seen.h2Sessions) sess.destroy();
    const err = await lost.then(() => undefined, (e: unknown) => e);
    expect(isConnectionError(err), String(err) + ' ' + String((err as { code?: string }).code)).toBe(true);
    // The next request connects anew.
    const again = t.request({ method: 'GET', path: '/again', headers: {} });
    await expect.poll(() => held.length).toBe(4);
    held[3]!.end('back');
    expect(await readAll((await again).body)).toBe('back');
  });

  it('a connection that stops answering fails its streams once a request gives up on it, and the next request connects anew', async () => {
    const held: (Http2ServerResponse | ServerResponse)[] = [];
    const { seen, port } = await serve((_path, res) => {
      res.writeHead(200);
      (res as ServerResponse).write('{}\n');
      held.push(res);
    });
    // A relay that can go silent without closing anything (a host gone without a reset).
    const frozen = new Set<Socket>();
    let silent = false;
    const relay = createNetServer((down) => {
      const up = netConnect(port, '127.0.0.1');
      for (const [a, b] of [[down, up], [up, down]] as const) {
        a.on('data', (c: Buffer) => {
          if (!silent) b.write(c);
        });
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
      frozen.add(down);
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    cleanups.push(() => new Promise<void>((ok) => {
      for (const s of frozen) s.destroy();
      relay.close(() => ok());
    }));
    const t = new HttpTransport({ server: `https://127.0.0.1:${(relay.address() as AddressInfo).port}`, ca: pki.caCertPem, http2PingTimeoutMs: 300 });
    cleanups.push(() => t.destroy());
    const watch = await t.request({ method: 'GET', path: '/api/v1/pods?watch=1', headers: {} });
    const watchEnd = (async () => {
      try {
        for await (const _ of watch.body) void _;
        return 'ended';
      } catch (e) {
        return isConnectionError(e) ? 'connection error' : String(e);
      }
    })();
    silent = true;
    await expect(t.request({ method: 'GET', path: '/x', headers: {}, signal: AbortSignal.timeout(200) })).rejects.toThrow();
    // The PING finds nobody: the connection is dropped, and its watch ends with a connection error.
    expect(await within(5_000, watchEnd, 'the watch on the dead connection did not end')).toBe('connection error');
    silent = false;
    const again = await within(5_000, t.request({ method: 'GET', path: '/y', headers: {} }), 'no new connection');
    expect(again.statusCode).toBe(200);
    // The watch's connection and the new one (the request given up on never got past its handshake).
    expect(seen.h2Sessions.length).toBe(2);
  });
});
