// The real API server started in-process (integration layer): a temp data dir with a SQLite
// store, listening on 127.0.0.1 port 0, closed on cleanup. Restart helpers reopen the same
// data dir (and, when asked, the same port) the way an operator restarts a server.

import { startServer, type RunningServer, type ServerOptions } from '../../src/apiserver/index.js';
import type { Cleanup } from './cleanup.js';
import { makeTempDir } from './temp-dir.js';

export interface TestServerOptions {
  /** Reuse this data dir (default: a fresh temp dir owned by `cleanup`). */
  dataDir?: string;
  /** 'host:port' (default '127.0.0.1:0'). */
  listen?: string;
  /** Default: false (tests compact explicitly with `compactNow()`). */
  compaction?: ServerOptions['compaction'];
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  /** Closes the server now (idempotent; also registered on cleanup). */
  close(): Promise<void>;
}

export async function startTestServer(cleanup: Cleanup, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? makeTempDir(cleanup, 'apiserver');
  const server = await startServer({
    dataDir,
    listen: opts.listen ?? '127.0.0.1:0',
    compaction: opts.compaction ?? false,
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= server.close());
  cleanup.defer(close, `apiserver ${server.url}`);
  return { server, dataDir, close };
}

/** Closes `prev` and starts a new server on the same data dir and the same port. */
export async function restartTestServer(cleanup: Cleanup, prev: TestServer, opts: Omit<TestServerOptions, 'dataDir' | 'listen'> = {}): Promise<TestServer> {
  await prev.close();
  return startTestServer(cleanup, { ...opts, dataDir: prev.dataDir, listen: `127.0.0.1:${prev.server.port}` });
}
