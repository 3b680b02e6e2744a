// Request routing: turns a URL path into what it addresses. Pure; kinds are resolved by the
// caller against the KindRegistry (kinds are data and may change at run time).
//
// Paths (upstream's RequestInfo rules):
//   /api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>           discovery
//   <gv-prefix>/<plural>                                      list/create (cluster or all namespaces)
//   <gv-prefix>/<plural>/<name>[/<sub>]                       cluster-scoped item
//   <gv-prefix>/namespaces/<ns>/<plural>[/<name>[/<sub>]]     namespaced
//   <gv-prefix>/namespaces/<ns>[/status|/finalize]            the Namespace object itself
//   <gv-prefix>/watch/...                                     legacy watch form (same as ?watch=true)
//   <gv-prefix>/namespaces/<ns>/<plural>/<name>/proxy[/<path>] a proxy subresource (pods/proxy)
// where <gv-prefix> is /api/v1 or /apis/<g>/<v>. Segments are percent-decoded.

export type Route =
  | { type: 'root' } // "/"
  | { type: 'legacy-versions' } // /api
  | { type: 'group-list' } // /apis
  | { type: 'group'; group: string } // /apis/<g>
  | { type: 'resource-list'; group: string; version: string } // /api/v1, /apis/<g>/<v>
  | ResourceRoute
  | { type: 'other'; path: string };

export interface ResourceRoute {
  type: 'resource';
  group: string;
  version: string;
  plural: string;
  /** Set for namespaced paths (`/namespaces/<ns>/...`) and for Namespace objects' own name. */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path form was used. */
  watchPath: boolean;
  /**
   * With subresource `proxy`: the path to ask the target for, '/' when the request path ends at
   * `proxy`. As upstream, which takes it from the decoded URL path and sends it escaped again as
   * Go escapes a path: percent-escapes are decoded (`%2F` is a `/`, as client libraries send a
   * subpath through encodeURIComponent) and what a path must not carry is escaped again; the
   * trailing slash is kept.
   */
  proxyPath?: string;
}

const namespaceSubresources = new Set(['status', 'finalize']);

export class BadPathError extends Error {}

function decodeSegments(path: string): string[] {
  const raw = path.split('/').filter((s) => s !== '');
  return raw.map((s) => {
    if (!s.includes('%')) return s;
    try {
      return decodeURIComponent(s);
    } catch {
      throw new BadPathError(`invalid path segment: ${s}`);
    }
  });
}

/** What follows the first `skip` non-empty segments of a raw path, as sent ('/' when nothing does). */
function rawRemainder(pathname: string, skip: number): string {
  let at = 0;
  for (let seen = 0; seen < skip; ) {
    while (pathname[at] === '/') at++;
    const next = pathname.indexOf('/', at);
    seen++;
    if (next < 0) return '/';
    at = next;
  }
  return pathname.slice(at) || '/';
}

/**
 * A decoded path escaped as Go's url.URL escapes one (EscapedPath of a Path): unreserved
 * characters and `$&+,/:;=@` stay, everything else is %XX of its UTF-8 bytes.
 */
function goEscapePath(path: string): string {
  let out = '';
  for (const b of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A proxy route's remainder as the target is asked for it (see ResourceRoute.proxyPath). */
function proxyPathOf(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new BadPathError(`invalid path: ${raw}`);
  }
  return goEscapePath(decoded);
}

/**
 * The routes of the last paths parsed: one request parses its path up to three times (metrics,
 * security, routing), with other requests' parses in between while it awaits. Routes are
 * frozen, so the shared ones cannot be changed by a caller.
 */
const recentRoutes = new Map<string, Route>();
const RECENT_ROUTES_MAX = 256;

/** The route of a path (see the file comment); throws BadPathError for a segment that is not valid percent-encoding. */
export function parsePath(pathname: string): Route {
  let route = recentRoutes.get(pathname);
  if (route === undefined) {
    route = Object.freeze(parseUncached(pathname));
    if (recentRoutes.size >= RECENT_ROUTES_MAX) recentRoutes.delete(recentRoutes.keys().next().value!);
    recentRoutes.set(pathname, route);
  }
  return route;
}

function parseUncached(pathname: string): Route {
  const parts = decodeSegments(pathname);
  if (parts.length === 0) return { type: 'root' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'legacy-versions' };
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'group-list' };
    if (parts.length === 2) return { type: 'group', group: parts[1]! };
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { type: 'other', path: pathname };
  }
  if (rest.length === 0) return { type: 'resource-list', group, version };

  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { type: 'other', path: pathname };
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !namespaceSubresources.has(rest[2]!)) {
      rest = rest.slice(2);
    } else {
      // The Namespace object itself: namespaces/<name>[/<sub>].
      const route: ResourceRoute = { type: 'resource', group, version, plural: 'namespaces', name: namespace, watchPath };
      if (rest[2] !== undefined) route.subresource = rest[2];
      if (rest.length > 3) return { type: 'other', path: pathname };
      return route;
    }
  }
  const proxy = rest[2] === 'proxy' && !watchPath;
  if (rest.length > 3 && !proxy) return { type: 'other', path: pathname };
  const route: ResourceRoute = { type: 'resource', group, version, plural: rest[0]!, watchPath };
  if (namespace !== undefined) route.namespace = namespace;
  if (rest[1] !== undefined) route.name = rest[1];
  if (rest[2] !== undefined) route.subresource = rest[2];
  if (proxy) route.proxyPath = proxyPathOf(rawRemainder(pathname, parts.length - rest.length + 3));
  return route;
}
