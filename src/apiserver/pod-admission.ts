// Admission of pod creates that reads other objects (upstream's ServiceAccount and Priority
// admission plugins), and the system PriorityClasses every cluster has.
//
// Contract:
// - ServiceAccount (defaulting only): a pod naming no account runs as `default`
//   (spec.serviceAccountName, from the deprecated spec.serviceAccount when only that is given);
//   spec.serviceAccount mirrors spec.serviceAccountName, as the v1 API shows it. Mirror pods are
//   left alone. everynode decision: an account that does not exist is not refused (upstream:
//   403); the agent holds such a pod's containers (CreateContainerConfigError) until the
//   account exists, looking again every 10 s.
// - PriorityClass: only one class may be the global default (403 for a second one).
// - Priority: a pod naming a PriorityClass gets its value and preemptionPolicy; an unknown
//   class is 403 `no PriorityClass with name X was found`. A pod naming none gets the global
//   default class (the lowest-valued if several) if one exists, else priority 0 and
//   PreemptLowerPriority. A spec.priority or preemptionPolicy that differs from the computed
//   one is 403, with upstream's messages. The global default is looked up at most once a
//   second (upstream reads an informer cache: also a moment behind).
// - system-node-critical (2000001000) and system-cluster-critical (2000000000) exist from the
//   server's first start (and cannot be deleted: api/validation/scheduling.ts).

import { ApiError, forbidden } from '../api/errors.js';
import type { KindDef, KindRegistry } from '../api/kinds.js';
import type { KubeObject, Pod } from '../api/types.js';
import { systemPriorityClasses } from '../api/validation/scheduling.js';
import type { Store } from '../storage/interface.js';
import { keyPrefix, objectKey, type RestRegistry } from './registry.js';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DEFAULT_PREEMPTION = 'PreemptLowerPriority';
/** How long the global default class found (or not) is believed. */
const DEFAULT_CLASS_TTL_MS = 1000;

interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

const systemDescriptions: Record<string, string> = {
  'system-node-critical': 'Used for system critical pods that must not be moved from their current node.',
  'system-cluster-critical': 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
};

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
  ) {}

  /** Mutates a pod being created (after defaulting, before validation); throws the 403 to answer. */
  async admit(pod: Pod): Promise<void> {
    const spec = pod.spec;
    if (!spec) return;
    if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      const account = spec.serviceAccountName || spec.serviceAccount || 'default';
      spec.serviceAccountName = account;
      spec.serviceAccount = account;
    }
    await this.admitPriority(pod);
  }

  private async admitPriority(pod: Pod): Promise<void> {
    const spec = pod.spec;
    const who = pod.metadata.name || pod.metadata.generateName || '';
    const refuse = (why: string): ApiError => forbidden(`pods "${who}" is forbidden: ${why}`, { group: '', resource: 'pods', kind: 'Pod' }, who);
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
