// Reading `-f FILE|DIR|-`: multi-document YAML (or JSON), `kind: List` expanded, empty
// documents skipped. A directory contributes its *.yaml, *.yml and *.json files, sorted by
// name (not recursive). Every object remembers its source for error messages.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/types.js';
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
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new CliError(`error parsing ${source}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const v: unknown = doc.toJS();
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

export async function readManifests(files: string[], io: CliIO): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const f of files) {
    if (f === '-') {
      out.push(...parseManifests(await readStream(io.stdin), 'STDIN'));
      continue;
    }
    let st;
    try {
      st = statSync(f);
    } catch {
      throw new CliError(`the path "${f}" does not exist`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(f).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
      for (const n of names) out.push(...parseManifests(readFileSync(join(f, n), 'utf8'), join(f, n)));
    } else out.push(...parseManifests(readFileSync(f, 'utf8'), f));
  }
  return out;
}
