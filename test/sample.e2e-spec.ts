import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../sample/app.module';
import { readSampleSettings } from '../sample/sample-settings';
import { CognitoTestIssuer } from '../src/testing';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

/** Every route of the sample, against its embedded issuer, with each kind of caller. */
describe.each(platforms)('the sample app on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;
  let tokens: Record<Exclude<Caller, 'nobody'>, string>;
  type Caller = 'nobody' | 'admin' | 'user' | 'support' | 'id token';

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(AppModule.forRoot(issuer.moduleOptions()), []);
    tokens = {
      // The admin of the printed curl lines: group admin, scope orders/read.
      admin: issuer.accessToken({ groups: ['admin'], scope: 'openid orders/read' }),
      user: issuer.accessToken(),
      support: issuer.accessToken({ groups: ['support'] }),
      'id token': issuer.idToken({ groups: ['admin'] }),
    };
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  function call(path: string, caller: Caller) {
    return caller === 'nobody' ? get(app, path) : getWithToken(app, path, tokens[caller]);
  }

  // path, then the answer to: nobody, admin, user, support, id token
  const answers: [string, number, number, number, number, number][] = [
    ['/', 200, 200, 200, 200, 200],
    ['/me', 401, 200, 200, 200, 401],
    ['/profile', 401, 401, 401, 401, 200],
    ['/admin', 401, 200, 403, 403, 401],
    ['/orders', 401, 200, 403, 403, 401],
    ['/support/tickets', 401, 200, 403, 200, 401],
    ['/support/escalations', 401, 200, 403, 403, 401],
    ['/support/status', 200, 200, 200, 200, 200],
  ];
  const callers: Caller[] = ['nobody', 'admin', 'user', 'support', 'id token'];

  describe.each(answers)('GET %s', (path, ...statuses) => {
    it.each(callers.map((caller, i) => [caller, statuses[i]!] as const))(
      'answers %s with %i',
      async (caller, status) => {
        expect((await call(path, caller)).status).toBe(status);
      },
    );
  });

  it('/me answers with the verified access token payload', async () => {
    const res = await call('/me', 'user');
    expect(res.body).toMatchObject({ token_use: 'access', client_id: issuer.clientId, iss: issuer.issuer });
  });

  it('/profile answers with the email and username of the id token', async () => {
    expect((await call('/profile', 'id token')).body).toEqual({
      email: 'test-user@example.com',
      username: 'test-user',
    });
  });

  it('/orders names the missing scope', async () => {
    const res = await call('/orders', 'user');
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="orders\/read"/);
  });

  it('/admin answers the admin with its sub, / names the routes to try', async () => {
    expect((await call('/admin', 'admin')).body).toEqual({ admin: 'a1b2c3d4-0000-4000-8000-000000000001' });
    expect((await call('/', 'nobody')).body).toMatchObject({ hello: 'world' });
  });
});

describe("the sample's settings", () => {
  it('run a local issuer without COGNITO_ variables, on port 3000 by default', () => {
    expect(readSampleSettings({})).toEqual({ port: 3000, auth: { mode: 'local' } });
    expect(readSampleSettings({ PORT: '0' }).port).toBe(0);
  });

  it('trust the pool the COGNITO_ variables name', () => {
    expect(
      readSampleSettings({
        COGNITO_USER_POOL_ID: 'local_4E5xZ7Aa',
        COGNITO_CLIENT_ID: 'a,b',
        COGNITO_ISSUER: 'http://localhost:9229/local_4E5xZ7Aa',
        COGNITO_JWKS_URI: 'http://localhost:9229/local_4E5xZ7Aa/.well-known/jwks.json',
      }).auth,
    ).toEqual({
      mode: 'pool',
      userPoolId: 'local_4E5xZ7Aa',
      options: {
        userPoolId: 'local_4E5xZ7Aa',
        clientId: ['a', 'b'],
        issuer: 'http://localhost:9229/local_4E5xZ7Aa',
        jwksUri: 'http://localhost:9229/local_4E5xZ7Aa/.well-known/jwks.json',
      },
    });
  });

  it.each([
    [{ PORT: 'http' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be a whole number/],
    [{ COGNITO_USER_POOL_ID: 'eu-west-1_abc' }, /^COGNITO_CLIENT_ID is required/],
    [{ COGNITO_CLIENT_ID: 'abc' }, /^COGNITO_USER_POOL_ID is required/],
    [{ COGNITO_ISSUER: 'http://localhost:9229/x_y' }, /^COGNITO_ISSUER and COGNITO_JWKS_URI need/],
  ])('refuse %j, naming the variable', (env, message) => {
    expect(() => readSampleSettings(env)).toThrow(message);
  });
});
