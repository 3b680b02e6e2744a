import { describe, expect, it } from 'vitest';
import { templateAsGoSees } from './pod-template.js';

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
};

describe('templateAsGoSees', () => {
  it('drops zero-valued value fields, empty lists at any depth and empty value maps, as Go encodes the template', () => {
    const t = deepFreeze({
      metadata: { labels: { app: 'a' }, annotations: {} },
      spec: {
        hostNetwork: false,
        hostPID: false,
        dnsPolicy: '',
        nodeSelector: {},
        tolerations: [{ key: 'k', operator: 'Exists', value: '', effect: '' }],
        containers: [
          {
            name: 'c',
            image: 'busybox:1',
            ports: [{ containerPort: 0, hostPort: 0, name: '', protocol: 'TCP' }],
            env: [{ name: 'A', value: '' }],
            volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: false }],
            resources: {},
            securityContext: { capabilities: { drop: [] } },
            livenessProbe: { initialDelaySeconds: 0, periodSeconds: 10, httpGet: { path: '', port: 80, httpHeaders: [] } },
          },
        ],
        volumes: [{ name: 'v', emptyDir: { medium: '' } }],
      },
    });
    expect(templateAsGoSees(t)).toEqual({
      metadata: { labels: { app: 'a' } },
      spec: {
        tolerations: [{ key: 'k', operator: 'Exists' }],
        containers: [
          {
            name: 'c',
            image: 'busybox:1',
            // containerPort is not omitempty in Go: kept.
            ports: [{ containerPort: 0, protocol: 'TCP' }],
            env: [{ name: 'A' }],
            volumeMounts: [{ name: 'v', mountPath: '/v' }],
            securityContext: { capabilities: {} },
            livenessProbe: { periodSeconds: 10, httpGet: { port: 80 } },
          },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    });
  });

  it('keeps pointer fields at their zero values, and returns the template itself when nothing is dropped', () => {
    const t = deepFreeze({
      metadata: { labels: { app: 'a' } },
      spec: {
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        securityContext: { runAsUser: 0, runAsNonRoot: false },
        containers: [{ name: 'c', image: 'x', securityContext: { privileged: false, readOnlyRootFilesystem: false, runAsUser: 0 } }],
      },
    });
    expect(templateAsGoSees(t)).toBe(t);
  });

  it('drops empty resource lists, omitempty references and hosts, and empty selector maps at their depths', () => {
    const t = deepFreeze({
      metadata: {},
      spec: {
        imagePullSecrets: [{ name: '' }],
        containers: [
          {
            name: 'c',
            resources: { limits: {}, requests: { cpu: '1500m' } },
            envFrom: [{ prefix: '', configMapRef: { name: 'cfg', optional: false } }],
            env: [{ name: 'N', valueFrom: { fieldRef: { apiVersion: '', fieldPath: 'spec.nodeName' } } }],
            readinessProbe: { tcpSocket: { port: 80, host: '' } },
            lifecycle: { preStop: { tcpSocket: { port: 81, host: '' } } },
          },
        ],
        volumes: [
          { name: 'p', persistentVolumeClaim: { claimName: 'c', readOnly: false } },
          { name: 'x', csi: { driver: 'd', readOnly: false, volumeAttributes: {} } },
        ],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k', labelSelector: { matchLabels: {}, matchExpressions: [] } }] } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'k', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: {} } }],
      },
    });
    expect(templateAsGoSees(t)).toEqual({
      metadata: {},
      spec: {
        imagePullSecrets: [{}],
        containers: [
          {
            name: 'c',
            resources: { requests: { cpu: '1500m' } },
            // `optional` is a pointer: false stays.
            envFrom: [{ configMapRef: { name: 'cfg', optional: false } }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            readinessProbe: { tcpSocket: { port: 80 } },
            lifecycle: { preStop: { tcpSocket: { port: 81 } } },
          },
        ],
        // A CSI volume's readOnly is a pointer: false stays.
        volumes: [
          { name: 'p', persistentVolumeClaim: { claimName: 'c' } },
          { name: 'x', csi: { driver: 'd', readOnly: false } },
        ],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k', labelSelector: {} }] } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'k', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {} }],
      },
    });
    // Removing `limits: {}` is no change of the template.
    const without = { ...t, spec: { ...t.spec, containers: [{ ...t.spec.containers[0]!, resources: { requests: { cpu: '1500m' } } }] } };
    expect(templateAsGoSees(without)).toEqual(templateAsGoSees(t));
  });
});
