import { Logger, type INestApplication } from '@nestjs/common';
import { CognitoAuthModule, type CognitoJwtPayload, type CognitoVerifyHook } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';
import { machineToken } from './support/tokens';

describe.each(platforms)('access rules on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterAll(() => issuer.stop());

  describe('@Public({ optional: true })', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
    });

    afterAll(() => app.close());

    it('runs the handler with no user when no token is sent', async () => {
      const res = await get(app, '/maybe');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: null });
    });

    it('sets the user when a valid token is sent', async () => {
      const res = await getWithToken(app, '/maybe', issuer.accessToken({ claims: { sub: 'u-1' } }));
      expect(res.body).toEqual({ sub: 'u-1' });
    });

    it.each([
      ['expired', () => issuer.accessToken({ expiresIn: -1 }), 'Token expired'],
      ['of another client', () => issuer.accessToken({ claims: { client_id: 'other' } }), 'Token client not accepted'],
      ['malformed', () => 'not-a-jwt', 'Token malformed'],
    ])('still answers 401 with a challenge for a token %s', async (_, token, message) => {
      const res = await getWithToken(app, '/maybe', token());
      expect(res.status).toBe(401);
      expect(res.body.message).toBe(message);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('applies route rules to a token that is sent, not to no token', async () => {
      expect((await get(app, '/maybe-admin')).body).toEqual({ sub: null });
      expect((await getWithToken(app, '/maybe-admin', issuer.accessToken({ groups: ['admin'] }))).status).toBe(200);
      expect((await getWithToken(app, '/maybe-admin', issuer.accessToken({ groups: ['users'] }))).status).toBe(403);
    });
  });

  describe('machine-to-machine tokens', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
    });

    afterAll(() => app.close());

    it('are accepted, with sub equal to the client id and no username', async () => {
      const res = await getWithToken(app, '/me', machineToken(issuer));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: issuer.clientId, client_id: issuer.clientId, token_use: 'access' });
      expect(res.body).not.toHaveProperty('username');
    });

    it('pass @Scopes with resource-server scopes', async () => {
      expect((await getWithToken(app, '/orders', machineToken(issuer))).status).toBe(200);
      expect((await getWithToken(app, '/orders', machineToken(issuer, 'orders/read'))).status).toBe(403);
    });

    it('are told from user tokens by isMachineToken()', async () => {
      expect((await getWithToken(app, '/kind', machineToken(issuer))).body).toEqual({
        machine: true,
        access: true,
        id: false,
      });
      expect((await getWithToken(app, '/kind', issuer.accessToken())).body).toEqual({
        machine: false,
        access: true,
        id: false,
      });
    });
  });

  describe('the verify hook', () => {
    const apps: INestApplication[] = [];

    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
    });

    async function appWith(verify: CognitoVerifyHook, tokenUse: 'access' | 'id' = 'access'): Promise<INestApplication> {
      const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ verify, tokenUse })), [
        GuardedController,
      ]);
      apps.push(app);
      return app;
    }

    it('gets the verified payload and the request, and true lets the request in', async () => {
      const seen: Array<[CognitoJwtPayload, unknown]> = [];
      const app = await appWith(async (payload, request: { headers: Record<string, string> }) => {
        seen.push([payload, request.headers['x-tenant']]);
        return true;
      });
      const res = await getWithToken(app, '/sub', issuer.accessToken({ claims: { sub: 'u-1' } })).set(
        'x-tenant',
        't-1',
      );
      expect(res.body).toEqual({ sub: 'u-1' });
      expect(seen).toEqual([[expect.objectContaining({ sub: 'u-1', token_use: 'access' }), 't-1']]);
    });

    it('answers 401 invalid_token "Token rejected" when it returns false', async () => {
      const app = await appWith((payload) => payload.sub !== 'revoked-user');
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      const res = await getWithToken(app, '/me', issuer.accessToken({ claims: { sub: 'revoked-user' } }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, message: 'Token rejected', error: 'Unauthorized' });
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${issuer.userPoolId}", error="invalid_token", error_description="Token rejected"`,
      );
    });

    it('accepts only true: a truthy value that is not true refuses', async () => {
      const app = await appWith((() => 'yes') as unknown as CognitoVerifyHook);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(401);
    });

    it('answers 401, not 500, when it throws or rejects, and logs the error', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const sync = await appWith(() => {
        throw new Error('database down');
      });
      const res = await getWithToken(sync, '/me', issuer.accessToken());
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Token rejected');
      const async = await appWith(() => Promise.reject(new Error('database down')));
      expect((await getWithToken(async, '/me', issuer.accessToken())).status).toBe(401);
      expect(logged).toHaveBeenCalledTimes(2);
      expect(logged).toHaveBeenCalledWith(
        expect.stringContaining('verify hook threw'),
        expect.stringContaining('database down'),
      );
      logged.mockRestore();
    });

    it('never runs on a token that failed a built-in check or a route rule', async () => {
      const verify = jest.fn(() => true);
      const app = await appWith(verify);
      const refused = [
        ['/me', issuer.idToken()], // wrong token_use
        ['/me', issuer.accessToken({ claims: { client_id: 'other' } })], // wrong client
        ['/me', issuer.accessToken({ expiresIn: -1 })],
        ['/admin', issuer.accessToken({ groups: ['users'] })],
        ['/orders', issuer.accessToken({ scope: 'openid' })],
      ] as const;
      for (const [path, token] of refused) {
        expect((await getWithToken(app, path, token)).status).toBeGreaterThanOrEqual(401);
      }
      expect(verify).not.toHaveBeenCalled();
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(verify).toHaveBeenCalledTimes(1);
    });

    it('does not run on @Public() routes, and runs on a token sent to an optional one', async () => {
      const verify = jest.fn(() => false);
      const app = await appWith(verify);
      expect((await get(app, '/public')).status).toBe(200);
      expect((await get(app, '/maybe')).status).toBe(200);
      expect(verify).not.toHaveBeenCalled();
      expect((await getWithToken(app, '/maybe', issuer.accessToken())).status).toBe(401);
      expect(verify).toHaveBeenCalledTimes(1);
    });
  });
});
