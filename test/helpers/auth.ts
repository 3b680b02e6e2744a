// Talking to a secured server from tests: the server speaks HTTPS with its own CA and wants a
// credential (issue 7). Node 20's global fetch cannot take a custom CA, so `testFetch` is a
// fetch-compatible function over node:https.
//
// Contract:
// - Every server started by the helpers (startTestServer, startServerProcess) registers its
//   origin with its CA and admin token (`registerServer`). `testFetch(url)` to a registered
//   origin trusts that CA and sends the admin token, unless the request carries its own
//   Authorization header, `anonymous: true`, or a client certificate (`cert`/`key`).
// - Unregistered https origins are refused (tests never skip verification).
// - Credentials for other identities: `createUserToken` (a bearer token for any user/groups),
//   `issueTestClientCert` (a client certificate signed by the server's CA), and
//   `writeKubeconfigFor` (a kubeconfig file for client-node or the CLI with either).

import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { issueClientCert, kubeconfigWithCredentials, TokenStore, type KubeconfigCredential } from '../../src/auth/index.js';

export interface ServerCredentials {
  /** The CA certificate (PEM) the server's certificate chains to. */
  caPem: string;
  /** The admin bearer token (from the kubeconfig). */
  token: string;
}

const byOrigin = new Map<string, ServerCredentials>();

export function registerServer(url: string, creds: ServerCredentials): void {
  byOrigin.set(new URL(url).origin, creds);
}

/** CA and admin token from a kubeconfig written by the server. */
export function credentialsFromKubeconfig(path: string): ServerCredentials {
  const doc = parseYaml(readFileSync(path, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return {
    caPem: Buffer.from(doc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token: doc.users[0]!.user.token,
  };
}

/** The registered credentials of the server at `url`'s origin. */
export function serverCredentials(url: string): ServerCredentials {
  const c = byOrigin.get(new URL(url).origin);
  if (!c) throw new Error(`no credentials registered for ${new URL(url).origin} (start servers with the test helpers)`);
  return c;
}

export interface TestFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | Buffer | Uint8Array;
  signal?: AbortSignal;
  /** Send no credential. */
  anonymous?: boolean;
  /** Authenticate with this client certificate instead of the admin token. */
  cert?: string;
  key?: string;
}

const nullBodyStatus = new Set([101, 204, 205, 304]);

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else h.set(k, v);
  }
  return h;
}

/** fetch() for test servers: trusts the registered CA and authenticates (see the file comment). */
export function testFetch(url: string, init: TestFetchInit = {}): Promise<Response> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (init.headers instanceof Headers) init.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
  else for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  const https = u.protocol === 'https:';
  let ca: string | undefined;
  if (https) {
    const creds = serverCredentials(url);
    ca = creds.caPem;
    if (!init.anonymous && !init.cert && headers['authorization'] === undefined) headers['authorization'] = `Bearer ${creds.token}`;
  }
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  if (body) headers['content-length'] = String(body.length);
  return new Promise<Response>((resolve, reject) => {
    const opts = {
      method: init.method ?? 'GET',
      headers,
      agent: false as const,
      ...(init.signal ? { signal: init.signal } : {}),
      ...(https ? { ca, ...(init.cert ? { cert: init.cert, key: init.key } : {}) } : {}),
    };
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const h = toHeaders(res);
      if (nullBodyStatus.has(status)) {
        res.resume();
        resolve(new Response(null, { status, headers: h }));
        return;
      }
      resolve(new Response(Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>, { status, headers: h }));
    };
    const req = https ? httpsRequest(u, opts, onResponse) : httpRequest(u, opts, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}

/** A bearer token for `user` in `groups`, valid at once on the server owning `dataDir`. */
export function createUserToken(dataDir: string, user: string, groups: string[] = [], o: { ttlSeconds?: number } = {}): string {
  return new TokenStore(dataDir).create({ user, groups, kind: 'user', ...(o.ttlSeconds ? { ttlSeconds: o.ttlSeconds } : {}) }).token;
}

/** A client certificate (CN = user, O = groups) signed by the CA of the server owning `dataDir`. */
export async function issueTestClientCert(server: { pki: Parameters<typeof issueClientCert>[0] }, user: string, groups: string[] = []): Promise<{ certPem: string; keyPem: string }> {
  return issueClientCert(server.pki, { commonName: user, organizations: groups, days: 1 });
}

/** Writes a kubeconfig for `url` with `credential` into `dir/<name>.yaml` (mode 0600); returns its path. */
export function writeKubeconfigFor(dir: string, name: string, url: string, credential: KubeconfigCredential): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, kubeconfigWithCredentials({ server: url, caPem: serverCredentials(url).caPem, credential, user: name }), { mode: 0o600 });
  return path;
}
