// RestRegistry on a MemoryStore: the strategy steps the registry itself runs around the kinds'
// validation (defaulting of every write, the kinds' prepareForCreate/prepareForUpdate hooks,
// the finalizer rule, namespace finalization).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry, type KindDef } from '../api/kinds.js';
import { MemoryStore } from '../storage/memory/index.js';
import type { KeyValue, Store } from '../storage/interface.js';
import { realClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { RestRegistry } from './registry.js';
import type { WriteQuery } from './query.js';

const kinds = newKindRegistry();
const kind = (group: string, plural: string): KindDef => kinds.byResource(group, 'v1', plural)!;
const namespaces = kind('', 'namespaces');
const services = kind('', 'services');
const configmaps = kind('', 'configmaps');
const nodes = kind('', 'nodes');
const pods = kind('', 'pods');
const q: WriteQuery = { dryRun: false, fieldManager: 'test', fieldValidation: 'Strict', force: false };

let reg: RestRegistry;

beforeEach(async () => {
  reg = new RestRegistry({ store: new MemoryStore(), clock: realClock, kinds, logger: silentLogger, namespaceRetryMs: 20, namespaceDeletionGraceMs: 100 });
  await reg.create(namespaces, undefined, { metadata: { name: 'default' } }, q);
});

afterEach(() => reg.stop());

const parse = (json: string): any => JSON.parse(json);

/** The 422's field errors, as `field: message` strings. */
async function invalidErrors(p: Promise<unknown>): Promise<string[]> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const e = err as ApiError;
  expect(e.code).toBe(422);
  return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

async function waitUntil(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function exists(k: KindDef, namespace: string | undefined, name: string): Promise<boolean> {
  try {
    await reg.get(k, namespace, name);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return false;
    throw err;
  }
}

describe('Service type changes (dropTypeDependentFields)', () => {
  it('a strategic-merge patch from NodePort to ClusterIP succeeds and drops externalTrafficPolicy', async () => {
    await reg.create(services, 'default', { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }, q);
    const r = await reg.patch(services, 'default', 's', undefined, 'strategic', JSON.stringify({ spec: { type: 'ClusterIP' } }), q);
    const spec = parse(r.json).spec;
    expect(spec.type).toBe('ClusterIP');
    expect(spec.externalTrafficPolicy).toBeUndefined();
  });

  it('a ClusterIP service with externalIPs takes an explicit externalTrafficPolicy', async () => {
    const r = await reg.create(services, 'default', { metadata: { name: 's2' }, spec: { externalIPs: ['192.0.2.4'], externalTrafficPolicy: 'Local', ports: [{ port: 80 }] } }, q);
    expect(parse(r.json).spec.externalTrafficPolicy).toBe('Local');
  });
});

describe('finalizers of an object being deleted', () => {
  it('adding one is reported once, with upstream message', async () => {
    await reg.create(configmaps, 'default', { metadata: { name: 'c', finalizers: ['example.com/a'] } }, q);
    await reg.delete(configmaps, 'default', 'c', { dryRun: false });
    const patch = { metadata: { finalizers: ['example.com/a', 'example.com/c', 'example.com/b', 'example.com/c'] } };
    expect(await invalidErrors(reg.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify(patch), q))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b", "example.com/c"}',
    ]);
  });
});

describe('status writes are defaulted', () => {
  it('a Node status write gets allocatable = capacity, and still changes nothing but status', async () => {
    await reg.create(nodes, undefined, { metadata: { name: 'n1' }, spec: { unschedulable: true } }, q);
    const body = { metadata: { name: 'n1' }, spec: { unschedulable: false, podCIDR: '10.0.0.0/24' }, status: { capacity: { cpu: '4' } } };
    const r = parse((await reg.update(nodes, undefined, 'n1', 'status', body, q)).json);
    expect(r.status).toEqual({ capacity: { cpu: '4' }, allocatable: { cpu: '4' } });
    expect(r.spec).toEqual({ unschedulable: true });
    const p = parse((await reg.patch(nodes, undefined, 'n1', 'status', 'merge', JSON.stringify({ status: { capacity: { cpu: '8' }, allocatable: null } }), q)).json);
    expect(p.status).toEqual({ capacity: { cpu: '8' }, allocatable: { cpu: '8' } });
  });
});

describe('a node\'s pod CIDRs (upstream\'s v1 conversion)', () => {
  it('a podCIDR written alone becomes podCIDRs; podCIDR then shows its first and cannot be changed', async () => {
    const made = parse((await reg.create(nodes, undefined, { metadata: { name: 'cidr' }, spec: {} }, q)).json);
    expect(made.spec.podCIDRs).toBeUndefined();
    const set = parse((await reg.patch(nodes, undefined, 'cidr', undefined, 'merge', JSON.stringify({ spec: { podCIDR: '10.0.1.0/24' } }), q)).json);
    expect(set.spec).toMatchObject({ podCIDR: '10.0.1.0/24', podCIDRs: ['10.0.1.0/24'] });
    expect(await invalidErrors(reg.patch(nodes, undefined, 'cidr', undefined, 'merge', JSON.stringify({ spec: { podCIDR: '10.0.2.0/24', podCIDRs: null } }), q))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    // podCIDR is authoritative when the two differ: a changed podCIDR alone is refused, not dropped.
    expect(await invalidErrors(reg.patch(nodes, undefined, 'cidr', undefined, 'merge', JSON.stringify({ spec: { podCIDR: '10.0.2.0/24' } }), q))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    const dual = parse((await reg.create(nodes, undefined, { metadata: { name: 'dual' }, spec: { podCIDRs: ['10.0.3.0/24', 'fd00::/64'] } }, q)).json);
    expect(dual.spec.podCIDR).toBe('10.0.3.0/24');
  });
});

describe('Pod scheduling gates through the registry', () => {
  it('a gated pod may not be bound by an update, and may gain nodeSelector keys', async () => {
    await reg.create(pods, 'default', { metadata: { name: 'p' }, spec: { schedulingGates: [{ name: 'g' }], containers: [{ name: 'c', image: 'busybox:1' }] } }, q);
    expect(await invalidErrors(reg.patch(pods, 'default', 'p', undefined, 'merge', JSON.stringify({ spec: { nodeName: 'n1' } }), q))).toEqual([
      'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
    ]);
    const r = await reg.patch(pods, 'default', 'p', undefined, 'strategic', JSON.stringify({ spec: { nodeSelector: { zone: 'a' } } }), q);
    expect(parse(r.json).spec.nodeSelector).toEqual({ zone: 'a' });
  });
});

describe('Namespace spec.finalizers', () => {
  it('a new namespace gets ["kubernetes"]; updates of the main resource keep them', async () => {
    const created = parse((await reg.create(namespaces, undefined, { metadata: { name: 'team' }, spec: { finalizers: ['example.com/x'] } }, q)).json);
    expect(created.spec).toEqual({ finalizers: ['example.com/x', 'kubernetes'] });
    const plain = parse((await reg.create(namespaces, undefined, { metadata: { name: 'plain' } }, q)).json);
    expect(plain.spec).toEqual({ finalizers: ['kubernetes'] });
    const patched = parse((await reg.patch(namespaces, undefined, 'plain', undefined, 'json', JSON.stringify([{ op: 'remove', path: '/spec/finalizers' }]), q)).json);
    expect(patched.spec).toEqual({ finalizers: ['kubernetes'] });
    const put = parse((await reg.update(namespaces, undefined, 'plain', undefined, { metadata: { name: 'plain', labels: { a: 'b' } }, spec: { finalizers: ['example.com/y'] } }, q)).json);
    expect(put.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(put.metadata.labels).toEqual({ a: 'b', 'kubernetes.io/metadata.name': 'plain' });
    // The status subresource cannot change them either.
    const st = parse((await reg.update(namespaces, undefined, 'plain', 'status', { ...put, spec: {}, status: { phase: 'Active' } }, q)).json);
    expect(st.spec).toEqual({ finalizers: ['kubernetes'] });
  });

  it('deleting a namespace removes its content, drops "kubernetes" and then the namespace', async () => {
    await reg.create(namespaces, undefined, { metadata: { name: 'doomed' } }, q);
    await reg.create(configmaps, 'doomed', { metadata: { name: 'c' } }, q);
    await reg.delete(namespaces, undefined, 'doomed', { dryRun: false });
    await waitUntil(async () => !(await exists(namespaces, undefined, 'doomed')), 'namespace doomed gone');
    expect(await exists(configmaps, 'doomed', 'c')).toBe(false);
  });

  it('another owner\'s spec finalizer keeps the namespace Terminating after "kubernetes" is dropped', async () => {
    await reg.create(namespaces, undefined, { metadata: { name: 'held' }, spec: { finalizers: ['example.com/x'] } }, q);
    await reg.delete(namespaces, undefined, 'held', { dryRun: false });
    // Deleting it again while a spec finalizer holds it: 409, in upstream's words.
    const again = await reg.delete(namespaces, undefined, 'held', { dryRun: false }).then(() => undefined, (e: unknown) => e);
    expect(again).toMatchObject({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on namespaces "held": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.' });
    await waitUntil(async () => !parse(await reg.get(namespaces, undefined, 'held')).spec.finalizers.includes('kubernetes'), '"kubernetes" dropped');
    // Several more finalization passes (20 ms apart) leave it in place.
    await new Promise((r) => setTimeout(r, 150));
    const ns = parse(await reg.get(namespaces, undefined, 'held'));
    expect(ns.spec).toEqual({ finalizers: ['example.com/x'] });
    expect(ns.status.phase).toBe('Terminating');
    // An update of a Terminating namespace (no metadata finalizers) does not delete it while a
    // spec finalizer holds it (upstream's ShouldDeleteNamespaceDuringUpdate); no grace is set.
    const relabelled = parse((await reg.patch(namespaces, undefined, 'held', undefined, 'merge', JSON.stringify({ metadata: { labels: { x: 'y' } } }), q)).json);
    expect(relabelled.metadata.labels.x).toBe('y');
    expect(relabelled.metadata.deletionGracePeriodSeconds).toBeUndefined();
    expect(await exists(namespaces, undefined, 'held')).toBe(true);
  });
});

describe('status on create', () => {
  it('is the empty status as Go prints it: required counts zero, loadBalancer {}, sent values dropped', async () => {
    const ds = kinds.byResource('apps', 'v1', 'daemonsets')!;
    const pdbs = kinds.byResource('policy', 'v1', 'poddisruptionbudgets')!;
    const deployments = kinds.byResource('apps', 'v1', 'deployments')!;
    const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const d = parse((await reg.create(ds, 'default', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template }, status: { numberReady: 7 } }, q)).json);
    expect(d.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    const s = parse((await reg.create(services, 'default', { metadata: { name: 'lb' }, spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } }, q)).json);
    expect(s.status).toEqual({ loadBalancer: {} });
    const p = parse((await reg.create(pdbs, 'default', { metadata: { name: 'p' }, spec: { maxUnavailable: 1 } }, q)).json);
    expect(p.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    const dep = parse((await reg.create(deployments, 'default', { metadata: { name: 'dep' }, spec: { selector: { matchLabels: { app: 'a' } }, template }, status: { replicas: 3 } }, q)).json);
    expect(dep.status).toEqual({});
    // Each create gets its own status object (the reset value is not shared).
    const d2 = parse((await reg.create(ds, 'default', { metadata: { name: 'd2' }, spec: { selector: { matchLabels: { app: 'a' } }, template } }, q)).json);
    expect(d2.status.numberReady).toBe(0);
  });
});

describe('writes without a precondition under contention', () => {
  it('all land (compare-and-swap retried as upstream GuaranteedUpdate does), none answers 409', async () => {
    await reg.create(configmaps, 'default', { metadata: { name: 'hot' }, data: {} }, q);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, w) => reg.patch(configmaps, 'default', 'hot', undefined, 'merge', JSON.stringify({ data: { [`w${w}`]: 'x' } }), q)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(Object.keys(parse(await reg.get(configmaps, 'default', 'hot')).data)).toHaveLength(40);
  });
});

/**
 * A store that commits writes the way SqliteStore's group commit does (queued, one batch per
 * event-loop turn, each compare-and-swap checked in order inside the batch), ordering each
 * batch so that the writes `last` picks go after all others: such a writer, whenever it meets
 * another writer of the same key in a batch, loses.
 */
class GroupCommitStore {
  private pending: { run: () => Promise<number>; late: boolean; resolve: (rev: number) => void; reject: (err: unknown) => void }[] = [];
  gets = 0;
  constructor(
    readonly inner: Store,
    private readonly last: (value: string) => boolean,
  ) {}
  get(key: string): Promise<KeyValue | undefined> {
    this.gets++;
    return this.inner.get(key);
  }
  update(key: string, value: string, expected: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ run: () => this.inner.update(key, value, expected), late: this.last(value), resolve, reject });
    });
  }
  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    batch.sort((a, b) => Number(a.late) - Number(b.late));
    const settled = [];
    for (const w of batch) settled.push(await w.run().then((rev) => () => w.resolve(rev), (err: unknown) => () => w.reject(err)));
    for (const s of settled) s();
  }
  /** The inner store with get and update going through this one. */
  asStore(): Store {
    const own: Partial<Record<PropertyKey, unknown>> = { get: (key: string) => this.get(key), update: (key: string, value: string, expected: number) => this.update(key, value, expected) };
    return new Proxy(this.inner, {
      get: (target, prop) => {
        if (prop in own) return own[prop];
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
}

describe('updates and deletes starting from a reader\'s current state (currentKv)', () => {
  /** A registry whose currentKv answers what `known` holds (a test may make it stale), counting store reads. */
  async function withKnown() {
    const inner = new MemoryStore();
    let gets = 0;
    const store = new Proxy(inner, {
      get: (target, prop) => {
        if (prop === 'get') return (key: string) => (gets++, inner.get(key));
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Store;
    const known = new Map<string, KeyValue>();
    const r = new RestRegistry({ store, clock: realClock, kinds, logger: silentLogger, currentKv: (key) => known.get(key) });
    stopsAfter.push(() => r.stop());
    await r.create(namespaces, undefined, { metadata: { name: 'default' } }, q);
    const key = '/registry/core/configmaps/default/c';
    const created = parse((await r.create(configmaps, 'default', { metadata: { name: 'c' }, data: { a: '1' } }, q)).json);
    return { r, inner, known, key, created, reads: () => gets };
  }
  const stopsAfter: (() => void)[] = [];
  afterEach(() => stopsAfter.splice(0).forEach((s) => s()));

  it('an update and a patch use the known state without reading the store', async () => {
    const { r, inner, known, key, reads } = await withKnown();
    known.set(key, (await inner.get(key))!);
    const before = reads();
    const res = parse((await r.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify({ data: { b: '2' } }), q)).json);
    expect(res.data).toEqual({ a: '1', b: '2' });
    expect(reads() - before).toBe(0);
  });

  it('a stale known state only costs a retry: the write lands on the store\'s state', async () => {
    const { r, inner, known, key, reads } = await withKnown();
    const stale = (await inner.get(key))!;
    await r.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify({ data: { x: 'newer' } }), q);
    known.set(key, stale);
    const before = reads();
    const res = parse((await r.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify({ data: { b: '2' } }), q)).json);
    expect(res.data).toEqual({ a: '1', x: 'newer', b: '2' });
    expect(reads() - before).toBeLessThanOrEqual(1);
  });

  it('a precondition the stale state fails but the store\'s meets succeeds; one the store fails is a 409', async () => {
    const { r, inner, known, key, created } = await withKnown();
    const stale = (await inner.get(key))!;
    const moved = parse((await r.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify({ data: { x: 'newer' } }), q)).json);
    known.set(key, stale);
    // An update at the store's resourceVersion (a client that read it) is not refused.
    const ok = parse((await r.update(configmaps, 'default', 'c', undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', resourceVersion: moved.metadata.resourceVersion }, data: { y: '1' } }, q)).json);
    expect(ok.data).toEqual({ y: '1' });
    // At the old one: Conflict.
    known.set(key, stale);
    await expect(r.update(configmaps, 'default', 'c', undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', resourceVersion: created.metadata.resourceVersion }, data: { z: '1' } }, q)).rejects.toMatchObject({ code: 409 });
    // Delete preconditions alike: the store's resourceVersion deletes, a stale one is refused.
    known.set(key, stale);
    await expect(r.delete(configmaps, 'default', 'c', { dryRun: false, preconditions: { resourceVersion: created.metadata.resourceVersion } })).rejects.toMatchObject({ code: 409 });
    known.set(key, stale);
    await r.delete(configmaps, 'default', 'c', { dryRun: false, preconditions: { resourceVersion: ok.metadata.resourceVersion, uid: created.metadata.uid } });
    expect(await inner.get(key)).toBeUndefined();
  });
});

describe('same-key writes through one registry take turns', () => {
  it('a writer that would lose every group-commit round still lands, in its turn (no 409 after maxCasAttempts)', async () => {
    const store = new GroupCommitStore(new MemoryStore(), (v) => v.includes('victim'));
    const r = new RestRegistry({ store: store.asStore(), clock: realClock, kinds, logger: silentLogger });
    try {
      await r.create(namespaces, undefined, { metadata: { name: 'default' } }, q);
      await r.create(configmaps, 'default', { metadata: { name: 'hot' }, data: {} }, q);
      const patch = (data: Record<string, string>) => r.patch(configmaps, 'default', 'hot', undefined, 'merge', JSON.stringify({ data }), q);
      // Three writers patch back to back; the victim starts while they run. Without turns, each
      // round the victim reads the same revision as a hog and its compare-and-swap goes last.
      let victimDone = false;
      let hogWrites = 0;
      const hogs = Array.from({ length: 3 }, async (_, h) => {
        for (let i = 0; !victimDone && i < 1200; i++) {
          await patch({ [`hog${h}`]: String(i) });
          hogWrites++;
        }
      });
      await new Promise((res) => setImmediate(res));
      const victim = patch({ victim: 'v' }).finally(() => (victimDone = true));
      await expect(victim).resolves.toBeDefined();
      await Promise.all(hogs);
      // Its turn came after the writes queued ahead of it, not a thousand rounds later.
      expect(hogWrites).toBeLessThan(20);
      expect(parse(await r.get(configmaps, 'default', 'hot')).data.victim).toBe('v');
    } finally {
      r.stop();
    }
  });

  it('a conflict with another writer (another server) is retried on the state the conflict carries, not a fresh read', async () => {
    const inner = new MemoryStore();
    const store = new GroupCommitStore(inner, () => false);
    const r = new RestRegistry({ store: store.asStore(), clock: realClock, kinds, logger: silentLogger });
    try {
      await r.create(namespaces, undefined, { metadata: { name: 'default' } }, q);
      await r.create(configmaps, 'default', { metadata: { name: 'c' }, data: { a: '1' } }, q);
      const key = '/registry/core/configmaps/default/c';
      const kv = (await inner.get(key))!;
      // Another server writes between this registry's read and its compare-and-swap.
      const update = store.update.bind(store);
      let raced = false;
      store.update = async (k, v, expected) => {
        if (!raced && k === key) {
          raced = true;
          const cur = JSON.parse(kv.value);
          await inner.update(key, JSON.stringify({ ...cur, data: { ...cur.data, other: 'x' } }), kv.modRevision);
        }
        return update(k, v, expected);
      };
      const gets = store.gets;
      const res = parse((await r.patch(configmaps, 'default', 'c', undefined, 'merge', JSON.stringify({ data: { b: '2' } }), q)).json);
      expect(raced).toBe(true);
      expect(res.data).toEqual({ a: '1', b: '2', other: 'x' });
      expect(store.gets - gets).toBe(1);
    } finally {
      r.stop();
    }
  });

  it('keeps no queue entry for a key with nothing queued, also after failed writes', async () => {
    await reg.create(configmaps, 'default', { metadata: { name: 'q' }, data: {} }, q);
    const writes = Array.from({ length: 20 }, (_, i) => reg.patch(configmaps, 'default', 'q', undefined, 'merge', JSON.stringify({ data: { [`k${i}`]: 'v' } }), q));
    const failing = [
      reg.patch(configmaps, 'default', 'q', undefined, 'merge', JSON.stringify({ data: { k: 1 } }), q),
      reg.patch(configmaps, 'default', 'missing', undefined, 'merge', JSON.stringify({ data: { k: 'v' } }), q),
      reg.delete(configmaps, 'default', 'missing', { dryRun: false }),
    ];
    await Promise.all(writes);
    expect((await Promise.allSettled(failing)).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await reg.delete(configmaps, 'default', 'q', { dryRun: false });
    await expect(reg.get(configmaps, 'default', 'q')).rejects.toMatchObject({ code: 404 });
    expect((reg as unknown as { turns: { size: number } }).turns.size).toBe(0);
  });
});
