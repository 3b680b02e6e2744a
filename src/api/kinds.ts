// Kinds are data. A KindDef describes one served resource: its names (for routing, discovery
// and messages), its scope, subresources and the strategy switches the generic REST registry
// in src/apiserver reads. The KindRegistry is mutable at run time (CustomResourceDefinitions
// will add kinds later): nothing may assume a fixed list; readers look kinds up per request
// and watch `registry.version` to invalidate derived documents (discovery, OpenAPI).

import type { ResourceRef } from './errors.js';
import { eventFromV1, eventToV1 } from './events-v1.js';
import type { KubeObject } from './types.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export const allVerbs: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const readVerbs: readonly Verb[] = ['get', 'list', 'watch'];

/**
 * Subresources the generic registry knows how to serve. `approval`: a CertificateSigningRequest's
 * (certificatesigningrequests/NAME/approval), which writes only status.conditions.
 */
export type Subresource = 'status' | 'log' | 'finalize' | 'eviction' | 'scale' | 'binding' | 'ephemeralcontainers' | 'approval';

/**
 * A `scale` subresource (a custom resource's: its CRD version's `subresources.scale`; a built-in
 * replicated kind's: Deployment, ReplicaSet, ReplicationController): where the autoscaling/v1
 * Scale's fields live in the object, as simple dotted JSON paths (`.spec.replicas`).
 */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
  /**
   * Built-in kinds: the value at labelSelectorPath is an object, given in the Scale as its
   * selector string: a LabelSelector (`labelSelector`) or a plain label map, as a
   * ReplicationController's (`labelMap`). Absent: it is that string already (custom resources).
   */
  labelSelectorFormat?: 'labelSelector' | 'labelMap';
}

/** The `scale` of the built-in replicated kinds (spec.replicas, status.replicas, spec.selector). */
const replicatedScale = (labelSelectorFormat: 'labelSelector' | 'labelMap'): ScaleSubresource => ({
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
  labelSelectorFormat,
});

/**
 * Streaming subresources served outside the generic registry (upgraded connections, exec.ts and
 * port-forward.ts; pods/proxy and services/proxy, pod-proxy.ts; nodes/proxy, node-proxy.ts): listed
 * by discovery as upstream's connecters (`pods/exec` with kind PodExecOptions, `pods/portforward`
 * with kind PodPortForwardOptions, verbs create and get; `<plural>/proxy` with kind PodProxyOptions,
 * ServiceProxyOptions or NodeProxyOptions, verbs create, delete, get, patch, update).
 */
export type ConnectSubresource = 'exec' | 'attach' | 'portforward' | 'proxy';

/** The options kind of a kind's streaming subresource (its discovery `kind`, its OpenAPI group-version-kind). */
export function connectOptionsKind(kind: string, sub: ConnectSubresource): string {
  switch (sub) {
    case 'exec':
      return 'PodExecOptions';
    case 'attach':
      return 'PodAttachOptions';
    case 'portforward':
      return 'PodPortForwardOptions';
    case 'proxy':
      return kind === 'Service' ? 'ServiceProxyOptions' : kind === 'Node' ? 'NodeProxyOptions' : 'PodProxyOptions';
  }
}

/** What happens to `status` when the main resource is created. */
export type StatusOnCreate =
  /** status is cleared (custom resources: controllers own it). */
  | 'wipe'
  /** status kept as sent (upstream Node: the kubelet registers with status). */
  | 'keep'
  /**
   * status reset to this value: upstream's PrepareForCreate sets an empty status, which Go prints
   * with its non-omitempty fields (DaemonSet's four counts, PodDisruptionBudget's four, Service's
   * `loadBalancer: {}`), or a phase (Pod: `{phase: Pending}`; Namespace: `{phase: Active}`).
   */
  | { reset: Record<string, unknown> };

/**
 * Another version of a stored kind (events.k8s.io/v1 Event of core v1 Event, as upstream serves
 * one Event type through both groups): its objects are stored in the form and under the keys of
 * `stored`, and converted on every read and write. Writes through either version are seen
 * through both; storage-wide passes (namespace deletion) visit the stored kind only.
 */
export interface KindView {
  stored: { group: string; plural: string };
  /** A stored object as this kind serves it; an object already in that form is returned as is. */
  fromStored(obj: KubeObject): KubeObject;
  /** An object of this kind in its stored form; an object already stored-form is returned as is. */
  toStored(obj: KubeObject): KubeObject;
}

export interface KindDef {
  group: string; // '' for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
  /** Streaming subresources (see ConnectSubresource), for discovery. */
  connectSubresources?: ConnectSubresource[];
  /** Set with `scale` in `subresources`. */
  scale?: ScaleSubresource;
  /**
   * True when `status` is a separate concern written through `/status`: writes to the main
   * resource keep the stored status, writes to `/status` keep everything but status (and
   * metadata labels/annotations).
   */
  hasStatus: boolean;
  statusOnCreate: StatusOnCreate;
  /** metadata.generation is 1 on create and +1 on every spec change (never on status/metadata). */
  tracksGeneration: boolean;
  /**
   * With tracksGeneration, for a kind without a spec (EndpointSlice): metadata.generation is +1
   * on a change of anything but metadata, or of metadata.labels (upstream's EndpointSlice
   * strategy), rather than of `spec`.
   */
  generationCoversContent?: true;
  /**
   * DaemonSet only: maintain the `deprecated.daemonset.template.generation` annotation
   * (kube-semantics §2.2): 1 on create (or the client's value ≥ 1), +1 when spec.template changes.
   */
  tracksTemplateGeneration?: boolean;
  /**
   * Verbs of the main resource, as discovery lists them. Verbs not listed answer 405 (the
   * registry's checkVerb), as upstream answers a verb whose storage lacks it.
   */
  verbs: Verb[];
  /** Default propagationPolicy of DELETE when the client gives none. */
  defaultPropagation?: 'Background' | 'Orphan';
  /** Custom resources only: set on the kinds of a terminating CRD, creates are refused (405) with this message. */
  createForbidden?: string;
  /**
   * A custom resource version marked deprecated: the warning every request to it is answered
   * with (its deprecationWarning, else `<group>/<version> <Kind> is deprecated`, naming the
   * served version to use instead when there is a newer one).
   */
  deprecationWarning?: string;
  /** Custom resources only: served from a CRD (no strategic merge patch; generation covers every field but metadata and a /status status). */
  custom?: true;
  /**
   * Custom resources only: the field selector labels of this version (its CRD version's
   * `selectableFields`, beside metadata.name and, when namespaced, metadata.namespace).
   */
  selectableFields?: { namespaced: boolean; jsonPaths: string[] };
  /** Set when this kind is another version of a stored kind (see KindView). */
  view?: KindView;
}

export function groupVersionOf(k: Pick<KindDef, 'group' | 'version'>): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** `apps/DaemonSet`, `/Pod`: the key validationFor / selectableFields / buildTable take. */
export function groupKindOf(k: Pick<KindDef, 'group' | 'kind'>): string {
  return `${k.group}/${k.kind}`;
}

/**
 * The key of a kind's table printer: its group/kind, and for a custom resource also its version
 * (each CRD version has its own printer columns).
 */
export function tableKeyOf(k: Pick<KindDef, 'group' | 'version' | 'kind' | 'custom'>): string {
  return k.custom ? `${k.group}/${k.version}/${k.kind}` : `${k.group}/${k.kind}`;
}

export function resourceRefOf(k: KindDef): ResourceRef {
  return { group: k.group, resource: k.plural, kind: k.kind };
}

/** A registry of served kinds. `version` increases on every change. */
export class KindRegistry {
  private readonly byGVR = new Map<string, KindDef>();
  private readonly byGVK = new Map<string, KindDef>();
  private _version = 0;

  constructor(kinds: Iterable<KindDef> = []) {
    for (const k of kinds) this.add(k);
  }

  get version(): number {
    return this._version;
  }

  /** Adds or replaces the kind at group/version/plural. */
  add(k: KindDef): void {
    const old = this.byGVR.get(gvrKey(k.group, k.version, k.plural));
    if (old) this.byGVK.delete(gvkKey(old.group, old.version, old.kind));
    this.byGVR.set(gvrKey(k.group, k.version, k.plural), k);
    this.byGVK.set(gvkKey(k.group, k.version, k.kind), k);
    this._version++;
  }

  remove(group: string, version: string, plural: string): boolean {
    const k = this.byGVR.get(gvrKey(group, version, plural));
    if (!k) return false;
    this.byGVR.delete(gvrKey(group, version, plural));
    this.byGVK.delete(gvkKey(k.group, k.version, k.kind));
    this._version++;
    return true;
  }

  all(): KindDef[] {
    return [...this.byGVR.values()];
  }

  byResource(group: string, version: string, plural: string): KindDef | undefined {
    return this.byGVR.get(gvrKey(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): KindDef | undefined {
    return this.byGVK.get(gvkKey(group, version, kind));
  }

  /** Finds a kind by plural, singular, short name or kind (case-insensitive), in any group. */
  byName(name: string): KindDef[] {
    const n = name.toLowerCase();
    return this.all().filter(
      (k) => k.plural === n || k.singular === n || k.kind.toLowerCase() === n || k.shortNames.includes(n),
    );
  }

  byShortName(short: string): KindDef | undefined {
    const n = short.toLowerCase();
    return this.all().find((k) => k.shortNames.includes(n));
  }

  /** Group/versions served, in first-registration order; the core group ('') first. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const k of this.byGVR.values()) {
      const key = groupVersionOf(k);
      if (!seen.has(key)) seen.set(key, { group: k.group, version: k.version });
    }
    return [...seen.values()].sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
  }

  kindsIn(group: string, version: string): KindDef[] {
    return this.all().filter((k) => k.group === group && k.version === version);
  }
}

function gvrKey(g: string, v: string, r: string): string {
  return `${g}/${v}/${r}`;
}
function gvkKey(g: string, v: string, k: string): string {
  return `${g}/${v}/${k}`;
}

// ---------------------------------------------------------------------------------------------
// The built-in kinds.

interface KindInit {
  group: string;
  version?: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: Subresource[];
  connectSubresources?: ConnectSubresource[];
  statusOnCreate?: StatusOnCreate;
  tracksGeneration?: boolean;
  tracksTemplateGeneration?: boolean;
  generationCoversContent?: true;
  verbs?: Verb[];
  defaultPropagation?: 'Background' | 'Orphan';
  scale?: ScaleSubresource;
}

function kind(i: KindInit): KindDef {
  const subresources = i.subresources ?? [];
  const hasStatus = subresources.includes('status');
  const def: KindDef = {
    group: i.group,
    version: i.version ?? 'v1',
    kind: i.kind,
    listKind: `${i.kind}List`,
    plural: i.plural,
    singular: i.kind.toLowerCase(),
    namespaced: i.namespaced,
    shortNames: i.shortNames ?? [],
    categories: i.categories ?? [],
    subresources,
    hasStatus,
    statusOnCreate: i.statusOnCreate ?? (hasStatus ? 'wipe' : 'keep'),
    tracksGeneration: i.tracksGeneration ?? false,
    verbs: i.verbs ?? [...allVerbs],
  };
  if (i.connectSubresources) def.connectSubresources = [...i.connectSubresources];
  if (i.tracksTemplateGeneration) def.tracksTemplateGeneration = true;
  if (i.generationCoversContent) def.generationCoversContent = true;
  if (i.defaultPropagation) def.defaultPropagation = i.defaultPropagation;
  if (i.scale) def.scale = i.scale;
  return def;
}

/**
 * The kinds everynode serves out of the box. Status-on-create follows upstream's
 * PrepareForCreate: DaemonSet/Service wipe status, Pod resets it to Pending, Namespace to
 * Active, Node keeps what the agent registers.
 */
export function builtinKinds(): KindDef[] {
  return [
    // Upstream's namespace storage has no deletecollection (discovery lists the other seven verbs;
    // `DELETE /api/v1/namespaces` is 405).
    kind({ group: '', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], statusOnCreate: { reset: { phase: 'Active' } }, verbs: allVerbs.filter((v) => v !== 'deletecollection') }),
    kind({ group: '', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'], connectSubresources: ['proxy'], statusOnCreate: 'keep' }),
    kind({ group: '', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'eviction', 'binding', 'ephemeralcontainers'], connectSubresources: ['attach', 'exec', 'portforward', 'proxy'], statusOnCreate: { reset: { phase: 'Pending' } } }),
    kind({ group: '', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }),
    kind({ group: '', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'], connectSubresources: ['proxy'], statusOnCreate: { reset: { loadBalancer: {} } } }),
    kind({ group: '', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] }),
    kind({ group: '', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
    // Applied to pods on create by the LimitRanger admission (apiserver/limit-ranger.ts).
    kind({ group: '', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] }),
    // Enforced on creates by the quota admission (apiserver/resource-quota.ts); its status is the
    // resource quota controller's (controllers/resourcequota/). A create's status is emptied (`{}`).
    kind({ group: '', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: ['status'], statusOnCreate: { reset: {} } }),
    kind({ group: '', kind: 'Secret', plural: 'secrets', namespaced: true }),
    kind({ group: '', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
    kind({ group: 'apps', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'], tracksGeneration: true, tracksTemplateGeneration: true, statusOnCreate: { reset: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 } } }),
    kind({ group: 'apps', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true }),
    kind({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', namespaced: true }),
    kind({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true, tracksGeneration: true, generationCoversContent: true }),
    kind({ group: 'rbac.authorization.k8s.io', kind: 'Role', plural: 'roles', namespaced: true }),
    kind({ group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true }),
    kind({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false }),
    kind({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false }),
    kind({ group: 'scheduling.k8s.io', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }),
    kind({ group: 'apps', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], scale: replicatedScale('labelSelector'), tracksGeneration: true, statusOnCreate: { reset: {} } }),
    kind({ group: 'apps', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], scale: replicatedScale('labelSelector'), tracksGeneration: true, statusOnCreate: { reset: { replicas: 0 } } }),
    // Orphan by default, as upstream's core/v1 ReplicationController (its behaviour before server-side
    // garbage collection).
    kind({ group: '', kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'], scale: replicatedScale('labelMap'), tracksGeneration: true, statusOnCreate: { reset: { replicas: 0 } }, defaultPropagation: 'Orphan' }),
    kind({ group: 'policy', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'], tracksGeneration: true, statusOnCreate: { reset: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } } }),
    kind({ group: 'storage.k8s.io', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false }),
    // Each agent creates its node's (agent.ts), owned by the Node so it goes with it.
    kind({ group: 'storage.k8s.io', kind: 'CSINode', plural: 'csinodes', namespaced: false }),
    kind({ group: 'storage.k8s.io', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] }),
    // Kept for the network plugin that enforces it (upstream's generation: +1 on a spec change).
    kind({ group: 'node.k8s.io', kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false }),
    kind({ group: 'networking.k8s.io', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'], tracksGeneration: true }),
    // Kept for the ingress controller that routes by them (often a DaemonSet on every edge node).
    kind({ group: 'networking.k8s.io', kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], subresources: ['status'], tracksGeneration: true, statusOnCreate: { reset: { loadBalancer: {} } } }),
    kind({ group: 'networking.k8s.io', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false, tracksGeneration: true }),
    kind({ group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] }),
    kind({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] }),
    // Stored with the status the server sets (Established); the custom resources they define
    // are not served yet.
    kind({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'], tracksGeneration: true }),
    // Requests for certificates signed by a named signer (upstream's csrStrategy): the requester is
    // written into spec on create, spec is immutable, /approval writes only the Approved/Denied
    // conditions, /status the certificate and the Failed condition (the signer's); status is
    // emptied on create (`{}`). Signed by controllers/certificates for the kubernetes.io signers.
    kind({ group: 'certificates.k8s.io', kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false, shortNames: ['csr'], subresources: ['approval', 'status'], statusOnCreate: { reset: {} } }),
    // The core Events again, as events.k8s.io/v1 (client-go's newer events API): the same objects.
    { ...kind({ group: 'events.k8s.io', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }), view: { stored: { group: '', plural: 'events' }, fromStored: eventToV1, toStored: eventFromV1 } },
  ];
}

/** A fresh registry holding the built-in kinds. */
export function newKindRegistry(): KindRegistry {
  return new KindRegistry(builtinKinds());
}
