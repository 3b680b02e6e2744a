// Review findings checked beside kubectl 1.32, in-process against the fake API
// (testing/fake-api.ts): describe of pods (init containers' state, tolerations, Node-Selectors)
// and DaemonSets line for line as kubectl prints them (testing/describe-golden.json holds
// objects of a real cluster and kubectl 1.32's `describe` of each); the server's Warning
// headers; delete --grace-period/--force/--now/--dry-run; apply/create --dry-run=client;
// label --dry-run/--list; label/annotate's words (labeled, unlabeled, not labeled, annotated)
// and annotate's refusals; rollout history --revision (the describe-style pod template of the
// revision applied to the live DaemonSet), undo --dry-run and integer flags; rollout
// pause/resume refused per object; the explicit --kubeconfig that does not exist.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { tabwriterFormat, tolerationText } from './commands/describe.js';
import { dryRunStrategy, goParseInt } from './commands/common.js';
import { parseWarningHeaders } from './context.js';
import { buildProgram, normalizeArgs, runCli } from './index.js';
import { CliContext } from './commands/common.js';
import { FakeApi } from './testing/fake-api.js';
import { memoryIO } from './testing/memory-io.js';

const io = memoryIO;

let dir = '';
let api: FakeApi;
let env: Record<string, string>;
const savedTZ = process.env['TZ'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = io(env);
  const code = await runCli(args, t);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

const golden = JSON.parse(readFileSync(new URL('./testing/describe-golden.json', import.meta.url), 'utf8')) as { object: KubeObject; describe: string }[];

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'parity', labels: { app: 'parity' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] }, ...extra }) as KubeObject;

const dsUid = '5d5b8a1e-0000-4000-8000-000000000001';
const template = (image: string) => ({ metadata: { labels: { app: 'roll' } }, spec: { containers: [{ name: 'main', image, command: ['sh', '-c', 'sleep 1'] }], tolerations: [{ operator: 'Exists' }] } });
const rollDs = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'roll', namespace: 'parity', uid: dsUid, labels: { app: 'roll' } },
  spec: { selector: { matchLabels: { app: 'roll' } }, template: template('busybox:2') },
} as unknown as KubeObject;
const revision = (n: number, image: string) =>
  ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: `roll-${n}`, namespace: 'parity', labels: { app: 'roll', 'controller-revision-hash': `h${n}` }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'roll', uid: dsUid, controller: true }] },
    revision: n,
    data: { spec: { template: { $patch: 'replace', ...template(image) } } },
  }) as unknown as KubeObject;

// A DaemonSet with a revision whose data is a partial template (no `$patch: replace`), as an
// older or hand-made ControllerRevision: kubectl merges it into the live template.
const mergeUid = '5d5b8a1e-0000-4000-8000-000000000002';
const mergeDs = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'merge', namespace: 'parity', uid: mergeUid },
  spec: {
    selector: { matchLabels: { app: 'merge' } },
    template: {
      metadata: { labels: { app: 'merge' }, annotations: { note: 'live' } },
      spec: { containers: [{ name: 'main', image: 'busybox:live', args: ['sleep', '60'], ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] }], nodeSelector: { 'kubernetes.io/os': 'linux' } },
    },
  },
} as unknown as KubeObject;
const mergeRevision = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: { name: 'merge-1', namespace: 'parity', labels: { app: 'merge' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'merge', uid: mergeUid, controller: true }] },
  revision: 1,
  data: { spec: { template: { metadata: { labels: { old: 'yes' } }, spec: { containers: [{ name: 'main', image: 'busybox:old' }] } } } },
} as unknown as KubeObject;
const emptyDs = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'empty', namespace: 'parity', uid: '5d5b8a1e-0000-4000-8000-000000000003' },
  spec: { selector: { matchLabels: { app: 'empty' } }, template: template('busybox') },
} as unknown as KubeObject;

beforeAll(async () => {
  // The golden output was printed by kubectl on a machine in UTC.
  process.env['TZ'] = 'UTC';
  dir = mkdtempSync(join(tmpdir(), 'cli-parity-'));
  api = await FakeApi.start(dir);
  env = { KUBECONFIG: api.kubeconfigPath };
  api.add(...golden.map((g) => g.object));
  api.add(pod('victim-1'), pod('victim-2'), pod('victim-3'), pod('victim-4'), pod('labelled', { metadata: { name: 'labelled', namespace: 'parity', labels: { app: 'parity', tier: 'web' } } }));
  api.add(rollDs, revision(1, 'busybox'), revision(2, 'busybox:2'));
  api.add(mergeDs, mergeRevision, emptyDs);
  // The namespace exists: kubectl's builder asks for it when a name is not found there.
  api.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'parity' } } as KubeObject);
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
  if (savedTZ === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTZ;
});

describe('describe, as kubectl 1.32 prints it', () => {
  for (const g of golden) {
    const { kind, name, namespace } = { kind: g.object.kind!, name: g.object.metadata.name!, namespace: g.object.metadata.namespace! };
    it(`${kind} ${namespace}/${name}`, async () => {
      const r = await cli(['describe', kind === 'Pod' ? 'pod' : 'ds', '-n', namespace, name]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(g.describe);
    });
  }

  it('shows the failing init container of a pod in Init:CrashLoopBackOff', () => {
    const text = golden.find((g) => g.object.kind === 'Pod')!.describe;
    expect(text).toMatch(/\nInit Containers:\n {2}install-cni:\n(.*\n)*? {4}State: {10}Waiting\n {6}Reason: {7}CrashLoopBackOff\n {4}Last State: {5}Terminated\n {6}Reason: {7}Error\n {6}Exit Code: {4}2\n/);
    expect(text).toContain('\nNode-Selectors:               kubernetes.io/os=linux\nTolerations:                  op=Exists\n');
  });

  it('prints tolerations as kubectl: op=Exists alone, with a key or an effect, and for Ns', () => {
    expect(tolerationText({ operator: 'Exists' })).toBe('op=Exists');
    expect(tolerationText({ key: 'CriticalAddonsOnly', operator: 'Exists' })).toBe('CriticalAddonsOnly op=Exists');
    expect(tolerationText({ effect: 'NoSchedule', operator: 'Exists' })).toBe(':NoSchedule op=Exists');
    expect(tolerationText({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 })).toBe('node.kubernetes.io/not-ready:NoExecute op=Exists for 300s');
    expect(tolerationText({ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' })).toBe('foo=bar:NoSchedule');
  });

  it('a pod without tolerations or node selector says <none>, aligned with its block', async () => {
    const r = await cli(['describe', 'pod', '-n', 'parity', 'victim-1']);
    // One tab block from the container's lines down: the widest cell is `    Environment:`.
    expect(r.stdout).toContain('\n    Mounts:       <none>\nVolumes:          <none>\nQoS Class:        BestEffort\nNode-Selectors:   <none>\nTolerations:      <none>\nEvents:           <none>\n');
  });

  it('a LoadBalancer Service lists its ingress IPs with their ipMode, and hostnames, as kubectl', async () => {
    api.add({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'parity' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }], clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'] },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.10', ipMode: 'VIP' }, { hostname: 'lb.example.com' }, { ip: '198.51.100.7' }] } },
    } as unknown as KubeObject);
    const r = await cli(['describe', 'svc', '-n', 'parity', 'lb']);
    expect(r.stdout).toMatch(/^LoadBalancer Ingress: +203\.0\.113\.10 \(VIP\), lb\.example\.com, 198\.51\.100\.7$/m);
  });

  it('aligns cells as Go\'s text/tabwriter: per block of consecutive lines with that column', () => {
    expect(tabwriterFormat('a:\tx\nlonger:\ty\nbreak\nb:\tz\n')).toBe('a:       x\nlonger:  y\nbreak\nb:  z\n');
    expect(tabwriterFormat('  Type\tStatus\n  Ready \tTrue \n')).toBe('  Type    Status\n  Ready   True \n');
    expect(tabwriterFormat('k:\t\n\tv\n')).toBe('k:  \n    v\n');
  });
});

describe('server warnings', () => {
  it('prints each Warning header as kubectl does, once per text for the whole command', async () => {
    api.warnings = ['spec.template.metadata.annotations[x]: deprecated', 'second "quoted", with a comma'];
    try {
      const r = await cli(['get', 'pods', '-n', 'parity', '-o', 'name']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('Warning: spec.template.metadata.annotations[x]: deprecated\nWarning: second "quoted", with a comma\n');
    } finally {
      api.warnings = [];
    }
  });

  it('parses RFC 7234 warning values (several per header, dates, escapes)', () => {
    expect(parseWarningHeaders('299 - "a, b", 299 kube-apiserver "c \\"d\\"" "Mon, 01 Jan 2024 00:00:00 GMT",199 - "e"')).toEqual([
      { code: 299, agent: '-', text: 'a, b' },
      { code: 299, agent: 'kube-apiserver', text: 'c "d"' },
      { code: 199, agent: '-', text: 'e' },
    ]);
    expect(parseWarningHeaders(['299 - "x"', '299 - "y"']).map((w) => w.text)).toEqual(['x', 'y']);
    expect(parseWarningHeaders('garbage')).toEqual([]);
  });
});

describe('delete: --grace-period, --force, --now, --dry-run', () => {
  const deletes = () => api.requests.filter((q) => q.method === 'DELETE');

  it('--force deletes at once with kubectl\'s warning; --now is a grace period of 1; 0 without --force is 1', async () => {
    api.requests.length = 0;
    expect(await cli(['delete', 'pod', '-n', 'parity', 'victim-1', '--force', '--wait=false'])).toEqual({
      code: 0,
      stdout: 'pod "victim-1" force deleted\n',
      stderr: 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    });
    expect(JSON.parse(deletes()[0]!.body!)).toEqual({ propagationPolicy: 'Background', gracePeriodSeconds: 0 });
    api.requests.length = 0;
    expect(await cli(['delete', 'pod', '-n', 'parity', 'victim-2', '--now', '--wait=false'])).toEqual({ code: 0, stdout: 'pod "victim-2" deleted\n', stderr: '' });
    expect(JSON.parse(deletes()[0]!.body!)).toMatchObject({ gracePeriodSeconds: 1 });
    api.requests.length = 0;
    expect((await cli(['delete', 'pod', '-n', 'parity', 'victim-3', '--grace-period=0', '--wait=false'])).stdout).toBe('pod "victim-3" deleted\n');
    expect(JSON.parse(deletes()[0]!.body!)).toMatchObject({ gracePeriodSeconds: 1 });
  });

  it('refuses the combinations kubectl refuses, and a grace period that is no integer', async () => {
    expect(await cli(['delete', 'pod', 'x', '--now', '--grace-period=3'])).toEqual({ code: 1, stdout: '', stderr: 'error: --now and --grace-period cannot be specified together\n' });
    expect(await cli(['delete', 'pod', 'x', '--force', '--grace-period=3'])).toEqual({ code: 1, stdout: '', stderr: 'error: --force and --grace-period greater than 0 cannot be specified together\n' });
    expect(await cli(['delete', 'pod', 'x', '--grace-period=abc'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: invalid argument "abc" for "--grace-period" flag: strconv.ParseInt: parsing "abc": invalid syntax\nSee \'everynode delete --help\' for usage.\n',
    });
    expect(await cli(['delete', 'pod', 'x', '--dry-run=maybe'])).toEqual({ code: 1, stdout: '', stderr: 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n' });
    expect(await cli(['delete', 'pod', 'x', '-o', 'yaml'])).toEqual({ code: 1, stdout: '', stderr: "error: unexpected -o output mode: yaml. We only support '-o name'\n" });
  });

  it('--dry-run=client sends nothing; --dry-run=server sends dryRun [All]; a bare --dry-run is client', async () => {
    api.requests.length = 0;
    expect(await cli(['delete', 'pod', '-n', 'parity', 'victim-4', '--dry-run=client'])).toEqual({ code: 0, stdout: 'pod "victim-4" deleted (dry run)\n', stderr: '' });
    expect(await cli(['delete', 'pod', '-n', 'parity', 'victim-4', 'labelled', '--dry-run'])).toEqual({ code: 0, stdout: 'pod "victim-4" deleted (dry run)\npod "labelled" deleted (dry run)\n', stderr: '' });
    expect(deletes()).toEqual([]);
    expect(await cli(['delete', 'pod', '-n', 'parity', 'victim-4', '--dry-run=server'])).toEqual({ code: 0, stdout: 'pod "victim-4" deleted (server dry run)\n', stderr: '' });
    expect(JSON.parse(deletes()[0]!.body!)).toEqual({ propagationPolicy: 'Background', dryRun: ['All'] });
    expect((await cli(['get', 'pod', '-n', 'parity', 'victim-4', '-o', 'name'])).stdout).toBe('pod/victim-4\n');
    expect((await cli(['delete', 'pod', '-n', 'parity', 'victim-4', '--force', '--dry-run=server', '-o', 'name'])).stdout).toBe('pod/victim-4\n');
  });

  it('says "No resources found" on stdout when a selector finds nothing; --help has no double default', async () => {
    expect(await cli(['delete', 'pods', '-n', 'parity', '-l', 'app=none'])).toEqual({ code: 0, stdout: 'No resources found\n', stderr: '' });
    const h = await cli(['delete', '--help']);
    expect(h.stdout).toMatch(/--wait +wait until the objects are gone \(default: true\)\n/);
    expect(h.stdout).not.toContain('(default) (default');
    expect(h.stdout).not.toContain('preset');
  });
});

describe('apply / create --dry-run=client', () => {
  it('prints what would happen and sends no write', async () => {
    const f = join(dir, 'dry.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: labelled\n  namespace: parity\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: brand-new\n  namespace: parity\n');
    api.requests.length = 0;
    expect(await cli(['apply', '-f', f, '--dry-run=client'])).toEqual({ code: 0, stdout: 'pod/labelled configured (dry run)\npod/brand-new created (dry run)\n', stderr: '' });
    expect(await cli(['create', '-f', f, '--dry-run'])).toEqual({ code: 0, stdout: 'pod/labelled created (dry run)\npod/brand-new created (dry run)\n', stderr: '' });
    expect(api.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect((await cli(['apply', '-f', f, '--dry-run=bogus'])).stderr).toBe('error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n');
  });
});

describe('create configmap|secret --append-hash', () => {
  it('appends the hash kubectl 1.32 computes (names checked beside it)', async () => {
    const name = async (...args: string[]) => (await cli(['create', ...args, '--append-hash', '--dry-run=client', '-o', 'name'])).stdout;
    expect(await name('cm', 'hashy', '--from-literal=a=b')).toBe('configmap/hashy-7fg75g9kbg\n');
    expect(await name('cm', 'e')).toBe('configmap/e-gmbcf66h4d\n');
    // Go's JSON escapes <, > and & before hashing.
    expect(await name('cm', 'x', '--from-literal=k=<a&b>')).toBe('configmap/x-6f762ggct2\n');
    expect(await name('secret', 'generic', 'e')).toBe('secret/e-kkck6cfc9g\n');
    expect(await name('secret', 'generic', 'hs', '--from-literal=a=b')).toBe('secret/hs-mkt7kghdc5\n');
    expect(await name('secret', 'generic', 't', '--type=foo', '--from-literal=a=b')).toBe('secret/t-m8b4hf4ktk\n');
    expect(await name('secret', 'docker-registry', 'd', '--docker-username=u', '--docker-password=p')).toBe('secret/d-k85gk65kdh\n');
    expect((await cli(['create', 'ns', 'n', '--append-hash'])).stderr).toBe('error: unknown flag: --append-hash (not a flag of create ns)\n');
  });
});

describe('label --dry-run and --list', () => {
  it('--dry-run=client prints "(dry run)" without a patch; server sends dryRun=All', async () => {
    api.requests.length = 0;
    expect(await cli(['label', 'pod', '-n', 'parity', 'labelled', 'env=prod', '--dry-run'])).toEqual({ code: 0, stdout: 'pod/labelled labeled (dry run)\n', stderr: '' });
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    expect(await cli(['label', 'pod', '-n', 'parity', 'labelled', 'env=prod', '--dry-run=server'])).toEqual({ code: 0, stdout: 'pod/labelled labeled (server dry run)\n', stderr: '' });
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.query.get('dryRun'))).toEqual(['All']);
    expect(await cli(['label', 'pod', '-n', 'parity', 'labelled', 'gone-'])).toEqual({ code: 0, stdout: 'label "gone" not found.\npod/labelled not labeled\n', stderr: '' });
  });

  it('--list prints one object\'s labels, several under "Listing labels for", with the given changes', async () => {
    expect(await cli(['label', 'pod', '-n', 'parity', 'labelled', '--list'])).toEqual({ code: 0, stdout: 'app=parity\ntier=web\n', stderr: '' });
    expect((await cli(['label', 'pod', '-n', 'parity', 'labelled', 'x=y', 'tier-', '--list'])).stdout).toBe('app=parity\nx=y\n');
    expect((await cli(['label', 'pods', '-n', 'parity', 'labelled', 'victim-4', '--list'])).stdout).toBe('Listing labels for Pod./labelled:\n app=parity\n tier=web\nListing labels for Pod./victim-4:\n app=parity\n');
    expect((await cli(['label', 'pods', '-n', 'parity', '-l', 'tier=web', '--list'])).stdout).toBe('Listing labels for Pod./labelled:\n app=parity\n tier=web\n');
    expect((await cli(['label', 'pods', '-n', 'parity', 'labelled', '-l', 'a=b', '--list'])).stderr).toBe('error: name cannot be provided when a selector is specified\n');
    expect((await cli(['label', 'pods', '-n', 'parity', 'labelled'])).stderr).toBe('error: at least one label update is required\n');
  });
});

describe('label / annotate: the word after each object, as kubectl 1.32', () => {
  const msgPod = (name: string, metadata: Record<string, unknown>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'msgs', ...metadata }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }) as KubeObject;
  const patches = () => api.requests.filter((q) => q.method === 'PATCH').map((q) => JSON.parse(q.body!) as unknown);

  it('label: labeled, not labeled, unlabeled, and what adding and removing at once says', async () => {
    api.add(msgPod('l1', { labels: { keep: 'k', long: 'aaaaaaaaaa' } }), msgPod('nolabels', {}));
    const label = async (...args: string[]) => (await cli(['label', 'pod', '-n', 'msgs', ...args])).stdout;
    expect(await label('l1', 'a=b')).toBe('pod/l1 labeled\n');
    expect(await label('l1', 'a=b')).toBe('pod/l1 not labeled\n');
    expect(await label('l1', 'a-')).toBe('pod/l1 unlabeled\n');
    expect(await label('l1', 'a-')).toBe('label "a" not found.\npod/l1 not labeled\n');
    // Removed and added together: `unlabeled` when the object got shorter, else `labeled`.
    expect(await label('l1', 'long-', 's=b')).toBe('pod/l1 unlabeled\n');
    expect(await label('l1', 's-', 'long=aaaaaaaaaa')).toBe('pod/l1 labeled\n');
    expect(await label('l1', 'long-', 'lang=aaaaaaaaaa')).toBe('pod/l1 labeled\n');
    // With --overwrite a removal says `labeled`.
    expect(await label('l1', 'lang-', '--overwrite')).toBe('pod/l1 labeled\n');
    expect(await label('l1', 'keep-', '--dry-run=client')).toBe('pod/l1 unlabeled (dry run)\n');
    expect(await label('l1', 'keep-', '--dry-run=server')).toBe('pod/l1 unlabeled (server dry run)\n');
    expect(await label('l1', 'zz-', '--dry-run=client')).toBe('pod/l1 not labeled (dry run)\n');
    // An object with no labels field: kubectl writes one, which it counts as a change.
    expect(await label('nolabels', 'zz-')).toBe('label "zz" not found.\npod/nolabels labeled\n');
    expect((await cli(['label', 'pods', 'l1', 'nolabels', '-n', 'msgs', 'keep-'])).stdout).toBe('pod/l1 unlabeled\nlabel "keep" not found.\npod/nolabels labeled\n');
  });

  it('annotate says annotated, whether or not anything changes; its refusals have annotate\'s wording', async () => {
    api.add(msgPod('a1', { annotations: { c: 'zz', e: 'yy' } }));
    api.requests.length = 0;
    const annotate = async (...args: string[]) => cli(['annotate', 'pod', 'a1', '-n', 'msgs', ...args]);
    expect(await annotate('a=b')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(await annotate('a=b')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(await annotate('a-')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(await annotate('a-')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(await annotate('zz-', '--dry-run=client')).toEqual({ code: 0, stdout: 'pod/a1 annotated (dry run)\n', stderr: '' });
    expect(patches()).toEqual([{ metadata: { annotations: { a: 'b' } } }, { metadata: { annotations: { a: null } } }]);
    expect(await annotate('c=q', 'e=r', 'f=s')).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: --overwrite is false but found the following declared annotation(s): 'c' already has a value (zz); 'e' already has a value (yy)\n",
    });
    expect(await annotate('c=q', 'c-', 'e=1', 'e-')).toEqual({ code: 1, stdout: '', stderr: 'error: can not both modify and remove the following annotation(s) in the same command: c, e\n' });
    // The change-cause annotation may be replaced without --overwrite.
    expect(await annotate('kubernetes.io/change-cause=one')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(await annotate('kubernetes.io/change-cause=two')).toEqual({ code: 0, stdout: 'pod/a1 annotated\n', stderr: '' });
    expect(patches().at(-1)).toEqual({ metadata: { annotations: { 'kubernetes.io/change-cause': 'two' } } });
  });
});

describe('rollout', () => {
  it('restart prints the DaemonSet with -o, and refuses a second restart within the same second (kubectl 1.32)', async () => {
    const restartDs = (name: string, annotations: Record<string, string>) =>
      ({ ...rollDs, metadata: { ...rollDs.metadata, name, uid: `${name}-uid` }, spec: { ...(rollDs as any).spec, template: { ...template('busybox:2'), metadata: { labels: { app: 'roll' }, annotations } } } }) as unknown as KubeObject;
    api.add(restartDs('again', {}));
    expect(await cli(['rollout', 'restart', 'ds/again', '-n', 'parity', '-o', 'jsonpath={.kind} {.metadata.name}'])).toEqual({ code: 0, stdout: 'DaemonSet again', stderr: '' });
    // The annotation has whole seconds; a restart in the second it names would change nothing.
    let refused: { code: number; stdout: string; stderr: string } | undefined;
    for (let attempt = 0; attempt < 3 && !refused; attempt++) {
      const stamp = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      api.add(restartDs(`twice-${attempt}`, { 'kubectl.kubernetes.io/restartedAt': stamp }));
      const r = await cli(['rollout', 'restart', `ds/twice-${attempt}`, '-n', 'parity']);
      if (r.code === 1) refused = { ...r, stderr: r.stderr.replace(`twice-${attempt}`, 'NAME') };
    }
    expect(refused).toEqual({ code: 1, stdout: '', stderr: 'error: failed to create patch for NAME: if restart has already been triggered within the past second, please wait before attempting to trigger another\n' });
  });

  it('history: a --revision that is no integer is kubectl\'s flag error; a negative one is refused', async () => {
    expect(await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=abc'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: invalid argument "abc" for "--revision" flag: strconv.ParseInt: parsing "abc": invalid syntax\nSee \'everynode rollout history --help\' for usage.\n',
    });
    expect((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=-1'])).stderr).toBe('error: revision must be a positive integer: -1\n');
    expect((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=7'])).stderr).toBe('error: unable to find the specified revision\n');
  });

  it('history --revision prints the revision\'s pod template as describe does, then a blank line (kubectl 1.32)', async () => {
    expect(await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision', '1'])).toEqual({
      code: 0,
      stdout: [
        'daemonset.apps/roll with revision #1',
        'Pod Template:',
        '  Labels:\tapp=roll',
        '  Containers:',
        '   main:',
        '    Image:\tbusybox',
        '    Port:\t<none>',
        '    Host Port:\t<none>',
        '    Command:',
        '      sh',
        '      -c',
        '      sleep 1',
        '    Environment:\t<none>',
        '    Mounts:\t<none>',
        '  Volumes:\t<none>',
        '  Node-Selectors:\t<none>',
        '  Tolerations:\top=Exists',
        '',
        '',
      ].join('\n'),
      stderr: '',
    });
    // The same printer as undo --dry-run=client: the same template text after the header.
    const undo = await cli(['rollout', 'undo', 'ds/roll', '-n', 'parity', '--to-revision=1', '--dry-run=client']);
    const hist = await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=1']);
    expect(undo.stdout.replace(/^daemonset\.apps\/roll will roll back to /, '').replace(/ \(dry run\)\n$/, '')).toBe(hist.stdout.replace(/^.*\n/, '').replace(/\n$/, ''));
  });

  it('history --revision applies the revision to the live DaemonSet (a partial template merges into it)', async () => {
    const expected = [
      'Pod Template:',
      '  Labels:\tapp=merge',
      '\told=yes',
      '  Annotations:\tnote: live',
      '  Containers:',
      '   main:',
      '    Image:\tbusybox:old',
      '    Port:\t80/TCP',
      '    Host Port:\t8080/TCP',
      '    Args:',
      '      sleep',
      '      60',
      '    Environment:\t<none>',
      '    Mounts:\t<none>',
      '  Volumes:\t<none>',
      '  Node-Selectors:\tkubernetes.io/os=linux',
      '  Tolerations:\t<none>',
      '',
    ].join('\n');
    expect(await cli(['rollout', 'history', 'ds/merge', '-n', 'parity', '--revision=1'])).toEqual({ code: 0, stdout: `daemonset.apps/merge with revision #1\n${expected}\n`, stderr: '' });
    expect(await cli(['rollout', 'undo', 'ds/merge', '-n', 'parity', '--to-revision=1', '--dry-run=client'])).toEqual({ code: 0, stdout: `daemonset.apps/merge will roll back to ${expected} (dry run)\n`, stderr: '' });
  });

  it('history lists revisions in kubectl 1.32\'s layout; -o prints the DaemonSet as of each revision', async () => {
    expect(await cli(['rollout', 'history', 'ds/roll', '-n', 'parity'])).toEqual({
      code: 0,
      stdout: 'daemonset.apps/roll \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n',
      stderr: '',
    });
    expect((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '-o', 'name'])).stdout).toBe('daemonset.apps/roll\ndaemonset.apps/roll\n');
    expect((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '-o', 'jsonpath={.spec.template.spec.containers[0].image};'])).stdout).toBe('busybox;busybox:2;');
    const yaml = (await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '-o', 'yaml'])).stdout;
    expect(yaml.split('\n---\n').map((d) => /image: (\S+)/.exec(d)?.[1])).toEqual(['busybox', 'busybox:2']);
    expect(yaml).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\n/);
    const one = JSON.parse((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=1', '-o', 'json'])).stdout) as { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: { image: string }[] } } } };
    expect([one.kind, one.metadata.name, one.spec.template.spec.containers[0]!.image]).toEqual(['DaemonSet', 'roll', 'busybox']);
    expect(await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '--revision=7', '-o', 'yaml'])).toMatchObject({ code: 1, stderr: 'error: unable to find the specified revision\n' });
    expect((await cli(['rollout', 'history', 'ds/roll', '-n', 'parity', '-o', 'wide'])).stderr).toBe(
      'error: unable to match a printer suitable for the output format "wide", allowed formats are: json,jsonpath,jsonpath-as-json,name,yaml\n',
    );
  });

  it('history --revision of a DaemonSet without history says so (exit 0), as kubectl', async () => {
    expect(await cli(['rollout', 'history', 'ds/empty', '-n', 'parity', '--revision=3'])).toEqual({ code: 0, stdout: 'daemonset.apps/empty with revision #3\nNo rollout history found.\n', stderr: '' });
  });

  it('pause / resume: each object is read, then refused as kubectl refuses it (exit 1)', async () => {
    api.requests.length = 0;
    expect(await cli(['rollout', 'pause', 'ds/roll', '-n', 'parity'])).toEqual({ code: 1, stdout: '', stderr: 'error: daemonsets.apps "roll" pausing is not supported\n' });
    expect(await cli(['rollout', 'resume', 'ds', 'roll', '-n', 'parity'])).toEqual({ code: 1, stdout: '', stderr: 'error: daemonsets.apps "roll" resuming is not supported\n' });
    expect(api.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(await cli(['rollout', 'pause', 'ds', 'roll', 'nope', '-n', 'parity'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): daemonsets.apps "nope" not found\nerror: daemonsets.apps "roll" pausing is not supported\n',
    });
    expect(await cli(['rollout', 'resume', 'pod/labelled', '-n', 'parity'])).toEqual({ code: 1, stdout: '', stderr: 'error: pods "labelled" resuming is not supported\n' });
    expect(await cli(['rollout', 'pause'])).toEqual({ code: 1, stdout: '', stderr: 'error: required resource not specified\n' });
  });

  it('undo --dry-run=client prints the template it would restore; server sends the patch with dryRun=All', async () => {
    api.requests.length = 0;
    const c = await cli(['rollout', 'undo', 'ds/roll', '-n', 'parity', '--dry-run=client']);
    expect(c.stdout).toMatch(/^daemonset\.apps\/roll will roll back to Pod Template:\n {2}Labels:\tapp=roll\n[\s\S]*\n {4}Image:\tbusybox\n[\s\S]*\n {2}Tolerations:\top=Exists\n \(dry run\)\n$/);
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    expect(await cli(['rollout', 'undo', 'ds/roll', '-n', 'parity', '--dry-run=server'])).toEqual({ code: 0, stdout: 'daemonset.apps/roll rolled back (server dry run)\n', stderr: '' });
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.query.get('dryRun'))).toEqual(['All']);
    expect(await cli(['rollout', 'undo', 'ds/roll', '-n', 'parity', '--to-revision=2', '--dry-run=server'])).toEqual({
      code: 0,
      stdout: 'daemonset.apps/roll skipped rollback (current template already matches revision 2) (server dry run)\n',
      stderr: '',
    });
    expect((await cli(['rollout', 'undo', 'ds/roll', '--to-revision=x'])).stderr).toBe('error: invalid argument "x" for "--to-revision" flag: strconv.ParseInt: parsing "x": invalid syntax\nSee \'everynode rollout undo --help\' for usage.\n');
  });
});

describe('get -o go-template', () => {
  it('runs the template on the object, or on a List of several; -file and --template forms', async () => {
    expect(await cli(['get', 'pod', '-n', 'parity', 'labelled', '-o', 'go-template={{.metadata.name}} {{.metadata.labels.tier}} {{.metadata.nope}}'])).toEqual({ code: 0, stdout: 'labelled web <no value>', stderr: '' });
    expect((await cli(['get', 'pods', '-n', 'parity', '-l', 'app=parity', '-o', 'go-template={{.kind}}:{{range .items}} {{.metadata.name}}{{end}}'])).stdout).toBe('List: victim-4 labelled');
    const f = join(dir, 'tpl.txt');
    writeFileSync(f, '{{.kind}}/{{.metadata.name}}\n');
    expect((await cli(['get', 'pod', '-n', 'parity', 'labelled', '-o', `go-template-file=${f}`])).stdout).toBe('Pod/labelled\n');
    expect((await cli(['get', 'pod', '-n', 'parity', 'labelled', '--template', '{{.kind}}'])).stdout).toBe('Pod');
    expect((await cli(['get', 'pod', '-n', 'parity', 'labelled', '-o', 'template'])).stderr).toBe('error: template format specified but no template given\n');
    expect((await cli(['get', 'pod', 'x', '-o', 'templatefile=/nonexistent'])).stderr).toBe('error: error reading --template /nonexistent, open /nonexistent: no such file or directory\n');
    expect((await cli(['get', 'pod', 'x', '-o', 'go-template={{foo}}'])).stderr).toBe('error: error parsing template {{foo}}, template: output:1: function "foo" not defined\n');
  });

  it('a failing template prints what it wrote and kubectl\'s debugging block, then the error', async () => {
    const r = await cli(['get', 'pod', '-n', 'parity', 'labelled', '-o', 'go-template={{.metadata.name}}|{{.metadata.name.x}}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^labelled\|Error executing template: template: output:1:30: executing "output" at <\.metadata\.name\.x>: can't evaluate field x in type interface \{\}\. Printing more information for debugging the template:\n\ttemplate was:\n\t\t\{\{\.metadata\.name\}\}\|\{\{\.metadata\.name\.x\}\}\n\traw data was:\n\t\t\{"apiVersion":"v1","kind":"Pod","metadata":\{"labels":\{"app":"parity","tier":"web"\},"name":"labelled","namespace":"parity"\},"spec":.*\n\tobject given to template engine was:\n\t\tmap\[apiVersion:v1 kind:Pod metadata:map\[labels:map\[app:parity tier:web\] name:labelled namespace:parity\] spec:.*\]\n\n$/);
    expect(r.stderr).toBe('error: error executing template "{{.metadata.name}}|{{.metadata.name.x}}": template: output:1:30: executing "output" at <.metadata.name.x>: can\'t evaluate field x in type interface {}\n');
  });
});

describe('get -f and describe -f', () => {
  it('get the objects a manifest names, each in its own namespace (else -n), consecutive kinds in one table; a contradicting -n is said after the rest', async () => {
    api.add(pod('getf-1'), pod('getf-2'));
    const f = join(dir, 'named.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: getf-1\n  namespace: parity\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: getf-2\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: roll\n  namespace: parity\n');
    expect(await cli(['get', '-f', f, '-n', 'parity', '-o', 'name'])).toEqual({ code: 0, stdout: 'pod/getf-1\npod/getf-2\ndaemonset.apps/roll\n', stderr: '' });
    const table = await cli(['get', '-f', f, '-n', 'parity']);
    expect(table.code).toBe(0);
    // (The fake API's Tables have its own columns.)
    expect(table.stdout).toMatch(/^NAME .*\npod\/getf-1 .*\npod\/getf-2 .*\n\nNAME .*\ndaemonset\.apps\/roll .*\n$/);
    // Without -n the object without a namespace is looked for in the context's.
    const elsewhere = await cli(['get', '-f', f, '-o', 'name']);
    expect(elsewhere).toMatchObject({ code: 1, stdout: 'pod/getf-1\ndaemonset.apps/roll\n', stderr: 'Error from server (NotFound): pods "getf-2" not found\n' });
    const clash = await cli(['get', '-f', f, '-n', 'other', '-o', 'name']);
    expect(clash.code).toBe(1);
    // Said after the output, in the order of the file; the pod without a namespace was looked
    // for in -n's, which does not exist, and is said so (kubectl's builder).
    const mismatch = `error: the namespace from the provided object "parity" does not match the namespace "other". You must pass '--namespace=parity' to perform this operation.\n`;
    expect(clash.stderr).toBe(`${mismatch}${mismatch}Error from server (NotFound): namespaces "other" not found\n`);
    expect(await cli(['get', 'pods', '-f', f])).toMatchObject({ code: 1, stderr: 'error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well\n' });
    const described = await cli(['describe', '-f', f, '-n', 'parity']);
    expect(described.code).toBe(0);
    expect(described.stdout.match(/^Name: +\S+$/gm)?.map((l) => l.replace(/ +/, ' '))).toEqual(['Name: getf-1', 'Name: getf-2', 'Name: roll']);
  });
});

describe('describe of RBAC objects and PodDisruptionBudgets, as kubectl 1.32 (checked beside it on a live server)', () => {
  it('ClusterRole: rules broken down, compacted per resource and name, sorted by verbs then groups; non-resource URLs alone', async () => {
    api.add(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'desc-role' }, rules: [{ apiGroups: ['', 'apps'], resources: ['pods', 'daemonsets'], verbs: ['get', 'list'], resourceNames: ['x'] }, { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, { nonResourceURLs: ['/healthz', '/livez'], verbs: ['get'] }] } as unknown as KubeObject,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'desc-binding', namespace: 'parity' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'desc-role' }, subjects: [{ kind: 'User', name: 'bob' }, { kind: 'ServiceAccount', name: 'default', namespace: 'parity' }] } as unknown as KubeObject,
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'desc-pdb', namespace: 'parity' }, spec: { maxUnavailable: '10%', selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 } } as unknown as KubeObject,
    );
    const role = await cli(['describe', 'clusterrole', 'desc-role']);
    expect(role.stdout).toBe(
      [
        'Name:         desc-role',
        'Labels:       <none>',
        'Annotations:  <none>',
        'PolicyRule:',
        '  Resources        Non-Resource URLs  Resource Names  Verbs',
        '  ---------        -----------------  --------------  -----',
        '  daemonsets       []                 [x]             [get list]',
        '  pods             []                 [x]             [get list]',
        '  daemonsets.apps  []                 [x]             [get list]',
        '  pods.apps        []                 [x]             [get list]',
        '                   [/healthz]         []              [get]',
        '                   [/livez]           []              [get]',
        '  pods/log         []                 []              [get]',
        '',
      ].join('\n'),
    );
    const binding = await cli(['describe', 'rolebinding', 'desc-binding', '-n', 'parity']);
    expect(binding.stdout).toBe(['Name:         desc-binding', 'Labels:       <none>', 'Annotations:  <none>', 'Role:', '  Kind:  ClusterRole', '  Name:  desc-role', 'Subjects:', '  Kind            Name     Namespace', '  ----            ----     ---------', '  User            bob      ', '  ServiceAccount  default  parity', ''].join('\n'));
    const pdb = await cli(['describe', 'pdb', 'desc-pdb', '-n', 'parity']);
    expect(pdb.stdout).toBe(['Name:             desc-pdb', 'Namespace:        parity', 'Max unavailable:  10%', 'Selector:         app=x', 'Status:', '    Allowed disruptions:  1', '    Current:              3', '    Desired:              2', '    Total:                3', 'Events:                   <none>', ''].join('\n'));
  });
});

describe('describe of kinds without a layout of their own (kubectl\'s generic describer)', () => {
  it('prints every field by its humanized name, sorted, maps and lists a level deeper, Go\'s values (checked beside kubectl 1.32)', async () => {
    const data = JSON.parse(
      '{"replicas":3,"ratio":0.5,"big":1234567.5,"tiny":0.00001,"enabled":true,"nothing":null,"some-thing":"x","URLPath":"/a","apiVersionX":"y","ipv4Addr":"1.2.3.4","items":["a",1,true],"nested":[{"name":"x","port":80},{"name":"y"}],"empty":{},"emptyList":[],"deep":{"a":{"b":{"c":"d"}}},"GUIDValue":"g","osbThing":"o","HTTPServerURL":"h"}',
    ) as unknown;
    api.add({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'generic-desc', namespace: 'default', labels: { a: 'b' }, creationTimestamp: '2026-12-04T12:16:25Z', resourceVersion: '629', uid: '9b63ca3e-941e-4129-b981-eaec81f8986f', managedFields: [{ manager: 'kubectl', operation: 'Update' }] },
      revision: 7,
      data,
    } as unknown as KubeObject);
    const r = await cli(['describe', 'controllerrevision', 'generic-desc']);
    expect(r.stdout).toBe(
      [
        'Name:         generic-desc',
        'Namespace:    default',
        'Labels:       a=b',
        'Annotations:  <none>',
        'API Version:  apps/v1',
        'Data:',
        '  GUID Value:       g',
        '  HTTP Server URL:  h',
        '  URL Path:         /a',
        '  API Version X:    y',
        '  Big:              1.2345675e+06',
        '  Deep:',
        '    A:',
        '      B:',
        '        C:  d',
        '  Empty:',
        '  Empty List:',
        '  Enabled:   true',
        '  ipv4Addr:  1.2.3.4',
        '  Items:',
        '    a',
        '    1',
        '    true',
        '  Nested:',
        '    Name:        x',
        '    Port:        80',
        '    Name:        y',
        '  Nothing:       <nil>',
        '  OSB Thing:     o',
        '  Ratio:         0.5',
        '  Replicas:      3',
        '  Some - Thing:  x',
        '  Tiny:          1e-05',
        'Kind:            ControllerRevision',
        'Metadata:',
        '  Creation Timestamp:  2026-12-04T12:16:25Z',
        '  Resource Version:    629',
        '  UID:                 9b63ca3e-941e-4129-b981-eaec81f8986f',
        'Revision:              7',
        'Events:                <none>',
        '',
      ].join('\n'),
    );
  });
});

describe('flags and messages', () => {
  it('reads --dry-run as pflag does (a bare one never takes the next argument)', () => {
    const program = buildProgram(new CliContext(io({})));
    expect(normalizeArgs(['delete', 'pod', 'x', '--dry-run', 'y'], program)).toEqual(['delete', 'pod', 'x', '--dry-run=unchanged', 'y']);
    expect(normalizeArgs(['delete', 'pod', 'x', '--cascade', 'orphan', '--dry-run=server'], program)).toEqual(['delete', 'pod', 'x', '--cascade', 'orphan', '--dry-run=server']);
    expect(dryRunStrategy(undefined)).toBe('none');
    expect(dryRunStrategy('unchanged')).toBe('client');
    expect(dryRunStrategy('true')).toBe('client');
    expect(dryRunStrategy('false')).toBe('none');
    expect(dryRunStrategy('server')).toBe('server');
  });

  it('reads integers as Go\'s strconv.ParseInt', () => {
    expect(goParseInt('12')).toBe(12);
    expect(goParseInt('-3')).toBe(-3);
    expect(goParseInt('0x10')).toBe(16);
    expect(goParseInt('010')).toBe(8);
    expect(() => goParseInt('1.5')).toThrow('strconv.ParseInt: parsing "1.5": invalid syntax');
    expect(() => goParseInt('99999999999999999999')).toThrow('value out of range');
  });

  it('an explicit --kubeconfig that does not exist reads as kubectl\'s stat error', async () => {
    expect(await cli(['--kubeconfig', '/nonexistent', 'get', 'pods'])).toEqual({ code: 1, stdout: '', stderr: 'error: stat /nonexistent: no such file or directory\n' });
    expect(await cli(['get', 'pods', '--kubeconfig=missing.yaml'])).toEqual({ code: 1, stdout: '', stderr: 'error: stat missing.yaml: no such file or directory\n' });
  });
});
