// Service account tokens: the bound, expiring JWTs of upstream's TokenRequest API
// (`kubectl create token`, and what an agent hands its pods).
//
// Contract:
// - Tokens are JWTs signed ES256 with `<dataDir>/tls/sa.key` (P-256, made at first start, mode
//   0600; servers sharing the data dir share it). Claims as upstream's: iss, sub
//   (`system:serviceaccount:<ns>:<name>`), aud, iat, nbf, exp, jti (a random UUID naming this
//   token in audit trails) and `kubernetes.io` { namespace, serviceaccount { name, uid },
//   pod? | node? | secret? { name, uid } } (the object the token is bound to, if any; a
//   pod-bound token also names the pod's node).
// - verify() checks form, signature, issuer, time (exp, nbf, 60 s leeway) and that one of the
//   accepted audiences (default: the API audience) is among `aud`. Whether the service account (and the pod a token is bound to)
//   still exists with the same uid is not known here: the caller checks it (security.ts), so a
//   deleted pod's token stops working at once.
// - The user of a valid token is the service account, in groups `system:serviceaccounts` and
//   `system:serviceaccounts:<ns>`.
// - jwks() publishes the public key (OIDC issuer discovery, served by the API server), so other
//   systems can check a token's signature without asking the cluster.
// - Legacy tokens (issueLegacy/verifyLegacy): what upstream's token controller writes into a
//   Secret of type kubernetes.io/service-account-token. Same key, issuer
//   `kubernetes/serviceaccount`, no audience and no expiry; they name the account (name, uid)
//   and the Secret holding them, and stay valid while that Secret still holds exactly this
//   token and the account still has that uid (the caller checks both, security.ts).

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify as verifySignature, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './pki.js';
import { serviceAccountGroups, serviceAccountUserName } from './rbac.js';

/** The issuer of legacy (Secret-held) tokens, upstream's. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

/** The claims of a legacy token, upstream's names. */
export interface LegacyTokenClaims {
  iss: typeof LEGACY_ISSUER;
  'kubernetes.io/serviceaccount/namespace': string;
  'kubernetes.io/serviceaccount/secret.name': string;
  'kubernetes.io/serviceaccount/service-account.name': string;
  'kubernetes.io/serviceaccount/service-account.uid': string;
  sub: string;
}

/** The issuer, and the audience the API server accepts. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const LEEWAY_S = 60;

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  /** Absent in tokens issued before it was added. */
  jti?: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    node?: { name: string; uid: string };
    secret?: { name: string; uid: string };
  };
}

export interface IssueTokenOptions {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** Default: the API audience. */
  audiences?: string[];
  expirationSeconds: number;
  /** The object the token is bound to (it stops working when that object is gone). */
  pod?: { name: string; uid: string };
  node?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  now?: Date;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Whether a bearer token has a JWT's shape (three base64url parts, a JSON header). */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export class ServiceAccountTokens {
  private readonly key: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid: string;

  /** Loads `<dataDir>/tls/sa.key`, creating it first when missing. */
  constructor(dataDir: string) {
    const dir = join(dataDir, 'tls');
    const path = join(dir, 'sa.key');
    if (!existsSync(path)) {
      ensurePrivateDir(dir);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      // Exclusive create: of servers sharing the data dir and starting together, one key wins
      // and every server reads that one back.
      try {
        writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    try {
      this.key = createPrivateKey(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path}: not a valid PEM private key (${e instanceof Error ? e.message : String(e)}); restore the data dir from a backup (everynode restore)`);
    }
    this.publicKey = createPublicKey(this.key);
    // Upstream names the key by a hash of its public half.
    this.kid = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  /**
   * The public key as a JSON Web Key Set (RFC 7517), what upstream serves at /openid/v1/jwks so
   * a relying party can check these tokens itself: one P-256 key, use `sig`, alg ES256, named by
   * the `kid` every token's header carries.
   */
  jwks(): { keys: Record<string, string>[] } {
    const jwk = this.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    return { keys: [{ use: 'sig', kty: jwk['kty']!, kid: this.kid, crv: jwk['crv']!, alg: 'ES256', x: jwk['x']!, y: jwk['y']! }] };
  }

  issue(o: IssueTokenOptions): { token: string; expiration: Date; claims: TokenClaims } {
    const now = Math.floor((o.now ?? new Date()).getTime() / 1000);
    const claims: TokenClaims = {
      aud: o.audiences && o.audiences.length > 0 ? [...o.audiences] : [API_AUDIENCE],
      exp: now + o.expirationSeconds,
      iat: now,
      iss: API_AUDIENCE,
      jti: randomUUID(),
      nbf: now,
      sub: serviceAccountUserName(o.namespace, o.serviceAccount.name),
      'kubernetes.io': {
        namespace: o.namespace,
        serviceaccount: { name: o.serviceAccount.name, uid: o.serviceAccount.uid },
        ...(o.pod ? { pod: { name: o.pod.name, uid: o.pod.uid } } : {}),
        ...(o.node ? { node: { name: o.node.name, uid: o.node.uid } } : {}),
        ...(o.secret ? { secret: { name: o.secret.name, uid: o.secret.uid } } : {}),
      },
    };
    return { token: this.sign(claims), expiration: new Date(claims.exp * 1000), claims };
  }

  private sign(claims: object): string {
    const signingInput = `${b64url(JSON.stringify({ alg: 'ES256', kid: this.kid }))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(sig)}`;
  }

  /** The payload of a token signed by this key (parsed, not yet checked); undefined otherwise. Throws on malformed parts. */
  private signedPayload(token: string): unknown {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    if (header.alg !== 'ES256') return undefined;
    const ok = verifySignature('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) return undefined;
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
  }

  /**
   * A legacy token for the Secret `secretName` of the account's namespace (upstream's
   * LegacyClaims): no audience, no expiry, no issue time.
   */
  issueLegacy(o: { namespace: string; serviceAccount: { name: string; uid: string }; secretName: string }): string {
    const claims: LegacyTokenClaims = {
      iss: LEGACY_ISSUER,
      'kubernetes.io/serviceaccount/namespace': o.namespace,
      'kubernetes.io/serviceaccount/secret.name': o.secretName,
      'kubernetes.io/serviceaccount/service-account.name': o.serviceAccount.name,
      'kubernetes.io/serviceaccount/service-account.uid': o.serviceAccount.uid,
      sub: serviceAccountUserName(o.namespace, o.serviceAccount.name),
    };
    return this.sign(claims);
  }

  /**
   * The claims of a legacy token signed by this key, with every claim present and the subject
   * naming the account (upstream's legacy validator before its lookups); undefined otherwise
   * (never throws).
   */
  verifyLegacy(token: string): LegacyTokenClaims | undefined {
    try {
      const c = this.signedPayload(token) as Partial<LegacyTokenClaims> | undefined;
      if (!c || typeof c !== 'object' || c.iss !== LEGACY_ISSUER) return undefined;
      const ns = c['kubernetes.io/serviceaccount/namespace'];
      const name = c['kubernetes.io/serviceaccount/service-account.name'];
      const fields = [ns, c['kubernetes.io/serviceaccount/secret.name'], name, c['kubernetes.io/serviceaccount/service-account.uid']];
      if (!fields.every((f) => typeof f === 'string' && f !== '')) return undefined;
      if (c.sub !== serviceAccountUserName(ns!, name!)) return undefined;
      return c as LegacyTokenClaims;
    } catch {
      return undefined;
    }
  }

  /** The claims of a valid token for one of `audiences` (default: this API server's); undefined otherwise (never throws). */
  verify(token: string, now: Date = new Date(), audiences: readonly string[] = [API_AUDIENCE]): TokenClaims | undefined {
    try {
      const c = this.signedPayload(token) as TokenClaims | undefined;
      if (!c || typeof c !== 'object') return undefined;
      const t = Math.floor(now.getTime() / 1000);
      if (c.iss !== API_AUDIENCE || typeof c.exp !== 'number' || typeof c.nbf !== 'number') return undefined;
      if (t > c.exp + LEEWAY_S || t < c.nbf - LEEWAY_S) return undefined;
      if (!Array.isArray(c.aud) || !c.aud.some((a) => audiences.includes(a))) return undefined;
      const k = c['kubernetes.io'];
      if (!k || typeof k.namespace !== 'string' || typeof k.serviceaccount?.name !== 'string' || c.sub !== serviceAccountUserName(k.namespace, k.serviceaccount.name)) return undefined;
      return c;
    } catch {
      return undefined;
    }
  }
}

/**
 * The user a verified token stands for, with upstream's user extra: the bound pod
 * (`authentication.kubernetes.io/pod-name`, `pod-uid`), the node (`node-name`, `node-uid`) and
 * the token's id (`credential-id`: `JTI=<jti>`).
 */
export function serviceAccountUser(c: TokenClaims): { user: string; groups: string[]; uid: string; extra?: Record<string, string[]> } {
  const k = c['kubernetes.io'];
  const extra: Record<string, string[]> = {};
  const key = (name: string) => `authentication.kubernetes.io/${name}`;
  if (k.pod) Object.assign(extra, { [key('pod-name')]: [k.pod.name], [key('pod-uid')]: [k.pod.uid] });
  if (k.node) Object.assign(extra, { [key('node-name')]: [k.node.name], [key('node-uid')]: [k.node.uid] });
  if (typeof c.jti === 'string' && c.jti !== '') extra[key('credential-id')] = [`JTI=${c.jti}`];
  return { user: c.sub, groups: serviceAccountGroups(c.sub), uid: k.serviceaccount.uid, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}
