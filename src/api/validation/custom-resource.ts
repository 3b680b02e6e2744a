// Values of custom resources against their CRD version's openAPIV3Schema: the constraints the
// schema decoder does not check (types and unknown fields are its job, src/api/schema/decode.ts):
// required properties at every level, enum, minimum/maximum (exclusive too), minLength/
// maxLength, pattern, string formats (string-formats.ts), minItems/maxItems, uniqueItems,
// minProperties/maxProperties, allOf/anyOf/oneOf/not, duplicates in x-kubernetes-list-type set
// and map lists, an embedded resource's apiVersion and kind. Messages follow upstream's OpenAPI
// validation (`<path> in body should be ...`). The root's apiVersion and kind are not the
// schema's business, nor its metadata but for name and generateName (object metadata is
// validated apart).

import { compileRe2, type Re2Pattern } from './re2.js';
import { fe, GoShown, type FieldError } from '../errors.js';
import { matchesStringFormat } from './string-formats.js';

type Json = Record<string, unknown>;

/**
 * The deepest a CRD's openAPIV3Schema may nest schemas (properties, items, additionalProperties,
 * allOf/anyOf/oneOf, not; the root is level 0). Upstream has no such limit; everynode's walks of
 * schemas and of the values they describe recurse, so it holds them to one, far above what real
 * CRDs use (calico's deepest is 11 levels), and refuses a CRD that goes beyond it (crd.ts): a
 * custom resource is then always checked as deep as its schema goes. Below the last schema level
 * (x-kubernetes-preserve-unknown-fields), values may nest as deep as a request body may.
 */
export const maxSchemaDepth = 128;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Patterns are compiled once per schema node, as RE2 (re2.ts: linear time, whatever the pattern
 * and the value); a pattern that is not valid RE2 (refused on CRDs now, but possibly stored by an
 * older build) never matches.
 */
const patterns = new WeakMap<Json, Re2Pattern | null>();

function patternOf(s: Json): Re2Pattern | null {
  let re = patterns.get(s);
  if (re === undefined) {
    try {
      re = typeof s.pattern === 'string' ? compileRe2(s.pattern) : null;
    } catch {
      re = null;
    }
    patterns.set(s, re);
  }
  return re;
}

/** Required properties of schema `s` that object `v` lacks (null counts as missing); the root's apiVersion, kind and metadata excepted. */
function requiredErrors(v: Record<string, unknown>, s: Record<string, unknown>, path: string, root: boolean, errs: FieldError[]): void {
  for (const r of Array.isArray(s.required) ? s.required : []) {
    if (typeof r !== 'string' || (root && (r === 'apiVersion' || r === 'kind' || r === 'metadata'))) continue;
    if (v[r] === undefined || v[r] === null) errs.push(fe.required(path === '' ? r : `${path}.${r}`));
  }
}

function walk(v: unknown, s: unknown, path: string, errs: FieldError[], depth: number): void {
  if (!isObj(s) || v === undefined || v === null) return;
  if (depth > maxSchemaDepth) {
    // Only a CRD stored before the limit was enforced has a schema this deep: refuse what
    // cannot be checked rather than take it unchecked.
    errs.push(fe.forbidden(path, `its schema is nested more than ${maxSchemaDepth} levels deep and cannot be validated`));
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(fe.notSupported(path, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof v === 'number') {
    const { minimum, maximum } = s;
    if (typeof minimum === 'number' && (s.exclusiveMinimum === true ? v <= minimum : v < minimum)) {
      errs.push(fe.invalid(path, v, `${path} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${minimum}`));
    }
    if (typeof maximum === 'number' && (s.exclusiveMaximum === true ? v >= maximum : v > maximum)) {
      errs.push(fe.invalid(path, v, `${path} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${maximum}`));
    }
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) errs.push(fe.invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
  } else if (typeof v === 'string') {
    const length = [...v].length;
    if (typeof s.minLength === 'number' && length < s.minLength) errs.push(fe.invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (typeof s.maxLength === 'number' && length > s.maxLength) errs.push(fe.tooLong(path, s.maxLength));
    const re = patternOf(s);
    if (re && !re.test(v)) errs.push(fe.invalid(path, v, `${path} in body should match '${String(s.pattern)}'`));
    if (typeof s.format === 'string' && !matchesStringFormat(s.format, v)) errs.push(fe.typeInvalid(path, v, `${path} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  } else if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push(fe.invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push({ type: 'FieldValueTooMany', field: path, badValue: v.length, detail: `must have at most ${s.maxItems} items` });
    if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errs.push(fe.invalid(path, v, `${path} in body shouldn't contain duplicates`));
    errs.push(...listTypeDuplicates(v, s, path));
    v.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, errs, depth + 1));
  } else if (isObj(v)) {
    const keys = Object.keys(v);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) errs.push(fe.invalid(path, keys.length, `${path} in body should have at least ${s.minProperties} properties`));
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) errs.push(fe.invalid(path, keys.length, `${path} in body should have at most ${s.maxProperties} properties`));
    const root = depth === 0;
    requiredErrors(v, s, path, root, errs);
    if (!root && s['x-kubernetes-embedded-resource'] === true) errs.push(...embeddedResourceErrors(v, path));
    const props = isObj(s.properties) ? s.properties : {};
    for (const k of keys) {
      if (root && (k === 'apiVersion' || k === 'kind')) continue;
      if (root && k === 'metadata') {
        // The schema may restrict name and generateName only (validation/crd.ts).
        const meta = isObj(props.metadata) && isObj(props.metadata.properties) ? props.metadata.properties : {};
        const given = isObj(v.metadata) ? v.metadata : {};
        for (const f of ['name', 'generateName']) if (f in meta && typeof given[f] === 'string') walk(given[f], meta[f], `metadata.${f}`, errs, depth + 2);
        continue;
      }
      const child = path === '' ? k : `${path}.${k}`;
      if (k in props) walk(v[k], props[k], child, errs, depth + 1);
      else if (isObj(s.additionalProperties)) walk(v[k], s.additionalProperties, child, errs, depth + 1);
    }
  }
  junctionErrors(v, s, path, errs, depth);
}

/**
 * allOf, anyOf, oneOf and not (in a structural schema they hold value checks only), as
 * kube-openapi reports them: the failures of every allOf schema, of the anyOf/oneOf schema that
 * failed least when none passed, and one line saying which rule the value broke.
 */
function junctionErrors(v: unknown, s: Json, path: string, errs: FieldError[], depth: number): void {
  const check = (sub: unknown): FieldError[] => {
    const out: FieldError[] = [];
    walk(v, sub, path, out, depth + 1);
    return out;
  };
  const name = JSON.stringify(path);
  const least = (results: FieldError[][]): FieldError[] => results.reduce((a, b) => (b.length < a.length ? b : a));
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const failed = s.allOf.map(check).filter((r) => r.length > 0);
    if (failed.length > 0) errs.push(...failed.flat(), fe.invalid(path, new GoShown('""'), `${name} must validate all the schemas (allOf)`));
  }
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) {
    const results = s.anyOf.map(check);
    if (results.every((r) => r.length > 0)) errs.push(fe.invalid(path, new GoShown('""'), `${name} must validate at least one schema (anyOf)`), ...least(results));
  }
  if (Array.isArray(s.oneOf) && s.oneOf.length > 0) {
    const results = s.oneOf.map(check);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid === 0) errs.push(fe.invalid(path, new GoShown('""'), `${name} must validate one and only one schema (oneOf). Found none valid`), ...least(results));
    else if (valid > 1) errs.push(fe.invalid(path, new GoShown('""'), `${name} must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
  }
  if (isObj(s.not) && check(s.not).length === 0) errs.push(fe.invalid(path, new GoShown('""'), `${name} must not validate the schema (not)`));
}

/**
 * The duplicates of a list whose items are a set (equal items) or a map (items with equal
 * values of x-kubernetes-list-map-keys): upstream's `Duplicate value` at the later item.
 */
function listTypeDuplicates(v: unknown[], s: Json, path: string): FieldError[] {
  const type = s['x-kubernetes-list-type'];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  if (type === 'set') {
    v.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errs.push(fe.duplicate(`${path}[${i}]`, item));
      seen.add(key);
    });
  } else if (type === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) {
    const keys = s['x-kubernetes-list-map-keys'].filter((k): k is string => typeof k === 'string');
    v.forEach((item, i) => {
      if (!isObj(item)) return;
      const key = JSON.stringify(keys.map((k) => item[k] ?? null));
      // The item's keys as Go's %#v prints the map upstream reports.
      const id = new GoShown(`map[string]interface {}{${keys.filter((k) => item[k] !== undefined).map((k) => `${JSON.stringify(k)}:${JSON.stringify(item[k])}`).join(', ')}}`);
      if (seen.has(key)) errs.push(fe.duplicate(`${path}[${i}]`, id));
      seen.add(key);
    });
  }
  return errs;
}

/** An x-kubernetes-embedded-resource object must say what it is: apiVersion and kind (upstream's validateEmbeddedResource). */
function embeddedResourceErrors(v: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['apiVersion', 'kind'] as const) {
    const x = v[f];
    if (x === undefined) errs.push(fe.required(`${path}.${f}`, 'must not be empty'));
    else if (typeof x !== 'string') errs.push(fe.invalid(`${path}.${f}`, x, 'must be a string'));
    else if (x === '') errs.push(fe.invalid(`${path}.${f}`, x, 'must not be empty'));
  }
  return errs;
}

/** The field errors of a custom resource's value against its version's openAPIV3Schema. */
export function validateCustomResourceValue(obj: unknown, openAPIV3Schema: unknown): FieldError[] {
  const errs: FieldError[] = [];
  walk(obj, openAPIV3Schema, '', errs, 0);
  return errs;
}

/**
 * The errors of a schema node's `default` (upstream's ValidateDefaults): its types and
 * constraints, paths under `defaultPath` (`....properties[x].default.a`), and fields its schema
 * would prune (`must not have unknown fields`).
 */
export function defaultValueErrors(value: unknown, schema: Json, defaultPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (hasUnknownFields(value, schema)) errs.push(fe.invalid(defaultPath, value, 'must not have unknown fields'));
  const found: FieldError[] = [];
  walkTypes(value, schema, '', found, 1);
  if (found.length === 0) walk(value, schema, '', found, 1);
  for (const e of found) {
    const field = e.field === '' ? defaultPath : e.field.startsWith('[') ? `${defaultPath}${e.field}` : `${defaultPath}.${e.field}`;
    errs.push({ ...e, field, ...(e.detail !== undefined ? { detail: e.detail.replace(/^ in body/, 'in body') } : {}) });
  }
  return errs;
}

/** Whether pruning `v` by schema `s` would drop something (fields its objects do not declare). */
function hasUnknownFields(v: unknown, s: unknown): boolean {
  if (!isObj(s) || s['x-kubernetes-int-or-string'] === true) return false;
  if (Array.isArray(v)) return v.some((item) => hasUnknownFields(item, s.items));
  if (!isObj(v)) return false;
  const props = isObj(s.properties) ? s.properties : undefined;
  if (isObj(s.additionalProperties)) return Object.values(v).some((item) => hasUnknownFields(item, s.additionalProperties));
  const keepAll = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true || (props === undefined && s.type !== 'object');
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  return Object.entries(v).some(([k, item]) => {
    if (props && k in props) return hasUnknownFields(item, props[k]);
    if (embedded && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) return false;
    return !keepAll;
  });
}

/**
 * Validation ratcheting (upstream's CRDValidationRatcheting, on by default since 1.30): of an
 * update's schema errors, those at a value the update left as it was are dropped, so an object
 * stored under looser rules (a CRD tightened since) can still be updated, relabeled, scaled and
 * released from its finalizers. A missing required property or a duplicate list item is judged by
 * the object or list holding it; list items are matched by index.
 */
export function ratchetErrors(errs: FieldError[], obj: unknown, old: unknown): FieldError[] {
  return errs.filter((e) => {
    const segments = pathSegments(e.field);
    const holder = e.type === 'FieldValueRequired' || e.type === 'FieldValueDuplicate' ? segments.slice(0, -1) : segments;
    const before = valueAt(old, holder);
    return before === undefined || JSON.stringify(before) !== JSON.stringify(valueAt(obj, holder));
  });
}

/** `spec.items[2].name` as ['spec', 'items', 2, 'name']. */
function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function valueAt(v: unknown, segments: (string | number)[]): unknown {
  let cur = v;
  for (const seg of segments) {
    if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isObj(cur) ? cur[seg] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The JSON type name upstream's schema validation reports for a value. */
function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(type: string, v: unknown): boolean {
  const t = jsonTypeOf(v);
  return t === type || (type === 'number' && t === 'integer');
}

/** Stops below maxSchemaDepth: walk refuses the value there. */
function walkTypes(v: unknown, s: unknown, path: string, errs: FieldError[], depth: number): void {
  if (!isObj(s) || depth > maxSchemaDepth || v === undefined || v === null) return;
  if (s['x-kubernetes-int-or-string'] === true) {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) errs.push(fe.invalid(path, jsonTypeOf(v), `${path} in body must be of type integer,string: ${JSON.stringify(jsonTypeOf(v))}`));
    return;
  }
  if (typeof s.type === 'string' && !typeMatches(s.type, v)) {
    errs.push(fe.invalid(path, jsonTypeOf(v), `${path} in body must be of type ${s.type}: ${JSON.stringify(jsonTypeOf(v))}`));
    return;
  }
  const root = depth === 0;
  if (Array.isArray(v)) v.forEach((item, i) => walkTypes(item, s.items, `${path}[${i}]`, errs, depth + 1));
  else if (isObj(v)) {
    // Missing required properties in the same pass, as upstream's schema validation reports
    // them beside the type errors (not only once those are fixed).
    requiredErrors(v, s, path, root, errs);
    const props = isObj(s.properties) ? s.properties : {};
    for (const [k, item] of Object.entries(v)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const child = path === '' ? k : `${path}.${k}`;
      if (k in props) walkTypes(item, props[k], child, errs, depth + 1);
      else if (isObj(s.additionalProperties)) walkTypes(item, s.additionalProperties, child, errs, depth + 1);
    }
  }
}

/**
 * The type errors of a custom resource's value against its schema (upstream answers them as 422
 * Invalid, `<path> in body must be of type <type>: "<actual>"`), checked before the value is
 * decoded, with the required properties missing beside them; the root's apiVersion, kind and
 * metadata excepted. None when no value has a wrong type.
 */
export function customResourceTypeErrors(obj: unknown, openAPIV3Schema: unknown): FieldError[] {
  const errs: FieldError[] = [];
  walkTypes(obj, openAPIV3Schema, '', errs, 0);
  // Missing required properties come with type errors only: alone, they are the full
  // validation's to report (with everything else it finds).
  return errs.some((e) => e.type !== 'FieldValueRequired') ? errs : [];
}
