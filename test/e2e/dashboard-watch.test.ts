// The web dashboard keeps its data current with watches, not by listing again: in a real
// browser (Debian's Chromium driven by playwright-core) against a real cluster (API server with
// its controllers, three hollow nodes, one DaemonSet), after the first load the page must not
// list pods again while a node label change, a new pod and a deleted pod made through the API
// show within seconds; and when its watches resume from a resourceVersion that compaction
// passed, the API server's 410 must make it list again and show what the watch missed.
//
// The dashboard server reaches the API server through the cluster's HttpTransport wrapped by
// `cutter` below, which can break the watches in flight (as a restarted API server or a load
// balancer would) and hold new ones back for a while; everything else is the real thing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import type { DaemonSet, Node, Pod } from '../../src/api/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { HttpTransport, RestClient, daemonSetsResource, loadKubeconfig, nodesResource, podsResource, type Transport } from '../../src/client/index.js';
import { startHollowNodes, type HollowNodes } from '../../src/hollow/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';

const haveChromium = chromiumAvailable('the dashboard watch test');

const cleanup = new Cleanup();
let server: RunningServer;
let dashboard: RunningDashboard;
let client: RestClient;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const nodes = ['w-node-0', 'w-node-1', 'w-node-2'];

/** What the browser asked for, by kind: full lists of pods, and opened watches. */
const browserRequests: { podLists: number[]; podListPages: number[]; nodeListLimits: string[]; watches: number[] } = { podLists: [], podListPages: [], nodeListLimits: [], watches: [] };
/** The watch requests the dashboard server sent upstream (paths with query). */
const upstreamWatches: string[] = [];

/**
 * The dashboard server's way to the API server: the cluster's transport, where `cut()` breaks
 * every watch in flight and `hold()` keeps new watches waiting until the returned release runs.
 */
function cutter(inner: Transport) {
  const inFlight = new Set<AbortController>();
  let held: Promise<void> | undefined;
  const transport: Transport = async (req) => {
    if (!/[?&]watch=(1|true)(&|$)/.test(req.path)) return inner(req);
    if (held) await held;
    upstreamWatches.push(req.path);
    const ctl = new AbortController();
    inFlight.add(ctl);
    const signal = req.signal ? AbortSignal.any([req.signal, ctl.signal]) : ctl.signal;
    return inner({ ...req, signal });
  };
  return {
    transport,
    cut(): void {
      for (const c of inFlight) c.abort();
      inFlight.clear();
    },
    hold(): () => void {
      let release = (): void => undefined;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
  };
}
let upstream: ReturnType<typeof cutter>;

const nodeRow = (n: string) => page.locator(`[data-testid="node-row"][data-name="${n}"]`);
/** The Pods column of a node's row. */
const podsOnNode = (n: string) => nodeRow(n).locator('td').nth(4).textContent();

function barePod(name: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { test: 'dashboard-watch' } },
    spec: { nodeName: node, containers: [{ name: 'main', image: 'registry.example/main:1' }] },
  } as Pod;
}

describe.skipIf(!haveChromium)('dashboard keeps current with watches', () => {
  beforeAll(async () => {
    const dir = makeTempDir(cleanup, 'everynode-dashboard-watch-');
    // No periodic compaction: the test compacts when it means to.
    server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', compaction: false, controllers: { leaderElection: false } });
    cleanup.defer(() => server.close());
    const http = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
    cleanup.defer(() => http.destroy());
    client = new RestClient(http.request);
    const hollow: HollowNodes = await startHollowNodes({ client, count: nodes.length, namePrefix: 'w-node-', readyDelayMs: 50 });
    cleanup.defer(() => hollow.stop());
    upstream = cutter(http.request);
    dashboard = await startDashboard({ transport: upstream.transport, listen: '127.0.0.1:0' });
    cleanup.defer(() => dashboard.close());
    await client.create(daemonSetsResource, 'default', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'watched', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'watched' } }, template: { metadata: { labels: { app: 'watched' } }, spec: { containers: [{ name: 'agent', image: 'registry.example/agent:1' }] } } },
    } as DaemonSet);
    await waitFor(async () => ((await client.get<DaemonSet>(daemonSetsResource, 'default', 'watched')).status?.numberAvailable ?? 0) === nodes.length, { timeoutMs: 20_000 });

    browser = await launchChromium(cleanup);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r: Request) => {
      const u = new URL(r.url());
      // A list is its first page; the pages after it carry a continue token.
      if (u.pathname === '/api/v1/pods' && !u.searchParams.has('watch')) (u.searchParams.has('continue') ? browserRequests.podListPages : browserRequests.podLists).push(Date.now());
      if (u.pathname === '/api/v1/nodes' && !u.searchParams.has('watch')) browserRequests.nodeListLimits.push(u.searchParams.get('limit') ?? '');
      if (u.pathname === '/dashboard/watch') browserRequests.watches.push(Date.now());
    });
    // Two items per list request: the three nodes and their pods come in pages.
    await page.goto(`${dashboard.url}&refresh=300&listPage=2`);
    await waitFor(async () => (await page.locator('[data-testid="matrix-cell"][data-ds="default/watched"][data-state="ready"]').count()) === nodes.length, { timeoutMs: 15_000 });
  }, 90_000);

  afterAll(async () => {
    await cleanup.run();
  });

  it('lists pods once, then shows a node label change, a new pod and a deleted pod from its watch', async () => {
    expect(browserRequests.podLists.length).toBe(1);
    // Paged: every node was listed and drawn though one request asks for two.
    expect(browserRequests.podListPages.length).toBeGreaterThanOrEqual(1);
    expect(browserRequests.nodeListLimits).toEqual(['2', '2']);
    expect(await page.locator('[data-testid="node-row"]').count()).toBe(nodes.length);
    await waitFor(() => browserRequests.watches.length >= 1 && upstreamWatches.length >= 4, { timeoutMs: 10_000 });
    const t0 = Date.now();
    expect(await podsOnNode('w-node-1')).toBe('1');

    await client.patch<Node>(nodesResource, '', 'w-node-0', 'merge', { metadata: { labels: { 'dashboard-test/zone': 'blue' } } });
    await expect.poll(() => nodeRow('w-node-0').textContent(), { timeout: 5_000 }).toContain('dashboard-test/zone=blue');

    await client.create(podsResource, 'default', barePod('extra', 'w-node-1'));
    await expect.poll(() => podsOnNode('w-node-1'), { timeout: 5_000 }).toBe('2');

    await client.delete(podsResource, 'default', 'extra', { gracePeriodSeconds: 0 });
    await expect.poll(() => podsOnNode('w-node-1'), { timeout: 5_000 }).toBe('1');

    // A DaemonSet pod deleted through the API goes from the DaemonSet's detail panel.
    await page.locator('[data-testid="ds-row"][data-name="default/watched"]').click();
    const victim = (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=watched' })).items.find((p) => p.spec?.nodeName === 'w-node-2')!;
    const victimRow = page.locator(`[data-testid="pod-row"][data-name="default/${victim.metadata.name}"]`);
    await victimRow.waitFor({ timeout: 5_000 });
    await client.delete(podsResource, 'default', victim.metadata.name!);
    await victimRow.waitFor({ state: 'detached', timeout: 10_000 });

    // Quiet for the rest of ~10 s: still one pod list, one watch connection, no error.
    await page.waitForTimeout(Math.max(0, 10_000 - (Date.now() - t0)));
    expect(browserRequests.podLists.length).toBe(1);
    expect(browserRequests.watches.length).toBe(1);
    expect(await page.locator('[data-testid="error-banner"]').isHidden()).toBe(true);
    // The watches started from the lists' resourceVersions, with bookmarks.
    for (const w of upstreamWatches) expect(w).toMatch(/[?&]resourceVersion=\d+(&|$)/);
    expect(upstreamWatches.filter((w) => w.startsWith('/api/v1/pods?'))).toHaveLength(1);
    expect(upstreamWatches[0]).toContain('allowWatchBookmarks=true');
  }, 60_000);

  it('resumes a broken watch without listing, and lists again after a 410 (compacted resourceVersion)', async () => {
    // A broken watch (the API server's connection cut): the page watches again from where it
    // was, without a list.
    const watchesBefore = upstreamWatches.length;
    upstream.cut();
    await waitFor(() => upstreamWatches.length >= watchesBefore + 4, { timeoutMs: 10_000 });
    const resumed = upstreamWatches.slice(watchesBefore);
    expect(resumed.every((w) => /[?&]resourceVersion=\d+(&|$)/.test(w))).toBe(true);
    await client.create(podsResource, 'default', barePod('after-resume', 'w-node-0'));
    await expect.poll(() => podsOnNode('w-node-0'), { timeout: 5_000 }).toBe('2');
    expect(browserRequests.podLists.length).toBe(1);

    // Cut again and hold the re-watch back while the cluster changes and its history is
    // compacted: the page's resourceVersions are then too old, the API server answers 410.
    const release = upstream.hold();
    upstream.cut();
    await client.delete(podsResource, 'default', 'after-resume', { gracePeriodSeconds: 0 });
    await client.create(podsResource, 'default', barePod('missed', 'w-node-2'));
    await client.patch<Node>(nodesResource, '', 'w-node-1', 'merge', { metadata: { labels: { 'dashboard-test/zone': 'green' } } });
    await server.compactNow();
    const listsBefore = browserRequests.podLists.length;
    release();

    await expect.poll(() => browserRequests.podLists.length, { timeout: 10_000 }).toBeGreaterThan(listsBefore);
    await expect.poll(() => podsOnNode('w-node-0'), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => podsOnNode('w-node-2'), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => nodeRow('w-node-1').textContent(), { timeout: 10_000 }).toContain('dashboard-test/zone=green');
    expect(await page.locator('[data-testid="error-banner"]').isHidden()).toBe(true);

    // After the relist the watch goes on: a change shows again without another list.
    const lists = browserRequests.podLists.length;
    await client.delete(podsResource, 'default', 'missed', { gracePeriodSeconds: 0 });
    await expect.poll(() => podsOnNode('w-node-2'), { timeout: 5_000 }).toBe('1');
    expect(browserRequests.podLists.length).toBe(lists);
  }, 60_000);

  it('lists everything again when the refresh button is pressed', async () => {
    const lists = browserRequests.podLists.length;
    await page.locator('[data-testid="refresh-button"]').click();
    await expect.poll(() => browserRequests.podLists.length, { timeout: 5_000 }).toBe(lists + 1);
  });

  it('ran without a script error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
