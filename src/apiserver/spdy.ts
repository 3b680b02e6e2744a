// SPDY/3.1 framing, the server side of what Kubernetes streaming clients speak (kubectl
// port-forward; kubectl before 1.30 for every stream): frames in, frames out, one session per
// upgraded connection. Written from the SPDY draft 3 specification.
//
// Contract:
// - `SpdySession.push(bytes)` takes the peer's bytes split anywhere; frames are handled in the
//   order they arrived (header blocks are inflated asynchronously, so every frame waits for the
//   ones before it).
// - Header blocks the peer sends are zlib streams with the SPDY dictionary, one stream per
//   direction and connection. Ours are written as stored (uncompressed) deflate blocks of one
//   zlib stream, each header block ending with an empty stored block (the sync-flush marker):
//   valid for every SPDY reader, synchronous, and small for the few headers a server sends.
// - Flow control is not enforced either way (Kubernetes' SPDY library does not do it either);
//   the transport's own backpressure holds the streams.
// - A peer that breaks the framing (unknown control frame version, a frame larger than
//   `maxFrameBytes`, a header block that does not inflate) gets a GOAWAY with PROTOCOL_ERROR
//   and `onError`; nothing more is read from it.
// - PINGs started by the peer (odd ids from a client) are answered with the same id.

import { createInflate, constants as zlibConstants, type Inflate } from 'node:zlib';

export const SPDY_VERSION = 3;

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const WINDOW_UPDATE = 9;

export const FLAG_FIN = 0x01;

/** RST_STREAM status codes used here. */
export const RST = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;

/** The dictionary of SPDY/3 header compression (draft 3, section 2.6.10.1). */
export const SPDY_DICTIONARY: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
    'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
    'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
    'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
    'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
    'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
    '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
    'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const w of words) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();

/** Header names (lower case) to their values, as a SPDY header block carries them. */
export type SpdyHeaders = Map<string, string[]>;

/** The uncompressed form of a header block: count, then length-prefixed names and NUL-joined values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Most header values a block may carry (kubectl sends three or four headers). */
export const MAX_HEADER_VALUES = 256;

/** Parses an uncompressed header block; throws on a malformed one or one with too many values. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: SpdyHeaders = new Map();
  if (block.length < 4) throw new Error('header block too short');
  const count = block.readUInt32BE(0);
  if (count > MAX_HEADER_VALUES) throw new Error(`header block with ${count} headers, more than ${MAX_HEADER_VALUES}`);
  let values = 0;
  let at = 4;
  const field = (): string => {
    if (at + 4 > block.length) throw new Error('header block truncated');
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) throw new Error('header block truncated');
    const s = block.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = field().toLowerCase();
    const vs = field().split('\0');
    values += vs.length;
    if (values > MAX_HEADER_VALUES) throw new Error(`header block with more than ${MAX_HEADER_VALUES} values`);
    const list = out.get(name);
    if (list) list.push(...vs);
    else out.set(name, vs);
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A control frame: version 3, `type`, `flags`, payload. */
let nextPingId = 0;

/** A PING of ours (even ids: the server's); the peer echoes it, and its answer is ignored. */
export function spdyPingFrame(): Buffer {
  nextPingId = (nextPingId + 2) % 0x80000000;
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(nextPingId, 0);
  return controlFrame(PING, 0, p);
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** A data frame of `streamId` (payload at most 16 MiB - 1). */
export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return payload.length ? Buffer.concat([head, payload]) : head;
}

/**
 * Our side's header compression: one zlib stream (header without a preset dictionary) whose
 * blocks are stored, so each header block is complete and readable on its own.
 */
export class HeaderDeflater {
  private started = false;

  block(headers: SpdyHeaders): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(Buffer.from([0x78, 0x01])); // deflate, 32 KiB window, no dictionary
    }
    for (let at = 0; at < raw.length; at += 0xffff) {
      const chunk = raw.subarray(at, at + 0xffff);
      const head = Buffer.allocUnsafe(5);
      head[0] = 0x00; // not the last block; stored; the rest of the byte is padding
      head.writeUInt16LE(chunk.length, 1);
      head.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(head, chunk);
    }
    // An empty stored block ends the header block, as a zlib sync flush does: a reader returns
    // the block's bytes when it reaches it, without asking for bytes of the next frame.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** The peer's header compression: one inflate stream with the SPDY dictionary, flushed per block. */
class HeaderInflater {
  private readonly z: Inflate;
  private out: Buffer[] = [];
  private outBytes = 0;
  private failed: Error | undefined;
  private pending: ((err: Error) => void) | undefined;

  constructor(private readonly maxBytes: number) {
    this.z = createInflate({ dictionary: SPDY_DICTIONARY });
    this.z.on('data', (c: Buffer) => {
      this.outBytes += c.length;
      if (this.outBytes <= this.maxBytes) this.out.push(c);
    });
    this.z.on('error', (err: Error) => {
      this.failed = err;
      this.pending?.(err);
    });
  }

  inflate(block: Buffer): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((ok, fail) => {
      this.pending = fail;
      this.z.write(block);
      this.z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.pending = undefined;
        const bytes = this.outBytes;
        const out = Buffer.concat(this.out);
        this.out = [];
        this.outBytes = 0;
        if (bytes > this.maxBytes) fail(new Error(`header block larger than ${this.maxBytes} bytes`));
        else ok(out);
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}

/** What a session tells its owner. All callbacks run in frame order. */
export interface SpdyHandlers {
  /** The peer opened a stream (SYN_STREAM); `fin` when it will send nothing on it. */
  stream(id: number, headers: SpdyHeaders, fin: boolean): void;
  /** Data on a stream; `fin` when it is the peer's last. */
  data(id: number, data: Buffer, fin: boolean): void;
  /** The peer reset a stream (RST_STREAM). */
  reset(id: number, status: number): void;
  /** The peer is going away (GOAWAY), or the framing broke (then after `error`). */
  goAway(): void;
  /** The framing broke; a GOAWAY was sent. */
  error(message: string): void;
}

export interface SpdySessionOptions {
  /** Largest frame accepted from the peer (default 1 MiB; kubectl sends at most 32 KiB of data per frame). */
  maxFrameBytes?: number;
}

/** One SPDY connection, server side: parses the peer's frames and writes ours through `send`. */
export class SpdySession {
  private buf: Buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private broken = false;
  private lastStream = 0;
  private readonly inflater: HeaderInflater;
  private readonly deflater = new HeaderDeflater();
  private readonly maxFrame: number;

  /** `send` writes bytes to the peer and answers false when the transport is full. */
  constructor(private readonly send: (bytes: Buffer) => boolean, private readonly on: SpdyHandlers, opts: SpdySessionOptions = {}) {
    this.maxFrame = opts.maxFrameBytes ?? 1024 * 1024;
    this.inflater = new HeaderInflater(this.maxFrame);
  }

  /** Bytes from the peer, split anywhere. */
  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (len > this.maxFrame) return this.fail(`frame of ${len} bytes is larger than ${this.maxFrame}`);
      if (this.buf.length < 8 + len) return;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.chain = this.chain.then(() => (this.broken ? undefined : this.handle(frame))).catch((err: unknown) => this.fail(err instanceof Error ? err.message : String(err)));
    }
  }

  /** SYN_REPLY for a stream the peer opened (no headers). */
  reply(id: number, fin = false): boolean {
    return this.send(controlFrame(SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([u32(id & 0x7fffffff), this.deflater.block(new Map())])));
  }

  /** Data on a stream, in frames of at most 64 KiB; `fin` ends our side of it. */
  data(id: number, payload: Buffer, fin = false): boolean {
    let ok = true;
    for (let at = 0; at < payload.length; at += 0x10000) {
      const last = at + 0x10000 >= payload.length;
      ok = this.send(dataFrame(id, last && fin ? FLAG_FIN : 0, payload.subarray(at, at + 0x10000))) && ok;
    }
    if (payload.length === 0 && fin) ok = this.send(dataFrame(id, FLAG_FIN, payload));
    return ok;
  }

  reset(id: number, status: number): void {
    const p = Buffer.allocUnsafe(8);
    p.writeUInt32BE(id & 0x7fffffff, 0);
    p.writeUInt32BE(status, 4);
    this.send(controlFrame(RST_STREAM, 0, p));
  }

  goAway(status = 0): void {
    const p = Buffer.allocUnsafe(8);
    p.writeUInt32BE(this.lastStream, 0);
    p.writeUInt32BE(status, 4);
    this.send(controlFrame(GOAWAY, 0, p));
  }

  /** Releases the header inflater; nothing more is read. */
  close(): void {
    this.broken = true;
    this.inflater.close();
  }

  private fail(message: string): void {
    if (this.broken) return;
    this.broken = true;
    this.goAway(1);
    this.inflater.close();
    this.on.error(message);
    this.on.goAway();
  }

  private async handle(frame: Buffer): Promise<void> {
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      if (id === 0) return this.fail('data frame on stream 0');
      this.on.data(id, payload, (flags & FLAG_FIN) !== 0);
      return;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) return this.fail(`unsupported SPDY version ${version}`);
    const type = frame.readUInt16BE(2);
    const need = (n: number): boolean => {
      if (payload.length >= n) return true;
      this.fail(`control frame ${type} too short`);
      return false;
    };
    switch (type) {
      case SYN_STREAM: {
        if (!need(10)) return;
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0 || id % 2 === 0 || id <= this.lastStream) return this.fail(`invalid stream id ${id}`);
        this.lastStream = id;
        const headers = decodeHeaderBlock(await this.inflater.inflate(payload.subarray(10)));
        if (this.broken) return;
        this.on.stream(id, headers, (flags & FLAG_FIN) !== 0);
        return;
      }
      case HEADERS:
      case SYN_REPLY:
        // Headers after the stream opened carry nothing this server uses, but they belong to the
        // compression stream and must be inflated to keep it in step.
        if (!need(4)) return;
        await this.inflater.inflate(payload.subarray(4));
        if ((flags & FLAG_FIN) !== 0 && !this.broken) this.on.data(payload.readUInt32BE(0) & 0x7fffffff, Buffer.alloc(0), true);
        return;
      case RST_STREAM:
        if (!need(8)) return;
        this.on.reset(payload.readUInt32BE(0) & 0x7fffffff, payload.readUInt32BE(4));
        return;
      case PING:
        if (!need(4)) return;
        // The peer's pings (odd ids from a client) are echoed; its answers to ours (even) are dropped.
        if (payload.readUInt32BE(0) % 2 === 1) this.send(frame);
        return;
      case GOAWAY:
        this.broken = true;
        this.inflater.close();
        this.on.goAway();
        return;
      case SETTINGS:
      case WINDOW_UPDATE:
        return; // no flow control, no settings kept (see the file comment)
      default:
        return; // unknown control frames are ignored, as the specification asks
    }
  }
}
