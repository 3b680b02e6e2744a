// Raw HTTPS against the server (for wire-level tests that client-node cannot express:
// malformed bodies, odd methods, oversized requests). Goes through testFetch (auth.ts): the
// server's CA is trusted and the admin token sent unless `anonymous`, an own Authorization
// header, or a client certificate is given.

import type { Status } from '../../src/api/types.js';
import { testFetch } from './auth.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export async function httpRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; contentType?: string; headers?: Record<string, string>; anonymous?: boolean; token?: string; cert?: string; key?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  const res = await testFetch(url, {
    method: opts.method ?? 'GET',
    headers,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.anonymous ? { anonymous: true } : {}),
    ...(opts.cert ? { cert: opts.cert, key: opts.key ?? '' } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The body as a metav1.Status when it is one (kind Status, apiVersion v1). */
export function asStatus(body: unknown): Status | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const s = body as Partial<Status>;
  return s.kind === 'Status' && s.apiVersion === 'v1' ? (s as Status) : undefined;
}
