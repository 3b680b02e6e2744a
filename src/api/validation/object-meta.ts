// ObjectMeta, labels, annotations and label selectors (apimachinery pkg/api/validation and
// pkg/apis/meta/v1/validation semantics and messages).

import { fe, type FieldError } from '../errors.js';
import type { LabelSelector } from '../types.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, regexError, type NameValidator } from './names.js';
import { arr, child, index, invalidEach, isObj, num, obj, str, validateImmutableField, validateNonnegativeField, type Obj } from './util.js';

export const totalAnnotationSizeLimitB = 256 * 1024;

/** Label keys must be qualified names; errors carry the whole `labels` path (upstream quirk). */
export function validateLabelName(name: string, path: string): FieldError[] {
  return invalidEach(path, name, isQualifiedName(name));
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(labels)) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    const value = typeof v === 'string' ? v : String(v);
    errs.push(...invalidEach(path, value, isValidLabelValue(value)));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(annotations)) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    errs.push(...invalidEach(path, k, isQualifiedName(k.toLowerCase())));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > totalAnnotationSizeLimitB) errs.push(fe.tooLong(path, totalAnnotationSizeLimitB));
  return errs;
}

export function validateLabelSelectorRequirement(req: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(req) ?? {};
  const values = arr(r.values);
  const op = r.operator;
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fe.required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fe.forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(fe.invalid(child(path, 'operator'), op ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(r.key) ?? '', child(path, 'key')));
  values.forEach((v, i) => {
    const s = typeof v === 'string' ? v : String(v);
    errs.push(...invalidEach(index(child(path, 'values'), i), s, isValidLabelValue(s)));
  });
  return errs;
}

/** metav1 ValidateLabelSelector; a nil selector is valid syntax. */
export function validateLabelSelector(selector: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj(selector);
  if (!s) return errs;
  errs.push(...validateLabels(s.matchLabels, child(path, 'matchLabels')));
  arr(s.matchExpressions).forEach((e, i) => errs.push(...validateLabelSelectorRequirement(e, index(child(path, 'matchExpressions'), i))));
  return errs;
}

/**
 * LabelSelectorAsSelector(selector).Matches(labels). A nil selector matches nothing; an empty
 * one matches everything. Returns undefined when the selector does not parse.
 */
export function labelSelectorMatches(selector: LabelSelector | undefined | null, labels: Record<string, string>): boolean | undefined {
  if (selector === undefined || selector === null) return false;
  if (!isObj(selector)) return undefined;
  const sel: LabelSelector = selector as LabelSelector;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (vals.length === 0) return undefined;
        if (!has || !vals.includes(labels[e.key] ?? '')) return false;
        break;
      case 'NotIn':
        if (vals.length === 0) return undefined;
        if (has && vals.includes(labels[e.key] ?? '')) return false;
        break;
      case 'Exists':
        if (vals.length > 0) return undefined;
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (vals.length > 0) return undefined;
        if (has) return false;
        break;
      default:
        return undefined;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(refs);
  let firstController = '';
  for (const r of list) {
    const ref = obj(r) ?? {};
    const apiVersion = str(ref.apiVersion) ?? '';
    const kind = str(ref.kind) ?? '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (version.length === 0) errs.push(fe.invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (kind.length === 0) errs.push(fe.invalid(child(path, 'kind'), kind, 'kind must not be empty'));
    if ((str(ref.name) ?? '').length === 0) errs.push(fe.invalid(child(path, 'name'), str(ref.name) ?? '', 'name must not be empty'));
    if ((str(ref.uid) ?? '').length === 0) errs.push(fe.invalid(child(path, 'uid'), str(ref.uid) ?? '', 'uid must not be empty'));
    if (group === '' && version === 'v1' && kind === 'Event') errs.push(fe.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const cur = `${kind}/${str(ref.name) ?? ''}`;
      if (firstController !== '') {
        errs.push(fe.invalid(path, list, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers).map((f) => (typeof f === 'string' ? f : String(f)));
  for (const f of list) errs.push(...invalidEach(path, f, isQualifiedName(f)));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(fe.invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * apimachinery ValidateObjectMeta. Expects name generation to have happened already (a
 * generateName-only object is reported as missing its name). `requiresNamespace` is true for
 * namespaced kinds; cluster-scoped kinds must not carry a namespace.
 */
export function validateObjectMeta(meta: unknown, requiresNamespace: boolean, nameFn: NameValidator, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m: Obj = obj(meta) ?? {};
  const generateName = str(m.generateName) ?? '';
  const name = str(m.name) ?? '';
  const namespace = str(m.namespace) ?? '';
  if (generateName.length !== 0) errs.push(...invalidEach(child(path, 'generateName'), generateName, nameFn(generateName, true)));
  if (name.length === 0) errs.push(fe.required(child(path, 'name'), 'name or generateName is required'));
  else errs.push(...invalidEach(child(path, 'name'), name, nameFn(name, false)));
  if (requiresNamespace) {
    if (namespace.length === 0) errs.push(fe.required(child(path, 'namespace')));
    else errs.push(...invalidEach(child(path, 'namespace'), namespace, isDNS1123Label(namespace)));
  } else if (namespace.length !== 0) {
    errs.push(fe.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(num(m.generation), child(path, 'generation')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

/**
 * apimachinery ValidateObjectMetaUpdate, minus two checks the registry makes itself for every
 * kind: the resourceVersion presence check (the registry fills resourceVersion for
 * unconditional updates before validating, and enforces optimistic concurrency), and
 * ValidateNoNewFinalizers on an object being deleted (src/apiserver/strategy.ts
 * validateFinalizersUpdate, also for kinds whose validation never reaches this function).
 */
export function validateObjectMetaUpdate(meta: unknown, oldMeta: unknown, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m: Obj = obj(meta) ?? {};
  const o: Obj = obj(oldMeta) ?? {};
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  const gen = num(m.generation) ?? 0;
  const oldGen = num(o.generation) ?? 0;
  if (gen < oldGen) errs.push(fe.invalid(child(path, 'generation'), gen, 'must not be decremented'));
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    const nv = m[f] === null ? undefined : m[f];
    const ov = o[f] === null ? undefined : o[f];
    if (f === 'deletionTimestamp' || f === 'deletionGracePeriodSeconds') {
      // Set by the registry during graceful deletion; only a client may not change them.
      if (ov === undefined) continue;
    }
    errs.push(...validateImmutableField(nv ?? '', ov ?? '', child(path, f)));
  }
  return errs;
}

export function labelsOf(meta: unknown): Record<string, string> {
  const l = obj(obj(meta)?.labels);
  const out: Record<string, string> = {};
  if (l) for (const [k, v] of Object.entries(l)) out[k] = String(v);
  return out;
}


const conditionReasonFmt = '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?';
const conditionReasonRe = new RegExp(`^${conditionReasonFmt}$`);
const conditionReasonErrMsg =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'";
const maxConditionReasonBytes = 1024;
const maxConditionMessageBytes = 32 * 1024;

/**
 * apimachinery's metav1 ValidateConditions: each condition a qualified-name type (no two the
 * same), status True, False or Unknown, a non-negative observedGeneration, a lastTransitionTime
 * (not Go's zero time), a reason in CamelCase-ish form of at most 1024 bytes, a message of at
 * most 32 KiB.
 */
export function validateConditions(conditions: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(conditions).forEach((cv, i) => {
    const at = index(path, i);
    const c = obj(cv) ?? {};
    const type = str(c.type) ?? '';
    if (seen.has(type)) errs.push(fe.duplicate(child(at, 'type'), type));
    seen.add(type);
    errs.push(...invalidEach(child(at, 'type'), type, isQualifiedName(type)));
    const status = str(c.status) ?? '';
    if (!['True', 'False', 'Unknown'].includes(status)) errs.push(fe.notSupported(child(at, 'status'), status, ['False', 'True', 'Unknown']));
    const generation = num(c.observedGeneration) ?? 0;
    if (generation < 0) errs.push(fe.invalid(child(at, 'observedGeneration'), generation, 'must be greater than or equal to zero'));
    const time = str(c.lastTransitionTime) ?? '';
    if (time === '' || time.startsWith('0001-01-01T00:00:00')) errs.push(fe.required(child(at, 'lastTransitionTime'), 'must be set'));
    const reason = str(c.reason) ?? '';
    if (reason === '') errs.push(fe.required(child(at, 'reason'), 'must be set'));
    else {
      if (!conditionReasonRe.test(reason)) errs.push(fe.invalid(child(at, 'reason'), reason, regexError(conditionReasonErrMsg, conditionReasonFmt, 'my_name', 'MY_NAME', 'MyName', 'ReasonA,ReasonB', 'ReasonA:ReasonB')));
      if (Buffer.byteLength(reason) > maxConditionReasonBytes) errs.push(fe.tooLong(child(at, 'reason'), maxConditionReasonBytes));
    }
    if (Buffer.byteLength(str(c.message) ?? '') > maxConditionMessageBytes) errs.push(fe.tooLong(child(at, 'message'), maxConditionMessageBytes));
  });
  return errs;
}
