import { describe, expect, it } from 'vitest';
import { schemaFor } from '../schema/index.js';
import { deepFreeze, errorOf } from '../testing/index.js';
import type { SchemaNode } from '../schema/types.js';
import type { KubeObject } from '../types.js';
import { applyConfiguration, lastAppliedAnnotation, managerFromUserAgent, recordUpdate, validateFieldManager, type ManagedKind } from './index.js';
import { compare, difference, intersection, members, mergeApplied, pathString, removeFields, toFieldSet, union } from './fieldset.js';

const dsSchema = schemaFor({ group: 'apps', version: 'v1', kind: 'DaemonSet' })!;
const ds: ManagedKind = { schema: dsSchema, apiVersion: 'apps/v1', hasStatus: true };
const now = '2026-11-30T06:00:00Z';
const later = '2026-11-30T07:00:00Z';

/** A DaemonSet configuration as a user writes it. */
function config(over: { image?: string; env?: Array<{ name: string; value: string }>; nodeSelector?: Record<string, string>; tolerations?: unknown[]; labels?: Record<string, string> } = {}): KubeObject {
  const container: Record<string, unknown> = { name: 'agent', image: over.image ?? 'busybox:1' };
  if (over.env) container.env = over.env;
  const podSpec: Record<string, unknown> = { containers: [container] };
  if (over.nodeSelector) podSpec.nodeSelector = over.nodeSelector;
  if (over.tolerations) podSpec.tolerations = over.tolerations;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'x', ...(over.labels ? { labels: over.labels } : {}) },
    spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec } },
  };
}

function spec(o: KubeObject): any {
  return (o as any).spec.template.spec;
}

function apply(live: KubeObject | undefined, cfg: KubeObject, manager: string, force = false, at = now): KubeObject {
  return applyConfiguration(live, cfg, ds, { manager, force, subresource: '', now: at });
}


describe('field sets', () => {
  it('lists leaves, keyed items and map entries in the fieldsV1 form', () => {
    const s = toFieldSet(config({ env: [{ name: 'A', value: '1' }] }), dsSchema);
    const c = (s['f:spec']!['f:template']!['f:spec']!['f:containers']!) as any;
    expect(Object.keys(c)).toEqual(['k:{"name":"agent"}']);
    expect(c['k:{"name":"agent"}']['.']).toEqual({});
    expect(c['k:{"name":"agent"}']['f:env']['k:{"name":"A"}']['f:value']).toEqual({ '.': {} });
    // The selector is an atomic struct: one member, nothing below it.
    expect(s['f:spec']!['f:selector']).toEqual({ '.': {} });
    // Label map entries are members.
    expect(s['f:spec']!['f:template']!['f:metadata']!['f:labels']!['f:app']).toEqual({ '.': {} });
  });

  it('keys ports by containerPort and protocol, TCP by default', () => {
    const cfg = config();
    spec(cfg).containers[0].ports = [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }];
    const ports = toFieldSet(cfg, dsSchema)['f:spec']!['f:template']!['f:spec']!['f:containers']!['k:{"name":"agent"}']!['f:ports']!;
    expect(Object.keys(ports).sort()).toEqual(['k:{"containerPort":53,"protocol":"UDP"}', 'k:{"containerPort":80,"protocol":"TCP"}']);
    expect(pathString(['f:spec', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe('.spec.ports[containerPort=80,protocol="TCP"]');
  });

  it('algebra: union, difference, intersection and members', () => {
    const a = { 'f:a': { '.': {} }, 'f:b': { 'f:c': { '.': {} } } };
    const b = { 'f:b': { 'f:c': { '.': {} }, 'f:d': { '.': {} } } };
    expect(members(union(a, b))).toEqual([['f:a'], ['f:b', 'f:c'], ['f:b', 'f:d']]);
    expect(difference(a, b)).toEqual({ 'f:a': { '.': {} } });
    expect(intersection(a, b)).toEqual({ 'f:b': { 'f:c': { '.': {} } } });
  });

  it('compare tells added, removed and modified fields and items', () => {
    const a = config({ image: 'busybox:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] });
    const b = config({ image: 'busybox:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }] });
    const c = compare(a, b, dsSchema);
    expect(members(c.modified).map(pathString)).toEqual(['.spec.template.spec.containers[name="agent"].image']);
    expect(members(c.added).map(pathString).sort()).toEqual([
      '.spec.template.spec.containers[name="agent"].env[name="C"]',
      '.spec.template.spec.containers[name="agent"].env[name="C"].name',
      '.spec.template.spec.containers[name="agent"].env[name="C"].value',
    ]);
    expect(members(c.removed).map(pathString)).toContain('.spec.template.spec.containers[name="agent"].env[name="B"]');
  });

  it('merges keyed lists by key, replaces atomic values, and a null removes', () => {
    const live = config({ env: [{ name: 'A', value: '1' }], tolerations: [{ operator: 'Exists' }], nodeSelector: { a: '1', b: '2' } });
    const cfg = config({ env: [{ name: 'B', value: '2' }], tolerations: [{ key: 'k', operator: 'Exists' }], nodeSelector: { c: '3' } });
    spec(cfg).hostNetwork = null;
    spec(live).hostNetwork = true;
    const merged = mergeApplied(live, cfg, dsSchema) as KubeObject;
    expect(spec(merged).containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(spec(merged).tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
    expect(spec(merged).nodeSelector).toEqual({ c: '3' }); // atomic map
    expect(spec(merged).hostNetwork).toBeUndefined();
    expect(spec(live).containers[0].env).toHaveLength(1); // inputs untouched
  });

  it('removeFields takes out leaves and whole items', () => {
    const o = config({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], nodeSelector: { a: '1' } });
    removeFields(o as any, {
      'f:spec': { 'f:template': { 'f:spec': { 'f:nodeSelector': { '.': {} }, 'f:containers': { 'k:{"name":"agent"}': { 'f:env': { 'k:{"name":"B"}': { '.': {} } } } } } } },
    }, dsSchema);
    expect(spec(o).nodeSelector).toBeUndefined();
    expect(spec(o).containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });
});

describe('apply', () => {
  it('refuses a configuration that repeats a list key or a set value, naming each repeat as upstream (400, not upstream 500)', () => {
    const one = config({ env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] });
    one.metadata.namespace = 'ns';
    const e1 = errorOf(() => apply(undefined, deepFreeze(one), 'kubectl'));
    expect(e1.code).toBe(400);
    expect(e1.reason).toBe('BadRequest');
    expect(e1.message).toBe('failed to create typed patch object (ns/x; apps/v1, Kind=DaemonSet): .spec.template.spec.containers[name="agent"].env: duplicate entries for key [name="A"]');

    // Several: upstream's "errors:" list, a key three times giving two; a set (finalizers) by value;
    // a port keyed by its defaulted protocol.
    const many = config({ env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }, { name: 'A', value: '3' }] });
    many.metadata.finalizers = ['f', 'f'];
    spec(many).containers[0].ports = [{ containerPort: 93 }, { containerPort: 93, protocol: 'TCP' }, { containerPort: 93, protocol: 'UDP' }];
    const e2 = errorOf(() => apply(undefined, many, 'kubectl'));
    expect(e2.message).toBe(
      [
        'failed to create typed patch object (/x; apps/v1, Kind=DaemonSet): errors:',
        '  .metadata.finalizers: duplicate entries for key [="f"]',
        '  .spec.template.spec.containers[name="agent"].env: duplicate entries for key [name="A"]',
        '  .spec.template.spec.containers[name="agent"].env: duplicate entries for key [name="A"]',
        '  .spec.template.spec.containers[name="agent"].ports: duplicate entries for key [containerPort=93,protocol="TCP"]',
      ].join('\n'),
    );

    // A live object may hold repeats (written by an update): applying over it is fine.
    const live = apply(undefined, config({ env: [{ name: 'A', value: '1' }] }), 'kubectl');
    const dup = deepFreeze({ ...live, spec: { ...(live as any).spec, template: { ...(live as any).spec.template, spec: { containers: [{ name: 'agent', image: 'busybox:1', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }] } } } }) as KubeObject;
    expect(spec(apply(dup, config({ env: [{ name: 'A', value: '3' }] }), 'kubectl')).containers[0].env).toEqual([{ name: 'A', value: '3' }]);
  });

  it('records the applier on create, without server fields or status', () => {
    const cfg = config();
    (cfg as any).status = { numberReady: 1 };
    const obj = apply(undefined, cfg, 'kubectl');
    expect(obj.metadata.managedFields).toHaveLength(1);
    const e = obj.metadata.managedFields![0]!;
    expect(e).toMatchObject({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1' });
    const f = e.fieldsV1 as any;
    // The wire form: a leaf is {}, a member with children (a keyed item) carries ".".
    expect(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"agent"}']).toEqual({ '.': {}, 'f:image': {}, 'f:name': {} });
    expect(f['f:spec']['f:selector']).toEqual({});
    expect(f['f:apiVersion']).toBeUndefined();
    expect(f['f:metadata']).toBeUndefined(); // only the name, which nobody owns
    expect(f['f:status']).toBeUndefined();
  });

  it('removes fields the manager no longer applies', () => {
    let live = apply(undefined, config({ env: [{ name: 'A', value: '1' }], nodeSelector: { disk: 'ssd' }, tolerations: [{ operator: 'Exists' }], labels: { team: 'a' } }), 'kubectl');
    live = apply(deepFreeze(live), deepFreeze(config()), 'kubectl', false, later); // inputs are never modified
    expect(spec(live).containers[0].env).toBeUndefined();
    expect(spec(live).nodeSelector).toBeUndefined();
    expect(spec(live).tolerations).toBeUndefined();
    expect(live.metadata.labels?.team).toBeUndefined();
    expect(live.metadata.managedFields![0]!.time).toBe(later);
  });

  it('a struct the manager no longer applies goes whole, with the values the server defaulted in it', () => {
    const withProbe = config();
    spec(withProbe).containers[0].readinessProbe = { httpGet: { port: 8080, path: '/healthz' } };
    spec(withProbe).securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    let live = apply(undefined, withProbe, 'kubectl');
    // What the server's defaulting added (owned by nobody).
    Object.assign(spec(live).containers[0].readinessProbe, { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    spec(live).containers[0].readinessProbe.httpGet.scheme = 'HTTP';
    // Still applied in part: the defaults stay beside what is applied.
    const pathOnly = config();
    spec(pathOnly).containers[0].readinessProbe = { httpGet: { port: 8080 } };
    spec(pathOnly).securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    const partly = apply(deepFreeze(structuredClone(live)), deepFreeze(pathOnly), 'kubectl', false, later);
    expect(spec(partly).containers[0].readinessProbe).toEqual({ httpGet: { port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    // Dropped from the configuration: gone whole (no probe of defaults alone, which validation refuses).
    live = apply(deepFreeze(structuredClone(live)), deepFreeze(config()), 'kubectl', false, later);
    expect(spec(live).containers[0].readinessProbe).toBeUndefined();
    expect(spec(live).securityContext).toBeUndefined();
    // A struct another manager also owns a field of stays, with that field.
    let shared = apply(undefined, withProbe, 'kubectl');
    const other = config();
    spec(other).containers[0].readinessProbe = { httpGet: { port: 8080, path: '/healthz' } };
    shared = apply(shared, other, 'helm');
    shared = apply(shared, config(), 'kubectl', false, later);
    expect(spec(shared).containers[0].readinessProbe).toEqual({ httpGet: { port: 8080, path: '/healthz' } });
  });

  it('an applied empty list stays owned: applying the same configuration again keeps it (no rollout)', () => {
    const cfg = config({ env: [], tolerations: [] });
    const first = apply(undefined, cfg, 'kubectl');
    expect(spec(first).containers[0].env).toEqual([]);
    // The stored object goes through JSON (managedFields in their fieldsV1 form).
    const second = apply(deepFreeze(JSON.parse(JSON.stringify(first)) as KubeObject), deepFreeze(cfg), 'kubectl', false, later);
    expect(spec(second).containers[0].env).toEqual([]);
    expect(spec(second).tolerations).toEqual([]);
    expect(second.spec).toEqual(first.spec);
  });

  it('a status in a main-resource configuration changes nothing: re-applying keeps the entry\'s time', () => {
    const cfg = { ...config(), status: { numberReady: 7 } } as KubeObject;
    const first = apply(undefined, cfg, 'kubectl');
    const stored = JSON.parse(JSON.stringify({ ...first, status: { numberReady: 1 } })) as KubeObject;
    const second = apply(deepFreeze(stored), deepFreeze(cfg), 'kubectl', false, later);
    expect(second.metadata.managedFields![0]!.time).toBe(now);
  });

  it('a dropped item someone else changed stays whole, key included', () => {
    const two = config();
    spec(two).containers.push({ name: 'b', image: 'busybox:1' });
    let live = apply(undefined, two, 'one');
    const edited = structuredClone(live);
    spec(edited).containers[0].image = 'busybox:9';
    recordUpdate(live, edited, ds, 'other', '', later);
    const onlyB = config();
    spec(onlyB).containers = [{ name: 'b', image: 'busybox:1' }];
    live = apply(edited, onlyB, 'one');
    expect(spec(live).containers).toEqual([{ name: 'agent', image: 'busybox:9' }, { name: 'b', image: 'busybox:1' }]);
  });

  it('drops 20,000 fields in one apply (pruning is one walk of the sets)', () => {
    const cm: ManagedKind = { schema: schemaFor({ group: '', version: 'v1', kind: 'ConfigMap' })!, apiVersion: 'v1', hasStatus: false };
    const data: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) data[`k${i}`] = 'v';
    const first = applyConfiguration(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data } as KubeObject, cm, { manager: 'm', force: false, subresource: '', now });
    const emptied = applyConfiguration(first, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { keep: 'v' } } as KubeObject, cm, { manager: 'm', force: false, subresource: '', now });
    expect((emptied as any).data).toEqual({ keep: 'v' });
    expect(emptied.metadata.managedFields![0]!.fieldsV1).toEqual({ 'f:data': { 'f:keep': {} } });
  });

  it('puts new list items where the configuration puts them, as upstream, not at the end', () => {
    const env = (...names: string[]) => names.map((name) => ({ name, value: name.toLowerCase() }));
    const mergedEnv = (live: string[], cfg: string[]) => spec(mergeApplied(config({ env: env(...live) }), config({ env: env(...cfg) }), dsSchema) as KubeObject).containers[0].env.map((e: { name: string }) => e.name);
    // A variable added in front stays in front ($(A) in B expands only if A comes first).
    expect(mergedEnv(['B'], ['A', 'B'])).toEqual(['A', 'B']);
    // structured-merge-diff's own case: [a, c] then [a, b, c, d].
    expect(mergedEnv(['A', 'C'], ['A', 'B', 'C', 'D'])).toEqual(['A', 'B', 'C', 'D']);
    // The configuration's order wins for the items it shares with the live list.
    expect(mergedEnv(['A', 'B'], ['B', 'A'])).toEqual(['B', 'A']);
    // A live item the configuration leaves out (another manager's) keeps its place among the live ones.
    expect(mergedEnv(['X', 'A', 'Y', 'B'], ['A', 'N', 'B'])).toEqual(['X', 'A', 'Y', 'N', 'B']);
    expect(mergedEnv(['A', 'X', 'B'], ['B', 'A'])).toEqual(['X', 'B', 'A']);
    expect(mergedEnv([], ['B', 'A'])).toEqual(['B', 'A']);
    expect(mergedEnv(['A', 'B'], [])).toEqual(['A', 'B']);
    // Sets too (metadata.finalizers): [b] then [a, b] gives [a, b].
    const fin = (f: string[]) => ({ ...config(), metadata: { name: 'x', finalizers: f } }) as KubeObject;
    expect((mergeApplied(fin(['example.com/b']), fin(['example.com/a', 'example.com/b']), dsSchema) as KubeObject).metadata.finalizers).toEqual(['example.com/a', 'example.com/b']);
    expect((mergeApplied(fin(['example.com/x', 'example.com/b']), fin(['example.com/a', 'example.com/b']), dsSchema) as KubeObject).metadata.finalizers).toEqual(['example.com/x', 'example.com/a', 'example.com/b']);
  });

  it('a key the live list holds twice is replaced by the applied item', () => {
    const live = config({ env: [{ name: 'E', value: '1' }, { name: 'E', value: '2' }, { name: 'F', value: '0' }] });
    const merged = mergeApplied(live, config({ env: [{ name: 'E', value: '3' }] }), dsSchema) as KubeObject;
    expect(spec(merged).containers[0].env).toEqual([{ name: 'E', value: '3' }, { name: 'F', value: '0' }]);
  });

  it('keeps a dropped field another applier also owns', () => {
    let live = apply(undefined, config({ labels: { team: 'a' } }), 'one');
    live = apply(live, config({ labels: { team: 'a' } }), 'two'); // same value: shared, no conflict
    live = apply(live, config(), 'one');
    expect(live.metadata.labels).toEqual({ team: 'a' });
    live = apply(live, config(), 'two');
    expect(live.metadata.labels?.team).toBeUndefined();
  });

  it('a changed field owned by another manager is a conflict; force takes it over', () => {
    let live = apply(undefined, config({ image: 'busybox:1' }), 'kubectl');
    // Another manager changes the image with an ordinary write.
    const edited = structuredClone(live);
    spec(edited).containers[0].image = 'busybox:2';
    recordUpdate(live, edited, ds, 'kubectl-set', '', later);
    live = edited;
    expect(live.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply', 'kubectl-set/Update']);
    const err = errorOf(() => apply(live, config({ image: 'busybox:3' }), 'kubectl'));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe(`Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="agent"].image`);
    expect(err.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: `conflict with "kubectl-set" using apps/v1`, field: '.spec.template.spec.containers[name="agent"].image' }]);
    // The same value is no conflict; force moves ownership.
    expect(() => apply(live, config({ image: 'busybox:2' }), 'kubectl')).not.toThrow();
    const forced = apply(live, config({ image: 'busybox:3' }), 'kubectl', true);
    expect(spec(forced).containers[0].image).toBe('busybox:3');
    expect(forced.metadata.managedFields!.map((e) => e.manager)).toEqual(['kubectl']);
  });

  it('re-applies an object nested as deep as the API accepts (field sets deeper than 64 levels were read as invalid: 409)', () => {
    const base = schemaFor({ group: '', version: 'v1', kind: 'ConfigMap' })! as Extract<SchemaNode, { kind: 'object' }>;
    const nested: { kind: 'map'; values: SchemaNode } = { kind: 'map', values: { kind: 'any' } };
    nested.values = nested; // a map of maps, as deep as the value goes
    const kind: ManagedKind = { schema: { ...base, properties: { ...base.properties, spec: nested } }, apiVersion: 'v1', hasStatus: false };
    const cfg = (leaf: string) => {
      let value: unknown = leaf;
      for (let i = 0; i < 300; i++) value = { [`l${i}`]: value };
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' }, spec: value } as unknown as KubeObject;
    };
    const first = applyConfiguration(undefined, cfg('a'), kind, { manager: 'mgr', force: false, subresource: '', now });
    const stored = deepFreeze(JSON.parse(JSON.stringify(first)) as KubeObject);
    const again = applyConfiguration(stored, cfg('b'), kind, { manager: 'mgr', force: false, subresource: '', now: later });
    expect(again.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['mgr/Apply']);
    let leaf: any = (again as any).spec;
    while (typeof leaf === 'object') leaf = Object.values(leaf)[0];
    expect(leaf).toBe('b');
    // Another manager's change deep down is still a conflict, not a lost owner.
    const edited = structuredClone(again) as any;
    let at = edited.spec;
    for (let i = 299; i > 0; i--) at = at[`l${i}`];
    at.l0 = 'c';
    recordUpdate(again, edited, kind, 'editor', '', later);
    expect(errorOf(() => applyConfiguration(deepFreeze(edited), cfg('d'), kind, { manager: 'mgr', force: false, subresource: '', now: later })).code).toBe(409);
  });

  it('drops a manager whose only field another manager forced away, as structured-merge-diff does', () => {
    const cm: ManagedKind = { schema: schemaFor({ group: '', version: 'v1', kind: 'ConfigMap' })!, apiVersion: 'v1', hasStatus: false };
    const cfg = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: v } }) as KubeObject;
    const first = applyConfiguration(undefined, cfg('1'), cm, { manager: 'mgr1', force: false, subresource: '', now });
    const taken = applyConfiguration(deepFreeze(JSON.parse(JSON.stringify(first)) as KubeObject), cfg('2'), cm, { manager: 'mgr2', force: true, subresource: '', now: later });
    expect(taken.metadata.managedFields).toEqual([
      { manager: 'mgr2', operation: 'Apply', apiVersion: 'v1', time: later, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } },
    ]);
  });

  it('an applier that owns nothing keeps its empty entry while it is the latest applier (the object stays applied), and loses it after', () => {
    let live = apply(undefined, config({ labels: { team: 'a' } }), 'one');
    // 'two' applies only the name: nothing ownable.
    const nameOnly = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' } } as KubeObject;
    live = apply(live, nameOnly, 'two');
    expect(live.metadata.managedFields!.map((e) => [e.manager, Object.keys(e.fieldsV1 as object).length > 0])).toEqual([['one', true], ['two', false]]);
    // Re-applying it changes nothing.
    expect(apply(live, nameOnly, 'two').metadata.managedFields).toEqual(live.metadata.managedFields);
    live = apply(live, config({ labels: { team: 'a' } }), 'one');
    expect(live.metadata.managedFields!.map((e) => e.manager)).toEqual(['one']);
  });

  it('several conflicts are grouped by manager', () => {
    let live = apply(undefined, config({ image: 'busybox:1', labels: { a: '1' } }), 'one');
    live = apply(live, config({ image: 'busybox:1', labels: { a: '1', b: '2' } }), 'two');
    const err = errorOf(() => apply(live, config({ image: 'busybox:9', labels: { a: '9', b: '9' } }), 'three'));
    expect(err.message).toBe([
      'Apply failed with 5 conflicts: conflicts with "one":',
      '- .metadata.labels.a',
      '- .spec.template.spec.containers[name="agent"].image',
      'conflicts with "two":',
      '- .metadata.labels.a',
      '- .metadata.labels.b',
      '- .spec.template.spec.containers[name="agent"].image',
    ].join('\n'));
  });

  it('the first apply to an unmanaged object hands its fields to before-first-apply', () => {
    const created = structuredClone(config({ image: 'busybox:1' }));
    expect(() => apply(created, config({ image: 'busybox:1' }), 'ci')).not.toThrow();
    const err = errorOf(() => apply(created, config({ image: 'busybox:2' }), 'ci'));
    expect(err.message).toContain('conflict with "before-first-apply" using apps/v1');
  });

  it('kubectl takes over fields its client-side annotation still describes, and keeps the annotation current', () => {
    const cfg = config({ image: 'busybox:1' });
    const live = structuredClone(cfg);
    live.metadata.annotations = { [lastAppliedAnnotation]: JSON.stringify(cfg) + '\n' };
    const out = apply(live, config({ image: 'busybox:2' }), 'kubectl');
    expect(spec(out).containers[0].image).toBe('busybox:2');
    expect(JSON.parse(out.metadata.annotations![lastAppliedAnnotation]!).spec.template.spec.containers[0].image).toBe('busybox:2');
    // Written as upstream's apply encodes it (Go's JSON: keys sorted, HTML characters escaped, a newline).
    const html = config({ image: 'busybox:2' });
    html.metadata.labels = { ...html.metadata.labels, z: 'a', b: 'x' };
    html.metadata.annotations = { note: '<a&b>' };
    const text = apply(live, html, 'kubectl').metadata.annotations![lastAppliedAnnotation]!;
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('"annotations":{"note":"\\u003ca\\u0026b\\u003e"}');
    expect(text.indexOf('"apiVersion"')).toBeLessThan(text.indexOf('"kind"'));
    expect(text.indexOf('"kind"')).toBeLessThan(text.indexOf('"metadata"'));
    expect(text.indexOf('"metadata"')).toBeLessThan(text.indexOf('"spec"'));
    // Another manager gets no such pass.
    expect(() => apply(live, config({ image: 'busybox:2' }), 'ci')).toThrow(/before-first-apply/);
  });

  it('refuses a configuration that carries managedFields', () => {
    const cfg = config();
    cfg.metadata.managedFields = [];
    expect(errorOf(() => apply(undefined, cfg, 'x')).code).toBe(400);
  });
});

describe('update tracking', () => {
  it('does nothing for objects never applied', () => {
    const old = config();
    const next = config({ image: 'busybox:2' });
    recordUpdate(old, next, ds, 'kubectl-set', '', now);
    expect(next.metadata.managedFields).toBeUndefined();
  });

  it('status writes are recorded per subresource; [{}] clears', () => {
    const live = apply(undefined, config(), 'kubectl');
    const next = structuredClone(live);
    (next as any).status = { numberReady: 3 };
    recordUpdate(live, next, ds, 'controller', 'status', now);
    const e = next.metadata.managedFields!.find((m) => m.manager === 'controller')!;
    expect(e).toMatchObject({ operation: 'Update', subresource: 'status' });
    expect(Object.keys(e.fieldsV1 as object)).toEqual(['f:status']);
    const cleared = structuredClone(next);
    cleared.metadata.managedFields = [{}];
    recordUpdate(next, cleared, ds, 'x', '', now);
    expect(cleared.metadata.managedFields).toBeUndefined();
  });

  it('drops an Update manager whose fields another write took over, and an empty Apply entry likewise', () => {
    const live = apply(undefined, config({ image: 'busybox:1', labels: { team: 'a' } }), 'kubectl');
    const a = structuredClone(live);
    a.metadata.labels = { team: 'b' };
    recordUpdate(live, a, ds, 'first', '', now);
    expect(a.metadata.managedFields!.map((e) => e.manager)).toEqual(['kubectl', 'first']);
    const b = structuredClone(a);
    b.metadata.labels = { team: 'c' };
    recordUpdate(a, b, ds, 'second', '', later);
    expect(b.metadata.managedFields!.map((e) => e.manager)).toEqual(['kubectl', 'second']);
    // An Apply entry whose fields all went to an updater is dropped too.
    const only = apply(undefined, { ...config(), spec: undefined, metadata: { name: 'x', labels: { team: 'a' } } } as KubeObject, 'ci');
    expect(only.metadata.managedFields!.map((e) => e.manager)).toEqual(['ci']);
    const next = structuredClone(only);
    next.metadata.labels = { team: 'z' };
    recordUpdate(only, next, ds, 'editor', '', later);
    expect(next.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['editor/Update']);
  });

  it('names managers after the User-Agent and checks the fieldManager parameter', () => {
    expect(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(managerFromUserAgent(undefined)).toBe('');
    // Unprintable characters are left out and the name is cut at 128 bytes, so it always validates.
    expect(managerFromUserAgent('My\tTool/1.0')).toBe('MyTool');
    const long = managerFromUserAgent('é'.repeat(70));
    expect(Buffer.byteLength(long)).toBe(128);
    expect(() => validateFieldManager(long, 'UpdateOptions')).not.toThrow();
    expect(() => validateFieldManager('x'.repeat(129), 'PatchOptions')).toThrow(/may not be more than 128 bytes/);
    expect(() => validateFieldManager('ok-manager', 'PatchOptions')).not.toThrow();
  });
});

describe('the cap on Update managers', () => {
  it('folds the oldest Update entries into ancient-changes, keeping ten, and keeps every Apply entry', () => {
    let live = apply(undefined, config(), 'kubectl');
    // Twelve managers, each setting its own label at its own time.
    for (let i = 0; i < 12; i++) {
      const next = structuredClone(live);
      next.metadata.labels = { ...(next.metadata.labels ?? {}), [`m${i}`]: 'x' };
      const at = `2026-11-30T06:${String(10 + i).padStart(2, '0')}:00Z`;
      recordUpdate(live, next, ds, `manager-${String(i).padStart(2, '0')}`, '', at);
      live = next;
    }
    const entries = live.metadata.managedFields!;
    const updates = entries.filter((e) => e.operation === 'Update');
    expect(updates).toHaveLength(10);
    expect(entries.filter((e) => e.operation === 'Apply').map((e) => e.manager)).toEqual(['kubectl']);
    const bucket = updates.find((e) => e.manager === 'ancient-changes')!;
    // The three oldest managers are folded: their fields are the bucket's, their time its newest.
    expect(Object.keys((bucket.fieldsV1 as any)['f:metadata']['f:labels']).sort()).toEqual(['f:m0', 'f:m1', 'f:m2']);
    expect(bucket.time).toBe('2026-11-30T06:12:00Z');
    expect(bucket.apiVersion).toBe('apps/v1');
    expect(updates.map((e) => e.manager)).not.toContain('manager-02');
    expect(updates.map((e) => e.manager)).toContain('manager-03');
  });
});
