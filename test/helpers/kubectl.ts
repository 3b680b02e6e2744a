// The real `kubectl` as a client of a test server. Every call names its kubeconfig and
// discovery cache dir explicitly (KUBECONFIG is cleared, so nothing of the user's ~/.kube is
// read) and has a hard deadline, after which the child is SIGKILLed.

import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from './process.js';

/** True when `kubectl` is on PATH. Cached. */
export function kubectlAvailable(): boolean {
  available ??= spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).status === 0;
  return available;
}
let available: boolean | undefined;

export interface KubectlRun {
  /** Exit code; -1 when the child died of a signal (e.g. the deadline's SIGKILL). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl --kubeconfig K --cache-dir C ...args` with `input` on stdin (empty by default). */
export async function runKubectl(
  target: { kubeconfig: string; cacheDir: string },
  args: string[],
  opts: { input?: string; timeoutMs?: number; binary?: string } = {},
): Promise<KubectlRun> {
  const argv = ['--kubeconfig', target.kubeconfig, '--cache-dir', target.cacheDir, ...args];
  const env = { ...process.env, KUBECONFIG: '', NO_COLOR: '1' };
  const run = await runCommand(opts.binary ?? 'kubectl', argv, { env, input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
  return { code: run.code ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The kubectl of one minor version (`kubectl.1.27`, ...) where the machine keeps versioned
 * binaries beside the `kubectl` on PATH (a dispatcher that picks the server's minor), or undefined.
 */
export function versionedKubectl(minor: number): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
  if (!onPath) return undefined;
  const p = join(dirname(realpathSync(onPath)), `kubectl.1.${minor}`);
  return existsSync(p) ? p : undefined;
}
