// HttpTransport: the Transport over HTTP(S) with keep-alive, bearer tokens and client
// certificates. `destroy()` closes its sockets.
//
// Two connection pools: requests share up to `maxSockets` connections (default 32); long-lived
// streams (watches, `follow=true` logs) get a connection each from a pool of their own, with no
// cap. A stream holds its connection for as long as it lasts, so in one pool 32 open watches
// (the dashboard's four per browser tab, eight tabs) left no connection for any request, and
// every later request waited for good.
//
// HTTP/2: to an HTTPS server that offers it (ALPN), requests and streams go as streams of one
// connection (http2-sessions.ts: more connections only beyond 100 streams at once), as client-go
// talks to kube-apiserver; a server that answers with http/1.1 gets the pools above. The
// contract below (answers, aborts, errors) is the same either way.
//
// A stale keep-alive connection: the server closes a connection idle for its keep-alive
// timeout (5 s for everynode's server) at the moment a new request is written to it, and the
// request fails with ECONNRESET (or EPIPE) before any answer. Such a request, on a reused
// connection and of a safe method (GET, HEAD, OPTIONS: repeating it changes nothing), is sent
// again once on a new connection, as Go's net/http and Node's documentation do. Other methods
// fail as before: the server may have acted on them.

import http from 'node:http';
import { constants as h2, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import https from 'node:https';
import { Http2RefusedStream, Http2SessionError, Http2Sessions } from './http2-sessions.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';
import { queryBool } from '../util/index.js';

export interface HttpTransportOptions {
  /** Base URL, e.g. `https://127.0.0.1:6443`. A path prefix is kept. */
  server: string;
  token?: string;
  /** PEM strings. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipTLSVerify?: boolean;
  userAgent?: string;
  maxSockets?: number;
  /** Offer HTTP/2 to an HTTPS server (default true); false: HTTP/1.1 only. */
  http2?: boolean;
  /** How long an HTTP/2 connection suspected dead may take to answer a PING (default 5000 ms; see http2-sessions.ts). */
  http2PingTimeoutMs?: number;
  /**
   * Act as another user (kubectl's --as, --as-group, --as-uid): sent as the Impersonate-User,
   * Impersonate-Group (one header per group) and Impersonate-Uid headers of every request.
   */
  impersonate?: { user?: string; groups?: string[]; uid?: string };
}

/** Request headers as sent: a name may repeat (one value per line), as Impersonate-Group does. */
type OutgoingHeaders = Record<string, string | string[]>;

export class HttpTransport {
  private readonly base: URL;
  private agent: http.Agent;
  /** Streams' pool (see the file comment). */
  private streamAgent: http.Agent;
  private readonly isHttps: boolean;
  /**
   * HTTP/2 connections (see http2-sessions.ts), one set for requests and one for streams, as the
   * two HTTP/1.1 pools: a busy watch's data never queues the answers of requests behind it on
   * one connection. Undefined for plain HTTP or with `http2: false`.
   */
  private h2: Http2Sessions | undefined;
  private h2Streams: Http2Sessions | undefined;

  constructor(private opts: HttpTransportOptions) {
    this.base = new URL(opts.server);
    this.isHttps = this.base.protocol === 'https:';
    this.agent = this.newAgent(opts.maxSockets ?? 32);
    this.streamAgent = this.newAgent(Infinity);
    this.h2 = this.newSessions();
    this.h2Streams = this.newSessions();
  }

  private newSessions(): Http2Sessions | undefined {
    const o = this.opts;
    if (!this.isHttps || o.http2 === false) return undefined;
    return new Http2Sessions({
      url: this.base,
      tls: { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: !o.insecureSkipTLSVerify },
      ...(o.http2PingTimeoutMs !== undefined ? { pingTimeoutMs: o.http2PingTimeoutMs } : {}),
    });
  }

  private newAgent(maxSockets: number): http.Agent {
    const o = this.opts;
    const common = { keepAlive: true, maxSockets };
    return this.isHttps ? new https.Agent({ ...common, ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: !o.insecureSkipTLSVerify }) : new http.Agent(common);
  }

  /**
   * New client credentials (a renewed certificate) for every request from now on. Requests and
   * streams already open keep their connection until `graceMs` (default 60 s) passed, then
   * those connections close (a watch then reconnects with the new credentials).
   */
  setCredentials(c: { cert?: string | Buffer; key?: string | Buffer; ca?: string | Buffer; token?: string }, graceMs = 60_000): void {
    this.opts = { ...this.opts, ...c };
    const old = [this.agent, this.streamAgent];
    this.agent = this.newAgent(this.opts.maxSockets ?? 32);
    this.streamAgent = this.newAgent(Infinity);
    setTimeout(() => old.forEach((a) => a.destroy()), graceMs).unref();
    this.h2?.close(graceMs);
    this.h2Streams?.close(graceMs);
    this.h2 = this.newSessions();
    this.h2Streams = this.newSessions();
  }

  /** The Transport function (bound). */
  readonly request: Transport = (req: TransportRequest): Promise<TransportResponse> => {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const headers: OutgoingHeaders = { ...req.headers };
    if (this.opts.token) headers['Authorization'] = `Bearer ${this.opts.token}`;
    const as = this.opts.impersonate;
    if (as?.user) headers['Impersonate-User'] = as.user;
    if (as?.groups?.length) headers['Impersonate-Group'] = as.groups;
    if (as?.uid) headers['Impersonate-Uid'] = as.uid;
    if (this.opts.userAgent) headers['User-Agent'] = this.opts.userAgent;
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const sessions = req.method === 'GET' && isStream(req.path) ? this.h2Streams : this.h2;
    if (sessions && !sessions.usesHttp1) {
      const viaHttp2 = (retried: boolean): Promise<TransportResponse> =>
        untilAborted(sessions.session(), req.signal).then(
          (session) =>
            session
              ? this.sendHttp2(sessions, session, req, prefix + req.path, headers).catch((err: unknown) => {
                  // Refused unprocessed (the server closed the connection with a GOAWAY, e.g.
                  // idle, as this stream left): sent again once on another connection, whatever
                  // the method, as Go's client does.
                  if (!retried && err instanceof Http2RefusedStream && !req.signal?.aborted) return viaHttp2(true);
                  throw err;
                })
              : this.sendHttp1(req, prefix, headers),
          (err: unknown) => {
            // Given up while connecting: check the server's other connections too.
            if (req.signal?.aborted) this.suspectServer();
            throw err;
          },
        );
      return viaHttp2(false);
    }
    return this.sendHttp1(req, prefix, headers);
  };

  /** One exchange over HTTP/1.1, on a connection of the agents' pools. */
  private sendHttp1(req: TransportRequest, prefix: string, headers: OutgoingHeaders): Promise<TransportResponse> {
    const mod = this.isHttps ? https : http;
    const send = (mayRetry: boolean): Promise<TransportResponse> => new Promise<TransportResponse>((resolve, reject) => {
      let response: http.IncomingMessage | undefined;
      const r = mod.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port || undefined,
          method: req.method,
          path: prefix + req.path,
          headers,
          agent: req.method === 'GET' && isStream(req.path) ? this.streamAgent : this.agent,
        },
        (res) => {
          response = res;
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res });
        },
      );
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (mayRetry && !response && r.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !req.signal?.aborted) {
          send(false).then(resolve, reject);
          return;
        }
        reject(err);
      });
      // The caller's signal ends the exchange only while it lasts: before the answer, the
      // request is destroyed (the promise rejects); during it, the answer's stream is destroyed
      // without an error (its reader sees a premature close); after it, nothing happens. (Given
      // to http.request as `signal`, an abort after the answer had ended destroyed its socket,
      // already back in the keep-alive pool, with an AbortError nothing listened to: the process
      // died. An informer stopping its watch on a 410 did exactly that.)
      const signal = req.signal;
      if (signal) {
        const onAbort = (): void => {
          if (!response) r.destroy(signal.reason instanceof Error ? signal.reason : abortError());
          else if (!response.complete && !response.destroyed) response.destroy();
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          r.once('close', () => signal.removeEventListener('abort', onAbort));
        }
      }
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
    return send(safeMethods.has(req.method.toUpperCase()));
  }

  /**
   * One exchange as a stream of an HTTP/2 connection, with the HTTP/1.1 path's contract: the
   * promise resolves at the answer's head; the caller's signal cancels the stream (before the
   * answer: the promise rejects; during it: the body ends as cut); a stream reset or a lost
   * connection before the answer rejects with the error (a connection error for failover).
   */
  private sendHttp2(sessions: Http2Sessions, session: ClientHttp2Session, req: TransportRequest, path: string, headers: OutgoingHeaders): Promise<TransportResponse> {
    return new Promise<TransportResponse>((resolve, reject) => {
      const h: OutgoingHttpHeaders = { [h2.HTTP2_HEADER_METHOD]: req.method, [h2.HTTP2_HEADER_PATH]: path };
      for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
      let stream: ClientHttp2Stream;
      try {
        stream = session.request(h, { endStream: req.body === undefined });
      } catch (err) {
        // The session closed (a GOAWAY) between being handed out and this request: nothing sent.
        reject(new Http2RefusedStream(`the HTTP/2 connection was closing: ${(err as Error).message}`));
        return;
      }
      sessions.track(session, stream);
      let answered = false;
      stream.once('response', (rh) => {
        answered = true;
        const out: Record<string, string | string[] | undefined> = {};
        for (const [k, v] of Object.entries(rh)) if (!k.startsWith(':')) out[k] = v;
        resolve({ statusCode: Number(rh[h2.HTTP2_HEADER_STATUS] ?? 0), headers: out, body: stream });
      });
      const refused = (): boolean => stream.rstCode === h2.NGHTTP2_REFUSED_STREAM;
      stream.on('error', (err) => {
        if (!answered) reject(refused() ? new Http2RefusedStream(`the server refused the HTTP/2 stream unprocessed: ${err.message}`) : err);
      });
      stream.once('close', () => {
        // The connection went (or the server reset the stream) before any answer: as a reset
        // HTTP/1.1 connection, a connection error.
        if (answered) return;
        if (refused()) reject(new Http2RefusedStream(`the server refused the HTTP/2 stream unprocessed (code ${stream.rstCode})`));
        else reject(new Http2SessionError(`socket hang up: the HTTP/2 stream closed before an answer (code ${stream.rstCode})`));
      });
      const signal = req.signal;
      if (signal) {
        const onAbort = (): void => {
          if (!answered) reject(signal.reason instanceof Error ? signal.reason : abortError());
          if (stream.closed) return;
          // Given up while waiting (a deadline, a watch silent too long): the server itself may
          // be gone, unlike over HTTP/1.1 where cutting the answer closed the connection. Every
          // connection to it is checked (the watches have their own).
          sessions.suspect(session);
          this.suspectServer();
          stream.close(h2.NGHTTP2_CANCEL);
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          stream.once('close', () => signal.removeEventListener('abort', onAbort));
        }
      }
      if (req.body !== undefined) stream.end(req.body);
    });
  }

  /** Every HTTP/2 connection to the server is PINGed (see Http2Sessions.suspectAll). */
  private suspectServer(): void {
    this.h2?.suspectAll();
    this.h2Streams?.suspectAll();
  }

  destroy(): void {
    this.agent.destroy();
    this.streamAgent.destroy();
    this.h2?.close();
    this.h2Streams?.close();
  }
}

/** Methods whose repetition changes nothing on the server (RFC 9110 §9.2.1). */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A GET whose answer lasts, as the API server reads its query: a watch (`watch` true, 1 or
 * empty, or a `/watch/` path of the legacy form) or a followed log (`follow` likewise).
 */
export function isStream(path: string): boolean {
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  if (/^\/(?:api\/[^/]+|apis\/[^/]+\/[^/]+)\/watch\//.test(pathname)) return true;
  if (q < 0) return false;
  const p = new URLSearchParams(path.slice(q + 1));
  return queryBool(p.get('watch')) === true || queryBool(p.get('follow')) === true;
}

/** `p`, or a rejection as soon as `signal` aborts (the work behind `p` goes on, shared). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
