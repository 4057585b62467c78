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
 * Access tokens really issued by Cognito user pools, with their pools' published JWKS (public data,
 * see each file's `source`). The JWKS is served from loopback in place of AWS; the issuer is derived
 * from the pool id exactly as in production. The tokens expired long ago, so only `Date` is faked,
 * to a minute after each was issued.
 */
interface Vector {
  userPoolId: string;
  issuer: string;
  jwks: { keys: unknown[] };
  token: string;
  decoded: { claims: { client_id: string; iat: number; exp: number } };
}

const fixtures = join(__dirname, 'fixtures');
const vectors = readdirSync(fixtures)
  .filter((name) => name.endsWith('-access.json'))
  .map((name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Vector);

describe.each(
  platforms.flatMap((platform) => vectors.map((vector) => [vector.userPoolId, platform[0], vector, platform] as const)),
)('a real access token of %s on %s', (_, _platform, vector, platform) => {
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
    return createApp(
      CognitoAuthModule.forRoot({ userPoolId: vector.userPoolId, clientId, jwksUri }),
      [GuardedController],
      undefined,
      platform,
    );
  }

  const atTime = (seconds: number) => fakeDateAt(seconds * 1000);

  it('verifies while it was valid, with the issuer derived from the pool id', async () => {
    atTime(vector.decoded.claims.iat + 60);
    const app = await appWith(vector.decoded.claims.client_id);
    const res = await getWithToken(app, '/me', vector.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ iss: vector.issuer, token_use: 'access' });
    await app.close();
  });

  it('is refused as expired today', async () => {
    jest.useRealTimers();
    const app = await appWith(vector.decoded.claims.client_id);
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
    const app = await appWith(vector.decoded.claims.client_id);
    const [header, payload, signature] = vector.token.split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[10]! ^= 1;
    const tampered = `${header}.${payload}.${bytes.toString('base64url')}`;
    expect((await getWithToken(app, '/me', tampered)).body.message).toBe('Token signature invalid');
    await app.close();
  });
});
