// The server process's heap policy.
//
// V8 lets the old generation grow to up to four times the live heap after each full collection
// when the process allocates fast (it does during fan-outs and rollouts), and gives pages back
// only when the process goes idle, which a server renewing thousands of node leases never is.
// The resident size of a busy server therefore sits near 4x its live data. A server is
// long-running and its memory is a measured figure (issue 9: <= 400 MB at 5,000 nodes), so
// `everynode server` and `everynode up` cap the growth at 1.6x the live heap (the kind of
// trade Go's GOGC makes for the Kubernetes components): more frequent, mostly concurrent,
// marking for less than half the memory. At 5,000 hollow nodes it cost no measurable fan-out
// time and ~3% of server CPU against 2x (docs/performance.md, "Server memory").
//
// Contract: process-wide and idempotent; call it once at the start of a server process, before
// the load. EVERYNODE_HEAP_GROWTH_PERCENT overrides the percentage (100 = 2x); "off" or 0
// restores V8's own policy.

import v8 from 'node:v8';

/** Heap growth over the live size after a full collection, in percent (60 = 1.6x live). */
export const defaultHeapGrowthPercent = 60;

/**
 * Applies the server heap policy; returns the percentage applied, or undefined when disabled.
 * Throws on a malformed override (a typo must not silently run with V8's 4x).
 */
export function applyServerHeapPolicy(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.EVERYNODE_HEAP_GROWTH_PERCENT?.trim();
  if (raw === 'off' || raw === '0') {
    v8.setFlagsFromString('--heap-growing-percent=0'); // 0: V8's own, dynamic, factor
    return undefined;
  }
  const pct = raw ? Number(raw) : defaultHeapGrowthPercent;
  if (!Number.isInteger(pct) || pct < 0 || pct > 1000) {
    throw new Error(`EVERYNODE_HEAP_GROWTH_PERCENT must be an integer from 0 to 1000 or "off", got ${JSON.stringify(raw)}`);
  }
  v8.setFlagsFromString(`--heap-growing-percent=${pct}`);
  return pct;
}
