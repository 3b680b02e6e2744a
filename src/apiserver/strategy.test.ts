import { describe, expect, it } from 'vitest';
import { builtinKinds } from '../api/kinds.js';
import type { Pod } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { admitCreate, checkName, dedupOwnerReferences, prepareForCreate, prepareForEphemeralContainersUpdate, prepareForUpdate } from './strategy.js';

const podKind = builtinKinds().find((k) => k.group === '' && k.kind === 'Pod')!;
const dsKind = builtinKinds().find((k) => k.group === 'apps' && k.kind === 'DaemonSet')!;
const pod = (tolerations?: Pod['spec']['tolerations']): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }], ...(tolerations ? { tolerations } : {}) } });
const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };

describe('admitCreate: DefaultTolerationSeconds', () => {
  it('gives a pod without them 300 s tolerations of the not-ready and unreachable NoExecute taints', () => {
    const p = pod([{ key: 'a', operator: 'Exists' }]);
    admitCreate(podKind, p);
    expect(p.spec.tolerations).toEqual([{ key: 'a', operator: 'Exists' }, notReady, unreachable]);
  });

  it('leaves what the pod already tolerates: its own seconds, an unbounded daemon toleration, a toleration of every key or effect', () => {
    const own = pod([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]);
    admitCreate(podKind, own);
    expect(own.spec.tolerations).toEqual([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, unreachable]);
    for (const all of [[{ operator: 'Exists' as const }], [{ operator: 'Exists' as const, effect: 'NoExecute' as const }]]) {
      const p = pod(all);
      admitCreate(podKind, p);
      expect(p.spec.tolerations).toEqual(all);
    }
    const noSchedule = pod([{ operator: 'Exists', effect: 'NoSchedule' }]);
    admitCreate(podKind, noSchedule);
    expect(noSchedule.spec.tolerations).toHaveLength(3);
  });

  it('touches nothing but pods', () => {
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: {} };
    admitCreate(dsKind, ds as never);
    expect(ds.spec).toEqual({});
  });
});

describe('checkName (updates and patches)', () => {
  const obj = (name?: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: name === undefined ? { labels: { a: 'b' } } : { name } });

  it('accepts the URL name', () => {
    expect(() => checkName(obj('x'), 'x')).not.toThrow();
  });

  it('refuses an object without a name with 400 rather than filling it in (upstream: undeterminable)', () => {
    for (const o of [obj(), obj('')]) {
      let err: unknown;
      try {
        checkName(o, 'x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
      expect((err as ApiError).message).toBe('the name of the object (x based on URL) was undeterminable: name must be provided');
      expect(o.metadata.name === undefined || o.metadata.name === '').toBe(true);
    }
  });

  it('refuses another name with 400', () => {
    expect(() => checkName(obj('y'), 'x')).toThrow('the name of the object (y) does not match the name on the URL (x)');
  });
});

describe('empty metadata lists and maps', () => {
  it('are dropped on create and update, as upstream stores them omitempty', () => {
    const k = builtinKinds().find((x) => x.group === '' && x.kind === 'ConfigMap')!;
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: {}, annotations: { a: 'b' }, finalizers: [], ownerReferences: [] } } as unknown as KubeObject;
    prepareForCreate(k, obj, Date.parse('2026-11-30T00:00:00Z'));
    expect(Object.keys(obj.metadata).sort()).toEqual(['annotations', 'creationTimestamp', 'name', 'uid']);
    const next = { ...obj, metadata: { ...obj.metadata, ownerReferences: [], labels: {} } } as KubeObject;
    prepareForUpdate(k, next, obj);
    expect(next.metadata.ownerReferences).toBeUndefined();
    expect(next.metadata.labels).toBeUndefined();
  });
});

describe('DaemonSet generation', () => {
  const ds = (spec: Record<string, unknown>): KubeObject =>
    ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd', namespace: 'n', uid: 'u', generation: 3 }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }, ...spec } }) as unknown as KubeObject;

  it('does not move when minReadySeconds: 0 is only written out or dropped (an int32: 0 is absent in Go)', () => {
    for (const [from, to] of [[{}, { minReadySeconds: 0 }], [{ minReadySeconds: 0 }, {}], [{}, { minReadySeconds: null }]] as const) {
      const next = ds(to);
      prepareForUpdate(dsKind, next, ds(from));
      expect(next.metadata.generation).toBe(3);
    }
  });

  it('moves when minReadySeconds changes value, and keeps a pointer field\'s zero as a change', () => {
    const next = ds({ minReadySeconds: 5 });
    prepareForUpdate(dsKind, next, ds({ minReadySeconds: 0 }));
    expect(next.metadata.generation).toBe(4);
    const limit = ds({ revisionHistoryLimit: 0 });
    prepareForUpdate(dsKind, limit, ds({}));
    expect(limit.metadata.generation).toBe(4);
  });
});

describe('the template generation annotation on create', () => {
  const ds = (v: string): KubeObject =>
    ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd', namespace: 'n', annotations: { 'deprecated.daemonset.template.generation': v } }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }) as unknown as KubeObject;
  const refusal = (v: string): ApiError => {
    try {
      prepareForCreate(dsKind, ds(v), 0);
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    throw new Error(`accepted ${v}`);
  };

  it("refuses a value that is not an int64 in the words of upstream's conversion (400)", () => {
    expect(refusal('abc')).toMatchObject({ code: 400, reason: 'BadRequest', message: 'DaemonSet in version "v1" cannot be handled as a DaemonSet: strconv.ParseInt: parsing "abc": invalid syntax' });
    expect(refusal('1.5').message).toContain('parsing "1.5": invalid syntax');
    expect(refusal('9223372036854775808').message).toContain('parsing "9223372036854775808": value out of range');
  });

  it('refuses a malformed value in the body of an update too (as upstream decodes every write)', () => {
    const old = ds('3');
    const next = ds('x3');
    expect(() => prepareForUpdate(dsKind, next, old)).toThrow('strconv.ParseInt: parsing "x3": invalid syntax');
  });

  it('keeps a valid value (a sign allowed, as ParseInt)', () => {
    for (const [v, want] of [['7', '7'], ['+7', '7']] as const) {
      const o = ds(v);
      prepareForCreate(dsKind, o, 0);
      expect(o.metadata.annotations?.['deprecated.daemonset.template.generation']).toBe(want);
    }
  });
});

describe('dedupOwnerReferences', () => {
  const ref = (uid: string, more: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `o-${uid}`, uid, ...more });

  it('drops references equal to an earlier one, keeps those that share only the UID, and names the dropped UIDs', () => {
    const refs = [ref('a'), ref('b'), ref('a'), ref('a', { controller: true }), ref('b'), ref('a')];
    const metadata = Object.freeze({ name: 'x', ownerReferences: Object.freeze(refs) });
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata } as unknown as KubeObject;
    expect(dedupOwnerReferences(obj, false)).toBe('.metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: a, b, a');
    expect(obj.metadata.ownerReferences).toEqual([ref('a'), ref('b'), ref('a', { controller: true })]);
    // The metadata it was given is left alone (frozen here: a write would throw).
    expect(obj.metadata).not.toBe(metadata);
    expect(metadata.ownerReferences).toHaveLength(6);
  });

  it('words a patch warning as seen after mutating admission, and leaves objects without repeats as they are', () => {
    const obj = { metadata: { name: 'x', ownerReferences: [ref('a'), ref('a')] } } as unknown as KubeObject;
    expect(dedupOwnerReferences(obj, true)).toMatch(/^\.metadata\.ownerReferences contains duplicate entries after mutating admission happens; .*: a$/);
    const metadata = { name: 'y', ownerReferences: [ref('a'), ref('a', { blockOwnerDeletion: false })] };
    const other = { metadata } as unknown as KubeObject;
    expect(dedupOwnerReferences(other, false)).toBeUndefined();
    expect(other.metadata).toBe(metadata);
    expect(dedupOwnerReferences({ metadata: {} } as KubeObject, false)).toBeUndefined();
  });
});

describe('prepareForEphemeralContainersUpdate (pods/ephemeralcontainers)', () => {
  const stored = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', labels: { app: 'web' }, finalizers: ['f'], ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'n' }], managedFields: [{ manager: 'm' }] },
    spec: { containers: [{ name: 'c', image: 'i' }], nodeName: 'n' },
    status: { phase: 'Running' },
  });

  it('keeps all of the stored pod but the body\'s ephemeral containers', () => {
    const old = stored();
    const body = { ...stored(), metadata: { name: 'p', labels: { other: 'x' }, annotations: { a: 'b' }, deletionTimestamp: '2025-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c', image: 'other' }], ephemeralContainers: [{ name: 'e', image: 'busybox' }] }, status: { phase: 'Failed' } } as KubeObject;
    const next = prepareForEphemeralContainersUpdate(body, old);
    expect(next).toEqual({ ...stored(), spec: { ...(stored().spec as Record<string, unknown>), ephemeralContainers: [{ name: 'e', image: 'busybox' }] } });
    // The stored pod is not written to.
    expect(old).toEqual(stored());
  });

  it('a body without ephemeral containers leaves none (validation then refuses removing stored ones)', () => {
    const old = stored();
    (old.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'e', image: 'busybox' }];
    expect((prepareForEphemeralContainersUpdate(stored(), old).spec as Record<string, unknown>).ephemeralContainers).toBeUndefined();
  });
});
