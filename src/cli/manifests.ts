// Reading `-f FILE|DIR|-`: multi-document YAML (or JSON), `kind: List` expanded, empty
// documents skipped. A directory contributes its *.yaml, *.yml and *.json files, sorted by
// name; with `recursive` (-R) also those of its sub-directories, each where its name sorts
// (kubectl's walk order). Every object remembers its source for error messages.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.js';
import { errorMessage, MAX_YAML_NESTING_DEPTH, readYamlDocuments, yamlTextDepth } from '../util/index.js';
import { CliError } from './context.js';
import { type CliIO, readStream } from './io.js';

export interface Manifest {
  source: string;
  object: KubeObject;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  if (yamlTextDepth(text, MAX_YAML_NESTING_DEPTH) > MAX_YAML_NESTING_DEPTH) throw new CliError(`error parsing ${source}: nesting depth exceeds the limit of ${MAX_YAML_NESTING_DEPTH}`);
  for (const doc of readYamlDocuments(text)) {
    if (doc.errors.length > 0) throw new CliError(`error parsing ${source}: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`);
    let v: unknown;
    try {
      v = doc.toJS();
    } catch (e) {
      // An alias expansion beyond the limit (a YAML bomb).
      throw new CliError(`error parsing ${source}: ${errorMessage(e)}`);
    }
    if (v === null || v === undefined) continue;
    if (!isObject(v)) throw new CliError(`error parsing ${source}: a document is not an object`);
    const push = (o: Record<string, unknown>) => {
      if (typeof o['apiVersion'] !== 'string' || typeof o['kind'] !== 'string') {
        throw new CliError(`error validating ${source}: apiVersion and kind are required in every object`);
      }
      if (!isObject(o['metadata'])) o['metadata'] = {};
      out.push({ source, object: o as unknown as KubeObject });
    };
    if (typeof v['kind'] === 'string' && v['kind'].endsWith('List') && Array.isArray(v['items'])) {
      for (const item of v['items']) if (isObject(item)) push(item);
    } else push(v);
  }
  return out;
}

/** The manifest files of `dir` in walk order (sub-directories only when `recursive`). */
function manifestFiles(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory())) {
      if (recursive) out.push(...manifestFiles(path, true));
    } else if (/\.(ya?ml|json)$/.test(e.name)) out.push(path);
  }
  return out;
}

/**
 * The objects of `-f` sources in order. A path that does not exist is an error at once. A source
 * that cannot be parsed is an error at once too, unless `unreadable` is given: then its error is
 * added there and the other sources are read (kubectl's apply, create and delete act on the
 * objects they could read and report the files they could not at the end).
 */
export async function readManifests(files: string[], io: CliIO, opts: { recursive?: boolean; unreadable?: CliError[] } = {}): Promise<Manifest[]> {
  const out: Manifest[] = [];
  const parse = (text: string, source: string): void => {
    try {
      out.push(...parseManifests(text, source));
    } catch (e) {
      if (!(e instanceof CliError) || !opts.unreadable) throw e;
      opts.unreadable.push(e);
    }
  };
  for (const f of files) {
    if (f === '-') {
      parse(await readStream(io.stdin), 'STDIN');
      continue;
    }
    let st;
    try {
      st = statSync(f);
    } catch {
      throw new CliError(`the path "${f}" does not exist`);
    }
    if (st.isDirectory()) {
      for (const path of manifestFiles(f, opts.recursive === true)) parse(readFileSync(path, 'utf8'), path);
    } else parse(readFileSync(f, 'utf8'), f);
  }
  return out;
}

/**
 * The objects of a verb's `-f` sources (apply, create, delete, replace), as kubectl reads them:
 * sources that do not parse are set aside in `unreadable`, for the verb to report after acting
 * on the rest; nothing at all to act on or report is `no objects passed to <verb>`.
 */
export async function readVerbManifests(verb: string, files: string[], io: CliIO, recursive: boolean): Promise<{ manifests: Manifest[]; unreadable: CliError[] }> {
  const unreadable: CliError[] = [];
  const manifests = await readManifests(files, io, { recursive, unreadable });
  if (manifests.length === 0 && unreadable.length === 0) throw new CliError(`no objects passed to ${verb}`);
  return { manifests, unreadable };
}
