// Cross-origin requests from web consoles, as kube-apiserver's `--cors-allowed-origins` allows
// them: with no pattern configured (the default) nothing changes and browsers keep other origins
// out; with patterns, a request whose Origin matches one gets the CORS headers, and a preflight
// (OPTIONS) from it is answered 204 before authentication (a browser sends no credential with a
// preflight).
//
// Contract: patterns are regular expressions tested anywhere in the Origin header (anchor them:
// `^https://console\.example\.com$`); a bad pattern fails the server's start. A request from an
// origin that matches none, or without Origin, is served as if CORS did not exist.

import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_METHODS = 'POST, GET, OPTIONS, PUT, DELETE, PATCH';
const ALLOW_HEADERS = 'Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since';
const EXPOSE_HEADERS = 'Date';

export class CorsPolicy {
  private readonly patterns: RegExp[];

  /** Throws on a pattern that is not a valid regular expression, naming it. */
  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => {
      try {
        return new RegExp(p);
      } catch (err) {
        throw new Error(`invalid CORS allowed origin ${JSON.stringify(p)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  /**
   * Sets the CORS headers when the request's Origin is allowed; true when the request was a
   * preflight from such an origin and has been answered (204).
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!origin || !this.patterns.some((p) => p.test(origin))) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method !== 'OPTIONS') return false;
    res.writeHead(204);
    res.end();
    return true;
  }
}
