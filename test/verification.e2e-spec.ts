import type { INestApplication } from '@nestjs/common';
import { CognitoAuthModule } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

const invalidToken = (reason: string) =>
  expect.stringMatching(new RegExp(`^Bearer realm="[^"]+", error="invalid_token", error_description="${reason}"$`));

describe.each(platforms)('verifying a Cognito token over HTTP on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  /** Expects a 401 invalid_token whose header and body both name `reason`. */
  async function expectInvalid(token: string, reason: string, path = '/me') {
    const res = await getWithToken(app, path, token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toEqual(invalidToken(reason));
    expect(res.body).toEqual({ statusCode: 401, message: reason, error: 'Unauthorized' });
  }

  describe('a valid access token', () => {
    it('is accepted and its payload is the user', async () => {
      const res = await getWithToken(app, '/me', issuer.accessToken());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_use: 'access', client_id: issuer.clientId, iss: issuer.issuer });
    });

    it('exposes one claim through @CognitoUser(claim)', async () => {
      const res = await getWithToken(app, '/sub', issuer.accessToken({ claims: { sub: 'user-42' } }));
      expect(res.body).toEqual({ sub: 'user-42' });
    });

    it.each(['bearer', 'BEARER', 'BeArEr'])('is read with the scheme spelled %s', async (scheme) => {
      const res = await get(app, '/me', `${scheme} ${issuer.accessToken()}`);
      expect(res.status).toBe(200);
    });
  });

  describe('without a token', () => {
    it.each([
      ['no Authorization header', undefined],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['the scheme alone', 'Bearer'],
    ])('answers 401 with a challenge and no error code: %s', async (_, authorization) => {
      const res = await get(app, '/me', authorization);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer realm="${issuer.userPoolId}"`);
      expect(res.body).toEqual({ statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' });
    });
  });

  describe('a malformed token', () => {
    it.each([
      ['not a JWT', 'not-a-jwt'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.e30'],
      ['four segments', 'a.b.c.d'],
      ['header not JSON', 'bm90IGpzb24.e30.c2ln'],
      ['header a JSON array', `${Buffer.from('[1]').toString('base64url')}.e30.c2ln`],
      ['payload the JSON null', `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.bnVsbA.c2ln`],
      ['characters outside base64url', 'eyJhbGciOiJSUzI1NiJ9.e30+.c2ln'],
    ])('answers 401 "Token malformed": %s', async (_, token) => {
      await expectInvalid(token, 'Token malformed');
    });

    it('answers 401 "Token malformed" for two tokens in one header', async () => {
      const res = await get(app, '/me', `Bearer ${issuer.accessToken()} ${issuer.accessToken()}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toEqual(invalidToken('Token malformed'));
    });
  });

  // Forged signatures and tampering: the threat catalogue, test/security.e2e-spec.ts [S1]–[S4].

  describe('an algorithm other than RS256', () => {
    it.each(['none', 'HS256', 'RS512', 'PS256', 'ES256', 'rs256'])(
      'answers 401 "Token algorithm not allowed" for alg %s',
      async (alg) => {
        // Signed with RS256, then the header respelled: lowercase, ES256, and `none` with a signature left on.
        const respelled = ['rs256', 'ES256', 'none'].includes(alg);
        const token = issuer.sign(decodePayload(issuer.accessToken()), { alg: respelled ? 'RS256' : alg });
        const spelled = respelled ? respellHeader(token, { alg }) : token;
        await expectInvalid(spelled, 'Token algorithm not allowed');
      },
    );
  });

  it('answers 401 "Token malformed" for alg none with its empty signature', async () => {
    await expectInvalid(issuer.sign(decodePayload(issuer.accessToken()), { alg: 'none' }), 'Token malformed');
  });

  describe('time claims', () => {
    it('refuses an expired token', async () => {
      await expectInvalid(issuer.accessToken({ expiresIn: -1 }), 'Token expired');
    });

    it('refuses a token whose nbf is in the future', async () => {
      const nbf = Math.floor(Date.now() / 1000) + 120;
      await expectInvalid(issuer.accessToken({ claims: { nbf } }), 'Token not yet valid');
    });

    it('refuses a token with no exp', async () => {
      await expectInvalid(issuer.accessToken({ claims: { exp: undefined } }), 'Token claim invalid');
    });

    it('refuses a token issued in the future', async () => {
      const iat = Math.floor(Date.now() / 1000) + 120;
      await expectInvalid(issuer.accessToken({ claims: { iat } }), 'Token not yet valid');
    });

    it('refuses a token with no iat', async () => {
      await expectInvalid(issuer.accessToken({ claims: { iat: undefined } }), 'Token claim invalid');
    });
  });

  describe('the issuer', () => {
    it.each([
      ['another pool', (iss: string) => iss.replace('TestPool1', 'OtherPool')],
      ['a trailing slash', (iss: string) => `${iss}/`],
      ['https instead of http', (iss: string) => iss.replace('http:', 'https:')],
    ])('refuses %s without fetching keys', async (_, change) => {
      const before = issuer.jwksRequests;
      // An unknown kid would make any fetch-first verifier refetch the JWKS.
      const token = issuer.accessToken({ claims: { iss: change(issuer.issuer) }, header: { kid: 'not-yet-seen' } });
      await expectInvalid(token, 'Token issuer not accepted');
      expect(issuer.jwksRequests).toBe(before);
    });

    it('refuses a token with no iss', async () => {
      await expectInvalid(issuer.accessToken({ claims: { iss: undefined } }), 'Token issuer not accepted');
    });
  });

  describe('the app client', () => {
    it('refuses an access token of another client_id', async () => {
      await expectInvalid(issuer.accessToken({ claims: { client_id: 'other' } }), 'Token client not accepted');
    });

    it('refuses an access token with no client_id', async () => {
      await expectInvalid(issuer.accessToken({ claims: { client_id: undefined } }), 'Token client not accepted');
    });

    it('checks aud, not client_id, of an id token', async () => {
      const wrongAud = issuer.idToken({ claims: { aud: 'other', client_id: issuer.clientId } });
      await expectInvalid(wrongAud, 'Token client not accepted', '/profile');
    });

    it('does not take an aud on an access token for its client', async () => {
      const token = issuer.accessToken({ claims: { client_id: undefined, aud: issuer.clientId } });
      await expectInvalid(token, 'Token client not accepted');
    });
  });

  describe('token_use', () => {
    it.each([
      ['missing', undefined],
      ['refresh', 'refresh'],
      ['ACCESS', 'ACCESS'],
    ])('refuses a token whose token_use is %s', async (_, tokenUse) => {
      await expectInvalid(issuer.accessToken({ claims: { token_use: tokenUse } }), 'Token use not accepted');
    });

    it('refuses an id token where the module default (access) applies', async () => {
      await expectInvalid(issuer.idToken(), 'Token use not accepted');
    });

    it('accepts an id token on a route marked @TokenUse("id")', async () => {
      const res = await getWithToken(app, '/profile', issuer.idToken());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ email: 'test-user@example.com' });
    });

    it('refuses an access token on a route marked @TokenUse("id")', async () => {
      await expectInvalid(issuer.accessToken(), 'Token use not accepted', '/profile');
    });

    it.each(['access', 'id'] as const)('accepts a %s token on @TokenUse("access", "id")', async (kind) => {
      const token = kind === 'access' ? issuer.accessToken() : issuer.idToken();
      const res = await getWithToken(app, '/either', token);
      expect(res.body).toEqual({ tokenUse: kind });
    });
  });

  describe('the signing key', () => {
    it.each([
      ['unknown', 'no-such-kid'],
      ['missing', undefined],
      ['empty', ''],
      ['named like a prototype member', '__proto__'],
    ])('answers 401 "Signing key not found" when the kid is %s', async (_, kid) => {
      const token = issuer.sign(decodePayload(issuer.accessToken()), { kid });
      await expectInvalid(token, 'Signing key not found');
    });
  });

  describe('@Groups (any of)', () => {
    it.each([['admin'], ['support'], ['users', 'admin']])('lets in a member of %p', async (...groups) => {
      const res = await getWithToken(app, '/admin', issuer.accessToken({ groups }));
      expect(res.status).toBe(200);
    });

    it.each([
      ['no groups claim', undefined],
      ['another group', ['users']],
      ['a group spelled in another case', ['Admin']],
      ['an empty list', []],
    ])('answers 403 for %s', async (_, groups) => {
      const res = await getWithToken(app, '/admin', issuer.accessToken({ groups }));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, message: 'Not a member of a permitted group', error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('answers 403, not 500, when cognito:groups is not a list', async () => {
      const res = await getWithToken(app, '/admin', issuer.accessToken({ claims: { 'cognito:groups': 'admin' } }));
      expect(res.status).toBe(403);
    });
  });

  describe('@Scopes (all of)', () => {
    it('lets in an access token holding every scope', async () => {
      const token = issuer.accessToken({ scope: 'openid orders/write orders/read' });
      expect((await getWithToken(app, '/orders', token)).status).toBe(200);
    });

    it.each([
      ['one of the two', 'orders/read'],
      ['none', 'openid'],
      ['a scope spelled in another case', 'orders/read ORDERS/WRITE'],
      ['an empty scope', ''],
    ])('answers 403 insufficient_scope for %s', async (_, scope) => {
      const res = await getWithToken(app, '/orders', issuer.accessToken({ scope }));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, message: 'Insufficient scope', error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${issuer.userPoolId}", error="insufficient_scope", error_description="Insufficient scope", scope="orders/read orders/write"`,
      );
    });

    it('answers 401, not 500, when scope is not a string', async () => {
      await expectInvalid(issuer.accessToken({ claims: { scope: ['orders/read'] } }), 'Token claim invalid');
    });
  });

  describe('@Public', () => {
    it('runs the handler without a token, with no user', async () => {
      const res = await get(app, '/public');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
    });
  });

  describe('never a 500', () => {
    it.each([
      ['a huge header', `Bearer ${'a'.repeat(8000)}`],
      ['JSON that is a string', `Bearer ${b64('"x"')}.${b64('"y"')}.c2ln`],
      ['a header with an object kid', `Bearer ${b64('{"alg":"RS256","kid":{"a":1}}')}.${b64('{}')}.c2ln`],
      [
        'a payload of prototype keys',
        `Bearer ${b64('{"alg":"RS256","kid":"k"}')}.${b64('{"__proto__":{"token_use":"access"}}')}.c2ln`,
      ],
      ['non-ASCII text', 'Bearer \u00e9t\u00e9.\u00e9t\u00e9.\u00e9t\u00e9'],
    ])('answers 401 for %s', async (_, authorization) => {
      const res = await get(app, '/me', authorization);
      expect(res.status).toBe(401);
    });
  });
});

describe.each(platforms)('clockToleranceSeconds on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ clockToleranceSeconds: 60 })), [
      GuardedController,
    ]);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('accepts a token expired within the tolerance', async () => {
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: -30 }))).status).toBe(200);
  });

  it('refuses a token expired beyond it', async () => {
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: -90 }))).status).toBe(401);
  });

  it.each(['nbf', 'iat'])('accepts a token whose %s is ahead within the tolerance, not beyond', async (claim) => {
    const now = Math.floor(Date.now() / 1000);
    const within = issuer.accessToken({ claims: { [claim]: now + 30 } });
    const beyond = issuer.accessToken({ claims: { [claim]: now + 90 } });
    expect((await getWithToken(app, '/me', within)).status).toBe(200);
    expect((await getWithToken(app, '/me', beyond)).status).toBe(401);
  });
});

describe.each(platforms)('clientId on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterAll(() => issuer.stop());

  it('accepts any of several clients', async () => {
    const app = await createApp(
      CognitoAuthModule.forRoot(issuer.moduleOptions({ clientId: ['web', issuer.clientId] })),
      [GuardedController],
    );
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect((await getWithToken(app, '/me', issuer.accessToken({ claims: { client_id: 'web' } }))).status).toBe(200);
    expect((await getWithToken(app, '/me', issuer.accessToken({ claims: { client_id: 'cli' } }))).status).toBe(401);
    await app.close();
  });

  it('accepts any client when set to null', async () => {
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ clientId: null })), [
      GuardedController,
    ]);
    expect((await getWithToken(app, '/me', issuer.accessToken({ claims: { client_id: 'cli' } }))).status).toBe(200);
    await app.close();
  });
});

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

function respellHeader(token: string, fields: Record<string, unknown>): string {
  const [header, ...rest] = token.split('.');
  const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
  return [b64(JSON.stringify({ ...decoded, ...fields })), ...rest].join('.');
}

function b64(json: string): string {
  return Buffer.from(json).toString('base64url');
}
