// Kubeconfigs that carry the cluster CA and a credential, in the form kubectl and
// @kubernetes/client-node read unchanged (`certificate-authority-data` etc. are base64 PEM).
// Contract: the caller writes the result with mode 0600 (it contains a secret).

import { stringify } from 'yaml';

export type KubeconfigCredential = { token: string } | { certPem: string; keyPem: string };

export function kubeconfigWithCredentials(o: { server: string; caPem: string; credential: KubeconfigCredential; name?: string; user?: string; namespace?: string }): string {
  const name = o.name ?? 'everynode';
  const userName = o.user ?? name;
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const user = 'token' in o.credential
    ? { token: o.credential.token }
    : { 'client-certificate-data': b64(o.credential.certPem), 'client-key-data': b64(o.credential.keyPem) };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: o.server, 'certificate-authority-data': b64(o.caPem) } }],
    contexts: [{ name, context: { cluster: name, user: userName, namespace: o.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
    users: [{ name: userName, user }],
  });
}
