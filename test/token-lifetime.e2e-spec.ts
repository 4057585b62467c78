import type { INestApplication } from '@nestjs/common';
import { CognitoAuthHealth, CognitoAuthModule, type CognitoSinglePoolOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { getWithToken } from './support/requests';

describe('token lifetime (maxTokenAge)', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await issuer.stop();
  });

  async function start(overrides: Partial<CognitoSinglePoolOptions> = {}) {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions(overrides)), [GuardedController]);
    return app;
  }

  async function expectTooLong(app: INestApplication, token: string) {
    const res = await getWithToken(app, '/me', token);
    expect([res.status, res.body.message]).toEqual([401, 'Token lifetime too long']);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="${issuer.userPoolId}", error="invalid_token", error_description="Token lifetime too long"`,
    );
  }

  it('[T9] refuses a pool-signed token that lives longer than a day, exp 1e308 included, and caches none', async () => {
    const app = await start();
    const now = Math.floor(Date.now() / 1000);
    await expectTooLong(app, issuer.accessToken({ expiresIn: 86_401 }));
    await expectTooLong(app, issuer.accessToken({ claims: { exp: 1e308 } }));
    await expectTooLong(app, issuer.idToken({ claims: { exp: Number.MAX_SAFE_INTEGER } }));
    // An iat far in the past makes the lifetime long as well, whatever exp says.
    await expectTooLong(app, issuer.accessToken({ claims: { iat: now - 2 * 86_400, exp: now + 60 } }));
    // Asked twice: a refused token is never answered from memory.
    await expectTooLong(app, issuer.accessToken({ claims: { exp: 1e308 } }));
    expect(app.get(CognitoAuthHealth).check().verifiedTokenCache?.entries).toBe(0);
  });

  it('[T9] accepts exactly one day, the longest validity Cognito issues', async () => {
    const app = await start();
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: 86_400 }))).status).toBe(200);
  });

  it('[T9] adds clockToleranceSeconds to the bound', async () => {
    const app = await start({ clockToleranceSeconds: 30 });
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: 86_430 }))).status).toBe(200);
    await expectTooLong(app, issuer.accessToken({ expiresIn: 86_431 }));
  });

  it('[T9] takes another bound from maxTokenAge', async () => {
    const app = await start({ maxTokenAge: 3600 });
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: 3600 }))).status).toBe(200);
    await expectTooLong(app, issuer.accessToken({ expiresIn: 3601 }));
  });
});
