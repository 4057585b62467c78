import type {
  CognitoAccessTokenPayload,
  CognitoIdTokenPayload,
  CognitoJwtPayload,
  CognitoMachineTokenPayload,
} from './cognito-jwt-payload.interface';

/**
 * Narrows a verified payload to an access token.
 * @example
 * ```ts
 * me(@CognitoUser() user: CognitoJwtPayload) {
 *   return isAccessToken(user) ? user.client_id : user.aud;
 * }
 * ```
 */
export function isAccessToken<TCustom extends object = {}>(
  payload: CognitoJwtPayload<TCustom> | undefined,
): payload is CognitoAccessTokenPayload<TCustom> {
  return payload?.token_use === 'access';
}

/** Narrows a verified payload to an id token. */
export function isIdToken<TCustom extends object = {}>(
  payload: CognitoJwtPayload<TCustom> | undefined,
): payload is CognitoIdTokenPayload<TCustom> {
  return payload?.token_use === 'id';
}

/**
 * Tells a machine-to-machine (client credentials) access token from a user's: Cognito issues it to
 * the app client itself, so it has no `username` and its `sub` is the `client_id`.
 */
export function isMachineToken<TCustom extends object = {}>(
  payload: CognitoJwtPayload<TCustom> | undefined,
): payload is CognitoMachineTokenPayload<TCustom> {
  return (
    isAccessToken(payload) &&
    payload.username === undefined &&
    typeof payload.client_id === 'string' &&
    payload.sub === payload.client_id
  );
}
