// scheduling.k8s.io/v1 PriorityClass and coordination.k8s.io/v1 Lease
// (pkg/apis/scheduling/validation, pkg/apis/coordination/validation).

import { fe, forbidden, type ApiError, type FieldError } from '../errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { num, obj, str, validateImmutableField, type Obj } from './util.js';

export const highestUserDefinablePriority = 1000000000;
export const systemPriorityClassPrefix = 'system-';
/** The system PriorityClasses by name (a Map: a name like "constructor" is no entry). */
export const systemPriorityClasses: ReadonlyMap<string, number> = new Map([
  ['system-cluster-critical', 2000000000],
  ['system-node-critical', 2000001000],
]);

/** 403 for deleting a system PriorityClass (upstream's priorityclass REST); undefined for any other name. */
export function systemPriorityClassDeletion(name: string): ApiError | undefined {
  if (!systemPriorityClasses.has(name)) return undefined;
  return forbidden(`priorityclasses.scheduling.k8s.io "${name}" is forbidden: this is a system priority class and cannot be deleted`, { group: 'scheduling.k8s.io', resource: 'priorityclasses', kind: 'PriorityClass' }, name);
}

export function setPriorityClassDefaults(pc: Obj): void {
  if (pc.preemptionPolicy === undefined || pc.preemptionPolicy === null) pc.preemptionPolicy = 'PreemptLowerPriority';
}

function knownSystemClassError(name: string, value: number, globalDefault: boolean): string | undefined {
  const want = systemPriorityClasses.get(name);
  if (want === undefined) return `${name} is not a known system priority class`;
  if (value !== want) return `value of ${name} PriorityClass must be ${want}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(pc: Obj): FieldError[] {
  const errs = validateObjectMeta(pc.metadata, false, nameIsDNSSubdomain);
  const name = str(obj(pc.metadata)?.name) ?? '';
  const value = num(pc.value) ?? 0;
  if (name.startsWith(systemPriorityClassPrefix)) {
    const e = knownSystemClassError(name, value, pc.globalDefault === true);
    if (e) errs.push(fe.forbidden('metadata.name', `priority class names with '${systemPriorityClassPrefix}' prefix are reserved for system use only. error: ${e}`));
  } else if (value > highestUserDefinablePriority) {
    errs.push(fe.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
  }
  const pp = pc.preemptionPolicy;
  if (pp !== undefined && pp !== null) {
    if (pp === '') errs.push(fe.required('preemptionPolicy'));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fe.notSupported('preemptionPolicy', pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}

export function validatePriorityClassUpdate(pc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pc.metadata, old.metadata);
  if ((num(pc.value) ?? 0) !== (num(old.value) ?? 0)) errs.push(fe.forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutableField(pc.preemptionPolicy ?? null, old.preemptionPolicy ?? null, 'preemptionPolicy'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Lease

/**
 * spec.strategy and spec.preferredHolder belong to coordinated leader election, off in
 * Kubernetes 1.32 (an alpha feature gate): a create drops them, an update keeps each only when
 * the stored Lease has it (upstream's lease strategy with the gate off).
 */
export function prepareLeaseForCreate(lease: Obj): void {
  const spec = obj(lease.spec);
  if (!spec) return;
  delete spec.strategy;
  delete spec.preferredHolder;
}

export function prepareLeaseForUpdate(lease: Obj, old: Obj): void {
  const spec = obj(lease.spec);
  const oldSpec = obj(old.spec) ?? {};
  if (!spec) return;
  if (oldSpec.strategy === undefined || oldSpec.strategy === null) delete spec.strategy;
  if (oldSpec.preferredHolder === undefined || oldSpec.preferredHolder === null) delete spec.preferredHolder;
}

export function validateLease(lease: Obj): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain);
  const spec = obj(lease.spec) ?? {};
  const ld = num(spec.leaseDurationSeconds);
  if (ld !== undefined && ld <= 0) errs.push(fe.invalid('spec.leaseDurationSeconds', ld, 'must be greater than 0'));
  const lt = num(spec.leaseTransitions);
  if (lt !== undefined && lt < 0) errs.push(fe.invalid('spec.leaseTransitions', lt, 'must be greater than or equal to 0'));
  const strategy = spec.strategy;
  if (strategy !== undefined && strategy !== null && strategy !== 'OldestEmulationVersion') {
    errs.push(fe.notSupported('spec.strategy', strategy, ['OldestEmulationVersion']));
  }
  if (spec.preferredHolder !== undefined && spec.preferredHolder !== null && spec.preferredHolder !== '' && (strategy === undefined || strategy === null)) {
    errs.push(fe.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export function validateLeaseUpdate(lease: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(lease.metadata, old.metadata), ...validateLease(lease)];
}
