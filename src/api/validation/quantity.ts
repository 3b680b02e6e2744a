// resource.Quantity parsing, comparison and canonical printing (enough of apimachinery's
// semantics for validation messages and request/limit checks).
//
// Representation: value = mantissa * 10^exp10 exactly (BigInt mantissa), plus the format the
// value was written in (decimal SI, binary SI or decimal exponent), which canonical printing keeps.

export const quantityRegexpText = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const quantityParseError = `quantities must match the regular expression '${quantityRegexpText}'`;

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  mantissa: bigint;
  exp10: number;
  format: Format;
}

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

/** Parses a quantity written as a string or a JSON number; undefined when it is not valid. */
export function parseQuantity(input: unknown): Quantity | undefined {
  let s: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return undefined;
    s = String(input);
    if (/e/i.test(s)) s = s.replace('e+', 'e');
  } else if (typeof input === 'string') {
    s = input;
  } else {
    return undefined;
  }
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(s);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  const suffix = m[4] ?? '';
  if (intPart === '' && fracPart === '') return undefined;
  let mantissa = BigInt((intPart || '0') + fracPart) * sign;
  let exp10 = -fracPart.length;
  let format: Format;
  if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    exp10 += decimalSuffixes[suffix] ?? 0;
  } else if (suffix in binarySuffixes) {
    format = 'BinarySI';
    mantissa *= 1024n ** BigInt(binarySuffixes[suffix] ?? 0);
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    exp10 += Number(suffix.slice(1));
  } else {
    return undefined;
  }
  return normalize({ mantissa, exp10, format });
}

function normalize(q: Quantity): Quantity {
  let { mantissa, exp10 } = q;
  if (mantissa === 0n) return { mantissa: 0n, exp10: 0, format: q.format };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp10 += 1;
  }
  return { mantissa, exp10, format: q.format };
}

export function compareQuantity(a: Quantity, b: Quantity): number {
  const e = Math.min(a.exp10, b.exp10);
  const av = a.mantissa * 10n ** BigInt(a.exp10 - e);
  const bv = b.mantissa * 10n ** BigInt(b.exp10 - e);
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/**
 * Sum of two quantities (exact), in the first one's format unless it is absent or zero (then the
 * second's, as apimachinery's Quantity.Add).
 */
export function addQuantity(a: Quantity | undefined, b: Quantity): Quantity {
  if (!a) return b;
  const e = Math.min(a.exp10, b.exp10);
  const mantissa = a.mantissa * 10n ** BigInt(a.exp10 - e) + b.mantissa * 10n ** BigInt(b.exp10 - e);
  return normalize({ mantissa, exp10: e, format: a.mantissa === 0n ? b.format : a.format });
}

/** `a` minus `b` (exact), in `a`'s format unless `a` is zero (apimachinery's Quantity.Sub). */
export function subtractQuantity(a: Quantity, b: Quantity): Quantity {
  return addQuantity(a, { ...b, mantissa: -b.mantissa });
}

/**
 * `q` times 10^`scale`, rounded up to an integer (apimachinery's ScaledValue: Value() is scale 0,
 * MilliValue() scale 3); 0 when absent. Negative values round toward zero, as there.
 */
export function scaledValue(q: Quantity | undefined, scale: number): bigint {
  if (!q) return 0n;
  const e = q.exp10 + scale;
  if (e >= 0) return q.mantissa * 10n ** BigInt(e);
  const div = 10n ** BigInt(-e);
  const quotient = q.mantissa / div; // truncates toward zero
  return q.mantissa > 0n && quotient * div !== q.mantissa ? quotient + 1n : quotient;
}

/** A quantity in thousandths (apimachinery's MilliValue), rounded up; 0 when absent. */
export function milliValue(q: Quantity | undefined): number {
  return Number(scaledValue(q, 3));
}

export function isInteger(q: Quantity): boolean {
  return q.exp10 >= 0;
}

/** Canonical form as apimachinery prints it (`500m`, `1Gi`, `2`, `1500`). Values below 1n round up to 1n. */
export function formatQuantity(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  const neg = q.mantissa < 0n;
  const abs = neg ? -q.mantissa : q.mantissa;
  const sign = neg ? '-' : '';
  let exp10 = q.exp10;
  let mant = abs;
  if (exp10 < -9) {
    // Round up to nano precision.
    const div = 10n ** BigInt(-9 - exp10);
    mant = (abs + div - 1n) / div;
    exp10 = -9;
  }
  if (q.format === 'BinarySI' && exp10 >= 0) {
    let v = mant * 10n ** BigInt(exp10);
    const names = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let i = 0;
    while (i < names.length - 1 && v % 1024n === 0n && v >= 1024n) {
      v /= 1024n;
      i += 1;
    }
    return `${sign}${v}${names[i]}`;
  }
  if (q.format === 'DecimalExponent') {
    let e3 = Math.floor(exp10 / 3) * 3;
    const v = mant * 10n ** BigInt(exp10 - e3);
    return e3 === 0 ? `${sign}${v}` : `${sign}${v}e${e3}`;
  }
  // DecimalSI (and binary values with a fractional part): largest SI exponent (multiple of 3)
  // that keeps the mantissa an integer.
  let e3 = Math.floor(exp10 / 3) * 3;
  if (e3 > 18) e3 = 18;
  const v = mant * 10n ** BigInt(exp10 - e3);
  const suffix = Object.entries(decimalSuffixes).find(([, e]) => e === e3)?.[0] ?? '';
  return `${sign}${v}${suffix}`;
}
