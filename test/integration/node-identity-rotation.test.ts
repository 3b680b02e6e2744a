// Node identity rotation against a real API server over HTTPS: a registered agent renews its
// client and serving certificates through POST /everynode/v1/renew with its current
// certificate, stores them, and goes on working with them (API calls and its own HTTPS
// endpoint); nobody but a node may call the endpoint.
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { FakeRuntime, startAgent, startIdentityRotation, type RunningAgent } from '../../src/agent/index.js';
import { ensurePki, issueServingCert, loadNodeIdentity, RENEW_PATH, renewNodeIdentity, storeNodeIdentity, type NodeIdentity } from '../../src/auth/index.js';
import { HttpTransport, RestClient, nodesResource } from '../../src/client/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { credentialsFromKubeconfig, httpRequest, registerServer } from '../helpers/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let server: RunningServer;
let agent: RunningAgent;
let transport: HttpTransport;
let dataDir = '';
let original: NodeIdentity;
let serverDir = '';
const nodeName = 'rot-node';

/** The certificate the agent's HTTPS endpoint presents, as PEM-equivalent fingerprint. */
function presentedFingerprint(port: number, id: NodeIdentity): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: id.caPem, cert: id.certPem, key: id.keyPem, servername: nodeName, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.end();
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  const dir = makeTempDir(cleanup, 'everynode-rotation-');
  serverDir = dir;
  server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', controllers: false });
  cleanup.defer(() => server.close());
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
  dataDir = makeTempDir(cleanup, 'everynode-rotation-node-');
  original = await server.issueNodeIdentity(nodeName, ['127.0.0.1']);
  storeNodeIdentity(dataDir, original);
  transport = new HttpTransport({ server: server.url, ca: original.caPem, cert: original.certPem, key: original.keyPem });
  cleanup.defer(() => transport.destroy());
  agent = await startAgent({
    client: new RestClient(transport.request),
    nodeName,
    nodeIP: '127.0.0.1',
    dataDir,
    runtime: new FakeRuntime(),
    port: 0,
    logger: silentLogger,
    tls: { certPem: original.servingCertPem, keyPem: original.servingKeyPem, caPem: original.caPem },
  });
  cleanup.defer(() => agent.stop({ stopPods: true }));
  await agent.ready();
});

afterAll(() => cleanup.run());

describe('node identity rotation', () => {
  it('renews when due, stores the new identity first, and switches the API client and the endpoint to it', async () => {
    expect(await presentedFingerprint(agent.port, original)).toBe(new X509Certificate(original.servingCertPem).fingerprint256);
    const rotated: NodeIdentity[] = [];
    const rotation = startIdentityRotation({
      server: server.url,
      identity: original,
      dataDir,
      logger: silentLogger,
      // Due at once (a whole lifetime "remains to be renewed"), then not checked again here.
      renewBeforeFraction: 1,
      checkIntervalMs: 3_600_000,
      onRotated: (id) => {
        // Already on disk when the agent is told.
        expect(loadNodeIdentity(dataDir)?.certPem).toBe(id.certPem);
        rotated.push(id);
        transport.setCredentials({ cert: id.certPem, key: id.keyPem }, 0);
        agent.setServingCertificate(id.servingCertPem, id.servingKeyPem);
      },
    });
    cleanup.defer(() => rotation.stop());
    await waitFor(() => rotated.length === 1, { timeoutMs: 10_000, message: 'one renewal' });
    const next = rotated[0]!;
    const [a, b] = [new X509Certificate(original.certPem), new X509Certificate(next.certPem)];
    expect(b.serialNumber).not.toBe(a.serialNumber);
    expect(b.subject).toContain(`CN=system:node:${nodeName}`);
    expect(b.subject).toContain('O=system:nodes');
    expect(b.checkIssued(new X509Certificate(next.caPem))).toBe(true);
    expect(next.caPem).toBe(original.caPem);
    // The serving certificate names the node and the addresses its Node object reports.
    const serving = new X509Certificate(next.servingCertPem);
    expect(serving.subjectAltName).toContain(`DNS:${nodeName}`);
    expect(serving.subjectAltName).toContain('IP Address:127.0.0.1');

    // The API client goes on with the new certificate, the endpoint presents the new one.
    const node = await new RestClient(transport.request).get(nodesResource, '', nodeName);
    expect(node.metadata.name).toBe(nodeName);
    expect(await presentedFingerprint(agent.port, next)).toBe(serving.fingerprint256);
    expect(rotation.current()).toBe(next);
    expect(await rotation.check()).toBe(true); // still "due" with fraction 1: renews again
  });

  it('replaces at once a serving certificate of an earlier version, signed by the cluster CA, with one of the node serving CA', async () => {
    const pki = await ensurePki(serverDir);
    // What an agent of an earlier version holds: its serving certificate from the cluster CA.
    const old = await issueServingCert({ nodeServingCaCert: pki.caCert, nodeServingCaKey: pki.caKey }, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], sans: [nodeName], days: 365 });
    const legacy: NodeIdentity = { ...original, servingCertPem: old.certPem, servingKeyPem: old.keyPem };
    expect(new X509Certificate(legacy.servingCertPem).checkIssued(new X509Certificate(legacy.caPem))).toBe(true);
    const rotated: NodeIdentity[] = [];
    const rotation = startIdentityRotation({ server: server.url, identity: legacy, dataDir, logger: silentLogger, checkIntervalMs: 3_600_000, onRotated: (id) => rotated.push(id) });
    cleanup.defer(() => rotation.stop());
    await waitFor(() => rotated.length === 1, { timeoutMs: 10_000, message: 'the serving certificate replaced' });
    const serving = new X509Certificate(rotated[0]!.servingCertPem);
    expect(serving.checkIssued(new X509Certificate(pki.nodeServingCaCertPem))).toBe(true);
    expect(serving.checkIssued(new X509Certificate(pki.caCertPem))).toBe(false);
    // Its client certificate was not due: only that one renewal.
    expect(await rotation.check()).toBe(false);
  });

  it('renews with the next server when the first cannot answer', async () => {
    const rotated: NodeIdentity[] = [];
    // A port nothing listens on stands for a decommissioned first server.
    const rotation = startIdentityRotation({
      server: 'https://127.0.0.1:1',
      otherServers: [server.url],
      identity: original,
      dataDir,
      logger: silentLogger,
      renewBeforeFraction: 1,
      checkIntervalMs: 3_600_000,
      onRotated: (id) => rotated.push(id),
    });
    cleanup.defer(() => rotation.stop());
    await waitFor(() => rotated.length === 1, { timeoutMs: 10_000, message: 'a renewal through the second server' });
    expect(new X509Certificate(rotated[0]!.certPem).serialNumber).not.toBe(new X509Certificate(original.certPem).serialNumber);
  });

  it('is refused to anyone but a node: an admin gets 403, anonymous 401, GET 405', async () => {
    const admin = await httpRequest(server.url + RENEW_PATH, { method: 'POST', body: '{}' });
    expect(admin.status).toBe(403);
    expect((admin.json as { message: string }).message).toContain('only a node renews its own');
    expect((await httpRequest(server.url + RENEW_PATH, { method: 'POST', body: '{}', anonymous: true })).status).toBe(401);
    const get = await httpRequest(server.url + RENEW_PATH, { cert: original.certPem, key: original.keyPem });
    expect(get.status).toBe(405);
    await expect(renewNodeIdentity(server.url, { ...original, certPem: original.servingCertPem, keyPem: original.servingKeyPem })).rejects.toThrow(/renewal refused by the server \((401|403)\)/);
  });
});
