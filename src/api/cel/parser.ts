// CEL's lexer and parser (google/cel-spec's grammar, as cel-go's ANTLR grammar CEL.g4 reads
// it): a recursive-descent parser over code points with the grammar's precedence
//   ?: < || < && < relations (< <= >= > == != in, left-assoc) < + - < * / % < unary ! - < member
// and cel-go's parse-time work: literals checked (`invalid int literal`), string escapes,
// reserved identifiers refused, macros expanded (has, all, exists, exists_one, map, filter,
// optMap, optFlatMap), `.?`/`[?` optional syntax, and the expression size and nesting limits.
//
// Errors carry cel-go's words and locations. Syntax errors follow ANTLR's wording for the first
// error (`mismatched input 'x' expecting {...}`, `extraneous input ...`, `token recognition
// error at: ...`); where ANTLR would recover and report more, parsing stops at the first.

import { accumulatorName, type Comprehension, type Expr, type Literal, type MacroKind, type MapEntry, type StructField } from './ast.js';
import { CelIssues } from './errors.js';

/** cel-go's default parser limits. */
export const maxExpressionCodePoints = 100_000;
export const maxRecursionDepth = 250;

type TokKind = 'op' | 'int' | 'uint' | 'float' | 'string' | 'bytes' | 'ident' | 'true' | 'false' | 'null' | 'in' | 'eof';

interface Token {
  kind: TokKind;
  /** The source text; for `op` the operator itself. */
  text: string;
  start: number;
  end: number;
}

// ANTLR's vocabulary order of the grammar's tokens, for expected-token sets in messages.
const vocabulary = ['==', '!=', 'in', '<', '<=', '>=', '>', '&&', '||', '[', ']', '{', '}', '(', ')', '.', ',', '-', '!', '?', ':', '+', '*', '/', '%', 'true', 'false', 'null', 'NUM_FLOAT', 'NUM_INT', 'NUM_UINT', 'STRING', 'BYTES', 'IDENTIFIER'];
const symbolic = new Set(['NUM_FLOAT', 'NUM_INT', 'NUM_UINT', 'STRING', 'BYTES', 'IDENTIFIER']);

function expecting(names: string[]): string {
  if (names.length === 1 && names[0] === '<EOF>') return '<EOF>';
  const sorted = vocabulary.filter((v) => names.includes(v));
  const shown = sorted.map((v) => (symbolic.has(v) ? v : `'${v}'`));
  return shown.length === 1 ? shown[0]! : `{${shown.join(', ')}}`;
}

const exprStart = ['[', '{', '(', '.', '-', '!', 'true', 'false', 'null', 'NUM_FLOAT', 'NUM_INT', 'NUM_UINT', 'STRING', 'BYTES', 'IDENTIFIER'];

function tokenName(t: Token): string {
  switch (t.kind) {
    case 'op':
      return t.text;
    case 'int':
      return 'NUM_INT';
    case 'uint':
      return 'NUM_UINT';
    case 'float':
      return 'NUM_FLOAT';
    case 'string':
      return 'STRING';
    case 'bytes':
      return 'BYTES';
    case 'ident':
      return 'IDENTIFIER';
    case 'eof':
      return '<EOF>';
    default:
      return t.kind; // true, false, null, in
  }
}

const reservedIds = new Set(['as', 'break', 'const', 'continue', 'else', 'false', 'for', 'function', 'if', 'import', 'in', 'let', 'loop', 'package', 'namespace', 'null', 'return', 'true', 'var', 'void', 'while']);

class SyntaxAbort extends Error {}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isLetter = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z_]$/.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

/** Lexes all of `cps`; token recognition errors are reported and their first character skipped. */
function lex(cps: string[], issues: CelIssues): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const n = cps.length;
  const ops2 = new Set(['==', '!=', '<=', '>=', '&&', '||']);
  const ops1 = new Set(['<', '>', '[', ']', '{', '}', '(', ')', '.', ',', '-', '!', '?', ':', '+', '*', '/', '%']);
  while (i < n) {
    const c = cps[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f') {
      i++;
      continue;
    }
    if (c === '/' && cps[i + 1] === '/') {
      while (i < n && cps[i] !== '\n') i++;
      continue;
    }
    const two = c + (cps[i + 1] ?? '');
    if (ops2.has(two)) {
      toks.push({ kind: 'op', text: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    // A string, possibly raw (r) and/or bytes (b): b, r, br, bR, Br, BR prefixes.
    const str = lexString(cps, i);
    if (str) {
      if ('error' in str) {
        issues.syntax(i, `token recognition error at: '${cps.slice(i, str.error).join('')}'`);
        i++;
        continue;
      }
      toks.push({ kind: str.bytes ? 'bytes' : 'string', text: cps.slice(i, str.end).join(''), start: i, end: str.end });
      i = str.end;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(cps[i + 1]))) {
      const num = lexNumber(cps, i);
      toks.push({ kind: num.kind, text: cps.slice(i, num.end).join(''), start: i, end: num.end });
      i = num.end;
      continue;
    }
    if (ops1.has(c)) {
      toks.push({ kind: 'op', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (isLetter(c)) {
      let j = i + 1;
      while (isIdentChar(cps[j])) j++;
      const text = cps.slice(i, j).join('');
      const kind: TokKind = text === 'true' || text === 'false' || text === 'null' || text === 'in' ? text : 'ident';
      toks.push({ kind, text, start: i, end: j });
      i = j;
      continue;
    }
    // ANTLR's lexer fails after looking at the next character of `|` and `&` (a `||` or `&&`
    // not completed), and reports what it looked at.
    const seen = (c === '|' || c === '&') && i + 1 < n ? c + cps[i + 1]! : c;
    issues.syntax(i, `token recognition error at: '${seen}'`);
    i++;
  }
  toks.push({ kind: 'eof', text: '<EOF>', start: n, end: n });
  return toks;
}

function lexNumber(cps: string[], i: number): { kind: 'int' | 'uint' | 'float'; end: number } {
  let j = i;
  if (cps[j] === '0' && (cps[j + 1] === 'x' || cps[j + 1] === 'X') && isHex(cps[j + 2])) {
    // The grammar spells the prefix `0x` only; `0X1` lexes as 0 then an identifier.
    if (cps[j + 1] === 'x') {
      j += 2;
      while (isHex(cps[j])) j++;
      if (cps[j] === 'u' || cps[j] === 'U') return { kind: 'uint', end: j + 1 };
      return { kind: 'int', end: j };
    }
  }
  const digits = (k: number): number => {
    while (isDigit(cps[k])) k++;
    return k;
  };
  const exponent = (k: number): number => {
    if (cps[k] !== 'e' && cps[k] !== 'E') return -1;
    let m = k + 1;
    if (cps[m] === '+' || cps[m] === '-') m++;
    if (!isDigit(cps[m])) return -1;
    return digits(m);
  };
  if (cps[j] === '.') {
    j = digits(j + 1);
    const e = exponent(j);
    return { kind: 'float', end: e > 0 ? e : j };
  }
  j = digits(j);
  if (cps[j] === '.' && isDigit(cps[j + 1])) {
    j = digits(j + 1);
    const e = exponent(j);
    return { kind: 'float', end: e > 0 ? e : j };
  }
  const e = exponent(j);
  if (e > 0) return { kind: 'float', end: e };
  if (cps[j] === 'u' || cps[j] === 'U') return { kind: 'uint', end: j + 1 };
  return { kind: 'int', end: j };
}

/** A string literal at `i`: its end, or where lexing it failed; undefined when none starts there. */
function lexString(cps: string[], i: number): { end: number; bytes: boolean } | { error: number } | undefined {
  let j = i;
  let bytes = false;
  let raw = false;
  if (cps[j] === 'b' || cps[j] === 'B') {
    bytes = true;
    j++;
  }
  if (cps[j] === 'r' || cps[j] === 'R') {
    raw = true;
    j++;
  }
  const q = cps[j];
  if (q !== '"' && q !== "'") return undefined;
  const triple = cps[j + 1] === q && cps[j + 2] === q;
  if (triple) {
    let k = j + 3;
    while (k < cps.length) {
      if (!raw && cps[k] === '\\') {
        const esc = escapeLength(cps, k);
        if (esc === 0) return { error: escapeErrorEnd(cps, k) };
        k += esc;
        continue;
      }
      if (cps[k] === q && cps[k + 1] === q && cps[k + 2] === q) return { end: k + 3, bytes };
      k++;
    }
    return { error: cps.length };
  }
  let k = j + 1;
  while (k < cps.length) {
    const c = cps[k]!;
    if (c === '\n' || c === '\r') return { error: k + 1 };
    if (!raw && c === '\\') {
      const esc = escapeLength(cps, k);
      if (esc === 0) return { error: escapeErrorEnd(cps, k) };
      k += esc;
      continue;
    }
    if (c === q) return { end: k + 1, bytes };
    k++;
  }
  return { error: cps.length };
}

/** Length of the escape sequence at `k` as the grammar's ESC_SEQ reads it, 0 when it is none. */
function escapeLength(cps: string[], k: number): number {
  const c = cps[k + 1];
  if (c === undefined) return 0;
  if ('abfnrtv"\'\\?`'.includes(c)) return 2;
  if (c >= '0' && c <= '3') return /^[0-7]$/.test(cps[k + 2] ?? '') && /^[0-7]$/.test(cps[k + 3] ?? '') ? 4 : 0;
  if (c === 'x' || c === 'X') return isHex(cps[k + 2]) && isHex(cps[k + 3]) ? 4 : 0;
  if (c === 'u') return [2, 3, 4, 5].every((d) => isHex(cps[k + d])) ? 6 : 0;
  if (c === 'U') return [2, 3, 4, 5, 6, 7, 8, 9].every((d) => isHex(cps[k + d])) ? 10 : 0;
  return 0;
}

/**
 * Where ANTLR's lexer gives up on a bad escape at `k`: just after the first character that does
 * not fit any escape sequence (its error shows the text up to and including that character).
 */
function escapeErrorEnd(cps: string[], k: number): number {
  const c = cps[k + 1];
  let fits: Array<(ch: string) => boolean> = [];
  if (c !== undefined && c >= '0' && c <= '3') fits = [(ch) => /^[0-7]$/.test(ch), (ch) => /^[0-7]$/.test(ch)];
  else if (c === 'x' || c === 'X') fits = [isHexChar, isHexChar];
  else if (c === 'u') fits = [isHexChar, isHexChar, isHexChar, isHexChar];
  else if (c === 'U') fits = Array<(ch: string) => boolean>(8).fill(isHexChar);
  else return Math.min(k + 2, cps.length);
  for (let d = 0; d < fits.length; d++) {
    const ch = cps[k + 2 + d];
    if (ch === undefined) return cps.length;
    if (!fits[d]!(ch)) return k + 3 + d;
  }
  return Math.min(k + 2 + fits.length, cps.length);
}

const isHexChar = (ch: string): boolean => /^[0-9a-fA-F]$/.test(ch);

/** cel-go's unescape: the value of a string or bytes literal's text; throws with its message. */
function unescape(text: string, isBytes: boolean): number[] | string {
  let value = text.replace(/\r\n?/g, '\n');
  let raw = false;
  if (value[0] === 'r' || value[0] === 'R') {
    value = value.slice(1);
    raw = true;
  }
  const q = value[0]!;
  if (value.length >= 6 && value.startsWith(q.repeat(3))) value = value.slice(3, -3);
  else value = value.slice(1, -1);
  const cps = Array.from(value);
  if (raw || !value.includes('\\')) return isBytes ? Array.from(Buffer.from(value, 'utf8')) : value;
  // Decoded as bytes (bytes literal) or code points (string literal).
  const out: number[] = [];
  const pushCp = (cp: number): void => {
    if (isBytes) out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    else out.push(cp);
  };
  for (let i = 0; i < cps.length; ) {
    const c = cps[i]!;
    if (c !== '\\') {
      pushCp(c.codePointAt(0)!);
      i++;
      continue;
    }
    const e = cps[i + 1];
    if (e === undefined) throw new Error("unable to unescape string, found '\\' as last character");
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '`': 96, '?': 63 };
    if (e in simple) {
      out.push(simple[e]!);
      i += 2;
      continue;
    }
    if (e === 'x' || e === 'X' || e === 'u' || e === 'U') {
      const len = e === 'x' || e === 'X' ? 2 : e === 'u' ? 4 : 8;
      if (isBytes && (e === 'u' || e === 'U')) throw new Error('unable to unescape string');
      const hex = cps.slice(i + 2, i + 2 + len).join('');
      if (hex.length < len || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error('unable to unescape string');
      const v = parseInt(hex, 16);
      if (!isBytes && v > 0x10ffff) throw new Error('unable to unescape string');
      if (isBytes) out.push(v);
      else pushCp(v);
      i += 2 + len;
      continue;
    }
    if (e >= '0' && e <= '3') {
      const oct = cps.slice(i + 2, i + 4).join('');
      if (!/^[0-7]{2}$/.test(oct)) throw new Error('unable to unescape octal sequence in string');
      const v = parseInt(e + oct, 8);
      if (isBytes) out.push(v);
      else pushCp(v);
      i += 4;
      continue;
    }
    throw new Error('unable to unescape string');
  }
  return isBytes ? out : String.fromCodePoint(...out);
}

/** The parsed expression and the issues found (the expression is unusable when there are errors). */
export interface ParseResult {
  expr: Expr;
  issues: CelIssues;
  /** The highest node id used. */
  maxId: number;
}

export function parse(source: string): ParseResult {
  const issues = new CelIssues(source);
  const cps = Array.from(source);
  const p = new Parser(cps, issues);
  if (cps.length > maxExpressionCodePoints) {
    issues.report(-1, `expression code point size exceeds limit: size: ${cps.length}, limit ${maxExpressionCodePoints}`);
    return { expr: p.errorExpr(0), issues, maxId: p.nextId };
  }
  const expr = p.parseStart();
  return { expr, issues, maxId: p.nextId };
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  nextId = 1;
  private depth = 0;

  constructor(
    cps: string[],
    private readonly issues: CelIssues,
  ) {
    this.toks = lex(cps, issues);
  }

  errorExpr(pos: number): Expr {
    return { kind: 'lit', id: this.nextId++, pos, value: { t: 'null' } };
  }

  private id(): number {
    return this.nextId++;
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }

  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && t.text === text;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  /** Reports ANTLR's error for an unexpected token where one of `expected` was needed, and aborts. */
  private fail(expected: string[]): never {
    const t = this.peek();
    const after = this.peek(1);
    const text = t.kind === 'eof' ? '<EOF>' : t.text;
    const extraneous = t.kind !== 'eof' && expected.includes(tokenName(after));
    this.issues.syntax(t.start, `${extraneous ? 'extraneous' : 'mismatched'} input '${text}' expecting ${expecting(expected)}`);
    throw new SyntaxAbort();
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) {
      // ANTLR's single-token insertion: a closer missing at the end of the input.
      const t = this.peek();
      if (t.kind === 'eof' && (text === ')' || text === ']' || text === '}')) {
        this.issues.syntax(t.start, `missing '${text}' at '<EOF>'`);
        throw new SyntaxAbort();
      }
      this.fail([text]);
    }
    return this.next();
  }

  private canStartExpr(t: Token = this.peek()): boolean {
    return exprStart.includes(tokenName(t));
  }

  private enter(): void {
    if (++this.depth > maxRecursionDepth) {
      this.issues.report(-1, 'max recursion depth exceeded');
      throw new SyntaxAbort();
    }
  }

  private leave(): void {
    this.depth--;
  }

  parseStart(): Expr {
    try {
      const e = this.parseExpr(exprStart);
      if (this.peek().kind !== 'eof') this.fail(['<EOF>']);
      return e;
    } catch (err) {
      if (err instanceof SyntaxAbort) return this.errorExpr(0);
      throw err;
    }
  }

  /** expr: conditionalOr ('?' conditionalOr ':' expr)?; `first` is the expected set shown when none starts here. */
  private parseExpr(first: string[] = exprStart): Expr {
    this.enter();
    try {
      if (!this.canStartExpr()) this.fail(first);
      const cond = this.parseOr();
      if (!this.isOp('?')) return cond;
      const q = this.next();
      const t = this.parseOr();
      this.expectOp(':');
      const f = this.parseExpr();
      return this.call(q.start, '_?_:_', [cond, t, f]);
    } finally {
      this.leave();
    }
  }

  private parseOr(): Expr {
    return this.logic('||', '_||_', () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.logic('&&', '_&&_', () => this.parseRelation());
  }

  /**
   * cel-go's balancing logic manager: a chain `a || b || c || d` becomes a balanced tree of
   * binary calls (each at the position of its operator), not a left-leaning one.
   */
  private logic(op: string, fn: string, operand: () => Expr): Expr {
    const terms: Expr[] = [operand()];
    const ops: number[] = [];
    while (this.isOp(op)) {
      ops.push(this.next().start);
      if (!this.canStartExpr()) this.fail(exprStart);
      terms.push(operand());
    }
    if (terms.length === 1) return terms[0]!;
    const balance = (lo: number, hi: number): Expr => {
      if (lo === hi) return terms[lo]!;
      const mid = Math.floor((lo + hi + 1) / 2);
      const left = balance(lo, mid - 1);
      const right = balance(mid, hi);
      return this.call(ops[mid - 1]!, fn, [left, right]);
    };
    return balance(0, terms.length - 1);
  }

  private parseRelation(): Expr {
    let left = this.parseCalc(0);
    const rel: Record<string, string> = { '<': '_<_', '<=': '_<=_', '>=': '_>=_', '>': '_>_', '==': '_==_', '!=': '_!=_' };
    let chain = 0;
    try {
      for (;;) {
        const t = this.peek();
        let fn: string | undefined;
        if (t.kind === 'op') fn = rel[t.text];
        else if (t.kind === 'in') fn = '@in';
        if (!fn) return left;
        this.next();
        chain++;
        this.enter();
        if (!this.canStartExpr()) this.fail(exprStart);
        const right = this.parseCalc(0);
        left = this.call(t.start, fn, [left, right]);
      }
    } finally {
      this.depth -= chain;
    }
  }

  /** calc: `* / %` bind tighter than `+ -`, both left-associative. */
  private parseCalc(level: 0 | 1): Expr {
    const ops: Record<string, string> = level === 0 ? { '+': '_+_', '-': '_-_' } : { '*': '_*_', '/': '_/_', '%': '_%_' };
    let left = level === 0 ? this.parseCalc(1) : this.parseUnary();
    // Each operator of a chain nests the tree one level deeper, and counts toward the parser's
    // recursion limit as ANTLR's left-recursive rule contexts count in cel-go.
    let chain = 0;
    try {
      for (;;) {
        const t = this.peek();
        const fn = t.kind === 'op' ? ops[t.text] : undefined;
        if (!fn) return left;
        this.next();
        chain++;
        this.enter();
        if (!this.canStartExpr()) this.fail(exprStart);
        const right = level === 0 ? this.parseCalc(1) : this.parseUnary();
        left = this.call(t.start, fn, [left, right]);
      }
    } finally {
      this.depth -= chain;
    }
  }

  /** unary: member | '!'+ member | '-'+ member; an even run of operators cancels out. */
  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp('!') || this.isOp('-')) {
      const op = t.text;
      // A minus directly before a number is the literal's sign (`-1` is the int literal -1).
      if (op === '-' && (this.peek(1).kind === 'int' || this.peek(1).kind === 'float')) return this.parseMember();
      let count = 0;
      while (this.isOp(op)) {
        this.next();
        count++;
        if (op === '-' && (this.peek().kind === 'int' || this.peek().kind === 'float')) break;
      }
      const signedNumber = this.isOp('-') && (this.peek(1).kind === 'int' || this.peek(1).kind === 'float');
      if (!this.canStartExpr() || this.isOp('!') || (this.isOp('-') && !signedNumber)) this.fail(exprStart.filter((s) => s !== '-' && s !== '!'));
      const operand = this.parseMember();
      if (count % 2 === 0) return operand;
      return this.call(t.start, op === '!' ? '!_' : '-_', [operand]);
    }
    return this.parseMember();
  }

  private parseMember(): Expr {
    let e = this.parsePrimary();
    let chain = 0;
    for (;;) {
      if (this.isOp('.')) {
        const dot = this.next();
        let optional = false;
        if (this.isOp('?')) {
          this.next();
          optional = true;
        }
        const id = this.peek();
        if (id.kind !== 'ident') this.fail(['IDENTIFIER']);
        this.next();
        if (!optional && this.isOp('(')) {
          const open = this.next();
          const args = this.parseArgs();
          e = this.receiverCallOrMacro(open.start, id.text, e, args);
        } else if (optional) {
          e = this.call(dot.start, '_?._', [e, { kind: 'lit', id: this.id(), pos: id.start, value: { t: 'string', v: id.text } }]);
        } else {
          e = { kind: 'select', id: this.id(), pos: dot.start, operand: e, field: id.text, test: false };
        }
      } else if (this.isOp('[')) {
        const open = this.next();
        let optional = false;
        if (this.isOp('?')) {
          this.next();
          optional = true;
        }
        const index = this.parseExpr();
        this.expectOp(']');
        e = this.call(open.start, optional ? '_[?_]' : '_[_]', [e, index]);
      } else {
        return e;
      }
      if (++chain + this.depth > maxRecursionDepth) {
        this.issues.report(-1, 'max recursion depth exceeded');
        throw new SyntaxAbort();
      }
    }
  }

  /** Arguments after `(` up to and including `)`. */
  private parseArgs(): Expr[] {
    const args: Expr[] = [];
    if (this.isOp(')')) {
      this.next();
      return args;
    }
    args.push(this.parseExpr([...exprStart, ')']));
    while (this.isOp(',')) {
      this.next();
      args.push(this.parseExpr());
    }
    this.expectOp(')');
    return args;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
      case 'uint':
      case 'float':
        return this.parseNumber(false);
      case 'string':
      case 'bytes': {
        this.next();
        const id = this.id();
        let value: Literal;
        try {
          const v = unescape(t.kind === 'bytes' ? t.text.slice(1) : t.text, t.kind === 'bytes');
          value = t.kind === 'bytes' ? { t: 'bytes', v: Uint8Array.from(v as number[]) } : { t: 'string', v: v as string };
        } catch (err) {
          this.issues.report(t.start, err instanceof Error ? err.message : String(err));
          value = { t: 'string', v: t.text };
        }
        return { kind: 'lit', id, pos: t.start, value };
      }
      case 'true':
      case 'false':
        this.next();
        return { kind: 'lit', id: this.id(), pos: t.start, value: { t: 'bool', v: t.kind === 'true' } };
      case 'null':
        this.next();
        return { kind: 'lit', id: this.id(), pos: t.start, value: { t: 'null' } };
      case 'ident':
        return this.parseIdentOrCall(false);
      case 'op':
        break;
      default:
        return this.fail(exprStart);
    }
    if (t.text === '-') return this.parseNumber(true);
    if (t.text === '.') {
      this.next();
      if (this.peek().kind !== 'ident') this.fail(['IDENTIFIER']);
      return this.parseIdentOrCall(true);
    }
    if (t.text === '(') {
      this.next();
      const e = this.parseExpr();
      this.expectOp(')');
      return e;
    }
    if (t.text === '[') {
      this.next();
      const { items, optionals } = this.parseListInit(']');
      this.expectOp(']');
      return { kind: 'list', id: this.id(), pos: t.start, elems: items, optionals };
    }
    if (t.text === '{') {
      this.next();
      const entries = this.parseMapInit();
      this.expectOp('}');
      return { kind: 'map', id: this.id(), pos: t.start, entries };
    }
    return this.fail(exprStart);
  }

  private parseNumber(negative: boolean): Expr {
    const start = this.peek().start;
    if (negative) this.next();
    const t = this.next();
    const id = this.id();
    const invalid = (what: string): Expr => {
      this.issues.report(start, `invalid ${what} literal`);
      return { kind: 'lit', id, pos: start, value: { t: 'null' } };
    };
    if (t.kind === 'float') {
      const v = Number((negative ? '-' : '') + t.text);
      if (!Number.isFinite(v)) return invalid('double');
      return { kind: 'lit', id, pos: start, value: { t: 'double', v } };
    }
    if (t.kind === 'uint') {
      const body = t.text.slice(0, -1);
      const v = BigInt(body);
      if (v > 0xffffffffffffffffn) return invalid('uint');
      return { kind: 'lit', id, pos: start, value: { t: 'uint', v } };
    }
    let v = BigInt(t.text);
    if (negative) v = -v;
    if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return invalid('int');
    return { kind: 'lit', id, pos: start, value: { t: 'int', v } };
  }

  private parseIdentOrCall(leadingDot: boolean): Expr {
    const t = this.next();
    let name = t.text;
    if (this.isOp('(')) {
      const open = this.next();
      if (reservedIds.has(name)) {
        this.issues.report(t.start, `reserved identifier: ${name}`);
      }
      const args = this.parseArgs();
      return this.globalCallOrMacro(open.start, (leadingDot ? '.' : '') + name, args);
    }
    if (this.isOp('{')) {
      const open = this.next();
      const fields = this.parseFieldInit();
      this.expectOp('}');
      return { kind: 'struct', id: this.id(), pos: open.start, typeName: (leadingDot ? '.' : '') + name, fields };
    }
    if (reservedIds.has(name)) {
      this.issues.report(t.start, `reserved identifier: ${name}`);
    }
    if (leadingDot) name = '.' + name;
    return { kind: 'ident', id: this.id(), pos: t.start, name };
  }

  private parseListInit(close: string): { items: Expr[]; optionals: number[] } {
    const items: Expr[] = [];
    const optionals: number[] = [];
    const listFirst = [...exprStart, close, ',', '?'];
    if (this.isOp(close)) return { items, optionals };
    for (;;) {
      if (this.isOp('?')) {
        this.next();
        optionals.push(items.length);
      }
      items.push(this.parseExpr(items.length === 0 ? listFirst : [...exprStart, close, '?']));
      if (!this.isOp(',')) break;
      this.next();
      if (this.isOp(close)) break;
    }
    return { items, optionals };
  }

  private parseMapInit(): MapEntry[] {
    const entries: MapEntry[] = [];
    const first = [...exprStart, '}', ',', '?'];
    if (this.isOp('}')) return entries;
    for (;;) {
      let optional = false;
      if (this.isOp('?')) {
        this.next();
        optional = true;
      }
      const key = this.parseExpr(entries.length === 0 ? first : [...exprStart, '}', '?']);
      const colon = this.expectOp(':');
      const value = this.parseExpr();
      entries.push({ id: this.id(), pos: colon.start, key, value, optional });
      if (!this.isOp(',')) break;
      this.next();
      if (this.isOp('}')) break;
    }
    return entries;
  }

  private parseFieldInit(): StructField[] {
    const fields: StructField[] = [];
    if (this.isOp('}')) return fields;
    for (;;) {
      let optional = false;
      if (this.isOp('?')) {
        this.next();
        optional = true;
      }
      const name = this.peek();
      if (name.kind !== 'ident') this.fail(fields.length === 0 && !optional ? ['}', ',', '?', 'IDENTIFIER'] : ['IDENTIFIER']);
      this.next();
      const colon = this.expectOp(':');
      const value = this.parseExpr();
      fields.push({ id: this.id(), pos: colon.start, name: name.text, value, optional });
      if (!this.isOp(',')) break;
      this.next();
      if (this.isOp('}')) break;
    }
    return fields;
  }

  private call(pos: number, fn: string, args: Expr[], target?: Expr): Expr {
    return target ? { kind: 'call', id: this.id(), pos, fn, target, args } : { kind: 'call', id: this.id(), pos, fn, args };
  }

  private globalCallOrMacro(pos: number, fn: string, args: Expr[]): Expr {
    if (fn === 'has' && args.length === 1) {
      const a = args[0]!;
      if (a.kind === 'select' && !a.test) return { kind: 'select', id: this.id(), pos, operand: a.operand, field: a.field, test: true };
      this.issues.report(a.pos, 'invalid argument to has() macro');
      return this.errorExpr(pos);
    }
    return this.call(pos, fn, args);
  }

  private receiverCallOrMacro(pos: number, fn: string, target: Expr, args: Expr[]): Expr {
    const quantifier: Record<string, 'all' | 'exists' | 'exists_one'> = { all: 'all', exists: 'exists', exists_one: 'exists_one' };
    if (args.length === 2 && fn in quantifier) {
      const v = args[0]!;
      if (v.kind !== 'ident') {
        this.issues.report(v.pos, 'argument must be a simple name');
        return this.errorExpr(pos);
      }
      return this.quantifier(pos, quantifier[fn]!, target, v.name, args[1]!);
    }
    if ((fn === 'map' && (args.length === 2 || args.length === 3)) || (fn === 'filter' && args.length === 2)) {
      const v = args[0]!;
      if (v.kind !== 'ident') {
        this.issues.report(v.pos, 'argument is not an identifier');
        return this.errorExpr(pos);
      }
      return this.mapOrFilter(pos, fn, target, v, args.slice(1));
    }
    if ((fn === 'optMap' || fn === 'optFlatMap') && args.length === 2) {
      const v = args[0]!;
      if (v.kind !== 'ident') {
        this.issues.report(v.pos, `${fn}() variable name must be a simple identifier`);
        return this.errorExpr(pos);
      }
      return this.optMap(pos, fn, target, v.name, args[1]!);
    }
    return this.call(pos, fn, args, target);
  }

  private lit(pos: number, value: Literal): Expr {
    return { kind: 'lit', id: this.id(), pos, value };
  }

  private ident(pos: number, name: string): Expr {
    return { kind: 'ident', id: this.id(), pos, name };
  }

  private quantifier(pos: number, macro: 'all' | 'exists' | 'exists_one', range: Expr, iterVar: string, pred: Expr): Expr {
    const accu = (): Expr => this.ident(pos, accumulatorName);
    let accuInit: Expr;
    let loopCondition: Expr;
    let loopStep: Expr;
    let result: Expr;
    if (macro === 'all') {
      accuInit = this.lit(pos, { t: 'bool', v: true });
      loopCondition = this.call(pos, '@not_strictly_false', [accu()]);
      loopStep = this.call(pos, '_&&_', [accu(), pred]);
      result = accu();
    } else if (macro === 'exists') {
      accuInit = this.lit(pos, { t: 'bool', v: false });
      loopCondition = this.call(pos, '@not_strictly_false', [this.call(pos, '!_', [accu()])]);
      loopStep = this.call(pos, '_||_', [accu(), pred]);
      result = accu();
    } else {
      accuInit = this.lit(pos, { t: 'int', v: 0n });
      loopCondition = this.lit(pos, { t: 'bool', v: true });
      loopStep = this.call(pos, '_?_:_', [pred, this.call(pos, '_+_', [accu(), this.lit(pos, { t: 'int', v: 1n })]), accu()]);
      result = this.call(pos, '_==_', [accu(), this.lit(pos, { t: 'int', v: 1n })]);
    }
    const c: Comprehension = { kind: 'comp', id: this.id(), pos, macro, iterRange: range, iterVar, accuVar: accumulatorName, accuInit, loopCondition, loopStep, result, fn: pred };
    return c;
  }

  private mapOrFilter(pos: number, fn: 'map' | 'filter', range: Expr, v: Expr & { kind: 'ident' }, rest: Expr[]): Expr {
    const accu = (): Expr => this.ident(pos, accumulatorName);
    const init: Expr = { kind: 'list', id: this.id(), pos, elems: [], optionals: [] };
    const cond = this.lit(pos, { t: 'bool', v: true });
    let step: Expr;
    let macro: MacroKind;
    let transform: Expr;
    let filter: Expr | undefined;
    if (fn === 'filter') {
      filter = rest[0]!;
      transform = filter;
      const elem: Expr = { kind: 'ident', id: this.id(), pos: v.pos, name: v.name };
      step = this.call(pos, '_?_:_', [filter, this.call(pos, '_+_', [accu(), { kind: 'list', id: this.id(), pos, elems: [elem], optionals: [] }]), accu()]);
      macro = 'filter';
    } else {
      transform = rest.length === 2 ? rest[1]! : rest[0]!;
      filter = rest.length === 2 ? rest[0] : undefined;
      step = this.call(pos, '_+_', [accu(), { kind: 'list', id: this.id(), pos, elems: [transform], optionals: [] }]);
      if (filter) step = this.call(pos, '_?_:_', [filter, step, accu()]);
      macro = filter ? 'mapFilter' : 'map';
    }
    const c: Comprehension = { kind: 'comp', id: this.id(), pos, macro, iterRange: range, iterVar: v.name, accuVar: accumulatorName, accuInit: init, loopCondition: cond, loopStep: step, result: accu(), fn: transform };
    if (filter) c.filter = filter;
    return c;
  }

  /**
   * `opt.optMap(x, f)` is `opt.hasValue() ? optional.of(f with x = opt.value()) : optional.none()`,
   * `optFlatMap` the same without the wrapping `optional.of`; the binding of `x` is a
   * comprehension over an empty list whose accumulator is `x`, as cel-go expands it.
   */
  private optMap(pos: number, fn: 'optMap' | 'optFlatMap', target: Expr, varName: string, body: Expr): Expr {
    const bind: Comprehension = {
      kind: 'comp',
      id: this.id(),
      pos,
      macro: fn,
      iterRange: { kind: 'list', id: this.id(), pos, elems: [], optionals: [] },
      iterVar: '#unused',
      accuVar: varName,
      accuInit: this.call(pos, 'value', [], target),
      loopCondition: this.lit(pos, { t: 'bool', v: false }),
      loopStep: this.ident(pos, varName),
      result: body,
      fn: body,
    };
    const some = fn === 'optMap' ? this.call(pos, 'optional.of', [bind]) : bind;
    return this.call(pos, '_?_:_', [this.call(pos, 'hasValue', [], target), some, this.call(pos, 'optional.none', [])]);
  }
}
