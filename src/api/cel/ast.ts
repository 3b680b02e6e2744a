// The parsed expression, as cel-go's parser produces it: macros are already expanded to
// comprehensions, presence tests (`has(a.b)`) are selects marked `test`, operators are calls of
// their internal names (`_+_`, `_[_]`, `_?_:_`, `!_`, `-_`, ...). Every node has an id and the
// offset (in code points) cel-go reports errors at: the operator token for calls, the `.` of a
// select, the `(` of a call, the first token otherwise.

export type Literal =
  | { t: 'int'; v: bigint }
  | { t: 'uint'; v: bigint }
  | { t: 'double'; v: number }
  | { t: 'string'; v: string }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

/** The macro a comprehension was expanded from: the interpreter runs each natively. */
export type MacroKind = 'all' | 'exists' | 'exists_one' | 'map' | 'mapFilter' | 'filter' | 'optMap' | 'optFlatMap';

export type Expr =
  | { kind: 'lit'; id: number; pos: number; value: Literal }
  | { kind: 'ident'; id: number; pos: number; name: string }
  | { kind: 'select'; id: number; pos: number; operand: Expr; field: string; test: boolean }
  | { kind: 'call'; id: number; pos: number; fn: string; target?: Expr; args: Expr[] }
  | { kind: 'list'; id: number; pos: number; elems: Expr[]; optionals: number[] }
  | { kind: 'map'; id: number; pos: number; entries: MapEntry[] }
  | { kind: 'struct'; id: number; pos: number; typeName: string; fields: StructField[] }
  | Comprehension;

export interface MapEntry {
  id: number;
  pos: number;
  key: Expr;
  value: Expr;
  optional: boolean;
}

export interface StructField {
  id: number;
  pos: number;
  name: string;
  value: Expr;
  optional: boolean;
}

/**
 * cel-go's comprehension: `accuVar = accuInit; for iterVar in iterRange { if !loopCondition
 * break; accuVar = loopStep }; result`. The macro's parts are kept for the interpreter.
 */
export interface Comprehension {
  kind: 'comp';
  id: number;
  pos: number;
  macro: MacroKind;
  iterRange: Expr;
  iterVar: string;
  accuVar: string;
  accuInit: Expr;
  loopCondition: Expr;
  loopStep: Expr;
  result: Expr;
  /** The predicate (all, exists, exists_one, filter, map with a filter) or the transform (map, optMap, optFlatMap). */
  fn: Expr;
  filter?: Expr;
}

/** The accumulator's name in macro expansions (cel-go's parser.AccumulatorName). */
export const accumulatorName = '@result';
