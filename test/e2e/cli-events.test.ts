// The built `everynode events` against a started `everynode server` subprocess (its controllers
// included): the DaemonSet controller's SuccessfulCreate events of a DaemonSet, listed with
// --for ds/NAME as kubectl 1.32 prints them (table, -o json, --types, no events, an unknown
// type), and `-w --for` printing a new event as the controller records it. No agent runs: the
// nodes are bare Node objects, which is all the controller needs to create a pod per node.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, spawnNode, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { dsManifest, killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';

const cleanup = new Cleanup();
let server: ServerProcess;
let kc = '';

const cli = (args: string[], opts: { input?: string } = {}) => runEverynode(args, { kubeconfig: kc, ...opts });

const label = 'events-e2e';
const node = (name: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { [label]: 'yes' } } });
// Only on the labelled nodes, so each new node brings exactly one new pod (and event).
const daemonSet = dsManifest('evds').replace('    spec:\n      containers:', `    spec:\n      nodeSelector:\n        ${label}: "yes"\n      containers:`);

/** The name of the DaemonSet's pod on `nodeName`, once the controller has created it. */
async function podOn(nodeName: string): Promise<string> {
  return waitFor(
    async () => {
      const r = await cli(['get', 'pods', '-l', 'app=evds', '-o', 'json']);
      const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { nodeName?: string } }[] };
      return list.items.find((p) => p.spec.nodeName === nodeName)?.metadata.name;
    },
    { message: `the evds pod on ${nodeName}` },
  );
}

beforeAll(async () => {
  const dir = makeTempDir(cleanup, 'cli-events');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
  expect((await cli(['create', '-f', '-'], { input: node('ev-node-1') })).code).toBe(0);
  expect((await cli(['apply', '-f', '-'], { input: daemonSet })).stdout).toBe('daemonset.apps/evds created\n');
});

afterAll(async () => {
  await cleanup.run();
});

describe('everynode events', () => {
  it('lists the SuccessfulCreate of the DaemonSet controller with --for ds/NAME', async () => {
    const pod = await podOn('ev-node-1');
    const r = await waitFor(
      async () => {
        const run = await cli(['events', '--for', 'ds/evds']);
        return run.stdout.includes(`Created pod: ${pod}`) ? run : undefined;
      },
      { message: 'the SuccessfulCreate event' },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [header, row, ...rest] = r.stdout.split('\n');
    expect(rest).toEqual(['']);
    // kubectl's columns: each padded to its widest cell plus 3.
    expect(header).toBe('LAST SEEN   TYPE     REASON             OBJECT           MESSAGE');
    const age = /^\d+s/.exec(row ?? '')?.[0] ?? '';
    expect(row).toBe(`${age.padEnd(12)}Normal   SuccessfulCreate   DaemonSet/evds   Created pod: ${pod}`);

    const json = await cli(['events', '--for', 'daemonsets.apps/evds', '-o', 'json']);
    const list = JSON.parse(json.stdout) as { kind: string; items: { involvedObject: Record<string, string>; reason: string; source: { component: string }; eventTime: null }[] };
    expect(list.kind).toBe('EventList');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ involvedObject: { kind: 'DaemonSet', apiVersion: 'apps/v1', name: 'evds', namespace: 'default' }, reason: 'SuccessfulCreate', source: { component: 'daemonset-controller' }, eventTime: null });

    expect(await cli(['events', '--for', 'ds/evds', '--types', 'Warning'])).toMatchObject({ code: 0, stdout: '', stderr: 'No events found in default namespace.\n' });
    expect(await cli(['events', '-n', 'no-such-namespace'])).toMatchObject({ code: 0, stdout: '', stderr: 'No events found in no-such-namespace namespace.\n' });
    expect(await cli(['events', '--for', 'frobs/x'])).toMatchObject({ code: 1, stdout: '', stderr: 'the server doesn\'t have a resource type "frobs"\n' });
  });

  it('-w --for prints the existing events, then a new one as the controller records it', async () => {
    const first = await podOn('ev-node-1');
    const w = spawnNode(cleanup, [everynodeBin, 'events', '-w', '--for', 'ds/evds'], { env: { ...process.env, KUBECONFIG: kc, NO_COLOR: '1' } });
    await waitFor(() => w.output().includes(`Created pod: ${first}\n`), { message: `the existing event, in:\n${w.output()}` });
    expect(w.output()).toMatch(/^LAST SEEN {3}TYPE {5}REASON {13}OBJECT {11}MESSAGE\n/);
    // A second labelled node: the controller creates its pod and records the event.
    expect((await cli(['create', '-f', '-'], { input: node('ev-node-2') })).code).toBe(0);
    const second = await podOn('ev-node-2');
    await waitFor(() => w.output().includes(`Created pod: ${second}\n`), { message: 'the new event' });
    const lines = w.output().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(new RegExp(`^\\d+s +Normal {3}SuccessfulCreate {3}DaemonSet/evds {3}Created pod: ${second}$`));
    await w.stop(1000);
  });
});
