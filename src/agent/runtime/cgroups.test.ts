// Control groups for containers' limits. The file contract is checked against a directory laid
// out as each cgroup version lays out its files; the kernel's enforcement (an OOM kill, a CPU
// quota) with real processes where this machine lets the test make groups (root and a cgroup
// filesystem; skipped elsewhere, saying why).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups } from './cgroups.js';
import { ProcessRuntime } from './process-runtime.js';
import type { PodSandboxConfig } from './interface.js';
import { killAllWith, until } from './testing/processes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('cgroups: the files of each version', () => {
  it('v1: a group per container in the memory and cpu hierarchies, with the limit in bytes and a quota per 100 ms period', () => {
    const root = tempDir('everynode-cg1-');
    mkdirSync(join(root, 'memory'));
    writeFileSync(join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712');
    mkdirSync(join(root, 'cpu'));
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1');
    const cg = detectCgroups(root)!;
    expect(cg.version).toBe(1);
    expect(cg.create('c-1', {})).toBeUndefined();
    const g = cg.create('c-1', { memoryBytes: 67108864n, cpuMillis: 250 })!;
    expect(g.dirs).toEqual([join(root, 'memory', 'everynode', 'c-1'), join(root, 'cpu', 'everynode', 'c-1')]);
    expect(readFileSync(join(g.dirs[0]!, 'memory.limit_in_bytes'), 'utf8')).toBe('67108864');
    expect(readFileSync(join(g.dirs[1]!, 'cpu.cfs_period_us'), 'utf8')).toBe('100000');
    expect(readFileSync(join(g.dirs[1]!, 'cpu.cfs_quota_us'), 'utf8')).toBe('25000');
    g.place(4242);
    expect(readFileSync(join(g.dirs[0]!, 'cgroup.procs'), 'utf8')).toBe('4242');
    expect(readFileSync(join(g.dirs[1]!, 'cgroup.procs'), 'utf8')).toBe('4242');
    // The kernel's count of OOM kills says whether the memory limit killed a process.
    expect(g.oomKilled()).toBe(false);
    writeFileSync(join(g.dirs[0]!, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    expect(g.oomKilled()).toBe(true);
    expect(cg.existing('c-1')?.oomKilled()).toBe(true);
    expect(cg.existing('c-2')).toBeUndefined();
    // A tiny CPU limit still gets a 1 ms quota, as the kubelet's minimum.
    expect(readFileSync(join(cg.create('c-3', { cpuMillis: 1 })!.dirs[1]!, 'cpu.cfs_quota_us'), 'utf8')).toBe('1000');
  });

  it('v2: memory and cpu enabled below the everynode group; memory.max, cpu.max and memory.events', () => {
    const root = tempDir('everynode-cg2-');
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const cg = detectCgroups(root)!;
    expect(cg.version).toBe(2);
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu');
    expect(readFileSync(join(root, 'everynode', 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu');
    const g = cg.create('c-9', { memoryBytes: 1048576n, cpuMillis: 1500 })!;
    expect(readFileSync(join(g.dirs[0]!, 'memory.max'), 'utf8')).toBe('1048576');
    expect(readFileSync(join(g.dirs[0]!, 'cpu.max'), 'utf8')).toBe('150000 100000');
    writeFileSync(join(g.dirs[0]!, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n');
    expect(g.oomKilled()).toBe(true);
    // No cpu controller: no groups (the agent then runs containers without limits).
    // Enabled already (a host's init does it): not written again, which a cgroup namespace's
    // root holding processes would refuse.
    const enabled = tempDir('everynode-cg2-on-');
    writeFileSync(join(enabled, 'cgroup.controllers'), 'cpu memory\n');
    writeFileSync(join(enabled, 'cgroup.subtree_control'), 'cpu memory\n');
    expect(detectCgroups(enabled)?.version).toBe(2);
    expect(readFileSync(join(enabled, 'cgroup.subtree_control'), 'utf8')).toBe('cpu memory\n');
    const bare = tempDir('everynode-cg2-bare-');
    writeFileSync(join(bare, 'cgroup.controllers'), 'pids\n');
    expect(detectCgroups(bare)).toBeUndefined();
    expect(detectCgroups(join(bare, 'absent'))).toBeUndefined();
  });
});

describe('cgroups: a container whose limits cannot be applied', () => {
  it('does not run: it exits at once with a start error saying why (the pod worker tries again)', async () => {
    const dir = tempDir('everynode-cg-none-');
    const refusing = { version: 1 as const, create: () => undefined, existing: () => undefined };
    const rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), cgroups: refusing });
    const sandbox: PodSandboxConfig = { uid: 'uid-none', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
    const sandboxId = await rt.runPodSandbox(sandbox);
    const info = await rt.startContainer(sandboxId, sandbox, {
      name: 'c', attempt: 0, image: 'sh', command: ['sh', '-c', 'sleep 30'], args: [], env: [], logPath: 'c/0.log', labels: {}, limits: { cpuMillis: 100 },
    });
    expect(info).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', message: "cannot apply the container's resource limits: its control group could not be made" });
    // A container without limits needs no group and runs.
    const free = await rt.startContainer(sandboxId, sandbox, { name: 'd', attempt: 0, image: 'sh', command: ['sh', '-c', 'sleep 30'], args: [], env: [], logPath: 'd/0.log', labels: {} });
    expect(free.state).toBe('running');
    await rt.stopContainer(free.id, 0);
  });
});

const real = detectCgroups();
const canEnforce = real !== undefined && existsSync('/proc/self');

describe('cgroups: the kernel enforces them on real containers', () => {
  it.skipIf(!canEnforce)('a container past its memory limit is OOM-killed (exit 137, reason OOMKilled) and its group removed; one within it runs on, with what it execs in its group (needs root and a cgroup filesystem)', async () => {
    const dir = tempDir('everynode-cg-rt-');
    const rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), cgroups: real! });
    const marker = `everynode-test-${randomBytes(6).toString('hex')}`;
    cleanups.push(() => killAllWith(marker));
    const sandbox: PodSandboxConfig = { uid: 'uid-cg', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
    const sandboxId = await rt.runPodSandbox(sandbox);
    // Allocates and touches 8 MiB every 10 ms until it is stopped.
    const hog = `const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 10); // ${marker}`;
    const info = await rt.startContainer(sandboxId, sandbox, {
      name: 'hog', attempt: 0, image: 'node', command: [process.execPath, '-e', hog], args: [], env: [], logPath: 'hog/0.log', labels: {}, limits: { memoryBytes: 96n << 20n, cpuMillis: 500 },
    });
    const group = real!.existing(`c-${info.id.slice(info.id.indexOf('-') + 1)}`)!;
    expect(group).toBeDefined();
    // The CPU quota is the limit's share of each period.
    const cpuQuota = real!.version === 1 ? readFileSync(join(group.dirs[1]!, 'cpu.cfs_quota_us'), 'utf8').trim() : readFileSync(join(group.dirs[0]!, 'cpu.max'), 'utf8').trim().split(' ')[0];
    expect(cpuQuota).toBe('50000');
    // No swap beyond the memory limit, where the kernel accounts swap (v1: memory and swap together).
    const memsw = join(group.dirs[0]!, 'memory.memsw.limit_in_bytes');
    if (real!.version === 1 && existsSync(memsw)) expect(readFileSync(memsw, 'utf8').trim()).toBe(String(96 << 20));
    await until(async () => (await rt.inspectContainer(info.id))?.state === 'exited', 30_000);
    expect(await rt.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 137, signal: 9, reason: 'OOMKilled' });
    await until(() => group.dirs.every((d) => !existsSync(d)), 5_000);

    // Within its limit, a container runs as without one.
    const calm = await rt.startContainer(sandboxId, sandbox, {
      name: 'calm', attempt: 0, image: 'sh', command: ['sh', '-c', `sleep 30 # ${marker}`], args: [], env: [], logPath: 'calm/0.log', labels: {}, limits: { memoryBytes: 64n << 20n },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.inspectContainer(calm.id))?.state).toBe('running');
    // A command run in the container (exec, probes) is in its group too.
    const calmGroup = `c-${calm.id.slice(calm.id.indexOf('-') + 1)}`;
    const exec = await rt.execSync(calm.id, ['sh', '-c', 'sleep 0.2; cat /proc/self/cgroup'], 5_000);
    expect(exec.exitCode).toBe(0);
    expect(exec.output).toContain(`/everynode/${calmGroup}`);
    await rt.stopContainer(calm.id, 0);
    await rt.removeContainer(calm.id);
    expect(real!.existing(`c-${calm.id.slice(calm.id.indexOf('-') + 1)}`)).toBeUndefined();
  }, 60_000);
});
