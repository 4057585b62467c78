import { Inject, Injectable } from '@nestjs/common';
import type { CognitoAuthConfig } from '../cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from '../cognito-auth.constants';
import { CognitoAuthMetrics } from '../cognito-auth.metrics';
import type { CognitoJwtPayload } from '../cognito-jwt-payload.interface';
import { toCognitoAuthError } from '../cognito.strategy';
import { verifiedTokenCacheFor, type VerifiedTokenCache } from '../verified-token-cache';
import { AlbKeySet } from './alb-key-set';
import { AlbStrategy, type AlbUserClaims } from './alb.strategy';

export { ALB_HEADERS, albHeader } from './alb-headers';

/**
 * ALB mode's verification: the load balancer's key set, its passport-jwt strategy and its own
 * verified-token cache (apart from the pools' one, so that a pool token presented as
 * `x-amzn-oidc-data` can never be answered from an entry made for the other kind). Inert without
 * the `alb` option.
 */
@Injectable()
export class CognitoAlbVerifier {
  readonly keySet: AlbKeySet | null = null;
  readonly verifiedTokens: VerifiedTokenCache | null = null;
  private readonly strategy: AlbStrategy | null = null;

  constructor(
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    @Inject(CognitoAuthMetrics) metrics: CognitoAuthMetrics,
  ) {
    const alb = config.alb;
    if (alb === null) return;
    const keySet = new AlbKeySet({
      keyEndpoint: alb.keyEndpoint,
      cooldownMs: config.jwks.cooldownMs,
      timeoutMs: config.jwks.timeoutMs,
      agent: config.jwks.agent,
      onFetch: (ok) => metrics.jwksFetch(ok),
    });
    this.keySet = keySet;
    this.strategy = new AlbStrategy(config, alb, keySet);
    // The data token is a whole header's value: nothing longer to keep alive.
    this.verifiedTokens = verifiedTokenCacheFor(config.cache, (_endpoint, kid) => keySet.heldKey(kid), false);
  }

  /** The claims of `token` if the guard accepted it before (and its key is still held). */
  cached(token: string, cacheKey: string | undefined): AlbUserClaims | undefined {
    return this.verifiedTokens?.get(token, cacheKey);
  }

  /**
   * Verifies an `x-amzn-oidc-data` token with the ALB strategy.
   * @returns its claims; rejects with the `CognitoAuthError` of the refusal.
   */
  verify(request: object, token: string, cacheKey?: string): Promise<AlbUserClaims> {
    return new Promise((resolve, reject) => {
      this.strategy!.attempt(
        request,
        token,
        (error, user, info) => {
          if (error || !user) reject(toCognitoAuthError(error ?? info));
          else resolve(user as AlbUserClaims);
        },
        cacheKey,
      );
    });
  }

  /** Caches `claims` if they were verified on this request, once the guard has accepted them. */
  remember(claims: object): void {
    const source = this.strategy?.takeVerified(claims);
    if (source === undefined || this.verifiedTokens === null) return;
    this.verifiedTokens.set(
      {
        token: source.token,
        jwksUri: this.config.alb!.keyEndpoint,
        kid: source.kid,
        key: source.key,
        cacheKey: source.cacheKey,
      },
      claims as unknown as CognitoJwtPayload,
    );
  }
}
