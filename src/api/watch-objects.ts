// Watch events handed over as objects, between an API server and a client in the same process.
//
// Over a socket a watch is a stream of JSON lines. When the client sits in the server's
// process (the controller manager over the in-process transport) the server has already
// decoded the object for its own work, and encoding it to a line only for the client to parse
// it back costs both sides. A response that carries `watchObjectSink` takes the event as an
// object instead.
//
// Contract:
// - Only a response whose client asked for objects carries the sink; the server uses it for
//   plain JSON watches (not Tables) and keeps writing lines otherwise.
// - Events and lines written to one response arrive in the order written.
// - The object is SHARED: the same instance may reach several in-process watchers. Receivers
//   treat it as read-only (informer caches are read-only by contract); a receiver that needs
//   to change it clones first.
// - `bytes` is the size the event would have had as a line (about the stored JSON's length),
//   so slow-watcher limits keep counting bytes.

import type { KubeObject } from './types.js';

export const watchObjectSink: unique symbol = Symbol.for('everynode.watchObjectSink');

export type WatchObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchObjectSink {
  [watchObjectSink](type: WatchObjectEventType, object: KubeObject, bytes: number): void;
}

/** The response's object sink, when its client takes watch events as objects. */
export function watchObjectSinkOf(res: unknown): WatchObjectSink | undefined {
  return res !== null && typeof res === 'object' && typeof (res as Partial<WatchObjectSink>)[watchObjectSink] === 'function' ? (res as WatchObjectSink) : undefined;
}

/**
 * Deep-freezes `o` when EVERYNODE_FREEZE_WATCH_OBJECTS=1 (the test suites set it), so a
 * receiver that writes to a shared watch object fails loudly instead of corrupting its peers.
 */
export function freezeSharedInTests<T>(o: T): T {
  if (freezeShared) deepFreeze(o);
  return o;
}

/** Read once: process.env is a slow getter, and this runs for every event of every in-process watch. */
const freezeShared = process.env.EVERYNODE_FREEZE_WATCH_OBJECTS === '1';

/** True under the test suites (EVERYNODE_FREEZE_WATCH_OBJECTS=1): shared objects are also checked in other ways there. */
export const sharedObjectsCheckedInTests = freezeShared;

function deepFreeze(o: unknown): void {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) deepFreeze(v);
}

// Request bodies handed over whole. A request of the in-process transport has its body in
// memory already; the server's body reader takes it with `takeWholeBody` (once, as text)
// instead of reading the request stream, which then ends empty.

export const wholeBody: unique symbol = Symbol.for('everynode.wholeBody');

export interface WholeBodySource {
  /** The body, the first time; undefined once taken or read as a stream. */
  [wholeBody](): string | undefined;
}

/** The request's whole body when its transport has it in memory and nobody took it yet. */
export function takeWholeBody(req: unknown): string | undefined {
  return req !== null && typeof req === 'object' && typeof (req as Partial<WholeBodySource>)[wholeBody] === 'function' ? (req as WholeBodySource)[wholeBody]() : undefined;
}
