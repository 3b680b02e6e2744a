// Revision payloads and hashes (upstream getPatch, Match, ComputeHash; decision 5).
//
// Payload: `{"spec":{"template":{...template..., "$patch":"replace"}}}` as canonical JSON
// (keys sorted at every level, no whitespace), with what Go's typed encoding of the template
// always emits added where the served object omits it: `creationTimestamp: null` in the
// template metadata and `resources: {}` in every container (non-pointer structs are never
// omitted), and what it never emits dropped: empty omitempty lists and maps (`tolerations: []`). This is byte-identical to what kubectl computes (it round-trips the DS through its
// Go types), so `rollout undo` to the current revision is skipped. Matching a DS against a
// revision applies the same completion to the stored data (revisions written before
// `resources: {}` was added still match), canonicalises, and compares strings.
//
// Hash: 32-bit FNV-1a over the canonical JSON of that normalised template, then (when
// collisionCount is set) over 8 bytes: uint32 little-endian collisionCount + 4 zero bytes;
// the decimal string of the sum is mapped through upstream's safe alphabet, so hashes match
// ^[4-9bcdf]{1,10}$. Stable across releases by construction: changing the input format
// changes every hash and rolls every DaemonSet.

import type { ControllerRevision, DaemonSet, PodTemplateSpec } from '../../api/types.js';
import { formatQuantity, parseQuantity } from '../../api/validation/quantity.js';
import { templateAsGoSees } from '../../api/pod-template.js';

/** JSON with recursively sorted object keys; `undefined` members are dropped as JSON.stringify does. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === 'function' ? 'null' : canonicalJSON(x))).join(',')}]`;
  const keys = Object.keys(v as object).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJSON(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The template the hash is computed over: metadata present, creationTimestamp null when unset.
 * Kept as is (the hash input must not change: every DaemonSet would roll); revision payloads
 * use `kubectlTemplate`.
 */
export function normalizedTemplate(t: PodTemplateSpec): Record<string, unknown> {
  const metadata = { ...(t.metadata ?? {}) } as Record<string, unknown>;
  if (metadata['creationTimestamp'] === undefined) metadata['creationTimestamp'] = null;
  return { ...(t as unknown as Record<string, unknown>), metadata };
}

const containerLists = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * The template as kubectl's Go types serialise it: `normalizedTemplate` of the template as Go
 * sees it (templateAsGoSees: no zero-valued value fields, no empty lists, no empty omitempty
 * maps), plus `resources: {}` in every container that has none. Returns new objects down to the changed containers.
 */
export function kubectlTemplate(t: PodTemplateSpec): Record<string, unknown> {
  const out = normalizedTemplate(templateAsGoSees(t));
  const spec = out['spec'];
  if (!spec || typeof spec !== 'object') return out;
  let specCopy: Record<string, unknown> | undefined;
  for (const list of containerLists) {
    const cs = (spec as Record<string, unknown>)[list];
    if (!Array.isArray(cs) || !cs.some((c) => c && typeof c === 'object' && (c as Record<string, unknown>)['resources'] === undefined)) continue;
    specCopy ??= { ...(spec as Record<string, unknown>) };
    specCopy[list] = cs.map((c: unknown) => (c && typeof c === 'object' && (c as Record<string, unknown>)['resources'] === undefined ? { ...(c as object), resources: {} } : c));
  }
  if (specCopy) out['spec'] = specCopy;
  return out;
}

/** A quantity in the form the API server stores it (`0.5` → `500m`); anything unparseable as is. */
function canonicalQuantity(v: unknown): unknown {
  if (typeof v !== 'string' && typeof v !== 'number') return v;
  const q = parseQuantity(String(v).trim());
  return q ? formatQuantity(q) : v;
}

function canonicalQuantityMap(m: unknown): unknown {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return m;
  return Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([k, v]) => [k, canonicalQuantity(v)]));
}

/**
 * The template with its resource quantities (containers' requests and limits, the pod's
 * overhead) in canonical form: templates and revisions stored by builds that kept quantities
 * as sent (`cpu: "0.5"`) compare equal to the canonical form this build stores, so the current
 * revision is still found (and an undo to such a revision renumbers it rather than adding a
 * duplicate). Templates already canonical come back unchanged (new objects where a quantity is).
 */
function withCanonicalQuantities(t: Record<string, unknown>): Record<string, unknown> {
  const spec = t['spec'];
  if (!spec || typeof spec !== 'object') return t;
  const s = { ...(spec as Record<string, unknown>) };
  for (const list of containerLists) {
    const cs = s[list];
    if (!Array.isArray(cs)) continue;
    s[list] = cs.map((c: unknown) => {
      const r = c && typeof c === 'object' ? (c as Record<string, unknown>)['resources'] : undefined;
      if (!r || typeof r !== 'object') return c;
      const rr = { ...(r as Record<string, unknown>) };
      for (const f of ['requests', 'limits']) if (rr[f] !== undefined) rr[f] = canonicalQuantityMap(rr[f]);
      return { ...(c as object), resources: rr };
    });
  }
  if (s['overhead'] !== undefined) s['overhead'] = canonicalQuantityMap(s['overhead']);
  return { ...t, spec: s };
}

/** §9.1 revision payload as a canonical JSON string. */
export function revisionPayload(ds: DaemonSet): string {
  return canonicalJSON({ spec: { template: { ...withCanonicalQuantities(kubectlTemplate(ds.spec.template)), $patch: 'replace' } } });
}

/** Stored revision data completed as `revisionPayload` completes a template (see the header). */
function completedData(d: unknown): unknown {
  const tmpl = (d as { spec?: { template?: unknown } } | null)?.spec?.template;
  if (!tmpl || typeof tmpl !== 'object') return d;
  const dd = d as { spec: Record<string, unknown> };
  return { ...dd, spec: { ...dd.spec, template: { ...withCanonicalQuantities(kubectlTemplate(tmpl as PodTemplateSpec)), ...('$patch' in tmpl ? { $patch: (tmpl as Record<string, unknown>)['$patch'] } : {}) } } };
}

/** The payload object (what goes into ControllerRevision.data). */
export function revisionData(ds: DaemonSet): unknown {
  return JSON.parse(revisionPayload(ds)) as unknown;
}

/** Canonical JSON of a stored revision's data (which may be a string or an object). */
export function revisionDataJSON(rev: ControllerRevision): string {
  const d = rev.data;
  if (typeof d === 'string') {
    try {
      return canonicalJSON(completedData(JSON.parse(d)));
    } catch {
      return d;
    }
  }
  return canonicalJSON(completedData(d ?? null));
}

/** True when `rev` stores exactly the DS's current template. */
export function matchRevision(ds: DaemonSet, rev: ControllerRevision): boolean {
  return revisionDataJSON(rev) === revisionPayload(ds);
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** apimachinery rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Decision 5 hash of a template (+ collisionCount when defined). */
export function computeHash(template: PodTemplateSpec, collisionCount: number | undefined): string {
  let h = fnv1a32(Buffer.from(canonicalJSON(normalizedTemplate(template)), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(b, h);
  }
  return safeEncodeString(String(h));
}

export function maxRevision(revs: ControllerRevision[]): number {
  let m = 0;
  for (const r of revs) if (r.revision > m) m = r.revision;
  return m;
}

/**
 * A revision's name, as upstream's ControllerRevisionName: `<owner>-<hash>`, the owner's name
 * cut to 223 characters so the name stays within 253 for every DaemonSet name the API accepts.
 */
export function controllerRevisionName(owner: string, hash: string): string {
  return `${owner.length > 223 ? owner.slice(0, 223) : owner}-${hash}`;
}
