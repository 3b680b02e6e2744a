import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { decodeProtobufObject, deleteOptionsGroupKind, encodeProtobufObject } from './protobuf.js';

describe('protobuf request bodies', () => {
  it('decodes the ConfigMap body kubectl 1.32 sends for `create configmap cap1 --from-literal=k=v -n ns1`', () => {
    // Captured from kubectl.1.32 against a recording server.
    const body = Buffer.from('azhzAAoPCgJ2MRIJQ29uZmlnTWFwEiEKFwoEY2FwMRIAGgNuczEiACoAMgA4AEIAEgYKAWsSAXYaACIA', 'base64');
    expect(decodeProtobufObject(body, '/ConfigMap')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cap1', namespace: 'ns1' }, data: { k: 'v' } });
  });

  it('round-trips kinds with nested messages, maps, bytes, pointers and int-or-string', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', labels: { app: 's' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', controller: false }] },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }, { port: 0, targetPort: 8080 }], selector: { app: 's' }, allocateLoadBalancerNodePorts: false, type: 'ClusterIP' },
    };
    const out = decodeProtobufObject(encodeProtobufObject(svc, '/Service'), '/Service');
    expect(out).toEqual(svc);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, data: { a: Buffer.from([0, 1, 255]).toString('base64') }, immutable: false, type: 'Opaque' };
    expect(decodeProtobufObject(encodeProtobufObject(secret, '/Secret'), '/Secret')).toEqual(secret);
    const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'zero' }, value: 0 };
    expect(decodeProtobufObject(encodeProtobufObject(pc, 'scheduling.k8s.io/PriorityClass'), 'scheduling.k8s.io/PriorityClass')).toEqual(pc);
  });

  it('decodes the DeleteOptions kubectl 1.32 `drain --grace-period=7` sends with its typed pod delete', () => {
    // Captured from kubectl 1.32 against the server.
    const body = Buffer.from('azhzAAoTCgJ2MRINRGVsZXRlT3B0aW9ucxICCAcaACIA', 'base64');
    expect(decodeProtobufObject(body, deleteOptionsGroupKind)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 7 });
  });

  it('round-trips DeleteOptions, keeping zero values of the pointer fields', () => {
    const opts = {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'u-1', resourceVersion: '' },
      orphanDependents: false,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    };
    expect(decodeProtobufObject(encodeProtobufObject(opts, deleteOptionsGroupKind), deleteOptionsGroupKind)).toEqual(opts);
  });

  it('rejects unknown kinds (415) and malformed bodies (400)', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('did not throw');
    };
    expect(err(() => decodeProtobufObject(Buffer.from('k8s\0'), 'apps/DaemonSet')).code).toBe(415);
    expect(err(() => decodeProtobufObject(Buffer.from('{"a":1}'), '/ConfigMap')).code).toBe(400);
    expect(err(() => decodeProtobufObject(Buffer.from([0x6b, 0x38, 0x73, 0, 0x12, 0x7f, 1]), '/ConfigMap')).code).toBe(400);
  });
});
