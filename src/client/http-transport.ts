// HttpTransport: the Transport over HTTP(S) with keep-alive, bearer tokens and client
// certificates. `destroy()` closes its sockets.
//
// Two connection pools: requests share up to `maxSockets` connections (default 32); long-lived
// streams (watches, `follow=true` logs) get a connection each from a pool of their own, with no
// cap. A stream holds its connection for as long as it lasts, so in one pool 32 open watches
// (the dashboard's four per browser tab, eight tabs) left no connection for any request, and
// every later request waited for good.
//
// A stale keep-alive connection: the server closes a connection idle for its keep-alive
// timeout (5 s for everynode's server) at the moment a new request is written to it, and the
// request fails with ECONNRESET (or EPIPE) before any answer. Such a request, on a reused
// connection and of a safe method (GET, HEAD, OPTIONS: repeating it changes nothing), is sent
// again once on a new connection, as Go's net/http and Node's documentation do. Other methods
// fail as before: the server may have acted on them.

import http from 'node:http';
import https from 'node:https';
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
}

export class HttpTransport {
  private readonly base: URL;
  private agent: http.Agent;
  /** Streams' pool (see the file comment). */
  private streamAgent: http.Agent;
  private readonly isHttps: boolean;

  constructor(private opts: HttpTransportOptions) {
    this.base = new URL(opts.server);
    this.isHttps = this.base.protocol === 'https:';
    this.agent = this.newAgent(opts.maxSockets ?? 32);
    this.streamAgent = this.newAgent(Infinity);
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
  }

  /** The Transport function (bound). */
  readonly request: Transport = (req: TransportRequest): Promise<TransportResponse> => {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = { ...req.headers };
    if (this.opts.token) headers['Authorization'] = `Bearer ${this.opts.token}`;
    if (this.opts.userAgent) headers['User-Agent'] = this.opts.userAgent;
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
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
  };

  destroy(): void {
    this.agent.destroy();
    this.streamAgent.destroy();
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

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
