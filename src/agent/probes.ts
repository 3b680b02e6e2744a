// Container probes as the kubelet runs them, above the runtime.
//
// - `runProbe` performs one exec / httpGet / tcpSocket check with the probe's timeout.
//   httpGet: success for a status in [200, 300), failure outside [200, 400); redirects to the
//   same host name are followed (at most 10), others end the check as a success with a warning
//   (`warning`, upstream's probe.Warning, which the kubelet records as a ProbeWarning event);
//   host defaults to the pod IP; a named port is looked up in the container's ports. exec: exit
//   code 0. tcpSocket: a connection is accepted.
// - `ProbeWorker` runs one probe of one container instance on the clock: first at
//   startedAt + initialDelaySeconds, then every periodSeconds; a result is reported only after
//   successThreshold/failureThreshold consecutive equal outcomes; a reported liveness or startup
//   failure ends the worker (the container gets restarted and a new worker starts with it).
//   Initial results: readiness failure, liveness success, startup unknown.
// - `trigger()` runs an attempt at once (past the initial delay): the pod worker does so for
//   readiness when the startup probe succeeds, so the container becomes Ready right after it
//   started, not a readiness period later.
// - Upstream defaults: periodSeconds 10, timeoutSeconds 1, successThreshold 1,
//   failureThreshold 3, initialDelaySeconds 0.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ContainerPort, Probe } from '../api/types.js';
import type { Clock } from '../util/index.js';
import type { ContainerRuntime } from './runtime/interface.js';
import { agentKubeletVersion, majorMinor } from './version.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: 'success' | 'failure';
  output: string;
  /** A success to report (upstream's probe.Warning: an httpGet redirect that was not followed). */
  warning?: boolean;
}

export interface ProbeTarget {
  containerId: string;
  /** Default host for httpGet/tcpSocket: the pod IP (the node IP with host networking). */
  host: string;
  ports?: ContainerPort[];
}

/** As upstream: `kube-probe/<major>.<minor>` of the version the node reports (kubeletVersion). */
export const probeUserAgent = `kube-probe/${majorMinor(agentKubeletVersion)}`;

export function probeDefaults(p: Probe): Required<Pick<Probe, 'initialDelaySeconds' | 'timeoutSeconds' | 'periodSeconds' | 'successThreshold' | 'failureThreshold'>> {
  return {
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    timeoutSeconds: p.timeoutSeconds || 1,
    periodSeconds: p.periodSeconds || 10,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
  };
}

/** A probe's or hook's port: a number, a numeric string, or the name of a container port. */
export function resolvePort(port: number | string, ports: ContainerPort[] | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  return ports?.find((p) => p.name === port)?.containerPort;
}

function withTimeout<T>(clock: Clock, ms: number, work: (onTimeout: (fn: () => void) => void) => Promise<T>, timedOut: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    let settled = false;
    let cancel: (() => void) | undefined;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      cancel?.();
      resolve(timedOut());
    }, ms);
    work((fn) => (cancel = fn)).then(
      (v) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(v);
      },
      () => undefined,
    );
  });
}

/** Redirects an httpGet probe follows at most (Go's http.Client default, which the kubelet keeps). */
const maxProbeRedirects = 10;

/**
 * One httpGet check as upstream's prober does it (pkg/probe/http): a GET with the probe's
 * headers; a redirect to the same host name (any port or scheme) is followed, at most 10 times;
 * a redirect elsewhere is not followed and counts as success with a warning ("Probe terminated
 * redirects", upstream's probe.Warning), as does a 3xx without a Location. Success for a final
 * status in [200, 300), failure for one outside [200, 400). The timeout covers the whole chain.
 */
async function httpProbe(probe: NonNullable<Probe['httpGet']>, target: ProbeTarget, clock: Clock, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(probe.port, target.ports);
  if (port === undefined) return { result: 'failure', output: `unknown port ${JSON.stringify(probe.port)}` };
  const host = probe.host || target.host;
  const https = probe.scheme === 'HTTPS';
  let path = probe.path ?? '/';
  if (!path.startsWith('/')) path = '/' + path;
  const headers: Record<string, string> = { 'User-Agent': probeUserAgent, Accept: '*/*' };
  for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
  const first = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  let url = first;
  return withTimeout<ProbeOutcome>(
    clock,
    timeoutMs,
    async (onTimeout) => {
      const firstHost = new URL(first).hostname;
      let cancelled = false;
      let cancelCurrent: (() => void) | undefined;
      onTimeout(() => {
        cancelled = true;
        cancelCurrent?.();
      });
      for (let redirects = 0; ; redirects++) {
        if (cancelled) return { result: 'failure', output: `Get "${url}": context deadline exceeded` };
        const r = await httpGetOnce(url, headers, (fn) => (cancelCurrent = fn));
        if ('error' in r) return { result: 'failure', output: `Get "${url}": ${r.error}` };
        const { code, body, location } = r;
        if (code >= 300 && code < 400 && location !== undefined) {
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            return { result: 'failure', output: `Get "${url}": failed to parse Location header ${JSON.stringify(location)}` };
          }
          if (next.hostname === firstHost && (next.protocol === 'http:' || next.protocol === 'https:')) {
            if (redirects + 1 >= maxProbeRedirects) return { result: 'failure', output: `Get "${next.href}": stopped after ${maxProbeRedirects} redirects` };
            url = next.href;
            continue;
          }
        }
        if (code >= 200 && code < 300) return { result: 'success', output: body };
        if (code >= 300 && code < 400) return { result: 'success', output: `Probe terminated redirects, Response body: ${body}`, warning: true };
        return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
      }
    },
    () => ({ result: 'failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
  );
}

/**
 * A connection error as Go's net package words it, which the kubelet's probe messages carry
 * (`dial tcp 10.0.0.1:80: connect: connection refused`); other errors keep Node's message.
 */
export function goNetError(err: NodeJS.ErrnoException, host: string, port: number | string): string {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${addr}: connect: connection timed out`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    default:
      // A connection closed before an answer: Go's io.EOF.
      return err.message === 'socket hang up' ? 'EOF' : err.message;
  }
}

/** One GET of `url`: its status, body (the first 10 KiB) and Location, or the transport error. `setCancel` receives what aborts it. */
function httpGetOnce(
  url: string,
  headers: Record<string, string>,
  setCancel: (fn: () => void) => void,
): Promise<{ code: number; body: string; location: string | undefined } | { error: string }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 10 * 1024) body += d;
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body, location: res.headers.location }));
      res.on('error', (err) => resolve({ error: goNetError(err, u.hostname.replace(/^\[|\]$/g, ''), u.port || (u.protocol === 'https:' ? 443 : 80)) }));
    });
    req.on('error', (err) => resolve({ error: goNetError(err, u.hostname.replace(/^\[|\]$/g, ''), u.port || (u.protocol === 'https:' ? 443 : 80)) }));
    setCancel(() => req.destroy());
    req.end();
  });
}

function tcpProbe(probe: NonNullable<Probe['tcpSocket']>, target: ProbeTarget, clock: Clock, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(probe.port, target.ports);
  if (port === undefined) return Promise.resolve({ result: 'failure', output: `unknown port ${JSON.stringify(probe.port)}` });
  const host = probe.host || target.host;
  return withTimeout<ProbeOutcome>(
    clock,
    timeoutMs,
    (onTimeout) =>
      new Promise<ProbeOutcome>((resolve) => {
        const sock = connect({ host, port });
        sock.once('connect', () => {
          sock.destroy();
          resolve({ result: 'success', output: '' });
        });
        sock.once('error', (err) => resolve({ result: 'failure', output: goNetError(err, host, port) }));
        onTimeout(() => sock.destroy());
      }),
    () => ({ result: 'failure', output: `dial tcp ${host}:${port}: i/o timeout` }),
  );
}

// gRPC probes: one call of the standard health service, grpc.health.v1.Health/Check, without
// TLS, to the pod IP (the node IP with host networking) at `port`, asking about `service`
// (default ""). Success only for SERVING; messages as the kubelet's. The request and answer
// are encoded by hand (one field each), so no .proto file or code generation is needed; the
// gRPC library loads only when a pod has such a probe.

const healthCheckPath = '/grpc.health.v1.Health/Check';
const servingStatusNames = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  return s.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]);
}

/** HealthCheckResponse { ServingStatus status = 1; }: the status (0 when absent); undefined when malformed. */
export function decodeHealthCheckResponse(b: Buffer): number | undefined {
  let i = 0;
  let status = 0;
  const readVarint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; i < b.length && shift < 49; shift += 7) {
      const byte = b[i++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (i < b.length) {
    const key = readVarint();
    if (key === undefined) return undefined;
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint();
      if (v === undefined) return undefined;
      if (key >> 3 === 1) status = v;
    } else if (wire === 2) {
      const len = readVarint();
      if (len === undefined || i + len > b.length) return undefined;
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return undefined;
  }
  return status;
}

async function grpcProbe(probe: NonNullable<Probe['grpc']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const grpc = await import('@grpc/grpc-js');
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const address = `${host}:${probe.port}`;
  const secs = `${timeoutMs / 1000}s`;
  // As upstream's (grpc.WithUserAgent): `kube-probe/1.32`, then the library's own.
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.primary_user_agent': probeUserAgent });
  return new Promise<ProbeOutcome>((resolve) => {
    client.makeUnaryRequest<Buffer, Buffer>(
      healthCheckPath,
      (x) => x,
      (b) => b,
      encodeHealthCheckRequest(probe.service ?? ''),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        client.close();
        if (err) {
          const code = (err as { code?: number }).code;
          if (code === grpc.status.UNIMPLEMENTED) resolve({ result: 'failure', output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` });
          // The kubelet dials blocking until its deadline: a service that is not there is a deadline exceeded.
          else if (code === grpc.status.UNAVAILABLE) resolve({ result: 'failure', output: `timeout: failed to connect service "${address}" within ${secs}: context deadline exceeded` });
          else if (code === grpc.status.DEADLINE_EXCEEDED) resolve({ result: 'failure', output: `timeout: health rpc did not complete within ${secs}` });
          else resolve({ result: 'failure', output: `error: health rpc probe failed: ${err.message}` });
          return;
        }
        const st = value ? decodeHealthCheckResponse(value) : undefined;
        if (st === 1) resolve({ result: 'success', output: 'service healthy' });
        else resolve({ result: 'failure', output: st === undefined ? 'error: health rpc probe failed: malformed response' : `service unhealthy (responded with "${servingStatusNames[st] ?? String(st)}")` });
      },
    );
  });
}

/** Performs one check of `probe` against a container. Never rejects. */
export async function runProbe(
  probe: Probe,
  target: ProbeTarget,
  runtime: Pick<ContainerRuntime, 'execSync'>,
  clock: Clock,
): Promise<ProbeOutcome> {
  const timeoutMs = probeDefaults(probe).timeoutSeconds * 1000;
  try {
    if (probe.exec) {
      const r = await runtime.execSync(target.containerId, probe.exec.command ?? [], timeoutMs);
      // The kubelet's exec prober: the command's output is the message, empty or not; a timeout names the command.
      if (r.timedOut) return { result: 'failure', output: `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} timed out` };
      return r.exitCode === 0 ? { result: 'success', output: r.output } : { result: 'failure', output: r.output };
    }
    if (probe.httpGet) return await httpProbe(probe.httpGet, target, clock, timeoutMs);
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket, target, clock, timeoutMs);
    if (probe.grpc) return await grpcProbe(probe.grpc, target, timeoutMs);
    return { result: 'failure', output: 'probe has no handler' };
  } catch (err) {
    return { result: 'failure', output: err instanceof Error ? err.message : String(err) };
  }
}

export interface ProbeWorkerOptions {
  type: ProbeType;
  probe: Probe;
  clock: Clock;
  /** When the container instance started (ms). */
  startedAt: number;
  run: () => Promise<ProbeOutcome>;
  /** Probes are skipped while this is false (liveness/readiness wait for startup). */
  gate?: () => boolean;
  /** Called when the reported result changes. */
  onResult: (type: ProbeType, result: ProbeResult, output: string) => void;
  /** Called with the output of every failed attempt, below the failure threshold too (the kubelet's Unhealthy event). */
  onFailure?: (output: string) => void;
  /** Called with the output of every attempt that succeeded with a warning (the kubelet's ProbeWarning event). */
  onWarning?: (output: string) => void;
}

export class ProbeWorker {
  result: ProbeResult;
  lastOutput = '';
  private run = 0;
  private lastOutcome: 'success' | 'failure' | undefined;
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private stopped = false;
  private readonly params: ReturnType<typeof probeDefaults>;

  constructor(private readonly o: ProbeWorkerOptions) {
    this.params = probeDefaults(o.probe);
    this.result = o.type === 'readiness' ? 'failure' : o.type === 'liveness' ? 'success' : 'unknown';
  }

  start(): void {
    const first = this.o.startedAt + this.params.initialDelaySeconds * 1000;
    this.schedule(Math.max(0, first - this.o.clock.now()));
  }

  /**
   * Upstream's manual trigger of a readiness worker (prober manager UpdatePodStatus, when a
   * container has started but has no readiness result yet): an attempt now instead of at the
   * next period. Nothing happens while an attempt runs, after stop, or before the initial delay
   * has passed (the first attempt stays scheduled for it).
   */
  trigger(): void {
    if (this.stopped || this.timer === undefined) return;
    if (this.o.clock.now() < this.o.startedAt + this.params.initialDelaySeconds * 1000) return;
    this.o.clock.clearTimeout(this.timer);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.tick(), ms);
  }

  /**
   * The next attempt one period after this one began, as the kubelet's probe worker runs on a
   * ticker: an attempt's own time (a slow answer, a timeout) does not stretch the period; one
   * that took longer than a period is followed at once.
   */
  private scheduleAfter(began: number): void {
    this.schedule(Math.max(0, began + this.params.periodSeconds * 1000 - this.o.clock.now()));
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const began = this.o.clock.now();
    if (this.o.gate && !this.o.gate()) {
      this.scheduleAfter(began);
      return;
    }
    const outcome = await this.o.run();
    if (this.stopped) return;
    if (outcome.result === 'failure') this.o.onFailure?.(outcome.output);
    else if (outcome.warning) this.o.onWarning?.(outcome.output);
    this.lastOutput = outcome.output;
    if (outcome.result === this.lastOutcome) this.run++;
    else {
      this.lastOutcome = outcome.result;
      this.run = 1;
    }
    const threshold = outcome.result === 'success' ? this.params.successThreshold : this.params.failureThreshold;
    if (this.run >= threshold && this.result !== outcome.result) {
      this.result = outcome.result;
      this.o.onResult(this.o.type, outcome.result, outcome.output);
    }
    // A startup probe stops once it has succeeded; liveness/startup stop at a failure (the
    // container is restarted with new workers).
    if (this.o.type === 'startup' && this.result === 'success') return this.stop();
    if (this.o.type !== 'readiness' && this.result === 'failure') return this.stop();
    this.scheduleAfter(began);
  }
}
