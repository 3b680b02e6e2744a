// preStop handlers on their own: httpGet against a real local server, exec through a stub
// runtime's execStream, sleep on a manual clock, and the budget that cuts each of them off.

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, realClock } from '../util/index.js';
import { lifecycleUserAgent, runPreStopHook } from './lifecycle.js';
import type { ContainerRuntime, ExecIO } from './runtime/interface.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

/** A runtime that has only what hooks use; the others are never called. */
function stubRuntime(over: Partial<ContainerRuntime>): ContainerRuntime {
  return over as ContainerRuntime;
}

async function listen(status: number): Promise<{ port: number; seen: { url: string; headers: IncomingHttpHeaders }[] }> {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.statusCode = status;
    res.end('bye');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Lets promise callbacks and I/O run. */
const turn = () => new Promise((r) => setImmediate(r));

describe('runPreStopHook', () => {
  it('httpGet: the default host, a named container port, path and headers; any answer completes it', async () => {
    const { port, seen } = await listen(500);
    const r = await runPreStopHook(
      { httpGet: { port: 'admin', path: 'drain?now=1', httpHeaders: [{ name: 'X-Reason', value: 'shutdown' }] } },
      { containerId: 'c1', host: '127.0.0.1', ports: [{ name: 'admin', containerPort: port }] },
      stubRuntime({}),
      realClock,
      5000,
    );
    expect(r).toMatchObject({ completed: true });
    expect(r.error).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/drain?now=1');
    expect(seen[0]!.headers['x-reason']).toBe('shutdown');
    expect(seen[0]!.headers['user-agent']).toBe(lifecycleUserAgent);
  });

  it('httpGet: an unknown named port and a refused connection are failures', async () => {
    // A port nothing listens on: one the OS just gave out and took back.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const target = { containerId: 'c1', host: '127.0.0.1', ports: [] };
    const unknown = await runPreStopHook({ httpGet: { port: 'nope' } }, target, stubRuntime({}), realClock, 5000);
    expect(unknown).toMatchObject({ completed: true, error: 'unknown port "nope"' });
    const refused = await runPreStopHook({ httpGet: { port } }, target, stubRuntime({}), realClock, 5000);
    expect(refused.completed).toBe(true);
    expect(refused.error).toContain(`GET http://127.0.0.1:${port}/: `);
    expect(refused.error).toContain('ECONNREFUSED');
  });

  it('exec runs through execStream; at the end of the budget it is aborted and reported as not completed', async () => {
    const clock = new FakeClock();
    const calls: { id: string; command: string[]; io: ExecIO }[] = [];
    const runtime = stubRuntime({
      execStream: (id, command, io) => {
        calls.push({ id, command, io });
        io.stdout.write('draining\n');
        return new Promise((resolve) => io.signal!.addEventListener('abort', () => resolve({ exitCode: 137 })));
      },
    });
    let result: Awaited<ReturnType<typeof runPreStopHook>> | undefined;
    void runPreStopHook({ exec: { command: ['drain', '--all'] } }, { containerId: 'c1', host: 'x' }, runtime, clock, 3000).then((r) => (result = r));
    await turn();
    expect(calls.map((c) => [c.id, c.command])).toEqual([['c1', ['drain', '--all']]]);
    clock.advance(2999);
    await turn();
    expect(result).toBeUndefined();
    expect(calls[0]!.io.signal!.aborted).toBe(false);
    clock.advance(1);
    await turn();
    expect(result).toEqual({ completed: false, elapsedMs: 3000, error: 'the preStop hook did not complete within the grace period (3s)' });
    expect(calls[0]!.io.signal!.aborted).toBe(true);
  });

  it('exec: a non-zero exit is a failure with the output; without execStream execSync runs it', async () => {
    const streamed = stubRuntime({
      execStream: async (_id, _command, io) => {
        io.stderr.write('no such socket');
        return { exitCode: 2 };
      },
    });
    expect(await runPreStopHook({ exec: { command: ['drain'] } }, { containerId: 'c1', host: 'x' }, streamed, realClock, 5000)).toMatchObject({
      completed: true,
      error: 'command ["drain"] exited with 2: "no such socket"',
    });
    const timeouts: number[] = [];
    const plain = stubRuntime({
      execSync: async (_id, _command, timeoutMs) => {
        timeouts.push(timeoutMs);
        return { exitCode: 0, output: '', timedOut: false };
      },
    });
    const ok = await runPreStopHook({ exec: { command: ['drain'] } }, { containerId: 'c1', host: 'x' }, plain, realClock, 4000);
    expect(ok).toMatchObject({ completed: true });
    expect(ok.error).toBeUndefined();
    expect(timeouts).toEqual([4000]);
  });

  it('sleep waits on the clock, and is cut short at the budget', async () => {
    const clock = new FakeClock();
    let short: Awaited<ReturnType<typeof runPreStopHook>> | undefined;
    void runPreStopHook({ sleep: { seconds: 1 } }, { containerId: 'c1', host: 'x' }, stubRuntime({}), clock, 5000).then((r) => (short = r));
    await turn();
    clock.advance(1000);
    await turn();
    expect(short).toEqual({ completed: true, elapsedMs: 1000 });
    expect(clock.pendingTimers()).toBe(0);

    let long: Awaited<ReturnType<typeof runPreStopHook>> | undefined;
    void runPreStopHook({ sleep: { seconds: 60 } }, { containerId: 'c1', host: 'x' }, stubRuntime({}), clock, 2000).then((r) => (long = r));
    await turn();
    clock.advance(2000);
    await turn();
    expect(long).toMatchObject({ completed: false, elapsedMs: 2000 });
    // The sleep's own timer went with it.
    expect(clock.pendingTimers()).toBe(0);
  });

  it('tcpSocket is not a hook', async () => {
    const r = await runPreStopHook({ tcpSocket: { port: 80 } }, { containerId: 'c1', host: 'x' }, stubRuntime({}), realClock, 1000);
    expect(r).toMatchObject({ completed: true, error: 'tcpSocket is not supported as a lifecycle handler' });
  });
});
