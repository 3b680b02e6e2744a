// Admission on the node (the kubelet's lifecycle predicate): before a pod bound to this node is
// run for the first time, its resource requests must fit the node's allocatable minus what the
// pods already admitted request, and its host ports must be free on the node.
//
// Assumptions:
// - Requests of a pod = max(sum over regular containers, max over init containers) per resource
//   (upstream's effective request, pod overhead included when set). API defaulting has already
//   copied limits into missing requests.
// - Pods use host networking: a hostPort (or, for hostNetwork pods, a containerPort) is taken on
//   the node IP; hostIP '' / 0.0.0.0 overlaps every address.
// - With the agent's Node at hand, the pod must also match the node (its nodeSelector and
//   required node affinity: reason `NodeAffinity`) and tolerate the node's NoExecute taints
//   (reason `TaintToleration`), as the kubelet's general predicates check; the message is the
//   kubelet's "Predicate <name> failed: <the scheduler plugin's reason>". A caller holding a possibly stale Node re-reads it
//   before acting on these two (admitPod says which reasons depend on the Node: nodeDependent).
// A rejected pod is set Failed with reason `OutOfcpu` / `OutOfmemory` /
// `OutOfephemeral-storage` / `OutOfpods` /
// `NodeAffinity` / `HostPortConflict` / `TaintToleration` and a message; it is never run.

import { podMatchesNodeSelectorAndAffinityTerms } from '../api/node-affinity.js';
import { toleratesTaint } from '../api/taints.js';
import type { Container, Node, Pod } from '../api/types.js';
import { parseQuantity } from '../api/validation/quantity.js';

export interface AdmissionResult {
  admit: boolean;
  reason?: string;
  message?: string;
}

/** Rejection reasons that depend on the Node object (its labels, its taints). */
export const nodeDependent: ReadonlySet<string> = new Set(['NodeAffinity', 'TaintToleration']);

/** The value of a quantity in the given unit scale (cpu: 1000 → millicores), rounded up. */
export function quantityValue(raw: string | number | undefined, scale = 1): number {
  if (raw === undefined) return 0;
  const q = parseQuantity(raw);
  if (!q) return 0;
  const m = q.mantissa * BigInt(scale);
  if (q.exp10 >= 0) return Number(m * 10n ** BigInt(q.exp10));
  const div = 10n ** BigInt(-q.exp10);
  return Number((m + div - 1n) / div);
}

function scaleOf(resource: string): number {
  return resource === 'cpu' ? 1000 : 1;
}

function containerRequest(c: Container, resource: string): number {
  return quantityValue(c.resources?.requests?.[resource] as string | number | undefined, scaleOf(resource));
}

/** The pod's effective request of `resource` (cpu in millicores, memory and ephemeral-storage in bytes). */
export function podRequest(pod: Pod, resource: string): number {
  let sum = 0;
  for (const c of pod.spec.containers) sum += containerRequest(c, resource);
  for (const c of pod.spec.initContainers ?? []) sum = Math.max(sum, containerRequest(c, resource));
  const overhead = (pod.spec as { overhead?: Record<string, string | number> }).overhead?.[resource];
  return sum + quantityValue(overhead, scaleOf(resource));
}

interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const hostNetwork = pod.spec.hostNetwork === true;
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort ?? (hostNetwork ? p.containerPort : undefined);
      if (!port) continue;
      out.push({ hostIP: p.hostIP ?? '', protocol: p.protocol ?? 'TCP', port });
    }
  }
  return out;
}

function ipsOverlap(a: string, b: string): boolean {
  const any = (ip: string): boolean => ip === '' || ip === '0.0.0.0' || ip === '::';
  return any(a) || any(b) || a === b;
}

/**
 * Decides whether `pod` may run next to `admitted` (the pods already running on the node) given
 * the node's allocatable and, when known, the Node. Checks run in the kubelet's order: pods
 * count, resources, node affinity, ports, then NoExecute taints; the first failure is the verdict.
 */
export function admitPod(pod: Pod, admitted: Pod[], allocatable: Record<string, string>, node?: Node): AdmissionResult {
  const maxPods = quantityValue(allocatable.pods);
  if (allocatable.pods !== undefined && admitted.length + 1 > maxPods) {
    return {
      admit: false,
      reason: 'OutOfpods',
      message: `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${maxPods}`,
    };
  }
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    const requested = podRequest(pod, resource);
    if (requested === 0 || allocatable[resource] === undefined) continue;
    const capacity = quantityValue(allocatable[resource], scaleOf(resource));
    const used = admitted.reduce((s, p) => s + podRequest(p, resource), 0);
    if (used + requested > capacity) {
      return {
        admit: false,
        reason: `OutOf${resource}`,
        message: `Pod was rejected: Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
      };
    }
  }
  if (node && !podMatchesNodeSelectorAndAffinityTerms(pod.spec, node)) {
    return { admit: false, reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
  }
  const wanted = podHostPorts(pod);
  if (wanted.length > 0) {
    for (const other of admitted) {
      for (const theirs of podHostPorts(other)) {
        const clash = wanted.find((w) => w.port === theirs.port && w.protocol === theirs.protocol && ipsOverlap(w.hostIP, theirs.hostIP));
        if (clash) {
          return {
            admit: false,
            reason: 'HostPortConflict',
            message:
              `Pod was rejected: node(s) didn't have free ports for the requested pod ports: ` +
              `${clash.protocol} port ${clash.port} is already used by pod ${other.metadata.namespace ?? ''}/${other.metadata.name ?? ''}`,
          };
        }
      }
    }
  }
  const untolerated = (node?.spec?.taints ?? []).some((t) => t.effect === 'NoExecute' && !(pod.spec.tolerations ?? []).some((tol) => toleratesTaint(tol, t)));
  if (untolerated) return { admit: false, reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" };
  return { admit: true };
}
