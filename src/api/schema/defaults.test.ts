import { describe, expect, it } from 'vitest';
import { decodeObject, fillSchemaDefaults, registerCustomResourceSchema, unregisterCustomResourceSchema } from './index.js';

const gvk = { group: 'defaults.example.com', version: 'v1', kind: 'Defaulted' };
const schema = {
  type: 'object',
  properties: {
    top: { type: 'string', default: 'T' },
    spec: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', default: 1 } } } } } },
  },
};

describe('custom resource schema defaults', () => {
  it('fills top-level and nested defaults on decode and from storage, leaving set values', () => {
    registerCustomResourceSchema(gvk, 'DefaultedList', schema);
    try {
      const decoded = decodeObject(gvk, { apiVersion: 'defaults.example.com/v1', kind: 'Defaulted', metadata: { name: 'a' } }, 'Strict').object as Record<string, unknown>;
      expect(decoded.top).toBe('T');
      const stored: Record<string, unknown> = { apiVersion: 'defaults.example.com/v1', kind: 'Defaulted', metadata: { name: 'a' }, spec: { items: [{}, { n: 5 }] } };
      expect(fillSchemaDefaults(gvk, stored)).toBe(true);
      expect(stored).toMatchObject({ top: 'T', spec: { items: [{ n: 1 }, { n: 5 }] } });
      expect(fillSchemaDefaults(gvk, stored)).toBe(false);
    } finally {
      unregisterCustomResourceSchema(gvk, 'DefaultedList');
    }
  });
});

describe('x-kubernetes-preserve-unknown-fields on an object with properties', () => {
  it('keeps undeclared fields but types and defaults the declared ones', () => {
    const g = { group: 'defaults.example.com', version: 'v1', kind: 'Kept' };
    registerCustomResourceSchema(g, 'KeptList', { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { n: { type: 'integer' }, d: { type: 'string', default: 'D' } } } } });
    try {
      const obj = decodeObject(g, { apiVersion: 'defaults.example.com/v1', kind: 'Kept', metadata: { name: 'a' }, spec: { n: 1, extra: { x: 1 } } }, 'Strict').object as unknown as { spec: Record<string, unknown> };
      expect(obj.spec).toEqual({ n: 1, extra: { x: 1 }, d: 'D' });
      expect(() => decodeObject(g, { apiVersion: 'defaults.example.com/v1', kind: 'Kept', metadata: { name: 'a' }, spec: { n: 'one' } }, 'Strict')).toThrow(/spec\.n/);
    } finally {
      unregisterCustomResourceSchema(g, 'KeptList');
    }
  });

  it('at the root too: top-level fields it does not declare are kept, under Strict', () => {
    const g = { group: 'defaults.example.com', version: 'v1', kind: 'Root' };
    registerCustomResourceSchema(g, 'RootList', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } } });
    try {
      const obj = decodeObject(g, { apiVersion: 'defaults.example.com/v1', kind: 'Root', metadata: { name: 'a' }, spec: { n: 1 }, extra: 'kept' }, 'Strict').object as unknown as Record<string, unknown>;
      expect(obj['extra']).toBe('kept');
      // Below the root, spec declares no preserve: its unknown fields are still refused.
      expect(() => decodeObject(g, { apiVersion: 'defaults.example.com/v1', kind: 'Root', metadata: { name: 'a' }, spec: { other: 1 } }, 'Strict')).toThrow(/spec\.other/);
    } finally {
      unregisterCustomResourceSchema(g, 'RootList');
    }
  });
});

describe('custom resource schemas nested deeply', () => {
  it('type and prune to the deepest level a CRD may declare', () => {
    const g = { group: 'defaults.example.com', version: 'v1', kind: 'Deep' };
    let s: Record<string, unknown> = { type: 'object', properties: { n: { type: 'integer' } } };
    for (let i = 0; i < 100; i++) s = { type: 'object', properties: { a: s } };
    const deep = (leaf: unknown): unknown => {
      let v = leaf;
      for (let i = 0; i < 100; i++) v = { a: v };
      return v;
    };
    registerCustomResourceSchema(g, 'DeepList', { type: 'object', properties: { spec: s } });
    try {
      const body = (leaf: unknown) => ({ apiVersion: 'defaults.example.com/v1', kind: 'Deep', metadata: { name: 'a' }, spec: deep(leaf) });
      expect(() => decodeObject(g, body({ n: 'one' }), 'Strict')).toThrow(/of type int64/);
      expect(() => decodeObject(g, body({ n: 1, extra: 1 }), 'Strict')).toThrow(/unknown field "spec(\.a){100}\.extra"/);
      expect(decodeObject(g, body({ n: 1, extra: 1 }), 'Ignore').object).toEqual(body({ n: 1 }));
    } finally {
      unregisterCustomResourceSchema(g, 'DeepList');
    }
  });
});
