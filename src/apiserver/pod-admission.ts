// Admission of pod creates that reads other objects (upstream's LimitRanger defaults, then its
// ServiceAccount, Priority and RuntimeClass admission plugins), and the system PriorityClasses
// every cluster has. LimitRanger itself is limit-ranger.ts.
//
// Contract:
// - ServiceAccount: a pod naming no account runs as `default` (spec.serviceAccountName, from
//   the deprecated spec.serviceAccount when only that is given); spec.serviceAccount mirrors
//   spec.serviceAccountName, as the v1 API shows it. A pod that mounts the API token (its own
//   automountServiceAccountToken, else its account's, else true: upstream's shouldAutomount)
//   gets upstream's `kube-api-access-<5 chars>` projected volume (a bound token of 3607 s,
//   kube-root-ca.crt's ca.crt, the namespace) mounted read-only at
//   /var/run/secrets/kubernetes.io/serviceaccount in every container and init container that
//   mounts nothing there; a pod that has such a volume already keeps it. The agent gives a pod
//   API credentials only when it mounts such a token (agent/service-account.ts). Mirror pods
//   are left alone. everynode decision: an account that does not exist is not refused
//   (upstream: 403) and counts as mounting; the agent holds such a pod's containers
//   (CreateContainerConfigError) until the account exists, looking again every 10 s.
// - PriorityClass: only one class may be the global default (403 for a second one).
// - Priority: a pod naming a PriorityClass gets its value and preemptionPolicy; an unknown
//   class is 403 `no PriorityClass with name X was found`. A pod naming none gets the global
//   default class (the lowest-valued if several) if one exists, else priority 0 and
//   PreemptLowerPriority. A spec.priority or preemptionPolicy that differs from the computed
//   one is 403, with upstream's messages. The global default is looked up at most once a
//   second (upstream reads an informer cache: also a moment behind). On update, a priority or
//   preemptionPolicy the update leaves out is kept (the Pod kind's update preparation,
//   api/validation), as upstream's plugin does on update.
// - RuntimeClass: a pod naming a RuntimeClass that does not exist is 403 `pod rejected:
//   RuntimeClass "X" not found`. The class's overhead becomes the pod's spec.overhead (a pod
//   giving another one is refused); its scheduling nodeSelector is merged into the pod's (a
//   label the pod sets to another value is refused) and its tolerations are merged with the
//   pod's, a toleration another one covers left out, as upstream's MergeTolerations. A pod with
//   an overhead and no class overhead to match is refused.
// - system-node-critical (2000001000) and system-cluster-critical (2000000000) exist from the
//   server's first start (and cannot be deleted: api/validation/scheduling.ts).

import { ApiError, forbidden } from '../api/errors.js';
import type { KindDef, KindRegistry } from '../api/kinds.js';
import type { KubeObject, Pod, Toleration } from '../api/types.js';
import { compareQuantity, parseQuantity } from '../api/validation/quantity.js';
import { systemPriorityClasses } from '../api/validation/scheduling.js';
import type { Store } from '../storage/interface.js';
import type { LimitRanger } from './limit-ranger.js';
import { keyPrefix, objectKey, type RestRegistry } from './registry.js';
import { generateName } from './strategy.js';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DEFAULT_PREEMPTION = 'PreemptLowerPriority';
/** How long the global default class found (or not) is believed. */
const DEFAULT_CLASS_TTL_MS = 1000;

interface RuntimeClass extends KubeObject {
  handler?: string;
  overhead?: { podFixed?: Record<string, string | number> };
  scheduling?: { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
}

interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

const systemDescriptions: Record<string, string> = {
  'system-node-critical': 'Used for system critical pods that must not be moved from their current node.',
  'system-cluster-critical': 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
};

/** Upstream's ServiceAccountVolumeName and DefaultAPITokenMountPath. */
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Upstream's mountServiceAccountToken: every container and init container that mounts nothing
 * at the token path mounts the pod's `kube-api-access-*` volume there (read-only); the volume
 * (upstream's TokenVolumeSource) is added when one was mounted and the pod has none yet.
 */
function addTokenVolume(spec: Pod['spec']): void {
  const volumes = spec.volumes ?? [];
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const name = existing?.name ?? generateName(TOKEN_VOLUME_PREFIX);
  let mounted = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const mounts = Array.isArray(c.volumeMounts) ? (c.volumeMounts as { mountPath?: unknown }[]) : [];
    if (mounts.some((m) => m?.mountPath === API_TOKEN_MOUNT_PATH)) continue;
    c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: API_TOKEN_MOUNT_PATH }];
    mounted = true;
  }
  if (existing || !mounted) return;
  spec.volumes = [
    ...volumes,
    { name, projected: TOKEN_VOLUME_SOURCE },
  ];
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * Upstream's TokenVolumeSource. One frozen object that every admitted pod shares (until it is
 * written and read back): the decoded pods the API server keeps (its watch cache) hold it once,
 * not once per pod; nothing writes to a decoded pod in place.
 */
const TOKEN_VOLUME_SOURCE = deepFreeze({
  defaultMode: 0o644,
  sources: [
    { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
  ],
});

/** Creates the system PriorityClasses that are missing (at server start). */
export async function ensureSystemPriorityClasses(registry: RestRegistry, kinds: KindRegistry): Promise<void> {
  const k = kinds.byResource('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (!k) return;
  for (const [name, value] of systemPriorityClasses) {
    try {
      await registry.create(
        k,
        undefined,
        { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description: systemDescriptions[name] ?? '' },
        { dryRun: false, fieldManager: 'everynode', fieldValidation: 'Strict', force: false },
      );
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}

export class PodAdmission {
  private defaultClass: { at: number; pc: PriorityClass | undefined } | undefined;

  constructor(
    private readonly store: Store,
    private readonly priorityClasses: KindDef,
    private readonly now: () => number,
    private readonly runtimeClasses?: KindDef,
    private readonly limitRanger?: LimitRanger,
    private readonly serviceAccounts?: KindDef,
    /** An account's automountServiceAccountToken as a cache knows it (undefined: ask the store). */
    private readonly cachedAutomount?: (namespace: string, name: string) => { automount: boolean | undefined } | undefined,
  ) {}

  /** Mutates a pod being created (after defaulting, before validation); throws the 403 to answer. */
  async admit(pod: Pod): Promise<void> {
    const spec = pod.spec;
    if (!spec) return;
    // LimitRanger's defaults come first, in upstream's plugin order.
    await this.limitRanger?.mutate(pod);
    if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      const account = spec.serviceAccountName || spec.serviceAccount || 'default';
      spec.serviceAccountName = account;
      spec.serviceAccount = account;
      if (await this.mountsToken(pod, account)) addTokenVolume(spec);
    }
    await this.admitPriority(pod);
    await this.admitRuntimeClass(pod);
  }

  /** Upstream's shouldAutomount: the pod's choice, else its account's, else true. */
  private async mountsToken(pod: Pod, account: string): Promise<boolean> {
    if (typeof pod.spec.automountServiceAccountToken === 'boolean') return pod.spec.automountServiceAccountToken;
    if (!this.serviceAccounts) return true;
    const cached = this.cachedAutomount?.(pod.metadata.namespace ?? '', account);
    if (cached) return cached.automount ?? true;
    const kv = await this.store.get(objectKey(this.serviceAccounts, pod.metadata.namespace ?? '', account));
    const automount = kv ? (JSON.parse(kv.value) as { automountServiceAccountToken?: unknown }).automountServiceAccountToken : undefined;
    return typeof automount === 'boolean' ? automount : true;
  }

  /** Upstream's RuntimeClass plugin, mutation and validation in one (see the header). */
  private async admitRuntimeClass(pod: Pod): Promise<void> {
    const spec = pod.spec as Pod['spec'] & { runtimeClassName?: string | null; overhead?: Record<string, string | number> | null };
    const refuse = (why: string): ApiError => refusal(pod, why);
    let rc: RuntimeClass | undefined;
    if (spec.runtimeClassName && this.runtimeClasses) {
      const kv = await this.store.get(objectKey(this.runtimeClasses, undefined, spec.runtimeClassName));
      if (!kv) throw refuse(`pod rejected: RuntimeClass "${spec.runtimeClassName}" not found`);
      rc = JSON.parse(kv.value) as RuntimeClass;
    }
    const podFixed = rc?.overhead?.podFixed;
    const given = spec.overhead ?? undefined;
    if (podFixed) {
      if (given && Object.keys(given).length > 0 && !sameResources(given, podFixed)) throw refuse("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      spec.overhead = { ...podFixed };
    } else if (given) {
      throw refuse('pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    }
    const scheduling = rc?.scheduling;
    if (!scheduling) return;
    if (spec.nodeSelector) {
      for (const [k, v] of Object.entries(scheduling.nodeSelector ?? {})) {
        const podValue = spec.nodeSelector[k];
        if (podValue !== undefined && podValue !== v) throw refuse(`conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${podValue}`);
        spec.nodeSelector[k] = v;
      }
    } else if (scheduling.nodeSelector) {
      spec.nodeSelector = { ...scheduling.nodeSelector };
    }
    const merged = mergeTolerations(spec.tolerations ?? [], scheduling.tolerations ?? []);
    if (merged.length > 0 || spec.tolerations) spec.tolerations = merged;
  }

  private async admitPriority(pod: Pod): Promise<void> {
    const spec = pod.spec;
    const refuse = (why: string): ApiError => refusal(pod, why);
    let priority = 0;
    let policy = DEFAULT_PREEMPTION;
    if (!spec.priorityClassName) {
      const pc = await this.globalDefault();
      if (pc) {
        spec.priorityClassName = pc.metadata.name ?? '';
        priority = pc.value ?? 0;
        policy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION;
      }
    } else {
      const kv = await this.store.get(objectKey(this.priorityClasses, undefined, spec.priorityClassName));
      if (!kv) throw refuse(`no PriorityClass with name ${spec.priorityClassName} was found`);
      const pc = JSON.parse(kv.value) as PriorityClass;
      priority = pc.value ?? 0;
      policy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION;
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw refuse(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw refuse(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }

  /**
   * Admits a PriorityClass create or update: only one class may be the global default (403
   * naming the one that is). Two writers racing can still both succeed; pods then get the
   * lowest-valued default, as upstream.
   */
  async admitPriorityClass(obj: KubeObject): Promise<void> {
    const pc = obj as PriorityClass;
    if (pc.globalDefault !== true) return;
    const other = (await this.defaults()).find((d) => d.metadata.name !== pc.metadata.name);
    if (other) {
      const name = pc.metadata.name ?? '';
      throw forbidden(`priorityclasses.scheduling.k8s.io "${name}" is forbidden: PriorityClass ${other.metadata.name ?? ''} is already marked as default. Only one default can exist`, { group: 'scheduling.k8s.io', resource: 'priorityclasses', kind: 'PriorityClass' }, name);
    }
    this.defaultClass = undefined; // a new default applies to the next pod at once
  }

  /** Every class marked globalDefault, from the store. */
  private async defaults(): Promise<PriorityClass[]> {
    const list = await this.store.list(keyPrefix(this.priorityClasses));
    return list.items.map((kv) => JSON.parse(kv.value) as PriorityClass).filter((pc) => pc.globalDefault === true);
  }

  /** The class marked globalDefault (the lowest-valued, should there be several), if any. */
  private async globalDefault(): Promise<PriorityClass | undefined> {
    const now = this.now();
    if (this.defaultClass && now - this.defaultClass.at < DEFAULT_CLASS_TTL_MS) return this.defaultClass.pc;
    let found: PriorityClass | undefined;
    for (const pc of await this.defaults()) if (!found || (pc.value ?? 0) < (found.value ?? 0)) found = pc;
    this.defaultClass = { at: now, pc: found };
    return found;
  }
}

/** Admission's 403 for a pod, named as upstream names it (by its generateName before it has a name). */
/** A pod create refused by admission: 403 `pods "<name or generateName>" is forbidden: <why>`. */
export function refusal(pod: Pod, why: string): ApiError {
  const who = pod.metadata.name || pod.metadata.generateName || '';
  return forbidden(`pods "${who}" is forbidden: ${why}`, { group: '', resource: 'pods', kind: 'Pod' }, who);
}

/** Two resource lists with the same names and equal quantities ("1" equals "1000m"). */
function sameResources(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    if (!(k in b)) return false;
    const qa = parseQuantity(a[k]);
    const qb = parseQuantity(b[k]);
    return qa !== undefined && qb !== undefined ? compareQuantity(qa, qb) === 0 : a[k] === b[k];
  });
}

/**
 * Upstream's MergeTolerations: the pod's tolerations then the class's, each left out when one
 * already kept, or a different later one, tolerates a superset of it (equal ones: the first).
 */
export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((kept) => isSuperset(kept, t))) return;
    if (all.slice(i + 1).some((later) => !sameToleration(t, later) && isSuperset(later, t))) return;
    merged.push(t);
  });
  return merged;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '') && (a.tolerationSeconds ?? null) === (b.tolerationSeconds ?? null);
}

/** Whether `ss` tolerates every taint `t` tolerates (upstream's isSuperset, operators as given). */
function isSuperset(ss: Toleration, t: Toleration): boolean {
  if (sameToleration(t, ss)) return true;
  const ssKey = ss.key ?? '';
  // An empty key with Exists matches every key.
  if ((t.key ?? '') !== ssKey && (ssKey !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (ss.effect ?? '') && (ss.effect ?? '') !== '') return false;
  if (ss.effect === 'NoExecute' && ss.tolerationSeconds !== undefined && ss.tolerationSeconds !== null) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null || t.tolerationSeconds > ss.tolerationSeconds) return false;
  }
  switch (ss.operator ?? '') {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && (t.value ?? '') === (ss.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}
