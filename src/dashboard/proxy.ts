// The dashboard server: a loopback HTTP server that serves the dashboard page and forwards the
// Kubernetes API under the same origin with the cluster's credentials (what `kubectl proxy`
// does for upstream's dashboard), so the browser needs neither the cluster CA nor a token of
// the cluster.
//
// Contracts:
// - Listens on a loopback address only (127.0.0.0/8, ::1, localhost), checked on the address
//   actually bound. Whoever holds the dashboard's login acts with the credentials behind
//   `transport` (the admin kubeconfig by default).
// - Login: a random token made at start (or given) is in the printed URL (`/?token=...`).
//   The page (`/`, `/index.html`) is served to anyone (it is code, with no data in it); with a
//   `token` that is not the current one it is a 401 sign-in page saying so (a mistyped token,
//   or one printed before a restart). The page keeps the token in its origin's localStorage and
//   sends it as `X-Everynode-Dashboard-Token` with every request; every other request needs
//   that header (401 otherwise), so other users of the machine and pages of other sites get
//   nothing, reads included. No cookie carries it: browsers send a host's cookies to every
//   port of that host, so any other local service (a daemon listening on 127.0.0.1) would get
//   a cookie-held session, while localStorage belongs to this origin, port included.
//   A 401 of the server itself carries `X-Everynode-Dashboard-Session: invalid` (the page then
//   says that its session ended, or that it is not signed in).
// - DNS rebinding: a request whose Host header is not a loopback name or address is refused
//   (403), so a web page on another name resolving to 127.0.0.1 cannot use it.
// - CSRF: only GET and HEAD go through as they are; POST, PUT, PATCH and DELETE also need the
//   header `X-Everynode-Dashboard: 1`, which a page of another origin cannot send without a
//   CORS preflight, and preflights (OPTIONS) are refused.
// - Forwarded: `/api`, `/apis`, `/version`, `/healthz`, `/livez`, `/readyz`, `/openapi` paths
//   with their query, except paths with `.`/`..`/empty segments or encoded `.`, `/`, `\`
//   (which a front proxy of the API server might collapse) and the proxy, exec, attach and
//   portforward subresources (whose answers come from pods and nodes); the request's
//   Content-Type, Accept and body (up to 3 MiB, else 413); the answer's status, Content-Type
//   and Warning headers, with a sandboxing CSP so that no answer runs as a page of this origin,
//   and its body, streamed with backpressure (watches and log follows work; a reader that
//   stops reading stops the upstream reads). A client that goes away aborts the upstream
//   request.
//   The status line and headers go out at once (a watch with no event yet is established
//   for its client), then every upstream chunk as it comes (chunked, no buffering). The server
//   sets no timeout of its own on an answer: a watch lasts until the API server ends it (its
//   timeoutSeconds), the client goes away or the upstream connection breaks.
// - An unreachable API server is a 502 with a Kubernetes Status whose message says so.
// - `GET /dashboard/watch?path=P&path=P...` (the page's informer): up to 8 watches of the API
//   in one answer, so one tab holds one long-lived connection (browsers allow six per host over
//   HTTP/1.1; four watches per tab would starve a second tab). Each P is a path with query that
//   may be forwarded (above) under `/api/` or `/apis/` and asks for `watch=1` or `watch=true`.
//   The answer is 200 with newline-delimited JSON, one line per upstream line:
//   `{"watch":I,"event":E}` with E a watch event exactly as the API server sent it (I is the
//   index of its path), or `{"watch":I,"status":S}` when watch I got no stream: S is the API
//   server's Status for a non-200 answer, or a 502 Status when it cannot be reached. The answer
//   ends when any of its watches ends (its timeout, an error, a broken connection), so the
//   client re-watches all of them from the last resourceVersions it saw; a client that goes
//   away aborts every upstream watch. Backpressure as above: a reader that stops reading stops
//   the upstream reads.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { chunkBytes, type Transport, type TransportRequest } from '../client/index.js';
import type { Logger } from '../util/logger.js';
import { dashboardPage } from './page.js';

export interface DashboardOptions {
  /** Where API requests go (an HttpTransport with the kubeconfig's credentials, or in-process). */
  transport: Transport;
  /** `HOST:PORT` on a loopback address (default 127.0.0.1:8001); port 0 picks a free one. */
  listen?: string;
  /** When the port is taken, listen on a free port of the same address instead of failing. */
  fallbackToFreePort?: boolean;
  /** The login token (default: 32 random bytes, base64url). */
  token?: string;
  /**
   * With `fallbackToFreePort`: the token to use instead of `token` when the port was taken.
   * Browsers keep the token per address (localStorage of `http://HOST:PORT`), so whatever holds
   * the usual port can read a kept token from a browser that opens that address; a token that
   * outlives restarts must then be replaced. Default: keep `token`.
   */
  tokenOnFallback?: () => string;
  logger?: Logger;
}

export interface RunningDashboard {
  /** The login URL to open: `http://HOST:PORT/?token=...` (the page keeps the token). */
  url: string;
  /** `http://HOST:PORT/` */
  baseUrl: string;
  /** The headers a signed-in page sends with every request (for clients other than a browser). */
  headers: Record<string, string>;
  close(): Promise<void>;
}

export const DASHBOARD_WRITE_HEADER = 'x-everynode-dashboard';
/** The sign-in token, sent by the page with every request (see the file comment). */
export const DASHBOARD_TOKEN_HEADER = 'x-everynode-dashboard-token';
/** Subresources whose answers are produced by pods or nodes, not by the API server. */
const refusedSegments = new Set(['proxy', 'exec', 'attach', 'portforward']);
const forwardedPrefixes = ['/api/', '/apis/', '/openapi/'];
const forwardedExact = new Set(['/api', '/apis', '/version', '/healthz', '/livez', '/readyz']);
const readMethods = new Set(['GET', 'HEAD']);
const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const maxBodyBytes = 3 * 1024 * 1024;

/** True for a loopback address or name (what the dashboard may listen on and be called by). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/** The host part of a Host header (`name`, `name:port`, `[v6]:port`). */
function hostOf(header: string | undefined): string {
  if (!header) return '';
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (v6) return v6[1]!;
  const i = header.lastIndexOf(':');
  return i > 0 && header.indexOf(':') === i ? header.slice(0, i) : header;
}

/**
 * `HOST:PORT` of the dashboard, refused unless HOST is a loopback address or name (the same
 * check as at start, so `up` can make it before it starts anything).
 */
export function parseDashboardListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`dashboard: --listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const host = m[1] ?? m[2]!;
  if (!isLoopbackHost(host)) throw new Error(`dashboard: refusing to listen on ${host}: it acts with the cluster's credentials, so it listens on a loopback address only`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`dashboard: --listen port must be 0 to 65535, got ${port}`);
  return { host, port };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string, extraHeaders: Record<string, string> = {}): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extraHeaders });
  res.end(body);
}

/**
 * On the dashboard server's own 401 (never on a forwarded answer, whose headers are not
 * copied): tells the page that its session is not valid, as opposed to a 401 of the API server.
 */
export const DASHBOARD_SESSION_HEADER = 'X-Everynode-Dashboard-Session';

/** The body as text; `tooLarge` past maxBodyBytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<string | undefined | { tooLarge: true }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBodyBytes) chunks.push(c);
    });
    req.on('end', () => resolve(size > maxBodyBytes ? { tooLarge: true } : chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendTooLarge(res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  sendStatus(res, 413, 'RequestEntityTooLarge', 'the request body is larger than 3 MiB');
}

/** CSP source of the page's one inline script: its hash, so no other inline script can run. */
function scriptHashSource(page: string): string {
  const m = /<script>([\s\S]*?)<\/script>/.exec(page);
  if (!m) throw new Error('dashboard page has no inline script');
  return `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`;
}

const pageHeaders = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': Buffer.byteLength(dashboardPage),
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page is self-contained: its own inline script and style, API calls to this origin only.
  'Content-Security-Policy': `default-src 'none'; script-src ${scriptHashSource(dashboardPage)}; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
};

/** Forwarded answers never act as a page of this origin, whatever their Content-Type. */
const forwardedCsp = "sandbox; default-src 'none'; frame-ancestors 'none'";

/** Why `pathname` may not be forwarded, or undefined when it may (see the file contract). */
function refusedPath(pathname: string): string | undefined {
  if (/%2e|%2f|%5c|\\/i.test(pathname)) return 'encoded dots, slashes and backslashes are not forwarded';
  const segments = pathname.split('/').slice(1);
  for (const raw of segments) {
    // As the API server reads the segment (percent-decoded): `%70roxy` is `proxy` there.
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return 'path segments that are not valid percent-encoding are not forwarded';
    }
    if (seg === '' || seg === '.' || seg === '..') return 'empty, . and .. path segments are not forwarded';
    if (refusedSegments.has(seg)) return `the ${seg} subresource is not forwarded by the dashboard`;
  }
  return undefined;
}

/** The session: the login token. */
interface Session {
  token: string;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? undefined : v;
}

function sameToken(a: string | undefined | null, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The sign-in page for a token that is not the current one. */
const badTokenPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>everynode dashboard</title></head><body style="font-family:system-ui,sans-serif;margin:3em">
<h1>everynode dashboard</h1><p id="bad-token"><strong>That sign-in token is not valid.</strong> It may be mistyped, or from an earlier start: <code>everynode dashboard</code> prints a new address each time it starts (<code>everynode up</code> keeps its own across restarts on the same data dir, unless it had to move to another port).</p><p>Open the address that <code>everynode up</code> or <code>everynode dashboard</code> printed last (it ends in <code>?token=…</code>) to sign in.</p></body></html>`;

async function forward(transport: Transport, req: IncomingMessage, res: ServerResponse, path: string, logger: Logger | undefined): Promise<void> {
  const method = req.method ?? 'GET';
  let body: string | undefined;
  if (writeMethods.has(method)) {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return sendTooLarge(res);
    const read = await readBody(req);
    if (typeof read === 'object') return sendTooLarge(res);
    body = read;
  }
  const headers: Record<string, string> = { Accept: req.headers.accept ?? 'application/json' };
  if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const upstream: TransportRequest = { method: (method === 'HEAD' ? 'GET' : method) as TransportRequest['method'], path, headers, signal: abort.signal };
  if (body !== undefined) upstream.body = body;
  let answer;
  try {
    answer = await transport(upstream);
  } catch (err) {
    if (abort.signal.aborted) return;
    logger?.warn(`dashboard: ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return sendStatus(res, 502, 'ServiceUnavailable', `cannot reach the API server: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out: Record<string, string | string[]> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': forwardedCsp };
  for (const h of ['content-type', 'warning']) {
    const v = answer.headers[h];
    if (v !== undefined) out[h] = v;
  }
  res.writeHead(answer.statusCode, out);
  // Headers at once: a watch without events yet (or a quiet log follow) is open for the client.
  res.flushHeaders();
  if (method === 'HEAD') {
    abort.abort();
    res.end();
    return;
  }
  try {
    for await (const chunk of answer.body) {
      if (res.destroyed) break;
      // Backpressure: a reader that stops reading stops the upstream reads.
      if (!res.write(chunkBytes(chunk))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end();
  } catch {
    // The upstream stream broke (or we aborted it): end what we sent.
    res.destroy();
  }
}

/** The path of the watch multiplexer (see the file contract). */
export const DASHBOARD_WATCH_PATH = '/dashboard/watch';
const maxMultiplexedWatches = 8;

/** The watch paths of a multiplexer request, or why they may not be forwarded. */
function watchPaths(params: URLSearchParams): string[] | { refused: string } {
  const paths = params.getAll('path');
  if (paths.length === 0 || paths.length > maxMultiplexedWatches) return { refused: `name 1 to ${maxMultiplexedWatches} watches with path=` };
  for (const p of paths) {
    const q = p.indexOf('?');
    const pathname = q < 0 ? p : p.slice(0, q);
    if (!pathname.startsWith('/api/') && !pathname.startsWith('/apis/')) return { refused: `${pathname}: only /api/ and /apis/ paths are watched` };
    const why = refusedPath(pathname);
    if (why) return { refused: `${pathname}: ${why}` };
    const watch = new URLSearchParams(q < 0 ? '' : p.slice(q + 1)).get('watch');
    if (watch !== '1' && watch !== 'true') return { refused: `${pathname}: a watch needs watch=1` };
  }
  return paths;
}

/**
 * Serves `GET /dashboard/watch` (see the file contract): the watches in `paths`, merged line by
 * line into one answer that ends when the first of them ends.
 */
async function multiplexWatches(transport: Transport, res: ServerResponse, paths: string[], logger: Logger | undefined): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': forwardedCsp });
  res.flushHeaders();
  /** Writes one line; resolves when the client may take more (backpressure). */
  const send = async (line: string): Promise<void> => {
    if (res.destroyed || abort.signal.aborted) return;
    if (!res.write(line)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const status = (code: number, reason: string, message: string): string => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const one = async (i: number, path: string): Promise<void> => {
    let answer;
    try {
      answer = await transport({ method: 'GET', path, headers: { Accept: 'application/json' }, signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      logger?.warn(`dashboard: watch ${path}: ${message}`);
      await send(`{"watch":${i},"status":${status(502, 'ServiceUnavailable', `cannot reach the API server: ${message}`)}}\n`);
      return;
    }
    if (answer.statusCode !== 200) {
      let text = '';
      try {
        for await (const c of answer.body) text += chunkBytes(c).toString('utf8');
      } catch {
        // A broken error answer: its status code is all there is.
      }
      let st: string;
      try {
        const parsed: unknown = JSON.parse(text);
        st = typeof parsed === 'object' && parsed !== null && (parsed as { kind?: unknown }).kind === 'Status' ? JSON.stringify(parsed) : status(answer.statusCode, 'Unknown', `HTTP ${answer.statusCode}`);
      } catch {
        st = status(answer.statusCode, 'Unknown', `HTTP ${answer.statusCode}: ${text.trim().slice(0, 200)}`);
      }
      await send(`{"watch":${i},"status":${st}}\n`);
      return;
    }
    // Upstream chunks split lines anywhere; only whole lines are passed on.
    const decoder = new StringDecoder('utf8');
    let partial = '';
    try {
      for await (const chunk of answer.body) {
        if (abort.signal.aborted) return;
        const text = partial + decoder.write(chunkBytes(chunk));
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        let out = '';
        for (const line of lines) if (line.trim() !== '') out += `{"watch":${i},"event":${line}}\n`;
        if (out !== '') await send(out);
      }
    } catch {
      // The upstream stream broke (or was aborted): this watch has ended.
    }
  };
  const watches = paths.map((p, i) => one(i, p));
  // The first watch to end ends the answer (and aborts the others).
  await Promise.race(watches);
  abort.abort();
  await Promise.allSettled(watches);
  if (!res.destroyed) res.end();
}

function handler(opts: DashboardOptions, session: Session) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const run = async (): Promise<void> => {
      if (!isLoopbackHost(hostOf(req.headers.host))) {
        return sendStatus(res, 403, 'Forbidden', 'the dashboard answers loopback host names only');
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const method = req.method ?? 'GET';
      const isPage = pathname === '/' || pathname === '/index.html';
      const { token } = session;
      const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      if (isPage) {
        if (!readMethods.has(method)) return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
        if (params.has('token') && !sameToken(params.get('token'), token)) {
          res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'Referrer-Policy': 'no-referrer', [DASHBOARD_SESSION_HEADER]: 'invalid' });
          res.end(method === 'HEAD' ? undefined : badTokenPage);
          return;
        }
        res.writeHead(200, pageHeaders);
        res.end(method === 'HEAD' ? undefined : dashboardPage);
        return;
      }
      if (!sameToken(headerValue(req.headers[DASHBOARD_TOKEN_HEADER]), token)) {
        return sendStatus(res, 401, 'Unauthorized', 'sign in to the dashboard first: open the address everynode printed (?token=...)', { [DASHBOARD_SESSION_HEADER]: 'invalid' });
      }
      if (pathname === DASHBOARD_WATCH_PATH) {
        if (method !== 'GET') return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
        const paths = watchPaths(params);
        if (!Array.isArray(paths)) return sendStatus(res, 400, 'BadRequest', paths.refused);
        return multiplexWatches(opts.transport, res, paths, opts.logger);
      }
      if (!forwardedExact.has(pathname) && !forwardedPrefixes.some((p) => pathname.startsWith(p))) {
        return sendStatus(res, 404, 'NotFound', `${pathname} is not served by the dashboard`);
      }
      const why = refusedPath(pathname);
      if (why) return sendStatus(res, 404, 'NotFound', why);
      if (writeMethods.has(method)) {
        if (req.headers[DASHBOARD_WRITE_HEADER] !== '1') {
          return sendStatus(res, 403, 'Forbidden', `writes through the dashboard need the header X-Everynode-Dashboard: 1`);
        }
      } else if (!readMethods.has(method)) {
        return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not allowed through the dashboard`);
      }
      await forward(opts.transport, req, res, url, opts.logger);
    };
    run().catch((err: unknown) => {
      opts.logger?.error('dashboard: request failed', err);
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', 'the dashboard failed to answer');
      else res.destroy();
    });
  };
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Starts the dashboard server (see the file comment). */
export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const { host, port } = parseDashboardListen(opts.listen ?? '127.0.0.1:8001');
  const session: Session = { token: opts.token ?? randomBytes(32).toString('base64url') };
  const server = createServer(handler(opts, session));
  try {
    await listenOn(server, host, port);
  } catch (err) {
    if (!opts.fallbackToFreePort || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      // Named for what failed (up starts several listeners); the errno code stays on it.
      throw Object.assign(new Error(`dashboard: cannot listen on ${opts.listen ?? '127.0.0.1:8001'}: ${err instanceof Error ? err.message : String(err)}`), { code: (err as NodeJS.ErrnoException).code });
    }
    opts.logger?.warn(`dashboard: port ${port} is taken; using a free port${opts.tokenOnFallback ? ' and a new sign-in token' : ''}`);
    await listenOn(server, host, 0);
    if (opts.tokenOnFallback) session.token = opts.tokenOnFallback();
  }
  const addr = server.address() as AddressInfo;
  if (!isLoopbackHost(addr.address)) {
    // A name that resolved to something else (e.g. through DNS): never serve there.
    server.close();
    throw new Error(`dashboard: ${host} resolved to ${addr.address}, not a loopback address`);
  }
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const baseUrl = `http://${shownHost}:${addr.port}/`;
  return {
    url: `${baseUrl}?token=${encodeURIComponent(session.token)}`,
    baseUrl,
    headers: { [DASHBOARD_TOKEN_HEADER]: session.token },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
