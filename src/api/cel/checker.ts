// CEL's type checker (cel-go's checker/checker.go): every node gets a type, identifiers and
// calls are resolved (qualified names like `optional.of`, overloads by argument types with
// type parameters), and the errors are cel-go's: `undeclared reference to 'x' (in container
// '')`, `found no matching overload for '_+_' applied to '(int, string)'`, `undefined field
// 'x'`, `type 'int' does not support field selection`, `expected type 'bool' but found 'int'`.
// The AST validators Kubernetes enables run after a clean check: homogeneous list and map
// literals, and literal arguments of duration(), timestamp() and matches().

import type { Comprehension, Expr } from './ast.js';
import { CelIssues } from './errors.js';
import type { FunctionDecl, FunctionRegistry, Overload } from './functions.js';
import { isCelReserved } from './schema.js';
import { freshen, formatType, isAssignable, isAssignableList, isEquivalentType, isExactType, isOptionalType, K8sTypes, Mapping, mostGeneral, substitute, T, type CelType } from './types.js';

/** A call the checker resolved: the function's (possibly qualified) name and its matching overloads. */
export interface ResolvedCall {
  fn: string;
  overloads: Overload[];
  /** Whether the receiver is the first argument (false for `optional.of(x)` written as a member call). */
  receiver: boolean;
}

export interface CheckedExpr {
  expr: Expr;
  /** The expression's output type. */
  type: CelType;
  types: Map<number, CelType>;
  calls: Map<number, ResolvedCall>;
  /** Identifier nodes and qualified selects resolved to a variable or type name. */
  idents: Map<number, string>;
  /** Whether the expression refers to the `oldSelf` variable. */
  usesOldSelf: boolean;
}

/** Type identifiers of the standard environment and the Kubernetes libraries. */
export const typeIdents: Record<string, CelType> = {
  bool: T.type(T.bool),
  bytes: T.type(T.bytes),
  double: T.type(T.double),
  'google.protobuf.Duration': T.type(T.duration),
  int: T.type(T.int),
  list: T.type(T.list(T.param('A'))),
  map: T.type(T.map(T.param('A'), T.param('B'))),
  null_type: T.type(T.null),
  string: T.type(T.string),
  'google.protobuf.Timestamp': T.type(T.timestamp),
  type: T.type(T.type()),
  uint: T.type(T.uint),
  'net.IP': T.type(K8sTypes.ip),
  'net.CIDR': T.type(K8sTypes.cidr),
};

export interface CheckEnv {
  functions: FunctionRegistry;
  /** Declared variables (self, oldSelf). */
  vars: ReadonlyMap<string, CelType>;
}

/** The dotted name of an identifier or a chain of selects on one (`a.b.c`), if it is one. */
function qualifiedName(e: Expr): string | undefined {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'select' && !e.test) {
    const q = qualifiedName(e.operand);
    return q === undefined ? undefined : `${q}.${e.field}`;
  }
  return undefined;
}

/** Type-checks `expr`: the checked expression, or undefined with the errors in `issues`. The AST validators run after it (compile.ts). */
export function check(expr: Expr, issues: CelIssues, env: CheckEnv): CheckedExpr | undefined {
  const c = new Checker(env, issues);
  c.check(expr);
  if (issues.hasErrors) return undefined;
  const types = new Map<number, CelType>();
  for (const [id, t] of c.types) types.set(id, substitute(c.mappings, t, true));
  return { expr, type: types.get(expr.id) ?? T.dyn, types, calls: c.calls, idents: c.idents, usesOldSelf: c.usesOldSelf };
}

class Checker {
  mappings = new Mapping();
  readonly types = new Map<number, CelType>();
  readonly calls = new Map<number, ResolvedCall>();
  readonly idents = new Map<number, string>();
  usesOldSelf = false;
  private scopes: Array<Map<string, CelType>> = [];
  private typeVars = 0;

  constructor(
    private readonly env: CheckEnv,
    private readonly issues: CelIssues,
  ) {}

  private setType(e: Expr, t: CelType): void {
    this.types.set(e.id, t);
  }

  private typeOf(e: Expr): CelType {
    return this.types.get(e.id) ?? T.error;
  }

  private newTypeVar(): CelType {
    return T.param(`_var${this.typeVars++}`);
  }

  /** A variable or type identifier by name (innermost comprehension scope first). */
  private lookupIdent(name: string): { type: CelType; global: boolean } | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]!.get(name);
      if (t) return { type: t, global: false };
    }
    const v = this.env.vars.get(name);
    if (v) return { type: v, global: true };
    const ti = typeIdents[name];
    if (ti) return { type: ti, global: true };
    return undefined;
  }

  private isAssignable(t1: CelType, t2: CelType): boolean {
    const m = isAssignable(this.mappings, t1, t2);
    if (!m) return false;
    this.mappings = m;
    return true;
  }

  check(e: Expr): void {
    switch (e.kind) {
      case 'lit':
        this.setType(e, { int: T.int, uint: T.uint, double: T.double, string: T.string, bytes: T.bytes, bool: T.bool, null: T.null }[e.value.t]);
        return;
      case 'ident':
        return this.checkIdent(e);
      case 'select':
        return this.checkSelect(e);
      case 'call':
        return this.checkCall(e);
      case 'list':
        return this.checkList(e);
      case 'map':
        return this.checkMap(e);
      case 'struct':
        for (const f of e.fields) this.check(f.value);
        this.issues.report(e.pos, `undeclared reference to '${e.typeName}' (in container '')`);
        this.setType(e, T.error);
        return;
      case 'comp':
        return this.checkComprehension(e);
    }
  }

  private resolveIdent(e: Expr, name: string): boolean {
    const found = this.lookupIdent(name);
    if (!found) return false;
    this.setType(e, found.type);
    this.idents.set(e.id, name);
    if (found.global && name === 'oldSelf') this.usesOldSelf = true;
    return true;
  }

  private checkIdent(e: Expr & { kind: 'ident' }): void {
    if (this.resolveIdent(e, e.name)) return;
    this.setType(e, T.error);
    this.issues.report(e.pos, `undeclared reference to '${e.name}' (in container '')`);
  }

  private checkSelect(e: Expr & { kind: 'select' }): void {
    if (!e.test) {
      const q = qualifiedName(e);
      if (q !== undefined && q.includes('.') && this.lookupIdent(q)?.global && this.resolveIdent(e, q)) return;
    }
    let t = this.checkSelectField(e, e.operand, e.field, false);
    if (e.test) t = T.bool;
    this.setType(e, substitute(this.mappings, t, false));
  }

  private checkSelectField(e: Expr, operand: Expr, field: string, optional: boolean): CelType {
    this.check(operand);
    const operandType = substitute(this.mappings, this.typeOf(operand), false);
    const isOpt = isOptionalType(operandType);
    const target = isOpt ? operandType.params[0]! : operandType;
    let result: CelType = T.error;
    switch (target.k) {
      case 'map':
        result = target.val;
        break;
      case 'object': {
        const ft = target.fields.get(field) ?? (isCelReserved(field) ? target.fields.get(`__${field}__`) : undefined);
        if (ft) result = ft;
        else this.issues.report(e.pos, `undefined field '${field}'`);
        break;
      }
      case 'param':
        this.isAssignable(T.dyn, target);
        result = T.dyn;
        break;
      default:
        if (target.k !== 'dyn' && target.k !== 'any' && target.k !== 'error') this.issues.report(e.pos, `type '${formatType(target)}' does not support field selection`);
        result = T.dyn;
    }
    return isOpt || optional ? T.optional(result) : result;
  }

  private checkCall(e: Expr & { kind: 'call' }): void {
    if (e.fn === '_?._') {
      const [operand, field] = e.args;
      if (!operand || !field || field.kind !== 'lit' || field.value.t !== 'string') {
        this.issues.report(field?.pos ?? e.pos, `unsupported optional field selection: ${field ? 'expression' : ''}`);
        this.setType(e, T.error);
        return;
      }
      const t = this.checkSelectField(e, operand, field.value.v, true);
      this.setType(e, substitute(this.mappings, t, false));
      this.calls.set(e.id, { fn: e.fn, overloads: this.env.functions.get(e.fn)?.overloads ?? [], receiver: false });
      return;
    }
    for (const a of e.args) this.check(a);
    if (!e.target) {
      const fn = this.env.functions.get(e.fn);
      if (!fn) {
        this.issues.report(e.pos, `undeclared reference to '${e.fn}' (in container '')`);
        this.setType(e, T.error);
        return;
      }
      this.resolve(e, fn, undefined, false);
      return;
    }
    const prefix = qualifiedName(e.target);
    if (prefix !== undefined) {
      const qualified = this.env.functions.get(`${prefix}.${e.fn}`);
      if (qualified) {
        this.resolve(e, qualified, undefined, false);
        return;
      }
    }
    this.check(e.target);
    const fn = this.env.functions.get(e.fn);
    if (!fn) {
      this.setType(e, T.error);
      this.issues.report(e.pos, `undeclared reference to '${e.fn}' (in container '')`);
      return;
    }
    this.resolve(e, fn, e.target, true);
  }

  private resolve(e: Expr & { kind: 'call' }, fn: FunctionDecl, target: Expr | undefined, receiver: boolean): void {
    const argTypes = [...(target ? [this.typeOf(target)] : []), ...e.args.map((a) => this.typeOf(a))];
    if (fn.name === '_&&_' || fn.name === '_||_') {
      let bad = false;
      e.args.forEach((a, i) => {
        if (!this.isAssignable(argTypes[i]!, T.bool)) {
          this.issues.report(a.pos, `expected type 'bool' but found '${formatType(argTypes[i]!)}'`);
          bad = true;
        }
      });
      this.setType(e, bad ? T.error : T.bool);
      if (!bad) this.calls.set(e.id, { fn: fn.name, overloads: fn.overloads, receiver });
      return;
    }
    let result: CelType | undefined;
    const matched: Overload[] = [];
    for (const o of fn.overloads) {
      if (o.member !== (target !== undefined)) continue;
      const fresh = new Map<string, CelType>();
      const inst = (t: CelType): CelType =>
        freshen(t, (name) => {
          let v = fresh.get(name);
          if (!v) {
            v = this.newTypeVar();
            fresh.set(name, v);
          }
          return v;
        });
      const params = o.args.map(inst);
      const m = isAssignableList(this.mappings, argTypes, params);
      if (!m) continue;
      this.mappings = m;
      matched.push(o);
      const r = substitute(this.mappings, inst(o.result), false);
      if (result === undefined) result = r;
      else if (result.k !== 'dyn' && !isExactType(r, result)) result = T.dyn;
    }
    if (result === undefined) {
      const shown = argTypes.map((t) => formatType(substitute(this.mappings, t, true)));
      const sig = target ? `${shown[0]}.(${shown.slice(1).join(', ')})` : `(${shown.join(', ')})`;
      this.issues.report(e.pos, `found no matching overload for '${fn.name}' applied to '${sig}'`);
      this.setType(e, T.error);
      return;
    }
    this.setType(e, result);
    this.calls.set(e.id, { fn: fn.name, overloads: matched, receiver });
  }

  /** The more general type of list elements or map keys/values so far (mixed ones make dyn; the literal validator reports them). */
  private join(prev: CelType | undefined, cur: CelType): CelType {
    if (prev === undefined) return cur;
    if (this.isAssignable(prev, cur)) {
      const p = substitute(this.mappings, prev, false);
      const c = substitute(this.mappings, cur, false);
      return mostGeneral(p, c);
    }
    return T.dyn;
  }

  private checkList(e: Expr & { kind: 'list' }): void {
    let elemType: CelType | undefined;
    e.elems.forEach((el, i) => {
      this.check(el);
      let t = this.typeOf(el);
      if (e.optionals.includes(i)) {
        if (isOptionalType(t)) t = t.params[0]!;
        else if (t.k !== 'dyn') this.issues.report(el.pos, `expected type '${formatType(T.optional(t))}' but found '${formatType(t)}'`);
      }
      elemType = this.join(elemType, t);
    });
    this.setType(e, T.list(elemType ?? this.newTypeVar()));
  }

  private checkMap(e: Expr & { kind: 'map' }): void {
    let keyType: CelType | undefined;
    let valType: CelType | undefined;
    for (const entry of e.entries) {
      this.check(entry.key);
      keyType = this.join(keyType, this.typeOf(entry.key));
      this.check(entry.value);
      let vt = this.typeOf(entry.value);
      if (entry.optional) {
        if (isOptionalType(vt)) vt = vt.params[0]!;
        else if (vt.k !== 'dyn') this.issues.report(entry.value.pos, `expected type '${formatType(T.optional(vt))}' but found '${formatType(vt)}'`);
      }
      valType = this.join(valType, vt);
    }
    this.setType(e, T.map(keyType ?? this.newTypeVar(), valType ?? this.newTypeVar()));
  }

  private checkComprehension(e: Comprehension): void {
    this.check(e.iterRange);
    this.check(e.accuInit);
    const rangeType = substitute(this.mappings, this.typeOf(e.iterRange), false);
    const accuType = this.typeOf(e.accuInit);
    this.scopes.push(new Map([[e.accuVar, accuType]]));
    let varType: CelType;
    switch (rangeType.k) {
      case 'list':
        varType = rangeType.elem;
        break;
      case 'map':
        varType = rangeType.key;
        break;
      case 'dyn':
      case 'error':
      case 'param':
        this.isAssignable(T.dyn, rangeType);
        varType = T.dyn;
        break;
      default:
        this.issues.report(e.iterRange.pos, `expression of type '${formatType(rangeType)}' cannot be range of a comprehension (must be list, map, or dynamic)`);
        varType = T.error;
    }
    this.scopes.push(new Map([[e.iterVar, varType]]));
    this.check(e.loopCondition);
    this.assertType(e.loopCondition, T.bool);
    this.check(e.loopStep);
    this.assertType(e.loopStep, accuType);
    this.scopes.pop();
    this.check(e.result);
    this.scopes.pop();
    this.setType(e, substitute(this.mappings, this.typeOf(e.result), false));
  }

  private assertType(e: Expr, t: CelType): void {
    const actual = this.typeOf(e);
    if (!this.isAssignable(t, actual)) this.issues.report(e.pos, `expected type '${formatType(t)}' but found '${formatType(actual)}'`);
  }
}

// ---------------------------------------------------------------------------------------------
// AST validators run on a clean check.

function walk(e: Expr, visit: (e: Expr, parents: Expr[]) => void, parents: Expr[] = []): void {
  visit(e, parents);
  const next = [...parents, e];
  switch (e.kind) {
    case 'select':
      walk(e.operand, visit, next);
      break;
    case 'call':
      if (e.target) walk(e.target, visit, next);
      for (const a of e.args) walk(a, visit, next);
      break;
    case 'list':
      for (const a of e.elems) walk(a, visit, next);
      break;
    case 'map':
      for (const en of e.entries) {
        walk(en.key, visit, next);
        walk(en.value, visit, next);
      }
      break;
    case 'struct':
      for (const f of e.fields) walk(f.value, visit, next);
      break;
    case 'comp':
      walk(e.iterRange, visit, next);
      walk(e.accuInit, visit, next);
      walk(e.loopCondition, visit, next);
      walk(e.loopStep, visit, next);
      walk(e.result, visit, next);
      break;
    default:
  }
}

/**
 * cel-go's ValidateHomogeneousAggregateLiterals: list and map literals of one type, except under
 * string.format (the exemption its stringFormatValidator configures).
 */
export function validateHomogeneousLiterals(c: CheckedExpr, issues: CelIssues): void {
  const typeOf = (e: Expr): CelType => c.types.get(e.id) ?? T.dyn;
  walk(c.expr, (e, parents) => {
    if (e.kind === 'list') {
      // string.format's argument lists may mix types.
      if (parents.some((p) => p.kind === 'call' && c.calls.get(p.id)?.fn === 'format')) return;
      let first: CelType | undefined;
      for (const [i, el] of e.elems.entries()) {
        let t = typeOf(el);
        if (e.optionals.includes(i) && isOptionalType(t)) t = t.params[0]!;
        if (first === undefined) {
          first = t;
          continue;
        }
        if (!isEquivalentType(first, t)) {
          issues.report(el.pos, `expected type '${formatType(first)}' but found '${formatType(t)}'`);
          break;
        }
      }
    } else if (e.kind === 'map') {
      if (parents.some((p) => p.kind === 'call' && c.calls.get(p.id)?.fn === 'format')) return;
      let kt: CelType | undefined;
      let vt: CelType | undefined;
      for (const en of e.entries) {
        const k = typeOf(en.key);
        let v = typeOf(en.value);
        if (en.optional && isOptionalType(v)) v = v.params[0]!;
        if (kt === undefined || vt === undefined) {
          kt = k;
          vt = v;
          continue;
        }
        if (!isEquivalentType(kt, k)) issues.report(en.key.pos, `expected type '${formatType(kt)}' but found '${formatType(k)}'`);
        if (!isEquivalentType(vt, v)) issues.report(en.value.pos, `expected type '${formatType(vt)}' but found '${formatType(v)}'`);
      }
    }
  });
}
