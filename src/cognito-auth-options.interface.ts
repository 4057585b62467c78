import type { CognitoTokenUse } from './cognito-jwt-payload.interface';

/** How the pool's JWKS is fetched and cached. */
export interface CognitoJwksOptions {
  /**
   * Age of the key set, in milliseconds, after which it is refreshed in the background. Keys keep
   * working while the refresh runs, and while refreshes fail (stale-if-error).
   * @default 600000 (10 minutes)
   */
  cacheMaxAgeMs?: number;
  /**
   * Sets the cooldown after each successful fetch: `60 / requestsPerMinute` seconds in which a token
   * with an unknown `kid` answers 401 without a refetch. Caps what forged `kid`s can cost; a real key
   * rotation is still picked up within one cooldown. Failed fetches start no cooldown.
   * @default 10 (a 6 s cooldown)
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
   * Longest token accepted, in bytes (characters: a valid JWT is ASCII). Longer ones are refused with
   * 401 before they are parsed. Cognito's tokens are 1–4 KiB; custom claims can make id tokens longer.
   * @default 16384
   */
  maxTokenBytes?: number;
  /**
   * The verified-token cache: a token that passed every check is remembered until its `exp`, so
   * repeated requests with it skip the RSA verification. Route rules still apply on every request.
   * `false` turns it off.
   * @default { maxEntries: 10000 }
   */
  cache?: false | CognitoTokenCacheOptions;
}

/** Bounds of the verified-token cache. */
export interface CognitoTokenCacheOptions {
  /**
   * Most tokens remembered; the least recently used goes first. Tokens over 8 KiB are never cached.
   * @default 10000
   */
  maxEntries?: number;
}
