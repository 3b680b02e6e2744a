// DNS messages on the wire (RFC 1035 §4, RFC 2782 SRV, RFC 3596 AAAA, RFC 6891 EDNS(0)): the
// reading of queries and the writing of answers for the cluster DNS.
//
// Contracts:
// - parseQuery never throws on bytes from the network: it returns a ParsedQuery or a
//   QueryParseError holding the id when the 12-byte header was readable (so the server can
//   answer FORMERR), or nothing to answer with (shorter than a header, or a response).
// - Names are read with compression pointers followed (only backwards, at most 64 jumps, at
//   most 255 bytes), so a crafted message cannot loop or grow.
// - encodeResponse writes names compressed (each suffix once), echoes the question as sent (its
//   case kept), and fits the message into `maxSize`: records that do not fit are dropped from the
//   end, additional first, and the TC bit is set when an answer or authority record was dropped
//   (the client then asks again over TCP).

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, ANY: 255 } as const;

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** The smallest answer every client takes over UDP (RFC 1035); EDNS(0) clients say more. */
export const UDP_DEFAULT_SIZE = 512;
/** The most this server answers over UDP whatever a client offers (the usual EDNS buffer). */
export const UDP_MAX_SIZE = 4096;
/** A TCP message's length is two bytes. */
export const TCP_MAX_SIZE = 65535;

export interface Question {
  /** As sent (case kept), without the trailing dot; '' is the root. */
  name: string;
  type: number;
  class: number;
}

export interface ParsedQuery {
  id: number;
  opcode: number;
  /** Recursion desired (echoed). */
  rd: boolean;
  /** Checking disabled (echoed). */
  cd: boolean;
  question: Question;
  /** The EDNS(0) UDP payload size the client offered, when it sent an OPT record. */
  edns?: { udpSize: number; version: number };
}

export class QueryParseError extends Error {
  constructor(
    message: string,
    /** The query's id when its header was readable: answer FORMERR (or NOTIMP) with it. */
    readonly id: number | undefined,
    readonly rcode: number = Rcode.FORMERR,
    readonly opcode = 0,
  ) {
    super(message);
  }
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** One resource record; `data` by type: A/AAAA an address, CNAME/PTR/NS a name, TXT strings. */
export type ResourceRecord =
  | { name: string; type: 1 | 28; ttl: number; data: string }
  | { name: string; type: 2 | 5 | 12; ttl: number; data: string }
  | { name: string; type: 16; ttl: number; data: string[] }
  | { name: string; type: 33; ttl: number; data: SrvData }
  | { name: string; type: 6; ttl: number; data: SoaData };

export interface Response {
  id: number;
  opcode: number;
  rcode: number;
  /** Authoritative answer (names of the cluster zone). */
  aa: boolean;
  rd: boolean;
  cd: boolean;
  question?: Question;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** Answer with an OPT record (the query had one). */
  edns?: { udpSize: number };
}

const MAX_NAME = 255;
const MAX_JUMPS = 64;

/** Reads a (possibly compressed) name at `offset`; returns it and the offset after it in place. */
export function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('name runs past the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Error('name pointer runs past the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (next < 0) next = pos + 2;
      // Only backwards: a pointer at or after itself could loop.
      if (target >= pos || ++jumps > MAX_JUMPS) throw new Error('bad name compression pointer');
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error('unknown label type');
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new Error('label runs past the message');
    length += len + 1;
    if (length > MAX_NAME) throw new Error('name longer than 255 bytes');
    labels.push(escapeLabel(buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** A label as text; dots and bytes outside printable ASCII are escaped (RFC 4343 style) so a name stays one string per wire name. */
function escapeLabel(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

/** Splits a presentation name into wire labels (the reverse of escapeLabel). */
function nameLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const out: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\') {
      const digits = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        cur.push(Number(digits));
        i += 3;
      } else if (i + 1 < name.length) {
        cur.push(name.charCodeAt(++i));
      }
    } else if (ch === '.') {
      out.push(Buffer.from(cur));
      cur = [];
    } else {
      cur.push(name.charCodeAt(i) & 0xff);
    }
  }
  if (cur.length > 0) out.push(Buffer.from(cur));
  return out;
}

/** Reads a query from the network. See the file's contract. */
export function parseQuery(buf: Buffer): ParsedQuery | QueryParseError | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: never answer one (no loops)
  const opcode = (flags >> 11) & 0xf;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (opcode !== 0) return new QueryParseError(`opcode ${opcode} not implemented`, id, Rcode.NOTIMP, opcode);
  if (qd !== 1) return new QueryParseError(`${qd} questions (want 1)`, id);
  try {
    const q = readName(buf, 12);
    if (q.next + 4 > buf.length) throw new Error('question runs past the message');
    const question: Question = { name: q.name, type: buf.readUInt16BE(q.next), class: buf.readUInt16BE(q.next + 2) };
    let pos = q.next + 4;
    let edns: ParsedQuery['edns'];
    // Answer and authority records are skipped; an OPT record in the additional section is read.
    for (let i = 0; i < an + ns + ar; i++) {
      const r = readName(buf, pos);
      pos = r.next;
      if (pos + 10 > buf.length) throw new Error('record runs past the message');
      const type = buf.readUInt16BE(pos);
      const rdlen = buf.readUInt16BE(pos + 8);
      if (type === RRType.OPT && i >= an + ns) {
        if (r.name !== '' || edns) throw new Error('bad OPT record');
        edns = { udpSize: Math.max(UDP_DEFAULT_SIZE, buf.readUInt16BE(pos + 2)), version: buf[pos + 5]! };
      }
      pos += 10 + rdlen;
      if (pos > buf.length) throw new Error('record data runs past the message');
    }
    return { id, opcode, rd: (flags & 0x0100) !== 0, cd: (flags & 0x0010) !== 0, question, ...(edns ? { edns } : {}) };
  } catch (err) {
    return new QueryParseError(err instanceof Error ? err.message : String(err), id);
  }
}

/** Writes names with compression: each suffix once, later ones as pointers to it. */
class Writer {
  private buf = Buffer.alloc(512);
  length = 0;
  private readonly offsets = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }

  name(name: string, compress = true): void {
    const labels = nameLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map((l) => l.toString('latin1').toLowerCase()).join('.');
      const at = compress ? this.offsets.get(key) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x4000) this.offsets.set(key, this.length);
      const l = labels[i]!.subarray(0, 63);
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  mark(): { length: number; offsets: Map<string, number> } {
    return { length: this.length, offsets: new Map(this.offsets) };
  }

  rewind(m: { length: number; offsets: Map<string, number> }): void {
    this.length = m.length;
    this.offsets.clear();
    for (const [k, v] of m.offsets) this.offsets.set(k, v);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function writeAddress(w: Writer, type: 1 | 28, ip: string): void {
  if (type === RRType.A) {
    const parts = ip.split('.').map(Number);
    w.u16(4);
    for (const p of parts) w.u8(p);
    return;
  }
  w.u16(16);
  w.bytes(ipv6Bytes(ip));
}

/** The 16 bytes of an IPv6 address in text form (with `::` and a trailing dotted IPv4 part). */
export function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = [v4[2], v4[3], v4[4], v4[5]].map(Number) as [number, number, number, number];
    text = `${v4[1]!}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const double = text.indexOf('::');
  const head = (double >= 0 ? text.slice(0, double) : text).split(':').filter((g) => g !== '');
  const tail = double >= 0 ? text.slice(double + 2).split(':').filter((g) => g !== '') : [];
  const groups = [...head, ...new Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i] ?? '0', 16) & 0xffff, i * 2);
  return out;
}

function writeRecord(w: Writer, r: ResourceRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(RRClass.IN);
  w.u32(r.ttl);
  switch (r.type) {
    case RRType.A:
    case RRType.AAAA:
      writeAddress(w, r.type, r.data);
      return;
    default:
      break;
  }
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  switch (r.type) {
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      w.name(r.data);
      break;
    case RRType.TXT:
      for (const s of r.data) {
        const b = Buffer.from(s, 'utf8').subarray(0, 255);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case RRType.SRV:
      w.u16(r.data.priority);
      w.u16(r.data.weight);
      w.u16(r.data.port);
      // RFC 2782: the target is not compressed.
      w.name(r.data.target, false);
      break;
    case RRType.SOA:
      w.name(r.data.mname);
      w.name(r.data.rname);
      w.u32(r.data.serial);
      w.u32(r.data.refresh);
      w.u32(r.data.retry);
      w.u32(r.data.expire);
      w.u32(r.data.minimum);
      break;
  }
  w.patchU16(lengthAt, w.length - start);
}

/** Writes a response of at most `maxSize` bytes (see the file's contract). */
export function encodeResponse(r: Response, maxSize: number): Buffer {
  const w = new Writer();
  w.u16(r.id);
  const flagsAt = w.length;
  w.u16(0);
  w.u16(r.question ? 1 : 0);
  const countsAt = w.length;
  w.u16(0);
  w.u16(0);
  w.u16(0);
  if (r.question) {
    w.name(r.question.name);
    w.u16(r.question.type);
    w.u16(r.question.class);
  }
  // The OPT record is written last but its room is kept from the start.
  const optSize = r.edns ? 11 : 0;
  let truncated = false;
  const sections: [ResourceRecord[], boolean][] = [
    [r.answers, true],
    [r.authority, true],
    [r.additional, false],
  ];
  const counts = [0, 0, 0];
  sections.forEach(([records, required], i) => {
    for (const rec of records) {
      if (truncated) break;
      const m = w.mark();
      writeRecord(w, rec);
      if (w.length + optSize > maxSize) {
        w.rewind(m);
        if (required) truncated = true;
        break;
      }
      counts[i]!++;
    }
  });
  if (r.edns) {
    w.u8(0); // root
    w.u16(RRType.OPT);
    w.u16(r.edns.udpSize);
    w.u32(0); // extended rcode 0, version 0, no flags
    w.u16(0);
  }
  const flags = 0x8000 | ((r.opcode & 0xf) << 11) | (r.aa ? 0x0400 : 0) | (truncated ? 0x0200 : 0) | (r.rd ? 0x0100 : 0) | 0x0080 /* RA */ | (r.cd ? 0x0010 : 0) | (r.rcode & 0xf);
  w.patchU16(flagsAt, flags);
  w.patchU16(countsAt, counts[0]!);
  w.patchU16(countsAt + 2, counts[1]!);
  w.patchU16(countsAt + 4, counts[2]! + (r.edns ? 1 : 0));
  return w.done();
}

/** Writes a query (tests, and the forwarder's own questions). */
export function encodeQuery(id: number, name: string, type: number, o: { rd?: boolean; udpSize?: number } = {}): Buffer {
  const w = new Writer();
  w.u16(id);
  w.u16(o.rd === false ? 0 : 0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(o.udpSize ? 1 : 0);
  w.name(name);
  w.u16(type);
  w.u16(RRClass.IN);
  if (o.udpSize) {
    w.u8(0);
    w.u16(RRType.OPT);
    w.u16(o.udpSize);
    w.u32(0);
    w.u16(0);
  }
  return w.done();
}

/**
 * The A, AAAA and CNAME records of a response's answer section (an upstream's answer to a
 * question of ours); anything else in it is skipped. Undefined for a message that does not parse
 * or is not a NOERROR response.
 */
export function parseAnswerRecords(buf: Buffer): ResourceRecord[] | undefined {
  try {
    if (buf.length < 12 || (buf[2]! & 0x80) === 0 || (buf[3]! & 0x0f) !== Rcode.NOERROR) return undefined;
    const qd = buf.readUInt16BE(4);
    const an = buf.readUInt16BE(6);
    let pos = 12;
    for (let i = 0; i < qd; i++) pos = readName(buf, pos).next + 4;
    const out: ResourceRecord[] = [];
    for (let i = 0; i < an; i++) {
      const owner = readName(buf, pos);
      pos = owner.next;
      const type = buf.readUInt16BE(pos);
      const ttl = buf.readUInt32BE(pos + 4);
      const len = buf.readUInt16BE(pos + 8);
      const at = pos + 10;
      if (at + len > buf.length) return undefined;
      const rdata = buf.subarray(at, at + len);
      if (type === RRType.A && len === 4) out.push({ name: owner.name, type: 1, ttl, data: [...rdata].join('.') });
      else if (type === RRType.AAAA && len === 16) out.push({ name: owner.name, type: 28, ttl, data: Array.from({ length: 8 }, (_, j) => rdata.readUInt16BE(j * 2).toString(16)).join(':') });
      else if (type === RRType.CNAME) out.push({ name: owner.name, type: 5, ttl, data: readName(buf, at).name });
      pos = at + len;
    }
    return out;
  } catch {
    return undefined;
  }
}
