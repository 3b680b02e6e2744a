// YAML bodies are read as kube-apiserver reads them (sigs.k8s.io/yaml: YAML 1.1 values), both
// in parseYamlText and through a real server: a server-side apply patch
// (application/apply-patch+yaml) or an application/yaml body with `defaultMode: 0644` stores 420.
// Bodies that stop arriving end with upstream's 504 Timeout and a closed connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './index.js';
import { createServer as createHttpServer } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import type { ApiError } from '../api/errors.js';
import { MAX_YAML_NESTING_DEPTH, maxBodyBytes, parseYamlText, readBody, sendJson, sendStatus } from './http.js';
import { createLogger } from '../util/logger.js';
import { credentialsFromKubeconfig, registerServer } from '../../test/helpers/auth.js';
import { Cleanup } from '../../test/helpers/cleanup.js';
import { apiCaller } from '../../test/helpers/http.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

describe('parseYamlText', () => {
  it('reads YAML 1.1 values: octal file modes, yes/on, timestamps as strings', () => {
    expect(parseYamlText('defaultMode: 0644\nmode: 0400\nhex: 0x1F\nflag: yes\nsw: off\nts: 2024-01-01T00:00:00Z\nquoted: "0644"\n').value).toEqual({
      defaultMode: 420,
      mode: 256,
      hex: 31,
      flag: true,
      sw: false,
      ts: '2024-01-01T00:00:00Z',
      quoted: '0644',
    });
  });

  it('keeps the errors and limits: malformed YAML, nesting, .inf; repeated keys are reported, the last value kept', () => {
    expect(() => parseYamlText('a: [1')).toThrow(/^Flow sequence in block collection must be sufficiently indented and end with a \] at line 1, column 6/);
    expect(() => parseYamlText('data:\n  ? [a, b]\n  : x\n')).toThrow('yaml: invalid map key: ["a","b"]');
    // go-yaml's strict errors, depth first in document order.
    expect(parseYamlText('a: 1\nb:\n  c: 1\n  c: 2\na: 3\n')).toEqual({ value: { a: 3, b: { c: 2 } }, duplicates: ['line 4: key "c" already set in map', 'line 5: key "a" already set in map'] });
    expect(() => parseYamlText(`a: ${'['.repeat(MAX_YAML_NESTING_DEPTH)}${']'.repeat(MAX_YAML_NESTING_DEPTH)}`)).toThrow(`nesting depth exceeds the limit of ${MAX_YAML_NESTING_DEPTH}`);
    expect(() => parseYamlText('a: .inf')).toThrow(/^json: unsupported value: \+Inf/);
  });

  it('reads JSON (kubectl sends apply patches as JSON) unchanged', () => {
    const o = { spec: { volumes: [{ name: 'v', configMap: { name: 'c', defaultMode: 420 } }] }, data: { a: '0644', b: 'yes' } };
    expect(parseYamlText(JSON.stringify(o))).toEqual({ value: o, duplicates: [] });
  });
});

describe('YAML bodies against the server', () => {
  const cleanup = new Cleanup();
  let server: RunningServer;
  const call = apiCaller(() => server.url);

  beforeAll(async () => {
    server = await startServer({
      dataDir: makeTempDir(cleanup, 'http-yaml'),
      listen: '127.0.0.1:0',
      compaction: false,
      controllers: false,
      logger: createLogger({ name: 'apiserver', level: 'error' }),
    });
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
  });

  afterAll(async () => {
    await server?.close();
    await cleanup.run();
  });

  const daemonSet = (name: string, mode: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  annotations:
    flag: "yes"
    created: "2024-01-01T00:00:00Z"
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: busybox
        tty: yes
        volumeMounts: [{name: cfg, mountPath: /etc/cfg}]
      volumes:
      - name: cfg
        configMap:
          name: cfg
          defaultMode: ${mode}
          items:
          - {key: k, path: k, mode: 0400}
`;

  it('stores defaultMode: 0644 of a server-side apply patch as 420', async () => {
    const path = '/apis/apps/v1/namespaces/default/daemonsets/yaml-apply?fieldManager=test';
    const r = await call('PATCH', path, daemonSet('yaml-apply', '0644'), 'application/apply-patch+yaml');
    expect(r.status, r.text).toBe(201);
    const stored = (await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/yaml-apply')).body;
    expect(stored.spec.template.spec.volumes[0].configMap).toEqual({ name: 'cfg', defaultMode: 420, items: [{ key: 'k', path: 'k', mode: 256 }] });
    expect(stored.spec.template.spec.containers[0].tty).toBe(true);
    expect(stored.metadata.annotations).toMatchObject({ flag: 'yes', created: '2024-01-01T00:00:00Z' });
  });

  it('stores defaultMode: 0400 of an application/yaml body as 256', async () => {
    const r = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', daemonSet('yaml-create', '0400'), 'application/yaml');
    expect(r.status, r.text).toBe(201);
    expect(r.body.spec.template.spec.volumes[0].configMap.defaultMode).toBe(256);
  });

  it("pretty-prints JSON for ?pretty=true and for curl, Wget and browsers, as upstream's isPrettyPrint; not for other clients", async () => {
    const path = '/api/v1/namespaces/default';
    const compact = await call('GET', path);
    expect(compact.text.startsWith('{"'), compact.text.slice(0, 40)).toBe(true);
    for (const [q, ua] of [['?pretty=true', 'kubectl/v1.32.0'], ['?pretty=1', undefined], ['', 'curl/8.5.0'], ['', 'Wget/1.21'], ['', 'Mozilla/5.0 (X11; Linux x86_64)']] as const) {
      const r = await call('GET', path + q, undefined, undefined, ua ? { 'user-agent': ua } : {});
      expect(r.text.startsWith('{\n  "'), `${q} ${ua}`).toBe(true);
      expect(r.body).toEqual(compact.body);
    }
    // pretty=false wins over the agent; a Status is pretty too.
    expect((await call('GET', `${path}?pretty=false`, undefined, undefined, { 'user-agent': 'curl/8.5.0' })).text.startsWith('{"')).toBe(true);
    expect((await call('GET', '/api/v1/namespaces/nope', undefined, undefined, { 'user-agent': 'curl/8.5.0' })).text.startsWith('{\n  "kind": "Status",')).toBe(true);
  });

  it('answers 400 for malformed YAML with the parser message', async () => {
    const r = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/bad?fieldManager=test', 'a: [1', 'application/apply-patch+yaml');
    expect(r.status, r.text).toBe(400);
    expect(r.body.message).toMatch(/^error decoding patch: Flow sequence in block collection must be sufficiently indented/);
  });
});

describe('readBody deadline', () => {
  it('a body that stops arriving gets a 504 Timeout Status and the connection is closed (the rest is never read)', async () => {
    const srv = createHttpServer((req, res) => {
      readBody(req, maxBodyBytes, 300).then(
        (text) => sendJson(res, 200, JSON.stringify({ text })),
        (err: ApiError) => sendStatus(res, err),
      );
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const talk = (payload: string, stall: boolean): Promise<{ text: string; afterMs: number }> =>
        new Promise((resolve) => {
          const sock = createConnection({ host: '127.0.0.1', port }, () => sock.write(payload));
          const t0 = Date.now();
          let text = '';
          sock.on('data', (c: Buffer) => {
            text += c.toString();
            if (!stall) sock.end();
          });
          sock.on('error', () => undefined);
          sock.on('close', () => resolve({ text, afterMs: Date.now() - t0 }));
        });
      const stalled = await talk('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a"', true);
      expect(stalled.text).toMatch(/^HTTP\/1\.1 504/);
      expect(stalled.text).toMatch(/connection: close/i);
      expect(JSON.parse(stalled.text.slice(stalled.text.indexOf('\r\n\r\n') + 4))).toMatchObject({
        kind: 'Status',
        code: 504,
        reason: 'Timeout',
        message: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
      });
      expect(stalled.afterMs).toBeLessThan(5_000);
      const whole = await talk('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', false);
      expect(whole.text).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
});

describe('readBody of a client that goes away', () => {
  it('rejects with a 400 ApiError (the client input), not Node\'s raw `aborted` error, which was answered 500 and logged as a server bug', async () => {
    let settled: (v: unknown) => void = () => undefined;
    const outcome = new Promise((r) => (settled = r));
    const srv = createHttpServer((req) => {
      readBody(req, maxBodyBytes, 10_000).then(settled, settled);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"partial": ');
        setTimeout(() => sock.destroy(), 100);
      });
      sock.on('error', () => undefined);
      const err = (await outcome) as ApiError;
      expect(err).toMatchObject({ code: 400, reason: 'BadRequest' });
      expect(err.message).toMatch(/^the request body could not be read: /);
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
});
