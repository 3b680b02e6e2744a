// Pod Security Standards: the checks of upstream's PodSecurity admission (pod-security-admission
// v0.32), as pure functions of a pod's metadata and spec. The admission that applies them to
// requests (namespace labels, enforce / warn / audit) is src/apiserver/pod-security-admission.ts.
//
// Contract:
// - Three levels: `privileged` (no checks), `baseline`, `restricted` (baseline's checks, minus
//   those a restricted check replaces at that version, plus the restricted checks).
// - A policy version is `latest` or `v1.N`. Each check has versioned forms (a check applies from
//   its first form's version on; a later form replaces an earlier one from its version on).
//   `latest` and any version past the newest form (v1.32) evaluate as v1.32.
// - Results come in a fixed order: baseline checks by id, then restricted checks by id (ids
//   compared byte by byte, as upstream sorts them), so messages are stable.
// - Reasons and details are upstream's words: a violation renders as `reason (detail)`, joined
//   with ", " (forbiddenDetail), as in `violates PodSecurity "restricted:latest": ...`.
// - Containers are visited init containers first, then containers, then ephemeral containers.
// - Sets of values in messages (capabilities, host ports, volume types, profile types) are
//   sorted as strings and deduplicated; container and volume names keep their order.

import type { ObjectMeta } from './types.js';
import { goQuote } from '../util/go-quote.js';

/** Go's %q (util/go-quote.ts), which this module's messages print with. */
export { goQuote };

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A policy version: `latest`, or v1.minor. */
export type PodSecurityVersion = { latest: true } | { latest: false; minor: number };

export interface LevelVersion {
  level: PodSecurityLevel;
  version: PodSecurityVersion;
}

/** The three modes of a namespace's policy. */
export interface PodSecurityPolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

/** One failed check: upstream's ForbiddenReason and ForbiddenDetail. */
export interface CheckFailure {
  reason: string;
  detail: string;
}

export const POD_SECURITY_LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LEVEL_LABEL = `${POD_SECURITY_LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${POD_SECURITY_LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${POD_SECURITY_LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${POD_SECURITY_LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${POD_SECURITY_LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${POD_SECURITY_LABEL_PREFIX}warn-version`;

const LATEST: PodSecurityVersion = { latest: true };
const privilegedLatest = (): LevelVersion => ({ level: 'privileged', version: LATEST });

/** The cluster's default policy (upstream's defaults: privileged, latest, in every mode). */
export function defaultPodSecurityPolicy(): PodSecurityPolicy {
  return { enforce: privilegedLatest(), audit: privilegedLatest(), warn: privilegedLatest() };
}

export function versionString(v: PodSecurityVersion): string {
  return v.latest ? 'latest' : `v1.${v.minor}`;
}

/** `level:version`, as upstream prints a LevelVersion (`restricted:latest`, `baseline:v1.25`). */
export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${versionString(lv.version)}`;
}

export function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && versionString(a.version) === versionString(b.version);
}

/** Both privileged (whatever their versions), or the same level and version. */
export function equivalentLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return (a.level === 'privileged' && b.level === 'privileged') || sameLevelVersion(a, b);
}

export function fullyPrivileged(p: PodSecurityPolicy): boolean {
  return p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';
}

/** -1, 0, 1 as level a is looser than, as strict as, stricter than b. */
export function compareLevels(a: PodSecurityLevel, b: PodSecurityLevel): number {
  const rank = { privileged: 0, baseline: 1, restricted: 2 } as const;
  return Math.sign(rank[a] - rank[b]);
}

function parseLevel(value: string): PodSecurityLevel | undefined {
  return value === 'privileged' || value === 'baseline' || value === 'restricted' ? value : undefined;
}

function parseVersion(value: string): PodSecurityVersion | undefined {
  if (value === 'latest') return LATEST;
  const m = /^v1\.([0-9]|[1-9][0-9]*)$/.exec(value);
  if (!m) return undefined;
  const minor = Number(m[1]);
  return Number.isSafeInteger(minor) ? { latest: false, minor } : undefined;
}

/** A label value the policy could not use: upstream's field error (metadata.labels[KEY]). */
export interface PolicyLabelError {
  label: string;
  value: string;
  detail: string;
}

const LEVEL_ERROR = 'must be one of privileged, baseline, restricted';
const VERSION_ERROR = 'must be "latest" or "v1.x"';

/**
 * The policy a namespace's labels ask for, on top of `defaults` (upstream's PolicyToEvaluate):
 * - an invalid enforce level enforces `restricted` (fail closed); invalid audit and warn levels
 *   are `privileged` (fail open); an invalid version is `latest`; each is also an error;
 * - without a warn label, warn follows a valid enforce level when that is stricter than the
 *   default warn level (and its version, unless a warn version is set).
 */
export function podSecurityPolicyOf(labels: Record<string, string> | undefined, defaults: PodSecurityPolicy = defaultPodSecurityPolicy()): { policy: PodSecurityPolicy; errors: PolicyLabelError[] } {
  const p: PodSecurityPolicy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: PolicyLabelError[] = [];
  if (!labels) return { policy: p, errors };
  const level = (label: string, failTo: PodSecurityLevel): PodSecurityLevel | undefined => {
    const value = labels[label];
    if (value === undefined) return undefined;
    const l = parseLevel(value);
    if (l === undefined) errors.push({ label, value, detail: LEVEL_ERROR });
    return l ?? failTo;
  };
  const version = (label: string): PodSecurityVersion | undefined => {
    const value = labels[label];
    if (value === undefined) return undefined;
    const v = parseVersion(value);
    if (v === undefined) errors.push({ label, value, detail: VERSION_ERROR });
    return v ?? LATEST;
  };
  let hasEnforceLevel = false;
  const enforceLevel = level(ENFORCE_LEVEL_LABEL, 'restricted');
  if (enforceLevel !== undefined) {
    p.enforce.level = enforceLevel;
    hasEnforceLevel = parseLevel(labels[ENFORCE_LEVEL_LABEL]!) !== undefined;
  }
  const enforceVersion = version(ENFORCE_VERSION_LABEL);
  if (enforceVersion) p.enforce.version = enforceVersion;
  const auditLevel = level(AUDIT_LEVEL_LABEL, 'privileged');
  if (auditLevel !== undefined) p.audit.level = auditLevel;
  const auditVersion = version(AUDIT_VERSION_LABEL);
  if (auditVersion) p.audit.version = auditVersion;
  const warnLevel = level(WARN_LEVEL_LABEL, 'privileged');
  if (warnLevel !== undefined) p.warn.level = warnLevel;
  const warnVersion = version(WARN_VERSION_LABEL);
  if (warnVersion) p.warn.version = warnVersion;
  if (warnLevel === undefined && hasEnforceLevel && compareLevels(p.enforce.level, p.warn.level) > 0) {
    p.warn.level = p.enforce.level;
    if (warnVersion === undefined) p.warn.version = p.enforce.version;
  }
  return { policy: p, errors };
}

// ---------------------------------------------------------------------------------------------
// The checks

type Obj = Record<string, unknown>;

/** What the checks read of a pod (or a workload's pod template). */
export interface PodForSecurity {
  metadata?: Pick<ObjectMeta, 'annotations'> | undefined;
  spec: Obj;
}

interface ContainerView {
  name: string;
  sc: Obj | undefined;
  c: Obj;
}

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Init containers, containers, ephemeral containers, in that order. */
function containersOf(spec: Obj): ContainerView[] {
  const out: ContainerView[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const raw of arr(spec[field])) {
      const c = obj(raw);
      if (c) out.push({ name: str(c['name']), sc: obj(c['securityContext']), c });
    }
  }
  return out;
}

function podSc(spec: Obj): Obj | undefined {
  return obj(spec['securityContext']);
}

function joinQuote(items: string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

function plural(singular: string, pluralForm: string, n: number): string {
  return n === 1 ? singular : pluralForm;
}

function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byteOrder);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `containers "a", "b"` / `container "a"`. */
function containersPhrase(names: string[]): string {
  return `${plural('container', 'containers', names.length)} ${joinQuote(names)}`;
}

type CheckFn = (meta: PodForSecurity['metadata'], spec: Obj) => CheckFailure | undefined;

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** Forms by first minor version, increasing. */
  versions: Array<{ min: number; fn: CheckFn; overrides?: string[] }>;
}

const hostNamespaces: CheckFn = (_m, spec) => {
  const used = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true).map((f) => `${f}=true`);
  return used.length > 0 ? { reason: 'host namespaces', detail: used.join(', ') } : undefined;
};

const privileged: CheckFn = (_m, spec) => {
  const bad = containersOf(spec).filter((c) => c.sc?.['privileged'] === true).map((c) => c.name);
  return bad.length > 0 ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
};

const baselineCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesOf(c: ContainerView): Obj | undefined {
  return obj(c.sc?.['capabilities']);
}

const capabilitiesBaseline: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of containersOf(spec)) {
    const added = arr(capabilitiesOf(c)?.['add']).map(str).filter((cap) => !baselineCapabilities.has(cap));
    if (added.length > 0) {
      bad.push(c.name);
      caps.push(...added);
    }
  }
  return bad.length > 0
    ? { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` }
    : undefined;
};

const hostPathVolumes: CheckFn = (_m, spec) => {
  const bad = arr(spec['volumes']).map(obj).filter((v): v is Obj => v !== undefined && v['hostPath'] !== undefined && v['hostPath'] !== null).map((v) => str(v['name']));
  return bad.length > 0 ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad)}` } : undefined;
};

const hostPorts: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of containersOf(spec)) {
    const used = arr(c.c['ports']).map(obj).map((p) => p?.['hostPort']).filter((p): p is number => typeof p === 'number' && p !== 0);
    if (used.length > 0) {
      bad.push(c.name);
      ports.push(...used.map(String));
    }
  }
  if (bad.length === 0) return undefined;
  const set = sortedSet(ports);
  return { reason: 'hostPort', detail: `${containersPhrase(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', set.length)} ${set.join(', ')}` };
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const appArmorProfile: CheckFn = (meta, spec) => {
  const allowedType = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = obj(podSc(spec)?.['appArmorProfile']);
  if (podProfile && !allowedType(podProfile['type'])) {
    setters.push('pod');
    values.push(str(podProfile['type']));
  }
  const bad: string[] = [];
  for (const c of containersOf(spec)) {
    const profile = obj(c.sc?.['appArmorProfile']);
    if (profile && !allowedType(profile['type'])) {
      bad.push(c.name);
      values.push(str(profile['type']));
    }
  }
  if (bad.length > 0) setters.push(containersPhrase(bad));
  const annotations = Object.entries(meta?.annotations ?? {})
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => `${k}=${goQuote(v)}`)
    .sort(byteOrder);
  const list = [...sortedSet(values), ...annotations];
  if (annotations.length > 0) setters.push(plural('annotation', 'annotations', annotations.length));
  if (setters.length === 0) return undefined;
  return {
    reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', list.length),
    detail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(list)}`,
  };
};

const procMount: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const c of containersOf(spec)) {
    const pm = c.sc?.['procMount'];
    if (pm !== undefined && pm !== null && pm !== 'Default') {
      bad.push(c.name);
      types.push(str(pm));
    }
  }
  return bad.length > 0 ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}` } : undefined;
};

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckFn {
  return (_m, spec) => {
    const setters: string[] = [];
    const types: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: Obj): boolean => {
      let ok = true;
      const t = str(o['type']);
      if (!allowedTypes.has(t)) {
        ok = false;
        types.push(t);
      }
      if (str(o['user']) !== '') {
        ok = false;
        setUser = true;
      }
      if (str(o['role']) !== '') {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOpts = obj(podSc(spec)?.['seLinuxOptions']);
    if (podOpts && !valid(podOpts)) setters.push('pod');
    const bad: string[] = [];
    for (const c of containersOf(spec)) {
      const o = obj(c.sc?.['seLinuxOptions']);
      if (o && !valid(o)) bad.push(c.name);
    }
    if (bad.length > 0) setters.push(containersPhrase(bad));
    if (setters.length === 0) return undefined;
    const data: string[] = [];
    const typeSet = sortedSet(types);
    if (typeSet.length > 0) data.push(`${plural('type', 'types', typeSet.length)} ${joinQuote(typeSet)}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  };
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompType = (t: unknown) => t === 'Localhost' || t === 'RuntimeDefault';

const seccompBaselineAnnotations: CheckFn = (meta, spec) => {
  const annotations = meta?.annotations ?? {};
  const validValue = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const forbidden: string[] = [];
  const pod = annotations[SECCOMP_POD_ANNOTATION];
  if (pod !== undefined && !validValue(pod)) forbidden.push(`${SECCOMP_POD_ANNOTATION}=${goQuote(pod)}`);
  for (const c of containersOf(spec)) {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    const v = annotations[key];
    if (v !== undefined && !validValue(v)) forbidden.push(`${key}=${goQuote(v)}`);
  }
  const set = sortedSet(forbidden);
  return set.length > 0 ? { reason: 'seccompProfile', detail: `forbidden ${plural('annotation', 'annotations', set.length)} ${set.join(', ')}` } : undefined;
};

/** The seccomp checks from v1.19: explicit bad types; with `required`, also containers that set none. */
function seccompFields(required: boolean, skipWindows: boolean): CheckFn {
  return (_m, spec) => {
    if (skipWindows && isWindows(spec)) return undefined;
    const setters: string[] = [];
    const values: string[] = [];
    let podSet = false;
    const podProfile = obj(podSc(spec)?.['seccompProfile']);
    if (podProfile) {
      if (!validSeccompType(podProfile['type'])) {
        setters.push('pod');
        values.push(str(podProfile['type']));
      } else podSet = true;
    }
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containersOf(spec)) {
      const profile = obj(c.sc?.['seccompProfile']);
      if (profile) {
        if (!validSeccompType(profile['type'])) {
          explicit.push(c.name);
          values.push(str(profile['type']));
        }
      } else if (!podSet) implicit.push(c.name);
    }
    if (explicit.length > 0) setters.push(containersPhrase(explicit));
    if (setters.length > 0) return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}` };
    if (required && implicit.length > 0) {
      return { reason: 'seccompProfile', detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
    }
    return undefined;
  };
}

const sysctls1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const sysctls1_27 = [...sysctls1_0, 'net.ipv4.ip_local_reserved_ports'];
const sysctls1_29 = [...sysctls1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const sysctls1_32 = [...sysctls1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

function sysctlsCheck(allowed: readonly string[]): CheckFn {
  const set = new Set(allowed);
  return (_m, spec) => {
    const bad = arr(podSc(spec)?.['sysctls']).map((s) => str(obj(s)?.['name'])).filter((n) => !set.has(n));
    return bad.length > 0 ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
  };
}

const windowsHostProcess: CheckFn = (_m, spec) => {
  const hostProcess = (sc: Obj | undefined) => obj(sc?.['windowsOptions'])?.['hostProcess'] === true;
  const setters: string[] = [];
  if (hostProcess(podSc(spec))) setters.push('pod');
  const bad = containersOf(spec).filter((c) => hostProcess(c.sc)).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return setters.length > 0 ? { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
};

function isWindows(spec: Obj): boolean {
  return obj(spec['os'])?.['name'] === 'windows';
}

function allowPrivilegeEscalation(skipWindows: boolean): CheckFn {
  return (_m, spec) => {
    if (skipWindows && isWindows(spec)) return undefined;
    const bad = containersOf(spec).filter((c) => c.sc?.['allowPrivilegeEscalation'] !== false).map((c) => c.name);
    return bad.length > 0 ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
  };
}

function capabilitiesRestricted(skipWindows: boolean): CheckFn {
  return (_m, spec) => {
    if (skipWindows && isWindows(spec)) return undefined;
    const missingDrop: string[] = [];
    const adding: string[] = [];
    const caps: string[] = [];
    for (const c of containersOf(spec)) {
      const capabilities = capabilitiesOf(c);
      if (!capabilities) {
        missingDrop.push(c.name);
        continue;
      }
      if (!arr(capabilities['drop']).includes('ALL')) missingDrop.push(c.name);
      const added = arr(capabilities['add']).map(str).filter((cap) => cap !== 'NET_BIND_SERVICE');
      if (added.length > 0) {
        adding.push(c.name);
        caps.push(...added);
      }
    }
    const details: string[] = [];
    if (missingDrop.length > 0) details.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length > 0) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
    return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
  };
}

const allowedVolumeSources = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const restrictedVolumeSources = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc',
  'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

const restrictedVolumes: CheckFn = (_m, spec) => {
  const bad: string[] = [];
  const types: string[] = [];
  const present = (v: Obj, f: string) => v[f] !== undefined && v[f] !== null;
  for (const raw of arr(spec['volumes'])) {
    const v = obj(raw);
    if (!v || allowedVolumeSources.some((f) => present(v, f))) continue;
    bad.push(str(v['name']));
    types.push(restrictedVolumeSources.find((f) => present(v, f)) ?? 'unknown');
  }
  if (bad.length === 0) return undefined;
  const set = sortedSet(types);
  return {
    reason: 'restricted volume types',
    detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', set.length)} ${joinQuote(set)}`,
  };
};

const runAsNonRoot: CheckFn = (_m, spec) => {
  const setters: string[] = [];
  let podNonRoot = false;
  const podValue = podSc(spec)?.['runAsNonRoot'];
  if (typeof podValue === 'boolean') {
    if (!podValue) setters.push('pod');
    else podNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containersOf(spec)) {
    const v = c.sc?.['runAsNonRoot'];
    if (typeof v === 'boolean') {
      if (!v) explicit.push(c.name);
    } else if (!podNonRoot) implicit.push(c.name);
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  if (setters.length > 0) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length > 0) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
};

const runAsUser: CheckFn = (_m, spec) => {
  const setters: string[] = [];
  if (podSc(spec)?.['runAsUser'] === 0) setters.push('pod');
  const bad = containersOf(spec).filter((c) => c.sc?.['runAsUser'] === 0).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return setters.length > 0 ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
};

const checks: Check[] = [
  { id: 'hostNamespaces', level: 'baseline', versions: [{ min: 0, fn: hostNamespaces }] },
  { id: 'privileged', level: 'baseline', versions: [{ min: 0, fn: privileged }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ min: 0, fn: capabilitiesBaseline }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ min: 0, fn: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ min: 0, fn: hostPorts }] },
  { id: 'appArmorProfile', level: 'baseline', versions: [{ min: 0, fn: appArmorProfile }] },
  { id: 'procMount', level: 'baseline', versions: [{ min: 0, fn: procMount }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { min: 0, fn: seLinuxOptions(new Set(['', 'container_t', 'container_init_t', 'container_kvm_t'])) },
      { min: 31, fn: seLinuxOptions(new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'])) },
    ],
  },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ min: 0, fn: seccompBaselineAnnotations }, { min: 19, fn: seccompFields(false, false) }] },
  { id: 'sysctls', level: 'baseline', versions: [{ min: 0, fn: sysctlsCheck(sysctls1_0) }, { min: 27, fn: sysctlsCheck(sysctls1_27) }, { min: 29, fn: sysctlsCheck(sysctls1_29) }, { min: 32, fn: sysctlsCheck(sysctls1_32) }] },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ min: 0, fn: windowsHostProcess }] },
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ min: 8, fn: allowPrivilegeEscalation(false) }, { min: 25, fn: allowPrivilegeEscalation(true) }] },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { min: 22, fn: capabilitiesRestricted(false), overrides: ['capabilities_baseline'] },
      { min: 25, fn: capabilitiesRestricted(true), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ min: 0, fn: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ min: 0, fn: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ min: 23, fn: runAsUser }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { min: 19, fn: seccompFields(true, false), overrides: ['seccompProfile_baseline'] },
      { min: 25, fn: seccompFields(true, true), overrides: ['seccompProfile_baseline'] },
    ],
  },
];

/** The newest minor any check has a form for: `latest` and later versions evaluate as this one. */
export const POD_SECURITY_MAX_MINOR = Math.max(...checks.flatMap((c) => c.versions.map((v) => v.min)));

/** Baseline ids sorted, then restricted ids sorted (upstream's order of results). */
const orderedChecks = [...checks.filter((c) => c.level === 'baseline'), ...checks.filter((c) => c.level === 'restricted')].sort(
  (a, b) => (a.level === b.level ? byteOrder(a.id, b.id) : a.level === 'baseline' ? -1 : 1),
);

function formAt(c: Check, minor: number): Check['versions'][number] | undefined {
  let found: Check['versions'][number] | undefined;
  for (const v of c.versions) if (v.min <= minor) found = v;
  return found;
}

const checksByLevelVersion = new Map<string, CheckFn[]>();

function checksFor(level: 'baseline' | 'restricted', minor: number): CheckFn[] {
  const key = `${level}:${minor}`;
  let fns = checksByLevelVersion.get(key);
  if (fns) return fns;
  const overridden = new Set<string>();
  if (level === 'restricted') for (const c of checks) if (c.level === 'restricted') for (const o of formAt(c, minor)?.overrides ?? []) overridden.add(o);
  fns = [];
  for (const c of orderedChecks) {
    if (c.level === 'restricted' && level === 'baseline') continue;
    if (overridden.has(c.id)) continue;
    const form = formAt(c, minor);
    if (form) fns.push(form.fn);
  }
  checksByLevelVersion.set(key, fns);
  return fns;
}

/** The checks `pod` fails at `lv`, in upstream's order (none at privileged). */
export function evaluatePodSecurity(lv: LevelVersion, pod: PodForSecurity): CheckFailure[] {
  if (lv.level === 'privileged') return [];
  const minor = lv.version.latest ? POD_SECURITY_MAX_MINOR : Math.min(lv.version.minor, POD_SECURITY_MAX_MINOR);
  const out: CheckFailure[] = [];
  for (const fn of checksFor(lv.level, minor)) {
    const f = fn(pod.metadata, pod.spec);
    if (f) out.push(f);
  }
  return out;
}

/** `reason (detail), reason (detail)`: the violations as upstream's messages list them. */
export function forbiddenDetail(failures: CheckFailure[]): string {
  return failures.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ');
}

/** `reason, reason`: the violations without details (namespace update warnings). */
export function forbiddenReasons(failures: CheckFailure[]): string {
  return failures.map((f) => f.reason).join(', ');
}
