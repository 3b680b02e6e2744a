// The objects a verb's -f/--filename (-R) names, as kubectl's resource builder visits paths for
// the verbs that change objects in place (set, label, annotate):
//
// - without --local each object is read again from the server (kubectl's Latest) in its own
//   namespace, else the run's; -l keeps the objects whose labels ON THE SERVER match; an object
//   whose namespace contradicts -n is refused after the read (namespaceMismatch);
// - with --local the objects are taken as the files have them and no server is asked; their
//   resource is made up from apiVersion and kind (localResource);
// - a failure of one object (not found, namespace mismatch) does not stop the others: it is
//   returned with them, for the verb to report as kubectl's ContinueOnError does. A server that
//   cannot be reached is thrown at once.

import type { Command } from 'commander';
import type { KubeObject } from '../../api/types.js';
import { parseLabelSelector } from '../../api/selectors/index.js';
import { apiVersionOf } from '../client.js';
import { CliError, UnreachableError } from '../context.js';
import type { ResourceInfo } from '../discovery.js';
import { readManifests } from '../manifests.js';
import { type CliContext, getLatest, namespaceMismatch } from './common.js';

/** One object to change, with the resource it is served as. */
export interface ObjectTarget {
  r: ResourceInfo;
  obj: KubeObject;
}

export interface FileSelection {
  filename: string[];
  recursive?: boolean;
  /** --local: as the files have them, no server asked. */
  local?: boolean;
  /** -l: a label selector the server's object must match (ignored with --local, as kubectl). */
  selector?: string;
}

export interface FileTargets {
  targets: ObjectTarget[];
  failures: Error[];
  /**
   * kubectl's IntoSingleItemImplied for paths: the paths name one file (a directory holding one
   * file counts), not stdin, whatever number of objects it holds.
   */
  singleItemImplied: boolean;
}

/**
 * The resource of a file's object as --local knows it, without discovery: its group, version
 * and kind, named by the kind in lower case (kubectl's local mapping: `configmap/cm` in its
 * messages).
 */
export function localResource(o: KubeObject): ResourceInfo {
  const apiVersion = o.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const kind = o.kind ?? '';
  const lower = kind.toLowerCase();
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind,
    plural: lower,
    singular: lower,
    namespaced: true,
    shortNames: [],
    verbs: [],
    subresources: [],
    categories: [],
  };
}

/** Reads the objects of `sel.filename` (see the file comment). Unparsable files throw. */
export async function readFileTargets(ctx: CliContext, cmd: Command, sel: FileSelection): Promise<FileTargets> {
  const manifests = await readManifests(sel.filename, ctx.io, { recursive: sel.recursive === true });
  const sources = new Set(manifests.map((m) => m.source));
  const singleItemImplied = sources.size === 1 && !sources.has('STDIN');
  const flagNs = ctx.globals(cmd).namespace;
  const targets: ObjectTarget[] = [];
  const failures: Error[] = [];
  if (sel.local) {
    for (const m of manifests) {
      const objNs = m.object.metadata.namespace;
      if (flagNs && objNs && objNs !== flagNs) failures.push(namespaceMismatch(objNs, flagNs));
      else targets.push({ r: localResource(m.object), obj: m.object });
    }
    return { targets, failures, singleItemImplied };
  }
  let labels: ReturnType<typeof parseLabelSelector> | undefined;
  if (sel.selector !== undefined) {
    try {
      labels = parseLabelSelector(sel.selector);
    } catch (e) {
      throw new CliError(`the provided selector ${JSON.stringify(sel.selector)} is not valid: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const conn = ctx.conn(cmd);
  for (const m of manifests) {
    try {
      const r = await ctx.discovery(cmd).byKind(m.object.apiVersion ?? '', m.object.kind ?? '');
      const objNs = m.object.metadata.namespace;
      const ns = r.namespaced ? objNs ?? conn.namespace : '';
      const live = await getLatest(conn, r, ns, m.object.metadata.name ?? '');
      if (labels && !labels.matches(live.metadata.labels)) continue;
      if (r.namespaced && flagNs && objNs && objNs !== flagNs) throw namespaceMismatch(objNs, flagNs);
      targets.push({ r, obj: { ...live, apiVersion: apiVersionOf(r), kind: r.kind } });
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      failures.push(e as Error);
    }
  }
  return { targets, failures, singleItemImplied };
}
