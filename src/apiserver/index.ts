// Public API of the apiserver part: startServer() runs the Kubernetes-compatible API over
// HTTPS on a store (sqlite by default), with discovery, OpenAPI v3, the generic REST
// registry for every kind of the KindRegistry, and the watch cache.
//
// Security (issue 7, see security.ts): the PKI under <dataDir>/tls (CA + serving certificate
// for the listen address, localhost, 127.0.0.1, ::1 and `tlsSans`), bearer tokens and client
// certificates, RBAC with the bootstrap roles created at first start, the Node authorizer and
// NodeRestriction. <dataDir>/kubeconfig.yaml (0600) carries the CA and the admin token.
// Secrets are encrypted at rest (AES-256-GCM) with the key of <dataDir>/secrets-encryption.key
// (0600): every reader (registry, watch cache, RBAC cache, node graph) gets the decrypting store.

import { createSecureServer, type Http2SecureServer, type Http2ServerResponse, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { lookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiError, badRequest, methodNotAllowed } from '../api/errors.js';
import { newKindRegistry, type KindRegistry } from '../api/kinds.js';
import { CustomResourceKinds } from './custom-resources.js';
import { EncryptingStore, SECRETS_ENCRYPTION_KEY_FILE, SqliteStore, StorageError, casWrite, openEncryptedStore, openStore, startCompactor, type Compactor, type Store } from '../storage/index.js';
import { realClock, removeProtoAccessor, type Clock, type PeriodicTask } from '../util/index.js';
import { createLogger, type Logger } from '../util/logger.js';
import { isWatchUpgrade, serveWatchOverWebSocket } from './watch-websocket.js';
import { defaultInflightLimits, InflightLimiter, type InflightLimits } from './inflight.js';
import { CorsPolicy } from './cors.js';
import { openAuditLog, type AuditLog, type AuditOptions } from './audit.js';
import { Discovery } from './discovery.js';
import { reviewDiscovery } from './reviews.js';
import { metricsDiscovery } from './metrics-api.js';
import { ServerMetrics } from './metrics.js';
import { handlePodUpgrade } from './exec.js';
import { tokenRequestDiscovery } from './token-request.js';
import { ingressClassDefaulter } from './ingress-admission.js';
import { LimitRanger } from './limit-ranger.js';
import { QuotaAdmission } from './resource-quota.js';
import { ensureSystemPriorityClasses, PodAdmission } from './pod-admission.js';
import { PodSecurityAdmission } from './pod-security-admission.js';
import type { KubeObject } from '../api/types.js';
import { ServiceAllocator } from './service-alloc.js';
import { startEventExpiry, type EventExpiry } from './event-expiry.js';
import { StorageStats, startObjectCounting } from './storage-metrics.js';
import { startRevocationSharing, type RevocationSharing } from './shared-revocations.js';
import { pullSharedTokens, startTokenSharing, type TokenSharing } from './shared-tokens.js';
import { canonicalizeStoredTimes } from './stored-times.js';
import { checkStoreFormat, refuseKubernetesStore } from './store-format.js';
import { otherServersLive, startKubernetesService, type KubernetesServiceReconciler } from './kubernetes-service.js';
import { bindingsDiscovery, createHandler } from './handler.js';
import { createBackupHandler, SERVER_INSTANCE_FILE } from './backup.js';
import { CLUSTER_CA_KEY, clusterCaGuard, refusal } from './cluster-ca.js';
import { ServerHealth } from './health.js';
import { failBodyRead, maxBodyBytes } from './http.js';
import { LEGACY_TOKEN_LAST_USED_LABEL, ensureBootstrapRbac, initRequestSecurity, writeAdminKubeconfig, type RequestSecurity } from './security.js';
import { ensurePrivateDir, writeFileAtomic } from '../auth/files.js';
import { createJoinToken, issueNodeIdentity, presentedCertOf, type NodeIdentity, type PresentedCert, type Pki, TokenStore } from '../auth/index.js';
import { OpenApi } from './openapi.js';
import { keyPrefix, objectKey, RestRegistry, registryRoot } from './registry.js';
import { WatchCache } from './watch-cache.js';
import type { ControllerManager, ControllersOptions } from '../controllers/manager.js';
import type { ClusterDns } from '../dns/index.js';

export { BACKUP_PATH, BACKUP_REVISION_HEADER, SERVER_INSTANCE_FILE, SERVER_INSTANCE_HEADER } from './backup.js';
export { AUDIT_FILE, AUDIT_ID_HEADER, AuditLog, type AuditEvent, type AuditOptions } from './audit.js';
export { toHttpError } from './errors.js';
export { versionInfo } from './handler.js';
export { KUBELET_CLIENT_USER, RbacCache } from './security.js';
export { RestRegistry, keyPrefix, objectKey } from './registry.js';
export { WatchCache } from './watch-cache.js';


/** Write buffer mark of API connections: above one object answer (bodies are at most maxBodyBytes). See secureConnection below. */
const answerWriteHighWaterMark = 2 * maxBodyBytes;

/**
 * The request line and headers a request may have (node's default is 16 KiB; Go's
 * DefaultMaxHeaderBytes, which the upstream API server keeps, is 1 MiB): long label selectors
 * and field selectors travel in the URL. Beyond it: 431 with a Status.
 */
const maxHeaderSize = 1 << 20;

/** Streams an HTTP/2 connection may have open at once (Go's server default, which kube-apiserver keeps). */
const http2MaxStreams = 250;

/**
 * How long a connection may take to be useful (all in ms): its TLS handshake; its request's
 * headers (from the first byte, and with no request at all from the handshake, as upstream's
 * ReadHeaderTimeout); how long an HTTP/1.1 connection may stay idle between requests (Node's
 * keep-alive timeout, as before); and how long an HTTP/2 connection may have no stream open
 * before it is closed with a GOAWAY (upstream's IdleTimeout, 90 s: a connection whose client
 * vanished without a reset does not stay open for ever).
 */
export interface ConnectionLimits {
  tlsHandshakeTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  http2IdleTimeoutMs: number;
}
/**
 * The TLS handshake has as long as a request's headers (32 s): upstream bounds both by its
 * ReadHeaderTimeout; a shorter bound reset connections of a server busy for seconds (many large
 * lists at once) before it could answer their handshake.
 */
export const defaultConnectionLimits: ConnectionLimits = { tlsHandshakeTimeoutMs: 32_000, headersTimeoutMs: 32_000, keepAliveTimeoutMs: 5_000, http2IdleTimeoutMs: 90_000 };

/** How long a revoked connection's answer not yet begun at the revocation may take before the connection is cut anyway (revocation sweep). */
const revokedAnswerGraceMs = 2_000;

export interface ServerOptions {
  dataDir: string;
  /** Connection timeouts (tests shorten them); default defaultConnectionLimits. */
  connectionLimits?: Partial<ConnectionLimits>;
  /**
   * Requests in flight at most on the network listener, read-only and mutating apart
   * (inflight.ts; upstream's --max-requests-inflight and --max-mutating-requests-inflight);
   * default 400 and 200; 0: no limit.
   */
  inflightLimits?: Partial<InflightLimits>;
  /**
   * Origins (regular expressions, upstream's --cors-allowed-origins) whose browser pages may call
   * the API (cors.ts); default none. A pattern that is not a valid expression fails the start.
   */
  corsAllowedOrigins?: string[];
  /** 'host:port' (port 0 picks a free port); default 127.0.0.1:6443. */
  listen?: string;
  /** Store URL for openStore(); default sqlite in <dataDir>/state.db. */
  storeUrl?: string;
  /**
   * How long start-up keeps trying a store that is not reachable yet (an etcd started at the
   * same time as this server, as a supervisor does), ms; default 0: fail at once. Only
   * Unavailable is waited for; any other store error (a wrong URL, a damaged file) fails at once.
   */
  storeWaitMs?: number;
  /**
   * How long an Event lives after its last write (upstream --event-ttl; default 1 h), swept
   * every `intervalMs` (default 60 s); false: events never expire.
   */
  eventTtl?: { ttlMs: number; intervalMs?: number } | false;
  /** Periodic compaction (default every 60 s keeping 10,000 revisions); false: none. */
  compaction?: { intervalMs: number; retainRevisions: number } | false;
  logger?: Logger;
  clock?: Clock;
  /** Watch cache tuning (tests). */
  watchCache?: { capacity?: number; bookmarkIntervalMs?: number; maxBufferedBytes?: number };
  /** Extra names/IPs for the serving certificate (`--tls-san`). */
  tlsSans?: string[];
  /**
   * Run the controller manager (DaemonSet, garbage collector, node lifecycle, with leader
   * election) in this process over the in-process transport. Default false: the API alone
   * (`everynode server` passes true unless --disable-controllers).
   */
  controllers?: boolean | ControllersOptions;
  /**
   * The audit log of writes on the network listener (audit.ts): JSON lines in
   * `<dataDir>/audit/audit.log`, rotated at 10 MiB keeping 5 files. Default on; false: none.
   */
  audit?: false | AuditOptions;
  /**
   * Serve the cluster DNS (src/dns: the Kubernetes DNS schema over this server's Services and
   * Endpoints, other names forwarded to the host's resolvers) on UDP and TCP at `listen`
   * ('host:port'). `fallbackToFreePort`: a free port when that one is taken. Default: none.
   */
  clusterDns?: { listen: string; domain?: string; upstreams?: string[]; fallbackToFreePort?: boolean };
}

export interface RunningServer {
  url: string;
  port: number;
  kubeconfigPath: string;
  store: Store;
  kinds: KindRegistry;
  /** The cluster PKI (CA, serving certificate). */
  pki: Pki;
  /** The hashed token store (`<dataDir>/tokens.json`). */
  tokens: TokenStore;
  /** The CA certificate (PEM) clients must trust. */
  caPem: string;
  /** A new join token (`K10<ca-hash>::<id>.<secret>`) for `everynode agent --token`. */
  createJoinToken(o?: { ttlSeconds?: number; description?: string }): string;
  /** Issues a node identity directly (local agents of `everynode up`, tests). */
  issueNodeIdentity(nodeName: string, addresses?: string[]): Promise<NodeIdentity>;
  /**
   * Whether this server accepts a node identity kept from before: its certificate signed by this
   * cluster's CA and not revoked (`up` issues its local nodes a new one otherwise).
   */
  acceptsNodeIdentity(id: NodeIdentity): boolean;
  /** The request listener serving the API to in-process callers (the in-process transport).
   * It trusts every request: no authentication, authorization or NodeRestriction (only the
   * server's own components and tests hold it). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The in-process controller manager, when `controllers` was enabled. */
  controllerManager?: ControllerManager;
  /** The cluster DNS, when `clusterDns` was given: its bound address (host:port) and domain. */
  clusterDns?: { address: string; port: number; domain: string };
  /** Compacts the store's history up to the current revision now (tests); returns the compaction point. */
  compactNow(): Promise<number>;
  /** Counts the stored objects of every resource now, for apiserver_storage_objects (tests; else every minute). */
  countStoredObjectsNow(): Promise<void>;
  /** Deletes the expired Events now (tests); resolves with how many (0 with eventTtl false). */
  expireEventsNow(): Promise<number>;
  /**
   * Marks the server as stopping: /readyz fails (`shutdown`) from now on, while it still serves
   * (`up` stops its daemons through it first). close() does it too.
   */
  beginShutdown(): void;
  close(): Promise<void>;
}

/** Starts the cluster DNS over the in-process transport (it reads Services and Endpoints as every server's own component does). */
async function startClusterDns(handler: (req: IncomingMessage, res: ServerResponse) => void, o: NonNullable<ServerOptions['clusterDns']>, logger: Logger): Promise<ClusterDns> {
  const { ClusterDns } = await import('../dns/index.js');
  const { RestClient, inProcessTransport } = await import('../client/index.js');
  const { host, port } = parseListen(o.listen);
  const make = (p: number) =>
    new ClusterDns({ client: new RestClient(inProcessTransport(handler, { userAgent: 'everynode-dns' })), host, port: p, logger, ...(o.domain ? { domain: o.domain } : {}), ...(o.upstreams ? { upstreams: o.upstreams } : {}) });
  let dns = make(port);
  try {
    await dns.start();
  } catch (err) {
    if (!o.fallbackToFreePort || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new Error(`cluster DNS: cannot listen on ${o.listen}: ${err instanceof Error ? err.message : String(err)}`);
    logger.warn(`cluster DNS: port ${port} is taken; using a free port`);
    dns = make(0);
    await dns.start();
  }
  return dns;
}

const bootstrapNamespaces = ['default', 'kube-system', 'kube-node-lease', 'kube-public'];

/**
 * The IP the default/kubernetes Endpoints give for this server: the listen address; for an
 * unspecified one (0.0.0.0, ::) the first external IPv4 of the machine (else 127.0.0.1), as
 * upstream picks its advertise address; a host name resolved. Undefined when nothing resolves.
 */
async function advertisedAddress(host: string): Promise<string | undefined> {
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
    return '127.0.0.1';
  }
  if (isIP(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return undefined;
  }
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid listen address ${JSON.stringify(listen)}: want host:port`);
  let host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in listen address ${JSON.stringify(listen)}`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || '127.0.0.1', port };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The encrypted value servers sharing a store check their Secrets key with (openSecretsEncryptedStore). */
export const SECRETS_ENCRYPTION_CHECK_KEY = '/everynode/secrets-encryption-check';

/** Storage key prefix of Secrets (= keyPrefix of the secrets kind); their values are encrypted at rest. */
export const SECRETS_KEY_PREFIX = `${registryRoot}core/secrets/`;

/**
 * Opens the store with Secrets encrypted at rest (AES-256-GCM, storage/encryption) under the
 * key of `<dataDir>/secrets-encryption.key`, created at first start. Servers of one cluster
 * share the data dir, hence the key. Fails at start-up for a missing or wrong key.
 */
/** The SQLite store under the encryption wrapper, if the server's store is one. */
function sqliteStoreOf(store: Store): SqliteStore | undefined {
  const raw = store instanceof EncryptingStore ? store.raw : store;
  return raw instanceof SqliteStore ? raw : undefined;
}

async function openSecretsEncryptedStore(url: string, dataDir: string): Promise<Store> {
  const raw = await openStore(url);
  try {
    if (raw instanceof SqliteStore) return await openEncryptedStore(raw, { keyFile: join(dataDir, SECRETS_ENCRYPTION_KEY_FILE), prefixes: [SECRETS_KEY_PREFIX] });
    // A shared store also holds an encrypted check value, written by every server at start with
    // its current key: a server whose data dir lacks the cluster's key file (which would mint a
    // key of its own) or holds another key is refused at start, as with a stored Secret, even
    // while no Secret exists yet; Secrets written through one server would otherwise not
    // decrypt on the others. Rewritten at each start, so a key rotation carries it along.
    await refuseKubernetesStore(raw, url);
    const keyFile = join(dataDir, SECRETS_ENCRYPTION_KEY_FILE);
    if (!existsSync(keyFile) && (await raw.get(CLUSTER_CA_KEY))) throw refusal(dataDir, `the store already holds a cluster, and ${dataDir} has no ${SECRETS_ENCRYPTION_KEY_FILE}`);
    // (Written by writeSecretsCheck once the data dir is known to be the cluster's.)
    return await openEncryptedStore(raw, { keyFile, prefixes: [SECRETS_KEY_PREFIX, SECRETS_ENCRYPTION_CHECK_KEY] });
  } catch (err) {
    await raw.close();
    throw err;
  }
}

/**
 * Writes the Secrets check value of a shared store with this server's current key (see
 * openSecretsEncryptedStore), after the data dir was found to be the cluster's. One written by
 * another server in between is read back through the key, which refuses a key that cannot
 * decrypt it (two servers with different keys starting at once).
 */
async function writeSecretsCheck(store: Store, keyFile: string): Promise<void> {
  const check = JSON.stringify({ check: 'everynode secrets encryption' });
  try {
    await casWrite(store, SECRETS_ENCRYPTION_CHECK_KEY, () => check);
  } catch (err) {
    if (err instanceof StorageError && err.code === 'Unavailable') throw err;
    throw new Error(`${err instanceof Error ? err.message : String(err)} — check the encryption key file ${keyFile} (servers of one cluster must share it)`);
  }
}

/** Delays between start-up attempts on an unreachable store: 0.5 s doubling to 5 s. */
const storeRetryMinMs = 500;
const storeRetryMaxMs = 5_000;
/** A wait for the store is logged when it starts and then at most this often. */
const storeWaitLogEveryMs = 10_000;

/**
 * openSecretsEncryptedStore, retried while the store answers Unavailable and `waitMs` has not
 * passed since the first attempt. The last error is thrown unchanged (its message names the
 * endpoint and the cause), after a log line saying how long it was tried.
 */
async function openStoreWaiting(url: string, dataDir: string, waitMs: number, logger: Logger, clock: Clock): Promise<Store> {
  const start = clock.now();
  let delay = storeRetryMinMs;
  let lastLog = -Infinity;
  for (;;) {
    try {
      const store = await openSecretsEncryptedStore(url, dataDir);
      if (lastLog > -Infinity) logger.info(`store reachable after ${((clock.now() - start) / 1000).toFixed(1)} s`);
      return store;
    } catch (err) {
      const waited = clock.now() - start;
      if (!(err instanceof StorageError && err.code === 'Unavailable') || waited >= waitMs) {
        if (lastLog > -Infinity) logger.error(`gave up waiting for the store after ${(waited / 1000).toFixed(1)} s`);
        throw err;
      }
      if (clock.now() - lastLog >= storeWaitLogEveryMs) {
        lastLog = clock.now();
        logger.warn(`waiting for the store (up to ${Math.round(waitMs / 1000)} s in all): ${err.message}`);
      }
      await new Promise<void>((r) => setTimeout(r, Math.min(delay, Math.max(0, waitMs - waited))));
      delay = Math.min(storeRetryMaxMs, delay * 2);
    }
  }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  // Request bodies' keys are data, "__proto__" included (util/proto-key.ts); the binary has done
  // this already, a process embedding the server (a test) has it done here.
  removeProtoAccessor();
  // Checked before anything is opened or written: a bad pattern is the caller's mistake.
  const cors = opts.corsAllowedOrigins && opts.corsAllowedOrigins.length > 0 ? new CorsPolicy(opts.corsAllowedOrigins) : undefined;
  const logger = opts.logger ?? createLogger({ name: 'apiserver' });
  const clock = opts.clock ?? realClock;
  const dataDir = resolve(opts.dataDir);
  ensurePrivateDir(dataDir);
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:6443');

  const store = await openStoreWaiting(opts.storeUrl ?? `sqlite://${join(dataDir, 'state.db')}`, dataDir, opts.storeWaitMs ?? 0, logger, clock);
  let watchCache: WatchCache | undefined;
  let compactor: Compactor | undefined;
  let eventExpiry: EventExpiry | undefined;
  let objectCounting: PeriodicTask<void> | undefined;
  let storedTimes: Promise<number> | undefined;
  /** Set when the server starts closing (background passes stop early). */
  let stopping = false;
  let revocationSharing: RevocationSharing | undefined;
  let tokenSharing: TokenSharing | undefined;
  let kubernetesService: KubernetesServiceReconciler | undefined;
  /** The controller manager whose leadership decides which of the servers sharing a store compacts. */
  let compactionLeader: { isLeader(): boolean } | undefined;
  let server: Http2SecureServer | undefined;
  let registry: RestRegistry | undefined;
  let crds: CustomResourceKinds | undefined;
  let audit: AuditLog | undefined;
  try {
    // A store a newer build has changed is refused (a downgrade) before anything is written; an
    // older one is raised below, once the data dir is known to be the cluster's (store-format.ts).
    await checkStoreFormat(store, { raise: false });
    // Servers sharing a store must share the CA (cluster-ca.ts); a SQLite store is its data dir's.
    const caGuard = sqliteStoreOf(store) ? undefined : clusterCaGuard(store, dataDir);
    await caGuard?.beforePki();
    const kinds = newKindRegistry();
    watchCache = new WatchCache({ store, logger: logger.child('watch-cache'), ...(opts.watchCache ?? {}) });
    await watchCache.start();
    const wc = watchCache;
    const limitRanger = new LimitRanger(store, kinds.byResource('', 'v1', 'limitranges')!);
    const quotaAdmission = new QuotaAdmission(store, kinds.byResource('', 'v1', 'resourcequotas')!, () => clock.now());
    wc.onChange((resource) => {
      if (resource === 'core/limitranges' || resource === '*') limitRanger.invalidate();
      if (resource === 'core/resourcequotas' || resource === '*') quotaAdmission.invalidate();
    });
    const podAdmission = new PodAdmission(store, kinds.byResource('scheduling.k8s.io', 'v1', 'priorityclasses')!, () => clock.now(), kinds.byResource('node.k8s.io', 'v1', 'runtimeclasses'), limitRanger, kinds.byResource('', 'v1', 'serviceaccounts'), (ns, name) => wc.serviceAccountAutomount(ns, name));
    const serviceAllocator = new ServiceAllocator({ store, services: kinds.byResource('', 'v1', 'services')! });
    const podsKind = kinds.byResource('', 'v1', 'pods')!;
    const podSecurity = new PodSecurityAdmission({
      // The cache's view (upstream reads a namespace informer too), else the store.
      namespaceLabels: async (ns) => {
        const cached = wc.namespacePodSecurityLabels(ns);
        if (cached) return cached;
        const kv = await store.get(objectKey(kinds.byResource('', 'v1', 'namespaces')!, undefined, ns));
        return kv ? ((JSON.parse(kv.value) as KubeObject).metadata.labels ?? {}) : undefined;
      },
      listPods: async (ns) => (await store.list(keyPrefix(podsKind, ns))).items.map((kv) => JSON.parse(kv.value) as KubeObject),
    });
    const reg = new RestRegistry({
      store,
      clock,
      kinds,
      logger: logger.child('registry'),
      namespacePhase: (ns) => wc.namespacePhase(ns),
      admitPod: (pod) => podAdmission.admit(pod),
      admitPriorityClass: (pc) => podAdmission.admitPriorityClass(pc),
      validatePod: (pod) => limitRanger.validate(pod),
      quota: (req) => quotaAdmission.admit(req),
      admitIngress: ingressClassDefaulter(store, kinds.byResource('networking.k8s.io', 'v1', 'ingressclasses')!),
      podSecurity: (req) => podSecurity.validate(req),
      serviceAllocator,
      decodedObject: (key, revision) => wc.latestObject(key, revision),
      offerDecoded: (key, value, obj) => wc.offer(key, value, obj),
      currentKv: (key) => wc.currentKv(key),
      selections: wc.selections,
    });
    registry = reg;

    const nsKind = kinds.byResource('', 'v1', 'namespaces')!;
    for (const name of bootstrapNamespaces) {
      try {
        await reg.create(nsKind, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { dryRun: false, fieldManager: 'everynode', fieldValidation: 'Strict', force: false });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }

    await ensureSystemPriorityClasses(reg, kinds);

    // The kinds CRDs declare, served before the first request and kept current from the watch.
    const customResources = new CustomResourceKinds({ store, kinds, registry: reg, logger: logger.child('custom-resources'), onUnserved: (def) => wc.closeWatchersOf(def) });
    crds = customResources;
    await customResources.sync();
    wc.onChange((resource) => {
      if (resource === 'apiextensions.k8s.io/customresourcedefinitions' || resource === '*') void customResources.sync();
    });

    reg.resumeNamespaceFinalization();
    // Every server finalizes every terminating namespace it sees, not only the one that took
    // the DELETE (which may stop before the content is gone): passes are idempotent, and the
    // namespace's own removal is a compare-and-swap, so servers sharing a store may overlap.
    wc.onChange((resource) => {
      if (resource === 'core/namespaces' || resource === '*') reg.resumeNamespaceFinalization();
    });
    await ensureBootstrapRbac(reg, kinds);
    // Servers sharing a store share their tokens through it: the data dir takes the cluster's
    // tokens before its admin token is ensured (shared-tokens.ts).
    const sharedStore = !sqliteStoreOf(store);
    if (sharedStore && existsSync(join(dataDir, 'tls', 'ca.crt'))) await pullSharedTokens(store, new TokenStore(dataDir));
    const security: RequestSecurity = await initRequestSecurity({ dataDir, sans: [host, ...(opts.tlsSans ?? [])], store, kinds, watchCache: wc, logger });
    await caGuard?.afterPki(security.auth.pki.caCertPem);
    // The data dir is the cluster's: only now does it leave its marks (the store's format, the
    // Secrets check value), so a wrong data dir started by mistake changes nothing.
    await checkStoreFormat(store);
    // This start's id in the data dir, which `everynode backup` checks the answering server
    // against (backup.ts): written only now, with the store (SQLite: its lock) held.
    const instanceId = randomBytes(16).toString('hex');
    writeFileAtomic(join(dataDir, SERVER_INSTANCE_FILE), `${instanceId}\n`, 0o600);
    if (!sqliteStoreOf(store)) await writeSecretsCheck(store, join(dataDir, SECRETS_ENCRYPTION_KEY_FILE));
    // Servers sharing a store share their revocations and tokens through it (SQLite has one server).
    if (sharedStore) {
      revocationSharing = startRevocationSharing({ store, list: security.auth.revocations, logger });
      tokenSharing = startTokenSharing({ store, tokens: security.auth.tokens, logger });
    }
    // A new admin token exists in plaintext only now: kept in kubeconfig.yaml at once (its
    // address is completed once the server listens), so a start that fails later does not
    // lose it (the next start would issue another one and warn about copies that never were).
    if (security.auth.adminToken) writeAdminKubeconfig(join(dataDir, 'kubeconfig.yaml'), `https://${urlHost(host)}:${port}`, security.auth, { logger });

    const storageStats = new StorageStats(sqliteStoreOf(store)?.file);
    objectCounting = startObjectCounting(store, kinds, storageStats, { onError: (err) => logger.debug(`counting stored objects failed: ${err instanceof Error ? err.message : String(err)}`) });
    if (opts.compaction !== false) {
      const c = opts.compaction ?? { intervalMs: 60_000, retainRevisions: 10_000 };
      // Servers sharing a store compact through one of them: the controller-manager leader
      // (a server without controllers, or before its manager exists, compacts itself).
      compactor = startCompactor(store, {
        ...c,
        active: () => !compactionLeader || compactionLeader.isLeader(),
        onError: (err) => logger.warn('compaction failed', err),
        onCompacted: (revision) => {
          storageStats.compactions++;
          storageStats.compactedRevision = revision;
          logger.debug(`compacted the store's history to revision ${revision}`);
        },
      });
    }

    if (opts.eventTtl !== false) {
      // As compaction, the controller-manager leader's server sweeps (or a server without one).
      eventExpiry = startEventExpiry(store, {
        ...(opts.eventTtl ?? {}),
        active: () => !compactionLeader || compactionLeader.isLeader(),
        onError: (err) => logger.warn('event expiry failed', err),
        onExpired: (n) => {
          storageStats.eventsExpired += n;
          logger.info(`deleted ${n} expired event${n === 1 ? '' : 's'} (older than the event TTL)`);
        },
      });
    }
    // Times older builds stored as clients sent them (stored-times.ts), in the background.
    storedTimes = canonicalizeStoredTimes(store, kinds, logger, () => stopping).catch((err: unknown) => {
      logger.warn('rewriting times stored by an older build failed (tried again at the next start)', err instanceof Error ? err.message : err);
      return 0;
    });

    let ready = false;
    const sockets = new Set<Socket>();
    const inflight = new InflightLimiter({ ...defaultInflightLimits, ...opts.inflightLimits });
    const handlerDeps = {
      kinds,
      registry: reg,
      watchCache: wc,
      discovery: new Discovery(kinds, [...reviewDiscovery, metricsDiscovery, tokenRequestDiscovery, bindingsDiscovery]),
      openapi: new OpenApi(kinds, logger.child('openapi'), [...reviewDiscovery, metricsDiscovery]),
      logger,
      // /healthz, /livez, /readyz: `shutdown` fails until the listener is up and once close() began.
      health: new ServerHealth({ serving: () => ready, store, logger: logger.child('health') }),
      kubeletClient: security.kubeletClient,
      serviceAccountTokens: security.auth.serviceAccountTokens,
      metrics: new ServerMetrics(kinds, () => sqliteStoreOf(store)?.stats(), () => inflight.inflight(), storageStats),
      backup: createBackupHandler({
        dir: dataDir,
        describe: (opts.storeUrl ?? 'sqlite:').split(':')[0]!,
        instanceId,
        ...(sqliteStoreOf(store) ? { backup: (file: string) => sqliteStoreOf(store)!.backup(file) } : {}),
      }),
    };
    // In-process callers (controller manager) are trusted; the network listener is secured.
    const handler = createHandler(handlerDeps);
    audit = openAuditLog(dataDir, opts.audit, logger.child('audit'));
    const auditLog = audit;
    // Connection limits (upstream's secure serving: 32 s to read a request's headers, idle
    // connections closed). A request's body has its own deadline where it is read (http.ts
    // readBody); once a request is in, nothing limits its answer (watches, logs, proxies, and
    // upgraded exec/port-forward streams last as long as the client wants).
    const connectionLimits = { ...defaultConnectionLimits, ...opts.connectionLimits };
    // HTTP/2 and HTTP/1.1 on one port, as kube-apiserver serves them (ALPN picks): client-go and
    // kubectl send their requests and watches as streams of one connection; upgrades (exec,
    // attach, port-forward, WebSocket watches) and clients without HTTP/2 use HTTP/1.1.
    const srv = createSecureServer({
      ...security.auth.pki.tlsOptions,
      allowHTTP1: true,
      handshakeTimeout: connectionLimits.tlsHandshakeTimeoutMs,
      // Go's server defaults (kube-apiserver keeps them): 250 streams at once per connection,
      // header lists up to its 1 MiB MaxHeaderBytes.
      settings: { maxConcurrentStreams: http2MaxStreams, maxHeaderListSize: maxHeaderSize },
      maxSessionMemory: 64,
    });
    // The HTTP/1.1 side's limits (the server applies them to HTTP/1.1 connections).
    Object.assign(srv, {
      keepAlive: true,
      requestTimeout: 0,
      headersTimeout: connectionLimits.headersTimeoutMs,
      // Node looks for expired request heads this often (its default, 30 s, would let one live
      // almost twice the limit).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(connectionLimits.headersTimeoutMs / 4))),
      maxHeaderSize,
      keepAliveTimeout: connectionLimits.keepAliveTimeoutMs,
    });
    // Tracked by the TCP socket under the TLS one (closing that closes both; it also covers
    // connections still in the handshake). `_parent` is node's TLSSocket internal; an HTTP/2
    // request's `socket` is a proxy of the TLS socket that reads it through.
    const tcpOf = (s: Socket | Duplex): Socket => (s as unknown as { _parent?: Socket })._parent ?? (s as Socket);
    // A connection that sends no request at all (Node's headers timeout only starts with a
    // request's first byte) is closed after the same 32 s.
    const firstRequest = new WeakMap<Socket, NodeJS.Timeout>();
    srv.on('secureConnection', (tls: Duplex) => {
      const timer = setTimeout(() => tls.destroy(), connectionLimits.headersTimeoutMs);
      timer.unref();
      firstRequest.set(tcpOf(tls), timer);
      tls.once('close', () => clearTimeout(timer));
    });
    const requestArrived = (req: IncomingMessage): void => {
      const tcp = tcpOf(req.socket);
      const timer = firstRequest.get(tcp);
      if (timer === undefined) return;
      clearTimeout(timer);
      firstRequest.delete(tcp);
    };
    srv.on('request', requestArrived);
    srv.on('upgrade', requestArrived);
    // An HTTP/2 connection is idle while no stream is open (a watch or a followed log keeps it
    // busy however quiet); idle for http2IdleTimeoutMs, it is closed gracefully (GOAWAY: a
    // stream the client opens meanwhile is refused and retried on a new connection).
    srv.on('session', (session: ServerHttp2Session) => {
      let open = 0;
      let idle: NodeJS.Timeout | undefined;
      const arm = (): void => {
        idle = setTimeout(() => session.close(), connectionLimits.http2IdleTimeoutMs);
        idle.unref();
      };
      arm();
      session.on('stream', (stream: ServerHttp2Stream) => {
        open++;
        clearTimeout(idle);
        stream.once('close', () => {
          if (--open === 0 && !session.closed && !session.destroyed) arm();
        });
      });
      session.once('close', () => clearTimeout(idle));
    });
    server = srv;
    // Answers in flight per connection (close() lets those finish; so does the revocation
    // sweep for answers not begun yet). Registered before the handler: the handler's
    // authentication may run the revocation sweep (a re-read of a changed list) at once.
    const busy = new Map<Socket, Set<ServerResponse>>();
    /** Connections to close once their request in flight is answered (see clientError below). */
    const closingAfterAnswer = new WeakSet<Duplex>();
    /** Connections that have carried a request (a stop closes those idle at once; see close()). */
    const used = new WeakSet<Socket>();
    /** When each connection was accepted (Date.now()). */
    const acceptedAt = new WeakMap<Socket, number>();
    srv.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const s = tcpOf(req.socket);
      used.add(s);
      // While stopping, an HTTP/1.1 answer ends its connection (no next request races the close).
      if (stopping && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
      const answers = busy.get(s) ?? new Set<ServerResponse>();
      busy.set(s, answers.add(res));
      res.on('close', () => {
        answers.delete(res);
        if (answers.size === 0 && busy.get(s) === answers) busy.delete(s);
      });
    });
    const secureHandler = createHandler({ ...handlerDeps, security, inflight, ...(cors ? { cors } : {}), ...(auditLog ? { audit: auditLog } : {}) });
    srv.on('request', secureHandler);
    srv.on('connection', (s: Socket) => {
      sockets.add(s);
      acceptedAt.set(s, Date.now());
      s.on('close', () => {
        sockets.delete(s);
        busy.delete(s);
      });
    });
    // A revoked certificate loses its open connections too (watches included), not only its
    // next request: the list is re-read every second (another process may have revoked) and
    // every change closes the connections whose certificate it revokes.
    // Connections with a verified client certificate, and that certificate as read once.
    const tlsSockets = new Map<TLSSocket, PresentedCert>();
    const revocations = security.auth.revocations;
    // Cut at once: idle connections, upgraded ones, and answers under way (a watch, a log).
    // An answer not begun yet (the request being refused by the very check that re-read the
    // list, or one authorized just before it) goes out first, with `Connection: close`:
    // destroying it would leave the client a "socket hang up" instead of its 401, or guessing
    // whether its write was applied. One that turns into a stream is cut after a grace.
    const stopRevocationSweep = revocations.onChange(() => {
      for (const [s, cert] of tlsSockets) {
        if (!revocations.isRevokedLoaded(cert)) continue;
        const pending = [...(busy.get(tcpOf(s)) ?? [])].filter((r) => !r.writableEnded);
        if (pending.length > 0 && pending.every((r) => !r.headersSent)) {
          logger.info(`closing a connection of revoked certificate ${cert.user} after its answer`);
          for (const r of pending) closeAfterAnswer(r);
          setTimeout(() => s.destroy(), revokedAnswerGraceMs).unref();
          continue;
        }
        logger.info(`closing a connection of revoked certificate ${cert.user}`);
        s.destroy();
      }
    });
    /** The connection of `r` closes once its answers are out: `Connection: close` (HTTP/1.1), a GOAWAY (HTTP/2). */
    const closeAfterAnswer = (r: ServerResponse): void => {
      const stream = (r as unknown as Partial<Http2ServerResponse>).stream;
      if (stream) stream.session?.close();
      else r.setHeader('Connection', 'close');
    };
    let revocationProblem: string | undefined;
    const revocationPoll = setInterval(() => {
      revocations.reloadIfChanged();
      if (revocations.problem !== revocationProblem) {
        revocationProblem = revocations.problem;
        if (revocationProblem) logger.error(`${revocationProblem}; the revocations loaded before stay in force`);
      }
    }, 1000);
    revocationPoll.unref();
    // Node's HTTP server pauses a connection's parser when a new request arrives while the
    // previous answer still fills the socket's write buffer (above its high-water mark), but a
    // TLS socket keeps delivering records it already decrypted (a Go client's request body
    // after its headers), and the paused parser fails them ("Parse Error: Paused", a 400
    // without a body). A write buffer mark above any single answer keeps that path closed for
    // request/answer traffic; streams (watches, logs) still get backpressure at this size.
    srv.on('secureConnection', (s: TLSSocket) => {
      const ws = (s as unknown as { _writableState?: { highWaterMark: number } })._writableState;
      if (ws) ws.highWaterMark = Math.max(ws.highWaterMark, answerWriteHighWaterMark);
      const cert = presentedCertOf(s);
      if (cert) {
        tlsSockets.set(s, cert);
        s.on('close', () => tlsSockets.delete(s));
      }
    });
    // Upgraded connections: `kubectl exec`/attach over WebSocket or SPDY, `kubectl port-forward`
    // over SPDY or WebSocket, logs over WebSocket (exec.ts, port-forward.ts), watches over
    // WebSocket (watch-websocket.ts, through the handler); nothing else upgrades.
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (isWatchUpgrade(req)) {
        serveWatchOverWebSocket(secureHandler, req, socket, head);
        return;
      }
      handlePodUpgrade({ registry: reg, kinds, security, ...(auditLog ? { audit: auditLog } : {}), kubeletClient: security.kubeletClient }, req, socket, head).then(
        (handled) => {
          if (!handled) {
            const body = JSON.stringify(badRequest('the server upgrades only watches, pods/exec, pods/attach, pods/portforward and pods/log; this request cannot be upgraded').toStatus());
            socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
          }
        },
        (err: unknown) => {
          logger.error('exec upgrade failed', err);
          socket.destroy();
        },
      );
    });
    // An HTTP CONNECT (a proxy tunnel request): no resource takes it, so it is a 405 Status and
    // the connection closes (node would otherwise drop it without a word).
    srv.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      const body = JSON.stringify(methodNotAllowed().toStatus());
      socket.end(`HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    // A request node's parser refuses (malformed, or its request line and headers beyond
    // maxHeaderSize) is answered with a Status too, and the connection closed. A reset
    // connection gets nothing.
    srv.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      logger.debug('client error', err.message);
      // A TLS handshake that failed or timed out (Node reports its handshakeTimeout here): there
      // is no TLS session to write an answer into, so the connection is only closed.
      const handshakeDone = (socket as Duplex & { _secureEstablished?: boolean })._secureEstablished !== false;
      if (!socket.writable || err.code === 'ECONNRESET' || err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || !handshakeDone) {
        socket.destroy();
        return;
      }
      // Bytes after a request on this connection are not HTTP while that request is still being
      // answered (a body sent without Content-Length, for one): its answer goes out first, as
      // Go's server sends it, and the connection closes after it. A 400 written ahead of it told
      // the client that a request it had carried out (a DELETE) had failed.
      const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (inFlight && !inFlight.writableFinished) {
        if (!closingAfterAnswer.has(socket)) {
          closingAfterAnswer.add(socket);
          inFlight.shouldKeepAlive = false;
          inFlight.once('close', () => socket.destroy());
        }
        // The malformed bytes were that request's own body (a bad chunk): no more of it will
        // come, so the request is answered now with a 400 instead of when its read times out.
        const inFlightReq = (inFlight as ServerResponse & { req?: IncomingMessage }).req;
        if (inFlightReq && !inFlightReq.complete) failBodyRead(inFlightReq, badRequest(`the request body could not be parsed as HTTP: ${err.message}`));
        return;
      }
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? new ApiError(431, 'RequestEntityTooLarge', `Request Header Fields Too Large: the request line and headers exceed ${maxHeaderSize} bytes`)
          : badRequest(`the request could not be parsed as HTTP: ${err.message}`);
      const body = JSON.stringify(status.toStatus());
      const text = status.code === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      socket.end(`HTTP/1.1 ${status.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    await new Promise<void>((ok, fail) => {
      const listenAddress = opts.listen ?? '127.0.0.1:6443';
      const onError = (err: NodeJS.ErrnoException): void => {
        // The commands print this: say what to do about it.
        if (err.code === 'EADDRINUSE') fail(new Error(`${listenAddress} is already in use (another everynode or Kubernetes API server?): stop it, or choose another address with --listen HOST:PORT`));
        else if (err.code === 'EADDRNOTAVAIL') fail(new Error(`${listenAddress} is not an address of this machine: choose one with --listen HOST:PORT`));
        else fail(err);
      };
      srv.once('error', onError);
      srv.listen(port, host, () => {
        srv.off('error', onError);
        ok();
      });
    });
    const addr = srv.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const url = `https://${urlHost(host)}:${actualPort}`;
    const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
    const address = await advertisedAddress(host);
    // Another live server on the store holds the cluster's admin token in its kubeconfig.yaml;
    // alone (SQLite, or the only server on etcd) a missing or stale file gets a new token.
    const othersLive = sqliteStoreOf(store) ? false : await otherServersLive(store, address === undefined ? undefined : `${address}:${actualPort}`);
    writeAdminKubeconfig(kubeconfigPath, url, security.auth, { logger, shared: othersLive });
    ready = true;
    {
      if (address === undefined) logger.warn(`the default/kubernetes Service is not kept: no address for ${JSON.stringify(host)}`);
      else {
        const { RestClient, inProcessTransport } = await import('../client/index.js');
        kubernetesService = startKubernetesService({ store, client: new RestClient(inProcessTransport(handler, { userAgent: 'everynode-apiserver' })), address, port: actualPort, logger });
      }
    }

    {
      // Upstream's legacy token tracking: a Secret-held token's Secret is labelled with the day
      // it was last used, at most one patch per Secret and day from this server (best effort;
      // the patch names the Secret's uid, so a Secret made again under the name is not touched).
      const { RestClient, inProcessTransport, secretsResource } = await import('../client/index.js');
      const client = new RestClient(inProcessTransport(handler, { userAgent: 'everynode-apiserver' }));
      const labelled = new Set<string>();
      security.legacyTokenUsed = (namespace, name, uid, today) => {
        const key = `${namespace}/${name}/${uid}/${today}`;
        if (labelled.has(key)) return;
        if (labelled.size > 10_000) labelled.clear();
        labelled.add(key);
        const patch = { metadata: { uid, labels: { [LEGACY_TOKEN_LAST_USED_LABEL]: today } } };
        client.patch(secretsResource, namespace, name, 'merge', patch, { discardAnswer: true }).catch((err: unknown) => {
          logger.debug(`legacy token tracking: label of secret ${namespace}/${name} not written: ${err instanceof Error ? err.message : String(err)}`);
        });
      };
    }

    let controllerManager: ControllerManager | undefined;
    if (opts.controllers) {
      const { startInProcessControllerManager } = await import('../controllers/manager.js');
      controllerManager = compactionLeader = startInProcessControllerManager(handler, {
        rootCaPem: security.auth.pki.caCertPem,
        // The CSR signer issues with the cluster CA (certificates.k8s.io/v1 kubernetes.io signers).
        csrSigning: { ca: security.auth.pki },
        legacyTokenIssuer: (o) => security.auth.serviceAccountTokens.issueLegacy(o),
        ...(opts.controllers === true ? {} : opts.controllers),
        logger: logger.child('controller-manager'),
      });
    }
    let clusterDns: ClusterDns | undefined;
    if (opts.clusterDns) {
      try {
        clusterDns = await startClusterDns(handler, opts.clusterDns, logger.child('dns'));
      } catch (err) {
        await controllerManager?.stop();
        throw err;
      }
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      port: actualPort,
      kubeconfigPath,
      store,
      kinds,
      pki: security.auth.pki,
      tokens: security.auth.tokens,
      caPem: security.auth.pki.caCertPem,
      createJoinToken: (o = {}) => createJoinToken(security.auth.tokens, security.auth.pki, o),
      issueNodeIdentity: (nodeName, addresses = []) => issueNodeIdentity(security.auth.pki, nodeName, addresses),
      acceptsNodeIdentity: (id) => {
        try {
          const cert = new X509Certificate(id.certPem);
          const ca = new X509Certificate(security.auth.pki.caCertPem);
          if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
          const user = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
          return user !== undefined && !security.auth.revocations.isRevoked({ user, notBeforeMs: Date.parse(cert.validFrom) });
        } catch {
          return false;
        }
      },
      handler,
      ...(controllerManager ? { controllerManager } : {}),
      ...(clusterDns ? { clusterDns: { address: clusterDns.address, port: clusterDns.port, domain: clusterDns.zone.domain } } : {}),
      async compactNow() {
        return store.compact(await store.currentRevision());
      },
      expireEventsNow: () => eventExpiry?.sweep() ?? Promise.resolve(0),
      countStoredObjectsNow: () => objectCounting?.runOnce() ?? Promise.resolve(),
      beginShutdown() {
        ready = false;
      },
      close() {
        stopping = true;
        // Not ready from the first moment of the stop (load balancers stop sending requests).
        ready = false;
        closing ??= (async () => {
          // Controllers first: they release their lease through this server.
          await controllerManager?.stop();
          await kubernetesService?.stop();
          await clusterDns?.stop();
          ready = false;
          reg.stop();
          customResources.stop();
          wc.stop();
          clearInterval(revocationPoll);
          stopRevocationSweep();
          await new Promise<void>((ok) => {
            srv.close(() => ok());
            // Idle keep-alive connections are closed now, busy ones as their answer ends, all
            // after a grace period. A connection accepted just before the stop that has not sent
            // its request yet gets half a second to send it (Go's Shutdown waits 5 s for those):
            // a request already on its way is answered, not dropped.
            const started = Date.now();
            const sweep = () => {
              const now = Date.now();
              for (const s of sockets) {
                const fresh = !used.has(s) && now - Math.max(acceptedAt.get(s) ?? 0, started) < 500;
                if ((!busy.has(s) && !fresh) || now - started > 2000) s.destroy();
              }
              if (sockets.size === 0) clearInterval(tick);
            };
            const tick = setInterval(sweep, 20);
            tick.unref();
            sweep();
          });
          // Every request has ended: the audit log has all its events.
          await auditLog?.close();
          await compactor?.stop();
          await eventExpiry?.stop();
          await objectCounting?.stop();
          await storedTimes;
          await revocationSharing?.stop();
          await tokenSharing?.stop();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    stopping = true;
    watchCache?.stop();
    registry?.stop();
    crds?.stop();
    await compactor?.stop();
    await eventExpiry?.stop();
    await objectCounting?.stop();
    await revocationSharing?.stop();
    await tokenSharing?.stop();
    await kubernetesService?.stop();
    server?.close();
    await audit?.close();
    await store.close();
    throw err;
  }
}
