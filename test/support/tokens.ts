import type { CognitoTestIssuer } from '../../src/testing';

/**
 * A machine-to-machine access token as Cognito issues it for the client-credentials grant: `sub` is
 * the app client id, no `username`, no groups, resource-server scopes.
 */
export function machineToken(issuer: CognitoTestIssuer, scope = 'orders/read orders/write'): string {
  return issuer.accessToken({
    scope,
    claims: { sub: issuer.clientId, username: undefined, auth_time: undefined, origin_jti: undefined },
  });
}
