import type { INestApplication } from '@nestjs/common';
import { UseGuards } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import request from 'supertest';
import { CognitoGuard, CognitoUser, Groups, Public, Scopes, TokenUse, type CognitoJwtPayload } from '../../src';

/** The schema of `ShopResolver`, schema-first (no code-first type generation needed). */
export const shopTypeDefs = /* GraphQL */ `
  type Viewer {
    sub: String!
    tokenUse: String!
  }

  type Query {
    viewer: Viewer!
    sub: String!
    email: String
    staffNotes: String!
    hello: String!
    greeting: String!
  }

  type Mutation {
    placeOrder(item: String!): String!
  }
`;

/** Queries and mutations guarded like the README's controllers. */
@Resolver()
@UseGuards(CognitoGuard)
export class ShopResolver {
  @Query()
  viewer(@CognitoUser() user: CognitoJwtPayload) {
    return { sub: user.sub, tokenUse: user.token_use };
  }

  @Query()
  sub(@CognitoUser('sub') sub: string) {
    return sub;
  }

  @TokenUse('id')
  @Query()
  email(@CognitoUser('email') email: string) {
    return email;
  }

  @Groups('staff')
  @Query()
  staffNotes() {
    return 'notes';
  }

  @Public()
  @Query()
  hello() {
    return 'hello';
  }

  @Public({ optional: true })
  @Query()
  greeting(@CognitoUser() user: CognitoJwtPayload | undefined) {
    return user ? `hello ${user.sub}` : 'hello guest';
  }

  @Scopes('orders/write')
  @Mutation()
  placeOrder(@Args('item') item: string, @CognitoUser('sub') sub: string) {
    return `${item} for ${sub}`;
  }
}

/** POSTs a GraphQL operation to `/graphql`, with `Authorization: Bearer <token>` when given. */
export function graphql(app: INestApplication, query: string, token?: string) {
  const req = request(app.getHttpServer()).post('/graphql').send({ query });
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
}
