// Service account credentials for pods: what the kubelet's projected token volume gives a
// container, for a runtime that has no mounts.
//
// Contract:
// - For a pod from the API with automountServiceAccountToken not false, the agent asks the
//   TokenRequest API for a token of the pod's service account, bound to the pod (1 h), and
//   writes `<dir>/<pod uid>/` (mode 0700): `token`, `ca.crt`, `namespace` and a `kubeconfig`
//   naming the API server with that token (0600). Its containers get KUBECONFIG pointing there
//   and KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT(_HTTPS) naming the API server, so
//   clients that load `$KUBECONFIG` (kubectl, client-go's and client-node's default loaders)
//   act as the service account. A pod that names no account, in a namespace without a
//   `default` one, runs without credentials. In-cluster loaders that only read
//   /var/run/secrets/kubernetes.io/serviceaccount cannot be served without mounts.
// - A token is renewed when 80% of its lifetime has passed (`refresh()`, called
//   periodically): the files are rewritten, so a client that re-reads them keeps working.
// - `forget(uid)` removes a pod's files; `retain(uids)` removes those of every other pod.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { kubeconfigWithCredentials, writeFileAtomic } from '../auth/index.js';
import { isNotFound, type ApiClient } from '../client/index.js';
import type { KeyValue } from './runtime/interface.js';

/** The kubelet's bound token lifetime. */
const TOKEN_SECONDS = 3607;

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

export class ServiceAccountProvider {
  private readonly issued = new Map<string, Issued>();

  constructor(private readonly o: ServiceAccountProviderOptions) {}

  /** The environment a container of `pod` gets (files written first); [] when the pod takes no token. */
  async environment(pod: Pod): Promise<KeyValue[]> {
    if (pod.spec.automountServiceAccountToken === false) return [];
    const uid = pod.metadata.uid ?? '';
    if (!this.issued.has(uid)) {
      try {
        await this.issue(pod);
      } catch (err) {
        // No controller makes a `default` account per namespace here: a pod that names no
        // account runs without credentials when there is none. A named account must exist.
        if ((pod.spec.serviceAccountName || 'default') === 'default' && isNotFound(err)) return [];
        throw err;
      }
    }
    const u = new URL(this.o.apiServer.url);
    const port = u.port || '443';
    return [
      { name: 'KUBECONFIG', value: join(this.podDir(uid), 'kubeconfig') },
      { name: 'KUBERNETES_SERVICE_HOST', value: u.hostname.replace(/^\[|\]$/g, '') },
      { name: 'KUBERNETES_SERVICE_PORT', value: port },
      { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: port },
    ];
  }

  /** Renews the tokens past 80% of their lifetime; failures are reported and retried next time. */
  async refresh(onError: (pod: Pod, err: unknown) => void): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    for (const [, t] of this.issued) {
      if (now < t.issuedAt + 0.8 * (t.expiresAt - t.issuedAt)) continue;
      try {
        await this.issue(t.pod);
      } catch (err) {
        onError(t.pod, err);
      }
    }
  }

  forget(uid: string): void {
    this.issued.delete(uid);
    rmSync(this.podDir(uid), { recursive: true, force: true });
  }

  /** Removes the files of every pod not in `uids`. */
  retain(uids: ReadonlySet<string>): void {
    for (const uid of [...this.issued.keys()]) if (!uids.has(uid)) this.forget(uid);
    let dirs: string[] = [];
    try {
      dirs = readdirSync(this.o.dir);
    } catch {
      return;
    }
    for (const d of dirs) if (!uids.has(d)) rmSync(join(this.o.dir, d), { recursive: true, force: true });
  }

  private podDir(uid: string): string {
    return join(this.o.dir, uid);
  }

  private async issue(pod: Pod): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const sa = pod.spec.serviceAccountName || 'default';
    const resource = { group: '', version: 'v1', plural: `serviceaccounts/${encodeURIComponent(sa)}/token`, namespaced: true, kind: 'TokenRequest' };
    const answer = await this.o.client.create<{ apiVersion: string; kind: string; metadata: Record<string, unknown>; status?: { token?: string; expirationTimestamp?: string } }>(resource, ns, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { expirationSeconds: TOKEN_SECONDS, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid } },
    } as never);
    const token = answer.status?.token;
    if (!token) throw new Error('the TokenRequest answer carries no token');
    const uid = pod.metadata.uid ?? '';
    const dir = this.podDir(uid);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, 'token'), token, 0o600);
    writeFileAtomic(join(dir, 'ca.crt'), this.o.apiServer.caPem, 0o644);
    writeFileAtomic(join(dir, 'namespace'), ns, 0o644);
    writeFileAtomic(join(dir, 'kubeconfig'), kubeconfigWithCredentials({ server: this.o.apiServer.url, caPem: this.o.apiServer.caPem, credential: { token }, user: `system:serviceaccount:${ns}:${sa}`, namespace: ns }), 0o600);
    const now = (this.o.now ?? Date.now)();
    const expiresAt = Date.parse(answer.status?.expirationTimestamp ?? '') || now + TOKEN_SECONDS * 1000;
    this.issued.set(uid, { pod, issuedAt: now, expiresAt });
  }
}
