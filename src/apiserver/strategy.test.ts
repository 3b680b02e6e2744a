import { describe, expect, it } from 'vitest';
import { builtinKinds } from '../api/kinds.js';
import type { Pod } from '../api/types.js';
import { admitCreate } from './strategy.js';

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
