/** Claims common to Cognito access and id tokens. */
export interface CognitoJwtClaims {
  /** The user's (or, for client credentials, the app client's) unique id. */
  sub: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  iss: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** When the user authenticated, seconds since the epoch. */
  auth_time?: number;
  jti?: string;
  /** Id of the sign-in event the token came from. */
  event_id?: string;
  /** Id of the refresh-token family the token was minted from. */
  origin_jti?: string;
  /** The user's groups in the pool. */
  'cognito:groups'?: string[];
  /** Custom claims (a pre-token-generation trigger may add any). */
  [claim: string]: unknown;
}

/** The claims of a verified Cognito access token, without custom claims. */
export interface CognitoAccessTokenClaims extends CognitoJwtClaims {
  token_use: 'access';
  /** The app client the token was issued to (access tokens carry no `aud`). */
  client_id: string;
  /** Space-separated OAuth scopes. */
  scope?: string;
  /** Absent in machine-to-machine (client credentials) tokens. */
  username?: string;
  version?: number;
}

/** The claims of a verified Cognito id token, without custom claims. */
export interface CognitoIdTokenClaims extends CognitoJwtClaims {
  token_use: 'id';
  /** The app client the token was issued to. */
  aud: string;
  'cognito:username'?: string;
  email?: string;
  email_verified?: boolean;
}

/**
 * A verified Cognito access token: what an API should usually accept. `TCustom` types the claims a
 * pre-token-generation trigger adds.
 * @example
 * ```ts
 * type Token = CognitoAccessTokenPayload<{ tenant_id: string }>;
 * ```
 */
export type CognitoAccessTokenPayload<TCustom extends object = {}> = CognitoAccessTokenClaims & TCustom;

/** A verified Cognito id token: identity claims for the client app. `TCustom` as for access tokens. */
export type CognitoIdTokenPayload<TCustom extends object = {}> = CognitoIdTokenClaims & TCustom;

/**
 * A machine-to-machine access token (OAuth client credentials): issued to an app client, not a user.
 * It has no `username` and no `cognito:groups`, its `sub` is the client id, and its `scope` holds
 * resource-server scopes (`<resource server>/<scope>`).
 */
export type CognitoMachineTokenPayload<TCustom extends object = {}> = CognitoAccessTokenPayload<TCustom> & {
  username?: undefined;
  'cognito:groups'?: undefined;
};

/** What `@CognitoUser()` returns: the verified payload of either kind of Cognito token. */
export type CognitoJwtPayload<TCustom extends object = {}> =
  CognitoAccessTokenPayload<TCustom> | CognitoIdTokenPayload<TCustom>;

/** The kinds of Cognito JWT (`token_use`). Refresh tokens are not JWTs and are never accepted. */
export type CognitoTokenUse = CognitoJwtPayload['token_use'];

/** The claim names of `T` without its index signature (`keyof` of an indexed type is just `string`). */
type DeclaredClaimOf<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};

/**
 * Standard OpenID Connect claims (OIDC Core §5.1) and the Cognito ones an id or access token may
 * carry beyond those typed in the payload interfaces (their values stay `unknown`: a
 * pre-token-generation trigger can change them).
 */
export type CognitoStandardClaim =
  | 'name'
  | 'given_name'
  | 'family_name'
  | 'middle_name'
  | 'nickname'
  | 'preferred_username'
  | 'profile'
  | 'picture'
  | 'website'
  | 'gender'
  | 'birthdate'
  | 'zoneinfo'
  | 'locale'
  | 'updated_at'
  | 'address'
  | 'phone_number'
  | 'phone_number_verified'
  | 'identities'
  | 'nonce'
  | 'at_hash'
  | 'amr'
  | 'device_key'
  | 'cognito:roles'
  | 'cognito:preferred_role';

/**
 * A claim name `@CognitoUser(claim)` accepts: one Cognito defines (typed in the payload interfaces, or
 * a standard claim), a user-pool attribute `custom:<name>`, or a key of `TCustom`, the claims a
 * pre-token-generation trigger adds. A misspelt name (`'emial'`) does not compile; any name does with
 * `TCustom = Record<string, unknown>`.
 */
export type CognitoClaimName<TCustom extends object = {}> =
  | DeclaredClaimOf<CognitoAccessTokenClaims>
  | DeclaredClaimOf<CognitoIdTokenClaims>
  | CognitoStandardClaim
  | `custom:${string}`
  | Extract<keyof TCustom, string>;
