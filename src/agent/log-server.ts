// The agent's HTTP endpoint (the kubelet's port 10250 server, reduced to what everynode uses):
//   GET /containerLogs/<namespace>/<pod>/<container>?follow&tailLines&timestamps&previous
//       &sinceSeconds&sinceTime&limitBytes
//   GET /stats/summary   CPU and memory of the node and its containers (stats.ts; the metrics API)
//   POST /exec/<namespace>/<pod>/<container>?command=...[&stdin][&tty&cols&rows]   a command in the
//        container (kubectl exec; the framing and the tty contract are in api/agent-api.ts)
//   POST /attach/<namespace>/<pod>/<container>[?tty=true[&stdin=true]]   kubectl attach (the
//        contract is in api/agent-api.ts). Without tty: input for a running container started
//        with stdin (attach -i): the request body is written to its stdin until the body ends, the
//        container exits or the caller goes away; the answer (200, no body) ends then; the
//        container's output is its log (the API server follows it for the attach). With tty (a
//        container whose spec asks for a terminal): the answer says whether it runs on one.
//   POST /portForward/<namespace>/<pod>?port=N   a connection to a port in the pod's network
//        (kubectl port-forward): the request body goes to the port, the answer is what it sends
//   GET /pods             the pods this agent runs, as a v1 PodList (static pods included)
//   GET /metrics, /metrics/resource, /metrics/cadvisor   Prometheus text (metrics.ts)
//   GET /healthz
// Any other path is 404. The API server's `pods/<name>/log`, exec, attach and port-forward come
// here (node InternalIP + daemonEndpoints port), and `nodes/<name>/proxy/<path>` forwards
// `<path>` here as it is (node-proxy.ts): whatever this endpoint serves, nodes/proxy serves.
//
// Security: with `tls` (the node identity's serving certificate and the cluster CA) the
// endpoint is HTTPS and requires a client certificate signed by the cluster CA whose
// organizations include `system:masters` (the API server's kubelet-client certificate, or an
// admin); anything else is refused at the handshake (no or foreign certificate) or with 403.
// Without `tls` (an agent started with a kubeconfig and no node identity) it is plain HTTP that
// cannot tell who asks, so it serves only /healthz: logs, stats, exec and port-forward are 403
// there (they would be open to anyone who can reach the node's address), and so are /pods and
// the metrics.
//
// Contract: 200 text/plain with the log (streamed, chunk by chunk, when follow=true, until the
// container has exited and its log is drained or the client goes away); errors are plain text
// with 400 (bad parameters, container not started), 404 (unknown pod/container) or 500.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { PodLogOptions } from './pod-worker.js';
import {
  EXEC_RESIZE,
  EXEC_RESULT,
  EXEC_STDERR,
  EXEC_STDIN,
  EXEC_STDOUT,
  EXEC_TERMINAL_HEADER,
  ExecFrameDecoder,
  MAX_TERMINAL_DIMENSION,
  execFrame,
  terminalSizeOf,
  type AgentStats,
  type TerminalSize,
} from '../api/agent-api.js';
import type { ExecIO } from './runtime/interface.js';
import type { Pod } from '../api/types.js';
import { PROMETHEUS_TEXT_CONTENT_TYPE } from './metrics.js';
import { queryBool } from '../util/index.js';

/** An error with the HTTP status the log endpoint answers. */
export class LogRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'LogRequestError';
  }
}

export interface ContainerLogSource {
  /** Resource usage for `GET /stats/summary` (the metrics API); absent: 404. */
  statsSummary?(): Promise<AgentStats>;
  /** The pods this agent runs, for `GET /pods` (static pods included, mirror pods not); absent: 404. */
  pods?(): Promise<Pod[]>;
  /** The Prometheus text of `GET /metrics`, `/metrics/resource` or `/metrics/cadvisor` (metrics.ts); absent: 404. */
  metrics?(endpoint: AgentMetricsEndpoint): Promise<string>;
  /**
   * Runs a command in a container (`POST /exec/...`, behind `kubectl exec`); rejects with
   * LogRequestError for unknown pods/containers. Absent: 404.
   */
  exec?(namespace: string, podName: string, container: string, command: string[], io: ExecIO): Promise<{ exitCode: number }>;
  /**
   * Writes `input` to a running container's stdin (`POST /attach/...`, behind `kubectl attach
   * -i`). Rejects with LogRequestError, before calling `started`, for unknown pods or
   * containers and for a container that is not running or was not started with stdin; calls
   * `started` once the input is open, then resolves when `input` ended, the container exited
   * or `signal` aborted. Absent: 404.
   */
  attachStdin?(namespace: string, podName: string, container: string, input: AsyncIterable<Buffer>, io: { signal: AbortSignal; started: () => void }): Promise<void>;
  /**
   * An attach that asks for a terminal (`POST /attach/...?tty=true`, behind `kubectl attach` to a
   * container with `tty`). Rejects with LogRequestError, before calling `started`, as
   * attachStdin (input only where the spec takes it). A container on a terminal: `started({
   * terminal: true })` once attached, then its output, live, into `stdout` and `stdin` typed into
   * it, sizes to `onResize`'s listener, until it exits or `signal` aborts. Without a terminal:
   * `started({ terminal: false })`, then `stdin` (if any) written to its input as attachStdin
   * does; nothing goes to `stdout`. Absent: such attaches are served as without tty.
   */
  attachTerminal?(namespace: string, podName: string, container: string, io: AgentTerminalAttach): Promise<void>;
  /**
   * The addresses a port of the pod is reached at from this node, in the order to try them
   * (`POST /portForward/...`, behind `kubectl port-forward`); rejects with LogRequestError for
   * unknown pods. Absent: 404.
   */
  portForwardHosts?(namespace: string, podName: string): Promise<string[]>;
  /**
   * The log selected by `options`; with `options.follow`, streams into `onData` and resolves at
   * the end of the stream. Rejects with LogRequestError for unknown pods/containers.
   */
  containerLogs(namespace: string, podName: string, container: string, options: PodLogOptions, onData: (chunk: Buffer) => void): Promise<void>;
}

/** What the agent's endpoint gives a terminal attach (ContainerLogSource.attachTerminal). */
export interface AgentTerminalAttach {
  /** Input for the container (the attach asked for stdin). */
  stdin?: AsyncIterable<Buffer>;
  /** The terminal's output, sent as EXEC_STDOUT frames (backpressure: its writes wait for the caller). */
  stdout: Writable;
  signal: AbortSignal;
  /** Registers the listener for the caller's terminal sizes (EXEC_RESIZE frames). */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Called once, when the attach is open: the answer's headers go then, saying `pty` or `none`. */
  started(info: { terminal: boolean }): void;
}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogRequestError(400, `invalid ${name}: ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min) throw new LogRequestError(400, `${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  return queryBool(q.get(name)) === true;
}

/** Parses the log query parameters shared by the agent and the API server (upstream PodLogOptions). */
export function parseLogQuery(q: URLSearchParams, now: number = Date.now()): PodLogOptions {
  const opts: PodLogOptions = {};
  if (boolParam(q, 'follow')) opts.follow = true;
  if (boolParam(q, 'previous')) opts.previous = true;
  if (boolParam(q, 'timestamps')) opts.timestamps = true;
  const tail = intParam(q, 'tailLines', 0);
  if (tail !== undefined) opts.tailLines = tail;
  const limit = intParam(q, 'limitBytes', 1);
  if (limit !== undefined) opts.limitBytes = limit;
  const since = intParam(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (since !== undefined && sinceTime) throw new LogRequestError(400, 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (since !== undefined) opts.sinceTime = now - since * 1000;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new LogRequestError(400, `invalid sinceTime: ${JSON.stringify(sinceTime)}`);
    // Whole seconds, as upstream: the API server hands sinceTime to the kubelet as a metav1.Time
    // query parameter (RFC 3339 without the fraction), so lines of that second are included.
    opts.sinceTime = Math.floor(t / 1000) * 1000;
  }
  return opts;
}

/** TLS material of the agent endpoint: serving certificate/key and the CA client certificates must chain to. */
export interface AgentTlsOptions {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** Which of the agent's Prometheus endpoints (`/metrics`, `/metrics/resource`, `/metrics/cadvisor`). */
export type AgentMetricsEndpoint = 'agent' | 'resource' | 'cadvisor';

const METRICS_PATHS: Record<string, AgentMetricsEndpoint> = { '/metrics': 'agent', '/metrics/resource': 'resource', '/metrics/cadvisor': 'cadvisor' };

/** The group a client certificate needs to read logs (the API server's kubelet-client certificate carries it). */
export const LOG_READER_GROUP = 'system:masters';

function clientAllowed(req: IncomingMessage): boolean {
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate !== 'function' || !sock.authorized) return false;
  const o = sock.getPeerCertificate(false)?.subject?.O as string | string[] | undefined;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return groups.includes(LOG_READER_GROUP);
}

export interface AgentHttpServer {
  server: Server;
  host: string;
  port: number;
  /** Serves a renewed serving certificate to new connections (TLS servers only). */
  setServingCertificate(certPem: string, keyPem: string): void;
  close(): Promise<void>;
}

async function handle(source: ContainerLogSource, req: IncomingMessage, res: ServerResponse, secured: boolean): Promise<void> {
  const raw = req.url ?? '/';
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (!secured) throw new LogRequestError(403, 'Forbidden: this agent has no node identity, so its endpoint serves nothing but /healthz (logs, stats, pods, metrics, exec and port-forward need an agent joined with --token)');
  if (path === '/stats/summary' && source.statsSummary) {
    if (req.method !== 'GET') throw new LogRequestError(405, 'method not allowed');
    const body = JSON.stringify(await source.statsSummary());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (path === '/pods' && source.pods) {
    if (req.method !== 'GET') throw new LogRequestError(405, 'method not allowed');
    // The kubelet's answer: a v1 PodList with empty list metadata.
    const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: await source.pods() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const metricsEndpoint = Object.hasOwn(METRICS_PATHS, path) ? METRICS_PATHS[path] : undefined;
  if (metricsEndpoint && source.metrics) {
    if (req.method !== 'GET') throw new LogRequestError(405, 'method not allowed');
    const body = await source.metrics(metricsEndpoint);
    res.writeHead(200, { 'content-type': PROMETHEUS_TEXT_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'exec' && parts.length === 4 && source.exec) {
    return serveExec(source.exec.bind(source), parts as [string, string, string, string], query, req, res);
  }
  if (parts[0] === 'attach' && parts.length === 4 && source.attachTerminal && queryBool(query.get('tty')) === true) {
    if (req.method !== 'POST') throw new LogRequestError(405, 'method not allowed');
    return serveTerminalAttach(source.attachTerminal.bind(source), parts as [string, string, string, string], queryBool(query.get('stdin')) === true, req, res);
  }
  if (parts[0] === 'attach' && parts.length === 4 && source.attachStdin) {
    if (req.method !== 'POST') throw new LogRequestError(405, 'method not allowed');
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let started = false;
    try {
      await source.attachStdin(parts[1]!, parts[2]!, parts[3]!, req as AsyncIterable<Buffer>, {
        signal: abort.signal,
        started: () => {
          started = true;
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
          res.flushHeaders();
        },
      });
    } catch (err) {
      if (!started) throw err; // answered with its status by the caller
    }
    if (!started) res.writeHead(200);
    res.end();
    return;
  }
  if (parts[0] === 'portForward' && parts.length === 3 && source.portForwardHosts) {
    if (req.method !== 'POST') throw new LogRequestError(405, 'method not allowed');
    const portText = query.get('port') ?? '';
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
    if (port < 1 || port > 65535) throw new LogRequestError(400, `unable to parse ${JSON.stringify(portText)} as a port: must be an integer in 1-65535`);
    const hosts = await source.portForwardHosts(parts[1]!, parts[2]!);
    return servePortForward(hosts, port, req, res);
  }
  if (parts[0] !== 'containerLogs' || parts.length !== 4) throw new LogRequestError(404, `404 page not found: ${path}`);
  if (req.method !== 'GET') throw new LogRequestError(405, 'method not allowed');
  const [, namespace, podName, container] = parts as [string, string, string, string];
  const options = parseLogQuery(query);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  options.signal = abort.signal;
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.flushHeaders();
  };
  if (options.follow) {
    // The answer starts once the log is followed (the output of an attach's input is not missed
    // by a reader that waits for it), or at its first chunk.
    options.onFollowing = start;
    await source.containerLogs(namespace, podName, container, options, (chunk) => {
      start();
      res.write(chunk);
    });
    start();
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  await source.containerLogs(namespace, podName, container, options, (chunk) => chunks.push(chunk));
  const body = Buffer.concat(chunks);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length }).end(body);
}

/**
 * `POST /exec/NS/POD/CONTAINER?command=...&command=...[&stdin=true][&tty=true[&cols=W&rows=H]]`
 * (contract in api/agent-api.ts): the answer is a stream of frames (stdout, stderr, then the
 * result), its headers sent once the command started; without tty the request body is the
 * command's stdin (with stdin=true), with tty a stream of stdin and resize frames. The command
 * is killed when the caller goes away.
 */
async function serveExec(
  exec: NonNullable<ContainerLogSource['exec']>,
  [, namespace, podName, container]: [string, string, string, string],
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') throw new LogRequestError(405, 'method not allowed');
  const command = query.getAll('command');
  if (command.length === 0) throw new LogRequestError(400, 'you must specify at least one command for the container');
  const flag = (name: string): boolean => queryBool(query.get(name)) === true;
  const stdin = flag('stdin');
  const tty = flag('tty');
  const cols = intParam(query, 'cols', 1);
  const rows = intParam(query, 'rows', 1);
  if ((cols === undefined) !== (rows === undefined)) throw new LogRequestError(400, 'cols and rows go together');
  if ((cols ?? 0) > MAX_TERMINAL_DIMENSION || (rows ?? 0) > MAX_TERMINAL_DIMENSION) throw new LogRequestError(400, `cols and rows must be at most ${MAX_TERMINAL_DIMENSION}`);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let started = false;
  const start = (terminal: boolean): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache', ...(tty ? { [EXEC_TERMINAL_HEADER]: terminal ? 'pty' : 'none' } : {}) });
    res.flushHeaders();
  };
  // Output as frames; a full socket holds the command (backpressure through the pipes).
  const channel = (ch: number): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        start(false);
        if (res.destroyed || res.write(execFrame(ch, chunk))) done();
        else res.once('drain', () => done());
      },
    });
  // With tty the body is frames: stdin (to the command, when it reads stdin) and resizes.
  let resizeListener: ((size: TerminalSize) => void) | undefined;
  const framedBody = () => framedInput(req, stdin, (size) => resizeListener?.(size));
  let input: AsyncIterable<Buffer> | undefined;
  if (!tty) {
    if (stdin) input = req as AsyncIterable<Buffer>;
    else req.resume();
  } else if (stdin) {
    input = framedBody();
  } else {
    // No stdin: the body carries resizes only, read here.
    void (async () => {
      try {
        for await (const _ of framedBody()) void _;
      } catch {
        // a broken body: later sizes are lost, the command goes on
      }
    })();
  }
  let result: { exitCode: number } | { error: string };
  try {
    result = await exec(namespace, podName, container, command, {
      ...(input ? { stdin: input } : {}),
      stdout: channel(EXEC_STDOUT),
      stderr: channel(EXEC_STDERR),
      signal: abort.signal,
      ...(tty ? { tty: { ...(cols !== undefined && rows !== undefined ? { size: { cols, rows } } : {}), onResize: (l: (size: TerminalSize) => void) => (resizeListener = l) } } : {}),
      started: ({ terminal }) => start(terminal),
    });
  } catch (err) {
    if (!started) throw err; // answered with its status by the caller
    result = { error: err instanceof Error ? err.message : String(err) };
  }
  start(false);
  res.end(execFrame(EXEC_RESULT, Buffer.from(JSON.stringify(result))));
}

/**
 * `POST /attach/NS/POD/CONTAINER?tty=true[&stdin=true]` (contract in api/agent-api.ts): the
 * request body is frames (stdin with stdin=true, resizes); the answer's headers, sent once the
 * attach is open, carry EXEC_TERMINAL_HEADER; with `pty` its body is the terminal's output as
 * EXEC_STDOUT frames until the container exits, with `none` it has no body and ends when the
 * input does. The attach ends when the caller goes away.
 */
async function serveTerminalAttach(
  attach: NonNullable<ContainerLogSource['attachTerminal']>,
  [, namespace, podName, container]: [string, string, string, string],
  stdin: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let started = false;
  const start = (terminal: boolean): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache', [EXEC_TERMINAL_HEADER]: terminal ? 'pty' : 'none' });
    res.flushHeaders();
  };
  let resizeListener: ((size: TerminalSize) => void) | undefined;
  const frames = () => framedInput(req, stdin, (size) => resizeListener?.(size));
  if (!stdin) {
    // The body carries resizes only, read here.
    void (async () => {
      try {
        for await (const _ of frames()) void _;
      } catch {
        // a broken body: later sizes are lost, the attach goes on
      }
    })();
  }
  // A write waits while the caller's socket is full (the runtime cuts off a caller far behind).
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (res.destroyed || res.write(execFrame(EXEC_STDOUT, chunk))) return done();
      const go = (): void => {
        res.off('drain', go);
        res.off('close', go);
        done();
      };
      res.on('drain', go);
      res.on('close', go);
    },
  });
  try {
    await attach(namespace, podName, container, {
      ...(stdin ? { stdin: frames() } : {}),
      stdout,
      signal: abort.signal,
      onResize: (l) => (resizeListener = l),
      started: ({ terminal }) => start(terminal),
    });
  } catch (err) {
    if (!started) throw err; // answered with its status by the caller
  }
  start(false);
  // What the terminal wrote goes out before the answer ends.
  await new Promise<void>((resolve) => stdout.end(() => resolve()));
  res.end();
}

/** Largest stdin or resize frame the agent takes from an exec body (the API server sends small ones). */
const MAX_STDIN_FRAME = 4 * 1024 * 1024;

/** Connects to `port` at the first of `hosts` that accepts within 10 s each; rejects with the last error. */
async function connectFirst(hosts: string[], port: number): Promise<Socket> {
  let last: Error = new Error('no address to connect to');
  for (const host of hosts) {
    try {
      return await new Promise<Socket>((ok, fail) => {
        const s = connect({ host, port });
        const timer = setTimeout(() => s.destroy(new Error(`connect to ${host}:${port} timed out`)), 10_000);
        s.once('connect', () => {
          clearTimeout(timer);
          s.removeAllListeners('error');
          ok(s);
        });
        s.once('error', (err) => {
          clearTimeout(timer);
          fail(err);
        });
      });
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
  }
  throw last;
}

/**
 * `POST /portForward/NS/POD?port=N`: 200 once connected, then the request body goes to the port
 * (its end is a half close) and the answer streams what the port sends until it closes; a port
 * nothing listens on is a 502 with the reason. The connection is dropped when the caller goes.
 */
async function servePortForward(hosts: string[], port: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let sock: Socket;
  try {
    sock = await connectFirst(hosts, port);
  } catch (err) {
    throw new LogRequestError(502, `failed to connect to port ${port} at ${hosts.join(', ')}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.destroyed) {
    sock.destroy();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  sock.on('error', () => res.destroy());
  res.on('close', () => sock.destroy());
  req.pipe(sock);
  sock.pipe(res);
}

/**
 * The request line and headers a request may have: 1 MiB, Go's DefaultMaxHeaderBytes, which the
 * kubelet's server keeps (node's default is 16 KiB). An exec's command travels in the query
 * (`command=...` per argument), so `kubectl exec POD -- echo <20,000 characters>` must fit.
 */
const maxHeaderSize = 1 << 20;

/** Starts the agent's HTTP server on `host:port` (port 0 picks a free one). */
export async function startAgentHttpServer(source: ContainerLogSource, host: string, port: number, onError?: (err: unknown) => void, tls?: AgentTlsOptions): Promise<AgentHttpServer> {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (tls && !clientAllowed(req)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden: a client certificate of the cluster CA in group system:masters is required');
      return;
    }
    handle(source, req, res, tls !== undefined).catch((err: unknown) => {
      const status = err instanceof LogRequestError ? err.status : 500;
      if (!(err instanceof LogRequestError)) onError?.(err);
      const msg = err instanceof Error ? err.message : String(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(msg);
    });
  };
  const server: Server = tls
    ? (createHttpsServer({ key: tls.keyPem, cert: tls.certPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true, keepAlive: true, requestTimeout: 0, maxHeaderSize }, listener) as unknown as Server)
    : createServer({ keepAlive: true, requestTimeout: 0, maxHeaderSize }, listener);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    host,
    port: actual,
    setServingCertificate: (certPem, keyPem) => {
      if (tls) (server as unknown as import('node:https').Server).setSecureContext({ key: keyPem, cert: certPem, ca: tls.caPem });
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/**
 * A framed request body (exec and attach with tty, api/agent-api.ts): yields its stdin frames'
 * payloads (only when `stdin`, empty ones skipped) and hands each valid resize to `onResize`,
 * until the body ends.
 */
async function* framedInput(req: IncomingMessage, stdin: boolean, onResize: (size: TerminalSize) => void): AsyncGenerator<Buffer> {
  const decoder = new ExecFrameDecoder(MAX_STDIN_FRAME);
  for await (const chunk of req as AsyncIterable<Buffer>) {
    for (const f of decoder.push(chunk)) {
      if (f.channel === EXEC_STDIN) {
        if (stdin && f.payload.length > 0) yield f.payload;
      } else if (f.channel === EXEC_RESIZE) {
        const size = terminalSizeOf(f.payload.toString('utf8'));
        if (size) onResize(size);
      }
    }
  }
}
