// Kinds everynode stores and serves but does not act on, so manifests that ship them beside
// their DaemonSet apply unchanged and tools that read every workload kind (`kubectl cluster-info
// dump`, `kubectl get all`) work: apps/v1 Deployment and ReplicaSet, core/v1
// ReplicationController, policy/v1 PodDisruptionBudget, storage.k8s.io/v1 CSIDriver and
// StorageClass, networking.k8s.io/v1 NetworkPolicy, node.k8s.io/v1 RuntimeClass and
// admissionregistration.k8s.io/v1 webhook configurations. Defaults and the main validation rules follow upstream (pkg/apis/apps, core,
// policy, storage, networking, admissionregistration validation), so what is stored is what a
// Kubernetes server would store.

import { BlockList } from 'node:net';
import { fe, type FieldError } from '../errors.js';
import type { LabelSelector } from '../types.js';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from './daemonset.js';
import { setPodTemplateDefaults } from './defaults-pod.js';
import {
  domainPrefixedPathProblems, invalidCIDRMsg, isDNS1035Label, isDNS1123Subdomain, isIPSloppy, isQualifiedName, isValidCIDR, isValidPathSegmentName, isValidPortName, isValidPortNum,
  isWildcardDNS1123Subdomain, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain,
} from './names.js';
import { labelSelectorMatches, labelsOf, validateConditions, validateLabelName, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodTemplateSpec, validateResourceRequirements, validateTolerations } from './pod-spec.js';
import { arr, child, deepEqual, ensureObj, fieldImmutableErrorMsg, index, invalidEach, isObj, num, obj, str, validateImmutableField, validateImmutableSelector, validateNonnegativeField, type Obj } from './util.js';

const absent = (v: unknown): boolean => v === undefined || v === null;

// ---------------------------------------------------------------------------------------------
// Deployment

export function setDeploymentDefaults(d: Obj): void {
  const spec = ensureObj(d, 'spec');
  if (absent(spec.replicas)) spec.replicas = 1;
  const strategy = ensureObj(spec, 'strategy');
  if (!str(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    if (absent(ru.maxUnavailable)) ru.maxUnavailable = '25%';
    if (absent(ru.maxSurge)) ru.maxSurge = '25%';
  }
  if (absent(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (absent(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  setPodTemplateDefaults(ensureObj(spec, 'template'));
}

export function validateDeployment(d: Obj): FieldError[] {
  const errs = validateObjectMeta(d.metadata, true, nameIsDNSSubdomain);
  const spec = obj(d.spec) ?? {};
  errs.push(...validateNonnegativeField(num(spec.replicas) ?? 0, 'spec.replicas'));
  errs.push(...validateSetSelector(spec));
  const strategy = obj(spec.strategy) ?? {};
  if (strategy.type === 'Recreate') {
    if (!absent(strategy.rollingUpdate)) errs.push(fe.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
  } else if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy.rollingUpdate) ?? {};
    const mu = ru.maxUnavailable ?? 0;
    const ms = ru.maxSurge ?? 0;
    errs.push(...validatePositiveIntOrPercent(mu, 'spec.strategy.rollingUpdate.maxUnavailable'), ...isNotMoreThan100Percent(mu, 'spec.strategy.rollingUpdate.maxUnavailable'));
    errs.push(...validatePositiveIntOrPercent(ms, 'spec.strategy.rollingUpdate.maxSurge'));
    const zero = (v: unknown) => v === 0 || v === '0%' || v === '0';
    if (zero(mu) && zero(ms)) errs.push(fe.invalid('spec.strategy.rollingUpdate.maxUnavailable', mu, 'may not be 0 when `maxSurge` is 0'));
  } else {
    errs.push(fe.notSupported('spec.strategy.type', strategy.type ?? '', ['Recreate', 'RollingUpdate']));
  }
  for (const f of ['minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds']) {
    const v = num(spec[f]);
    if (v !== undefined) errs.push(...validateNonnegativeField(v, `spec.${f}`));
  }
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined && pds <= (num(spec.minReadySeconds) ?? 0)) errs.push(fe.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  return errs;
}

/**
 * A write of a Deployment's status (upstream's ValidateDeploymentStatusUpdate): no negative
 * count, none of updated, ready or available replicas above status.replicas, available not
 * above ready, and collisionCount never decremented (nor dropped once set). Absent counts are
 * Go's zeros.
 */
export function validateDeploymentStatusUpdate(d: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  const status = obj(d.status) ?? {};
  for (const f of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount']) {
    errs.push(...validateNonnegativeField(num(status[f]), child('status', f)));
  }
  const count = (f: string): number => num(status[f]) ?? 0;
  for (const f of ['updatedReplicas', 'readyReplicas', 'availableReplicas']) {
    if (count(f) > count('replicas')) errs.push(fe.invalid(child('status', f), count(f), 'cannot be greater than status.replicas'));
  }
  if (count('availableReplicas') > count('readyReplicas')) errs.push(fe.invalid('status.availableReplicas', count('availableReplicas'), 'cannot be greater than readyReplicas'));
  const cc = num(status.collisionCount);
  const oldCc = num(obj(old.status)?.collisionCount);
  if (oldCc !== undefined && (cc === undefined || cc < oldCc)) errs.push(fe.invalid('status.collisionCount', cc ?? 0, 'cannot be decremented'));
  return errs;
}

/**
 * The apps/v1 selector of a Deployment or ReplicaSet (spec.selector, required and not empty)
 * and, when it parses, the pod template it must match (validateReplicatedTemplate).
 */
function validateSetSelector(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.selector, 'spec.selector');
  const sel = isObj(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  if (!sel) errs.push(fe.required('spec.selector'));
  else if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) errs.push(fe.invalid('spec.selector', sel, 'empty selector is invalid for deployment'));
  const template = obj(spec.template) ?? {};
  errs.push(...validateReplicatedTemplate(template, sel ? labelSelectorMatches(sel, labelsOf(template.metadata)) : true, 'ReplicaSet'));
  return errs;
}

/**
 * The pod template at spec.template of a kind that keeps replicas of it (upstream's
 * ValidatePodTemplateSpecForReplicaSet and ...ForRC): its labels match the selector (`matches`
 * false: they do not; undefined: the selector did not parse, reported elsewhere), it is a valid
 * template, its pods restart Always and have no activeDeadlineSeconds.
 */
function validateReplicatedTemplate(template: Obj, matches: boolean | undefined, kindName: 'ReplicaSet' | 'ReplicationController'): FieldError[] {
  const errs: FieldError[] = [];
  if (matches === false) errs.push(fe.invalid('spec.template.metadata.labels', labelsOf(template.metadata), '`selector` does not match template `labels`'));
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const podSpec = obj(template.spec) ?? {};
  if (podSpec.restartPolicy !== 'Always') errs.push(fe.notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  if (!absent(podSpec.activeDeadlineSeconds)) errs.push(fe.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kindName} is not Supported`));
  return errs;
}

/** apps/v1 Deployments and ReplicaSets: the selector cannot change. */
export function validateSetUpdate(create: (o: Obj) => FieldError[]): (o: Obj, old: Obj) => FieldError[] {
  return (o, old) => [
    ...validateObjectMetaUpdate(o.metadata, old.metadata),
    ...create(o),
    ...validateImmutableSelector(obj(o.spec)?.selector ?? null, obj(old.spec)?.selector ?? null, 'spec.selector'),
  ];
}

// ---------------------------------------------------------------------------------------------
// ReplicaSet (apps/v1) and ReplicationController (core/v1)

export function setReplicaSetDefaults(rs: Obj): void {
  const spec = ensureObj(rs, 'spec');
  if (absent(spec.replicas)) spec.replicas = 1;
  setPodTemplateDefaults(ensureObj(spec, 'template'));
}

export function validateReplicaSet(rs: Obj): FieldError[] {
  const errs = validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain);
  const spec = obj(rs.spec) ?? {};
  errs.push(...validateNonnegativeField(num(spec.replicas) ?? 0, 'spec.replicas'));
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds) ?? 0, 'spec.minReadySeconds'));
  errs.push(...validateSetSelector(spec));
  return errs;
}

/**
 * A write of a ReplicaSet's or ReplicationController's status (upstream's
 * ValidateReplicaSetStatusUpdate, ValidateReplicationControllerStatusUpdate): no negative count
 * or observedGeneration, none of fully labeled, ready or available replicas above
 * status.replicas, available not above ready. Absent counts are Go's zeros.
 */
export function validateReplicaSetStatusUpdate(rs: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata);
  const status = obj(rs.status) ?? {};
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...validateNonnegativeField(num(status[f]), child('status', f)));
  }
  const count = (f: string): number => num(status[f]) ?? 0;
  for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) {
    if (count(f) > count('replicas')) errs.push(fe.invalid(child('status', f), count(f), 'cannot be greater than status.replicas'));
  }
  if (count('availableReplicas') > count('readyReplicas')) errs.push(fe.invalid('status.availableReplicas', count('availableReplicas'), 'cannot be greater than readyReplicas'));
  return errs;
}

/**
 * Upstream's v1 defaults: the selector, and the controller's own labels, default to the template
 * labels; one replica.
 */
export function setReplicationControllerDefaults(rc: Obj): void {
  const spec = ensureObj(rc, 'spec');
  const template = obj(spec.template);
  if (template) {
    const labels = obj(obj(template.metadata)?.labels);
    if (labels && Object.keys(labels).length > 0) {
      if (Object.keys(obj(spec.selector) ?? {}).length === 0) spec.selector = { ...labels };
      const meta = ensureObj(rc, 'metadata');
      if (Object.keys(obj(meta.labels) ?? {}).length === 0) meta.labels = { ...labels };
    }
    setPodTemplateDefaults(template);
  }
  if (absent(spec.replicas)) spec.replicas = 1;
}

export function validateReplicationController(rc: Obj): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, true, nameIsDNSSubdomain);
  const spec = obj(rc.spec) ?? {};
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds) ?? 0, 'spec.minReadySeconds'));
  const selector = obj(spec.selector) ?? {};
  if (Object.keys(selector).length === 0) errs.push(fe.required('spec.selector'));
  errs.push(...validateLabels(selector, 'spec.selector'));
  errs.push(...validateNonnegativeField(num(spec.replicas) ?? 0, 'spec.replicas'));
  const template = obj(spec.template);
  if (!template) {
    errs.push(fe.required('spec.template'));
    return errs;
  }
  const labels = labelsOf(template.metadata);
  const matches = Object.entries(selector).every(([k, v]) => labels[k] === v);
  errs.push(...validateReplicatedTemplate(template, matches, 'ReplicationController'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// PodDisruptionBudget

export function validatePodDisruptionBudget(pdb: Obj): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata, true, nameIsDNSSubdomain);
  const spec = obj(pdb.spec) ?? {};
  if (!absent(spec.minAvailable) && !absent(spec.maxUnavailable)) errs.push(fe.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (absent(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`), ...isNotMoreThan100Percent(spec[f], `spec.${f}`));
  }
  if (!absent(spec.selector)) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (!absent(policy) && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') errs.push(fe.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  return errs;
}

/**
 * A write of a budget's status (upstream's ValidatePodDisruptionBudgetStatusUpdate for policy/v1,
 * the only version served): its conditions metav1 conditions, no negative count. The metadata
 * rules of every update apply too (upstream's generic update checks).
 */
export function validatePodDisruptionBudgetStatusUpdate(pdb: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pdb.metadata, old.metadata);
  const status = obj(pdb.status) ?? {};
  errs.push(...validateConditions(status.conditions, 'status.conditions'));
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...validateNonnegativeField(num(status[f]), child('status', f)));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// CSIDriver

export function setCSIDriverDefaults(d: Obj): void {
  const spec = ensureObj(d, 'spec');
  if (absent(spec.attachRequired)) spec.attachRequired = true;
  if (absent(spec.podInfoOnMount)) spec.podInfoOnMount = false;
  if (absent(spec.storageCapacity)) spec.storageCapacity = false;
  if (absent(spec.fsGroupPolicy)) spec.fsGroupPolicy = 'ReadWriteOnceWithFSType';
  if (absent(spec.requiresRepublish)) spec.requiresRepublish = false;
  if (absent(spec.seLinuxMount)) spec.seLinuxMount = false;
  if (absent(spec.volumeLifecycleModes) || arr(spec.volumeLifecycleModes).length === 0) spec.volumeLifecycleModes = ['Persistent'];
}

export function validateCSIDriver(d: Obj): FieldError[] {
  const errs = validateObjectMeta(d.metadata, false, (name, prefix) => (name.length > 63 ? ['must be no more than 63 characters'] : nameIsDNSSubdomain(name, prefix)));
  const spec = obj(d.spec) ?? {};
  const policy = spec.fsGroupPolicy;
  if (!absent(policy) && !['ReadWriteOnceWithFSType', 'File', 'None'].includes(String(policy))) errs.push(fe.notSupported('spec.fsGroupPolicy', policy, ['File', 'None', 'ReadWriteOnceWithFSType']));
  arr(spec.volumeLifecycleModes).forEach((m, i) => {
    if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(fe.notSupported(index('spec.volumeLifecycleModes', i), m, ['Ephemeral', 'Persistent']));
  });
  // Each audience once; a token lives 10 minutes to 2^32 seconds.
  const audiences = new Set<unknown>();
  arr(spec.tokenRequests).forEach((t, i) => {
    const req = obj(t) ?? {};
    const path = index('spec.tokenRequests', i);
    const audience = req.audience ?? '';
    if (audiences.has(audience)) {
      errs.push(fe.duplicate(child(path, 'audience'), audience));
      return;
    }
    audiences.add(audience);
    const exp = req.expirationSeconds;
    if (typeof exp !== 'number') return;
    if (exp < 600) errs.push(fe.invalid(child(path, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
    if (exp > 2 ** 32) errs.push(fe.invalid(child(path, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// CSINode (upstream's ValidateCSINode[Update], node IDs up to 256 characters as its strategy allows)

const csiNodeIDMaxLength = 256;

/** upstream's ValidateCSIDriverName: required, at most 63 bytes, a DNS subdomain once lowercased. */
function validateCSIDriverName(name: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (name === '') errs.push(fe.required(path));
  if (Buffer.byteLength(name) > 63) errs.push(fe.tooLong(path, 63));
  for (const msg of isDNS1123Subdomain(name.toLowerCase())) errs.push(fe.invalid(path, name, msg));
  return errs;
}

export function validateCSINode(n: Obj): FieldError[] {
  const errs = validateObjectMeta(n.metadata, false, nameIsDNSSubdomain);
  const names = new Set<string>();
  arr(obj(n.spec)?.drivers).forEach((x, i) => {
    const path = index('spec.drivers', i);
    const d = obj(x) ?? {};
    const name = str(d.name) ?? '';
    errs.push(...validateCSIDriverName(name, child(path, 'name')));
    const nodeID = str(d.nodeID) ?? '';
    if (nodeID === '') errs.push(fe.required(child(path, 'nodeID')));
    if (Buffer.byteLength(nodeID) > csiNodeIDMaxLength) errs.push(fe.invalid(child(path, 'nodeID'), nodeID, `must be ${csiNodeIDMaxLength} characters or less`));
    const count = obj(d.allocatable)?.count;
    if (typeof count === 'number' && count < 0) errs.push(fe.invalid(child(path, 'allocatable', 'count'), count, 'must be greater than or equal to 0'));
    if (names.has(name)) errs.push(fe.duplicate(child(path, 'name'), name));
    names.add(name);
    // Upstream reports topology keys on the driver's path.
    const keys = new Set<string>();
    for (const k of arr(d.topologyKeys)) {
      const key = String(k);
      if (key === '') errs.push(fe.required(path));
      if (keys.has(key)) errs.push(fe.duplicate(path, key));
      keys.add(key);
      errs.push(...invalidEach(path, key, isQualifiedName(key)));
    }
  });
  return errs;
}

/**
 * Drivers may come and go, but one that stays (by name) may not change: the kubelet removes
 * and registers a driver again to change it.
 */
export function validateCSINodeUpdate(n: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, old.metadata), ...validateCSINode(n)];
  // In the old list's order, as upstream walks the pairs; the bad value is the new entry.
  const drivers = arr(obj(n.spec)?.drivers).map((x) => obj(x) ?? {});
  for (const x of arr(obj(old.spec)?.drivers)) {
    const before = obj(x) ?? {};
    for (const d of drivers) {
      if (d.name === before.name && !deepEqual(normalizedDriver(before), normalizedDriver(d))) errs.push(fe.invalid('CSINodeDriver', inFieldOrder(d), fieldImmutableErrorMsg));
    }
  }
  return errs;
}

/** A driver entry with its fields in the API's order (the error shows it as JSON). */
function inFieldOrder(d: Obj): Obj {
  return { name: d.name, nodeID: d.nodeID, topologyKeys: d.topologyKeys ?? null, ...(d.allocatable !== undefined ? { allocatable: d.allocatable } : {}) };
}

/** A driver entry with null and empty topology keys alike (upstream compares semantically). */
function normalizedDriver(d: Obj): Obj {
  return { ...d, topologyKeys: arr(d.topologyKeys) };
}

// ---------------------------------------------------------------------------------------------
// StorageClass (upstream's SetDefaults_StorageClass, ValidateStorageClass[Update])

export function setStorageClassDefaults(sc: Obj): void {
  if (absent(sc.reclaimPolicy)) sc.reclaimPolicy = 'Delete';
  if (absent(sc.volumeBindingMode)) sc.volumeBindingMode = 'Immediate';
}

const maxProvisionerParameters = 512;
const maxProvisionerParameterBytes = 256 * 1024;

export function validateStorageClass(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  const provisioner = str(sc.provisioner) ?? '';
  if (provisioner === '') errs.push(fe.required('provisioner'));
  else for (const msg of isQualifiedName(provisioner.toLowerCase())) errs.push(fe.invalid('provisioner', provisioner, msg));
  const params = obj(sc.parameters) ?? {};
  const entries = Object.entries(params);
  if (entries.length > maxProvisionerParameters) {
    errs.push(fe.tooLong('parameters', maxProvisionerParameters));
  } else {
    let size = 0;
    for (const [k, v] of entries) {
      if (k === '') errs.push(fe.invalid('parameters', k, 'field can not be empty.'));
      size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
    }
    if (size > maxProvisionerParameterBytes) errs.push(fe.tooLong('parameters', maxProvisionerParameterBytes));
  }
  // An explicit empty reclaimPolicy passes, as upstream checks only a non-empty one.
  const reclaim = sc.reclaimPolicy;
  if (typeof reclaim === 'string' && reclaim !== '' && reclaim !== 'Delete' && reclaim !== 'Retain') errs.push(fe.notSupported('reclaimPolicy', reclaim, ['Delete', 'Retain']));
  const mode = sc.volumeBindingMode;
  if (absent(mode)) errs.push(fe.required('volumeBindingMode'));
  else if (mode !== 'Immediate' && mode !== 'WaitForFirstConsumer') errs.push(fe.notSupported('volumeBindingMode', mode, ['Immediate', 'WaitForFirstConsumer']));
  errs.push(...validateAllowedTopologies(sc.allowedTopologies, 'allowedTopologies'));
  return errs;
}

/**
 * Upstream's validateAllowedTopologies: each term's expressions have a label key, at least one
 * value and no repeated value or key; a term equal to an earlier one is a Duplicate. Upstream
 * seeds its list of seen terms with as many empty ones as there are terms, so a term without
 * expressions is always reported Duplicate; that is kept.
 */
function validateAllowedTopologies(topologies: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const terms = arr(topologies);
  const seen: Array<Map<string, Set<string>>> = terms.map(() => new Map());
  terms.forEach((t, i) => {
    const termPath = index(path, i);
    const exprPath = child(termPath, 'matchLabelExpressions');
    const exprs = new Map<string, Set<string>>();
    arr(obj(t)?.matchLabelExpressions).forEach((r, j) => {
      const rPath = index(exprPath, j);
      const req = obj(r) ?? {};
      const values = new Set<string>();
      const raw = arr(req.values);
      if (raw.length === 0) errs.push(fe.required(child(rPath, 'values')));
      raw.forEach((v, k) => {
        const value = String(v);
        if (values.has(value)) errs.push(fe.duplicate(index(child(rPath, 'values'), k), value));
        values.add(value);
      });
      const key = str(req.key) ?? '';
      errs.push(...validateLabelName(key, child(rPath, 'key')));
      if (exprs.has(key)) errs.push(fe.duplicate(child(rPath, 'key'), key));
      exprs.set(key, values);
    });
    const same = (a: Map<string, Set<string>>): boolean => a.size === exprs.size && [...a].every(([k, vs]) => {
      const other = exprs.get(k);
      return other !== undefined && other.size === vs.size && [...vs].every((v) => other.has(v));
    });
    if (seen.some(same)) errs.push(fe.duplicate(exprPath, ''));
    seen.push(exprs);
  });
  return errs;
}

/** The top-level fields a provisioner relies on cannot change (allowVolumeExpansion and mountOptions can). */
export function validateStorageClassUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sc.metadata, old.metadata), ...validateStorageClass(sc)];
  if (!deepEqual(obj(sc.parameters) ?? {}, obj(old.parameters) ?? {})) errs.push(fe.forbidden('parameters', 'updates to parameters are forbidden.'));
  if ((str(sc.provisioner) ?? '') !== (str(old.provisioner) ?? '')) errs.push(fe.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (!deepEqual(sc.reclaimPolicy ?? null, old.reclaimPolicy ?? null)) errs.push(fe.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutableField(sc.volumeBindingMode ?? null, old.volumeBindingMode ?? null, 'volumeBindingMode'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy (upstream's SetDefaults_NetworkPolicy[Port], ValidateNetworkPolicy[Update])

const policyProtocols = ['TCP', 'UDP', 'SCTP'];
const policyTypes = ['Ingress', 'Egress'];

/**
 * Ports default to TCP; a policy without policyTypes is Ingress, and Egress too when it has
 * egress rules; an absent podSelector is the empty one (Go's struct, always encoded).
 */
export function setNetworkPolicyDefaults(np: Obj): void {
  const spec = ensureObj(np, 'spec');
  if (absent(spec.podSelector)) spec.podSelector = {};
  for (const dir of ['ingress', 'egress']) {
    for (const rule of arr(spec[dir])) {
      for (const port of arr(obj(rule)?.ports)) if (isObj(port) && absent(port.protocol)) port.protocol = 'TCP';
    }
  }
  if (arr(spec.policyTypes).length === 0) spec.policyTypes = arr(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

export function validateNetworkPolicy(np: Obj): FieldError[] {
  return [...validateObjectMeta(np.metadata, true, nameIsDNSSubdomain), ...validateNetworkPolicySpec(obj(np.spec) ?? {})];
}

export function validateNetworkPolicyUpdate(np: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(np.metadata, old.metadata), ...validateNetworkPolicySpec(obj(np.spec) ?? {})];
}

function validateNetworkPolicySpec(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector');
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    arr(spec[dir]).forEach((r, i) => {
      const rulePath = index(child('spec', dir), i);
      const rule = obj(r) ?? {};
      arr(rule.ports).forEach((p, j) => errs.push(...validateNetworkPolicyPort(obj(p) ?? {}, index(child(rulePath, 'ports'), j))));
      arr(rule[peers]).forEach((p, j) => errs.push(...validateNetworkPolicyPeer(obj(p) ?? {}, index(child(rulePath, peers), j))));
    });
  }
  const types = arr(spec.policyTypes);
  if (types.length > policyTypes.length) {
    errs.push(fe.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (!policyTypes.includes(String(t))) errs.push(fe.notSupported(index('spec.policyTypes', i), t, policyTypes));
  });
  return errs;
}

function validateNetworkPolicyPort(port: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!absent(port.protocol) && !policyProtocols.includes(String(port.protocol))) errs.push(fe.notSupported(child(path, 'protocol'), port.protocol, policyProtocols));
  const endPort = num(port.endPort);
  const p = port.port;
  if (typeof p === 'number') {
    for (const msg of isValidPortNum(p)) errs.push(fe.invalid(child(path, 'port'), p, msg));
    if (endPort !== undefined) {
      if (endPort < p) errs.push(fe.invalid(child(path, 'endPort'), endPort, 'must be greater than or equal to `port`'));
      for (const msg of isValidPortNum(endPort)) errs.push(fe.invalid(child(path, 'endPort'), endPort, msg));
    }
  } else if (typeof p === 'string') {
    if (endPort !== undefined) errs.push(fe.invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'));
    for (const msg of isValidPortName(p)) errs.push(fe.invalid(child(path, 'port'), p, msg));
  } else if (endPort !== undefined) {
    errs.push(fe.invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validateNetworkPolicyPeer(peer: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  for (const f of ['podSelector', 'namespaceSelector']) {
    if (absent(peer[f])) continue;
    peers++;
    errs.push(...validateLabelSelector(peer[f], child(path, f)));
  }
  const ipBlock = obj(peer.ipBlock);
  if (ipBlock) {
    peers++;
    errs.push(...validateIPBlock(ipBlock, child(path, 'ipBlock')));
  }
  if (peers === 0) errs.push(fe.required(path, 'must specify a peer'));
  else if (peers > 1 && ipBlock) errs.push(fe.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** A CIDR, and excepted CIDRs that are strictly inside it (same family, longer prefix). */
function validateIPBlock(block: Obj, path: string): FieldError[] {
  const cidr = str(block.cidr) ?? '';
  if (cidr === '') return [fe.required(child(path, 'cidr'))];
  if (!isValidCIDR(cidr)) return [fe.invalid(child(path, 'cidr'), cidr, invalidCIDRMsg)];
  const errs: FieldError[] = [];
  const [net, bits] = splitCIDR(cidr);
  const family = net.includes(':') ? 'ipv6' : 'ipv4';
  const range = new BlockList();
  range.addSubnet(net, bits, family);
  arr(block.except).forEach((e, i) => {
    const exceptPath = index(child(path, 'except'), i);
    const except = String(e);
    if (!isValidCIDR(except)) {
      errs.push(fe.invalid(exceptPath, except, invalidCIDRMsg));
      return;
    }
    // A longer prefix inside the range: its address is in the range (all of a smaller aligned
    // block lies on one side of a larger block's edge).
    const [exceptNet, exceptBits] = splitCIDR(except);
    const exceptFamily = exceptNet.includes(':') ? 'ipv6' : 'ipv4';
    if (exceptFamily !== family || exceptBits <= bits || !range.check(exceptNet, family)) errs.push(fe.invalid(exceptPath, except, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function splitCIDR(cidr: string): [string, number] {
  const slash = cidr.lastIndexOf('/');
  return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
}

// ---------------------------------------------------------------------------------------------
// Ingress and IngressClass (upstream's SetDefaults_IngressClass, ValidateIngress{Create,Update,
// StatusUpdate}, ValidateIngressClass[Update]); the default class is admission's
// (apiserver/ingress-admission.ts).

const ingressPathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];
const ingressClassAnnotation = 'kubernetes.io/ingress.class';
const maxIngressClassController = 250;

/** A class's parameters reference without a scope is cluster-scoped. */
export function setIngressClassDefaults(ic: Obj): void {
  const params = obj(obj(ic.spec)?.parameters);
  if (params && absent(params.scope)) params.scope = 'Cluster';
}

/**
 * Rules that old objects may break and keep breaking on update, as upstream relaxes them for
 * objects stored before the rule: a TLS secretName that is no Secret name, and invalid paths
 * under a wildcard host.
 */
interface IngressOptions {
  allowInvalidSecretName: boolean;
  allowInvalidWildcardHostRule: boolean;
}

export function validateIngress(ing: Obj): FieldError[] {
  const errs = validateIngressObject(ing, { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false });
  const annotation = obj(obj(ing.metadata)?.annotations)?.[ingressClassAnnotation];
  const className = obj(ing.spec)?.ingressClassName;
  if (annotation !== undefined && typeof className === 'string' && annotation !== className) {
    errs.push(fe.invalid(child('annotations', ingressClassAnnotation), annotation, 'must match `ingressClassName` when both are specified'));
  }
  return errs;
}

export function validateIngressUpdate(ing: Obj, old: Obj): FieldError[] {
  const oldSpec = obj(old.spec) ?? {};
  const tls = arr(oldSpec.tls);
  const rules = arr(oldSpec.rules);
  const opts: IngressOptions = {
    allowInvalidSecretName: tls.some((t) => validateTLSSecretName(str(obj(t)?.secretName) ?? '').length > 0),
    allowInvalidWildcardHostRule: rules.some((r) => (str(obj(r)?.host) ?? '').includes('*') && validateIngressRuleValue(obj(r) ?? {}, 'spec.rules[0]').length > 0),
  };
  return [...validateObjectMetaUpdate(ing.metadata, old.metadata), ...validateIngressObject(ing, opts)];
}

/** Metadata, then the load balancer's addresses: IPs, and hostnames that are DNS names, not IPs (leading zeros allowed, as upstream's ParseIPSloppy). */
export function validateIngressStatusUpdate(ing: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  arr(obj(obj(ing.status)?.loadBalancer)?.ingress).forEach((e, i) => {
    const p = index('status.loadBalancer.ingress', i);
    const entry = obj(e) ?? {};
    const ip = str(entry.ip) ?? '';
    if (ip !== '' && !isIPSloppy(ip)) errs.push(fe.invalid(child(p, 'ip'), ip, 'must be a valid IP address'));
    const host = str(entry.hostname) ?? '';
    if (host !== '') {
      for (const msg of isDNS1123Subdomain(host)) errs.push(fe.invalid(child(p, 'hostname'), host, msg));
      if (isIPSloppy(host)) errs.push(fe.invalid(child(p, 'hostname'), host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** Go prints an Ingress's status with its load balancer always (a struct, never omitted). */
export function setIngressStatusDefaults(ing: Obj): void {
  ensureObj(ensureObj(ing, 'status'), 'loadBalancer');
}

function validateIngressObject(ing: Obj, opts: IngressOptions): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain);
  const spec = obj(ing.spec) ?? {};
  const rules = arr(spec.rules);
  const defaultBackend = obj(spec.defaultBackend);
  if (rules.length === 0 && !defaultBackend) errs.push(fe.invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (defaultBackend) errs.push(...validateIngressBackend(defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const rulePath = index('spec.rules', i);
    const rule = obj(r) ?? {};
    const host = str(rule.host) ?? '';
    let wildcard = false;
    if (host !== '') {
      const hostPath = child(rulePath, 'host');
      if (isIPSloppy(host)) errs.push(fe.invalid(hostPath, host, 'must be a DNS name, not an IP address'));
      wildcard = host.includes('*');
      for (const msg of wildcard ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)) errs.push(fe.invalid(hostPath, host, msg));
    }
    if (!wildcard || !opts.allowInvalidWildcardHostRule) errs.push(...validateIngressRuleValue(rule, rulePath));
  });
  arr(spec.tls).forEach((t, i) => {
    const tlsPath = index('spec.tls', i);
    const tls = obj(t) ?? {};
    arr(tls.hosts).forEach((h, j) => {
      const host = String(h);
      for (const msg of host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)) errs.push(fe.invalid(index(child(tlsPath, 'hosts'), j), host, msg));
    });
    if (!opts.allowInvalidSecretName) {
      const secret = str(tls.secretName) ?? '';
      for (const msg of validateTLSSecretName(secret)) errs.push(fe.invalid(child(tlsPath, 'secretName'), secret, msg));
    }
  });
  const className = spec.ingressClassName;
  if (typeof className === 'string') for (const msg of nameIsDNSSubdomain(className, false)) errs.push(fe.invalid('spec.ingressClassName', className, msg));
  return errs;
}

function validateTLSSecretName(name: string): string[] {
  return name === '' ? [] : nameIsDNSSubdomain(name, false);
}

/** A rule's HTTP paths: at least one; each with a pathType, a path that type allows, and a backend. */
function validateIngressRuleValue(rule: Obj, rulePath: string): FieldError[] {
  const http = obj(rule.http);
  if (!http) return [];
  const errs: FieldError[] = [];
  const pathsPath = child(rulePath, 'http', 'paths');
  const paths = arr(http.paths);
  if (paths.length === 0) errs.push(fe.required(pathsPath));
  paths.forEach((x, i) => {
    const p = index(pathsPath, i);
    const entry = obj(x) ?? {};
    const type = entry.pathType;
    if (absent(type)) {
      errs.push(fe.required(child(p, 'pathType'), 'pathType must be specified'));
      return;
    }
    const path = str(entry.path) ?? '';
    if (type === 'Exact' || type === 'Prefix') {
      if (!path.startsWith('/')) errs.push(fe.invalid(child(p, 'path'), path, 'must be an absolute path'));
      if (path !== '') {
        for (const seq of invalidPathSequences) if (path.includes(seq)) errs.push(fe.invalid(child(p, 'path'), path, `must not contain '${seq}'`));
        for (const suffix of invalidPathSuffixes) if (path.endsWith(suffix)) errs.push(fe.invalid(child(p, 'path'), path, `cannot end with '${suffix}'`));
      }
    } else if (type === 'ImplementationSpecific') {
      if (path !== '' && !path.startsWith('/')) errs.push(fe.invalid(child(p, 'path'), path, 'must be an absolute path'));
    } else {
      errs.push(fe.notSupported(child(p, 'pathType'), type, ingressPathTypes));
    }
    errs.push(...validateIngressBackend(obj(entry.backend) ?? {}, child(p, 'backend')));
  });
  return errs;
}

/** Exactly one of a Service (a name, and a port by name or number) and a typed resource reference. */
function validateIngressBackend(backend: Obj, path: string): FieldError[] {
  const resource = obj(backend.resource);
  const service = obj(backend.service);
  if (resource && service) return [fe.invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) return validateTypedReference(resource, child(path, 'resource'));
  if (!service) return [fe.invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(service.name) ?? '';
  if (name === '') errs.push(fe.required(child(path, 'service', 'name')));
  else for (const msg of nameIsDNS1035Label(name, false)) errs.push(fe.invalid(child(path, 'service', 'name'), name, msg));
  const port = obj(service.port) ?? {};
  const portName = str(port.name) ?? '';
  const portNumber = num(port.number) ?? 0;
  if (portName !== '' && portNumber !== 0) errs.push(fe.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName !== '') for (const msg of isValidPortName(portName)) errs.push(fe.invalid(child(path, 'service', 'port', 'name'), portName, msg));
  else if (portNumber !== 0) for (const msg of isValidPortNum(portNumber)) errs.push(fe.invalid(child(path, 'service', 'port', 'number'), portNumber, msg));
  else errs.push(fe.required(path, 'port name or number is required'));
  return errs;
}

/** An apiGroup that is a DNS subdomain when given, and a kind and name that are path segments. */
function validateTypedReference(ref: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const group = ref.apiGroup;
  if (typeof group === 'string') for (const msg of isDNS1123Subdomain(group)) errs.push(fe.invalid(child(path, 'apiGroup'), group, msg));
  for (const f of ['kind', 'name']) {
    const v = str(ref[f]) ?? '';
    if (v === '') errs.push(fe.required(child(path, f)));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fe.invalid(child(path, f), v, msg));
  }
  return errs;
}

const ingressClassScopes = ['Cluster', 'Namespace'];

export function validateIngressClass(ic: Obj): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain);
  const spec = obj(ic.spec) ?? {};
  const controller = str(spec.controller) ?? '';
  if (Buffer.byteLength(controller) > maxIngressClassController) errs.push(fe.tooLong('spec.controller', maxIngressClassController));
  if (controller === '') errs.push(fe.required('spec.controller'));
  else for (const [value, msg] of domainPrefixedPathProblems(controller)) errs.push(fe.invalid('spec.controller', value, msg));
  const params = obj(spec.parameters);
  if (!params) return errs;
  const path = 'spec.parameters';
  errs.push(...validateTypedReference(params, path));
  const scope = params.scope;
  if (absent(scope)) {
    errs.push(fe.required(child(path, 'scope')));
  } else if (!ingressClassScopes.includes(String(scope))) {
    errs.push(fe.notSupported(child(path, 'scope'), scope, ingressClassScopes));
  } else if (scope === 'Namespace') {
    const ns = params.namespace;
    if (typeof ns !== 'string') errs.push(fe.required(child(path, 'namespace'), "`parameters.scope` is set to 'Namespace'"));
    else for (const msg of nameIsDNSLabel(ns, false)) errs.push(fe.invalid(child(path, 'namespace'), ns, msg));
  } else if (!absent(params.namespace)) {
    errs.push(fe.forbidden(child(path, 'namespace'), "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

/** Metadata, an unchanged controller, then the create rules. */
export function validateIngressClassUpdate(ic: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ic.metadata, old.metadata),
    ...validateImmutableField(obj(ic.spec)?.controller ?? '', obj(old.spec)?.controller ?? '', 'spec.controller'),
    ...validateIngressClass(ic),
  ];
}

// ---------------------------------------------------------------------------------------------
// RuntimeClass (upstream's ValidateRuntimeClass[Update]; pod admission is apiserver/pod-admission.ts)

export function validateRuntimeClass(rc: Obj): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, false, nameIsDNSSubdomain);
  const handler = str(rc.handler) ?? '';
  for (const msg of nameIsDNSLabel(handler, false)) errs.push(fe.invalid('handler', handler, msg));
  const overhead = obj(rc.overhead);
  if (overhead) errs.push(...validateResourceRequirements({ limits: overhead.podFixed }, 'overhead'));
  const scheduling = obj(rc.scheduling);
  if (scheduling) {
    if (isObj(scheduling.nodeSelector)) errs.push(...validateLabels(scheduling.nodeSelector, 'scheduling.nodeSelector'));
    errs.push(...validateTolerations(scheduling.tolerations, 'scheduling.tolerations'));
    // Unique by their list keys (key, operator, value, effect), as upstream's validateTolerations.
    const seen = new Set<string>();
    arr(scheduling.tolerations).forEach((t, i) => {
      const tol = obj(t) ?? {};
      const k = JSON.stringify([tol.key ?? '', tol.operator ?? '', tol.value ?? '', tol.effect ?? '']);
      if (seen.has(k)) errs.push(fe.duplicate(index('scheduling.tolerations', i), tol));
      seen.add(k);
    });
  }
  return errs;
}

/** The create rules, the metadata rules and an unchanged handler. */
export function validateRuntimeClassUpdate(rc: Obj, old: Obj): FieldError[] {
  return [...validateRuntimeClass(rc), ...validateObjectMetaUpdate(rc.metadata, old.metadata), ...validateImmutableField(rc.handler ?? '', old.handler ?? '', 'handler')];
}

// ---------------------------------------------------------------------------------------------
// Validating- and MutatingWebhookConfiguration

export function setValidatingWebhookConfigurationDefaults(c: Obj): void {
  setWebhookDefaults(c, false);
}

export function setMutatingWebhookConfigurationDefaults(c: Obj): void {
  setWebhookDefaults(c, true);
}

function setWebhookDefaults(c: Obj, mutating: boolean): void {
  for (const w of arr(c.webhooks)) {
    if (!isObj(w)) continue;
    if (absent(w.failurePolicy)) w.failurePolicy = 'Fail';
    if (absent(w.matchPolicy)) w.matchPolicy = 'Equivalent';
    if (absent(w.namespaceSelector)) w.namespaceSelector = {};
    if (absent(w.objectSelector)) w.objectSelector = {};
    if (absent(w.timeoutSeconds)) w.timeoutSeconds = 10;
    if (mutating && absent(w.reinvocationPolicy)) w.reinvocationPolicy = 'Never';
    for (const r of arr(w.rules)) if (isObj(r) && absent(r.scope)) r.scope = '*';
    const service = obj(obj(w.clientConfig)?.service);
    if (service && absent(service.port)) service.port = 443;
  }
}

export function validateWebhookConfiguration(c: Obj): FieldError[] {
  const errs = validateObjectMeta(c.metadata, false, nameIsDNSSubdomain);
  const seen = new Set<string>();
  arr(c.webhooks).forEach((wv, i) => {
    const path = index('webhooks', i);
    const w = obj(wv) ?? {};
    const name = str(w.name) ?? '';
    if (name === '') errs.push(fe.required(child(path, 'name')));
    else if (seen.has(name)) errs.push(fe.duplicate(child(path, 'name'), name));
    else if (!name.includes('.') || isDNS1123Subdomain(name).length > 0) errs.push(fe.invalid(child(path, 'name'), name, 'should be a domain with at least three segments separated by dots'));
    seen.add(name);
    const cc = obj(w.clientConfig) ?? {};
    if (absent(cc.url) === absent(cc.service)) errs.push(fe.required(child(path, 'clientConfig'), 'exactly one of url or service is required'));
    if (!['None', 'NoneOnDryRun'].includes(String(w.sideEffects))) errs.push(fe.notSupported(child(path, 'sideEffects'), w.sideEffects ?? '', ['None', 'NoneOnDryRun']));
    if (arr(w.admissionReviewVersions).length === 0) errs.push(fe.required(child(path, 'admissionReviewVersions'), 'must specify one of v1, v1beta1'));
    if (!['Ignore', 'Fail'].includes(String(w.failurePolicy))) errs.push(fe.notSupported(child(path, 'failurePolicy'), w.failurePolicy ?? '', ['Fail', 'Ignore']));
    const timeout = num(w.timeoutSeconds);
    if (timeout !== undefined && (timeout < 1 || timeout > 30)) errs.push(fe.invalid(child(path, 'timeoutSeconds'), timeout, 'the timeout value must be between 1 and 30 seconds'));
    for (const f of ['namespaceSelector', 'objectSelector']) if (isObj(w[f])) errs.push(...validateLabelSelector(w[f], child(path, f)));
    arr(w.rules).forEach((r, j) => errs.push(...validateWebhookRule(obj(r) ?? {}, index(child(path, 'rules'), j))));
    if (!absent(w.matchPolicy) && !['Equivalent', 'Exact'].includes(String(w.matchPolicy))) errs.push(fe.notSupported(child(path, 'matchPolicy'), w.matchPolicy, ['Equivalent', 'Exact']));
    if (c.kind === 'MutatingWebhookConfiguration' && !absent(w.reinvocationPolicy) && !['IfNeeded', 'Never'].includes(String(w.reinvocationPolicy))) {
      errs.push(fe.notSupported(child(path, 'reinvocationPolicy'), w.reinvocationPolicy, ['IfNeeded', 'Never']));
    }
    if (typeof cc.url === 'string' && absent(cc.service)) errs.push(...validateWebhookURL(cc.url, child(child(path, 'clientConfig'), 'url')));
    const service = obj(cc.service);
    if (service && absent(cc.url)) errs.push(...validateWebhookService(service, child(child(path, 'clientConfig'), 'service')));
    errs.push(...validateMatchConditions(arr(w.matchConditions), child(path, 'matchConditions')));
    errs.push(...validateAdmissionReviewVersions(arr(w.admissionReviewVersions), child(path, 'admissionReviewVersions')));
  });
  return errs;
}

/**
 * upstream's validateMatchConditions, but for compiling the CEL (not evaluated here): at most 64,
 * each with an expression and a qualified name, the names distinct.
 */
function validateMatchConditions(conditions: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conditions.length > 64) errs.push(fe.tooMany(path, conditions.length, 64));
  const names = new Set<string>();
  conditions.forEach((cv, i) => {
    const c = obj(cv) ?? {};
    const at = index(path, i);
    if ((str(c.expression) ?? '').trim() === '') errs.push(fe.required(child(at, 'expression'), ''));
    const name = str(c.name) ?? '';
    if (name === '') errs.push(fe.required(child(at, 'name'), ''));
    else {
      errs.push(...invalidEach(child(at, 'name'), name, isQualifiedName(name)));
      if (names.has(name)) errs.push(fe.duplicate(child(at, 'name'), name));
      names.add(name);
    }
  });
  return errs;
}

const desiredURLForm = '; desired format: https://host[/path]';

/**
 * The parts of a URL as Go's url.Parse splits them (scheme, userinfo, host, query, fragment),
 * or its error: enough for upstream's ValidateWebhookURL.
 */
function goURLParts(raw: string): { scheme: string; user: string | undefined; host: string; query: string; fragment: string } | { error: string } {
  const hash = raw.indexOf('#');
  const fragment = hash >= 0 ? raw.slice(hash + 1) : '';
  let rest = hash >= 0 ? raw.slice(0, hash) : raw;
  if (rest.startsWith(':')) return { error: `parse ${JSON.stringify(raw)}: missing protocol scheme` };
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  const scheme = m ? m[1]!.toLowerCase() : '';
  if (m) rest = rest.slice(m[0].length);
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('//')) return { scheme, user: undefined, host: '', query, fragment };
  const authority = rest.slice(2).split('/')[0]!;
  const at = authority.lastIndexOf('@');
  return { scheme, user: at >= 0 ? authority.slice(0, at) : undefined, host: at >= 0 ? authority.slice(at + 1) : authority, query, fragment };
}

/** upstream's ValidateWebhookURL with https required: https, a host, no user, query or fragment. */
function validateWebhookURL(url: string, path: string): FieldError[] {
  const u = goURLParts(url);
  if ('error' in u) return [fe.required(path, `url must be a valid URL: ${u.error}${desiredURLForm}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== 'https') errs.push(fe.invalid(path, u.scheme, `'https' is the only allowed URL scheme${desiredURLForm}`));
  if (u.host === '') errs.push(fe.invalid(path, u.host, `host must be specified${desiredURLForm}`));
  if (u.user !== undefined) errs.push(fe.invalid(path, u.user, 'user information is not permitted in the URL'));
  if (u.fragment !== '') errs.push(fe.invalid(path, u.fragment, 'fragments are not permitted in the URL'));
  if (u.query !== '') errs.push(fe.invalid(path, u.query, 'query parameters are not permitted in the URL'));
  return errs;
}

/** upstream's ValidateWebhookService: a name, a namespace, a valid port, a path of DNS-subdomain segments. */
function validateWebhookService(service: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if ((str(service.name) ?? '') === '') errs.push(fe.required(child(path, 'name'), 'service name is required'));
  if ((str(service.namespace) ?? '') === '') errs.push(fe.required(child(path, 'namespace'), 'service namespace is required'));
  const port = num(service.port);
  if (port !== undefined) {
    const bad = isValidPortNum(port);
    if (bad.length > 0) errs.push(fe.invalid(child(path, 'port'), port, `port is not valid: ${bad.join(', ')}`));
  }
  const urlPath = str(service.path);
  if (urlPath === undefined || urlPath === '' || urlPath === '/') return errs;
  const at = child(path, 'path');
  if (urlPath === '//') {
    errs.push(fe.invalid(at, urlPath, 'segment[0] may not be empty'));
    return errs;
  }
  if (!urlPath.startsWith('/')) errs.push(fe.invalid(at, urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(fe.invalid(at, urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const failure of isDNS1123Subdomain(step)) errs.push(fe.invalid(at, urlPath, `segment[${i}]: ${failure}`));
  });
  return errs;
}

/** upstream's validateAdmissionReviewVersions (the missing list is checked above): no repeats, DNS labels, one it knows. */
function validateAdmissionReviewVersions(versions: unknown[], path: string): FieldError[] {
  if (versions.length === 0) return [];
  const errs: FieldError[] = [];
  const seen = new Set<unknown>();
  let known = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fe.invalid(index(path, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const e of isDNS1035Label(String(v))) errs.push(fe.invalid(index(path, i), v, e));
    if (v === 'v1' || v === 'v1beta1') known = true;
  });
  if (!known) errs.push(fe.invalid(path, versions, 'must include at least one of v1, v1beta1'));
  return errs;
}

const webhookOperations = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

/** upstream's validateRuleWithOperations (subresources allowed): operations, groups, versions, resources, scope. */
function validateWebhookRule(rule: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = (f: string): unknown[] => arr(rule[f]);
  const ops = list('operations');
  if (ops.length === 0) errs.push(fe.required(child(path, 'operations'), ''));
  if (ops.length > 1 && ops.includes('*')) errs.push(fe.invalid(child(path, 'operations'), ops, "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!webhookOperations.includes(String(op))) errs.push(fe.notSupported(index(child(path, 'operations'), i), op, webhookOperations));
  });
  const groups = list('apiGroups');
  if (groups.length === 0) errs.push(fe.required(child(path, 'apiGroups'), ''));
  if (groups.length > 1 && groups.includes('*')) errs.push(fe.invalid(child(path, 'apiGroups'), groups, "if '*' is present, must not specify other API groups"));
  const versions = list('apiVersions');
  if (versions.length === 0) errs.push(fe.required(child(path, 'apiVersions'), ''));
  if (versions.length > 1 && versions.includes('*')) errs.push(fe.invalid(child(path, 'apiVersions'), versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(fe.required(index(child(path, 'apiVersions'), i), ''));
  });
  errs.push(...validateWebhookResources(list('resources'), child(path, 'resources')));
  if (!absent(rule.scope) && !['*', 'Cluster', 'Namespaced'].includes(String(rule.scope))) errs.push(fe.notSupported(child(path, 'scope'), rule.scope, ['*', 'Cluster', 'Namespaced']));
  return errs;
}

/** upstream's validateResources: `x/*`, `*\/x`, `*\/*` and `*` each exclude what they already cover. */
function validateWebhookResources(resources: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(fe.required(path, ''));
  const wildSub = new Set<string>();
  const wildRes = new Set<string>();
  let doubleWild = false;
  let singleWild = false;
  let plain = false;
  resources.forEach((rv, i) => {
    const r = String(rv);
    if (r === '') {
      errs.push(fe.required(index(path, i), ''));
      return;
    }
    if (r === '*/*') doubleWild = true;
    if (r === '*') singleWild = true;
    const slash = r.indexOf('/');
    if (slash < 0) {
      plain = r !== '*';
      return;
    }
    const [res, sub] = [r.slice(0, slash), r.slice(slash + 1)];
    if (wildSub.has(res)) errs.push(fe.invalid(index(path, i), r, `if '${res}/*' is present, must not specify ${r}`));
    if (wildRes.has(sub)) errs.push(fe.invalid(index(path, i), r, `if '*/${sub}' is present, must not specify ${r}`));
    if (sub === '*') wildSub.add(res);
    if (res === '*') wildRes.add(sub);
  });
  if (resources.length > 1 && doubleWild) errs.push(fe.invalid(path, resources, "if '*/*' is present, must not specify other resources"));
  if (singleWild && plain) errs.push(fe.invalid(path, resources, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}
