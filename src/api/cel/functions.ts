// Function declarations: the overloads the type checker resolves calls against and the
// interpreter runs (cel-go's decls.FunctionDecl with its bindings). An overload's run-time
// function receives arguments already checked against its parameter types (runtimeMatches),
// so dyn arguments of the wrong kind fail with `no such overload` as cel-go's dispatch does.

import { noSuchOverload } from './errors.js';
import { isOptionalType, type CelType } from './types.js';
import { DurationVal, ListVal, MapVal, OpaqueVal, OptionalVal, TimestampVal, TypeVal, UintVal, type Value } from './values.js';

export interface Overload {
  id: string;
  /** Called on a receiver (`x.f()`): the receiver is the first argument. */
  member: boolean;
  args: readonly CelType[];
  result: CelType;
  /** The run-time function; absent for those the interpreter special-cases. */
  impl?: (args: Value[]) => Value;
  /** Run-time cost beyond the default 1 (cel-go's CostTracker and Kubernetes' CostEstimator). */
  cost?: (args: Value[], result: Value) => number;
}

export interface FunctionDecl {
  name: string;
  overloads: Overload[];
}

export class FunctionRegistry {
  private readonly fns = new Map<string, FunctionDecl>();
  add(name: string, ...overloads: Overload[]): void {
    let d = this.fns.get(name);
    if (!d) {
      d = { name, overloads: [] };
      this.fns.set(name, d);
    }
    d.overloads.push(...overloads);
  }
  get(name: string): FunctionDecl | undefined {
    return this.fns.get(name);
  }
  overload(id: string): Overload | undefined {
    for (const d of this.fns.values()) for (const o of d.overloads) if (o.id === id) return o;
    return undefined;
  }
}

export const fn = (id: string, args: CelType[], result: CelType, impl?: (args: Value[]) => Value, cost?: Overload['cost']): Overload => ({ id, member: false, args, result, ...(impl ? { impl } : {}), ...(cost ? { cost } : {}) });
export const member = (id: string, args: CelType[], result: CelType, impl?: (args: Value[]) => Value, cost?: Overload['cost']): Overload => ({ id, member: true, args, result, ...(impl ? { impl } : {}), ...(cost ? { cost } : {}) });

/** Whether a run-time value can be an argument of a parameter of type `t`. */
export function runtimeMatches(t: CelType, v: Value): boolean {
  switch (t.k) {
    case 'int':
      return typeof v === 'bigint';
    case 'uint':
      return v instanceof UintVal;
    case 'double':
      return typeof v === 'number';
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'bytes':
      return v instanceof Uint8Array;
    case 'null':
      return v === null;
    case 'duration':
      return v instanceof DurationVal;
    case 'timestamp':
      return v instanceof TimestampVal;
    case 'list':
      // As cel-go's dispatch: a list matches by its first element.
      if (!(v instanceof ListVal)) return false;
      if (v.size === 0 || t.elem.k === 'dyn' || t.elem.k === 'param') return true;
      try {
        return runtimeMatches(t.elem, v.at(0));
      } catch {
        return true;
      }
    case 'map': {
      if (!(v instanceof MapVal)) return false;
      if (v.size === 0 || ((t.key.k === 'dyn' || t.key.k === 'param') && (t.val.k === 'dyn' || t.val.k === 'param'))) return true;
      const k = v.keys()[0];
      if (k === undefined) return true;
      try {
        const val = v.find(k);
        return runtimeMatches(t.key, k) && (val === undefined || runtimeMatches(t.val, val));
      } catch {
        return true;
      }
    }
    case 'type':
      return v instanceof TypeVal;
    case 'object':
      if (t.name.startsWith('kubernetes.')) return v instanceof OpaqueVal && v.typeName === t.name;
      return v instanceof MapVal;
    case 'opaque':
      if (isOptionalType(t)) return v instanceof OptionalVal;
      return v instanceof OpaqueVal && v.typeName === t.name;
    default:
      return true; // dyn, any, type parameters
  }
}

/** The first of `overloads` whose parameters take `args`; throws `no such overload` when none does. */
export function dispatch(overloads: readonly Overload[], args: Value[]): Overload {
  for (const o of overloads) {
    if (o.args.length === args.length && o.args.every((t, i) => runtimeMatches(t, args[i]!))) return o;
  }
  throw noSuchOverload();
}
