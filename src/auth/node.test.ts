import { describe, expect, it } from 'vitest';
import type { KubeObject, Node, Pod } from '../api/types.js';
import { Authorizer } from './authorizer.js';
import { bootstrapRbacObjects } from './bootstrap-policy.js';
import { admitNodeRequest, authorizeNode, isRestrictedNodeLabel, nodeNameOf, type NodeGraph } from './node.js';
import { forbiddenError, staticRbacSource, type AuthorizationAttributes } from './rbac.js';

const A = { user: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };

function req(verb: string, resource: string, o: Partial<AuthorizationAttributes> = {}, who = A): AuthorizationAttributes {
  return { ...who, verb, isResourceRequest: true, apiGroup: '', resource, subresource: '', namespace: '', name: '', path: '', ...o };
}
const lease = (verb: string, name: string, namespace = 'kube-node-lease') => req(verb, 'leases', { apiGroup: 'coordination.k8s.io', namespace, name });
const csiNode = (verb: string, name = '', subresource = '') => req(verb, 'csinodes', { apiGroup: 'storage.k8s.io', name, subresource });

function pod(name: string, nodeName: string | undefined, extra: Partial<Pod['spec']> = {}, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'c', image: 'x' }], ...(nodeName ? { nodeName } : {}), ...extra },
  };
}
function node(name: string, labels: Record<string, string> = {}, taints: Node['spec'] = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: taints };
}

const podsByNode: Record<string, Pod[]> = {
  a: [pod('uses-secret', 'a', { volumes: [{ name: 'v', secret: { secretName: 'sec-a' } }], containers: [{ name: 'c', image: 'x', env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cm-a', key: 'k' } } }] }] } as never)],
  b: [pod('uses-secret-b', 'b', { volumes: [{ name: 'v', secret: { secretName: 'sec-b' } }] } as never)],
};
const graph: NodeGraph = { podsOnNode: (n) => podsByNode[n] ?? [] };
const chain = new Authorizer({ rbac: staticRbacSource(bootstrapRbacObjects()), nodeGraph: graph });

describe('nodeNameOf', () => {
  it('needs both the user prefix and the system:nodes group', () => {
    expect(nodeNameOf('system:node:a', ['system:nodes'])).toBe('a');
    expect(nodeNameOf('system:node:a', [])).toBeUndefined();
    expect(nodeNameOf('alice', ['system:nodes'])).toBeUndefined();
  });
});

describe('Node authorizer (through the chain: Node, then RBAC)', () => {
  const cases: [string, AuthorizationAttributes, boolean][] = [
    // Reads are scoped as upstream's selector authorization: its own Node, the pods bound to it.
    ['get its own node', req('get', 'nodes', { name: 'a' }), true],
    ['get another node', req('get', 'nodes', { name: 'b' }), false],
    ['list/watch all nodes', req('watch', 'nodes'), false],
    ['watch its own node by name', req('watch', 'nodes', { name: 'a', fieldSelector: 'metadata.name=a' }), true],
    ['create a node (name checked by admission)', req('create', 'nodes'), true],
    ['update nodes (narrowed by admission)', req('update', 'nodes', { name: 'a' }), true],
    ['patch nodes/status', req('patch', 'nodes', { name: 'a', subresource: 'status' }), true],
    ['delete a node', req('delete', 'nodes', { name: 'a' }), false],
    // nodes/proxy reaches agents: upstream's Node authorizer grants it to no node, its own included.
    ['get nodes/proxy of another node', req('get', 'nodes', { name: 'b', subresource: 'proxy' }), false],
    ['get nodes/proxy of its own node', req('get', 'nodes', { name: 'a', subresource: 'proxy' }), false],
    ['create nodes/proxy', req('create', 'nodes', { name: 'b', subresource: 'proxy' }), false],
    ['list all pods', req('list', 'pods'), false],
    ['list/watch its pods (spec.nodeName=a)', req('watch', 'pods', { fieldSelector: 'spec.nodeName=a' }), true],
    ["list B's pods", req('list', 'pods', { fieldSelector: 'spec.nodeName=b' }), false],
    ['get a pod bound to it', req('get', 'pods', { namespace: 'default', name: 'uses-secret' }), true],
    // Its own CSINode only, no list or watch (a create's name is NodeRestriction's).
    ['get its own CSINode', csiNode('get', 'a'), true],
    ['update its own CSINode', csiNode('update', 'a'), true],
    ['delete its own CSINode', csiNode('delete', 'a'), true],
    ['create a CSINode', csiNode('create'), true],
    ["get B's CSINode", csiNode('get', 'b'), false],
    ["patch B's CSINode", csiNode('patch', 'b'), false],
    ['list CSINodes', csiNode('list'), false],
    ['watch its own CSINode', csiNode('watch', 'a'), false],
    ["get B's pod", req('get', 'pods', { namespace: 'default', name: 'uses-secret-b' }), false],
    ['update pods/status', req('update', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), true],
    ['create pods (mirror pods, checked by admission)', req('create', 'pods', { namespace: 'default' }), true],
    ['update a pod spec', req('update', 'pods', { namespace: 'default', name: 'p' }), false],
    ['create pods/binding', req('create', 'pods', { namespace: 'default', name: 'p', subresource: 'binding' }), false],
    ['patch pods/ephemeralcontainers', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'ephemeralcontainers' }), false],
    ['create events', req('create', 'events', { namespace: 'default' }), true],
    ['create events.k8s.io events', req('create', 'events', { apiGroup: 'events.k8s.io', namespace: 'default' }), true],
    ['get own lease', lease('get', 'a'), true],
    ['update own lease', lease('update', 'a'), true],
    ['create a lease (name checked by admission)', lease('create', ''), true],
    ["update B's lease", lease('update', 'b'), false],
    ['lease outside kube-node-lease', lease('get', 'a', 'default'), false],
    ['list leases', lease('list', ''), false],
    ['get a secret its pod uses', req('get', 'secrets', { namespace: 'default', name: 'sec-a' }), true],
    ['get a configmap its pod uses', req('get', 'configmaps', { namespace: 'default', name: 'cm-a' }), true],
    ["get a secret only B's pod uses", req('get', 'secrets', { namespace: 'default', name: 'sec-b' }), false],
    ['list secrets', req('list', 'secrets', { namespace: 'default' }), false],
    // Tokens only for an account a pod bound to it runs as (the pods here run as `default`).
    ['create a token for the account its pod runs as', req('create', 'serviceaccounts', { namespace: 'default', name: 'default', subresource: 'token' }), true],
    ['create a token for another account', req('create', 'serviceaccounts', { namespace: 'default', name: 'builder', subresource: 'token' }), false],
    ['create a token for that account elsewhere', req('create', 'serviceaccounts', { namespace: 'kube-system', name: 'default', subresource: 'token' }), false],
    ['read daemonsets', req('list', 'daemonsets', { apiGroup: 'apps' }), false],
    ['write daemonsets', req('create', 'daemonsets', { apiGroup: 'apps', namespace: 'default' }), false],
    ['read RBAC', req('list', 'clusterroles', { apiGroup: 'rbac.authorization.k8s.io' }), false],
    ['discovery path', { ...req('get', ''), isResourceRequest: false, path: '/apis' }, true],
    // Not a node identity (no system:nodes group): the node rules do not apply.
    ['impostor without group', req('list', 'pods', {}, { user: 'system:node:a', groups: ['system:authenticated'] }), false],
  ];
  it.each(cases)('%s', async (_n, a, want) => {
    expect((await chain.authorize(a)).allowed).toBe(want);
  });

  it('a denied lease request carries the node reason into the 403', async () => {
    const a = lease('update', 'b');
    const d = await chain.authorize(a);
    expect(d.allowed).toBe(false);
    expect(forbiddenError(a, d.reason).message).toBe(
      'leases.coordination.k8s.io "b" is forbidden: User "system:node:a" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node',
    );
  });

  it('no graph → no secret access', async () => {
    expect((await authorizeNode(req('get', 'secrets', { namespace: 'default', name: 'sec-a' }))).decision).toBe('no-opinion');
  });
});

describe('NodeRestriction admission', () => {
  const mirror = { 'kubernetes.io/config.mirror': 'hash' };
  /** The owner reference the agent gives its mirror pods: its Node, by uid, as controller. */
  const nodeOwner = { apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'uid-a', controller: true };
  const mirrorPod = (spec: Record<string, unknown> = {}, owners: unknown[] = [nodeOwner], node: string | null = 'a'): KubeObject => {
    const p = pod('m', node ?? undefined, spec as never, mirror);
    return { ...p, metadata: { ...p.metadata, ownerReferences: owners as never } };
  };
  const labelled = (labels: Record<string, string>, annotations?: Record<string, string>): KubeObject => {
    const p = pod('p', 'a');
    return { ...p, metadata: { ...p.metadata, labels, ...(annotations ? { annotations } : {}) } };
  };
  type Case = [string, AuthorizationAttributes, KubeObject | undefined, KubeObject | undefined, string | undefined];
  const cases: Case[] = [
    // nodes
    ['create own node', req('create', 'nodes'), node('a', { 'kubernetes.io/hostname': 'a', 'node.kubernetes.io/x': '1', 'example.com/y': '2' }), undefined, undefined],
    // csinodes
    ['create own CSINode', csiNode('create'), { metadata: { name: 'a' } }, undefined, undefined],
    ["create B's CSINode", csiNode('create'), { metadata: { name: 'b' } }, undefined, 'csinodes.storage.k8s.io "b" is forbidden: can only access CSINode with the same name as the requesting node'],
    ["update B's CSINode", csiNode('update', 'b'), { metadata: { name: 'b' } }, { metadata: { name: 'b' } }, 'csinodes.storage.k8s.io "b" is forbidden: can only access CSINode with the same name as the requesting node'],
    ['create another node', req('create', 'nodes'), node('b'), undefined, 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"'],
    ['create own node with restricted labels', req('create', 'nodes'), node('a', { 'node-restriction.kubernetes.io/pool': 'x', 'kubernetes.io/role': 'master' }), undefined,
      'nodes "a" is forbidden: node "a" is not allowed to set the following labels: kubernetes.io/role, node-restriction.kubernetes.io/pool'],
    ['create own node with taints (registration)', req('create', 'nodes'), node('a', {}, { taints: [{ key: 'k', effect: 'NoSchedule' }] }), undefined, undefined],
    ['update own node labels (free ones)', req('update', 'nodes', { name: 'a' }), node('a', { 'example.com/y': '3' }), node('a', { 'example.com/y': '2' }), undefined],
    ['update another node', req('update', 'nodes', { name: 'b' }), node('b', { x: '1' }), node('b'), 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"'],
    ["patch another node's status", req('patch', 'nodes', { name: 'b', subresource: 'status' }), node('b'), node('b'), 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"'],
    ['patch own node status', req('patch', 'nodes', { name: 'a', subresource: 'status' }), node('a'), node('a'), undefined],
    ['change own restricted label', req('patch', 'nodes', { name: 'a' }), node('a', { 'node-restriction.kubernetes.io/pool': 'y' }), node('a', { 'node-restriction.kubernetes.io/pool': 'x' }),
      'nodes "a" is forbidden: node "a" is not allowed to modify labels: node-restriction.kubernetes.io/pool'],
    ['remove own restricted label', req('update', 'nodes', { name: 'a' }), node('a'), node('a', { 'node-restriction.kubernetes.io/pool': 'x' }),
      'nodes "a" is forbidden: node "a" is not allowed to modify labels: node-restriction.kubernetes.io/pool'],
    ['keep own restricted label unchanged', req('update', 'nodes', { name: 'a' }), node('a', { 'node-restriction.kubernetes.io/pool': 'x', z: '1' }), node('a', { 'node-restriction.kubernetes.io/pool': 'x' }), undefined],
    ['change own taints', req('update', 'nodes', { name: 'a' }), node('a', {}, { taints: [] }), node('a', {}, { taints: [{ key: 'k', effect: 'NoSchedule' }] }),
      'nodes "a" is forbidden: node "a" is not allowed to modify taints'],
    ['set an owner of its own node', req('patch', 'nodes', { name: 'a' }), { ...node('a'), metadata: { name: 'a', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }] } } as KubeObject, node('a'),
      'nodes "a" is forbidden: node "a" is not allowed to modify ownerReferences'],
    ['create own node with an owner', req('create', 'nodes'), { ...node('a'), metadata: { name: 'a', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }] } } as KubeObject, undefined,
      'nodes "a" is forbidden: node "a" is not allowed to set ownerReferences'],
    ['add own taint', req('patch', 'nodes', { name: 'a' }), node('a', {}, { taints: [{ key: 'k', effect: 'NoExecute' }] }), node('a'), 'nodes "a" is forbidden: node "a" is not allowed to modify taints'],
    // pods
    ['create a mirror pod bound to itself', req('create', 'pods', { namespace: 'default' }), mirrorPod(), undefined, undefined],
    ['create a non-mirror pod', req('create', 'pods', { namespace: 'default' }), pod('p', 'a'), undefined,
      'pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods'],
    ['create a mirror pod bound to B', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [nodeOwner], 'b'), undefined, 'pods "m" is forbidden: node "a" can only create pods with spec.nodeName set to itself'],
    ['create an unbound mirror pod', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [nodeOwner], null), undefined, 'pods "m" is forbidden: node "a" can only create pods with spec.nodeName set to itself'],
    ['create a mirror pod using a secret', req('create', 'pods', { namespace: 'default' }), mirrorPod({ volumes: [{ name: 'v', secret: { secretName: 's' } }] }), undefined,
      'pods "m" is forbidden: node "a" can not create pods that reference secrets'],
    ['create a mirror pod naming the default service account', req('create', 'pods', { namespace: 'default' }), mirrorPod({ serviceAccountName: 'default' }), undefined,
      'pods "m" is forbidden: node "a" can not create pods that reference a service account'],
    ['create a mirror pod owned by B', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [{ ...nodeOwner, name: 'b' }]), undefined,
      'pods "m" is forbidden: node "a" can only create pods with an owner reference set to itself'],
    ['create a mirror pod without an owner', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, []), undefined,
      'pods "m" is forbidden: node "a" can only create pods with an owner reference set to itself'],
    ['create a mirror pod with two owners', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [nodeOwner, nodeOwner]), undefined,
      'pods "m" is forbidden: node "a" can only create pods with a single owner reference set to itself'],
    ['create a mirror pod whose owner is not its controller', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [{ ...nodeOwner, controller: false }]), undefined,
      'pods "m" is forbidden: node "a" can only create pods with a controller owner reference set to itself'],
    ['create a mirror pod that blocks its owner\'s deletion', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [{ ...nodeOwner, blockOwnerDeletion: true }]), undefined,
      'pods "m" is forbidden: node "a" must not set blockOwnerDeletion on an owner reference'],
    ['create a mirror pod owned by another uid', req('create', 'pods', { namespace: 'default' }), mirrorPod({}, [{ ...nodeOwner, uid: 'bogus' }]), undefined,
      'pods "m" is forbidden: node a UID mismatch: expected uid-a got bogus'],
    ['delete a pod bound to itself', req('delete', 'pods', { namespace: 'default', name: 'p' }), undefined, pod('p', 'a'), undefined],
    ['delete a pod bound to B', req('delete', 'pods', { namespace: 'default', name: 'p' }), undefined, pod('p', 'b'), 'pods "p" is forbidden: node "a" can only delete pods with spec.nodeName set to itself'],
    ['update a pod', req('update', 'pods', { namespace: 'default', name: 'p' }), pod('p', 'a'), pod('p', 'a'), 'pods "p" is forbidden: unexpected operation "UPDATE", node "a" can only create and delete mirror pods'],
    ['update status of its pod', req('update', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), pod('p', 'a'), pod('p', 'a'), undefined],
    // Whatever RBAC grants, a node binds no pod (to itself or elsewhere), as upstream's NodeRestriction.
    ['bind a pod', req('create', 'pods', { namespace: 'default', name: 'p', subresource: 'binding' }), pod('p', 'a'), pod('p', undefined),
      'pods "p" is forbidden: unexpected pod subresource "binding", only \'status\' and \'eviction\' are allowed'],
    ['add an ephemeral container to its pod', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'ephemeralcontainers' }), pod('p', 'a'), pod('p', 'a'),
      'pods "p" is forbidden: unexpected pod subresource "ephemeralcontainers", only \'status\' and \'eviction\' are allowed'],
    ["update status of B's pod", req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), pod('p', 'b'), pod('p', 'b'),
      'pods "p" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself'],
    ['status update cannot change its pod\'s labels', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), labelled({ app: 'db' }), labelled({ app: 'web' }),
      'pods "p" is forbidden: node "a" cannot update labels through pod status'],
    ['status update may change other annotations', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), labelled({ app: 'web' }, { note: 'x' }), labelled({ app: 'web' }), undefined],
    ['status update cannot make its pod a mirror pod', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), labelled({}, mirror), labelled({}),
      'pods "p" is forbidden: node "a" cannot update the kubernetes.io/config.mirror annotation through pod status'],
    ['status update cannot unmark a mirror pod', req('patch', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), labelled({}), labelled({}, mirror),
      'pods "p" is forbidden: node "a" cannot update the kubernetes.io/config.mirror annotation through pod status'],
    ["status update cannot move B's pod to itself", req('update', 'pods', { namespace: 'default', name: 'p', subresource: 'status' }), pod('p', 'a'), pod('p', 'b'),
      'pods "p" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself'],
    // leases
    ['create own lease', lease('create', ''), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'a', namespace: 'kube-node-lease' } }, undefined, undefined],
    ["create B's lease", lease('create', ''), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'b', namespace: 'kube-node-lease' } }, undefined,
      'leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node'],
    // other users are not restricted
    ['admin updates node taints', req('update', 'nodes', { name: 'a' }, { user: 'system:admin', groups: ['system:masters'] }), node('a', {}, { taints: [] }), node('a', {}, { taints: [{ key: 'k', effect: 'NoSchedule' }] }), undefined],
  ];
  it.each(cases)('%s', (_n, a, newObj, oldObj, want) => {
    const err = admitNodeRequest(a, newObj, oldObj, 'uid-a');
    if (want === undefined) {
      expect(err).toBeUndefined();
    } else {
      expect(err?.code).toBe(403);
      expect(err?.reason).toBe('Forbidden');
      expect(err?.message).toBe(want);
    }
  });

  it('refuses a mirror pod when its Node does not exist', () => {
    expect(admitNodeRequest(req('create', 'pods', { namespace: 'default' }), mirrorPod(), undefined, undefined)?.message).toBe(
      'pods "m" is forbidden: node "a" can only create pods with a valid owner reference set to itself (its Node does not exist)',
    );
  });

  it.each([
    ['node-restriction.kubernetes.io/x', true],
    ['foo.node-restriction.kubernetes.io/x', true],
    ['kubernetes.io/role', true],
    ['node-role.kubernetes.io/control-plane', true],
    ['k8s.io/anything', true],
    ['kubernetes.io/hostname', false],
    ['topology.kubernetes.io/zone', false],
    ['node.kubernetes.io/instance-type', false],
    ['kubelet.kubernetes.io/x', false],
    ['example.com/x', false],
    ['plain', false],
  ])('restricted label %s → %s', (k, want) => {
    expect(isRestrictedNodeLabel(k)).toBe(want);
  });
});
