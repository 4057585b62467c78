import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { CognitoAuthHealth, CognitoAuthModule } from '../src';
import { CognitoTestIssuer, type TestKeyOptions } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn, initApp } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';
import { sleep } from './support/wait-for';

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
    ['J9', 'an RSA key of exponent 2 (even)', { jwk: { e: 'Ag' } }],
    ['J10', 'an RSA key of exponent 3', { publicExponent: 3 }],
    ['J11', 'an RSA key of exponent 65539 (odd, but not 65537)', { publicExponent: 65539 }],
    ['J12', 'an RSA key of 8193 bits', { jwk: { n: modulusOf(8193) } }],
    ['J13', 'an RSA key of 16,384 bits', { jwk: { n: modulusOf(16_384) } }],
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

  it('[J14] holds an RSA key of 8192 bits: a token under its kid is checked against it', async () => {
    issuer.rotateKeys({ jwk: { n: modulusOf(8192) } });
    const res = await getWithToken(app, '/me', issuer.accessToken());
    // Signed with another key, so refused; but by the signature check, not for want of a key.
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 401,
      message: 'Token signature invalid',
    });
  });

  it('[J15] refuses a token "signed" with no private key under a key of exponent 1', async () => {
    const kid = issuer.rotateKeys({ jwk: { e: 'AQ' } });
    const jwk = issuer.jwks().keys.find((key) => key.kid === kid)!;
    const [header, payload] = issuer.accessToken().split('.') as [string, string];
    // With e = 1, s^e mod n is s itself: the EMSA-PKCS1-v1_5 encoding of the hash passes as its own signature.
    const input = `${header}.${payload}`;
    const digestInfo = Buffer.from('3031300d060960864801650304020105000420', 'hex');
    const digest = Buffer.concat([digestInfo, createHash('sha256').update(input).digest()]);
    const length = Buffer.from(jwk.n as string, 'base64url').length;
    const encoded = Buffer.concat([
      Buffer.from([0, 1]),
      Buffer.alloc(length - 3 - digest.length, 0xff),
      Buffer.from([0]),
      digest,
    ]);
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(verify('sha256', Buffer.from(input), publicKey, encoded)).toBe(true); // the forgery works on the key itself
    const res = await getWithToken(app, '/me', `${input}.${encoded.toString('base64url')}`);
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 401,
      message: 'Signing key not found',
    });
  });

  it('[J16] skips entries of keys that are not objects, and uses the keys beside them', async () => {
    issuer.simulateJwksAnswer({ body: { keys: [null, 1, 'key', [], true, ...issuer.jwks().keys, null] } });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
  });

  it('[J17] imports only the first 20 keys of a JWKS that lists 2,000', async () => {
    const key = issuer.jwks().keys[0]!;
    const keys = Array.from({ length: 2_000 }, (_, i) => ({ ...key, kid: `bulk-${i}` }));
    issuer.simulateJwksAnswer({ body: { keys } });
    expect((await getWithToken(app, '/me', issuer.accessToken({ header: { kid: 'bulk-19' } }))).status).toBe(200);
    const res = await getWithToken(app, '/me', issuer.accessToken({ header: { kid: 'bulk-20' } }));
    expect({ status: res.status, message: res.body.message }).toEqual({
      status: 401,
      message: 'Signing key not found',
    });
    expect(app.get(CognitoAuthHealth).check().keySets[0]!.keys).toBe(20);
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

/** A random odd number of exactly `bits` bits, base64url: a modulus no one holds the factors of. */
function modulusOf(bits: number): string {
  const bytes = randomBytes(Math.ceil(bits / 8));
  const topBits = bits % 8 || 8;
  bytes[0] = (bytes[0]! & ((1 << topBits) - 1)) | (1 << (topBits - 1));
  bytes[bytes.length - 1]! |= 1;
  return bytes.toString('base64url');
}

describe('a JWKS over the key bound', () => {
  it('[J18] is warned about once while it lasts, not at every fetch', async () => {
    const warnings: string[] = [];
    const ignore = () => undefined;
    const logger = {
      log: ignore,
      error: ignore,
      debug: ignore,
      verbose: ignore,
      warn: (m: unknown) => warnings.push(String(m)),
    };
    const issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { requestsPerMinute: 6000, prefetch: false } })),
      ],
      controllers: [GuardedController],
    }).compile();
    const app = await initApp(moduleRef.createNestApplication({ logger }));
    try {
      const key = issuer.jwks().keys[0]!;
      issuer.simulateJwksAnswer({
        body: { keys: Array.from({ length: 25 }, (_, i) => ({ ...key, kid: `bulk-${i}` })) },
      });
      for (let i = 0; i < 3; i++) {
        expect((await getWithToken(app, '/me', issuer.accessToken({ header: { kid: `new-${i}` } }))).status).toBe(401);
        await sleep(20); // past the 10 ms cooldown: each forged kid fetches
      }
      expect(issuer.jwksRequests).toBe(3);
      expect(warnings).toEqual([`JWKS from ${issuer.jwksUri} lists 25 RSA signing keys; only the first 20 are used`]);
    } finally {
      await app.close();
      await issuer.stop();
    }
  });
});
