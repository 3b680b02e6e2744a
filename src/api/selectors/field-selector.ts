// Field selectors (`?fieldSelector=`), with apimachinery's parser (pkg/fields/selector.go) and
// the per-kind field label sets of the upstream registries and conversion funcs.
//
// Contract: a field absent from an object's selectable set compares as the empty string
// (upstream's fields.Set.Get), so `involvedObject.namespace=` matches cluster-scoped objects.

import { badRequest } from '../errors.js';
import type { KubeObject } from '../types.js';

export interface FieldRequirement {
  field: string;
  /** `==` is normalised to `=`. */
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
  isEmpty(): boolean;
  toString(): string;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Escapes `\`, `,` and `=` in a value (upstream's fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class FieldSelectorImpl implements FieldSelector {
  readonly requirements: FieldRequirement[];
  constructor(reqs: FieldRequirement[]) {
    this.requirements = reqs;
    Object.freeze(reqs);
    for (const r of reqs) Object.freeze(r);
  }
  matches(fields: Record<string, string>): boolean {
    const reqs = this.requirements;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      const v = hasOwn.call(fields, r.field) ? fields[r.field]! : '';
      if ((v === r.value) !== (r.op === '=')) return false;
    }
    return true;
  }
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** Splits on unescaped commas; escapes are kept for unescapeValue. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** First occurrence of an operator splits the term; the field part has no escaping. */
function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses `path=value`, `path==value`, `path!=value`, comma = AND, with upstream's backslash
 * escapes (`\,` `\=` `\\`) in values. Empty values are allowed. Terms are sorted as upstream
 * sorts them. Throws ApiError 400 BadRequest.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, op: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return new FieldSelectorImpl(reqs);
}

/** A selector from already parsed requirements (e.g. built by a controller). */
export function fieldSelectorFromRequirements(reqs: FieldRequirement[]): FieldSelector {
  return new FieldSelectorImpl(reqs.map((r) => ({ ...r })));
}

// ---------------------------------------------------------------------------------------------
// Per-kind selectable fields.

type FieldGetter = (obj: KubeObject) => string;

function path(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || !hasOwn.call(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function str(obj: unknown, ...keys: string[]): string {
  const v = path(obj, ...keys);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** An int32 field as Go's strconv.Itoa writes it: an absent one is its zero, `0`. */
function int(obj: unknown, ...keys: string[]): string {
  const v = path(obj, ...keys);
  return typeof v === 'number' ? String(v) : '0';
}

function bool(obj: unknown, ...keys: string[]): string {
  return path(obj, ...keys) === true ? 'true' : 'false';
}

interface KindFields {
  /** Field label -> getter. Every key here is also an accepted label. */
  fields: Record<string, FieldGetter>;
  /** Accepted labels renamed to another label (upstream's backward-compatible aliases). */
  aliases?: Record<string, string>;
  /** Upstream's message for an unsupported label. */
  unsupported: (label: string) => string;
}

const metaName: FieldGetter = (o) => str(o, 'metadata', 'name');
const metaNamespace: FieldGetter = (o) => str(o, 'metadata', 'namespace');

const explicitUnsupported = (label: string): string => `field label not supported: ${label}`;

function podIP(o: KubeObject): string {
  const ips = path(o, 'status', 'podIPs');
  if (Array.isArray(ips) && ips.length > 0) return str(ips[0], 'ip');
  return str(o, 'status', 'podIP');
}

/**
 * An Event's selectable fields, read from the core form (the form both Event versions are stored
 * in), labelled as a version names them: `ref` for involvedObject (`regarding` in
 * events.k8s.io/v1) and `reporting` for reportingComponent (`reportingController`).
 */
function eventFields(ref: string, reporting: string): Record<string, FieldGetter> {
  const out: Record<string, FieldGetter> = { 'metadata.name': metaName, 'metadata.namespace': metaNamespace };
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) out[`${ref}.${f}`] = (o) => str(o, 'involvedObject', f);
  out.reason = (o) => str(o, 'reason');
  out[reporting] = (o) => str(o, 'reportingComponent');
  out.source = (o) => str(o, 'source', 'component') || str(o, 'reportingComponent');
  out.type = (o) => str(o, 'type');
  return out;
}

/** Keyed by `<group>/<Kind>`; kinds not listed get upstream's default (name and namespace). */
const KINDS: Record<string, KindFields> = {
  '/Pod': {
    fields: {
      'metadata.name': metaName,
      'metadata.namespace': metaNamespace,
      'spec.nodeName': (o) => str(o, 'spec', 'nodeName'),
      'spec.restartPolicy': (o) => str(o, 'spec', 'restartPolicy'),
      'spec.schedulerName': (o) => str(o, 'spec', 'schedulerName'),
      'spec.serviceAccountName': (o) => str(o, 'spec', 'serviceAccountName'),
      'spec.hostNetwork': (o) => bool(o, 'spec', 'hostNetwork'),
      'status.phase': (o) => str(o, 'status', 'phase'),
      'status.podIP': podIP,
      'status.nominatedNodeName': (o) => str(o, 'status', 'nominatedNodeName'),
    },
    // Accepted by upstream's conversion but not in its selectable set: always compares as ''.
    aliases: { 'spec.host': 'spec.nodeName', 'status.podIPs': 'status.podIPs' },
    unsupported: explicitUnsupported,
  },
  '/Node': {
    fields: { 'metadata.name': metaName, 'spec.unschedulable': (o) => bool(o, 'spec', 'unschedulable') },
    unsupported: explicitUnsupported,
  },
  '/Event': { fields: eventFields('involvedObject', 'reportingComponent'), unsupported: explicitUnsupported },
  // The same Events through events.k8s.io/v1: upstream's field label conversion of that version
  // (regarding.* for involvedObject.*, reportingController for reportingComponent, source kept),
  // read from the core form the objects are stored in.
  'events.k8s.io/Event': { fields: eventFields('regarding', 'reportingController'), unsupported: explicitUnsupported },
  '/Namespace': {
    fields: { 'metadata.name': metaName, 'status.phase': (o) => str(o, 'status', 'phase') },
    unsupported: explicitUnsupported,
  },
  '/Secret': {
    fields: { 'metadata.name': metaName, 'metadata.namespace': metaNamespace, type: (o) => str(o, 'type') },
    unsupported: explicitUnsupported,
  },
  '/Service': {
    fields: {
      'metadata.name': metaName,
      'metadata.namespace': metaNamespace,
      'spec.clusterIP': (o) => str(o, 'spec', 'clusterIP'),
      'spec.type': (o) => str(o, 'spec', 'type'),
    },
    unsupported: explicitUnsupported,
  },
  '/ReplicationController': {
    fields: { 'metadata.name': metaName, 'metadata.namespace': metaNamespace, 'status.replicas': (o) => int(o, 'status', 'replicas') },
    unsupported: explicitUnsupported,
  },
  'apps/ReplicaSet': {
    fields: { 'metadata.name': metaName, 'metadata.namespace': metaNamespace, 'status.replicas': (o) => int(o, 'status', 'replicas') },
    unsupported: explicitUnsupported,
  },
};

const DEFAULT_KIND: KindFields = {
  fields: { 'metadata.name': metaName, 'metadata.namespace': metaNamespace },
  unsupported: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/**
 * A custom resource version's field selector set: metadata.name, metadata.namespace (namespaced
 * kinds only) and the version's `selectableFields` (their jsonPaths without the leading dot).
 */
export interface CustomSelectableFields {
  namespaced: boolean;
  /** Each a CRD's `selectableFields[].jsonPath` (`.spec.color`, `.spec.labels['a.b']`). */
  jsonPaths: readonly string[];
}

/** The keys a selectable field's jsonPath walks: `.a.b` and `['k']` steps. */
function jsonPathSteps(jsonPath: string): string[] {
  const steps: string[] = [];
  for (const m of jsonPath.matchAll(/\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]/g)) steps.push(m[1] ?? m[2]!.replace(/\\(.)/g, '$1'));
  return steps;
}

/**
 * A custom resource's value of a selectable field, as upstream's strategy renders it: absent or
 * null is '', anything else Go's fmt.Sprint of it (strings as they are, true/false, integers in
 * decimal).
 */
function customFieldGetter(jsonPath: string): FieldGetter {
  const steps = jsonPathSteps(jsonPath);
  return (o) => {
    const v = path(o, ...steps);
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  };
}

const customKinds = new WeakMap<CustomSelectableFields, KindFields>();

function customKindFields(custom: CustomSelectableFields): KindFields {
  let kf = customKinds.get(custom);
  if (!kf) {
    const fields: Record<string, FieldGetter> = { 'metadata.name': metaName };
    if (custom.namespaced) fields['metadata.namespace'] = metaNamespace;
    for (const p of custom.jsonPaths) fields[p.startsWith('.') ? p.slice(1) : p] = customFieldGetter(p);
    // upstream's custom resource field label conversion: this message for every other label.
    kf = { fields, unsupported: explicitUnsupported };
    customKinds.set(custom, kf);
  }
  return kf;
}

function kindFields(groupKind: string, custom?: CustomSelectableFields): KindFields {
  if (custom) return customKindFields(custom);
  return hasOwn.call(KINDS, groupKind) ? KINDS[groupKind]! : DEFAULT_KIND;
}

/**
 * The selectable fields of an object, per kind, as upstream's registries compute them
 * (GetAttrs / ToSelectableFields). groupKind is `<group>/<Kind>`, e.g. 'apps/DaemonSet', '/Pod'.
 * Always includes metadata.name and metadata.namespace ('' for cluster-scoped objects).
 */
export function selectableFields(groupKind: string, obj: KubeObject, custom?: CustomSelectableFields): Record<string, string> {
  const kf = kindFields(groupKind, custom);
  const out: Record<string, string> = { 'metadata.name': metaName(obj), 'metadata.namespace': metaNamespace(obj) };
  for (const [label, get] of Object.entries(kf.fields)) out[label] = get(obj);
  return out;
}

/**
 * Upstream's field label conversion: rejects labels the kind does not support (ApiError 400,
 * upstream's message: `field label not supported: <f>` for kinds with their own label set,
 * `"<f>" is not a known field selector: only "metadata.name", "metadata.namespace"` for the
 * rest) and renames legacy aliases (pods: `spec.host` -> `spec.nodeName`).
 */
export function convertFieldSelector(groupKind: string, sel: FieldSelector, custom?: CustomSelectableFields): FieldSelector {
  const kf = kindFields(groupKind, custom);
  let changed = false;
  const reqs = sel.requirements.map((r) => {
    if (hasOwn.call(kf.fields, r.field)) return r;
    if (kf.aliases && hasOwn.call(kf.aliases, r.field)) {
      const to = kf.aliases[r.field]!;
      if (to === r.field) return r;
      changed = true;
      return { ...r, field: to };
    }
    throw badRequest(kf.unsupported(r.field));
  });
  return changed ? new FieldSelectorImpl(reqs) : sel;
}

/** Throws ApiError 400 when the selector uses a field label the kind does not support. */
export function checkFieldSelector(groupKind: string, sel: FieldSelector, custom?: CustomSelectableFields): void {
  convertFieldSelector(groupKind, sel, custom);
}
