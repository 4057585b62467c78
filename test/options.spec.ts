import { Test } from '@nestjs/testing';
import {
  COGNITO_AUTH_CONFIG,
  CognitoAuthModule,
  CognitoConfigError,
  InMemoryRevocationStore,
  RedisRevocationStore,
  type RedisRevocationConnection,
  type CognitoAuthConfig,
  type CognitoAuthModuleOptions,
} from '../src';

const valid: CognitoAuthModuleOptions = { userPoolId: 'eu-west-1_AbC123xyz', clientId: 'client-1' };
const memoryStore = new InMemoryRevocationStore();

async function startWith(options: unknown) {
  const moduleRef = await Test.createTestingModule({
    imports: [CognitoAuthModule.forRoot(options as CognitoAuthModuleOptions)],
  }).compile();
  const config = moduleRef.get<CognitoAuthConfig>(COGNITO_AUTH_CONFIG);
  await moduleRef.close();
  return config;
}

describe('module options', () => {
  describe('defaults', () => {
    it('derives the issuer and JWKS URI from the pool id', async () => {
      const config = await startWith(valid);
      expect(config.pools[0]!.issuers).toEqual([
        {
          issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
          jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json',
        },
        {
          issuer: 'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
          jwksUri: 'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json',
        },
      ]);
      expect(config.pools[0]!.tokenUse).toEqual(['access']);
      expect(config.clockToleranceSeconds).toBe(0);
      expect(config.jwks).toEqual({
        cacheMaxAgeMs: 600_000,
        requestsPerMinute: 10,
        timeoutMs: 5_000,
        prefetch: true,
        agent: undefined,
        cooldownMs: 6_000,
      });
      expect(config.maxTokenBytes).toBe(16_384);
      expect(config.maxTokenAge).toBe(86_400);
      expect(config.cache).toEqual({ maxEntries: 10_000, maxEntriesPerUser: 10 });
    });

    it('derives the region of a GovCloud pool', async () => {
      const config = await startWith({ ...valid, userPoolId: 'us-gov-west-1_AbC123xyz' });
      expect(config.pools[0]!.issuers[0]!.issuer).toBe(
        'https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123xyz',
      );
    });

    it('derives the JWKS URI from an explicit issuer', async () => {
      const config = await startWith({
        ...valid,
        userPoolId: 'local_4pZzTjzv',
        issuer: 'http://localhost:9229/local_4pZzTjzv',
      });
      expect(config.pools[0]!.issuers).toEqual([
        {
          issuer: 'http://localhost:9229/local_4pZzTjzv',
          jwksUri: 'http://localhost:9229/local_4pZzTjzv/.well-known/jwks.json',
        },
      ]);
    });

    it('takes an explicit JWKS URI as given', async () => {
      const config = await startWith({ ...valid, jwksUri: 'http://127.0.0.1:4566/keys.json' });
      expect(config.pools[0]!.issuers.map(({ jwksUri }) => jwksUri)).toEqual([
        'http://127.0.0.1:4566/keys.json',
        'http://127.0.0.1:4566/keys.json',
      ]);
    });

    it('takes several pools, each with its own defaults', async () => {
      const config = await startWith({
        userPools: [valid, { userPoolId: 'us-east-1_Other1', clientId: null, tokenUse: 'id', issuerFormat: 'updated' }],
      });
      expect(config.pools.map((pool) => [pool.userPoolId, pool.tokenUse, pool.issuers.length])).toEqual([
        ['eu-west-1_AbC123xyz', ['access'], 2],
        ['us-east-1_Other1', ['id'], 1],
      ]);
      expect([...config.issuers.keys()]).toContain(
        'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1',
      );
      expect(config.realm).toBe('eu-west-1_AbC123xyz us-east-1_Other1');
    });

    it("derives each replica region's issuer and JWKS URI; the pool's jwksUri stays with the primary", async () => {
      const config = await startWith({
        ...valid,
        issuerFormat: 'original',
        jwksUri: 'http://127.0.0.1:4566/keys.json',
        replicaRegions: ['us-east-1', { region: 'ap-south-1', jwksUri: 'https://mirror.example/ap.json' }],
      });
      expect(config.pools[0]!.issuers).toEqual([
        {
          issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
          jwksUri: 'http://127.0.0.1:4566/keys.json',
        },
        {
          issuer: 'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123xyz',
          jwksUri: 'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json',
        },
        {
          issuer: 'https://cognito-idp.ap-south-1.amazonaws.com/eu-west-1_AbC123xyz',
          jwksUri: 'https://mirror.example/ap.json',
        },
      ]);
      expect(config.pools[0]!.replicas.map(({ region }) => region)).toEqual(['us-east-1', 'ap-south-1']);
    });

    it('turns the verified-token cache off with cache: false', async () => {
      expect((await startWith({ ...valid, cache: false })).cache).toBeNull();
      expect((await startWith({ ...valid, cache: { maxEntries: 5 } })).cache).toEqual({
        maxEntries: 5,
        maxEntriesPerUser: 10,
      });
      expect((await startWith({ ...valid, cache: { maxEntriesPerUser: 50 } })).cache).toEqual({
        maxEntries: 10_000,
        maxEntriesPerUser: 50,
      });
    });

    it('takes maxTokenAge in seconds', async () => {
      expect((await startWith({ ...valid, maxTokenAge: 3600 })).maxTokenAge).toBe(3600);
    });

    it('normalises tokenUse and clientId', async () => {
      const config = await startWith({ ...valid, tokenUse: ['id', 'access', 'id'], clientId: ['a', 'b'] });
      expect(config.pools[0]!.tokenUse).toEqual(['id', 'access']);
      expect([...config.pools[0]!.clientIds!]).toEqual(['a', 'b']);
    });
  });

  describe('bad options fail the start, naming the option', () => {
    it.each<[string, unknown, string]>([
      ['no userPoolId', { clientId: 'c' }, 'userPoolId'],
      ['a userPoolId without an id part', { ...valid, userPoolId: 'eu-west-1' }, 'userPoolId'],
      ['a userPoolId with a slash', { ...valid, userPoolId: 'eu-west-1_abc/def' }, 'userPoolId'],
      ['a userPoolId that is a number', { ...valid, userPoolId: 42 }, 'userPoolId'],
      ['a pool id with no region and no issuer', { ...valid, userPoolId: 'local_4pZzTjzv' }, 'issuer'],
      ['no clientId key', { userPoolId: valid.userPoolId }, 'clientId'],
      ['clientId undefined', { ...valid, clientId: undefined }, 'clientId'],
      ['an empty clientId', { ...valid, clientId: '' }, 'clientId'],
      ['an empty clientId list', { ...valid, clientId: [] }, 'clientId'],
      ['a clientId list with a number', { ...valid, clientId: ['a', 1] }, 'clientId'],
      ['an unknown tokenUse', { ...valid, tokenUse: 'refresh' }, 'tokenUse'],
      ['an empty tokenUse list', { ...valid, tokenUse: [] }, 'tokenUse'],
      ['an issuer that is not a URL', { ...valid, issuer: 'cognito' }, 'issuer'],
      ['a JWKS URI that is not http(s)', { ...valid, jwksUri: 'file:///etc/jwks.json' }, 'jwksUri'],
      ['a negative clock tolerance', { ...valid, clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
      ['a clock tolerance that is NaN', { ...valid, clockToleranceSeconds: Number.NaN }, 'clockToleranceSeconds'],
      ['a clock tolerance that is a string', { ...valid, clockToleranceSeconds: '5' }, 'clockToleranceSeconds'],
      ['jwks not an object', { ...valid, jwks: 5 }, 'jwks'],
      ['a negative cache age', { ...valid, jwks: { cacheMaxAgeMs: -1 } }, 'jwks.cacheMaxAgeMs'],
      ['zero requests a minute', { ...valid, jwks: { requestsPerMinute: 0 } }, 'jwks.requestsPerMinute'],
      ['a negative timeout', { ...valid, jwks: { timeoutMs: -5 } }, 'jwks.timeoutMs'],
      ['an infinite timeout', { ...valid, jwks: { timeoutMs: Infinity } }, 'jwks.timeoutMs'],
      ['a fractional timeout', { ...valid, jwks: { timeoutMs: 2500.5 } }, 'jwks.timeoutMs'],
      ['a timeout past what a timer holds', { ...valid, jwks: { timeoutMs: 2 ** 32 } }, 'jwks.timeoutMs'],
      [
        'a zero cache age (lru-cache reads it as forever)',
        { ...valid, jwks: { cacheMaxAgeMs: 0 } },
        'jwks.cacheMaxAgeMs',
      ],
      ['a fractional cache age', { ...valid, jwks: { cacheMaxAgeMs: 1000.5 } }, 'jwks.cacheMaxAgeMs'],
      ['a fractional rate', { ...valid, jwks: { requestsPerMinute: 1.5 } }, 'jwks.requestsPerMinute'],
      ['a token size limit too small for any JWT', { ...valid, maxTokenBytes: 100 }, 'maxTokenBytes'],
      ['a fractional token size limit', { ...valid, maxTokenBytes: 1e4 + 0.5 }, 'maxTokenBytes'],
      ['cache true (only false or an object)', { ...valid, cache: true }, 'cache'],
      ['a zero cache size', { ...valid, cache: { maxEntries: 0 } }, 'cache.maxEntries'],
      ['a misspelt cache option', { ...valid, cache: { max: 5 } }, 'cache.max'],
      ['a zero per-user cache bound', { ...valid, cache: { maxEntriesPerUser: 0 } }, 'cache.maxEntriesPerUser'],
      ['a fractional per-user cache bound', { ...valid, cache: { maxEntriesPerUser: 2.5 } }, 'cache.maxEntriesPerUser'],
      ['a zero maxTokenAge', { ...valid, maxTokenAge: 0 }, 'maxTokenAge'],
      ['a negative maxTokenAge', { ...valid, maxTokenAge: -3600 }, 'maxTokenAge'],
      ['an infinite maxTokenAge', { ...valid, maxTokenAge: Infinity }, 'maxTokenAge'],
      ['a maxTokenAge that is a string', { ...valid, maxTokenAge: '1d' }, 'maxTokenAge'],
      ['an agent that is not an http.Agent', { ...valid, jwks: { agent: { keepAlive: true } } }, 'jwks.agent'],
      ['prefetch not a boolean', { ...valid, jwks: { prefetch: 'yes' } }, 'jwks.prefetch'],
      ['an unknown issuerFormat', { ...valid, issuerFormat: 'new' }, 'issuerFormat'],
      [
        'issuerFormat beside an explicit issuer',
        { ...valid, issuer: 'http://127.0.0.1/p', issuerFormat: 'both' },
        'issuerFormat',
      ],
      ['userPools empty', { userPools: [] }, 'userPools'],
      ['userPools not a list', { userPools: { userPoolId: 'eu-west-1_AbC123xyz' } }, 'userPools'],
      ['a pool that is not an object', { userPools: ['eu-west-1_AbC123xyz'] }, 'userPools[0]'],
      ['a pool with no clientId', { userPools: [valid, { userPoolId: 'eu-west-1_Other1' }] }, 'userPools[1].clientId'],
      ['a pool with a misspelt option', { userPools: [{ ...valid, jwksURI: 'x' }] }, 'userPools[0].jwksURI'],
      ['userPools beside a top-level pool', { ...valid, userPools: [valid] }, 'userPoolId'],
      ['two pools with one issuer', { userPools: [valid, { ...valid, clientId: 'other' }] }, 'userPools[1].issuer'],
      ['a misspelt option', { ...valid, clientID: 'c' }, 'clientID'],
      ['a misspelt jwks option', { ...valid, jwks: { timeout: 5 } }, 'jwks.timeout'],
      ['revocation not an object', { ...valid, revocation: true }, 'revocation'],
      ['revocation without a store', { ...valid, revocation: {} }, 'revocation.store'],
      ['a revocation store that is not one', { ...valid, revocation: { store: { add() {} } } }, 'revocation.store'],
      [
        'a misspelt revocation option',
        { ...valid, revocation: { store: memoryStore, failclosed: true } },
        'revocation.failclosed',
      ],
      [
        'revocation.maxTokenLifetimeSeconds 0',
        { ...valid, revocation: { store: memoryStore, maxTokenLifetimeSeconds: 0 } },
        'revocation.maxTokenLifetimeSeconds',
      ],
      [
        'revocation.failClosed a string',
        { ...valid, revocation: { store: memoryStore, failClosed: 'yes' } },
        'revocation.failClosed',
      ],
      ['a jwksFile that is not a path', { ...valid, jwksFile: 42 }, 'jwksFile'],
      ['a jwksFile beside a jwksUri', { ...valid, jwksUri: 'http://127.0.0.1/k', jwksFile: '/k.json' }, 'jwksFile'],
      ['a jwksInline that is not a JWKS', { ...valid, jwksInline: [] }, 'jwksInline'],
      ['tenants without resolve', { userPools: [], tenants: {} }, 'tenants.resolve'],
      ['a misspelt tenants option', { ...valid, tenants: { resolve: () => null, ttl: 5 } }, 'tenants.ttl'],
      [
        'a zero tenants.maxEntries',
        { ...valid, tenants: { resolve: () => null, maxEntries: 0 } },
        'tenants.maxEntries',
      ],
      ['userPools empty without tenants', { userPools: [], tenants: undefined }, 'userPools'],
      ['a jwksInline with no keys', { userPools: [{ ...valid, jwksInline: { keys: [] } }] }, 'userPools[0].jwksInline'],
    ])('%s', async (_, options, option) => {
      const error = await startWith(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CognitoConfigError);
      expect((error as CognitoConfigError).option).toBe(option);
      expect((error as Error).message).toContain(`CognitoAuthModule option "${option}"`);
    });
  });

  it.each([
    ['a URL that is not redis://', { url: 'http://127.0.0.1:6379' }, {}],
    ['neither client nor url', {}, {}],
    ['an empty keyPrefix', { url: 'redis://127.0.0.1:6379' }, { keyPrefix: '' }],
  ])('RedisRevocationStore refuses %s, naming revocation.store', (_, connection, options) => {
    expect(() => new RedisRevocationStore(connection as RedisRevocationConnection, options)).toThrow(
      'CognitoAuthModule option "revocation.store"',
    );
  });

  it('fills in the revocation defaults, and leaves it off when absent', async () => {
    expect((await startWith(valid)).revocation).toBeNull();
    expect((await startWith({ ...valid, revocation: { store: memoryStore } })).revocation).toEqual({
      store: memoryStore,
      maxTokenLifetimeMs: 86_400_000,
      failClosed: false,
    });
  });

  it('fails the start of forRootAsync when the factory returns bad options', async () => {
    const compiling = Test.createTestingModule({
      imports: [CognitoAuthModule.forRootAsync({ useFactory: () => ({ ...valid, userPoolId: 'nope' }) })],
    }).compile();
    await expect(compiling).rejects.toThrow('CognitoAuthModule option "userPoolId"');
  });

  it('fails the start of forRootAsync when the factory returns nothing', async () => {
    const compiling = Test.createTestingModule({
      imports: [CognitoAuthModule.forRootAsync({ useFactory: () => undefined as unknown as CognitoAuthModuleOptions })],
    }).compile();
    await expect(compiling).rejects.toThrow('CognitoAuthModule option "options" must be an object');
  });
});
