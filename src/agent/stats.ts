// Resource usage of the node and of its containers, for the metrics API (`kubectl top`): what
// the kubelet's summary gives metrics-server, reduced to CPU and memory.
//
// Contract:
// - A container's usage is that of its process group (the process runtime starts every
//   container as a group leader, pgid = main pid): CPU = utime + stime of the live members
//   plus the time of the children they reaped (cutime + cstime); memory = the sum of their
//   resident sets.
// - CPU is a rate: the change of the cumulative time between two samples over the time between
//   them (`windowMs`). A container seen in only one sample has no CPU figure yet and is left
//   out, as metrics-server leaves out pods it has no window for. `current()` gives the
//   cumulative figures themselves (CPU core-seconds, for the Prometheus endpoints' counters):
//   a group's counter is that of its live members, so it can drop when a member exits
//   unreaped by another member (Prometheus reads a drop as a counter reset).
// - Samples are taken by `sample()` (the agent calls it every few seconds) and on demand when
//   the last one is at least `minWindowMs` old, so an answer is at most that stale; the window
//   always spans at least `minWindowMs` (monotonic clock). One /proc scan serves every sampler
//   of a process for a quarter second (`everynode up` runs its agents in one process).
// - Node usage comes from /proc/stat (non-idle CPU) and /proc/meminfo (MemTotal - MemAvailable).
//   Local nodes of `everynode up` share one machine, so each reports the machine's usage.
// - Without /proc (not Linux) every figure is absent.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
export type { AgentStats } from '../api/agent-api.js';

/** Cumulative usage of one process group at one instant. */
export interface GroupUsage {
  cpuTicks: number;
  rssPages: number;
}

/** One reading of everything. */
export interface UsageSnapshot {
  at: number;
  node?: { busyTicks: number; memoryBytes: number };
  groups: Map<number, GroupUsage>;
}

/** What `summary()` answers: rates over the window between the last two samples. */
export interface StatsSummary {
  /** When the newest sample was taken (ms since the epoch). */
  timestamp: number;
  windowMs: number;
  node?: { cpuNanoCores: number; memoryBytes: number };
  containers: { pgid: number; cpuNanoCores: number; memoryBytes: number }[];
}

/**
 * What `current()` answers: cumulative figures at the newest sample (the Prometheus endpoints
 * of the agent: counters, not rates). CPU in core-seconds since the group (or, for the node, the
 * machine) started; memory in bytes.
 */
export interface UsageReading {
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  node?: { cpuSeconds: number; memoryBytes: number };
  /** By process group; a group not seen in the sample is absent. */
  groups: Map<number, { cpuSeconds: number; rssBytes: number }>;
}

/** Linux's units: clock ticks per second and page size (getconf; the usual values otherwise). */
export const procUnits = (() => {
  const conf = (name: string, fallback: number): number => {
    try {
      const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return Number.isFinite(v) && v > 0 ? v : fallback;
    } catch {
      return fallback;
    }
  };
  let cached: { clockTicks: number; pageSize: number } | undefined;
  return () => (cached ??= { clockTicks: conf('CLK_TCK', 100), pageSize: conf('PAGESIZE', 4096) });
})();

/** pgrp, CPU ticks (utime+stime+cutime+cstime) and rss pages from the text of /proc/PID/stat. */
export function parseStatLine(text: string): { pgrp: number; cpuTicks: number; rssPages: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Fields after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss ...
  const f = text.slice(close + 2).split(' ');
  const n = (i: number) => Number(f[i]);
  const out = { pgrp: n(2), cpuTicks: n(11) + n(12) + n(13) + n(14), rssPages: n(21) };
  return Number.isFinite(out.pgrp) && Number.isFinite(out.cpuTicks) && Number.isFinite(out.rssPages) ? out : undefined;
}

/** Non-idle CPU ticks of the whole machine from /proc/stat's `cpu` line. */
export function parseCpuLine(text: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return total - (v[3] ?? 0) - (v[4] ?? 0);
}

/** MemTotal - MemAvailable (bytes) from /proc/meminfo. */
export function parseMeminfo(text: string): number | undefined {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total === undefined || available === undefined ? undefined : (total - available) * 1024;
}

/** Reads /proc now: usage per process group and of the node. */
export function readUsage(at = Date.now()): UsageSnapshot {
  const groups = new Map<number, GroupUsage>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { at, groups };
  }
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const s = parseStatLine(text);
    if (!s) continue;
    const g = groups.get(s.pgrp);
    if (g) {
      g.cpuTicks += s.cpuTicks;
      g.rssPages += s.rssPages;
    } else groups.set(s.pgrp, { cpuTicks: s.cpuTicks, rssPages: s.rssPages });
  }
  let node: UsageSnapshot['node'];
  try {
    const busy = parseCpuLine(readFileSync('/proc/stat', 'utf8'));
    const mem = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
    if (busy !== undefined && mem !== undefined) node = { busyTicks: busy, memoryBytes: mem };
  } catch {
    node = undefined;
  }
  return { at, groups, ...(node ? { node } : {}) };
}

/** Snapshots kept for choosing a window (the newest one at least minWindowMs old is used). */
const KEEP_SNAPSHOTS = 16;

export class UsageSampler {
  /** Oldest first; `mono` is performance.now() at the sample, for durations. */
  private snapshots: (UsageSnapshot & { mono: number })[] = [];

  constructor(
    private readonly read: (at: number) => UsageSnapshot = readSharedUsage,
    private readonly opts: { minWindowMs?: number; now?: () => number; monotonic?: () => number; clockTicks?: number; pageSize?: number } = {},
  ) {
    if (!opts.clockTicks || !opts.pageSize) procUnits(); // getconf once, now, not on a request
  }

  /** Takes a sample now. */
  sample(): void {
    const at = (this.opts.now ?? Date.now)();
    const mono = (this.opts.monotonic ?? this.opts.now ?? performance.now.bind(performance))();
    this.snapshots.push({ ...this.read(at), mono });
    if (this.snapshots.length > KEEP_SNAPSHOTS) this.snapshots.shift();
  }

  /**
   * Cumulative usage of the given process groups and of the node at the newest sample, sampling
   * first when that one is older than `maxAgeMs` (so a scrape reads figures at most that stale,
   * and scrapes close together share one /proc scan) or was taken before `notBefore` (ms since
   * the epoch: the start of the newest container, which an older sample cannot have seen).
   */
  current(pgids: readonly number[], maxAgeMs = 1000, notBefore?: number): UsageReading {
    const mono = (this.opts.monotonic ?? this.opts.now ?? performance.now.bind(performance))();
    const newest = this.snapshots[this.snapshots.length - 1];
    if (!newest || mono - newest.mono >= maxAgeMs || (notBefore !== undefined && newest.at < notBefore)) this.sample();
    const last = this.snapshots[this.snapshots.length - 1]!;
    const units = this.opts.clockTicks && this.opts.pageSize ? { clockTicks: this.opts.clockTicks, pageSize: this.opts.pageSize } : procUnits();
    const groups: UsageReading['groups'] = new Map();
    for (const pgid of pgids) {
      const g = last.groups.get(pgid);
      if (g) groups.set(pgid, { cpuSeconds: g.cpuTicks / units.clockTicks, rssBytes: g.rssPages * units.pageSize });
    }
    const node = last.node ? { cpuSeconds: last.node.busyTicks / units.clockTicks, memoryBytes: last.node.memoryBytes } : undefined;
    return { timestamp: last.at, groups, ...(node ? { node } : {}) };
  }

  /**
   * Usage of the given process groups and of the node, over the window from the newest
   * sample at least `minWindowMs` older than the last one to the last one (sampling first when
   * the last sample is that old), so a sample taken just before another never makes a
   * window of a few milliseconds.
   */
  summary(pgids: readonly number[]): StatsSummary {
    const minWindow = this.opts.minWindowMs ?? 1000;
    const mono = (this.opts.monotonic ?? this.opts.now ?? performance.now.bind(performance))();
    const newest = this.snapshots[this.snapshots.length - 1];
    if (!newest || mono - newest.mono >= minWindow) this.sample();
    const last = this.snapshots[this.snapshots.length - 1]!;
    let prev: (UsageSnapshot & { mono: number }) | undefined;
    for (let i = this.snapshots.length - 2; i >= 0; i--) {
      if (last.mono - this.snapshots[i]!.mono >= minWindow) {
        prev = this.snapshots[i];
        break;
      }
    }
    const units = this.opts.clockTicks && this.opts.pageSize ? { clockTicks: this.opts.clockTicks, pageSize: this.opts.pageSize } : procUnits();
    const windowMs = prev ? last.mono - prev.mono : 0;
    const rate = (ticksNow: number, ticksBefore: number) => Math.max(0, Math.round(((ticksNow - ticksBefore) / units.clockTicks / (windowMs / 1000)) * 1e9));
    const containers: StatsSummary['containers'] = [];
    for (const pgid of pgids) {
      const a = prev?.groups.get(pgid);
      const b = last.groups.get(pgid);
      if (!a || !b || windowMs <= 0) continue;
      containers.push({ pgid, cpuNanoCores: rate(b.cpuTicks, a.cpuTicks), memoryBytes: b.rssPages * units.pageSize });
    }
    const node = prev?.node && last.node && windowMs > 0 ? { cpuNanoCores: rate(last.node.busyTicks, prev.node.busyTicks), memoryBytes: last.node.memoryBytes } : undefined;
    return { timestamp: last.at, windowMs: Math.round(windowMs), containers, ...(node ? { node } : {}) };
  }
}

/** How long one /proc scan serves every sampler of this process (the agents of `everynode up`). */
const SHARED_SCAN_MS = 250;
let sharedScan: { mono: number; snapshot: UsageSnapshot } | undefined;

/** readUsage, shared by the samplers of one process within SHARED_SCAN_MS. */
export function readSharedUsage(at: number): UsageSnapshot {
  const mono = performance.now();
  if (!sharedScan || mono - sharedScan.mono >= SHARED_SCAN_MS) sharedScan = { mono, snapshot: readUsage(at) };
  return sharedScan.snapshot;
}
