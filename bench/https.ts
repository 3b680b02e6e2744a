// The request floor of one Node.js thread: what a server that does NOTHING but answer requests
// costs per request on this machine, with the shape of a hollow node's status write (a
// ~1.2 KB JSON PATCH body parsed, a ~2.5 KB JSON object answered), over TLS with the cluster's
// own certificates and over plain HTTP, from 64 keep-alive connections of a client in another
// process (so the client's CPU is not counted). The scale benchmark's fan-out has to do this
// work for every status write and lease renewal a node makes, before any API server work, so
// this figure bounds how close a single-threaded API server can come to the store floor.
// The `h2` row is the same exchange over HTTP/2 on TLS (one session, as many concurrent streams
// as the other rows have connections), the protocol client-go speaks to kube-apiserver and the
// one everynode's nodes (agents, hollow nodes) use: the scale benchmark takes this row as the
// transport's share of each node request in its fan-out budget.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePki } from '../src/auth/index.js';

export interface HttpsFloorRow {
  protocol: 'https' | 'http' | 'h2';
  requests: number;
  connections: number;
  /** Requests per second the one server thread answered. */
  requestsPerSec: number;
  /** Server CPU (user + system, all of its threads) per request, µs. */
  serverCpuUsPerRequest: number;
}

const reply = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'fleet-agent-x', namespace: 'default', labels: { app: 'fleet-agent' }, annotations: { note: 'x'.repeat(1500) } },
  spec: { nodeName: 'hollow-node-1', containers: [{ name: 'agent', image: 'registry.example/agent:1' }] },
  status: { phase: 'Running' },
});

// The client: N keep-alive connections (h2: N concurrent streams of one session), each sending
// PATCH requests one after another.
const clientSource = `
const body0 = JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }], note: 'y'.repeat(1000) } });
if (process.env.PROTO === 'h2') {
  const http2 = await import('node:http2');
  const total = Number(process.env.REQUESTS), conns = Number(process.env.CONNS);
  const session = http2.connect('https://127.0.0.1:' + process.env.PORT, { ca: process.env.CA });
  let sent = 0;
  const one = () => new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'PATCH', ':path': '/api/v1/namespaces/default/pods/x/status', 'content-type': 'application/merge-patch+json' });
    s.on('error', reject);
    s.resume();
    s.on('end', resolve);
    s.end(body0);
  });
  await Promise.all(Array.from({ length: conns }, async () => { while (sent++ < total) await one(); }));
  session.close();
  process.exit(0);
}
const mod = await import(process.env.PROTO === 'https' ? 'node:https' : 'node:http');
const total = Number(process.env.REQUESTS), conns = Number(process.env.CONNS);
const agent = new mod.Agent({ keepAlive: true, maxSockets: conns, ...(process.env.CA ? { ca: process.env.CA } : {}) });
const body = JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }], note: 'y'.repeat(1000) } });
let next = 0;
const one = () => new Promise((resolve, reject) => {
  const req = mod.request({ host: '127.0.0.1', port: Number(process.env.PORT), method: 'PATCH', path: '/api/v1/namespaces/default/pods/x/status', agent,
    headers: { 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(body);
});
await Promise.all(Array.from({ length: conns }, async () => { while (next++ < total) await one(); }));
agent.destroy();
`;

async function runOne(protocol: HttpsFloorRow['protocol'], requests: number, connections: number, tls: { key: string; cert: string; ca: string } | undefined): Promise<HttpsFloorRow> {
  let answered = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      answered++;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  };
  if (protocol === 'h2' && tls) return runH2(requests, connections, tls, handler, () => answered);
  const server = protocol === 'https' && tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    return await measure(protocol, port, requests, connections, tls?.ca, () => answered);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The client process against `port`, and what the server spent meanwhile. */
async function measure(protocol: HttpsFloorRow['protocol'], port: number, requests: number, connections: number, ca: string | undefined, answered: () => number): Promise<HttpsFloorRow> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', clientSource], {
      env: { ...process.env, PROTO: protocol, PORT: String(port), REQUESTS: String(requests), CONNS: String(connections), CA: ca ?? '' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`https floor client exited with ${code}`))));
  });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const n = answered();
  return {
    protocol,
    requests: n,
    connections,
    requestsPerSec: Math.round((n / ms) * 1000),
    serverCpuUsPerRequest: Math.round(((c.user + c.system) / Math.max(1, n)) * 10) / 10,
  };
}

/** The h2 row: an HTTP/2 server on TLS with the same handler (the compatibility API). */
async function runH2(requests: number, connections: number, tls: { key: string; cert: string; ca: string }, handler: (req: IncomingMessage, res: ServerResponse) => void, answered: () => number): Promise<HttpsFloorRow> {
  const server = createSecureServer({ key: tls.key, cert: tls.cert, settings: { maxConcurrentStreams: Math.max(100, connections) } }, handler as unknown as Parameters<typeof createSecureServer>[1]);
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (s: ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await measure('h2', (server.address() as AddressInfo).port, requests, connections, tls.ca, answered);
  } finally {
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The protocols of `protocols` (default all three, in this order: https, h2, http), `requests`
 * each (the client process's start-up is inside the window: keep it large).
 */
export async function benchHttpsFloor(opts: { requests?: number; connections?: number; protocols?: HttpsFloorRow['protocol'][] } = {}): Promise<HttpsFloorRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-https-'));
  try {
    const pki = await ensurePki(dir);
    const tls = { key: pki.servingKeyPem, cert: pki.servingCertPem, ca: pki.caCertPem };
    const requests = opts.requests ?? 40_000;
    const connections = opts.connections ?? 64;
    const rows: HttpsFloorRow[] = [];
    for (const p of opts.protocols ?? ['https', 'h2', 'http']) rows.push(await runOne(p, requests, connections, p === 'http' ? undefined : tls));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
