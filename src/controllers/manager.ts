// The controller manager: one set of shared informers feeding the DaemonSet controller, the
// garbage collector, the node lifecycle, service account, service account token, disruption
// (PodDisruptionBudget status), endpoints (the Endpoints of Services with a selector),
// endpointslice (their EndpointSlices), endpointslice mirroring (slices of the user's
// Endpoints of Services without a selector), resource quota (ResourceQuota status) and, when
// given the CA, CertificateSigningRequest signing (certificates/) controllers, run only while this process holds the `kube-system/everynode-controller-manager`
// Lease (leader-election.ts).
//
// Contract:
// - Each term of leadership gets fresh informers and fresh controller instances; when the
//   term ends (lease lost, renew deadline missed, or stop()) every controller is stopped and
//   the informers shut down before this manager contends again, so two terms never overlap
//   inside one process and no state (expectations, backoffs) leaks from one term to the next.
// - Controllers reach the cluster only through `client` (in the server process: the
//   in-process transport over the API server's own handler).
// - stop() resolves after the controllers have stopped and, when leading, the lease has been
//   released (so a standby takes over at once instead of after the lease duration).

import type { Container, KubeObject, Pod } from '../api/types.js';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import {
  type ApiClient,
  ApiEventRecorder,
  type Clock,
  RestClient,
  type RequestListener,
  SharedInformerFactory,
  inProcessTransport,
  realClock,
} from '../client/index.js';
import { createLogger, type Logger } from '../util/logger.js';
import { DaemonSetsController, burstReplicas as upstreamBurstReplicas, controllerComponent } from './daemonset/index.js';
import { GarbageCollector, type GarbageCollectorOptions } from './garbage-collector/index.js';
import { LeaderElector, NotLeaderError, controllerSignalListeners, fencedClient, type LeaderElectionTiming } from './leader-election.js';
import { ServiceAccountsController, TokensController, type LegacyTokenIssuer } from './serviceaccounts/index.js';
import { RootCaPublisher } from './root-ca-publisher/index.js';
import { ClusterRoleAggregationController } from './clusterrole-aggregation/index.js';
import { DisruptionController } from './disruption/index.js';
import { EndpointsController, endpointControllerName } from './endpoints/index.js';
import { EndpointSliceController, EndpointSliceMirroringController, endpointSliceControllerName, endpointSliceMirroringControllerName } from './endpointslice/index.js';
import { NodeLifecycleController, nodeLifecycleComponent, taintEvictionComponent, type NodeLifecycleControllerOptions } from './node-lifecycle/index.js';
import { ResourceQuotaController } from './resourcequota/index.js';
import { CertificateSigningController, type SigningCa } from './certificates/index.js';

export const leaderElectionLeaseNamespace = 'kube-system';
export const leaderElectionLeaseName = 'everynode-controller-manager';

/**
 * burstReplicas of the DaemonSet controller when it runs inside the API server process.
 * Upstream's 250 protects a remote API server from one controller's burst; in process the
 * creates cost no connection or rate limit and the store commits them in groups, so a larger
 * pass means fewer dependent round trips (pass -> wait for the watch -> next pass) per
 * fan-out. The slow-start batches (1, 2, 4, ...) still stop a pass at its first failure.
 */
export const inProcessBurstReplicas = 1000;

/** What to run and how; every field is optional. */
export interface ControllersOptions {
  /** Holder identity for the Lease (default `<hostname>_<uuid>`). */
  identity?: string;
  /** Default true (15 s lease, 10 s renew deadline, 2 s retry); false runs the controllers at once. */
  leaderElection?: boolean | (LeaderElectionTiming & { namespace?: string; name?: string });
  /**
   * DaemonSet controller (default 2 workers); false disables it. `burstReplicas` caps the pod
   * creates/deletes of one sync pass (default upstream's 250; `startInProcessControllerManager`
   * defaults to `inProcessBurstReplicas`).
   */
  daemonSet?: false | { workers?: number; burstReplicas?: number };
  garbageCollector?: false | Omit<GarbageCollectorOptions, 'client' | 'informers' | 'clock'>;
  /** Node lifecycle controller; `gracePeriodMs` defaults to 50 s. */
  nodeLifecycle?: false | Omit<NodeLifecycleControllerOptions, 'client' | 'informers' | 'clock'>;
  /** The `default` ServiceAccount of every namespace (serviceaccounts/); false: off. */
  serviceAccounts?: false;
  /** The ClusterRole aggregation controller (on unless false). */
  clusterRoleAggregation?: false;
  /**
   * Issues the long-lived tokens the tokens controller writes into Secrets of type
   * kubernetes.io/service-account-token (serviceaccounts/tokens.ts; with `rootCaPem` as their
   * `ca.crt`); absent: those Secrets are not filled.
   */
  legacyTokenIssuer?: LegacyTokenIssuer;
  /**
   * The cluster CA (PEM) published as the `kube-root-ca.crt` ConfigMap of every namespace
   * (root-ca-publisher/); absent: not published.
   */
  rootCaPem?: string;
  /** PodDisruptionBudget status for the eviction API (disruption/); false: off. */
  disruption?: false;
  /**
   * The Endpoints of every Service with a selector (endpoints/; default 5 workers, upstream's
   * --concurrent-endpoint-syncs, and no batch period); false: off.
   */
  endpoints?: false | { workers?: number; batchPeriodMs?: number };
  /**
   * The EndpointSlices of every Service with a selector (endpointslice/; default 5 workers,
   * upstream's --concurrent-service-endpoint-syncs, 100 endpoints per slice, no batch period);
   * false: off. With it, the mirroring controller mirrors the Endpoints of Services without a
   * selector into EndpointSlices (endpointslice/mirroring.ts; 5 workers).
   */
  endpointSlice?: false | { workers?: number; batchPeriodMs?: number; maxEndpointsPerSlice?: number };
  /**
   * The status of every ResourceQuota (resourcequota/; 2 workers, a full recalculation every
   * `resyncPeriodMs`, default 5 min); false: off.
   */
  resourceQuota?: false | { resyncPeriodMs?: number };
  /**
   * Signs approved CertificateSigningRequests of the kubernetes.io signers with this CA
   * (certificates/; upstream's csrsigning controller, `maxDurationMs` its
   * --cluster-signing-duration, default one year); absent: not run. The API server signs
   * in process when the manager has no CA (apiserver/certificates-admission.ts).
   */
  csrSigning?: { ca: SigningCa; maxDurationMs?: number };
}

export interface ControllerManagerOptions extends ControllersOptions {
  client: ApiClient;
  clock?: Clock;
  logger?: Logger;
}

/** The controllers of the current term of leadership. */
export interface RunningControllers {
  informers: SharedInformerFactory;
  daemonSets?: DaemonSetsController;
  /** The burstReplicas the DaemonSet controller of this term was given. */
  daemonSetBurstReplicas?: number;
  garbageCollector?: GarbageCollector;
  nodeLifecycle?: NodeLifecycleController;
  serviceAccounts?: ServiceAccountsController;
  tokens?: TokensController;
  rootCaPublisher?: RootCaPublisher;
  clusterRoleAggregation?: ClusterRoleAggregationController;
  disruption?: DisruptionController;
  endpoints?: EndpointsController;
  endpointSlice?: EndpointSliceController;
  endpointSliceMirroring?: EndpointSliceMirroringController;
  resourceQuota?: ResourceQuotaController;
  certificateSigning?: CertificateSigningController;
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Optimistic-concurrency conflicts are routine for controllers: retried, not worth a warning. */
function isRoutine(e: unknown): boolean {
  if (e instanceof NotLeaderError) return true;
  const m = errMsg(e);
  return m.includes('the object has been modified') || m.includes('please apply your changes to the latest version');
}

/**
 * What the controllers' pod cache keeps of a pod: all but its volumes and the containers' volume
 * mounts, which no controller here reads (the ServiceAccount admission gives every pod a
 * projected volume: kept, 5,000 daemon pods held tens of MB more). A controller that needs them
 * reads the pod from the API. Pods written back from this cache go through /status, which keeps
 * the stored spec.
 */
export function podWithoutVolumes(obj: KubeObject): KubeObject {
  const pod = obj as Pod;
  const spec = pod.spec as (Pod['spec'] & { volumes?: unknown }) | undefined;
  if (!spec) return obj;
  const strip = (cs: Container[] | undefined): Container[] | undefined =>
    cs?.map((c) => {
      if (c['volumeMounts'] === undefined) return c;
      const { volumeMounts: _m, ...rest } = c;
      return rest as Container;
    });
  const { volumes: _v, ...rest } = spec;
  const out: Pod['spec'] = { ...rest, containers: strip(spec.containers) ?? [] };
  if (spec.initContainers) out.initContainers = strip(spec.initContainers)!;
  return { ...pod, spec: out } as KubeObject;
}

export class ControllerManager {
  readonly identity: string;
  readonly client: ApiClient;
  private readonly o: ControllerManagerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly elector: LeaderElector | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private current: RunningControllers | undefined;
  private terms = 0;

  constructor(o: ControllerManagerOptions) {
    this.o = o;
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.logger = o.logger ?? createLogger({ name: 'controller-manager' });
    this.identity = o.identity ?? `${hostname()}_${randomUUID()}`;
    const le = o.leaderElection ?? true;
    if (le !== false) {
      const timing = le === true ? {} : le;
      this.elector = new LeaderElector({
        ...timing,
        client: this.client,
        clock: this.clock,
        identity: this.identity,
        namespace: timing.namespace ?? leaderElectionLeaseNamespace,
        name: timing.name ?? leaderElectionLeaseName,
        onStartedLeading: (signal) => {
          this.logger.info(`${this.identity} became leader: starting controllers`);
          return this.runControllers(signal);
        },
        onStoppedLeading: () => this.logger.info(`${this.identity} stopped leading`),
        onNewLeader: (id) => {
          if (id !== this.identity) this.logger.info(`the leader is ${id}`);
        },
        onError: (e) => this.logger.warn(errMsg(e)),
      });
    }
  }

  /** Starts contending (or, without leader election, the controllers). Idempotent. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    // Every controller and its workers listen on this signal: a fixed number, not a leak.
    setMaxListeners(controllerSignalListeners, abort.signal);
    this.abort = abort;
    this.loop = (this.elector ? this.elector.run(abort.signal) : this.runControllers(abort.signal)).catch((e: unknown) => {
      this.logger.error('controller manager failed', e);
    });
  }

  /** Stops the controllers and releases the lease; resolves when all is stopped. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
  }

  /** True while the controllers of a term are running. */
  isLeader(): boolean {
    return this.current !== undefined;
  }

  /** The controllers of the current term (tests and benchmarks). */
  running(): RunningControllers | undefined {
    return this.current;
  }

  /** How many terms of leadership this manager has started. */
  termsStarted(): number {
    return this.terms;
  }

  /** Runs every enabled controller until `signal` aborts, then stops them all. */
  private async runControllers(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.terms++;
    // The term's writes are fenced: refused once this process no longer holds the lease (a
    // paused leader's overdue passes write nothing; see fencedClient).
    const elector = this.elector;
    const client = elector ? fencedClient(this.client, () => elector.holdsLease()) : this.client;
    const onError = (e: unknown): void => {
      if (isRoutine(e)) this.logger.debug(errMsg(e));
      else this.logger.warn(errMsg(e));
    };
    const informers = new SharedInformerFactory(client, { clock: this.clock, onError, transforms: { '/pods': podWithoutVolumes } });
    const running: RunningControllers = { informers };
    const tasks: Array<Promise<void>> = [];
    /** This term's event recorders: their retries end with the term. */
    const recorders: ApiEventRecorder[] = [];
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

    if (this.o.daemonSet !== false) {
      // Controllers' events name their component only (upstream's EventSource{Component}): no
      // host or reporting instance, whichever server leads, so their events aggregate across terms.
      const recorder = new ApiEventRecorder(client, {
        component: controllerComponent,
        clock: this.clock,
        defaultKind: { kind: 'DaemonSet', apiVersion: 'apps/v1' },
        onError,
      });
      recorders.push(recorder);
      const burst = (this.o.daemonSet ? this.o.daemonSet.burstReplicas : undefined) ?? upstreamBurstReplicas;
      running.daemonSets = new DaemonSetsController({ client: client, informers, clock: this.clock, recorder, onError, burstReplicas: burst });
      running.daemonSetBurstReplicas = burst;
    }
    if (this.o.garbageCollector !== false) {
      running.garbageCollector = new GarbageCollector({ onError, ...(this.o.garbageCollector ?? {}), client: client, informers, clock: this.clock });
    }
    if (this.o.nodeLifecycle !== false) {
      // Its recorders are this term's too (their queued events are written when it ends).
      const recorder = new ApiEventRecorder(client, { component: nodeLifecycleComponent, clock: this.clock, defaultKind: { kind: 'Node', apiVersion: 'v1' }, onError });
      const evictionRecorder = new ApiEventRecorder(client, { component: taintEvictionComponent, clock: this.clock, defaultKind: { kind: 'Pod', apiVersion: 'v1' }, onError });
      recorders.push(recorder, evictionRecorder);
      running.nodeLifecycle = new NodeLifecycleController({ onError, recorder, evictionRecorder, ...(this.o.nodeLifecycle ?? {}), client: client, informers, clock: this.clock });
    }
    if (this.o.serviceAccounts !== false) {
      running.serviceAccounts = new ServiceAccountsController({ onError, client: client, informers, clock: this.clock });
    }
    if (this.o.legacyTokenIssuer) {
      running.tokens = new TokensController({ onError, client: client, informers, issue: this.o.legacyTokenIssuer, clock: this.clock, ...(this.o.rootCaPem ? { rootCaPem: this.o.rootCaPem } : {}) });
    }
    if (this.o.rootCaPem) {
      running.rootCaPublisher = new RootCaPublisher({ onError, client: client, informers, caPem: this.o.rootCaPem, clock: this.clock });
    }
    if (this.o.clusterRoleAggregation !== false) {
      running.clusterRoleAggregation = new ClusterRoleAggregationController({ onError, client: client, informers, clock: this.clock });
    }
    if (this.o.disruption !== false) {
      // Upstream's disruption controller records its events as the "controllermanager" component.
      const recorder = new ApiEventRecorder(client, {
        component: 'controllermanager',
        clock: this.clock,
        defaultKind: { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
        onError,
      });
      recorders.push(recorder);
      running.disruption = new DisruptionController({ onError, client: client, informers, recorder, clock: this.clock });
    }
    if (this.o.endpoints !== false) {
      const recorder = new ApiEventRecorder(client, {
        component: endpointControllerName,
        clock: this.clock,
        defaultKind: { kind: 'Endpoints', apiVersion: 'v1' },
        onError,
      });
      recorders.push(recorder);
      const batchPeriodMs = this.o.endpoints ? this.o.endpoints.batchPeriodMs : undefined;
      running.endpoints = new EndpointsController({ onError, client: client, informers, recorder, clock: this.clock, ...(batchPeriodMs !== undefined ? { batchPeriodMs } : {}) });
    }
    if (this.o.endpointSlice !== false) {
      const recorder = new ApiEventRecorder(client, {
        component: endpointSliceControllerName,
        clock: this.clock,
        defaultKind: { kind: 'Service', apiVersion: 'v1' },
        onError,
      });
      recorders.push(recorder);
      const o = this.o.endpointSlice || {};
      running.endpointSlice = new EndpointSliceController({
        onError,
        client: client,
        informers,
        recorder,
        clock: this.clock,
        ...(o.batchPeriodMs !== undefined ? { batchPeriodMs: o.batchPeriodMs } : {}),
        ...(o.maxEndpointsPerSlice !== undefined ? { maxEndpointsPerSlice: o.maxEndpointsPerSlice } : {}),
      });
      const mirroringRecorder = new ApiEventRecorder(client, {
        component: endpointSliceMirroringControllerName,
        clock: this.clock,
        defaultKind: { kind: 'Endpoints', apiVersion: 'v1' },
        onError,
      });
      recorders.push(mirroringRecorder);
      running.endpointSliceMirroring = new EndpointSliceMirroringController({ onError, client: client, informers, recorder: mirroringRecorder, clock: this.clock });
    }
    if (this.o.resourceQuota !== false) {
      const resyncPeriodMs = this.o.resourceQuota ? this.o.resourceQuota.resyncPeriodMs : undefined;
      running.resourceQuota = new ResourceQuotaController({ onError, client: client, informers, clock: this.clock, ...(resyncPeriodMs !== undefined ? { resyncPeriodMs } : {}) });
    }
    if (this.o.csrSigning) {
      const { ca, maxDurationMs } = this.o.csrSigning;
      running.certificateSigning = new CertificateSigningController({ onError, client, informers, ca, clock: this.clock, ...(maxDurationMs !== undefined ? { maxDurationMs } : {}) });
    }
    informers.start();
    this.current = running;
    try {
      const ds = running.daemonSets;
      if (ds) {
        const workers = this.o.daemonSet ? (this.o.daemonSet.workers ?? 2) : 2;
        // run() returns soon after shutDown(), also while it still waits for the caches, so the
        // term's end waits for its last writes (terms never overlap).
        tasks.push(ds.run(workers));
      }
      if (running.garbageCollector) tasks.push(running.garbageCollector.run(signal));
      if (running.nodeLifecycle) tasks.push(running.nodeLifecycle.run(signal));
      if (running.serviceAccounts) tasks.push(running.serviceAccounts.run(signal));
      if (running.tokens) tasks.push(running.tokens.run(signal));
      if (running.rootCaPublisher) tasks.push(running.rootCaPublisher.run(signal));
      if (running.clusterRoleAggregation) tasks.push(running.clusterRoleAggregation.run(signal));
      if (running.disruption) tasks.push(running.disruption.run(signal));
      if (running.endpoints) tasks.push(running.endpoints.run(signal, this.o.endpoints ? (this.o.endpoints.workers ?? 5) : 5));
      if (running.endpointSlice) tasks.push(running.endpointSlice.run(signal, this.o.endpointSlice ? (this.o.endpointSlice.workers ?? 5) : 5));
      if (running.endpointSliceMirroring) tasks.push(running.endpointSliceMirroring.run(signal));
      if (running.resourceQuota) tasks.push(running.resourceQuota.run(signal));
      if (running.certificateSigning) tasks.push(running.certificateSigning.run(signal));
      await aborted;
    } finally {
      // Stop acting first, then wait for in-flight work, then drop the caches.
      running.daemonSets?.shutDown();
      this.current = undefined;
      const results = await Promise.allSettled(tasks);
      for (const r of results) if (r.status === 'rejected') onError(r.reason);
      // Events recorded in the term are written before the manager returns (each tried once, a
      // few seconds at most): a server that stops the manager and then its store would
      // otherwise refuse the tail of the queue.
      for (const r of recorders) r.stop();
      await Promise.race([Promise.all(recorders.map((r) => r.flush())), new Promise((resolve) => setTimeout(resolve, recorderFlushMs).unref())]);
      await informers.shutdown();
    }
  }
}

/** How long a stopping manager waits for its event recorders' queued writes. */
const recorderFlushMs = 5_000;

/**
 * A controller manager inside the API server process: its client calls `listener` (the
 * server's request handler) through the in-process transport, and the DaemonSet controller's
 * burstReplicas defaults to `inProcessBurstReplicas`. Started before returning.
 */
export function startInProcessControllerManager(listener: RequestListener, opts: ControllersOptions & { clock?: Clock; logger?: Logger } = {}): ControllerManager {
  const client = new RestClient(inProcessTransport(listener, { userAgent: 'everynode-controller-manager' }));
  const daemonSet = opts.daemonSet === false ? false : { ...opts.daemonSet, burstReplicas: opts.daemonSet?.burstReplicas ?? inProcessBurstReplicas };
  const cm = new ControllerManager({ ...opts, daemonSet, client });
  cm.start();
  return cm;
}
