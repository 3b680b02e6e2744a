// apps/v1 DaemonSet and ControllerRevision: defaults, validation, update and status rules
// (kube-semantics.md §2.1, §3; pkg/apis/apps/validation, pkg/registry/apps/daemonset).

import { fe, type FieldError } from '../errors.js';
import type { LabelSelector } from '../types.js';
import { setPodTemplateDefaults } from './defaults-pod.js';
import { isValidPercent, nameIsDNSSubdomain } from './names.js';
import { labelSelectorMatches, labelsOf, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { validatePodTemplateSpec } from './pod-spec.js';
import { child, clone, ensureObj, isObj, num, obj, str, validateImmutableField, validateImmutableSelector, validateNonnegativeField, type Obj } from './util.js';

export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

/**
 * SetDefaults_DaemonSet plus everynode decision 2: an absent `spec.selector` becomes
 * `{matchLabels: <template labels>}` (only when the template has labels, so a template
 * without labels still fails the selector/template match check). On updates too: the
 * manifest a DaemonSet was created from, without a selector, can be replaced with itself
 * (`kubectl replace -f`); a template whose labels changed then fails as an immutable
 * selector change, as it would with the selector written out.
 */
export function setDaemonSetDefaults(ds: Obj): void {
  const spec = ensureObj(ds, 'spec');
  const template = ensureObj(spec, 'template');
  if (spec.selector === undefined || spec.selector === null) {
    const labels = obj(obj(template.metadata)?.labels);
    if (labels && Object.keys(labels).length > 0) spec.selector = { matchLabels: clone(labels) };
  }
  const strategy = ensureObj(spec, 'updateStrategy');
  if (!str(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  setPodTemplateDefaults(template);
}

/** Value of an int-or-percent for the "is it zero" test ("0" and "0%" count as zero). */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number.parseInt(v.endsWith('%') ? v.slice(0, -1) : v, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => fe.invalid(path, v, m));
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  return [fe.invalid(path, v ?? null, "must be an integer or percentage (e.g '5%')")];
}

export function isNotMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v !== 'string' || !/^[0-9]+%$/.test(v)) return [];
  return Number.parseInt(v, 10) > 100 ? [fe.invalid(path, v, 'must not be greater than 100%')] : [];
}

export function validateDaemonSetUpdateStrategy(strategyv: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const strategy = obj(strategyv) ?? {};
  switch (strategy.type) {
    case 'OnDelete':
      return errs;
    case 'RollingUpdate': {
      const ru = obj(strategy.rollingUpdate);
      const ruPath = child(path, 'rollingUpdate');
      if (!ru) return [fe.required(ruPath)];
      const mu = ru.maxUnavailable ?? 0;
      const ms = ru.maxSurge ?? 0;
      errs.push(...validatePositiveIntOrPercent(mu, child(ruPath, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ms, child(ruPath, 'maxSurge')));
      errs.push(...isNotMoreThan100Percent(mu, child(ruPath, 'maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ms, child(ruPath, 'maxSurge')));
      const hasUnavailable = intOrPercentValue(mu) !== 0;
      const hasSurge = intOrPercentValue(ms) !== 0;
      if (hasUnavailable && hasSurge) errs.push(fe.invalid(child(ruPath, 'maxSurge'), ms, 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(fe.required(child(ruPath, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [fe.notSupported(path, strategyv ?? null, ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSetSpec(specv: unknown, meta: Obj, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(specv) ?? {};
  const template = obj(spec.template) ?? {};
  const templateLabels = labelsOf(template.metadata);
  errs.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
  const sel = isObj(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  const matches = labelSelectorMatches(sel, templateLabels);
  if (matches === false) {
    errs.push(fe.invalid(child(path, 'template', 'metadata', 'labels'), templateLabels, '`selector` does not match template `labels`'));
  }
  if (sel && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(fe.invalid(child(path, 'selector'), sel, 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(template, child(path, 'template')));
  const tspec = obj(template.spec) ?? {};
  if (tspec.restartPolicy !== 'Always') errs.push(fe.notSupported(child(path, 'template', 'spec', 'restartPolicy'), tspec.restartPolicy ?? '', ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(fe.forbidden(child(path, 'template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds) ?? 0, child(path, 'minReadySeconds')));
  const tg = Number(obj(meta.annotations)?.[templateGenerationAnnotation]);
  if (Number.isInteger(tg)) errs.push(...validateNonnegativeField(tg, child(path, 'templateGeneration')));
  errs.push(...validateDaemonSetUpdateStrategy(spec.updateStrategy, child(path, 'updateStrategy')));
  const rhl = num(spec.revisionHistoryLimit);
  if (rhl !== undefined) errs.push(...validateNonnegativeField(rhl, child(path, 'revisionHistoryLimit')));
  return errs;
}

/**
 * The metadata as upstream validates it: apps/v1's conversion takes the template generation
 * annotation (which everynode keeps up to date) out into a field first, so it never counts
 * against the 256 KiB of annotations a user may write.
 */
function userMetadata(meta: unknown): Obj {
  const m = obj(meta) ?? {};
  const annotations = obj(m.annotations);
  if (!annotations || !(templateGenerationAnnotation in annotations)) return m;
  const { [templateGenerationAnnotation]: _generation, ...rest } = annotations;
  return { ...m, annotations: rest };
}

export function validateDaemonSet(ds: Obj): FieldError[] {
  const meta = obj(ds.metadata) ?? {};
  return [...validateObjectMeta(userMetadata(meta), true, nameIsDNSSubdomain), ...validateDaemonSetSpec(ds.spec, meta)];
}

export function validateDaemonSetUpdate(ds: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(userMetadata(ds.metadata), userMetadata(old.metadata));
  const spec = obj(ds.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const tg = Number(obj(obj(ds.metadata)?.annotations)?.[templateGenerationAnnotation]);
  const oldTg = Number(obj(obj(old.metadata)?.annotations)?.[templateGenerationAnnotation]);
  if (Number.isInteger(tg) && Number.isInteger(oldTg) && tg < oldTg) errs.push(fe.invalid('spec.templateGeneration', tg, 'must not be decremented'));
  errs.push(...validateDaemonSetSpec(spec, obj(ds.metadata) ?? {}));
  errs.push(...validateImmutableSelector(spec.selector ?? null, oldSpec.selector ?? null, 'spec.selector'));
  return errs;
}

const statusCounters = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'collisionCount',
];

export function validateDaemonSetStatusUpdate(ds: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  const status = obj(ds.status) ?? {};
  for (const f of statusCounters) errs.push(...validateNonnegativeField(num(status[f]), child('status', f)));
  const cc = num(status.collisionCount);
  const oldCc = num(obj(old.status)?.collisionCount);
  if (oldCc !== undefined && (cc === undefined || cc < oldCc)) errs.push(fe.invalid('status.collisionCount', cc ?? 0, 'cannot be decremented'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// ControllerRevision

export function validateControllerRevision(cr: Obj): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null) errs.push(fe.required('data', 'data is mandatory'));
  errs.push(...validateNonnegativeField(num(cr.revision) ?? 0, 'revision'));
  return errs;
}

export function validateControllerRevisionUpdate(cr: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cr.metadata, old.metadata),
    ...validateControllerRevision(cr),
    ...validateImmutableField(cr.data ?? null, old.data ?? null, 'data'),
  ];
}
