// HTTP plumbing: bounded body reading, JSON/Status responses, Warning headers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, tooLarge } from '../api/errors.js';

/** Upstream's request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

/**
 * Reads the request body as UTF-8, at most `limit` bytes. Over the limit: rejects with 413
 * and stops buffering (the connection is closed after the response, so an endless upload
 * cannot hold the server).
 */
export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<string> {
  return (await readBodyBuffer(req, limit)).toString('utf8');
}

/** Like readBody, as bytes (protobuf bodies). */
export function readBodyBuffer(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge(`the request entity is too large: limit is ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(tooLarge(`the request entity is too large: limit is ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** Parses a JSON body; 400 with the parser's message when malformed. Empty body: undefined. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function setWarnings(res: ServerResponse, warnings: string[] | undefined): void {
  if (!warnings || warnings.length === 0) return;
  res.setHeader(
    'Warning',
    warnings.map((w) => `299 - ${JSON.stringify(w)}`),
  );
}

export function sendJson(res: ServerResponse, code: number, json: string, warnings?: string[]): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  setWarnings(res, warnings);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-cache, private' });
  res.end(json);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(err.toStatus());
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' };
  // Upstream sets Retry-After from the Status; client-go retries such answers by itself.
  const retryAfter = err.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0) headers['Retry-After'] = retryAfter;
  if (err.code === 413) {
    // The rest of an oversized upload is never read: close the connection after the answer
    // (half-close first so the client can read it, then cut).
    headers.Connection = 'close';
    res.on('finish', () => {
      const socket = res.socket;
      if (!socket) return;
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }
  res.writeHead(err.code, headers);
  res.end(body);
}
