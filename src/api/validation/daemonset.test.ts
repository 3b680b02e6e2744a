import { describe, expect, it } from 'vitest';
import { fieldErrorString, invalid } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const v = validationFor('apps/DaemonSet');
const cr = validationFor('apps/ControllerRevision');

function ds(mutate: (o: any) => void = () => {}): KubeObject {
  const o: any = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox:1.37', command: ['sleep', '3600'] }] } },
    },
  };
  mutate(o);
  return o as KubeObject;
}

function createErrors(o: KubeObject): string[] {
  v.applyDefaults(o);
  return v.validateCreate(o).map(fieldErrorString);
}

describe('DaemonSet defaults (§2.1)', () => {
  it('fills strategy, history limit and the pod template defaults', () => {
    const o: any = ds((d) => {
      d.spec.template.spec.containers[0].image = 'busybox';
      d.spec.template.spec.containers[0].ports = [{ containerPort: 80 }];
      d.spec.template.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
      d.spec.template.spec.containers[0].env = [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }];
      d.spec.template.spec.volumes = [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'host', hostPath: { path: '/var' } }, { name: 'scratch' }];
    });
    v.applyDefaults(o);
    expect(o.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(o.spec.revisionHistoryLimit).toBe(10);
    const ps = o.spec.template.spec;
    expect(ps).toMatchObject({ dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
    expect(ps.enableServiceLinks).toBeUndefined();
    const c = ps.containers[0];
    expect(c).toMatchObject({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(c.ports[0].protocol).toBe('TCP');
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.env[0].valueFrom.fieldRef.apiVersion).toBe('v1');
    expect(ps.volumes).toEqual([
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/var', type: '' } },
      { name: 'scratch', emptyDir: {} },
    ]);
    expect(v.validateCreate(o)).toEqual([]);
  });

  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.37', 'IfNotPresent'],
    ['registry:5000/busybox', 'Always'],
    ['busybox@sha256:0123', 'IfNotPresent'],
  ])('imagePullPolicy for %s is %s', (image, want) => {
    const o: any = ds((d) => (d.spec.template.spec.containers[0].image = image));
    v.applyDefaults(o);
    expect(o.spec.template.spec.containers[0].imagePullPolicy).toBe(want);
  });

  it('OnDelete keeps a user rollingUpdate verbatim and defaults nothing there', () => {
    const o: any = ds((d) => (d.spec.updateStrategy = { type: 'OnDelete', rollingUpdate: { maxSurge: 3 } }));
    v.applyDefaults(o);
    expect(o.spec.updateStrategy).toEqual({ type: 'OnDelete', rollingUpdate: { maxSurge: 3 } });
    expect(v.validateCreate(o)).toEqual([]);
  });

  it('decision 2: an omitted selector defaults to the template labels', () => {
    const o: any = ds((d) => delete d.spec.selector);
    expect(createErrors(o)).toEqual([]);
    expect(o.spec.selector).toEqual({ matchLabels: { app: 'agent' } });
  });
});

describe('DaemonSet create validation (§3.1, §3.3)', () => {
  it.each<[string, (d: any) => void, string[]]>([
    ['valid', () => {}, []],
    [
      'selector does not match template labels',
      (d) => (d.spec.selector = { matchLabels: { app: 'other' } }),
      ['spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`'],
    ],
    [
      'no selector and no template labels',
      (d) => {
        delete d.spec.selector;
        delete d.spec.template.metadata.labels;
      },
      ['spec.template.metadata.labels: Invalid value: {}: `selector` does not match template `labels`'],
    ],
    ['empty selector', (d) => (d.spec.selector = {}), ['spec.selector: Invalid value: {}: empty selector is invalid for daemonset']],
    [
      'bad selector operator',
      (d) => (d.spec.selector = { matchExpressions: [{ key: 'app', operator: 'Is', values: ['agent'] }] }),
      ['spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator'],
    ],
    [
      'maxSurge only (maxUnavailable defaults to 1)',
      (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }),
      ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
    ],
    ['maxSurge with maxUnavailable 0 is fine', (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }), []],
    [
      'both zero',
      (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: 0 } }),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'percent over 100',
      (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '101%', maxSurge: 0 } }),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "101%": must not be greater than 100%'],
    ],
    [
      'bad percent string',
      (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '5', maxSurge: 0 } }),
      ["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"5\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
    ],
    [
      'negative maxUnavailable',
      (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: -1, maxSurge: 0 } }),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'unknown strategy type',
      (d) => (d.spec.updateStrategy = { type: 'Recreate' }),
      ['spec.updateStrategy: Unsupported value: {"type":"Recreate"}: supported values: "RollingUpdate", "OnDelete"'],
    ],
    ['restartPolicy Never', (d) => (d.spec.template.spec.restartPolicy = 'Never'), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
    [
      'activeDeadlineSeconds',
      (d) => (d.spec.template.spec.activeDeadlineSeconds = 10),
      ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported'],
    ],
    ['minReadySeconds negative', (d) => (d.spec.minReadySeconds = -1), ['spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0']],
    ['revisionHistoryLimit negative', (d) => (d.spec.revisionHistoryLimit = -1), ['spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['revisionHistoryLimit 0 is legal', (d) => (d.spec.revisionHistoryLimit = 0), []],
    [
      'bad name',
      (d) => (d.metadata.name = 'Agent_1'),
      ["metadata.name: Invalid value: \"Agent_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
    ],
    ['missing namespace', (d) => delete d.metadata.namespace, ['metadata.namespace: Required value']],
    ['missing name', (d) => delete d.metadata.name, ['metadata.name: Required value: name or generateName is required']],
    ['no containers', (d) => (d.spec.template.spec.containers = []), ['spec.template.spec.containers: Required value']],
    ['no image', (d) => delete d.spec.template.spec.containers[0].image, ['spec.template.spec.containers[0].image: Required value']],
    [
      'template label value',
      (d) => {
        d.spec.template.metadata.labels.tier = 'a b';
      },
      ["spec.template.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    ],
  ])('%s', (_name, mutate, want) => {
    expect(createErrors(ds(mutate))).toEqual(want);
  });

  it('renders as upstream 422 message', () => {
    const o = ds((d) => (d.spec.selector = { matchLabels: { app: 'other' } }));
    v.applyDefaults(o);
    const e = invalid({ group: 'apps', resource: 'daemonsets', kind: 'DaemonSet' }, 'agent', v.validateCreate(o));
    expect(e.message).toBe('DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`');
  });
});

describe('DaemonSet update and status (§3.2, §3.4)', () => {
  function stored(): KubeObject {
    const o: any = ds();
    v.applyDefaults(o);
    o.metadata.uid = 'u1';
    o.metadata.resourceVersion = '5';
    o.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    o.metadata.generation = 1;
    o.status = { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1, collisionCount: 2 };
    return o;
  }

  it('allows a template change', () => {
    const old = stored();
    const o: any = structuredClone(old);
    o.spec.template.spec.containers[0].image = 'busybox:1.38';
    v.applyDefaults(o);
    expect(v.validateUpdate(o, old)).toEqual([]);
  });

  it('selector is immutable', () => {
    const old = stored();
    const o: any = structuredClone(old);
    o.spec.selector = { matchLabels: { app: 'agent', tier: 'x' } };
    o.spec.template.metadata.labels.tier = 'x';
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['spec.selector: Invalid value: {"matchLabels":{"app":"agent","tier":"x"}}: field is immutable']);
  });

  it('a selector that only gains or loses empty lists and maps is the same selector (as Go compares them)', () => {
    const old: any = stored();
    old.spec.selector = { matchLabels: { app: 'agent' }, matchExpressions: [] };
    const o: any = structuredClone(old);
    o.spec.selector = { matchLabels: { app: 'agent' } };
    expect(v.validateUpdate(o, old)).toEqual([]);
    o.spec.selector = { matchLabels: { app: 'agent' }, matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] };
    const withExpr: any = structuredClone(o);
    withExpr.spec.selector = { matchLabels: { app: 'agent' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] };
    o.spec.template.metadata.labels.tier = 'x';
    withExpr.spec.template.metadata.labels.tier = 'x';
    expect(v.validateUpdate(o, withExpr)).toEqual([]);
    // A real change still is one.
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['spec.selector: Invalid value: {"matchLabels":{"app":"agent"},"matchExpressions":[{"key":"tier","operator":"Exists","values":[]}]}: field is immutable']);
  });

  it('name and uid are immutable', () => {
    const old = stored();
    const o: any = structuredClone(old);
    o.metadata.uid = 'u2';
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
  });

  it('status counters must be non-negative and collisionCount may not decrease', () => {
    const old = stored();
    const o: any = structuredClone(old);
    o.status.numberReady = -1;
    o.status.collisionCount = 1;
    expect(v.validateStatusUpdate(o, old).map(fieldErrorString)).toEqual([
      'status.numberReady: Invalid value: -1: must be greater than or equal to 0',
      'status.collisionCount: Invalid value: 1: cannot be decremented',
    ]);
    delete o.status.collisionCount;
    o.status.numberReady = 0;
    expect(v.validateStatusUpdate(o, old).map(fieldErrorString)).toEqual(['status.collisionCount: Invalid value: 0: cannot be decremented']);
    o.status.collisionCount = 3;
    o.status.conditions = [{ type: 'StatusUpdate', status: 'True' }];
    expect(v.validateStatusUpdate(o, old)).toEqual([]);
  });
});

describe('ControllerRevision (§3.5)', () => {
  const base = (): any => ({ metadata: { name: 'agent-5d8f', namespace: 'default', uid: 'r1' }, data: { spec: { template: {} } }, revision: 1 });
  it('requires data and a non-negative revision', () => {
    const o = base();
    delete o.data;
    o.revision = -1;
    expect(cr.validateCreate(o).map(fieldErrorString)).toEqual(['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
  });
  it('data is immutable, revision and labels may change', () => {
    const old = base();
    const o = base();
    o.revision = 7;
    o.metadata.labels = { 'controller-revision-hash': '5d8f' };
    expect(cr.validateUpdate(o, old)).toEqual([]);
    o.data = { spec: { template: { x: 1 } } };
    expect(cr.validateUpdate(o, old).map(fieldErrorString)).toEqual(['data: Invalid value: {"spec":{"template":{"x":1}}}: field is immutable']);
  });
});

describe('annotation size', () => {
  it('does not count the template generation annotation everynode keeps (upstream converts it out first)', () => {
    const full = (o: any) => (o.metadata.annotations = { a: 'x'.repeat(256 * 1024 - 1), 'deprecated.daemonset.template.generation': '1' });
    expect(createErrors(ds(full))).toEqual([]);
    const old = ds(full);
    const next = ds(full);
    v.applyDefaults(old);
    v.applyDefaults(next);
    (next.metadata.annotations as Record<string, string>)['deprecated.daemonset.template.generation'] = '2';
    expect(v.validateUpdate(next, old).map(fieldErrorString)).toEqual([]);
    const over = (o: any) => (o.metadata.annotations = { a: 'x'.repeat(256 * 1024) });
    expect(createErrors(ds(over))).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
  });
});
