// A node's identity on disk (`<dataDir>/identity/`): client certificate and key (the API
// credential, CN system:node:<name>, O system:nodes), serving certificate and key (the agent's
// HTTPS endpoint), and the cluster CA. Keys mode 0600, dir 0700. No X.509 dependency, so the
// agent loads it without the PKI code.

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from './files.js';
import type { NodeCredentials } from './join.js';

/** Where a node renews its identity with its current credential (server: security.ts serveRenew). */
export const RENEW_PATH = '/everynode/v1/renew';

/** A node's identity: client certificate (API), serving certificate (agent endpoint), cluster CA. */
export interface NodeIdentity {
  certPem: string;
  keyPem: string;
  caPem: string;
  servingCertPem: string;
  servingKeyPem: string;
}

export interface NodeIdentityFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  servingCertFile: string;
  servingKeyFile: string;
}

export function nodeIdentityFiles(dataDir: string): NodeIdentityFiles {
  const dir = join(dataDir, 'identity');
  return { certFile: join(dir, 'node.crt'), keyFile: join(dir, 'node.key'), caFile: join(dir, 'ca.crt'), servingCertFile: join(dir, 'serving.crt'), servingKeyFile: join(dir, 'serving.key') };
}

/** The stored identity of an agent, if it has joined before. */
export function loadNodeIdentity(dataDir: string): NodeIdentity | undefined {
  const f = nodeIdentityFiles(dataDir);
  if (![f.certFile, f.keyFile, f.caFile, f.servingCertFile, f.servingKeyFile].every((p) => existsSync(p))) return undefined;
  const r = (p: string) => readFileSync(p, 'utf8');
  return { certPem: r(f.certFile), keyPem: r(f.keyFile), caPem: r(f.caFile), servingCertPem: r(f.servingCertFile), servingKeyPem: r(f.servingKeyFile) };
}

/** Writes the identity under `<dataDir>/identity/` (dir 0700, keys 0600). */
export function storeNodeIdentity(dataDir: string, id: NodeIdentity): NodeIdentityFiles {
  const f = nodeIdentityFiles(dataDir);
  ensurePrivateDir(join(dataDir, 'identity'));
  writeFileAtomic(f.keyFile, id.keyPem, 0o600);
  writeFileAtomic(f.servingKeyFile, id.servingKeyPem, 0o600);
  writeFileAtomic(f.certFile, id.certPem, 0o644);
  writeFileAtomic(f.servingCertFile, id.servingCertPem, 0o644);
  writeFileAtomic(f.caFile, id.caPem, 0o644);
  return f;
}

/** A certificate's validity window, ms since the epoch. */
export function certificateValidity(certPem: string): { notBefore: number; notAfter: number } {
  const c = new X509Certificate(certPem);
  return { notBefore: Date.parse(c.validFrom), notAfter: Date.parse(c.validTo) };
}

/**
 * Asks `server` for a fresh identity, authenticated by the current client certificate and
 * trusting the current CA. Returns it without storing it; rejects with the server's message.
 */
export function renewNodeIdentity(server: string, current: NodeIdentity, timeoutMs = 30_000): Promise<NodeIdentity> {
  const u = new URL(RENEW_PATH, server);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(u, { method: 'POST', ca: current.caPem, cert: current.certPem, key: current.keyPem, headers: { 'content-type': 'application/json', 'content-length': 2 }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = JSON.parse(text) as Partial<NodeCredentials> & { message?: string };
          if (res.statusCode !== 200) throw new Error(`renewal refused by the server (${res.statusCode}): ${body.message ?? text}`);
          if (!body.certificate || !body.key || !body.ca || !body.servingCertificate || !body.servingKey) throw new Error('renewal answer lacks credentials');
          resolve({ certPem: body.certificate, keyPem: body.key, caPem: body.ca, servingCertPem: body.servingCertificate, servingKeyPem: body.servingKey });
        } catch (e) {
          reject(e instanceof SyntaxError ? new Error(`renewal answer is not JSON (${res.statusCode})`) : e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`renewal timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end('{}');
  });
}

