// v1 ResourceQuota: upstream's ValidateResourceQuota, ValidateResourceQuotaUpdate and
// ValidateResourceQuotaStatusUpdate. What a quota does to creates is admission's
// (apiserver/resource-quota.ts); its status is the resource quota controller's.
//
// Contract:
// - spec.hard: every name is a qualified name; a name without a `/` is a standard resource and a
//   standard quota resource (cpu, memory, ephemeral-storage, requests.*/limits.* of those,
//   requests.storage, object counts, services.nodeports/loadbalancers, hugepages); a value is a
//   quantity of at least 0, a whole number for object counts and bare extended resources.
// - spec.scopes: known scopes; each applies to every standard resource limited (BestEffort
//   only to `pods`, the others to pods, cpu and memory); not both of BestEffort/NotBestEffort
//   or Terminating/NotTerminating. spec.scopeSelector: the same per expression, `Exists` for
//   the scopes without values, values for In/NotIn and none for Exists/DoesNotExist.
// - status.hard and status.used: names and values as spec.hard. Updates may not change the set
//   of scopes.
// - Resources are checked in name order. (An error repeated word for word is named once in the
//   422's message, as everywhere: errors.ts.) Composite bad values (scopes, a selector) are shown as JSON, as everywhere (errors.ts
//   renderValue); resource names bare, as a typed name prints.

import { fe, type FieldError } from '../errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { isExtendedResourceName, shownResourceName, validateResourceName } from './pod-spec.js';
import { formatQuantity, parseQuantity, quantityParseError, scaledValue } from './quantity.js';
import { arr, child, key, obj, str, type Obj } from './util.js';

const standardScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);
/** Scopes that only say whether a pod is of a kind, so only `Exists` makes sense. */
const existsOnlyScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'CrossNamespacePodAffinity']);
const conflictingScopes: Array<[string, string]> = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers',
  'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers',
]);
const integerResources = new Set([
  'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);
const podComputeAndCount = new Set(['pods', 'cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
}

function scopeValidForResource(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return resource === 'pods';
  if (standardScopes.has(scope)) return podComputeAndCount.has(resource);
  return true;
}

/** ValidateResourceQuotaResourceName then ValidateResourceQuantityValue, for one entry of a resource list. */
function validateQuotaEntry(name: string, raw: unknown, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/') && !isStandardQuotaResourceName(name)) errs.push(fe.invalid(path, shownResourceName(name), 'must be a standard resource for quota'));
  const q = parseQuantity(raw);
  if (!q) {
    errs.push(fe.invalid(path, raw, quantityParseError));
    return errs;
  }
  if (q.mantissa < 0n) errs.push(fe.invalid(path, formatQuantity(q), 'must be greater than or equal to 0'));
  if ((integerResources.has(name) || isExtendedResourceName(name)) && scaledValue(q, 3) % 1000n !== 0n) {
    errs.push(fe.invalid(path, formatQuantity(q), 'must be an integer'));
  }
  return errs;
}

function validateResourceListEntries(m: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const entries = Object.entries(obj(m) ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, raw] of entries) errs.push(...validateQuotaEntry(name, raw, key(path, name)));
  return errs;
}

function validateScopes(spec: Obj, hardNames: string[]): FieldError[] {
  const scopes = arr(spec.scopes).map((s) => String(s));
  if (scopes.length === 0) return [];
  const errs: FieldError[] = [];
  const shown = arr(spec.scopes);
  for (const scope of scopes) {
    if (!standardScopes.has(scope)) errs.push(fe.invalid('spec.scopes', shown, 'unsupported scope'));
    for (const k of hardNames) {
      if (isStandardQuotaResourceName(k) && !scopeValidForResource(scope, k)) errs.push(fe.invalid('spec.scopes', shown, 'unsupported scope applied to resource'));
    }
  }
  for (const [a, b] of conflictingScopes) if (scopes.includes(a) && scopes.includes(b)) errs.push(fe.invalid('spec.scopes', shown, 'conflicting scopes'));
  return errs;
}

function validateScopeSelector(spec: Obj, hardNames: string[]): FieldError[] {
  const sel = obj(spec.scopeSelector);
  if (!sel) return [];
  const errs: FieldError[] = [];
  const path = 'spec.scopeSelector.matchExpressions';
  const seen = new Set<string>();
  for (const x of arr(sel.matchExpressions)) {
    const r = obj(x) ?? {};
    const scope = str(r.scopeName) ?? '';
    const operator = str(r.operator) ?? '';
    const values = arr(r.values);
    if (!standardScopes.has(scope)) errs.push(fe.invalid(child(path, 'scopeName'), scope, 'unsupported scope'));
    for (const k of hardNames) {
      if (isStandardQuotaResourceName(k) && !scopeValidForResource(scope, k)) errs.push(fe.invalid(path, sel, 'unsupported scope applied to resource'));
    }
    if (existsOnlyScopes.has(scope) && operator !== 'Exists') {
      errs.push(
        fe.invalid(
          child(path, 'operator'),
          operator,
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) errs.push(fe.required(child(path, 'values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(fe.invalid(child(path, 'values'), values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else {
      errs.push(fe.invalid(child(path, 'operator'), operator, 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  for (const [a, b] of conflictingScopes) {
    if (seen.has(a) && seen.has(b)) errs.push(fe.invalid(path, arr(spec.scopes), 'conflicting scopes'));
  }
  return errs;
}

function validateSpec(rq: Obj): FieldError[] {
  const spec = obj(rq.spec) ?? {};
  const hardNames = Object.keys(obj(spec.hard) ?? {}).sort();
  return [...validateResourceListEntries(spec.hard, 'spec.hard'), ...validateScopes(spec, hardNames), ...validateScopeSelector(spec, hardNames)];
}

function validateStatus(rq: Obj): FieldError[] {
  const status = obj(rq.status) ?? {};
  return [...validateResourceListEntries(status.hard, 'status.hard'), ...validateResourceListEntries(status.used, 'status.used')];
}

export function validateResourceQuota(rq: Obj): FieldError[] {
  return [...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain), ...validateSpec(rq), ...validateStatus(rq)];
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(rq.metadata, old.metadata), ...validateSpec(rq)];
  const scopes = new Set(arr(obj(rq.spec)?.scopes).map(String));
  const oldScopes = new Set(arr(obj(old.spec)?.scopes).map(String));
  if (scopes.size !== oldScopes.size || [...scopes].some((s) => !oldScopes.has(s))) {
    errs.push(fe.invalid('spec.scopes', arr(obj(rq.spec)?.scopes), 'field is immutable'));
  }
  return errs;
}

export function validateResourceQuotaStatusUpdate(rq: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(rq.metadata, old.metadata), ...validateStatus(rq)];
}
