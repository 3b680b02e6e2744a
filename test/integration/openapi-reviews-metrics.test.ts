// OpenAPI of the kinds served by their own handlers rather than the KindRegistry: the access
// reviews (authorization.k8s.io/v1, authentication.k8s.io/v1) and the resource metrics
// (metrics.k8s.io/v1beta1). A real server over HTTPS, and the real kubectl when it is on PATH.
// Shown: /openapi/v3 lists their group/versions; each document has the kinds' schemas (with their
// group-version-kind) and operations for exactly the verbs discovery lists; /openapi/v2 has their
// definitions; `kubectl explain` renders every kind and a nested field of each.

import { describe, expect, it } from 'vitest';
import { apiCaller, Cleanup, kubectlAvailable, makeTempDir, runKubectl, useTestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup);
const call = apiCaller(() => server.url);

type Doc = { paths: Record<string, Record<string, { operationId?: string; 'x-kubernetes-action'?: string }>>; components: { schemas: Record<string, { properties?: Record<string, unknown>; 'x-kubernetes-group-version-kind'?: unknown }> } };

const AUTHZ = 'io.k8s.api.authorization.v1.';
const AUTHN = 'io.k8s.api.authentication.v1.';
const METRICS = 'io.k8s.metrics.pkg.apis.metrics.v1beta1.';

/** Per group/version: kind -> [definition, plural, namespaced, verbs]. */
const served: Record<string, { group: string; version: string; kinds: Array<[kind: string, def: string, plural: string, namespaced: boolean, verbs: string[]]> }> = {
  'apis/authorization.k8s.io/v1': {
    group: 'authorization.k8s.io', version: 'v1', kinds: [
      ['SubjectAccessReview', AUTHZ + 'SubjectAccessReview', 'subjectaccessreviews', false, ['create']],
      ['SelfSubjectAccessReview', AUTHZ + 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, ['create']],
      ['LocalSubjectAccessReview', AUTHZ + 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, ['create']],
      ['SelfSubjectRulesReview', AUTHZ + 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, ['create']],
    ],
  },
  'apis/authentication.k8s.io/v1': {
    group: 'authentication.k8s.io', version: 'v1', kinds: [
      ['TokenReview', AUTHN + 'TokenReview', 'tokenreviews', false, ['create']],
      ['SelfSubjectReview', AUTHN + 'SelfSubjectReview', 'selfsubjectreviews', false, ['create']],
    ],
  },
  'apis/metrics.k8s.io/v1beta1': {
    group: 'metrics.k8s.io', version: 'v1beta1', kinds: [
      ['NodeMetrics', METRICS + 'NodeMetrics', 'nodes', false, ['get', 'list']],
      ['PodMetrics', METRICS + 'PodMetrics', 'pods', true, ['get', 'list']],
    ],
  },
};

/** The HTTP methods of the operations each verb set documents. */
const methodsOf = (verbs: string[]): string[] => [...new Set(verbs.map((v) => (v === 'create' ? 'post' : 'get')))].sort();

describe('OpenAPI of the access reviews and the metrics API', () => {
  it('/openapi/v3 lists their group/versions, with documents of their kinds and served operations only', async () => {
    const index = (await call('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };
    for (const [path, gv] of Object.entries(served)) {
      expect(index.paths[path], path).toBeDefined();
      const url = index.paths[path]!.serverRelativeURL;
      expect(url).toMatch(new RegExp(`^/openapi/v3/${path.replace(/\./g, '\\.')}\\?hash=[0-9A-F]+$`));
      const res = await call('GET', url);
      expect(res.status, url).toBe(200);
      const doc = res.body as Doc;
      const root = `/apis/${gv.group}/${gv.version}`;
      for (const [kind, def, plural, namespaced, verbs] of gv.kinds) {
        expect(doc.components.schemas[def]?.['x-kubernetes-group-version-kind'], def).toEqual([{ group: gv.group, kind, version: gv.version }]);
        // The operations of this resource: on its collection and item paths, and (namespaced lists) across namespaces.
        const mine = Object.entries(doc.paths).filter(([p]) => new RegExp(`^${root}(/namespaces/\\{namespace\\})?/${plural}(/\\{name\\})?$`).test(p));
        const methods = [...new Set(mine.flatMap(([, item]) => Object.keys(item).filter((m) => m !== 'parameters')))].sort();
        expect(methods, kind).toEqual(methodsOf(verbs));
        const collection = namespaced ? `${root}/namespaces/{namespace}/${plural}` : `${root}/${plural}`;
        expect(doc.paths[collection], collection).toBeDefined();
        if (verbs.includes('get')) {
          expect(doc.paths[`${collection}/{name}`]?.get?.['x-kubernetes-action']).toBe('get');
          expect(doc.paths[collection]!.get?.['x-kubernetes-action']).toBe('list');
          expect(doc.components.schemas[def + 'List']?.['x-kubernetes-group-version-kind']).toEqual([{ group: gv.group, kind: kind + 'List', version: gv.version }]);
        } else {
          expect(doc.paths[collection]!.post?.['x-kubernetes-action']).toBe('post');
          expect(doc.paths[`${collection}/{name}`]).toBeUndefined();
        }
      }
      // Nothing of the other groups' kinds.
      expect(Object.keys(doc.paths).every((p) => p.startsWith(root + '/')), path).toBe(true);
    }
    expect(Object.keys((await call('GET', '/openapi/v3/apis/metrics.k8s.io/v1beta1')).body.paths)).toContain('/apis/metrics.k8s.io/v1beta1/pods');
  });

  it('/openapi/v2 has their definitions and paths', async () => {
    const v2 = (await call('GET', '/openapi/v2', undefined, 'application/json', { accept: 'application/json' })).body as { paths: Record<string, unknown>; definitions: Record<string, { properties?: Record<string, unknown> }> };
    for (const gv of Object.values(served)) {
      for (const [, def] of gv.kinds) expect(v2.definitions[def], def).toBeDefined();
    }
    expect(v2.definitions[AUTHZ + 'ResourceAttributes']!.properties).toHaveProperty('subresource');
    expect(v2.definitions[METRICS + 'ContainerMetrics']!.properties).toHaveProperty('usage');
    expect(v2.paths).toHaveProperty(['/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews']);
    expect(v2.paths).toHaveProperty(['/apis/metrics.k8s.io/v1beta1/nodes/{name}']);
  });

  describe.skipIf(!kubectlAvailable())('kubectl explain', () => {
    const target = (): { kubeconfig: string; cacheDir: string } => ({ kubeconfig: server.ts.server.kubeconfigPath, cacheDir: makeTempDir(cleanup, 'openapi-explain') });

    const cases: Array<[resource: string, kind: string, groupVersion: string, field: string, fieldShows: RegExp]> = [
      ['subjectaccessreview', 'SubjectAccessReview', 'authorization.k8s.io/v1', 'spec.resourceAttributes', /FIELD: resourceAttributes <ResourceAttributes>[\s\S]*labelSelector\s+<LabelSelectorAttributes>[\s\S]*subresource\s+<string>/],
      ['selfsubjectaccessreview', 'SelfSubjectAccessReview', 'authorization.k8s.io/v1', 'spec.nonResourceAttributes', /FIELD: nonResourceAttributes <NonResourceAttributes>[\s\S]*path\s+<string>/],
      ['localsubjectaccessreview', 'LocalSubjectAccessReview', 'authorization.k8s.io/v1', 'spec.groups', /FIELD: groups <\[\]string>/],
      ['selfsubjectrulesreview', 'SelfSubjectRulesReview', 'authorization.k8s.io/v1', 'status.resourceRules', /FIELD: resourceRules <\[\]ResourceRule>[\s\S]*verbs\s+<\[\]string> -required-/],
      ['tokenreview', 'TokenReview', 'authentication.k8s.io/v1', 'status.user', /FIELD: user <UserInfo>[\s\S]*username\s+<string>/],
      ['selfsubjectreview', 'SelfSubjectReview', 'authentication.k8s.io/v1', 'status.userInfo.extra', /FIELD: extra <map\[string\]\[\]string>/],
      ['nodemetrics', 'NodeMetrics', 'metrics.k8s.io/v1beta1', 'usage', /FIELD: usage <map\[string\]Quantity>/],
      ['podmetrics', 'PodMetrics', 'metrics.k8s.io/v1beta1', 'containers.usage', /FIELD: usage <map\[string\]Quantity>/],
    ];

    it.each(cases)('%s and a nested field', async (resource, kind, groupVersion, field, fieldShows) => {
      const t = target();
      const top = await runKubectl(t, ['explain', resource]);
      expect(top.stderr).toBe('');
      expect(top.code).toBe(0);
      const group = groupVersion.split('/')[0];
      expect(top.stdout).toMatch(new RegExp(`^GROUP:\\s+${group!.replace(/\./g, '\\.')}$`, 'm'));
      expect(top.stdout).toMatch(new RegExp(`^KIND:\\s+${kind}$`, 'm'));
      expect(top.stdout).toMatch(new RegExp(`^VERSION:\\s+${groupVersion.split('/')[1]}$`, 'm'));
      expect(top.stdout).toMatch(/^FIELDS:$/m);
      const nested = await runKubectl(t, ['explain', `${resource}.${field}`]);
      expect(nested.stderr).toBe('');
      expect(nested.code).toBe(0);
      expect(nested.stdout).toMatch(fieldShows);
    });
  });
});
