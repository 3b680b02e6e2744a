// A node:http2 client session to a test server, and one request on it: what kubectl and
// client-go speak to the API server (HTTP/2 over TLS).

import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { Cleanup } from './cleanup.js';
import type { TestServer } from './server.js';

/** A session to `ts` trusting its CA, destroyed by `cleanup`; session errors are left to the requests. */
export function openHttp2Session(ts: TestServer, cleanup: Cleanup): ClientHttp2Session {
  const s = connect(ts.server.url, { ca: ts.caPem });
  s.on('error', () => undefined);
  cleanup.defer(() => {
    s.destroy();
  }, 'http2 session');
  return s;
}

/** One request on `s` with `token` (a JSON body when `body` is given): status, headers and body text. */
export function http2Request(
  s: ClientHttp2Session,
  token: string,
  method: string,
  path: string,
  o: { body?: string; headers?: Record<string, string | string[]> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const st = s.request({
      ':method': method,
      ':path': path,
      authorization: `Bearer ${token}`,
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...o.headers,
    });
    let headers: IncomingHttpHeaders = {};
    let text = '';
    st.on('response', (h) => (headers = h));
    st.on('data', (c: Buffer) => (text += c.toString()));
    st.on('end', () => resolve({ status: Number(headers[':status']), headers, text }));
    st.on('error', reject);
    st.end(o.body);
  });
}
