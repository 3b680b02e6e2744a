// The per-pod state machine above the ContainerRuntime (the kubelet's pod worker + SyncPod).
//
// Assumptions:
// - The pod given to `update` is the desired state (level-triggered): every pass re-reads it
//   and the runtime's view of its containers and converges; events (runtime exits, probe
//   results, backoff expiry, a periodic resync) only trigger passes.
// - Passes of one pod never overlap; a trigger during a pass causes one more pass.
// - Container names are unique across init and regular containers (API validation).
//
// Invariants:
// - Init containers run one at a time in order (upstream computeInitContainerActions): a regular
//   one must exit 0 before the next starts; a sidecar (restartPolicy Always) must be running with
//   its startup probe (if any) passed, and then keeps running beside the regular containers. The
//   regular containers start once every init container got that far. Once a later container
//   has been started, an earlier init container no longer holds anything back: regular ones are
//   never run again, sidecars are only kept running. A failed regular init container is
//   restarted (with backoff) unless restartPolicy is Never, which fails the pod.
// - A sidecar is restarted whenever it exits, whatever the pod's restartPolicy (with the
//   CrashLoopBackOff delays), and after a failed liveness/startup probe or a spec change, as
//   a regular container. Under OnFailure/Never, once every regular container has exited for good
//   the running sidecars are stopped and the pod's phase follows from the regular containers.
// - While the pod's containers stop, their liveness and startup probes are stopped, their
//   readiness probes keep running (upstream StopLivenessAndStartup), and a readiness change is
//   reported at once: a container that stops serving makes the pod unready before it exits.
// - Stopping the pod (termination, or the completion above) stops the regular containers first,
//   then the sidecars in reverse order (upstream terminationOrdering): every container's Killing
//   and preStop hook come at once; a sidecar then waits, within what is left of its grace
//   period, until every regular container and every later sidecar has exited.
// - A container's `lifecycle.postStart` hook runs right after it started, in the pass, which it
//   holds: the container is reported (running, started, probed) only once the hook returned.
//   A failed hook is a Warning FailedPostStartHook event; the container is then stopped as
//   killContainer does (Killing "FailedPostStartHook") and waits in PostStartHookError with the
//   hook's message until it is restarted as its restart policy says (with back-off). The pod's
//   termination aborts a running hook; the termination then stops the container with its own
//   grace period, and the cut-off hook is not reported as a failure.
// - A container whose command could not be run (exited with StartError) waits in
//   RunContainerError with the runtime's message until the next attempt (or CrashLoopBackOff)
//   replaces that reason, when it is to be restarted (upstream's reasonCache); otherwise it shows
//   its terminated state.
// - With terminationMessagePolicy FallbackToLogsOnError, a container that exited non-zero gets
//   the last 80 lines of its log, at most the last 2048 bytes, as `terminated.message`
//   (upstream readLastStringFromContainerLogs), read once when its exit is first seen. The
//   message file of policy File is never read: the process runtime has no mounts (README).
// - A container the runtime cannot create (CreateContainerError, e.g. no command) waits with that
//   reason and the runtime's message (a Warning Failed event each attempt), and its creation is
//   tried again once its back-off (the CrashLoopBackOff delays, from the failure) has passed, not
//   on every pass. As upstream, the error is the container's alone, even when the runtime says
//   the config can never run: the phase follows from the container states as always (Pending
//   while a container that never started waits), the other containers start as usual, and the
//   pod is never failed for it (a Failed daemon pod would be replaced by its DaemonSet, forever).
// - A container is restarted when it exited and restartPolicy says so (Always; OnFailure with a
//   non-zero exit), after a failed liveness/startup probe (it is stopped first), or when its spec
//   hash changed. The first restart is immediate; later ones wait the CrashLoopBackOff delay
//   (10 s doubling to 5 min, measured from the last exit; reset after 10 min without restarts).
// - The runtime keeps the current and the previous container of each name (lastState and
//   `logs --previous`); older ones are removed when a new one starts.
// - A pod in a terminal phase (Succeeded/Failed) is never acted on again; a terminating pod
//   gets every container stopped with its grace period and then a terminal phase.
// - A pod with `spec.activeDeadlineSeconds` that has been active (since its status' startTime)
//   that long is failed as upstream's activeDeadlineHandler fails it: phase Failed, reason
//   DeadlineExceeded, a Normal DeadlineExceeded event, no container started any more, and every
//   running container stopped with the pod's grace period. The deadline is read from the pod as
//   last given (the API allows lowering it on a running pod), and a pass is scheduled for it.
// - Every stop of a running container the worker decides on (pod termination; a restart after a
//   failed liveness/startup probe or a spec change) goes through `killContainer`: the
//   container's `lifecycle.preStop` hook first, its time counted against the grace period, then
//   SIGTERM, then SIGKILL after what is left (at least the minimum grace period).
// - `onStatus` is called only when the computed status differs from the last one reported
//   (initially the status the pod arrived with).
// - What the kubelet records as Events is reported through `onEvent`, synchronously, with
//   upstream's reasons and messages: every start attempt Pulled (there are no images: "already
//   present"), then Created and Started, or Failed ("Error: ...") when the environment cannot be
//   built or the command cannot be run; BackOff on every pass that finds a container in
//   CrashLoopBackOff; Killing before every stop; FailedPreStopHook; Unhealthy on every failed
//   probe attempt (not only at the failure threshold); ProbeWarning on every attempt that passed
//   with a warning (an httpGet redirect to another host, not followed).

import { createHash } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from '../api/types.js';
import { Backoff } from './backoff.js';
import { errorMessage, rfc3339, type Clock, type TimerHandle } from '../util/index.js';
import { ContainerConfigError, envSourceNames, expandCommandAndArgs, expandProbeCommand, makeEnvironment, podHostname, type EnvService, type EnvSources, type PodEnvContext } from './container-env.js';
import { containerIdentity, containerSecurity, readAgentAccounts, type AgentAccounts } from './security-context.js';
import { postStartHandler, preStopHandler, runPostStartHook, runPreStopHook } from './lifecycle.js';
import { ProbeWorker, runProbe, type ProbeType } from './probes.js';
import { isRuntimeError, type ContainerInfo, type ContainerRuntime, type KeyValue, type LogOptions, type PodSandboxConfig } from './runtime/interface.js';
import { generatePodConditions, getPodPhase, isSidecar, podQOSClass, podStatusEqual } from './status.js';
import type { ResourceLimits } from './runtime/cgroups.js';
import { parseQuantity, scaledValue } from '../api/validation/quantity.js';

export const labelPodUID = 'io.kubernetes.pod.uid';
export const labelPodName = 'io.kubernetes.pod.name';
export const labelPodNamespace = 'io.kubernetes.pod.namespace';
export const labelContainerName = 'io.kubernetes.container.name';
export const labelContainerHash = 'io.kubernetes.container.hash';

export const defaultTerminationGracePeriodSeconds = 30;

export interface PodWorkerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  /** Shared by all pods of the node; keys are `<pod uid>/<container name>`. */
  backoff?: Backoff;
  nodeName: string;
  /** The machine's hostname: the hostname (HOSTNAME) of hostNetwork pods. Default os.hostname(). */
  hostname?: string;
  /** The cluster DNS zone, for pods with setHostnameAsFQDN (default cluster.local). */
  clusterDomain?: string;
  /** The node's IP: hostIP, and podIP (pods use host networking). */
  nodeIP: string;
  /** Pod log directories are `<logRoot>/<namespace>_<name>_<uid>/`. */
  logRoot: string;
  allocatable?: Record<string, string | number>;
  /**
   * Who the agent is and the node's /etc/passwd and /etc/group, for the identity a container
   * runs as (security-context.ts). Default: read as each container starts.
   */
  accounts?: AgentAccounts;
  /** Called with the pod as last given and its new status, only when the status changed. */
  onStatus: (pod: Pod, status: PodStatus) => void;
  onError?: (pod: Pod, err: unknown) => void;
  /** Lower bound of any container stop's grace period (kubelet: 2 s). */
  minimumGracePeriodSeconds?: number;
  /** Period of the safety-net resync pass; 0 disables it. Default 10 s. */
  resyncPeriodMs?: number;
  /**
   * Environment a pod's containers get before their own (the service account's, written to
   * disk first). A rejection holds the container in CreateContainerConfigError, retried with
   * back-off.
   */
  podEnvironment?: (pod: Pod) => Promise<KeyValue[]>;
  /**
   * Reads the ConfigMaps and Secrets of the pod's namespace a container's `env`/`envFrom`
   * names, just before it starts (null: not found). A rejection holds the container in
   * CreateContainerConfigError, retried with back-off. Absent: every such object counts as
   * not found.
   */
  envSources?: (pod: Pod, names: { configMaps: string[]; secrets: string[] }) => Promise<EnvSources>;
  /**
   * The Services the node knows (every namespace), for the containers' service link variables
   * (container-env.ts). A rejection (not read yet) holds the container in
   * CreateContainerConfigError, retried with back-off. Absent: no service links.
   */
  services?: (pod: Pod) => Promise<readonly EnvService[]>;
  /**
   * What the kubelet would record as an Event of the pod (e.g. Warning FailedPreStopHook), or of
   * its container `container`. Called synchronously; must not throw. `message` is fit for an API
   * Event; `detail` may hold command output or URLs and is meant for the agent's log only.
   */
  onEvent?: (pod: Pod, event: PodWorkerEvent) => void;
  /**
   * The handler of the RuntimeClass a pod names (null: no such class; a rejection: not read).
   * Absent: runtimeClassName is not looked at.
   */
  runtimeClassHandler?: (className: string) => Promise<string | null>;
  /**
   * The RuntimeClass handlers the runtime runs pods of (the process runtime has no other
   * configurations: these run as every pod does). A pod whose class has another handler gets no
   * sandbox: Warning FailedCreatePodSandBox, its containers waiting in ContainerCreating, tried
   * again every 10 s, as a kubelet whose container runtime lacks the handler. Default: none.
   */
  runtimeHandlers?: readonly string[];
}

/** How often a pod whose RuntimeClass cannot run here is looked at again. */
export const runtimeClassRetryMs = 10_000;

export interface PodWorkerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  detail?: string;
  container?: string;
}

interface ContainerRecord {
  name: string;
  isInit: boolean;
  /** An ephemeral container (pods/ephemeralcontainers): started once, never restarted, no probes. */
  ephemeral?: boolean;
  current?: ContainerInfo;
  previous?: ContainerInfo;
  restartCount: number;
  nextAttempt: number;
  waiting?: { reason: string; message?: string };
  /** While waiting in CreateContainerError: the clock time before which no creation is tried. */
  retryCreateAt?: number;
  probes: Partial<Record<ProbeType, ProbeWorker>>;
  /** Container id the probe workers were started for. */
  probedId?: string;
  /**
   * The postStart hook of `current` is running: the container is reported as not started yet
   * (waiting in ContainerCreating, upstream's status of a container whose start has not returned).
   */
  hookRunning?: boolean;
  /**
   * The id of a container killed for a failed liveness or startup probe in a pod whose policy
   * restarts (Always, OnFailure): started again however it exits, as upstream's
   * computePodActions kills and starts it in one go (an exit 0 on SIGTERM is no success).
   */
  killedToRestart?: string;
}

/** Probe types as upstream's events name them. */
const probeTypeNames: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** Go's time.Duration.String for whole seconds: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** Hash of the fields whose change restarts a running container. */
export function containerHash(c: Container): string {
  const relevant = { name: c.name, image: c.image, command: c.command, args: c.args, workingDir: c.workingDir, env: c.env, ports: c.ports };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

function podKey(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

/** Upstream activeDeadlineHandler's reason and message for a pod failed for its deadline. */
export const deadlineExceededReason = 'DeadlineExceeded';
/** What the kubelet's graceful node shutdown writes on the pods it stops (reason, message, condition). */
export const nodeShutdownReason = 'Terminated';
export const nodeShutdownMessage = 'Pod was terminated in response to imminent node shutdown.';
export const deadlineExceededMessage = 'Pod was active on the node longer than the specified deadline';

/** Upstream MaxContainerTerminationMessageLogLines and MaxContainerTerminationMessageLogLength. */
export const terminationMessageLogLines = 80;
export const terminationMessageLogBytes = 2048;

/**
 * Upstream readLastStringFromContainerLogs: the last 80 lines of a container's log, cut to their
 * last 2048 bytes. A log that cannot be read gives upstream's error text instead.
 */
export async function terminationMessageFromLogs(runtime: ContainerRuntime, id: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await runtime.readLogs(id, { tailLines: terminationMessageLogLines });
  } catch (err) {
    // A container the runtime no longer knows (ContainerStatusUnknown) has no log to read.
    if (isRuntimeError(err, 'NotFound')) return '';
    return `Error on reading termination message from logs: ${err instanceof Error ? err.message : String(err)}`;
  }
  return (bytes.length <= terminationMessageLogBytes ? bytes : bytes.subarray(bytes.length - terminationMessageLogBytes)).toString('utf8');
}

/** `message`: what the container's termination message adds to the runtime's (upstream joins them with ": "). */
function terminatedState(info: ContainerInfo, runtimeType: string, message?: string): ContainerState {
  const exitCode = info.exitCode ?? 0;
  const t: NonNullable<ContainerState['terminated']> = {
    exitCode,
    reason: info.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    // A container that never started (StartError) shows the runtime's zero start time, as the kubelet's.
    startedAt: info.reason === 'StartError' ? rfc3339(0) : info.startedAt !== undefined ? rfc3339(info.startedAt) : undefined,
    finishedAt: info.finishedAt !== undefined ? rfc3339(info.finishedAt) : undefined,
    containerID: `${runtimeType}://${info.id}`,
  };
  // No `signal`: the kubelet never sets it (the CRI reports none); a signal shows in the exit code (128 + n).
  const text = [info.message, message].filter((m) => m).join(': ');
  if (text) t.message = text;
  return { terminated: t };
}

/** The kubelet's pod workers' backOffPeriod: how often a pod waiting in back-off is synced (and its BackOff event recorded). */
const backOffEventPeriodMs = 10_000;

/**
 * A container's resources.limits as the runtime takes them: memory in bytes, cpu in millicores
 * (both rounded up, as a kubelet reads them; 0 is no limit); nothing when it sets neither.
 */
export function containerLimits(c: Container): { limits?: ResourceLimits } {
  const limits = (c.resources?.limits ?? {}) as Record<string, string | number>;
  const memory = scaledValue(parseQuantity(limits['memory']), 0);
  const cpu = scaledValue(parseQuantity(limits['cpu']), 3);
  const out: ResourceLimits = {};
  // Zero is no limit, as a kubelet reads it.
  if (memory > 0n) out.memoryBytes = memory;
  if (cpu > 0n) out.cpuMillis = Number(cpu);
  return out.memoryBytes !== undefined || out.cpuMillis !== undefined ? { limits: out } : {};
}

export class PodWorker {
  private pod: Pod;
  private sandboxId: string | undefined;
  private readonly records = new Map<string, ContainerRecord>();
  private recovered = false;
  private loop: Promise<void> | undefined;
  private dirty = false;
  /**
   * The one pending wake-up of this pod (its earliest): every wait of a pass (a back-off, a
   * create retry, a failed pass) asks for one with after(), and each pass asks again for what it
   * still waits on, so the earliest is the only one needed. A timer per request multiplied:
   * each waiting container added one per pass, and each timer's pass added more.
   */
  private wake: { timer: TimerHandle; at: number } | undefined;
  private resyncTimer: TimerHandle | undefined;
  private lastStatus: PodStatus | undefined;
  private startTime: string | undefined;
  private terminal = false;
  private terminating: { gracePeriodSeconds: number | undefined } | undefined;
  /**
   * While the pod's containers are being stopped (killPod): when their grace ends (clock ms),
   * and the containers whose runtime stop is in flight. A shorter grace period given meanwhile
   * (a second delete with --grace-period) moves the end earlier and stops those again with
   * what is left, as the kubelet's pod worker kills again when the grace period is shortened.
   */
  private killing: { endsAt: number; inStop: Set<string> } | undefined;
  /** Stopped because its node shuts down (`up` stopping): Failed, as the kubelet's graceful node shutdown leaves it. */
  private nodeShutdown = false;
  private terminated = false;
  private readonly terminatedWaiters: (() => void)[] = [];
  private stopped = false;
  /** spec.activeDeadlineSeconds has passed: the pod is Failed with DeadlineExceeded (for good). */
  private deadlineExceeded = false;
  private deadlineTimer: TimerHandle | undefined;
  private readonly backoff: Backoff;
  /**
   * When each container's last BackOff event went out: the kubelet records one per sync of a pod
   * that waits in back-off, and syncs such a pod every 10 s (its pod workers' backOffPeriod), so
   * at most one per container per 10 s here, however often this worker passes.
   */
  private readonly backOffEventAt = new Map<string, number>();
  private readonly uid: string;
  /** Termination messages (FallbackToLogsOnError) of exited containers by id; '' = none. */
  private readonly terminationMessages = new Map<string, string>();
  /** Aborted when termination starts: ends a postStart hook still running. */
  private readonly hookAbort = new AbortController();

  constructor(pod: Pod, private readonly o: PodWorkerOptions) {
    this.pod = pod;
    this.uid = pod.metadata.uid ?? '';
    this.backoff = o.backoff ?? new Backoff();
    this.lastStatus = pod.status;
    this.startTime = pod.status?.startTime;
  }

  get podUID(): string {
    return this.uid;
  }

  /** The last status computed (reported or not). */
  /** The pod as last given. */
  get currentPod(): Pod {
    return this.pod;
  }

  get status(): PodStatus | undefined {
    return this.lastStatus;
  }

  get isTerminated(): boolean {
    return this.terminated;
  }

  /** Sets the desired pod and converges towards it. A deletionTimestamp starts termination. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.terminating) {
      this.terminating = { gracePeriodSeconds: pod.metadata.deletionGracePeriodSeconds };
      this.hookAbort.abort();
    } else if (this.terminating && pod.metadata.deletionGracePeriodSeconds !== undefined) {
      // Deleted again with a shorter grace period: it can only decrease.
      this.shortenGrace(pod.metadata.deletionGracePeriodSeconds);
    }
    this.kick();
  }

  /**
   * Lowers the termination's grace period to `seconds` (never raises it; nothing before the
   * termination began); see `killing`. Callable at any time, also while the termination runs.
   */
  shortenGrace(seconds: number): void {
    const t = this.terminating;
    if (!t) return;
    if (t.gracePeriodSeconds !== undefined && t.gracePeriodSeconds <= seconds) return;
    t.gracePeriodSeconds = seconds;
    const k = this.killing;
    if (!k) return;
    const grace = Math.max(seconds, this.minimumGracePeriodSeconds);
    const endsAt = this.o.clock.now() + grace * 1000;
    if (endsAt >= k.endsAt) return;
    k.endsAt = endsAt;
    for (const id of k.inStop) void this.o.runtime.stopContainer(id, grace).catch(() => undefined);
  }

  /**
   * Stops every container (grace: override, else the pod's) and resolves once all have exited.
   * `nodeShutdown`: the node is going down, and the pod is reported Failed with reason
   * Terminated and a DisruptionTarget condition, as the kubelet's graceful node shutdown does.
   */
  terminate(gracePeriodSeconds?: number, o: { nodeShutdown?: boolean } = {}): Promise<void> {
    if (o.nodeShutdown && !this.terminated) this.nodeShutdown = true;
    if (!this.terminating) {
      this.terminating = { gracePeriodSeconds };
      this.hookAbort.abort();
    } else if (gracePeriodSeconds !== undefined) this.shortenGrace(gracePeriodSeconds);
    const p = new Promise<void>((resolve) => {
      if (this.terminated) resolve();
      else this.terminatedWaiters.push(resolve);
    });
    this.kick();
    return p;
  }

  /** Requests a pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.dirty = true;
      return;
    }
    this.loop = (async () => {
      try {
        do {
          this.dirty = false;
          try {
            await this.syncOnce();
          } catch (err) {
            this.o.onError?.(this.pod, err);
            this.after(1000);
          }
        } while (this.dirty && !this.stopped);
      } finally {
        this.loop = undefined;
      }
    })();
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** Stops timers and probes; containers are left as they are. */
  stop(): void {
    this.stopped = true;
    this.hookAbort.abort();
    this.clearWake();
    if (this.resyncTimer) this.o.clock.clearTimeout(this.resyncTimer);
    if (this.deadlineTimer) this.o.clock.clearTimeout(this.deadlineTimer);
    for (const rec of this.records.values()) this.stopProbes(rec);
  }

  /** The id of the container whose log `logs` reads: the current one, or the previous. */
  containerIdFor(containerName: string, previous = false): string | undefined {
    const rec = this.records.get(containerName);
    return previous ? rec?.previous?.id : rec?.current?.id;
  }

  logDirectory(): string {
    const m = this.pod.metadata;
    return join(this.o.logRoot, `${m.namespace ?? ''}_${m.name ?? ''}_${this.uid}`);
  }

  /** A pass in `ms` at the latest (see `wake`). */
  private after(ms: number): void {
    const at = this.o.clock.now() + Math.max(0, ms);
    if (this.wake && this.wake.at <= at) return;
    this.clearWake();
    const timer = this.o.clock.setTimeout(() => {
      if (this.wake?.timer === timer) this.wake = undefined;
      this.kick();
    }, ms);
    this.wake = { timer, at };
  }

  private clearWake(): void {
    if (this.wake) this.o.clock.clearTimeout(this.wake.timer);
    this.wake = undefined;
  }

  /** The pod's hostname, or why its sandbox cannot have one (podHostname). */
  private hostnameOf(): { hostname: string } | { error: string } {
    return podHostname(this.pod, this.o.hostname ?? osHostname(), this.o.clusterDomain ?? 'cluster.local');
  }

  private hostname(): string {
    const h = this.hostnameOf();
    return 'hostname' in h ? h.hostname : (this.pod.metadata.name ?? '');
  }

  private sandboxConfig(): PodSandboxConfig {
    return {
      uid: this.uid,
      name: this.pod.metadata.name ?? '',
      namespace: this.pod.metadata.namespace ?? '',
      logDirectory: this.logDirectory(),
      hostname: this.hostname(),
      labels: { ...(this.pod.metadata.labels ?? {}) },
    };
  }

  private record(c: Container, isInit: boolean, ephemeral = false): ContainerRecord {
    let rec = this.records.get(c.name);
    if (!rec) {
      rec = { name: c.name, isInit, restartCount: 0, nextAttempt: 0, probes: {}, ...(ephemeral ? { ephemeral: true } : {}) };
      this.records.set(c.name, rec);
    }
    return rec;
  }

  /** The pod's ephemeral containers (as last given). */
  private get ephemeralContainers(): Container[] {
    return this.pod.spec.ephemeralContainers ?? [];
  }

  /** Adopts what the runtime already runs for this pod (agent restart). */
  private async recover(): Promise<void> {
    const found = await this.o.runtime.listContainers({ podUID: this.uid });
    const byName = new Map<string, ContainerInfo[]>();
    for (const info of found) {
      const name = info.labels[labelContainerName] ?? info.name;
      byName.set(name, [...(byName.get(name) ?? []), info]);
    }
    const all = [
      ...(this.pod.spec.initContainers ?? []).map((c) => [c, true, false] as const),
      ...this.pod.spec.containers.map((c) => [c, false, false] as const),
      ...this.ephemeralContainers.map((c) => [c, false, true] as const),
    ];
    for (const [c, isInit, ephemeral] of all) {
      const list = (byName.get(c.name) ?? []).sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
      if (!list.length) continue;
      const rec = this.record(c, isInit, ephemeral);
      rec.current = list[0];
      rec.previous = list[1];
      rec.restartCount = list[0]!.attempt;
      rec.nextAttempt = list[0]!.attempt + 1;
      for (const old of list.slice(2)) if (old.state !== 'running') await this.o.runtime.removeContainer(old.id);
    }
    this.recovered = true;
  }

  /** The last refusal of a sandbox for the pod's RuntimeClass, and when it was reported. */
  private sandboxRefused: { why: string; at: number } | undefined;

  /** Why the pod's RuntimeClass cannot run here (undefined: it can, or it names none). */
  private async runtimeClassRefusal(): Promise<string | undefined> {
    const name = (this.pod.spec as { runtimeClassName?: string | null }).runtimeClassName;
    if (!name || !this.o.runtimeClassHandler) return undefined;
    let handler: string | null;
    try {
      handler = await this.o.runtimeClassHandler(name);
    } catch (err) {
      return `cannot read RuntimeClass "${name}": ${err instanceof Error ? err.message : String(err)}`;
    }
    if (handler === null) return `RuntimeClass "${name}" not found`;
    if (this.o.runtimeHandlers?.includes(handler)) return undefined;
    return `no runtime for "${handler}" is configured (RuntimeClass "${name}")`;
  }

  private async syncOnce(): Promise<void> {
    if (this.terminated) return;
    const pod = this.pod;
    if (!this.sandboxId && !this.terminating) {
      const named = this.hostnameOf();
      const refused = 'error' in named ? named.error : await this.runtimeClassRefusal();
      if (refused !== undefined) {
        // One event per retry period (a resync pass in between says nothing new).
        const now = this.o.clock.now();
        if (this.sandboxRefused?.why !== refused || now - this.sandboxRefused.at >= runtimeClassRetryMs) {
          this.sandboxRefused = { why: refused, at: now };
          this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${refused}`);
        }
        this.startTime ??= rfc3339(this.o.clock.now());
        this.report();
        this.after(runtimeClassRetryMs);
        return;
      }
    }
    // A refused pod being deleted started nothing: it terminates without a sandbox.
    if (!this.sandboxId && !(this.terminating && this.sandboxRefused)) {
      try {
        this.sandboxId = await this.o.runtime.runPodSandbox(this.sandboxConfig());
      } catch (err) {
        // A pod being deleted whose sandbox cannot be recorded (a full disk) started nothing
        // here: it terminates without one instead of failing every pass until there is space.
        if (!this.terminating) throw err;
      }
    }
    if (!this.recovered) await this.recover();
    this.startTime ??= rfc3339(this.o.clock.now());

    await this.refresh();

    if (this.terminating) {
      await this.killPod();
      this.terminated = true;
      await this.reportStatus();
      for (const w of this.terminatedWaiters.splice(0)) w();
      this.stop();
      return;
    }

    if (!this.terminal && !this.activeDeadlinePassed()) {
      if (this.regularContainersCompleted()) {
        // Upstream computePodActions' KillPod: nothing restarts any more, and the sidecars
        // still running go (after the regular containers, which have all exited).
        if (this.anyRunning()) await this.killPod();
      } else {
        // Before the init containers, as the kubelet: a debugger can look into a pod whose
        // initialization is stuck.
        for (const c of this.ephemeralContainers) await this.syncEphemeralContainer(c);
        const initDone = await this.syncInitContainers();
        if (initDone) {
          for (const c of pod.spec.containers) await this.syncContainer(c, this.record(c, false));
        }
      }
    }
    const status = await this.reportStatus();
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      this.terminal = true;
      for (const rec of this.records.values()) this.stopProbes(rec);
      // A terminal pod runs nothing (the kubelet kills the containers of a pod it failed).
      if (this.anyRunning()) {
        await this.killPod();
        await this.reportStatus();
      }
    }
    this.scheduleResync();
  }

  /**
   * Upstream activeDeadlineHandler.ShouldEvict: true once the pod has been active for
   * spec.activeDeadlineSeconds since its startTime (then for good, with its event). Before
   * that, schedules a pass for the moment the deadline passes.
   */
  private activeDeadlinePassed(): boolean {
    if (this.deadlineExceeded) return true;
    if (this.deadlineTimer) this.o.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const seconds = this.pod.spec.activeDeadlineSeconds;
    const start = this.startTime ? Date.parse(this.startTime) : NaN;
    if (typeof seconds !== 'number' || Number.isNaN(start)) return false;
    const left = start + seconds * 1000 - this.o.clock.now();
    if (left <= 0) {
      this.deadlineExceeded = true;
      this.event('Normal', deadlineExceededReason, deadlineExceededMessage);
      return true;
    }
    if (!this.stopped) {
      this.deadlineTimer = this.o.clock.setTimeout(() => {
        this.deadlineTimer = undefined;
        this.kick();
      }, left);
    }
    return false;
  }

  private scheduleResync(): void {
    const period = this.o.resyncPeriodMs ?? 10_000;
    if (period <= 0 || this.stopped) return;
    if (this.resyncTimer) this.o.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = this.o.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.kick();
    }, period);
  }

  private anyRunning(): boolean {
    return [...this.records.values()].some((r) => r.current?.state === 'running');
  }

  /**
   * True when every regular container has been started and has exited, and none will be
   * restarted (restartPolicy Never, or OnFailure after exit 0): the pod is done but for its
   * sidecars. Never under restartPolicy Always.
   */
  private regularContainersCompleted(): boolean {
    return this.pod.spec.containers.every((c) => {
      const rec = this.records.get(c.name);
      const cur = rec?.current;
      return cur?.state === 'exited' && rec?.killedToRestart !== cur.id && !this.shouldRestart(cur);
    });
  }

  /** Reads the termination messages not read yet, then computes (and maybe reports) the status. */
  private async reportStatus(): Promise<PodStatus> {
    await this.readTerminationMessages();
    return this.report();
  }

  /**
   * Reads once, for every exited container (current or previous) whose spec says
   * FallbackToLogsOnError and whose exit code is not 0, its termination message from its log
   * (upstream: a container that could not even be started has no logs to read).
   */
  private async readTerminationMessages(): Promise<void> {
    const live = new Set<string>();
    for (const rec of this.records.values()) {
      const c = this.containerSpec(rec.name);
      for (const info of [rec.current, rec.previous]) {
        if (!info) continue;
        live.add(info.id);
        if (info.state !== 'exited' || this.terminationMessages.has(info.id)) continue;
        const fallback = c?.terminationMessagePolicy === 'FallbackToLogsOnError' && (info.exitCode ?? 0) !== 0 && info.reason !== 'StartError';
        this.terminationMessages.set(info.id, fallback ? await terminationMessageFromLogs(this.o.runtime, info.id) : '');
      }
    }
    for (const id of this.terminationMessages.keys()) if (!live.has(id)) this.terminationMessages.delete(id);
  }

  /** Re-reads every container from the runtime; stops probes of containers no longer running. */
  private async refresh(): Promise<void> {
    for (const rec of this.records.values()) {
      if (rec.current) {
        const info = await this.o.runtime.inspectContainer(rec.current.id);
        rec.current = info ?? {
          ...rec.current,
          state: 'exited',
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: 'The container could not be located',
          finishedAt: rec.current.finishedAt ?? this.o.clock.now(),
        };
      }
      if (rec.current?.state !== 'running' || rec.probedId !== rec.current.id) this.stopProbes(rec);
    }
  }

  /**
   * Brings the init containers forward (see the invariants). Returns true when the pod is
   * initialized: every regular init container exited 0 and every sidecar started, or a
   * regular container has been started before.
   */
  private async syncInitContainers(): Promise<boolean> {
    const restartPolicy = this.pod.spec.restartPolicy ?? 'Always';
    const inits = this.pod.spec.initContainers ?? [];
    const hasStarted = (c: Container): boolean => this.records.get(c.name)?.current !== undefined;
    // initializedBefore[i]: a container after init container i has been started, so i has
    // done its part once (upstream's isPreviouslyInitialized).
    const initializedBefore: boolean[] = [];
    let later = this.pod.spec.containers.some(hasStarted);
    for (let i = inits.length - 1; i >= 0; i--) {
      initializedBefore[i] = later;
      if (hasStarted(inits[i]!)) later = true;
    }
    for (const [i, c] of inits.entries()) {
      const rec = this.record(c, true);
      if (isSidecar(c)) {
        await this.syncContainer(c, rec, true);
        if (!initializedBefore[i] && !this.isStarted(rec)) return false;
        continue;
      }
      if (initializedBefore[i]) continue;
      const cur = rec.current;
      if (cur?.state === 'exited' && cur.exitCode === 0) continue;
      if (!cur) {
        if (rec.waiting?.reason !== 'CrashLoopBackOff' && !this.waitingToRetryCreate(rec)) await this.startContainer(c, rec);
      } else if (cur.state === 'exited') {
        if (restartPolicy !== 'Never') await this.restartWithBackoff(c, rec);
      }
      return false;
    }
    return true;
  }

  /**
   * An ephemeral container is started once (upstream computePodActions: one the runtime has never
   * seen is started; one that ran is left as it is, whatever its exit). A creation that failed
   * is tried again after its back-off, as for other containers; so is one that failed in a way
   * the runtime did not foresee, which must not hold back the pod's own containers (a debugger
   * is added by whoever may patch pods/ephemeralcontainers).
   */
  private async syncEphemeralContainer(c: Container): Promise<void> {
    const rec = this.record(c, false, true);
    if (rec.current || this.waitingToRetryCreate(rec)) return;
    try {
      await this.startContainer(c, rec);
    } catch (err) {
      const now = this.o.clock.now();
      const delay = this.backoff.next(`${this.uid}/${c.name}`, now);
      rec.waiting = { reason: 'CreateContainerError', message: errorMessage(err) };
      rec.retryCreateAt = now + delay;
      this.event('Warning', 'Failed', `Error: ${rec.waiting.message ?? ''}`, c.name);
      this.after(delay);
    }
  }

  /** Running, and its startup probe (if any) succeeded: the container's `started`. */
  private isStarted(rec: ContainerRecord | undefined): boolean {
    return rec?.current?.state === 'running' && !rec.hookRunning && (!rec.probes.startup || rec.probes.startup.result === 'success');
  }

  /** Whether a container (of the pod as last given) that exited as `info` is to be started again. */
  private willRestart(c: Container, info: ContainerInfo): boolean {
    if (this.records.get(c.name)?.ephemeral) return false;
    if (isSidecar(c)) return true;
    if (this.isInitContainer(c.name)) return (this.pod.spec.restartPolicy ?? 'Always') !== 'Never' && (info.exitCode ?? 0) !== 0;
    return this.records.get(c.name)?.killedToRestart === info.id || this.shouldRestart(info);
  }

  private isInitContainer(name: string): boolean {
    return (this.pod.spec.initContainers ?? []).some((c) => c.name === name);
  }

  private shouldRestart(info: ContainerInfo): boolean {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return true;
    if (policy === 'OnFailure') return (info.exitCode ?? 0) !== 0;
    return false;
  }

  private get minimumGracePeriodSeconds(): number {
    return this.o.minimumGracePeriodSeconds ?? 2;
  }

  private gracePeriodSeconds(probeOverride?: number): number {
    const spec = this.pod.spec.terminationGracePeriodSeconds ?? defaultTerminationGracePeriodSeconds;
    const g = probeOverride ?? spec;
    return Math.max(g, this.minimumGracePeriodSeconds);
  }

  /** Reports an event of the pod (of its container `container` when given). */
  private event(type: PodWorkerEvent['type'], reason: string, message: string, container?: string, detail?: string): void {
    const ev: PodWorkerEvent = { type, reason, message };
    if (container !== undefined) ev.container = container;
    if (detail !== undefined) ev.detail = detail;
    this.o.onEvent?.(this.pod, ev);
  }

  /** The spec of a container (init, regular or ephemeral) of the pod as last given. */
  private containerSpec(name: string): Container | undefined {
    return [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers, ...this.ephemeralContainers].find((c) => c.name === name);
  }

  /**
   * Stops one container as the kubelet's killContainer does. `graceSeconds` is the whole budget
   * (already at least the minimum). When the spec has a preStop handler and the budget is
   * positive, the hook runs first, for at most the budget, and its elapsed time in whole seconds
   * (truncated, as upstream) is taken off the budget. With `turn` (termination ordering) the
   * container then waits for it, for at most what is left, and that wait (truncated to whole
   * seconds) is taken off too. Then stopContainer sends SIGTERM and SIGKILLs after what is left,
   * but at least the minimum grace period (upstream: 2 s). A Killing event (`message`, default
   * "Stopping container NAME") comes first; a failed or cut-off hook is reported through
   * `onEvent` and never prevents the stop. Unlike upstream, the hook's time counts against a
   * grace-period override too. Resolves when the container has exited.
   */
  private async killContainer(name: string, c: Container | undefined, id: string, graceSeconds: number, message?: string, turn?: Promise<unknown>): Promise<void> {
    this.event('Normal', 'Killing', message ?? `Stopping container ${name}`, name);
    let grace = graceSeconds;
    const handler = c ? preStopHandler(c) : undefined;
    if (c && handler && grace > 0) {
      const r = await runPreStopHook(handler, { containerId: id, host: this.o.nodeIP, ports: c.ports }, this.o.runtime, this.o.clock, grace * 1000);
      if (r.error !== undefined) {
        // The hook's output stays out of the Event (it may hold secrets), as upstream.
        this.event('Warning', 'FailedPreStopHook', 'PreStopHook failed', c.name, `container ${c.name}: ${r.error}`);
      }
      grace -= Math.floor(r.elapsedMs / 1000);
    }
    if (turn && grace > 0) {
      const start = this.o.clock.now();
      let timer: TimerHandle | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = this.o.clock.setTimeout(() => resolve('expired'), grace * 1000);
      });
      const outcome = await Promise.race([turn.then(() => 'turn' as const), expired]);
      if (timer !== undefined) this.o.clock.clearTimeout(timer);
      grace = outcome === 'expired' ? 0 : Math.min(grace, Math.trunc(grace - (this.o.clock.now() - start) / 1000));
    }
    // A pod's termination whose grace period was shortened meanwhile: no more than what is left of it.
    const k = this.killing;
    if (k) grace = Math.min(grace, Math.max(0, Math.ceil((k.endsAt - this.o.clock.now()) / 1000)));
    k?.inStop.add(id);
    try {
      await this.o.runtime.stopContainer(id, Math.max(grace, this.minimumGracePeriodSeconds));
    } finally {
      k?.inStop.delete(id);
    }
  }

  /**
   * Converges one container that is to run: a regular container, or a sidecar (`sidecar`:
   * restarted whenever it exits, and upstream's "Init container ..." Killing messages).
   */
  private async syncContainer(c: Container, rec: ContainerRecord, sidecar = false): Promise<void> {
    if (!rec.current) {
      if (rec.waiting?.reason === 'CrashLoopBackOff' || this.waitingToRetryCreate(rec)) return;
      await this.startContainer(c, rec);
      return;
    }
    if (rec.current.state === 'running') {
      const liveness = rec.probes.liveness?.result === 'failure';
      const startup = rec.probes.startup?.result === 'failure';
      const changed = rec.current.labels[labelContainerHash] !== undefined && rec.current.labels[labelContainerHash] !== containerHash(c);
      if (!liveness && !startup && !changed) {
        this.ensureProbes(c, rec);
        return;
      }
      const probe = liveness ? c.livenessProbe : startup ? c.startupProbe : undefined;
      // Upstream's Killing messages (computePodActions, computeInitContainerActions): a changed
      // spec first, then the probes.
      const kind = sidecar ? 'Init container' : 'Container';
      const why = changed ? `${kind} ${c.name} definition changed` : liveness ? `${kind} ${c.name} failed liveness probe` : `${kind} ${c.name} failed startup probe`;
      const restarts = changed || (this.pod.spec.restartPolicy ?? 'Always') !== 'Never';
      this.stopProbes(rec);
      if (restarts && !changed) rec.killedToRestart = rec.current.id;
      await this.killContainer(c.name, c, rec.current.id, this.gracePeriodSeconds(probe?.terminationGracePeriodSeconds), sidecar || !restarts ? why : `${why}, will be restarted`);
      rec.current = (await this.o.runtime.inspectContainer(rec.current.id)) ?? rec.current;
      if (rec.current.state === 'running') return;
      if (changed || sidecar) {
        await this.restartWithBackoff(c, rec);
        return;
      }
    }
    if (rec.current.state === 'exited' && (sidecar || rec.killedToRestart === rec.current.id || this.shouldRestart(rec.current))) await this.restartWithBackoff(c, rec);
  }

  /**
   * True while a container that could not be created waits out its back-off (a pass then tries
   * nothing; the pass at its end, or after it, does). Schedules that pass.
   */
  private waitingToRetryCreate(rec: ContainerRecord): boolean {
    if (rec.waiting?.reason !== 'CreateContainerError' || rec.retryCreateAt === undefined) return false;
    const left = rec.retryCreateAt - this.o.clock.now();
    if (left <= 0) return false;
    // Set again on every such pass: a timer may fire a moment before the clock reaches its time.
    this.after(left);
    return true;
  }

  private async restartWithBackoff(c: Container, rec: ContainerRecord): Promise<void> {
    const key = `${this.uid}/${c.name}`;
    const now = this.o.clock.now();
    const finishedAt = rec.current?.finishedAt ?? now;
    if (this.backoff.isInBackOffSince(key, finishedAt, now)) {
      const delay = this.backoff.get(key, finishedAt);
      const last = this.backOffEventAt.get(c.name);
      if (last === undefined || now - last >= backOffEventPeriodMs) {
        this.backOffEventAt.set(c.name, now);
        this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podKey(this.pod)}`, c.name);
      }
      rec.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDuration(delay)} restarting failed container=${c.name} pod=${podKey(this.pod)}`,
      };
      this.after(this.backoff.remaining(key, finishedAt, now));
      return;
    }
    this.backoff.next(key, finishedAt, now);
    await this.startContainer(c, rec);
  }

  private async startContainer(c: Container, rec: ContainerRecord): Promise<void> {
    // The image is only recorded, never pulled: as upstream's IfNotPresent with the image there.
    if (c.image) this.event('Normal', 'Pulled', `Container image ${JSON.stringify(c.image)} already present on machine`, c.name);
    const ctx: PodEnvContext = { nodeName: this.o.nodeName, hostIP: this.o.nodeIP, podIP: this.o.nodeIP };
    if (this.o.allocatable) ctx.allocatable = this.o.allocatable;
    /** A failed read from the API: CreateContainerConfigError, retried with back-off. */
    const configFailed = (err: unknown): void => {
      rec.waiting = { reason: 'CreateContainerConfigError', message: err instanceof Error ? err.message : String(err) };
      this.event('Warning', 'Failed', `Error: ${rec.waiting.message ?? ''}`, c.name);
      this.after(this.backoff.next(`${this.uid}/${c.name}`, this.o.clock.now()));
    };
    const names = envSourceNames(c);
    if (this.o.envSources && (names.configMaps.length > 0 || names.secrets.length > 0)) {
      try {
        ctx.sources = await this.o.envSources(this.pod, names);
      } catch (err) {
        configFailed(err);
        return;
      }
    }
    try {
      if (this.o.podEnvironment) ctx.podEnvironment = await this.o.podEnvironment(this.pod);
      if (this.o.services) ctx.services = await this.o.services(this.pod);
    } catch (err) {
      configFailed(err);
      return;
    }
    let env;
    try {
      env = makeEnvironment(this.pod, c, ctx);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      // Tried again at the next sync pass (a missing ConfigMap or key may appear by then).
      rec.waiting = { reason: 'CreateContainerConfigError', message: err.message };
      this.event('Warning', 'Failed', `Error: ${err.message}`, c.name);
      return;
    }
    let user;
    try {
      user = containerIdentity(this.pod, c, this.o.accounts ?? readAgentAccounts());
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      rec.waiting = { reason: 'CreateContainerConfigError', message: err.message };
      this.event('Warning', 'Failed', `Error: ${err.message}`, c.name);
      return;
    }
    const security = containerSecurity(c);
    const { command, args } = expandCommandAndArgs(c, env);
    const attempt = rec.nextAttempt;
    const labels: Record<string, string> = {
      [labelPodUID]: this.uid,
      [labelPodName]: this.pod.metadata.name ?? '',
      [labelPodNamespace]: this.pod.metadata.namespace ?? '',
      [labelContainerName]: c.name,
      [labelContainerHash]: containerHash(c),
    };
    let info: ContainerInfo;
    try {
      info = await this.o.runtime.startContainer(this.sandboxId!, this.sandboxConfig(), {
        name: c.name,
        attempt,
        image: c.image ?? '',
        command,
        args,
        env,
        workingDir: c.workingDir,
        ...(user ? { user } : {}),
        ...(security ? { security } : {}),
        logPath: join(c.name, `${attempt}.log`),
        labels,
        ...(c.stdin ? { stdin: true, ...(c.stdinOnce ? { stdinOnce: true } : {}) } : {}),
        ...(c.tty ? { tty: true } : {}),
        ...containerLimits(c),
      });
    } catch (err) {
      if (!isRuntimeError(err)) throw err;
      // Permanent or not, the container waits and is tried again after its back-off (see the
      // invariants): upstream's CreateContainerError never fails the pod.
      const now = this.o.clock.now();
      const delay = this.backoff.next(`${this.uid}/${c.name}`, now);
      rec.waiting = { reason: 'CreateContainerError', message: err.message };
      rec.retryCreateAt = now + delay;
      this.event('Warning', 'Failed', `Error: ${err.message}`, c.name);
      this.after(delay);
      return;
    }
    // Keep one dead container per name: the one being replaced becomes `previous`.
    if (rec.previous && rec.previous.id !== info.id) await this.o.runtime.removeContainer(rec.previous.id).catch(() => undefined);
    if (rec.current) rec.previous = rec.current;
    rec.current = info;
    rec.restartCount = attempt;
    rec.nextAttempt = attempt + 1;
    rec.waiting = undefined;
    rec.retryCreateAt = undefined;
    this.event('Normal', 'Created', `Created container: ${c.name}`, c.name);
    // A command that could not be run is a container that failed to start (CRI StartContainer).
    if (info.state === 'exited' && info.reason === 'StartError') {
      const message = info.message ?? 'failed to start';
      this.event('Warning', 'Failed', `Error: ${message}`, c.name);
      if (this.willRestart(c, info)) rec.waiting = { reason: 'RunContainerError', message };
      return;
    }
    this.event('Normal', 'Started', `Started container ${c.name}`, c.name);
    const hook = postStartHandler(c);
    if (hook && info.state === 'running' && !(await this.runPostStart(c, rec, info, hook))) return;
    if (rec.current?.state === 'running') this.ensureProbes(c, rec);
  }

  /**
   * Runs the container's postStart hook (see the invariants); returns true when it succeeded.
   * On a failure the container has been stopped when this returns.
   */
  private async runPostStart(c: Container, rec: ContainerRecord, info: ContainerInfo, hook: NonNullable<ReturnType<typeof postStartHandler>>): Promise<boolean> {
    const target = { containerId: info.id, host: this.o.nodeIP, ports: c.ports };
    // The pod's status is reported before the hook runs (upstream writes it at the start of each
    // pass, before starting containers): a hook that takes long leaves a pod showing what it is
    // waiting for, not no status at all.
    rec.hookRunning = true;
    let failure: string | undefined;
    try {
      this.report();
      failure = await runPostStartHook(hook, target, this.o.runtime, this.o.clock, this.hookAbort.signal, { container: c.name, pod: podKey(this.pod) });
    } finally {
      rec.hookRunning = false;
    }
    if (failure === undefined) return true;
    // Cut short by the pod's termination: killPod stops the container, with the termination's
    // grace period, in the pass that follows. Cut short by the worker's stop (the agent stops
    // or restarts): the container runs on, untouched, for the next agent to adopt.
    if (this.terminating || this.stopped) return false;
    // As upstream: the Event does not carry the hook's output (it may hold secrets).
    this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed', c.name, failure);
    const cur = (await this.o.runtime.inspectContainer(info.id)) ?? info;
    if (cur.state === 'running') await this.killContainer(c.name, c, info.id, this.gracePeriodSeconds(), 'FailedPostStartHook');
    rec.current = (await this.o.runtime.inspectContainer(info.id)) ?? cur;
    if (rec.current.state === 'exited' && this.willRestart(c, rec.current)) rec.waiting = { reason: 'PostStartHookError', message: failure };
    return false;
  }

  private ensureProbes(c: Container, rec: ContainerRecord): void {
    const info = rec.current;
    if (!info || info.state !== 'running' || rec.probedId === info.id) return;
    this.stopProbes(rec);
    rec.probedId = info.id;
    const startedAt = info.startedAt ?? this.o.clock.now();
    const target = { containerId: info.id, host: this.o.nodeIP, ports: c.ports };
    const startupOk = (): boolean => !rec.probes.startup || rec.probes.startup.result === 'success';
    const make = (type: ProbeType, probe: NonNullable<Container['livenessProbe']>): ProbeWorker =>
      new ProbeWorker({
        type,
        probe,
        clock: this.o.clock,
        startedAt,
        run: () => runProbe(probe.exec ? { ...probe, exec: { command: expandProbeCommand(probe.exec.command ?? [], c) } } : probe, target, this.o.runtime, this.o.clock),
        gate: type === 'startup' ? undefined : startupOk,
        onResult: (_type, result) => {
          // Started: readiness is probed at once, as upstream's prober manager triggers it.
          if (type === 'startup' && result === 'success') rec.probes.readiness?.trigger();
          // While the pod stops, the pass that stops it holds the worker: a readiness change is
          // reported now, not once every container has exited.
          if (this.terminating && !this.terminated) this.report();
          this.kick();
        },
        onFailure: (output) => this.event('Warning', 'Unhealthy', `${probeTypeNames[type]} probe failed: ${output}`, c.name),
        onWarning: (output) => this.event('Warning', 'ProbeWarning', `${probeTypeNames[type]} probe warning: ${output}`, c.name),
      });
    if (c.startupProbe) rec.probes.startup = make('startup', c.startupProbe);
    if (c.livenessProbe) rec.probes.liveness = make('liveness', c.livenessProbe);
    if (c.readinessProbe) rec.probes.readiness = make('readiness', c.readinessProbe);
    for (const w of Object.values(rec.probes)) w.start();
  }

  private stopProbes(rec: ContainerRecord): void {
    for (const w of Object.values(rec.probes)) w.stop();
    rec.probes = {};
    rec.probedId = undefined;
  }

  /**
   * Stops every running container with the pod's grace period (the termination's override
   * first): regular containers at once, each sidecar once the regular containers and the
   * sidecars after it have exited (upstream terminationOrdering; see killContainer).
   */
  private async killPod(): Promise<void> {
    const override = this.terminating?.gracePeriodSeconds;
    const spec = this.pod.spec.terminationGracePeriodSeconds ?? defaultTerminationGracePeriodSeconds;
    const grace = Math.max(override ?? spec, this.minimumGracePeriodSeconds);
    this.clearWake();
    const killing = { endsAt: this.o.clock.now() + grace * 1000, inStop: new Set<string>() };
    this.killing = killing;
    const running = [...this.records.values()].filter((r) => r.current?.state === 'running');
    for (const rec of this.records.values()) {
      // Upstream StopLivenessAndStartup: readiness keeps probing while the containers stop, so a
      // container that stops serving turns the pod unready before it has exited; refresh()
      // ends it once the container is gone.
      rec.probes.liveness?.stop();
      rec.probes.startup?.stop();
      rec.waiting = undefined;
    }
    // exited.get(name) settles once that container has been stopped; absent: not running.
    const exited = new Map<string, { done: Promise<void>; resolve: () => void }>();
    for (const r of running) {
      let resolve!: () => void;
      const done = new Promise<void>((res) => (resolve = res));
      exited.set(r.name, { done, resolve });
    }
    const regular = this.pod.spec.containers.map((c) => exited.get(c.name)?.done).filter((p) => p !== undefined);
    const turns = new Map<string, Promise<unknown>>();
    let laterSidecar: string | undefined;
    for (const c of [...(this.pod.spec.initContainers ?? [])].reverse()) {
      if (!isSidecar(c)) continue;
      const waitFor = [...regular];
      const later = laterSidecar !== undefined ? exited.get(laterSidecar)?.done : undefined;
      if (later) waitFor.push(later);
      turns.set(c.name, Promise.all(waitFor));
      laterSidecar = c.name;
    }
    await Promise.all(
      running.map((r) =>
        this.killContainer(r.name, this.containerSpec(r.name), r.current!.id, grace, undefined, turns.get(r.name)).finally(() => exited.get(r.name)!.resolve()),
      ),
    ).finally(() => {
      if (this.killing === killing) this.killing = undefined;
    });
    await this.refresh();
  }

  private containerStatus(c: Container, isInit: boolean, hasInitContainers: boolean, ephemeral = false): ContainerStatus {
    const rec = this.records.get(c.name);
    // While its postStart hook runs, a container is shown as not created yet (see hookRunning).
    const cur = rec?.hookRunning ? undefined : rec?.current;
    const running = cur?.state === 'running';
    const started = this.isStarted(rec);
    let ready: boolean;
    if (isInit && !isSidecar(c)) ready = cur?.state === 'exited' && cur.exitCode === 0;
    else ready = started && (!rec!.probes.readiness || rec!.probes.readiness.result === 'success');
    // An ephemeral container is never ready and has no `started` (the kubelet's prober knows
    // only init and regular containers).
    const s: ContainerStatus = {
      name: c.name,
      state: {},
      lastState: {},
      ready: ephemeral ? false : ready,
      restartCount: rec?.restartCount ?? 0,
      image: c.image ?? '',
      imageID: cur?.imageRef ?? '',
      ...(ephemeral ? {} : { started }),
    };
    if (cur) s.containerID = `${this.o.runtime.type}://${cur.id}`;
    const type = this.o.runtime.type;
    if (rec?.waiting) {
      s.state = { waiting: { ...rec.waiting } };
      if (cur?.state === 'exited') s.lastState = terminatedState(cur, type, this.terminationMessages.get(cur.id));
      else if (rec.previous) s.lastState = terminatedState(rec.previous, type, this.terminationMessages.get(rec.previous.id));
    } else if (!cur) {
      // Upstream's default waiting state: PodInitializing in a pod with init containers.
      s.state = { waiting: { reason: isInit || hasInitContainers ? 'PodInitializing' : 'ContainerCreating' } };
      if (rec?.previous) s.lastState = terminatedState(rec.previous, type, this.terminationMessages.get(rec.previous.id));
    } else {
      s.state = running ? { running: { startedAt: rfc3339(cur.startedAt ?? this.o.clock.now()) } } : terminatedState(cur, type, this.terminationMessages.get(cur.id));
      if (rec?.previous) s.lastState = terminatedState(rec.previous, type, this.terminationMessages.get(rec.previous.id));
    }
    return s;
  }

  /** Computes the status; reports it when it changed. */
  private report(): PodStatus {
    const spec = this.pod.spec;
    const inits = spec.initContainers ?? [];
    const initStatuses = inits.map((c) => this.containerStatus(c, true, true));
    // Sorted by name, as the kubelet's convertToAPIContainerStatuses; init containers keep the spec's order.
    const containerStatuses = spec.containers.map((c) => this.containerStatus(c, false, inits.length > 0)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const isTerminal = this.terminated || this.terminating !== undefined;
    const phase = this.deadlineExceeded || this.nodeShutdown ? 'Failed' : getPodPhase(spec, initStatuses, containerStatuses, isTerminal);
    const status: PodStatus = {
      phase,
      ...(this.deadlineExceeded ? { reason: deadlineExceededReason, message: deadlineExceededMessage } : this.nodeShutdown ? { reason: nodeShutdownReason, message: nodeShutdownMessage } : {}),
      conditions: [],
      hostIP: this.o.nodeIP,
      hostIPs: [{ ip: this.o.nodeIP }],
      podIP: this.o.nodeIP,
      podIPs: [{ ip: this.o.nodeIP }],
      startTime: this.startTime,
      containerStatuses,
      qosClass: podQOSClass(spec),
    };
    if (inits.length) status.initContainerStatuses = initStatuses;
    const ephemeral = this.ephemeralContainers;
    if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral.map((c) => this.containerStatus(c, false, inits.length > 0, true)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // The sandbox is "ready" from the first pass until the pod stops for good (the kubelet kills
    // the sandbox of a terminated or terminal pod).
    const sandboxReady = this.sandboxId !== undefined && !this.terminated && phase !== 'Succeeded' && phase !== 'Failed';
    status.conditions = generatePodConditions(spec, status, this.lastStatus?.conditions, rfc3339(this.o.clock.now()), sandboxReady);
    if (this.nodeShutdown && !status.conditions.some((c) => c.type === 'DisruptionTarget')) {
      const had = this.lastStatus?.conditions?.find((c) => c.type === 'DisruptionTarget');
      status.conditions.push(had ?? { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: nodeShutdownMessage, lastProbeTime: null, lastTransitionTime: rfc3339(this.o.clock.now()) });
    }
    if (!podStatusEqual(status, this.lastStatus)) {
      this.lastStatus = status;
      this.o.onStatus(this.pod, status);
    }
    return status;
  }
}

export interface PodLogOptions extends LogOptions {
  container?: string;
  previous?: boolean;
  follow?: boolean;
  signal?: AbortSignal;
  /** With `follow`: see FollowOptions.onFollowing. */
  onFollowing?: () => void;
}

/**
 * The node's pod workers, keyed by pod UID. `syncPod` is level-triggered: call it with every
 * desired pod version (API watch event, static pod file). Runtime events wake the worker of the
 * pod they belong to.
 */
export class PodWorkers {
  private readonly workers = new Map<string, PodWorker>();
  private readonly unwatch: () => void;
  private readonly backoff: Backoff;

  constructor(private readonly o: PodWorkerOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.unwatch = o.runtime.watch((ev) => {
      const uid = ev.labels[labelPodUID];
      if (uid) this.workers.get(uid)?.kick();
    });
  }

  syncPod(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (!uid) throw new Error('pod has no metadata.uid');
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(pod, { ...this.o, backoff: this.backoff });
      this.workers.set(uid, w);
    }
    w.update(pod);
  }

  get(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  podUIDs(): string[] {
    return [...this.workers.keys()];
  }

  /** Stops the pod's containers (grace: override, else the pod's). Unknown UID: nothing to do. */
  async terminatePod(uid: string, gracePeriodSeconds?: number): Promise<void> {
    const w = this.workers.get(uid);
    if (!w) return;
    await w.terminate(gracePeriodSeconds);
  }

  /**
   * Terminates the pod if needed (grace: `gracePeriodSeconds`, else the pod's), then removes its
   * containers, sandbox and logs and forgets it.
   */
  async removePod(uid: string, gracePeriodSeconds?: number): Promise<void> {
    const w = this.workers.get(uid);
    if (w) {
      await w.terminate(gracePeriodSeconds);
      w.stop();
      this.workers.delete(uid);
      await this.o.runtime.removePodSandbox(uid);
      await rm(w.logDirectory(), { recursive: true, force: true });
    } else {
      await this.removeUnmanagedSandbox(uid);
    }
    this.backoff.resetPrefix(`${uid}/`);
  }

  /**
   * Stops the running containers a pod without a worker left in the runtime (adopted after an
   * agent restart), with `gracePeriodSeconds` (at least the minimum), and removes its sandbox.
   * For a pod whose deletion started while the agent was down: its daemons get their grace
   * period before the pod leaves the API.
   */
  async stopUnmanagedPod(uid: string, gracePeriodSeconds: number): Promise<void> {
    if (this.workers.has(uid)) return;
    const grace = Math.max(gracePeriodSeconds, this.o.minimumGracePeriodSeconds ?? 2);
    const running = (await this.o.runtime.listContainers({ podUID: uid })).filter((i) => i.state === 'running');
    await Promise.all(running.map((i) => this.o.runtime.stopContainer(i.id, grace)));
    await this.removeUnmanagedSandbox(uid);
  }

  /**
   * Removes the sandbox of a pod known only to the runtime (from before an agent restart) and
   * its log directory, found by the uid that ends its name (namespace and name have no '_').
   */
  private async removeUnmanagedSandbox(uid: string): Promise<void> {
    await this.o.runtime.removePodSandbox(uid);
    const dirs = await readdir(this.o.logRoot).catch(() => [] as string[]);
    for (const d of dirs) if (d.endsWith(`_${uid}`)) await rm(join(this.o.logRoot, d), { recursive: true, force: true });
  }

  /**
   * Stops and removes containers of pods that have no worker (deleted while the agent was
   * down), except the pods in `skip` (being stopped with their grace period elsewhere) and in
   * `retain` (finished pods the API still has: their exited containers and logs stay, for
   * containerIdOf, until the pod is deleted: removePod). Call after the first `syncPod` of every
   * desired pod. Returns the UIDs removed.
   */
  async removeOrphanedPods(skip: ReadonlySet<string> = new Set(), retain: ReadonlySet<string> = new Set()): Promise<string[]> {
    const orphans = new Set<string>();
    for (const info of await this.o.runtime.listContainers()) {
      const uid = info.labels[labelPodUID];
      if (!uid || this.workers.has(uid) || skip.has(uid)) continue;
      // A finished pod the API still has keeps its exited containers and their logs (kubectl
      // logs goes on answering, as after a kubelet restart); one still running is stopped.
      if (retain.has(uid)) {
        if (info.state === 'running') await this.o.runtime.stopContainer(info.id, this.o.minimumGracePeriodSeconds ?? 2);
        continue;
      }
      orphans.add(uid);
    }
    for (const uid of orphans) {
      await Promise.all(
        (await this.o.runtime.listContainers({ podUID: uid }))
          .filter((i) => i.state === 'running')
          .map((i) => this.o.runtime.stopContainer(i.id, this.o.minimumGracePeriodSeconds ?? 2)),
      );
      await this.removeUnmanagedSandbox(uid);
    }
    // Log directories of pods neither a worker nor the runtime knows (left by an earlier agent
    // that removed the containers but not the directory) go too.
    const known = new Set([...this.workers.keys(), ...skip, ...retain]);
    for (const info of await this.o.runtime.listContainers()) known.add(info.labels[labelPodUID] ?? '');
    for (const d of await readdir(this.o.logRoot).catch(() => [] as string[])) {
      const uid = d.slice(d.lastIndexOf('_') + 1);
      if (d.includes('_') && !known.has(uid)) await rm(join(this.o.logRoot, d), { recursive: true, force: true });
    }
    return [...orphans];
  }

  /**
   * The id of the container `name` of pod `uid` whose log `kubectl logs` reads: its worker's
   * current (or, with `previous`, previous) one; for a pod without a worker (a finished pod
   * kept across an agent restart: removeOrphanedPods' `retain`), the runtime's containers of that
   * name, newest attempt first.
   */
  async containerIdOf(uid: string, name: string, previous = false): Promise<string | undefined> {
    const w = this.workers.get(uid);
    if (w) return w.containerIdFor(name, previous);
    const list = (await this.o.runtime.listContainers({ podUID: uid }))
      .filter((i) => i.labels[labelContainerName] === name)
      .sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
    return list[previous ? 1 : 0]?.id;
  }

  /** A container's log as `kubectl logs` returns it, its bytes (follow streams into `onData`). */
  async logs(uid: string, options: PodLogOptions, onData?: (chunk: Buffer) => void): Promise<Buffer> {
    const w = this.workers.get(uid);
    if (!w) throw new Error(`pod "${uid}" is not running on this node`);
    const name = options.container;
    if (!name) throw new Error('a container name must be specified');
    const id = w.containerIdFor(name, options.previous);
    if (!id) {
      throw new Error(
        options.previous
          ? `previous terminated container "${name}" in pod not found`
          : `container "${name}" in pod is waiting to start`,
      );
    }
    if (options.follow && onData) {
      await this.o.runtime.followLogs(id, options, onData);
      return Buffer.alloc(0);
    }
    return this.o.runtime.readLogs(id, options);
  }

  /** Resolves when no worker has a pass running. */
  async idle(): Promise<void> {
    for (const w of [...this.workers.values()]) await w.idle();
  }

  /**
   * Stops all workers. With `stopPods` (default) every pod is terminated first (its grace period,
   * or `gracePeriodSeconds`); without it containers keep running for the next agent to adopt.
   * The workers are forgotten: a second call does nothing.
   */
  async shutdown(options: { stopPods?: boolean; gracePeriodSeconds?: number } = {}): Promise<void> {
    const all = [...this.workers.values()];
    // The node goes down with its pods: they are left as the kubelet's graceful node shutdown leaves them.
    if (options.stopPods ?? true) await Promise.all(all.map((w) => w.terminate(options.gracePeriodSeconds, { nodeShutdown: true })));
    for (const w of all) w.stop();
    this.workers.clear();
    this.unwatch();
  }
}
