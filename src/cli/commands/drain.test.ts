import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types.js';
import { podsForDeletion } from './drain.js';

const pod = (name: string, o: { owner?: string; emptyDir?: boolean; phase?: string; mirror?: boolean } = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner, name: 'o', uid: 'u', controller: true }] } : {}),
      ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'h' } } : {}),
    },
    spec: { containers: [], ...(o.emptyDir ? { volumes: [{ name: 'v', emptyDir: {} }] } : {}) },
    status: { phase: o.phase ?? 'Running' },
  }) as Pod;

describe('podsForDeletion (kubectl drain filters)', () => {
  const all = [pod('ds', { owner: 'DaemonSet' }), pod('mirror', { mirror: true }), pod('bare'), pod('scratch', { owner: 'ReplicaSet', emptyDir: true }), pod('done', { phase: 'Succeeded' }), pod('managed', { owner: 'ReplicaSet' })];

  it('without flags: DaemonSet, unmanaged and emptyDir pods are errors; finished and managed pods go; mirror pods are skipped', () => {
    const r = podsForDeletion(all, { ignoreDaemonsets: false, deleteEmptyDirData: false, force: false });
    expect(r.remove.map((p) => p.metadata.name)).toEqual(['done', 'managed']);
    expect([...r.errors]).toEqual([
      ['cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)', ['ns/ds']],
      ['cannot delete Pods that declare no controller (use --force to override)', ['ns/bare']],
      ['cannot delete Pods with local storage (use --delete-emptydir-data to override)', ['ns/scratch']],
    ]);
    expect(r.warnings.size).toBe(0);
  });

  it('with the flags: the same pods become warnings, and DaemonSet pods stay', () => {
    const r = podsForDeletion(all, { ignoreDaemonsets: true, deleteEmptyDirData: true, force: true });
    expect(r.remove.map((p) => p.metadata.name)).toEqual(['bare', 'scratch', 'done', 'managed']);
    expect(r.errors.size).toBe(0);
    expect([...r.warnings.keys()]).toEqual(['ignoring DaemonSet-managed Pods', 'deleting Pods that declare no controller', 'deleting Pods with local storage']);
  });

  it('a daemon pod whose DaemonSet is gone is an error, or removed with --force', () => {
    const orphan = [pod('orphan', { owner: 'DaemonSet' })];
    const missingDaemonSets = new Set(['ns/o']);
    const strict = podsForDeletion(orphan, { ignoreDaemonsets: true, deleteEmptyDirData: false, force: false, missingDaemonSets });
    expect([...strict.errors]).toEqual([['daemonsets.apps "o" not found', ['ns/orphan']]]);
    const forced = podsForDeletion(orphan, { ignoreDaemonsets: true, deleteEmptyDirData: false, force: true, missingDaemonSets });
    expect(forced.remove.map((p) => p.metadata.name)).toEqual(['orphan']);
    expect([...forced.warnings.keys()]).toEqual(['daemonsets.apps "o" not found']);
  });
});
