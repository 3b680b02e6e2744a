import { describe, expect, it } from 'vitest';
import { applyServerHeapPolicy, defaultHeapGrowthPercent } from './heap.js';

describe('applyServerHeapPolicy', () => {
  it('applies 1.6x live by default, an override, or nothing when off', () => {
    expect(applyServerHeapPolicy({})).toBe(defaultHeapGrowthPercent);
    expect(defaultHeapGrowthPercent).toBe(60);
    expect(applyServerHeapPolicy({ EVERYNODE_HEAP_GROWTH_PERCENT: '100' })).toBe(100);
    expect(applyServerHeapPolicy({ EVERYNODE_HEAP_GROWTH_PERCENT: 'off' })).toBeUndefined();
    expect(applyServerHeapPolicy({ EVERYNODE_HEAP_GROWTH_PERCENT: '0' })).toBeUndefined();
  });

  it('refuses a malformed override instead of running with V8 defaults', () => {
    for (const bad of ['2x', '-1', '1.5', '5000']) {
      expect(() => applyServerHeapPolicy({ EVERYNODE_HEAP_GROWTH_PERCENT: bad })).toThrow(/EVERYNODE_HEAP_GROWTH_PERCENT/);
    }
  });
});
