import { describe, expect, it } from 'vitest';
import { queryBool } from './query.js';

describe('queryBool', () => {
  it('reads a query boolean as upstream: absent undefined; "0" and "false" in any case false; anything else true', () => {
    expect(queryBool(null)).toBeUndefined();
    for (const v of ['0', 'false', 'False', 'FALSE']) expect(queryBool(v)).toBe(false);
    for (const v of ['', '1', 'true', 'True', 'yes', 'no', 'f', '00']) expect(queryBool(v)).toBe(true);
  });
});
