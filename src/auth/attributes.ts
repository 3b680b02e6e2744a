// Request → authorization attributes, as upstream's RequestInfo resolver builds them.
// Takes a structural route (the shape of apiserver's ResourceRoute) so this part does not
// depend on apiserver.

import type { UserInfo } from './authn.js';
import { parseFieldSelector } from '../api/selectors/index.js';
import { requestVerb, type AuthorizationAttributes } from './rbac.js';

/** The parts of a parsed resource path the authorizer needs (apiserver's ResourceRoute fits). */
export interface ResourceRouteLike {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path form. */
  watchPath?: boolean;
}

/**
 * The name a list or watch is authorized for: the value of an exact `metadata.name`
 * requirement of its field selector, when that value could be a path segment (upstream's
 * RequestInfoFactory), so a role limited by resourceNames allows `kubectl get secret s -w`.
 */
export function fieldSelectorName(fieldSelector: string | null | undefined): string | undefined {
  if (!fieldSelector) return undefined;
  let sel;
  try {
    sel = parseFieldSelector(fieldSelector);
  } catch {
    return undefined; // the request fails with 400 later
  }
  const names = sel.requirements.filter((r) => r.field === 'metadata.name' && r.op === '=').map((r) => r.value);
  const name = names[0];
  if (name === undefined || names.some((n) => n !== name)) return undefined;
  if (name === '' || name === '.' || name === '..' || /[/%]/.test(name)) return undefined;
  return name;
}

/**
 * Attributes of a request. `route` undefined = a non-resource request (discovery, /version,
 * /openapi, ...). `watch` = the `?watch` query parameter asks for a watch (watchRequested: anything but `0`/`false`).
 * Invariant (upstream): for the core `namespaces` resource the namespace is the object's name.
 */
export function requestAttributes(user: UserInfo, method: string, path: string, route: ResourceRouteLike | undefined, watch = false, fieldSelector?: string | null): AuthorizationAttributes {
  const p = path.split('?')[0] ?? path;
  if (!route) {
    return { user: user.user, groups: user.groups, verb: requestVerb(method, { isResourceRequest: false }), isResourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path: p };
  }
  let name = route.name ?? '';
  let namespace = route.namespace ?? '';
  if (route.group === '' && route.plural === 'namespaces' && name) namespace = name;
  // As upstream's RequestInfo: `?watch` makes a watch only of a collection; a named GET stays a
  // get (the deprecated /watch/ path form watches either).
  const verb = requestVerb(method, { isResourceRequest: true, name, watch: (watch && !name) || !!route.watchPath });
  const listing = verb === 'list' || verb === 'watch';
  if (!name && listing) name = fieldSelectorName(fieldSelector) ?? '';
  return {
    ...(listing && fieldSelector ? { fieldSelector } : {}),
    user: user.user,
    groups: user.groups,
    verb,
    isResourceRequest: true,
    apiGroup: route.group,
    apiVersion: route.version,
    resource: route.plural,
    subresource: route.subresource ?? '',
    namespace,
    name,
    path: p,
  };
}
