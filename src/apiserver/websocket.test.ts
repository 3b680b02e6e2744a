// readPausably: a connection whose input is held (backpressure) still notices its client going
// away, reset or closed, through the pings written while it is paused.
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readPausably } from './websocket.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A connected pair: the server's socket (paused by readPausably, probing every 50 ms) and the client's. */
async function pair(): Promise<{ held: Socket; client: Socket; pings: () => number }> {
  let pings = 0;
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((s) => resolve(s));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = connect((server!.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  const held = await accepted;
  held.on('error', () => held.destroy());
  client.on('error', () => undefined);
  readPausably(held, () => {
    pings++;
    return Buffer.from('ping');
  }, 50).pause();
  // Input the server does not read: its buffers fill and it stops reading the socket.
  client.write(Buffer.alloc(8 * 1024 * 1024));
  await new Promise((r) => setTimeout(r, 100));
  return { held, client, pings: () => pings };
}

describe('readPausably', () => {
  it('closes a paused connection whose client reset it', async () => {
    const { held, client } = await pair();
    const closed = new Promise((r) => held.once('close', r));
    client.resetAndDestroy();
    await closed;
    expect(held.destroyed).toBe(true);
  });

  it('closes a paused connection whose client closed it (the ping after its end fails)', async () => {
    const { held, client, pings } = await pair();
    const closed = new Promise((r) => held.once('close', r));
    client.destroy();
    await closed;
    expect(pings()).toBeGreaterThanOrEqual(1);
  });

  it('pings nothing once resumed', async () => {
    const { held, client, pings } = await pair();
    readPausably(held, () => Buffer.alloc(0), 50).resume();
    await new Promise((r) => setTimeout(r, 200));
    const before = pings();
    expect(before).toBeGreaterThan(0);
    client.destroy();
    held.destroy();
  });
});
