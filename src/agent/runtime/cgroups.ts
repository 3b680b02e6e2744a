// Containers' resource limits through Linux control groups, for the process runtime when the
// agent enforces them (`--enforce-resource-limits`).
//
// Contract:
// - `detectCgroups(root)`: cgroup v2 when `root/cgroup.controllers` lists memory and cpu (both
//   are enabled for the groups below `root/everynode`, unless enabled already), else v1 when
//   `root/memory` and `root/cpu` are hierarchies (each gets an `everynode` group); undefined
//   when the groups cannot be made (not root, a read-only or absent cgroup filesystem, a cgroup
//   namespace whose root holds processes and has the controllers off): the caller says so and
//   runs containers without limits.
// - `create(id, limits)`: a group per container, named by its id, holding the memory limit (in
//   bytes: memory.max / memory.limit_in_bytes, and no swap beyond it: memory.swap.max 0 /
//   memory.memsw.limit_in_bytes where the kernel accounts swap) and the CPU limit (millicores →
//   a quota per 100 ms period, at least 1 ms: cpu.max / cpu.cfs_quota_us), as a kubelet and
//   containerd set them. Undefined for a container without limits, and when the group cannot be
//   made (the caller refuses to start the container).
// - `place(pid)`: moves a process into the group: the container's main process right after it
//   started (on a terminal, also the command once the wrapper reports it), and each command
//   exec'd in the container; what they start from then on is in the group too (a process forked
//   before the move is not limited, and memory charged before it stays where it was).
// - `oomKilled()`: whether the kernel's OOM killer killed a process of the group
//   (`oom_kill` of memory.events / memory.oom_control), which makes the exit `OOMKilled`.
// - `remove()`: removes the group; a group that still holds a process stays (never throws).

import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The limits a container's group enforces; absent: no limit on that resource. */
export interface ResourceLimits {
  /** Bytes (a bigint: limits beyond 2^53 bytes are written exactly). */
  memoryBytes?: bigint;
  cpuMillis?: number;
}

export interface ContainerCgroup {
  /** The group's directories (one per hierarchy on v1). */
  readonly dirs: string[];
  place(pid: number): void;
  oomKilled(): boolean;
  remove(): void;
}

export interface Cgroups {
  readonly version: 1 | 2;
  create(id: string, limits: ResourceLimits): ContainerCgroup | undefined;
  /** The group of a container made earlier (by this or an earlier agent), to read and remove. */
  existing(id: string): ContainerCgroup | undefined;
}

const PARENT = 'everynode';
const CPU_PERIOD_US = 100_000;
const MIN_CPU_QUOTA_US = 1_000;

const cpuQuota = (millis: number): number => Math.max(MIN_CPU_QUOTA_US, Math.floor((millis * CPU_PERIOD_US) / 1000));

function oomKills(file: string): number {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function removeDirs(dirs: string[]): void {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      // Still holding a process, or gone already.
    }
  }
}

function group(dirs: string[], procsFiles: string[], oomFile: string): ContainerCgroup {
  return {
    dirs,
    place: (pid) => {
      for (const f of procsFiles) writeFileSync(f, String(pid));
    },
    oomKilled: () => oomKills(oomFile) > 0,
    remove: () => removeDirs(dirs),
  };
}

/** The controllers listed in a cgroup v2 file (cgroup.controllers, cgroup.subtree_control). */
function controllersIn(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/);
  } catch {
    return [];
  }
}

/** Tries `make`; undefined when it throws (what is half made is removed). */
function attempt(dirs: string[], make: () => void): boolean {
  try {
    make();
    return true;
  } catch {
    removeDirs(dirs);
    return false;
  }
}

function v2(root: string): Cgroups | undefined {
  const parent = join(root, PARENT);
  const both = (file: string): boolean => ['memory', 'cpu'].every((c) => controllersIn(file).includes(c));
  try {
    if (!both(join(root, 'cgroup.controllers'))) return undefined;
    // Enabled already (a host's init does), it is not written again: a cgroup namespace's root
    // that holds processes refuses the write (the no-internal-processes rule).
    if (!both(join(root, 'cgroup.subtree_control'))) writeFileSync(join(root, 'cgroup.subtree_control'), '+memory +cpu');
    mkdirSync(parent, { recursive: true });
    if (!both(join(parent, 'cgroup.subtree_control'))) writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory +cpu');
  } catch {
    return undefined;
  }
  const handle = (dir: string) => group([dir], [join(dir, 'cgroup.procs')], join(dir, 'memory.events'));
  return {
    version: 2,
    create(id, limits) {
      if (limits.memoryBytes === undefined && limits.cpuMillis === undefined) return undefined;
      const dir = join(parent, id);
      const ok = attempt([dir], () => {
        mkdirSync(dir);
        if (limits.memoryBytes !== undefined) {
          writeFileSync(join(dir, 'memory.max'), limits.memoryBytes.toString());
          // No swap beyond the limit, as containerd sets it.
          if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
        }
        if (limits.cpuMillis !== undefined) writeFileSync(join(dir, 'cpu.max'), `${cpuQuota(limits.cpuMillis)} ${CPU_PERIOD_US}`);
      });
      return ok ? handle(dir) : undefined;
    },
    existing(id) {
      const dir = join(parent, id);
      return existsSync(dir) ? handle(dir) : undefined;
    },
  };
}

function v1(root: string): Cgroups | undefined {
  const memory = join(root, 'memory', PARENT);
  const cpu = join(root, 'cpu', PARENT);
  try {
    if (!existsSync(join(root, 'memory', 'memory.limit_in_bytes')) || !existsSync(join(root, 'cpu', 'cpu.cfs_quota_us'))) return undefined;
    mkdirSync(memory, { recursive: true });
    mkdirSync(cpu, { recursive: true });
  } catch {
    return undefined;
  }
  const handle = (mem: string, c: string) => group([mem, c], [join(mem, 'cgroup.procs'), join(c, 'cgroup.procs')], join(mem, 'memory.oom_control'));
  return {
    version: 1,
    create(id, limits) {
      if (limits.memoryBytes === undefined && limits.cpuMillis === undefined) return undefined;
      const mem = join(memory, id);
      const c = join(cpu, id);
      const ok = attempt([mem, c], () => {
        mkdirSync(mem);
        mkdirSync(c);
        if (limits.memoryBytes !== undefined) {
          writeFileSync(join(mem, 'memory.limit_in_bytes'), limits.memoryBytes.toString());
          // Memory and swap together at the same limit (no swap beyond it), as containerd sets it.
          if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), limits.memoryBytes.toString());
        }
        if (limits.cpuMillis !== undefined) {
          writeFileSync(join(c, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
          writeFileSync(join(c, 'cpu.cfs_quota_us'), String(cpuQuota(limits.cpuMillis)));
        }
      });
      return ok ? handle(mem, c) : undefined;
    },
    existing(id) {
      const mem = join(memory, id);
      return existsSync(mem) || existsSync(join(cpu, id)) ? handle(mem, join(cpu, id)) : undefined;
    },
  };
}

/** The control groups the agent can make under `root` (see the header), or undefined. */
export function detectCgroups(root = '/sys/fs/cgroup'): Cgroups | undefined {
  return existsSync(join(root, 'cgroup.controllers')) ? v2(root) : v1(root);
}
