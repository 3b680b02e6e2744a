// apiextensions.k8s.io/v1 CustomResourceDefinition: defaults, validation and the status the
// server sets (upstream's apiextensions-apiserver validation and its naming and establishing
// controllers, restated). The custom resources are served by src/apiserver/custom-resources.ts.

import { fe, fieldErrorString, type FieldError } from '../errors.js';
import { builtinKinds } from '../kinds.js';
import { isDNS1035Label, isDNS1123Subdomain, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { defaultValueErrors, maxSchemaDepth } from './custom-resource.js';
import { celDefaultErrors, celSchemaErrors } from '../cel/index.js';
import { re2Problem } from './re2.js';
import { arr, child, clone, ensureObj, index, isObj, obj, str, validateImmutableField, type Obj } from './util.js';

const APPROVAL = 'api-approved.kubernetes.io';
/** Holds a deleted CRD until its custom resources are gone (src/apiserver/custom-resources.ts). */
export const crdCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

export function setCRDDefaults(crd: Obj): void {
  const spec = ensureObj(crd, 'spec');
  const names = ensureObj(spec, 'names');
  const kind = str(names.kind);
  if (kind && !str(names.singular)) names.singular = kind.toLowerCase();
  if (kind && !str(names.listKind)) names.listKind = `${kind}List`;
  const conversion = ensureObj(spec, 'conversion');
  if (!str(conversion.strategy)) conversion.strategy = 'None';
  // SetDefaults_ServiceReference: a conversion webhook's service is reached on 443 unless told.
  const service = obj(obj(obj(conversion.webhook)?.clientConfig)?.service);
  if (service && (service.port === undefined || service.port === null)) service.port = 443;
}

function storageVersion(crd: Obj): string | undefined {
  const v = arr(obj(crd.spec)?.versions).find((x) => isObj(x) && x.storage === true);
  return isObj(v) ? str(v.name) : undefined;
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A new CRD's status: names accepted and established at once (no conflicts to wait for). Its
 * cleanup finalizer comes with its first DELETE (the registry), so its custom resources go first.
 */
export function prepareCRDForCreate(crd: Obj): void {
  // The cleanup finalizer is added by the first DELETE (the registry), as upstream's CRD REST.
  const now = rfc3339Now();
  const stored = storageVersion(crd);
  crd.status = {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    acceptedNames: clone(obj(obj(crd.spec)?.names) ?? {}),
    storedVersions: stored ? [stored] : [],
  };
}

/** An update keeps the status and follows the new names and storage version. */
export function prepareCRDForUpdate(crd: Obj, _old: Obj): void {
  const status = ensureObj(crd, 'status');
  status.acceptedNames = clone(obj(obj(crd.spec)?.names) ?? {});
  const stored = storageVersion(crd);
  const versions = arr(status.storedVersions).filter((v): v is string => typeof v === 'string');
  if (stored && !versions.includes(stored)) versions.push(stored);
  status.storedVersions = versions;
}

/**
 * An update of /status: upstream's ValidateCustomResourceDefinitionStoredVersions. At least one
 * stored version, the storage version among them, and each in spec.versions (a version objects
 * may be stored in cannot be dropped from the record by writing the status).
 */
export function validateCRDStatusUpdate(crd: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(crd.metadata, old.metadata);
  const stored = arr(obj(crd.status)?.storedVersions);
  const path = 'status.storedVersions';
  if (stored.length === 0) return [...errs, fe.invalid(path, stored, 'must have at least one stored version')];
  const left = new Map(stored.map((v, i) => [v, i] as const));
  for (const v of arr(obj(crd.spec)?.versions)) {
    const name = str(obj(v)?.name);
    if (obj(v)?.storage === true && !left.has(name)) errs.push(fe.invalid(path, name, `must have the storage version ${name}`));
    left.delete(name);
  }
  for (const [v, i] of left) errs.push(fe.invalid(`${path}[${i}]`, v, 'must appear in spec.versions'));
  return errs;
}

/**
 * A CRD's warnings: everynode does not call conversion webhooks, so a CRD asking for one is
 * served as with strategy None (an object keeps the fields it was written with; only its
 * apiVersion is the version asked for), and its user is told so when it is created with one or
 * updated to one (not on every re-apply of the same manifest).
 */
export function crdWarnings(crd: Obj, old?: Obj): string[] {
  const webhook = (o: Obj | undefined): boolean => obj(obj(o?.spec)?.conversion)?.strategy === 'Webhook';
  if (!webhook(crd) || webhook(old)) return [];
  return ['spec.conversion.strategy: Webhook: everynode does not call conversion webhooks; objects are served in every version with the fields they were written with (as strategy None)'];
}

/** Groups the server serves itself (kinds, reviews, metrics); a CRD may not declare kinds in them. */
export const reservedGroups: ReadonlySet<string> = new Set([
  ...builtinKinds().map((k) => k.group),
  'authorization.k8s.io',
  'authentication.k8s.io',
  'metrics.k8s.io',
  'events.k8s.io',
]);

function protectedGroup(group: string): boolean {
  return group === 'k8s.io' || group === 'kubernetes.io' || group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io');
}

export function validateCRD(crd: Obj): FieldError[] {
  const meta = obj(crd.metadata) ?? {};
  const errs = validateObjectMeta(meta, false, nameIsDNSSubdomain);
  const spec = obj(crd.spec) ?? {};
  const group = str(spec.group) ?? '';
  const names = obj(spec.names) ?? {};
  const plural = str(names.plural) ?? '';
  if (str(meta.name) !== `${plural}.${group}`) errs.push(fe.invalid('metadata.name', meta.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  if (group === '') errs.push(fe.required('spec.group'));
  else if (isDNS1123Subdomain(group).length > 0) errs.push(fe.invalid('spec.group', group, isDNS1123Subdomain(group).join(',')));
  else if (!group.includes('.')) errs.push(fe.invalid('spec.group', group, 'should be a domain with at least one dot'));
  else if (reservedGroups.has(group)) errs.push(fe.forbidden('spec.group', `group "${group}" is served by the API server itself`));
  if (protectedGroup(group) && !str(obj(meta.annotations)?.[APPROVAL])) {
    errs.push(fe.required(`metadata.annotations[${APPROVAL}]`, `protected groups must have approval annotation "${APPROVAL}"`));
  }
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(fe.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  errs.push(...namesErrors(names, 'spec.names'));
  if (spec.preserveUnknownFields === true) errs.push(fe.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));

  const versions = arr(spec.versions);
  if (versions.length === 0) errs.push(fe.required('spec.versions', 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((vv, i) => {
    const path = index('spec.versions', i);
    const v = obj(vv) ?? {};
    const name = str(v.name) ?? '';
    if (isDNS1035Label(name).length > 0) errs.push(fe.invalid(child(path, 'name'), name, isDNS1035Label(name).join(',')));
    else if (seen.has(name)) errs.push(fe.duplicate(child(path, 'name'), name));
    seen.add(name);
    if (v.storage === true) storage++;
    const schema = obj(v.schema)?.openAPIV3Schema;
    if (!isObj(schema)) errs.push(fe.required(child(path, 'schema', 'openAPIV3Schema'), 'schemas are required'));
    else {
      const at = child(path, 'schema', 'openAPIV3Schema');
      const shape = schemaErrors(schema, at, 'root', 0);
      errs.push(...shape);
      // Validation rules (CEL) are compiled once the schema is otherwise sound, as upstream
      // compiles them on a structural schema; then the defaults are held to them.
      if (shape.length === 0) {
        const rules = celSchemaErrors(schema, at);
        errs.push(...(rules.length > 0 ? rules : celDefaultErrors(schema, at)));
      }
    }
    errs.push(...scaleErrors(obj(v.subresources)?.scale, child(path, 'subresources')));
    arr(v.additionalPrinterColumns).forEach((c, j) => errs.push(...printerColumnErrors(obj(c) ?? {}, index(child(path, 'additionalPrinterColumns'), j))));
    const selectable = arr(v.selectableFields);
    if (selectable.length > 0) {
      // upstream's message, word for word (it says "not included" where it means "included").
      if (!isObj(schema)) errs.push(fe.invalid(child(path, 'selectableFields'), '', 'selectableFields may only be set when version.schema.openAPIV3Schema is not included'));
      else errs.push(...selectableFieldsErrors(selectable, schema, child(path, 'selectableFields')));
    }
  });
  if (versions.length > 0 && storage !== 1) errs.push(fe.invalid('spec.versions', versions.length, 'must have exactly one version marked as storage version'));

  const conversion = obj(spec.conversion) ?? {};
  if (conversion.strategy !== 'None' && conversion.strategy !== 'Webhook') errs.push(fe.notSupported('spec.conversion.strategy', conversion.strategy ?? '', ['None', 'Webhook']));
  if (conversion.strategy === 'Webhook') {
    const webhook = obj(conversion.webhook);
    if (!webhook) errs.push(fe.required('spec.conversion.webhook', 'required when strategy is set to Webhook'));
    else if (arr(webhook.conversionReviewVersions).length === 0) errs.push(fe.required('spec.conversion.webhook.conversionReviewVersions', 'must specify one of v1, v1beta1'));
  }
  return errs;
}

/**
 * spec.names (upstream's ValidateCustomResourceDefinitionNames, and the names the spec requires):
 * plural, singular, shortNames and categories DNS-1035 labels; kind and listKind too once
 * lowercased; kind and listKind not the same (a list could not be told from an object).
 */
function namesErrors(names: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = (f: string): string => str(names[f]) ?? '';
  for (const f of ['plural', 'singular', 'kind', 'listKind']) if (name(f) === '') errs.push(fe.required(child(path, f), ''));
  for (const f of ['plural', 'singular']) {
    const problems = name(f) === '' ? [] : isDNS1035Label(name(f));
    if (problems.length > 0) errs.push(fe.invalid(child(path, f), name(f), problems.join(',')));
  }
  for (const f of ['kind', 'listKind']) {
    const problems = name(f) === '' ? [] : isDNS1035Label(name(f).toLowerCase());
    if (problems.length > 0) errs.push(fe.invalid(child(path, f), name(f), `may have mixed case, but should otherwise match: ${problems.join(',')}`));
  }
  arr(names.shortNames).forEach((s, i) => {
    const problems = isDNS1035Label(str(s) ?? '');
    if (problems.length > 0) errs.push(fe.invalid(index(child(path, 'shortNames'), i), s, problems.join(',')));
  });
  if (name('kind') !== '' && name('kind') === name('listKind')) errs.push(fe.invalid(child(path, 'listKind'), name('listKind'), 'kind and listKind may not be the same'));
  arr(names.categories).forEach((c, i) => {
    const problems = isDNS1035Label(str(c) ?? '');
    if (problems.length > 0) errs.push(fe.invalid(index(child(path, 'categories'), i), c, problems.join(',')));
  });
  return errs;
}

const printerColumnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const printerColumnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

/**
 * One of a version's additionalPrinterColumns (upstream's ValidateCustomResourceColumnDefinition,
 * whose field path says `JSONPath`): a name, a type of table cells, a known format if any, and
 * a jsonPath from the object's root (`.` first; what follows is a client-go JSONPath template).
 */
function printerColumnErrors(col: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if ((str(col.name) ?? '') === '') errs.push(fe.required(child(path, 'name'), ''));
  const type = str(col.type) ?? '';
  const oneOf = (values: string[]) => `must be one of ${values.join(',')}`;
  if (type === '') errs.push(fe.required(child(path, 'type'), oneOf(printerColumnTypes)));
  else if (!printerColumnTypes.includes(type)) errs.push(fe.invalid(child(path, 'type'), type, oneOf(printerColumnTypes)));
  const format = str(col.format) ?? '';
  if (format !== '' && !printerColumnFormats.includes(format)) errs.push(fe.invalid(child(path, 'format'), format, oneOf(printerColumnFormats)));
  const jsonPath = str(col.jsonPath) ?? '';
  if (jsonPath === '') errs.push(fe.required(child(path, 'JSONPath'), ''));
  else if (!jsonPath.startsWith('.')) errs.push(fe.invalid(child(path, 'JSONPath'), jsonPath, 'must be a simple json path starting with .'));
  return errs;
}

/** Most selectable fields a CRD version may name (upstream's MaxSelectableFields). */
export const maxSelectableFields = 8;

/**
 * A version's `selectableFields` (upstream's ValidateCustomResourceSelectableFields): each
 * jsonPath a field of the schema reached by `.name` steps (no array notation; `['key']` only as
 * upstream's field paths allow it), outside metadata, of type string, boolean or integer, named
 * once; at most 8.
 */
function selectableFieldsErrors(fields: unknown[], schema: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const at = child(index(path, i), 'jsonPath');
    const jsonPath = str(obj(f)?.jsonPath) ?? '';
    if (jsonPath === '') return void errs.push(fe.required(at, ''));
    const found = schemaFieldAt(jsonPath, schema);
    if (typeof found === 'string') return void errs.push(fe.invalid(at, jsonPath, `is an invalid path: ${found}`));
    if (found.steps[0] === 'metadata') errs.push(fe.invalid(at, jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(str(found.schema?.type) ?? '')) {
      errs.push(fe.invalid(at, jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    const key = found.steps.join('\u0000');
    if (unique.has(key)) errs.push(fe.duplicate(at, jsonPath));
    else unique.add(key);
  });
  if (unique.size > maxSelectableFields) errs.push(fe.tooMany(path, unique.size, maxSelectableFields));
  return errs;
}

/**
 * The schema a field path reaches (upstream's cel.ValidFieldPath without array notation):
 * `.name` steps through `properties`, or through `additionalProperties` (a map key); the
 * reason as upstream words it when the path is not one.
 */
function schemaFieldAt(jsonPath: string, root: Obj): { steps: string[]; schema: Obj | undefined } | string {
  const tokens = jsonPath.match(/[.[\]]|[^.[\]]+/g) ?? [];
  let schema: Obj | undefined = root;
  const steps: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '[') return 'array notation is not allowed';
    if (t !== '.') return `expected [ or . but got: ${t}`;
    const name = tokens[++i];
    if (name === undefined) return 'unexpected end of JSON path';
    const props = obj(schema?.properties);
    const additional = obj(schema?.additionalProperties);
    if (props) {
      const next = obj(props[name]);
      if (!next) return 'does not refer to a valid field';
      schema = next;
    } else if (additional) {
      schema = additional;
    } else {
      return 'does not refer to a valid field';
    }
    steps.push(name);
  }
  return { steps, schema };
}

/** upstream's validateSimpleJSONPath: `.a.b` (a leading dot). */
function simpleJsonPathErrors(s: unknown, path: string): FieldError[] {
  if (typeof s !== 'string' || s === '') return [fe.invalid(path, s ?? '', 'must not be empty')];
  if (!s.startsWith('.')) return [fe.invalid(path, s, 'must be a simple json path starting with .')];
  if (s !== '.' && s.slice(1).split('.').some((step) => step === '')) return [fe.invalid(path, s, 'must be a json path in the dot notation')];
  return [];
}

/** A version's `subresources.scale` (upstream's ValidateCustomResourceDefinitionSubresources). */
function scaleErrors(scale: unknown, path: string): FieldError[] {
  if (scale === undefined || scale === null) return [];
  const s = obj(scale);
  if (!s) return [fe.invalid(child(path, 'scale'), scale, 'must be an object')];
  const errs: FieldError[] = [];
  const check = (field: 'specReplicasPath' | 'statusReplicasPath', under: string): void => {
    const p = child(path, `scale.${field}`);
    const v = s[field];
    if (v === undefined || v === null || v === '') return void errs.push(fe.required(p, ''));
    const pathErrs = simpleJsonPathErrors(v, p);
    if (pathErrs.length > 0) errs.push(...pathErrs);
    else if (!(v as string).startsWith(`${under}.`)) errs.push(fe.invalid(p, v, `should be a json path under ${under}`));
  };
  check('specReplicasPath', '.spec');
  check('statusReplicasPath', '.status');
  const selector = s.labelSelectorPath;
  if (selector !== undefined && selector !== null && selector !== '') {
    const p = child(path, 'scale.labelSelectorPath');
    const pathErrs = simpleJsonPathErrors(selector, p);
    if (pathErrs.length > 0) errs.push(...pathErrs);
    else if (!(selector as string).startsWith('.spec.') && !(selector as string).startsWith('.status.')) errs.push(fe.invalid(p, selector, 'should be a json path under either .spec or .status'));
  }
  return errs;
}

const schemaTypes = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

/** The OpenAPI type of a JSON value; an integral number is `integer` where `integer` is wanted, else `number`. */
function jsonTypeOf(v: unknown, wanted: string): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) && wanted !== 'number' ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/**
 * Where a schema sits (upstream's structural levels): the root, an object's field, an array's
 * items, or a value validation (under allOf, anyOf, oneOf, not), which upstream's structural
 * rules leave untyped.
 */
type SchemaLevel = 'root' | 'field' | 'item' | 'value';

/** A JSON value present: Go's nil pointer, nil slice or nil map is absent or `null` in JSON. */
const given = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * upstream's CRD schema validation, the rules that keep custom resources checkable and mergeable:
 * - a supported `type`, one on every structural schema (the root, fields, items) unless it is
 *   int-or-string or preserves unknown fields; an object at the root; `items` for arrays (a
 *   schema, not a list of them); no `$ref`; defaults of their field's type; every `pattern` a
 *   valid RE2 expression (the engine custom resources are matched with: customResourceTypeErrors);
 * - `x-kubernetes-embedded-resource` only on objects (with properties, or preserving unknown
 *   fields; no additionalProperties); `x-kubernetes-int-or-string` without the other two;
 *   `x-kubernetes-preserve-unknown-fields` true or absent; no additionalProperties at the root or
 *   beside properties (unless `true`);
 * - `x-kubernetes-map-type` (atomic or granular) only on objects; `x-kubernetes-list-type`
 *   (atomic, set or map) only on arrays; a set's items atomic; a map list with
 *   `x-kubernetes-list-map-keys`, distinct names of scalar properties of its object items, each
 *   required or defaulted and none nullable, and no nullable items in a set or a map list;
 * - no more than maxSchemaDepth levels (everynode's limit, see custom-resource.ts): a schema
 *   deeper than that is refused where it goes too deep, and not looked into.
 * Messages and field paths are upstream's (apiextensions validation.go and the structural
 * schema's validation.go, v1.32), and so is the order: the structural schema's errors sorted,
 * then the others as the schema is walked (properties in document order, where Go's map order
 * is random). Fields of the wrong JSON type never get here: decoding refuses them
 * (schema/json-schema-props.ts); what is left of the wrong type reads as absent.
 */
function schemaErrors(s: Obj, path: string, level: SchemaLevel, depth: number): FieldError[] {
  const found: SchemaFindings = { structural: [], openapi: [], defaults: [] };
  collectSchemaErrors(s, path, level, depth, found);
  // upstream's order: the structural schema's errors (sorted), then those of the OpenAPI
  // validation in the order it walks; defaults are checked only on a structural schema.
  const text = found.structural.map((e) => [fieldErrorString(e), e] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [...text.map(([, e]) => e), ...(found.structural.length === 0 ? found.defaults : []), ...found.openapi];
}

interface SchemaFindings {
  /** upstream's ValidateStructural (and everynode's depth limit). */
  structural: FieldError[];
  /** upstream's ValidateCustomResourceDefinitionOpenAPISchema. */
  openapi: FieldError[];
  /** Defaults of another type than their field. */
  defaults: FieldError[];
}

/** Whether a schema's anyOf is exactly `[{type: integer}, {type: string}]` (upstream's isIntOrStringAnyOfPattern). */
function intOrStringAnyOf(x: Obj): boolean {
  const any = arr(x.anyOf);
  return any.length === 2 && isObj(any[0]) && isObj(any[1]) && Object.keys(any[0]).join() === 'type' && Object.keys(any[1]).join() === 'type' && any[0].type === 'integer' && any[1].type === 'string';
}

/** `skipAnyOf`: the schema's anyOf is the int-or-string pattern exempted in a structural schema's first allOf. */
function collectSchemaErrors(s: Obj, path: string, level: SchemaLevel, depth: number, found: SchemaFindings, skipAnyOf = false): void {
  if (depth > maxSchemaDepth) return void found.structural.push(fe.forbidden(path, `must not be nested more than ${maxSchemaDepth} levels deep`));
  const { structural, openapi } = found;
  const type = s.type;
  const typeName = typeof type === 'string' ? type : '';
  if (given(type) && (typeof type !== 'string' || (type !== '' && !schemaTypes.includes(type)))) openapi.push(fe.notSupported(child(path, 'type'), type, schemaTypes));
  if (type === 'null') openapi.push(fe.forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if ('$ref' in s) openapi.push(fe.forbidden(child(path, '$ref'), '$ref is not supported'));
  // JSON-schema keywords custom resources are not checked with.
  if (typeof s.id === 'string' && s.id !== '') openapi.push(fe.forbidden(child(path, 'id'), 'id is not supported'));
  if (s.uniqueItems === true) openapi.push(fe.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (isObj(s.patternProperties) && Object.keys(s.patternProperties).length > 0) openapi.push(fe.forbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (isObj(s.definitions) && Object.keys(s.definitions).length > 0) openapi.push(fe.forbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (given(s.dependencies)) openapi.push(fe.forbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (given(s.additionalItems)) openapi.push(fe.forbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (Array.isArray(s.items)) openapi.push(fe.forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  else if (typeName === 'array' && !given(s.items)) structural.push(fe.required(child(path, 'items'), 'must be specified'));
  const props = s.properties;
  if (props !== undefined && !isObj(props)) openapi.push(fe.invalid(child(path, 'properties'), props, 'must be an object of schemas'));
  if (given(s.additionalProperties) && isObj(props) && Object.keys(props).length > 0 && s.additionalProperties !== true) {
    openapi.push(fe.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
  }
  // A default is what a custom resource gets without asking: it must be of the field's type.
  if (s.default !== undefined && s.default !== null && typeof type === 'string' && schemaTypes.includes(type)) {
    if (jsonTypeOf(s.default, type) !== type) found.defaults.push(fe.invalid(child(path, 'default'), jsonTypeOf(s.default, type), `must be of type ${type}: "${jsonTypeOf(s.default, type)}"`));
    // ... and a value its schema takes, with nothing it would prune (upstream's ValidateDefaults).
    else found.defaults.push(...defaultValueErrors(s.default, s, child(path, 'default')));
  }
  if (s.pattern !== undefined) {
    const problem = typeof s.pattern === 'string' ? re2Problem(s.pattern) : 'must be a string';
    if (problem !== undefined) structural.push(fe.invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: ${problem}`));
  }
  if (level !== 'value') structural.push(...structuralErrors(s, path, level));
  else structural.push(...nestedValueErrors(s, path));
  if (level === 'root') structural.push(...rootMetadataErrors(s, path));

  const fieldLevel: SchemaLevel = level === 'value' ? 'value' : 'field';
  if (isObj(s.additionalProperties)) collectSchemaErrors(s.additionalProperties, child(path, 'additionalProperties'), fieldLevel, depth + 1, found);
  for (const [k, p] of Object.entries(isObj(props) ? props : {})) {
    const at = `${path}.properties[${k}]`;
    if (!isObj(p)) openapi.push(fe.invalid(at, p, 'must be a schema object'));
    else collectSchemaErrors(p, at, fieldLevel, depth + 1, found);
  }
  if (isObj(s.not)) collectSchemaErrors(s.not, child(path, 'not'), 'value', depth + 1, found);
  // `anyOf: [{type: integer}, {type: string}]` (an int-or-string's, written out) is the one
  // place types may be named in a value validation: upstream's exemption skips it on a schema,
  // and inside the first allOf of a structural one.
  const firstAllOf = arr(s.allOf)[0];
  const skipFirstAllOfAnyOf = level !== 'value' && isObj(firstAllOf) && intOrStringAnyOf(firstAllOf);
  for (const k of ['allOf', 'oneOf', 'anyOf']) {
    arr(s[k]).forEach((x, i) => {
      if (!isObj(x)) return;
      if (k === 'anyOf' && (skipAnyOf || (level !== 'value' && intOrStringAnyOf(s)))) return;
      collectSchemaErrors(x, index(child(path, k), i), 'value', depth + 1, found, k === 'allOf' && i === 0 && skipFirstAllOfAnyOf);
    });
  }
  if (isObj(s.items)) collectSchemaErrors(s.items, child(path, 'items'), level === 'value' ? 'value' : 'item', depth + 1, found);
  if (s['x-kubernetes-preserve-unknown-fields'] === false) openapi.push(fe.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  openapi.push(...listAndMapTypeErrors(s, path));
}

/**
 * upstream's validateNestedValueValidation for a schema under allOf, anyOf, oneOf or not: a
 * value validation only, so nothing that types, describes or shapes the value.
 */
function nestedValueErrors(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof s.type === 'string' && s.type !== '') errs.push(fe.forbidden(child(path, 'type'), 'must be empty to be structural'));
  if (given(s.default)) errs.push(fe.forbidden(child(path, 'default'), 'must be undefined to be structural'));
  if (typeof s.title === 'string' && s.title !== '') errs.push(fe.forbidden(child(path, 'title'), 'must be empty to be structural'));
  if (typeof s.description === 'string' && s.description !== '') errs.push(fe.forbidden(child(path, 'description'), 'must be empty to be structural'));
  if (s.nullable === true) errs.push(fe.forbidden(child(path, 'nullable'), 'must be false to be structural'));
  if (s['x-kubernetes-preserve-unknown-fields'] === true) errs.push(fe.forbidden(child(path, 'x-kubernetes-preserve-unknown-fields'), 'must be false to be structural'));
  if (s['x-kubernetes-embedded-resource'] === true) errs.push(fe.forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must be false to be structural'));
  if (s['x-kubernetes-int-or-string'] === true) errs.push(fe.forbidden(child(path, 'x-kubernetes-int-or-string'), 'must be false to be structural'));
  if (arr(s['x-kubernetes-list-map-keys']).length > 0) errs.push(fe.forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must be empty to be structural'));
  if (given(s['x-kubernetes-list-type'])) errs.push(fe.forbidden(child(path, 'x-kubernetes-list-type'), 'must be undefined to be structural'));
  if (given(s['x-kubernetes-map-type'])) errs.push(fe.forbidden(child(path, 'x-kubernetes-map-type'), 'must be undefined to be structural'));
  return errs;
}

/**
 * upstream's rules for what the root says of the object's type meta: kind and apiVersion
 * strings, metadata an object naming at most name and generateName, and never in a value
 * validation of the root (metadata is the server's).
 */
function rootMetadataErrors(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const props = obj(s.properties) ?? {};
  const at = (k: string): string => `${path}.properties[${k}]`;
  for (const k of ['kind', 'apiVersion']) {
    const t = str(obj(props[k])?.type) ?? '';
    if (t !== '' && t !== 'string') errs.push(fe.invalid(child(at(k), 'type'), t, 'must be string'));
  }
  const metadata = obj(props.metadata);
  if (metadata) {
    const t = str(metadata.type) ?? '';
    if (t !== '' && t !== 'object') errs.push(fe.invalid(child(at('metadata'), 'type'), t, 'must be object'));
    // type, description and default aside, it may only say something of name and generateName.
    const { type: _t, description: _d, default: _df, properties, ...rest } = metadata;
    const named = obj(properties) ?? {};
    const onlyNames = Object.keys(named).every((k) => k === 'name' || k === 'generateName');
    if (Object.keys(rest).length > 0 || !onlyNames) errs.push(fe.forbidden(at('metadata'), 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    arr(s[k]).forEach((x, i) => {
      if (isObj(x) && isObj(x.properties) && 'metadata' in x.properties) errs.push(fe.forbidden(`${index(child(path, k), i)}.properties[metadata]`, 'must not be specified in a nested context'));
    });
  }
  if (isObj(s.not) && isObj(s.not.properties) && 'metadata' in s.not.properties) errs.push(fe.forbidden(`${child(path, 'not')}.properties[metadata]`, 'must not be specified in a nested context'));
  return errs;
}

/** The structural schema's rules for one schema at `level` (upstream's validateStructuralInvariants and validateExtensions). */
function structuralErrors(s: Obj, path: string, level: Exclude<SchemaLevel, 'value'>): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.type) ?? '';
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (embedded && type !== 'object') {
    const detail = 'must be object if x-kubernetes-embedded-resource is true';
    errs.push(type === '' ? fe.required(child(path, 'type'), detail) : fe.invalid(child(path, 'type'), type, detail));
  } else if (type === '' && !intOrString && !preserve) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    errs.push(fe.required(child(path, 'type'), `must not be empty ${where}`));
  }
  if (embedded && given(s.additionalProperties)) errs.push(fe.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  if (level === 'root' && given(s.additionalProperties)) errs.push(fe.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
  if (level === 'root' && type !== '' && type !== 'object') errs.push(fe.invalid(child(path, 'type'), type, 'must be object at the root'));
  if (embedded && !preserve && (!isObj(s.properties) || Object.keys(s.properties).length === 0)) {
    errs.push(fe.required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  if (intOrString && preserve) errs.push(fe.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) errs.push(fe.invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));
  return errs;
}

/**
 * `x-kubernetes-map-type`, `x-kubernetes-list-type` and `x-kubernetes-list-map-keys` of one
 * schema, as upstream's ValidateCustomResourceDefinitionOpenAPISchema and
 * validateMapListKeysMapSet check them for a new CRD (an update forgives what the stored CRD
 * already had: validateCRDUpdate).
 */
function listAndMapTypeErrors(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.type) ?? '';
  const mapType = s['x-kubernetes-map-type'];
  const listType = s['x-kubernetes-list-type'];
  const keys = arr(s['x-kubernetes-list-map-keys']);
  const items = s.items;
  const typeMismatch = (wanted: string, extension: string): FieldError => {
    const detail = `must be ${wanted} if ${extension} is specified`;
    return type === '' ? fe.required(child(path, 'type'), detail) : fe.invalid(child(path, 'type'), type, detail);
  };
  if (given(mapType) && type !== 'object') errs.push(typeMismatch('object', 'x-kubernetes-map-type'));
  if (given(mapType) && mapType !== 'atomic' && mapType !== 'granular') errs.push(fe.notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  if (given(listType) && type !== 'array') errs.push(typeMismatch('array', 'x-kubernetes-list-type'));
  else if (listType === 'set' && isObj(items)) {
    const atomicItems = 'must be atomic as item of a list with x-kubernetes-list-type=set';
    const itemListType = items['x-kubernetes-list-type'];
    const itemMapType = items['x-kubernetes-map-type'];
    if (items.type === 'array' && given(itemListType) && itemListType !== 'atomic') errs.push(fe.invalid(child(path, 'items', 'x-kubernetes-list-type'), itemListType, atomicItems));
    // upstream shows the items' list type here too (null for an object's).
    if (items.type === 'object' && itemMapType !== 'atomic') errs.push(fe.invalid(child(path, 'items', 'x-kubernetes-map-type'), itemListType ?? null, atomicItems));
  }
  if (given(listType) && listType !== 'atomic' && listType !== 'set' && listType !== 'map') errs.push(fe.notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  if (keys.length > 0) {
    const detail = 'must be map if x-kubernetes-list-map-keys is non-empty';
    if (!given(listType)) errs.push(fe.required(child(path, 'x-kubernetes-list-type'), detail));
    else if (listType !== 'map') errs.push(fe.invalid(child(path, 'x-kubernetes-list-type'), listType, detail));
  }
  if (listType === 'map') {
    if (keys.length === 0) errs.push(fe.required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (!given(items)) errs.push(fe.required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    else if (Array.isArray(items)) errs.push(fe.invalid(child(path, 'items'), items, 'must only have a single schema if x-kubernetes-list-type is map'));
    else if (isObj(items) && items.type !== 'object') errs.push(fe.invalid(child(path, 'items', 'type'), str(items.type) ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    else if (isObj(items)) {
      const props = obj(items.properties) ?? {};
      const seen = new Set<unknown>();
      for (const k of keys) {
        const prop = typeof k === 'string' && Object.prototype.hasOwnProperty.call(props, k) ? obj(props[k]) : undefined;
        if (!prop) errs.push(fe.invalid(child(path, 'x-kubernetes-list-map-keys'), keys, 'entries must all be names of item properties'));
        else if (prop.type === 'array' || prop.type === 'object') {
          // upstream shows the items' type (object) as the bad value.
          errs.push(fe.invalid(child(`${path}.items.properties[${String(k)}]`, 'type'), 'object', "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        }
        if (seen.has(k)) errs.push(fe.invalid(child(path, 'x-kubernetes-list-map-keys'), keys, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  // validateMapListKeysMapSet: the items of a set or a map list, and a map list's keys.
  if (isObj(items) && (listType === 'set' || listType === 'map')) {
    if (items.nullable === true) errs.push(fe.forbidden(child(path, 'items', 'nullable'), `cannot be nullable when x-kubernetes-list-type is ${listType}`));
    if (listType === 'map') {
      const required = new Set(arr(items.required));
      const props = obj(items.properties) ?? {};
      for (const k of keys) {
        const prop = typeof k === 'string' && Object.prototype.hasOwnProperty.call(props, k) ? obj(props[k]) : undefined;
        if (!prop) continue; // reported above
        if (!required.has(k) && !given(prop.default)) {
          errs.push(fe.required(child(`${path}.items.properties[${String(k)}]`, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
        }
        if (prop.nullable === true) errs.push(fe.forbidden(child(`${path}.items.properties[${String(k)}]`, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
      }
    }
  }
  return errs;
}

/**
 * An update is held to validateCRD, except for what the stored CRD already broke (the same
 * error at the same field): a CRD stored before a rule was enforced (by an older build) can
 * still be updated, its finalizer released and so deleted, as upstream ratchets the rules it
 * tightened (x-kubernetes-list-type=set items, map list keys, property types). A stored CRD
 * always passed the rules of its own time, so this forgives nothing else.
 */
export function validateCRDUpdate(crd: Obj, old: Obj): FieldError[] {
  const stored = new Set(validateCRD(old).map(fieldErrorString));
  const errs = [...validateObjectMetaUpdate(crd.metadata, old.metadata), ...validateCRD(crd).filter((e) => !stored.has(fieldErrorString(e)))];
  const spec = obj(crd.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  errs.push(...validateImmutableField(spec.group, oldSpec.group, 'spec.group'));
  errs.push(...validateImmutableField(spec.scope, oldSpec.scope, 'spec.scope'));
  // Objects may be stored in every version the CRD ever stored in: those stay in spec.versions.
  const names = new Set(arr(spec.versions).map((v) => str(obj(v)?.name)));
  arr(obj(crd.status)?.storedVersions).forEach((v, i) => {
    if (typeof v === 'string' && !names.has(v)) errs.push(fe.invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'));
  });
  return errs;
}
