// Compiling one expression in the Kubernetes CRD environment: parse, type-check against the
// declared variables, run the AST validators Kubernetes' environment has, and the checks cel-go
// makes when it builds a program (constant regular expressions of find/findAll).

import type { Expr, Literal } from './ast.js';
import { check, validateHomogeneousLiterals, type CheckedExpr } from './checker.js';
import { CelError } from './errors.js';
import { validateFormatCalls } from './formatting.js';
import { dispatch, FunctionRegistry } from './functions.js';
import { registerLibraries } from './library.js';
import { parse } from './parser.js';
import { compileRegex, registerStandard } from './stdlib.js';
import type { CelType } from './types.js';
import { UintVal, type Value } from './values.js';

let registry: FunctionRegistry | undefined;

/** The functions of the Kubernetes 1.32 CRD validation environment. */
export function functions(): FunctionRegistry {
  if (!registry) {
    registry = new FunctionRegistry();
    registerStandard(registry);
    registerLibraries(registry);
  }
  return registry;
}

function literalValue(l: Literal): Value {
  switch (l.t) {
    case 'uint':
      return new UintVal(l.v);
    case 'null':
      return null;
    default:
      return l.v;
  }
}

export type Compiled = { checked: CheckedExpr } | { issues: string } | { programError: string };

function visit(e: Expr, f: (e: Expr) => void): void {
  f(e);
  switch (e.kind) {
    case 'select':
      visit(e.operand, f);
      break;
    case 'call':
      if (e.target) visit(e.target, f);
      for (const a of e.args) visit(a, f);
      break;
    case 'list':
      for (const a of e.elems) visit(a, f);
      break;
    case 'map':
      for (const en of e.entries) {
        visit(en.key, f);
        visit(en.value, f);
      }
      break;
    case 'struct':
      for (const fl of e.fields) visit(fl.value, f);
      break;
    case 'comp':
      visit(e.iterRange, f);
      visit(e.accuInit, f);
      visit(e.loopCondition, f);
      visit(e.loopStep, f);
      visit(e.result, f);
      break;
    default:
  }
}

/**
 * Compiles `source` with variables `vars`: the checked expression, or cel-go's issues text
 * (`ERROR: <input>:1:5: ...`), or the error of building its program.
 */
export function compileExpression(source: string, vars: ReadonlyMap<string, CelType>): Compiled {
  try {
    return compileChecked(source, vars);
  } catch (err) {
    // The parser's limits keep trees shallow; should one still be too deep to walk, it is
    // refused with the parser's words rather than failing the request.
    if (err instanceof RangeError) return { issues: 'ERROR: <input>:-1:0: max recursion depth exceeded' };
    throw err;
  }
}

function compileChecked(source: string, vars: ReadonlyMap<string, CelType>): Compiled {
  const parsed = parse(source);
  if (parsed.issues.hasErrors) return { issues: parsed.issues.toString() };
  const checked = check(parsed.expr, parsed.issues, { functions: functions(), vars });
  if (!checked) return { issues: parsed.issues.toString() };
  // The AST validators of the environment, all run on the checked expression: cel-go's
  // ValidateHomogeneousAggregateLiterals, ext.Strings' string.format check, and
  // ValidateDurationLiterals, ValidateTimestampLiterals and ValidateRegexLiterals.
  validateHomogeneousLiterals(checked, parsed.issues);
  validateFormatCalls(checked, parsed.issues, visit);
  visit(checked.expr, (e) => {
    if (e.kind !== 'call') return;
    const resolved = checked.calls.get(e.id);
    const name = resolved?.fn;
    const arg = e.args[0];
    if (!resolved || !arg || arg.kind !== 'lit') return;
    if (name === 'duration' || name === 'timestamp') {
      // Evaluating the call on its literal must succeed.
      try {
        const v = literalValue(arg.value);
        const o = dispatch(resolved.overloads, [v]);
        if (!o.impl) throw new CelError('no such overload');
        o.impl([v]);
      } catch {
        parsed.issues.report(arg.pos, `invalid ${name} argument`);
      }
    } else if (name === 'matches' && arg.value.t === 'string') {
      try {
        compileRegex(arg.value.v);
      } catch {
        parsed.issues.report(arg.pos, 'invalid matches argument');
      }
    }
  });
  if (parsed.issues.hasErrors) return { issues: parsed.issues.toString() };
  // Building the program compiles constant patterns of find and findAll.
  let programError: string | undefined;
  visit(checked.expr, (e) => {
    if (programError || e.kind !== 'call') return;
    const name = checked.calls.get(e.id)?.fn;
    const pattern = e.args[0];
    if ((name === 'find' || name === 'findAll') && e.target && pattern?.kind === 'lit' && pattern.value.t === 'string') {
      try {
        compileRegex(pattern.value.v);
      } catch (err) {
        programError = err instanceof Error ? err.message : String(err);
      }
    }
  });
  if (programError) return { programError };
  return { checked };
}
