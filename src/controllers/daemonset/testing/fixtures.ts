// Test harness for DaemonSetsController unit tests, in the sample-controller style: preload
// caches, call syncDaemonSet once, assert recorded creates/deletes/patches/events.
//
// FakePodControl mirrors upstream's daemon test fake: a created pod is put straight into the
// pod cache and its creation observed (so status and rolling update in the same pass see it);
// a deleted pod leaves the cache and its deletion is observed; patches are applied to the
// cached pod.

import type { DaemonSet, KubeObject, Node, OwnerReference, Pod, PodTemplateSpec, Taint } from '../../../api/types.js';
import { type PodControl, SharedInformerFactory, getPodFromTemplate, metaNamespaceKey, podsResource } from '../../../client/index.js';
import { FakeApiClient, FakeClock, FakeRecorder, applyStrategicMerge } from '../../../client/testing/index.js';
import { controllerRevisionsResource, daemonSetsResource } from '../../../client/index.js';
import { DaemonSetsController } from '../controller.js';
import { computeHash } from '../history.js';
import { rfc3339 } from '../../../util/index.js';

export const simpleDaemonSetLabel = { name: 'simple-daemon', type: 'production' };
export const simpleDaemonSetLabel2 = { name: 'simple-daemon', type: 'test' };

let uidCounter = 0;
function uid(prefix: string): string {
  uidCounter++;
  return `${prefix}-uid-${uidCounter}`;
}

/** metav1.Time of `ms`, as the controller writes it. */
export const iso = rfc3339;

export type Strategy = 'OnDelete' | 'RollingUpdate';

export function newDaemonSet(name: string, strategy: Strategy = 'RollingUpdate', namespace = 'default'): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace,
      uid: uid(name),
      generation: 1,
      creationTimestamp: iso(Date.UTC(2024, 0, 1)),
      annotations: { 'deprecated.daemonset.template.generation': '1' },
    },
    spec: {
      selector: { matchLabels: { ...simpleDaemonSetLabel } },
      updateStrategy: strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      template: {
        metadata: { labels: { ...simpleDaemonSetLabel } },
        spec: {
          containers: [{ name: 'foo', image: 'foo/bar', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' }],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
        },
      },
    },
  };
}

export function withSurge(ds: DaemonSet, maxSurge: number | string): DaemonSet {
  ds.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge } };
  return ds;
}

export function withMaxUnavailable(ds: DaemonSet, maxUnavailable: number | string): DaemonSet {
  ds.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge: 0 } };
  return ds;
}

export function newNode(name: string, labels?: Record<string, string>, taints?: Taint[]): Node {
  const n: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: uid(name), labels: { ...(labels ?? {}) } },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '8Gi', pods: '100' } },
  };
  if (taints) n.spec!.taints = taints;
  return n;
}

export function newNodes(count: number, offset = 0, labels?: Record<string, string>): Node[] {
  const out: Node[] = [];
  for (let i = offset; i < offset + count; i++) out.push(newNode(`node-${i}`, labels));
  return out;
}

export interface PodOpts {
  ds?: DaemonSet;
  labels?: Record<string, string>;
  createdAt?: number;
  phase?: Pod['status'] extends infer S ? (S extends { phase?: infer P } ? P : never) : never;
  ready?: boolean | number; // true, or the ms time Ready became true
  deleting?: boolean;
  hostPort?: number;
  /** With `ds`, pods get the DS's current hash label (as upstream's test pods) unless `old`. */
  old?: boolean;
}

let podCounter = 0;
export function newPod(namePrefix: string, nodeName: string, o: PodOpts = {}): Pod {
  podCounter++;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // Zero-padded: pods created in the same second sort by name, and as text `p-000100` stays
      // after `p-000099` whatever the counter reached in earlier files of the worker.
      name: `${namePrefix}${String(podCounter).padStart(6, '0')}`,
      namespace: o.ds?.metadata.namespace ?? 'default',
      uid: uid('pod'),
      labels: {
        ...(o.labels ?? simpleDaemonSetLabel),
        ...(o.ds && !o.old && !o.labels?.['controller-revision-hash'] ? { 'controller-revision-hash': computeHash(o.ds.spec.template, o.ds.status?.collisionCount) } : {}),
      },
      creationTimestamp: iso(o.createdAt ?? Date.UTC(2024, 0, 1) - 1000 * 60 + podCounter),
      resourceVersion: '1',
    },
    spec: { nodeName, containers: [{ name: 'foo', image: 'foo/bar', ...(o.hostPort ? { ports: [{ containerPort: o.hostPort, hostPort: o.hostPort }] } : {}) }] },
    status: { phase: o.phase ?? 'Running' },
  };
  if (o.ds) {
    pod.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: o.ds.metadata.name ?? '', uid: o.ds.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
    ];
  }
  if (o.ready !== undefined && o.ready !== false) {
    pod.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.ready === true ? Date.UTC(2024, 0, 1) - 3600_000 : o.ready) }];
  }
  if (o.deleting) pod.metadata.deletionTimestamp = iso(Date.UTC(2024, 0, 1));
  return pod;
}

export class FakePodControl implements PodControl {
  readonly templates: PodTemplateSpec[] = [];
  readonly createdPods: Pod[] = [];
  readonly deletePodNames: string[] = [];
  readonly patches: Array<{ name: string; patch: unknown }> = [];
  createCalls = 0;
  /** Creates beyond this many fail (quota). */
  createLimit = Infinity;
  createError: Error | undefined;
  deleteError: Error | undefined;
  controller!: DaemonSetsController;
  private n = 0;

  constructor(private readonly clock: FakeClock) {}

  async createPods(namespace: string, template: PodTemplateSpec, owner: KubeObject, ref: OwnerReference): Promise<void> {
    this.createCalls++;
    if (this.createError) throw this.createError;
    if (this.templates.length >= this.createLimit) throw new Error('exceeded quota');
    this.templates.push(template);
    const pod = getPodFromTemplate(template, owner, ref);
    pod.metadata.name = `${pod.metadata.generateName ?? ''}${++this.n}x`;
    pod.metadata.namespace = namespace;
    pod.metadata.uid = `created-${this.n}`;
    pod.metadata.resourceVersion = '1';
    pod.metadata.creationTimestamp = iso(this.clock.now());
    this.createdPods.push(pod);
    this.controller.podInformer.indexer.add(structuredClone(pod));
    this.controller.expectations.creationObserved(metaNamespaceKey(owner));
  }

  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<void> {
    if (this.deleteError) throw this.deleteError;
    this.deletePodNames.push(name);
    const key = `${namespace}/${name}`;
    if (!this.controller.podInformer.indexer.deleteByKey(key)) throw new Error(`pod "${name}" does not exist`);
    this.controller.expectations.deletionObserved(metaNamespaceKey(owner));
  }

  async patchPod(namespace: string, name: string, patch: unknown): Promise<void> {
    this.patches.push({ name, patch });
    const cur = this.controller.podInformer.indexer.getByKey(`${namespace}/${name}`);
    if (cur) this.controller.podInformer.indexer.update(applyStrategicMerge(structuredClone(cur), patch) as Pod);
  }

  clear(): void {
    this.templates.length = 0;
    this.createdPods.length = 0;
    this.deletePodNames.length = 0;
    this.patches.length = 0;
    this.createCalls = 0;
  }
}

export class Harness {
  readonly clock = new FakeClock(Date.UTC(2024, 0, 1));
  readonly client = new FakeApiClient(this.clock);
  readonly factory = new SharedInformerFactory(this.client, { clock: this.clock, freezeObjects: true });
  readonly recorder = new FakeRecorder();
  readonly podControl = new FakePodControl(this.clock);
  readonly controller: DaemonSetsController;

  constructor() {
    this.controller = new DaemonSetsController({ client: this.client, informers: this.factory, clock: this.clock, podControl: this.podControl, recorder: this.recorder });
    this.podControl.controller = this.controller;
  }

  addDaemonSet(ds: DaemonSet): DaemonSet {
    const stored = this.client.seed(daemonSetsResource, ds);
    this.controller.dsInformer.indexer.add(stored);
    return stored;
  }

  /** Replaces the cached DS (e.g. after a template change), keeping the fake client in step. */
  updateDaemonSet(ds: DaemonSet): DaemonSet {
    const live = this.client.objectsOf<DaemonSet>(daemonSetsResource).find((d) => d.metadata.name === ds.metadata.name);
    const next = structuredClone(ds);
    if (live?.status) next.status = live.status;
    const stored = this.client.seed(daemonSetsResource, next);
    this.controller.dsInformer.indexer.update(stored);
    return stored;
  }

  addNodes(...nodes: Node[]): void {
    for (const n of nodes) this.controller.nodeInformer.indexer.add(n);
  }

  addPods(...pods: Pod[]): void {
    for (const p of pods) this.controller.podInformer.indexer.add(p);
  }

  pods(): Pod[] {
    return this.controller.podInformer.indexer.list();
  }

  /** Replaces a cached pod with a changed copy. */
  updatePod(pod: Pod, fn: (p: Pod) => void): void {
    const c = structuredClone(pod);
    fn(c);
    this.controller.podInformer.indexer.update(c);
  }

  markReady(pod: Pod, sinceMs = this.clock.now()): void {
    this.updatePod(pod, (p) => {
      p.status = { ...(p.status ?? {}), phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(sinceMs) }] };
    });
  }

  markNotReady(pod: Pod): void {
    this.updatePod(pod, (p) => {
      p.status = { ...(p.status ?? {}), phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(this.clock.now()) }] };
    });
  }

  markAllReady(sinceMs = this.clock.now()): void {
    for (const p of this.pods()) if (!p.metadata.deletionTimestamp) this.markReady(p, sinceMs);
  }

  /** What an informer would deliver after the pass: revisions and DS status from the fake client. */
  mirror(): void {
    this.controller.historyInformer.indexer.replace(this.client.objectsOf(controllerRevisionsResource));
    for (const d of this.client.objectsOf<DaemonSet>(daemonSetsResource)) {
      if (this.controller.dsInformer.indexer.getByKey(metaNamespaceKey(d))) this.controller.dsInformer.indexer.update(d);
    }
  }

  /** One sync pass; returns counts of what it did (and clears the recordings). */
  async sync(ds: DaemonSet, opts: { expectError?: boolean } = {}): Promise<{ creates: number; deletes: number; events: number; error?: unknown; createdNodes: string[]; deleted: string[] }> {
    this.podControl.clear();
    this.recorder.events.length = 0;
    let error: unknown;
    try {
      await this.controller.syncDaemonSet(metaNamespaceKey(ds));
    } catch (e) {
      error = e;
      if (!opts.expectError) throw e;
    }
    this.mirror();
    return {
      creates: this.podControl.templates.length,
      deletes: this.podControl.deletePodNames.length,
      events: this.recorder.events.length,
      error,
      createdNodes: this.podControl.templates.map((t) => t.spec.nodeName ?? ''),
      deleted: [...this.podControl.deletePodNames],
    };
  }

  liveDaemonSet(name: string): DaemonSet {
    return this.client.objectsOf<DaemonSet>(daemonSetsResource).find((d) => d.metadata.name === name)!;
  }

  cachedDaemonSet(ds: DaemonSet): DaemonSet {
    return this.controller.dsInformer.indexer.getByKey(metaNamespaceKey(ds))!;
  }
}

export { podsResource };
