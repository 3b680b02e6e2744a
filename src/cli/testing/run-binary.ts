// Running the built `everynode` binary as a client subprocess (test/e2e/cli-*.test.ts).
// Each call has a hard deadline (the child is killed, and the result says so) and a clean
// environment: KUBECONFIG points at the test server unless overridden, NO_COLOR is set.

import { spawn, type ChildProcess } from 'node:child_process';
import { everynodeBin, repoRoot } from '../../../test/helpers/process.js';

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

export function runEverynode(args: string[], opts: { kubeconfig?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', KUBECONFIG: opts.kubeconfig ?? '', ...(opts.env ?? {}) };
    const child = spawn(process.execPath, [everynodeBin, ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${opts.timeoutMs ?? 30_000} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export const dsManifest = (name: string, image = 'busybox:1.36', extraLabels = ''): string => `apiVersion: apps/v1
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
`;
