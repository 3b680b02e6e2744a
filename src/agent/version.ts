// The Kubernetes version the agent presents itself as, in one place: the Node's
// status.nodeInfo.kubeletVersion and the User-Agent of probes and lifecycle hooks (upstream
// derives both from the kubelet's own version, `kube-probe/<major>.<minor>`).

/** The version the agent reports as kubeletVersion (the API server's gitVersion). */
export const agentKubeletVersion = 'v1.32.0';

/** `<major>.<minor>` of a `v<major>.<minor>.<patch>` version, as upstream's User-Agents carry it. */
export function majorMinor(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a Kubernetes version: ${JSON.stringify(version)}`);
  return `${m[1]}.${m[2]}`;
}
