// Decoding of `application/vnd.kubernetes.protobuf` request bodies into the JSON shape.
//
// Why: kubectl 1.32+ sends typed create bodies (`kubectl create configmap|secret|namespace|
// serviceaccount|service|role|rolebinding|clusterrole|clusterrolebinding|priorityclass|
// poddisruptionbudget|deployment|ingress|quota`), the pods of `kubectl debug node/N` and `kubectl debug POD
// --copy-to` (kubectl 1.32 and 1.33), and the
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
// encoding omits them (`omitempty`). So zero values of plain scalar, list and map fields are
// dropped unless the field is `keep` (JSON without omitempty); pointer fields (`ptr`) are kept
// whenever present. A non-pointer message field is a Go struct, which encoding/json prints even
// when empty (omitempty never omits a struct), and gogo always writes it: it decodes as `{}`
// when empty (`resources: {}`, `strategy: {}`, `status: {}`), as upstream's JSON has it. An
// `inline` field is an embedded struct (`json:",inline"` or `json:""`, e.g. Volume's
// VolumeSource): its own message on the wire, its fields merged into the parent in JSON.
// (metav1.Time is the exception: a zero time prints as `null` and is dropped here.)

import { ApiError, badRequest } from '../api/errors.js';
import { rfc3339 } from '../util/index.js';

type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'bytes';
/** `quantity`: resource.Quantity (a message whose field 1 is the string form); `mapQuantity`: ResourceList. */
type FieldType = Scalar | 'time' | 'intOrString' | 'quantity' | 'raw' | 'mapString' | 'mapBytes' | 'mapQuantity' | { message: string };

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** Go pointer field: present means set, zero values included. */
  ptr?: boolean;
  /** JSON field without omitempty: zero values are kept. */
  keep?: boolean;
  /** Embedded struct inlined in JSON: its fields are merged into the parent (the name is unused). */
  inline?: boolean;
}

type Message = Record<number, Field>;

const f = (name: string, type: FieldType, opts: Omit<Field, 'name' | 'type'> = {}): Field => ({ name, type, ...opts });
const msg = (message: string) => ({ message });

/** core/v1 Container (also EphemeralContainerCommon, which has the same fields and numbers). */
const containerMessage: Message = {
  1: f('name', 'string', { keep: true }),
  2: f('image', 'string'),
  3: f('command', 'string', { repeated: true }),
  4: f('args', 'string', { repeated: true }),
  5: f('workingDir', 'string'),
  6: f('ports', msg('ContainerPort'), { repeated: true }),
  19: f('envFrom', msg('EnvFromSource'), { repeated: true }),
  7: f('env', msg('EnvVar'), { repeated: true }),
  8: f('resources', msg('ResourceRequirements')),
  23: f('resizePolicy', msg('ContainerResizePolicy'), { repeated: true }),
  24: f('restartPolicy', 'string', { ptr: true }),
  25: f('restartPolicyRules', msg('ContainerRestartRule'), { repeated: true }),
  9: f('volumeMounts', msg('VolumeMount'), { repeated: true }),
  21: f('volumeDevices', msg('VolumeDevice'), { repeated: true }),
  10: f('livenessProbe', msg('Probe'), { ptr: true }),
  11: f('readinessProbe', msg('Probe'), { ptr: true }),
  22: f('startupProbe', msg('Probe'), { ptr: true }),
  12: f('lifecycle', msg('Lifecycle'), { ptr: true }),
  13: f('terminationMessagePath', 'string'),
  20: f('terminationMessagePolicy', 'string'),
  14: f('imagePullPolicy', 'string'),
  15: f('securityContext', msg('SecurityContext'), { ptr: true }),
  16: f('stdin', 'bool'),
  17: f('stdinOnce', 'bool'),
  18: f('tty', 'bool'),
};

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
  // core/v1 Binding (pods/binding: what client-go schedulers send, protobuf by default)
  Binding: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('target', msg('ObjectReference'), { keep: true }),
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
  // apps/v1 Deployment (`kubectl create deployment`); status is not input. Its pod template's
  // PodSpec is the full one below (core/v1 Pod).
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
  // core/v1 Pod (`kubectl debug node/N`, `kubectl debug POD --copy-to`) and everything it holds,
  // including PodSpec/Container for the templates above and PodStatus. Restated from the struct
  // tags of k8s.io/api core/v1 types.go (protobuf number and name, json name and omitempty, Go
  // pointer), as of kubernetes/api 10b39a39bcee; every number, name, repetition and type checked
  // against core/v1/generated.proto of the same commit.
  Pod: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('PodSpec')),
    3: f('status', msg('PodStatus')),
  },
  PodSpec: {
    1: f('volumes', msg('Volume'), { repeated: true }),
    20: f('initContainers', msg('Container'), { repeated: true }),
    2: f('containers', msg('Container'), { repeated: true, keep: true }),
    34: f('ephemeralContainers', msg('EphemeralContainer'), { repeated: true }),
    3: f('restartPolicy', 'string'),
    4: f('terminationGracePeriodSeconds', 'int64', { ptr: true }),
    5: f('activeDeadlineSeconds', 'int64', { ptr: true }),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', 'mapString'),
    8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'),
    21: f('automountServiceAccountToken', 'bool', { ptr: true }),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    12: f('hostPID', 'bool'),
    13: f('hostIPC', 'bool'),
    27: f('shareProcessNamespace', 'bool', { ptr: true }),
    14: f('securityContext', msg('PodSecurityContext'), { ptr: true }),
    15: f('imagePullSecrets', msg('LocalObjectReference'), { repeated: true }),
    16: f('hostname', 'string'),
    17: f('subdomain', 'string'),
    18: f('affinity', msg('Affinity'), { ptr: true }),
    19: f('schedulerName', 'string'),
    22: f('tolerations', msg('Toleration'), { repeated: true }),
    23: f('hostAliases', msg('HostAlias'), { repeated: true }),
    24: f('priorityClassName', 'string'),
    25: f('priority', 'int32', { ptr: true }),
    26: f('dnsConfig', msg('PodDNSConfig'), { ptr: true }),
    28: f('readinessGates', msg('PodReadinessGate'), { repeated: true }),
    29: f('runtimeClassName', 'string', { ptr: true }),
    30: f('enableServiceLinks', 'bool', { ptr: true }),
    31: f('preemptionPolicy', 'string', { ptr: true }),
    32: f('overhead', 'mapQuantity'),
    33: f('topologySpreadConstraints', msg('TopologySpreadConstraint'), { repeated: true }),
    35: f('setHostnameAsFQDN', 'bool', { ptr: true }),
    36: f('os', msg('PodOS'), { ptr: true }),
    37: f('hostUsers', 'bool', { ptr: true }),
    38: f('schedulingGates', msg('PodSchedulingGate'), { repeated: true }),
    39: f('resourceClaims', msg('PodResourceClaim'), { repeated: true }),
    40: f('resources', msg('ResourceRequirements'), { ptr: true }),
    41: f('hostnameOverride', 'string', { ptr: true }),
    43: f('schedulingGroup', msg('PodSchedulingGroup'), { ptr: true }),
    44: f('evictionResponders', msg('EvictionResponder'), { repeated: true }),
  },
  PodStatus: {
    17: f('observedGeneration', 'int64'),
    1: f('phase', 'string'),
    2: f('conditions', msg('PodCondition'), { repeated: true }),
    3: f('message', 'string'),
    4: f('reason', 'string'),
    11: f('nominatedNodeName', 'string'),
    5: f('hostIP', 'string'),
    16: f('hostIPs', msg('HostIP'), { repeated: true }),
    6: f('podIP', 'string'),
    12: f('podIPs', msg('PodIP'), { repeated: true }),
    7: f('startTime', 'time', { ptr: true }),
    10: f('initContainerStatuses', msg('ContainerStatus'), { repeated: true }),
    8: f('containerStatuses', msg('ContainerStatus'), { repeated: true }),
    9: f('qosClass', 'string'),
    13: f('ephemeralContainerStatuses', msg('ContainerStatus'), { repeated: true }),
    14: f('resize', 'string'),
    15: f('resourceClaimStatuses', msg('PodResourceClaimStatus'), { repeated: true }),
    18: f('extendedResourceClaimStatus', msg('PodExtendedResourceClaimStatus'), { ptr: true }),
    19: f('allocatedResources', 'mapQuantity'),
    20: f('resources', msg('ResourceRequirements'), { ptr: true }),
    21: f('nodeAllocatableResourceClaimStatuses', msg('NodeAllocatableResourceClaimStatus'), { repeated: true }),
    22: f('volumeHealth', msg('PodVolumeHealth'), { repeated: true }),
  },
  Volume: {
    1: f('name', 'string', { keep: true }),
    2: f('volumeSource', msg('VolumeSource'), { inline: true }),
  },
  Container: containerMessage,
  EphemeralContainer: {
    1: f('ephemeralContainerCommon', msg('EphemeralContainerCommon'), { inline: true }),
    2: f('targetContainerName', 'string'),
  },
  PodSecurityContext: {
    1: f('seLinuxOptions', msg('SELinuxOptions'), { ptr: true }),
    8: f('windowsOptions', msg('WindowsSecurityContextOptions'), { ptr: true }),
    2: f('runAsUser', 'int64', { ptr: true }),
    6: f('runAsGroup', 'int64', { ptr: true }),
    3: f('runAsNonRoot', 'bool', { ptr: true }),
    4: f('supplementalGroups', 'int64', { repeated: true }),
    12: f('supplementalGroupsPolicy', 'string', { ptr: true }),
    5: f('fsGroup', 'int64', { ptr: true }),
    7: f('sysctls', msg('Sysctl'), { repeated: true }),
    9: f('fsGroupChangePolicy', 'string', { ptr: true }),
    10: f('seccompProfile', msg('SeccompProfile'), { ptr: true }),
    11: f('appArmorProfile', msg('AppArmorProfile'), { ptr: true }),
    13: f('seLinuxChangePolicy', 'string', { ptr: true }),
  },
  LocalObjectReference: {
    1: f('name', 'string'),
  },
  Affinity: {
    1: f('nodeAffinity', msg('NodeAffinity'), { ptr: true }),
    2: f('podAffinity', msg('PodAffinity'), { ptr: true }),
    3: f('podAntiAffinity', msg('PodAntiAffinity'), { ptr: true }),
  },
  Toleration: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('value', 'string'),
    4: f('effect', 'string'),
    5: f('tolerationSeconds', 'int64', { ptr: true }),
  },
  HostAlias: {
    1: f('ip', 'string', { keep: true }),
    2: f('hostnames', 'string', { repeated: true }),
  },
  PodDNSConfig: {
    1: f('nameservers', 'string', { repeated: true }),
    2: f('searches', 'string', { repeated: true }),
    3: f('options', msg('PodDNSConfigOption'), { repeated: true }),
  },
  PodReadinessGate: {
    1: f('conditionType', 'string', { keep: true }),
  },
  TopologySpreadConstraint: {
    1: f('maxSkew', 'int32', { keep: true }),
    2: f('topologyKey', 'string', { keep: true }),
    3: f('whenUnsatisfiable', 'string', { keep: true }),
    4: f('labelSelector', msg('LabelSelector'), { ptr: true }),
    5: f('minDomains', 'int32', { ptr: true }),
    6: f('nodeAffinityPolicy', 'string', { ptr: true }),
    7: f('nodeTaintsPolicy', 'string', { ptr: true }),
    8: f('matchLabelKeys', 'string', { repeated: true }),
  },
  PodOS: {
    1: f('name', 'string', { keep: true }),
  },
  PodSchedulingGate: {
    1: f('name', 'string', { keep: true }),
  },
  PodResourceClaim: {
    1: f('name', 'string', { keep: true }),
    3: f('resourceClaimName', 'string', { ptr: true }),
    4: f('resourceClaimTemplateName', 'string', { ptr: true }),
  },
  ResourceRequirements: {
    1: f('limits', 'mapQuantity'),
    2: f('requests', 'mapQuantity'),
    3: f('claims', msg('ResourceClaim'), { repeated: true }),
  },
  PodSchedulingGroup: {
    1: f('podGroupName', 'string', { ptr: true }),
  },
  EvictionResponder: {
    1: f('name', 'string', { keep: true }),
    2: f('priority', 'int32', { ptr: true }),
  },
  PodCondition: {
    1: f('type', 'string', { keep: true }),
    7: f('observedGeneration', 'int64'),
    2: f('status', 'string', { keep: true }),
    3: f('lastProbeTime', 'time'),
    4: f('lastTransitionTime', 'time'),
    5: f('reason', 'string'),
    6: f('message', 'string'),
  },
  HostIP: {
    1: f('ip', 'string', { keep: true }),
  },
  PodIP: {
    1: f('ip', 'string', { keep: true }),
  },
  ContainerStatus: {
    1: f('name', 'string', { keep: true }),
    2: f('state', msg('ContainerState')),
    3: f('lastState', msg('ContainerState')),
    4: f('ready', 'bool', { keep: true }),
    5: f('restartCount', 'int32', { keep: true }),
    6: f('image', 'string', { keep: true }),
    7: f('imageID', 'string', { keep: true }),
    8: f('containerID', 'string'),
    9: f('started', 'bool', { ptr: true }),
    10: f('allocatedResources', 'mapQuantity'),
    11: f('resources', msg('ResourceRequirements'), { ptr: true }),
    12: f('volumeMounts', msg('VolumeMountStatus'), { repeated: true }),
    13: f('user', msg('ContainerUser'), { ptr: true }),
    14: f('allocatedResourcesStatus', msg('ResourceStatus'), { repeated: true }),
  },
  PodResourceClaimStatus: {
    1: f('name', 'string', { keep: true }),
    2: f('resourceClaimName', 'string', { ptr: true }),
  },
  PodExtendedResourceClaimStatus: {
    1: f('requestMappings', msg('ContainerExtendedResourceRequest'), { repeated: true, keep: true }),
    2: f('resourceClaimName', 'string', { keep: true }),
  },
  NodeAllocatableResourceClaimStatus: {
    1: f('resourceClaimName', 'string', { keep: true }),
    2: f('containers', 'string', { repeated: true }),
    4: f('mapping', msg('NodeAllocatableMappedResources'), { repeated: true }),
    5: f('overhead', msg('NodeAllocatableOverheadResources'), { repeated: true }),
  },
  PodVolumeHealth: {
    1: f('name', 'string', { keep: true }),
    2: f('healthConditions', msg('VolumeHealthCondition'), { repeated: true }),
    3: f('lastTransitionTime', 'time'),
  },
  VolumeSource: {
    1: f('hostPath', msg('HostPathVolumeSource'), { ptr: true }),
    2: f('emptyDir', msg('EmptyDirVolumeSource'), { ptr: true }),
    3: f('gcePersistentDisk', msg('GCEPersistentDiskVolumeSource'), { ptr: true }),
    4: f('awsElasticBlockStore', msg('AWSElasticBlockStoreVolumeSource'), { ptr: true }),
    5: f('gitRepo', msg('GitRepoVolumeSource'), { ptr: true }),
    6: f('secret', msg('SecretVolumeSource'), { ptr: true }),
    7: f('nfs', msg('NFSVolumeSource'), { ptr: true }),
    8: f('iscsi', msg('ISCSIVolumeSource'), { ptr: true }),
    9: f('glusterfs', msg('GlusterfsVolumeSource'), { ptr: true }),
    10: f('persistentVolumeClaim', msg('PersistentVolumeClaimVolumeSource'), { ptr: true }),
    11: f('rbd', msg('RBDVolumeSource'), { ptr: true }),
    12: f('flexVolume', msg('FlexVolumeSource'), { ptr: true }),
    13: f('cinder', msg('CinderVolumeSource'), { ptr: true }),
    14: f('cephfs', msg('CephFSVolumeSource'), { ptr: true }),
    15: f('flocker', msg('FlockerVolumeSource'), { ptr: true }),
    16: f('downwardAPI', msg('DownwardAPIVolumeSource'), { ptr: true }),
    17: f('fc', msg('FCVolumeSource'), { ptr: true }),
    18: f('azureFile', msg('AzureFileVolumeSource'), { ptr: true }),
    19: f('configMap', msg('ConfigMapVolumeSource'), { ptr: true }),
    20: f('vsphereVolume', msg('VsphereVirtualDiskVolumeSource'), { ptr: true }),
    21: f('quobyte', msg('QuobyteVolumeSource'), { ptr: true }),
    22: f('azureDisk', msg('AzureDiskVolumeSource'), { ptr: true }),
    23: f('photonPersistentDisk', msg('PhotonPersistentDiskVolumeSource'), { ptr: true }),
    26: f('projected', msg('ProjectedVolumeSource'), { ptr: true }),
    24: f('portworxVolume', msg('PortworxVolumeSource'), { ptr: true }),
    25: f('scaleIO', msg('ScaleIOVolumeSource'), { ptr: true }),
    27: f('storageos', msg('StorageOSVolumeSource'), { ptr: true }),
    28: f('csi', msg('CSIVolumeSource'), { ptr: true }),
    29: f('ephemeral', msg('EphemeralVolumeSource'), { ptr: true }),
    30: f('image', msg('ImageVolumeSource'), { ptr: true }),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int32'),
    3: f('containerPort', 'int32', { keep: true }),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvFromSource: {
    1: f('prefix', 'string'),
    2: f('configMapRef', msg('ConfigMapEnvSource'), { ptr: true }),
    3: f('secretRef', msg('SecretEnvSource'), { ptr: true }),
  },
  EnvVar: {
    1: f('name', 'string', { keep: true }),
    2: f('value', 'string'),
    3: f('valueFrom', msg('EnvVarSource'), { ptr: true }),
  },
  ContainerResizePolicy: {
    1: f('resourceName', 'string', { keep: true }),
    2: f('restartPolicy', 'string', { keep: true }),
  },
  ContainerRestartRule: {
    1: f('action', 'string'),
    2: f('exitCodes', msg('ContainerRestartRuleOnExitCodes'), { ptr: true }),
  },
  VolumeMount: {
    1: f('name', 'string', { keep: true }),
    2: f('readOnly', 'bool'),
    7: f('recursiveReadOnly', 'string', { ptr: true }),
    3: f('mountPath', 'string', { keep: true }),
    4: f('subPath', 'string'),
    5: f('mountPropagation', 'string', { ptr: true }),
    6: f('subPathExpr', 'string'),
    8: f('bindMountOptions', 'string', { repeated: true }),
  },
  VolumeDevice: {
    1: f('name', 'string', { keep: true }),
    2: f('devicePath', 'string', { keep: true }),
  },
  Probe: {
    1: f('probeHandler', msg('ProbeHandler'), { inline: true }),
    2: f('initialDelaySeconds', 'int32'),
    3: f('timeoutSeconds', 'int32'),
    4: f('periodSeconds', 'int32'),
    5: f('successThreshold', 'int32'),
    6: f('failureThreshold', 'int32'),
    7: f('terminationGracePeriodSeconds', 'int64', { ptr: true }),
  },
  Lifecycle: {
    1: f('postStart', msg('LifecycleHandler'), { ptr: true }),
    2: f('preStop', msg('LifecycleHandler'), { ptr: true }),
  },
  SecurityContext: {
    1: f('capabilities', msg('Capabilities'), { ptr: true }),
    2: f('privileged', 'bool', { ptr: true }),
    3: f('seLinuxOptions', msg('SELinuxOptions'), { ptr: true }),
    10: f('windowsOptions', msg('WindowsSecurityContextOptions'), { ptr: true }),
    4: f('runAsUser', 'int64', { ptr: true }),
    8: f('runAsGroup', 'int64', { ptr: true }),
    5: f('runAsNonRoot', 'bool', { ptr: true }),
    6: f('readOnlyRootFilesystem', 'bool', { ptr: true }),
    7: f('allowPrivilegeEscalation', 'bool', { ptr: true }),
    9: f('procMount', 'string', { ptr: true }),
    11: f('seccompProfile', msg('SeccompProfile'), { ptr: true }),
    12: f('appArmorProfile', msg('AppArmorProfile'), { ptr: true }),
  },
  // Go embeds the same fields (EphemeralContainerCommon mirrors Container).
  EphemeralContainerCommon: containerMessage,
  SELinuxOptions: {
    1: f('user', 'string'),
    2: f('role', 'string'),
    3: f('type', 'string'),
    4: f('level', 'string'),
  },
  WindowsSecurityContextOptions: {
    1: f('gmsaCredentialSpecName', 'string', { ptr: true }),
    2: f('gmsaCredentialSpec', 'string', { ptr: true }),
    3: f('runAsUserName', 'string', { ptr: true }),
    4: f('hostProcess', 'bool', { ptr: true }),
  },
  Sysctl: {
    1: f('name', 'string', { keep: true }),
    2: f('value', 'string', { keep: true }),
  },
  SeccompProfile: {
    1: f('type', 'string', { keep: true }),
    2: f('localhostProfile', 'string', { ptr: true }),
  },
  AppArmorProfile: {
    1: f('type', 'string', { keep: true }),
    2: f('localhostProfile', 'string', { ptr: true }),
  },
  NodeAffinity: {
    1: f('requiredDuringSchedulingIgnoredDuringExecution', msg('NodeSelector'), { ptr: true }),
    2: f('preferredDuringSchedulingIgnoredDuringExecution', msg('PreferredSchedulingTerm'), { repeated: true }),
  },
  PodAffinity: {
    1: f('requiredDuringSchedulingIgnoredDuringExecution', msg('PodAffinityTerm'), { repeated: true }),
    2: f('preferredDuringSchedulingIgnoredDuringExecution', msg('WeightedPodAffinityTerm'), { repeated: true }),
  },
  PodAntiAffinity: {
    1: f('requiredDuringSchedulingIgnoredDuringExecution', msg('PodAffinityTerm'), { repeated: true }),
    2: f('preferredDuringSchedulingIgnoredDuringExecution', msg('WeightedPodAffinityTerm'), { repeated: true }),
  },
  PodDNSConfigOption: {
    1: f('name', 'string'),
    2: f('value', 'string', { ptr: true }),
  },
  ResourceClaim: {
    1: f('name', 'string', { keep: true }),
    2: f('request', 'string'),
  },
  ContainerState: {
    1: f('waiting', msg('ContainerStateWaiting'), { ptr: true }),
    2: f('running', msg('ContainerStateRunning'), { ptr: true }),
    3: f('terminated', msg('ContainerStateTerminated'), { ptr: true }),
  },
  VolumeMountStatus: {
    1: f('name', 'string', { keep: true }),
    2: f('mountPath', 'string', { keep: true }),
    3: f('readOnly', 'bool'),
    4: f('recursiveReadOnly', 'string', { ptr: true }),
    5: f('volumeStatus', msg('VolumeStatus'), { ptr: true }),
  },
  ContainerUser: {
    1: f('linux', msg('LinuxContainerUser'), { ptr: true }),
  },
  ResourceStatus: {
    1: f('name', 'string', { keep: true }),
    2: f('resources', msg('ResourceHealth'), { repeated: true }),
  },
  ContainerExtendedResourceRequest: {
    1: f('containerName', 'string', { keep: true }),
    2: f('resourceName', 'string', { keep: true }),
    3: f('requestName', 'string', { keep: true }),
  },
  NodeAllocatableMappedResources: {
    1: f('name', 'string', { keep: true }),
    2: f('quantity', 'quantity', { ptr: true }),
  },
  NodeAllocatableOverheadResources: {
    1: f('name', 'string', { keep: true }),
    2: f('perPod', 'quantity', { ptr: true }),
    3: f('perContainer', 'quantity', { ptr: true }),
  },
  VolumeHealthCondition: {
    1: f('status', 'string', { keep: true }),
    2: f('reason', 'string', { keep: true }),
    3: f('message', 'string'),
  },
  HostPathVolumeSource: {
    1: f('path', 'string', { keep: true }),
    2: f('type', 'string', { ptr: true }),
  },
  EmptyDirVolumeSource: {
    1: f('medium', 'string'),
    2: f('sizeLimit', 'quantity', { ptr: true }),
    3: f('mode', 'int32', { ptr: true }),
  },
  GCEPersistentDiskVolumeSource: {
    1: f('pdName', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('partition', 'int32'),
    4: f('readOnly', 'bool'),
  },
  AWSElasticBlockStoreVolumeSource: {
    1: f('volumeID', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('partition', 'int32'),
    4: f('readOnly', 'bool'),
  },
  GitRepoVolumeSource: {
    1: f('repository', 'string', { keep: true }),
    2: f('revision', 'string'),
    3: f('directory', 'string'),
  },
  SecretVolumeSource: {
    1: f('secretName', 'string'),
    2: f('items', msg('KeyToPath'), { repeated: true }),
    3: f('defaultMode', 'int32', { ptr: true }),
    4: f('optional', 'bool', { ptr: true }),
    5: f('defaultUser', 'int64', { ptr: true }),
  },
  NFSVolumeSource: {
    1: f('server', 'string', { keep: true }),
    2: f('path', 'string', { keep: true }),
    3: f('readOnly', 'bool'),
  },
  ISCSIVolumeSource: {
    1: f('targetPortal', 'string', { keep: true }),
    2: f('iqn', 'string', { keep: true }),
    3: f('lun', 'int32', { keep: true }),
    4: f('iscsiInterface', 'string'),
    5: f('fsType', 'string'),
    6: f('readOnly', 'bool'),
    7: f('portals', 'string', { repeated: true }),
    8: f('chapAuthDiscovery', 'bool'),
    11: f('chapAuthSession', 'bool'),
    10: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
    12: f('initiatorName', 'string', { ptr: true }),
  },
  GlusterfsVolumeSource: {
    1: f('endpoints', 'string', { keep: true }),
    2: f('path', 'string', { keep: true }),
    3: f('readOnly', 'bool'),
  },
  PersistentVolumeClaimVolumeSource: {
    1: f('claimName', 'string', { keep: true }),
    2: f('readOnly', 'bool'),
  },
  RBDVolumeSource: {
    1: f('monitors', 'string', { repeated: true, keep: true }),
    2: f('image', 'string', { keep: true }),
    3: f('fsType', 'string'),
    4: f('pool', 'string'),
    5: f('user', 'string'),
    6: f('keyring', 'string'),
    7: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
    8: f('readOnly', 'bool'),
  },
  FlexVolumeSource: {
    1: f('driver', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
    4: f('readOnly', 'bool'),
    5: f('options', 'mapString'),
  },
  CinderVolumeSource: {
    1: f('volumeID', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('readOnly', 'bool'),
    4: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
  },
  CephFSVolumeSource: {
    1: f('monitors', 'string', { repeated: true, keep: true }),
    2: f('path', 'string'),
    3: f('user', 'string'),
    4: f('secretFile', 'string'),
    5: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
    6: f('readOnly', 'bool'),
  },
  FlockerVolumeSource: {
    1: f('datasetName', 'string'),
    2: f('datasetUUID', 'string'),
  },
  DownwardAPIVolumeSource: {
    1: f('items', msg('DownwardAPIVolumeFile'), { repeated: true }),
    2: f('defaultMode', 'int32', { ptr: true }),
    3: f('defaultUser', 'int64', { ptr: true }),
  },
  FCVolumeSource: {
    1: f('targetWWNs', 'string', { repeated: true }),
    2: f('lun', 'int32', { ptr: true }),
    3: f('fsType', 'string'),
    4: f('readOnly', 'bool'),
    5: f('wwids', 'string', { repeated: true }),
  },
  AzureFileVolumeSource: {
    1: f('secretName', 'string', { keep: true }),
    2: f('shareName', 'string', { keep: true }),
    3: f('readOnly', 'bool'),
  },
  ConfigMapVolumeSource: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('items', msg('KeyToPath'), { repeated: true }),
    3: f('defaultMode', 'int32', { ptr: true }),
    4: f('optional', 'bool', { ptr: true }),
    5: f('defaultUser', 'int64', { ptr: true }),
  },
  VsphereVirtualDiskVolumeSource: {
    1: f('volumePath', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('storagePolicyName', 'string'),
    4: f('storagePolicyID', 'string'),
  },
  QuobyteVolumeSource: {
    1: f('registry', 'string', { keep: true }),
    2: f('volume', 'string', { keep: true }),
    3: f('readOnly', 'bool'),
    4: f('user', 'string'),
    5: f('group', 'string'),
    6: f('tenant', 'string'),
  },
  AzureDiskVolumeSource: {
    1: f('diskName', 'string', { keep: true }),
    2: f('diskURI', 'string', { keep: true }),
    3: f('cachingMode', 'string', { ptr: true }),
    4: f('fsType', 'string', { ptr: true }),
    5: f('readOnly', 'bool', { ptr: true }),
    6: f('kind', 'string', { ptr: true }),
  },
  PhotonPersistentDiskVolumeSource: {
    1: f('pdID', 'string', { keep: true }),
    2: f('fsType', 'string'),
  },
  ProjectedVolumeSource: {
    1: f('sources', msg('VolumeProjection'), { repeated: true, keep: true }),
    2: f('defaultMode', 'int32', { ptr: true }),
    3: f('defaultUser', 'int64', { ptr: true }),
  },
  PortworxVolumeSource: {
    1: f('volumeID', 'string', { keep: true }),
    2: f('fsType', 'string'),
    3: f('readOnly', 'bool'),
  },
  ScaleIOVolumeSource: {
    1: f('gateway', 'string', { keep: true }),
    2: f('system', 'string', { keep: true }),
    3: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
    4: f('sslEnabled', 'bool'),
    5: f('protectionDomain', 'string'),
    6: f('storagePool', 'string'),
    7: f('storageMode', 'string'),
    8: f('volumeName', 'string'),
    9: f('fsType', 'string'),
    10: f('readOnly', 'bool'),
  },
  StorageOSVolumeSource: {
    1: f('volumeName', 'string'),
    2: f('volumeNamespace', 'string'),
    3: f('fsType', 'string'),
    4: f('readOnly', 'bool'),
    5: f('secretRef', msg('LocalObjectReference'), { ptr: true }),
  },
  CSIVolumeSource: {
    1: f('driver', 'string', { keep: true }),
    2: f('readOnly', 'bool', { ptr: true }),
    3: f('fsType', 'string', { ptr: true }),
    4: f('volumeAttributes', 'mapString'),
    5: f('nodePublishSecretRef', msg('LocalObjectReference'), { ptr: true }),
  },
  EphemeralVolumeSource: {
    1: f('volumeClaimTemplate', msg('PersistentVolumeClaimTemplate'), { ptr: true }),
  },
  ImageVolumeSource: {
    1: f('reference', 'string'),
    2: f('pullPolicy', 'string'),
  },
  ConfigMapEnvSource: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('optional', 'bool', { ptr: true }),
  },
  SecretEnvSource: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('optional', 'bool', { ptr: true }),
  },
  EnvVarSource: {
    1: f('fieldRef', msg('ObjectFieldSelector'), { ptr: true }),
    2: f('resourceFieldRef', msg('ResourceFieldSelector'), { ptr: true }),
    3: f('configMapKeyRef', msg('ConfigMapKeySelector'), { ptr: true }),
    4: f('secretKeyRef', msg('SecretKeySelector'), { ptr: true }),
    5: f('fileKeyRef', msg('FileKeySelector'), { ptr: true }),
  },
  ContainerRestartRuleOnExitCodes: {
    1: f('operator', 'string'),
    2: f('values', 'int32', { repeated: true }),
  },
  ProbeHandler: {
    1: f('exec', msg('ExecAction'), { ptr: true }),
    2: f('httpGet', msg('HTTPGetAction'), { ptr: true }),
    3: f('tcpSocket', msg('TCPSocketAction'), { ptr: true }),
    4: f('grpc', msg('GRPCAction'), { ptr: true }),
  },
  LifecycleHandler: {
    1: f('exec', msg('ExecAction'), { ptr: true }),
    2: f('httpGet', msg('HTTPGetAction'), { ptr: true }),
    3: f('tcpSocket', msg('TCPSocketAction'), { ptr: true }),
    4: f('sleep', msg('SleepAction'), { ptr: true }),
  },
  Capabilities: {
    1: f('add', 'string', { repeated: true }),
    2: f('drop', 'string', { repeated: true }),
  },
  NodeSelector: {
    1: f('nodeSelectorTerms', msg('NodeSelectorTerm'), { repeated: true, keep: true }),
  },
  PreferredSchedulingTerm: {
    1: f('weight', 'int32', { keep: true }),
    2: f('preference', msg('NodeSelectorTerm'), { keep: true }),
  },
  PodAffinityTerm: {
    1: f('labelSelector', msg('LabelSelector'), { ptr: true }),
    2: f('namespaces', 'string', { repeated: true }),
    3: f('topologyKey', 'string', { keep: true }),
    4: f('namespaceSelector', msg('LabelSelector'), { ptr: true }),
    5: f('matchLabelKeys', 'string', { repeated: true }),
    6: f('mismatchLabelKeys', 'string', { repeated: true }),
  },
  WeightedPodAffinityTerm: {
    1: f('weight', 'int32', { keep: true }),
    2: f('podAffinityTerm', msg('PodAffinityTerm'), { keep: true }),
  },
  ContainerStateWaiting: {
    1: f('reason', 'string'),
    2: f('message', 'string'),
  },
  ContainerStateRunning: {
    1: f('startedAt', 'time'),
  },
  ContainerStateTerminated: {
    1: f('exitCode', 'int32', { keep: true }),
    2: f('signal', 'int32'),
    3: f('reason', 'string'),
    4: f('message', 'string'),
    5: f('startedAt', 'time'),
    6: f('finishedAt', 'time'),
    7: f('containerID', 'string'),
  },
  VolumeStatus: {
    1: f('image', msg('ImageVolumeStatus'), { ptr: true }),
  },
  LinuxContainerUser: {
    1: f('uid', 'int64', { keep: true }),
    2: f('gid', 'int64', { keep: true }),
    3: f('supplementalGroups', 'int64', { repeated: true }),
  },
  ResourceHealth: {
    1: f('resourceID', 'string', { keep: true }),
    2: f('health', 'string'),
    6: f('message', 'string', { ptr: true }),
  },
  KeyToPath: {
    1: f('key', 'string', { keep: true }),
    2: f('path', 'string', { keep: true }),
    3: f('mode', 'int32', { ptr: true }),
    4: f('user', 'int64', { ptr: true }),
  },
  DownwardAPIVolumeFile: {
    1: f('path', 'string', { keep: true }),
    2: f('fieldRef', msg('ObjectFieldSelector'), { ptr: true }),
    3: f('resourceFieldRef', msg('ResourceFieldSelector'), { ptr: true }),
    4: f('mode', 'int32', { ptr: true }),
    5: f('user', 'int64', { ptr: true }),
  },
  VolumeProjection: {
    1: f('secret', msg('SecretProjection'), { ptr: true }),
    2: f('downwardAPI', msg('DownwardAPIProjection'), { ptr: true }),
    3: f('configMap', msg('ConfigMapProjection'), { ptr: true }),
    4: f('serviceAccountToken', msg('ServiceAccountTokenProjection'), { ptr: true }),
    5: f('clusterTrustBundle', msg('ClusterTrustBundleProjection'), { ptr: true }),
    6: f('podCertificate', msg('PodCertificateProjection'), { ptr: true }),
  },
  PersistentVolumeClaimTemplate: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('PersistentVolumeClaimSpec'), { keep: true }),
  },
  ObjectFieldSelector: {
    1: f('apiVersion', 'string'),
    2: f('fieldPath', 'string', { keep: true }),
  },
  ResourceFieldSelector: {
    1: f('containerName', 'string'),
    2: f('resource', 'string', { keep: true }),
    3: f('divisor', 'quantity'),
  },
  ConfigMapKeySelector: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('key', 'string', { keep: true }),
    3: f('optional', 'bool', { ptr: true }),
  },
  SecretKeySelector: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('key', 'string', { keep: true }),
    3: f('optional', 'bool', { ptr: true }),
  },
  FileKeySelector: {
    1: f('volumeName', 'string', { keep: true }),
    2: f('path', 'string', { keep: true }),
    3: f('key', 'string', { keep: true }),
    4: f('optional', 'bool', { ptr: true }),
  },
  ExecAction: {
    1: f('command', 'string', { repeated: true }),
  },
  HTTPGetAction: {
    1: f('path', 'string'),
    2: f('port', 'intOrString', { keep: true }),
    3: f('host', 'string'),
    4: f('scheme', 'string'),
    5: f('httpHeaders', msg('HTTPHeader'), { repeated: true }),
    6: f('protocol', 'string', { ptr: true }),
  },
  TCPSocketAction: {
    1: f('port', 'intOrString', { keep: true }),
    2: f('host', 'string'),
  },
  GRPCAction: {
    1: f('port', 'int32', { keep: true }),
    2: f('service', 'string', { ptr: true }),
    3: f('mode', 'string', { ptr: true }),
  },
  SleepAction: {
    1: f('seconds', 'int64', { keep: true }),
  },
  NodeSelectorTerm: {
    1: f('matchExpressions', msg('NodeSelectorRequirement'), { repeated: true }),
    2: f('matchFields', msg('NodeSelectorRequirement'), { repeated: true }),
  },
  ImageVolumeStatus: {
    1: f('imageRef', 'string'),
  },
  SecretProjection: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('items', msg('KeyToPath'), { repeated: true }),
    4: f('optional', 'bool', { ptr: true }),
  },
  DownwardAPIProjection: {
    1: f('items', msg('DownwardAPIVolumeFile'), { repeated: true }),
  },
  ConfigMapProjection: {
    1: f('localObjectReference', msg('LocalObjectReference'), { inline: true }),
    2: f('items', msg('KeyToPath'), { repeated: true }),
    4: f('optional', 'bool', { ptr: true }),
  },
  ServiceAccountTokenProjection: {
    1: f('audience', 'string'),
    2: f('expirationSeconds', 'int64', { ptr: true }),
    3: f('path', 'string', { keep: true }),
    4: f('user', 'int64', { ptr: true }),
  },
  ClusterTrustBundleProjection: {
    1: f('name', 'string', { ptr: true }),
    2: f('signerName', 'string', { ptr: true }),
    3: f('labelSelector', msg('LabelSelector'), { ptr: true }),
    5: f('optional', 'bool', { ptr: true }),
    4: f('path', 'string', { keep: true }),
    6: f('user', 'int64', { ptr: true }),
  },
  PodCertificateProjection: {
    1: f('signerName', 'string'),
    2: f('keyType', 'string'),
    3: f('maxExpirationSeconds', 'int32', { ptr: true }),
    4: f('credentialBundlePath', 'string'),
    5: f('keyPath', 'string'),
    6: f('certificateChainPath', 'string'),
    7: f('userAnnotations', 'mapString'),
    8: f('user', 'int64', { ptr: true }),
  },
  PersistentVolumeClaimSpec: {
    1: f('accessModes', 'string', { repeated: true }),
    4: f('selector', msg('LabelSelector'), { ptr: true }),
    2: f('resources', msg('VolumeResourceRequirements')),
    3: f('volumeName', 'string'),
    5: f('storageClassName', 'string', { ptr: true }),
    6: f('volumeMode', 'string', { ptr: true }),
    7: f('dataSource', msg('TypedLocalObjectReference'), { ptr: true }),
    8: f('dataSourceRef', msg('TypedObjectReference'), { ptr: true }),
    9: f('volumeAttributesClassName', 'string', { ptr: true }),
  },
  HTTPHeader: {
    1: f('name', 'string', { keep: true }),
    2: f('value', 'string', { keep: true }),
  },
  NodeSelectorRequirement: {
    1: f('key', 'string', { keep: true }),
    2: f('operator', 'string', { keep: true }),
    3: f('values', 'string', { repeated: true }),
  },
  VolumeResourceRequirements: {
    1: f('limits', 'mapQuantity'),
    2: f('requests', 'mapQuantity'),
  },
  TypedLocalObjectReference: {
    1: f('apiGroup', 'string', { ptr: true }),
    2: f('kind', 'string', { keep: true }),
    3: f('name', 'string', { keep: true }),
  },
  TypedObjectReference: {
    1: f('apiGroup', 'string', { ptr: true }),
    2: f('kind', 'string', { keep: true }),
    3: f('name', 'string', { keep: true }),
    4: f('namespace', 'string', { ptr: true }),
  },
  // scheduling.k8s.io/v1
  PriorityClass: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('value', 'int32', { keep: true }),
    3: f('globalDefault', 'bool'),
    4: f('description', 'string'),
    5: f('preemptionPolicy', 'string', { ptr: true }),
  },
  // networking.k8s.io/v1 (`kubectl create ingress`)
  Ingress: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('IngressSpec'), { keep: true }),
    3: f('status', msg('IngressStatus'), { keep: true }),
  },
  IngressSpec: {
    4: f('ingressClassName', 'string', { ptr: true }),
    1: f('defaultBackend', msg('IngressBackend'), { ptr: true }),
    2: f('tls', msg('IngressTLS'), { repeated: true }),
    3: f('rules', msg('IngressRule'), { repeated: true }),
  },
  IngressBackend: {
    4: f('service', msg('IngressServiceBackend'), { ptr: true }),
    3: f('resource', msg('TypedLocalObjectReference'), { ptr: true }),
  },
  IngressServiceBackend: {
    1: f('name', 'string', { keep: true }),
    2: f('port', msg('ServiceBackendPort')),
  },
  ServiceBackendPort: {
    1: f('name', 'string'),
    2: f('number', 'int32'),
  },
  IngressTLS: {
    1: f('hosts', 'string', { repeated: true }),
    2: f('secretName', 'string'),
  },
  IngressRule: {
    1: f('host', 'string'),
    2: f('ingressRuleValue', msg('IngressRuleValue'), { inline: true }),
  },
  IngressRuleValue: { 1: f('http', msg('HTTPIngressRuleValue'), { ptr: true }) },
  HTTPIngressRuleValue: { 1: f('paths', msg('HTTPIngressPath'), { repeated: true, keep: true }) },
  HTTPIngressPath: {
    1: f('path', 'string'),
    3: f('pathType', 'string', { ptr: true }),
    2: f('backend', msg('IngressBackend')),
  },
  IngressStatus: { 1: f('loadBalancer', msg('IngressLoadBalancerStatus')) },
  IngressLoadBalancerStatus: { 1: f('ingress', msg('IngressLoadBalancerIngress'), { repeated: true }) },
  IngressLoadBalancerIngress: {
    1: f('ip', 'string'),
    2: f('hostname', 'string'),
    4: f('ports', msg('PortStatus'), { repeated: true }),
  },
  // storage.k8s.io/v1 CSINode (written by kubelets, which speak protobuf)
  CSINode: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('CSINodeSpec'), { keep: true }),
  },
  CSINodeSpec: { 1: f('drivers', msg('CSINodeDriver'), { repeated: true, keep: true }) },
  CSINodeDriver: {
    1: f('name', 'string', { keep: true }),
    2: f('nodeID', 'string', { keep: true }),
    3: f('topologyKeys', 'string', { repeated: true, keep: true }),
    4: f('allocatable', msg('VolumeNodeResources'), { ptr: true }),
  },
  VolumeNodeResources: { 1: f('count', 'int32', { ptr: true }) },
  // core/v1 ResourceQuota (`kubectl create quota`)
  ResourceQuota: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('ResourceQuotaSpec'), { keep: true }),
    3: f('status', msg('ResourceQuotaStatus'), { keep: true }),
  },
  ResourceQuotaSpec: {
    1: f('hard', 'mapQuantity'),
    2: f('scopes', 'string', { repeated: true }),
    3: f('scopeSelector', msg('ScopeSelector'), { ptr: true }),
  },
  ScopeSelector: { 1: f('matchExpressions', msg('ScopedResourceSelectorRequirement'), { repeated: true }) },
  ScopedResourceSelectorRequirement: {
    1: f('scopeName', 'string', { keep: true }),
    2: f('operator', 'string', { keep: true }),
    3: f('values', 'string', { repeated: true }),
  },
  ResourceQuotaStatus: {
    1: f('hard', 'mapQuantity'),
    2: f('used', 'mapQuantity'),
  },
  IngressClass: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('IngressClassSpec'), { keep: true }),
  },
  IngressClassSpec: {
    1: f('controller', 'string'),
    2: f('parameters', msg('IngressClassParametersReference'), { ptr: true }),
  },
  // certificates.k8s.io/v1 (kubectl certificate approve|deny sends its UpdateApproval body as
  // protobuf). spec.extra (map<string, ExtraValue>) is not decoded: every CSR update keeps the
  // stored spec.
  CertificateSigningRequest: {
    1: f('metadata', msg('ObjectMeta'), { keep: true }),
    2: f('spec', msg('CertificateSigningRequestSpec'), { keep: true }),
    3: f('status', msg('CertificateSigningRequestStatus'), { keep: true }),
  },
  CertificateSigningRequestSpec: {
    1: f('request', 'bytes', { keep: true }),
    7: f('signerName', 'string', { keep: true }),
    8: f('expirationSeconds', 'int32', { ptr: true }),
    5: f('usages', 'string', { repeated: true }),
    2: f('username', 'string'),
    3: f('uid', 'string'),
    4: f('groups', 'string', { repeated: true }),
  },
  CertificateSigningRequestStatus: {
    1: f('conditions', msg('CertificateSigningRequestCondition'), { repeated: true }),
    2: f('certificate', 'bytes'),
  },
  CertificateSigningRequestCondition: {
    1: f('type', 'string', { keep: true }),
    6: f('status', 'string', { keep: true }),
    2: f('reason', 'string'),
    3: f('message', 'string'),
    4: f('lastUpdateTime', 'time'),
    5: f('lastTransitionTime', 'time'),
  },
  IngressClassParametersReference: {
    1: f('apiGroup', 'string', { ptr: true }),
    2: f('kind', 'string', { keep: true }),
    3: f('name', 'string', { keep: true }),
    4: f('scope', 'string', { ptr: true }),
    5: f('namespace', 'string', { ptr: true }),
  },
};

/** Kinds (by `<group>/<Kind>`) whose protobuf bodies can be decoded. */
const kindMessages: Record<string, string> = {
  '/ConfigMap': 'ConfigMap',
  '/Secret': 'Secret',
  '/Namespace': 'Namespace',
  '/ServiceAccount': 'ServiceAccount',
  '/Service': 'Service',
  '/Pod': 'Pod',
  '/Binding': 'Binding',
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
  'networking.k8s.io/Ingress': 'Ingress',
  'networking.k8s.io/IngressClass': 'IngressClass',
  '/ResourceQuota': 'ResourceQuota',
  'storage.k8s.io/CSINode': 'CSINode',
  'certificates.k8s.io/CertificateSigningRequest': 'CertificateSigningRequest',
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

function decodeQuantity(buf: Buffer): string {
  // resource.Quantity: `optional string string = 1`.
  const r = new Reader(buf);
  let value = '';
  while (!r.done()) {
    const tag = Number(r.varint());
    if (tag >>> 3 === 1 && (tag & 7) === 2) value = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  return value;
}

function decodeMapEntry(buf: Buffer, valueType: 'mapString' | 'mapBytes' | 'mapQuantity'): [string, string] {
  const r = new Reader(buf);
  let key = '';
  let value = valueType === 'mapQuantity' ? '0' : '';
  while (!r.done()) {
    const tag = Number(r.varint());
    const n = tag >>> 3;
    if (n === 1 && (tag & 7) === 2) key = r.bytes().toString('utf8');
    else if (n === 2 && (tag & 7) === 2) {
      const b = r.bytes();
      value = valueType === 'mapBytes' ? b.toString('base64') : valueType === 'mapQuantity' ? decodeQuantity(b) : b.toString('utf8');
    } else r.skip(tag & 7);
  }
  return [key, value];
}

/** A Go struct field: printed by encoding/json even when empty (omitempty never omits a struct). */
function isStructField(field: Field): boolean {
  return typeof field.type === 'object' && !field.repeated && !field.ptr;
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
    if (field.inline && typeof t === 'object') {
      Object.assign(out, decodeMessage(r.bytes(), t.message));
      continue;
    }
    if (t === 'mapString' || t === 'mapBytes' || t === 'mapQuantity') {
      const [k, v] = decodeMapEntry(r.bytes(), t);
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
      case 'quantity':
        value = decodeQuantity(r.bytes());
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
  // JSON omitempty: drop zero values of plain (non-pointer, omitempty) fields; structs stay.
  for (const field of Object.values(desc)) {
    if (field.ptr || field.keep || field.inline || isStructField(field)) continue;
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
    const t = field.type;
    if (field.inline && typeof t === 'object') {
      // An embedded struct: its fields are the parent's in JSON; gogo always writes it.
      parts.push(lenField(num, encodeMessage(obj, t.message)));
      continue;
    }
    // gogo writes a non-pointer struct field even when it is empty.
    const v = obj[field.name] ?? (isStructField(field) ? {} : undefined);
    if (v === undefined || v === null) continue;
    if (t === 'mapString' || t === 'mapBytes' || t === 'mapQuantity') {
      for (const [k, val] of Object.entries(v as Record<string, string>)) {
        const value = t === 'mapBytes' ? Buffer.from(val, 'base64') : t === 'mapQuantity' ? lenField(1, Buffer.from(String(val))) : Buffer.from(val);
        const entry = Buffer.concat([lenField(1, Buffer.from(k)), lenField(2, value)]);
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
        case 'quantity':
          parts.push(lenField(num, lenField(1, Buffer.from(String(item)))));
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

/**
 * Encodes an object the way client-go does (magic + runtime.Unknown; non-pointer struct fields
 * written even when absent from `obj`, as gogo writes them). For tests.
 */
export function encodeProtobufObject(obj: Record<string, unknown>, groupKind: string): Buffer {
  const name = kindMessages[groupKind];
  if (!name) throw new Error(`no protobuf layout for ${groupKind}`);
  const typeMeta = Buffer.concat([lenField(1, Buffer.from(String(obj.apiVersion ?? ''))), lenField(2, Buffer.from(String(obj.kind ?? '')))]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), lenField(1, typeMeta), lenField(2, encodeMessage(obj, name))]);
}
