import { Controller, Get, Injectable, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { CognitoAuthModule, CognitoGuard, type CognitoAuthModuleOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { Test } from '@nestjs/testing';
import { GuardedController, PlainController, ReportsController, StaffController } from './support/controllers';
import { createAppOn, initApp } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

describe.each(platforms)('CognitoAuthModule on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterAll(() => issuer.stop());

  describe('forRootAsync', () => {
    @Injectable()
    class AuthSettings {
      options(): CognitoAuthModuleOptions {
        return issuer.moduleOptions();
      }
    }

    @Module({ providers: [AuthSettings], exports: [AuthSettings] })
    class SettingsModule {}

    it('builds the options from injected providers', async () => {
      const app = await createApp(
        CognitoAuthModule.forRootAsync({
          imports: [SettingsModule],
          inject: [AuthSettings],
          useFactory: async (settings: AuthSettings) => settings.options(),
        }),
        [GuardedController],
      );
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect((await get(app, '/me')).status).toBe(401);
      await app.close();
    });

    it('takes global beside useFactory', async () => {
      const app = await createApp(
        CognitoAuthModule.forRootAsync({ global: true, useFactory: () => issuer.moduleOptions() }),
        [PlainController],
      );
      expect((await get(app, '/plain')).status).toBe(401);
      expect((await getWithToken(app, '/plain', issuer.accessToken())).body).toEqual({ sub: expect.any(String) });
      await app.close();
    });
  });

  describe('global: true', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createApp(CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), global: true }), [
        PlainController,
        StaffController,
      ]);
    });

    afterAll(() => app.close());

    it('guards routes that do not ask for it', async () => {
      expect((await get(app, '/plain')).status).toBe(401);
      const res = await getWithToken(app, '/plain', issuer.accessToken({ claims: { sub: 'abc' } }));
      expect(res.body).toEqual({ sub: 'abc' });
    });

    it('lets @Public() routes through without a token', async () => {
      expect((await get(app, '/plain/health')).status).toBe(200);
    });

    it('lets a @Public() handler through inside a guarded class', async () => {
      expect((await get(app, '/staff/open')).status).toBe(200);
    });
  });

  describe('without global', () => {
    it('leaves routes without @UseGuards(CognitoGuard) open', async () => {
      const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [PlainController]);
      expect((await get(app, '/plain')).body).toEqual({ sub: null });
      await app.close();
    });
  });

  describe('metadata on a handler overrides its class', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [StaffController, ReportsController]);
    });

    afterAll(() => app.close());

    it('applies the class @Groups and @TokenUse to a plain handler', async () => {
      expect((await getWithToken(app, '/staff', issuer.idToken({ groups: ['staff'] }))).status).toBe(200);
      expect((await getWithToken(app, '/staff', issuer.idToken({ groups: ['manager'] }))).status).toBe(403);
      expect((await getWithToken(app, '/staff', issuer.accessToken({ groups: ['staff'] }))).status).toBe(401);
    });

    it('lets a handler @Groups replace the class one', async () => {
      expect((await getWithToken(app, '/staff/managers', issuer.idToken({ groups: ['manager'] }))).status).toBe(200);
      expect((await getWithToken(app, '/staff/managers', issuer.idToken({ groups: ['staff'] }))).status).toBe(403);
    });

    it('lets a handler @Scopes replace the class one', async () => {
      const read = issuer.accessToken({ scope: 'reports/read' });
      const admin = issuer.accessToken({ scope: 'reports/admin' });
      expect((await getWithToken(app, '/reports', read)).status).toBe(200);
      expect((await getWithToken(app, '/reports', admin)).status).toBe(403);
      expect((await getWithToken(app, '/reports/admin', admin)).status).toBe(200);
      expect((await getWithToken(app, '/reports/admin', read)).status).toBe(403);
    });

    it('lets a handler @TokenUse replace the class one', async () => {
      expect((await getWithToken(app, '/staff/api', issuer.accessToken({ groups: ['staff'] }))).status).toBe(200);
      expect((await getWithToken(app, '/staff/api', issuer.idToken({ groups: ['staff'] }))).status).toBe(401);
    });
  });

  describe("in users' tests", () => {
    it('overrideGuard(CognitoGuard) replaces the guard of @UseGuards(CognitoGuard)', async () => {
      const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController], (builder) =>
        builder.overrideGuard(CognitoGuard).useValue({ canActivate: () => true }),
      );
      expect((await get(app, '/me')).status).toBe(200);
      await app.close();
    });

    // Nest gives global guards (APP_GUARD) tokens of their own; the module registers its global guard
    // as an alias of the CognitoGuard provider, so overriding that provider reaches it.
    it('overrideProvider(CognitoGuard) replaces the guard of global: true', async () => {
      const app = await createApp(
        CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), global: true }),
        [PlainController],
        (builder) => builder.overrideProvider(CognitoGuard).useValue({ canActivate: () => true }),
      );
      expect((await get(app, '/plain')).status).toBe(200);
      await app.close();
    });
  });

  describe('two applications in one process', () => {
    it('each verify with their own options', async () => {
      const other = await CognitoTestIssuer.start({ userPoolId: 'eu-west-1_OtherPool', clientId: 'other-client' });
      const appA = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
      const appB = await createApp(CognitoAuthModule.forRoot(other.moduleOptions()), [GuardedController]);
      try {
        expect((await getWithToken(appA, '/me', issuer.accessToken())).status).toBe(200);
        expect((await getWithToken(appB, '/me', other.accessToken())).status).toBe(200);
        expect((await getWithToken(appA, '/me', other.accessToken())).status).toBe(401);
        expect((await getWithToken(appB, '/me', issuer.accessToken())).status).toBe(401);
        await appB.close();
        // Closing one app leaves the other's strategy in place.
        expect((await getWithToken(appA, '/me', issuer.accessToken())).status).toBe(200);
      } finally {
        await appA.close();
        await other.stop();
      }
    });
  });

  describe("beside the app's own passport strategies", () => {
    @Injectable()
    class ApiKeyStrategy extends PassportStrategy(CustomStrategy, 'jwt') {
      validate() {
        return { apiKey: true };
      }
    }

    @Controller('key')
    @UseGuards(AuthGuard())
    class ApiKeyController {
      @Get()
      get() {
        return { ok: true };
      }
    }

    @Module({
      imports: [PassportModule.register({ defaultStrategy: 'jwt' })],
      providers: [ApiKeyStrategy],
      controllers: [ApiKeyController, GuardedController],
    })
    class FeatureModule {}

    it('neither replaces a "jwt" strategy nor is replaced by PassportModule defaults', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [CognitoAuthModule.forRoot(issuer.moduleOptions()), FeatureModule],
      }).compile();
      const featureApp = await initApp(moduleRef.createNestApplication(platform[1](), { logger: false }));
      try {
        expect((await get(featureApp, '/key')).status).toBe(200);
        expect((await get(featureApp, '/me')).status).toBe(401);
        expect((await getWithToken(featureApp, '/me', issuer.accessToken())).status).toBe(200);
      } finally {
        await featureApp.close();
      }
    });
  });
});
