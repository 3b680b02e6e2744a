// scheduling.k8s.io/v1 PriorityClass.

import {
  SCHEDULING,
  bool, int32, listOf, obj, objectMeta, str, typeMeta,
  type Definitions,
} from './dsl.js';

export const schedulingDefinitions: Definitions = {
  [SCHEDULING + 'PriorityClass']: obj('Maps a priority class name to an integer priority given to pods that name it.', {
    ...typeMeta(),
    metadata: objectMeta(),
    value: int32('The priority; higher is more important. User classes may use up to 1000000000.'),
    globalDefault: bool('Use this class for pods without priorityClassName. Only one class may set it.'),
    description: str('What the class is for.'),
    preemptionPolicy: str('Whether pods of this class may preempt lower-priority pods: PreemptLowerPriority (default) or Never.'),
  }, ['value']),
  [SCHEDULING + 'PriorityClassList']: listOf(SCHEDULING + 'PriorityClass', 'priority classes'),
};
