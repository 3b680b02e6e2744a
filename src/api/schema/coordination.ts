// coordination.k8s.io/v1 Lease (node heartbeats, leader election).

import {
  COORDINATION,
  int32, listOf, microTime, obj, objectMeta, ref, str, typeMeta,
  type Definitions,
} from './dsl.js';

export const coordinationDefinitions: Definitions = {
  [COORDINATION + 'Lease']: obj('A lease held by one holder for a while, used for node heartbeats and leader election.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(COORDINATION + 'LeaseSpec', 'Holder and timing of the lease.'),
  }),
  [COORDINATION + 'LeaseList']: listOf(COORDINATION + 'Lease', 'leases'),
  [COORDINATION + 'LeaseSpec']: obj('Holder and timing of a lease.', {
    holderIdentity: str('Identity of the current holder.'),
    leaseDurationSeconds: int32('Seconds candidates wait after the last renewal before taking the lease over.'),
    acquireTime: microTime('When the current holder acquired the lease.'),
    renewTime: microTime('When the current holder last renewed the lease.'),
    leaseTransitions: int32('Number of times the holder has changed.'),
    strategy: str('Strategy for picking the next holder in coordinated leader election, e.g. OldestEmulationVersion.'),
    preferredHolder: str('Holder that should take over next; the current holder should release the lease.'),
  }),
};
