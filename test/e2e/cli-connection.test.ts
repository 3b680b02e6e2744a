// The CLI's connection to the server, as the built binary against a started `everynode server`:
// kubectl's connection flags over the kubeconfig (-s/--server, --token, --certificate-authority,
// --insecure-skip-tls-verify, --user, --cluster, --as), -v 6, --warnings-as-errors,
// --request-timeout, and the errors of a refused credential. One server for the file.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUserToken, credentialsFromKubeconfig, testFetch, writeKubeconfigFor } from '../helpers/auth.js';
import { useCliSuite } from './cli-suite.js';
import { ensurePki } from '../../src/auth/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const t = useCliSuite('cli-connection');
const { cleanup, cli, write } = t;

describe('everynode CLI connection', () => {
  it('--request-timeout: each request is given up after it, a watch ends quietly at it, and a bad value is refused', async () => {
    // A server that takes connections and never answers.
    const held = new Set<import('node:net').Socket>();
    const silent = createServer((s) => held.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.defer(() => {
      for (const s of held) s.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    }, 'silent server');
    const port = (silent.address() as { port: number }).port;
    const mute = write('mute.yaml', `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`);
    const gaveUp = await cli(['get', 'ds', '--request-timeout', '1s'], { kubeconfig: mute });
    expect(gaveUp).toMatchObject({ code: 1, stderr: 'Unable to connect to the server: context deadline exceeded\n' });

    // Against the real server every verb works within it (the server takes `?timeout=`), and
    // `get -w` stops at it with exit 0, as kubectl's watch does.
    expect(await cli(['apply', '-f', '-', '--request-timeout=20'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rt-cm\ndata: {a: b}\n' })).toMatchObject({ code: 0, stdout: 'configmap/rt-cm created\n' });
    const started = Date.now();
    const watched = await cli(['get', 'cm', 'rt-cm', '-w', '--request-timeout', '1500ms']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^NAME +DATA +AGE\nrt-cm +1 +\d+s\n$/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await cli(['delete', 'cm', 'rt-cm', '--request-timeout=1m'])).toMatchObject({ code: 0 });

    for (const bad of ['abc', '-1', '5x', '1.5']) {
      expect(await cli(['get', 'ds', '--request-timeout', bad]), bad).toMatchObject({
        code: 1,
        stderr: 'error: invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)\n',
      });
    }
  });

  it('unauthorized: a bad token is refused as kubectl says it; a user without RBAC gets the 403', async () => {
    const probe = await testFetch(`${t.server.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer not-a-valid-token' } });
    expect(probe.status).toBe(401);
    const bad = writeKubeconfigFor(t.dir, 'badtoken', t.server.url, { token: 'not-a-valid-token' });
    const r = await cli(['get', 'ds'], { kubeconfig: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
    const nobody = writeKubeconfigFor(t.dir, 'nobody', t.server.url, { token: createUserToken(join(t.dir, 'data'), 'nobody') });
    const f = await cli(['get', 'ds'], { kubeconfig: nobody });
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('daemonsets.apps is forbidden: User "nobody" cannot list resource "daemonsets" in API group "apps" in the namespace "default"');
  });

  it('connection flags: -s/--server with --certificate-authority or --insecure-skip-tls-verify and --token need no kubeconfig; --user, --cluster, --as, -v 6 and --warnings-as-errors', async () => {
    const { caPem, token } = credentialsFromKubeconfig(t.kc);
    const ca = write('flags-ca.pem', caPem);
    const none = join(t.dir, 'no-such-kubeconfig.yaml');
    const url = t.server.url;
    expect(await cli(['-s', url, '--certificate-authority', ca, '--token', token, 'get', 'ns', 'default', '-o', 'name'], { kubeconfig: none })).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    expect(await cli(['--server', url, '--insecure-skip-tls-verify', '--token', token, 'get', 'ns', 'default', '-o', 'name'], { kubeconfig: none })).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    // Without a way to trust the server: its certificate is refused; both ways at once are refused.
    const untrusted = await cli(['-s', url, '--token', token, 'get', 'ns'], { kubeconfig: none });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain("its certificate is not signed by a CA this client trusts: give the cluster's CA with --certificate-authority FILE (tls/ca.crt in the server's data dir), or use its kubeconfig");
    const otherCa = write('other-ca.pem', (await ensurePki(makeTempDir(cleanup, 'other-pki'))).caCertPem);
    const foreign = await cli(['-s', url, '--certificate-authority', otherCa, '--token', token, 'get', 'ns'], { kubeconfig: none });
    expect(foreign).toMatchObject({ code: 1, stderr: expect.stringContaining('its certificate is not signed by the CA of --certificate-authority (the CA of another cluster?)') });
    expect(await cli(['-s', url, '--insecure-skip-tls-verify', '--certificate-authority', ca, 'get', 'ns'], { kubeconfig: none })).toMatchObject({ code: 1, stderr: 'error: specifying a root certificates file with the insecure flag is not allowed\n' });
    // --server over a kubeconfig keeps its credentials; --token over them replaces its token.
    expect(await cli(['--server', url, 'get', 'ns', 'default', '-o', 'name'])).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    expect(await cli(['--token', 'not-a-valid-token', 'get', 'ns'])).toMatchObject({ code: 1, stderr: 'error: You must be logged in to the server (Unauthorized)\n' });

    // --user and --cluster pick other entries of the kubeconfig than the context's.
    const nobodyToken = createUserToken(join(t.dir, 'data'), 'flags-nobody');
    const two = write('two-users.yaml', `apiVersion: v1\nkind: Config\nclusters:\n- name: real\n  cluster:\n    server: ${url}\n    certificate-authority: ${ca}\n- name: gone\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: gone\n    user: nobody\ncurrent-context: c\nusers:\n- name: nobody\n  user:\n    token: ${nobodyToken}\n- name: admin\n  user:\n    token: ${token}\n`);
    expect(await cli(['get', 'ns', 'default', '-o', 'name', '--cluster', 'real', '--user', 'admin'], { kubeconfig: two })).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    const asNobody = await cli(['get', 'ds', '--cluster=real'], { kubeconfig: two });
    expect(asNobody.code).toBe(1);
    expect(asNobody.stderr).toContain('User "flags-nobody" cannot list resource "daemonsets"');
    expect(await cli(['get', 'ns', '--cluster', 'real', '--user', 'missing'], { kubeconfig: two })).toMatchObject({ code: 1, stderr: `error: kubeconfig ${two}: user "missing" not found\n` });

    // --as: the admin acts as another user (403 as that user), or as a member of a group.
    const imp = await cli(['get', 'ds', '--as', 'flags-someone']);
    expect(imp.code).toBe(1);
    expect(imp.stderr).toContain('daemonsets.apps is forbidden: User "flags-someone" cannot list resource "daemonsets" in API group "apps" in the namespace "default"');
    expect(await cli(['get', 'ns', 'default', '-o', 'name', '--as', 'flags-someone', '--as-group', 'system:masters'])).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    expect(await cli(['get', 'ns', '--as-group', 'system:masters'])).toMatchObject({ code: 1, stderr: 'error: --as-group and --as-uid need --as: impersonating groups or a uid without a user is not allowed\n' });

    // -v 6: one line per exchange on stderr; the output is unchanged.
    const verbose = await cli(['-v', '6', 'get', 'ns', 'default', '-o', 'name']);
    expect(verbose).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    expect(verbose.stderr).toMatch(new RegExp(`^GET ${url.replace(/[.]/g, '\\.')}/api/v1/namespaces/default 200 OK in \\d+ milliseconds$`, 'm'));
    expect((await cli(['--v=2', 'get', 'ns', 'default', '-o', 'name'])).stderr).toBe('');
    expect(await cli(['-v', 'loud', 'get', 'ns'])).toMatchObject({ code: 1, stderr: 'error: invalid argument "loud" for "-v, --v" flag: a log level is a whole number (6 and up print each request)\n' });

    // --warnings-as-errors: the object is still written, the warning printed, and the run fails.
    const warned = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: flags-warned\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/c: runtime/default\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n`;
    const strict = await cli(['apply', '-f', '-', '--warnings-as-errors'], { input: warned });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('pod/flags-warned created\n');
    expect(strict.stderr).toMatch(/^Warning: metadata\.annotations\[container\.apparmor\.security\.beta\.kubernetes\.io\/c\]: .*\nerror: 1 warning received\n$/);
    expect(await cli(['delete', 'pod', 'flags-warned', '--wait=false'])).toMatchObject({ code: 0 });
  });
});
