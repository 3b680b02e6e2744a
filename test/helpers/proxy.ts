// A TCP proxy on 127.0.0.1 in front of one address, that can be made to hang: a server that is
// stopped (not dead) as a client sees it. After hang(), every connection, open or new, stays
// open and nothing more crosses it in either direction; no RST, no FIN, so a client learns of it
// only from its own timeout. Bytes are passed as they are (TLS included), so the client's
// certificate checks are those of the address behind it (same host, 127.0.0.1).

import net from 'node:net';
import type { Cleanup } from './cleanup.js';

export interface HangingProxy {
  /** `https://127.0.0.1:PORT` (the scheme of `target`). */
  readonly url: string;
  /** From now on, nothing crosses any connection; new ones are accepted and never served. */
  hang(): void;
  /** Connections accepted so far (open or closed). */
  readonly accepted: number;
}

/** Starts a proxy to `target` (a URL with host and port); closed by `cleanup`. */
export async function startHangingProxy(cleanup: Cleanup, target: string): Promise<HangingProxy> {
  const t = new URL(target);
  const port = Number(t.port);
  let hung = false;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    accepted++;
    track(client);
    if (hung) {
      client.pause();
      return;
    }
    const upstream = net.connect(port, t.hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      if (hung) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  cleanup.defer(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }, 'hanging proxy');
  return {
    url: `${t.protocol}//127.0.0.1:${addr.port}`,
    get accepted() {
      return accepted;
    },
    hang() {
      hung = true;
      // Unpiped and paused: what arrives stays in the kernel's buffers, nothing is answered.
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
  };
}
