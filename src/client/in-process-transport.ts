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
// - a request with `wholeAnswer` (RestClient's plain requests) gets a WholeAnswer: no stream
//   between the handler and the caller, the body a WholeBody whose text is what the handler
//   wrote, once it ended (the caller reads it whole anyway);
// - the request body is handed over whole too (takeWholeBody, src/api/watch-objects.ts): the
//   server's body reader takes the text without stream events; read as a stream, it is one
//   Buffer.
// The shims implement the subset of IncomingMessage/ServerResponse a request listener uses
// (url, method, headers, data/end events; status, headers, write/end/destroy, close/finish
// events, headersSent, writableEnded, writableLength). `socket` is null.

import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { freezeSharedInTests, watchObjectSink, wholeBody, type KubeObject, type WatchObjectEventType, type WholeBodySource } from '../api/index.js';
import { applyWriteHead, withHeaderMethods, type HeaderMethods, type HeaderValue } from '../util/response-headers.js';
import type { WatchEvent } from './api-client.js';
import { isWatchObjectChunk, type Transport, type TransportRequest, type TransportResponse, type WatchObjectChunk, type WholeBody } from './transport.js';

/** The shape of a node:http request listener (e.g. the API server's handler). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface InProcessTransportOptions {
  /** Sent as the Host header (discovery uses it); default `in-process`. */
  host?: string;
  userAgent?: string;
}

class InProcessRequest extends Readable implements WholeBodySource {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly httpVersion = '1.1';
  readonly socket = null;
  readonly connection = null;
  aborted = false;
  complete = false;
  /** The body until taken (whole, or pushed into the stream when read). */
  private body: string | undefined;

  constructor(req: TransportRequest, host: string, userAgent: string | undefined) {
    super();
    this.url = req.path;
    this.method = req.method;
    const headers: Record<string, string> = { host };
    if (userAgent) headers['user-agent'] = userAgent;
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    this.headers = headers;
    this.body = req.body ?? '';
    this.on('end', () => (this.complete = true));
  }

  [wholeBody](): string | undefined {
    const body = this.body;
    if (body === undefined) return undefined;
    this.body = undefined;
    this.complete = true;
    return body;
  }

  override _read(): void {
    const body = this.body;
    this.body = undefined;
    if (body) this.push(Buffer.from(body));
    this.push(null);
  }
}

/** Called once, when the handler's answer head is sent (writeHead, flushHeaders, first write or end). */
type OnHead = (statusCode: number, headers: Record<string, HeaderValue>) => void;

/** The answer head of both shims: header methods, writeHead and flushHeaders over `onHead`. */
interface AnswerHead extends HeaderMethods {
  writeHead(statusCode: number, reasonOrHeaders?: string | Record<string, unknown> | unknown[], maybeHeaders?: Record<string, unknown> | unknown[]): this;
  flushHeaders(): void;
}

interface Headed extends HeaderMethods {
  statusCode: number;
  statusMessage: string;
  headersSent: boolean;
  readonly onHead: OnHead;
}

function sendHead(r: Headed): void {
  if (r.headersSent) return;
  r.headersSent = true;
  r.onHead(r.statusCode, r.getHeaders());
}

const answerHeadMethods: Pick<AnswerHead, 'writeHead' | 'flushHeaders'> & ThisType<Headed & AnswerHead> = {
  writeHead(statusCode, reasonOrHeaders, maybeHeaders) {
    if (this.headersSent) throw new Error('Cannot write headers after they are sent to the client');
    applyWriteHead(this, statusCode, reasonOrHeaders, maybeHeaders);
    sendHead(this);
    return this;
  },
  flushHeaders() {
    sendHead(this);
  },
};

function withAnswerHead(cls: { prototype: object }): void {
  withHeaderMethods(cls);
  Object.assign(cls.prototype, answerHeadMethods);
}

/** A streamed answer (watches, and requests whose caller reads the body as a stream). */
class InProcessResponse extends PassThrough {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  readonly socket = null;
  readonly connection = null;
  sendDate = false;
  /** Object mode only: bytes written and not yet read (what writableLength reports). */
  private unread = 0;

  constructor(
    readonly onHead: OnHead,
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

  override write(chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean {
    sendHead(this);
    if (this.objectWatch) this.unread += weight(chunk);
    return (super.write as (...a: unknown[]) => boolean)(chunk, encodingOrCb, cb);
  }

  override end(chunkOrCb?: unknown, encodingOrCb?: unknown, cb?: unknown): this {
    sendHead(this);
    if (this.objectWatch && chunkOrCb !== undefined && typeof chunkOrCb !== 'function') this.unread += weight(chunkOrCb);
    (super.end as (...a: unknown[]) => unknown)(chunkOrCb, encodingOrCb, cb);
    return this;
  }

  /** Informational answers (100-continue etc.) are not used in process. */
  writeContinue(): void {}
}
interface InProcessResponse extends AnswerHead {}
withAnswerHead(InProcessResponse);

type Callback = (err?: Error | null) => void;

/**
 * A whole answer, for a `wholeAnswer` request (RestClient's plain requests): what the handler
 * writes is kept as it comes, with no stream between, and handed over as one text when it
 * ends (`body.text()`). To the handler it is the ServerResponse subset the in-process contract
 * names: 'finish' then 'close' after `end()`, 'close' alone after `destroy()` (the text then
 * rejects), write callbacks on the next tick; nothing is ever buffered unsent (writableLength 0).
 */
class WholeAnswer extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  readonly writableLength = 0;
  readonly socket = null;
  readonly connection = null;
  sendDate = false;
  private readonly parts: (string | Buffer)[] = [];
  private settle!: { resolve: (text: string) => void; reject: (err: Error) => void };
  private readonly whole: Promise<string>;
  readonly body: WholeBody;

  constructor(readonly onHead: OnHead) {
    super();
    this.whole = new Promise<string>((resolve, reject) => (this.settle = { resolve, reject }));
    // A caller that stops before reading (an aborted request) leaves the rejection unobserved.
    this.whole.catch(() => undefined);
    const whole = this.whole;
    this.body = {
      text: () => whole,
      async *[Symbol.asyncIterator]() {
        yield await whole;
      },
    };
  }

  get writable(): boolean {
    return !this.writableEnded && !this.destroyed;
  }

  write(chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | Callback, cb?: Callback): boolean {
    sendHead(this);
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (!this.writable) return false;
    this.keep(chunk, typeof encodingOrCb === 'string' ? encodingOrCb : undefined);
    if (done) process.nextTick(done, null);
    return true;
  }

  end(chunkOrCb?: string | Uint8Array | Callback, encodingOrCb?: BufferEncoding | Callback, cb?: Callback): this {
    sendHead(this);
    const done = [chunkOrCb, encodingOrCb, cb].find((a): a is Callback => typeof a === 'function');
    if (!this.writable) return this;
    if (chunkOrCb !== undefined && typeof chunkOrCb !== 'function') this.keep(chunkOrCb, typeof encodingOrCb === 'string' ? encodingOrCb : undefined);
    this.writableEnded = true;
    process.nextTick(() => {
      if (this.destroyed) return;
      this.writableFinished = true;
      this.settle.resolve(this.text());
      this.emit('finish');
      done?.(null);
      this.emit('close');
    });
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.writableFinished) this.settle.reject(new Error('in-process transport: the server cut the answer'));
    process.nextTick(() => this.emit('close'));
    return this;
  }

  /** Informational answers (100-continue etc.) are not used in process. */
  writeContinue(): void {}

  private keep(chunk: string | Uint8Array, encoding: BufferEncoding | undefined): void {
    if (typeof chunk !== 'string') this.parts.push(Buffer.from(chunk));
    else if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') this.parts.push(chunk);
    else this.parts.push(Buffer.from(chunk, encoding));
  }

  private text(): string {
    const parts = this.parts;
    if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString('utf8');
  }
}
interface WholeAnswer extends AnswerHead {}
withAnswerHead(WholeAnswer);

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
      const onHead = (statusCode: number, headers: Record<string, HeaderValue>): void => {
        answered = true;
        resolve({ statusCode, headers, body: response instanceof WholeAnswer ? response.body : response });
      };
      const response = req.wholeAnswer === true && req.objectWatch !== true ? new WholeAnswer(onHead) : new InProcessResponse(onHead, req.objectWatch === true);
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
