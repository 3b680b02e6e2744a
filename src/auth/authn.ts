// Authentication: bearer tokens and client certificates signed by the cluster CA.
//
// Token contract:
// - A token is `<id>.<secret>`: id 6 chars [a-z0-9] (public, the lookup key), secret
//   32 chars [a-z0-9]. Only `sha256(salt || secret)` and a random per-token salt are stored,
//   in `<dataDir>/tokens.json` (mode 0600, atomic rewrite). Comparison is timing-safe, and an
//   unknown id costs the same hash as a known one.
// - The store re-reads the file when it was replaced (inode/mtime/size changed), so `everynode token create` in
//   another process takes effect without a restart.
// - Tokens of kind 'join' authenticate only at the join endpoint (join.ts), never for the API.
//
// authenticate() contract (upstream union authenticator semantics):
// - A verified client certificate (TLS `authorized` against the cluster CA) → CN = user,
//   O = groups. A certificate that failed verification, or that is revoked (revocation.ts),
//   counts as an invalid credential.
// - `Authorization: Bearer <token>` → the token's user; unknown, malformed or expired → invalid.
//   A JWT is a service account token (sa-token.ts): the service account, if it verifies.
// - Any credential that succeeds wins; else 'invalid' if any was presented and failed; else
//   null (anonymous). Every authenticated user also gets the group `system:authenticated`.
// - Secrets never appear in errors or return values.

import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { ensurePrivateDir, tryLockFile, writeFileAtomic } from './files.js';
import type { PresentedCert } from './revocation.js';
import { looksLikeJwt, serviceAccountUser, type LegacyTokenClaims, type ServiceAccountTokens, type TokenClaims } from './sa-token.js';
import { serviceAccountGroups } from './rbac.js';

export interface UserInfo {
  user: string;
  groups: string[];
  uid?: string;
  /** Upstream's user extra (a service account token's bound pod, node and credential id). */
  extra?: Record<string, string[]>;
  /**
   * Set for a service account token: what it was issued for. The request pipeline checks that
   * these objects still exist with these uids (a deleted pod's token stops working). A pod-bound
   * token also names its pod's node, which is not checked (as upstream: the pod goes with its node).
   */
  boundTo?: {
    namespace: string;
    serviceAccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    node?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    /**
     * A legacy token's Secret: valid while it exists, is not being deleted, is not labelled
     * invalid, and holds exactly the token whose SHA-256 (hex) this is.
     */
    legacySecret?: { name: string; tokenSha256: string };
    /** Absent for a legacy token, which does not expire. */
    expiresAt?: number;
  };
}

export type TokenKind = 'admin' | 'join' | 'node' | 'user';

export interface TokenRecord {
  id: string;
  salt: string; // hex
  hash: string; // hex sha256(salt || secret)
  user: string;
  groups: string[];
  uid?: string;
  kind: TokenKind;
  description?: string;
  created: string; // RFC 3339
  expires?: string; // RFC 3339; absent = never
}

export interface CreateTokenOptions {
  user: string;
  groups: string[];
  kind: TokenKind;
  uid?: string;
  description?: string;
  /** Lifetime in seconds; absent or 0 = never expires. */
  ttlSeconds?: number;
  /** Fixed id (tests, rotation of a well-known id); random otherwise. */
  id?: string;
  now?: Date;
}

export const SYSTEM_AUTHENTICATED = 'system:authenticated';
export const SYSTEM_MASTERS = 'system:masters';
export const ADMIN_USER = 'system:admin';
export const ADMIN_TOKEN_ID = 'admin0';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16,64})$/;
const DUMMY_SALT = '00'.repeat(16);
/** Bound of TokenStore's verified-token cache (tokens in use at once: admins, nodes, joins). */
const VERIFIED_CACHE_MAX = 1024;

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

function hashSecret(saltHex: string, secret: string): Buffer {
  return createHash('sha256').update(Buffer.from(saltHex, 'hex')).update(secret, 'utf8').digest();
}

/** Splits `<id>.<secret>`; undefined when malformed. */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export type TokenLookup = { ok: true; record: TokenRecord } | { ok: false; why: 'malformed' | 'unknown' | 'expired' };

/**
 * A deleted token: its id and salt (the salt names the one token instance it deleted, so a
 * token later made under the same id, such as a rotated admin token, is not deleted by it).
 */
export interface TokenTombstone {
  id: string;
  salt: string;
  /** The deleted token's `created`: no token of this id made before it can come back. */
  created?: string;
  /** When it was deleted (RFC 3339). */
  deleted: string;
  /** The deleted token's expiry, if it had one: the tombstone is dropped a day after it. */
  expires?: string;
}

/** Every token and every deletion: what `tokens.json` holds and what servers on etcd share. */
export interface TokenState {
  tokens: TokenRecord[];
  deleted: TokenTombstone[];
}

/** Tombstones of tokens that expired this long ago are dropped (the token is useless anyway). */
const TOMBSTONE_AFTER_EXPIRY_MS = 24 * 3600 * 1000;

function canonicalRecord(r: TokenRecord): TokenRecord {
  return {
    id: r.id,
    salt: r.salt,
    hash: r.hash,
    user: r.user,
    groups: [...r.groups],
    ...(r.uid !== undefined ? { uid: r.uid } : {}),
    kind: r.kind,
    ...(r.description !== undefined ? { description: r.description } : {}),
    created: r.created,
    ...(r.expires !== undefined ? { expires: r.expires } : {}),
  };
}

/**
 * The union of two token states, the same whichever order and grouping (a state-based CRDT, so
 * servers converge however their exchanges interleave): every tombstone of either side is kept
 * (until a day after its token's expiry) and deletes the token instance it names (same id and
 * salt); per id, only the newest instance can be live (the highest `created` among the id's
 * tokens and tombstones; ties: the larger salt), so a token superseded or deleted anywhere
 * never comes back through a replica that still holds it. The result is canonical: sorted,
 * fields in one order, so equal states serialize equally.
 */
export function mergeTokenStates(a: TokenState, b: TokenState, now: Date = new Date()): TokenState {
  const deleted = new Map<string, TokenTombstone>();
  for (const t of [...a.deleted, ...b.deleted]) {
    if (t.expires && Date.parse(t.expires) + TOMBSTONE_AFTER_EXPIRY_MS < now.getTime()) continue;
    const key = `${t.id}:${t.salt}`;
    const cur = deleted.get(key);
    if (!cur || t.deleted < cur.deleted || (t.deleted === cur.deleted && (t.created ?? '') > (cur.created ?? ''))) {
      deleted.set(key, { id: t.id, salt: t.salt, ...(t.created ? { created: t.created } : {}), deleted: t.deleted, ...(t.expires ? { expires: t.expires } : {}) });
    }
  }
  /** Per id, the newest instance (created, then salt) of every token and tombstone seen. */
  const newest = new Map<string, { created: string; salt: string }>();
  const see = (id: string, created: string, salt: string) => {
    const cur = newest.get(id);
    if (!cur || created > cur.created || (created === cur.created && salt > cur.salt)) newest.set(id, { created, salt });
  };
  for (const t of deleted.values()) see(t.id, t.created ?? '', t.salt);
  for (const r of [...a.tokens, ...b.tokens]) see(r.id, r.created, r.salt);
  const tokens = new Map<string, TokenRecord>();
  for (const r of [...a.tokens, ...b.tokens]) {
    if (deleted.has(`${r.id}:${r.salt}`)) continue;
    const top = newest.get(r.id)!;
    if (top.created !== r.created || top.salt !== r.salt) continue;
    tokens.set(r.id, canonicalRecord(r));
  }
  const byKey = <T extends { id: string; salt: string }>(x: T, y: T) => (x.id === y.id ? (x.salt < y.salt ? -1 : 1) : x.id < y.id ? -1 : 1);
  return { tokens: [...tokens.values()].sort(byKey), deleted: [...deleted.values()].sort(byKey) };
}

/**
 * How stale a token lookup may be, in milliseconds (see TokenStore). A stat of the file costs
 * ~25 µs on the development machine, 2.6% of the API server's CPU in a 5,000-node fan-out when
 * made for every request.
 */
export const TOKEN_RECHECK_MS = 10;

/** Thrown by a change that would not wait for a lock another process holds. */
export class LockBusy extends Error {
  constructor(lock: string) {
    super(`${lock} is held by another process`);
    this.name = 'LockBusy';
  }
}

/** Lock file timing: a writer holds it for one read-modify-write (milliseconds). */
const LOCK_WAIT_MS = 3_000;
const LOCK_STALE_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The hashed token file. Every change is a read-modify-write under `tokens.json.lock` (created
 * exclusively; one older than 10 s is a crashed writer's and is taken over), so the CLI and a
 * running server changing it at the same moment both keep their change. Deleting a token
 * leaves a tombstone in the file, which is how a deletion reaches the other servers of a
 * shared store (src/apiserver/shared-tokens.ts).
 */
export class TokenStore {
  readonly path: string;
  private records = new Map<string, TokenRecord>();
  private tombstones: TokenTombstone[] = [];
  /** `ino:mtime:size` of the file last read; files are replaced by rename, so the inode changes on every write. */
  private loadedStamp = '';
  /** The file has been read whole at least once (a damaged file is fatal only before). */
  private loadedOnce = false;
  /**
   * Presented tokens whose secret matched a record of the file as loaded now, so a token seen
   * before costs a map lookup instead of two SHA-256 digests. Emptied whenever the records are
   * read or written again (a revoked or rotated token is checked afresh against the new file)
   * and when it reaches VERIFIED_CACHE_MAX entries. Holds secrets only as long as the process
   * does (the server's memory also holds its CA key).
   */
  private readonly verified = new Map<string, TokenRecord>();
  /** `performance.now()` of the last stat of the file (by a reload or a save). */
  private checkedAt = -Infinity;
  private readonly recheckMs: number;

  /**
   * `recheckMs` bounds how stale `lookup` may be: it stats the file when the last stat is older
   * than that (TOKEN_RECHECK_MS by default), so a token revoked or rotated by another process
   * stops working within that long of the file's replacement, and a busy server makes one stat
   * per interval instead of one per request. Every other method stats on every call, and this
   * process's own changes take effect at once.
   */
  constructor(dataDir: string, o: { recheckMs?: number } = {}) {
    ensurePrivateDir(dataDir);
    this.path = join(dataDir, 'tokens.json');
    this.recheckMs = o.recheckMs ?? TOKEN_RECHECK_MS;
    this.reloadIfChanged();
  }

  private reloadIfChanged(): void {
    // The file is the source of truth: a token revoked by another process stops working once
    // this sees the file replaced.
    const stamp = this.stamp();
    if (stamp === '') {
      this.records.clear();
      this.tombstones = [];
      this.loadedStamp = '';
      this.loadedOnce = true;
      this.verified.clear();
      return;
    }
    if (stamp === this.loadedStamp) return;
    this.verified.clear();
    let parsed: { tokens?: TokenRecord[]; deleted?: TokenTombstone[] };
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as typeof parsed;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || (parsed.tokens !== undefined && !Array.isArray(parsed.tokens))) throw new Error('not a token file (no "tokens" list)');
    } catch (e) {
      // At start: the server does not start, naming the file. Later (the file damaged under a
      // running server): the tokens last read stay in force, and the file is read again at the
      // next check.
      if (!this.loadedOnce) throw new Error(`cannot read the token file ${this.path}: ${e instanceof Error ? e.message : String(e)} (repair it, or restore it from a backup of the data dir)`);
      return;
    }
    this.loadedOnce = true;
    this.records = new Map((parsed.tokens ?? []).map((r) => [r.id, r]));
    this.tombstones = parsed.deleted ?? [];
    this.loadedStamp = stamp;
  }

  /**
   * Runs `change` on the current file contents under the lock and saves when it returns true.
   * Throws when another process holds the lock for longer than `waitMs` (LOCK_WAIT_MS; the wait
   * blocks the thread, so a server passes 0); with 0, a held lock throws LockBusy at once.
   */
  private mutate<T>(change: () => { save: boolean; result: T }, waitMs = LOCK_WAIT_MS): T {
    const lock = `${this.path}.lock`;
    const deadline = Date.now() + waitMs;
    while (!tryLockFile(lock, LOCK_STALE_MS)) {
      if (waitMs === 0) throw new LockBusy(lock);
      if (Date.now() > deadline) throw new Error(`${lock}: held by another process for over ${waitMs / 1000} s (remove it if no everynode process is running)`);
      sleepSync(5);
    }
    try {
      this.reloadIfChanged();
      // The change may drop records even if saving it fails below.
      this.verified.clear();
      const { save, result } = change();
      if (save) this.save();
      return result;
    } finally {
      rmSync(lock, { force: true });
    }
  }

  private save(): void {
    const body = JSON.stringify({ tokens: [...this.records.values()], ...(this.tombstones.length ? { deleted: this.tombstones } : {}) }, null, 2) + '\n';
    writeFileAtomic(this.path, body, 0o600);
    this.loadedStamp = this.stamp();
  }

  /** '' when the file does not exist. */
  private stamp(): string {
    this.checkedAt = performance.now();
    const st = statSync(this.path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
  }

  /** Creates a token and returns its plaintext, the only time it is ever visible. */
  create(o: CreateTokenOptions): { token: string; record: TokenRecord } {
    return this.mutate(() => {
      let now = o.now ?? new Date();
      let id = o.id ?? randomString(6);
      while (!o.id && this.records.has(id)) id = randomString(6);
      if (!/^[a-z0-9]{6}$/.test(id)) throw new Error('token id must be 6 characters [a-z0-9]');
      // A new instance of an id is made after every earlier one (the newest instance is the live
      // one: mergeTokenStates), even within the same millisecond as a rotation.
      const latest = [this.records.get(id)?.created, ...this.tombstones.filter((t) => t.id === id).map((t) => t.created)].reduce<string>((m, c) => (c !== undefined && c > m ? c : m), '');
      if (latest !== '' && now.toISOString() <= latest) now = new Date(Date.parse(latest) + 1);
      const secret = randomString(32);
      const salt = randomBytes(16).toString('hex');
      const record: TokenRecord = {
        id,
        salt,
        hash: hashSecret(salt, secret).toString('hex'),
        user: o.user,
        groups: [...o.groups],
        kind: o.kind,
        created: now.toISOString(),
        ...(o.uid ? { uid: o.uid } : {}),
        ...(o.description ? { description: o.description } : {}),
        ...(o.ttlSeconds ? { expires: new Date(now.getTime() + o.ttlSeconds * 1000).toISOString() } : {}),
      };
      const replaced = this.records.get(id);
      if (replaced) this.tombstones.push(tombstoneOf(replaced, now));
      this.records.set(id, record);
      return { save: true, result: { token: `${id}.${secret}`, record } };
    });
  }

  /** Removes a token by id (leaving a tombstone); returns whether it existed. */
  revoke(id: string, now: Date = new Date()): boolean {
    return this.mutate(() => {
      const r = this.records.get(id);
      if (!r) return { save: false, result: false };
      this.records.delete(id);
      this.tombstones.push(tombstoneOf(r, now));
      return { save: true, result: true };
    });
  }

  /** Records without secrets (hash and salt included; they do not reveal the secret). */
  list(): TokenRecord[] {
    this.reloadIfChanged();
    return [...this.records.values()].map((r) => ({ ...r, groups: [...r.groups] }));
  }

  /** Every token and tombstone, canonical (see mergeTokenStates). */
  state(now: Date = new Date()): TokenState {
    this.reloadIfChanged();
    return mergeTokenStates({ tokens: [...this.records.values()], deleted: this.tombstones }, { tokens: [], deleted: [] }, now);
  }

  /**
   * Merges `other` into the file (mergeTokenStates); returns whether the file changed. With
   * `wait: false` (a server's event loop) a lock held by another process throws LockBusy at once
   * instead of blocking for up to LOCK_WAIT_MS.
   */
  merge(other: TokenState, now: Date = new Date(), o: { wait?: boolean } = {}): boolean {
    return this.mutate(() => {
      const before = JSON.stringify(mergeTokenStates({ tokens: [...this.records.values()], deleted: this.tombstones }, { tokens: [], deleted: [] }, now));
      const merged = mergeTokenStates({ tokens: [...this.records.values()], deleted: this.tombstones }, other, now);
      if (JSON.stringify(merged) === before) return { save: false, result: false };
      this.records = new Map(merged.tokens.map((r) => [r.id, r]));
      this.tombstones = merged.deleted;
      return { save: true, result: true };
    }, o.wait === false ? 0 : LOCK_WAIT_MS);
  }

  lookup(token: string, now: Date = new Date()): TokenLookup {
    if (performance.now() - this.checkedAt >= this.recheckMs) {
      this.reloadIfChanged();
      return this.lookupLoaded(token, now);
    }
    const found = this.lookupLoaded(token, now);
    if (found.ok || found.why !== 'unknown') return found;
    // A token unknown to the records as last loaded may have been created since: stat now, so a
    // token works as soon as it is created (only revocations wait for the interval).
    const before = this.loadedStamp;
    this.reloadIfChanged();
    return this.loadedStamp === before ? found : this.lookupLoaded(token, now);
  }

  private lookupLoaded(token: string, now: Date): TokenLookup {
    const known = this.verified.get(token);
    if (known) return known.expires && Date.parse(known.expires) <= now.getTime() ? { ok: false, why: 'expired' } : { ok: true, record: known };
    const parts = splitToken(token);
    if (!parts) return { ok: false, why: 'malformed' };
    const record = this.records.get(parts.id);
    const expected = record ? Buffer.from(record.hash, 'hex') : hashSecret(DUMMY_SALT, 'x');
    const actual = hashSecret(record ? record.salt : DUMMY_SALT, parts.secret);
    const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
    if (!record || !equal) return { ok: false, why: 'unknown' };
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.set(token, record);
    if (record.expires && Date.parse(record.expires) <= now.getTime()) return { ok: false, why: 'expired' };
    return { ok: true, record };
  }
}

function tombstoneOf(r: TokenRecord, now: Date): TokenTombstone {
  return { id: r.id, salt: r.salt, created: r.created, deleted: now.toISOString(), ...(r.expires ? { expires: r.expires } : {}) };
}

/**
 * Ensures the admin token exists (id `admin0`, user `system:admin`, group `system:masters`).
 * Returns the plaintext only when it was created now; the caller writes it into
 * `<dataDir>/kubeconfig.yaml` at that moment (it cannot be recovered later).
 */
export function ensureAdminToken(store: TokenStore): string | undefined {
  if (store.list().some((r) => r.id === ADMIN_TOKEN_ID)) return undefined;
  return rotateAdminToken(store);
}

/** Replaces the admin token; the old one stops working immediately. Returns the new plaintext. */
export function rotateAdminToken(store: TokenStore): string {
  return store.create({ id: ADMIN_TOKEN_ID, user: ADMIN_USER, groups: [SYSTEM_MASTERS], kind: 'admin', description: 'cluster admin (kubeconfig.yaml)' }).token;
}

// ---------------------------------------------------------------------------------------------
// Request authentication

/** What authenticate reads from a request: headers and the TLS socket (`tls.TLSSocket`). */
export interface AuthnRequest {
  headers: IncomingHttpHeaders;
  socket: unknown;
}

interface PeerCertificateLike {
  subject?: Record<string, string | string[] | undefined>;
  /** notBefore as OpenSSL prints it (`Nov 30 07:00:00 2026 GMT`). */
  valid_from?: string;
}

interface TlsSocketLike {
  authorized?: boolean;
  getPeerCertificate?: (detailed?: boolean) => PeerCertificateLike | null | Record<string, never>;
}

function asArray(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The bearer token of `Authorization: Bearer <t>`, or undefined when absent or another scheme. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** The subprotocol prefix under which a WebSocket client (a browser) sends its bearer token. */
export const WEBSOCKET_BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** Unpadded base64url (Go's RawURLEncoding): alphabet only, no length of 1 mod 4. */
const RAW_BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;

/**
 * The bearer token a WebSocket upgrade carries as the subprotocol
 * `base64url.bearer.authorization.k8s.io.<unpadded base64url of the token>` (browsers cannot
 * set an Authorization header on a WebSocket), as upstream's protocol authenticator reads it:
 * undefined when the request is no WebSocket upgrade or names no such subprotocol; 'invalid'
 * when it names two, when the encoding or its UTF-8 is bad, or when no other subprotocol is
 * offered (the server must have one to answer with: the token is never echoed).
 */
export function webSocketBearerToken(headers: IncomingHttpHeaders): string | undefined | 'invalid' {
  if ((headers.upgrade ?? '').toLowerCase() !== 'websocket' || !/(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection ?? '')) return undefined;
  const raw = headers['sec-websocket-protocol'];
  if (raw === undefined) return undefined;
  let token: string | undefined;
  let others = 0;
  for (const p of (Array.isArray(raw) ? raw.join(',') : raw).split(',')) {
    const protocol = p.trim();
    if (!protocol.startsWith(WEBSOCKET_BEARER_PROTOCOL_PREFIX)) {
      others++;
      continue;
    }
    if (token !== undefined) return 'invalid';
    const encoded = protocol.slice(WEBSOCKET_BEARER_PROTOCOL_PREFIX.length);
    if (!RAW_BASE64URL.test(encoded)) return 'invalid';
    const bytes = Buffer.from(encoded, 'base64url');
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) return 'invalid';
    token = text;
  }
  if (token === undefined || token === '') return undefined;
  return others === 0 ? 'invalid' : token;
}

/** Adds `system:authenticated` (once). */
export function withAuthenticatedGroup(u: UserInfo): UserInfo {
  return u.groups.includes(SYSTEM_AUTHENTICATED) ? u : { ...u, groups: [...u.groups, SYSTEM_AUTHENTICATED] };
}

export type AuthnResult = UserInfo | null | 'invalid';

/** The revocation check the authenticator consults (RevocationList). */
export interface RevocationCheck {
  isRevoked(c: PresentedCert): boolean;
}

/** The verified peer certificate of a TLS socket as the revocation check reads it; undefined without one. */
export function presentedCertOf(socket: unknown): PresentedCert | undefined {
  const s = socket as TlsSocketLike | null | undefined;
  if (!s?.authorized || typeof s.getPeerCertificate !== 'function') return undefined;
  const cert = s.getPeerCertificate(false);
  const cn = cert && 'subject' in cert && cert.subject ? commonNameOf(cert.subject.CN) : undefined;
  return cn === undefined ? undefined : { user: cn, notBeforeMs: Date.parse((cert as PeerCertificateLike).valid_from ?? '') };
}

/** A subject's common name as Go's pkix.Name reads it: the last CN when there are several. */
function commonNameOf(cn: string | string[] | undefined): string | undefined {
  const all = asArray(cn);
  return all[all.length - 1];
}

/**
 * Client certificate: user from a CA-verified peer certificate; 'invalid' if one was presented
 * but not verified, or is revoked.
 */
export function authenticateClientCert(socket: unknown, revocations?: RevocationCheck): AuthnResult {
  const s = socket as TlsSocketLike | null | undefined;
  if (!s || typeof s.getPeerCertificate !== 'function') return null;
  const cert = s.getPeerCertificate(false);
  if (!cert || !('subject' in cert) || !cert.subject) return null; // no certificate presented
  if (!s.authorized) return 'invalid';
  // No common name: no user from the certificate; the next authenticator (or anonymous) decides,
  // as upstream's CommonNameUserConversion.
  const cn = commonNameOf(cert.subject.CN);
  if (!cn) return null;
  if (revocations?.isRevoked({ user: cn, notBeforeMs: Date.parse(cert.valid_from ?? '') })) return 'invalid';
  return withAuthenticatedGroup({ user: cn, groups: asArray(cert.subject.O) });
}

export interface Authenticator {
  authenticate(req: AuthnRequest): AuthnResult;
}

/** The user of a verified service account token, with what it is bound to (UserInfo.boundTo). */
export function serviceAccountIdentity(c: TokenClaims): UserInfo {
  const k = c['kubernetes.io'];
  return withAuthenticatedGroup({ ...serviceAccountUser(c), boundTo: { namespace: k.namespace, serviceAccount: k.serviceaccount, ...(k.pod ? { pod: k.pod } : {}), ...(k.node && !k.pod ? { node: k.node } : {}), ...(k.secret ? { secret: k.secret } : {}), expiresAt: c.exp * 1000 } });
}

/**
 * The user of a legacy token (upstream's legacy validator): the account, with its uid, bound to
 * the Secret holding the token. Upstream gives such a user no extra.
 */
export function legacyServiceAccountIdentity(c: LegacyTokenClaims, token: string): UserInfo {
  const namespace = c['kubernetes.io/serviceaccount/namespace'];
  const name = c['kubernetes.io/serviceaccount/service-account.name'];
  const uid = c['kubernetes.io/serviceaccount/service-account.uid'];
  return withAuthenticatedGroup({
    user: c.sub,
    groups: serviceAccountGroups(c.sub),
    uid,
    boundTo: { namespace, serviceAccount: { name, uid }, legacySecret: { name: c['kubernetes.io/serviceaccount/secret.name'], tokenSha256: sha256Hex(token) } },
  });
}

/** Hex SHA-256 of a text (a legacy token, compared without keeping it). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function createAuthenticator(deps: { tokens: TokenStore; revocations?: RevocationCheck; serviceAccountTokens?: ServiceAccountTokens; now?: () => Date }): Authenticator {
  const now = deps.now ?? (() => new Date());
  return {
    authenticate(req) {
      let failed = false;
      const byCert = authenticateClientCert(req.socket, deps.revocations);
      if (byCert && byCert !== 'invalid') return byCert;
      if (byCert === 'invalid') failed = true;
      let token = bearerToken(req.headers);
      if (token === undefined) {
        const ws = webSocketBearerToken(req.headers);
        if (ws === 'invalid') return 'invalid';
        token = ws;
      }
      if (token !== undefined && deps.serviceAccountTokens && looksLikeJwt(token)) {
        const c = deps.serviceAccountTokens.verify(token, now());
        if (c) return serviceAccountIdentity(c);
        const legacy = deps.serviceAccountTokens.verifyLegacy(token);
        return legacy ? legacyServiceAccountIdentity(legacy, token) : 'invalid';
      }
      if (token !== undefined) {
        const r = deps.tokens.lookup(token, now());
        if (r.ok && r.record.kind !== 'join') {
          return withAuthenticatedGroup({ user: r.record.user, groups: [...r.record.groups], ...(r.record.uid ? { uid: r.record.uid } : {}) });
        }
        failed = true;
      }
      return failed ? 'invalid' : null;
    },
  };
}

const PUBLIC_PREFIXES = ['/healthz', '/livez', '/readyz'];

/** Paths readable without credentials: /healthz, /livez, /readyz (and their sub-checks), /version. */
export function isPublicPath(path: string): boolean {
  const p = path.split('?')[0] ?? '';
  if (p === '/version' || p === '/version/') return true;
  return PUBLIC_PREFIXES.some((pre) => p === pre || p.startsWith(pre + '/'));
}
