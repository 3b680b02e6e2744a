// Query parameters as the Kubernetes API server reads them.

/**
 * A boolean query parameter the way upstream's query conversion reads it: undefined when absent
 * (`null` from URLSearchParams.get), false for "0" and "false" in any case, true for any other
 * value, the empty string included. So `?follow=False` (the Python client's spelling) is false
 * and `?stdin=True` is true.
 */
export function queryBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}
