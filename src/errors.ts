/**
 * Every failure this module reports is a `CognitoAuthError` with a stable `code`. Verification failures
 * carry a fixed message that is safe to send to a client (it never echoes token content); the detail
 * that helps an operator sits in `cause`. `CognitoGuard` is the one place that turns them into HTTP.
 */
export abstract class CognitoAuthError extends Error {
  /** Stable identifier of the failure, e.g. `ERR_JWT_EXPIRED`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An option given to `CognitoAuthModule.forRoot()` / `forRootAsync()` is missing or malformed. Thrown
 * while the application starts; the message names the option.
 */
export class CognitoConfigError extends CognitoAuthError {
  readonly code = 'ERR_COGNITO_CONFIG';

  /** @param option dotted path of the offending option, e.g. `jwks.timeoutMs`. */
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`CognitoAuthModule option "${option}" ${problem}`);
  }
}

/** The request carries no bearer token. Answered 401 with a challenge and no error code (RFC 6750 §3.1). */
export class TokenMissingError extends CognitoAuthError {
  readonly code = 'ERR_TOKEN_MISSING';
  /**
   * @param options.missing what the request lacks, for the message ("Missing <missing>"): the bearer
   *   token by default; in ALB mode the load balancer's header, so an operator sees which hop dropped it.
   */
  constructor(options?: { cause?: unknown; missing?: string }) {
    super(`Missing ${options?.missing ?? 'bearer token'}`, options);
  }
}

/** The token was presented but cannot be accepted. Answered 401 with `error="invalid_token"`. */
export abstract class InvalidTokenError extends CognitoAuthError {}

/** Not a well-formed JWT: segments, base64url or JSON are wrong, or a required claim is missing. */
export class TokenMalformedError extends InvalidTokenError {
  readonly code = 'ERR_JWT_MALFORMED';
  constructor(options?: { cause?: unknown }) {
    super('Token malformed', options);
  }
}

/** The token is longer than `maxTokenBytes`: refused before it is parsed. */
export class TokenTooLargeError extends InvalidTokenError {
  readonly code = 'ERR_JWT_TOO_LARGE';
  constructor(options?: { cause?: unknown }) {
    super('Token too large', options);
  }
}

/**
 * The header asks for something this module does not do: a `crit` extension (RFC 7515 §4.1.11 says a
 * recipient that does not understand one must refuse the token).
 */
export class UnsupportedHeaderError extends InvalidTokenError {
  readonly code = 'ERR_JWT_HEADER_UNSUPPORTED';
  constructor(options?: { cause?: unknown }) {
    super('Token header not accepted', options);
  }
}

/**
 * A claim is missing or of the wrong type: no `exp`, a time that is not a finite number, a string claim
 * that is not a string.
 */
export class JwtClaimInvalidError extends InvalidTokenError {
  readonly code = 'ERR_JWT_CLAIM_INVALID';
  constructor(options?: { cause?: unknown }) {
    super('Token claim invalid', options);
  }
}

/** The header names an algorithm other than RS256, the only one Cognito uses. */
export class AlgorithmNotAllowedError extends InvalidTokenError {
  readonly code = 'ERR_JWT_ALG_NOT_ALLOWED';
  constructor(options?: { cause?: unknown }) {
    super('Token algorithm not allowed', options);
  }
}

/** The signature does not verify with the pool's key for the token's `kid`. */
export class InvalidSignatureError extends InvalidTokenError {
  readonly code = 'ERR_JWT_SIGNATURE_INVALID';
  constructor(options?: { cause?: unknown }) {
    super('Token signature invalid', options);
  }
}

/** `exp` has passed (beyond `clockToleranceSeconds`). */
export class JwtExpiredError extends InvalidTokenError {
  readonly code = 'ERR_JWT_EXPIRED';
  constructor(options?: { cause?: unknown }) {
    super('Token expired', options);
  }
}

/** `nbf` is still in the future (beyond `clockToleranceSeconds`). */
export class JwtNotYetValidError extends InvalidTokenError {
  readonly code = 'ERR_JWT_NOT_YET_VALID';
  constructor(options?: { cause?: unknown }) {
    super('Token not yet valid', options);
  }
}

/** `iss` is not the configured user pool's issuer. */
export class IssuerMismatchError extends InvalidTokenError {
  readonly code = 'ERR_JWT_ISSUER_MISMATCH';
  constructor(options?: { cause?: unknown }) {
    super('Token issuer not accepted', options);
  }
}

/** `client_id` (access token) or `aud` (id token) is not one of the configured app clients. */
export class ClientMismatchError extends InvalidTokenError {
  readonly code = 'ERR_JWT_CLIENT_MISMATCH';
  constructor(options?: { cause?: unknown }) {
    super('Token client not accepted', options);
  }
}

/** `token_use` is missing, or not one the route accepts (an id token where an access token is due). */
export class TokenUseMismatchError extends InvalidTokenError {
  readonly code = 'ERR_JWT_TOKEN_USE_MISMATCH';
  constructor(options?: { cause?: unknown }) {
    super('Token use not accepted', options);
  }
}

/**
 * The pool's JWKS has no usable key with the token's `kid`, or the token names none. An unknown `kid`
 * triggers one refetch of the key set; within the cooldown that follows (`60 / jwks.requestsPerMinute`
 * seconds) unknown `kid`s are refused without fetching.
 */
export class KidNotFoundError extends InvalidTokenError {
  readonly code = 'ERR_JWKS_KID_NOT_FOUND';
  constructor(options?: { cause?: unknown }) {
    super('Signing key not found', options);
  }
}

/**
 * The pool's keys cannot be fetched (endpoint down, deadline passed, non-200, not a JWKS, no usable
 * key in it) and the key the token needs is not cached. Answered 503: the client did nothing wrong.
 */
export class JwksUnavailableError extends CognitoAuthError {
  readonly code = 'ERR_JWKS_UNAVAILABLE';
  /**
   * Seconds after which a fetch may succeed (the key set's next allowed fetch), sent as the 503's
   * `Retry-After`; unset, the guard sends the JWKS cooldown (`60 / jwks.requestsPerMinute`).
   */
  readonly retryAfterSeconds?: number;
  constructor(options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super('Signing keys unavailable', options);
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A valid token that a route refuses. Answered 403. */
export abstract class AuthorizationError extends CognitoAuthError {}

/** None of the route's `@Groups()` is in the token's `cognito:groups`. */
export class GroupsNotAllowedError extends AuthorizationError {
  readonly code = 'ERR_GROUPS_NOT_ALLOWED';
  constructor(readonly required: readonly string[]) {
    super('Not a member of a permitted group');
  }
}

/** Not every one of the route's `@Scopes()` is in the access token's `scope`. Answered 403 `insufficient_scope`. */
export class InsufficientScopeError extends AuthorizationError {
  readonly code = 'ERR_INSUFFICIENT_SCOPE';
  constructor(readonly required: readonly string[]) {
    super('Insufficient scope');
  }
}

/** Not every one of the route's `@Groups({ allOf })` is in the token's `cognito:groups`. */
export class GroupsRequiredError extends AuthorizationError {
  readonly code = 'ERR_GROUPS_REQUIRED';
  constructor(readonly required: readonly string[]) {
    super('Not a member of every required group');
  }
}

/**
 * The token's `cognito:groups` holds one of the route's `@ProhibitedGroups()`, or is malformed (a
 * prohibition that cannot be checked denies).
 */
export class GroupProhibitedError extends AuthorizationError {
  readonly code = 'ERR_GROUP_PROHIBITED';
  constructor(readonly prohibited: readonly string[]) {
    super('Member of a prohibited group');
  }
}

/**
 * A claim of the token does not meet the route's `@Claims()` (absent, another value, not a list that
 * includes the value). The message names neither the claim's value nor the value required; `claim` names
 * the claim for a guard that extends `CognitoGuard`.
 */
export class ClaimNotAllowedError extends AuthorizationError {
  readonly code = 'ERR_CLAIM_NOT_ALLOWED';
  constructor(readonly claim: string) {
    super('Claim requirement not met');
  }
}

/** The route's `@ClaimCheck()` returned something other than `true`, or threw (the error is the `cause`). */
export class ClaimCheckRefusedError extends AuthorizationError {
  readonly code = 'ERR_CLAIM_CHECK_REFUSED';
  constructor(options?: { cause?: unknown }) {
    super('Refused by the route claim check', options);
  }
}

/**
 * `exp - iat` is longer than `maxTokenAge` (plus `clockToleranceSeconds`). Cognito never issues a token
 * that lives longer than a day, so a longer one was not minted by a pool's usual settings, and it would
 * stay valid (and in the verified-token cache) for that long.
 */
export class TokenLifetimeTooLongError extends InvalidTokenError {
  readonly code = 'ERR_JWT_LIFETIME_TOO_LONG';
  constructor(options?: { cause?: unknown }) {
    super('Token lifetime too long', options);
  }
}

/**
 * `CognitoGuard` (or a guard that extends it) is used in an app that does not import
 * `CognitoAuthModule`: there are no options, keys or strategy to verify with. Thrown while the
 * application starts, instead of Nest's "can't resolve dependencies of the CognitoGuard".
 */
export class CognitoAuthModuleMissingError extends CognitoAuthError {
  readonly code = 'ERR_COGNITO_MODULE_MISSING';

  /** @param guard the name of the guard class that was instantiated, e.g. `CognitoGuard`. */
  constructor(readonly guard: string) {
    super(
      `${guard} needs CognitoAuthModule: import CognitoAuthModule.forRoot({ userPoolId, clientId }) ` +
        `(or forRootAsync()) once, in the root module (AppModule); it is global, so every module's ` +
        `guards then find it`,
    );
  }
}

/**
 * `CognitoGuard` ran in a context it cannot read a token from (for example `rpc`: a microservice of a
 * hybrid app that inherits a global guard, where the only "request" is the client's message body).
 * Thrown as is, never turned into a 401: it is the app's setup to fix, not the client's request.
 * `@Public()` handlers in such a context run, and `@CognitoUser()` gives them `undefined`.
 */
export class UnsupportedContextError extends CognitoAuthError {
  readonly code = 'ERR_CONTEXT_UNSUPPORTED';

  /** @param contextType what `ExecutionContext.getType()` said, e.g. `rpc`. */
  constructor(
    readonly contextType: string,
    handler: string,
  ) {
    super(
      `CognitoGuard cannot guard ${handler} in a "${contextType}" context: it reads tokens from HTTP requests, ` +
        'GraphQL requests and WebSocket handshakes only. Mark the handler @Public(), or do not apply the guard ' +
        'there (a hybrid app: connectMicroservice() without inheritAppConfig).',
    );
  }
}

/**
 * The token was revoked through `CognitoRevocationService` (its `jti`, its refresh-token family
 * `origin_jti`, or every token of its user issued before an instant). Answered 401 `invalid_token`.
 */
export class TokenRevokedError extends InvalidTokenError {
  readonly code = 'ERR_JWT_REVOKED';
  constructor(options?: { cause?: unknown }) {
    super('Token revoked', options);
  }
}

/**
 * `revocation.failClosed` is on and the revocation set may be stale (the store is unreachable, or was
 * not loaded yet): tokens are refused until it is reloaded. Answered 503, as for signing keys: the
 * client did nothing wrong.
 */
export class RevocationStateUnavailableError extends CognitoAuthError {
  readonly code = 'ERR_REVOCATION_STATE_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('Revocation state unavailable', options);
  }
}

/**
 * A revocation could not be written: the revocation store is unreachable. Thrown to the caller of
 * `revokeToken()` / `revokeUser()`; nothing is queued, so nothing is silently lost: retry, or fail the
 * sign-out that asked for it.
 */
export class RevocationStoreUnavailableError extends CognitoAuthError {
  readonly code = 'ERR_REVOCATION_STORE_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('Revocation store unavailable: the revocation was not recorded', options);
  }
}

/**
 * `revokeToken()` / `revokeUser()` was given nothing it can revoke: revocation is not configured, a
 * token with neither `jti` nor `origin_jti`, an empty `sub`, an invalid `before`. The message says which.
 */
export class RevocationRequestInvalidError extends CognitoAuthError {
  readonly code = 'ERR_REVOCATION_REQUEST_INVALID';
}

/**
 * The app's `tenants.resolve` threw or rejected (or returned options that fail validation, or too many
 * resolutions are under way, `tenants.maxPending`), so the token's pool is not known. Answered 503: the
 * client did nothing wrong. The resolver's error is the `cause`; it is not cached, the next token asks again.
 */
export class TenantResolverError extends CognitoAuthError {
  readonly code = 'ERR_TENANT_RESOLVER_FAILED';
  constructor(options?: { cause?: unknown }) {
    super('User pool unavailable', options);
  }
}

/**
 * ALB mode: the `x-amzn-oidc-data` token's `signer` is not one of `alb.loadBalancerArn`: another load
 * balancer (of any AWS account) signed it.
 */
export class AlbSignerMismatchError extends InvalidTokenError {
  readonly code = 'ERR_ALB_SIGNER_MISMATCH';
  constructor(options?: { cause?: unknown }) {
    super('Token signer not accepted', options);
  }
}

/**
 * ALB mode: the headers disagree on the user: `x-amzn-oidc-identity`, or the access token of
 * `x-amzn-oidc-accesstoken` (with `alb.accessToken`), names another `sub` than the signed
 * `x-amzn-oidc-data`.
 */
export class AlbIdentityMismatchError extends InvalidTokenError {
  readonly code = 'ERR_ALB_IDENTITY_MISMATCH';
  constructor(options?: { cause?: unknown }) {
    super('Token identity headers disagree', options);
  }
}
