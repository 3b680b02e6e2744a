import { createDeflate, inflateSync, constants as zlibConstants, type Deflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HeaderDeflater, SPDY_DICTIONARY, SpdySession, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, type SpdyHeaders } from './spdy.js';

/** A client's header compressor: one zlib stream with the SPDY dictionary, sync-flushed per block (as Go's SPDY framer does). */
function clientCompressor(): (h: SpdyHeaders) => Promise<Buffer> {
  const z: Deflate = createDeflate({ dictionary: SPDY_DICTIONARY, level: 9 });
  let out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  return (h) =>
    new Promise((ok) => {
      z.write(encodeHeaderBlock(h));
      z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        const b = Buffer.concat(out);
        out = [];
        ok(b);
      });
    });
}

function synStream(id: number, block: Buffer, fin = false): Buffer {
  const p = Buffer.alloc(10);
  p.writeUInt32BE(id, 0);
  return controlFrame(1, fin ? 1 : 0, Buffer.concat([p, block]));
}

function session(opts: { maxFrameBytes?: number } = {}) {
  const sent: Buffer[] = [];
  const seen: string[] = [];
  const s = new SpdySession(
    (b) => {
      sent.push(b);
      return true;
    },
    {
      stream: (id, h, fin) => seen.push(`stream ${id} ${JSON.stringify([...h])}${fin ? ' fin' : ''}`),
      data: (id, d, fin) => seen.push(`data ${id} ${JSON.stringify(d.toString())}${fin ? ' fin' : ''}`),
      reset: (id, st) => seen.push(`reset ${id} ${st}`),
      goAway: () => seen.push('goaway'),
      error: (m) => seen.push(`error ${m}`),
    },
    opts,
  );
  return { s, sent, seen };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `done()` (header blocks inflate on zlib's thread pool, which a loaded machine can
 * hold up), at most 10 s, then 20 ms more so that anything unexpected still arrives to fail the
 * assertion that follows.
 */
async function settle(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done() && Date.now() < deadline; ) await sleep(5);
  await sleep(20);
}

describe('SPDY/3.1 framing (the server side of kubectl port-forward)', () => {
  it('builds the specification\'s header dictionary', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    expect(SPDY_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY_DICTIONARY.toString('latin1').endsWith('utf-,*,enq=0.')).toBe(true);
  });

  it('round-trips header blocks, several values joined by NUL', () => {
    const h: SpdyHeaders = new Map([['streamtype', ['data']], ['port', ['8080']], ['x', ['a', 'b']]]);
    expect([...decodeHeaderBlock(encodeHeaderBlock(h))]).toEqual([...h]);
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 0x61]))).toThrow(/truncated/);
    // Many headers (or values) are refused at once, in linear time: no block may hold the server up.
    const many = new Map<string, string[]>(Array.from({ length: 300 }, (_, i) => [`h${i}`, ['']]));
    expect(() => decodeHeaderBlock(encodeHeaderBlock(many))).toThrow(/more than 256/);
    const t0 = Date.now();
    expect(() => decodeHeaderBlock(encodeHeaderBlock(new Map([['a', Array.from({ length: 110_000 }, () => '')]])))).toThrow(/more than 256 values/);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('reads the streams a client opens, with compressed headers, in order, from bytes split anywhere', async () => {
    const { s, seen } = session();
    const compress = clientCompressor();
    const a = synStream(1, await compress(new Map([['streamtype', ['error']], ['port', ['80']], ['requestid', ['0']]])), false);
    const b = synStream(3, await compress(new Map([['streamtype', ['data']], ['port', ['80']], ['requestid', ['0']]])), false);
    const bytes = Buffer.concat([a, dataFrame(1, 1, Buffer.alloc(0)), b, dataFrame(3, 0, Buffer.from('GET /')), dataFrame(3, 1, Buffer.from('!'))]);
    for (let i = 0; i < bytes.length; i += 5) s.push(bytes.subarray(i, i + 5));
    await settle(() => seen.length >= 5);
    expect(seen).toEqual([
      'stream 1 [["streamtype",["error"]],["port",["80"]],["requestid",["0"]]]',
      'data 1 "" fin',
      'stream 3 [["streamtype",["data"]],["port",["80"]],["requestid",["0"]]]',
      'data 3 "GET /"',
      'data 3 "!" fin',
    ]);
  });

  it('writes replies whose header blocks any zlib reader takes, one block at a time', () => {
    const d = new HeaderDeflater();
    const one = d.block(new Map());
    const two = d.block(new Map([['a', ['b']]]));
    // Each block is complete on its own: a reader that has seen the blocks so far decodes them all.
    expect(inflateSync(one, { finishFlush: zlibConstants.Z_SYNC_FLUSH })).toEqual(encodeHeaderBlock(new Map()));
    expect(inflateSync(Buffer.concat([one, two]), { finishFlush: zlibConstants.Z_SYNC_FLUSH })).toEqual(Buffer.concat([encodeHeaderBlock(new Map()), encodeHeaderBlock(new Map([['a', ['b']]]))]));
    const { s, sent } = session();
    s.reply(5);
    expect(sent[0]!.subarray(0, 12)).toEqual(Buffer.from([0x80, 3, 0, 2, 0, 0, 0, sent[0]!.length - 8, 0, 0, 0, 5]));
  });

  it('splits large data into frames of 64 KiB and marks only the last with FIN', () => {
    const { s, sent } = session();
    s.data(7, Buffer.alloc(150_000), true);
    expect(sent.map((f) => [f.readUInt32BE(0), f[4], f.readUInt32BE(4) & 0xffffff])).toEqual([
      [7, 0, 65536],
      [7, 0, 65536],
      [7, 1, 150_000 - 131072],
    ]);
  });

  it('echoes a client ping, resets and goaway reach the handlers, and unknown control frames are ignored', async () => {
    const { s, sent, seen } = session();
    const ping = controlFrame(6, 0, Buffer.from([0, 0, 0, 1]));
    const rst = controlFrame(3, 0, Buffer.from([0, 0, 0, 3, 0, 0, 0, 5]));
    s.push(Buffer.concat([ping, controlFrame(0x77, 0, Buffer.alloc(3)), rst, controlFrame(7, 0, Buffer.alloc(8))]));
    await settle(() => seen.includes('goaway'));
    expect(sent).toEqual([ping]);
    expect(seen).toEqual(['reset 3 5', 'goaway']);
  });

  it('answers broken framing with a GOAWAY and reads nothing more', async () => {
    const big = session({ maxFrameBytes: 100 });
    big.s.push(dataFrame(1, 0, Buffer.alloc(101)));
    await settle(() => big.seen.includes('goaway'));
    expect(big.seen).toEqual(['error frame of 101 bytes is larger than 100', 'goaway']);
    expect(big.sent[0]!.readUInt16BE(2)).toBe(7);
    expect(big.sent[0]!.readUInt32BE(12)).toBe(1); // PROTOCOL_ERROR

    const garbled = session();
    garbled.s.push(synStream(1, Buffer.from('not zlib at all')));
    garbled.s.push(dataFrame(1, 0, Buffer.from('x')));
    await settle(() => garbled.seen.includes('goaway'));
    expect(garbled.seen[0]).toMatch(/^error /);
    expect(garbled.seen).toEqual([garbled.seen[0], 'goaway']);

    const even = session();
    even.s.push(synStream(2, Buffer.alloc(0)));
    await settle(() => even.seen.includes('goaway'));
    expect(even.seen).toEqual(['error invalid stream id 2', 'goaway']);
  });
});
