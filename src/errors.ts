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
  constructor(options?: { cause?: unknown }) {
    super('Missing bearer token', options);
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
  constructor(options?: { cause?: unknown }) {
    super('Signing keys unavailable', options);
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
