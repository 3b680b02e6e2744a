// HttpTransport's two pools: open watches and followed logs never use up the connections that
// requests need (they did: 32 dashboard watches left every request waiting for good).
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
