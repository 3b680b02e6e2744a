import { describe, expect, it } from 'vitest';
import { encodeQuery, encodeResponse, ipv6Bytes, parseQuery, QueryParseError, Rcode, readName, RRType, type ResourceRecord } from './message.js';

function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}

describe('DNS messages', () => {
  it('reads back a query it wrote, with the EDNS size and the name as sent', () => {
    const q = parseQuery(encodeQuery(0x1234, 'Web.Default.svc.cluster.local', RRType.SRV, { udpSize: 1232 }));
    expect(q).toEqual({ id: 0x1234, opcode: 0, rd: true, cd: false, question: { name: 'Web.Default.svc.cluster.local', type: RRType.SRV, class: 1 }, edns: { udpSize: 1232, version: 0 } });
  });

  it('answers nothing to a message shorter than a header or to a response', () => {
    expect(parseQuery(Buffer.alloc(11))).toBeUndefined();
    const response = encodeQuery(7, 'a.b', RRType.A);
    response.writeUInt16BE(0x8100, 2);
    expect(parseQuery(response)).toBeUndefined();
  });

  it('refuses malformed questions with FORMERR and other opcodes with NOTIMP, keeping the id', () => {
    const noQuestion = parseQuery(header(9, 0x0100, 0));
    expect(noQuestion).toBeInstanceOf(QueryParseError);
    expect(noQuestion).toMatchObject({ id: 9, rcode: Rcode.FORMERR });
    const status = parseQuery(Buffer.concat([header(10, 2 << 11, 1), Buffer.from([0, 0, 1, 0, 1])]));
    expect(status).toMatchObject({ id: 10, rcode: Rcode.NOTIMP, opcode: 2 });
    const cut = parseQuery(Buffer.concat([header(11, 0, 1), Buffer.from([3, 0x61, 0x62])]));
    expect(cut).toMatchObject({ id: 11, rcode: Rcode.FORMERR });
  });

  it('follows compression pointers backwards only, so a crafted message cannot loop', () => {
    // "a" at 12, then a name "b" + pointer to 12 at 15.
    const msg = Buffer.concat([header(1, 0, 1), Buffer.from([1, 0x61, 0]), Buffer.from([1, 0x62, 0xc0, 12])]);
    expect(readName(msg, 15)).toEqual({ name: 'b.a', next: 19 });
    const selfLoop = Buffer.concat([header(1, 0, 1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(parseQuery(selfLoop)).toMatchObject({ rcode: Rcode.FORMERR, message: 'bad name compression pointer' });
    const forward = Buffer.concat([header(1, 0, 1), Buffer.from([0xc0, 14, 0, 0, 1, 0, 1])]);
    expect(parseQuery(forward)).toMatchObject({ rcode: Rcode.FORMERR });
  });

  it('refuses names longer than 255 bytes', () => {
    const labels = Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])));
    const msg = Buffer.concat([header(3, 0, 1), labels, Buffer.from([0, 0, 1, 0, 1])]);
    expect(parseQuery(msg)).toMatchObject({ rcode: Rcode.FORMERR, message: 'name longer than 255 bytes' });
  });

  it('writes answers compressed and cuts them to the size with TC set', () => {
    const answers: ResourceRecord[] = Array.from({ length: 100 }, (_, i) => ({ name: 'ds.default.svc.cluster.local', type: RRType.A, ttl: 5, data: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
    const question = { name: 'ds.default.svc.cluster.local', type: RRType.A, class: 1 };
    const full = encodeResponse({ id: 5, opcode: 0, rcode: 0, aa: true, rd: true, cd: false, question, answers, authority: [], additional: [] }, 65535);
    // 12 header + 34 question + 100 × 16 (a 2-byte pointer for every owner name).
    expect(full.length).toBe(12 + 34 + 1600);
    expect(full.readUInt16BE(2) & 0x0200).toBe(0);
    expect(full.readUInt16BE(6)).toBe(100);
    const cut = encodeResponse({ id: 5, opcode: 0, rcode: 0, aa: true, rd: true, cd: false, question, answers, authority: [], additional: [] }, 512);
    expect(cut.length).toBeLessThanOrEqual(512);
    expect(cut.readUInt16BE(2) & 0x0200).toBe(0x0200);
    expect(cut.readUInt16BE(6)).toBe(Math.floor((512 - 46) / 16));
  });

  it('drops additional records that do not fit without setting TC', () => {
    const question = { name: 'x.cluster.local', type: RRType.SRV, class: 1 };
    const additional: ResourceRecord[] = Array.from({ length: 60 }, (_, i) => ({ name: `h${i}.x.cluster.local`, type: RRType.A, ttl: 5, data: '10.0.0.1' }));
    const out = encodeResponse({ id: 1, opcode: 0, rcode: 0, aa: true, rd: false, cd: false, question, answers: [], authority: [], additional }, 512);
    expect(out.readUInt16BE(2) & 0x0200).toBe(0);
    expect(out.readUInt16BE(10)).toBeLessThan(60);
  });

  it('writes IPv6 addresses in every textual form', () => {
    expect(ipv6Bytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipv6Bytes('fd00::a:1').toString('hex')).toBe('fd0000000000000000000000000a0001');
    expect(ipv6Bytes('::ffff:10.1.2.3').toString('hex')).toBe('00000000000000000000ffff0a010203');
    expect(ipv6Bytes('2001:db8:0:0:0:0:0:2').toString('hex')).toBe('20010db8000000000000000000000002');
  });
});
