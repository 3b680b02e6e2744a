import { describe, expect, it } from 'vitest';
import { parseGoDurationNanos } from './go-duration.js';

describe('parseGoDurationNanos', () => {
  it('reads what Go reads', () => {
    expect(parseGoDurationNanos('300ms')).toEqual({ nanos: 300_000_000n });
    expect(parseGoDurationNanos('-1.5h')).toEqual({ nanos: -5_400_000_000_000n });
    expect(parseGoDurationNanos('2h45m0.5s')).toEqual({ nanos: 9_900_500_000_000n });
    expect(parseGoDurationNanos('0')).toEqual({ nanos: 0n });
    expect(parseGoDurationNanos('1\u00b5s')).toEqual({ nanos: 1_000n });
    expect(parseGoDurationNanos('.5s')).toEqual({ nanos: 500_000_000n });
  });

  it('fails with Go\'s words', () => {
    expect(parseGoDurationNanos('invalid')).toEqual({ error: 'time: invalid duration "invalid"' });
    expect(parseGoDurationNanos('')).toEqual({ error: 'time: invalid duration ""' });
    expect(parseGoDurationNanos('5')).toEqual({ error: 'time: missing unit in duration "5"' });
    expect(parseGoDurationNanos('5d')).toEqual({ error: 'time: unknown unit "d" in duration "5d"' });
    expect(parseGoDurationNanos('.s')).toEqual({ error: 'time: invalid duration ".s"' });
    expect(parseGoDurationNanos('9999999999h')).toEqual({ error: 'time: invalid duration "9999999999h"' });
  });
});
