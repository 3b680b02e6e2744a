// A browser watches the API over WebSocket, as web consoles do: Chromium (driven by
// playwright-core) opens `new WebSocket(wss://…?watch=true, [bearer subprotocol, binary.k8s.io])`
// against a real server, with no other credential (a browser cannot set an Authorization header
// on a WebSocket), and receives the initial state and a change made through the API as JSON
// events; a token the server does not know never opens.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { KubeObject } from '../../src/api/types.js';
import { configMapsResource, HttpTransport, loadKubeconfig, RestClient } from '../../src/client/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { Cleanup } from '../helpers/cleanup.js';
import { useTestServer } from '../helpers/server.js';

const haveChromium = chromiumAvailable('the browser WebSocket watch test');
const cleanup = new Cleanup();
const s = useTestServer(cleanup);
let browser: Browser;
let page: Page;
let client: RestClient;

beforeAll(async () => {
  if (!haveChromium) return;
  const t = new HttpTransport({ ...loadKubeconfig(s.ts.server.kubeconfigPath) });
  cleanup.defer(() => t.destroy(), 'transport');
  client = new RestClient(t.request);
  browser = await launchChromium(cleanup);
  // The server's CA is the cluster's own: the page trusts it as a user who accepted it would.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  page = await context.newPage();
  await page.goto(`${s.url}/version`);
});
afterAll(() => cleanup.run());

/** Opens a watch in the page with `token`; resolves with the protocol and the first `n` events' type and name. */
function watchInPage(token: string, n: number): Promise<{ protocol: string; events: string[] } | { error: string }> {
  return page.evaluate(
    ({ url, token, n }) =>
      new Promise<{ protocol: string; events: string[] } | { error: string }>((resolve) => {
        const b64url = btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const ws = new WebSocket(url, [`base64url.bearer.authorization.k8s.io.${b64url}`, 'binary.k8s.io']);
        const events: string[] = [];
        ws.onmessage = (m) => {
          const ev = JSON.parse(String(m.data)) as { type: string; object: { metadata: { name: string } } };
          events.push(`${ev.type} ${ev.object.metadata.name}`);
          if (events.length === n) {
            resolve({ protocol: ws.protocol, events });
            ws.close();
          }
        };
        ws.onerror = () => resolve({ error: 'error' });
        ws.onclose = (e) => resolve({ error: `closed ${e.code}` });
      }),
    { url: `${s.url.replace(/^https/, 'wss')}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dbrowser`, token, n },
  );
}

describe('a browser watching over WebSocket', () => {
  it.skipIf(!haveChromium)('gets the initial state and later changes with the token as a subprotocol', async () => {
    const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'browser' } } } as KubeObject);
    await client.create(configMapsResource, 'default', cm('seen-first'));
    const token = loadKubeconfig(s.ts.server.kubeconfigPath).token!;
    const watching = watchInPage(token, 2);
    // Created once the page's watch has had time to open; it arrives as the second event.
    await new Promise((r) => setTimeout(r, 500));
    await client.create(configMapsResource, 'default', cm('seen-later'));
    expect(await watching).toEqual({ protocol: 'binary.k8s.io', events: ['ADDED seen-first', 'ADDED seen-later'] });
  });

  it.skipIf(!haveChromium)('never opens with a token the server does not know', async () => {
    expect(await watchInPage('abcdef.0123456789abcdef', 1)).toEqual({ error: 'error' });
  });
});
