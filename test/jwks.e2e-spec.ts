import type { INestApplication } from '@nestjs/common';
import { CognitoAuthModule, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer, type JwksFault } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

describe.each(platforms)('fetching the pool keys on %s', (...platform) => {
  const createApp = createAppOn(platform);

    let issuer: CognitoTestIssuer;
    let app: INestApplication | undefined;

    beforeEach(async () => {
      issuer = await CognitoTestIssuer.start();
    });

    afterEach(async () => {
      await app?.close();
      app = undefined;
      await issuer.stop();
    });

    async function start(jwks: CognitoJwksOptions = {}): Promise<INestApplication> {
      app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks })), [GuardedController]);
      return app;
    }

    it('makes no fetch before the first token', async () => {
      await start();
      expect(issuer.jwksRequests).toBe(0);
    });

    it('shares one fetch among concurrent requests at a cold start', async () => {
      const app = await start();
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => getWithToken(app, '/me', issuer.accessToken()).then((res) => res.status)),
      );
      expect(statuses).toEqual(Array(20).fill(200));
      expect(issuer.jwksRequests).toBe(1);
    });

    it('makes no network call for a known kid once the key is cached', async () => {
      const app = await start();
      await getWithToken(app, '/me', issuer.accessToken());
      for (let i = 0; i < 10; i++) {
        expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      }
      expect(issuer.jwksRequests).toBe(1);
    });

    it('refetches once when the pool rotates to a new kid, and keeps the old key', async () => {
      const app = await start();
      const oldToken = issuer.accessToken();
      expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
      issuer.rotateKeys();
      const newTokens = Array.from({ length: 5 }, () => issuer.accessToken());
      const statuses = await Promise.all(newTokens.map((t) => getWithToken(app, '/me', t).then((res) => res.status)));
      expect(statuses).toEqual(Array(5).fill(200));
      expect(issuer.jwksRequests).toBe(2);
      expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('answers 401 for an unknown kid once the refetch budget is spent, without fetching', async () => {
      const app = await start({ requestsPerMinute: 2 });
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      const unknown = issuer.accessToken({ header: { kid: 'forged-kid' } });
      expect((await getWithToken(app, '/me', unknown)).status).toBe(401); // spends the second fetch
      const res = await getWithToken(app, '/me', unknown);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Signing key not found');
      expect(issuer.jwksRequests).toBe(2);
    });

    describe.each<[string, JwksFault | 'down']>([
      ['is down', 'down'],
      ['answers 500', 'status-500'],
      ['answers HTML', 'not-json'],
      ['resets the connection', 'reset'],
      ['sends headers and stalls past the deadline', 'hang'],
      ['serves no keys', 'empty-keys'],
    ])('when the JWKS endpoint %s', (_, fault) => {
      async function breakEndpoint() {
        if (fault === 'down') await issuer.suspend();
        else issuer.simulateJwksFault(fault);
      }

      async function repairEndpoint() {
        if (fault === 'down') await issuer.resume();
        else issuer.clearJwksFault();
      }

      it('answers 503 for a kid not cached, then 200 once the endpoint recovers, without a restart', async () => {
        const app = await start({ timeoutMs: 300 });
        await breakEndpoint();
        const res = await getWithToken(app, '/me', issuer.accessToken());
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ statusCode: 503, message: 'Signing keys unavailable', error: 'Service Unavailable' });
        await repairEndpoint();
        expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      });

      it('keeps accepting tokens whose key is cached', async () => {
        const app = await start({ timeoutMs: 300 });
        expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
        await breakEndpoint();
        expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
        await repairEndpoint();
      });
    });

    it('answers 503, not 401, when the refetch budget is spent on a failing endpoint', async () => {
      const app = await start({ requestsPerMinute: 1 });
      issuer.simulateJwksFault('status-500');
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
      expect(issuer.jwksRequests).toBe(1);
    });

    // The jest timeout is the assertion: with the 5 s default instead of jwks.timeoutMs, it fails.
    it('cuts a stalled fetch off at jwks.timeoutMs', async () => {
      const app = await start({ timeoutMs: 200 });
      issuer.simulateJwksFault('hang');
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
    }, 2_500);

    it('refetches a key once jwks.cacheMaxAgeMs has passed', async () => {
      const app = await start({ cacheMaxAgeMs: 200 });
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(issuer.jwksRequests).toBe(1);
      await sleep(300);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('keeps a known key working when forged kids have spent the budget as its entry expires', async () => {
      const app = await start({ cacheMaxAgeMs: 200, requestsPerMinute: 2 });
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      const forged = issuer.accessToken({ header: { kid: 'forged-kid' } });
      expect((await getWithToken(app, '/me', forged)).status).toBe(401);
      expect((await getWithToken(app, '/me', forged)).status).toBe(401);
      await sleep(300);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('keeps a known key working past its cache age while the endpoint fails', async () => {
      const app = await start({ cacheMaxAgeMs: 200 });
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      issuer.simulateJwksFault('status-500');
      await sleep(300);
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(issuer.jwksRequests).toBe(2);
    });

    it('stops accepting a key the pool removed, after the next successful refresh', async () => {
      const app = await start({ cacheMaxAgeMs: 200 });
      const oldToken = issuer.accessToken();
      expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
      issuer.rotateKeys({ dropPrevious: true });
      await sleep(300);
      const res = await getWithToken(app, '/me', oldToken);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Signing key not found');
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    });

    it('does not follow a redirect', async () => {
      const target = await CognitoTestIssuer.start({ userPoolId: issuer.userPoolId });
      const redirecting = await startRedirect(target.jwksUri);
      try {
        app = await createApp(
          CognitoAuthModule.forRoot(target.moduleOptions({ jwksUri: redirecting.url })),
          [GuardedController],
        );
        expect((await getWithToken(app, '/me', target.accessToken())).status).toBe(503);
        expect(target.jwksRequests).toBe(0);
      } finally {
        await redirecting.close();
        await target.stop();
      }
    });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startRedirect(location: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.writeHead(302, { location }).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
