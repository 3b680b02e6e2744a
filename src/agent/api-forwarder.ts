// The API address an agent gives its pods when it knows several API servers (`--server A,B`):
// a TCP forwarder on 127.0.0.1 that sends each connection to a server that accepts it.
//
// Upstream pods reach the API through the `kubernetes` Service's cluster IP, balanced over the
// live servers; here cluster IPs are not routed, and a pod given the first server's address
// lost the API whenever that server was down, though its agent had failed over.
//
// Contract:
// - Listens on 127.0.0.1 (pods share the node's network; every server certificate names
//   127.0.0.1), on the port kept in `stateFile`, so pods started before an agent restart keep a
//   working address; a port taken since is replaced by a free one (and kept).
// - Each accepted connection is connected to the agent's current server first (`current()`,
//   the failover transport's choice), then to the others in order, each attempt bounded by
//   `connectTimeoutMs`; the bytes are piped both ways untouched (TLS is end to end: the pod
//   verifies the server with the cluster CA). When no server accepts, the connection is closed.
// - A connection whose server dies ends; the client reconnects and gets a live server.

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileAtomic } from '../auth/files.js';
import { outageLog, type Logger } from '../util/logger.js';

export interface ApiForwarder {
  /** `https://127.0.0.1:PORT`, the API address for pods. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443) };
}

function connectTo(url: string, timeoutMs: number): Promise<Socket> {
  const { host, port } = hostPort(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function startApiForwarder(o: { servers: readonly string[]; current: () => string; stateFile: string; logger: Logger; connectTimeoutMs?: number }): Promise<ApiForwarder> {
  const timeoutMs = o.connectTimeoutMs ?? 3_000;
  const sockets = new Set<Socket>();
  const outage = outageLog(o.logger, 'API forwarder: connecting a pod to an API server');
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    void (async () => {
      const first = o.current();
      const order = [first, ...o.servers.filter((s) => s !== first)];
      for (const url of order) {
        if (client.destroyed) return;
        try {
          const upstream = await connectTo(url, timeoutMs);
          track(upstream);
          if (client.destroyed) return upstream.destroy();
          client.pipe(upstream);
          upstream.pipe(client);
          client.once('close', () => upstream.destroy());
          upstream.once('close', () => client.destroy());
          client.resume();
          outage.ok();
          return;
        } catch (err) {
          o.logger.debug(`API forwarder: ${url}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      outage.failed(new Error(`no API server accepted the connection (${order.join(', ')})`));
      client.destroy();
    })();
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  let kept: number | undefined;
  try {
    const n = Number(readFileSync(o.stateFile, 'utf8').trim());
    if (Number.isInteger(n) && n > 0 && n < 65536) kept = n;
  } catch {
    // First start: a free port, kept below.
  }
  let port: number;
  try {
    port = await listen(kept ?? 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    o.logger.warn(`API forwarder: port ${kept} is taken; pods started before keep that address and reach the API again when restarted`);
    port = await listen(0);
  }
  if (port !== kept) {
    mkdirSync(dirname(o.stateFile), { recursive: true, mode: 0o700 });
    writeFileAtomic(o.stateFile, `${port}\n`, 0o600);
  }
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
