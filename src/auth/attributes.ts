// Request → authorization attributes, as upstream's RequestInfo resolver builds them.
// Takes a structural route (the shape of apiserver's ResourceRoute) so this part does not
// depend on apiserver.

import type { UserInfo } from './authn.js';
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
 * Attributes of a request. `route` undefined = a non-resource request (discovery, /version,
 * /openapi, ...). `watch` = the `?watch=true|1` query parameter was set.
 * Invariant (upstream): for the core `namespaces` resource the namespace is the object's name.
 */
export function requestAttributes(user: UserInfo, method: string, path: string, route: ResourceRouteLike | undefined, watch = false): AuthorizationAttributes {
  const p = path.split('?')[0] ?? path;
  if (!route) {
    return { user: user.user, groups: user.groups, verb: requestVerb(method, { isResourceRequest: false }), isResourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path: p };
  }
  const name = route.name ?? '';
  let namespace = route.namespace ?? '';
  if (route.group === '' && route.plural === 'namespaces' && name) namespace = name;
  return {
    user: user.user,
    groups: user.groups,
    verb: requestVerb(method, { isResourceRequest: true, name, watch: watch || !!route.watchPath }),
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
