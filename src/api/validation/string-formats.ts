// The string formats a custom resource's schema may name and upstream checks (apiextensions'
// supported formats, checked by kube-openapi's strfmt registry): a value of a `type: string`
// field with one of these formats that does not parse is a 422 `<path> in body must be of type
// <format>: "<value>"`. Any other format (int32, int64, ...) is not checked, as upstream strips
// unsupported formats. A format's name is matched without its dashes (`date-time` is datetime).

import { isIP } from 'node:net';
import { isIPSloppy, isValidCIDR } from './names.js';

type Check = (v: string) => boolean;

const re = (r: RegExp): Check => (v) => r.test(v);

const hostnameRe = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;

/** RFC 3339 full-date as Go's time.Parse("2006-01-02") reads it (the day must exist). */
function isDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

/** strfmt's IsDateTime: a full-date, `T`, then hh:mm:ss[.frac] and `Z` or an offset (any case). */
function isDateTime(v: string): boolean {
  const parts = v.toLowerCase().split('t');
  if (v.length < 4 || parts.length < 2 || !isDate(parts[0]!)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(parts[1]!);
  return m !== null && m[1]! <= '23' && m[2]! <= '59' && m[3]! <= '59';
}

const durationUnits: string[][] = [['ns', 'nano'], ['us', 'µs', 'micro'], ['ms', 'milli'], ['s', 'sec'], ['m', 'min'], ['h', 'hr', 'hour'], ['d', 'day'], ['w', 'wk', 'week']];

/** strfmt's ParseDuration: a Go duration (`1h30m`), else some `<digits> <unit>` in it (`3 days`). */
function isDuration(v: string): boolean {
  if (/^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(v)) return true;
  for (const m of v.matchAll(/(\d+)\s*([A-Za-zµ]+)/g)) {
    const unit = m[2]!.toLowerCase();
    for (const variants of durationUnits) {
      if (variants.some((x, i) => x === unit || (i === variants.length - 1 && unit.startsWith(x)))) return true;
    }
  }
  return false;
}

/** Go's net.ParseMAC: 6, 8 or 20 octets, by `:` or `-`, or in dotted groups of four hex digits. */
function isMac(v: string): boolean {
  const octets = (n: number, sep: string): RegExp => new RegExp(`^[0-9a-fA-F]{2}(\\${sep}[0-9a-fA-F]{2}){${n - 1}}$`);
  const dotted = (n: number): RegExp => new RegExp(`^[0-9a-fA-F]{4}(\\.[0-9a-fA-F]{4}){${n / 2 - 1}}$`);
  return [6, 8, 20].some((n) => octets(n, ':').test(v) || octets(n, '-').test(v) || dotted(n).test(v));
}

function isbn10(v: string): boolean {
  const s = v.replace(/[\s-]/g, '');
  if (!/^(?:[0-9]{9}X|[0-9]{10})$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (i + 1) * Number(s[i]);
  sum += s[9] === 'X' ? 100 : 10 * Number(s[9]);
  return sum % 11 === 0;
}

function isbn13(v: string): boolean {
  const s = v.replace(/[\s-]/g, '');
  if (!/^[0-9]{13}$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(s[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(s[12]);
}

function isCreditCard(v: string): boolean {
  const s = v.replace(/[^0-9]/g, '');
  if (!/^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$/.test(s)) return false;
  let sum = 0;
  let double = false;
  for (let i = s.length - 1; i >= 0; i--) {
    let d = Number(s[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** net/mail.ParseAddress, nearly: `local@domain`, or `Name <local@domain>`. */
function isEmail(v: string): boolean {
  const addr = /^[^<>]*<([^<>]+)>$/.exec(v.trim())?.[1] ?? v.trim();
  return /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/.test(addr) && !addr.startsWith('.') && !addr.includes('..');
}

const byte255 = '(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])';

const checks: Record<string, Check> = {
  bsonobjectid: re(/^[0-9a-fA-F]{24}$/),
  // Go's url.ParseRequestURI: an absolute URI (with a scheme) or an absolute path.
  uri: re(/^(?:[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*|\/[^\s]*)$/),
  email: isEmail,
  hostname: (v) => hostnameRe.test(v) && Buffer.byteLength(v) <= 255 && v.split('.').every((p) => Buffer.byteLength(p) <= 63),
  ipv4: (v) => v.includes('.') && isIPSloppy(v),
  ipv6: (v) => v.includes(':') && isIP(v) === 6,
  cidr: isValidCIDR,
  mac: isMac,
  uuid: re(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i),
  uuid3: re(/^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i),
  uuid4: re(/^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i),
  uuid5: re(/^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i),
  isbn: (v) => isbn10(v) || isbn13(v),
  isbn10,
  isbn13,
  creditcard: isCreditCard,
  ssn: (v) => v.length === 11 && /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(v),
  hexcolor: re(/^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/),
  rgbcolor: re(new RegExp(`^rgb\\(\\s*${byte255}\\s*,\\s*${byte255}\\s*,\\s*${byte255}\\s*\\)$`)),
  byte: re(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
};

/** Whether `value` is of `format`; true for a format upstream does not check. */
export function matchesStringFormat(format: string, value: string): boolean {
  const check = checks[format.replace(/-/g, '')];
  return check === undefined || check(value);
}
