import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  CognitoGuard,
  CognitoUser,
  Groups,
  Public,
  Scopes,
  TokenUse,
  type CognitoIdTokenPayload,
  type CognitoJwtPayload,
} from '../src';

/** One route per feature of the module; every route needs a valid access token unless it says otherwise. */
@Controller()
@UseGuards(CognitoGuard)
export class AppController {
  /** No token needed. */
  @Public()
  @Get()
  hello() {
    return { hello: 'world', try: ['/me', '/profile', '/admin', '/orders', '/support/status', '/support/tickets'] };
  }

  /** Any valid access token: answers with its verified payload. */
  @Get('me')
  me(@CognitoUser() user: CognitoJwtPayload) {
    return user;
  }

  /** An id token (not an access token): the identity claims it carries. */
  @TokenUse('id')
  @Get('profile')
  profile(@CognitoUser() user: CognitoIdTokenPayload) {
    return { email: user.email, username: user['cognito:username'] };
  }

  /** Members of the pool group `admin` only; others get 403. */
  @Groups('admin')
  @Get('admin')
  admin(@CognitoUser('sub') sub: string) {
    return { admin: sub };
  }

  /** Access tokens granted the scope `orders/read` only; others get 403 `insufficient_scope`. */
  @Scopes('orders/read')
  @Get('orders')
  orders() {
    return [{ id: 1, item: 'coffee' }];
  }
}
