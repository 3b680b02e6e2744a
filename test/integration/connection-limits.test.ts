// Connection limits of the API server's listener (security review: one client held thousands of
// connections open, with no request, with half a request head, or with a body that never came,
// until nobody else could connect). The real server over TLS, with its limits shortened.

import { connect as netConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let port: number;
const headersTimeoutMs = 800;

beforeAll(async () => {
  ts = await startTestServer(cleanup, { connectionLimits: { headersTimeoutMs, tlsHandshakeTimeoutMs: 800 } });
  port = Number(new URL(ts.server.url).port);
});
afterAll(() => cleanup.run());

/** A TLS connection to the server (handshake done); resolves its close time and what it received. */
async function open(): Promise<{ sock: TLSSocket; closed: Promise<{ afterMs: number; text: string }> }> {
  const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', () => resolve());
    sock.once('error', reject);
  });
  const t0 = Date.now();
  let text = '';
  sock.on('data', (c: Buffer) => (text += c.toString()));
  sock.on('error', () => undefined);
  const closed = new Promise<{ afterMs: number; text: string }>((resolve) => sock.once('close', () => resolve({ afterMs: Date.now() - t0, text })));
  cleanup.defer(() => {
    sock.destroy();
  }, 'test socket');
  return { sock, closed };
}

describe('connection limits', () => {
  it('closes a connection that sends no request at all', async () => {
    const { closed } = await open();
    const { afterMs, text } = await closed;
    expect(text).toBe('');
    expect(afterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 100);
    expect(afterMs).toBeLessThan(headersTimeoutMs + 5_000);
  });

  it('closes a connection whose TLS handshake never ends (nothing, or half a ClientHello, sent)', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])]) {
      const sock = netConnect({ host: '127.0.0.1', port });
      cleanup.defer(() => {
        sock.destroy();
      }, 'raw socket');
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', () => resolve());
        sock.once('error', reject);
      });
      if (bytes.length > 0) sock.write(bytes);
      const t0 = Date.now();
      sock.on('error', () => undefined);
      sock.resume();
      await new Promise<void>((resolve) => sock.once('close', () => resolve()));
      expect(Date.now() - t0).toBeLessThan(800 + 5_000);
    }
  });

  it('closes a connection whose request head never ends', async () => {
    const { sock, closed } = await open();
    sock.write('GET /version HTTP/1.1\r\nHost: x\r\n');
    const { afterMs } = await closed;
    expect(afterMs).toBeLessThan(headersTimeoutMs * 2 + 5_000);
  });

  it('answers an HTTP CONNECT with a 405 Status and closes the connection', async () => {
    const { sock, closed } = await open();
    sock.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const { text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  });

  it('keeps a connection that made a request, and answers it', async () => {
    const { sock, closed } = await open();
    sock.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, headersTimeoutMs + 300));
    sock.end();
    const { text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses a join without a token before reading its body, and does not keep the connection for the rest of it', async () => {
    const { sock, closed } = await open();
    sock.write('POST /everynode/v1/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{');
    const { afterMs, text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 401/);
    expect(text).toMatch(/connection: close/i);
    expect(afterMs).toBeLessThan(5_000);
  });

  it('a watch with no events for longer than the limits stays open until its own timeout', async () => {
    const { sock, closed } = await open();
    const t0 = Date.now();
    let endedAfterMs = -1;
    let collected = '';
    sock.on('data', (c: Buffer) => {
      collected += c.toString();
      // The chunked answer's last chunk: the watch is over.
      if (endedAfterMs < 0 && collected.endsWith('\r\n0\r\n\r\n')) endedAfterMs = Date.now() - t0;
    });
    sock.write(`GET /api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ts.adminToken}\r\n\r\n`);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (endedAfterMs >= 0) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    sock.end();
    const { text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(endedAfterMs).toBeGreaterThanOrEqual(2_500); // ended by its timeoutSeconds, not by the limits
  });
  // Last: it stops the server.
  it('a stop answers the request of a connection opened just before it, and closes idle keep-alive connections at once', async () => {
    const idle = await open();
    idle.sock.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
    const fresh = await open();
    const closing = ts.server.close();
    await new Promise((r) => setTimeout(r, 100));
    // Its request comes after the stop began: answered, and the connection ends with it.
    fresh.sock.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    const answered = await fresh.closed;
    expect(answered.text).toMatch(/^HTTP\/1\.1 200/);
    expect(answered.text.toLowerCase()).toContain('connection: close');
    const kept = await idle.closed;
    expect(kept.text.match(/HTTP\/1\.1 200/g)).toHaveLength(1);
    await closing;
  });
});
