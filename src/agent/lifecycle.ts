// Container lifecycle hooks as the kubelet runs them, above the runtime: preStop (the first half
// of kuberuntime's killContainer) and postStart (step 4 of kuberuntime's startContainer).
//
// Contracts:
// - A handler is `exec` (the command runs in the container's context as `kubectl exec` runs it:
//   the runtime's execStream, or execSync where a runtime has no streams; exit 0 is success),
//   `httpGet` (GET to host, default the pod IP, which is the node IP with host networking; a
//   port is a number or a named container port; any HTTP answer completes the hook, only a
//   transport error fails it, as upstream), or `sleep` (seconds on the injectable clock).
//   `tcpSocket` is accepted by the API only for compatibility and fails as a hook.
// - `runPreStopHook` never rejects and never takes longer than its budget (the grace period):
//   at the budget the hook is abandoned (an exec is killed, a request destroyed, a sleep cut
//   short) and reported as not completed. The caller stops the container afterwards whatever
//   the outcome; a failure is something to report, never a reason not to stop.
// - `runPostStartHook` runs the handler until it ends, with no time limit (as upstream), or until
//   its signal aborts it (the pod is being terminated). It never rejects; a failure resolves with
//   upstream's message for the container's `PostStartHookError` waiting state (exec: "Exec
//   lifecycle hook ([cmd]) for Container ... failed - error: ..., message: <output>"; httpGet:
//   "HTTP lifecycle hook (path) ..."), which may hold the hook's output: it is status, not Event,
//   material (upstream's Event says only "PostStartHook failed").

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import type { Container, ContainerPort } from '../api/types.js';
import type { Clock, TimerHandle } from '../util/index.js';
import { resolvePort } from './probes.js';
import type { ContainerRuntime } from './runtime/interface.js';
import { agentKubeletVersion, majorMinor } from './version.js';

/** core/v1 HTTPGetAction. */
export interface HTTPGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: { name: string; value: string }[];
}

/** core/v1 LifecycleHandler: exactly one action is set (API validation). */
export interface LifecycleHandler {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string; host?: string };
  sleep?: { seconds: number };
}

/** core/v1 Lifecycle (the parts the agent reads). */
export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

/** As upstream: `kube-lifecycle/<major>.<minor>` of the version the node reports (kubeletVersion). */
export const lifecycleUserAgent = `kube-lifecycle/${majorMinor(agentKubeletVersion)}`;

/** Output kept from an exec hook for the failure message. */
const execOutputLimit = 4 * 1024;

/** The container's preStop handler, if its spec has one. */
export function preStopHandler(c: Container): LifecycleHandler | undefined {
  const lifecycle = c.lifecycle as Lifecycle | undefined;
  const h = lifecycle?.preStop;
  return h && typeof h === 'object' ? h : undefined;
}

/** The container's postStart handler, if its spec has one. */
export function postStartHandler(c: Container): LifecycleHandler | undefined {
  const lifecycle = c.lifecycle as Lifecycle | undefined;
  const h = lifecycle?.postStart;
  return h && typeof h === 'object' ? h : undefined;
}

export interface HookTarget {
  containerId: string;
  /** Default host of httpGet: the pod IP (the node IP with host networking). */
  host: string;
  ports?: ContainerPort[];
}

export interface PreStopResult {
  /** False when the budget ran out first (the hook was abandoned). */
  completed: boolean;
  /** Set when the hook failed or did not complete: why, for logs and events. */
  error?: string;
  elapsedMs: number;
}

/** Resolves after `ms` on the clock, or at once when `signal` aborts. */
function sleepFor(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A sink keeping the first `execOutputLimit` bytes written to it. */
function collector(): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (size < execOutputLimit) {
        const part = chunk.subarray(0, execOutputLimit - size);
        chunks.push(part);
        size += part.length;
      }
      done();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** How a handler ended: `error` set when it failed (with the exec's output, for logs); `output` and `exitCode` of an exec. */
interface HandlerOutcome {
  error?: string;
  output?: string;
  exitCode?: number;
}

async function runExec(command: string[], target: HookTarget, runtime: ContainerRuntime, budgetMs: number, signal: AbortSignal): Promise<HandlerOutcome> {
  const what = `command ${JSON.stringify(command)}`;
  if (command.length === 0) return { error: 'exec hook has no command' };
  if (runtime.execStream) {
    const out = collector();
    const { exitCode } = await runtime.execStream(target.containerId, command, { stdout: out.sink, stderr: out.sink, signal });
    const output = out.text();
    if (exitCode === 0) return { output, exitCode };
    return { error: `${what} exited with ${exitCode}${output ? `: ${JSON.stringify(output)}` : ''}`, output, exitCode };
  }
  const r = await runtime.execSync(target.containerId, command, budgetMs);
  if (r.exitCode === 0 && !r.timedOut) return { output: r.output, exitCode: 0 };
  return { error: `${what} ${r.timedOut ? 'timed out' : `exited with ${r.exitCode}`}${r.output ? `: ${JSON.stringify(r.output)}` : ''}`, output: r.output, exitCode: r.exitCode };
}

function runHttpGet(action: HTTPGetAction, target: HookTarget, signal: AbortSignal): Promise<string | undefined> {
  const port = resolvePort(action.port, target.ports);
  if (port === undefined) return Promise.resolve(`unknown port ${JSON.stringify(action.port)}`);
  const host = action.host || target.host;
  const https = action.scheme === 'HTTPS';
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = '/' + path;
  const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': lifecycleUserAgent, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise<string | undefined>((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false, signal }, (res) => {
      // Any answer completes the hook; the body is drained and dropped.
      res.resume();
      res.on('end', () => resolve(undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', (err) => resolve(`GET ${url}: ${err.message}`));
    req.end();
  });
}

/** Runs one handler to its end (or until `signal` aborts it). */
async function runHandler(handler: LifecycleHandler, target: HookTarget, runtime: ContainerRuntime, clock: Clock, budgetMs: number, signal: AbortSignal): Promise<HandlerOutcome> {
  try {
    if (handler.exec) return await runExec(handler.exec.command ?? [], target, runtime, budgetMs, signal);
    if (handler.httpGet) {
      const error = await runHttpGet(handler.httpGet, target, signal);
      return error === undefined ? {} : { error };
    }
    if (handler.sleep) {
      await sleepFor(clock, Math.max(0, handler.sleep.seconds) * 1000, signal);
      return {};
    }
    if (handler.tcpSocket) return { error: 'tcpSocket is not supported as a lifecycle handler' };
    return { error: 'the handler has no action' };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Runs a preStop handler against a running container for at most `budgetMs` (clock time).
 * Never rejects; see the file header for the contract.
 */
export async function runPreStopHook(
  handler: LifecycleHandler,
  target: HookTarget,
  runtime: ContainerRuntime,
  clock: Clock,
  budgetMs: number,
): Promise<PreStopResult> {
  const start = clock.now();
  const abort = new AbortController();
  let timer: TimerHandle | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = clock.setTimeout(() => resolve('expired'), Math.max(0, budgetMs));
  });
  const outcome = await Promise.race([runHandler(handler, target, runtime, clock, budgetMs, abort.signal), expired]);
  if (timer !== undefined) clock.clearTimeout(timer);
  const elapsedMs = clock.now() - start;
  if (outcome === 'expired') {
    abort.abort();
    return { completed: false, elapsedMs, error: `the preStop hook did not complete within the grace period (${Math.round(budgetMs / 1000)}s)` };
  }
  return outcome.error === undefined ? { completed: true, elapsedMs } : { completed: true, elapsedMs, error: outcome.error };
}

/** A timeout long enough to mean none, that timers still take (at most 2^31-1 ms). */
const noTimeoutMs = 2 ** 31 - 1;

/**
 * Runs a postStart handler against the container just started: to its end, or until `signal`
 * aborts it (counted as a failure). Resolves with undefined on success, else with upstream's
 * message for the PostStartHookError waiting state; never rejects. `container` and `pod`
 * (`name_namespace(uid)`) only name them in that message.
 */
export async function runPostStartHook(
  handler: LifecycleHandler,
  target: HookTarget,
  runtime: ContainerRuntime,
  clock: Clock,
  signal: AbortSignal,
  names: { container: string; pod: string },
): Promise<string | undefined> {
  if (signal.aborted) return 'the pod is being terminated';
  const outcome = await runHandler(handler, target, runtime, clock, noTimeoutMs, signal);
  const aborted = signal.aborted;
  if (outcome.error === undefined && !aborted) return undefined;
  const error = aborted && outcome.error === undefined ? 'the pod is being terminated' : outcome.error ?? '';
  const where = `for Container ${JSON.stringify(names.container)} in Pod ${JSON.stringify(names.pod)} failed`;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const output = outcome.output ?? '';
    // As upstream's CRI ExecSync error (command '...' exited with N: <stderr>) and the hook's output.
    const cause = outcome.exitCode !== undefined && outcome.exitCode !== 0 ? `command '${command.join(' ')}' exited with ${outcome.exitCode}: ${output}` : error;
    return `Exec lifecycle hook ([${command.join(' ')}]) ${where} - error: ${cause}, message: ${JSON.stringify(output)}`;
  }
  if (handler.httpGet) return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} - error: ${error}`;
  return `Lifecycle hook ${where} - error: ${error}`;
}
