import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeflate, constants as zlibConstants } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { servePortForward } from './port-forward.js';
import { SPDY_DICTIONARY, controlFrame, dataFrame, encodeHeaderBlock } from './spdy.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An agent stand-in: answers 200, never reads the request body, and ends after `endAfterMs`. */
async function agent(endAfterMs: number): Promise<number> {
  const srv = createServer((req, res) => {
    res.writeHead(200);
    res.flushHeaders();
    setTimeout(() => {
      res.end();
      setTimeout(() => req.socket.destroy(), 50);
    }, endAfterMs);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as AddressInfo).port;
}

function client() {
  const z = createDeflate({ dictionary: SPDY_DICTIONARY });
  const block = (h: Map<string, string[]>) =>
    new Promise<Buffer>((ok) => {
      const out: Buffer[] = [];
      const on = (c: Buffer) => out.push(c);
      z.on('data', on);
      z.write(encodeHeaderBlock(h));
      z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        z.off('data', on);
        ok(Buffer.concat(out));
      });
    });
  return async (id: number, type: string, requestId = '0') => {
    const p = Buffer.alloc(10);
    p.writeUInt32BE(id, 0);
    return controlFrame(1, 0, Buffer.concat([p, await block(new Map([['streamtype', [type]], ['port', ['80']], ['requestid', [requestId]]]))]));
  };
}

describe('port-forward sessions', () => {
  it('a forward that ends while the client is held for it lets the client be read again', async () => {
    const port = await agent(300);
    const syn = client();
    let held = 0;
    let released = 0;
    const sent: Buffer[] = [];
    const pf = servePortForward({ nodeName: 'n', ep: { host: '127.0.0.1', port }, namespace: 'ns', pod: 'p', kubeletClient: undefined }, {
      send: (b) => {
        sent.push(b);
        return true;
      },
      close: () => undefined,
      pause: () => held++,
      resume: () => released++,
    });
    pf.push(await syn(1, 'error'));
    pf.push(await syn(3, 'data'));
    await new Promise((r) => setTimeout(r, 50));
    // An upload the port never reads: the agent request fills up and the client is held.
    for (let i = 0; i < 200; i++) pf.push(dataFrame(3, 0, Buffer.alloc(32 * 1024, 1)));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(held).toBeGreaterThan(0);
    expect(released).toBe(1);
    // Both streams of the request were ended.
    const fins = sent.filter((b) => (b[0]! & 0x80) === 0 && b[4] === 1).map((b) => b.readUInt32BE(0));
    expect(fins.sort()).toEqual([1, 3]);
    pf.closed();
  });

  it('an error stream reset before its data stream came frees the request', async () => {
    const syn = client();
    const sent: Buffer[] = [];
    const pf = servePortForward({ nodeName: 'n', ep: { host: '127.0.0.1', port: 1 }, namespace: 'ns', pod: 'p', kubeletClient: undefined }, {
      send: (b) => {
        sent.push(b);
        return true;
      },
      close: () => undefined,
      pause: () => undefined,
      resume: () => undefined,
    });
    // 300 abandoned pairs would exhaust the 256 slots of a connection if they were kept.
    for (let i = 0; i < 300; i++) {
      pf.push(await syn(2 * i + 1, 'error', String(i)));
      const rst = Buffer.alloc(8);
      rst.writeUInt32BE(2 * i + 1, 0);
      rst.writeUInt32BE(5, 4); // CANCEL
      pf.push(controlFrame(3, 0, rst));
    }
    await new Promise((r) => setTimeout(r, 100));
    // Every SYN_STREAM was answered with a SYN_REPLY, none refused (RST_STREAM, type 3).
    const types = sent.filter((b) => (b[0]! & 0x80) !== 0).map((b) => b.readUInt16BE(2));
    expect(types.filter((t) => t === 2)).toHaveLength(300);
    expect(types.filter((t) => t === 3)).toHaveLength(0);
    pf.closed();
  });
});
