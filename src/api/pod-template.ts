// A pod template as Go's typed encoding sees it. Upstream decodes a template into Go structs:
// a field that is a value (not a pointer) and `omitempty` holds its zero value (`false`, `0`,
// `""`) whether the body sent that value or nothing, and is not encoded either way; a list or map
// is nil or empty, which apiequality.Semantic.DeepEqual treats alike at every depth. So
// `hostNetwork: false`, `hostPort: 0`, `readOnly: false`, `env[].value: ""`, `tolerations: []`
// and `capabilities.drop: []` are all the same template there as the field absent. everynode
// stores bodies as sent, so comparisons of templates that must agree with upstream (a DaemonSet's
// generation, its revisions) go through this view.
//
// Pointer fields keep their zero values (`runAsUser: 0` is root, not the image's user;
// `privileged: false` is a pointer too): only the value fields listed below are dropped.

import { isObject } from './patch/json-value.js';
import type { PodTemplateSpec } from './types.js';

/** A Go struct type of the template: its zero-omitted value scalars and maps, and its typed children. */
interface GoStruct {
  /** `omitempty` fields of a value type (bool, integer, string): dropped when false, 0 or "". */
  zero?: readonly string[];
  /** `omitempty` maps and value structs: dropped when `{}`. */
  emptyMaps?: readonly string[];
  /** Fields holding a struct, or (as a one-element array) a list of structs, of a known type. */
  fields?: Record<string, GoStruct | readonly [GoStruct]>;
}

const httpGet: GoStruct = { zero: ['path', 'host', 'scheme'] };
const tcpSocket: GoStruct = { zero: ['host'] };
const handler: GoStruct = { fields: { httpGet, tcpSocket } };
const probe: GoStruct = { zero: ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'], fields: { httpGet, tcpSocket } };
/** LocalObjectReference, inlined in several references: its name is `omitempty`. */
const localRef: GoStruct = { zero: ['name'] };
const fieldRef: GoStruct = { zero: ['apiVersion'] };
const resourceFieldRef: GoStruct = { zero: ['containerName'] };
const labelSelector: GoStruct = { emptyMaps: ['matchLabels'] };
const seLinuxOptions: GoStruct = { zero: ['user', 'role', 'type', 'level'] };
const container: GoStruct = {
  zero: ['image', 'workingDir', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'stdin', 'stdinOnce', 'tty', 'targetContainerName'],
  // `resources` is a struct value, which Go always encodes: `resources: {}` and none are one value.
  emptyMaps: ['resources'],
  fields: {
    ports: [{ zero: ['name', 'hostPort', 'protocol', 'hostIP'] }],
    env: [{ zero: ['value'], fields: { valueFrom: { fields: { fieldRef, resourceFieldRef, configMapKeyRef: localRef, secretKeyRef: localRef } } } }],
    envFrom: [{ zero: ['prefix'], fields: { configMapRef: localRef, secretRef: localRef } }],
    volumeMounts: [{ zero: ['readOnly', 'subPath', 'subPathExpr'] }],
    // ResourceList maps are `omitempty`: `limits: {}` is no limits.
    resources: { emptyMaps: ['limits', 'requests'] },
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: { fields: { postStart: handler, preStop: handler } },
    securityContext: { fields: { seLinuxOptions } },
  },
};
const podAffinityTerm: GoStruct = { fields: { labelSelector, namespaceSelector: labelSelector } };
const podAffinity: GoStruct = {
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: [podAffinityTerm],
    preferredDuringSchedulingIgnoredDuringExecution: [{ fields: { podAffinityTerm } }],
  },
};
const podSpec: GoStruct = {
  zero: ['restartPolicy', 'dnsPolicy', 'serviceAccountName', 'serviceAccount', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'hostname', 'subdomain', 'schedulerName', 'priorityClassName'],
  emptyMaps: ['nodeSelector', 'overhead'],
  fields: {
    initContainers: [container],
    containers: [container],
    ephemeralContainers: [container],
    imagePullSecrets: [localRef],
    tolerations: [{ zero: ['key', 'operator', 'value', 'effect'] }],
    volumes: [
      {
        fields: {
          emptyDir: { zero: ['medium'] },
          configMap: localRef,
          secret: { zero: ['secretName'] },
          persistentVolumeClaim: { zero: ['readOnly'] },
          nfs: { zero: ['readOnly'] },
          csi: { emptyMaps: ['volumeAttributes'], fields: { nodePublishSecretRef: localRef } },
          downwardAPI: { fields: { items: [{ fields: { fieldRef, resourceFieldRef } }] } },
          projected: {
            fields: {
              sources: [{ fields: { configMap: localRef, secret: localRef, serviceAccountToken: { zero: ['audience'] }, downwardAPI: { fields: { items: [{ fields: { fieldRef, resourceFieldRef } }] } } } }],
            },
          },
        },
      },
    ],
    securityContext: { fields: { seLinuxOptions } },
    affinity: { fields: { podAffinity, podAntiAffinity: podAffinity } },
    topologySpreadConstraints: [{ fields: { labelSelector } }],
    dnsConfig: { fields: { options: [{ zero: ['name'] }] } },
  },
};
const podTemplate: GoStruct = { fields: { metadata: { emptyMaps: ['labels', 'annotations'] }, spec: podSpec } };

type Obj = Record<string, unknown>;

function isZero(v: unknown): boolean {
  return v === false || v === 0 || v === '';
}

/** `v` as Go sees it (see the file comment); `v` itself when nothing changes. `t`: its known type, if any. */
function asGoSees(v: unknown, t: GoStruct | undefined): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = asGoSees(v[i], t);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  if (!isObject(v)) return v;
  let out: Obj | undefined;
  const drop = (k: string) => {
    out ??= { ...v };
    delete out[k];
  };
  for (const k of Object.keys(v)) {
    const x = v[k];
    // Every list, at any depth, is a Go slice: empty is nil.
    if (Array.isArray(x) && x.length === 0) drop(k);
    else if (t?.zero?.includes(k) && isZero(x)) drop(k);
    else if (t?.emptyMaps?.includes(k) && isObject(x) && Object.keys(x).length === 0) drop(k);
    else if (x !== null && typeof x === 'object') {
      const ft = t?.fields?.[k];
      const y = asGoSees(x, Array.isArray(ft) ? ft[0] : (ft as GoStruct | undefined));
      if (y !== x) (out ??= { ...v })[k] = y;
    }
  }
  return out ?? v;
}

/**
 * The template as Go's typed encoding sees it (see the file comment): without its zero-valued
 * value fields, its empty lists at every depth, and its empty maps and value structs (template
 * labels and annotations, nodeSelector, overhead, containers' `resources`). Returns the template
 * itself when nothing is dropped, else new objects down to what changed; never mutates its input.
 */
export function templateAsGoSees<T extends PodTemplateSpec | Obj>(t: T): T {
  return asGoSees(t, podTemplate) as T;
}

/**
 * A container (regular, init or ephemeral) as Go's typed encoding sees it, for comparisons that
 * must agree with upstream's apiequality.Semantic.DeepEqual (an existing ephemeral container
 * sent back unchanged by a client that drops zero values, or adds them). Never mutates its input.
 */
export function containerAsGoSees<T>(c: T): T {
  return asGoSees(c, container) as T;
}
