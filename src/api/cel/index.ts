// Kubernetes CRD validation rules (x-kubernetes-validations, CEL) as a library: the errors of
// the rules of a CRD's schema at CRD create/update, and the errors of a custom resource against
// them, as apiextensions-apiserver 1.32 reports both. CEL itself (parser.ts, checker.ts,
// interpreter.ts), its standard library (stdlib.ts) and the libraries Kubernetes adds
// (library.ts: extended strings v2, sets, lists, regex, url, quantity, ip, cidr, format;
// formatting.ts: string.format and its compile-time check) are implemented here; nothing does I/O.
//
// Contracts:
// - Rules are compiled once per schema object (WeakMap on the openAPIV3Schema's nodes): pass the
//   same schema object for every object of a CRD version to reuse them.
// - Evaluation is synchronous and bounded: expressions are at most 100,000 code points and 250
//   levels deep; one expression may cost 1,000,000 and one object's rules 10,000,000 (cel-go's
//   cost units), past which upstream's cost-limit errors are reported and evaluation stops.
// - Not implemented: the static cost estimate upstream checks at CRD create/update (`estimated
//   rule cost exceeds budget by factor of ...`), so CRDs whose rules are too expensive for
//   upstream are accepted (the run-time limits above still bound them); two-variable
//   comprehensions, which Kubernetes 1.32 allows only in expressions already stored.

import type { FieldError } from '../errors.js';
import { schemaErrors } from './schema-errors.js';
import { rootValidator, validateDefaults, validateObject, type ValidateOptions, type ValidationResult } from './validator.js';

export type { ValidateOptions, ValidationResult } from './validator.js';
export { runtimeCostBudget } from './validator.js';
export { perCallLimit } from './interpreter.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Errors of every x-kubernetes-validations rule in a CRD version's openAPIV3Schema that does not
 * compile, or has a bad message/messageExpression/reason/fieldPath/optionalOldSelf, as upstream
 * reports them at CRD create/update (paths like
 * `spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule`);
 * `basePath` is the path of the openAPIV3Schema.
 */
export function celSchemaErrors(openAPIV3Schema: unknown, basePath: string): FieldError[] {
  return schemaErrors(openAPIV3Schema, basePath);
}

/**
 * Errors of a custom resource (create: `old` undefined; update: `old` the stored object) against
 * every rule of its version's openAPIV3Schema, as upstream's CEL validator reports them.
 * Errors that ratcheting turns into warnings on update are left out (see celValidate).
 */
export function celValueErrors(obj: unknown, old: unknown, openAPIV3Schema: unknown): FieldError[] {
  return celValidate(obj, old, openAPIV3Schema).errors;
}

/** celValueErrors with the warnings of ratcheted rules, and the budget options. */
export function celValidate(obj: unknown, old: unknown, openAPIV3Schema: unknown, opts: ValidateOptions = {}): ValidationResult {
  if (!isObj(openAPIV3Schema)) return { errors: [], warnings: [] };
  return validateObject(openAPIV3Schema, obj, old, opts);
}

/**
 * CEL errors of the `default` values in a CRD version's openAPIV3Schema, as upstream's default
 * validation reports them at CRD create/update (`<basePath>.properties[spec].properties[x].default:
 * Invalid value: "integer": failed rule: self > 0`). Upstream runs this only for defaults that
 * otherwise validate against the schema.
 */
export function celDefaultErrors(openAPIV3Schema: unknown, basePath: string): FieldError[] {
  if (!isObj(openAPIV3Schema)) return [];
  return validateDefaults(openAPIV3Schema, basePath);
}

/**
 * Whether a custom resource's openAPIV3Schema has validation rules the validator runs (upstream
 * makes no CEL validator otherwise, so nothing of it, not even celBlockedError, applies).
 */
export function celHasRules(openAPIV3Schema: unknown): boolean {
  return isObj(openAPIV3Schema) && rootValidator(openAPIV3Schema) !== undefined;
}

const blockingTypes = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/**
 * The error upstream's custom resource strategy reports instead of running the rules when the
 * other validation errors of the object (OpenAPI schema, embedded object meta, list-type
 * invariants) include one of type NotSupported, Required, TooLong, TooMany or TypeInvalid:
 * `<nil>: Invalid value: "null": some validation rules were not checked because the object was
 * invalid; correct the existing errors to complete validation`. Undefined when the rules should run.
 */
export function celBlockedError(otherErrors: readonly FieldError[]): FieldError | undefined {
  if (!otherErrors.some((e) => blockingTypes.has(e.type))) return undefined;
  return celNotCheckedError();
}

/** The error saying the rules were not run (celBlockedError's), for a caller that knows they must not be. */
export function celNotCheckedError(): FieldError {
  return { type: 'FieldValueInvalid', field: '<nil>', badValue: 'null', detail: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' };
}
