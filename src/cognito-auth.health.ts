import { Injectable } from '@nestjs/common';
import { JwksKeyProvider } from './jwks-key-provider';

/** The state of one JWKS URI's keys. */
export interface CognitoKeySetHealth {
  readonly jwksUri: string;
  /** Whether keys are held (possibly stale): tokens signed with them verify. */
  readonly loaded: boolean;
  /** Usable keys held. */
  readonly keys: number;
  /** Last successful fetch, ISO 8601, or null if none yet. */
  readonly fetchedAt: string | null;
  /** Whether the last fetch failed (keys held keep working: stale-if-error). */
  readonly failing: boolean;
  /** Whole seconds since the last successful fetch, or null if none yet. */
  readonly ageSeconds: number | null;
}

/** What `CognitoAuthHealth.check()` reports. */
export interface CognitoAuthHealthReport {
  /** `up` when every JWKS URI has keys loaded. */
  readonly status: 'up' | 'down';
  readonly keySets: readonly CognitoKeySetHealth[];
  /**
   * The verified-token cache's fill and bounds (`cache.maxEntries`, `cache.maxEntriesPerUser`), or
   * null when `cache: false`.
   */
  readonly verifiedTokenCache: {
    readonly entries: number;
    readonly maxEntries: number;
    readonly maxEntriesPerUser: number;
  } | null;
}

/**
 * Whether the pools' keys are loaded, for a readiness probe or a `@nestjs/terminus` indicator. Reads
 * memory only: it never fetches.
 * @example
 * ```ts
 * @Get('health')
 * @Public()
 * health() {
 *   const report = this.cognitoHealth.check();
 *   if (report.status !== 'up') throw new ServiceUnavailableException(report);
 *   return report;
 * }
 * ```
 */
@Injectable()
export class CognitoAuthHealth {
  constructor(private readonly keys: JwksKeyProvider) {}

  check(): CognitoAuthHealthReport {
    const now = Date.now();
    const keySets = [...this.keys.keySets].map(([jwksUri, keySet]) => ({
      jwksUri,
      loaded: keySet.loaded,
      keys: keySet.size,
      fetchedAt: keySet.fetchedAtMs === null ? null : new Date(keySet.fetchedAtMs).toISOString(),
      failing: keySet.lastFetchFailed,
      ageSeconds: keySet.fetchedAtMs === null ? null : Math.max(0, Math.floor((now - keySet.fetchedAtMs) / 1000)),
    }));
    const cache = this.keys.verifiedTokens;
    return {
      status: keySets.every((keySet) => keySet.loaded) ? 'up' : 'down',
      keySets,
      verifiedTokenCache: cache && {
        entries: cache.size,
        maxEntries: cache.maxEntries,
        maxEntriesPerUser: cache.maxEntriesPerUser,
      },
    };
  }
}
