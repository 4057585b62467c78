import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import passport from 'passport';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG, COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import { assertCognitoClaims } from './cognito-claims';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import {
  AlgorithmNotAllowedError,
  CognitoAuthError,
  InvalidSignatureError,
  IssuerMismatchError,
  JwtClaimInvalidError,
  JwtExpiredError,
  JwtNotYetValidError,
  TokenMalformedError,
  TokenMissingError,
} from './errors';
import { JwksKeyProvider, type KeySource } from './jwks-key-provider';
import { attemptPrototypeOf, PresentedAttempt, type StrategyOutcome } from './strategy-attempt';

export type { StrategyOutcome } from './strategy-attempt';

/**
 * The passport-jwt strategy of one module instance: the key provider checks everything that needs no
 * key and supplies the pool's `KeyObject`, jsonwebtoken checks the signature (RS256 only), `iss`, `exp`
 * and `nbf`, and `validate` applies the Cognito rules. It notes which token and key each payload came
 * from; `CognitoGuard` caches the token from that once it has accepted it (the verified-token cache).
 */
@Injectable()
export class CognitoStrategy extends PassportStrategy(JwtStrategy) implements OnModuleDestroy {
  /** The token and key being verified, only while passport-jwt verifies them (inside `done`). */
  private readonly verifying: VerifyingSource;
  /** The attempt (with the token the guard read), only while `attempt` starts passport-jwt. */
  private readonly presented: PresentedAttempt;
  /** This strategy with passport's success / fail / error / pass / redirect, shared by every attempt. */
  private readonly attemptPrototype: object;

  constructor(
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    private readonly keys: JwksKeyProvider,
  ) {
    const verifying: VerifyingSource = { request: null, source: null };
    const presented = new PresentedAttempt();
    super({
      // The guard has read the token already (for the cache and optional routes): not read twice,
      // which matters for an app's own `tokenFrom` function.
      jwtFromRequest: (request: object) => {
        const attempt = presented.on(request);
        return attempt !== undefined ? attempt.token : config.extractToken(request);
      },
      secretOrKeyProvider: (request: object, token: string, done: (error: unknown, key?: string) => void) => {
        // passport-jwt verifies the signature and calls `validate` synchronously inside `done`, so
        // what `validate` reads is this token's source even when other requests sharing the object
        // (WebSocket messages) are verified concurrently.
        const deliver = (source: KeySource): void => {
          const outerRequest = verifying.request;
          const outerSource = verifying.source;
          verifying.request = request;
          verifying.source = source;
          try {
            // jsonwebtoken 9 takes a KeyObject (passport-jwt's typings predate that): no PEM is
            // parsed per request.
            done(null, source.key as unknown as string);
          } finally {
            verifying.request = outerRequest;
            verifying.source = outerSource;
          }
        };
        // Called synchronously by authenticate(), like the extractor: the attempt is still presented.
        let source: KeySource | Promise<KeySource>;
        try {
          source = keys.keyFor(token, presented.on(request)?.cacheKey);
        } catch (error) {
          done(error);
          return;
        }
        // A held key is handed over at once: the verification then costs no promise and no turn.
        if (source instanceof Promise) source.then(deliver, (error: unknown) => done(error));
        else deliver(source);
      },
      // With tenants the accepted issuers are not known in advance: the key provider has picked the key
      // by the token's `iss` among the accepted ones, so a signature that verifies binds that `iss`.
      issuer: config.tenants ? undefined : [...config.issuers.keys()],
      algorithms: [COGNITO_JWT_ALGORITHM],
      jsonWebTokenOptions: { clockTolerance: config.clockToleranceSeconds },
      passReqToCallback: true,
    });
    this.verifying = verifying;
    this.presented = presented;
    // What passport's authenticate middleware defines on each request's copy of the strategy, with
    // its callback; defined once here, so an attempt costs one object.
    this.attemptPrototype = attemptPrototypeOf(this);
    passport.use(config.strategyName, this);
  }

  /**
   * Runs this strategy on `request` through passport's Strategy protocol, as passport's `authenticate`
   * middleware does (a per-request object over the strategy whose success, fail and error report the
   * outcome), but without the middleware's writes on the request (`login`, `logIn`, `logout`,
   * `logOut`, `isAuthenticated`, `isUnauthenticated`, `_sessionManager`; `AuthGuard` adds `authInfo`):
   * on Express 5 each such write builds a new hidden class for the request, which costs more than the
   * lookup of a cached token. `settle` is called once, later (the key is fetched asynchronously).
   * @param token what the guard read from `request` (`null`: none); passport-jwt gets it without
   *   running the extractor again.
   * @param cacheKey the token's verified-token cache key, if the guard computed it for its lookup.
   */
  attempt(request: object, token: string | null, settle: StrategyOutcome, cacheKey?: string): void {
    this.presented.run(this.attemptPrototype, request, token, settle, cacheKey);
  }

  /**
   * The mixin would register this strategy as "jwt" in passport's process-wide registry, replacing
   * any "jwt" strategy of the host app; the constructor registers it under this instance's own name.
   * (A runtime hook of @nestjs/passport's mixin that its typings do not declare.)
   */
  getPassportInstance(): passport.PassportStatic {
    return { use: () => undefined } as unknown as passport.PassportStatic;
  }

  validate(request: Request, payload: Record<string, unknown>): CognitoJwtPayload {
    // jsonwebtoken has matched `iss` against the configured issuers: it selects the pool.
    const { pool } = this.config.issuers.get(payload.iss as string)!;
    const verified = deepFreeze(assertCognitoClaims(payload, pool, this.config));
    // Not cached here: the guard's route rules and the verify hook may still refuse the token.
    const { verifying } = this;
    if (verifying.request === request && verifying.source !== null) this.keys.noteVerified(verified, verifying.source);
    return verified;
  }

  onModuleDestroy(): void {
    passport.unuse(this.config.strategyName);
  }
}

/** Which request's token and key passport-jwt is verifying (inside the key provider's `done`). */
interface VerifyingSource {
  request: object | null;
  source: KeySource | null;
}

/**
 * The payload is shared by every request that presents the same token (the verified-token cache), so
 * a handler must not be able to change what the next request sees.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // for…in, not Object.values: no array per object on every verification. A payload is parsed JSON
    // (plain objects and arrays, nothing enumerable inherited).
    for (const key in value) {
      const child: unknown = value[key];
      if (typeof child === 'object' && child !== null) deepFreeze(child);
    }
  }
  return value;
}

/**
 * Turns what passport-jwt reports (its own "No auth token", jsonwebtoken's errors, or ours from the
 * key provider and `validate`) into this module's errors. Only names and fixed messages are read.
 */
export function toCognitoAuthError(failure: unknown): CognitoAuthError {
  if (failure instanceof CognitoAuthError) return failure;
  const { name, message } = (failure ?? {}) as { name?: unknown; message?: unknown };
  const cause = { cause: failure };
  switch (name) {
    case 'TokenExpiredError':
      return new JwtExpiredError(cause);
    case 'NotBeforeError':
      return new JwtNotYetValidError(cause);
    case 'JsonWebTokenError':
      if (message === 'invalid signature') return new InvalidSignatureError(cause);
      if (message === 'invalid algorithm') return new AlgorithmNotAllowedError(cause);
      if (message === 'invalid exp value' || message === 'invalid nbf value') return new JwtClaimInvalidError(cause);
      if (typeof message === 'string' && message.startsWith('jwt issuer invalid')) {
        return new IssuerMismatchError(cause);
      }
      return new TokenMalformedError(cause);
  }
  // passport-jwt fails with this when the extractor finds no token.
  if (failure === undefined || message === 'No auth token') return new TokenMissingError(cause);
  return new TokenMalformedError(cause);
}
