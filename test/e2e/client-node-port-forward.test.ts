// @kubernetes/client-node's `k8s.PortForward` against `everynode up --nodes 1` (the built binary):
// it speaks the kubelet's WebSocket channel protocol (v4.channel.k8s.io), which the API server
// serves itself and bridges to the pod's agent, as kubectl's SPDY paths are.
//
// - A daemon (an echo server with a greeting, on its node's address) is reached through a local
//   net.Server piping each socket into portForward(ns, pod, [port], socket, null, socket), as
//   client-node's examples do: the greeting arrives unasked, megabytes come back intact, and the
//   client going away ends the daemon's connection.
// - Nothing listening: the error channel carries the agent's reason and the WebSocket closes.
// - The protocol on the wire (a raw `ws` client): the port as 2 bytes little-endian opening both
//   channels, the base64 variant, the `ports` query checked before the upgrade, RBAC (the create
//   of pods/portforward) and the audit line (code 101) as for kubectl's paths.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'isomorphic-ws';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { apiClients, type ApiClients } from '../helpers/kube.js';
import { everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor, withDeadline } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-pf-channels-${randomBytes(4).toString('hex')}`;
const NODE_ADDRESS = '127.0.1.1'; // node-1 of `everynode up`
let up: SpawnedProcess;
let dataDir = '';
let kubeconfig = '';
let api: ApiClients;
let podName = '';
let daemonPort = 0;

/** A port nothing listens on at the node's address nor at 127.0.0.1 (the agent tries both). */
async function freePort(): Promise<number> {
  const tryBind = (host: string, port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, host, () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryBind(NODE_ADDRESS, 0);
    if (port !== undefined && (await tryBind('127.0.0.1', port)) !== undefined) return port;
  }
  throw new Error(`no port free on ${NODE_ADDRESS} and 127.0.0.1`);
}

/** The daemon: greets each connection with its node's name, echoes what it gets, logs how many bytes a connection carried when it closes. */
const ECHO_DAEMON = [
  "const net=require('net');",
  'net.createServer((s)=>{let n=0;s.on("error",()=>{});s.write("hello from "+process.env.NODE_NAME+"\\n");',
  's.on("data",(d)=>{n+=d.length;});s.on("close",()=>console.log("closed after "+n+" bytes"));s.pipe(s);})',
  '.listen(Number(process.env.PORT),process.env.HOST_IP,()=>console.log("listening"));',
].join('');

async function podLog(): Promise<string> {
  return api.core.readNamespacedPodLog({ name: podName, namespace: 'default' });
}

/** Forwards every connection to a local server through client-node's PortForward, as its examples do. */
async function localForwarder(port: number, onWebSocket: (ws: WebSocket) => void): Promise<Server> {
  const forward = new k8s.PortForward(api.kc);
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    forward.portForward('default', podName, [port], socket, null, socket).then(
      (ws) => {
        if (typeof ws !== 'function') onWebSocket(ws as WebSocket);
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  cleanup.defer(() => new Promise<void>((ok) => server.close(() => ok())), 'local forwarder');
  return server;
}

/** A WebSocket to the pods/portforward of the daemon's pod with the admin's credentials, offering `protocols`. */
async function rawWebSocket(query: string, protocols: string[], headers: Record<string, string> = {}): Promise<WebSocket> {
  const server = api.kc.getCurrentCluster()!.server.replace(/^https:/, 'wss:');
  const opts: { headers?: Record<string, string> } = {};
  await api.kc.applyToHTTPSOptions(opts);
  opts.headers = { ...opts.headers, ...headers };
  return new WebSocket(`${server}/api/v1/namespaces/default/pods/${podName}/portforward${query}`, protocols, opts);
}

/** Resolves with the WebSocket once open, or with the HTTP status the upgrade was refused with. */
function opened(ws: WebSocket): Promise<{ open: true } | { status: number; body: string }> {
  return new Promise((ok, fail) => {
    ws.on('open', () => ok({ open: true }));
    ws.on('unexpected-response', (_req: unknown, res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (err: Error) => fail(err));
  });
}

beforeAll(async () => {
  dataDir = makeTempDir(cleanup, 'pf-channels');
  cleanup.defer(() => killPidsWith(mark), 'daemon processes');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1', '--dashboard', 'off'], { cwd: repoRoot });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  kubeconfig = m[2]!;
  api = apiClients(kubeconfig);
  await waitFor(() => /node node-1: InternalIP 127\.0\.1\.1/.test(up.output()), { message: `node-1 started; output:\n${up.output()}` });

  daemonPort = await freePort();
  await api.apps.createNamespacedDaemonSet({
    namespace: 'default',
    body: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'echo' },
      spec: {
        selector: { matchLabels: { app: 'echo' } },
        template: {
          metadata: { labels: { app: 'echo' } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'echo',
                image: 'echo',
                command: ['node', '-e', ECHO_DAEMON, mark],
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
                  { name: 'PORT', value: String(daemonPort) },
                ],
              },
            ],
          },
        },
      },
    },
  });
  podName = await waitFor(async () => {
    const pods = (await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=echo' })).items;
    const p = pods.find((x) => x.status?.phase === 'Running');
    return p?.metadata?.name;
  }, { timeoutMs: 40_000, message: 'the echo daemon pod Running' });
  await waitFor(async () => (await podLog()).includes('listening'), { timeoutMs: 20_000, message: 'the echo daemon listening' });
  expect(pidsWith(mark).length).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('@kubernetes/client-node PortForward (WebSocket channel protocol)', () => {
  it('reaches a daemon\'s port through a local server: its greeting, megabytes echoed intact, and the end of the connection', async () => {
    const sockets: WebSocket[] = [];
    const local = await localForwarder(daemonPort, (ws) => sockets.push(ws));
    const payload = randomBytes(2 * 1024 * 1024);
    const greeting = Buffer.from('hello from node-1\n');

    const client: Socket = connect((local.address() as AddressInfo).port, '127.0.0.1');
    cleanup.defer(() => {
      client.destroy();
    }, 'local client');
    const chunks: Buffer[] = [];
    let received = 0;
    client.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
    });
    // The daemon speaks first: its greeting comes without the client sending anything.
    await waitFor(() => received >= greeting.length, { timeoutMs: 15_000, message: 'the daemon\'s greeting' });
    expect(Buffer.concat(chunks).subarray(0, greeting.length).toString()).toBe(greeting.toString());

    client.write(payload);
    await waitFor(() => received >= greeting.length + payload.length, { timeoutMs: 30_000, message: `the echo (${received} bytes so far)` });
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(greeting.length + payload.length);
    expect(all.subarray(greeting.length).equals(payload)).toBe(true);

    // The client going away closes the WebSocket (client-node's v4 has no half close), and the
    // server then ends the daemon's connection, which saw every byte.
    const ws = await waitFor(() => sockets[0], { message: 'the WebSocket of client-node' });
    const closed = new Promise<number>((ok) => ws.on('close', (code: number) => ok(code)));
    client.end();
    await withDeadline(closed, 15_000, 'the WebSocket closing');
    await waitFor(async () => (await podLog()).includes(`closed after ${payload.length} bytes`), { timeoutMs: 15_000, message: 'the daemon\'s connection ending' });

    // A second connection through the same local server works too.
    const again = await new Promise<string>((ok, fail) => {
      const c = connect((local.address() as AddressInfo).port, '127.0.0.1');
      let text = '';
      c.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('ping')) {
          c.destroy();
          ok(text);
        } else if (text.includes('\n')) c.write('ping');
      });
      c.on('error', fail);
    });
    expect(again).toBe('hello from node-1\nping');
  }, 90_000);

  it('nothing listening: the error channel carries the agent\'s reason, then the WebSocket closes', async () => {
    const port = await freePort();
    const errText: Buffer[] = [];
    const outText: Buffer[] = [];
    const sink = (into: Buffer[]) =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          into.push(chunk);
          done();
        },
      });
    const input = new PassThrough();
    cleanup.defer(() => {
      input.destroy();
    }, 'port-forward input');
    const ws = (await new k8s.PortForward(api.kc).portForward('default', podName, [port], sink(outText), sink(errText), input)) as WebSocket;
    const closed = await withDeadline(new Promise<number>((ok) => ws.on('close', (code: number) => ok(code))), 15_000, 'the WebSocket closing');
    expect(closed).toBe(1000);
    const err = Buffer.concat(errText).toString();
    expect(err).toContain(`error forwarding port ${port} to pod default/${podName}: failed to connect to port ${port}`);
    expect(err).toContain('ECONNREFUSED');
    expect(Buffer.concat(outText).length).toBe(0);
  }, 30_000);

  it('on the wire: the port opens both channels (binary and base64), `ports` is required, RBAC and audit as for kubectl', async () => {
    const le = Buffer.alloc(2);
    le.writeUInt16LE(daemonPort);

    // Binary (v4.channel.k8s.io, chosen over v5 which port-forward does not speak): [channel, ...bytes].
    const bin = await rawWebSocket(`?ports=${daemonPort}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    const binMessages: Buffer[] = [];
    bin.on('message', (d: Buffer) => binMessages.push(Buffer.from(d)));
    expect(await opened(bin)).toEqual({ open: true });
    expect(bin.protocol).toBe('v4.channel.k8s.io');
    await waitFor(() => binMessages.length >= 3, { message: 'the port prefixes and the greeting' });
    expect(binMessages[0]).toEqual(Buffer.from([0, ...le]));
    expect(binMessages[1]).toEqual(Buffer.from([1, ...le]));
    expect(binMessages.slice(2).map((m) => m.subarray(1).toString()).join('')).toContain('hello from node-1');
    expect(binMessages.slice(2).every((m) => m[0] === 0)).toBe(true);
    bin.send(Buffer.concat([Buffer.from([0]), Buffer.from('abc')]));
    bin.send(Buffer.concat([Buffer.from([1]), Buffer.from('dropped: the error channel takes nothing')]));
    await waitFor(() => binMessages.slice(2).map((m) => m.subarray(1).toString()).join('').endsWith('abc'), { message: 'the echo of abc' });
    const binClosed = new Promise<number>((ok) => bin.on('close', (code: number) => ok(code)));
    bin.close();
    await withDeadline(binClosed, 10_000, 'the binary WebSocket closing');

    // Base64 (v4.base64.channel.k8s.io): text messages, the channel as an ASCII digit.
    const b64 = await rawWebSocket(`?ports=${daemonPort}`, ['v4.base64.channel.k8s.io']);
    const b64Messages: { text: string; binary: boolean }[] = [];
    b64.on('message', (d: Buffer, isBinary: boolean) => b64Messages.push({ text: Buffer.from(d).toString('utf8'), binary: isBinary }));
    expect(await opened(b64)).toEqual({ open: true });
    await waitFor(() => b64Messages.length >= 3, { message: 'the base64 port prefixes and the greeting' });
    expect(b64Messages.every((m) => !m.binary)).toBe(true);
    expect(b64Messages[0]!.text).toBe(`0${le.toString('base64')}`);
    expect(b64Messages[1]!.text).toBe(`1${le.toString('base64')}`);
    const decoded = () => b64Messages.slice(2).map((m) => Buffer.from(m.text.slice(1), 'base64').toString()).join('');
    await waitFor(() => decoded().includes('hello from node-1'), { message: 'the base64 greeting' });
    b64.send(`0${Buffer.from('xyz').toString('base64')}`);
    await waitFor(() => decoded().endsWith('xyz'), { message: 'the base64 echo of xyz' });
    b64.close();

    // The ports are checked before the upgrade.
    expect(await opened(await rawWebSocket('', ['v4.channel.k8s.io']))).toMatchObject({ status: 400, body: expect.stringContaining('query parameter \\"ports\\" is required') });
    expect(await opened(await rawWebSocket('?ports=0', ['v4.channel.k8s.io']))).toMatchObject({ status: 400, body: expect.stringContaining('unable to parse \\"0\\" as a port') });
    expect(await opened(await rawWebSocket(`?ports=${daemonPort}`, ['v5.channel.k8s.io']))).toMatchObject({ status: 400, body: expect.stringContaining('unsupported port-forward protocols') });

    // RBAC: reading pods is not enough; the create of pods/portforward is.
    const rbacRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pf-channels' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    await api.rbac.createNamespacedRole({ namespace: 'default', body: rbacRole });
    await api.rbac.createNamespacedRoleBinding({
      namespace: 'default',
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'pf-channels' }, subjects: [{ kind: 'User', name: 'pf-channels-user', apiGroup: 'rbac.authorization.k8s.io' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pf-channels' } },
    });
    const as = { 'Impersonate-User': 'pf-channels-user' };
    expect(await opened(await rawWebSocket(`?ports=${daemonPort}`, ['v4.channel.k8s.io'], as))).toMatchObject({
      status: 403,
      body: expect.stringContaining('User \\"pf-channels-user\\" cannot create resource \\"pods/portforward\\" in API group \\"\\" in the namespace \\"default\\"'),
    });
    await api.rbac.replaceNamespacedRole({ name: 'pf-channels', namespace: 'default', body: { ...rbacRole, rules: [...rbacRole.rules, { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }] } });
    const allowed = await waitFor(async () => {
      const ws = await rawWebSocket(`?ports=${daemonPort}`, ['v4.channel.k8s.io'], as);
      const r = await opened(ws);
      if ('open' in r) return ws;
      ws.terminate();
      return undefined;
    }, { message: 'pf-channels-user allowed to forward' });
    const allowedClosed = new Promise<void>((ok) => allowed.on('close', () => ok()));
    allowed.close();
    await withDeadline(allowedClosed, 10_000, 'the allowed WebSocket closing');

    // Audited as the create of pods/portforward, code 101, as the impersonated user.
    await waitFor(() => {
      const lines = readFileSync(join(dataDir, 'audit', 'audit.log'), 'utf8').split('\n').filter(Boolean);
      return lines
        .map((l) => JSON.parse(l) as { verb: string; objectRef?: { subresource?: string; name?: string }; responseStatus: { code: number }; impersonatedUser?: { username: string } })
        .some((e) => e.verb === 'create' && e.objectRef?.subresource === 'portforward' && e.objectRef.name === podName && e.responseStatus.code === 101 && e.impersonatedUser?.username === 'pf-channels-user');
    }, { timeoutMs: 15_000, message: 'the audit line of the allowed port-forward' });
  }, 90_000);
});
