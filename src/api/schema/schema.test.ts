import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiError } from '../errors.js';
import { formatQuantity, parseQuantity } from '../validation/quantity.js';
import {
  buildOpenAPIV3, decodeObject, definitionName, resolveSchema, schemaFor,
  type GroupVersionKind, type OpenAPIResource, type SchemaNode,
} from './index.js';

const MANIFESTS = '/work/shared/manifests/real-world';
const DS: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'DaemonSet' };

function gvkOf(doc: Record<string, unknown>): GroupVersionKind {
  const apiVersion = String(doc.apiVersion);
  const slash = apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind: String(doc.kind),
  };
}

function daemonSet(podSpec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'x', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }], ...podSpec },
      },
      ...extra,
    },
  };
}

function decodeError(gvk: GroupVersionKind, body: unknown, mode: 'Strict' | 'Warn' | 'Ignore' = 'Strict'): ApiError {
  try {
    decodeObject(gvk, body, mode);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected decodeObject to throw');
}

/** Get a nested property of a (resolved) object schema by dotted path; '[]' steps into items. */
function schemaAt(root: SchemaNode, path: string): SchemaNode {
  let n = resolveSchema(root);
  for (const step of path.split('.')) {
    if (step === '[]') {
      if (n.kind !== 'array') throw new Error(`not an array at ${step}`);
      n = resolveSchema(n.items);
      continue;
    }
    if (n.kind !== 'object') throw new Error(`not an object at ${step}`);
    const next = n.properties[step];
    if (!next) throw new Error(`no property ${step}`);
    n = next.kind === 'array' ? next : resolveSchema(next);
  }
  return n;
}

/** `v` as the server keeps it: null-valued fields dropped, resource quantities in canonical form (`1000m` → `1`). */
function withoutNullFields(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutNullFields(x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    const quantities = key === 'limits' || key === 'requests';
    for (const [k, x] of Object.entries(v)) {
      if (x === null) continue;
      out[k] = quantities && (typeof x === 'string' || typeof x === 'number') ? formatQuantity(parseQuantity(x)!) : withoutNullFields(x, k);
    }
    return out;
  }
  return v;
}

describe('real-world manifests', () => {
  const files = readdirSync(MANIFESTS).filter((f) => f.endsWith('.yaml')).sort();
  it('finds the manifest files', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });
  for (const file of files) {
    it(`decodes every served document of ${file} strictly, without warnings`, () => {
      const docs = parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'));
      let served = 0;
      for (const d of docs) {
        expect(d.errors).toEqual([]);
        const body = d.toJS() as Record<string, unknown> | null;
        if (!body) continue;
        const gvk = gvkOf(body);
        if (!schemaFor(gvk)) continue;
        served++;
        const warn = decodeObject(gvk, body, 'Warn');
        expect(warn.warnings, `${file} ${gvk.kind} ${JSON.stringify((body.metadata as { name?: string }).name)}`).toEqual([]);
        expect(() => decodeObject(gvk, body, 'Strict')).not.toThrow();
        // Nothing but null-valued fields may be dropped: the schemas know every field used.
        expect(warn.object).toEqual(withoutNullFields(body));
      }
      expect(served).toBeGreaterThan(0);
    });
  }

  it('keeps every field of a real DaemonSet (nothing pruned)', () => {
    const docs = parseAllDocuments(readFileSync(join(MANIFESTS, 'kube-prometheus-node-exporter.yaml'), 'utf8'));
    const body = docs.map((d) => d.toJS() as Record<string, unknown>).find((b) => b?.kind === 'DaemonSet')!;
    const { object } = decodeObject(DS, body, 'Strict');
    expect(object).toEqual(body);
  });
});

describe('type errors', () => {
  it('rejects a boolean label value (YAML "y") with upstream wording', () => {
    const body = daemonSet();
    ((body.spec as any).template.metadata.labels as Record<string, unknown>).app = true;
    const e = decodeError(DS, body);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe(
      'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal bool into Go struct field ObjectMeta.spec.template.metadata.labels of type string',
    );
  });

  it('names the innermost struct and the path without indices', () => {
    const body = daemonSet({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '80' }] }] });
    expect(decodeError(DS, body).message).toMatch(
      /: json: cannot unmarshal string into Go struct field ContainerPort\.spec\.template\.spec\.containers\.ports\.containerPort of type int32$/,
    );
  });

  it('reports a struct given as a scalar at the top level', () => {
    expect(decodeError(DS, { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: 'x' }).message).toBe(
      'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go struct field DaemonSet.spec of type v1.DaemonSetSpec',
    );
  });

  it('reports list and element types', () => {
    expect(decodeError(DS, daemonSet({ containers: { name: 'c' } })).message).toMatch(
      /Go struct field PodSpec\.spec\.template\.spec\.containers of type \[\]v1\.Container$/,
    );
    expect(decodeError(DS, daemonSet({ containers: [{ name: 'c', command: ['sh', 1] }] })).message).toMatch(
      /cannot unmarshal number into Go struct field Container\.spec\.template\.spec\.containers\.command of type string$/,
    );
    expect(decodeError(DS, daemonSet({ hostNetwork: 'true' })).message).toMatch(
      /cannot unmarshal string into Go struct field PodSpec\.spec\.template\.spec\.hostNetwork of type bool$/,
    );
    expect(decodeError(DS, daemonSet({ nodeSelector: ['a'] })).message).toMatch(
      /cannot unmarshal array into Go struct field PodSpec\.spec\.template\.spec\.nodeSelector of type map\[string\]string$/,
    );
  });

  it('rejects non-integers and out-of-range int32 values', () => {
    expect(decodeError(DS, daemonSet({ terminationGracePeriodSeconds: 1.5 })).message).toMatch(
      /cannot unmarshal number 1\.5 into Go struct field PodSpec\.spec\.template\.spec\.terminationGracePeriodSeconds of type int64$/,
    );
    expect(decodeError(DS, daemonSet({}, { minReadySeconds: 3000000000 })).message).toMatch(
      /cannot unmarshal number 3000000000 into Go struct field DaemonSetSpec\.spec\.minReadySeconds of type int32$/,
    );
  });

  it('checks deep fields: probes, affinity, security context, volumes', () => {
    const probe = daemonSet({ containers: [{ name: 'c', livenessProbe: { grpc: { port: 'x' } } }] });
    expect(decodeError(DS, probe).message).toMatch(/Go struct field GRPCAction\.spec\.template\.spec\.containers\.livenessProbe\.grpc\.port of type int32$/);
    const aff = daemonSet({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: [1] }] }] } } } });
    expect(decodeError(DS, aff).message).toMatch(
      /Go struct field NodeSelectorRequirement\.spec\.template\.spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\.matchExpressions\.values of type string$/,
    );
    const sc = daemonSet({ securityContext: { sysctls: [{ name: 'a', value: 1 }] } });
    expect(decodeError(DS, sc).message).toMatch(/Go struct field Sysctl\.spec\.template\.spec\.securityContext\.sysctls\.value of type string$/);
    const vol = daemonSet({ volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: '3600' } }] } }] });
    expect(decodeError(DS, vol).message).toMatch(/Go struct field ServiceAccountTokenProjection\.spec\.template\.spec\.volumes\.projected\.sources\.serviceAccountToken\.expirationSeconds of type int64$/);
  });

  it('uses the custom unmarshalers\' wording for Quantity, IntOrString and Time', () => {
    const q = daemonSet({ containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] });
    expect(decodeError(DS, q).message).toBe(
      "DaemonSet in version \"v1\" cannot be handled as a DaemonSet: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    const s = daemonSet({ containers: [{ name: 'c', resources: { requests: { memory: '1Mk' } } }] });
    expect(decodeError(DS, s).message).toMatch(/unable to parse quantity's suffix$/);
    const ios = daemonSet({}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: true } } });
    expect(decodeError(DS, ios).message).toMatch(/: json: cannot unmarshal bool into Go value of type int32$/);
    const t = { ...daemonSet(), metadata: { name: 'x', creationTimestamp: 'yesterday' } };
    expect(decodeError(DS, t).message).toMatch(/: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00"/);
  });

  it('checks base64 of Secret data and binaryData', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'aGVsbG8=', b: 'not base64!' } };
    expect(decodeError({ group: '', version: 'v1', kind: 'Secret' }, secret).message).toBe(
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
    const ok = { ...secret, data: { a: 'aGVsbG8=' } };
    expect(decodeObject({ group: '', version: 'v1', kind: 'Secret' }, ok, 'Strict').object.data).toEqual({ a: 'aGVsbG8=' });
  });

  it('rejects a body that is not an object', () => {
    expect(decodeError(DS, [1, 2]).message).toMatch(/json: cannot unmarshal array into Go value of type v1\.DaemonSet$/);
  });

  it('reports a type error before unknown fields', () => {
    const body = daemonSet({ hostPID: 'yes', bogus: 1 });
    expect(decodeError(DS, body).message).toMatch(/hostPID of type bool$/);
  });
});

describe('trusted subtrees (already decoded)', () => {
  it('are kept as they are, uncopied, while the rest is decoded', () => {
    const body = daemonSet({ containers: [{ name: 'c', image: 'i', imagePullPolcy: 'Always' }] });
    const template = (body.spec as Record<string, unknown>).template as object;
    const metadata = body.metadata as object;
    const { object, warnings } = decodeObject(DS, body, 'Warn', new Set([metadata]));
    expect(object.metadata).toBe(metadata);
    // Not trusted: decoded, copied and pruned.
    expect((object.spec as Record<string, unknown>).template).not.toBe(template);
    expect(warnings).toEqual(['unknown field "spec.template.spec.containers[0].imagePullPolcy"']);
  });

  it('skip the checks the rest still gets', () => {
    const spec = { selector: { matchLabels: { app: 'x' } }, template: {}, bogus: true };
    const body = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' }, spec };
    expect(decodeObject(DS, body, 'Strict', new Set([spec])).object.spec).toBe(spec);
    const bad = { ...body, metadata: { name: 'x', labels: { a: 1 } } };
    expect(() => decodeObject(DS, bad, 'Strict', new Set([spec]))).toThrow(/Go struct field ObjectMeta\.metadata\.labels of type string/);
  });
});

describe('unknown fields: Strict, Warn, Ignore', () => {
  const body = () => {
    const b = daemonSet({ containers: [{ name: 'c', image: 'i', imagePullPolcy: 'Always' }] }, { foo: 1, bar: { x: 1 } });
    (b as any).status2 = 'x';
    return b;
  };

  it('Strict lists every unknown field with its path', () => {
    expect(decodeError(DS, body(), 'Strict').message).toBe(
      'DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolcy", unknown field "spec.foo", unknown field "spec.bar", unknown field "status2"',
    );
  });

  it('Strict accepts upstream field names only (case-sensitive)', () => {
    expect(decodeError(DS, daemonSet({ containers: [{ name: 'c', Image: 'i' }] })).message).toMatch(
      /strict decoding error: unknown field "spec.template.spec.containers\[0\].Image"$/,
    );
  });

  it('Warn returns warnings and prunes', () => {
    const { object, warnings } = decodeObject(DS, body(), 'Warn');
    expect(warnings).toEqual([
      'unknown field "spec.template.spec.containers[0].imagePullPolcy"',
      'unknown field "spec.foo"',
      'unknown field "spec.bar"',
      'unknown field "status2"',
    ]);
    expect((object.spec as any).foo).toBeUndefined();
    expect((object.spec as any).bar).toBeUndefined();
    expect((object as any).status2).toBeUndefined();
    expect((object.spec as any).template.spec.containers[0]).toEqual({ name: 'c', image: 'i' });
  });

  it('Ignore prunes silently', () => {
    const { object, warnings } = decodeObject(DS, body(), 'Ignore');
    expect(warnings).toEqual([]);
    expect((object.spec as any).foo).toBeUndefined();
    expect((object.spec as any).template.spec.containers[0].imagePullPolcy).toBeUndefined();
  });

  it('returns a new object and leaves the input untouched', () => {
    const b = body();
    const copy = structuredClone(b);
    const { object } = decodeObject(DS, b, 'Ignore');
    expect(b).toEqual(copy);
    expect(object).not.toBe(b);
  });

  it('keeps RawExtension content as given (ControllerRevision data)', () => {
    const cr = {
      apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 2,
      data: { spec: { template: { $patch: 'replace', spec: { anything: [1, { x: null }] } } } },
    };
    const { object, warnings } = decodeObject({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, cr, 'Warn');
    expect(warnings).toEqual([]);
    expect(object).toEqual(cr);
  });
});

describe('values', () => {
  it('treats null as absent and null list elements as zero values', () => {
    const body = daemonSet({ tolerations: null, containers: [{ name: 'c', securityContext: null, args: ['a', null] }] });
    (body.metadata as any).labels = { a: null, b: 'x' };
    const { object } = decodeObject(DS, body, 'Strict');
    const spec = (object.spec as any).template.spec;
    expect('tolerations' in spec).toBe(false);
    expect(spec.containers[0]).toEqual({ name: 'c', args: ['a', ''] });
    expect(object.metadata.labels).toEqual({ a: '', b: 'x' });
  });

  it('accepts int-or-string as a number or a string', () => {
    for (const v of [1, '10%', 0]) {
      const body = daemonSet({ containers: [{ name: 'c', livenessProbe: { httpGet: { port: v === '10%' ? 'http' : 8080 } } }] }, {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: v } },
      });
      const { object } = decodeObject(DS, body, 'Strict');
      expect((object.spec as any).updateStrategy.rollingUpdate.maxUnavailable).toBe(v);
    }
    expect(decodeError(DS, daemonSet({}, { updateStrategy: { rollingUpdate: { maxSurge: 1.5 } } })).message).toMatch(
      /cannot unmarshal number 1\.5 into Go value of type int32$/,
    );
  });

  it('accepts quantities as strings and numbers', () => {
    const body = daemonSet({ containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '128Mi' }, requests: { cpu: '100m', memory: 1.5e9, 'example.com/gpu': '2' } } }] });
    const { object } = decodeObject(DS, body, 'Strict');
    const res = (object.spec as any).template.spec.containers[0].resources;
    expect(res.limits).toEqual({ cpu: '1', memory: '128Mi' });
    // Stored and served in canonical form, as upstream's Quantity marshals it.
    expect(res.requests).toEqual({ cpu: '100m', memory: '1500M', 'example.com/gpu': '2' });
    const canonical = (q: unknown) => ((decodeObject(DS, daemonSet({ overhead: { cpu: q } }), 'Strict').object.spec as any).template.spec.overhead.cpu as string);
    expect(['0.5', '1000m', '1024Mi', '1536Mi', '1.5', '2000', '12e2', '1e3', '0.0000000001', '0.5Ki', 0.25].map(canonical)).toEqual(['500m', '1', '1Gi', '1536Mi', '1500m', '2k', '1200', '1e3', '1n', '512', '250m']);
    for (const ok of ['0.5', '1e3', '1E3', '-1', '+1', '.5', '5.', '2Gi', '10k', '7n']) {
      expect(() => decodeObject(DS, daemonSet({ overhead: { cpu: ok } }), 'Strict'), ok).not.toThrow();
    }
    for (const bad of ['', 'abc', '1 Gi', '1..2', '1Gib']) {
      expect(() => decodeObject(DS, daemonSet({ overhead: { cpu: bad } }), 'Strict'), bad).toThrow(ApiError);
    }
  });

  it('does not check apiVersion and kind', () => {
    const body = { ...daemonSet(), apiVersion: 'whatever/v9', kind: 'Nope' };
    const { object } = decodeObject(DS, body, 'Strict');
    expect(object.apiVersion).toBe('whatever/v9');
    expect(object.kind).toBe('Nope');
  });

  it('adds empty metadata when absent', () => {
    expect(decodeObject(DS, { spec: {} }, 'Strict').object.metadata).toEqual({});
  });

  it('decodes DeleteOptions and Status', () => {
    const opts = decodeObject({ group: '', version: 'v1', kind: 'DeleteOptions' }, { dryRun: ['All'], propagationPolicy: 'Foreground', gracePeriodSeconds: 0 }, 'Strict');
    expect(opts.object).toEqual({ dryRun: ['All'], propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
    expect(() => decodeObject({ group: '', version: 'v1', kind: 'DeleteOptions' }, { dryRun: 'All' }, 'Strict')).toThrow(/of type \[\]string$/);
  });
});

describe('schemas of every served kind', () => {
  const kinds: Array<[string, string]> = [
    ['', 'Namespace'], ['', 'Node'], ['', 'Pod'], ['', 'Event'], ['', 'Service'], ['', 'Endpoints'], ['', 'ConfigMap'], ['', 'Secret'],
    ['', 'ServiceAccount'], ['apps', 'DaemonSet'], ['apps', 'ControllerRevision'], ['coordination.k8s.io', 'Lease'],
    ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding'], ['rbac.authorization.k8s.io', 'ClusterRole'],
    ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['scheduling.k8s.io', 'PriorityClass'], ['apps', 'Deployment'], ['apps', 'ReplicaSet'], ['', 'ReplicationController'],
    ['policy', 'PodDisruptionBudget'], ['storage.k8s.io', 'CSIDriver'], ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
    ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'], ['apiextensions.k8s.io', 'CustomResourceDefinition'],
    ['storage.k8s.io', 'StorageClass'], ['storage.k8s.io', 'CSINode'], ['networking.k8s.io', 'NetworkPolicy'], ['networking.k8s.io', 'Ingress'], ['networking.k8s.io', 'IngressClass'],
    ['node.k8s.io', 'RuntimeClass'], ['', 'LimitRange'], ['', 'ResourceQuota'],
  ];
  it('has an object schema for each kind and its list kind', () => {
    for (const [group, kind] of kinds) {
      for (const k of [kind, kind + 'List']) {
        const s = schemaFor({ group, version: 'v1', kind: k });
        expect(s?.kind, k).toBe('object');
        if (s?.kind === 'object') expect(s.properties.metadata, k).toBeDefined();
      }
    }
    expect(schemaFor({ group: 'apps', version: 'v1', kind: 'StatefulSet' })).toBeUndefined();
  });

  it('names definitions like upstream', () => {
    expect(definitionName(DS)).toBe('io.k8s.api.apps.v1.DaemonSet');
    expect(definitionName({ group: '', version: 'v1', kind: 'Pod' })).toBe('io.k8s.api.core.v1.Pod');
    expect(definitionName({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' })).toBe('io.k8s.api.rbac.v1.Role');
    expect(definitionName({ group: '', version: 'v1', kind: 'Status' })).toBe('io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    expect(definitionName({ group: 'crd.projectcalico.org', version: 'v1', kind: 'BGPPeer' })).toBe('org.projectcalico.crd.v1.BGPPeer');
  });

  it('carries the strategic-merge metadata the patch module needs', () => {
    const pod = schemaFor({ group: '', version: 'v1', kind: 'Pod' })!;
    const expectList = (root: SchemaNode, path: string, key: string | undefined, strategy?: string) => {
      const n = schemaAt(root, path);
      expect(n.kind, path).toBe('array');
      if (n.kind !== 'array') return;
      expect(n.patchMergeKey, path).toBe(key);
      expect(n.patchStrategy, path).toBe(strategy);
    };
    expectList(pod, 'spec.containers', 'name', 'merge');
    expectList(pod, 'spec.initContainers', 'name', 'merge');
    expectList(pod, 'spec.ephemeralContainers', 'name', 'merge');
    expectList(pod, 'spec.volumes', 'name', 'merge,retainKeys');
    expectList(pod, 'spec.imagePullSecrets', 'name', 'merge');
    expectList(pod, 'spec.hostAliases', 'ip', 'merge');
    expectList(pod, 'spec.containers.[].env', 'name', 'merge');
    expectList(pod, 'spec.containers.[].ports', 'containerPort', 'merge');
    expectList(pod, 'spec.containers.[].volumeMounts', 'mountPath', 'merge');
    expectList(pod, 'spec.containers.[].volumeDevices', 'devicePath', 'merge');
    expectList(pod, 'spec.tolerations', undefined);
    expectList(pod, 'spec.containers.[].args', undefined);
    expectList(pod, 'spec.containers.[].envFrom', undefined);
    expectList(pod, 'status.conditions', 'type', 'merge');
    expectList(pod, 'metadata.ownerReferences', 'uid', 'merge');
    expectList(pod, 'metadata.finalizers', undefined, 'merge');
    const node = schemaFor({ group: '', version: 'v1', kind: 'Node' })!;
    expectList(node, 'spec.taints', undefined);
    const taints = schemaAt(node, 'spec.taints');
    expect(taints.kind === 'array' && taints.listType).toBe('atomic');
    const ports = schemaAt(pod, 'spec.containers.[].ports');
    expect(ports.kind === 'array' && ports.listMapKeys).toEqual(['containerPort', 'protocol']);
  });

  it('covers the whole PodSpec', () => {
    const spec = schemaAt(schemaFor({ group: '', version: 'v1', kind: 'Pod' })!, 'spec');
    expect(spec.kind).toBe('object');
    if (spec.kind !== 'object') return;
    for (const f of ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
      'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken',
      'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname',
      'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig',
      'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints',
      'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources']) {
      expect(spec.properties[f], f).toBeDefined();
      expect(spec.properties[f]!.description, f).toBeTruthy();
    }
    const volume = schemaAt(spec, 'volumes.[]');
    expect(volume.kind === 'object' && Object.keys(volume.properties).length).toBeGreaterThanOrEqual(31);
  });
});

describe('OpenAPI v3', () => {
  const appsResources: OpenAPIResource[] = [
    { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, subresources: ['status'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
    { group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true, subresources: [], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
  ];
  const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const coreResources: OpenAPIResource[] = [
    ['Namespace', 'namespaces', false, ['status']], ['Node', 'nodes', false, ['status']], ['Pod', 'pods', true, ['status', 'log', 'binding', 'eviction']],
    ['Event', 'events', true, []], ['Service', 'services', true, ['status']], ['Endpoints', 'endpoints', true, []],
    ['ConfigMap', 'configmaps', true, []], ['Secret', 'secrets', true, []], ['ServiceAccount', 'serviceaccounts', true, []],
  ].map(([kind, plural, namespaced, subresources]) => ({
    group: '', version: 'v1', kind: kind as string, plural: plural as string, namespaced: namespaced as boolean, subresources: subresources as string[], verbs: allVerbs,
  }));

  type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

  function collectRefs(v: unknown, out: string[]): void {
    if (Array.isArray(v)) v.forEach((x) => collectRefs(x, out));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') out.push(x);
        else collectRefs(x, out);
      }
    }
  }

  for (const [gv, resources] of [['apps/v1', appsResources], ['v1', coreResources]] as const) {
    it(`builds a well-formed document for ${gv}`, () => {
      const doc = buildOpenAPIV3(gv, resources) as Doc;
      expect(doc.openapi).toBe('3.0.0');
      expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
      let patches = 0;
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
          const op = item[method];
          if (!op) continue;
          expect(typeof op.operationId, path).toBe('string');
          if (method === 'patch') {
            patches++;
            const gvk = op['x-kubernetes-group-version-kind'];
            expect(Array.isArray(gvk), path).toBe(false);
            expect(gvk, path).toMatchObject({ version: 'v1' });
            const names = (op.parameters as Array<{ name: string }>).map((p) => p.name);
            expect(names, path).toEqual(expect.arrayContaining(['fieldValidation', 'fieldManager', 'dryRun']));
          }
          if (method === 'post' && op['x-kubernetes-group-version-kind']) {
            expect((op.parameters as Array<{ name: string }>).map((p) => p.name)).toContain('fieldValidation');
          }
        }
      }
      expect(patches).toBeGreaterThanOrEqual(resources.length);
      const refs: string[] = [];
      collectRefs(doc, refs);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
        expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
      }
      for (const res of resources) {
        const s = doc.components.schemas[definitionName(res)];
        expect(s['x-kubernetes-group-version-kind']).toEqual([{ group: res.group, kind: res.kind, version: 'v1' }]);
        expect(s.description).toBeTruthy();
      }
    });
  }

  it('finds the DaemonSet PATCH the way kubectl does', () => {
    const doc = buildOpenAPIV3('apps/v1', appsResources) as Doc;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}']!.patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'DaemonSet', version: 'v1' });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters.find((p: { name: string }) => p.name === 'fieldValidation')).toMatchObject({ in: 'query' });
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/status']!.patch.operationId).toBe('patchAppsV1NamespacedDaemonSetStatus');
    expect(doc.paths['/apis/apps/v1/daemonsets']!.get.operationId).toBe('listAppsV1DaemonSetForAllNamespaces');
    // Struct-level patch strategies beside the $ref, as upstream (kubectl 1.29+ read them).
    const withDeployments = buildOpenAPIV3('apps/v1', [...appsResources, { ...appsResources[0]!, kind: 'Deployment', plural: 'deployments' }]) as Doc;
    expect(withDeployments.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toMatchObject({ 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(doc.components.schemas['io.k8s.api.apps.v1.DaemonSetSpec'].properties.updateStrategy['x-kubernetes-patch-strategy']).toBeUndefined();
  });

  it('renders refs, maps, lists and extensions', () => {
    const doc = buildOpenAPIV3('v1', coreResources) as Doc;
    const s = doc.components.schemas;
    const podSpec = s['io.k8s.api.core.v1.PodSpec'];
    expect(podSpec.required).toEqual(['containers']);
    expect(podSpec.properties.containers).toMatchObject({
      type: 'array',
      items: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] },
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(podSpec.properties.nodeSelector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' });
    expect(podSpec.properties.affinity.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.core.v1.Affinity' }]);
    expect(s['io.k8s.api.core.v1.NodeSpec'].properties.taints['x-kubernetes-patch-merge-key']).toBeUndefined();
    expect(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toEqual({ description: expect.any(String), format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(s['io.k8s.apimachinery.pkg.api.resource.Quantity']).toEqual({ description: expect.any(String), oneOf: [{ type: 'string' }, { type: 'number' }] });
    expect(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' }],
    });
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels.additionalProperties).toEqual({ type: 'string' });
    expect(s['io.k8s.api.core.v1.Pod'].properties.metadata.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    expect(s['io.k8s.api.core.v1.PodList']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'PodList', version: 'v1' }]);
    expect(doc.paths['/api/v1/nodes/{name}']!.patch).toBeDefined();
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']!.get).toBeDefined();
  });

  it('documents the proxy subresources as upstream\'s connect operations', () => {
    const withProxies = coreResources.map((r) =>
      r.kind === 'Node' ? { ...r, connect: [{ subresource: 'proxy', optionsKind: 'NodeProxyOptions' }] } : r.kind === 'Pod' ? { ...r, connect: [{ subresource: 'proxy', optionsKind: 'PodProxyOptions' }] } : r,
    );
    const doc = buildOpenAPIV3('v1', withProxies) as Doc;
    const node = doc.paths['/api/v1/nodes/{name}/proxy']!;
    const nodeWithPath = doc.paths['/api/v1/nodes/{name}/proxy/{path}']!;
    const methods = ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'];
    expect(methods.map((m) => node[m].operationId)).toEqual(['connectCoreV1DeleteNodeProxy', 'connectCoreV1GetNodeProxy', 'connectCoreV1HeadNodeProxy', 'connectCoreV1OptionsNodeProxy', 'connectCoreV1PatchNodeProxy', 'connectCoreV1PostNodeProxy', 'connectCoreV1PutNodeProxy']);
    expect(nodeWithPath.get.operationId).toBe('connectCoreV1GetNodeProxyWithPath');
    expect(node.get).toMatchObject({ 'x-kubernetes-action': 'connect', 'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'NodeProxyOptions' }, responses: { '200': { content: { '*/*': { schema: { type: 'string' } } } } } });
    expect(node.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:name', 'query:path']);
    expect(nodeWithPath.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:name', 'path:path', 'query:path']);
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}']!.post.operationId).toBe('connectCoreV1PostNamespacedPodProxyWithPath');
    // The Node PATCH kubectl looks for is still the Node's own.
    expect(doc.paths['/api/v1/nodes/{name}']!.patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Node', version: 'v1' });
  });

  it('is deterministic', () => {
    const a = JSON.stringify(buildOpenAPIV3('apps/v1', appsResources));
    const b = JSON.stringify(buildOpenAPIV3('apps/v1', [...appsResources].reverse()));
    expect(a).toBe(b);
  });
});
