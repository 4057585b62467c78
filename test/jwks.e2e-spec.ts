import type { INestApplication } from '@nestjs/common';
import { CognitoAuthModule, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer, type JwksFault } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';
import { sleep, waitFor } from './support/wait-for';

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
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false, ...jwks } })), [
      GuardedController,
    ]);
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
    const app = await start({ requestsPerMinute: 60 });
    const oldToken = issuer.accessToken();
    expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
    issuer.rotateKeys(); // right after the first fetch: only a fetch that lacked an unknown kid starts a cooldown
    const newTokens = Array.from({ length: 5 }, () => issuer.accessToken());
    const statuses = await Promise.all(newTokens.map((t) => getWithToken(app, '/me', t).then((res) => res.status)));
    expect(statuses).toEqual(Array(5).fill(200));
    expect(issuer.jwksRequests).toBe(2);
    expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
    expect(issuer.jwksRequests).toBe(2);
  });

  it('answers 401 for an unknown kid within the cooldown after a fetch that lacked one, without fetching', async () => {
    const app = await start({ requestsPerMinute: 2 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    const unknown = issuer.accessToken({ header: { kid: 'forged-kid' } });
    for (let i = 0; i < 5; i++) {
      const res = await getWithToken(app, '/me', unknown);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Signing key not found');
    }
    // The first fetch was for a known kid: only the first unknown one fetched, and started the cooldown.
    expect(issuer.jwksRequests).toBe(2);
  });

  it('refetches the whole set once for an unknown kid after the cooldown, shared by concurrent requests', async () => {
    const app = await start({ requestsPerMinute: 60 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    await sleep(1_100);
    const forged = Array.from({ length: 20 }, (_, i) => issuer.accessToken({ header: { kid: `forged-${i}` } }));
    const statuses = await Promise.all(forged.map((t) => getWithToken(app, '/me', t).then((res) => res.status)));
    expect(statuses).toEqual(Array(20).fill(401));
    expect(issuer.jwksRequests).toBe(2);
  });

  it('accepts a rotated key within one cooldown while forged kids flood in', async () => {
    const app = await start({ requestsPerMinute: 60 }); // a 1 s cooldown
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    let flooding = true;
    const flood = (async () => {
      let sent = 0;
      while (flooding && sent < 2_000) {
        const forged = issuer.accessToken({ header: { kid: `forged-${sent++}` } });
        expect((await getWithToken(app, '/me', forged)).status).toBe(401);
      }
      return sent;
    })();
    await sleep(100);
    issuer.rotateKeys();
    const started = Date.now();
    const rotated = issuer.accessToken();
    await waitFor(async () => (await getWithToken(app, '/me', rotated)).status === 200, 150);
    const waited = Date.now() - started;
    flooding = false;
    const sent = await flood;
    expect(sent).toBeGreaterThan(0);
    // One cooldown, plus the time one fetch and a few requests take on a loaded machine.
    expect(waited).toBeLessThan(1_000 + 1_500);
    // At most one fetch per cooldown, however many forged kids arrived.
    expect(issuer.jwksRequests).toBeLessThanOrEqual(2 + Math.ceil((Date.now() - started + 100) / 1_000));
  });

  describe.each<[string, JwksFault | 'down']>([
    ['is down', 'down'],
    ['answers 500', 'status-500'],
    ['answers HTML', 'not-json'],
    ['resets the connection', 'reset'],
    ['sends headers and stalls past the deadline', 'hang'],
    ['serves no keys', 'empty-keys'],
    ['answers after the deadline', 'slow'],
    ['drips its answer past the deadline', 'drip'],
    ['sends a body over 1 MiB', 'huge'],
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
      const app = await start({ timeoutMs: 300, requestsPerMinute: 600 }); // a 100 ms backoff step
      await breakEndpoint();
      const res = await getWithToken(app, '/me', issuer.accessToken());
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ statusCode: 503, message: 'Signing keys unavailable', error: 'Service Unavailable' });
      await repairEndpoint();
      await sleep(150); // past the backoff that the failure started
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

  it('backs off after a failed fetch, by one step and not a cooldown: the first request after it succeeds', async () => {
    const app = await start({ requestsPerMinute: 1 }); // a 60 s cooldown, a 1 s first step
    issuer.simulateJwksFault('status-500');
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503); // within the step: no fetch
    expect(issuer.jwksRequests).toBe(1);
    issuer.clearJwksFault();
    await sleep(1_100);
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(issuer.jwksRequests).toBe(2);
  });

  // The jest timeout is the assertion: with the 5 s default instead of jwks.timeoutMs, it fails.
  it('cuts a stalled fetch off at jwks.timeoutMs', async () => {
    const app = await start({ timeoutMs: 200 });
    issuer.simulateJwksFault('hang');
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
  }, 2_500);

  it('refreshes the set in the background once jwks.cacheMaxAgeMs has passed', async () => {
    const app = await start({ cacheMaxAgeMs: 200 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(issuer.jwksRequests).toBe(1);
    await sleep(300);
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    await waitFor(() => issuer.jwksRequests === 2);
  });

  it('keeps a known key working when forged kids flood in as the set expires', async () => {
    const app = await start({ cacheMaxAgeMs: 1_000, requestsPerMinute: 2 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    const forged = issuer.accessToken({ header: { kid: 'forged-kid' } });
    expect((await getWithToken(app, '/me', forged)).status).toBe(401);
    expect((await getWithToken(app, '/me', forged)).status).toBe(401);
    expect(issuer.jwksRequests).toBe(2); // the first forged kid fetched, then the cooldown held
    await sleep(1_100);
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    await waitFor(() => issuer.jwksRequests === 3);
  });

  it('keeps a known key working past its cache age while the endpoint fails (stale-if-error)', async () => {
    const app = await start({ cacheMaxAgeMs: 200, requestsPerMinute: 600 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    issuer.simulateJwksFault('status-500');
    await sleep(300);
    for (let i = 0; i < 5; i++) {
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      await sleep(50);
    }
    expect(issuer.jwksRequests).toBeGreaterThanOrEqual(2);
    issuer.clearJwksFault();
    const kid = issuer.rotateKeys({ dropPrevious: true });
    // Refreshed keys replace the stale set once the endpoint is back.
    await waitFor(async () => (await getWithToken(app, '/me', issuer.accessToken())).status === 200);
    expect(issuer.currentKid).toBe(kid);
  });

  it('spaces background refreshes of a stale set out while the endpoint fails', async () => {
    const app = await start({ cacheMaxAgeMs: 100, requestsPerMinute: 60 }); // a 1 s cooldown
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    issuer.simulateJwksFault('status-500');
    await sleep(150);
    for (let i = 0; i < 20; i++) {
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    }
    await waitFor(() => issuer.jwksRequests === 2);
    await sleep(100);
    expect(issuer.jwksRequests).toBe(2);
  });

  it('stops accepting a key the pool removed, after the next successful refresh', async () => {
    const app = await start({ cacheMaxAgeMs: 200 });
    const oldToken = issuer.accessToken();
    expect((await getWithToken(app, '/me', oldToken)).status).toBe(200);
    issuer.rotateKeys({ dropPrevious: true });
    await sleep(300);
    await getWithToken(app, '/me', oldToken); // stale: answered, and starts the refresh
    await waitFor(() => issuer.jwksRequests === 2);
    await waitFor(async () => (await getWithToken(app, '/me', oldToken)).status === 401, 10);
    const res = await getWithToken(app, '/me', oldToken);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Signing key not found');
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
  });

  it('refuses a body over 1 MiB even when it ends in valid keys, and takes one just under', async () => {
    const app = await start({ requestsPerMinute: 600 });
    const keys = JSON.stringify(issuer.jwks().keys);
    const body = (size: number) => {
      const frame = `{"filler":"","keys":${keys}}`;
      return `{"filler":"${'x'.repeat(size - frame.length)}","keys":${keys}}`;
    };
    issuer.simulateJwksAnswer({ body: body(1024 * 1024 + 1) });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
    issuer.simulateJwksAnswer({ body: body(1024 * 1024) });
    await sleep(150); // past the backoff step
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(issuer.jwksRequests).toBe(2);
  });

  it('does not follow a redirect', async () => {
    const target = await CognitoTestIssuer.start({ userPoolId: issuer.userPoolId });
    const redirecting = await startRedirect(target.jwksUri);
    try {
      app = await createApp(CognitoAuthModule.forRoot(target.moduleOptions({ jwksUri: redirecting.url })), [
        GuardedController,
      ]);
      expect((await getWithToken(app, '/me', target.accessToken())).status).toBe(503);
      expect(target.jwksRequests).toBe(0);
    } finally {
      await redirecting.close();
      await target.stop();
    }
  });
});

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
