// ProcessRuntime: containers are plain processes on the host, supervised by the agent.
//
// - A container is `command + args` (there are no images; `imageEntrypoints` can name the
//   command of well-known images). Neither, or args alone that start with a flag (meant for an
//   image's entrypoint) → CreateContainerError (permanent).
// - Each container is the leader of its own process group and session (detached), so stop
//   signals reach the whole tree: SIGTERM to the group, SIGKILL to the group after the grace
//   period. When the main process exits on its own, what is left of its group is SIGKILLed at
//   once, as a container's processes die with its init process. A descendant that leaves the
//   group and session (setsid: a daemon that forks into the background) is still the
//   container's: every container starts with `EVERYNODE_CONTAINER=<the hex part of its id>` in
//   its environment (proc.ts containerMarkEnv, set after the pod's env), which descendants
//   inherit, and whatever carries it is SIGKILLed when the main process exits and at the end of
//   a stop, so nothing outlives its container to hold its ports, files and log pipes, or pile up
//   with every restart. A descendant that replaces its environment (execve with a new one, or
//   setproctitle writing over it) is not found this way.
// - Resource limits (`ContainerConfig.limits`) are enforced only with `cgroups` (cgroups.ts): a
//   group per container made right before its process (none made: a StartError, the container
//   does not run), the main process moved in at once, the command itself once a terminal's
//   wrapper reports it, and every command exec'd in the container; an exit after an OOM kill
//   in the group is `OOMKilled` (an adopted container's too); the group goes with the record.
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
// - Records and processes (the one-daemon-per-node promise rests on it): a container process
//   runs only while its record is on disk, where the next `open()` finds it. The record is
//   written right after spawn(), before anything else happens (no await in between), with the
//   real pid and start time, atomically (`<id>.json.tmp` renamed over `<id>.json`). When it
//   cannot be written (ENOSPC, EIO, state dir gone) the process group is SIGKILLed and reaped,
//   its FIFOs and log are removed, nothing is reported as started, and startContainer rejects
//   with a non-permanent RuntimeError (`cannot record container state: <cause>`), which the
//   pod worker retries with back-off. A failed write leaves no `.tmp` behind. Later updates
//   (exit, ContainerStatusUnknown) that fail are logged and do not throw: the record on disk
//   then still says `running`, which the next `open()` checks against the process (pid and
//   start time) and finishes as ContainerStatusUnknown; only the exit code is lost. A sandbox
//   is recorded before `runPodSandbox` reports it (failure: RuntimeError, nothing kept); an
//   unchanged sandbox record is not written again. At `open()`, `.json.tmp` leftovers are
//   resolved: beside a record, removed; holding a whole record, renamed into place and
//   adopted; torn (an older agent on a full disk left a 0-byte one while its container ran),
//   the process it names is SIGKILLed if it is surely that container (a session and group
//   leader started before the file was, holding one of this runtime's FIFOs that no record
//   names), since without labels it cannot be adopted and the pod worker starts a new copy.
//   FIFOs no record names are removed.
// - `execStream` with `io.tty` runs the command on a pseudo-terminal under util-linux script(1)
//   where the node has one that works (terminal.ts; checked once, `terminalTools`),
//   else on pipes as without tty. Either way the exec's processes die with it: its process group
//   and, on a terminal, the whole session the command leads.
// - A container with `tty` runs on a pseudo-terminal the same way where the node has terminal
//   tools (else as without tty): its main process is script(1) (so `pgid`, `pid` and the start
//   time are script's), whose child runs the wrapper in a new session on the pty and `exec`s the
//   command (terminal.ts), so the command leads that session with the slave as its stdin, stdout
//   and stderr, SHELL and the container's mark as the container's, TERM=xterm unless the pod sets
//   it. A command that cannot be found or run is a StartError as without tty (looked up here
//   first, as exec would: script itself would start). script's stdout goes to the stdout FIFO
//   (the terminal's output: stdout and stderr merged, CR LF, echo), its stderr (script's own
//   failures) to the stderr FIFO; its exit code is the command's (`-e`: 128+N for signal N).
//   script's stdin is the container's input, whose end script types as the EOF character:
//   - `stdin`: the FIFO the container holds read-write, as without tty (it never ends; attaches
//     and a restarted agent write to it by its path);
//   - `stdinOnce`: the read end, with the agent holding the one writer, as without tty: the end
//     of the first attach (or of the agent) is the end of input, and the command sees EOF;
//   - neither: an unlinked FIFO the container holds read-write, so input never comes and never
//     ends, as a terminal nobody types on (hosts without FIFOs: a pipe the agent holds, which
//     ends with the agent).
//   The wrapper reports the command's session id and the slave on fd 3, a FIFO the container
//   holds read-write (a report written after the agent went never raises SIGPIPE) read by the
//   agent, unlinked at once; the record gets them (`terminal`, with the session leader's start
//   time) once they come. A record without them (the agent went before the report) falls back
//   to /proc: the session script's child leads, and its controlling terminal.
// - The whole container, on a terminal, is script's process group and the command's session (job
//   control moves jobs into groups of their own): a stop sends SIGTERM to every group of the
//   session (script forwards nothing then; before the session is known, to script, which passes
//   it to its child), waits for script, its group and the session, and SIGKILLs both and the
//   marked processes; the exit of script (on its own, or an adopted one found gone) SIGKILLs them
//   at once. A session id is only acted on while it cannot name another session: its leader
//   alive with the recorded start time, or gone (the id stays taken while members hold it).
// - `attachTerminal`: the terminal's output fans out, live, from the agent's FIFO readers (the
//   log's, also of adopted containers) to the attaches; input goes through attachStdin's paths;
//   sizes are applied with `stty -F <slave>` while script (the master's holder) is alive.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { ContainerLogWriter, defaultLogRotation, followLogFile, readLogFile, removeLogFiles, type LogRotation } from './container-log.js';
import { childSessions, containerMarkEnv, controllingTerminal, groupMembers, hasProcFs, isSameProcessAlive, killMarked, killSession, markedProcesses, readProcStat, sessionMembers, signalGroup, signalSession } from './proc.js';
import { errorMessage } from '../../util/errors.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { detectTerminalTools, parseTerminalReport, scriptArgs, terminalScript, which, type TerminalTools } from './terminal.js';
import type { Cgroups, ContainerCgroup } from './cgroups.js';
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
  type LinuxSecurity,
  type ProcessIdentity,
  type TerminalAttachIO,
} from './interface.js';

export interface ProcessRuntimeOptions {
  /** Directory for container and sandbox records (created if missing). */
  stateDir: string;
  /** Environment every container starts from (an image's ENV); default: PATH of the agent. */
  baseEnv?: Record<string, string>;
  /** Commands for images the runtime knows, used when a container has no `command`. */
  imageEntrypoints?: Record<string, { command: string[]; args?: string[] }>;
  /**
   * Control groups for containers' resource limits (cgroups.ts; `ContainerConfig.limits`).
   * Absent: limits are not enforced.
   */
  cgroups?: Cgroups;
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
  /**
   * Where the runtime reports what it cannot hand to a caller: a record update that failed, a
   * leftover process killed or left alone at `open()`. Default: a logger named
   * `process-runtime` (stderr).
   */
  logger?: Logger;
  /**
   * Writes a record's JSON into its open temporary file; default `fs.writeFileSync(fd, data)`.
   * A seam for tests: a function that throws ENOSPC is a full disk.
   */
  writeRecordData?: (fd: number, data: string) => void;
}

interface PersistedContainer {
  info: ContainerInfo;
  /** FIFOs carrying the container's stdout and stderr (absent: plain pipes). */
  fifos?: { stdout: string; stderr: string };
  /**
   * The FIFO that is the container's stdin (Container.stdin): the container holds it open
   * read-write (a read waits, it never sees end of input), attachStdin writes to it. Absent:
   * no stdin, or a pipe the agent holds (no FIFOs here).
   */
  stdinFifo?: string;
  /** Container.stdinOnce: its input closes when the first attach ends (see openHeldStdin). */
  stdinOnce?: true;
  /**
   * The container runs on a pty under script(1) (Container.tty; see the header): the command's
   * session id, its leader's /proc start time and the pty slave, as reported by the wrapper
   * (absent until the report came; then found in /proc).
   */
  terminal?: { sid?: number; sidStart?: number; slave?: string };
  pgid?: number;
  procStartTime?: number;
  env: Record<string, string>;
  workingDir?: string;
  /** ContainerConfig.user: also the identity of every command run in the container. */
  user?: ProcessIdentity;
  /** ContainerConfig.security: also applied to every command run in the container. */
  security?: LinuxSecurity;
}

interface Supervised extends PersistedContainer {
  child?: ChildProcess;
  /**
   * stdinOnce: the only writer of the container's input, held by this agent until the first
   * attach takes it (and closes it when done). Gone with this agent: the container then reads end
   * of input, as it would at the end of that attach.
   */
  stdinWriter?: number;
  mainExited: boolean;
  stopping?: boolean;
  /** Resolves when the container has reached `exited` and its log is closed. */
  done: Promise<void>;
  markDone: () => void;
  /** Set by markDone: the container has exited and its log is closed. */
  finished: boolean;
  pollTimer?: NodeJS.Timeout;
  /** The control group enforcing the container's limits (started by this agent; see cgroupOf). */
  cgroup?: ContainerCgroup;
  /** Log writer and FIFO readers of an adopted container. */
  adoptedLog?: { writer: ContainerLogWriter; readers: Socket[] };
  /** Log writer and readers of a container started by this agent. */
  startedLog?: { writer: ContainerLogWriter; readers: Socket[] };
  /** On a terminal: the attaches its output goes to as it is read (attachTerminal). */
  outputListeners?: Set<(chunk: Buffer) => void>;
  /** On a terminal, until the wrapper has reported: its fd 3 reader, and resizers waiting for the slave. */
  terminalReport?: Readable;
  terminalWaiters?: Set<() => void>;
  /**
   * child.stdin is a pipe held only to keep a terminal's input open (no FIFOs here, no `stdin`):
   * nothing may be typed into it.
   */
  idleInput?: true;
}

/** Output an attach to a terminal may leave unread before it is cut off (TerminalAttachIO.stdout). */
const terminalAttachBufferLimit = 4 * 1024 * 1024;

const execOutputLimit = 10 * 1024;

/**
 * Makes the FIFOs `paths` (mode 600) in `dir` with one mkfifo process, awaited rather than
 * run synchronously: Node has no mkfifo, and a synchronous child process blocked the agent's
 * event loop for as long as the process took to be scheduled, fork and exit (on a loaded node,
 * tens of milliseconds for every container start). False, and none left, when the host cannot
 * make FIFOs.
 */
async function makeFifos(dir: string, paths: string[]): Promise<boolean> {
  try {
    mkdirSync(dir, { recursive: true });
    await new Promise<void>((resolve, reject) => execFile('mkfifo', ['-m', '600', ...paths], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
    return true;
  } catch {
    for (const f of paths) rmSync(f, { force: true });
    return false;
  }
}

/**
 * A standard input that stays open for a container asking for stdin: a FIFO the container
 * holds read-write (`fd`, for the child), so a read waits instead of ending whatever happens to
 * the agent, and whose path stays for attachStdin (an attach writes to it; removed with the
 * container's record). With `once` (stdinOnce) the container gets the read end only and the
 * agent the one writer (`writer`), the FIFO unlinked at once: reads wait until the writer
 * closes, which is when the first attach ends. Where no FIFO can be made, undefined (the caller
 * gives a pipe it keeps open while it lives).
 */
function openHeldStdin(path: string, once: boolean): { path?: string; fd: number; writer?: number } | undefined {
  try {
    if (!once) return { path, fd: openSync(path, fsConstants.O_RDWR) };
    // Read-write first: the read-only open then finds a writer and does not block.
    const writer = openSync(path, fsConstants.O_RDWR);
    try {
      const fd = openSync(path, fsConstants.O_RDONLY);
      rmSync(path, { force: true });
      return { fd, writer };
    } catch (err) {
      closeSync(writer);
      throw err;
    }
  } catch {
    rmSync(path, { force: true });
    return undefined;
  }
}

/** Opens the agent's (read, non-blocking) end of a FIFO as a stream. */
function openFifoReader(path: string): Socket {
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/**
 * FIFOs for a container on a terminal (see the header), made, opened and unlinked at once (no
 * path is left): the wrapper's report channel (`reportFd` for the child, read-write; `report`,
 * the agent's reader) and, with `idle`, an input that never ends (`idleFd`, read-write).
 * Undefined where no FIFO can be made.
 */
function openTerminalFifos(reportPath: string, idlePath: string | undefined): { reportFd: number; report: Socket; idleFd?: number } | undefined {
  const fds: number[] = [];
  try {
    fds.push(openSync(reportPath, fsConstants.O_RDWR));
    if (idlePath !== undefined) fds.push(openSync(idlePath, fsConstants.O_RDWR));
    const report = openFifoReader(reportPath);
    return { reportFd: fds[0]!, report, ...(idlePath !== undefined ? { idleFd: fds[1]! } : {}) };
  } catch {
    for (const fd of fds) closeSync(fd);
    return undefined;
  } finally {
    rmSync(reportPath, { force: true });
    if (idlePath !== undefined) rmSync(idlePath, { force: true });
  }
}

/** The Linux capabilities a bounding set may name (capabilities(7), up to CAP_CHECKPOINT_RESTORE). */
const linuxCapabilities = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
]);

/** setpriv's --bounding-set list for `s` (LinuxSecurity), '' when it changes nothing; throws for an unknown name. */
function boundingSet(s: LinuxSecurity): string {
  const parts: string[] = [];
  if (s.dropAll) parts.push('-all');
  for (const [sign, names] of [['+', s.dropAll ? s.add ?? [] : []], ['-', s.drop ?? []]] as const) {
    for (const name of names) {
      if (!linuxCapabilities.has(name)) throw new Error(`unknown capability ${JSON.stringify(`CAP_${name}`)}`);
      parts.push(`${sign}${name.toLowerCase()}`);
    }
  }
  return parts.join(',');
}

/**
 * How a command starts as `user` with `security` (ContainerConfig.user and .security): with only
 * a uid and gid, given to spawn, which drops every supplementary group before the exec; with
 * supplementary groups, no_new_privs or a capability change, under setpriv(1) (util-linux),
 * started by the agent and setting all of them before it execs the command (same pid).
 * `setpriv` undefined: the node has none. Returns the argv to start and the spawn options, or
 * why the settings cannot be applied.
 */
function launchAs(argv: string[], user: ProcessIdentity | undefined, security: LinuxSecurity | undefined, setpriv: string | undefined): { argv: string[]; ids: { uid?: number; gid?: number }; wrapped: boolean } | { error: string } {
  let caps: string;
  try {
    caps = security ? boundingSet(security) : '';
  } catch (err) {
    return { error: errorMessage(err) };
  }
  const noNewPrivs = security?.noNewPrivs === true;
  if (!user && !caps && !noNewPrivs) return { argv, ids: {}, wrapped: false };
  if (user && user.groups.length === 0 && !caps && !noNewPrivs) return { argv, ids: { uid: user.uid, gid: user.gid }, wrapped: false };
  if (!setpriv) {
    const what = [user && user.groups.length > 0 ? `supplementary groups ${user.groups.join(',')}` : '', noNewPrivs ? 'no_new_privs' : '', caps ? 'capabilities' : ''].filter(Boolean).join(', ');
    return { error: `cannot set ${what}: setpriv (util-linux) is not on the agent's PATH` };
  }
  const flags = [
    ...(user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups'] : []),
    ...(noNewPrivs ? ['--no-new-privs'] : []),
    ...(caps ? [`--bounding-set=${caps}`] : []),
  ];
  return { argv: [setpriv, ...flags, '--', ...argv], ids: {}, wrapped: true };
}

/**
 * Why `file` cannot be executed as a container's command (runc's words, as spawn's failures
 * below), or undefined when it can: a name with a `/` is taken from `cwd`, a bare name looked up
 * in `pathEnv`. For commands run through a wrapper, whose own start would hide the failure.
 */
function lookPathFailure(file: string, pathEnv: string | undefined, cwd: string | undefined): string | undefined {
  const runnable = (path: string): 'ok' | 'denied' | 'missing' => {
    try {
      if (statSync(path).isDirectory()) return 'denied';
      accessSync(path, fsConstants.X_OK);
      return 'ok';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'missing';
    }
  };
  if (file.includes('/')) {
    const r = runnable(file.startsWith('/') || cwd === undefined ? file : join(cwd, file));
    if (r === 'ok') return undefined;
    return r === 'denied' ? `exec: ${JSON.stringify(file)}: permission denied` : `exec: ${JSON.stringify(file)}: stat ${file}: no such file or directory`;
  }
  let denied = false;
  for (const dir of (pathEnv ?? '').split(':')) {
    const r = runnable(join(dir === '' ? (cwd ?? '.') : dir, file));
    if (r === 'ok') return undefined;
    if (r === 'denied') denied = true;
  }
  return denied ? `exec: ${JSON.stringify(file)}: permission denied` : `exec: ${JSON.stringify(file)}: executable file not found in $PATH`;
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

const defaultWriteRecordData = (fd: number, data: string): void => writeFileSync(fd, data);

/**
 * Writes `value` as JSON to `path` atomically: into `<path>.tmp`, renamed over `path`, so a
 * reader (the next agent) finds the previous record or the new one, never a torn one. A failure
 * (ENOSPC, EIO, a state dir that is gone) throws an error naming the file, leaves `path` as it
 * was and removes the temporary file. Not fsynced, as before: a record has to outlive the agent
 * process (kill -9, OOM kill), which the page cache gives; a host crash takes the containers'
 * processes down with it, so a write lost that way cannot leave a process untracked. Local
 * filesystems report ENOSPC/EDQUOT at write(2), NFS at close(2); both are checked here.
 */
function writeJsonAtomic(path: string, value: unknown, writeData: (fd: number, data: string) => void): void {
  const tmp = `${path}.tmp`;
  try {
    // Readable by the agent's user only: a container's record holds its environment, Secret
    // values included.
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeData(fd, JSON.stringify(value));
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // the write's error is the one to report
      }
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the directory itself is gone
    }
    if (err instanceof Error && !err.message.includes(tmp)) err.message = `${err.message} '${tmp}'`;
    throw err;
  }
}

/** Clock ticks per second of /proc/<pid>/stat start times (USER_HZ: 100 on Linux). */
const userHz = 100;

/** Milliseconds since process `startTicks` (a /proc start time) started; undefined without /proc. */
function processAgeMs(startTicks: number): number | undefined {
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(uptime) ? (uptime - startTicks / userHz) * 1000 : undefined;
  } catch {
    return undefined;
  }
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

/** A container whose control group could not be made (a start error: it does not run). */
class LimitsNotApplied extends Error {
  constructor() {
    super('cannot apply the container\'s resource limits: its control group could not be made');
  }
}

/** A container's control group is named by its mark (its id is only known once it runs). */
const cgroupName = (mark: string): string => `c-${mark}`;

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
  private readonly logger: Logger;
  private readonly writeRecordData: (fd: number, data: string) => void;
  /** The programs that run `exec -t` commands on a pty; undefined: no terminals (pipes). */
  readonly terminalTools: TerminalTools | undefined;
  /** setpriv(1), for supplementary groups, no_new_privs and capabilities (launchAs); undefined: none on PATH. */
  private readonly setpriv: string | undefined;

  private constructor(private readonly options: ProcessRuntimeOptions) {
    this.containersDir = join(options.stateDir, 'containers');
    this.sandboxesDir = join(options.stateDir, 'sandboxes');
    this.baseEnv = options.baseEnv ?? { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    this.exitPollMs = options.exitPollMs ?? 1000;
    this.stopPollMs = options.stopPollMs ?? 50;
    this.logRotation = options.logRotation ?? defaultLogRotation;
    this.logger = options.logger ?? createLogger({ name: 'process-runtime' });
    this.writeRecordData = options.writeRecordData ?? defaultWriteRecordData;
    this.terminalTools = options.terminalTools === false ? undefined : options.terminalTools ?? detectTerminalTools(process.env.PATH ?? '');
    this.setpriv = which('setpriv', process.env.PATH ?? '');
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
      if (name.endsWith('.json.tmp')) {
        // A write that failed or was cut short: the sandbox is in `<uid>.json` or nowhere (the
        // pod worker creates it again).
        this.removeLeftover(join(this.sandboxesDir, name));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const cfg = JSON.parse(readFileSync(join(this.sandboxesDir, name), 'utf8')) as PodSandboxConfig;
        this.sandboxes.set(cfg.uid, cfg);
      } catch {
        // A torn record (crash during the first write) names nothing we can act on.
      }
    }
    const names = new Set(readdirSync(this.containersDir));
    /** Leftover temporary files naming no record, whose container may run (see recoverTorn). */
    const torn: string[] = [];
    for (const name of [...names]) {
      if (!name.endsWith('.json.tmp')) continue;
      const path = join(this.containersDir, name);
      const final = name.slice(0, -'.tmp'.length);
      if (names.has(final)) {
        // A failed or interrupted update: the record before it is the one in place.
        this.removeLeftover(path);
        continue;
      }
      let rec: PersistedContainer | undefined;
      try {
        rec = JSON.parse(readFileSync(path, 'utf8')) as PersistedContainer;
      } catch {
        rec = undefined;
      }
      if (rec?.info?.id !== undefined && `${rec.info.id}.json` === final) {
        // A whole record whose rename did not happen: finish the write and adopt it below.
        try {
          renameSync(path, join(this.containersDir, final));
          names.add(final);
          continue;
        } catch (err) {
          this.logger.warn(`cannot put the record of container ${rec.info.id} in place`, errorMessage(err));
          // Only a process known by its start time is killed (a pid alone may have been reused).
          if (rec.info.state === 'running' && rec.info.pid !== undefined && rec.procStartTime !== undefined && isSameProcessAlive(rec.info.pid, rec.procStartTime)) {
            // It must not run untracked: the next agent would start a second copy.
            signalGroup(rec.pgid ?? rec.info.pid, 'SIGKILL');
            this.logger.warn(`killed container ${rec.info.id} (process group ${rec.pgid ?? rec.info.pid}): its record could not be put in place`);
          }
          this.removeLeftover(path);
          continue;
        }
      }
      torn.push(name);
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      let rec: PersistedContainer;
      try {
        rec = JSON.parse(readFileSync(join(this.containersDir, name), 'utf8')) as PersistedContainer;
      } catch (err) {
        this.discardUnreadable(name, err);
        continue;
      }
      const sup = this.track(rec);
      if (rec.info.state === 'running' && rec.info.pid !== undefined) {
        if (isSameProcessAlive(rec.info.pid, rec.procStartTime)) {
          if (sup.terminal && sup.terminal.sid === undefined) this.findTerminal(sup);
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
    for (const name of torn) this.recoverTorn(name);
    this.removeStrayFifos();
  }

  /**
   * A record that cannot be read (damaged from outside: records are written whole) names its
   * container in its file name, `<pid>-<mark>.json`: whatever still carries that mark is killed,
   * as it can be neither adopted nor told apart by anything else, and must not run beside the
   * copy the pod's next sync starts. The record is removed.
   */
  private discardUnreadable(name: string, err: unknown): void {
    const path = join(this.containersDir, name);
    const mark = /^\d+-([0-9a-f]+)\.json$/.exec(name)?.[1];
    const running = mark !== undefined && markedProcesses(containerMarkEnv, mark).length > 0;
    if (running) killMarked(containerMarkEnv, mark);
    this.logger.warn(`${path}: the container record cannot be read (${errorMessage(err)}); ${running ? 'its processes were killed and ' : ''}the record is removed`);
    this.removeLeftover(path);
  }

  private removeLeftover(path: string): void {
    try {
      rmSync(path, { force: true });
    } catch (err) {
      this.logger.warn(`cannot remove ${path}`, errorMessage(err));
    }
  }

  /** The runtime's FIFO directory, resolved as /proc shows paths (undefined: not there). */
  private fifoDir(): string | undefined {
    try {
      return realpathSync(join(this.options.stateDir, 'fifos'));
    } catch {
      return undefined;
    }
  }

  /** FIFOs named by the records the runtime knows (as /proc shows paths). */
  private knownFifos(): Set<string> {
    const known = new Set<string>();
    const dir = this.fifoDir();
    for (const sup of this.containers.values()) {
      const named = [...(sup.fifos ? [sup.fifos.stdout, sup.fifos.stderr] : []), ...(sup.stdinFifo ? [sup.stdinFifo] : [])];
      for (const f of named) {
        known.add(f);
        if (dir) known.add(join(dir, f.slice(f.lastIndexOf('/') + 1)));
      }
    }
    return known;
  }

  /**
   * A `<id>.json.tmp` with no `<id>.json` and no whole record in it: the first write of a
   * container's record failed or was cut short (an older agent on a full disk left such 0-byte
   * files while the container ran on). Without its labels the container cannot be adopted and
   * the pod worker will start a new copy, so the process the id names is SIGKILLed (its group)
   * if it is surely that container: a live leader of its own session and process group (as
   * containers are started), started before the file was written (at most a few seconds of
   * clock slack), whose stdout or stderr is one of this runtime's FIFOs that no record names.
   * Anything less sure is left alone with a warning. The file is removed either way.
   */
  private recoverTorn(name: string): void {
    const path = join(this.containersDir, name);
    const pid = /^(\d+)(?:-[0-9a-f]+)?\.json\.tmp$/.exec(name)?.[1];
    if (pid !== undefined) {
      const orphan = this.identifyOrphan(Number(pid), path);
      if (orphan === 'none') {
        // nothing to do
      } else if (orphan === undefined) {
        this.logger.warn(`${path}: the record of a container that may still run as process ${pid} was never written; it cannot be told apart from another process, so it is left alone`);
      } else {
        // A container on a terminal: the command's session, led by script's child, goes too.
        const sessions = childSessions(Number(pid));
        signalGroup(Number(pid), 'SIGKILL');
        for (const sid of sessions) killSession(sid);
        for (const f of orphan) this.removeLeftover(f);
        this.logger.warn(`killed process group ${pid}: a container whose record was never written (${path}); it could not be adopted`);
      }
    }
    this.removeLeftover(path);
  }

  /** See recoverTorn: the FIFOs process `pid` holds if it is surely an unrecorded container. */
  private identifyOrphan(pid: number, recordPath: string): string[] | 'none' | undefined {
    const st = readProcStat(pid);
    if (!hasProcFs || !st || st.state === 'Z' || st.state === 'X') return hasProcFs ? 'none' : undefined;
    if (st.pgrp !== pid || st.session !== pid) return 'none'; // not started as a container
    for (const sup of this.containers.values()) if (sup.info.state === 'running' && sup.info.pid === pid) return 'none'; // a recorded one
    let fileAgeMs: number;
    try {
      fileAgeMs = Date.now() - statSync(recordPath).mtimeMs;
    } catch {
      return undefined;
    }
    const age = processAgeMs(st.startTime);
    if (age === undefined || age < fileAgeMs - 5_000) return 'none'; // started after the file was written
    const dir = this.fifoDir();
    if (!dir) return undefined;
    const known = this.knownFifos();
    const held = new Set<string>();
    for (const fd of [1, 2]) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith(`${dir}/`) && !target.endsWith(' (deleted)') && !known.has(target)) held.add(target);
    }
    return held.size > 0 ? [...held] : undefined;
  }

  /** Removes FIFOs that no record names (left by containers whose records are gone). */
  private removeStrayFifos(): void {
    const dir = this.fifoDir();
    if (!dir) return;
    const known = this.knownFifos();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) if (!known.has(join(dir, name))) this.removeLeftover(join(dir, name));
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

  /** The container's record as written to disk. */
  private recordOf(sup: Supervised): PersistedContainer {
    const rec: PersistedContainer = { info: sup.info, env: sup.env };
    if (sup.pgid !== undefined) rec.pgid = sup.pgid;
    if (sup.procStartTime !== undefined) rec.procStartTime = sup.procStartTime;
    if (sup.workingDir !== undefined) rec.workingDir = sup.workingDir;
    if (sup.user) rec.user = sup.user;
    if (sup.security) rec.security = sup.security;
    if (sup.fifos) rec.fifos = sup.fifos;
    if (sup.stdinFifo) rec.stdinFifo = sup.stdinFifo;
    if (sup.stdinOnce) rec.stdinOnce = true;
    if (sup.terminal) rec.terminal = sup.terminal;
    return rec;
  }

  /** Writes the container's record; throws when it cannot (see writeJsonAtomic). */
  private writeRecord(sup: Supervised): void {
    writeJsonAtomic(join(this.containersDir, `${sup.info.id}.json`), this.recordOf(sup), this.writeRecordData);
  }

  /**
   * Updates the record of a container that is not running (exited, or never started), or adds
   * to a running one what it only learns later (its terminal's session and slave). A failure is
   * logged, not thrown: the record on disk keeps its previous state, the in-memory one stays
   * authoritative while this agent runs, and a record left saying `running` is finished as
   * ContainerStatusUnknown by the next open() (its process is gone by then, or it is adopted);
   * a terminal left out is found in /proc.
   */
  private persist(sup: Supervised): void {
    try {
      this.writeRecord(sup);
    } catch (err) {
      this.logger.warn(`container ${sup.info.id}: cannot record its state (${sup.info.state})`, errorMessage(err));
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
    // An adopted container's group still counts the OOM kills of its processes.
    const group = this.cgroupOf(sup);
    const oom = group?.oomKilled() === true;
    sup.info = {
      ...sup.info,
      state: 'exited',
      exitCode: 137,
      reason: oom ? 'OOMKilled' : 'ContainerStatusUnknown',
      message,
      finishedAt: sup.info.finishedAt ?? Date.now(),
    };
    group?.remove();
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
      readers[0]!.on('data', (b: Buffer) => this.output(sup, writer, 'stdout', b));
      readers[1]!.on('data', (b: Buffer) => this.output(sup, writer, 'stderr', b));
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
        this.killRest(sup);
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
    // Recorded before it is known, so a sandbox the runtime reports is one the next agent finds;
    // an unchanged record is not written again (an agent restarting on a full disk keeps its pods).
    const known = this.sandboxes.get(config.uid);
    if (!known || JSON.stringify(known) !== JSON.stringify(config)) {
      try {
        writeJsonAtomic(join(this.sandboxesDir, `${config.uid}.json`), config, this.writeRecordData);
      } catch (err) {
        throw new RuntimeError('RuntimeError', `cannot record pod sandbox state: ${errorMessage(err)}`);
      }
    }
    this.sandboxes.set(config.uid, config);
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
    // Args that start with a flag were written for an image's entrypoint (node-exporter's
    // `--web.listen-address=...`): running the flag as a program would fail with a misleading
    // "executable file not found".
    if (argv.length > 0 && config.command.length === 0 && !known && argv[0]!.startsWith('-')) {
      throw new RuntimeError(
        'CreateContainerError',
        `container "${config.name}" has no command: its args (${JSON.stringify(argv[0])} ...) are flags for the entrypoint of image ` +
          `${JSON.stringify(config.image)}, which the process runtime does not know (it runs host processes, not images); set "command"`,
        true,
      );
    }
    if (argv.length === 0) {
      throw new RuntimeError(
        'CreateContainerError',
        `container "${config.name}" has no command: the process runtime runs host processes, not images, ` +
          `so the container must set "command" (or "args"); image ${JSON.stringify(config.image)} is not known to it`,
        true,
      );
    }
    // A terminal where asked for and the node has one; a command word starting with '-' would be
    // read as an option of the wrapper's `exec`, so such a container runs as without tty.
    const tools = config.tty && !argv[0]!.startsWith('-') ? this.terminalTools : undefined;
    const env: Record<string, string> = { ...this.baseEnv };
    // As CRI runtimes give a container with a terminal (the pod's env can still set its own).
    if (tools) env.TERM = 'xterm';
    if (sandbox.hostname) env.HOSTNAME = sandbox.hostname;
    for (const kv of config.env) env[kv.name] = kv.value;
    // The container's mark (see the header); the id is `<pid>-<mark>` once the pid is known.
    const mark = this.newMark();
    env[containerMarkEnv] = mark;
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
    const launch = launchAs(argv, config.user, config.security, this.setpriv);
    if ('error' in launch) return this.recordStartError(base, env, config, launch.error);
    if (tools || launch.wrapped) {
      // A wrapper would start and fail to exec: the command is looked up first, as exec would.
      const failure = lookPathFailure(argv[0]!, env.PATH, config.workingDir);
      if (failure !== undefined) return this.recordStartError(base, env, config, failure);
    }

    // Every FIFO of the container, made at once: output, a held stdin, and on a terminal the
    // report channel and an input that never ends when nothing may type.
    const fifoDir = join(this.options.stateDir, 'fifos');
    const token = join(fifoDir, randomBytes(8).toString('hex'));
    const paths = {
      stdout: `${token}.stdout`,
      stderr: `${token}.stderr`,
      ...(config.stdin ? { stdin: `${token}.stdin` } : {}),
      ...(tools ? { report: `${token}.report`, ...(config.stdin ? {} : { idle: `${token}.idle` }) } : {}),
    };
    const made = await makeFifos(fifoDir, Object.values(paths));
    // The only wait before the spawn: a sandbox removed meanwhile gets no container.
    if (!this.sandboxes.has(sandboxId)) {
      if (made) for (const f of Object.values(paths)) rmSync(f, { force: true });
      throw new RuntimeError('NotFound', `pod sandbox "${sandboxId}" not found`);
    }
    const writer = new ContainerLogWriter(logPath, this.logRotation);
    const fifos = made ? { stdout: paths.stdout, stderr: paths.stderr } : undefined;
    let readers: Socket[] = [];
    let childEnds: number[] = [];
    if (fifos) {
      // The container's ends (read-write: never blocks on open, and keeps a reader on the pipe).
      childEnds = [openSync(fifos.stdout, fsConstants.O_RDWR), openSync(fifos.stderr, fsConstants.O_RDWR)];
      readers = [openFifoReader(fifos.stdout), openFifoReader(fifos.stderr)];
    }
    const heldStdin = made && paths.stdin !== undefined ? openHeldStdin(paths.stdin, config.stdinOnce === true) : undefined;
    const closeStdinWriter = (): void => {
      if (heldStdin?.writer !== undefined) closeSync(heldStdin.writer);
    };
    const tfifos = made && paths.report !== undefined ? openTerminalFifos(paths.report, paths.idle) : undefined;
    const stdin: number | 'pipe' | 'ignore' = heldStdin?.fd ?? tfifos?.idleFd ?? (config.stdin || tools ? 'pipe' : 'ignore');
    const out: ('pipe' | number)[] = fifos ? [childEnds[0]!, childEnds[1]!] : ['pipe', 'pipe'];
    const stdio: ('pipe' | 'ignore' | number)[] = [stdin, ...out];
    if (tools) stdio.push(tfifos?.reportFd ?? 'pipe');
    /** What the child was given and the agent no longer needs once it runs (or failed to). */
    const childFds = [...childEnds, ...(heldStdin ? [heldStdin.fd] : []), ...(tfifos ? [tfifos.reportFd, ...(tfifos.idleFd !== undefined ? [tfifos.idleFd] : [])] : [])];
    let child: ChildProcess;
    // The group that enforces the limits, made right before the process: a container whose
    // limits cannot be applied does not run (a start error, tried again by the pod worker).
    const limits = config.limits;
    let cgroup: ContainerCgroup | undefined;
    try {
      if (this.options.cgroups && limits && (limits.memoryBytes !== undefined || limits.cpuMillis !== undefined)) {
        cgroup = this.options.cgroups.create(cgroupName(mark), limits);
        if (!cgroup) throw new LimitsNotApplied();
      }
      if (tools) {
        // script(1) runs `$SHELL -c`: SHELL is taken out for it and put back by the wrapper.
        const { SHELL: shell, ...scriptEnv } = env;
        child = spawn(tools.script, scriptArgs(terminalScript(tools, launch.argv, undefined, shell)), { cwd: config.workingDir, env: scriptEnv, detached: true, stdio, ...launch.ids });
      } else {
        child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd: config.workingDir, env, detached: true, stdio, ...launch.ids });
      }
    } catch (err) {
      // Refused before any process (Node checks argv and env: a NUL byte in them): nothing of the
      // container is left open, and it is a container that could not be started.
      for (const fd of childFds) closeSync(fd);
      closeStdinWriter();
      tfifos?.report.destroy();
      for (const r of readers) r.destroy();
      for (const f of [...(fifos ? [fifos.stdout, fifos.stderr] : []), ...(heldStdin?.path ? [heldStdin.path] : [])]) rmSync(f, { force: true });
      await writer.close();
      cgroup?.remove();
      if (err instanceof LimitsNotApplied) return this.recordStartError(base, env, config, err.message);
      return this.recordStartError(base, env, config, `exec: ${JSON.stringify(argv[0])}: ${errorMessage(err)}`);
    }
    for (const fd of childFds) closeSync(fd);
    // The fallback pipe: its write end stays open (never written) for as long as this agent lives.
    child.stdin?.on('error', () => undefined);
    if (!fifos) readers = [child.stdout as Socket, child.stderr as Socket];
    for (const r of readers) r.on('error', () => undefined);
    const report: Readable | undefined = tools ? (tfifos?.report ?? (child.stdio[3] as Readable | null) ?? undefined) : undefined;
    report?.on('error', () => undefined);
    // A later 'error' (a failed kill()) must not take the agent down.
    child.on('error', () => undefined);
    const pid = child.pid;
    if (pid !== undefined && cgroup) {
      try {
        cgroup.place(pid);
      } catch {
        // Gone already (it exited at once): nothing to limit.
      }
    }
    if (pid === undefined) {
      cgroup?.remove();
      // Not started (exec failed): Node tells why with an 'error' event.
      const spawned = await new Promise<Error>((resolve) => child.once('error', resolve));
      for (const r of readers) r.destroy();
      report?.destroy();
      if (fifos) {
        rmSync(fifos.stdout, { force: true });
        rmSync(fifos.stderr, { force: true });
      }
      if (heldStdin?.path) rmSync(heldStdin.path, { force: true });
      closeStdinWriter();
      await writer.close();
      const err = spawned as NodeJS.ErrnoException | undefined;
      const what =
        err?.code === 'ENOENT'
          ? // runc's words: a path is stat'ed, a bare name looked up in $PATH.
            argv[0]!.includes('/')
            ? `exec: ${JSON.stringify(argv[0])}: stat ${argv[0]}: no such file or directory`
            : `exec: ${JSON.stringify(argv[0])}: executable file not found in $PATH`
          : err?.code === 'EACCES'
            ? `exec: ${JSON.stringify(argv[0])}: permission denied`
            : `exec: ${JSON.stringify(argv[0])}: ${err?.message ?? 'failed'}`;
      return this.recordStartError(base, env, config, what);
    }

    // Recorded at once, with no await since spawn(): a running container always has a record
    // the next agent adopts. One that cannot be recorded must not run (see the header).
    const id = `${pid}-${mark}`;
    const sup = this.track({
      info: { ...base, id, pid, state: 'running', startedAt: Date.now(), ...(tools ? { terminal: true as const } : {}) },
      pgid: pid,
      procStartTime: readProcStat(pid)?.startTime,
      env,
      workingDir: config.workingDir,
      ...(config.user ? { user: config.user } : {}),
      ...(config.security ? { security: config.security } : {}),
      ...(fifos ? { fifos } : {}),
      ...(heldStdin?.path ? { stdinFifo: heldStdin.path } : {}),
      ...(config.stdin && config.stdinOnce ? { stdinOnce: true as const } : {}),
      ...(tools ? { terminal: {} } : {}),
    });
    if (heldStdin?.writer !== undefined) sup.stdinWriter = heldStdin.writer;
    if (tools && !config.stdin && child.stdin) sup.idleInput = true;
    try {
      this.writeRecord(sup);
    } catch (err) {
      this.containers.delete(id);
      if (heldStdin?.path) rmSync(heldStdin.path, { force: true });
      closeStdinWriter();
      sup.stdinWriter = undefined;
      report?.destroy();
      await this.undoStart(child, pid, mark, readers, writer, fifos);
      cgroup?.remove();
      throw new RuntimeError('RuntimeError', `cannot record container state: ${errorMessage(err)}`);
    }
    readers[0]!.on('data', (b: Buffer) => this.output(sup, writer, 'stdout', b));
    readers[1]!.on('data', (b: Buffer) => this.output(sup, writer, 'stderr', b));
    sup.child = child;
    if (cgroup) sup.cgroup = cgroup;
    sup.startedLog = { writer, readers };
    if (report) this.readTerminalReport(sup, report);

    let closed = false;
    const closedP = allClosed(readers).then(() => {
      closed = true;
    });
    child.once('exit', (code, sig) => {
      sup.mainExited = true;
      this.closeStdinWriter(sup);
      this.dropTerminalReport(sup);
      // Container semantics: the rest of the tree dies with the main process. During a stop,
      // stopContainer gives the group its grace period instead.
      if (!sup.stopping) this.killRest(sup);
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
        // The kernel killed a process of the group for its memory limit: the kubelet's reason.
        if (sup.cgroup?.oomKilled()) info.reason = 'OOMKilled';
        sup.cgroup?.remove();
        sup.info = info;
        this.persist(sup);
        sup.markDone();
        this.emit('exited', info);
      })();
    });
    this.emit('started', sup.info);
    return { ...sup.info };
  }

  /**
   * Undoes a start whose record could not be written: SIGKILLs the process group and what
   * carries the container's mark, waits (a few seconds at most) until the process has exited
   * and is reaped, and removes its FIFOs and log.
   */
  private async undoStart(child: ChildProcess, pid: number, mark: string, readers: Socket[], writer: ContainerLogWriter, fifos: { stdout: string; stderr: string } | undefined): Promise<void> {
    const exited =
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(pid, 'SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    signalGroup(pid, 'SIGKILL'); // whatever it forked meanwhile
    killMarked(containerMarkEnv, mark);
    for (const r of readers) r.destroy();
    if (fifos) {
      rmSync(fifos.stdout, { force: true });
      rmSync(fifos.stderr, { force: true });
    }
    await writer.close();
    removeLogFiles(writer.path);
  }

  /**
   * A container mark (12 hex digits) no container of this runtime (or of a record in its state
   * dir) has: the id `<pid>-<mark>` is then new whatever the pid, and the mark names one
   * container's processes only.
   */
  private newMark(): string {
    for (;;) {
      const mark = randomBytes(6).toString('hex');
      let used = false;
      for (const id of this.containers.keys()) if (id.endsWith(`-${mark}`)) used = true;
      if (!used) return mark;
    }
  }

  /**
   * SIGKILLs what is left of a container outside its process group: the processes carrying its
   * mark. Containers started before marks existed (no mark in their recorded env) have none.
   */
  private killEscaped(sup: PersistedContainer): void {
    const dash = sup.info.id.indexOf('-');
    const mark = dash < 0 ? undefined : sup.info.id.slice(dash + 1);
    if (mark !== undefined && sup.env[containerMarkEnv] === mark) killMarked(containerMarkEnv, mark);
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

  /**
   * SIGKILLs what is left of a container: its process group, on a terminal the command's session
   * (`sid`, else as terminalSession finds it), and what carries its mark (killEscaped).
   */
  private killRest(sup: Supervised, sid = this.terminalSession(sup)): void {
    if (sup.pgid !== undefined) signalGroup(sup.pgid, 'SIGKILL');
    // Checked again: a session that ended meanwhile may have had its id taken by another one.
    if (sid !== undefined && this.sessionStillOurs(sup, sid)) killSession(sid);
    this.killEscaped(sup);
  }

  /**
   * The session of a container's command on a terminal, or undefined (not on a terminal, or not
   * known): the reported one while its id cannot name another session (sessionStillOurs), else
   * the one script's child leads (while script lives).
   */
  private terminalSession(sup: Supervised): number | undefined {
    const t = sup.terminal;
    if (!t) return undefined;
    if (t.sid !== undefined) return this.sessionStillOurs(sup, t.sid) ? t.sid : undefined;
    if (sup.info.state !== 'running' || sup.info.pid === undefined || !isSameProcessAlive(sup.info.pid, sup.procStartTime)) return undefined;
    return childSessions(sup.info.pid)[0];
  }

  /**
   * Whether session id `sid` still names the container's session: its leader alive with the
   * recorded start time, or gone (the id then stays taken while any member holds it, so it
   * names no other session; with no member left, signalling it reaches nothing).
   */
  private sessionStillOurs(sup: Supervised, sid: number): boolean {
    if (sup.terminal?.sid !== sid || sup.terminal.sidStart === undefined) return true;
    const st = readProcStat(sid);
    return !st || st.state === 'Z' || st.state === 'X' || st.startTime === sup.terminal.sidStart;
  }

  /**
   * The pty slave of a container on a terminal while it is safe to touch (script alive: it holds
   * the master, so the name cannot have been reused): reported, or (the report went with an
   * agent) the controlling terminal of its session. undefined: not known yet; null: the
   * container has no terminal (anymore).
   */
  private terminalSlave(sup: Supervised): string | undefined | null {
    if (!sup.terminal || sup.info.state !== 'running' || sup.info.pid === undefined || !isSameProcessAlive(sup.info.pid, sup.procStartTime)) return null;
    if (sup.terminal.slave) return sup.terminal.slave;
    const sid = this.terminalSession(sup);
    return sid !== undefined ? controllingTerminal(sid) : undefined;
  }

  /**
   * An adopted container on a terminal whose record has no session (the agent that started it
   * went before the wrapper reported): its session and slave from /proc, recorded.
   */
  private findTerminal(sup: Supervised): void {
    const sid = sup.info.pid !== undefined ? childSessions(sup.info.pid)[0] : undefined;
    if (sid === undefined) return;
    const slave = controllingTerminal(sid);
    const start = readProcStat(sid)?.startTime;
    sup.terminal = { sid, ...(start !== undefined ? { sidStart: start } : {}), ...(slave ? { slave } : {}) };
    this.persist(sup);
  }

  /** Reads the wrapper's fd 3 report (`<sid> <slave>`) into the container's record. */
  private readTerminalReport(sup: Supervised, report: Readable): void {
    sup.terminalReport = report;
    let text = '';
    report.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0 && text.length < 4096) return;
      this.dropTerminalReport(sup);
      const r = nl < 0 ? undefined : parseTerminalReport(text.slice(0, nl));
      if (!r || sup.info.state !== 'running') return;
      const st = readProcStat(r.sid);
      // The command itself (script(1) is the main process): into the container's group too.
      this.placeInGroup(sup, r.sid);
      sup.terminal = { sid: r.sid, ...(st && st.session === r.sid ? { sidStart: st.startTime } : {}), ...(r.slave ? { slave: r.slave } : {}) };
      this.persist(sup);
      for (const wake of sup.terminalWaiters ?? []) wake();
    });
  }

  /** Stops reading a terminal's report (read, or the container is over). */
  private dropTerminalReport(sup: Supervised): void {
    sup.terminalReport?.destroy();
    sup.terminalReport = undefined;
  }

  /** A chunk of a container's output: to its log, and on a terminal to its attaches. */
  private output(sup: Supervised, writer: ContainerLogWriter, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    writer.write(stream, chunk);
    if (sup.outputListeners) for (const l of [...sup.outputListeners]) l(chunk);
  }

  /**
   * Attaches to a running container on a terminal (see the interface and the header): its output
   * from now on to `io.stdout` (cut off past terminalAttachBufferLimit unread), sizes with
   * `stty -F` (terminalResizer), input through attachStdin (its refusals are this one's).
   */
  async attachTerminal(id: string, io: TerminalAttachIO): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (sup.info.state !== 'running') throw new RuntimeError('InvalidState', `container "${id}" is not running`);
    if (!sup.terminal) throw new RuntimeError('InvalidState', `container "${id}" does not run on a terminal`);
    const out = io.stdout;
    const stop = new AbortController();
    const end = (): void => stop.abort();
    const listener = (chunk: Buffer): void => {
      if (stop.signal.aborted) return;
      if (out.destroyed || out.writableEnded || out.writableLength > terminalAttachBufferLimit) return end();
      out.write(chunk);
    };
    let over = false;
    const resizer = terminalResizer(this.terminalTools?.stty ?? 'stty', () => (over ? null : this.terminalSlave(sup)));
    const wake = (): void => resizer.kick();
    const listeners = (sup.outputListeners ??= new Set());
    const waiters = (sup.terminalWaiters ??= new Set());
    listeners.add(listener);
    waiters.add(wake);
    out.once('close', end);
    out.on('error', end);
    if (io.signal?.aborted) end();
    io.signal?.addEventListener('abort', end, { once: true });
    try {
      io.onResize?.((size) => resizer.resize(size));
      if (io.stdin) await this.attachStdin(id, io.stdin, stop.signal, io.onOpen);
      else io.onOpen?.();
      // The input may end before the output: it goes on until the container is over.
      await Promise.race([sup.done, new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })))]);
    } finally {
      over = true;
      listeners.delete(listener);
      waiters.delete(wake);
      out.off('close', end);
      out.off('error', end);
      io.signal?.removeEventListener('abort', end);
      stop.abort();
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    for (const kill of this.execSessions.get(id) ?? []) kill();
    if (sup.info.state !== 'running' || sup.pgid === undefined) return sup.done;
    const pgid = sup.pgid;
    sup.stopping = true;
    // On a terminal the command's session is the container too (see the header): SIGTERM to its
    // groups, not to script (which would pass a second one to the command). Unknown yet (script's
    // child has not set it up): to script, which passes it on.
    const sid = this.terminalSession(sup);
    if (sid !== undefined) signalSession(sid, 'SIGTERM');
    else signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + Math.max(0, gracePeriodSeconds) * 1000;
    for (;;) {
      const mainGone = sup.child ? sup.mainExited : !isSameProcessAlive(sup.info.pid!, sup.procStartTime);
      if (mainGone && groupMembers(pgid).length === 0 && (sid === undefined || sessionMembers(sid).length === 0)) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(this.stopPollMs, left)));
    }
    this.killRest(sup, sid);
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
    // Its group, if one is left (an adopted container's, or one that still held a process).
    this.cgroupOf(sup)?.remove();
    this.execSessions.delete(sup.info.id);
    this.containers.delete(sup.info.id);
    rmSync(join(this.containersDir, `${sup.info.id}.json`), { force: true });
    if (sup.fifos) {
      rmSync(sup.fifos.stdout, { force: true });
      rmSync(sup.fifos.stderr, { force: true });
    }
    if (sup.stdinFifo) rmSync(sup.stdinFifo, { force: true });
    this.closeStdinWriter(sup);
    this.dropTerminalReport(sup);
  }

  /**
   * Moves a command run in the container (exec, probes, hooks) into the container's control
   * group, so it counts against the container's limits as in a container; nothing without one.
   */
  private placeInGroup(sup: Supervised, pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      this.cgroupOf(sup)?.place(pid);
    } catch {
      // Exited already.
    }
  }

  /** The container's control group: the one it was started with, else one an earlier agent made. */
  private cgroupOf(sup: Supervised): ContainerCgroup | undefined {
    if (sup.cgroup) return sup.cgroup;
    const dash = sup.info.id.indexOf('-');
    return dash < 0 ? undefined : this.options.cgroups?.existing(cgroupName(sup.info.id.slice(dash + 1)));
  }

  /** Closes the agent's writer of a stdinOnce container's input (the container reads end of input). */
  private closeStdinWriter(sup: Supervised): void {
    if (sup.stdinWriter === undefined) return;
    closeSync(sup.stdinWriter);
    sup.stdinWriter = undefined;
  }

  /**
   * Writes `input` to the standard input of a running container started with `stdin` (an attach
   * with -i), until `input` ends, the container exits or `signal` aborts. The container's stdin
   * stays open after (it holds it itself): as upstream without stdinOnce, another attach can
   * type on. NotFound for an unknown container, InvalidState for one that is not running or has
   * no stdin.
   */
  async attachStdin(id: string, input: AsyncIterable<Buffer>, signal?: AbortSignal, onOpen?: () => void): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    if (sup.info.state !== 'running') throw new RuntimeError('InvalidState', `container "${id}" is not running`);
    let sink: Writable;
    let own: boolean | undefined;
    if (sup.stdinOnce) {
      // The first attach takes the one writer and closes it when it ends (upstream's stdinOnce).
      if (sup.stdinWriter !== undefined) {
        const fd = sup.stdinWriter;
        try {
          sink = new Socket({ fd, readable: false, writable: true });
        } catch (err) {
          this.closeStdinWriter(sup);
          throw new RuntimeError('InvalidState', `container "${id}" has no stdin to attach to: ${errorMessage(err)}`);
        }
        sup.stdinWriter = undefined;
      } else if (sup.child?.stdin && !sup.child.stdin.destroyed && !sup.child.stdin.writableEnded) {
        sink = sup.child.stdin;
      } else {
        // Its one writer was taken by a first attach (still on, or ended: then the input closed),
        // or went with the agent that started it.
        throw new RuntimeError('InvalidState', `container "${id}" has no stdin to attach to: with stdinOnce its input belongs to its first attach only`);
      }
      own = true;
    } else if (sup.stdinFifo) {
      let fd: number | undefined;
      try {
        // Non-blocking: the container holds a reader, so the open succeeds at once.
        fd = openSync(sup.stdinFifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
        sink = new Socket({ fd, readable: false, writable: true });
      } catch (err) {
        if (fd !== undefined) closeSync(fd);
        throw new RuntimeError('InvalidState', `container "${id}" has no stdin to attach to: ${errorMessage(err)}`);
      }
    } else if (sup.child?.stdin && !sup.child.stdin.destroyed && !sup.idleInput) {
      sink = sup.child.stdin;
    } else {
      // Started without stdin, or by an agent before this one on a host without FIFOs (its pipe went with it).
      throw new RuntimeError('InvalidState', `container "${id}" has no stdin to attach to`);
    }
    own ??= sink !== sup.child?.stdin;
    let failed = false;
    let wake: (() => void) | undefined;
    const onError = (): void => {
      failed = true;
      wake?.();
    };
    const onDrain = (): void => wake?.();
    sink.on('error', onError);
    sink.on('drain', onDrain);
    let ended!: () => void;
    const gone = new Promise<'gone'>((resolve) => (ended = () => resolve('gone')));
    void sup.done.then(ended);
    signal?.addEventListener('abort', ended, { once: true });
    try {
      onOpen?.();
      const it = input[Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([it.next(), gone]);
        if (next === 'gone' || next.done || failed) {
          if (next === 'gone') void it.return?.();
          return;
        }
        if (!sink.write(next.value) && !failed) await Promise.race([new Promise<void>((r) => (wake = r)), gone]);
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', ended);
      ended();
      sink.off('error', onError);
      sink.off('drain', onDrain);
      // Our own writer end goes; the container keeps its stdin (stdinOnce: this was its only
      // writer, and the container reads end of input). A held pipe (no FIFOs) stays open.
      if (own) {
        sink.on('error', () => undefined);
        if (sink === sup.child?.stdin) sink.end();
        else sink.destroy();
      }
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
    const launch = launchAs(command, sup.user, sup.security, this.setpriv);
    if ('error' in launch) return { exitCode: 126, output: launch.error, timedOut: false };
    const unrunnable = launch.wrapped ? lookPathFailure(command[0]!, sup.env.PATH, sup.workingDir) : undefined;
    if (unrunnable !== undefined) return { exitCode: 126, output: unrunnable, timedOut: false };
    return new Promise<ExecResult>((resolve) => {
      const child = spawn(launch.argv[0]!, launch.argv.slice(1), {
        cwd: sup.workingDir,
        env: sup.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...launch.ids,
      });
      this.placeInGroup(sup, child.pid);
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
      child.once('error', (err: NodeJS.ErrnoException) => {
        // The runtime's words for a command that cannot be run (runc's), not Node's spawn error.
        const why = err.code === 'ENOENT' || err.code === 'EACCES' ? lookPathFailure(command[0]!, sup.env.PATH, sup.workingDir) : undefined;
        finish({ exitCode: 126, output: why ?? err.message, timedOut: false });
      });
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
    const launch = launchAs(command, sup.user, sup.security, this.setpriv);
    const refused = 'error' in launch ? launch.error : launch.wrapped ? lookPathFailure(command[0]!, sup.env.PATH, sup.workingDir) : undefined;
    if (refused !== undefined || 'error' in launch) {
      io.stderr.write(`${refused}\n`);
      return { exitCode: 126 };
    }
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
        const wrapper = terminalScript(tools!, launch.argv, io.tty?.size, shell);
        child = spawn(script, scriptArgs(wrapper), { cwd: sup.workingDir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], ...launch.ids });
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
        child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd: sup.workingDir, env: sup.env, detached: true, stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...launch.ids });
      }
      this.placeInGroup(sup, child.pid);
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
        // A command that cannot be started is told in runc's words, as a container's StartError is.
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' || code === 'EACCES' ? lookPathFailure(command[0]!, sup.env?.PATH, sup.workingDir) : undefined;
        io.stderr.write(`${why ?? err.message}\n`);
        finish(126);
      });
      // 'close': the exit and both output pipes drained.
      child.once('close', (code, sig) => {
        const signo = signalNumber(sig);
        finish(code ?? (signo !== undefined ? 128 + signo : 255));
      });
    });
  }

  async readLogs(id: string, options: LogOptions = {}): Promise<Buffer> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return readLogFile(sup.info.logPath, options);
  }

  async followLogs(id: string, options: FollowOptions, onData: (chunk: Buffer) => void): Promise<void> {
    const sup = this.containers.get(id);
    if (!sup) throw new RuntimeError('NotFound', `container "${id}" not found`);
    // Done once the container has exited and its log is closed (nothing more will be written).
    await followLogFile(sup.info.logPath, options, onData, async () => sup.info.state !== 'running' && sup.finished);
  }

  watch(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  killAllNow(): void {
    for (const sup of this.containers.values()) {
      for (const kill of this.execSessions.get(sup.info.id) ?? []) kill();
      if (sup.info.state !== 'running' || sup.pgid === undefined) continue;
      sup.stopping = true;
      this.killRest(sup);
    }
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
      // A stdinOnce input's one writer goes with this agent (the container reads end of input).
      this.closeStdinWriter(sup);
      // A report not read yet: the next agent finds the terminal in /proc.
      this.dropTerminalReport(sup);
      sup.outputListeners?.clear();
    }
    this.listeners.clear();
  }
}
