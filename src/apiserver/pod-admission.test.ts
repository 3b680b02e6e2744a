import { describe, expect, it } from 'vitest';
import type { Toleration } from '../api/types.js';
import { mergeTolerations } from './pod-admission.js';

describe('mergeTolerations (upstream MergeTolerations)', () => {
  const t = (o: Partial<Toleration>): Toleration => o as Toleration;

  it('keeps both lists in order, without repeats, the first of equal ones', () => {
    expect(mergeTolerations([t({ key: 'a', operator: 'Exists' })], [t({ key: 'b', operator: 'Exists' }), t({ key: 'a', operator: 'Exists' })])).toEqual([
      { key: 'a', operator: 'Exists' },
      { key: 'b', operator: 'Exists' },
    ]);
  });

  it('leaves out a toleration another one covers, kept before or coming later', () => {
    // Exists on the key covers an Equal on it, whatever its position.
    expect(mergeTolerations([t({ key: 'gpu', operator: 'Equal', value: 'x', effect: 'NoSchedule' })], [t({ key: 'gpu', operator: 'Exists' })])).toEqual([{ key: 'gpu', operator: 'Exists' }]);
    expect(mergeTolerations([t({ key: 'gpu', operator: 'Exists' })], [t({ key: 'gpu', operator: 'Equal', value: 'x' })])).toEqual([{ key: 'gpu', operator: 'Exists' }]);
    // An empty key with Exists covers every key; an empty effect every effect.
    expect(mergeTolerations([t({ key: 'a', operator: 'Exists', effect: 'NoExecute' })], [t({ operator: 'Exists' })])).toEqual([{ operator: 'Exists' }]);
    // A NoExecute with a bound covers only shorter bounds; one without a bound covers them all.
    const bounded = t({ key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 });
    const unbounded = t({ key: 'n', operator: 'Exists', effect: 'NoExecute' });
    expect(mergeTolerations([t({ key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 })], [bounded])).toEqual([bounded]);
    expect(mergeTolerations([bounded], [t({ key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 90 })])).toEqual([{ ...bounded, tolerationSeconds: 90 }]);
    expect(mergeTolerations([bounded], [unbounded])).toEqual([unbounded]);
    expect(mergeTolerations([unbounded], [bounded])).toEqual([unbounded]);
    // An Equal with no operator given covers only an explicit Equal of the same value (upstream reads the operator as given).
    expect(mergeTolerations([t({ key: 'k', value: 'v' })], [t({ key: 'k', operator: 'Equal', value: 'v' })])).toEqual([{ key: 'k', value: 'v' }]);
    expect(mergeTolerations([t({ key: 'k', operator: 'Equal', value: 'v' })], [t({ key: 'k', value: 'w' })])).toHaveLength(2);
  });
});
