// storage.k8s.io/v1 CSIDriver (stored and served: the process runtime mounts no volumes).

import {
  STORAGE,
  bool, int64, list, listOf, obj, objectMeta, ref, setList, str, typeMeta,
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
};
