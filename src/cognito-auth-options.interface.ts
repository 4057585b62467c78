import type { Agent } from 'node:http';
import type { CognitoAlbOptions } from './alb/alb-options';
import type { CognitoTokenUse } from './cognito-jwt-payload.interface';
import type { CognitoRevocationOptions } from './revocation/revocation-options';
import type { CognitoTokenExtractor, CognitoTokenSources } from './token-extractor';
import type { CognitoTenantResolver } from './tenant-resolver';
import type { CognitoVerifyHook } from './verify-hook';

/** How the pool's JWKS is fetched and cached. */
export interface CognitoJwksOptions {
  /**
   * Age of the key set, in milliseconds, after which it is refreshed in the background. Keys keep
   * working while the refresh runs, and while refreshes fail (stale-if-error).
   * @default 600000 (10 minutes)
   */
  cacheMaxAgeMs?: number;
  /**
   * Sets the cooldown, `60 / requestsPerMinute` seconds, that follows a fetch made for an unknown
   * `kid` which the fetched set still lacks: within it a token with an unknown `kid` answers 401
   * without a refetch (unless the set is older than `cacheMaxAgeMs`). Caps what forged `kid`s can
   * cost; a real key rotation is still picked up within one cooldown. Other fetches (the prefetch,
   * background refreshes) start none. The cooldown is also the longest step of the backoff after
   * failed fetches (1 s, doubling).
   * @default 10 (a 6 s cooldown)
   */
  requestsPerMinute?: number;
  /**
   * Fetch every pool's keys while the application starts (`onApplicationBootstrap`), so the first
   * requests do not wait for them. A failure is logged and does not fail the start; the keys are then
   * fetched on the first request after the backoff's first step (1 s).
   * @default true
   */
  prefetch?: boolean;
  /**
   * The `http.Agent` (or `https.Agent`) the JWKS is fetched through: an outbound proxy
   * (`new HttpsProxyAgent('http://proxy:3128')` from https-proxy-agent), custom CAs, keep-alive. Without
   * it, `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the environment apply.
   * @default none: the environment's proxy, or a direct connection
   */
  agent?: Agent;
  /**
   * Deadline for one whole JWKS fetch, connect to last byte, in milliseconds.
   * @default 5000
   */
  timeoutMs?: number;
}

/** Which issuer spellings of a pool are accepted when `issuer` is not given. */
export type CognitoIssuerFormat = 'original' | 'updated' | 'both';

/** One user pool whose tokens are accepted. */
export interface CognitoUserPoolOptions {
  /**
   * The user pool, `<region>_<id>` (e.g. `eu-west-1_AbC123xyz`); the region is read from it. An
   * emulator's id without a region (cognito-local's `local_…`, LocalStack's) is accepted when `issuer`
   * is set.
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
   * The expected `iss`, matched exactly; the only one accepted for this pool.
   * @default both of the pool's issuers (see `issuerFormat`)
   */
  issuer?: string;
  /**
   * Which of the pool's two issuers are accepted when `issuer` is not set. A pool whose issuer
   * configuration is `ORIGINAL` issues `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`;
   * one set to `UPDATED` (recommended by AWS, required for multi-Region replication) issues
   * `https://issuer-cognito-idp.<region>.amazonaws.com/<userPoolId>`, region being the pool's primary
   * one. Each is checked against the JWKS served under it.
   * @default 'both'
   */
  issuerFormat?: CognitoIssuerFormat;
  /**
   * Where the pool's public keys are fetched from.
   * @default `<issuer>/.well-known/jwks.json`, for each accepted issuer
   */
  jwksUri?: string;
  /**
   * The path of a JWKS file (`{ "keys": [...] }`, e.g. a saved copy of the pool's
   * `/.well-known/jwks.json`) holding the pool's public keys, read once while the application
   * starts (a relative path is taken from the working directory): the keys are then never fetched. For air-gapped hosts, cold starts without a fetch, or
   * pinned keys. The trade: no automatic rotation, a token signed with a key the file lacks is a 401
   * until the file is updated and the app restarted. The same key filter applies as to a fetched
   * JWKS; a file that is missing, not a JWKS, or has no usable key fails the start. Not with
   * `jwksUri` or `jwksInline`.
   */
  jwksFile?: string;
  /**
   * The pool's JWKS itself (`{ keys: [...] }`), e.g. imported from a JSON file: its keys are never
   * fetched. The same trade and rules as `jwksFile`. Not with `jwksUri` or `jwksFile`.
   */
  jwksInline?: CognitoJwks;
  /**
   * The AWS regions the pool is replicated to (Multi-Region replication), for pools whose issuer
   * configuration is `ORIGINAL`: there, a token issued in a replica region says so in its `iss`,
   * `https://cognito-idp.<replica region>.amazonaws.com/<userPoolId>` (the pool id keeps the primary
   * region), and its keys come from `<that issuer>/.well-known/jwks.json`, unless the entry gives its
   * own `jwksUri`. The pool's `jwksUri` applies to the primary region only. Pools set to `UPDATED`
   * need none of this: every region issues the primary region's updated issuer. Not with `issuer` or
   * `issuerFormat: 'updated'`.
   * @example replicaRegions: ['eu-west-1', 'eu-central-1']
   * @default none
   */
  replicaRegions?: readonly (string | CognitoReplicaRegion)[];
}

/** A replica region of a pool, with where its keys are fetched from. */
export interface CognitoReplicaRegion {
  /** The AWS region, e.g. `eu-west-1`. */
  region: string;
  /** @default `https://cognito-idp.<region>.amazonaws.com/<userPoolId>/.well-known/jwks.json` */
  jwksUri?: string;
}

/** A JSON Web Key Set, as a pool serves it under `/.well-known/jwks.json`. */
export interface CognitoJwks {
  /** Public keys as JWKs (`kty`, `kid`, `n`, `e`, …); those that cannot verify a Cognito token are ignored. */
  readonly keys: readonly Record<string, unknown>[];
}

/** What applies to every pool. */
export interface CognitoAuthCommonOptions {
  /**
   * Leeway for `exp` and `nbf`, in seconds, for clocks that drift.
   * @default 0
   */
  clockToleranceSeconds?: number;
  /** JWKS prefetch, caching, cooldown and deadline. */
  jwks?: CognitoJwksOptions;
  /**
   * Longest token accepted, in bytes (characters: a valid JWT is ASCII). Longer ones are refused with
   * 401 before they are parsed. Cognito's tokens are 1–4 KiB; custom claims can make id tokens longer.
   * @default 16384
   */
  maxTokenBytes?: number;
  /**
   * Longest lifetime accepted, in seconds: a token whose `exp - iat` is longer (beyond
   * `clockToleranceSeconds`, which is added) gets 401 "Token lifetime too long". Cognito issues access
   * and id tokens valid for 5 minutes to 1 day, so a longer one was not issued by the pool's usual
   * settings, and would stay valid (and cached) that long. As `exp` is also checked, no accepted token
   * is older than this (the `maxTokenAge` of express-oauth2-jwt-bearer and jose, measured from `iat`).
   * @default 86400 (one day)
   */
  maxTokenAge?: number;
  /**
   * The verified-token cache: a token the guard accepted twice (every check, the route's rules and
   * the `verify` hook) is remembered until its `exp`, while the key that verified it is still the one
   * the JWKS serves for its `kid`, so its further requests skip the RSA verification. Route
   * rules still apply on every request; a refused token is never cached. `false` turns it off.
   * @default { maxEntries: 10000, maxEntriesPerUser: 10 }
   */
  cache?: false | CognitoTokenCacheOptions;
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
  /**
   * Pools resolved at run time (one pool per tenant, a tenant table): a token whose `iss` no
   * configured pool has is looked up with `tenants.resolve`, and verified as a pool of the options it
   * returns. Its keys come from that pool (its `jwksUri`, or the issuers derived from its
   * `userPoolId`), never from the token; an `iss` the returned pool does not issue is refused. See
   * docs/pools.md.
   */
  tenants?: CognitoTenantOptions;
  /**
   * Revocation: refuse tokens revoked through `CognitoRevocationService` (or the CLI's `revoke`), on
   * every instance that shares `store`, checked in memory after every other check. See
   * docs/revocation.md.
   * @default off
   */
  revocation?: CognitoRevocationOptions;
  /**
   * OpenTelemetry metrics of the guard's decisions, verification time, cache hits and JWKS fetches,
   * recorded through `@opentelemetry/api` (an optional peer) on the global `MeterProvider` the app's
   * SDK registers before the app starts. Without an SDK, or without the package, it records nothing
   * and costs next to nothing. `false` turns it off; `true` or an object turns it on and fails the
   * start when `@opentelemetry/api` is missing. Instruments and attributes: docs/metrics.md.
   * @default on when `@opentelemetry/api` is installed, with the meter `nest-cognito-auth`
   */
  metrics?: boolean | CognitoMetricsOptions;
  /**
   * ALB mode, behind an Application Load Balancer with an `authenticate-cognito` action: the guard
   * verifies the `x-amzn-oidc-data` header the load balancer signs (ES256, its `signer` and `client`
   * checked, its `iss` one of the pools'), optionally with the access token of
   * `x-amzn-oidc-accesstoken`, instead of an `Authorization` bearer token. Not with `tokenFrom` or
   * `tenants`. See docs/alb.md.
   * @default off
   */
  alb?: CognitoAlbOptions;
}

/** Where the module's metrics go. */
export interface CognitoMetricsOptions {
  /**
   * Name of the meter the instruments are created on (its version is the package's).
   * @default 'nest-cognito-auth'
   */
  meterName?: string;
  /**
   * A `MeterProvider` to use instead of the global one (`metrics.getMeterProvider()` of
   * `@opentelemetry/api`), such as the SDK's `new MeterProvider({ readers })` in a test.
   * @default the global MeterProvider
   */
  meterProvider?: CognitoMeterProvider;
}

/**
 * What the module needs of an OpenTelemetry `MeterProvider` (the API's and the SDK's are one), typed
 * here so that the module's types do not require `@opentelemetry/api` to be installed.
 */
export interface CognitoMeterProvider {
  getMeter(name: string, version?: string): object;
}

/** Pools resolved at run time, and the bounds of what is cached of them. */
export interface CognitoTenantOptions {
  /**
   * The pool options (`userPoolId`, `clientId`, …; not `jwksFile`) of the pool that issues
   * `issuer`, or `null` / `undefined` when it is none of your tenants' (401 "Token issuer not
   * accepted"). A throw or rejection is a 503, logged, and not cached.
   */
  resolve: CognitoTenantResolver;
  /**
   * Most issuers remembered, accepted and unknown alike; the least recently used goes first. Also
   * bounds the key sets of tenants.
   * @default 1000
   */
  maxEntries?: number;
  /** How long an accepted issuer's answer is kept, in ms. @default 600000 (10 minutes) */
  ttlMs?: number;
  /** How long an "unknown" answer is kept, in ms. @default 60000 (1 minute) */
  negativeTtlMs?: number;
  /**
   * Most distinct issuers being resolved at once; a token of another issuer not yet cached then
   * answers 503 without a call, so a flood of forged issuers cannot flood the resolver.
   * @default 10
   */
  maxPending?: number;
}

/**
 * Options of `CognitoAuthModule.forRoot()`, or what the `useFactory` of `forRootAsync()` returns: one
 * pool's options at the top level, or several pools in `userPools`. Validated once when the
 * application starts: a bad value fails the start with a `CognitoConfigError` that names the option.
 */
export type CognitoAuthModuleOptions = CognitoSinglePoolOptions | CognitoMultiPoolOptions;

/** One user pool, its options at the top level. */
export interface CognitoSinglePoolOptions extends CognitoUserPoolOptions, CognitoAuthCommonOptions {
  userPools?: undefined;
}

/**
 * Several user pools: the token's `iss` selects its pool, and a token of an issuer no pool has is
 * refused without a fetch. Keys are cached per JWKS URI.
 */
export interface CognitoMultiPoolOptions extends CognitoAuthCommonOptions {
  /** The pools; may be empty with `tenants`. */
  userPools: readonly CognitoUserPoolOptions[];
  userPoolId?: undefined;
  clientId?: undefined;
}

/** Bounds of the verified-token cache. */
export interface CognitoTokenCacheOptions {
  /**
   * Most tokens remembered; the least recently used goes first. Tokens over 8 KiB are never cached.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most tokens remembered per user (`iss` and `sub`; a machine client's tokens carry its client id as
   * `sub`, so they count as one user). A user over it loses their own oldest entry, never another
   * user's: one holder of many valid tokens cannot flush the cache. Tokens past the bound are still
   * accepted, only verified again; raise it for a machine client run by many instances, each with its
   * own token.
   * @default 10
   */
  maxEntriesPerUser?: number;
}
