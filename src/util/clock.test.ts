import { describe, expect, it } from 'vitest';
import { RealClock, rfc3339, rfc3339Micro } from './clock.js';

describe('RealClock', () => {
  it('never fires a timer early, also beyond the 2^31-1 ms a Node.js timer takes', async () => {
    const clock = new RealClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('soon'), 5);
    const far = clock.setTimeout(() => fired.push('far'), 9e15);
    clock.setTimeout(() => fired.push('never'), Infinity);
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toEqual(['soon']);
    clock.clearTimeout(far);
  });
});

describe('rfc3339', () => {
  it('writes second precision and caps instants beyond what RFC 3339 writes (now + a grace of 9e12 s) at years 0000 and 9999', () => {
    expect(rfc3339(Date.parse('2026-11-30T01:20:26.5Z'))).toBe('2026-11-30T01:20:26Z');
    expect(rfc3339(Date.now() + 9e12 * 1000)).toBe('9999-12-31T23:59:59Z');
    expect(rfc3339(Number.MAX_VALUE)).toBe('9999-12-31T23:59:59Z');
    expect(rfc3339(Infinity)).toBe('9999-12-31T23:59:59Z');
    expect(rfc3339(-Infinity)).toBe('0000-01-01T00:00:00Z');
    expect(rfc3339Micro(Date.now() + 9e15)).toBe('9999-12-31T23:59:59.999000Z');
    expect(() => rfc3339(NaN)).toThrow(RangeError);
  });
});
