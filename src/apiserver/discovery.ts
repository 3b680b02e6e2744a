// Legacy discovery documents (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>), built from the
// KindRegistry and cached per registry version (kinds may change at run time).
// Serving legacy JSON to the aggregated-discovery Accept is valid (kube-api §3.2).

import { groupVersionOf, type ConnectSubresource, type KindDef, type KindRegistry } from '../api/kinds.js';

interface Cached {
  version: number;
  docs: Map<string, string | null>;
}

/** A served group/version whose resources are not kinds of the registry (the access reviews). */
export interface ExtraResources {
  group: string;
  version: string;
  /** APIResource entries, as served. */
  resources: Record<string, unknown>[];
}

export class Discovery {
  private cache: Cached = { version: -1, docs: new Map() };

  constructor(
    private readonly kinds: KindRegistry,
    private readonly extra: readonly ExtraResources[] = [],
  ) {}

  private memo(key: string, build: () => unknown | null): string | null {
    if (this.cache.version !== this.kinds.version) this.cache = { version: this.kinds.version, docs: new Map() };
    let doc = this.cache.docs.get(key);
    if (doc === undefined) {
      const d = build();
      doc = d === null ? null : JSON.stringify(d);
      this.cache.docs.set(key, doc);
    }
    return doc;
  }

  /** GET /api */
  apiVersions(serverAddress: string): string {
    return JSON.stringify({
      kind: 'APIVersions',
      versions: this.kinds.groupVersions().filter((gv) => gv.group === '').map((gv) => gv.version),
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    });
  }

  private groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const gv of [...this.kinds.groupVersions(), ...this.extra]) {
      if (gv.group === '') continue;
      const vs = groups.get(gv.group) ?? [];
      if (!vs.includes(gv.version)) vs.push(gv.version);
      groups.set(gv.group, vs);
    }
    return groups;
  }

  private static group(name: string, versions: string[]): Record<string, unknown> {
    const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: vs, preferredVersion: vs[0] };
  }

  /** GET /apis */
  apiGroupList(): string {
    return this.memo('/apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...this.groups()].map(([name, vs]) => Discovery.group(name, vs)),
    }))!;
  }

  /** GET /apis/<group>; null when the group is not served. */
  apiGroup(group: string): string | null {
    return this.memo(`/apis/${group}`, () => {
      const vs = this.groups().get(group);
      return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...Discovery.group(group, vs) } : null;
    });
  }

  /** GET /api/v1 or /apis/<g>/<v>; null when not served. */
  apiResourceList(group: string, version: string): string | null {
    return this.memo(`${group}/${version}`, () => {
      const kinds = this.kinds.kindsIn(group, version);
      const extra = this.extra.filter((e) => e.group === group && e.version === version).flatMap((e) => e.resources);
      if (kinds.length === 0 && extra.length === 0) return null;
      // Sorted by name, as upstream lists them (a kind's subresources right after it).
      const resources = [...kinds.flatMap(resourcesOf), ...extra].sort((a, b) => compareNames(String(a.name), String(b.name)));
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionOf({ group, version }), resources };
    });
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Upstream's kinds of the streaming subresources' options (their APIResource `kind`). */
const connectKinds: Record<ConnectSubresource, string> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions', proxy: 'PodProxyOptions' };
/** The options kind of each kind's proxy subresource. */
const proxyKinds: Record<string, string> = { Pod: 'PodProxyOptions', Service: 'ServiceProxyOptions' };

/**
 * The APIResource entries of a kind and its subresources, as upstream's api__v1.json /
 * apis__<group>__<version>.json list them: subresources have singularName "" and the parent's
 * scope; `<plural>/status` get, patch, update; `/log` get; `/finalize` update; `/eviction` a
 * policy/v1 Eviction create; `/scale` an autoscaling/v1 Scale get, patch, update; `/exec` and
 * `/portforward` create and get with their options kinds; `/proxy` create, delete, get, patch, update.
 */
function resourcesOf(k: KindDef): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: k.plural,
    singularName: k.singular,
    namespaced: k.namespaced,
    kind: k.kind,
    verbs: [...k.verbs],
  };
  if (k.shortNames.length > 0) main.shortNames = [...k.shortNames];
  if (k.categories.length > 0) main.categories = [...k.categories];
  const out = [main];
  for (const sub of k.subresources) {
    if (sub === 'scale') {
      // A custom resource's /scale is an autoscaling/v1 Scale (kubectl scale finds it by this group and version).
      out.push({ name: `${k.plural}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      continue;
    }
    if (sub === 'eviction') {
      // pods/eviction takes a policy/v1 Eviction (kubectl drain finds it by this group and version).
      out.push({ name: `${k.plural}/eviction`, singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
      continue;
    }
    out.push({
      name: `${k.plural}/${sub}`,
      singularName: '',
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: sub === 'log' ? ['get'] : sub === 'finalize' ? ['update'] : ['get', 'patch', 'update'],
    });
  }
  for (const sub of k.connectSubresources ?? []) {
    out.push({ name: `${k.plural}/${sub}`, singularName: '', namespaced: k.namespaced, kind: sub === 'proxy' ? (proxyKinds[k.kind] ?? connectKinds[sub]) : connectKinds[sub], verbs: sub === 'proxy' ? ['create', 'delete', 'get', 'patch', 'update'] : ['create', 'get'] });
  }
  return out;
}
