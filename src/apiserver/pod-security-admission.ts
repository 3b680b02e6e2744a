// PodSecurity admission (upstream's built-in plugin, on by default since 1.25): each namespace's
// `pod-security.kubernetes.io/{enforce,audit,warn}[-version]` labels choose the Pod Security
// Standards level its pods are held to (the checks: src/api/pod-security.ts). The cluster
// default is upstream's: privileged, latest, in every mode, with no exemptions, so a namespace
// without labels admits anything.
//
// Contract (the registry calls `validate` after validation and the other admission, before the
// write, for creates and for updates, on every compare-and-swap attempt):
// - Pods (create; update of the main resource or of ephemeralcontainers, when the update is
//   significant: a container's image changed, containers added or removed, an ephemeral
//   container added or changed; status, binding and the other subresources are never checked):
//   - enforce: a violation is 403 Forbidden, `pods "NAME" is forbidden: violates PodSecurity
//     "LEVEL:VERSION": REASON (DETAIL), ...`, whoever writes (the DaemonSet controller's
//     creates fail with it too, and record it in their FailedCreate events);
//   - warn (only when not refused): a `Warning: would violate PodSecurity "...": ...` header;
//   - audit: the audit event's annotations (refused writes too): `pod-security.kubernetes.io/
//     enforce-policy` (the enforce level:version checked) and, for a violation of the audit
//     level, `pod-security.kubernetes.io/audit-violations`; for labels that do not parse,
//     `pod-security.kubernetes.io/error`. A namespace privileged in every mode is not evaluated
//     (no annotations), as upstream short-circuits it.
// - Workloads that carry a pod template (DaemonSets, Deployments, ReplicaSets,
//   ReplicationControllers, StatefulSets, Jobs, CronJobs, PodTemplates): warn and audit only,
//   for the template, on creates and main-resource updates; never refused.
// - Namespaces: a create with an invalid label value is 422 (`metadata.labels[KEY]: Invalid
//   value: ...`); an update too, unless the same errors were already there. An update that makes
//   enforce stricter (another level or version, not privileged, and not a looser level at the
//   same version) answers warnings naming the existing pods that would violate it, one line per
//   distinct set of reasons (`NAME (and N other pods): REASONS`), pods of the same controller
//   counted after one of each; at most 3,000 pods and 1 s are spent on it.
// - Invalid labels of a namespace already stored: enforce fails closed (restricted), warn and
//   audit fail open (privileged), an invalid version is latest (podSecurityPolicyOf).
// - The namespace's labels come from `namespaceLabels` (the watch cache, else the store); a
//   namespace not found admits (the registry's namespace lifecycle answers that case).

import { fe, fieldErrorString, forbidden, invalid, qualifiedResource } from '../api/errors.js';
import { resourceRefOf, type KindDef } from '../api/kinds.js';
import {
  compareLevels,
  evaluatePodSecurity,
  forbiddenDetail,
  forbiddenReasons,
  fullyPrivileged,
  levelVersionString,
  podSecurityPolicyOf,
  sameLevelVersion,
  versionString,
  type CheckFailure,
  type LevelVersion,
  type PodForSecurity,
} from '../api/pod-security.js';
import type { KubeObject } from '../api/types.js';

/** Audit annotation keys (upstream's, under the pod-security.kubernetes.io/ prefix). */
export const AUDIT_VIOLATIONS_ANNOTATION = 'pod-security.kubernetes.io/audit-violations';
export const ENFORCE_POLICY_ANNOTATION = 'pod-security.kubernetes.io/enforce-policy';
export const ERROR_ANNOTATION = 'pod-security.kubernetes.io/error';

const MAX_PODS_TO_CHECK = 3000;
const POD_CHECK_TIMEOUT_MS = 1000;

/** Pod subresources whose writes change no pod spec: never checked (upstream's list). */
const ignoredPodSubresources = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

export interface PodSecurityRequest {
  k: KindDef;
  subresource: string | undefined;
  namespace: string | undefined;
  /** The object to be written. */
  object: KubeObject;
  /** The stored object (updates). */
  old?: KubeObject | undefined;
}

export interface PodSecurityDecision {
  warnings: string[];
  /** Annotations for the request's audit event. */
  auditAnnotations?: Record<string, string>;
}

export interface PodSecurityDeps {
  /** A namespace's labels (`{}` when it has none), or undefined when it does not exist. */
  namespaceLabels(ns: string): Promise<Record<string, string> | undefined>;
  /** The pods of a namespace (read-only). */
  listPods(ns: string): Promise<KubeObject[]>;
  now?: () => number;
}

const ALLOWED: PodSecurityDecision = Object.freeze({ warnings: Object.freeze([]) as unknown as string[] });

export class PodSecurityAdmission {
  constructor(private readonly deps: PodSecurityDeps) {}

  /**
   * Admits one write, or rejects with the ApiError that refuses it (see the file comment).
   * Undefined, at once, for the writes it never looks at (other kinds, status writes...): the
   * write path pays nothing more for them.
   */
  validate(req: PodSecurityRequest): Promise<PodSecurityDecision> | undefined {
    const { k } = req;
    if (k.group === '' && k.kind === 'Namespace') return req.subresource === undefined ? this.validateNamespace(req) : undefined;
    if (req.namespace === undefined) return undefined;
    if (k.group === '' && k.kind === 'Pod') {
      if (req.subresource !== undefined && ignoredPodSubresources.has(req.subresource)) return undefined;
      if (req.old && !significantPodUpdate(req.object, req.old)) return undefined;
      const spec = objectField(req.object, 'spec');
      return spec ? this.evaluate(req, { metadata: req.object.metadata, spec }, true) : undefined;
    }
    if (req.subresource !== undefined) return undefined;
    const template = templateOf(k, req.object);
    return template ? this.evaluate(req, template, false) : undefined;
  }

  private async evaluate(req: PodSecurityRequest, pod: PodForSecurity, enforce: boolean): Promise<PodSecurityDecision> {
    const labels = await this.deps.namespaceLabels(req.namespace!);
    // No namespace (the registry answers that), or no labels: the default policy, privileged.
    if (labels === undefined || !hasAny(labels)) return ALLOWED;
    const { policy, errors } = podSecurityPolicyOf(labels);
    if (errors.length === 0 && (enforce ? fullyPrivileged(policy) : policy.warn.level === 'privileged' && policy.audit.level === 'privileged')) return ALLOWED;
    const results: Array<[LevelVersion, CheckFailure[]]> = [];
    const resultsAt = (lv: LevelVersion): CheckFailure[] => {
      const found = results.find(([at]) => sameLevelVersion(at, lv));
      if (found) return found[1];
      const r = evaluatePodSecurity(lv, pod);
      results.push([lv, r]);
      return r;
    };
    // The audit annotations of every pod evaluated, refused or not (upstream's EvaluatePod).
    const annotations: Record<string, string> = {};
    // Labels that do not parse are evaluated as podSecurityPolicyOf falls back, and said (the
    // field errors aggregated as Go's ErrorList: one as it is, several in brackets).
    if (errors.length > 0) {
      const texts = errors.map((e) => fieldErrorString(fe.invalid(`metadata.labels[${e.label}]`, e.value, e.detail)));
      annotations[ERROR_ANNOTATION] = `Failed to parse policy: ${texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`}`;
    }
    if (enforce) annotations[ENFORCE_POLICY_ANNOTATION] = levelVersionString(policy.enforce);
    const refusal = enforce ? resultsAt(policy.enforce) : [];
    const audit = resultsAt(policy.audit);
    if (audit.length > 0) annotations[AUDIT_VIOLATIONS_ANNOTATION] = `would violate PodSecurity "${levelVersionString(policy.audit)}": ${forbiddenDetail(audit)}`;
    if (refusal.length > 0) {
      const ref = resourceRefOf(req.k);
      const name = req.object.metadata.name ?? '';
      const message = `violates PodSecurity "${levelVersionString(policy.enforce)}": ${forbiddenDetail(refusal)}`;
      const err = forbidden(`${qualifiedResource(ref)}${name ? ` "${name}"` : ''} is forbidden: ${message}`, ref, name);
      err.auditAnnotations = annotations;
      throw err;
    }
    const decision: PodSecurityDecision = { warnings: [] };
    if (Object.keys(annotations).length > 0) decision.auditAnnotations = annotations;
    const warn = resultsAt(policy.warn);
    if (warn.length > 0) decision.warnings.push(`would violate PodSecurity "${levelVersionString(policy.warn)}": ${forbiddenDetail(warn)}`);
    return decision;
  }

  private async validateNamespace(req: PodSecurityRequest): Promise<PodSecurityDecision> {
    const name = req.object.metadata.name ?? '';
    const next = podSecurityPolicyOf(req.object.metadata.labels);
    const refuse = () => invalid(resourceRefOf(req.k), name, next.errors.map((e) => fe.invalid(`metadata.labels[${e.label}]`, e.value, e.detail)));
    if (!req.old) {
      if (next.errors.length > 0) throw refuse();
      return ALLOWED;
    }
    const prev = podSecurityPolicyOf(req.old.metadata.labels);
    if (next.errors.length > 0 && (prev.errors.length === 0 || JSON.stringify(prev.errors) !== JSON.stringify(next.errors))) throw refuse();
    const ne = next.policy.enforce;
    const pe = prev.policy.enforce;
    if (sameLevelVersion(ne, pe) || ne.level === 'privileged') return ALLOWED;
    if (versionString(ne.version) === versionString(pe.version) && compareLevels(ne.level, pe.level) < 1) return ALLOWED;
    return { warnings: await this.podsViolating(name, ne) };
  }

  /** Warnings for the pods of `ns` that `enforce` would refuse (upstream's EvaluatePodsInNamespace). */
  private async podsViolating(ns: string, enforce: LevelVersion): Promise<string[]> {
    const now = this.deps.now ?? Date.now;
    const deadline = now() + POD_CHECK_TIMEOUT_MS;
    let pods: KubeObject[];
    try {
      pods = await this.deps.listPods(ns);
    } catch {
      return ['failed to list pods while checking new PodSecurity enforce level'];
    }
    // One pod of each controller first, then the other pods of controllers already seen.
    const first: KubeObject[] = [];
    const rest: KubeObject[] = [];
    const controllers = new Set<string>();
    for (const p of pods) {
      const uid = p.metadata.ownerReferences?.find((r) => r.controller === true)?.uid;
      if (uid === undefined) first.push(p);
      else if (controllers.has(uid)) rest.push(p);
      else {
        controllers.add(uid);
        first.push(p);
      }
    }
    const ordered = [...first, ...rest];
    const total = ordered.length;
    const toCheck = ordered.slice(0, MAX_PODS_TO_CHECK);
    let checked = toCheck.length;
    const byReasons = new Map<string, { pod: string; count: number }>();
    for (let i = 0; i < toCheck.length; i++) {
      const p = toCheck[i]!;
      const spec = objectField(p, 'spec');
      const failures = spec ? evaluatePodSecurity(enforce, { metadata: p.metadata, spec }) : [];
      if (failures.length > 0) {
        const reasons = forbiddenReasons(failures);
        const name = p.metadata.name ?? '';
        const seen = byReasons.get(reasons);
        if (!seen) byReasons.set(reasons, { pod: name, count: 1 });
        else {
          seen.count++;
          if (name < seen.pod) seen.pod = name;
        }
      }
      if (now() > deadline) {
        checked = i + 1;
        break;
      }
    }
    const warnings: string[] = [];
    if (checked < total) warnings.push(`new PodSecurity enforce level only checked against the first ${checked} of ${total} existing pods`);
    if (byReasons.size > 0) warnings.push(`existing pods in namespace "${ns}" violate the new PodSecurity enforce level "${levelVersionString(enforce)}"`);
    const lines = [...byReasons].map(([reasons, { pod, count }]) =>
      count === 1 ? `${pod}: ${reasons}` : count === 2 ? `${pod} (and 1 other pod): ${reasons}` : `${pod} (and ${count - 1} other pods): ${reasons}`,
    );
    return [...warnings, ...lines.sort()];
  }
}

function hasAny(o: Record<string, string>): boolean {
  for (const _ in o) return true;
  return false;
}

function objectField(o: unknown, f: string): Record<string, unknown> | undefined {
  const v = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[f] : undefined;
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The pod template of a workload kind that carries one (undefined: not such a kind, or none set). */
function templateOf(k: KindDef, o: KubeObject): PodForSecurity | undefined {
  let template: Record<string, unknown> | undefined;
  const spec = objectField(o, 'spec');
  if (k.group === '' && k.kind === 'PodTemplate') template = objectField(o, 'template');
  else if ((k.group === '' && k.kind === 'ReplicationController') || (k.group === 'apps' && ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'].includes(k.kind)) || (k.group === 'batch' && k.kind === 'Job')) {
    template = objectField(spec, 'template');
  } else if (k.group === 'batch' && k.kind === 'CronJob') template = objectField(objectField(objectField(spec, 'jobTemplate'), 'spec'), 'template');
  else return undefined;
  const podSpec = objectField(template, 'spec');
  if (!template || !podSpec) return undefined;
  return { metadata: objectField(template, 'metadata') as PodForSecurity['metadata'], spec: podSpec };
}

/** Upstream's isSignificantPodUpdate: only what can change a pod's security is re-checked. */
function significantPodUpdate(next: KubeObject, old: KubeObject): boolean {
  const list = (o: KubeObject, f: string) => {
    const v = objectField(o, 'spec')?.[f];
    return (Array.isArray(v) ? v : []) as Array<{ name?: unknown; image?: unknown }>;
  };
  for (const f of ['containers', 'initContainers']) {
    const a = list(next, f);
    const b = list(old, f);
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (a[i]?.image !== b[i]?.image) return true;
  }
  const oldEphemeral = list(old, 'ephemeralContainers');
  for (const c of list(next, 'ephemeralContainers')) {
    const o = oldEphemeral.find((x) => x.name === c.name);
    if (!o || o.image !== c.image) return true;
  }
  return false;
}
