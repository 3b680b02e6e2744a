// Public entry of the storage part. Only the apiserver imports this.
export * from './interface.js';
export { MemoryStore } from './memory/index.js';
export { DEFAULT_RESTORE_BUMP, SqliteStore, restoreSqliteBackup, type RestoreResult, type SqliteStoreOptions, type SqliteStoreStats } from './sqlite/index.js';
export { openStore, storeSchemes } from './factory.js';
export { startCompactor, type Compactor, type CompactorOptions } from './compactor.js';
export { casWrite } from './cas.js';
export { EtcdStore, type EtcdStoreOptions, type EtcdStoreStats } from './etcd/index.js';
export { EncryptingStore, SECRETS_ENCRYPTION_KEY_FILE, isEncryptedValue, openEncryptedStore, readEncryptionKeyFile, type EncryptionKey } from './encryption/index.js';
