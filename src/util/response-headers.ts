// Response headers of the ServerResponse stand-ins (the in-process transport's answers, a watch
// served over WebSocket): node:http's header methods, installed on a class's prototype.
//
// Contract: names are kept lower-cased, values as given (a number as its string, a list as a
// copy); `getHeaders()` is a new plain object; `applyWriteHead` takes writeHead's argument forms
// (`(code)`, `(code, headers)`, `(code, reason, headers)`, headers as an object or a flat
// [name, value, ...] list) and merges the headers over those already set, as node:http does.

export type HeaderValue = string | string[] | undefined;

export interface HeaderMethods {
  setHeader(name: string, value: number | string | readonly string[]): this;
  getHeader(name: string): HeaderValue;
  hasHeader(name: string): boolean;
  removeHeader(name: string): void;
  getHeaders(): Record<string, HeaderValue>;
}

const headerMap: unique symbol = Symbol('responseHeaders');

interface WithHeaderMap {
  [headerMap]?: Map<string, HeaderValue>;
}

function mapOf(o: WithHeaderMap): Map<string, HeaderValue> {
  return (o[headerMap] ??= new Map());
}

const methods: HeaderMethods & ThisType<WithHeaderMap> = {
  setHeader(name, value) {
    mapOf(this).set(name.toLowerCase(), typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value]);
    return this as never;
  },
  getHeader(name) {
    return mapOf(this).get(name.toLowerCase());
  },
  hasHeader(name) {
    return mapOf(this).has(name.toLowerCase());
  },
  removeHeader(name) {
    mapOf(this).delete(name.toLowerCase());
  },
  getHeaders() {
    return Object.fromEntries(mapOf(this));
  },
};

/** Installs the header methods on `cls` (declare them with `interface Cls extends HeaderMethods {}`). */
export function withHeaderMethods(cls: { prototype: object }): void {
  Object.assign(cls.prototype, methods);
}

type WriteHeadHeaders = Record<string, unknown> | readonly unknown[];

/** writeHead's arguments applied to `res` (status code, reason, headers); sending is the caller's. */
export function applyWriteHead(
  res: HeaderMethods & { statusCode: number; statusMessage: string },
  statusCode: number,
  reasonOrHeaders?: string | WriteHeadHeaders,
  maybeHeaders?: WriteHeadHeaders,
): void {
  res.statusCode = statusCode;
  let headers = maybeHeaders;
  if (typeof reasonOrHeaders === 'string') res.statusMessage = reasonOrHeaders;
  else headers = reasonOrHeaders;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), String(headers[i + 1]));
  } else if (headers) {
    for (const [k, v] of Object.entries(headers)) {
      if (v !== undefined) res.setHeader(k, Array.isArray(v) ? v.map(String) : typeof v === 'number' ? v : String(v));
    }
  }
}
