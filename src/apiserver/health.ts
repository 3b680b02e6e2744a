// Health endpoints as upstream's k8s.io/apiserver/pkg/server/healthz: /healthz, /livez and
// /readyz each run a list of named checks.
//
// Contract (the wire format kubectl, load balancers and probes read):
// - GET /<endpoint>: every check runs, in order, except those named by `?exclude=<name>`
//   (repeatable). All pass: 200 `ok`, or with `?verbose` one line per check (`[+]<name> ok`,
//   `[+]<name> excluded: ok`) then `<endpoint> check passed`. Any fails: 500 with the verbose
//   list whatever the query (`[-]<name> failed: reason withheld`) then `<endpoint> check
//   failed`. Exclusions matching no check add a `warn: some health checks cannot be excluded:
//   no matches for "<name>",...` line.
// - GET /<endpoint>/<name>: that check alone: 200 `ok`, or 500 `internal server error:
//   <reason>`. An unknown name is no route (the caller answers 404).
// - Reasons are withheld from the lists because the endpoints are public (authn.ts); a
//   check's reason is phrased for anyone to read (no file paths, no store errors verbatim),
//   as upstream shows it on the single-check path. Failures are logged (debug) with their
//   reasons; the store check also warns once when it starts failing and says when it recovers.
//
// The checks:
// - `ping`: always ok (the process answers).
// - `log`: always ok; upstream checks that klog's flush is not blocked, our logger writes
//   straight to its sink, so there is nothing to block. Kept for the name.
// - `etcd`: the store, whichever backend serves it (sqlite, etcd, memory); the name is
//   upstream's, which tools look for. See StoreHealthCheck.
// - `shutdown` (readyz only): fails while the server is starting or closing.
// /livez leaves `etcd` out: a store that refuses writes (a full disk) is not fixed by
// restarting the server, so it takes the server out of rotation (/readyz) instead. /healthz
// (deprecated upstream, still probed) runs livez's checks plus `etcd`.

import { StorageError, type Store } from '../storage/interface.js';
import type { Logger } from '../util/logger.js';

export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';

/** A named check: resolves when healthy, rejects (or throws) with a public reason otherwise. */
export interface HealthChecker {
  readonly name: string;
  check(): Promise<void> | void;
}

export type HealthChecks = Readonly<Record<HealthEndpoint, readonly HealthChecker[]>>;

/** A health path: the endpoint's root (`check` undefined) or one of its checks. */
export interface HealthRoute {
  endpoint: HealthEndpoint;
  check?: string;
}

export interface HealthAnswer {
  code: 200 | 500;
  /** text/plain. */
  body: string;
}

export const pingCheck: HealthChecker = { name: 'ping', check: () => undefined };

export const logCheck: HealthChecker = { name: 'log', check: () => undefined };

/** `shutdown`: fails while `serving()` is false (before the listener is ready, and once close() began). */
export function shutdownCheck(serving: () => boolean): HealthChecker {
  return {
    name: 'shutdown',
    check() {
      if (!serving()) throw new Error('the server is starting or shutting down');
    },
  };
}

/** Methods whose failures count as failed write attempts for StoreHealthCheck. */
const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface StoreHealthOptions {
  /** Only `currentRevision` is used: the probe, and the write log position. */
  store: Pick<Store, 'currentRevision'>;
  /** How long `currentRevision()` may take before the check fails (default 2000 ms). */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * `etcd`: the store, whichever backend it is (the name is upstream's). Fails when
 * - `store.currentRevision()` rejects or takes longer than `timeoutMs`, or
 * - the most recent failed write attempt failed with StorageError 'Unavailable' (a SQLite
 *   store on a full disk refuses every write so, while reads still work) and no write has
 *   succeeded since.
 * "A write succeeded since" is read from the log position: the store's revision has advanced
 * past the revision seen at the failure (every successful write appends; revisions never go
 * back). That also counts writes made by other servers sharing the store, which is evidence
 * enough that the store takes writes again. A failure whose revision could not be read takes
 * the revision the next check sees.
 *
 * Failures are fed by `observeRequestFailure`, called with every request that failed (the
 * handler's one catch, beside toHttpError); writes the server makes outside requests
 * (namespace finalization, event expiry, compaction) are not observed.
 */
export class StoreHealthCheck implements HealthChecker {
  readonly name = 'etcd';
  private readonly store: Pick<Store, 'currentRevision'>;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  /** The unrecovered write failure: the revision when it happened (undefined: not read yet). */
  private failure: { revision?: number } | undefined;
  /** The probe in flight: concurrent checks share it, so a hung store does not pile up calls. */
  private probe: Promise<number> | undefined;

  constructor(o: StoreHealthOptions) {
    this.store = o.store;
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.logger = o.logger;
  }

  /** Records a failed request: only a write (by method) failing with StorageError 'Unavailable' counts. */
  observeRequestFailure(method: string, err: unknown): void {
    if (!writeMethods.has(method.toUpperCase())) return;
    if (!(err instanceof StorageError) || err.code !== 'Unavailable') return;
    if (!this.failure) this.logger?.warn(`the store refused a write (${err.message}); /readyz reports etcd failed until a write succeeds`);
    const failure: { revision?: number } = {};
    this.failure = failure;
    this.currentRevision().then(
      (r) => (failure.revision ??= r),
      () => undefined,
    );
  }

  async check(): Promise<void> {
    let revision: number;
    try {
      revision = await this.currentRevision();
    } catch (err) {
      this.logger?.debug('etcd health check: the store did not report its revision', err);
      const why = err instanceof StorageError ? `(${err.code})` : err instanceof ProbeTimeout ? `within ${this.timeoutMs} ms` : '(error)';
      throw new Error(`the store did not report its revision ${why}`);
    }
    const f = this.failure;
    if (!f) return;
    f.revision ??= revision;
    if (revision > f.revision) {
      if (this.failure === f) {
        this.failure = undefined;
        this.logger?.info(`the store takes writes again (revision ${revision})`);
      }
      return;
    }
    throw new Error(`a write to the store failed (storage unavailable) and none has succeeded since revision ${f.revision}`);
  }

  /** `store.currentRevision()` bounded by timeoutMs, shared by concurrent callers. */
  private currentRevision(): Promise<number> {
    if (this.probe) return this.probe;
    let timer: NodeJS.Timeout | undefined;
    const p = Promise.race([
      this.store.currentRevision(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout()), this.timeoutMs);
        timer.unref();
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (this.probe === p) this.probe = undefined;
    });
    this.probe = p;
    return p;
  }
}

class ProbeTimeout extends Error {
  constructor() {
    super('timed out');
  }
}

export interface ServerHealthOptions {
  /** False while the server is starting or after close() began (the `shutdown` check). */
  serving: () => boolean;
  store: Pick<Store, 'currentRevision'>;
  /** The store check's bound on currentRevision() (default 2000 ms). */
  storeTimeoutMs?: number;
  logger?: Logger;
}

/** The server's checks per endpoint, and the store check's feed of failed requests. */
export class ServerHealth {
  readonly store: StoreHealthCheck;
  readonly checks: HealthChecks;
  private readonly logger: Logger | undefined;

  constructor(o: ServerHealthOptions) {
    this.logger = o.logger;
    this.store = new StoreHealthCheck({ store: o.store, ...(o.storeTimeoutMs !== undefined ? { timeoutMs: o.storeTimeoutMs } : {}), ...(o.logger ? { logger: o.logger } : {}) });
    // Upstream's order: ping, log, etcd, ..., shutdown.
    this.checks = {
      livez: [pingCheck, logCheck],
      healthz: [pingCheck, logCheck, this.store],
      readyz: [pingCheck, logCheck, this.store, shutdownCheck(o.serving)],
    };
  }

  /** Every failed request goes here (see StoreHealthCheck). */
  observeRequestFailure(method: string, err: unknown): void {
    this.store.observeRequestFailure(method, err);
  }

  /** Answers a health route; undefined: no such check (404). */
  serve(route: HealthRoute, query: URLSearchParams): Promise<HealthAnswer | undefined> {
    return runHealth(this.checks, route, query, this.logger);
  }
}

/** The health route of a path, or undefined when it is none (`/readyz/` is the check named ''). */
export function healthRouteOf(path: string): HealthRoute | undefined {
  for (const endpoint of ['healthz', 'livez', 'readyz'] as const) {
    const root = `/${endpoint}`;
    if (path === root) return { endpoint };
    if (path.startsWith(root + '/')) return { endpoint, check: path.slice(root.length + 1) };
  }
  return undefined;
}

/** Runs the checks of `route` and renders the answer as upstream; undefined for an unknown check. */
export async function runHealth(checks: HealthChecks, route: HealthRoute, query: URLSearchParams, logger?: Logger): Promise<HealthAnswer | undefined> {
  const list = checks[route.endpoint];
  if (route.check !== undefined) {
    const c = list.find((x) => x.name === route.check);
    if (!c) return undefined;
    const reason = await failureOf(c);
    if (reason === undefined) return { code: 200, body: 'ok' };
    logger?.debug(`${route.endpoint} check ${c.name} failed: ${reason}`);
    return { code: 500, body: `internal server error: ${reason}\n` };
  }
  const excluded = new Set(query.getAll('exclude'));
  let out = '';
  const failed: string[] = [];
  for (const c of list) {
    if (excluded.delete(c.name)) {
      out += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    const reason = await failureOf(c);
    if (reason === undefined) {
      out += `[+]${c.name} ok\n`;
    } else {
      out += `[-]${c.name} failed: reason withheld\n`;
      failed.push(`[-]${c.name} failed: ${reason}`);
    }
  }
  if (excluded.size > 0) out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((n) => JSON.stringify(n)).join(',')}\n`;
  if (failed.length > 0) {
    logger?.debug(`${route.endpoint} check failed: ${failed.join('; ')}`);
    return { code: 500, body: `${out}${route.endpoint} check failed\n` };
  }
  if (!query.has('verbose')) return { code: 200, body: 'ok' };
  return { code: 200, body: `${out}${route.endpoint} check passed\n` };
}

/** undefined when the check passes, else its reason. */
async function failureOf(c: HealthChecker): Promise<string | undefined> {
  try {
    await c.check();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
