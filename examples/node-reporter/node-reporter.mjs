#!/usr/bin/env node
// node-reporter: a small per-node daemon for everynode's examples.
//
// It binds $HOST_IP:$PORT (the node's own address and the pod's hostPort), answers
//   GET /         -> the node name, one line
//   GET /report   -> a JSON report of the node (load, memory, uptime, requests served)
//   GET /healthz  -> "ok" (the readiness probe)
// and logs one report line every $REPORT_INTERVAL_SECONDS (default 5) on stdout, so
// `kubectl logs` has something to show. SIGTERM/SIGINT close the listener and exit 0.
//
// Environment (set by the DaemonSet in daemonset.yaml; the defaults suit a manual run):
//   NODE_NAME  spec.nodeName through the downward API (default: the host name)
//   HOST_IP    status.hostIP through the downward API (default 127.0.0.1)
//   PORT       the port to bind, the container's hostPort (default 9105)
// Unknown command-line arguments are ignored (tests add a marker there).

import { createServer } from 'node:http';
import os from 'node:os';

const nodeName = process.env.NODE_NAME || os.hostname();
const hostIP = process.env.HOST_IP || '127.0.0.1';
const port = Number(process.env.PORT || 9105);
const intervalMs = Math.max(0.1, Number(process.env.REPORT_INTERVAL_SECONDS || 5)) * 1000;
let served = 0;

function report() {
  return {
    node: nodeName,
    hostIP,
    pid: process.pid,
    load1: Math.round(os.loadavg()[0] * 100) / 100,
    memFreeMiB: Math.round(os.freemem() / 2 ** 20),
    uptimeSeconds: Math.round(process.uptime()),
    served,
  };
}

const server = createServer((req, res) => {
  served++;
  const path = (req.url || '/').split('?')[0];
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (path === '/report') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(report())}\n`);
  } else if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${nodeName}\n`);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
});

server.on('error', (err) => {
  console.error(`node-reporter on ${nodeName}: cannot listen on ${hostIP}:${port}: ${err.message}`);
  process.exit(1);
});

server.listen(port, hostIP, () => {
  console.log(`node-reporter on ${nodeName} listening on http://${hostIP}:${port}`);
});

const timer = setInterval(() => {
  const r = report();
  console.log(`report node=${r.node} load1=${r.load1} memFreeMiB=${r.memFreeMiB} uptime=${r.uptimeSeconds}s served=${r.served}`);
}, intervalMs);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`node-reporter on ${nodeName}: ${signal} received, closing the listener`);
    clearInterval(timer);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
