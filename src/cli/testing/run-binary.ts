// Running the built `everynode` binary as a client subprocess (test/e2e/cli-*.test.ts).
// Each call has a hard deadline (the child is killed, and the result says so) and a clean
// environment: KUBECONFIG points at the test server unless overridden, NO_COLOR is set.

import type { ChildProcess } from 'node:child_process';
import { everynodeBin, repoRoot, runCommand } from '../../../test/helpers/process.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Kills CLI children still running (registered with the file's Cleanup). */
export function killCliChildren(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

export async function runEverynode(args: string[], opts: { kubeconfig?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', KUBECONFIG: opts.kubeconfig ?? '', ...(opts.env ?? {}) };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const run = await runCommand(process.execPath, [everynodeBin, ...args], { cwd: repoRoot, env, input: opts.input, timeoutMs, running });
  return { code: run.code, stdout: run.stdout, stderr: run.timedOut ? `${run.stderr}\n[test] killed after ${timeoutMs} ms` : run.stderr };
}

/**
 * A DaemonSet manifest (YAML) for CLI and kubectl tests: labels `app: <name>` plus
 * `extraLabels` (YAML lines, each starting with a newline and four spaces), one container
 * `agent` running `sleep 3600`, with `env` as its environment when given.
 */
export const dsManifest = (name: string, image = 'busybox:1.36', extraLabels = '', env: Record<string, string> = {}): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  labels:
    app: ${name}${extraLabels}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: agent
        image: ${image}
        command: ["sleep", "3600"]
${Object.keys(env).length ? `        env:\n${Object.entries(env).map(([k, v]) => `        - name: ${k}\n          value: ${JSON.stringify(v)}\n`).join('')}` : ''}`;
