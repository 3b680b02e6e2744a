// Public API of the hollow part: many simulated nodes in one process (kubemark/kwok idea)
// that register Nodes, renew Leases and play the pod lifecycle through the API.
export {
  startHollowNodes,
  defaultLoopConcurrency,
  hollowMaxSockets,
  hollowPodStatus,
  hollowNodeLabel,
  nodeLeaseNamespace,
  type HollowNodes,
  type HollowNodesOptions,
  type HollowNodesStats,
} from './hollow-nodes.js';
export { TimerWheel, type WheelTimer } from './timer-wheel.js';
export { WriteQueue, type WriteTask } from './write-queue.js';
export { runHollowNodesCommand, hollowNodesUsage, hollowNodeFlags, startHollowNodesForUp } from './command.js';
