// ProcessRuntime with real processes. Every process started here carries a unique marker in
// its command line; assertions read /proc to see exactly which of them exist.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessRuntime } from './process-runtime.js';
import { isRuntimeError, type ContainerConfig, type PodSandboxConfig } from './interface.js';
import { readProcStat } from './proc.js';
import { killAllWith, live, processesWith, until } from './testing/processes.js';

/** Whether process `pid` ignores SIGTERM (signal 15: bit 14 of SigIgn in /proc/PID/status). */
function ignoresSigterm(pid: number): boolean {
  try {
    const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << 14n)) !== 0n;
  } catch {
    return false;
  }
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});




async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-agent-rt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rt = await ProcessRuntime.open({ stateDir: join(dir, 'state') });
  const marker = `everynode-test-${randomBytes(6).toString('hex')}`;
  // Kill anything left with our marker, whatever the assertions did.
  cleanups.push(() => killAllWith(marker));
  const sandbox: PodSandboxConfig = { uid: 'uid-1', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
  const sandboxId = await rt.runPodSandbox(sandbox);
  const config = (over: Partial<ContainerConfig>): ContainerConfig => ({
    name: 'c',
    attempt: 0,
    image: 'busybox',
    command: [],
    args: [],
    env: [],
    logPath: 'c/0.log',
    labels: { 'io.kubernetes.pod.uid': 'uid-1' },
    ...over,
  });
  return { dir, rt, marker, sandbox, sandboxId, config };
}

describe('ProcessRuntime', () => {
  it('a followed log ends once the container has exited (kubectl logs -f returns), without piling up abort listeners', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `echo one; sleep 1.2; echo two; exit 3 # ${marker}`] }));
    cleanups.push(() => rt.stopContainer(info.id, 0));
    const abort = new AbortController();
    let text = '';
    const t0 = Date.now();
    await rt.followLogs(info.id, { signal: abort.signal }, (c) => (text += c));
    expect(text).toBe('one\ntwo\n');
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
    // Following an exited container's log returns at once with all of it.
    let again = '';
    await rt.followLogs(info.id, {}, (c) => (again += c));
    expect(again).toBe('one\ntwo\n');
  });

  it('keeps a stdin container\'s input open (a read waits), and gives others none (a read ends at once)', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const reader = (name: string, stdin: boolean) => rt.startContainer(sandboxId, sandbox, config({ name, logPath: `${name}/0.log`, command: ['sh', '-c', `read line; echo "eof ${name}" # ${marker}`], ...(stdin ? { stdin: true } : {}) }));
    const held = await reader('held', true);
    cleanups.push(() => rt.stopContainer(held.id, 0));
    const none = await reader('none', false);
    await until(async () => (await rt.inspectContainer(none.id))?.state === 'exited');
    expect((await rt.readLogs(none.id)).toString()).toBe('eof none\n');
    // Still waiting on its input well after the other one ended.
    await new Promise((r) => setTimeout(r, 500));
    expect((await rt.inspectContainer(held.id))?.state).toBe('running');
    expect((await rt.readLogs(held.id)).toString()).toBe('');
    await rt.stopContainer(held.id, 0);
  });

  it('an attach writes to a stdin container\'s input, which stays open after it; a new runtime adopts the input; removal takes the FIFO', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `while read line; do echo "got $line"; done; echo eof # ${marker}`], stdin: true }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    const lines = async function* (...xs: string[]) {
      for (const x of xs) yield Buffer.from(x);
    };
    await rt.attachStdin!(info.id, lines('one\n', 'tw', 'o\n'));
    await until(async () => ((await rt.readLogs(info.id)).toString()) === 'got one\ngot two\n');
    // The attach ended: the container saw no end of input and reads on.
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.inspectContainer(info.id))?.state).toBe('running');
    const fifos = () => readdirSync(join(dir, 'state', 'fifos')).filter((f) => f.endsWith('.stdin'));
    expect(fifos()).toHaveLength(1);
    // A restarted agent keeps the input (a FIFO its record names is no leftover) and attaches to it.
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect(fifos()).toHaveLength(1);
    await again.attachStdin!(info.id, lines('three\n'));
    await until(async () => ((await again.readLogs(info.id)).toString()).endsWith('got three\n'));
    // A container without stdin, or one that is not running, has none to attach to.
    const plain = await again.startContainer(sandboxId, sandbox, config({ name: 'plain', logPath: 'plain/0.log', command: ['sh', '-c', `sleep 1000 # ${marker}`] }));
    await expect(again.attachStdin!(plain.id, lines('x\n'))).rejects.toMatchObject({ code: 'InvalidState' });
    await again.stopContainer(plain.id, 0);
    await expect(again.attachStdin!(plain.id, lines('x\n'))).rejects.toMatchObject({ code: 'InvalidState' });
    await expect(again.attachStdin!('nope-000000000000', lines('x\n'))).rejects.toMatchObject({ code: 'NotFound' });
    // Refused before the input opened: onOpen is never called.
    let opened = 0;
    await expect(again.attachStdin!(plain.id, lines('x\n'), undefined, () => opened++)).rejects.toMatchObject({ code: 'InvalidState' });
    expect(opened).toBe(0);
    await again.stopContainer(info.id, 0);
    await again.removeContainer(info.id);
    expect(fifos()).toHaveLength(0);
  });

  it('stdinOnce: the input waits for the first attach and closes when it ends (the container reads end of input); no second attach', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `cat; echo "stdin closed" # ${marker}`], stdin: true, stdinOnce: true }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    // No FIFO left on disk: the agent holds the one writer.
    expect(readdirSync(join(dir, 'state', 'fifos')).filter((f) => f.endsWith('.stdin'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.inspectContainer(info.id))?.state).toBe('running');
    let opened = 0;
    await rt.attachStdin!(info.id, (async function* () {
      yield Buffer.from('abcd');
      yield Buffer.from('1234');
    })(), undefined, () => opened++);
    expect(opened).toBe(1);
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
    expect((await rt.readLogs(info.id)).toString()).toBe('abcd1234stdin closed\n');
    expect((await rt.inspectContainer(info.id))?.exitCode).toBe(0);
    await expect(rt.attachStdin!(info.id, (async function* () {})())).rejects.toMatchObject({ code: 'InvalidState' });

    const waiting = await rt.startContainer(sandboxId, sandbox, config({ name: 'w', logPath: 'w/0.log', command: ['sh', '-c', `cat # ${marker}`], stdin: true, stdinOnce: true }));
    const first = rt.attachStdin!(waiting.id, (async function* () {
      yield Buffer.from('x');
    })());
    await first;
    await until(async () => (await rt.inspectContainer(waiting.id))?.state === 'exited');
    await expect(rt.attachStdin!(waiting.id, (async function* () {})())).rejects.toMatchObject({ code: 'InvalidState' });

    // An agent that goes (detach) takes the one writer with it: a container never attached to
    // reads end of input then (cat returns and the container ends).
    const orphan = await rt.startContainer(sandboxId, sandbox, config({ name: 'o', logPath: 'o/0.log', command: ['sh', '-c', `cat; echo "eof o" # ${marker}`], stdin: true, stdinOnce: true }));
    await new Promise((r) => setTimeout(r, 200));
    expect(readProcStat(orphan.pid!)?.state).not.toBe('Z');
    rt.detach();
    await until(() => readProcStat(orphan.pid!) === undefined || readProcStat(orphan.pid!)?.state === 'Z');
  });

  it('a command Node refuses to spawn (a NUL byte in an argument) is a StartError that leaves no descriptor or FIFO behind', async () => {
    const { dir, rt, sandbox, sandboxId, config } = await setup();
    const fds = () => readdirSync('/proc/self/fd').length;
    const fifoFiles = () => readdirSync(join(dir, 'state', 'fifos'));
    const warm = await rt.startContainer(sandboxId, sandbox, config({ name: 'warm', logPath: 'warm/0.log', command: ['true'] }));
    // The warm-up container's exit and output pipes close on their own time: counted once settled.
    await until(async () => (await rt.listContainers()).find((c) => c.id === warm.id)?.state === 'exited');
    let settled = fds();
    await until(async () => {
      await new Promise((r) => setTimeout(r, 100));
      const now = fds();
      const same = now === settled;
      settled = now;
      return same;
    });
    const before = { fds: fds(), fifos: fifoFiles().sort() };
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['echo', 'a\u0000b'], stdin: true }));
    expect(info).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError' });
    expect(info.message).toMatch(/^exec: "echo": /);
    expect({ fds: fds(), fifos: fifoFiles().sort() }).toEqual(before);
  });

  it('runs command + args with env and workingDir, logging stdout/stderr with timestamps', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(
      sandboxId,
      sandbox,
      config({
        command: ['sh', '-c', `echo "$GREETING from $(pwd)"; echo oops >&2; printf partial # ${marker}`],
        env: [{ name: 'GREETING', value: 'hello' }],
        workingDir: dir,
      }),
    );
    cleanups.push(() => rt.stopContainer(info.id, 0));
    expect(info.state).toBe('running');
    // `<pid>-<random hex>`: the pid is for people; code reads ContainerInfo.pid.
    expect(info.id).toMatch(new RegExp(`^${info.pid}-[0-9a-f]{12}$`));
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
    const done = (await rt.inspectContainer(info.id))!;
    expect(done.exitCode).toBe(0);
    expect((await rt.readLogs(info.id)).toString()).toBe(`hello from ${dir}\noops\npartial`);
    const stamped = (await rt.readLogs(info.id, { timestamps: true })).toString();
    expect(stamped.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z hello from /);
    expect((await rt.readLogs(info.id, { tailLines: 1 })).toString()).toBe('partial');
    const raw = readFileSync(done.logPath, 'utf8');
    expect(raw).toMatch(/ stdout F hello from /);
    expect(raw).toMatch(/ stderr F oops\n/);
    expect(raw).toMatch(/ stdout P partial\n/);
    expect(live(marker)).toEqual([]);
  });

  it('reports exit codes, signals and exec failures', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const failing = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `exit 3 # ${marker}`] }));
    const missing = await rt.startContainer(sandboxId, sandbox, config({ name: 'm', command: [`no-such-binary-${marker}`] }));
    expect(missing.state).toBe('exited');
    expect(missing.exitCode).toBe(128);
    expect(missing.reason).toBe('StartError');
    expect(missing.message).toBe(`exec: "no-such-binary-${marker}": executable file not found in $PATH`);
    // A path is stat'ed, not looked up (runc's words).
    const missingPath = await rt.startContainer(sandboxId, sandbox, config({ name: 'p', command: [`/nonexistent-${marker}/bin`] }));
    expect(missingPath.message).toBe(`exec: "/nonexistent-${marker}/bin": stat /nonexistent-${marker}/bin: no such file or directory`);
    await until(async () => (await rt.inspectContainer(failing.id))?.state === 'exited');
    expect((await rt.inspectContainer(failing.id))!.exitCode).toBe(3);

    const badDir = await rt.startContainer(sandboxId, sandbox, config({ name: 'w', command: ['true'], workingDir: '/nonexistent-dir-everynode' }));
    expect(badDir.reason).toBe('StartError');

    let err: unknown;
    try {
      await rt.startContainer(sandboxId, sandbox, config({ name: 'n' }));
    } catch (e) {
      err = e;
    }
    expect(isRuntimeError(err, 'CreateContainerError')).toBe(true);
    expect((err as Error).message).toContain('has no command');
    // Args alone that start with a flag were meant for an image's entrypoint.
    const flags = await rt.startContainer(sandboxId, sandbox, config({ name: 'f', image: 'quay.io/prometheus/node-exporter:v1', args: ['--web.listen-address=127.0.0.1:9100'] })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRuntimeError(flags, 'CreateContainerError')).toBe(true);
    expect((flags as Error).message).toBe(
      'container "f" has no command: its args ("--web.listen-address=127.0.0.1:9100" ...) are flags for the entrypoint of image "quay.io/prometheus/node-exporter:v1", which the process runtime does not know (it runs host processes, not images); set "command"',
    );
  });

  it('graceful stop: SIGTERM to the group, SIGKILL to a grandchild that ignores it after the grace period', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    // The main process exits on SIGTERM; its grandchild ignores SIGTERM. The grandchild's script
    // comes through the environment so only its own command line carries its marker.
    const info = await rt.startContainer(
      sandboxId,
      sandbox,
      config({
        command: ['sh', '-c', `sh -c "$GC" & sleep 1000 # ${marker}-main`],
        env: [{ name: 'GC', value: `trap '' TERM; while :; do sleep 0.05; done # ${marker}-grandchild` }],
      }),
    );
    cleanups.push(() => rt.stopContainer(info.id, 0));
    // The grandchild is the marked process whose parent is not marked too: its loop's forks
    // carry its command line until they exec `sleep`, so a count or the first pid could name a
    // fork that is gone a moment later. It carries its marker from its exec on, before its shell
    // has run `trap`: the stop must wait until it really ignores SIGTERM.
    const grandchildOf = (): number | undefined => {
      const marked = new Set(live(`${marker}-grandchild`).map((p) => p.pid));
      return [...marked].find((pid) => {
        const st = readProcStat(pid);
        return st !== undefined && st.state !== 'Z' && !marked.has(st.ppid) && ignoresSigterm(pid);
      });
    };
    await until(() => grandchildOf() !== undefined && live(`${marker}-main`).length >= 1);
    const grandchild = grandchildOf()!;
    expect(readProcStat(grandchild)!.pgrp).toBe(info.pid);

    let stopped = false;
    // A grace period of 3 s: the check below must come within it on a loaded machine too.
    const stopping = rt.stopContainer(info.id, 3).then(() => (stopped = true));
    // The main process goes at once; the grandchild survives SIGTERM until the grace period ends.
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited' || live(`${marker}-main`).length === 0);
    // (Its loop forks `sleep`: a fork not yet exec'd briefly shows the same command line, so
    // check for the grandchild itself rather than for an exact list.)
    expect(live(`${marker}-grandchild`).map((p) => p.pid)).toContain(grandchild);
    expect(stopped).toBe(false);
    await stopping;
    await until(() => live(marker).length === 0);
    const after = (await rt.inspectContainer(info.id))!;
    expect(after.state).toBe('exited');
    // Our direct child was reaped: no zombie of ours is left (grandchildren belong to init).
    expect(processesWith(marker).filter((p) => readProcStat(p.pid)?.ppid === process.pid)).toEqual([]);
    expect(readProcStat(info.pid!)?.state).not.toBe('Z');
  });

  it('kills what is left of the tree when the main process exits on its own', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `sleep 1000 & sleep 0.3 # ${marker}`] }));
    cleanups.push(() => rt.stopContainer(info.id, 0));
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
    await until(() => live(marker).length === 0);
  });

  it('a process that left the group and session (setsid, a daemonizing command) dies with the container, once per restart, never piling up', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    // The daemonizing mistake: the command forks a background daemon into its own session and exits 0.
    // (The main process lives 2 s: the escaped one is looked at before it dies with it, on a loaded machine too.)
    const daemonize = config({ command: ['sh', '-c', `setsid sh -c 'while :; do sleep 0.05; done # ${marker}-escaped' </dev/null >/dev/null 2>&1 & sleep 2 # ${marker}`] });
    for (let attempt = 0; attempt < 2; attempt++) {
      const info = await rt.startContainer(sandboxId, sandbox, { ...daemonize, attempt });
      cleanups.push(() => rt.stopContainer(info.id, 0));
      // Outside the container's session and group (setsid(1) shows the marker before it calls
      // setsid()): the leader of its own session, not one of the loop's short-lived forks (which
      // carry the marker until they exec sleep, and whose environ reads empty once they exit).
      const outside = (): number | undefined =>
        live(`${marker}-escaped`).find((p) => {
          const session = readProcStat(p.pid)?.session;
          return session !== info.pid && session === p.pid;
        })?.pid;
      await until(() => outside() !== undefined);
      const escaped = outside()!;
      expect(readFileSync(`/proc/${escaped}/environ`, 'utf8').split('\0')).toContain(`EVERYNODE_CONTAINER=${info.id.split('-')[1]}`);
      await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited');
      await until(() => live(`${marker}-escaped`).length === 0);
    }
  });

  it('a stop kills the escaped processes too, after the main process, and a pod cannot unset the mark', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(
      sandboxId,
      sandbox,
      config({
        command: ['sh', '-c', `setsid sh -c 'while :; do sleep 0.05; done # ${marker}-escaped' </dev/null >/dev/null 2>&1 & exec sleep 1000 # ${marker}`],
        env: [{ name: 'EVERYNODE_CONTAINER', value: 'mine' }],
      }),
    );
    cleanups.push(() => rt.stopContainer(info.id, 0));
    await until(() => live(`${marker}-escaped`).length === 1);
    await rt.stopContainer(info.id, 1);
    expect((await rt.inspectContainer(info.id))!.state).toBe('exited');
    await until(() => live(marker).length === 0);
  });

  it('an adopted container (agent restarted) still takes its escaped processes with it', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(
      sandboxId,
      sandbox,
      config({ command: ['sh', '-c', `setsid sh -c 'while :; do sleep 0.05; done # ${marker}-escaped' </dev/null >/dev/null 2>&1 & exec sleep 1000 # ${marker}-main`] }),
    );
    await until(() => live(`${marker}-escaped`).length === 1);
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    // The main process dies on its own (not by the runtime): the poller notices and cleans up.
    process.kill(info.pid!, 'SIGKILL');
    await until(async () => (await again.inspectContainer(info.id))?.state === 'exited');
    await until(() => live(`${marker}-escaped`).length === 0);
  });

  it('execSync runs in the container context and enforces the timeout', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `sleep 1000 # ${marker}`], env: [{ name: 'X', value: '42' }] }));
    cleanups.push(() => rt.stopContainer(info.id, 0));
    const ok = await rt.execSync(info.id, ['sh', '-c', 'echo $X'], 5000);
    expect(ok).toEqual({ exitCode: 0, output: '42\n', timedOut: false });
    const bad = await rt.execSync(info.id, ['sh', '-c', 'exit 7'], 5000);
    expect(bad.exitCode).toBe(7);
    // A command that does not exist: the runtime's (runc's) words, not Node's spawn error.
    expect(await rt.execSync(info.id, ['/no/such/probe'], 5000)).toEqual({ exitCode: 126, output: 'exec: "/no/such/probe": stat /no/such/probe: no such file or directory', timedOut: false });
    const slow = await rt.execSync(info.id, ['sh', '-c', `sleep 1000 # ${marker}-exec`], 200);
    expect(slow.timedOut).toBe(true);
    await until(() => live(`${marker}-exec`).length === 0);
  });

  it('a new runtime on the same state dir adopts running containers', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `sleep 1000 # ${marker}`] }));
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    const listed = await again.listContainers({ podUID: 'uid-1' });
    expect(listed.map((c) => [c.id, c.state, c.labels['io.kubernetes.pod.uid']])).toEqual([[info.id, 'running', 'uid-1']]);
    await again.stopContainer(info.id, 1);
    expect((await again.inspectContainer(info.id))!.state).toBe('exited');
    await until(() => live(marker).length === 0);
    await again.removePodSandbox(sandboxId);
    expect(await again.listContainers()).toEqual([]);
  });

  it('a stale container id never resolves to a later container whose process got the same pid', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const fresh = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `echo fresh; sleep 1000 # ${marker}`] }));
    cleanups.push(() => rt.stopContainer(fresh.id, 0).catch(() => undefined));
    const pid = fresh.pid!;
    await until(async () => ((await rt.readLogs(fresh.id)).toString()) === 'fresh\n');

    // Pid reuse, simulated: records of exited containers of another pod whose processes had the
    // same pid earlier. One in the bare-pid format of older agents (the id a pod worker would
    // still hold as its previous container), one in the current format.
    mkdirSync(join(dir, 'other-logs', 'c'), { recursive: true });
    const stale = (id: string, attempt: number) => {
      const logPath = join(dir, 'other-logs', 'c', `${attempt}.log`);
      writeFileSync(logPath, '2024-01-01T00:00:00.000000000Z stdout F other pod\n');
      return {
        info: {
          id,
          sandboxId: 'uid-other',
          name: 'c',
          attempt,
          labels: { 'io.kubernetes.pod.uid': 'uid-other' },
          image: 'busybox',
          imageRef: 'sh',
          state: 'exited',
          pid,
          createdAt: Date.now() - 60_000,
          startedAt: Date.now() - 60_000,
          finishedAt: Date.now() - 30_000,
          exitCode: 1,
          logPath,
        },
        env: {},
      };
    };
    const legacyId = String(pid);
    const currentId = `${pid}-0123456789ab`;
    for (const [i, id] of [legacyId, currentId].entries()) writeFileSync(join(dir, 'state', 'containers', `${id}.json`), JSON.stringify(stale(id, i)));
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(fresh.id, 0).catch(() => undefined));

    // Every record is found again, each under its own id.
    const listed = (await again.listContainers()).map((c) => [c.id, c.state, c.pid, c.labels['io.kubernetes.pod.uid']]).sort();
    expect(listed).toEqual(
      [
        [fresh.id, 'running', pid, 'uid-1'],
        [legacyId, 'exited', pid, 'uid-other'],
        [currentId, 'exited', pid, 'uid-other'],
      ].sort(),
    );
    for (const id of [legacyId, currentId]) {
      expect(await again.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 1, sandboxId: 'uid-other' });
      expect((await again.readLogs(id)).toString()).toBe('other pod\n');
      // Stopping or removing by a stale id touches only the stale record.
      await again.stopContainer(id, 0);
      await again.removeContainer(id);
      expect(await again.inspectContainer(id)).toBeUndefined();
      expect((await again.inspectContainer(fresh.id))?.state).toBe('running');
      expect(live(marker).map((p) => p.pid)).toContain(pid);
    }
    expect((await again.readLogs(fresh.id)).toString()).toBe('fresh\n');
    await again.stopContainer(fresh.id, 1);
    await until(() => live(marker).length === 0);
  });
});

describe.skipIf(process.getuid?.() !== 0)('ProcessRuntime: the identity a container runs as (ContainerConfig.user; needs root)', () => {
  const ids = 'echo "$(id -u) $(id -g) [$(id -G)]"';
  async function execOut(rt: ProcessRuntime, id: string, command: string[]): Promise<string> {
    let out = '';
    const sink = new (await import('node:stream')).Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString('utf8');
        cb();
      },
    });
    const { exitCode } = await rt.execStream(id, command, { stdout: sink, stderr: sink });
    return `${exitCode}: ${out}`;
  }

  it('runs the container, exec and execSync as its uid and gid with no supplementary group, also after a new runtime adopts it', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `${ids}; sleep 60 # ${marker}`], user: { uid: 65534, gid: 4321, groups: [] } }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    await until(async () => ((await rt.readLogs(info.id)).toString()) !== '');
    expect((await rt.readLogs(info.id)).toString()).toBe('65534 4321 [4321]\n');
    expect((await rt.execSync(info.id, ['sh', '-c', ids], 5_000)).output).toBe('65534 4321 [4321]\n');
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect(await execOut(again, info.id, ['sh', '-c', ids])).toBe('0: 65534 4321 [4321]\n');
    expect((await again.execSync(info.id, ['sh', '-c', ids], 5_000)).output).toBe('65534 4321 [4321]\n');
  });

  it('sets supplementary groups through setpriv, for the container and what runs in it', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `${ids}; sleep 60 # ${marker}`], user: { uid: 1234, gid: 1234, groups: [5555, 6666] } }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    await until(async () => ((await rt.readLogs(info.id)).toString()) !== '');
    expect((await rt.readLogs(info.id)).toString()).toBe('1234 1234 [1234 5555 6666]\n');
    expect((await rt.execSync(info.id, ['sh', '-c', ids], 5_000)).output).toBe('1234 1234 [1234 5555 6666]\n');
    expect(await execOut(rt, info.id, ['sh', '-c', ids])).toBe('0: 1234 1234 [1234 5555 6666]\n');
    // A command that cannot run is told in runc's words, not by the wrapper's exit.
    expect(await execOut(rt, info.id, ['no-such-command-here'])).toBe('126: exec: "no-such-command-here": executable file not found in $PATH\n');
    const missing = await rt.startContainer(sandboxId, sandbox, config({ name: 'm', logPath: 'm/0.log', command: ['/no/such/file'], user: { uid: 1234, gid: 1234, groups: [5555] } }));
    expect(missing).toMatchObject({ state: 'exited', reason: 'StartError', message: 'exec: "/no/such/file": stat /no/such/file: no such file or directory' });
  });
});

describe.skipIf(process.getuid?.() !== 0)('ProcessRuntime: no_new_privs and capabilities (ContainerConfig.security; needs root)', () => {
  const status = "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -s '\\t' ' ' | tr '\\n' ' '";

  it('applies them to the container and what runs in it, also after a new runtime adopts it', async () => {
    const { dir, rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `${status}; echo; sleep 60 # ${marker}`], security: { noNewPrivs: true, dropAll: true, add: ['NET_BIND_SERVICE', 'KILL'], drop: ['KILL'] } }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    await until(async () => ((await rt.readLogs(info.id)).toString()) !== '');
    const expected = 'CapEff: 0000000000000400 CapBnd: 0000000000000400 NoNewPrivs: 1 \n';
    expect((await rt.readLogs(info.id)).toString()).toBe(expected);
    expect((await rt.execSync(info.id, ['sh', '-c', status], 5_000)).output).toBe(expected.slice(0, -1));
    rt.detach();
    const again = await ProcessRuntime.open({ stateDir: join(dir, 'state'), exitPollMs: 50 });
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect((await again.execSync(info.id, ['sh', '-c', status], 5_000)).output).toBe(expected.slice(0, -1));
  });

  it('drops single capabilities from a root container, and refuses an unknown one before it starts', async () => {
    const { rt, marker, sandbox, sandboxId, config } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config({ command: ['sh', '-c', `grep '^CapBnd' /proc/self/status; sleep 60 # ${marker}`], security: { drop: ['NET_RAW', 'SYS_ADMIN'] } }));
    cleanups.push(() => rt.stopContainer(info.id, 0).catch(() => undefined));
    await until(async () => ((await rt.readLogs(info.id)).toString()).includes('CapBnd'));
    const bounding = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec((await rt.readLogs(info.id)).toString())![1]}`);
    expect(bounding & (1n << 13n)).toBe(0n); // CAP_NET_RAW
    expect(bounding & (1n << 21n)).toBe(0n); // CAP_SYS_ADMIN
    expect(bounding & (1n << 0n)).toBe(1n); // CAP_CHOWN kept
    const bad = await rt.startContainer(sandboxId, sandbox, config({ name: 'bad', logPath: 'bad/0.log', command: ['true'], security: { drop: ['BOGUS'] } }));
    expect(bad).toMatchObject({ state: 'exited', reason: 'StartError', message: 'unknown capability "CAP_BOGUS"' });
  });
});
