import type { INestApplication } from '@nestjs/common';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CognitoAuthModule, type CognitoSinglePoolOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { get, getWithToken } from './support/requests';

/*
 * The threat catalogue of SECURITY.md, one test per row; the ids ([A1], [K3]…) are the rows' ids.
 * Every answer is checked in full: status, reason, and for 401 the challenge.
 */

const challenge = (reason: string) =>
  expect.stringMatching(new RegExp(`^Bearer realm="[^"]+", error="invalid_token", error_description="${reason}"$`));

describe.each(platforms)('threat catalogue (SECURITY.md) on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  async function startApp(overrides: Partial<CognitoSinglePoolOptions> = {}): Promise<INestApplication> {
    return createApp(CognitoAuthModule.forRoot(issuer.moduleOptions(overrides)), [GuardedController]);
  }

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await startApp();
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  async function expectRefused(token: string, reason: string, path = '/me'): Promise<void> {
    const res = await getWithToken(app, path, token);
    expect({ status: res.status, message: res.body.message }).toEqual({ status: 401, message: reason });
    expect(res.headers['www-authenticate']).toEqual(challenge(reason));
  }

  /** The access token's payload, to re-sign changed. */
  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...decode(issuer.accessToken(), 1), ...overrides };
  }

  describe('algorithms', () => {
    it.each([
      ['A1', 'none', 'Token malformed'],
      ['A2', 'HS256', 'Token algorithm not allowed'],
      ['A3', 'RS512', 'Token algorithm not allowed'],
      ['A4', 'PS256', 'Token algorithm not allowed'],
    ])('[%s] refuses alg %s signed as it says', async (_, alg, reason) => {
      await expectRefused(issuer.sign(claims(), { alg }), reason);
    });

    it.each([
      ['A5', 'ES256'],
      ['A6', 'rs256'],
      ['A7', 'none'],
    ])('[%s] refuses an RS256 signature under a header saying alg %s', async (_, alg) => {
      await expectRefused(respell(issuer.accessToken(), 0, { alg }), 'Token algorithm not allowed');
    });
  });

  describe('signature and integrity', () => {
    it("[S1] refuses a token signed by another key under the pool key's kid", async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const [header, payload] = issuer.accessToken().split('.');
      const forged = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
      await expectRefused(`${header}.${payload}.${forged}`, 'Token signature invalid');
    });

    it('[S2] refuses a token whose payload was changed after signing', async () => {
      const token = issuer.accessToken({ groups: ['reader'] });
      await expectRefused(respell(token, 1, { 'cognito:groups': ['admin'] }), 'Token signature invalid', '/admin');
    });

    it('[S3] refuses a token whose header was changed after signing', async () => {
      await expectRefused(respell(issuer.accessToken(), 0, { typ: 'JWT' }), 'Token signature invalid');
    });

    it("[S4] refuses a token whose signature segment was swapped for another token's", async () => {
      const [header, payload] = issuer.accessToken({ groups: ['admin'] }).split('.');
      const signature = issuer.accessToken().split('.')[2];
      await expectRefused(`${header}.${payload}.${signature}`, 'Token signature invalid', '/admin');
    });
  });

  describe('kid', () => {
    it.each<[string, string, Record<string, unknown>]>([
      ['K1', 'missing', { kid: undefined }],
      ['K2', 'empty', { kid: '' }],
      ['K3', 'unknown', { kid: 'not-a-pool-key' }],
      ['K4', '__proto__', { kid: '__proto__' }],
      ['K5', 'constructor', { kid: 'constructor' }],
      ['K6', 'toString', { kid: 'toString' }],
      ['K7', 'path syntax', { kid: '../../../etc/passwd' }],
      ['K8', 'very long', { kid: 'k'.repeat(8_000) }],
      ['K9', 'a number', { kid: 42 }],
      ['K10', 'an object', { kid: { $ne: null } }],
    ])('[%s] refuses a kid that is %s', async (_, __, header) => {
      await expectRefused(issuer.sign(claims(), header), 'Signing key not found');
    });
  });

  describe('headers that point at keys', () => {
    let attacker: { server: Server; url: string; hits: number };
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attackerJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'RS256', use: 'sig' };

    beforeAll(async () => {
      attacker = { server: createServer(), url: '', hits: 0 };
      attacker.server.on('request', (_req, res) => {
        attacker.hits++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerJwk] }));
      });
      await new Promise<void>((resolve) => attacker.server.listen(0, '127.0.0.1', resolve));
      attacker.url = `http://127.0.0.1:${(attacker.server.address() as AddressInfo).port}/jwks.json`;
    });

    afterAll(async () => {
      await new Promise((resolve) => attacker.server.close(resolve));
    });

    /** A token signed with the attacker's key, its header pointing at the attacker's key. */
    function attackerToken(header: Record<string, unknown>): string {
      const fullHeader = { alg: 'RS256', ...header };
      const input = `${b64(fullHeader)}.${b64(claims())}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    }

    it.each<[string, string, Record<string, unknown>, string]>([
      ['H1', 'jku', { kid: 'attacker', jku: 'URL' }, 'Signing key not found'],
      ['H2', 'x5u', { kid: 'attacker', x5u: 'URL' }, 'Signing key not found'],
      ['H3', 'an embedded jwk', { kid: 'attacker', jwk: attackerJwk }, 'Signing key not found'],
      ['H4', 'x5c', { kid: 'attacker', x5c: ['MIIB'] }, 'Signing key not found'],
      ['H5', "jku with the pool key's kid", { kid: 'POOL', jku: 'URL' }, 'Signing key not found'],
    ])('[%s] never uses or fetches %s', async (_, __, header, reason) => {
      const filled = JSON.parse(JSON.stringify(header).replaceAll('URL', attacker.url)) as Record<string, unknown>;
      if (filled.kid === 'POOL') filled.kid = issuer.currentKid;
      const expected = filled.kid === issuer.currentKid ? 'Token signature invalid' : reason;
      await expectRefused(attackerToken(filled), expected);
      expect(attacker.hits).toBe(0);
    });

    it('[H6] refuses a crit header', async () => {
      await expectRefused(issuer.sign(claims(), { crit: ['exp'] }), 'Token header not accepted');
    });
  });

  describe('claim types', () => {
    it.each<[string, string, string]>([
      ['C1', 'exp a string', '"exp":"9999999999"'],
      ['C2', 'exp Infinity (1e999)', '"exp":1e999'],
      ['C3', 'nbf a string', '"nbf":"0"'],
      ['C4', 'iat a string', '"iat":"0"'],
      ['C5', 'auth_time an object', '"auth_time":{}'],
      ['C6', 'sub a number', '"sub":42'],
      ['C7', 'token_use a list', '"token_use":["access"]'],
      ['C8', 'client_id a number', '"client_id":1'],
      ['C9', 'scope a list', '"scope":["orders/read"]'],
      ['C10', 'jti null', '"jti":null'],
      ['C11', 'username a boolean', '"username":true'],
    ])('[%s] refuses %s', async (_, __, claim) => {
      const [name] = /^"[^"]+"/.exec(claim)!;
      const payload = JSON.stringify(claims()).replace(new RegExp(`${name}:("[^"]*"|[^,}]*),?`), '');
      const token = issuer.signJson(
        JSON.stringify({ alg: 'RS256', kid: issuer.currentKid }),
        `${payload.slice(0, -1)},${claim}}`,
      );
      await expectRefused(token, 'Token claim invalid');
    });

    it('[C12] refuses an id token whose aud is a list', async () => {
      const id = decode(issuer.idToken(), 1);
      await expectRefused(issuer.sign({ ...id, aud: [issuer.clientId] }), 'Token claim invalid', '/profile');
    });

    it('[C13] reads a duplicated claim as JSON.parse does (the last one), which the signature covers', async () => {
      const payload = JSON.stringify(claims());
      const token = issuer.signJson(
        JSON.stringify({ alg: 'RS256', kid: issuer.currentKid }),
        `${payload.slice(0, -1)},"client_id":"other"}`,
      );
      await expectRefused(token, 'Token client not accepted');
    });
  });

  describe('time', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('[T1] refuses a token with no exp', async () => {
      await expectRefused(issuer.sign(claims({ exp: undefined })), 'Token claim invalid');
    });

    it('[T2] refuses a token whose exp has passed', async () => {
      await expectRefused(issuer.sign(claims({ exp: now() - 1 })), 'Token expired');
    });

    it('[T3] refuses a token whose exp is this very second', async () => {
      await expectRefused(issuer.sign(claims({ exp: now() })), 'Token expired');
    });

    it('[T4] refuses a token whose nbf is in the future', async () => {
      await expectRefused(issuer.sign(claims({ nbf: now() + 60 })), 'Token not yet valid');
    });

    it('[T5] refuses a token issued in the future', async () => {
      await expectRefused(issuer.sign(claims({ iat: now() + 60 })), 'Token not yet valid');
    });

    it('[T6] refuses a token with no iat', async () => {
      await expectRefused(issuer.sign(claims({ iat: undefined })), 'Token claim invalid');
    });
  });

  describe('issuer', () => {
    it.each<[string, string, (iss: string) => string]>([
      ['I1', 'a trailing slash', (iss) => `${iss}/`],
      ['I2', 'https for http', (iss) => iss.replace('http:', 'https:')],
      ['I3', 'another host (region)', (iss) => iss.replace('127.0.0.1', 'localhost')],
      ['I4', 'another pool', (iss) => iss.replace('TestPool1', 'TestPool2')],
      ['I5', 'a different case', (iss) => iss.replace('TestPool1', 'testpool1')],
      ['I6', 'none at all', () => ''],
    ])('[%s] refuses an iss with %s, without fetching', async (_, __, change) => {
      const fetches = issuer.jwksRequests;
      const iss = change(issuer.issuer);
      await expectRefused(issuer.sign(claims({ iss: iss || undefined })), 'Token issuer not accepted');
      expect(issuer.jwksRequests).toBe(fetches);
    });

    // The pool's kid is held, so its key is handed to jsonwebtoken before the issuer is read; the
    // answer must still be the issuer's, as for a kid that is not held.
    it("[I7] refuses another issuer's token under the pool key's kid, signed by another key, for its issuer", async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const [header, payload] = issuer.sign(claims({ iss: `${issuer.issuer}/` })).split('.');
      const forged = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
      const fetches = issuer.jwksRequests;
      await expectRefused(`${header}.${payload}.${forged}`, 'Token issuer not accepted');
      expect(issuer.jwksRequests).toBe(fetches);
    });

    it("[I8] refuses another issuer's expired token for its issuer, not its expiry", async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = issuer.sign(
        claims({ iss: issuer.issuer.replace('TestPool1', 'TestPool2'), iat: now - 7200, exp: now - 3600 }),
      );
      await expectRefused(token, 'Token issuer not accepted');
    });
  });

  describe('token_use and client', () => {
    it('[U1] refuses a token with no token_use', async () => {
      await expectRefused(issuer.sign(claims({ token_use: undefined })), 'Token use not accepted');
    });

    it('[U2] refuses token_use "refresh"', async () => {
      await expectRefused(issuer.sign(claims({ token_use: 'refresh' })), 'Token use not accepted');
    });

    it('[U3] refuses an id token where an access token is due', async () => {
      await expectRefused(issuer.idToken(), 'Token use not accepted');
    });

    it('[U4] refuses an access token where an id token is due', async () => {
      await expectRefused(issuer.accessToken(), 'Token use not accepted', '/profile');
    });

    it('[U5] refuses an access token of another client', async () => {
      await expectRefused(issuer.accessToken({ claims: { client_id: 'other' } }), 'Token client not accepted');
    });

    it('[U6] refuses an access token with no client_id, even with an aud of the client', async () => {
      const token = issuer.accessToken({ claims: { client_id: undefined, aud: issuer.clientId } });
      await expectRefused(token, 'Token client not accepted');
    });

    it('[U7] refuses an id token of another aud, or none', async () => {
      await expectRefused(issuer.idToken({ claims: { aud: 'other' } }), 'Token client not accepted', '/profile');
      await expectRefused(issuer.idToken({ claims: { aud: undefined } }), 'Token claim invalid', '/profile');
    });

    it('[U8] refuses a refresh token (not a JWT)', async () => {
      const refresh = `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${'a'.repeat(342)}.${'b'.repeat(16)}.${'c'.repeat(600)}.${'d'.repeat(22)}`;
      await expectRefused(refresh, 'Token malformed');
    });
  });

  describe('groups and scopes', () => {
    it.each<[string, string, unknown]>([
      ['G1', 'another case', ['Admin']],
      ['G2', 'a prefix', ['admi']],
      ['G3', 'a string, not a list', 'admin'],
      ['G4', 'an object with the group as a key', { admin: true }],
      ['G5', 'a list of lists', [['admin']]],
    ])('[%s] denies groups written as %s', async (_, __, groups) => {
      const res = await getWithToken(app, '/admin', issuer.accessToken({ claims: { 'cognito:groups': groups } }));
      expect({ status: res.status, message: res.body.message }).toEqual({
        status: 403,
        message: 'Not a member of a permitted group',
      });
    });

    it.each<[string, string, string, number]>([
      ['P1', 'split on tabs and newlines', 'orders/read\torders/write\n', 200],
      ['P2', 'in another case', 'ORDERS/READ orders/write', 403],
      ['P3', 'as prefixes', 'orders/rea orders/write', 403],
      ['P4', 'joined by commas', 'orders/read,orders/write', 403],
    ])('[%s] matches scopes exactly: %s', async (_, __, scope, status) => {
      const res = await getWithToken(app, '/orders', issuer.accessToken({ scope }));
      expect(res.status).toBe(status);
    });

    it('[P5] grants nothing through a __proto__ key', async () => {
      const payload = JSON.stringify(claims());
      const polluted = `${payload.slice(0, -1)},"__proto__":{"cognito:groups":["admin"],"scope":"orders/read orders/write"}}`;
      const token = issuer.signJson(JSON.stringify({ alg: 'RS256', kid: issuer.currentKid }), polluted);
      expect((await getWithToken(app, '/me', token)).status).toBe(200);
      expect((await getWithToken(app, '/admin', token)).status).toBe(403);
      expect((await getWithToken(app, '/orders', token)).status).toBe(403);
      expect(({} as Record<string, unknown>)['cognito:groups']).toBeUndefined();
    });
  });

  describe('machine-to-machine tokens', () => {
    // Client credentials: no username, sub = the client id, resource-server scopes, no groups.
    const m2m = () =>
      issuer.accessToken({
        scope: 'orders/read orders/write',
        claims: { username: undefined, sub: issuer.clientId, origin_jti: undefined, auth_time: undefined },
      });

    it('[M1] is let in by @Scopes', async () => {
      expect((await getWithToken(app, '/orders', m2m())).status).toBe(200);
    });

    it('[M2] is refused by @Groups with 403, not a 500', async () => {
      expect((await getWithToken(app, '/admin', m2m())).status).toBe(403);
    });

    it('[M3] is a user to @CognitoUser with no username', async () => {
      const res = await getWithToken(app, '/me', m2m());
      expect(res.status).toBe(200);
      expect(res.body.sub).toBe(issuer.clientId);
      expect(res.body.username).toBeUndefined();
    });
  });

  describe('size and spelling', () => {
    it('[Z1] refuses a token over maxTokenBytes before parsing it', async () => {
      // Node's HTTP parser answers 431 itself for headers over 16 KiB, so the default of 16384 is
      // reached only with a larger --max-http-header-size; a smaller limit shows the check.
      const small = await startApp({ maxTokenBytes: 4096 });
      try {
        const res = await getWithToken(small, '/me', 'a'.repeat(4097));
        expect({ status: res.status, message: res.body.message }).toEqual({ status: 401, message: 'Token too large' });
        expect(res.headers['www-authenticate']).toEqual(challenge('Token too large'));
      } finally {
        await small.close();
      }
    });

    it('[Z2] takes a token of exactly maxTokenBytes and refuses one byte more', async () => {
      const token = issuer.accessToken();
      const exact = await startApp({ maxTokenBytes: token.length });
      const under = await startApp({ maxTokenBytes: token.length - 1 });
      try {
        expect((await getWithToken(exact, '/me', token)).status).toBe(200);
        const res = await getWithToken(under, '/me', token);
        expect({ status: res.status, message: res.body.message }).toEqual({ status: 401, message: 'Token too large' });
      } finally {
        await exact.close();
        await under.close();
      }
    });

    /**
     * Tokens for the spelling rows, signed by the pool's key, twice: with its `kid`, and with a `kid`
     * the pool does not publish. jws (under jsonwebtoken) refuses `=`, `+`, `/` and white space on its
     * own, so only the second kind shows the canonical check: without it such a token gets past the
     * parser to the key lookup and is answered "Signing key not found", not "Token malformed".
     */
    const spellings = () => [issuer.accessToken(), issuer.sign(claims(), { kid: 'not-published-by-the-pool' })];

    it('[Z3] refuses = padding on any segment', async () => {
      for (const signed of spellings()) {
        const [h, p, s] = signed.split('.');
        for (const token of [`${h}=.${p}.${s}`, `${h}.${p}==.${s}`, `${h}.${p}.${s}==`]) {
          await expectRefused(token, 'Token malformed');
        }
      }
    });

    it('[Z4] refuses a signature whose spare bits are set (decodes to the same bytes)', async () => {
      const token = issuer.accessToken();
      const [h, p, s] = token.split('.') as [string, string, string];
      // 256 bytes are 342 characters: the last carries 2 bits of data and 4 spare ones.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const respelled = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) + 1]}`;
      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
      await expectRefused(`${h}.${p}.${respelled}`, 'Token malformed');
    });

    it('[Z5] refuses base64 (+ /) for base64url and characters outside the alphabet', async () => {
      for (const signed of spellings()) {
        const [h, p, s] = signed.split('.') as [string, string, string];
        // 342 random characters of 64 hold a - or _ but for a chance of about 2e-5.
        expect(s).toMatch(/[-_]/);
        const base64 = Buffer.from(s, 'base64url').toString('base64').replace(/=+$/, '');
        for (const token of [
          `${h}.${p}.${base64}`,
          `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`,
          `${h}.${p}.${s}\u00e9`,
        ]) {
          await expectRefused(token, 'Token malformed');
        }
      }
    });

    it('[Z6] refuses an empty segment, two or four segments', async () => {
      const [h, p, s] = issuer.accessToken().split('.');
      for (const token of [`${h}..${s}`, `${h}.${p}.`, `.${p}.${s}`, `${h}.${p}`, `${h}.${p}.${s}.${s}`]) {
        await expectRefused(token, 'Token malformed');
      }
    });

    it('[Z7] refuses header or payload that is not a JSON object', async () => {
      const [h, p, s] = issuer.accessToken().split('.');
      const raw = (text: string) => Buffer.from(text).toString('base64url');
      for (const token of [
        `${raw('[]')}.${p}.${s}`,
        `${h}.${raw('"x"')}.${s}`,
        `${h}.${raw('null')}.${s}`,
        `${h}.${raw('{"a":')}.${s}`,
      ]) {
        await expectRefused(token, 'Token malformed');
      }
    });
  });

  describe('where the token is', () => {
    it('[W1] refuses two tokens in one header', async () => {
      const res = await get(app, '/me', `Bearer ${issuer.accessToken()} ${issuer.accessToken()}`);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 401, message: 'Token malformed' });
    });

    it('[W2] does not read a token from the query string', async () => {
      const res = await request(app.getHttpServer()).get(`/me?access_token=${issuer.accessToken()}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer realm="${issuer.userPoolId}"`);
    });
  });

  describe('what is echoed', () => {
    it('[E1] never puts client input in WWW-Authenticate', async () => {
      const marker = 'INJECTED"\r\nX-Evil: 1';
      const token = issuer.sign(claims({ iss: marker }), { kid: marker });
      const res = await getWithToken(app, '/me', token);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.headers)).not.toContain('INJECTED');
      expect(JSON.stringify(res.body)).not.toContain('INJECTED');
    });
  });
});

function decode(token: string, segment: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[segment]!, 'base64url').toString()) as Record<string, unknown>;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `token` with one of header (0) or payload (1) changed after signing. */
function respell(token: string, segment: 0 | 1, fields: Record<string, unknown>): string {
  const parts = token.split('.');
  parts[segment] = b64({ ...decode(token, segment), ...fields });
  return parts.join('.');
}

describe('what is logged (SECURITY.md)', () => {
  const lines: { level: string; message: string }[] = [];
  const capture = (level: string) => (message: unknown) => void lines.push({ level, message: String(message) });
  const logger = {
    log: capture('log'),
    error: capture('error'),
    warn: capture('warn'),
    debug: capture('debug'),
    verbose: capture('verbose'),
  };
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { requestsPerMinute: 6000 } }))],
      controllers: [GuardedController],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('[L1] logs each refusal at debug with its code, never the token', async () => {
    const token = issuer.accessToken({ expiresIn: -10 });
    expect((await getWithToken(app, '/me', token)).status).toBe(401);
    const debug = lines.filter((line) => line.level === 'debug').map((line) => line.message);
    expect(debug).toContainEqual(expect.stringContaining('ERR_JWT_EXPIRED'));
    const [, payload, signature] = token.split('.') as [string, string, string];
    for (const line of lines) {
      expect(line.message).not.toContain(payload);
      expect(line.message).not.toContain(signature);
    }
  });

  it('[L2] warns once per JWKS outage, and says when it ends', async () => {
    lines.length = 0;
    issuer.rotateKeys(); // a kid the app has not seen: each request must fetch
    issuer.simulateJwksFault('status-500');
    for (let i = 0; i < 3; i++) expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
    issuer.clearJwksFault();
    await new Promise((resolve) => setTimeout(resolve, 50)); // past the 10 ms backoff step
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('HTTP 500');
    expect(lines.filter((line) => line.level === 'log' && line.message.includes('succeeded again'))).toHaveLength(1);
  });
});
