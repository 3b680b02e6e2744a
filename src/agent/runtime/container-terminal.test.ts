// Containers with `tty` on the ProcessRuntime, with real processes: under util-linux script(1)
// on a pseudo-terminal where the host has it (skipped otherwise), as without tty with terminals
// off. Every process started here carries a unique marker in its command line (or, for those
// that drop the container's mark, a unique sleep argument) that /proc is searched for.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerConfig, PodSandboxConfig, TerminalAttachIO } from './interface.js';
import { ProcessRuntime } from './process-runtime.js';
import { readProcStat } from './proc.js';
import { detectTerminalTools } from './terminal.js';
import { killAllWith, live, until } from './testing/processes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

const tools = detectTerminalTools(process.env.PATH ?? '');

async function setup(terminalTools?: false) {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-tty-ctr-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = join(dir, 'state');
  const rt = await ProcessRuntime.open({ stateDir, exitPollMs: 50, ...(terminalTools === false ? { terminalTools } : {}) });
  const marker = `everynode-tty-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => killAllWith(marker));
  const sandbox: PodSandboxConfig = { uid: 'uid-1', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
  const sandboxId = await rt.runPodSandbox(sandbox);
  const config = (over: Partial<ContainerConfig>): ContainerConfig => ({
    name: 'c',
    attempt: 0,
    image: 'sh',
    command: [],
    args: [],
    env: [],
    logPath: `${over.name ?? 'c'}/0.log`,
    labels: { 'io.kubernetes.pod.uid': 'uid-1' },
    tty: true,
    ...over,
  });
  const start = async (over: Partial<ContainerConfig>) => {
    const info = await rt.startContainer(sandboxId, sandbox, config(over));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    return info;
  };
  return { dir, stateDir, rt, marker, start };
}

/** A TerminalAttachIO collecting output, with input the test types and ends, and a resize hook. */
function attachIO(withStdin = true) {
  let out = '';
  const chunks: Buffer[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let resize: ((s: { cols: number; rows: number }) => void) | undefined;
  let opened = false;
  async function* stdin(): AsyncGenerator<Buffer> {
    for (;;) {
      const c = chunks.shift();
      if (c) yield c;
      else if (ended) return;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  const abort = new AbortController();
  const value: TerminalAttachIO = {
    ...(withStdin ? { stdin: stdin() } : {}),
    stdout: new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) }),
    signal: abort.signal,
    onResize: (l) => (resize = l),
    onOpen: () => (opened = true),
  };
  return {
    value,
    abort,
    type: (s: string) => {
      chunks.push(Buffer.from(s));
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
    resize: (cols: number, rows: number) => resize!({ cols, rows }),
    out: () => out,
    opened: () => opened,
  };
}

/** How `text` shows up in `out` after offset `from`; waits for it. */
async function expectOut(x: { out: () => string }, re: RegExp, from = 0, ms = 10_000): Promise<number> {
  let end = -1;
  await until(() => {
    const m = re.exec(x.out().slice(from));
    if (m) end = from + m.index + m[0].length;
    return m !== null;
  }, ms).catch(() => {
    throw new Error(`${re} not in the terminal output after ${from}: ${JSON.stringify(x.out())}`);
  });
  return end;
}

/** Descriptors of this process (the agent's): none may be left by a container. */
function fdTargets(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory's own descriptor
    }
  }
  return out.sort();
}

/** The one process with `tag` is `sleep` (env and sh have exec'd it). */
const sleeping = (tag: string): boolean => {
  const found = live(tag);
  return found.length === 1 && readProcStat(found[0]!.pid)?.comm === 'sleep';
};

/** The container's record as the runtime wrote it. */
function record(stateDir: string, id: string): { terminal?: { sid?: number; slave?: string }; info: { terminal?: boolean } } {
  return JSON.parse(readFileSync(join(stateDir, 'containers', `${id}.json`), 'utf8')) as ReturnType<typeof record>;
}

/** A `sleep` argument unique to this run, found by pidsWith even in a process without the container's mark. */
const sleepTag = (): string => `${700_000 + Math.floor(Math.random() * 1000)}.${parseInt(randomBytes(3).toString('hex'), 16)}`;

describe.skipIf(!tools)('ProcessRuntime: a container with tty runs on a pseudo-terminal (util-linux script)', () => {
  it('its stdio is a /dev/pts terminal, TERM=xterm, output in the log with CR LF; the exit code is the command\'s; nothing is left open', async () => {
    const { stateDir, rt, marker, start } = await setup();
    await start({ name: 'warm', command: ['sh', '-c', `true # ${marker}`] });
    await until(async () => (await rt.listContainers({ state: 'running' })).length === 0);
    await new Promise((r) => setTimeout(r, 100));
    const before = fdTargets();
    const info = await start({ command: ['sh', '-c', `tty; tty <&1 >/dev/null && tty <&2 >/dev/null && echo "all three"; echo "TERM=$TERM SHELL=$SHELL"; echo err >&2; exit 7 # ${marker}`], env: [{ name: 'SHELL', value: '/bin/custom' }] });
    expect(info.terminal).toBe(true);
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
    const done = (await rt.inspectContainer(info.id))!;
    expect(done.exitCode).toBe(7);
    expect((await rt.readLogs(info.id)).toString()).toMatch(/^\/dev\/pts\/\d+\r\nall three\r\nTERM=xterm SHELL=\/bin\/custom\r\nerr\r\n$/);
    // All of it on stdout, as a terminal has one output.
    expect(readFileSync(done.logPath, 'utf8')).not.toMatch(/ stderr /);
    // The record names the terminal it ran on.
    const rec = record(stateDir, info.id);
    expect(rec.info.terminal).toBe(true);
    expect(rec.terminal?.slave).toMatch(/^\/dev\/pts\/\d+$/);
    expect(rec.terminal?.sid).toBeGreaterThan(1);
    expect(fdTargets()).toEqual(before);
    expect(live(marker)).toEqual([]);
    // Killed by a signal: 128+N, as without a terminal.
    const killed = await start({ name: 'k', command: ['sh', '-c', `kill -TERM $$; sleep 5 # ${marker}`] });
    await until(async () => (await rt.inspectContainer(killed.id))?.state === 'exited');
    expect((await rt.inspectContainer(killed.id))?.exitCode).toBe(143);
  });

  it('a command that cannot be run is a StartError, as without a terminal', async () => {
    const { rt, marker, start } = await setup();
    const missing = await start({ command: [`no-such-binary-${marker}`] });
    expect(missing).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', message: `exec: "no-such-binary-${marker}": executable file not found in $PATH` });
    const path = await start({ name: 'p', command: [`/nonexistent/${marker}`] });
    expect(path.message).toBe(`exec: "/nonexistent/${marker}": stat /nonexistent/${marker}: no such file or directory`);
    expect(await rt.listContainers({ state: 'running' })).toEqual([]);
  });

  it('without stdin the terminal\'s input never comes and never ends: a read waits', async () => {
    const { rt, marker, start } = await setup();
    const info = await start({ command: ['sh', '-c', `tty >/dev/null && echo on-tty; read x; echo "read ended $?" # ${marker}`] });
    await until(async () => ((await rt.readLogs(info.id)).toString()) === 'on-tty\r\n');
    await new Promise((r) => setTimeout(r, 500));
    expect((await rt.inspectContainer(info.id))?.state).toBe('running');
    expect((await rt.readLogs(info.id)).toString()).toBe('on-tty\r\n');
    // Nothing may be typed into it.
    await expect(rt.attachStdin!(info.id, (async function* () {})())).rejects.toMatchObject({ code: 'InvalidState' });
  });

  it('attach: typed input is echoed and run, Ctrl-C interrupts the foreground job only, sizes apply; the input stays open after', async () => {
    const { rt, marker, start } = await setup();
    const info = await start({ command: ['sh', '-is', marker], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true });
    const x = attachIO();
    const attached = rt.attachTerminal!(info.id, x.value);
    await until(() => x.opened());
    x.type('\r'); // the prompt was shown before the attach: a new one
    let at = await expectOut(x, /ready> $/);
    x.resize(101, 33);
    x.type('until [ "$(stty size)" = "33 101" ]; do sleep 0.05; done; stty size\r');
    at = await expectOut(x, /\r\n33 101\r\nready> $/, at);
    x.type('sleep 30\r');
    at = await expectOut(x, /sleep 30\r\n$/, at);
    await new Promise((r) => setTimeout(r, 300));
    x.type('\x03');
    at = await expectOut(x, /\^C\r\nready> $/, at, 5_000);
    x.type('echo "alive $((6 * 7))"\r');
    await expectOut(x, /\r\nalive 42\r\nready> $/, at);
    // The input ends (kubectl attach -i detaching): the shell reads on, the output goes on.
    x.end();
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.inspectContainer(info.id))?.state).toBe('running');
    x.abort.abort();
    await attached;
    // A second attach types into the same terminal; the log has had all of it.
    const y = attachIO();
    const again = rt.attachTerminal!(info.id, y.value);
    y.type('echo "second $((40 + 2))"\r');
    await expectOut(y, /\r\nsecond 42\r\nready> $/);
    y.type('exit 4\r');
    await again; // ends with the container
    expect((await rt.inspectContainer(info.id))?.exitCode).toBe(4);
    expect((await rt.readLogs(info.id)).toString()).toMatch(/alive 42\r\n[\s\S]*second 42\r\n/);
    // A container that is over, or without a terminal, has nothing to attach to.
    await expect(rt.attachTerminal!(info.id, attachIO().value)).rejects.toMatchObject({ code: 'InvalidState' });
    const plain = await start({ name: 'plain', command: ['sh', '-c', `sleep 1000 # ${marker}`], tty: false });
    expect(plain.terminal).toBeUndefined();
    await expect(rt.attachTerminal!(plain.id, attachIO().value)).rejects.toMatchObject({ code: 'InvalidState' });
    // Input to a terminal container without stdin is refused before the attach opens.
    const mute = await start({ name: 'mute', command: ['sh', '-c', `sleep 1000 # ${marker}`] });
    const z = attachIO();
    await expect(rt.attachTerminal!(mute.id, z.value)).rejects.toMatchObject({ code: 'InvalidState' });
    expect(z.opened()).toBe(false);
    // Without input, an attach only watches (and resizes).
    const w = attachIO(false);
    const watching = rt.attachTerminal!(mute.id, w.value);
    await until(() => w.opened());
    w.abort.abort();
    await watching;
  });

  it('stdinOnce: the end of the first attach\'s input is the end of input on the terminal (the shell exits)', async () => {
    const { rt, marker, start } = await setup();
    const info = await start({ command: ['sh', '-is', marker], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true, stdinOnce: true });
    const x = attachIO();
    const attached = rt.attachTerminal!(info.id, x.value);
    x.type('echo "once $((6 * 7))"\r');
    // (The shell may print its first prompt after the echo of what was typed.)
    await expectOut(x, /once 42\r\nready> $/);
    x.end(); // script types the EOF character: the shell exits
    await attached;
    const done = (await rt.inspectContainer(info.id))!;
    expect([done.state, done.exitCode]).toEqual(['exited', 0]);
    expect(live(marker)).toEqual([]);
  });

  it('stop: SIGTERM reaches every process group of the session, what is left is killed after the grace period, jobs without the mark included', async () => {
    const { dir, rt, marker, start } = await setup();
    const tag = sleepTag();
    cleanups.push(() => killAllWith(tag));
    const info = await start({ command: ['sh', '-is', marker], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true });
    const x = attachIO();
    void rt.attachTerminal!(info.id, x.value);
    // Job control gives each job its own process group; neither carries the container's mark.
    const termFile = join(dir, 'term');
    x.type(`env -u EVERYNODE_CONTAINER sh -c 'trap "echo got-term > ${termFile}; exit 0" TERM; while :; do sleep 0.1; done' &\r`);
    x.type(`env -u EVERYNODE_CONTAINER sh -c 'trap "" TERM HUP; exec sleep ${tag}' &\r`);
    await until(() => sleeping(tag));
    const job = live(tag)[0]!.pid;
    const st = readProcStat(job)!;
    expect(st.pgrp).not.toBe(st.session);
    expect(readFileSync(`/proc/${job}/environ`, 'utf8')).not.toContain('EVERYNODE_CONTAINER=');
    const t0 = Date.now();
    await rt.stopContainer(info.id, 1);
    // The interactive shell and the trapping job ignore SIGTERM: the grace period runs out.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(readFileSync(termFile, 'utf8')).toBe('got-term\n');
    await until(() => live(tag).length === 0, 5_000);
    expect(live(marker)).toEqual([]);
    expect((await rt.inspectContainer(info.id))?.state).toBe('exited');
  });

  it('a new runtime on the same state dir adopts it: attach, resize, and a stop that takes the whole session', async () => {
    const { stateDir, rt, marker, start } = await setup();
    const tag = sleepTag();
    cleanups.push(() => killAllWith(tag));
    const info = await start({ command: ['sh', '-is', marker], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true });
    const x = attachIO();
    void rt.attachTerminal!(info.id, x.value);
    x.type(`env -u EVERYNODE_CONTAINER sh -c 'trap "" TERM HUP; exec sleep ${tag}' &\r`);
    await until(() => sleeping(tag));
    await until(() => record(stateDir, info.id).terminal?.sid !== undefined);
    x.abort.abort();
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir, exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect((await again.inspectContainer(info.id))).toMatchObject({ state: 'running', terminal: true });
    const y = attachIO();
    void again.attachTerminal!(info.id, y.value);
    await until(() => y.opened());
    y.resize(77, 19);
    y.type('until [ "$(stty size)" = "19 77" ]; do sleep 0.05; done; echo "size $(stty size)"\r');
    await expectOut(y, /\r\nsize 19 77\r\nready> $/);
    await again.stopContainer(info.id, 0);
    await until(() => live(tag).length === 0, 5_000);
    expect(live(marker)).toEqual([]);
  });
});

describe.skipIf(!tools)('ProcessRuntime: a terminal whose report went with the agent', () => {
  it('the next runtime finds the session and slave in /proc and records them: resize and stop work', async () => {
    const { stateDir, rt, marker, start } = await setup();
    const info = await start({ command: ['sh', '-is', marker], env: [{ name: 'PS1', value: 'ready> ' }], stdin: true });
    await until(() => record(stateDir, info.id).terminal?.sid !== undefined);
    const reported = record(stateDir, info.id).terminal!;
    rt.detach();
    // As if the agent had gone between the start and the wrapper's report.
    const path = join(stateDir, 'containers', `${info.id}.json`);
    writeFileSync(path, JSON.stringify({ ...record(stateDir, info.id), terminal: {} }));
    const again = await ProcessRuntime.open({ stateDir, exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect(record(stateDir, info.id).terminal).toMatchObject({ sid: reported.sid, slave: reported.slave });
    const y = attachIO();
    void again.attachTerminal!(info.id, y.value);
    await until(() => y.opened());
    y.resize(66, 17);
    y.type('until [ "$(stty size)" = "17 66" ]; do sleep 0.05; done; echo "size $(stty size)"\r');
    await expectOut(y, /\r\nsize 17 66\r\nready> $/);
    await again.stopContainer(info.id, 0);
    expect(live(marker)).toEqual([]);
  });
});

describe('ProcessRuntime: a container with tty on a node without terminals', () => {
  it('runs as without tty (no terminal, stdout and stderr apart) and has no terminal to attach to', async () => {
    const { rt, marker, start } = await setup(false);
    const info = await start({ command: ['sh', '-c', `tty >/dev/null || echo no-tty; echo err >&2; echo "TERM=\${TERM:-}" # ${marker}`] });
    expect(info.terminal).toBeUndefined();
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
    const raw = readFileSync(info.logPath, 'utf8');
    expect(raw).toMatch(/ stdout F no-tty\n[\s\S]* stdout F TERM=\n/);
    expect(raw).toMatch(/ stderr F err\n/);
    const running = await start({ name: 'r', command: ['sh', '-c', `sleep 1000 # ${marker}`] });
    await expect(rt.attachTerminal!(running.id, attachIO(false).value)).rejects.toMatchObject({ code: 'InvalidState' });
  });
});
