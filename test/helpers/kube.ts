// @kubernetes/client-node plumbing: a KubeConfig from the server's kubeconfig file, the typed
// API clients, and decoding of ApiException into the metav1.Status the server sent.

import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { Status } from '../../src/api/types.js';

export function kubeConfigFromFile(path: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(readFileSync(path, 'utf8'));
  return kc;
}

export interface ApiClients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  coordination: k8s.CoordinationV1Api;
  rbac: k8s.RbacAuthorizationV1Api;
  scheduling: k8s.SchedulingV1Api;
}

export function apiClients(kubeconfigPath: string): ApiClients {
  const kc = kubeConfigFromFile(kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    coordination: kc.makeApiClient(k8s.CoordinationV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    scheduling: kc.makeApiClient(k8s.SchedulingV1Api),
  };
}

/**
 * `newNamespace(prefix)`: creates `<prefix>-<n>` (n counting from 1 per factory) through
 * `core()` and returns its name, as upstream's e2e framework gives each test its own namespace.
 */
export function namespaceFactory(core: () => k8s.CoreV1Api): (prefix: string) => Promise<string> {
  let n = 0;
  return async (prefix) => {
    const name = `${prefix}-${++n}`;
    await core().createNamespace({ body: { metadata: { name } } });
    return name;
  };
}

export interface ApiFailure {
  code: number;
  /** The decoded metav1.Status body, when the server sent one. */
  status: Status | undefined;
}

/** Decodes an ApiException (or anything else thrown by client-node) into code + Status. */
export function decodeApiError(err: unknown): ApiFailure {
  if (err instanceof k8s.ApiException) {
    const raw: unknown = err.body;
    let status: Status | undefined;
    try {
      const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      if (parsed && typeof parsed === 'object' && (parsed as { kind?: unknown }).kind === 'Status') status = parsed as Status;
    } catch {
      status = undefined;
    }
    return { code: err.code, status };
  }
  throw err;
}

/** Awaits `p`, which must fail with an ApiException; returns its code and Status. */
export async function apiFailure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p;
  } catch (err) {
    return decodeApiError(err);
  }
  throw new Error('expected the API call to fail, but it succeeded');
}
