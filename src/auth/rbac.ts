// Authorization by Kubernetes RBAC (rbac.authorization.k8s.io/v1), evaluated as upstream's
// RBAC authorizer does:
// - ClusterRoleBindings are visited first (their rules apply everywhere, incl. non-resource
//   URLs); then, for namespaced requests, the RoleBindings of the request's namespace. A
//   RoleBinding may reference a ClusterRole; its rules then apply in that namespace only.
// - A rule allows a resource request when verb, apiGroup, resource (`*`, `res`, `res/sub`,
//   `*/sub`) and resourceNames (empty = any) all match; a non-resource request when verb and a
//   nonResourceURL (`*`, exact, or trailing-`*` prefix) match.
// - Subjects: User (exact name), Group (any of the user's groups), ServiceAccount
//   (`system:serviceaccount:<ns>:<name>`, ns defaulting to the binding's namespace).
// - Aggregation: only a ClusterRole's own rules count here; the ClusterRole aggregation controller
//   (controllers/clusterrole-aggregation) writes an aggregated role's rules, as upstream.
// - There is no deny; "not allowed" means no rule matched.
// The authorizer reads objects through `RbacSource` so the apiserver can back it with its
// watch cache; it never writes and keeps no state of its own.

import { forbidden, type ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind: 'Role' | 'ClusterRole' | string;
  name: string;
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}
export type ClusterRole = Role;
export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}
export type ClusterRoleBinding = RoleBinding;

type MaybePromise<T> = T | Promise<T>;

/** Read access to RBAC objects (e.g. the apiserver's watch cache). Missing → undefined. */
export interface RbacSource {
  getRole(namespace: string, name: string): MaybePromise<Role | undefined>;
  getClusterRole(name: string): MaybePromise<ClusterRole | undefined>;
  listRoleBindings(namespace: string): MaybePromise<RoleBinding[]>;
  listClusterRoleBindings(): MaybePromise<ClusterRoleBinding[]>;
}

/** Authorization attributes of one request (upstream authorizer.Attributes). */
export interface AuthorizationAttributes {
  user: string;
  groups: string[];
  /** get, list, watch, create, update, patch, delete, deletecollection; lowercased method for non-resource requests. */
  verb: string;
  isResourceRequest: boolean;
  /** '' for the core group. */
  apiGroup: string;
  apiVersion?: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped requests and for all-namespace lists. */
  namespace: string;
  /** '' when the request has no name (list, create, deletecollection). */
  name: string;
  /** The raw `fieldSelector` of a list or watch (the Node authorizer scopes node reads by it). */
  fieldSelector?: string;
  /** Request path, used for non-resource requests. */
  path: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Rule matching

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: AuthorizationAttributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (a.isResourceRequest) {
    return apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
  }
  return nonResourceURLMatches(rule, a.path);
}

export function rulesAllow(a: AuthorizationAttributes, rules: readonly PolicyRule[]): boolean {
  return rules.some((r) => ruleAllows(a, r));
}

// ---------------------------------------------------------------------------------------------
// Subjects

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/**
 * Groups a service account user implicitly belongs to: `system:serviceaccounts` and
 * `system:serviceaccounts:<ns>` (the authenticator adds them when it authenticates one).
 */
export function serviceAccountGroups(user: string): string[] {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return [];
  const [ns, name] = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!ns || !name) return [];
  return ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
}

export function subjectMatches(user: string, groups: readonly string[], s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user;
    case 'Group':
      return groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns !== '' && serviceAccountUserName(ns, s.name) === user;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The authorizer

export const SYSTEM_MASTERS = 'system:masters';

export class RbacAuthorizer {
  constructor(private readonly source: RbacSource) {}

  private async rulesOf(ref: RoleRef, bindingNamespace: string): Promise<PolicyRule[]> {
    if (ref.kind === 'ClusterRole') return (await this.source.getClusterRole(ref.name))?.rules ?? [];
    if (ref.kind === 'Role' && bindingNamespace) return (await this.source.getRole(bindingNamespace, ref.name))?.rules ?? [];
    return [];
  }

  /** The rules of a binding's role reference; undefined when that role does not exist. */
  async roleRefRules(ref: RoleRef, bindingNamespace: string): Promise<PolicyRule[] | undefined> {
    if (ref.kind === 'ClusterRole') {
      const role = await this.source.getClusterRole(ref.name);
      return role ? (role.rules ?? []) : undefined;
    }
    if (ref.kind === 'Role' && bindingNamespace) {
      const role = await this.source.getRole(bindingNamespace, ref.name);
      return role ? (role.rules ?? []) : undefined;
    }
    return undefined;
  }

  /** Upstream RBAC: allowed when any binding that applies to the user grants a matching rule. */
  async authorize(a: AuthorizationAttributes): Promise<Decision> {
    // The privileged group: allowed with no reason, as upstream's privileged-groups authorizer.
    if (a.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    for (const b of await this.source.listClusterRoleBindings()) {
      const subject = (b.subjects ?? []).find((s) => subjectMatches(a.user, a.groups, s, ''));
      if (!subject || b.roleRef.kind !== 'ClusterRole') continue;
      if (rulesAllow(a, await this.rulesOf(b.roleRef, ''))) {
        return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding ${JSON.stringify(b.metadata.name ?? '')} of ClusterRole ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, '')}` };
      }
    }
    if (a.namespace) {
      for (const b of await this.source.listRoleBindings(a.namespace)) {
        const subject = (b.subjects ?? []).find((s) => subjectMatches(a.user, a.groups, s, a.namespace));
        if (!subject) continue;
        if (rulesAllow(a, await this.rulesOf(b.roleRef, a.namespace))) {
          return { allowed: true, reason: `RBAC: allowed by RoleBinding ${JSON.stringify(`${b.metadata.name ?? ''}/${a.namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, a.namespace)}` };
        }
      }
    }
    return { allowed: false, reason: '' };
  }

  /**
   * Every rule granted to the user in `namespace` (cluster-wide bindings first, then the
   * namespace's RoleBindings; `namespace` '' = cluster-wide only), as upstream's RulesFor.
   */
  async rulesFor(user: string, groups: readonly string[], namespace: string): Promise<PolicyRule[]> {
    const out: PolicyRule[] = [];
    for (const b of await this.source.listClusterRoleBindings()) {
      if (b.roleRef.kind !== 'ClusterRole' || !(b.subjects ?? []).some((s) => subjectMatches(user, groups, s, ''))) continue;
      out.push(...(await this.rulesOf(b.roleRef, '')));
    }
    if (namespace) {
      for (const b of await this.source.listRoleBindings(namespace)) {
        if (!(b.subjects ?? []).some((s) => subjectMatches(user, groups, s, namespace))) continue;
        out.push(...(await this.rulesOf(b.roleRef, namespace)));
      }
    }
    return out;
  }
}

/** An RbacSource over a fixed list of objects (tests; a server without a cache). */
export function staticRbacSource(objects: readonly KubeObject[]): RbacSource {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    getRole: (ns, name) => of('Role').find((o) => o.metadata.namespace === ns && o.metadata.name === name) as Role | undefined,
    getClusterRole: (name) => of('ClusterRole').find((o) => o.metadata.name === name) as ClusterRole | undefined,
    listRoleBindings: (ns) => of('RoleBinding').filter((o) => o.metadata.namespace === ns) as RoleBinding[],
    listClusterRoleBindings: () => of('ClusterRoleBinding') as ClusterRoleBinding[],
  };
}

// ---------------------------------------------------------------------------------------------
// Request → attributes, and the 403

/** Upstream's verb for a request: GET/HEAD → get | list | watch, POST → create, PUT → update, PATCH → patch, DELETE → delete | deletecollection. Non-resource: the lowercased method. */
export function requestVerb(method: string, o: { isResourceRequest: boolean; name?: string; watch?: boolean }): string {
  const m = method.toUpperCase();
  if (!o.isResourceRequest) return m === 'HEAD' ? 'get' : m.toLowerCase();
  switch (m) {
    case 'GET':
    case 'HEAD':
      return o.watch ? 'watch' : o.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return o.name ? 'delete' : 'deletecollection';
    default:
      return m.toLowerCase();
  }
}

/** Upstream's forbidden message body (without the `<resource> "<name>" is forbidden: ` prefix). */
export function forbiddenMessage(a: AuthorizationAttributes): string {
  if (!a.isResourceRequest) return `User ${JSON.stringify(a.user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const head = `User ${JSON.stringify(a.user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)}`;
  return a.namespace ? `${head} in the namespace ${JSON.stringify(a.namespace)}` : `${head} at the cluster scope`;
}

/**
 * The 403 for a denied request, worded as upstream:
 *   `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`
 *   `nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope`
 *   `forbidden: User "u" cannot get path "/metrics"`
 * `reason` (e.g. from the node authorizer) is appended after `: ` when non-empty.
 */
export function forbiddenError(a: AuthorizationAttributes, reason = ''): ApiError {
  const msg = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.isResourceRequest || !a.resource) return forbidden(`forbidden: ${msg}`);
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const prefix = a.name ? `${gr} ${JSON.stringify(a.name)}` : gr;
  return forbidden(`${prefix} is forbidden: ${msg}`, { group: a.apiGroup, resource: a.resource, kind: a.resource }, a.name);
}

/** A binding's subject as upstream's RBAC reasons name it: `User "alice"`, `ServiceAccount "sa/ns"`. */
function describeSubject(s: { kind: string; name: string; namespace?: string }, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}
