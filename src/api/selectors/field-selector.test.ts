import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.js';
import type { KubeObject } from '../types.js';
import { checkFieldSelector, convertFieldSelector, parseFieldSelector, selectableFields } from './index.js';

describe('parseFieldSelector', () => {
  const cases: [string, { field: string; op: string; value: string }[], string][] = [
    ['', [], ''],
    ['metadata.name=x', [{ field: 'metadata.name', op: '=', value: 'x' }], 'metadata.name=x'],
    ['metadata.name==x', [{ field: 'metadata.name', op: '=', value: 'x' }], 'metadata.name=x'],
    ['status.phase!=Failed', [{ field: 'status.phase', op: '!=', value: 'Failed' }], 'status.phase!=Failed'],
    ['involvedObject.namespace=', [{ field: 'involvedObject.namespace', op: '=', value: '' }], 'involvedObject.namespace='],
    [
      'spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed',
      [
        { field: 'spec.nodeName', op: '=', value: 'n1' },
        { field: 'status.phase', op: '!=', value: 'Failed' },
        { field: 'status.phase', op: '!=', value: 'Succeeded' },
      ],
      'spec.nodeName=n1,status.phase!=Failed,status.phase!=Succeeded',
    ],
    ['a=x\\,y', [{ field: 'a', op: '=', value: 'x,y' }], 'a=x\\,y'],
    ['a=x\\=y\\\\', [{ field: 'a', op: '=', value: 'x=y\\' }], 'a=x\\=y\\\\'],
    ['a=b,,', [{ field: 'a', op: '=', value: 'b' }], 'a=b'],
  ];
  it.each(cases)('%j', (input, reqs, str) => {
    const sel = parseFieldSelector(input);
    expect(sel.requirements).toEqual(reqs);
    expect(sel.toString()).toBe(str);
    expect(sel.isEmpty()).toBe(reqs.length === 0);
  });

  const errors: [string, string][] = [
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b,foo', "invalid selector: 'a=b,foo'; can't understand 'foo'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  it.each(errors)('rejects %j', (input, message) => {
    const err = errorOf(() => parseFieldSelector(input));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });
});

describe('field selector matching against selectable fields', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', containers: [] },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], podIP: '10.0.0.5' },
  };
  it('pod fields', () => {
    expect(selectableFields('/Pod', pod)).toEqual({
      'metadata.name': 'p1',
      'metadata.namespace': 'default',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.5',
      'status.nominatedNodeName': '',
    });
  });

  const podCases: [string, boolean][] = [
    ['spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed', true],
    ['spec.nodeName=n2', false],
    ['metadata.name=p1', true],
    ['metadata.name!=p1', false],
    ['status.nominatedNodeName=', true],
    ['spec.hostNetwork=false', true],
    ['status.podIP=10.0.0.5', true],
  ];
  it.each(podCases)('pod %j = %s', (s, want) => {
    const sel = parseFieldSelector(s);
    checkFieldSelector('/Pod', sel);
    expect(sel.matches(selectableFields('/Pod', pod))).toBe(want);
  });

  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'ds.1', namespace: 'default' },
    involvedObject: { kind: 'DaemonSet', namespace: 'default', name: 'ds', uid: 'u-1', apiVersion: 'apps/v1' },
    reason: 'SuccessfulCreate',
    type: 'Normal',
    source: { component: 'daemonset-controller' },
  };
  const nodeEvent: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'n1.1', namespace: 'default' },
    involvedObject: { kind: 'Node', name: 'n1', uid: 'n1' },
    reason: 'NodeReady',
    reportingComponent: 'kubelet',
  };
  const eventCases: [KubeObject, string, boolean][] = [
    [event, 'involvedObject.uid=u-1,involvedObject.name=ds,involvedObject.namespace=default,involvedObject.kind=DaemonSet', true],
    [event, 'involvedObject.kind=DaemonSet,involvedObject.name=other', false],
    [event, 'source=daemonset-controller,type=Normal,reason=SuccessfulCreate', true],
    [nodeEvent, 'involvedObject.kind=Node,involvedObject.uid=n1,involvedObject.name=n1,involvedObject.namespace=', true],
    [event, 'involvedObject.namespace=', false],
    [nodeEvent, 'source=kubelet,reportingComponent=kubelet', true],
  ];
  it.each(eventCases)('event %#: %j', (obj, s, want) => {
    const sel = parseFieldSelector(s);
    checkFieldSelector('/Event', sel);
    expect(sel.matches(selectableFields('/Event', obj))).toBe(want);
  });

  it('nodes: spec.unschedulable', () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } };
    const f = selectableFields('/Node', node);
    expect(parseFieldSelector('spec.unschedulable=true').matches(f)).toBe(true);
    expect(parseFieldSelector('metadata.name=n1').matches(f)).toBe(true);
  });

  it('replica sets and replication controllers: status.replicas, 0 when absent (Go\'s zero)', () => {
    for (const gk of ['apps/ReplicaSet', '/ReplicationController']) {
      const none: KubeObject = { apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'ns' }, status: {} };
      const three: KubeObject = { ...none, status: { replicas: 3 } };
      expect(selectableFields(gk, none)).toEqual({ 'metadata.name': 'a', 'metadata.namespace': 'ns', 'status.replicas': '0' });
      expect(parseFieldSelector('status.replicas=0').matches(selectableFields(gk, none))).toBe(true);
      expect(parseFieldSelector('status.replicas!=0').matches(selectableFields(gk, three))).toBe(true);
    }
  });

  it('default kinds: metadata.name and metadata.namespace', () => {
    const ds: KubeObject = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x', namespace: 'ns' } };
    expect(selectableFields('apps/DaemonSet', ds)).toEqual({ 'metadata.name': 'x', 'metadata.namespace': 'ns' });
    expect(parseFieldSelector('metadata.name=x').matches(selectableFields('apps/DaemonSet', ds))).toBe(true);
  });
});

describe('checkFieldSelector: unsupported labels', () => {
  const cases: [string, string, string][] = [
    ['/Pod', 'status.hostIP=1.2.3.4', 'field label not supported: status.hostIP'],
    ['/Node', 'metadata.namespace=x', 'field label not supported: metadata.namespace'],
    ['/Event', 'involvedObject.foo=x', 'field label not supported: involvedObject.foo'],
    ['apps/ReplicaSet', 'spec.replicas=1', 'field label not supported: spec.replicas'],
    ['/ReplicationController', 'spec.replicas=1', 'field label not supported: spec.replicas'],
    ['apps/DaemonSet', 'spec.foo=x', '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'],
  ];
  it.each(cases)('%s %j', (gk, s, message) => {
    const err = errorOf(() => checkFieldSelector(gk, parseFieldSelector(s)));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });

  it('pods: legacy spec.host is renamed to spec.nodeName', () => {
    const sel = convertFieldSelector('/Pod', parseFieldSelector('spec.host=n1'));
    expect(sel.requirements).toEqual([{ field: 'spec.nodeName', op: '=', value: 'n1' }]);
  });
});

describe('custom resources: their CRD version\'s selectableFields', () => {
  const fields = { namespaced: true, jsonPaths: ['.spec.color', '.spec.size', '.spec.on', ".spec.labels['a.b']", '.spec.missing'] };
  const w: KubeObject = { apiVersion: 'ex.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' }, spec: { color: 'blue', size: 3, on: false, labels: { 'a.b': 'x' } } } as KubeObject;

  it('values as upstream renders them: strings as they are, integers and booleans in words, absent as empty', () => {
    expect(selectableFields('ex.com/Widget', w, fields)).toEqual({ 'metadata.name': 'w', 'metadata.namespace': 'ns', 'spec.color': 'blue', 'spec.size': '3', 'spec.on': 'false', "spec.labels['a.b']": 'x', 'spec.missing': '' });
    const sel = convertFieldSelector('ex.com/Widget', parseFieldSelector('spec.color=blue,spec.size=3,spec.on!=true,spec.missing='), fields);
    expect(sel.matches(selectableFields('ex.com/Widget', w, fields))).toBe(true);
    expect(parseFieldSelector('spec.color=red').matches(selectableFields('ex.com/Widget', w, fields))).toBe(false);
  });

  it('refuses other labels with upstream\'s custom resource message; cluster-scoped kinds have no metadata.namespace', () => {
    expect(errorOf(() => checkFieldSelector('ex.com/Widget', parseFieldSelector('spec.shape=round'), fields)).message).toBe('field label not supported: spec.shape');
    const cluster = { namespaced: false, jsonPaths: ['.spec.color'] };
    expect(errorOf(() => checkFieldSelector('ex.com/Widget', parseFieldSelector('metadata.namespace=ns'), cluster)).message).toBe('field label not supported: metadata.namespace');
    expect(() => checkFieldSelector('ex.com/Widget', parseFieldSelector('metadata.name=w,spec.color=blue'), cluster)).not.toThrow();
  });
});
