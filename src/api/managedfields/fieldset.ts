// Field sets and the schema-driven walks of server-side apply: which fields an object sets,
// what changed between two objects, removing fields, and merging an applied configuration.
//
// A FieldSet is a trie close to the wire format of `managedFields[].fieldsV1`: each key is a
// path element and `"."` marks the path itself as a member. (On the wire a member without
// children is an empty object, `"f:image": {}`; fromWire/toWire convert.) Path elements:
//   f:<name>          a field of a struct or an entry of a map
//   k:<json object>   an item of an associative list (listType=map), by its key fields, sorted
//   v:<json value>    an item of a set (listType=set)
// Members are the leaves (scalars, atomic lists/maps/structs), associative-list and set items,
// map entries, and empty or null values. Struct fields that hold values are not members
// themselves, so owning `spec.template` means owning fields below it.
//
// Invariants: tries never hold empty nodes other than `"."`; no function here mutates its
// inputs except removeFields, which edits the object it is given (callers pass a copy).

import { resolveSchema } from '../schema/index.js';
import type { SchemaNode } from '../schema/index.js';
import { deepClone, deepEqual, isObject, type JsonObject } from '../patch/json-value.js';

export interface FieldSet {
  [element: string]: FieldSet;
}

const MEMBER = '.';

// ---------------------------------------------------------------------------------------
// Set algebra

export function isEmptySet(s: FieldSet | undefined): boolean {
  if (s === undefined) return true;
  for (const _ in s) return false;
  return true;
}

export function union(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet {
  if (isEmptySet(a)) return b ?? {};
  if (isEmptySet(b)) return a!;
  const out: FieldSet = {};
  for (const k of Object.keys(a!)) out[k] = k in b! ? union(a![k], b![k]) : a![k]!;
  for (const k of Object.keys(b!)) if (!(k in out)) out[k] = b![k]!;
  return out;
}

export function difference(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet {
  if (isEmptySet(a)) return {};
  if (isEmptySet(b)) return a!;
  const out: FieldSet = {};
  for (const k of Object.keys(a!)) {
    if (!(k in b!)) out[k] = a![k]!;
    else if (k !== MEMBER) {
      const d = difference(a![k], b![k]);
      if (!isEmptySet(d)) out[k] = d;
    }
  }
  return out;
}

export function intersection(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet {
  if (isEmptySet(a) || isEmptySet(b)) return {};
  const out: FieldSet = {};
  for (const k of Object.keys(a!)) {
    if (!(k in b!)) continue;
    if (k === MEMBER) out[k] = {};
    else {
      const i = intersection(a![k], b![k]);
      if (!isEmptySet(i)) out[k] = i;
    }
  }
  return out;
}

export function setsEqual(a: FieldSet | undefined, b: FieldSet | undefined): boolean {
  return isEmptySet(difference(a, b)) && isEmptySet(difference(b, a));
}

/** Every member path, as lists of path elements, in trie order. */
export function members(s: FieldSet): string[][] {
  const out: string[][] = [];
  const walk = (node: FieldSet, prefix: string[]) => {
    for (const k of Object.keys(node)) {
      if (k === MEMBER) out.push(prefix);
      else walk(node[k]!, [...prefix, k]);
    }
  };
  walk(s, []);
  return out;
}

/**
 * The members of `candidates` that no one in `others` owns at or below: what an applier may
 * remove. A keyed item that stays (someone owns a field inside it) keeps its key fields, so
 * it never loses its identity. One walk, linear in the size of the sets.
 */
export function unownedMembers(candidates: FieldSet, others: FieldSet | undefined): FieldSet {
  const out: FieldSet = {};
  for (const k of Object.keys(candidates)) {
    if (k === MEMBER) {
      if (isEmptySet(others)) out[MEMBER] = {};
      continue;
    }
    const sub = unownedMembers(candidates[k]!, others?.[k]);
    if (k.startsWith('k:') && !(MEMBER in sub)) {
      let key: JsonObject = {};
      try {
        key = JSON.parse(k.slice(2)) as JsonObject;
      } catch {
        /* not a key we made: nothing to keep */
      }
      for (const field of Object.keys(key)) delete sub[`f:${field}`];
    }
    if (!isEmptySet(sub)) out[k] = sub;
  }
  return out;
}

/**
 * The struct fields of `value` that an applier populated last time (`previous` has members
 * below them) and gives up now (`applied` has nothing at or below them) while nobody else
 * (`others`) owns anything there, as members: pruning removes them whole, with the values the
 * server defaulted inside them, as upstream's prune does with the last applied set's named
 * fields made members (EnsureNamedFieldsAreMembers). Without it a probe or a securityContext
 * dropped from the configuration would leave its defaults behind (a `readinessProbe` with only
 * `timeoutSeconds`, which validation refuses).
 */
export function abandonedStructs(previous: FieldSet, applied: FieldSet | undefined, others: FieldSet | undefined, value: unknown, node: SchemaNode | undefined, root = true): FieldSet {
  const out: FieldSet = {};
  const shape = shapeOf(node, value);
  if (shape.t === 'struct') {
    const o = value as JsonObject;
    for (const el of Object.keys(previous)) {
      // The object's metadata holds what no set records (its name, uid, ...): never abandoned.
      if (!el.startsWith('f:') || (root && el === 'f:metadata')) continue;
      const k = el.slice(2);
      const child = childSchema(shape, k);
      const t = k in o ? shapeOf(child, o[k]).t : undefined;
      // Structs may go whole; associative lists are walked for the structs of their items
      // (items themselves are members: pruned by the caller's member difference).
      if (t !== 'struct' && t !== 'listmap') continue;
      const gone = t === 'struct' && isEmptySet(applied?.[el]) && isEmptySet(others?.[el]);
      const sub = gone ? { [MEMBER]: {} } : abandonedStructs(previous[el]!, applied?.[el], others?.[el], o[k], child, false);
      if (!isEmptySet(sub)) out[el] = sub;
    }
  } else if (shape.t === 'listmap') {
    for (const item of value as unknown[]) {
      const el = itemElement(item, shape.keys);
      if (previous[el] === undefined) continue;
      const sub = abandonedStructs(previous[el]!, applied?.[el], others?.[el], item, shape.items, false);
      if (!isEmptySet(sub)) out[el] = sub;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Wire form: a member without children is `{}`, one with children carries `"."`. The root is
// never a member, so an empty root is the empty set.

const elementRank: Record<string, number> = { '.': 0, f: 1, k: 2, v: 3, i: 4 };

function wireOrder(a: string, b: string): number {
  const ra = elementRank[a === MEMBER ? MEMBER : a[0]!] ?? 5;
  const rb = elementRank[b === MEMBER ? MEMBER : b[0]!] ?? 5;
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

/** The fieldsV1 form of a set: "." first, then fields, keys and values, each sorted. */
export function toWire(s: FieldSet, root = true): FieldSet {
  const keys = Object.keys(s);
  if (!root && keys.length === 1 && keys[0] === MEMBER) return {};
  const out: FieldSet = {};
  for (const k of keys.sort(wireOrder)) out[k] = k === MEMBER ? {} : toWire(s[k]!, false);
  return out;
}

/** A set from its fieldsV1 form (already checked to be nested objects). */
export function fromWire(w: FieldSet, root = true): FieldSet {
  const keys = Object.keys(w);
  if (!root && keys.length === 0) return { [MEMBER]: {} };
  const out: FieldSet = {};
  for (const k of keys) out[k] = k === MEMBER ? {} : fromWire(w[k]!, false);
  return out;
}

// ---------------------------------------------------------------------------------------
// Path rendering (conflict messages): .spec.template.spec.containers[name="agent"].image

export function pathString(path: string[]): string {
  let out = '';
  for (const el of path) {
    const body = el.slice(2);
    switch (el[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        let key: JsonObject = {};
        try {
          key = JSON.parse(body) as JsonObject;
        } catch {
          /* not ours: render what we have */
        }
        out += `[${Object.keys(key).map((k) => `${k}=${JSON.stringify(key[k])}`).join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Schema shapes

type Shape =
  | { t: 'leaf' }
  | { t: 'struct'; props: Record<string, SchemaNode> }
  | { t: 'map'; values: SchemaNode | undefined }
  | { t: 'listmap'; items: SchemaNode; keys: string[] }
  | { t: 'set' };

/** Defaults of list-map key fields that may be omitted (upstream fills them before keying). */
const keyDefaults: Record<string, unknown> = { protocol: 'TCP' };

function shapeOf(node: SchemaNode | undefined, value: unknown): Shape {
  if (node === undefined) {
    // No schema (free-form values): maps granular, lists atomic, as upstream's deduced schema.
    return isObject(value) ? { t: 'map', values: undefined } : { t: 'leaf' };
  }
  const n = resolveSchema(node);
  // A free-form value (x-kubernetes-preserve-unknown-fields) is tracked as a deduced one.
  if (n.kind === 'any') return shapeOf(undefined, value);
  switch (n.kind) {
    case 'object':
      if (n.structType === 'atomic' || !isObject(value)) return { t: 'leaf' };
      return { t: 'struct', props: n.properties };
    case 'map':
      if (n.mapType === 'atomic' || !isObject(value)) return { t: 'leaf' };
      return { t: 'map', values: n.values };
    case 'array':
      if (!Array.isArray(value)) return { t: 'leaf' };
      if (n.listType === 'map' && n.listMapKeys && n.listMapKeys.length > 0) return { t: 'listmap', items: n.items, keys: n.listMapKeys };
      if (n.listType === 'set') return { t: 'set' };
      return { t: 'leaf' };
    default:
      return { t: 'leaf' };
  }
}

function childSchema(shape: Shape, key: string): SchemaNode | undefined {
  if (shape.t === 'struct') return shape.props[key];
  if (shape.t === 'map') return shape.values;
  return undefined;
}

/** The `k:` element of an associative-list item: its key fields (defaults filled), sorted. */
function itemElement(item: unknown, keys: string[]): string {
  const o = isObject(item) ? item : {};
  const key: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = o[k] ?? keyDefaults[k];
    if (v !== undefined && v !== null) key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

function valueElement(v: unknown): string {
  return `v:${JSON.stringify(v)}`;
}

// ---------------------------------------------------------------------------------------
// The fields a value sets

/** All members a value sets, relative to the value's own path. */
export function toFieldSet(value: unknown, node: SchemaNode | undefined): FieldSet {
  const out: FieldSet = {};
  collect(value, node, out);
  return out;
}

function collect(value: unknown, node: SchemaNode | undefined, out: FieldSet): void {
  if (value === null || value === undefined) {
    out[MEMBER] = {};
    return;
  }
  const shape = shapeOf(node, value);
  switch (shape.t) {
    case 'leaf':
      out[MEMBER] = {};
      return;
    case 'struct':
    case 'map': {
      const o = value as JsonObject;
      const keys = Object.keys(o);
      if (keys.length === 0) {
        out[MEMBER] = {};
        return;
      }
      for (const k of keys) {
        if (o[k] === undefined) continue;
        const child: FieldSet = {};
        collect(o[k], childSchema(shape, k), child);
        if (shape.t === 'map') child[MEMBER] = {};
        out[`f:${k}`] = child;
      }
      return;
    }
    case 'listmap':
      // An empty list is owned as a whole, like an empty struct or map (it round-trips
      // through fieldsV1 as `f:env: {}`).
      if ((value as unknown[]).length === 0) out[MEMBER] = {};
      for (const item of value as unknown[]) {
        const child: FieldSet = {};
        collect(item, shape.items, child);
        child[MEMBER] = {};
        out[itemElement(item, shape.keys)] = child;
      }
      return;
    case 'set':
      if ((value as unknown[]).length === 0) out[MEMBER] = {};
      for (const v of value as unknown[]) out[valueElement(v)] = { [MEMBER]: {} };
  }
}

/**
 * The repeated keys of a configuration's associative lists and sets, one message per repeat
 * (a key three times gives two), as upstream's typed conversion of an applied configuration
 * words them: `.spec.template.spec.containers[name="c"].env: duplicate entries for key
 * [name="FOO"]`. A live object may hold repeats (written by create or update); an applied
 * configuration may not, since its items say which item each field belongs to.
 */
export function duplicateEntries(value: unknown, node: SchemaNode | undefined): string[] {
  const out: string[] = [];
  findDuplicates(value, node, [], out);
  return out;
}

function findDuplicates(value: unknown, node: SchemaNode | undefined, path: string[], out: string[]): void {
  if (value === null || value === undefined) return;
  const shape = shapeOf(node, value);
  switch (shape.t) {
    case 'struct':
    case 'map': {
      const o = value as JsonObject;
      for (const k of Object.keys(o)) findDuplicates(o[k], childSchema(shape, k), [...path, `f:${k}`], out);
      return;
    }
    case 'listmap':
    case 'set': {
      const seen = new Set<string>();
      for (const item of value as unknown[]) {
        const el = shape.t === 'set' ? valueElement(item) : itemElement(item, shape.keys);
        if (seen.has(el)) out.push(`${pathString(path)}: duplicate entries for key ${pathString([el])}`);
        seen.add(el);
        if (shape.t === 'listmap') findDuplicates(item, shape.items, [...path, el], out);
      }
      return;
    }
    default:
  }
}

// ---------------------------------------------------------------------------------------
// Comparison

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/** What changed from `a` to `b`, as members (whole subtrees for added and removed values). */
export function compare(a: unknown, b: unknown, node: SchemaNode | undefined): Comparison {
  const c: Comparison = { added: {}, removed: {}, modified: {} };
  cmp(a, b, node, c);
  return c;
}

function attach(parent: Comparison, el: string, child: Comparison): void {
  if (!isEmptySet(child.added)) parent.added[el] = child.added;
  if (!isEmptySet(child.removed)) parent.removed[el] = child.removed;
  if (!isEmptySet(child.modified)) parent.modified[el] = child.modified;
}

function cmp(a: unknown, b: unknown, node: SchemaNode | undefined, out: Comparison): void {
  const aAbsent = a === undefined;
  const bAbsent = b === undefined;
  if (aAbsent && bAbsent) return;
  if (aAbsent) return collect(b, node, out.added);
  if (bAbsent) return collect(a, node, out.removed);
  const sa = shapeOf(node, a);
  const sb = shapeOf(node, b);
  if (sa.t !== sb.t || sa.t === 'leaf') {
    if (!deepEqual(a, b)) out.modified[MEMBER] = {};
    return;
  }
  switch (sa.t) {
    case 'struct':
    case 'map': {
      const oa = a as JsonObject;
      const ob = b as JsonObject;
      const emptyA = Object.keys(oa).length === 0;
      const emptyB = Object.keys(ob).length === 0;
      if (emptyA && emptyB) return;
      if (emptyA !== emptyB) (emptyA ? out.removed : out.added)[MEMBER] = {};
      for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) {
        const child: Comparison = { added: {}, removed: {}, modified: {} };
        cmp(oa[k], ob[k], childSchema(sa, k), child);
        if (sa.t === 'map') {
          if (oa[k] === undefined && ob[k] !== undefined) child.added[MEMBER] = {};
          if (ob[k] === undefined && oa[k] !== undefined) child.removed[MEMBER] = {};
        }
        attach(out, `f:${k}`, child);
      }
      return;
    }
    case 'listmap': {
      const byKey = new Map<string, unknown>();
      for (const item of a as unknown[]) byKey.set(itemElement(item, sa.keys), item);
      const seen = new Set<string>();
      for (const item of b as unknown[]) {
        const el = itemElement(item, sa.keys);
        seen.add(el);
        const child: Comparison = { added: {}, removed: {}, modified: {} };
        if (byKey.has(el)) cmp(byKey.get(el), item, sa.items, child);
        else {
          collect(item, sa.items, child.added);
          child.added[MEMBER] = {};
        }
        attach(out, el, child);
      }
      for (const [el, item] of byKey) {
        if (seen.has(el)) continue;
        const child: Comparison = { added: {}, removed: {}, modified: {} };
        collect(item, sa.items, child.removed);
        child.removed[MEMBER] = {};
        attach(out, el, child);
      }
      return;
    }
    case 'set': {
      const va = new Set((a as unknown[]).map(valueElement));
      const vb = new Set((b as unknown[]).map(valueElement));
      for (const el of vb) if (!va.has(el)) out.added[el] = { [MEMBER]: {} };
      for (const el of va) if (!vb.has(el)) out.removed[el] = { [MEMBER]: {} };
      return;
    }
    default:
      if (!deepEqual(a, b)) out.modified[MEMBER] = {};
  }
}

// ---------------------------------------------------------------------------------------
// Removing fields

/**
 * Removes every member of `set` from `obj` (in place): a member leaf or map entry is deleted,
 * a member list item is taken out of its list. Paths that do not exist are ignored.
 */
export function removeFields(obj: JsonObject, set: FieldSet, node: SchemaNode | undefined): void {
  removeIn(obj, set, node);
}

/** Returns true when the value itself is to be removed by the caller. */
function removeIn(value: unknown, set: FieldSet, node: SchemaNode | undefined): boolean {
  if (MEMBER in set) return true;
  const shape = shapeOf(node, value);
  switch (shape.t) {
    case 'struct':
    case 'map': {
      const o = value as JsonObject;
      for (const el of Object.keys(set)) {
        if (!el.startsWith('f:')) continue;
        const k = el.slice(2);
        if (!(k in o)) continue;
        const child = childSchema(shape, k);
        if (removeIn(o[k], set[el]!, child) || emptiedCollection(o[k], child)) delete o[k];
      }
      return false;
    }
    case 'listmap': {
      const list = value as unknown[];
      for (let i = list.length - 1; i >= 0; i--) {
        const el = itemElement(list[i], shape.keys);
        const sub = set[el];
        if (sub !== undefined && removeIn(list[i], sub, shape.items)) list.splice(i, 1);
      }
      return false;
    }
    case 'set': {
      const list = value as unknown[];
      for (let i = list.length - 1; i >= 0; i--) if (set[valueElement(list[i])]?.[MEMBER]) list.splice(i, 1);
      return false;
    }
    default:
      return false;
  }
}

/** A list or map left empty by removals is dropped, as upstream's omitempty serialization does. */
function emptiedCollection(value: unknown, node: SchemaNode | undefined): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0 && shapeOf(node, value).t === 'map';
}

// ---------------------------------------------------------------------------------------
// Merging an applied configuration

/**
 * The live value with the configuration merged in, by schema: struct fields and granular map
 * entries recursively, associative-list items by key and sets as unions, in the order
 * mergeListOrder gives; anything atomic is replaced. A null in the configuration removes the
 * field. Returns a new value; the inputs are not modified.
 */
export function mergeApplied(live: unknown, config: unknown, node: SchemaNode | undefined): unknown {
  if (config === undefined) return deepClone(live);
  const shape = shapeOf(node, config);
  switch (shape.t) {
    case 'struct':
    case 'map': {
      const out: JsonObject = isObject(live) ? deepClone(live) : {};
      const c = config as JsonObject;
      for (const k of Object.keys(c)) {
        const v = c[k];
        if (v === undefined) continue;
        if (v === null) delete out[k];
        else out[k] = mergeApplied(out[k], v, childSchema(shape, k));
      }
      return out;
    }
    case 'listmap': {
      const items = shape.items;
      return mergeListOrder(Array.isArray(live) ? live : [], config as unknown[], (item) => itemElement(item, shape.keys), (l, r, duplicated) =>
        // A key the live list holds more than once is replaced by the applied item (one copy).
        l === undefined || duplicated ? deepClone(r) : mergeApplied(l, r, items),
      );
    }
    case 'set':
      return mergeListOrder(Array.isArray(live) ? live : [], config as unknown[], valueElement, (_l, r) => deepClone(r));
    default:
      return deepClone(config);
  }
}

/**
 * The order of a merged associative list or set, as upstream's merge (structured-merge-diff's
 * list walk): the items the configuration shares with the live list come in the
 * configuration's order; a new item comes where the configuration puts it, before the shared
 * item that follows it there; a live item the configuration leaves out keeps its place among
 * the live items around it. So applying [A, B] over a live [B] gives [A, B], not [B, A] (an
 * env var or an init container added in front stays in front).
 *
 * `merge(l, r, duplicated)` makes the output item from the live item (undefined: new) and the
 * applied one; `duplicated`: the live list holds the key more than once (its copies become one).
 */
function mergeListOrder(live: unknown[], config: unknown[], keyOf: (item: unknown) => string, merge: (l: unknown, r: unknown, duplicated: boolean) => unknown): unknown[] {
  const liveKeys = live.map(keyOf);
  const configKeys = config.map(keyOf);
  const liveByKey = new Map<string, { item: unknown; count: number }>();
  liveKeys.forEach((k, i) => {
    const seen = liveByKey.get(k);
    if (seen) seen.count++;
    else liveByKey.set(k, { item: live[i], count: 1 });
  });
  const configByKey = new Map<string, unknown>();
  configKeys.forEach((k, i) => configByKey.set(k, config[i]));
  // The shared keys in the configuration's order; `next` is the one due.
  const shared = [...configByKey.keys()].filter((k) => liveByKey.has(k));
  let nextIdx = 0;
  const out: unknown[] = [];
  const emitted = new Set<string>();
  const emit = (k: string): void => {
    const l = liveByKey.get(k);
    out.push(merge(l?.item, configByKey.get(k), (l?.count ?? 0) > 1));
    emitted.add(k);
    if (shared[nextIdx] === k) nextIdx++;
  };
  let li = 0;
  let ri = 0;
  while (li < live.length || ri < config.length) {
    const lk = liveKeys[li];
    const rk = configKeys[ri];
    if (lk !== undefined && emitted.has(lk) && configByKey.has(lk)) {
      li++; // merged already (a repeated key of either list)
      continue;
    }
    if (rk !== undefined && emitted.has(rk)) {
      ri++;
      continue;
    }
    if (lk !== undefined && rk !== undefined) {
      if (lk === rk) {
        emit(rk);
        li++;
        ri++;
        continue;
      }
      // A shared item that is not the one due: it comes when the configuration reaches it.
      if (configByKey.has(lk) && nextIdx < shared.length && shared[nextIdx] !== lk) {
        li++;
        continue;
      }
    }
    if (lk !== undefined && !configByKey.has(lk)) {
      out.push(deepClone(live[li])); // the configuration leaves it out: it keeps its place
      li++;
      continue;
    }
    if (rk !== undefined) {
      emit(rk);
      ri++;
      continue;
    }
    li++; // a shared live item once the configuration is done: emitted above
  }
  return out;
}
