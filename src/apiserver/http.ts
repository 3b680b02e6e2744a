// HTTP plumbing: bounded body reading, JSON/YAML body parsing, JSON/Status responses, Warning
// headers.
//
// Body parsing contract: every JSON or YAML body and patch is parsed here, and refused (400)
// when it nests arrays and objects deeper than MAX_NESTING_DEPTH (YAML: MAX_YAML_NESTING_DEPTH,
// checked before the YAML library composes it), so the recursive code after it never meets a
// value that could exhaust the stack.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, tooLarge } from '../api/errors.js';
import { MAX_NESTING_DEPTH, nestingDepth } from '../api/patch/index.js';
import { countMembers, jsonTextDetails, scanJsonText, type FieldValidation, type NumberLiteral } from '../api/schema/decode.js';
import { takeWholeBody } from '../api/watch-objects.js';
import { goJsonSyntaxError, readYamlLenient, writeYaml, yamlTextDepth, MAX_YAML_NESTING_DEPTH } from '../util/index.js';

/** Upstream's request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

/**
 * How long a request body may take to arrive, from the moment the handler starts reading it
 * (upstream cuts a request that is not long-running at 60 s, its --request-timeout). Bodies of
 * long-running requests (proxies, exec and port-forward streams) are not read here.
 */
export const bodyReadTimeoutMs = 60_000;

/** Errors after which the rest of the body is never read: the connection closes after the answer. */
const unreadBody = new WeakSet<ApiError>();

/**
 * Reads the request body as UTF-8, at most `limit` bytes. Over the limit: rejects with 413
 * and stops buffering; not all there within `timeoutMs`: rejects with upstream's 504 Timeout.
 * Either way the connection is closed after the response, so an endless or stalled upload
 * cannot hold the server.
 */
export async function readBody(req: IncomingMessage, limit = maxBodyBytes, timeoutMs = bodyReadTimeoutMs): Promise<string> {
  const whole = takeWholeBody(req);
  if (whole !== undefined) return withinLimit(whole, limit);
  return (await readBodyBuffer(req, limit, timeoutMs)).toString('utf8');
}

/** A body handed over whole (in process, see takeWholeBody): the same limit, nothing to wait for. */
function withinLimit(body: string, limit: number): string {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long text needs counting.
  if (body.length * 3 > limit && Buffer.byteLength(body) > limit) throw tooLarge(`the request entity is too large: limit is ${limit} bytes`);
  return body;
}

/** Like readBody, as bytes (protobuf bodies). */
export function readBodyBuffer(req: IncomingMessage, limit = maxBodyBytes, timeoutMs = bodyReadTimeoutMs): Promise<Buffer> {
  const whole = takeWholeBody(req);
  if (whole !== undefined) {
    try {
      return Promise.resolve(Buffer.from(withinLimit(whole, limit)));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise((resolve, reject) => {
    const refuse = (err: ApiError): void => {
      unreadBody.add(err);
      reject(err);
    };
    const failed = failedBodies.get(req);
    if (failed) {
      refuse(failed);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      refuse(tooLarge(`the request entity is too large: limit is ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      chunks.length = 0;
      refuse(new ApiError(504, 'Timeout', 'Timeout: request did not complete within requested timeout - context deadline exceeded'));
    }, timeoutMs);
    timer.unref();
    const onData = (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        clearTimeout(timer);
        chunks.length = 0;
        refuse(tooLarge(`the request entity is too large: limit is ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    const fail = (err: ApiError): void => {
      clearTimeout(timer);
      bodyReaders.delete(req);
      if (done) return;
      done = true;
      chunks.length = 0;
      refuse(err);
    };
    bodyReaders.set(req, fail);
    req.on('data', onData);
    req.on('end', () => {
      clearTimeout(timer);
      bodyReaders.delete(req);
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // The client went away mid-body (Node's `aborted`, a reset): its input, not a server fault.
    // The 400 goes nowhere (the connection is gone) but is not logged as a bug either.
    req.on('error', (err) => fail(badRequest(`the request body could not be read: ${err.message}`)));
  });
}

/** Body reads in progress: how to end each with an error (failBodyRead). */
const bodyReaders = new WeakMap<IncomingMessage, (err: ApiError) => void>();
/** Bodies found malformed before anyone started reading them: the read fails at once. */
const failedBodies = new WeakMap<IncomingMessage, ApiError>();

/**
 * Ends the body read of `req` with `err`: now if one is waiting, else as soon as one starts (the
 * server's parser found the rest of the request malformed, e.g. a bad chunk size, possibly while
 * the request was still being authenticated: no more of the body will come, and the request is
 * answered with `err` at once instead of when the read times out).
 */
export function failBodyRead(req: IncomingMessage, err: ApiError): void {
  const fail = bodyReaders.get(req);
  if (fail) fail(err);
  else failedBodies.set(req, err);
}

export { MAX_YAML_NESTING_DEPTH };

function tooDeep(limit: number): string {
  return `nesting depth exceeds the limit of ${limit}`;
}

/** JSON.parse, failing with Go's wording of what is wrong (util/json-syntax.ts), as upstream's decoder words it. */
function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(goJsonSyntaxError(text) ?? (err instanceof Error ? err.message : String(err)));
  }
  return SURROGATE_ESCAPE.test(text) ? wellFormed(value) : value;
}

/** A `\uD800`-`\uDFFF` escape: the only way a JSON or YAML text can hold a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

// String.prototype.toWellFormed / isWellFormed (Node 20) are past the TypeScript lib this builds with.
const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * `value` with every lone UTF-16 surrogate in its strings and keys replaced by U+FFFD, as Go's
 * decoders (JSON, and YAML through it) read them: a name with one would be stored but could
 * never be addressed (a path holds UTF-8, which cannot carry it). Changes the freshly parsed
 * value in place, walking it without recursion.
 */
export function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return toWellFormed(value);
  if (value === null || typeof value !== 'object') return value;
  const stack: Array<Record<string, unknown> | unknown[]> = [value as Record<string, unknown>];
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        if (typeof v === 'string') o[i] = toWellFormed(v);
        else if (v !== null && typeof v === 'object') stack.push(v as Record<string, unknown>);
      }
      continue;
    }
    for (const k of Object.keys(o)) {
      let v = o[k];
      if (typeof v === 'string') v = o[k] = toWellFormed(v);
      else if (v !== null && typeof v === 'object') stack.push(v as Record<string, unknown>);
      if (!isWellFormed(k)) {
        // The last of equal keys wins, as a repeated key in the text.
        delete o[k];
        o[toWellFormed(k)] = v;
      }
    }
  }
  return value;
}

/** Parses a JSON body; 400 with the parser's message when malformed or too deep. Empty body: undefined. */
/**
 * upstream's check of a body's own apiVersion and kind against what the request addresses: each
 * may be absent or empty, else it must be the expected one (or, for the apiVersion, one of
 * `alsoVersions`); otherwise a 400 naming both.
 */
export function checkTypeMeta(body: { apiVersion?: unknown; kind?: unknown }, apiVersion: string, kind: string, alsoVersions: readonly string[] = []): void {
  const v = body.apiVersion;
  if (v !== undefined && v !== '' && v !== apiVersion && !alsoVersions.includes(String(v))) {
    throw badRequest(`the API version in the data (${String(v)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.kind !== undefined && body.kind !== '' && body.kind !== kind) throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`);
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (nestingDepth(value) > MAX_NESTING_DEPTH) throw badRequest(`the body of the request could not be decoded as JSON: ${tooDeep(MAX_NESTING_DEPTH)}`);
  return value;
}

/** What JSON.parse drops from a request body and the decoder needs (see parseJsonText). */
export interface JsonTextFindings {
  /** Paths of duplicate fields, upstream's strict-decoding form; only looked for unless fieldValidation is Ignore. */
  duplicates: string[];
  /** Number literals JSON.parse may have changed (see jsonTextDetails). */
  literals: NumberLiteral[];
  /**
   * Document order, when duplicates were looked for: the offset of each duplicate (parallel to
   * `duplicates`) and of each member path's first occurrence (see jsonTextDetails).
   */
  order?: { duplicateAt: readonly number[]; memberAt: ReadonlyMap<string, number> };
  /**
   * A YAML body: go-yaml's strict errors for its repeated keys (parseYamlText), in place of
   * `duplicates`; its unknown fields are reported in the order of JSON converted from a Go map
   * (sorted keys), as upstream converts YAML before decoding.
   */
  yaml?: { duplicates: readonly string[] };
}

const noFindings: JsonTextFindings = { duplicates: [], literals: [] };

/**
 * Parses the JSON text of an object body or a patch: JSON.parse, then one fast pass over the
 * text (depth, member count, suspicious number literals; scanJsonText). Only when that pass
 * finds more members in the text than in the value (a duplicate) or a number literal with a
 * fraction, an exponent or 16+ digits is the text read a second time for the details.
 * Throws a plain Error (the caller words the 400) when malformed or nested too deep.
 */
export function parseJsonText(text: string, fieldValidation: FieldValidation): { value: unknown; findings: JsonTextFindings } {
  const value = parseJson(text);
  const facts = scanJsonText(text);
  if (facts.depth > MAX_NESTING_DEPTH) throw new Error(tooDeep(MAX_NESTING_DEPTH));
  const duplicates = fieldValidation !== 'Ignore' && facts.members !== countMembers(value);
  if (!duplicates && !facts.inexactNumbers) return { value, findings: noFindings };
  const details = jsonTextDetails(text);
  if (!duplicates) return { value, findings: { duplicates: [], literals: details.literals } };
  return { value, findings: { duplicates: details.duplicates, literals: details.literals, order: { duplicateAt: details.duplicateAt, memberAt: details.memberAt } } };
}

/**
 * Parses a YAML text (a body or an apply patch) after checking its nesting as written, then
 * the composed value's. Values are read as kube-apiserver reads them (sigs.k8s.io/yaml: YAML
 * 1.1, so `defaultMode: 0644` is 420; see util/yaml.ts). A repeated mapping key is not an error
 * here (its last value wins, as upstream's non-strict decoding): `duplicates` lists go-yaml's
 * strict errors for them (`line <n>: key "<k>" already set in map`), which field validation
 * turns into warnings or a 400. Throws a plain Error (the caller words the 400) when malformed
 * or too deep.
 */
export function parseYamlText(text: string): { value: unknown; duplicates: string[] } {
  if (yamlTextDepth(text, MAX_YAML_NESTING_DEPTH) > MAX_YAML_NESTING_DEPTH) throw new Error(tooDeep(MAX_YAML_NESTING_DEPTH));
  const parsed = readYamlLenient(text);
  if (nestingDepth(parsed.value) > MAX_NESTING_DEPTH) throw new Error(tooDeep(MAX_NESTING_DEPTH));
  return SURROGATE_ESCAPE.test(text) ? { ...parsed, value: wellFormed(parsed.value) } : parsed;
}

/**
 * Sets the Warning header: `299 - "TEXT"` per warning, TEXT quoted as JSON with every character
 * outside printable ASCII as a \uXXXX escape. Node refuses header characters above U+00FF (and
 * HTTP/2 streams reset on them), and the header is set after the write it warns about is
 * committed: so a warning quoting a user's field name (`unknown field "ĀĀ"`) must never make
 * the answer fail. Upstream sends such characters as UTF-8; clients show the escape here.
 */
function setWarnings(res: ServerResponse, warnings: string[] | undefined): void {
  for (const w of warnings ?? []) addWarning(res, w);
}

/** Adds a `Warning: 299 - "<text>"` header to the answer, after those it has already. */
export function addWarning(res: ServerResponse, text: string): void {
  const prior = res.getHeader('Warning');
  const list = prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)];
  res.setHeader('Warning', [...list, `299 - ${asciiJson(text)}`]);
}

function asciiJson(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Answers whose request asked for YAML (negotiateMediaType): sendJson and sendStatus write YAML. */
const yamlAnswers = new WeakSet<ServerResponse>();

/** From now on, this response's object and Status answers are written as YAML (`application/yaml`). */
export function answerInYaml(res: ServerResponse): void {
  yamlAnswers.add(res);
}

/**
 * upstream's isPrettyPrint: `?pretty` read as Go's strconv.ParseBool (anything else is false),
 * else a User-Agent of curl, Wget or a browser. In-process requests (no request object) never.
 */
export function prettyPrintWanted(req: Pick<IncomingMessage, 'url' | 'headers'> | undefined): boolean {
  if (!req) return false;
  const url = req.url ?? '';
  const qi = url.indexOf('?');
  if (qi >= 0 && url.includes('pretty', qi)) {
    const v = new URLSearchParams(url.slice(qi + 1)).get('pretty');
    if (v) return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
  }
  const ua = req.headers['user-agent'] ?? '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}

/** The body and Content-Type of a JSON answer: as YAML when the request asked for it, indented when it wants it pretty. */
function rendered(res: ServerResponse, json: string): { body: string; type: string } {
  if (yamlAnswers.has(res)) return { body: writeYaml(JSON.parse(json)), type: 'application/yaml' };
  if (prettyPrintWanted((res as { req?: IncomingMessage }).req)) return { body: `${JSON.stringify(JSON.parse(json), null, 2)}\n`, type: 'application/json' };
  return { body: json, type: 'application/json' };
}

export function sendJson(res: ServerResponse, code: number, json: string, warnings?: string[]): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  setWarnings(res, warnings);
  const { body, type } = rendered(res, json);
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An answer on an HTTP/2 stream (node's compatibility response): no connection headers, no socket of its own. */
export function isHttp2Answer(res: ServerResponse): boolean {
  return (res as unknown as { stream?: unknown }).stream !== undefined;
}

export function sendStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  setWarnings(res, err.warnings);
  const { body, type } = rendered(res, JSON.stringify(err.toStatus()));
  const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' };
  // Upstream sets Retry-After from the Status; client-go retries such answers by itself.
  const retryAfter = err.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0) headers['Retry-After'] = retryAfter;
  // An HTTP/2 stream ends with its answer (the rest of its body is refused with the stream);
  // the connection's other streams go on.
  if ((err.code === 413 || unreadBody.has(err)) && !isHttp2Answer(res)) {
    // The rest of an oversized or stalled upload is never read: close the connection after the
    // answer (half-close first so the client can read it, then cut).
    headers.Connection = 'close';
    res.on('finish', () => {
      const socket = res.socket;
      if (!socket) return;
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }
  res.writeHead(err.code, headers);
  res.end(body);
}
