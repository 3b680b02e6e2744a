import { describe, expect, it } from 'vitest';
import { parseTtl } from './token.js';

describe('token create --ttl', () => {
  it('reads one unit, several together (as Go and kubeadm write them) or plain seconds; 0 never expires', () => {
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('2d12h')).toBe(216_000);
    expect(parseTtl('600')).toBe(600);
    expect(parseTtl('0')).toBe(0);
  });

  it('refuses what is no duration, and lifetimes beyond ten years, in one clear line', () => {
    expect(() => parseTtl('1h30')).toThrow('invalid --ttl "1h30": want e.g. 90s, 30m, 1h30m, 24h, 7d or 0');
    expect(() => parseTtl('5x')).toThrow('invalid --ttl "5x"');
    expect(() => parseTtl('99999999d')).toThrow('invalid --ttl "99999999d": at most ten years (3650d); 0 = never expires');
  });
});
