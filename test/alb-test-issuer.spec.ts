import { createPublicKey, verify } from 'node:crypto';
import { get, request as httpRequest, createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { verify as verifyJwt } from 'jsonwebtoken';
import { CognitoAlbTestIssuer, type AlbKeyFault } from '../src/testing';

/*
 * The testing kit's stand-in for an ALB `authenticate-cognito` action: its tokens must be what ALB sends
 * (ES256 in JOSE form, base64url keeping the `=` padding, the signature over the padded text), and its
 * key endpoint must serve, and fail, as the module's ALB key provider will meet it.
 */

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISSUER = 'http://127.0.0.1:1/us-east-1_TestPool1';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One GET on a connection of its own, redirects not followed. */
function fetchKey(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  return parts as [string, string, string];
}

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>;
}

/** The decoded header and payload. */
function contents(token: string): [Record<string, unknown>, Record<string, unknown>] {
  const [header, payload] = segments(token);
  return [decode(header), decode(payload)];
}

/** Verifies as ALB's documentation says to: ES256 in JOSE form over the header and payload exactly as sent. */
function verifiesWith(pem: string, token: string): boolean {
  const [header, payload, signature] = segments(token);
  return verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: createPublicKey(pem), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

describe('CognitoAlbTestIssuer', () => {
  let alb: CognitoAlbTestIssuer;

  beforeEach(async () => {
    alb = await CognitoAlbTestIssuer.start({ issuer: ISSUER });
  });

  afterEach(async () => {
    await alb.stop();
  });

  describe('data tokens', () => {
    /** The PEM served for the current kid. */
    let currentPem = '';
    beforeEach(async () => {
      currentPem = (await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`)).body;
    });

    it('are three segments of base64url that keep the = padding, the signature 64 bytes ending in ==', () => {
      const token = alb.dataToken();
      const parts = segments(token);
      for (const part of parts) {
        expect(part).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
        // Padded base64 of exactly the bytes it decodes to: a length that is a multiple of 4.
        expect(part.length % 4).toBe(0);
        expect(Buffer.from(part, 'base64url').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')).toBe(part);
      }
      expect(parts[2]).toMatch(/==$/);
      expect(Buffer.from(parts[2], 'base64url')).toHaveLength(64);
    });

    it('pad the header and payload too whenever base64 does, and sign the padded text', () => {
      // Payloads one byte apart, of each length mod 3: two of them need padding.
      const tokens = ['', 'a', 'ab'].map((pad) => alb.dataToken({ claims: { pad } }));
      const padded = tokens.filter((token) => segments(token)[1].endsWith('='));
      expect(padded.length).toBe(2);
      for (const token of padded) {
        expect(verifiesWith(currentPem, token)).toBe(true);
        // The padding is part of the signed text: the same signature over the unpadded text fails.
        const [header, payload, signature] = segments(token);
        const stripped = `${header.replace(/=+$/, '')}.${payload.replace(/=+$/, '')}.${signature}`;
        expect(verifiesWith(currentPem, stripped)).toBe(false);
      }
    });

    it('without padding are standard JWTs, which a strict verifier accepts and refuses padded', () => {
      const token = alb.dataToken({ padding: false });
      expect(token).not.toContain('=');
      expect(verifiesWith(currentPem, token)).toBe(true);
      expect(verifyJwt(token, currentPem, { algorithms: ['ES256'] })).toMatchObject({ sub: 'alb-user-1' });
      // jsonwebtoken (under passport-jwt, the user-pool path) takes no padding: ALB's tokens need their own parse.
      expect(() => verifyJwt(alb.dataToken(), currentPem, { algorithms: ['ES256'] })).toThrow('invalid token');
    });

    it('carry the ALB header and the userinfo payload', () => {
      const before = Math.floor(Date.now() / 1000);
      const [header, payload] = segments(alb.dataToken());
      const after = Math.floor(Date.now() / 1000);
      const decodedHeader = decode(header);
      expect(Object.keys(decodedHeader)).toEqual(['typ', 'kid', 'alg', 'iss', 'client', 'signer', 'exp']);
      expect(decodedHeader).toMatchObject({
        typ: 'JWT',
        kid: alb.currentKid,
        alg: 'ES256',
        iss: ISSUER,
        client: 'test-client-id',
        signer: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188',
      });
      expect(alb.currentKid).toMatch(UUID_V4);
      expect(decodedHeader.exp).toBeGreaterThanOrEqual(before + 120);
      expect(decodedHeader.exp).toBeLessThanOrEqual(after + 120);
      expect(decode(payload)).toEqual({
        sub: 'alb-user-1',
        email_verified: 'true',
        email: 'alb-user-1@example.com',
        username: 'alb-user-1',
        exp: decodedHeader.exp,
        iss: ISSUER,
      });
      expect(alb).toMatchObject({
        issuer: ISSUER,
        clientId: 'test-client-id',
        region: 'us-east-1',
        loadBalancerArn: decodedHeader.signer,
      });
    });

    it('verify with the PEM served for their kid, over the padded text', async () => {
      const answer = await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/x-pem-file');
      expect(answer.body).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const key = createPublicKey(answer.body);
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(verifiesWith(answer.body, alb.dataToken())).toBe(true);
    });

    it('forged: signed under the current kid with a key never served', () => {
      const token = alb.dataToken({ forged: true });
      expect(decode(segments(token)[0]).kid).toBe(alb.currentKid);
      expect(verifiesWith(currentPem, token)).toBe(false);
      expect(verifiesWith(currentPem, alb.dataToken())).toBe(true);
    });

    it('take header overrides, still signed ES256 with the current key', () => {
      const token = alb.dataToken({
        signer: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1',
        client: 'other-client',
        iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other',
        kid: 'unknown-kid',
        alg: 'HS256',
        header: { typ: undefined, extra: 1 },
      });
      const [header, payload] = contents(token);
      expect(header).toEqual({
        kid: 'unknown-kid',
        alg: 'HS256',
        iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other',
        client: 'other-client',
        signer: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1',
        exp: expect.any(Number),
        extra: 1,
      });
      expect(payload.iss).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other');
      expect(verifiesWith(currentPem, token)).toBe(true);
      // `header.iss` alone changes only the header's.
      const split = contents(alb.dataToken({ header: { iss: 'https://elsewhere' } }));
      expect([split[0].iss, split[1].iss]).toEqual(['https://elsewhere', ISSUER]);
    });

    it('take claims, a sub, an expiry or none', () => {
      const now = Math.floor(Date.now() / 1000);
      const [header, payload] = contents(
        alb.dataToken({ sub: 'u-2', claims: { email: undefined, 'custom:tenant': 't1' }, expiresIn: -30 }),
      );
      expect(payload).toEqual({
        sub: 'u-2',
        email_verified: 'true',
        username: 'u-2',
        exp: header.exp,
        iss: ISSUER,
        'custom:tenant': 't1',
      });
      expect(header.exp).toBeLessThan(now);
      const unexpiring = contents(alb.dataToken({ omitExp: true }));
      expect(unexpiring[0]).not.toHaveProperty('exp');
      expect(unexpiring[1]).not.toHaveProperty('exp');
    });

    it('headers(): data, identity (the sub) and the access token when given, as ALB forwards them', () => {
      const withAccess = alb.headers({ sub: 'u-3', accessToken: 'eyJ.access.token' });
      expect(Object.keys(withAccess).sort()).toEqual([
        'x-amzn-oidc-accesstoken',
        'x-amzn-oidc-data',
        'x-amzn-oidc-identity',
      ]);
      expect(withAccess['x-amzn-oidc-identity']).toBe('u-3');
      expect(withAccess['x-amzn-oidc-accesstoken']).toBe('eyJ.access.token');
      expect(decode(segments(withAccess['x-amzn-oidc-data']!)[1]).sub).toBe('u-3');
      expect(verifiesWith(currentPem, withAccess['x-amzn-oidc-data']!)).toBe(true);
      const plain = alb.headers({ claims: { sub: 'from-claims' } });
      expect(plain).not.toHaveProperty('x-amzn-oidc-accesstoken');
      expect(plain['x-amzn-oidc-identity']).toBe('from-claims');
    });
  });

  describe('key endpoint', () => {
    it('rotateKey(): a new uuid kid signs, the old keys are still served', async () => {
      const oldKid = alb.currentKid;
      const oldToken = alb.dataToken();
      const newKid = alb.rotateKey();
      expect(newKid).toMatch(UUID_V4);
      expect(newKid).not.toBe(oldKid);
      expect(alb.currentKid).toBe(newKid);
      const oldPem = (await fetchKey(`${alb.keyEndpoint}/${oldKid}`)).body;
      const newPem = (await fetchKey(`${alb.keyEndpoint}/${newKid}`)).body;
      const newToken = alb.dataToken();
      expect(decode(segments(newToken)[0]).kid).toBe(newKid);
      expect(verifiesWith(newPem, newToken)).toBe(true);
      expect(verifiesWith(oldPem, newToken)).toBe(false);
      expect(verifiesWith(oldPem, oldToken)).toBe(true);
    });

    it('answers 404 for an unknown kid and any other request, counting them all', async () => {
      const unknown = await fetchKey(`${alb.keyEndpoint}/00000000-0000-4000-8000-000000000000`);
      expect(unknown.status).toBe(404);
      expect((await fetchKey(`${alb.keyEndpoint}/`)).status).toBe(404);
      expect((await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}/more`)).status).toBe(404);
      const post = await new Promise<number>((resolve, reject) => {
        httpRequest(`${alb.keyEndpoint}/${alb.currentKid}`, { method: 'POST', agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      expect(post).toBe(404);
      expect(alb.keyRequests).toBe(4);
      expect(alb.requestedKids).toEqual([
        '00000000-0000-4000-8000-000000000000',
        '',
        `${alb.currentKid}/more`,
        alb.currentKid,
      ]);
    });

    it.each<[AlbKeyFault, (answer: Answer) => void]>([
      ['status-500', (answer) => expect(answer.status).toBe(500)],
      [
        'status-503',
        (answer) => {
          expect(answer.status).toBe(503);
          expect(answer.headers['retry-after']).toBe('2');
        },
      ],
      [
        'huge',
        (answer) => {
          expect(answer.status).toBe(200);
          expect(answer.body).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
          expect(answer.body.length).toBeGreaterThanOrEqual(2 * 1024 * 1024);
        },
      ],
      [
        'not-pem',
        (answer) => {
          expect(answer.status).toBe(200);
          expect(answer.headers['content-type']).toBe('text/html');
          expect(answer.body).toMatch(/^<html>/);
        },
      ],
    ])('fault %s, for known and unknown kids alike, until cleared', async (fault, check) => {
      alb.simulateKeyFault(fault);
      check(await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`));
      check(await fetchKey(`${alb.keyEndpoint}/00000000-0000-4000-8000-000000000000`));
      alb.simulateKeyFault(null);
      const served = await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`);
      expect(served.status).toBe(200);
      expect(verifiesWith(served.body, alb.dataToken())).toBe(true);
      expect(alb.keyRequests).toBe(3);
    });

    it('fault rsa-key: a valid RSA public key PEM, which does not verify the ES256 token', async () => {
      alb.simulateKeyFault('rsa-key');
      const answer = await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(createPublicKey(answer.body).asymmetricKeyType).toBe('rsa');
      expect(verifiesWith(answer.body, alb.dataToken())).toBe(false);
    });

    it('fault redirect: 302 to another kid of this issuer, never the PEM itself', async () => {
      const oldKid = alb.currentKid;
      alb.rotateKey();
      alb.simulateKeyFault('redirect');
      const answer = await fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`);
      expect(answer.status).toBe(302);
      expect(answer.headers.location).toBe(`${alb.keyEndpoint}/${oldKid}`);
      expect(answer.body).toBe('');
      // Following it meets the fault again: only a client that follows redirects makes these requests.
      expect((await fetchKey(answer.headers.location!)).status).toBe(302);
      expect(alb.requestedKids).toEqual([alb.currentKid, oldKid]);
    });

    it('fault reset: the connection is reset before any answer', async () => {
      alb.simulateKeyFault('reset');
      await expect(fetchKey(`${alb.keyEndpoint}/${alb.currentKid}`)).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(alb.keyRequests).toBe(1);
    });

    it('fault hang: headers, then nothing until the server stops', async () => {
      alb.simulateKeyFault('hang');
      const outcome = await new Promise<{ status: number; ended: Promise<string> }>((resolve, reject) => {
        get(`${alb.keyEndpoint}/${alb.currentKid}`, { agent: false }, (response) => {
          const ended = new Promise<string>((settle) => {
            response.on('end', () => settle('ended'));
            response.on('aborted', () => settle('aborted'));
            response.on('error', () => settle('aborted'));
          });
          response.resume();
          resolve({ status: response.statusCode!, ended });
        }).on('error', reject);
      });
      expect(outcome.status).toBe(200);
      // stop() must not wait for the hanging request; it drops it, so the body never completes.
      await alb.stop();
      expect(await outcome.ended).toBe('aborted');
      expect(alb.keyRequests).toBe(1);
    });

    it('stop() frees the port', async () => {
      const port = Number(new URL(alb.keyEndpoint).port);
      const open = connect(port, '127.0.0.1').on('error', () => undefined);
      await new Promise((resolve) => open.once('connect', resolve));
      await alb.stop();
      const refused = await new Promise<string>((resolve) => {
        connect(port, '127.0.0.1')
          .once('connect', () => resolve('connected'))
          .once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
      open.destroy();
    });
  });

  describe('options', () => {
    it('refuses a missing issuer, naming the option', async () => {
      await expect(CognitoAlbTestIssuer.start({} as never)).rejects.toThrow('option "issuer"');
      await expect(CognitoAlbTestIssuer.start({ issuer: ISSUER, region: 'Mars' })).rejects.toThrow('option "region"');
      await expect(CognitoAlbTestIssuer.start({ issuer: ISSUER, clientId: '' })).rejects.toThrow('option "clientId"');
    });

    it.each([
      ['us-gov-west-1', 'arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:'],
      ['cn-north-1', 'arn:aws-cn:elasticloadbalancing:cn-north-1:'],
      ['eu-west-1', 'arn:aws:elasticloadbalancing:eu-west-1:'],
    ])('in %s, signs as a load balancer of its partition', async (region, prefix) => {
      const regional = await CognitoAlbTestIssuer.start({ issuer: ISSUER, region });
      try {
        expect(regional.loadBalancerArn.startsWith(prefix)).toBe(true);
        expect(decode(segments(regional.dataToken())[0]).signer).toBe(regional.loadBalancerArn);
      } finally {
        await regional.stop();
      }
    });

    it('takes the client and the load balancer ARN', async () => {
      const arn = 'arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/mine/0123456789abcdef';
      const custom = await CognitoAlbTestIssuer.start({ issuer: ISSUER, clientId: 'c-1', loadBalancerArn: arn });
      try {
        expect(decode(segments(custom.dataToken())[0])).toMatchObject({ client: 'c-1', signer: arn });
      } finally {
        await custom.stop();
      }
    });
  });
});
