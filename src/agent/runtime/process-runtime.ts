// ProcessRuntime: containers are plain processes on the host, supervised by the agent.
//
// - A container is `command + args` (there are no images; `imageEntrypoints` can name the
//   command of well-known images). Neither → CreateContainerError (permanent).
// - Each container is the leader of its own process group and session (detached), so stop
//   signals reach the whole tree: SIGTERM to the group, SIGKILL to the group after the grace
//   period. When the main process exits on its own, what is left of its group is SIGKILLed at
//   once, as a container's processes die with its init process. A descendant that leaves the
//   group (setsid/setpgid) escapes supervision; the bubblewrap runtime closes that gap.
// - Container logs rotate by size (`logRotation`, see ContainerLogWriter); reading and following
//   span the rotated files.
// - stdout/stderr are named pipes (FIFOs under `stateDir/fifos`) read by the agent and written
//   to a CRI log file with timestamps. The container holds its end open read-write, so the pipe
//   always has a reader: when the agent is gone a write never raises SIGPIPE/EPIPE (output waits
//   in the pipe buffer, 64 KiB on Linux, and a container that fills it blocks until an agent
//   reads again), and a restarted agent reopens the FIFOs and goes on logging. Where FIFOs
//   cannot be made (no `mkfifo`), plain pipes are used, and output written while no agent runs
//   is lost (the container gets EPIPE/SIGPIPE).
// - Container ids are `<pid>-<12 hex digits>` (`process://<pid>-<hex>` in the API): the main
//   process id and a random suffix (48 bits, and never the id of a record the runtime knows),
//   so in practice never reused by a state dir, across agent restarts too: an id a pod worker still
//   holds (a previous container, a stop or removal in flight) cannot name a later container whose
//   process got the same pid. Code reads the pid from `ContainerInfo.pid`, never from the id. A
//   container that could not be exec'd gets a `failed-<hex>` id and exits at once with
//   128/StartError. Records written when the id was the bare pid (older agents) are adopted
//   under that id unchanged: the formats cannot collide (a new id always has a `-`).
// - Every container is recorded as JSON under `stateDir`, with the process start time from
//   /proc, so after an agent restart `open()` finds its processes again without being fooled by
//   pid reuse. Adopted processes are no longer the agent's children: their exit is detected by
//   polling and their exit code is unknown (reported as 137 with reason ContainerStatusUnknown).
//   Their output is read again from their FIFOs.
// - `execStream` with `io.tty` runs the command on a pseudo-terminal under util-linux script(1)
//   where the node has one that works (terminal.ts; checked once, `terminalTools`),
//   else on pipes as without tty. Either way the exec's processes die with it: its process group
//   and, on a terminal, the whole session the command leads.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { ContainerLogWriter, defaultLogRotation, followLogFile, readLogFile, removeLogFiles, type LogRotation } from './container-log.js';
import { childSessions, groupMembers, isSameProcessAlive, killSession, readProcStat, signalGroup } from './proc.js';
import { detectTerminalTools, parseTerminalReport, scriptArgs, terminalScript, type TerminalTools } from './terminal.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerFilter,
  type ContainerInfo,
  type ContainerRuntime,
  type ExecIO,
  type ExecResult,
  type FollowOptions,
  type LogOptions,
  type PodSandboxConfig,
} from './interface.js';

export interface ProcessRuntimeOptions {
  /** Directory for container and sandbox records (created if missing). */
  stateDir: string;
  /** Environment every container starts from (an image's ENV); default: PATH of the agent. */
  baseEnv?: Record<string, string>;
  /** Commands for images the runtime knows, used when a container has no `command`. */
  imageEntrypoints?: Record<string, { command: string[]; args?: string[] }>;
  /** How often adopted (non-child) processes are checked for exit. Default 1000 ms. */
  exitPollMs?: number;
  /** How often a stopping container's process group is checked. Default 50 ms. */
  stopPollMs?: number;
  /** Size-based rotation of container logs. Default 10 MiB, 5 files (the kubelet's). */
  logRotation?: LogRotation;
  /**
   * The programs that give `exec -t` a pseudo-terminal (terminal.ts: util-linux script, stty,
   * tty). Default: those on the agent's PATH if script works here (checked once per process);
   * false: no terminals.
   */
  terminalTools?: TerminalTools | false;
}

interface PersistedContainer {
  info: ContainerInfo;
  /** FIFOs carrying the container's stdout and stderr (absent: plain pipes). */
  fifos?: { stdout: string; stderr: string };
  pgid?: number;
  procStartTime?: number;
  env: Record<string, string>;
  workingDir?: string;
}

interface Supervised extends PersistedContainer {
  child?: ChildProcess;
  mainExited: boolean;
  stopping?: boolean;
  /** Resolves when the container has reached `exited` and its log is closed. */
  done: Promise<void>;
  markDone: () => void;
  /** Set by markDone: the container has exited and its log is closed. */
  finished: boolean;
  pollTimer?: NodeJS.Timeout;
  /** Log writer and FIFO readers of an adopted container. */
  adoptedLog?: { writer: ContainerLogWriter; readers: Socket[] };
  /** Log writer and readers of a container started by this agent. */
  startedLog?: { writer: ContainerLogWriter; readers: Socket[] };
}

const execOutputLimit = 10 * 1024;

/** Creates the two FIFOs of a container; undefined when the host cannot make FIFOs. */
function makeFifos(dir: string, token: string): { stdout: string; stderr: string } | undefined {
  const f = { stdout: join(dir, `${token}.stdout`), stderr: join(dir, `${token}.stderr`) };
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', ['-m', '600', f.stdout, f.stderr], { stdio: 'ignore' });
    return f;
  } catch {
    rmSync(f.stdout, { force: true });
    rmSync(f.stderr, { force: true });
    return undefined;
  }
}

/** Opens the agent's (read, non-blocking) end of a FIFO as a stream. */
function openFifoReader(path: string): Socket {
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/** Resolves when every reader has ended or closed. */
function allClosed(readers: Socket[]): Promise<void> {
  return Promise.all(readers.map((r) => new Promise<void>((resolve) => {
    if (r.destroyed) return resolve();
    r.once('close', () => resolve());
  }))).then(() => undefined);
}

function signalNumber(sig: NodeJS.Signals | null): number | undefined {
  if (!sig) return undefined;
  return (osConstants.signals as Record<string, number>)[sig];
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/**
 * Applies terminal sizes to a pty slave with `stty -F SLAVE cols W rows H`, one at a time: a
 * size that comes while one is applied, or before the slave is known, waits (only the latest
 * waiting one is kept); `kick()` retries once the slave is known. `slave()` is the slave's path
 * while it is safe to touch (script still holds the master), undefined before it is known, and
 * null once the exec is over (waiting sizes are dropped). Failures are ignored: a size is
 * advisory.
 */
function terminalResizer(stty: string, slave: () => string | undefined | null): { resize(size: { cols: number; rows: number }): void; kick(): void } {
  let running = false;
  let next: { cols: number; rows: number } | undefined;
  const kick = (): void => {
    if (running || !next) return;
    const path = slave();
    if (path === null) next = undefined;
    if (!path) return;
    const size = next!;
    next = undefined;
    running = true;
    execFile(stty, ['-F', path, 'cols', String(Math.trunc(size.cols)), 'rows', String(Math.trunc(size.rows))], { timeout: 5_000 }, () => {
      running = false;
      kick();
    });
  };
  return {
    resize(size) {
      next = size;
      kick();
    },
    kick,
  };
}

export class ProcessRuntime implements ContainerRuntime {
  readonly type = 'process';
  private readonly containers = new Map<string, Supervised>();
  /** Kill functions of the running `execStream` sessions, per container. */
  private readonly execSessions = new Map<string, Set<() => void>>();
  private readonly sandboxes = new Map<string, PodSandboxConfig>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private readonly containersDir: string;
  private readonly sandboxesDir: string;
  private readonly baseEnv: Record<string, string>;
  private readonly exitPollMs: number;
  private readonly stopPollMs: number;
  private readonly logRotation: LogRotation;
  /** The programs that run `exec -t` commands on a pty; undefined: no terminals (pipes). */
  readonly terminalTools: TerminalTools | undefined;

  private constructor(private readonly options: ProcessRuntimeOptions) {
    this.containersDir = join(options.stateDir, 'containers');
    this.sandboxesDir = join(options.stateDir, 'sandboxes');
    this.baseEnv = options.baseEnv ?? { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    this.exitPollMs = options.exitPollMs ?? 1000;
    this.stopPollMs = options.stopPollMs ?? 50;
    this.logRotation = options.logRotation ?? defaultLogRotation;
    this.terminalTools = options.terminalTools === false ? undefined : options.terminalTools ?? detectTerminalTools(process.env.PATH ?? '');
  }

  /** Opens the runtime, adopting the still-running containers recorded in `stateDir`. */
  static async open(options: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const rt = new ProcessRuntime(options);
    rt.recover();
    return rt;
  }

  private recover(): void {
    mkdirSync(this.containersDir, { recursive: true });
    mkdirSync(this.sandboxesDir, { recursive: true });
    for (const name of readdirSync(this.sandboxesDir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const cfg = JSON.parse(readFileSync(join(this.sandboxesDir, name), 'utf8')) as PodSandboxConfig;
        this.sandboxes.set(cfg.uid, cfg);
      } catch {
        // A torn record (crash during the first write) names nothing we can act on.
      }
    }
    for (const name of readdirSync(this.containersDir)) {
      if (!name.endsWith('.json')) continue;
      let rec: PersistedContainer;
      try {
        rec = JSON.parse(readFileSync(join(this.containersDir, name), 'utf8')) as PersistedContainer;
      } catch {
        continue;
      }
      const sup = this.track(rec);
      if (rec.info.state === 'running' && rec.info.pid !== undefined) {
        if (isSameProcessAlive(rec.info.pid, rec.procStartTime)) {
          this.adoptLog(sup);
          this.pollAdopted(sup);
        } else {
          this.finishUnknown(sup, 'the process was gone when the agent restarted; its exit code is unknown');
        }
      } else if (rec.info.state !== 'exited') {
        this.finishUnknown(sup, 'the container was not running when the agent restarted');
      } else {
        sup.mainExited = true;
        sup.markDone();
      }
    }
  }

  private track(rec: PersistedContainer): Supervised {
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const sup: Supervised = {
      ...rec,
      mainExited: rec.info.state === 'exited',
      done,
      finished: false,
      markDone: () => {
        sup.finished = true;
        resolveDone();
      },
    };
    this.containers.set(rec.info.id, sup);
    return sup;
  }

  private persist(sup: Supervised): void {
    const rec: PersistedContainer = { info: sup.info, env: sup.env };
    if (sup.pgid !== undefined) rec.pgid = sup.pgid;
    if (sup.procStartTime !== undefined) rec.procStartTime = sup.procStartTime;
    if (sup.workingDir !== undefined) rec.workingDir = sup.workingDir;
    if (sup.fifos) rec.fifos = sup.fifos;
    try {
      writeJsonAtomic(join(this.containersDir, `${sup.info.id}.json`), rec);
    } catch {
      // State dir gone (agent shutting down in a test); the in-memory record stays authoritative.
    }
  }

  private emit(type: ContainerEvent['type'], info: ContainerInfo): void {
    const ev: ContainerEvent = { type, containerId: info.id, sandboxId: info.sandboxId, labels: info.labels };
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private finishUnknown(sup: Supervised, message: string): void {
    sup.info = {
      ...sup.info,
      state: 'exited',
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message,
      finishedAt: sup.info.finishedAt ?? Date.now(),
    };
    sup.mainExited = true;
    this.persist(sup);
    sup.markDone();
  }

  /** Reads an adopted container's FIFOs into its log file again. */
  private adoptLog(sup: Supervised): void {
    if (!sup.fifos) return;
    try {
      const writer = new ContainerLogWriter(sup.info.logPath, this.logRotation);
      const readers = [openFifoReader(sup.fifos.stdout), openFifoReader(sup.fifos.stderr)];
      readers[0]!.on('data', (b: Buffer) => writer.write('stdout', b));
      readers[1]!.on('data', (b: Buffer) => writer.write('stderr', b));
      for (const r of readers) r.on('error', () => undefined);
      sup.adoptedLog = { writer, readers };
    } catch {
      // FIFOs gone: the container runs on without a log.
    }
  }

  /** Closes an adopted container's log once its FIFOs are drained (bounded wait). */
  private async closeAdoptedLog(sup: Supervised): Promise<void> {
    const log = sup.adoptedLog;
    if (!log) return;
    sup.adoptedLog = undefined;
    await Promise.race([allClosed(log.readers), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const r of log.readers) r.destroy();
    await log.writer.close();
  }

  private pollAdopted(sup: Supervised): void {
    const tick = (): void => {
      if (sup.info.state !== 'running') return;
      if (!isSameProcessAlive(sup.info.pid!, sup.procStartTime)) {
        if (sup.pgid !== undefined) signalGroup(sup.pgid, 'SIGKILL');
        void this.closeAdoptedLog(sup).then(() => {
          if (sup.info.state !== 'running') return;
          this.finishUnknown(sup, 'the process was adopted after an agent restart; its exit code is unknown');
          this.emit('exited', sup.info);
        });
        return;
      }
      sup.pollTimer = setTimeout(tick, this.exitPollMs);
      sup.pollTimer.unref();
    };
    tick();
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    mkdirSync(config.logDirectory, { recursive: true });
    this.sandboxes.set(config.uid, config);
    writeJsonAtomic(join(this.sandboxesDir, `${config.uid}.json`), config);
    return config.uid;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const ids = [...this.containers.values()].filter((c) => c.info.sandboxId === sandboxId).map((c) => c.info.id);
    await Promise.all(ids.map((id) => this.stopContainer(id, 0)));
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    await this.stopPodSandbox(sandboxId);
    const ids = [...this.containers.values()].filter((c) => c.info.sandboxId === sandboxId).map((c) => c.info.id);
    for (const id of ids) await this.removeContainer(id);
    this.sandboxes.delete(sandboxId);
    rmSync(join(this.sandboxesDir, `${sandboxId}.json`), { force: true });
  }

  async startContainer(sandboxId: string, sandbox: PodSandboxConfig, config: ContainerConfig): Promise<ContainerInfo> {
    if (!this.sandboxes.has(sandboxId)) throw new RuntimeError('NotFound', `pod sandbox "${sandboxId}" not found`);
    const known = this.options.imageEntrypoints?.[config.image];
    let argv: string[];
    if (config.command.length > 0) argv = [...config.command, ...config.args];
    else if (known) argv = [...known.command, ...(config.args.length > 0 ? config.args : (known.args ?? []))];
    else argv = [...config.args];
    if (argv.length === 0) {
      throw new RuntimeError(
        'CreateContainerError',
        `container "${config.name}" has no command: the process runtime runs host processes, not images, ` +
          `so the container must set "command" (or "args"); image ${JSON.stringify(config.image)} is not known to it`,
        true,
      );
    }
    const env: Record<string, string> = { ...this.baseEnv };
    if (sandbox.hostname) env.HOSTNAME = sandbox.hostname;
    for (const kv of config.env) env[kv.name] = kv.value;
    const logPath = join(sandbox.logDirectory, config.logPath);
    mkdirSync(dirname(logPath), { recursive: true });

    const base: ContainerInfo = {
      id: '',
      sandboxId,
      name: config.name,
      attempt: config.attempt,
      labels: { ...config.labels },
      image: config.image,
      imageRef: argv[0]!,
      state: 'created',
      createdAt: Date.now(),
      logPath,
    };

    if (config.workingDir !== undefined) {
      let isDir = false;
      try {
        isDir = statSync(config.workingDir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) return this.recordStartError(base, env, config, `chdir to cwd (${JSON.stringify(config.workingDir)}) set in config: no such directory`);
    }

    const writer = new ContainerLogWriter(logPath, this.logRotation);
    const fifos = makeFifos(join(this.options.stateDir, 'fifos'), randomBytes(8).toString('hex'));
    let readers: Socket[] = [];
    let childEnds: number[] = [];
    if (fifos) {
      // The container's ends (read-write: never blocks on open, and keeps a reader on the pipe).
      childEnds = [openSync(fifos.stdout, fsConstants.O_RDWR), openSync(fifos.stderr, fsConstants.O_RDWR)];
      readers = [openFifoReader(fifos.stdout), openFifoReader(fifos.stderr)];
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: config.workingDir,
      env,
      detached: true,
      stdio: fifos ? ['ignore', childEnds[0]!, childEnds[1]!] : ['ignore', 'pipe', 'pipe'],
    });
    for (const fd of childEnds) closeSync(fd);
    if (!fifos) readers = [child.stdout as Socket, child.stderr as Socket];
    for (const r of readers) r.on('error', () => undefined);
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (spawned || child.pid === undefined) {
      for (const r of readers) r.destroy();
      if (fifos) {
        rmSync(fifos.stdout, { force: true });
        rmSync(fifos.stderr, { force: true });
      }
      await writer.close();
      const err = spawned as NodeJS.ErrnoException | undefined;
      const what =
        err?.code === 'ENOENT'
          ? `exec: ${JSON.stringify(argv[0])}: executable file not found in $PATH`
          : err?.code === 'EACCES'
            ? `exec: ${JSON.stringify(argv[0])}: permission denied`
            : `exec: ${JSON.stringify(argv[0])}: ${err?.message ?? 'failed'}`;
      return this.recordStartError(base, env, config, what);
    }
    const pid = child.pid;
    readers[0]!.on('data', (b: Buffer) => writer.write('stdout', b));
    readers[1]!.on('data', (b: Buffer) => writer.write('stderr', b));

    const id = this.newContainerId(pid);
    const sup = this.track({
      info: { ...base, id, pid, state: 'running', startedAt: Date.now() },
      pgid: pid,
      procStartTime: readProcStat(pid)?.startTime,
      env,
      workingDir: config.workingDir,
      ...(fifos ? { fifos } : {}),
    });
    sup.child = child;
    sup.startedLog = { writer, readers };
    this.persist(sup);

    let closed = false;
    const closedP = allClosed(readers).then(() => {
      closed = true;
    });
    child.once('exit', (code, sig) => {
      sup.mainExited = true;
      // Container semantics: the rest of the tree dies with the main process. During a stop,
      // stopContainer gives the group its grace period instead.
      if (!sup.stopping) signalGroup(pid, 'SIGKILL');
      const signo = signalNumber(sig);
      const exitCode = code ?? (signo !== undefined ? 128 + signo : 255);
      void (async () => {
        // The pipes close once every process holding them is gone; a process that escaped the
        // group may hold them forever, so stop waiting after a while.
        if (!closed) {
          await Promise.race([closedP, new Promise((r) => setTimeout(r, 2000).unref())]);
          if (!closed) for (const r of readers) r.destroy();
        }
        await writer.close();
        const info: ContainerInfo = { ...sup.info, state: 'exited', exitCode, finishedAt: Date.now() };
        if (signo !== undefined) info.signal = signo;
        sup.info = info;
        this.persist(sup);
        sup.markDone();
        this.emit('exited', info);
      })();
    });
    this.emit('started', sup.info);
    return { ...sup.info };
  }

  /** A container id no container of this runtime (or of a record in its state dir) has. */
  private newContainerId(pid: number): string {
    for (;;) {
      const id = `${pid}-${randomBytes(6).toString('hex')}`;
      if (!this.containers.has(id)) return id;
    }
  }

  private recordStartError(base: ContainerInfo, env: Record<string, string>, config: ContainerConfig, message: string): ContainerInfo {
    const now = Date.now();
    const id = `failed-${randomBytes(6).toString('hex')}`;
    const sup = this.track({
      info: { ...base, id, state: 'exited', exitCode: 128, reason: 'StartError', message, startedAt: now, finishedAt: now },
      env,
      workingDir: config.workingDir,
    });
    sup.mainExited = true;
    this.persist(sup);
    sup.markDone();
    this.emit('exited', sup.info);
    return { ...sup.info };
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    for (const kill of this.execSessions.get(id) ?? []) kill();
    if (sup.info.state !== 'running' || sup.pgid === undefined) return sup.done;
    const pgid = sup.pgid;
    sup.stopping = true;
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + Math.max(0, gracePeriodSeconds) * 1000;
    for (;;) {
      const mainGone = sup.child ? sup.mainExited : !isSameProcessAlive(sup.info.pid!, sup.procStartTime);
      if (mainGone && groupMembers(pgid).length === 0) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(this.stopPollMs, left)));
    }
    signalGroup(pgid, 'SIGKILL');
    if (!sup.child && sup.info.state === 'running') {
      // Adopted: not our child, so no exit event; the poller notices, but finish now.
      clearTimeout(sup.pollTimer);
      this.finishUnknown(sup, 'stopped after an agent restart; its exit code is unknown');
      this.emit('exited', sup.info);
    }
    await sup.done;
  }

  private dropRecord(sup: Supervised): void {
    clearTimeout(sup.pollTimer);
    this.execSessions.delete(sup.info.id);
    this.containers.delete(sup.info.id);
    rmSync(join(this.containersDir, `${sup.info.id}.json`), { force: true });
    if (sup.fifos) {
      rmSync(sup.fifos.stdout, { force: true });
      rmSync(sup.fifos.stderr, { force: true });
    }
  }

  async removeContainer(id: string): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) return;
    if (sup.info.state === 'running') throw new RuntimeError('InvalidState', `container "${id}" is running; stop it first`);
    this.dropRecord(sup);
    removeLogFiles(sup.info.logPath);
    this.emit('removed', sup.info);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const sup = this.containers.get(id);
    return sup ? { ...sup.info } : undefined;
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    const out: ContainerInfo[] = [];
    for (const sup of this.containers.values()) {
      const info = sup.info;
      if (filter.sandboxId !== undefined && info.sandboxId !== filter.sandboxId) continue;
      if (filter.podUID !== undefined && this.sandboxes.get(info.sandboxId)?.uid !== filter.podUID && info.sandboxId !== filter.podUID) continue;
      if (filter.state !== undefined && info.state !== filter.state) continue;
      out.push({ ...info });
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async execSync(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (sup.info.state !== 'running') return { exitCode: 126, output: `container "${id}" is not running`, timedOut: false };
    if (command.length === 0) return { exitCode: 126, output: 'no command', timedOut: false };
    return new Promise<ExecResult>((resolve) => {
      const child = spawn(command[0]!, command.slice(1), {
        cwd: sup.workingDir,
        env: sup.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let timedOut = false;
      let settled = false;
      const collect = (b: Buffer): void => {
        if (output.length < execOutputLimit) output += b.toString('utf8').slice(0, execOutputLimit - output.length);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      const finish = (r: ExecResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, Math.max(1, timeoutMs));
      child.once('error', (err) => finish({ exitCode: 126, output: err.message, timedOut: false }));
      child.once('exit', (code, sig) => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        const signo = signalNumber(sig);
        const exitCode = code ?? (signo !== undefined ? 128 + signo : 255);
        // Give the pipes a moment to drain; leftovers of the group were just killed.
        const done = (): void => finish({ exitCode, output, timedOut });
        child.once('close', done);
        setTimeout(done, 500).unref();
      });
    });
  }

  async execStream(id: string, command: string[], io: ExecIO): Promise<{ exitCode: number }> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (sup.info.state !== 'running') throw new RuntimeError('InvalidState', `container "${id}" is not running`);
    if (command.length === 0) throw new RuntimeError('InvalidState', 'no command');
    // A command word starting with '-' would be read as an option of the wrapper's `exec`: such
    // a command runs on pipes, as without a terminal (where it is simply not found).
    const tools = io.tty && !command[0]!.startsWith('-') ? this.terminalTools : undefined;
    const script = tools?.script;
    return new Promise((resolve) => {
      let child: ChildProcess;
      /** The command's session and pty slave when on a terminal (reported by the wrapper on fd 3). */
      let pty: { sid: number; slave?: string } | undefined;
      let settled = false;
      const resizer = terminalResizer(tools?.stty ?? 'stty', () => (settled || child.exitCode !== null || child.signalCode !== null ? null : pty ? pty.slave ?? null : undefined));
      if (script) {
        // script(1) runs `$SHELL -c`: SHELL is taken out for it and put back by the wrapper.
        const { SHELL: shell, ...env } = sup.env;
        env.TERM = sup.env.TERM || 'xterm';
        const wrapper = terminalScript(tools!, command, io.tty?.size, shell);
        child = spawn(script, scriptArgs(wrapper), { cwd: sup.workingDir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
        let report = '';
        const side = child.stdio[3] as import('node:stream').Readable | null;
        side?.on('data', (b: Buffer) => {
          report += b.toString('utf8');
          if (pty || !report.includes('\n')) return;
          pty = parseTerminalReport(report.slice(0, report.indexOf('\n'))) ?? { sid: 0 };
          resizer.kick();
        });
        side?.on('error', () => undefined);
      } else {
        child = spawn(command[0]!, command.slice(1), { cwd: sup.workingDir, env: sup.env, detached: true, stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      }
      // Its own process group (and on a terminal, the command's own session), so a kill takes
      // whatever the command started.
      const pgid = child.pid;
      const killGroup = (): void => {
        if (pgid === undefined) return;
        // The command's session: known from the wrapper, or (killed before it reported) the
        // sessions script's children lead.
        const sessions = script ? (pty?.sid ? [pty.sid] : childSessions(pgid)) : [];
        signalGroup(pgid, 'SIGKILL');
        for (const sid of sessions) killSession(sid);
      };
      // Stopping the container ends its exec sessions too.
      const sessions = (this.execSessions.get(id) ?? this.execSessions.set(id, new Set()).get(id))!;
      sessions.add(killGroup);
      const finish = (exitCode: number): void => {
        if (settled) return;
        settled = true;
        killGroup(); // what it left behind in its group (and session)
        sessions.delete(killGroup);
        io.signal?.removeEventListener('abort', killGroup);
        if (script) child.stdin?.destroy();
        resolve({ exitCode });
      };
      io.signal?.addEventListener('abort', killGroup, { once: true });
      if (script) io.tty?.onResize?.((size) => resizer.resize(size));
      io.started?.({ terminal: script !== undefined });
      // pipe() pauses the command's output while the caller cannot take more. A terminal has
      // one output stream; script's own stderr (its failures) goes with it.
      child.stdout!.pipe(io.stdout, { end: false });
      child.stderr!.pipe(script ? io.stdout : io.stderr, { end: false });
      if (io.stdin && child.stdin) {
        const sink = child.stdin;
        sink.on('error', () => undefined); // the command may exit without reading
        void (async () => {
          try {
            for await (const chunk of io.stdin!) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
          } catch {
            // the caller's stream failed: end the command's input
          }
          sink.end();
        })();
      } else if (child.stdin) {
        // A terminal nobody types into (exec -t without -i): script's stdin stays open, so the
        // command waits for input as on an idle terminal; it is closed when the exec ends.
        child.stdin.on('error', () => undefined);
      }
      child.once('error', (err) => {
        io.stderr.write(`${err.message}\n`);
        finish(126);
      });
      // 'close': the exit and both output pipes drained.
      child.once('close', (code, sig) => {
        const signo = signalNumber(sig);
        finish(code ?? (signo !== undefined ? 128 + signo : 255));
      });
    });
  }

  async readLogs(id: string, options: LogOptions = {}): Promise<string> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return readLogFile(sup.info.logPath, options);
  }

  async followLogs(id: string, options: FollowOptions, onData: (chunk: string) => void): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    // Done once the container has exited and its log is closed (nothing more will be written).
    await followLogFile(sup.info.logPath, options, onData, async () => sup.info.state !== 'running' && sup.finished);
  }

  watch(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops supervising without stopping anything: adopted-process pollers are cleared and child
   * handles released, so the agent can exit and a later `open()` adopts the processes.
   */
  detach(): void {
    for (const sup of this.containers.values()) {
      clearTimeout(sup.pollTimer);
      sup.child?.unref();
      for (const log of [sup.startedLog, sup.adoptedLog]) {
        if (!log) continue;
        // FIFO readers can go: the container keeps its pipe alive and the next agent reads it.
        // Plain pipes must stay open (closing them would kill the container on its next write).
        if (sup.fifos) {
          for (const r of log.readers) r.destroy();
          void log.writer.close();
        } else {
          for (const r of log.readers) r.unref();
        }
      }
      sup.adoptedLog = undefined;
    }
    this.listeners.clear();
  }
}
