import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, realClock, sleep } from '../util/index.js';
import * as grpc from '@grpc/grpc-js';
import { ProbeWorker, decodeHealthCheckResponse, encodeHealthCheckRequest, probeUserAgent, runProbe, type ProbeOutcome } from './probes.js';
import { FakeRuntime } from './runtime/fake-runtime.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

const noExec = { execSync: async () => ({ exitCode: 1, output: '', timedOut: false }) };

describe('runProbe', () => {
  it('httpGet: 2xx/3xx succeed, others fail; named ports, headers and the kube-probe user agent', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const server = createHttpServer((req, res) => {
      seen.push({ url: req.url, ua: req.headers['user-agent'], x: req.headers['x-check'] as string | undefined });
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 503;
      res.end('body');
    });
    const port = await listen(server);
    const target = { containerId: 'x', host: '127.0.0.1', ports: [{ name: 'http', containerPort: port }] };
    const probe = (path: string, p: number | string = port) => runProbe({ httpGet: { path, port: p, httpHeaders: [{ name: 'X-Check', value: '1' }] } }, target, noExec, realClock);
    expect((await probe('/healthz')).result).toBe('success');
    expect((await probe('/healthz', 'http')).result).toBe('success');
    expect((await probe('/moved')).result).toBe('success');
    const bad = await probe('/broken');
    expect(bad).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
    expect(seen[0]).toEqual({ url: '/healthz', ua: probeUserAgent, x: '1' });
    expect((await probe('/healthz', 'nope')).result).toBe('failure');
    // Nothing listening: Go's words inside the kubelet's.
    await new Promise<void>((r) => server.close(() => r()));
    cleanups.pop();
    expect(await probe('/healthz')).toEqual({ result: 'failure', output: `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused` });
  });

  it('httpGet follows redirects to the same host (at most 10); a redirect elsewhere passes with a warning', async () => {
    let healthy = true;
    const seen: string[] = [];
    const server = createHttpServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push(`${u.pathname}${u.search}`);
      if (u.pathname === '/healthz') {
        res.statusCode = healthy ? 200 : 500;
        res.end(healthy ? 'fine' : 'sick');
      } else if (u.pathname === '/redirect') {
        res.writeHead(302, { Location: u.searchParams.get('loc') ?? '/' });
        res.end(`<a href="${u.searchParams.get('loc') ?? '/'}">Found</a>.\n\n`);
      } else if (u.pathname === '/loop') {
        res.writeHead(301, { Location: '/loop' });
        res.end();
      } else {
        res.end('root');
      }
    });
    const port = await listen(server);
    const target = { containerId: 'x', host: '127.0.0.1' };
    const probe = (path: string) => runProbe({ httpGet: { path, port } }, target, noExec, realClock);
    // A local redirect is followed: its target decides.
    expect(await probe(`/redirect?loc=${encodeURIComponent('/healthz')}`)).toEqual({ result: 'success', output: 'fine' });
    healthy = false;
    expect(await probe(`/redirect?loc=${encodeURIComponent('/healthz')}`)).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    // The same host name on another port or scheme is still local.
    expect((await probe(`/redirect?loc=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`)).output).toBe('root');
    // Another host: not followed, a success with upstream's warning.
    seen.length = 0;
    expect(await probe(`/redirect?loc=${encodeURIComponent('http://0.0.0.0/')}`)).toEqual({
      result: 'success',
      output: 'Probe terminated redirects, Response body: <a href="http://0.0.0.0/">Found</a>.\n\n',
      warning: true,
    });
    expect(seen).toEqual(['/redirect?loc=http%3A%2F%2F0.0.0.0%2F']);
    // A redirect loop stops after 10 requests.
    seen.length = 0;
    const loop = await probe('/loop');
    expect(loop.result).toBe('failure');
    expect(loop.output).toBe(`Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`);
    expect(seen).toHaveLength(10);
  });

  it('a probe that passes with a warning is reported through onWarning', async () => {
    const clock = new FakeClock();
    const warnings: string[] = [];
    const w = new ProbeWorker({
      type: 'liveness',
      probe: { httpGet: { port: 1 }, periodSeconds: 1 },
      clock,
      startedAt: clock.now(),
      run: async () => ({ result: 'success', output: 'Probe terminated redirects, Response body: x', warning: true }),
      onResult: () => undefined,
      onWarning: (o) => warnings.push(o),
    });
    w.start();
    clock.advance(10);
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
    w.stop();
    expect(warnings).toEqual(['Probe terminated redirects, Response body: x']);
    expect(w.result).toBe('success');
  });

  it('httpGet times out after timeoutSeconds', async () => {
    const server = createHttpServer(() => {
      // never answers
    });
    const port = await listen(server);
    cleanups.push(() => server.closeAllConnections());
    const r = await runProbe({ httpGet: { path: '/', port }, timeoutSeconds: 1 }, { containerId: 'x', host: '127.0.0.1' }, noExec, realClock);
    expect(r.result).toBe('failure');
    expect(r.output).toContain('deadline exceeded');
  });

  it('tcpSocket: open port succeeds, closed port fails', async () => {
    const server = createTcpServer((s) => s.destroy());
    const port = await listen(server);
    const target = { containerId: 'x', host: '127.0.0.1' };
    expect((await runProbe({ tcpSocket: { port } }, target, noExec, realClock)).result).toBe('success');
    await new Promise<void>((r) => server.close(() => r()));
    cleanups.pop();
    const closed = await runProbe({ tcpSocket: { port } }, target, noExec, realClock);
    expect(closed.result).toBe('failure');
    // In Go's words, as the kubelet's probe messages carry them.
    expect(closed.output).toBe(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('exec: exit code 0 succeeds', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime(clock);
    await rt.runPodSandbox({ uid: 'u', name: 'p', namespace: 'd', logDirectory: '/x' });
    const c = await rt.startContainer('u', { uid: 'u', name: 'p', namespace: 'd', logDirectory: '/x' }, { name: 'c', attempt: 0, image: 'i', command: ['x'], args: [], env: [], logPath: 'c/0.log', labels: {} });
    rt.exec = (_c, cmd) => ({ exitCode: cmd[0] === 'ok' ? 0 : 2, output: 'out' });
    expect(await runProbe({ exec: { command: ['ok'] } }, { containerId: c.id, host: '' }, rt, clock)).toEqual({ result: 'success', output: 'out' });
    expect(await runProbe({ exec: { command: ['bad'] } }, { containerId: c.id, host: '' }, rt, clock)).toEqual({ result: 'failure', output: 'out' });
    // A failure without output says nothing more, as the kubelet's exec prober.
    rt.exec = () => ({ exitCode: 1, output: '' });
    expect(await runProbe({ exec: { command: ['bad'] } }, { containerId: c.id, host: '' }, rt, clock)).toEqual({ result: 'failure', output: '' });
  });
});

/** The User-Agent of every health check the servers below answered. */
const userAgents: string[] = [];

/** A gRPC server on 127.0.0.1 implementing grpc.health.v1.Health/Check from `statuses` (service -> status). */
async function healthServer(statuses: Record<string, number> | undefined): Promise<number> {
  const server = new grpc.Server();
  const id = (x: Buffer): Buffer => x;
  if (statuses) {
    server.addService(
      { Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id, originalName: 'Check' } },
      {
        Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          // The request is one length-delimited field 1 (or empty): the service name.
          const service = call.request.length > 2 ? call.request.subarray(2).toString('utf8') : '';
          userAgents.push(String(call.metadata.get('user-agent')[0] ?? ''));
          const st = statuses[service];
          if (st === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else cb(null, st === 0 ? Buffer.alloc(0) : Buffer.from([0x08, st]));
        },
      },
    );
  }
  const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))));
  cleanups.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return port;
}

describe('gRPC probes', () => {
  it('encode the request and decode the answer of grpc.health.v1', () => {
    expect(encodeHealthCheckRequest('')).toEqual(Buffer.alloc(0));
    expect(encodeHealthCheckRequest('db')).toEqual(Buffer.from([0x0a, 2, 0x64, 0x62]));
    expect(decodeHealthCheckResponse(Buffer.alloc(0))).toBe(0);
    expect(decodeHealthCheckResponse(Buffer.from([0x08, 1]))).toBe(1);
    // Unknown fields are skipped; a truncated message is malformed.
    expect(decodeHealthCheckResponse(Buffer.from([0x12, 1, 0x41, 0x08, 2]))).toBe(2);
    expect(decodeHealthCheckResponse(Buffer.from([0x12, 5, 0x41]))).toBeUndefined();
  });

  it('succeed for SERVING only, with the kubelet\'s messages otherwise', async () => {
    const port = await healthServer({ '': 1, db: 2, cache: 0 });
    const target = { containerId: 'x', host: '127.0.0.1' };
    const probe = (service?: string, p = port) => runProbe({ grpc: { port: p, ...(service !== undefined ? { service } : {}) }, timeoutSeconds: 2 }, target, noExec, realClock);
    expect(await probe()).toEqual({ result: 'success', output: 'service healthy' });
    // As the kubelet's: its kube-probe User-Agent first.
    expect(userAgents.at(-1)).toMatch(/^kube-probe\/1\.32 grpc-node-js\//);
    expect(await probe('db')).toEqual({ result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await probe('cache')).toEqual({ result: 'failure', output: 'service unhealthy (responded with "UNKNOWN")' });
    expect((await probe('nope')).output).toMatch(/^error: health rpc probe failed: .*unknown service/);

    const bare = await healthServer(undefined);
    expect((await probe(undefined, bare)).output).toMatch(/^this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\)/);

    const closed = await listen(createTcpServer());
    await cleanups.pop()!(); // nothing listens there any more
    const down = await probe(undefined, closed);
    expect(down.result).toBe('failure');
    expect(down.output).toMatch(/^timeout: failed to connect service "127\.0\.0\.1:\d+" within 2s/);
  });
});

describe('ProbeWorker', () => {
  it('starts an attempt every period, however long the last one took (a ticker, as the kubelet)', async () => {
    const clock = new FakeClock();
    const began: number[] = [];
    const t0 = clock.now();
    const w = new ProbeWorker({
      type: 'readiness',
      probe: { httpGet: { port: 1 }, periodSeconds: 2, timeoutSeconds: 1 },
      clock,
      startedAt: t0,
      // Each attempt takes its whole 1 s timeout.
      run: async (): Promise<ProbeOutcome> => {
        began.push((clock.now() - t0) / 1000);
        await sleep(clock, 1000);
        return { result: 'failure', output: 'timeout' };
      },
      onResult: () => undefined,
    });
    w.start();
    for (let i = 0; i < 70; i++) {
      clock.advance(100);
      for (let j = 0; j < 3; j++) await new Promise((r) => setImmediate(r));
    }
    w.stop();
    expect(began).toEqual([0, 2, 4, 6]);
  });

  it('honours initialDelaySeconds, periodSeconds and the thresholds', async () => {
    const clock = new FakeClock();
    const outcomes: ('success' | 'failure')[] = [];
    let next: 'success' | 'failure' = 'failure';
    const results: string[] = [];
    const w = new ProbeWorker({
      type: 'readiness',
      probe: { exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 2, successThreshold: 2, failureThreshold: 2 },
      clock,
      startedAt: clock.now(),
      run: async (): Promise<ProbeOutcome> => {
        outcomes.push(next);
        return { result: next, output: '' };
      },
      onResult: (_t, r) => results.push(`${(clock.now() - Date.UTC(2024, 0, 1)) / 1000}:${r}`),
    });
    w.start();
    const step = async (s: number) => {
      for (let i = 0; i < s; i++) {
        clock.advance(1000);
        await new Promise((r) => setImmediate(r));
      }
    };
    expect(w.result).toBe('failure');
    await step(4);
    expect(outcomes).toEqual([]);
    next = 'success';
    await step(3); // probes at 5 s and 7 s
    expect(results).toEqual(['7:success']);
    next = 'failure';
    await step(4); // probes at 9 s and 11 s
    expect(results).toEqual(['7:success', '11:failure']);
    w.stop();
    await step(10);
    expect(outcomes).toHaveLength(4);
  });
});
