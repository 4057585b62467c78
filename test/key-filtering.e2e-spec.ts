import type { INestApplication } from '@nestjs/common';
import { CognitoAuthModule } from '../src';
import { CognitoTestIssuer, type TestKeyOptions } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/** Only keys that can verify an RS256 Cognito token are used; the rest of a JWKS is ignored. */
describe.each(platforms)('which JWKS keys verify tokens on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(
      CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { requestsPerMinute: 6000, prefetch: false } })),
      [GuardedController],
    );
  });

  afterEach(async () => {
    await app.close();
    await issuer.stop();
  });

  it.each<[string, string, TestKeyOptions]>([
    ['J1', 'an EC key', { type: 'ec' }],
    ['J2', 'an RSA key of 1024 bits', { modulusLength: 1024 }],
    ['J3', 'an RSA key for encryption (use: enc)', { jwk: { use: 'enc' } }],
    ['J4', 'an RSA key for another algorithm (alg: RS512)', { jwk: { alg: 'RS512' } }],
    ['J5', 'an RSA key for RSA-OAEP (alg: RSA-OAEP)', { jwk: { alg: 'RSA-OAEP' } }],
    [
      'J6',
      'an oct key holding the public key as an HMAC secret',
      { jwk: { kty: 'oct', n: undefined, e: undefined, k: 'c2VjcmV0' } },
    ],
  ])('[%s] never verifies with %s', async (_, __, key) => {
    const poolToken = issuer.accessToken();
    issuer.rotateKeys(key);
    const res = await getWithToken(app, '/me', issuer.accessToken());
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 401,
      message: 'Signing key not found',
    });
    // The usable key of the same JWKS still works.
    expect((await getWithToken(app, '/me', poolToken)).status).toBe(200);
  });

  it('[J7] takes an RSA key with neither use nor alg', async () => {
    issuer.rotateKeys({ jwk: { use: undefined, alg: undefined } });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
  });

  it('[J8] answers 503 when the JWKS holds no usable key at all', async () => {
    issuer.rotateKeys({ modulusLength: 1024, dropPrevious: true });
    const res = await getWithToken(app, '/me', issuer.accessToken());
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 503,
      message: 'Signing keys unavailable',
    });
  });
});
