import { Injectable } from '@nestjs/common';
import { JwksKeyProvider } from './jwks-key-provider';

/** The state of one JWKS URI's keys. */
export interface CognitoKeySetHealth {
  /** Where the keys are fetched from; `file:///…` for `jwksFile`, `inline:<option>` for `jwksInline`. */
  readonly jwksUri: string;
  /**
   * `remote`: fetched from `jwksUri`; `file` / `inline`: given in the options, read once at start
   * and never fetched (always loaded, never failing).
   */
  readonly source: 'remote' | 'file' | 'inline';
  /** Whether keys are held (possibly stale): tokens signed with them verify. */
  readonly loaded: boolean;
  /** Usable keys held. */
  readonly keys: number;
  /** Last successful fetch (for `file` / `inline`: when the keys were read), ISO 8601, or null if none yet. */
  readonly fetchedAt: string | null;
  /** Whether the last fetch failed (keys held keep working: stale-if-error). */
  readonly failing: boolean;
}

/** What `CognitoAuthHealth.check()` reports. */
export interface CognitoAuthHealthReport {
  /** `up` when every JWKS URI has keys loaded. */
  readonly status: 'up' | 'down';
  readonly keySets: readonly CognitoKeySetHealth[];
  /** The verified-token cache's fill and bound (`cache.maxEntries`), or null when `cache: false`. */
  readonly verifiedTokenCache: { readonly entries: number; readonly maxEntries: number } | null;
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
    const keySets = [...this.keys.keySets].map(([jwksUri, keySet]) => ({
      jwksUri,
      source: keySet.source,
      loaded: keySet.loaded,
      keys: keySet.size,
      fetchedAt: keySet.fetchedAtMs === null ? null : new Date(keySet.fetchedAtMs).toISOString(),
      failing: keySet.lastFetchFailed,
    }));
    const cache = this.keys.verifiedTokens;
    return {
      status: keySets.every((keySet) => keySet.loaded) ? 'up' : 'down',
      keySets,
      verifiedTokenCache: cache && { entries: cache.size, maxEntries: cache.maxEntries },
    };
  }
}
