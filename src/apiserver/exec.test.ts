import { describe, expect, it } from 'vitest';
import { LineDiscipline, WsReader, wsFrame } from './exec.js';

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

describe('LineDiscipline (kubectl exec -t on a runtime without terminals)', () => {
  it('echoes what is typed, edits the line, and sends it on Enter', () => {
    const ld = new LineDiscipline();
    const a = ld.input(Buffer.from('ecx\x7fho hi'));
    expect(a.echo.toString('latin1')).toBe('ecx\b \bho hi');
    expect(a.send.length).toBe(0);
    const b = ld.input(Buffer.from('\r'));
    expect([b.echo.toString(), b.send.toString()]).toEqual(['\r\n', 'echo hi\n']);
    const c = ld.input(Buffer.from('abc\x15ls\r'));
    expect(c.send.toString()).toBe('ls\n');
    expect(c.echo.toString('latin1')).toBe('abc\b \b\b \b\b \bls\r\n');
  });

  it('ends input on Ctrl-D at the start of a line, flushes the line otherwise; Ctrl-C interrupts', () => {
    const ld = new LineDiscipline();
    expect(ld.input(Buffer.from('x\x04'))).toMatchObject({ eof: false, interrupt: false });
    expect(ld.input(Buffer.from('\x04'))).toMatchObject({ eof: true, interrupt: false });
    const i = new LineDiscipline().input(Buffer.from('sleep 100\x03more'));
    expect(i).toMatchObject({ interrupt: true });
    expect(i.echo.toString()).toBe('sleep 100^C\r\n');
    expect(i.send.length).toBe(0);
  });

  it('puts CR before each lone LF of the output', () => {
    expect(LineDiscipline.output(Buffer.from('a\nb\r\nc\n')).toString()).toBe('a\r\nb\r\nc\r\n');
    const plain = Buffer.from('no newline');
    expect(LineDiscipline.output(plain)).toBe(plain);
  });
});
