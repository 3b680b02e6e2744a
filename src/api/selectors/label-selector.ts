// Label selectors: the string syntax (`?labelSelector=`) and metav1.LabelSelector, with
// apimachinery's parser behaviour and error wording (pkg/labels/selector.go).
//
// Contract: parse once, match many times. A parsed selector is immutable; its requirements
// are sorted by key (stable), so toString() is canonical: equal selectors print equally.

import { badRequest, fieldErrorString } from '../errors.js';
import type { LabelSelector } from '../types.js';
import { isQualifiedName as isLabelKey, isValidLabelValue as isLabelValue } from '../validation/names.js';

export interface Selector {
  matches(labels: Record<string, string> | undefined): boolean;
  isEmpty(): boolean;
  toString(): string;
}

/** Operators as upstream's selection.Operator strings. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

const hasOwn = Object.prototype.hasOwnProperty;

function lookup(labels: Record<string, string> | undefined, key: string): string | undefined {
  if (labels === undefined || labels === null || !hasOwn.call(labels, key)) return undefined;
  return labels[key];
}

const INT64_RE = /^[+-]?[0-9]+$/;
/** A decimal int64 as Go's strconv.ParseInt(s, 10, 64) reads it (optional sign); undefined when it would fail. */
export function parseInt64(s: string): bigint | undefined {
  if (!INT64_RE.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==': {
      const v = lookup(labels, r.key);
      return v !== undefined && r.values.includes(v);
    }
    case 'notin':
    case '!=': {
      const v = lookup(labels, r.key);
      return v === undefined || !r.values.includes(v);
    }
    case 'exists':
      return lookup(labels, r.key) !== undefined;
    case '!':
      return lookup(labels, r.key) === undefined;
    case 'gt':
    case 'lt': {
      const v = lookup(labels, r.key);
      if (v === undefined || r.values.length !== 1) return false;
      const lv = parseInt64(v);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function sortedCopy(values: readonly string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Upstream's Requirement.String(): `!k`, `k`, `k=v`, `k in (a,b)` (values sorted). */
export function requirementToString(r: LabelRequirement): string {
  let s = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case 'exists':
    case '!':
      return s;
    case '=':
    case '==':
    case '!=':
      s += r.operator;
      break;
    case 'in':
      s += ' in ';
      break;
    case 'notin':
      s += ' notin ';
      break;
    case 'gt':
      s += '>';
      break;
    case 'lt':
      s += '<';
      break;
  }
  const vals = r.values.length === 1 ? r.values[0]! : sortedCopy(r.values).join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${s}(${vals})` : s + vals;
}

class RequirementsSelector implements Selector {
  private readonly reqs: readonly LabelRequirement[];
  constructor(reqs: LabelRequirement[]) {
    // Stable sort by key, as upstream sorts (deterministic String()).
    this.reqs = Object.freeze(reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  matches(labels: Record<string, string> | undefined): boolean {
    const reqs = this.reqs;
    for (let i = 0; i < reqs.length; i++) if (!requirementMatches(reqs[i]!, labels)) return false;
    return true;
  }
  isEmpty(): boolean {
    return this.reqs.length === 0;
  }
  toString(): string {
    return this.reqs.map(requirementToString).join(',');
  }
  /** The requirements, sorted by key. */
  requirements(): readonly LabelRequirement[] {
    return this.reqs;
  }
}

const NOTHING: Selector = Object.freeze({
  matches: () => false,
  isEmpty: () => false,
  toString: () => '',
});

/** Matches every object (an empty selector). */
export function everything(): Selector {
  return new RequirementsSelector([]);
}

/** Matches no object (what a nil metav1.LabelSelector means). */
export function nothing(): Selector {
  return NOTHING;
}

/** Selector requiring every key=value of `set`; an empty set selects everything. */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  const reqs: LabelRequirement[] = [];
  if (set) for (const [key, v] of Object.entries(set)) reqs.push({ key, operator: '=', values: [v] });
  return new RequirementsSelector(reqs);
}

// ---------------------------------------------------------------------------------------------
// Requirement construction and validation (NewRequirement).

/** Aggregated error text as upstream's utilerrors aggregate: one message, or `[a, b]` (deduped). */
function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0]! : `[${uniq.join(', ')}]`;
}

function invalidText(field: string, badValue: unknown, detail: string): string {
  return fieldErrorString({ type: 'FieldValueInvalid', field, badValue, detail });
}

/**
 * Builds a requirement or returns the aggregated error text. `path` prefixes field paths as
 * upstream's field.Path does; undefined is upstream's nil path (prints as `key`, `values[0][k]`).
 */
function newRequirement(key: string, operator: LabelOperator, values: string[] | null): LabelRequirement | string {
  const errs: string[] = [];
  const keyErrs = isLabelKey(key);
  if (keyErrs.length > 0) errs.push(invalidText('key', key, keyErrs.join('; ')));
  const vals = values ?? [];
  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalidText('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalidText('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalidText('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalidText('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidText(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const ve = isLabelValue(v);
    if (ve.length > 0) errs.push(invalidText(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  if (errs.length > 0) return aggregate(errs);
  return Object.freeze({ key, operator, values: Object.freeze([...vals]) });
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser for the string syntax.

enum Tok {
  Error,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const STRING_TO_TOKEN: ReadonlyMap<string, Tok> = new Map([
  [')', Tok.ClosedPar],
  [',', Tok.Comma],
  ['!', Tok.DoesNotExist],
  ['==', Tok.DoubleEquals],
  ['=', Tok.Equals],
  ['>', Tok.GreaterThan],
  ['in', Tok.In],
  ['<', Tok.LessThan],
  ['!=', Tok.NotEquals],
  ['notin', Tok.NotIn],
  ['(', Tok.OpenPar],
]);

interface Item {
  tok: Tok;
  lit: string;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.EndOfString, lit: '' });
      return items;
    }
    const ch = s[pos]!;
    if (isSpecialSymbol(ch)) {
      // Longest operator made of special symbols (e.g. `!=` rather than `!`).
      let buffer = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecialSymbol(s[pos]!)) {
        buffer += s[pos]!;
        const t = STRING_TO_TOKEN.get(buffer);
        if (t !== undefined) {
          last = { tok: t, lit: buffer };
        } else if (last) {
          break;
        }
        pos++;
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` });
    } else {
      const start = pos;
      while (pos < s.length && !isSpecialSymbol(s[pos]!) && !isWhitespace(s[pos]!)) pos++;
      const word = s.slice(start, pos);
      const t = STRING_TO_TOKEN.get(word);
      items.push({ tok: t ?? Tok.Identifier, lit: word });
    }
  }
}

class ParseError extends Error {}

/** Parser context: in `Values`, the keywords `in`/`notin` are plain identifiers. */
enum Ctx {
  KeyAndOperator,
  Values,
}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  private lookahead(ctx: Ctx): Item {
    const it = this.items[this.pos]!;
    if (ctx === Ctx.Values && (it.tok === Tok.In || it.tok === Tok.NotIn)) return { tok: Tok.Identifier, lit: it.lit };
    return it;
  }

  private consume(ctx: Ctx): Item {
    const it = this.lookahead(ctx);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(Ctx.Values);
      switch (tok) {
        case Tok.Identifier:
        case Tok.DoesNotExist: {
          let r: LabelRequirement;
          try {
            r = this.parseRequirement();
          } catch (e) {
            if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
            throw e;
          }
          reqs.push(r);
          const t = this.consume(Ctx.Values);
          if (t.tok === Tok.EndOfString) return reqs;
          if (t.tok === Tok.Comma) {
            const t2 = this.lookahead(Ctx.Values);
            if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) {
              throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
            }
            break;
          }
          throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
        case Tok.EndOfString:
          return reqs;
        default:
          throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    let op: LabelOperator;
    let values: string[];
    if (inferred === 'exists' || inferred === '!') {
      op = inferred;
      values = [];
    } else {
      op = this.parseOperator();
      values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
      // Upstream passes a sets.String: unique and sorted.
      values = sortedCopy([...new Set(values)]);
    }
    const r = newRequirement(key, op, values);
    if (typeof r === 'string') throw new ParseError(r);
    return r;
  }

  private atRequirementEnd(): boolean {
    const t = this.lookahead(Ctx.Values).tok;
    return t === Tok.EndOfString || t === Tok.Comma;
  }

  private parseKeyAndInferOperator(): [string, LabelOperator | undefined] {
    let op: LabelOperator | undefined;
    let { tok, lit } = this.consume(Ctx.Values);
    if (tok === Tok.DoesNotExist) {
      op = '!';
      ({ tok, lit } = this.consume(Ctx.Values));
    }
    if (tok !== Tok.Identifier) throw new ParseError(`found '${lit}', expected: identifier`);
    const keyErrs = isLabelKey(lit);
    if (keyErrs.length > 0) throw new ParseError(invalidText('<nil>', lit, keyErrs.join('; ')));
    if (this.atRequirementEnd() && op !== '!') op = 'exists';
    return [lit, op];
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(Ctx.KeyAndOperator);
    switch (tok) {
      case Tok.In:
        return 'in';
      case Tok.Equals:
        return '=';
      case Tok.DoubleEquals:
        return '==';
      case Tok.GreaterThan:
        return 'gt';
      case Tok.LessThan:
        return 'lt';
      case Tok.NotIn:
        return 'notin';
      case Tok.NotEquals:
        return '!=';
      default:
        throw new ParseError(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(Ctx.Values);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(Ctx.Values);
    switch (tok) {
      case Tok.Identifier:
      case Tok.Comma: {
        const s = this.parseIdentifiersList();
        if (this.consume(Ctx.Values).tok !== Tok.ClosedPar) throw new ParseError(`found '${lit}', expected: ')'`);
        return s;
      }
      case Tok.ClosedPar:
        this.consume(Ctx.Values);
        return [''];
      default:
        throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  /** A possibly empty, comma-separated list of possibly empty identifiers, up to `)`. */
  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(Ctx.Values);
      if (tok === Tok.Identifier) {
        s.add(lit);
        const t2 = this.lookahead(Ctx.Values);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) return [...s];
        throw new ParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === Tok.Comma) {
        if (s.size === 0) s.add(''); // "(,"
        const t2 = this.lookahead(Ctx.Values).tok;
        if (t2 === Tok.ClosedPar) {
          s.add(''); // ",)"
          return [...s];
        }
        if (t2 === Tok.Comma) s.add(''); // ",,"
      } else {
        throw new ParseError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const t = this.lookahead(Ctx.Values).tok;
    if (t === Tok.EndOfString || t === Tok.Comma) return [''];
    const { tok, lit } = this.consume(Ctx.Values);
    if (tok === Tok.Identifier) return [lit];
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parses the string syntax kubectl sends: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k`, `!k` (also upstream's `k>1`, `k<1`), comma = AND. The empty string selects everything.
 * Throws ApiError 400 BadRequest with upstream's message.
 */
export function parseLabelSelector(s: string): Selector {
  try {
    return new RequirementsSelector(new Parser(lex(s)).parse());
  } catch (e) {
    if (e instanceof ParseError) throw badRequest(e.message);
    throw e;
  }
}

const OPERATOR_FROM_API: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * metav1.LabelSelectorAsSelector: undefined/null matches nothing; a selector without any
 * matchLabels or matchExpressions matches everything; otherwise all requirements are ANDed.
 * Throws ApiError 400 for invalid operators, keys or values.
 */
export function labelSelectorAsSelector(sel: LabelSelector | undefined | null): Selector {
  if (sel === undefined || sel === null) return NOTHING;
  const labels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  const labelEntries = Object.entries(labels);
  if (labelEntries.length + exprs.length === 0) return everything();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of labelEntries) {
    if (typeof v !== 'string') throw badRequest(invalidText(`matchLabels[${k}]`, v, 'must be a string'));
    const r = newRequirement(k, '=', [v]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  for (const expr of exprs) {
    const op = OPERATOR_FROM_API[expr.operator as string];
    if (op === undefined || !hasOwn.call(OPERATOR_FROM_API, expr.operator)) {
      throw badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    }
    const values = expr.values ?? null;
    if (values !== null && !isStringArray(values)) throw badRequest(invalidText('values', values, 'must be a list of strings'));
    const r = newRequirement(String(expr.key), op, values === null ? null : [...values]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  return new RequirementsSelector(reqs);
}

/**
 * Canonical string of a metav1.LabelSelector, e.g. `app=x,tier in (a,b)` (keys sorted), usable
 * as a `labelSelector` query value. '' for an empty selector. Throws ApiError 400 if invalid.
 */
export function labelSelectorToString(sel: LabelSelector): string {
  return labelSelectorAsSelector(sel).toString();
}

/** metav1.FormatLabelSelector for display: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  let s: string;
  try {
    s = labelSelectorAsSelector(sel).toString();
  } catch {
    return '<error>';
  }
  return s.length === 0 ? '<none>' : s;
}
