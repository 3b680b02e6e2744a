// Regular expressions as upstream matches them: RE2 syntax and semantics (Go's regexp), in time
// linear in the input. CRD schemas carry patterns written by any CRD author and matched against
// every custom resource's values on the server's one thread: a backtracking engine would let one
// pattern such as `^(a+)+$` and one long value stall the whole API server (found by the
// bad-input review). Patterns that are not RE2 (backreferences, lookarounds) are refused where
// upstream refuses them, when the CRD is written.

import { RE2JS } from 're2js';

/** A compiled pattern; `test` finds a match anywhere, as Go's regexp.MatchString. */
export interface Re2Pattern {
  test(s: string): boolean;
}

/** Compiles `pattern` as RE2; throws with Go's message when it is not valid RE2. */
export function compileRe2(pattern: string): Re2Pattern {
  const re = RE2JS.compile(pattern);
  return { test: (s) => re.matcher(s).find() };
}

/** Why `pattern` is not valid RE2 (Go's "error parsing regexp: ..."), or undefined when it is. */
export function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
