// storage.k8s.io/v1 CSIDriver, CSINode and StorageClass (stored and served for the CSI drivers and
// provisioners that use them: the process runtime mounts no volumes; each agent keeps its
// node's CSINode).

import {
  CORE, STORAGE,
  bool, int32, int64, keyedList, list, listOf, obj, objectMeta, ref, setList, str, strList, strMap, typeMeta,
  type Definitions,
} from './dsl.js';

export const storageDefinitions: Definitions = {
  [STORAGE + 'CSIDriver']: obj('Describes a CSI volume driver installed on the nodes.', {
    ...typeMeta(),
    metadata: objectMeta('Standard object metadata; the name is the driver\'s name.'),
    spec: ref(STORAGE + 'CSIDriverSpec', 'The driver\'s behaviour.'),
  }, ['spec']),
  [STORAGE + 'CSIDriverList']: listOf(STORAGE + 'CSIDriver', 'CSI drivers'),
  [STORAGE + 'CSIDriverSpec']: obj('How the cluster works with a CSI driver.', {
    attachRequired: bool('Whether volumes need an attach step. Default true.'),
    podInfoOnMount: bool('Whether the driver gets pod information on mount. Default false.'),
    volumeLifecycleModes: setList(str(), 'Volume modes the driver supports: Persistent and/or Ephemeral. Default [Persistent].'),
    storageCapacity: bool('Whether the driver reports storage capacity. Default false.'),
    fsGroupPolicy: str('Whether volume ownership follows the pod\'s fsGroup: ReadWriteOnceWithFSType (default), File or None.'),
    tokenRequests: list(ref(STORAGE + 'TokenRequest'), 'Service account tokens passed to the driver on mount.'),
    requiresRepublish: bool('Whether NodePublishVolume is called periodically. Default false.'),
    seLinuxMount: bool('Whether the driver supports the SELinux mount option. Default false.'),
    nodeAllocatableUpdatePeriodSeconds: int64('Interval of updates to the node\'s allocatable volume count.'),
  }),
  [STORAGE + 'TokenRequest']: obj('A service account token for a CSI driver.', {
    audience: str('Audience of the token.'),
    expirationSeconds: int64('Lifetime of the token.'),
  }, ['audience']),
  [STORAGE + 'CSINode']: obj('The CSI drivers installed on a node (one per node, named after it, owned by its Node).', {
    ...typeMeta(),
    metadata: objectMeta('Standard object metadata; the name is the node\'s name.'),
    spec: ref(STORAGE + 'CSINodeSpec', 'The drivers of the node.'),
  }, ['spec']),
  [STORAGE + 'CSINodeList']: listOf(STORAGE + 'CSINode', 'CSI nodes'),
  [STORAGE + 'CSINodeSpec']: obj('The CSI drivers of a node.', {
    drivers: keyedList(ref(STORAGE + 'CSINodeDriver'), 'name', 'One entry per CSI driver registered on the node.'),
  }, ['drivers']),
  [STORAGE + 'CSINodeDriver']: obj('A CSI driver as its node plugin registered it.', {
    name: str('The driver\'s name, as in its CSIDriver object.'),
    nodeID: str('The node as the driver knows it (at most 256 characters).'),
    topologyKeys: strList('The node label keys the driver reports topology under.'),
    allocatable: ref(STORAGE + 'VolumeNodeResources', 'How many volumes of the driver the node can take.'),
  }, ['name', 'nodeID']),
  [STORAGE + 'VolumeNodeResources']: obj('Volume limits of a node for one driver.', {
    count: int32('The most volumes of the driver the node can have attached; absent: no limit.'),
  }),
  [STORAGE + 'StorageClass']: obj('A class of storage that volumes are provisioned from. StorageClasses are cluster-scoped; the top-level fields cannot change after creation, except allowVolumeExpansion and mountOptions.', {
    ...typeMeta(),
    metadata: objectMeta(),
    provisioner: str('The provisioner (volume plugin or CSI driver) that makes volumes of this class.'),
    parameters: strMap('Parameters for the provisioner; at most 512, 256 KiB together.'),
    reclaimPolicy: str('What happens to a released volume of this class: Delete (default) or Retain.'),
    mountOptions: strList('Mount options of the volumes made, e.g. ["ro", "soft"]; not validated.'),
    allowVolumeExpansion: bool('Whether volumes of this class may be expanded.'),
    volumeBindingMode: str('When volumes are bound and provisioned: Immediate (default) or WaitForFirstConsumer.'),
    allowedTopologies: list(ref(CORE + 'TopologySelectorTerm'), 'Where volumes may be provisioned; empty: anywhere.'),
  }, ['provisioner']),
  [STORAGE + 'StorageClassList']: listOf(STORAGE + 'StorageClass', 'storage classes'),
  [CORE + 'TopologySelectorTerm']: obj('A topology term: every expression must hold (the terms of a list are ORed).', {
    matchLabelExpressions: list(ref(CORE + 'TopologySelectorLabelRequirement'), 'Topology label requirements.'),
  }),
  [CORE + 'TopologySelectorLabelRequirement']: obj('A topology label and the values it may have.', {
    key: str('The label key.'),
    values: strList('The values the label may have (any of them); at least one.'),
  }, ['key', 'values']),
};
