// Public API of the node lifecycle part: node health from Leases and the Ready condition,
// condition/unschedulable taints, rate-limited NoExecute tainting and taint-based eviction.
export {
  NodeLifecycleController,
  type NodeLifecycleControllerOptions,
  type ZoneState,
  zoneKeyOf,
  defaultNodeMonitorPeriodMs,
  nodeLeaseNamespace,
  nodeLifecycleComponent,
  reasonNodeStatusUnknown,
  reasonNodeStatusNeverUpdated,
  messageNodeStatusUnknown,
  messageNodeStatusNeverUpdated,
  reasonNodeLeaseRenewed,
  labelExcludeDisruption,
} from './node-lifecycle-controller.js';
export {
  TaintEvictionController,
  type TaintEvictionControllerOptions,
  taintManagerEvictionReason,
  taintEvictionComponent,
} from './taint-eviction.js';
export {
  taintNodeNotReady,
  taintNodeUnreachable,
  taintNodeUnschedulable,
  taintNodeMemoryPressure,
  taintNodeDiskPressure,
  taintNodePIDPressure,
  taintNodeNetworkUnavailable,
  toleratesTaint,
  getMatchingTolerations,
  minTolerationTimeMs,
} from './taints.js';
export { TokenBucket, RateLimitedTimedQueue } from './rate-limited-queue.js';
