// A pod template as Go's typed encoding sees it: upstream decodes a template into Go structs,
// whose `omitempty` lists and maps are not encoded when empty, so `tolerations: []`, `env: []`
// and an absent field are one value there (and apiequality.Semantic.DeepEqual treats nil and
// empty alike). everynode stores bodies as sent, so comparisons of templates that must agree
// with upstream (a DaemonSet's generation, its revisions) go through this view.

import type { PodTemplateSpec } from './types.js';

/** PodSpec fields that are `omitempty` lists or maps in Go (every list but `containers`). */
const specOmitEmpty = [
  'volumes',
  'initContainers',
  'ephemeralContainers',
  'imagePullSecrets',
  'tolerations',
  'hostAliases',
  'readinessGates',
  'topologySpreadConstraints',
  'resourceClaims',
  'schedulingGates',
  'nodeSelector',
  'overhead',
] as const;

/**
 * Container fields that are `omitempty` lists in Go, and `resources`: a struct value, which Go
 * always encodes, so `resources: {}` and no resources are one value too.
 */
const containerOmitEmpty = ['command', 'args', 'ports', 'envFrom', 'env', 'volumeMounts', 'volumeDevices', 'resizePolicy', 'resources'] as const;
const containerLists = ['initContainers', 'containers', 'ephemeralContainers'] as const;

type Obj = Record<string, unknown>;

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length === 0;
}

/** `o` without the listed fields whose value is an empty list or map; `o` itself when none is. */
function withoutEmpty(o: Obj, fields: readonly string[]): Obj {
  let out: Obj | undefined;
  for (const f of fields) {
    if (!isEmpty(o[f])) continue;
    out ??= { ...o };
    delete out[f];
  }
  return out ?? o;
}

/**
 * The template without the empty `omitempty` lists and maps of its pod spec and containers (and
 * containers' empty `resources`), and empty template labels and annotations. Returns the template itself when nothing is dropped,
 * else new objects down to what changed; never mutates its input.
 */
export function templateWithoutEmptyLists<T extends PodTemplateSpec | Obj>(t: T): T {
  const tt = t as Obj;
  let out: Obj = tt;
  const meta = tt['metadata'];
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    const m = withoutEmpty(meta as Obj, ['labels', 'annotations']);
    if (m !== meta) out = { ...out, metadata: m };
  }
  const spec = tt['spec'];
  if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
    let s = withoutEmpty(spec as Obj, specOmitEmpty);
    for (const list of containerLists) {
      const cs = s[list];
      if (!Array.isArray(cs)) continue;
      const mapped = cs.map((c: unknown) => (c && typeof c === 'object' && !Array.isArray(c) ? withoutEmpty(c as Obj, containerOmitEmpty) : c));
      if (mapped.some((c, i) => c !== cs[i])) {
        if (s === spec) s = { ...s };
        s[list] = mapped;
      }
    }
    if (s !== spec) out = { ...out, spec: s };
  }
  return out as T;
}
