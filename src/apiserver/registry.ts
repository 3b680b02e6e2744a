// The generic REST registry: one code path for every kind (upstream's genericregistry.Store,
// restated). Per-kind behaviour comes from KindDef (src/api/kinds.ts), the schema decoder,
// the validation module and src/apiserver/strategy.ts.
//
// Invariants:
// - Keys: /registry/<group or "core">/<plural>/[<namespace>/]<name>.
// - Stored JSON never holds metadata.resourceVersion (see object-codec.ts); responses are the
//   stored string with the modRevision spliced in, so the write path stringifies once.
// - Writes with a client resourceVersion (PUT body, patch body) are conditional: a mismatch is
//   409 Conflict. Writes without one retry compare-and-swap conflicts until they land (upstream's
//   GuaranteedUpdate), each retry on the current state the Conflict carries (a fresh read only
//   when it carries none).
// - Updates and deletes of one key through this registry take turns, first come first served
//   (`turns`), so same-key writers never race each other in the store (where, with SQLite's
//   group commit, one of them could lose every round until maxCasAttempts and answer 409). A
//   CAS conflict then comes only from another server or an out-of-band writer. dryRun requests
//   take no turn. The cost per write is a Map lookup and a promise; a key has an entry only
//   while a write to it runs or waits.
// - A write that changes nothing answers 200 with the stored object and writes nothing.
// - dryRun runs everything except the store write.

import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  fe,
  forbidden,
  GoShown,
  goPrintValue,
  invalid,
  methodNotAllowed,
  notFound,
  expired,
  patchInvalid,
  qualifiedResource,
  tooLargeResourceVersion,
  unsupportedPatchType,
  withWarnings,
  type FieldError,
  type ResourceRef,
} from '../api/errors.js';
import { groupKindOf, groupVersionOf, resourceRefOf, type KindDef, type KindRegistry, type Verb } from '../api/kinds.js';
import type { KubeObject, Pod } from '../api/types.js';
import { systemPriorityClassDeletion } from '../api/validation/scheduling.js';
import { decodeObject, fillSchemaDefaults, resolveSchema, schemaFor } from '../api/schema/index.js';
import { cannotHandle, checkNumberLiterals, strictDecodingMessage, type NumberLiteral } from '../api/schema/decode.js';
import { crdCleanupFinalizer, validationFor } from '../api/validation/index.js';
import { applyJsonPatch, applyMergePatchShared, applyStrategicMergePatch, deepClone } from '../api/patch/index.js';
import { applyConfiguration, recordUpdate, validateFieldManager, type ManagedKind } from '../api/managedfields/index.js';
import { StorageError, type KeyValue, type Store } from '../storage/interface.js';
import { rfc3339, type Clock } from '../util/index.js';
import type { Logger } from '../util/logger.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { checkTypeMeta, parseJsonText, parseYamlText, type JsonTextFindings } from './http.js';
import { patchAllocatedValues, type ServiceAllocator } from './service-alloc.js';
import { buildFilter, type ObjectFilter } from './filter.js';
import { SelectionCache } from './selection-cache.js';
import { asServedVersion, decodeStored, encodeForStore, goJsonEscape, jsonEqual, parseStored, storedObject, withResourceVersion } from './object-codec.js';
import type { FieldValidation, ListQuery, ParsedDeleteOptions, WriteQuery } from './query.js';
import type { PodSecurityDecision, PodSecurityRequest } from './pod-security-admission.js';
import type { QuotaCharge, QuotaRequest } from './resource-quota.js';
import {
  admitCreate,
  checkName,
  checkNamespace,
  dedupOwnerReferences,
  dropEmptyMetadata,
  generateName,
  prepareForCreate,
  prepareForEphemeralContainersUpdate,
  prepareForStatusUpdate,
  prepareForUpdate,
  validateDeletionUpdate,
  validateFinalizersUpdate,
} from './strategy.js';

/**
 * A stored custom resource as the requested version sees it: a CRD's versions convert with
 * strategy None, so an object written through another version only changes its apiVersion.
 */
function asRequestedVersion(k: KindDef, obj: KubeObject): KubeObject {
  if (k.custom) obj.apiVersion = groupVersionOf(k);
  if (k.view) return k.view.fromStored(obj);
  return obj;
}

/**
 * The decoder's own words in a decode error (a strict decoding error, or the text after a
 * create's `X in version "v" cannot be handled as a X: ` prefix); undefined for other errors.
 */
function decodeErrorDetail(message: string, gvk: { version: string; kind: string }): string | undefined {
  if (message.startsWith('strict decoding error: ')) return message;
  const prefix = `${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : undefined;
}

/** An object of kind k as the store holds it: its stored kind's form for a view (KindView). */
function storedForm(k: KindDef, obj: KubeObject): KubeObject {
  return k.view ? k.view.toStored(obj) : obj;
}

/** How long a list waits for the store to reach a requested resourceVersion (upstream: 3 s). */
const FRESHNESS_WAIT_MS = 3000;

export const registryRoot = '/registry/';

export function keyPrefix(k: KindDef, namespace?: string): string {
  const s = k.view?.stored ?? k;
  const base = `${registryRoot}${s.group || 'core'}/${s.plural}/`;
  return namespace !== undefined ? `${base}${namespace}/` : base;
}

export function objectKey(k: KindDef, namespace: string | undefined, name: string): string {
  return k.namespaced ? `${keyPrefix(k, namespace)}${name}` : `${keyPrefix(k)}${name}`;
}

/** Splits a registry key into its parts; undefined for keys outside the layout. */
export function parseKey(key: string): { resource: string; namespace?: string; name: string } | undefined {
  if (!key.startsWith(registryRoot)) return undefined;
  const parts = key.slice(registryRoot.length).split('/');
  if (parts.length === 3) return { resource: `${parts[0]}/${parts[1]}`, name: parts[2]! };
  if (parts.length === 4) return { resource: `${parts[0]}/${parts[1]}`, namespace: parts[2]!, name: parts[3]! };
  return undefined;
}

/** `<group or core>/<plural>`: how the watch cache indexes watchers. */
export function resourceIndexKey(k: KindDef): string {
  const s = k.view?.stored ?? k;
  return `${s.group || 'core'}/${s.plural}`;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/**
 * The patch type a PATCH's Content-Type names, matched as upstream's patch handler matches it:
 * parameters after `;` cut, the rest compared exactly (case and spaces count); anything else
 * is undefined (the handler's 415).
 */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!;
  switch (ct) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      return undefined;
  }
}

export interface WriteResult {
  code: 200 | 201;
  /** The response body (object JSON with metadata.resourceVersion). */
  json: string;
  warnings: string[];
  /** The object's name (set by create, where the request path has none). */
  name?: string;
  /** Annotations for the request's audit event (PodSecurity's audit mode). */
  auditAnnotations?: Record<string, string>;
}

/**
 * Admission hook (NodeRestriction, RBAC escalation) called with the final object (after
 * decoding, patching, defaulting and validation) and the stored one, right before a write
 * reaches the store; on every CAS retry again. It refuses by throwing (or rejecting with) an
 * ApiError. create: (new, undefined); update/patch: (new, old); delete: (undefined, old).
 */
export type AdmitFn = (newObj: KubeObject | undefined, oldObj: KubeObject | undefined) => void | Promise<void>;

export interface ListPage {
  revision: number;
  /** Item JSON with metadata.resourceVersion. */
  items: string[];
  continueToken?: string;
  remainingItemCount?: number;
}

export interface RegistryOptions {
  store: Store;
  clock: Clock;
  /** The served kinds (namespace finalization deletes the content of every namespaced kind). */
  kinds: KindRegistry;
  logger: Logger;
  /** Cheap namespace state (e.g. from the watch cache); undefined: ask the store. */
  namespacePhase?: (ns: string) => 'Active' | 'Terminating' | undefined;
  /** Delay between namespace finalization passes while content remains (default 1 s). */
  namespaceRetryMs?: number;
  /** What list filters look at, per stored version (the watch cache's, to share it); default: a cache of its own. */
  selections?: SelectionCache;
  /**
   * How long after a namespace is marked for deletion its content starts to be deleted (default
   * 5 s, upstream's namespaceDeletionGracePeriod): `kubectl delete -f` of a manifest that lists
   * the Namespace first deletes the objects after it itself, instead of finding them gone.
   */
  namespaceDeletionGraceMs?: number;
  /**
   * Admission of pod creates that reads other objects (pod-admission.ts): called after
   * defaulting, before validation; mutates the pod or throws the ApiError to answer.
   */
  admitPod?: (pod: Pod) => Promise<void>;
  /**
   * Validating admission of pod creates that reads other objects (limit-ranger.ts): called after
   * the pod's own validation, before PodSecurity; throws the ApiError to answer.
   */
  validatePod?: (pod: Pod) => Promise<void>;
  /**
   * ResourceQuota admission (resource-quota.ts), the last check before a namespaced create or a
   * main-resource update is written: throws the ApiError to answer, or charges the namespace's
   * quotas and answers the charge, refunded when the write then fails.
   */
  quota?: (req: QuotaRequest) => Promise<QuotaCharge | undefined>;
  /** Admission of PriorityClass creates and updates (pod-admission.ts: one global default). */
  admitPriorityClass?: (pc: KubeObject) => Promise<void>;
  /** Admission of Ingress creates (ingress-admission.ts: the default IngressClass), after defaulting, before validation. */
  admitIngress?: (ingress: KubeObject) => Promise<void>;
  /**
   * PodSecurity admission (pod-security-admission.ts): called for every create and update after
   * validation and `admit`, before the write; answers warnings and audit annotations, or throws
   * the ApiError that refuses the write.
   */
  podSecurity?: (req: PodSecurityRequest) => Promise<PodSecurityDecision> | undefined;
  /** Cluster IPs and node ports of Services (service-alloc.ts); absent: none are allocated. */
  serviceAllocator?: ServiceAllocator;
  /**
   * The object at `key` and `revision` already decoded by a reader (the watch cache's
   * `latestObject`), or undefined. Updates read it instead of parsing the stored value again;
   * it is shared, so the registry never writes to it (its working copy is a deep clone).
   */
  decodedObject?: (key: string, revision: number) => KubeObject | undefined;
  /**
   * Takes the decoded form of a value about to be written to `key` (the watch cache's `offer`),
   * so the cache need not parse the value again; returns the withdrawal for a failed write.
   * From the call on the object is shared: the registry never writes to it again.
   */
  offerDecoded?: (key: string, value: string, obj: KubeObject) => () => void;
  /**
   * The store's current state of `key` when a reader knows it exactly (the watch cache's
   * `currentKv`), or undefined. Updates and deletes start from it instead of reading the store;
   * a precondition it fails is checked again against a store read before it is refused, and a
   * stale state only fails the compare-and-swap, which re-reads.
   */
  currentKv?: (key: string) => KeyValue | undefined;
}

const namespaceRef = { group: '', resource: 'namespaces', kind: 'Namespace' };
const undeletableNamespaces = new Set(['default', 'kube-system', 'kube-public']);
/**
 * Compare-and-swap attempts of one write. Upstream's GuaranteedUpdate retries a write without
 * a precondition until it lands (a conditional one fails on its precondition, checked on every
 * attempt); a write loses a round only to another write landing, so contention ends. Writers of
 * one key through this registry take turns (WriteTurns), so only other servers and out-of-band
 * writers make it lose at all. The bound only guards against a bug looping for ever. (It was
 * 16: ten writers on one object got 409s; at 1000, without turns, one of 8 writers sometimes
 * lost every group-commit round.)
 */
const maxCasAttempts = 1000;

/**
 * Per-key FIFO turns (see the file comment). `enter` queues a writer behind the last writer of
 * its key: await `ahead` when set, write, then call `leave` exactly once (also on failure). The
 * entry of a key is the promise of its last queued writer, removed when that writer leaves.
 */
class WriteTurns {
  private readonly last = new Map<string, Promise<void>>();

  get size(): number {
    return this.last.size;
  }

  enter(key: string): { ahead: Promise<void> | undefined; leave: () => void } {
    const ahead = this.last.get(key);
    let leave!: () => void;
    const mine: Promise<void> = new Promise((resolve) => {
      leave = () => {
        if (this.last.get(key) === mine) this.last.delete(key);
        resolve();
      };
    });
    this.last.set(key, mine);
    return { ahead, leave };
  }
}
const maxGenerateNameAttempts = 8;

/** What one update (PUT or PATCH) needs through its CAS loop. */
interface UpdateArgs {
  k: KindDef;
  key: string;
  namespace: string | undefined;
  name: string;
  subresource: string | undefined;
  dryRun: boolean;
  warnings: string[] | (() => string[]);
  manager: { name: string; apply: boolean };
  produce: (current: CurrentObject) => KubeObject;
  admit?: AdmitFn;
  /** A PUT: its body's metadata.uid is a precondition (409), as upstream's update handler makes it; a patch's is validated as immutable (422). */
  put: boolean;
}

/**
 * The current object for an update's `produce`: a fresh copy it owns, or, with `readOnly` for
 * a status update, possibly the object shared with the watch cache's readers (see updateLoop),
 * which the caller may only read or share subtrees of, never write to.
 */
type CurrentObject = (readOnly?: boolean) => KubeObject;

interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

/**
 * Duplicate-field and unknown-field errors of one body merged in document order: a duplicate
 * where it repeats, an unknown field where it first occurs (an unknown path the text does not
 * show goes last). Both inputs are in document order already.
 */
function inDocumentOrder(duplicates: readonly string[], unknown: readonly string[], order: NonNullable<JsonTextFindings['order']>): string[] {
  const at = [
    ...duplicates.map((message, i) => ({ message, pos: order.duplicateAt[i] ?? Infinity })),
    ...unknown.map((message) => ({ message, pos: order.memberAt.get(unknownPath(message)) ?? Infinity })),
  ];
  return at.sort((a, b) => a.pos - b.pos).map((e) => e.message);
}

/** The path of an `unknown field "<path>"` message. */
function unknownPath(message: string): string {
  const m = /^unknown field (".*")$/.exec(message);
  return m ? (JSON.parse(m[1]!) as string) : message;
}

/** The spec.finalizers entry the namespace lifecycle (this registry) owns. */
const namespaceFinalizer = 'kubernetes';

function namespaceSpecFinalizers(ns: KubeObject): string[] {
  const fins = (ns.spec as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(fins) ? fins.map(String) : [];
}

function isPriorityClassKind(k: KindDef): boolean {
  return k.group === 'scheduling.k8s.io' && k.plural === 'priorityclasses';
}

function isServiceKind(k: KindDef): boolean {
  return k.group === '' && k.kind === 'Service' && !k.custom;
}

function isNamespaceKind(k: KindDef): boolean {
  return k.group === '' && k.plural === 'namespaces';
}

function isPodKind(k: KindDef): boolean {
  return k.group === '' && k.plural === 'pods' && !k.custom;
}

const managedKinds = new WeakMap<KindDef, ManagedKind>();

/** The field manager's view of a kind (cached per KindDef). */
function managedKindOf(k: KindDef): ManagedKind {
  let m = managedKinds.get(k);
  if (!m) {
    const schema = schemaFor({ group: k.group, version: k.version, kind: k.kind });
    if (!schema) throw new Error(`schema: no schema for ${k.kind}`);
    const validation = validationFor(groupKindOf(k));
    const applyDefaults = (obj: KubeObject): void => {
      validation.applyDefaults(obj);
      // As the write will store it (strategy.ts): an applied `labels: {}` changes nothing.
      if (obj.metadata) dropEmptyMetadata(obj.metadata);
    };
    m = { schema, apiVersion: groupVersionOf(k), hasStatus: k.hasStatus, applyDefaults };
    managedKinds.set(k, m);
  }
  return m;
}

function checkVerb(k: KindDef, verb: Verb): void {
  if (!k.verbs.includes(verb)) throw methodNotAllowed();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rejects names that cannot be a path segment (upstream's IsValidPathSegmentName). */
export function checkPathSegmentName(field: string, name: string): FieldError[] {
  if (name === '.' || name === '..') return [fe.invalid(field, name, `may not be '${name}'`)];
  for (const c of ['/', '%']) if (name.includes(c)) return [fe.invalid(field, name, `may not contain '${c}'`)];
  return [];
}

/**
 * The kinds whose upstream strategies disallow unconditional updates (AllowUnconditionalUpdate
 * false): a PUT of them must carry the resourceVersion it replaces. Custom resources too.
 */
const conditionalUpdateKinds: ReadonlySet<string> = new Set([
  'apiextensions.k8s.io/CustomResourceDefinition',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'coordination.k8s.io/Lease',
  'node.k8s.io/RuntimeClass',
]);

/**
 * Kinds a PUT creates when the object does not exist (upstream's AllowCreateOnUpdate: Lease,
 * Events, Endpoints, Service, the RBAC kinds and RuntimeClass); any other kind's PUT of a missing
 * object is 404.
 */
const createOnUpdateKinds: ReadonlySet<string> = new Set([
  'coordination.k8s.io/Lease',
  '/Event',
  'events.k8s.io/Event',
  '/Endpoints',
  '/Service',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'node.k8s.io/RuntimeClass',
]);

/** Whether a PUT without a resourceVersion may overwrite whatever is stored (upstream's AllowUnconditionalUpdate). */
function allowsUnconditionalUpdate(k: KindDef): boolean {
  return !k.custom && !conditionalUpdateKinds.has(`${k.group}/${k.kind}`);
}

/**
 * The code of a DELETE that leaves the object in place (finalizers, a graceful deletion, a
 * terminating namespace): 200, or 202 Accepted when the legacy `orphanDependents: false` asked
 * for cascading, as upstream's delete handler answers (its wasDeleted is false).
 */
function keptCode(opts: ParsedDeleteOptions): 200 | 202 {
  return opts.legacyCascade ? 202 : 200;
}

export class RestRegistry {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly kinds: KindRegistry;
  private readonly logger: Logger;
  private readonly namespacePhase: (ns: string) => 'Active' | 'Terminating' | undefined;
  private readonly namespaceRetryMs: number;
  private readonly namespaceDeletionGraceMs: number;
  private readonly admitPod: ((pod: Pod) => Promise<void>) | undefined;
  private readonly admitIngress: ((ingress: KubeObject) => Promise<void>) | undefined;
  private readonly validatePod: ((pod: Pod) => Promise<void>) | undefined;
  private readonly quota: ((req: QuotaRequest) => Promise<QuotaCharge | undefined>) | undefined;
  private readonly serviceAllocator: ServiceAllocator | undefined;
  private readonly admitPriorityClass: ((pc: KubeObject) => Promise<void>) | undefined;
  private readonly podSecurity: ((req: PodSecurityRequest) => Promise<PodSecurityDecision> | undefined) | undefined;
  private readonly decodedObject: ((key: string, revision: number) => KubeObject | undefined) | undefined;
  private readonly offerDecoded: ((key: string, value: string, obj: KubeObject) => () => void) | undefined;
  private readonly currentKv: ((key: string) => KeyValue | undefined) | undefined;
  /** Namespaces whose finalization is running or scheduled. */
  private readonly finalizing = new Map<string, NodeJS.Timeout | true>();
  /** resumeNamespaceFinalization's scan: none, one running, or one running and another asked for. */
  private resumeScan: 'idle' | 'running' | 'again' = 'idle';
  private stopped = false;
  /** Same-key updates and deletes take turns (see the file comment). */
  private readonly turns = new WriteTurns();
  /** What list filters look at in stored objects, per stored version (shared with the watch cache). */
  private readonly selections: SelectionCache;

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.kinds = opts.kinds;
    this.logger = opts.logger;
    this.namespacePhase = opts.namespacePhase ?? (() => undefined);
    this.namespaceRetryMs = opts.namespaceRetryMs ?? 1000;
    this.selections = opts.selections ?? new SelectionCache();
    this.namespaceDeletionGraceMs = opts.namespaceDeletionGraceMs ?? 5000;
    this.admitPod = opts.admitPod;
    this.admitIngress = opts.admitIngress;
    this.validatePod = opts.validatePod;
    this.quota = opts.quota;
    this.serviceAllocator = opts.serviceAllocator;
    this.admitPriorityClass = opts.admitPriorityClass;
    this.podSecurity = opts.podSecurity;
    this.decodedObject = opts.decodedObject;
    this.offerDecoded = opts.offerDecoded;
    this.currentKv = opts.currentKv;
  }

  /** The key's current state: the reader's (currentKv) when it knows it, else a store read. */
  private readCurrent(key: string): KeyValue | undefined | Promise<KeyValue | undefined> {
    return this.currentKv?.(key) ?? this.store.get(key);
  }

  /** Stops background work (namespace finalization). */
  stop(): void {
    this.stopped = true;
    for (const t of this.finalizing.values()) if (t !== true) clearTimeout(t);
    this.finalizing.clear();
  }

  // ---------------------------------------------------------------------------------------
  // Decoding

  /**
   * Type-checks and prunes a body against the kind's schema; sets apiVersion/kind.
   * `findings`: what the body's JSON text showed beyond its value (duplicate fields, number
   * literals as written), when the body is that text's value. Duplicate fields are strict
   * decoding errors as unknown fields are: with Strict one 400, with Warn warnings. For a body
   * they come in document order with the unknown fields (`findings.order`), as Go's decoder
   * meets them; for a patch (`patch`: the body is a patched object) the patch's duplicates come
   * first, then the patched object's unknown fields, and the errors are worded as upstream's
   * patch handler does (`strict decoding error: ...`, without the `<Kind> in version ... cannot
   * be handled` of a body).
   */
  decode(
    k: KindDef,
    body: unknown,
    fieldValidation: FieldValidation,
    trusted?: ReadonlySet<object>,
    findings?: Pick<JsonTextFindings, 'duplicates' | 'literals' | 'order' | 'yaml'> & {
      /** A JSON patch's findings about its operations, worded (`json patch unknown field "[0].x"`): first of all. */
      patchFindings?: string[];
    },
    patch = false,
    /** Leave a custom resource's schema defaults out (an apply configuration). */
    noDefaults = false,
  ): { object: KubeObject; warnings: string[] } {
    if (!isObject(body)) throw badRequest(`${k.kind} in version "${k.version}" cannot be handled as a ${k.kind}: the body must be a JSON object`);
    const gv = groupVersionOf(k);
    checkTypeMeta(body, gv, k.kind);
    const gvk = { group: k.group, version: k.version, kind: k.kind };
    if (k.custom) {
      // Custom resources are checked against their schema first, as upstream: a wrong type is 422.
      const errs = validationFor(groupKindOf(k)).typeErrors?.(body, gv) ?? [];
      const meta = isObject(body.metadata) ? body.metadata : {};
      if (errs.length > 0) throw invalid(resourceRefOf(k), typeof meta.name === 'string' ? meta.name : '', errs);
    }
    if (findings) checkNumberLiterals(gvk, findings.literals, k.custom === true);
    if (findings?.yaml) return this.decodeYaml(k, body, fieldValidation, findings.yaml.duplicates, gvk);
    const duplicates = fieldValidation === 'Ignore' ? [] : [...(findings?.patchFindings ?? []), ...(findings?.duplicates ?? []).map((p) => `duplicate field ${JSON.stringify(p)}`)];
    // Strict errors the decoder does not report itself (duplicates; any for a patch, in the
    // patch wording) are collected as warnings first, unknown fields after the duplicates.
    const collect = duplicates.length > 0 || (patch && fieldValidation === 'Strict');
    const { object, warnings: unknown } = decodeObject(gvk, body, collect ? 'Warn' : fieldValidation, trusted, noDefaults);
    const warnings = duplicates.length === 0 ? unknown : patch || !findings?.order ? [...duplicates, ...unknown] : inDocumentOrder(duplicates, unknown, findings.order);
    if (collect && fieldValidation === 'Strict' && warnings.length > 0) {
      const message = strictDecodingMessage(warnings);
      throw patch ? badRequest(message) : cannotHandle(gvk, message);
    }
    const obj = object as KubeObject;
    obj.apiVersion = gv;
    obj.kind = k.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    return { object: obj, warnings };
  }

  /**
   * decode for a YAML body (upstream converts YAML to JSON, then decodes it): the repeated keys
   * are one strict error (`yaml: unmarshal errors:` and a line each) before the unknown fields,
   * which come in sorted order (the converted JSON's keys are sorted); as warnings, each repeated
   * key is its own.
   */
  private decodeYaml(k: KindDef, body: Record<string, unknown>, fieldValidation: FieldValidation, yamlDuplicates: readonly string[], gvk: { group: string; version: string; kind: string }): { object: KubeObject; warnings: string[] } {
    const dups = fieldValidation === 'Ignore' ? [] : yamlDuplicates;
    const { object, warnings: unknown } = decodeObject(gvk, body, fieldValidation === 'Strict' ? 'Warn' : fieldValidation);
    const sortedUnknown = [...unknown].sort((a, b) => (unknownPath(a) < unknownPath(b) ? -1 : unknownPath(a) > unknownPath(b) ? 1 : 0));
    if (fieldValidation === 'Strict' && (dups.length > 0 || sortedUnknown.length > 0)) {
      const errors = dups.length > 0 ? [`yaml: unmarshal errors:\n  ${dups.join('\n  ')}`, ...sortedUnknown] : sortedUnknown;
      throw cannotHandle(gvk, strictDecodingMessage(errors));
    }
    const obj = object as KubeObject;
    obj.apiVersion = groupVersionOf(k);
    obj.kind = k.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    return { object: obj, warnings: fieldValidation === 'Warn' ? [...dups, ...sortedUnknown] : [] };
  }

  // ---------------------------------------------------------------------------------------
  // Reads

  async get(k: KindDef, namespace: string | undefined, name: string): Promise<string> {
    checkVerb(k, 'get');
    const kv = await this.store.get(objectKey(k, namespace, name));
    if (!kv) throw notFound(resourceRefOf(k), name);
    return withResourceVersion(kv.value, kv.modRevision);
  }

  /**
   * One page of a list. Without selectors, items are never parsed. With a limit and a filter,
   * store pages are read until `limit` matches are found or the range ends (upstream does the
   * same); remainingItemCount is only given without a filter. A list at resourceVersion "0"
   * ignores the limit (one page), as upstream's watch cache answers it.
   */
  async list(k: KindDef, namespace: string | undefined, q: ListQuery): Promise<ListPage> {
    checkVerb(k, 'list');
    const filter = buildFilter(k, q.labelSelector, q.fieldSelector);
    let prefix = keyPrefix(k, k.namespaced ? namespace : undefined);
    // A filter on the exact namespace (all-namespaces requests) narrows the range.
    if (k.namespaced && namespace === undefined && filter?.namespace !== undefined) prefix = keyPrefix(k, filter.namespace);
    // metadata.name=x inside one namespace (or cluster-scoped) is a range of keys starting with x.
    let exactKey: string | undefined;
    let rangePrefix = prefix;
    if (filter?.name !== undefined && (!k.namespaced || namespace !== undefined || filter.namespace !== undefined)) {
      exactKey = prefix + filter.name;
      rangePrefix = exactKey;
    }

    let revision: number | undefined;
    let startAfter: string | undefined;
    const rv = q.resourceVersion === undefined ? 0 : Number(q.resourceVersion);
    if (q.continueToken) {
      const t = decodeContinue(q.continueToken);
      startAfter = prefix + t.start;
      // rv -1: a token handed out with an expired continue, to go on at the latest revision.
      if (t.rv !== -1) {
        revision = t.rv;
        const compacted = await this.store.compactedRevision();
        if (t.rv < compacted) {
          const fresh = encodeContinue({ rv: -1, start: t.start });
          throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.', undefined, { continue: fresh });
        }
      }
    } else if (rv > 0 && (q.resourceVersionMatch === 'Exact' || (q.resourceVersionMatch === undefined && q.limit > 0))) {
      // Exact, and (upstream's legacy rule) a paged list at a given resourceVersion without a match.
      revision = rv;
      const [compacted, current] = await Promise.all([this.store.compactedRevision(), this.store.currentRevision()]);
      // Upstream's words for a list (a watch says "too old resource version: R (C)").
      if (revision < compacted) throw expired('The resourceVersion for the provided list is too old.');
      if (revision > current) throw tooLargeResourceVersion(revision, current);
    } else if (rv > 0) {
      // NotOlderThan (or no match): any state at least as new; wait briefly for a revision
      // this store has not reached, as upstream's watch cache does, then answer 504.
      await this.waitForRevision(rv);
    }
    // resourceVersion "0" / unset: the current state is always acceptable.

    // A list at resourceVersion "0" is one page whatever its limit, as upstream's watch cache
    // serves it (a reflector's first list); the limit pages every other list.
    const limit = q.resourceVersion === '0' && !q.continueToken ? 0 : q.limit;
    const items: string[] = [];
    let lastKey: string | undefined;
    let more = false;
    let remaining: number | undefined;
    for (;;) {
      const pageLimit = limit > 0 ? (filter ? Math.max(limit - items.length, 256) : limit - items.length) : 0;
      const opts: { revision?: number; limit?: number; startAfter?: string } = {};
      if (revision !== undefined) opts.revision = revision;
      if (pageLimit > 0) opts.limit = pageLimit;
      if (startAfter !== undefined) {
        // The continue key must sort inside this range; a key before the range start reads from its start.
        if (startAfter >= rangePrefix) opts.startAfter = startAfter;
      }
      const res = (filter?.needsObject && exactKey === undefined ? await this.selections.knownPage(this.store, k, rangePrefix, opts, filter) : undefined) ?? (await this.store.list(rangePrefix, opts));
      revision ??= res.revision;
      let stoppedEarly = false;
      for (let i = 0; i < res.items.length; i++) {
        const kv = res.items[i]!;
        if (!this.accepts(k, kv, filter, exactKey)) continue;
        items.push(withResourceVersion(kv.value, kv.modRevision));
        if (limit > 0 && items.length >= limit) {
          lastKey = kv.key;
          // One name selects one object at most: the keys after it in its range are other names.
          stoppedEarly = exactKey === undefined && (i < res.items.length - 1 || res.more);
          if (!filter && res.more) remaining = res.remaining;
          break;
        }
      }
      if (lastKey !== undefined) {
        more = stoppedEarly;
        break;
      }
      if (!res.more || res.items.length === 0) break;
      startAfter = res.items[res.items.length - 1]!.key;
    }
    const page: ListPage = { revision: revision ?? (await this.store.currentRevision()), items };
    if (more && lastKey !== undefined) {
      page.continueToken = encodeContinue({ rv: page.revision, start: lastKey.slice(prefix.length) });
      if (remaining !== undefined) page.remainingItemCount = remaining;
    }
    return page;
  }

  /**
   * Resolves once the store's revision reaches `rv`; 504 Timeout (too large resource version)
   * after FRESHNESS_WAIT_MS, upstream's wait for a cache to become fresh enough.
   */
  private async waitForRevision(rv: number): Promise<void> {
    const deadline = Date.now() + FRESHNESS_WAIT_MS;
    for (;;) {
      const current = await this.store.currentRevision();
      if (current >= rv) return;
      if (Date.now() >= deadline) throw tooLargeResourceVersion(rv, current);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private accepts(k: KindDef, kv: KeyValue, filter: ObjectFilter | undefined, exactKey: string | undefined): boolean {
    if (exactKey !== undefined && kv.key !== exactKey) return false;
    if (!filter) return true;
    if (!filter.needsObject && exactKey !== undefined) return true;
    return this.selections.accepts(k, kv, filter);
  }

  // ---------------------------------------------------------------------------------------
  // Create

  /** POST. `findings`: from the body's JSON text, when it was JSON (see decode). */
  async create(k: KindDef, namespace: string | undefined, body: unknown, q: WriteQuery, admit?: AdmitFn, findings?: JsonTextFindings): Promise<WriteResult> {
    checkVerb(k, 'create');
    validateFieldManager(q.fieldManager, 'CreateOptions');
    const { object, warnings } = this.decode(k, body, q.fieldValidation, undefined, findings);
    const dedup = dedupOwnerReferences(object, false);
    if (dedup) warnings.push(dedup);
    // Managed fields sent with a create are kept (and the creator owns what it set); none: none.
    recordUpdate({ metadata: {} } as KubeObject, object, managedKindOf(k), q.fieldManager, '', rfc3339(this.clock.now()));
    return this.createDecoded(k, namespace, object, warnings, q.dryRun, admit);
  }

  /**
   * Writes `obj` at `key` with `put` (the store's create or update of the stored text, which
   * answers the revision) and answers the object's JSON at that revision. The stored text's
   * decoded form is offered to the watch cache (RegistryOptions.offerDecoded) for the kinds whose
   * objects the cache shares with updates, and withdrawn when the write fails. `obj` must be plain
   * JSON data, and from here on the offered form shares all but its top level and metadata with
   * it: nothing writes to it again.
   */
  private async writeOffered(k: KindDef, key: string, obj: KubeObject, put: (json: string) => Promise<number>): Promise<string> {
    const stored = storedObject(storedForm(k, obj));
    const json = goJsonEscape(JSON.stringify(stored));
    const withdraw = k.custom || k.view || !this.offerDecoded ? undefined : this.offerDecoded(key, json, stored);
    try {
      return withResourceVersion(json, await put(json));
    } catch (err) {
      withdraw?.();
      throw err;
    }
  }

  /**
   * Creates the decoded `object`; a refusal carries the decoding's `warnings` and those the
   * create found before it (ApiError.warnings). `warnings` itself is left as it was.
   */
  private async createDecoded(k: KindDef, namespace: string | undefined, object: KubeObject, warnings: string[], dryRun: boolean, admit?: AdmitFn): Promise<WriteResult> {
    const found = [...warnings];
    try {
      return await this.createChecked(k, namespace, object, found, dryRun, admit);
    } catch (err) {
      throw withWarnings(err, found);
    }
  }

  private async createChecked(k: KindDef, namespace: string | undefined, object: KubeObject, warnings: string[], dryRun: boolean, admit?: AdmitFn): Promise<WriteResult> {
    // A terminating CRD's kinds refuse creates (custom-resources.ts).
    if (k.createForbidden) throw methodNotAllowed(k.createForbidden);
    const ref = resourceRefOf(k);
    checkNamespace(k, object, namespace);
    const m = object.metadata;
    if (m.resourceVersion !== undefined && m.resourceVersion !== '') throw badRequest('resourceVersion should not be set on objects to be created');
    const validation = validationFor(groupKindOf(k));
    validation.applyDefaults(object);
    // DefaultTolerationSeconds comes before the RuntimeClass plugin's merge of tolerations, in
    // upstream's plugin order.
    admitCreate(k, object);
    // Before the name is generated: admission names a generateName pod by its prefix, as upstream.
    if (this.admitPod && k.group === '' && k.kind === 'Pod') await this.admitPod(object as Pod);
    if (this.admitIngress && k.group === 'networking.k8s.io' && k.kind === 'Ingress') await this.admitIngress(object);
    let generated = false;
    if (!m.name) {
      if (!m.generateName) throw invalid(ref, '', [fe.required('metadata.name', 'name or generateName is required')]);
      m.name = generateName(m.generateName);
      generated = true;
    }
    prepareForCreate(k, object, this.clock.now());
    validation.prepareForCreate?.(object);
    const errs = [...checkPathSegmentName('metadata.name', m.name), ...validation.validateCreate(object)];
    if (errs.length > 0) throw invalid(ref, m.name, errs);
    const kindWarnings = validation.warnings?.(object);
    // Pushed (not copied): a refusal after this point carries them too (createDecoded), as
    // upstream's strategy warnings go out with a later admission refusal.
    if (kindWarnings && kindWarnings.length > 0) warnings.push(...kindWarnings);
    if (k.namespaced) await this.ensureNamespace(namespace!, ref, m.name);
    await admit?.(object, undefined);
    if (this.admitPriorityClass && isPriorityClassKind(k)) await this.admitPriorityClass(object);
    if (this.validatePod && k.group === '' && k.kind === 'Pod') await this.validatePod(object as Pod);
    const checking = this.podSecurity?.({ k, subresource: undefined, namespace, object });
    const psa = checking && (await checking);
    if (psa && psa.warnings.length > 0) warnings.push(...psa.warnings);
    const audit = psa?.auditAnnotations ? { auditAnnotations: psa.auditAnnotations } : {};
    const allocator = isServiceKind(k) ? this.serviceAllocator : undefined;
    const charge = await this.quota?.({ k, namespace: namespace ?? '', object, dryRun });
    if (dryRun) {
      // A name in use fails as the real create would (upstream's dry-run storage reads the key).
      if (await this.store.get(objectKey(k, namespace, m.name))) throw alreadyExists(ref, m.name);
      // A dry run shows what would be allocated, reserving nothing.
      if (allocator) await allocator.allocate(object, undefined, async () => undefined);
      return { code: 201, json: JSON.stringify(object), warnings, name: m.name, ...audit };
    }
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const write = () => {
            const key = objectKey(k, namespace, m.name!);
            return this.writeOffered(k, key, object, (json) => this.store.create(key, json));
          };
          const json = allocator ? await allocator.allocate(object, undefined, write) : await write();
          return { code: 201, json, warnings, name: m.name, ...audit };
        } catch (err) {
          if (!(err instanceof StorageError) || err.code !== 'AlreadyExists') throw err;
          if (!generated || attempt >= maxGenerateNameAttempts) throw alreadyExists(ref, m.name);
          m.name = generateName(m.generateName!);
        }
      }
    } catch (err) {
      // Nothing was written: the quota charge is taken back.
      await charge?.refund().catch((e: unknown) => this.logger.warn(`refunding a quota charge failed: ${e instanceof Error ? e.message : String(e)}`));
      throw err;
    }
  }

  /**
   * upstream's NamespaceLifecycle admission of creates (subresources such as pods/eviction too):
   * 404 for a missing namespace, 403 with the NamespaceTerminating cause while it terminates.
   */
  async ensureNamespace(ns: string, ref: ResourceRef, name: string): Promise<void> {
    let phase = this.namespacePhase(ns);
    if (phase === undefined) {
      const kv = await this.store.get(`${registryRoot}core/namespaces/${ns}`);
      if (!kv) throw notFound(namespaceRef, ns);
      phase = parseStored(kv.value, kv.modRevision).metadata.deletionTimestamp ? 'Terminating' : 'Active';
    }
    if (phase === 'Terminating') {
      throw new ApiError(403, 'Forbidden', `${qualifiedResource(ref)} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
        name,
        ...(ref.group ? { group: ref.group } : {}),
        kind: ref.resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Namespace lifecycle (upstream: the namespace controller). Deleting a Namespace marks it
  // Terminating (deletionTimestamp, status.phase); then every namespaced object in it is
  // deleted (background). Once none remains, the registry, which plays the namespace
  // controller, drops its `kubernetes` entry from spec.finalizers (every namespace gets it on
  // create), and when no spec or metadata finalizer is left the Namespace itself is removed.
  // Objects held by finalizers, and finalizers of other owners, keep it Terminating, as upstream.

  /**
   * Schedules finalization of every terminating namespace (at start, and whenever namespaces
   * change: another server may have taken the DELETE). Calls during a scan coalesce into one
   * more scan after it.
   */
  resumeNamespaceFinalization(): void {
    if (this.stopped) return;
    if (this.resumeScan !== 'idle') {
      this.resumeScan = 'again';
      return;
    }
    this.resumeScan = 'running';
    void (async () => {
      const list = await this.store.list(`${registryRoot}core/namespaces/`);
      for (const kv of list.items) {
        const obj = parseStored(kv.value, kv.modRevision);
        if (!obj.metadata.deletionTimestamp || !obj.metadata.name) continue;
        // What is left of the deletion grace (a namespace deleted through another server, or
        // before this one started); a timestamp that does not parse waits the whole grace.
        const since = Date.parse(obj.metadata.deletionTimestamp);
        const left = Number.isFinite(since) ? since + this.namespaceDeletionGraceMs - this.clock.now() : this.namespaceDeletionGraceMs;
        this.scheduleNamespaceFinalization(obj.metadata.name, Math.max(0, Math.min(left, this.namespaceDeletionGraceMs)));
      }
    })()
      .catch((err: unknown) => {
        if (!this.stopped) this.logger.error('resuming namespace finalization failed', err);
      })
      .finally(() => {
        const again = this.resumeScan === 'again';
        this.resumeScan = 'idle';
        if (again) this.resumeNamespaceFinalization();
      });
  }

  private scheduleNamespaceFinalization(ns: string, delayMs: number): void {
    if (this.stopped || this.finalizing.has(ns)) return;
    const t = setTimeout(() => {
      this.finalizing.set(ns, true);
      this.finalizeNamespace(ns)
        .then((done) => {
          this.finalizing.delete(ns);
          if (!done) this.scheduleNamespaceFinalization(ns, this.namespaceRetryMs);
        })
        .catch((err: unknown) => {
          this.finalizing.delete(ns);
          this.logger.warn(`namespace ${ns}: finalization failed, retrying`, err);
          this.scheduleNamespaceFinalization(ns, this.namespaceRetryMs);
        });
    }, delayMs);
    t.unref();
    this.finalizing.set(ns, t);
  }

  /** One finalization pass; true when the namespace is gone (or no longer terminating). */
  private async finalizeNamespace(ns: string): Promise<boolean> {
    const nsKey = `${registryRoot}core/namespaces/${ns}`;
    let remaining = 0;
    for (const k of this.kinds.all()) {
      if (!k.namespaced || k.view || this.stopped) continue;
      const list = await this.store.list(keyPrefix(k, ns));
      for (const kv of list.items) {
        remaining++;
        const name = kv.key.slice(keyPrefix(k, ns).length);
        const obj = parseStored(kv.value, kv.modRevision);
        if (obj.metadata.deletionTimestamp) continue; // already deleting, held by finalizers
        try {
          await this.deleteObject(k, ns, name, { dryRun: false, propagationPolicy: 'Background' });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
    }
    if (this.stopped) return true;
    if (remaining > 0) {
      // Deleted objects are gone now unless finalizers hold them: check again next pass, and
      // say in the namespace's conditions what remains and which finalizers hold it.
      const left = new Map<string, number>();
      const holding = new Map<string, number>();
      for (const k of this.kinds.all()) {
        if (!k.namespaced || k.view) continue;
        const list = await this.store.list(keyPrefix(k, ns));
        if (list.items.length === 0) continue;
        left.set(`${k.plural}.${k.group}`, list.items.length);
        for (const kv of list.items) {
          for (const f of parseStored(kv.value, kv.modRevision).metadata.finalizers ?? []) holding.set(f, (holding.get(f) ?? 0) + 1);
        }
      }
      if (left.size > 0) {
        await this.setNamespaceConditions(nsKey, left, holding);
        return false;
      }
    }
    await this.setNamespaceConditions(nsKey, new Map(), new Map());
    const kv = await this.store.get(nsKey);
    if (!kv) return true;
    const obj = parseStored(kv.value, kv.modRevision);
    if (!obj.metadata.deletionTimestamp) return true;
    const specFinalizers = namespaceSpecFinalizers(obj);
    const others = specFinalizers.filter((f) => f !== namespaceFinalizer);
    try {
      if (others.length === 0 && (obj.metadata.finalizers ?? []).length === 0) {
        await this.store.delete(nsKey, kv.modRevision);
        return true;
      }
      // Held by someone else's finalizer: give up only ours, and wait.
      if (others.length !== specFinalizers.length) {
        const next: KubeObject = { ...obj, spec: { ...(obj.spec as Record<string, unknown>), finalizers: others } };
        await this.store.update(nsKey, encodeForStore(next), kv.modRevision);
      }
      return false;
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound')) return false;
      throw err;
    }
  }

  /**
   * The conditions upstream's namespace controller keeps on a terminating namespace (discovery,
   * group versions and content deletion succeeded; what content and which finalizers remain),
   * written only when they change; a lost write race is left to the next pass.
   */
  private async setNamespaceConditions(nsKey: string, left: Map<string, number>, holding: Map<string, number>): Promise<void> {
    const kv = await this.store.get(nsKey);
    if (!kv) return;
    const obj = parseStored(kv.value, kv.modRevision);
    if (!obj.metadata.deletionTimestamp) return;
    const status = (obj.status ?? {}) as { conditions?: NamespaceCondition[] };
    const old = status.conditions ?? [];
    const now = rfc3339(this.clock.now());
    const list = (m: Map<string, number>, fmt: (k: string, n: number) => string) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => fmt(k, n)).join(', ');
    const want: Omit<NamespaceCondition, 'lastTransitionTime'>[] = [
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
      { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
      left.size > 0
        ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list(left, (r, n) => `${r} has ${n} resource instances`)}` }
        : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
      holding.size > 0
        ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list(holding, (f, n) => `${f} in ${n} resource instances`)}` }
        : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ];
    const conditions = want.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now };
    });
    const same = conditions.length === old.length && conditions.every((c, i) => { const o = old[i]!; return o.type === c.type && o.status === c.status && o.reason === c.reason && o.message === c.message; });
    if (same) return;
    const next: KubeObject = { ...obj, status: { ...status, conditions } };
    try {
      await this.store.update(nsKey, encodeForStore(next), kv.modRevision);
    } catch (err) {
      if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Update (PUT) and patch

  /** PUT. `findings`: from the body's JSON text, when it was JSON (see decode). */
  async update(
    k: KindDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    body: unknown,
    q: WriteQuery,
    admit?: AdmitFn,
    findings?: JsonTextFindings,
  ): Promise<WriteResult> {
    checkVerb(k, 'update');
    const { object, warnings } = this.decode(k, body, q.fieldValidation, undefined, findings);
    const dedup = dedupOwnerReferences(object, false);
    if (dedup) warnings.push(dedup);
    checkNamespace(k, object, namespace);
    checkName(object, name);
    validateFieldManager(q.fieldManager, 'UpdateOptions');
    // Each attempt gets its own copy: the strategy mutates the produced object. (A JSON copy: the
    // decoded body is plain JSON, and structuredClone costs several times more on small objects.)
    const put = () => this.updateWith(k, namespace, name, subresource, q.dryRun, warnings, { name: q.fieldManager, apply: false }, () => deepClone(object), admit, true);
    if (subresource !== undefined || k.custom || !createOnUpdateKinds.has(`${k.group}/${k.kind}`)) return put();
    // Create on update: a missing object is created from the body (its resourceVersion ignored,
    // as upstream's store does), answered 201. The update is tried first (an existing object, as
    // a renewed Lease, costs nothing more); a create that lost a race updates again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await put();
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404 && err.details?.name === name && err.details?.kind === resourceRefOf(k).resource) || attempt >= 3) throw err;
      }
      checkVerb(k, 'create');
      const fresh = deepClone(object);
      delete fresh.metadata.resourceVersion;
      try {
        return await this.createDecoded(k, namespace, fresh, warnings, q.dryRun, admit);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists') || attempt >= 3) throw err;
      }
    }
  }

  /**
   * `POST pods/NAME/binding` (upstream's BindingREST, what a scheduler uses): a v1 Binding of the
   * pod's name (400 otherwise) whose target is a Node (kind empty or `Node`; a name required:
   * 422) binds the pod there. The pod must not be bound already (409 "is already assigned to
   * node"), being deleted, or held by scheduling gates (409); the Binding's uid and
   * resourceVersion, when set, are preconditions. The pod gets spec.nodeName, the Binding's
   * annotations, and the PodScheduled=True condition, in one write that skips the pod's update
   * validation (a bound pod's nodeName is otherwise immutable). Answers a Success Status (201).
   */
  async bindPod(k: KindDef, namespace: string, name: string, body: unknown, q: WriteQuery, admit?: AdmitFn): Promise<WriteResult> {
    const b = isObject(body) ? body : {};
    const meta = isObject(b.metadata) ? b.metadata : {};
    if (b.kind !== undefined && b.kind !== 'Binding') throw badRequest(`not a Binding object: ${String(b.kind)}`);
    // As upstream's create handler, before the binding itself is looked at.
    if (typeof meta.namespace === 'string' && meta.namespace !== '' && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (meta.name !== name) throw badRequest('name in URL does not match name in Binding object');
    const target = isObject(b.target) ? b.target : {};
    const errs: FieldError[] = [];
    const tk = typeof target.kind === 'string' ? target.kind : '';
    if (tk !== '' && tk !== 'Node') errs.push(fe.notSupported('target.kind', tk, ['Node', '<empty>']));
    const node = typeof target.name === 'string' ? target.name : '';
    if (node === '') errs.push(fe.required('target.name'));
    if (errs.length > 0) throw invalid({ group: '', resource: 'bindings', kind: 'Binding' }, name, errs);
    const annotations = isObject(meta.annotations) ? (meta.annotations as Record<string, unknown>) : {};
    const wantUid = typeof meta.uid === 'string' ? meta.uid : '';
    const wantRv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
    const refused = (why: string) => conflict({ group: '', resource: 'pods/binding', kind: 'Binding' }, name, why);
    const result = await this.updateWith(k, namespace, name, 'binding', q.dryRun, [], { name: q.fieldManager, apply: false }, (cur) => {
      const pod = cur() as Pod;
      if (wantUid && pod.metadata.uid !== wantUid) {
        throw conflict(resourceRefOf(k), name, `Precondition failed: UID in precondition: ${wantUid}, UID in object meta: ${pod.metadata.uid ?? ''}`);
      }
      if (pod.metadata.deletionTimestamp) throw refused(`pod ${name} is being deleted, cannot be assigned to a host`);
      if (pod.spec.nodeName) throw refused(`pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`);
      if (((pod.spec as { schedulingGates?: unknown[] }).schedulingGates ?? []).length > 0) throw refused(`pod ${name} has non-empty .spec.schedulingGates`);
      pod.spec.nodeName = node;
      const anns: Record<string, string> = { ...(pod.metadata.annotations ?? {}) };
      for (const [key, v] of Object.entries(annotations)) if (typeof v === 'string') anns[key] = v;
      if (Object.keys(anns).length > 0) pod.metadata.annotations = anns;
      const now = rfc3339(this.clock.now());
      // upstream's UpdatePodCondition: the condition replaced whole (no reason or message left
      // from a gated pod's SchedulingGated), its transition time kept if it was True already.
      const conditions = [...(pod.status?.conditions ?? [])];
      const at = conditions.findIndex((c) => c.type === 'PodScheduled');
      const was = at < 0 ? undefined : conditions[at]!;
      const scheduled = { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: was?.status === 'True' && was.lastTransitionTime ? was.lastTransitionTime : now };
      if (at < 0) conditions.push(scheduled);
      else conditions[at] = scheduled;
      pod.status = { ...(pod.status ?? {}), conditions };
      if (wantRv) pod.metadata.resourceVersion = wantRv;
      else delete pod.metadata.resourceVersion;
      return pod;
    }, admit);
    return { code: 201, json: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }), warnings: result.warnings };
  }

  async patch(
    k: KindDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    type: PatchType,
    rawBody: string,
    q: WriteQuery,
    admit?: AdmitFn,
  ): Promise<WriteResult> {
    checkVerb(k, 'patch');
    // Custom resources have no patch strategies: strategic merge is refused as upstream refuses it.
    if (k.custom && type === 'strategic') {
      throw unsupportedPatchType(true);
    }
    const ref = resourceRefOf(k);
    let patch: unknown;
    let findings: JsonTextFindings | undefined;
    let applyDuplicates: string[] = [];
    try {
      if (type === 'apply') ({ value: patch, duplicates: applyDuplicates } = parseYamlText(rawBody));
      else ({ value: patch, findings } = parseJsonText(rawBody, q.fieldValidation));
    } catch (err) {
      throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (type === 'json' && !Array.isArray(patch)) {
      throw badRequest('the JSON patch body must be a JSON array of operations (application/json-patch+json)');
    }
    if (type !== 'json' && !isObject(patch)) throw badRequest('the patch body must be a JSON object');
    if (type === 'apply') {
      if (!q.fieldManager) {
        // upstream: PatchOptions validation (422), message kept verbatim.
        throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
          group: 'meta.k8s.io',
          kind: 'PatchOptions',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
        });
      }
      validateFieldManager(q.fieldManager, 'PatchOptions');
      const applied = patch as Record<string, unknown>;
      // upstream's field manager (its version check, the outermost): the configuration is of
      // the served group, version and kind exactly, else `invalid object type: <group>/<version>,
      // Kind=<kind>` as Go prints the configuration's (an apiVersion it cannot parse: none).
      const specified = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
      const appliedKind = typeof applied.kind === 'string' ? applied.kind : '';
      if (specified !== groupVersionOf(k) || appliedKind !== k.kind) {
        const parts = specified.split('/');
        const [group, version] = parts.length === 1 ? ['', parts[0]!] : parts.length === 2 ? [parts[0]!, parts[1]!] : ['', ''];
        throw badRequest(`invalid object type: ${group}/${version}, Kind=${appliedKind}`);
      }
      const meta = isObject(applied.metadata) ? applied.metadata : undefined;
      if (meta?.name !== undefined && meta.name !== name) {
        throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      }
      // The configuration, type-checked and pruned like any body (not defaulted: defaults are
      // nobody's fields), named after the URL. Metadata of another type is the decoder's 400.
      const named = meta !== undefined || applied.metadata === undefined || applied.metadata === null ? { ...applied, metadata: { ...(meta ?? {}), name } } : applied;
      const config = this.decode(k, named, q.fieldValidation, undefined, undefined, false, true);
      /** The merged object with the schema defaults the configuration left out (custom kinds; a copy: the merge shares the live object's parts). */
      const defaulted = (o: KubeObject): KubeObject => {
        if (!k.custom) return o;
        const copy = structuredClone(o);
        fillSchemaDefaults({ group: k.group, version: k.version, kind: k.kind }, copy);
        return copy;
      };
      // Repeated keys of the configuration (its last value was taken), as upstream's apply
      // handler reports them after applying: one 400 with Strict, a warning each with Warn.
      if (applyDuplicates.length > 0 && q.fieldValidation === 'Strict') {
        throw badRequest(`error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  ${applyDuplicates.join('\n  ')}`);
      }
      if (q.fieldValidation === 'Warn') config.warnings.push(...applyDuplicates);
      const kind = managedKindOf(k);
      const opts = { manager: q.fieldManager, force: q.force, subresource: subresource ?? '', now: rfc3339(this.clock.now()) };
      if (subresource === undefined) {
        const existing = await this.store.get(objectKey(k, namespace, name));
        if (!existing) {
          checkVerb(k, 'create');
          // An apply naming a uid is for that object only: it never makes one (upstream's patcher).
          const uid = config.object.metadata.uid;
          if (uid) throw conflict(ref, name, `uid mismatch: the provided object specified uid ${uid}, and no existing object was found`);
          const object = defaulted(applyConfiguration(undefined, config.object, kind, opts));
          try {
            return await this.createDecoded(k, namespace, object, config.warnings, q.dryRun, admit);
          } catch (err) {
            // Lost a create race: fall through to the update path.
            if (!(err instanceof ApiError) || err.reason !== 'AlreadyExists') throw err;
          }
        }
      }
      // The merge keeps the live resourceVersion (no precondition) unless the configuration sets one.
      const manager = { name: q.fieldManager, apply: true };
      return this.updateWith(k, namespace, name, subresource, q.dryRun, config.warnings, manager, (cur) =>
        defaulted(applyConfiguration(cur(), config.object, kind, { ...opts, now: rfc3339(this.clock.now()) })), admit);
    }
    const gvk = { group: k.group, version: k.version, kind: k.kind };
    let warnings: string[] = [];
    validateFieldManager(q.fieldManager, 'PatchOptions');
    return this.updateWith(k, namespace, name, subresource, q.dryRun, () => warnings, { name: q.fieldManager, apply: false }, (current) => {
      // A merge patch never writes to its target (it copies what it changes and shares the rest).
      const cur = current(type === 'merge');
      let patched: unknown;
      // Subtrees of the stored object a merge patch leaves alone were decoded when stored.
      let trusted: Set<object> | undefined;
      // The patch's number literals, at their paths in the patched object.
      let literals = findings?.literals ?? [];
      let duplicates = findings?.duplicates ?? [];
      let patchFindings: string[] | undefined;
      switch (type) {
        case 'json':
          patched = applyJsonPatch(cur, patch as unknown[]);
          literals = jsonPatchLiterals(patch as unknown[], literals);
          // The operations' own strict findings (upstream decodes them strictly too).
          patchFindings = q.fieldValidation === 'Ignore' ? [] : jsonPatchStrictFindings(patch as unknown[], duplicates);
          duplicates = [];
          break;
        case 'merge':
          trusted = new Set();
          patched = applyMergePatchShared(cur, patch, trusted);
          break;
        case 'strategic':
          patched = applyStrategicMergePatch(cur, patch, schemaFor(gvk), resolveSchema);
          break;
      }
      if (!isObject(patched)) throw new ApiError(422, 'Invalid', `${ref.kind} "${name}" is invalid: the patched object is not a JSON object`);
      let decoded: { object: KubeObject; warnings: string[] };
      try {
        decoded = this.decode(k, patched, q.fieldValidation, trusted, { duplicates, literals, ...(patchFindings ? { patchFindings } : {}) }, true);
      } catch (err) {
        // The patched object does not decode: upstream's patch handler answers 422 Invalid on
        // the field "patch" (see patchInvalid), not the 400 of a create or update.
        const detail = err instanceof ApiError && err.code === 400 ? decodeErrorDetail(err.message, gvk) : undefined;
        if (detail === undefined) throw err;
        throw patchInvalid(type === 'strategic' ? goPrintValue(patch) : JSON.stringify(patched), detail);
      }
      warnings = decoded.warnings;
      const dedup = dedupOwnerReferences(decoded.object, true);
      if (dedup) warnings.push(dedup);
      return decoded.object;
    }, admit);
  }

  /**
   * The update shared by PUT and PATCH, in the key's turn (dryRun: without one). `produce`
   * builds the desired object, from a fresh copy of the current one when it needs it (it calls
   * `current()`, at most once; a PUT never does); attempts after a CAS conflict call it again.
   * A resourceVersion in the produced object is a precondition.
   */
  private async updateWith(
    k: KindDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    dryRun: boolean,
    warnings: string[] | (() => string[]),
    manager: { name: string; apply: boolean },
    produce: (current: CurrentObject) => KubeObject,
    admit?: AdmitFn,
    put = false,
  ): Promise<WriteResult> {
    // "scale": a custom resource's /scale (scale.ts), which changes only specReplicasPath and
    // otherwise updates as the object itself does; its managedFields entries say "scale".
    if (
      subresource !== undefined &&
      subresource !== 'status' &&
      !(subresource === 'finalize' && isNamespaceKind(k)) &&
      !(subresource === 'scale' && k.scale) &&
      !((subresource === 'binding' || subresource === 'ephemeralcontainers') && isPodKind(k)) &&
      !(subresource === 'approval' && k.subresources.includes('approval'))
    ) {
      throw methodNotAllowed();
    }
    const key = objectKey(k, namespace, name);
    const args: UpdateArgs = { k, key, namespace, name, subresource, dryRun, warnings, manager, produce, put, ...(admit ? { admit } : {}) };
    // A refusal carries the decoding's warnings (ApiError.warnings).
    const carry = (err: unknown): unknown => withWarnings(err, typeof warnings === 'function' ? warnings() : warnings);
    if (dryRun) return this.updateLoop(args).catch((err: unknown) => Promise.reject(carry(err)));
    const turn = this.turns.enter(key);
    try {
      if (turn.ahead) await turn.ahead;
      return await this.updateLoop(args);
    } catch (err) {
      throw carry(err);
    } finally {
      turn.leave();
    }
  }

  /** updateWith's read-produce-CAS loop. */
  private async updateLoop(a: UpdateArgs): Promise<WriteResult> {
    const { k, key, namespace, name, subresource, dryRun, warnings, manager, produce, admit, put } = a;
    const ref = resourceRefOf(k);
    const validation = validationFor(groupKindOf(k));
    // The kind's own warnings (deprecated annotations...) of the last main-resource update checked.
    let kindWarnings: string[] = [];
    /** PodSecurity's answer on the last attempt: its warnings follow the kind's. */
    let psa: PodSecurityDecision | undefined;
    const warn = () => [...(typeof warnings === 'function' ? warnings() : warnings), ...kindWarnings, ...(psa?.warnings ?? [])];
    const done = (r: WriteResult): WriteResult => (psa?.auditAnnotations ? { ...r, auditAnnotations: psa.auditAnnotations } : r);
    let kv = await this.readCurrent(key);
    /** kv came from the store (a read, or a conflict's current state), not from currentKv. */
    let fromStore = false;
    for (let attempt = 1; ; attempt++) {
      if (!kv) throw notFound(ref, name);
      // The object a watcher already decoded, when there is one, instead of a parse of the
      // stored value: shared, so it is `old` itself only for a status update, which never
      // writes to `old` or to what `next` takes from it (prepareForStatusUpdate copies the
      // metadata it changes); other updates may hand parts of `old` to `next` and change them
      // (prepareForUpdate, keepStoredSpecForm, kind preparations), so they get a deep copy,
      // as `produce` always does.
      const shared = k.custom || k.view ? undefined : this.decodedObject?.(key, kv.modRevision);
      const old = shared ? (subresource === 'status' ? shared : deepClone(shared)) : asRequestedVersion(k, decodeStored(kv.value, kv.modRevision));
      const currentRV = String(kv.modRevision);
      const stored = kv;
      // A status update's result keeps only the status of `next` (prepareForStatusUpdate), and
      // nothing on its way writes below its top level and metadata (checkNamespace, the
      // resourceVersion) into a subtree it did not build itself: a producer that only reads the
      // current object or shares its subtrees (a merge patch) may take the shared one, with its
      // top level and metadata copied.
      let next = produce((readOnly) =>
        shared ? (readOnly && subresource === 'status' ? { ...shared, metadata: { ...shared.metadata } } : deepClone(shared)) : asRequestedVersion(k, decodeStored(stored.value, stored.modRevision)),
      );
      const precondition = next.metadata.resourceVersion;
      // "0" is no version at all, as upstream parses it (APIObjectVersioner): unconditional.
      const conditional = precondition !== undefined && precondition !== '' && precondition !== '0';
      if (put && !conditional && subresource !== 'scale' && !allowsUnconditionalUpdate(k)) {
        // upstream's Store.Update for a strategy without AllowUnconditionalUpdate: the kind named
        // by its resource, the version 0 as Go prints a uint64 with %#v.
        throw invalid({ ...ref, kind: ref.resource }, name, [fe.invalid('metadata.resourceVersion', new GoShown('0x0'), 'must be specified for an update')]);
      }
      // Preconditions are checked on every attempt, so a CAS conflict below is always retried:
      // a conditional write whose precondition went stale fails here on the next attempt.
      if (conditional && precondition !== currentRV) {
        if (fromStore) throw conflict(ref, name);
        // Only the store's own answer refuses a precondition.
        kv = await this.store.get(key);
        fromStore = true;
        continue;
      }
      checkNamespace(k, next, namespace);
      checkName(next, name);
      let errs: FieldError[];
      if (subresource === 'binding') {
        // bindPod built the pod from the current one; upstream's binding storage writes it
        // without the pod's update validation.
        errs = [];
      } else if (subresource === 'finalize') {
        // namespaces/finalize (upstream's finalize REST): only spec.finalizers is taken from the
        // body; it is how an owner, or an operator, releases a namespace held Terminating by a
        // spec finalizer. The namespace lifecycle deletes it once none is left.
        const finalizers = (next.spec as { finalizers?: unknown } | undefined)?.finalizers;
        next = { ...old, metadata: { ...old.metadata }, spec: { ...(old.spec as Record<string, unknown>), finalizers: Array.isArray(finalizers) ? finalizers : [] } };
        errs = validation.validateUpdate(next, old);
      } else if (subresource === 'status') {
        // Status defaults (upstream defaults every decoded body; the status strategy keeps only
        // status, so only its defaults matter: see src/api/validation/index.ts).
        validation.applyStatusDefaults?.(next);
        // The status strategy keeps the stored metadata; an apply's ownership record is new.
        const owned = manager.apply ? next.metadata.managedFields : undefined;
        next = prepareForStatusUpdate(k, next, old);
        if (owned !== undefined) next.metadata.managedFields = owned;
        else if (manager.apply) delete next.metadata.managedFields;
        validation.prepareForStatusUpdate?.(next, old, rfc3339(this.clock.now()));
        errs = [...validateFinalizersUpdate(next, old), ...validation.validateStatusUpdate(next, old)];
      } else if (subresource === 'approval') {
        // certificatesigningrequests/NAME/approval (upstream's csrApprovalStrategy): the stored
        // object with the body's metadata (as /status keeps it) and conditions, nothing else.
        const approval = validation.approval;
        if (!approval) throw methodNotAllowed();
        const owned = manager.apply ? next.metadata.managedFields : undefined;
        next = prepareForStatusUpdate(k, next, old);
        if (owned !== undefined) next.metadata.managedFields = owned;
        else if (manager.apply) delete next.metadata.managedFields;
        approval.prepare(next, old, rfc3339(this.clock.now()));
        errs = [...validateFinalizersUpdate(next, old), ...approval.validate(next, old)];
      } else if (subresource === 'ephemeralcontainers') {
        // pods/NAME/ephemeralcontainers (upstream's podEphemeralContainersStrategy): the body's
        // ephemeral containers, defaulted as any decoded pod, on the stored pod; nothing else of
        // the body is kept. An apply's ownership record is new, as on /status.
        validation.applyDefaults(next);
        const owned = manager.apply ? next.metadata.managedFields : undefined;
        next = prepareForEphemeralContainersUpdate(next, old);
        if (owned !== undefined) next.metadata.managedFields = owned;
        else if (manager.apply) delete next.metadata.managedFields;
        errs = validation.validateEphemeralContainersUpdate?.(next, old) ?? [];
      } else {
        validation.applyDefaults(next);
        keepStoredSpecForm(k, next, old);
        prepareForUpdate(k, next, old, { uidPrecondition: put });
        validation.prepareForUpdate?.(next, old);
        if (isServiceKind(k)) patchAllocatedValues(next, old);
        errs = [...validateDeletionUpdate(next, old), ...validateFinalizersUpdate(next, old), ...validation.validateUpdate(next, old)];
        kindWarnings = errs.length === 0 ? (validation.warnings?.(next, old) ?? []) : [];
      }
      if (errs.length > 0) throw invalid(ref, name, errs);
      next.metadata.resourceVersion = currentRV;
      // (A binding records no manager: upstream's binding storage writes past the field manager.)
      if (!manager.apply && subresource !== 'binding') recordUpdate(old, next, managedKindOf(k), manager.name, subresource ?? '', rfc3339(this.clock.now()));
      await admit?.(next, old);
      if (this.admitPriorityClass && isPriorityClassKind(k)) await this.admitPriorityClass(next);
      const checking = this.podSecurity?.({ k, subresource, namespace, object: next, old });
      psa = checking && (await checking);
      if (jsonEqual(next, old)) return done({ code: 200, json: withResourceVersion(kv.value, kv.modRevision), warnings: warn() });

      // Removing the last finalizer of an object being deleted deletes it (unless a graceful
      // deletion is still pending: a pod the node agent has not finished stopping; or, for a
      // namespace, a spec finalizer still holds it, as upstream's ShouldDeleteNamespaceDuringUpdate).
      const specHeld = isNamespaceKind(k) && ((next.spec as { finalizers?: unknown[] } | undefined)?.finalizers ?? []).length > 0;
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && !((next.metadata.deletionGracePeriodSeconds ?? 0) > 0) && !specHeld) {
        if (dryRun) return done({ code: 200, json: JSON.stringify(next), warnings: warn() });
        try {
          const { revision } = await this.store.delete(key, kv.modRevision);
          return done({ code: 200, json: withResourceVersion(encodeForStore(storedForm(k, next)), revision), warnings: warn() });
        } catch (err) {
          if (!(isCasConflict(err) && attempt < maxCasAttempts)) throw mapWriteError(err, ref, name);
          kv = await this.stateAfterConflict(err, key);
          fromStore = true;
          continue;
        }
      }
      const allocator = isServiceKind(k) && subresource === undefined ? this.serviceAllocator : undefined;
      const charge = subresource === undefined ? await this.quota?.({ k, namespace: namespace ?? '', object: next, old, dryRun }) : undefined;
      if (dryRun) {
        if (allocator) await allocator.allocate(next, old, async () => undefined);
        return done({ code: 200, json: JSON.stringify(next), warnings: warn() });
      }
      const toWrite = next;
      const expected = kv.modRevision;
      const write = () => this.writeOffered(k, key, toWrite, (json) => this.store.update(key, json, expected));
      try {
        const json = allocator ? await allocator.allocate(next, old, write) : await write();
        if (subresource === 'finalize' && next.metadata.deletionTimestamp) this.scheduleNamespaceFinalization(name, 0);
        return done({ code: 200, json, warnings: warn() });
      } catch (err) {
        // Nothing was written: the quota charge is taken back (a retry charges again).
        await charge?.refund().catch((e: unknown) => this.logger.warn(`refunding a quota charge failed: ${e instanceof Error ? e.message : String(e)}`));
        if (!(isCasConflict(err) && attempt < maxCasAttempts)) throw mapWriteError(err, ref, name);
        kv = await this.stateAfterConflict(err, key);
        fromStore = true;
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Delete

  /**
   * DELETE with upstream's finalizer semantics: Orphan/Foreground add the `orphan` /
   * `foregroundDeletion` finalizer; an object with finalizers gets deletionTimestamp and stays
   * until the last finalizer is removed by an update; otherwise it is deleted now. Pods bound
   * to a node are deleted gracefully (see gracefulDeletionSeconds): they get deletionTimestamp
   * and deletionGracePeriodSeconds, the node agent stops them and deletes them with grace 0.
   */
  async delete(k: KindDef, namespace: string | undefined, name: string, opts: ParsedDeleteOptions, admit?: AdmitFn): Promise<{ code: 200 | 202; json: string }> {
    checkVerb(k, 'delete');
    const ref = resourceRefOf(k);
    const systemClass = isPriorityClassKind(k) ? systemPriorityClassDeletion(name) : undefined;
    if (systemClass) throw systemClass;
    const ns = isNamespaceKind(k);
    if (ns && undeletableNamespaces.has(name)) throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, ref, name);
    const crd = k.group === 'apiextensions.k8s.io' && k.plural === 'customresourcedefinitions';
    const run = () => (ns ? this.deleteNamespace(k, name, opts, admit) : crd ? this.deleteCustomResourceDefinition(k, name, opts, admit) : this.deleteObject(k, namespace, name, opts, admit));
    if (opts.dryRun) return run();
    // In the key's turn, as updates (see the file comment).
    const turn = this.turns.enter(objectKey(k, namespace, name));
    try {
      if (turn.ahead) await turn.ahead;
      return await run();
    } finally {
      turn.leave();
    }
  }

  /** The key's state after a failed compare-and-swap: the one a Conflict carries, else a fresh read. */
  private stateAfterConflict(err: unknown, key: string): KeyValue | undefined | Promise<KeyValue | undefined> {
    return err instanceof StorageError && err.code === 'Conflict' && err.current ? err.current : this.store.get(key);
  }

  /**
   * DELETE of a kind whose REST marks the object and lets a controller finish (Namespace,
   * CustomResourceDefinition): the preconditions checked against the object as read (409 on a
   * mismatch, also while it is being deleted); an object already being deleted is answered by
   * `deleting`; else `mark` gives the marked object, written (not with dryRun) and answered
   * (200, or 202 for the legacy orphanDependents: false), then `marked` runs.
   */
  private async deleteByMarking(
    k: KindDef,
    name: string,
    opts: ParsedDeleteOptions,
    admit: AdmitFn | undefined,
    how: { deleting(obj: KubeObject, kv: KeyValue): Promise<{ code: 200 | 202; json: string }>; mark(obj: KubeObject): KubeObject; marked(): void },
  ): Promise<{ code: 200 | 202; json: string }> {
    const ref = resourceRefOf(k);
    const key = objectKey(k, undefined, name);
    let kv = await this.store.get(key);
    for (let attempt = 1; ; attempt++) {
      if (!kv) throw notFound(ref, name);
      const obj = decodeStored(kv.value, kv.modRevision);
      await admit?.(undefined, obj);
      const pre = opts.preconditions;
      if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
        throw conflict(ref, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw conflict(ref, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
      }
      if (obj.metadata.deletionTimestamp) return how.deleting(obj, kv);
      const next = how.mark(obj);
      if (opts.dryRun) return { code: keptCode(opts), json: JSON.stringify(next) };
      const json = encodeForStore(next);
      try {
        const rev = await this.store.update(key, json, kv.modRevision);
        how.marked();
        return { code: keptCode(opts), json: withResourceVersion(json, rev) };
      } catch (err) {
        if (!(isCasConflict(err) && attempt < maxCasAttempts)) throw mapWriteError(err, ref, name);
        kv = await this.stateAfterConflict(err, key);
      }
    }
  }

  /** DELETE of a Namespace: mark Terminating and start finalization (see the lifecycle section). */
  private deleteNamespace(k: KindDef, name: string, opts: ParsedDeleteOptions, admit?: AdmitFn): Promise<{ code: 200 | 202; json: string }> {
    const ref = resourceRefOf(k);
    return this.deleteByMarking(k, name, opts, admit, {
      deleting: async (obj, kv) => {
        if (!opts.dryRun) this.scheduleNamespaceFinalization(name, this.namespaceDeletionGraceMs);
        // Deleting a Terminating namespace again: 409 while its content is being removed (a
        // spec finalizer holds it), as upstream's namespace REST answers `kubectl delete ns`.
        if (((obj.spec as { finalizers?: unknown[] } | undefined)?.finalizers ?? []).length > 0) {
          throw conflict(ref, name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
        }
        return { code: keptCode(opts), json: withResourceVersion(kv.value, kv.modRevision) };
      },
      mark: (obj) => {
        const next: KubeObject = {
          ...obj,
          metadata: { ...obj.metadata, deletionTimestamp: rfc3339(this.clock.now()) },
          status: { ...((obj.status as Record<string, unknown> | undefined) ?? {}), phase: 'Terminating' },
        };
        // The propagation asked for, as metadata finalizers the garbage collector then acts on
        // (upstream's namespace REST): Orphan (or orphanDependents: true) ensures `orphan`,
        // Foreground (or orphanDependents: false) `foregroundDeletion`, each removed when the
        // other policy is asked for; no policy keeps what is there. Sorted when changed.
        const current = obj.metadata.finalizers ?? [];
        const policy = opts.propagationPolicy;
        const wants = {
          orphan: policy === undefined ? current.includes('orphan') : policy === 'Orphan',
          foregroundDeletion: opts.legacyCascade ? true : policy === undefined ? current.includes('foregroundDeletion') : policy === 'Foreground',
        };
        const finalizers = new Set(current);
        for (const [f, want] of Object.entries(wants)) {
          if (want) finalizers.add(f);
          else finalizers.delete(f);
        }
        if (finalizers.size !== current.length || current.some((f) => !finalizers.has(f))) next.metadata.finalizers = [...finalizers].sort();
        return next;
      },
      marked: () => this.scheduleNamespaceFinalization(name, this.namespaceDeletionGraceMs),
    });
  }

  /**
   * DELETE of a CustomResourceDefinition, as upstream's CRD REST: the first one sets
   * deletionTimestamp (no grace period, no new generation), adds the cleanup finalizer and the
   * condition Terminating=True (InstanceDeletionPending); the custom resources' cleanup
   * (custom-resources.ts) then removes the objects and the finalizer. One while it is being
   * deleted is an ordinary delete (which its finalizers keep).
   */
  private deleteCustomResourceDefinition(k: KindDef, name: string, opts: ParsedDeleteOptions, admit?: AdmitFn): Promise<{ code: 200 | 202; json: string }> {
    return this.deleteByMarking(k, name, opts, admit, {
      deleting: () => this.deleteObject(k, undefined, name, opts, admit),
      mark: (obj) => {
        const finalizers = obj.metadata.finalizers ?? [];
        const status = (obj.status as { conditions?: Array<Record<string, unknown>> } | undefined) ?? {};
        const now = rfc3339(this.clock.now());
        const terminating = { type: 'Terminating', status: 'True', lastTransitionTime: now, reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' };
        const prior = (status.conditions ?? []).find((c) => c['type'] === 'Terminating');
        if (prior?.['status'] === 'True') terminating.lastTransitionTime = String(prior['lastTransitionTime'] ?? now);
        return {
          ...obj,
          metadata: { ...obj.metadata, deletionTimestamp: now, finalizers: finalizers.includes(crdCleanupFinalizer) ? finalizers : [...finalizers, crdCleanupFinalizer] },
          status: { ...status, conditions: [...(status.conditions ?? []).filter((c) => c['type'] !== 'Terminating'), terminating] },
        };
      },
      marked: () => {},
    });
  }

  private async deleteObject(k: KindDef, namespace: string | undefined, name: string, opts: ParsedDeleteOptions, admit?: AdmitFn): Promise<{ code: 200 | 202; json: string }> {
    const ref = resourceRefOf(k);
    const key = objectKey(k, namespace, name);
    let kv = await this.readCurrent(key);
    /** kv came from the store (a read, or a conflict's current state), not from currentKv. */
    let fromStore = false;
    for (let attempt = 1; ; attempt++) {
      if (!kv) throw notFound(ref, name);
      const obj = decodeStored(kv.value, kv.modRevision);
      const m = obj.metadata;
      const pre = opts.preconditions;
      const uidFails = pre?.uid !== undefined && pre.uid !== m.uid;
      const rvFails = pre?.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion;
      if ((uidFails || rvFails) && !fromStore) {
        // Only the store's own answer refuses a precondition.
        kv = await this.store.get(key);
        fromStore = true;
        continue;
      }
      await admit?.(undefined, obj);
      if (uidFails) {
        throw conflict(ref, name, `Precondition failed: UID in precondition: ${pre?.uid ?? ''}, UID in object meta: ${m.uid ?? ''}`);
      }
      if (rvFails) {
        throw conflict(ref, name, `Precondition failed: ResourceVersion in precondition: ${pre?.resourceVersion ?? ''}, ResourceVersion in object meta: ${m.resourceVersion ?? ''}`);
      }
      const graceful = gracefulDeletion(k, obj, opts, this.clock.now());
      if (graceful !== undefined) {
        if (graceful.pending) return { code: keptCode(opts), json: withResourceVersion(kv.value, kv.modRevision) };
        if (graceful.metadata) {
          const next: KubeObject = { ...obj, metadata: { ...m, ...graceful.metadata } };
          if (opts.propagationPolicy === 'Orphan' || opts.propagationPolicy === 'Foreground') {
            const f = opts.propagationPolicy === 'Orphan' ? 'orphan' : 'foregroundDeletion';
            next.metadata.finalizers = [...(m.finalizers ?? []).filter((x) => x !== 'foregroundDeletion' && x !== 'orphan'), f];
          }
          if (opts.dryRun) return { code: keptCode(opts), json: JSON.stringify(next) };
          const json = encodeForStore(next);
          try {
            const rev = await this.store.update(key, json, kv.modRevision);
            return { code: keptCode(opts), json: withResourceVersion(json, rev) };
          } catch (err) {
            if (!(isCasConflict(err) && attempt < maxCasAttempts)) throw mapWriteError(err, ref, name);
            kv = await this.stateAfterConflict(err, key);
            fromStore = true;
            continue;
          }
        }
      }
      const policy = opts.propagationPolicy ?? k.defaultPropagation ?? 'Background';
      const before = m.finalizers ?? [];
      let finalizers = before;
      if (policy === 'Orphan') {
        finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan'), 'orphan'];
      } else if (policy === 'Foreground') {
        finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan'), 'foregroundDeletion'];
      } else if (opts.propagationPolicy === 'Background') {
        finalizers = finalizers.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan');
      }
      try {
        if (finalizers.length > 0) {
          // Graceful deletion: mark and keep until the finalizers are gone.
          const gracePending = (m.deletionGracePeriodSeconds ?? 0) > 0;
          if (m.deletionTimestamp && jsonEqual(finalizers, before) && !gracePending) return { code: keptCode(opts), json: withResourceVersion(kv.value, kv.modRevision) };
          const next: KubeObject = { ...obj, metadata: { ...m, finalizers } };
          // A graceful deletion cut short (grace 0) with finalizers left: the object now only waits for them.
          // Its deletionTimestamp becomes when the deletion began (upstream's BeforeDelete: the old
          // deadline less the old grace, plus the new grace of 0).
          if (gracePending) {
            next.metadata.deletionGracePeriodSeconds = 0;
            next.metadata.deletionTimestamp = rfc3339(deletionStart(m, this.clock.now()));
          }
          if (!m.deletionTimestamp) {
            next.metadata.deletionTimestamp = rfc3339(this.clock.now());
            next.metadata.deletionGracePeriodSeconds = 0;
            if (k.tracksGeneration && typeof m.generation === 'number') next.metadata.generation = m.generation + 1;
          }
          if (opts.dryRun) return { code: keptCode(opts), json: JSON.stringify(next) };
          const json = encodeForStore(next);
          const rev = await this.store.update(key, json, kv.modRevision);
          return { code: keptCode(opts), json: withResourceVersion(json, rev) };
        }
        if (opts.dryRun) return { code: 200, json: returnsDeletedObject(k) ? withResourceVersion(kv.value, kv.modRevision) : deletedStatus(k, name, m.uid) };
        const { revision } = await this.store.delete(key, kv.modRevision);
        return { code: 200, json: returnsDeletedObject(k) ? withResourceVersion(kv.value, revision) : deletedStatus(k, name, m.uid) };
      } catch (err) {
        if (!(isCasConflict(err) && attempt < maxCasAttempts)) throw mapWriteError(err, ref, name);
        kv = await this.stateAfterConflict(err, key);
        fromStore = true;
      }
    }
  }

  /** deletecollection: deletes every object the list query selects; answers the list of them. */
  /**
   * Deletes the objects a list with `q` selects, as upstream's Store.DeleteCollection: with a
   * limit only that page (its continue token answered, so a client can go on), else every page
   * from `q`'s continue token on. Answers the list as listed (the objects before their deletion),
   * less objects found already gone. An object refused stops the request with its error; the
   * ones before it stay deleted, as upstream's.
   */
  async deleteCollection(k: KindDef, namespace: string | undefined, q: ListQuery, opts: ParsedDeleteOptions, admit?: AdmitFn): Promise<string> {
    checkVerb(k, 'deletecollection');
    const page = await this.list(k, namespace, q);
    const listed: string[] = [];
    for (const item of page.items) {
      const obj = JSON.parse(item) as KubeObject;
      try {
        // The system PriorityClasses stay (each is refused on its own; a collection leaves them).
        if (isPriorityClassKind(k) && systemPriorityClassDeletion(obj.metadata.name ?? '')) continue;
        await this.delete(k, obj.metadata.namespace, obj.metadata.name ?? '', opts, admit);
        listed.push(item);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return listJson(k, { ...page, items: listed });
  }
}

/** Kinds whose immediate deletion answers the deleted object (upstream's ReturnDeletedObject); others answer a Status. */
const deletedObjectKinds = new Set(['pods', 'serviceaccounts', 'services']);

function returnsDeletedObject(k: KindDef): boolean {
  return k.group === '' && deletedObjectKinds.has(k.plural);
}

/** The Success Status of an immediate deletion (upstream finalizeDelete): details name the object. */
function deletedStatus(k: KindDef, name: string, uid: string | undefined): string {
  const details: Record<string, string> = { name };
  if (k.group) details.group = k.group;
  details.kind = k.plural;
  if (uid) details.uid = uid;
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
}

/**
 * When a graceful deletion under way began (its deletionTimestamp less its grace period); a
 * deletionTimestamp capped at year 9999 no longer tells (the start falls before the object
 * existed, or after now): then now.
 */
function deletionStart(m: KubeObject['metadata'], nowMs: number): number {
  const start = Date.parse(m.deletionTimestamp ?? '') - (m.deletionGracePeriodSeconds ?? 0) * 1000;
  return start >= Date.parse(m.creationTimestamp ?? '') && start <= nowMs ? start : nowMs;
}

/**
 * Graceful deletion (upstream rest.BeforeDelete + the pod strategy's CheckGracefulDelete), for
 * pods only. undefined: the kind (or this pod) is deleted the ordinary way now.
 * - Not yet deleting: grace = the request's gracePeriodSeconds, else spec.terminationGracePeriodSeconds
 *   (default 30); 0 when the pod is bound to no node or is Succeeded/Failed; negative → 1.
 *   grace > 0 → `metadata` to set (deletionTimestamp = now + grace, deletionGracePeriodSeconds).
 * - Already deleting with a grace period > 0: a shorter request moves deletionTimestamp earlier
 *   (grace 0 falls through to the ordinary deletion); otherwise `pending` (answer the object as is).
 */
function gracefulDeletion(k: KindDef, obj: KubeObject, opts: ParsedDeleteOptions, nowMs: number): { pending?: boolean; metadata?: Partial<KubeObject['metadata']> } | undefined {
  if (k.group !== '' || k.kind !== 'Pod') return undefined;
  const m = obj.metadata;
  let requested = opts.gracePeriodSeconds;
  if (requested !== undefined && requested < 0) requested = 1;
  if (m.deletionTimestamp) {
    const cur = m.deletionGracePeriodSeconds;
    if (cur === undefined || cur <= 0) return undefined;
    if (requested === undefined || requested >= cur) return { pending: true };
    if (requested === 0) return undefined;
    return { metadata: { deletionTimestamp: rfc3339(deletionStart(m, nowMs) + requested * 1000), deletionGracePeriodSeconds: requested } };
  }
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  let period = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') period = 0;
  // A negative spec.terminationGracePeriodSeconds (stored as sent, as upstream stores it) is 1 s.
  if (period < 0) period = 1;
  if (period === 0) return undefined;
  const meta: Partial<KubeObject['metadata']> = { deletionTimestamp: rfc3339(nowMs + period * 1000), deletionGracePeriodSeconds: period };
  if (typeof m.generation === 'number' && k.tracksGeneration) meta.generation = m.generation + 1;
  return { metadata: meta };
}

/**
 * The number literals of a JSON patch's add and replace values, at their paths in the patched
 * object (`[i, 'value', ...rest]` becomes the operation's path + rest). Other literals land
 * nowhere (an operation's own fields, test values) or are the stored object's (copy, move).
 */
/** The members a JSON patch operation has (upstream's jsonPatchOp). */
const jsonPatchOpFields = new Set(['op', 'path', 'from', 'value']);

/**
 * The strict decoding findings of a JSON patch's operations, operation by operation: members
 * no operation has (`json patch unknown field "[0].foo"`), then the repeated ones the patch's
 * text showed (`duplicates`, paths like `[1].path` or `[0].value.k`), as upstream's patch
 * handler reports them ahead of the patched object's.
 */
function jsonPatchStrictFindings(ops: readonly unknown[], duplicates: readonly string[]): string[] {
  const out: string[] = [];
  const dupes = duplicates.map((p) => ({ p, i: Number(/^\[(\d+)\]/.exec(p)?.[1] ?? -1) }));
  ops.forEach((op, i) => {
    if (isObject(op)) for (const key of Object.keys(op)) if (!jsonPatchOpFields.has(key)) out.push(`json patch unknown field ${JSON.stringify(`[${i}].${key}`)}`);
    for (const d of dupes) if (d.i === i) out.push(`json patch duplicate field ${JSON.stringify(d.p)}`);
  });
  return out;
}

function jsonPatchLiterals(ops: readonly unknown[], literals: readonly NumberLiteral[]): NumberLiteral[] {
  const out: NumberLiteral[] = [];
  for (const lit of literals) {
    const [i, field, ...rest] = lit.path;
    if (typeof i !== 'number' || field !== 'value') continue;
    const op = ops[i];
    if (!isObject(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    const pointer = op.path === '' ? [] : op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    out.push({ path: [...pointer, ...rest], text: lit.text });
  }
  return out;
}

function isCasConflict(err: unknown): boolean {
  return err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound');
}

function mapWriteError(err: unknown, ref: ReturnType<typeof resourceRefOf>, name: string): unknown {
  if (err instanceof StorageError) {
    if (err.code === 'Conflict') return conflict(ref, name);
    if (err.code === 'NotFound') return notFound(ref, name);
  }
  return err;
}

/**
 * `{kind: <Kind>List, apiVersion, metadata, items}` assembled from item JSON strings. Items of
 * built-in kinds carry no apiVersion/kind, as upstream's typed lists encode them (clients take
 * them from the list; code written against everynode then also works against a real cluster);
 * custom resources keep theirs, as upstream's unstructured lists do.
 */
export function listJson(k: KindDef, page: ListPage): string {
  const meta: Record<string, unknown> = { resourceVersion: String(page.revision) };
  if (page.continueToken) meta.continue = page.continueToken;
  if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
  const gv = groupVersionOf(k);
  let items = k.view ? page.items.map((i) => asServedVersion(k, i)) : page.items;
  if (!k.custom) {
    // encodeForStore writes apiVersion and kind first: a prefix to cut.
    const typeMeta = `{"apiVersion":${JSON.stringify(gv)},"kind":${JSON.stringify(k.kind)},`;
    items = items.map((i) => (i.startsWith(typeMeta) ? `{${i.slice(typeMeta.length)}` : i));
  }
  return `{"kind":${JSON.stringify(k.listKind)},"apiVersion":${JSON.stringify(gv)},"metadata":${JSON.stringify(meta)},"items":[${items.join(',')}]}`;
}

/**
 * An update whose spec equals the stored spec once that is decoded as a request body is (the
 * quantities and times in canonical form, as this server stores them) keeps the stored spec as
 * it is. Older builds stored those values as sent (`cpu: "0.5"`), so an unchanged manifest
 * applied again after an upgrade would otherwise count as a change: a new generation, a new
 * DaemonSet revision and a rollout restarting every daemon, or a refused pod update. Costs one
 * decode of the stored object, only for kinds with a generation and pods, when the specs differ
 * as JSON.
 */
function keepStoredSpecForm(k: KindDef, next: KubeObject, old: KubeObject): void {
  const nextSpec = (next as { spec?: unknown }).spec;
  const oldSpec = (old as { spec?: unknown }).spec;
  // Only where a spec change has consequences (a new generation: a DaemonSet's rollout; a pod's
  // immutable spec); elsewhere the canonical form is simply stored, and hot paths such as Lease
  // renewals, whose spec changes every time, pay nothing.
  const matters = k.tracksGeneration || (k.group === '' && k.kind === 'Pod');
  if (!matters || k.custom || nextSpec === undefined || oldSpec === undefined || jsonEqual(nextSpec, oldSpec)) return;
  let canonical: unknown;
  try {
    canonical = (decodeObject({ group: k.group, version: k.version, kind: k.kind }, structuredClone(old), 'Ignore').object as { spec?: unknown }).spec;
  } catch {
    return;
  }
  if (jsonEqual(nextSpec, canonical)) (next as { spec?: unknown }).spec = oldSpec;
}
