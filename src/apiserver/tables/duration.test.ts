import { describe, expect, it } from 'vitest';
import { formatRFC3339, humanDuration, translateTimestampSince } from './duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1999, '0s'], // up to 2s of clock skew reads as now
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [5 * s + 999, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 30 * m, '5h30m'],
    [8 * h + 30 * m, '8h'],
    [47 * h + 59 * m, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d + 5 * h, '8d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [800 * d, '2y70d'],
    [365 * 8 * d + 100 * d, '8y'],
  ])('%d ms -> %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('translateTimestampSince', () => {
  const now = new Date('2026-11-30T01:10:00Z');
  it('formats elapsed time since an RFC 3339 timestamp', () => {
    expect(translateTimestampSince('2026-11-30T01:09:58Z', now)).toBe('2s');
    expect(translateTimestampSince('2026-11-28T22:10:00Z', now)).toBe('27h');
    expect(translateTimestampSince('2026-11-30T01:06:40.500000Z', now)).toBe('3m19s');
  });
  it('prints <unknown> for zero timestamps', () => {
    expect(translateTimestampSince(undefined, now)).toBe('<unknown>');
    expect(translateTimestampSince(null, now)).toBe('<unknown>');
    expect(translateTimestampSince('', now)).toBe('<unknown>');
  });
});

describe('formatRFC3339', () => {
  it('renders whole seconds in UTC like Go time.RFC3339', () => {
    expect(formatRFC3339('2026-11-30T01:10:00Z')).toBe('2026-11-30T01:10:00Z');
    expect(formatRFC3339('2026-11-30T03:10:00.987+02:00')).toBe('2026-11-30T01:10:00Z');
    expect(formatRFC3339(undefined)).toBe('0001-01-01T00:00:00Z');
  });
});
