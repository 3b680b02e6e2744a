// Joining nodes, k3s style.
//
// Token format: `K10<caHash>::<id>.<secret>`, where caHash = sha256 hex of the server CA's
// DER. The `<id>.<secret>` part is a TokenStore token of kind 'join'.
//
// Flow (the agent never sends its secret to a server it has not verified):
//   1. agent: `fetchServerCaPem(url)` opens TLS *without* verification and takes the self-signed
//      root from the presented chain (the server sends serving cert + CA, see pki.ts);
//   2. agent: `verifyServerCa(caPem, parsed.caHash)` throws unless the hashes match;
//   3. agent: POST `/everynode/v1/join` over TLS verified with that CA,
//      `Authorization: Bearer <id>.<secret>`, body `{"nodeName": "<name>"}`;
//   4. server: `joinHandler(...)` checks the join token and issues a client certificate
//      CN=`system:node:<name>`, O=`system:nodes`, answering `NodeCredentials`;
//   5. agent: stores cert, key and CA under `<dataDir>/identity/` (keys 0600).
// `joinCluster` runs steps 1–5.
//
// Known limit: a join token may ask for any node name, including one already joined (k3s
// adds a per-node password for that; not done here).

import { X509Certificate as NodeX509 } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type DetailedPeerCertificate } from 'node:tls';
import { ApiError, badRequest, forbidden, unauthorized } from '../api/errors.js';
import type { Status } from '../api/types.js';
import { TokenStore, splitToken } from './authn.js';
import { NODE_USER_PREFIX, NODES_GROUP } from './node.js';
import { caHash, issueClientCert, issueServingCert, type Pki } from './pki.js';
import { storeNodeIdentity, type NodeIdentity, type NodeIdentityFiles } from './node-identity.js';

export const JOIN_PATH = '/everynode/v1/join';
export const NODE_CERT_DAYS = 365;
export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 24 * 3600;

export interface ParsedJoinToken {
  /** Absent for a bare `<id>.<secret>` token (the agent then cannot verify the server). */
  caHash?: string;
  id: string;
  secret: string;
  /** `<id>.<secret>`: what goes into `Authorization: Bearer`. */
  bearer: string;
}

export function formatJoinToken(hash: string, bearer: string): string {
  return `K10${hash}::${bearer}`;
}

/** Parses `K10<sha256hex>::<id>.<secret>` or a bare `<id>.<secret>`; undefined when malformed. */
export function parseJoinToken(t: string): ParsedJoinToken | undefined {
  const s = t.trim();
  let hash: string | undefined;
  let rest = s;
  if (s.startsWith('K10')) {
    const m = /^K10([0-9a-f]{64})::(.+)$/.exec(s);
    if (!m) return undefined;
    hash = m[1]!;
    rest = m[2]!;
  }
  const parts = splitToken(rest);
  if (!parts) return undefined;
  return { ...(hash ? { caHash: hash } : {}), id: parts.id, secret: parts.secret, bearer: rest };
}

/** `everynode token create`: a new join token carrying the CA hash. */
export function createJoinToken(tokens: TokenStore, pki: Pick<Pki, 'caCertPem'>, o: { ttlSeconds?: number; description?: string } = {}): string {
  // The user/groups are informational: join tokens never authenticate API requests.
  const { token } = tokens.create({
    user: 'system:bootstrap',
    groups: ['system:bootstrappers'],
    kind: 'join',
    ttlSeconds: o.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS,
    ...(o.description ? { description: o.description } : {}),
  });
  return formatJoinToken(caHash(pki), token);
}

/** Throws unless the CA's hash equals the one from the join token. */
export function verifyServerCa(caPem: string, expectedHash: string): void {
  const actual = caHash(caPem);
  if (actual !== expectedHash.toLowerCase()) {
    throw new Error(`server CA hash ${actual} does not match the join token's CA hash ${expectedHash}; refusing to send credentials`);
  }
}

export function nodeUserName(nodeName: string): string {
  return NODE_USER_PREFIX + nodeName;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface NodeCredentials {
  apiVersion: 'everynode.io/v1';
  kind: 'NodeCredentials';
  nodeName: string;
  certificate: string;
  key: string;
  ca: string;
  /** Serving certificate for the agent's HTTPS endpoint (CN = the node user, SANs = the addresses asked for). */
  servingCertificate: string;
  servingKey: string;
}

/**
 * Issues a node identity directly (the join endpoint after checking the token; `everynode up`
 * for its local agents). `addresses`: IPs/DNS names of the node's endpoint (serving SANs).
 */
export async function issueNodeIdentity(pki: Pick<Pki, 'caCert' | 'caKey' | 'caCertPem' | 'nodeServingCaCert' | 'nodeServingCaKey'>, nodeName: string, addresses: string[] = []): Promise<NodeIdentity> {
  if (!nodeName || nodeName.length > 253 || !DNS1123_SUBDOMAIN.test(nodeName)) {
    throw badRequest(`invalid node name ${JSON.stringify(nodeName)}: must be a lowercase RFC 1123 subdomain`);
  }
  const who = { commonName: nodeUserName(nodeName), organizations: [NODES_GROUP] };
  const { certPem, keyPem } = await issueClientCert(pki, { ...who, days: NODE_CERT_DAYS });
  const serving = await issueServingCert(pki, { ...who, sans: [nodeName, ...addresses], days: NODE_CERT_DAYS });
  return { certPem, keyPem, caPem: pki.caCertPem, servingCertPem: serving.certPem, servingKeyPem: serving.keyPem };
}

/** The wire form of a node identity (join and renew answers). */
export function nodeCredentials(nodeName: string, c: NodeIdentity): NodeCredentials {
  return { apiVersion: 'everynode.io/v1', kind: 'NodeCredentials', nodeName, certificate: c.certPem, key: c.keyPem, ca: c.caPem, servingCertificate: c.servingCertPem, servingKey: c.servingKeyPem };
}

/** Server side: validates a join token (bearer `<id>.<secret>` or full K10 form) and issues the node's identity. */
/**
 * Whether a live node already holds a name: the reason to refuse a join with it (409), or
 * undefined. The server answers from the node's Lease (see apiserver security.ts); an agent
 * locked out at `revokedAt` (ms) holds nothing renewed before then.
 */
export type NodeNameHeld = (nodeName: string, revokedAt: number | undefined) => Promise<string | undefined>;

export async function exchangeJoinToken(
  deps: { pki: Pki; tokens: TokenStore; revocations?: { cutoffOf(user: string): number | undefined }; nameHeld?: NodeNameHeld; now?: Date },
  token: string,
  nodeName: string,
  addresses: string[] = [],
): Promise<NodeIdentity> {
  const parsed = parseJoinToken(token);
  if (!parsed) throw new JoinRefused(JOIN_TOKEN_INVALID, 'a malformed join token');
  if (parsed.caHash && parsed.caHash !== caHash(deps.pki)) throw new JoinRefused(JOIN_TOKEN_INVALID, 'a join token of another cluster (its CA hash is not this CA\'s)');
  const r = deps.tokens.lookup(parsed.bearer, deps.now ?? new Date());
  if (!r.ok && r.why === 'expired') {
    // Only a caller that knows the token's secret gets this far: naming the expiry tells it nothing new.
    const id = parsed.bearer.split('.')[0] ?? '';
    throw new JoinRefused(`the join token ${id} has expired: make a new one with \`everynode token create\``, `expired join token ${id}`);
  }
  if (!r.ok || r.record.kind !== 'join') throw new JoinRefused(JOIN_TOKEN_INVALID, r.ok ? `token ${r.record.id}, not a join token` : 'an unknown join token');
  // A revoked node comes back only with a token made after its revocation: the machine that
  // was locked out may still hold the token it joined with.
  const cutoff = deps.revocations?.cutoffOf(nodeUserName(nodeName));
  if (cutoff !== undefined && !(Date.parse(r.record.created) >= cutoff)) {
    throw forbidden(`node "${nodeName}" was revoked at ${new Date(cutoff).toISOString()}: it may join again only with a join token created since`);
  }
  // Two machines under one name would both run its pods and overwrite each other's Node (a
  // cloned VM keeps its host name, the agent's default --name): refused while the name's agent
  // is alive, as k3s refuses a duplicate host name.
  const held = await deps.nameHeld?.(nodeName, cutoff);
  if (held !== undefined) throw new ApiError(409, 'Conflict', held);
  return issueNodeIdentity(deps.pki, nodeName, addresses);
}

const JOIN_TOKEN_INVALID = 'the join token is not valid here: unknown, deleted, or made by another cluster (`everynode token list` on the server shows the valid ones)';

/** A join refused for its token: 401 with `message` for the caller; `why` for the server's log. */
class JoinRefused extends ApiError {
  constructor(message: string, readonly why: string) {
    super(401, 'Unauthorized', message);
  }
}

export interface JoinResponse {
  status: number;
  body: NodeCredentials | Status;
}

/**
 * The handler the server mounts at `POST /everynode/v1/join`, BEFORE the general
 * authentication (the join token is not an API credential). `bearer` is the token from
 * `Authorization: Bearer` (undefined if absent); `body` the decoded JSON request body.
 */
export function joinHandler(deps: {
  pki: Pki;
  tokens: TokenStore;
  revocations?: { cutoffOf(user: string): number | undefined };
  nameHeld?: NodeNameHeld;
  /** Told of every refused join (the server logs it: an operator sees why a node cannot join). */
  onRefused?: (nodeName: string, why: string) => void;
}) {
  return async (bearer: string | undefined, body: unknown): Promise<JoinResponse> => {
    const named = (body as { nodeName?: unknown } | null)?.nodeName;
    const nodeName = typeof named === 'string' ? named.slice(0, 253) : '';
    try {
      if (!bearer) throw new JoinRefused('a join token is required (Authorization: Bearer)', 'no join token');
      if (typeof named !== 'string') throw badRequest('nodeName: Required value');
      const rawAddresses = (body as { addresses?: unknown } | null)?.addresses;
      const addresses = Array.isArray(rawAddresses) ? rawAddresses.filter((a): a is string => typeof a === 'string' && a.length > 0 && a.length <= 253).slice(0, 16) : [];
      const c = await exchangeJoinToken(deps, bearer, named, addresses);
      return { status: 200, body: nodeCredentials(named, c) };
    } catch (e) {
      if (e instanceof ApiError) {
        deps.onRefused?.(nodeName, e instanceof JoinRefused ? e.why : e.message);
        return { status: e.code, body: e.toStatus() };
      }
      throw e;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Agent side

function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/**
 * Opens TLS to the server WITHOUT verifying it and returns the root (self-signed) certificate
 * of the presented chain as PEM. Sends nothing but the handshake. The result is untrusted until
 * `verifyServerCa` accepted it.
 */
export function fetchServerCaPem(serverUrl: string): Promise<string> {
  const u = new URL(serverUrl);
  if (u.protocol !== 'https:') return Promise.reject(new Error(`server URL must be https: ${serverUrl}`));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host, port: Number(u.port || 443), rejectUnauthorized: false, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }) }, () => {
      try {
        let c: DetailedPeerCertificate = sock.getPeerCertificate(true);
        const seen = new Set<string>();
        while (c && c.issuerCertificate && c.issuerCertificate !== c && !seen.has(c.fingerprint256)) {
          seen.add(c.fingerprint256);
          c = c.issuerCertificate;
        }
        if (!c || !c.raw) throw new Error('server presented no certificate');
        const pem = derToPem(c.raw);
        const parsed = new NodeX509(pem);
        if (!parsed.ca || parsed.issuer !== parsed.subject) throw new Error('server did not present its CA certificate in the TLS chain');
        resolve(pem);
      } catch (e) {
        reject(e);
      } finally {
        sock.end();
      }
    });
    sock.on('error', reject);
  });
}

/**
 * Agent side of joining: verify the server by the token's CA hash, exchange the token for a
 * node identity and store it. Refuses tokens without a CA hash unless `insecureSkipCaVerify`.
 */
export async function joinCluster(o: { server: string; token: string; nodeName: string; dataDir: string; addresses?: string[]; insecureSkipCaVerify?: boolean }): Promise<NodeIdentityFiles> {
  const parsed = parseJoinToken(o.token);
  if (!parsed) throw new Error('malformed join token');
  const caPem = await fetchServerCaPem(o.server);
  if (parsed.caHash) verifyServerCa(caPem, parsed.caHash);
  else if (!o.insecureSkipCaVerify) throw new Error('join token carries no CA hash; refusing to trust the server');
  const u = new URL(JOIN_PATH, o.server);
  const payload = JSON.stringify({ nodeName: o.nodeName, addresses: o.addresses ?? [] });
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      u,
      { method: 'POST', ca: caPem, headers: { authorization: `Bearer ${parsed.bearer}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
  if (status !== 200) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as Status).message ?? text;
    } catch {
      /* keep raw text */
    }
    throw new Error(`join refused by server (${status}): ${msg}`);
  }
  const creds = JSON.parse(text) as NodeCredentials;
  if (caHash(creds.ca) !== caHash(caPem)) {
    throw new Error('server returned a CA different from the one it presented');
  }
  return storeNodeIdentity(o.dataDir, { certPem: creds.certificate, keyPem: creds.key, caPem: creds.ca, servingCertPem: creds.servingCertificate, servingKeyPem: creds.servingKey });
}
