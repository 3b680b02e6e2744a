// The transport seam under RestClient: `(request) => response`, where the body is always a
// stream of chunks so one shape serves plain requests and watches. HttpTransport implements it
// over node:http/https; an in-process transport calling the apiserver's handler without
// sockets will implement the same function type.

import type { WatchEvent } from './api-client.js';

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute path plus query, e.g. `/api/v1/namespaces/default/pods?watch=true`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request / stream. */
  signal?: AbortSignal;
  /**
   * A watch whose client takes events as objects: a transport that can (the in-process one,
   * see src/api/watch-objects.ts) may then yield WatchObjectChunks in the body, in order
   * among the other chunks. Others ignore it.
   */
  objectWatch?: boolean;
  /**
   * The caller reads the whole answer as text (RestClient's plain requests): a transport that
   * can (the in-process one) may then answer with a WholeBody. Others ignore it.
   */
  wholeAnswer?: boolean;
}

/** One watch event handed over as an object (the object is shared and read-only). */
export interface WatchObjectChunk {
  readonly watchEvent: WatchEvent;
  /** What the event would have weighed as a JSON line. */
  readonly bytes: number;
}

export function isWatchObjectChunk(c: unknown): c is WatchObjectChunk {
  return typeof c === 'object' && c !== null && !(c instanceof Uint8Array) && 'watchEvent' in c;
}

export type BodyChunk = Uint8Array | string | WatchObjectChunk;

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<BodyChunk>;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/**
 * A body the transport holds whole (an in-process answer to a `wholeAnswer` request): `text()`
 * resolves with all of it once the server ended the answer, and rejects like a cut connection
 * if the server destroyed it first. Iterating it yields that text as one chunk.
 */
export interface WholeBody extends AsyncIterable<BodyChunk> {
  text(): Promise<string>;
}

function isWholeBody(body: AsyncIterable<BodyChunk>): body is WholeBody {
  return typeof (body as Partial<WholeBody>).text === 'function';
}

/** The whole body as text (an object chunk becomes its JSON line). */
export async function readAll(body: AsyncIterable<BodyChunk>): Promise<string> {
  if (isWholeBody(body)) return body.text();
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(chunkBytes(c));
  return Buffer.concat(parts).toString('utf8');
}

export function chunkBytes(c: BodyChunk): Buffer {
  if (typeof c === 'string') return Buffer.from(c);
  if (isWatchObjectChunk(c)) return Buffer.from(`${JSON.stringify(c.watchEvent)}\n`);
  return Buffer.from(c);
}
