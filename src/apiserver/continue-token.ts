// List continue tokens: opaque to clients, base64url of {"v":"meta.k8s.io/v1","rv":N,"start":K}
// where rv is the revision the first page was read at (every page reads that snapshot) and
// start the last returned key relative to the list prefix (the next page starts after it).
// A token for another prefix cannot escape its list: keys are always re-joined to the prefix.

import { badRequest } from '../api/errors.js';

export interface ContinueToken {
  /** -1: continue at the latest revision (handed out with an expired token's 410, as upstream). */
  rv: number;
  /** Last returned key, relative to the list prefix. */
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: not a valid token');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown } | null;
  if (!p || typeof p !== 'object' || p.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.rv !== 'number' || !Number.isInteger(p.rv) || (p.rv <= 0 && p.rv !== -1)) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.start !== 'string' || p.start === '' || p.start.includes('..')) throw badRequest('continue key is not valid: encoded start key is invalid');
  return { rv: p.rv, start: p.start };
}
