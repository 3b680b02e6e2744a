// Legacy discovery documents (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>), built from the
// KindRegistry and cached per registry version (kinds may change at run time).
// Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList, JSON only) is
// served for /api and /apis when the Accept header asks for it, as upstream does; any other Accept
// gets the legacy documents.

import { createHash } from 'node:crypto';
import { connectOptionsKind, groupVersionOf, type KindDef, type KindRegistry } from '../api/kinds.js';

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
    // Most preferred first (the group's preferredVersion), as upstream orders a group's versions.
    for (const vs of groups.values()) vs.sort(compareKubeVersions);
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

  /**
   * GET /api (core: true) or /apis (core: false) as an aggregated APIGroupDiscoveryList: every
   * group with its served versions (in preferred order) and, per version, its resources with
   * their subresources.
   */
  aggregated(core: boolean, v: AggregatedVersion): string {
    return this.memo(`aggregated ${String(core)} ${v}`, () => {
      const groups: [string, string[]][] = core
        ? [['', this.kinds.groupVersions().filter((gv) => gv.group === '').map((gv) => gv.version)]]
        : [...this.groups()];
      const items = groups.map(([name, versions]) => ({
        metadata: core ? { creationTimestamp: null } : { name, creationTimestamp: null },
        versions: versions.map((ver) => versionDiscovery(name, ver, (JSON.parse(this.apiResourceList(name, ver) ?? '{"resources":[]}') as { resources: Record<string, unknown>[] }).resources)),
      }));
      return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
    })!;
  }

  /**
   * The ETag header value of an aggregated answer (aggregated()): the SHA-512 of its text in
   * upper-case hex, in double quotes (the memo keeps the JSON text of the hex string, which is
   * exactly that), as upstream tags it; changes whenever the served kinds do.
   */
  aggregatedETag(core: boolean, v: AggregatedVersion): string {
    return this.memo(`aggregated-etag ${String(core)} ${v}`, () => createHash('sha512').update(this.aggregated(core, v)).digest('hex').toUpperCase())!;
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

/**
 * Kubernetes' version priority (apimachinery's CompareKubeAwareVersionStrings), as a sort
 * comparator putting the preferred version first: GA before beta before alpha, then the higher
 * major, then the higher alpha/beta number (v2 > v1 > v1beta2 > v1beta1 > v1alpha1); versions of
 * another form come last, in alphabetical order.
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v([1-9]\d*)(?:(alpha|beta)([1-9]\d*))?$/.exec(v);
    if (!m) return undefined;
    return [m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, Number(m[1]), m[3] ? Number(m[3]) : 0];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return pb[0] - pa[0] || pb[1] - pa[1] || pb[2] - pa[2];
}

/** The aggregated discovery versions served, most preferred first. */
export type AggregatedVersion = 'v2' | 'v2beta1';

/**
 * The aggregated discovery version an Accept header asks for: the first acceptable
 * `application/json;g=apidiscovery.k8s.io;v=<v>;as=APIGroupDiscoveryList` range (q > 0), or
 * undefined when it asks for none (then the legacy documents answer).
 */
export function aggregatedDiscoveryRequested(accept: string | undefined): AggregatedVersion | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((x) => x.trim());
    if (type?.toLowerCase() !== 'application/json') continue;
    const p = new Map(params.map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()] as const; }));
    if (p.get('g') !== 'apidiscovery.k8s.io' || p.get('as') !== 'APIGroupDiscoveryList') continue;
    if (p.has('q') && !(Number(p.get('q')) > 0)) continue;
    const v = p.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

/** The Content-Type of an aggregated discovery answer. */
export const aggregatedContentType = (v: AggregatedVersion): string => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

/** An APIVersionDiscovery made from the APIResource entries of one group/version. */
function versionDiscovery(group: string, version: string, resources: Record<string, unknown>[]): Record<string, unknown> {
  const mains = new Map<string, Record<string, unknown>>();
  const kindOf = (r: Record<string, unknown>) => ({ group: typeof r.group === 'string' ? r.group : group, version: typeof r.version === 'string' ? r.version : version, kind: r.kind });
  for (const r of resources) {
    const name = String(r.name);
    if (name.includes('/')) continue;
    const d: Record<string, unknown> = { resource: name, responseKind: kindOf(r), scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.singularName, verbs: r.verbs };
    if (r.shortNames) d.shortNames = r.shortNames;
    if (r.categories) d.categories = r.categories;
    mains.set(name, d);
  }
  for (const r of resources) {
    const [parent, sub] = String(r.name).split('/');
    const main = sub === undefined ? undefined : mains.get(parent!);
    if (!main) continue;
    const subs = (main.subresources as unknown[] | undefined) ?? [];
    subs.push({ subresource: sub, responseKind: kindOf(r), verbs: r.verbs });
    main.subresources = subs;
  }
  return { version, resources: [...mains.values()], freshness: 'Current' };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The APIResource entries of a kind and its subresources, as upstream's api__v1.json /
 * apis__<group>__<version>.json list them: subresources have singularName "" and the parent's
 * scope; `<plural>/status` and `pods/ephemeralcontainers` (the kind itself) get, patch, update;
 * `/log` get; `/finalize` update; `/eviction` a policy/v1 Eviction create; `/binding` a Binding
 * create; `/scale` an autoscaling/v1 Scale get, patch, update; `/exec` and `/portforward` create
 * and get with their options kinds; `/proxy` create, delete, get, patch, update.
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
      // /scale is an autoscaling/v1 Scale (kubectl scale finds it by this group and version).
      out.push({ name: `${k.plural}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      continue;
    }
    if (sub === 'eviction') {
      // pods/eviction takes a policy/v1 Eviction (kubectl drain finds it by this group and version).
      out.push({ name: `${k.plural}/eviction`, singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
      continue;
    }
    if (sub === 'binding') {
      out.push({ name: `${k.plural}/binding`, singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
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
    out.push({ name: `${k.plural}/${sub}`, singularName: '', namespaced: k.namespaced, kind: connectOptionsKind(k.kind, sub), verbs: sub === 'proxy' ? ['create', 'delete', 'get', 'patch', 'update'] : ['create', 'get'] });
  }
  return out;
}
