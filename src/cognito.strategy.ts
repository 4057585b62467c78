import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
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
  JwtExpiredError,
  JwtNotYetValidError,
  TokenMalformedError,
  TokenMissingError,
} from './errors';
import { JwksKeyProvider } from './jwks-key-provider';

/**
 * The passport-jwt strategy of one module instance: jwks-rsa supplies the key, jsonwebtoken checks
 * signature (RS256 only), `iss`, `exp` and `nbf`, and `validate` applies the Cognito rules.
 */
@Injectable()
export class CognitoStrategy extends PassportStrategy(JwtStrategy) implements OnModuleDestroy {
  constructor(
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    keys: JwksKeyProvider,
  ) {
    super({
      jwtFromRequest: config.extractToken,
      secretOrKeyProvider: (_request: unknown, token: string, done: (error: unknown, key?: string) => void) => {
        keys.keyFor(token).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      issuer: config.issuer,
      algorithms: [COGNITO_JWT_ALGORITHM],
      jsonWebTokenOptions: { clockTolerance: config.clockToleranceSeconds },
    });
    passport.use(config.strategyName, this);
  }

  /**
   * The mixin would register this strategy as "jwt" in passport's process-wide registry, replacing
   * any "jwt" strategy of the host app; the constructor registers it under this instance's own name.
   * (A runtime hook of @nestjs/passport's mixin that its typings do not declare.)
   */
  getPassportInstance(): passport.PassportStatic {
    return { use: () => undefined } as unknown as passport.PassportStatic;
  }

  validate(payload: Record<string, unknown>): CognitoJwtPayload {
    return assertCognitoClaims(payload, this.config);
  }

  onModuleDestroy(): void {
    passport.unuse(this.config.strategyName);
  }
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
      if (typeof message === 'string' && message.startsWith('jwt issuer invalid')) {
        return new IssuerMismatchError(cause);
      }
      return new TokenMalformedError(cause);
  }
  // passport-jwt fails with this when the extractor finds no token.
  if (failure === undefined || message === 'No auth token') return new TokenMissingError(cause);
  return new TokenMalformedError(cause);
}
