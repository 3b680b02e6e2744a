// Public API of the disruption part: PodDisruptionBudget status for the eviction API.
export { DELETION_TIMEOUT_MS, DisruptionController, type DisruptionControllerOptions } from './controller.js';
