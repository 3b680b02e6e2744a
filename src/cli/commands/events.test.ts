// `everynode events` in-process (runCli) against the fake API (testing/fake-api.ts), with the
// clock fixed (only Date is faked). Every expected text below was printed by kubectl 1.32 for
// the same events on a real everynode cluster, or follows its rules checked there: the table
// and its column widths, LAST SEEN (`5s`, `3m2s`, `(xN over ...)`, `<unknown>`), the order of
// equal times left by Go's sort.Sort, -A, --for, --types, the messages for no events and bad
// flags, -o json/yaml/name and Go template failures, and -w (widths remembered across events,
// deletions skipped). The fake filters no field selector but metadata.name, so --for is checked
// by the request it sends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { runCli } from '../index.js';
import { FakeApi } from '../testing/fake-api.js';
import { memoryIO } from '../testing/memory-io.js';
import { goEvent, lastSeen } from './events.js';
import { TabWriter } from '../tabwriter.js';

const now = Date.parse('2026-01-02T03:04:05Z');
/** RFC 3339 (seconds) of `now - seconds`. */
const ago = (seconds: number): string => new Date(now - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
/** RFC 3339 with microseconds of half a second before `now - seconds`. */
const agoMicro = (seconds: number): string => ago(seconds + 1).replace('Z', '.500000Z');

const event = (name: string, fields: Record<string, unknown>, namespace = 'default'): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: ago(300) },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace },
    source: { component: 'kubelet' },
    type: 'Normal',
    ...fields,
  }) as unknown as KubeObject;

let dir = '';
let api: FakeApi;
let env: Record<string, string>;

async function cli(args: string[], e: Record<string, string> = env): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = memoryIO(e);
  const code = await runCli(args, t);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-events-'));
  api = await FakeApi.start(dir);
  env = { KUBECONFIG: api.kubeconfigPath };
  api.add(
    // `table`: every kind of LAST SEEN, out of time order.
    event('a', { reason: 'Started', message: 'Started container main', count: 1, firstTimestamp: ago(5), lastTimestamp: ago(5), involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'table' } }, 'table'),
    event('b', { type: 'Warning', reason: 'BackOff', message: '  Back-off restarting failed container  ', count: 3, firstTimestamp: ago(120), lastTimestamp: ago(62), involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'table' } }, 'table'),
    event('c', { reason: 'SuccessfulCreate', message: 'Created pod: web-1', eventTime: agoMicro(182), action: 'Create', reportingComponent: 'daemonset-controller', involvedObject: { kind: 'DaemonSet', name: 'web', namespace: 'table' } }, 'table'),
    event('d', { reason: 'Unhealthy', message: 'Readiness probe failed', eventTime: agoMicro(70), series: { count: 4, lastObservedTime: agoMicro(1) }, involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'table' } }, 'table'),
    event('e', { reason: 'Odd', message: 'no times at all', involvedObject: { kind: 'Node', name: 'n1' } }, 'table'),
    // `other`: a second namespace for -A.
    event('f', { reason: 'NodeReady', message: 'Node n1 status is now: NodeReady', count: 1, firstTimestamp: ago(30), lastTimestamp: ago(30), involvedObject: { kind: 'Node', name: 'n1' } }, 'other'),
  );
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
  api.requests.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
  api.watchEvents = [];
});

describe('everynode events: the table', () => {
  it('lists the namespace oldest first with kubectl columns, widths and LAST SEEN texts', async () => {
    expect(await cli(['events', '-n', 'table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'LAST SEEN          TYPE      REASON             OBJECT          MESSAGE\n' +
        '<unknown>          Normal    Odd                Node/n1         no times at all\n' +
        '3m2s               Normal    SuccessfulCreate   DaemonSet/web   Created pod: web-1\n' +
        '62s (x3 over 2m)   Warning   BackOff            Pod/web-1       Back-off restarting failed container\n' +
        '5s                 Normal    Started            Pod/web-1       Started container main\n' +
        '1s (x4 over 70s)   Normal    Unhealthy          Pod/web-1       Readiness probe failed\n',
    });
    // One list of the namespace, 500 at a time, no field selector.
    const [req, ...more] = api.requestsTo('/api/v1/namespaces/table/events');
    expect(more).toEqual([]);
    expect(req?.query.get('limit')).toBe('500');
    expect(req?.query.get('fieldSelector')).toBeNull();
  });

  it('--no-headers drops the header; -A adds NAMESPACE and lists every namespace', async () => {
    expect((await cli(['events', '-n', 'table', '--no-headers', '--types', 'Warning'])).stdout).toBe('62s (x3 over 2m)   Warning   BackOff   Pod/web-1   Back-off restarting failed container\n');
    const all = await cli(['events', '-A', '--types', 'normal', '-n', 'ignored']);
    expect(all.stdout).toBe(
      'NAMESPACE   LAST SEEN          TYPE     REASON             OBJECT          MESSAGE\n' +
        'table       <unknown>          Normal   Odd                Node/n1         no times at all\n' +
        'table       3m2s               Normal   SuccessfulCreate   DaemonSet/web   Created pod: web-1\n' +
        'other       30s                Normal   NodeReady          Node/n1         Node n1 status is now: NodeReady\n' +
        'table       5s                 Normal   Started            Pod/web-1       Started container main\n' +
        'table       1s (x4 over 70s)   Normal   Unhealthy          Pod/web-1       Readiness probe failed\n',
    );
    expect(api.requestsTo('/api/v1/events')).toHaveLength(1);
  });

  it('--types is case-insensitive, comma-separated and repeatable; anything else is refused', async () => {
    const both = await cli(['events', '-n', 'table', '--types=warning', '--types', 'NORMAL', '--no-headers']);
    expect(both.stdout.split('\n')).toHaveLength(6);
    expect(await cli(['events', '-n', 'table', '--types', 'Warning,Bad'])).toEqual({ code: 1, stdout: '', stderr: 'error: valid --types are Normal or Warning\n' });
    // pflag's string slice keeps the space: " Normal" is no type.
    expect((await cli(['events', '--types', 'Warning, Normal'])).stderr).toBe('error: valid --types are Normal or Warning\n');
    // An empty value filters nothing.
    expect((await cli(['events', '-n', 'other', '--types', ''])).stdout).toContain('NodeReady');
  });

  it('says so on stderr, exit 0, when no event is left', async () => {
    expect(await cli(['events', '-n', 'quiet'])).toEqual({ code: 0, stdout: '', stderr: 'No events found in quiet namespace.\n' });
    expect(await cli(['events', '-n', 'other', '--types', 'Warning', '-o', 'json'])).toEqual({ code: 0, stdout: '', stderr: 'No events found in other namespace.\n' });
    const empty = await FakeApi.start(mkdtempSync(join(dir, 'empty-')));
    try {
      expect(await cli(['events', '-A'], { KUBECONFIG: empty.kubeconfigPath })).toEqual({ code: 0, stdout: '', stderr: 'No events found.\n' });
    } finally {
      await empty.close();
    }
  });

  it('ignores positional arguments, as kubectl does', async () => {
    expect((await cli(['events', '-n', 'other', 'pod/x', 'y'])).stdout).toContain('Node/n1');
  });
});

describe('everynode events --for', () => {
  const selectorOf = async (args: string[]): Promise<string | null | undefined> => {
    api.requests.length = 0;
    await cli(args);
    return api.requestsTo('/api/v1/namespaces/').find((r) => r.path.endsWith('/events'))?.query.get('fieldSelector');
  };

  it('asks for the events of the kind, version and name TYPE/NAME maps to', async () => {
    const ds = 'involvedObject.kind=DaemonSet,involvedObject.apiVersion=apps/v1,involvedObject.name=web';
    expect(await selectorOf(['events', '-n', 'table', '--for', 'ds/web'])).toBe(ds);
    expect(await selectorOf(['events', '-n', 'table', '--for', 'DaemonSet/web'])).toBe(ds);
    expect(await selectorOf(['events', '-n', 'table', '--for', 'daemonsets.apps/web'])).toBe(ds);
    expect(await selectorOf(['events', '-n', 'table', '--for', 'daemonset.v1.apps/web'])).toBe(ds);
    expect(await selectorOf(['events', '-n', 'table', '--for', 'pod/web-1'])).toBe('involvedObject.kind=Pod,involvedObject.apiVersion=v1,involvedObject.name=web-1');
    expect(await selectorOf(['events', '-n', 'table', '--for', 'no/n1'])).toBe('involvedObject.kind=Node,involvedObject.apiVersion=v1,involvedObject.name=n1');
    // An empty name filters nothing.
    expect(await selectorOf(['events', '-n', 'table', '--for', 'ds/'])).toBeNull();
  });

  it('prints the events the server answers, in the table', async () => {
    api.add(event('g', { reason: 'SuccessfulCreate', message: 'Created pod: web-2', count: 1, firstTimestamp: ago(12), lastTimestamp: ago(12), involvedObject: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', namespace: 'for' } }, 'for'));
    expect(await cli(['events', '-n', 'for', '--for', 'ds/web'])).toEqual({
      code: 0,
      stderr: '',
      stdout: 'LAST SEEN   TYPE     REASON             OBJECT          MESSAGE\n12s         Normal   SuccessfulCreate   DaemonSet/web   Created pod: web-2\n',
    });
  });

  it('refuses what kubectl refuses, an unknown type without the error: prefix', async () => {
    expect(await cli(['events', '--for', 'frob/x'])).toEqual({ code: 1, stdout: '', stderr: 'the server doesn\'t have a resource type "frob"\n' });
    expect((await cli(['events', '--for', 'Frob.Example.COM/x'])).stderr).toBe('the server doesn\'t have a resource type "frob" in group "example.com"\n');
    expect(await cli(['events', '--for', 'web'])).toEqual({ code: 1, stdout: '', stderr: 'error: --for must be in resource/name form\n' });
    expect((await cli(['events', '--for', 'ds/a/b'])).stderr).toBe('error: arguments in resource/name form may not have more than one slash\n');
    expect((await cli(['events', '--for', '/x'])).stderr).toBe('error: a resource must be present, got: /, Resource=\n');
    // --for is checked before -o and --types.
    expect((await cli(['events', '--for', 'frob/x', '-o', 'wide', '--types', 'Bad'])).stderr).toBe('the server doesn\'t have a resource type "frob"\n');
    expect(api.requests.filter((r) => r.path.endsWith('/events'))).toEqual([]);
  });
});

describe('everynode events -o', () => {
  const one = (): KubeObject =>
    ({
      metadata: { resourceVersion: '7', namespace: 'json', name: 'web.1', uid: 'u-1', creationTimestamp: '2026-01-02T03:04:00Z', managedFields: [{ manager: 'everynode', operation: 'Update' }] },
      kind: 'Event',
      apiVersion: 'v1',
      type: 'Normal',
      count: 1,
      reason: 'SuccessfulCreate',
      message: 'Created pod: web-<1> & more',
      involvedObject: { name: 'web', uid: 'd-1', kind: 'DaemonSet', namespace: 'json', apiVersion: 'apps/v1' },
      source: { component: 'daemonset-controller' },
      firstTimestamp: '2026-01-02T03:04:00Z',
      lastTimestamp: '2026-01-02T03:04:00.900Z',
      somethingNew: true,
    }) as unknown as KubeObject;

  beforeAll(() => {
    api.add(one());
  });

  it('json: an EventList with the typed Event as client-go encodes it', async () => {
    expect(await cli(['events', '-n', 'json', '-o', 'json'])).toEqual({
      code: 0,
      stderr: '',
      stdout: `{
    "kind": "EventList",
    "apiVersion": "v1",
    "metadata": {},
    "items": [
        {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": "web.1",
                "namespace": "json",
                "uid": "u-1",
                "resourceVersion": "7",
                "creationTimestamp": "2026-01-02T03:04:00Z"
            },
            "involvedObject": {
                "kind": "DaemonSet",
                "namespace": "json",
                "name": "web",
                "uid": "d-1",
                "apiVersion": "apps/v1"
            },
            "reason": "SuccessfulCreate",
            "message": "Created pod: web-\\u003c1\\u003e \\u0026 more",
            "source": {
                "component": "daemonset-controller"
            },
            "firstTimestamp": "2026-01-02T03:04:00Z",
            "lastTimestamp": "2026-01-02T03:04:00Z",
            "count": 1,
            "type": "Normal",
            "eventTime": null,
            "reportingComponent": "",
            "reportingInstance": ""
        }
    ]
}
`,
    });
  });

  it('yaml: the same list, keys sorted; managed fields only when asked', async () => {
    const y = await cli(['events', '-n', 'json', '-o', 'yaml']);
    expect(y.stdout).toBe(`apiVersion: v1
items:
- apiVersion: v1
  count: 1
  eventTime: null
  firstTimestamp: "2026-01-02T03:04:00Z"
  involvedObject:
    apiVersion: apps/v1
    kind: DaemonSet
    name: web
    namespace: json
    uid: d-1
  kind: Event
  lastTimestamp: "2026-01-02T03:04:00Z"
  message: 'Created pod: web-<1> & more'
  metadata:
    creationTimestamp: "2026-01-02T03:04:00Z"
    name: web.1
    namespace: json
    resourceVersion: "7"
    uid: u-1
  reason: SuccessfulCreate
  reportingComponent: ""
  reportingInstance: ""
  source:
    component: daemonset-controller
  type: Normal
kind: EventList
metadata: {}
`);
    expect((await cli(['events', '-n', 'json', '-o', 'yaml', '--show-managed-fields'])).stdout).toContain('    managedFields:\n    - manager: everynode\n      operation: Update\n');
  });

  it('name prints nothing for the list (kubectl\'s name printer refuses it); templates run on the list', async () => {
    expect(await cli(['events', '-n', 'json', '-o', 'name'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['events', '-n', 'json', '-o', 'jsonpath={.kind} {.items[0].involvedObject.kind}'])).stdout).toBe('EventList DaemonSet');
    expect((await cli(['events', '-n', 'json', '-o', 'jsonpath-as-json={.items[*].reason}'])).stdout).toBe('[\n    "SuccessfulCreate"\n]\n');
    expect((await cli(['events', '-n', 'json', '-o', 'go-template={{range .items}}{{.reason}}{{"\\n"}}{{end}}'])).stdout).toBe('SuccessfulCreate\n');
    // Tabs in template output are aligned by kubectl's tabwriter.
    expect((await cli(['events', '-n', 'table', '-o', 'jsonpath={range .items[*]}{.reason}{"\\t"}{.type}{"\\n"}{end}'])).stdout).toBe(
      'Odd                Normal\nSuccessfulCreate   Normal\nBackOff            Warning\nStarted            Normal\nUnhealthy          Normal\n',
    );
    // --template alone does not choose a format.
    expect((await cli(['events', '-n', 'json', '--template', '{{.kind}}'])).stdout).toMatch(/^LAST SEEN /);
  });

  it('a failing Go template prints kubectl\'s debugging text through the tabwriter, exit 0', async () => {
    const r = await cli(['events', '-n', 'json', '-o', 'go-template={{.items.x}}']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Error executing template: template: output:1:\d+: executing "output" at <\.items\.x>: .*\. Printing more information for debugging the template:$/);
    expect(lines.slice(1, 4)).toEqual(['      template was:', '            {{.items.x}}', '      raw data was:']);
    expect(lines[4]).toMatch(/^ {12}\{"kind":"EventList","apiVersion":"v1","metadata":\{\},"items":\[\{"kind":"Event","apiVersion":"v1","metadata":\{"name":"web\.1",/);
    expect(lines[5]).toBe('      object given to template engine was:');
    expect(lines[6]).toMatch(/^ {12}map\[apiVersion:v1 items:\[map\[apiVersion:v1 count:1 eventTime:<nil> /);
    expect(lines.slice(7)).toEqual(['', '']);
  });

  it('refuses formats and templates as kubectl, before any event is asked', async () => {
    const formats = 'go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml';
    expect(await cli(['events', '-o', 'wide'])).toEqual({ code: 1, stdout: '', stderr: `error: unable to match a printer suitable for the output format "wide", allowed formats are: ${formats}\n` });
    expect((await cli(['events', '-o', 'custom-columns=A:.x'])).stderr).toBe(`error: unable to match a printer suitable for the output format "custom-columns=A:.x", allowed formats are: ${formats}\n`);
    expect((await cli(['events', '-o', 'jsonpath'])).stderr).toBe('error: template format specified but no template given\n');
    expect((await cli(['events', '-o', 'jsonpath-file=/nonexistent/t'])).stderr).toBe('error: error reading --template /nonexistent/t, open /nonexistent/t: no such file or directory\n');
    expect((await cli(['events', '-o', 'go-template={{.items'])).stderr).toMatch(/^error: error parsing template \{\{\.items, template: output:1: /);
    // -o is checked before --types.
    expect((await cli(['events', '-o', 'wide', '--types', 'Bad'])).stderr).toMatch(/^error: unable to match a printer/);
    expect(api.requests.filter((r) => r.path.endsWith('/events'))).toEqual([]);
  });
});

describe('everynode events -w', () => {
  const w1 = event('w1', { reason: 'Started', message: 'one', count: 1, firstTimestamp: ago(5), lastTimestamp: ago(5), involvedObject: { kind: 'Pod', name: 'p1' } });
  const w1again = event('w1', { reason: 'Started', message: 'one', count: 2, firstTimestamp: ago(5), lastTimestamp: ago(1), involvedObject: { kind: 'Pod', name: 'p1' } });
  const w2 = event('w2', { type: 'Warning', reason: 'BackOffLonger', message: 'two', count: 1, firstTimestamp: ago(3), lastTimestamp: ago(3), involvedObject: { kind: 'Pod', name: 'p2' } });
  const stream = [
    { type: 'ADDED', object: w1 },
    { type: 'MODIFIED', object: w1again },
    { type: 'DELETED', object: w1again },
    { type: 'ADDED', object: w2 },
    { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', message: 'too old', code: 410 } },
  ];

  it('prints each event as it comes, widths remembered, deletions and errors skipped, exit 0 at the end', async () => {
    api.watchEvents = stream;
    expect(await cli(['events', '-w', '--for', 'pod/p1'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'LAST SEEN   TYPE     REASON    OBJECT   MESSAGE\n' +
        '5s          Normal   Started   Pod/p1   one\n' +
        '1s (x2 over 5s)   Normal   Started   Pod/p1   one\n' +
        '3s                Warning   BackOffLonger   Pod/p2   two\n',
    });
    // One watch (no list first), from no resourceVersion, with the --for selector.
    const reqs = api.requestsTo('/api/v1/namespaces/default/events');
    expect(reqs).toHaveLength(1);
    expect(Object.fromEntries(reqs[0]!.query)).toEqual({ watch: 'true', limit: '500', fieldSelector: 'involvedObject.kind=Pod,involvedObject.apiVersion=v1,involvedObject.name=p1' });
  });

  it('filters --types, prints the header with the first printed event, or nothing at all', async () => {
    api.watchEvents = stream;
    expect((await cli(['events', '-w', '--types', 'Warning', '-A'])).stdout).toBe('NAMESPACE   LAST SEEN   TYPE      REASON          OBJECT   MESSAGE\ndefault     3s          Warning   BackOffLonger   Pod/p2   two\n');
    api.watchEvents = [];
    expect(await cli(['events', '-w'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('prints each event alone with -o: yaml documents separated, names, json objects', async () => {
    api.watchEvents = stream;
    const y = (await cli(['events', '-w', '-o', 'yaml'])).stdout;
    expect(y.split('\n---\n')).toHaveLength(3);
    expect(y).toMatch(/^apiVersion: v1\ncount: 1\n/);
    expect((await cli(['events', '-w', '-o', 'name'])).stdout).toBe('event/w1\nevent/w1\nevent/w2\n');
    const j = (await cli(['events', '-w', '-o', 'json', '--types', 'Warning'])).stdout;
    expect(j).toMatch(/^\{\n {4}"kind": "Event",\n {4}"apiVersion": "v1",\n {4}"metadata": \{\n {8}"name": "w2",/);
  });
});

describe('events internals', () => {
  it('the tabwriter pads to the widest cell + 3 (at least 6), remembers widths, and breaks blocks at lines without tabs', () => {
    const w = new TabWriter();
    expect(w.flush('A\tBB\tlast\nlonger\tC\tx\n')).toBe('A        BB    last\nlonger   C     x\n');
    // Later flushes keep the widths (never narrower), widen when needed.
    expect(w.flush('a\tb\tc\n')).toBe('a        b     c\n');
    expect(w.flush('a\tmuch-wider-cell\tc\n')).toBe('a        much-wider-cell   c\n');
    // A line without a tab ends the column block (a message with a newline).
    expect(new TabWriter().flush('x\tone\nbreak\nlonger-cell\ttwo')).toBe('x     one\nbreak\nlonger-cell   two');
  });

  it('LAST SEEN and the typed shape of an event', () => {
    const at = (s: number): string => ago(s);
    expect(lastSeen(goEvent({ eventTime: agoMicro(3 * 3600 + 60) }), now)).toBe('3h1m');
    expect(lastSeen(goEvent({ count: 2, firstTimestamp: at(9 * 86400), lastTimestamp: at(-600) }), now)).toBe('<invalid> (x2 over 9d)');
    expect(lastSeen(goEvent({ series: { count: 2 } }), now)).toBe('<unknown> (x2 over <unknown>)');
    const e = goEvent({ eventTime: '2026-01-02T03:04:05.5+01:00', series: { count: 2, lastObservedTime: '2026-01-02T03:04:05Z' }, related: { kind: 'Node', name: 'n' }, metadata: { labels: { b: '1', a: '2' } } });
    expect(e['eventTime']).toBe('2026-01-02T02:04:05.500000Z');
    expect(e['series']).toEqual({ count: 2, lastObservedTime: '2026-01-02T03:04:05.000000Z' });
    expect(Object.keys(e)).toEqual(['kind', 'apiVersion', 'metadata', 'involvedObject', 'source', 'firstTimestamp', 'lastTimestamp', 'eventTime', 'series', 'related', 'reportingComponent', 'reportingInstance']);
    expect(Object.keys((e['metadata'] as Record<string, unknown>)['labels'] as object)).toEqual(['a', 'b']);
  });
});
