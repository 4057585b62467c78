import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CognitoAuthModule, Public, type CognitoAuthModuleOptions } from '../src';
import { CognitoHealthIndicator } from '../src/terminus';
import { CognitoAlbTestIssuer, CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { initApp } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/** The controller docs/health.md shows: terminus' HealthCheckService with the Cognito indicator. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cognito: CognitoHealthIndicator,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cognito.isHealthy()]);
  }

  @Get('named')
  @Public()
  @HealthCheck()
  named() {
    return this.health.check([() => this.cognito.isHealthy('user-pool')]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [CognitoHealthIndicator] })
class HealthModule {}

describe.each(platforms)('the terminus health indicator on %s', (_name, adapter) => {
  let issuer: CognitoTestIssuer;
  let second: CognitoTestIssuer;
  let app: INestApplication | undefined;
  const suspended: CognitoTestIssuer[] = [];

  async function suspend(target: CognitoTestIssuer): Promise<void> {
    await target.suspend();
    suspended.push(target);
  }

  async function resume(target: CognitoTestIssuer): Promise<void> {
    await target.resume();
    suspended.splice(suspended.indexOf(target), 1);
  }

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    second = await CognitoTestIssuer.start({ userPoolId: 'us-east-1_Second' });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await Promise.all(suspended.splice(0).map((down) => down.resume()));
  });

  afterAll(async () => {
    await issuer.stop();
    await second.stop();
  });

  async function start(options: CognitoAuthModuleOptions): Promise<INestApplication> {
    // global: true, as most apps run it: the health route must still answer, being @Public().
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot({ ...options, global: true }), HealthModule],
      controllers: [GuardedController],
    }).compile();
    app = await initApp(moduleRef.createNestApplication(adapter(), { logger: false }));
    return app;
  }

  const health = (path = '/health') => request(app!.getHttpServer()).get(path);

  it('is up with the keys loaded, reporting each key set', async () => {
    await start({ ...issuer.moduleOptions(), jwks: { timeoutMs: 500 } });
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: {
        cognito: {
          status: 'up',
          keySets: [
            {
              jwksUri: issuer.jwksUri,
              loaded: true,
              keys: 1,
              fetchedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
              ageSeconds: expect.any(Number),
              lastFetchFailed: false,
            },
          ],
        },
      },
      error: {},
      details: expect.any(Object),
    });
  });

  it('is down (503 from terminus) while no key is held, and up once the keys are fetched', async () => {
    await suspend(issuer);
    await start({ ...issuer.moduleOptions(), jwks: { timeoutMs: 500 } });
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({
      status: 'error',
      info: {},
      error: {
        cognito: {
          status: 'down',
          keySets: [
            {
              jwksUri: issuer.jwksUri,
              loaded: false,
              keys: 0,
              fetchedAt: null,
              ageSeconds: null,
              lastFetchFailed: true,
            },
          ],
        },
      },
      details: expect.any(Object),
    });
    await resume(issuer);
    // The indicator never fetches: the first request that needs the keys does, once the 1 s backoff the
    // failed prefetch started has passed.
    expect((await health()).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.info.cognito).toMatchObject({ status: 'up', keySets: [{ loaded: true, lastFetchFailed: false }] });
  });

  it('stays up on keys held while fetches fail, saying the last one failed', async () => {
    await start({ ...issuer.moduleOptions(), jwks: { timeoutMs: 500, cacheMaxAgeMs: 1 } });
    await suspend(issuer);
    // A stale set refreshes in the background on use; that refresh fails.
    await getWithToken(app!, '/me', issuer.accessToken());
    await waitForFailure();
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body.info.cognito).toMatchObject({
      status: 'up',
      keySets: [{ loaded: true, keys: 1, lastFetchFailed: true }],
    });
  });

  it('is down when one pool of several holds no key, under the key given', async () => {
    await suspend(second);
    await start({
      userPools: [issuer.moduleOptions(), second.moduleOptions()],
      jwks: { timeoutMs: 500 },
    });
    const res = await health('/health/named');
    expect(res.status).toBe(503);
    expect(res.body.error['user-pool']).toMatchObject({
      status: 'down',
      keySets: [
        { jwksUri: issuer.jwksUri, loaded: true, keys: 1 },
        { jwksUri: second.jwksUri, loaded: false, keys: 0, lastFetchFailed: true },
      ],
    });
  });

  it('in ALB data-only mode, follows the load balancer key endpoint, not the pool JWKS it never uses', async () => {
    const alb = await CognitoAlbTestIssuer.start({ issuer: issuer.issuer, clientId: issuer.clientId });
    try {
      await suspend(issuer);
      await start({
        ...issuer.moduleOptions(),
        alb: { loadBalancerArn: alb.loadBalancerArn, keyEndpoint: alb.keyEndpoint },
      });
      const up = await health();
      expect(up.status).toBe(200);
      expect(up.body.info.cognito).toMatchObject({ status: 'up', alb: { keys: 0, failing: false } });
      expect((await request(app!.getHttpServer()).get('/me').set(alb.headers())).status).toBe(200);
      alb.rotateKey();
      alb.simulateKeyFault('status-500');
      expect((await request(app!.getHttpServer()).get('/me').set(alb.headers())).status).toBe(503);
      // A key is held: tokens signed with it still verify, so the instance stays up.
      const failing = await health();
      expect(failing.status).toBe(200);
      expect(failing.body.info.cognito).toMatchObject({ status: 'up', alb: { keys: 1, failing: true } });
    } finally {
      await alb.stop();
    }
  });

  /** Polls the indicator (memory only) until the background refresh has failed; bounded. */
  async function waitForFailure(): Promise<void> {
    const indicator = app!.get(CognitoHealthIndicator);
    for (let i = 0; i < 100; i++) {
      const keySets = (indicator.isHealthy().cognito as unknown as { keySets: { lastFetchFailed: boolean }[] }).keySets;
      if (keySets[0]!.lastFetchFailed) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the background refresh did not fail');
  }
});
