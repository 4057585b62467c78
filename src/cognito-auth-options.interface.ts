import type { CognitoTokenUse } from './cognito-jwt-payload.interface';
import type { CognitoTokenExtractor, CognitoTokenSources } from './token-extractor';
import type { CognitoVerifyHook } from './verify-hook';

/** How the pool's JWKS is fetched and cached (jwks-rsa's `cache`, `rateLimit` and `timeout`). */
export interface CognitoJwksOptions {
  /**
   * How long a fetched signing key is cached, in milliseconds.
   * @default 600000 (10 minutes)
   */
  cacheMaxAgeMs?: number;
  /**
   * At most this many JWKS fetches a minute (jwks-rsa `jwksRequestsPerMinute`): a token with an
   * unknown `kid` triggers a refetch, and this caps what forged `kid`s can cost. Past the budget,
   * unknown `kid`s answer 401 without fetching.
   * @default 10
   */
  requestsPerMinute?: number;
  /**
   * Deadline for one whole JWKS fetch, connect to last byte, in milliseconds.
   * @default 5000
   */
  timeoutMs?: number;
}

/**
 * Options of `CognitoAuthModule.forRoot()`, or what the `useFactory` of `forRootAsync()` returns.
 * Validated once when the application starts: a bad value fails the start with a `CognitoConfigError`
 * that names the option.
 */
export interface CognitoAuthModuleOptions {
  /**
   * The user pool, `<region>_<id>` (e.g. `eu-west-1_AbC123xyz`); the region is read from it. An
   * emulator's id without a region (cognito-local's `local_…`) is accepted when `issuer` is set.
   */
  userPoolId: string;
  /**
   * The app clients whose tokens are accepted: matched against `client_id` of access tokens and `aud`
   * of id tokens. Required: pass `null` to accept tokens of any client of the pool, explicitly.
   */
  clientId: string | readonly string[] | null;
  /**
   * The token kinds accepted on routes without `@TokenUse()`.
   * @default 'access'
   */
  tokenUse?: CognitoTokenUse | readonly CognitoTokenUse[];
  /**
   * The expected `iss`, matched exactly.
   * @default `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`
   */
  issuer?: string;
  /**
   * Where the pool's public keys are fetched from.
   * @default `<issuer>/.well-known/jwks.json`
   */
  jwksUri?: string;
  /**
   * Leeway for `exp` and `nbf`, in seconds, for clocks that drift.
   * @default 0
   */
  clockToleranceSeconds?: number;
  /** JWKS caching, rate limit and deadline. */
  jwks?: CognitoJwksOptions;
  /**
   * Where the token is read from. By default only `Authorization: Bearer`; `{ cookie: 'name' }` adds
   * a cookie (mind CSRF, see the README), `{ handshake: true }` the `access_token` of a WebSocket
   * handshake; a function replaces the whole lookup.
   * @default the Authorization header alone
   */
  tokenFrom?: CognitoTokenSources | CognitoTokenExtractor;
  /**
   * The app's own check, run after every built-in check and route rule passed; only `true` accepts.
   * `false` or a throw answers 401 `invalid_token` ("Token rejected"); a throw is also logged.
   */
  verify?: CognitoVerifyHook;
}
