// The node agent (everynode's kubelet): registers its Node, renews its Lease, reports node
// status, runs the pods bound to it (and static pods) through PodWorkers, writes their status,
// and serves their logs, exec, port-forward, its pod list and usage metrics (log-server.ts).
//
// Assumptions:
// - The API is reached only through an ApiClient (HTTP), so the agent can run against any
//   Kubernetes-compatible server.
// - Pods are watched with `spec.nodeName=<node>`; the informer cache is the desired state.
//
// Invariants:
// - Per pod UID, reconcile passes never overlap (a trigger during a pass causes one more pass).
// - A pod is admitted once, before its first start (admission.ts); a rejected pod gets a Warning
//   event with the rejection's reason, is set Failed and never run. Pods the agent had already
//   started (status.startTime set) are not re-admitted after an agent restart.
// - Graceful deletion: a pod with deletionTimestamp is stopped with its deletionGracePeriodSeconds,
//   its final status is written, then it is deleted with gracePeriodSeconds 0 and a UID
//   precondition (the kubelet's status manager). A pod gone from the API is stopped and its
//   containers, sandbox and logs removed.
// - Pod status is written through `pods/<name>/status` only when it differs from the status the
//   API holds; writes of one pod are serialized and coalesced (the latest status wins).
// - Node status: computed every `nodeStatusUpdateFrequencyMs`; written when it differs from the
//   stored one (heartbeat times aside) or `nodeStatusReportFrequencyMs` passed since the last write.
//   The Lease is renewed every `leaseRenewIntervalMs` (default: a quarter of its duration, 10 s).
// - Stopping the agent leaves its pods running by default; the next agent on the same data dir
//   adopts them (ProcessRuntime recovery) and stops those whose pods were deleted meanwhile.
// - Events (events.ts) are recorded as the kubelet's, fire and forget: the pod workers' (about
//   pods and their containers), a pod's rejection at admission, and about the Node: Starting at
//   start, a condition event when a status write changes a condition's status
//   (NodeHasSufficientMemory, NodeHasNoDiskPressure, NodeHasSufficientPID, NodeReady, ...),
//   NodeNotSchedulable/NodeSchedulable when a status pass sees spec.unschedulable differ from the
//   last pass (initially schedulable). No pod or node work ever waits for an event write; stop()
//   waits for the queued ones at most 2 s.
// - stop() ends promptly in every start-up phase: the wait between node registration attempts
//   ends at once, and a registration request in flight is waited for at most 2 s (a server that
//   accepts and never answers must not keep a stopping agent alive). A registration attempt
//   answered after that may finish its own writes, but nothing is started after stop().

import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigMap, KubeObject, Lease, Node, Pod, PodStatus, Secret } from '../api/types.js';
import { podContainerNames } from '../api/pod-containers.js';
import {
  type ApiClient,
  configMapsResource,
  Informer,
  clientFromKubeconfig,
  isAlreadyExists,
  isConflict,
  isNotFound,
  isTombstone,
  leasesResource,
  nodesResource,
  podsResource,
  runtimeClassesResource,
  secretsResource,
  servicesResource,
} from '../client/index.js';
import { createLogger, type Logger } from '../util/logger.js';
import { lockDataDir } from './data-dir-lock.js';
import { admitPod, nodeDependent } from './admission.js';
import { ensureCSINode } from './csi-node.js';
import { Backoff } from './backoff.js';
import { containerReference, KubeletEventRecorder, nodeConditionEventReasons, nodeReference, nodeStatusEventMessage, podReference } from './events.js';
import { errorMessage, realClock, rfc3339, rfc3339Micro, type Clock, type TimerHandle } from '../util/index.js';
import { LogRequestError, startAgentHttpServer, type AgentHttpServer, type AgentMetricsEndpoint, type AgentTerminalAttach, type AgentTlsOptions, type ContainerLogSource } from './log-server.js';
import { agentMetricsText, cadvisorMetricsText, processMetrics, resourceMetricsText, type UsageReport } from './metrics.js';
import { desiredNodeStatus, diskPressure, initialNode, machineInfo, managedLabels, nodeStatusEqualIgnoringHeartbeat, type NodeConfig } from './node-status.js';
import { PodWorkers, labelContainerName, labelPodName, labelPodNamespace, labelPodUID, type PodLogOptions } from './pod-worker.js';
import { UsageSampler, type AgentStats } from './stats.js';
import { ServiceAccountProvider } from './service-account.js';
import type { LogRotation } from './runtime/container-log.js';
import { isRuntimeError, type ContainerInfo, type ContainerRuntime, type ExecIO } from './runtime/interface.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import { detectCgroups, type Cgroups } from './runtime/cgroups.js';
import { annotationConfigMirror, annotationConfigSource, isMirrorPod, mirrorPodFor, StaticPodSource, type StaticPod } from './static-pods.js';
import type { EnvService, EnvSources } from './container-env.js';
import { ServiceProxy } from './service-proxy.js';
import { apiPodStatus, podStatusEqual } from './status.js';
import type { Taint } from '../api/types.js';

export const nodeLeaseNamespace = 'kube-node-lease';
export const defaultAgentPort = 10250;
/** How long after a mirror pod was deleted its successor is created (see mirrorGoneAt). */
const mirrorRecreateDelayMs = 1_000;

export interface AgentOptions {
  /**
   * Serve the node ports of NodePort/LoadBalancer Services on the node's address, passing
   * connections to the Services' endpoints (service-proxy.ts). Default true.
   */
  serviceProxy?: boolean;
  /** The API client; or `kubeconfig` (path) to build one. */
  client?: ApiClient;
  /**
   * The client of the heartbeat: Lease renewals and node status writes (default: `client`). As
   * the kubelet does, a multi-server agent gives it a short request timeout of its own, so a hung
   * server cannot hold a renewal until the Lease expires, while other requests keep the longer
   * bound a busy but healthy server needs.
   */
  heartbeatClient?: ApiClient;
  kubeconfig?: string;
  nodeName: string;
  /** The node's InternalIP: hostIP/podIP of its pods, and the address its HTTP server listens on. */
  nodeIP: string;
  labels?: Record<string, string>;
  /** Applied when the Node is created (register-with-taints). */
  taints?: Taint[];
  /** Runtime state, container logs (`<dataDir>/pods`) and runtime records (`<dataDir>/runtime`). */
  dataDir: string;
  staticPodDir?: string;
  /** Default: a ProcessRuntime on `<dataDir>/runtime` (closed by stop()). */
  runtime?: ContainerRuntime;
  /** Rotation of container logs by the default ProcessRuntime; default 10 MiB, 5 files. */
  containerLogRotation?: LogRotation;
  /** Port of the agent's HTTP server (logs); default 10250; 0 picks a free port. */
  port?: number;
  /** Address the HTTP server listens on; default nodeIP. */
  listenHost?: string;
  /**
   * Serve the log endpoint over HTTPS with this serving certificate (the node identity's) and
   * require client certificates of this CA (see log-server.ts). Absent: plain HTTP.
   */
  tls?: AgentTlsOptions;
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  nodeStatusUpdateFrequencyMs?: number;
  nodeStatusReportFrequencyMs?: number;
  /** Capacity overrides (tests, or a node that should offer less than the machine). */
  capacity?: Record<string, string>;
  minimumGracePeriodSeconds?: number;
  /**
   * The CrashLoopBackOff delays of restarted containers (default the kubelet's: 10 s doubling to
   * 5 min). Tests shorten them, never the defaults.
   */
  crashLoopBackOff?: { initialMs: number; maxMs: number };
  /**
   * RuntimeClass handlers whose pods the process runtime runs (as it runs every pod). A pod of
   * a class with another handler gets no sandbox (pod-worker.ts). Default: none.
   */
  runtimeHandlers?: readonly string[];
  /** The cluster DNS zone, for pods with setHostnameAsFQDN (default cluster.local). */
  clusterDomain?: string;
  /**
   * The process runtime holds each container to its resources.limits with a control group
   * (runtime/cgroups.ts) where the agent can make them; where it cannot, the agent says so and
   * runs containers without limits. Ignored with a runtime of the caller's. Default: off.
   */
  enforceResourceLimits?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Period of the static pod directory rescan. Default 1000 ms. */
  staticPodPollMs?: number;
  /** Period of the resource usage samples behind `GET /stats/summary` (stats.ts). Default 5000 ms. */
  statsIntervalMs?: number;
  /** Period of the repair pass for pod statuses and deletions a failed write left behind. Default 10000 ms. */
  podStatusResyncMs?: number;
  /**
   * The API server pods should reach, and its CA: with it, pods get their service account's
   * token as a kubeconfig (service-account.ts). Absent: pods get no credentials.
   */
  apiServer?: { url: string; caPem: string };
}

export interface RunningAgent {
  readonly nodeName: string;
  readonly nodeIP: string;
  /** Port of the agent's HTTP server. */
  readonly port: number;
  readonly runtime: ContainerRuntime;
  readonly podWorkers: PodWorkers;
  /** Resolves once the Node is registered and the first list of its pods has been acted on. */
  ready(): Promise<void>;
  /** Serves a renewed serving certificate on the agent's HTTPS endpoint (new connections). */
  setServingCertificate(certPem: string, keyPem: string): void;
  /**
   * Stops the agent. By default pods keep running (the next agent adopts them); with
   * `stopPods` every pod is stopped first (its grace period, or `gracePeriodSeconds`).
   */
  stop(options?: { stopPods?: boolean; gracePeriodSeconds?: number }): Promise<void>;
}

function isTerminalPhase(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/**
 * Runs work per key with no overlap; a call during a run causes exactly one more run, of the
 * latest function given (calls in between collapse into it). The promise settles after the
 * run that includes the call.
 */
export class KeyedSerializer {
  private readonly running = new Map<string, { again: boolean; fn: () => Promise<void>; done: Promise<void> }>();
  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  run(key: string, fn: () => Promise<void>): Promise<void> {
    const cur = this.running.get(key);
    if (cur) {
      cur.again = true;
      cur.fn = fn;
      return cur.done;
    }
    const entry = { again: false, fn, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          try {
            await entry.fn();
          } catch (err) {
            this.onError(key, err);
          }
        } while (entry.again);
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, entry);
    return entry.done;
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((e) => e.done));
  }
}

/**
 * Starts an agent. With its own runtime (no `runtime` given) it first takes the data dir's lock
 * (data-dir-lock.ts) and keeps it until stop(): a second agent on the same data dir fails to
 * start with DataDirInUseError instead of supervising the same containers.
 */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const lock = o.runtime === undefined ? lockDataDir(o.dataDir) : undefined;
  try {
    const agent = await startAgentOnDataDir(o);
    if (!lock) return agent;
    const stop = agent.stop.bind(agent);
    return { ...agent, stop: (options) => stop(options).finally(() => lock.release()) };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

async function startAgentOnDataDir(o: AgentOptions): Promise<RunningAgent> {
  const logger = (o.logger ?? createLogger({ name: 'agent' })).child(o.nodeName);
  const clock = o.clock ?? realClock;
  let client: ApiClient;
  if (o.client) client = o.client;
  else if (o.kubeconfig) client = clientFromKubeconfig(o.kubeconfig).client;
  else throw new Error('startAgent: give `client` or `kubeconfig`');
  const heartbeat = o.heartbeatClient ?? client;

  const ownRuntime = o.runtime === undefined;
  let cgroups: Cgroups | undefined;
  if (o.runtime === undefined && o.enforceResourceLimits) {
    cgroups = detectCgroups();
    if (cgroups) logger.info(`containers are held to their resource limits (cgroup v${cgroups.version})`);
    else logger.warn('--enforce-resource-limits: no control groups can be made here (it needs root and a writable cgroup v1 or v2 filesystem); containers run without limits');
  }
  const runtime =
    o.runtime ??
    (await ProcessRuntime.open({ stateDir: join(o.dataDir, 'runtime'), logger: logger.child('runtime'), ...(o.containerLogRotation ? { logRotation: o.containerLogRotation } : {}), ...(cgroups ? { cgroups } : {}) }));
  if (runtime instanceof ProcessRuntime) {
    if (runtime.terminalTools) logger.debug(`kubectl exec -t runs commands on a pseudo-terminal (${runtime.terminalTools.script})`);
    else logger.info('no working util-linux script(1) (2.35 or later), stty and tty on PATH: kubectl exec -t runs commands without a terminal (the API server emulates line editing)');
  }
  const machine = machineInfo(runtime.type);
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
  const leaseRenewIntervalMs = o.leaseRenewIntervalMs ?? Math.round((leaseDurationSeconds * 1000) / 4);
  const statusUpdateMs = o.nodeStatusUpdateFrequencyMs ?? 10_000;
  const statusReportMs = o.nodeStatusReportFrequencyMs ?? 5 * 60_000;
  /** How often the node's CSINode is looked at again once it is right (syncCSINode). */
  const csiNodeCheckMs = 60_000;

  let stopped = false;
  const timers = new Set<TimerHandle>();
  /** Wake-ups of the start-up's pauses in progress: stop() ends them (a stopping agent waits for no pause). */
  const pauses = new Set<() => void>();
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const wake = (): void => {
        clock.clearTimeout(t);
        timers.delete(t);
        pauses.delete(wake);
        resolve();
      };
      const t = clock.setTimeout(wake, ms);
      timers.add(t);
      pauses.add(wake);
    });
  const every = (ms: number, fn: () => Promise<void>): void => {
    const tick = (): void => {
      if (stopped) return;
      void fn().finally(() => {
        if (stopped) return;
        const t = clock.setTimeout(() => {
          timers.delete(t);
          tick();
        }, ms);
        timers.add(t);
      });
    };
    tick();
  };

  // Pods as the API holds them (keyed by UID), and the static pods (keyed by UID).
  const apiPods = new Map<string, Pod>();
  let staticPods = new Map<string, StaticPod>();
  const rejected = new Set<string>();
  /** Pods that left the API without a graceful deletion (their workers stop with the minimum grace). */
  const forceDeleted = new Set<string>();
  /** Pods deleted while the agent was down whose adopted containers are being stopped. */
  const stoppingUnmanaged = new Set<string>();
  /**
   * Finished pods found in the API at start (no worker): their exited containers and logs are
   * kept, and served, until the pod leaves the API.
   */
  const retainedFinished = new Set<string>();
  let node: Node | undefined;

  const serializer = new KeyedSerializer((key, err) => logger.warn(`sync of ${key} failed`, errorMessage(err)));
  const statusSerializer = new KeyedSerializer((key, err) => logger.warn(`status write of ${key} failed`, errorMessage(err)));
  /** Latest status computed per pod UID, with the pod it belongs to. */
  const pendingStatus = new Map<string, { pod: Pod; status: PodStatus }>();

  const recorder = new KubeletEventRecorder({
    client,
    host: o.nodeName,
    clock,
    onError: (err) => logger.debug('event not recorded', errorMessage(err)),
  });
  const nodeRef = nodeReference(o.nodeName);
  recorder.record(nodeRef, 'Normal', 'Starting', 'Starting kubelet.');

  const serviceAccounts = o.apiServer ? new ServiceAccountProvider({ client, dir: join(o.dataDir, 'serviceaccounts'), apiServer: o.apiServer }) : undefined;
  // Every Service, for the containers' service link variables (as the kubelet's service lister).
  const serviceInformer = new Informer<EnvService & KubeObject>(client, servicesResource, { onError: (err) => logger.debug('service watch', errorMessage(err)) });
  /**
   * The Services known, once listed (waiting up to 5 s for the first list; then upstream's
   * error). A static pod takes what is known at once, even nothing: it must start while the
   * API server is unreachable, as upstream exempts static pods from this wait.
   */
  async function knownServices(pod: Pod): Promise<readonly EnvService[]> {
    if (!serviceInformer.hasSynced() && pod.metadata.annotations?.[annotationConfigSource] !== 'file') {
      let t: TimerHandle | undefined;
      await Promise.race([serviceInformer.waitForSync(), new Promise<void>((r) => (t = clock.setTimeout(r, 5_000)))]);
      if (t !== undefined) clock.clearTimeout(t);
      if (!serviceInformer.hasSynced()) throw new Error('services have not yet been read at least once, cannot construct envvars');
    }
    return serviceInformer.lister.list();
  }
  const podWorkers = new PodWorkers({
    runtime,
    clock,
    ...(o.crashLoopBackOff ? { backoff: new Backoff(o.crashLoopBackOff.initialMs, o.crashLoopBackOff.maxMs) } : {}),
    // Static pods have no API object to bind a token to.
    ...(serviceAccounts
      ? {
          podEnvironment: (pod: Pod) =>
            pod.metadata.annotations?.[annotationConfigSource] === 'file'
              ? Promise.resolve([])
              : serviceAccounts.environment(pod).catch((err: unknown) => {
                  throw new Error(`cannot get a token for service account "${pod.spec.serviceAccountName || 'default'}": ${errorMessage(err)}`);
                }),
        }
      : {}),
    envSources: (pod, names) => readEnvSources(client, pod, names),
    services: knownServices,
    runtimeClassHandler: (name) =>
      client.get<KubeObject & { handler?: string }>(runtimeClassesResource, '', name).then(
        (rc) => rc.handler ?? '',
        (err: unknown) => {
          if (isNotFound(err)) return null;
          throw err;
        },
      ),
    runtimeHandlers: o.runtimeHandlers ?? [],
    ...(o.clusterDomain ? { clusterDomain: o.clusterDomain } : {}),
    nodeName: o.nodeName,
    nodeIP: o.nodeIP,
    logRoot: join(o.dataDir, 'pods'),
    // What the Node reports (cpu, memory, ephemeral-storage of the data dir's filesystem), read
    // at each container start: the values of limits a container does not set.
    get allocatable() {
      return allocatable();
    },
    minimumGracePeriodSeconds: o.minimumGracePeriodSeconds,
    onStatus: (pod, status) => {
      const uid = pod.metadata.uid ?? '';
      pendingStatus.set(uid, { pod, status });
      void statusSerializer.run(uid, () => writePodStatus(uid));
    },
    onError: (pod, err) => logger.warn(`pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`, errorMessage(err)),
    onEvent: (pod, ev) => {
      recorder.record(ev.container !== undefined ? containerReference(pod, ev.container) : podReference(pod), ev.type, ev.reason, ev.message);
      // A detail exists only here (the Event leaves it out): worth a warning. The rest is in the API.
      const line = `pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}: ${ev.reason}: ${ev.detail ?? ev.message}`;
      if (ev.detail !== undefined) logger.warn(line);
      else logger.debug(line);
    },
  });

  // ------------------------------------------------------------------------------------------
  // Pod status

  function findApiPod(namespace: string, name: string): Pod | undefined {
    for (const p of apiPods.values()) if (p.metadata.namespace === namespace && p.metadata.name === name) return p;
    return undefined;
  }

  /** The API object a pod's status goes to: the pod itself, or the mirror of a static pod. */
  function statusTarget(uid: string, pod: Pod): Pod | undefined {
    if (staticPods.has(uid)) {
      const mirror = findApiPod(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
      return mirror && mirror.metadata.annotations?.[annotationConfigMirror] === uid && !mirror.metadata.deletionTimestamp ? mirror : undefined;
    }
    return apiPods.get(uid);
  }

  /**
   * Writes the latest status computed for a pod to its API object, retrying conflicts. A write
   * that still fails is not lost: `reconcilePodStatuses` compares every pod's API status with
   * the computed one periodically and writes again where they differ (the kubelet status
   * manager's periodic sync).
   */
  async function writePodStatus(uid: string): Promise<void> {
    const want = pendingStatus.get(uid);
    if (!want) return;
    let targetUid: string | undefined;
    for (let attempt = 1; attempt <= 5; attempt++) {
      let target = statusTarget(uid, want.pod);
      if (!target) return;
      targetUid ??= target.metadata.uid;
      if (attempt > 1) {
        try {
          target = await client.get<Pod>(podsResource, target.metadata.namespace ?? '', target.metadata.name ?? '');
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
        // Deleted and made again under the same name: this status is not the new pod's.
        if (target.metadata.uid !== targetUid) return;
      }
      const status = apiPodStatus(target, want.status, rfc3339(clock.now()), staticPods.has(uid));
      if (podStatusEqual(target.status, status)) return;
      try {
        const updated = await client.updateStatus<Pod>(podsResource, target.metadata.namespace ?? '', { ...target, status });
        // Keep the cache current so the next comparison sees this write even before the watch does.
        if (updated.metadata.uid) {
          const cached = apiPods.get(updated.metadata.uid);
          if (cached && Number(cached.metadata.resourceVersion ?? 0) < Number(updated.metadata.resourceVersion ?? 0)) apiPods.set(updated.metadata.uid, updated);
        }
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
  }

  /**
   * Level-triggered repair of what a failed write left behind: every pod whose API status
   * differs from the status computed for it is written again, and every pod being deleted is
   * synced again (its final delete may have failed).
   */
  function reconcilePodStatus(uid: string): void {
    const want = pendingStatus.get(uid);
    if (!want) return;
    const target = statusTarget(uid, want.pod);
    if (target && !podStatusEqual(target.status, apiPodStatus(target, want.status, rfc3339(clock.now()), staticPods.has(uid)))) void statusSerializer.run(uid, () => writePodStatus(uid));
  }

  function reconcilePodStatuses(): void {
    for (const uid of pendingStatus.keys()) reconcilePodStatus(uid);
    for (const [uid, p] of apiPods) if (p.metadata.deletionTimestamp) triggerPod(uid);
  }

  /**
   * As the kubelet's rejectPod: a Warning event on the pod with the reason (its message without
   * the status's "Pod was rejected: " prefix, as upstream's), then phase Failed with the reason
   * and message.
   */
  async function rejectPod(pod: Pod, reason: string, message: string): Promise<void> {
    logger.info(`rejecting pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}: ${reason}: ${message}`);
    recorder.record(podReference(pod), 'Warning', reason, message.replace(/^Pod was rejected: /, ''));
    // As the kubelet's status manager: a first status gets a start time, rejected or not.
    const status: PodStatus = { ...(pod.status ?? {}), phase: 'Failed', reason, message, startTime: pod.status?.startTime ?? rfc3339(clock.now()) };
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const cur = attempt === 1 ? pod : await client.get<Pod>(podsResource, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
        if (cur.metadata.uid !== pod.metadata.uid) return;
        await client.updateStatus<Pod>(podsResource, pod.metadata.namespace ?? '', { ...cur, status: { ...(cur.status ?? {}), ...status } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Pods from the API

  function activePods(except: string): Pod[] {
    const out: Pod[] = [];
    for (const uid of podWorkers.podUIDs()) {
      if (uid === except) continue;
      const w = podWorkers.get(uid);
      if (!w || w.isTerminated) continue;
      const phase = w.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const pod = apiPods.get(uid) ?? staticPods.get(uid)?.pod;
      if (pod) out.push(pod);
    }
    return out;
  }

  function allocatable(): Record<string, string> {
    return desiredNodeStatus(nodeConfig(), undefined, '').allocatable ?? {};
  }

  async function syncApiPod(uid: string): Promise<void> {
    if (stopped) return;
    const pod = apiPods.get(uid);
    if (staticPods.has(uid)) return;
    if (!pod) {
      rejected.delete(uid);
      pendingStatus.delete(uid);
      // Gone from the API without a graceful deletion we saw through (force-deleted): the
      // minimum grace period, as the kubelet kills force-deleted pods; else the pod's own.
      const forced = forceDeleted.delete(uid);
      if (podWorkers.get(uid) || retainedFinished.delete(uid)) await podWorkers.removePod(uid, forced ? 0 : undefined);
      return;
    }
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    if (isMirrorPod(pod)) {
      if (pod.metadata.deletionTimestamp) await deleteNow(pod);
      scheduleMirrorSync();
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      if (podWorkers.get(uid)) {
        await podWorkers.terminatePod(uid, pod.metadata.deletionGracePeriodSeconds);
        await statusSerializer.run(uid, () => writePodStatus(uid));
      } else {
        // Deleted while the agent was down (no worker yet): its adopted processes get what is
        // left of their grace period before the pod leaves the API. In the background, so a
        // long grace period holds up neither this agent's start nor other pods' syncs; the
        // orphan sweep leaves these containers alone meanwhile.
        if (stoppingUnmanaged.has(uid)) return;
        const left = Math.ceil((Date.parse(pod.metadata.deletionTimestamp) - clock.now()) / 1000);
        const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 30, Number.isFinite(left) ? Math.max(left, 0) : 30);
        stoppingUnmanaged.add(uid);
        void podWorkers
          .stopUnmanagedPod(uid, grace)
          .then(() => deleteNow(pod))
          .catch((err: unknown) => logger.warn(`stopping pod ${ns}/${name}`, errorMessage(err)))
          .finally(() => stoppingUnmanaged.delete(uid));
        return;
      }
      await deleteNow(pod);
      return;
    }
    if (podWorkers.get(uid)) {
      podWorkers.syncPod(pod);
      return;
    }
    if (rejected.has(uid) || isTerminalPhase(pod)) return;
    if (!pod.status?.startTime) {
      let verdict = admitPod(pod, activePods(uid), allocatable(), node);
      if (!verdict.admit && nodeDependent.has(verdict.reason ?? '')) {
        // `node` is as fresh as the last status pass (up to its period old): a label or taint
        // changed since (the change that made a DaemonSet place this pod) is read before refusing.
        try {
          node = await client.get<Node>(nodesResource, '', o.nodeName);
        } catch (err) {
          // Not judged on a copy that may be stale: tried again in a second.
          logger.debug(`reading node ${o.nodeName} for the admission of ${ns}/${name}`, errorMessage(err));
          if (!stopped) setTimeout(() => triggerPod(uid), 1_000).unref();
          return;
        }
        if (stopped || apiPods.get(uid) !== pod) return triggerPod(uid);
        verdict = admitPod(pod, activePods(uid), allocatable(), node);
      }
      if (!verdict.admit) {
        rejected.add(uid);
        await rejectPod(pod, verdict.reason ?? 'UnexpectedAdmissionError', verdict.message ?? '');
        return;
      }
    }
    logger.debug(`starting pod ${ns}/${name}`);
    podWorkers.syncPod(pod);
  }

  async function deleteNow(pod: Pod): Promise<void> {
    try {
      await client.delete(podsResource, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  function triggerPod(uid: string): void {
    void serializer.run(uid, () => syncApiPod(uid));
  }

  const serviceProxy = o.serviceProxy === false ? undefined : new ServiceProxy({ client, nodeName: o.nodeName, address: o.nodeIP, logger: logger.child('node-ports') });

  const podInformer = new Informer<Pod>(client, podsResource, {
    fieldSelector: `spec.nodeName=${o.nodeName}`,
    onError: (err) => logger.debug('pod watch', errorMessage(err)),
  });
  podInformer.addEventHandler({
    add: (p) => {
      const uid = p.metadata.uid ?? '';
      apiPods.set(uid, p);
      triggerPod(uid);
    },
    update: (_old, p) => {
      const uid = p.metadata.uid ?? '';
      apiPods.set(uid, p);
      // Deleted again with a shorter grace period: told to the worker now, not behind the sync
      // that waits for the termination under way (the kubelet kills again with the shorter one).
      const grace = p.metadata.deletionGracePeriodSeconds;
      if (p.metadata.deletionTimestamp && grace !== undefined) podWorkers.get(uid)?.shortenGrace(grace);
      triggerPod(uid);
      // A readiness gate's condition changed by another writer: Ready follows now, not at the
      // next periodic reconcile (upstream's NeedToReconcilePodReadiness).
      if ((p.spec.readinessGates ?? []).length > 0) reconcilePodStatus(uid);
    },
    delete: (obj) => {
      const p = isTombstone(obj) ? obj.obj : obj;
      const uid = p.metadata.uid ?? '';
      if (!p.metadata.deletionTimestamp || p.metadata.deletionGracePeriodSeconds === 0) {
        forceDeleted.add(uid);
        // A force delete during a graceful one: the containers get the minimum grace now.
        podWorkers.get(uid)?.shortenGrace(0);
      }
      apiPods.delete(uid);
      triggerPod(uid);
      if (isMirrorPod(p)) {
        mirrorGoneAt.set(`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`, clock.now());
        scheduleMirrorSync();
      }
    },
  });

  // ------------------------------------------------------------------------------------------
  // Static pods and their mirrors

  let mirrorTimer: TimerHandle | undefined;
  const mirrorSerializer = new KeyedSerializer((_k, err) => logger.warn('mirror pod sync failed', errorMessage(err)));
  /**
   * When each mirror pod (namespace/name) was last seen deleted. Its successor is created
   * mirrorRecreateDelayMs later, as the kubelet re-creates it at a later sync of its pod, not in
   * the same instant: a `kubectl delete` of a mirror pod, which lists the name right after its
   * DELETE, then finds it gone instead of waiting for ever for the new one's deletion.
   */
  const mirrorGoneAt = new Map<string, number>();
  /** Static pods whose mirror cannot be created, with why (each said once until it can be). */
  const mirrorsBlocked = new Map<string, string>();
  function blockedMirror(key: string, why: string): void {
    if (mirrorsBlocked.get(key) === why) return;
    mirrorsBlocked.set(key, why);
    logger.warn(`static pod ${key}: failed creating a mirror pod: ${why}; no mirror created`);
  }

  function scheduleMirrorSync(delayMs = 0): void {
    if (stopped) return;
    if (mirrorTimer) {
      if (delayMs > 0) return;
      clock.clearTimeout(mirrorTimer);
    }
    mirrorTimer = clock.setTimeout(() => {
      mirrorTimer = undefined;
      void mirrorSerializer.run('mirrors', syncMirrorPods);
    }, delayMs);
  }

  /**
   * Makes the mirror pods match the static pods: stale mirrors deleted, missing ones created.
   * Each mirror is its own attempt, as the kubelet makes each in its pod's own sync: one that
   * fails (a manifest the API refuses) does not hold back the others; the failures are thrown
   * together at the end, for the caller to log.
   */
  async function syncMirrorPods(): Promise<void> {
    if (stopped || !node?.metadata.uid || !podInformer.hasSynced()) return;
    const failures: string[] = [];
    const fail = (key: string, err: unknown): void => {
      failures.push(`${key}: ${err instanceof Error ? err.message : String(err)}`);
    };
    const wanted = new Map<string, StaticPod>();
    for (const sp of staticPods.values()) wanted.set(`${sp.pod.metadata.namespace ?? ''}/${sp.pod.metadata.name ?? ''}`, sp);
    for (const p of [...apiPods.values()]) {
      if (!isMirrorPod(p)) continue;
      const key = `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
      const sp = wanted.get(key);
      if (!sp || p.metadata.annotations?.[annotationConfigMirror] !== sp.pod.metadata.uid) {
        try {
          await deleteNow(p);
        } catch (err) {
          fail(key, err);
        }
      }
    }
    let waitMs = 0;
    for (const [key, sp] of wanted) {
      const existing = findApiPod(sp.pod.metadata.namespace ?? '', sp.pod.metadata.name ?? '');
      if (existing) {
        if (!isMirrorPod(existing)) blockedMirror(key, 'a pod of that name that is not its mirror exists');
        continue;
      }
      const left = (mirrorGoneAt.get(key) ?? -Infinity) + mirrorRecreateDelayMs - clock.now();
      if (left > 0) {
        waitMs = waitMs === 0 ? left : Math.min(waitMs, left);
        continue;
      }
      mirrorGoneAt.delete(key);
      try {
        const created = await client.create<Pod>(podsResource, sp.pod.metadata.namespace ?? '', mirrorPodFor(sp.pod, node));
        if (created.metadata.uid) apiPods.set(created.metadata.uid, created);
        mirrorsBlocked.delete(key);
      } catch (err) {
        // The name is taken by a pod this node does not see (one bound elsewhere): said once, as
        // the kubelet's "Failed creating a mirror pod", and tried again at every sync.
        if (isAlreadyExists(err)) blockedMirror(key, 'the name is taken by a pod on another node or not bound to this one');
        else fail(key, err);
        continue;
      }
      // The new mirror starts with the API's initial status: push the worker's current one.
      const w = podWorkers.get(sp.pod.metadata.uid ?? '');
      if (w?.status) {
        const uid = sp.pod.metadata.uid ?? '';
        pendingStatus.set(uid, { pod: sp.pod, status: w.status });
        void statusSerializer.run(uid, () => writePodStatus(uid));
      }
    }
    if (waitMs > 0) scheduleMirrorSync(waitMs);
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  function onStaticPods(next: Map<string, StaticPod>): void {
    const prev = staticPods;
    staticPods = next;
    const fullName = (p: Pod): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
    // A changed file is a new static pod (new UID) under the same name: it starts only once the
    // old one has stopped, as the kubelet waits, so the two never run together (host ports).
    const stopping = new Map<string, Promise<void>>();
    for (const [uid, sp] of prev) {
      if (next.has(uid)) continue;
      stopping.set(
        fullName(sp.pod),
        serializer.run(uid, async () => {
          pendingStatus.delete(uid);
          await podWorkers.removePod(uid);
        }),
      );
    }
    for (const [uid, sp] of next) {
      const before = stopping.get(fullName(sp.pod));
      void serializer.run(uid, async () => {
        if (before) await before;
        podWorkers.syncPod(sp.pod);
      });
    }
    scheduleMirrorSync();
  }

  // A mistyped directory is watched all the same (it is picked up once created), but said once.
  if (o.staticPodDir && !existsSync(o.staticPodDir)) logger.warn(`static pod directory ${o.staticPodDir} does not exist (yet): its manifests run once it is created`);
  const staticSource = o.staticPodDir
    ? new StaticPodSource({
        dir: o.staticPodDir,
        nodeName: o.nodeName,
        onChange: onStaticPods,
        onError: (err) => logger.warn('static pod', err.message),
        pollMs: o.staticPodPollMs,
      })
    : undefined;

  // ------------------------------------------------------------------------------------------
  // The agent's endpoint: logs, exec, attach, port-forward, stats, pods, metrics

  /**
   * The running container an attach is for: its runtime id and info. LogRequestError for an
   * unknown pod or container (404), input asked of a container whose spec takes none, and a
   * container that is not running (400).
   */
  /**
   * The pod of this node a log, exec, attach or port-forward names: a static pod by its name
   * (its mirror's), else a pod from the API that is no mirror (the kubelet's pod manager holds
   * static pods by name too).
   */
  const localPod = (namespace: string, podName: string): Pod | undefined => {
    for (const sp of staticPods.values()) if (sp.pod.metadata.namespace === namespace && sp.pod.metadata.name === podName) return sp.pod;
    const p = findApiPod(namespace, podName);
    return p && !isMirrorPod(p) ? p : undefined;
  };
  const attachTarget = async (namespace: string, podName: string, container: string, input: boolean): Promise<{ id: string; info: ContainerInfo }> => {
    const pod = localPod(namespace, podName);
    const w = pod ? podWorkers.get(pod.metadata.uid ?? '') : undefined;
    if (!pod || !w) throw new LogRequestError(404, `pod "${podName}" in namespace "${namespace}" does not exist on node "${o.nodeName}"`);
    const spec = [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])].find((c) => c.name === container);
    if (!spec) throw new LogRequestError(404, `container "${container}" not found in pod "${podName}"`);
    if (input && !spec.stdin) throw new LogRequestError(400, `container ${container} in pod ${podName} does not take input: its spec does not set stdin (attach without -i shows its output)`);
    const id = w.containerIdFor(container, false);
    const info = id ? await runtime.inspectContainer(id) : undefined;
    if (!id || info?.state !== 'running') throw new LogRequestError(400, `container ${container} not found in pod ${podName}_${namespace}`);
    return { id, info };
  };
  /** Writes `input` to a container's stdin (runtime.attachStdin), its refusals as LogRequestError. */
  const attachInput = async (container: string, id: string, input: AsyncIterable<Buffer>, signal: AbortSignal, started: () => void): Promise<void> => {
    if (!runtime.attachStdin) throw new LogRequestError(400, 'the container runtime of this node cannot attach to the input of containers');
    let opened = false;
    try {
      await runtime.attachStdin(id, input, signal, () => {
        opened = true;
        started();
      });
    } catch (err) {
      // Refused before the input opened: the caller hears why (a container started by an
      // agent that kept no input for attaches, one that stopped meanwhile).
      if (!opened && isRuntimeError(err)) throw new LogRequestError(err.code === 'NotFound' ? 404 : 400, `cannot attach to the input of container ${container}: ${err.message}`);
      if (!opened) throw err;
    }
  };

  const sampler = new UsageSampler();
  const logSource: ContainerLogSource = {
    async containerLogs(namespace: string, podName: string, container: string, options: PodLogOptions, onData: (chunk: Buffer) => void): Promise<void> {
      const pod = localPod(namespace, podName);
      const uid = pod?.metadata.uid ?? '';
      const w = pod ? podWorkers.get(uid) : undefined;
      if (!pod || (!w && !retainedFinished.has(uid))) throw new LogRequestError(404, `pod "${podName}" in namespace "${namespace}" does not exist on node "${o.nodeName}"`);
      if (!podContainerNames(pod).includes(container)) throw new LogRequestError(404, `container "${container}" not found in pod "${podName}"`);
      const id = await podWorkers.containerIdOf(uid, container, options.previous);
      if (!id) {
        if (options.previous) throw new LogRequestError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
        const st = w?.status ?? pod.status;
        const cs = [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? []), ...(st?.ephemeralContainerStatuses ?? [])].find((s) => s.name === container);
        const reason = cs?.state?.waiting?.reason ?? 'ContainerCreating';
        throw new LogRequestError(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
      }
      if (options.follow) {
        await runtime.followLogs(id, { ...options }, onData);
        return;
      }
      onData(await runtime.readLogs(id, options));
    },
    async exec(namespace: string, podName: string, container: string, command: string[], io: ExecIO): Promise<{ exitCode: number }> {
      const pod = localPod(namespace, podName);
      const w = pod ? podWorkers.get(pod.metadata.uid ?? '') : undefined;
      if (!pod || !w) throw new LogRequestError(404, `pod "${podName}" in namespace "${namespace}" does not exist on node "${o.nodeName}"`);
      // Any running container of the pod, init and ephemeral containers included (a stuck init container can be looked into).
      if (!podContainerNames(pod).includes(container)) throw new LogRequestError(404, `container "${container}" not found in pod "${podName}"`);
      const id = w.containerIdFor(container, false);
      if (!id) throw new LogRequestError(400, `container not found (${JSON.stringify(container)})`);
      if (!runtime.execStream) throw new LogRequestError(400, 'the container runtime of this node cannot run commands in containers');
      try {
        return await runtime.execStream(id, command, io);
      } catch (err) {
        // A container that stopped since it was looked up: the kubelet's words, not the runtime's id.
        if (isRuntimeError(err) && err.code === 'InvalidState') throw new LogRequestError(400, `container not found (${JSON.stringify(container)})`);
        if (isRuntimeError(err)) throw new LogRequestError(err.code === 'NotFound' ? 404 : 400, err.message);
        throw err;
      }
    },
    async attachStdin(namespace: string, podName: string, container: string, input: AsyncIterable<Buffer>, io: { signal: AbortSignal; started: () => void }): Promise<void> {
      const { id } = await attachTarget(namespace, podName, container, true);
      await attachInput(container, id, input, io.signal, io.started);
    },
    async attachTerminal(namespace: string, podName: string, container: string, io: AgentTerminalAttach): Promise<void> {
      const { id, info } = await attachTarget(namespace, podName, container, io.stdin !== undefined);
      if (!info.terminal || !runtime.attachTerminal) {
        // No terminal here: input only (the caller shows the log), as attachStdin.
        if (io.stdin) await attachInput(container, id, io.stdin, io.signal, () => io.started({ terminal: false }));
        else io.started({ terminal: false });
        return;
      }
      let opened = false;
      try {
        await runtime.attachTerminal(id, {
          ...(io.stdin ? { stdin: io.stdin } : {}),
          stdout: io.stdout,
          signal: io.signal,
          onResize: io.onResize,
          onOpen: () => {
            opened = true;
            io.started({ terminal: true });
          },
        });
      } catch (err) {
        if (!opened && isRuntimeError(err)) throw new LogRequestError(err.code === 'NotFound' ? 404 : 400, `cannot attach to container ${container}: ${err.message}`);
        if (!opened) throw err;
      }
    },
    async portForwardHosts(namespace: string, podName: string): Promise<string[]> {
      const pod = localPod(namespace, podName);
      const w = pod ? podWorkers.get(pod.metadata.uid ?? '') : undefined;
      if (!pod || !w) throw new LogRequestError(404, `pod "${podName}" in namespace "${namespace}" does not exist on node "${o.nodeName}"`);
      // The process runtime's pods share the node's network: their address (the node IP, where
      // daemons bind), then loopback for daemons that listen only there.
      return [...new Set([o.nodeIP, '127.0.0.1'])];
    },
    async statsSummary(): Promise<AgentStats> {
      // Running containers of this runtime with a process group on this host (pgid = main pid).
      const running = (await runtime.listContainers()).filter((c) => c.state === 'running' && c.pid !== undefined && c.labels[labelPodUID]);
      const s = sampler.summary(running.map((c) => c.pid!));
      const byPgid = new Map(s.containers.map((c) => [c.pgid, c]));
      const pods = new Map<string, AgentStats['pods'][number]>();
      for (const c of running) {
        const u = byPgid.get(c.pid!);
        if (!u) continue;
        const uid = c.labels[labelPodUID]!;
        let p = pods.get(uid);
        if (!p) pods.set(uid, (p = { namespace: c.labels[labelPodNamespace] ?? '', name: c.labels[labelPodName] ?? '', uid, containers: [] }));
        p.containers.push({ name: c.labels[labelContainerName] ?? c.name, cpuNanoCores: u.cpuNanoCores, memoryBytes: u.memoryBytes });
      }
      return { nodeName: o.nodeName, timestamp: s.timestamp, windowMs: s.windowMs, ...(s.node ? { node: s.node } : {}), pods: [...pods.values()] };
    },
    async pods(): Promise<Pod[]> {
      // As the kubelet's /pods: the pods bound to this node as the API holds them, and the static
      // pods with the status the agent computed for them (their mirrors are not listed).
      const out: Pod[] = [];
      for (const [uid, p] of apiPods) if (!isMirrorPod(p) && !staticPods.has(uid)) out.push(p);
      for (const [uid, sp] of staticPods) {
        const status = podWorkers.get(uid)?.status;
        out.push(status ? { ...sp.pod, status } : sp.pod);
      }
      return out;
    },
    async metrics(endpoint: AgentMetricsEndpoint): Promise<string> {
      if (endpoint === 'agent') {
        const byState: Record<string, number> = {};
        const runningPods = new Set<string>();
        for (const c of await runtime.listContainers()) {
          const uid = c.labels[labelPodUID];
          if (!uid) continue;
          byState[c.state] = (byState[c.state] ?? 0) + 1;
          if (c.state === 'running') runningPods.add(uid);
        }
        return agentMetricsText({ runningPods: runningPods.size, containersByState: byState, process: processMetrics() });
      }
      if (endpoint === 'cadvisor') return cadvisorMetricsText(await usageReport());
      let report: UsageReport | undefined;
      try {
        report = await usageReport();
      } catch (err) {
        logger.warn('resource metrics', errorMessage(err));
      }
      return resourceMetricsText(report);
    },
  };

  /** The running pod containers of this runtime and their cumulative usage (metrics.ts). */
  async function usageReport(): Promise<UsageReport> {
    const running = (await runtime.listContainers()).filter((c) => c.state === 'running' && c.labels[labelPodUID]);
    // A container with a process group on this host is measured by it (pgid = main pid); a
    // sample older than the newest container's start is taken again.
    const newestStart = Math.max(0, ...running.map((c) => c.startedAt ?? 0));
    const reading = sampler.current(running.flatMap((c) => (c.pid !== undefined ? [c.pid] : [])), 1000, newestStart || undefined);
    return {
      timestamp: reading.timestamp,
      ...(reading.node ? { node: reading.node } : {}),
      containers: running.map((c) => {
        const usage = c.pid !== undefined ? reading.groups.get(c.pid) : undefined;
        return {
          namespace: c.labels[labelPodNamespace] ?? '',
          pod: c.labels[labelPodName] ?? '',
          container: c.labels[labelContainerName] ?? c.name,
          id: `${runtime.type}://${c.id}`,
          runtimeName: c.name,
          image: c.image,
          ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
          ...(usage ? { cpuSeconds: usage.cpuSeconds, memoryBytes: usage.rssBytes } : {}),
        };
      }),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Node registration, status and lease

  let httpServer: AgentHttpServer | undefined;
  const nodeConfig = (): NodeConfig => ({
    nodeName: o.nodeName,
    nodeIP: o.nodeIP,
    labels: o.labels ?? {},
    taints: o.taints ?? [],
    port: httpServer?.port ?? o.port ?? defaultAgentPort,
    machine,
    ...(o.capacity ? { capacity: o.capacity } : {}),
    ...dataDirFilesystem(),
  });
  /**
   * The data dir's filesystem (statfs at each status pass; an error reports neither): its
   * DiskPressure, and its size as the node's ephemeral-storage.
   */
  const dataDirFilesystem = (): Pick<NodeConfig, 'diskPressure' | 'ephemeralStorageBytes'> => {
    try {
      const fs = statfsSync(o.dataDir);
      return { diskPressure: diskPressure(fs), ...(fs.blocks > 0 ? { ephemeralStorageBytes: fs.blocks * fs.bsize } : {}) };
    } catch {
      return { diskPressure: false };
    }
  };
  let lastStatusWrite = 0;
  /** spec.unschedulable as the last status pass saw it (the kubelet starts from schedulable). */
  let lastUnschedulable = false;

  async function registerNode(): Promise<void> {
    const cfg = nodeConfig();
    let current: Node;
    try {
      current = await client.get<Node>(nodesResource, '', o.nodeName);
      const labels = managedLabels(cfg);
      if (Object.entries(labels).some(([k, v]) => current.metadata.labels?.[k] !== v)) {
        current = await client.patch<Node>(nodesResource, '', o.nodeName, 'merge', { metadata: { labels } });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        current = await client.create<Node>(nodesResource, '', initialNode(cfg));
        logger.info(`registered node ${o.nodeName}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        current = await client.get<Node>(nodesResource, '', o.nodeName);
      }
    }
    node = current;
    csiNodeCheckedAt = undefined;
    await syncCSINode(current);
    await updateNodeStatus(true);
  }

  /** When the node's CSINode was last found or made right; undefined: to do (again). */
  let csiNodeCheckedAt: number | undefined;
  /**
   * The node's CSINode (csi-node.ts): at registration, then again at the next status pass after
   * a failure (warned once per failure streak), and once a minute (the garbage collector may have
   * taken it from a Node registered anew).
   */
  async function syncCSINode(current: Node): Promise<void> {
    const now = clock.now();
    if (csiNodeCheckedAt !== undefined && now - csiNodeCheckedAt < csiNodeCheckMs) return;
    try {
      await ensureCSINode(client, current);
      csiNodeCheckedAt = now;
      csiNodeFailing = false;
    } catch (err) {
      if (!csiNodeFailing) logger.warn(`could not create or repair the CSINode of node ${o.nodeName} (retrying)`, errorMessage(err));
      csiNodeFailing = true;
    }
  }
  let csiNodeFailing = false;

  async function updateNodeStatus(force: boolean): Promise<void> {
    let current: Node;
    try {
      current = await heartbeat.get<Node>(nodesResource, '', o.nodeName);
    } catch (err) {
      if (isNotFound(err)) {
        logger.warn(`node ${o.nodeName} was deleted; registering it again`);
        return registerNode();
      }
      throw err;
    }
    node = current;
    await syncCSINode(current);
    const unschedulable = current.spec?.unschedulable === true;
    if (unschedulable !== lastUnschedulable) {
      const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable';
      recorder.record(nodeRef, 'Normal', reason, nodeStatusEventMessage(o.nodeName, reason));
      lastUnschedulable = unschedulable;
    }
    const now = clock.now();
    const desired = desiredNodeStatus(nodeConfig(), current.status, rfc3339(now));
    if (!force && nodeStatusEqualIgnoringHeartbeat(current.status, desired) && now - lastStatusWrite < statusReportMs) return;
    node = await heartbeat.updateStatus<Node>(nodesResource, '', { ...current, status: desired });
    lastStatusWrite = now;
    for (const reason of nodeConditionEventReasons(current.status, desired)) recorder.record(nodeRef, 'Normal', reason, nodeStatusEventMessage(o.nodeName, reason));
  }

  async function renewLease(): Promise<void> {
    // renewTime is taken when the write goes out, after the read (which may have waited for a
    // hung server and failed over): a renewal must not claim an instant it was not alive at.
    const now = () => rfc3339Micro(clock.now());
    const owner = node?.metadata.uid
      ? [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: node.metadata.uid }]
      : undefined;
    let lease: Lease;
    try {
      lease = await heartbeat.get<Lease>(leasesResource, nodeLeaseNamespace, o.nodeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const fresh: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: o.nodeName, namespace: nodeLeaseNamespace, ...(owner ? { ownerReferences: owner } : {}) },
        spec: { holderIdentity: o.nodeName, leaseDurationSeconds, renewTime: now() },
      };
      try {
        await heartbeat.create<Lease>(leasesResource, nodeLeaseNamespace, fresh);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    const next: Lease = {
      ...lease,
      metadata: { ...lease.metadata, ...(owner && !lease.metadata.ownerReferences?.some((r) => r.uid === owner[0]!.uid) ? { ownerReferences: owner } : {}) },
      spec: { ...(lease.spec ?? {}), holderIdentity: o.nodeName, leaseDurationSeconds, renewTime: now() },
    };
    try {
      await heartbeat.update<Lease>(leasesResource, nodeLeaseNamespace, next);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Start

  httpServer = await startAgentHttpServer(logSource, o.listenHost ?? o.nodeIP, o.port ?? defaultAgentPort, (err) => logger.warn('log request', errorMessage(err)), o.tls);
  staticSource?.start();

  let markReady!: () => void;
  const readyP = new Promise<void>((r) => (markReady = r));
  let registering = true;
  const startup = (async () => {
    let delay = 500;
    let failures = 0;
    for (;;) {
      if (stopped) return;
      try {
        await registerNode();
        // The operator saw the failures: say that they are over.
        if (failures > 0) logger.info(`node ${o.nodeName} registered after ${failures} failed attempt(s)`);
        break;
      } catch (err) {
        if (stopped) return;
        failures++;
        logger.warn(`node registration failed (retrying in ${delay} ms)`, errorMessage(err));
        await pause(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    // Stopped while registering: start nothing (stop() may have stopped waiting for this).
    if (stopped) return;
    registering = false;
    every(leaseRenewIntervalMs, () => renewLease().catch((err: unknown) => logger.warn('lease renewal failed', errorMessage(err))));
    let first = true;
    every(statusUpdateMs, async () => {
      if (first) {
        first = false;
        return;
      }
      await updateNodeStatus(false).catch((err: unknown) => logger.warn('node status update failed', errorMessage(err)));
    });
    serviceProxy?.start();
    serviceInformer.start();
    podInformer.start();
    await podInformer.waitForSync();
    if (stopped) return;
    // Every listed pod has been triggered; wait for those passes, then stop what no pod claims.
    await serializer.idle();
    // Finished pods still in the API keep their containers' logs (see removeOrphanedPods).
    for (const [uid, pod] of apiPods) if (isTerminalPhase(pod) && !podWorkers.get(uid)) retainedFinished.add(uid);
    const removed = await podWorkers.removeOrphanedPods(stoppingUnmanaged, retainedFinished);
    if (removed.length) logger.info(`removed ${removed.length} pod(s) found on this node that the API server no longer has`);
    scheduleMirrorSync();
    // Mirrors deleted or missing are recreated on the next periodic check too; statuses and
    // deletions a failed write left behind are repaired.
    every(o.podStatusResyncMs ?? 10_000, async () => {
      scheduleMirrorSync();
      reconcilePodStatuses();
    });
    // Usage samples for the metrics API: a window is ready a few seconds after start.
    every(o.statsIntervalMs ?? 5_000, async () => sampler.sample());
    // Service account tokens: renewed before they expire; files of pods gone are removed.
    if (serviceAccounts) {
      every(60_000, async () => {
        serviceAccounts.retain(new Set(podWorkers.podUIDs()));
        const pods = podWorkers.podUIDs().flatMap((uid) => {
          const p = podWorkers.get(uid)?.currentPod;
          return p && p.metadata.annotations?.[annotationConfigSource] !== 'file' ? [p] : [];
        });
        await serviceAccounts.refresh(pods, (pod, err) => logger.warn(`token of pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} not renewed`, errorMessage(err)));
      });
    }
    markReady();
  })().catch((err: unknown) => logger.error('agent startup failed', err));

  const http = httpServer;
  let stopping: Promise<void> | undefined;
  return {
    nodeName: o.nodeName,
    nodeIP: o.nodeIP,
    port: http.port,
    runtime,
    podWorkers,
    ready: () => readyP,
    setServingCertificate: (certPem, keyPem) => http.setServingCertificate(certPem, keyPem),
    stop(options = {}) {
      stopping ??= (async () => {
        stopped = true;
        for (const wake of [...pauses]) wake();
        for (const t of timers) clock.clearTimeout(t);
        timers.clear();
        if (mirrorTimer) clock.clearTimeout(mirrorTimer);
        staticSource?.stop();
        await Promise.all([podInformer.stop(), serviceInformer.stop(), serviceProxy?.stop()]);
        // Still registering: a request in flight is not waited for long (there is no timeout on a
        // request to a server that accepts and never answers); its answer starts nothing.
        if (registering) {
          let t: TimerHandle | undefined;
          await Promise.race([startup, new Promise<void>((r) => (t = clock.setTimeout(r, 2000)))]);
          if (t !== undefined) clock.clearTimeout(t);
        } else await startup;
        await serializer.idle();
        await podWorkers.shutdown({ stopPods: options.stopPods ?? false, gracePeriodSeconds: options.gracePeriodSeconds });
        await statusSerializer.idle();
        // The last events (Killing, ...) get a bounded chance to be written.
        await new Promise<void>((resolve) => {
          const t = clock.setTimeout(resolve, 2000);
          void recorder.flush().then(() => {
            clock.clearTimeout(t);
            resolve();
          });
        });
        recorder.stop();
        await http.close();
        if (ownRuntime && runtime instanceof ProcessRuntime) runtime.detach();
      })();
      return stopping;
    },
  };
}

/**
 * The ConfigMaps and Secrets a container names, read from the API server when it starts (the
 * node authorizer lets an agent read exactly those of the pods bound to it). Not found: null.
 * Static pods have no API object to authorize the reads: everything counts as not found, as
 * the kubelet refuses ConfigMaps and Secrets for them.
 */
async function readEnvSources(client: ApiClient, pod: Pod, names: { configMaps: string[]; secrets: string[] }): Promise<EnvSources> {
  const ns = pod.metadata.namespace ?? '';
  const staticPod = pod.metadata.annotations?.[annotationConfigSource] === 'file';
  const read = async <T extends ConfigMap | Secret>(resource: typeof configMapsResource, name: string): Promise<[string, T | null]> => {
    if (staticPod || name === '') return [name, null];
    try {
      return [name, await client.get<T>(resource, ns, name)];
    } catch (err) {
      if (isNotFound(err)) return [name, null];
      throw err;
    }
  };
  const [configMaps, secrets] = await Promise.all([
    Promise.all(names.configMaps.map((n) => read<ConfigMap>(configMapsResource, n))),
    Promise.all(names.secrets.map((n) => read<Secret>(secretsResource, n))),
  ]);
  return { configMaps: new Map(configMaps), secrets: new Map(secrets) };
}
