// The request floor of one Node.js thread: what a server that does NOTHING but answer requests
// costs per request on this machine, with the shape of a hollow node's status write (a
// ~1.2 KB JSON PATCH body parsed, a ~2.5 KB JSON object answered), over TLS with the cluster's
// own certificates and over plain HTTP, from 64 keep-alive connections of a client in another
// process (so the client's CPU is not counted). The scale benchmark's fan-out has to do this
// work for every status write and lease renewal a node makes, before any API server work, so
// this figure bounds how close a single-threaded API server can come to the store floor.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePki } from '../src/auth/index.js';

export interface HttpsFloorRow {
  protocol: 'https' | 'http';
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

// The client: N keep-alive connections, each sending PATCH requests one after another.
const clientSource = `
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

async function runOne(protocol: 'https' | 'http', requests: number, connections: number, tls: { key: string; cert: string; ca: string } | undefined): Promise<HttpsFloorRow> {
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
  const server = protocol === 'https' && tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', clientSource], {
        env: { ...process.env, PROTO: protocol, PORT: String(port), REQUESTS: String(requests), CONNS: String(connections), CA: tls?.ca ?? '' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`https floor client exited with ${code}`))));
    });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return {
      protocol,
      requests: answered,
      connections,
      requestsPerSec: Math.round((answered / ms) * 1000),
      serverCpuUsPerRequest: Math.round(((c.user + c.system) / Math.max(1, answered)) * 10) / 10,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Both protocols, `requests` each (the client process's start-up is inside the window: keep it large). */
export async function benchHttpsFloor(opts: { requests?: number; connections?: number } = {}): Promise<HttpsFloorRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'everynode-bench-https-'));
  try {
    const pki = await ensurePki(dir);
    const tls = { key: pki.servingKeyPem, cert: pki.servingCertPem, ca: pki.caCertPem };
    const requests = opts.requests ?? 40_000;
    const connections = opts.connections ?? 64;
    return [await runOne('https', requests, connections, tls), await runOne('http', requests, connections, undefined)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
