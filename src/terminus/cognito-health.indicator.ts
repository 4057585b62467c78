import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CognitoAuthHealth, type CognitoKeySetHealth } from '../cognito-auth.health';

/** What the indicator reports for one JWKS URI, under `<key>.keySets`. */
export interface CognitoKeySetIndicatorData {
  readonly jwksUri: string;
  /** Whether keys are held (possibly stale). */
  readonly loaded: boolean;
  /** Usable keys held. */
  readonly keys: number;
  /** Last successful fetch, ISO 8601, or null if none yet. */
  readonly fetchedAt: string | null;
  /** Whole seconds since the last successful fetch, or null if none yet. */
  readonly ageSeconds: number | null;
  /** Whether the last fetch failed; keys held keep working meanwhile, so this alone is not `down`. */
  readonly lastFetchFailed: boolean;
}

/**
 * A `@nestjs/terminus` health indicator of the pools' signing keys, one entry per JWKS URI: `up` when
 * every key set holds at least one usable key (stale or not: tokens signed with it verify), `down`
 * when one holds none (tokens of that pool would be answered 503). Reads memory only, never fetches:
 * a probe costs nothing and cannot hammer the pool. Uses terminus' `HealthIndicatorService`
 * (terminus 10.1 and later); list it in the providers of the module that imports `TerminusModule`.
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly cognito: CognitoHealthIndicator) {}
 *
 *   @Get()
 *   @Public()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.cognito.isHealthy()]);
 *   }
 * }
 * ```
 */
@Injectable()
export class CognitoHealthIndicator {
  constructor(
    private readonly health: CognitoAuthHealth,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /**
   * The key sets' state under `key`, `up` or `down`. Terminus answers 503 when any indicator is down.
   * @param key the name of the entry in terminus' `info` / `error` / `details`. @default 'cognito'
   */
  isHealthy<const Key extends string = 'cognito'>(key: Key = 'cognito' as Key): HealthIndicatorResult<Key> {
    const report = this.health.check();
    const keySets = report.keySets.map(toIndicatorData);
    const session = this.indicators.check(key);
    // ALB data-only mode never uses the pools' key sets: the load balancer's key endpoint decides.
    if (report.alb !== null && !report.alb.accessToken) {
      return report.status === 'up'
        ? session.up({ keySets, alb: report.alb })
        : session.down({ keySets, alb: report.alb });
    }
    return keySets.every((keySet) => keySet.keys > 0) ? session.up({ keySets }) : session.down({ keySets });
  }
}

function toIndicatorData(keySet: CognitoKeySetHealth): CognitoKeySetIndicatorData {
  return {
    jwksUri: keySet.jwksUri,
    loaded: keySet.loaded,
    keys: keySet.keys,
    fetchedAt: keySet.fetchedAt,
    ageSeconds: keySet.ageSeconds,
    lastFetchFailed: keySet.failing,
  };
}
