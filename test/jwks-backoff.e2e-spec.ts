import type { INestApplication } from '@nestjs/common';
import { CognitoAuthHealth, CognitoAuthModule, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { fakeDateAt } from './support/fake-date';
import { getWithToken } from './support/requests';
import { waitFor } from './support/wait-for';

/*
 * When the key set fetches: the cooldown that follows a fetch for an unknown kid, and the backoff that
 * follows a failed fetch. Express alone: none of it depends on the platform. `Date` is faked and stands
 * still unless a test moves it, so every window is exact and no test sleeps through one; fetches are
 * counted at the loopback server. The default `requestsPerMinute` (10) gives a 6 s cooldown.
 */
describe('when unknown kids and failures fetch the JWKS', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;
  let clock: number;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
    clock = Date.now();
    fakeDateAt(clock);
  });

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await issuer.stop();
  });

  async function start(jwks: CognitoJwksOptions = {}): Promise<INestApplication> {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false, ...jwks } })), [
      GuardedController,
    ]);
    return app;
  }

  function advance(ms: number): void {
    clock += ms;
    jest.setSystemTime(clock);
  }

  async function status(token: string): Promise<number> {
    return (await getWithToken(app!, '/me', token)).status;
  }

  const forged = (i: number | string) => issuer.accessToken({ header: { kid: `forged-${i}` } });

  /** When the key set last loaded, as CognitoAuthHealth reports it. */
  const fetchedAt = () => app!.get(CognitoAuthHealth).check().keySets[0]!.fetchedAt;

  describe('the cooldown', () => {
    it('accepts a key rotated right after the prefetch', async () => {
      await start({ prefetch: true });
      expect(issuer.jwksRequests).toBe(1);
      issuer.rotateKeys();
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('accepts a key rotated right after the first request fetched the set', async () => {
      await start();
      expect(await status(issuer.accessToken())).toBe(200);
      issuer.rotateKeys();
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('accepts a key rotated right after a background refresh of a stale set', async () => {
      await start({ cacheMaxAgeMs: 60_000 });
      expect(await status(issuer.accessToken())).toBe(200);
      advance(60_000);
      expect(await status(issuer.accessToken())).toBe(200); // stale: answered, and refreshed behind
      await waitFor(() => fetchedAt() === new Date(clock).toISOString());
      expect(issuer.jwksRequests).toBe(2);
      issuer.rotateKeys();
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(3);
    });

    it('starts after a fetch for an unknown kid that still lacked it, and ends after jwks.requestsPerMinute', async () => {
      await start();
      expect(await status(issuer.accessToken())).toBe(200);
      expect(await status(forged('first'))).toBe(401); // fetches: the set was never searched for it
      expect(issuer.jwksRequests).toBe(2);
      for (let i = 0; i < 20; i++) expect(await status(forged(i))).toBe(401);
      issuer.rotateKeys();
      const rotated = issuer.accessToken();
      advance(5_999);
      expect(await status(rotated)).toBe(401); // within the cooldown: refused without a fetch
      expect(issuer.jwksRequests).toBe(2);
      advance(1);
      expect(await status(rotated)).toBe(200);
      expect(issuer.jwksRequests).toBe(3);
    });

    it('refreshes a stale set for an unknown kid, even within the cooldown', async () => {
      await start({ cacheMaxAgeMs: 1_000 });
      expect(await status(issuer.accessToken())).toBe(200);
      expect(await status(forged('first'))).toBe(401);
      advance(1_000); // stale, and 5 s of the cooldown left
      issuer.rotateKeys();
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(3);
    });

    it('holds a flood of forged kids to one fetch a cooldown', async () => {
      await start();
      expect(await status(issuer.accessToken())).toBe(200);
      for (let step = 0; step < 60; step++) {
        // 300 forged kids over 30 s, 5 at a time
        const statuses = await Promise.all([0, 1, 2, 3, 4].map((i) => status(forged(`${step}-${i}`))));
        expect(statuses).toEqual([401, 401, 401, 401, 401]);
        advance(500);
      }
      // The first set, then one fetch at 0, 6, 12, 18 and 24 s.
      expect(issuer.jwksRequests).toBe(1 + 5);
    }, 60_000);
  });

  describe('the backoff after a failed fetch', () => {
    it('holds 1,000 forged kids against an endpoint answering 500 to a handful of fetches; known keys keep working', async () => {
      await start();
      expect(await status(issuer.accessToken())).toBe(200);
      issuer.simulateJwksFault('status-500');
      for (let step = 0; step < 100; step++) {
        // 5 s: 10 forged kids and one token of the pool's key every 50 ms
        const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => status(forged(`${step}-${i}`))));
        expect(statuses).toEqual(Array(10).fill(503));
        expect(await status(issuer.accessToken())).toBe(200);
        advance(50);
      }
      // Fetches at 0, 1 and 3 s (the next is due at 7 s).
      expect(issuer.jwksRequests - 1).toBe(3);
    }, 60_000);

    it.each([
      ['prefetch', true],
      ['no prefetch', false],
    ])(
      'holds a failing cold start to the same bound (%s)',
      async (_, prefetch) => {
        issuer.simulateJwksFault('status-500');
        await start({ prefetch });
        const token = issuer.accessToken();
        for (let step = 0; step < 60; step++) {
          // 600 requests over 3 s, 10 at a time
          const statuses = await Promise.all(Array.from({ length: 10 }, () => status(token)));
          expect(statuses).toEqual(Array(10).fill(503));
          advance(50);
        }
        // At 0 and 1 s (the next is due at 3 s).
        expect(issuer.jwksRequests).toBe(2);
      },
      60_000,
    );

    it('answers 503 at once within the backoff, with no fetch', async () => {
      await start();
      issuer.simulateJwksFault('status-500');
      expect(await status(issuer.accessToken())).toBe(503);
      const res = await getWithToken(app!, '/me', issuer.accessToken());
      expect({ status: res.status, message: res.body.message }).toEqual({
        status: 503,
        message: 'Signing keys unavailable',
      });
      expect(issuer.jwksRequests).toBe(1);
    });

    it('doubles the step from 1 s up to the cooldown while failures continue', async () => {
      await start();
      issuer.simulateJwksFault('status-500');
      const fetchedAtMs: number[] = [];
      const started = clock;
      for (let step = 0; step < 300; step++) {
        const before = issuer.jwksRequests;
        expect(await status(forged(step))).toBe(503);
        if (issuer.jwksRequests > before) fetchedAtMs.push(clock - started);
        advance(100);
      }
      expect(fetchedAtMs).toEqual([0, 1_000, 3_000, 7_000, 13_000, 19_000, 25_000]);
    }, 60_000);

    it('gives the first good answer within one step of the recovery', async () => {
      await start();
      issuer.simulateJwksFault('status-500');
      expect(await status(issuer.accessToken())).toBe(503);
      issuer.clearJwksFault();
      advance(500);
      expect(await status(issuer.accessToken())).toBe(503);
      expect(issuer.jwksRequests).toBe(1);
      advance(500);
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
      // A success ends the backoff: the next failure starts from the first step again.
      issuer.simulateJwksFault('status-500');
      expect(await status(forged('after'))).toBe(503);
      advance(1_000);
      expect(await status(forged('after-1s'))).toBe(503);
      expect(issuer.jwksRequests).toBe(4);
    });

    it.each<[string, number, (now: number) => string, number]>([
      ['429 with delay-seconds', 429, () => '30', 30_000],
      ['503 with an HTTP date', 503, (now) => new Date(now + 20_000).toUTCString(), 20_000],
      ['429 asking for an hour, held to 60 s', 429, () => '3600', 60_000],
    ])('honours Retry-After on a %s', async (_, code, retryAfter, waitMs) => {
      await start();
      issuer.simulateJwksAnswer({ status: code, headers: { 'retry-after': retryAfter(clock) }, body: {} });
      expect(await status(issuer.accessToken())).toBe(503);
      issuer.clearJwksFault();
      advance(waitMs - 1_000);
      expect(await status(issuer.accessToken())).toBe(503);
      expect(issuer.jwksRequests).toBe(1);
      advance(1_000);
      expect(await status(issuer.accessToken())).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('keeps to its own step when Retry-After asks for less', async () => {
      await start();
      issuer.simulateJwksAnswer({ status: 429, headers: { 'retry-after': '0' }, body: {} });
      expect(await status(issuer.accessToken())).toBe(503);
      advance(999);
      expect(await status(issuer.accessToken())).toBe(503);
      expect(issuer.jwksRequests).toBe(1);
    });
  });
});
