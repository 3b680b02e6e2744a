// TokensController: fills the Secrets of type kubernetes.io/service-account-token with a
// long-lived token of the account they name, as upstream's serviceaccount-token controller
// does (the "manually create a long-lived API token for a ServiceAccount" recipe).
//
// Contract: level-triggered on Secret keys (`ns/name`).
// - A token Secret added or changed queues itself; a ServiceAccount deleted queues every token
//   Secret of its namespace that names it (by name, and by uid where the Secret has one).
// - sync(key) of a token Secret: its account is looked up by the name annotation (and the uid
//   annotation when set), in the cache and then live. No such account: the Secret is deleted
//   (uid precondition; NotFound and Conflict count as done), as upstream. Otherwise, when the
//   Secret lacks `token` or `namespace`, or its `ca.crt` is not the cluster CA, the Secret is
//   read live and, if it is the cached version, updated with what it lacks, the CA, and the
//   account's name and uid annotations. A token already there is never replaced. Conflict and
//   NotFound count as done (the next event queues it again).
// - sync(key) of a token Secret that is gone: its account, if it lists the Secret among its
//   `secrets`, loses that reference (upstream's removeSecretReference).
// - Errors other than those are retried with back-off.

import type { KubeObject } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  isConflict,
  isNotFound,
  isTombstone,
  realClock,
  secretsResource,
  serviceAccountsResource,
} from '../../client/index.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

type Secret = KubeObject & { type?: string; data?: Record<string, string> };
type ServiceAccount = KubeObject & { secrets?: { name?: string }[] };

/** Issues a legacy token (sa-token.ts issueLegacy). */
export type LegacyTokenIssuer = (o: { namespace: string; serviceAccount: { name: string; uid: string }; secretName: string }) => string;

export interface TokensControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  issue: LegacyTokenIssuer;
  /** The cluster CA (PEM), written as `ca.crt`; absent: none written. */
  rootCaPem?: string;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function accountOf(s: Secret): { name: string; uid: string } | undefined {
  if (s.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return undefined;
  const a = s.metadata.annotations ?? {};
  const name = a[SERVICE_ACCOUNT_NAME_ANNOTATION];
  return name ? { name, uid: a[SERVICE_ACCOUNT_UID_ANNOTATION] ?? '' } : undefined;
}

export class TokensController {
  private readonly client: ApiClient;
  private readonly issue: LegacyTokenIssuer;
  private readonly caB64: string | undefined;
  private readonly secrets: Informer<Secret>;
  private readonly accounts: Informer<ServiceAccount>;
  /** The account of each token Secret seen deleted and not yet synced (its reference to remove). */
  private readonly gone = new Map<string, { name: string; uid: string }>();
  readonly queue: RateLimitingQueue<string>;
  private readonly onError: (err: unknown) => void;

  constructor(o: TokensControllerOptions) {
    this.client = o.client;
    this.issue = o.issue;
    this.caB64 = o.rootCaPem ? b64(o.rootCaPem) : undefined;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(o.clock ?? realClock);
    this.secrets = o.informers.forResource<Secret>(secretsResource);
    this.accounts = o.informers.forResource<ServiceAccount>(serviceAccountsResource);
    const key = (s: KubeObject): string => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`;
    this.secrets.addEventHandler({
      add: (s) => {
        if (accountOf(s)) this.queue.add(key(s));
      },
      update: (_old, s) => {
        if (accountOf(s)) this.queue.add(key(s));
      },
      delete: (obj) => {
        const s = isTombstone(obj) ? obj.obj : obj;
        const account = accountOf(s);
        if (!account) return;
        this.gone.set(key(s), account);
        this.queue.add(key(s));
      },
    });
    this.accounts.addEventHandler({
      delete: (obj) => {
        const sa = isTombstone(obj) ? obj.obj : obj;
        for (const s of this.secrets.lister.namespace(sa.metadata.namespace ?? '').list()) {
          const account = accountOf(s);
          if (account && account.name === sa.metadata.name && (account.uid === '' || account.uid === sa.metadata.uid)) this.queue.add(key(s));
        }
      },
    });
  }

  /** Runs `workers` workers until `signal` aborts (runQueueWorkers). */
  run(signal: AbortSignal, workers = 1): Promise<void> {
    return runQueueWorkers({ queue: this.queue, caches: [this.secrets, this.accounts], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const secret = this.secrets.lister.namespace(namespace).get(name);
    if (!secret) {
      const account = this.gone.get(key);
      this.gone.delete(key);
      if (account) await this.removeReference(namespace, account, name);
      return;
    }
    this.gone.delete(key);
    const account = accountOf(secret);
    if (!account) return;
    const sa = await this.account(namespace, account);
    if (!sa) {
      try {
        await this.client.delete(secretsResource, namespace, name, { preconditions: { uid: secret.metadata.uid ?? '' } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    if (!this.lacks(secret)) return;
    // Fill a fresh copy, and only the version the cache holds (a newer one brings its own event).
    let live: Secret;
    try {
      live = await this.client.get<Secret>(secretsResource, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (live.metadata.resourceVersion !== secret.metadata.resourceVersion || !this.lacks(live)) return;
    const data = { ...(live.data ?? {}) };
    if (this.caB64 !== undefined && data['ca.crt'] !== this.caB64) data['ca.crt'] = this.caB64;
    if (!data['namespace']) data['namespace'] = b64(namespace);
    const uid = sa.metadata.uid ?? '';
    if (!data['token']) data['token'] = b64(this.issue({ namespace, serviceAccount: { name: sa.metadata.name ?? '', uid }, secretName: name }));
    const updated: Secret = {
      ...live,
      metadata: { ...live.metadata, annotations: { ...(live.metadata.annotations ?? {}), [SERVICE_ACCOUNT_NAME_ANNOTATION]: sa.metadata.name ?? '', [SERVICE_ACCOUNT_UID_ANNOTATION]: uid } },
      data,
    };
    try {
      await this.client.update(secretsResource, namespace, updated);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Whether a token Secret lacks its token, its namespace, or the cluster CA. */
  private lacks(s: Secret): boolean {
    const d = s.data ?? {};
    return !d['token'] || !d['namespace'] || (this.caB64 !== undefined && d['ca.crt'] !== this.caB64);
  }

  /** The account a token Secret names (and its uid, when it names one): cached, else live; undefined when there is none. */
  private async account(namespace: string, want: { name: string; uid: string }): Promise<ServiceAccount | undefined> {
    const fits = (sa: ServiceAccount | undefined): ServiceAccount | undefined => (sa && (want.uid === '' || sa.metadata.uid === want.uid) ? sa : undefined);
    const cached = fits(this.accounts.lister.namespace(namespace).get(want.name));
    if (cached) return cached;
    try {
      return fits(await this.client.get<ServiceAccount>(serviceAccountsResource, namespace, want.name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Removes `secretName` from the account's `secrets`, when that account (same uid) lists it. */
  private async removeReference(namespace: string, account: { name: string; uid: string }, secretName: string): Promise<void> {
    const cached = this.accounts.lister.namespace(namespace).get(account.name);
    if (!cached?.secrets?.some((r) => r.name === secretName)) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      let sa: ServiceAccount;
      try {
        sa = await this.client.get<ServiceAccount>(serviceAccountsResource, namespace, account.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if ((account.uid !== '' && sa.metadata.uid !== account.uid) || !sa.secrets?.some((r) => r.name === secretName)) return;
      try {
        await this.client.update(serviceAccountsResource, namespace, { ...sa, secrets: sa.secrets.filter((r) => r.name !== secretName) });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
  }
}
