// `everynode backup` and `everynode restore` with real server processes and the real CLI:
// a backup taken while writers keep writing holds a consistent state (every object written
// before it, Secrets readable with the copied key), the restored server continues above a
// bumped revision with everything below it compacted (a client's old resourceVersion gets
// 410 Gone, so informers relist), and nobody but the admin can take a backup.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/apiserver/index.js';
import { ensurePki } from '../../src/auth/index.js';
import { RestClient, clientFromKubeconfig, configMapsResource, secretsResource } from '../../src/client/index.js';
import type { KubeObject } from '../../src/api/types.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, runCommand, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { createUserToken, httpRequest } from '../helpers/index.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { canMountTmpfs } from '../../src/util/testing/index.js';
import { SqliteStore } from '../../src/storage/index.js';
import { spawnSync } from 'node:child_process';
import { freshEtcdStoreUrl } from '../helpers/server.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

function everynode(...args: string[]) {
  return runCommand(process.execPath, [everynodeBin, ...args], { timeoutMs: 60_000 });
}

function admin(srv: ServerProcess): RestClient {
  return clientFromKubeconfig(srv.kubeconfigPath).client;
}

const cm = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data }) as KubeObject;

async function stop(srv: ServerProcess): Promise<void> {
  process.kill(-srv.pid, 'SIGTERM');
  await srv.exited;
}

describe('everynode backup / restore', () => {
  it('backs up a running server under writes and restores it above a bumped, compacted revision', async () => {
    const d1 = makeTempDir(cleanup, 'everynode-backup-src-');
    const out = path.join(makeTempDir(cleanup, 'everynode-backup-out-'), 'b1');
    const d2 = makeTempDir(cleanup, 'everynode-backup-dst-');
    const a = await startServerProcess(cleanup, { dataDir: d1, extraArgs: ['--disable-controllers'] });
    const c = admin(a);
    await c.create(secretsResource, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: 'default' }, stringData: { password: 's3cret' } } as KubeObject);
    for (let i = 0; i < 100; i++) await c.create(configMapsResource, 'default', cm(`before-${i}`, { i: String(i), pad: 'x'.repeat(4000) }));
    const oldRv = (await c.list(configMapsResource, { namespace: 'default' })).metadata.resourceVersion!;

    // Writers keep going while the backup runs; each create that was answered before the
    // backup began must be in it.
    let stopWriting = false;
    let written = 0;
    const writer = (async () => {
      while (!stopWriting) await c.create(configMapsResource, 'default', cm(`during-${written++}`, { pad: 'y'.repeat(4000) }));
    })();
    await new Promise((r) => setTimeout(r, 100));
    const answeredBefore = written;
    const run = await everynode('backup', out, '--data-dir', d1);
    stopWriting = true;
    await writer;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^backed up revision \d+ \(\d+\.\d MiB, from the running server\) and kubeconfig\.yaml, tokens\.json, secrets-encryption\.key, tls\/ to /);
    expect(fs.readdirSync(out).sort()).toEqual(['kubeconfig.yaml', 'secrets-encryption.key', 'state.db', 'tls', 'tokens.json']);
    expect(fs.statSync(path.join(out, 'secrets-encryption.key')).mode & 0o777).toBe(0o600);
    const backupRevision = Number(/revision (\d+)/.exec(run.stdout)![1]);

    // Only the admin may: a user without the non-resource permission is refused.
    const userToken = createUserToken(d1, 'alice');
    const refused = await httpRequest(`${a.url}/everynode/backup`, { token: userToken });
    expect(refused.status).toBe(403);
    // Nor one whom RBAC lets get every path: a copy holds every namespace's objects.
    const rbac = { apiVersion: 'rbac.authorization.k8s.io/v1' };
    await httpRequest(`${a.url}/apis/rbac.authorization.k8s.io/v1/clusterroles`, { method: 'POST', token: a.adminToken, body: JSON.stringify({ ...rbac, kind: 'ClusterRole', metadata: { name: 'all-paths' }, rules: [{ nonResourceURLs: ['*'], verbs: ['get'] }] }) });
    await httpRequest(`${a.url}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, { method: 'POST', token: a.adminToken, body: JSON.stringify({ ...rbac, kind: 'ClusterRoleBinding', metadata: { name: 'carol-all-paths' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'all-paths' }, subjects: [{ kind: 'User', name: 'carol', apiGroup: 'rbac.authorization.k8s.io' }] }) });
    const carol = createUserToken(d1, 'carol');
    expect((await httpRequest(`${a.url}/version`, { token: carol })).status).toBe(200);
    const paths = await httpRequest(`${a.url}/everynode/backup`, { token: carol });
    expect(paths.status).toBe(403);
    expect(paths.text).toContain('only the cluster admin (group system:masters) may take one');
    // The copy left nothing beside the store.
    expect(fs.readdirSync(d1).filter((f) => f.startsWith('.backup-'))).toEqual([]);

    await c.create(configMapsResource, 'default', cm('after-backup', { lost: 'yes' }));
    await stop(a);

    // A fresh data dir from the backup.
    const restore = await everynode('restore', out, '--data-dir', d2);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`^restored \\d+ objects at revision ${backupRevision} into .* \\(now revision ${backupRevision + 1_000_000_000}; clients relist\\), with kubeconfig\\.yaml`));

    const b = await startServerProcess(cleanup, { dataDir: d2, extraArgs: ['--disable-controllers'] });
    const cb = admin(b);
    const secret = (await cb.get(secretsResource, 'default', 'db-password')) as KubeObject & { data: Record<string, string> };
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('s3cret');
    const names = new Set((await cb.list(configMapsResource, { namespace: 'default' })).items.map((o) => o.metadata.name));
    for (let i = 0; i < 100; i++) expect(names.has(`before-${i}`)).toBe(true);
    for (let i = 0; i < answeredBefore; i++) expect(names.has(`during-${i}`)).toBe(true);
    expect(names.has('after-backup')).toBe(false);
    const list = await cb.list(configMapsResource, { namespace: 'default' });
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(backupRevision + 1_000_000_000 - 1);
    // A client that saw the old server must relist: its revision is compacted.
    const gone = await httpRequest(`${b.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${oldRv}&timeoutSeconds=1`, { token: b.adminToken });
    expect(gone.text).toMatch(/"code":410|"reason":"Expired"|too old resource version/);
    // New writes go on above the bump.
    const created = await cb.create(configMapsResource, 'default', cm('after-restore', { ok: 'yes' }));
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(backupRevision + 1_000_000_000);

    // A restore refuses a data dir whose server runs.
    const busy = await everynode('restore', out, '--data-dir', d2);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/a server is using .*state\.db; stop it first/);
    await stop(b);

    // With the server stopped, backup reads the file itself; restore over an existing store
    // keeps that store aside.
    const out2 = path.join(path.dirname(out), 'b2');
    const offline = await everynode('backup', out2, '--data-dir', d2);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/from the stopped server's file/);
    const again = await everynode('restore', out2, '--data-dir', d2, '--bump-revision', '10');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/what they replace is kept beside them, with the suffix \.before-restore-\S+: state\.db, kubeconfig\.yaml, tokens\.json, secrets-encryption\.key, tls\n$/);
    expect(fs.readdirSync(d2).some((f) => f.startsWith('state.db.before-restore-'))).toBe(true);
    // The keys and CA that read the kept store are kept with it (the store alone could not be read).
    expect(fs.readdirSync(d2).some((f) => f.startsWith('secrets-encryption.key.before-restore-'))).toBe(true);
    expect(fs.readdirSync(d2).some((f) => f.startsWith('tls.before-restore-'))).toBe(true);
    // Interrupted (Ctrl-C) at any point, a restore leaves a store in place, never none.
    for (const delayMs of [150, 400, 700]) {
      const child = spawnSync(process.execPath, ['-e', `const c=require('node:child_process').spawn(process.execPath,[${JSON.stringify(everynodeBin)},'restore',${JSON.stringify(out2)},'--data-dir',${JSON.stringify(d2)},'--bump-revision','10'],{stdio:'inherit'});setTimeout(()=>c.kill('SIGINT'),${delayMs});c.on('exit',(code,sig)=>process.exit(code??(sig?99:0)))`], { encoding: 'utf8', timeout: 60_000 });
      // 99: killed before its handlers were set up (nothing done yet); 130: held until the swap was done.
      expect([0, 1, 99, 130], `after ${delayMs} ms: ${child.stderr}`).toContain(child.status);
      expect(fs.existsSync(path.join(d2, 'state.db')), `after ${delayMs} ms`).toBe(true);
      expect(fs.readdirSync(d2).filter((f) => f.includes('.restored-') || f.includes('.restoring-'))).toEqual([]);
    }
    const c2 = await startServerProcess(cleanup, { dataDir: d2, extraArgs: ['--disable-controllers'] });
    expect((await admin(c2).get(configMapsResource, 'default', 'after-restore')).metadata.name).toBe('after-restore');
    await stop(c2);

    // Bad input: each a clear message and exit 1, nothing written.
    const notEmpty = await everynode('backup', out2, '--data-dir', d2);
    expect(notEmpty.stderr).toMatch(/is not empty/);
    const noBackup = await everynode('restore', makeTempDir(cleanup, 'everynode-backup-empty-'), '--data-dir', makeTempDir(cleanup, 'everynode-backup-none-'));
    expect(noBackup.stderr).toMatch(/state\.db does not exist/);
    const badBump = await everynode('restore', out, '--data-dir', d2, '--bump-revision', '-5');
    expect(badBump.code).toBe(1);
    expect(badBump.stderr).toMatch(/--bump-revision must be a positive integer|option/);
    // A bump past 2^53 - 1 is refused, and the store in place stays where it was, whole.
    const before = fs.readdirSync(d2).filter((f) => f.startsWith('state.db')).sort();
    const tooFar = await everynode('restore', out2, '--data-dir', d2, '--bump-revision', String(Number.MAX_SAFE_INTEGER - 5));
    expect(tooFar.code).toBe(1);
    expect(tooFar.stderr).toMatch(/takes the backup's revision \d+ past 9007199254740991, the largest revision a store keeps exact; use a smaller --bump-revision/);
    expect(fs.readdirSync(d2).filter((f) => f.startsWith('state.db')).sort()).toEqual(before);
    const c3 = await startServerProcess(cleanup, { dataDir: d2, extraArgs: ['--disable-controllers'] });
    expect((await admin(c3).get(configMapsResource, 'default', 'after-restore')).metadata.name).toBe('after-restore');
    await admin(c3).create(configMapsResource, 'default', cm('writes-after-refused-restore', { v: '1' }));
    await stop(c3);
  }, 120_000);

  it("backs up the data dir's own store, never the server its copied kubeconfig names", async () => {
    const d1 = makeTempDir(cleanup, 'everynode-backup-orig-');
    const outs = makeTempDir(cleanup, 'everynode-backup-outs-');
    const d2 = makeTempDir(cleanup, 'everynode-backup-copy-');
    const a = await startServerProcess(cleanup, { dataDir: d1, extraArgs: ['--disable-controllers'] });
    const ca = admin(a);
    await ca.create(configMapsResource, 'default', cm('in-both', { v: '1' }));
    // up's files beside the store: the dashboard's sign-in token and a local node's static pods.
    fs.writeFileSync(path.join(d1, 'dashboard-token'), 'x'.repeat(43) + '\n', { mode: 0o600 });
    fs.mkdirSync(path.join(d1, 'nodes', 'node-1', 'static-pods'), { recursive: true });
    fs.writeFileSync(path.join(d1, 'nodes', 'node-1', 'static-pods', 'web.yaml'), 'kind: Pod\n');
    fs.writeFileSync(path.join(d1, 'nodes', 'node-1', 'not-a-manifest'), 'x');

    const b1 = path.join(outs, 'b1');
    const first = await everynode('backup', b1, '--data-dir', d1);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/from the running server\) and kubeconfig\.yaml, tokens\.json, secrets-encryption\.key, dashboard-token, tls\/, nodes\/node-1\/static-pods\/ to /);
    expect(fs.readFileSync(path.join(b1, 'nodes', 'node-1', 'static-pods', 'web.yaml'), 'utf8')).toBe('kind: Pod\n');
    expect(fs.existsSync(path.join(b1, 'nodes', 'node-1', 'not-a-manifest'))).toBe(false);
    expect(fs.existsSync(path.join(b1, 'server-instance'))).toBe(false);

    // The copy: restored while the original runs on; its kubeconfig.yaml names the original.
    const restored = await everynode('restore', b1, '--data-dir', d2);
    expect(restored.code, restored.stderr).toBe(0);
    expect(fs.readFileSync(path.join(d2, 'dashboard-token'), 'utf8')).toBe('x'.repeat(43) + '\n');
    expect(fs.existsSync(path.join(d2, 'nodes', 'node-1', 'static-pods', 'web.yaml'))).toBe(true);
    await ca.create(configMapsResource, 'default', cm('only-in-original', { v: '1' }));

    // With no server on the copy, its own file is backed up (a revision above the bump), not
    // the original server's store.
    const b2 = path.join(outs, 'b2');
    const ofCopy = await everynode('backup', b2, '--data-dir', d2);
    expect(ofCopy.code, ofCopy.stderr).toBe(0);
    expect(ofCopy.stdout).toMatch(/from the stopped server's file/);
    expect(Number(/revision (\d+)/.exec(ofCopy.stdout)![1])).toBeGreaterThan(1_000_000_000);

    // A server on the copy, whose kubeconfig.yaml is then made to name the original again: the
    // original answers 409 and nothing is copied.
    const b = await startServerProcess(cleanup, { dataDir: d2, extraArgs: ['--disable-controllers'] });
    const ownKubeconfig = fs.readFileSync(path.join(d2, 'kubeconfig.yaml'), 'utf8');
    fs.writeFileSync(path.join(d2, 'kubeconfig.yaml'), fs.readFileSync(path.join(d1, 'kubeconfig.yaml'), 'utf8'), { mode: 0o600 });
    const b3 = path.join(outs, 'b3');
    const wrong = await everynode('backup', b3, '--data-dir', d2);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/is not the one using .*Nothing was copied/);
    expect(fs.existsSync(b3)).toBe(false);
    // Its own server, named again: the running copy's store.
    fs.writeFileSync(path.join(d2, 'kubeconfig.yaml'), ownKubeconfig, { mode: 0o600 });
    const b4 = path.join(outs, 'b4');
    const live = await everynode('backup', b4, '--data-dir', d2);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/from the running server/);
    expect(Number(/revision (\d+)/.exec(live.stdout)![1])).toBeGreaterThan(1_000_000_000);
    await stop(b);
    // What the copy's backup holds: the copy's objects, not what was written to the original after.
    const d3 = makeTempDir(cleanup, 'everynode-backup-copy2-');
    expect((await everynode('restore', b2, '--data-dir', d3)).code).toBe(0);
    const c = await startServerProcess(cleanup, { dataDir: d3, extraArgs: ['--disable-controllers'] });
    const names = (await admin(c).list(configMapsResource, { namespace: 'default' })).items.map((o) => o.metadata.name);
    expect(names).toContain('in-both');
    expect(names).not.toContain('only-in-original');
    await stop(c);
    await stop(a);
  }, 120_000);

  it('a data dir with no store file whose server is down: says so and points to etcd\'s tool', async () => {
    const dir = makeTempDir(cleanup, 'everynode-backup-nostore-');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    await ensurePki(dir);
    fs.writeFileSync(path.join(dir, 'server-instance'), 'abc\n');
    fs.writeFileSync(path.join(dir, 'kubeconfig.yaml'), `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`);
    const r = await everynode('backup', path.join(dir, 'out'), '--data-dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`backup: ${dir} holds no store file (a server whose store is etcd keeps it there: back it up with etcdctl snapshot save)`);
    expect(r.stderr).not.toContain('a server holds');
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it.skipIf(!etcdAvailable())("a server on etcd answers 400 naming etcd's own tool", async () => {
    const dir = makeTempDir(cleanup, 'everynode-backup-etcd-');
    const srv = await startServer({ dataDir: dir, listen: '127.0.0.1:0', controllers: false, storeUrl: await freshEtcdStoreUrl(cleanup) });
    cleanup.defer(() => srv.close());
    const r = await everynode('backup', path.join(dir, 'out'), '--data-dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/answered 400: the store is etcd: back it up with etcd's own tool \(etcdctl snapshot save\)/);
    // Nothing backed up, nothing left behind.
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  }, 60_000);

  const tmpfs = canMountTmpfs();
  it.skipIf(!tmpfs)('a backup to a full disk says so, naming the backup directory, and leaves nothing there (needs root to mount a small tmpfs)', async () => {
    const dir = makeTempDir(cleanup, 'everynode-backup-full-');
    await ensurePki(dir);
    const store = new SqliteStore(path.join(dir, 'state.db'));
    for (let i = 0; i < 40; i++) await store.create(`/registry/core/configmaps/default/big-${i}`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: 'default' }, data: { blob: 'x'.repeat(100_000) } }));
    await store.close();
    const small = path.join(makeTempDir(cleanup, 'everynode-backup-small-'), 'disk');
    fs.mkdirSync(small);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]).status).toBe(0);
    cleanup.defer(() => void spawnSync('umount', [small]), 'small tmpfs');
    const r = await everynode('backup', path.join(small, 'out'), '--data-dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`everynode: backup: cannot write the backup to ${path.join(small, 'out')}: no space left on its disk (free space there, or back up to another disk)\n`);
    expect(fs.readdirSync(small)).toEqual([]);
  }, 60_000);
});
