// RestClient: ApiClient over a Transport, speaking the Kubernetes REST + watch protocol with
// JSON bodies. Non-2xx answers become ApiErrors (errors.ts) built from the metav1.Status body.

import type { DeleteOptions, KubeList, KubeObject, Status } from '../api/types.js';
import type { ApiClient, ListOptions, PatchType, WatchEvent, WatchHandle, WatchOptions, WriteOptions } from './api-client.js';
import { patchContentType } from './api-client.js';
import { errorFromResponse, errorFromStatus } from './errors.js';
import { apiVersionOf, type ResourceDescriptor } from './resources.js';
import { readAll, type Transport, type TransportRequest } from './transport.js';
import { WatchDecoder } from './watch-decoder.js';

/** `/api/v1/namespaces/ns/pods/name/status` and friends. */
/**
 * A request about one object needs its name (client-go's "resource name may not be empty"):
 * `.../configmaps/` is no object, and a server may read it as the collection. The refusal is a
 * rejected promise, as every failure of these calls.
 */
function withName<T>(name: string | undefined, send: (name: string) => Promise<T>): Promise<T> {
  return name ? send(name) : Promise.reject(new Error('resource name may not be empty'));
}

export function resourcePath(r: ResourceDescriptor, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function writeQuery(o?: WriteOptions): string {
  return query({ dryRun: o?.dryRun ? 'All' : undefined, fieldManager: o?.fieldManager, fieldValidation: o?.fieldValidation });
}

export interface RestClientOptions {
  /**
   * A watch that asked for bookmarks and receives nothing for this long is ended (default
   * 180 s: three of the server's 60 s bookmark intervals); 0 turns the check off.
   */
  watchIdleTimeoutMs?: number;
  /**
   * How many times a request is sent again when the server asks for it, as client-go does: an
   * answer 429 or 5xx with a `Retry-After` of whole seconds is retried after that many seconds
   * (a server over its in-flight limit, a list at a resourceVersion it has not reached). Default
   * 10 (client-go's); 0: never. Watches are not retried here (informers start them again).
   */
  maxRetries?: number;
}

/** The wait a `Retry-After` asks for, in ms, when the answer may be retried (see maxRetries). */
function retryWaitMs(statusCode: number, header: string | string[] | undefined): number | undefined {
  if (statusCode !== 429 && statusCode < 500) return undefined;
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim()) * 1000;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const t = setTimeout(done, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      const e = new Error('The operation was aborted');
      e.name = 'AbortError';
      reject(e);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class RestClient implements ApiClient {
  private readonly watchIdleTimeoutMs: number;
  private readonly maxRetries: number;

  constructor(private readonly transport: Transport, opts: RestClientOptions = {}) {
    this.watchIdleTimeoutMs = opts.watchIdleTimeoutMs ?? 180_000;
    this.maxRetries = Math.max(0, opts.maxRetries ?? 10);
  }

  /**
   * One request, sent again while the server asks for it (maxRetries); non-2xx answers throw.
   * With `discard`, a successful answer is not decoded and the promise resolves with undefined.
   */
  private async call<R>(req: TransportRequest, discard = false): Promise<R> {
    let res = await this.transport(req);
    let text = await readAll(res.body);
    for (let attempt = 1; attempt <= this.maxRetries; attempt++) {
      const wait = retryWaitMs(res.statusCode, res.headers['retry-after']);
      if (wait === undefined) break;
      await sleep(wait, req.signal);
      res = await this.transport(req);
      text = await readAll(res.body);
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    if (ok && discard) return undefined as R;
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!ok) throw errorFromStatus(res.statusCode, parsed);
    return parsed as R;
  }

  private json(method: TransportRequest['method'], path: string, body?: unknown, contentType = 'application/json'): TransportRequest {
    const req: TransportRequest = { method, path, headers: { Accept: 'application/json' }, wholeAnswer: true };
    if (body !== undefined) {
      req.body = JSON.stringify(body);
      req.headers['Content-Type'] = contentType;
    }
    return req;
  }

  private withTypeMeta<T extends KubeObject>(r: ResourceDescriptor, obj: T): T {
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
  }

  get<T extends KubeObject>(r: ResourceDescriptor, namespace: string, name: string): Promise<T> {
    return withName(name, (n) => this.call<T>(this.json('GET', resourcePath(r, namespace, n))));
  }

  /**
   * A list, its items with apiVersion and kind filled in where the server left them out (as
   * upstream does for built-in kinds), as client-go's decoding does: callers see whole objects.
   */
  async list<T extends KubeObject>(r: ResourceDescriptor, o: ListOptions = {}): Promise<KubeList<T>> {
    const q = query({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, resourceVersion: o.resourceVersion, limit: o.limit, continue: o.continue });
    const list = await this.call<KubeList<T>>(this.json('GET', resourcePath(r, o.namespace) + q));
    if (Array.isArray(list.items)) {
      const apiVersion = apiVersionOf(r);
      for (let i = 0; i < list.items.length; i++) {
        const item = list.items[i]!;
        if (item.kind === undefined || item.apiVersion === undefined) list.items[i] = { apiVersion: item.apiVersion ?? apiVersion, kind: item.kind ?? r.kind, ...item };
      }
    }
    return list;
  }

  create<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, o?: WriteOptions): Promise<T> {
    return this.call<T>(this.json('POST', resourcePath(r, namespace) + writeQuery(o), this.withTypeMeta(r, obj)));
  }

  update<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, o?: WriteOptions): Promise<T> {
    return withName(obj.metadata.name, (n) => this.call<T>(this.json('PUT', resourcePath(r, namespace, n) + writeQuery(o), this.withTypeMeta(r, obj))));
  }

  updateStatus<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, o?: WriteOptions): Promise<T> {
    return withName(obj.metadata.name, (n) => this.call<T>(this.json('PUT', resourcePath(r, namespace, n, 'status') + writeQuery(o), this.withTypeMeta(r, obj))));
  }

  patch(r: ResourceDescriptor, namespace: string, name: string, patchType: PatchType, patch: unknown, o: WriteOptions & { subresource?: string; discardAnswer: true }): Promise<void>;
  patch<T extends KubeObject>(r: ResourceDescriptor, namespace: string, name: string, patchType: PatchType, patch: unknown, o?: WriteOptions & { subresource?: string; discardAnswer?: false }): Promise<T>;
  patch<T extends KubeObject>(
    r: ResourceDescriptor,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    o?: WriteOptions & { subresource?: string; discardAnswer?: boolean },
  ): Promise<T | undefined> {
    return withName(name, (n) => this.call<T | undefined>(this.json('PATCH', resourcePath(r, namespace, n, o?.subresource) + writeQuery(o), patch, patchContentType[patchType]), o?.discardAnswer === true));
  }

  delete(r: ResourceDescriptor, namespace: string, name: string, o?: DeleteOptions): Promise<KubeObject | Status> {
    return withName(name, (n) => this.call<KubeObject | Status>(this.json('DELETE', resourcePath(r, namespace, n), o ?? undefined)));
  }

  async watch<T extends KubeObject>(r: ResourceDescriptor, o: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle> {
    const q = query({
      watch: 'true',
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: o.timeoutSeconds,
    });
    const abort = new AbortController();
    const res = await this.transport({ method: 'GET', path: resourcePath(r, o.namespace) + q, headers: { Accept: 'application/json' }, signal: abort.signal, objectWatch: true });
    if (res.statusCode < 200 || res.statusCode >= 300) throw await errorFromResponse(res);
    let stopped = false;
    // A line that is no watch event ends the watch with an error (as client-go's decoder does):
    // skipping it could lose an event for good, since later events move the resourceVersion on.
    let badLine: Error | undefined;
    const decoder = new WatchDecoder((line, err) => {
      badLine ??= new Error(`malformed watch event (${err instanceof Error ? err.message : String(err)}): ${line.slice(0, 200)}`);
    });
    // With bookmarks asked for, the server sends something at least every minute: a stream
    // silent for `watchIdleTimeoutMs` is a dead connection (a host gone without a RST), ended so
    // the caller watches again instead of waiting for TCP keepalive (~11 min).
    let lastChunkAt = Date.now();
    let idle = false;
    const idleMs = this.watchIdleTimeoutMs;
    const idleTimer = o.allowWatchBookmarks && idleMs > 0
      ? setInterval(() => {
          if (Date.now() - lastChunkAt <= idleMs) return;
          idle = true;
          abort.abort();
        }, Math.max(100, Math.floor(idleMs / 4)))
      : undefined;
    idleTimer?.unref();
    const done = (async () => {
      try {
        for await (const chunk of res.body) {
          lastChunkAt = Date.now();
          for (const ev of decoder.push(chunk)) {
            if (badLine) break;
            if (!stopped) onEvent(ev as WatchEvent<T>);
          }
          // Leaving the loop destroys the body, which ends the request.
          if (badLine) throw badLine;
          if (stopped) break;
        }
        if (!stopped) {
          const rest = decoder.end();
          if (badLine) throw badLine;
          for (const ev of rest) onEvent(ev as WatchEvent<T>);
        }
      } catch (e) {
        if (!stopped && !idle) throw e;
      } finally {
        if (idleTimer) clearInterval(idleTimer);
      }
    })();
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        abort.abort();
      },
      done,
    };
  }
}
