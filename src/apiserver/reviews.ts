// Access reviews: the questions `kubectl auth` asks.
//   auth can-i VERB RESOURCE   → authorization.k8s.io/v1 SelfSubjectAccessReview
//   auth can-i --list          → authorization.k8s.io/v1 SelfSubjectRulesReview
//   auth whoami                → authentication.k8s.io/v1 SelfSubjectReview
// and, for callers allowed to ask about others, SubjectAccessReview, (per namespace)
// LocalSubjectAccessReview and TokenReview (who a bearer token is: what webhook authenticators
// and proxies such as kube-rbac-proxy ask).
//
// Contract:
// - Create-only and never stored: the answer (201) is the request with its status filled in,
//   decided by the same authorizer that guards every request, so the answer is what that user
//   would meet.
// - Creating a review is itself authorized like any request (`create` on the review resource):
//   the bootstrap role system:basic-user grants the self reviews to every authenticated user.
// - Bad specs are 422 Invalid with upstream's field paths; a rules review without a namespace
//   is 400, as upstream.
// - Without request security (the in-process listener, whose callers are the server's own
//   components) there is no caller to review: self reviews answer for an unrestricted user.

import { badRequest, fe, invalid as invalidError, type FieldError, type ApiError } from '../api/errors.js';
import type { Authorizer, AuthorizationAttributes, PolicyRule, UserInfo } from '../auth/index.js';
import type { TokenReviewResult } from './security.js';
import { decodeObject } from '../api/schema/index.js';
import { checkTypeMeta } from './http.js';
import { escapeFieldValue } from '../api/selectors/index.js';

/** Answers a TokenReview (security.ts's reviewToken); absent without request security. */
export type TokenReviewer = (token: string, audiences: readonly string[]) => Promise<TokenReviewResult>;

export interface ReviewRoute {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** LocalSubjectAccessReview: the namespace of the path. */
  namespace?: string;
}

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

const reviewKinds: Record<string, { group: string; kind: string; namespaced: boolean }> = {
  selfsubjectaccessreviews: { group: AUTHZ, kind: 'SelfSubjectAccessReview', namespaced: false },
  selfsubjectrulesreviews: { group: AUTHZ, kind: 'SelfSubjectRulesReview', namespaced: false },
  subjectaccessreviews: { group: AUTHZ, kind: 'SubjectAccessReview', namespaced: false },
  localsubjectaccessreviews: { group: AUTHZ, kind: 'LocalSubjectAccessReview', namespaced: true },
  selfsubjectreviews: { group: AUTHN, kind: 'SelfSubjectReview', namespaced: false },
  tokenreviews: { group: AUTHN, kind: 'TokenReview', namespaced: false },
};

/**
 * Group versions served: every review in v1; SelfSubjectReview also in v1beta1 and v1alpha1,
 * where kubectl 1.27 (before it went GA in 1.28) asks `auth whoami`.
 */
const reviewVersions: { group: string; version: string; plurals: string[] }[] = [
  { group: AUTHN, version: 'v1', plurals: ['selfsubjectreviews', 'tokenreviews'] },
  { group: AUTHN, version: 'v1beta1', plurals: ['selfsubjectreviews'] },
  { group: AUTHN, version: 'v1alpha1', plurals: ['selfsubjectreviews'] },
  { group: AUTHZ, version: 'v1', plurals: Object.keys(reviewKinds).filter((p) => reviewKinds[p]!.group === AUTHZ) },
];

/** Discovery entries (APIResourceList resources) of the review groups. */
export const reviewDiscovery: { group: string; version: string; resources: Record<string, unknown>[] }[] = reviewVersions.map(({ group, version, plurals }) => ({
  group,
  version,
  resources: plurals.map((plural) => {
    const d = reviewKinds[plural]!;
    return { name: plural, singularName: plural.slice(0, -1), namespaced: d.namespaced, kind: d.kind, verbs: ['create'] };
  }),
}));

/** The review a path names, or undefined (`/apis/<group>/<version>/[namespaces/<ns>/]<plural>`). */
export function reviewRouteOf(path: string): ReviewRoute | undefined {
  const m = /^\/apis\/(authorization\.k8s\.io|authentication\.k8s\.io)\/(v1|v1beta1|v1alpha1)\/(?:namespaces\/([^/]+)\/)?([a-z]+)\/?$/.exec(path);
  if (!m) return undefined;
  const [, group, version, ns, plural] = m as unknown as [string, string, string, string | undefined, string];
  const d = reviewKinds[plural];
  if (!d || d.group !== group || d.namespaced !== (ns !== undefined)) return undefined;
  if (!reviewVersions.some((v) => v.group === group && v.version === version && v.plurals.includes(plural))) return undefined;
  let namespace: string | undefined;
  if (ns !== undefined) {
    try {
      namespace = decodeURIComponent(ns);
    } catch {
      throw badRequest(`malformed path segment ${JSON.stringify(ns)}`);
    }
  }
  return { group, version, plural, kind: d.kind, ...(namespace !== undefined ? { namespace } : {}) };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj | undefined, k: string): string {
  const v = o?.[k];
  return typeof v === 'string' ? v : '';
}

function invalid(kind: string, errs: FieldError[]): ApiError {
  return invalidError({ group: AUTHZ, resource: '', kind }, '', errs);
}

/** The attributes a review spec asks about, for `user`; 422 unless exactly one attribute set is given. */
function attributesOf(kind: string, spec: Obj, user: UserInfo): AuthorizationAttributes {
  const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const na = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (ra !== undefined && na !== undefined) throw invalid(kind, [fe.invalid('spec.nonResourceAttributes', na, 'cannot be specified in combination with resourceAttributes')]);
  if (ra === undefined && na === undefined) throw invalid(kind, [fe.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  const selectorErrs = fieldSelectorErrors(ra);
  if (selectorErrs.length > 0) throw invalid(kind, selectorErrs);
  const base = { user: user.user, groups: user.groups };
  if (na) return { ...base, verb: str(na, 'verb'), isResourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path: str(na, 'path') };
  return {
    ...base,
    verb: str(ra, 'verb'),
    isResourceRequest: true,
    apiGroup: str(ra, 'group'),
    apiVersion: str(ra, 'version'),
    resource: str(ra, 'resource'),
    subresource: str(ra, 'subresource'),
    namespace: str(ra, 'namespace'),
    name: str(ra, 'name'),
    path: '',
    ...fieldSelectorOf(ra!),
  };
}

/**
 * The field selector a review's resourceAttributes limit the request by (upstream 1.32's
 * AuthorizeWithSelectors): its rawSelector, else its requirements as one selector. As
 * upstream's conversion, a requirement it cannot express (an operator other than In or NotIn,
 * not exactly one value, a key a selector cannot hold) leaves the request with no field
 * selector at all, which can only narrow what is allowed. Values are escaped, so a value
 * cannot add a requirement of its own.
 */
function fieldSelectorOf(ra: Obj): { fieldSelector?: string } {
  const fs = isObj(ra.fieldSelector) ? ra.fieldSelector : undefined;
  if (!fs) return {};
  const raw = str(fs, 'rawSelector');
  if (raw) return { fieldSelector: raw };
  const parts: string[] = [];
  for (const r of Array.isArray(fs.requirements) ? fs.requirements : []) {
    if (!isObj(r) || !Array.isArray(r.values) || r.values.length !== 1 || typeof r.values[0] !== 'string') return {};
    const key = str(r, 'key');
    if (!key || /[=!,\\\s]/.test(key)) return {};
    if (r.operator === 'In') parts.push(`${key}=${escapeFieldValue(r.values[0])}`);
    else if (r.operator === 'NotIn') parts.push(`${key}!=${escapeFieldValue(r.values[0])}`);
    else return {};
  }
  return parts.length > 0 ? { fieldSelector: parts.join(',') } : {};
}

/** upstream's validateFieldSelectorAttributes (unknown operators allowed, as for reviews). */
function fieldSelectorErrors(ra: Obj | undefined): FieldError[] {
  const fs = ra && isObj(ra.fieldSelector) ? ra.fieldSelector : undefined;
  if (!fs) return [];
  const at = 'spec.resourceAttributes.fieldSelector';
  const errs: FieldError[] = [];
  const raw = str(fs, 'rawSelector');
  const reqs = Array.isArray(fs.requirements) ? fs.requirements : [];
  if (raw && reqs.length > 0) errs.push(fe.invalid(`${at}.rawSelector`, raw, 'may not specified at the same time as requirements'));
  if (!raw && reqs.length === 0) errs.push(fe.required(`${at}.requirements`, `when ${at} is specified, requirements or rawSelector is required`));
  reqs.forEach((r, i) => {
    const o = isObj(r) ? r : {};
    const values = Array.isArray(o.values) ? o.values : [];
    if ((o.operator === 'In' || o.operator === 'NotIn') && values.length === 0) errs.push(fe.required(`${at}.requirements[${i}].values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    if ((o.operator === 'Exists' || o.operator === 'DoesNotExist') && values.length > 0) errs.push(fe.forbidden(`${at}.requirements[${i}].values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    if (!str(o, 'key')) errs.push(fe.required(`${at}.requirements[${i}].key`, 'must be specified'));
  });
  return errs;
}

/** The user a SubjectAccessReview names (422 when it names nobody). */
function subjectOf(kind: string, spec: Obj): UserInfo {
  const user = str(spec, 'user');
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  if (!user && groups.length === 0) {
    throw invalid(kind, [fe.invalid('spec.user', '', 'at least one of user or group must be specified')]);
  }
  const uid = str(spec, 'uid');
  return { user, groups, ...(uid ? { uid } : {}) };
}

/** Upstream's split of policy rules into resource and non-resource rules. */
function rulesStatus(rules: PolicyRule[]): { resourceRules: Obj[]; nonResourceRules: Obj[] } {
  const resourceRules: Obj[] = [];
  const nonResourceRules: Obj[] = [];
  for (const r of rules) {
    if ((r.resources ?? []).length > 0) {
      resourceRules.push({
        verbs: [...r.verbs],
        ...(r.apiGroups?.length ? { apiGroups: [...r.apiGroups] } : {}),
        resources: [...(r.resources ?? [])],
        ...(r.resourceNames?.length ? { resourceNames: [...r.resourceNames] } : {}),
      });
    }
    if ((r.nonResourceURLs ?? []).length > 0) nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...(r.nonResourceURLs ?? [])] });
  }
  return { resourceRules, nonResourceRules };
}

/** authentication.k8s.io UserInfo of a user. */
function userInfoOf(u: UserInfo): Obj {
  return { username: u.user, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups], ...(u.extra ? { extra: u.extra } : {}) };
}

/** Everything allowed: the answer for trusted in-process callers. */
const UNRESTRICTED: UserInfo = { user: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };

/**
 * Answers one review. `body` is the decoded request (JSON shape); `caller` the authenticated
 * user (undefined: a trusted in-process caller); `authorizer` the server's (undefined with
 * `caller`: everything is allowed). Returns the JSON answer for a 201.
 */
export async function serveReview(route: ReviewRoute, body: unknown, caller: UserInfo | undefined, authorizer: Authorizer | undefined, reviewToken?: TokenReviewer): Promise<string> {
  if (!isObj(body)) throw badRequest(`${route.kind} in version "v1" cannot be handled as a ${route.kind}: the body must be a JSON object`);
  const apiVersion = `${route.group}/${route.version}`;
  checkTypeMeta(body, apiVersion, route.kind);
  // A namespaced review names its namespace in the path; a body naming another is refused before
  // anything else, as upstream's create handler refuses it.
  const bodyNamespace = isObj(body.metadata) ? body.metadata.namespace : undefined;
  if (route.namespace !== undefined && typeof bodyNamespace === 'string' && bodyNamespace !== '' && bodyNamespace !== route.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  // Decoded as upstream decodes the review: a field of the wrong JSON type is a 400 (nothing
  // is decided on a malformed spec), unknown fields are dropped.
  const decoded = decodeObject({ group: route.group, version: route.version, kind: route.kind }, body, 'Ignore').object as unknown as Obj;
  const spec = isObj(decoded.spec) ? decoded.spec : {};
  const self = caller ?? UNRESTRICTED;
  const decide = async (attrs: AuthorizationAttributes): Promise<Obj> => {
    if (!authorizer) return { allowed: true, reason: 'in-process caller' };
    const d = await authorizer.authorize(attrs);
    return d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
  };
  /** The request echoed with its answer; SelfSubjectReview has no spec. */
  const answer = (status: Obj, withSpec = true): string => JSON.stringify({ kind: route.kind, apiVersion, metadata: {}, ...(withSpec ? { spec } : {}), status });

  switch (route.kind) {
    case 'SelfSubjectAccessReview':
      return answer(await decide(attributesOf(route.kind, spec, self)));
    case 'SubjectAccessReview':
      return answer(await decide(attributesOf(route.kind, spec, subjectOf(route.kind, spec))));
    case 'LocalSubjectAccessReview': {
      const attrs = attributesOf(route.kind, spec, subjectOf(route.kind, spec));
      if (!attrs.isResourceRequest) {
        throw invalid(route.kind, [fe.invalid('spec.nonResourceAttributes', 'set', 'disallowed on this kind of request')]);
      }
      if (attrs.namespace && attrs.namespace !== route.namespace) {
        throw invalid(route.kind, [fe.invalid('spec.resourceAttributes.namespace', attrs.namespace, 'must match metadata.namespace')]);
      }
      return answer(await decide({ ...attrs, namespace: route.namespace ?? '' }));
    }
    case 'SelfSubjectRulesReview': {
      const namespace = str(spec, 'namespace');
      if (!namespace) throw badRequest('no namespace on request');
      if (!authorizer) return answer({ resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false });
      const r = await authorizer.rulesFor(self.user, self.groups, namespace);
      return answer({ ...rulesStatus(r.rules), incomplete: r.incomplete, ...(r.evaluationError ? { evaluationError: r.evaluationError } : {}) });
    }
    case 'SelfSubjectReview':
      return answer({ userInfo: userInfoOf(self) }, false);
    case 'TokenReview': {
      const token = spec.token;
      if (typeof token !== 'string' || token === '') throw badRequest('token is required for TokenReview in authentication');
      const audiences = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === 'string') : [];
      if (!reviewToken) return answer({ user: {}, error: 'token review is not available on this listener' });
      const r = await reviewToken(token, audiences);
      if (!r.authenticated) return answer({ user: {}, ...(r.error ? { error: r.error } : {}) });
      return answer({ authenticated: true, user: userInfoOf(r.user), audiences: r.audiences });
    }
  }
  throw new Error(`unreachable: review kind ${route.kind}`);
}
