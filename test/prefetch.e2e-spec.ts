import type { INestApplication } from '@nestjs/common';
import { CognitoAuthHealth, CognitoAuthModule, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { getWithToken } from './support/requests';
import { waitFor } from './support/wait-for';

describe('key prefetch and CognitoAuthHealth', () => {
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

  it('fetches the keys while the application starts, so the first request does not', async () => {
    const app = await start();
    expect(issuer.jwksRequests).toBe(1);
    expect(app.get(CognitoAuthHealth).check()).toMatchObject({
      status: 'up',
      keySets: [{ jwksUri: issuer.jwksUri, loaded: true, keys: 1, failing: false }],
      verifiedTokenCache: { entries: 0, maxEntries: 10_000, maxEntriesPerUser: 10 },
    });
    const token = issuer.accessToken();
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(issuer.jwksRequests).toBe(1);
    // Accepted a second time, the token gets its cache entry, which the health check counts.
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(app.get(CognitoAuthHealth).check().verifiedTokenCache).toEqual({
      entries: 1,
      maxEntries: 10_000,
      maxEntriesPerUser: 10,
    });
  });

  it('starts anyway when the endpoint is down, reports it, and recovers on the first request after', async () => {
    await issuer.suspend();
    const app = await start({ timeoutMs: 500, requestsPerMinute: 600 }); // the failure backs off 100 ms
    expect(app.get(CognitoAuthHealth).check()).toMatchObject({
      status: 'down',
      keySets: [{ loaded: false, keys: 0, fetchedAt: null, failing: true }],
    });
    await issuer.resume();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(app.get(CognitoAuthHealth).check().status).toBe('up');
  });

  it('starts within the fetch deadline when the endpoint stalls', async () => {
    issuer.simulateJwksFault('hang');
    const app = await start({ timeoutMs: 300 });
    expect(app.get(CognitoAuthHealth).check().status).toBe('down');
    issuer.clearJwksFault();
  });

  it('fetches nothing at start with jwks.prefetch: false', async () => {
    const app = await start({ prefetch: false });
    expect(issuer.jwksRequests).toBe(0);
    expect(app.get(CognitoAuthHealth).check().status).toBe('down');
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(app.get(CognitoAuthHealth).check().status).toBe('up');
  });

  it('keeps reporting up on stale keys while refreshes fail', async () => {
    const app = await start({ cacheMaxAgeMs: 50, requestsPerMinute: 6000 });
    issuer.simulateJwksFault('status-500');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    await waitFor(() => app.get(CognitoAuthHealth).check().keySets[0]!.failing);
    expect(app.get(CognitoAuthHealth).check()).toMatchObject({
      status: 'up',
      keySets: [{ loaded: true, failing: true }],
    });
  });
});
