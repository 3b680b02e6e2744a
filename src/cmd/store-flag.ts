// Flags `everynode server` and `everynode up` share: `--store`, `--cluster-dns` and `--cluster-domain`.

/** Usage text of the flag (indented like the commands' option lists). */
export const storeFlagUsage = `           --store STORE        sqlite (default: DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]
                                (several servers may share one etcd; the kubeconfig stays in DIR)
`;

/**
 * `sqlite` means the data dir's state.db (undefined: startServer's default); an `etcd://` URL is
 * passed to openStore as is. Anything else is a usage error.
 */
export function storeUrlFromFlag(value: string): string | undefined {
  if (value === 'sqlite') return undefined;
  if (/^etcd(\+https?)?:\/\//i.test(value)) return value;
  throw new Error(`--store ${JSON.stringify(value)}: want sqlite or etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]`);
}

/**
 * The cluster DNS option of startServer from `--cluster-dns HOST:PORT|off` and
 * `--cluster-domain`; undefined for off. `fallbackToFreePort` is for up's default address only.
 * Usage errors name the command.
 */
export function clusterDnsFlags(command: string, listen: string, domain: string, fallbackToFreePort = false): { listen: string; domain: string; fallbackToFreePort: boolean } | undefined {
  if (!/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i.test(domain)) {
    throw new Error(`${command}: invalid --cluster-domain ${JSON.stringify(domain)}: want a DNS name such as cluster.local`);
  }
  if (listen === 'off') return undefined;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new Error(`${command}: invalid --cluster-dns ${JSON.stringify(listen)}: want HOST:PORT or off`);
  return { listen, domain: domain.toLowerCase().replace(/\.$/, ''), fallbackToFreePort };
}
