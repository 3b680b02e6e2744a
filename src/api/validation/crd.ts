// apiextensions.k8s.io/v1 CustomResourceDefinition: defaults, validation and the status the
// server sets (upstream's apiextensions-apiserver validation and its naming and establishing
// controllers, restated). The custom resources are served by src/apiserver/custom-resources.ts.

import { fe, type FieldError } from '../errors.js';
import { builtinKinds } from '../kinds.js';
import { isDNS1035Label, isDNS1123Subdomain, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
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
}

function storageVersion(crd: Obj): string | undefined {
  const v = arr(obj(crd.spec)?.versions).find((x) => isObj(x) && x.storage === true);
  return isObj(v) ? str(v.name) : undefined;
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A new CRD's status: names accepted and established at once (no conflicts to wait for); and
 * the cleanup finalizer, so deleting it deletes its custom resources first.
 */
export function prepareCRDForCreate(crd: Obj): void {
  const meta = ensureObj(crd, 'metadata');
  const finalizers = arr(meta.finalizers).filter((f): f is string => typeof f === 'string');
  if (!finalizers.includes(crdCleanupFinalizer)) meta.finalizers = [...finalizers, crdCleanupFinalizer];
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
  else if (isDNS1123Subdomain(group).length > 0 || !group.includes('.')) errs.push(fe.invalid('spec.group', group, 'should be a domain with at least one dot'));
  else if (reservedGroups.has(group)) errs.push(fe.forbidden('spec.group', `group "${group}" is served by the API server itself`));
  if (protectedGroup(group) && !str(obj(meta.annotations)?.[APPROVAL])) {
    errs.push(fe.required(`metadata.annotations[${APPROVAL}]`, `protected groups must have approval annotation "${APPROVAL}"`));
  }
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(fe.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  if (plural === '') errs.push(fe.required('spec.names.plural'));
  else if (isDNS1035Label(plural).length > 0) errs.push(fe.invalid('spec.names.plural', plural, 'a lowercase RFC 1035 label'));
  const singular = str(names.singular);
  if (singular !== undefined && isDNS1035Label(singular).length > 0) errs.push(fe.invalid('spec.names.singular', singular, 'a lowercase RFC 1035 label'));
  const kind = str(names.kind) ?? '';
  if (kind === '') errs.push(fe.required('spec.names.kind'));
  else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) errs.push(fe.invalid('spec.names.kind', kind, 'may have only alphanumeric characters and must start with a letter'));
  arr(names.shortNames).forEach((s, i) => {
    if (typeof s !== 'string' || isDNS1035Label(s).length > 0) errs.push(fe.invalid(index('spec.names.shortNames', i), s, 'a lowercase RFC 1035 label'));
  });
  if (spec.preserveUnknownFields === true) errs.push(fe.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));

  const versions = arr(spec.versions);
  if (versions.length === 0) errs.push(fe.required('spec.versions', 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((vv, i) => {
    const path = index('spec.versions', i);
    const v = obj(vv) ?? {};
    const name = str(v.name) ?? '';
    if (name === '' || isDNS1035Label(name).length > 0) errs.push(fe.invalid(child(path, 'name'), name, 'a DNS-1035 label'));
    else if (seen.has(name)) errs.push(fe.duplicate(child(path, 'name'), name));
    seen.add(name);
    if (v.storage === true) storage++;
    const schema = obj(v.schema)?.openAPIV3Schema;
    if (!isObj(schema)) errs.push(fe.required(child(path, 'schema', 'openAPIV3Schema'), 'schemas are required'));
    else errs.push(...schemaErrors(schema, child(path, 'schema', 'openAPIV3Schema'), true));
    errs.push(...scaleErrors(obj(v.subresources)?.scale, child(path, 'subresources')));
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
 * The structural-schema rules of upstream's CRD validation that keep custom resources checkable:
 * an object at the root, a supported `type` everywhere and one on every property (unless it is
 * int-or-string or preserves unknown fields), `items` for arrays, no `$ref`, and every `pattern`
 * a valid RE2 expression (the engine the custom resources' patterns are matched with, in linear
 * time: customResourceTypeErrors).
 */
function schemaErrors(s: Obj, path: string, root: boolean, depth = 0): FieldError[] {
  const errs: FieldError[] = [];
  if (depth > 64) return errs;
  if ('$ref' in s) errs.push(fe.forbidden(child(path, '$ref'), '$ref is not supported'));
  const type = s.type;
  if (type !== undefined && (typeof type !== 'string' || !schemaTypes.includes(type))) errs.push(fe.notSupported(child(path, 'type'), type, schemaTypes));
  else if (root && type !== 'object') errs.push(fe.invalid(child(path, 'type'), type ?? '', 'must be object at the root'));
  if (type === 'array' && !isObj(s.items)) errs.push(fe.required(child(path, 'items'), 'must be specified'));
  // A default is what a custom resource gets without asking: it must be of the field's type.
  if (s.default !== undefined && s.default !== null && typeof type === 'string' && schemaTypes.includes(type) && jsonTypeOf(s.default, type) !== type) {
    errs.push(fe.invalid(child(path, 'default'), jsonTypeOf(s.default, type), `must be of type ${type}: "${jsonTypeOf(s.default, type)}"`));
  }
  if (s.pattern !== undefined) {
    const problem = typeof s.pattern === 'string' ? re2Problem(s.pattern) : 'must be a string';
    if (problem !== undefined) errs.push(fe.invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: ${problem}`));
  }
  const props = s.properties;
  if (props !== undefined && !isObj(props)) errs.push(fe.invalid(child(path, 'properties'), props, 'must be an object of schemas'));
  for (const [k, p] of Object.entries(isObj(props) ? props : {})) {
    const at = `${path}.properties[${k}]`;
    if (!isObj(p)) {
      errs.push(fe.invalid(at, p, 'must be a schema object'));
      continue;
    }
    const untyped = p['x-kubernetes-int-or-string'] === true || p['x-kubernetes-preserve-unknown-fields'] === true;
    if ((p.type === undefined || p.type === '') && !untyped) errs.push(fe.required(child(at, 'type'), 'must not be empty for specified object fields'));
    errs.push(...schemaErrors(p, at, false, depth + 1));
  }
  if (isObj(s.items)) errs.push(...schemaErrors(s.items, child(path, 'items'), false, depth + 1));
  if (isObj(s.additionalProperties)) errs.push(...schemaErrors(s.additionalProperties, child(path, 'additionalProperties'), false, depth + 1));
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    arr(s[k]).forEach((x, i) => {
      if (isObj(x)) errs.push(...schemaErrors(x, index(child(path, k), i), false, depth + 1));
    });
  }
  if (isObj(s.not)) errs.push(...schemaErrors(s.not, child(path, 'not'), false, depth + 1));
  return errs;
}

export function validateCRDUpdate(crd: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(crd.metadata, old.metadata), ...validateCRD(crd)];
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
