// kubectl's JSONPath template subset for `-o jsonpath=...`:
//   text outside braces is printed verbatim; `{.a.b}` prints the value(s), space-separated;
//   `{"\n"}` prints a literal; `{range EXPR}...{end}` repeats its body for each value (`range`
//   ends where an identifier does: `{range.items[*]}` is `{range .items[*]}`, as in kubectl);
//   path steps: `.name`, `['name']`, `[n]`, `[-n]`, `[a:b]`, `[*]`, `.*`, `..name`,
//   `[?(@.path OP value)]` with OP in == != < <= > >= (or `[?(@.path)]` for existence),
//   `@` for the current value; dots inside a name are escaped `\.`.
// Missing keys print nothing (kubectl's jsonpath printer allows missing keys). Strings print
// raw, other scalars as text, maps and lists as JSON.

import { children, evaluatePath, JsonPathError, JsonPathExecError, parsePath, unquote, type Step } from '../util/jsonpath.js';

export { evaluatePath, JsonPathError, JsonPathExecError, parsePath };

type Node = { t: 'text'; text: string } | { t: 'expr'; steps: Step[] } | { t: 'literal'; text: string } | { t: 'range'; steps: Step[]; body: Node[] };

/** Parses a template; a template without braces is taken as one expression. */
export function parseTemplate(template: string): Node[] {
  const src = template.includes('{') ? template : `{${template}}`;
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  const top = () => stack[stack.length - 1]!.body;
  while (i < src.length) {
    const open = src.indexOf('{', i);
    if (open < 0) {
      top().push({ t: 'text', text: src.slice(i) });
      break;
    }
    if (open > i) top().push({ t: 'text', text: src.slice(i, open) });
    // The action ends at the first '}' outside quotes.
    let j = open + 1;
    let quote: string | undefined;
    for (; j < src.length; j++) {
      const d = src[j]!;
      if (quote) {
        if (d === '\\') j++;
        else if (d === quote) quote = undefined;
      } else if (d === '"' || d === "'") quote = d;
      else if (d === '}') break;
    }
    if (j >= src.length) throw new JsonPathError(`unclosed action in ${JSON.stringify(template)}`);
    const action = src.slice(open + 1, j).trim();
    i = j + 1;
    if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError(`{end} without {range} in ${JSON.stringify(template)}`);
      stack.pop();
    } else if (/^range(?![A-Za-z0-9_-])/.test(action)) {
      // kubectl reads `range` as an identifier, so `{range.items[*]}` is `{range .items[*]}`.
      const node: Node = { t: 'range', steps: parsePath(action.slice(5)), body: [] };
      top().push(node);
      stack.push({ body: node.body });
    } else if (/^(['"]).*\1$/s.test(action)) top().push({ t: 'literal', text: unquote(action) });
    else top().push({ t: 'expr', steps: parsePath(action) });
  }
  if (stack.length > 1) throw new JsonPathError(`{range} without {end} in ${JSON.stringify(template)}`);
  return root;
}

function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

function exec(nodes: Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
      case 'literal':
        out += n.text;
        break;
      case 'expr':
        out += evaluatePath(n.steps, data, true).map(render).join(' ');
        break;
      case 'range':
        for (const item of evaluatePath(n.steps, data, true)) {
          const items = n.steps.length > 0 ? [item] : children(item);
          for (const it of items) out += exec(n.body, it);
        }
        break;
    }
  }
  return out;
}

/** Evaluates a kubectl JSONPath template against `data`. Throws JsonPathError on bad syntax. */
export function executeTemplate(template: string, data: unknown): string {
  return exec(parseTemplate(template), data);
}

/**
 * kubectl's relaxed JSONPath of --sort-by and custom-columns: `.a.b`, `a.b`, `{.a.b}` and
 * `{a.b}` all become `{.a.b}` (one expression; no text or range around it).
 */
export function relaxedJsonPath(expr: string): string {
  if (expr === '') return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) throw new JsonPathError(`unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'`);
  return `{.${m[1] ?? m[2] ?? ''}}`;
}

/** The values the expressions of `template` find in `data` (text and literals ignored), in order. */
export function findValues(template: string, data: unknown): unknown[] {
  const out: unknown[] = [];
  for (const n of parseTemplate(template)) if (n.t === 'expr') out.push(...evaluatePath(n.steps, data));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go templates: `-o go-template=...` (kubectl's GoTemplatePrinter over Go's text/template).
//
// Supported: text and {{actions}} with `{{-`/`-}}` trimming and /* comments */; pipelines
// (`|` passes the value as the last argument) with fields (`.a.b`, `$x.a`, `(pipeline).a`),
// variables (`$x := ...`, `$x = ...`, `$` the root), literals (strings, raw strings, chars,
// numbers, true/false/nil); if/else if/else, range (with `$i, $v :=`, over lists and maps in key
// order, else), with/else, break/continue; the functions and, or, not, len, index, slice, eq, ne,
// lt, le, gt, ge, print, printf, println, html, js, urlquery and kubectl's exists and
// base64decode. Values are the object's JSON as kubectl decodes it: integers are int64,
// fractions float64, template constants int or float64; printing follows Go's fmt (%v of maps
// `map[k:v]`, of floats 1e+06, a missing field `<no value>`). Errors read as text/template's
// (`template: output:1:11: executing "output" at <.a.b>: ...`). Not supported: define,
// template, block, call and method calls.

/** A Go int (template constant or function result); numbers from the object are int64/float64. */
class GoInt {
  constructor(readonly v: bigint) {}
}

/** A float64 template constant (`2.0`: a float even when its value is whole). */
class GoFloat {
  constructor(readonly v: number) {}
}

/** A float64: a template constant or a fraction of the object. */
const isFloat = (v: unknown): boolean => v instanceof GoFloat || (typeof v === 'number' && !Number.isInteger(v));
const floatOf = (v: unknown): number => (v instanceof GoFloat ? v.v : (v as number));

const NO_VALUE = undefined;

export class GoTemplateError extends Error {
  /** What the template wrote before it failed (text/template writes as it goes). */
  partial = '';
}

interface GoTok {
  t: 'ident' | 'field' | 'var' | 'string' | 'int' | 'float' | 'bool' | 'nil' | 'dot' | 'lparen' | 'rparen' | 'pipe' | 'decl' | 'assign' | 'comma';
  v: string;
  /** Offset in the template, and the offset just after the token. */
  pos: number;
  end: number;
  value?: unknown;
}

type Operand =
  | { t: 'field'; chain: string[]; pos: number; src: string }
  | { t: 'var'; name: string; chain: string[]; pos: number; src: string }
  | { t: 'dot'; pos: number; src: string }
  | { t: 'const'; value: unknown; pos: number; src: string }
  | { t: 'ident'; name: string; pos: number; src: string }
  | { t: 'pipe'; pipe: GoPipe; chain: string[]; pos: number; src: string };

interface GoCommand {
  args: Operand[];
  pos: number;
  src: string;
}

interface GoPipe {
  decl: string[];
  assign: boolean;
  cmds: GoCommand[];
  pos: number;
  src: string;
}

type GoNode =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: GoPipe }
  | { t: 'if' | 'with' | 'range'; pipe: GoPipe; list: GoNode[]; elseList?: GoNode[] }
  | { t: 'break' | 'continue'; pos: number };

const goFuncs = new Set(['and', 'or', 'not', 'len', 'index', 'slice', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'print', 'printf', 'println', 'html', 'js', 'urlquery', 'exists', 'base64decode']);

function unquoteGo(s: string): string {
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i]!;
    const simple: Record<string, string> = { a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (n in simple) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(s.slice(i + 1, i + 1 + len), 16));
      i += len;
    } else if (/[0-7]/.test(n)) {
      out += String.fromCharCode(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else out += n;
  }
  return out;
}

/** The tokens of the action that starts at `i` (after `{{`); `end` is the offset after `}}`. */
function lexAction(src: string, i: number): { toks: GoTok[]; end: number; trimRight: boolean } {
  const toks: GoTok[] = [];
  const push = (t: GoTok['t'], start: number, end: number, value?: unknown): void => {
    toks.push({ t, v: src.slice(start, end), pos: start, end, ...(value !== undefined ? { value } : {}) });
  };
  for (;;) {
    if (i >= src.length) throw new GoTemplateError('unclosed action');
    const c = src[i]!;
    if (src.startsWith(' -}}', i) || src.startsWith('\t-}}', i) || src.startsWith('\n-}}', i)) return { toks, end: i + 4, trimRight: true };
    if (src.startsWith('}}', i)) return { toks, end: i + 2, trimRight: false };
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) {
        if (src[i] === '\\') i++;
        if (src[i] === '\n') throw new GoTemplateError('unterminated quoted string');
      }
      if (i >= src.length) throw new GoTemplateError('unterminated quoted string');
      i++;
      push('string', start, i, unquoteGo(src.slice(start, i)));
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) throw new GoTemplateError('unterminated raw quoted string');
      i = close + 1;
      push('string', start, i, src.slice(start + 1, close));
      continue;
    }
    if (c === "'") {
      const m = /^'(\\.[^']*|[^'\\])'/u.exec(src.slice(i));
      if (!m) throw new GoTemplateError('unterminated character constant');
      i += m[0].length;
      const ch = m[1]!.startsWith('\\') ? unquoteGo(`"${m[1]!}"`) : m[1]!;
      push('int', start, i, new GoInt(BigInt(ch.codePointAt(0) ?? 0)));
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',') {
      i++;
      push(c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === '|' ? 'pipe' : 'comma', start, i);
      continue;
    }
    if (src.startsWith(':=', i)) {
      i += 2;
      push('decl', start, i);
      continue;
    }
    if (c === '=') {
      i++;
      push('assign', start, i);
      continue;
    }
    const num = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && (/\d/.test(c) || ((c === '+' || c === '-' || c === '.') && /\d/.test(src[i + 1] ?? '')))) {
      i += num[0].length;
      const text = num[0].replace(/_/g, '');
      if (/^[+-]?(0[xXbBoO]|\d+$)/.test(text) && !/[.eE]/.test(text.replace(/^[+-]?0[xX][0-9a-fA-F]+$/, ''))) {
        const neg = text.startsWith('-');
        const body = text.replace(/^[+-]/, '');
        const big = /^0[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
        push('int', start, i, new GoInt(neg ? -big : big));
      } else push('float', start, i, new GoFloat(Number(text)));
      continue;
    }
    if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      push('var', start, i);
      continue;
    }
    if (c === '.') {
      const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (m) {
        i += m[0].length;
        push('field', start, i);
      } else {
        i++;
        push('dot', start, i);
      }
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      i += id[0].length;
      const w = id[0];
      if (w === 'true' || w === 'false') push('bool', start, i, w === 'true');
      else if (w === 'nil') push('nil', start, i);
      else push('ident', start, i);
      continue;
    }
    throw new GoTemplateError(`unexpected unrecognized character in action: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
  }
}

type Segment = { t: 'text'; text: string } | { t: 'action'; toks: GoTok[]; pos: number };

/** Splits a template into text and actions, trimming around `{{-` / `-}}` and dropping comments. */
function segments(src: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) out.push({ t: 'text', text });
      break;
    }
    let j = open + 2;
    if (src[j] === '-' && /[ \t\r\n]/.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text) out.push({ t: 'text', text });
    const afterSpace = src.slice(j).replace(/^[ \t\r\n]*/, '');
    if (afterSpace.startsWith('/*')) {
      const from = src.length - afterSpace.length;
      const close = src.indexOf('*/', from + 2);
      if (close < 0) throw new GoTemplateError('unclosed comment');
      const rest = src.slice(close + 2);
      if (rest.startsWith('}}')) i = close + 4;
      else if (/^[ \t\r\n]-}}/.test(rest)) {
        i = close + 6;
        trimNext = true;
      } else throw new GoTemplateError('comment ends before closing delimiter');
      continue;
    }
    const { toks, end, trimRight } = lexAction(src, j);
    out.push({ t: 'action', toks, pos: open });
    i = end;
    trimNext = trimRight;
  }
  return out;
}

class GoParser {
  private seg = 0;

  constructor(private readonly src: string, private readonly segs: Segment[]) {}

  parse(): GoNode[] {
    const { list, stop } = this.list(0);
    if (stop) throw new GoTemplateError(`unexpected {{${stop.word}}}`);
    return list;
  }

  /** Nodes up to an {{end}} or {{else ...}} (returned as `stop`), or the end of the template. */
  private list(depth: number): { list: GoNode[]; stop?: { word: 'end' | 'else'; toks: GoTok[] } } {
    const list: GoNode[] = [];
    while (this.seg < this.segs.length) {
      const s = this.segs[this.seg++]!;
      if (s.t === 'text') {
        list.push({ t: 'text', text: s.text });
        continue;
      }
      const first = s.toks[0];
      if (!first) throw new GoTemplateError('missing value for command');
      if (first.t === 'ident' && (first.v === 'end' || first.v === 'else')) {
        if (depth === 0) throw new GoTemplateError(`unexpected {{${first.v}}}`);
        return { list, stop: { word: first.v, toks: s.toks.slice(1) } };
      }
      if (first.t === 'ident' && (first.v === 'if' || first.v === 'with' || first.v === 'range')) {
        list.push(this.control(first.v, s.toks.slice(1), depth));
        continue;
      }
      if (first.t === 'ident' && (first.v === 'break' || first.v === 'continue')) {
        list.push({ t: first.v, pos: first.pos });
        continue;
      }
      if (first.t === 'ident' && ['define', 'template', 'block'].includes(first.v)) throw new GoTemplateError(`{{${first.v}}} is not supported`);
      list.push({ t: 'action', pipe: this.pipeline(s.toks, 'command') });
    }
    if (depth > 0) throw new GoTemplateError('unexpected EOF');
    return { list };
  }

  private control(word: 'if' | 'with' | 'range', toks: GoTok[], depth: number): GoNode {
    const pipe = this.pipeline(toks, word);
    const body = this.list(depth + 1);
    const node: GoNode = { t: word, pipe, list: body.list };
    if (body.stop?.word === 'else') {
      const rest = body.stop.toks;
      if (rest[0]?.t === 'ident' && (rest[0].v === 'if' || rest[0].v === 'with') && word !== 'range') {
        // `{{else if X}}` is `{{else}}{{if X}}...{{end}}` sharing this {{end}}.
        const inner = this.control(rest[0].v, rest.slice(1), depth);
        node.elseList = [inner];
        return node;
      }
      if (rest.length > 0) throw new GoTemplateError(`unexpected "${rest[0]!.v}" in else`);
      const elseBody = this.list(depth + 1);
      if (elseBody.stop?.word !== 'end') throw new GoTemplateError('expected end; found {{else}}');
      node.elseList = elseBody.list;
    } else if (body.stop?.word === 'end' && body.stop.toks.length > 0) {
      throw new GoTemplateError(`unexpected "${body.stop.toks[0]!.v}" in end`);
    }
    return node;
  }

  private pipeline(toks: GoTok[], context: string): GoPipe {
    if (toks.length === 0) throw new GoTemplateError(`missing value for ${context}`);
    let i = 0;
    const decl: string[] = [];
    let assign = false;
    // `$x :=`, `$x =`, `$i, $v :=`.
    const declEnd = toks.findIndex((t) => t.t === 'decl' || t.t === 'assign');
    if (declEnd > 0 && toks.slice(0, declEnd).every((t, k) => (k % 2 === 0 ? t.t === 'var' : t.t === 'comma'))) {
      for (let k = 0; k < declEnd; k += 2) decl.push(toks[k]!.v);
      assign = toks[declEnd]!.t === 'assign';
      i = declEnd + 1;
    }
    const cmds: GoCommand[] = [];
    let cur: GoTok[] = [];
    let depth = 0;
    for (; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.t === 'lparen') depth++;
      if (t.t === 'rparen') depth--;
      if (t.t === 'pipe' && depth === 0) {
        if (cur.length === 0) throw new GoTemplateError('missing command');
        cmds.push(this.command(cur));
        cur = [];
        continue;
      }
      cur.push(t);
    }
    if (cur.length === 0) throw new GoTemplateError(cmds.length ? 'missing command' : `missing value for ${context}`);
    cmds.push(this.command(cur));
    const pos = toks[0]!.pos;
    return { decl, assign, cmds, pos, src: this.src.slice(pos, toks[toks.length - 1]!.end) };
  }

  private command(toks: GoTok[]): GoCommand {
    const args: Operand[] = [];
    let i = 0;
    while (i < toks.length) {
      const { op, next } = this.operand(toks, i);
      args.push(op);
      i = next;
    }
    if (args.length > 1 && args[0]!.t !== 'ident') {
      const a = args[1]!;
      throw new GoTemplateError(a.t === 'ident' ? `function "${a.name}" not defined` : `can't give argument to non-function ${args[0]!.src}`);
    }
    const pos = toks[0]!.pos;
    return { args, pos, src: this.src.slice(pos, toks[toks.length - 1]!.end) };
  }

  private operand(toks: GoTok[], i: number): { op: Operand; next: number } {
    const t = toks[i]!;
    let op: Operand;
    let next = i + 1;
    switch (t.t) {
      case 'field':
        op = { t: 'field', chain: [t.v.slice(1)], pos: t.pos, src: t.v };
        break;
      case 'var':
        op = { t: 'var', name: t.v, chain: [], pos: t.pos, src: t.v };
        break;
      case 'dot':
        op = { t: 'dot', pos: t.pos, src: '.' };
        break;
      case 'string':
      case 'int':
      case 'float':
      case 'bool':
        op = { t: 'const', value: t.value, pos: t.pos, src: t.v };
        break;
      case 'nil':
        op = { t: 'const', value: null, pos: t.pos, src: 'nil' };
        break;
      case 'ident':
        if (!goFuncs.has(t.v)) throw new GoTemplateError(`function "${t.v}" not defined`);
        op = { t: 'ident', name: t.v, pos: t.pos, src: t.v };
        break;
      case 'lparen': {
        let depth = 0;
        let j = i;
        for (; j < toks.length; j++) {
          if (toks[j]!.t === 'lparen') depth++;
          if (toks[j]!.t === 'rparen' && --depth === 0) break;
        }
        if (j >= toks.length) throw new GoTemplateError('unclosed left paren');
        const pipe = this.pipeline(toks.slice(i + 1, j), 'parenthesized pipeline');
        op = { t: 'pipe', pipe, chain: [], pos: t.pos, src: this.src.slice(t.pos, toks[j]!.end) };
        next = j + 1;
        break;
      }
      default:
        throw new GoTemplateError(`unexpected "${t.v}" in operand`);
    }
    // Fields written right after a term chain onto it (`$x.a`, `.a.b`, `(...).a`).
    let lastEnd = toks[next - 1]!.end;
    let chainPos = -1;
    while (next < toks.length && toks[next]!.t === 'field' && toks[next]!.pos === lastEnd) {
      if (op.t === 'const' || op.t === 'ident' || op.t === 'dot') throw new GoTemplateError(`unexpected ${toks[next]!.v} in operand`);
      if (chainPos < 0) chainPos = toks[next]!.pos;
      (op as { chain: string[] }).chain.push(toks[next]!.v.slice(1));
      lastEnd = toks[next]!.end;
      next++;
    }
    if (chainPos >= 0) {
      // text/template positions a chain at its second element.
      op.pos = chainPos;
      op.src = this.src.slice(t.pos, lastEnd);
    }
    return { op, next };
  }
}

/** Go's name of a value's type, as fmt prints it in `%!d(float64=1.5)`. */
function goTypeName(v: unknown): string {
  if (v instanceof GoInt) return 'int';
  if (v instanceof GoFloat) return 'float64';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v && typeof v === 'object') return 'map[string]interface {}';
  return '<nil>';
}

/** strconv.FormatFloat(f, 'g', -1, 64), as %v prints a float64. */
/**
 * A JSON number as kubectl prints it: decoded (sigs.k8s.io/json) as an int64 when it is an
 * integer int64 holds, printed whole; else as a float64, printed by goFloat (`1e+20`,
 * `1.2345675e+06`).
 */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? String(n) : goFloat(n);
}

export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 21 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return String(f);
}

/**
 * fmt's %#v of a decoded JSON value (kubectl's "object given to jsonpath engine was"): maps as
 * `map[string]interface {}{"k":v, ...}` in key order, lists as `[]interface {}{...}`, strings
 * quoted, null as `interface {}(nil)`.
 */
export function goSyntax(v: unknown, top = true): string {
  if (v === null || v === undefined) return top ? '<nil>' : 'interface {}(nil)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goSyntax(x, false)).join(', ')}}`;
  if (isObject(v)) {
    const o = v;
    return `map[string]interface {}{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goSyntax(o[k], false)}`)
      .join(', ')}}`;
  }
  return String(v);
}

/** fmt's %v of a value. */
export function goPrint(v: unknown): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null) return '<nil>';
  if (v instanceof GoInt) return v.v.toString();
  if (v instanceof GoFloat) return goFloat(v.v);
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? '<nil>' : goPrint(x))).join(' ')}]`;
  if (isObject(v)) {
    const o = v;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function truth(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === false) return false;
  if (v instanceof GoInt) return v.v !== 0n;
  if (v instanceof GoFloat) return v.v !== 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

const isInt = (v: unknown): boolean => v instanceof GoInt || (typeof v === 'number' && Number.isInteger(v));
const asBig = (v: unknown): bigint => (v instanceof GoInt ? v.v : BigInt(v as number));

/** Go's basic kinds for eq/lt: int (int, int64), float, string, bool. */
function basicKind(v: unknown): 'int' | 'float' | 'string' | 'bool' | undefined {
  if (isInt(v)) return 'int';
  if (isFloat(v)) return 'float';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return undefined;
}

function goEqual(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined) {
    if ((a === null || a === NO_VALUE) && (b === null || b === NO_VALUE)) return true;
    if (a === null || a === NO_VALUE || b === null || b === NO_VALUE) return false;
    throw new GoTemplateError('incompatible types for comparison');
  }
  if (ka !== kb) throw new GoTemplateError('incompatible types for comparison');
  if (ka === 'int') return asBig(a) === asBig(b);
  if (ka === 'float') return floatOf(a) === floatOf(b);
  return a === b;
}

function goLess(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined || ka === 'bool') throw new GoTemplateError('invalid type for comparison');
  if (ka !== kb) throw new GoTemplateError('incompatible types for comparison');
  if (ka === 'int') return asBig(a) < asBig(b);
  if (ka === 'float') return floatOf(a) < floatOf(b);
  return (a as string) < (b as string);
}

/** Go's fmt.Sprintf for the verbs templates use (%v %s %d %q %f %e %g %x %X %t %c %%, flags, width, precision). */
export function goSprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (!m) {
      out += '%!(NOVERB)';
      break;
    }
    i += m[0].length;
    const [, flags = '', widthText, precText, verb = ''] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    const prec = precText === undefined ? undefined : Number(precText || '0');
    const bad = (): string => `%!${verb}(${goTypeName(a)}=${goPrint(a)})`;
    let s: string;
    switch (verb) {
      case 'v':
        s = goPrint(a);
        break;
      case 's':
        s = typeof a === 'string' ? (prec !== undefined ? a.slice(0, prec) : a) : Array.isArray(a) || (isObject(a) && a !== null) ? goPrint(a) : bad();
        break;
      case 'q':
        s = typeof a === 'string' ? JSON.stringify(a) : isInt(a) ? `'${String.fromCodePoint(Number(asBig(a)))}'` : bad();
        break;
      case 'd':
        s = isInt(a) ? asBig(a).toString() : bad();
        if (isInt(a) && flags.includes('+') && asBig(a) >= 0n) s = `+${s}`;
        break;
      case 'x':
      case 'X':
        s = isInt(a) ? asBig(a).toString(16) : typeof a === 'string' ? Buffer.from(a).toString('hex') : bad();
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'c':
        s = isInt(a) ? String.fromCodePoint(Number(asBig(a))) : bad();
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : bad();
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'g': {
        if (!isFloat(a)) {
          s = bad();
          break;
        }
        const f = floatOf(a);
        if (verb === 'e') {
          const [mant, e] = f.toExponential(prec ?? 6).split('e') as [string, string];
          const n = Math.abs(Number(e));
          s = `${mant}e${Number(e) < 0 ? '-' : '+'}${n < 10 ? `0${n}` : n}`;
        } else if (verb === 'g') s = prec === undefined ? goFloat(f) : String(Number(f.toPrecision(prec || 1)));
        else s = f.toFixed(prec ?? 6);
        if (flags.includes('+') && f >= 0) s = `+${s}`;
        break;
      }
      default:
        s = bad();
    }
    const width = widthText === undefined ? 0 : Number(widthText);
    if ([...s].length < width) {
      const pad = width - [...s].length;
      if (flags.includes('-')) s += ' '.repeat(pad);
      else if (flags.includes('0') && /[dfFegxX]/.test(verb)) {
        const sign = /^[+-]/.test(s) ? s[0]! : '';
        s = sign + '0'.repeat(pad) + s.slice(sign.length);
      } else s = ' '.repeat(pad) + s;
    }
    out += s;
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${goTypeName(a)}=${goPrint(a)}`).join(', ')})`;
  return out;
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
function goSprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goPrint(a);
  });
  return out;
}

/** A JSON object (a Go map), not a list nor a wrapped constant. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt) && !(v instanceof GoFloat);
}

class LoopControl {
  constructor(readonly kind: 'break' | 'continue') {}
}

class GoExec {
  private out = '';
  private vars: { name: string; value: unknown }[] = [];

  constructor(private readonly src: string, private readonly root: unknown) {
    this.vars.push({ name: '$', value: root });
  }

  run(nodes: GoNode[]): string {
    this.list(nodes, this.root);
    return this.out;
  }

  private fail(pos: number, context: string, message: string): never {
    const before = this.src.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? pos : pos - (nl + 1);
    const e = new GoTemplateError(`template: output:${line}:${col}: executing "output" at <${context}>: ${message}`);
    e.partial = this.out;
    throw e;
  }

  private list(nodes: GoNode[], dot: unknown): void {
    for (const n of nodes) this.node(n, dot);
  }

  private node(n: GoNode, dot: unknown): void {
    switch (n.t) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.pipe(n.pipe, dot);
        // A null printed by an action is text/template's invalid value (its pipeline unwraps the
        // interface holding nil): `<no value>`; inside a map or through printf it stays `<nil>`.
        if (n.pipe.decl.length === 0) this.out += v === null ? '<no value>' : goPrint(v);
        return;
      }
      case 'break':
      case 'continue':
        throw new LoopControl(n.t);
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.pipe(n.pipe, dot);
        if (truth(v)) this.list(n.list, n.t === 'with' ? v : dot);
        else if (n.elseList) this.list(n.elseList, dot);
        this.vars.length = mark;
        return;
      }
      case 'range': {
        const mark = this.vars.length;
        const v = this.pipe({ ...n.pipe, decl: [] }, dot);
        let items: [unknown, unknown][];
        if (v === NO_VALUE || v === null) items = [];
        else if (Array.isArray(v)) items = v.map((x, i) => [new GoInt(BigInt(i)), x]);
        else if (isObject(v)) {
          const o = v;
          items = Object.keys(o)
            .sort()
            .map((k) => [k, o[k]]);
        } else if (isInt(v)) items = Array.from({ length: Number(asBig(v)) }, (_, i) => [new GoInt(BigInt(i)), new GoInt(BigInt(i))]);
        else {
          // text/template reports the node it evaluated last: the pipeline's last operand.
          const last = n.pipe.cmds[n.pipe.cmds.length - 1]!;
          const at = last.args.length === 1 ? last.args[0]! : last;
          this.fail(at.pos, at.src, `range can't iterate over ${goPrint(v)}`);
        }
        if (items.length === 0) {
          if (n.elseList) this.list(n.elseList, dot);
        }
        for (const [key, value] of items) {
          const inner = this.vars.length;
          if (n.pipe.decl.length === 1) this.vars.push({ name: n.pipe.decl[0]!, value });
          if (n.pipe.decl.length === 2) this.vars.push({ name: n.pipe.decl[0]!, value: key }, { name: n.pipe.decl[1]!, value });
          try {
            this.list(n.list, value);
          } catch (e) {
            if (!(e instanceof LoopControl)) throw e;
            if (e.kind === 'break') break;
          } finally {
            this.vars.length = inner;
          }
        }
        this.vars.length = mark;
        return;
      }
    }
  }

  private lookupVar(name: string, pos: number): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.fail(pos, name, `undefined variable: ${name}`);
  }

  private pipe(p: GoPipe, dot: unknown): unknown {
    let value: unknown = NO_VALUE;
    let piped = false;
    for (const c of p.cmds) {
      value = this.command(c, dot, piped ? [value] : []);
      piped = true;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        const name = p.decl[0]!;
        const slot = [...this.vars].reverse().find((x) => x.name === name);
        if (!slot) this.fail(p.pos, p.src, `undefined variable: ${name}`);
        slot.value = value;
      } else for (const name of p.decl) this.vars.push({ name, value });
    }
    return value;
  }

  private chain(v: unknown, chain: string[], op: Operand): unknown {
    let cur = v;
    for (const f of chain) {
      if (cur === NO_VALUE) return NO_VALUE;
      if (cur === null) this.fail(op.pos, op.src, `nil pointer evaluating interface {}.${f}`);
      if (isObject(cur)) {
        const o = cur;
        cur = Object.prototype.hasOwnProperty.call(o, f) ? o[f] : NO_VALUE;
        continue;
      }
      this.fail(op.pos, op.src, `can't evaluate field ${f} in type interface {}`);
    }
    return cur;
  }

  private operand(op: Operand, dot: unknown): unknown {
    switch (op.t) {
      case 'dot':
        return dot;
      case 'field':
        return this.chain(dot, op.chain, op);
      case 'var':
        return this.chain(this.lookupVar(op.name, op.pos), op.chain, op);
      case 'const':
        return op.value;
      case 'pipe':
        return this.chain(this.pipe(op.pipe, dot), op.chain, op);
      case 'ident':
        return this.call(op.name, [], op.pos, op.src);
    }
  }

  private command(c: GoCommand, dot: unknown, final: unknown[]): unknown {
    const [head, ...rest] = c.args;
    if (head!.t === 'ident') {
      // and/or evaluate their arguments lazily, as Go 1.18+.
      if (head!.name === 'and' || head!.name === 'or') {
        const ops = [...rest.map((o) => () => this.operand(o, dot)), ...final.map((v) => () => v)];
        if (ops.length === 0) this.fail(c.pos, c.src, `wrong number of args for ${head!.name}: want at least 1 got 0`);
        let v: unknown = NO_VALUE;
        for (const get of ops) {
          v = get();
          if (head!.name === 'and' ? !truth(v) : truth(v)) return v;
        }
        return v;
      }
      return this.call(head!.name, [...rest.map((o) => this.operand(o, dot)), ...final], c.pos, c.src);
    }
    if (final.length > 0) this.fail(c.pos, c.src, `can't give argument to non-function ${head!.src}`);
    return this.operand(head!, dot);
  }

  private call(name: string, args: unknown[], pos: number, src: string): unknown {
    const want = (n: number): void => {
      if (args.length !== n) this.fail(pos, src, `wrong number of args for ${name}: want ${n} got ${args.length}`);
    };
    const err = (m: string): never => this.fail(pos, src, `error calling ${name}: ${m}`);
    switch (name) {
      case 'not':
        want(1);
        return !truth(args[0]);
      case 'len': {
        want(1);
        const a = args[0];
        if (typeof a === 'string') return new GoInt(BigInt(Buffer.byteLength(a)));
        if (Array.isArray(a)) return new GoInt(BigInt(a.length));
        if (isObject(a)) return new GoInt(BigInt(Object.keys(a).length));
        return err(`len of ${a === NO_VALUE || a === null ? 'nil pointer' : `type ${goTypeName(a)}`}`);
      }
      case 'index': {
        if (args.length < 1) this.fail(pos, src, `wrong number of args for index: want at least 1 got 0`);
        let cur = args[0];
        if (cur === NO_VALUE || cur === null) return err('index of untyped nil');
        for (const k of args.slice(1)) {
          if (Array.isArray(cur)) {
            if (!isInt(k)) return err(`cannot index slice/array with type ${goTypeName(k)}`);
            const i = Number(asBig(k));
            if (i < 0 || i >= cur.length) return err(`index out of range: ${i}`);
            cur = cur[i];
          } else if (isObject(cur)) {
            if (typeof k !== 'string') return err(`value has type ${goTypeName(k)}; should be string`);
            const o = cur;
            cur = Object.prototype.hasOwnProperty.call(o, k) ? o[k] : NO_VALUE;
          } else return err(`can't index item of type ${goTypeName(cur)}`);
        }
        return cur;
      }
      case 'slice': {
        const [item, ...idx] = args;
        const n = idx.map((x) => (isInt(x) ? Number(asBig(x)) : err(`cannot index slice/array with type ${goTypeName(x)}`)));
        if (typeof item === 'string') return item.slice(n[0] ?? 0, n[1] ?? item.length);
        if (Array.isArray(item)) return item.slice(n[0] ?? 0, n[1] ?? item.length);
        return err(`can't slice item of type ${goTypeName(item)}`);
      }
      case 'eq': {
        if (args.length < 2) this.fail(pos, src, `wrong number of args for eq: want at least 1 got ${args.length}`);
        try {
          return args.slice(1).some((b) => goEqual(args[0], b));
        } catch (e) {
          return err((e as Error).message);
        }
      }
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        want(2);
        try {
          const [a, b] = args;
          if (name === 'ne') return !goEqual(a, b);
          if (name === 'lt') return goLess(a, b);
          if (name === 'le') return goLess(a, b) || goEqual(a, b);
          if (name === 'gt') return !goLess(a, b) && !goEqual(a, b);
          return !goLess(a, b);
        } catch (e) {
          return err((e as Error).message);
        }
      }
      case 'print':
        return goSprint(args);
      case 'println':
        return args.map((a) => goPrint(a)).join(' ') + '\n';
      case 'printf':
        if (args.length < 1 || typeof args[0] !== 'string') this.fail(pos, src, 'wrong type for value; expected string');
        return goSprintf(args[0], args.slice(1));
      case 'html':
        return goSprint(args).replace(/[&'<>"\u0000]/g, (ch) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\u0000': '\uFFFD' })[ch]!);
      case 'js':
        return goSprint(args).replace(/[\\'"<>&=\n\r\t]/g, (ch) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch]!);
      case 'urlquery':
        return encodeURIComponent(goSprint(args)).replace(/%20/g, '+').replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
      case 'exists': {
        // kubectl's exists(item, indices...): true when each index is present.
        let cur = args[0];
        for (const k of args.slice(1)) {
          if (Array.isArray(cur) && isInt(k)) {
            const i = Number(asBig(k));
            if (i < 0 || i >= cur.length) return false;
            cur = cur[i];
          } else if (isObject(cur) && typeof k === 'string') {
            if (!Object.prototype.hasOwnProperty.call(cur, k)) return false;
            cur = cur[k];
          } else return false;
        }
        return true;
      }
      case 'base64decode': {
        want(1);
        const s = args[0];
        if (typeof s !== 'string') return err(`wrong type for value; expected string; got ${goTypeName(s)}`);
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return err('base64 decode failed: illegal base64 data at input byte 0');
        return Buffer.from(s, 'base64').toString('latin1');
      }
      default:
        return this.fail(pos, src, `function "${name}" not defined`);
    }
  }
}

/** A parsed Go template. Throws GoTemplateError with text/template's parse message. */
export function parseGoTemplate(src: string): { execute(data: unknown): string } {
  let nodes: GoNode[];
  try {
    nodes = new GoParser(src, segments(src)).parse();
  } catch (e) {
    if (e instanceof GoTemplateError) {
      // text/template names the line of the problem: the line where the template text ends.
      throw new GoTemplateError(`template: output:${1 + (src.match(/\n/g)?.length ?? 0)}: ${e.message}`);
    }
    throw e;
  }
  return {
    execute: (data: unknown): string => {
      try {
        return new GoExec(src, data).run(nodes);
      } catch (e) {
        if (e instanceof LoopControl) return '';
        throw e;
      }
    },
  };
}
