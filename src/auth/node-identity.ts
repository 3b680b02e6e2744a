// A node's identity on disk (`<dataDir>/identity/`): client certificate and key (the API
// credential, CN system:node:<name>, O system:nodes), serving certificate and key (the agent's
// HTTPS endpoint), and the cluster CA. Keys mode 0600, dir 0700. No X.509 dependency, so the
// agent loads it without the PKI code.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from './files.js';

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
