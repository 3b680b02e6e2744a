// kubeconfig loading: the current (or named) context's cluster and user, resolved to what
// HttpTransport needs. File references are resolved relative to the kubeconfig's directory.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { HttpTransportOptions } from './http-transport.js';

export interface ResolvedKubeconfig extends HttpTransportOptions {
  namespace: string;
  contextName: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Dict = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The file's YAML. An unreadable or malformed file throws kubectl's one line naming it:
 * `error loading config file "<path>": <first line of the cause>`.
 */
function readDoc(path: string): Dict {
  try {
    return (parse(readFileSync(path, 'utf8')) ?? {}) as Dict;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const first = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unreadable';
    throw new Error(`error loading config file "${path}": ${first.replace(/:$/, '')}`);
  }
}

/**
 * The context's cluster, user and namespace resolved into connection options. `use` names a
 * cluster or user entry to take instead of the context's (kubectl's --cluster and --user).
 */
export function loadKubeconfig(path: string, contextName?: string, use: { cluster?: string; user?: string } = {}): ResolvedKubeconfig {
  const doc = readDoc(path);
  const dir = dirname(path);
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(dir, p));
  const ctxName = contextName ?? str(doc['current-context']);
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context`);
  const find = (list: unknown, name: string | undefined, what: string): Dict => {
    const e = ((list as Named<Dict>[] | undefined) ?? []).find((x) => x.name === name);
    if (!e) throw new Error(`kubeconfig ${path}: ${what} "${name ?? ''}" not found`);
    return (e[what] as Dict | undefined) ?? {};
  };
  const ctx = find(doc['contexts'], ctxName, 'context');
  const cluster = find(doc['clusters'], use.cluster ?? str(ctx['cluster']), 'cluster');
  const userName = use.user ?? str(ctx['user']);
  const user = userName ? find(doc['users'], userName, 'user') : {};
  const server = str(cluster['server']);
  if (!server) throw new Error(`kubeconfig ${path}: cluster of context "${ctxName}" has no server`);
  const out: ResolvedKubeconfig = { server, namespace: str(ctx['namespace']) ?? 'default', contextName: ctxName };
  const b64 = (v: unknown): Buffer | undefined => (str(v) ? Buffer.from(str(v) as string, 'base64') : undefined);
  out.ca = b64(cluster['certificate-authority-data']) ?? (str(cluster['certificate-authority']) ? file(str(cluster['certificate-authority'])!) : undefined);
  if (cluster['insecure-skip-tls-verify'] === true) out.insecureSkipTLSVerify = true;
  out.cert = b64(user['client-certificate-data']) ?? (str(user['client-certificate']) ? file(str(user['client-certificate'])!) : undefined);
  out.key = b64(user['client-key-data']) ?? (str(user['client-key']) ? file(str(user['client-key'])!) : undefined);
  out.token = str(user['token']) ?? (str(user['tokenFile']) ? file(str(user['tokenFile'])!).toString('utf8').trim() : undefined);
  for (const k of ['ca', 'cert', 'key', 'token'] as const) if (out[k] === undefined) delete out[k];
  return out;
}
