// events.k8s.io/v1 Event: another version of the same objects as core v1 Events. Upstream stores
// one Event type and serves it through both groups; so does everynode: the objects are stored in
// core v1 form, under the core events keys, and an events.k8s.io/v1 request sees and writes them
// converted field by field.
//
// Contract:
// - eventToV1 and eventFromV1 are inverse renamings of the top-level fields below (metadata,
//   eventTime, series, action, reason, related, reportingInstance and type keep their names);
//   a field the other version does not have is carried as it is, so nothing is lost both ways.
// - Both are idempotent on their target form (the apiVersion says which form an object is in):
//   an object already in the target form is returned as it is.
// - Neither mutates its argument (stored objects handed out by watches are shared).

import type { KubeObject } from './types.js';

export const eventsV1ApiVersion = 'events.k8s.io/v1';

/** core v1 field -> events.k8s.io/v1 field, in upstream's v1 field order. */
const coreToV1: ReadonlyArray<readonly [core: string, v1: string]> = [
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
  ['action', 'action'],
  ['reason', 'reason'],
  ['involvedObject', 'regarding'],
  ['related', 'related'],
  ['message', 'note'],
  ['type', 'type'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

/** The field of an events.k8s.io/v1 Event a core v1 field becomes (the name itself when it stays). */
export const v1FieldOfCore: ReadonlyMap<string, string> = new Map(coreToV1);
/** The reverse, in upstream's core v1 field order. */
const coreOrder = ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'];
const v1ToCore: ReadonlyArray<readonly [v1: string, core: string]> = coreOrder.map((c) => [v1FieldOfCore.get(c)!, c]);

/** `obj` with its fields renamed by `pairs` (in their order), the rest carried after them. */
function rename(obj: KubeObject, apiVersion: string, pairs: ReadonlyArray<readonly [from: string, to: string]>): KubeObject {
  const src = obj as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { apiVersion, kind: 'Event', metadata: obj.metadata };
  const renamed = new Set<string>();
  for (const [from, to] of pairs) {
    renamed.add(from);
    if (from in src) out[to] = src[from];
  }
  for (const [k, v] of Object.entries(src)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || renamed.has(k) || k in out) continue;
    out[k] = v;
  }
  return out as unknown as KubeObject;
}

/** A core v1 Event as events.k8s.io/v1 serves it. */
export function eventToV1(obj: KubeObject): KubeObject {
  if (obj.apiVersion === eventsV1ApiVersion) return obj;
  return rename(obj, eventsV1ApiVersion, coreToV1);
}

/** An events.k8s.io/v1 Event in the core v1 form it is stored in. */
export function eventFromV1(obj: KubeObject): KubeObject {
  if (obj.apiVersion !== eventsV1ApiVersion) return obj;
  return rename(obj, 'v1', v1ToCore);
}
