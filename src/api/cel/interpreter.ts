// A tree-walking evaluator of checked expressions with cel-go's run-time semantics: strict
// calls (an argument's error is the call's error), commutative `&&`/`||` (an error on one side
// is absorbed when the other side decides), comprehensions as the macros expand, optional
// values, and a per-call cost limit (cel-go's CostTracker: 1 a variable, field or index
// access and a function call, sizes for string and list work, 10 a list literal, 30 a map
// literal) that stops evaluation with `operation cancelled: actual cost limit exceeded`.

import type { Comprehension, Expr } from './ast.js';
import type { CheckedExpr, ResolvedCall } from './checker.js';
import { CelError, CostLimitError, noSuchOverload } from './errors.js';
import { dispatch } from './functions.js';
import { ArrayList, celEquals, ErrorVal, goValueText, ListVal, LiteralMap, MapVal, OptionalVal, TypeVal, typeNameOf, UintVal, type Value } from './values.js';

/** Kubernetes' per-expression cost limit (apiserver's celconfig.PerCallLimit). */
export const perCallLimit = 1_000_000;

const listCreateCost = 10;
const mapCreateCost = 30;

/** Variables in scope: a linked list, innermost first. */
interface Scope {
  name: string;
  value: Value;
  parent: Scope | undefined;
}

function lookup(scope: Scope | undefined, name: string): { value: Value } | undefined {
  for (let s = scope; s; s = s.parent) if (s.name === name) return { value: s.value };
  return undefined;
}

const typeIdentValues: Record<string, string> = {
  bool: 'bool',
  bytes: 'bytes',
  double: 'double',
  'google.protobuf.Duration': 'google.protobuf.Duration',
  int: 'int',
  list: 'list',
  map: 'map',
  null_type: 'null_type',
  string: 'string',
  'google.protobuf.Timestamp': 'google.protobuf.Timestamp',
  type: 'type',
  uint: 'uint',
  'net.IP': 'net.IP',
  'net.CIDR': 'net.CIDR',
};

/** The evaluation's result, or its error, and what it cost. */
export type EvalResult = { value: Value; cost: number } | { error: CelError | CostLimitError; cost: number };

export function evaluate(checked: CheckedExpr, vars: ReadonlyMap<string, Value>, limit = perCallLimit): EvalResult {
  const it = new Interpreter(checked, vars, limit);
  try {
    const value = it.eval(checked.expr, undefined);
    if (value instanceof ErrorVal) return { error: value.error, cost: it.cost };
    return { value, cost: it.cost };
  } catch (err) {
    if (err instanceof CelError || err instanceof CostLimitError) return { error: err, cost: it.cost };
    // Deep recursion (an expression nested past the parser's limit cannot get here) and a
    // library function handed a value of a kind it does not take (through dyn) end the rule,
    // never the request.
    if (err instanceof RangeError) return { error: new CostLimitError(), cost: it.cost };
    if (err instanceof TypeError) return { error: noSuchOverload(), cost: it.cost };
    throw err;
  }
}

const isCelError = (err: unknown): err is CelError => err instanceof CelError;

class Interpreter {
  cost = 0;

  constructor(
    private readonly checked: CheckedExpr,
    private readonly vars: ReadonlyMap<string, Value>,
    private readonly limit: number,
  ) {}

  private charge(n: number): void {
    this.cost += n;
    if (this.cost > this.limit) throw new CostLimitError();
  }

  /** Evaluates `e`; an evaluation error is returned as a thrown CelError. */
  eval(e: Expr, scope: Scope | undefined): Value {
    switch (e.kind) {
      case 'lit':
        switch (e.value.t) {
          case 'uint':
            return new UintVal(e.value.v);
          case 'null':
            return null;
          default:
            return e.value.v;
        }
      case 'ident':
        return this.ident(e.id, e.name, scope);
      case 'select':
        return this.select(e, scope);
      case 'call':
        return this.call(e, scope);
      case 'list':
        return this.list(e, scope);
      case 'map':
        return this.map(e, scope);
      case 'struct':
        throw noSuchOverload();
      case 'comp':
        return this.comprehension(e, scope);
    }
  }

  private ident(id: number, written: string, scope: Scope | undefined): Value {
    this.charge(1);
    const name = this.checked.idents.get(id) ?? written;
    const local = lookup(scope, name);
    let v: Value | undefined = local?.value;
    if (!local) {
      v = this.vars.get(name);
      if (v === undefined) {
        const typeName = typeIdentValues[name];
        if (typeName === undefined) throw new CelError(`no such attribute(s): ${name}`);
        v = new TypeVal(typeName);
      }
    }
    if (v instanceof ErrorVal) throw v.error;
    return v!;
  }

  private select(e: Expr & { kind: 'select' }, scope: Scope | undefined): Value {
    if (this.checked.idents.has(e.id)) return this.ident(e.id, e.field, scope);
    const operand = this.eval(e.operand, scope);
    if (e.test) {
      if (operand instanceof MapVal) return operand.find(e.field) !== undefined;
      if (operand instanceof OptionalVal) return operand.value instanceof MapVal && operand.value.find(e.field) !== undefined;
      throw noSuchOverload();
    }
    this.charge(1);
    return this.field(operand, e.field);
  }

  private field(operand: Value, field: string): Value {
    if (operand instanceof OptionalVal) {
      if (!operand.hasValue) return OptionalVal.none;
      const inner = operand.value!;
      if (!(inner instanceof MapVal)) throw noSuchOverload();
      const v = inner.find(field);
      return v === undefined ? OptionalVal.none : new OptionalVal(v);
    }
    if (operand instanceof MapVal) {
      const v = operand.find(field);
      if (v === undefined) throw new CelError(`no such key: ${field}`);
      return v;
    }
    throw noSuchOverload();
  }

  private index(operand: Value, key: Value, optional: boolean): Value {
    if (operand instanceof OptionalVal) {
      if (!operand.hasValue) return OptionalVal.none;
      return this.index(operand.value!, key, true);
    }
    if (operand instanceof ListVal) {
      let i: bigint;
      if (typeof key === 'bigint') i = key;
      else if (key instanceof UintVal) i = key.v;
      else if (typeof key === 'number' && Number.isInteger(key)) i = BigInt(key);
      else throw new CelError(`unsupported index type '${typeNameOf(key)}' in list`);
      if (i < 0n || i >= BigInt(operand.size)) {
        if (optional) return OptionalVal.none;
        throw operand.outOfRange(i);
      }
      const v = operand.at(Number(i));
      return optional ? new OptionalVal(v) : v;
    }
    if (operand instanceof MapVal) {
      const v = operand.find(key);
      if (v === undefined) {
        if (optional) return OptionalVal.none;
        throw new CelError(`no such key: ${goValueText(key)}`);
      }
      return optional ? new OptionalVal(v) : v;
    }
    throw noSuchOverload();
  }

  /** Evaluates to a value or the error it raised (for the operators that absorb errors). */
  private attempt(e: Expr, scope: Scope | undefined): Value | CelError {
    try {
      return this.eval(e, scope);
    } catch (err) {
      if (isCelError(err)) return err;
      throw err;
    }
  }

  private call(e: Expr & { kind: 'call' }, scope: Scope | undefined): Value {
    const resolved = this.checked.calls.get(e.id);
    const fnName = resolved?.fn ?? e.fn;
    switch (fnName) {
      case '_&&_':
      case '_||_': {
        const decisive = fnName === '_||_';
        const l = this.attempt(e.args[0]!, scope);
        if (l === decisive) return decisive;
        const r = this.attempt(e.args[1]!, scope);
        if (r === decisive) return decisive;
        for (const v of [l, r]) {
          if (v instanceof CelError) throw v;
          if (typeof v !== 'boolean') throw noSuchOverload();
        }
        return !decisive;
      }
      case '_?_:_': {
        const c = this.eval(e.args[0]!, scope);
        if (typeof c !== 'boolean') throw noSuchOverload();
        return this.eval(e.args[c ? 1 : 2]!, scope);
      }
      case '@not_strictly_false': {
        const v = this.attempt(e.args[0]!, scope);
        return typeof v === 'boolean' ? v : true;
      }
      case '_[_]':
      case '_[?_]': {
        const operand = this.eval(e.args[0]!, scope);
        const key = this.eval(e.args[1]!, scope);
        this.charge(1);
        return this.index(operand, key, fnName === '_[?_]');
      }
      case '_?._': {
        const operand = this.eval(e.args[0]!, scope);
        const f = e.args[1]!;
        const name = f.kind === 'lit' && f.value.t === 'string' ? f.value.v : '';
        this.charge(1);
        if (operand instanceof OptionalVal) return this.field(operand, name);
        if (operand instanceof MapVal) {
          const v = operand.find(name);
          return v === undefined ? OptionalVal.none : new OptionalVal(v);
        }
        throw noSuchOverload();
      }
      case '@in': {
        const x = this.eval(e.args[0]!, scope);
        const coll = this.eval(e.args[1]!, scope);
        if (coll instanceof ListVal) {
          this.charge(1 + coll.size);
          let err: CelError | undefined;
          for (let i = 0; i < coll.size; i++) {
            try {
              if (celEquals(coll.at(i), x)) return true;
            } catch (ex) {
              if (!isCelError(ex)) throw ex;
              err ??= ex;
            }
          }
          if (err) throw err;
          return false;
        }
        this.charge(1);
        if (coll instanceof MapVal) return coll.find(x) !== undefined;
        throw noSuchOverload();
      }
      case 'or':
      case 'orValue':
        if (resolved?.receiver && e.target) {
          const t = this.eval(e.target, scope);
          if (!(t instanceof OptionalVal)) throw noSuchOverload();
          if (t.hasValue) return fnName === 'or' ? t : t.value!;
          const alt = this.eval(e.args[0]!, scope);
          if (fnName === 'or' && !(alt instanceof OptionalVal)) throw noSuchOverload();
          return alt;
        }
        break;
    }
    if (!resolved) throw noSuchOverload();
    return this.invoke(e, resolved, scope);
  }

  private invoke(e: Expr & { kind: 'call' }, resolved: ResolvedCall, scope: Scope | undefined): Value {
    const args: Value[] = [];
    if (resolved.receiver && e.target) args.push(this.eval(e.target, scope));
    for (const a of e.args) args.push(this.eval(a, scope));
    const o = dispatch(resolved.overloads, args);
    if (!o.impl) throw noSuchOverload();
    const result = o.impl(args);
    this.charge(o.cost ? o.cost(args, result) : 1);
    return result;
  }

  private list(e: Expr & { kind: 'list' }, scope: Scope | undefined): Value {
    const out: Value[] = [];
    e.elems.forEach((el, i) => {
      const v = this.eval(el, scope);
      if (e.optionals.includes(i)) {
        if (!(v instanceof OptionalVal)) throw new CelError(`cannot initialize optional list element from non-optional value ${goValueText(v)}`);
        if (v.hasValue) out.push(v.value!);
      } else {
        out.push(v);
      }
    });
    this.charge(listCreateCost);
    return new ArrayList(out);
  }

  private map(e: Expr & { kind: 'map' }, scope: Scope | undefined): Value {
    const entries = new Map<string, [Value, Value]>();
    const m = new LiteralMap();
    for (const en of e.entries) {
      const k = this.eval(en.key, scope);
      let v = this.eval(en.value, scope);
      if (!(typeof k === 'string' || typeof k === 'bigint' || typeof k === 'boolean' || k instanceof UintVal)) throw new CelError(`unsupported key type: ${typeNameOf(k)}`);
      const canonical = `${typeNameOf(k)}:${String(k instanceof UintVal ? k.v : k)}`;
      if (en.optional) {
        if (!(v instanceof OptionalVal)) throw new CelError(`cannot initialize optional entry '${goValueText(k)}' from non-optional value ${goValueText(v)}`);
        if (!v.hasValue) {
          entries.delete(canonical);
          continue;
        }
        v = v.value!;
      }
      entries.set(canonical, [k, v]);
    }
    for (const [k, v] of entries.values()) m.add(k, v);
    this.charge(mapCreateCost);
    return m;
  }

  /** The values a comprehension iterates: list elements (an element that does not convert is an error value) or map keys. */
  private rangeOf(e: Comprehension, scope: Scope | undefined): Value[] {
    const range = this.eval(e.iterRange, scope);
    if (range instanceof ListVal) {
      const out: Value[] = [];
      for (let i = 0; i < range.size; i++) {
        try {
          out.push(range.at(i));
        } catch (err) {
          if (!isCelError(err)) throw err;
          out.push(new ErrorVal(err));
        }
      }
      return out;
    }
    if (range instanceof MapVal) return range.keys();
    throw new CelError(`got '${typeNameOf(range)}', expected iterable type`);
  }

  private comprehension(e: Comprehension, scope: Scope | undefined): Value {
    if (e.macro === 'optMap' || e.macro === 'optFlatMap') {
      const bound = this.eval(e.accuInit, scope);
      return this.eval(e.result, { name: e.accuVar, value: bound, parent: scope });
    }
    const items = this.rangeOf(e, scope);
    const bind = (v: Value): Scope => ({ name: e.iterVar, value: v, parent: scope });
    switch (e.macro) {
      case 'all':
      case 'exists': {
        // accu = accu && pred (all) / accu || pred (exists), stopping once decided.
        const decisive = e.macro === 'exists';
        let acc: boolean | CelError = !decisive;
        for (const item of items) {
          if (acc === decisive) break;
          this.charge(3);
          const p = this.attempt(e.fn, bind(item));
          if (acc instanceof CelError) {
            if (p === decisive) acc = decisive;
          } else if (typeof p === 'boolean' || p instanceof CelError) {
            acc = p;
          } else {
            acc = noSuchOverload();
          }
        }
        if (acc instanceof CelError) throw acc;
        return acc;
      }
      case 'exists_one': {
        let count = 0n;
        let err: CelError | undefined;
        for (const item of items) {
          this.charge(3);
          const p = this.attempt(e.fn, bind(item));
          if (p instanceof CelError) err = p;
          else if (p === true) count++;
          else if (p !== false) err = noSuchOverload();
        }
        if (err) throw err;
        return count === 1n;
      }
      case 'map':
      case 'mapFilter':
      case 'filter': {
        const out: Value[] = [];
        let err: CelError | undefined;
        for (const item of items) {
          this.charge(2);
          const s = bind(item);
          if (e.filter) {
            const keep = this.attempt(e.filter, s);
            if (keep instanceof CelError) {
              err = keep;
              continue;
            }
            if (typeof keep !== 'boolean') {
              err ??= noSuchOverload();
              continue;
            }
            if (!keep) continue;
          }
          if (err) continue;
          this.charge(listCreateCost + 1);
          if (e.macro === 'filter') {
            if (item instanceof ErrorVal) err = item.error;
            else out.push(item);
            continue;
          }
          const v = this.attempt(e.fn, s);
          if (v instanceof CelError) err = v;
          else out.push(v);
        }
        if (err) throw err;
        return new ArrayList(out);
      }
    }
    throw noSuchOverload();
  }
}
