// The errors of x-kubernetes-validations rules in a CRD version's openAPIV3Schema, as
// apiextensions' ValidateCustomResourceDefinitionOpenAPISchema reports them at CRD create and
// update (Kubernetes 1.32): the shape of each rule (rule, message, messageExpression, reason,
// fieldPath), then — where no such error was found at the node or below — the compilation of
// each rule and messageExpression against the node's CEL type, the use of oldSelf where old
// values cannot be correlated, and optionalOldSelf on rules without oldSelf.
//
// Errors of the rules' shape come first, then the CEL errors, each in schema order (upstream
// keeps the two lists apart and concatenates them). Rules under not/allOf/anyOf/oneOf/
// definitions/dependencies are checked for shape only, as upstream compiles none there.

import type { FieldError } from '../errors.js';
import { compileRules } from './validator.js';
import { validFieldPath } from './fieldpath.js';
import { additionalProperties, isEmbeddedResource, listType, mapType, properties, schemaCelType, validationRules, type Schema } from './schema.js';

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const hasNewlines = (s: string): boolean => /[\n\r]/.test(s);

const supportedReasons = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

interface Lists {
  schema: FieldError[];
  cel: FieldError[];
}

interface Context {
  /** Whether rules here are compiled (upstream's CELSchemaContext is not nil). */
  cel: boolean;
  isRoot: boolean;
  /** The highest path of a list or map whose elements do not correlate with old ones. */
  uncorrelatable?: string;
}

let selfTypeCounter = 0;

function walk(s: Schema, path: string, ctx: Context, out: Lists): void {
  const before = out.schema.length;
  const ap = additionalProperties(s);
  if (ap) walk(ap, `${path}.additionalProperties`, { cel: ctx.cel, isRoot: false, ...(ctx.uncorrelatable ? { uncorrelatable: ctx.uncorrelatable } : {}) }, out);
  const props = properties(s);
  if (props) {
    const mt = mapType(s);
    const correlatable = mt === undefined || mt === 'granular' || mt === 'atomic';
    for (const [k, ps] of Object.entries(props)) {
      const unc = ctx.uncorrelatable ?? (correlatable ? undefined : path);
      walk(ps, `${path}.properties[${k}]`, { cel: ctx.cel, isRoot: false, ...(unc ? { uncorrelatable: unc } : {}) }, out);
    }
  }
  const nested = (v: unknown, p: string): void => {
    if (isObj(v)) walk(v, p, { cel: false, isRoot: false, ...(ctx.uncorrelatable ? { uncorrelatable: ctx.uncorrelatable } : {}) }, out);
  };
  nested(s.not, `${path}.not`);
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) list.forEach((x, i) => nested(x, `${path}.${key}[${i}]`));
  }
  if (isObj(s.definitions)) for (const [k, d] of Object.entries(s.definitions)) nested(d, `${path}.definitions[${k}]`);
  const it = s.items;
  if (it !== undefined) {
    const unc = ctx.uncorrelatable ?? (listType(s) === 'map' ? undefined : path);
    const itemCtx = (): Context => ({ cel: ctx.cel, isRoot: false, ...(unc ? { uncorrelatable: unc } : {}) });
    if (isObj(it)) walk(it, `${path}.items`, itemCtx(), out);
    else if (Array.isArray(it)) it.forEach((x, i) => isObj(x) && walk(x, `${path}.items[${i}]`, itemCtx(), out));
  }
  if (isObj(s.dependencies)) for (const [k, d] of Object.entries(s.dependencies)) nested(d, `${path}.dependencies[${k}]`);

  const rules = validationRules(s);
  if (rules.length === 0) return;
  const raw = Array.isArray(s['x-kubernetes-validations']) ? (s['x-kubernetes-validations'] as unknown[]) : [];
  rules.forEach((rule, i) => {
    const at = `${path}.x-kubernetes-validations[${i}]`;
    const ruleText = str(rule.rule);
    const msg = str(rule.message);
    const trimmedMsg = msg.trim();
    if (ruleText.trim() === '') out.schema.push({ type: 'FieldValueRequired', field: `${at}.rule`, detail: 'rule is not specified' });
    else if (msg.length > 0 && trimmedMsg.length === 0) out.schema.push({ type: 'FieldValueInvalid', field: `${at}.message`, badValue: msg, detail: 'message must be non-empty if specified' });
    else if (hasNewlines(trimmedMsg)) out.schema.push({ type: 'FieldValueInvalid', field: `${at}.message`, badValue: msg, detail: 'message must not contain line breaks' });
    else if (hasNewlines(ruleText.trim()) && trimmedMsg.length === 0) out.schema.push({ type: 'FieldValueRequired', field: `${at}.message`, detail: 'message must be specified if rule contains line breaks' });
    const msgExpr = str(rule.messageExpression);
    if (msgExpr.length > 0 && msgExpr.trim().length === 0) out.schema.push({ type: 'FieldValueRequired', field: `${at}.messageExpression`, detail: 'messageExpression must be non-empty if specified' });
    if (rule.reason !== undefined && rule.reason !== null && !supportedReasons.includes(str(rule.reason))) {
      out.schema.push({ type: 'FieldValueNotSupported', field: `${at}.reason`, badValue: rule.reason, detail: `supported values: ${supportedReasons.map((r) => JSON.stringify(r)).join(', ')}` });
    }
    const fp = str(rule.fieldPath);
    if (fp.length > 0 && fp.trim().length === 0) out.schema.push({ type: 'FieldValueInvalid', field: `${at}.fieldPath`, badValue: fp, detail: 'fieldPath must be non-empty if specified' });
    if (hasNewlines(fp)) out.schema.push({ type: 'FieldValueInvalid', field: `${at}.fieldPath`, badValue: fp, detail: 'fieldPath must not contain line breaks' });
    if (fp.length > 0 && 'error' in validFieldPath(fp, s)) out.schema.push({ type: 'FieldValueInvalid', field: `${at}.fieldPath`, badValue: fp, detail: 'fieldPath must be a valid path' });
  });
  // CEL errors only where the schema has no error at this node or below.
  if (out.schema.length !== before || !ctx.cel) return;
  const isResourceRoot = ctx.isRoot || isEmbeddedResource(s);
  const selfType = schemaCelType(s, isResourceRoot, `selfType${(Date.now() % 1_000_000) * 1000 + (selfTypeCounter++ % 1000)}`);
  if (!selfType) {
    // Upstream reports a field.InternalError here, which FieldError has no type for: Forbidden
    // renders as `<path>: Forbidden: Internal error: ...`, nearest to upstream's `<path>: Internal error: ...`.
    out.cel.push({ type: 'FieldValueForbidden', field: `${path}.x-kubernetes-validations`, detail: 'Internal error: internal error: failed to construct type information for x-kubernetes-validations rules: unable to convert structural schema to CEL declarations' });
    return;
  }
  compileRules(rules, s, selfType).forEach((cr, i) => {
    const at = `${path}.x-kubernetes-validations[${i}]`;
    const ruleObj = raw[i];
    if (cr.error) out.cel.push({ type: 'FieldValueInvalid', field: `${at}.rule`, badValue: ruleObj, detail: cr.error });
    if (cr.messageExpressionError) out.cel.push({ type: 'FieldValueInvalid', field: `${at}.messageExpression`, badValue: ruleObj, detail: cr.messageExpressionError });
    if (cr.usesOldSelf) {
      if (ctx.uncorrelatable) out.cel.push({ type: 'FieldValueInvalid', field: `${at}.rule`, badValue: str(cr.rule.rule), detail: `oldSelf cannot be used on the uncorrelatable portion of the schema within ${ctx.uncorrelatable}` });
    } else if (cr.rule.optionalOldSelf !== undefined && cr.rule.optionalOldSelf !== null) {
      out.cel.push({ type: 'FieldValueInvalid', field: `${at}.optionalOldSelf`, badValue: cr.rule.optionalOldSelf, detail: 'may not be set if oldSelf is not used in rule' });
    }
  });
}

/**
 * Errors of the x-kubernetes-validations rules of `openAPIV3Schema` (at `basePath`, e.g.
 * `spec.versions[0].schema.openAPIV3Schema`).
 */
export function schemaErrors(openAPIV3Schema: unknown, basePath: string): FieldError[] {
  if (!isObj(openAPIV3Schema)) return [];
  const out: Lists = { schema: [], cel: [] };
  walk(openAPIV3Schema, basePath, { cel: true, isRoot: true }, out);
  return [...out.schema, ...out.cel];
}

