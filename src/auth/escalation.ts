// RBAC escalation prevention, as upstream's policy-based RBAC storage: nobody grants through a
// Role, ClusterRole or binding a permission they do not hold themselves.
//
// Contract (checked on create and on update of the four RBAC kinds, on the final object):
// - Role / ClusterRole: allowed when the writer may `escalate` roles (clusterroles) for the
//   name the request names (none for a POST),
//   else every rule must be covered by the writer's own rules (in the Role's namespace, or
//   cluster-wide for a ClusterRole). A ClusterRole with an aggregationRule needs `escalate`.
// - RoleBinding / ClusterRoleBinding: allowed when the writer may `bind` the referenced role,
//   else the referenced role's rules must be covered by the writer's own rules (in the
//   binding's namespace, or cluster-wide). A missing role is a 404, as upstream.
// - An update that changes nothing but finalizers and owner references (the garbage
//   collector's writes) is not checked; the group `system:masters` is never checked (the
//   caller skips it).
// - Coverage is upstream's: each rule is broken down into one verb × group × resource ×
//   resourceName (or URL) atom, and each atom needs an owner rule with that value or `*` in
//   every field (`*/sub` covers any resource's subresource `sub`; an owner rule without
//   resourceNames covers any name; a URL ending in `*` covers its prefix).

import { ApiError, notFound } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Authorizer } from './authorizer.js';
import type { UserInfo } from './authn.js';
import type { PolicyRule } from './rbac.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

/** One rule per verb, group, resource and resourceName (or non-resource URL), as upstream's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const verbs = rule.verbs ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const n of names) out.push({ apiGroups: [group], resources: [resource], resourceNames: [n], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const has = (set: readonly string[] | undefined, v: string): boolean => (set ?? []).includes(v);
const hasAll = (set: readonly string[] | undefined, vs: readonly string[] | undefined): boolean => (vs ?? []).every((v) => has(set, v));

function resourcesCovered(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  for (const r of wanted ?? []) {
    if (has(owner, r)) continue;
    const slash = r.indexOf('/');
    if (slash < 0 || !has(owner, `*/${r.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlsCovered(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((u) => (owner ?? []).some((o) => o === u || (o.endsWith('*') && u.startsWith(o.slice(0, -1)))));
}

/** Whether one owner rule covers one (broken-down) rule: upstream's ruleCovers. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const ownerNames = owner.resourceNames ?? [];
  const names = (sub.resourceNames ?? []).length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, sub.resourceNames);
  return verbs && groups && resourcesCovered(owner.resources, sub.resources) && urlsCovered(owner.nonResourceURLs, sub.nonResourceURLs) && names;
}

/** The atoms of `wanted` that no rule of `owner` covers (empty: covered). */
export function uncoveredRules(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) for (const atom of breakdownRule(rule)) if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return missing;
}

/** A rule as upstream prints it in the escalation error (its CompactString). */
function formatRule(r: PolicyRule): string {
  const list = (v: readonly string[] | undefined) => `[${(v ?? []).map((x) => JSON.stringify(x)).join(' ')}]`;
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${list(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${list(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${list(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${list(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${list(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * Upstream's CompactRules: the rules of one API group, one resource and at most one resource
 * name (and nothing else) become one rule with all their verbs, each once, in the order met;
 * other rules are kept as they are.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const names = r.resourceNames ?? [];
    const isSimple = names.length <= 1 && !(r.nonResourceURLs ?? []).length && (r.apiGroups ?? []).length === 1 && (r.resources ?? []).length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0], names.length === 1, names[0] ?? '']);
    const seen = simple.get(key);
    // A verb already there is not added again (upstream's CompactRules).
    if (seen) seen.verbs = [...new Set([...(seen.verbs ?? []), ...(r.verbs ?? [])])];
    else simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

/** The escalation error's list of missing rights: compacted, each printed once, sorted (upstream's set). */
function describeMissing(missing: readonly PolicyRule[]): string {
  return [...new Set(compactRules(missing).map(formatRule))].sort().join('\n');
}

function forbiddenGrant(kind: string, name: string, user: UserInfo, detail: string): ApiError {
  const plural = `${kind.toLowerCase()}s`;
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  return new ApiError(403, 'Forbidden', `${plural}.${RBAC_GROUP} "${name}" is forbidden: user "${user.user}" (groups=${groups}) ${detail}`, { group: RBAC_GROUP, kind: plural, name });
}

/** True when an update changes nothing but the fields the garbage collector writes. */
function onlyGcFieldsChanged(next: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return false;
  const strip = (o: KubeObject): string => {
    const { finalizers: _f, ownerReferences: _o, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(next) === strip(old);
}

/**
 * Checks one RBAC write (create or update) by `user`; throws the 403 (or the 404 of a binding
 * to a missing role) that upstream answers. `next` is the final object, `old` the stored one;
 * `requestName` the name the request's path names ('' for a POST to the collection): the
 * `escalate` verb is asked for it, as upstream's RoleEscalationAuthorized asks for the
 * request's name, so an escalate limited by resourceNames lifts no create by POST.
 */
export async function checkRbacEscalation(authorizer: Authorizer, user: UserInfo, next: KubeObject, old: KubeObject | undefined, requestName = next.metadata.name ?? ''): Promise<void> {
  const kind = next.kind ?? old?.kind ?? '';
  const name = next.metadata.name ?? '';
  const namespace = kind === 'Role' || kind === 'RoleBinding' ? (next.metadata.namespace ?? '') : '';
  if (onlyGcFieldsChanged(next, old)) return;
  const may = async (verb: string, resource: string, resourceName: string, ns: string): Promise<boolean> =>
    (await authorizer.authorize({ user: user.user, groups: user.groups, verb, isResourceRequest: true, apiGroup: RBAC_GROUP, resource, subresource: '', namespace: ns, name: resourceName, path: '' })).allowed;
  const held = async (ns: string): Promise<PolicyRule[]> => (await authorizer.rulesFor(user.user, user.groups, ns)).rules;

  if (kind === 'Role' || kind === 'ClusterRole') {
    const resource = kind === 'Role' ? 'roles' : 'clusterroles';
    if (await may('escalate', resource, requestName, namespace)) return;
    if (kind === 'ClusterRole' && (next as { aggregationRule?: unknown }).aggregationRule) {
      throw forbiddenGrant(kind, name, user, 'must have cluster-admin privileges to use the aggregationRule');
    }
    const missing = uncoveredRules(await held(namespace), (next as { rules?: PolicyRule[] }).rules ?? []);
    if (missing.length) throw forbiddenGrant(kind, name, user, `is attempting to grant RBAC permissions not currently held:\n${describeMissing(missing)}`);
    return;
  }
  if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
    const ref = ((next as { roleRef?: RoleRef }).roleRef ?? {}) as RoleRef;
    const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    const refNs = ref.kind === 'Role' ? namespace : kind === 'RoleBinding' ? namespace : '';
    if (await may('bind', refResource, ref.name ?? '', refNs)) return;
    const rules = await authorizer.roleRefRules(ref, namespace);
    if (!rules) throw notFound({ group: RBAC_GROUP, resource: refResource, kind: ref.kind ?? '' }, ref.name ?? '');
    const missing = uncoveredRules(await held(namespace), rules);
    if (missing.length) throw forbiddenGrant(kind, name, user, `is attempting to grant RBAC permissions not currently held:\n${describeMissing(missing)}`);
  }
}
