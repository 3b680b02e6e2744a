// The request handler: routes every request, calls the registry / watch cache / discovery,
// and writes the response. Every request goes through `handle`, which catches everything:
// no exception escapes to node:http, and every failure is answered through the one error
// edge (errors.ts) as a metav1.Status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, fe, forbidden, invalid, methodNotAllowed, pathNotFound, unsupportedPatchType } from '../api/errors.js';
import { groupKindOf, tableKeyOf, type KindDef, type ConnectSubresource, type KindRegistry, type Subresource } from '../api/kinds.js';
import { MAX_NESTING_DEPTH, nestingDepth } from '../api/patch/index.js';
import type { KubeObject, Node, Pod } from '../api/types.js';
import type { Logger } from '../util/logger.js';
import { parseGoDurationNanos } from '../util/go-duration.js';
import type { CorsPolicy } from './cors.js';
import type { InflightLimiter } from './inflight.js';
import { aggregatedContentType, aggregatedDiscoveryRequested, type Discovery } from './discovery.js';
import { toHttpError } from './errors.js';
import { buildFilter } from './filter.js';
import { healthRouteOf, type ServerHealth } from './health.js';
import { addWarning, answerInYaml, parseJsonBody, parseJsonText, parseYamlText, readBody, readBodyBuffer, sendJson, sendStatus, sendText, type JsonTextFindings } from './http.js';
import { decodeProtobufObject, deleteOptionsGroupKind, protobufContentType } from './protobuf.js';
import { reviewRouteOf, serveReview } from './reviews.js';
import { metricsRouteOf, renderMetrics, serveMetrics } from './metrics-api.js';
import type { ServerMetrics } from './metrics.js';
import { serveTokenRequest } from './token-request.js';
import { serveEviction } from './eviction.js';
import type { OpenApi } from './openapi.js';
import { isWatchRequest, parseDeleteOptions, parseListQuery, parseWriteQuery, watchTimeoutSeconds, type FieldValidation, type WriteOptionsKind, type WriteQuery } from './query.js';
import { managerFromUserAgent } from '../api/managedfields/index.js';
import { servePodLog, validateLogQuery } from './pod-log.js';
import { listJson, patchTypeOf, type AdmitFn, type RestRegistry } from './registry.js';
import { API_AUDIENCE, JOIN_PATH, RBAC_GROUP, RENEW_PATH, SYSTEM_MASTERS, bearerToken, checkRbacEscalation, type ServiceAccountTokens, type UserInfo } from '../auth/index.js';
import { auditRequest, type AuditContext, type AuditLog } from './audit.js';
import { secureRequest, serveJoin, serveRenew, type RequestSecurity } from './security.js';
import { BadPathError, parsePath, type ResourceRoute } from './request-info.js';
import { serveScale } from './scale.js';
import { servePodProxy, serveServiceProxy, type ProxiedEndpoints, type ProxiedService } from './pod-proxy.js';
import { serveNodeProxy } from './node-proxy.js';
import { acceptedMediaTypes, acceptedStreamMediaTypes, buildTable, negotiateMediaType, negotiateRendering, parseIncludeObject } from './tables/index.js';
import type { WatchCache } from './watch-cache.js';
import { asServedVersion, partialObjectMetadata } from './object-codec.js';
import { BACKUP_PATH } from './backup.js';
import { certificateSigningRequestAdmission, isCertificateSigningRequestKind } from './certificates-admission.js';

export const versionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};
const versionJson = JSON.stringify(versionInfo);

export interface HandlerDeps {
  kinds: KindRegistry;
  registry: RestRegistry;
  watchCache: WatchCache;
  discovery: Discovery;
  openapi: OpenApi;
  logger: Logger;
  /**
   * The /healthz, /livez and /readyz checks (health.ts; `shutdown` fails while starting or
   * after close began). Every failed request is reported to it (the store check).
   */
  health: ServerHealth;
  /**
   * Authentication, authorization and NodeRestriction. Absent = every request is trusted
   * (only for an in-process listener whose callers are the server's own components).
   */
  security?: RequestSecurity;
  /** The audit log of writes (audit.ts); only given with `security` (the user is known). */
  audit?: AuditLog;
  /** Signs service account tokens (TokenRequest, token-request.ts); absent: the subresource is 404. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** Request counters and latencies, served at /metrics (metrics.ts); absent: not recorded, 404. */
  metrics?: ServerMetrics;
  /** Where pods/log connects to agents with (client certificate + CA); absent = plain HTTP. */
  kubeletClient?: { certPem: string; keyPem: string; caPem: string };
  /** Cross-origin requests allowed from web consoles (cors.ts); absent: none. */
  cors?: CorsPolicy;
  /** The limit on requests in flight of the network listener (inflight.ts); absent: none. */
  inflight?: InflightLimiter;
  /** GET /everynode/backup (backup.ts); absent: 404. */
  backup?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    deps.metrics?.track(req, res);
    if (deps.cors?.apply(req, res)) return;
    handle(deps, req, res).catch((err: unknown) => {
      // A write the store refused (StorageError 'Unavailable') fails /readyz until one succeeds.
      deps.health.observeRequestFailure(req.method ?? 'GET', err);
      const apiErr = toHttpError(err, { logger: deps.logger });
      try {
        sendStatus(res, apiErr);
      } catch (e) {
        deps.logger.error('failed to send error response', e);
        res.destroy();
      }
    });
  };
}

/** Subresources served as long-running requests (upstream's BasicLongRunningRequestCheck). */
const longRunningSubresources = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/**
 * Upstream's request deadline filter, as far as it can be seen: a `timeout` query parameter that
 * is no Go duration is 400 on every request that is not long-running (watches, exec, attach,
 * logs, port-forward, proxy), before anything else. A valid one is accepted; requests here run
 * without a server-side deadline of their own (kube-api.md: a server may ignore it).
 */
function checkTimeoutParameter(path: string, query: URLSearchParams, method: string): void {
  const value = query.get('timeout');
  if (value === null || value === '') return;
  let route: ReturnType<typeof parsePath> | undefined;
  try {
    route = parsePath(path);
  } catch {
    route = undefined;
  }
  if (route?.type === 'resource' && (isWatchRequest(route, query, method) || (route.subresource !== undefined && longRunningSubresources.has(route.subresource)))) return;
  const parsed = parseGoDurationNanos(value);
  if ('error' in parsed) throw badRequest(`invalid timeout specified in the request URL - ${parsed.error}`);
}

async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/';
  const qi = rawUrl.indexOf('?');
  const path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : rawUrl.slice(qi + 1));
  const method = req.method ?? 'GET';
  checkTimeoutParameter(path, query, method);

  // Security (see security.ts): the audit record (audit.ts), join first (its token is no API
  // credential), then 401/403.
  let admit: AdmitFn | undefined;
  /** Who is asking (undefined: the trusted in-process listener). */
  let caller: UserInfo | undefined;
  let rbacWrite = false;
  let auditCtx: AuditContext | undefined;
  if (deps.security) {
    const join = path === JOIN_PATH;
    let route: ReturnType<typeof parsePath> | undefined;
    try {
      route = parsePath(path);
    } catch (err) {
      if (!(err instanceof BadPathError)) throw err;
    }
    const rr = route?.type === 'resource' ? route : undefined;
    const watch = rr !== undefined && isWatchRequest(rr, query, method);
    const audit = deps.audit ? auditRequest(deps.audit, req, res, { path, route: rr, watch, ...(join ? { join: { bootstrapTokenId: bootstrapTokenId(req) } } : {}) }) : undefined;
    auditCtx = audit;
    if (join) {
      const r = await serveJoin(deps.security, method, req.headers, () => readBody(req, 64 * 1024));
      // Refused before its body was read: the connection is not kept for the rest of it.
      if (!req.complete) res.setHeader('Connection', 'close');
      return sendJson(res, r.status, r.json);
    }
    if (path === RENEW_PATH) {
      const r = await serveRenew(deps.security, req, path, (n) => nodeAddresses(deps, n), audit && ((u) => (audit.user = u)));
      return sendJson(res, r.status, r.json);
    }
    const sec = await secureRequest(
      deps.security,
      req,
      path,
      rr,
      watch,
      audit &&
        ((u, as) => {
          audit.user = u;
          if (as) audit.impersonatedUser = as;
        }),
      query.get('fieldSelector'),
    );
    admit = sec.admit;
    caller = sec.user;
    deps.inflight?.admit(method, rr, watch || rr?.watchPath === true, sec.user, res);
    rbacWrite = !!rr && rr.group === RBAC_GROUP && method !== 'GET' && method !== 'HEAD';
    // RBAC escalation prevention (escalation.ts): creates and updates of roles and bindings
    // grant nothing their writer does not hold, unless the writer may escalate / bind.
    if (rbacWrite && method !== 'DELETE' && !sec.user.groups.includes(SYSTEM_MASTERS)) {
      const inner = admit;
      const writer = sec.user;
      const authorizer = deps.security.authorizer;
      // `escalate` is asked for the name the request names (none for a POST), as upstream.
      const requestName = rr?.name ?? '';
      admit = async (next, old) => {
        await inner?.(next, old);
        if (next) await checkRbacEscalation(authorizer, writer, next, old, requestName);
      };
    }
  }
  if (rbacWrite) {
    // Read-your-writes for the authorizer: drop the RBAC cache once this write is answered.
    const rbac = deps.security!.rbac;
    res.on('finish', () => rbac.invalidate());
  }

  switch (path) {
    case '/version':
    case '/version/':
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      return sendJson(res, 200, versionJson);
    case '/metrics': {
      if (!deps.metrics) break;
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      const text = deps.metrics.render();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(method === 'HEAD' ? undefined : text);
      return;
    }
    case '/openapi/v3':
    case '/openapi/v3/':
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      return sendJson(res, 200, deps.openapi.index());
    // OIDC issuer discovery of the service account token issuer (upstream's
    // ServiceAccountIssuerDiscovery): the configuration names the issuer the tokens carry and
    // where its keys are, this server as the client reached it; the key set is the signing key.
    case '/.well-known/openid-configuration':
    case '/.well-known/openid-configuration/': {
      if (!deps.serviceAccountTokens) break;
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      const host = requestHost(req);
      const body = JSON.stringify({
        issuer: API_AUDIENCE,
        jwks_uri: `https://${host}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'public, max-age=3600' });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    case '/openid/v1/jwks':
    case '/openid/v1/jwks/': {
      if (!deps.serviceAccountTokens) break;
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      const body = JSON.stringify(deps.serviceAccountTokens.jwks());
      res.writeHead(200, { 'Content-Type': 'application/jwk-set+json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'public, max-age=3600' });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    case BACKUP_PATH:
      if (!deps.backup) break;
      // Beyond RBAC's non-resource rule: a copy holds every object of every namespace, which
      // no rule on a path should hand out, so only the cluster admin may take it.
      if (deps.security && !caller?.groups.includes(SYSTEM_MASTERS)) {
        throw forbidden(`forbidden: User ${JSON.stringify(caller?.user ?? 'system:anonymous')} cannot get path "${BACKUP_PATH}": a backup holds every object of every namespace, so only the cluster admin (group system:masters) may take one`);
      }
      return deps.backup(req, res);
    case '/openapi/v2': {
      // kubectl 1.27/1.28 ask for protobuf and decode the body whatever its type; others get JSON.
      const v2 = deps.openapi.v2();
      const protobuf = /protobuf/.test(req.headers.accept ?? '');
      const body = protobuf ? v2.protobuf : Buffer.from(v2.json);
      res.writeHead(200, { 'Content-Type': protobuf ? 'application/octet-stream' : 'application/json', 'Content-Length': body.length, ETag: v2.etag, 'Cache-Control': 'no-cache, private' });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
  }
  if (path.startsWith('/openapi/v3/')) {
    const doc = deps.openapi.document(path.slice('/openapi/v3/'.length).replace(/\/+$/, ''));
    if (doc === undefined) throw pathNotFound();
    return sendJson(res, 200, doc);
  }
  // /healthz, /livez, /readyz and their single checks (health.ts); as before, any method.
  const healthRoute = healthRouteOf(path);
  if (healthRoute) {
    const answer = await deps.health.serve(healthRoute, query);
    if (!answer) throw pathNotFound();
    return sendText(res, answer.code, answer.body);
  }
  const metrics = metricsRouteOf(path);
  if (metrics) {
    const json = await serveMetrics(metrics, method, query, { registry: deps.registry, kinds: deps.kinds, ...(deps.kubeletClient ? { kubeletClient: deps.kubeletClient } : {}) });
    return sendJson(res, 200, renderMetrics(json, req.headers.accept, query.get('includeObject')));
  }
  const tokenRoute = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token\/?$/.exec(path);
  if (tokenRoute && deps.serviceAccountTokens) {
    if (method !== 'POST') throw methodNotAllowed();
    negotiateWithoutTable(req.headers.accept, res);
    const { value: body } = await readObjectBody(req, 'authentication.k8s.io/TokenRequest');
    const [ns, name] = [tokenRoute[1]!, tokenRoute[2]!].map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw badRequest(`malformed path segment ${JSON.stringify(s)}`);
      }
    }) as [string, string];
    return sendJson(res, 201, await serveTokenRequest({ registry: deps.registry, kinds: deps.kinds, signer: deps.serviceAccountTokens }, ns, name, body, caller));
  }
  const review = reviewRouteOf(path);
  if (review) {
    if (method !== 'POST') throw methodNotAllowed();
    negotiateWithoutTable(req.headers.accept, res);
    const { value: body } = await readObjectBody(req, `${review.group}/${review.kind}`);
    return sendJson(res, 201, await serveReview(review, body, caller, deps.security?.authorizer, deps.security?.reviewToken));
  }

  let route;
  try {
    route = parsePath(path);
  } catch (err) {
    if (err instanceof BadPathError) throw badRequest(err.message);
    throw err;
  }
  // Discovery is read-only: GET and HEAD only (upstream: 405 for other methods).
  const discovery = (json: string | null): void => {
    if (json === null) throw pathNotFound();
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    sendJson(res, 200, json);
  };
  switch (route.type) {
    case 'root':
      return discovery(JSON.stringify({ paths: ['/.well-known/openid-configuration', '/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v3', '/openid/v1/jwks', '/readyz', '/version'] }));
    case 'legacy-versions':
    case 'group-list': {
      const v = aggregatedDiscoveryRequested(req.headers.accept);
      if (v !== undefined) {
        if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
        // As upstream: an ETag, and 304 with no body when the client's cached copy has it.
        const core = route.type === 'legacy-versions';
        const etag = deps.discovery.aggregatedETag(core, v);
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { ETag: etag, 'Cache-Control': 'public', Vary: 'Accept' });
          res.end();
          return;
        }
        const body = deps.discovery.aggregated(core, v);
        res.writeHead(200, { 'Content-Type': aggregatedContentType(v), 'Content-Length': Buffer.byteLength(body), ETag: etag, 'Cache-Control': 'public', Vary: 'Accept' });
        res.end(method === 'HEAD' ? undefined : body);
        return;
      }
      return discovery(route.type === 'legacy-versions' ? deps.discovery.apiVersions(requestHost(req) || '127.0.0.1') : deps.discovery.apiGroupList());
    }
    case 'group':
      return discovery(deps.discovery.apiGroup(route.group));
    case 'resource-list':
      return discovery(deps.discovery.apiResourceList(route.group, route.version));
    case 'other':
      throw pathNotFound();
    case 'resource':
      try {
        return await handleResource(deps, req, res, method, route, query, admit, auditCtx, caller);
      } catch (err) {
        // A refusal's audit annotations go to its audit event too (PodSecurity's, as upstream).
        if (auditCtx && err instanceof ApiError && err.auditAnnotations) auditCtx.annotations = { ...auditCtx.annotations, ...err.auditAnnotations };
        throw err;
      }
  }
}

/**
 * Media negotiation for the create-only kinds that have no table upstream (the access and token
 * reviews, TokenRequest): a Table clause is skipped, so a request offering nothing else gets
 * 406 NotAcceptable before the body is read; YAML is answered in YAML.
 */
/** The host the client addressed: `Host` (HTTP/1.1), `:authority` (HTTP/2); empty when neither came. */
function requestHost(req: IncomingMessage): string {
  const authority = req.headers[':authority'];
  return req.headers.host ?? (typeof authority === 'string' ? authority : '');
}

function negotiateWithoutTable(accept: string | undefined, res: ServerResponse): void {
  const media = negotiateMediaType(accept, false);
  if (media === undefined) throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${acceptedMediaTypes.join(', ')}`);
  if (media === 'yaml') answerInYaml(res);
}

/** The `bindings` resource of the core group in discovery: create only, as upstream's. */
export const bindingsDiscovery = {
  group: '',
  version: 'v1',
  resources: [{ name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] }],
};

/**
 * `POST /api/v1/namespaces/<ns>/bindings`: a Binding that names its pod (metadata.name) binds it
 * to a node, as pods/<name>/binding does (custom schedulers of client libraries call this one).
 * Nothing else is served on this path.
 */
async function serveBindings(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, method: string, route: ResourceRoute, query: URLSearchParams, admit: AdmitFn | undefined): Promise<void> {
  const pods = deps.kinds.byResource('', 'v1', 'pods');
  if (!pods || route.namespace === undefined || route.name !== undefined || route.subresource !== undefined || route.watchPath) throw pathNotFound();
  if (method !== 'POST') throw methodNotAllowed();
  const wq = writeQueryOf(query, req, 'CreateOptions');
  const body = await readObjectBody(req, '/Binding');
  const meta = (body.value as { metadata?: { name?: unknown } } | null)?.metadata;
  const name = typeof meta?.name === 'string' ? meta.name : '';
  if (name === '') throw invalid({ group: '', resource: 'bindings', kind: 'Binding' }, '', [fe.required('metadata.name', 'name or generateName is required')]);
  const r = await deps.registry.bindPod(pods, route.namespace, name, body.value, wq, admit);
  return sendJson(res, r.code, r.json, r.warnings);
}

async function handleResource(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  route: ResourceRoute,
  query: URLSearchParams,
  admit: AdmitFn | undefined,
  audit: AuditContext | undefined,
  caller: UserInfo | undefined,
): Promise<void> {
  if (route.group === '' && route.version === 'v1' && route.plural === 'bindings') return serveBindings(deps, req, res, method, route, query, admit);
  const k = deps.kinds.byResource(route.group, route.version, route.plural);
  if (!k) throw pathNotFound();
  // Every request to a deprecated custom resource version says so, whatever its answer.
  if (k.deprecationWarning) addWarning(res, k.deprecationWarning);
  // Scope: the Namespace object is addressed as /namespaces/<name>; its route carries name only.
  const isNamespaceKind = k.group === '' && k.plural === 'namespaces';
  // namespaces/<ns>/namespaces[/<name>] does not exist (Namespace is cluster-scoped): it would
  // be authorized in <ns> while acting on every namespace.
  if (isNamespaceKind && route.namespace !== undefined) throw pathNotFound();
  const namespace = isNamespaceKind ? undefined : route.namespace;
  if (!k.namespaced && namespace !== undefined) throw pathNotFound();
  if (k.namespaced && namespace === undefined && route.name !== undefined) throw pathNotFound();
  const name = route.name;
  const sub = route.subresource;
  // CertificateSigningRequests: the requester written on create, the approve/sign permission
  // checks of /approval and /status (certificates-admission.ts).
  const csrKind = isCertificateSigningRequestKind(k);
  if (csrKind && method !== 'GET' && method !== 'HEAD') {
    const security = deps.security;
    admit = certificateSigningRequestAdmission({ inner: admit, user: caller, subresource: sub, ...(security ? { authorize: (a) => security.authorizer.authorize(a) } : {}) });
  }
  // The media type of object answers (the object, its list, a Table or metadata of them, status,
  // scale and a pod's ephemeralcontainers, and their errors) and of watches, negotiated before
  // anything is done, as upstream: no acceptable type is a 406 and nothing is written. A watch
  // asked for in YAML is a 406 too (YAML has no stream form), its Status in YAML as asked. Logs,
  // exec and the proxies stream their own formats.
  const accept = req.headers.accept;
  if (sub === undefined || sub === 'status' || sub === 'scale' || sub === 'ephemeralcontainers' || sub === 'approval') {
    const media = negotiateMediaType(accept);
    if (media === 'yaml') answerInYaml(res);
    if (media === undefined) throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${acceptedMediaTypes.join(', ')}`);
    if (media === 'yaml' && isWatchRequest(route, query, method)) {
      throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${acceptedStreamMediaTypes.join(', ')}`);
    }
  }
  if (sub !== undefined) {
    // /watch/ paths name collections and objects only (upstream registers no watch route for a
    // subresource): `/watch/.../pods/NAME/log` is not a log request.
    if (route.watchPath) throw pathNotFound();
    // nodes/proxy: to the node's agent (node-proxy.ts).
    if (sub === 'proxy' && k.group === '' && k.plural === 'nodes' && name !== undefined && namespace === undefined) {
      const rawUrl = req.url ?? '';
      const qi = rawUrl.indexOf('?');
      const nodeDeps = { getNode: async (n: string) => JSON.parse(await deps.registry.get(k, undefined, n)) as Node, kubeletClient: deps.kubeletClient };
      return serveNodeProxy(nodeDeps, name, route.proxyPath ?? '/', qi < 0 ? '' : rawUrl.slice(qi), req, res);
    }
    if (sub === 'proxy' && k.group === '' && (k.plural === 'pods' || k.plural === 'services') && name !== undefined && namespace !== undefined) {
      const kindOf = (plural: string): KindDef => {
        const found = deps.kinds.byResource('', 'v1', plural);
        if (!found) throw pathNotFound();
        return found;
      };
      const read = async <T>(plural: string, ns: string | undefined, n: string): Promise<T> => JSON.parse(await deps.registry.get(kindOf(plural), ns, n)) as T;
      const proxyDeps = {
        getPod: (ns: string, n: string) => read<Pod>('pods', ns, n),
        getNode: (n: string) => read<Node>('nodes', undefined, n),
        getService: (ns: string, n: string) => read<ProxiedService>('services', ns, n),
        getEndpoints: (ns: string, n: string) => read<ProxiedEndpoints>('endpoints', ns, n),
        kubeletClient: deps.kubeletClient,
      };
      const rawUrl = req.url ?? '';
      const qi = rawUrl.indexOf('?');
      const serve = k.plural === 'pods' ? servePodProxy : serveServiceProxy;
      return serve(proxyDeps, namespace, name, route.proxyPath ?? '/', qi < 0 ? '' : rawUrl.slice(qi), req, res);
    }
    // pods/exec and pods/portforward are served on upgraded connections (exec.ts); a plain
    // request reaches them here: the pod must exist, then upstream's 400.
    if (name !== undefined && k.connectSubresources?.includes(sub as ConnectSubresource)) {
      if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
      await deps.registry.get(k, namespace, name);
      throw badRequest('Upgrade request required');
    }
    if (name === undefined || !k.subresources.includes(sub as Subresource)) throw pathNotFound();
    if (sub === 'finalize' && method !== 'PUT') throw methodNotAllowed(); // update only, as upstream
    if (sub === 'scale') {
      if (route.watchPath) throw methodNotAllowed();
      const kind = method === 'PATCH' ? 'PatchOptions' : 'UpdateOptions';
      // An apply names its manager (required) and may force, as on the object itself.
      const applying = method === 'PATCH' && patchTypeOf(req.headers['content-type']) === 'apply';
      const writeQuery = (): WriteQuery => (applying ? parseWriteQuery(query, 'PatchOptions', true) : writeQueryOf(query, req, kind));
      const r = await serveScale({ registry: deps.registry, kind: k, namespace, name, method, req, writeQuery, ...(admit ? { admit } : {}) });
      return sendJson(res, r.code, r.json, r.warnings);
    }
    if (sub === 'binding' && k.group === '' && k.plural === 'pods') {
      if (method !== 'POST') throw methodNotAllowed();
      const wq = writeQueryOf(query, req, 'CreateOptions');
      const body = await readObjectBody(req, '/Binding');
      const r = await deps.registry.bindPod(k, namespace!, name, body.value, wq, admit);
      return sendJson(res, r.code, r.json, r.warnings);
    }
    if (sub === 'eviction') {
      if (method !== 'POST' || route.watchPath) throw methodNotAllowed(); // create only
      const wq = writeQueryOf(query, req, 'CreateOptions');
      const body = await readObjectBody(req, 'policy/Eviction');
      const r = await serveEviction({ registry: deps.registry, kinds: deps.kinds, now: () => Date.now() }, namespace!, name, body.value, wq, admit);
      return sendJson(res, r.code, r.json);
    }
    if (sub === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      // Proxied to the agent of the pod's node (pod-log.ts).
      validateLogQuery(query, name);
      const pod = JSON.parse(await deps.registry.get(k, namespace, name)) as Pod;
      const nodeKind = deps.kinds.byResource('', 'v1', 'nodes');
      if (!nodeKind) throw pathNotFound();
      return servePodLog(pod, query, async (n) => JSON.parse(await deps.registry.get(nodeKind, undefined, n)) as Node, req, res, deps.kubeletClient);
    }
  }

  // /watch/ paths only watch: a write through one would act on the object it names.
  if (route.watchPath && method !== 'GET') throw methodNotAllowed();
  if (name === undefined) {
    // Collection.
    switch (method) {
      case 'GET': {
        const q = parseListQuery(query);
        if (q.watch || route.watchPath) return serveWatch(deps, req, res, k, namespace, undefined, q, caller?.boundTo?.expiresAt);
        const page = await deps.registry.list(k, namespace, q);
        const r = negotiateRendering(accept, true, k.listKind);
        if (r.as !== 'object') {
          const items = page.items.map((j) => (k.view ? k.view.fromStored(JSON.parse(j) as KubeObject) : (JSON.parse(j) as KubeObject)));
          const listMeta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(page.revision) };
          if (page.continueToken) listMeta.continue = page.continueToken;
          if (page.remainingItemCount !== undefined) listMeta.remainingItemCount = page.remainingItemCount;
          if (r.as !== 'Table') {
            return sendJson(res, 200, JSON.stringify({ kind: r.as, apiVersion: r.apiVersion, metadata: listMeta, items: items.map((o) => partialObjectMetadata(o, r.apiVersion)) }));
          }
          const table = buildTable(tableKeyOf(k), items, { includeObject: parseIncludeObject(q.includeObject), listMeta, apiVersion: r.apiVersion });
          return sendJson(res, 200, JSON.stringify(table));
        }
        if (k.custom) page.items = page.items.map((j) => asServedVersion(k, j));
        return sendJson(res, 200, listJson(k, page));
      }
      case 'POST': {
        if (k.namespaced && namespace === undefined) throw methodNotAllowed();
        const wq = writeQueryOf(query, req, 'CreateOptions');
        const body = await readObjectBody(req, groupKindOf(k), wq.fieldValidation);
        // The audit event names the object asked for, refused or not (upstream's LogRequestObject).
        const asked = (body.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
        if (audit && typeof asked === 'string' && asked !== '') audit.name = asked;
        const r = await deps.registry.create(k, namespace, body.value, wq, admit, body.findings);
        // The audit event names what was created (the path has no name).
        if (audit && r.name) audit.name = r.name;
        if (audit && r.auditAnnotations) audit.annotations = r.auditAnnotations;
        return sendJson(res, r.code, renderedObject(k, asServedVersion(k, r.json), accept, query), r.warnings);
      }
      case 'DELETE': {
        // As upstream, a namespaced kind's collection across all namespaces is only listed and
        // watched: a DELETE there (one typo from wiping every namespace) is 405.
        if (k.namespaced && namespace === undefined) throw methodNotAllowed();
        const q = parseListQuery(query);
        const opts = parseDeleteOptions(query, await readDeleteOptionsBody(req));
        const json = await deps.registry.deleteCollection(k, namespace, q, opts, admit);
        // The list of what was deleted, rendered as asked (a Table, metadata), as upstream's
        // transformResponseObject renders a list.
        if (accept !== undefined && accept.includes('as=')) {
          const r = negotiateRendering(accept, true, k.listKind);
          if (r.as !== 'object') {
            const list = JSON.parse(json) as { metadata?: { resourceVersion?: string }; items?: KubeObject[] };
            const items = list.items ?? [];
            const listMeta = { resourceVersion: list.metadata?.resourceVersion ?? '' };
            if (r.as !== 'Table') return sendJson(res, 200, JSON.stringify({ kind: r.as, apiVersion: r.apiVersion, metadata: listMeta, items: items.map((o) => partialObjectMetadata(o, r.apiVersion)) }));
            return sendJson(res, 200, JSON.stringify(buildTable(tableKeyOf(k), items, { includeObject: parseIncludeObject(q.includeObject), listMeta, apiVersion: r.apiVersion })));
          }
        }
        return sendJson(res, 200, json);
      }
      default:
        throw methodNotAllowed();
    }
  }

  // Item or subresource.
  switch (method) {
    case 'GET': {
      const q = parseListQuery(query);
      // `?watch` on a named path is an ordinary get (upstream routes it to GetResource); only the
      // /watch/ path form watches one object.
      if (route.watchPath) return serveWatch(deps, req, res, k, namespace, name, q, caller?.boundTo?.expiresAt);
      // A resourceVersion newer than the store's: wait briefly for it, then 504 (upstream's
      // cacher.Get). "0", empty or not newer: the current state is fresh enough.
      if (q.resourceVersion !== undefined) await deps.watchCache.waitUntilFresh(Number(q.resourceVersion));
      const json = asServedVersion(k, await deps.registry.get(k, namespace, name));
      return sendJson(res, 200, renderedObject(k, json, accept, query, true));
    }
    case 'PUT': {
      const wq = writeQueryOf(query, req, 'UpdateOptions');
      const body = await readObjectBody(req, groupKindOf(k), wq.fieldValidation);
      const r = await deps.registry.update(k, namespace, name, sub, body.value, wq, admit, body.findings);
      if (audit && r.auditAnnotations) audit.annotations = r.auditAnnotations;
      return sendJson(res, r.code, renderedObject(k, asServedVersion(k, r.json), accept, query), r.warnings);
    }
    case 'PATCH': {
      const type = patchTypeOf(req.headers['content-type']);
      if (!type) throw unsupportedPatchType(k.custom);
      // An apply names its manager (required); other writes default to the User-Agent's.
      const wq = type === 'apply' ? parseWriteQuery(query, 'PatchOptions', true) : writeQueryOf(query, req, 'PatchOptions');
      const text = await readBody(req);
      const r = await deps.registry.patch(k, namespace, name, sub, type, text, wq, admit);
      if (audit && r.auditAnnotations) audit.annotations = r.auditAnnotations;
      return sendJson(res, r.code, renderedObject(k, asServedVersion(k, r.json), accept, query), r.warnings);
    }
    case 'DELETE': {
      if (sub !== undefined) throw methodNotAllowed();
      const opts = parseDeleteOptions(query, await readDeleteOptionsBody(req));
      const r = await deps.registry.delete(k, namespace, name, opts, admit);
      return sendJson(res, r.code, renderedObject(k, asServedVersion(k, r.json), accept, query));
    }
    default:
      throw methodNotAllowed();
  }
}

/**
 * One object's answer in the form the Accept header asks (upstream's transformResponseObject,
 * for reads and writes alike): the object, its PartialObjectMetadata (what client-go's metadata
 * client reads back from a patch), or a Table of it (TableOptions from the query). A Status (a
 * delete's answer) is never transformed. The plain case returns `json` untouched.
 */
function renderedObject(k: KindDef, json: string, accept: string | undefined, query: URLSearchParams, read = false): string {
  // Most writes (agents, controllers, kubectl) ask for plain JSON: no Accept parsing for them.
  if (accept === undefined || accept === 'application/json' || !accept.includes('as=')) return json;
  // A read refuses the list form of metadata (406); a write, done by now, answers what it can.
  const r = negotiateRendering(accept, false, read ? k.kind : undefined);
  if (r.as === 'object') return json;
  const obj = JSON.parse(json) as KubeObject;
  if (obj.kind === 'Status') return json;
  if (r.as === 'Table') return JSON.stringify(buildTable(tableKeyOf(k), [obj], { includeObject: parseIncludeObject(query.get('includeObject')), apiVersion: r.apiVersion }));
  return JSON.stringify(partialObjectMetadata(obj, r.apiVersion));
}

/** Write options; without a fieldManager the manager is named after the User-Agent, as upstream. */
function writeQueryOf(query: URLSearchParams, req: IncomingMessage, kind: WriteOptionsKind): WriteQuery {
  const wq = parseWriteQuery(query, kind);
  if (!wq.fieldManager) wq.fieldManager = managerFromUserAgent(req.headers['user-agent']);
  return wq;
}

/** The addresses a Node object reports (status.addresses), for its serving certificate; none when it is not registered. */
async function nodeAddresses(deps: HandlerDeps, nodeName: string): Promise<string[]> {
  const k = deps.kinds.byResource('', 'v1', 'nodes');
  if (!k) return [];
  try {
    const node = JSON.parse(await deps.registry.get(k, undefined, nodeName)) as Node;
    return [...new Set((node.status?.addresses ?? []).map((a) => a.address).filter((a) => typeof a === 'string' && a !== '' && a.length <= 253))].slice(0, 16);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return [];
    throw err;
  }
}

/** The public id half (`<id>.<secret>`) of a join request's bearer token, for the audit log; never the secret. */
function bootstrapTokenId(req: IncomingMessage): string | undefined {
  return /^([a-z0-9]{6})\./.exec(bearerToken(req.headers) ?? '')?.[1];
}

/**
 * Reads a DELETE body (DeleteOptions): JSON (also without a Content-Type), YAML, or Kubernetes
 * protobuf (kubectl's typed deletes); undefined when empty. A body of another media type is
 * upstream's 415.
 */
async function readDeleteOptionsBody(req: IncomingMessage): Promise<unknown> {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const buf = await readBodyBuffer(req);
  if (buf.length === 0) return undefined;
  if (ct === protobufContentType) return decodeProtobufObject(buf, deleteOptionsGroupKind);
  if (ct === 'application/yaml') {
    try {
      return parseYamlText(buf.toString('utf8')).value ?? undefined;
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded as YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (ct !== '' && ct !== 'application/json') {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${ct}`);
  }
  return parseJsonBody(buf.toString('utf8'));
}

/**
 * Reads a POST/PUT body: JSON (default), YAML, or Kubernetes protobuf for the kinds kubectl
 * creates typed. JSON bodies come with what JSON.parse drops (duplicate fields unless
 * `fieldValidation` is Ignore, number literals; see parseJsonText) for the decoder.
 */
async function readObjectBody(req: IncomingMessage, groupKind: string, fieldValidation: FieldValidation = 'Ignore'): Promise<{ value: unknown; findings?: JsonTextFindings }> {
  const raw = req.headers['content-type'] ?? '';
  const ct = raw.split(';')[0]!.trim().toLowerCase();
  // No Content-Type: JSON, as upstream. A malformed one, a wildcard or text/plain: 415 below.
  if (raw.trim() !== '' && !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${JSON.stringify(raw)}`);
  }
  const buf = await readBodyBuffer(req);
  if (ct === protobufContentType) {
    // Its RawExtensions carry JSON of any depth.
    const value = decodeProtobufObject(buf, groupKind);
    if (nestingDepth(value) > MAX_NESTING_DEPTH) throw badRequest(`the protobuf body could not be decoded: nesting depth exceeds the limit of ${MAX_NESTING_DEPTH}`);
    return { value };
  }
  const text = buf.toString('utf8');
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') {
    try {
      const { value, duplicates } = parseYamlText(text);
      return { value, findings: { duplicates: [], literals: [], yaml: { duplicates: fieldValidation === 'Ignore' ? [] : duplicates } } };
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded as YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (ct !== 'application/json' && ct !== '') {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${ct}`);
  }
  if (text.trim() === '') throw badRequest('the request body is empty');
  try {
    return parseJsonText(text, fieldValidation);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function serveWatch(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  k: KindDef,
  namespace: string | undefined,
  name: string | undefined,
  q: ReturnType<typeof parseListQuery>,
  /** When the caller's credential expires (service account tokens): the watch ends by then. */
  credentialExpiresAt?: number,
): Promise<void> {
  if (!k.verbs.includes('watch')) throw methodNotAllowed();
  const timeoutSeconds = watchTimeoutSeconds(q.timeoutSeconds, credentialExpiresAt, Date.now(), Math.random());
  const filter = buildFilter(k, q.labelSelector, q.fieldSelector, name);
  const r = negotiateRendering(req.headers.accept, false, k.kind);
  await deps.watchCache.serve(
    {
      kind: k,
      namespace: k.namespaced ? namespace : undefined,
      filter,
      resourceVersion: q.resourceVersion,
      sendInitialEvents: q.sendInitialEvents,
      allowBookmarks: q.allowWatchBookmarks,
      timeoutSeconds,
      ...(r.as === 'Table' ? { table: { apiVersion: r.apiVersion, includeObject: parseIncludeObject(q.includeObject) } } : {}),
      ...(r.as === 'PartialObjectMetadata' ? { partialMetadata: r.apiVersion } : {}),
    },
    res,
  );
}
