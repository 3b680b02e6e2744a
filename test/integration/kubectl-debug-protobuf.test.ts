// Pods sent as protobuf (application/vnd.kubernetes.protobuf): kubectl 1.32 and 1.33 create the
// pods of `kubectl debug node/N` and `kubectl debug POD --copy-to` that way, with no JSON
// fallback on a 415. The real API server (startServer, SQLite, HTTPS with the admin credentials).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeProtobufObject } from '../../src/apiserver/protobuf.js';
import { Cleanup } from '../helpers/cleanup.js';
import { apiCaller, httpRequest } from '../helpers/http.js';
import { runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { useTestServer } from '../helpers/server.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup);
const call = apiCaller(() => server.url);

async function ensureNode(name: string): Promise<void> {
  const r = await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  expect([201, 409], r.text).toContain(r.status);
}

async function podsOn(node: string): Promise<any[]> {
  const r = await call('GET', `/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D${node}`);
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}

describe('protobuf Pod bodies', () => {
  it('creates a Pod from a protobuf body (the shape of kubectl debug node/N)', async () => {
    await ensureNode('pb-node');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pb-debugger' },
      spec: {
        volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
        containers: [
          { name: 'debugger', image: 'busybox', command: ['true'], stdin: true, tty: true, volumeMounts: [{ name: 'host-root', mountPath: '/host' }], securityContext: { privileged: true } },
        ],
        restartPolicy: 'Never',
        nodeName: 'pb-node',
        hostNetwork: true,
        hostPID: true,
        hostIPC: true,
        tolerations: [{ operator: 'Exists' }],
      },
    };
    const r = await httpRequest(server.url + '/api/v1/namespaces/default/pods', { method: 'POST', body: encodeProtobufObject(pod, '/Pod'), contentType: 'application/vnd.kubernetes.protobuf' });
    expect(r.status, r.text).toBe(201);
    const got = (await call('GET', '/api/v1/namespaces/default/pods/pb-debugger')).body;
    // With the API token's volume the ServiceAccount admission adds, as upstream.
    expect(got.spec).toMatchObject({ ...pod.spec, containers: [expect.anything()], volumes: [{ name: 'host-root', hostPath: { path: '/', type: '' } }, { name: expect.stringMatching(/^kube-api-access-/) }] });
    expect(got.spec.containers[0].volumeMounts).toEqual([{ name: 'host-root', mountPath: '/host' }, { name: got.spec.volumes[1].name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    expect(got.spec.containers[0]).toMatchObject({ stdin: true, tty: true, securityContext: { privileged: true }, resources: {} });
  });

  for (const minor of [32, 33]) {
    const binary = versionedKubectl(minor);
    it.skipIf(!binary)(`kubectl 1.${minor} debug node/N and debug POD --copy-to create their pods`, async () => {
      const node = `dbg-node-${minor}`;
      await ensureNode(node);
      const target = { kubeconfig: server.ts.server.kubeconfigPath, cacheDir: join(server.ts.dataDir, `kube-cache-1.${minor}`) };
      const dbg = await runKubectl(target, ['debug', `node/${node}`, '--image=busybox', '--profile=sysadmin', '--', 'true'], { binary: binary! });
      expect(dbg.code, dbg.stderr).toBe(0);
      const pods = await podsOn(node);
      expect(pods).toHaveLength(1);
      expect(pods[0].metadata.name).toMatch(new RegExp(`^node-debugger-${node}-`));
      expect(pods[0].spec).toMatchObject({ nodeName: node, hostPID: true, hostNetwork: true, hostIPC: true, restartPolicy: 'Never', tolerations: [{ operator: 'Exists' }] });
      expect(pods[0].spec.volumes).toEqual([{ name: 'host-root', hostPath: { path: '/', type: '' } }, expect.objectContaining({ name: expect.stringMatching(/^kube-api-access-/) })]);
      expect(pods[0].spec.containers[0]).toMatchObject({ name: 'debugger', image: 'busybox', command: ['true'], securityContext: { privileged: true }, resources: {} });

      // --copy-to sends the copied pod's whole (defaulted) spec.
      const src = `copy-src-${minor}`;
      const made = await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: src }, spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '100m' } } }] } });
      expect(made.status, made.text).toBe(201);
      const copy = await runKubectl(target, ['debug', src, `--copy-to=${src}-copy`, '--image=busybox', '--', 'true'], { binary: binary! });
      expect(copy.code, copy.stderr).toBe(0);
      const copied = (await call('GET', `/api/v1/namespaces/default/pods/${src}-copy`)).body;
      expect(copied.spec.containers).toHaveLength(2);
      expect(copied.spec.containers[0]).toMatchObject({ name: 'c', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '100m' }, requests: { cpu: '100m' } } });
      expect(copied.spec.tolerations).toEqual(made.body.spec.tolerations);
      expect(copied.spec.containers[1]).toMatchObject({ image: 'busybox', command: ['true'], resources: {} });
      // The copy keeps the source's token volume, and the debug container mounts it too.
      expect(copied.spec.volumes).toEqual(made.body.spec.volumes);
      expect(copied.spec.containers[1].volumeMounts).toEqual(made.body.spec.containers[0].volumeMounts);
    });
  }
});
