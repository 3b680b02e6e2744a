// CEL types as the type checker sees them (cel-go's common/types.Type, the subset Kubernetes
// uses), their names in messages (cel-go's FormatCELType) and assignability with type
// parameters (cel-go's checker/types.go: isAssignable, mostGeneral, substitute).
//
// Object types are the structs Kubernetes declares from an OpenAPI schema (apiserver's
// DeclType): a name (`selfType123.spec`) and escaped field names to field types; `opaque`
// types are the library ones (`net.IP`, `optional_type(T)`), compared by name and parameters.

export type CelType =
  | { readonly k: 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'duration' | 'timestamp' | 'dyn' | 'error' | 'any' }
  | { readonly k: 'list'; readonly elem: CelType }
  | { readonly k: 'map'; readonly key: CelType; readonly val: CelType }
  | { readonly k: 'object'; readonly name: string; readonly fields: ReadonlyMap<string, CelType> }
  | { readonly k: 'opaque'; readonly name: string; readonly params: readonly CelType[] }
  | { readonly k: 'type'; readonly param?: CelType }
  | { readonly k: 'param'; readonly name: string };

export const T = {
  int: { k: 'int' } as CelType,
  uint: { k: 'uint' } as CelType,
  double: { k: 'double' } as CelType,
  bool: { k: 'bool' } as CelType,
  string: { k: 'string' } as CelType,
  bytes: { k: 'bytes' } as CelType,
  null: { k: 'null' } as CelType,
  duration: { k: 'duration' } as CelType,
  timestamp: { k: 'timestamp' } as CelType,
  dyn: { k: 'dyn' } as CelType,
  error: { k: 'error' } as CelType,
  list: (elem: CelType): CelType => ({ k: 'list', elem }),
  map: (key: CelType, val: CelType): CelType => ({ k: 'map', key, val }),
  param: (name: string): CelType => ({ k: 'param', name }),
  type: (param?: CelType): CelType => (param ? { k: 'type', param } : { k: 'type' }),
  opaque: (name: string, ...params: CelType[]): CelType => ({ k: 'opaque', name, params }),
  optional: (param: CelType): CelType => ({ k: 'opaque', name: 'optional_type', params: [param] }),
  object: (name: string, fields: ReadonlyMap<string, CelType> = new Map()): CelType => ({ k: 'object', name, fields }),
};

/** Library types of Kubernetes (apiserver/pkg/cel): structs without fields, and opaque ones. */
export const K8sTypes = {
  url: T.object('kubernetes.URL'),
  quantity: T.object('kubernetes.Quantity'),
  format: T.object('kubernetes.NamedFormat'),
  ip: T.opaque('net.IP'),
  cidr: T.opaque('net.CIDR'),
};

export function isOptionalType(t: CelType): t is { k: 'opaque'; name: string; params: readonly CelType[] } {
  return t.k === 'opaque' && t.name === 'optional_type';
}

/** The type's name in checker messages (cel-go's FormatCELType). */
export function formatType(t: CelType): string {
  switch (t.k) {
    case 'null':
      return 'null';
    case 'error':
      return '!error!';
    case 'param':
      return t.name;
    case 'list':
      return `list(${formatType(t.elem)})`;
    case 'map':
      return `map(${formatType(t.key)}, ${formatType(t.val)})`;
    case 'object':
      return t.name;
    case 'opaque':
      return t.params.length === 0 ? t.name : `${t.name}(${t.params.map(formatType).join(', ')})`;
    case 'type':
      return t.param ? `type(${formatType(t.param)})` : 'type';
    default:
      return t.k;
  }
}

/** The name `type(v)` compares with: what runtime type values print as. */
export function typeValueName(t: CelType): string {
  switch (t.k) {
    case 'null':
      return 'null_type';
    case 'duration':
      return 'google.protobuf.Duration';
    case 'timestamp':
      return 'google.protobuf.Timestamp';
    case 'list':
      return 'list';
    case 'map':
      return 'map';
    case 'object':
    case 'opaque':
      return t.name;
    default:
      return t.k;
  }
}

// ---------------------------------------------------------------------------------------------
// Assignability with type parameters.

/** Substitutions of type parameters found while checking one expression. */
export class Mapping {
  constructor(private readonly subs: Map<string, CelType> = new Map()) {}
  copy(): Mapping {
    return new Mapping(new Map(this.subs));
  }
  find(t: CelType): CelType | undefined {
    return t.k === 'param' ? this.subs.get(t.name) : undefined;
  }
  add(t: CelType, sub: CelType): void {
    if (t.k === 'param') this.subs.set(t.name, sub);
  }
}

const isDyn = (t: CelType): boolean => t.k === 'dyn' || t.k === 'any';
const isDynOrError = (t: CelType): boolean => isDyn(t) || t.k === 'error';

export function isExactType(a: CelType, b: CelType): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'list':
      return isExactType(a.elem, (b as typeof a).elem);
    case 'map':
      return isExactType(a.key, (b as typeof a).key) && isExactType(a.val, (b as typeof a).val);
    case 'object':
      return a.name === (b as typeof a).name;
    case 'opaque': {
      const o = b as typeof a;
      return a.name === o.name && a.params.length === o.params.length && a.params.every((p, i) => isExactType(p, o.params[i]!));
    }
    case 'type': {
      const o = b as typeof a;
      if (!a.param || !o.param) return !a.param && !o.param;
      return isExactType(a.param, o.param);
    }
    case 'param':
      return a.name === (b as typeof a).name;
    default:
      return true;
  }
}

function isEqualOrLessSpecific(t1: CelType, t2: CelType): boolean {
  if (isDyn(t1) || t1.k === 'param') return true;
  if (isDyn(t2) || t2.k === 'param') return false;
  if (t1.k !== t2.k) return false;
  switch (t1.k) {
    case 'opaque': {
      const o = t2 as typeof t1;
      return t1.name === o.name && t1.params.length === o.params.length && t1.params.every((p, i) => isEqualOrLessSpecific(p, o.params[i]!));
    }
    case 'list':
      return isEqualOrLessSpecific(t1.elem, (t2 as typeof t1).elem);
    case 'map':
      return isEqualOrLessSpecific(t1.key, (t2 as typeof t1).key) && isEqualOrLessSpecific(t1.val, (t2 as typeof t1).val);
    case 'type':
      return true;
    default:
      return isExactType(t1, t2);
  }
}

export function mostGeneral(t1: CelType, t2: CelType): CelType {
  return isEqualOrLessSpecific(t1, t2) ? t1 : t2;
}

function notReferencedIn(m: Mapping, t: CelType, within: CelType): boolean {
  if (isExactType(t, within)) return false;
  switch (within.k) {
    case 'param': {
      const sub = m.find(within);
      return sub === undefined ? true : notReferencedIn(m, t, sub);
    }
    case 'opaque':
      return within.params.every((p) => notReferencedIn(m, t, p));
    case 'list':
      return notReferencedIn(m, t, within.elem);
    case 'map':
      return notReferencedIn(m, t, within.key) && notReferencedIn(m, t, within.val);
    case 'type':
      return within.param ? notReferencedIn(m, t, within.param) : true;
    default:
      return true;
  }
}

function isValidTypeSubstitution(m: Mapping, t1: CelType, t2: CelType): [valid: boolean, hasSub: boolean] {
  if (isExactType(t1, t2)) return [true, true];
  const t2Sub = m.find(t2);
  if (t2Sub !== undefined) {
    if (isExactType(t1, t2Sub)) return [true, true];
    if (internalIsAssignable(m, t1, t2Sub)) {
      const t2New = mostGeneral(t1, t2Sub);
      if (notReferencedIn(m, t2, t2New)) m.add(t2, t2New);
      return [true, true];
    }
    return [false, true];
  }
  if (notReferencedIn(m, t2, t1)) {
    m.add(t2, t1);
    return [true, false];
  }
  return [false, false];
}

const isLegacyNullable = (t: CelType): boolean => t.k === 'opaque' || t.k === 'object' || t.k === 'any' || t.k === 'duration' || t.k === 'timestamp';

function internalIsAssignable(m: Mapping, t1: CelType, t2: CelType): boolean {
  if (t2.k === 'param') {
    const [valid, hasSub] = isValidTypeSubstitution(m, t1, t2);
    if (valid) return true;
    if (hasSub) return false;
  }
  if (t1.k === 'param') return isValidTypeSubstitution(m, t2, t1)[0];
  if (isDynOrError(t1) || isDynOrError(t2)) return true;
  if (t1.k === 'null') return isLegacyNullable(t2) || t2.k === 'null';
  if (t2.k === 'null') return isLegacyNullable(t1);
  switch (t1.k) {
    case 'type':
      return t2.k === 'type';
    case 'list':
      return t2.k === 'list' && internalIsAssignable(m, t1.elem, t2.elem);
    case 'map':
      return t2.k === 'map' && internalIsAssignable(m, t1.key, t2.key) && internalIsAssignable(m, t1.val, t2.val);
    case 'opaque':
      return t2.k === 'opaque' && t1.name === t2.name && t1.params.length === t2.params.length && t1.params.every((p, i) => internalIsAssignable(m, p, t2.params[i]!));
    default:
      return isExactType(t1, t2);
  }
}

/** A copy of `m` with the substitutions under which `t1` is assignable to `t2`, or undefined. */
export function isAssignable(m: Mapping, t1: CelType, t2: CelType): Mapping | undefined {
  const c = m.copy();
  return internalIsAssignable(c, t1, t2) ? c : undefined;
}

export function isAssignableList(m: Mapping, l1: readonly CelType[], l2: readonly CelType[]): Mapping | undefined {
  if (l1.length !== l2.length) return undefined;
  const c = m.copy();
  for (let i = 0; i < l1.length; i++) if (!internalIsAssignable(c, l1[i]!, l2[i]!)) return undefined;
  return c;
}

/** `t` with bound parameters replaced (unbound ones by dyn when `paramToDyn`). */
export function substitute(m: Mapping, t: CelType, paramToDyn: boolean): CelType {
  const sub = m.find(t);
  if (sub !== undefined) return substitute(m, sub, paramToDyn);
  switch (t.k) {
    case 'param':
      return paramToDyn ? T.dyn : t;
    case 'list':
      return T.list(substitute(m, t.elem, paramToDyn));
    case 'map':
      return T.map(substitute(m, t.key, paramToDyn), substitute(m, t.val, paramToDyn));
    case 'opaque':
      return { k: 'opaque', name: t.name, params: t.params.map((p) => substitute(m, p, paramToDyn)) };
    case 'type':
      return t.param ? T.type(substitute(m, t.param, paramToDyn)) : t;
    default:
      return t;
  }
}

/** Replaces every type parameter name of `t` with a fresh one (an overload's instantiation). */
export function freshen(t: CelType, fresh: (name: string) => CelType): CelType {
  switch (t.k) {
    case 'param':
      return fresh(t.name);
    case 'list':
      return T.list(freshen(t.elem, fresh));
    case 'map':
      return T.map(freshen(t.key, fresh), freshen(t.val, fresh));
    case 'opaque':
      return { k: 'opaque', name: t.name, params: t.params.map((p) => freshen(p, fresh)) };
    case 'type':
      return t.param ? T.type(freshen(t.param, fresh)) : t;
    default:
      return t;
  }
}

/** Equivalence as cel-go's Type.IsEquivalentType (used by the homogeneous literal check). */
export function isEquivalentType(a: CelType, b: CelType): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'list':
      return isEquivalentType(a.elem, (b as typeof a).elem);
    case 'map':
      return isEquivalentType(a.key, (b as typeof a).key) && isEquivalentType(a.val, (b as typeof a).val);
    case 'opaque': {
      const o = b as typeof a;
      return a.name === o.name && a.params.length === o.params.length && a.params.every((p, i) => isEquivalentType(p, o.params[i]!));
    }
    case 'object':
      return a.name === (b as typeof a).name;
    case 'param':
      return a.name === (b as typeof a).name;
    case 'type':
      return true;
    default:
      return true;
  }
}
