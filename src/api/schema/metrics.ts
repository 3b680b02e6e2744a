// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: resource usage read from the agents on
// every request, never stored (apiserver/metrics-api.ts serves them); described here so that the
// OpenAPI documents (kubectl explain) cover them. Definition names are metrics-server's.

import {
  METRICS,
  list, listOf, obj, objectMeta, ref, resourceList, str, time, typeMeta,
  type Definitions,
} from './dsl.js';

const USAGE = 'Usage by resource: cpu in cores (written in nanocores, e.g. "12345n") and memory, the working set, in bytes (written in KiB, e.g. "1234Ki").';
const timestamp = (): ReturnType<typeof time> => time('End of the window the usage was measured over.');
const window = (): ReturnType<typeof str> => str('Length of the window the usage was measured over, a duration such as "10s".');

export const metricsDefinitions: Definitions = {
  [METRICS + 'NodeMetrics']: obj('Resource usage of a node over a recent time window.', {
    ...typeMeta(),
    metadata: objectMeta(),
    timestamp: timestamp(),
    window: window(),
    usage: resourceList(USAGE),
  }, ['timestamp', 'window', 'usage']),
  [METRICS + 'NodeMetricsList']: listOf(METRICS + 'NodeMetrics', 'node metrics'),
  [METRICS + 'PodMetrics']: obj('Resource usage of a pod\'s containers over a recent time window.', {
    ...typeMeta(),
    metadata: objectMeta(),
    timestamp: timestamp(),
    window: window(),
    containers: list(ref(METRICS + 'ContainerMetrics'), 'Usage of each container of the pod, all measured over the same window.'),
  }, ['timestamp', 'window', 'containers']),
  [METRICS + 'PodMetricsList']: listOf(METRICS + 'PodMetrics', 'pod metrics'),
  [METRICS + 'ContainerMetrics']: obj('Resource usage of one container.', {
    name: str('Name of the container, as in the pod\'s spec.containers.'),
    usage: resourceList(USAGE),
  }, ['name', 'usage']),
};
