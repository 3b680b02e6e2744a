import { describe, expect, it } from 'vitest';
import { deepFreeze, errorOf } from '../testing/index.js';
import { MAX_NESTING_DEPTH, applyJsonPatch, applyMergePatch, applyMergePatchShared, nestingDepth } from './index.js';

const ds = () =>
  deepFreeze({
    metadata: { name: 'x', labels: { app: 'x', 'a/b': '1', 't~x': '2' } },
    spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:1' }] } } },
    list: [1, 2, 3],
  });

describe('applyJsonPatch', () => {
  const cases: [string, unknown[], (d: ReturnType<typeof ds>) => unknown][] = [
    [
      'client-node default: replace container image',
      [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'busybox:2' }],
      (d) => ({ ...d, spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:2' }] } } } }),
    ],
    ['add member', [{ op: 'add', path: '/metadata/labels/new', value: 'v' }], (d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, new: 'v' } } })],
    ['add replaces existing member', [{ op: 'add', path: '/metadata/name', value: 'y' }], (d) => ({ ...d, metadata: { ...d.metadata, name: 'y' } })],
    ['add at array index inserts', [{ op: 'add', path: '/list/1', value: 9 }], (d) => ({ ...d, list: [1, 9, 2, 3] })],
    ['add with - appends', [{ op: 'add', path: '/list/-', value: 4 }], (d) => ({ ...d, list: [1, 2, 3, 4] })],
    ['add at end index', [{ op: 'add', path: '/list/3', value: 4 }], (d) => ({ ...d, list: [1, 2, 3, 4] })],
    ['remove array element', [{ op: 'remove', path: '/list/0' }], (d) => ({ ...d, list: [2, 3] })],
    [
      'remove with ~1 escape',
      [{ op: 'remove', path: '/metadata/labels/a~1b' }],
      (d) => ({ ...d, metadata: { ...d.metadata, labels: { app: 'x', 't~x': '2' } } }),
    ],
    [
      'remove with ~0 escape',
      [{ op: 'remove', path: '/metadata/labels/t~0x' }],
      (d) => ({ ...d, metadata: { ...d.metadata, labels: { app: 'x', 'a/b': '1' } } }),
    ],
    ['replace whole list', [{ op: 'replace', path: '/list', value: [] }], (d) => ({ ...d, list: [] })],
    [
      'replace of a missing member adds it (upstream json-patch v4)',
      [{ op: 'replace', path: '/metadata/namespace', value: 'ns' }],
      (d) => ({ ...d, metadata: { ...d.metadata, namespace: 'ns' } }),
    ],
    ['move', [{ op: 'move', from: '/list/0', path: '/list/-' }], (d) => ({ ...d, list: [2, 3, 1] })],
    ['copy', [{ op: 'copy', from: '/metadata/name', path: '/metadata/generateName' }], (d) => ({ ...d, metadata: { ...d.metadata, generateName: 'x' } })],
    ['test then replace', [{ op: 'test', path: '/list', value: [1, 2, 3] }, { op: 'replace', path: '/list/2', value: 0 }], (d) => ({ ...d, list: [1, 2, 0] })],
    ['test absent member against null', [{ op: 'test', path: '/metadata/uid', value: null }], (d) => d],
    ['negative index counts from the end', [{ op: 'remove', path: '/list/-1' }], (d) => ({ ...d, list: [1, 2] })],
    ['empty patch', [], (d) => d],
  ];
  it.each(cases)('%s', (_name, patch, want) => {
    const doc = ds();
    expect(applyJsonPatch(doc, deepFreeze(patch))).toEqual(want(doc));
  });

  it('replace of the root', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 });
  });

  it('the result shares nothing with the inputs', () => {
    const value = { x: [1] };
    const out = applyJsonPatch({ a: {} }, [{ op: 'add', path: '/a/v', value }]) as { a: { v: { x: number[] } } };
    out.a.v.x.push(2);
    expect(value.x).toEqual([1]);
  });

  const failures: [string, unknown[], string][] = [
    ['missing parent', [{ op: 'add', path: '/nope/x', value: 1 }], 'add operation does not apply: doc is missing path: "/nope/x": missing value'],
    ['remove missing member', [{ op: 'remove', path: '/metadata/uid' }], "error in remove for path: '/metadata/uid': Unable to remove nonexistent key: uid: missing value"],
    ['remove missing parent', [{ op: 'remove', path: '/a/b' }], 'remove operation does not apply: doc is missing path: "/a/b": missing value'],
    ['remove index out of range', [{ op: 'remove', path: '/list/5' }], "error in remove for path: '/list/5': Unable to access invalid index: 5: invalid index referenced"],
    ['add index out of range', [{ op: 'add', path: '/list/9', value: 1 }], "error in add for path: '/list/9': Unable to access invalid index: 9: invalid index referenced"],
    [
      'add non-numeric index',
      [{ op: 'add', path: '/list/x', value: 1 }],
      `error in add for path: '/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
    ],
    ['replace missing index', [{ op: 'replace', path: '/list/7', value: 1 }], 'replace operation does not apply: doc is missing key: /list/7: missing value'],
    ['replace missing parent', [{ op: 'replace', path: '/a/b', value: 1 }], 'replace operation does not apply: doc is missing path: /a/b: missing value'],
    ['failed test', [{ op: 'test', path: '/metadata/name', value: 'y' }], 'testing value /metadata/name failed: test failed'],
    ['test missing parent', [{ op: 'test', path: '/a/b', value: 1 }], 'test operation does not apply: is missing path: /a/b: missing value'],
    ['move from missing parent', [{ op: 'move', from: '/a/b', path: '/c' }], 'move operation does not apply: doc is missing from path: /a/b: missing value'],
    ['copy to missing parent', [{ op: 'copy', from: '/list', path: '/a/b' }], 'copy operation does not apply: doc is missing destination path: /a/b: missing value'],
    ['unknown op', [{ op: 'frob', path: '/a' }], 'Unexpected kind: frob'],
    ['missing op', [{ path: '/a' }], 'Unexpected kind: unknown'],
    ['missing path', [{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value'],
  ];
  it.each(failures)('422 when an operation does not apply: %s', (_name, patch, message) => {
    const before = JSON.stringify(ds());
    const doc = ds();
    const err = errorOf(() => applyJsonPatch(doc, patch));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe(message);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('a failing operation leaves no partial result behind', () => {
    const doc = ds();
    errorOf(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/metadata/name', value: 'changed' },
        { op: 'test', path: '/list/0', value: 9 },
      ]),
    );
    expect(doc.metadata.name).toBe('x');
  });

  const badBodies: [unknown, string][] = [
    [{ spec: {} }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['x', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [null, 'json patch body must be a JSON array of operations'],
    [[1], 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
  ];
  it.each(badBodies)('400 for a body that is not an array of operations: %j', (body, message) => {
    const err = errorOf(() => applyJsonPatch(ds(), body));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });

  it('413 beyond 10000 operations', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/list/0', value: 1 }));
    expect(errorOf(() => applyJsonPatch(ds(), ops)).code).toBe(413);
  });

  it('422 once copies add more than 3 MiB (upstream JSONPatchMaxCopyBytes), however they grow', () => {
    // 26 copies of /data into itself would double it 26 times: gigabytes.
    const doc = deepFreeze({ data: { k: 'v'.repeat(64) } });
    const ops = Array.from({ length: 26 }, (_, i) => ({ op: 'copy', from: '/data', path: `/data/x${i}` }));
    const err = errorOf(() => applyJsonPatch(doc, ops));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toMatch(/^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
    // The limit counts every copy of the patch together.
    const big = deepFreeze({ a: 'x'.repeat(1024 * 1024) });
    const copies = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/a', path: `/c${i}` }));
    expect(Object.keys(applyJsonPatch(big, copies(2)) as object)).toEqual(['a', 'c0', 'c1']);
    expect(errorOf(() => applyJsonPatch(big, copies(3))).message).toBe(`Unable to complete the copy, the accumulated size increase of copy is ${3 * (1024 * 1024 + 2)}, exceeding the limit 3145728`);
  });

  it('422 for a patch that nests the document deeper than MAX_NESTING_DEPTH', () => {
    let chain: unknown = 1;
    for (let i = 0; i < 300; i++) chain = { a: chain };
    const bottom = '/a'.repeat(299);
    // A copy of a 300-level chain to its own bottom.
    const copy = [{ op: 'add', path: '/c', value: chain }, { op: 'copy', from: '/c', path: `/c${bottom}/b` }];
    expect(errorOf(() => applyJsonPatch({}, copy)).message).toBe(`the patched document's nesting depth exceeds the limit of ${MAX_NESTING_DEPTH}`);
    // The same with move, and with an add of a value at a deep path.
    const move = [{ op: 'add', path: '/c', value: chain }, { op: 'add', path: '/d', value: chain }, { op: 'move', from: '/d', path: `/c${bottom}/b` }];
    expect(errorOf(() => applyJsonPatch({}, move)).code).toBe(422);
    const add = [{ op: 'add', path: '/c', value: chain }, { op: 'add', path: `/c${bottom}/b`, value: chain }];
    expect(errorOf(() => applyJsonPatch({}, add)).code).toBe(422);
    // Up to the limit is fine: 1 (the document) + 1 (/c) + 210 + 300.
    const fits = [{ op: 'add', path: '/c', value: chain }, { op: 'add', path: `/c${'/a'.repeat(210)}/b`, value: chain }];
    expect(nestingDepth(applyJsonPatch({}, fits))).toBe(MAX_NESTING_DEPTH);
  });
});

describe('applyMergePatch', () => {
  const base = () =>
    deepFreeze({
      metadata: { name: 'x', labels: { app: 'x', foo: 'bar' }, resourceVersion: '5' },
      spec: { list: [1, 2], nested: { a: 1, b: 2 } },
    });
  const cases: [string, unknown, unknown][] = [
    [
      'kubectl label adds',
      { metadata: { labels: { a: 'b' } } },
      { metadata: { name: 'x', labels: { app: 'x', foo: 'bar', a: 'b' }, resourceVersion: '5' }, spec: { list: [1, 2], nested: { a: 1, b: 2 } } },
    ],
    [
      'kubectl label removal by null',
      { metadata: { labels: { foo: null } } },
      { metadata: { name: 'x', labels: { app: 'x' }, resourceVersion: '5' }, spec: { list: [1, 2], nested: { a: 1, b: 2 } } },
    ],
    [
      'arrays replace',
      { spec: { list: [3] } },
      { metadata: { name: 'x', labels: { app: 'x', foo: 'bar' }, resourceVersion: '5' }, spec: { list: [3], nested: { a: 1, b: 2 } } },
    ],
    [
      'nested null deletes; nulls in new objects are dropped',
      { spec: { nested: { a: null }, added: { k: 'v', gone: null } } },
      { metadata: { name: 'x', labels: { app: 'x', foo: 'bar' }, resourceVersion: '5' }, spec: { list: [1, 2], nested: { b: 2 }, added: { k: 'v' } } },
    ],
    ['null deletes a whole subtree', { spec: null }, { metadata: { name: 'x', labels: { app: 'x', foo: 'bar' }, resourceVersion: '5' } }],
    [
      'object replaces scalar and vice versa',
      { metadata: { name: { a: 1 } }, spec: { nested: 'flat' } },
      { metadata: { name: { a: 1 }, labels: { app: 'x', foo: 'bar' }, resourceVersion: '5' }, spec: { list: [1, 2], nested: 'flat' } },
    ],
  ];
  it.each(cases)('%s', (_name, patch, want) => {
    expect(applyMergePatch(base(), deepFreeze(patch))).toEqual(want);
  });

  it.each(cases)('shared: %s gives the same result without touching its inputs', (_name, patch, want) => {
    const untouched = new Set<object>();
    expect(applyMergePatchShared(base(), deepFreeze(patch), untouched)).toEqual(want);
  });

  it('shared: reports exactly the target subtrees the patch leaves alone, and keeps them', () => {
    const target = base();
    const untouched = new Set<object>();
    const out = applyMergePatchShared(target, { metadata: { labels: { a: 'b' } } }, untouched) as typeof target;
    expect(out.spec).toBe(target.spec);
    expect(out.metadata.labels).not.toBe(target.metadata.labels);
    // metadata and labels are patched (new objects); spec is kept whole, so its children are not listed.
    expect([...untouched]).toEqual([target.spec]);
  });

  it('a non-object target is replaced by the patch object', () => {
    expect(applyMergePatch(undefined, { a: 1, b: null })).toEqual({ a: 1 });
  });

  it.each([[null], [[1]], ['x']])('400 for a non-object patch %j', (patch) => {
    const err = errorOf(() => applyMergePatch(base(), patch));
    expect(err.code).toBe(400);
    expect(err.message).toBe('Invalid JSON Patch');
  });
});

describe('nestingDepth', () => {
  it('counts containers without recursing, and stops past the limit (cycles too)', () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth({})).toBe(1);
    expect(nestingDepth({ a: [1, { b: [] }], c: 'x' })).toBe(4);
    let deep: unknown = null;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep, Infinity)).toBe(100_000);
    expect(nestingDepth(deep)).toBe(MAX_NESTING_DEPTH + 1);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(nestingDepth(cyclic, 50)).toBe(51);
  });
});
