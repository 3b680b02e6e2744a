// User impersonation (`kubectl --as USER [--as-group G]... [--as-uid UID]`), as upstream's
// impersonation filter does it, between authentication and authorization.
//
// Contract:
// - Headers: `Impersonate-User`, `Impersonate-Group` (repeatable), `Impersonate-Uid`,
//   `Impersonate-Extra-<key>` (repeatable). Groups, uid or extras without a user are a 400.
// - The caller must be allowed the verb `impersonate` on each thing it takes on: `users`
//   (name = the user) or, for `system:serviceaccount:<ns>:<name>`, `serviceaccounts` in <ns>;
//   `groups` (name = each group); `uids` and `userextras/<key>` in authentication.k8s.io.
//   The first refusal is a 403 worded as upstream.
// - The request then runs as the impersonated user: its groups are exactly the requested ones
//   (a service account without requested groups gets its implicit groups), plus
//   `system:authenticated` unless `system:(un)authenticated` was requested; `system:anonymous`
//   always gets `system:unauthenticated` instead.
// - The impersonated user carries the requested extras (header keys are lowercase, their
//   percent-escapes decoded), as upstream: SelfSubjectReview (`kubectl auth whoami`) and
//   SubjectAccessReview show them.

import { badRequest } from '../api/errors.js';
import type { UserInfo } from './authn.js';
import { forbiddenError, SERVICE_ACCOUNT_PREFIX, serviceAccountGroups, type AuthorizationAttributes, type Decision } from './rbac.js';

const AUTHN_GROUP = 'authentication.k8s.io';
const ANONYMOUS_USER = 'system:anonymous';
const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const EXTRA_PREFIX = 'impersonate-extra-';

/** What a request asks to impersonate; undefined when it asks nothing. */
export interface Impersonation {
  user: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

/** Headers as arrays per (lowercased) name, as Node's `req.headersDistinct` gives them. */
export type DistinctHeaders = Record<string, string[] | undefined>;

/** Reads the impersonation headers; undefined when there are none; 400 when they are inconsistent. */
export function impersonationOf(headers: DistinctHeaders): Impersonation | undefined {
  const user = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (name.startsWith(EXTRA_PREFIX) && values) extra[unescapeExtraKey(name.slice(EXTRA_PREFIX.length))] = values;
  }
  const others = groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0;
  // An empty Impersonate-User is no impersonation (as upstream reads it).
  if (user === undefined || user === '') {
    if (others) throw badRequest('requested impersonation of groups, uid or extras without impersonating a user');
    return undefined;
  }
  return { user, groups, ...(uid !== undefined ? { uid } : {}), extra };
}

/**
 * Checks that `caller` may take on everything `imp` asks (403 on the first refusal) and
 * returns the user the request runs as.
 */
export async function impersonate(caller: UserInfo, imp: Impersonation, authorize: (a: AuthorizationAttributes) => Promise<Decision>): Promise<UserInfo> {
  const check = async (a: Pick<AuthorizationAttributes, 'apiGroup' | 'resource' | 'subresource' | 'namespace' | 'name'>): Promise<void> => {
    const attrs: AuthorizationAttributes = { user: caller.user, groups: caller.groups, verb: 'impersonate', isResourceRequest: true, path: '', ...a };
    const d = await authorize(attrs);
    if (!d.allowed) throw forbiddenError(attrs, d.reason);
  };
  const sa = serviceAccountOf(imp.user);
  if (sa) await check({ apiGroup: '', resource: 'serviceaccounts', subresource: '', namespace: sa.namespace, name: sa.name });
  else await check({ apiGroup: '', resource: 'users', subresource: '', namespace: '', name: imp.user });
  for (const g of imp.groups) await check({ apiGroup: '', resource: 'groups', subresource: '', namespace: '', name: g });
  if (imp.uid !== undefined) await check({ apiGroup: AUTHN_GROUP, resource: 'uids', subresource: '', namespace: '', name: imp.uid });
  for (const [key, values] of Object.entries(imp.extra)) {
    for (const v of values) await check({ apiGroup: AUTHN_GROUP, resource: 'userextras', subresource: key, namespace: '', name: v });
  }

  const groups = [...imp.groups];
  if (sa && groups.length === 0) groups.push(...serviceAccountGroups(imp.user));
  if (imp.user === ANONYMOUS_USER) {
    if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED);
  } else if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) {
    groups.push(AUTHENTICATED);
  }
  const extra = Object.keys(imp.extra).length > 0 ? { extra: imp.extra } : {};
  return { user: imp.user, groups, ...(imp.uid !== undefined ? { uid: imp.uid } : {}), ...extra };
}

/** `system:serviceaccount:<ns>:<name>` with exactly those two parts; anything else is a plain user. */
function serviceAccountOf(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Extra keys are percent-encoded in header names; a key that does not decode is taken as written. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
