import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CognitoAuthModule,
  CognitoConfigError,
  type CognitoSinglePoolOptions,
  type CognitoTokenExtractor,
} from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

describe.each(platforms)('token sources on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(() => issuer.stop());

  async function appWith(tokenFrom: CognitoSinglePoolOptions['tokenFrom']): Promise<INestApplication> {
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ tokenFrom })), [GuardedController]);
    apps.push(app);
    return app;
  }

  function withCookie(app: INestApplication, path: string, cookie: string) {
    return request(app.getHttpServer()).get(path).set('Cookie', cookie);
  }

  describe('by default', () => {
    it('reads no cookie', async () => {
      const app = await appWith(undefined);
      expect((await withCookie(app, '/me', `access_token=${issuer.accessToken()}`)).status).toBe(401);
    });
  });

  describe('tokenFrom: { cookie }', () => {
    it('reads the named cookie among others, with no cookie middleware', async () => {
      const app = await appWith({ cookie: 'access_token' });
      const token = issuer.accessToken({ claims: { sub: 'u-cookie' } });
      const res = await withCookie(app, '/sub', `theme=dark; access_token=${token}; lang=en`);
      expect(res.body).toEqual({ sub: 'u-cookie' });
    });

    it('reads a quoted cookie value', async () => {
      const app = await appWith({ cookie: 'access_token' });
      expect((await withCookie(app, '/me', `access_token="${issuer.accessToken()}"`)).status).toBe(200);
    });

    it('still reads the Authorization header, which wins over the cookie', async () => {
      const app = await appWith({ cookie: 'access_token' });
      const header = issuer.accessToken({ claims: { sub: 'from-header' } });
      const cookie = issuer.accessToken({ claims: { sub: 'from-cookie' } });
      expect((await getWithToken(app, '/sub', header)).body).toEqual({ sub: 'from-header' });
      const both = await withCookie(app, '/sub', `access_token=${cookie}`).set('Authorization', `Bearer ${header}`);
      expect(both.body).toEqual({ sub: 'from-header' });
    });

    it('answers 401 for a bad token in the cookie, and for a cookie of another name', async () => {
      const app = await appWith({ cookie: 'access_token' });
      const expired = await withCookie(app, '/me', `access_token=${issuer.accessToken({ expiresIn: -1 })}`);
      expect(expired.status).toBe(401);
      expect(expired.body.message).toBe('Token expired');
      const other = await withCookie(app, '/me', `id_token=${issuer.accessToken()}`);
      expect(other.status).toBe(401);
      expect(other.body.message).toBe('Missing bearer token');
    });

    it('is not fooled by a cookie whose name ends with the configured one', async () => {
      const app = await appWith({ cookie: 'token' });
      expect((await withCookie(app, '/me', `xtoken=${issuer.accessToken()}`)).status).toBe(401);
    });
  });

  describe('tokenFrom: a function', () => {
    it('replaces the whole lookup', async () => {
      const app = await appWith((req: { headers: Record<string, string | undefined> }) => req.headers['x-api-token']);
      const token = issuer.accessToken({ claims: { sub: 'u-custom' } });
      expect((await get(app, '/sub').set('x-api-token', token)).body).toEqual({ sub: 'u-custom' });
      expect((await getWithToken(app, '/me', token)).status).toBe(401);
    });

    it('answers 401 "Missing bearer token" when it returns nothing usable', async () => {
      for (const result of [null, undefined, '', 42]) {
        const app = await appWith((() => result) as CognitoTokenExtractor);
        const res = await get(app, '/me');
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Missing bearer token');
      }
    });

    it('answers 401, not 500, when it throws', async () => {
      const app = await appWith(() => {
        throw new Error('boom');
      });
      const res = await get(app, '/me');
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Token malformed');
      // An optional route does not let a failing extractor through either.
      expect((await get(app, '/maybe')).status).toBe(401);
    });
  });

  describe('tokenFrom: { handshake: true }', () => {
    it('never reads access_token from an HTTP query string', async () => {
      const app = await appWith({ handshake: true });
      expect((await get(app, `/me?access_token=${issuer.accessToken()}`)).status).toBe(401);
    });
  });
});

describe('tokenFrom and verify options', () => {
  async function startWith(options: Partial<CognitoSinglePoolOptions>) {
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot({ userPoolId: 'eu-west-1_AbC123xyz', clientId: 'c', ...options })],
    }).compile();
    await moduleRef.close();
  }

  it.each<[string, unknown, string]>([
    ['a string', 'cookie', 'tokenFrom'],
    ['an array', [], 'tokenFrom'],
    ['null', null, 'tokenFrom'],
    ['an unknown source', { header: 'x' }, 'tokenFrom.header'],
    ['an empty cookie name', { cookie: '' }, 'tokenFrom.cookie'],
    ['a cookie name with a separator', { cookie: 'a;b' }, 'tokenFrom.cookie'],
    ['a cookie name that is not a string', { cookie: 1 }, 'tokenFrom.cookie'],
    ['handshake not a boolean', { handshake: 'yes' }, 'tokenFrom.handshake'],
  ])('refuses tokenFrom as %s, naming the option', async (_, tokenFrom, option) => {
    const start = startWith({ tokenFrom: tokenFrom as CognitoSinglePoolOptions['tokenFrom'] });
    await expect(start).rejects.toThrow(CognitoConfigError);
    await expect(start).rejects.toMatchObject({ option });
  });

  it.each([
    ['a boolean', true],
    ['a string', 'yes'],
    ['null', null],
  ])('refuses verify as %s', async (_, verify) => {
    const start = startWith({ verify: verify as never });
    await expect(start).rejects.toMatchObject({ option: 'verify' });
  });

  it('accepts every documented form', async () => {
    await startWith({ tokenFrom: { cookie: 'access_token', handshake: true } });
    await startWith({ tokenFrom: () => null, verify: () => true });
  });
});
