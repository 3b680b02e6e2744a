// Linux /proc helpers for supervising process groups. On hosts without /proc the helpers fall
// back to kill(2) probes, which cannot tell zombies from live processes.

import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

/** The buffer readProc reads into, grown as needed and reused (one scan reads hundreds of files). */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * The whole content of a /proc file, or undefined when it cannot be read (gone, another user's).
 * /proc files report size 0, so readFileSync reads them in fresh 64 KiB allocations: a scan of
 * every process was mostly allocation. The result is a view of a shared buffer, valid until
 * the next call.
 */
function readProc(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, len);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, len, scratch.length - len, null);
      if (n === 0) return scratch.subarray(0, len);
      len += n;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** The controlling terminal's device number (0: none), as the kernel encodes dev_t here. */
  ttyNr: number;
  /** Start time in clock ticks after boot: with the pid, identifies a process across pid reuse. */
  startTime: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  const text = readProc(`/proc/${pid}/stat`)?.toString('utf8');
  if (text === undefined) return undefined;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    ttyNr: Number(rest[4]),
    startTime: Number(rest[19]),
  };
}

export const hasProcFs = (() => {
  return readProc('/proc/self/stat') !== undefined;
})();

/** Live (non-zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!hasProcFs) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  // Fast path: no process at all in the group.
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return [];
  }
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readProcStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') members.push(st.pid);
  }
  return members;
}

/** True when `pid` is a live (non-zombie) process that started at `startTime` (clock ticks). */
export function isSameProcessAlive(pid: number, startTime: number | undefined): boolean {
  if (!hasProcFs) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}

/** Sends `signal` to every process of group `pgid`; a group that is gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left; EPERM cannot happen for groups we created.
  }
}

/**
 * Live (non-zombie) processes of session `sid`, in whatever process group. Empty without /proc.
 * A session outlives its leader: members keep the id after it exits.
 */
export function sessionMembers(sid: number): number[] {
  if (!hasProcFs || sid <= 1) return [];
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readProcStat(Number(name));
    if (st && st.session === sid && st.state !== 'Z' && st.state !== 'X') members.push(st.pid);
  }
  return members;
}

/** Sessions led by live children of `pid` (processes that called setsid). Empty without /proc. */
export function childSessions(pid: number): number[] {
  if (!hasProcFs) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readProcStat(Number(name));
    if (st && st.ppid === pid && st.session === st.pid && st.state !== 'Z' && st.state !== 'X') out.push(st.pid);
  }
  return out;
}

/**
 * Sends `signal` to every process group of session `sid` (those its live members are in: a job
 * of a shell with job control has a group of its own). Nothing without /proc; gone ones are not
 * an error.
 */
export function signalSession(sid: number, signal: NodeJS.Signals): void {
  const groups = new Set<number>();
  for (const pid of sessionMembers(sid)) {
    const st = readProcStat(pid);
    if (st && st.session === sid && st.pgrp > 1) groups.add(st.pgrp);
  }
  for (const pgrp of groups) signalGroup(pgrp, signal);
}

/**
 * The path of the Unix98 pseudo-terminal slave (`/dev/pts/N`, devpts majors 136-143) that is
 * the controlling terminal of `pid`, from its /proc stat; undefined for none, another kind of
 * terminal, or a process that is gone.
 */
export function controllingTerminal(pid: number): string | undefined {
  const nr = readProcStat(pid)?.ttyNr;
  if (!nr) return undefined;
  // Linux's new_encode_dev: minor bits 0-7 and 20-31, major bits 8-19.
  const major = (nr >>> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >>> 12) & 0xfff00);
  return major >= 136 && major <= 143 ? `/dev/pts/${(major - 136) * 256 + minor}` : undefined;
}

/**
 * SIGKILLs every process of session `sid` (see sessionMembers); gone ones are not an error.
 * Scans again while members are left (one may have forked between a scan and its kill), a
 * few times at most.
 */
export function killSession(sid: number): void {
  for (let pass = 0; pass < 5; pass++) {
    const members = sessionMembers(sid);
    if (members.length === 0) return;
    for (const pid of members) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // raced with its exit
      }
    }
  }
}

/**
 * The environment variable every container's main process starts with, set by the runtime
 * (after the pod's own env, so a pod cannot set it): its value marks the container's processes
 * wherever they go. A descendant that leaves the container's process group and session
 * (setsid, a daemon that forks into the background) keeps it, so it is found and killed with
 * the container (markedProcesses), as a container's processes die with its init process.
 */
export const containerMarkEnv = 'EVERYNODE_CONTAINER';

/**
 * Live (non-zombie) processes whose environment, as /proc/PID/environ shows it, holds
 * `name=value`. Processes of other users (unreadable) are skipped. Empty without /proc.
 * A process that replaced its environment block (execve with a new environment, or
 * setproctitle overwriting it) is not found.
 */
export function markedProcesses(name: string, value: string): number[] {
  if (!hasProcFs) return [];
  const needle = Buffer.from(`${name}=${value}\0`);
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const env = readProc(`/proc/${entry}/environ`);
    if (env === undefined) continue; // gone, or another user's
    const at = env.indexOf(needle);
    // Whole entries only: at the start, or right after the previous entry's NUL.
    if (at < 0 || (at > 0 && env[at - 1] !== 0)) continue;
    const st = readProcStat(pid);
    if (st && st.state !== 'Z' && st.state !== 'X') out.push(pid);
  }
  return out;
}

/**
 * SIGKILLs every process marked `name=value` (see markedProcesses); gone ones are not an error.
 * Scans again while some are left (one may fork between a scan and its kill), a few times at most.
 */
export function killMarked(name: string, value: string): void {
  for (let pass = 0; pass < 5; pass++) {
    const pids = markedProcesses(name, value);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // raced with its exit
      }
    }
  }
}
