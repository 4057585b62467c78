import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { CognitoAuthModule } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

/*
 * Property-based fuzzing through a real app: thousands of mutated and random tokens, none accepted
 * unless it is valid, none answered 5xx. Seeds are fixed per run by fast-check and printed on failure.
 */
describe.each(platforms)('fuzzing the verification with fast-check on %s', (...platform) => {
  const createApp = createAppOn(platform);

  let issuer: CognitoTestIssuer;
  let app: INestApplication;
  let valid: string;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    // No verified-token cache: every token goes through every check.
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ cache: false })), [GuardedController]);
    valid = issuer.accessToken({ groups: ['admin'], scope: 'orders/read orders/write' });
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  const status = async (token: string) => (await getWithToken(app, '/me', token)).status;

  it('refuses every one-character change to a valid token', async () => {
    expect(await status(valid)).toBe(200);
    const characters = fc.oneof(
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      fc.constantFrom('=', '.', '+', '/', ' ', '\t', '%', '\u00e9', '~'),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), characters, async (at, character) => {
        fc.pre(valid[at] !== character);
        const mutated = `${valid.slice(0, at)}${character}${valid.slice(at + 1)}`;
        expect(await status(mutated)).toBe(401);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses tokens with characters inserted, removed or segments swapped', async () => {
    const [h, p, s] = valid.split('.') as [string, string, string];
    const other = issuer.idToken().split('.') as [string, string, string];
    const variants = fc.oneof(
      fc
        .tuple(fc.nat({ max: valid.length }), fc.string({ minLength: 1, maxLength: 4 }))
        .map(([at, text]) => `${valid.slice(0, at)}${text}${valid.slice(at)}`),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 8 }))
        .map(([at, count]) => `${valid.slice(0, at)}${valid.slice(at + count)}`),
      fc.constantFrom(`${p}.${h}.${s}`, `${h}.${other[1]}.${s}`, `${other[0]}.${p}.${s}`, `${h}.${p}.${other[2]}`),
    );
    await fc.assert(
      fc.asyncProperty(variants, async (token) => {
        // Whitespace around the token is not part of it (the header is trimmed); supertest refuses
        // control characters in a header, which never reach a server.
        fc.pre(token.trim() !== valid && /^[\x20-\x7e]*$/.test(token));
        expect(await status(token)).toBe(401);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers random text and random JSON segments with 401', async () => {
    const segment = fc.oneof(
      fc.base64String({ maxLength: 40 }),
      fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')),
      fc.string({ maxLength: 40 }),
    );
    const tokens = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(tokens, async (token) => {
        // supertest refuses to send a header with control characters; those never reach a server.
        fc.pre(/^[\x20-\x7e]*$/.test(token) && token.trim() !== '');
        expect(await status(token)).toBe(401);
      }),
      { numRuns: 1000 },
    );
  });

  it('never answers 5xx for correctly signed tokens with random claims, and accepts only valid ones', async () => {
    const base = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const names = fc.constantFrom(
      'exp',
      'nbf',
      'iat',
      'auth_time',
      'iss',
      'sub',
      'token_use',
      'client_id',
      'aud',
      'scope',
      'jti',
      'username',
      'cognito:groups',
      '__proto__',
      'constructor',
      'toString',
    );
    const changes = fc.dictionary(names, fc.oneof(fc.jsonValue(), fc.constant(undefined)), { minKeys: 1, maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(changes, async (change) => {
        const payload = { ...base };
        for (const [name, value] of Object.entries(change)) {
          if (value === undefined) delete payload[name];
          else Object.defineProperty(payload, name, { value, enumerable: true, writable: true, configurable: true });
        }
        const answer = await status(issuer.sign(payload));
        expect([200, 401]).toContain(answer);
        if (answer === 200) expect(isValidAccessToken(payload, issuer)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

/** An independent statement of what the module must accept on a route with no rules. */
function isValidAccessToken(payload: Record<string, unknown>, issuer: CognitoTestIssuer): boolean {
  const now = Date.now() / 1000;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const optionalFinite = (v: unknown) => v === undefined || finite(v);
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  return (
    finite(payload.exp) &&
    (payload.exp as number) > now &&
    finite(payload.iat) &&
    (payload.iat as number) <= now + 1 &&
    optionalFinite(payload.nbf) &&
    (payload.nbf === undefined || (payload.nbf as number) <= now + 1) &&
    optionalFinite(payload.auth_time) &&
    payload.iss === issuer.issuer &&
    payload.token_use === 'access' &&
    payload.client_id === issuer.clientId &&
    ['sub', 'scope', 'jti', 'username'].every((claim) => optionalString(payload[claim]))
  );
}
