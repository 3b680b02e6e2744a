// Node identities: upstream's Node authorizer and NodeRestriction admission, as pure functions.
//
// A node identity is user `system:node:<n>` in group `system:nodes` (both required).
//
// authorizeNode (runs before RBAC; 'no-opinion' falls through to RBAC):
// - leases in coordination.k8s.io: get/create/update/patch/delete only in `kube-node-lease`
//   and only the lease named <n> (create's name is checked by admission);
// - secrets/configmaps: get (or list/watch narrowed to one name), and only those referenced
//   by a pod bound to <n> (needs a NodeGraph; without one, no opinion);
// - nodes: reads only of its own Node (list/watch narrowed to its name); pods: list/watch only
//   with fieldSelector spec.nodeName=<n>, get (or a one-name list/watch) only of a pod bound to
//   <n> (needs a NodeGraph) — upstream's selector-scoped node reads; writes as the node rules;
// - serviceaccounts/token: create only, for an account a pod bound to <n> runs as (needs a
//   NodeGraph); the TokenRequest handler binds a node's tokens to its own (non-mirror) pods;
// - csinodes in storage.k8s.io: get/create/update/patch/delete of its own CSINode only (create's
//   name is checked by admission), no list or watch;
// - everything else: the static node rules (bootstrap-policy.ts `nodeRules`), not narrowed by
//   object — NodeRestriction admission narrows the writes.
//
// admitNodeRequest (NodeRestriction; call for every create/update/patch/delete a node
// identity makes, after authorization, with the decoded new object and the stored old one):
// - nodes, nodes/status: only its own Node; on create no restricted labels; on update no
//   change to restricted labels and (main resource only) no change to spec.taints;
// - pods: create only mirror pods bound to itself that reference no secrets, configmaps,
//   claims or service accounts, owned by nothing but its own Node; delete only pods bound to
//   itself; no plain update/patch;
// - pods/status: only of pods bound to itself (checked on the OLD object, so a node cannot
//   move a pod to itself); pods/eviction: only pods bound to itself;
// - leases: create only the one named <n>; csinodes: only the one named <n>.
// Restricted node labels: the `node-restriction.kubernetes.io/` domain, and any kubernetes.io
// or k8s.io domain label other than the well-known ones a node reports about itself.

import { forbidden, type ApiError } from '../api/errors.js';
import type { Container, KubeObject, Node, Pod } from '../api/types.js';
import { parseFieldSelector } from '../api/selectors/index.js';
import { nodeRules } from './bootstrap-policy.js';
import type { AuthorizationAttributes } from './rbac.js';
import { rulesAllow } from './rbac.js';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type MaybePromise<T> = T | Promise<T>;

/** What the Node authorizer needs to know about the object graph. */
export interface NodeGraph {
  /** Pods whose spec.nodeName is `nodeName`. */
  podsOnNode(nodeName: string): MaybePromise<Pod[]>;
}

/** The node name of a node identity, or undefined for any other user. */
export function nodeNameOf(user: string, groups: readonly string[]): string | undefined {
  if (!user.startsWith(NODE_USER_PREFIX) || !groups.includes(NODES_GROUP)) return undefined;
  const n = user.slice(NODE_USER_PREFIX.length);
  return n || undefined;
}

export interface NodeDecision {
  decision: 'allow' | 'no-opinion';
  reason: string;
}

function podReferences(pod: Pod): { secrets: Set<string>; configMaps: Set<string>; claims: Set<string> } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const claims = new Set<string>();
  const spec = pod.spec as Pod['spec'] & Record<string, unknown>;
  for (const s of (spec.imagePullSecrets as { name?: string }[] | undefined) ?? []) if (s.name) secrets.add(s.name);
  for (const v of (spec.volumes as Record<string, any>[] | undefined) ?? []) {
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.persistentVolumeClaim?.claimName) claims.add(v.persistentVolumeClaim.claimName);
    for (const src of (v.projected?.sources as Record<string, any>[] | undefined) ?? []) {
      if (src.secret?.name) secrets.add(src.secret.name);
      if (src.configMap?.name) configMaps.add(src.configMap.name);
    }
    for (const k of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'storageos', 'iscsi', 'csi']) {
      const ref = v[k]?.secretRef?.name ?? v[k]?.nodePublishSecretRef?.name;
      if (ref) secrets.add(ref);
    }
    if (v.azureFile?.secretName) secrets.add(v.azureFile.secretName);
  }
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(((spec.ephemeralContainers as Container[] | undefined) ?? []))];
  for (const c of containers as (Container & Record<string, any>)[]) {
    for (const e of c.env ?? []) {
      const vf = (e as Record<string, any>).valueFrom;
      if (vf?.secretKeyRef?.name) secrets.add(vf.secretKeyRef.name);
      if (vf?.configMapKeyRef?.name) configMaps.add(vf.configMapKeyRef.name);
    }
    for (const ef of (c.envFrom as Record<string, any>[] | undefined) ?? []) {
      if (ef.secretRef?.name) secrets.add(ef.secretRef.name);
      if (ef.configMapRef?.name) configMaps.add(ef.configMapRef.name);
    }
  }
  return { secrets, configMaps, claims };
}

const LEASE_VERBS = new Set(['get', 'create', 'update', 'patch', 'delete']);
const CSINODE_VERBS = LEASE_VERBS;

/** Upstream's Node authorizer. Not a node identity → no opinion. */
export async function authorizeNode(a: AuthorizationAttributes, graph?: NodeGraph): Promise<NodeDecision> {
  const nodeName = nodeNameOf(a.user, a.groups);
  if (!nodeName) return { decision: 'no-opinion', reason: '' };
  if (!a.isResourceRequest) return { decision: 'no-opinion', reason: '' };

  if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') {
    if (!LEASE_VERBS.has(a.verb)) return { decision: 'no-opinion', reason: 'can only get, create, update, patch, or delete a node lease' };
    if (a.namespace !== NODE_LEASE_NAMESPACE) return { decision: 'no-opinion', reason: `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace` };
    if (a.verb !== 'create' && a.name !== nodeName) return { decision: 'no-opinion', reason: 'can only access node lease with the same name as the requesting node' };
    return { decision: 'allow', reason: '' };
  }

  if (a.apiGroup === '' && (a.resource === 'secrets' || a.resource === 'configmaps')) {
    // get, or list/watch narrowed to one name by `fieldSelector=metadata.name=` (the name then
    // comes from the selector: attributes.ts), as upstream's authorizeReadNamespacedObject.
    if (!['get', 'list', 'watch'].includes(a.verb) || a.subresource || !a.name || !a.namespace) {
      return { decision: 'no-opinion', reason: `can only read individual ${a.resource}` };
    }
    if (graph) {
      for (const pod of await graph.podsOnNode(nodeName)) {
        if (pod.metadata.namespace !== a.namespace || pod.spec.nodeName !== nodeName) continue;
        const refs = podReferences(pod);
        if ((a.resource === 'secrets' ? refs.secrets : refs.configMaps).has(a.name)) return { decision: 'allow', reason: '' };
      }
    }
    return { decision: 'no-opinion', reason: `no relationship found between node '${nodeName}' and this object` };
  }

  // Nodes and pods are read scoped, as upstream's Node authorizer with selector authorization
  // (on by default since Kubernetes 1.32): a node reads only its own Node, and only the pods
  // bound to it (list/watch with fieldSelector spec.nodeName=<itself>, or one pod by name).
  if (a.apiGroup === '' && a.resource === 'nodes') {
    if (a.subresource === '' && ['create', 'update', 'patch'].includes(a.verb)) return { decision: 'allow', reason: '' };
    if (a.subresource === '' && ['get', 'list', 'watch'].includes(a.verb)) {
      if (a.name === nodeName) return { decision: 'allow', reason: '' };
      return { decision: 'no-opinion', reason: a.name ? `node '${nodeName}' cannot read '${a.name}', only its own Node object` : `node '${nodeName}' cannot read all nodes, only its own Node object` };
    }
    if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return { decision: 'allow', reason: '' };
    return { decision: 'no-opinion', reason: '' };
  }
  if (a.apiGroup === '' && a.resource === 'pods') {
    if (a.subresource === '') {
      if (a.verb === 'create' || a.verb === 'delete') return { decision: 'allow', reason: '' }; // mirror pods; NodeRestriction narrows
      if (a.verb === 'list' || a.verb === 'watch') {
        if (selectsNode(a.fieldSelector, nodeName)) return { decision: 'allow', reason: '' };
        if (!a.name) return { decision: 'no-opinion', reason: 'can only list/watch pods with spec.nodeName field selector' };
      }
      if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
        if (!a.name) return { decision: 'no-opinion', reason: 'No Object name found' };
        if (graph && (await graph.podsOnNode(nodeName)).some((p) => p.metadata.namespace === a.namespace && p.metadata.name === a.name)) return { decision: 'allow', reason: '' };
        return { decision: 'no-opinion', reason: `no relationship found between node '${nodeName}' and this object` };
      }
      return { decision: 'no-opinion', reason: '' };
    }
    if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return { decision: 'allow', reason: '' };
    if (a.subresource === 'eviction' && a.verb === 'create') return { decision: 'allow', reason: '' };
    return { decision: 'no-opinion', reason: '' };
  }

  // Its own CSINode only (a create's name is checked by NodeRestriction), no list or watch.
  if (a.apiGroup === 'storage.k8s.io' && a.resource === 'csinodes') {
    if (!CSINODE_VERBS.has(a.verb)) return { decision: 'no-opinion', reason: 'can only get, create, update, patch, or delete a CSINode' };
    if (a.subresource) return { decision: 'no-opinion', reason: 'cannot authorize CSINode subresources' };
    if (a.verb !== 'create' && a.name !== nodeName) return { decision: 'no-opinion', reason: 'can only access CSINode with the same name as the requesting node' };
    return { decision: 'allow', reason: '' };
  }

  // Tokens: only for a service account that a pod bound to the node runs as (upstream's graph
  // path node -> pod -> service account), refused before anything is looked up, so a node
  // learns nothing of other accounts or objects. The request itself then binds the token, by
  // uid, to such a pod (token-request.ts).
  if (a.apiGroup === '' && a.resource === 'serviceaccounts' && a.subresource === 'token') {
    if (a.verb !== 'create' || !a.name || !a.namespace) return { decision: 'no-opinion', reason: 'can only create tokens for individual service accounts' };
    if (graph) {
      for (const pod of await graph.podsOnNode(nodeName)) {
        if (pod.metadata.namespace === a.namespace && pod.spec.nodeName === nodeName && (pod.spec.serviceAccountName || 'default') === a.name) return { decision: 'allow', reason: '' };
      }
    }
    return { decision: 'no-opinion', reason: `no relationship found between node '${nodeName}' and this object` };
  }

  if (rulesAllow(a, nodeRules())) return { decision: 'allow', reason: '' };
  return { decision: 'no-opinion', reason: '' };
}

// ---------------------------------------------------------------------------------------------
// NodeRestriction admission

const ALLOWED_KUBERNETES_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
const ALLOWED_KUBERNETES_DOMAINS = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function inDomain(domain: string, d: string): boolean {
  return domain === d || domain.endsWith('.' + d);
}

/** True when a node may not set or change this label on its own Node. */
export function isRestrictedNodeLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  if (inDomain(domain, 'node-restriction.kubernetes.io')) return true;
  if (!inDomain(domain, 'kubernetes.io') && !inDomain(domain, 'k8s.io')) return false;
  if (ALLOWED_KUBERNETES_LABELS.has(key)) return false;
  return !ALLOWED_KUBERNETES_DOMAINS.some((d) => inDomain(domain, d));
}

/** Whether a field selector requires `spec.nodeName` to equal `nodeName`. */
function selectsNode(fieldSelector: string | undefined, nodeName: string): boolean {
  if (!fieldSelector) return false;
  try {
    return parseFieldSelector(fieldSelector).requirements.some((r) => r.field === 'spec.nodeName' && r.op === '=' && r.value === nodeName);
  } catch {
    return false;
  }
}

type Operation = 'create' | 'update' | 'delete' | 'other';

function operationOf(verb: string): Operation {
  switch (verb) {
    case 'create':
      return 'create';
    case 'update':
    case 'patch':
      return 'update';
    case 'delete':
    case 'deletecollection':
      return 'delete';
    default:
      return 'other';
  }
}

function deny(a: AuthorizationAttributes, name: string, msg: string): ApiError {
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const prefix = name ? `${gr} ${JSON.stringify(name)}` : gr;
  return forbidden(`${prefix} is forbidden: ${msg}`, { group: a.apiGroup, resource: a.resource, kind: a.resource }, name);
}

function stableJson(v: unknown): string {
  return JSON.stringify(v ?? []);
}

/**
 * NodeRestriction. Returns the 403 to answer, or undefined to let the request continue.
 * `newObj`: the decoded object of create/update/patch (after applying a patch);
 * `oldObj`: the stored object for update/patch/delete and for pods/status, pods/eviction
 * (pass the target pod). `nodeUid`: the stored uid of the calling node's Node (needed to admit
 * a mirror pod create; absent: such a create is refused). Non-node users and unrelated resources
 * pass untouched.
 */
export function admitNodeRequest(a: AuthorizationAttributes, newObj: KubeObject | undefined, oldObj: KubeObject | undefined, nodeUid?: string): ApiError | undefined {
  const nodeName = nodeNameOf(a.user, a.groups);
  if (!nodeName || !a.isResourceRequest) return undefined;
  let op = operationOf(a.verb);
  if (op === 'other') return undefined;
  // A patch (server-side apply) or update that makes the object is a create, with a create's
  // rules, as upstream admits it (no old object to compare against).
  if (op === 'update' && newObj && !oldObj) op = 'create';
  const name = a.name || newObj?.metadata.name || '';
  const nodeQ = JSON.stringify(nodeName);

  if (a.apiGroup === '' && a.resource === 'pods') {
    if (a.subresource === '') {
      if (op === 'create') return admitPodCreate(a, nodeName, name, newObj as Pod | undefined, nodeUid);
      if (op === 'delete') {
        const pod = oldObj as Pod | undefined;
        if (!pod) return undefined; // not found: the request fails with 404 anyway
        if (pod.spec?.nodeName !== nodeName) return deny(a, name, `node ${nodeQ} can only delete pods with spec.nodeName set to itself`);
        return undefined;
      }
      return deny(a, name, `unexpected operation "${op.toUpperCase()}", node ${nodeQ} can only create and delete mirror pods`);
    }
    if (a.subresource === 'status') {
      if (op !== 'update') return deny(a, name, `unexpected operation "${op.toUpperCase()}"`);
      const pod = (oldObj ?? newObj) as Pod | undefined;
      if (!pod) return undefined;
      if (pod.spec?.nodeName !== nodeName) return deny(a, name, `node ${nodeQ} can only update pod status for pods with spec.nodeName set to itself`);
      if (newObj && oldObj) {
        // As upstream (since 1.17): labels decide which Services and controllers select a pod.
        if (stableJson(newObj.metadata.labels ?? {}) !== stableJson(oldObj.metadata.labels ?? {})) return deny(a, name, `node ${nodeQ} cannot update labels through pod status`);
        // everynode also keeps the mirror-pod mark: a node turning its pod into a mirror pod (or
        // back) would change what the pod may do (tokens, deletion by the agent).
        if (newObj.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== oldObj.metadata.annotations?.[MIRROR_POD_ANNOTATION]) {
          return deny(a, name, `node ${nodeQ} cannot update the ${MIRROR_POD_ANNOTATION} annotation through pod status`);
        }
      }
      return undefined;
    }
    if (a.subresource === 'eviction') {
      const pod = oldObj as Pod | undefined;
      if (pod && pod.spec?.nodeName !== nodeName) return deny(a, name, `node ${nodeQ} can only evict pods with spec.nodeName set to itself`);
      return undefined;
    }
    // Any other write to a pod subresource (pods/binding: binding some pod to itself) is refused
    // whatever RBAC says, as upstream's NodeRestriction.
    if (a.subresource !== '') return deny(a, name, `unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
    return undefined;
  }

  if (a.apiGroup === '' && a.resource === 'nodes') {
    if (name !== nodeName) return deny(a, name, `node ${nodeQ} is not allowed to modify node ${JSON.stringify(name)}`);
    if (op === 'create') {
      const labels = Object.keys((newObj as Node | undefined)?.metadata.labels ?? {}).filter(isRestrictedNodeLabel).sort();
      if (labels.length) return deny(a, name, `node ${nodeQ} is not allowed to set the following labels: ${labels.join(', ')}`);
      // An owner that does not exist has the garbage collector delete the Node: a node could
      // delete (and re-register) itself, dropping the taints an admin set (CVE-2025-5187).
      if ((newObj?.metadata.ownerReferences ?? []).length > 0) return deny(a, name, `node ${nodeQ} is not allowed to set ownerReferences`);
      return undefined;
    }
    if (op === 'update' && newObj && oldObj) {
      const n = newObj as Node;
      const o = oldObj as Node;
      if (stableJson(n.metadata.ownerReferences) !== stableJson(o.metadata.ownerReferences)) return deny(a, name, `node ${nodeQ} is not allowed to modify ownerReferences`);
      const nl = n.metadata.labels ?? {};
      const ol = o.metadata.labels ?? {};
      const changed = [...new Set([...Object.keys(nl), ...Object.keys(ol)])].filter((k) => nl[k] !== ol[k] && isRestrictedNodeLabel(k)).sort();
      if (changed.length) return deny(a, name, `node ${nodeQ} is not allowed to modify labels: ${changed.join(', ')}`);
      // nodes/status: the status strategy keeps the stored spec, so taints cannot change there.
      if (a.subresource === '' && stableJson(n.spec?.taints) !== stableJson(o.spec?.taints)) {
        return deny(a, name, `node ${nodeQ} is not allowed to modify taints`);
      }
    }
    return undefined;
  }

  if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases' && op === 'create') {
    if (name !== nodeName || a.namespace !== NODE_LEASE_NAMESPACE) return deny(a, name, 'can only access node lease with the same name as the requesting node');
  }
  if (a.apiGroup === 'storage.k8s.io' && a.resource === 'csinodes' && name !== nodeName) {
    return deny(a, name, 'can only access CSINode with the same name as the requesting node');
  }
  return undefined;
}

function admitPodCreate(a: AuthorizationAttributes, nodeName: string, name: string, pod: Pod | undefined, nodeUid: string | undefined): ApiError | undefined {
  const nodeQ = JSON.stringify(nodeName);
  if (!pod) return deny(a, name, `node ${nodeQ} can only create mirror pods`);
  if (!(pod.metadata.annotations && MIRROR_POD_ANNOTATION in pod.metadata.annotations)) {
    return deny(a, name, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node ${nodeQ} can only create mirror pods`);
  }
  if (pod.spec?.nodeName !== nodeName) return deny(a, name, `node ${nodeQ} can only create pods with spec.nodeName set to itself`);
  // As upstream: exactly one controller reference, to this Node by its uid, that blocks nothing.
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) return deny(a, name, `node ${nodeQ} can only create pods with a single owner reference set to itself`);
  const owner = owners[0];
  if (!owner || !(owner.apiVersion === 'v1' && owner.kind === 'Node' && owner.name === nodeName)) {
    return deny(a, name, `node ${nodeQ} can only create pods with an owner reference set to itself`);
  }
  if (owner.controller !== true) return deny(a, name, `node ${nodeQ} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) return deny(a, name, `node ${nodeQ} must not set blockOwnerDeletion on an owner reference`);
  if (nodeUid === undefined) return deny(a, name, `node ${nodeQ} can only create pods with a valid owner reference set to itself (its Node does not exist)`);
  if (owner.uid !== nodeUid) return deny(a, name, `node ${nodeName} UID mismatch: expected ${nodeUid} got ${owner.uid}`);
  const refs = podReferences(pod);
  if (refs.secrets.size) return deny(a, name, `node ${nodeQ} can not create pods that reference secrets`);
  if (refs.configMaps.size) return deny(a, name, `node ${nodeQ} can not create pods that reference configmaps`);
  if (refs.claims.size) return deny(a, name, `node ${nodeQ} can not create pods that reference persistentvolumeclaims`);
  const sa = (pod.spec as Record<string, unknown>).serviceAccountName;
  if (typeof sa === 'string' && sa !== '') return deny(a, name, `node ${nodeQ} can not create pods that reference a service account`);
  return undefined;
}
