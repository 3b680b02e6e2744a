import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

/** Defaults, prepares and validates `o` as the registry does on update of `old`; the error strings. */
function update(groupKind: string, old: Record<string, unknown>, o: Record<string, unknown>): string[] {
  const v = validationFor(groupKind);
  const next = structuredClone(o) as unknown as KubeObject;
  v.applyDefaults(next);
  return v.validateUpdate(next, create(groupKind, old).obj).map(fieldErrorString);
}

/** Defaults, prepares and validates `o` as the registry does on create; the error strings. */
function create(groupKind: string, o: Record<string, unknown>): { obj: any; errors: string[] } {
  const v = validationFor(groupKind);
  const obj = structuredClone(o) as unknown as KubeObject;
  v.applyDefaults(obj);
  v.prepareForCreate?.(obj);
  return { obj, errors: v.validateCreate(obj).map(fieldErrorString) };
}

const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

describe('Deployment', () => {
  it('defaults as upstream and checks the selector against the template', () => {
    const ok = create('apps/Deployment', { metadata: { name: 'd', namespace: 'n' }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } } });
    expect(ok.obj.spec.template.spec.restartPolicy).toBe('Always');
    const bad = create('apps/Deployment', { metadata: { name: 'd', namespace: 'n' }, spec: { selector: { matchLabels: { app: 'y' } }, template, strategy: { type: 'Sideways' } } });
    expect(bad.errors).toEqual(expect.arrayContaining([
      'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`',
      'spec.strategy.type: Unsupported value: "Sideways": supported values: "Recreate", "RollingUpdate"',
    ]));
  });
});

describe('replicated pod templates: Deployment, ReplicaSet, ReplicationController', () => {
  const meta = { name: 'r', namespace: 'n' };
  const selector = { matchLabels: { app: 'x' } };

  it('a ReplicaSet defaults to one replica and is checked as upstream checks it', () => {
    const ok = create('apps/ReplicaSet', { metadata: meta, spec: { selector, template } });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.spec.replicas).toBe(1);
    expect(ok.obj.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    const bad = create('apps/ReplicaSet', {
      metadata: meta,
      spec: { replicas: -1, minReadySeconds: -2, selector: { matchLabels: { app: 'y' } }, template: { ...template, spec: { ...template.spec, restartPolicy: 'Never', activeDeadlineSeconds: 5 } } },
    });
    expect(bad.errors).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0',
      'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ]);
    expect(create('apps/ReplicaSet', { metadata: meta, spec: { template } }).errors).toEqual(['spec.selector: Required value']);
    expect(create('apps/ReplicaSet', { metadata: meta, spec: { selector: {}, template } }).errors).toEqual(['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  });

  it('the selector of an apps/v1 ReplicaSet or Deployment cannot change', () => {
    for (const k of ['apps/ReplicaSet', 'apps/Deployment']) {
      const old = { metadata: { ...meta, resourceVersion: '1' }, spec: { selector, template } };
      expect(update(k, old, { ...old, spec: { selector, template, replicas: 5 } })).toEqual([]);
      const moved = { metadata: { labels: { app: 'x', v: '2' } }, spec: template.spec };
      expect(update(k, old, { ...old, spec: { selector: { matchLabels: { app: 'x', v: '2' } }, template: moved } })[0]).toMatch(/^spec\.selector: Invalid value: .*: field is immutable$/);
    }
  });

  it('a ReplicationController takes its selector and labels from the template, and is checked as upstream checks it', () => {
    const ok = create('/ReplicationController', { metadata: meta, spec: { template } });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.spec).toMatchObject({ replicas: 1, selector: { app: 'x' } });
    expect(ok.obj.metadata.labels).toEqual({ app: 'x' });
    const own = create('/ReplicationController', { metadata: { ...meta, labels: { team: 't' } }, spec: { selector: { app: 'x' }, template: { metadata: { labels: { app: 'x', v: '1' } }, spec: template.spec } } });
    expect(own.errors).toEqual([]);
    expect(own.obj.metadata.labels).toEqual({ team: 't' });
    expect(create('/ReplicationController', { metadata: meta, spec: { selector: { app: 'y' }, template } }).errors).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`',
    ]);
    expect(create('/ReplicationController', { metadata: meta, spec: { replicas: 1 } }).errors).toEqual(['spec.selector: Required value', 'spec.template: Required value']);
    expect(create('/ReplicationController', { metadata: meta, spec: { template: { ...template, spec: { ...template.spec, activeDeadlineSeconds: 1 } } } }).errors).toEqual([
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported',
    ]);
  });
});

describe('PodDisruptionBudget, CSIDriver and webhook configurations', () => {
  it('a budget sets minAvailable or maxUnavailable, not both', () => {
    expect(create('policy/PodDisruptionBudget', { metadata: { name: 'p', namespace: 'n' }, spec: { maxUnavailable: 1 } }).errors).toEqual([]);
    expect(create('policy/PodDisruptionBudget', { metadata: { name: 'p', namespace: 'n' }, spec: { maxUnavailable: 1, minAvailable: '50%' } }).errors[0]).toMatch(/^spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set$/);
    expect(create('policy/PodDisruptionBudget', { metadata: { name: 'p', namespace: 'n' }, spec: { minAvailable: '150%' } }).errors).toEqual(['spec.minAvailable: Invalid value: "150%": must not be greater than 100%']);
  });

  it('a CSIDriver gets upstream defaults', () => {
    const d = create('storage.k8s.io/CSIDriver', { metadata: { name: 'nfs.csi.k8s.io' }, spec: { attachRequired: false } });
    expect(d.errors).toEqual([]);
    expect(d.obj.spec).toEqual({ attachRequired: false, podInfoOnMount: false, storageCapacity: false, fsGroupPolicy: 'ReadWriteOnceWithFSType', requiresRepublish: false, seLinuxMount: false, volumeLifecycleModes: ['Persistent'] });
  });

  it('a CSIDriver names each token audience once, for 10 minutes to 2^32 seconds', () => {
    const d = create('storage.k8s.io/CSIDriver', {
      metadata: { name: 'nfs.csi.k8s.io' },
      spec: { tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'b', expirationSeconds: 2 ** 33 }, { audience: 'a' }, { audience: 'c', expirationSeconds: 600 }] },
    });
    expect(d.errors).toEqual([
      'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.tokenRequests[1].expirationSeconds: Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds',
      'spec.tokenRequests[2].audience: Duplicate value: "a"',
    ]);
  });

  it('webhooks get their defaults and need sideEffects, review versions and a reachable client', () => {
    const ok = create('admissionregistration.k8s.io/ValidatingWebhookConfiguration', {
      metadata: { name: 'w' },
      webhooks: [{ name: 'v.example.com', clientConfig: { service: { namespace: 'n', name: 's' } }, sideEffects: 'None', admissionReviewVersions: ['v1'], rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }],
    });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', timeoutSeconds: 10, namespaceSelector: {}, objectSelector: {}, clientConfig: { service: { port: 443 } }, rules: [{ scope: '*' }] });
    const bad = create('admissionregistration.k8s.io/MutatingWebhookConfiguration', { metadata: { name: 'w' }, webhooks: [{ name: 'v.example.com', clientConfig: {}, timeoutSeconds: 60 }] });
    expect(bad.obj.webhooks[0].reinvocationPolicy).toBe('Never');
    expect(bad.errors).toEqual([
      'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
      'webhooks[0].sideEffects: Unsupported value: "": supported values: "None", "NoneOnDryRun"',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      'webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds',
    ]);
  });

  it('webhooks: rules, policies, an https URL or a service, and review versions as upstream checks them', () => {
    const hook = (over: Record<string, unknown>) => ({ name: 'v.example.com', clientConfig: { service: { namespace: 'n', name: 's' } }, sideEffects: 'None', admissionReviewVersions: ['v1'], ...over });
    const errorsOf = (kind: string, over: Record<string, unknown>) => create(`admissionregistration.k8s.io/${kind}`, { kind, metadata: { name: 'w' }, webhooks: [hook(over)] }).errors;
    expect(
      errorsOf('ValidatingWebhookConfiguration', {
        rules: [
          { operations: ['FROB'], apiGroups: ['*', 'apps'], apiVersions: ['v1'], resources: ['pods'], scope: 'Frob' },
          { operations: ['*', 'CREATE'], apiGroups: [''], apiVersions: [], resources: ['*/*', 'pods'] },
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/*', 'pods/log', '*', 'nodes'] },
        ],
        matchPolicy: 'Frob',
      }),
    ).toEqual([
      'webhooks[0].rules[0].operations[0]: Unsupported value: "FROB": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
      'webhooks[0].rules[0].apiGroups: Invalid value: ["*","apps"]: if \'*\' is present, must not specify other API groups',
      'webhooks[0].rules[0].scope: Unsupported value: "Frob": supported values: "*", "Cluster", "Namespaced"',
      'webhooks[0].rules[1].operations: Invalid value: ["*","CREATE"]: if \'*\' is present, must not specify other operations',
      'webhooks[0].rules[1].apiVersions: Required value',
      'webhooks[0].rules[1].resources: Invalid value: ["*/*","pods"]: if \'*/*\' is present, must not specify other resources',
      'webhooks[0].rules[2].resources[1]: Invalid value: "pods/log": if \'pods/*\' is present, must not specify pods/log',
      'webhooks[0].rules[2].resources: Invalid value: ["pods/*","pods/log","*","nodes"]: if \'*\' is present, must not specify other resources without subresources',
      'webhooks[0].matchPolicy: Unsupported value: "Frob": supported values: "Equivalent", "Exact"',
    ]);
    expect(errorsOf('MutatingWebhookConfiguration', { reinvocationPolicy: 'Frob', admissionReviewVersions: ['v9', 'v9'] })).toEqual([
      'webhooks[0].reinvocationPolicy: Unsupported value: "Frob": supported values: "IfNeeded", "Never"',
      'webhooks[0].admissionReviewVersions[1]: Invalid value: "v9": duplicate version',
      'webhooks[0].admissionReviewVersions: Invalid value: ["v9","v9"]: must include at least one of v1, v1beta1',
    ]);
    const conditions = [{ name: 'a', expression: 'true' }, { name: 'a', expression: ' ' }, { name: 'b/c/d', expression: 'x' }, { expression: 'y' }];
    expect(errorsOf('ValidatingWebhookConfiguration', { matchConditions: conditions })).toEqual([
      'webhooks[0].matchConditions[1].expression: Required value',
      'webhooks[0].matchConditions[1].name: Duplicate value: "a"',
      expect.stringMatching(/^webhooks\[0\]\.matchConditions\[2\]\.name: Invalid value: "b\/c\/d": a qualified name /),
      'webhooks[0].matchConditions[3].name: Required value',
    ]);
    const url = (u: string) => errorsOf('ValidatingWebhookConfiguration', { clientConfig: { url: u } });
    expect(url('https://hooks.example.com/check')).toEqual([]);
    expect(url('http://user:pw@hooks.example.com/x?a=b#f')).toEqual([
      'webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
      'webhooks[0].clientConfig.url: Invalid value: "user:pw": user information is not permitted in the URL',
      'webhooks[0].clientConfig.url: Invalid value: "f": fragments are not permitted in the URL',
      'webhooks[0].clientConfig.url: Invalid value: "a=b": query parameters are not permitted in the URL',
    ]);
    expect(url('::::')).toEqual(['webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse "::::": missing protocol scheme; desired format: https://host[/path]']);
    expect(errorsOf('ValidatingWebhookConfiguration', { clientConfig: { service: { namespace: 'n', name: 's', port: 0, path: 'x//Y' } } })).toEqual([
      'webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive',
      "webhooks[0].clientConfig.service.path: Invalid value: \"x//Y\": must start with a '/'",
      // (The first character is dropped before the segments are read, '/' or not, as upstream.)
      'webhooks[0].clientConfig.service.path: Invalid value: "x//Y": segment[0] may not be empty',
      'webhooks[0].clientConfig.service.path: Invalid value: "x//Y": segment[1] may not be empty',
      "webhooks[0].clientConfig.service.path: Invalid value: \"x//Y\": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
  });
});

describe('CustomResourceDefinition', () => {
  const crd = (over: Record<string, unknown> = {}) => ({
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', kind: 'Widget' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      ...over,
    },
  });

  it('is named <plural>.<group>, has one storage version, and is established at once', () => {
    const c = create('apiextensions.k8s.io/CustomResourceDefinition', crd());
    expect(c.errors).toEqual([]);
    expect(c.obj.spec.names).toEqual({ plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' });
    expect(c.obj.spec.conversion).toEqual({ strategy: 'None' });
    expect(c.obj.status.acceptedNames).toEqual(c.obj.spec.names);
    expect(c.obj.status.storedVersions).toEqual(['v1']);
    expect(c.obj.status.conditions.map((x: any) => [x.type, x.status])).toEqual([['NamesAccepted', 'True'], ['Established', 'True']]);
    const bad = create('apiextensions.k8s.io/CustomResourceDefinition', {
      ...crd({ group: 'x.k8s.io', versions: [{ name: 'v1', served: true, storage: false }] }),
      metadata: { name: 'widgets.example.com' },
    });
    expect(bad.errors).toEqual([
      'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io"',
      'spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
      'spec.versions: Invalid value: 1: must have exactly one version marked as storage version',
    ]);
  });

  it('an update follows the names and keeps every storage version ever used', () => {
    const v = validationFor('apiextensions.k8s.io/CustomResourceDefinition');
    const old = create('apiextensions.k8s.io/CustomResourceDefinition', crd()).obj;
    const next = structuredClone(old);
    next.spec.versions = [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }, { name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }];
    next.spec.names.shortNames = ['wd'];
    v.applyDefaults(next);
    v.prepareForUpdate?.(next, old);
    expect(next.status.storedVersions).toEqual(['v1', 'v2']);
    expect(next.status.acceptedNames.shortNames).toEqual(['wd']);
    expect(v.validateUpdate(next, old).map(fieldErrorString)).toEqual([]);
    next.spec.scope = 'Cluster';
    expect(v.validateUpdate(next, old).map(fieldErrorString)).toContain('spec.scope: Invalid value: "Cluster": field is immutable');
  });
});

/** Validates a /status write of `status` onto `old` as the registry does (the stored object with the new status); the error strings. */
function statusUpdate(groupKind: string, old: Record<string, unknown>, status: Record<string, unknown>): string[] {
  const stored = { ...structuredClone(old), metadata: { ...(old.metadata as object), resourceVersion: '1' } } as unknown as KubeObject;
  const next = { ...structuredClone(stored), status } as unknown as KubeObject;
  const v = validationFor(groupKind);
  v.applyStatusDefaults?.(next);
  return v.validateStatusUpdate(next, stored).map(fieldErrorString);
}

describe('status writes of the stored workload kinds', () => {
  const meta = { name: 'r', namespace: 'n' };
  const negative = (f: string, v = -1) => `status.${f}: Invalid value: ${v}: must be greater than or equal to 0`;
  const aboveReplicas = (f: string, v: number) => `status.${f}: Invalid value: ${v}: cannot be greater than status.replicas`;

  for (const [groupKind, kind] of [['apps/ReplicaSet', 'ReplicaSet'], ['/ReplicationController', 'ReplicationController']] as const) {
    it(`a ${kind}'s counts are not negative nor above status.replicas (ValidateReplicaSetStatus, ValidateReplicationControllerStatus)`, () => {
      const old = { metadata: meta, spec: { replicas: 2, selector: kind === 'ReplicaSet' ? { matchLabels: { app: 'x' } } : { app: 'x' }, template }, status: { replicas: 2 } };
      expect(statusUpdate(groupKind, old, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 })).toEqual([]);
      // As upstream: the absent counts (zeros) are then above status.replicas too.
      expect(statusUpdate(groupKind, old, { replicas: -5, observedGeneration: -1 })).toEqual([
        negative('replicas', -5),
        negative('observedGeneration'),
        aboveReplicas('fullyLabeledReplicas', 0),
        aboveReplicas('readyReplicas', 0),
        aboveReplicas('availableReplicas', 0),
      ]);
      expect(statusUpdate(groupKind, old, { replicas: 1, fullyLabeledReplicas: -1, readyReplicas: -2, availableReplicas: -3 })).toEqual([
        negative('fullyLabeledReplicas'),
        negative('readyReplicas', -2),
        negative('availableReplicas', -3),
      ]);
      expect(statusUpdate(groupKind, old, { replicas: 1, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 3 })).toEqual([
        aboveReplicas('fullyLabeledReplicas', 2),
        aboveReplicas('readyReplicas', 2),
        aboveReplicas('availableReplicas', 3),
        'status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas',
      ]);
      // Absent counts are Go's zeros.
      expect(statusUpdate(groupKind, old, { readyReplicas: 1 })).toEqual([aboveReplicas('readyReplicas', 1)]);
    });
  }

  it('a Deployment\'s counts are not negative nor above status.replicas, and collisionCount only grows (ValidateDeploymentStatusUpdate)', () => {
    const old = { metadata: meta, spec: { selector: { matchLabels: { app: 'x' } }, template }, status: { replicas: 1, collisionCount: 2 } };
    expect(statusUpdate('apps/Deployment', old, { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1, unavailableReplicas: 1, observedGeneration: 1, collisionCount: 3 })).toEqual([]);
    expect(statusUpdate('apps/Deployment', old, { observedGeneration: -1, replicas: -1, updatedReplicas: -1, readyReplicas: -1, availableReplicas: -1, unavailableReplicas: -1, collisionCount: -1 })).toEqual([
      negative('observedGeneration'),
      negative('replicas'),
      negative('updatedReplicas'),
      negative('readyReplicas'),
      negative('availableReplicas'),
      negative('unavailableReplicas'),
      negative('collisionCount'),
      'status.collisionCount: Invalid value: -1: cannot be decremented',
    ]);
    expect(statusUpdate('apps/Deployment', old, { replicas: 1, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 2, collisionCount: 2 })).toEqual([
      aboveReplicas('updatedReplicas', 2),
      aboveReplicas('availableReplicas', 2),
      'status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas',
    ]);
    expect(statusUpdate('apps/Deployment', old, { replicas: 1 })).toEqual(['status.collisionCount: Invalid value: 0: cannot be decremented']);
  });

  it('a PodDisruptionBudget\'s counts are not negative, and its conditions are metav1 conditions (ValidatePodDisruptionBudgetStatusUpdate, policy/v1)', () => {
    const old = { metadata: meta, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } };
    const allowed = { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2024-01-01T00:00:00Z', observedGeneration: 1 };
    expect(statusUpdate('policy/PodDisruptionBudget', old, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 1, conditions: [allowed] })).toEqual([]);
    expect(statusUpdate('policy/PodDisruptionBudget', old, { disruptionsAllowed: -1, currentHealthy: -2, desiredHealthy: -3, expectedPods: -4 })).toEqual([
      negative('disruptionsAllowed'),
      negative('currentHealthy', -2),
      negative('desiredHealthy', -3),
      negative('expectedPods', -4),
    ]);
    expect(statusUpdate('policy/PodDisruptionBudget', old, { conditions: [allowed, { ...allowed, status: 'Maybe', reason: 'not valid', observedGeneration: -1, lastTransitionTime: undefined, message: 'm'.repeat(32 * 1024 + 1) }, { type: 'bad type!', status: 'False', reason: '', lastTransitionTime: '2024-01-01T00:00:00Z' }] })).toEqual([
      'status.conditions[1].type: Duplicate value: "DisruptionAllowed"',
      'status.conditions[1].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      'status.conditions[1].observedGeneration: Invalid value: -1: must be greater than or equal to zero',
      'status.conditions[1].lastTransitionTime: Required value: must be set',
      "status.conditions[1].reason: Invalid value: \"not valid\": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
      'status.conditions[1].message: Too long: may not be more than 32768 bytes',
      "status.conditions[2].type: Invalid value: \"bad type!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      'status.conditions[2].reason: Required value: must be set',
    ]);
  });
});

describe('StorageClass', () => {
  const sc = { metadata: { name: 'nfs-csi', namespace: 'ignored' }, provisioner: 'nfs.csi.k8s.io', parameters: { server: 'nfs', share: '/' } };

  it('defaults reclaimPolicy and volumeBindingMode; a cluster-scoped object loses its namespace', () => {
    const ok = create('storage.k8s.io/StorageClass', sc);
    expect(ok.errors).toEqual([]);
    expect(ok.obj).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(ok.obj.metadata.namespace).toBeUndefined();
  });

  it('refuses bad fields with upstream field paths and words', () => {
    const bad = create('storage.k8s.io/StorageClass', {
      metadata: { name: 'bad' },
      provisioner: 'not a/name!',
      parameters: { '': 'x' },
      reclaimPolicy: 'Recycle',
      volumeBindingMode: 'Later',
      allowedTopologies: [
        { matchLabelExpressions: [{ key: 'zone', values: ['a', 'a'] }, { key: 'zone', values: ['b'] }] },
        { matchLabelExpressions: [{ key: 'bad key', values: [] }] },
        { matchLabelExpressions: [] },
      ],
    });
    expect(bad.errors).toEqual([
      'provisioner: Invalid value: "not a/name!": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'provisioner: Invalid value: "not a/name!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      'parameters: Invalid value: "": field can not be empty.',
      'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
      'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
      'allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"',
      'allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"',
      'allowedTopologies[1].matchLabelExpressions[0].values: Required value',
      'allowedTopologies[1].matchLabelExpressions[0].key: Invalid value: "bad key": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      // Upstream seeds its seen terms with empty ones: a term without expressions is a duplicate.
      'allowedTopologies[2].matchLabelExpressions: Duplicate value: ""',
    ]);
    expect(create('storage.k8s.io/StorageClass', { metadata: { name: 'p' }, provisioner: 'x', parameters: { big: 'v'.repeat(256 * 1024) } }).errors).toEqual(['parameters: Too long: may not be more than 262144 bytes']);
    expect(create('storage.k8s.io/StorageClass', { metadata: { name: 'p' } }).errors).toEqual(['provisioner: Required value']);
    // A term repeated whole is a duplicate too, whatever the order of its values.
    const terms = [{ matchLabelExpressions: [{ key: 'zone', values: ['a', 'b'] }] }, { matchLabelExpressions: [{ key: 'zone', values: ['b', 'a'] }] }];
    expect(create('storage.k8s.io/StorageClass', { metadata: { name: 'p' }, provisioner: 'x', allowedTopologies: terms }).errors).toEqual(['allowedTopologies[1].matchLabelExpressions: Duplicate value: ""']);
  });

  it('keeps provisioner, parameters, reclaimPolicy and volumeBindingMode; allowVolumeExpansion and mountOptions may change', () => {
    expect(update('storage.k8s.io/StorageClass', sc, { ...sc, allowVolumeExpansion: true, mountOptions: ['nfsvers=4.1'] })).toEqual([]);
    expect(update('storage.k8s.io/StorageClass', sc, { ...sc, provisioner: 'other.io', parameters: {}, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' })).toEqual([
      'parameters: Forbidden: updates to parameters are forbidden.',
      'provisioner: Forbidden: updates to provisioner are forbidden.',
      'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
  });
});

describe('NetworkPolicy', () => {
  const meta = { name: 'np', namespace: 'n' };

  it('defaults the ports to TCP and policyTypes from the rules given', () => {
    const ingressOnly = create('networking.k8s.io/NetworkPolicy', { metadata: meta, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] } });
    expect(ingressOnly.errors).toEqual([]);
    expect(ingressOnly.obj.spec).toEqual({ podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }], policyTypes: ['Ingress'] });
    const both = create('networking.k8s.io/NetworkPolicy', { metadata: meta, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] } });
    expect(both.errors).toEqual([]);
    expect(both.obj.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    // Given policyTypes are kept (an egress-only policy).
    expect(create('networking.k8s.io/NetworkPolicy', { metadata: meta, spec: { podSelector: {}, policyTypes: ['Egress'] } }).obj.spec.policyTypes).toEqual(['Egress']);
    // No spec at all: every pod of the namespace, isolated for ingress.
    expect(create('networking.k8s.io/NetworkPolicy', { metadata: meta }).obj.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  it('refuses bad ports, peers, blocks and policy types with upstream field paths and words', () => {
    const bad = create('networking.k8s.io/NetworkPolicy', {
      metadata: meta,
      spec: {
        podSelector: { matchLabels: { 'bad key': 'x' } },
        policyTypes: ['Ingress', 'Sideways'],
        ingress: [
          {
            from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/8', '10.0.1.0/24', '10.0.0.0/16', 'fd00::/64', 'nope'] }, podSelector: {} }],
            ports: [{ port: 'http', endPort: 90 }, { port: 70000 }, { endPort: 5 }, { port: 100, endPort: 50, protocol: 'ICMP' }, { port: 'Not_A_Name' }],
          },
        ],
        egress: [{ to: [{ ipBlock: { cidr: '' } }, { ipBlock: { cidr: '300.0.0.0/8' } }] }],
      },
    });
    expect(bad.errors).toEqual([
      'spec.podSelector.matchLabels: Invalid value: "bad key": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      'spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[2].endPort: Invalid value: 5: may not be specified when `port` is not specified',
      'spec.ingress[0].ports[3].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[3].endPort: Invalid value: 50: must be greater than or equal to `port`',
      'spec.ingress[0].ports[4].port: Invalid value: "Not_A_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1].ipBlock.except[2]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1].ipBlock.except[3]: Invalid value: "fd00::/64": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1].ipBlock.except[4]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'spec.egress[0].to[0].ipBlock.cidr: Required value',
      'spec.egress[0].to[1].ipBlock.cidr: Invalid value: "300.0.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
    expect(create('networking.k8s.io/NetworkPolicy', { metadata: meta, spec: { policyTypes: ['Ingress', 'Egress', 'Ingress'] } }).errors).toEqual([
      'spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes',
    ]);
    // IPv6 blocks work the same way.
    expect(create('networking.k8s.io/NetworkPolicy', { metadata: meta, spec: { ingress: [{ from: [{ ipBlock: { cidr: 'fd00::/48', except: ['fd00:0:0:1::/64'] } }] }] } }).errors).toEqual([]);
  });

  it('validates an update as a create', () => {
    const old = { metadata: meta, spec: { podSelector: {} } };
    expect(update('networking.k8s.io/NetworkPolicy', old, { metadata: meta, spec: { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] } })).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
  });
});

describe('Ingress and IngressClass', () => {
  const meta = { name: 'web', namespace: 'n' };
  const backend = (name: string, port: Record<string, unknown>) => ({ service: { name, port } });
  const rule = (host: string, paths: unknown[]) => ({ host, http: { paths } });

  it('takes hosts, wildcard hosts, TLS and every path type with a Service or resource backend', () => {
    const ok = create('networking.k8s.io/Ingress', {
      metadata: meta,
      spec: {
        ingressClassName: 'nginx',
        defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } },
        tls: [{ hosts: ['a.example.com', '*.b.example.com'], secretName: 'tls-a' }, {}],
        rules: [
          rule('a.example.com', [{ path: '/', pathType: 'Prefix', backend: backend('web', { number: 80 }) }]),
          rule('*.b.example.com', [{ path: '/api', pathType: 'Exact', backend: backend('api', { name: 'http' }) }, { pathType: 'ImplementationSpecific', backend: backend('api', { name: 'http' }) }]),
          { http: { paths: [{ path: '/.well-known', pathType: 'Prefix', backend: backend('web', { number: 8080 }) }] } },
          { host: 'only-host.example.com' },
        ],
      },
    });
    expect(ok.errors).toEqual([]);
    // Nothing is defaulted: the status starts as Go prints an empty one (the kind's statusOnCreate).
    expect(ok.obj.spec.rules[0]).toEqual(rule('a.example.com', [{ path: '/', pathType: 'Prefix', backend: backend('web', { number: 80 }) }]));
  });

  it('refuses bad hosts, paths, backends, TLS and class names with upstream field paths and words', () => {
    const bad = create('networking.k8s.io/Ingress', {
      metadata: { ...meta, annotations: { 'kubernetes.io/ingress.class': 'other' } },
      spec: {
        ingressClassName: 'Nginx',
        defaultBackend: {},
        tls: [{ hosts: ['x_y.com', '*.ok.com', 'a.*.com'], secretName: 'Bad_Secret' }],
        rules: [
          rule('10.0.0.1', [
            { path: 'a//b', pathType: 'Prefix', backend: backend('1web', { number: 0 }) },
            { path: '/x', backend: backend('web', { number: 80 }) },
            { path: '/y/..', pathType: 'Exact', backend: { resource: { kind: 'Foo', name: 'a/b' }, service: { name: 'web' } } },
            { path: 'rel', pathType: 'ImplementationSpecific', backend: backend('web', { number: 80, name: 'http' }) },
            { path: '/z', pathType: 'Regex', backend: backend('web', { number: 70000 }) },
            { path: '/q%2Fr', pathType: 'Prefix', backend: { resource: { apiGroup: 'Bad_Group', kind: '', name: '' } } },
          ]),
          rule('*', []),
        ],
      },
    });
    expect(bad.errors).toEqual([
      'spec.defaultBackend: Invalid value: "": resource or service backend is required',
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "a//b": must be an absolute path',
      'spec.rules[0].http.paths[0].path: Invalid value: "a//b": must not contain \'//\'',
      'spec.rules[0].http.paths[0].backend.service.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
      'spec.rules[0].http.paths[0].backend: Required value: port name or number is required',
      'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[2].path: Invalid value: "/y/..": cannot end with \'/..\'',
      'spec.rules[0].http.paths[2].backend: Invalid value: "": cannot set both resource and service backends',
      'spec.rules[0].http.paths[3].path: Invalid value: "rel": must be an absolute path',
      'spec.rules[0].http.paths[3].backend: Invalid value: "": cannot set both port name & port number',
      'spec.rules[0].http.paths[4].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[4].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.rules[0].http.paths[5].path: Invalid value: "/q%2Fr": must not contain \'%2F\'',
      'spec.rules[0].http.paths[5].backend.resource.apiGroup: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.rules[0].http.paths[5].backend.resource.kind: Required value',
      'spec.rules[0].http.paths[5].backend.resource.name: Required value',
      'spec.rules[1].host: Invalid value: "*": a wildcard DNS-1123 subdomain must start with \'*.\', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, \'-\' or \'.\' and end with an alphanumeric character (e.g. \'*.example.com\', regex used for validation is \'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.rules[1].http.paths: Required value',
      'spec.tls[0].hosts[0]: Invalid value: "x_y.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.tls[0].hosts[2]: Invalid value: "a.*.com": a wildcard DNS-1123 subdomain must start with \'*.\', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, \'-\' or \'.\' and end with an alphanumeric character (e.g. \'*.example.com\', regex used for validation is \'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.tls[0].secretName: Invalid value: "Bad_Secret": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.ingressClassName: Invalid value: "Nginx": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'annotations.kubernetes.io/ingress.class: Invalid value: "other": must match `ingressClassName` when both are specified',
    ]);
    expect(create('networking.k8s.io/Ingress', { metadata: meta, spec: {} }).errors).toEqual(['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']);
  });

  it('an update may keep what older servers let in (a TLS secret name, paths under a wildcard host), and nothing new; the class annotation is checked on create only', () => {
    const old = {
      metadata: { ...meta, annotations: { 'kubernetes.io/ingress.class': 'other' } },
      spec: { ingressClassName: 'nginx', tls: [{ secretName: 'Old_Name' }], rules: [rule('*.example.com', [{ path: 'old', pathType: 'Prefix', backend: backend('web', { number: 80 }) }])] },
    };
    expect(update('networking.k8s.io/Ingress', old, old)).toEqual([]);
    const clean = { metadata: meta, spec: { rules: [rule('*.example.com', [{ path: '/', pathType: 'Prefix', backend: backend('web', { number: 80 }) }])] } };
    expect(update('networking.k8s.io/Ingress', clean, { ...clean, spec: { ...clean.spec, tls: [{ secretName: 'New_Name' }] } })).toEqual([
      'spec.tls[0].secretName: Invalid value: "New_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
    ]);
  });

  it('a status write checks the load balancer\'s IPs and hostnames', () => {
    const v = validationFor('networking.k8s.io/Ingress');
    const old = create('networking.k8s.io/Ingress', { metadata: meta, spec: { defaultBackend: backend('web', { number: 80 }) } }).obj;
    const next = structuredClone(old);
    next.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.com', ports: [{ port: 443, protocol: 'TCP' }] }, { ip: 'nope' }, { hostname: '192.0.2.9' }] } };
    expect(v.validateStatusUpdate(next, old).map(fieldErrorString)).toEqual([
      'status.loadBalancer.ingress[2].ip: Invalid value: "nope": must be a valid IP address',
      'status.loadBalancer.ingress[3].hostname: Invalid value: "192.0.2.9": must be a DNS name, not an IP address',
    ]);
    const emptied = { ...structuredClone(old), status: {} };
    v.applyStatusDefaults?.(emptied);
    expect(emptied.status).toEqual({ loadBalancer: {} });
  });

  it('reads IPv4 addresses with leading zeros as IPs, as upstream\'s ParseIPSloppy: not a host, a valid load balancer IP, not a hostname', () => {
    expect(create('networking.k8s.io/Ingress', { metadata: meta, spec: { rules: [rule('010.1.1.1', [{ path: '/', pathType: 'Prefix', backend: backend('web', { number: 80 }) }])] } }).errors).toEqual([
      'spec.rules[0].host: Invalid value: "010.1.1.1": must be a DNS name, not an IP address',
    ]);
    const v = validationFor('networking.k8s.io/Ingress');
    const old = create('networking.k8s.io/Ingress', { metadata: meta, spec: { defaultBackend: backend('web', { number: 80 }) } }).obj;
    const next = { ...structuredClone(old), status: { loadBalancer: { ingress: [{ ip: '010.0.0.1' }, { hostname: '010.0.0.2' }] } } };
    expect(v.validateStatusUpdate(next, old).map(fieldErrorString)).toEqual(['status.loadBalancer.ingress[1].hostname: Invalid value: "010.0.0.2": must be a DNS name, not an IP address']);
  });

  it('an IngressClass names its controller by a domain-prefixed path, defaults its parameters\' scope to Cluster, and keeps its controller', () => {
    const ok = create('networking.k8s.io/IngressClass', { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'lb' } } });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.spec.parameters.scope).toBe('Cluster');
    const errs = (spec: unknown) => create('networking.k8s.io/IngressClass', { metadata: { name: 'c' }, spec }).errors;
    expect(errs({})).toEqual(['spec.controller: Required value']);
    expect(errs({ controller: 'nodomain' })).toEqual(['spec.controller: Invalid value: "nodomain": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(errs({ controller: 'Bad.io/x y' })).toEqual([
      'spec.controller: Invalid value: "Bad.io": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.controller: Invalid value: "x y": Invalid path (regex used for validation is \'[A-Za-z0-9/\\-._~%!$&\'()*+,;=:]+\')',
    ]);
    expect(errs({ controller: `example.com/${'x'.repeat(250)}` })[0]).toBe('spec.controller: Too long: may not be more than 250 bytes');
    // Counted in bytes, as Go's len: 130 two-byte characters are 260 bytes.
    expect(errs({ controller: `a.io/${'\u00e9'.repeat(130)}` })[0]).toBe('spec.controller: Too long: may not be more than 250 bytes');
    expect(errs({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Namespace' } })).toEqual(["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    expect(errs({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Namespace', namespace: 'Bad.NS' } })[0]).toMatch(/^spec\.parameters\.namespace: Invalid value: "Bad\.NS": a lowercase RFC 1123 label/);
    expect(errs({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', namespace: 'ns' } })).toEqual(["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
    expect(errs({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Global' } })).toEqual(['spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"']);
    const old = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
    expect(update('networking.k8s.io/IngressClass', old, { metadata: { name: 'nginx' }, spec: { controller: 'example.com/other' } })).toEqual([
      'spec.controller: Invalid value: "example.com/other": field is immutable',
    ]);
    expect(update('networking.k8s.io/IngressClass', old, { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'K', name: 'n' } } })).toEqual([]);
  });
});

describe('RuntimeClass', () => {
  it('takes a DNS-label handler, a valid overhead and scheduling with unique tolerations', () => {
    const ok = create('node.k8s.io/RuntimeClass', { metadata: { name: 'kata', namespace: 'ignored' }, handler: 'kata-qemu', overhead: { podFixed: { cpu: '250m', memory: '120Mi' } }, scheduling: { nodeSelector: { sandbox: 'kata' }, tolerations: [{ key: 'sandbox', operator: 'Exists' }] } });
    expect(ok.errors).toEqual([]);
    expect(ok.obj.metadata.namespace).toBeUndefined();
    const bad = create('node.k8s.io/RuntimeClass', {
      metadata: { name: 'bad' },
      handler: 'Kata_QEMU',
      overhead: { podFixed: { cpu: '-1' } },
      scheduling: { nodeSelector: { 'bad key': 'x' }, tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }, { key: 'a', operator: 'Exists', effect: 'NoSchedule' }, { key: 'b', operator: 'Sometimes' }] },
    });
    expect(bad.errors[0]).toBe('handler: Invalid value: "Kata_QEMU": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')');
    expect(bad.errors).toEqual(expect.arrayContaining([
      'overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      'scheduling.tolerations[1]: Duplicate value: {"key":"a","operator":"Exists","effect":"NoSchedule"}',
    ]));
    expect(bad.errors.some((e) => e.startsWith('scheduling.nodeSelector: Invalid value: "bad key"'))).toBe(true);
    expect(bad.errors.some((e) => e.startsWith('scheduling.tolerations[2].operator: Unsupported value: "Sometimes"'))).toBe(true);
    expect(create('node.k8s.io/RuntimeClass', { metadata: { name: 'none' } }).errors[0]).toMatch(/^handler: Invalid value: "": /);
  });

  it('warns of a deprecated node label in its scheduling, as upstream', () => {
    const v = validationFor('node.k8s.io/RuntimeClass');
    const rc = { metadata: { name: 'kata' }, handler: 'kata', scheduling: { nodeSelector: { 'beta.kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' } } } as unknown as KubeObject;
    expect(v.warnings?.(rc)).toEqual(['scheduling.nodeSelector: deprecated since v1.14; use "kubernetes.io/arch" instead']);
    expect(v.warnings?.({ metadata: { name: 'x' }, handler: 'x' } as unknown as KubeObject)).toEqual([]);
  });

  it('keeps its handler', () => {
    const rc = { metadata: { name: 'kata' }, handler: 'kata' };
    expect(update('node.k8s.io/RuntimeClass', rc, { ...rc, scheduling: { nodeSelector: { a: 'b' } } })).toEqual([]);
    expect(update('node.k8s.io/RuntimeClass', rc, { ...rc, handler: 'runc' })).toEqual(['handler: Invalid value: "runc": field is immutable']);
  });
});
