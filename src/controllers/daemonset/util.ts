// Pod and DaemonSet helpers shared by manage, rolling update and status (upstream
// pkg/controller/daemon/util and pkg/api/v1/pod).

import type { DaemonSet, IntOrString, Pod, PodCondition } from '../../api/types.js';
import { scaledValueFromIntOrPercent } from '../../api/intstr.js';

export const controllerRevisionHashLabel = 'controller-revision-hash';
export const podTemplateGenerationLabel = 'pod-template-generation';
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

export function isPodTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Failed' || p === 'Succeeded';
}

export function getPodReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return getPodReadyCondition(pod)?.status === 'True';
}

/** Ready, and (minReadySeconds 0 or Ready since strictly more than minReadySeconds before `nowMs`). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = getPodReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  if (!c.lastTransitionTime) return false;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isFinite(t) && t + minReadySeconds * 1000 < nowMs;
}

/**
 * Milliseconds until a Ready pod becomes available (isPodAvailable turns true), at least 1;
 * undefined when it is not Ready, already available, or has no readiness time to count from.
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const c = getPodReadyCondition(pod);
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  if (!Number.isFinite(t) || t + minReadySeconds * 1000 < nowMs) return undefined;
  return t + minReadySeconds * 1000 - nowMs + 1;
}

/** The DS template generation from its annotation; undefined when absent or unparsable. */
export function getTemplateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[templateGenerationAnnotation];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Hash label equals `hash`, or pod-template-generation label equals the DS template generation (decision 3). */
export function isPodUpdated(pod: Pod, hash: string, templateGeneration: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches = templateGeneration !== undefined && labels[podTemplateGenerationLabel] === String(templateGeneration);
  const hashMatches = hash.length > 0 && labels[controllerRevisionHashLabel] === hash;
  return hashMatches || templateMatches;
}

function ts(p: Pod): number {
  const t = p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/** §6.2 "oldest first": scheduled before unscheduled, then creationTimestamp, then name. */
export function comparePodsByCreationTimestampAndPhase(a: Pod, b: Pod): number {
  const as = !!a.spec.nodeName;
  const bs = !!b.spec.nodeName;
  if (as !== bs) return as ? -1 : 1;
  const d = ts(a) - ts(b);
  if (d !== 0) return d;
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

function rollingUpdateOf(ds: DaemonSet): { maxUnavailable?: IntOrString; maxSurge?: IntOrString } | undefined {
  const s = ds.spec.updateStrategy;
  // An undefined type is treated as the apps/v1 default (RollingUpdate).
  if ((s?.type ?? 'RollingUpdate') !== 'RollingUpdate') return undefined;
  return s?.rollingUpdate ?? {};
}

export function isRollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge resolved against `numberToSchedule` (0 when not RollingUpdate or unset). */
export function surgeCount(ds: DaemonSet, numberToSchedule: number): number {
  const r = rollingUpdateOf(ds);
  if (!r || r.maxSurge === undefined) return 0;
  return scaledValueFromIntOrPercent(r.maxSurge, numberToSchedule, true);
}

/** maxUnavailable resolved against `numberToSchedule` (unset defaults to 1, as the apiserver would). */
export function unavailableCount(ds: DaemonSet, numberToSchedule: number): number {
  const r = rollingUpdateOf(ds);
  if (!r) return 0;
  return scaledValueFromIntOrPercent(r.maxUnavailable ?? 1, numberToSchedule, true);
}

/** Surge is allowed when maxSurge resolved against 1 is non-zero. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}
