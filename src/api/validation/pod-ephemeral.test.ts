// Ephemeral containers: upstream's validateEphemeralContainers (part of every PodSpec's
// validation) and ValidatePodEphemeralContainersUpdate (pods/NAME/ephemeralcontainers), and the
// plain pod update that may not touch them.
import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const v = validationFor('/Pod');

/** A stored pod: defaulted, with the metadata the registry gives it. */
function stored(mutate: (p: any) => void = () => {}): any {
  const p: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: {
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
      volumes: [{ name: 'data', emptyDir: {} }],
      nodeName: 'n1',
    },
    status: { phase: 'Running' },
  };
  mutate(p);
  v.applyDefaults(p as KubeObject);
  return p;
}

/** `old` with ephemeral containers `ecs` (defaulted, as the registry defaults a body). */
function withEphemeral(old: any, ecs: any[]): any {
  const next = structuredClone(old);
  next.spec.ephemeralContainers = ecs;
  v.applyDefaults(next as KubeObject);
  return next;
}

function update(old: any, ecs: any[]): string[] {
  return v.validateEphemeralContainersUpdate!(withEphemeral(old, ecs) as KubeObject, old as KubeObject).map(fieldErrorString);
}

const e0 = 'spec.ephemeralContainers[0]';
const debugger_ = { name: 'debugger-abc', image: 'busybox', resources: {}, terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', stdin: true, tty: true };

describe('ephemeral container defaults', () => {
  it('get the container defaults', () => {
    const next = withEphemeral(stored(), [{ name: 'dbg', image: 'busybox' }]);
    expect(next.spec.ephemeralContainers[0]).toEqual({ name: 'dbg', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  });
});

describe('pods/ephemeralcontainers update validation', () => {
  it('accepts what kubectl debug adds, and a targeted one', () => {
    expect(update(stored(), [debugger_])).toEqual([]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', targetContainerName: 'app', command: ['sleep', '1000'], env: [{ name: 'A', value: '1' }], volumeMounts: [{ name: 'data', mountPath: '/data' }], securityContext: { privileged: true } }])).toEqual([]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', targetContainerName: 'setup' }])).toEqual([]);
  });

  it('gives the new containers the checks every container gets', () => {
    expect(update(stored(), [{ name: 'Bad_Name', image: '' }])).toEqual([
      `${e0}.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      `${e0}.image: Required value`,
    ]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', env: [{ name: '' }], volumeMounts: [{ name: 'nope', mountPath: '/x' }] }])).toEqual([
      `${e0}.env[0].name: Required value`,
      `${e0}.volumeMounts[0].name: Not found: "nope"`,
    ]);
    expect(update(stored(), [{ name: 'dbg', image: ' busybox' }])).toEqual([`${e0}.image: Invalid value: " busybox": must not have leading or trailing whitespace`]);
  });

  it('names are unique across containers, init containers and ephemeral containers', () => {
    expect(update(stored(), [{ name: 'app', image: 'busybox' }])).toEqual([`${e0}.name: Duplicate value: "app"`]);
    expect(update(stored(), [{ name: 'setup', image: 'busybox' }])).toEqual([`${e0}.name: Duplicate value: "setup"`]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox' }, { name: 'dbg', image: 'busybox' }])).toEqual(['spec.ephemeralContainers[1].name: Duplicate value: "dbg"']);
  });

  it('a target must be a container or an init container', () => {
    const old = withEphemeral(stored(), [{ name: 'first', image: 'busybox' }]);
    expect(update(old, [{ name: 'first', image: 'busybox' }, { name: 'dbg', image: 'busybox', targetContainerName: 'first' }])).toEqual([
      'spec.ephemeralContainers[1].targetContainerName: Not found: "first"',
    ]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', targetContainerName: 'nope' }])).toEqual([`${e0}.targetContainerName: Not found: "nope"`]);
  });

  it('refuses the fields a debugging container may not have, in upstream order', () => {
    const probe = { exec: { command: ['true'] } };
    const got = update(stored(), [
      {
        name: 'dbg',
        image: 'busybox',
        ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: '1' } },
        resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
        restartPolicy: 'Always',
        livenessProbe: probe,
        readinessProbe: probe,
        startupProbe: probe,
        lifecycle: { preStop: probe },
      },
    ]);
    const forbidden = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'].map((f) => `${e0}.${f}: Forbidden: cannot be set for an Ephemeral Container`);
    expect(got.slice(-forbidden.length)).toEqual(forbidden);
  });

  it('an empty resources is no resources; an empty list of ports is a list, as in Go', () => {
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', resources: {} }])).toEqual([]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', resources: { limits: null } }])).toEqual([]);
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', ports: [] }])).toEqual([`${e0}.ports: Forbidden: cannot be set for an Ephemeral Container`]);
  });

  it('refuses volume mount subPath and subPathExpr', () => {
    expect(update(stored(), [{ name: 'dbg', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/a', subPath: 'x' }, { name: 'data', mountPath: '/b', subPathExpr: '$(POD)' }] }])).toEqual([
      `${e0}.volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container`,
      `${e0}.volumeMounts[1].subPathExpr: Forbidden: cannot be set for an Ephemeral Container`,
    ]);
  });

  it('existing ephemeral containers may be neither removed nor changed; kept ones may come in any order', () => {
    const old = withEphemeral(stored(), [{ name: 'one', image: 'busybox' }, { name: 'two', image: 'busybox' }]);
    expect(update(old, [{ name: 'two', image: 'busybox' }, { name: 'one', image: 'busybox' }, { name: 'three', image: 'busybox' }])).toEqual([]);
    expect(update(old, [{ name: 'two', image: 'busybox' }])).toEqual(['spec.ephemeralContainers: Forbidden: existing ephemeral containers "one" may not be removed\n']);
    expect(update(old, [{ name: 'one', image: 'alpine' }, { name: 'two', image: 'busybox', command: ['sh'] }])).toEqual([
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "one" may not be changed\n- image: "busybox"\n+ image: "alpine"',
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "two" may not be changed\n+ command: ["sh"]',
    ]);
  });

  it('compares existing ones as Go values: zero values and empty lists are no change', () => {
    const old = withEphemeral(stored(), [{ name: 'one', image: 'busybox', stdin: true }]);
    expect(update(old, [{ ...old.spec.ephemeralContainers[0], tty: false, args: [], workingDir: '' }])).toEqual([]);
    expect(update(old, [{ ...old.spec.ephemeralContainers[0], stdin: false }])).toEqual([
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "one" may not be changed\n- stdin: true',
    ]);
  });

  it('a static (mirror) pod refuses ephemeral containers with that error alone', () => {
    const old = stored((p) => (p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' }));
    const errs = v.validateEphemeralContainersUpdate!(withEphemeral(old, [{ name: 'app', image: '' }]) as KubeObject, old as KubeObject);
    expect(errs).toEqual([{ type: 'FieldValueForbidden', field: '', detail: 'static pods do not support ephemeral containers' }]);
    expect(errs.map(fieldErrorString)).toEqual([': Forbidden: static pods do not support ephemeral containers']);
  });

  it('validates the metadata update', () => {
    const old = stored();
    const next = withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]);
    next.metadata.uid = 'other';
    expect(v.validateEphemeralContainersUpdate!(next as KubeObject, old as KubeObject).map(fieldErrorString)).toEqual(['metadata.uid: Invalid value: "other": field is immutable']);
  });
});

describe('a pod update without the subresource', () => {
  const changed = (old: any, next: any) => v.validateUpdate(next as KubeObject, old as KubeObject).map(fieldErrorString);

  it('may not add, change or remove ephemeral containers', () => {
    const old = stored();
    const added = changed(old, withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,/);
    expect(added[0]).toContain('ephemeralContainers');
    const has = withEphemeral(old, [{ name: 'dbg', image: 'busybox' }]);
    expect(changed(has, withEphemeral(has, [{ name: 'dbg', image: 'alpine' }]))[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
    const removed = structuredClone(has);
    delete removed.spec.ephemeralContainers;
    expect(changed(has, removed)[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
  });

  it('that leaves them as stored passes', () => {
    const has = withEphemeral(stored(), [{ name: 'dbg', image: 'busybox' }]);
    const next = structuredClone(has);
    next.metadata.labels = { app: 'web' };
    next.spec.containers[0].image = 'nginx:1.28';
    expect(changed(has, next)).toEqual([]);
  });
});

describe('ephemeral containers in other specs', () => {
  it('a create refuses them, and validates them too, as upstream', () => {
    const p = stored((x) => (x.spec.ephemeralContainers = [{ name: 'app', image: 'busybox' }]));
    expect(v.validateCreate(p as KubeObject).map(fieldErrorString)).toEqual([`${e0}.name: Duplicate value: "app"`, 'spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });

  it('a template refuses them, and validates them too', () => {
    const ds: any = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: 'default' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }], ephemeralContainers: [{ name: 'e', image: 'x', ports: [{ containerPort: 1 }] }] } } },
    };
    const dv = validationFor('apps/DaemonSet');
    dv.applyDefaults(ds as KubeObject);
    expect(dv.validateCreate(ds as KubeObject).map(fieldErrorString)).toEqual([
      'spec.template.spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
    ]);
  });
});
