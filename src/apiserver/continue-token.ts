// List continue tokens: opaque to clients, base64url of {"v":"meta.k8s.io/v1","rv":N,"start":K}
// where rv is the revision the first page was read at (every page reads that snapshot) and
// start the last returned key relative to the list prefix (the next page starts after it).
// A token for another prefix cannot escape its list: keys are always re-joined to the prefix.

import { badRequest } from '../api/errors.js';
import { goJsonSyntaxError } from '../util/index.js';

export interface ContinueToken {
  /** -1: continue at the latest revision (handed out with an expired token's 410, as upstream). */
  rv: number;
  /** Last returned key, relative to the list prefix. */
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

/**
 * The token a client sent back, or a 400 in upstream's words: the storage's DecodeContinue
 * messages behind `invalid continue token: `.
 */
export function decodeContinue(token: string): ContinueToken {
  const invalid = (detail: string) => badRequest(`invalid continue token: continue key is not valid${detail}`);
  if (!/^[A-Za-z0-9_-]*$/.test(token)) {
    const at = token.search(/[^A-Za-z0-9_-]/);
    throw invalid(`: illegal base64 data at input byte ${at}`);
  }
  const text = Buffer.from(token, 'base64url').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`: ${goJsonSyntaxError(text) ?? (err instanceof Error ? err.message : String(err))}`);
  }
  const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== 'meta.k8s.io/v1') throw invalid(`: server does not recognize this encoded version ${typeof p.v === 'string' ? p.v : ''}`);
  if (typeof p.rv !== 'number' || !Number.isInteger(p.rv) || (p.rv <= 0 && p.rv !== -1)) throw invalid(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.start !== 'string' || p.start === '') throw invalid(': encoded start key empty (version meta.k8s.io/v1)');
  // A key that would climb out of its list (upstream cleans the path and refuses a change).
  if (p.start.split('/').some((seg) => seg === '..' || seg === '.')) throw invalid(`: ${p.start}`);
  return { rv: p.rv, start: p.start };
}
