// Public API of the service accounts part: a `default` ServiceAccount in every namespace, and the
// tokens of Secrets of type kubernetes.io/service-account-token.
export { DEFAULT_SERVICE_ACCOUNT, ServiceAccountsController, type ServiceAccountsControllerOptions } from './controller.js';
export {
  SERVICE_ACCOUNT_NAME_ANNOTATION,
  SERVICE_ACCOUNT_TOKEN_TYPE,
  SERVICE_ACCOUNT_UID_ANNOTATION,
  TokensController,
  type LegacyTokenIssuer,
  type TokensControllerOptions,
} from './tokens.js';
