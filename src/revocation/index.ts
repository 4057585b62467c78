export { CognitoRevocationService, type RevokeUserOptions } from './cognito-revocation.service';
export { InMemoryRevocationStore } from './in-memory-revocation-store';
export {
  DEFAULT_REVOCATION_KEY_PREFIX,
  RedisRevocationStore,
  type RedisRevocationConnection,
  type RedisRevocationStoreOptions,
} from './redis-revocation-store';
export type { RevocableClaims, RevocationEntry, RevocationKind } from './revocation-entry';
export type { CognitoRevocationOptions } from './revocation-options';
export type { RevocationStore, RevocationStoreListener } from './revocation-store';
