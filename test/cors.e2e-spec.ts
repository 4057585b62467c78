import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CognitoAuthModule, CognitoUser } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { initApp } from './support/create-app';
import { platforms } from './support/platforms';

/**
 * The README's CORS setup for a browser frontend (Deploy): `app.enableCors` with the guard global. The
 * browser's preflight carries no token, so it must be answered before the guard runs; a refusal must
 * carry the CORS headers, or the page's script sees a network error instead of the 401; and the
 * `WWW-Authenticate` and `Retry-After` headers are readable only when exposed.
 */
@Controller()
class MeController {
  @Get('me')
  me(@CognitoUser('sub') sub: string) {
    return { sub };
  }
}

const origin = 'https://app.example.com';

describe.each(platforms)('CORS for a browser frontend on %s', (_, createAdapter) => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), global: true })],
      controllers: [MeController],
    }).compile();
    app = moduleRef.createNestApplication(createAdapter(), { logger: false });
    app.enableCors({ origin, exposedHeaders: ['WWW-Authenticate', 'Retry-After'] });
    await initApp(app);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('answers the preflight, which carries no token, without the guard', async () => {
    const response = await request(app.getHttpServer())
      .options('/me')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(response.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
  });

  it('lets the page read a 401 and its WWW-Authenticate', async () => {
    const response = await request(app.getHttpServer()).get('/me').set('Origin', origin);
    expect(response.status).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(response.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm=/);
  });

  it('answers a token sent from the page', async () => {
    const response = await request(app.getHttpServer())
      .get('/me')
      .set('Origin', origin)
      .auth(issuer.accessToken(), { type: 'bearer' });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
  });
});
