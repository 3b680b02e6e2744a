// The CEL libraries Kubernetes 1.32 adds for CRD validation rules: cel-go's extended strings
// (version 2) and sets, and apiserver's lists, regex, urls, quantity, ip, cidr and format
// libraries, with their overloads, run-time behaviour, error texts and costs.

import { CelError, noSuchOverload } from './errors.js';
import { stringFormat } from './formatting.js';
import { fn, member, type FunctionRegistry, type Overload } from './functions.js';
import { addrEqual, addrPredicates, addrString, is4, is4In6, parseAddr, parsePrefix, parseRequestUrl, prefixContains, prefixEqual, prefixMasked, prefixOverlaps, prefixString, urlEscapedPath, urlHostname, urlPort, urlQuery, type Addr, type GoUrl, type Prefix } from './net.js';
import { actualSize, codePointLength, compileRegex, regexStringLengthCostFactor, stringTraversalCostFactor } from './stdlib.js';
import { K8sTypes, T } from './types.js';
import { ArrayList, celCompare, celEquals, DurationVal, ListVal, LiteralMap, MapVal, OpaqueVal, OptionalVal, typeNameOf, UintVal, type Value } from './values.js';
import { addQuantity, compareQuantity, parseQuantity, quantityParseError, subtractQuantity, type Quantity } from '../validation/quantity.js';
import { isQualifiedName, isValidLabelValue, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain } from '../validation/names.js';
import { matchesStringFormat } from '../validation/string-formats.js';

const traversal = (n: number, factor = stringTraversalCostFactor): number => Math.ceil(n * factor);

// ---------------------------------------------------------------------------------------------
// Values of the library types.

export class QuantityVal extends OpaqueVal {
  readonly typeName = 'kubernetes.Quantity';
  constructor(readonly q: Quantity) {
    super();
  }
  equals(o: OpaqueVal): boolean {
    return o instanceof QuantityVal && compareQuantity(this.q, o.q) === 0;
  }
}

export class UrlVal extends OpaqueVal {
  readonly typeName = 'kubernetes.URL';
  constructor(readonly url: GoUrl) {
    super();
  }
  equals(o: OpaqueVal): boolean {
    return o instanceof UrlVal && JSON.stringify(this.url) === JSON.stringify(o.url);
  }
}

export class IpVal extends OpaqueVal {
  readonly typeName = 'net.IP';
  constructor(readonly addr: Addr) {
    super();
  }
  equals(o: OpaqueVal): boolean {
    return o instanceof IpVal && addrEqual(this.addr, o.addr);
  }
}

export class CidrVal extends OpaqueVal {
  readonly typeName = 'net.CIDR';
  constructor(readonly prefix: Prefix) {
    super();
  }
  equals(o: OpaqueVal): boolean {
    return o instanceof CidrVal && prefixEqual(this.prefix, o.prefix);
  }
}

export class FormatVal extends OpaqueVal {
  readonly typeName = 'kubernetes.NamedFormat';
  constructor(
    readonly name: string,
    readonly validate: (s: string) => string[],
  ) {
    super();
  }
  equals(o: OpaqueVal): boolean {
    return o instanceof FormatVal && o.name === this.name;
  }
}

// ---------------------------------------------------------------------------------------------
// cel-go's extended strings (version 2).

const isGoSpace = (c: string): boolean => /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u.test(c);

function goTrimSpace(s: string): string {
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (a < b && isGoSpace(cps[a]!)) a++;
  while (b > a && isGoSpace(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

/** Go's strings.Replace(s, old, new, n): n < 0 replaces all; an empty `old` matches at every code point boundary. */
function goReplace(s: string, old: string, rep: string, n: number): string {
  if (n === 0 || old === rep) return s;
  if (old === '') {
    const cps = Array.from(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (n < 0 || done < n) {
        out += rep;
        done++;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  let out = '';
  let from = 0;
  let done = 0;
  for (;;) {
    if (n >= 0 && done >= n) break;
    const at = s.indexOf(old, from);
    if (at < 0) break;
    out += s.slice(from, at) + rep;
    from = at + old.length;
    done++;
  }
  return out + s.slice(from);
}

/** Go's strings.SplitN(s, sep, n). */
function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const cps = Array.from(s);
    if (n < 0 || n >= cps.length) return cps;
    return [...cps.slice(0, n - 1), cps.slice(n - 1).join('')];
  }
  const out: string[] = [];
  let from = 0;
  for (;;) {
    if (n > 0 && out.length === n - 1) break;
    const at = s.indexOf(sep, from);
    if (at < 0) break;
    out.push(s.slice(from, at));
    from = at + sep.length;
  }
  out.push(s.slice(from));
  return out;
}

const toInt = (v: Value): number => Number(v as bigint);

function charAt(s: string, i: bigint): string {
  const cps = Array.from(s);
  if (i < 0n || i > BigInt(cps.length)) throw new CelError(`index out of range: ${i}`);
  return i === BigInt(cps.length) ? '' : cps[Number(i)]!;
}

function indexOfOffset(s: string, sub: string, offset: bigint): bigint {
  if (sub === '') return offset;
  if (offset < 0n) throw new CelError(`index out of range: ${offset}`);
  const cps = Array.from(s);
  const subs = Array.from(sub);
  if (offset >= BigInt(cps.length)) return -1n;
  for (let i = Number(offset); i < cps.length - (subs.length - 1); i++) {
    if (subs.every((c, j) => cps[i + j] === c)) return BigInt(i);
  }
  return -1n;
}

function lastIndexOfOffset(s: string, sub: string, offset: bigint): bigint {
  if (sub === '') return offset;
  if (offset < 0n) throw new CelError(`index out of range: ${offset}`);
  const cps = Array.from(s);
  const subs = Array.from(sub);
  if (offset >= BigInt(cps.length)) return -1n;
  let off = Number(offset);
  if (off > cps.length - subs.length) off = cps.length - subs.length;
  for (let i = off; i >= 0; i--) {
    if (subs.every((c, j) => cps[i + j] === c)) return BigInt(i);
  }
  return -1n;
}

function substring(s: string, start: bigint, end?: bigint): string {
  const cps = Array.from(s);
  const l = BigInt(cps.length);
  if (end === undefined) {
    if (start < 0n || start > l) throw new CelError(`index out of range: ${start}`);
    return cps.slice(Number(start)).join('');
  }
  if (start > end) throw new CelError(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > l) throw new CelError(`index out of range: ${start}`);
  if (end < 0n || end > l) throw new CelError(`index out of range: ${end}`);
  return cps.slice(Number(start), Number(end)).join('');
}

const asciiCase = (s: string, upper: boolean): string => s.replace(upper ? /[a-z]+/g : /[A-Z]+/g, (m) => (upper ? m.toUpperCase() : m.toLowerCase()));

function quote(s: string): string {
  let out = '"';
  for (const c of s.replace(/[\ud800-\udfff]/gu, (m) => (m.length === 1 ? '\ufffd' : m))) {
    switch (c) {
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      default:
        out += c;
    }
  }
  return out + '"';
}

function join(list: ListVal, sep: string): string {
  const parts: string[] = [];
  for (const e of list) {
    if (typeof e !== 'string') throw new CelError(`join: invalid input: ${String(e)}`);
    parts.push(e);
  }
  return parts.join(sep);
}

function registerStrings(r: FunctionRegistry): void {
  const sizeCost = ([s]: Value[]): number => traversal(actualSize(s!));
  r.add('charAt', member('string_char_at_int', [T.string, T.int], T.string, ([s, i]) => charAt(s as string, i as bigint)));
  r.add(
    'indexOf',
    member('string_index_of_string', [T.string, T.string], T.int, ([s, sub]) => indexOfOffset(s as string, sub as string, 0n)),
    member('string_index_of_string_int', [T.string, T.string, T.int], T.int, ([s, sub, o]) => indexOfOffset(s as string, sub as string, o as bigint)),
  );
  r.add(
    'lastIndexOf',
    member('string_last_index_of_string', [T.string, T.string], T.int, ([s, sub]) => ((sub as string) === '' ? BigInt(codePointLength(s as string)) : lastIndexOfOffset(s as string, sub as string, BigInt(codePointLength(s as string) - 1)))),
    member('string_last_index_of_string_int', [T.string, T.string, T.int], T.int, ([s, sub, o]) => lastIndexOfOffset(s as string, sub as string, o as bigint)),
  );
  r.add('lowerAscii', member('string_lower_ascii', [T.string], T.string, ([s]) => asciiCase(s as string, false), sizeCost));
  r.add('upperAscii', member('string_upper_ascii', [T.string], T.string, ([s]) => asciiCase(s as string, true), sizeCost));
  const twiceSize = ([s]: Value[]): number => traversal(actualSize(s!) * 2);
  r.add(
    'replace',
    member('string_replace_string_string', [T.string, T.string, T.string], T.string, ([s, a, b]) => goReplace(s as string, a as string, b as string, -1), twiceSize),
    member('string_replace_string_string_int', [T.string, T.string, T.string, T.int], T.string, ([s, a, b, n]) => goReplace(s as string, a as string, b as string, toInt(n!)), twiceSize),
  );
  r.add(
    'split',
    member('string_split_string', [T.string, T.string], T.list(T.string), ([s, sep]) => new ArrayList(goSplitN(s as string, sep as string, -1)), twiceSize),
    member('string_split_string_int', [T.string, T.string, T.int], T.list(T.string), ([s, sep, n]) => new ArrayList(goSplitN(s as string, sep as string, toInt(n!))), twiceSize),
  );
  r.add(
    'substring',
    member('string_substring_int', [T.string, T.int], T.string, ([s, a]) => substring(s as string, a as bigint), sizeCost),
    member('string_substring_int_int', [T.string, T.int, T.int], T.string, ([s, a, b]) => substring(s as string, a as bigint, b as bigint), sizeCost),
  );
  r.add('trim', member('string_trim', [T.string], T.string, ([s]) => goTrimSpace(s as string), sizeCost));
  const joinCost = (_a: Value[], result: Value): number => traversal(actualSize(result) * 2);
  r.add(
    'join',
    member('list_join', [T.list(T.string)], T.string, ([l]) => join(l as ListVal, ''), joinCost),
    member('list_join_string', [T.list(T.string), T.string], T.string, ([l, sep]) => join(l as ListVal, sep as string), joinCost),
  );
  r.add('format', member('string_format', [T.string, T.list(T.dyn)], T.string, ([s, l]) => stringFormat(s as string, l as ListVal), ([s]) => traversal(actualSize(s!))));
  r.add('strings.quote', fn('strings_quote', [T.string], T.string, ([s]) => quote(s as string), ([s]) => traversal(actualSize(s!))));
}

// ---------------------------------------------------------------------------------------------
// cel-go's sets.

function registerSets(r: FunctionRegistry): void {
  const L = T.list(T.param('T'));
  const contains = (l: ListVal, x: Value): boolean => l.toArray().some((e) => celEquals(e, x));
  const setsCost = (factor: number) => ([a, b]: Value[]): number => factor * actualSize(a!) * actualSize(b!);
  r.add('sets.contains', fn('list_sets_contains_list', [L, L], T.bool, ([a, b]) => (b as ListVal).toArray().every((x) => contains(a as ListVal, x)), setsCost(1)));
  r.add('sets.equivalent', fn('list_sets_equivalent_list', [L, L], T.bool, ([a, b]) => (b as ListVal).toArray().every((x) => contains(a as ListVal, x)) && (a as ListVal).toArray().every((x) => contains(b as ListVal, x)), setsCost(2)));
  r.add('sets.intersects', fn('list_sets_intersects_list', [L, L], T.bool, ([a, b]) => (b as ListVal).toArray().some((x) => contains(a as ListVal, x)), setsCost(1)));
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' lists library.

function registerLists(r: FunctionRegistry): void {
  const comparable = [T.int, T.uint, T.double, T.bool, T.duration, T.timestamp, T.string, T.bytes];
  const summable: Array<[typeof T.int, Value]> = [
    [T.int, 0n],
    [T.uint, new UintVal(0n)],
    [T.double, 0],
    [T.duration, new DurationVal(0n)],
  ];
  const traverseCost = ([l]: Value[]): number => 1 + actualSize(l!);
  const name = (t: typeof T.int): string => t.k;
  r.add(
    'isSorted',
    ...comparable.map((t) =>
      member(`list_${name(t)}_is_sorted_bool`, [T.list(t)], T.bool, ([l]) => {
        const items = (l as ListVal).toArray();
        for (let i = 1; i < items.length; i++) if (celCompare(items[i - 1]!, items[i]!) > 0) return false;
        return true;
      }, traverseCost),
    ),
  );
  const addAll = (a: Value, b: Value): Value => {
    if (typeNameOf(a) !== typeNameOf(b)) throw noSuchOverload();
    if (typeof a === 'bigint') {
      const s = a + (b as bigint);
      if (s > 2n ** 63n - 1n || s < -(2n ** 63n)) throw new CelError('integer overflow');
      return s;
    }
    if (a instanceof UintVal) {
      const s = a.v + (b as UintVal).v;
      if (s > 2n ** 64n - 1n) throw new CelError('unsigned integer overflow');
      return new UintVal(s);
    }
    if (typeof a === 'number') return a + (b as number);
    const s = (a as DurationVal).ns + (b as DurationVal).ns;
    if (s > 2n ** 63n - 1n || s < -(2n ** 63n)) throw new CelError('integer overflow');
    return new DurationVal(s);
  };
  r.add('sum', ...summable.map(([t, zero]) => member(`list_${name(t)}_sum_${name(t)}`, [T.list(t)], t, ([l]) => (l as ListVal).toArray().reduce(addAll, zero), traverseCost)));
  const extreme = (op: string, pick: (c: number) => boolean) => ([l]: Value[]): Value => {
    const items = (l as ListVal).toArray();
    if (items.length === 0) throw new CelError(`${op} called on empty list`);
    let best: Value = items[0]!;
    for (const x of items.slice(1)) if (pick(celCompare(best, x))) best = x;
    return best;
  };
  r.add('max', ...comparable.map((t) => member(`list_${name(t)}_max_${name(t)}`, [T.list(t)], t, extreme('max', (c) => c < 0), traverseCost)));
  r.add('min', ...comparable.map((t) => member(`list_${name(t)}_min_${name(t)}`, [T.list(t)], t, extreme('min', (c) => c > 0), traverseCost)));
  const A = T.param('A');
  r.add(
    'indexOf',
    member('list_a_index_of_int', [T.list(A), A], T.int, ([l, x]) => {
      const items = (l as ListVal).toArray();
      const i = items.findIndex((e) => celEquals(e, x!));
      return BigInt(i);
    }, traverseCost),
  );
  r.add(
    'lastIndexOf',
    member('list_a_last_index_of_int', [T.list(A), A], T.int, ([l, x]) => {
      const items = (l as ListVal).toArray();
      for (let i = items.length - 1; i >= 0; i--) if (celEquals(items[i]!, x!)) return BigInt(i);
      return -1n;
    }, traverseCost),
  );
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' regex library: find and findAll with Go's regexp semantics.

/** Go's Regexp.FindAllString(s, n): non-overlapping matches; an empty match right after a match is skipped. */
export function findAll(s: string, pattern: string, n: number): string[] {
  if (n === 0) return [];
  const re = compileRegex(pattern);
  const m = re.matcher(s);
  const out: string[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length && (n < 0 || out.length < n)) {
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      // Move past one code point.
      const c = s.codePointAt(end);
      pos = end + (c === undefined ? 1 : c > 0xffff ? 2 : 1);
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) out.push(s.slice(start, end));
  }
  return out;
}

function registerRegex(r: FunctionRegistry): void {
  const cost = ([s, p]: Value[]): number => traversal(1 + actualSize(s!)) * traversal(actualSize(p!), regexStringLengthCostFactor);
  r.add(
    'find',
    member('string_find_string', [T.string, T.string], T.string, ([s, p]) => {
      const m = compileRegex(p as string).matcher(s as string);
      return m.find() ? (s as string).slice(m.start(), m.end()) : '';
    }, cost),
  );
  r.add(
    'findAll',
    member('string_find_all_string', [T.string, T.string], T.list(T.string), ([s, p]) => new ArrayList(findAll(s as string, p as string, -1)), cost),
    member('string_find_all_string_int', [T.string, T.string, T.int], T.list(T.string), ([s, p, n]) => new ArrayList(findAll(s as string, p as string, toInt(n!))), cost),
  );
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' urls library.

function registerUrls(r: FunctionRegistry): void {
  const U = K8sTypes.url;
  r.add(
    'url',
    fn('string_to_url', [T.string], U, ([s]) => {
      const u = parseRequestUrl(s as string);
      if (typeof u === 'string') throw new CelError(`URL parse error during conversion from string: ${u}`);
      return new UrlVal(u);
    }, ([s]) => traversal(actualSize(s!))),
  );
  const part = (id: string, get: (u: GoUrl) => Value): Overload => member(id, [U], T.string, ([u]) => get((u as UrlVal).url));
  r.add('getScheme', part('url_get_scheme', (u) => u.scheme));
  r.add('getHost', part('url_get_host', (u) => u.host));
  r.add('getHostname', part('url_get_hostname', urlHostname));
  r.add('getPort', part('url_get_port', urlPort));
  r.add('getEscapedPath', part('url_get_escaped_path', urlEscapedPath));
  r.add(
    'getQuery',
    member('url_get_query', [U], T.map(T.string, T.list(T.string)), ([u]) => new LiteralMap([...urlQuery((u as UrlVal).url)].map(([k, v]) => [k, new ArrayList(v)] as [Value, Value]))),
  );
  r.add('isURL', fn('is_url_string', [T.string], T.bool, ([s]) => typeof parseRequestUrl(s as string) !== 'string', ([s]) => traversal(actualSize(s!))));
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' quantity library.

const int64Range = (v: bigint): boolean => v <= 2n ** 63n - 1n && v >= -(2n ** 63n);

function quantityInt(q: Quantity): bigint | undefined {
  if (q.exp10 < 0) return undefined;
  if (q.exp10 > 19) return undefined;
  const v = q.mantissa * 10n ** BigInt(q.exp10);
  return int64Range(v) ? v : undefined;
}

function registerQuantity(r: FunctionRegistry): void {
  const Q = K8sTypes.quantity;
  const q = (v: Value): Quantity => (v as QuantityVal).q;
  const strCost = ([s]: Value[]): number => traversal(actualSize(s!));
  r.add(
    'quantity',
    fn('string_to_quantity', [T.string], Q, ([s]) => {
      const parsed = parseQuantity(s as string);
      if (!parsed) throw new CelError(quantityParseError);
      return new QuantityVal(parsed);
    }, strCost),
  );
  r.add('isQuantity', fn('is_quantity_string', [T.string], T.bool, ([s]) => parseQuantity(s as string) !== undefined, strCost));
  r.add('sign', fn('quantity_sign', [Q], T.int, ([a]) => (q(a!).mantissa > 0n ? 1n : q(a!).mantissa < 0n ? -1n : 0n)));
  r.add('isGreaterThan', member('quantity_is_greater_than', [Q, Q], T.bool, ([a, b]) => compareQuantity(q(a!), q(b!)) === 1));
  r.add('isLessThan', member('quantity_is_less_than', [Q, Q], T.bool, ([a, b]) => compareQuantity(q(a!), q(b!)) === -1));
  r.add('compareTo', member('quantity_compare_to', [Q, Q], T.int, ([a, b]) => BigInt(compareQuantity(q(a!), q(b!)))));
  r.add('asApproximateFloat', member('quantity_get_float', [Q], T.double, ([a]) => Number(q(a!).mantissa) * 10 ** q(a!).exp10));
  r.add(
    'asInteger',
    member('quantity_get_int', [Q], T.int, ([a]) => {
      const v = quantityInt(q(a!));
      if (v === undefined) throw new CelError('cannot convert value to integer');
      return v;
    }),
  );
  r.add('isInteger', member('quantity_is_integer', [Q], T.bool, ([a]) => quantityInt(q(a!)) !== undefined));
  const fromInt = (i: bigint): Quantity => ({ mantissa: i, exp10: 0, format: 'DecimalSI' });
  r.add(
    'add',
    member('quantity_add', [Q, Q], Q, ([a, b]) => new QuantityVal(addQuantity(q(a!), q(b!)))),
    member('quantity_add_int', [Q, T.int], Q, ([a, b]) => new QuantityVal(addQuantity(q(a!), fromInt(b as bigint)))),
  );
  r.add(
    'sub',
    member('quantity_sub', [Q, Q], Q, ([a, b]) => new QuantityVal(subtractQuantity(q(a!), q(b!)))),
    member('quantity_sub_int', [Q, T.int], Q, ([a, b]) => new QuantityVal(subtractQuantity(q(a!), fromInt(b as bigint)))),
  );
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' ip and cidr libraries.

function parseIp(s: string): Addr {
  const a = parseAddr(s);
  if (typeof a === 'string') throw new CelError(`IP Address ${JSON.stringify(s)} parse error during conversion from string: ${a}`);
  if (a.zone) throw new CelError(`IP address ${JSON.stringify(s)} with zone value is not allowed`);
  if (is4In6(a)) throw new CelError(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return a;
}

function parseCidr(s: string): Prefix {
  const p = parsePrefix(s);
  if (typeof p === 'string') throw new CelError(`network address parse error during conversion from string: network address parse error during conversion from string: ${p}`);
  if (is4In6(p.addr)) throw new CelError(`network address parse error during conversion from string: IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return p;
}

const succeeds = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

function registerIp(r: FunctionRegistry): void {
  const IP = K8sTypes.ip;
  const CIDR = K8sTypes.cidr;
  const strCost = ([s]: Value[]): number => traversal(actualSize(s!));
  const a = (v: Value): Addr => (v as IpVal).addr;
  const p = (v: Value): Prefix => (v as CidrVal).prefix;
  r.add('ip', fn('string_to_ip', [T.string], IP, ([s]) => new IpVal(parseIp(s as string)), strCost), member('cidr_ip', [CIDR], IP, ([c]) => new IpVal(p(c!).addr)));
  r.add('family', member('ip_family', [IP], T.int, ([v]) => (is4(a(v!)) ? 4n : 6n)));
  r.add('ip.isCanonical', fn('ip_is_canonical', [T.string], T.bool, ([s]) => addrString(parseIp(s as string)) === s, ([s]) => traversal(actualSize(s!) * 2)));
  for (const name of ['isUnspecified', 'isLoopback', 'isLinkLocalMulticast', 'isLinkLocalUnicast', 'isGlobalUnicast'] as const) {
    const id = `ip_${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    r.add(name, member(id, [IP], T.bool, ([v]) => addrPredicates[name](a(v!))));
  }
  r.add('isIP', fn('is_ip', [T.string], T.bool, ([s]) => succeeds(() => parseIp(s as string)), strCost));
  r.add('string', fn('ip_to_string', [IP], T.string, ([v]) => addrString(a(v!))), fn('cidr_to_string', [CIDR], T.string, ([v]) => prefixString(p(v!))));
  r.add('cidr', fn('string_to_cidr', [T.string], CIDR, ([s]) => new CidrVal(parseCidr(s as string)), strCost));
  r.add(
    'containsIP',
    member('cidr_contains_ip_string', [CIDR, T.string], T.bool, ([c, s]) => prefixContains(p(c!), parseIp(s as string))),
    member('cidr_contains_ip_ip', [CIDR, IP], T.bool, ([c, v]) => prefixContains(p(c!), a(v!))),
  );
  const containsCidr = (c: Prefix, o: Prefix): boolean => prefixOverlaps(c, o) && c.bits <= o.bits;
  r.add(
    'containsCIDR',
    member('cidr_contains_cidr_string', [CIDR, T.string], T.bool, ([c, s]) => containsCidr(p(c!), parseCidr(s as string))),
    member('cidr_contains_cidr', [CIDR, CIDR], T.bool, ([c, o]) => containsCidr(p(c!), p(o!))),
  );
  r.add('prefixLength', member('cidr_prefix_length', [CIDR], T.int, ([c]) => BigInt(p(c!).bits)));
  r.add('masked', member('cidr_masked', [CIDR], CIDR, ([c]) => new CidrVal(prefixMasked(p(c!)))));
  r.add('isCIDR', fn('is_cidr', [T.string], T.bool, ([s]) => succeeds(() => parseCidr(s as string)), strCost));
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' format library.

const urlFormat = (s: string): string[] => {
  const u = parseRequestUrl(s);
  return typeof u === 'string' ? [u] : [];
};
const strfmt = (format: string, message: string) => (s: string): string[] => (matchesStringFormat(format, s) ? [] : [message]);

export const constantFormats: Record<string, FormatVal> = {
  dns1123Label: new FormatVal('DNS1123Label', (s) => nameIsDNSLabel(s, false)),
  dns1123Subdomain: new FormatVal('DNS1123Subdomain', (s) => nameIsDNSSubdomain(s, false)),
  dns1035Label: new FormatVal('DNS1035Label', (s) => nameIsDNS1035Label(s, false)),
  qualifiedName: new FormatVal('QualifiedName', isQualifiedName),
  dns1123LabelPrefix: new FormatVal('DNS1123LabelPrefix', (s) => nameIsDNSLabel(s, true)),
  dns1123SubdomainPrefix: new FormatVal('DNS1123SubdomainPrefix', (s) => nameIsDNSSubdomain(s, true)),
  dns1035LabelPrefix: new FormatVal('DNS1035LabelPrefix', (s) => nameIsDNS1035Label(s, true)),
  labelValue: new FormatVal('LabelValue', isValidLabelValue),
  uri: new FormatVal('URI', urlFormat),
  uuid: new FormatVal('uuid', strfmt('uuid', 'does not match the UUID format')),
  byte: new FormatVal('byte', strfmt('byte', 'invalid base64')),
  date: new FormatVal('date', strfmt('date', 'invalid date')),
  datetime: new FormatVal('datetime', strfmt('datetime', 'invalid datetime')),
};

function registerFormat(r: FunctionRegistry): void {
  const F = K8sTypes.format;
  r.add(
    'validate',
    member('format-validate', [F, T.string], T.optional(T.list(T.string)), ([f, s]) => {
      const errs = (f as FormatVal).validate(s as string);
      return errs.length === 0 ? OptionalVal.none : new OptionalVal(new ArrayList(errs));
    }, ([, s]) => traversal(1 + actualSize(s!)) * traversal(60, regexStringLengthCostFactor)),
  );
  r.add('format.named', fn('format-named', [T.string], T.optional(F), ([name]) => (Object.prototype.hasOwnProperty.call(constantFormats, name as string) ? new OptionalVal(constantFormats[name as string]!) : OptionalVal.none)));
  for (const [name, f] of Object.entries(constantFormats)) r.add(`format.${name}`, fn(`format.${name}`, [], F, () => f));
}

export function registerLibraries(r: FunctionRegistry): void {
  registerStrings(r);
  registerSets(r);
  registerLists(r);
  registerRegex(r);
  registerUrls(r);
  registerQuantity(r);
  registerIp(r);
  registerFormat(r);
}
