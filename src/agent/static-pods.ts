// Static pods: Pod manifests (YAML or JSON, one Pod per file: a file of several YAML documents
// runs its first, as the kubelet reads it) in a directory, run by the agent without the API
// server, and the mirror pods that show them in the API.
//
// Contracts (upstream kubelet's file source and mirror client):
// - A static pod is named `<manifest name>-<node name>`, in the manifest's namespace (default
//   `default`), bound to the node. Its UID is a hash of the file path, its content and the node
//   name, so an unchanged file keeps its UID across agent restarts (its containers are adopted)
//   and a changed file is a new pod (the old one is stopped, the new one started).
// - Annotations: `kubernetes.io/config.hash` (= UID), `kubernetes.io/config.source: file`,
//   `kubernetes.io/config.seen`. The mirror pod carries the same spec and labels, the
//   annotation `kubernetes.io/config.mirror` (= the config hash) and an ownerReference to the
//   Node; the API assigns the mirror its own UID.
// - A file that cannot be read, parsed, defaulted or validated runs nothing and is reported
//   through `onError` once per content.
// - The directory is rescanned every `pollMs` and whenever fs.watch reports a change; files
//   whose name starts with `.` are ignored (editors' temp files).

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Node, OwnerReference, Pod } from '../api/types.js';
import { fieldErrorString } from '../api/errors.js';
import { validationFor } from '../api/validation/index.js';
import { readYamlDocuments, rfc3339 } from '../util/index.js';

export const annotationConfigHash = 'kubernetes.io/config.hash';
export const annotationConfigSource = 'kubernetes.io/config.source';
export const annotationConfigSeen = 'kubernetes.io/config.seen';
export const annotationConfigMirror = 'kubernetes.io/config.mirror';

export interface StaticPod {
  file: string;
  /** The pod as the agent runs it (desired state). */
  pod: Pod;
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[annotationConfigMirror] !== undefined;
}

/** Builds the static pod for a manifest; throws with a readable message when it is not a valid Pod. */
export function staticPodFromManifest(file: string, text: string, nodeName: string, now: string): Pod {
  let doc: unknown;
  try {
    // As the kubelet reads it (sigs.k8s.io/yaml: YAML 1.1, `defaultMode: 0644` is 420; of a file
    // of several documents, the first).
    const first = readYamlDocuments(text)[0];
    if (first && first.errors.length > 0) throw first.errors[0]!;
    doc = first ? first.toJS() : null;
  } catch (err) {
    throw new Error(`${file}: not valid YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: not a Pod manifest`);
  const obj = doc as Pod;
  if (obj.kind !== 'Pod' || (obj.apiVersion !== undefined && obj.apiVersion !== 'v1')) {
    throw new Error(`${file}: want apiVersion v1, kind Pod; got ${String(obj.apiVersion)} ${String(obj.kind)}`);
  }
  if (!obj.metadata?.name) throw new Error(`${file}: metadata.name is required`);
  if (!obj.spec || !Array.isArray(obj.spec.containers)) throw new Error(`${file}: spec.containers is required`);
  const uid = createHash('md5').update(file).update('\0').update(text).update('\0').update(nodeName).digest('hex');
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...obj.metadata,
      name: `${obj.metadata.name}-${nodeName}`,
      namespace: obj.metadata.namespace || 'default',
      uid,
      annotations: {
        ...(obj.metadata.annotations ?? {}),
        [annotationConfigHash]: uid,
        [annotationConfigSource]: 'file',
        [annotationConfigSeen]: now,
      },
      creationTimestamp: now,
    },
    spec: { ...obj.spec, nodeName },
  };
  // Static pods tolerate every NoExecute taint, as the kubelet gives file pods: node problems
  // never evict them (their mirrors would be deleted and made again in a loop).
  const tolerations = pod.spec.tolerations ?? [];
  if (!tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoExecute' && !t.key && t.tolerationSeconds === undefined)) {
    pod.spec.tolerations = [...tolerations, { operator: 'Exists', effect: 'NoExecute' }];
  }
  delete pod.metadata.resourceVersion;
  delete pod.metadata.generateName;
  const v = validationFor('/Pod');
  v.applyDefaults(pod);
  const errs = v.validateCreate(pod);
  if (errs.length > 0) {
    // Worded as the API server words the same errors (`spec.restartPolicy: Unsupported value: ...`).
    throw new Error(`${file}: invalid Pod: ${errs.map(fieldErrorString).join('; ')}`);
  }
  return pod;
}

/** The mirror pod to create in the API for a static pod. */
export function mirrorPodFor(staticPod: Pod, node: Node): Pod {
  const owner: OwnerReference = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '', uid: node.metadata.uid ?? '', controller: true };
  const { uid: _uid, creationTimestamp: _ct, resourceVersion: _rv, ...meta } = staticPod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      annotations: { ...(meta.annotations ?? {}), [annotationConfigMirror]: staticPod.metadata.annotations?.[annotationConfigHash] ?? '' },
      ownerReferences: [owner],
    },
    spec: structuredClone(staticPod.spec),
  };
}

export interface StaticPodSourceOptions {
  dir: string;
  nodeName: string;
  /** Called with every static pod (keyed by UID) after each scan that changed the set. */
  onChange: (pods: Map<string, StaticPod>) => void;
  onError?: (err: Error) => void;
  pollMs?: number;
  now?: () => string;
}

/** Watches a static pod directory. */
export class StaticPodSource {
  private pods = new Map<string, StaticPod>();
  /** file → [mtimeMs, size, uid | error text] of the last parse. */
  private readonly seen = new Map<string, { mtimeMs: number; size: number; uid?: string; pod?: Pod; clash?: string }>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private stopped = false;
  private scanned = false;

  constructor(private readonly o: StaticPodSourceOptions) {}

  /** Scans once synchronously, then keeps watching. */
  start(): void {
    this.scan();
    try {
      this.watcher = watch(this.o.dir, () => this.scan());
      this.watcher.on('error', () => undefined);
      this.watcher.unref();
    } catch {
      // No watch support (or the directory is missing for now): polling covers it.
    }
    const tick = (): void => {
      if (this.stopped) return;
      this.scan();
      this.timer = setTimeout(tick, this.o.pollMs ?? 1000);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  current(): Map<string, StaticPod> {
    return this.pods;
  }

  /** Rescans the directory now. */
  scan(): void {
    if (this.stopped) return;
    let names: string[];
    try {
      names = readdirSync(this.o.dir);
    } catch {
      names = [];
    }
    const next = new Map<string, StaticPod>();
    const present = new Set<string>();
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const file = join(this.o.dir, name);
      let st;
      try {
        st = statSync(file);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      present.add(file);
      let entry = this.seen.get(file);
      if (!entry || entry.mtimeMs !== st.mtimeMs || entry.size !== st.size) {
        entry = { mtimeMs: st.mtimeMs, size: st.size };
        try {
          const text = readFileSync(file, 'utf8');
          const prevPod = [...this.pods.values()].find((p) => p.file === file)?.pod;
          const pod = staticPodFromManifest(file, text, this.o.nodeName, this.o.now?.() ?? rfc3339(Date.now()));
          // Same content as before: keep the object (and its config.seen time).
          entry.pod = prevPod && prevPod.metadata.uid === pod.metadata.uid ? prevPod : pod;
          entry.uid = pod.metadata.uid;
        } catch (err) {
          this.o.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
        this.seen.set(file, entry);
      }
      if (entry.pod && entry.uid) {
        const clash = [...next.values()].find((p) => p.pod.metadata.name === entry!.pod!.metadata.name && p.pod.metadata.namespace === entry!.pod!.metadata.namespace);
        if (clash) {
          // Said once per content and clash (a rescan every second would repeat it).
          if (entry.clash !== clash.file) this.o.onError?.(new Error(`${file}: pod ${entry.pod.metadata.namespace ?? ''}/${entry.pod.metadata.name ?? ''} is already defined by ${clash.file}; ignored`));
          entry.clash = clash.file;
          continue;
        }
        delete entry.clash;
        next.set(entry.uid, { file, pod: entry.pod });
      }
    }
    for (const f of [...this.seen.keys()]) if (!present.has(f)) this.seen.delete(f);
    const changed = !this.scanned || next.size !== this.pods.size || [...next.keys()].some((k) => !this.pods.has(k));
    this.scanned = true;
    this.pods = next;
    if (changed) this.o.onChange(next);
  }
}
