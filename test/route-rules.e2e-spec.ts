import { Controller, Get, Logger, Param, UseGuards, type INestApplication } from '@nestjs/common';
import {
  ClaimCheck,
  Claims,
  CognitoAuthModule,
  CognitoGuard,
  Groups,
  ProhibitedGroups,
  Scopes,
  TokenUse,
  type CognitoClaimCheck,
  type CognitoJwtPayload,
} from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/** The route's :tenantId is the token's custom:tenant_id. */
const sameTenant: CognitoClaimCheck = (payload, request: { params: Record<string, string | undefined> }) =>
  typeof payload['custom:tenant_id'] === 'string' && payload['custom:tenant_id'] === request.params.tenantId;

/** What the checks of the routes below were asked, and answered. */
const seen: Array<{ sub: string; params: unknown }> = [];

@Controller('groups')
@UseGuards(CognitoGuard)
class GroupsController {
  @Groups('a', 'b')
  @Get('any')
  any() {
    return { ok: true };
  }

  @Groups({ anyOf: ['a', 'b'] })
  @Get('any-object')
  anyObject() {
    return { ok: true };
  }

  @Groups({ allOf: ['a', 'b'] })
  @Get('all')
  all() {
    return { ok: true };
  }

  @Groups({ anyOf: ['eu', 'us'], allOf: ['staff'] })
  @Get('both')
  both() {
    return { ok: true };
  }

  @ProhibitedGroups('banned', 'suspended')
  @Get('none')
  none() {
    return { ok: true };
  }
}

/** A class-wide prohibition stays in force under a handler's @Groups(); a handler's own replaces it. */
@Controller('staff')
@UseGuards(CognitoGuard)
@Groups('staff')
@ProhibitedGroups('suspended')
class StaffController {
  @Get()
  list() {
    return { ok: true };
  }

  @Groups('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }

  @ProhibitedGroups('interns')
  @Get('reviews')
  reviews() {
    return { ok: true };
  }
}

@Controller('scopes')
@UseGuards(CognitoGuard)
class ScopesController {
  @Scopes('orders/read', 'orders/write')
  @Get('all')
  all() {
    return { ok: true };
  }

  @Scopes({ anyOf: ['orders/read', 'orders/admin'] })
  @Get('any')
  any() {
    return { ok: true };
  }

  @Scopes({ allOf: ['orders/read'], anyOf: ['eu/write', 'us/write'] })
  @Get('both')
  both() {
    return { ok: true };
  }

  @TokenUse('access', 'id')
  @Scopes({ anyOf: ['openid'] })
  @Get('id-too')
  idToo() {
    return { ok: true };
  }
}

@Controller('claims')
@UseGuards(CognitoGuard)
@Claims({ 'custom:tier': ['gold', 'silver'] })
class ClaimsController {
  @Get('tier')
  tier() {
    return { ok: true };
  }

  @Claims({ 'custom:tier': 'gold' })
  @Get('gold')
  gold() {
    return { ok: true };
  }

  @Claims({ 'custom:tier': 'gold', 'custom:level': 3, 'custom:beta': true })
  @Get('typed')
  typed() {
    return { ok: true };
  }

  @Claims({ 'cognito:groups': { includes: 'beta' } })
  @Get('includes')
  includes() {
    return { ok: true };
  }

  @Claims({ constructor: 'x', toString: 'y' })
  @Get('prototype')
  prototype() {
    return { ok: true };
  }

  @TokenUse('id')
  @Claims({ email_verified: true, 'custom:tenant_id': 't-1' })
  @Get('id')
  id() {
    return { ok: true };
  }
}

@Controller('tenants/:tenantId')
@UseGuards(CognitoGuard)
@ClaimCheck(sameTenant)
class TenantsController {
  @Get('orders')
  orders(@Param('tenantId') tenantId: string) {
    return { tenantId };
  }

  @Groups('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }

  // A handler's check replaces its class's: here a support user may read any tenant.
  @ClaimCheck((payload, request: { params: unknown }) => {
    seen.push({ sub: payload.sub, params: { ...(request.params as object) } });
    return payload['custom:role'] === 'support';
  })
  @Get('support')
  support() {
    return { ok: true };
  }

  @ClaimCheck(() => {
    throw new Error('tenant table unreachable');
  })
  @Get('throws')
  throws() {
    return { ok: true };
  }

  @ClaimCheck((() => Promise.resolve(true)) as unknown as CognitoClaimCheck)
  @Get('promise')
  promise() {
    return { ok: true };
  }

  @ClaimCheck((() => Promise.reject(new Error('async check'))) as unknown as CognitoClaimCheck)
  @Get('rejects')
  rejects() {
    return { ok: true };
  }

  @ClaimCheck((() => 1) as unknown as CognitoClaimCheck)
  @Get('truthy')
  truthy() {
    return { ok: true };
  }
}

/** No rules, both token kinds: where a token a rule refused is let in, so that it gets cached. */
@Controller('warm')
@UseGuards(CognitoGuard)
@TokenUse('access', 'id')
class WarmController {
  @Get()
  warm() {
    return { ok: true };
  }
}

const controllers = [
  GroupsController,
  StaffController,
  ScopesController,
  ClaimsController,
  TenantsController,
  WarmController,
];

describe.each(platforms)('route rules on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;
  let app: INestApplication;
  const verify = jest.fn((_payload: CognitoJwtPayload) => true);
  // The warm-up requests of statusOf() are not what the tests count.
  const verifyHook = (payload: CognitoJwtPayload, request: { url?: string }) =>
    request.url?.startsWith('/warm') === true || verify(payload);

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ verify: verifyHook })), controllers);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  /**
   * The status of `path` for `token`, asked twice: fresh, then from the verified-token cache. Only
   * accepted tokens are cached, and a token gets its entry on its second acceptance, so the token is
   * let in on a route without rules until it has one: once more after a fresh request that let it in,
   * twice after one that refused it. The second request to `path` is then a cache hit. Both answers
   * must agree.
   */
  async function statusOf(path: string, token: string): Promise<number> {
    const fresh = await getWithToken(app, path, token);
    const cache = app.get(JwksKeyProvider).verifiedTokens!;
    for (let warmUps = 0; warmUps < 2 && cache.get(token) === undefined; warmUps++) {
      expect((await getWithToken(app, '/warm', token)).status).toBe(200);
    }
    expect(cache.get(token)).toBeDefined();
    const cached = await getWithToken(app, path, token);
    expect({ path, status: cached.status, body: cached.body }).toEqual({
      path,
      status: fresh.status,
      body: fresh.body,
    });
    return fresh.status;
  }

  const withGroups = (...groups: string[]) => issuer.accessToken({ groups });

  describe('groups', () => {
    it('@Groups(...names) and { anyOf } let in a member of any', async () => {
      for (const path of ['/groups/any', '/groups/any-object']) {
        expect(await statusOf(path, withGroups('b'))).toBe(200);
        expect(await statusOf(path, withGroups('c'))).toBe(403);
        expect(await statusOf(path, issuer.accessToken())).toBe(403);
      }
    });

    it('{ allOf } needs every group, with 403 "Not a member of every required group"', async () => {
      expect(await statusOf('/groups/all', withGroups('b', 'a', 'c'))).toBe(200);
      expect(await statusOf('/groups/all', withGroups('a'))).toBe(403);
      expect(await statusOf('/groups/all', issuer.accessToken())).toBe(403);
      const res = await getWithToken(app, '/groups/all', withGroups('a'));
      expect(res.body).toEqual({
        statusCode: 403,
        message: 'Not a member of every required group',
        error: 'Forbidden',
      });
    });

    it('{ anyOf, allOf } needs both', async () => {
      expect(await statusOf('/groups/both', withGroups('staff', 'us'))).toBe(200);
      expect(await statusOf('/groups/both', withGroups('staff'))).toBe(403);
      expect(await statusOf('/groups/both', withGroups('eu', 'us'))).toBe(403);
    });

    it('[Y1] @ProhibitedGroups() refuses a member of any, with 403 "Member of a prohibited group"', async () => {
      expect(await statusOf('/groups/none', withGroups('users'))).toBe(200);
      expect(await statusOf('/groups/none', issuer.accessToken())).toBe(200);
      expect(await statusOf('/groups/none', withGroups('users', 'suspended'))).toBe(403);
      const res = await getWithToken(app, '/groups/none', withGroups('banned'));
      expect(res.body).toEqual({ statusCode: 403, message: 'Member of a prohibited group', error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it.each([
      ['a string', 'banned'],
      ['a list with a non-string', ['users', 1]],
      ['an object', { 0: 'users' }],
    ])('[Y2] @ProhibitedGroups() refuses a cognito:groups that is %s (it cannot be checked)', async (_, groups) => {
      expect(await statusOf('/groups/none', issuer.accessToken({ claims: { 'cognito:groups': groups } }))).toBe(403);
    });

    it("[Y3] keeps a class's prohibition under a handler's @Groups(); a handler's own prohibition replaces it", async () => {
      expect(await statusOf('/staff', withGroups('staff'))).toBe(200);
      expect(await statusOf('/staff', withGroups('staff', 'suspended'))).toBe(403);
      expect(await statusOf('/staff/admin', withGroups('admin'))).toBe(200);
      expect(await statusOf('/staff/admin', withGroups('staff'))).toBe(403);
      expect(await statusOf('/staff/admin', withGroups('admin', 'suspended'))).toBe(403);
      expect(await statusOf('/staff/reviews', withGroups('staff', 'suspended'))).toBe(200);
      expect(await statusOf('/staff/reviews', withGroups('staff', 'interns'))).toBe(403);
    });
  });

  describe('scopes', () => {
    const withScope = (scope: string) => issuer.accessToken({ scope });

    it('@Scopes(...names) still needs every scope', async () => {
      expect(await statusOf('/scopes/all', withScope('orders/write orders/read'))).toBe(200);
      expect(await statusOf('/scopes/all', withScope('orders/read'))).toBe(403);
    });

    it('{ anyOf } needs one, and a refusal names the alternatives in the challenge', async () => {
      expect(await statusOf('/scopes/any', withScope('openid orders/admin'))).toBe(200);
      expect(await statusOf('/scopes/any', withScope('orders/read'))).toBe(200);
      expect(await statusOf('/scopes/any', withScope('orders/write'))).toBe(403);
      const res = await getWithToken(app, '/scopes/any', withScope('orders/write'));
      expect(res.body.message).toBe('Insufficient scope');
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${issuer.userPoolId}", error="insufficient_scope", error_description="Insufficient scope", scope="orders/read orders/admin"`,
      );
    });

    it('{ allOf, anyOf } needs both, and the challenge names the part not met', async () => {
      expect(await statusOf('/scopes/both', withScope('orders/read us/write'))).toBe(200);
      expect(await statusOf('/scopes/both', withScope('us/write'))).toBe(403);
      const res = await getWithToken(app, '/scopes/both', withScope('orders/read'));
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toContain('scope="eu/write us/write"');
    });

    it('{ anyOf } refuses an id token, which carries no scopes', async () => {
      expect(await statusOf('/scopes/id-too', withScope('openid'))).toBe(200);
      expect(await statusOf('/scopes/id-too', issuer.idToken({ claims: { scope: 'openid' } }))).toBe(403);
    });
  });

  describe('claims', () => {
    const withClaims = (claims: Record<string, unknown>) => issuer.accessToken({ claims });

    it('a list is one of its values; the class rule applies where the handler has none', async () => {
      expect(await statusOf('/claims/tier', withClaims({ 'custom:tier': 'silver' }))).toBe(200);
      expect(await statusOf('/claims/tier', withClaims({ 'custom:tier': 'bronze' }))).toBe(403);
      expect(await statusOf('/claims/tier', issuer.accessToken())).toBe(403);
    });

    it("[Y4] a value is exactly that; a handler's @Claims() replaces its class's", async () => {
      expect(await statusOf('/claims/gold', withClaims({ 'custom:tier': 'gold' }))).toBe(200);
      expect(await statusOf('/claims/gold', withClaims({ 'custom:tier': 'silver' }))).toBe(403);
      expect(await statusOf('/claims/gold', withClaims({ 'custom:tier': 'Gold' }))).toBe(403);
      expect(await statusOf('/claims/gold', withClaims({ 'custom:tier': ['gold'] }))).toBe(403);
    });

    it('[Y4] compares numbers and booleans without conversion, and needs every claim', async () => {
      const good = { 'custom:tier': 'gold', 'custom:level': 3, 'custom:beta': true };
      expect(await statusOf('/claims/typed', withClaims(good))).toBe(200);
      expect(await statusOf('/claims/typed', withClaims({ ...good, 'custom:level': '3' }))).toBe(403);
      expect(await statusOf('/claims/typed', withClaims({ ...good, 'custom:beta': 'true' }))).toBe(403);
      expect(await statusOf('/claims/typed', withClaims({ ...good, 'custom:level': undefined }))).toBe(403);
    });

    it('{ includes } needs a list claim holding the value', async () => {
      expect(await statusOf('/claims/includes', withGroups('users', 'beta'))).toBe(200);
      expect(await statusOf('/claims/includes', withGroups('users'))).toBe(403);
      expect(await statusOf('/claims/includes', withClaims({ 'cognito:groups': 'beta' }))).toBe(403);
      expect(await statusOf('/claims/includes', issuer.accessToken())).toBe(403);
    });

    it('[Y5] a rule on constructor / toString never reads Object.prototype', async () => {
      expect(await statusOf('/claims/prototype', issuer.accessToken())).toBe(403);
      expect(await statusOf('/claims/prototype', withClaims({ constructor: 'x', toString: 'y' }))).toBe(200);
    });

    it('applies to id tokens and their custom attributes', async () => {
      const token = issuer.idToken({ claims: { 'custom:tenant_id': 't-1' } });
      expect(await statusOf('/claims/id', token)).toBe(200);
      expect(await statusOf('/claims/id', issuer.idToken({ claims: { 'custom:tenant_id': 't-2' } }))).toBe(403);
    });

    it('[Y6] answers 403 with a stable message that names neither the claim nor a value', async () => {
      const res = await getWithToken(app, '/claims/gold', withClaims({ 'custom:tier': 'secret-tier-value' }));
      expect(res.body).toEqual({ statusCode: 403, message: 'Claim requirement not met', error: 'Forbidden' });
      expect(JSON.stringify(res.headers) + JSON.stringify(res.body)).not.toMatch(/secret-tier-value|gold|custom:tier/);
    });
  });

  it('[Y10] answers a token from the verified-token cache exactly as a fresh one, under every rule', async () => {
    const cases: Array<[string, string, number]> = [
      ['/groups/any', withGroups('c'), 403],
      ['/groups/all', withGroups('a'), 403],
      ['/groups/none', withGroups('banned'), 403],
      ['/scopes/any', issuer.accessToken({ scope: 'orders/write' }), 403],
      ['/claims/gold', issuer.accessToken({ claims: { 'custom:tier': 'silver' } }), 403],
      ['/tenants/t-2/orders', issuer.accessToken({ claims: { 'custom:tenant_id': 't-1' } }), 403],
    ];
    const cache = app.get(JwksKeyProvider).verifiedTokens!;
    for (const [path, token, status] of cases) {
      // Let in twice on a route without rules (the second acceptance makes the entry), so the refusal
      // below is answered from the cache.
      expect((await getWithToken(app, '/warm', token)).status).toBe(200);
      expect((await getWithToken(app, '/warm', token)).status).toBe(200);
      const size = cache.size;
      expect(cache.get(token)).toBeDefined();
      expect(await statusOf(path, token)).toBe(status);
      expect(cache.size).toBe(size);
    }
  });

  describe('@ClaimCheck()', () => {
    const ofTenant = (tenant: unknown, claims: Record<string, unknown> = {}) =>
      issuer.accessToken({ claims: { 'custom:tenant_id': tenant, ...claims } });

    it("[Y9] sees the request: the route's :tenantId must be the token's custom:tenant_id", async () => {
      const res = await getWithToken(app, '/tenants/t-1/orders', ofTenant('t-1'));
      expect([res.status, res.body]).toEqual([200, { tenantId: 't-1' }]);
      expect(await statusOf('/tenants/t-1/orders', ofTenant('t-1'))).toBe(200);
      expect(await statusOf('/tenants/t-2/orders', ofTenant('t-1'))).toBe(403);
      expect(await statusOf('/tenants/t-1/orders', ofTenant(undefined))).toBe(403);
      expect(await statusOf('/tenants/t-1/orders', ofTenant(['t-1']))).toBe(403);
      const refused = await getWithToken(app, '/tenants/t-2/orders', ofTenant('t-1'));
      expect(refused.body).toEqual({
        statusCode: 403,
        message: 'Refused by the route claim check',
        error: 'Forbidden',
      });
    });

    it('runs after the declarative rules, with them, and before the verify hook', async () => {
      verify.mockClear();
      expect(await statusOf('/tenants/t-1/admin', ofTenant('t-1'))).toBe(403); // not in admin
      expect(await statusOf('/tenants/t-2/admin', issuer.accessToken({ groups: ['admin'] }))).toBe(403);
      expect(verify).not.toHaveBeenCalled();
      expect(
        await statusOf(
          '/tenants/t-1/admin',
          issuer.accessToken({ groups: ['admin'], claims: { 'custom:tenant_id': 't-1' } }),
        ),
      ).toBe(200);
      expect(verify).toHaveBeenCalledTimes(2);
    });

    it("a handler's check replaces its class's, and gets the verified payload and the route params", async () => {
      seen.length = 0;
      const token = ofTenant('t-1', { 'custom:role': 'support', sub: 'u-support' });
      expect(await statusOf('/tenants/t-9/support', token)).toBe(200);
      expect(await statusOf('/tenants/t-1/support', ofTenant('t-1'))).toBe(403);
      expect(seen.slice(0, 2)).toEqual([
        { sub: 'u-support', params: { tenantId: 't-9' } },
        { sub: 'u-support', params: { tenantId: 't-9' } },
      ]);
    });

    it('[Y7] answers 403, not 500, when the check throws, and logs the error', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        expect(await statusOf('/tenants/t-1/throws', ofTenant('t-1'))).toBe(403);
        expect(logged).toHaveBeenCalledTimes(2);
        expect(logged).toHaveBeenCalledWith(
          'The @ClaimCheck() of TenantsController.throws threw; the request is refused',
          expect.stringContaining('tenant table unreachable'),
        );
      } finally {
        logged.mockRestore();
      }
    });

    it('[Y8] refuses a promise (checks are synchronous) and a truthy value that is not true', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const unhandled = jest.fn();
      process.on('unhandledRejection', unhandled);
      try {
        expect(await statusOf('/tenants/t-1/promise', ofTenant('t-1'))).toBe(403);
        expect(await statusOf('/tenants/t-1/rejects', ofTenant('t-1'))).toBe(403);
        expect(logged).toHaveBeenCalledWith(expect.stringContaining('returned a promise'));
        expect(await statusOf('/tenants/t-1/truthy', ofTenant('t-1'))).toBe(403);
        await new Promise((resolve) => setImmediate(resolve));
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        process.off('unhandledRejection', unhandled);
        logged.mockRestore();
      }
    });
  });
});
