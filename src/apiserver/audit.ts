// The audit log of writes (issue 7): one JSON line per write request answered by the secured
// listener, in the shape of upstream's `audit.k8s.io/v1` Event at level Metadata.
//
// Contracts:
// - Audited: requests whose verb is create, update, patch, delete or deletecollection on a
//   resource path, and the join endpoint, whatever their outcome (401 and 403 included). Reads,
//   watches and non-resource requests are not logged. Every response of the secured listener
//   carries an `Audit-Id` header (the event's auditID when it is logged).
// - Metadata only: who (user, groups), verb, objectRef (for a create, the name of the object
//   made, from the registry's answer), response code, source IP, user agent,
//   timestamps. Never a request or response body, header value or credential, so no Secret
//   value can reach the file. An unauthenticated attempt is logged as `system:anonymous`; a join
//   as `system:bootstrap:<token id>` (the id half of the token, never its secret).
// - An event is recorded once, when the response finished (`stage` ResponseComplete), or when
//   the connection closed first (annotation `everynode.io/aborted: "true"`, the code is what
//   was set by then).
// - Writing never blocks a request: `record` appends to an in-memory buffer, written in batches
//   by one background loop. When more than `MAX_PENDING_BYTES` wait (the disk stalls), new
//   events are dropped and counted (warned once per batch). `close()` writes everything
//   buffered and closes the file.
// - Files: `<dir>/audit.log` (mode 0600 in a 0700 dir). Before a line would take the file past
//   `maxBytes`, the file is rotated: audit.log.N-1 → audit.log.N … audit.log → audit.log.1,
//   keeping `maxFiles` rotated files (the oldest is replaced). A single line larger than
//   `maxBytes` goes alone into a fresh file. Assumes one writing process per directory.

import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { requestAttributes, type UserInfo } from '../auth/index.js';
import { outageLog, type Logger } from '../util/logger.js';
import type { ResourceRoute } from './request-info.js';

export interface AuditOptions {
  /** Directory of the log; default `<dataDir>/audit`. */
  dir?: string;
  /** Rotation size of audit.log; default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept (audit.log.1 … audit.log.N); default 5. */
  maxFiles?: number;
}

export const AUDIT_FILE = 'audit.log';
export const AUDIT_ID_HEADER = 'Audit-Id';
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_FILES = 5;
/** Buffered bytes beyond which new events are dropped rather than held in memory. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const ANONYMOUS: UserInfo = { user: 'system:anonymous', groups: ['system:unauthenticated'] };

/** One line of the log (upstream audit.k8s.io/v1 Event, level Metadata). */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: { username: string; groups: string[]; uid?: string };
  /** The user an impersonating request ran as. */
  impersonatedUser?: { username: string; groups: string[]; uid?: string };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: { resource: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string; subresource?: string };
  responseStatus: { code: number; status?: 'Failure' };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** The append-only, size-rotated audit file (see the file comment). */
export class AuditLog {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private size: number;
  private fh: FileHandle | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  /** Write failures (a full disk) said once per outage, not once per batch. */
  private readonly outage: ReturnType<typeof outageLog> | undefined;

  constructor(private readonly dir: string, o: Omit<AuditOptions, 'dir'> = {}, private readonly logger?: Logger) {
    this.outage = logger && outageLog(logger, `writing the audit log in ${dir}`, 'the events of each failed write are lost until one works');
    this.maxBytes = Math.max(1, o.maxBytes ?? DEFAULT_MAX_BYTES);
    this.maxFiles = Math.max(0, Math.floor(o.maxFiles ?? DEFAULT_MAX_FILES));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, AUDIT_FILE);
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      // No log yet.
    }
    this.size = size;
  }

  /** Queues one event; never blocks and never throws. Ignored after close(). */
  record(ev: AuditEvent): void {
    if (this.closed) return;
    const line = JSON.stringify(ev) + '\n';
    const n = Buffer.byteLength(line);
    if (this.pendingBytes + n > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += n;
    this.schedule();
  }

  /** Resolves when everything recorded so far is written. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Writes what is buffered, then closes the file (idempotent). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((ok) => setImmediate(ok))
      .then(() => this.drain())
      .then(
        () => this.outage?.ok(),
        (err: unknown) => this.outage?.failed(err),
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      let chunk = '';
      let chunkBytes = 0;
      for (const line of lines) {
        const n = Buffer.byteLength(line);
        if (this.size + chunkBytes > 0 && this.size + chunkBytes + n > this.maxBytes) {
          await this.append(chunk, chunkBytes);
          chunk = '';
          chunkBytes = 0;
          await this.rotate();
        }
        chunk += line;
        chunkBytes += n;
      }
      await this.append(chunk, chunkBytes);
      if (this.dropped > 0) {
        this.logger?.warn(`audit log: dropped ${this.dropped} events (writes fell behind)`);
        this.dropped = 0;
      }
    }
  }

  private async append(text: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    this.fh ??= await open(this.path, 'a', 0o600);
    await this.fh.appendFile(text);
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
    const rotated = (i: number): string => `${this.path}.${i}`;
    if (this.maxFiles === 0) await ignoreMissing(unlink(this.path));
    else {
      for (let i = this.maxFiles - 1; i >= 1; i--) await ignoreMissing(rename(rotated(i), rotated(i + 1)));
      await ignoreMissing(rename(this.path, rotated(1)));
    }
    this.size = 0;
  }
}

async function ignoreMissing(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** An event's user: username, groups, and uid when there is one. */
function auditUser(u: UserInfo): AuditEvent['user'] {
  return u.uid ? { username: u.user, groups: u.groups, uid: u.uid } : { username: u.user, groups: u.groups };
}

/** Opens the log for ServerOptions.audit (`false` = none). */
export function openAuditLog(dataDir: string, o: false | AuditOptions | undefined, logger?: Logger): AuditLog | undefined {
  if (o === false) return undefined;
  return new AuditLog(resolve(o?.dir ?? join(dataDir, 'audit')), o ?? {}, logger);
}

/** Who a request turned out to be; filled by the handler once authentication succeeded. */
export interface AuditContext {
  user?: UserInfo;
  /** The user the request ran as, when it impersonated one. */
  impersonatedUser?: UserInfo;
  /** The object's name when the path has none (a create), once the handler knows it. */
  name?: string;
  /** Annotations of the event (admission's, e.g. PodSecurity's audit violations). */
  annotations?: Record<string, string>;
}

/** What auditing reads from a response: a ServerResponse, or the stand-in of an upgraded connection. */
export interface AuditedResponse {
  statusCode: number;
  readonly writableFinished: boolean;
  setHeader(name: string, value: string): unknown;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * Starts auditing one request of the secured listener: sets the `Audit-Id` response header and,
 * for writes (see the file comment), records the event when the response ends. `route` is the
 * parsed resource route (undefined for other paths); `join` marks the join endpoint, whose
 * caller is named by `bootstrapTokenId`.
 */
export function auditRequest(
  log: AuditLog,
  req: IncomingMessage,
  res: AuditedResponse,
  o: {
    path: string;
    route: ResourceRoute | undefined;
    watch: boolean;
    join?: { bootstrapTokenId?: string | undefined };
    /** The method the request counts as (an exec upgrade, a GET, is the `create` of pods/exec). */
    method?: string;
  },
): AuditContext {
  const auditID = randomUUID();
  res.setHeader(AUDIT_ID_HEADER, auditID);
  const ctx: AuditContext = {};
  const method = o.method ?? req.method ?? 'GET';
  const attrs = requestAttributes(ANONYMOUS, method, o.path, o.route, o.watch);
  let verb = attrs.verb;
  if (o.join) {
    if (method !== 'POST') return ctx;
    verb = 'create';
    if (o.join.bootstrapTokenId) ctx.user = { user: `system:bootstrap:${o.join.bootstrapTokenId}`, groups: ['system:bootstrappers'] };
  } else if (!o.route || !WRITE_VERBS.has(verb)) {
    return ctx;
  }
  const received = new Date().toISOString();
  // Read now: once an upgraded connection has closed, its socket no longer knows the address.
  const sourceIP = req.socket.remoteAddress;
  let done = false;
  const finish = (aborted: boolean): void => {
    if (done) return;
    done = true;
    const u = ctx.user ?? ANONYMOUS;
    const code = res.statusCode;
    // Built member by member, in the order the line is written (one event per write request:
    // no spread of a temporary object per optional member).
    const ev = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID,
      stage: 'ResponseComplete',
      requestURI: req.url ?? o.path,
      verb,
      user: auditUser(u),
    } as AuditEvent;
    if (ctx.impersonatedUser) ev.impersonatedUser = auditUser(ctx.impersonatedUser);
    ev.sourceIPs = sourceIP ? [sourceIP] : [];
    const userAgent = req.headers['user-agent'];
    if (typeof userAgent === 'string') ev.userAgent = userAgent.slice(0, 256);
    if (o.route) {
      const ref: NonNullable<AuditEvent['objectRef']> = { resource: attrs.resource };
      if (attrs.namespace) ref.namespace = attrs.namespace;
      const name = attrs.name || ctx.name;
      if (name) ref.name = name;
      ref.apiGroup = attrs.apiGroup;
      if (attrs.apiVersion) ref.apiVersion = attrs.apiVersion;
      if (attrs.subresource) ref.subresource = attrs.subresource;
      ev.objectRef = ref;
    }
    ev.responseStatus = code >= 400 ? { code, status: 'Failure' } : { code };
    ev.requestReceivedTimestamp = received;
    ev.stageTimestamp = new Date().toISOString();
    if (ctx.annotations || aborted) ev.annotations = { ...ctx.annotations, ...(aborted ? { 'everynode.io/aborted': 'true' } : {}) };
    log.record(ev);
  };
  res.once('finish', () => finish(false));
  res.once('close', () => finish(!res.writableFinished));
  return ctx;
}
