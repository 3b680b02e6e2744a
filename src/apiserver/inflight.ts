// The limit on requests in flight: kube-apiserver's max-in-flight filter (what it runs without
// API Priority and Fairness, `--max-requests-inflight` 400 and `--max-mutating-requests-inflight`
// 200), so a burst of clients cannot pile up work and memory without bound.
//
// Contract:
// - Counted: requests of the network listener once authenticated and authorized, read-only ones
//   (GET, HEAD, OPTIONS) and mutating ones (everything else) apart, from admission until their
//   response closes. Not counted: long-running requests, which upstream exempts (watches,
//   `proxy`, and the subresources attach, exec, log, portforward, proxy); callers in the group
//   system:masters (exempt upstream too, so an administrator can always act); the in-process
//   listener of the server's own controllers. A request whose client went away before it was
//   admitted (while authentication waited on a stalled store) is not counted: its response had
//   closed already, so nothing would ever release its slot.
// - A request beyond its kind's limit gets 429 TooManyRequests with `Retry-After: 1` (which
//   client-go honours by retrying) before any work, and is not counted. A limit of 0 is no limit.

import type { ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { SYSTEM_MASTERS, type UserInfo } from '../auth/index.js';
import type { ResourceRoute } from './request-info.js';

export interface InflightLimits {
  /** Read-only requests in flight at most (upstream default 400); 0: no limit. */
  readOnly: number;
  /** Mutating requests in flight at most (upstream default 200); 0: no limit. */
  mutating: number;
}

export const defaultInflightLimits: InflightLimits = { readOnly: 400, mutating: 200 };

const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'log', 'portforward', 'proxy']);
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Retry-After (seconds) of a refusal, as upstream's filter sends it. */
const RETRY_AFTER_SECONDS = 1;

export type RequestKind = 'readOnly' | 'mutating';

/** The response can no longer be sent: its connection (HTTP/1.1) or stream (HTTP/2) closed. */
export function answerClosed(res: ServerResponse): boolean {
  const r = res as ServerResponse & { stream?: { closed?: boolean } };
  return r.destroyed || r.closed || r.stream?.closed === true;
}

export class InflightLimiter {
  private readonly current: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };

  constructor(private readonly limits: InflightLimits) {}

  /**
   * Counts the request until `res` closes, or throws the 429 (see the file comment). `route`:
   * the parsed resource route (undefined for other paths); `watch`: the request is a watch.
   */
  admit(method: string, route: ResourceRoute | undefined, watch: boolean, user: UserInfo, res: ServerResponse): void {
    if (watch || (route?.subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(route.subresource))) return;
    if (user.groups.includes(SYSTEM_MASTERS)) return;
    const kind: RequestKind = READ_ONLY_METHODS.has(method) ? 'readOnly' : 'mutating';
    const limit = this.limits[kind];
    if (limit <= 0) return;
    if (this.current[kind] >= limit) {
      // sendStatus turns retryAfterSeconds into the Retry-After header.
      throw new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    // A client gone while the request was authenticated (a store stall): its 'close' has
    // already fired and would never release the slot. Nothing is counted; the work goes on
    // for no one and its answer is dropped.
    if (answerClosed(res)) return;
    this.current[kind]++;
    let done = false;
    res.once('close', () => {
      if (done) return;
      done = true;
      this.current[kind]--;
    });
  }

  /** Requests in flight now, by kind (the apiserver_current_inflight_requests gauge). */
  inflight(): Readonly<Record<RequestKind, number>> {
    return this.current;
  }
}
