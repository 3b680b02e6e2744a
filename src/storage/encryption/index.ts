// Encryption at rest for chosen key prefixes (the apiserver uses it for Secrets).
export {
  AESGCM_PREFIX,
  ENCRYPTED_VALUE_PREFIX,
  ENCRYPTION_KEY_BYTES,
  EncryptingStore,
  isEncryptedValue,
  type EncryptingStoreOptions,
  type EncryptionKey,
} from './encrypting-store.js';
export { SECRETS_ENCRYPTION_KEY_FILE, createEncryptionKeyFile, openEncryptedStore, parseEncryptionKeys, readEncryptionKeyFile } from './key-file.js';
