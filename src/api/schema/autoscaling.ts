// autoscaling/v1 Scale: the body of every `/scale` subresource (apiserver/scale.ts decodes a
// PUT's Scale with it, so a wrong type is upstream's 400, never a write).

import { AUTOSCALING, int32, obj, objectMeta, ref, str, typeMeta, type Definitions } from './dsl.js';

export const autoscalingDefinitions: Definitions = {
  [AUTOSCALING + 'Scale']: obj('The scale of a scalable object: its desired and observed number of replicas.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: ref(AUTOSCALING + 'ScaleSpec', 'The desired scale.'),
    status: ref(AUTOSCALING + 'ScaleStatus', 'The observed scale. Read-only.'),
  }),
  [AUTOSCALING + 'ScaleSpec']: obj('The desired scale.', {
    replicas: int32('Desired number of instances of the scaled object.'),
  }),
  [AUTOSCALING + 'ScaleStatus']: obj('The observed scale.', {
    replicas: int32('Observed number of instances of the scaled object.'),
    selector: str('Label query over the pods that count as replicas, in the string form of a label selector.'),
  }, ['replicas']),
};
