// Internal helpers for walking decoded JSON objects and building field paths.
// Validators never throw on unexpected shapes: a field of the wrong type reads as absent
// (the schema decoder is responsible for type errors).

import { fe, type FieldError } from '../errors.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : String(x);
  return out;
}
/** Ensures `o[key]` is an object and returns it. */
export function ensureObj(o: Obj, key: string): Obj {
  const cur = o[key];
  if (isObj(cur)) return cur;
  const fresh: Obj = {};
  o[key] = fresh;
  return fresh;
}

/** field.Path.Child */
export function child(path: string, ...names: string[]): string {
  let p = path;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}
/** field.Path.Index */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
/** field.Path.Key */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Semantic deep equality of JSON values (key order ignored; absent == undefined). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export const isNegativeErrorMsg = 'must be greater than or equal to 0';
export const fieldImmutableErrorMsg = 'field is immutable';
export const isNotPositiveErrorMsg = 'must be greater than zero';

export function validateNonnegativeField(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [fe.invalid(path, value, isNegativeErrorMsg)] : [];
}

export function validateImmutableField(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [fe.invalid(path, newVal, fieldImmutableErrorMsg)];
}

/**
 * A label selector that must not change, compared as upstream's apiequality.Semantic.DeepEqual
 * compares Go values: a LabelSelector holds only a map and lists, and an empty one of those is
 * the same as none, at every depth (`matchExpressions: []`, `matchLabels: {}`, `values: []`).
 * The error shows the new selector as sent.
 */
export function validateImmutableSelector(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(withoutEmptyCollections(newVal), withoutEmptyCollections(oldVal)) ? [] : [fe.invalid(path, newVal, fieldImmutableErrorMsg)];
}

/** `v` without its empty lists and maps at every depth below it (for comparison only). */
function withoutEmptyCollections(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmptyCollections);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if ((Array.isArray(x) && x.length === 0) || (isObj(x) && Object.keys(x).length === 0)) continue;
    out[k] = withoutEmptyCollections(x);
  }
  return out;
}

/** Wraps each detail message of a syntax check into an Invalid error. */
export function invalidEach(path: string, value: unknown, msgs: string[]): FieldError[] {
  return msgs.map((m) => fe.invalid(path, value, m));
}
