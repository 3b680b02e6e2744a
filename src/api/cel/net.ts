// IP addresses and prefixes as Go's net/netip parses and prints them (the Kubernetes CEL ip
// and cidr libraries use netip.ParseAddr and netip.ParsePrefix), and URLs as Go's net/url
// parses them (the url library and the `uri` format).

/** An address: 4 or 16 bytes; `zone` for an IPv6 zone (`%eth0`). */
export interface Addr {
  bytes: Uint8Array;
  zone: string;
}

function parseIPv4(s: string): Uint8Array | string {
  const parts = s.split('.');
  if (parts.length !== 4) return parts.length < 4 ? 'IPv4 address too short' : 'IPv4 address too long';
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (p === '') return 'IPv4 field must have at least one digit';
    if (!/^\d+$/.test(p)) return 'unexpected character';
    if (p.length > 1 && p[0] === '0') return 'IPv4 field has octet with leading zero';
    const v = Number(p);
    if (v > 255) return 'IPv4 field has value >255';
    out[i] = v;
  }
  return out;
}

function parseIPv6(s: string): Addr | string {
  let zone = '';
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '') return 'zone must be a non-empty string';
  }
  const out = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return { bytes: out, zone };
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return 'each colon-separated field must have at least one digit';
    if (m[0].length === 4 && /^[0-9a-fA-F]{5}/.test(rest)) return 'each group must have 4 or less digits';
    // An embedded IPv4 address at the end.
    if (rest[m[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return 'embedded IPv4 address must replace the final 2 fields of the address';
      if (i + 4 > 16) return 'too many hex fields to fit an embedded IPv4 at the end of the address';
      const v4 = parseIPv4(rest);
      if (typeof v4 === 'string') return v4;
      out.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const v = parseInt(m[0], 16);
    out[i] = v >> 8;
    out[i + 1] = v & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== ':') return 'unexpected character, want colon';
    if (rest.length === 1) return 'colon must be followed by more characters';
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return 'multiple :: in address';
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return 'trailing garbage after address';
  if (i < 16) {
    if (ellipsis < 0) return 'address string too short';
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) out[j + n] = out[j]!;
    out.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return 'the :: must expand to at least one field of zeros';
  }
  return { bytes: out, zone };
}

/** netip.ParseAddr: the address, or the error text Go gives. */
export function parseAddr(s: string): Addr | string {
  if (s === '') return `ParseAddr(""): unable to parse IP`;
  for (const c of s) {
    if (c === '.') {
      const v4 = parseIPv4(s);
      return typeof v4 === 'string' ? `ParseAddr(${JSON.stringify(s)}): ${v4}` : { bytes: v4, zone: '' };
    }
    if (c === ':') {
      const v6 = parseIPv6(s);
      return typeof v6 === 'string' ? `ParseAddr(${JSON.stringify(s)}): ${v6}` : v6;
    }
    if (c === '%') break;
  }
  return `ParseAddr(${JSON.stringify(s)}): unable to parse IP`;
}

export const is4 = (a: Addr): boolean => a.bytes.length === 4;

export function is4In6(a: Addr): boolean {
  if (a.bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a.bytes[i] !== 0) return false;
  return a.bytes[10] === 0xff && a.bytes[11] === 0xff;
}

/** netip's Addr.String: dotted IPv4; RFC 5952 IPv6 (longest run of zero groups as `::`), IPv4-mapped as `::ffff:1.2.3.4`. */
export function addrString(a: Addr): string {
  const b = a.bytes;
  if (b.length === 4) return Array.from(b).join('.');
  const zone = a.zone ? `%${a.zone}` : '';
  if (is4In6(a)) return `::ffff:${Array.from(b.slice(12)).join('.')}${zone}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':') + zone;
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}${zone}`;
}

export function addrEqual(a: Addr, b: Addr): boolean {
  return a.bytes.length === b.bytes.length && a.bytes.every((x, i) => x === b.bytes[i]) && a.zone === b.zone;
}

const isUnspecified = (a: Addr): boolean => a.bytes.every((x) => x === 0);

export const addrPredicates = {
  isUnspecified,
  isLoopback: (a: Addr): boolean => (is4(a) ? a.bytes[0] === 127 : a.bytes.slice(0, 15).every((x) => x === 0) && a.bytes[15] === 1),
  isMulticast: (a: Addr): boolean => (is4(a) ? (a.bytes[0]! & 0xf0) === 0xe0 : a.bytes[0] === 0xff),
  isLinkLocalMulticast: (a: Addr): boolean => (is4(a) ? a.bytes[0] === 224 && a.bytes[1] === 0 && a.bytes[2] === 0 : a.bytes[0] === 0xff && a.bytes[1] === 0x02),
  isLinkLocalUnicast: (a: Addr): boolean => (is4(a) ? a.bytes[0] === 169 && a.bytes[1] === 254 : a.bytes[0] === 0xfe && (a.bytes[1]! & 0xc0) === 0x80),
  isGlobalUnicast: (a: Addr): boolean => {
    if (is4(a) && (isUnspecified(a) || a.bytes.every((x) => x === 255))) return false;
    return !isUnspecified(a) && !addrPredicates.isLoopback(a) && !addrPredicates.isMulticast(a) && !addrPredicates.isLinkLocalUnicast(a);
  },
};

export interface Prefix {
  addr: Addr;
  bits: number;
}

/** netip.ParsePrefix: the prefix, or Go's error text. */
export function parsePrefix(s: string): Prefix | string {
  const q = JSON.stringify(s);
  const slash = s.lastIndexOf('/');
  if (slash < 0) return `netip.ParsePrefix(${q}): no '/'`;
  const addr = parseAddr(s.slice(0, slash));
  if (typeof addr === 'string') return `netip.ParsePrefix(${q}): ${addr}`;
  if (addr.zone) return `netip.ParsePrefix(${q}): IPv6 zones cannot be present in a prefix`;
  const bitsStr = s.slice(slash + 1);
  if (!/^\d+$/.test(bitsStr) || (bitsStr.length > 1 && bitsStr[0] === '0')) return `netip.ParsePrefix(${q}): bad bits after slash: ${JSON.stringify(bitsStr)}`;
  const bits = Number(bitsStr);
  const max = addr.bytes.length * 8;
  if (bits > max) return `netip.ParsePrefix(${q}): prefix length out of range`;
  return { addr, bits };
}

function maskBytes(b: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(b);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export const prefixString = (p: Prefix): string => `${addrString(p.addr)}/${p.bits}`;

export const prefixMasked = (p: Prefix): Prefix => ({ addr: { bytes: maskBytes(p.addr.bytes, p.bits), zone: '' }, bits: p.bits });

export function prefixContains(p: Prefix, a: Addr): boolean {
  if (a.zone || p.addr.bytes.length !== a.bytes.length) return false;
  const m1 = maskBytes(p.addr.bytes, p.bits);
  const m2 = maskBytes(a.bytes, p.bits);
  return m1.every((x, i) => x === m2[i]);
}

export function prefixOverlaps(p: Prefix, o: Prefix): boolean {
  if (p.addr.bytes.length !== o.addr.bytes.length) return false;
  const bits = Math.min(p.bits, o.bits);
  const m1 = maskBytes(p.addr.bytes, bits);
  const m2 = maskBytes(o.addr.bytes, bits);
  return m1.every((x, i) => x === m2[i]);
}

export const prefixEqual = (a: Prefix, b: Prefix): boolean => a.bits === b.bits && addrEqual(a.addr, b.addr);

// ---------------------------------------------------------------------------------------------
// URLs (Go's net/url, the parts the url library exposes).

export interface GoUrl {
  scheme: string;
  opaque: string;
  host: string;
  /** The path as written (escaped). */
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

/** url.ParseRequestURI and then url.Parse, as the url() function does: the URL or Go's error text. */
export function parseRequestUrl(raw: string): GoUrl | string {
  const err = (why: string): string => `parse ${JSON.stringify(raw)}: ${why}`;
  if (/[\x00-\x1f\x7f]/.test(raw)) return err('net/url: invalid control character in URL');
  if (raw === '') return err('empty url');
  let rest = raw;
  let scheme = '';
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (sm) {
    scheme = sm[1]!.toLowerCase();
    rest = rest.slice(sm[0].length);
  } else if (/^[a-zA-Z0-9+.-]*:/.test(rest) && !rest.startsWith('/')) {
    return err(/^[0-9+.-]/.test(rest) ? 'first path segment in URL cannot contain colon' : 'missing protocol scheme');
  }
  // ParseRequestURI: an absolute URI or an absolute path; the fragment is not split off there,
  // but url.Parse (which the library uses for the parts) splits it.
  if (!scheme && !rest.startsWith('/')) return err('invalid URI for request');
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let rawQuery = '';
  const qm = rest.indexOf('?');
  if (qm >= 0) {
    rawQuery = rest.slice(qm + 1);
    rest = rest.slice(0, qm);
  }
  if (scheme && !rest.startsWith('/')) return { scheme, opaque: rest, host: '', rawPath: '', rawQuery, fragment };
  let host = '';
  if (rest.startsWith('//')) {
    const authEnd = rest.indexOf('/', 2);
    let authority = authEnd < 0 ? rest.slice(2) : rest.slice(2, authEnd);
    rest = authEnd < 0 ? '' : rest.slice(authEnd);
    const at = authority.lastIndexOf('@');
    if (at >= 0) authority = authority.slice(at + 1);
    const hostErr = validHost(authority);
    if (hostErr) return err(hostErr);
    host = authority;
  }
  if (/%(?![0-9a-fA-F]{2})/.test(rest)) {
    const bad = /%.{0,2}/.exec(rest.slice(rest.search(/%(?![0-9a-fA-F]{2})/)))![0];
    return err(`invalid URL escape ${JSON.stringify(bad)}`);
  }
  return { scheme, opaque: '', host, rawPath: rest, rawQuery, fragment };
}

function validHost(h: string): string | undefined {
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close < 0) return 'missing \']\' in host';
    const port = h.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) return `invalid port ${JSON.stringify(port)} after host`;
    return undefined;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && !/^\d*$/.test(h.slice(colon + 1))) return `invalid port ${JSON.stringify(h.slice(colon))} after host`;
  const bad = /[^A-Za-z0-9\-._~!$&'()*+,;=:%]/.exec(colon >= 0 ? h.slice(0, colon) : h);
  if (bad) return `invalid character ${JSON.stringify(bad[0])} in host name`;
  return undefined;
}

/** url.URL.Hostname: the host without port and without IPv6 brackets. */
export function urlHostname(u: GoUrl): string {
  const h = u.host;
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    return close < 0 ? h.slice(1) : h.slice(1, close);
  }
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** url.URL.Port. */
export function urlPort(u: GoUrl): string {
  const h = u.host;
  const colon = h.lastIndexOf(':');
  if (colon < 0 || (h.startsWith('[') && colon < h.indexOf(']'))) return '';
  return h.slice(colon + 1);
}

/** url.URL.EscapedPath: the path in its escaped form. */
export function urlEscapedPath(u: GoUrl): string {
  return u.rawPath.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) => encodeURIComponent(c));
}

/** url.URL.Query: the query's parameters (malformed pairs are dropped, as Go drops them). */
export function urlQuery(u: GoUrl): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of u.rawQuery.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    const dk = queryUnescape(k);
    const dv = queryUnescape(v);
    if (dk === undefined || dv === undefined) continue;
    const list = out.get(dk) ?? [];
    list.push(dv);
    out.set(dk, list);
  }
  return out;
}

function queryUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return Buffer.from(s.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
}
