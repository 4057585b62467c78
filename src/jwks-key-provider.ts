import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwksClient } from 'jwks-rsa';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG, COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import {
  AlgorithmNotAllowedError,
  CognitoAuthError,
  IssuerMismatchError,
  JwksUnavailableError,
  KidNotFoundError,
} from './errors';
import { JwksFetcher } from './jwks-fetcher';
import { decodeJwt } from './jwt';

/**
 * passport-jwt's key provider: finds the pool's public key for a token through jwks-rsa (cached,
 * rate-limited, one shared fetch per `kid`). The header and `iss` are checked first, so a token that
 * could never verify (wrong algorithm, foreign issuer, no `kid`) costs no fetch.
 */
@Injectable()
export class JwksKeyProvider {
  private readonly logger = new Logger('CognitoAuth');
  private readonly fetcher: JwksFetcher;
  private readonly client: JwksClient;

  constructor(@Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig) {
    this.fetcher = new JwksFetcher(config.jwks.timeoutMs);
    this.client = new JwksClient({
      jwksUri: config.jwksUri,
      cache: true,
      cacheMaxAge: config.jwks.cacheMaxAgeMs,
      rateLimit: true,
      jwksRequestsPerMinute: config.jwks.requestsPerMinute,
      // jwks-rsa's own request has only an idle timeout; the fetcher enforces jwks.timeoutMs whole.
      fetcher: this.fetcher.fetch as (uri: string) => Promise<{ keys: never[] }>,
    });
  }

  /**
   * The PEM public key that should have signed `token`.
   * @throws TokenMalformedError, AlgorithmNotAllowedError, IssuerMismatchError, KidNotFoundError (401),
   *   JwksUnavailableError (503).
   */
  async keyFor(token: string): Promise<string> {
    const { header, payload } = decodeJwt(token);
    if (header.alg !== COGNITO_JWT_ALGORITHM) throw new AlgorithmNotAllowedError();
    if (payload.iss !== this.config.issuer) throw new IssuerMismatchError();
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length === 0) throw new KidNotFoundError();
    try {
      const key = await this.client.getSigningKey(kid);
      return key.getPublicKey();
    } catch (error) {
      // jwks-rsa caches per kid and puts its rate limiter in front of every miss, expired entries
      // included: forged kids could spend the budget just as a real key's entry expires. A key the
      // last successful fetch served keeps working until a refresh can happen.
      const known = isRefreshFailure(error) ? this.fetcher.lastKnownKey(kid) : undefined;
      if (known !== undefined) return known;
      throw this.translate(error);
    }
  }

  private translate(error: unknown): CognitoAuthError {
    if (error instanceof JwksUnavailableError) {
      this.logger.warn(`JWKS fetch from ${this.config.jwksUri} failed: ${describeCause(error)}`);
      return error;
    }
    switch ((error as { name?: unknown } | null)?.name) {
      case 'SigningKeyNotFoundError':
        return new KidNotFoundError({ cause: error });
      case 'JwksRateLimitError':
        // The refetch budget is spent. If the last fetch failed, we have no keys at all: the client
        // is not at fault. Otherwise the kid is simply unknown.
        return this.fetcher.lastFetchFailed
          ? new JwksUnavailableError({ cause: error })
          : new KidNotFoundError({ cause: error });
      default:
        // jwks-rsa's own failures: a JWKS with no usable signing key, a key it cannot import.
        this.logger.warn(`JWKS from ${this.config.jwksUri} unusable: ${describeCause(error)}`);
        return new JwksUnavailableError({ cause: error });
    }
  }
}

function isRefreshFailure(error: unknown): boolean {
  return error instanceof JwksUnavailableError || (error as { name?: unknown } | null)?.name === 'JwksRateLimitError';
}

function describeCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof CognitoAuthError && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
