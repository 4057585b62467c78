import { Controller, Get, type INestApplication, UseGuards } from '@nestjs/common';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import {
  albKeyEndpoint,
  CognitoAlbVerifier,
  CognitoAuthHealth,
  CognitoAuthModule,
  CognitoConfigError,
  CognitoGuard,
  CognitoRevocationService,
  CognitoUser,
  COGNITO_METRICS,
  Groups,
  InMemoryRevocationStore,
  Public,
  TokenUse,
  type CognitoAuthModuleOptions,
} from '../src';
import { resolveCognitoAuthOptions } from '../src/cognito-auth.config';
import { CognitoAlbTestIssuer, CognitoTestIssuer } from '../src/testing';
import { createAppOn } from './support/create-app';
import { fakeDateAt } from './support/fake-date';
import { platforms } from './support/platforms';

@Controller()
@UseGuards(CognitoGuard)
class AlbController {
  @Get('me')
  me(@CognitoUser() user: unknown) {
    return user;
  }

  @Groups('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }

  @TokenUse('id')
  @Get('id-only')
  idOnly() {
    return { ok: true };
  }

  @Public({ optional: true })
  @Get('maybe')
  maybe(@CognitoUser() user: unknown) {
    return { user: user ?? null };
  }
}

const SUB = 'a1b2c3d4-0000-4000-8000-000000000001';

/** The SDK's own reader, read on demand. */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * ALB mode through a real Nest app: a user pool issuer and an ALB issuer on loopback (an ES256 key per
 * kid, its PEM served at `<keyEndpoint>/<kid>`, data headers signed and padded as ALB does).
 */
describe.each(platforms)('ALB mode on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let pool: CognitoTestIssuer;
  let alb: CognitoAlbTestIssuer;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    pool = await CognitoTestIssuer.start();
    alb = await CognitoAlbTestIssuer.start({ issuer: pool.issuer, clientId: pool.clientId });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await alb.stop();
    await pool.stop();
  });

  async function start(overrides: Partial<CognitoAuthModuleOptions> = {}, albOverrides: object = {}) {
    app = await createApp(
      CognitoAuthModule.forRoot({
        ...pool.moduleOptions(),
        jwks: { prefetch: false },
        alb: { loadBalancerArn: alb.loadBalancerArn, keyEndpoint: alb.keyEndpoint, ...albOverrides },
        ...overrides,
      } as CognitoAuthModuleOptions),
      [AlbController],
    );
    return app;
  }

  function send(path: string, headers: Record<string, string>) {
    return request(app!.getHttpServer()).get(path).set(headers);
  }

  it('accepts the data header as ALB signs it (padded), fetches its key once, and caches the token', async () => {
    await start();
    const headers = alb.headers({ sub: SUB });
    expect(headers['x-amzn-oidc-data']).toMatch(/==$/);
    const first = await send('/me', headers).expect(200);
    expect(first.body).toMatchObject({ sub: SUB, email: `${SUB}@example.com`, iss: pool.issuer });
    await send('/me', headers).expect(200);
    await send('/me', alb.headers({ sub: SUB })).expect(200);
    expect(alb.requestedKids).toEqual([alb.currentKid]);
  });

  it('accepts the unpadded spelling, and refuses a mixed one', async () => {
    await start();
    await send('/me', alb.headers({ padding: false })).expect(200);
    const padded = alb.dataToken();
    const stripped = padded.slice(0, padded.lastIndexOf('.') + 1) + padded.split('.')[2]!.replace(/=+$/, '');
    const response = await send('/me', { 'x-amzn-oidc-data': stripped }).expect(401);
    expect(response.body.message).toBe('Token malformed');
  });

  it.each([
    [
      'a wrong signer ARN',
      { signer: 'arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/other/0123456789abcdef' },
      'Token signer not accepted',
    ],
    ['a wrong client', { client: 'another-client' }, 'Token client not accepted'],
    [
      'an issuer no pool has',
      { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' },
      'Token issuer not accepted',
    ],
    ['alg RS256', { alg: 'RS256' }, 'Token algorithm not allowed'],
    ['alg HS256', { alg: 'HS256' }, 'Token algorithm not allowed'],
    ['alg none', { alg: 'none' }, 'Token algorithm not allowed'],
    ['a kid that is not a UUID', { kid: '../../evil' }, 'Signing key not found'],
  ])('refuses %s with 401 before any key fetch', async (_case, options, message) => {
    await start();
    const response = await send('/me', alb.headers(options)).expect(401);
    expect(response.body.message).toBe(message);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(alb.keyRequests).toBe(0);
  });

  it('refuses an expired header, one without exp, and a forged signature', async () => {
    await start();
    expect((await send('/me', alb.headers({ expiresIn: -60 })).expect(401)).body.message).toBe('Token expired');
    expect((await send('/me', alb.headers({ omitExp: true })).expect(401)).body.message).toBe('Token claim invalid');
    expect((await send('/me', alb.headers({ forged: true })).expect(401)).body.message).toBe('Token signature invalid');
  });

  it('never trusts x-amzn-oidc-identity: one that disagrees with the signed sub is a 401, and alone it is nothing', async () => {
    await start();
    const headers = alb.headers({ sub: SUB });
    const mismatch = await send('/me', { ...headers, 'x-amzn-oidc-identity': 'someone-else' }).expect(401);
    expect(mismatch.body.message).toBe('Token identity headers disagree');
    await send('/me', { 'x-amzn-oidc-identity': SUB }).expect(401);
    // Nor is a user-pool bearer token accepted in ALB mode: only what the load balancer signed.
    await request(app!.getHttpServer()).get('/me').set('Authorization', `Bearer ${pool.accessToken()}`).expect(401);
    // A pool token put in the data header is not an ALB token.
    await send('/me', { 'x-amzn-oidc-data': pool.accessToken() }).expect(401);
  });

  it('answers a request without the data header 401, naming the header', async () => {
    await start();
    const res = await send('/me', {}).expect(401);
    expect(res.body.message).toBe('Missing x-amzn-oidc-data header');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
  });

  it('optional routes run without a user when the load balancer sent no data header', async () => {
    await start();
    expect((await send('/maybe', {}).expect(200)).body).toEqual({ user: null });
    expect((await send('/maybe', alb.headers({ sub: SUB })).expect(200)).body.user.sub).toBe(SUB);
  });

  it('a flood of unknown kids costs one fetch per cooldown; the held key keeps working', async () => {
    await start();
    await send('/me', alb.headers()).expect(200);
    const kids = Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const kid of kids) {
      const response = await send('/me', alb.headers({ kid })).expect(401);
      expect(response.body.message).toBe('Signing key not found');
    }
    expect(alb.keyRequests).toBe(2);
    await send('/me', alb.headers({ claims: { n: 1 } })).expect(200);
  });

  it('a rotated key is fetched when first used', async () => {
    await start();
    await send('/me', alb.headers()).expect(200);
    alb.rotateKey();
    await send('/me', alb.headers()).expect(200);
    expect(alb.keyRequests).toBe(2);
  });

  it.each(['status-500', 'status-503', 'reset', 'not-pem', 'rsa-key', 'redirect', 'huge'] as const)(
    'key endpoint fault %s: 503 with Retry-After for a new kid, no redirect followed, held keys keep working',
    async (fault) => {
      await start();
      await send('/me', alb.headers()).expect(200);
      const signedWithHeldKey = alb.headers({ claims: { n: 3 } });
      const before = alb.keyRequests;
      alb.rotateKey();
      alb.simulateKeyFault(fault);
      const response = await send('/me', alb.headers()).expect(503);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(alb.keyRequests).toBe(before + 1);
      // Within the backoff: no fetch at all.
      await send('/me', alb.headers({ claims: { n: 2 } })).expect(503);
      expect(alb.keyRequests).toBe(before + 1);
      // The key fetched before the outage still verifies.
      await send('/me', signedWithHeldKey).expect(200);
    },
  );

  it('a key endpoint that hangs is cut off by the deadline: 503', async () => {
    await start({ jwks: { prefetch: false, timeoutMs: 300 } });
    alb.simulateKeyFault('hang');
    await send('/me', alb.headers()).expect(503);
  });

  it('data-only mode: the pool default token use does not apply, route rules do', async () => {
    await start();
    await send('/me', alb.headers()).expect(200);
    await send('/admin', alb.headers()).expect(403);
    await send('/admin', alb.headers({ claims: { 'cognito:groups': ['admin'] } })).expect(200);
    // Userinfo claims carry no token_use: a route's @TokenUse() refuses them, as any other kind.
    expect((await send('/id-only', alb.headers()).expect(401)).body.message).toBe('Token use not accepted');
  });

  it('revocation works on ALB users: revokeUser refuses their data header afterwards (cache hits too)', async () => {
    await start({ revocation: { store: new InMemoryRevocationStore() } });
    const headers = alb.headers({ sub: SUB });
    // Accepted twice: the second acceptance makes the cache entry the request below is answered from.
    await send('/me', headers).expect(200);
    await send('/me', headers).expect(200);
    const token = headers['x-amzn-oidc-data']!;
    expect(app!.get(CognitoAlbVerifier).cached(token, token)).toBeDefined();
    await app!.get(CognitoRevocationService).revokeUser(SUB);
    const response = await send('/me', headers).expect(401);
    expect(response.body.message).toBe('Token revoked');
  });

  it('metrics count ALB decisions, cache hits and key fetches like the pool mode (real OpenTelemetry SDK)', async () => {
    const reader = new CollectingReader();
    await start({ metrics: { meterProvider: new MeterProvider({ readers: [reader] }) } });
    const headers = alb.headers();
    // The first two are verified (the second acceptance makes the cache entry), the third is a hit.
    await send('/me', headers).expect(200);
    await send('/me', headers).expect(200);
    await send('/me', headers).expect(200);
    await send(
      '/me',
      alb.headers({
        signer: 'arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/x/0123456789abcdef',
      }),
    ).expect(401);
    const { resourceMetrics } = await reader.collect();
    const sum = (name: string, attributes: Record<string, string>) =>
      resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .filter((metric) => metric.descriptor.name === name)
        .flatMap((metric) => metric.dataPoints as DataPoint<number>[])
        .filter((point) => Object.entries(attributes).every(([k, v]) => point.attributes[k] === v))
        .reduce((total, point) => total + point.value, 0);
    expect(sum(COGNITO_METRICS.decisions, { 'cognito_auth.outcome': 'accepted' })).toBe(3);
    expect(sum(COGNITO_METRICS.decisions, { 'error.type': 'ERR_ALB_SIGNER_MISMATCH' })).toBe(1);
    expect(sum(COGNITO_METRICS.cacheHits, {})).toBe(1);
    expect(sum(COGNITO_METRICS.jwksFetches, {})).toBe(1);
  });

  it('health follows the ALB key endpoint in data-only mode, and the pool JWKS is not prefetched', async () => {
    await start({ jwks: { prefetch: true } });
    expect(pool.jwksRequests).toBe(0);
    const health = app!.get(CognitoAuthHealth);
    expect(health.check()).toMatchObject({
      status: 'up',
      alb: { keyEndpoint: alb.keyEndpoint, keys: 0, failing: false },
    });
    alb.simulateKeyFault('status-500');
    await send('/me', alb.headers()).expect(503);
    expect(health.check()).toMatchObject({ status: 'down', alb: { keys: 0, failing: true } });
    alb.simulateKeyFault(null);
  });

  describe('with alb.accessToken', () => {
    it('verifies both tokens and merges them: access-token claims over the userinfo claims', async () => {
      await start({}, { accessToken: true });
      const accessToken = pool.accessToken({ groups: ['admin'] });
      const headers = alb.headers({ sub: SUB, accessToken });
      const me = await send('/me', headers).expect(200);
      expect(me.body).toMatchObject({
        sub: SUB,
        token_use: 'access',
        email: `${SUB}@example.com`,
        'cognito:groups': ['admin'],
      });
      await send('/admin', headers).expect(200);
      expect((await send('/id-only', headers).expect(401)).body.message).toBe('Token use not accepted');
      // Cached, both halves: no more key fetches.
      await send('/me', headers).expect(200);
      expect(alb.keyRequests).toBe(1);
      expect(pool.jwksRequests).toBe(1);
    });

    it('refuses a missing, invalid or other-user access token', async () => {
      await start({}, { accessToken: true });
      const missing = await send('/me', alb.headers({ sub: SUB })).expect(401);
      expect(missing.body.message).toBe('Missing x-amzn-oidc-accesstoken header');
      await send('/me', alb.headers({ sub: SUB, accessToken: pool.accessToken({ expiresIn: -60 }) })).expect(401);
      const other = await send(
        '/me',
        alb.headers({ sub: SUB, accessToken: pool.accessToken({ claims: { sub: 'other' } }) }),
      ).expect(401);
      expect(other.body.message).toBe('Token identity headers disagree');
    });
  });
});

describe('ALB mode with a real ALB token (aws-jwt-verify#109, expired, its key not on the loopback endpoint)', () => {
  const token = readFileSync(join(__dirname, 'fixtures', 'alb-data-token.txt'), 'utf8').trim();
  let alb: CognitoAlbTestIssuer;
  let app: INestApplication | undefined;

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    await alb.stop();
  });

  it('parses ALB padding and header fields, and asks the key endpoint for its kid', async () => {
    alb = await CognitoAlbTestIssuer.start({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_b9VeQUg6y',
    });
    // Its exp: 2024-12-23T13:47:24Z.
    fakeDateAt(1734961644_000 - 30_000);
    app = await createAppOn(platforms[0]!)(
      CognitoAuthModule.forRoot({
        userPoolId: 'eu-west-1_b9VeQUg6y',
        clientId: '3a33a02r5hn3onhtu1mr0dit20',
        jwks: { prefetch: false },
        alb: {
          loadBalancerArn:
            'arn:aws:elasticloadbalancing:eu-west-1:373508513302:loadbalancer/app/AwsJwt-ALBAE-qBwD8O2QTdcd/a4df45643ccf98ac',
          keyEndpoint: alb.keyEndpoint,
        },
      }),
      [AlbController],
    );
    const response = await request(app.getHttpServer()).get('/me').set('x-amzn-oidc-data', token).expect(401);
    expect(response.body.message).toBe('Signing key not found');
    expect(alb.requestedKids).toEqual(['abb8289f-e3a4-4a34-9472-c2105e2b2482']);
  });
});

describe('ALB options', () => {
  const arn = (region: string, partition = 'aws') =>
    `arn:${partition}:elasticloadbalancing:${region}:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188`;
  const base = { userPoolId: 'eu-west-1_AbC123xyz', clientId: 'client-1' };

  it('derives the key endpoint of the ARN region, GovCloud and China included', () => {
    expect(resolveCognitoAuthOptions({ ...base, alb: { loadBalancerArn: arn('eu-west-1') } }).alb).toEqual({
      signers: new Set([arn('eu-west-1')]),
      clientIds: new Set(['client-1']),
      accessToken: false,
      keyEndpoint: 'https://public-keys.auth.elb.eu-west-1.amazonaws.com',
    });
    expect(
      resolveCognitoAuthOptions({ ...base, alb: { loadBalancerArn: arn('us-gov-west-1', 'aws-us-gov') } }).alb
        ?.keyEndpoint,
    ).toBe('https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1');
    expect(albKeyEndpoint('aws-us-gov', 'us-gov-east-1')).toBe(
      'https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1',
    );
    expect(
      resolveCognitoAuthOptions({ ...base, alb: { loadBalancerArn: arn('cn-north-1', 'aws-cn') } }).alb?.keyEndpoint,
    ).toBe('https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn');
  });

  it.each([
    [{ alb: { loadBalancerArn: 'not-an-arn' } }, 'alb.loadBalancerArn'],
    [{ alb: { loadBalancerArn: arn('eu-west-1').replace('/app/', '/net/') } }, 'alb.loadBalancerArn'],
    [{ alb: { loadBalancerArn: [arn('eu-west-1'), arn('us-east-1')] } }, 'alb.loadBalancerArn'],
    [{ alb: { loadBalancerArn: arn('eu-west-1'), keyEndpoint: 'ftp://x' } }, 'alb.keyEndpoint'],
    [{ alb: { loadBalancerArn: arn('eu-west-1'), accessToken: 'yes' } }, 'alb.accessToken'],
    [{ alb: { loadBalancerArn: arn('eu-west-1'), signer: 'x' } }, 'alb.signer'],
    [{ clientId: null, alb: { loadBalancerArn: arn('eu-west-1') } }, 'alb.clientId'],
    [{ alb: { loadBalancerArn: arn('eu-west-1') }, tokenFrom: { cookie: 'x' } }, 'tokenFrom'],
    [{ alb: 'on' }, 'alb'],
  ])('fails at start naming the option: %j', (overrides, option) => {
    let error: unknown;
    try {
      resolveCognitoAuthOptions({ ...base, ...overrides } as CognitoAuthModuleOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CognitoConfigError);
    expect((error as CognitoConfigError).option).toBe(option);
  });

  it('accepts load balancers of two regions with an explicit key endpoint', () => {
    const config = resolveCognitoAuthOptions({
      ...base,
      alb: { loadBalancerArn: [arn('eu-west-1'), arn('us-east-1')], keyEndpoint: 'https://keys.example/' },
    });
    expect(config.alb?.keyEndpoint).toBe('https://keys.example');
  });
});
