// The schemas of the kinds served outside the KindRegistry (access reviews, metrics.k8s.io) and
// the OpenAPI v3 documents built from them: well-formed, every kind named by its group-version-
// kind, every field described, and operations for the served verbs only.

import { describe, expect, it } from 'vitest';
import { buildOpenAPIV3, definitionName, getDefinition, resolveSchema, schemaFor, type OpenAPIResource, type SchemaNode } from './index.js';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

const review = (group: string, kind: string, plural: string, namespaced = false): OpenAPIResource => ({ group, version: 'v1', kind, plural, namespaced, subresources: [], verbs: ['create'] });
const metrics = (kind: string, plural: string, namespaced: boolean): OpenAPIResource => ({ group: 'metrics.k8s.io', version: 'v1beta1', kind, plural, namespaced, subresources: [], verbs: ['get', 'list'] });

const documents: Array<[string, OpenAPIResource[]]> = [
  ['authorization.k8s.io/v1', [
    review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews'),
    review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
    review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
    review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  ]],
  ['authentication.k8s.io/v1', [review('authentication.k8s.io', 'TokenReview', 'tokenreviews'), review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews')]],
  ['metrics.k8s.io/v1beta1', [metrics('NodeMetrics', 'nodes', false), metrics('PodMetrics', 'pods', true)]],
];

function refsOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refsOf(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refsOf(x, out);
    }
  }
  return out;
}

/** Field paths (`spec.user`) of a kind's schema, following references, without metadata. */
function fieldPaths(n: SchemaNode, prefix = '', depth = 0): string[] {
  const node = resolveSchema(n);
  if (depth > 6) return [];
  if (node.kind === 'array') return fieldPaths(node.items, prefix, depth + 1);
  if (node.kind === 'map') return fieldPaths(node.values, prefix, depth + 1);
  if (node.kind !== 'object') return [];
  return Object.entries(node.properties).filter(([k]) => k !== 'metadata').flatMap(([k, v]) => [prefix + k, ...fieldPaths(v, `${prefix}${k}.`, depth + 1)]);
}

describe('schemas of the access reviews and the metrics API', () => {
  it('are named as upstream names them', () => {
    expect(definitionName({ group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview' })).toBe('io.k8s.api.authorization.v1.SubjectAccessReview');
    expect(definitionName({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview' })).toBe('io.k8s.api.authentication.v1.TokenReview');
    expect(definitionName({ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' })).toBe('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics');
    expect(definitionName({ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetricsList' })).toBe('io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetricsList');
    for (const version of ['v1beta1', 'v1alpha1']) {
      expect(getDefinition(definitionName({ group: 'authentication.k8s.io', version, kind: 'SelfSubjectReview' }))).toBeDefined();
    }
  });

  it('have upstream\'s fields', () => {
    const fields = (group: string, version: string, kind: string): string[] => fieldPaths(schemaFor({ group, version, kind })!);
    expect(fields('authorization.k8s.io', 'v1', 'SubjectAccessReview')).toEqual(expect.arrayContaining([
      'spec.resourceAttributes.namespace', 'spec.resourceAttributes.verb', 'spec.resourceAttributes.group', 'spec.resourceAttributes.version',
      'spec.resourceAttributes.resource', 'spec.resourceAttributes.subresource', 'spec.resourceAttributes.name',
      'spec.resourceAttributes.fieldSelector.requirements.operator', 'spec.resourceAttributes.labelSelector.rawSelector',
      'spec.nonResourceAttributes.path', 'spec.nonResourceAttributes.verb', 'spec.user', 'spec.groups', 'spec.extra', 'spec.uid',
      'status.allowed', 'status.denied', 'status.reason', 'status.evaluationError',
    ]));
    expect(fields('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview')).not.toContain('spec.user');
    expect(fields('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview')).toEqual(expect.arrayContaining([
      'spec.namespace', 'status.resourceRules.verbs', 'status.resourceRules.apiGroups', 'status.resourceRules.resources', 'status.resourceRules.resourceNames',
      'status.nonResourceRules.nonResourceURLs', 'status.incomplete', 'status.evaluationError',
    ]));
    expect(fields('authentication.k8s.io', 'v1', 'TokenReview')).toEqual(expect.arrayContaining([
      'spec.token', 'spec.audiences', 'status.authenticated', 'status.user.username', 'status.user.uid', 'status.user.groups', 'status.user.extra', 'status.audiences', 'status.error',
    ]));
    expect(fields('authentication.k8s.io', 'v1', 'SelfSubjectReview')).toEqual(['apiVersion', 'kind', 'status', 'status.userInfo', 'status.userInfo.username', 'status.userInfo.uid', 'status.userInfo.groups', 'status.userInfo.extra']);
    expect(fields('metrics.k8s.io', 'v1beta1', 'NodeMetrics')).toEqual(['apiVersion', 'kind', 'timestamp', 'window', 'usage']);
    expect(fields('metrics.k8s.io', 'v1beta1', 'PodMetrics')).toEqual(['apiVersion', 'kind', 'timestamp', 'window', 'containers', 'containers.name', 'containers.usage']);
  });

  for (const [gv, resources] of documents) {
    it(`make a well-formed OpenAPI v3 document for ${gv} with the served operations only`, () => {
      const doc = buildOpenAPIV3(gv, resources) as Doc;
      for (const ref of refsOf(doc)) expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
      for (const res of resources) {
        const name = definitionName(res);
        const s = doc.components.schemas[name];
        expect(s['x-kubernetes-group-version-kind'], name).toEqual([{ group: res.group, kind: res.kind, version: res.version }]);
        const root = `/apis/${res.group}/${res.version}`;
        const collection = res.namespaced ? `${root}/namespaces/{namespace}/${res.plural}` : `${root}/${res.plural}`;
        const ops = Object.entries(doc.paths)
          .filter(([p]) => p === collection || p === `${collection}/{name}` || p === `${root}/${res.plural}`)
          .flatMap(([p, item]) => Object.keys(item).filter((m) => m !== 'parameters').map((m) => `${m} ${p} ${item[m]['x-kubernetes-action']}`));
        if (res.verbs.includes('create')) {
          expect(ops).toEqual([`post ${collection} post`]);
          expect(doc.paths[collection]!.post['x-kubernetes-group-version-kind']).toEqual({ group: res.group, kind: res.kind, version: res.version });
        } else {
          expect(ops.sort()).toEqual([
            `get ${collection} list`, `get ${collection}/{name} get`, ...(res.namespaced ? [`get ${root}/${res.plural} list`] : []),
          ].sort());
          expect(doc.components.schemas[name + 'List']['x-kubernetes-group-version-kind']).toEqual([{ group: res.group, kind: res.kind + 'List', version: res.version }]);
        }
      }
      // Every definition of the group, and every one of its fields, has a description of ours.
      const prefix = definitionName(resources[0]!).replace(/[^.]+$/, '');
      for (const [name, s] of Object.entries(doc.components.schemas)) {
        if (!name.startsWith(prefix)) continue;
        expect(s.description, name).toBeTruthy();
        for (const [field, p] of Object.entries((s.properties ?? {}) as Record<string, { description?: string }>)) expect(p.description, `${name}.${field}`).toBeTruthy();
      }
    });
  }
});
