// ProcessRuntime records on a full disk (failure review: a container whose record was a 0-byte
// `<id>.json.tmp` ran on untracked, and the next agent started a second copy). A full disk is
// simulated by the `writeRecordData` seam throwing ENOSPC after the temporary file was created,
// as write(2) does; one test uses a real tiny tmpfs where this process may mount one.
// Every process started here carries a unique marker in its command line.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod, PodStatus } from '../../api/types.js';
import { realClock } from '../../util/index.js';
import { createLogger } from '../../util/logger.js';
import { Backoff } from '../backoff.js';
import { PodWorkers } from '../pod-worker.js';
import { isRuntimeError, type ContainerConfig, type ContainerEvent, type PodSandboxConfig } from './interface.js';
import { ProcessRuntime } from './process-runtime.js';
import { readProcStat } from './proc.js';
import { killAllWith, live, processesWith, until } from './testing/processes.js';
import { canMountTmpfs } from '../../util/testing/index.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});



/**
 * The process groups (containers) of the live processes carrying `marker`. (A shell's fork not
 * yet exec'd briefly shows its command line too, so count groups, not processes.)
 */
const copies = (marker: string) => [...new Set(live(marker).map((p) => readProcStat(p.pid)?.pgrp))].filter((g) => g !== undefined).sort();


function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/**
 * A disk that can be filled: while `full`, a record's data cannot be written (the temporary file
 * is created, as on a real full disk). Records what each failed write was (the record's JSON).
 */
function disk() {
  const d = {
    full: false,
    /** While full, only container records fail (sandbox records are written). */
    containersOnly: false,
    writes: 0,
    failed: [] as { pid?: number; startTime?: number; aliveThen: boolean }[],
    write(fd: number, data: string): void {
      d.writes++;
      if (d.full && (!d.containersOnly || data.includes('"info":'))) {
        const rec = JSON.parse(data) as { info?: { pid?: number }; procStartTime?: number };
        const pid = rec.info?.pid;
        d.failed.push({ pid, startTime: rec.procStartTime, aliveThen: pid !== undefined && readProcStat(pid) !== undefined });
        throw enospc();
      }
      writeFileSync(fd, data);
    },
  };
  return d;
}

function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) };
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-agent-rec-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const marker = `everynode-rec-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => killAllWith(marker));
  const stateDir = join(dir, 'state');
  const d = disk();
  const log = captureLogger();
  const open = () => ProcessRuntime.open({ stateDir, exitPollMs: 50, logger: log.logger, writeRecordData: d.write });
  const rt = await open();
  const sandbox: PodSandboxConfig = { uid: 'uid-1', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
  const sandboxId = await rt.runPodSandbox(sandbox);
  // A shell that stays (a loop), with the marker in its command line ($0).
  const config = (over: Partial<ContainerConfig> = {}): ContainerConfig => ({
    name: 'c',
    attempt: 0,
    image: 'busybox',
    command: ['sh', '-c', 'while :; do sleep 0.1; done', marker],
    args: [],
    env: [],
    logPath: 'c/0.log',
    labels: { 'io.kubernetes.pod.uid': 'uid-1' },
    ...over,
  });
  const containersDir = join(stateDir, 'containers');
  const fifosDir = join(stateDir, 'fifos');
  const ls = (p: string) => (existsSync(p) ? readdirSync(p).sort() : []);
  return { dir, stateDir, containersDir, fifosDir, ls, rt, open, disk: d, log, marker, sandbox, sandboxId, config };
}

describe('ProcessRuntime records on a full disk', () => {
  it('a container whose record cannot be written is killed and its start fails; a new runtime finds nothing, and a retry with space runs one copy', async () => {
    const { sandbox, sandboxId, config, containersDir, fifosDir, ls, rt, open, disk, marker } = await setup();
    const events: ContainerEvent[] = [];
    rt.watch((e) => events.push(e));
    disk.full = true;
    let err: unknown;
    try {
      await rt.startContainer(sandboxId, sandbox, config());
    } catch (e) {
      err = e;
    }
    // The runtime's error for a failed start, retried by the pod worker (not permanent), with its cause.
    expect(isRuntimeError(err, 'RuntimeError')).toBe(true);
    expect((err as { permanent: boolean }).permanent).toBe(false);
    expect((err as Error).message).toMatch(/^cannot record container state: ENOSPC: no space left on device, write '.*\/containers\/\d+-[0-9a-f]{12}\.json\.tmp'$/);

    // The process had been started (the record names its pid, alive at the write) and is gone,
    // reaped (no zombie), with whatever it forked.
    expect(disk.failed).toHaveLength(1);
    const { pid, startTime, aliveThen } = disk.failed[0]!;
    expect(aliveThen).toBe(true);
    const now = readProcStat(pid!);
    expect(now === undefined || now.startTime !== startTime).toBe(true);
    await until(() => processesWith(marker).length === 0, 2000);
    // Nothing reported, nothing left: no record, no temporary file, no FIFOs, no log.
    expect(await rt.listContainers()).toEqual([]);
    expect(events).toEqual([]);
    expect(ls(containersDir)).toEqual([]);
    expect(ls(fifosDir)).toEqual([]);
    expect(existsSync(join(sandbox.logDirectory, 'c', '0.log'))).toBe(false);

    // The agent restarts (kill -9: nothing is stopped): it adopts nothing, and nothing runs.
    rt.detach();
    const again = await open();
    expect(await again.listContainers()).toEqual([]);
    expect(ls(containersDir)).toEqual([]);
    expect(live(marker)).toEqual([]);

    // Space again: the retry (same config) runs, recorded, and a later runtime adopts exactly it.
    disk.full = false;
    const info = await again.startContainer(sandboxId, sandbox, config());
    cleanups.push(() => again.stopContainer(info.id, 0).catch(() => undefined));
    expect(info.state).toBe('running');
    expect(ls(containersDir)).toEqual([`${info.id}.json`]);
    again.detach();
    const third = await open();
    cleanups.push(() => third.stopContainer(info.id, 0).catch(() => undefined));
    expect((await third.listContainers()).map((c) => [c.id, c.state])).toEqual([[info.id, 'running']]);
    expect(copies(marker)).toEqual([info.pid]);
    await third.stopContainer(info.id, 0);
    await until(() => live(marker).length === 0);
  });

  it('a container that cannot be recorded because the state dir is gone is killed too (no injected failure)', async () => {
    const { sandbox, sandboxId, config, containersDir, rt, marker } = await setup();
    rmSync(containersDir, { recursive: true });
    writeFileSync(containersDir, ''); // a file where the directory was: open() of the record fails
    await expect(rt.startContainer(sandboxId, sandbox, config())).rejects.toThrow(/^cannot record container state: ENOTDIR: not a directory, open '.*\.json\.tmp'$/);
    await until(() => processesWith(marker).length === 0, 2000);
    expect(await rt.listContainers()).toEqual([]);
  });

  it('an exit that cannot be recorded is logged; the record left saying running is finished as unknown by the next runtime', async () => {
    const { sandbox, sandboxId, config, containersDir, ls, rt, open, disk, log, marker } = await setup();
    const info = await rt.startContainer(sandboxId, sandbox, config());
    disk.full = true;
    await rt.stopContainer(info.id, 0); // does not throw
    expect((await rt.inspectContainer(info.id))!.state).toBe('exited');
    expect(live(marker)).toEqual([]);
    expect(log.lines.join('')).toMatch(new RegExp(`WARN container ${info.id}: cannot record its state \\(exited\\).* ENOSPC: no space left on device, write '`));
    // The update left no temporary file; the record on disk is the last one written.
    expect(ls(containersDir)).toEqual([`${info.id}.json`]);
    expect(JSON.parse(readFileSync(join(containersDir, `${info.id}.json`), 'utf8')).info.state).toBe('running');
    rt.detach();
    const again = await open();
    expect(await again.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'ContainerStatusUnknown' });
  });

  it('runPodSandbox fails with a RuntimeError and keeps nothing when its record cannot be written; an unchanged sandbox is not written again', async () => {
    const { dir, stateDir, rt, disk, sandbox, config } = await setup();
    const other: PodSandboxConfig = { uid: 'uid-2', name: 'q', namespace: 'default', logDirectory: join(dir, 'logs2') };
    disk.full = true;
    const err = await rt.runPodSandbox(other).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'RuntimeError')).toBe(true);
    expect((err as Error).message).toMatch(/^cannot record pod sandbox state: ENOSPC: no space left on device, write '.*\/sandboxes\/uid-2\.json\.tmp'$/);
    expect(readdirSync(join(stateDir, 'sandboxes'))).toEqual(['uid-1.json']);
    await expect(rt.startContainer('uid-2', other, config())).rejects.toThrow('pod sandbox "uid-2" not found');
    // The known sandbox again (a pod worker after an agent restart on a full disk): no write.
    const writes = disk.writes;
    expect(await rt.runPodSandbox({ ...sandbox })).toBe('uid-1');
    expect(disk.writes).toBe(writes);
  });

  it('open() resolves leftover temporary records: removed beside a record, put in place when whole, and the process of a torn one killed when it is surely an unrecorded container', async () => {
    const { sandbox, sandboxId, config, containersDir, fifosDir, ls, rt, open, log, marker } = await setup();
    const kept = await rt.startContainer(sandboxId, sandbox, config({ name: 'kept', logPath: 'kept/0.log' }));
    const whole = await rt.startContainer(sandboxId, sandbox, config({ name: 'whole', logPath: 'whole/0.log' }));
    const orphan = await rt.startContainer(sandboxId, sandbox, config({ name: 'orphan', logPath: 'orphan/0.log' }));
    rt.detach();
    // A failed update beside its record; a whole record whose rename never happened; and what
    // older agents left on a full disk: a 0-byte temporary file and no record, the process running.
    writeFileSync(join(containersDir, `${kept.id}.json.tmp`), '');
    renameSync(join(containersDir, `${whole.id}.json`), join(containersDir, `${whole.id}.json.tmp`));
    rmSync(join(containersDir, `${orphan.id}.json`));
    writeFileSync(join(containersDir, `${orphan.id}.json.tmp`), '');
    // A stray FIFO no record names.
    writeFileSync(join(fifosDir, 'stray.stdout'), '');

    const again = await open();
    expect((await again.listContainers()).map((c) => [c.id, c.state]).sort()).toEqual(
      [
        [kept.id, 'running'],
        [whole.id, 'running'],
      ].sort(),
    );
    expect(ls(containersDir)).toEqual([`${kept.id}.json`, `${whole.id}.json`].sort());
    // The orphan (its group) is killed: it could not be adopted, and the pod worker starts a new copy.
    await until(() => readProcStat(orphan.pid!) === undefined || readProcStat(orphan.pid!)!.state === 'Z');
    await until(() => copies(marker).length === 2, 2000);
    expect(copies(marker)).toEqual([kept.pid!, whole.pid!].sort());
    expect(log.lines.join('')).toContain(`killed process group ${orphan.pid}: a container whose record was never written`);
    // Only the FIFOs of the adopted containers are left.
    expect(ls(fifosDir)).toHaveLength(4);
    expect(ls(fifosDir)).not.toContain('stray.stdout');
    // The adopted ones still log.
    for (const c of [kept, whole]) await again.stopContainer(c.id, 0);
    await until(() => live(marker).length === 0);
  });

  it('open() kills the processes of a container whose record cannot be read (damaged from outside) and removes the record', async () => {
    const { sandbox, sandboxId, config, containersDir, ls, rt, open, log, marker } = await setup();
    const kept = await rt.startContainer(sandboxId, sandbox, config({ name: 'kept', logPath: 'kept/0.log' }));
    const damaged = await rt.startContainer(sandboxId, sandbox, config({ name: 'damaged', logPath: 'damaged/0.log' }));
    rt.detach();
    const recordPath = join(containersDir, `${damaged.id}.json`);
    writeFileSync(recordPath, readFileSync(recordPath, 'utf8').slice(0, 100));
    const again = await open();
    expect((await again.listContainers()).map((c) => c.id)).toEqual([kept.id]);
    expect(ls(containersDir)).toEqual([`${kept.id}.json`]);
    await until(() => readProcStat(damaged.pid!) === undefined || readProcStat(damaged.pid!)!.state === 'Z');
    await until(() => copies(marker).length === 1, 2000);
    expect(copies(marker)).toEqual([kept.pid!]);
    expect(log.lines.join('')).toContain(`${recordPath}: the container record cannot be read`);
    expect(log.lines.join('')).toContain('its processes were killed and the record is removed');
    await again.stopContainer(kept.id, 0);
    await until(() => live(marker).length === 0);
  });

  it('open() leaves alone a live process named by a torn record that is not surely an unrecorded container, and removes the file', async () => {
    const { containersDir, fifosDir, ls, rt, open, log, marker } = await setup();
    rt.detach();
    mkdirSync(fifosDir, { recursive: true }); // as after a first container: the FIFO check is reached
    // Not a group leader (a process of the test's own group); and a detached one (leader of its
    // group and session, as containers are) holding none of the runtime's FIFOs.
    const plain = spawn('sh', ['-c', 'while :; do sleep 0.1; done', `${marker}-plain`], { stdio: 'ignore' });
    const detached = spawn('sh', ['-c', 'while :; do sleep 0.1; done', `${marker}-detached`], { stdio: 'ignore', detached: true });
    cleanups.push(() => {
      plain.kill('SIGKILL');
      try {
        process.kill(-detached.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    await until(() => live(`${marker}-plain`).length === 1 && live(`${marker}-detached`).length === 1);
    writeFileSync(join(containersDir, `${plain.pid}-0123456789ab.json.tmp`), '');
    writeFileSync(join(containersDir, `${detached.pid}-0123456789ab.json.tmp`), '');
    // The torn record of a container of an older agent that exited since.
    writeFileSync(join(containersDir, 'failed-0123456789ab.json.tmp'), '');
    const again = await open();
    expect(await again.listContainers()).toEqual([]);
    expect(ls(containersDir)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    // Both still run. (Their loops fork a copy that carries the marker until it execs sleep, so a
    // loaded machine may also show that copy: the process itself is what must be there.)
    expect(live(`${marker}-plain`).map((p) => p.pid)).toContain(plain.pid);
    expect(live(`${marker}-detached`).map((p) => p.pid)).toContain(detached.pid);
    expect(log.lines.join('')).toContain(`may still run as process ${detached.pid} was never written; it cannot be told apart from another process, so it is left alone`);
  });

  it('through the pod worker: the container waits with CreateContainerError naming the cause, is retried with back-off, and one copy runs once there is space', async () => {
    const { dir, rt, disk, marker } = await setup();
    const statuses = new Map<string, PodStatus>();
    const workers = new PodWorkers({
      runtime: rt,
      clock: realClock,
      nodeName: 'node-a',
      nodeIP: '127.0.0.1',
      logRoot: join(dir, 'pods'),
      minimumGracePeriodSeconds: 0,
      backoff: new Backoff(100, 400),
      onStatus: (pod, s) => statuses.set(pod.metadata.uid!, s),
    });
    cleanups.push(() => workers.shutdown({ gracePeriodSeconds: 0 }));
    cleanups.push(() => {
      disk.full = false;
    });
    const pod: Pod = {
      metadata: { name: 'ds-x', namespace: 'default', uid: 'pod-uid-9' },
      spec: { containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', 'while :; do sleep 0.1; done', marker] }] },
    };
    disk.full = true;
    disk.containersOnly = true;
    workers.syncPod(pod);
    await until(() => disk.failed.length >= 2); // tried, and tried again
    await until(() => statuses.get('pod-uid-9')?.containerStatuses?.[0]?.state?.waiting !== undefined);
    const waiting = statuses.get('pod-uid-9')!.containerStatuses![0]!.state!.waiting!;
    expect(waiting.reason).toBe('CreateContainerError');
    expect(waiting.message).toMatch(/^cannot record container state: ENOSPC: no space left on device/);
    expect(statuses.get('pod-uid-9')!.phase).toBe('Pending');
    // Every attempt whose record could not be written was killed. (A retry may be between its
    // spawn and its failed write at this instant, so the check is on the failed attempts'
    // pids, not on "no process with the marker right now"; a kill is SIGKILL, so 2 s is ample.)
    const failedPids = disk.failed.map((f) => f.pid).filter((p): p is number => p !== undefined);
    expect(failedPids.length).toBeGreaterThanOrEqual(2);
    await until(() => failedPids.every((pid) => !live(marker).some((p) => p.pid === pid)), 2_000);
    expect(copies(marker).length).toBeLessThanOrEqual(1);
    disk.full = false;
    await until(() => statuses.get('pod-uid-9')?.containerStatuses?.[0]?.state?.running !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    const cs = statuses.get('pod-uid-9')!.containerStatuses![0]!;
    expect(copies(marker)).toEqual([Number(/^process:\/\/(\d+)-/.exec(cs.containerID!)![1])]);
    await workers.terminatePod('pod-uid-9');
    expect(live(marker)).toEqual([]);
  });
});


describe.skipIf(!canMountTmpfs())('ProcessRuntime on a real full tmpfs (the failure review repro)', () => {
  it('a start on a full state dir fails and leaves no process; after space is freed one copy runs and is adopted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'everynode-agent-tmpfs-'));
    const marker = `everynode-tmpfs-${randomBytes(6).toString('hex')}`;
    const mnt = join(dir, 'data');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).toBe(0);
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    cleanups.push(() => {
      spawnSync('umount', ['-l', mnt]);
    });
    cleanups.push(() => killAllWith(marker));
    const stateDir = join(mnt, 'runtime');
    const { logger } = captureLogger();
    const rt = await ProcessRuntime.open({ stateDir, logger, exitPollMs: 50 });
    const sandbox: PodSandboxConfig = { uid: 'uid-1', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
    await rt.runPodSandbox(sandbox);
    // Fill the filesystem: every free page taken.
    const filler = join(mnt, 'filler');
    const chunk = Buffer.alloc(4096, 1);
    try {
      for (;;) writeFileSync(filler, chunk, { flag: 'a' });
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const config: ContainerConfig = {
      name: 'c',
      attempt: 0,
      image: 'busybox',
      command: ['sh', '-c', 'while :; do sleep 0.1; done', marker],
      args: [],
      env: [],
      logPath: 'c/0.log',
      labels: { 'io.kubernetes.pod.uid': 'uid-1' },
    };
    await expect(rt.startContainer('uid-1', sandbox, config)).rejects.toThrow(/^cannot record container state: ENOSPC: no space left on device/);
    await until(() => processesWith(marker).length === 0, 2000);
    expect(readdirSync(join(stateDir, 'containers'))).toEqual([]);
    // kill -9 of the agent, space freed, agent started again: nothing to adopt, nothing running.
    rt.detach();
    rmSync(filler);
    const again = await ProcessRuntime.open({ stateDir, logger, exitPollMs: 50 });
    expect(await again.listContainers()).toEqual([]);
    const info = await again.startContainer('uid-1', sandbox, config);
    again.detach();
    const third = await ProcessRuntime.open({ stateDir, logger, exitPollMs: 50 });
    expect((await third.listContainers()).map((c) => c.id)).toEqual([info.id]);
    expect(copies(marker)).toEqual([info.pid]);
    await third.stopContainer(info.id, 0);
    await until(() => live(marker).length === 0);
  });
});
