import type { CognitoJwtPayload, CognitoMachineTokenPayload } from './cognito-jwt-payload.interface';

/** The access-token members of a payload union (keeps its custom claims). */
type AccessOf<T> = Extract<T, { token_use: 'access' }>;

/**
 * Narrows a verified payload to an access token, custom claims included.
 * @example
 * ```ts
 * me(@CognitoUser() user: CognitoJwtPayload<{ tenant_id: string }>) {
 *   return isAccessToken(user) ? user.client_id : user.aud;
 * }
 * ```
 */
export function isAccessToken<T extends CognitoJwtPayload>(payload: T | undefined): payload is AccessOf<T> {
  return payload?.token_use === 'access';
}

/** Narrows a verified payload to an id token, custom claims included. */
export function isIdToken<T extends CognitoJwtPayload>(
  payload: T | undefined,
): payload is Extract<T, { token_use: 'id' }> {
  return payload?.token_use === 'id';
}

/**
 * Tells a machine-to-machine (client credentials) access token from a user's: Cognito issues it to
 * the app client itself, so it has no `username` and its `sub` is the `client_id`.
 */
export function isMachineToken<T extends CognitoJwtPayload>(
  payload: T | undefined,
): payload is AccessOf<T> & CognitoMachineTokenPayload {
  return (
    isAccessToken(payload) &&
    payload.username === undefined &&
    typeof payload.client_id === 'string' &&
    payload.sub === payload.client_id
  );
}
