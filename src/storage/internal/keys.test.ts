import { describe, expect, it } from 'vitest';
import { prefixEnd } from './keys.js';

describe('prefixEnd', () => {
  it('is the least string above every key that starts with the prefix', () => {
    expect(prefixEnd('/registry/pods/')).toBe('/registry/pods0');
    expect(prefixEnd('a\u{10ffff}')).toBe('b');
    expect(prefixEnd('\u{10ffff}\u{10ffff}')).toBeUndefined();
    expect(prefixEnd('')).toBeUndefined();
    expect(prefixEnd('x\ud7ff')).toBe('x\ue000');
    expect(prefixEnd('x\u{1f600}')).toBe('x\u{1f601}');
    // A lone surrogate counts as one code point.
    expect(prefixEnd('x\ud800')).toBe('x\ud801');
  });

  it('takes a prefix as long as a request line (it overflowed the stack past ~100k characters)', () => {
    const long = `/registry/core/configmaps/${'a'.repeat(300_000)}/`;
    expect(prefixEnd(long)).toBe(`${long.slice(0, -1)}0`);
  });
});
