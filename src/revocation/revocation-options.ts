import { CognitoConfigError } from '../errors';
import type { RevocationStore } from './revocation-store';

/**
 * The `revocation` option: refuse tokens that still verify but were revoked (a sign-out, a ban, a
 * stolen-token report), shared by every instance through `store`. Off when absent.
 */
export interface CognitoRevocationOptions {
  /** `new InMemoryRevocationStore()` for one instance, `new RedisRevocationStore(…)` for many. */
  store: RevocationStore;
  /**
   * The pool's longest access / id token lifetime, in seconds: how long a `revokeUser()` (and a
   * refresh-token family) entry is kept. Shorter than the pool's setting would let old tokens pass
   * again once their entry is gone.
   * @default 86400 (one day, Cognito's maximum)
   */
  maxTokenLifetimeSeconds?: number;
  /**
   * While the set may be stale (the store is unreachable, or not loaded yet), refuse every token with
   * 503 "Revocation state unavailable" instead of going on with the last known set.
   * @default false
   */
  failClosed?: boolean;
}

/** The `revocation` option once validated. */
export interface CognitoRevocationConfig {
  readonly store: RevocationStore;
  readonly maxTokenLifetimeMs: number;
  readonly failClosed: boolean;
}

const KEYS = new Set(['store', 'maxTokenLifetimeSeconds', 'failClosed']);
// Cognito allows access and id tokens from 5 minutes to 1 day; up to 10 years is accepted here for
// other issuers, and keeps the millisecond arithmetic exact.
const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

/**
 * Validates `revocation`. @returns null when revocation is off.
 * @throws CognitoConfigError naming the option
 */
export function resolveRevocationOptions(value: unknown): CognitoRevocationConfig | null {
  if (value === undefined || value === false) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CognitoConfigError('revocation', 'must be an object such as { store: new InMemoryRevocationStore() }');
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new CognitoConfigError(`revocation.${key}`, `is not an option (expected one of ${[...KEYS].join(', ')})`);
    }
  }
  const store = options.store as Partial<RevocationStore> | undefined;
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.start !== 'function' ||
    typeof store.add !== 'function' ||
    typeof store.stop !== 'function'
  ) {
    throw new CognitoConfigError(
      'revocation.store',
      'is required: new InMemoryRevocationStore(), new RedisRevocationStore({ client } | { url }), or an object with start, add and stop',
    );
  }
  const lifetime = options.maxTokenLifetimeSeconds ?? 86_400;
  if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_LIFETIME_SECONDS) {
    throw new CognitoConfigError(
      'revocation.maxTokenLifetimeSeconds',
      `must be a whole number of seconds from 1 to ${MAX_LIFETIME_SECONDS}, got ${JSON.stringify(lifetime)}`,
    );
  }
  const failClosed = options.failClosed ?? false;
  if (typeof failClosed !== 'boolean') {
    throw new CognitoConfigError('revocation.failClosed', `must be true or false, got ${JSON.stringify(failClosed)}`);
  }
  return { store: store as RevocationStore, maxTokenLifetimeMs: lifetime * 1000, failClosed };
}
