import crypto from 'node:crypto';
import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { CognitoAuthModule, CognitoGuard, Public, type CognitoSinglePoolOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get } from './support/requests';

/** What a handler can see of the request the guard let through. */
@Controller()
@UseGuards(CognitoGuard)
class ShapeController {
  @Get('shape')
  shape(@Req() request: Record<string, unknown>) {
    return describeRequest(request);
  }

  @Public({ optional: true })
  @Get('maybe')
  maybe(@Req() request: Record<string, unknown>) {
    return describeRequest(request);
  }
}

function describeRequest(request: Record<string, unknown>) {
  return {
    ownKeys: Object.keys(request).sort(),
    sub: (request.user as { sub?: string } | undefined)?.sub,
    // What passport's authenticate middleware and AuthGuard would have added.
    passportHelpers: ['login', 'logIn', 'logout', 'logOut', 'isAuthenticated', 'isUnauthenticated'].filter(
      (name) => name in request,
    ),
    hasAuthInfo: 'authInfo' in request,
    hasSessionManager: '_sessionManager' in request,
  };
}

describe.each(platforms)('the request a handler sees, on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;
  const apps: INestApplication[] = [];
  /** Calls of the app's own `tokenFrom`, by request path. */
  let extractions: string[] = [];

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(() => issuer.stop());

  async function appWith(options: Partial<CognitoSinglePoolOptions> = {}): Promise<INestApplication> {
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions(options)), [ShapeController]);
    apps.push(app);
    return app;
  }

  const countingTokenFrom = (request: { headers: Record<string, string | undefined>; url?: string }) => {
    extractions.push(request.url ?? '?');
    return request.headers['x-token'];
  };

  it('is the same on a verified token and a cached one: only `user` is added, no passport helpers', async () => {
    const app = await appWith();
    const token = issuer.accessToken({ claims: { sub: 'u-shape' } });
    const miss = await get(app, '/shape', `Bearer ${token}`);
    const hit = await get(app, '/shape', `Bearer ${token}`);
    expect(miss.status).toBe(200);
    expect(miss.body).toMatchObject({
      sub: 'u-shape',
      passportHelpers: [],
      hasAuthInfo: false,
      hasSessionManager: false,
    });
    expect(miss.body.ownKeys).toContain('user');
    expect(hit.body).toEqual(miss.body);
  });

  it('is the same with the cache off', async () => {
    const app = await appWith({ cache: false });
    const res = await get(app, '/shape', `Bearer ${issuer.accessToken({ claims: { sub: 'u-nocache' } })}`);
    expect(res.body).toMatchObject({ sub: 'u-nocache', passportHelpers: [], hasAuthInfo: false });
  });

  it("runs the app's own tokenFrom once per request: fresh, cached, cache off, optional route, refused", async () => {
    const token = issuer.accessToken();
    for (const cache of [undefined, false] as const) {
      const app = await appWith({ tokenFrom: countingTokenFrom, ...(cache === false ? { cache } : {}) });
      extractions = [];
      expect((await get(app, '/shape').set('x-token', token)).status).toBe(200);
      expect((await get(app, '/shape').set('x-token', token)).status).toBe(200);
      expect((await get(app, '/maybe').set('x-token', token)).status).toBe(200);
      expect((await get(app, '/maybe')).status).toBe(200);
      expect((await get(app, '/shape').set('x-token', issuer.accessToken({ expiresIn: -5 }))).status).toBe(401);
      expect((await get(app, '/shape')).status).toBe(401);
      expect(extractions).toEqual(['/shape', '/shape', '/maybe', '/maybe', '/shape', '/shape']);
    }
  });

  it('hashes no token for the verified-token cache: neither a miss that is then cached nor a hit', async () => {
    const app = await appWith();
    const token = issuer.accessToken();
    // A spy that calls the real function: it only counts the hashes of this token.
    const hash = jest.spyOn(crypto, 'hash');
    const createHash = jest.spyOn(crypto, 'createHash');
    try {
      const hashesOfToken = () =>
        hash.mock.calls.filter(([, data]) => data === token).length +
        // Express hashes its response bodies (sha1) for the ETag.
        createHash.mock.calls.filter(([algorithm]) => algorithm === 'sha256').length;
      // Verified twice (the second acceptance makes the entry), then answered from the cache.
      expect((await get(app, '/shape', `Bearer ${token}`)).status).toBe(200);
      expect((await get(app, '/shape', `Bearer ${token}`)).status).toBe(200);
      expect(app.get(JwksKeyProvider).verifiedTokens?.size).toBe(1);
      expect((await get(app, '/shape', `Bearer ${token}`)).status).toBe(200);
      expect(hashesOfToken()).toBe(0);
    } finally {
      hash.mockRestore();
      createHash.mockRestore();
    }
  });
});
