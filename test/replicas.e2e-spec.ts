import type { INestApplication } from '@nestjs/common';
import { CognitoAuthHealth, CognitoAuthModule, CognitoConfigError, type CognitoSinglePoolOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/**
 * Multi-Region replication (aws-jwt-verify#282, PR #285). The module is configured as for a real pool
 * (no `issuer`, no `jwksUri`): it derives AWS's issuers and JWKS URIs from the pool id, and the test
 * issuer's `awsAgent()` answers those URIs from 127.0.0.1, by host, so the test sees which host each
 * key set is fetched from. Each replica region signs with a key of its own.
 */
describe.each(platforms)('a pool replicated to other regions on %s', (...platform) => {
  const createApp = createAppOn(platform);
  const userPoolId = 'us-east-1_Replica01';
  const jwksPath = `/${userPoolId}/.well-known/jwks.json`;
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    // ap-south-1 has keys of its own but is not a region the app names.
    issuer = await CognitoTestIssuer.start({ userPoolId, replicaRegions: ['eu-west-1', 'ap-south-1'] });
  });

  beforeEach(() => {
    issuer.jwksRequestedUrls.length = 0;
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await issuer.stop();
  });

  async function start(overrides: Partial<CognitoSinglePoolOptions> = {}): Promise<INestApplication> {
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPoolId,
        clientId: issuer.clientId,
        replicaRegions: ['eu-west-1'],
        jwks: { agent: issuer.awsAgent() },
        ...overrides,
      }),
      [GuardedController],
    );
    return app;
  }

  it("[O4] accepts a token whose iss names a replica region, verified with that region's own JWKS", async () => {
    const app = await start();
    const token = issuer.accessToken({ region: 'eu-west-1' });
    const res = await getWithToken(app, '/me', token);
    expect([res.status, res.body.iss]).toEqual([200, `https://cognito-idp.eu-west-1.amazonaws.com/${userPoolId}`]);
    // The prefetch fetched each issuer's keys from the host of that issuer.
    expect([...issuer.jwksRequestedUrls].sort()).toEqual([
      `https://cognito-idp.eu-west-1.amazonaws.com${jwksPath}`,
      `https://cognito-idp.us-east-1.amazonaws.com${jwksPath}`,
      `https://issuer-cognito-idp.us-east-1.amazonaws.com${jwksPath}`,
    ]);
  });

  it("keeps accepting the primary region's tokens in both formats, and updated-format tokens of a replica", async () => {
    const app = await start();
    for (const token of [
      issuer.accessToken({ issuerFormat: 'original' }),
      issuer.accessToken({ issuerFormat: 'updated' }),
      // With the UPDATED configuration a replica issues the primary region's updated issuer.
      issuer.accessToken({ region: 'eu-west-1', issuerFormat: 'updated' }),
    ]) {
      expect((await getWithToken(app, '/me', token)).status).toBe(200);
    }
    expect(app.get(CognitoAuthHealth).check().status).toBe('up');
  });

  it('[O5] refuses a replica region the pool does not name, fetching nothing from it', async () => {
    const app = await start();
    const res = await getWithToken(app, '/me', issuer.accessToken({ region: 'ap-south-1' }));
    expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
    expect(issuer.jwksRequestedUrls.some((url) => url.includes('ap-south-1'))).toBe(false);
  });

  it("[O6] does not verify a replica region's iss with the primary region's keys", async () => {
    const app = await start();
    const forged = issuer.accessToken({ claims: { iss: issuer.awsIssuer('original', 'eu-west-1') } });
    const res = await getWithToken(app, '/me', forged);
    expect([res.status, res.body.message]).toEqual([401, 'Signing key not found']);
  });

  it('refuses replica tokens when the pool names no replica region (as before)', async () => {
    const app = await start({ replicaRegions: undefined });
    const res = await getWithToken(app, '/me', issuer.accessToken({ region: 'eu-west-1' }));
    expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
  });

  it('takes a jwksUri of its own for a replica region', async () => {
    // Point eu-west-1's keys at another host (here: the one serving ap-south-1's keys) to see it used.
    const elsewhere = `https://cognito-idp.ap-south-1.amazonaws.com${jwksPath}`;
    const app = await start({ replicaRegions: [{ region: 'eu-west-1', jwksUri: elsewhere }] });
    const iss = issuer.awsIssuer('original', 'eu-west-1');
    const signedElsewhere = issuer.accessToken({ region: 'ap-south-1', claims: { iss } });
    expect((await getWithToken(app, '/me', signedElsewhere)).status).toBe(200);
    expect((await getWithToken(app, '/me', issuer.accessToken({ region: 'eu-west-1' }))).status).toBe(401);
    expect(issuer.jwksRequestedUrls).toContain(elsewhere);
    expect(issuer.jwksRequestedUrls).not.toContain(`https://cognito-idp.eu-west-1.amazonaws.com${jwksPath}`);
  });
});

describe.each(platforms)(
  'a pool that has not opted into the updated issuer format (aws-jwt-verify#279) on %s',
  (...platform) => {
    const createApp = createAppOn(platform);
    let issuer: CognitoTestIssuer;
    let app: INestApplication | undefined;

    beforeAll(async () => {
      issuer = await CognitoTestIssuer.start({
        userPoolId: 'eu-west-1_Original1',
        issuerConfiguration: 'ORIGINAL',
        replicaRegions: ['eu-central-1'],
      });
    });

    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    afterAll(async () => {
      await issuer.stop();
    });

    it('[O7] starts with both formats accepted although the updated issuer answers 403, and reports up', async () => {
      app = await createApp(
        CognitoAuthModule.forRoot({
          userPoolId: issuer.userPoolId,
          clientId: issuer.clientId,
          replicaRegions: ['eu-central-1'],
          jwks: { agent: issuer.awsAgent() },
        }),
        [GuardedController],
      );
      const updatedJwks = `${issuer.awsIssuer('updated')}/.well-known/jwks.json`;
      expect(issuer.jwksRequestedUrls).toContain(updatedJwks); // the prefetch tried it, and got a 403
      const report = app.get(CognitoAuthHealth).check();
      expect(report.status).toBe('up');
      expect(report.keySets.find(({ jwksUri }) => jwksUri === updatedJwks)).toMatchObject({
        loaded: false,
        failing: true,
      });
      expect((await getWithToken(app, '/me', issuer.accessToken({ issuerFormat: 'original' }))).status).toBe(200);
      expect((await getWithToken(app, '/me', issuer.accessToken({ region: 'eu-central-1' }))).status).toBe(200);
    });

    it("reports down while a replica region's keys are missing", async () => {
      await issuer.suspend();
      try {
        app = await createApp(
          CognitoAuthModule.forRoot({
            userPoolId: issuer.userPoolId,
            clientId: issuer.clientId,
            replicaRegions: ['eu-central-1'],
            jwks: { agent: issuer.awsAgent(), timeoutMs: 500 },
          }),
          [GuardedController],
        );
        expect(app.get(CognitoAuthHealth).check().status).toBe('down');
      } finally {
        await issuer.resume();
      }
    });
  },
);

describe('replicaRegions fails the start, naming the option', () => {
  const valid = { userPoolId: 'us-east-1_Replica01', clientId: 'client' };

  it.each<[string, Record<string, unknown>, string]>([
    ['not an array', { replicaRegions: 'eu-west-1' }, 'replicaRegions'],
    ['not a region', { replicaRegions: ['eu-west-1', 'Ireland'] }, 'replicaRegions[1]'],
    ['the primary region', { replicaRegions: ['us-east-1'] }, 'replicaRegions[0]'],
    ['a region twice', { replicaRegions: ['eu-west-1', { region: 'eu-west-1' }] }, 'replicaRegions[1]'],
    ['a misspelt entry option', { replicaRegions: [{ region: 'eu-west-1', jwks: 'x' }] }, 'replicaRegions[0].jwks'],
    [
      'a jwksUri that is not a URL',
      { replicaRegions: [{ region: 'eu-west-1', jwksUri: 'x' }] },
      'replicaRegions[0].jwksUri',
    ],
    ['with issuerFormat "updated"', { issuerFormat: 'updated', replicaRegions: ['eu-west-1'] }, 'replicaRegions'],
    ['with an explicit issuer', { issuer: 'http://127.0.0.1/p', replicaRegions: ['eu-west-1'] }, 'replicaRegions'],
  ])('%s', async (_, options, option) => {
    const error = await createAppOn(platforms[0]!)(CognitoAuthModule.forRoot({ ...valid, ...options }), []).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CognitoConfigError);
    expect((error as CognitoConfigError).option).toBe(option);
  });
});
