// The transport seam under RestClient: `(request) => response`, where the body is always a
// stream of chunks so one shape serves plain requests and watches. HttpTransport implements it
// over node:http/https; an in-process transport calling the apiserver's handler without
// sockets will implement the same function type.

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute path plus query, e.g. `/api/v1/namespaces/default/pods?watch=true`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request / stream. */
  signal?: AbortSignal;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array | string>;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

export async function readAll(body: AsyncIterable<Uint8Array | string>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}
