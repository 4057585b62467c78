import { Controller, Get, Injectable, Module, UseGuards, type INestApplication, type Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { COGNITO_AUTH_MODULE_OPTIONS, CognitoAuthModule, CognitoGuard, CognitoUser } from '../src';
import { CognitoTestIssuer, overrideCognitoAuth } from '../src/testing';
import { initApp } from './support/create-app';
import { get, getWithToken } from './support/requests';

/**
 * A user's real AppModule, configured for a real pool (its JWKS is on AWS, never reached here: the
 * override replaces the options before anything fetches), pointed at a CognitoTestIssuer in tests.
 */
const REAL_POOL = { userPoolId: 'eu-west-1_RealPool1', clientId: 'real-app-client-id' };

@Controller()
@UseGuards(CognitoGuard)
class OrdersController {
  @Get('orders')
  orders(@CognitoUser('sub') sub: string) {
    return { sub };
  }
}

@Controller()
class OpenLookingController {
  @Get('plain')
  plain(@CognitoUser('sub') sub: string) {
    return { sub };
  }
}

@Module({ imports: [CognitoAuthModule.forRoot(REAL_POOL)], controllers: [OrdersController] })
class ForRootAppModule {}

@Injectable()
class Settings {
  readonly pool = REAL_POOL;
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Module({
  imports: [
    CognitoAuthModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) => settings.pool,
    }),
  ],
  controllers: [OrdersController],
})
class ForRootAsyncAppModule {}

@Module({ imports: [CognitoAuthModule.forRoot({ ...REAL_POOL, global: true })], controllers: [OpenLookingController] })
class GlobalAppModule {}

@Module({
  imports: [CognitoAuthModule.forRootAsync({ global: true, useFactory: () => REAL_POOL })],
  controllers: [OpenLookingController],
})
class GlobalAsyncAppModule {}

describe('overrideCognitoAuth: a real AppModule against a CognitoTestIssuer', () => {
  let issuer: CognitoTestIssuer;
  let other: CognitoTestIssuer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    other = await CognitoTestIssuer.start({ userPoolId: 'us-east-1_Other' });
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await issuer.stop();
    await other.stop();
  });

  async function start(builder: TestingModuleBuilder): Promise<INestApplication> {
    const moduleRef = await builder.compile();
    const app = await initApp(moduleRef.createNestApplication({ logger: false }));
    apps.push(app);
    return app;
  }

  const override = (appModule: Type) => overrideCognitoAuth(Test.createTestingModule({ imports: [appModule] }), issuer);

  it.each([
    ['forRoot', ForRootAppModule, '/orders'],
    ['forRootAsync', ForRootAsyncAppModule, '/orders'],
    ['forRoot with global: true', GlobalAppModule, '/plain'],
    ['forRootAsync with global: true', GlobalAsyncAppModule, '/plain'],
  ])('%s: the issuer tokens get 200, no token or another pool 401', async (_name, appModule, path) => {
    const app = await start(override(appModule));
    const res = await getWithToken(app, path, issuer.accessToken({ claims: { sub: 'user-1' } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'user-1' });
    expect((await get(app, path)).status).toBe(401);
    expect((await getWithToken(app, path, other.accessToken())).status).toBe(401);
  });

  it('replaces the options whole: the real pool is no longer trusted', async () => {
    const app = await start(override(ForRootAppModule));
    const moduleOptions = app.get<Record<string, unknown>>(COGNITO_AUTH_MODULE_OPTIONS);
    expect(moduleOptions).toEqual(issuer.moduleOptions());
    expect(moduleOptions.userPoolId).not.toBe(REAL_POOL.userPoolId);
  });

  it('takes options beyond the pool as overrides', async () => {
    const app = await start(
      overrideCognitoAuth(Test.createTestingModule({ imports: [ForRootAppModule] }), issuer, { tokenUse: 'id' }),
    );
    expect((await getWithToken(app, '/orders', issuer.idToken())).status).toBe(200);
    expect((await getWithToken(app, '/orders', issuer.accessToken())).status).toBe(401);
  });

  it('is the @nestjs/testing idiom on the exported options token', async () => {
    const app = await start(
      Test.createTestingModule({ imports: [ForRootAsyncAppModule] })
        .overrideProvider(COGNITO_AUTH_MODULE_OPTIONS)
        .useValue(issuer.moduleOptions()),
    );
    expect((await getWithToken(app, '/orders', issuer.accessToken())).status).toBe(200);
  });
});
