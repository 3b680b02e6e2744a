// Per-DaemonSet working state kept across sync passes: the claimed daemon pods of the DS
// grouped by node, each with the few facts a pass reads, and every node's placement verdict.
//
// Why: a pass looks at every node and every daemon pod. At 10,000 nodes, building a fresh
// node→pods map (a string-keyed lookup per pod and per node, an index lookup per pod, arrays
// per node) and re-reading each pod's labels and conditions (a cache miss per field on large
// objects) cost several milliseconds. Here a pass that finds the caches as it left them does
// pointer comparisons only:
// - the full pod and node lists (sequential copies, no hashing) are compared position by
//   position with the previous pass; the same object at the same position reuses its facts and
//   its slot; other objects are looked up by identity (WeakMap) and, when new, classified once;
// - a node's placement verdict is reused while its object and the template's placement fields
//   are unchanged.
//
// Invariants:
// - cached objects (nodes, pods, the DaemonSet) are never mutated in place (informer cache
//   contract), so facts derived from an object stay valid for that object, and a node object's
//   identity stands for its resourceVersion;
// - a slot's placement verdict is valid while `placedNode` is the node object of this build and
//   `placementEpoch` equals the state's epoch; the epoch changes whenever a template field
//   placement reads (nodeName, nodeSelector, required node affinity, tolerations, hostNetwork)
//   changes;
// - `pods`/`facts` of a slot are meaningful only when `podStamp` equals the current build stamp
//   (use `podsOf`/`factsOf`); every `build` invalidates the previous view.

import type { DaemonSet, Node, Pod, PodSpec } from '../../api/types.js';
import type { Selector } from '../../api/selectors/index.js';
import { getControllerOf } from '../../client/index.js';
import { getTargetNodeName, nodeShouldRunDaemonPod } from './placement.js';
import { controllerRevisionHashLabel, podTemplateGenerationLabel } from './util.js';

/** What a sync pass reads of one pod, derived once per pod object. */
export interface PodFacts {
  readonly pod: Pod;
  readonly name: string;
  readonly namespace: string;
  /** UID of the controller reference; '' when the pod has none (an orphan). */
  readonly controllerUID: string;
  /** Target node (`spec.nodeName` or the node-name affinity term); undefined when none. */
  readonly target: string | undefined;
  readonly hasNodeName: boolean;
  readonly deleting: boolean;
  readonly phase: string | undefined;
  readonly ready: boolean;
  /** Ready condition's lastTransitionTime in ms; NaN when absent or unparsable. */
  readonly readySinceMs: number;
  readonly hashLabel: string | undefined;
  readonly generationLabel: string | undefined;
  /** Selector last matched against the labels, and the result. */
  selector: Selector | undefined;
  matches: boolean;
  /** Slot of `target` in the owning state (resolved on first placement). */
  slot: NodeSlot | undefined;
}

export function podFacts(pod: Pod): PodFacts {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const labels = pod.metadata.labels;
  const ltt = ready?.lastTransitionTime;
  return {
    pod,
    name: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? '',
    controllerUID: getControllerOf(pod)?.uid ?? '',
    target: pod.spec.nodeName || getTargetNodeName(pod),
    hasNodeName: !!pod.spec.nodeName,
    deleting: !!pod.metadata.deletionTimestamp,
    phase: pod.status?.phase,
    ready: ready?.status === 'True',
    readySinceMs: ltt ? Date.parse(ltt) : NaN,
    hashLabel: labels?.[controllerRevisionHashLabel],
    generationLabel: labels?.[podTemplateGenerationLabel],
    selector: undefined,
    matches: false,
    slot: undefined,
  };
}

/** isPodAvailable on facts. */
export function factsAvailable(f: PodFacts, minReadySeconds: number, nowMs: number): boolean {
  if (!f.ready) return false;
  if (!minReadySeconds) return true;
  return Number.isFinite(f.readySinceMs) && f.readySinceMs + minReadySeconds * 1000 < nowMs;
}

/** isPodUpdated on facts; `generation` is the DS template generation as a string. */
export function factsUpdated(f: PodFacts, hash: string, generation: string | undefined): boolean {
  return (hash.length > 0 && f.hashLabel === hash) || (generation !== undefined && f.generationLabel === generation);
}

export function factsTerminal(f: PodFacts): boolean {
  return f.phase === 'Failed' || f.phase === 'Succeeded';
}

export interface NodeSlot {
  readonly name: string;
  /** The node of the current build, undefined when only pods target this name. */
  node: Node | undefined;
  nodeStamp: number;
  /** Node object the placement verdict below was computed for. */
  placedNode: Node | undefined;
  placementEpoch: number;
  shouldRun: boolean;
  shouldContinueRunning: boolean;
  /**
   * Claimed pods targeting this node in the build with stamp `podStamp`: `facts[0..count)`.
   * The array is reused across builds (entries past `count` are stale).
   */
  readonly facts: PodFacts[];
  count: number;
  podStamp: number;
  /** False once dropped from the state's map (a fact still pointing here must re-resolve). */
  live: boolean;
}


/** Everything placement reads from a template spec, as a comparable string. */
function placementKey(spec: PodSpec): string {
  return JSON.stringify([spec.nodeName ?? null, spec.nodeSelector ?? null, spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null, spec.tolerations ?? null, spec.hostNetwork ?? null]);
}

export class DaemonSetNodeSlots {
  private readonly slots = new Map<string, NodeSlot>();
  /** Slots of the nodes of the current build, in node-list order; valid up to `nodeCount`. */
  readonly nodeSlots: NodeSlot[] = [];
  nodeCount = 0;
  /** Slots holding pods whose target node is not in the node list of the current build. */
  readonly strays: NodeSlot[] = [];
  /** Slots holding pods in the current build (nodes and strays). */
  private podSlots: NodeSlot[] = [];
  /** `podSlots` of the previous build: those left without pods drop their stale facts. */
  private prevPodSlots: NodeSlot[] = [];
  private stamp = 0;
  private epoch = 0;
  private placementSpec: PodSpec | undefined;
  private placementKeyValue: string | undefined;
  /**
   * The pod and node lists of the previous build (own arrays, so the lists handed in die
   * young) and the facts per pod position (null: not ours).
   */
  private readonly prevPods: Pod[] = [];
  private readonly prevFacts: (PodFacts | null)[] = [];
  private readonly prevNodes: Node[] = [];
  private readonly factsByPod = new WeakMap<Pod, PodFacts | null>();

  constructor(
    readonly uid: string,
    readonly namespace: string,
  ) {}

  private slot(name: string): NodeSlot {
    let s = this.slots.get(name);
    if (!s) {
      s = { name, node: undefined, nodeStamp: 0, placedNode: undefined, placementEpoch: -1, shouldRun: false, shouldContinueRunning: false, facts: [], count: 0, podStamp: 0, live: true };
      this.slots.set(name, s);
    }
    return s;
  }

  /** How many claimed pods target `slot` in the current build; they are `slot.facts[0..n)`. */
  countOf(slot: NodeSlot): number {
    return slot.podStamp === this.stamp ? slot.count : 0;
  }

  /** Claimed pods of `slot` in the current build (a new array). */
  podsOf(slot: NodeSlot): Pod[] {
    const n = this.countOf(slot);
    const out: Pod[] = [];
    for (let i = 0; i < n; i++) out.push(slot.facts[i]!.pod);
    return out;
  }

  /** Facts of the claimed pods of `slot` in the current build (a new array, parallel to `podsOf`). */
  factsOf(slot: NodeSlot): PodFacts[] {
    return slot.facts.slice(0, this.countOf(slot));
  }

  /** Facts of a pod of this DS's namespace that is controlled by it or is an orphan; null otherwise. */
  private factsFor(pod: Pod): PodFacts | null {
    let f = this.factsByPod.get(pod);
    if (f === undefined) {
      if ((pod.metadata.namespace ?? '') !== this.namespace) {
        f = null;
      } else {
        const ref = getControllerOf(pod);
        f = !ref || ref.uid === this.uid ? podFacts(pod) : null;
      }
      this.factsByPod.set(pod, f);
    }
    return f;
  }

  private place(f: PodFacts, stamp: number): void {
    if (f.target === undefined) return;
    let s = f.slot;
    if (!s || !s.live) f.slot = s = this.slot(f.target);
    if (s.podStamp !== stamp) {
      s.podStamp = stamp;
      s.count = 0;
      this.podSlots.push(s);
    }
    // Index writes, not push/length changes: this runs once per pod per pass.
    if (s.count < s.facts.length) s.facts[s.count] = f;
    else s.facts.push(f);
    s.count++;
  }

  /**
   * Starts the view of one pass from the informer's whole pod list: places the pods this DS controls whose labels match `selector` (what a
   * claim keeps without writing), leaving out terminal pods being deleted. Returns the pods a
   * claim must decide on with writes: controlled pods whose labels stopped matching, and
   * matching live orphans (only while the DS is not being deleted). Then call `addClaimed` for
   * what the claim kept, and `placeNodes`.
   */
  collect(ds: DaemonSet, selector: Selector, allPods: readonly Pod[]): Pod[] {
    const stamp = ++this.stamp;
    const previous = this.podSlots;
    this.podSlots = this.prevPodSlots;
    this.prevPodSlots = previous;
    this.podSlots.length = 0;
    const contested: Pod[] = [];
    const dsDeleting = !!ds.metadata.deletionTimestamp;
    const prevPods = this.prevPods;
    const prevFacts = this.prevFacts;
    const known = prevPods.length;
    for (let i = 0; i < allPods.length; i++) {
      const pod = allPods[i]!;
      let f: PodFacts | null;
      if (i < known && prevPods[i] === pod) {
        f = prevFacts[i]!;
      } else {
        f = this.factsFor(pod);
        if (i < known) {
          prevPods[i] = pod;
          prevFacts[i] = f;
        } else {
          prevPods.push(pod);
          prevFacts.push(f);
        }
      }
      if (f === null) continue;
      if (f.selector !== selector) {
        f.selector = selector;
        f.matches = selector.matches(pod.metadata.labels ?? {});
      }
      if (f.controllerUID === '') {
        if (!dsDeleting && f.matches && !f.deleting) contested.push(pod);
        continue;
      }
      if (!f.matches) {
        contested.push(pod);
        continue;
      }
      if (f.deleting && factsTerminal(f)) continue;
      this.place(f, stamp);
    }
    if (prevPods.length > allPods.length) {
      prevPods.length = allPods.length;
      prevFacts.length = allPods.length;
    }
    return contested;
  }

  /** Places pods a claim kept beyond those `collect` placed (adopted orphans). */
  addClaimed(pods: readonly Pod[]): void {
    for (const pod of pods) {
      const f = this.factsFor(pod) ?? podFacts(pod);
      if (f.deleting && factsTerminal(f)) continue;
      this.place(f, this.stamp);
    }
  }

  /** Completes the view with the node list; refreshes placement where the node or template changed. */
  placeNodes(ds: DaemonSet, nodes: readonly Node[]): void {
    const stamp = this.stamp;
    const spec = ds.spec.template.spec;
    if (spec !== this.placementSpec) {
      const k = placementKey(spec);
      if (k !== this.placementKeyValue) {
        this.placementKeyValue = k;
        this.epoch++;
      }
      this.placementSpec = spec;
    }
    const epoch = this.epoch;
    const out = this.nodeSlots;
    const prevNodes = this.prevNodes;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      // Same node object at the same position: `out[i]` already holds its slot.
      let s: NodeSlot;
      if (i < prevNodes.length && prevNodes[i] === node && i < out.length) {
        s = out[i]!;
      } else {
        s = out[i] = this.slot(node.metadata.name ?? '');
        prevNodes[i] = node;
      }
      s.node = node;
      s.nodeStamp = stamp;
      if (s.placedNode !== node || s.placementEpoch !== epoch) {
        const r = nodeShouldRunDaemonPod(node, ds);
        s.shouldRun = r.shouldRun;
        s.shouldContinueRunning = r.shouldContinueRunning;
        s.placedNode = node;
        s.placementEpoch = epoch;
      }
    }
    this.nodeCount = nodes.length;
    if (out.length > nodes.length) out.length = nodes.length;
    if (prevNodes.length > nodes.length) prevNodes.length = nodes.length;

    this.strays.length = 0;
    for (const s of this.podSlots) {
      // Drop stale references past `count` only when they pile up (a node that once held more pods).
      if (s.facts.length > 2 * s.count + 4) s.facts.length = s.count;
      if (s.nodeStamp !== stamp) {
        s.node = undefined;
        this.strays.push(s);
      }
    }

    // A slot whose pods all went keeps no pod object alive (deleted pods would stay in memory
    // until a new pod lands on that node).
    for (const s of this.prevPodSlots) {
      if (s.podStamp !== stamp && s.facts.length > 0) s.facts.length = 0;
    }

    // Forget names that are neither nodes nor pod targets any more (deleted nodes).
    if (this.slots.size > 2 * (nodes.length + this.podSlots.length) + 64) {
      for (const [name, s] of this.slots) {
        if (s.nodeStamp !== stamp && s.podStamp !== stamp) {
          s.live = false;
          this.slots.delete(name);
        }
      }
    }
  }
}
