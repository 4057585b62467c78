import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { UseGuards, type INestApplication } from '@nestjs/common';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { ClaimCheck, Claims, CognitoAuthModule, CognitoGuard, Groups, ProhibitedGroups, Scopes } from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { initApp } from './support/create-app';
import { graphql } from './support/graphql';
import { platforms } from './support/platforms';

const typeDefs = /* GraphQL */ `
  type Query {
    ledger: String!
    beta: String!
    tenant: String!
    exports: String!
  }
`;

/** The route rules on resolvers: the check's request is the GraphQL context's request. */
@Resolver()
@UseGuards(CognitoGuard)
@ProhibitedGroups('suspended')
class RulesResolver {
  @Groups({ allOf: ['staff', 'finance'] })
  @Query()
  ledger() {
    return 'ledger';
  }

  @Claims({ 'custom:tier': ['gold', 'silver'] })
  @Query()
  beta() {
    return 'beta';
  }

  @ClaimCheck(
    (payload, request: { headers: Record<string, string | undefined> }) =>
      typeof payload['custom:tenant_id'] === 'string' && payload['custom:tenant_id'] === request.headers['x-tenant-id'],
  )
  @Query()
  tenant() {
    return 'tenant';
  }

  @Scopes({ anyOf: ['reports/read', 'reports/admin'] })
  @Query()
  exports() {
    return 'exports';
  }
}

describe.each(platforms)('route rules on GraphQL resolvers on %s', (_, createAdapter) => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRoot(issuer.moduleOptions()),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, graphiql: false }),
      ],
      providers: [RulesResolver],
    }).compile();
    app = await initApp(moduleRef.createNestApplication(createAdapter(), { logger: false }));
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  /**
   * The first error of `query` for `token`, asked three times, all answered alike: a token the query
   * accepts is verified twice (its second acceptance caches it), then answered from the cache.
   */
  async function errorOf(query: string, token: string, headers: Record<string, string> = {}) {
    const fresh = await graphql(app, query, token).set(headers);
    const again = await graphql(app, query, token).set(headers);
    const accepted = (fresh.body as { errors?: unknown }).errors === undefined;
    if (accepted) expect(app.get(JwksKeyProvider).verifiedTokens?.get(token)).toBeDefined();
    const cached = await graphql(app, query, token).set(headers);
    expect([again.body, cached.body]).toEqual([fresh.body, fresh.body]);
    return (fresh.body as { errors?: Array<{ message: string; extensions: Record<string, unknown> }> }).errors?.[0];
  }

  it.each([
    ['{ ledger }', ['staff', 'finance'], {}, undefined],
    ['{ ledger }', ['staff'], {}, ['Not a member of every required group', 'ERR_GROUPS_REQUIRED']],
    ['{ ledger }', ['staff', 'finance', 'suspended'], {}, ['Member of a prohibited group', 'ERR_GROUP_PROHIBITED']],
    ['{ beta }', [], { 'custom:tier': 'gold' }, undefined],
    ['{ beta }', [], { 'custom:tier': 'bronze' }, ['Claim requirement not met', 'ERR_CLAIM_NOT_ALLOWED']],
  ] as const)('%s with groups %j and claims %j', async (query, groups, claims, refusal) => {
    const error = await errorOf(query, issuer.accessToken({ groups: [...groups], claims }));
    if (refusal === undefined) expect(error).toBeUndefined();
    else {
      expect(error).toMatchObject({
        message: refusal[0],
        extensions: { code: 'FORBIDDEN', statusCode: 403, reason: refusal[1] },
      });
    }
  });

  it("gives @ClaimCheck() the GraphQL context's request", async () => {
    const token = issuer.accessToken({ claims: { 'custom:tenant_id': 't-1' } });
    expect(await errorOf('{ tenant }', token, { 'x-tenant-id': 't-1' })).toBeUndefined();
    expect(await errorOf('{ tenant }', token, { 'x-tenant-id': 't-2' })).toMatchObject({
      message: 'Refused by the route claim check',
      extensions: { code: 'FORBIDDEN', reason: 'ERR_CLAIM_CHECK_REFUSED' },
    });
    expect(await errorOf('{ tenant }', token)).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('answers @Scopes({ anyOf }) with FORBIDDEN insufficient scope', async () => {
    expect(await errorOf('{ exports }', issuer.accessToken({ scope: 'reports/admin' }))).toBeUndefined();
    expect(await errorOf('{ exports }', issuer.accessToken({ scope: 'reports/write' }))).toMatchObject({
      message: 'Insufficient scope',
      extensions: { code: 'FORBIDDEN', reason: 'ERR_INSUFFICIENT_SCOPE' },
    });
  });
});
