// storage.k8s.io/v1 CSINode against a real server with its controllers, through client-node:
// upstream's validation (driver names, node IDs, limits, topology keys, duplicates), a driver
// entry that cannot change once there, and the garbage collector deleting a CSINode with its Node.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodesResource } from '../../src/client/index.js';
import { apiFailure, Cleanup, waitFor } from '../helpers/index.js';
import { kubeConfigFromFile } from '../helpers/kube.js';
import { makeNode, startCluster, type Cluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;
let storage: k8s.StorageV1Api;

beforeAll(async () => {
  c = await startCluster(cleanup);
  storage = kubeConfigFromFile(c.server.kubeconfigPath).makeApiClient(k8s.StorageV1Api);
});
afterAll(() => cleanup.run());

describe('CSINode', () => {
  it('is validated as upstream does, and keeps each driver entry as registered', async () => {
    const bad = await apiFailure(
      storage.createCSINode({
        body: {
          metadata: { name: 'csi-bad' },
          spec: {
            drivers: [
              { name: 'Bad_Driver', nodeID: 'x'.repeat(257), topologyKeys: ['a/b/c', 'zone', 'zone'], allocatable: { count: -1 } },
              { name: 'Bad_Driver', nodeID: '' },
            ],
          },
        },
      }),
    );
    expect([bad.code, bad.status?.reason]).toEqual([422, 'Invalid']);
    const causes = (bad.status?.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
    expect(causes).toEqual([
      "spec.drivers[0].name: Invalid value: \"Bad_Driver\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      'spec.drivers[0].nodeID: Invalid value: "' + 'x'.repeat(257) + '": must be 256 characters or less',
      'spec.drivers[0].allocatable.count: Invalid value: -1: must be greater than or equal to 0',
      "spec.drivers[0]: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      'spec.drivers[0]: Duplicate value: "zone"',
      "spec.drivers[1].name: Invalid value: \"Bad_Driver\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      'spec.drivers[1].nodeID: Required value',
      'spec.drivers[1].name: Duplicate value: "Bad_Driver"',
    ]);

    const created = await storage.createCSINode({ body: { metadata: { name: 'csi-a' }, spec: { drivers: [] } } });
    expect(created.spec.drivers).toEqual([]);
    const driver = { name: 'hostpath.csi.k8s.io', nodeID: 'csi-a', topologyKeys: ['topology.hostpath.csi/node'], allocatable: { count: 10 } };
    const withDriver = await storage.replaceCSINode({ name: 'csi-a', body: { ...created, spec: { drivers: [driver, { name: 'nfs.csi.k8s.io', nodeID: 'n', topologyKeys: [] }] } } });
    expect(withDriver.spec.drivers?.[1]?.topologyKeys).toEqual([]);
    // An entry that stays may not change; the kubelet removes and adds a driver to change it.
    const changed = await apiFailure(storage.replaceCSINode({ name: 'csi-a', body: { ...withDriver, spec: { drivers: [{ ...driver, nodeID: 'other' }] } } }));
    expect(changed.status?.message).toBe(
      'CSINode.storage.k8s.io "csi-a" is invalid: CSINodeDriver: Invalid value: {"name":"hostpath.csi.k8s.io","nodeID":"other","topologyKeys":["topology.hostpath.csi/node"],"allocatable":{"count":10}}: field is immutable',
    );
    const removed = await storage.replaceCSINode({ name: 'csi-a', body: { ...withDriver, spec: { drivers: [] } } });
    await storage.replaceCSINode({ name: 'csi-a', body: { ...removed, spec: { drivers: [{ ...driver, nodeID: 'other' }] } } });
    await storage.deleteCSINode({ name: 'csi-a' });
  });

  it('goes with its Node: the garbage collector deletes a CSINode whose owner Node is deleted', async () => {
    const node = await c.client.create(nodesResource, '', makeNode('csi-owner'));
    await storage.createCSINode({
      body: { metadata: { name: 'csi-owner', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'csi-owner', uid: node.metadata.uid! }] }, spec: { drivers: [] } },
    });
    await c.client.delete(nodesResource, '', 'csi-owner');
    await waitFor(async () => !(await storage.listCSINode()).items.some((x) => x.metadata?.name === 'csi-owner'), { message: 'the CSINode garbage collected' });
  });
});
