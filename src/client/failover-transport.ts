// FailoverTransport: one Transport over several API servers that serve the same state (several
// `everynode server` processes on one etcd), with the same credentials and CA.
//
// Contract:
// - Sticky: every request goes to the current server; the current server changes only when a
//   request to it fails, to the next one in list order (round robin). A server that comes back is
//   used again only once the servers after it have failed in turn.
// - A failure is a connection error (refused, reset, "socket hang up", host unreachable, ...),
//   the request timeout, or a 503 answer. Any other answer, 5xx included, is the server's word
//   and is returned as is.
// - Idempotent requests (GET: get, list, watch) are retried on the next server, each server at
//   most once per request. A plain GET's body is read whole before it is returned, so a
//   connection lost mid-body is retried too. A watch is returned as soon as its headers arrive;
//   when its stream later fails, the server is marked failed and the stream errors: the informer
//   re-establishes the watch from its last resourceVersion, which lands on the next server.
// - Non-idempotent writes (POST, PUT, PATCH, DELETE) are retried on the next server only when
//   the request provably never reached a server (connection refused, no route, no address):
//   anything else may have been applied, so the error (or the 503 answer) goes to the caller,
//   which re-reads and decides (level-triggered), and the next request uses the next server.
// - When every server failed, the last failure is returned (a 503 answer) or thrown.
// - When a server is marked failed (by any request or stream), every request and stream still
//   open on it is ended at once with a ServerFailedError (a connection error): its socket is
//   destroyed, a waiting request rejects (a GET is then retried on the next server, a write goes
//   to the caller as above), and an open watch's body throws, as a dropped connection would, so
//   the informer re-watches, on the next server. Without this a watch on a hung server (no RST)
//   would sit there until the watch idle timeout while new requests already used another server.
//   (With one server there is nowhere else to go, and nothing is ended.)
// - The caller's AbortSignal aborts the request wherever it is; an abort is never a failover.
//
// Assumption: the servers share one store, so a resourceVersion from one is valid on the others.

import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { chunkBytes, type BodyChunk, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

export interface FailoverTransportOptions extends Omit<HttpTransportOptions, 'server'> {
  /** Base URLs of the servers, in preference order (at least one). */
  servers: string[];
  /**
   * A request that has not completed within this many ms is abandoned as a failure of its
   * server (default 30 s). For a plain GET this bounds the whole answer; for a watch or a
   * write, the wait for the response headers only.
   */
  requestTimeoutMs?: number;
  /** Called when the current server changes, with the failure that caused it. */
  onFailover?: (from: string, to: string, cause: unknown) => void;
  /** Builds the transport to one server (default: an HttpTransport with these options). */
  transportFor?: (server: string) => { request: Transport; destroy?: () => void };
}

/** Error codes meaning the request never reached a server: safe to send elsewhere. */
const notSentCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
/** Error codes of a connection lost or never made. */
const connectionCodes = new Set([
  ...notSentCodes,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  // An HTTP/2 connection lost, reset or shut down under a stream.
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_INVALID_SESSION',
]);

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The request never reached a server, so even a write may be sent to another one. */
export function isNotSentError(e: unknown): boolean {
  const code = errCode(e);
  return code !== undefined && notSentCodes.has(code);
}

/** A connection-level failure (or our request timeout): the server is considered gone. */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof RequestTimeoutError) return true;
  const code = errCode(e);
  if (code !== undefined && connectionCodes.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /socket hang up|aborted|ECONNRESET|ECONNREFUSED/.test(msg) && !(e instanceof Error && e.name === 'AbortError');
}

/** Thrown when a request to one server exceeded `requestTimeoutMs`. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(server: string, ms: number) {
    super(`request to ${server} timed out after ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * Thrown by a request or stream that was still open on a server when the transport marked that
 * server failed (another request timed out or lost its connection there): the transport ended
 * it. A connection error (isConnectionError), never a "not sent" one.
 */
export class ServerFailedError extends Error {
  readonly code = 'ECONNABORTED';
  constructor(server: string, cause: unknown) {
    super(`connection to ${server} ended: the server failed (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'ServerFailedError';
  }
}

function isWatch(path: string): boolean {
  const q = path.indexOf('?');
  if (q < 0) return false;
  const v = new URLSearchParams(path.slice(q + 1)).get('watch');
  return v === 'true' || v === '1';
}

async function* once(buf: Buffer): AsyncIterable<Uint8Array> {
  if (buf.length > 0) yield buf;
}

/**
 * The chunks of `body` until it ends or `stop` rejects, whichever comes first: a stop throws at
 * once, even from a body whose transport does not honour its signal. Leaving early (a stop, an
 * error, or the reader's return) returns the body's iterator, which for a node stream destroys
 * it; that happens in the background, so a body stuck in a read never holds up the caller.
 */
async function* untilStopped(body: AsyncIterable<BodyChunk>, stop: AbortSignal): AsyncGenerator<BodyChunk, void, undefined> {
  const it = body[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      if (stop.aborted) throw stop.reason;
      // A fresh wake-up per read, its listener removed after: racing one long-lived promise
      // would keep a reaction, and through it every chunk read, until the exchange ends (a
      // watch's whole traffic).
      let onStop!: () => void;
      const stopped = new Promise<never>((_, reject) => {
        onStop = () => reject(stop.reason);
        stop.addEventListener('abort', onStop, { once: true });
      });
      stopped.catch(() => undefined);
      let n: IteratorResult<BodyChunk>;
      try {
        n = await Promise.race([stopped, it.next()]);
      } finally {
        stop.removeEventListener('abort', onStop);
      }
      if (n.done) {
        done = true;
        return;
      }
      yield n.value;
    }
  } finally {
    if (!done) void Promise.resolve().then(() => it.return?.()).catch(() => undefined);
  }
}

/** Lets go of a body nobody will read (a response that came after its exchange was ended). */
function release(body: AsyncIterable<BodyChunk>): void {
  const d = (body as { destroy?: unknown }).destroy;
  if (typeof d === 'function') {
    (d as () => void).call(body);
    return;
  }
  const it = body[Symbol.asyncIterator]();
  void Promise.resolve().then(() => it.return?.()).catch(() => undefined);
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const _ of body) {
      // discard
    }
  } catch {
    // the answer is being thrown away anyway
  }
}

export class FailoverTransport {
  readonly servers: readonly string[];
  private readonly endpoints: Array<{ request: Transport; destroy?: () => void; setCredentials?: HttpTransport['setCredentials'] }>;
  private current = 0;
  private readonly timeoutMs: number;
  /** Per server, the exchanges (requests and streams) open on it: each one's `end`. */
  private readonly open: Array<Set<(cause: unknown) => void>>;

  constructor(private readonly opts: FailoverTransportOptions) {
    if (opts.servers.length === 0) throw new Error('FailoverTransport: no servers');
    this.servers = [...opts.servers];
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    const { servers: _s, requestTimeoutMs: _t, onFailover: _f, transportFor, ...http } = opts;
    this.endpoints = this.servers.map((server) => {
      if (transportFor) return transportFor(server);
      const t = new HttpTransport({ ...http, server });
      return { request: t.request, destroy: () => t.destroy(), setCredentials: (c, g) => t.setCredentials(c, g) };
    });
    this.open = this.servers.map(() => new Set());
  }

  /** New client credentials for every server (see HttpTransport.setCredentials). */
  setCredentials(c: Parameters<HttpTransport['setCredentials']>[0], graceMs?: number): void {
    for (const e of this.endpoints) e.setCredentials?.(c, graceMs);
  }

  /** The server requests currently go to. */
  get currentServer(): string {
    return this.servers[this.current]!;
  }

  /** The Transport function (bound). */
  readonly request: Transport = async (req: TransportRequest): Promise<TransportResponse> => {
    const idempotent = req.method === 'GET';
    const watch = idempotent && isWatch(req.path);
    let lastError: unknown;
    let last503: TransportResponse | undefined;
    const start = this.current;
    for (let attempt = 0; attempt < this.servers.length; attempt++) {
      const i = (start + attempt) % this.servers.length;
      const final = attempt === this.servers.length - 1;
      if (req.signal?.aborted) throw req.signal.reason ?? abortError();
      let res: TransportResponse;
      try {
        res = await this.attempt(i, req, watch);
      } catch (e) {
        if (req.signal?.aborted) throw e;
        if (!isConnectionError(e)) throw e;
        // Ended because its server was marked failed: that is done already (and the current
        // server may have moved on since).
        if (!(e instanceof ServerFailedError)) this.markFailed(i, e);
        lastError = e;
        if (idempotent || isNotSentError(e)) continue;
        throw e;
      }
      if (res.statusCode === 503) {
        this.markFailed(i, new Error(`${this.servers[i]} answered 503 Service Unavailable`));
        if (!idempotent || final) return res;
        last503 = res;
        await drain(res.body);
        continue;
      }
      return res;
    }
    if (last503) return last503;
    throw lastError ?? new Error('FailoverTransport: no server answered');
  };

  /** Closes every server's connections. */
  destroy(): void {
    for (const e of this.endpoints) e.destroy?.();
  }

  /**
   * Server i failed: requests go to the next server from now on (unless another request moved
   * on already), and whatever is still open on server i is ended.
   */
  private markFailed(i: number, cause: unknown): void {
    if (this.current === i) {
      this.current = (i + 1) % this.servers.length;
      if (this.current !== i) this.opts.onFailover?.(this.servers[i]!, this.servers[this.current]!, cause);
    }
    if (this.servers.length < 2) return;
    for (const end of [...this.open[i]!]) end(cause);
  }

  /**
   * One request to server i, bounded by the timeout: a plain GET (or any 503 answer) to its
   * whole body (returned read), a watch or a write to its headers (its body streamed through).
   * Until it is over (body read, failed or returned), markFailed(i) can end it.
   */
  private async attempt(i: number, req: TransportRequest, watch: boolean): Promise<TransportResponse> {
    const server = this.servers[i]!;
    const ac = new AbortController();
    // Why this transport ended the exchange (its timeout, or its server failed); the first wins.
    let ended: Error | undefined;
    let stop!: (e: Error) => void;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined);
    /** Aborted with the same reason: what the body readers wait on, one read at a time. */
    const stopAc = new AbortController();
    const open = this.open[i]!;
    const endWith = (e: Error): void => {
      if (ended || ac.signal.aborted) return;
      ended = e;
      open.delete(onServerFailed);
      // The transport destroys the request or the answer's stream (without an unhandled error);
      // `stopped` ends the wait for it even if it did not.
      ac.abort(e);
      stop(e);
      stopAc.abort(e);
    };
    const onServerFailed = (cause: unknown): void => endWith(new ServerFailedError(server, cause));
    open.add(onServerFailed);
    const onCallerAbort = (): void => ac.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = setTimeout(() => endWith(new RequestTimeoutError(server, this.timeoutMs)), this.timeoutMs);
    timer.unref?.();
    const finish = (): void => {
      clearTimeout(timer);
      open.delete(onServerFailed);
      req.signal?.removeEventListener('abort', onCallerAbort);
    };
    let res: TransportResponse;
    try {
      const answer = this.endpoints[i]!.request({ ...req, signal: ac.signal });
      // An answer that comes after the exchange was ended is let go of.
      answer.then(
        (r) => {
          if (ended) release(r.body);
        },
        () => undefined,
      );
      res = await Promise.race([stopped, answer]);
    } catch (e) {
      finish();
      throw ended ?? e;
    }
    // A 503 is read whole (it is a short Status), so that the markFailed it leads to does not
    // end it before its caller read it.
    if ((watch || req.method !== 'GET') && res.statusCode !== 503) {
      // Streamed through: only the headers were bounded by the timeout; the caller's signal
      // stays linked until the body ends. A stream that breaks marks its server failed; one
      // ended because its server failed throws the ServerFailedError.
      clearTimeout(timer);
      const body = res.body;
      const self = this;
      return {
        ...res,
        body: (async function* () {
          try {
            yield* untilStopped(body, stopAc.signal);
          } catch (e) {
            if (ended instanceof ServerFailedError) throw ended;
            const err = ended ?? e;
            if (!req.signal?.aborted && isConnectionError(err)) {
              open.delete(onServerFailed);
              self.markFailed(i, err);
            }
            throw err;
          } finally {
            finish();
          }
        })(),
      };
    }
    try {
      const parts: Buffer[] = [];
      for await (const c of untilStopped(res.body, stopAc.signal)) parts.push(chunkBytes(c));
      return { ...res, body: once(Buffer.concat(parts)) };
    } catch (e) {
      throw ended ?? e;
    } finally {
      finish();
    }
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** Splits a `--server URL1,URL2,...` value into base URLs (empty entries dropped). */
export function parseServerList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
