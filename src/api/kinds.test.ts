import { describe, expect, it } from 'vitest';
import { KindRegistry, builtinKinds, groupKindOf, groupVersionOf, newKindRegistry } from './kinds.js';

describe('KindRegistry', () => {
  it('looks kinds up by resource, kind and short name', () => {
    const r = newKindRegistry();
    const ds = r.byResource('apps', 'v1', 'daemonsets')!;
    expect(ds).toMatchObject({ kind: 'DaemonSet', listKind: 'DaemonSetList', singular: 'daemonset', namespaced: true, hasStatus: true, tracksGeneration: true });
    expect(r.byKind('', 'v1', 'Pod')?.plural).toBe('pods');
    expect(r.byShortName('no')?.kind).toBe('Node');
    expect(r.byName('PC').map((k) => k.kind)).toEqual(['PriorityClass']);
    expect(groupVersionOf(ds)).toBe('apps/v1');
    expect(groupKindOf(r.byKind('', 'v1', 'Pod')!)).toBe('/Pod');
  });

  it('is data: kinds can be added and removed at run time, bumping the version', () => {
    const r = new KindRegistry(builtinKinds());
    const v = r.version;
    r.add({ ...r.byResource('', 'v1', 'configmaps')!, group: 'example.com', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', shortNames: ['wd'] });
    expect(r.version).toBeGreaterThan(v);
    expect(r.groupVersions().map(groupVersionOf)).toContain('example.com/v1');
    expect(r.groupVersions()[0]).toEqual({ group: '', version: 'v1' });
    expect(r.remove('example.com', 'v1', 'widgets')).toBe(true);
    expect(r.byShortName('wd')).toBeUndefined();
  });

  it('gives Namespace upstream\'s verbs: no deletecollection (its collection DELETE is 405)', () => {
    const r = newKindRegistry();
    expect(r.byResource('', 'v1', 'namespaces')!.verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    expect(r.byResource('', 'v1', 'pods')!.verbs).toContain('deletecollection');
    expect(r.byResource('', 'v1', 'pods')!.connectSubresources).toEqual(['attach', 'exec', 'portforward', 'proxy']);
  });
});
