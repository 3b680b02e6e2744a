// KubeconfigTransport: an HttpTransport whose credentials follow a kubeconfig file, for
// long-running clients that act with a kubeconfig someone may rewrite while they run (the
// admin kubeconfig that `everynode token rotate-admin` replaces under `everynode up`'s
// dashboard and hollow nodes).
//
// Contract:
// - The server address is the kubeconfig's (or `server` when given) and is never changed; only
//   the credentials (token, client certificate and key, CA) follow the file.
// - The file is looked at only when a request is answered 401: when it changed since it was
//   last read (size, mtime, inode: an atomic rename counts) and now holds other credentials,
//   the transport switches to them (HttpTransport.setCredentials: streams already open keep
//   theirs until its grace period ends, then reconnect) and sends the request once more.
// - A 401 for a request sent before the last switch is sent once more with the new
//   credentials, without looking at the file.
// - A 401 that is returned to the caller (no newer credentials) is logged as a warning naming
//   the file: the first one after each start or switch, then at most once a minute with the
//   count. Switches are logged at info level. An unreadable file is a warning; the
//   credentials in use stay.
// - Requests are replayable (their body is a string), so a retry sends exactly the same request.

import { statSync } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

export interface KubeconfigTransportOptions {
  /** The kubeconfig context (default: its current-context). */
  context?: string;
  /** Send requests here instead of the kubeconfig's server. */
  server?: string;
  userAgent?: string;
  maxSockets?: number;
  logger?: Logger;
  /** Grace period of open streams on a credential switch (HttpTransport.setCredentials). */
  graceMs?: number;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

type Credentials = Pick<HttpTransportOptions, 'token' | 'cert' | 'key' | 'ca'>;

const unauthorizedLogEveryMs = 60_000;

function fileStamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function credentialsOf(c: ResolvedKubeconfig): Credentials {
  return { token: c.token, cert: c.cert, key: c.key, ca: c.ca };
}

function sameBytes(a: string | Buffer | undefined, b: string | Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.token === b.token && sameBytes(a.cert, b.cert) && sameBytes(a.key, b.key) && sameBytes(a.ca, b.ca);
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const _ of body) {
      // discard
    }
  } catch {
    // the answer is thrown away anyway
  }
}

export class KubeconfigTransport {
  /** The kubeconfig's server (or the `server` option). */
  readonly server: string;
  /** The kubeconfig's namespace for its context. */
  readonly namespace: string;
  private readonly http: HttpTransport;
  private credentials: Credentials;
  private stamp: string;
  /** Incremented on every credential switch; a request remembers the one it was sent with. */
  private generation = 0;
  private unauthorized = { count: 0, loggedAt: -Infinity, loggedGeneration: -1 };
  private readonly now: () => number;

  constructor(readonly path: string, private readonly o: KubeconfigTransportOptions = {}) {
    this.stamp = fileStamp(path);
    const cfg = loadKubeconfig(path, o.context);
    this.server = o.server ?? cfg.server;
    this.namespace = cfg.namespace;
    this.credentials = credentialsOf(cfg);
    this.now = o.now ?? Date.now;
    this.http = new HttpTransport({
      ...cfg,
      server: this.server,
      ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
      ...(o.maxSockets !== undefined ? { maxSockets: o.maxSockets } : {}),
    });
  }

  /** The Transport function (bound). */
  readonly request: Transport = async (req: TransportRequest): Promise<TransportResponse> => {
    const sentWith = this.generation;
    const res = await this.http.request(req);
    if (res.statusCode !== 401 || req.signal?.aborted) return res;
    if (sentWith === this.generation && !this.reload()) {
      this.logUnauthorized(req);
      return res;
    }
    await drain(res.body);
    const again = await this.http.request(req);
    if (again.statusCode === 401) this.logUnauthorized(req);
    return again;
  };

  /**
   * Re-reads the file when it changed since the last read; true when it now holds other
   * credentials, which are then in use.
   */
  reload(): boolean {
    let stamp: string;
    let next: Credentials;
    try {
      stamp = fileStamp(this.path);
      if (stamp === this.stamp) return false;
      next = credentialsOf(loadKubeconfig(this.path, this.o.context));
    } catch (e) {
      this.o.logger?.warn(`cannot re-read the kubeconfig ${this.path} after a 401: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.stamp = stamp;
    if (sameCredentials(next, this.credentials)) return false;
    this.credentials = next;
    this.generation++;
    this.http.setCredentials(next, this.o.graceMs);
    this.o.logger?.info(`the API server answered 401 Unauthorized; switched to the new credentials in ${this.path}`);
    return true;
  }

  private logUnauthorized(req: TransportRequest): void {
    const u = this.unauthorized;
    u.count++;
    const now = this.now();
    if (u.loggedGeneration === this.generation && now - u.loggedAt < unauthorizedLogEveryMs) return;
    const path = req.path.replace(/\?.*$/, '');
    const repeated = u.count > 1 ? ` (${u.count} such answers since the last message)` : '';
    this.o.logger?.warn(
      `the API server answered 401 Unauthorized to ${req.method} ${path}${repeated}: the credentials of ${this.path} are no longer accepted ` +
        `and the file holds no newer ones (rotated token or certificate? rewrite the file and they are picked up on the next request)`,
    );
    u.count = 0;
    u.loggedAt = now;
    u.loggedGeneration = this.generation;
  }

  destroy(): void {
    this.http.destroy();
  }
}
