// Per-kind create/update strategy, driven by KindDef data (upstream's rest.RESTCreateStrategy
// / RESTUpdateStrategy, restated). One code path for every kind; switches come from KindDef.
//
// Order on create:  decode -> applyDefaults -> prepareForCreate -> kind prepareForCreate
//                   -> validateCreate -> store
// Order on update:  decode -> applyDefaults -> prepareForUpdate -> kind prepareForUpdate
//                   -> validateFinalizersUpdate + validateUpdate -> store
// Order on /status: decode -> applyStatusDefaults -> prepareForStatusUpdate -> validateStatusUpdate -> store
// Order on pods/ephemeralcontainers: decode -> applyDefaults -> prepareForEphemeralContainersUpdate
//                   -> validateEphemeralContainersUpdate -> store
// ("kind" hooks: KindValidation in src/api/validation/index.ts.)

import { randomUUID, randomInt } from 'node:crypto';
import { badRequest, conflict, fe, GoShown, goTimeText, type FieldError } from '../api/errors.js';
import { resourceRefOf, type KindDef } from '../api/kinds.js';
import type { KubeObject, ObjectMeta, Pod } from '../api/types.js';
import { taintNodeNotReady, taintNodeUnreachable } from '../api/taints.js';
import { templateAsGoSees } from '../api/pod-template.js';
import { rfc3339 } from '../util/index.js';
import { jsonEqual } from './object-codec.js';

export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const maxGeneratedPrefix = 58; // 63 - 5 random characters

/** upstream's names.SimpleNameGenerator: prefix (truncated) + 5 safe random characters. */
export function generateName(prefix: string): string {
  let s = prefix.length > maxGeneratedPrefix ? prefix.slice(0, maxGeneratedPrefix) : prefix;
  for (let i = 0; i < 5; i++) s += nameAlphabet[randomInt(nameAlphabet.length)];
  return s;
}

function spec(obj: KubeObject): unknown {
  return obj.spec;
}

function parseTemplateGeneration(meta: ObjectMeta): number | undefined {
  const v = meta.annotations?.[templateGenerationAnnotation];
  if (v === undefined) return undefined;
  // upstream converts the annotation with strconv.ParseInt(v, 10, 64) while decoding the
  // body, so a bad one is refused in that conversion's words.
  const cannot = (why: string) => badRequest(`DaemonSet in version "v1" cannot be handled as a DaemonSet: strconv.ParseInt: parsing ${JSON.stringify(v)}: ${why}`);
  if (!/^[+-]?\d+$/.test(v)) throw cannot('invalid syntax');
  const n = BigInt(v);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw cannot('value out of range');
  return Number(v);
}

function setAnnotation(meta: ObjectMeta, key: string, value: string): void {
  meta.annotations = { ...(meta.annotations ?? {}), [key]: value };
}

/**
 * Drops empty lists and maps from metadata (labels, annotations, finalizers, ownerReferences,
 * managedFields): upstream stores them `omitempty`, so an orphaning patch that leaves
 * `ownerReferences: []` reads back without the field, not as an empty list.
 */
export function dropEmptyMetadata(m: KubeObject['metadata']): void {
  const r = m as Record<string, unknown>;
  for (const f of ['labels', 'annotations'] as const) {
    const v = r[f];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete r[f];
  }
  for (const f of ['finalizers', 'ownerReferences', 'managedFields'] as const) {
    if (Array.isArray(r[f]) && (r[f] as unknown[]).length === 0) delete r[f];
  }
}

/** `nowMs`: milliseconds since the Unix epoch, from the registry's Clock. */
export function prepareForCreate(k: KindDef, obj: KubeObject, nowMs: number): void {
  const m = obj.metadata;
  dropEmptyMetadata(m);
  m.uid = randomUUID();
  m.creationTimestamp = rfc3339(nowMs);
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
  if (k.tracksGeneration) m.generation = 1;
  else delete m.generation;
  if (k.hasStatus) {
    const soc = k.statusOnCreate;
    if (soc === 'wipe') delete obj.status;
    else if (soc !== 'keep') obj.status = structuredClone(soc.reset);
  }
  if (k.tracksTemplateGeneration) {
    const tg = parseTemplateGeneration(m);
    setAnnotation(m, templateGenerationAnnotation, String(tg !== undefined && tg >= 1 ? tg : 1));
  }
}

/** How long pods without a toleration of their own stay on a not-ready or unreachable node (upstream's default). */
export const defaultNotReadyTolerationSeconds = 300;

/**
 * Mutating admission on create (after defaulting, before validation), as the API server's
 * default plugins do. Pods: DefaultTolerationSeconds — a pod that tolerates neither the
 * not-ready nor the unreachable NoExecute taint gets a 300 s toleration of each, so a node
 * that stops reporting evicts its pods after five minutes, not at once. DaemonSet pods carry
 * unbounded tolerations of both and are left alone.
 */
export function admitCreate(k: KindDef, obj: KubeObject): void {
  if (k.group !== '' || k.kind !== 'Pod') return;
  const spec = (obj as Pod).spec;
  if (!spec) return;
  const tolerations = spec.tolerations ?? [];
  const covers = (key: string): boolean => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const add = [taintNodeNotReady, taintNodeUnreachable]
    .filter((key) => !covers(key))
    .map((key) => ({ key, operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: defaultNotReadyTolerationSeconds }));
  if (add.length > 0) spec.tolerations = [...tolerations, ...add];
}

/** A custom resource without its metadata: any other change is a new generation (upstream's customResourceStrategy). */
function withoutMetadata(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, ...rest } = o as unknown as Record<string, unknown>;
  return rest;
}

/**
 * Carries server-owned fields from `old` into `obj` (an update of the main resource) and
 * bumps generation. A body's uid that differs from the stored one is, with `uidPrecondition`
 * (a PUT, the default), a failed precondition: 409; else (a patch, which upstream gives no
 * preconditions) it is kept for validation to refuse as an immutable field (422).
 */
export function prepareForUpdate(k: KindDef, obj: KubeObject, old: KubeObject, o: { uidPrecondition?: boolean } = {}): void {
  const m = obj.metadata;
  const om = old.metadata;
  if (m.uid && om.uid && m.uid !== om.uid) {
    if (o.uidPrecondition ?? true) throw conflict(resourceRefOf(k), om.name ?? '', `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${om.uid}`);
  } else m.uid = om.uid;
  m.creationTimestamp = om.creationTimestamp;
  dropEmptyMetadata(m);
  // As upstream's BeforeUpdate: an update never removes or changes a deletion timestamp, nor
  // removes a grace period; setting either on an object not being deleted (or changing the
  // grace period) is left for validateDeletionUpdate to refuse as immutable.
  if (om.deletionTimestamp !== undefined) m.deletionTimestamp = om.deletionTimestamp;
  if (om.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds == null) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
  copyOrDelete(m, om, 'generation');
  delete m.selfLink;
  if (k.hasStatus) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  }
  // Specs compare as upstream's Go structs do: an empty list is no list and a zero-valued
  // value field is no field (`tolerations: []` or `hostNetwork: false` dropped from a manifest
  // changes nothing, and rolls no daemon: templateAsGoSees). At the spec's top the one value
  // field is `minReadySeconds` (an int32, which 0 and null leave zero; the rest are pointers,
  // which keep their zeros).
  const specOf = (o: KubeObject): unknown => {
    const s = spec(o) as { template?: unknown; minReadySeconds?: unknown } | undefined;
    if (!k.tracksTemplateGeneration || !s) return s;
    const { minReadySeconds, ...rest } = s;
    const out: Record<string, unknown> = minReadySeconds === 0 || minReadySeconds === null ? rest : s;
    return s.template && typeof s.template === 'object' ? { ...out, template: templateAsGoSees(s.template as Record<string, unknown>) } : out;
  };
  const newSpec = specOf(obj);
  const oldSpec = specOf(old);
  const templateChanged = k.tracksTemplateGeneration && !jsonEqual((newSpec as { template?: unknown } | undefined)?.template, (oldSpec as { template?: unknown } | undefined)?.template);
  if (k.tracksGeneration && (templateChanged || (k.custom ? !jsonEqual(withoutMetadata(obj), withoutMetadata(old)) : k.generationCoversContent ? !jsonEqual(withoutMetadata(obj), withoutMetadata(old)) || !jsonEqual(m.labels ?? {}, om.labels ?? {}) : !jsonEqual(newSpec, oldSpec)))) {
    m.generation = (om.generation ?? 0) + 1;
  }
  if (k.tracksTemplateGeneration) {
    // A malformed value in the body is refused as upstream's decoding refuses it (400), on
    // every write; a well-formed one is replaced by the server's count.
    parseTemplateGeneration(m);
    let tg: number;
    try {
      tg = parseTemplateGeneration(om) ?? 1;
    } catch {
      tg = 1;
    }
    setAnnotation(m, templateGenerationAnnotation, String(templateChanged ? tg + 1 : tg));
  }
}

/**
 * Metadata a built-in kind's /status write keeps as stored, beyond what no update may change
 * (upstream's status strategies: a Deployment's labels; a pod's owner references, which old
 * kubelets corrupted; a CRD's labels, annotations and owner references).
 */
const statusKeepsStored: ReadonlyMap<string, ReadonlyArray<keyof ObjectMeta>> = new Map([
  ['apps/Deployment', ['labels']],
  ['/Pod', ['ownerReferences']],
  ['apiextensions.k8s.io/CustomResourceDefinition', ['labels', 'annotations', 'ownerReferences']],
]);

/** The metadata a /status write of a built-in kind takes from its body (upstream's status strategies reset only spec). */
const statusWritableMetadata: ReadonlyArray<keyof ObjectMeta> = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

/**
 * A write through /status: the result is the stored object with the body's status, and for
 * built-in kinds the body's labels, annotations, finalizers and owner references too, except
 * what the kind's status strategy keeps (statusKeepsStored); identity, generation and deletion
 * stay as stored (server-owned annotations too). A custom resource's /status changes its status
 * only: upstream's custom resource status strategy copies the whole stored object, metadata
 * included, so a client allowed only `*\/status` cannot relabel objects (and move them in and
 * out of selectors).
 */
export function prepareForStatusUpdate(k: KindDef, obj: KubeObject, old: KubeObject): KubeObject {
  const meta: ObjectMeta = { ...old.metadata };
  if (!k.custom) {
    const kept = statusKeepsStored.get(`${k.group}/${k.kind}`) ?? [];
    for (const key of statusWritableMetadata) if (!kept.includes(key)) copyOrDelete(meta, obj.metadata, key);
  }
  if (k.tracksTemplateGeneration) {
    parseTemplateGeneration(obj.metadata); // a malformed value is refused, as on every write
    const v = old.metadata.annotations?.[templateGenerationAnnotation];
    if (v !== undefined) setAnnotation(meta, templateGenerationAnnotation, v);
  }
  meta.resourceVersion = obj.metadata.resourceVersion;
  const out: KubeObject = { ...old, metadata: meta };
  if (obj.status === undefined) delete out.status;
  else out.status = obj.status;
  // upstream's podStatusStrategy: the QoS class is set at create and immutable; a status written
  // without one (older kubelets, clients that build status from scratch) keeps the stored one.
  if (k.group === '' && k.kind === 'Pod') {
    const oldQos = (old.status as { qosClass?: unknown } | undefined)?.qosClass;
    const st = out.status as { qosClass?: unknown } | undefined;
    if (oldQos && (st?.qosClass === undefined || st.qosClass === '')) out.status = { ...(st ?? {}), qosClass: oldQos };
  }
  return out;
}

/**
 * A write through pods/NAME/ephemeralcontainers (upstream's podEphemeralContainersStrategy):
 * the result is the stored pod with the body's spec.ephemeralContainers and nothing else of the
 * body. Spec and status are the stored ones, and so is the metadata (what upstream's
 * ResetObjectMetaForStatus keeps — labels, annotations, finalizers, owner references, deletion
 * timestamp, generation — and the rest of it: identity is checked before, and the field manager
 * records this write's manager on the stored entries afterwards). `obj` must be a copy the caller
 * owns; the result shares the stored pod's subtrees, so `old` must be one too.
 */
export function prepareForEphemeralContainersUpdate(obj: KubeObject, old: KubeObject): KubeObject {
  const spec: Record<string, unknown> = { ...((old.spec as Record<string, unknown> | undefined) ?? {}) };
  const sent = (obj.spec as { ephemeralContainers?: unknown } | undefined)?.ephemeralContainers;
  if (sent === undefined || sent === null) delete spec.ephemeralContainers;
  else spec.ephemeralContainers = sent;
  // The body's uid stays (upstream keeps it; the existing one stands in when none is sent), so
  // a write meant for an earlier pod of the same name is refused as an immutable-field change.
  const uid = obj.metadata?.uid;
  return { ...old, metadata: { ...old.metadata, ...(uid ? { uid } : {}) }, spec };
}

function copyOrDelete(to: ObjectMeta, from: ObjectMeta, key: keyof ObjectMeta): void {
  if (from[key] === undefined) delete to[key];
  else to[key] = from[key];
}

/**
 * upstream's ValidateNoNewFinalizers (part of ValidateObjectMetaUpdate), made here once for
 * every kind: no finalizer may be added once deletionTimestamp is set. One error naming the
 * added finalizers as a sorted set, in Go's %#v form (`[]string{"a", "b"}`).
 */
export function validateFinalizersUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (!old.metadata.deletionTimestamp) return [];
  const before = new Set(old.metadata.finalizers ?? []);
  const added = [...new Set((obj.metadata.finalizers ?? []).filter((f) => !before.has(f)))].sort();
  if (added.length === 0) return [];
  return [fe.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`)];
}

/**
 * upstream's immutability of metadata.deletionTimestamp and deletionGracePeriodSeconds
 * (ValidateObjectMetaUpdate), after prepareForUpdate kept what an update may not change: only a
 * client's attempt to start a deletion by update, or to change a grace period, is left.
 */
export function validateDeletionUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const m = obj.metadata;
  const om = old.metadata;
  const errs: FieldError[] = [];
  if ((m.deletionTimestamp ?? undefined) !== om.deletionTimestamp) {
    errs.push(fe.invalid('metadata.deletionTimestamp', m.deletionTimestamp == null ? null : new GoShown(goTimeText(m.deletionTimestamp)), 'field is immutable'));
  }
  if ((m.deletionGracePeriodSeconds ?? undefined) !== om.deletionGracePeriodSeconds) {
    errs.push(fe.invalid('metadata.deletionGracePeriodSeconds', m.deletionGracePeriodSeconds ?? null, 'field is immutable'));
  }
  return errs;
}

/** The body's metadata.namespace against the URL's (400 on mismatch; set when absent). */
export function checkNamespace(k: KindDef, obj: KubeObject, namespace: string | undefined): void {
  if (k.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && ns !== '' && ns !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  } else {
    delete obj.metadata.namespace;
  }
}

/**
 * upstream's checkName for updates and patches: the object (a PUT body, a patched object) must
 * name itself, as the URL does. Absent (a body without metadata.name, a patch removing
 * metadata) is 400 rather than filled from the URL: what came without a name came without the
 * rest of its metadata too, and writing it would wipe labels, finalizers and owners.
 */
export function checkName(obj: KubeObject, name: string): void {
  const n = obj.metadata.name;
  if (n === undefined || n === '') {
    throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
  }
  if (n !== name) {
    throw badRequest(`the name of the object (${n}) does not match the name on the URL (${name})`);
  }
}


/**
 * Upstream's owner reference dedup (the API server's request handlers, since 1.20): an owner
 * reference equal in every field to an earlier one is dropped, and the request gets a warning
 * naming the dropped UIDs. References that share a UID but differ in a field are all kept.
 * Creates and updates are checked as decoded (`patch` false); a patch (`patch` true) on the
 * patched object, whose warning upstream words as seen after mutating admission, the point its
 * patch handler checks at.
 *
 * Returns the warning, or undefined when nothing repeats. Never writes into the references or
 * the metadata it was given (a patched object shares them with the stored one): a dedup puts a
 * new metadata object on `obj`.
 */
export function dedupOwnerReferences(obj: KubeObject, patch: boolean): string | undefined {
  const refs = obj.metadata.ownerReferences;
  if (!Array.isArray(refs) || refs.length < 2) return undefined;
  const kept: typeof refs = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.uid) && kept.some((r) => jsonEqual(r, ref))) duplicates.push(ref.uid);
    else {
      seen.add(ref.uid);
      kept.push(ref);
    }
  }
  if (duplicates.length === 0) return undefined;
  obj.metadata = { ...obj.metadata, ownerReferences: kept };
  const where = patch ? ' after mutating admission happens' : '';
  return `.metadata.ownerReferences contains duplicate entries${where}; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ${duplicates.join(', ')}`;
}
