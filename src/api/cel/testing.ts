// Helpers for this folder's tests: compile and evaluate one expression, and show CEL values as
// plain JSON-like values for assertions.

import { compileExpression } from './compile.js';
import { evaluate } from './interpreter.js';
import { schemaCelType, type Schema } from './schema.js';
import { T, type CelType } from './types.js';
import { toCel } from './unstructured.js';
import { DurationVal, durationString, ListVal, MapVal, OpaqueVal, OptionalVal, TimestampVal, timestampString, TypeVal, UintVal, type Value } from './values.js';

/** A CEL value as a plain value: ints as bigint, uints as `<n>u`, lists as arrays, maps as objects, optionals as `{ optional: v }`. */
export function plain(v: Value): unknown {
  if (v instanceof ListVal) return v.toArray().map(plain);
  if (v instanceof MapVal) return Object.fromEntries(v.keys().map((k) => [String(plain(k)), plain(v.find(k)!)]));
  if (v instanceof UintVal) return `${v.v}u`;
  if (v instanceof DurationVal) return `duration(${durationString(v)})`;
  if (v instanceof TimestampVal) return `timestamp(${timestampString(v)})`;
  if (v instanceof TypeVal) return `type(${v.name})`;
  if (v instanceof OptionalVal) return v.hasValue ? { optional: plain(v.value!) } : 'optional.none()';
  if (v instanceof Uint8Array) return `b'${Buffer.from(v).toString('utf8')}'`;
  if (v instanceof OpaqueVal) return v.typeName;
  return v;
}

export interface RunOptions {
  /** `self` of this schema (as a root when `root`), with this value. */
  schema?: Schema;
  self?: unknown;
  old?: unknown;
  root?: boolean;
  /** Cost limit of the call. */
  limit?: number;
}

export type RunResult = { value: unknown; cost: number } | { compileError: string } | { error: string; cost: number };

/** Compiles and evaluates `expr`; `self` is dyn null unless a schema is given. */
export function run(expr: string, opts: RunOptions = {}): RunResult {
  const selfType: CelType = opts.schema ? (schemaCelType(opts.schema, opts.root ?? false, 'selfType0') ?? T.dyn) : T.dyn;
  const c = compileExpression(expr, new Map([['self', selfType], ['oldSelf', selfType]]));
  if ('issues' in c) return { compileError: c.issues };
  if ('programError' in c) return { compileError: `program instantiation failed: ${c.programError}` };
  const vars = new Map<string, Value>();
  if (opts.schema) {
    vars.set('self', toCel(opts.self, opts.schema));
    if (opts.old !== undefined) vars.set('oldSelf', toCel(opts.old, opts.schema));
  }
  const r = evaluate(c.checked, vars, opts.limit);
  return 'error' in r ? { error: r.error.message, cost: r.cost } : { value: plain(r.value), cost: r.cost };
}

/** The value of `expr`, or throws with its compile or evaluation error. */
export function value(expr: string, opts: RunOptions = {}): unknown {
  const r = run(expr, opts);
  if ('compileError' in r) throw new Error(`compile: ${r.compileError}`);
  if ('error' in r) throw new Error(`eval: ${r.error}`);
  return r.value;
}

/** The evaluation error of `expr` (it must compile). */
export function evalError(expr: string, opts: RunOptions = {}): string {
  const r = run(expr, opts);
  if ('compileError' in r) throw new Error(`compile: ${r.compileError}`);
  if (!('error' in r)) throw new Error(`no error, value ${String(r.value)}`);
  return r.error;
}

/** The compile error of `expr`. */
export function compileError(expr: string, opts: RunOptions = {}): string {
  const r = run(expr, opts);
  if (!('compileError' in r)) throw new Error('it compiled');
  return r.compileError;
}
