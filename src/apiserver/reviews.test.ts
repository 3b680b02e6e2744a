import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { Authorizer, bootstrapRbacObjects, staticRbacSource, type UserInfo } from '../auth/index.js';
import { decodeProtobufObject } from './protobuf.js';
import { reviewRouteOf, serveReview, type ReviewRoute } from './reviews.js';

const objects: KubeObject[] = [
  ...bootstrapRbacObjects(),
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'ds-reader', namespace: 'ops' }, rules: [{ verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['daemonsets'] }] } as KubeObject,
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'readers', namespace: 'ops' },
    subjects: [{ kind: 'Group', name: 'readers' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ds-reader' },
  } as KubeObject,
];
const authorizer = new Authorizer({ rbac: staticRbacSource(objects) });
const erin: UserInfo = { user: 'erin', groups: ['readers', 'system:authenticated'] };

function route(path: string): ReviewRoute {
  const r = reviewRouteOf(path);
  if (!r) throw new Error(`not a review path: ${path}`);
  return r;
}

async function ask(path: string, body: unknown, caller: UserInfo | null = erin): Promise<Record<string, any>> {
  return JSON.parse(await serveReview(route(path), body, caller ?? undefined, caller ? authorizer : undefined)) as Record<string, any>;
}

const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const ds = (verb: string, namespace: string) => ({ spec: { resourceAttributes: { verb, group: 'apps', resource: 'daemonsets', namespace } } });

describe('access reviews', () => {
  it('routes only the review paths, each at its own scope', () => {
    expect(reviewRouteOf(SSAR)).toEqual({ group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview' });
    expect(reviewRouteOf('/apis/authorization.k8s.io/v1/namespaces/ops/localsubjectaccessreviews')?.namespace).toBe('ops');
    expect(reviewRouteOf('/apis/authorization.k8s.io/v1/namespaces/ops/selfsubjectaccessreviews')).toBeUndefined();
    expect(reviewRouteOf('/apis/authorization.k8s.io/v1/localsubjectaccessreviews')).toBeUndefined();
    expect(reviewRouteOf('/apis/authentication.k8s.io/v1/selfsubjectaccessreviews')).toBeUndefined();
    // kubectl 1.27 asks whoami in v1beta1, then v1alpha1.
    expect(reviewRouteOf('/apis/authentication.k8s.io/v1beta1/selfsubjectreviews')).toMatchObject({ version: 'v1beta1', kind: 'SelfSubjectReview' });
    expect(reviewRouteOf('/apis/authorization.k8s.io/v1beta1/selfsubjectaccessreviews')).toBeUndefined();
    expect(() => reviewRouteOf('/apis/authorization.k8s.io/v1/namespaces/%zz/localsubjectaccessreviews')).toThrow(/malformed path segment/);
  });

  it('SelfSubjectAccessReview answers for the caller, with the decision of the request authorizer', async () => {
    const yes = await ask(SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', ...ds('list', 'ops') });
    expect(yes).toMatchObject({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: ds('list', 'ops').spec, status: { allowed: true } });
    // upstream's RBAC reason: the binding, its role and the subject that matched
    expect(yes.status.reason).toMatch(/^RBAC: allowed by RoleBinding "readers\/ops" of (Cluster)?Role "[^"]+" to Group "readers"$/);
    expect((await ask(SSAR, ds('delete', 'ops'))).status).toEqual({ allowed: false });
    expect((await ask(SSAR, ds('list', 'default'))).status.allowed).toBe(false);
    expect((await ask(SSAR, { spec: { nonResourceAttributes: { verb: 'get', path: '/version' } } })).status.allowed).toBe(true);
    // The trusted in-process listener has no caller: everything is allowed.
    expect((await ask(SSAR, ds('delete', 'ops'), null)).status.allowed).toBe(true);
  });

  it('decodes the protobuf body kubectl 1.32 sends for `auth can-i create daemonsets -n kube-system`', () => {
    const body = Buffer.from(
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSSQoQCgASABoAIgAqADIAOABCABIrCikKC2t1YmUtc3lzdGVtEgZjcmVhdGUaACIAKgpkYWVtb25zZXRzMgA6ABoICAASABoAIAAaACIA',
      'base64',
    );
    expect(decodeProtobufObject(body, 'authorization.k8s.io/SelfSubjectAccessReview')).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'kube-system', verb: 'create', resource: 'daemonsets' } },
    });
  });

  it('rejects specs upstream rejects, with its field paths', async () => {
    await expect(serveReview(route(SSAR), { spec: {} }, erin, authorizer)).rejects.toMatchObject({ code: 422, reason: 'Invalid' });
    await expect(serveReview(route(SSAR), { spec: {} }, erin, authorizer)).rejects.toThrow(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    await expect(serveReview(route(SSAR), { spec: { resourceAttributes: {}, nonResourceAttributes: { path: '/x' } } }, erin, authorizer)).rejects.toThrow(
      'spec.nonResourceAttributes: Invalid value: {"path":"/x"}: cannot be specified in combination with resourceAttributes',
    );
    await expect(serveReview(route('/apis/authorization.k8s.io/v1/subjectaccessreviews'), ds('list', 'ops'), erin, authorizer)).rejects.toThrow(
      /spec\.user: Invalid value: "": at least one of user or group must be specified/,
    );
    await expect(serveReview(route(SSAR), { kind: 'SubjectAccessReview', ...ds('list', 'ops') }, erin, authorizer)).rejects.toMatchObject({ code: 400 });
    await expect(serveReview(route(SSAR), [], erin, authorizer)).rejects.toMatchObject({ code: 400 });
    // A field of the wrong JSON type is upstream's decoding error, before anything is decided.
    const sar = route('/apis/authorization.k8s.io/v1/subjectaccessreviews');
    await expect(serveReview(sar, { spec: { user: 'u', groups: 'system:masters', resourceAttributes: { verb: 'get', resource: 'pods' } } }, erin, authorizer)).rejects.toMatchObject({
      code: 400,
      message: 'SubjectAccessReview in version "v1" cannot be handled as a SubjectAccessReview: json: cannot unmarshal string into Go struct field SubjectAccessReviewSpec.spec.groups of type []string',
    });
    await expect(serveReview(route(SSAR), { spec: { nonResourceAttributes: { path: {} } } }, erin, authorizer)).rejects.toMatchObject({ code: 400 });
    await expect(serveReview(route('/apis/authentication.k8s.io/v1/tokenreviews'), { spec: { token: 't', audiences: 'x' } }, erin, authorizer)).rejects.toMatchObject({ code: 400 });
    const rules = route('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews');
    await expect(serveReview(rules, { spec: {} }, erin, authorizer)).rejects.toMatchObject({ code: 400, message: 'no namespace on request' });
  });

  it('SubjectAccessReview and LocalSubjectAccessReview answer for the user named in the spec', async () => {
    const sar = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    const as = (user: string, groups: string[], extra: Record<string, unknown> = ds('list', 'ops').spec) => ({ spec: { ...extra, user, groups } });
    expect((await ask(sar, as('frank', ['readers']))).status.allowed).toBe(true);
    expect((await ask(sar, as('frank', []))).status.allowed).toBe(false);
    const local = '/apis/authorization.k8s.io/v1/namespaces/ops/localsubjectaccessreviews';
    expect((await ask(local, as('frank', ['readers'], { resourceAttributes: { verb: 'get', group: 'apps', resource: 'daemonsets' } }))).status.allowed).toBe(true);
    await expect(serveReview(route(local), as('frank', ['readers'], ds('get', 'default').spec), erin, authorizer)).rejects.toThrow(/spec\.resourceAttributes\.namespace: Invalid value: "default": must match metadata\.namespace/);
  });

  it("a node's list of its pods is decided with the review's field selector (rawSelector or requirements)", async () => {
    const sar = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    const nodeAuthz = new Authorizer({ rbac: staticRbacSource(objects), nodeGraph: { podsOnNode: () => [] } });
    const asNode = async (fieldSelector?: Record<string, unknown>) =>
      JSON.parse(await serveReview(route(sar), { spec: { user: 'system:node:n1', groups: ['system:nodes'], resourceAttributes: { verb: 'list', resource: 'pods', ...(fieldSelector ? { fieldSelector } : {}) } } }, erin, nodeAuthz)) as Record<string, any>;
    expect((await asNode()).status.allowed).toBe(false);
    expect((await asNode({ rawSelector: 'spec.nodeName=n1' })).status.allowed).toBe(true);
    expect((await asNode({ rawSelector: 'spec.nodeName=n2' })).status.allowed).toBe(false);
    expect((await asNode({ requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }] })).status.allowed).toBe(true);
    expect((await asNode({ requirements: [{ key: 'spec.nodeName', operator: 'NotIn', values: ['n1'] }] })).status.allowed).toBe(false);
    // A value cannot add a requirement of its own; neither can a key.
    expect((await asNode({ requirements: [{ key: 'metadata.name', operator: 'In', values: ['foo,spec.nodeName=n1'] }] })).status.allowed).toBe(false);
    expect((await asNode({ requirements: [{ key: 'x=y,spec.nodeName', operator: 'In', values: ['n1'] }] })).status.allowed).toBe(false);
    // One requirement that cannot be expressed drops the whole selector (upstream's conversion).
    expect((await asNode({ requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }, { key: 'x', operator: 'Exists' }] })).status.allowed).toBe(false);
    // Both forms, or neither, are refused as upstream validates them.
    const refused = (fieldSelector: Record<string, unknown>) =>
      serveReview(route(sar), { spec: { user: 'system:node:n1', groups: ['system:nodes'], resourceAttributes: { verb: 'list', resource: 'pods', fieldSelector } } }, erin, nodeAuthz);
    await expect(refused({ rawSelector: 'spec.nodeName=n1', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] })).rejects.toThrow(
      'spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: "spec.nodeName=n1": may not specified at the same time as requirements',
    );
    await expect(refused({})).rejects.toThrow('spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required');
    await expect(refused({ requirements: [{ key: '', operator: 'In', values: [] }] })).rejects.toThrow(/requirements\[0\]\.values: Required value: must be specified when `operator` is 'In' or 'NotIn'.*requirements\[0\]\.key: Required value: must be specified/);
  });

  it('SelfSubjectRulesReview lists the rules of the namespace; a node\'s list is incomplete', async () => {
    const rules = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
    const r = await ask(rules, { spec: { namespace: 'ops' } });
    expect(r.status.incomplete).toBe(false);
    expect(r.status.resourceRules).toContainEqual({ verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['daemonsets'] });
    expect(r.status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(r.status.nonResourceRules.length).toBeGreaterThan(0);
    expect((await ask(rules, { spec: { namespace: 'default' } })).status.resourceRules).not.toContainEqual(expect.objectContaining({ resources: ['daemonsets'] }));
    const node = await ask(rules, { spec: { namespace: 'ops' } }, { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
    expect(node.status).toMatchObject({ incomplete: true, evaluationError: 'node authorizer does not support user rule resolution' });
  });

  it('SelfSubjectReview tells the caller who they are', async () => {
    const r = await ask('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { ...erin, uid: 'u-1' });
    expect(r).toEqual({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo: { username: 'erin', uid: 'u-1', groups: ['readers', 'system:authenticated'] } } });
  });
});
