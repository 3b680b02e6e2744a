// Raw HTTPS against the server (for wire-level tests that client-node cannot express:
// malformed bodies, odd methods, oversized requests). Goes through testFetch (auth.ts): the
// server's CA is trusted and the admin token sent unless `anonymous`, an own Authorization
// header, or a client certificate is given.

import type { Status } from '../../src/api/types.js';
import { request as httpsRequest } from 'node:https';
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

/** An answer as the integration tests read it: `body` is the parsed JSON (undefined when not JSON). */
export interface ApiAnswer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/**
 * `call(method, path, body?, contentType?, headers?)` against the server at `base()` (read per
 * call, so a restarted server's new URL is used): objects are sent as JSON, strings as they are.
 */
export function apiCaller(base: () => string): (method: string, path: string, body?: unknown, contentType?: string, headers?: Record<string, string>) => Promise<ApiAnswer> {
  return async (method, path, body, contentType = 'application/json', headers = {}) => {
    const a = await httpRequest(base() + path, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), contentType } : {}),
    });
    return { status: a.status, body: a.json, text: a.text, headers: a.headers };
  };
}

/**
 * A request with `token` whose body is sent only when `finish` is called: the server holds it
 * in flight (authenticated, authorized, admitted by the in-flight limit) while it waits for the
 * rest. `answer` resolves with the status once it is answered.
 */
export function heldRequest(baseUrl: string, caPem: string, token: string, method: string, path: string, body: string): { finish(): void; answer: Promise<number> } {
  const url = new URL(path, baseUrl);
  const req = httpsRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, ca: caPem, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const answer = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  return { finish: () => req.end(body.slice(10)), answer };
}
