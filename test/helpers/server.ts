// The real API server started in-process (integration layer): a temp data dir, listening on
// 127.0.0.1 port 0, closed on cleanup. Restart helpers reopen the same data dir and store (and,
// when asked, the same port) the way an operator restarts a server.
//
// Store choice, per server: `opts.storeUrl` when given (e.g. several servers on one etcd
// prefix), else `opts.store`, else the file's default (`setDefaultTestStore`), else
// $EVERYNODE_TEST_STORE (`sqlite` | `etcd`), else sqlite in the data dir.
// - sqlite: `<dataDir>/state.db` (startServer's default).
// - etcd: one etcd per test file (`sharedTestEtcd`), started on first use and stopped by the
//   Cleanup that first asked for it; each server gets a fresh key prefix on it, so servers of
//   one file never see each other's objects (revisions and compaction are etcd-wide, though).
//   Where the `etcd` binary is missing, starting such a server throws `etcdSkipReason`; callers
//   that want a skip check `etcdAvailable()` first.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/apiserver/index.js';
import { credentialsFromKubeconfig, registerServer } from './auth.js';
import type { Cleanup } from './cleanup.js';
import { etcdAvailable, etcdSkipReason, startEtcd, type EtcdProcess } from './etcd.js';
import { makeTempDir } from './temp-dir.js';

export type TestStoreKind = 'sqlite' | 'etcd';

export interface TestServerOptions {
  /** Reuse this data dir (default: a fresh temp dir owned by `cleanup`). */
  dataDir?: string;
  /** 'host:port' (default '127.0.0.1:0'). */
  listen?: string;
  /** Default: false (tests compact explicitly with `compactNow()`). */
  compaction?: ServerOptions['compaction'];
  /** Which store backs the server (see the file comment for the default). */
  store?: TestStoreKind;
  /** An explicit store URL (wins over `store`), e.g. `etcd://H:P?prefix=/shared`. */
  storeUrl?: string;
  /** Passed through to startServer (bounded buffers, bookmark interval). */
  watchCache?: ServerOptions['watchCache'];
  /** Extra serving certificate names. */
  tlsSans?: string[];
  /** Passed through to startServer (default: the server's default, on). */
  audit?: ServerOptions['audit'];
  /** Passed through to startServer (shorter connection timeouts). */
  connectionLimits?: ServerOptions['connectionLimits'];
  /** Passed through to startServer (lower limits on requests in flight). */
  inflightLimits?: ServerOptions['inflightLimits'];
  /** Passed through to startServer (origins allowed to call the API from browsers). */
  corsAllowedOrigins?: ServerOptions['corsAllowedOrigins'];
  /** Passed through to startServer (default: none, the API alone). */
  controllers?: ServerOptions['controllers'];
  /** Passed through to startServer (the server's logger; default its own). */
  logger?: ServerOptions['logger'];
  /** Passed through to startServer (default: the server's default, 1 h swept every minute). */
  eventTtl?: ServerOptions['eventTtl'];
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  /** The store URL the server was opened with (restartTestServer reopens the same). */
  storeUrl: string;
  /** Which backend that URL names. */
  store: TestStoreKind;
  /** The server's CA certificate (PEM) and the admin token of its kubeconfig. */
  caPem: string;
  adminToken: string;
  /** Closes the server now (idempotent; also registered on cleanup). */
  close(): Promise<void>;
}

let fileDefault: TestStoreKind | undefined;

/** Sets the store startTestServer uses in this test file when a call names none. */
export function setDefaultTestStore(kind: TestStoreKind | undefined): void {
  fileDefault = kind;
}

/** The store startTestServer uses when a call names none. */
export function defaultTestStore(): TestStoreKind {
  if (fileDefault) return fileDefault;
  const env = process.env['EVERYNODE_TEST_STORE'];
  if (env === undefined || env === '' || env === 'sqlite') return 'sqlite';
  if (env === 'etcd') return 'etcd';
  throw new Error(`EVERYNODE_TEST_STORE=${JSON.stringify(env)}: want sqlite or etcd`);
}

let shared: { etcd: Promise<EtcdProcess>; stopped: boolean } | undefined;

/**
 * The test file's etcd: started on the first call, stopped (and forgotten, so a later call starts
 * a new one) when the Cleanup of that first call runs. Fails with `etcdSkipReason` without etcd.
 */
export function sharedTestEtcd(cleanup: Cleanup): Promise<EtcdProcess> {
  if (shared && !shared.stopped) return shared.etcd;
  const entry = { etcd: startEtcd(), stopped: false };
  shared = entry;
  entry.etcd.catch(() => (entry.stopped = true));
  cleanup.defer(async () => {
    entry.stopped = true;
    const e = await entry.etcd.catch(() => undefined);
    await e?.stop();
  }, 'shared etcd');
  return entry.etcd;
}

/** A store URL on the file's shared etcd with a fresh prefix (`/t-<random>`). */
export async function freshEtcdStoreUrl(cleanup: Cleanup): Promise<string> {
  const etcd = await sharedTestEtcd(cleanup);
  return `etcd://${etcd.endpoint}?prefix=/t-${randomBytes(6).toString('hex')}`;
}

export async function startTestServer(cleanup: Cleanup, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? makeTempDir(cleanup, 'apiserver');
  const kind: TestStoreKind = opts.storeUrl !== undefined ? (opts.storeUrl.startsWith('etcd') ? 'etcd' : 'sqlite') : (opts.store ?? defaultTestStore());
  const storeUrl = opts.storeUrl ?? (kind === 'etcd' ? await freshEtcdStoreUrl(cleanup) : `sqlite://${resolve(dataDir)}/state.db`);
  const server = await startServer({
    dataDir,
    listen: opts.listen ?? '127.0.0.1:0',
    storeUrl,
    compaction: opts.compaction ?? false,
    ...(opts.eventTtl !== undefined ? { eventTtl: opts.eventTtl } : {}),
    ...(opts.watchCache ? { watchCache: opts.watchCache } : {}),
    ...(opts.tlsSans ? { tlsSans: opts.tlsSans } : {}),
    ...(opts.audit !== undefined ? { audit: opts.audit } : {}),
    ...(opts.connectionLimits ? { connectionLimits: opts.connectionLimits } : {}),
    ...(opts.inflightLimits ? { inflightLimits: opts.inflightLimits } : {}),
    ...(opts.corsAllowedOrigins ? { corsAllowedOrigins: opts.corsAllowedOrigins } : {}),
    ...(opts.controllers ? { controllers: opts.controllers } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= server.close());
  cleanup.defer(close, `apiserver ${server.url}`);
  const creds = credentialsFromKubeconfig(server.kubeconfigPath);
  registerServer(server.url, creds);
  return { server, dataDir, storeUrl, store: kind, caPem: creds.caPem, adminToken: creds.token, close };
}

/** Closes `prev` and starts a new server on the same data dir, the same store and the same port. */
export async function restartTestServer(cleanup: Cleanup, prev: TestServer, opts: Omit<TestServerOptions, 'dataDir' | 'listen' | 'store' | 'storeUrl'> = {}): Promise<TestServer> {
  await prev.close();
  return startTestServer(cleanup, { ...opts, dataDir: prev.dataDir, storeUrl: prev.storeUrl, listen: `127.0.0.1:${prev.server.port}` });
}

/**
 * One server for a whole test file: started before its tests, closed with `cleanup` after
 * them. Read `ts` and `url` inside tests (they throw before the server has started).
 */
export function useTestServer(cleanup: Cleanup, opts: TestServerOptions = {}): { readonly ts: TestServer; readonly url: string } {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(cleanup, opts);
  });
  afterAll(() => cleanup.run());
  return {
    get ts(): TestServer {
      if (!started) throw new Error('the test server is read before it started (use it inside tests)');
      return started;
    },
    get url(): string {
      return this.ts.server.url;
    },
  };
}

/** The files of a data dir that every server of one cluster must share (README, "Several servers on etcd"). */
export const CLUSTER_FILES = ['tls', 'secrets-encryption.key', 'tokens.json', 'kubeconfig.yaml'];

/**
 * `n` data dirs of one cluster, for servers sharing an etcd prefix: a server is started once on
 * a store of its own (SQLite) to create the CA, the Secrets key and the admin token, and its
 * CLUSTER_FILES are copied into each dir, as an operator prepares a second server.
 */
export async function clusterDataDirs(cleanup: Cleanup, n: number): Promise<string[]> {
  const template = makeTempDir(cleanup, 'cluster-template');
  const first = await startServer({ dataDir: template, listen: '127.0.0.1:0', compaction: false, audit: false, controllers: false });
  await first.close();
  return Array.from({ length: n }, (_, i) => {
    const dir = makeTempDir(cleanup, `cluster-${i}`);
    for (const f of CLUSTER_FILES) cpSync(join(template, f), join(dir, f), { recursive: true });
    return dir;
  });
}

/**
 * `n` servers of one cluster on a fresh prefix of the shared test etcd (clusterDataDirs), each
 * started by `start` (in process or as a process). Call inside a beforeAll of describeWithEtcd.
 */
export async function startEtcdCluster<T>(cleanup: Cleanup, n: number, start: (o: { dataDir: string; storeUrl: string }) => Promise<T>): Promise<{ storeUrl: string; servers: T[] }> {
  await sharedTestEtcd(cleanup);
  const storeUrl = await freshEtcdStoreUrl(cleanup);
  const dirs = await clusterDataDirs(cleanup, n);
  return { storeUrl, servers: await Promise.all(dirs.map((dataDir) => start({ dataDir, storeUrl }))) };
}

/** `describe` that runs where the etcd binary is; elsewhere one skipped test that says why. */
export function describeWithEtcd(name: string, fn: () => void): void {
  if (!etcdAvailable()) {
    describe(name, () => {
      it.skip(etcdSkipReason, () => undefined);
    });
    return;
  }
  describe(name, fn);
}
