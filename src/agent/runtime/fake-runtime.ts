// FakeRuntime: a hollow runtime with no processes. Containers "run" until a script or the test
// makes them exit; time comes from an injectable clock. It keeps the ContainerRuntime contract
// (states, events, exit codes, logs in CRI format) so the pod worker cannot tell it apart, and
// it records every call for assertions. Also the runtime of the hollow-node simulator.

import { realClock, type Clock } from '../../util/index.js';
import { formatLogEntry, formatRFC3339Nano, parseLogText, renderLogEntries, type LogStream } from './container-log.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerFilter,
  type ContainerInfo,
  type ContainerRuntime,
  type ExecResult,
  type FollowOptions,
  type LogOptions,
  type PodSandboxConfig,
} from './interface.js';

/** What a started container does; chosen per start by `FakeRuntime.behavior`. */
export interface FakeBehavior {
  /** Exit on its own this long after starting (clock ms). */
  exitAfterMs?: number;
  /** Exit code when it exits on its own. Default 0. */
  exitCode?: number;
  /** Fail to exec: exits at once with 128/StartError and this message. */
  startError?: string;
  /** Reject the start with this error (e.g. a permanent CreateContainerError). */
  rejectWith?: Error;
  /** Ignore SIGTERM: a stop only ends at the grace period with SIGKILL (137). */
  ignoreSigterm?: boolean;
  /** Exit with this code on SIGTERM (a process that traps it) instead of 143. */
  exitOnSigterm?: number;
  /** Lines written to stdout at start. */
  logLines?: string[];
}

export type FakeBehaviorFn = (config: ContainerConfig, sandbox: PodSandboxConfig) => FakeBehavior | undefined;
export type FakeExecFn = (container: ContainerInfo, command: string[]) => Partial<ExecResult> | undefined;

interface FakeContainer {
  info: ContainerInfo;
  env: Record<string, string>;
  log: Buffer;
  ignoreSigterm: boolean;
  exitOnSigterm?: number;
  exitTimer?: ReturnType<Clock['setTimeout']>;
  done: Promise<void>;
  markDone: () => void;
}

export class FakeRuntime implements ContainerRuntime {
  readonly type = 'fake';
  /** Every call, as `method:arg` strings (e.g. `start:pod-uid/app#0`, `stop:12/30`). */
  readonly calls: string[] = [];
  behavior: FakeBehaviorFn = () => undefined;
  exec: FakeExecFn = () => undefined;
  private nextPid = 1000;
  private readonly containers = new Map<string, FakeContainer>();
  private readonly sandboxes = new Map<string, PodSandboxConfig>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();

  constructor(private readonly clock: Clock = realClock) {}

  private emit(type: ContainerEvent['type'], info: ContainerInfo): void {
    const ev: ContainerEvent = { type, containerId: info.id, sandboxId: info.sandboxId, labels: info.labels };
    for (const l of [...this.listeners]) l(ev);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.calls.push(`runPodSandbox:${config.uid}`);
    this.sandboxes.set(config.uid, config);
    return config.uid;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    this.calls.push(`stopPodSandbox:${sandboxId}`);
    for (const c of [...this.containers.values()]) if (c.info.sandboxId === sandboxId) await this.stopContainer(c.info.id, 0);
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    this.calls.push(`removePodSandbox:${sandboxId}`);
    for (const c of [...this.containers.values()]) {
      if (c.info.sandboxId !== sandboxId) continue;
      if (c.info.state === 'running') this.finish(c, 137, 9);
      this.containers.delete(c.info.id);
    }
    this.sandboxes.delete(sandboxId);
  }

  async startContainer(sandboxId: string, sandbox: PodSandboxConfig, config: ContainerConfig): Promise<ContainerInfo> {
    this.calls.push(`start:${sandboxId}/${config.name}#${config.attempt}`);
    if (!this.sandboxes.has(sandboxId)) throw new RuntimeError('NotFound', `pod sandbox "${sandboxId}" not found`);
    const b = this.behavior(config, sandbox) ?? {};
    if (b.rejectWith) throw b.rejectWith;
    const now = this.clock.now();
    const pid = this.nextPid++;
    let markDone!: () => void;
    const done = new Promise<void>((r) => (markDone = r));
    const c: FakeContainer = {
      info: {
        id: String(pid),
        sandboxId,
        name: config.name,
        attempt: config.attempt,
        labels: { ...config.labels },
        image: config.image,
        imageRef: config.image,
        state: 'running',
        pid,
        createdAt: now,
        startedAt: now,
        logPath: `${sandbox.logDirectory}/${config.logPath}`,
      },
      env: Object.fromEntries(config.env.map((kv) => [kv.name, kv.value])),
      log: Buffer.alloc(0),
      ignoreSigterm: b.ignoreSigterm ?? false,
      ...(b.exitOnSigterm !== undefined ? { exitOnSigterm: b.exitOnSigterm } : {}),
      done,
      markDone,
    };
    this.containers.set(c.info.id, c);
    if (b.startError !== undefined) {
      c.info = { ...c.info, state: 'exited', exitCode: 128, reason: 'StartError', message: b.startError, finishedAt: now };
      delete c.info.pid;
      c.markDone();
      this.emit('exited', c.info);
      return { ...c.info };
    }
    for (const line of b.logLines ?? []) this.writeLog(c.info.id, 'stdout', line);
    if (b.exitAfterMs !== undefined) {
      const code = b.exitCode ?? 0;
      c.exitTimer = this.clock.setTimeout(() => this.finish(c, code), b.exitAfterMs);
    }
    this.emit('started', c.info);
    return { ...c.info };
  }

  private finish(c: FakeContainer, exitCode: number, signal?: number): void {
    if (c.info.state !== 'running') return;
    if (c.exitTimer) this.clock.clearTimeout(c.exitTimer);
    const info: ContainerInfo = { ...c.info, state: 'exited', exitCode, finishedAt: this.clock.now() };
    if (signal !== undefined) info.signal = signal;
    c.info = info;
    c.markDone();
    this.emit('exited', info);
  }

  /** Makes a running container exit now, as if its process ended (or was killed by `signal`). */
  exitContainer(id: string, exitCode: number, signal?: number): void {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    this.finish(c, exitCode, signal);
  }

  /** Appends one line of output to a container's log, timestamped by the clock. */
  writeLog(id: string, stream: LogStream, line: string): void {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    c.log = Buffer.concat([c.log, formatLogEntry(formatRFC3339Nano(BigInt(this.clock.now()) * 1_000_000n), stream, false, line)]);
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    this.calls.push(`stop:${id}/${gracePeriodSeconds}`);
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (c.info.state !== 'running') return;
    if (c.ignoreSigterm && gracePeriodSeconds > 0) {
      this.clock.setTimeout(() => this.finish(c, 137, 9), gracePeriodSeconds * 1000);
    } else if (c.exitOnSigterm !== undefined) {
      this.finish(c, c.exitOnSigterm);
    } else {
      this.finish(c, 143, 15);
    }
    await c.done;
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`remove:${id}`);
    const c = this.containers.get(id);
    if (!c) return;
    if (c.info.state === 'running') throw new RuntimeError('InvalidState', `container "${id}" is running; stop it first`);
    this.containers.delete(id);
    this.emit('removed', c.info);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c.info } : undefined;
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    return [...this.containers.values()]
      .map((c) => c.info)
      .filter((i) => filter.sandboxId === undefined || i.sandboxId === filter.sandboxId)
      .filter((i) => filter.podUID === undefined || (this.sandboxes.get(i.sandboxId)?.uid ?? i.sandboxId) === filter.podUID)
      .filter((i) => filter.state === undefined || i.state === filter.state)
      .map((i) => ({ ...i }));
  }

  /** The environment a container was started with (for assertions). */
  envOf(id: string): Record<string, string> | undefined {
    return this.containers.get(id)?.env;
  }

  async execSync(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    this.calls.push(`exec:${id}/${command.join(' ')}`);
    void timeoutMs;
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (c.info.state !== 'running') return { exitCode: 126, output: 'container is not running', timedOut: false };
    const r = this.exec({ ...c.info }, command) ?? {};
    return { exitCode: r.exitCode ?? 0, output: r.output ?? '', timedOut: r.timedOut ?? false };
  }

  async readLogs(id: string, options: LogOptions = {}): Promise<Buffer> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return renderLogEntries(parseLogText(c.log), options);
  }

  async followLogs(id: string, options: FollowOptions, onData: (chunk: Buffer) => void): Promise<void> {
    // Hollow: what is there now; no waiting on a fake clock.
    onData(await this.readLogs(id, options));
  }

  watch(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
