// Watches over WebSocket, as upstream's WatchServer serves them to browsers: a GET watch request
// that asks to upgrade to WebSocket gets every watch event as one text message (the event's JSON
// line, newline included), the same events the chunked HTTP stream carries.
//
// Contract:
// - The request goes through the normal handler (authentication, including the bearer token a
//   browser sends as the `base64url.bearer.authorization.k8s.io.<token>` subprotocol;
//   authorization; query checks; the watch cache), which answers through WebSocketWatchResponse:
//   a stand-in for ServerResponse over the upgraded socket.
// - Nothing is sent before the handler answers. An answer that starts a stream (status 200 and a
//   flush or a write) upgrades the connection (101, the first subprotocol the client offered
//   besides the token one, or none); any other answer (an error Status, a non-watch body) goes
//   out as a plain HTTP response, and the connection closes after it.
// - After the upgrade each `write` of the handler is sent as one text message per line; `end`
//   sends a close frame (1000) and ends the connection. What the client sends is ignored (pings
//   are answered, a close frame ends the watch). The watch's slow-client limit counts the
//   socket's unsent bytes (writableLength).
// - 'close' is emitted once, when the socket closes, whoever closed it; 'finish' before it when
//   the answer was sent in full.

import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WEBSOCKET_BEARER_PROTOCOL_PREFIX } from '../auth/index.js';
import { badRequest } from '../api/errors.js';
import { isWatchRequest } from './query.js';
import { parsePath } from './request-info.js';
import { applyWriteHead, withHeaderMethods, type HeaderMethods } from '../util/response-headers.js';
import { WS_CLOSE, WS_NORMAL_CLOSURE, WS_PONG, WS_TEXT, WsReader, acceptWebSocket, wsFrame } from './websocket.js';

/** True for a GET watch request (isWatchRequest: `?watch=true` on a collection, or a `/watch/` path) asking to upgrade to WebSocket. */
export function isWatchUpgrade(req: IncomingMessage): boolean {
  if ((req.method ?? 'GET') !== 'GET' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  const url = req.url ?? '/';
  const qi = url.indexOf('?');
  try {
    const route = parsePath(qi < 0 ? url : url.slice(0, qi));
    if (route.type !== 'resource') return false;
    return isWatchRequest(route, new URLSearchParams(qi >= 0 ? url.slice(qi + 1) : ''));
  } catch {
    return false;
  }
}

/** Serves an `isWatchUpgrade` request with `listener` (the API server's handler) over `socket`. */
export function serveWatchOverWebSocket(listener: (req: IncomingMessage, res: ServerResponse) => void, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  // Not a WebSocket handshake this server can finish (RFC 6455 asks for both): a plain 400,
  // as for exec, log and port-forward upgrades, before anything is served.
  if (typeof req.headers['sec-websocket-key'] !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    const body = JSON.stringify(badRequest('a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version 13').toStatus());
    socket.on('error', () => socket.destroy());
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    return;
  }
  const res = new WebSocketWatchResponse(req, socket, head);
  listener(req, res as unknown as ServerResponse);
}

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 410: 'Gone', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** The subset of ServerResponse the handler and the watch cache use, over an upgradable socket. */
class WebSocketWatchResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  private state: 'pending' | 'upgraded' | 'plain' = 'pending';
  private closed = false;

  constructor(
    private readonly req: IncomingMessage,
    readonly socket: Duplex,
    head: Buffer,
  ) {
    super();
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.onClose());
    this.reader = new WsReader({
      message: () => undefined,
      ping: (data) => this.sendFrame(WS_PONG, data),
      close: () => this.end(),
      error: () => socket.destroy(),
    });
    // Before the upgrade a client sends nothing (a GET has no body); after it, its frames.
    socket.on('data', (chunk: Buffer) => {
      if (this.state === 'upgraded') this.reader.push(chunk);
    });
    this.pendingHead = head;
  }

  private readonly reader: WsReader;
  /** Bytes the client sent after its request, read once the connection is upgraded. */
  private pendingHead: Buffer;

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  writeHead(statusCode: number, reasonOrHeaders?: string | Record<string, unknown>, maybeHeaders?: Record<string, unknown>): this {
    applyWriteHead(this, statusCode, reasonOrHeaders, maybeHeaders);
    this.headersSent = true;
    return this;
  }

  flushHeaders(): void {
    this.headersSent = true;
    this.startStream();
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded) return false;
    this.headersSent = true;
    this.startStream();
    if (this.state !== 'upgraded') return false;
    return this.sendLines(chunk);
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded) return this;
    this.headersSent = true;
    if (this.state === 'pending' && this.statusCode === 200 && chunk === undefined) this.startStream();
    if (this.state === 'upgraded') {
      if (chunk !== undefined) this.sendLines(chunk);
      this.sendFrame(WS_CLOSE, WS_NORMAL_CLOSURE);
    } else if (this.state === 'pending') {
      this.state = 'plain';
      this.sendPlain(chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk));
    }
    this.writableEnded = true;
    if (!this.socket.destroyed) this.socket.end();
    this.writableFinished = true;
    this.emit('finish');
    return this;
  }

  destroy(): this {
    this.socket.destroy();
    return this;
  }

  /** The upgrade, once the handler starts a 200 stream (later calls do nothing). */
  private startStream(): void {
    if (this.state !== 'pending' || this.statusCode !== 200) return;
    this.state = 'upgraded';
    const offered = (this.req.headersDistinct['sec-websocket-protocol'] ?? [])
      .flatMap((v) => v.split(','))
      .map((p) => p.trim())
      .filter((p) => p !== '' && !p.startsWith(WEBSOCKET_BEARER_PROTOCOL_PREFIX));
    if (!acceptWebSocket(this.req, this.socket, offered[0] ?? '')) return;
    const head = this.pendingHead;
    this.pendingHead = Buffer.alloc(0);
    if (head.length > 0) this.reader.push(head);
  }

  /** One text message per line of `chunk` (lines keep their newline). */
  private sendLines(chunk: string | Buffer): boolean {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let ok = true;
    let at = 0;
    while (at < text.length) {
      const nl = text.indexOf('\n', at);
      const end = nl < 0 ? text.length : nl + 1;
      ok = this.sendFrame(WS_TEXT, Buffer.from(text.slice(at, end), 'utf8'));
      at = end;
    }
    return ok;
  }

  private sendFrame(opcode: number, payload: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(wsFrame(opcode, payload));
  }

  /** An answer that is not a stream: a plain HTTP response, then the connection closes. */
  private sendPlain(body: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const lines = [`HTTP/1.1 ${this.statusCode} ${this.statusMessage || REASONS[this.statusCode] || 'Error'}`];
    for (const [k, v] of Object.entries(this.getHeaders())) {
      if (k === 'content-length' || k === 'transfer-encoding' || k === 'connection') continue;
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
    }
    lines.push(`content-length: ${body.length}`, 'connection: close');
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.socket.write(body);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}
interface WebSocketWatchResponse extends HeaderMethods {}
withHeaderMethods(WebSocketWatchResponse);
