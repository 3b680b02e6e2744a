// Checks the generated OpenAPI v3 documents with the real kubectl: `explain` renders them, and
// `apply` detects server-side field validation from the PATCH operation (it then sends
// fieldValidation=Strict and never asks for /openapi/v2). The HTTP server here only serves
// discovery and the documents under test, plus a 404/201 for the applied object; it stands in
// for no part of everynode's apiserver. Skipped when kubectl is not installed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenAPIV3 } from './index.js';

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 30000 });
    return true;
  } catch {
    return false;
  }
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const kubectlFound = hasKubectl();
if (!kubectlFound) console.warn('[skip] OpenAPI v3 documents with kubectl: no `kubectl` on PATH');

describe.skipIf(!kubectlFound)('OpenAPI v3 documents with kubectl', () => {
  let server: Server;
  let dir: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const apps = buildOpenAPIV3('apps/v1', [
      { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, subresources: ['status'], verbs },
    ]);
    const core = buildOpenAPIV3('v1', [
      // With their proxies' connect operations, as the server documents them.
      { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, subresources: ['status'], connect: [{ subresource: 'proxy', optionsKind: 'PodProxyOptions' }], verbs },
      { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, subresources: ['status'], connect: [{ subresource: 'proxy', optionsKind: 'NodeProxyOptions' }], verbs },
    ]);
    const routes: Record<string, unknown> = {
      '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' },
      '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
      '/apis': {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
      },
      '/api/v1': {
        kind: 'APIResourceList', groupVersion: 'v1', resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs, shortNames: ['po'] },
          { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs, shortNames: ['no'] },
        ],
      },
      '/apis/apps/v1': {
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1',
        resources: [{ name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', verbs, shortNames: ['ds'] }],
      },
      '/openapi/v3': { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=A1' }, 'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=B2' } } },
      '/openapi/v3/api/v1': core,
      '/openapi/v3/apis/apps/v1': apps,
    };
    server = createServer((req, res) => {
      const url = req.url ?? '';
      const path = url.split('?')[0]!;
      seen.push(`${req.method} ${url}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && path === '/apis/apps/v1/namespaces/default/daemonsets') {
        let data = '';
        req.on('data', (c: Buffer) => (data += c.toString()));
        req.on('end', () => send(201, { ...JSON.parse(data), metadata: { name: 'x', namespace: 'default', uid: 'u1', resourceVersion: '1' } }));
        return;
      }
      const body = routes[path];
      if (body === undefined) {
        send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
        return;
      }
      send(200, body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'schema-kubectl-'));
    writeFileSync(join(dir, 'config'), [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'contexts: [{name: c, context: {cluster: c, namespace: default}}]', 'current-context: c', '',
    ].join('\n'));
  });

  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Async on purpose: the stub server lives in this process and must keep serving.
  const kubectl = (args: string[]) =>
    new Promise<{ ok: boolean; out: string }>((resolve) => {
      execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: join(dir, 'config'), HOME: dir }, encoding: 'utf8', timeout: 60000 },
        (err, stdout, stderr) => resolve({ ok: !err, out: stdout + stderr }));
    });

  it('explain renders nested types, lists and required fields', async () => {
    const c = await kubectl(['explain', 'ds.spec.template.spec.containers']);
    expect(c.ok, c.out).toBe(true);
    expect(c.out).toContain('FIELD: containers <[]Container>');
    expect(c.out).toMatch(/name\t<string> -required-/);
    expect(c.out).toMatch(/env\t<\[\]EnvVar>/);
    const n = await kubectl(['explain', 'nodes.spec', '--recursive']);
    expect(n.ok, n.out).toBe(true);
    expect(n.out).toMatch(/taints\t<\[\]Taint>/);
    const p = await kubectl(['explain', 'pods.spec.volumes.projected.sources']);
    expect(p.out).toMatch(/serviceAccountToken\t<ServiceAccountTokenProjection>/);
    const m = await kubectl(['explain', 'pods.spec.nodeSelector']);
    expect(m.out).toContain('FIELD: nodeSelector <map[string]string>');
  }, 120000);

  it('apply detects fieldValidation support from the PATCH operation', async () => {
    const file = join(dir, 'ds.yaml');
    writeFileSync(file, [
      'apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: x}',
      'spec:', '  selector: {matchLabels: {app: x}}', '  template:', '    metadata: {labels: {app: x}}',
      '    spec: {containers: [{name: c, image: busybox}]}', '',
    ].join('\n'));
    seen.length = 0;
    const r = await kubectl(['apply', '-f', file]);
    expect(r.ok, r.out + seen.join('\n')).toBe(true);
    const post = seen.find((s) => s.startsWith('POST /apis/apps/v1/namespaces/default/daemonsets'));
    expect(post, seen.join('\n')).toMatch(/fieldValidation=Strict/);
    expect(seen.some((s) => s.includes('/openapi/v2'))).toBe(false);
  }, 120000);
});
