// The node's CSINode (storage.k8s.io/v1), as a kubelet keeps it: CSI controllers (provisioners
// with topology, attachers) read a node's drivers and volume limits there.
//
// Contract: called once the Node is registered, and again by the agent's status passes after a
// failure and once a minute (agent.ts syncCSINode); one GET when all is right.
// - No CSINode named after the node: one is created with no drivers, the migrated-plugins
//   annotation a 1.32 kubelet writes (the in-tree volume plugins whose volumes CSI drivers now
//   serve), and the Node as its owner, so the garbage collector deletes it with the Node.
// - An existing one keeps its drivers. Its annotation is put back if it differs, and its owner
//   reference is pointed at this Node when it names another (a Node deleted and registered
//   again has a new uid: the old reference would have the collector delete the CSINode).
// - AlreadyExists on create (a racing agent process, or a restart) counts as done. Other errors
//   are the caller's: the process runtime runs no CSI plugins, so nothing else depends on it.

import type { KubeObject, Node } from '../api/types.js';
import { type ApiClient, csiNodesResource, isAlreadyExists, isNotFound } from '../client/index.js';

export const MIGRATED_PLUGINS_ANNOTATION = 'storage.alpha.kubernetes.io/migrated-plugins';
/** The plugins a 1.32 kubelet lists (every migration on by default), sorted and comma-joined. */
export const MIGRATED_PLUGINS = [
  'kubernetes.io/aws-ebs',
  'kubernetes.io/azure-disk',
  'kubernetes.io/azure-file',
  'kubernetes.io/cinder',
  'kubernetes.io/gce-pd',
  'kubernetes.io/portworx-volume',
  'kubernetes.io/vsphere-volume',
].join(',');

type CSINode = KubeObject & { spec?: { drivers?: unknown[] | null } };

function ownerOf(node: Node): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  return { apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '', uid: node.metadata.uid ?? '' };
}

/** Creates or repairs the node's CSINode (see the file's contract); resolves to what is stored. */
export async function ensureCSINode(client: ApiClient, node: Node): Promise<CSINode> {
  const name = node.metadata.name ?? '';
  let current: CSINode;
  try {
    current = await client.get<CSINode>(csiNodesResource, '', name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const fresh: CSINode = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name, annotations: { [MIGRATED_PLUGINS_ANNOTATION]: MIGRATED_PLUGINS }, ownerReferences: [ownerOf(node)] },
      spec: { drivers: [] },
    };
    try {
      return await client.create<CSINode>(csiNodesResource, '', fresh);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      current = await client.get<CSINode>(csiNodesResource, '', name);
    }
  }
  const refs = current.metadata.ownerReferences ?? [];
  const others = refs.filter((r) => !(r.kind === 'Node' && r.apiVersion === 'v1'));
  const ownedRight = refs.some((r) => r.kind === 'Node' && r.apiVersion === 'v1' && r.uid === node.metadata.uid);
  const annotated = current.metadata.annotations?.[MIGRATED_PLUGINS_ANNOTATION] === MIGRATED_PLUGINS;
  if (ownedRight && annotated) return current;
  return client.update<CSINode>(csiNodesResource, '', {
    ...current,
    metadata: {
      ...current.metadata,
      annotations: { ...current.metadata.annotations, [MIGRATED_PLUGINS_ANNOTATION]: MIGRATED_PLUGINS },
      ownerReferences: ownedRight ? refs : [...others, ownerOf(node)],
    },
  });
}
