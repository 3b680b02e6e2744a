// x-kubernetes-validations of a custom resource's schema, compiled once per schema node and
// evaluated against objects as apiextensions-apiserver's CEL Validator does
// (pkg/apiserver/schema/cel/validation.go in Kubernetes 1.32):
// - a validator tree mirrors the schema's structural spine (properties, items,
//   additionalProperties, allOf) where rules exist;
// - each rule sees `self` (and `oldSelf` for transition rules) typed by its node's schema;
//   null values are not validated;
// - transition rules run only where an old value correlates (object properties, map-list items
//   by key; not atomic or set lists), unless optionalOldSelf;
// - a failed rule reports its message, messageExpression result or `failed rule: <rule>` at the
//   node's path (plus fieldPath), with reason Invalid/Forbidden/Required/Duplicate; run-time errors
//   report `<error> evaluating rule: <rule>`; a cost budget of 10M for the whole object and a
//   limit of 1M per expression stop evaluation as upstream does;
// - ratcheting (CRDValidationRatcheting, on in 1.32): on update, a failing non-transition rule
//   whose correlated value is unchanged is only a warning.

import type { FieldError } from '../errors.js';
import type { CheckedExpr } from './checker.js';
import { compileExpression } from './compile.js';
import { CelError, CostLimitError } from './errors.js';
import { childPath, indexPath, keyPath, pathText, validFieldPath, type FieldPath } from './fieldpath.js';
import { evaluate, perCallLimit } from './interpreter.js';
import { additionalProperties, allOf, escapeName, isEmbeddedResource, items, listMapKeys, listType, mapType, properties, schemaCelType, schemaType, validationRules, withTypeAndObjectMeta, type Schema, type ValidationRule } from './schema.js';
import { T, type CelType } from './types.js';
import { toCel } from './unstructured.js';
import { ErrorVal, jsonDeepEqual, OptionalVal, type Value } from './values.js';

/** Kubernetes' cost budget for all rules of one custom resource (apiserver's RuntimeCELCostBudget). */
export const runtimeCostBudget = 10_000_000;

/** The largest message a messageExpression may produce, in bytes. */
export const maxMessageExpressionBytes = 5 * 1024;

export interface CompiledRule {
  rule: ValidationRule;
  /** Compilation error of the rule (`compilation failed: ...`, `cel expression must evaluate to a bool`, ...). */
  error?: string;
  program?: CheckedExpr;
  usesOldSelf: boolean;
  messageExpression?: CheckedExpr;
  messageExpressionError?: string;
  /** The rule's fieldPath as a path below the node (`a.b`), when it is a valid one. */
  normalizedFieldPath?: string;
}

export interface NodeValidator {
  schema: Schema;
  isResourceRoot: boolean;
  /** Why the node's rules could not be compiled at all (no CEL type for the node). */
  compileError?: string;
  rules: CompiledRule[];
  properties: Map<string, NodeValidator>;
  items?: NodeValidator;
  additionalProperties?: NodeValidator;
  allOf: NodeValidator[];
}

let typeNameCounter = 0;

/** A placeholder name for the type of `self`, unique per compilation as upstream's selfType<nanoseconds>. */
function selfTypeName(): string {
  typeNameCounter = (typeNameCounter + 1) % 1_000_000;
  return `selfType${(Number(process.hrtime.bigint() % 1_000_000_000n) + typeNameCounter) % 1_000_000_000}`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Compiles the rules of one node whose values have CEL type `selfType`. */
export function compileRules(rules: ValidationRule[], nodeSchema: Schema, selfType: CelType): CompiledRule[] {
  return rules.map((rule) => {
    const out: CompiledRule = { rule, usesOldSelf: false };
    const text = str(rule.rule);
    if (text.trim() === '') return out;
    const vars = new Map<string, CelType>([
      ['self', selfType],
      ['oldSelf', rule.optionalOldSelf === true ? T.optional(selfType) : selfType],
    ]);
    const c = compileExpression(text, vars);
    if ('issues' in c) {
      out.error = `compilation failed: ${c.issues}`;
      return out;
    }
    if ('programError' in c) {
      out.error = `program instantiation failed: ${c.programError}`;
      return out;
    }
    if (c.checked.type.k !== 'bool') {
      out.error = 'cel expression must evaluate to a bool';
      return out;
    }
    out.program = c.checked;
    out.usesOldSelf = c.checked.usesOldSelf;
    const msgExpr = str(rule.messageExpression);
    if (msgExpr !== '') {
      const m = compileExpression(msgExpr, vars);
      if ('issues' in m) out.messageExpressionError = `messageExpression compilation failed: ${m.issues}`;
      else if ('programError' in m) out.messageExpressionError = `messageExpression instantiation failed: ${m.programError}`;
      else if (m.checked.type.k !== 'string') out.messageExpressionError = 'messageExpression must evaluate to a string';
      else out.messageExpression = m.checked;
    }
    const fp = str(rule.fieldPath);
    if (fp !== '') {
      const p = validFieldPath(fp, nodeSchema);
      if ('path' in p) out.normalizedFieldPath = p.path;
    }
    return out;
  });
}

const cache = new WeakMap<Schema, { root?: NodeValidator | null; node?: NodeValidator | null }>();

/** Whether the schema has rules where the validator looks for them (allOf alone does not count, as upstream). */
function hasValidations(s: Schema | undefined): boolean {
  if (!s) return false;
  if (validationRules(s).length > 0) return true;
  if (hasValidations(items(s))) return true;
  if (hasValidations(additionalProperties(s))) return true;
  return Object.values(properties(s) ?? {}).some(hasValidations);
}

/**
 * The validator of node `ns` with the rules of `vs` (the same node, or one of its allOf
 * schemas); `typed` is false when the node has no CEL type. Undefined when there is nothing to
 * validate at or below the node.
 */
function buildValidator(vs: Schema, ns: Schema, isResourceRoot: boolean, typed: boolean): NodeValidator | undefined {
  const slot = cache.get(vs) ?? {};
  const known = isResourceRoot ? slot.root : slot.node;
  if (known !== undefined) return known ?? undefined;
  const rules = validationRules(vs);
  const node: NodeValidator = { schema: ns, isResourceRoot, rules: [], properties: new Map(), allOf: [] };
  const declType = typed ? schemaCelType(ns, isResourceRoot, 'object') : undefined;
  if (rules.length > 0) {
    if (!declType) node.compileError = 'failed to convert to declType for CEL validation rules';
    else node.rules = compileRules(rules, ns, schemaCelType(ns, isResourceRoot, selfTypeName())!);
  }
  const vItems = items(vs);
  const nItems = items(ns);
  if (vItems && nItems) node.items = buildValidator(vItems, nItems, isEmbeddedResource(nItems), declType?.k === 'list');
  const nProps = properties(ns) ?? {};
  for (const [k, vp] of Object.entries(properties(vs) ?? {})) {
    const np = Object.prototype.hasOwnProperty.call(nProps, k) ? nProps[k] : undefined;
    if (!np) continue;
    const escaped = escapeName(k);
    if (escaped !== undefined) {
      if (!declType || declType.k !== 'object' || !declType.fields.has(escaped)) continue;
    } else if (!schemaCelType(np, isEmbeddedResource(np), 'object')) {
      continue;
    }
    const child = buildValidator(vp, np, isEmbeddedResource(np), true);
    if (child) node.properties.set(k, child);
  }
  const vAp = additionalProperties(vs);
  const nAp = additionalProperties(ns);
  if (vAp && nAp) node.additionalProperties = buildValidator(vAp, nAp, isEmbeddedResource(nAp), declType?.k === 'map');
  for (const a of allOf(vs)) {
    const v = buildValidator(a, ns, isResourceRoot, typed);
    if (v) node.allOf.push(v);
  }
  const useful = rules.length > 0 || node.items !== undefined || node.additionalProperties !== undefined || node.properties.size > 0 || node.allOf.length > 0;
  const result = useful ? node : undefined;
  if (isResourceRoot) slot.root = result ?? null;
  else slot.node = result ?? null;
  cache.set(vs, slot);
  return result;
}

/** The validator of a custom resource's openAPIV3Schema (compiled once per schema object), or undefined when it has no rules. */
export function rootValidator(schema: Schema): NodeValidator | undefined {
  if (!hasValidations(schema)) return undefined;
  return buildValidator(schema, schema, true, true);
}

// ---------------------------------------------------------------------------------------------
// Correlation of new and old values for transition rules and ratcheting
// (apiserver's common.CorrelatedObject).

class Correlated {
  private result: boolean | undefined;
  private readonly children = new Map<string | number, Correlated | null>();

  constructor(
    readonly value: unknown,
    readonly old: unknown,
    readonly schema: Schema | undefined,
  ) {}

  key(field: string): Correlated | undefined {
    if (!this.schema) return undefined;
    const known = this.children.get(field);
    if (known !== undefined) return known ?? undefined;
    let out: Correlated | undefined;
    const o = this.old;
    const v = this.value;
    if (isObj(o) && isObj(v) && Object.prototype.hasOwnProperty.call(o, field) && Object.prototype.hasOwnProperty.call(v, field)) {
      const props = properties(this.schema) ?? {};
      const ps = Object.prototype.hasOwnProperty.call(props, field) ? props[field] : additionalProperties(this.schema);
      if (ps) out = new Correlated(v[field], o[field], ps);
    }
    this.children.set(field, out ?? null);
    return out;
  }

  index(i: number): Correlated | undefined {
    if (!this.schema) return undefined;
    const known = this.children.get(i);
    if (known !== undefined) return known ?? undefined;
    let out: Correlated | undefined;
    const v = this.value;
    const it = items(this.schema);
    if (Array.isArray(v) && i < v.length && it && listType(this.schema) === 'map') {
      const old = correlateMapListItem(this.schema, this.old, v[i]);
      if (old !== undefined) out = new Correlated(v[i], old, it);
    }
    this.children.set(i, out ?? null);
    return out;
  }

  deepEqual(): boolean {
    if (this.result !== undefined) return this.result;
    this.result = this.compute();
    return this.result;
  }

  private compute(): boolean {
    const v = this.value;
    const o = this.old;
    if ((v === null || v === undefined) && (o === null || o === undefined)) return true;
    if (v === null || v === undefined || o === null || o === undefined) return false;
    if (Array.isArray(v) !== Array.isArray(o) || isObj(v) !== isObj(o)) return false;
    if (Array.isArray(v) && Array.isArray(o)) {
      if (v.length !== o.length) return false;
      for (let i = 0; i < v.length; i++) {
        const child = this.index(i);
        if (!child) return listType(this.schema ?? {}) === 'map' ? false : jsonDeepEqual(o, v);
        if (!child.deepEqual()) return false;
      }
      return true;
    }
    if (isObj(v) && isObj(o)) {
      if (Object.keys(v).length !== Object.keys(o).length) return false;
      for (const k of Object.keys(v)) {
        const child = this.key(k);
        if (!child || !child.deepEqual()) return false;
      }
      return true;
    }
    return jsonDeepEqual(o, v);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The old item of a map list with the same key values as `item` (upstream's MapList.Get). */
function correlateMapListItem(schema: Schema, oldList: unknown, item: unknown): unknown {
  if (!Array.isArray(oldList) || !isObj(item)) return undefined;
  const keys = listMapKeys(schema);
  if (keys.length === 0) return undefined;
  const keyOf = (e: Record<string, unknown>): string => JSON.stringify(keys.map((k) => e[k] ?? null));
  const want = keyOf(item);
  return oldList.find((e) => isObj(e) && keyOf(e) === want);
}

interface Ratcheting {
  current?: Correlated;
  nearestParent?: Correlated;
}

const ratchetKey = (r: Ratcheting, field: string): Ratcheting => {
  if (!r.current) return r;
  if (!r.nearestParent && (field === 'apiVersion' || field === 'kind')) return {};
  const next = r.current.key(field);
  return next ? { current: next, nearestParent: r.current } : { nearestParent: r.current };
};

const ratchetIndex = (r: Ratcheting, i: number): Ratcheting => {
  if (!r.current) return r;
  const next = r.current.index(i);
  return next ? { current: next, nearestParent: r.current } : { nearestParent: r.current };
};

function shouldRatchet(r: Ratcheting): boolean {
  try {
    return r.current ? r.current.deepEqual() : (r.nearestParent?.deepEqual() ?? false);
  } catch (err) {
    // Values nested too deep to compare are treated as changed.
    if (err instanceof RangeError) return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

export interface ValidateOptions {
  /** Turn failing non-transition rules on unchanged values into warnings (default true, as CRDValidationRatcheting in 1.32). */
  ratcheting?: boolean;
  /** The cost budget for the whole object (default 10,000,000). */
  costBudget?: number;
  /** The cost limit of one expression (default 1,000,000). */
  perCallLimit?: number;
}

export interface ValidationResult {
  errors: FieldError[];
  /** Errors ratcheted to warnings (`<path>: <error>` as upstream writes them in Warning headers). */
  warnings: FieldError[];
}

class Run {
  remaining: number;
  readonly errors: FieldError[] = [];
  readonly warnings: FieldError[] = [];
  stopped = false;

  constructor(
    budget: number,
    readonly limit: number,
  ) {
    this.remaining = budget;
  }

  validate(v: NodeValidator, path: FieldPath, obj: unknown, old: unknown, corr: Ratcheting): void {
    if (this.stopped || obj === null || obj === undefined) return;
    this.validateExpressions(v, path, obj, old, corr);
    if (this.stopped) return;
    for (const a of v.allOf) {
      this.validate(a, path, obj, old, { nearestParent: corr.nearestParent });
      if (this.stopped) return;
    }
    if (Array.isArray(obj)) {
      if (!v.items) return;
      const mapList = listType(v.schema) === 'map';
      for (let i = 0; i < obj.length; i++) {
        const oldItem = mapList ? correlateMapListItem(v.schema, old, obj[i]) : undefined;
        this.validate(v.items, indexPath(path, i), obj[i], oldItem, ratchetIndex(corr, i));
        if (this.stopped) return;
      }
    } else if (isObj(obj)) {
      const oldObj = isObj(old) ? old : undefined;
      const mt = mapType(v.schema);
      const correlatable = mt === undefined || mt === 'granular' || mt === 'atomic';
      if (v.additionalProperties) {
        for (const [k, val] of Object.entries(obj)) {
          this.validate(v.additionalProperties, keyPath(path, k), val, correlatable ? oldObj?.[k] : undefined, ratchetKey(corr, k));
          if (this.stopped) return;
        }
      }
      if (v.properties.size > 0) {
        for (const [k, val] of Object.entries(obj)) {
          const sub = v.properties.get(k);
          if (!sub) continue;
          this.validate(sub, childPath(path, k), val, correlatable ? oldObj?.[k] : undefined, ratchetKey(corr, k));
          if (this.stopped) return;
        }
      }
    }
  }

  private invalid(path: FieldPath, schema: Schema, detail: string): FieldError {
    return { type: 'FieldValueInvalid', field: pathText(path), badValue: schemaType(schema), detail };
  }

  private validateExpressions(v: NodeValidator, path: FieldPath, obj: unknown, old: unknown, corr: Ratcheting): void {
    if (old === null) old = undefined;
    const sts = v.isResourceRoot ? withTypeAndObjectMeta(v.schema) : v.schema;
    if (v.compileError) {
      this.errors.push(this.invalid(path, sts, `rule compiler initialization error: ${v.compileError}`));
      return;
    }
    if (v.rules.length === 0) return;
    if (this.remaining <= 0) {
      this.errors.push(this.invalid(path, sts, 'validation failed due to running out of cost budget, no further validation rules will be run'));
      this.stopped = true;
      return;
    }
    const usesOldSelf = v.rules.some((r) => r.usesOldSelf);
    const self = lazyValue(obj, sts);
    const oldSelf = usesOldSelf && old !== undefined ? lazyValue(old, sts) : undefined;
    for (const compiled of v.rules) {
      const rule = compiled.rule;
      if (compiled.error) {
        this.errors.push(this.invalid(path, sts, `rule compile error: ${compiled.error}`));
        continue;
      }
      if (!compiled.program) continue;
      const optionalOldSelf = rule.optionalOldSelf === true;
      if (compiled.usesOldSelf && old === undefined && !optionalOldSelf) continue;
      // `self` and `oldSelf` as upstream's activations: transition rules see oldSelf when an old
      // value correlates; optionalOldSelf rules see it as an optional; messageExpressions are
      // evaluated with the plain activation.
      const activation = new Map<string, Value>([['self', self()]]);
      if (oldSelf) activation.set('oldSelf', oldSelf());
      const vars = optionalOldSelf ? new Map<string, Value>([['self', self()], ['oldSelf', oldSelf ? new OptionalVal(oldSelf()) : OptionalVal.none]]) : activation;
      const res = evaluate(compiled.program, vars, this.limit);
      if (res.cost > this.remaining) {
        this.errors.push(this.invalid(path, sts, 'validation failed due to running out of cost budget, no further validation rules will be run'));
        this.stopped = true;
        return;
      }
      this.remaining -= res.cost;
      if ('error' in res) {
        const msg = res.error.message;
        if (res.error instanceof CostLimitError) {
          this.errors.push(this.invalid(path, sts, `'${msg}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleErrorString(rule)}`));
          this.stopped = true;
          return;
        }
        if (msg.startsWith('no such overload')) this.errors.push(this.invalid(path, sts, `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`));
        else this.errors.push(this.invalid(path, sts, `${msg} evaluating rule: ${ruleErrorString(rule)}`));
        continue;
      }
      if (res.value === true) continue;

      const errPath = compiled.normalizedFieldPath ? childPath(path, compiled.normalizedFieldPath) : path;
      const add = (e: FieldError): void => {
        if (!compiled.usesOldSelf && shouldRatchet(corr)) this.warnings.push(e);
        else this.errors.push(e);
      };
      let detail: string | undefined;
      if (compiled.messageExpression) {
        const m = this.messageExpression(compiled, activation);
        if ('stop' in m) {
          add(this.invalid(errPath, sts, m.stop));
          this.stopped = true;
          return;
        }
        detail = m.message;
      }
      detail ??= ruleMessageOrDefault(rule);
      add(fieldErrorForReason(errPath, schemaType(sts), detail, rule.reason));
    }
  }

  /** The message of a messageExpression, undefined when it fails (upstream then uses the message), or an error that stops validation. */
  private messageExpression(compiled: CompiledRule, vars: Map<string, Value>): { message?: string } | { stop: string } {
    const src = str(compiled.rule.messageExpression);
    const res = evaluate(compiled.messageExpression!, vars, this.limit);
    if (res.cost > this.remaining) return { stop: 'messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run' };
    if ('error' in res) {
      if (res.error instanceof CostLimitError) return { stop: `no further validation rules will be run due to call cost exceeds limit for messageExpression: ${JSON.stringify(src)}` };
      this.remaining -= res.cost;
      return {};
    }
    this.remaining -= res.cost;
    if (typeof res.value !== 'string') return {};
    const msg = res.value.trim();
    if (Buffer.byteLength(msg) > maxMessageExpressionBytes || /\n/.test(msg) || msg === '') return {};
    return { message: msg };
  }
}

/** The CEL value of `raw` converted once on first use; a conversion error is an error value (it fails the rules that use it). */
function lazyValue(raw: unknown, schema: Schema): () => Value {
  let v: Value | undefined;
  return () => {
    if (v === undefined) {
      try {
        v = toCel(raw, schema);
      } catch (err) {
        if (!(err instanceof CelError)) throw err;
        v = new ErrorVal(err);
      }
    }
    return v;
  };
}

export function ruleErrorString(rule: ValidationRule): string {
  const msg = str(rule.message);
  return msg.length > 0 ? msg.trim() : str(rule.rule).trim();
}

function ruleMessageOrDefault(rule: ValidationRule): string {
  const msg = str(rule.message);
  return msg.length === 0 ? `failed rule: ${ruleErrorString(rule)}` : msg.trim();
}

function fieldErrorForReason(path: FieldPath, type: string, detail: string, reason: unknown): FieldError {
  const field = pathText(path);
  switch (reason) {
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', field, detail };
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', field, detail };
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', field, badValue: type };
    default:
      return { type: 'FieldValueInvalid', field, badValue: type, detail };
  }
}

/**
 * The CEL errors of the default values in `openAPIV3Schema` (upstream's defaulting validation,
 * run at CRD create/update): each node's `default` against the rules of that node and below,
 * with the default as old value too (transition rules see an unchanged value), then — when that
 * passes — as a create (no old value, which optionalOldSelf rules see). Defaults under
 * additionalProperties and in a resource's metadata are not followed, as upstream. Paths are
 * `<node>.default` under `basePath`.
 */
export function validateDefaults(openAPIV3Schema: Schema, basePath: string, opts: ValidateOptions = {}): FieldError[] {
  const run = new Run(opts.costBudget ?? runtimeCostBudget, opts.perCallLimit ?? perCallLimit);
  const walk = (s: Schema, path: string, isResourceRoot: boolean, insideMeta: boolean): void => {
    if (run.stopped) return;
    const root = isResourceRoot || isEmbeddedResource(s);
    if (s.default !== undefined && s.default !== null && !insideMeta && hasValidations(s)) {
      const v = buildValidator(s, s, root, true);
      if (v) {
        const before = run.errors.length;
        run.validate(v, `${path}.default`, s.default, s.default, {});
        if (run.errors.length === before && !run.stopped) run.validate(v, `${path}.default`, s.default, undefined, {});
      }
    }
    const it = items(s);
    if (it) walk(it, `${path}.items`, false, insideMeta);
    for (const [k, ps] of Object.entries(properties(s) ?? {})) walk(ps, `${path}.properties[${k}]`, false, insideMeta || (root && (k === 'metadata' || k === 'apiVersion' || k === 'kind')));
  };
  walk(openAPIV3Schema, basePath, true, false);
  return run.errors;
}

/** Validates a custom resource (and its old version on update) against every rule of its schema. */
export function validateObject(schema: Schema, obj: unknown, old: unknown, opts: ValidateOptions = {}): ValidationResult {
  const v = rootValidator(schema);
  if (!v) return { errors: [], warnings: [] };
  const run = new Run(opts.costBudget ?? runtimeCostBudget, opts.perCallLimit ?? perCallLimit);
  const corr: Ratcheting = old !== undefined && old !== null && opts.ratcheting !== false ? { current: new Correlated(obj, old, schema) } : {};
  run.validate(v, undefined, obj, old ?? undefined, corr);
  return { errors: run.errors, warnings: run.warnings };
}
