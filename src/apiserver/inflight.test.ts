import { EventEmitter } from 'node:events';
import { createServer, get as httpGet, type ServerResponse } from 'node:http';
import { connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { InflightLimiter } from './inflight.js';
import type { ResourceRoute } from './request-info.js';

const dev = { user: 'dev', groups: ['system:authenticated'] };
const route = (plural: string, name?: string, subresource?: string, namespace?: string): ResourceRoute => ({
  type: 'resource',
  group: '',
  version: 'v1',
  plural,
  watchPath: false,
  ...(namespace ? { namespace } : {}),
  ...(name ? { name } : {}),
  ...(subresource ? { subresource } : {}),
});
/** A response that stays open until closed. */
function openResponse(): ServerResponse & { close(): void } {
  const res = new EventEmitter();
  return Object.assign(res, { close: () => void res.emit('close') }) as never;
}

describe('InflightLimiter', () => {
  it('does not count the proxies and the other long-running subresources, nodes/proxy included', () => {
    const limiter = new InflightLimiter({ readOnly: 1, mutating: 1 });
    for (const r of [route('nodes', 'n1', 'proxy'), route('pods', 'p', 'proxy', 'default'), route('services', 's', 'proxy', 'default'), route('pods', 'p', 'log', 'default')]) {
      for (const method of ['GET', 'POST', 'GET', 'POST']) limiter.admit(method, r, false, dev, openResponse());
    }
    expect(limiter.inflight()).toEqual({ readOnly: 0, mutating: 0 });
  });

  it('counts a plain read of a node and refuses the next beyond the limit until it closes', () => {
    const limiter = new InflightLimiter({ readOnly: 1, mutating: 1 });
    const held = openResponse();
    limiter.admit('GET', route('nodes', 'n1'), false, dev, held);
    expect(() => limiter.admit('GET', route('nodes', 'n1', 'status'), false, dev, openResponse())).toThrow(ApiError);
    held.close();
    expect(limiter.inflight().readOnly).toBe(0);
  });

  it('does not count a request whose client left before it was admitted (HTTP/1.1 and HTTP/2): no slot is lost', async () => {
    const limiter = new InflightLimiter({ readOnly: 1, mutating: 1 });
    // The handler admits after a wait (authentication on a stalled store), by which time the
    // client has given up.
    const admitted: Promise<void>[] = [];
    const handler = (_req: unknown, res: ServerResponse): void => {
      admitted.push(
        new Promise<void>((resolve) =>
          setTimeout(() => {
            limiter.admit('GET', route('nodes', 'n1'), false, dev, res);
            resolve();
          }, 150),
        ),
      );
    };
    const h1 = createServer(handler);
    const h2 = createHttp2Server(handler as never);
    for (const s of [h1, h2]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    try {
      const r1 = httpGet({ host: '127.0.0.1', port: (h1.address() as AddressInfo).port });
      r1.on('error', () => {});
      const session = connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
      const r2 = session.request({ ':path': '/' });
      r2.on('error', () => {});
      await new Promise((r) => setTimeout(r, 30));
      r1.destroy();
      r2.close();
      await new Promise((r) => setTimeout(r, 30));
      while (admitted.length < 2) await new Promise((r) => setTimeout(r, 10));
      await Promise.all(admitted);
      expect(limiter.inflight().readOnly).toBe(0);
      session.close();
    } finally {
      h1.closeAllConnections();
      await Promise.all([h1, h2].map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
