import type { CognitoTestIssuer } from '../src/testing';

/**
 * The `curl` lines the sample prints in local mode, each with a fresh token of the embedded issuer
 * and the answer to expect: an admin's access token (group `admin`, scope `orders/read`), a plain
 * user's, and an id token.
 */
export function tryItLines(url: string, issuer: CognitoTestIssuer): string[] {
  const admin = issuer.accessToken({ groups: ['admin'], scope: ['openid', 'orders/read'] });
  const user = issuer.accessToken();
  const id = issuer.idToken();
  const curl = (path: string, token?: string) =>
    token === undefined ? `curl -i ${url}${path}` : `curl -i -H "Authorization: Bearer ${token}" ${url}${path}`;
  return [
    '# no token: 200 on a public route, 401 on the others',
    curl('/'),
    curl('/admin'),
    '# access token of an admin (group admin, scope orders/read): 200',
    curl('/admin', admin),
    curl('/orders', admin),
    curl('/support/escalations', admin),
    '# access token of a plain user: 200 on /me, 403 on /admin and /orders',
    curl('/me', user),
    curl('/admin', user),
    curl('/orders', user),
    '# id token: 200 on /profile, 401 on /me (an access-token route)',
    curl('/profile', id),
    curl('/me', id),
  ];
}
