import { describe, expect, it } from 'vitest';
import { decodeStored, encodeForStore, jsonEqual, withResourceVersion } from './object-codec.js';

describe('object codec', () => {
  it('stores without resourceVersion, apiVersion/kind/metadata first', () => {
    const s = encodeForStore({ spec: { a: 1 }, metadata: { name: 'x', resourceVersion: '9' }, kind: 'Pod', apiVersion: 'v1' });
    expect(s).toBe('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"a":1}}');
  });

  it('splices the resourceVersion into stored JSON', () => {
    const s = encodeForStore({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', annotations: { '"metadata":{': 'y' } } });
    const j = withResourceVersion(s, 17);
    expect(JSON.parse(j)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '17', name: 'x', annotations: { '"metadata":{': 'y' } } });
    expect(JSON.parse(withResourceVersion('{"apiVersion":"v1","kind":"X","metadata":{}}', 3)).metadata).toEqual({ resourceVersion: '3' });
    expect(decodeStored(s, 5).metadata.resourceVersion).toBe('5');
  });

  it("escapes <, >, &, U+2028 and U+2029 as Go's encoding/json does, and nothing else", () => {
    for (const [raw, escaped] of [['<', '\\u003c'], ['>', '\\u003e'], ['&', '\\u0026'], ['\u2028', '\\u2028'], ['\u2029', '\\u2029']] as const) {
      const s = encodeForStore({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: `a${raw}b\u00e9${raw}` } });
      expect(s).toBe(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"a${escaped}b\u00e9${escaped}"}}`);
      expect(JSON.parse(s).data.k).toBe(`a${raw}b\u00e9${raw}`);
    }
    const plain = encodeForStore({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: 'caf\u00e9 \u4e2d' } });
    expect(plain).toBe('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"caf\u00e9 \u4e2d"}}');
  });

  it('compares JSON structurally', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
  });
});
