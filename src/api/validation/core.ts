// Core (v1) kinds other than the PodSpec itself: Pod, Namespace, Node, Event, Service,
// Endpoints, ConfigMap, Secret, ServiceAccount — defaults and validation, restated from
// pkg/apis/core/v1/defaults.go and pkg/apis/core/validation.

import { fe, GoShown, type FieldError } from '../errors.js';
import { eventFromV1 } from '../events-v1.js';
import { containerAsGoSees } from '../pod-template.js';
import { validatePodAnnotations } from './pod-annotations.js';
import { setPodDefaults } from './defaults-pod.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  invalidCIDRMsg,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortNum,
  isValidPortName,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodOnly, validatePodSpec, validatePodSpecUpdate, validatePodStatus, validateResourceQuantityValue } from './pod-spec.js';
import { parseQuantity } from './quantity.js';
import { arr, child, clone, deepEqual, ensureObj, index, invalidEach, isObj, key, num, obj, str, validateImmutableField, type Obj } from './util.js';

// ---------------------------------------------------------------------------------------------
// Pod

/**
 * A pod status's podIP and podIPs (hostIP and hostIPs) as upstream's v1 conversion leaves them:
 * a list given without its single field gets it from its first entry, a single field without
 * its list (or differing from its first entry: the single field wins, for older clients)
 * becomes the list. Validation then checks the list, so a bad podIP is refused by its path
 * `status.podIPs[0]` as upstream refuses it.
 */
export function syncPodStatusIPs(pod: Obj): void {
  const status = obj(pod.status);
  if (!status) return;
  for (const [one, many] of [['podIP', 'podIPs'], ['hostIP', 'hostIPs']] as const) {
    const single = str(status[one]) ?? '';
    const list = arr(status[many]);
    const first = str(obj(list[0])?.ip) ?? '';
    if (single !== '' && first !== single) status[many] = [{ ip: single }];
    else if (single === '' && first !== '') status[one] = first;
  }
}

export function setPodDefaultsForCreate(pod: Obj): void {
  setPodDefaults(pod);
}

export function validatePod(pod: Obj): FieldError[] {
  const spec = obj(pod.spec) ?? {};
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain);
  const ann = obj(obj(pod.metadata)?.annotations) ?? {};
  const mirror = ann['kubernetes.io/config.mirror'];
  if (mirror !== undefined && (str(spec.nodeName) ?? '') === '') {
    errs.push(fe.invalid(key('metadata.annotations', 'kubernetes.io/config.mirror'), mirror, 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const cost = ann['controller.kubernetes.io/pod-deletion-cost'];
  if (cost !== undefined && (!/^[+-]?[0-9]+$/.test(String(cost)) || Number(cost) > 2147483647 || Number(cost) < -2147483648)) {
    errs.push(fe.invalid(key('metadata.annotations', 'controller.kubernetes.io/pod-deletion-cost'), cost, 'must be a 32bit integer'));
  }
  errs.push(...validatePodSpec(spec, 'spec', { resourceIsPod: true }));
  errs.push(...validatePodOnly(spec));
  return errs;
}

export function validatePodCreate(pod: Obj): FieldError[] {
  const errs = validatePod(pod);
  errs.push(...validatePodAnnotations(pod.metadata, pod.spec, 'metadata'));
  const spec = obj(pod.spec) ?? {};
  if (arr(spec.ephemeralContainers).length > 0) errs.push(fe.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if ((str(spec.nodeName) ?? '') !== '' && arr(spec.schedulingGates).length !== 0) {
    errs.push(fe.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

export function validatePodUpdate(pod: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePod(pod));
  errs.push(...validateMirrorAnnotationUpdate(pod, old));
  errs.push(...validatePodSpecUpdate(pod.spec, old.spec));
  return errs;
}

const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** The mirror-pod part of upstream's ValidatePodSpecificAnnotationUpdates: the mark is neither added, removed nor changed. */
function validateMirrorAnnotationUpdate(pod: Obj, old: Obj): FieldError[] {
  const oldAnn = obj(obj(old.metadata)?.annotations) ?? {};
  const newAnn = obj(obj(pod.metadata)?.annotations) ?? {};
  const mk = mirrorPodAnnotation;
  if (mk in oldAnn && newAnn[mk] !== oldAnn[mk]) return [fe.forbidden(key('metadata.annotations', mk), 'may not remove or update mirror pod annotation')];
  if (!(mk in oldAnn) && mk in newAnn) return [fe.forbidden(key('metadata.annotations', mk), 'may not add mirror pod annotation')];
  return [];
}

/**
 * upstream's ValidatePodEphemeralContainersUpdate, for a write through pods/NAME/ephemeralcontainers
 * (the registry's strategy has already put the stored pod back everywhere but
 * spec.ephemeralContainers): the metadata update and the whole new pod are validated, so new
 * ephemeral containers get every container check and the ephemeral-only rules
 * (validateEphemeralContainers in pod-spec.ts); a mirror (static) pod refuses ephemeral
 * containers with that one error alone; an existing ephemeral container may be neither removed
 * nor changed (matched by name: a patch need not keep their order).
 */
export function validatePodEphemeralContainersUpdate(pod: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePod(pod));
  errs.push(...validateMirrorAnnotationUpdate(pod, old));
  if (mirrorPodAnnotation in (obj(obj(old.metadata)?.annotations) ?? {})) return [fe.forbidden('', 'static pods do not support ephemeral containers')];
  const path = 'spec.ephemeralContainers';
  const byName = new Map<string, Obj>();
  for (const c of arr(obj(pod.spec)?.ephemeralContainers)) {
    const ctr = obj(c) ?? {};
    byName.set(str(ctr.name) ?? '', ctr);
  }
  for (const c of arr(obj(old.spec)?.ephemeralContainers)) {
    // Compared as Go values: `stdin: false` or `args: []` is the same container as without them.
    const was = containerAsGoSees(obj(c) ?? {});
    const name = str(was.name) ?? '';
    const sent = byName.get(name);
    const now = sent && containerAsGoSees(sent);
    // upstream's messages; the removal one ends in a newline, as upstream's does.
    if (!now) errs.push(fe.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    else if (!deepEqual(was, now)) errs.push(fe.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${describeContainerChange(was, now)}`));
  }
  return errs;
}

/**
 * What differs between two versions of a container, a line per top-level field (`-` the stored
 * value, `+` the new one, as JSON), in place of the Go value diff upstream prints.
 */
function describeContainerChange(was: Obj, now: Obj): string {
  const lines: string[] = [];
  for (const k of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (deepEqual(was[k], now[k])) continue;
    if (was[k] !== undefined) lines.push(`- ${k}: ${JSON.stringify(was[k])}`);
    if (now[k] !== undefined) lines.push(`+ ${k}: ${JSON.stringify(now[k])}`);
  }
  return lines.join('\n');
}

export function validatePodStatusUpdate(pod: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePodStatus(pod, old)];
}

// ---------------------------------------------------------------------------------------------
// Namespace

export function setNamespaceDefaults(ns: Obj): void {
  const meta = ensureObj(ns, 'metadata');
  const name = str(meta.name);
  if (name) ensureObj(meta, 'labels')['kubernetes.io/metadata.name'] = name;
  const status = ensureObj(ns, 'status');
  if (!str(status.phase)) status.phase = 'Active';
}

/** Registry PrepareForCreate: a new namespace always carries the `kubernetes` finalizer. */
export function prepareNamespaceForCreate(ns: Obj): void {
  const spec = ensureObj(ns, 'spec');
  const fins = arr(spec.finalizers).map(String);
  if (!fins.includes('kubernetes')) fins.push('kubernetes');
  spec.finalizers = fins;
  ns.status = { phase: 'Active' };
}

/**
 * Registry PrepareForUpdate of the main resource: spec.finalizers keep their stored value.
 * Upstream changes them only through the /finalize subresource, which everynode does not
 * serve; the registry's namespace finalization drops `kubernetes` itself.
 */
export function prepareNamespaceForUpdate(ns: Obj, old: Obj): void {
  const oldFins = obj(old.spec)?.finalizers;
  if (oldFins !== undefined) {
    ensureObj(ns, 'spec').finalizers = clone(oldFins);
    return;
  }
  const spec = obj(ns.spec);
  if (!spec) return;
  delete spec.finalizers;
  if (Object.keys(spec).length === 0 && old.spec === undefined) delete ns.spec;
}

function validateNamespaceFinalizers(fins: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(fins).forEach((f, i) => {
    const s = String(f);
    const p = index(path, i);
    const msgs = isQualifiedName(s);
    if (msgs.length) errs.push(...invalidEach(p, s, msgs));
    else if (!s.includes('/') && s !== 'kubernetes') errs.push(fe.invalid(p, s, 'name is neither a standard finalizer name nor is it fully qualified'));
  });
  return errs;
}

export function validateNamespace(ns: Obj): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  errs.push(...validateNamespaceFinalizers(obj(ns.spec)?.finalizers, 'spec.finalizers'));
  return errs;
}

export function validateNamespaceUpdate(ns: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  errs.push(...validateNamespaceFinalizers(obj(ns.spec)?.finalizers, 'spec.finalizers'));
  return errs;
}

export function validateNamespaceStatusUpdate(ns: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = str(obj(ns.status)?.phase) ?? '';
  const deleting = Boolean(obj(ns.metadata)?.deletionTimestamp);
  if (!deleting && phase !== 'Active') errs.push(fe.invalid('status.Phase', phase, 'may only be \'Active\' if `deletionTimestamp` is empty'));
  if (deleting && phase !== 'Terminating') errs.push(fe.invalid('status.Phase', phase, 'may only be in terminating phase if `deletionTimestamp` is set'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Node

export function setNodeDefaults(node: Obj): void {
  // upstream's v1 NodeSpec conversion: podCIDRs holds the node's ranges and podCIDR shows the
  // first; a podCIDR written alone, or one that differs from podCIDRs' first, is authoritative
  // and becomes podCIDRs (so a CNI or IPAM tool that writes podCIDR sets the node's range,
  // and a later change of it is refused as upstream refuses it, never silently dropped).
  const spec = obj(node.spec);
  if (spec) {
    const cidrs = arr(spec.podCIDRs);
    const single = str(spec.podCIDR) ?? '';
    if (single !== '' && cidrs[0] !== single) spec.podCIDRs = [single];
    const first = arr(spec.podCIDRs)[0];
    if (typeof first === 'string' && spec.podCIDR !== first) spec.podCIDR = first;
  }
  setNodeStatusDefaults(node);
}

/**
 * The defaults of a Node's status (allocatable from capacity when absent): all a status write
 * needs, whose spec is the stored one (and may be shared with the cache: never written).
 */
export function setNodeStatusDefaults(node: Obj): void {
  const status = obj(node.status);
  if (status && (status.allocatable === undefined || status.allocatable === null) && isObj(status.capacity)) {
    status.allocatable = { ...status.capacity };
  }
}

function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(taints).forEach((t, i) => {
    const taint = obj(t) ?? {};
    const p = index(path, i);
    const k = str(taint.key) ?? '';
    errs.push(...invalidEach(child(p, 'key'), k, isQualifiedName(k)));
    const v = str(taint.value) ?? '';
    errs.push(...invalidEach(child(p, 'value'), v, isValidLabelValue(v)));
    const effect = str(taint.effect) ?? '';
    if (effect === '') errs.push(fe.required(child(p, 'effect')));
    else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) errs.push(fe.notSupported(child(p, 'effect'), effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    const pair = `${k}:${effect}`;
    if (seen.has(pair)) errs.push(fe.invalid(p, pair, 'taints must be unique by key and effect pair'));
    seen.add(pair);
  });
  return errs;
}

function validateNodeSpec(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(node.spec) ?? {};
  errs.push(...validateTaints(spec.taints, 'spec.taints'));
  // (podCIDR always equals podCIDRs' first here: setNodeDefaults.)
  const cidrs = arr(spec.podCIDRs).map(String);
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(fe.invalid(index('spec.podCIDRs', i), c, invalidCIDRMsg));
  });
  // More than one: a dual-stack pair (one IPv4 and one IPv6 range), as upstream's ValidateNode.
  const families = new Set(cidrs.map((c) => (c.includes(':') ? 6 : 4)));
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs.every(isValidCIDR) && families.size < 2)) {
    errs.push(fe.invalid('spec.podCIDRs', goStrings(cidrs), 'may specify no more than one CIDR for each IP family'));
  }
  return errs;
}

function validateNodeStatusQuantities(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj(node.status) ?? {};
  for (const f of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries(obj(status[f]) ?? {})) {
      const path = key(child('status', f), k);
      errs.push(...invalidEach(path, k, isQualifiedName(k)));
      const q = parseQuantity(v);
      if (q) errs.push(...validateResourceQuantityValue(k, q, path));
    }
  }
  return errs;
}

export function validateNode(node: Obj): FieldError[] {
  return [...validateObjectMeta(node.metadata, false, nameIsDNSSubdomain), ...validateNodeSpec(node), ...validateNodeStatusQuantities(node)];
}

export function validateNodeUpdate(node: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateNodeSpec(node), ...validateNodeStatusQuantities(node));
  const spec = obj(node.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const oldCIDRs = arr(oldSpec.podCIDRs);
  if (oldCIDRs.length > 0 && !deepEqual(spec.podCIDRs ?? [], oldCIDRs)) {
    errs.push(fe.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldPid = str(oldSpec.providerID) ?? '';
  if (oldPid !== '' && (str(spec.providerID) ?? '') !== oldPid) errs.push(fe.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Event (core/v1 legacy validation only, as upstream does for v1 requests)

export function validateEvent(ev: Obj): FieldError[] {
  return legacyEventErrors(ev, 'reportingComponent');
}

/**
 * Upstream's legacy Event validation, which every Event write passes through either API, on the
 * core form; `reportingField` names reportingComponent as the request's version calls it.
 */
function legacyEventErrors(ev: Obj, reportingField: string): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj(ev.metadata) ?? {};
  const namespace = str(meta.namespace) ?? '';
  const name = str(meta.name) ?? '';
  if (name.length === 0) errs.push(fe.required('metadata.name', 'name or generateName is required'));
  const io = obj(ev.involvedObject) ?? {};
  const ioNs = str(io.namespace) ?? '';
  const eventTime = ev.eventTime;
  if (eventTime === undefined || eventTime === null || eventTime === '') {
    if (ioNs.length === 0) {
      if (namespace !== '' && namespace !== 'default') errs.push(fe.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    } else if (namespace !== ioNs) {
      errs.push(fe.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    }
  } else {
    if (ioNs.length === 0 && namespace !== 'default' && namespace !== 'kube-system') errs.push(fe.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    const rc = str(ev.reportingComponent) ?? '';
    if (rc.length === 0) errs.push(fe.required(reportingField));
    errs.push(...invalidEach(reportingField, rc, isQualifiedName(rc)));
    const ri = str(ev.reportingInstance) ?? '';
    if (ri.length === 0) errs.push(fe.required('reportingInstance'));
    if (ri.length > 128) errs.push(fe.invalid('reportingInstance', '', 'can have at most 128 characters'));
    const action = str(ev.action) ?? '';
    if (action.length === 0) errs.push(fe.required('action'));
    if (action.length > 128) errs.push(fe.invalid('action', '', 'can have at most 128 characters'));
    const reason = str(ev.reason) ?? '';
    if (reason.length === 0) errs.push(fe.required('reason'));
    if (reason.length > 128) errs.push(fe.invalid('reason', '', 'can have at most 128 characters'));
    if ((str(ev.message) ?? '').length > 1024) errs.push(fe.invalid('message', '', 'can have at most 1024 characters'));
  }
  errs.push(...invalidEach('namespace', namespace, isDNS1123Subdomain(namespace)));
  return errs;
}

/** An unset metav1.Time / MicroTime (Go's zero time marshals as null). */
function unsetTime(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/**
 * A JSON value as Go's zero-value semantics see it once decoded: null, '', 0, false and objects
 * with nothing else in them are all "unset" (undefined); what is left is kept. Upstream compares
 * decoded structs, where an absent field and its zero value are the same.
 */
function goValue(v: unknown): unknown {
  if (v === null || v === '' || v === 0 || v === false) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(goValue);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const g = goValue(x);
      if (g !== undefined) out[k] = g;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

/** events.k8s.io/v1's series check: at least 2 occurrences and the last one's time. */
function eventSeriesErrors(series: unknown): FieldError[] {
  const s = obj(series);
  if (!s) return [];
  const errs: FieldError[] = [];
  if ((num(s.count) ?? 0) < 2) errs.push(fe.invalid('series.count', '', 'should be at least 2'));
  if (unsetTime(s.lastObservedTime)) errs.push(fe.required('series.lastObservedTime'));
  return errs;
}

/**
 * An Event created through events.k8s.io/v1 (the object in that version's form): upstream's
 * ValidateEventCreate for that version, which reports the fields by their core names (it checks
 * the one internal type) but for reportingController: the legacy checks, the object metadata
 * (a DNS subdomain name, labels, annotations), then the strict checks of new events: eventTime
 * set, type Normal or Warning, a series of at least 2, none of the deprecated core fields.
 */
export function validateEventV1(ev: Obj): FieldError[] {
  const core = eventFromV1(ev as never) as unknown as Obj;
  const errs = legacyEventErrors(core, 'reportingController');
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  errs.push(...eventSeriesErrors(ev.series));
  if (unsetTime(ev.eventTime)) errs.push(fe.required('eventTime'));
  const type = str(ev.type) ?? '';
  if (type !== 'Normal' && type !== 'Warning') errs.push(fe.invalid('type', '', `has invalid value: ${type}`));
  for (const f of ['firstTimestamp', 'lastTimestamp', 'count', 'source']) {
    if (goValue(core[f]) !== undefined) errs.push(fe.invalid(f, '', 'needs to be unset'));
  }
  return errs;
}

/**
 * An Event updated through events.k8s.io/v1: the legacy checks, the metadata update rules, a
 * changed series checked again, and what the event says happened immutable, compared as decoded
 * values (an absent field equals its zero value, `deprecatedSource: {}` equals none), reported
 * by core names as upstream does.
 */
export function validateEventV1Update(ev: Obj, old: Obj): FieldError[] {
  const core = eventFromV1(ev as never) as unknown as Obj;
  const oldCore = eventFromV1(old as never) as unknown as Obj;
  const errs = legacyEventErrors(core, 'reportingController');
  errs.push(...validateObjectMetaUpdate(ev.metadata, old.metadata));
  if (!deepEqual(goValue(ev.series), goValue(old.series))) errs.push(...eventSeriesErrors(ev.series));
  for (const f of ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'action', 'related', 'reportingComponent', 'reportingInstance']) {
    if (!deepEqual(goValue(core[f]), goValue(oldCore[f]))) errs.push(fe.invalid(f === 'reportingComponent' ? 'reportingController' : f, core[f] ?? null, 'field is immutable'));
  }
  return errs;
}

export function validateEventUpdate(ev: Obj, old: Obj): FieldError[] {
  const errs = validateEvent(ev);
  errs.push(...validateImmutableField(obj(ev.metadata)?.name ?? '', obj(old.metadata)?.name ?? '', 'metadata.name'));
  errs.push(...validateImmutableField(obj(ev.metadata)?.namespace ?? '', obj(old.metadata)?.namespace ?? '', 'metadata.namespace'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Service

export function setServiceDefaults(svc: Obj): void {
  const spec = ensureObj(svc, 'spec');
  if (!str(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (!str(spec.type)) spec.type = 'ClusterIP';
  for (const p of arr(spec.ports)) {
    const port = obj(p);
    if (!port) continue;
    if (!str(port.protocol)) port.protocol = 'TCP';
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = ensureObj(spec, 'sessionAffinityConfig');
    const cip = ensureObj(cfg, 'clientIP');
    if (cip.timeoutSeconds === undefined || cip.timeoutSeconds === null) cip.timeoutSeconds = 10800;
  }
  if (externallyAccessible(spec) && !str(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName' && !str(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  // What upstream's IP allocation records for a single-stack IPv4 cluster (no addresses are
  // allocated here: a headless service has none, and the others get none either).
  // Go drops an empty selector map (omitempty): `selector: {}` is no selector.
  const sel = obj(spec.selector);
  if (sel && Object.keys(sel).length === 0) delete spec.selector;
  // upstream's normalizeClusterIPs, for every type (so an ExternalName service given a
  // clusterIP is refused for its clusterIPs): a client that sets only clusterIP gets clusterIPs.
  if (str(spec.clusterIP) && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
  if (spec.type !== 'ExternalName') {
    if (arr(spec.clusterIPs)[0] === 'None' && !str(spec.clusterIP)) spec.clusterIP = 'None';
    // Headless and selectorless: defaulted on create or from the stored Service on update
    // (prepareServiceForCreate / prepareServiceForUpdate), so a write that leaves the families
    // out keeps them.
    if (!isHeadlessSelectorless(spec)) {
      if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
      if (!str(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = 'SingleStack';
    }
  }
}

function isHeadlessSelectorless(spec: Obj): boolean {
  return spec.type !== 'ExternalName' && isHeadless(spec) && !selectsPods(spec);
}

/**
 * upstream's initIPFamilyFields for a headless Service without a selector (it takes any
 * endpoints its user writes): what the write leaves out comes from the stored Service, else
 * RequireDualStack, and both families unless single-stack was asked for.
 */
function defaultHeadlessFamilies(spec: Obj, stored: Obj | undefined): void {
  if (!isHeadlessSelectorless(spec)) return;
  if (!str(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = str(stored?.ipFamilyPolicy) ?? 'RequireDualStack';
  if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = arr(stored?.ipFamilies).length > 0 ? [...arr(stored?.ipFamilies)] : ['IPv4'];
  const families = arr(spec.ipFamilies);
  if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') spec.ipFamilies = [...families, families[0] === 'IPv6' ? 'IPv4' : 'IPv6'];
}

/** The Service registry's create preparation: the families of a headless selectorless Service. */
export function prepareServiceForCreate(svc: Obj): void {
  const spec = obj(svc.spec);
  if (spec) defaultHeadlessFamilies(spec, undefined);
}

/** Whether a Service spec has a (non-empty) selector. */
function selectsPods(spec: Obj): boolean {
  const sel = obj(spec.selector);
  return sel !== undefined && Object.keys(sel).length > 0;
}

/**
 * Why a docker config Secret's JSON is refused, in the words of Go's json.Unmarshal into a map
 * (upstream's ValidateSecret), or undefined: it must be a JSON object (or null). Never quotes
 * the content (a secret): a syntax error names one character at most.
 */
function dockerConfigProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    const first = text.trim()[0];
    if (first === undefined) return 'unexpected end of JSON input';
    if (!/[{["\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
    return 'invalid JSON';
  }
  if (v === null || (typeof v === 'object' && !Array.isArray(v))) return undefined;
  const type = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
  return `json: cannot unmarshal ${type} into Go value of type map[string]interface {}`;
}

/** A list of strings as Go's %#v prints a []string (upstream's field errors show values so). */
function goStrings(v: unknown[]): GoShown {
  return new GoShown(v.length === 0 ? '[]string(nil)' : `[]string{${v.map((x) => JSON.stringify(String(x))).join(', ')}}`);
}

/** The load-balancer ingress modes upstream supports. */
const loadBalancerIPModes = ['Proxy', 'VIP'];

/** upstream's SetDefaults_LoadBalancerStatus: an ingress with an IP is a VIP unless it says otherwise. */
export function setServiceStatusDefaults(svc: Obj): void {
  const lb = obj(obj(svc.status)?.loadBalancer);
  for (const ing of arr(lb?.ingress)) {
    const i = obj(ing);
    if (i && str(i.ip) && (i.ipMode === undefined || i.ipMode === null)) i.ipMode = 'VIP';
  }
}

/**
 * upstream's ValidateServiceStatusUpdate: object metadata, then the load-balancer status
 * (ValidateLoadBalancerStatus): ingress only on a LoadBalancer service, each ingress's ip a
 * valid IP, ipMode only with an ip and one of upstream's, hostname a DNS subdomain, not an IP.
 */
export function validateServiceStatusUpdate(svc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const type = str(obj(svc.spec)?.type) ?? '';
  const ingress = arr(obj(obj(svc.status)?.loadBalancer)?.ingress);
  const path = 'status.loadBalancer.ingress';
  if (type !== 'LoadBalancer' && ingress.length > 0) {
    errs.push(fe.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'"));
    return errs;
  }
  ingress.forEach((ing, i) => {
    const p = index(path, i);
    const x = obj(ing) ?? {};
    const ip = str(x.ip) ?? '';
    if (ip !== '' && isValidIP(ip).length > 0) errs.push(fe.invalid(child(p, 'ip'), ip, 'must be a valid IP address'));
    const mode = x.ipMode;
    if (mode !== undefined && mode !== null) {
      if (ip === '') errs.push(fe.forbidden(child(p, 'ipMode'), 'may not be specified when `ip` is not set'));
      else if (!loadBalancerIPModes.includes(String(mode))) errs.push(fe.notSupported(child(p, 'ipMode'), mode, loadBalancerIPModes));
    } else if (ip !== '') {
      errs.push(fe.required(child(p, 'ipMode'), 'must be specified when `ip` is set'));
    }
    const host = str(x.hostname) ?? '';
    if (host !== '') {
      errs.push(...invalidEach(child(p, 'hostname'), host, isDNS1123Subdomain(host)));
      if (isValidIP(host).length === 0) errs.push(fe.invalid(child(p, 'hostname'), host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/**
 * upstream's apiservice.ExternallyAccessible: NodePort and LoadBalancer services, and ClusterIP
 * services with externalIPs. Only these may carry (and are defaulted) an externalTrafficPolicy.
 */
function externallyAccessible(spec: Obj): boolean {
  const type = spec.type;
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
}

/** upstream's NeedsHealthCheck: a LoadBalancer with externalTrafficPolicy Local. */
function needsHealthCheck(spec: Obj): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === 'None' || arr(spec.clusterIPs)[0] === 'None';
}

function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return invalidEach(path, port, isValidPortNum(port));
  if (typeof port === 'string') return invalidEach(path, port, isValidPortName(port));
  return [fe.invalid(path, port ?? null, 'must be an integer or a port name')];
}

export function validateService(svc: Obj): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const spec = obj(svc.spec) ?? {};
  const type = str(spec.type) ?? '';
  const ports = arr(spec.ports).map((p) => obj(p) ?? {});
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') errs.push(fe.required('spec.ports'));
  if (type === 'ExternalName') {
    // (clusterIP alone was made clusterIPs by the defaults, as upstream's normalizeClusterIPs.)
    if (arr(spec.clusterIPs).length > 0) errs.push(fe.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length > 0) errs.push(fe.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(fe.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    // The name (a CNAME) may end in a dot, which marks it fully qualified.
    const en = str(spec.externalName) ?? '';
    const cname = en.endsWith('.') ? en.slice(0, -1) : en;
    if (cname.length === 0) errs.push(fe.required('spec.externalName'));
    else errs.push(...invalidEach('spec.externalName', cname, isDNS1123Subdomain(cname)));
  }
  const names = new Set<string>();
  const seenPorts = new Set<string>();
  ports.forEach((sp, i) => {
    const p = index('spec.ports', i);
    const name = str(sp.name) ?? '';
    if (ports.length > 1 && name.length === 0) errs.push(fe.required(child(p, 'name')));
    else if (name.length !== 0) {
      errs.push(...invalidEach(child(p, 'name'), name, isDNS1123Label(name)));
      if (names.has(name)) errs.push(fe.duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const port = num(sp.port) ?? 0;
    errs.push(...invalidEach(child(p, 'port'), port, isValidPortNum(port)));
    const proto = str(sp.protocol) ?? '';
    if (proto.length === 0) errs.push(fe.required(child(p, 'protocol')));
    else if (!['SCTP', 'TCP', 'UDP'].includes(proto)) errs.push(fe.notSupported(child(p, 'protocol'), proto, ['SCTP', 'TCP', 'UDP']));
    errs.push(...validatePortNumOrName(sp.targetPort, child(p, 'targetPort')));
    const ap = str(sp.appProtocol);
    if (ap !== undefined) errs.push(...invalidEach(child(p, 'appProtocol'), ap, isQualifiedName(ap)));
    const np = num(sp.nodePort) ?? 0;
    if (np !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') errs.push(fe.forbidden(child(p, 'nodePort'), `may not be used when \`type\` is '${type}'`));
      else errs.push(...invalidEach(child(p, 'nodePort'), np, isValidPortNum(np)));
    }
    const k = `${port}/${proto}`;
    if (seenPorts.has(k)) errs.push(fe.duplicate(p, { port, protocol: proto }));
    seenPorts.add(k);
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const sa = str(spec.sessionAffinity) ?? '';
  if (sa === '') errs.push(fe.required('spec.sessionAffinity'));
  else if (sa !== 'ClientIP' && sa !== 'None') errs.push(fe.notSupported('spec.sessionAffinity', sa, ['ClientIP', 'None']));
  if (sa === 'ClientIP') {
    const t = num(obj(obj(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds);
    if (t === undefined) errs.push(fe.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', 'when session affinity type is ClientIP'));
    else if (t <= 0 || t > 86400) errs.push(fe.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400'));
  } else if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fe.invalid('spec.sessionAffinityConfig', spec.sessionAffinityConfig, `must not be set when session affinity is ${sa}`));
  }
  if (type === '') errs.push(fe.required('spec.type'));
  else if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type)) {
    errs.push(fe.notSupported('spec.type', type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']));
  }
  arr(spec.clusterIPs).forEach((ip, i) => {
    const s = String(ip);
    if (s !== 'None' && s !== '') errs.push(...invalidEach(index('spec.clusterIPs', i), s, isValidIP(s)));
  });
  if (type !== 'ExternalName') {
    // upstream's ValidateServiceClusterIPsRelatedFields: the two fields agree.
    const ips = arr(spec.clusterIPs);
    if (str(spec.clusterIP)) {
      if (ips.length === 0) errs.push(fe.required('spec.clusterIPs'));
      else if (ips[0] !== spec.clusterIP) errs.push(fe.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
    } else if (ips.length > 0) {
      errs.push(fe.invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
    }
    if (ips[0] === 'None' && ips.length > 1) errs.push(fe.invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
    if (isHeadless(spec) && (type === 'NodePort' || type === 'LoadBalancer')) {
      errs.push(fe.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
    }
  }
  // (clusterIP itself is checked through clusterIPs, whose first it must be, as upstream.)
  arr(spec.externalIPs).forEach((ip, i) => {
    const path = index('spec.externalIPs', i);
    const ipErrs = invalidEach(path, String(ip), isValidIP(String(ip)));
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(String(ip), path, { loopback: false })));
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    // upstream's path, capital L included.
    const path = 'spec.LoadBalancerSourceRanges';
    if (type !== 'LoadBalancer') errs.push(fe.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      // Space-padded values are allowed (a leftover of the annotation form).
      const v = String(r).trim();
      if (!isValidCIDR(v)) errs.push(fe.invalid(index(path, i), v, invalidCIDRMsg));
    });
  }
  const td = spec.trafficDistribution;
  if (td !== undefined && td !== null && td !== 'PreferClose') errs.push(fe.notSupported('spec.trafficDistribution', td, ['PreferClose']));
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(fe.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  const lbClass = spec.loadBalancerClass;
  if (lbClass !== undefined && lbClass !== null) {
    if (type === 'LoadBalancer') errs.push(...invalidEach('spec.loadBalancerClass', lbClass, isQualifiedName(String(lbClass))));
    else errs.push(fe.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  // upstream's validateServiceExternalTrafficPolicy (the healthCheckNodePort allocator, and so
  // its Required check, does not exist here).
  const etp = spec.externalTrafficPolicy;
  const etpSet = etp !== undefined && etp !== null && etp !== '';
  if (!externallyAccessible(spec)) {
    if (etpSet) errs.push(fe.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etpSet) {
    errs.push(fe.required('spec.externalTrafficPolicy'));
  } else if (etp !== 'Cluster' && etp !== 'Local') {
    errs.push(fe.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const hcnp = num(spec.healthCheckNodePort) ?? 0;
  if (hcnp !== 0) {
    if (!needsHealthCheck(spec)) errs.push(fe.invalid('spec.healthCheckNodePort', hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    else errs.push(...invalidEach('spec.healthCheckNodePort', hcnp, isValidPortNum(hcnp)));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') errs.push(fe.notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const ipfp = spec.ipFamilyPolicy;
  if (ipfp !== undefined && ipfp !== null && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(String(ipfp))) {
    errs.push(fe.notSupported('spec.ipFamilyPolicy', ipfp, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  const families = new Set<unknown>();
  arr(spec.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fe.notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    // A family named twice: upstream's check that two families are the two stacks.
    if (families.has(f)) errs.push(fe.duplicate(index('spec.ipFamilies', i), f));
    families.add(f);
  });
  return errs;
}

/**
 * The Service registry's PrepareForUpdate part of upstream's dropTypeDependentFields: a Service
 * is a union discriminated by `type`, so when an update changes the type, fields the old type
 * used (and the server may have defaulted) that the new type does not allow are cleared, but
 * only when the update left them as they were; a field the client changed in the same update is
 * kept and validation judges it. Runs after defaulting, before validateServiceUpdate. Never
 * mutates `old` (nor objects `svc` shares with it, such as the status the registry carried over).
 */
export function prepareServiceForUpdate(svc: Obj, old: Obj): void {
  const spec = obj(svc.spec);
  const oldSpec = obj(old.spec);
  if (!spec || !oldSpec) return;
  defaultHeadlessFamilies(spec, isHeadlessSelectorless(oldSpec) ? oldSpec : undefined);
  // upstream's normalizeClusterIPs on update: clusterIP changed alone carries clusterIPs along
  // (cleared: cleared; changed: a single clusterIPs follows), so validation judges clusterIPs.
  if ((str(spec.clusterIP) ?? '') !== (str(oldSpec.clusterIP) ?? '') && deepEqual(arr(spec.clusterIPs), arr(oldSpec.clusterIPs))) {
    if (!str(spec.clusterIP)) delete spec.clusterIPs;
    else if (arr(spec.clusterIPs).length === 1) spec.clusterIPs = [spec.clusterIP];
  }
  const needsClusterIP = (s: Obj): boolean => s.type !== 'ExternalName';
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    if (deepEqual(spec.clusterIP ?? '', oldSpec.clusterIP ?? '') && deepEqual(arr(spec.clusterIPs), arr(oldSpec.clusterIPs))) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (deepEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if ((str(spec.ipFamilyPolicy) ?? '') === (str(oldSpec.ipFamilyPolicy) ?? '')) delete spec.ipFamilyPolicy;
  }
  // Node ports: cleared when the new type uses none and the update adds no node port value.
  const needsNodePort = (s: Obj): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';
  const nodePorts = (s: Obj): Set<number> => new Set(arr(s.ports).map((p) => num(obj(p)?.nodePort) ?? 0).filter((n) => n !== 0));
  if (needsNodePort(oldSpec) && !needsNodePort(spec)) {
    const before = nodePorts(oldSpec);
    if ([...nodePorts(spec)].every((n) => before.has(n))) {
      spec.ports = arr(spec.ports).map((p) => {
        const port = obj(p);
        if (!port || port.nodePort === undefined) return p;
        const copy: Obj = { ...port };
        delete copy.nodePort;
        return copy;
      });
    }
  }
  if (needsHealthCheck(oldSpec) && !needsHealthCheck(spec) && (num(spec.healthCheckNodePort) ?? 0) === (num(oldSpec.healthCheckNodePort) ?? 0)) {
    delete spec.healthCheckNodePort;
  }
  if (oldSpec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    const a = spec.allocateLoadBalancerNodePorts;
    const b = oldSpec.allocateLoadBalancerNodePorts;
    if (typeof a === 'boolean' && typeof b === 'boolean' && a === b) delete spec.allocateLoadBalancerNodePorts;
    if ((spec.loadBalancerClass ?? null) === (oldSpec.loadBalancerClass ?? null)) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(oldSpec) && !externallyAccessible(spec) && (str(spec.externalTrafficPolicy) ?? '') === (str(oldSpec.externalTrafficPolicy) ?? '')) {
    delete spec.externalTrafficPolicy;
  }
  // A load-balancer status no longer applies once the type is not LoadBalancer.
  const status = obj(svc.status);
  const lb = obj(status?.loadBalancer);
  if (status && lb && Object.keys(lb).length > 0 && spec.type !== 'LoadBalancer') svc.status = { ...status, loadBalancer: {} };
}

export function validateServiceUpdate(svc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const spec = obj(svc.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  errs.push(...validateClusterIPsUpdate(spec, oldSpec));
  // upstream's validateLoadBalancerClassField: a LoadBalancer keeps its class (the controller that owns it).
  if (spec.type === 'LoadBalancer' && oldSpec.type === 'LoadBalancer' && (spec.loadBalancerClass ?? null) !== (oldSpec.loadBalancerClass ?? null)) {
    errs.push(fe.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  errs.push(...validateService(svc));
  return errs;
}

/**
 * upstream's validateUpgradeDowngradeClusterIPs: a secondary cluster IP may come or go, the
 * primary never changes (nor goes), except to, from or on ExternalName, and between headless.
 */
function validateClusterIPsUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName' || (isHeadless(spec) && isHeadless(oldSpec))) return [];
  const now = arr(spec.clusterIPs).map(String);
  const before = arr(oldSpec.clusterIPs).map(String);
  const shown = goStrings(now);
  const changed = (i: number) => fe.invalid(`spec.clusterIPs[${i}]`, shown, 'may not change once set');
  const errs: FieldError[] = [];
  if (before.length === now.length) {
    before.forEach((ip, i) => {
      if (ip !== now[i]) errs.push(changed(i));
    });
  } else if (before.length > now.length) {
    if (now.length === 0) errs.push(fe.invalid('spec.clusterIPs[0]', shown, 'primary clusterIP can not be unset'));
    else if (now[0] !== before[0]) errs.push(changed(0));
  } else if (before.length > 0 && now[0] !== before[0]) {
    errs.push(changed(0));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Endpoints

export function setEndpointsDefaults(ep: Obj): void {
  for (const s of arr(ep.subsets)) {
    for (const p of arr(obj(s)?.ports)) {
      const port = obj(p);
      if (port && !str(port.protocol)) port.protocol = 'TCP';
    }
  }
}

/**
 * Upstream's ValidateNonSpecialIP, for Endpoints addresses with one everynode decision: loopback
 * addresses are allowed (`loopback`, default true). Nodes of `everynode up` share one machine and are told apart by
 * loopback addresses (127.0.1.x), which are their daemons' pod IPs (host networking); refusing
 * them would leave every Service over local daemons without Endpoints.
 */
export function validateNonSpecialIP(ip: string, path: string, o: { loopback: boolean } = { loopback: true }): FieldError[] {
  if (ip === '0.0.0.0' || ip === '::') return [fe.invalid(path, ip, 'may not be unspecified (0.0.0.0, ::)')];
  // (A Service's externalIPs get upstream's rule whole: no loopback either.)
  if (!o.loopback && (ip.startsWith('127.') || ip === '::1')) return [fe.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (ip.startsWith('169.254.') || /^fe[89ab]/i.test(ip)) return [fe.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) return [fe.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  return [];
}

function validateEndpointAddress(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ip = str(a.ip) ?? '';
  const ipErrs = invalidEach(child(path, 'ip'), ip, isValidIP(ip));
  errs.push(...ipErrs);
  const hn = str(a.hostname) ?? '';
  if (hn.length > 0) errs.push(...invalidEach(child(path, 'hostname'), hn, isDNS1123Label(hn)));
  const nn = str(a.nodeName);
  if (nn !== undefined) errs.push(...invalidEach(child(path, 'nodeName'), nn, nameIsDNSSubdomain(nn, false)));
  if (ipErrs.length === 0) errs.push(...validateNonSpecialIP(ip, child(path, 'ip')));
  return errs;
}

export function validateEndpoints(ep: Obj): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  arr(ep.subsets).forEach((s, i) => {
    const ss = obj(s) ?? {};
    const p = index('subsets', i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) {
      errs.push(fe.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const f of ['addresses', 'notReadyAddresses']) {
      arr(ss[f]).forEach((a, j) => errs.push(...validateEndpointAddress(obj(a) ?? {}, index(child(p, f), j))));
    }
    const ports = arr(ss.ports).map((x) => obj(x) ?? {});
    const names = new Set<string>();
    ports.forEach((port, j) => {
      const pp = index(child(p, 'ports'), j);
      const name = str(port.name) ?? '';
      if (ports.length > 1 && name.length === 0) errs.push(fe.required(child(pp, 'name')));
      else if (name.length !== 0) {
        errs.push(...invalidEach(child(pp, 'name'), name, isDNS1123Label(name)));
        if (names.has(name)) errs.push(fe.duplicate(child(pp, 'name'), name));
        names.add(name);
      }
      const pn = num(port.port) ?? 0;
      errs.push(...invalidEach(child(pp, 'port'), pn, isValidPortNum(pn)));
      const proto = str(port.protocol) ?? '';
      if (proto.length === 0) errs.push(fe.required(child(pp, 'protocol')));
      else if (!['SCTP', 'TCP', 'UDP'].includes(proto)) errs.push(fe.notSupported(child(pp, 'protocol'), proto, ['SCTP', 'TCP', 'UDP']));
    });
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// ConfigMap and Secret

export const maxConfigMapSize = 1024 * 1024;
export const maxSecretSize = 1024 * 1024;

function decodedLength(b64: unknown): number {
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64').length : 0;
}

export function validateConfigMap(cm: Obj): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  const data = obj(cm.data) ?? {};
  const binaryData = obj(cm.binaryData) ?? {};
  for (const [k, v] of Object.entries(data)) {
    errs.push(...invalidEach(key('data', k), k, isConfigMapKey(k)));
    // upstream reports a key present in both bags once, against data.
    if (Object.hasOwn(binaryData, k)) errs.push(fe.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  for (const [k, v] of Object.entries(binaryData)) {
    errs.push(...invalidEach(key('binaryData', k), k, isConfigMapKey(k)));
    total += decodedLength(v);
  }
  if (total > maxConfigMapSize) errs.push(fe.tooLong('', maxConfigMapSize));
  return errs;
}

function validateImmutableData(o: Obj, old: Obj, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    if (o.immutable !== true) errs.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of fields) if (!deepEqual(o[f] ?? {}, old[f] ?? {})) errs.push(fe.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export function validateConfigMapUpdate(cm: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(cm.metadata, old.metadata), ...validateImmutableData(cm, old, ['data', 'binaryData']), ...validateConfigMap(cm)];
}

/** Conversion-time behaviour of v1 Secrets: `stringData` is merged into `data` (base64) and dropped; type defaults to Opaque. */
export function setSecretDefaults(secret: Obj): void {
  const sd = obj(secret.stringData);
  if (sd) {
    const data = ensureObj(secret, 'data');
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8').toString('base64');
    delete secret.stringData;
  }
  if (!str(secret.type)) secret.type = 'Opaque';
}

const redacted = '<secret contents redacted>';

export function validateSecret(secret: Obj): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain);
  const data = obj(secret.data) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => fe.invalid(key('data', k), redacted, m)));
    total += decodedLength(v);
  }
  if (total > maxSecretSize) errs.push(fe.tooLong('data', maxSecretSize));
  const type = str(secret.type) ?? '';
  const requireKey = (k: string): void => {
    if (!(k in data)) errs.push(fe.required(key('data', k)));
  };
  const requireJSON = (k: string): void => {
    if (!(k in data)) {
      errs.push(fe.required(key('data', k)));
      return;
    }
    const problem = dockerConfigProblem(Buffer.from(String(data[k]), 'base64').toString('utf8'));
    if (problem) errs.push(fe.invalid(key('data', k), redacted, problem));
  };
  switch (type) {
    case 'kubernetes.io/service-account-token': {
      const ann = obj(obj(secret.metadata)?.annotations) ?? {};
      if (!str(ann['kubernetes.io/service-account.name'])) errs.push(fe.required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    }
    case 'kubernetes.io/dockercfg':
      requireJSON('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      requireJSON('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) {
        errs.push(fe.required(key('data', 'username')));
        errs.push(fe.required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      requireKey('ssh-privatekey');
      break;
    case 'kubernetes.io/tls':
      requireKey('tls.crt');
      requireKey('tls.key');
      break;
    default:
      if (type !== 'Opaque' && type !== '') errs.push(...invalidEach('type', type, isQualifiedName(type)));
  }
  return errs;
}

export function validateSecretUpdate(secret: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(secret.metadata, old.metadata),
    ...validateImmutableField(secret.type ?? '', old.type ?? '', 'type'),
    ...validateImmutableData(secret, old, ['data']),
    ...validateSecret(secret),
  ];
}

// ---------------------------------------------------------------------------------------------
// ServiceAccount

export function validateServiceAccount(sa: Obj): FieldError[] {
  const errs = validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
  arr(sa.imagePullSecrets).forEach((s, i) => {
    const name = str(obj(s)?.name) ?? '';
    if (name.length === 0) errs.push(fe.required(child(index('imagePullSecrets', i), 'name')));
  });
  return errs;
}
