// The web dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
// real cluster: API server with its controllers, three hollow nodes, one DaemonSet. The page
// must show the DaemonSet's counts, the node × DaemonSet matrix, the nodes and the events,
// follow changes, and restart a rollout through the dashboard server.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import type { DaemonSet, Pod } from '../../src/api/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { HttpTransport, RestClient, daemonSetsResource, loadKubeconfig, nodesResource, podsResource } from '../../src/client/index.js';
import { startHollowNodes, type HollowNodes } from '../../src/hollow/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';

const haveChromium = chromiumAvailable('the dashboard browser test');

const cleanup = new Cleanup();
let server: RunningServer;
let dashboard: RunningDashboard;
let client: RestClient;
let browser: Browser;
let page: Page;
let dir = '';
const pageErrors: string[] = [];

function daemonSet(name: string, image: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image }] } },
    },
  } as DaemonSet;
}

describe.skipIf(!haveChromium)('dashboard in a browser', () => {
  beforeAll(async () => {
    dir = makeTempDir(cleanup, 'everynode-dashboard-browser-');
    server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', controllers: { leaderElection: false } });
    cleanup.defer(() => server.close());
    const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
    cleanup.defer(() => transport.destroy());
    client = new RestClient(transport.request);
    const hollow: HollowNodes = await startHollowNodes({ client, count: 3, namePrefix: 'web-node-', readyDelayMs: 50 });
    cleanup.defer(() => hollow.stop());
    dashboard = await startDashboard({ transport: transport.request, listen: '127.0.0.1:0' });
    cleanup.defer(() => dashboard.close());
    await client.create(daemonSetsResource, 'default', daemonSet('fleet-agent', 'registry.example/agent:1'));
    await waitFor(async () => ((await client.get<DaemonSet>(daemonSetsResource, 'default', 'fleet-agent')).status?.numberAvailable ?? 0) === 3, { timeoutMs: 20_000 });

    browser = await launchChromium(cleanup);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The printed login URL: the page keeps its token in localStorage (this origin's, port
    // included) and takes it out of the address; no cookie, which the browser would send to
    // every other port of the host.
    await page.goto(`${dashboard.url}&refresh=300`);
    expect(new URL(page.url()).search).toBe('?refresh=300');
    expect(await page.evaluate("localStorage.getItem('everynode-dashboard-token')")).toBe(new URL(dashboard.url).searchParams.get('token'));
    expect(await page.context().cookies()).toEqual([]);
  }, 90_000);

  afterAll(async () => {
    if (page && process.env.EVERYNODE_DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.EVERYNODE_DASHBOARD_SCREENSHOT, fullPage: true }).catch(() => undefined);
    await cleanup.run();
  });

  it('shows the DaemonSet, its pod on every node, the nodes and the events', async () => {
    const row = page.locator('[data-testid="ds-row"][data-name="default/fleet-agent"]');
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => row.locator('[data-testid="ds-ready"]').textContent(), { timeout: 10_000 }).toBe('3');
    expect(await row.locator('[data-testid="ds-desired"]').textContent()).toBe('3');
    expect(await row.locator('[data-testid="ds-available"]').textContent()).toBe('3');
    await expect.poll(() => page.locator('[data-testid="summary-nodes"]').textContent(), { timeout: 10_000 }).toContain('3/3');

    const cells = page.locator('[data-testid="matrix-cell"][data-ds="default/fleet-agent"]');
    await expect.poll(() => cells.count()).toBe(3);
    for (const n of ['web-node-0', 'web-node-1', 'web-node-2']) {
      expect(await page.locator(`[data-testid="matrix-cell"][data-ds="default/fleet-agent"][data-node="${n}"]`).getAttribute('data-state')).toBe('ready');
      expect(await page.locator(`[data-testid="node-row"][data-name="${n}"] [data-testid="node-status"]`).textContent()).toContain('Ready');
    }
    await expect.poll(() => page.locator('[data-testid="event-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('follows changes: a second DaemonSet appears with its column', async () => {
    await client.create(daemonSetsResource, 'default', daemonSet('log-shipper', 'registry.example/shipper:1'));
    await page.locator('[data-testid="ds-row"][data-name="default/log-shipper"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="matrix-cell"][data-ds="default/log-shipper"][data-state="ready"]').count(), { timeout: 15_000 }).toBe(3);
  });

  it('restarts a DaemonSet from its detail panel; the rollout shows and completes', async () => {
    await page.locator('[data-testid="ds-row"][data-name="default/fleet-agent"]').click();
    await page.locator('[data-testid="ds-detail"]').waitFor({ timeout: 5_000 });
    // Skip the confirm() dialog (the page's hook for automation).
    await page.evaluate('window.EVERYNODE_NO_CONFIRM = true');
    const before = await client.get<DaemonSet>(daemonSetsResource, 'default', 'fleet-agent');
    await page.locator('[data-testid="restart-button"]').click();
    const after = await waitFor(
      async () => {
        const ds = await client.get<DaemonSet>(daemonSetsResource, 'default', 'fleet-agent');
        return (ds.metadata.generation ?? 0) > (before.metadata.generation ?? 0) ? ds : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(after.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The new pods come up on every node: the page ends at 3 updated and 3 ready again.
    const row = page.locator('[data-testid="ds-row"][data-name="default/fleet-agent"]');
    await expect.poll(async () => `${await row.locator('[data-testid="ds-updated"]').textContent()} ${await row.locator('[data-testid="ds-ready"]').textContent()}`, { timeout: 30_000 }).toBe('3 3');
  });

  it('reads sidecar init containers as kubectl, says Unknown for a node that never reported, and keeps a long node name off the matrix cells', async () => {
    // A sidecar (restartable init container) counts in READY; one named "constructor" too.
    const sidecar = daemonSet('with-sidecar', 'registry.example/agent:1');
    sidecar.spec.template.spec!.initContainers = [{ name: 'constructor', image: 'registry.example/side:1', restartPolicy: 'Always' } as never];
    await client.create(daemonSetsResource, 'default', sidecar);
    const plain = daemonSet('plain-init', 'registry.example/agent:1');
    plain.spec.template.spec!.initContainers = [{ name: 'constructor', image: 'registry.example/init:1' }];
    await client.create(daemonSetsResource, 'default', plain);
    for (const ds of ['with-sidecar', 'plain-init']) await waitFor(async () => ((await client.get<DaemonSet>(daemonSetsResource, 'default', ds)).status?.numberAvailable ?? 0) === 3, { timeoutMs: 20_000 });
    // A plain init container named "constructor" still running: Init:0/1 (it is no sidecar).
    const pod = (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: 'app=plain-init' })).items[0]!;
    const now = new Date().toISOString();
    pod.status = {
      ...pod.status,
      phase: 'Pending',
      conditions: [{ type: 'Initialized', status: 'False', lastTransitionTime: now }, { type: 'Ready', status: 'False', lastTransitionTime: now }],
      initContainerStatuses: [{ name: 'constructor', image: 'registry.example/init:1', imageID: '', ready: false, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
      containerStatuses: [{ name: 'agent', image: 'registry.example/agent:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    } as Pod['status'];
    await client.updateStatus(podsResource, 'default', pod);
    await page.locator('[data-testid="ds-row"][data-name="default/with-sidecar"]').click();
    const readies = page.locator('[data-testid="pod-row"] [data-testid="pod-ready"]');
    await expect.poll(() => readies.allTextContents(), { timeout: 10_000 }).toEqual(['2/2', '2/2', '2/2']);
    // A log is read with a byte limit (a log of huge lines must not freeze the page).
    const logRequest = page.waitForRequest((r) => r.url().includes('/log?'), { timeout: 10_000 });
    await page.locator('[data-testid="pod-row"] [data-testid="pod-logs-button"][data-container="agent"]').first().click();
    expect(new URL((await logRequest).url()).searchParams.get('limitBytes')).toBe('524288');
    await page.locator('[data-testid="ds-row"][data-name="default/plain-init"]').click();
    const initRow = page.locator(`[data-testid="pod-row"][data-name="default/${pod.metadata.name}"]`);
    await expect.poll(() => initRow.locator('[data-testid="pod-status"]').textContent(), { timeout: 10_000 }).toMatch(/^Init:0\/1/);
    expect(await initRow.locator('[data-testid="pod-ready"]').textContent()).toBe('0/1');

    // A Node nobody runs: no Ready condition at all, which kubectl shows as Unknown.
    const long = `${'n'.repeat(63)}.${'n'.repeat(63)}.${'e'.repeat(60)}`;
    await client.create(nodesResource, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: long } } as never);
    const status = page.locator(`[data-testid="node-row"][data-name="${long}"] [data-testid="node-status"]`);
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('Unknown');
    // Its 188-character name, sticky at the left of the matrix, must leave the cells visible.
    const cell = page.locator(`[data-testid="matrix-cell"][data-node="${long}"]`).first();
    await cell.waitFor({ timeout: 10_000 });
    await cell.scrollIntoViewIfNeeded();
    const visible = await page.evaluate<boolean>(`(() => {
      const el = document.querySelector('[data-testid="matrix-cell"][data-node="${long}"]');
      const r = el.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === el;
    })()`);
    expect(visible).toBe(true);
  });

  it('ran without a script error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
