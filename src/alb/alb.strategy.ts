import type { KeyObject } from 'node:crypto';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { CognitoAuthConfig } from '../cognito-auth.config';
import { assertClaimTypes } from '../jwt';
import {
  AlbSignerMismatchError,
  ClientMismatchError,
  IssuerMismatchError,
  JwtClaimInvalidError,
  TokenTooLargeError,
} from '../errors';
import { attemptPrototypeOf, PresentedAttempt, type StrategyOutcome } from '../strategy-attempt';
import type { CognitoAlbConfig } from './alb-options';
import type { AlbKeySet } from './alb-key-set';
import { decodeAlbToken, verifyAlbToken } from './alb-token';

/** The claims of a verified `x-amzn-oidc-data` token: the userinfo of the signed-in user. */
export type AlbUserClaims = Readonly<Record<string, unknown>> & {
  readonly sub: string;
  readonly iss: string;
  readonly exp: number;
};

/** A verified ALB token, the key that verified it and its kid, until the guard accepts it. */
export interface AlbVerified {
  readonly token: string;
  readonly kid: string;
  readonly key: KeyObject;
  readonly cacheKey: string | undefined;
}

type JwtVerifier = (
  token: string,
  key: unknown,
  options: object,
  callback: (error: unknown, payload?: unknown) => void,
) => void;

/** passport-jwt's verify options of every `AlbStrategy`: their tokens go to `verifyAlbToken`. */
const albVerifyOptions = new WeakMap<object, number>();

/**
 * passport-jwt hands every token to `JwtStrategy.JwtVerifier` (jsonwebtoken's `verify`), a static hook
 * it exposes for this. ALB's tokens cannot go to jsonwebtoken (its decoder refuses the padding ALB
 * signs), so the hook is wrapped, once per process: calls from an `AlbStrategy`, known by its own
 * options object, verify with `verifyAlbToken`; every other strategy's call goes to the verifier that
 * was there before, untouched.
 */
function installAlbVerifier(): void {
  const strategy = JwtStrategy as unknown as { JwtVerifier: JwtVerifier & { albAware?: true } };
  if (strategy.JwtVerifier.albAware) return;
  const previous = strategy.JwtVerifier;
  const verifier: JwtVerifier & { albAware?: true } = (token, key, options, callback) => {
    const tolerance = albVerifyOptions.get(options);
    if (tolerance === undefined) {
      previous(token, key, options, callback);
      return;
    }
    let payload: Record<string, unknown>;
    try {
      payload = verifyAlbToken(token, key as KeyObject, tolerance);
    } catch (error) {
      callback(error);
      return;
    }
    callback(null, payload);
  };
  verifier.albAware = true;
  strategy.JwtVerifier = verifier;
}

/**
 * The passport-jwt strategy of ALB mode: it reads `x-amzn-oidc-data` (handed in by the guard), its key
 * provider runs every check that needs no key (size, spelling, ES256, a UUID kid, the `signer`, the
 * `client`, the issuer) and supplies the load balancer's P-256 key for the kid, the verifier checks the
 * signature over the padded text and `exp`/`nbf`, and the verify callback the claims. Driven by the
 * guard through passport's Strategy protocol, like `CognitoStrategy`; never registered in passport.
 */
export class AlbStrategy extends JwtStrategy {
  private readonly presented: PresentedAttempt;
  private readonly attemptPrototype: object;
  /** What each verified payload came from, until the guard takes it to cache it. */
  private readonly verified: WeakMap<object, AlbVerified>;

  constructor(config: CognitoAuthConfig, alb: CognitoAlbConfig, keys: AlbKeySet) {
    installAlbVerifier();
    const presented = new PresentedAttempt();
    const verifying = new WeakMap<object, AlbVerified>();
    const verified = new WeakMap<object, AlbVerified>();
    super(
      {
        jwtFromRequest: (request: object) => presented.on(request)?.token ?? null,
        secretOrKeyProvider: (request: object, token: string, done: (error: unknown, key?: string) => void) => {
          const attempt = presented.on(request);
          let kid: string;
          try {
            kid = precheck(config, alb, token);
          } catch (error) {
            done(error);
            return;
          }
          keys.getKey(kid).then(
            (key) => {
              verifying.set(request, { token, kid, key, cacheKey: attempt?.cacheKey });
              try {
                done(null, key as unknown as string);
              } finally {
                verifying.delete(request);
              }
            },
            (error: unknown) => done(error),
          );
        },
        passReqToCallback: true,
      },
      (
        request: object,
        payload: Record<string, unknown>,
        done: (error: unknown, user?: unknown, info?: unknown) => void,
      ) => {
        let claims: AlbUserClaims;
        try {
          claims = validate(payload);
        } catch (error) {
          // A failure with its reason (passport-jwt: `fail(info)`), as jsonwebtoken's refusals are.
          done(null, false, error);
          return;
        }
        const source = verifying.get(request);
        if (source !== undefined) verified.set(claims, source);
        done(null, claims);
      },
    );
    this.presented = presented;
    this.verified = verified;
    this.attemptPrototype = attemptPrototypeOf(this);
    // passport-jwt's constructor made the options object: from now on its calls verify as ALB.
    albVerifyOptions.set((this as unknown as { _verifOpts: object })._verifOpts, config.clockToleranceSeconds);
  }

  /**
   * Runs the strategy on `request` for `token` (the `x-amzn-oidc-data` value): `settle` is called
   * once, later, with the claims or the failure.
   */
  attempt(request: object, token: string, settle: StrategyOutcome, cacheKey?: string): void {
    this.presented.run(this.attemptPrototype, request, token, settle, cacheKey);
  }

  /** The token and key `claims` were verified from, once; undefined after that (or for a cached one). */
  takeVerified(claims: object): AlbVerified | undefined {
    const source = this.verified.get(claims);
    if (source !== undefined) this.verified.delete(claims);
    return source;
  }
}

/**
 * What can be refused before a key is fetched, so a token that could never verify costs no fetch.
 * The header's `signer`, `client` and `iss` are covered by the signature, checked next.
 * @returns the kid
 */
function precheck(config: CognitoAuthConfig, alb: CognitoAlbConfig, token: string): string {
  if (token.length > config.maxTokenBytes) throw new TokenTooLargeError();
  const { header, payload, kid } = decodeAlbToken(token);
  if (typeof header.signer !== 'string' || !alb.signers.has(header.signer)) throw new AlbSignerMismatchError();
  if (typeof header.client !== 'string' || !alb.clientIds.has(header.client)) throw new ClientMismatchError();
  if (typeof payload.iss !== 'string' || !config.issuers.has(payload.iss)) throw new IssuerMismatchError();
  if (header.iss !== undefined && header.iss !== payload.iss) throw new IssuerMismatchError();
  return kid;
}

/** The claims' own rules: `exp` (required), the claims' types, and a `sub`. */
function validate(payload: Record<string, unknown>): AlbUserClaims {
  assertClaimTypes(payload);
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new JwtClaimInvalidError();
  return deepFreeze(payload) as AlbUserClaims;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
