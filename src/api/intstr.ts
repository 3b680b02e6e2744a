// IntOrString helpers (apimachinery's intstr). Pure logic.

import type { IntOrString } from './types.js';

/** GetScaledValueFromIntOrPercent: an integer as it is, or a percentage of `total` rounded up or down. */
export function scaledValueFromIntOrPercent(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const p = Number(m[1]);
  const x = (p * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
