import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  COGNITO_AUTH_CONFIG,
  CognitoAuthModule,
  type CognitoAuthConfig,
  type CognitoTenantOptions,
  type CognitoTenantQuery,
  type CognitoUserPoolOptions,
} from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/**
 * Pools resolved at run time (`tenants`): many tenant pools on one loopback server (`forPool()`), an
 * app-side tenant table behind `tenants.resolve`, counted calls.
 */
describe.each(platforms)('tenants resolved at run time on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let server: CognitoTestIssuer;
  let tenants: CognitoTestIssuer[];
  let stranger: CognitoTestIssuer;
  let app: INestApplication | undefined;
  let calls: CognitoTenantQuery[];

  beforeEach(async () => {
    server = await CognitoTestIssuer.start({ userPoolId: 'us-east-1_Server001' });
    tenants = ['us-east-1_Tenant001', 'eu-west-1_Tenant002', 'us-east-1_Tenant003'].map((id, i) =>
      server.forPool(id, `client-${i}`),
    );
    stranger = server.forPool('us-east-1_Stranger1');
    calls = [];
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.stop();
  });

  /** The app's tenant table: pool id to options, as a database lookup would answer. */
  function table(pools: readonly CognitoTestIssuer[]) {
    return async (query: CognitoTenantQuery): Promise<CognitoUserPoolOptions | null> => {
      calls.push(query);
      await Promise.resolve();
      const pool = pools.find(({ userPoolId }) => userPoolId === query.userPoolId);
      return pool ? { userPoolId: pool.userPoolId, clientId: pool.clientId, issuer: pool.issuer } : null;
    };
  }

  async function start(options: Partial<CognitoTenantOptions> = {}): Promise<INestApplication> {
    app = await createApp(
      CognitoAuthModule.forRoot({ userPools: [], tenants: { resolve: table(tenants), ...options } }),
      [GuardedController],
    );
    return app;
  }

  it("accepts each tenant's tokens, fetching each tenant's own JWKS once and asking the resolver once", async () => {
    const app = await start();
    for (const tenant of tenants) {
      for (let i = 0; i < 3; i++) {
        const res = await getWithToken(app, '/me', tenant.accessToken());
        expect([res.status, res.body.iss]).toEqual([200, tenant.issuer]);
      }
    }
    expect(tenants.map((tenant) => tenant.jwksRequests)).toEqual([1, 1, 1]);
    expect(calls.map(({ userPoolId }) => userPoolId)).toEqual(tenants.map(({ userPoolId }) => userPoolId));
    expect(calls[0]).toEqual({ issuer: tenants[0]!.issuer, userPoolId: tenants[0]!.userPoolId });
  });

  it('[N1] refuses an issuer the resolver does not know with 401, fetching nothing, asking once', async () => {
    const app = await start();
    for (let i = 0; i < 5; i++) {
      const res = await getWithToken(app, '/me', stranger.accessToken());
      expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="cognito", error="invalid_token"/);
    }
    expect(stranger.jwksRequests).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it("[N2] takes the JWKS URI from the resolved pool, never from the token's iss", async () => {
    // The pool id of a real tenant under another host: the resolver, asked by pool id, returns the
    // tenant, whose issuer is not this one; nothing is fetched from the host the token names.
    const elsewhere = await CognitoTestIssuer.start({ userPoolId: tenants[0]!.userPoolId });
    try {
      const app = await start();
      const res = await getWithToken(app, '/me', elsewhere.accessToken());
      expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
      expect(elsewhere.jwksRequests).toBe(0);
      expect(tenants[0]!.jwksRequests).toBe(0);
      // The real tenant is unaffected.
      expect((await getWithToken(app, '/me', tenants[0]!.accessToken())).status).toBe(200);
    } finally {
      await elsewhere.stop();
    }
  });

  it('[N3] answers 503 when the resolver throws, and asks again next time', async () => {
    let failing = true;
    const resolve = table(tenants);
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPools: [],
        tenants: {
          resolve: (query) => {
            if (failing) return Promise.reject(new Error('tenant table down'));
            return resolve(query);
          },
        },
      }),
      [GuardedController],
    );
    const res = await getWithToken(app, '/me', tenants[0]!.accessToken());
    expect([res.status, res.body.message]).toEqual([503, 'User pool unavailable']);
    failing = false;
    expect((await getWithToken(app, '/me', tenants[0]!.accessToken())).status).toBe(200);
  });

  it('answers 503 when the resolver returns options that fail validation', async () => {
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPools: [],
        tenants: { resolve: () => ({ userPoolId: 'nope', clientId: 'x' }) },
      }),
      [GuardedController],
    );
    expect((await getWithToken(app, '/me', tenants[0]!.accessToken())).status).toBe(503);
  });

  it('[N4] keeps a flood of forged issuers within maxEntries, asking once per issuer', async () => {
    const app = await start({ maxEntries: 20 });
    // Signed with one key (forging costs the attacker nothing), each naming another pool id.
    const base = server.issuer.slice(0, server.issuer.lastIndexOf('/'));
    const forged = Array.from({ length: 60 }, (_, i) =>
      server.accessToken({ claims: { iss: `${base}/us-east-1_Forged${String(i).padStart(3, '0')}` } }),
    );
    for (const token of [...forged, ...forged.slice(-10)]) {
      expect((await getWithToken(app, '/me', token)).status).toBe(401);
    }
    // 60 distinct issuers, then the last 10 again: answered from the cache.
    expect(calls).toHaveLength(60);
    const config = app.get<CognitoAuthConfig>(COGNITO_AUTH_CONFIG);
    expect(config.tenants!.size).toBe(20);
    expect(server.jwksRequests).toBe(0);
    // A real tenant is still accepted.
    expect((await getWithToken(app, '/me', tenants[1]!.accessToken())).status).toBe(200);
  });

  it('[N5] bounds the resolutions under way: past maxPending a new issuer answers 503 without a call', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const resolve = table(tenants);
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPools: [],
        tenants: {
          maxPending: 3,
          resolve: async (query) => {
            await gate;
            return resolve(query);
          },
        },
      }),
      [GuardedController],
    );
    const base = server.issuer.slice(0, server.issuer.lastIndexOf('/'));
    const forged = Array.from({ length: 10 }, (_, i) =>
      server.accessToken({ claims: { iss: `${base}/us-east-1_Slow${i}` } }),
    );
    const answers = Promise.all(forged.map((token) => getWithToken(app!, '/me', token)));
    await new Promise((r) => setTimeout(r, 300));
    release();
    const statuses = (await answers).map((res) => res.status).sort();
    expect(statuses).toEqual([401, 401, 401, 503, 503, 503, 503, 503, 503, 503]);
    expect(calls.filter(({ userPoolId }) => userPoolId.startsWith('us-east-1_Slow'))).toHaveLength(3);
  });

  it('asks again once an answer is older than its TTL', async () => {
    const app = await start({ ttlMs: 50, negativeTtlMs: 50 });
    expect((await getWithToken(app, '/me', tenants[0]!.accessToken())).status).toBe(200);
    expect((await getWithToken(app, '/me', stranger.accessToken())).status).toBe(401);
    expect(calls).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 80));
    expect((await getWithToken(app, '/me', tenants[0]!.accessToken({ expiresIn: 600 }))).status).toBe(200);
    expect((await getWithToken(app, '/me', stranger.accessToken())).status).toBe(401);
    expect(calls).toHaveLength(4);
  });

  it('keeps configured pools as they are, beside the tenants', async () => {
    const staff = server.forPool('eu-west-1_Staff0001', 'staff');
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPools: [{ userPoolId: staff.userPoolId, clientId: staff.clientId, issuer: staff.issuer }],
        tenants: { resolve: table(tenants) },
      }),
      [GuardedController],
    );
    expect((await getWithToken(app, '/me', staff.accessToken())).status).toBe(200);
    expect((await getWithToken(app, '/me', tenants[2]!.accessToken())).status).toBe(200);
    expect(calls.map(({ userPoolId }) => userPoolId)).toEqual([tenants[2]!.userPoolId]);
  });
});

describe('what a failing tenant resolver logs', () => {
  it('[N6] logs a failing resolver once per outage, and says when it answers again', async () => {
    const lines: { level: string; message: string }[] = [];
    const capture = (level: string) => (message: unknown) => void lines.push({ level, message: String(message) });
    const logger = { log: capture('log'), error: capture('error'), warn: capture('warn'), debug: capture('debug') };
    const server = await CognitoTestIssuer.start();
    const tenant = server.forPool('us-east-1_Tenant001');
    let failing = true;
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot({
          userPools: [],
          tenants: {
            resolve: ({ userPoolId }) => {
              if (failing) throw new Error('tenant table down');
              return { userPoolId, clientId: tenant.clientId, issuer: tenant.issuer };
            },
          },
        }),
      ],
      controllers: [GuardedController],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    try {
      const base = server.issuer.slice(0, server.issuer.lastIndexOf('/'));
      for (let i = 0; i < 4; i++) {
        const token = server.accessToken({ claims: { iss: `${base}/us-east-1_Other${i}` } });
        expect((await getWithToken(app, '/me', token)).status).toBe(503);
      }
      failing = false;
      expect((await getWithToken(app, '/me', tenant.accessToken())).status).toBe(200);
      expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
      expect(lines.filter((line) => line.level === 'log' && line.message.includes('answers again'))).toHaveLength(1);
    } finally {
      await app.close();
      await server.stop();
    }
  });
});
