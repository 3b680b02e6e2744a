// Security wiring of the API server (issue 7): the RBAC source and node graph over the
// server's own store, bootstrap RBAC objects, the admin kubeconfig, and the per-request
// authentication/authorization step the handler runs.
//
// Contracts:
// - RbacCache keeps every Role, ClusterRole, RoleBinding and ClusterRoleBinding in memory,
//   loaded from the store on first use after an invalidation. It is invalidated by every
//   watch-cache event on an rbac.authorization.k8s.io resource (writes through any server on
//   the same store), by a store watch restart, and by the handler right after an RBAC write
//   through this server returned (read-your-writes for the writer). A load that raced with an
//   invalidation is not kept (generation check).
// - The kubeconfig (`<dataDir>/kubeconfig.yaml`, mode 0600) carries the CA and the admin token.
//   The token is stored hashed, so the file is the only copy: on restart the token is read back
//   from it (and the file rewritten with the current URL); when the file is missing or its
//   token no longer authenticates, the admin token is rotated and the file written anew.
// - The kubelet-client certificate (CN `kube-apiserver-kubelet-client`, O `system:masters`) is
//   issued in memory at each start; the pod-log proxy presents it to agents.

import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, forbidden, methodNotAllowed, unauthorized } from '../api/errors.js';
import type { KindRegistry } from '../api/kinds.js';
import type { KubeObject, Pod } from '../api/types.js';
import {
  ADMIN_TOKEN_ID,
  API_AUDIENCE,
  Authorizer,
  RBAC_GROUP,
  admitNodeRequest,
  bearerToken,
  AGGREGATED_BOOTSTRAP_ROLES,
  aggregationRuleOf,
  bootstrapRbacObjects,
  forbiddenError,
  initServerAuth,
  issueClientCert,
  issueNodeIdentity,
  nodeCredentials,
  kubeconfigWithCredentials,
  looksLikeJwt,
  serviceAccountIdentity,
  legacyServiceAccountIdentity,
  sha256Hex,
  withAuthenticatedGroup,
  impersonate,
  impersonationOf,
  nodeNameOf,
  requestAttributes,
  rotateAdminToken,
  writeFileAtomic,
  type AuthorizationAttributes,
  type ClusterRole,
  type ClusterRoleBinding,
  type DistinctHeaders,
  type NodeGraph,
  type NodeNameHeld,
  type RbacSource,
  type Role,
  type RoleBinding,
  type ServerAuth,
  type UserInfo,
} from '../auth/index.js';
import type { Store } from '../storage/index.js';
import type { Logger } from '../util/logger.js';
import { keyPrefix, objectKey, type AdmitFn, type RestRegistry } from './registry.js';
import type { ResourceRoute } from './request-info.js';
import type { WatchCache } from './watch-cache.js';

interface RbacSnapshot {
  roles: Map<string, Role>; // `<ns>/<name>`
  clusterRoles: Map<string, ClusterRole>;
  roleBindings: Map<string, RoleBinding[]>; // by namespace
  clusterRoleBindings: ClusterRoleBinding[];
}

/** How long a read waits for a reload before it is answered from the last snapshot loaded. */
export const RBAC_STALE_AFTER_MS = 1000;

/**
 * RbacSource over the store, cached until an RBAC change (see the file comment). A reload that
 * takes longer than RBAC_STALE_AFTER_MS, or fails, is answered from the last snapshot loaded
 * (as upstream's authorizer answers from its informers' caches): a stalled or unreachable store
 * never holds up authorization (`/livez` for an anonymous probe included). The reload goes on
 * and is taken when it lands. In normal operation reloads take milliseconds, so a client's own
 * RBAC write is in effect for its next request.
 */
export class RbacCache implements RbacSource {
  private snapshot: RbacSnapshot | undefined;
  private lastGood: RbacSnapshot | undefined;
  private lastGoodGeneration = -1;
  private loading: Promise<RbacSnapshot> | undefined;
  private generation = 0;

  constructor(private readonly store: Store, private readonly kinds: KindRegistry, private readonly staleAfterMs = RBAC_STALE_AFTER_MS) {}

  /** Forgets the cached objects; the next read loads them again. */
  invalidate(): void {
    this.generation++;
    this.snapshot = undefined;
    this.loading = undefined;
  }

  private async list<T extends KubeObject>(plural: string): Promise<T[]> {
    const k = this.kinds.byResource(RBAC_GROUP, 'v1', plural);
    if (!k) return [];
    const r = await this.store.list(keyPrefix(k));
    return r.items.map((kv) => JSON.parse(kv.value) as T);
  }

  private async load(): Promise<RbacSnapshot> {
    if (this.snapshot) return this.snapshot;
    const p = this.loading ?? this.reload();
    const fallback = this.lastGood;
    if (!fallback) return p;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<RbacSnapshot>((resolve) => (timer = setTimeout(() => resolve(fallback), this.staleAfterMs)));
    try {
      return await Promise.race([p.catch(() => fallback), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts loading every RBAC object; the snapshot is kept unless invalidated meanwhile. */
  private reload(): Promise<RbacSnapshot> {
    const gen = this.generation;
    const p = (async () => {
      const [roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all([
        this.list<Role>('roles'),
        this.list<ClusterRole>('clusterroles'),
        this.list<RoleBinding>('rolebindings'),
        this.list<ClusterRoleBinding>('clusterrolebindings'),
      ]);
      const snap: RbacSnapshot = {
        roles: new Map(roles.map((r) => [`${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`, r])),
        clusterRoles: new Map(clusterRoles.map((r) => [r.metadata.name ?? '', r])),
        roleBindings: new Map(),
        clusterRoleBindings,
      };
      for (const b of roleBindings) {
        const ns = b.metadata.namespace ?? '';
        const list = snap.roleBindings.get(ns) ?? [];
        list.push(b);
        snap.roleBindings.set(ns, list);
      }
      return snap;
    })();
    this.loading = p;
    p.then(
      (snap) => {
        if (gen === this.generation) this.snapshot = snap;
        if (gen >= this.lastGoodGeneration) {
          this.lastGood = snap;
          this.lastGoodGeneration = gen;
        }
      },
      () => undefined,
    ).finally(() => {
      if (this.loading === p) this.loading = undefined;
    });
    return p;
  }

  async getRole(namespace: string, name: string): Promise<Role | undefined> {
    return (await this.load()).roles.get(`${namespace}/${name}`);
  }
  async getClusterRole(name: string): Promise<ClusterRole | undefined> {
    return (await this.load()).clusterRoles.get(name);
  }
  async listRoleBindings(namespace: string): Promise<RoleBinding[]> {
    return (await this.load()).roleBindings.get(namespace) ?? [];
  }
  async listClusterRoleBindings(): Promise<ClusterRoleBinding[]> {
    return (await this.load()).clusterRoleBindings;
  }
}

/** The Node authorizer's graph: pods bound to a node, read from the store (only asked for node reads of Secrets/ConfigMaps). */
export function storeNodeGraph(store: Store, kinds: KindRegistry): NodeGraph {
  return {
    async podsOnNode(nodeName) {
      const k = kinds.byResource('', 'v1', 'pods');
      if (!k) return [];
      const r = await store.list(keyPrefix(k));
      const out: Pod[] = [];
      // Only pods whose stored JSON names the node are parsed (stored values are compact
      // JSON, and node names need no escaping): a node's ConfigMap or Secret read then costs a
      // scan of the text, not a parse of every pod of the cluster.
      const needle = `"nodeName":${JSON.stringify(nodeName)}`;
      for (const kv of r.items) {
        if (!kv.value.includes(needle)) continue;
        const p = JSON.parse(kv.value) as Pod;
        if (p.spec?.nodeName === nodeName) out.push(p);
      }
      return out;
    },
  };
}

/**
 * Creates every bootstrap RBAC object that does not exist yet; never overwrites, with one
 * exception: `admin`, `edit` and `view` made by an older server (no aggregationRule) that still
 * say `rbac.authorization.kubernetes.io/autoupdate: "true"` are given their aggregationRule, as
 * upstream's reconciliation would (their rules are then the aggregation controller's).
 */
export async function ensureBootstrapRbac(registry: RestRegistry, kinds: KindRegistry): Promise<void> {
  for (const obj of bootstrapRbacObjects()) {
    const plural = obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
    const k = kinds.byResource(RBAC_GROUP, 'v1', plural);
    if (!k) continue;
    try {
      await registry.create(k, undefined, obj, { dryRun: false, fieldManager: 'everynode', fieldValidation: 'Strict', force: false });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      const name = obj.metadata.name ?? '';
      if (obj.kind !== 'ClusterRole' || !(AGGREGATED_BOOTSTRAP_ROLES as readonly string[]).includes(name)) continue;
      const current = JSON.parse(await registry.get(k, undefined, name)) as ClusterRole & { aggregationRule?: unknown };
      if (current.aggregationRule || current.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'] !== 'true') continue;
      const next = { ...current, aggregationRule: aggregationRuleOf(name as (typeof AGGREGATED_BOOTSTRAP_ROLES)[number]) };
      try {
        await registry.update(k, undefined, name, undefined, next, { dryRun: false, fieldManager: 'everynode', fieldValidation: 'Strict', force: false });
      } catch (e) {
        // Another server of the store did it first.
        if (!(e instanceof ApiError && e.reason === 'Conflict')) throw e;
      }
    }
  }
}

function tokenFromKubeconfig(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const doc = parseYaml(readFileSync(path, 'utf8')) as { users?: { user?: { token?: unknown } }[] };
    const t = doc.users?.[0]?.user?.token;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `<dataDir>/kubeconfig.yaml` (0600) with the CA and the admin token (see the file comment).
 * When the file holds no valid admin token, a server alone on its store issues a new one; a
 * server with other live servers on its store (`shared`) leaves the file alone and says so
 * instead: the admin token is the cluster's, rotated on another server (whose kubeconfig.yaml
 * has it), and issuing one here would lock out every other copy.
 */
export function writeAdminKubeconfig(path: string, url: string, auth: ServerAuth, o: { logger?: Logger; shared?: boolean } = {}): void {
  const { logger } = o;
  let token = auth.adminToken;
  if (!token) {
    const existing = tokenFromKubeconfig(path);
    const r = existing ? auth.tokens.lookup(existing) : undefined;
    if (existing && r?.ok && r.record.id === ADMIN_TOKEN_ID) token = existing;
    else if (o.shared && auth.tokens.list().some((t) => t.id === ADMIN_TOKEN_ID)) {
      logger?.warn(
        `${path} is ${existing ? 'out of date: its admin token is no longer valid' : 'missing'}; the cluster's admin token was made or rotated on another server sharing the store: copy kubeconfig.yaml from that server (or run \`everynode token rotate-admin\` here, which replaces it for every server)`,
      );
      return;
    } else {
      // Only kubeconfig.yaml holds the admin token in plaintext (tokens.json has its hash).
      token = rotateAdminToken(auth.tokens);
      logger?.warn(`${path} was missing or held no valid admin token: issued a new admin token there; copies of the old admin kubeconfig no longer work`);
    }
  }
  writeFileAtomic(path, kubeconfigWithCredentials({ server: url, caPem: auth.pki.caCertPem, credential: { token }, user: 'admin' }), 0o600);
}

/** The client certificate the API server presents to agents (pod logs). */
export interface KubeletClientCert {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

export async function issueKubeletClientCert(auth: ServerAuth): Promise<KubeletClientCert> {
  const c = await issueClientCert(auth.pki, { commonName: KUBELET_CLIENT_USER, organizations: ['system:masters'], days: 365 });
  // Agents' serving certificates chain to the node serving CA; ones issued by earlier
  // versions chain to the cluster CA and are accepted until the agent renews (the node's name
  // is pinned either way: pod-log.ts).
  return { ...c, caPem: auth.pki.nodeServingCaCertPem + auth.pki.caCertPem };
}

/** What the handler needs to secure requests. */
export interface RequestSecurity {
  auth: ServerAuth;
  authorizer: Authorizer;
  rbac: RbacCache;
  kubeletClient: KubeletClientCert;
  /** Whether a service account token's objects (its account, its pod) still exist with their uids. */
  stillBound(b: NonNullable<UserInfo['boundTo']>): Promise<boolean>;
  /** The stored uid of a Node (NodeRestriction checks a mirror pod's owner against it). */
  nodeUid(name: string): Promise<string | undefined>;
  /** TokenReview: who a bearer token authenticates as, for some of `audiences` (reviewToken). */
  reviewToken(token: string, audiences: readonly string[]): Promise<TokenReviewResult>;
  /**
   * Told when a legacy token's Secret does not yet carry today's (or tomorrow's: clocks
   * differ) `kubernetes.io/legacy-token-last-used` label, so the server labels it (upstream's
   * legacy token tracking). Set by the server once its handler exists; best effort.
   */
  legacyTokenUsed?: (namespace: string, secretName: string, secretUid: string, today: string) => void;
}

export type TokenReviewResult = { authenticated: true; user: UserInfo; audiences: string[] } | { authenticated: false; error?: string };

/**
 * Upstream's TokenReview over this server's authenticators: `audiences` empty means the API
 * server's own. A service account token must be valid for one of them (the answer's audiences
 * are those it names) and its account and bound object must still exist; a static token (the
 * admin's, a user token) is audience-agnostic: valid only when the API audience is asked for.
 * Join tokens and client certificates authenticate nobody here, as a request's token would not.
 */
function tokenReviewer(auth: ServerAuth, stillBound: RequestSecurity['stillBound']): RequestSecurity['reviewToken'] {
  return async (token, requested) => {
    const wanted = requested.length > 0 ? [...requested] : [API_AUDIENCE];
    if (looksLikeJwt(token)) {
      const legacy = auth.serviceAccountTokens.verifyLegacy(token);
      if (legacy) {
        // A legacy token has no audience: upstream takes it as the API server's own.
        if (!wanted.includes(API_AUDIENCE)) return { authenticated: false, error: 'invalid bearer token' };
        const user = legacyServiceAccountIdentity(legacy, token);
        if (!(await stillBound(user.boundTo!))) return { authenticated: false, error: 'invalid bearer token, Token has been invalidated' };
        const { boundTo: _b, ...shown } = user;
        return { authenticated: true, user: shown, audiences: [API_AUDIENCE] };
      }
      const claims = auth.serviceAccountTokens.verify(token, new Date(), wanted);
      if (!claims) return { authenticated: false, error: 'invalid bearer token' };
      const user = serviceAccountIdentity(claims);
      if (user.boundTo && !(await stillBound(user.boundTo))) return { authenticated: false, error: 'invalid bearer token, service account token has been invalidated' };
      const { boundTo: _b, ...shown } = user;
      return { authenticated: true, user: shown, audiences: claims.aud.filter((a) => wanted.includes(a)) };
    }
    const r = auth.tokens.lookup(token);
    if (!r.ok || r.record.kind === 'join') return { authenticated: false, error: 'invalid bearer token' };
    if (!wanted.includes(API_AUDIENCE)) return { authenticated: false };
    return { authenticated: true, user: withAuthenticatedGroup({ user: r.record.user, groups: [...r.record.groups], ...(r.record.uid ? { uid: r.record.uid } : {}) }), audiences: [API_AUDIENCE] };
  };
}

/** A stored core object, read from the store (Secrets decrypted by the server's store). */
async function storedObject(store: Store, kinds: KindRegistry, plural: string, namespace: string, name: string): Promise<KubeObject | undefined> {
  const k = kinds.byResource('', 'v1', plural);
  if (!k) return undefined;
  const kv = await store.get(objectKey(k, namespace, name));
  return kv ? (JSON.parse(kv.value) as KubeObject) : undefined;
}

/** A stored object's uid, read from the store. */
async function storedUid(store: Store, kinds: KindRegistry, plural: string, namespace: string, name: string): Promise<{ uid?: string; deletionTimestamp?: string } | undefined> {
  const o = await storedObject(store, kinds, plural, namespace, name);
  if (!o) return undefined;
  return { ...(o.metadata.uid ? { uid: o.metadata.uid } : {}), ...(o.metadata.deletionTimestamp ? { deletionTimestamp: o.metadata.deletionTimestamp } : {}) };
}

/** Upstream's label on a legacy token's Secret: the day (UTC, YYYY-MM-DD) it was last used. */
export const LEGACY_TOKEN_LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';
/** Upstream's label that makes a legacy token's Secret stop authenticating. */
export const LEGACY_TOKEN_INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';

/** A UTC day as upstream's labels write it (YYYY-MM-DD). */
function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Upstream's legacy validator's lookups: the Secret exists, is not being deleted, carries no
 * invalid-since label and holds exactly this token; the account exists with the token's uid
 * and is not being deleted. Tells `used` when the Secret's last-used label is not today's.
 */
async function legacySecretValid(
  store: Store,
  kinds: KindRegistry,
  b: NonNullable<UserInfo['boundTo']>,
  secretRef: { name: string; tokenSha256: string },
  used: (namespace: string, secretName: string, secretUid: string, today: string) => void,
): Promise<boolean> {
  const secret = await storedObject(store, kinds, 'secrets', b.namespace, secretRef.name);
  if (!secret || secret.metadata.deletionTimestamp) return false;
  const labels = secret.metadata.labels ?? {};
  if (labels[LEGACY_TOKEN_INVALID_SINCE_LABEL]) return false;
  const held = (secret as { data?: Record<string, unknown> }).data?.['token'];
  if (typeof held !== 'string' || sha256Hex(Buffer.from(held, 'base64').toString('utf8')) !== secretRef.tokenSha256) return false;
  const account = await storedObject(store, kinds, 'serviceaccounts', b.namespace, b.serviceAccount.name);
  if (!account || account.metadata.deletionTimestamp || account.metadata.uid !== b.serviceAccount.uid) return false;
  const now = Date.now();
  const today = utcDay(now);
  const lastUsed = labels[LEGACY_TOKEN_LAST_USED_LABEL];
  if (lastUsed !== today && lastUsed !== utcDay(now + 86_400_000)) used(b.namespace, secretRef.name, secret.metadata.uid ?? '', today);
  return true;
}

/** stillBound over the store: one read per object. */
function storeBindingCheck(store: Store, kinds: KindRegistry, used: () => RequestSecurity['legacyTokenUsed']): RequestSecurity['stillBound'] {
  const uidOf = async (plural: string, namespace: string, name: string): Promise<string | undefined> => {
    const o = await storedUid(store, kinds, plural, namespace, name);
    if (!o) return undefined;
    // As upstream: an object being deleted keeps its tokens until 60 s past its
    // deletionTimestamp (a pod's graceful shutdown may still need the API).
    const deleting = o.deletionTimestamp ? Date.parse(o.deletionTimestamp) : undefined;
    return deleting !== undefined && deleting + 60_000 < Date.now() ? undefined : o.uid;
  };
  return async (b) => {
    if (b.legacySecret) return legacySecretValid(store, kinds, b, b.legacySecret, (...a) => used()?.(...a));
    if ((await uidOf('serviceaccounts', b.namespace, b.serviceAccount.name)) !== b.serviceAccount.uid) return false;
    if (b.pod && (await uidOf('pods', b.namespace, b.pod.name)) !== b.pod.uid) return false;
    if (b.node && (await uidOf('nodes', '', b.node.name)) !== b.node.uid) return false;
    return !b.secret || (await uidOf('secrets', b.namespace, b.secret.name)) === b.secret.uid;
  };
}

/**
 * A join's name is held while the node's Lease (kube-node-lease/<name>) is within its duration
 * of its last renewal: an agent of that name is alive. A machine that lost its data dir joins
 * again once its old agent's lease has expired (or at once after `everynode node revoke`).
 */
function storeNodeNameHeld(store: Store, kinds: KindRegistry): NodeNameHeld {
  return async (nodeName, revokedAt) => {
    const k = kinds.byResource('coordination.k8s.io', 'v1', 'leases');
    if (!k) return undefined;
    const kv = await store.get(objectKey(k, 'kube-node-lease', nodeName));
    if (!kv) return undefined;
    const spec = (JSON.parse(kv.value) as { spec?: { renewTime?: string; leaseDurationSeconds?: number } }).spec ?? {};
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : NaN;
    const durationMs = (spec.leaseDurationSeconds ?? 40) * 1000;
    const ago = Date.now() - renewed;
    if (!Number.isFinite(renewed) || ago > durationMs) return undefined;
    // A revoked agent can no longer renew: its last renewal does not hold the name.
    if (revokedAt !== undefined && renewed <= revokedAt) return undefined;
    return (
      `node "${nodeName}" is already registered and its agent renewed its lease ${Math.max(0, Math.round(ago / 1000))}s ago: ` +
      `another machine is using this name. Give this agent another --name, or stop the other agent (the name is free ` +
      `${Math.round(durationMs / 1000)}s after its last renewal), or lock it out with \`everynode node revoke ${nodeName}\``
    );
  };
}

export async function initRequestSecurity(o: {
  dataDir: string;
  sans: string[];
  store: Store;
  kinds: KindRegistry;
  watchCache: WatchCache;
  logger: Logger;
}): Promise<RequestSecurity> {
  const auth = await initServerAuth(o.dataDir, {
    sans: o.sans,
    nameHeld: storeNodeNameHeld(o.store, o.kinds),
    onJoinRefused: (nodeName, why) => o.logger.warn(`join of node ${JSON.stringify(nodeName)} refused: ${why}`),
  });
  const rbac = new RbacCache(o.store, o.kinds);
  o.watchCache.onChange((resource) => {
    if (resource === '*' || resource.startsWith(`${RBAC_GROUP}/`)) rbac.invalidate();
  });
  const authorizer = new Authorizer({ rbac, nodeGraph: storeNodeGraph(o.store, o.kinds) });
  // The hook is read at each use: the server sets it once its handler exists.
  const stillBound = storeBindingCheck(o.store, o.kinds, () => sec.legacyTokenUsed);
  const sec: RequestSecurity = { auth, authorizer, rbac, kubeletClient: await issueKubeletClientCert(auth), stillBound, nodeUid: async (name) => (await storedUid(o.store, o.kinds, 'nodes', '', name))?.uid, reviewToken: tokenReviewer(auth, stillBound) };
  return sec;
}

/** Result of the per-request security step: who, the attributes, and NodeRestriction for writes. */
export interface SecuredRequest {
  user: UserInfo;
  attrs: AuthorizationAttributes;
  /** Set for node identities: NodeRestriction, passed to the registry's writes. */
  admit?: AdmitFn;
}

/**
 * Authenticates (401) and authorizes (403) one request. `route` undefined = non-resource path.
 * Throws the ApiError to answer.
 */
export async function secureRequest(
  sec: RequestSecurity,
  req: { headers: import('node:http').IncomingHttpHeaders; headersDistinct?: DistinctHeaders; rawHeaders?: readonly string[]; socket: unknown; method?: string },
  path: string,
  route: ResourceRoute | undefined,
  watch: boolean,
  /**
   * Told who the caller is as soon as authentication succeeded (before authorization; the
   * audit log), and who the request runs as when it impersonates someone.
   */
  onAuthenticated?: (user: UserInfo, impersonated?: UserInfo) => void,
  /** The request's `fieldSelector` (a list or watch of one name is authorized for that name). */
  fieldSelector?: string | null,
): Promise<SecuredRequest> {
  const caller = sec.auth.authenticateRequest(req, path);
  if (caller instanceof ApiError) throw caller;
  onAuthenticated?.(caller);
  // A service account token stops working with its account or pod.
  if (caller.boundTo && !(await sec.stillBound(caller.boundTo))) throw unauthorized();
  // Impersonation (impersonation.ts) is checked against the caller's own rights; the request
  // is then authorized, admitted and audited as the impersonated user.
  let u = caller;
  // Most requests impersonate nobody: look at the headers as arrays only when one is there.
  const asks = Object.keys(req.headers).some((h) => h.startsWith('impersonate-'));
  const imp = asks ? impersonationOf(req.headersDistinct ?? (req.rawHeaders ? distinctRawHeaders(req.rawHeaders) : distinctHeaders(req.headers))) : undefined;
  if (imp) {
    u = await impersonate(caller, imp, (a) => sec.authorizer.authorize(a));
    onAuthenticated?.(caller, u);
  }
  const attrs = requestAttributes(u, req.method ?? 'GET', path, route, watch, fieldSelector);
  const d = await sec.authorizer.authorize(attrs);
  if (!d.allowed) throw forbiddenError(attrs, d.reason);
  const out: SecuredRequest = { user: u, attrs };
  const node = nodeNameOf(u.user, u.groups);
  const nodeAdmit: AdmitFn | undefined = node
    ? async (newObj, oldObj) => {
        // A mirror pod's owner must be this Node by its uid: read it only for pod creates.
        const podCreate = attrs.apiGroup === '' && attrs.resource === 'pods' && attrs.subresource === '' && newObj !== undefined && oldObj === undefined;
        const e = admitNodeRequest(attrs, newObj, oldObj, podCreate ? await sec.nodeUid(node) : undefined);
        if (e) throw e;
      }
    : undefined;
  // An update or patch that creates the object (PUT of a kind created on update, server-side
  // apply of a new object) needs the `create` permission too, as upstream's withAuthorization:
  // asked once the object is about to be created (after validation, before admission).
  const mayCreate = attrs.isResourceRequest && attrs.subresource === '' && (attrs.verb === 'update' || attrs.verb === 'patch');
  if (mayCreate) {
    out.admit = async (newObj, oldObj) => {
      if (newObj !== undefined && oldObj === undefined) {
        const create: AuthorizationAttributes = { ...attrs, verb: 'create', name: newObj.metadata.name ?? attrs.name };
        const d = await sec.authorizer.authorize(create);
        if (!d.allowed) throw forbiddenError(create, d.reason);
      }
      await nodeAdmit?.(newObj, oldObj);
    };
  } else if (nodeAdmit) out.admit = nodeAdmit;
  return out;
}

/** Headers as arrays (what `req.headersDistinct` gives; for callers that only have `headers`). */
function distinctHeaders(h: import('node:http').IncomingHttpHeaders): DistinctHeaders {
  const out: DistinctHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v : [v];
  return out;
}

/**
 * Headers as arrays from the name/value list as received (an HTTP/2 request has no
 * `headersDistinct`, and its `headers` join a repeated header's values with ", ").
 */
function distinctRawHeaders(raw: readonly string[]): DistinctHeaders {
  const out: DistinctHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) (out[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!);
  return out;
}

/** `POST /everynode/v1/join`: answered before authentication (the join token is its credential). */
export async function serveJoin(
  sec: RequestSecurity,
  method: string,
  headers: import('node:http').IncomingHttpHeaders,
  readBodyText: () => Promise<string>,
): Promise<{ status: number; json: string }> {
  if (method !== 'POST') throw methodNotAllowed();
  // Nothing is read from a caller without a join token: the refusal comes first.
  if (!bearerToken(headers)) {
    const r = await sec.auth.join(undefined, {});
    return { status: r.status, json: JSON.stringify(r.body) };
  }
  const bodyText = await readBodyText();
  let body: unknown;
  try {
    body = bodyText.trim() === '' ? {} : JSON.parse(bodyText);
  } catch {
    throw badRequest('the body of the request could not be decoded as JSON');
  }
  const r = await sec.auth.join(bearerToken(headers), body);
  return { status: r.status, json: JSON.stringify(r.body) };
}

/**
 * `POST /everynode/v1/renew`: a node renews its own identity (client and serving certificates)
 * before it expires, authenticated by its current credential; no other user may call it, and
 * a node gets certificates for its own name only. The serving certificate names the node and
 * the addresses its Node object reports (`addressesOf`), not addresses the caller asks for.
 */
export async function serveRenew(
  sec: RequestSecurity,
  req: { headers: import('node:http').IncomingHttpHeaders; socket: unknown; method?: string },
  path: string,
  addressesOf: (nodeName: string) => Promise<string[]>,
  onAuthenticated?: (user: UserInfo) => void,
): Promise<{ status: number; json: string }> {
  const u = sec.auth.authenticateRequest(req, path);
  if (u instanceof ApiError) throw u;
  onAuthenticated?.(u);
  const nodeName = nodeNameOf(u.user, u.groups);
  if (!nodeName) throw forbidden(`User "${u.user}" cannot renew node credentials: only a node renews its own`);
  if (req.method !== 'POST') throw methodNotAllowed();
  const identity = await issueNodeIdentity(sec.auth.pki, nodeName, await addressesOf(nodeName));
  // A revocation may have landed while the certificates were made: ask again before handing
  // them out (a revoked node must not leave with a credential dated after its cut-off).
  const again = sec.auth.authenticateRequest(req, path);
  if (again instanceof ApiError) throw again;
  return { status: 200, json: JSON.stringify(nodeCredentials(nodeName, identity)) };
}

