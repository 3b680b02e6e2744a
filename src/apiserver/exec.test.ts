import { describe, expect, it } from 'vitest';
import { WsReader, wsFrame } from './exec.js';

/** A client frame: masked, as RFC 6455 requires of clients. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  return Buffer.concat([head, mask, body]);
}

function reader() {
  const seen: string[] = [];
  const r = new WsReader({
    message: (m) => seen.push(`msg:${m.toString('latin1')}`),
    ping: (d) => seen.push(`ping:${d.toString()}`),
    close: () => seen.push('close'),
    error: (e) => seen.push(`error:${e}`),
  });
  return { r, seen };
}

describe('WebSocket frames', () => {
  it('reads masked messages split anywhere, long ones, fragments joined, pings and the close', () => {
    const { r, seen } = reader();
    const long = Buffer.alloc(300, 'x');
    const bytes = Buffer.concat([
      clientFrame(0x2, Buffer.from('\u0000hello')),
      clientFrame(0x2, long),
      clientFrame(0x2, Buffer.from('\u0000ab'), false),
      clientFrame(0x0, Buffer.from('cd')),
      clientFrame(0x9, Buffer.from('p')),
      clientFrame(0x8, Buffer.from([0x03, 0xe8])),
    ]);
    for (let i = 0; i < bytes.length; i += 7) r.push(bytes.subarray(i, i + 7));
    expect(seen).toEqual(['msg:\u0000hello', `msg:${'x'.repeat(300)}`, 'msg:\u0000abcd', 'ping:p', 'close']);
  });

  it('refuses unmasked client frames', () => {
    const { r, seen } = reader();
    r.push(wsFrame(0x2, Buffer.from('x')));
    expect(seen).toEqual(['error:client frames must be masked']);
  });

  it('writes server frames with the length form the size needs', () => {
    expect([...wsFrame(0x2, Buffer.from('ab'))]).toEqual([0x82, 2, 0x61, 0x62]);
    expect([...wsFrame(0x2, Buffer.alloc(200)).subarray(0, 4)]).toEqual([0x82, 126, 0, 200]);
    const big = wsFrame(0x2, Buffer.alloc(70_000));
    expect(big[1]).toBe(127);
    expect(Number(big.readBigUInt64BE(2))).toBe(70_000);
  });
});
