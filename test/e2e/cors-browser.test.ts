// A web console on another origin calls the API from a real browser (Chromium driven by
// playwright-core): with `corsAllowedOrigins` naming the page's origin, the page's fetch with a
// bearer token (which makes the browser send a preflight first) reads a list; from an origin not
// allowed, the browser itself refuses the answer to the page.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadKubeconfig } from '../../src/client/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { Cleanup } from '../helpers/cleanup.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const haveChromium = chromiumAvailable('the browser CORS test');
const cleanup = new Cleanup();
let ts: TestServer;
let browser: Browser;
/** Two plain HTTP origins serving an empty page: one allowed, one not. */
const pages: { allowed: string; other: string } = { allowed: '', other: '' };

async function pageServer(): Promise<string> {
  const srv: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>console</title>');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.defer(() => new Promise<void>((r) => srv.close(() => r())), 'page server');
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  if (!haveChromium) return;
  pages.allowed = await pageServer();
  pages.other = await pageServer();
  const escaped = pages.allowed.replace(/[.:/]/g, (c) => `\\${c}`);
  ts = await startTestServer(cleanup, { corsAllowedOrigins: [`^${escaped}$`] });
  browser = await launchChromium(cleanup);
});
afterAll(() => cleanup.run());

/** Fetches the namespaces from a page of `origin` with the admin token; what the page could read. */
async function listFrom(origin: string): Promise<{ status: number; kind: string } | { error: string }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  cleanup.defer(() => context.close(), 'browser context');
  const page = await context.newPage();
  await page.goto(origin);
  return page.evaluate(
    async ({ url, token }) => {
      try {
        const r = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        return { status: r.status, kind: String(((await r.json()) as { kind?: string }).kind) };
      } catch (e) {
        return { error: String(e) };
      }
    },
    { url: `${ts.server.url}/api/v1/namespaces`, token: loadKubeconfig(ts.server.kubeconfigPath).token! },
  );
}

describe('a web console on another origin', () => {
  it.skipIf(!haveChromium)('reads the API from an allowed origin, and the browser blocks another one', async () => {
    expect(await listFrom(pages.allowed)).toEqual({ status: 200, kind: 'NamespaceList' });
    const blocked = await listFrom(pages.other);
    expect(blocked).toHaveProperty('error');
    expect((blocked as { error: string }).error).toContain('Failed to fetch');
  });
});
