// Reading a CRD's openAPIV3Schema as the structural schema upstream's CEL code walks, the CEL
// type of each schema node (apiserver's common.SchemaDeclType) and property name escaping
// (apiserver's cel.Escape/Unescape).

import { T, type CelType } from './types.js';

export type Schema = Record<string, unknown>;

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

export const schemaType = (s: Schema): string => (typeof s.type === 'string' ? s.type : '');
export const schemaFormat = (s: Schema): string => (typeof s.format === 'string' ? s.format : '');
export const isIntOrString = (s: Schema): boolean => s['x-kubernetes-int-or-string'] === true;
export const preservesUnknownFields = (s: Schema): boolean => s['x-kubernetes-preserve-unknown-fields'] === true;
export const isEmbeddedResource = (s: Schema): boolean => s['x-kubernetes-embedded-resource'] === true;
export const isNullable = (s: Schema): boolean => s.nullable === true;
export const listType = (s: Schema): string | undefined => (typeof s['x-kubernetes-list-type'] === 'string' ? s['x-kubernetes-list-type'] : undefined);
export const mapType = (s: Schema): string | undefined => (typeof s['x-kubernetes-map-type'] === 'string' ? s['x-kubernetes-map-type'] : undefined);
export const listMapKeys = (s: Schema): string[] => (Array.isArray(s['x-kubernetes-list-map-keys']) ? s['x-kubernetes-list-map-keys'].filter((k): k is string => typeof k === 'string') : []);

export function properties(s: Schema): Record<string, Schema> | undefined {
  if (!isObj(s.properties)) return undefined;
  const out: Record<string, Schema> = {};
  for (const [k, v] of Object.entries(s.properties)) if (isObj(v)) out[k] = v;
  return out;
}

export function items(s: Schema): Schema | undefined {
  return isObj(s.items) ? s.items : undefined;
}

/** additionalProperties when it is a schema (a `true` has no schema: the object is then empty to CEL). */
export function additionalProperties(s: Schema): Schema | undefined {
  return isObj(s.additionalProperties) ? s.additionalProperties : undefined;
}

export function allOf(s: Schema): Schema[] {
  return Array.isArray(s.allOf) ? s.allOf.filter(isObj) : [];
}

/** A rule of x-kubernetes-validations as the CRD holds it. */
export interface ValidationRule {
  rule?: unknown;
  message?: unknown;
  messageExpression?: unknown;
  reason?: unknown;
  fieldPath?: unknown;
  optionalOldSelf?: unknown;
}

export function validationRules(s: Schema): ValidationRule[] {
  const v = s['x-kubernetes-validations'];
  return Array.isArray(v) ? v.map((r) => (isObj(r) ? r : {})) : [];
}

const stringSchema: Schema = { type: 'string' };

const withMeta = new WeakMap<Schema, Schema>();

/**
 * The schema with `kind`, `apiVersion` and `metadata.name`/`metadata.generateName` as CEL sees
 * them at a resource's root (the custom resource's, or an embedded resource's): upstream's
 * WithTypeAndObjectMeta, which replaces whatever the schema says of metadata unless it already
 * declares exactly those.
 */
export function withTypeAndObjectMeta(s: Schema): Schema {
  const props = properties(s);
  const meta = props?.metadata;
  const metaProps = meta ? properties(meta) : undefined;
  if (props && props.kind?.type === 'string' && props.apiVersion?.type === 'string' && meta?.type === 'object' && metaProps?.name?.type === 'string' && metaProps.generateName?.type === 'string') return s;
  let out = withMeta.get(s);
  if (!out) {
    out = { ...s, properties: { ...(props ?? {}), kind: stringSchema, apiVersion: stringSchema, metadata: { type: 'object', properties: { name: stringSchema, generateName: stringSchema } } } };
    withMeta.set(s, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Escaping of property names into CEL identifiers.

const celReserved = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

export const isCelReserved = (s: string): boolean => celReserved.has(s);

/**
 * A property name as a CEL identifier: `__` -> `__underscores__`, `.` -> `__dot__`, `-` ->
 * `__dash__`, `/` -> `__slash__`, a reserved word `w` -> `__w__`; undefined when the name
 * cannot be one (empty, a leading digit, any other character).
 */
export function escapeName(ident: string): string | undefined {
  if (ident === '' || (ident[0]! >= '0' && ident[0]! <= '9')) return undefined;
  if (celReserved.has(ident)) return `__${ident}__`;
  if (!/^[a-zA-Z0-9_./-]*$/.test(ident)) return undefined;
  return ident.replace(/__|[-./]/g, (m) => (m === '__' ? '__underscores__' : m === '.' ? '__dot__' : m === '-' ? '__dash__' : '__slash__'));
}

/** The property name of an escaped identifier; undefined when an escape in it is not one. */
export function unescapeName(escaped: string): string | undefined {
  let ok = true;
  const out = escaped.replace(/__[^_]+__/g, (m) => {
    const inner = m.slice(2, -2);
    switch (inner) {
      case 'underscores':
        return '__';
      case 'dot':
        return '.';
      case 'dash':
        return '-';
      case 'slash':
        return '/';
    }
    if (celReserved.has(inner)) {
      if (m.length !== escaped.length) ok = false;
      return inner;
    }
    ok = false;
    return '';
  });
  return ok ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// CEL types of schema nodes.

/**
 * The CEL type of values of schema `s`, undefined when the node is not visible to CEL
 * (upstream's SchemaDeclType): int-or-string is dyn; arrays are lists and objects with
 * additionalProperties maps (when their items/values are visible); objects with properties are
 * objects named by their path from `name` (`selfType1.spec`, list items `...@idx`, map values
 * `...@elem`), holding the visible properties under their escaped names; an object with
 * neither is an object with no fields. A resource root (`isResourceRoot`) has kind, apiVersion
 * and metadata.name/generateName.
 */
export function schemaCelType(s: Schema, isResourceRoot: boolean, name: string): CelType | undefined {
  if (isIntOrString(s)) return T.dyn;
  if (isResourceRoot) s = withTypeAndObjectMeta(s);
  switch (schemaType(s)) {
    case 'array': {
      const it = items(s);
      if (!it) return undefined;
      const elem = schemaCelType(it, isEmbeddedResource(it), `${name}.@idx`);
      return elem ? T.list(elem) : undefined;
    }
    case 'object': {
      const ap = additionalProperties(s);
      if (ap) {
        const val = schemaCelType(ap, isEmbeddedResource(ap), `${name}.@elem`);
        return val ? T.map(T.string, val) : undefined;
      }
      const fields = new Map<string, CelType>();
      for (const [prop, ps] of Object.entries(properties(s) ?? {})) {
        const escaped = escapeName(prop);
        if (escaped === undefined) continue;
        const ft = schemaCelType(ps, isEmbeddedResource(ps), `${name}.${escaped}`);
        if (ft) fields.set(escaped, ft);
      }
      return T.object(name, fields);
    }
    case 'string':
      switch (schemaFormat(s)) {
        case 'byte':
          return T.bytes;
        case 'duration':
          return T.duration;
        case 'date':
        case 'date-time':
          return T.timestamp;
      }
      return T.string;
    case 'boolean':
      return T.bool;
    case 'number':
      return T.double;
    case 'integer':
      return T.int;
  }
  return undefined;
}
