// Resource names from the server's discovery documents (legacy form: /api, /apis, /api/v1,
// /apis/<group>/<version>), so kinds added at run time resolve without CLI changes.
//
// Resolution follows kubectl: a name matches a resource's plural, singular, short name or
// lower-cased kind, optionally qualified as `<name>.<group>` or `<name>.<version>.<group>`.
// Among several matches the core group wins, then the first group the server lists.

import type { ResourceDescriptor } from './client.js';
import { CliError, type Connection } from './context.js';

export interface ResourceInfo extends ResourceDescriptor {
  singular: string;
  shortNames: string[];
  verbs: string[];
  /** Subresource names, e.g. `status`, `log`. */
  subresources: string[];
  /** Discovery categories (`all`: what `get all` lists). */
  categories: string[];
}

interface APIResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

interface APIGroupList {
  groups: { name: string; preferredVersion?: { groupVersion: string; version: string }; versions: { groupVersion: string; version: string }[] }[];
}

/** Turns APIResourceList documents (in server order) into ResourceInfos. */
export function resourcesFromLists(lists: APIResourceList[]): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const l of lists) {
    const slash = l.groupVersion.indexOf('/');
    const group = slash < 0 ? '' : l.groupVersion.slice(0, slash);
    const version = slash < 0 ? l.groupVersion : l.groupVersion.slice(slash + 1);
    const byName = new Map<string, ResourceInfo>();
    for (const r of l.resources) {
      if (r.name.includes('/')) continue;
      const info: ResourceInfo = {
        group,
        version,
        plural: r.name,
        namespaced: r.namespaced,
        kind: r.kind,
        singular: r.singularName || r.kind.toLowerCase(),
        shortNames: r.shortNames ?? [],
        verbs: r.verbs ?? [],
        subresources: [],
        categories: r.categories ?? [],
      };
      byName.set(r.name, info);
      out.push(info);
    }
    for (const r of l.resources) {
      const [parent, sub] = r.name.split('/');
      if (parent && sub) byName.get(parent)?.subresources.push(sub);
    }
  }
  return out;
}

/**
 * kubectl-style lookup of `ds`, `daemonsets.apps`, `DaemonSet`, `daemonset.v1.apps`: names and
 * kinds in any case, short names only as declared (`DS` is no resource type, as in kubectl).
 */
export function findResource(all: ResourceInfo[], arg: string): ResourceInfo | undefined {
  const name = arg.toLowerCase();
  const matchesName = (r: ResourceInfo, raw: string) => {
    const n = raw.toLowerCase();
    return r.plural === n || r.singular === n || r.kind.toLowerCase() === n || r.shortNames.includes(raw);
  };
  const candidates: ResourceInfo[] = [];
  for (const r of all) {
    if (matchesName(r, arg)) candidates.push(r);
    else if (r.group) {
      const dot = name.indexOf('.');
      if (dot < 0) continue;
      const head = arg.slice(0, dot);
      const rest = name.slice(dot + 1);
      if (!matchesName(r, head)) continue;
      if (rest === r.group || rest === `${r.version}.${r.group}`) candidates.push(r);
    }
  }
  return candidates.find((r) => r.group === '') ?? candidates[0];
}

/**
 * The resources of a discovery category (`all`), in discovery order, or undefined when no
 * resource declares it. As in kubectl, a category is tried before resource names.
 */
export function expandCategory(all: ResourceInfo[], arg: string): ResourceInfo[] | undefined {
  const name = arg.toLowerCase();
  const members = all.filter((r) => r.categories.includes(name));
  return members.length > 0 ? members : undefined;
}

/** The resource of a manifest's `apiVersion` + `kind`. */
export function findByKind(all: ResourceInfo[], apiVersion: string, kind: string): ResourceInfo | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return all.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/** `daemonset.apps` / `pod`: the prefix of `TYPE/NAME` in kubectl's messages. */
export function kindPrefix(r: Pick<ResourceDescriptor, 'kind' | 'group'>): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/** `daemonsets.apps` / `pods`: the qualified resource as in server messages. */
export function qualifiedPlural(r: Pick<ResourceDescriptor, 'plural' | 'group'>): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** Fetches the discovery documents once per Connection (no disk cache). */
export class Discovery {
  private all?: Promise<ResourceInfo[]>;

  constructor(private readonly conn: Connection) {}

  resources(): Promise<ResourceInfo[]> {
    this.all ??= this.load();
    return this.all;
  }

  private async load(): Promise<ResourceInfo[]> {
    const [core, groups] = await Promise.all([
      this.conn.rawJson<{ versions: string[] }>({ path: '/api' }),
      this.conn.rawJson<APIGroupList>({ path: '/apis' }),
    ]);
    const paths: string[] = (core.versions ?? []).map((v) => `/api/${v}`);
    for (const g of groups.groups ?? []) {
      const gv = g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion;
      if (gv) paths.push(`/apis/${gv}`);
    }
    const lists = await Promise.all(paths.map((p) => this.conn.rawJson<APIResourceList>({ path: p })));
    return resourcesFromLists(lists);
  }

  async resolve(arg: string): Promise<ResourceInfo> {
    const r = findResource(await this.resources(), arg);
    // kubectl names the resource part of a `resource.group` argument.
    if (!r) throw new CliError(`the server doesn't have a resource type "${arg.split('.')[0]}"`);
    return r;
  }

  /** A TYPE argument as a list of resources: a category's members, else the one named resource. */
  async expand(arg: string): Promise<ResourceInfo[]> {
    return expandCategory(await this.resources(), arg) ?? [await this.resolve(arg)];
  }

  async byKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const r = findByKind(await this.resources(), apiVersion, kind);
    if (!r) throw new CliError(`resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure the server serves it`);
    return r;
  }
}
