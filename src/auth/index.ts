// Public API of the security building blocks (issue 7): PKI, authentication, join tokens,
// RBAC + Node authorization, NodeRestriction admission, and kubeconfigs.
//
// Request pipeline the apiserver runs (in this order):
//   0. `POST /everynode/v1/join` → `join(bearerToken(req.headers), body)` (before authn);
//   1. `authenticateRequest(req, path)` → UserInfo or a 401 ApiError;
//   2. `authorizer.authorize(requestAttributes(user, method, path, route, watch))`
//      → if !allowed: `forbiddenError(attrs, decision.reason)` (403);
//   3. for create/update/patch/delete, after decoding (and applying a patch) and before
//      storing: `admitNodeRequest(attrs, newObj, oldObj)` → 403 ApiError or undefined.

import { unauthorized, type ApiError } from '../api/errors.js';
import { createAuthenticator, ensureAdminToken, isPublicPath, TokenStore, type Authenticator, type AuthnRequest, type UserInfo } from './authn.js';
import { joinHandler, type NodeNameHeld } from './join.js';
import { ensurePki, type Pki } from './pki.js';
import { RevocationList } from './revocation.js';
import { ServiceAccountTokens } from './sa-token.js';

export * from './attributes.js';
export * from './escalation.js';
export * from './authn.js';
export * from './authorizer.js';
export * from './bootstrap-policy.js';
export * from './join.js';
export * from './kubeconfig.js';
export * from './node.js';
export * from './node-identity.js';
export * from './pki.js';
export * from './revocation.js';
export * from './impersonation.js';
export * from './sa-token.js';
export {
  apiGroupMatches, forbiddenError, forbiddenMessage, nonResourceURLMatches, RBAC_GROUP, RbacAuthorizer, requestVerb, resourceMatches, resourceNameMatches,
  ruleAllows, rulesAllow, serviceAccountGroups, serviceAccountUserName, staticRbacSource, subjectMatches, verbMatches,
  type AuthorizationAttributes, type ClusterRole, type ClusterRoleBinding, type Decision, type PolicyRule, type RbacSource, type Role, type RoleBinding, type RoleRef, type Subject,
} from './rbac.js';

export const ANONYMOUS: UserInfo = { user: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface ServerAuth {
  pki: Pki;
  tokens: TokenStore;
  /** Revoked client certificates (the server closes their open connections on a change). */
  revocations: RevocationList;
  /** Signs and verifies service account tokens (TokenRequest). */
  serviceAccountTokens: ServiceAccountTokens;
  authenticator: Authenticator;
  /** Plaintext admin token, present only on the start that created it: write it into kubeconfig.yaml now. */
  adminToken?: string;
  /** Handler for `POST /everynode/v1/join` (see join.ts). */
  join: ReturnType<typeof joinHandler>;
  /**
   * Step 1: the user, `ANONYMOUS` on a public path without credentials, or the 401 to send
   * (no credential elsewhere, or any invalid credential — even on a public path, as upstream).
   */
  authenticateRequest(req: AuthnRequest, path: string): UserInfo | ApiError;
}

/** Everything the server needs at start: PKI (TLS options), token store, admin token, authenticator, join handler. */
export async function initServerAuth(dataDir: string, o: { sans?: string[]; nameHeld?: NodeNameHeld; onJoinRefused?: (nodeName: string, why: string) => void } = {}): Promise<ServerAuth> {
  const pki = await ensurePki(dataDir, { sans: o.sans ?? [] });
  const tokens = new TokenStore(dataDir);
  const adminToken = ensureAdminToken(tokens);
  const revocations = new RevocationList(dataDir);
  const serviceAccountTokens = new ServiceAccountTokens(dataDir);
  const authenticator = createAuthenticator({ tokens, revocations, serviceAccountTokens });
  return {
    pki,
    tokens,
    revocations,
    serviceAccountTokens,
    authenticator,
    ...(adminToken ? { adminToken } : {}),
    join: joinHandler({ pki, tokens, revocations, ...(o.nameHeld ? { nameHeld: o.nameHeld } : {}), ...(o.onJoinRefused ? { onRefused: o.onJoinRefused } : {}) }),
    authenticateRequest(req, path) {
      const r = authenticator.authenticate(req);
      if (r === 'invalid') return unauthorized();
      if (r) return r;
      return isPublicPath(path) ? ANONYMOUS : unauthorized();
    },
  };
}
