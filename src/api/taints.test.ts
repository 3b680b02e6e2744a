import { describe, expect, it } from 'vitest';
import { toleratesTaint } from './taints.js';

describe('toleratesTaint (upstream Toleration.ToleratesTaint)', () => {
  const taint = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' as const };

  it('treats a missing or empty operator as Equal (a Helm chart rendering an empty value)', () => {
    expect(toleratesTaint({ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', operator: '' as 'Equal', value: 'infra', effect: 'NoSchedule' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', operator: '' as 'Equal', value: 'other' }, taint)).toBe(false);
  });

  it('Exists ignores the value; an empty key with Exists tolerates every key; effects must match when given', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Bogus' as 'Exists' }, taint)).toBe(false);
  });
});
