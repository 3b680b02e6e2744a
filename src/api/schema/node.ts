// node.k8s.io/v1 RuntimeClass: the container runtime configuration a pod asks for. Pod admission
// reads it (overhead, scheduling); the agent's process runtime has one handler for every class.

import {
  CORE, NODE,
  list, listOf, obj, objectMeta, ref, resourceList, str, strMap, typeMeta,
  type Definitions,
} from './dsl.js';

export const nodeDefinitions: Definitions = {
  [NODE + 'RuntimeClass']: obj('A container runtime configuration, named by pods in spec.runtimeClassName.', {
    ...typeMeta(),
    metadata: objectMeta(),
    handler: str('The runtime handler (configuration) nodes run such pods with: a DNS label. Immutable.'),
    overhead: ref(NODE + 'Overhead', 'Resources a pod of this class uses on top of its containers; copied into the pod\'s spec.overhead at admission.'),
    scheduling: ref(NODE + 'Scheduling', 'The nodes that support this class; merged into the pod\'s nodeSelector and tolerations at admission.'),
  }, ['handler']),
  [NODE + 'RuntimeClassList']: listOf(NODE + 'RuntimeClass', 'runtime classes'),
  [NODE + 'Overhead']: obj('The resource overhead of a pod of a runtime class.', {
    podFixed: resourceList('Fixed resources per pod.'),
  }),
  [NODE + 'Scheduling']: obj('Where pods of a runtime class may run.', {
    nodeSelector: strMap('Labels a node must have; merged into the pod\'s nodeSelector (a conflicting pod is refused).', 'atomic'),
    tolerations: list(ref(CORE + 'Toleration'), 'Tolerations added to the pod\'s, without duplicates.'),
  }),
};
