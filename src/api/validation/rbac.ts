// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding
// (pkg/apis/rbac/v1/defaults.go, pkg/apis/rbac/validation).

import { fe, type FieldError } from '../errors.js';
import { nameIsDNSSubdomain, nameIsPathSegment } from './names.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { arr, child, deepEqual, index, invalidEach, obj, str, type Obj } from './util.js';

export const rbacGroup = 'rbac.authorization.k8s.io';

/** SetDefaults_Subject / SetDefaults_(Cluster)RoleBinding. */
export function setBindingDefaults(binding: Obj): void {
  const rr = obj(binding.roleRef);
  if (rr && !str(rr.apiGroup)) rr.apiGroup = rbacGroup;
  for (const s of arr(binding.subjects)) {
    const subj = obj(s);
    if (!subj || str(subj.apiGroup)) continue;
    // ServiceAccount subjects keep the empty core group, which upstream omits on the wire.
    if (subj.kind === 'User' || subj.kind === 'Group') subj.apiGroup = rbacGroup;
  }
}

export function validatePolicyRule(rulev: unknown, isNamespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rule = obj(rulev) ?? {};
  if (arr(rule.verbs).length === 0) errs.push(fe.required(child(path, 'verbs'), 'verbs must contain at least one value'));
  const nonResourceURLs = arr(rule.nonResourceURLs);
  if (nonResourceURLs.length > 0) {
    if (isNamespaced) errs.push(fe.invalid(child(path, 'nonResourceURLs'), nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(rule.apiGroups).length > 0 || arr(rule.resources).length > 0 || arr(rule.resourceNames).length > 0) {
      errs.push(fe.invalid(child(path, 'nonResourceURLs'), nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(rule.apiGroups).length === 0) errs.push(fe.required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(rule.resources).length === 0) errs.push(fe.required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(o: Obj, isNamespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(o.rules).forEach((r, i) => errs.push(...validatePolicyRule(r, isNamespaced, index('rules', i))));
  return errs;
}

export function validateRole(role: Obj): FieldError[] {
  return [...validateObjectMeta(role.metadata, true, nameIsPathSegment), ...validateRules(role, true)];
}

export function validateClusterRole(role: Obj): FieldError[] {
  const errs = [...validateObjectMeta(role.metadata, false, nameIsPathSegment), ...validateRules(role, false)];
  const ar = obj(role.aggregationRule);
  if (ar) {
    const sels = arr(ar.clusterRoleSelectors);
    if (sels.length === 0) errs.push(fe.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i))));
  }
  return errs;
}

export function validateRoleBindingSubject(subjectv: unknown, isNamespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj(subjectv) ?? {};
  const name = str(s.name) ?? '';
  const apiGroup = str(s.apiGroup) ?? '';
  if (name.length === 0) errs.push(fe.required(child(path, 'name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name.length > 0) errs.push(...invalidEach(child(path, 'name'), name, nameIsDNSSubdomain(name, false)));
      if (apiGroup.length > 0) errs.push(fe.notSupported(child(path, 'apiGroup'), apiGroup, ['']));
      if (!isNamespaced && (str(s.namespace) ?? '').length === 0) errs.push(fe.required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== rbacGroup) errs.push(fe.notSupported(child(path, 'apiGroup'), apiGroup, [rbacGroup]));
      break;
    default:
      errs.push(fe.notSupported(child(path, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: Obj, isNamespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(b.metadata, isNamespaced, nameIsPathSegment);
  const rr = obj(b.roleRef) ?? {};
  const apiGroup = str(rr.apiGroup) ?? '';
  if (apiGroup !== rbacGroup) errs.push(fe.notSupported('roleRef.apiGroup', apiGroup, [rbacGroup]));
  const kinds = isNamespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(String(rr.kind ?? ''))) errs.push(fe.notSupported('roleRef.kind', rr.kind ?? '', kinds));
  const name = str(rr.name) ?? '';
  if (name.length === 0) errs.push(fe.required('roleRef.name'));
  else errs.push(...invalidEach('roleRef.name', name, nameIsPathSegment(name, false)));
  arr(b.subjects).forEach((s, i) => errs.push(...validateRoleBindingSubject(s, isNamespaced, index('subjects', i))));
  return errs;
}

export function validateRoleBinding(b: Obj): FieldError[] {
  return validateBinding(b, true);
}
export function validateClusterRoleBinding(b: Obj): FieldError[] {
  return validateBinding(b, false);
}

export function validateBindingUpdate(b: Obj, old: Obj, isNamespaced: boolean): FieldError[] {
  const errs = validateObjectMetaUpdate(b.metadata, old.metadata);
  if (!deepEqual(b.roleRef, old.roleRef)) errs.push(fe.invalid('roleRef', b.roleRef ?? null, 'cannot change roleRef'));
  errs.push(...validateBinding(b, isNamespaced));
  return errs;
}
