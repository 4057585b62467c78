import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { INestApplication } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { CognitoAuthModule, type CognitoAuthModuleOptions } from '../src';
import request from 'supertest';
import { CognitoAlbTestIssuer, CognitoTestIssuer } from '../src/testing';
import { initApp } from './support/create-app';
import { platforms } from './support/platforms';
import { graphql, ShopResolver, shopTypeDefs } from './support/graphql';

/** A real Apollo server inside a real Nest app, queried over HTTP. */
describe.each(platforms)('GraphQL resolvers on %s', (_, createAdapter) => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  async function createGraphqlApp(options: CognitoAuthModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot(options),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs: shopTypeDefs, graphiql: false }),
      ],
      providers: [ShopResolver],
    }).compile();
    return initApp(moduleRef.createNestApplication(createAdapter(), { logger: false }));
  }

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createGraphqlApp(issuer.moduleOptions());
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('runs a query with the verified payload from @CognitoUser()', async () => {
    const res = await graphql(app, '{ viewer { sub tokenUse } }', issuer.accessToken({ claims: { sub: 'u-1' } }));
    expect(res.body).toEqual({ data: { viewer: { sub: 'u-1', tokenUse: 'access' } } });
  });

  it('hands one claim to a resolver through @CognitoUser(claim)', async () => {
    const res = await graphql(app, '{ sub }', issuer.accessToken({ claims: { sub: 'u-2' } }));
    expect(res.body).toEqual({ data: { sub: 'u-2' } });
  });

  it('answers UNAUTHENTICATED without a token, and never a crash', async () => {
    const res = await graphql(app, '{ viewer { sub } }');
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'Missing bearer token',
        path: ['viewer'],
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', statusCode: 401, reason: 'ERR_TOKEN_MISSING' }),
      }),
    ]);
  });

  it('answers UNAUTHENTICATED for an expired token', async () => {
    const res = await graphql(app, '{ sub }', issuer.accessToken({ expiresIn: -1 }));
    expect(res.body.errors[0]).toMatchObject({
      message: 'Token expired',
      extensions: { code: 'UNAUTHENTICATED', reason: 'ERR_JWT_EXPIRED' },
    });
  });

  it('applies @TokenUse on a query', async () => {
    expect((await graphql(app, '{ email }', issuer.idToken())).body).toEqual({
      data: { email: 'test-user@example.com' },
    });
    const refused = await graphql(app, '{ email }', issuer.accessToken());
    expect(refused.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers FORBIDDEN for a missing group', async () => {
    expect((await graphql(app, '{ staffNotes }', issuer.accessToken({ groups: ['staff'] }))).body).toEqual({
      data: { staffNotes: 'notes' },
    });
    const res = await graphql(app, '{ staffNotes }', issuer.accessToken({ groups: ['users'] }));
    expect(res.body.errors[0]).toMatchObject({
      message: 'Not a member of a permitted group',
      extensions: { code: 'FORBIDDEN', statusCode: 403 },
    });
  });

  it('guards mutations with @Scopes', async () => {
    const write = issuer.accessToken({ scope: 'orders/write', claims: { sub: 'u-3' } });
    expect((await graphql(app, 'mutation { placeOrder(item: "tea") }', write)).body).toEqual({
      data: { placeOrder: 'tea for u-3' },
    });
    const read = issuer.accessToken({ scope: 'orders/read' });
    const res = await graphql(app, 'mutation { placeOrder(item: "tea") }', read);
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0]).toMatchObject({ message: 'Insufficient scope', extensions: { code: 'FORBIDDEN' } });
  });

  it('lets @Public() queries through without a token', async () => {
    expect((await graphql(app, '{ hello }')).body).toEqual({ data: { hello: 'hello' } });
  });

  it('reads the user on @Public({ optional: true }) when a token is sent, and refuses a bad one', async () => {
    expect((await graphql(app, '{ greeting }')).body).toEqual({ data: { greeting: 'hello guest' } });
    const token = issuer.accessToken({ claims: { sub: 'u-4' } });
    expect((await graphql(app, '{ greeting }', token)).body).toEqual({ data: { greeting: 'hello u-4' } });
    const expired = await graphql(app, '{ greeting }', issuer.accessToken({ expiresIn: -1 }));
    expect(expired.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('fails only the guarded field of a mixed query', async () => {
    const res = await graphql(app, '{ hello sub }');
    expect(res.body.data).toBeNull(); // `sub` is non-null, so the error nulls the whole data
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['sub']);
  });

  it('answers SERVICE_UNAVAILABLE when the signing keys cannot be fetched', async () => {
    const down = await CognitoTestIssuer.start();
    const downApp = await createGraphqlApp(down.moduleOptions({ jwks: { timeoutMs: 300, prefetch: false } }));
    try {
      down.simulateJwksFault('status-500');
      const res = await graphql(downApp, '{ sub }', down.accessToken());
      expect(res.status).toBe(200);
      expect(res.body.errors[0]).toMatchObject({
        message: 'Signing keys unavailable',
        extensions: { code: 'SERVICE_UNAVAILABLE', statusCode: 503, reason: 'ERR_JWKS_UNAVAILABLE' },
      });
    } finally {
      await downApp.close();
      await down.stop();
    }
  });
});

describe('GraphQL resolvers in ALB mode', () => {
  let issuer: CognitoTestIssuer;
  let alb: CognitoAlbTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    alb = await CognitoAlbTestIssuer.start({ issuer: issuer.issuer, clientId: issuer.clientId });
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot({
          ...issuer.moduleOptions(),
          alb: { loadBalancerArn: alb.loadBalancerArn, keyEndpoint: alb.keyEndpoint },
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs: shopTypeDefs, graphiql: false }),
      ],
      providers: [ShopResolver],
    }).compile();
    app = await initApp(moduleRef.createNestApplication(platforms[0]![1](), { logger: false }));
  });

  afterAll(async () => {
    await app.close();
    await alb.stop();
    await issuer.stop();
  });

  const query = (headers: Record<string, string>) =>
    request(app.getHttpServer()).post('/graphql').set(headers).send({ query: '{ sub }' });

  it('resolves with the load balancer signed claims, and refuses a wrong signer as UNAUTHENTICATED', async () => {
    expect((await query(alb.headers({ sub: 'alb-9' }))).body).toEqual({ data: { sub: 'alb-9' } });
    const refused = await query(
      alb.headers({
        signer: 'arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/x/0123456789abcdef',
      }),
    );
    expect(refused.body.errors[0]).toMatchObject({
      message: 'Token signer not accepted',
      extensions: { code: 'UNAUTHENTICATED', reason: 'ERR_ALB_SIGNER_MISMATCH' },
    });
  });
});
