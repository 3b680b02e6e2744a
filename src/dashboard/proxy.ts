// The dashboard server: a loopback HTTP server that serves the dashboard page and forwards the
// Kubernetes API under the same origin with the cluster's credentials (what `kubectl proxy`
// does for upstream's dashboard), so the browser needs neither the cluster CA nor a token.
//
// Contracts:
// - Listens on a loopback address only (127.0.0.0/8, ::1, localhost); anything else is refused
//   at start. Whoever can reach the port acts with the credentials behind `transport` (the
//   admin kubeconfig by default), as with `kubectl proxy`.
// - DNS rebinding: a request whose Host header is not a loopback name or address is refused
//   (403), so a web page on another name resolving to 127.0.0.1 cannot use it.
// - CSRF: only GET and HEAD go through as they are; POST, PUT, PATCH and DELETE need the header
//   `X-Everynode-Dashboard: 1`, which a page of another origin cannot send without a CORS
//   preflight, and preflights (OPTIONS) are refused.
// - Forwarded: `/api`, `/apis`, `/version`, `/healthz`, `/livez`, `/readyz`, `/openapi` paths
//   with their query; the request's Content-Type, Accept and body (up to 3 MiB); the answer's
//   status, Content-Type and Warning headers and its body, streamed (watches and log follows
//   work). A client that goes away aborts the upstream request.
// - An unreachable API server is a 502 with a Kubernetes Status whose message says so.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
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
  logger?: Logger;
}

export interface RunningDashboard {
  /** `http://HOST:PORT/` */
  url: string;
  close(): Promise<void>;
}

export const DASHBOARD_WRITE_HEADER = 'x-everynode-dashboard';
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

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`dashboard: --listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const host = m[1] ?? m[2]!;
  if (!isLoopbackHost(host)) throw new Error(`dashboard: refusing to listen on ${host}: it acts with the cluster's credentials, so it listens on a loopback address only`);
  return { host, port: Number(m[3]) };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        reject(Object.assign(new Error('request body too large'), { tooLarge: true }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const pageHeaders = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': Buffer.byteLength(dashboardPage),
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page is self-contained: inline script and style, API calls to this origin only.
  'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

async function forward(transport: Transport, req: IncomingMessage, res: ServerResponse, path: string, logger: Logger | undefined): Promise<void> {
  const method = req.method ?? 'GET';
  let body: string | undefined;
  try {
    body = writeMethods.has(method) ? await readBody(req) : undefined;
  } catch (err) {
    if ((err as { tooLarge?: boolean }).tooLarge) return sendStatus(res, 413, 'RequestEntityTooLarge', 'the request body is larger than 3 MiB');
    throw err;
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
  const out: Record<string, string | string[]> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  for (const h of ['content-type', 'warning']) {
    const v = answer.headers[h];
    if (v !== undefined) out[h] = v;
  }
  res.writeHead(answer.statusCode, out);
  if (method === 'HEAD') {
    abort.abort();
    res.end();
    return;
  }
  try {
    for await (const chunk of answer.body) {
      if (res.destroyed) break;
      res.write(chunkBytes(chunk));
    }
    res.end();
  } catch {
    // The upstream stream broke (or we aborted it): end what we sent.
    res.destroy();
  }
}

function handler(opts: DashboardOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const run = async (): Promise<void> => {
      if (!isLoopbackHost(hostOf(req.headers.host))) {
        return sendStatus(res, 403, 'Forbidden', 'the dashboard answers loopback host names only');
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const method = req.method ?? 'GET';
      if (pathname === '/' || pathname === '/index.html') {
        if (!readMethods.has(method)) return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
        res.writeHead(200, pageHeaders);
        res.end(method === 'HEAD' ? undefined : dashboardPage);
        return;
      }
      if (!forwardedExact.has(pathname) && !forwardedPrefixes.some((p) => pathname.startsWith(p))) {
        return sendStatus(res, 404, 'NotFound', `${pathname} is not served by the dashboard`);
      }
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
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8001');
  const server = createServer(handler(opts));
  try {
    await listenOn(server, host, port);
  } catch (err) {
    if (!opts.fallbackToFreePort || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    opts.logger?.warn(`dashboard: port ${port} is taken; using a free port`);
    await listenOn(server, host, 0);
  }
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
