// Connection context shared by all client verbs: which kubeconfig, which context and
// namespace, the ApiClient, and raw requests for what ApiClient does not expose (Tables,
// discovery documents, apply patches with their status code, streamed logs and watches).
//
// Kubeconfig precedence: --kubeconfig, then the first existing entry of $KUBECONFIG (a
// path list), then ./.everynode/kubeconfig.yaml (the server's default data dir).
//
// Every request of a run goes out through Connection.send, which hands the server's `Warning:`
// response headers (RFC 7234 warning-values; code 299 only, as client-go) to the run's
// warning handler: kubectl prints each distinct text once per command, `Warning: <text>` on
// stderr (see CliContext).

import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { delimiter, resolve } from 'node:path';
import { ApiError } from '../api/errors.js';
import { errorFromResponse, HttpTransport, loadKubeconfig, readAll, RestClient, type ResolvedKubeconfig, type TransportRequest, type TransportResponse } from './client.js';
import type { CliIO } from './io.js';
import { goDuration } from './durations.js';
import { unreadable } from '../util/errors.js';

/** A client-side failure: printed as `error: <message>`, exit code 1. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** The server could not be reached at all (connection refused, DNS, reset). */
export class UnreachableError extends Error {
  constructor(readonly server: string, cause: unknown) {
    super(`the server at ${server} is unreachable (${cause instanceof Error ? cause.message : String(cause)}); is "everynode server" running?`);
    this.name = 'UnreachableError';
  }
}

/** --request-timeout ran out (kubectl's message: `Unable to connect to the server: <why>`). */
export class RequestTimeoutError extends Error {
  constructor(why: string) {
    super(`Unable to connect to the server: ${why}`);
    this.name = 'RequestTimeoutError';
  }
}

/** `body`, failing with a RequestTimeoutError if `deadline` fired before (or while) it was read to its end. */
async function* cutAtDeadline<T>(body: AsyncIterable<T>, deadline: AbortSignal): AsyncIterable<T> {
  const cut = (): RequestTimeoutError => new RequestTimeoutError('context deadline exceeded (Client.Timeout or context cancellation while reading body)');
  try {
    for await (const chunk of body) {
      if (deadline.aborted) throw cut();
      yield chunk;
    }
  } catch (e) {
    throw deadline.aborted ? cut() : e;
  }
  if (deadline.aborted) throw cut();
}

/** A stream that ends quietly where --request-timeout cut it. */
async function* endAtTimeout<T>(body: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* body;
  } catch (e) {
    if (!(e instanceof RequestTimeoutError)) throw e;
  }
}

/**
 * The server's certificate did not verify against the CA given (or does not name the server).
 * `caFrom`: where that CA came from, so the message says what to change.
 */
export class UntrustedServerError extends Error {
  constructor(readonly server: string, cause: unknown, caFrom: 'kubeconfig' | 'flag' | 'none' = 'kubeconfig') {
    const code = (cause as { code?: unknown } | null)?.code;
    const why =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'its certificate does not name this address (start the server with --tls-san for it)'
        : caFrom === 'none'
          ? "its certificate is not signed by a CA this client trusts: give the cluster's CA with --certificate-authority FILE (tls/ca.crt in the server's data dir), or use its kubeconfig"
          : caFrom === 'flag'
            ? 'its certificate is not signed by the CA of --certificate-authority (the CA of another cluster?)'
            : "its certificate is not signed by the kubeconfig's CA (a kubeconfig of another cluster, or the server's CA was replaced)";
    super(`unable to connect to the server at ${server}: ${why}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'UntrustedServerError';
  }
}

const tlsTrustCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const defaultKubeconfigPath = './.everynode/kubeconfig.yaml';

/**
 * kubectl's connection flags, each over what the kubeconfig says (client-go's clientcmd
 * overrides). File paths are relative to the working directory.
 */
export interface ConnectionOverrides {
  /** -s/--server: the API server's address; without a scheme, https when TLS is configured, else http. */
  server?: string;
  /** --cluster / --user: another entry of the kubeconfig than the context's. */
  cluster?: string;
  user?: string;
  token?: string;
  /** --insecure-skip-tls-verify: the server's certificate is not checked (the kubeconfig's CA is dropped). */
  insecureSkipTlsVerify?: boolean;
  /** --certificate-authority: verify the server with this CA file (it also clears insecure-skip-tls-verify). */
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  /** --as, --as-group (repeatable), --as-uid: impersonation, which needs a user. */
  as?: string;
  asGroup?: string[];
  asUid?: string;
}

export interface GlobalOptions extends ConnectionOverrides {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeout?: string;
  /** -v/--v: log level; 6 and up print each request with its status and duration on stderr. */
  v?: string;
  /** --warnings-as-errors: a run that printed a server warning exits 1. */
  warningsAsErrors?: boolean;
}

/** A file a flag names, read now (a clear error names the flag when it cannot be). */
function flagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`${flag} ${path}: ${unreadable(path) === 'missing' ? 'no such file' : e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * `base` with the flags of `o` over it, as clientcmd merges them: --insecure-skip-tls-verify and
 * --certificate-authority replace the kubeconfig's CA and insecure setting together (both at
 * once is refused); --token and the client certificate flags replace their own fields only.
 */
export function withOverrides(base: ResolvedKubeconfig, o: ConnectionOverrides): ResolvedKubeconfig {
  const out: ResolvedKubeconfig = { ...base };
  if (o.insecureSkipTlsVerify && o.certificateAuthority) throw new CliError('specifying a root certificates file with the insecure flag is not allowed');
  if (o.insecureSkipTlsVerify || o.certificateAuthority) {
    delete out.ca;
    delete out.insecureSkipTLSVerify;
    if (o.insecureSkipTlsVerify) out.insecureSkipTLSVerify = true;
    else out.ca = flagFile('--certificate-authority', o.certificateAuthority!);
  }
  if (o.clientCertificate) out.cert = flagFile('--client-certificate', o.clientCertificate);
  if (o.clientKey) out.key = flagFile('--client-key', o.clientKey);
  if (o.token) out.token = o.token;
  if (o.server) {
    const tls = out.ca !== undefined || out.insecureSkipTLSVerify === true || out.cert !== undefined;
    const server = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.server) ? o.server : `${tls ? 'https' : 'http'}://${o.server}`;
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new CliError(`--server ${o.server}: not a URL or host:port`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`--server ${o.server}: the scheme must be https or http`);
    out.server = server;
  }
  const groups = o.asGroup ?? [];
  if (!o.as && (groups.length > 0 || o.asUid)) throw new CliError('--as-group and --as-uid need --as: impersonating groups or a uid without a user is not allowed');
  if (o.as) out.impersonate = { user: o.as, ...(groups.length > 0 ? { groups } : {}), ...(o.asUid ? { uid: o.asUid } : {}) };
  return out;
}

/** The kubeconfig path by precedence (see the file comment); it may not exist. */
export function resolveKubeconfigPath(opts: GlobalOptions, env: CliIO['env']): string {
  if (opts.kubeconfig) return resolve(opts.kubeconfig);
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  const existing = fromEnv.find((p) => existsSync(p));
  if (existing) return resolve(existing);
  if (fromEnv[0]) return resolve(fromEnv[0]);
  return resolve(defaultKubeconfigPath);
}

const networkCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

export function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && networkCodes.has(code);
}

export interface RawRequest {
  method?: TransportRequest['method'];
  path: string;
  accept?: string;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
}

export interface RawResponse {
  statusCode: number;
  text: string;
}

export interface WarningHeader {
  code: number;
  agent: string;
  text: string;
}

/**
 * The warning-values of `Warning` headers (client-go's ParseWarningHeaders): `299 - "text"`
 * with an optional quoted date, several per header separated by commas (Node joins repeated
 * headers that way). Parsing stops at the first malformed value.
 */
export function parseWarningHeaders(values: string | string[] | undefined): WarningHeader[] {
  const out: WarningHeader[] = [];
  for (const header of values === undefined ? [] : Array.isArray(values) ? values : [values]) {
    let s = header;
    for (;;) {
      s = s.replace(/^[\s,]+/, '');
      if (s === '') break;
      const m = /^(\d{3}) (\S+) "/.exec(s);
      if (!m) break;
      let i = m[0].length;
      let text = '';
      let closed = false;
      for (; i < s.length; i++) {
        const c = s[i]!;
        if (c === '\\' && i + 1 < s.length) text += s[++i]!;
        else if (c === '"') {
          closed = true;
          i++;
          break;
        } else text += c;
      }
      if (!closed) break;
      s = s.slice(i);
      const date = /^ "[^"]*"/.exec(s);
      if (date) s = s.slice(date[0].length);
      out.push({ code: Number(m[1]), agent: m[2]!, text });
      if (s !== '' && !/^\s*,/.test(s)) break;
    }
  }
  return out;
}

export const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export class Connection {
  readonly client: RestClient;
  readonly config: ResolvedKubeconfig;
  private readonly transport: HttpTransport;
  /** Where the CA the server is checked against came from (what an untrusted server's error tells to change). */
  private readonly caFrom: 'kubeconfig' | 'flag' | 'none';

  constructor(
    readonly kubeconfigPath: string,
    contextName: string | undefined,
    /** The namespace from -n, else the context's, else `default`. */
    readonly namespaceFlag: string | undefined,
    /** Receives the text of each 299 warning the server sends (every request of the run). */
    private readonly onWarning: (text: string) => void = () => {},
    /**
     * --request-timeout in ms (0: none): each exchange, its answer's body included, is given up
     * after it, and the server is told it as `?timeout=` (client-go's rest config Timeout).
     */
    private readonly requestTimeoutMs = 0,
    /** Connection flags over the kubeconfig; with --server, no kubeconfig is needed at all. */
    overrides: ConnectionOverrides = {},
    /** Receives one line per exchange (method, URL, status, duration): -v 6 and up. */
    private readonly onExchange?: (line: string) => void,
  ) {
    const why = unreadable(kubeconfigPath);
    let base: ResolvedKubeconfig;
    if (why === 'missing' && overrides.server) base = { server: overrides.server, namespace: 'default', contextName: '' };
    else {
      if (why === 'missing') throw new CliError(`no kubeconfig at ${kubeconfigPath}: start a server with "everynode server", or pass --kubeconfig, set KUBECONFIG or pass --server`);
      if (why !== undefined) throw new CliError(why);
      try {
        base = loadKubeconfig(kubeconfigPath, contextName, { ...(overrides.cluster ? { cluster: overrides.cluster } : {}), ...(overrides.user ? { user: overrides.user } : {}) });
      } catch (e) {
        throw kubeconfigError(kubeconfigPath, e);
      }
    }
    this.config = withOverrides(base, overrides);
    this.caFrom = overrides.certificateAuthority ? 'flag' : base.ca !== undefined ? 'kubeconfig' : 'none';
    this.transport = new HttpTransport({ ...this.config, userAgent: 'everynode-cli' });
    this.client = new RestClient((req) => this.send(req));
  }

  /**
   * The one place requests go out: connection failures become one UnreachableError, whichever
   * verb hit them, and the answer's warnings go to the warning handler.
   */
  private async send(req: TransportRequest): Promise<TransportResponse> {
    let res: TransportResponse;
    let deadline: AbortSignal | undefined;
    if (this.requestTimeoutMs > 0) {
      deadline = AbortSignal.timeout(this.requestTimeoutMs);
      const path = `${req.path}${req.path.includes('?') ? '&' : '?'}timeout=${encodeURIComponent(goDuration(this.requestTimeoutMs))}`;
      req = { ...req, path, signal: req.signal ? AbortSignal.any([req.signal, deadline]) : deadline };
    }
    const started = this.onExchange ? performance.now() : 0;
    /** -v 6: `METHOD URL STATUS in N milliseconds`, the error in parentheses when there is no answer. */
    const logExchange = (status: string): void =>
      this.onExchange?.(`${req.method} ${this.config.server.replace(/\/$/, '')}${req.path} ${status} in ${Math.round(performance.now() - started)} milliseconds`);
    try {
      res = await this.transport.request(req);
      logExchange(`${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}`);
    } catch (e) {
      logExchange(`(${e instanceof Error ? e.message : String(e)})`);
      if (deadline?.aborted) throw new RequestTimeoutError('context deadline exceeded');
      if (isNetworkError(e)) throw new UnreachableError(this.config.server, e);
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && tlsTrustCodes.has(code)) throw new UntrustedServerError(this.config.server, e, this.caFrom);
      throw e;
    }
    for (const w of parseWarningHeaders(res.headers['warning'])) if (w.code === 299 && w.text !== '') this.onWarning(w.text);
    if (deadline) res = { ...res, body: cutAtDeadline(res.body, deadline) };
    return res;
  }

  /** -n NS, else the context's; an empty -n ('' or `--namespace=`) is no -n, as kubectl reads it. */
  get namespace(): string {
    return this.namespaceFlag || this.config.namespace;
  }

  /** Sends a request; non-2xx answers throw the ApiError built from the Status body. */
  async raw(r: RawRequest): Promise<RawResponse> {
    const res = await this.stream(r);
    const text = await readAll(res.body);
    return { statusCode: res.statusCode, text };
  }

  async rawJson<T>(r: RawRequest): Promise<T> {
    const { text } = await this.raw(r);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(500, 'InternalError', `the server sent a body that is not JSON for ${r.path}`);
    }
  }

  /**
   * Like raw() but leaves the body as a stream (watches, followed logs); errors still throw. A
   * stream cut by --request-timeout just ends, as a watch the server closes does.
   */
  async stream(r: RawRequest): Promise<{ statusCode: number; body: AsyncIterable<Uint8Array | string> }> {
    const headers: Record<string, string> = { Accept: r.accept ?? 'application/json' };
    if (r.body !== undefined) headers['Content-Type'] = r.contentType ?? 'application/json';
    const req: TransportRequest = { method: r.method ?? 'GET', path: r.path, headers };
    if (r.body !== undefined) req.body = r.body;
    if (r.signal) req.signal = r.signal;
    const res = await this.send(req);
    if (res.statusCode < 200 || res.statusCode >= 300) throw await errorFromResponse(res);
    // Never an object watch (no `objectWatch`): the body is text chunks only.
    const body = res.body as AsyncIterable<Uint8Array | string>;
    return { statusCode: res.statusCode, body: this.requestTimeoutMs > 0 ? endAtTimeout(body) : body };
  }

  close(): void {
    this.transport.destroy();
  }
}

/**
 * A kubeconfig that cannot be used, in one line naming the file: the loader's own messages
 * already do (`kubeconfig <path>: context "x" not found`); others (YAML syntax, unreadable
 * files) become kubectl's `error loading config file "<path>": <first line>`.
 */
export function kubeconfigError(path: string, e: unknown): CliError {
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith(`kubeconfig ${path}:`) || message.startsWith(`error loading config file "${path}"`)) return new CliError(message.replace(/\s*\n[\s\S]*$/, ''));
  const first = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unreadable';
  return new CliError(`error loading config file "${path}": ${first.replace(/:$/, '')}`);
}

/**
 * The one-line rendering of any error a verb throws (without the trailing newline). As kubectl,
 * a 401 reads `error: You must be logged in to the server (<message>)`.
 */
export function formatError(e: unknown): string {
  if (e instanceof ApiError) {
    const msg = e.message.replace(/\s*\n\s*/g, ' ');
    if (e.reason === 'Unauthorized') return `error: You must be logged in to the server (${msg})`;
    return `Error from server (${e.reason}): ${msg}`;
  }
  if (e instanceof RequestTimeoutError) return e.message;
  if (e instanceof UnreachableError || e instanceof UntrustedServerError || e instanceof CliError) return `error: ${e.message}`;
  if (isNetworkError(e)) return `error: ${(e as Error).message}`;
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Prefixes an ApiError's message (e.g. `error when creating "ds.yaml": ...`), keeping its type. */
export function withContext(e: unknown, prefix: string): unknown {
  if (e instanceof ApiError) return new ApiError(e.code, e.reason, `${prefix}${e.message}`, e.details);
  return e;
}
