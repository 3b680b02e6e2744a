// v1 LimitRange: upstream's SetDefaults_LimitRangeItem and ValidateLimitRange. What a range
// does to pods is admission's (apiserver/limit-ranger.ts).
//
// Contract: a Container item's default limits fall back to its max, its default requests to
// its default limits, then to its min. Every item has a standard type (Pod, Container,
// PersistentVolumeClaim) or a qualified one, no type twice; resource names are container
// resources for Pod and Container items; a Pod item has no defaults, a PersistentVolumeClaim
// item bounds storage; for each resource min <= defaultRequest <= default <= max, and a
// maxLimitRequestRatio is at least 1 and at most max/min. Resources are checked in name order
// (upstream walks Go maps, in no fixed order).

import { fe, type FieldError } from '../errors.js';
import { isQualifiedName, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta } from './object-meta.js';
import { isOvercommitAllowed, validateContainerResourceName, validateResourceName } from './pod-spec.js';
import { compareQuantity, formatQuantity, milliValue, parseQuantity, quantityParseError, type Quantity } from './quantity.js';
import { arr, child, index, invalidEach, isObj, key, obj, str, type Obj } from './util.js';

const standardLimitTypes = ['Pod', 'Container', 'PersistentVolumeClaim'];

/** A map with its keys sorted, as Go encodes maps. */
const sortedMap = (m: Obj): Obj => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

export function setLimitRangeDefaults(lr: Obj): void {
  for (const item of arr(obj(lr.spec)?.limits)) {
    if (!isObj(item) || item.type !== 'Container') continue;
    const defaults: Obj = { ...(obj(item.default) ?? {}) };
    const requests: Obj = { ...(obj(item.defaultRequest) ?? {}) };
    for (const [k, v] of Object.entries(obj(item.max) ?? {})) if (!(k in defaults)) defaults[k] = v;
    for (const [k, v] of Object.entries(defaults)) if (!(k in requests)) requests[k] = v;
    for (const [k, v] of Object.entries(obj(item.min) ?? {})) if (!(k in requests)) requests[k] = v;
    // Go's empty maps are left out (omitempty), its filled ones come out sorted.
    if (Object.keys(defaults).length > Object.keys(obj(item.default) ?? {}).length) item.default = sortedMap(defaults);
    if (Object.keys(requests).length > Object.keys(obj(item.defaultRequest) ?? {}).length) item.defaultRequest = sortedMap(requests);
  }
}

function validateTypeName(type: string, path: string): FieldError[] {
  const errs = invalidEach(path, type, isQualifiedName(type));
  if (errs.length === 0 && !type.includes('/') && !standardLimitTypes.includes(type)) errs.push(fe.invalid(path, type, 'must be a standard limit type or fully qualified'));
  return errs;
}

export function validateLimitRange(lr: Obj): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const types = new Set<string>();
  arr(obj(lr.spec)?.limits).forEach((x, i) => {
    const path = index('spec.limits', i);
    const item = obj(x) ?? {};
    const type = str(item.type) ?? '';
    errs.push(...validateTypeName(type, child(path, 'type')));
    if (types.has(type)) errs.push(fe.duplicate(child(path, 'type'), type));
    types.add(type);
    const containerNames = type === 'Pod' || type === 'Container';
    const values: Record<string, Map<string, Quantity>> = {};
    const names = new Set<string>();
    const read = (f: string): void => {
      const m = new Map<string, Quantity>();
      values[f] = m;
      for (const [name, raw] of Object.entries(obj(item[f]) ?? {})) {
        const p = key(child(path, f), name);
        errs.push(...(containerNames ? validateContainerResourceName(name, p) : validateResourceName(name, p)));
        const q = parseQuantity(raw);
        if (!q) {
          errs.push(fe.invalid(p, raw, quantityParseError));
          continue;
        }
        m.set(name, q);
        names.add(name);
      }
    };
    read('max');
    read('min');
    if (type === 'Pod') {
      for (const f of ['default', 'defaultRequest']) {
        if (Object.keys(obj(item[f]) ?? {}).length > 0) errs.push(fe.forbidden(child(path, f), "may not be specified when `type` is 'Pod'"));
      }
    } else {
      read('default');
      read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !values.min!.has('storage') && !values.max!.has('storage')) {
      errs.push(fe.required(child(path, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    read('maxLimitRequestRatio');
    for (const name of [...names].sort()) errs.push(...checkBounds(name, path, values));
  });
  return errs;
}

/** The order of one resource's bounds, in upstream's checks and words. */
function checkBounds(name: string, path: string, v: Record<string, Map<string, Quantity>>): FieldError[] {
  const errs: FieldError[] = [];
  const [min, max, def, req, ratio] = ['min', 'max', 'default', 'defaultRequest', 'maxLimitRequestRatio'].map((f) => v[f]?.get(name));
  const s = formatQuantity;
  const at = (f: string): string => key(child(path, f), name);
  const gt = (a: Quantity | undefined, b: Quantity | undefined): boolean => a !== undefined && b !== undefined && compareQuantity(a, b) > 0;
  if (gt(min, max)) errs.push(fe.invalid(at('min'), s(min!), `min value ${s(min!)} is greater than max value ${s(max!)}`));
  if (gt(min, req)) errs.push(fe.invalid(at('defaultRequest'), s(req!), `min value ${s(min!)} is greater than default request value ${s(req!)}`));
  if (gt(req, max)) errs.push(fe.invalid(at('defaultRequest'), s(req!), `default request value ${s(req!)} is greater than max value ${s(max!)}`));
  if (gt(req, def)) errs.push(fe.invalid(at('defaultRequest'), s(req!), `default request value ${s(req!)} is greater than default limit value ${s(def!)}`));
  if (gt(min, def)) errs.push(fe.invalid(at('default'), s(min!), `min value ${s(min!)} is greater than default value ${s(def!)}`));
  if (gt(def, max)) errs.push(fe.invalid(at('default'), s(max!), `default value ${s(def!)} is greater than max value ${s(max!)}`));
  if (ratio && compareQuantity(ratio, { mantissa: 1n, exp10: 0, format: 'DecimalSI' }) < 0) errs.push(fe.invalid(at('maxLimitRequestRatio'), s(ratio), `ratio ${s(ratio)} is less than 1`));
  if (ratio && min && max) {
    const limit = milliValue(max) / milliValue(min);
    if (milliValue(ratio) / 1000 > limit) errs.push(fe.invalid(at('maxLimitRequestRatio'), s(ratio), `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
  }
  if (!isOvercommitAllowed(name) && def && req && compareQuantity(def, req) !== 0) {
    errs.push(fe.invalid(at('defaultRequest'), s(req), `default value ${s(def)} must equal to defaultRequest value ${s(req)} in ${name}`));
  }
  return errs;
}
