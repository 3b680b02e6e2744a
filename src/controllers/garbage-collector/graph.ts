// The dependency graph: every observed object (and every owner referenced but not yet
// observed, as a "virtual" node) keyed by UID, with owner→dependents edges taken from
// metadata.ownerReferences.
//
// Invariants:
// - a node is in `dependents` of each owner UID listed in its `owners` (and nowhere else);
// - a virtual node exists only while some dependent references it; it is verified by the
//   collector with a live GET and removed by a virtual delete event if the API says it is gone;
// - the graph is mutated only by `observe` (informer events, applied synchronously in event
//   order) and `virtualDelete` (the collector's verdict); both only enqueue work, never write.
//
// Transitions that need work (mirrors upstream's GraphBuilder.processTransitions):
// - object gains deletionTimestamp + `orphan` finalizer → attemptToOrphan(owner);
// - object gains deletionTimestamp + `foregroundDeletion` finalizer → marked deletingDependents,
//   attemptToDelete(every dependent) and attemptToDelete(itself);
// - object removed → attemptToDelete(every dependent) and attemptToDelete(every owner that is
//   deletingDependents, since one of its blockers may be gone);
// - a dependent drops (or unblocks) a reference to an owner that is deletingDependents →
//   attemptToDelete(owner).

import { deepEqual } from '../../api/patch/index.js';
import type { KubeObject, OwnerReference } from '../../api/types.js';

export const finalizerOrphanDependents = 'orphan';
export const finalizerDeleteDependents = 'foregroundDeletion';

/** Coordinates of an object: enough for a GET and for messages. */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects (and for virtual owners of cluster-scoped dependents). */
  namespace: string;
  name: string;
  uid: string;
}

export function identityString(i: ObjectIdentity): string {
  return `[${i.apiVersion}/${i.kind}, namespace: ${i.namespace}, name: ${i.name}, uid: ${i.uid}]`;
}

export class GraphNode {
  readonly dependents = new Set<GraphNode>();
  /** The ownerReferences last observed on the object (empty for virtual nodes). */
  owners: OwnerReference[] = [];
  /** True once an informer has delivered the object; false for a virtual node. */
  observed: boolean;
  beingDeleted = false;
  deletingDependents = false;

  constructor(
    public identity: ObjectIdentity,
    observed: boolean,
  ) {
    this.observed = observed;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion: true. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents) {
      if (d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true)) out.push(d);
    }
    return out;
  }
}

export function hasFinalizer(obj: KubeObject, f: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(f);
}

export function isBeingDeleted(obj: KubeObject | undefined): boolean {
  return !!obj?.metadata.deletionTimestamp;
}

function waitsFor(obj: KubeObject | undefined, finalizer: string): boolean {
  return !!obj && isBeingDeleted(obj) && hasFinalizer(obj, finalizer);
}

export interface GraphSink {
  attemptToDelete(uid: string): void;
  attemptToOrphan(uid: string): void;
  /**
   * `dependent` names, by `ref`, an observed namespaced owner of another namespace: the
   * reference can never resolve (an owner is looked for in its dependent's namespace), which
   * upstream reports as a Warning event `OwnerRefInvalidNamespace` on the dependent.
   */
  invalidOwnerNamespace?(dependent: ObjectIdentity, ref: OwnerReference): void;
}

/**
 * A capped set of owners confirmed absent (upstream's absentOwnerCache), each keyed by the
 * whole reference (apiVersion, kind, name, uid) and the namespace it was looked for in ('' for
 * a cluster-scoped owner): a namespaced owner missing from one namespace says nothing of the
 * same uid in another (a cross-namespace reference to a live owner must not make that owner
 * count as gone for its own dependents).
 */
export class AbsentOwnerCache {
  private readonly keys = new Set<string>();
  constructor(private readonly cap = 500) {}

  private static key(o: ObjectIdentity): string {
    return JSON.stringify([o.namespace, o.apiVersion, o.kind, o.name, o.uid]);
  }

  add(owner: ObjectIdentity): void {
    const k = AbsentOwnerCache.key(owner);
    this.keys.delete(k);
    this.keys.add(k);
    if (this.keys.size > this.cap) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }

  has(owner: ObjectIdentity): boolean {
    return this.keys.has(AbsentOwnerCache.key(owner));
  }
}

export type GraphEventType = 'add' | 'update' | 'delete';

export class DependencyGraph {
  private readonly uidToNode = new Map<string, GraphNode>();
  readonly absentOwnerCache = new AbsentOwnerCache();

  constructor(
    private readonly sink: GraphSink,
    /** Whether the owner kind is namespaced; undefined when the kind is unknown. */
    private readonly ownerNamespaced: (apiVersion: string, kind: string) => boolean | undefined,
  ) {}

  node(uid: string): GraphNode | undefined {
    return this.uidToNode.get(uid);
  }

  get size(): number {
    return this.uidToNode.size;
  }

  nodes(): IterableIterator<GraphNode> {
    return this.uidToNode.values();
  }

  /**
   * Applies one informer event. `identity` carries the object's coordinates (kind and
   * apiVersion from its resource descriptor, since listed items may lack TypeMeta).
   */
  observe(type: GraphEventType, obj: KubeObject, identity: ObjectIdentity, oldObj?: KubeObject): void {
    const uid = identity.uid;
    if (!uid) return;
    let existing = this.uidToNode.get(uid);
    if (existing && !existing.observed && type !== 'delete') {
      existing.identity = identity;
      existing.observed = true;
    }
    if (type === 'delete') {
      if (existing) this.removeNode(existing);
      return;
    }
    const owners = obj.metadata.ownerReferences ?? [];
    if (!existing) {
      existing = new GraphNode(identity, true);
      existing.owners = owners;
      existing.beingDeleted = isBeingDeleted(obj);
      existing.deletingDependents = waitsFor(obj, finalizerDeleteDependents);
      this.uidToNode.set(uid, existing);
      this.addDependentToOwners(existing, owners);
    } else {
      const { added, removed, changed } = referencesDiffs(existing.owners, owners);
      if (added.length || removed.length || changed.length) {
        this.addUnblockedOwnersToDeleteQueue(removed, changed);
        existing.owners = owners;
        this.addDependentToOwners(existing, added);
        this.removeDependentFromOwners(existing, removed);
      }
      if (isBeingDeleted(obj)) existing.beingDeleted = true;
    }
    this.processTransitions(oldObj, obj, existing);
  }

  /** The collector verified that the object behind `identity` no longer exists (or has another UID). */
  virtualDelete(identity: ObjectIdentity): void {
    const n = this.uidToNode.get(identity.uid);
    if (n) this.removeNode(n);
  }

  private removeNode(n: GraphNode): void {
    this.uidToNode.delete(n.identity.uid);
    for (const o of n.owners) this.uidToNode.get(o.uid)?.dependents.delete(n);
    if (n.dependents.size > 0) this.absentOwnerCache.add(n.identity);
    for (const d of n.dependents) this.sink.attemptToDelete(d.identity.uid);
    for (const o of n.owners) {
      const owner = this.uidToNode.get(o.uid);
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner.identity.uid);
    }
  }

  /**
   * Adds `n` to the dependents of each owner. As upstream's addDependentToOwners, a reference
   * that may not resolve queues `n` itself for a check (the collector GETs each owner in `n`'s
   * namespace and deletes `n` when none exists): an owner already known in another namespace
   * (reported when observed), or a virtual cluster-scoped owner of a namespaced dependent.
   */
  private addDependentToOwners(n: GraphNode, owners: OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const ref of owners) {
      let owner = this.uidToNode.get(ref.uid);
      if (!owner) {
        const namespaced = this.ownerNamespaced(ref.apiVersion, ref.kind);
        owner = new GraphNode(
          { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: namespaced === false ? '' : n.identity.namespace },
          false,
        );
        this.uidToNode.set(ref.uid, owner);
        owner.dependents.add(n);
        // The collector GETs the owner; a virtual delete follows if the API says it is gone.
        this.sink.attemptToDelete(ref.uid);
      } else {
        owner.dependents.add(n);
        if (potentiallyInvalid) continue;
        const ownerNamespace = owner.identity.namespace;
        if (ownerNamespace !== '' && ownerNamespace !== n.identity.namespace) {
          if (owner.observed) this.sink.invalidOwnerNamespace?.(n.identity, ref);
          potentiallyInvalid = true;
        } else if (ownerNamespace === '' && n.identity.namespace !== '' && !owner.observed) {
          potentiallyInvalid = true;
        }
      }
    }
    if (potentiallyInvalid) this.sink.attemptToDelete(n.identity.uid);
  }

  private removeDependentFromOwners(n: GraphNode, owners: OwnerReference[]): void {
    for (const ref of owners) this.uidToNode.get(ref.uid)?.dependents.delete(n);
  }

  /** A removed reference, or one whose blockOwnerDeletion went true→false, may unblock a foreground owner. */
  private addUnblockedOwnersToDeleteQueue(removed: OwnerReference[], changed: Array<[OwnerReference, OwnerReference]>): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.uidToNode.get(ref.uid);
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner.identity.uid);
    }
    for (const [before, after] of changed) {
      if (before.blockOwnerDeletion === true && after.blockOwnerDeletion !== true) {
        const owner = this.uidToNode.get(before.uid);
        if (owner?.deletingDependents) this.sink.attemptToDelete(owner.identity.uid);
      }
    }
  }

  private processTransitions(oldObj: KubeObject | undefined, obj: KubeObject, n: GraphNode): void {
    if (!waitsFor(oldObj, finalizerOrphanDependents) && waitsFor(obj, finalizerOrphanDependents)) {
      this.sink.attemptToOrphan(n.identity.uid);
      return;
    }
    if (!waitsFor(oldObj, finalizerDeleteDependents) && waitsFor(obj, finalizerDeleteDependents)) {
      n.deletingDependents = true;
      for (const d of n.dependents) this.sink.attemptToDelete(d.identity.uid);
      this.sink.attemptToDelete(n.identity.uid);
    }
  }
}

/** Owner references added, removed, and changed (same UID, different content), by UID. */
export function referencesDiffs(
  old: OwnerReference[],
  cur: OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<[OwnerReference, OwnerReference]> } {
  // The usual case, every update of an object whose owners did not change: nothing to index.
  if (old.length === cur.length && old.every((r, i) => r.uid === cur[i]!.uid && deepEqual(r, cur[i]))) return { added: [], removed: [], changed: [] };
  const oldByUid = new Map(old.map((r) => [r.uid, r]));
  const curByUid = new Map(cur.map((r) => [r.uid, r]));
  const added = cur.filter((r) => !oldByUid.has(r.uid));
  const removed = old.filter((r) => !curByUid.has(r.uid));
  const changed: Array<[OwnerReference, OwnerReference]> = [];
  for (const r of cur) {
    const o = oldByUid.get(r.uid);
    if (o && !deepEqual(o, r)) changed.push([o, r]);
  }
  return { added, removed, changed };
}
