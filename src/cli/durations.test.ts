import { describe, expect, it } from 'vitest';
import { goDuration, parseRequestTimeout } from './durations.js';

describe('goDuration', () => {
  it('prints durations as Go does', () => {
    expect([0, 250, 3000, 1500, 60_000, 90_000, 3_600_000, 5_430_000].map(goDuration)).toEqual(['0s', '250ms', '3s', '1.5s', '1m0s', '1m30s', '1h0m0s', '1h30m30s']);
  });
});

describe('parseRequestTimeout (client-go ParseTimeout)', () => {
  it('reads bare seconds and Go durations, and refuses the rest', () => {
    expect(['0', '5', '+7', '1s', '500ms', '1m30s', '1.5s', '2h', '250us'].map(parseRequestTimeout)).toEqual([0, 5000, 7000, 1000, 500, 90_000, 1500, 7_200_000, 0.25]);
    for (const bad of ['', 'abc', '-1', '-5s', '1.5', '5x', 's', '1s2']) expect(parseRequestTimeout(bad), bad).toBeUndefined();
  });
});
