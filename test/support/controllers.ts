import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  CognitoGuard,
  CognitoUser,
  Groups,
  Public,
  Scopes,
  TokenUse,
  isAccessToken,
  isIdToken,
  isMachineToken,
  type CognitoJwtPayload,
} from '../../src';

/** Routes guarded per controller, one for each rule of the README. */
@Controller()
@UseGuards(CognitoGuard)
export class GuardedController {
  @Get('me')
  me(@CognitoUser() user: CognitoJwtPayload) {
    return user;
  }

  @Get('sub')
  sub(@CognitoUser('sub') sub: string) {
    return { sub };
  }

  @TokenUse('id')
  @Get('profile')
  profile(@CognitoUser('email') email: string) {
    return { email };
  }

  @TokenUse('access', 'id')
  @Get('either')
  either(@CognitoUser('token_use') tokenUse: string) {
    return { tokenUse };
  }

  @Groups('admin', 'support')
  @Get('admin')
  admin() {
    return { ok: true };
  }

  @Scopes('orders/read', 'orders/write')
  @Get('orders')
  orders() {
    return { ok: true };
  }

  @Public()
  @Get('public')
  open(@CognitoUser() user: CognitoJwtPayload | undefined) {
    return { user: user ?? null };
  }

  @Public({ optional: true })
  @Get('maybe')
  maybe(@CognitoUser('sub') sub: string | undefined) {
    return { sub: sub ?? null };
  }

  @Public({ optional: true })
  @Groups('admin')
  @Get('maybe-admin')
  maybeAdmin(@CognitoUser('sub') sub: string | undefined) {
    return { sub: sub ?? null };
  }

  @Get('kind')
  kind(@CognitoUser() user: CognitoJwtPayload) {
    return { machine: isMachineToken(user), access: isAccessToken(user), id: isIdToken(user) };
  }
}

/** Class-level metadata with handler overrides. */
@Controller('staff')
@UseGuards(CognitoGuard)
@Groups('staff')
@TokenUse('id')
export class StaffController {
  @Get()
  list() {
    return { ok: true };
  }

  @Groups('manager')
  @Get('managers')
  managers() {
    return { ok: true };
  }

  @TokenUse('access')
  @Get('api')
  api() {
    return { ok: true };
  }

  @Public()
  @Get('open')
  open() {
    return { ok: true };
  }
}

/** Class-level @Scopes with a handler override. */
@Controller('reports')
@UseGuards(CognitoGuard)
@Scopes('reports/read')
export class ReportsController {
  @Get()
  list() {
    return { ok: true };
  }

  @Scopes('reports/admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

/** No guard of its own: protected only when the module runs with `global: true`. */
@Controller('plain')
export class PlainController {
  @Get()
  plain(@CognitoUser('sub') sub: string | undefined) {
    return { sub: sub ?? null };
  }

  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }
}
