// The real kubectl against the built `everynode server` binary and the kubeconfig it writes.
// Runs wherever `kubectl` is on PATH; skipped (with the reason printed) where it is not.
//
// Each test uses its own namespace-free names so the tests of this file can share one server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dsManifest } from '../../src/cli/testing/run-binary.js';
import { kubectlAvailable, runKubectl, versionedKubectl, type KubectlRun } from '../helpers/kubectl.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'dist/src/cmd/everynode.js');
const manifests = resolve(root, '../shared/manifests/real-world');

const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('kubectl e2e tests skipped: no `kubectl` on PATH');

let dir = '';
let server: ChildProcess | undefined;
let kubeconfig = '';
let cacheDir = '';

function kubectl(args: string[], input?: string, timeoutMs = 60_000): Promise<KubectlRun> {
  return kubectlWith(kubeconfig, args, input, timeoutMs);
}

function kubectlWith(config: string, args: string[], input?: string, timeoutMs = 60_000): Promise<KubectlRun> {
  return runKubectl({ kubeconfig: config, cacheDir }, args, { input, timeoutMs });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The kubectl tests' DaemonSet: env A=1 (the field ownership tests apply it again without). */
const dsYaml = (name: string, image: string, extraLabels = ''): string => dsManifest(name, image, extraLabels, { A: '1' });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasKubectl)('kubectl against everynode server', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-kubectl-'));
    cacheDir = join(dir, 'kube-cache');
    server = spawn(process.execPath, [bin, 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    kubeconfig = await waitFor('server start line', async () => /kubeconfig: ([^)]+)\)/.exec(out)?.[1]);
    // The server answers on the address it printed.
    await waitFor('kubectl version', async () => ((await kubectl(['version'])).code === 0 ? true : undefined));
  });

  afterAll(() => {
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('talks HTTPS with the CA and admin token of the written kubeconfig; other users get upstream 401/403', async () => {
    const text = readFileSync(kubeconfig, 'utf8');
    expect(text).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
    expect(text).toContain('certificate-authority-data:');
    expect(text).not.toContain('insecure-skip-tls-verify');
    expect((statSync(kubeconfig).mode & 0o777).toString(8)).toBe('600');
    expect((await kubectl(['get', 'ns', 'default', '-o', 'name'])).stdout.trim()).toBe('namespace/default');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, text.replace(/token: \S+/, 'token: abcdef.0123456789abcdef0123456789abcdef'), { mode: 0o600 });
    const unauth = await kubectlWith(bad, ['get', 'pods']);
    expect(unauth.code).toBe(1);
    expect(unauth.stderr).toMatch(/the server has asked for the client to provide credentials|Unauthorized/);
    const { TokenStore } = await import('../../src/auth/index.js');
    const t = new TokenStore(join(dir, 'data')).create({ user: 'dave', groups: [], kind: 'user' }).token;
    const dave = join(dir, 'dave.yaml');
    writeFileSync(dave, text.replace(/token: \S+/, `token: ${t}`), { mode: 0o600 });
    const denied = await kubectlWith(dave, ['get', 'ds', '-n', 'kube-system']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Error from server (Forbidden): daemonsets.apps is forbidden: User "dave" cannot list resource "daemonsets" in API group "apps" in the namespace "kube-system"');
  });

  it('auth can-i, can-i --list, whoami and --as answer from the same RBAC that guards requests', async () => {
    const { TokenStore } = await import('../../src/auth/index.js');
    const t = new TokenStore(join(dir, 'data')).create({ user: 'erin', groups: ['readers'], kind: 'user' }).token;
    const erin = join(dir, 'erin.yaml');
    writeFileSync(erin, readFileSync(kubeconfig, 'utf8').replace(/token: \S+/, `token: ${t}`), { mode: 0o600 });
    await ok(['create', 'namespace', 'can-i']);
    await ok(['create', 'role', 'ds-reader', '-n', 'can-i', '--verb=get,list,watch', '--resource=daemonsets.apps']);
    await ok(['create', 'rolebinding', 'readers', '-n', 'can-i', '--role=ds-reader', '--group=readers']);

    // The admin may do anything; kubectl prints yes/no and exits 0/1.
    expect((await ok(['auth', 'can-i', 'delete', 'nodes'])).trim()).toBe('yes');
    const yes = await kubectlWith(erin, ['auth', 'can-i', 'list', 'daemonsets.apps', '-n', 'can-i']);
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const no = await kubectlWith(erin, ['auth', 'can-i', 'delete', 'daemonsets.apps', '-n', 'can-i']);
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const elsewhere = await kubectlWith(erin, ['auth', 'can-i', 'list', 'daemonsets.apps', '-n', 'default']);
    expect([elsewhere.code, elsewhere.stdout.trim()]).toEqual([1, 'no']);
    // What can-i says is what a request meets.
    expect((await kubectlWith(erin, ['get', 'ds', '-n', 'can-i'])).code).toBe(0);
    expect((await kubectlWith(erin, ['get', 'ds', '-n', 'default'])).stderr).toContain('Forbidden');
    // A non-resource URL: every authenticated user may read /version.
    expect((await kubectlWith(erin, ['auth', 'can-i', 'get', '/version'])).stdout.trim()).toBe('yes');

    const list = await kubectlWith(erin, ['auth', 'can-i', '--list', '-n', 'can-i']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^daemonsets\.apps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(list.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(list.stdout).not.toMatch(/^\*\.\*/m);

    const who = await kubectlWith(erin, ['auth', 'whoami']);
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/Username\s+erin/);
    expect(who.stdout).toMatch(/Groups\s+\[readers system:authenticated\]/);

    // --as: the admin checks what erin may do; requests run as the impersonated user.
    expect((await ok(['auth', 'can-i', 'list', 'daemonsets.apps', '-n', 'can-i', '--as=erin', '--as-group=readers'])).trim()).toBe('yes');
    const alone = await kubectl(['auth', 'can-i', 'list', 'daemonsets.apps', '-n', 'can-i', '--as=erin']);
    expect([alone.code, alone.stdout.trim()]).toEqual([1, 'no']);
    const asErin = await kubectl(['get', 'ds', '-n', 'default', '--as=erin', '--as-group=readers']);
    expect(asErin.stderr).toContain('User "erin" cannot list resource "daemonsets" in API group "apps" in the namespace "default"');
    expect(await ok(['auth', 'whoami', '--as=system:serviceaccount:can-i:agent'])).toMatch(/Groups\s+\[system:serviceaccounts system:serviceaccounts:can-i system:authenticated\]/);
    // exec is the create of pods/exec: reading a pod does not allow it.
    await ok(['create', 'role', 'pod-reader', '-n', 'can-i', '--verb=get', '--resource=pods']);
    await ok(['create', 'rolebinding', 'pod-readers', '-n', 'can-i', '--role=pod-reader', '--user=erin']);
    await ok(['run', 'some-pod', '-n', 'can-i', '--image=busybox', '--', 'sleep', '60']);
    const exec = await kubectlWith(erin, ['exec', '-n', 'can-i', 'some-pod', '--', 'true']);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain('User "erin" cannot create resource "pods/exec" in API group "" in the namespace "can-i"');
    // kubectl create token (a protobuf TokenRequest): the token acts as the service account.
    await ok(['create', 'serviceaccount', 'robot', '-n', 'can-i']);
    await ok(['create', 'rolebinding', 'robot-reads', '-n', 'can-i', '--role=ds-reader', '--serviceaccount=can-i:robot']);
    const robotToken = (await ok(['create', 'token', 'robot', '-n', 'can-i', '--duration=15m'])).trim();
    expect(robotToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const robotList = await kubectl(['get', 'ds', '-n', 'can-i', '--token', robotToken]);
    expect([robotList.code, robotList.stderr.trim()]).toEqual([0, 'No resources found in can-i namespace.']);
    const robotDenied = await kubectl(['get', 'pods', '-n', 'can-i', '--token', robotToken]);
    expect(robotDenied.stderr).toContain('User "system:serviceaccount:can-i:robot" cannot list resource "pods"');
    // erin may not impersonate anyone.
    const escalate = await kubectlWith(erin, ['get', 'nodes', '--as=system:admin', '--as-group=system:masters']);
    expect(escalate.code).toBe(1);
    expect(escalate.stderr).toContain('users "system:admin" is forbidden: User "erin" cannot impersonate resource "users" in API group "" at the cluster scope');
  });

  it('version reports a 1.32 server', async () => {
    const out = await ok(['version']);
    expect(out).toMatch(/Server Version: v1\.32\.\d+/);
  });

  it('api-resources lists every served kind with short names', async () => {
    const out = await ok(['api-resources']);
    for (const [name, short] of [
      ['daemonsets', 'ds'],
      ['nodes', 'no'],
      ['pods', 'po'],
      ['namespaces', 'ns'],
      ['events', 'ev'],
      ['services', 'svc'],
      ['endpoints', 'ep'],
      ['networkpolicies', 'netpol'],
      ['storageclasses', 'sc'],
      ['ingresses', 'ing'],
      ['limitranges', 'limits'],
      ['resourcequotas', 'quota'],
    ] as const) {
      expect(out).toMatch(new RegExp(`^${name}\\s+${short}\\s`, 'm'));
    }
    for (const name of ['controllerrevisions', 'leases', 'roles', 'clusterrolebindings', 'priorityclasses', 'configmaps', 'secrets', 'serviceaccounts', 'ingressclasses', 'csinodes']) {
      expect(out).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
  });

  it('revalidates its cached discovery with the ETag: the documents it has come back as 304 Not Modified', async () => {
    const notModified = async (): Promise<number> => {
      const m = /^apiserver_request_total\{verb="GET",group="",version="",resource="",subresource="",scope="",component="apiserver",code="304"\} (\d+)$/m.exec(await ok(['get', '--raw', '/metrics']));
      return Number(m?.[1] ?? 0);
    };
    const before = await notModified();
    const fresh = join(dir, 'kube-cache-etag');
    for (let i = 0; i < 2; i++) {
      const r = await runKubectl({ kubeconfig, cacheDir: fresh }, ['api-resources']);
      expect(r.code, r.stderr).toBe(0);
    }
    // The second run asked for /api and /apis again with If-None-Match and got 304 for both.
    expect((await notModified()) - before).toBeGreaterThanOrEqual(2);
  });

  it('apply creates, re-apply configures, identical apply is unchanged; get shows upstream columns', async () => {
    const f = write('ds-a.yaml', dsYaml('web-a', 'busybox:1.36'));
    expect(await ok(['apply', '-f', f])).toContain('daemonset.apps/web-a created');
    write('ds-a.yaml', dsYaml('web-a', 'busybox:1.37'));
    expect(await ok(['apply', '-f', f])).toContain('daemonset.apps/web-a configured');
    expect(await ok(['apply', '-f', f])).toContain('daemonset.apps/web-a unchanged');
    const ds = JSON.parse(await ok(['get', 'ds', 'web-a', '-o', 'json']));
    expect(ds.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    expect(ds.metadata.generation).toBe(2);
    const table = await ok(['get', 'ds', 'web-a']);
    expect(table).toMatch(/NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE/);
    const wide = await ok(['get', 'ds', '-o', 'wide']);
    expect(wide).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide).toMatch(/web-a.*agent\s+busybox:1\.37\s+app=web-a/);
  });

  it('get supports -o yaml, -A, --show-labels, -l and --field-selector', async () => {
    await ok(['create', 'configmap', 'cm-sel-1', '--from-literal=a=1']);
    await ok(['label', 'configmap', 'cm-sel-1', 'tier=one']);
    await ok(['create', 'configmap', 'cm-sel-2', '--from-literal=a=2']);
    expect(await ok(['get', 'cm', 'cm-sel-1', '-o', 'yaml'])).toMatch(/name: cm-sel-1/);
    const all = await ok(['get', 'cm', '-A']);
    expect(all).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE/m);
    expect(all).toMatch(/default\s+cm-sel-1\s+1/);
    expect(await ok(['get', 'cm', '--show-labels'])).toMatch(/cm-sel-1\s+1\s+\S+\s+tier=one/);
    const byLabel = await ok(['get', 'cm', '-l', 'tier=one', '-o', 'name']);
    expect(byLabel.trim()).toBe('configmap/cm-sel-1');
    const byField = await ok(['get', 'cm', '--field-selector', 'metadata.name=cm-sel-2', '-o', 'name']);
    expect(byField.trim()).toBe('configmap/cm-sel-2');
    const bad = await kubectl(['get', 'cm', '-l', 'a in (']);
    expect(bad.code).not.toBe(0);
  });

  it('get -w prints a row for every change', async () => {
    await ok(['create', 'configmap', 'watched', '--from-literal=a=1']);
    const watch = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, 'get', 'cm', 'watched', '-w', '--output-watch-events'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('initial row', async () => (/watched/.test(out) ? true : undefined));
      await ok(['label', 'cm', 'watched', 'x=y']);
      await waitFor('MODIFIED row', async () => (/MODIFIED\s+watched/.test(out) ? true : undefined));
    } finally {
      if (watch.pid) process.kill(-watch.pid, 'SIGKILL');
    }
  });

  it('create, replace, and the three patch types', async () => {
    const f = write('ds-b.yaml', dsYaml('web-b', 'busybox:1.36'));
    expect(await ok(['create', '-f', f])).toContain('daemonset.apps/web-b created');
    const again = await kubectl(['create', '-f', f]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('AlreadyExists');
    write('ds-b.yaml', dsYaml('web-b', 'busybox:1.38'));
    expect(await ok(['replace', '-f', f])).toContain('daemonset.apps/web-b replaced');
    await ok(['patch', 'ds', 'web-b', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    await ok(['patch', 'ds', 'web-b', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"busybox:2"}]}}}}']);
    await ok(['patch', 'ds', 'web-b', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"}]']);
    const ds = JSON.parse(await ok(['get', 'ds', 'web-b', '-o', 'json']));
    expect(ds.metadata.labels).toMatchObject({ m: '1', j: '2' });
    // Strategic merge kept the container's other fields (merge by name).
    expect(ds.spec.template.spec.containers).toHaveLength(1);
    expect(ds.spec.template.spec.containers[0]).toMatchObject({ name: 'agent', image: 'busybox:2', command: ['sleep', '3600'] });
  });

  it('create deployment and create poddisruptionbudget (typed protobuf bodies) store what was asked', async () => {
    expect(await ok(['create', 'deployment', 'made', '--image=nginx:1', '--replicas=3', '--port=8080', '--', 'sh', '-c', 'sleep 1'])).toContain('deployment.apps/made created');
    const d = JSON.parse(await ok(['get', 'deployment', 'made', '-o', 'json']));
    expect(d.spec).toMatchObject({ replicas: 3, selector: { matchLabels: { app: 'made' } }, template: { metadata: { labels: { app: 'made' } } } });
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'nginx', image: 'nginx:1', command: ['sh', '-c', 'sleep 1'], ports: [{ containerPort: 8080, protocol: 'TCP' }] }),
    ]);
    expect(await ok(['create', 'pdb', 'made', '--selector=app=made', '--max-unavailable=25%'])).toContain('poddisruptionbudget.policy/made created');
    expect(JSON.parse(await ok(['get', 'pdb', 'made', '-o', 'json'])).spec).toEqual({ maxUnavailable: '25%', selector: { matchLabels: { app: 'made' } } });
    await ok(['delete', 'deployment/made', 'pdb/made']);
  });

  it('label, annotate, taint, cordon and uncordon a node', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
    expect(await ok(['label', 'node', 'n1', 'disk=ssd'])).toContain('node/n1 labeled');
    expect(await ok(['annotate', 'node', 'n1', 'note=hello'])).toContain('node/n1 annotated');
    expect(await ok(['taint', 'node', 'n1', 'k=v:NoSchedule'])).toContain('node/n1 tainted');
    expect(await ok(['taint', 'node', 'n1', 'k2=v2:NoExecute'])).toContain('node/n1 tainted');
    expect(await ok(['taint', 'node', 'n1', 'k:NoSchedule-'])).toContain('node/n1 untainted');
    let node = JSON.parse(await ok(['get', 'node', 'n1', '-o', 'json']));
    expect(node.spec.taints).toEqual([{ key: 'k2', value: 'v2', effect: 'NoExecute' }]);
    expect(await ok(['taint', 'node', 'n1', 'k2:NoExecute-'])).toContain('node/n1 untainted');
    expect(await ok(['cordon', 'n1'])).toContain('node/n1 cordoned');
    expect(await ok(['get', 'nodes'])).toMatch(/n1\s+\S*SchedulingDisabled/);
    expect(await ok(['uncordon', 'n1'])).toContain('node/n1 uncordoned');
    node = JSON.parse(await ok(['get', 'node', 'n1', '-o', 'json']));
    expect(node.metadata.labels.disk).toBe('ssd');
    expect(node.metadata.annotations.note).toBe('hello');
    expect(node.spec.taints ?? []).toEqual([]);
    expect(node.spec.unschedulable ?? false).toBe(false);
  });

  it('drain cordons a node and evicts its pods but the DaemonSet ones (protobuf Evictions)', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'dn1' } }));
    await ok(['apply', '-f', write('drain-ds.yaml', dsYaml('drain-ds', 'busybox:1'))]);
    await ok(['run', 'drain-bare', '--image=busybox', '--overrides', JSON.stringify({ spec: { nodeName: 'dn1' } }), '--command', '--', 'sleep', '3600']);
    const podsOnNode = async () => (await ok(['get', 'pods', '--field-selector', 'spec.nodeName=dn1', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean);
    await waitFor('the daemon pod on dn1', async () => ((await podsOnNode()).some((n) => n.startsWith('drain-ds-')) ? true : undefined));
    // Without an agent nothing would finish a graceful deletion, so the pods go at once (grace 0).
    const out = await ok(['drain', 'dn1', '--ignore-daemonsets', '--force', '--grace-period=0', '--timeout=30s']);
    expect(out).toContain('node/dn1 cordoned');
    expect(out).toContain('node/dn1 drained');
    expect(out).toContain('pod/drain-bare evicted');
    const left = await podsOnNode();
    expect(left).not.toContain('drain-bare');
    expect(left.filter((n) => n.startsWith('drain-ds-'))).toHaveLength(1);
    expect(await ok(['get', 'nodes', 'dn1'])).toMatch(/dn1\s+\S*SchedulingDisabled/);
    await ok(['delete', 'daemonset', 'drain-ds']);
  });

  it('drain respects a PodDisruptionBudget: it retries while the budget allows no disruption, and evicts once it does', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'dn2' } }));
    await ok(['run', 'guarded', '--image=busybox', '--labels=app=guarded', '--overrides', JSON.stringify({ spec: { nodeName: 'dn2' } }), '--command', '--', 'sleep', '3600']);
    // No agent runs here: the test plays the kubelet and reports the pod Running and Ready.
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await ok(['patch', 'pod', 'guarded', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } })]);
    await ok(['create', 'poddisruptionbudget', 'guarded', '--selector=app=guarded', '--min-available=1']);
    await waitFor('the budget computed', async () => ((await ok(['get', 'pdb', 'guarded', '-o', 'jsonpath={.status.observedGeneration}/{.status.currentHealthy}'])) === '1/1' ? true : undefined));
    expect(await ok(['get', 'pdb', 'guarded'])).toMatch(/guarded\s+1\s+N\/A\s+0\s/);

    const blocked = await kubectl(['drain', 'dn2', '--ignore-daemonsets', '--force', '--grace-period=0', '--timeout=3s']);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain(`error when evicting pods/"guarded" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
    expect(await ok(['get', 'pod', 'guarded', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).toBe('');

    await ok(['patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":0}}']);
    await waitFor('the budget allowing one', async () => ((await ok(['get', 'pdb', 'guarded', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1' ? true : undefined));
    const out = await ok(['drain', 'dn2', '--ignore-daemonsets', '--force', '--grace-period=0', '--timeout=30s']);
    expect(out).toContain('pod/guarded evicted');
    expect((await kubectl(['get', 'pod', 'guarded'])).code).not.toBe(0);
    await ok(['delete', 'pdb', 'guarded']);
  });

  it('delete: by name, by label, and each cascade mode is accepted', async () => {
    for (const n of ['del-1', 'del-2', 'del-3', 'del-4']) {
      await ok(['create', 'configmap', n, '--from-literal=a=1']);
    }
    await ok(['label', 'cm', 'del-3', 'del-4', 'gone=yes']);
    expect(await ok(['delete', 'cm', 'del-1'])).toContain('configmap "del-1" deleted');
    expect(await ok(['delete', 'cm', '-l', 'gone=yes'])).toMatch(/configmap "del-3" deleted[\s\S]*configmap "del-4" deleted/);
    expect(await ok(['delete', 'cm', 'del-2', '--cascade=orphan'])).toContain('deleted');
    const missing = await kubectl(['get', 'cm', 'del-2']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "del-2" not found');
    for (const mode of ['background', 'foreground']) {
      await ok(['create', 'configmap', `casc-${mode}`, '--from-literal=a=1']);
      expect(await ok(['delete', 'cm', `casc-${mode}`, `--cascade=${mode}`])).toContain('deleted');
    }
  });

  it('server-side apply, server dry runs, and describe (protobuf Accept answered with JSON)', async () => {
    const f = write('ds-ssa.yaml', dsYaml('web-ssa', 'busybox:1.36'));
    expect(await ok(['apply', '--server-side', '-f', f])).toContain('daemonset.apps/web-ssa serverside-applied');
    write('ds-ssa.yaml', dsYaml('web-ssa', 'busybox:1.37'));
    expect(await ok(['apply', '--server-side', '-f', f])).toContain('daemonset.apps/web-ssa serverside-applied');
    const ds = JSON.parse(await ok(['get', 'ds', 'web-ssa', '-o', 'json']));
    expect(ds.spec.template.spec.containers[0].image).toBe('busybox:1.37');

    // Server dry runs validate and answer, and store nothing.
    const dry = write('ds-dry.yaml', dsYaml('web-dry', 'busybox:1.36'));
    expect(await ok(['create', '--dry-run=server', '-f', dry])).toContain('daemonset.apps/web-dry created (server dry run)');
    expect((await kubectl(['get', 'ds', 'web-dry'])).code).toBe(1);
    await ok(['patch', 'ds', 'web-ssa', '--dry-run=server', '--type', 'merge', '-p', '{"metadata":{"labels":{"dry":"yes"}}}']);
    expect(JSON.parse(await ok(['get', 'ds', 'web-ssa', '-o', 'json'])).metadata.labels.dry).toBeUndefined();
    expect(await ok(['delete', 'ds', 'web-ssa', '--dry-run=server'])).toContain('(server dry run)');
    expect((await kubectl(['get', 'ds', 'web-ssa'])).code).toBe(0);

    // kubectl 1.32's typed clients offer protobuf first; the server answers JSON.
    const described = await ok(['describe', 'ds', 'web-ssa']);
    expect(described).toMatch(/^Name:\s+web-ssa/m);
    expect(described).toMatch(/Image:\s+busybox:1\.37/);
  });

  it('server-side apply owns fields: a dropped field goes, another manager\'s change is a conflict, --force-conflicts takes it', async () => {
    const f = write('ds-own.yaml', dsYaml('web-own', 'busybox:1.36', '\n    team: a'));
    await ok(['apply', '--server-side', '-f', f]);
    const fields = JSON.parse(await ok(['get', 'ds', 'web-own', '-o', 'json', '--show-managed-fields']));
    expect(fields.metadata.managedFields.filter((e: { operation: string }) => e.operation === 'Apply').map((e: { manager: string }) => e.manager)).toEqual(['kubectl']);

    // The manifest no longer sets the env var and the label: the server removes them.
    write('ds-own.yaml', dsManifest('web-own', 'busybox:1.36'));
    await ok(['apply', '--server-side', '-f', f]);
    const pruned = JSON.parse(await ok(['get', 'ds', 'web-own', '-o', 'json']));
    expect(pruned.spec.template.spec.containers[0].env).toBeUndefined();
    expect(pruned.metadata.labels.team).toBeUndefined();
    expect(pruned.spec.template.spec.containers[0].command).toEqual(['sleep', '3600']);

    // kubectl set image takes the image over; applying another image is then a conflict.
    await ok(['set', 'image', 'ds/web-own', 'agent=busybox:1.37']);
    write('ds-own.yaml', dsManifest('web-own', 'busybox:1.38'));
    const refused = await kubectl(['apply', '--server-side', '-f', f]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1');
    expect(refused.stderr).toContain('.spec.template.spec.containers[name="agent"].image');
    expect(refused.stderr).toContain('--force-conflicts');
    expect(JSON.parse(await ok(['get', 'ds', 'web-own', '-o', 'json'])).spec.template.spec.containers[0].image).toBe('busybox:1.37');
    await ok(['apply', '--server-side', '--force-conflicts', '-f', f]);
    const forced = JSON.parse(await ok(['get', 'ds', 'web-own', '-o', 'json', '--show-managed-fields']));
    expect(forced.spec.template.spec.containers[0].image).toBe('busybox:1.38');
    const setEntry = forced.metadata.managedFields.find((e: { manager: string }) => e.manager === 'kubectl-set');
    expect(JSON.stringify(setEntry?.fieldsV1 ?? {})).not.toContain('f:image');
  });

  it('server-side apply after client-side apply takes the object over without conflicts', async () => {
    const f = write('ds-csa.yaml', dsYaml('web-csa', 'busybox:1.36'));
    await ok(['apply', '-f', f]);
    write('ds-csa.yaml', dsYaml('web-csa', 'busybox:1.37'));
    await ok(['apply', '--server-side', '-f', f]);
    const ds = JSON.parse(await ok(['get', 'ds', 'web-csa', '-o', 'json']));
    expect(ds.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    // The client-side annotation follows, so a later client-side apply diffs against the truth.
    const last = JSON.parse(ds.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(last.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    write('ds-csa.yaml', dsManifest('web-csa', 'busybox:1.37'));
    await ok(['apply', '-f', f]);
    const after = JSON.parse(await ok(['get', 'ds', 'web-csa', '-o', 'json']));
    expect(after.spec.template.spec.containers[0].env).toBeUndefined();
    expect(after.spec.template.spec.containers[0].image).toBe('busybox:1.37');
  });

  it('explain daemonset.spec uses the served OpenAPI', async () => {
    const out = await ok(['explain', 'daemonset.spec']);
    expect(out).toMatch(/KIND:\s+DaemonSet/);
    expect(out).toMatch(/updateStrategy\s+<DaemonSetUpdateStrategy>/);
  });

  // kubectl 1.27 and 1.28 fetch the OpenAPI v2 protobuf before apply, create, diff and explain
  // (and fail without it), and take client-side apply's patch metadata from it.
  for (const minor of [27, 28]) {
    const binary = versionedKubectl(minor);
    it.skipIf(!binary)(`kubectl 1.${minor} (OpenAPI v2): apply, re-apply, diff, explain and a client-side apply that merges containers by name`, async () => {
      const old = async (args: string[], input?: string): Promise<string> => {
        const r = await runKubectl({ kubeconfig, cacheDir: join(dir, `cache-1.${minor}`) }, args, { input, binary });
        if (r.code !== 0) throw new Error(`kubectl 1.${minor} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
        return r.stdout;
      };
      const name = `old-kubectl-${minor}`;
      const twoContainers = (image: string) =>
        dsYaml(name, image) + `      - name: sidecar\n        image: side:1\n        command: ["sleep", "3600"]\n`;
      const file = write(`${name}.yaml`, twoContainers('busybox:1'));
      expect(await old(['apply', '-f', file])).toContain(`daemonset.apps/${name} created`);
      expect(await old(['apply', '-f', file])).toContain(`daemonset.apps/${name} unchanged`);
      expect(await old(['diff', '-f', file])).toBe('');
      // A change another writer made to a merged list survives the three-way merge.
      await ok(['set', 'env', `ds/${name}`, '-c', 'agent', 'B=2']);
      write(`${name}.yaml`, twoContainers('busybox:2'));
      expect(await old(['apply', '-f', file])).toContain(`daemonset.apps/${name} configured`);
      const ds = JSON.parse(await ok(['get', 'ds', name, '-o', 'json'])) as { spec: { template: { spec: { containers: Array<{ name: string; image: string; env?: unknown[] }> } } } };
      expect(ds.spec.template.spec.containers.map((c) => [c.name, c.image, c.env])).toEqual([
        ['agent', 'busybox:2', [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]],
        ['sidecar', 'side:1', undefined],
      ]);
      expect(await old(['explain', 'daemonset.spec.updateStrategy'])).toMatch(/rollingUpdate\s+<RollingUpdateDaemonSet>/);
      expect(await old(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ' + name + '\ndata:\n  k: v\n')).toContain(`configmap/${name} created`);
      await old(['delete', 'ds,configmap', name]);
    });
  }

  it('a CRD applied with kubectl serves its custom resources: apply, get with printer columns, explain, delete', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    subresources:
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What the gadget should be.
            properties:
              size: {type: integer, description: How big.}
              mode: {type: string, default: auto}
`;
    expect(await ok(['apply', '-f', '-'], crd)).toContain('customresourcedefinition.apiextensions.k8s.io/gadgets.example.org created');
    const gadget = 'apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g1\nspec:\n  size: 3\n';
    expect(await waitFor('the Gadget kind', async () => {
      const r = await kubectl(['apply', '-f', '-'], gadget);
      return r.code === 0 ? r.stdout : undefined;
    })).toContain('gadget.example.org/g1 created');
    expect(await ok(['apply', '-f', '-'], gadget)).toContain('gadget.example.org/g1 unchanged');
    // A change through client-side apply, diff and a server dry run: kubectl 1.29+ pick the
    // patch type from OpenAPI v3, which must not offer strategic merge patch for a custom
    // resource (the server answers it with 415).
    const bigger = gadget.replace('size: 3', 'size: 4');
    expect((await kubectl(['diff', '-f', '-'], bigger)).stdout).toMatch(/^\+  size: 4$/m);
    expect(await ok(['apply', '--dry-run=server', '-f', '-'], bigger)).toContain('gadget.example.org/g1 configured (server dry run)');
    expect(await ok(['apply', '-f', '-'], bigger)).toContain('gadget.example.org/g1 configured');
    expect(await ok(['apply', '-f', '-'], gadget)).toContain('gadget.example.org/g1 configured');
    const table = await ok(['get', 'gd']);
    expect(table).toMatch(/^NAME\s+SIZE\n/);
    expect(table).toMatch(/\ng1\s+3\n/);
    expect(JSON.parse(await ok(['get', 'gadget', 'g1', '-o', 'json'])).spec).toEqual({ size: 3, mode: 'auto' });
    // The scale subresource: kubectl scale (with a --current-replicas precondition too) and get --subresource.
    expect(await ok(['scale', 'gadget/g1', '--replicas=6'])).toContain('gadget.example.org/g1 scaled');
    expect(JSON.parse(await ok(['get', 'gadget', 'g1', '--subresource=scale', '-o', 'json'])).spec).toEqual({ replicas: 6 });
    const wrongCurrent = await kubectl(['scale', 'gadget/g1', '--current-replicas=5', '--replicas=2']);
    expect(wrongCurrent.code).not.toBe(0);
    expect(await ok(['scale', 'gadget/g1', '--current-replicas=6', '--replicas=3'])).toContain('gadget.example.org/g1 scaled');
    expect(JSON.parse(await ok(['get', 'gadget', 'g1', '-o', 'json'])).spec).toEqual({ size: 3, mode: 'auto' });
    const bad = await kubectl(['apply', '-f', '-'], 'apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g2\nspec:\n  size: 3\n  colour: red\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown field "spec.colour"');
    expect(await ok(['explain', 'gadget.spec'])).toMatch(/size\s+<integer>/);
    await ok(['delete', 'crd', 'gadgets.example.org']);
    const gone = await kubectl(['get', 'gadgets.example.org']);
    expect(gone.code).not.toBe(0);
  });

  it('wait --for=jsonpath', async () => {
    await ok(['create', 'configmap', 'waited', '--from-literal=a=1']);
    setTimeout(() => void kubectl(['patch', 'cm', 'waited', '--type', 'merge', '-p', '{"data":{"a":"2"}}']), 300);
    const out = await ok(['wait', 'cm/waited', '--for=jsonpath={.data.a}=2', '--timeout=30s']);
    expect(out).toContain('configmap/waited condition met');
  });

  it('diff shows the change a manifest would make', async () => {
    const f = write('ds-c.yaml', dsYaml('web-c', 'busybox:1.36'));
    await ok(['apply', '-f', f]);
    write('ds-c.yaml', dsYaml('web-c', 'busybox:9.9'));
    const r = await kubectl(['diff', '-f', f]);
    expect(r.code).toBe(1); // kubectl diff exits 1 when there are differences
    expect(r.stdout).toMatch(/-\s+image: busybox:1\.36/);
    expect(r.stdout).toMatch(/\+\s+image: busybox:9\.9/);
  });

  it('a network plugin\'s NetworkPolicy and a CSI driver\'s StorageClass apply, print, describe and refuse bad changes as upstream', async () => {
    const f = write(
      'np-sc.yaml',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to:
    - namespaceSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 8000, endPort: 9000}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: nfs-csi
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: nfs.csi.k8s.io
parameters: {server: nfs-server.default.svc.cluster.local, share: /}
mountOptions: [nfsvers=4.1]
`,
    );
    expect(await ok(['apply', '-f', f])).toBe('networkpolicy.networking.k8s.io/allow-dns created\nstorageclass.storage.k8s.io/nfs-csi created\n');
    // Upstream's defaults: TCP ports, policy types from the rules, Delete and Immediate.
    const np = JSON.parse(await ok(['get', 'netpol', 'allow-dns', '-o', 'json']));
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress[0].ports[1]).toEqual({ port: 8000, endPort: 9000, protocol: 'TCP' });
    expect(np.metadata.generation).toBe(1);
    // Egress rules are an atomic list, and the served one has the defaulted protocol the file
    // leaves out, so kubectl sends the file's list again ("configured"); the server defaults it
    // to what it stores and writes nothing.
    expect(await ok(['apply', '-f', f])).toBe('networkpolicy.networking.k8s.io/allow-dns configured\nstorageclass.storage.k8s.io/nfs-csi unchanged\n');
    const again = JSON.parse(await ok(['get', 'netpol', 'allow-dns', '-o', 'json']));
    expect([again.metadata.generation, again.metadata.resourceVersion]).toEqual([1, np.metadata.resourceVersion]);
    expect(await ok(['get', 'netpol', '--no-headers'])).toMatch(/^allow-dns\s+app=web\s+\S+\n$/);
    expect(await ok(['get', 'sc', '--no-headers'])).toMatch(/^nfs-csi \(default\)\s+nfs\.csi\.k8s\.io\s+Delete\s+Immediate\s+false\s+\S+\n$/);
    // kubectl's own describers read what is served.
    expect(await ok(['describe', 'netpol', 'allow-dns'])).toContain('To Port Range: 8000-9000/TCP');
    expect(await ok(['describe', 'sc', 'nfs-csi'])).toMatch(/IsDefaultClass:\s+Yes/);
    // A spec change is a new generation; what a provisioner relies on cannot change.
    await ok(['patch', 'netpol', 'allow-dns', '--type', 'merge', '-p', '{"spec":{"podSelector":{"matchLabels":{"app":"api"}}}}']);
    expect(await ok(['get', 'netpol', 'allow-dns', '-o', 'jsonpath={.metadata.generation}'])).toBe('2');
    await ok(['patch', 'sc', 'nfs-csi', '-p', '{"allowVolumeExpansion":true}']);
    const r = await kubectl(['patch', 'sc', 'nfs-csi', '-p', '{"provisioner":"other.io","reclaimPolicy":"Retain"}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The StorageClass "nfs-csi" is invalid: \n* provisioner: Forbidden: updates to provisioner are forbidden.\n* reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.');
    const bad = await kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  ingress:\n  - from: [{}]\n    ports: [{port: http, endPort: 90}]\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('* spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric\n* spec.ingress[0].from[0]: Required value: must specify a peer');
    expect((await kubectl(['get', 'netpol', 'bad'])).code).toBe(1);
  });

  it('an ingress controller\'s IngressClass and Ingresses: the default class given, `create ingress` (protobuf), columns, describe, status and refusals as upstream', async () => {
    const f = write(
      'ingress.yaml',
      `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: edge
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: example.com/edge-proxy
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: default}
spec:
  tls:
  - {hosts: [www.example.com], secretName: www-tls}
  rules:
  - host: www.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: "*.api.example.com"
    http:
      paths:
      - {path: /v1, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
`,
    );
    expect(await ok(['apply', '-f', f])).toBe('ingressclass.networking.k8s.io/edge created\ningress.networking.k8s.io/site created\n');
    // DefaultIngressClass admission names the default class; the status is Go's empty struct.
    const site = JSON.parse(await ok(['get', 'ingress', 'site', '-o', 'json']));
    expect([site.spec.ingressClassName, site.status, site.metadata.generation]).toEqual(['edge', { loadBalancer: {} }, 1]);
    expect(await ok(['apply', '-f', f])).toBe('ingressclass.networking.k8s.io/edge unchanged\ningress.networking.k8s.io/site unchanged\n');
    // kubectl 1.32 sends `create ingress` as protobuf; an explicit class is kept.
    expect(await ok(['create', 'ingress', 'simple', '--class=other', '--rule=/=web:80'])).toBe('ingress.networking.k8s.io/simple created\n');
    expect(await ok(['get', 'ing', 'simple', '-o', 'jsonpath={.spec}'])).toBe('{"ingressClassName":"other","rules":[{"http":{"paths":[{"backend":{"service":{"name":"web","port":{"number":80}}},"path":"/","pathType":"Exact"}]}}]}');
    // The ingress controller reports its address through /status; the columns show it.
    await ok(['patch', 'ing', 'site', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}']);
    expect(await ok(['get', 'ing', '--no-headers'])).toMatch(/^simple\s+other\s+\*\s+80\s+\S+\nsite\s+edge\s+www\.example\.com,\*\.api\.example\.com\s+192\.0\.2\.10\s+80, 443\s+\S+\n$/);
    expect(await ok(['get', 'ingressclass', '--no-headers'])).toMatch(/^edge\s+example\.com\/edge-proxy\s+<none>\s+\S+\n$/);
    // kubectl's describer reads the rules, TLS and class as served.
    const described = await ok(['describe', 'ingress', 'site']);
    expect(described).toMatch(/Ingress Class:\s+edge/);
    expect(described).toContain('www-tls terminates www.example.com');
    expect(described).toMatch(/\/v1\s+api:http/);
    // A status write cannot change the spec, and a spec change is a new generation.
    await ok(['patch', 'ing', 'site', '--type=merge', '-p', '{"spec":{"ingressClassName":"edge2"}}']);
    expect(await ok(['get', 'ing', 'site', '-o', 'jsonpath={.metadata.generation} {.status.loadBalancer.ingress[0].ip}'])).toBe('2 192.0.2.10');
    const bad = await kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - host: 10.0.0.1\n    http:\n      paths:\n      - {path: a, pathType: Prefix, backend: {service: {name: web}}}\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The Ingress "bad" is invalid: \n* spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address\n* spec.rules[0].http.paths[0].path: Invalid value: "a": must be an absolute path\n* spec.rules[0].http.paths[0].backend: Required value: port name or number is required');
    const moved = await kubectl(['patch', 'ingressclass', 'edge', '--type=merge', '-p', '{"spec":{"controller":"example.com/other"}}']);
    expect(moved.stderr).toContain('The IngressClass "edge" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable');
    await ok(['delete', 'ingress', 'site', 'simple']);
    await ok(['delete', 'ingressclass', 'edge']);
  });

  it('a LimitRange defaults and bounds the pods of its namespace; kubectl shows the refusal and the annotation', async () => {
    const f = write(
      'limits.yaml',
      `apiVersion: v1
kind: Namespace
metadata: {name: limited}
---
apiVersion: v1
kind: LimitRange
metadata: {name: per-container, namespace: limited}
spec:
  limits:
  - {type: Container, max: {cpu: 500m}, defaultRequest: {cpu: 100m, memory: 64Mi}}
`,
    );
    expect(await ok(['apply', '-f', f])).toBe('namespace/limited created\nlimitrange/per-container created\n');
    expect(await ok(['get', 'limits', '-n', 'limited', '--no-headers'])).toMatch(/^per-container\s+\d{4}-\d\d-\d\dT\S+Z\n$/);
    // The max becomes the default limit; the pod gets both, and the annotation says so.
    await ok(['run', 'small', '-n', 'limited', '--image=busybox', '--overrides={"spec":{"nodeName":"nowhere"}}', '--', 'sleep', '1']);
    expect(await ok(['get', 'pod', 'small', '-n', 'limited', '-o', 'jsonpath={.spec.containers[0].resources}'])).toBe('{"limits":{"cpu":"500m"},"requests":{"cpu":"100m","memory":"64Mi"}}');
    expect(await ok(['get', 'pod', 'small', '-n', 'limited', '-o', "jsonpath={.metadata.annotations['kubernetes\\.io/limit-ranger']}"])).toBe(
      'LimitRanger plugin set: cpu, memory request for container small; cpu limit for container small',
    );
    const big = await kubectl(['run', 'big', '-n', 'limited', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"big","image":"busybox","resources":{"limits":{"cpu":"2"}}}]}}']);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain('Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 2');
    await ok(['delete', 'ns', 'limited', '--wait=false']);
  });

  it('kubectl create quota (a protobuf body) is enforced on creates; get, describe and the refusal read as upstream', async () => {
    await ok(['create', 'ns', 'quoted']);
    expect(await ok(['create', 'quota', 'small', '-n', 'quoted', '--hard=pods=1,requests.cpu=1,count/configmaps=3', '--scopes=NotTerminating'])).toBe(
      'resourcequota/small created\n',
    );
    // The controller fills the status. A quota with scopes counts pods only: the namespace's root
    // CA map is not counted, as upstream.
    const row = await waitFor('the quota status', async () => {
      const out = await ok(['get', 'quota', 'small', '-n', 'quoted', '--no-headers']);
      return out.includes('pods: 0/1') ? out : undefined;
    });
    // kubectl 1.32's columns: NAME, AGE, REQUEST, LIMIT.
    expect(row).toMatch(/^small\s+\d+s\s+count\/configmaps: 0\/3, pods: 0\/1, requests\.cpu: 0\/1\s*\n$/);
    await ok(['run', 'first', '-n', 'quoted', '--image=busybox', '--overrides={"spec":{"nodeName":"nowhere","containers":[{"name":"first","image":"busybox","resources":{"requests":{"cpu":"250m"}}}]}}']);
    const second = await kubectl(['run', 'second', '-n', 'quoted', '--image=busybox', '--overrides={"spec":{"nodeName":"nowhere","containers":[{"name":"second","image":"busybox","resources":{"requests":{"cpu":"250m"}}}]}}']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Error from server (Forbidden): pods "second" is forbidden: exceeded quota: small, requested: pods=1, used: pods=1, limited: pods=1');
    expect(await ok(['describe', 'quota', 'small', '-n', 'quoted'])).toBe(
      'Name:       small\nNamespace:  quoted\nScopes:     NotTerminating\n' +
        ' * Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.\n' +
        'Resource          Used  Hard\n--------          ----  ----\ncount/configmaps  0     3\npods              1     1\nrequests.cpu      250m  1\n',
    );
    const bad = await kubectl(['create', 'quota', 'bad', '-n', 'quoted', '--hard=pods=1.5']);
    expect(bad.stderr).toBe('error: failed to create quota: ResourceQuota "bad" is invalid: spec.hard[pods]: Invalid value: "1500m": must be an integer\n');
    await ok(['delete', 'ns', 'quoted', '--wait=false']);
  });

  it('validation errors read as upstream', async () => {
    const bad = dsYaml('bad', 'busybox:1').replace('      labels:\n        app: bad\n', '      labels:\n        app: other\n');
    const r = await kubectl(['apply', '-f', write('bad.yaml', bad)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The DaemonSet "bad" is invalid: spec.template.metadata.labels: Invalid value:');
    expect(r.stderr).toContain('`selector` does not match template `labels`');
  });

  it('human output of nodes, pods, daemonsets, controllerrevisions and events has upstream columns', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'cols-node', labels: { 'node-role.kubernetes.io/worker': '', cols: 'yes' } } }));
    const ds = dsYaml('cols', 'busybox:1.36').replace('    spec:\n      containers:', '    spec:\n      nodeSelector:\n        cols: "yes"\n      containers:');
    await ok(['apply', '-f', write('ds-cols.yaml', ds)]);
    // The DaemonSet controller (running in the server) creates the pod on the node.
    const pod = await waitFor('daemon pod on cols-node', async () => {
      const list = JSON.parse(await ok(['get', 'pods', '-l', 'app=cols', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; spec: { nodeName: string } }> };
      return list.items.find((p) => p.spec.nodeName === 'cols-node')?.metadata.name;
    });
    // No agent in this test: report the pod Running and Ready as a node agent would.
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await ok(['patch', 'pod', pod, '--subresource=status', '--type', 'merge', '-p', JSON.stringify({
      status: {
        phase: 'Running', podIP: '127.0.0.9', hostIP: '127.0.0.9', startTime: now,
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }, { type: 'Initialized', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
        containerStatuses: [{ name: 'agent', ready: true, started: true, restartCount: 0, image: 'busybox:1.36', imageID: '', state: { running: { startedAt: now } } }],
      },
    })]);
    const nodes = await ok(['get', 'nodes']);
    expect(nodes).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/m);
    expect(nodes).toMatch(/^cols-node\s+\S+\s+worker\s+\d+[smhd]/m);
    const pods = await ok(['get', 'pods', '-l', 'app=cols', '-o', 'wide']);
    expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/m);
    expect(pods).toMatch(new RegExp(`^${pod}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+127\\.0\\.0\\.9\\s+cols-node`, 'm'));
    const dsOut = await waitFor('DaemonSet status 1/1', async () => {
      const out = await ok(['get', 'ds', 'cols']);
      return /^cols\s+1\s+1\s+1\s+1\s+1\s+cols=yes\s+/m.test(out) ? out : undefined;
    });
    expect(dsOut).toMatch(/NODE SELECTOR/);
    const revs = await ok(['get', 'controllerrevisions', '-l', 'app=cols']);
    expect(revs).toMatch(/^NAME\s+CONTROLLER\s+REVISION\s+AGE/m);
    expect(revs).toMatch(/^cols-\w+\s+daemonset\.apps\/cols\s+1\s+/m);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=cols']);
    expect(events).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/m);
    expect(events).toMatch(new RegExp(`Normal\\s+SuccessfulCreate\\s+daemonset/cols\\s+Created pod: ${pod}`));
  });

  it('every real-world manifest applies unchanged, and re-applies as unchanged', async () => {
    // Each pass is one kubectl run over the whole folder (kubectl reads its .yaml files in name
    // order, as it would one file each): one start-up and one OpenAPI read per pass, not per file.
    const applicable = readdirSync(manifests).filter((f) => f.endsWith('.yaml'));
    expect(applicable.length).toBe(16);
    const objectsIn = (f: string) => readFileSync(join(manifests, f), 'utf8').split(/^---\s*$/m).filter((d) => /^kind:/m.test(d)).length;
    const objects = applicable.reduce((n, f) => n + objectsIn(f), 0);
    const first = await kubectl(['apply', '-f', manifests]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code, first.stderr).toBe(0);
    // One line per object, each created.
    expect(first.stdout.trim().split('\n').filter((l) => / created$/.test(l))).toHaveLength(objects);
    // Upstream answers datadog's deprecated pod-template annotations with warnings.
    expect(first.stderr).toContain('Warning: spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/system-probe]: deprecated since v1.30; use the "appArmorProfile" field instead');
    // A second apply changes nothing. kubectl decides "unchanged" client-side from its three-way
    // patch; a manifest that spells a field as an explicit null (datadog's `tolerations:`, falco's
    // container `securityContext:`, metallb's webhook `creationTimestamp: null`) makes kubectl
    // send that null on every apply, against upstream servers too. So does a defaulted field
    // inside an atomic list (konnectivity's projected serviceAccountToken gets
    // `expirationSeconds: 3600`, so kubectl resends the whole `sources` list), and a status in a
    // manifest (calico's clusternetworkpolicies CRD), which writes of the main resource ignore.
    // A PodDisruptionBudget's selector is patched with strategy `replace`, so kubectl always
    // sends it and says `configured` (as against upstream servers).
    // There the check is that the server changed nothing (same generation, same spec).
    const explicitNulls = new Set([
      'daemonset.apps/datadog configured',
      'daemonset.apps/falco configured',
      'daemonset.apps/konnectivity-agent configured',
      'validatingwebhookconfiguration.admissionregistration.k8s.io/metallb-webhook-configuration configured',
      'customresourcedefinition.apiextensions.k8s.io/clusternetworkpolicies.policy.networking.k8s.io configured',
      'poddisruptionbudget.policy/calico-kube-controllers configured',
    ]);
    type DsList = { items: Array<{ metadata: { name: string; generation: number }; spec: unknown }> };
    const summary = (l: DsList) => l.items.map((d) => [d.metadata.name, d.metadata.generation, JSON.stringify(d.spec)]);
    const before = JSON.parse(await ok(['get', 'ds', '-A', '-o', 'json'])) as DsList;
    const again = (await ok(['apply', '-f', manifests])).trim().split('\n');
    expect(again).toHaveLength(objects);
    expect(again.filter((line) => !explicitNulls.has(line) && !/ unchanged$/.test(line))).toEqual([]);
    const after = JSON.parse(await ok(['get', 'ds', '-A', '-o', 'json'])) as DsList;
    expect(summary(after)).toEqual(summary(before));

    // The same manifests through server-side apply: kubectl takes over its client-side applies
    // without conflicts and migrates their field ownership (its first apply); the second apply
    // settles that (the migrated set also held defaulted fields, and kubectl-last-applied
    // records itself again), as against upstream servers; from then on an apply writes nothing.
    // An apply that writes changes the object outside its status (fields, or at least the time of
    // its manager's managedFields entry); the controllers' status writes in between (a DaemonSet's
    // counts settling) change only the status and its status managers' entries.
    type Obj = { kind: string; metadata: { name: string; resourceVersion: string; managedFields?: Array<{ subresource?: string }> }; status?: unknown };
    const versions = async () => {
      const got = JSON.parse(await ok(['get', '-f', manifests, '-o', 'json', '--show-managed-fields'])) as { items: Obj[] };
      return got.items.map((o) => {
        const { status: _status, metadata, ...rest } = o;
        const { resourceVersion: _rv, managedFields, ...meta } = metadata;
        return JSON.stringify({ ...rest, metadata: { ...meta, managedFields: (managedFields ?? []).filter((m) => m.subresource !== 'status') } });
      });
    };
    for (let pass = 0; pass < 2; pass++) {
      const r = await kubectl(['apply', '--server-side', '-f', manifests]);
      expect(r.code, r.stderr).toBe(0);
      // The only warnings are upstream's for datadog's deprecated seccomp/AppArmor annotations.
      const unexpected = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Warning: spec\.template\.metadata\.annotations\[container\.(seccomp|apparmor)\.security\.(alpha|beta)\.kubernetes\.io\/system-probe\]: (non-functional in v1\.27\+|deprecated since v1\.30)/.test(l));
      expect(unexpected, `pass ${pass}`).toEqual([]);
    }
    const settled = await versions();
    expect(settled).toHaveLength(objects);
    const r = await kubectl(['apply', '--server-side', '-f', manifests]);
    expect(r.code, r.stderr).toBe(0);
    expect(await versions()).toEqual(settled);
  }, 240_000);
});
