import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { CognitoAuthModule, CognitoGuard, CognitoUser, type CognitoJwtPayload } from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { VerifiedTokenCache } from '../src/verified-token-cache';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { fakeDateAt } from './support/fake-date';
import { getWithToken } from './support/requests';

@Controller()
@UseGuards(CognitoGuard)
class MutatingController {
  @Get('mutate')
  mutate(@CognitoUser() user: CognitoJwtPayload) {
    try {
      (user as unknown as Record<string, unknown>).username = 'someone-else';
    } catch {
      // frozen: the assignment throws in strict mode
    }
    return { username: user.username };
  }
}

describe('the verified-token cache', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await issuer.stop();
  });

  async function start(cache?: false | { maxEntries: number }) {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ cache })), [
      GuardedController,
      MutatingController,
    ]);
    return { app, cache: app.get(JwksKeyProvider).verifiedTokens };
  }

  it('remembers a token that passed every check, and answers it again from memory', async () => {
    const { app, cache } = await start();
    const token = issuer.accessToken();
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(cache?.size).toBe(1);
    expect(cache?.get(token)).toMatchObject({ sub: expect.any(String), token_use: 'access' });
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(cache?.size).toBe(1);
  });

  it('never caches a refusal', async () => {
    const { app, cache } = await start();
    expect((await getWithToken(app, '/me', issuer.accessToken({ expiresIn: -5 }))).status).toBe(401);
    expect((await getWithToken(app, '/me', issuer.accessToken({ claims: { client_id: 'other' } }))).status).toBe(401);
    expect(cache?.size).toBe(0);
  });

  it('never answers a token from memory at or past its exp', async () => {
    const now = Date.now();
    const { app } = await start();
    fakeDateAt(now);
    const token = issuer.accessToken({ expiresIn: 60 });
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    fakeDateAt(now + 61_000);
    const res = await getWithToken(app, '/me', token);
    expect([res.status, res.body.message]).toEqual([401, 'Token expired']);
  });

  it('still applies the route rules to a remembered token', async () => {
    const { app } = await start();
    const token = issuer.accessToken({ groups: ['reader'] });
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect((await getWithToken(app, '/admin', token)).status).toBe(403);
    expect((await getWithToken(app, '/profile', token)).status).toBe(401);
  });

  it('hands out a frozen payload: a handler cannot change what the next request sees', async () => {
    const { app } = await start();
    const token = issuer.accessToken();
    expect((await getWithToken(app, '/mutate', token)).body).toEqual({ username: 'test-user' });
    expect((await getWithToken(app, '/mutate', token)).body).toEqual({ username: 'test-user' });
  });

  it('keeps at most cache.maxEntries tokens, the least recently used out first', async () => {
    const { app, cache } = await start({ maxEntries: 2 });
    const [a, b, c] = [issuer.accessToken(), issuer.accessToken(), issuer.accessToken()];
    for (const token of [a, b, a, c]) expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(cache?.size).toBe(2);
    expect(cache?.get(a)).toBeDefined();
    expect(cache?.get(b)).toBeUndefined();
    expect(cache?.get(c)).toBeDefined();
  });

  it('is off with cache: false', async () => {
    const { app, cache } = await start(false);
    expect(cache).toBeNull();
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
  });
});

describe('VerifiedTokenCache', () => {
  const payload = (exp: number) => ({ exp, token_use: 'access' }) as unknown as CognitoJwtPayload;

  it('keeps no entry for tokens longer than its limit', () => {
    const cache = new VerifiedTokenCache(10, 8);
    cache.set('123456789', payload(Date.now() / 1000 + 60), 'uri', 'kid');
    expect(cache.size).toBe(0);
  });

  it('forgets the tokens a removed key signed, and only those', () => {
    const cache = new VerifiedTokenCache(10, 100);
    const exp = Date.now() / 1000 + 60;
    cache.set('t1', payload(exp), 'uri-a', 'k1');
    cache.set('t2', payload(exp), 'uri-a', 'k2');
    cache.set('t3', payload(exp), 'uri-b', 'k1');
    cache.forgetKeys('uri-a', ['k1']);
    expect([cache.get('t1'), cache.get('t2'), cache.get('t3')].map(Boolean)).toEqual([false, true, true]);
  });
});
