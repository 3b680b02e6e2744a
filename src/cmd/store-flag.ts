// Flags `everynode server` and `everynode up` share: `--store`, `--cluster-dns`, `--cluster-domain`,
// `--cors-allowed-origins`, `--node-monitor-grace-period` and `--node-startup-grace-period`.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { isDNS1123Subdomain, isWildcardDNS1123Subdomain } from '../api/validation/names.js';

/** Usage text of the flag (indented like the commands' option lists). */
export const storeFlagUsage = `           --store STORE        sqlite (default: DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]
                                (several servers may share one etcd; the kubeconfig stays in DIR)
           --store-wait DURATION
                                how long to wait at start for an etcd that is not reachable yet,
                                e.g. 30s, 5m; 0 = fail at once (default 60s)
`;

/** Default of `--store-wait`: an etcd started by the same supervisor is up well within it. */
export const defaultStoreWait = '60s';

/**
 * `--store-wait` in ms for startServer's storeWaitMs: `90s`, `5m`, `1h`, `1m30s` or plain
 * seconds. Only an etcd store is waited for (a SQLite file is local: there is nothing to wait for).
 */
export function storeWaitMsFromFlag(value: string, storeUrl: string | undefined): number {
  const ms = durationMs('store-wait', value, 'e.g. 30s, 5m or 0');
  return storeUrl === undefined ? 0 : ms;
}

/** A duration flag's value in ms: `90s`, `5m`, `1h`, `1m30s`, `500ms` or plain seconds. */
function durationMs(flag: string, value: string, want: string): number {
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+)(ms|s|m|h)/gy;
  let ms = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    end = re.lastIndex;
  }
  if (t === '' || end !== t.length) throw new Error(`invalid --${flag} ${JSON.stringify(value)}: want ${want}`);
  return ms;
}

export const nodeLifecycleFlagUsage = `           --node-monitor-grace-period DURATION
                                how long a node may go without renewing its Lease or posting
                                its status before it is marked Ready=Unknown and tainted
                                unreachable (default 50s, as Kubernetes 1.32; at least 15s:
                                agents renew every 10s)
           --node-startup-grace-period DURATION
                                the same for a node that never posted Ready (default 60s)
`;

/** The least grace period allowed: more than the agents' 10 s lease renewal, with room for one late renewal. */
const minNodeGraceMs = 15_000;

/**
 * `--node-monitor-grace-period` and `--node-startup-grace-period` (absent: the defaults) as the
 * controller manager's nodeLifecycle options, or undefined when neither is given.
 */
export function nodeLifecycleFromFlags(monitor: string | undefined, startup: string | undefined): { gracePeriodMs?: number; startupGracePeriodMs?: number } | undefined {
  if (monitor === undefined && startup === undefined) return undefined;
  const out: { gracePeriodMs?: number; startupGracePeriodMs?: number } = {};
  for (const [flag, value, key] of [['node-monitor-grace-period', monitor, 'gracePeriodMs'], ['node-startup-grace-period', startup, 'startupGracePeriodMs']] as const) {
    if (value === undefined) continue;
    const ms = durationMs(flag, value, 'e.g. 40s or 2m');
    if (ms < minNodeGraceMs) throw new Error(`--${flag} ${value}: must be at least 15s (agents renew their Lease every 10s; a shorter grace marks live nodes Unknown)`);
    out[key] = ms;
  }
  return out;
}

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
/** --cluster-domain: a DNS name, lower-cased, without a trailing dot. */
export function clusterDomainFlag(command: string, domain: string): string {
  if (!/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i.test(domain)) {
    throw new Error(`${command}: invalid --cluster-domain ${JSON.stringify(domain)}: want a DNS name such as cluster.local`);
  }
  return domain.toLowerCase().replace(/\.$/, '');
}

export function clusterDnsFlags(command: string, listen: string, domain: string, fallbackToFreePort = false): { listen: string; domain: string; fallbackToFreePort: boolean } | undefined {
  const zone = clusterDomainFlag(command, domain);
  if (listen === 'off') return undefined;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new Error(`${command}: invalid --cluster-dns ${JSON.stringify(listen)}: want HOST:PORT or off`);
  return { listen, domain: zone, fallbackToFreePort };
}

/** Usage text of `--cors-allowed-origins`. */
export const inflightFlagUsage = `           --max-requests-inflight N
                                read-only requests served at once at most, beyond which
                                clients get 429 and retry (default 400; 0: no limit)
           --max-mutating-requests-inflight N
                                the same for writes (default 200; 0: no limit)
`;

/** The parseArgs options of the two limits (server and up). */
export const inflightFlagOptions = {
  'max-requests-inflight': { type: 'string', default: '400' },
  'max-mutating-requests-inflight': { type: 'string', default: '200' },
} as const;

/** A limit flag's value: a whole number, 0 or more. */
function inflightFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`--${name}: want a whole number, 0 or more (0: no limit); got ${JSON.stringify(value)}`);
  return Number(value.trim());
}

/** startServer's inflightLimits from `--max-requests-inflight` and `--max-mutating-requests-inflight`. */
export function inflightLimitsFromFlags(values: { 'max-requests-inflight': string; 'max-mutating-requests-inflight': string }): { readOnly: number; mutating: number } {
  return { readOnly: inflightFlag('max-requests-inflight', values['max-requests-inflight']), mutating: inflightFlag('max-mutating-requests-inflight', values['max-mutating-requests-inflight']) };
}

export const corsFlagUsage = `           --cors-allowed-origins REGEX[,REGEX...]
                                origins whose web pages may call the API (default: none);
                                anchor them: '^https://console\\.example\\.com$'
`;

/** `--cors-allowed-origins` values (repeatable, each comma-separated as upstream's flag) as startServer's corsAllowedOrigins. */
export function corsAllowedOriginsFromFlag(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * `--tls-san` values, each an IP address (IPv6 with or without brackets) or a DNS name (`*.`
 * wildcards too, any case), checked before anything starts: a typo such as `https://host` or
 * `a b` would otherwise go into the serving certificate, and stay there (names are kept).
 */
export function tlsSansFromFlag(command: string, values: readonly string[]): string[] {
  for (const raw of values) {
    const v = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(v) !== 0) continue;
    const name = v.toLowerCase();
    const errs = name.startsWith('*.') ? isWildcardDNS1123Subdomain(name) : isDNS1123Subdomain(name);
    if (v === '' || errs.length > 0) throw new Error(`${command}: invalid --tls-san ${JSON.stringify(raw)}: want a DNS name (e.g. server.example.com) or an IP address`);
  }
  return [...values];
}

/**
 * The line `server` and `up` print after their address when they listen on every address
 * (0.0.0.0 or ::): the address printed is loopback's, and machines elsewhere reach the server
 * by a name or IP its serving certificate (`servingCertPem`) holds: those it names besides
 * loopback's, or how to add one.
 */
export function wildcardListenNote(listen: string, port: number, servingCertPem: string): string | undefined {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (host !== '0.0.0.0' && host !== '::') return undefined;
  let names: string[] = [];
  try {
    names = (new X509Certificate(servingCertPem).subjectAltName ?? '')
      .split(', ')
      .map((n) => n.replace(/^(DNS|IP Address):/, ''))
      .filter((n) => n !== '' && n !== 'localhost' && n !== '127.0.0.1' && n !== '::1' && n !== '0:0:0:0:0:0:0:1');
  } catch {
    // no readable certificate: say how to add a name
  }
  const held = names.length > 0 ? `it holds ${names.join(', ')}; --tls-san NAME adds one` : 'none yet besides loopback: add one with --tls-san NAME';
  return `listening on every address (port ${port}): machines elsewhere reach it by a name or IP the serving certificate holds (${held})`;
}
