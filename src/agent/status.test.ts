import { describe, expect, it } from 'vitest';
import type { PodStatus } from '../api/types.js';
import { podStatusEqual, withForeignConditions } from './status.js';

describe('withForeignConditions', () => {
  const computed: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] };

  it("keeps conditions other writers set (an eviction's DisruptionTarget, readiness gates), not stale kubelet ones", () => {
    const current: PodStatus = {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' },
        { type: 'example.com/gate', status: 'True' },
      ],
    };
    const merged = withForeignConditions(current, computed);
    expect(merged.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'PodScheduled=True', 'DisruptionTarget=True', 'example.com/gate=True']);
    // Once written, the API status equals what the agent would write again: no endless rewrite.
    expect(podStatusEqual(merged, withForeignConditions(merged, computed))).toBe(true);
  });

  it('changes nothing when there is no foreign condition', () => {
    expect(withForeignConditions({ conditions: [{ type: 'Ready', status: 'False' }] }, computed)).toBe(computed);
    expect(withForeignConditions(undefined, computed)).toBe(computed);
  });
});
