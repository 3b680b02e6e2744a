// Service account credentials for pods: what the kubelet's projected token volume gives a
// container, for a runtime that has no mounts.
//
// Contract:
// - For a pod from the API that mounts the API token (a projected volume with a
//   serviceAccountToken source for the API's audience: the `kube-api-access-*` volume the API
//   server's admission adds unless the pod or its account opts out; or, for a pod created by an
//   older server without that volume, one that already had a token issued and does not opt
//   out), the agent asks the TokenRequest API for a token of the pod's service account, bound to the pod (1 h), and
//   writes `<dir>/<pod uid>/` (mode 0700): `token`, `ca.crt`, `namespace` and a `kubeconfig`
//   naming the API server with that token (0600). Its containers get KUBECONFIG pointing there
//   and KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT(_HTTPS) (and the `kubernetes` Service's
//   Docker link variables, KUBERNETES_PORT*, in place of the service links) naming the API server, so
//   clients that load `$KUBECONFIG` (kubectl, client-go's and client-node's default loaders)
//   act as the service account. A pod that names no account, in a namespace without a
//   `default` one, runs without credentials; a pod naming an account that does not exist waits
//   (CreateContainerConfigError) until it does. In-cluster loaders that only read
//   /var/run/secrets/kubernetes.io/serviceaccount cannot be served without mounts.
// - A token is renewed when 80% of its lifetime has passed (`refresh()`, called
//   periodically, also for containers adopted after an agent restart, whose token is read back
//   from its file): the files are rewritten, so a client that re-reads them keeps working.
// - A failed request is retried with back-off (10 s doubling to 5 min), not on every sync pass;
//   each request is abandoned after 10 s. Files are readable by the agent's user only; the
//   containers run as that user too, so they do not isolate pods from one another.
// - `forget(uid)` removes a pod's files; `retain(uids)` removes those of every other pod.

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { ensurePrivateDir, kubeconfigWithCredentials, writeFileAtomic } from '../auth/index.js';
import { isNotFound, type ApiClient } from '../client/index.js';
import type { KeyValue } from './runtime/interface.js';

/** True for a connection reset (ECONNRESET, EPIPE) anywhere in the error's cause chain. */
export function isConnectionReset(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  }
  return false;
}

/** The kubelet's bound token lifetime. */
const TOKEN_SECONDS = 3607;
/** A TokenRequest that takes longer is abandoned (the pod's sync pass waits on it). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Back-off after a failed request, doubling up to the cap. */
const RETRY_MIN_MS = 10_000;
const RETRY_MAX_MS = 300_000;
/** How long "this namespace has no default account" is believed. */
const NO_DEFAULT_MS = 60_000;

interface Issued {
  pod: Pod;
  issuedAt: number;
  expiresAt: number;
}

export interface ServiceAccountProviderOptions {
  client: ApiClient;
  /** Root of the per-pod directories. */
  dir: string;
  /** The API server pods should talk to, and the CA its certificate chains to. */
  apiServer: { url: string; caPem: string };
  now?: () => number;
}

/** iat and exp (ms) of a JWT's payload, read without verifying it (our own file). */
function tokenTimes(token: string): { iat: number; exp: number } | undefined {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return typeof c.iat === 'number' && typeof c.exp === 'number' ? { iat: c.iat * 1000, exp: c.exp * 1000 } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the pod mounts a token for the API: a projected serviceAccountToken source with no other audience. */
export function mountsApiToken(pod: Pod): boolean {
  for (const v of pod.spec.volumes ?? []) {
    const sources = (v as { projected?: { sources?: { serviceAccountToken?: { audience?: string } | null }[] | null } | null }).projected?.sources ?? [];
    if (sources.some((src) => src?.serviceAccountToken && !src.serviceAccountToken.audience)) return true;
  }
  return false;
}

export class ServiceAccountProvider {
  private readonly issued = new Map<string, Issued>();
  /** Failed requests per pod uid: retried only after `retryAt`. */
  private readonly failures = new Map<string, { retryAt: number; delay: number; error: unknown }>();
  /** Namespaces found without a `default` account, until when. */
  private readonly noDefault = new Map<string, number>();

  constructor(private readonly o: ServiceAccountProviderOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The environment a container of `pod` gets (files written first); [] when the pod takes no token. */
  async environment(pod: Pod): Promise<KeyValue[]> {
    // A pod created before the API server gave pods their token volume (an older everynode) has
    // none, yet ran with credentials: one this agent (or the one before it) already issued a
    // token for keeps them, unless it opts out itself.
    if (!mountsApiToken(pod) && !(pod.spec.automountServiceAccountToken !== false && this.hadToken(pod.metadata.uid ?? ''))) return [];
    const ns = pod.metadata.namespace ?? 'default';
    const named = (pod.spec.serviceAccountName || 'default') !== 'default';
    if (!named && (this.noDefault.get(ns) ?? 0) > this.now()) return [];
    const uid = pod.metadata.uid ?? '';
    const have = this.issued.get(uid);
    // A token close to its end, or whose files are gone, is requested again.
    if (!have || have.expiresAt - this.now() < 60_000 || !existsSync(join(this.podDir(uid), 'kubeconfig'))) {
      const failed = this.failures.get(uid);
      if (failed && this.now() < failed.retryAt) throw failed.error;
      try {
        await this.issue(pod);
        this.failures.delete(uid);
      } catch (err) {
        // No controller makes a `default` account per namespace here: a pod that names no
        // account runs without credentials when there is none. A named account must exist.
        if (!named && isNotFound(err)) {
          this.noDefault.set(ns, this.now() + NO_DEFAULT_MS);
          return [];
        }
        // A named account that does not exist yet (applied after its DaemonSet, say) is looked
        // for again every 10 s, so its pods start soon after it is created.
        const delay = failed && !isNotFound(err) ? Math.min(failed.delay * 2, RETRY_MAX_MS) : RETRY_MIN_MS;
        this.failures.set(uid, { retryAt: this.now() + delay, delay, error: err });
        throw err;
      }
    }
    const u = new URL(this.o.apiServer.url);
    const port = u.port || '443';
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const link = `tcp://${u.host}`;
    // The Docker link variables of the `kubernetes` Service name the same address, so no
    // variable of the set points at the cluster IP, which nothing on a node routes.
    return [
      { name: 'KUBECONFIG', value: join(this.podDir(uid), 'kubeconfig') },
      { name: 'KUBERNETES_SERVICE_HOST', value: host },
      { name: 'KUBERNETES_SERVICE_PORT', value: port },
      { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: port },
      { name: 'KUBERNETES_PORT', value: link },
      { name: `KUBERNETES_PORT_${port}_TCP`, value: link },
      { name: `KUBERNETES_PORT_${port}_TCP_PROTO`, value: 'tcp' },
      { name: `KUBERNETES_PORT_${port}_TCP_PORT`, value: port },
      { name: `KUBERNETES_PORT_${port}_TCP_ADDR`, value: host },
    ];
  }

  /**
   * Renews the tokens past 80% of their lifetime. `pods` are the pods the agent runs: one whose
   * token this process did not issue (containers adopted after an agent restart) is taken over
   * from its file. Failures are reported and retried next time.
   */
  async refresh(pods: readonly Pod[], onError: (pod: Pod, err: unknown) => void): Promise<void> {
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (this.issued.has(uid)) continue;
      let token: string;
      try {
        token = readFileSync(join(this.podDir(uid), 'token'), 'utf8');
      } catch {
        continue; // none written for it
      }
      const t = tokenTimes(token);
      if (t) this.issued.set(uid, { pod, issuedAt: t.iat, expiresAt: t.exp });
    }
    const now = this.now();
    for (const [, t] of this.issued) {
      if (now < t.issuedAt + 0.8 * (t.expiresAt - t.issuedAt)) continue;
      try {
        await this.issue(t.pod);
      } catch (err) {
        onError(t.pod, err);
      }
    }
  }

  /** Whether a token was issued for the pod (by this process, or by an earlier agent: its file). */
  private hadToken(uid: string): boolean {
    return uid !== '' && (this.issued.has(uid) || existsSync(join(this.podDir(uid), 'token')));
  }

  forget(uid: string): void {
    this.issued.delete(uid);
    this.failures.delete(uid);
    try {
      rmSync(this.podDir(uid), { recursive: true, force: true });
    } catch {
      // retried by the next retain()
    }
  }

  /** Removes the files of every pod not in `uids`. */
  retain(uids: ReadonlySet<string>): void {
    for (const uid of [...this.issued.keys()]) if (!uids.has(uid)) this.forget(uid);
    for (const uid of [...this.failures.keys()]) if (!uids.has(uid)) this.failures.delete(uid);
    let dirs: string[] = [];
    try {
      dirs = readdirSync(this.o.dir);
    } catch {
      return;
    }
    for (const d of dirs) if (!uids.has(d)) this.forget(d);
  }

  private podDir(uid: string): string {
    return join(this.o.dir, uid);
  }

  private async issue(pod: Pod): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const sa = pod.spec.serviceAccountName || 'default';
    const resource = { group: '', version: 'v1', plural: `serviceaccounts/${encodeURIComponent(sa)}/token`, namespaced: true, kind: 'TokenRequest' };
    let timer: NodeJS.Timeout | undefined;
    const request = () =>
      this.o.client.create<{ apiVersion: string; kind: string; metadata: Record<string, unknown>; status?: { token?: string; expirationTimestamp?: string } }>(resource, ns, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: { expirationSeconds: TOKEN_SECONDS, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid } },
      } as never);
    const answer = await Promise.race([
      // A TokenRequest only mints a token, so one cut by a connection reset (a keep-alive
      // connection the server closed as it was reused) is sent once more at once rather than
      // holding the container in CreateContainerConfigError until the next sync.
      request().catch((err: unknown) => {
        if (isConnectionReset(err)) return request();
        throw err;
      }),
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`the TokenRequest took longer than ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    const token = answer.status?.token;
    if (!token) throw new Error('the TokenRequest answer carries no token');
    const uid = pod.metadata.uid ?? '';
    const dir = this.podDir(uid);
    ensurePrivateDir(dir);
    writeFileAtomic(join(dir, 'token'), token, 0o600);
    writeFileAtomic(join(dir, 'ca.crt'), this.o.apiServer.caPem, 0o644);
    writeFileAtomic(join(dir, 'namespace'), ns, 0o644);
    writeFileAtomic(join(dir, 'kubeconfig'), kubeconfigWithCredentials({ server: this.o.apiServer.url, caPem: this.o.apiServer.caPem, credential: { token }, user: `system:serviceaccount:${ns}:${sa}`, namespace: ns }), 0o600);
    const now = this.now();
    const expiresAt = Date.parse(answer.status?.expirationTimestamp ?? '') || now + TOKEN_SECONDS * 1000;
    this.issued.set(uid, { pod, issuedAt: now, expiresAt });
  }
}
