// Public API of the resource quota part: the status (hard, used) of every ResourceQuota.
export { ResourceQuotaController, type ResourceQuotaControllerOptions } from './controller.js';
