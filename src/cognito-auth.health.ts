import { Inject, Injectable, Optional } from '@nestjs/common';
import { CognitoAlbVerifier } from './alb/cognito-alb-verifier';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
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
  /** Whole seconds since the last successful fetch, or null if none yet. */
  readonly ageSeconds: number | null;
}

/** What `CognitoAuthHealth.check()` reports. */
export interface CognitoAuthHealthReport {
  /**
   * `up` when every pool can verify its tokens: keys are loaded for at least one of the pool's
   * issuers in its primary region, and for each of its `replicaRegions`. A pool accepting both issuer
   * formats (the default) is up on either: one whose issuer configuration is `ORIGINAL` has no JWKS
   * under the updated issuer (Cognito answers 403 there, aws-jwt-verify#279), and must not be reported
   * down, and so never ready, for it.
   */
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
  /**
   * ALB mode's key endpoint: keys held (fetched per kid, on first use) and whether the last fetch
   * failed; null without the `alb` option. With `alb` alone (no `accessToken`) it decides `status`
   * instead of the pools' JWKS, which that mode never uses: down only while the last fetch failed and
   * no key is held.
   */
  readonly alb: {
    readonly keyEndpoint: string;
    readonly keys: number;
    readonly failing: boolean;
    /** `true` with `alb.accessToken` (the pools' key sets are needed too), `false` in data-only mode. */
    readonly accessToken: boolean;
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
  constructor(
    private readonly keys: JwksKeyProvider,
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    @Optional() private readonly albVerifier?: CognitoAlbVerifier,
  ) {}

  check(): CognitoAuthHealthReport {
    const now = Date.now();
    const keySets = [...this.keys.keySets].map(([jwksUri, keySet]) => ({
      jwksUri,
      source: keySet.source,
      loaded: keySet.loaded,
      keys: keySet.size,
      fetchedAt: keySet.fetchedAtMs === null ? null : new Date(keySet.fetchedAtMs).toISOString(),
      failing: keySet.lastFetchFailed,
      ageSeconds: keySet.fetchedAtMs === null ? null : Math.max(0, Math.floor((now - keySet.fetchedAtMs) / 1000)),
    }));
    const cache = this.keys.verifiedTokens;
    const albKeys = this.albVerifier?.keySet ?? null;
    const alb = this.config.alb;
    const albReport =
      alb === null || albKeys === null
        ? null
        : {
            keyEndpoint: alb.keyEndpoint,
            keys: albKeys.size,
            failing: albKeys.lastFetchFailed,
            accessToken: alb.accessToken,
          };
    const up =
      alb !== null && !alb.accessToken
        ? !(albReport!.failing && albReport!.keys === 0)
        : this.config.pools.every((pool) => this.canVerify(pool));
    return {
      status: up ? 'up' : 'down',
      keySets,
      verifiedTokenCache: cache && {
        entries: cache.size,
        maxEntries: cache.maxEntries,
        maxEntriesPerUser: cache.maxEntriesPerUser,
      },
      alb: albReport,
    };
  }

  private canVerify(pool: CognitoAuthConfig['pools'][number]): boolean {
    const loaded = (jwksUri: string) => this.keys.keySets.get(jwksUri)?.loaded === true;
    const replicaIssuers = new Set(pool.replicas.map(({ issuer }) => issuer));
    const primary = pool.issuers.filter(({ issuer }) => !replicaIssuers.has(issuer));
    return primary.some(({ jwksUri }) => loaded(jwksUri)) && pool.replicas.every(({ jwksUri }) => loaded(jwksUri));
  }
}
