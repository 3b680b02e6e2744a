// The kubeconfig startServer writes for local clients (kubectl, @kubernetes/client-node).
// Plain http needs `insecure-skip-tls-verify: true` for client-node (kube-api §1.3); kubectl
// accepts it too. The token is a placeholder: nothing checks it yet (and kubectl does not
// send credentials over http).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function kubeconfigYaml(serverUrl: string, name = 'everynode'): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${serverUrl}
    insecure-skip-tls-verify: true
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}
    namespace: default
current-context: ${name}
preferences: {}
users:
- name: ${name}
  user:
    token: ${name}
`;
}

export function writeKubeconfig(path: string, serverUrl: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(serverUrl), { mode: 0o600 });
}
