import { Controller, Get, Injectable, UseGuards } from '@nestjs/common';
import { CognitoAuthModule, CognitoGuard, JwksUnavailableError, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

/** A guard whose key set says when to come back, as a key set in backoff does. */
@Injectable()
class HintingGuard extends CognitoGuard {
  protected override authenticate(): Promise<void> {
    return Promise.reject(new JwksUnavailableError({ retryAfterSeconds: 29.2 }));
  }
}

/** A guard whose failure says nothing about when to come back (a subclass's own 503). */
@Injectable()
class UnhintedGuard extends CognitoGuard {
  protected override authenticate(): Promise<void> {
    return Promise.reject(new JwksUnavailableError());
  }
}

@Controller()
class HintingController {
  @Get('hinted')
  @UseGuards(HintingGuard)
  hinted() {
    return {};
  }

  @Get('unhinted')
  @UseGuards(UnhintedGuard)
  unhinted() {
    return {};
  }
}

describe.each(platforms)('503 Retry-After on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(() => issuer.clearJwksFault());
  afterAll(() => issuer.stop());

  async function keysDown(jwks: CognitoJwksOptions = {}) {
    const app = await createApp(
      CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false, ...jwks } })),
      [GuardedController, HintingController],
    );
    issuer.simulateJwksFault('status-500');
    return app;
  }

  it("is the key set's backoff: 1 s after the first failed fetch, then the next step while it lasts", async () => {
    const app = await keysDown();
    const first = await getWithToken(app, '/me', issuer.accessToken());
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.body).toEqual({ statusCode: 503, message: 'Signing keys unavailable', error: 'Service Unavailable' });
    // Within the window no fetch is made, and the header counts down to the same instant.
    const again = await getWithToken(app, '/me', issuer.accessToken());
    expect(again.status).toBe(503);
    expect(again.headers['retry-after']).toBe('1');
    await app.close();
  });

  it("is the endpoint's own Retry-After on a 429, up to the 60 s cap", async () => {
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false } })), [
      GuardedController,
    ]);
    issuer.simulateJwksAnswer({ status: 429, headers: { 'retry-after': '20' } });
    const res = await getWithToken(app, '/me', issuer.accessToken());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('20');
    issuer.simulateJwksAnswer({ status: 429, headers: { 'retry-after': '3600' } });
    await app.close();
    const capped = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false } })), [
      GuardedController,
    ]);
    const res2 = await getWithToken(capped, '/me', issuer.accessToken());
    expect(res2.headers['retry-after']).toBe('60');
    await capped.close();
  });

  it.each([
    [{}, '6'], // 60 s / 10 requests a minute
    [{ requestsPerMinute: 7 }, '9'], // 8.57 s, rounded up
    [{ requestsPerMinute: 600 }, '1'], // 0.1 s: at least 1
  ])('is the JWKS cooldown in whole seconds when the error carries no hint (jwks %j)', async (jwks, expected) => {
    const app = await keysDown(jwks);
    const res = await getWithToken(app, '/unhinted', issuer.accessToken());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe(expected);
    await app.close();
  });

  it("is the error's retryAfterSeconds when it has one, rounded up", async () => {
    const app = await keysDown();
    const res = await getWithToken(app, '/hinted', issuer.accessToken());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    await app.close();
  });

  it('is not sent with a 401', async () => {
    const app = await keysDown();
    const res = await get(app, '/me');
    expect(res.status).toBe(401);
    expect(res.headers['retry-after']).toBeUndefined();
    await app.close();
  });
});
