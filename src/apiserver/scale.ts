// The `scale` subresource: a custom resource's (its CRD version's `subresources.scale`), as
// upstream's custom resource ScaleREST serves it, and the built-in replicated kinds' (Deployment,
// ReplicaSet, ReplicationController: stored, not run), as their ScaleREST serve theirs: what
// `kubectl scale` and autoscalers read and write.
//
// Contract:
// - GET answers an autoscaling/v1 Scale made from the object: `spec.replicas` from
//   specReplicasPath (0 when absent), `status.replicas` from statusReplicasPath (0 when absent),
//   `status.selector` from labelSelectorPath (a string, or a built-in kind's selector object in
//   its string form, see ScaleSubresource.labelSelectorFormat; absent: none), and metadata name,
//   namespace, uid, resourceVersion and creationTimestamp of the object.
// - PUT takes a Scale, decoded as upstream decodes one (decodeScale: a wrong type or kind is a 400
//   and nothing is written; its metadata.name and namespace must be the path's); PATCH (JSON, merge or strategic
//   merge) is applied to the object's current Scale; an apply (autoscaling/v1 Scale) makes its
//   manager own specReplicasPath of the object (see applyScale). Writes are recorded in
//   managedFields with subresource "scale", as upstream records them. The result's spec.replicas must
//   be an integer >= 0 (422 on the Scale otherwise); its resourceVersion, when set, is a
//   precondition on the object (409 when stale). Only spec.replicas is taken: it is written at
//   specReplicasPath as a merge patch of the object, so the object's own validation (its schema:
//   a maximum, say) applies, as its errors. The answer is the Scale of the written object.
// - spec.replicas above int32 is refused with 400, as upstream's decoding of the Scale refuses it.

import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest, fe, invalid, unsupportedPatchType } from '../api/errors.js';
import type { KindDef, ScaleSubresource } from '../api/kinds.js';
import { applyJsonPatch, applyMergePatch } from '../api/patch/index.js';
import type { KubeObject } from '../api/types.js';
import { decodeObject, type FieldValidation } from '../api/schema/index.js';
import { checkTypeMeta, parseJsonText, parseYamlText, readBody } from './http.js';
import { formatLabelSelector } from './tables/format.js';
import type { WriteQuery } from './query.js';
import { patchTypeOf, type AdmitFn, type RestRegistry } from './registry.js';

const scaleRef = { group: 'autoscaling', resource: 'scale', kind: 'Scale' };
const scaleGvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name?: string | undefined; namespace?: string; uid?: string | undefined; resourceVersion?: string | undefined; creationTimestamp?: string };
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

/** The value at a simple dotted JSON path (`.spec.replicas`); undefined when any step is missing. */
function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const step of path.split('.').slice(1)) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur;
}

/** A merge patch setting `path` to `value`. */
function patchAt(path: string, value: unknown): Record<string, unknown> {
  const steps = path.split('.').slice(1);
  let out: unknown = value;
  for (let i = steps.length - 1; i >= 0; i--) out = { [steps[i]!]: out };
  return out as Record<string, unknown>;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

/**
 * The Scale's `status.selector` from the value at labelSelectorPath: that string, or a built-in
 * kind's selector in upstream's string form (requirements sorted by key: `app=web,tier in (a)`);
 * undefined when there is none, or it cannot be written (a malformed selector is refused on write).
 */
function selectorString(v: unknown, format: ScaleSubresource['labelSelectorFormat']): string | undefined {
  if (format === undefined) return typeof v === 'string' && v ? v : undefined;
  const sel = format === 'labelMap' ? { matchLabels: v } : v;
  const text = formatLabelSelector(sel);
  return text === '<none>' || text === '<error>' ? undefined : text;
}

/** The Scale of an object of a kind with a scale subresource. */
export function scaleOf(obj: KubeObject, s: ScaleSubresource): Scale {
  const m = obj.metadata;
  const selector = s.labelSelectorPath ? selectorString(valueAt(obj, s.labelSelectorPath), s.labelSelectorFormat) : undefined;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    spec: { replicas: count(valueAt(obj, s.specReplicasPath)) },
    status: { replicas: count(valueAt(obj, s.statusReplicasPath)), ...(selector ? { selector } : {}) },
  };
}

/** upstream's ValidateScale on what this subresource reads (spec.replicas). */
function checkedReplicas(scale: unknown, name: string): number {
  const spec = typeof scale === 'object' && scale !== null ? (scale as { spec?: unknown }).spec : undefined;
  const replicas = typeof spec === 'object' && spec !== null ? (spec as { replicas?: unknown }).replicas : undefined;
  if (replicas === undefined || replicas === null) return 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw invalid(scaleRef, name, [fe.invalid('spec.replicas', replicas, 'must be an integer')]);
  if (replicas < 0) throw invalid(scaleRef, name, [fe.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  // autoscaling/v1 ScaleSpec.replicas is an int32: upstream's decoding refuses more (400).
  if (replicas > 2147483647) throw badRequest(`json: cannot unmarshal number ${replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
  return replicas;
}

export interface ScaleRequest {
  registry: RestRegistry;
  kind: KindDef;
  namespace: string | undefined;
  name: string;
  method: string;
  req: IncomingMessage;
  /** Write options of the request (PUT: UpdateOptions, PATCH: PatchOptions). */
  writeQuery: () => WriteQuery;
  admit?: AdmitFn;
}

/** Serves GET, PUT and PATCH of `<plural>/<name>/scale`; the answer's JSON. */
export async function serveScale(r: ScaleRequest): Promise<{ code: 200; json: string; warnings: string[] }> {
  const s = r.kind.scale;
  if (!s) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const current = (): Promise<KubeObject> => r.registry.get(r.kind, r.namespace, r.name).then((j) => JSON.parse(j) as KubeObject);
  if (r.method === 'GET') return { code: 200, json: JSON.stringify(scaleOf(await current(), s)), warnings: [] };

  let wanted: unknown;
  if (r.method === 'PUT') {
    const wq = r.writeQuery();
    const { scale, warnings } = decodeScale(r, await readBody(r.req), wq.fieldValidation);
    const written = await write(r, s, scale, wq);
    return { ...written, warnings: [...warnings, ...written.warnings] };
  }
  if (r.method === 'PATCH') {
    const type = patchTypeOf(r.req.headers['content-type']);
    // A custom resource's /scale takes what its object takes: no strategic merge (upstream's serveScale).
    if (!type || (r.kind.custom && type === 'strategic')) throw unsupportedPatchType(r.kind.custom);
    const wq = r.writeQuery();
    if (type === 'apply') return applyScale(r, s, await readBody(r.req), wq);
    const text = await readBody(r.req);
    let patch: unknown;
    try {
      patch = parseJsonText(text, wq.fieldValidation).value;
    } catch (err) {
      throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
    }
    const base = scaleOf(await current(), s);
    // A Scale has no lists: a strategic merge patch merges as a merge patch does.
    wanted = type === 'json' ? applyJsonPatch(base, patch) : applyMergePatch(base, patch);
    return write(r, s, wanted, wq);
  }
  throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/**
 * A PUT's body as upstream decodes it into an autoscaling/v1 Scale: JSON or YAML; an apiVersion
 * or kind other than the Scale's, a wrong JSON type (`spec: "x"`, `replicas: "5"`), a name or
 * namespace other than the path's, or (Strict) an unknown field is a 400, before anything is
 * written; unknown fields are dropped (warnings with Warn).
 */
function decodeScale(r: ScaleRequest, text: string, fieldValidation: FieldValidation): { scale: Record<string, unknown>; warnings: string[] } {
  const media = (r.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let body: unknown;
  try {
    body = media === 'application/yaml' ? parseYamlText(text).value : parseJsonText(text, fieldValidation).value;
  } catch (err) {
    throw badRequest(`error decoding the Scale: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Scale in version "v1" cannot be handled as a Scale: the body must be a JSON object');
  checkTypeMeta(body as { apiVersion?: unknown; kind?: unknown }, 'autoscaling/v1', 'Scale');
  const { object, warnings } = decodeObject(scaleGvk, body, fieldValidation);
  const meta = object.metadata;
  if (meta.name !== undefined && meta.name !== r.name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${r.name})`);
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== (r.namespace ?? '')) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { scale: object as unknown as Record<string, unknown>, warnings };
}

async function write(r: ScaleRequest, s: ScaleSubresource, wanted: unknown, wq: WriteQuery): Promise<{ code: 200; json: string; warnings: string[] }> {
  const replicas = checkedReplicas(wanted, r.name);
  const rv = (wanted as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  const patch = patchAt(s.specReplicasPath, replicas);
  if (typeof rv === 'string' && rv !== '') patch.metadata = { resourceVersion: rv };
  const res = await r.registry.patch(r.kind, r.namespace, r.name, 'scale', 'merge', JSON.stringify(patch), wq, r.admit);
  return { code: 200, json: JSON.stringify(scaleOf(JSON.parse(res.json) as KubeObject, s)), warnings: res.warnings };
}

/**
 * A server-side apply of a Scale: its spec.replicas becomes an apply configuration of the object
 * holding only specReplicasPath, applied under the manager with subresource "scale" (so the
 * manager owns that path of the object, conflicts with other owners unless forced, and its scale
 * entry is kept apart from any apply of the object itself). The answer is the written Scale.
 */
async function applyScale(r: ScaleRequest, s: ScaleSubresource, text: string, wq: WriteQuery): Promise<{ code: 200; json: string; warnings: string[] }> {
  let wanted: unknown;
  try {
    wanted = parseYamlText(text).value;
  } catch (err) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof wanted !== 'object' || wanted === null || Array.isArray(wanted)) throw badRequest('the patch body must be a JSON object');
  const w = wanted as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown } };
  if (w.apiVersion !== 'autoscaling/v1') throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${typeof w.apiVersion === 'string' ? w.apiVersion : ''}, expected: autoscaling/v1`);
  if (w.kind !== 'Scale') throw badRequest(`the kind of an apply to /scale must be Scale, not ${JSON.stringify(w.kind ?? '')}`);
  if (w.metadata?.name !== undefined && w.metadata.name !== r.name) throw badRequest(`the name of the object (${String(w.metadata.name)}) does not match the name on the URL (${r.name})`);
  const replicas = checkedReplicas(wanted, r.name);
  const config: Record<string, unknown> = {
    apiVersion: r.kind.group ? `${r.kind.group}/${r.kind.version}` : r.kind.version,
    kind: r.kind.kind,
    metadata: { name: r.name, ...(typeof w.metadata?.resourceVersion === 'string' && w.metadata.resourceVersion !== '' ? { resourceVersion: w.metadata.resourceVersion } : {}) },
    ...patchAt(s.specReplicasPath, replicas),
  };
  const res = await r.registry.patch(r.kind, r.namespace, r.name, 'scale', 'apply', JSON.stringify(config), wq, r.admit);
  return { code: 200, json: JSON.stringify(scaleOf(JSON.parse(res.json) as KubeObject, s)), warnings: res.warnings };
}
