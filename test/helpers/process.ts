// Subprocesses for e2e tests: every child is spawned detached so it leads its own process
// group, and the whole group is stopped on cleanup (SIGTERM, then SIGKILL after a bound).
// Liveness is read from /proc/<pid>/stat, because a killed process can linger as a zombie.
//
// Invariant: a group registered here is killed on Cleanup.run(), and (as a last resort) with
// SIGKILL when the test process itself exits, so no test leaves a server behind.

import { credentialsFromKubeconfig, registerServer } from './auth.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { sleep, waitFor } from './wait.js';

/** The repository root (two levels above test/helpers). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built CLI entry point; e2e tests need `npm run build` first (npm test does it). */
export const everynodeBin = join(repoRoot, 'dist', 'src', 'cmd', 'everynode.js');

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Registers the process group led by `pgid` to be SIGKILLed when the test process exits, as a
 * last resort for a group no cleanup stopped. `untrackProcessGroup` drops it once it is dead.
 */
export function trackProcessGroup(pgid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of liveGroups) {
        try {
          process.kill(-g, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  liveGroups.add(pgid);
}

export function untrackProcessGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** True while the process exists and is not a zombie (state from /proc/<pid>/stat). */
export function isProcessAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // Format: "pid (comm) S ..."; comm may contain spaces and parentheses, so split at the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X' && state !== '';
}

/** The main process id of a process-runtime container: the prefix of its `process://<pid>-<hex>` id. */
export function containerPid(containerID: string | undefined): number {
  const m = /^process:\/\/(\d+)-[0-9a-f]+$/.exec(containerID ?? '');
  if (!m) throw new Error(`not a process runtime container id: ${String(containerID)}`);
  return Number(m[1]);
}

/** Live (non-zombie) processes whose command line contains `tag`, e.g. a per-test marker. */
export function pidsWith(tag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // raced with exit
    }
    if (cmdline.includes(tag) && isProcessAlive(Number(name))) out.push(Number(name));
  }
  return out;
}

/** SIGKILLs every process `pidsWith(tag)` finds: the last resort for daemons a failed test left behind. */
export function killPidsWith(tag: string): void {
  for (const pid of pidsWith(tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** True while any process of the group exists (zombies included). */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the process group led by `pgid`: SIGTERM, wait up to `graceMs` for the leader to die,
 * then SIGKILL the group. Resolves once the leader is dead (or a zombie).
 */
export async function stopProcessGroup(pgid: number, graceMs = 5_000): Promise<void> {
  try {
    if (groupExists(pgid)) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // raced with exit
      }
      const deadline = Date.now() + graceMs;
      while (isProcessAlive(pgid) && Date.now() < deadline) await sleep(20);
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // the group is gone
      }
      await waitFor(() => !isProcessAlive(pgid), { timeoutMs: 10_000, message: `process group ${pgid} to die` });
    }
  } finally {
    untrackProcessGroup(pgid);
  }
}

export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  /** Everything written to stdout/stderr so far (for diagnostics and line matching). */
  output(): string;
  /** Resolves when the child exits, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the whole process group (no-op once it has exited). */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGTERM then SIGKILL the group; idempotent. Unregisters the cleanup. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `node <args>` detached (own process group) and registers group cleanup. */
export function spawnNode(cleanup: Cleanup, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnedProcess {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`failed to spawn node ${args.join(' ')}`);
  trackProcessGroup(pid);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  let exitedNow = false;
  void exited.then(() => (exitedNow = true));
  let graceMs = 5_000;
  const stopNow = cleanup.defer(async () => {
    await stopProcessGroup(pid, graceMs);
    await exited;
  }, `process group ${pid}`);
  return {
    child,
    pid,
    output: () => out,
    exited,
    signalGroup(signal) {
      if (exitedNow) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    },
    stop: async (grace?: number) => {
      if (grace !== undefined) graceMs = grace;
      await stopNow();
    },
  };
}

export interface CommandRun {
  /** Exit code; null when the child died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The deadline passed and the child was SIGKILLed. */
  timedOut: boolean;
}

/**
 * Runs `command args` to completion (not detached: a client, not a server) with `input` on
 * stdin (empty by default) and SIGKILLs it after `timeoutMs`. While it runs it is in `running`,
 * if given, so a cleanup can kill what is left.
 */
export function runCommand(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs: number; running?: Set<ChildProcess> },
): Promise<CommandRun> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    opts.running?.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.running?.delete(child);
      done({ code, stdout, stderr, timedOut });
    });
    // A child may exit before it reads its input (a server refusing to start): the write then
    // fails with EPIPE, which says nothing the exit code does not, so it is not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export interface ServerProcess extends SpawnedProcess {
  url: string;
  port: number;
  kubeconfigPath: string;
  /** The server's CA (PEM) and admin token, from its kubeconfig (also registered for testFetch). */
  caPem: string;
  adminToken: string;
}

const listeningLine = /everynode server listening on (https?:\/\/\S+) \(kubeconfig: ([^)]+)\)/;

/**
 * Starts `node dist/src/cmd/everynode.js server --data-dir DIR --listen LISTEN` and waits for its
 * `everynode server listening on URL (kubeconfig: PATH)` line. Fails with the process output when
 * it exits first or the deadline passes.
 */
export async function startServerProcess(
  cleanup: Cleanup,
  opts: { dataDir: string; listen?: string; extraArgs?: string[]; timeoutMs?: number },
): Promise<ServerProcess> {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  const args = [everynodeBin, 'server', '--data-dir', opts.dataDir, '--listen', opts.listen ?? '127.0.0.1:0', ...(opts.extraArgs ?? [])];
  const proc = spawnNode(cleanup, args);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((e) => (exitInfo = e));
  const m = await waitFor(
    () => {
      if (exitInfo) throw new Error(`server exited (${JSON.stringify(exitInfo)}) before listening; output:\n${proc.output()}`);
      return listeningLine.exec(proc.output()) ?? undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 30_000, message: `"everynode server listening" from pid ${proc.pid}` },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\noutput so far:\n${proc.output()}`);
  });
  const url = m[1] ?? '';
  const kubeconfigPath = (m[2] ?? '').trim();
  const creds = credentialsFromKubeconfig(kubeconfigPath);
  registerServer(url, creds);
  return { ...proc, url, port: Number(new URL(url).port), kubeconfigPath, caPem: creds.caPem, adminToken: creds.token };
}
