// Public API of the ClusterRole aggregation part: aggregated ClusterRoles hold the rules of those they select.
export { ClusterRoleAggregationController, aggregatedRules, sameRule, type ClusterRoleAggregationOptions } from './controller.js';
