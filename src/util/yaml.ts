// YAML as Kubernetes reads and writes it: sigs.k8s.io/yaml, that is go-yaml v2 (YAML 1.1
// resolution) and a conversion to JSON. kubectl, the API server and the kubelet all read
// manifests this way, so everynode reads (and prints) YAML the same way, never as YAML 1.2.
//
// Reading (readYaml, readYamlDocuments): the syntax is parsed by the `yaml` library (its error
// messages and positions, duplicate-key errors, its alias-expansion limit, `<<` merge keys), and
// every plain scalar is resolved as go-yaml v2's resolve() does:
// - null: empty, `~`, `null`, `Null`, `NULL`;
// - bool: `y Y yes Yes YES on On ON true True TRUE`, and `n N no No NO off Off OFF false False FALSE`;
// - int (first character a digit or a sign, `_` removed first): Go's ParseInt/ParseUint with
//   base 0, so `0644` is octal (420), `0o17`, `0x1F`, `0b101`, `1_000`; `08` is not octal and
//   reads as the float 8; beyond 64 bits it is a float, or a string when that overflows too;
// - float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` after removing `_`, `.5`, and
//   `.inf`/`.nan` in their spellings, which JSON cannot carry: an error, as sigs.k8s.io/yaml's
//   json.Marshal gives (`json: unsupported value: +Inf`);
// - timestamps (`2024-01-01`, `2024-01-01T00:00:00Z`) stay strings, as go-yaml v2 hands them
//   to sigs.k8s.io/yaml's map[string]interface{}; sexagesimal `12:30` is a string too;
// - everything else, and every quoted or block scalar, is a string. Explicit tags `!!str`,
//   `!!int`, `!!float`, `!!bool`, `!!null`, `!!binary` (base64, decoded to its text) are
//   honoured; unknown tags are ignored (a warning, not an error), as go-yaml ignores them.
// Map keys become strings as sigs.k8s.io/yaml makes them (`1: x` is "1", `yes: x` is "true";
// a float key is written as JavaScript writes the number: `1e7` is "10000000", not "1e+07").
// Checked against kubectl 1.32 (`create --dry-run=client -o json`) for over a hundred scalars.
//
// Writing (writeYaml): the output of sigs.k8s.io/yaml.Marshal (kubectl's `-o yaml`): go-yaml
// v2's emitter with its defaults (indent 2, lines folded at 80 columns, sequences in a mapping
// not indented), map keys in go-yaml's order (a natural sort: non-letters before letters,
// digit runs compared as numbers), strings quoted when go-yaml v2 would read them as anything
// else (`"yes"`, `"on"`, `"0644"`, `"2024-01-01T00:00:00Z"`, `""`), single-quoted when they
// cannot be plain (`'*'`, `'a: b'`), multi-line strings as `|` blocks. Byte for byte kubectl
// 1.32's `get -o yaml` for real objects and thousands of random strings, except for texts with
// U+0085 (kubectl's own JSON -> YAML step turns it into a space; here it stays, escaped `\N`)
// or U+2028/U+2029 (see stringStyle).

import { CST, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, Parser, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type ScalarTag } from 'yaml';
import { inexactIntegerMessage, isInexactInt64 } from './numbers.js';

// ---------------------------------------------------------------------------------------------
// go-yaml v2 resolution of a plain scalar (resolve.go).

type Resolved =
  | { tag: 'null'; value: null }
  | { tag: 'bool'; value: boolean }
  /** `inexact`: an integer within int64 that `value` does not hold exactly, as a decimal text (util/numbers.ts). */
  | { tag: 'int' | 'float'; value: number; inexact?: string }
  | { tag: 'str' | 'timestamp' };

const STR: Resolved = { tag: 'str' };
const TIMESTAMP: Resolved = { tag: 'timestamp' };

const resolveMap = new Map<string, Resolved>();
for (const [value, words] of [
  [true, ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']],
  [false, ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']],
] as const) {
  for (const w of words) resolveMap.set(w, { tag: 'bool', value });
}
for (const w of ['', '~', 'null', 'Null', 'NULL']) resolveMap.set(w, { tag: 'null', value: null });
for (const w of ['.nan', '.NaN', '.NAN']) resolveMap.set(w, { tag: 'float', value: NaN });
for (const w of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) resolveMap.set(w, { tag: 'float', value: Infinity });
for (const w of ['-.inf', '-.Inf', '-.INF']) resolveMap.set(w, { tag: 'float', value: -Infinity });

/** First characters go-yaml looks further at (its resolveTable); any other plain scalar is a string. */
const hintChars = new Set('yYnNtTfFoO~+-.0123456789');

const MAX_UINT64 = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

/** Go's strconv.ParseUint(s, 0, 64) (no underscores: the caller removed them). */
function parseUintBase0(s: string): bigint | undefined {
  if (s === '') return undefined;
  let digits = s;
  let prefix = '';
  let re = /^[0-9]+$/;
  if (s[0] === '0') {
    const p = s.length >= 3 ? s[1]!.toLowerCase() : '';
    if (p === 'b') [digits, prefix, re] = [s.slice(2), '0b', /^[01]+$/];
    else if (p === 'o') [digits, prefix, re] = [s.slice(2), '0o', /^[0-7]+$/];
    else if (p === 'x') [digits, prefix, re] = [s.slice(2), '0x', /^[0-9a-fA-F]+$/];
    else {
      [digits, prefix, re] = [s.slice(1), '0o', /^[0-7]*$/];
      if (digits === '') return 0n;
    }
  }
  if (!re.test(digits)) return undefined;
  const n = BigInt(prefix + digits);
  return n > MAX_UINT64 ? undefined : n;
}

/** Go's strconv.ParseInt(s, base, 64) for base 0 or 2. */
function parseInt64(s: string, base: 0 | 2): bigint | undefined {
  let neg = false;
  let rest = s;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    rest = s.slice(1);
  }
  const u = base === 0 ? parseUintBase0(rest) : /^[01]+$/.test(rest) ? BigInt('0b' + rest) : undefined;
  if (u === undefined || u > MAX_UINT64) return undefined;
  if (neg ? u > INT64_CUTOFF : u >= INT64_CUTOFF) return undefined;
  return neg ? -u : u;
}

/** Go's strconv.ParseUint(s, 2, 64). */
function parseUint64Base2(s: string): bigint | undefined {
  if (!/^[01]+$/.test(s)) return undefined;
  const n = BigInt('0b' + s);
  return n > MAX_UINT64 ? undefined : n;
}

function intOf(n: bigint): Resolved {
  return isInexactInt64(n) ? { tag: 'int', value: Number(n), inexact: n.toString() } : { tag: 'int', value: Number(n) };
}

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's strconv.ParseFloat accepts of a text starting with `.` (underscores only between digits). */
const dotFloat = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/;

function floatOf(text: string): Resolved | undefined {
  const f = Number(text);
  // ParseFloat fails (ErrRange) beyond float64: go-yaml then keeps the text as a string.
  return Number.isFinite(f) ? { tag: 'float', value: f === 0 ? 0 : f } : undefined;
}

/** The timestamp formats go-yaml v2 resolves (time.Parse with its allowedTimestampFormats). */
const timestampRe =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[+-](\d{2}):(\d{2}))| +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?)?$/;

function isTimestamp(s: string): boolean {
  const m = timestampRe.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysIn = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > daysIn) return false;
  const hour = m[4] ?? m[9];
  if (hour !== undefined) {
    if (Number(hour) >= 24 || Number(m[5] ?? m[10]) >= 60 || Number(m[6] ?? m[11]) >= 60) return false;
    if (m[7] !== undefined && (Number(m[7]) > 24 || Number(m[8]) > 60)) return false;
  }
  return true;
}

/** go-yaml v2's resolve("", s): what an untagged plain scalar `s` is. */
export function resolvePlainScalar(s: string): Resolved {
  if (s !== '' && !hintChars.has(s[0]!)) return STR;
  const known = resolveMap.get(s);
  if (known) return known;
  const c = s[0]!;
  if (c === '.') return (dotFloat.test(s) && floatOf(s.replaceAll('_', ''))) || STR;
  if (!(c === '+' || c === '-' || (c >= '0' && c <= '9'))) return STR;
  if (c >= '0' && c <= '9' && isTimestamp(s)) return TIMESTAMP;
  const plain = s.replaceAll('_', '');
  if (/^[1-9][0-9]{0,14}$/.test(plain)) return { tag: 'int', value: Number(plain) };
  const i = parseInt64(plain, 0);
  if (i !== undefined) return intOf(i);
  const u = parseUintBase0(plain);
  if (u !== undefined) return intOf(u);
  if (yamlStyleFloat.test(plain)) {
    const f = floatOf(plain);
    if (f) return f;
  }
  if (plain.startsWith('0b')) {
    const b = parseInt64(plain.slice(2), 2) ?? parseUint64Base2(plain.slice(2));
    if (b !== undefined) return intOf(b);
  } else if (plain.startsWith('-0b')) {
    const b = parseInt64('-' + plain.slice(3), 2);
    if (b !== undefined) return intOf(b);
  }
  return STR;
}

// A document resolves each plain scalar against the tags below in turn; remember the last one.
let lastScalar: string | undefined;
let lastResolved: Resolved = STR;
function resolveCached(s: string): Resolved {
  if (s !== lastScalar) {
    lastResolved = resolvePlainScalar(s);
    lastScalar = s;
  }
  return lastResolved;
}

/**
 * The `yaml` library picks the tag of a plain scalar with `tag.test.test(text)`; these
 * "expressions" answer with go-yaml's resolution instead of a pattern.
 */
class ResolvesTo extends RegExp {
  constructor(private readonly tags: ReadonlyArray<Resolved['tag']>) {
    super('');
  }
  override test(text: string): boolean {
    return this.tags.includes(resolveCached(text).tag);
  }
}

/** An int-tagged scalar's number; one a JavaScript number would change is refused (util/numbers.ts). */
function intValue(text: string): number {
  const r = resolveCached(text);
  if (r.tag === 'int' && r.inexact !== undefined) throw new Error(inexactIntegerMessage(r.inexact));
  return numberValue(text);
}

function numberValue(text: string): number {
  const r = resolveCached(text);
  if (r.tag !== 'int' && r.tag !== 'float') throw new Error(`cannot decode ${JSON.stringify(text)} as a number`);
  if (Number.isNaN(r.value)) throw new Error('json: unsupported value: NaN');
  if (!Number.isFinite(r.value)) throw new Error(`json: unsupported value: ${r.value > 0 ? '+Inf' : '-Inf'}`);
  return r.value;
}

const k8sTags: ScalarTag[] = [
  { tag: 'tag:yaml.org,2002:null', default: true, test: new ResolvesTo(['null']), resolve: () => null },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: new ResolvesTo(['bool']), resolve: (text) => (resolveCached(text) as { value: boolean }).value },
  { tag: 'tag:yaml.org,2002:int', default: true, test: new ResolvesTo(['int']), resolve: intValue },
  // Also `!!float 1`: go-yaml turns an int so tagged into a float.
  { tag: 'tag:yaml.org,2002:float', default: true, test: new ResolvesTo(['float', 'int']), resolve: numberValue },
  {
    tag: 'tag:yaml.org,2002:binary',
    default: false,
    resolve: (text) => {
      // Go's base64.StdEncoding: padded, strict, line breaks ignored.
      const b64 = text.replace(/[\r\n]/g, '');
      if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error('!!binary value contains invalid base64 data');
      return Buffer.from(b64, 'base64').toString('utf8');
    },
  },
];

/** The parse options of every YAML text everynode reads. */
export const k8sYamlOptions: ParseOptions & DocumentOptions & SchemaOptions = {
  schema: 'failsafe',
  customTags: k8sTags,
  resolveKnownTags: false,
  merge: true,
};

/**
 * The nesting a YAML text (an API body, a CLI manifest) may have as written. The YAML library
 * composes documents recursively, with large frames (from the top of the stack it overflows at
 * about 650 levels before the JIT has run), so YAML gets half of the JSON limit (512); an apply
 * creating an object nested this deep needs about 350 KiB of node's 984 KiB stack. Aliases may
 * nest the composed value deeper than the text; the API server holds that value to the JSON
 * limit.
 */
export const MAX_YAML_NESTING_DEPTH = 256;

/**
 * The nesting depth of a YAML text as written (its syntax tree, walked without recursion), up
 * to `limit + 1`. The `yaml` library composes documents recursively and overflows the stack at
 * some hundreds of levels, so a reader checks this first (the API server's bodies, the CLI's
 * manifests).
 */
export function yamlTextDepth(text: string, limit: number): number {
  const tokens: CST.Token[] = [];
  const depths: number[] = [];
  for (const t of new Parser().parse(text)) {
    if (t.type === 'document' && t.value) {
      tokens.push(t.value);
      depths.push(0);
    }
  }
  let max = 0;
  while (tokens.length > 0) {
    const t = tokens.pop()!;
    const d = depths.pop()!;
    if (!CST.isCollection(t)) continue;
    if (d + 1 > max) {
      max = d + 1;
      if (max > limit) return max;
    }
    for (const item of t.items) {
      for (const x of [item.key, item.value]) {
        if (x) {
          tokens.push(x);
          depths.push(d + 1);
        }
      }
    }
  }
  return max;
}

/**
 * Every document of a YAML stream, parsed as Kubernetes does (see the top of this file). Each
 * has the `yaml` library's `errors` (syntax, duplicate keys, unrepresentable values, with
 * positions); its `toJS()` is the JSON value (it throws on alias expansion beyond the
 * library's limit of 100).
 */
export function readYamlDocuments(text: string): Document.Parsed[] {
  return Array.from(parseAllDocuments(text, k8sYamlOptions) as Iterable<Document.Parsed>);
}

/**
 * One YAML document (a JSON text is one) as Kubernetes reads it; throws the first error, as
 * the `yaml` library's parse() does (several documents are an error). An empty text is null.
 */
export function readYaml(text: string): unknown {
  const doc = parseDocument(text, k8sYamlOptions);
  if (doc.errors.length > 0) throw doc.errors[0]!;
  return doc.toJS();
}

/**
 * The first YAML document read as Kubernetes reads a request body that is not strictly decoded: a key
 * repeated in a mapping is not an error, its last value wins (go-yaml's non-strict Unmarshal).
 * `duplicates` are what go-yaml's strict Unmarshal reports instead, in its words and order
 * (document order, depth first): `line <n>: key "<key>" already set in map`. Other errors throw
 * as readYaml's do.
 */
export function readYamlLenient(text: string): { value: unknown; duplicates: string[] } {
  const lineCounter = new LineCounter();
  // Only the first document counts: a body of several (`---`) is read as go-yaml's Unmarshal
  // reads it, which stops after the first.
  const docs = parseAllDocuments(text, { ...k8sYamlOptions, uniqueKeys: false, lineCounter });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return { value: null, duplicates: [] };
  if (doc.errors.length > 0) throw doc.errors[0]!;
  const duplicates: string[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        const key = item.key;
        // A mapping or a list as a key (`? [a, b]`) has no JSON form: refused, as Kubernetes' YAML to JSON does.
        if (isMap(key) || isSeq(key)) throw new Error(`yaml: invalid map key: ${JSON.stringify(key.toJSON())}`);
        if (isScalar(key) && key.value !== '<<') {
          const name = String(key.value);
          if (seen.has(name)) duplicates.push(`line ${key.range ? lineCounter.linePos(key.range[0]).line : 0}: key ${JSON.stringify(name)} already set in map`);
          seen.add(name);
        }
        walk(item.value);
      }
    } else if (isSeq(node)) for (const item of node.items) walk(item);
  };
  walk(doc.contents);
  return { value: doc.toJS(), duplicates };
}

// ---------------------------------------------------------------------------------------------
// go-yaml v2's encoder and emitter (encode.go, emitterc.go) for JSON values.

const bestIndent = 2;
const bestWidth = 80;

const isBreak = (c: number | undefined) => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isBlank = (c: number | undefined) => c === 0x20 || c === 0x09;
const isBlankz = (c: number | undefined) => isBlank(c) || isBreak(c) || c === 0 || c === undefined;
/** libyaml's is_printable (the emitter writes UTF-8, so non-ASCII printable characters stay). */
const isPrintable = (c: number) =>
  c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);

interface ScalarAnalysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** yaml_emitter_analyze_scalar. */
function analyzeScalar(cps: number[], text: string): ScalarAnalysis {
  if (cps.length === 0) {
    return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  const n = cps.length;
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    const followedByWhitespace = i + 1 >= n || isBlank(cps[i + 1]);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(ch)) {
      flowIndicators = true;
    } else if (ch === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (ch === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(c)) specialCharacters = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  const a: ScalarAnalysis = { multiline: lineBreaks, flowPlainAllowed: true, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (flowIndicators) a.flowPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

/**
 * Texts that analyzeScalar finds plain in every context and whose double-quoted form escapes
 * nothing (no indicator, space, break, quote or backslash; not starting with `-`, `.`, `?`, `:`;
 * not ending with `:`),
 * or numbers as formatNumber writes them: most keys and values.
 */
const simpleText = /^(?:[A-Za-z0-9_/][A-Za-z0-9_./=+:;$()<>^~-]*(?<!:)|-?[0-9][0-9.e+-]*|[-+]?\.(?:inf|nan))$/;

const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/**
 * The style encode.go's stringv asks for: quoted when go-yaml would read the text back as
 * something else. One difference: a text with U+2028 or U+2029 is double-quoted (escaped as `\L`,
 * `\P`), as YAML 1.1 counts them as line breaks and YAML 1.2 parsers (this one too) do not, so
 * go-yaml's raw form would not read back the same everywhere.
 */
function stringStyle(s: string): ScalarStyle {
  if (/[\u2028\u2029]/.test(s)) return 'double';
  if (s.includes('\n')) return 'literal';
  return resolvePlainScalar(s).tag === 'str' && !base60Float.test(s) ? 'plain' : 'double';
}

/** strconv.FormatFloat(f, 'g', -1, 64), as go-yaml writes a float; integers as Go's int. */
function formatNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return String(n);
  const e = Math.abs(exp);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

const isLetter = (c: number) => (c < 0x80 ? (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) : /\p{L}/u.test(String.fromCodePoint(c)));
const isDigit = (c: number) => (c < 0x80 ? c >= 0x30 && c <= 0x39 : /\p{Nd}/u.test(String.fromCodePoint(c)));

/** go-yaml v2's keyList.Less for two string keys (as code point arrays). */
function keyLess(ar: number[], br: number[]): boolean {
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const a = ar[i]!;
    const b = br[i]!;
    if (a === b) continue;
    const al = isLetter(a);
    const bl = isLetter(b);
    if (al && bl) return a < b;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (a === 0x30 || b === 0x30) {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== 0x30) {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + (ar[ai]! - 0x30);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + (br[bi]! - 0x30);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return a < b;
  }
  return ar.length < br.length;
}

/** Keys in go-yaml's order. */
export function sortYamlKeys(keys: string[]): string[] {
  const runes = new Map(keys.map((k) => [k, Array.from(k, (c) => c.codePointAt(0)!)]));
  return [...keys].sort((a, b) => {
    const ar = runes.get(a)!;
    const br = runes.get(b)!;
    return keyLess(ar, br) ? -1 : keyLess(br, ar) ? 1 : 0;
  });
}

/** A JSON value the way JSON.stringify sees it (toJSON called; undefined for what it leaves out). */
function jsonValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: () => unknown }).toJSON();
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

class Emitter {
  out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private flowLevel = 0;
  private mappingContext = false;
  private simpleKeyContext = false;

  private put(s: string): void {
    this.out += s;
    this.column++;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeBreak(c: number): void {
    if (c === 0x0a) this.putBreak();
    else {
      this.out += String.fromCodePoint(c);
      this.column = 0;
    }
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? bestIndent : 0;
    else if (!indentless) this.indent += bestIndent;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of indicator) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** yaml_emitter_emit_node for a JSON value. */
  emitNode(value: unknown, mapping: boolean, simpleKey: boolean): void {
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const v = jsonValue(value);
    if (Array.isArray(v)) this.emitSequence(v);
    else if (v !== null && typeof v === 'object') this.emitMapping(v as Record<string, unknown>);
    else if (typeof v === 'string') this.emitScalar(v, stringStyle(v));
    else if (typeof v === 'number') this.emitScalar(formatNumber(v), 'plain');
    else if (typeof v === 'boolean') this.emitScalar(v ? 'true' : 'false', 'plain');
    else this.emitScalar('null', 'plain');
  }

  private emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private emitSequence(items: unknown[]): void {
    if (items.length === 0 || this.flowLevel > 0) {
      this.emitEmptyFlow('[', ']');
      return;
    }
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item === undefined ? null : item, false, false);
    }
    this.popIndent();
  }

  private emitMapping(obj: Record<string, unknown>): void {
    const keys = sortYamlKeys(Object.keys(obj).filter((k) => jsonValue(obj[k]) !== undefined));
    if (keys.length === 0 || this.flowLevel > 0) {
      this.emitEmptyFlow('{', '}');
      return;
    }
    this.increaseIndent(false, false);
    for (const key of keys) {
      this.writeIndent();
      // yaml_emitter_check_simple_key: one line, at most 128 bytes.
      if (key.length <= 128 && (simpleText.test(key) || !analyzeScalar(Array.from(key, (c) => c.codePointAt(0)!), key).multiline) && Buffer.byteLength(key) <= 128) {
        this.emitNode(key, true, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitNode(key, true, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(obj[key], true, false);
    }
    this.popIndent();
  }

  /** yaml_emitter_emit_scalar: yaml_emitter_select_scalar_style, then the writer of the style. */
  private emitScalar(text: string, requested: ScalarStyle): void {
    if (requested !== 'literal' && simpleText.test(text)) {
      // Fast path, same output: nothing to analyze, escape or fold (no spaces), plain allowed.
      if (!this.whitespace) this.put(' ');
      this.out += requested === 'plain' ? text : `"${text}"`;
      this.column += requested === 'plain' ? text.length : text.length + 2;
      this.whitespace = false;
      this.indention = false;
      return;
    }
    const cps = Array.from(text, (c) => c.codePointAt(0)!);
    const a = analyzeScalar(cps, text);
    let style = requested;
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlainAllowed) || (this.flowLevel === 0 && !a.blockPlainAllowed)) style = 'single';
      if (cps.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext)) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(cps, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(cps, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(cps, allowBreaks);
    else this.writeLiteral(cps);
    this.popIndent();
  }

  private writePlain(cps: number[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    this.writeFlowChars(cps, allowBreaks, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(cps: number[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    this.writeFlowChars(cps, allowBreaks, true);
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * The characters of a plain or single-quoted scalar (go-yaml's writers of both): a space past
   * the width may fold the line, breaks are written out, and in single quotes `'` is doubled and
   * neither the first nor the last space folds.
   */
  private writeFlowChars(cps: number[], allowBreaks: boolean, singleQuoted: boolean): void {
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (c === 0x20) {
        const inner = !singleQuoted || (i > 0 && i < cps.length - 1);
        if (allowBreaks && !spaces && this.column > bestWidth && inner && cps[i + 1] !== 0x20) this.writeIndent();
        else this.put(' ');
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (singleQuoted && c === 0x27) this.put("'");
        this.put(String.fromCodePoint(c));
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
  }

  private writeDoubleQuoted(cps: number[], allowBreaks: boolean): void {
    const escapes: Record<number, string> = {
      0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
      0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
    };
    // libyaml's is_bom looks at the text's first character, whatever the position.
    const bom = cps[0] === 0xfeff;
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (!isPrintable(c) || bom || isBreak(c) || c === 0x22 || c === 0x5c) {
        this.put('\\');
        const e = escapes[c];
        if (e !== undefined) this.put(e);
        else {
          const [letter, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const d of c.toString(16).toUpperCase().padStart(width, '0')) this.put(d);
        }
        spaces = false;
      } else if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < cps.length - 1) {
          this.writeIndent();
          if (cps[i + 1] === 0x20) this.put('\\');
        } else this.put(' ');
        spaces = true;
      } else {
        this.put(String.fromCodePoint(c));
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(cps: number[]): void {
    this.writeIndicator('|', true, false, false);
    if (cps[0] === 0x20 || isBreak(cps[0])) this.writeIndicator(String(bestIndent), false, false, false);
    const n = cps.length;
    const chomp = n === 0 || !isBreak(cps[n - 1]) ? '-' : n === 1 || isBreak(cps[n - 2]) ? '+' : '';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of cps) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(String.fromCodePoint(c));
        this.indention = false;
        breaks = false;
      }
    }
  }

  /** The end of the document: a final line break. */
  finish(): string {
    this.indent = -1;
    this.writeIndent();
    return this.out;
  }
}

/**
 * A JSON value as YAML, byte for byte what sigs.k8s.io/yaml.Marshal (kubectl `-o yaml`) prints
 * for it. Values JSON leaves out (undefined, functions) are left out; toJSON() is honoured.
 */
export function writeYaml(value: unknown): string {
  const e = new Emitter();
  e.emitNode(value, false, false);
  return e.finish();
}
