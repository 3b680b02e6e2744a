// In-process transport: a Transport that hands each request straight to an API server's
// node:http request listener, with no socket and no HTTP framing, so controllers co-located
// with the server use the same RestClient (and the same handler code path) as remote ones.
//
// Contract (kept equal to HttpTransport as seen by RestClient):
// - the promise resolves when the handler sends the status line (writeHead/flushHeaders or the
//   first write/end), with lower-case header names, and rejects only if the handler ends the
//   exchange (destroy) before answering;
// - the body is a stream of Buffers ending when the handler calls `res.end()`; a handler
//   `res.destroy(err)` mid-stream makes the body iteration throw, like a cut connection;
// - aborting `signal` ends the exchange from the client side: the response emits 'close' (the
//   watch cache unregisters its watcher) and the body iteration stops;
// - backpressure: unread body bytes stay buffered in the response and count in
//   `res.writableLength`, so the server's slow-watcher limit works as over a socket;
// - a request with `objectWatch` gets a response carrying the watch object sink
//   (src/api/watch-objects.ts): the server hands events over as objects, which come out of
//   the body as WatchObjectChunks in order among the text chunks, weighing their `bytes` in
//   `writableLength`.
// The shims implement the subset of IncomingMessage/ServerResponse a request listener uses
// (url, method, headers, data/end events; status, headers, write/end/destroy, close/finish
// events, headersSent, writableEnded, writableLength). `socket` is null.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { freezeSharedInTests, watchObjectSink, type KubeObject, type WatchObjectEventType } from '../api/index.js';
import type { WatchEvent } from './api-client.js';
import { isWatchObjectChunk, type Transport, type TransportRequest, type TransportResponse, type WatchObjectChunk } from './transport.js';

/** The shape of a node:http request listener (e.g. the API server's handler). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface InProcessTransportOptions {
  /** Sent as the Host header (discovery uses it); default `in-process`. */
  host?: string;
  userAgent?: string;
}

type HeaderValue = string | string[] | undefined;

class InProcessRequest extends Readable {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly httpVersion = '1.1';
  readonly socket = null;
  readonly connection = null;
  aborted = false;
  complete = false;

  constructor(req: TransportRequest, host: string, userAgent: string | undefined) {
    super();
    this.url = req.path;
    this.method = req.method;
    const headers: Record<string, string> = { host };
    if (userAgent) headers['user-agent'] = userAgent;
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    this.headers = headers;
    if (req.body !== undefined && req.body.length > 0) this.push(Buffer.from(req.body));
    this.push(null);
    this.on('end', () => (this.complete = true));
  }

  override _read(): void {
    // Everything was pushed in the constructor.
  }
}

class InProcessResponse extends PassThrough {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  readonly socket = null;
  readonly connection = null;
  sendDate = false;
  private readonly outHeaders = new Map<string, HeaderValue>();
  /** Object mode only: bytes written and not yet read (what writableLength reports). */
  private unread = 0;

  constructor(
    private readonly onHead: (statusCode: number, headers: Record<string, HeaderValue>) => void,
    private readonly objectWatch = false,
  ) {
    super(objectWatch ? { objectMode: true } : {});
    if (objectWatch) {
      // In object mode the stream counts chunks; the server's slow-watcher limit counts bytes.
      Object.defineProperty(this, 'writableLength', { get: () => this.unread });
      (this as unknown as Record<symbol, unknown>)[watchObjectSink] = (type: WatchObjectEventType, object: KubeObject, bytes: number): void => {
        const chunk: WatchObjectChunk = { watchEvent: { type, object: freezeSharedInTests(object) } as WatchEvent, bytes };
        this.write(chunk);
      };
    }
  }

  // Every chunk handed to the consumer goes through a 'data' event, whether it reads with
  // read() / for await (read() emits 'data') or in flowing mode (listeners, pipe).
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (this.objectWatch && event === 'data') this.unread -= weight(args[0]);
    return super.emit(event, ...args);
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    this.outHeaders.set(name.toLowerCase(), typeof value === 'number' ? String(value) : Array.isArray(value) ? [...(value as string[])] : (value as string));
    return this;
  }

  getHeader(name: string): HeaderValue {
    return this.outHeaders.get(name.toLowerCase());
  }

  getHeaders(): Record<string, HeaderValue> {
    return Object.fromEntries(this.outHeaders);
  }

  hasHeader(name: string): boolean {
    return this.outHeaders.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.outHeaders.delete(name.toLowerCase());
  }

  writeHead(statusCode: number, reasonOrHeaders?: string | Record<string, unknown> | unknown[], maybeHeaders?: Record<string, unknown> | unknown[]): this {
    if (this.headersSent) throw new Error('Cannot write headers after they are sent to the client');
    this.statusCode = statusCode;
    let headers = maybeHeaders;
    if (typeof reasonOrHeaders === 'string') this.statusMessage = reasonOrHeaders;
    else headers = reasonOrHeaders;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), String(headers[i + 1]));
    } else if (headers) {
      for (const [k, v] of Object.entries(headers)) {
        if (v !== undefined) this.setHeader(k, Array.isArray(v) ? v.map(String) : typeof v === 'number' ? v : String(v));
      }
    }
    this.sendHead();
    return this;
  }

  flushHeaders(): void {
    this.sendHead();
  }

  private sendHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.onHead(this.statusCode, this.getHeaders());
  }

  override write(chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean {
    this.sendHead();
    if (this.objectWatch) this.unread += weight(chunk);
    return (super.write as (...a: unknown[]) => boolean)(chunk, encodingOrCb, cb);
  }

  override end(chunkOrCb?: unknown, encodingOrCb?: unknown, cb?: unknown): this {
    this.sendHead();
    if (this.objectWatch && chunkOrCb !== undefined && typeof chunkOrCb !== 'function') this.unread += weight(chunkOrCb);
    (super.end as (...a: unknown[]) => unknown)(chunkOrCb, encodingOrCb, cb);
    return this;
  }

  /** Informational answers (100-continue etc.) are not used in process. */
  writeContinue(): void {}
}

/** A Transport that serves every request with `listener` in this process. */
export function inProcessTransport(listener: RequestListener, opts: InProcessTransportOptions = {}): Transport {
  const host = opts.host ?? 'in-process';
  return (req: TransportRequest): Promise<TransportResponse> =>
    new Promise<TransportResponse>((resolve, reject) => {
      if (req.signal?.aborted) {
        reject(abortError());
        return;
      }
      const request = new InProcessRequest(req, host, opts.userAgent);
      let answered = false;
      const response = new InProcessResponse((statusCode, headers) => {
        answered = true;
        resolve({ statusCode, headers, body: response });
      }, req.objectWatch === true);
      const onAbort = (): void => {
        request.aborted = true;
        request.emit('aborted');
        if (!answered) reject(abortError());
        // Ends the exchange: 'close' reaches the handler, the body iteration stops.
        response.destroy();
        request.destroy();
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      response.once('close', () => {
        req.signal?.removeEventListener('abort', onAbort);
        if (!answered) reject(new Error('in-process transport: the server closed the exchange without an answer'));
      });
      try {
        listener(request as unknown as IncomingMessage, response as unknown as ServerResponse);
      } catch (err) {
        response.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
}

/** A chunk's weight in bytes (object-mode accounting). */
function weight(c: unknown): number {
  if (typeof c === 'string') return Buffer.byteLength(c);
  if (c instanceof Uint8Array) return c.byteLength;
  return isWatchObjectChunk(c) ? c.bytes : 0;
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
