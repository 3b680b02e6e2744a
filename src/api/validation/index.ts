// Validation and defaulting for every served kind (upstream rules and messages).
//
// Contract for callers (the registry):
//   create:  applyDefaults(obj) → prepareForCreate?.(obj) → [generate name] → validateCreate(obj)
//   update:  applyDefaults(obj) → prepareForUpdate?.(obj, stored) → validateUpdate(obj, stored)
//   status:  applyStatusDefaults?.(obj) → [stored rest, obj's status] → prepareForStatusUpdate?.(obj, stored, now)
//            → validateStatusUpdate(obj, stored)
//   certificatesigningrequests/approval: approval.prepare(obj, stored, now) → approval.validate(obj, stored)
//   pods/ephemeralcontainers: applyDefaults(obj) → [the stored pod with obj's ephemeral
//            containers] → validateEphemeralContainersUpdate(obj, stored)
// Every decoded body is defaulted, /status writes included (upstream defaults on decode). A
// status write keeps only the status of its body, so only the defaults of status matter there:
// kinds that have some (Node: allocatable from capacity) give applyStatusDefaults, and the pod
// status writes of a whole fleet do not pay for walking the pod spec.
// All functions are pure apart from applyDefaults/prepareForCreate/prepareForUpdate mutating
// their first argument (never `stored`);
// none throws on malformed shapes (wrong types read as absent). Validation of an update assumes
// the registry has filled metadata.resourceVersion and copied status/spec as its strategy
// requires; optimistic-concurrency checks are not done here.
import { fieldErrorString, type FieldError } from '../errors.js';
import { celBlockedError, celHasRules, celNotCheckedError, celValidate } from '../cel/index.js';
import { customResourceTypeErrors, ratchetErrors, validateCustomResourceValue } from './custom-resource.js';
import { isDNS1123Label, nameIsDNSSubdomain } from './names.js';
import type { KubeObject, PodSpec } from '../types.js';
import { podQOSClass } from '../pod-qos.js';
import {
  prepareNamespaceForCreate,
  prepareNamespaceForUpdate,
  prepareServiceForUpdate,
  setEndpointsDefaults,
  setNamespaceDefaults,
  setNodeDefaults,
  setNodeStatusDefaults,
  setPodDefaultsForCreate,
  syncPodStatusIPs,
  setSecretDefaults,
  setServiceDefaults,
  setServiceStatusDefaults,
  prepareServiceForCreate,
  validateServiceStatusUpdate,
  validateConfigMap,
  validateConfigMapUpdate,
  validateEndpoints,
  validateEvent,
  validateEventUpdate,
  validateEventV1,
  validateEventV1Update,
  validateNamespace,
  validateNamespaceStatusUpdate,
  validateNamespaceUpdate,
  validateNode,
  validateNodeUpdate,
  validatePodCreate,
  validatePodEphemeralContainersUpdate,
  validatePodStatusUpdate,
  validatePodUpdate,
  validateSecret,
  validateSecretUpdate,
  validateService,
  validateServiceAccount,
  validateServiceUpdate,
} from './core.js';
import {
  setDaemonSetDefaults,
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDaemonSetStatusUpdate,
  validateDaemonSetUpdate,
} from './daemonset.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { setBindingDefaults, validateBindingUpdate, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from './rbac.js';
import { setPriorityClassDefaults, prepareLeaseForCreate, prepareLeaseForUpdate, validateLease, validateLeaseUpdate, validatePriorityClass, validatePriorityClassUpdate } from './scheduling.js';
import { obj, type Obj } from './util.js';
import { dropEndpointSliceTopology, setEndpointSliceDefaults, validateEndpointSlice, validateEndpointSliceUpdate } from './discovery.js';
import { podSpecWarnings, runtimeClassWarnings } from './pod-warnings.js';
import { setLimitRangeDefaults, validateLimitRange } from './limit-range.js';
import { validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './resource-quota.js';
import { crdWarnings, prepareCRDForCreate, prepareCRDForUpdate, setCRDDefaults, validateCRD, validateCRDStatusUpdate, validateCRDUpdate } from './crd.js';
import {
  setCSIDriverDefaults,
  setIngressClassDefaults,
  setIngressStatusDefaults,
  setNetworkPolicyDefaults,
  setStorageClassDefaults,
  setDeploymentDefaults,
  setMutatingWebhookConfigurationDefaults,
  setReplicaSetDefaults,
  setReplicationControllerDefaults,
  setValidatingWebhookConfigurationDefaults,
  validateCSIDriver,
  validateCSINode,
  validateCSINodeUpdate,
  validateIngress,
  validateIngressClass,
  validateIngressClassUpdate,
  validateIngressStatusUpdate,
  validateIngressUpdate,
  validateNetworkPolicy,
  validateNetworkPolicyUpdate,
  validateRuntimeClass,
  validateRuntimeClassUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
  validateDeployment,
  validateDeploymentStatusUpdate,
  validatePodDisruptionBudget,
  validatePodDisruptionBudgetStatusUpdate,
  validateReplicaSet,
  validateReplicaSetStatusUpdate,
  validateReplicationController,
  validateSetUpdate,
  validateWebhookConfiguration,
} from './stored-kinds.js';
import {
  prepareCertificateSigningRequestForApprovalUpdate,
  prepareCertificateSigningRequestForCreate,
  prepareCertificateSigningRequestForStatusUpdate,
  prepareCertificateSigningRequestForUpdate,
  validateCertificateSigningRequest,
  validateCertificateSigningRequestApprovalUpdate,
  validateCertificateSigningRequestStatusUpdate,
  validateCertificateSigningRequestUpdate,
} from './certificates.js';

export interface KindValidation {
  /** Applies upstream defaults in place (decode-time defaulting, create and update). */
  applyDefaults(obj: KubeObject): void;
  /**
   * Registry PrepareForCreate extras that are not decode-time defaults (e.g. a Namespace's
   * `kubernetes` finalizer). Optional; call after applyDefaults on create only.
   */
  prepareForCreate?(obj: KubeObject): void;
  /**
   * Registry PrepareForUpdate extras of the main resource (after applyDefaults and the
   * registry's generic carry-over of server-owned fields): a Service's dropTypeDependentFields,
   * a Namespace keeping its spec.finalizers. Optional; never mutates `old`.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** The defaults of status, for /status writes; absent when the kind's status has none. */
  applyStatusDefaults?(obj: KubeObject): void;
  /** Validates a new object (after defaulting). */
  validateCreate(obj: KubeObject): FieldError[];
  /** Validates an update of the main resource (after defaulting); `old` is the stored object. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Validates a write through the /status subresource. */
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * The kind's status strategy beyond keeping the stored rest (prepareForStatusUpdate): called on
   * the object a /status write produced, with the stored one and the time (RFC 3339) for
   * timestamps it fills (a CertificateSigningRequest's conditions). Optional.
   */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject, now: string): void;
  /**
   * certificatesigningrequests/NAME/approval (upstream's csrApprovalStrategy): makes the written
   * object from the body and the stored one (only the conditions are the body's) and validates
   * it. Absent for every other kind.
   */
  approval?: {
    prepare(obj: KubeObject, old: KubeObject, now: string): void;
    validate(obj: KubeObject, old: KubeObject): FieldError[];
  };
  /** Validates a write through pods/NAME/ephemeralcontainers; absent for every other kind. */
  validateEphemeralContainersUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Upstream's warnings for an accepted create (`old` undefined) or update (deprecated annotations, node labels...). */
  warnings?(obj: KubeObject, old?: KubeObject): string[];
  /** Custom resources: type errors of a body sent to `apiVersion`, checked before decoding (422, not a decode 400). */
  typeErrors?(body: unknown, apiVersion: string): FieldError[];
}

type Fn1 = (o: Obj) => FieldError[];
type Fn2 = (o: Obj, old: Obj) => FieldError[];

interface KindSpec {
  namespaced: boolean;
  /**
   * Top-level fields that are Go structs (not pointers) in the kind's type: always written, so
   * an object sent without one has it as `{}`, as upstream's decoding and encoding give it.
   */
  structs?: readonly string[];
  defaults?: (o: Obj) => void;
  prepare?: (o: Obj) => void;
  prepareUpdate?: (o: Obj, old: Obj) => void;
  statusDefaults?: (o: Obj) => void;
  create: Fn1;
  update?: Fn2;
  status?: Fn2;
  /** The status strategy's own preparation (see KindValidation.prepareForStatusUpdate). */
  prepareStatus?: (o: Obj, old: Obj, now: string) => void;
  /** certificatesigningrequests/approval (see KindValidation.approval). */
  approval?: { prepare: (o: Obj, old: Obj, now: string) => void; validate: Fn2 };
  /** pods/ephemeralcontainers updates (Pod only). */
  ephemeralContainers?: Fn2;
  /** Warnings for a create (`old` undefined) or an update. */
  warnings?: (o: Obj, old?: Obj) => string[];
  typeErrors?: (body: unknown, apiVersion: string) => FieldError[];
}

/**
 * Warnings for the pod template at spec.template: on create, and on an update that changes the
 * template (a DaemonSet's template generation; for the other workloads their generation, as
 * upstream's strategies check), so an unrelated update does not repeat them.
 */
const templateWarnings = (o: Obj, old?: Obj): string[] => {
  if (old) {
    const tg = (x: Obj) => (x.metadata as Obj | undefined)?.annotations && ((x.metadata as Obj).annotations as Obj)['deprecated.daemonset.template.generation'];
    const gen = (x: Obj) => (x.metadata as Obj | undefined)?.generation;
    if (o.kind === 'DaemonSet' ? tg(o) === tg(old) : gen(o) === gen(old)) return [];
  }
  const t = (o.spec as Obj | undefined)?.template as Obj | undefined;
  return t ? podSpecWarnings(t.metadata, t.spec, 'spec.template.metadata', 'spec.template.spec') : [];
};

/**
 * A pod's warnings on create: its name (it becomes the hostname), then its spec's. None on an
 * update, as upstream's pod strategy (pods are updated often, and seldom by people).
 */
const podWarnings = (o: Obj, old?: Obj): string[] => {
  if (old) return [];
  const name = (o.metadata as Obj | undefined)?.name;
  const nameMsgs = typeof name === 'string' ? isDNS1123Label(name) : [];
  return [
    ...(nameMsgs.length > 0 ? [`metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${nameMsgs.join(' ')}]`] : []),
    ...podSpecWarnings(o.metadata, o.spec, 'metadata', 'spec'),
  ];
};

const metaUpdate: Fn2 = (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata);
const updateThenCreate =
  (create: Fn1): Fn2 =>
  (o, old) => [...validateObjectMetaUpdate(o.metadata, old.metadata), ...create(o)];

const kinds: Record<string, KindSpec> = {
  '/Namespace': { namespaced: false, defaults: setNamespaceDefaults, prepare: prepareNamespaceForCreate, prepareUpdate: prepareNamespaceForUpdate, create: validateNamespace, update: validateNamespaceUpdate, status: validateNamespaceStatusUpdate },
  '/Node': { namespaced: false, structs: ['spec', 'status'], prepare: dropNodeConfigSource, prepareUpdate: dropNodeConfigSource, defaults: setNodeDefaults, statusDefaults: setNodeStatusDefaults, create: validateNode, update: validateNodeUpdate, status: validateNodeUpdate },
  '/Pod': { namespaced: true, defaults: setPodDefaultsForCreate, prepare: preparePodForCreate, prepareUpdate: keepPodPriority, statusDefaults: syncPodStatusIPs, create: validatePodCreate, update: validatePodUpdate, status: validatePodStatusUpdate, ephemeralContainers: validatePodEphemeralContainersUpdate, warnings: podWarnings },
  '/Event': { namespaced: true, create: validateEvent, update: validateEventUpdate },
  'events.k8s.io/Event': { namespaced: true, create: validateEventV1, update: validateEventV1Update },
  '/Service': { namespaced: true, defaults: setServiceDefaults, statusDefaults: setServiceStatusDefaults, prepare: prepareServiceForCreate, prepareUpdate: prepareServiceForUpdate, create: validateService, update: validateServiceUpdate, status: validateServiceStatusUpdate },
  '/Endpoints': { namespaced: true, defaults: setEndpointsDefaults, create: validateEndpoints, update: updateThenCreate(validateEndpoints) },
  '/ConfigMap': { namespaced: true, create: validateConfigMap, update: validateConfigMapUpdate },
  '/LimitRange': { namespaced: true, structs: ['spec'], defaults: setLimitRangeDefaults, create: validateLimitRange, update: updateThenCreate(validateLimitRange) },
  '/ResourceQuota': { namespaced: true, structs: ['spec'], create: validateResourceQuota, update: validateResourceQuotaUpdate, status: validateResourceQuotaStatusUpdate },
  '/Secret': { namespaced: true, defaults: setSecretDefaults, create: validateSecret, update: validateSecretUpdate },
  '/ServiceAccount': { namespaced: true, create: validateServiceAccount, update: updateThenCreate(validateServiceAccount) },
  'apps/DaemonSet': { namespaced: true, defaults: setDaemonSetDefaults, create: validateDaemonSet, update: validateDaemonSetUpdate, status: validateDaemonSetStatusUpdate, warnings: templateWarnings },
  'apps/ControllerRevision': { namespaced: true, create: validateControllerRevision, update: validateControllerRevisionUpdate },
  'coordination.k8s.io/Lease': { namespaced: true, structs: ['spec'], prepare: prepareLeaseForCreate, prepareUpdate: prepareLeaseForUpdate, create: validateLease, update: validateLeaseUpdate },
  'discovery.k8s.io/EndpointSlice': {
    namespaced: true,
    defaults: setEndpointSliceDefaults,
    prepare: (o) => dropEndpointSliceTopology(o),
    prepareUpdate: dropEndpointSliceTopology,
    create: validateEndpointSlice,
    update: validateEndpointSliceUpdate,
  },
  'rbac.authorization.k8s.io/Role': { namespaced: true, create: validateRole, update: updateThenCreate(validateRole) },
  'rbac.authorization.k8s.io/ClusterRole': { namespaced: false, create: validateClusterRole, update: updateThenCreate(validateClusterRole) },
  'rbac.authorization.k8s.io/RoleBinding': { namespaced: true, defaults: setBindingDefaults, create: validateRoleBinding, update: (o, old) => validateBindingUpdate(o, old, true) },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { namespaced: false, defaults: setBindingDefaults, create: validateClusterRoleBinding, update: (o, old) => validateBindingUpdate(o, old, false) },
  'scheduling.k8s.io/PriorityClass': { namespaced: false, defaults: setPriorityClassDefaults, create: validatePriorityClass, update: validatePriorityClassUpdate },
  'apps/Deployment': { namespaced: true, defaults: setDeploymentDefaults, create: validateDeployment, update: validateSetUpdate(validateDeployment), status: validateDeploymentStatusUpdate, warnings: templateWarnings },
  'apps/ReplicaSet': { namespaced: true, defaults: setReplicaSetDefaults, create: validateReplicaSet, update: validateSetUpdate(validateReplicaSet), status: validateReplicaSetStatusUpdate, warnings: templateWarnings },
  '/ReplicationController': { namespaced: true, defaults: setReplicationControllerDefaults, create: validateReplicationController, status: validateReplicaSetStatusUpdate, warnings: templateWarnings },
  'policy/PodDisruptionBudget': { namespaced: true, structs: ['spec'], create: validatePodDisruptionBudget, status: validatePodDisruptionBudgetStatusUpdate },
  'storage.k8s.io/CSIDriver': { namespaced: false, defaults: setCSIDriverDefaults, create: validateCSIDriver },
  'storage.k8s.io/CSINode': { namespaced: false, create: validateCSINode, update: validateCSINodeUpdate },
  'storage.k8s.io/StorageClass': { namespaced: false, defaults: setStorageClassDefaults, create: validateStorageClass, update: validateStorageClassUpdate },
  'node.k8s.io/RuntimeClass': { namespaced: false, create: validateRuntimeClass, update: validateRuntimeClassUpdate, warnings: runtimeClassWarnings },
  'networking.k8s.io/NetworkPolicy': { namespaced: true, defaults: setNetworkPolicyDefaults, create: validateNetworkPolicy, update: validateNetworkPolicyUpdate },
  'networking.k8s.io/Ingress': { namespaced: true, statusDefaults: setIngressStatusDefaults, create: validateIngress, update: validateIngressUpdate, status: validateIngressStatusUpdate },
  'networking.k8s.io/IngressClass': { namespaced: false, defaults: setIngressClassDefaults, create: validateIngressClass, update: validateIngressClassUpdate },
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': { namespaced: false, defaults: setValidatingWebhookConfigurationDefaults, create: validateWebhookConfiguration },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': { namespaced: false, defaults: setMutatingWebhookConfigurationDefaults, create: validateWebhookConfiguration },
  'certificates.k8s.io/CertificateSigningRequest': {
    namespaced: false,
    prepare: prepareCertificateSigningRequestForCreate,
    prepareUpdate: prepareCertificateSigningRequestForUpdate,
    prepareStatus: prepareCertificateSigningRequestForStatusUpdate,
    create: validateCertificateSigningRequest,
    update: validateCertificateSigningRequestUpdate,
    status: validateCertificateSigningRequestStatusUpdate,
    approval: { prepare: prepareCertificateSigningRequestForApprovalUpdate, validate: validateCertificateSigningRequestApprovalUpdate },
  },
  'apiextensions.k8s.io/CustomResourceDefinition': { namespaced: false, defaults: setCRDDefaults, prepare: prepareCRDForCreate, prepareUpdate: prepareCRDForUpdate, create: validateCRD, update: validateCRDUpdate, status: validateCRDStatusUpdate, warnings: crdWarnings },
};

/**
 * Upstream's node strategy drops spec.configSource (dynamic kubelet configuration, gone since
 * 1.24) on create, and on an update of a node that had none.
 */
function dropNodeConfigSource(node: Obj, old?: Obj): void {
  const spec = obj(node.spec);
  if (spec && spec.configSource !== undefined && (old === undefined || obj(old.spec)?.configSource === undefined)) delete spec.configSource;
}

/**
 * Upstream's Priority admission on a pod update: the priority and preemptionPolicy it set at
 * create are kept when an update leaves them out (a client rebuilding the pod without them), so
 * only a real change is refused by the update validation.
 */
function keepPodPriority(pod: Obj, old: Obj): void {
  const spec = obj(pod.spec);
  const was = obj(old.spec);
  if (!spec || !was) return;
  for (const f of ['priority', 'preemptionPolicy']) {
    if ((spec[f] === undefined || spec[f] === null) && was[f] !== undefined && was[f] !== null) spec[f] = was[f];
  }
}

/**
 * Upstream's podStrategy.PrepareForCreate, after the generic reset to phase Pending: the QoS
 * class computed from the (defaulted) spec, and a pod held by scheduling gates is marked not
 * scheduled (PodScheduled False, reason SchedulingGated) unless it says so itself.
 */
function preparePodForCreate(pod: Obj): void {
  const status = (obj(pod.status) ?? {}) as Obj;
  status.qosClass = podQOSClass((obj(pod.spec) ?? {}) as unknown as PodSpec);
  const gates = obj(pod.spec)?.schedulingGates;
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Obj[]) : [];
  if (Array.isArray(gates) && gates.length > 0 && !conditions.some((c) => c.type === 'PodScheduled')) {
    status.conditions = [...conditions, { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }];
  }
  pod.status = status;
}

function toKindValidation(spec: KindSpec): KindValidation {
  const asObj = (o: KubeObject): Obj => o as unknown as Obj;
  const kv: KindValidation = {
    applyDefaults(o) {
      // Upstream BeforeCreate/BeforeUpdate clear the namespace of cluster-scoped objects.
      if (!spec.namespaced && o.metadata && typeof o.metadata === 'object') delete o.metadata.namespace;
      if (spec.structs) {
        const target = asObj(o);
        for (const f of spec.structs) if (target[f] === undefined || target[f] === null) target[f] = {};
      }
      spec.defaults?.(asObj(o));
    },
    validateCreate: (o) => spec.create(asObj(o)),
    validateUpdate: (o, old) => (spec.update ?? updateThenCreate(spec.create))(asObj(o), asObj(old)),
    validateStatusUpdate: (o, old) => (spec.status ?? metaUpdate)(asObj(o), asObj(old)),
  };
  const prepare = spec.prepare;
  if (prepare) kv.prepareForCreate = (o) => prepare(asObj(o));
  const prepareUpdate = spec.prepareUpdate;
  if (prepareUpdate) kv.prepareForUpdate = (o, old) => prepareUpdate(asObj(o), asObj(old));
  const prepareStatus = spec.prepareStatus;
  if (prepareStatus) kv.prepareForStatusUpdate = (o, old, now) => prepareStatus(asObj(o), asObj(old), now);
  const approval = spec.approval;
  if (approval) kv.approval = { prepare: (o, old, now) => approval.prepare(asObj(o), asObj(old), now), validate: (o, old) => approval.validate(asObj(o), asObj(old)) };
  const ephemeral = spec.ephemeralContainers;
  if (ephemeral) kv.validateEphemeralContainersUpdate = (o, old) => ephemeral(asObj(o), asObj(old));
  const statusDefaults = spec.statusDefaults;
  if (statusDefaults) kv.applyStatusDefaults = (o) => statusDefaults(asObj(o));
  const warnings = spec.warnings;
  if (warnings) kv.warnings = (o, old) => warnings(asObj(o), old && asObj(old));
  if (spec.typeErrors) kv.typeErrors = spec.typeErrors;
  return kv;
}

const cache = new Map<string, KindValidation>();

/** Key: `<group>/<Kind>`, '' group for core, e.g. 'apps/DaemonSet', '/Pod'. Unknown kinds get a no-op. */
export function validationFor(groupKind: string): KindValidation {
  const hit = cache.get(groupKind);
  if (hit) return hit;
  const spec = kinds[groupKind];
  const kv: KindValidation = spec
    ? toKindValidation(spec)
    : { applyDefaults() {}, validateCreate: () => [], validateUpdate: () => [], validateStatusUpdate: () => [] };
  cache.set(groupKind, kv);
  return kv;
}

/**
 * Validation of a custom resource kind (a CRD's): upstream's generic custom resource strategy,
 * i.e. object metadata with DNS-subdomain names, and the value against the openAPIV3Schema of
 * its version (`schemas`, by apiVersion `group/version`; custom-resource.ts). Registering again
 * replaces it (a CRD update); a built-in kind's rules are never replaced.
 */
export function registerCustomResourceValidation(groupKind: string, namespaced: boolean, schemas: ReadonlyMap<string, unknown>): void {
  if (builtinValidation.has(groupKind)) return;
  const schemaOf = (o: Obj): unknown => schemas.get(String(o.apiVersion));
  const value = (o: Obj): FieldError[] => validateCustomResourceValue(o, schemaOf(o));
  /**
   * The validation rules (x-kubernetes-validations, CEL) after the other errors, as upstream's
   * strategy runs them: not at all when those include an error the rules could trip over
   * (celBlockedError), else their errors. An update's rules ratchet inside the library; what
   * they let through comes back as warnings (ruleWarnings).
   */
  const ruleWarnings = new WeakMap<object, string[]>();
  const withRules = (o: Obj, old: Obj | undefined, others: FieldError[], ratcheting = true): FieldError[] => {
    if (!celHasRules(schemaOf(o))) return others;
    const blocked = celBlockedError(others);
    if (blocked) return [...others, blocked];
    const r = celValidate(o, old, schemaOf(o), { ratcheting });
    if (r.warnings.length > 0) ruleWarnings.set(o, r.warnings.map(fieldErrorString));
    return [...others, ...r.errors];
  };
  kinds[groupKind] = {
    namespaced,
    create: (o) => withRules(o, undefined, [...validateObjectMeta(o.metadata, namespaced, nameIsDNSSubdomain), ...value(o)]),
    // Updates ratchet: what the update did not change is not held to rules tightened since.
    update: (o, old) => withRules(o, old, [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateObjectMeta(o.metadata, namespaced, nameIsDNSSubdomain), ...ratchetErrors(value(o), o, old)]),
    // Status writes are not ratcheted by the rules (upstream's status strategy).
    status: (o, old) => withRules(o, old, [...validateObjectMetaUpdate(o.metadata, old.metadata), ...ratchetErrors(value(o), o, old)], false),
    // A value of the wrong type is reported with every other error of the object and, when the
    // schema has rules, the line saying they were not run (a type error blocks them), as
    // upstream's strategy validates the whole object at once.
    typeErrors: (body, apiVersion) => {
      const schema = schemas.get(apiVersion);
      const typeErrs = customResourceTypeErrors(body, schema);
      if (typeErrs.length === 0) return [];
      const seen = new Set(typeErrs.map(fieldErrorString));
      const all = [...typeErrs, ...validateCustomResourceValue(body, schema).filter((e) => !seen.has(fieldErrorString(e)))];
      return celHasRules(schema) ? [...all, celNotCheckedError()] : all;
    },
    warnings: (o) => ruleWarnings.get(o) ?? [],
  };
  cache.delete(groupKind);
}

/** Removes a custom resource kind's validation (its CRD went); built-in kinds stay. */
export function unregisterCustomResourceValidation(groupKind: string): void {
  if (builtinValidation.has(groupKind)) return;
  delete kinds[groupKind];
  cache.delete(groupKind);
}

/** The built-in kinds' keys: custom resources never replace them. */
const builtinValidation: ReadonlySet<string> = new Set(Object.keys(kinds));

/** The group/kind keys that have dedicated validation. */
export const validatedKinds: readonly string[] = Object.keys(kinds);

// Building blocks other parts reuse.
export {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  type NameValidator,
} from './names.js';
export { labelSelectorMatches, validateAnnotations, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
export { validatePodSpec, validatePodTemplateSpec, validateTolerations } from './pod-spec.js';
export { imageTag, setPodDefaults, setPodSpecDefaults, setPodTemplateDefaults } from './defaults-pod.js';
export { setDaemonSetDefaults, templateGenerationAnnotation } from './daemonset.js';
export { crdCleanupFinalizer, reservedGroups } from './crd.js';
export {
  KubeAPIServerClientKubeletSignerName,
  KubeAPIServerClientSignerName,
  KubeletServingSignerName,
  bytesField,
  csrNames,
  decodePemBlocks,
  parseCsrPem,
  type CsrNames,
} from './certificates.js';
export { compareQuantity, formatQuantity, parseQuantity, type Quantity } from './quantity.js';
