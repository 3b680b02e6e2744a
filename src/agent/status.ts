// Pod status as the kubelet computes it from container statuses (pure functions).
//
// - Sidecars (`isSidecar`: an init container with restartPolicy Always, upstream's restartable
//   init container) are kept running beside the regular containers; they count as initialized
//   once `started`, towards Running while they run, towards ContainersReady/Ready with their
//   `ready`, and never towards Succeeded/Failed (a terminated sidecar is left out of the phase).
// - Phase (`getPodPhase`, upstream getPhase): Pending while a regular init container has not
//   succeeded (Failed when one failed and restartPolicy is Never), while a sidecar has not started
//   and no regular container has run yet, or while any container waits for its first start;
//   Running while any container runs, or all stopped but will be restarted; Succeeded/Failed
//   when all regular containers stopped for good. A terminal pod (deleted and stopped) is
//   Succeeded when every regular container exited 0, otherwise Failed.
// - Conditions in the kubelet's order (upstream status/generate.go): PodReadyToStartContainers
//   (kubelet 1.29+: True while the pod's sandbox is up; only when the caller knows it),
//   Initialized (True with reason PodCompleted for a Succeeded pod; True once a regular container
//   has run, even while a sidecar restarts), Ready and ContainersReady (False with reason
//   PodCompleted or PodFailed and no message in a terminal phase), PodScheduled.
//   `lastTransitionTime` is carried over from the previous status unless `status` changed.
// - `withForeignConditions` keeps the conditions other writers own (DisruptionTarget, readiness
//   gates) when the agent writes its status over the API object's; `withReadinessGates` keeps
//   Ready False while a readiness gate is not True; `apiPodStatus` does both.
// - `podStatusEqual` compares whole statuses (key order does not matter, nor a null field
//   against an absent one); the worker reports a status only when it differs from the last one
//   reported, and the agent writes it only when it differs from the API object's.

import type { Container, ContainerStatus, PodCondition, PodPhase, PodSpec, PodStatus } from '../api/types.js';

/** An init container with restartPolicy Always: a sidecar (upstream IsRestartableInitContainer). */
export function isSidecar(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** Upstream HasAnyRegularContainerStarted: a regular container runs or has run. */
function anyRegularContainerStarted(spec: PodSpec, containers: ContainerStatus[]): boolean {
  return spec.containers.some((c) => {
    const s = containers.find((x) => x.name === c.name);
    return s?.state?.running !== undefined || s?.state?.terminated !== undefined;
  });
}

export function getPodPhase(spec: PodSpec, init: ContainerStatus[], containers: ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const restartPolicy = spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    const s = init.find((x) => x.name === c.name);
    if (isSidecar(c)) {
      // A terminated sidecar (or one waiting to restart) does not count.
      if (!s) unknown++;
      else if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.terminated) {
        // not counted
      } else if (s.state?.waiting) {
        if (!s.lastState?.terminated) {
          pendingSidecars++;
          waiting++;
        }
      } else {
        pendingSidecars++;
        unknown++;
      }
      continue;
    }
    if (!s || s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  for (const c of spec.containers) {
    const s = containers.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  let phase: PodPhase;
  // A sidecar restarting after the regular containers ran does not take the pod back to Pending.
  if (pendingInit > 0 || failedInit > 0 || (pendingSidecars > 0 && !anyRegularContainerStarted(spec, containers))) phase = 'Pending';
  else if (waiting > 0) phase = 'Pending';
  else if (running > 0 && unknown === 0) phase = 'Running';
  else if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) phase = stopped === succeeded ? 'Succeeded' : 'Failed';
    else if (restartPolicy === 'Always') phase = 'Running';
    else if (stopped === succeeded) phase = 'Succeeded';
    else if (restartPolicy === 'Never') phase = 'Failed';
    else phase = 'Running';
  } else phase = 'Pending';
  if (podIsTerminal && phase !== 'Succeeded' && phase !== 'Failed') phase = 'Failed';
  return phase;
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const c: PodCondition = { type, status: ok ? 'True' : 'False', lastProbeTime: null };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/**
 * Conditions for a status whose phase and container statuses are already computed;
 * `sandboxReady` given: with PodReadyToStartContainers first.
 */
export function generatePodConditions(spec: PodSpec, status: PodStatus, previous: PodCondition[] | undefined, now: string, sandboxReady?: boolean): PodCondition[] {
  const init = status.initContainerStatuses ?? [];
  const statuses = status.containerStatuses ?? [];
  const unknownInit: string[] = [];
  const incompleteInit: string[] = [];
  for (const c of spec.initContainers ?? []) {
    const s = init.find((x) => x.name === c.name);
    if (!s) unknownInit.push(c.name);
    else if (isSidecar(c) ? !s.started : !(s.state?.terminated && s.state.terminated.exitCode === 0)) incompleteInit.push(c.name);
  }
  let initialized: PodCondition;
  if (status.phase === 'Succeeded' && unknownInit.length === 0) initialized = condition('Initialized', true, 'PodCompleted');
  else if (anyRegularContainerStarted(spec, statuses) || (unknownInit.length === 0 && incompleteInit.length === 0)) initialized = condition('Initialized', true);
  else {
    const parts: string[] = [];
    if (unknownInit.length) parts.push(`containers with unknown status: [${unknownInit.join(' ')}]`);
    if (incompleteInit.length) parts.push(`containers with incomplete status: [${incompleteInit.join(' ')}]`);
    initialized = condition('Initialized', false, 'ContainersNotInitialized', parts.join(', '));
  }

  // Sidecars first, then the regular containers (upstream's order).
  const unknown: string[] = [];
  const unready: string[] = [];
  const readiness = [...(spec.initContainers ?? []).filter(isSidecar).map((c) => [c, init] as const), ...spec.containers.map((c) => [c, statuses] as const)];
  for (const [c, list] of readiness) {
    const s = list.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  let containersReady: PodCondition;
  if (status.phase === 'Succeeded' && unknown.length === 0) containersReady = condition('ContainersReady', false, 'PodCompleted');
  else if (status.phase === 'Failed') containersReady = condition('ContainersReady', false, 'PodFailed');
  else if (unknown.length || unready.length) {
    const parts: string[] = [];
    if (unknown.length) parts.push(`containers with unknown status: [${unknown.join(' ')}]`);
    if (unready.length) parts.push(`containers with unready status: [${unready.join(' ')}]`);
    containersReady = condition('ContainersReady', false, 'ContainersNotReady', parts.join(', '));
  } else containersReady = condition('ContainersReady', true);
  const ready = { ...containersReady, type: 'Ready' };

  const out = [initialized, ready, containersReady, condition('PodScheduled', true)];
  // Upstream's condition carries neither reason nor message.
  if (sandboxReady !== undefined) out.unshift({ type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False', lastProbeTime: null });
  for (const c of out) {
    const prev = previous?.find((p) => p.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  }
  return out;
}

/** The pod's QoS class (api/pod-qos.ts), re-exported for the agent's callers. */
export { podQOSClass } from '../api/pod-qos.js';

/**
 * `v` with object keys sorted and fields that are undefined or null left out: a null field and
 * an absent one decode to the same Go value, and the API server does not keep nulls (a
 * condition's `lastProbeTime: null` comes back absent), so the two compare equal.
 */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && x !== null) o[k] = canonical(x);
    }
    return o;
  }
  return v;
}

/** The pod conditions the kubelet owns; others (DisruptionTarget, readiness gates) belong to other writers. */
const kubeletConditions = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers']);

/**
 * The status to write over `current`: `computed` with the conditions other writers set on the
 * API object kept (before the agent's own, in their order), as the kubelet's status manager
 * merges them (mergePodStatus); an eviction's DisruptionTarget stays until the pod is gone.
 */
export function withForeignConditions(current: PodStatus | undefined, computed: PodStatus): PodStatus {
  const foreign = (current?.conditions ?? []).filter((c) => !kubeletConditions.has(c.type) && !(computed.conditions ?? []).some((x) => x.type === c.type));
  return foreign.length === 0 ? computed : { ...computed, conditions: [...foreign, ...(computed.conditions ?? [])] };
}

/**
 * Ready as upstream's GeneratePodReadyCondition has it once the pod's readiness gates are
 * known: with the containers ready, Ready stays False (ReadinessGatesNotReady) while a gate's
 * condition is missing or not True. `conditions` hold the gates' conditions (set by other
 * writers); lastTransitionTime moves only when Ready's status changes against `previous`.
 */
export function withReadinessGates(status: PodStatus, gates: Array<{ conditionType: string }> | undefined, previous: PodCondition[] | undefined, now: string): PodStatus {
  if (!gates || gates.length === 0) return status;
  const conditions = status.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (!ready || ready.status !== 'True') return status;
  const unready: string[] = [];
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (!c) unready.push(`corresponding condition of pod readiness gate ${JSON.stringify(g.conditionType)} does not exist.`);
    else if (c.status !== 'True') unready.push(`the status of pod readiness gate ${JSON.stringify(g.conditionType)} is not "True", but ${c.status}`);
  }
  const prev = previous?.find((c) => c.type === 'Ready');
  if (unready.length === 0) {
    // Ready turned True when the API's Ready did (now, if it was not True: minReadySeconds
    // counts from the last gate, not from when the containers became ready).
    if (!prev) return status;
    const at = prev.status === 'True' && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return at === ready.lastTransitionTime ? status : { ...status, conditions: conditions.map((c) => (c === ready ? { ...c, lastTransitionTime: at } : c)) };
  }
  const gated: PodCondition = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: unready.join(', '), lastTransitionTime: prev && prev.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : now };
  if (ready.lastProbeTime !== undefined) gated.lastProbeTime = ready.lastProbeTime;
  return { ...status, conditions: conditions.map((c) => (c === ready ? gated : c)) };
}

/**
 * The status the agent writes over the API pod `current`: its own, other writers' conditions
 * kept, readiness gates applied. `mirror`: `current` is a static pod's mirror, whose phase
 * follows the static pod (the kubelet checks phase transitions against the static pod's own
 * status, not the mirror's: a mirror left Failed by a node shutdown shows Running again once
 * the static pod runs).
 */
export function apiPodStatus(current: { spec?: PodSpec; status?: PodStatus }, computed: PodStatus, now: string, mirror = false): PodStatus {
  let out = withReadinessGates(withForeignConditions(current.status, computed), current.spec?.readinessGates, current.status?.conditions, now);
  // A pod the API shows Failed or Succeeded stays so, as the kubelet's "illegal phase transition"
  // check keeps it: no phase leaves a terminal one (whoever wrote it: its controller then acts
  // on it, e.g. a DaemonSet replaces a Failed daemon, which a status set back to Running raced).
  const apiPhase = current.status?.phase;
  if (!mirror && (apiPhase === 'Failed' || apiPhase === 'Succeeded') && out.phase !== apiPhase) out = { ...out, phase: apiPhase };
  // The QoS class is the API server's, set at create and immutable: the one stored is written
  // back (a pod created by an older server, whose agent classed it by other rules, keeps its
  // class instead of having every status write refused).
  const stored = current.status?.qosClass;
  return stored && out.qosClass !== stored ? { ...out, qosClass: stored } : out;
}

export function podStatusEqual(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}
