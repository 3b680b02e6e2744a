import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { inProcessTransport } from './in-process-transport.js';
import { RestClient } from './rest-client.js';
import { readAll } from './transport.js';
import { Readable } from 'node:stream';
import { takeWholeBody, watchObjectSink, watchObjectSinkOf } from '../api/index.js';
import { podsResource } from './resources.js';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });
}

/** A transport whose handler answers 200 at once and leaves the stream open; `res()` is the last response. */
function streamingServer(): { t: ReturnType<typeof inProcessTransport>; res: () => ServerResponse } {
  let last: ServerResponse | undefined;
  const t = inProcessTransport((_req, res) => {
    last = res;
    res.writeHead(200);
    res.flushHeaders();
  });
  return { t, res: () => last! };
}

describe('inProcessTransport', () => {
  it('passes method, path, lower-case headers and body; answers status, headers and body', async () => {
    const t = inProcessTransport(async (req, res) => {
      const body = await readBody(req);
      res.setHeader('Warning', ['299 - "a"']);
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Echo': `${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['content-length']}` });
      res.end(body.toUpperCase());
    });
    const r = await t({ method: 'POST', path: '/api/v1/x?a=1', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(r.statusCode).toBe(201);
    expect(r.headers['x-echo']).toBe('POST /api/v1/x?a=1 application/json 7');
    expect(r.headers['warning']).toEqual(['299 - "a"']);
    expect(await readAll(r.body)).toBe('{"A":1}');
  });

  it('a body written without writeHead answers 200; an error Status becomes an ApiError through RestClient', async () => {
    const ok = inProcessTransport((_req, res) => res.end('plain'));
    const r = await ok({ method: 'GET', path: '/', headers: {} });
    expect(r.statusCode).toBe(200);
    expect(await readAll(r.body)).toBe('plain');

    const client = new RestClient(
      inProcessTransport((_req, res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "x" not found' }));
      }),
    );
    await expect(client.get(podsResource, 'default', 'x')).rejects.toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "x" not found' });
  });

  it('streams watch events as they are written; stopping the watch closes the server side', async () => {
    let serverRes: ServerResponse | undefined;
    let closed = false;
    const client = new RestClient(
      inProcessTransport((_req, res) => {
        serverRes = res;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        res.on('close', () => (closed = true));
      }),
    );
    const seen: string[] = [];
    const w = await client.watch(podsResource, { namespace: 'default' }, (e) => seen.push(`${e.type} ${(e.object.metadata as { name?: string } | undefined)?.name}`));
    serverRes!.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
    serverRes!.write('FIED","object":{"metadata":{"name":"a"}}}\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['ADDED a', 'MODIFIED a']);
    w.stop();
    await w.done;
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
  });

  it('the watch ends when the server ends the stream; unread bytes count in writableLength', async () => {
    const { t, res } = streamingServer();
    const r = await t({ method: 'GET', path: '/watch', headers: {} });
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 8; i++) res().write(chunk);
    // Nobody reads: the bytes stay buffered, as in a socket's send buffer.
    expect(res().writableLength).toBeGreaterThan(256 * 1024);
    res().end();
    expect((await readAll(r.body)).length).toBe(8 * 64 * 1024);
  });

  it('rejects when the handler destroys the exchange before answering, and when aborted before the answer', async () => {
    const t = inProcessTransport((_req, res) => res.destroy());
    await expect(t({ method: 'GET', path: '/', headers: {} })).rejects.toThrow(/without an answer/);
    const never = inProcessTransport(() => {});
    const ac = new AbortController();
    const p = never({ method: 'GET', path: '/', headers: {}, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('objectWatch: sink events come out in order among text chunks and weigh their bytes in writableLength', async () => {
    const { t, res } = streamingServer();
    const plain = await t({ method: 'GET', path: '/watch', headers: {} });
    expect(watchObjectSinkOf(res())).toBeUndefined();
    res().end();
    await readAll(plain.body);

    const r = await t({ method: 'GET', path: '/watch', headers: {}, objectWatch: true });
    const sink = watchObjectSinkOf(res())!;
    expect(sink).toBeDefined();
    const obj = { metadata: { name: 'a' } };
    res().write('{"type":"ADDED","object":{"metadata":{"name":"first"}}}\n');
    sink[watchObjectSink]('MODIFIED', obj, 100_000);
    expect(res().writableLength).toBeGreaterThan(100_000);
    res().end();
    const chunks: unknown[] = [];
    for await (const c of r.body) chunks.push(c);
    expect(res().writableLength).toBe(0);
    expect(typeof chunks[0]).toBe('string');
    expect(chunks[1]).toMatchObject({ watchEvent: { type: 'MODIFIED' }, bytes: 100_000 });
    expect((chunks[1] as { watchEvent: { object: unknown } }).watchEvent.object).toBe(obj);
  });

  it('objectWatch: chunks consumed in flowing mode also leave writableLength', async () => {
    const { t, res } = streamingServer();
    const r = await t({ method: 'GET', path: '/watch', headers: {}, objectWatch: true });
    const sink = watchObjectSinkOf(res())!;
    const got: unknown[] = [];
    (r.body as unknown as NodeJS.ReadableStream).on('data', (c: unknown) => got.push(c));
    for (let i = 0; i < 10; i++) sink[watchObjectSink]('ADDED', { metadata: { name: String(i) } }, 1000);
    await new Promise((done) => setImmediate(done));
    expect(got).toHaveLength(10);
    expect(res().writableLength).toBe(0);
    res().end();
  });

  it('wholeAnswer: the handler writes to a plain answer, not a stream; the caller gets the text whole after finish, then close', async () => {
    const events: string[] = [];
    let shim: ServerResponse | undefined;
    const t = inProcessTransport((_req, res) => {
      shim = res;
      res.on('finish', () => events.push('finish'));
      res.on('close', () => events.push(`close finished=${res.writableFinished}`));
      res.writeHead(200, 'OK', ['Content-Type', 'application/json']);
      expect(res.write('{"a":', () => events.push('write callback'))).toBe(true);
      res.end(Buffer.from('"é"}'), () => events.push('end callback'));
      expect(res.writableEnded).toBe(true);
    });
    const r = await t({ method: 'GET', path: '/x', headers: {}, wholeAnswer: true });
    expect(shim).not.toBeInstanceOf(Readable);
    expect(r.headers['content-type']).toBe('application/json');
    expect(await readAll(r.body)).toBe('{"a":"é"}');
    await new Promise((done) => setImmediate(done));
    expect(events).toEqual(['write callback', 'finish', 'end callback', 'close finished=true']);
    // Iterated like any body, it is the same text in one chunk.
    const chunks: unknown[] = [];
    for await (const c of r.body) chunks.push(c);
    expect(chunks).toEqual(['{"a":"é"}']);
  });

  it('wholeAnswer: an answer the handler destroys after its head fails the caller like a cut connection; before its head, the request', async () => {
    let closes = 0;
    const cut = inProcessTransport((_req, res) => {
      res.on('close', () => closes++);
      res.writeHead(200);
      res.write('{"partial":');
      res.destroy();
    });
    const r = await cut({ method: 'GET', path: '/x', headers: {}, wholeAnswer: true });
    await expect(readAll(r.body)).rejects.toThrow(/cut the answer/);
    await new Promise((done) => setImmediate(done));
    expect(closes).toBe(1);
    const early = inProcessTransport((_req, res) => res.destroy());
    await expect(early({ method: 'GET', path: '/x', headers: {}, wholeAnswer: true })).rejects.toThrow(/without an answer/);
  });

  it('hands the request body over whole to takeWholeBody, once; read as a stream instead it is one Buffer', async () => {
    const seen: unknown[] = [];
    const t = inProcessTransport(async (req, res) => {
      if (req.url === '/whole') {
        seen.push(takeWholeBody(req), takeWholeBody(req), await readBody(req));
      } else {
        seen.push(await readBody(req), takeWholeBody(req));
      }
      res.end('ok');
    });
    await readAll((await t({ method: 'POST', path: '/whole', headers: {}, body: '{"n":"ü"}' })).body);
    expect(seen).toEqual(['{"n":"ü"}', undefined, '']);
    seen.length = 0;
    await readAll((await t({ method: 'POST', path: '/stream', headers: {}, body: '{"n":"ü"}' })).body);
    expect(seen).toEqual(['{"n":"ü"}', undefined]);
  });
});
