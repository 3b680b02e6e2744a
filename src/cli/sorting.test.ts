// --sort-by's order (kubectl 1.32's): strings by their characters, quantities by value, missing first.
import { describe, expect, it } from 'vitest';
import { relaxedJsonPath } from './jsonpath.js';
import { compareSortValues, sortByField } from './sorting.js';

describe('--sort-by order', () => {
  it('orders strings that are not quantities by their characters, as kubectl 1.32 does', () => {
    const names = ['node-10', 'node-2', 'node-1', 'agent', 'node-02', 'node-1a', 'a9', 'a10', 'a100'];
    expect([...names].sort(compareSortValues)).toEqual(['a10', 'a100', 'a9', 'agent', 'node-02', 'node-1', 'node-10', 'node-1a', 'node-2']);
  });

  it('compares quantities by value, numbers numerically, other strings by their characters', () => {
    expect(compareSortValues('512Mi', '1Gi')).toBeLessThan(0);
    expect(compareSortValues('250m', '1')).toBeLessThan(0);
    expect(compareSortValues(9, 10)).toBeLessThan(0);
    expect(compareSortValues('2024-05-01T10:00:00Z', '2024-05-01T09:00:00Z')).toBeGreaterThan(0);
    expect(compareSortValues(false, true)).toBeLessThan(0);
  });

  it('puts objects without the field first and refuses a field no object has', () => {
    const items = [{ n: 'b', v: 2 }, { n: 'none' }, { n: 'a', v: 1 }];
    expect(sortByField(items, relaxedJsonPath('.v'), (x) => x).map((x) => x.n)).toEqual(['none', 'a', 'b']);
    expect(() => sortByField(items, relaxedJsonPath('v.w'), (x) => x)).toThrow('couldn\'t find any field with path "{.v.w}" in the list of objects');
    expect(sortByField([], '{.v}', (x) => x)).toEqual([]);
  });

  it('reads relaxed paths as kubectl', () => {
    expect(['.a.b', 'a.b', '{.a.b}', '{a.b}'].map(relaxedJsonPath)).toEqual(['{.a.b}', '{.a.b}', '{.a.b}', '{.a.b}']);
    expect(() => relaxedJsonPath('{.a}{.b}')).toThrow(/unexpected path string/);
  });
});
