// Node eligibility for daemon pods (upstream NodeShouldRunDaemonPod, predicates,
// AddOrUpdateDaemonPodTolerations, ReplaceDaemonSetPodNodeNameNodeAffinity).
//
// Only nodeName, nodeSelector, required node affinity and NoSchedule/NoExecute taints are
// evaluated, against a hypothetical pod carrying the default daemon tolerations (§5.2).
// Readiness, cordon (`spec.unschedulable`), resources, host ports and preferred affinity are
// deliberately ignored: the node agent owns fit (decision 1).

import type { Affinity, DaemonSet, Node, NodeSelectorTerm, Pod, PodSpec, Taint, Toleration } from '../../api/types.js';

import { taintNodeNotReady, taintNodeUnreachable, taintNodeDiskPressure, taintNodeMemoryPressure, taintNodePIDPressure, taintNodeUnschedulable, taintNodeNetworkUnavailable, toleratesTaint } from '../../api/taints.js';

export { taintNodeNotReady, taintNodeUnreachable, taintNodeDiskPressure, taintNodeMemoryPressure, taintNodePIDPressure, taintNodeUnschedulable, taintNodeNetworkUnavailable, toleratesTaint };

import { nodeFieldSelectorKeyNodeName, nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinityTerms } from '../../api/node-affinity.js';

export { nodeFieldSelectorKeyNodeName, nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinityTerms };

export interface NodeShouldRun {
  /** A daemon pod should be created here if none exists (counts toward desiredNumberScheduled). */
  shouldRun: boolean;
  /** An existing daemon pod may stay. */
  shouldContinueRunning: boolean;
}

function sameIdentity(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/**
 * Adds or updates one toleration, as upstream's AddOrUpdateTolerationInPodSpec does in effect:
 * every toleration with the same key/operator/value/effect is replaced in place by `t`
 * (duplicates too, even beside one that is exactly `t`: one left with a short tolerationSeconds
 * would still evict the daemon), and `t` is appended when there is none. (Upstream's early
 * return for an equal toleration compares a pointer with a value, so it never returns.)
 * Returns a new array.
 */
export function addOrUpdateToleration(tolerations: Toleration[], t: Toleration): Toleration[] {
  let replaced = false;
  const out = tolerations.map((x) => {
    if (!sameIdentity(x, t)) return x;
    replaced = true;
    return { ...t };
  });
  if (!replaced) out.push({ ...t });
  return out;
}

/** The tolerations every daemon pod gets (§5.2), merged into `spec.tolerations` (new array). */
export function addOrUpdateDaemonPodTolerations(spec: PodSpec): Toleration[] {
  let ts = spec.tolerations ?? [];
  const add = (key: string, effect: 'NoExecute' | 'NoSchedule'): void => {
    ts = addOrUpdateToleration(ts, { key, operator: 'Exists', effect });
  };
  add(taintNodeNotReady, 'NoExecute');
  add(taintNodeUnreachable, 'NoExecute');
  add(taintNodeDiskPressure, 'NoSchedule');
  add(taintNodeMemoryPressure, 'NoSchedule');
  add(taintNodePIDPressure, 'NoSchedule');
  add(taintNodeUnschedulable, 'NoSchedule');
  if (spec.hostNetwork) add(taintNodeNetworkUnavailable, 'NoSchedule');
  return ts;
}

/** Taints with NoSchedule/NoExecute effect that `tolerations` does not tolerate. */
export function untoleratedTaints(taints: Taint[], tolerations: Toleration[]): Taint[] {
  return taints.filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => toleratesTaint(tol, t)));
}

/** The pod the DaemonSet would place on `nodeName` (template + default tolerations), for predicates. */
export function newHypotheticalPod(ds: DaemonSet, nodeName: string): Pod {
  const spec: PodSpec = { ...ds.spec.template.spec, nodeName };
  spec.tolerations = addOrUpdateDaemonPodTolerations(ds.spec.template.spec);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(ds.spec.template.metadata ?? {}), namespace: ds.metadata.namespace },
    spec,
  };
}

/**
 * The default daemon tolerations of a template spec, memoised per spec object: a sync pass
 * evaluates every node against the same (cached, never mutated) DaemonSet, so they are
 * computed once per template instead of once per node. The entry is reused only while the
 * spec still holds the same `tolerations` array and `hostNetwork` value.
 */
const daemonTolerationsCache = new WeakMap<PodSpec, { src: Toleration[] | undefined; hostNetwork: boolean | undefined; out: Toleration[] }>();

function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const hit = daemonTolerationsCache.get(spec);
  if (hit && hit.src === spec.tolerations && hit.hostNetwork === spec.hostNetwork) return hit.out;
  const out = addOrUpdateDaemonPodTolerations(spec);
  daemonTolerationsCache.set(spec, { src: spec.tolerations, hostNetwork: spec.hostNetwork, out });
  return out;
}

const shouldNotRun: NodeShouldRun = Object.freeze({ shouldRun: false, shouldContinueRunning: false });
const shouldRunAndContinue: NodeShouldRun = Object.freeze({ shouldRun: true, shouldContinueRunning: true });

/**
 * §5: (shouldRun, shouldContinueRunning) for `ds` on `node`: the predicates of the
 * hypothetical pod (`newHypotheticalPod`), evaluated on the template without building it
 * (this runs for every node in every sync pass). The result is a shared frozen object.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeShouldRun {
  const nodeName = node.metadata.name ?? '';
  const spec = ds.spec.template.spec;
  const tmplNodeName = spec.nodeName;
  if (tmplNodeName && tmplNodeName !== nodeName) return shouldNotRun;
  if (!podMatchesNodeSelectorAndAffinityTerms(spec, node)) return shouldNotRun;
  const taints = node.spec?.taints;
  if (!taints || taints.length === 0) return shouldRunAndContinue;
  const bad = untoleratedTaints(taints, daemonPodTolerations(spec));
  if (bad.length === 0) return shouldRunAndContinue;
  return { shouldRun: false, shouldContinueRunning: !bad.some((t) => t.effect === 'NoExecute') };
}

/**
 * Pins a daemon pod to `nodeName`: the required node affinity becomes exactly one term with
 * one `matchFields metadata.name In [nodeName]` requirement; preferred terms and pod
 * (anti-)affinity are kept. Returns a new Affinity.
 */
export function replaceDaemonSetPodNodeNameNodeAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: nodeFieldSelectorKeyNodeName, operator: 'In', values: [nodeName] }] };
  const a: Affinity = { ...(affinity ?? {}) };
  a.nodeAffinity = { ...(a.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return a;
}

/**
 * The node a daemon pod targets: `spec.nodeName`, else the single value of the first
 * `matchFields metadata.name In` requirement of the required affinity. Undefined when neither
 * exists (the pod is then ignored for node mapping).
 */
export function getTargetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of t.matchFields ?? []) {
      if (f.key === nodeFieldSelectorKeyNodeName && f.operator === 'In') {
        return f.values?.length === 1 ? f.values[0] : undefined;
      }
    }
  }
  return undefined;
}
