// Public API of the service accounts part: a `default` ServiceAccount in every namespace.
export { DEFAULT_SERVICE_ACCOUNT, ServiceAccountsController, type ServiceAccountsControllerOptions } from './controller.js';
