import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../sample/app.module';
import { CognitoTestIssuer } from '../src/testing';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

describe.each(platforms)('the sample app on %s', (...platform) => {
  const createApp = createAppOn(platform);

    let issuer: CognitoTestIssuer;
    let app: INestApplication;

    beforeAll(async () => {
      issuer = await CognitoTestIssuer.start();
      app = await createApp(AppModule.forRoot(issuer.moduleOptions()), []);
    });

    afterAll(async () => {
      await app.close();
      await issuer.stop();
    });

    it('serves / without a token', async () => {
      expect((await get(app, '/')).body).toEqual({ hello: 'world' });
    });

    it('answers /me with the verified payload, 401 without a token', async () => {
      expect((await getWithToken(app, '/me', issuer.accessToken())).body).toMatchObject({ token_use: 'access' });
      expect((await get(app, '/me')).status).toBe(401);
    });

    it('answers /admin to the admin group only', async () => {
      expect((await getWithToken(app, '/admin', issuer.accessToken({ groups: ['admin'] }))).status).toBe(200);
      expect((await getWithToken(app, '/admin', issuer.accessToken())).status).toBe(403);
    });
});
