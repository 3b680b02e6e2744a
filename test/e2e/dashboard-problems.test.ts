// The web dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
// real cluster with problems: the API server with its controllers (a short node grace period),
// six hollow nodes, a DaemonSet whose init container crash-loops on three of them, one limited
// by required node affinity, and a dashboard server that goes away and comes back with a new
// token. The page must count all nodes in the matrix legend and draw problem nodes first,
// claim no "missing" pod the affinity excludes, keep keyboard focus and text selection through
// refreshes, show init containers as kubectl does, mark unreachable nodes, follow a replaced
// pod's log, and say when the connection is lost and when the session has ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import type { DaemonSet, Pod } from '../../src/api/index.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { HttpTransport, RestClient, daemonSetsResource, eventsResource, loadKubeconfig, namespacesResource, podsResource } from '../../src/client/index.js';
import { startHollowNodes, type HollowNodes } from '../../src/hollow/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';

const haveChromium = chromiumAvailable('the dashboard problems test');

const cleanup = new Cleanup();
let server: RunningServer;
let dashboard: RunningDashboard;
let client: RestClient;
let hollow: HollowNodes;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const nodes = ['p-node-0', 'p-node-1', 'p-node-2', 'p-node-3', 'p-node-4', 'p-node-5'];
const crashNodes = ['p-node-3', 'p-node-4', 'p-node-5'];

function daemonSet(name: string, spec: Record<string, unknown> = {}, initContainers: string[] = []): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { ...spec, initContainers: initContainers.map((c) => ({ name: c, image: 'registry.example/init:1' })), containers: [{ name: 'main', image: 'registry.example/main:1' }] },
      },
    },
  } as DaemonSet;
}

async function podsOf(ds: string): Promise<Pod[]> {
  const list = await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: `app=${ds}` });
  return list.items;
}

async function podOn(ds: string, node: string): Promise<Pod> {
  return waitFor(async () => (await podsOf(ds)).find((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp), { timeoutMs: 15_000 });
}

/** What a kubelet reports for a pod whose init container crash-loops (kubectl: Init:CrashLoopBackOff, 4 restarts). */
async function makeInitCrashLoop(pod: Pod): Promise<void> {
  const now = new Date().toISOString();
  const fresh = await client.get<Pod>(podsResource, 'default', pod.metadata.name!);
  fresh.status = {
    ...fresh.status,
    phase: 'Pending',
    conditions: [
      { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', lastTransitionTime: now },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: now },
    ],
    initContainerStatuses: [
      {
        name: 'setup', image: 'registry.example/init:1', imageID: '', ready: false, restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=setup' } },
        lastState: { terminated: { exitCode: 3, reason: 'Error', finishedAt: now } },
      },
    ],
    containerStatuses: [{ name: 'main', image: 'registry.example/main:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  } as Pod['status'];
  await client.updateStatus(podsResource, 'default', fresh);
}

const cell = (p: Page, ds: string, node: string) => p.locator(`[data-testid="matrix-cell"][data-ds="default/${ds}"][data-node="${node}"]`);
// Page-side code is passed as text: the tests are type-checked without the DOM library.
const activeKey = (p: Page) =>
  p.evaluate<string>(`(() => {
    const a = document.activeElement;
    return a ? (a.getAttribute('data-testid') ?? a.tagName) + '|' + (a.getAttribute('data-name') ?? a.getAttribute('data-pod') ?? '') : '';
  })()`);
const bodyHas = (p: Page, cls: string) => p.evaluate<boolean>(`document.body.classList.contains(${JSON.stringify(cls)})`);

describe.skipIf(!haveChromium)('dashboard with problems in a browser', () => {
  beforeAll(async () => {
    const dir = makeTempDir(cleanup, 'everynode-dashboard-problems-');
    server = await startServer({
      dataDir: dir,
      listen: '127.0.0.1:0',
      controllers: { leaderElection: false, nodeLifecycle: { gracePeriodMs: 4_000, monitorPeriodMs: 500 } },
    });
    cleanup.defer(() => server.close());
    const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
    cleanup.defer(() => transport.destroy());
    client = new RestClient(transport.request);
    hollow = await startHollowNodes({ client, count: nodes.length, namePrefix: 'p-node-', readyDelayMs: 50, leaseDurationSeconds: 2 });
    cleanup.defer(() => hollow.stop());
    dashboard = await startDashboard({ transport: transport.request, listen: '127.0.0.1:0' });
    cleanup.defer(() => dashboard.close());

    await client.create(daemonSetsResource, 'default', daemonSet('crashy', {}, ['setup']));
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['p-node-0', 'p-node-1'] }] }] } } };
    await client.create(daemonSetsResource, 'default', daemonSet('edge-only', { affinity }));
    await waitFor(async () => (await podsOf('crashy')).filter((p) => p.status?.phase === 'Running').length === nodes.length, { timeoutMs: 20_000 });
    await waitFor(async () => ((await client.get<DaemonSet>(daemonSetsResource, 'default', 'edge-only')).status?.numberAvailable ?? 0) === 2, { timeoutMs: 20_000 });
    for (const n of crashNodes) await makeInitCrashLoop(await podOn('crashy', n));
    // A hand-made warning dated in the future must not stay on top as "0s".
    await client.create(eventsResource, 'default', {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'from-the-future', namespace: 'default' },
      involvedObject: { kind: 'DaemonSet', namespace: 'default', name: 'crashy' }, reason: 'TimeTravel', message: 'dated 2030', type: 'Warning',
      lastTimestamp: '2030-01-01T00:00:00Z', firstTimestamp: '2030-01-01T00:00:00Z', count: 1,
    } as never);

    browser = await launchChromium(cleanup);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${dashboard.url}&refresh=250`);
    await page.locator('[data-testid="ds-row"][data-name="default/crashy"]').waitFor({ timeout: 15_000 });
  }, 90_000);

  afterAll(async () => {
    await cleanup.run();
  });

  it('counts every node in the matrix legend and draws the problem nodes first beyond the cap', async () => {
    const capped = await context.newPage();
    capped.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await capped.goto(`${dashboard.baseUrl}?refresh=250&matrixNodes=2`);
      // Three crash-looping pods, two nodes drawn: the legend still says 3.
      await expect.poll(() => capped.locator('#legend-failed').textContent(), { timeout: 15_000 }).toBe('3');
      expect(await capped.locator('#legend-ready').textContent()).toBe(String(3 + 2));
      const drawn = await capped.locator('#matrix tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')));
      expect(drawn).toEqual(['p-node-3', 'p-node-4']);
      const note = capped.locator('[data-testid="matrix-note"]');
      expect(await note.getAttribute('data-hidden-problems')).toBe('1');
      expect(await note.textContent()).toContain('1 node with problems is not shown');
      expect(await cell(capped, 'crashy', 'p-node-3').getAttribute('data-state')).toBe('failed');
    } finally {
      await capped.close();
    }
  });

  it('claims no missing pod where the required node affinity keeps a DaemonSet away', async () => {
    await expect.poll(() => cell(page, 'edge-only', 'p-node-0').getAttribute('data-state'), { timeout: 10_000 }).toBe('ready');
    expect(await cell(page, 'edge-only', 'p-node-1').getAttribute('data-state')).toBe('ready');
    for (const n of nodes.slice(2)) expect(await cell(page, 'edge-only', n).getAttribute('data-state')).toBe('none');
    // A screen reader hears "no pod", not the state's name.
    expect(await cell(page, 'edge-only', 'p-node-2').getAttribute('aria-label')).toBe('default/edge-only on p-node-2: no pod');
    expect(await page.locator('#legend-missing').textContent()).toBe('0');
    const row = page.locator('[data-testid="ds-row"][data-name="default/edge-only"]');
    expect(await row.locator('[data-testid="ds-placement"]').textContent()).toContain('kubernetes.io/hostname In (p-node-0, p-node-1)');
    expect(await row.locator('[data-testid="ds-status"]').getAttribute('data-status')).toBe('complete');
  });

  it('tells a failing DaemonSet from a rollout', async () => {
    const status = page.locator('[data-testid="ds-row"][data-name="default/crashy"] [data-testid="ds-status"]');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 10_000 }).toBe('failing');
    expect(await status.textContent()).toContain('Failing: 3 Init:CrashLoopBackOff');
  });

  it('fits the DaemonSet table in a 1280 px window: long images, selectors and reasons wrap instead of scrolling sideways', async () => {
    const wide = daemonSet('node-feature-discovery-worker', { nodeSelector: { 'kubernetes.io/os': 'linux' } }, ['falco-driver-loader']);
    const tpl = wide.spec.template.spec!;
    tpl.initContainers![0]!.image = 'docker.io/falcosecurity/falco-driver-loader:0.44.1';
    tpl.containers = [
      { name: 'worker', image: 'registry.k8s.io/nfd/node-feature-discovery:v0.19.0' },
      { name: 'exporter', image: 'quay.io/prometheus/node-exporter:v1.12.1' },
    ];
    wide.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } };
    await client.create(daemonSetsResource, 'default', wide);
    const row = page.locator('[data-testid="ds-row"][data-name="default/node-feature-discovery-worker"]');
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="ds-row"][data-name="default/crashy"] [data-testid="ds-status"]').textContent(), { timeout: 10_000 }).toContain('Init:CrashLoopBackOff');
    const box = await page.locator('#ds-wrap').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(box.scroll).toBeLessThanOrEqual(box.client);
    expect(await row.textContent()).toContain('registry.k8s.io/nfd/node-feature-discovery:v0.19.0');
    await client.delete(daemonSetsResource, 'default', 'node-feature-discovery-worker');
    await row.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('keeps keyboard focus and text selection through refreshes that change the tables', async () => {
    const row = page.locator('[data-testid="ds-row"][data-name="default/edge-only"]');
    await row.focus();
    // Ages tick every second (refresh every 250 ms): the DaemonSet table changes several times.
    const ageCell = row.locator('td').last();
    const ages = new Set<string>();
    for (let i = 0; i < 12; i++) {
      ages.add((await ageCell.textContent()) ?? '');
      expect(await activeKey(page)).toBe('ds-row|default/edge-only');
      await page.waitForTimeout(250);
    }
    expect(ages.size).toBeGreaterThan(1);
    // The focus kept through the refreshes still works: Enter selects the row.
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="ds-detail"] h2', { hasText: 'edge-only' }).waitFor({ timeout: 5_000 });

    // In the detail panel: a pod's delete button keeps focus, a selected pod name stays selected.
    await page.locator('[data-testid="ds-row"][data-name="default/crashy"]').click();
    const podRow = page.locator('[data-testid="pod-row"]').first();
    await podRow.waitFor({ timeout: 5_000 });
    const podName = (await podRow.getAttribute('data-name'))!.split('/')[1]!;
    const del = page.locator(`[data-testid="pod-row"][data-name="default/${podName}"] [data-testid="pod-delete-button"]`);
    await del.focus();
    await page.evaluate(`(() => {
      const td = [...document.querySelectorAll('[data-testid="pod-row"] td')].find((e) => e.textContent === ${JSON.stringify(podName)});
      const range = document.createRange();
      range.selectNodeContents(td);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    })()`);
    const podAge = page.locator(`[data-testid="pod-row"][data-name="default/${podName}"] td`).nth(5);
    const podAges = new Set<string>();
    for (let i = 0; i < 12; i++) {
      podAges.add((await podAge.textContent()) ?? '');
      expect(await activeKey(page)).toBe(`pod-delete-button|${podName}`);
      expect(await page.evaluate<string>('window.getSelection().toString()')).toBe(podName);
      await page.waitForTimeout(250);
    }
    expect(podAges.size).toBeGreaterThan(1);
  });

  it('lets the keyboard reach and scroll the tables\' scroll boxes, each named for screen readers', async () => {
    for (const name of ['DaemonSets', 'Nodes', 'Events']) {
      const region = page.getByRole('region', { name, exact: true });
      expect(await region.getAttribute('tabindex'), name).toBe('0');
      expect(await region.evaluate((e) => e.classList.contains('scroll')), name).toBe(true);
    }
  });

  it('walks the matrix with the keyboard: one tab stop, arrow keys move it, Enter selects the DaemonSet', async () => {
    const focused = () =>
      page.evaluate<string>(`(() => {
        const a = document.activeElement;
        return a && a.getAttribute('data-testid') === 'matrix-cell' ? a.getAttribute('data-node') + ' ' + a.getAttribute('data-ds') : '';
      })()`);
    const stops = () => page.locator('[data-testid="matrix-cell"][tabindex="0"]');
    expect(await stops().count()).toBe(1);
    // The grid is named for assistive technology, and so is each cell.
    expect(await page.locator('[data-testid="matrix"]').getAttribute('role')).toBe('grid');
    expect(await cell(page, 'crashy', 'p-node-0').getAttribute('aria-label')).toMatch(/^default\/crashy on p-node-0: \w+/);
    await stops().focus();
    expect(await focused()).toBe('p-node-0 default/crashy');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('p-node-0 default/edge-only');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('p-node-1 default/edge-only');
    // Past the edge nothing moves.
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('p-node-1 default/edge-only');
    // The tab stop moved along and survives refreshes (every 250 ms).
    await page.waitForTimeout(800);
    expect(await focused()).toBe('p-node-1 default/edge-only');
    expect(await stops().count()).toBe(1);
    expect(await stops().getAttribute('data-node')).toBe('p-node-1');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="ds-detail"] h2', { hasText: 'edge-only' }).waitFor({ timeout: 5_000 });
    await stops().focus();
    await page.keyboard.press('Home');
    expect(await focused()).toBe('p-node-1 default/crashy');
    await page.keyboard.press(' ');
    await page.locator('[data-testid="ds-detail"] h2', { hasText: 'crashy' }).waitFor({ timeout: 5_000 });
    // A click moves the one tab stop too, and the arrows go on from there.
    await cell(page, 'edge-only', 'p-node-2').click();
    expect(await stops().count()).toBe(1);
    expect(await stops().getAttribute('data-node')).toBe('p-node-2');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('p-node-1 default/edge-only');
    expect(await stops().count()).toBe(1);
    // The click selected edge-only; the tests after this one read crashy's detail.
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="ds-detail"] h2', { hasText: 'crashy' }).waitFor({ timeout: 5_000 });
  });

  it('shows init containers as kubectl does: Init:CrashLoopBackOff, their restarts, their logs', async () => {
    // crashy is selected (previous test); its problem pods are listed first.
    const first = await page.locator('[data-testid="pod-row"]').evaluateAll((rows) => rows.slice(0, 3).map((r) => r.querySelector('td:nth-child(2)')!.textContent));
    expect(first.sort()).toEqual(crashNodes);
    const pod = await podOn('crashy', 'p-node-3');
    const row = page.locator(`[data-testid="pod-row"][data-name="default/${pod.metadata.name}"]`);
    expect(await row.locator('[data-testid="pod-status"]').textContent()).toContain('Init:CrashLoopBackOff');
    expect(await row.locator('[data-testid="pod-status"]').getAttribute('title')).toContain('back-off 40s restarting failed container=setup');
    expect(await row.locator('[data-testid="pod-restarts"]').textContent()).toMatch(/^4 \(\d+s ago\)$/);
    expect(await row.locator('[data-testid="pod-logs-button"][data-init="true"][data-container="setup"]').count()).toBe(1);
    expect(await row.locator('[data-testid="pod-logs-button"][data-container="main"]').count()).toBe(1);
  });

  it('follows the DaemonSet new pod on the same node when the followed pod is deleted', async () => {
    const old = await podOn('crashy', 'p-node-0');
    await page.locator(`[data-testid="pod-row"][data-name="default/${old.metadata.name}"] [data-testid="pod-logs-button"][data-container="main"]`).click();
    await expect.poll(() => page.locator('#log-title').textContent(), { timeout: 5_000 }).toContain(old.metadata.name);
    await client.delete(podsResource, 'default', old.metadata.name!);
    const fresh = await waitFor(async () => (await podsOf('crashy')).find((p) => p.spec?.nodeName === 'p-node-0' && p.metadata.name !== old.metadata.name), { timeoutMs: 15_000 });
    await expect.poll(() => page.locator('#log-title').textContent(), { timeout: 15_000 }).toContain(fresh.metadata.name);
    expect(await page.locator('[data-testid="log-note"]').textContent()).toContain(`replaced by ${fresh.metadata.name}`);
    expect(await page.locator('[data-testid="log-follow"]').isChecked()).toBe(true);
  });

  it('shows a node whose Ready condition is Unknown as NotReady, with the reason and heartbeat, and its cells as stale', async () => {
    hollow.setHeartbeat('p-node-2', false);
    const status = page.locator('[data-testid="node-row"][data-name="p-node-2"] [data-testid="node-status"]');
    await expect.poll(() => status.getAttribute('data-unreachable'), { timeout: 20_000 }).toBe('true');
    expect(await status.textContent()).toMatch(/^NotReady/);
    const title = (await status.getAttribute('title')) ?? '';
    expect(title).toContain('Ready: Unknown');
    expect(title).toContain('last heartbeat');
    await expect.poll(() => cell(page, 'crashy', 'p-node-2').getAttribute('data-stale'), { timeout: 10_000 }).toBe('true');
    // One pod there (crashy's; edge-only has none on it): the legend counts pods, not empty cells.
    expect(await cell(page, 'edge-only', 'p-node-2').getAttribute('data-state')).toBe('none');
    expect(await page.locator('#legend-stale').textContent()).toBe('1');
    expect(await page.locator('[data-testid="node-row"][data-name="p-node-1"] [data-testid="node-status"]').textContent()).toBe('Ready');
  });

  it('filters warnings and marks an event dated in the future', async () => {
    await page.locator('[data-testid="events-warnings-only"]').check();
    await expect.poll(async () => (await page.locator('#events-body [data-testid="event-row"]').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-type')))])).join(), { timeout: 5_000 }).toBe('Warning');
    const future = page.locator('#events-body [data-testid="event-row"] td[data-future="true"]');
    expect(await future.first().textContent()).toBe('future');
    await page.locator('[data-testid="events-warnings-only"]').uncheck();
  });

  it('names each column with its namespace when there are several, lists init containers\' images, and says when a DaemonSet has nothing to roll out', async () => {
    await client.create(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } as never);
    const nowhere = daemonSet('nowhere', { nodeSelector: { 'no-such-label': 'x' } });
    nowhere.metadata.namespace = 'other';
    await client.create(daemonSetsResource, 'other', nowhere);
    const row = page.locator('[data-testid="ds-row"][data-name="other/nowhere"]');
    await row.waitFor({ timeout: 15_000 });
    const columns = page.locator('[data-testid="matrix-column"]');
    await expect.poll(() => columns.allTextContents(), { timeout: 10_000 }).toEqual(['default/crashy', 'default/edge-only', 'other/nowhere']);
    await expect.poll(() => row.locator('.prog-text').textContent(), { timeout: 10_000 }).toBe('nothing to roll out (no node matches)');
    expect(await page.locator('[data-testid="ds-row"][data-name="default/crashy"]').textContent()).toContain('registry.example/init:1');
    await client.delete(daemonSetsResource, 'other', 'nowhere');
    await expect.poll(() => columns.allTextContents(), { timeout: 10_000 }).toEqual(['crashy', 'edge-only']);
  });

  it('filters the DaemonSets (table and matrix columns) by name, image or label, orders problems first, and takes ?filter=', async () => {
    await client.create(daemonSetsResource, 'default', daemonSet('aaa-fine'));
    const rows = page.locator('[data-testid="ds-row"]');
    const names = () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    const columns = page.locator('[data-testid="matrix-column"]');
    await expect.poll(names, { timeout: 15_000 }).toEqual(['default/aaa-fine', 'default/crashy', 'default/edge-only']);
    const filter = page.locator('[data-testid="ds-filter"]');
    const note = page.locator('[data-testid="ds-filter-note"]');
    await filter.fill('edge');
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/edge-only']);
    expect(await columns.allTextContents()).toEqual(['edge-only']);
    expect(await note.textContent()).toBe('1 of 3 DaemonSets shown');
    // Every word must match: an image and the namespace.
    await filter.fill('init:1 default/');
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/crashy']);
    await filter.fill('app=aaa');
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/aaa-fine']);
    await filter.fill('no-such-daemon');
    await expect.poll(() => page.locator('#ds-body').textContent(), { timeout: 5_000 }).toBe('No DaemonSet matches the filter.');
    expect(await page.locator('[data-testid="matrix"]').textContent()).toBe('No DaemonSet matches the filter.');
    await filter.fill('');
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/aaa-fine', 'default/crashy', 'default/edge-only']);
    expect(await note.textContent()).toBe('');
    // Problems first: the failing DaemonSet before the complete ones, which keep name order.
    await expect.poll(() => page.locator('[data-testid="ds-row"][data-name="default/aaa-fine"] [data-testid="ds-status"]').getAttribute('data-status'), { timeout: 15_000 }).toBe('complete');
    await page.locator('[data-testid="ds-problems-first"]').check();
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/crashy', 'default/aaa-fine', 'default/edge-only']);
    expect(await columns.allTextContents()).toEqual(['crashy', 'aaa-fine', 'edge-only']);
    await page.locator('[data-testid="ds-problems-first"]').uncheck();
    await expect.poll(names, { timeout: 5_000 }).toEqual(['default/aaa-fine', 'default/crashy', 'default/edge-only']);
    // A link with ?filter= opens filtered.
    const linked = await context.newPage();
    try {
      await linked.goto(`${dashboard.url}&refresh=250&filter=crashy`);
      await expect.poll(() => linked.locator('[data-testid="ds-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), { timeout: 15_000 }).toEqual(['default/crashy']);
      expect(await linked.locator('[data-testid="ds-filter"]').inputValue()).toBe('crashy');
    } finally {
      await linked.close();
    }
    await client.delete(daemonSetsResource, 'default', 'aaa-fine');
    await expect.poll(names, { timeout: 15_000 }).toEqual(['default/crashy', 'default/edge-only']);
  });

  it('a failed write shows in the action status only: no banner, and the data goes on updating', async () => {
    await page.locator('[data-testid="ds-row"][data-name="default/edge-only"]').click();
    const pod = await podOn('edge-only', 'p-node-1');
    // The pod is deleted through the API while the confirm dialog is open: the page's own
    // DELETE then gets 404.
    page.once('dialog', async (d) => {
      await client.delete(podsResource, 'default', pod.metadata.name!, { gracePeriodSeconds: 0 });
      await d.accept();
    });
    await page.locator(`[data-testid="pod-row"][data-name="default/${pod.metadata.name}"] [data-testid="pod-delete-button"]`).click();
    const action = page.locator('[data-testid="action-status"]');
    await expect.poll(() => action.textContent(), { timeout: 10_000 }).toContain('failed');
    expect(await action.textContent()).toContain('not found');
    expect(await page.locator('[data-testid="error-banner"]').isHidden()).toBe(true);
    const updated = page.locator('#last-updated');
    expect(await updated.getAttribute('class')).not.toContain('stale');
    const before = await updated.textContent();
    await expect.poll(() => updated.textContent(), { timeout: 10_000 }).not.toBe(before);
  });

  it('stops following a log that cannot be read, after ?logGiveUp seconds, and says so', async () => {
    const p2 = await context.newPage();
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await p2.goto(`${dashboard.baseUrl}?refresh=250&logGiveUp=1`);
      await p2.locator('[data-testid="ds-row"][data-name="default/crashy"]').click();
      const pod = await podOn('crashy', 'p-node-1');
      await p2.locator(`[data-testid="pod-row"][data-name="default/${pod.metadata.name}"] [data-testid="pod-logs-button"][data-container="main"]`).click();
      // Hollow nodes run no agent: every read of the log fails (not a pod gone).
      await expect.poll(() => p2.locator('[data-testid="log-view"]').textContent(), { timeout: 5_000 }).toMatch(/^error: /);
      await expect.poll(() => p2.locator('[data-testid="log-note"]').textContent(), { timeout: 10_000 }).toContain('follow stopped');
      expect(await p2.locator('[data-testid="log-follow"]').isChecked()).toBe(false);
      // And it is asked for no more.
      const reads: string[] = [];
      p2.on('request', (r) => { if (r.url().includes('/log?')) reads.push(r.url()); });
      await p2.waitForTimeout(1_500);
      expect(reads).toEqual([]);
    } finally {
      await p2.close();
    }
  });

  it('dims the data and backs off while the dashboard server is down, and says the session ended after it restarts', async () => {
    const port = new URL(dashboard.baseUrl).port;
    const requests: number[] = [];
    const onRequest = (r: Request) => { if (new URL(r.url()).pathname === '/api/v1/nodes') requests.push(Date.now()); };
    page.on('request', onRequest);
    await dashboard.close();
    const banner = page.locator('[data-testid="error-banner"]');
    await expect.poll(() => banner.getAttribute('data-kind'), { timeout: 10_000 }).toBe('lost');
    expect(await banner.textContent()).toMatch(/Lost connection to the dashboard server since /);
    expect(await bodyHas(page, 'data-stale')).toBe(true);
    // Polling every 250 ms would be ~16 requests in 4 s; the back-off doubles the wait each time.
    const t0 = Date.now();
    await page.waitForTimeout(4_000);
    expect(requests.filter((t) => t >= t0).length).toBeLessThanOrEqual(5);

    // Back with a new token (as `up` prints after a restart): the token this page kept is dead.
    const transport2 = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
    cleanup.defer(() => transport2.destroy());
    const again = await startDashboard({ transport: transport2.request, listen: `127.0.0.1:${port}` });
    cleanup.defer(() => again.close());
    await page.locator('[data-testid="refresh-button"]').click();
    await expect.poll(() => banner.getAttribute('data-kind'), { timeout: 10_000 }).toBe('session-ended');
    expect(await banner.textContent()).toContain('Open the new address printed by everynode up');
    expect(await bodyHas(page, 'session-ended')).toBe(true);
    expect(await page.locator('[data-testid="log-box"], #log-box').isHidden()).toBe(true);
    // No more polling: only a new sign-in can help.
    const t1 = Date.now();
    await page.waitForTimeout(1_500);
    expect(requests.filter((t) => t >= t1).length).toBe(0);
    page.off('request', onRequest);

    // The old token gets a sign-in page that says it is not valid.
    const stale = await context.newPage();
    try {
      const res = await stale.goto(dashboard.url);
      expect(res?.status()).toBe(401);
      expect(await stale.locator('#bad-token').textContent()).toContain('not valid');
    } finally {
      await stale.close();
    }
  });

  it('ran without a script error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
