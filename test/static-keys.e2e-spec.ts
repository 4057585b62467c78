import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CognitoAuthHealth,
  CognitoAuthModule,
  CognitoConfigError,
  type CognitoAuthModuleOptions,
  type CognitoJwks,
} from '../src';
import { CognitoTestIssuer, type TestKeyOptions } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/**
 * Keys given in the options (`jwksInline`, `jwksFile`): read once at start, never fetched. The test
 * issuer keeps serving its JWKS on loopback only to count requests: every test expects none.
 */
describe.each(platforms)('keys without a fetch on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let issuer: CognitoTestIssuer;
  let dir: string;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
    dir = mkdtempSync(join(tmpdir(), 'static-keys-'));
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function writeJwks(jwks: unknown, name = 'jwks.json'): string {
    const path = join(dir, name);
    writeFileSync(path, typeof jwks === 'string' ? jwks : JSON.stringify(jwks));
    return path;
  }

  async function start(overrides: Partial<CognitoAuthModuleOptions>): Promise<INestApplication> {
    app = await createApp(
      CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), ...overrides } as CognitoAuthModuleOptions),
      [GuardedController],
    );
    return app;
  }

  async function startFailure(overrides: Partial<CognitoAuthModuleOptions>): Promise<CognitoConfigError> {
    const error = await start(overrides).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CognitoConfigError);
    return error as CognitoConfigError;
  }

  describe.each<[string, () => Partial<CognitoAuthModuleOptions>]>([
    ['jwksInline', () => ({ jwksInline: issuer.jwks() })],
    ['jwksFile', () => ({ jwksFile: writeJwks(issuer.jwks()) })],
  ])('with %s', (_, keysOption) => {
    it('[O3] accepts the tokens of the keys given, and never fetches (prefetch included)', async () => {
      const app = await start(keysOption());
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect((await getWithToken(app, '/profile', issuer.idToken())).status).toBe(200);
      expect(issuer.jwksRequests).toBe(0);
    });

    it('[O2] answers 401 for an unknown kid, with no fetch and no retry, again and again', async () => {
      const app = await start(keysOption());
      issuer.rotateKeys(); // the endpoint now serves the new key: a fetched set would pick it up
      for (let i = 0; i < 3; i++) {
        const res = await getWithToken(app, '/me', issuer.accessToken());
        expect([res.status, res.body.message]).toEqual([401, 'Signing key not found']);
        expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      }
      expect(issuer.jwksRequests).toBe(0);
    });

    it('reports the set as loaded, where it came from, and never failing', async () => {
      const app = await start(keysOption());
      const [keySet] = app.get(CognitoAuthHealth).check().keySets;
      expect(app.get(CognitoAuthHealth).check().status).toBe('up');
      expect(keySet).toMatchObject({ loaded: true, keys: 1, failing: false });
      expect(keySet!.fetchedAt).toEqual(expect.any(String));
    });
  });

  it('names the source in CognitoAuthHealth: inline:<option> and the file URL', async () => {
    const path = writeJwks(issuer.jwks());
    const app = await start({ jwksFile: path });
    expect(app.get(CognitoAuthHealth).check().keySets).toMatchObject([
      { jwksUri: pathToFileURL(path).href, source: 'file' },
    ]);
    await app.close();
    const inline = await start({ jwksInline: issuer.jwks() });
    expect(inline.get(CognitoAuthHealth).check().keySets).toMatchObject([
      { jwksUri: 'inline:jwksInline', source: 'inline' },
    ]);
  });

  it.each<[string, TestKeyOptions]>([
    ['an EC key', { type: 'ec' }],
    ['an RSA key of 1024 bits', { modulusLength: 1024 }],
    ['an RSA key of exponent 3', { publicExponent: 3 }],
    ['an RSA key for encryption (use: enc)', { jwk: { use: 'enc' } }],
    ['an RSA key for another algorithm (alg: RS512)', { jwk: { alg: 'RS512' } }],
  ])('[O1] applies the key filter of fetched sets: never verifies with %s', async (_, key) => {
    const poolToken = issuer.accessToken();
    const kid = issuer.rotateKeys(key);
    const app = await start({ jwksInline: issuer.jwks() });
    const res = await getWithToken(app, '/me', issuer.accessToken());
    expect([res.status, res.body.message]).toEqual([401, 'Signing key not found']);
    expect(issuer.currentKid).toBe(kid);
    // The usable key of the same set still verifies.
    expect((await getWithToken(app, '/me', poolToken)).status).toBe(200);
    expect(app.get(CognitoAuthHealth).check().keySets[0]!.keys).toBe(1);
  });

  it('keeps one static set per pool: another pool of the app still fetches its own', async () => {
    const other = await CognitoTestIssuer.start({ userPoolId: 'eu-west-1_Other0001' });
    try {
      app = await createApp(
        CognitoAuthModule.forRoot({
          userPools: [
            { ...issuer.moduleOptions(), jwksInline: issuer.jwks() },
            { userPoolId: other.userPoolId, clientId: other.clientId, issuer: other.issuer },
          ],
        }),
        [GuardedController],
      );
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect((await getWithToken(app, '/me', other.accessToken())).status).toBe(200);
      expect([issuer.jwksRequests, other.jwksRequests]).toEqual([0, 1]);
    } finally {
      await app?.close();
      app = undefined;
      await other.stop();
    }
  });

  describe('fails the start, naming the option', () => {
    it('when the file is missing', async () => {
      const error = await startFailure({ jwksFile: join(dir, 'absent.json') });
      expect(error.option).toBe('jwksFile');
      expect(error.message).toMatch(/^CognitoAuthModule option "jwksFile" cannot be read \(ENOENT/);
    });

    it('when the file is not JSON', async () => {
      const error = await startFailure({ jwksFile: writeJwks('{"keys": [') });
      expect([error.option, error.message]).toEqual(['jwksFile', expect.stringMatching(/is not JSON$/)]);
    });

    it('when the file is not a JWKS', async () => {
      const error = await startFailure({ jwksFile: writeJwks([issuer.jwks().keys[0]]) });
      expect([error.option, error.message]).toEqual(['jwksFile', expect.stringMatching(/must be a JWKS/)]);
    });

    it('when no key of the file is usable', async () => {
      issuer.rotateKeys({ modulusLength: 1024, dropPrevious: true });
      const error = await startFailure({ jwksFile: writeJwks(issuer.jwks()) });
      expect([error.option, error.message]).toEqual([
        'jwksFile',
        expect.stringMatching(/has no RS256 key with a 2048-/),
      ]);
    });

    it('when an inline JWKS is empty', async () => {
      const error = await startFailure({ jwksInline: { keys: [] } });
      expect(error.option).toBe('jwksInline');
    });

    it('when an inline JWKS lists more keys than a fetched one may', async () => {
      const keys = Array.from({ length: 21 }, () => issuer.jwks().keys[0]!).map((key, i) => ({ ...key, kid: `k${i}` }));
      const error = await startFailure({ jwksInline: { keys } });
      expect([error.option, error.message]).toEqual(['jwksInline', expect.stringMatching(/lists 21 RSA signing keys/)]);
    });

    it('when the keys come from two places, and in userPools[i]', async () => {
      const jwksInline = issuer.jwks();
      expect((await startFailure({ jwksUri: issuer.jwksUri, jwksInline })).option).toBe('jwksInline');
      expect((await startFailure({ jwksFile: writeJwks(jwksInline), jwksInline })).option).toBe('jwksInline');
      const error = await createApp(
        CognitoAuthModule.forRoot({
          userPools: [{ ...issuer.moduleOptions(), jwksInline: 'keys' as unknown as CognitoJwks }],
        }),
        [GuardedController],
      ).catch((e: unknown) => e);
      expect((error as CognitoConfigError).option).toBe('userPools[0].jwksInline');
    });
  });
});
