// `everynode __complete -- WORD...`: the candidates for the last WORD of a command line, one per
// line, for the shell completion scripts (the idea of kubectl's hidden `__complete`):
// - after get/describe/delete/edit/label/annotate/patch/explain: resource types, then the names
//   of objects of the type given (`TYPE/NAME` forms too);
// - logs: pods (and `ds/NAME`); cordon/uncordon/drain, taint nodes, top node: nodes; top pod:
//   pods; rollout SUB and set SUB: `daemonset`, then DaemonSets (`ds/NAME` forms too);
// - the value of -n/--namespace: namespaces; of --context: the kubeconfig's contexts.
// Names come from the namespace of -n (or the context's; every namespace with -A). Contract: it
// never fails where a shell would show it: any error (no server, no kubeconfig, a type the
// server does not serve) prints nothing and exits 0, and each request gives up after 5 s.

import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { namespacesResource, nodesResource, podsResource, daemonSetsResource, type ResourceDescriptor } from '../client.js';
import { Connection, resolveKubeconfigPath, type GlobalOptions } from '../context.js';
import { Discovery, findResource } from '../discovery.js';
import { connectionOverrides, type CliContext } from './common.js';

const COMPLETION_TIMEOUT_MS = 5000;
const typeVerbs = new Set(['get', 'describe', 'delete', 'edit', 'label', 'annotate', 'patch', 'explain']);
const nodeVerbs = new Set(['cordon', 'uncordon', 'drain']);
const daemonSetVerbs = new Set(['rollout', 'set']);
const daemonSetTypes = new Set(['daemonset', 'daemonsets', 'ds', 'daemonsets.apps', 'daemonset.apps']);
const nodeTypes = new Set(['node', 'nodes', 'no']);

/** What a command line asks to complete: a value of a flag, or the next positional argument. */
export interface CompletionRequest {
  /** The positional words before the one being completed (the verb first). */
  positionals: string[];
  /** The flag whose value is being completed (`-n`, `--context`), if any. */
  valueFor?: string;
  globals: GlobalOptions;
  allNamespaces: boolean;
}

/** Splits the words before the last into positionals and options, as the command tree reads them. */
export function completionRequest(program: Command, words: string[]): CompletionRequest {
  const before = words.slice(0, -1);
  const req: CompletionRequest = { positionals: [], globals: {}, allNamespaces: false };
  const option = (flag: string): Option | undefined => {
    const verb = program.commands.find((c) => c.name() === req.positionals[0]);
    const sub = verb?.commands.find((c) => c.name() === req.positionals[1]);
    for (const c of [sub, verb, program]) {
      const o = c?.options.find((x) => x.short === flag || x.long === flag);
      if (o) return o;
    }
    return undefined;
  };
  // The global options (connection flags among them) as the run itself would read them.
  const globals = req.globals as Record<string, unknown>;
  const setGlobal = (flag: string, value: string | true): void => {
    const o = program.options.find((x) => x.short === flag || x.long === flag);
    if (!o) return;
    const key = o.attributeName();
    globals[key] = key === 'asGroup' ? [...((globals[key] as string[] | undefined) ?? []), value] : value;
  };
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!;
    if (!w.startsWith('-') || w === '-') {
      req.positionals.push(w);
      continue;
    }
    if (w === '-A' || w === '--all-namespaces') req.allNamespaces = true;
    const eq = w.indexOf('=');
    if (eq > 0) {
      setGlobal(w.slice(0, eq), w.slice(eq + 1));
      continue;
    }
    if (option(w)?.required) {
      if (i + 1 < before.length) setGlobal(w, before[++i]!);
      else req.valueFor = w;
    } else setGlobal(w, true);
  }
  return req;
}

export function registerComplete(program: Command, ctx: CliContext): void {
  program
    .command('__complete', { hidden: true })
    .description('Print the completions of the last word (for the shell completion scripts)')
    .argument('[words...]', 'the command line after "everynode", the word to complete last')
    .action(async (words: string[]) => {
      if (words.length === 0) return;
      const cur = words[words.length - 1]!;
      let found: string[] = [];
      try {
        found = await candidates(ctx, completionRequest(program, words), cur);
      } catch {
        found = [];
      }
      const out = [...new Set(found)].filter((c) => c.startsWith(cur)).sort();
      if (out.length > 0) ctx.out(out.join('\n') + '\n');
    });
}

async function candidates(ctx: CliContext, req: CompletionRequest, cur: string): Promise<string[]> {
  const kubeconfig = resolveKubeconfigPath(req.globals, ctx.io.env);
  if (req.valueFor === '--context') {
    const doc = (parseYaml(readFileSync(kubeconfig, 'utf8')) ?? {}) as { contexts?: { name?: unknown }[] };
    return (doc.contexts ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  }
  const conn = new Connection(kubeconfig, req.globals.context, req.globals.namespace, () => {}, COMPLETION_TIMEOUT_MS, connectionOverrides(req.globals));
  try {
    const names = async (r: ResourceDescriptor, prefix = ''): Promise<string[]> => {
      const ns = r.namespaced ? (req.allNamespaces ? undefined : conn.namespace) : undefined;
      const list = await conn.client.list<KubeObject>(r, ns !== undefined ? { namespace: ns } : {});
      return list.items.map((o) => `${prefix}${o.metadata.name ?? ''}`);
    };
    if (req.valueFor === '-n' || req.valueFor === '--namespace') return await names(namespacesResource);
    if (req.valueFor !== undefined) return [];

    const [verb, second, third] = req.positionals;
    if (verb === undefined) return [];
    const typed = async (typeWord: string): Promise<string[]> => {
      const r = findResource(await new Discovery(conn).resources(), typeWord);
      return r ? names(r, cur.includes('/') ? `${typeWord}/` : '') : [];
    };
    if (typeVerbs.has(verb)) {
      if (cur.includes('/')) return await typed(cur.slice(0, cur.indexOf('/')));
      if (second === undefined) {
        const all = await new Discovery(conn).resources();
        return all.filter((r) => r.verbs.includes('get') || r.verbs.includes('list')).map((r) => r.plural);
      }
      if (second.includes('/') || verb === 'explain') return [];
      return await typed(second);
    }
    if (verb === 'logs') {
      if (second !== undefined) return [];
      if (cur.startsWith('ds/') || cur.startsWith('daemonset/')) return await names(daemonSetsResource, cur.slice(0, cur.indexOf('/') + 1));
      return await names(podsResource, cur.startsWith('pod/') ? 'pod/' : '');
    }
    if (nodeVerbs.has(verb)) return await names(nodesResource, cur.startsWith('node/') ? 'node/' : '');
    if (verb === 'taint') {
      if (second === undefined) return cur.includes('/') ? await names(nodesResource, 'node/') : ['nodes'];
      return nodeTypes.has(second) && third === undefined ? await names(nodesResource) : [];
    }
    if (verb === 'top') {
      if (second === undefined || third !== undefined) return [];
      if (nodeTypes.has(second)) return await names(nodesResource);
      if (['pod', 'pods', 'po'].includes(second)) return await names(podsResource);
      return [];
    }
    if (daemonSetVerbs.has(verb) && second !== undefined) {
      const [, , ...rest] = req.positionals;
      if (cur.includes('/')) return await names(daemonSetsResource, cur.slice(0, cur.indexOf('/') + 1));
      if (rest.length === 0) return ['daemonset', ...(await names(daemonSetsResource, 'ds/'))];
      if (daemonSetTypes.has(rest[0]!) && (rest.length === 1 || verb === 'rollout')) return await names(daemonSetsResource);
      return [];
    }
    return [];
  } finally {
    conn.close();
  }
}
