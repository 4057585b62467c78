import type { INestApplication } from '@nestjs/common';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CognitoAuthModule } from '../src';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { platforms } from './support/platforms';
import { fakeDateAt } from './support/fake-date';
import { getWithToken } from './support/requests';

/**
 * Tokens really issued by Cognito user pools (access tokens of users and of a machine-to-machine
 * client, and id tokens), with their pools' published JWKS (public data, see each file's `source`).
 * The JWKS is served from loopback in place of AWS; the issuer is derived from the pool id exactly as
 * in production. The tokens expired long ago, so only `Date` is faked, to a minute after each was
 * issued. Every vector of the fixtures directory is verified.
 */
interface Vector {
  userPoolId: string;
  issuer: string;
  jwks: { keys: unknown[] };
  token: string;
  decoded: {
    claims: { token_use: 'access' | 'id'; client_id?: string; aud?: string; sub: string; iat: number; exp: number };
  };
}

const fixtures = join(__dirname, 'fixtures');
const vectors = readdirSync(fixtures)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Vector);

/** The app client a token was issued to: `client_id` of an access token, `aud` of an id token. */
const clientOf = (vector: Vector) => vector.decoded.claims.client_id ?? vector.decoded.claims.aud!;

describe('the real Cognito tokens in test/fixtures', () => {
  it('are all six vectors: four access tokens (one machine-to-machine) and two id tokens', () => {
    const claims = vectors.map((vector) => vector.decoded.claims);
    expect(claims.filter((c) => c.token_use === 'access')).toHaveLength(4);
    expect(claims.filter((c) => c.token_use === 'id')).toHaveLength(2);
    // Client credentials: the subject is the app client itself.
    expect(claims.filter((c) => c.token_use === 'access' && c.sub === c.client_id)).toHaveLength(1);
  });
});

describe.each(
  platforms.flatMap((platform) =>
    vectors.map(
      (vector) => [vector.decoded.claims.token_use, vector.userPoolId, platform[0], vector, platform] as const,
    ),
  ),
)('a real %s token of %s on %s', (_, _pool, _platform, vector, platform) => {
  let server: Server;
  let jwksUri: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200).end(JSON.stringify(vector.jwks)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    jest.useRealTimers();
    await new Promise((resolve) => server.close(resolve));
  });

  async function appWith(clientId: string): Promise<INestApplication> {
    // The pool accepts the vector's kind of token: an id token is refused where access tokens are due.
    const tokenUse = vector.decoded.claims.token_use;
    return createApp(
      CognitoAuthModule.forRoot({ userPoolId: vector.userPoolId, clientId, jwksUri, tokenUse }),
      [GuardedController],
      undefined,
      platform,
    );
  }

  const atTime = (seconds: number) => fakeDateAt(seconds * 1000);

  it('verifies while it was valid, with the issuer derived from the pool id', async () => {
    atTime(vector.decoded.claims.iat + 60);
    const app = await appWith(clientOf(vector));
    const res = await getWithToken(app, '/me', vector.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(vector.decoded.claims);
    expect(res.body).toMatchObject({ iss: vector.issuer, token_use: vector.decoded.claims.token_use });
    const kind = await getWithToken(app, '/kind', vector.token);
    const { token_use: tokenUse, sub, client_id: clientId } = vector.decoded.claims;
    expect(kind.body).toEqual({
      machine: tokenUse === 'access' && sub === clientId,
      access: tokenUse === 'access',
      id: tokenUse === 'id',
    });
    await app.close();
  });

  it('is refused where the other kind of token is due', async () => {
    atTime(vector.decoded.claims.iat + 60);
    const app = await createApp(
      CognitoAuthModule.forRoot({
        userPoolId: vector.userPoolId,
        clientId: clientOf(vector),
        jwksUri,
        tokenUse: vector.decoded.claims.token_use === 'access' ? 'id' : 'access',
      }),
      [GuardedController],
      undefined,
      platform,
    );
    expect((await getWithToken(app, '/me', vector.token)).body.message).toBe('Token use not accepted');
    await app.close();
  });

  it('is refused as expired today', async () => {
    jest.useRealTimers();
    const app = await appWith(clientOf(vector));
    const res = await getWithToken(app, '/me', vector.token);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Token expired');
    await app.close();
  });

  it('is refused for another app client', async () => {
    atTime(vector.decoded.claims.iat + 60);
    const app = await appWith('some-other-client');
    expect((await getWithToken(app, '/me', vector.token)).body.message).toBe('Token client not accepted');
    await app.close();
  });

  it('is refused with one bit of its signature flipped', async () => {
    atTime(vector.decoded.claims.iat + 60);
    const app = await appWith(clientOf(vector));
    const [header, payload, signature] = vector.token.split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[10]! ^= 1;
    const tampered = `${header}.${payload}.${bytes.toString('base64url')}`;
    expect((await getWithToken(app, '/me', tampered)).body.message).toBe('Token signature invalid');
    await app.close();
  });
});
