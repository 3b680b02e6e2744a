import fs from 'node:fs';
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackupHandler } from './backup.js';

let server: Server | undefined;
let dir = '';
afterEach(async () => {
  (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Fetch = (port: number, signal?: AbortSignal) => Promise<{ status: number; bytes: number } | undefined>;

/** GET the backup over HTTP/1.1: the status and body length, or undefined when aborted. */
const fetchHttp1: Fetch = (port, signal) =>
  new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/everynode/backup', signal }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', () => resolve(undefined));
  });

/** The same over HTTP/2 (what the CLI speaks), on a session of its own. */
const fetchHttp2: Fetch = (port, signal) =>
  new Promise((resolve) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => resolve(undefined));
    const st = session.request({ ':path': '/everynode/backup' });
    let status = 0;
    let bytes = 0;
    st.on('response', (h) => (status = Number(h[':status'])));
    st.on('data', (c: Buffer) => (bytes += c.length));
    st.on('end', () => {
      session.close();
      resolve({ status, bytes });
    });
    st.on('error', () => resolve(undefined));
    signal?.addEventListener('abort', () => {
      st.close();
      session.destroy();
      resolve(undefined);
    });
  });

describe('backup handler', () => {
  for (const [proto, fetchBackup] of [['HTTP/1.1', fetchHttp1], ['HTTP/2', fetchHttp2]] as const) {
    it(`${proto}: a client gone while the copy is made frees the server for the next backup and leaves no file`, async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'everynode-backup-unit-'));
      let release: () => void = () => {};
      let copies = 0;
      const handler = createBackupHandler({
        dir,
        describe: 'SQLite',
        instanceId: 'i1',
        backup: async (file) => {
          copies++;
          fs.writeFileSync(file, 'x'.repeat(1000));
          // The first copy takes until the test lets it finish, after its client left.
          if (copies === 1) await new Promise<void>((r) => (release = r));
          return { revision: 7, bytes: 1000 };
        },
      });
      const done: Promise<void>[] = [];
      const serve = (req: IncomingMessage, res: ServerResponse): void => void done.push(handler(req, res).catch(() => void res.destroy()));
      server = proto === 'HTTP/2' ? createHttp2Server(serve as never) : createServer(serve);
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;

      const abort = new AbortController();
      const first = fetchBackup(port, abort.signal);
      while (copies === 0) await new Promise((r) => setTimeout(r, 5));
      abort.abort();
      expect(await first).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
      release();
      await Promise.all(done);
      expect(fs.readdirSync(dir)).toEqual([]);

      // The next backup runs (not "already running") and is sent whole.
      expect(await fetchBackup(port)).toEqual({ status: 200, bytes: 1000 });
      await Promise.all(done);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }
});
