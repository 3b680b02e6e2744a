// Decoding of `application/vnd.kubernetes.protobuf` request bodies into the JSON shape.
//
// Why: kubectl 1.32+ sends typed create bodies (`kubectl create configmap|secret|namespace|
// serviceaccount|service|role|rolebinding|clusterrole|clusterrolebinding|priorityclass|
// poddisruptionbudget|deployment`) and the
// DeleteOptions of its typed deletes and Evictions (`kubectl drain`) and its reviews (`kubectl auth`) as
// protobuf, with no fallback on 415.
// Responses stay JSON (kubectl also accepts JSON).
//
// Wire format (upstream's protobuf serializer): the 4 magic bytes "k8s\0", then a
// runtime.Unknown {typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4}
// whose `raw` is the kind's message. Message layouts below are the field numbers of the
// k8s.io/api generated.proto files (facts of the wire format, restated as data).
//
// JSON mapping: Go's gogo-protobuf marshals non-pointer fields even when zero, while the JSON
// encoding omits them (`omitempty`). So zero values of plain fields are dropped unless the field
// is `keep` (JSON without omitempty); pointer fields (`ptr`) are kept whenever present.

import { ApiError, badRequest } from '../api/errors.js';
import { rfc3339 } from '../util/index.js';

type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'bytes';
type FieldType = Scalar | 'time' | 'intOrString' | 'raw' | 'mapString' | 'mapBytes' | { message: string };

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** Go pointer field: present means set, zero values included. */
  ptr?: boolean;
  /** JSON field without omitempty: zero values are kept. */
  keep?: boolean;
}

type Message = Record<number, Field>;

const f = (name: string, type: FieldType, opts: Omit<Field, 'name' | 'type'> = {}): Field => ({ name, type, ...opts });
const msg = (message: string) => ({ message });

const messages: Record<string, Message> = {
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    4: f('selfLink', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int64'),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time', { ptr: true }),
    10: f('deletionGracePeriodSeconds', 'int64', { ptr: true }),
    11: f('labels', 'mapString'),
    12: f('annotations', 'mapString'),
    13: f('ownerReferences', msg('OwnerReference'), { repeated: true }),
    14: f('finalizers', 'string', { repeated: true }),
    17: f('managedFields', msg('ManagedFieldsEntry'), { repeated: true }),
  },
  OwnerReference: {
    5: f('apiVersion', 'string', { keep: true }),
    1: f('kind', 'string', { keep: true }),
    3: f('name', 'string', { keep: true }),
    4: f('uid', 'string', { keep: true }),
    6: f('controller', 'bool', { ptr: true }),
    7: f('blockOwnerDeletion', 'bool', { ptr: true }),
  },
  ManagedFieldsEntry: {
    1: f('manager', 'string'),
    2: f('operation', 'string'),
    3: f('apiVersion', 'string'),
    4: f('time', 'time', { ptr: true }),
    6: f('fieldsType', 'string'),
    7: f('fieldsV1', 'raw', { ptr: true }),
    8: f('subresource', 'string'),
  },
  LabelSelector: {
    1: f('matchLabels', 'mapString'),
    2: f('matchExpressions', msg('LabelSelectorRequirement'), { repeated: true }),
  },
  LabelSelectorRequirement: {
    1: f('key', 'string', { keep: true }),
    2: f('operator', 'string', { keep: true }),
    3: f('values', 'string', { repeated: true }),
  },
  Condition: {
    1: f('type', 'string', { keep: true }),
    2: f('status', 'string', { keep: true }),
    3: f('observedGeneration', 'int64'),
    4: f('lastTransitionTime', 'time', { keep: true }),
    5: f('reason', 'string', { keep: true }),
    6: f('message', 'string', { keep: true }),
  },
  // core/v1
  ConfigMap: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    4: f('immutable', 'bool', { ptr: true }),
    2: f('data', 'mapString'),
    3: f('binaryData', 'mapBytes'),
  },
  Secret: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    5: f('immutable', 'bool', { ptr: true }),
    2: f('data', 'mapBytes'),
    4: f('stringData', 'mapString'),
    3: f('type', 'string'),
  },
  Namespace: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('NamespaceSpec'), { keep: true }),
    3: f('status', msg('NamespaceStatus'), { keep: true }),
  },
  NamespaceSpec: { 1: f('finalizers', 'string', { repeated: true }) },
  NamespaceStatus: {
    1: f('phase', 'string'),
    2: f('conditions', msg('NamespaceCondition'), { repeated: true }),
  },
  NamespaceCondition: {
    1: f('type', 'string', { keep: true }),
    2: f('status', 'string', { keep: true }),
    4: f('lastTransitionTime', 'time'),
    5: f('reason', 'string'),
    6: f('message', 'string'),
  },
  ServiceAccount: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('secrets', msg('ObjectReference'), { repeated: true }),
    3: f('imagePullSecrets', msg('LocalObjectReference'), { repeated: true }),
    4: f('automountServiceAccountToken', 'bool', { ptr: true }),
  },
  ObjectReference: {
    1: f('kind', 'string'),
    2: f('namespace', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('fieldPath', 'string'),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  Service: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('ServiceSpec'), { keep: true }),
    3: f('status', msg('ServiceStatus'), { keep: true }),
  },
  ServiceSpec: {
    1: f('ports', msg('ServicePort'), { repeated: true }),
    2: f('selector', 'mapString'),
    3: f('clusterIP', 'string'),
    18: f('clusterIPs', 'string', { repeated: true }),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', { repeated: true }),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    9: f('loadBalancerSourceRanges', 'string', { repeated: true }),
    10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'),
    12: f('healthCheckNodePort', 'int32'),
    13: f('publishNotReadyAddresses', 'bool'),
    14: f('sessionAffinityConfig', msg('SessionAffinityConfig'), { ptr: true }),
    19: f('ipFamilies', 'string', { repeated: true }),
    17: f('ipFamilyPolicy', 'string', { ptr: true }),
    20: f('allocateLoadBalancerNodePorts', 'bool', { ptr: true }),
    21: f('loadBalancerClass', 'string', { ptr: true }),
    22: f('internalTrafficPolicy', 'string', { ptr: true }),
    23: f('trafficDistribution', 'string', { ptr: true }),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    6: f('appProtocol', 'string', { ptr: true }),
    3: f('port', 'int32', { keep: true }),
    4: f('targetPort', 'intOrString'),
    5: f('nodePort', 'int32'),
  },
  SessionAffinityConfig: { 1: f('clientIP', msg('ClientIPConfig'), { ptr: true }) },
  ClientIPConfig: { 1: f('timeoutSeconds', 'int32', { ptr: true }) },
  ServiceStatus: {
    1: f('loadBalancer', msg('LoadBalancerStatus')),
    2: f('conditions', msg('Condition'), { repeated: true }),
  },
  LoadBalancerStatus: { 1: f('ingress', msg('LoadBalancerIngress'), { repeated: true }) },
  LoadBalancerIngress: {
    1: f('ip', 'string'),
    2: f('hostname', 'string'),
    3: f('ipMode', 'string', { ptr: true }),
    4: f('ports', msg('PortStatus'), { repeated: true }),
  },
  PortStatus: {
    1: f('port', 'int32', { keep: true }),
    2: f('protocol', 'string', { keep: true }),
    3: f('error', 'string', { ptr: true }),
  },
  // rbac.authorization.k8s.io/v1
  Role: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('rules', msg('PolicyRule'), { repeated: true }),
  },
  ClusterRole: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('rules', msg('PolicyRule'), { repeated: true }),
    3: f('aggregationRule', msg('AggregationRule'), { ptr: true }),
  },
  RoleBinding: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('subjects', msg('Subject'), { repeated: true }),
    3: f('roleRef', msg('RoleRef'), { keep: true }),
  },
  ClusterRoleBinding: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('subjects', msg('Subject'), { repeated: true }),
    3: f('roleRef', msg('RoleRef'), { keep: true }),
  },
  PolicyRule: {
    1: f('verbs', 'string', { repeated: true, keep: true }),
    2: f('apiGroups', 'string', { repeated: true }),
    3: f('resources', 'string', { repeated: true }),
    4: f('resourceNames', 'string', { repeated: true }),
    5: f('nonResourceURLs', 'string', { repeated: true }),
  },
  AggregationRule: { 1: f('clusterRoleSelectors', msg('LabelSelector'), { repeated: true }) },
  Subject: {
    1: f('kind', 'string', { keep: true }),
    2: f('apiGroup', 'string'),
    3: f('name', 'string', { keep: true }),
    4: f('namespace', 'string'),
  },
  RoleRef: {
    1: f('apiGroup', 'string', { keep: true }),
    2: f('kind', 'string', { keep: true }),
    3: f('name', 'string', { keep: true }),
  },
  // meta.k8s.io/v1 options (kubectl 1.32+ `drain` deletes pods with a protobuf DeleteOptions body)
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int64', { ptr: true }),
    2: f('preconditions', msg('Preconditions'), { ptr: true }),
    3: f('orphanDependents', 'bool', { ptr: true }),
    4: f('propagationPolicy', 'string', { ptr: true }),
    5: f('dryRun', 'string', { repeated: true }),
    6: f('ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', { ptr: true }),
  },
  Preconditions: {
    1: f('uid', 'string', { ptr: true }),
    2: f('resourceVersion', 'string', { ptr: true }),
  },
  // authorization.k8s.io/v1 and authentication.k8s.io/v1 reviews (`kubectl auth can-i`, `auth whoami`);
  // their status fields are answers, not input, and are left out (unknown fields are skipped).
  SelfSubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('SelfSubjectAccessReviewSpec'), { keep: true }),
  },
  SelfSubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes'), { ptr: true }),
    2: f('nonResourceAttributes', msg('NonResourceAttributes'), { ptr: true }),
  },
  SubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('SubjectAccessReviewSpec'), { keep: true }),
  },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes'), { ptr: true }),
    2: f('nonResourceAttributes', msg('NonResourceAttributes'), { ptr: true }),
    3: f('user', 'string'),
    4: f('groups', 'string', { repeated: true }),
    6: f('uid', 'string'),
  },
  ResourceAttributes: {
    1: f('namespace', 'string'),
    2: f('verb', 'string'),
    3: f('group', 'string'),
    4: f('version', 'string'),
    5: f('resource', 'string'),
    6: f('subresource', 'string'),
    7: f('name', 'string'),
  },
  NonResourceAttributes: {
    1: f('path', 'string'),
    2: f('verb', 'string'),
  },
  SelfSubjectRulesReview: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('SelfSubjectRulesReviewSpec'), { keep: true }),
  },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', 'string') },
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta'), { keep: true }) },
  // authentication.k8s.io/v1 TokenRequest (`kubectl create token`)
  TokenRequest: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('TokenRequestSpec'), { keep: true }),
  },
  TokenRequestSpec: {
    1: f('audiences', 'string', { repeated: true }),
    3: f('boundObjectRef', msg('BoundObjectReference'), { ptr: true }),
    4: f('expirationSeconds', 'int64', { ptr: true }),
  },
  BoundObjectReference: {
    1: f('kind', 'string'),
    2: f('apiVersion', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
  },
  // policy/v1 Eviction (`kubectl drain` evicts with a protobuf body)
  Eviction: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('deleteOptions', msg('DeleteOptions'), { ptr: true }),
  },
  // policy/v1 PodDisruptionBudget (`kubectl create poddisruptionbudget`; status is the controller's)
  PodDisruptionBudget: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('PodDisruptionBudgetSpec'), { keep: true }),
  },
  PodDisruptionBudgetSpec: {
    1: f('minAvailable', 'intOrString', { ptr: true }),
    2: f('selector', msg('LabelSelector'), { ptr: true }),
    3: f('maxUnavailable', 'intOrString', { ptr: true }),
    4: f('unhealthyPodEvictionPolicy', 'string', { ptr: true }),
  },
  // apps/v1 Deployment (`kubectl create deployment`): the pod template fields that command sets
  // and the common ones beside them; status is not input.
  Deployment: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('DeploymentSpec'), { keep: true }),
  },
  DeploymentSpec: {
    1: f('replicas', 'int32', { ptr: true }),
    2: f('selector', msg('LabelSelector'), { ptr: true }),
    3: f('template', msg('PodTemplateSpec'), { keep: true }),
    4: f('strategy', msg('DeploymentStrategy')),
    5: f('minReadySeconds', 'int32'),
    6: f('revisionHistoryLimit', 'int32', { ptr: true }),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int32', { ptr: true }),
  },
  DeploymentStrategy: {
    1: f('type', 'string'),
    2: f('rollingUpdate', msg('RollingUpdateDeployment'), { ptr: true }),
  },
  RollingUpdateDeployment: {
    1: f('maxUnavailable', 'intOrString', { ptr: true }),
    2: f('maxSurge', 'intOrString', { ptr: true }),
  },
  PodTemplateSpec: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('PodSpec'), { keep: true }),
  },
  PodSpec: {
    2: f('containers', msg('Container'), { repeated: true }),
    3: f('restartPolicy', 'string'),
    4: f('terminationGracePeriodSeconds', 'int64', { ptr: true }),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', 'mapString'),
    8: f('serviceAccountName', 'string'),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    19: f('schedulerName', 'string'),
    20: f('initContainers', msg('Container'), { repeated: true }),
    24: f('priorityClassName', 'string'),
  },
  Container: {
    1: f('name', 'string', { keep: true }),
    2: f('image', 'string'),
    3: f('command', 'string', { repeated: true }),
    4: f('args', 'string', { repeated: true }),
    5: f('workingDir', 'string'),
    6: f('ports', msg('ContainerPort'), { repeated: true }),
    7: f('env', msg('EnvVar'), { repeated: true }),
    13: f('terminationMessagePath', 'string'),
    14: f('imagePullPolicy', 'string'),
    16: f('stdin', 'bool'),
    17: f('stdinOnce', 'bool'),
    18: f('tty', 'bool'),
    20: f('terminationMessagePolicy', 'string'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int32'),
    3: f('containerPort', 'int32', { keep: true }),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvVar: {
    1: f('name', 'string', { keep: true }),
    2: f('value', 'string'),
  },
  // scheduling.k8s.io/v1
  PriorityClass: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('value', 'int32', { keep: true }),
    3: f('globalDefault', 'bool'),
    4: f('description', 'string'),
    5: f('preemptionPolicy', 'string', { ptr: true }),
  },
};

/** Kinds (by `<group>/<Kind>`) whose protobuf bodies can be decoded. */
const kindMessages: Record<string, string> = {
  '/ConfigMap': 'ConfigMap',
  '/Secret': 'Secret',
  '/Namespace': 'Namespace',
  '/ServiceAccount': 'ServiceAccount',
  '/Service': 'Service',
  'rbac.authorization.k8s.io/Role': 'Role',
  'rbac.authorization.k8s.io/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding': 'ClusterRoleBinding',
  'scheduling.k8s.io/PriorityClass': 'PriorityClass',
  'meta.k8s.io/DeleteOptions': 'DeleteOptions',
  'authorization.k8s.io/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/SelfSubjectReview': 'SelfSubjectReview',
  'authentication.k8s.io/TokenRequest': 'TokenRequest',
  'policy/Eviction': 'Eviction',
  'policy/PodDisruptionBudget': 'PodDisruptionBudget',
  'apps/Deployment': 'Deployment',
};

/** The group/kind under which DeleteOptions bodies are decoded (decodeProtobufObject). */
export const deleteOptionsGroupKind = 'meta.k8s.io/DeleteOptions';

export const protobufContentType = 'application/vnd.kubernetes.protobuf';

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const n = Number(this.varint());
    if (n < 0 || this.pos + n > this.end) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new Error('truncated field');
  }
}

function toInt(v: bigint, bits: 32 | 64): number {
  const signed = bits === 32 ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v);
  return Number(signed);
}

function decodeTime(buf: Buffer): string | null {
  const r = new Reader(buf);
  let seconds = 0;
  while (!r.done()) {
    const tag = Number(r.varint());
    if (tag >>> 3 === 1 && (tag & 7) === 0) seconds = toInt(r.varint(), 64);
    else r.skip(tag & 7);
  }
  // The zero time.Time (0001-01-01T00:00:00Z) marshals as null in JSON.
  return seconds === -62135596800 || seconds === 0 ? null : rfc3339(seconds * 1000);
}

function decodeIntOrString(buf: Buffer): number | string {
  const r = new Reader(buf);
  let type = 0;
  let intVal = 0;
  let strVal = '';
  while (!r.done()) {
    const tag = Number(r.varint());
    const n = tag >>> 3;
    if (n === 1 && (tag & 7) === 0) type = toInt(r.varint(), 64);
    else if (n === 2 && (tag & 7) === 0) intVal = toInt(r.varint(), 32);
    else if (n === 3 && (tag & 7) === 2) strVal = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  return type === 1 ? strVal : intVal;
}

function decodeRaw(buf: Buffer): unknown {
  // RawExtension / FieldsV1: a message whose field 1 holds JSON bytes.
  const r = new Reader(buf);
  let raw: Buffer | undefined;
  while (!r.done()) {
    const tag = Number(r.varint());
    if (tag >>> 3 === 1 && (tag & 7) === 2) raw = r.bytes();
    else r.skip(tag & 7);
  }
  if (!raw || raw.length === 0) return {};
  return JSON.parse(raw.toString('utf8'));
}

function decodeMapEntry(buf: Buffer, bytesValue: boolean): [string, string] {
  const r = new Reader(buf);
  let key = '';
  let value = '';
  while (!r.done()) {
    const tag = Number(r.varint());
    const n = tag >>> 3;
    if (n === 1 && (tag & 7) === 2) key = r.bytes().toString('utf8');
    else if (n === 2 && (tag & 7) === 2) {
      const b = r.bytes();
      value = bytesValue ? b.toString('base64') : b.toString('utf8');
    } else r.skip(tag & 7);
  }
  return [key, value];
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function decodeMessage(buf: Buffer, name: string): Record<string, unknown> {
  const desc = messages[name];
  if (!desc) throw new Error(`no protobuf layout for ${name}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const tag = Number(r.varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    const field = desc[num];
    if (!field) {
      r.skip(wire);
      continue;
    }
    const t = field.type;
    let value: unknown;
    if (t === 'mapString' || t === 'mapBytes') {
      const [k, v] = decodeMapEntry(r.bytes(), t === 'mapBytes');
      const m = (out[field.name] ??= {}) as Record<string, string>;
      m[k] = v;
      continue;
    }
    if (field.repeated && wire === 2 && (t === 'int32' || t === 'int64' || t === 'bool')) {
      // Packed scalars.
      const packed = new Reader(r.bytes());
      const list = (out[field.name] ??= []) as unknown[];
      while (!packed.done()) {
        const v = packed.varint();
        list.push(t === 'bool' ? v !== 0n : toInt(v, t === 'int32' ? 32 : 64));
      }
      continue;
    }
    switch (t) {
      case 'string':
        value = r.bytes().toString('utf8');
        break;
      case 'bytes':
        value = r.bytes().toString('base64');
        break;
      case 'bool':
        value = r.varint() !== 0n;
        break;
      case 'int32':
        value = toInt(r.varint(), 32);
        break;
      case 'int64':
        value = toInt(r.varint(), 64);
        break;
      case 'time':
        value = decodeTime(r.bytes());
        break;
      case 'intOrString':
        value = decodeIntOrString(r.bytes());
        break;
      case 'raw':
        value = decodeRaw(r.bytes());
        break;
      default:
        value = decodeMessage(r.bytes(), t.message);
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  // JSON omitempty: drop zero values of plain (non-pointer, omitempty) fields.
  for (const field of Object.values(desc)) {
    if (field.ptr || field.keep) continue;
    if (field.name in out && isZero(out[field.name])) delete out[field.name];
  }
  return out;
}

/**
 * Decodes a protobuf request body for a kind (`<group>/<Kind>`). Returns the object in its
 * JSON shape (apiVersion/kind from the envelope). 415 for kinds without a layout; 400 for
 * malformed bodies.
 */
export function decodeProtobufObject(body: Buffer, groupKind: string): Record<string, unknown> {
  const name = kindMessages[groupKind];
  if (!name) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is not supported for ${groupKind.replace(/^\//, '')})`);
  }
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0x00) {
    throw badRequest('the protobuf body does not start with the Kubernetes magic prefix');
  }
  try {
    const r = new Reader(body);
    r.pos = 4;
    let apiVersion = '';
    let kind = '';
    let raw: Buffer | undefined;
    let contentEncoding = '';
    while (!r.done()) {
      const tag = Number(r.varint());
      const n = tag >>> 3;
      if (n === 1 && (tag & 7) === 2) {
        const tm = new Reader(r.bytes());
        while (!tm.done()) {
          const t2 = Number(tm.varint());
          if (t2 >>> 3 === 1 && (t2 & 7) === 2) apiVersion = tm.bytes().toString('utf8');
          else if (t2 >>> 3 === 2 && (t2 & 7) === 2) kind = tm.bytes().toString('utf8');
          else tm.skip(t2 & 7);
        }
      } else if (n === 2 && (tag & 7) === 2) raw = r.bytes();
      else if (n === 3 && (tag & 7) === 2) contentEncoding = r.bytes().toString('utf8');
      else r.skip(tag & 7);
    }
    if (contentEncoding !== '') throw new Error(`unsupported contentEncoding ${JSON.stringify(contentEncoding)}`);
    const obj = decodeMessage(raw ?? Buffer.alloc(0), name);
    const out: Record<string, unknown> = {};
    if (apiVersion) out.apiVersion = apiVersion;
    if (kind) out.kind = kind;
    return Object.assign(out, obj);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`the protobuf body could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding (tests only need it; kept beside the decoder so both share the layouts).

function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}

function lenField(num: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(BigInt((num << 3) | 2)), varint(BigInt(payload.length)), payload]);
}

function encodeMessage(obj: Record<string, unknown>, name: string): Buffer {
  const desc = messages[name]!;
  const parts: Buffer[] = [];
  for (const [numStr, field] of Object.entries(desc)) {
    const num = Number(numStr);
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    const t = field.type;
    if (t === 'mapString' || t === 'mapBytes') {
      for (const [k, val] of Object.entries(v as Record<string, string>)) {
        const entry = Buffer.concat([lenField(1, Buffer.from(k)), lenField(2, t === 'mapBytes' ? Buffer.from(val, 'base64') : Buffer.from(val))]);
        parts.push(lenField(num, entry));
      }
      continue;
    }
    const values = field.repeated ? (v as unknown[]) : [v];
    for (const item of values) {
      switch (t) {
        case 'string':
          parts.push(lenField(num, Buffer.from(String(item))));
          break;
        case 'bytes':
          parts.push(lenField(num, Buffer.from(String(item), 'base64')));
          break;
        case 'bool':
        case 'int32':
        case 'int64':
          parts.push(varint(BigInt(num << 3)), varint(BigInt(item === true ? 1 : item === false ? 0 : Number(item))));
          break;
        case 'time':
          parts.push(lenField(num, Buffer.concat([varint(8n), varint(BigInt(Math.floor(Date.parse(String(item)) / 1000)))])));
          break;
        case 'intOrString':
          parts.push(
            lenField(num, typeof item === 'string' ? Buffer.concat([varint(8n), varint(1n), lenField(3, Buffer.from(item))]) : Buffer.concat([varint(8n), varint(0n), varint(16n), varint(BigInt(Number(item)))])),
          );
          break;
        case 'raw':
          parts.push(lenField(num, lenField(1, Buffer.from(JSON.stringify(item)))));
          break;
        default:
          parts.push(lenField(num, encodeMessage(item as Record<string, unknown>, t.message)));
      }
    }
  }
  return Buffer.concat(parts);
}

/** Encodes an object the way client-go does (magic + runtime.Unknown). For tests. */
export function encodeProtobufObject(obj: Record<string, unknown>, groupKind: string): Buffer {
  const name = kindMessages[groupKind];
  if (!name) throw new Error(`no protobuf layout for ${groupKind}`);
  const typeMeta = Buffer.concat([lenField(1, Buffer.from(String(obj.apiVersion ?? ''))), lenField(2, Buffer.from(String(obj.kind ?? '')))]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), lenField(1, typeMeta), lenField(2, encodeMessage(obj, name))]);
}
