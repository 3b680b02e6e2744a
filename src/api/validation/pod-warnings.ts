// Upstream's warnings for an accepted pod or pod template (its pod warnings: deprecated node
// labels, annotations and volume plugins, values that validate but do not do what they seem
// to). They are answered as `Warning` headers, which kubectl prints; nothing is refused.
//
// Contract: `podSpecWarnings` reads a defaulted object (ports carry their protocol) and never
// throws on malformed parts (validation reports those); the order is upstream's, so the
// messages read as a real server's.

import { arr, num, obj, str, type Obj } from './util.js';
import { formatQuantity, isInteger, parseQuantity } from './quantity.js';

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';

/** Deprecated node labels and upstream's message for each. */
const deprecatedNodeLabels: ReadonlyMap<string, string> = new Map([
  ['beta.kubernetes.io/arch', 'deprecated since v1.14; use "kubernetes.io/arch" instead'],
  ['beta.kubernetes.io/os', 'deprecated since v1.14; use "kubernetes.io/os" instead'],
  ['failure-domain.beta.kubernetes.io/region', 'deprecated since v1.17; use "topology.kubernetes.io/region" instead'],
  ['failure-domain.beta.kubernetes.io/zone', 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead'],
  ['beta.kubernetes.io/instance-type', 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead'],
  ['app.kubernetes.io/created-by', 'deprecated since v1.9'],
  ['scheduler.alpha.kubernetes.io/preferAvoidPods', 'deprecated since v1.22; use Taints and Tolerations instead'],
  ['node-role.kubernetes.io/master', 'use "node-role.kubernetes.io/control-plane" instead'],
]);

/** Pod annotations that no longer do anything, and what replaced them. */
const deprecatedAnnotations: ReadonlyArray<[key: string, message: string]> = [
  ['scheduler.alpha.kubernetes.io/critical-pod', 'non-functional in v1.16+; use the "priorityClassName" field instead'],
  ['security.alpha.kubernetes.io/sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
  ['security.alpha.kubernetes.io/unsafe-sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
];

/** Volume plugins removed or on their way out: the JSON key, the name upstream's message shows, the message. */
const deprecatedVolumes: ReadonlyArray<[key: string, shown: string, message: string]> = [
  ['photonPersistentDisk', 'photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['gitRepo', 'gitRepo', 'deprecated in v1.11'],
  ['scaleIO', 'scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['flocker', 'flocker', 'deprecated in v1.22, non-functional in v1.25+'],
  ['storageos', 'storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['quobyte', 'quobyte', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
  ['cephfs', 'cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['rbd', 'rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

/** The containers of a pod spec with their paths, in upstream's order: init, regular, ephemeral. */
function containersWithPaths(spec: Obj, specPath: string): Array<[Obj, string]> {
  const out: Array<[Obj, string]> = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(spec[list]).forEach((c, i) => {
      const o = obj(c);
      if (o) out.push([o, `${specPath}.${list}[${i}]`]);
    });
  }
  return out;
}

/** `path: fractional byte value "100m" is invalid, must be an integer` for a quantity with a fraction of a byte. */
function fractionalBytes(v: unknown, path: string, out: string[]): void {
  const q = v === undefined ? undefined : parseQuantity(v);
  if (q && !isInteger(q)) out.push(`${path}: fractional byte value ${JSON.stringify(formatQuantity(q))} is invalid, must be an integer`);
}

/** Go's %+v of a ContainerPort: `{Name: HostPort:0 ContainerPort:80 Protocol:TCP HostIP:1.2.3.4}`. */
function goPort(p: Obj): string {
  return `{Name:${str(p.name) ?? ''} HostPort:${num(p.hostPort) ?? 0} ContainerPort:${num(p.containerPort) ?? 0} Protocol:${str(p.protocol) ?? ''} HostIP:${str(p.hostIP) ?? ''}}`;
}

function nodeSelectorTermWarnings(term: unknown, path: string, out: string[]): void {
  arr(obj(term)?.matchExpressions).forEach((e, j) => {
    const k = str(obj(e)?.key);
    const msg = k === undefined ? undefined : deprecatedNodeLabels.get(k);
    if (msg) out.push(`${path}.matchExpressions[${j}].key: ${k} is ${msg}`);
  });
}

function nullSelector(term: unknown): boolean {
  const s = obj(term)?.labelSelector;
  return s === undefined || s === null;
}

/**
 * Upstream's warnings for a pod's or a template's metadata and spec (GetWarningsForPod,
 * GetWarningsForPodTemplate); `metaPath` and `specPath` are where they sit (`metadata`, `spec`
 * for a pod; `spec.template.metadata`, `spec.template.spec` for a template).
 */
/** Upstream's GetWarningsForRuntimeClass: a deprecated node label in scheduling.nodeSelector (the key is not named). */
export function runtimeClassWarnings(rc: Obj): string[] {
  const out: string[] = [];
  for (const k of Object.keys(obj(obj(rc.scheduling)?.nodeSelector) ?? {})) {
    const msg = deprecatedNodeLabels.get(k);
    if (msg) out.push(`scheduling.nodeSelector: ${msg}`);
  }
  return out;
}

export function podSpecWarnings(metadata: unknown, specv: unknown, metaPath: string, specPath: string): string[] {
  const w: string[] = [];
  const spec = obj(specv) ?? {};
  const annotations = obj(obj(metadata)?.annotations) ?? {};
  const has = (k: string): boolean => Object.hasOwn(annotations, k);

  // Deprecated node labels in the node selector, node affinity and spread constraints.
  for (const k of Object.keys(obj(spec.nodeSelector) ?? {})) {
    const msg = deprecatedNodeLabels.get(k);
    if (msg) w.push(`${specPath}.nodeSelector[${k}]: ${msg}`);
  }
  const affinity = obj(spec.affinity);
  const nodeAffinity = obj(affinity?.nodeAffinity);
  if (nodeAffinity) {
    const termsPath = `${specPath}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    arr(obj(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)?.nodeSelectorTerms).forEach((t, i) => nodeSelectorTermWarnings(t, `${termsPath}[${i}]`, w));
    arr(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
      nodeSelectorTermWarnings(obj(t)?.preference, `${specPath}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference`, w),
    );
  }
  arr(spec.topologySpreadConstraints).forEach((t, i) => {
    const at = `${specPath}.topologySpreadConstraints[${i}]`;
    const key = str(obj(t)?.topologyKey);
    const msg = key === undefined ? undefined : deprecatedNodeLabels.get(key);
    if (msg) w.push(`${at}.topologyKey: ${key} is ${msg}`);
    if (nullSelector(t)) w.push(`${at}.labelSelector: a null labelSelector results in matching no pod`);
  });

  for (const [k, msg] of deprecatedAnnotations) if (has(k)) w.push(`${metaPath}.annotations[${k}]: ${msg}`);

  const volumes = arr(spec.volumes).map((v) => obj(v) ?? {});
  volumes.forEach((v, i) => {
    for (const [k, shown, msg] of deprecatedVolumes) if (v[k] !== undefined && v[k] !== null) w.push(`${specPath}.volumes[${i}].${shown}: ${msg}`);
  });

  // Projected paths that a service account token's path shadows.
  const sources = (v: Obj): Obj[] => arr(obj(v.projected)?.sources).map((s) => obj(s) ?? {});
  const tokenPaths = new Set<string>();
  for (const v of volumes) for (const s of sources(v)) {
    const p = str(obj(s.serviceAccountToken)?.path);
    if (p !== undefined) tokenPaths.add(p);
  }
  if (tokenPaths.size > 0) {
    volumes.forEach((v, i) => {
      const at = `${specPath}.volumes[${i}].projected.sources`;
      const shadowed = (p: unknown): p is string => typeof p === 'string' && tokenPaths.has(p);
      for (const s of sources(v)) {
        // upstream's paths, as its message writes them (`secrets`, `ClusterTrustBundle`)
        arr(obj(s.configMap)?.items).forEach((it, j) => {
          const p = obj(it)?.path;
          if (shadowed(p)) w.push(`${at}.configMap[${j}]: has duplicated path with ServiceAccountToken ${JSON.stringify(p)}`);
        });
        arr(obj(s.secret)?.items).forEach((it, j) => {
          const p = obj(it)?.path;
          if (shadowed(p)) w.push(`${at}.secrets[${j}]: has duplicated path with ServiceAccountToken ${JSON.stringify(p)}`);
        });
        arr(obj(s.downwardAPI)?.items).forEach((it, j) => {
          const p = obj(it)?.path;
          if (shadowed(p)) w.push(`${at}.downwardAPI[${j}]: has duplicated path with ServiceAccountToken ${JSON.stringify(p)}`);
        });
        const bundlePath = obj(s.clusterTrustBundle)?.path;
        if (shadowed(bundlePath)) w.push(`${at}.ClusterTrustBundle: has duplicated path with ServiceAccountToken ${JSON.stringify(bundlePath)}`);
      }
    });
  }

  const ips = new Set<string>();
  arr(spec.hostAliases).forEach((a, i) => {
    const ip = str(obj(a)?.ip) ?? '';
    if (ips.has(ip)) w.push(`${specPath}.hostAliases[${i}].ip: duplicate ip ${JSON.stringify(ip)}`);
    else ips.add(ip);
  });
  const pullSecrets = arr(spec.imagePullSecrets).map((s) => str(obj(s)?.name) ?? '');
  const secretNames = new Set<string>();
  pullSecrets.forEach((n, i) => {
    if (secretNames.has(n)) w.push(`${specPath}.imagePullSecrets[${i}].name: duplicate name ${JSON.stringify(n)}`);
    else secretNames.add(n);
  });
  pullSecrets.forEach((n, i) => {
    if (n === '') w.push(`${specPath}.imagePullSecrets[${i}].name: invalid empty name ""`);
  });

  const overhead = obj(spec.overhead) ?? {};
  for (const r of ['memory', 'ephemeral-storage']) fractionalBytes(overhead[r], `${specPath}.overhead[${r}]`, w);

  const podSecurity = obj(spec.securityContext);
  if (podSecurity?.seccompProfile == null && has(SECCOMP_POD)) w.push(`${metaPath}.annotations[${SECCOMP_POD}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
  const podAppArmor = podSecurity?.appArmorProfile != null;

  const containers = containersWithPaths(spec, specPath);
  for (const [c, at] of containers) {
    const name = str(c.name) ?? '';
    const security = obj(c.securityContext);
    if (security?.seccompProfile == null && has(SECCOMP_CONTAINER + name)) {
      w.push(`${metaPath}.annotations[${SECCOMP_CONTAINER}${name}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
    }
    if (!podAppArmor && security?.appArmorProfile == null && has(APPARMOR_CONTAINER + name)) {
      w.push(`${metaPath}.annotations[${APPARMOR_CONTAINER}${name}]: deprecated since v1.30; use the "appArmorProfile" field instead`);
    }
    const resources = obj(c.resources);
    const limits = obj(resources?.limits) ?? {};
    const requests = obj(resources?.requests) ?? {};
    fractionalBytes(limits.memory, `${at}.resources.limits[memory]`, w);
    fractionalBytes(requests.memory, `${at}.resources.requests[memory]`, w);
    fractionalBytes(limits['ephemeral-storage'], `${at}.resources.limits[ephemeral-storage]`, w);
    fractionalBytes(requests['ephemeral-storage'], `${at}.resources.requests[ephemeral-storage]`, w);

    // A repeated env name: kept when the later value builds on the earlier one ("$(X):more"),
    // else one of the two is lost to apply (which keys env by name).
    const seen = new Set<string>();
    arr(c.env).forEach((e, i) => {
      const item = obj(e) ?? {};
      const n = str(item.name) ?? '';
      if (!seen.has(n)) {
        seen.add(n);
        return;
      }
      const ref = `$(${n})`;
      const value = str(item.value) ?? '';
      const bad = (item.valueFrom !== undefined && item.valueFrom !== null) || value === ref || !value.includes(ref);
      if (bad) w.push(`${at}.env[${i}]: hides previous definition of ${JSON.stringify(n)}, which may be dropped when using apply`);
    });
  }

  // Ports across all containers: the same port and protocol twice.
  const byPort = new Map<string, Array<{ at: string; hostIP: string; hostPort: number }>>();
  for (const [c, at] of containers) {
    arr(c.ports).forEach((pv, i) => {
      const p = obj(pv) ?? {};
      const here = `${at}.ports[${i}]`;
      const hostIP = str(p.hostIP) ?? '';
      const hostPort = num(p.hostPort) ?? 0;
      if (hostIP !== '' && hostPort === 0) w.push(`${here}: hostIP set without hostPort: ${goPort(p)}`);
      const k = `${num(p.containerPort) ?? 0}/${str(p.protocol) ?? ''}`;
      const others = byPort.get(k) ?? [];
      for (const o of others) {
        if (hostIP === o.hostIP && hostPort === o.hostPort) w.push(`${here}: duplicate port definition with ${o.at}`);
        else if (hostPort === 0 || o.hostPort === 0) w.push(`${here}: overlapping port definition with ${o.at}`);
        else if (hostPort === o.hostPort && (hostIP === '') !== (o.hostIP === '')) w.push(`${here}: dangerously ambiguous port definition with ${o.at}`);
      }
      others.push({ at: here, hostIP, hostPort });
      byPort.set(k, others);
    });
  }

  const grace = num(spec.terminationGracePeriodSeconds);
  if (grace !== undefined && grace < 0) w.push(`${specPath}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`);

  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = obj(affinity?.[kind]);
    if (!a) continue;
    const at = `${specPath}.affinity.${kind}`;
    arr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      if (nullSelector(t)) w.push(`${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector: a null labelSelector results in matching no pod`);
    });
    arr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      if (nullSelector(obj(t)?.podAffinityTerm)) w.push(`${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm.labelSelector: a null labelSelector results in matching no pod`);
    });
  }
  return w;
}
