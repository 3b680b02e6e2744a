// The `--store` flag of `everynode server` and `everynode up`.

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
