// Field ownership (server-side apply's managedFields), restated from upstream's field manager.
//
// Every entry of metadata.managedFields says which fields one manager owns, and whether it set
// them by Apply (a declared configuration) or by Update (any other write). The rules:
// - Apply merges the configuration into the live object. Fields the manager applied before and
//   no longer applies are removed unless another manager owns them. A changed field that
//   another manager owns is a conflict (409) unless `force`, which takes it over.
// - Update (create, PUT, patches) takes ownership of the fields it changed from everyone else.
// - Tracking starts with the first apply (upstream's skip-non-applied manager, with its
//   track-on-create probability set to 0). Objects never applied carry no managedFields, so
//   controller-made objects such as daemon pods pay nothing for ownership. The first apply to
//   an existing object gives its existing fields to the `before-first-apply` manager.
// - A manager whose field set becomes empty (another manager forced or wrote its fields away)
//   leaves managedFields, Apply and Update entries alike, as in structured-merge-diff; the
//   applier of the write being made keeps its entry even when its configuration owns nothing
//   (the mark that the object is applied, so re-applying it is a no-op).
// - `kubectl` applies to an object that carries kubectl's client-side last-applied annotation
//   are not conflicts on fields that annotation still describes (upstream's upgrade path from
//   client-side apply), and keep the annotation up to date.
// - apiVersion, kind and server-set metadata are never owned; status is not owned through the
//   main resource, and only status is owned through /status.

import { ApiError } from '../errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../types.js';
import { goJson } from '../../util/index.js';
import type { SchemaNode } from '../schema/index.js';
import { isObject, MAX_NESTING_DEPTH, type JsonObject } from '../patch/json-value.js';
import {
  compare,
  difference,
  duplicateEntries,
  intersection,
  isEmptySet,
  members,
  mergeApplied,
  pathString,
  abandonedStructs,
  removeFields,
  setsEqual,
  fromWire,
  toFieldSet,
  toWire,
  union,
  unownedMembers,
  type FieldSet,
} from './fieldset.js';

export type { FieldSet } from './fieldset.js';

export const beforeFirstApplyManager = 'before-first-apply';
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
const maxManagerLength = 128;

/** What the field manager needs to know about the kind being written. */
export interface ManagedKind {
  /** Root schema of the kind (resolved). */
  schema: SchemaNode;
  /** `apps/v1`, `v1`: the version the field sets are expressed in. */
  apiVersion: string;
  /** The kind has a status that only /status writes. */
  hasStatus: boolean;
  /**
   * The kind's defaulting (in place). Applied to the merged object before changes are computed,
   * so a configuration that omits a defaulted value inside an atomic struct (fieldRef's
   * apiVersion) changes nothing and conflicts with nobody.
   */
  applyDefaults?: (obj: KubeObject) => void;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource: string;
  apiVersion: string;
  time: string | undefined;
  set: FieldSet;
  /**
   * The entry of the apply being made: kept even when it owns nothing, because its presence
   * marks the object as applied (tracking starts at the first apply here, unlike upstream,
   * which tracks every object and so drops every empty entry).
   */
  keep?: boolean;
}

// ---------------------------------------------------------------------------------------
// The managedFields field

/** Parses metadata.managedFields; undefined when any entry is malformed (upstream then resets). */
function decodeOwners(entries: unknown): Owner[] | undefined {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return undefined;
  const out: Owner[] = [];
  for (const e of entries) {
    if (!isObject(e)) return undefined;
    const { manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource } = e as JsonObject;
    if (typeof manager !== 'string' || (operation !== 'Apply' && operation !== 'Update')) return undefined;
    if (fieldsType !== undefined && fieldsType !== 'FieldsV1') return undefined;
    if (fieldsV1 !== undefined && !isFieldSet(fieldsV1)) return undefined;
    out.push({
      manager,
      operation,
      subresource: typeof subresource === 'string' ? subresource : '',
      apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
      time: typeof time === 'string' ? time : undefined,
      set: fieldsV1 === undefined ? {} : fromWire(fieldsV1 as FieldSet),
    });
  }
  return out;
}

/**
 * A fieldsV1 value is objects all the way down. Its depth follows the object it describes (one
 * level per field or item), so it is bounded by the nesting the API accepts, not by less: a
 * tighter bound read an owner of a deeply nested custom resource as invalid, and the next apply
 * then conflicted with the stand-in owner.
 */
function isFieldSet(v: unknown, depth = 0): v is FieldSet {
  if (!isObject(v) || depth > MAX_NESTING_DEPTH + 1) return false;
  for (const k of Object.keys(v)) if (!isFieldSet(v[k], depth + 1)) return false;
  return true;
}

/** `[{}]` (every entry empty): the request asks to clear managedFields. */
function isReset(entries: unknown): boolean {
  return Array.isArray(entries) && entries.length > 0 && entries.every((e) => isObject(e) && Object.keys(e).length === 0);
}

/**
 * Upstream's order: Apply before Update, then by time, manager, apiVersion, subresource. An
 * entry that owns nothing is left out (structured-merge-diff removes a manager whose set became
 * empty, e.g. after another manager forced its only field away), except the current applier's.
 * Undefined when no entry is left: the object is then untracked again until its next apply.
 */
function encodeOwners(owners: Owner[]): ManagedFieldsEntry[] | undefined {
  const kept = owners.filter((o) => o.keep || !isEmptySet(o.set));
  if (kept.length === 0) return undefined;
  const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  kept.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    if (seconds(p.time) !== seconds(q.time)) return seconds(p.time) - seconds(q.time);
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  return kept.map((o) => {
    const e: ManagedFieldsEntry = { manager: o.manager, operation: o.operation, apiVersion: o.apiVersion };
    if (o.time !== undefined) e.time = o.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = toWire(o.set);
    if (o.subresource) e.subresource = o.subresource;
    return e;
  });
}

/** Upstream's cap on Update entries (maxUpdateManagers) and the name of the bucket they fold into. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

/**
 * Keeps at most MAX_UPDATE_MANAGERS Update entries, as upstream does: the oldest (by time,
 * then name) are folded into an `ancient-changes` Update entry of their API version, which owns
 * the union of their fields. Apply entries are never folded.
 */
function capUpdateManagers(owners: Owner[]): Owner[] {
  const updaters = owners.filter((o) => o.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return owners;
  const seconds = (o: Owner) => (o.time ? Math.floor(Date.parse(o.time) / 1000) : 0);
  updaters.sort((a, b) => seconds(a) - seconds(b) || (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0));
  let out = [...owners];
  let count = updaters.length;
  for (const o of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    if (o.manager === ANCIENT_CHANGES && o.subresource === '') continue;
    let bucket = out.find((b) => b.manager === ANCIENT_CHANGES && b.operation === 'Update' && b.subresource === '' && b.apiVersion === o.apiVersion);
    out = out.filter((x) => x !== o);
    if (bucket) {
      bucket.set = union(bucket.set, o.set);
      if (seconds(o) > seconds(bucket)) bucket.time = o.time;
      count--;
    } else {
      bucket = { manager: ANCIENT_CHANGES, operation: 'Update', subresource: '', apiVersion: o.apiVersion, time: o.time, set: o.set };
      out.push(bucket);
    }
  }
  return out;
}

function setOwners(obj: KubeObject, owners: Owner[]): void {
  const entries = encodeOwners(capUpdateManagers(owners));
  if (entries === undefined) delete obj.metadata.managedFields;
  else obj.metadata.managedFields = entries;
}

function ownerOf(owners: Owner[], manager: string, operation: 'Apply' | 'Update', subresource: string): Owner | undefined {
  return owners.find((o) => o.manager === manager && o.operation === operation && o.subresource === subresource);
}

// ---------------------------------------------------------------------------------------
// Fields nobody owns

const serverMetadata = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** Drops what is never owned, and what the subresource does not write. */
function ownable(set: FieldSet, kind: ManagedKind, subresource: string): FieldSet {
  const out: FieldSet = {};
  for (const k of Object.keys(set)) {
    if (k === 'f:apiVersion' || k === 'f:kind' || k === '.') continue;
    if (kind.hasStatus && (subresource === 'status') !== (k === 'f:status')) continue;
    if (k === 'f:metadata') {
      const meta: FieldSet = {};
      for (const m of Object.keys(set[k]!)) if (m !== '.' && !serverMetadata.includes(m.slice(2))) meta[m] = set[k]![m]!;
      if (!isEmptySet(meta)) out[k] = meta;
      continue;
    }
    out[k] = set[k]!;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Managers

/**
 * The manager of a write that names none: upstream uses the User-Agent up to its first "/"
 * (`kubectl/v1.32.0 (linux/amd64) ...` → `kubectl`).
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  let m = managersByUserAgent.get(ua);
  if (m === undefined) {
    m = managerOf(ua);
    // Bounded: a client per user agent, a few dozen in a cluster; emptied if ever full.
    if (managersByUserAgent.size >= 256) managersByUserAgent.clear();
    managersByUserAgent.set(ua, m);
  }
  return m;
}

/** managerFromUserAgent's answers: a pure function of the header, asked on every write. */
const managersByUserAgent = new Map<string, string>();

function managerOf(userAgent: string): string {
  let out = '';
  let bytes = 0;
  for (const ch of userAgent.split('/')[0]!) {
    if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch)) continue; // unprintable: left out, as upstream
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxManagerLength) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** upstream's checks on the fieldManager query parameter (422 on PatchOptions/UpdateOptions/CreateOptions). */
export function validateFieldManager(manager: string, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): void {
  const bad = (detail: string, reason: string) =>
    new ApiError(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: fieldManager: ${detail}`, {
      group: 'meta.k8s.io',
      kind: options,
      causes: [{ reason, message: detail, field: 'fieldManager' }],
    });
  if (Buffer.byteLength(manager) > maxManagerLength) throw bad(`Too long: may not be more than ${maxManagerLength} bytes`, 'FieldValueTooLong');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(manager)) throw bad(`Invalid value: ${JSON.stringify(manager)}: must only contain printable characters`, 'FieldValueInvalid');
}

// ---------------------------------------------------------------------------------------
// Apply

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** '' for the main resource, 'status' for /status. */
  subresource: string;
  /** RFC 3339 time of the write. */
  now: string;
}

/**
 * Server-side apply of `config` (decoded, not defaulted) to `live` (undefined: the object is
 * being created). Returns the object to store, with managedFields updated. Throws ApiError 409
 * (reason Conflict, causes of type FieldManagerConflict) on conflicts without `force`, and 400
 * when the configuration carries managedFields. Neither input is modified.
 */
export function applyConfiguration(live: KubeObject | undefined, config: KubeObject, kind: ManagedKind, opts: ApplyOptions): KubeObject {
  if (config.metadata?.managedFields !== undefined) throw new ApiError(400, 'BadRequest', 'metadata.managedFields must be nil');
  refuseDuplicateEntries(config, kind);
  const { manager, subresource, now } = opts;
  let owners = live ? decodeOwners(live.metadata.managedFields) ?? [] : [];
  if (live && owners.length === 0) {
    // First apply to an object nobody applied: its fields so far belong to before-first-apply.
    const existing = ownable(toFieldSet(live, kind.schema), kind, subresource);
    owners = [{ manager: beforeFirstApplyManager, operation: 'Update', subresource, apiVersion: kind.apiVersion, time: now, set: existing }];
  }
  const base = live ?? ({ metadata: {} } as KubeObject);
  const merged = mergeApplied(base, config, kind.schema) as KubeObject;
  const applied = ownable(toFieldSet(config, kind.schema), kind, subresource);
  const mine = ownerOf(owners, manager, 'Apply', subresource);
  const others = owners.filter((o) => o !== mine);

  // Fields this manager applied last time and not now go, unless someone else owns them.
  if (mine && !isEmptySet(mine.set)) {
    const othersOwn = others.reduce<FieldSet>((acc, o) => union(acc, o.set), {});
    const drop = union(unownedMembers(difference(mine.set, applied), othersOwn), abandonedStructs(mine.set, applied, othersOwn, merged, kind.schema));
    if (!isEmptySet(drop)) removeFields(merged as unknown as JsonObject, drop, kind.schema);
  }

  kind.applyDefaults?.(merged);
  const change = compare(base, merged, kind.schema);
  const changed = ownable(union(change.modified, change.added), kind, subresource);
  const removed = ownable(change.removed, kind, subresource);
  const conflicts: Array<{ owner: Owner; set: FieldSet }> = [];
  for (const o of others) {
    const c = intersection(o.set, changed);
    if (!isEmptySet(c)) conflicts.push({ owner: o, set: c });
  }
  if (conflicts.length > 0 && !opts.force && !(manager === 'kubectl' && live && coveredByLastApplied(live, conflicts, kind))) {
    throw conflictError(conflicts);
  }
  for (const { owner, set } of conflicts) owner.set = difference(owner.set, set);
  if (!isEmptySet(removed)) for (const o of others) o.set = difference(o.set, removed);

  // Only what this write may own counts: a status in the configuration of a main-resource
  // apply is reset to the stored one afterwards, so it changes nothing.
  const objectChanged = !isEmptySet(changed) || !isEmptySet(removed);
  if (mine) {
    if (objectChanged || !setsEqual(mine.set, applied)) mine.time = objectChanged || mine.time === undefined ? now : mine.time;
    mine.set = applied;
    mine.apiVersion = kind.apiVersion;
    mine.keep = true;
  } else {
    owners.push({ manager, operation: 'Apply', subresource, apiVersion: kind.apiVersion, time: now, set: applied, keep: true });
  }
  if (manager === 'kubectl' && live?.metadata.annotations?.[lastAppliedAnnotation] !== undefined) {
    merged.metadata.annotations = { ...(merged.metadata.annotations ?? {}), [lastAppliedAnnotation]: lastAppliedOf(config) };
  }
  setOwners(merged, owners);
  return merged;
}

/** True when every conflict is on a field kubectl's last-applied annotation set and the live object still has as applied. */
function coveredByLastApplied(live: KubeObject, conflicts: Array<{ set: FieldSet }>, kind: ManagedKind): boolean {
  const text = live.metadata.annotations?.[lastAppliedAnnotation];
  if (!text) return false;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(last) || last.apiVersion !== kind.apiVersion) return false;
  const c = compare(last, live, kind.schema);
  const allowed = difference(difference(difference(toFieldSet(last, kind.schema), c.modified), c.added), c.removed);
  return conflicts.every(({ set }) => isEmptySet(difference(set, allowed)));
}

/**
 * The annotation kubectl's client-side apply would write for this configuration, as upstream's
 * apply writes it: Go's JSON encoding (keys sorted, `<`, `>`, `&` escaped) and a newline.
 */
function lastAppliedOf(config: KubeObject): string {
  const copy = structuredClone(config);
  const ann = copy.metadata?.annotations;
  if (ann) {
    delete ann[lastAppliedAnnotation];
    if (Object.keys(ann).length === 0) delete copy.metadata.annotations;
  }
  return `${goJson(copy)}\n`;
}

function describeOwner(o: Owner): string {
  let s = JSON.stringify(o.manager);
  if (o.subresource) s += ` with subresource ${JSON.stringify(o.subresource)}`;
  // Never the time: upstream names managers by identifiers built without it.
  if (o.operation === 'Update') s += ` using ${o.apiVersion}`;
  return s;
}

/**
 * Refuses a configuration that repeats a key of an associative list or a set, in the words of
 * upstream's apply ("failed to create typed patch object (ns/name; apps/v1, Kind=DaemonSet):
 * .spec...env: duplicate entries for key [name="A"]"). Upstream answers that with a 500, which
 * clients retry; here it is a 400 BadRequest, since the request itself is at fault.
 */
function refuseDuplicateEntries(config: KubeObject, kind: ManagedKind): void {
  const errors = duplicateEntries(config, kind.schema);
  if (errors.length === 0) return;
  const apiVersion = typeof config.apiVersion === 'string' ? config.apiVersion : kind.apiVersion;
  const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  const what = `${config.metadata?.namespace ?? ''}/${config.metadata?.name ?? ''}; ${gv}, Kind=${config.kind ?? ''}`;
  const detail = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
  throw new ApiError(400, 'BadRequest', `failed to create typed patch object (${what}): ${detail}`);
}

/** upstream's apply conflict: 409 Conflict, one FieldManagerConflict cause per field. */
function conflictError(conflicts: Array<{ owner: Owner; set: FieldSet }>): ApiError {
  const all: Array<{ who: string; path: string }> = [];
  for (const { owner, set } of conflicts) for (const p of members(set)) all.push({ who: describeOwner(owner), path: pathString(p) });
  let message: string;
  if (all.length === 1) message = `Apply failed with 1 conflict: conflict with ${all[0]!.who}: ${all[0]!.path}`;
  else {
    const byOwner = new Map<string, string[]>();
    for (const c of all) {
      const paths = byOwner.get(c.who);
      if (paths) paths.push(c.path);
      else byOwner.set(c.who, [c.path]);
    }
    const lines: string[] = [];
    for (const who of [...byOwner.keys()].sort()) {
      lines.push(`conflicts with ${who}:`);
      for (const p of byOwner.get(who)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: all.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.who}`, field: c.path })),
  });
}

// ---------------------------------------------------------------------------------------
// Update

/**
 * Records an Update by `manager` of `old` into `next` (in place): the fields it changed become
 * its own and leave every other manager. The managedFields of `next` as the request sent them
 * decide the starting point: absent or `[]` keeps the stored ones, `[{}]` clears them, others
 * replace them. Objects without managedFields stay without (tracking starts at the first apply).
 */
export function recordUpdate(old: KubeObject, next: KubeObject, kind: ManagedKind, manager: string, subresource: string, now: string): void {
  const requested = next.metadata.managedFields as unknown;
  let owners: Owner[];
  if (requested === undefined || (Array.isArray(requested) && requested.length === 0)) owners = decodeOwners(old.metadata.managedFields) ?? [];
  else if (isReset(requested)) owners = [];
  else owners = decodeOwners(requested) ?? decodeOwners(old.metadata.managedFields) ?? [];
  if (owners.length === 0) {
    delete next.metadata.managedFields;
    return;
  }
  const change = compare(old, next, kind.schema);
  const changed = ownable(union(change.modified, change.added), kind, subresource);
  const removed = ownable(change.removed, kind, subresource);
  let mine = ownerOf(owners, manager, 'Update', subresource);
  for (const o of owners) if (o !== mine) o.set = difference(difference(o.set, changed), removed);
  if (!isEmptySet(changed) || !isEmptySet(removed)) {
    if (!mine) {
      mine = { manager, operation: 'Update', subresource, apiVersion: kind.apiVersion, time: now, set: {} };
      owners.push(mine);
    }
    mine.set = difference(union(mine.set, changed), removed);
    mine.time = now;
    mine.apiVersion = kind.apiVersion;
  }
  setOwners(next, owners);
}
