// Node identity rotation (the kubelet's client certificate rotation): before the node's client
// certificate runs out, the agent asks the server for a fresh identity with the current one
// (POST /everynode/v1/renew, see src/apiserver/security.ts), stores it, and switches to it.
//
// Contracts:
// - Renews once less than `renewBeforeFraction` of the client certificate's lifetime remains
//   (default 0.2: a one-year certificate is renewed ~73 days before it expires), checked at
//   start and every `checkIntervalMs`; a failed attempt is retried after `retryMs`.
// - Also renews at once when the serving certificate was issued by the cluster CA (agents of
//   earlier versions): those pass for the API server at the addresses they name, so they are
//   replaced by one of the node serving CA (src/auth/pki.ts) as soon as the server offers it.
// - The new identity is stored (`storeNodeIdentity`, atomic files) BEFORE `onRotated` runs, so
//   an agent restarted at any moment finds a valid identity on disk.
// - The servers are asked in order until one renews (a decommissioned first server must not
//   let the identity run out); when all fail, the attempt is retried later.

import { X509Certificate } from 'node:crypto';
import { certificateValidity, renewNodeIdentity, storeNodeIdentity, type NodeIdentity } from '../auth/node-identity.js';
import type { Logger } from '../util/logger.js';

export interface IdentityRotationOptions {
  /** The API server to renew with. */
  server: string;
  /** Further API servers of the cluster, asked in order when `server` cannot renew. */
  otherServers?: string[];
  /** The identity in use now. */
  identity: NodeIdentity;
  /** Where the identity is stored (`<dataDir>/identity/`). */
  dataDir: string;
  /** Switch the transports and the agent's endpoint to the new identity. */
  onRotated(identity: NodeIdentity): void;
  logger: Logger;
  renewBeforeFraction?: number;
  checkIntervalMs?: number;
  retryMs?: number;
}

export interface IdentityRotation {
  /** The identity in use. */
  current(): NodeIdentity;
  /** Renews now if due; true when it renewed. */
  check(): Promise<boolean>;
  stop(): void;
}

export function startIdentityRotation(o: IdentityRotationOptions): IdentityRotation {
  const fraction = Math.min(1, Math.max(0, o.renewBeforeFraction ?? 0.2));
  const checkIntervalMs = o.checkIntervalMs ?? 10 * 60_000;
  const retryMs = o.retryMs ?? 60_000;
  let identity = o.identity;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<boolean> | undefined;

  const servedByClusterCa = (): boolean => {
    try {
      return new X509Certificate(identity.servingCertPem).issuer === new X509Certificate(identity.caPem).subject;
    } catch {
      return false;
    }
  };
  // A server of an earlier version signs serving certificates with the cluster CA still: ask
  // it once per start, not in a loop.
  let askedForServingCa = false;
  const due = (): boolean => {
    const { notBefore, notAfter } = certificateValidity(identity.certPem);
    if (Date.now() >= notAfter - fraction * (notAfter - notBefore)) return true;
    if (!askedForServingCa && servedByClusterCa()) {
      askedForServingCa = true;
      return true;
    }
    return false;
  };

  const renewAnywhere = async (): Promise<NodeIdentity> => {
    let last: unknown;
    for (const server of [o.server, ...(o.otherServers ?? [])]) {
      try {
        return await renewNodeIdentity(server, identity);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };

  const renew = async (): Promise<boolean> => {
    if (!due()) return false;
    const next = await renewAnywhere();
    if (stopped) return false;
    storeNodeIdentity(o.dataDir, next);
    identity = next;
    o.onRotated(next);
    o.logger.info(`node identity renewed; the client certificate is valid until ${new Date(certificateValidity(next.certPem).notAfter).toISOString()}`);
    return true;
  };

  const check = (): Promise<boolean> => (inFlight ??= renew().finally(() => (inFlight = undefined)));

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      check().then(
        () => schedule(checkIntervalMs),
        (err: unknown) => {
          o.logger.warn(`node identity renewal failed; retrying in ${Math.round(retryMs / 1000)} s: ${err instanceof Error ? err.message : String(err)}`);
          schedule(retryMs);
        },
      );
    }, ms);
    timer.unref();
  };
  schedule(0);

  return {
    current: () => identity,
    check,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
