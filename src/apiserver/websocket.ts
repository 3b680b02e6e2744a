// WebSocket framing (RFC 6455) for the upgraded pods/exec, pods/attach, pods/portforward and
// pods/log connections: server frames out, client frames in. One implementation, shared by
// exec.ts (remote command channels, logs) and port-forward.ts (SPDY tunneled in WebSocket, and
// the port-forward channels), with the kubelet's channel encodings (channelFrame,
// readChannelMessage).
//
// Contract: server frames are unmasked and unfragmented; client frames must be masked
// (unmasked ones are a protocol error). Messages (text or binary, continuations joined) are
// delivered whole, up to MAX_MESSAGE bytes; pongs and reserved opcodes are ignored.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Largest client message accepted (stdin and port-forward chunks are small; this bounds buffering). */
const MAX_MESSAGE = 4 * 1024 * 1024;

/** Opcodes of the frames the server sends. */
export const WS_TEXT = 0x1;
export const WS_BINARY = 0x2;
export const WS_CLOSE = 0x8;
export const WS_PING = 0x9;
export const WS_PONG = 0xa;

/** The payload of a close frame with status 1000 (normal closure). */
export const WS_NORMAL_CLOSURE = Buffer.from([0x03, 0xe8]);

/** One WebSocket frame from the server (unmasked, FIN). */
export function wsFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Parses client frames from a byte stream: whole messages (continuations joined), pings, closes. */
export class WsReader {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;

  constructor(private readonly on: { message(data: Buffer): void; ping(data: Buffer): void; close(): void; error(msg: string): void }) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) return this.on.error('message too large');
        len = Number(big);
        at = 10;
      }
      if (!masked) return this.on.error('client frames must be masked');
      if (len > MAX_MESSAGE) return this.on.error('message too large');
      if (this.buf.length < at + 4 + len) return;
      const mask = this.buf.subarray(at, at + 4);
      const payload = Buffer.from(this.buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.buf = this.buf.subarray(at + 4 + len);
      switch (opcode) {
        case 0x0: // continuation
        case 0x1:
        case 0x2:
          this.fragmentBytes += payload.length;
          if (this.fragmentBytes > MAX_MESSAGE) return this.on.error('message too large');
          this.fragments.push(payload);
          if (fin) {
            const msg = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
            this.fragments = [];
            this.fragmentBytes = 0;
            this.on.message(msg);
          }
          break;
        case 0x8:
          return this.on.close();
        case 0x9:
          this.on.ping(payload);
          break;
        default:
          break; // pong and reserved opcodes
      }
    }
  }
}

/**
 * One message of the kubelet's channel protocols: binary, the channel's number then the bytes;
 * `base64` (the `base64.` subprotocols), a text message of the channel as an ASCII digit
 * ('0' + channel) then the bytes in base64.
 */
export function channelFrame(channel: number, data: Buffer, base64: boolean): Buffer {
  return base64
    ? wsFrame(WS_TEXT, Buffer.from(String.fromCharCode(0x30 + channel) + data.toString('base64'), 'utf8'))
    : wsFrame(WS_BINARY, Buffer.concat([Buffer.from([channel]), data]));
}

/** Only base64 alphabet, padded to whole quanta (what Go's strict StdEncoding decoder takes). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A client message of the channel protocols (see channelFrame): its channel and bytes.
 * Undefined for an empty message and, with `base64`, for one whose payload is not valid base64
 * (dropped, as the kubelet drops what it cannot decode).
 */
export function readChannelMessage(m: Buffer, base64: boolean): { channel: number; data: Buffer } | undefined {
  if (m.length === 0) return undefined;
  if (!base64) return { channel: m[0]!, data: m.subarray(1) };
  const text = m.subarray(1).toString('latin1');
  if (!BASE64.test(text)) return undefined;
  return { channel: m[0]! - 0x30, data: Buffer.from(text, 'base64') };
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Answers an upgrade request with 101 and `protocol` (no Sec-WebSocket-Protocol header for
 * ''). False when the client left while it was being checked (nothing to answer, nothing to
 * serve).
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, protocol: string): boolean {
  if (socket.destroyed || !socket.writable) return false;
  const accept = createHash('sha1').update(String(req.headers['sec-websocket-key']) + WS_GUID).digest('base64');
  const subprotocol = protocol === '' ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${subprotocol}\r\n`);
  return true;
}

/** How often a connection whose input is paused is written a ping (see readPausably). */
export const PAUSED_PROBE_MS = 5_000;

/**
 * Pause and resume of the reading of an upgraded connection's input (backpressure). A paused
 * socket is not read, so a client that went away (killed, its connection reset) goes unnoticed;
 * while paused, `ping` is written every PAUSED_PROBE_MS, and a gone client fails the write: the
 * socket errors and closes, and whatever it fed (an exec's command, port-forward connections)
 * ends with it.
 */
export function readPausably(socket: Duplex, ping: () => Buffer, probeMs = PAUSED_PROBE_MS): { pause(): void; resume(): void } {
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  socket.once('close', stop);
  return {
    pause() {
      socket.pause();
      if (timer) return;
      timer = setInterval(() => {
        if (socket.writable) socket.write(ping());
        else stop();
      }, probeMs);
      timer.unref();
    },
    resume() {
      stop();
      socket.resume();
    },
  };
}
